// Bidirectional(layer): a forward copy and a backward copy (go_backwards flipped) of a SimpleRNN/LSTM/GRU, each
// with its own weights, run over the same input; the backward sequence is flipped back into input time order before
// the two are merged (concat, sum, ave, mul, or None = both). keras/src/layers/rnn/bidirectional.py.

import { NotAKerasFileError, UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { DimLetter, Shape } from '../shapes';
import type { Tensor } from '../tensor';
import { refuseQuantized } from './common';
import {
  batchAndTime,
  callInputs,
  recurrentShapes,
  requireInputDim,
  rnnOptions,
  runRecurrent,
  unitsOf,
  type CellKind,
  type RecurrentRun,
  type RnnOptions,
} from './recurrent';
import type { LayerEnv, LayerKind, LayerOutput, ParamFormula } from './types';
import { showName } from '../safeText';
import { one, quoted, word, type NumpyEmitter, type Emitted } from './numpyEmit';

type MergeMode = 'concat' | 'sum' | 'ave' | 'mul' | null;

/** The inner layer's cell, from its own module (any recurrent kind the registry knows). */
function cellKindOf(layer: LayerNode, child: LayerNode, env: LayerEnv): CellKind {
  const kind = env.layerKind(child.className)?.recurrentCell;
  if (!kind) {
    throw new UnsupportedFeatureError(
      `Bidirectional "${showName(layer.name)}" wraps ${showName(child.declaredClassName ?? child.className)}, which is not a recurrent layer this tool can run.`,
    );
  }
  return kind;
}

/** The forward and backward layers, each with its weights (split from the wrapper's list when the reader left them there). */
function sides(layer: LayerNode): [LayerNode, LayerNode] {
  const [fwd, bwd] = layer.children;
  if (!fwd || !bwd) throw new UnsupportedFeatureError(`Bidirectional "${showName(layer.name)}" has no inner layer in its config.`);
  if (fwd.weights.length === 0 && bwd.weights.length === 0 && layer.weights.length > 0) {
    const half = layer.weights.length / 2;
    return [
      { ...fwd, weights: layer.weights.slice(0, half) },
      { ...bwd, weights: layer.weights.slice(half) },
    ];
  }
  return [fwd, bwd];
}

function mergeModeOf(layer: LayerNode): MergeMode {
  const v = layer.config.merge_mode;
  if (v === undefined) return 'concat';
  if (v === null || v === 'None') return null;
  if (v === 'concat' || v === 'sum' || v === 'ave' || v === 'mul') return v;
  throw new UnsupportedFeatureError(`Bidirectional "${showName(layer.name)}" has merge_mode ${JSON.stringify(v)}; Keras knows concat, sum, ave, mul and None.`);
}

/** Keras makes both directions output zeros at masked steps when they return sequences. */
function sideOptions(child: LayerNode): RnnOptions {
  const opts = rnnOptions(child);
  return { ...opts, zeroOutputForMask: opts.returnSequences };
}

/** A (N, T, M) or time-major (T, N, M) sequence reversed along time. */
function flipTime(seq: Float64Array, N: number, T: number, M: number, timeMajor: boolean): Float64Array {
  const out = new Float64Array(seq.length);
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) {
      const src = timeMajor ? ((T - 1 - t) * N + n) * M : (n * T + (T - 1 - t)) * M;
      const dst = timeMajor ? (t * N + n) * M : (n * T + t) * M;
      out.set(seq.subarray(src, src + M), dst);
    }
  }
  return out;
}

function merge(mode: Exclude<MergeMode, null>, a: Tensor, b: Tensor): Tensor {
  if (mode === 'concat') {
    const ma = a.shape[a.shape.length - 1];
    const mb = b.shape[b.shape.length - 1];
    const rows = a.data.length / ma;
    const out = new Float64Array(rows * (ma + mb));
    for (let r = 0; r < rows; r++) {
      out.set(a.data.subarray(r * ma, (r + 1) * ma), r * (ma + mb));
      out.set(b.data.subarray(r * mb, (r + 1) * mb), r * (ma + mb) + ma);
    }
    return { shape: [...a.shape.slice(0, -1), ma + mb], data: out };
  }
  if (a.data.length !== b.data.length) {
    throw new UnsupportedFeatureError(`merge_mode=${mode} needs both directions to have the same units, but they have ${a.shape.at(-1)} and ${b.shape.at(-1)}.`);
  }
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    const x = a.data[i];
    const y = b.data[i];
    out[i] = mode === 'sum' ? x + y : mode === 'mul' ? x * y : (x + y) / 2;
  }
  return { shape: a.shape, data: out };
}

/** A formula's numbers without its `= total`, for composing. */
const expression = (f: ParamFormula): string => f.substituted.replace(/\s*=\s*\d+$/, '');

