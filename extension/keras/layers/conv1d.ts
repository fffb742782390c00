// Conv1D over time: each output step sees k input steps (spaced by dilation_rate) across all D features
// and produces F filters. Padding "valid" shrinks T, "same" keeps ceil(T/stride), "causal" pads only on
// the left by dilation·(k-1) so step t never sees the future.

import { applyActivation } from '../activations';
import { InputError, UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { DimLetter, Dim, Shape } from '../shapes';
import type { Tensor } from '../tensor';
import type { LayerKind } from './types';
import { configFlag, configInt, configString, configValue, findWeight, makeFormula, oneInput, oneTensor, refuseQuantized, transpose, weightValues } from './common';
import { showName } from '../safeText';
import { cfg, cfgChoice, cfgInt, dims, weightByAlias, needWeight, one, type NumpyEmitter } from './numpyEmit';
import { pyStr } from '../safeText';

const KERNEL = ['kernel', 'W'];
const BIAS = ['bias', 'b'];

export interface ConvSettings {
  filters: number;
  k: number;
  stride: number;
  dilation: number;
  padding: 'valid' | 'same' | 'causal';
  groups: number;
  channelsFirst: boolean;
  useBias: boolean;
}

function settings(layer: LayerNode): ConvSettings {
  const padding = configString(layer, ['padding', 'border_mode'], 'valid').toLowerCase();
  if (padding !== 'valid' && padding !== 'same' && padding !== 'causal') {
    throw new UnsupportedFeatureError(`Conv1D "${showName(layer.name)}" uses padding "${padding}"; only valid, same and causal are supported.`);
  }
  const s: ConvSettings = {
    filters: configInt(layer, ['filters', 'nb_filter']),
    k: configInt(layer, ['kernel_size', 'filter_length']),
    stride: configInt(layer, ['strides', 'subsample_length'], 1),
    dilation: configInt(layer, ['dilation_rate'], 1),
    padding,
    groups: configInt(layer, ['groups'], 1),
    channelsFirst: configString(layer, ['data_format'], 'channels_last') === 'channels_first',
    useBias: configFlag(layer, ['use_bias', 'bias'], true),
  };
  if (s.stride > 1 && s.dilation > 1) {
    throw new UnsupportedFeatureError(`Conv1D "${showName(layer.name)}" sets both strides and dilation_rate above 1, which Keras does not allow.`);
  }
  return s;
}

/** Output length for input length L (Keras conv_output_length), null when L is unknown. */
export function convLength(L: Dim, k: number, stride: number, dilation: number, padding: string): Dim {
  if (L === null) return null;
  const span = dilation * (k - 1) + 1;
  const len = padding === 'valid' ? L - span + 1 : L;
  return Math.max(0, Math.floor((len + stride - 1) / stride));
}

/** Steps to pad before the first input step (TF "SAME" puts the odd extra step at the end). */
export function leftPad(L: number, k: number, stride: number, dilation: number, padding: string): number {
  if (padding === 'causal') return dilation * (k - 1);
  if (padding === 'valid') return 0;
  const out = Math.ceil(L / stride);
  const total = Math.max((out - 1) * stride + (k - 1) * dilation + 1 - L, 0);
  return Math.floor(total / 2);
}

function inputChannels(layer: LayerNode, shape: Shape, s: ConvSettings): number {
  const d = s.channelsFirst ? shape[1] : shape[shape.length - 1];
  if (typeof d === 'number') return d;
  const w = findWeight(layer, KERNEL, 0);
  if (w && w.shape.length === 3) return w.shape[1] * s.groups;
  throw new UnsupportedFeatureError(`The input width of Conv1D "${showName(layer.name)}" is unknown, so its weights cannot be sized.`);
}

/** The Python loop the NumPy export defines for Conv1D (TF-style 'same' padding, causal padding on the left). */
const RUN_CONV1D = `def run_conv1d(x, W, b, strides, padding, dilation, act):
    """Conv1D over x (N×T×C): y[n, t, f] = sum_j sum_c x[n, t·s + j·dil, c]·W[j, c, f] + b[f]; W is k×C×F."""
    N, T, C = x.shape
    k, _, F = W.shape
    span = (k - 1) * dilation + 1
    if padding == 'causal':
        x = np.pad(x, ((0, 0), (span - 1, 0), (0, 0)))
    elif padding == 'same':
        out_len = -(-T // strides)
        pad = max((out_len - 1) * strides + span - T, 0)
        x = np.pad(x, ((0, 0), (pad // 2, pad - pad // 2), (0, 0)))
    T_out = (x.shape[1] - span) // strides + 1
    y = np.zeros((N, T_out, F)) + (0.0 if b is None else b)
    for j in range(k):
        start = j * dilation
        y += x[:, start:start + (T_out - 1) * strides + 1:strides] @ W[j]
    return act(y)`;

/** The NumPy export: the weights, then one call of run_conv1d (below) with the checked strides, padding and dilation. */
const numpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  if (cfg(layer, 'data_format', 'channels_last') !== 'channels_last') {
    throw new UnsupportedFeatureError(`The NumPy export handles Conv1D with channels_last only ("${showName(layer.name)}").`);
  }
  if (cfgInt(layer, 'groups', 1) !== '1') throw new UnsupportedFeatureError(`The NumPy export does not handle grouped Conv1D ("${showName(layer.name)}").`);
  const W = needWeight(layer, ['kernel', 'W'], 0);
  const useBias = cfg(layer, 'use_bias', cfg(layer, 'bias', true)) !== false;
  const b = useBias ? weightByAlias(layer, ['bias', 'b'], 1) : undefined;
  const strides = cfg(layer, 'strides', null) === null ? cfgInt(layer, 'subsample_length', 1) : cfgInt(layer, 'strides', 1);
  const dilation = cfgInt(layer, 'dilation_rate', 1);
  const padding = cfgChoice(layer, ['padding', 'border_mode'], 'valid', ['valid', 'same', 'causal']);
  cx.helpers.add('run_conv1d');
  cx.out.push(`W = ${cx.weight(layer, W)}  # kernel k×C×F = ${dims(W.shape, layer.name).join('×')}`);
  cx.out.push(b ? `b = ${cx.weight(layer, b)}  # bias F` : 'b = None');
  cx.out.push(`${target} = run_conv1d(${one(layer, inputs)}, W, b, strides=${strides}, padding=${pyStr(padding)}, dilation=${dilation}, act=${cx.act(cfg(layer, 'activation', 'linear'))})`);
  return { vars: [target], masks: ['None'] };
};

