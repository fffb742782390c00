// Merge layers: Concatenate along an axis, and the elementwise Add, Subtract, Multiply, Average, Maximum,
// Minimum (with Keras's broadcasting: lower-rank inputs get size-1 axes inserted after the batch axis).
// Output masks: Keras 2 ANDs the input masks; Keras 3 ORs them (and is mask-aware in Multiply/Maximum/Minimum).

import { InputError, UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { Dim, Shape } from '../shapes';
import type { Mask, Tensor } from '../tensor';
import type { LayerKind, LayerInputs, LayerOutput } from './types';
import { configValue, maskFits, normalizeAxis, strides } from './common';
import { showName } from '../safeText';
import { pyBool, pyInt, word, type NumpyEmitter } from './numpyEmit';
import { pyStr } from '../safeText';

type Op = (a: number, b: number) => number;

function needTwoOrMore(layer: LayerNode, n: number): void {
  if (n < 1 || (layer.className === 'Subtract' && n !== 2)) {
    throw new UnsupportedFeatureError(
      layer.className === 'Subtract'
        ? `Subtract "${showName(layer.name)}" needs exactly 2 inputs, got ${n}.`
        : `${showName(layer.className)} "${showName(layer.name)}" needs a list of inputs, got ${n}.`,
    );
  }
}

/** Keras's elementwise broadcast of two shapes without the batch axis (trailing-aligned). */
function broadcastShape(layer: LayerNode, a: Shape, b: Shape): Shape {
  if (a.length < b.length) return broadcastShape(layer, b, a);
  const out: Shape = a.slice(0, a.length - b.length);
  for (let i = 0; i < b.length; i++) {
    const x = a[a.length - b.length + i];
    const y = b[i];
    if (x === null || y === null) out.push(null);
    else if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (x !== y) throw new InputError(`${showName(layer.className)} "${showName(layer.name)}" cannot combine inputs of shapes (${a.join(', ')}) and (${b.join(', ')}).`);
    else out.push(x);
  }
  return out;
}

function concatAxis(layer: LayerNode, rank: number): number {
  return normalizeAxis(layer, Number(configValue(layer, ['axis', 'concat_axis']) ?? -1), rank);
}

function concatShape(layer: LayerNode, shapes: Shape[]): Shape {
  const rank = shapes[0].length;
  if (shapes.some((s) => s.length !== rank)) throw new InputError(`Concatenate "${showName(layer.name)}" needs inputs of the same rank.`);
  const axis = concatAxis(layer, rank);
  if (axis === 0) throw new UnsupportedFeatureError(`Concatenate "${showName(layer.name)}" along the batch axis is not supported.`);
  const out = [...shapes[0]];
  for (const s of shapes.slice(1)) {
    for (let i = 0; i < rank; i++) {
      if (i === axis) continue;
      if (out[i] !== null && s[i] !== null && out[i] !== s[i]) {
        throw new InputError(`Concatenate "${showName(layer.name)}" inputs differ outside the concatenation axis: (${shapes.map((x) => x.join(', ')).join(') vs (')}).`);
      }
      if (out[i] === null) out[i] = s[i];
    }
    out[axis] = out[axis] === null || s[axis] === null ? null : (out[axis] as number) + (s[axis] as number);
  }
  return out;
}

function elementwiseShape(layer: LayerNode, shapes: Shape[]): Shape {
  let out: Shape = shapes[0].slice(1);
  for (const s of shapes.slice(1)) out = broadcastShape(layer, out, s.slice(1));
  const batches = new Set(shapes.map((s) => s[0]).filter((d): d is number => d !== null));
  if (batches.size > 1) throw new InputError(`${showName(layer.className)} "${showName(layer.name)}" cannot merge tensors with different batch sizes.`);
  const batch: Dim = batches.size === 1 ? [...batches][0] : null;
  return [batch, ...out];
}

/** Inserts size-1 axes after the batch axis until the tensor has `rank` axes (Keras's expand_dims(x, 1)). */
function lift(t: Tensor, rank: number): Tensor {
  if (t.shape.length >= rank) return t;
  const shape = [t.shape[0], ...new Array(rank - t.shape.length).fill(1), ...t.shape.slice(1)];
  return { shape, data: t.data };
}

/** Values of `t` broadcast to `shape` (both of the same rank). */
function broadcastTo(t: Tensor, shape: number[]): Float64Array {
  if (t.shape.every((d, i) => d === shape[i])) return t.data;
  const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
  const inStr = strides(t.shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) if (t.shape[d] !== 1) src += idx[d] * inStr[d];
    out[o] = t.data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

const OPS: Record<string, Op> = {
  Add: (a, b) => a + b,
  Average: (a, b) => a + b,
  Subtract: (a, b) => a - b,
  Multiply: (a, b) => a * b,
  Maximum: (a, b) => (a > b || Number.isNaN(a) ? a : b),
  Minimum: (a, b) => (a < b || Number.isNaN(a) ? a : b),
};

/** Time mask per merged element (N×T masks cover the trailing feature axis). */
function stepOf(shape: number[]): (i: number) => number {
  const D = shape[shape.length - 1];
  return (i) => Math.floor(i / D);
}

function combineMasks(masks: (Mask | null)[], kerasMajor: number): Mask | null {
  const present = masks.filter((m): m is Mask => !!m);
  if (present.length === 0) return null;
  if (kerasMajor >= 3 && present.length !== masks.length) return null;
  const first = present[0];
  if (present.some((m) => m.n !== first.n || m.t !== first.t)) return null;
  const data = new Uint8Array(first.data.length);
  for (let i = 0; i < data.length; i++) {
    data[i] = kerasMajor >= 3 ? (present.some((m) => m.data[i]) ? 1 : 0) : present.every((m) => m.data[i]) ? 1 : 0;
  }
  return { n: first.n, t: first.t, data };
}

function elementwise(layer: LayerNode, inputs: LayerInputs, kerasMajor: number): LayerOutput {
  const ts = inputs.tensors;
  needTwoOrMore(layer, ts.length);
  const rank = Math.max(...ts.map((t) => t.shape.length));
  const lifted = ts.map((t) => lift(t, rank));
  const shape = elementwiseShape(layer, lifted.map((t) => t.shape)) as number[];
  shape[0] = lifted[0].shape[0];
  const values = lifted.map((t) => broadcastTo(t, shape));
  const op = OPS[layer.className];
  const size = values[0].length;
  const out = Float64Array.from(values[0]);
  const masks = ts.map((t, i) => (maskFits(inputs.masks[i], t) && t.shape.length === 3 ? (inputs.masks[i] as Mask) : null));
  const step = stepOf(shape);
  const maskAware = kerasMajor >= 3 && masks.some((m) => m) && rank === 3;
  if (maskAware && layer.className === 'Multiply') {
    // Keras 3: masked steps count as 1 in the product; if every input is masked, steps masked in all are zeroed.
    const allMasked = masks.every((m) => m);
    for (let i = 0; i < size; i++) {
      const s = step(i);
      let p = 1;
      let any = false;
      for (let k = 0; k < values.length; k++) {
        const m = masks[k];
        const on = !m || m.data[s] === 1;
        if (on) p *= values[k][i];
        if (m && on) any = true;
      }
      out[i] = allMasked && !any ? 0 : p;
    }
  } else if (maskAware && (layer.className === 'Maximum' || layer.className === 'Minimum')) {
    // Keras 3: a masked operand takes the other side's value, so only unmasked steps compete.
    for (let i = 0; i < size; i++) {
      const s = step(i);
      let acc = values[0][i];
      let accMask: boolean | null = masks[0] ? masks[0].data[s] === 1 : null;
      for (let k = 1; k < values.length; k++) {
        const m = masks[k] ? masks[k]!.data[s] === 1 : null;
        let v = values[k][i];
        if (m === false) v = acc;
        if (accMask === false) acc = v;
        accMask = m !== null && accMask !== null ? m || accMask : null;
        acc = op(acc, v);
      }
      out[i] = acc;
    }
  } else {
    for (let k = 1; k < values.length; k++) {
      const v = values[k];
      for (let i = 0; i < size; i++) out[i] = op(out[i], v[i]);
    }
    if (layer.className === 'Average') for (let i = 0; i < size; i++) out[i] /= values.length;
  }
  return { tensors: [{ shape, data: out }], masks: [combineMasks(masks, kerasMajor)] };
}

function concatenate(layer: LayerNode, inputs: LayerInputs, kerasMajor: number): LayerOutput {
  const ts = inputs.tensors;
  needTwoOrMore(layer, ts.length);
  const shape = concatShape(layer, ts.map((t) => t.shape)) as number[];
  const axis = concatAxis(layer, shape.length);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const t of ts) {
      const block = t.shape.slice(axis).reduce((a, b) => a * b, 1);
      out.set(t.data.subarray(i * block, (i + 1) * block), o);
      o += block;
    }
  }
  return { tensors: [{ shape, data: out }], masks: [concatMask(ts, inputs.masks, axis, kerasMajor)] };
}