/** True when a Bidirectional sits anywhere inside `layer` (wrappers and nested models looked through). */
function holdsBidirectional(layer: LayerNode): boolean {
  const stack = [layer];
  const seen = new Set<LayerNode>();
  while (stack.length) {
    const l = stack.pop()!;
    if (seen.has(l)) continue;
    seen.add(l);
    if (bidirectional.classNames.includes(l.className)) return true;
    stack.push(...l.children, ...(l.model?.layers ?? []));
  }
  return false;
}

/** The forward layer and the backward one (`backward_layer`, else a copy of the forward one with go_backwards flipped). */
function innerLayers(config: Readonly<Record<string, unknown>>, parse: (raw: unknown) => LayerNode, name: string): LayerNode[] {
  if (!config.layer) return [];
  const nested = () =>
    new NotAKerasFileError(`The Bidirectional layer "${showName(name, 60)}" wraps another Bidirectional, which Keras cannot build (it wraps one recurrent layer): the file is damaged or crafted.`);
  // The inner layer is parsed once; the backward copy shares its (immutable) children instead of a second parse.
  const forward = parse(config.layer);
  if (holdsBidirectional(forward)) throw nested();
  const innerName = forward.name.replace(/^forward_/, '');
  const backward: LayerNode = config.backward_layer
    ? parse(config.backward_layer)
    : {
        ...forward,
        name: `backward_${innerName}`,
        config: { ...forward.config, go_backwards: !forward.config.go_backwards, name: `backward_${innerName}` },
        weights: [],
        calls: [],
      };
  if (config.backward_layer && holdsBidirectional(backward)) throw nested();
  forward.name = `forward_${innerName}`;
  return [forward, backward];
}

/**
 * The NumPy export: each direction written by its own layer's emitter (returning its states, and zeros at masked steps
 * when it returns sequences, as Keras sets), the backward sequence flipped back into input time order, then merged.
 */
const numpy: NumpyEmitter = (layer, call, inputs, cx, target) => {
  const [fwd, bwd] = sides(layer);
  const mode = mergeModeOf(layer);
  const x = one(layer, inputs);
  const mask = inputs.masks[0] ?? 'None';
  // Keras splits initial states in half: the first half starts the forward layer, the second the backward one.
  const states = inputs.vars.slice(1);
  const half = states.length / 2;
  const side = (child: LayerNode, init: string[], label: 'forward' | 'backward'): Emitted => {
    const opts = rnnOptions(child);
    const node: LayerNode = { ...child, config: { ...child.config, return_state: true, zero_output_for_mask: opts.returnSequences } };
    cx.out.push(`# ${label} direction: ${word(child.className)} ${quoted(child.name)}`);
    const ins = { vars: [x, ...init], masks: [mask, ...init.map(() => 'None')] };
    return cx.emitterOf(child, layer)(node, call, ins, cx, `${target}__${label === 'forward' ? 'fwd' : 'bwd'}`);
  };
  const f = side(fwd, states.slice(0, half), 'forward');
  const b = side(bwd, states.slice(half), 'backward');
  const fo = rnnOptions(fwd);
  const bo = rnnOptions(bwd);
  const [yf, yb] = [f.vars[0], b.vars[0]];
  if (bo.returnSequences) cx.out.push(`${yb} = np.flip(${yb}, axis=${bo.timeMajor ? 0 : 1})  # back into input time order before merging`);
  let vars: string[];
  if (mode === null) vars = [yf, yb];
  else {
    const expr = mode === 'concat' ? `np.concatenate([${yf}, ${yb}], axis=-1)` : mode === 'sum' ? `${yf} + ${yb}` : mode === 'mul' ? `${yf} * ${yb}` : `(${yf} + ${yb}) / 2.0`;
    cx.out.push(`${target} = ${expr}  # merge_mode="${mode}"`);
    vars = [target];
  }
  const masks = vars.map(() => (fo.returnSequences ? mask : 'None'));
  if (!fo.returnState) return { vars, masks };
  const st = [...f.vars.slice(1), ...b.vars.slice(1)];
  return { vars: [...vars, ...st], masks: [...masks, ...st.map(() => 'None')] };
};

