// Which sequence a recurrent layer read: the output of the layer feeding it (functional `inbound`, or
// the previous layer of a Sequential), or the model input. The walk-through needs it for x_t.

import type { RunResult, RecurrentWeights } from '../../extension/protocol';
import type { ModelSummary } from '../../extension/keras/summary';
import type { Tensor } from '../../extension/keras/tensor';
import type { SequenceInput } from './stepMath';

function asSequence(t: Tensor | undefined): SequenceInput | null {
  if (!t || t.shape.length !== 3) return null;
  const [batch, steps, features] = t.shape;
  return { batch, steps, features, data: t.data };
}

/** The N×T×D sequence that recurrent layer `layer` read in this run, or null when it cannot be found. */
export function layerInputSequence(result: RunResult, summary: ModelSummary | null, layer: string, weights?: RecurrentWeights): SequenceInput | null {
  const check = (s: SequenceInput | null) => (s && (!weights || s.features === weights.inputDim) ? s : null);
  const own = weights as (RecurrentWeights & { input?: Tensor }) | undefined;
  if (own?.input) return check(asSequence(own.input));
  const records = result.layers;
  const fromName = (name: string): SequenceInput | null => {
    const rec = records.find((r) => r.name === name);
    if (rec && rec.className !== 'InputLayer') return asSequence(rec.outputs[0]);
    const k = summary ? summary.inputs.findIndex((i) => i.name === name) : -1;
    return asSequence(result.inputs[k >= 0 ? k : 0]);
  };
  const ls = summary?.layers.find((l) => l.name === layer);
  if (ls && ls.inbound.length > 0) return check(fromName(ls.inbound[0]));
  // Sequential: the record just before this layer's first call, else the model input.
  const at = records.findIndex((r) => r.name === layer);
  for (let i = at - 1; i >= 0 && at > 0; i--) {
    if (records[i].className === 'InputLayer') continue;
    return check(asSequence(records[i].outputs[0]));
  }
  return check(asSequence(result.inputs[0]));
}

/** A stable key for one trace (layer and direction). */
export function traceKey(t: { layer: string; direction?: string }): string {
  return `${t.layer}|${t.direction ?? ''}`;
}

/** The quantities a trace holds, in teaching order, with their names. */
export function traceQuantities(t: { cell: string; c?: unknown; i?: unknown; f?: unknown; g?: unknown; o?: unknown; z?: unknown; r?: unknown; hh?: unknown; pre?: unknown }): { key: string; label: string }[] {
  const q: { key: string; label: string }[] = [{ key: 'h', label: 'h_t (hidden state)' }];
  const add = (key: keyof typeof t, label: string) => {
    if (t[key]) q.push({ key, label });
  };
  add('c', 'c_t (cell state)');
  add('i', 'i (input gate)');
  add('f', 'f (forget gate)');
  add('g', 'g = c̃ (cell candidate)');
  add('o', 'o (output gate)');
  add('z', 'z (update gate)');
  add('r', 'r (reset gate)');
  add('hh', 'h̃ (candidate)');
  add('pre', 'a_t = x_t·W_x + h_{t-1}·W_h + b');
  return q;
}

/** kerasMajor from the summary's version string (hard_sigmoid differs between 2 and 3). */
export function kerasMajorOf(version: string | null | undefined, format?: string): 1 | 2 | 3 {
  const m = /^(\d+)/.exec(version ?? '');
  const major = m ? Number(m[1]) : format?.startsWith('keras3') ? 3 : format?.startsWith('keras1') ? 1 : 2;
  return major >= 3 ? 3 : major <= 1 ? 1 : 2;
}