/** Keras concatenates the (broadcast) masks along the axis and reduces the feature axis: all() in Keras 2, any() in Keras 3. */
function concatMask(ts: Tensor[], masks: (Mask | null)[], axis: number, kerasMajor: number): Mask | null {
  if (masks.every((m) => !m)) return null;
  const rank = ts[0].shape.length;
  if (rank !== 3) return null;
  const full = ts.map((t, i) => (maskFits(masks[i], t) ? (masks[i] as Mask) : { n: t.shape[0], t: t.shape[1], data: new Uint8Array(t.shape[0] * t.shape[1]).fill(1) }));
  if (axis === 1) {
    const n = ts[0].shape[0];
    const T = full.reduce((a, m) => a + m.t, 0);
    const data = new Uint8Array(n * T);
    for (let s = 0; s < n; s++) {
      let o = s * T;
      for (const m of full) {
        data.set(m.data.subarray(s * m.t, (s + 1) * m.t), o);
        o += m.t;
      }
    }
    return { n, t: T, data };
  }
  if (axis === 2) {
    const { n, t } = full[0];
    const data = new Uint8Array(n * t);
    for (let i = 0; i < data.length; i++) data[i] = kerasMajor >= 3 ? (full.some((m) => m.data[i]) ? 1 : 0) : full.every((m) => m.data[i]) ? 1 : 0;
    return { n, t, data };
  }
  return null;
}

