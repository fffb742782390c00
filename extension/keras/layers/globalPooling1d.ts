// GlobalAveragePooling1D / GlobalMaxPooling1D: one number per feature over all time steps.
// The average respects a time mask the way Keras does (sum of unmasked steps / their count);
// the max ignores masks. Neither emits a mask.

import { InputError, UnsupportedFeatureError } from '../errors';
import type { Shape } from '../shapes';
import type { LayerKind } from './types';
import { configFlag, configString, maskFits, oneInput, oneTensor, transpose } from './common';
import { showName } from '../safeText';
import { cfg, one, type NumpyEmitter } from './numpyEmit';

/** The NumPy export: max or mean over time (the mean over unmasked steps when a mask comes in). */
const numpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const axis = cfg(layer, 'data_format', 'channels_last') === 'channels_first' ? 2 : 1;
  const keep = cfg(layer, 'keepdims', false) === true ? ', keepdims=True' : '';
  const x = one(layer, inputs);
  const mask = inputs.masks[0] ?? 'None';
  if (layer.className.includes('Max')) {
    cx.out.push(`${target} = ${x}.max(axis=${axis}${keep})`);
  } else if (mask !== 'None' && axis === 1) {
    cx.out.push(`# average over the unmasked steps only`);
    cx.out.push(`${target} = (${x} * ${mask}[..., None]).sum(axis=1) / ${mask}.sum(axis=1)[:, None]`);
    if (keep) cx.out.push(`${target} = ${target}[:, None, :]`);
  } else {
    cx.out.push(`${target} = ${x}.mean(axis=${axis}${keep})`);
  }
  return { vars: [target], masks: ['None'] };
};

export const globalPooling1d: LayerKind = {
  classNames: ['GlobalAveragePooling1D', 'GlobalMaxPooling1D', 'GlobalAvgPool1D', 'GlobalMaxPool1D'],
  python: { positional: ['data_format', 'keepdims'] },
  outputShape(layer, inputs) {
    const shape = oneInput(layer, inputs);
    if (shape.length !== 3) throw new UnsupportedFeatureError(`${showName(layer.className)} "${showName(layer.name)}" needs an N×T×D input, got rank ${shape.length}.`);
    const channelsFirst = configString(layer, ['data_format'], 'channels_last') === 'channels_first';
    const C = channelsFirst ? shape[1] : shape[2];
    const keep = configFlag(layer, ['keepdims'], false);
    const out: Shape = keep ? (channelsFirst ? [shape[0], C, 1] : [shape[0], 1, C]) : [shape[0], C];
    return { shapes: [out] };
  },
  params() {
    return null;
  },
  forward(layer, inputs) {
    let x = oneTensor(layer, inputs.tensors);
    if (x.shape.length !== 3) throw new InputError(`${showName(layer.className)} "${showName(layer.name)}" needs an N×T×D input, got shape [${x.shape.join(', ')}].`);
    const channelsFirst = configString(layer, ['data_format'], 'channels_last') === 'channels_first';
    if (channelsFirst) x = transpose(x, [0, 2, 1]);
    const [N, T, D] = x.shape;
    const isMax = layer.className.includes('Max');
    const mask = !isMax && maskFits(inputs.masks[0], x) ? inputs.masks[0] : null;
    const out = new Float64Array(N * D);
    for (let n = 0; n < N; n++) {
      for (let d = 0; d < D; d++) {
        let acc = isMax ? -Infinity : 0;
        let count = 0;
        for (let t = 0; t < T; t++) {
          const v = x.data[(n * T + t) * D + d];
          if (isMax) {
            if (v > acc || Number.isNaN(v)) acc = v;
          } else if (!mask || mask.data[n * T + t]) {
            acc += v;
            count++;
          }
        }
        // A fully masked sample gives 0/0 = NaN, exactly as Keras does.
        out[n * D + d] = isMax ? acc : acc / count;
      }
    }
    const keep = configFlag(layer, ['keepdims'], false);
    const shape = keep ? (channelsFirst ? [N, D, 1] : [N, 1, D]) : [N, D];
    return { tensors: [{ shape, data: out }], masks: [null] };
  },
  numpy,
};