export const bidirectional: LayerKind = {
  classNames: ['Bidirectional'],
  recurrent: true,
  python: { positional: ['layer', 'merge_mode'] },
  innerLayers,
  innerGroups: ['forward_layer', 'backward_layer'],
  outputShape(layer, inputs, env) {
    const [fwd, bwd] = sides(layer);
    const kf = cellKindOf(layer, fwd, env);
    const kb = cellKindOf(layer, bwd, env);
    const f = recurrentShapes(fwd, inputs, unitsOf(fwd), kf.stateCount);
    const b = recurrentShapes(bwd, inputs, unitsOf(bwd), kb.stateCount);
    const mode = mergeModeOf(layer);
    const shapes: Shape[] = [];
    const letters: DimLetter[][] = [];
    if (mode === null) {
      shapes.push(f.shapes[0], b.shapes[0]);
      letters.push(f.letters![0], b.letters![0]);
    } else if (mode === 'concat') {
      const last = (s: Shape): number | null => s[s.length - 1];
      const [mf, mb] = [last(f.shapes[0]), last(b.shapes[0])];
      shapes.push([...f.shapes[0].slice(0, -1), mf !== null && mb !== null ? mf + mb : null]);
      // The last axis holds forward then backward units: 2M when both sides have M units.
      letters.push([...f.letters![0].slice(0, -1), mf === mb ? '2M' : null]);
    } else {
      shapes.push(f.shapes[0]);
      letters.push(f.letters![0]);
    }
    shapes.push(...f.shapes.slice(1), ...b.shapes.slice(1));
    letters.push(...f.letters!.slice(1), ...b.letters!.slice(1));
    return { shapes, letters };
  },
  params(layer, inputs, env) {
    const [fwd, bwd] = sides(layer);
    const D = requireInputDim(fwd, inputs);
    const f = cellKindOf(layer, fwd, env).params(fwd, D, env);
    const b = cellKindOf(layer, bwd, env).params(bwd, D, env);
    const terms = [
      ...f.terms.map((t) => ({ ...t, name: `${fwd.name}/${t.name}` })),
      ...b.terms.map((t) => ({ ...t, name: `${bwd.name}/${t.name}` })),
    ];
    const total = f.total + b.total;
    const trainable = f.trainable + b.trainable;
    const alike = f.formula === b.formula && f.substituted === b.substituted;
    const why = 'Bidirectional runs two independent copies of the layer, one reading the sequence forward and one backward, each with its own weights.';
    return {
      formula: alike ? `2 × (${f.formula})` : `(${f.formula}) + (${b.formula})`,
      substituted: alike ? `2 × (${expression(f)}) = ${total}` : `(${expression(f)}) + (${expression(b)}) = ${total}`,
      letters: f.letters,
      terms,
      total,
      trainable,
      nonTrainable: total - trainable,
      note: f.note ? `${why} ${f.note}` : why,
    };
  },
  async forward(layer, inputs, ctx): Promise<LayerOutput> {
    refuseQuantized(layer);
    const [fwd, bwd] = sides(layer);
    const mode = mergeModeOf(layer);
    const { x, mask, initialState } = callInputs(layer, inputs);
    const D = x.shape[2];
    const fo = sideOptions(fwd);
    const bo = sideOptions(bwd);
    const fCell = cellKindOf(layer, fwd, ctx).build(fwd, D, ctx);
    const bCell = cellKindOf(layer, bwd, ctx).build(bwd, D, ctx);
    // Keras splits initial states in half: the first half starts the forward layer, the second the backward one.
    const half = initialState ? initialState.length / 2 : 0;
    const run = (cell: typeof fCell, opts: RnnOptions, direction: 'forward' | 'backward', init?: Tensor[]): Promise<RecurrentRun> =>
      runRecurrent(cell, x, opts, { traceName: layer.name, direction, mask, ...(init ? { initialState: init } : {}) }, ctx);
    const f = await run(fCell, fo, 'forward', initialState?.slice(0, half));
    const b = await run(bCell, bo, 'backward', initialState?.slice(half));

    const { N, T } = batchAndTime(x, fo);
    const seqShape = (M: number): number[] => (fo.timeMajor ? [T, N, M] : [N, T, M]);
    const y: Tensor = f.sequence ? { shape: seqShape(fCell.units), data: f.sequence } : { shape: [N, fCell.units], data: f.last };
    const yRev: Tensor = b.sequence
      ? { shape: seqShape(bCell.units), data: flipTime(b.sequence, N, T, bCell.units, bo.timeMajor) }
      : { shape: [N, bCell.units], data: b.last };
    const outputs = mode === null ? [y, yRev] : [merge(mode, y, yRev)];
    const seqMask = fo.returnSequences ? mask : null;
    const tensors: Tensor[] = [...outputs];
    const masks = outputs.map(() => seqMask);
    if (fo.returnState) {
      for (const s of f.states) tensors.push({ shape: [N, fCell.units], data: s });
      for (const s of b.states) tensors.push({ shape: [N, bCell.units], data: s });
      while (masks.length < tensors.length) masks.push(null);
    }
    const traces = [f.trace, b.trace].filter((t) => t !== undefined);
    return { tensors, masks, ...(traces.length ? { traces } : {}) };
  },
  numpy,
};