/** Keras 1 (and early 2) `Merge(mode=...)` behaves as the matching Keras 2 merge layer. */
const MERGE_MODES: Record<string, string> = { sum: 'Add', mul: 'Multiply', ave: 'Average', max: 'Maximum', concat: 'Concatenate' };

function asModern(layer: LayerNode): LayerNode {
  if (layer.className !== 'Merge') return layer;
  const mode = String(layer.config.mode ?? 'sum');
  const cls = MERGE_MODES[mode];
  if (!cls) throw new UnsupportedFeatureError(`The Keras 1 Merge layer "${showName(layer.name)}" uses mode "${mode}", which is not supported.`);
  return { ...layer, className: cls };
}

// The NumPy export: the same broadcasting and masks as the forward pass above, in Python.
const MERGE_ELEMENTWISE = `def merge_elementwise(kind, xs, masks, keras3):
    """Keras's elementwise merge: a lower-rank input gets size-1 axes after the batch axis, then all broadcast.
    Keras 3 is mask-aware on N×T×D inputs: in Multiply a masked step counts as 1 (0 where every input is masked),
    in Maximum/Minimum a masked operand takes the other side's value."""
    ms = [m[..., None] if m is not None and x.ndim == 3 and m.shape == x.shape[:2] else None for x, m in zip(xs, masks)]
    rank = max(x.ndim for x in xs)
    xs = [x.reshape(x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:]) for x in xs]
    shape = np.broadcast_shapes(*[x.shape for x in xs])
    vs = [np.broadcast_to(x, shape) for x in xs]
    ms = [None if m is None else np.broadcast_to(m, shape) for m in ms]
    aware = keras3 and rank == 3 and any(m is not None for m in ms)
    if aware and kind == 'Multiply':
        out = np.ones(shape)
        on_any = np.zeros(shape, dtype=bool)
        for v, m in zip(vs, ms):
            out = out * v if m is None else np.where(m, out * v, out)
            if m is not None:
                on_any = on_any | m
        return np.where(~on_any, 0.0, out) if all(m is not None for m in ms) else out
    if aware and kind in ('Maximum', 'Minimum'):
        op = np.maximum if kind == 'Maximum' else np.minimum
        acc, acc_m = vs[0], ms[0]
        for v, m in zip(vs[1:], ms[1:]):
            if m is not None:
                v = np.where(m, v, acc)
            if acc_m is not None:
                acc = np.where(acc_m, acc, v)
            acc_m = None if m is None or acc_m is None else m | acc_m
            acc = op(acc, v)
        return acc
    out = vs[0]
    for v in vs[1:]:
        if kind in ('Add', 'Average'):
            out = out + v
        elif kind == 'Subtract':
            out = out - v
        elif kind == 'Multiply':
            out = out * v
        else:
            out = np.maximum(out, v) if kind == 'Maximum' else np.minimum(out, v)
    return out / len(vs) if kind == 'Average' else out`;

