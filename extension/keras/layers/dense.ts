// Dense: y = act(x·W + b) on the last axis, so on N×T×D input it maps every step the same way
// (that is what Keras does; no TimeDistributed needed). The time mask passes through.

import { applyActivation } from '../activations';
import { InputError, UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { DimLetter, Shape } from '../shapes';
import type { LayerKind } from './types';
import { configFlag, configInt, configValue, findWeight, lastDimOr, makeFormula, oneInput, oneTensor, refuseQuantized, weightValues } from './common';
import { showName } from '../safeText';
import { cfg, dims, weightByAlias, needWeight, one, passMask, type NumpyEmitter } from './numpyEmit';

const KERNEL = ['kernel', 'W'];
const BIAS = ['bias', 'b'];

function units(layer: LayerNode): number {
  // Keras 1 called the output size `output_dim`.
  return configInt(layer, ['units', 'output_dim']);
}

function useBias(layer: LayerNode): boolean {
  return configFlag(layer, ['use_bias', 'bias'], true);
}

function letters(rank: number): DimLetter[] {
  if (rank === 2) return ['N', 'K'];
  if (rank === 3) return ['N', 'T', 'K'];
  return Array.from({ length: rank }, (_, i) => (i === 0 ? 'N' : i === rank - 1 ? 'K' : null));
}

function inputDim(layer: LayerNode, shape: Shape): number {
  const kernel = findWeight(layer, KERNEL, 0);
  const d = lastDimOr(shape, kernel?.shape[0]);
  if (d === null) throw new UnsupportedFeatureError(`The input width of Dense layer "${showName(layer.name)}" is unknown, so its weights cannot be sized.`);
  return d;
}

/** The NumPy export: y = act(x·W + b), written as the notebooks do. */
const numpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const W = needWeight(layer, ['kernel', 'W'], 0);
  const useBias = cfg(layer, 'use_bias', cfg(layer, 'bias', true)) !== false;
  const b = useBias ? weightByAlias(layer, ['bias', 'b'], 1) : undefined;
  const act = cx.act(cfg(layer, 'activation', 'linear'));
  const [D, K] = dims(W.shape, layer.name);
  cx.out.push(`W = ${cx.weight(layer, W)}  # kernel D×K = ${D}×${K}`);
  if (b) cx.out.push(`b = ${cx.weight(layer, b)}  # bias K = ${K}`);
  cx.out.push(`${target} = ${act}(${one(layer, inputs)} @ W${b ? ' + b' : ''})  # Dense: y = act(x·W + b) on the last axis`);
  return { vars: [target], masks: passMask(inputs) };
};

export const dense: LayerKind = {
  classNames: ['Dense'],
  keras1: { keys: { output_dim: 'units' } },
  keras3WeightNames: (layer) => ['kernel', ...(layer.config.use_bias !== false ? ['bias'] : [])],
  python: { positional: ['units', 'activation', 'use_bias'] },
  inputIs: 'features',
  affineOutput: true,
  outputShape(layer, inputs) {
    const shape = oneInput(layer, inputs);
    if (shape.length < 2) throw new UnsupportedFeatureError(`Dense layer "${showName(layer.name)}" needs an input of rank 2 or more.`);
    const out = [...shape.slice(0, -1), units(layer)];
    return { shapes: [out], letters: [letters(out.length)] };
  },
  params(layer, inputs) {
    const D = inputDim(layer, oneInput(layer, inputs));
    const K = units(layer);
    const bias = useBias(layer);
    return makeFormula(
      bias ? 'D·K + K' : 'D·K',
      { D, K },
      [
        { name: 'kernel', shape: [D, K], trainable: true },
        ...(bias ? [{ name: 'bias', shape: [K], trainable: true }] : []),
      ],
      bias ? 'kernel D×K maps each input feature to each output; bias adds one number per output.' : undefined,
    );
  },
  forward(layer, inputs, ctx) {
    refuseQuantized(layer);
    const x = oneTensor(layer, inputs.tensors);
    const D = x.shape[x.shape.length - 1];
    const K = units(layer);
    const kernel = findWeight(layer, KERNEL, 0);
    if (kernel && kernel.shape.length === 2 && kernel.shape[0] !== D) {
      throw new InputError(`Dense layer "${showName(layer.name)}" expects ${kernel.shape[0]} input features but received ${D}.`);
    }
    const W = weightValues(layer, KERNEL, 0, D * K);
    const b = useBias(layer) ? weightValues(layer, BIAS, 1, K) : null;
    const rows = x.data.length / D;
    const out = new Float64Array(rows * K);
    for (let r = 0; r < rows; r++) {
      const xo = r * D;
      const yo = r * K;
      for (let k = 0; k < K; k++) out[yo + k] = b ? b[k] : 0;
      for (let d = 0; d < D; d++) {
        const xv = x.data[xo + d];
        const wo = d * K;
        for (let k = 0; k < K; k++) out[yo + k] += xv * W[wo + k];
      }
    }
    applyActivation(configValue(layer, ['activation']) ?? 'linear', out, K, ctx.kerasMajor);
    return { tensors: [{ shape: [...x.shape.slice(0, -1), K], data: out }], masks: [inputs.masks[0] ?? null] };
  },
  numpy,
};
