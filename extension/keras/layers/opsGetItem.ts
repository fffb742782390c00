// Keras 3 slicing in functional graphs: `x[:, -1]`, `x[..., 0:2]`, `x[:, None]` (keras/src/ops/numpy.py, GetItem).
// The key is the call's second argument as Keras serialized it: a whole number, `__slice__` {start, stop, step},
// `__ellipsis__`, None (a new axis of size 1), or a list of these (a tuple in Python). Python's slice rules apply.

import { UnsupportedFeatureError } from '../errors';
import { MAX_RANK, isWhole } from '../limits';
import type { LayerNode } from '../model';
import { showName } from '../safeText';
import type { Shape } from '../shapes';
import type { LayerKind } from './types';
import { opLabel, operands, tensorOperand } from './opCall';

type KeyItem = { index: number } | { start: number | null; stop: number | null; step: number | null } | 'ellipsis' | 'newaxis';

/** Index values Python allows in a slice; anything beyond any real axis is clamped by Python's rules anyway. */
const MAX_INDEX = 2 ** 53 - 1;

function bound(layer: LayerNode, v: unknown, what: string): number | null {
  if (v === null || v === undefined) return null;
  if (isWhole(v, -MAX_INDEX, MAX_INDEX)) return v;
  throw new UnsupportedFeatureError(`${opLabel(layer)} slices with ${what} ${showName(JSON.stringify(v) ?? String(v), 30)}, which is not a whole number (indexing by a tensor is not supported).`);
}

/** The key as a list of items, one per indexing position. */
function keyItems(layer: LayerNode, key: unknown): KeyItem[] {
  const list = Array.isArray(key) ? key : [key];
  if (list.length > 2 * MAX_RANK) throw new UnsupportedFeatureError(`${opLabel(layer)} indexes ${list.length} positions, more than any tensor has.`);
  return list.map((k): KeyItem => {
    if (k === null) return 'newaxis';
    if (typeof k === 'number') return { index: bound(layer, k, 'the index')! };
    const o = k && typeof k === 'object' && !Array.isArray(k) ? (k as { class_name?: unknown; config?: Record<string, unknown> }) : null;
    if (o?.class_name === '__ellipsis__') return 'ellipsis';
    if (o?.class_name === '__slice__' && o.config && typeof o.config === 'object') {
      const step = bound(layer, o.config.step, 'the step');
      if (step === 0) throw new UnsupportedFeatureError(`${opLabel(layer)} slices with step 0, which Python refuses.`);
      return { start: bound(layer, o.config.start, 'the start'), stop: bound(layer, o.config.stop, 'the stop'), step };
    }
    const shown = k === '<tensor>' ? 'a tensor' : showName(JSON.stringify(k) ?? String(k), 40);
    throw new UnsupportedFeatureError(`${opLabel(layer)} indexes with ${shown}, which this tool does not compute (it handles whole numbers, slices, ... and None).`);
  });
}