const MERGE_MASK = `def merge_mask(xs, masks, keras3, axis=None):
    """The output time mask: Keras 3 ORs the inputs' masks (none when an input has none), Keras 2 ANDs those present.
    Concatenate (axis given) fills a missing mask with ones and joins the masks along time when it joins along time."""
    if xs[0].ndim != 3:
        return None
    fits = [m if m is not None and x.ndim == 3 and m.shape == x.shape[:2] else None for x, m in zip(xs, masks)]
    if axis is not None:
        if all(m is None for m in masks):
            return None
        full = [m if m is not None else np.ones(x.shape[:2], dtype=bool) for x, m in zip(xs, fits)]
        if axis % 3 == 1:
            return np.concatenate(full, axis=1)
        if axis % 3 == 2:
            return np.logical_or.reduce(full) if keras3 else np.logical_and.reduce(full)
        return None
    present = [m for m in fits if m is not None]
    if not present or (keras3 and len(present) != len(fits)) or any(m.shape != present[0].shape for m in present):
        return None
    return np.logical_or.reduce(present) if keras3 else np.logical_and.reduce(present)`;

const numpy: NumpyEmitter = (node, _call, inputs, cx, target) => {
  const layer = asModern(node);
  needTwoOrMore(layer, inputs.vars.length);
  const xs = `[${inputs.vars.join(', ')}]`;
  const masked = inputs.masks.some((m) => m !== 'None');
  const ms = `[${inputs.masks.map((m) => m ?? 'None').join(', ')}]`;
  const keras3 = pyBool(cx.doc.kerasMajor >= 3);
  if (layer.className === 'Concatenate') {
    const axis = pyInt(layer.config.axis ?? layer.config.concat_axis ?? -1, 'an axis', layer.name);
    cx.out.push(`${target} = np.concatenate(${xs}, axis=${axis})  # Concatenate`);
    if (!masked) return { vars: [target], masks: ['None'] };
    cx.helpers.add('merge_mask');
    cx.out.push(`${target}__mask = merge_mask(${xs}, ${ms}, ${keras3}, axis=${axis})`);
    return { vars: [target], masks: [`${target}__mask`] };
  }
  cx.helpers.add('merge_elementwise');
  cx.out.push(`${target} = merge_elementwise(${pyStr(layer.className)}, ${xs}, ${ms}, ${keras3})  # ${word(layer.className)}, elementwise`);
  if (!masked) return { vars: [target], masks: ['None'] };
  cx.helpers.add('merge_mask');
  cx.out.push(`${target}__mask = merge_mask(${xs}, ${ms}, ${keras3})`);
  return { vars: [target], masks: [`${target}__mask`] };
};

export const merge: LayerKind = {
  classNames: ['Concatenate', 'Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Merge'],
  // The merge layers take only keyword arguments, except Concatenate(axis) and Keras 1's Merge(layers, mode).
  python: { positional: [], positionalOf: { Concatenate: ['axis'], Merge: ['layers', 'mode'] } },
  outputShape(node, inputs) {
    const layer = asModern(node);
    needTwoOrMore(layer, inputs.length);
    if (layer.className === 'Concatenate') return { shapes: [concatShape(layer, inputs)] };
    const rank = Math.max(...inputs.map((s) => s.length));
    const lifted = inputs.map((s) => (s.length < rank ? [s[0], ...new Array(rank - s.length).fill(1), ...s.slice(1)] : s));
    return { shapes: [elementwiseShape(layer, lifted)] };
  },
  params() {
    return null;
  },
  forward(node, inputs, ctx) {
    const layer = asModern(node);
    return layer.className === 'Concatenate' ? concatenate(layer, inputs, ctx.kerasMajor) : elementwise(layer, inputs, ctx.kerasMajor);
  },
  numpy,
  numpyHelpers: { merge_elementwise: MERGE_ELEMENTWISE, merge_mask: MERGE_MASK },
};
