// MaxPooling1D / AveragePooling1D over time: windows of pool_size steps every `strides` steps.
// "same" pads like TensorFlow (extra step at the end); padded steps never win a max and are left out
// of an average's count.

import { InputError, UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { Tensor } from '../tensor';
import type { LayerKind } from './types';
import { configInt, configString, configValue, oneInput, oneTensor, transpose } from './common';
import { convLength, leftPad } from './conv1d';
import { showName } from '../safeText';
import { cfg, cfgChoice, cfgInt, one, word, type NumpyEmitter } from './numpyEmit';
import { pyStr } from '../safeText';

interface PoolSettings {
  size: number;
  stride: number;
  padding: 'valid' | 'same';
  channelsFirst: boolean;
}

function settings(layer: LayerNode): PoolSettings {
  const size = configInt(layer, ['pool_size', 'pool_length'], 2);
  const strideRaw = configValue(layer, ['strides', 'stride']);
  // strides=None means strides=pool_size in every Keras version.
  const stride = strideRaw === null || strideRaw === undefined ? size : configInt(layer, ['strides', 'stride']);
  const padding = configString(layer, ['padding', 'border_mode'], 'valid').toLowerCase();
  if (padding !== 'valid' && padding !== 'same') {
    throw new UnsupportedFeatureError(`${showName(layer.className)} "${showName(layer.name)}" uses padding "${padding}"; only valid and same are supported.`);
  }
  return { size, stride, padding, channelsFirst: configString(layer, ['data_format'], 'channels_last') === 'channels_first' };
}

/** The Python loop the NumPy export defines for 1-D pooling. */
const RUN_POOL1D = `def run_pool1d(x, size, strides, padding, kind):
    """Max or average pooling over time (N×T×C). 'same' pads so that T_out = ceil(T / strides);
    the average counts only real (unpadded) steps, as Keras does."""
    N, T, C = x.shape
    if padding == 'same':
        T_out = -(-T // strides)
        pad = max((T_out - 1) * strides + size - T, 0)
        left = pad // 2
    else:
        T_out = (T - size) // strides + 1
        left = 0
    y = np.zeros((N, T_out, C))
    for t in range(T_out):
        lo = max(t * strides - left, 0)
        hi = min(t * strides - left + size, T)
        window = x[:, lo:hi]
        y[:, t] = window.max(axis=1) if kind == 'max' else window.mean(axis=1)
    return y`;

/** The NumPy export: one call of run_pool1d (below). */
const numpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  if (cfg(layer, 'data_format', 'channels_last') !== 'channels_last') {
    throw new UnsupportedFeatureError(`The NumPy export handles ${word(layer.className)} with channels_last only ("${showName(layer.name)}").`);
  }
  const size = cfg(layer, 'pool_size', null) === null ? cfgInt(layer, 'pool_length', 2) : cfgInt(layer, 'pool_size', 2);
  const strides = cfg(layer, 'strides', null) === null ? size : cfgInt(layer, 'strides', 1);
  const padding = cfgChoice(layer, ['padding', 'border_mode'], 'valid', ['valid', 'same']);
  cx.helpers.add('run_pool1d');
  const kind = layer.className.startsWith('Max') ? 'max' : 'average';
  cx.out.push(`${target} = run_pool1d(${one(layer, inputs)}, size=${size}, strides=${strides}, padding=${pyStr(padding)}, kind='${kind}')`);
  return { vars: [target], masks: ['None'] };
};

export const pooling1d: LayerKind = {
  classNames: ['MaxPooling1D', 'AveragePooling1D', 'MaxPool1D', 'AvgPool1D'],
  python: { positional: ['pool_size', 'strides', 'padding', 'data_format'] },
  keras1: { keys: { pool_length: 'pool_size', stride: 'strides', border_mode: 'padding' } },
  outputShape(layer, inputs) {
    const shape = oneInput(layer, inputs);
    if (shape.length !== 3) throw new UnsupportedFeatureError(`${showName(layer.className)} "${showName(layer.name)}" needs an N×T×D input, got rank ${shape.length}.`);
    const s = settings(layer);
    const L = s.channelsFirst ? shape[2] : shape[1];
    const out = convLength(L, s.size, s.stride, 1, s.padding);
    return { shapes: [s.channelsFirst ? [shape[0], shape[1], out] : [shape[0], out, shape[2]]] };
  },
  params() {
    return null;
  },
  forward(layer, inputs) {
    const s = settings(layer);
    let x: Tensor = oneTensor(layer, inputs.tensors);
    if (x.shape.length !== 3) throw new InputError(`${showName(layer.className)} "${showName(layer.name)}" needs an N×T×D input, got shape [${x.shape.join(', ')}].`);
    if (s.channelsFirst) x = transpose(x, [0, 2, 1]);
    const [N, L, D] = x.shape;
    const outL = convLength(L, s.size, s.stride, 1, s.padding) as number;
    if (outL <= 0) throw new InputError(`${showName(layer.className)} "${showName(layer.name)}" needs at least ${s.size} time steps; the input has ${L}.`);
    const pad = leftPad(L, s.size, s.stride, 1, s.padding);
    const isMax = layer.className.startsWith('Max');
    const out = new Float64Array(N * outL * D);
    for (let n = 0; n < N; n++) {
      for (let t = 0; t < outL; t++) {
        const start = Math.max(0, t * s.stride - pad);
        const end = Math.min(L, t * s.stride - pad + s.size);
        const yo = (n * outL + t) * D;
        for (let d = 0; d < D; d++) {
          let acc = isMax ? -Infinity : 0;
          for (let i = start; i < end; i++) {
            const v = x.data[(n * L + i) * D + d];
            acc = isMax ? (v > acc || Number.isNaN(v) ? v : acc) : acc + v;
          }
          out[yo + d] = isMax ? acc : acc / (end - start);
        }
      }
    }
    let y: Tensor = { shape: [N, outL, D], data: out };
    if (s.channelsFirst) y = transpose(y, [0, 2, 1]);
    return { tensors: [y], masks: [null] };
  },
  numpy,
  numpyHelpers: { run_pool1d: RUN_POOL1D },
};