/** Python's slice.indices(length), then the indices it selects. */
function sliceIndices(s: { start: number | null; stop: number | null; step: number | null }, length: number): number[] {
  const step = s.step ?? 1;
  const [lower, upper] = step > 0 ? [0, length] : [-1, length - 1];
  const clamp = (v: number | null, fallback: number): number => {
    if (v === null) return fallback;
    const w = v < 0 ? v + length : v;
    return w < lower ? lower : w > upper ? upper : w;
  };
  const start = clamp(s.start, step > 0 ? lower : upper);
  const stop = clamp(s.stop, step > 0 ? upper : lower);
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

/** Per input axis: the indices it keeps (null: the whole unknown axis) and whether the axis stays; where new axes go. */
interface Selection {
  axes: { pick: number[] | null; keep: boolean }[];
  /** The output shape's letters: input axis k, or 'new' for a None. */
  order: Array<number | 'new'>;
}

function select(layer: LayerNode, shape: Shape, key: unknown): Selection {
  const items = keyItems(layer, key);
  if (items.filter((k) => k === 'ellipsis').length > 1) throw new UnsupportedFeatureError(`${opLabel(layer)} has more than one ... in its key.`);
  if (!items.includes('ellipsis')) items.push('ellipsis');
  const consuming = items.filter((k) => k !== 'ellipsis' && k !== 'newaxis').length;
  if (consuming > shape.length) throw new UnsupportedFeatureError(`${opLabel(layer)} indexes ${consuming} axes of a ${shape.length}-D tensor.`);
  const sel: Selection = { axes: [], order: [] };
  let axis = 0;
  for (const item of items) {
    if (item === 'newaxis') {
      sel.order.push('new');
      continue;
    }
    if (item === 'ellipsis') {
      // ... stands for every axis the other items do not index.
      for (let c = 0; c < shape.length - consuming; c++, axis++) {
        sel.order.push(axis);
        sel.axes.push({ pick: shape[axis] === null ? null : Array.from({ length: shape[axis] as number }, (_, i) => i), keep: true });
      }
      continue;
    }
    const length = shape[axis];
    if ('index' in item) {
      if (length !== null) {
        const i = item.index < 0 ? item.index + length : item.index;
        if (i < 0 || i >= length) throw new UnsupportedFeatureError(`${opLabel(layer)} takes index ${item.index} of axis ${axis}, whose size is ${length}.`);
        sel.axes.push({ pick: [i], keep: false });
      } else sel.axes.push({ pick: null, keep: false });
    } else {
      sel.order.push(axis);
      sel.axes.push({ pick: length === null ? null : sliceIndices(item, length), keep: true });
    }
    axis++;
  }
  if (sel.order.length > MAX_RANK) throw new UnsupportedFeatureError(`${opLabel(layer)} would make a ${sel.order.length}-D tensor, more than the ${MAX_RANK} axes this tool handles.`);
  return sel;
}

function outShape(sel: Selection): Shape {
  return sel.order.map((o) => (o === 'new' ? 1 : sel.axes[o].pick === null ? null : sel.axes[o].pick!.length));
}

const keyOf = <T>(layer: LayerNode, ops: ReturnType<typeof operands<T>>): unknown => {
  const k = ops[1];
  if ('input' in k) throw new UnsupportedFeatureError(`${opLabel(layer)} indexes by a tensor, which this tool does not compute.`);
  return k.value;
};

/** One key item as Python source, from checked numbers only. */
function pyItem(item: KeyItem): string {
  if (item === 'ellipsis') return 'Ellipsis';
  if (item === 'newaxis') return 'None';
  if ('index' in item) return String(item.index);
  const n = (v: number | null) => (v === null ? 'None' : String(v));
  return `slice(${n(item.start)}, ${n(item.stop)}, ${n(item.step)})`;
}

export const opsGetItem: LayerKind = {
  classNames: ['ops.numpy.GetItem'],
  outputShape(layer, inputs) {
    const ops = operands(layer, inputs, undefined, [2]);
    return { shapes: [outShape(select(layer, tensorOperand(layer, ops[0]), keyOf(layer, ops)))] };
  },
  params() {
    return null;
  },
  forward(layer, inputs) {
    const ops = operands(layer, inputs.tensors, inputs.args, [2]);
    const x = tensorOperand(layer, ops[0]);
    const sel = select(layer, x.shape, keyOf(layer, ops));
    const shape = outShape(sel) as number[];
    const size = shape.reduce((a, d) => a * d, 1);
    const data = new Float64Array(size);
    // Walk the picked indices of every input axis in order (new axes have size 1 and change no order).
    const rank = x.shape.length;
    const strides = new Array<number>(rank);
    let acc = 1;
    for (let d = rank - 1; d >= 0; d--) {
      strides[d] = acc;
      acc *= x.shape[d];
    }
    const picks = sel.axes.map((a) => a.pick!);
    if (size > 0) {
      const idx = new Array<number>(rank).fill(0);
      for (let o = 0; o < size; o++) {
        let src = 0;
        for (let d = 0; d < rank; d++) src += picks[d][idx[d]] * strides[d];
        data[o] = x.data[src];
        for (let d = rank - 1; d >= 0; d--) {
          if (++idx[d] < picks[d].length) break;
          idx[d] = 0;
        }
      }
    }
    return { tensors: [{ shape, data }], masks: [null] };
  },
  numpy(layer, call, inputs, cx, target) {
    const ops = operands(layer, inputs.vars, call.args, [2]);
    const items = keyItems(layer, keyOf(layer, ops));
    cx.out.push(`${target} = ${tensorOperand(layer, ops[0])}[(${items.map(pyItem).join(', ')},)]`);
    return { vars: [target], masks: ['None'] };
  },
};
