// What the Keras 3 op layers share (`keras.ops.not_equal(x, 0)` in a functional model): their positional arguments,
// each an input tensor or a constant from the config; constants as tensors; NumPy-style broadcasting over every axis,
// batch included (ops, unlike merge layers, see the batch axis). Ops carry no masks, as in Keras.

import { UnsupportedFeatureError } from '../errors';
import { strides } from './common';
import { MAX_RANK, checkDim, isWhole } from '../limits';
import type { CallArg, LayerNode } from '../model';
import { showName } from '../safeText';
import type { Shape } from '../shapes';
import type { Tensor } from '../tensor';
import { pyFloat } from './numpyEmit';

/** One positional argument resolved: an input (tensor or shape) or a constant as the config stored it. */
export type Operand<T> = { input: T } | { value: unknown };

/** Constants an op call may hold in its config; the whole JSON is in memory already, this only bounds the copy. */
const MAX_CONSTANT_VALUES = 1_000_000;

const opName = (layer: LayerNode): string => layer.className.replace(/^ops\.[a-z_]+\./, '');

/** "The op layer "x" (keras.ops.numpy.NotEqual)", the way every op message names its layer. */
export function opLabel(layer: LayerNode): string {
  return `The op layer "${showName(layer.name)}" (${showName(layer.className, 60)})`;
}

/**
 * The positional arguments of a call: as the config stored them, else (a call built without them, e.g. a test or an
 * older reader) the inputs in order. Ops are called once each, so the shape rule reads the first call's.
 */
export function operands<T>(layer: LayerNode, inputs: readonly T[], args: readonly CallArg[] | undefined, counts: readonly number[]): Operand<T>[] {
  const list = args ?? layer.calls[0]?.args ?? inputs.map((_, i) => ({ input: i }));
  if (!counts.includes(list.length)) {
    throw new UnsupportedFeatureError(`${opLabel(layer)} is called with ${list.length} positional arguments where ${opName(layer)} takes ${counts.join(' or ')}.`);
  }
  return list.map((a) => {
    if (!('input' in a)) return { value: a.value };
    const x = inputs[a.input];
    if (x === undefined) throw new UnsupportedFeatureError(`${opLabel(layer)} refers to input ${a.input}, which its call does not have.`);
    return { input: x };
  });
}

/** The operand that must be a tensor (the `x` of expand_dims, cast, x[...]). */
export function tensorOperand<T>(layer: LayerNode, op: Operand<T>, what = 'its first argument'): T {
  if ('input' in op) return op.input;
  throw new UnsupportedFeatureError(`${opLabel(layer)} has a constant as ${what} where a tensor is expected.`);
}

/** A constant number from the config: JSON numbers and booleans (True is 1, as NumPy counts it). */
function constantNumber(layer: LayerNode, v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const shown = v === '<tensor>' ? 'a tensor nested in a list' : showName(JSON.stringify(v) ?? String(v), 40);
  throw new UnsupportedFeatureError(`${opLabel(layer)} has the argument ${shown}, which is not a number this tool can compute with.`);
}

/** A constant argument (a number, a nested list, or Keras's `__numpy__`/`__tensor__` wrapper) as a tensor. */
export function constantTensor(layer: LayerNode, v: unknown): Tensor {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as { class_name?: unknown; config?: { value?: unknown } };
    if ((o.class_name === '__numpy__' || o.class_name === '__tensor__') && o.config && typeof o.config === 'object') v = o.config.value;
  }
  const shape: number[] = [];
  for (let x = v; Array.isArray(x); x = x[0]) {
    if (shape.length >= MAX_RANK) throw new UnsupportedFeatureError(`${opLabel(layer)} has a constant nested more than ${MAX_RANK} lists deep.`);
    shape.push(checkDim(x.length, `A constant of ${opLabel(layer)} has a list whose length`, { min: 0, max: MAX_CONSTANT_VALUES }));
  }
  const size = shape.reduce((a, d) => a * d, 1);
  if (size > MAX_CONSTANT_VALUES) throw new UnsupportedFeatureError(`${opLabel(layer)} has a constant of more than ${MAX_CONSTANT_VALUES.toLocaleString('en-US')} values.`);
  const data = new Float64Array(size);
  let k = 0;
  // Iterative walk, checking every list has the length its first sibling has (a ragged list is no tensor).
  const stack: Array<[unknown, number]> = [[v, 0]];
  while (stack.length) {
    const [x, depth] = stack.pop()!;
    if (depth === shape.length) {
      data[k++] = constantNumber(layer, x);
      continue;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) throw new UnsupportedFeatureError(`${opLabel(layer)} has a constant whose nested lists differ in length.`);
    for (let i = x.length - 1; i >= 0; i--) stack.push([x[i], depth + 1]);
  }
  return { shape, data };
}