export const conv1d: LayerKind = {
  classNames: ['Conv1D'],
  keras1: {
    classNames: ['Convolution1D', 'AtrousConvolution1D'],
    keys: { nb_filter: 'filters', filter_length: 'kernel_size', border_mode: 'padding', subsample_length: 'strides', atrous_rate: 'dilation_rate' },
  },
  keras3WeightNames: (layer) => ['kernel', ...(layer.config.use_bias !== false ? ['bias'] : [])],
  python: { positional: ['filters', 'kernel_size', 'strides', 'padding'] },
  outputShape(layer, inputs) {
    const shape = oneInput(layer, inputs);
    if (shape.length !== 3) throw new UnsupportedFeatureError(`Conv1D "${showName(layer.name)}" needs an N×T×D input, got rank ${shape.length}.`);
    const s = settings(layer);
    const L = s.channelsFirst ? shape[2] : shape[1];
    const out = convLength(L, s.k, s.stride, s.dilation, s.padding);
    const keepsT = s.padding !== 'valid' ? s.stride === 1 : s.k === 1 && s.stride === 1;
    const tLetter: DimLetter = keepsT ? 'T' : null;
    if (s.channelsFirst) return { shapes: [[shape[0], s.filters, out]], letters: [['N', 'F', tLetter]] };
    return { shapes: [[shape[0], out, s.filters]], letters: [['N', tLetter, 'F']] };
  },
  params(layer, inputs) {
    const s = settings(layer);
    const D = inputChannels(layer, oneInput(layer, inputs), s);
    const F = s.filters;
    const k = s.k;
    const G = s.groups;
    const perGroup = D / G;
    const kernelFormula = G === 1 ? 'k·D·F' : 'k·(D/G)·F';
    const letters: Record<string, number> = G === 1 ? { k, D, F } : { k, D, F, G };
    return makeFormula(
      s.useBias ? `${kernelFormula} + F` : kernelFormula,
      letters,
      [
        { name: 'kernel', shape: [k, perGroup, F], trainable: true },
        ...(s.useBias ? [{ name: 'bias', shape: [F], trainable: true }] : []),
      ],
      'each of the F filters has a k×D window of weights (shared over all time steps) plus one bias.',
    );
  },
  forward(layer, inputs, ctx) {
    refuseQuantized(layer);
    const s = settings(layer);
    let x: Tensor = oneTensor(layer, inputs.tensors);
    if (x.shape.length !== 3) throw new InputError(`Conv1D "${showName(layer.name)}" needs an N×T×D input, got shape [${x.shape.join(', ')}].`);
    if (s.channelsFirst) x = transpose(x, [0, 2, 1]);
    const [N, L, D] = x.shape;
    const { k, stride, dilation, groups, filters: F } = s;
    if (D % groups !== 0 || F % groups !== 0) {
      throw new UnsupportedFeatureError(`Conv1D "${showName(layer.name)}" has groups=${groups}, which does not divide ${D} input channels and ${F} filters.`);
    }
    const Dg = D / groups;
    const Fg = F / groups;
    const kernelRef = findWeight(layer, KERNEL, 0);
    if (ctx.kerasMajor === 1 && kernelRef && kernelRef.shape[0] !== k) {
      throw new UnsupportedFeatureError(`Conv1D "${showName(layer.name)}" stores a Theano-ordered Keras 1 kernel [${kernelRef.shape.join(', ')}], which is not supported.`);
    }
    const W = weightValues(layer, KERNEL, 0, k * Dg * F);
    const b = s.useBias ? weightValues(layer, BIAS, 1, F) : null;
    const outL = convLength(L, k, stride, dilation, s.padding) as number;
    if (outL <= 0) {
      throw new InputError(`Conv1D "${showName(layer.name)}" needs at least ${dilation * (k - 1) + 1} time steps with padding "valid"; the input has ${L}.`);
    }
    const pad = leftPad(L, k, stride, dilation, s.padding);
    const out = new Float64Array(N * outL * F);
    for (let n = 0; n < N; n++) {
      for (let t = 0; t < outL; t++) {
        const yo = (n * outL + t) * F;
        for (let f = 0; f < F; f++) out[yo + f] = b ? b[f] : 0;
        for (let j = 0; j < k; j++) {
          const src = t * stride + j * dilation - pad;
          if (src < 0 || src >= L) continue; // zero padding
          const xo = (n * L + src) * D;
          for (let g = 0; g < groups; g++) {
            for (let c = 0; c < Dg; c++) {
              const xv = x.data[xo + g * Dg + c];
              const wo = (j * Dg + c) * F + g * Fg;
              for (let f = 0; f < Fg; f++) out[yo + g * Fg + f] += xv * W[wo + f];
            }
          }
        }
      }
    }
    applyActivation(configValue(layer, ['activation']) ?? 'linear', out, F, ctx.kerasMajor);
    let y: Tensor = { shape: [N, outL, F], data: out };
    if (s.channelsFirst) y = transpose(y, [0, 2, 1]);
    // Keras Conv1D does not support masking: a mask stops here.
    return { tensors: [y], masks: [null] };
  },
  numpy,
  numpyHelpers: { run_conv1d: RUN_CONV1D },
};
