// LayerNormalization: normalizes each sample (each time step) over `axis`, then y = gamma·x̂ + beta.
// Unlike BatchNormalization there are no stored statistics: mean and variance come from the input itself.
// Keras 3's rms_scaling=True computes y = x·rsqrt(var(x) + ε)·gamma: the variance about the mean, yet x is not
// centred and there is no beta (Keras 3.0 to 3.16 alike; Keras warns the name promises a root mean square it is not).

import { UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { Shape } from '../shapes';
import type { LayerKind } from './types';
import { configFlag, configValue, makeFormula, normalizeAxis, oneInput, oneTensor, strides, weightValues } from './common';
import type { TermSpec } from './common';
import { showName } from '../safeText';
import { cfg, cfgFloat, needWeight, one, passMask, pyInts, type NumpyEmitter } from './numpyEmit';

function axes(layer: LayerNode, rank: number): number[] {
  const a = configValue(layer, ['axis']) ?? -1;
  const list = (Array.isArray(a) ? a : [a]).map((v) => normalizeAxis(layer, Number(v), rank));
  return [...new Set(list)].sort((p, q) => p - q);
}

/** Which weights exist: Keras 3 makes gamma when scale or rms_scaling, and beta only when center without rms_scaling. */
function flags(layer: LayerNode) {
  const rms = configFlag(layer, ['rms_scaling'], false);
  return { rms, center: configFlag(layer, ['center'], true) && !rms, scale: configFlag(layer, ['scale'], true) || rms };
}

function paramShape(layer: LayerNode, shape: Shape): number[] {
  return axes(layer, shape.length).map((ax) => {
    const d = shape[ax];
    if (typeof d !== 'number') throw new UnsupportedFeatureError(`LayerNormalization "${showName(layer.name)}" normalizes over an axis of unknown size.`);
    return d;
  });
}

const numpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const raw = cfg(layer, 'axis', -1);
  const axes = pyInts(Array.isArray(raw) ? raw : [raw], 'an axis', layer.name);
  const { rms, center, scale } = flags(layer);
  let pos = 0;
  const gamma = scale ? needWeight(layer, ['gamma'], pos++) : undefined;
  const beta = center ? needWeight(layer, ['beta'], pos++) : undefined;
  const eps = cfgFloat(layer, 'epsilon', 1e-3);
  const x = one(layer, inputs);
  cx.out.push(`ln_axes = tuple(a % ${x}.ndim for a in (${axes.join(', ')},))`);
  cx.out.push(`var = ${x}.var(axis=ln_axes, keepdims=True)`);
  if (rms) cx.out.push(`${target} = ${x} / np.sqrt(var + ${eps})  # rms_scaling: x is not centred, only its variance is used`);
  else cx.out.push(`${target} = (${x} - ${x}.mean(axis=ln_axes, keepdims=True)) / np.sqrt(var + ${eps})`);
  const pshape = `[${x}.shape[a] if a in ln_axes else 1 for a in range(${x}.ndim)]`;
  if (gamma) cx.out.push(`${target} = ${target} * ${cx.weight(layer, gamma)}.reshape(${pshape})  # gamma`);
  if (beta) cx.out.push(`${target} = ${target} + ${cx.weight(layer, beta)}.reshape(${pshape})  # beta`);
  return { vars: [target], masks: passMask(inputs) };
};

export const layerNormalization: LayerKind = {
  classNames: ['LayerNormalization'],
  keras3WeightNames(layer) {
    const { center, scale } = flags(layer);
    return [...(scale ? ['gamma'] : []), ...(center ? ['beta'] : [])];
  },
  python: { positional: ['axis', 'epsilon', 'center', 'scale', 'rms_scaling'] },
  outputShape(layer, inputs) {
    return { shapes: [oneInput(layer, inputs)] };
  },
  params(layer, inputs) {
    const pshape = paramShape(layer, oneInput(layer, inputs));
    const C = pshape.reduce((p, d) => p * d, 1);
    const { rms, center, scale } = flags(layer);
    const specs: TermSpec[] = [];
    if (scale) specs.push({ name: 'gamma', shape: pshape, trainable: true });
    if (center) specs.push({ name: 'beta', shape: pshape, trainable: true });
    if (specs.length === 0) return null;
    const note = rms
      ? 'rms_scaling: y = x·gamma/√(var(x) + ε), one gamma per feature and no beta; nothing is stored from training data.'
      : 'gamma scales and beta shifts each normalized feature; nothing is stored from training data.';
    return makeFormula(specs.length === 2 ? '2·C' : 'C', { C }, specs, note);
  },
  forward(layer, inputs) {
    const x = oneTensor(layer, inputs.tensors);
    const rank = x.shape.length;
    const ax = axes(layer, rank);
    const { rms, center, scale } = flags(layer);
    const pshape = ax.map((a) => x.shape[a]);
    const C = pshape.reduce((p, d) => p * d, 1);
    let pos = 0;
    const gamma = scale ? weightValues(layer, ['gamma'], pos++, C) : null;
    const beta = center ? weightValues(layer, ['beta'], pos++, C) : null;
    const eps = Number(configValue(layer, ['epsilon']) ?? 1e-3);
    // Move the normalized axes last so each group of C values is contiguous.
    const rest = Array.from({ length: rank }, (_, i) => i).filter((i) => !ax.includes(i));
    const perm = [...rest, ...ax];
    const inStr = strides(x.shape);
    const permShape = perm.map((p) => x.shape[p]);
    const groups = x.data.length / C;
    const out = new Float64Array(x.data.length);
    const offsets = new Int32Array(C);
    const idx = new Array<number>(rank).fill(0);
    const vals = new Float64Array(C);
    for (let g = 0; g < groups; g++) {
      // Decode the group index over the non-normalized axes.
      let rem = g;
      for (let r = rest.length - 1; r >= 0; r--) {
        idx[r] = rem % permShape[r];
        rem = Math.floor(rem / permShape[r]);
      }
      let base = 0;
      for (let r = 0; r < rest.length; r++) base += idx[r] * inStr[perm[r]];
      for (let j = 0; j < C; j++) {
        let rj = j;
        let off = base;
        for (let r = perm.length - 1; r >= rest.length; r--) {
          off += (rj % permShape[r]) * inStr[perm[r]];
          rj = Math.floor(rj / permShape[r]);
        }
        offsets[j] = off;
        vals[j] = x.data[off];
      }
      let mean = 0;
      for (let j = 0; j < C; j++) mean += vals[j];
      mean /= C;
      let variance = 0;
      for (let j = 0; j < C; j++) variance += (vals[j] - mean) ** 2;
      variance /= C;
      const inv = 1 / Math.sqrt(variance + eps);
      // rms_scaling keeps x uncentred (the mean only enters the variance).
      const shift = rms ? 0 : mean;
      for (let j = 0; j < C; j++) {
        out[offsets[j]] = (vals[j] - shift) * inv * (gamma ? gamma[j] : 1) + (beta ? beta[j] : 0);
      }
    }
    return { tensors: [{ shape: [...x.shape], data: out }], masks: [inputs.masks[0] ?? null] };
  },
  numpy,
};
