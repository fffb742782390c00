// Activation layer (and the Keras advanced-activation layers ReLU, LeakyReLU, ELU, Softmax,
// ThresholdedReLU): elementwise, or softmax over the configured axis or axes; shape and mask pass through.

import { UnsupportedFeatureError } from '../errors';
import { applyActivation } from '../activations';
import type { LayerNode } from '../model';
import type { Tensor } from '../tensor';
import type { LayerKind } from './types';
import { normalizeAxis, oneInput, oneTensor, strides } from './common';
import { showName } from '../safeText';
import { cfg, configNumber, one, passMask, pyFloat, pyInts, type NumpyEmitter } from './numpyEmit';

/** The activation spec a layer applies, in the form activations.ts understands. */
function activationSpec(layer: LayerNode): unknown {
  const c = layer.config;
  switch (layer.className) {
    case 'Activation':
      return c.activation ?? 'linear';
    case 'ReLU': {
      // Keras 2 ReLU has negative_slope, Keras 3 too; max_value null means no cap.
      return { class_name: 'relu', config: { negative_slope: c.negative_slope ?? 0, max_value: c.max_value ?? null, threshold: c.threshold ?? 0 } };
    }
    case 'LeakyReLU':
      // Keras 2 names the slope `alpha` (default 0.3), Keras 3 `negative_slope` (default 0.3).
      return { class_name: 'leaky_relu', config: { negative_slope: c.negative_slope ?? c.alpha ?? 0.3 } };
    case 'ELU':
      return { class_name: 'elu', config: { alpha: c.alpha ?? 1 } };
    case 'ThresholdedReLU': {
      const theta = Number(c.theta ?? 1);
      return { class_name: 'thresholded', config: { theta } };
    }
    default:
      throw new UnsupportedFeatureError(`The layer "${showName(layer.name)}" (${showName(layer.className)}) is not an activation layer.`);
  }
}

/** The Softmax layer's axes as 0..rank-1, sorted: Keras takes an int or a list, negative counting from the end. */
function softmaxAxes(layer: LayerNode, rank: number): number[] {
  const raw = layer.config.axis ?? -1;
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || list.some((a) => typeof a !== 'number' || !Number.isInteger(a))) {
    throw new UnsupportedFeatureError(`The Softmax layer "${showName(layer.name)}" has axis ${showName(JSON.stringify(raw) ?? String(raw), 40)}; Keras needs a whole number or a list of them.`);
  }
  const axes = list.map((a) => normalizeAxis(layer, a as number, rank));
  if (new Set(axes).size !== axes.length) {
    throw new UnsupportedFeatureError(`The Softmax layer "${showName(layer.name)}" names the same axis twice in ${showName(JSON.stringify(raw), 40)}; give each axis once.`);
  }
  return axes.sort((a, b) => a - b);
}

/** Keras Softmax over `axes`: exp(x − max) / Σ exp(x − max) within each group that shares the other indices. */
function softmaxOver(x: Tensor, axes: number[]): Float64Array {
  const rank = x.shape.length;
  const out = new Float64Array(x.data.length);
  const str = strides(x.shape);
  const rest = Array.from({ length: rank }, (_, i) => i).filter((i) => !axes.includes(i));
  const groupSize = axes.reduce((p, a) => p * x.shape[a], 1);
  if (groupSize === 0) return out;
  const groups = x.data.length / groupSize;
  // Offsets of one group's members relative to the group's first element, shared by all groups.
  const offsets = new Float64Array(groupSize);
  for (let j = 0; j < groupSize; j++) {
    let rj = j;
    let off = 0;
    for (let k = axes.length - 1; k >= 0; k--) {
      off += (rj % x.shape[axes[k]]) * str[axes[k]];
      rj = Math.floor(rj / x.shape[axes[k]]);
    }
    offsets[j] = off;
  }
  for (let g = 0; g < groups; g++) {
    let rg = g;
    let base = 0;
    for (let k = rest.length - 1; k >= 0; k--) {
      base += (rg % x.shape[rest[k]]) * str[rest[k]];
      rg = Math.floor(rg / x.shape[rest[k]]);
    }
    let max = -Infinity;
    for (let j = 0; j < groupSize; j++) max = Math.max(max, x.data[base + offsets[j]]);
    let sum = 0;
    for (let j = 0; j < groupSize; j++) sum += Math.exp(x.data[base + offsets[j]] - max);
    for (let j = 0; j < groupSize; j++) out[base + offsets[j]] = Math.exp(x.data[base + offsets[j]] - max) / sum;
  }
  return out;
}

const numpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const x = one(layer, inputs);
  const c = layer.config;
  if (layer.className === 'Softmax') {
    const raw = cfg(layer, 'axis', -1);
    const axes = pyInts(Array.isArray(raw) ? raw : [raw], 'an axis', layer.name);
    cx.helpers.add('softmax_axes');
    cx.out.push(`${target} = softmax_axes(${x}, (${axes.join(', ')},))  # Softmax over the axes ${axes.join(', ')}`);
  } else if (layer.className === 'ThresholdedReLU') {
    const theta = pyFloat(configNumber(c.theta ?? 1, 'a theta', layer.name));
    cx.out.push(`${target} = np.where(${x} > ${theta}, ${x}, 0.0)  # ThresholdedReLU: x where x > theta, else 0`);
  } else {
    cx.out.push(`${target} = ${cx.act(layer.className === 'Activation' ? (c.activation ?? 'linear') : activationSpec(layer))}(${x})`);
  }
  return { vars: [target], masks: passMask(inputs) };
};

export const activation: LayerKind = {
  classNames: ['Activation', 'ReLU', 'LeakyReLU', 'ELU', 'Softmax', 'ThresholdedReLU'],
  python: {
    positional: ['activation'],
    // LeakyReLU's first argument is `negative_slope` in Keras 3 and `alpha` in Keras 2: the same slope.
    positionalOf: { ReLU: ['max_value', 'negative_slope', 'threshold'], LeakyReLU: ['negative_slope'], ELU: ['alpha'], Softmax: ['axis'], ThresholdedReLU: ['theta'] },
  },
  outputShape(layer, inputs) {
    const shape = oneInput(layer, inputs);
    // An axis the input does not have is refused here, as Keras refuses it when the layer is called.
    if (layer.className === 'Softmax') softmaxAxes(layer, shape.length);
    return { shapes: [shape] };
  },
  params() {
    return null;
  },
  forward(layer, inputs, ctx) {
    const x = oneTensor(layer, inputs.tensors);
    if (layer.className === 'Softmax') {
      return { tensors: [{ shape: [...x.shape], data: softmaxOver(x, softmaxAxes(layer, x.shape.length)) }], masks: [inputs.masks[0] ?? null] };
    }
    const data = Float64Array.from(x.data);
    const spec = activationSpec(layer);
    const lastDim = x.shape[x.shape.length - 1] ?? 1;
    if (typeof spec === 'object' && spec && (spec as { class_name: string }).class_name === 'thresholded') {
      // y = x where x > theta, else 0 (Keras ThresholdedReLU).
      const theta = (spec as { config: { theta: number } }).config.theta;
      for (let i = 0; i < data.length; i++) data[i] = data[i] > theta ? data[i] : 0;
    } else {
      applyActivation(spec, data, lastDim, ctx.kerasMajor);
    }
    return { tensors: [{ shape: [...x.shape], data }], masks: [inputs.masks[0] ?? null] };
  },
  numpy,
  numpyHelpers: {
    softmax_axes:
      'def softmax_axes(x, axes):\n    # Keras Softmax(axis): exp(x - max) / sum over the given axes (negative ones count from the end).\n    axes = tuple(a % x.ndim for a in axes)\n    e = np.exp(x - x.max(axis=axes, keepdims=True))\n    return e / e.sum(axis=axes, keepdims=True)',
  },
};
