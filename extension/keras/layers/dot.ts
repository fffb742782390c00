// Dot: per sample, the dot product of two tensors along one axis each (Keras batch_dot). For N×D with
// N×D and axes=1 that is one number per sample (N×1); with normalize=True it is the cosine similarity.

import { InputError, UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { Shape } from '../shapes';
import type { Tensor } from '../tensor';
import type { LayerKind } from './types';
import { strides } from './common';
import { showName } from '../safeText';
import { cfg, pyInts, type NumpyEmitter } from './numpyEmit';

function axesOf(layer: LayerNode, rank1: number, rank2: number): [number, number] {
  const a = layer.config.axes ?? -1;
  const pair = Array.isArray(a) ? a.map(Number) : [Number(a), Number(a)];
  if (pair.length !== 2 || pair.some((x) => !Number.isInteger(x))) {
    throw new UnsupportedFeatureError(`Dot "${showName(layer.name)}" has axes ${JSON.stringify(a)}; it needs one integer or a pair.`);
  }
  const out: [number, number] = [pair[0] < 0 ? pair[0] + rank1 : pair[0], pair[1] < 0 ? pair[1] + rank2 : pair[1]];
  if (out[0] <= 0 || out[0] >= rank1 || out[1] <= 0 || out[1] >= rank2) {
    throw new UnsupportedFeatureError(`Dot "${showName(layer.name)}" axes ${JSON.stringify(a)} do not name non-batch axes of inputs of rank ${rank1} and ${rank2}.`);
  }
  return out;
}

function two<T>(layer: LayerNode, xs: T[]): [T, T] {
  if (xs.length !== 2) throw new UnsupportedFeatureError(`Dot "${showName(layer.name)}" needs exactly 2 inputs, got ${xs.length}.`);
  return [xs[0], xs[1]];
}

/** L2-normalizes along `axis` (Keras 2: x/sqrt(max(sum x², 1e-12)); Keras 3: x·min(rsqrt(sum x²), 1e7)). */
function l2normalize(t: Tensor, axis: number, kerasMajor: number): Tensor {
  const str = strides(t.shape)[axis];
  const len = t.shape[axis];
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    if (Math.floor(i / str) % len !== 0) continue; // visit each fibre once, from its first element
    let ss = 0;
    for (let j = 0; j < len; j++) ss += t.data[i + j * str] ** 2;
    const inv = kerasMajor >= 3 ? Math.min(1 / Math.sqrt(ss), 1e7) : 1 / Math.sqrt(Math.max(ss, 1e-12));
    for (let j = 0; j < len; j++) out[i + j * str] = t.data[i + j * str] * inv;
  }
  return { shape: t.shape, data: out };
}

function outShape(s1: Shape, s2: Shape, a1: number, a2: number): Shape {
  const out = [...s1.slice(0, a1), ...s1.slice(a1 + 1), ...s2.slice(1, a2), ...s2.slice(a2 + 1)];
  return out.length === 1 ? [...out, 1] : out;
}

/** The NumPy export: per-sample tensordot over the two axes, optionally L2-normalized first. */
const numpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const rawAxes = cfg(layer, 'axes', -1);
  const axes = pyInts(Array.isArray(rawAxes) ? rawAxes : [rawAxes, rawAxes], 'axes', layer.name);
  if (axes.length !== 2) throw new UnsupportedFeatureError(`The Dot layer "${showName(layer.name)}" needs two axes, so it cannot be exported.`);
  const [a, b] = inputs.vars;
  const normalize = cfg(layer, 'normalize', false) === true;
  cx.out.push(`dot_axes = (${axes[0]} % ${a}.ndim, ${axes[1]} % ${b}.ndim)`);
  const xa = normalize ? `(${a} / np.maximum(np.linalg.norm(${a}, axis=dot_axes[0], keepdims=True), 1e-12))` : a;
  const xb = normalize ? `(${b} / np.maximum(np.linalg.norm(${b}, axis=dot_axes[1], keepdims=True), 1e-12))` : b;
  cx.out.push(`${target} = np.stack([np.tensordot(p, q, axes=(dot_axes[0] - 1, dot_axes[1] - 1)) for p, q in zip(${xa}, ${xb})])  # per-sample dot`);
  cx.out.push(`${target} = ${target}.reshape(-1, 1) if ${target}.ndim == 1 else ${target}`);
  return { vars: [target], masks: ['None'] };
};

export const dot: LayerKind = {
  classNames: ['Dot'],
  python: { positional: ['axes', 'normalize'] },
  outputShape(layer, inputs) {
    const [s1, s2] = two(layer, inputs);
    const [a1, a2] = axesOf(layer, s1.length, s2.length);
    if (s1[a1] !== null && s2[a2] !== null && s1[a1] !== s2[a2]) {
      throw new InputError(`Dot "${showName(layer.name)}" multiplies axis ${a1} of size ${s1[a1]} with axis ${a2} of size ${s2[a2]}; they must match.`);
    }
    return { shapes: [outShape(s1, s2, a1, a2)] };
  },
  params() {
    return null;
  },
  forward(layer, inputs, ctx) {
    let [x, y] = two(layer, inputs.tensors);
    const [a1, a2] = axesOf(layer, x.shape.length, y.shape.length);
    if (x.shape[a1] !== y.shape[a2]) {
      throw new InputError(`Dot "${showName(layer.name)}" multiplies axis ${a1} of size ${x.shape[a1]} with axis ${a2} of size ${y.shape[a2]}; they must match.`);
    }
    if (x.shape[0] !== y.shape[0]) throw new InputError(`Dot "${showName(layer.name)}" inputs have different numbers of samples.`);
    if (layer.config.normalize === true) {
      x = l2normalize(x, a1, ctx.kerasMajor);
      y = l2normalize(y, a2, ctx.kerasMajor);
    }
    const N = x.shape[0];
    const K = x.shape[a1];
    const xStr = strides(x.shape);
    const yStr = strides(y.shape);
    const xRest = x.shape.map((_, i) => i).filter((i) => i !== 0 && i !== a1);
    const yRest = y.shape.map((_, i) => i).filter((i) => i !== 0 && i !== a2);
    const xCount = xRest.reduce((p, i) => p * x.shape[i], 1);
    const yCount = yRest.reduce((p, i) => p * y.shape[i], 1);
    const offsets = (rest: number[], shape: number[], str: number[], count: number): Int32Array => {
      const o = new Int32Array(count);
      for (let c = 0; c < count; c++) {
        let rem = c;
        let off = 0;
        for (let r = rest.length - 1; r >= 0; r--) {
          off += (rem % shape[rest[r]]) * str[rest[r]];
          rem = Math.floor(rem / shape[rest[r]]);
        }
        o[c] = off;
      }
      return o;
    };
    const xo = offsets(xRest, x.shape, xStr, xCount);
    const yo = offsets(yRest, y.shape, yStr, yCount);
    const out = new Float64Array(N * xCount * yCount);
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < xCount; i++) {
        for (let j = 0; j < yCount; j++) {
          let s = 0;
          const xb = n * xStr[0] + xo[i];
          const yb = n * yStr[0] + yo[j];
          for (let k = 0; k < K; k++) s += x.data[xb + k * xStr[a1]] * y.data[yb + k * yStr[a2]];
          out[(n * xCount + i) * yCount + j] = s;
        }
      }
    }
    const shape = outShape(x.shape, y.shape, a1, a2) as number[];
    return { tensors: [{ shape, data: out }], masks: [null] };
  },
  numpy,
};