/** The shape of an operand for the shape rule: an input's, or the constant's. */
export function operandShape(layer: LayerNode, op: Operand<Shape>): Shape {
  return 'input' in op ? op.input : constantTensor(layer, op.value).shape;
}

/** Keras's broadcast_shapes: trailing-aligned; an unknown dim against 1 stays unknown, against k > 1 becomes k. */
export function broadcastShapes(layer: LayerNode, a: Shape, b: Shape): Shape {
  const rank = Math.max(a.length, b.length);
  const x: Shape = [...new Array<number>(rank - a.length).fill(1), ...a];
  const y: Shape = [...new Array<number>(rank - b.length).fill(1), ...b];
  return x.map((d, i) => {
    const e = y[i];
    if (d === 1) return e;
    if (d === null) return e === 1 ? null : e;
    if (e === 1 || e === null || e === d) return d;
    throw new UnsupportedFeatureError(`${opLabel(layer)} cannot broadcast shapes (${a.map(String).join(', ')}) and (${b.map(String).join(', ')}).`);
  });
}

/** `fn(a, b)` elementwise with NumPy broadcasting over every axis. */
export function broadcastBinary(layer: LayerNode, a: Tensor, b: Tensor, fn: (x: number, y: number) => number): Tensor {
  const shape = broadcastShapes(layer, a.shape, b.shape) as number[];
  const rank = shape.length;
  // A broadcast axis reads the same element again: stride 0.
  const stepOf = (t: Tensor): number[] => {
    const s = strides(t.shape);
    const pad = rank - t.shape.length;
    return shape.map((_, i) => (i < pad || t.shape[i - pad] === 1 ? 0 : s[i - pad]));
  };
  const sa = stepOf(a);
  const sb = stepOf(b);
  const size = shape.reduce((p, d) => p * d, 1);
  const out = new Float64Array(size);
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let o = 0; o < size; o++) {
    out[o] = fn(a.data[ia], b.data[ib]);
    for (let d = rank - 1; d >= 0; d--) {
      ia += sa[d];
      ib += sb[d];
      if (++idx[d] < shape[d]) break;
      ia -= sa[d] * shape[d];
      ib -= sb[d] * shape[d];
      idx[d] = 0;
    }
  }
  return { shape, data: out };
}

/** An axis from the config (`axis`, `axes`), checked to be a whole number in [-rank, rank). */
export function opAxis(layer: LayerNode, v: unknown, rank: number, what: string): number {
  if (!isWhole(v, -rank, rank - 1)) {
    throw new UnsupportedFeatureError(`${opLabel(layer)} has ${what} ${showName(JSON.stringify(v) ?? String(v), 40)}, which is not an axis of its ${rank}-D input.`);
  }
  return v < 0 ? v + rank : v;
}

/** A constant as a Python literal for the NumPy export: a float, or a float64 array of checked numbers. */
export function pyConstant(layer: LayerNode, v: unknown): string {
  const t = constantTensor(layer, v);
  if (t.shape.length === 0) return pyFloat(t.data[0]);
  let k = 0;
  const nest = (depth: number): string => {
    if (depth === t.shape.length) return pyFloat(t.data[k++]);
    const parts: string[] = [];
    for (let i = 0; i < t.shape[depth]; i++) parts.push(nest(depth + 1));
    return `[${parts.join(', ')}]`;
  };
  return `np.array(${nest(0)}, dtype=np.float64)`;
}
