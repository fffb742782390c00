// Small helpers the non-recurrent layer modules share: reading config values that changed names
// across Keras 1/2/3, finding stored weights, normalizing axes and building explained parameter formulas.

import { InputError, UnsupportedFeatureError } from '../errors';
import { checkDim, isWhole } from '../limits';
import { showName } from '../safeText';
import type { LayerNode, WeightRef } from '../model';
import type { Shape } from '../shapes';
import type { Mask, Tensor } from '../tensor';
import type { ParamFormula, ParamTerm } from './types';

/** The first config value present under any of the given keys (Keras renamed many between versions). */
export function configValue(layer: LayerNode, keys: readonly string[]): unknown {
  for (const k of keys) {
    const v = layer.config[k];
    if (v !== undefined) return v;
  }
  return undefined;
}

/** A boolean config flag with its Keras default. */
export function configFlag(layer: LayerNode, keys: readonly string[], fallback: boolean): boolean {
  const v = configValue(layer, keys);
  return v === undefined || v === null ? fallback : v === true || v === 'true' || v === 1;
}

/**
 * A size from the config (units, filters, kernel_size, n ...), checked before anything is sized by it: a whole number
 * from `min` up, never a float, NaN, string or negative. Keras stores `kernel_size` as `[3]` in Keras 2/3 and `3` in
 * hand-written configs.
 */
export function configInt(layer: LayerNode, keys: readonly string[], fallback?: number, min = 1): number {
  let v = configValue(layer, keys);
  if (Array.isArray(v)) v = v[0];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new UnsupportedFeatureError(`The layer "${showName(layer.name)}" (${showName(layer.className)}) has no "${keys[0]}" in its config.`);
  }
  return checkDim(v, `The "${keys[0]}" of the layer "${showName(layer.name)}" (${showName(layer.className)})`, { min });
}

/** A dimension of a shape the config declares (InputLayer batch_shape, Reshape target_shape): null stays unknown. */
export function configShapeDim(layer: LayerNode, v: unknown, what: string): number | null {
  if (v === null || v === undefined) return null;
  return checkDim(v, `The ${what} of the layer "${showName(layer.name)}" (${showName(layer.className)})`);
}

export function configString(layer: LayerNode, keys: readonly string[], fallback: string): string {
  const v = configValue(layer, keys);
  return typeof v === 'string' ? v : fallback;
}

/**
 * A stored weight by its Keras name (any alias, e.g. Keras 1 `W` for `kernel`), falling back to its position
 * when the file names weights only by position (Keras 3 `vars/0`).
 */
export function findWeight(layer: LayerNode, aliases: readonly string[], position: number): WeightRef | undefined {
  for (const w of layer.weights) if (aliases.includes(w.short)) return w;
  // Keras 1 prefixes the layer name: `dense_1_W`, `convolution1d_1_b`.
  for (const w of layer.weights) {
    if (aliases.some((a) => a.length <= 2 && w.short.endsWith(`_${a}`))) return w;
  }
  const known = new Set(['kernel', 'bias', 'embeddings', 'gamma', 'beta', 'moving_mean', 'moving_variance', 'scale', 'W', 'b']);
  const anyNamed = layer.weights.some((w) => known.has(w.short));
  if (!anyNamed && position < layer.weights.length) return layer.weights[position];
  return undefined;
}

/** Values of a required weight, checked against the size the config implies. */
export function weightValues(layer: LayerNode, aliases: readonly string[], position: number, expectedSize: number): Float32Array {
  const w = findWeight(layer, aliases, position);
  if (!w) {
    throw new UnsupportedFeatureError(
      `The layer "${showName(layer.name)}" (${showName(layer.className)}) has no stored "${aliases[0]}" weight, so it cannot be run.`,
    );
  }
  const values = w.values();
  if (values.length !== expectedSize) {
    throw new UnsupportedFeatureError(
      `The layer "${showName(layer.name)}" stores ${aliases[0]} with ${values.length} values (shape [${w.shape.join(', ')}]) but its config needs ${expectedSize}.`,
    );
  }
  return values;
}

/** A negative or positive axis turned into 0..rank-1, or a clear error. */
export function normalizeAxis(layer: LayerNode, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new UnsupportedFeatureError(`The layer "${showName(layer.name)}" uses axis ${axis}, which does not exist on a rank-${rank} input.`);
  }
  return a;
}

export function oneInput(layer: LayerNode, shapes: Shape[]): Shape {
  if (shapes.length < 1 || !shapes[0]) {
    throw new UnsupportedFeatureError(`The layer "${showName(layer.name)}" (${showName(layer.className)}) received no input shape.`);
  }
  return shapes[0];
}

export function oneTensor(layer: LayerNode, tensors: Tensor[]): Tensor {
  if (tensors.length < 1) throw new InputError(`The layer "${showName(layer.name)}" (${showName(layer.className)}) received no input tensor.`);
  return tensors[0];
}

/** The last dimension when known (it sizes weights), else the given weight's dimension, else null. */
export function lastDimOr(shape: Shape, fromWeight: number | undefined): number | null {
  const d = shape[shape.length - 1];
  if (typeof d === 'number') return d;
  return fromWeight ?? null;
}

