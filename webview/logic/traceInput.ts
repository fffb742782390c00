// Which sequence a recurrent layer read: the output of the layer feeding it (functional `inbound`, or
// the previous layer of a Sequential), or the model input. The walk-through needs it for x_t.

import type { RunResult, RecurrentWeights } from '../../extension/protocol';
import type { RecurrentTrace } from '../../extension/keras/layers/types';
import type { ModelSummary } from '../../extension/keras/summary';
import type { Tensor } from '../../extension/keras/tensor';
import type { SequenceInput } from './stepMath';

/** N × T × (one step's values): a step may be a vector (D) or a frame (rows, cols, C), flattened. */
function asSequence(t: Tensor | undefined): SequenceInput | null {
  if (!t || t.shape.length < 3) return null;
  const [batch, steps, ...step] = t.shape;
  return { batch, steps, features: step.reduce((a, b) => a * b, 1), data: t.data };
}

/** The N×T×D sequence that recurrent layer `layer` read in this run, or null when it cannot be found. */
export function layerInputSequence(result: RunResult, summary: ModelSummary | null, layer: string, weights?: RecurrentWeights): SequenceInput | null {
  const perStep = weights ? weights.inputShape.reduce((a, b) => a * b, 1) : 0;
  const check = (s: SequenceInput | null) => (s && (!weights || s.features === perStep) ? s : null);
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

/** The quantities a trace holds, in its cell's order (states, then gates), with their names. */
export function traceQuantities(t: Pick<RecurrentTrace, 'cell' | 'values'>): { key: string; label: string }[] {
  return t.cell.quantities
    .filter((q) => t.values[q.key] !== undefined)
    .map((q) => ({ key: q.key, label: `${q.role === 'state' ? `${q.symbol}_t` : q.symbol} (${q.label})` }));
}

/** kerasMajor from the summary's version string (hard_sigmoid differs between 2 and 3). */
export function kerasMajorOf(version: string | null | undefined, format?: string): 1 | 2 | 3 {
  const m = /^(\d+)/.exec(version ?? '');
  const major = m ? Number(m[1]) : format?.startsWith('keras3') ? 3 : format?.startsWith('keras1') ? 1 : 2;
  return major >= 3 ? 3 : major <= 1 ? 1 : 2;
}
