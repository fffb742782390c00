// Permute: reorders the non-batch axes; dims are 1-based as in Keras, e.g. (2, 1) turns N×T×D into N×D×T.

import { UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { LayerKind } from './types';
import { oneInput, oneTensor, transpose } from './common';
import { showName } from '../safeText';
import { cfg, one, pyInts, type NumpyEmitter } from './numpyEmit';

function dims(layer: LayerNode, rank: number): number[] {
  const v = layer.config.dims;
  if (!Array.isArray(v)) throw new UnsupportedFeatureError(`Permute "${showName(layer.name)}" has no dims in its config.`);
  const d = v.map(Number);
  const sorted = [...d].sort((a, b) => a - b);
  if (d.length !== rank - 1 || sorted.some((x, i) => x !== i + 1)) {
    throw new UnsupportedFeatureError(
      `Permute "${showName(layer.name)}" dims ${JSON.stringify(v)} must be a reordering of 1..${rank - 1} for a rank-${rank} input.`,
    );
  }
  return d;
}

/** The NumPy export: the axes after the batch axis reordered by `dims`. */
const numpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const order = pyInts(cfg(layer, 'dims', []), 'a dims', layer.name);
  cx.out.push(`${target} = np.transpose(${one(layer, inputs)}, (0, ${order.join(', ')}))`);
  return { vars: [target], masks: ['None'] };
};

export const permute: LayerKind = {
  classNames: ['Permute'],
  python: { positional: ['dims'] },
  outputShape(layer, inputs) {
    const shape = oneInput(layer, inputs);
    const d = dims(layer, shape.length);
    return { shapes: [[shape[0], ...d.map((i) => shape[i])]] };
  },
  params() {
    return null;
  },
  forward(layer, inputs) {
    const x = oneTensor(layer, inputs.tensors);
    const d = dims(layer, x.shape.length);
    return { tensors: [transpose(x, [0, ...d])], masks: [null] };
  },
  numpy,
};
