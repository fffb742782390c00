// BatchNormalization at inference: y = gamma·(x - moving_mean)/sqrt(moving_variance + epsilon) + beta per
// channel of `axis`. gamma and beta are learned (trainable); the moving statistics are running averages
// collected during training (non-trainable, but stored and counted by Keras).

import { UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { Shape } from '../shapes';
import type { LayerKind, LayerEnv } from './types';
import { configFlag, configValue, findWeight, makeFormula, normalizeAxis, oneInput, oneTensor, strides, weightValues } from './common';
import type { TermSpec } from './common';
import { showName } from '../safeText';
import { cfg, cfgFloat, cfgAxes, needWeight, one, passMask, type NumpyEmitter } from './numpyEmit';

function axisOf(layer: LayerNode, rank: number): number {
  let a = configValue(layer, ['axis']) ?? -1;
  if (Array.isArray(a)) {
    if (a.length !== 1) throw new UnsupportedFeatureError(`BatchNormalization "${showName(layer.name)}" over several axes ${JSON.stringify(a)} is not supported.`);
    a = a[0];
  }
  return normalizeAxis(layer, Number(a), rank);
}

function flags(layer: LayerNode) {
  return {
    center: configFlag(layer, ['center'], true),
    scale: configFlag(layer, ['scale'], true),
    renorm: configFlag(layer, ['renorm'], false),
  };
}

function channels(layer: LayerNode, shape: Shape): number {
  const C = shape[axisOf(layer, shape.length)];
  if (typeof C === 'number') return C;
  const w = findWeight(layer, ['moving_mean'], 0);
  if (w) return w.shape[0];
  throw new UnsupportedFeatureError(`The channel count of BatchNormalization "${showName(layer.name)}" is unknown.`);
}

/** tf.keras (Keras 2) runs rank-4/5 inputs through fused batch norm, which raises epsilon to 1.001e-5. */
function effectiveEpsilon(layer: LayerNode, rank: number, env: LayerEnv): number {
  const eps = Number(configValue(layer, ['epsilon']) ?? 1e-3);
  const fused = configValue(layer, ['fused']);
  if (env.kerasMajor === 2 && (rank === 4 || rank === 5) && fused !== false && eps < 1.001e-5) return 1.001e-5;
  return eps;
}

/** The NumPy export: (x − moving_mean)/√(moving_variance + ε)·gamma + beta over one axis. */
const numpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const axes = cfgAxes(layer);
  if (axes.length !== 1) throw new UnsupportedFeatureError(`The NumPy export handles BatchNormalization over one axis only ("${showName(layer.name)}").`);
  const scale = cfg(layer, 'scale', true) !== false;
  const center = cfg(layer, 'center', true) !== false;
  let pos = 0;
  const gamma = scale ? needWeight(layer, ['gamma'], pos++) : undefined;
  const beta = center ? needWeight(layer, ['beta'], pos++) : undefined;
  const mean = needWeight(layer, ['moving_mean'], pos++);
  const variance = needWeight(layer, ['moving_variance'], pos++);
  const eps = cfgFloat(layer, 'epsilon', 1e-3);
  const x = one(layer, inputs);
  const ax = axes[0];
  const shape = `bn_shape = [1] * ${x}.ndim; bn_shape[${ax}] = -1`;
  cx.out.push(shape);
  cx.out.push(`mean = ${cx.weight(layer, mean)}.reshape(bn_shape)  # moving_mean`);
  cx.out.push(`var = ${cx.weight(layer, variance)}.reshape(bn_shape)  # moving_variance`);
  cx.out.push(`${target} = (${x} - mean) / np.sqrt(var + ${eps})  # inference: the stored moving statistics`);
  if (gamma) cx.out.push(`${target} = ${target} * ${cx.weight(layer, gamma)}.reshape(bn_shape)  # gamma`);
  if (beta) cx.out.push(`${target} = ${target} + ${cx.weight(layer, beta)}.reshape(bn_shape)  # beta`);
  return { vars: [target], masks: passMask(inputs) };
};

export const batchNormalization: LayerKind = {
  classNames: ['BatchNormalization'],
  python: { positional: ['axis', 'momentum', 'epsilon', 'center', 'scale'] },
  keras3WeightNames: ({ config: c }) => [...(c.scale !== false ? ['gamma'] : []), ...(c.center !== false ? ['beta'] : []), 'moving_mean', 'moving_variance'],
  outputShape(layer, inputs) {
    return { shapes: [oneInput(layer, inputs)] };
  },
  params(layer, inputs) {
    const C = channels(layer, oneInput(layer, inputs));
    const { center, scale, renorm } = flags(layer);
    const specs: TermSpec[] = [];
    if (scale) specs.push({ name: 'gamma', shape: [C], trainable: true });
    if (center) specs.push({ name: 'beta', shape: [C], trainable: true });
    specs.push({ name: 'moving_mean', shape: [C], trainable: false }, { name: 'moving_variance', shape: [C], trainable: false });
    if (renorm) {
      for (const name of ['moving_stddev', 'renorm_mean', 'renorm_stddev']) specs.push({ name, shape: [C], trainable: false });
    }
    const parts = [scale ? 'gamma' : null, center ? 'beta' : null].filter(Boolean).join(' and ');
    return makeFormula(
      `${specs.length}·C`,
      { C },
      specs,
      `${parts ? `${parts} (trainable) and ` : ''}moving_mean and moving_variance (non-trainable: updated as running averages, not by gradients), one per channel.`,
    );
  },
  forward(layer, inputs, ctx) {
    const x = oneTensor(layer, inputs.tensors);
    const rank = x.shape.length;
    const axis = axisOf(layer, rank);
    const C = x.shape[axis];
    const { center, scale } = flags(layer);
    let pos = 0;
    const gamma = scale ? weightValues(layer, ['gamma'], pos++, C) : null;
    const beta = center ? weightValues(layer, ['beta'], pos++, C) : null;
    const mean = weightValues(layer, ['moving_mean'], pos++, C);
    const variance = weightValues(layer, ['moving_variance'], pos++, C);
    const eps = effectiveEpsilon(layer, rank, ctx);
    // Per channel: y = x·a + c with a = gamma/sqrt(var+eps), c = beta - mean·a.
    const a = new Float64Array(C);
    const c = new Float64Array(C);
    for (let i = 0; i < C; i++) {
      a[i] = (gamma ? gamma[i] : 1) / Math.sqrt(variance[i] + eps);
      c[i] = (beta ? beta[i] : 0) - mean[i] * a[i];
    }
    const stride = strides(x.shape)[axis];
    const out = new Float64Array(x.data.length);
    for (let i = 0; i < out.length; i++) {
      const ch = Math.floor(i / stride) % C;
      out[i] = x.data[i] * a[ch] + c[ch];
    }
    return { tensors: [{ shape: [...x.shape], data: out }], masks: [inputs.masks[0] ?? null] };
  },
  numpy,
};