export interface TermSpec {
  name: string;
  shape: number[];
  trainable: boolean;
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Replace each single-letter symbol of a formula by its number: `D·K + K` with {D:3,K:2} -> `3·2 + 2`. */
export function substitute(formula: string, letters: Record<string, number>): string {
  return formula.replace(/\b([A-Za-z])\b/g, (m) => (m in letters ? String(letters[m]) : m));
}

/** Builds a ParamFormula from the letter formula, the letter values and the expected weight tensors. */
export function makeFormula(formula: string, letters: Record<string, number>, specs: TermSpec[], note?: string): ParamFormula {
  const terms: ParamTerm[] = specs.map((s) => ({ name: s.name, shape: s.shape, count: product(s.shape), trainable: s.trainable }));
  const total = terms.reduce((a, t) => a + t.count, 0);
  const trainable = terms.filter((t) => t.trainable).reduce((a, t) => a + t.count, 0);
  const out: ParamFormula = {
    formula,
    substituted: `${substitute(formula, letters)} = ${total}`,
    letters,
    terms,
    total,
    trainable,
    nonTrainable: total - trainable,
  };
  if (note) out.note = note;
  return out;
}

/** Row-major strides of a shape. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Transposes a row-major tensor by a permutation of its axes. */
export function transpose(t: Tensor, perm: readonly number[]): Tensor {
  const inShape = t.shape;
  const outShape = perm.map((p) => inShape[p]);
  const inStr = strides(inShape);
  const out = new Float64Array(t.data.length);
  const rank = outShape.length;
  const idx = new Array<number>(rank).fill(0);
  const permStr = perm.map((p) => inStr[p]);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = t.data[src];
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      src += permStr[d];
      if (idx[d] < outShape[d]) break;
      src -= permStr[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return { shape: outShape, data: out };
}

/** Whether a mask lines up with the first two axes (N, T) of a tensor. */
export function maskFits(mask: Mask | null | undefined, t: Tensor): mask is Mask {
  return !!mask && t.shape.length >= 2 && mask.n === t.shape[0] && mask.t === t.shape[1];
}

/** Keras 3 configs carry a DTypePolicy object; quantized policies store int8 kernels we cannot run. */
export function refuseQuantized(layer: LayerNode): void {
  const dtype = layer.config.dtype as Record<string, unknown> | string | undefined;
  const cls = dtype && typeof dtype === 'object' ? String(dtype.class_name ?? '') : '';
  const q = layer.config.quantization_config;
  if (/Quantized/i.test(cls) || (q !== undefined && q !== null)) {
    throw new UnsupportedFeatureError(`The layer "${showName(layer.name)}" is quantized; running quantized weights is not supported.`);
  }
}

/** HDF5/NumPy float types (float16 included), as type codes (`<f4`) or names (`float32`): the only weights the math reads. */
const FLOAT_DTYPE = /^(?:[<>|=]?f(?:2|4|8)|float(?:16|32|64))$/;

const shapeText = (shape: readonly number[]): string => `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;

/** Same shape once size-1 axes are dropped: Keras 1 stores a Conv1D kernel as (k, 1, D, F), laid out as (k, D, F). */
function sameLayout(a: readonly number[], b: readonly number[]): boolean {
  const sa = a.filter((d) => d !== 1);
  const sb = b.filter((d) => d !== 1);
  return sa.length === sb.length && sa.every((d, i) => d === sb[i]);
}

/**
 * The one check of a layer's stored weights against what its config implies, from headers only (no value is read):
 * every weight the formula expects must have that shape and a float type. Returns the sentence naming the layer and
 * both shapes for the first contradiction, or null. A layer whose stored weights do not pair one to one with the
 * formula's (Keras 1 per-gate LSTM weights) is left to its own reader, which names what it cannot use.
 */
export function weightContradiction(layer: LayerNode, formula: ParamFormula): string | null {
  const stored = layer.weights;
  const terms = formula.terms;
  if (stored.length === 0 || stored.length !== terms.length) return null;
  const shorts = stored.map((w) => w.short);
  const unique = new Set(shorts).size === shorts.length;
  const who = `The layer "${showName(layer.name)}" (${showName(layer.className)})`;
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i];
    const byName = unique ? shorts.indexOf(t.name.split('/').pop() ?? t.name) : -1;
    const w = stored[byName >= 0 ? byName : i];
    const what = showName(t.name, 40);
    if (typeof w.dtype !== 'string' || !FLOAT_DTYPE.test(w.dtype)) {
      return `${who} stores ${what} as ${showName(String(w.dtype), 40)}, which is not a float type its math can use; the file is damaged or crafted.`;
    }
    if (!Array.isArray(w.shape) || !w.shape.every((d) => isWhole(d, 0))) {
      return `${who} stores ${what} with a shape that is not a list of whole numbers; the file is damaged or crafted.`;
    }
    // A vector (bias) may be stored flat or split, e.g. GRU's (2, 3M) or CuDNN's (6M,): same values, same order.
    const vectorAlike = t.shape.filter((d) => d !== 1).length <= 1 && sizeOfShape(w.shape) === t.count;
    if (!sameLayout(w.shape, t.shape) && !vectorAlike && !(t.name.endsWith('bias') && sizeOfShape(w.shape) === t.count)) {
      return `${who} stores ${what} with shape ${shapeText(w.shape)}, but its config needs ${shapeText(t.shape)}; the file contradicts itself.`;
    }
  }
  return null;
}

function sizeOfShape(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
