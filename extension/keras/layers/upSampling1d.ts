// UpSampling1D: every time step repeated `size` times in a row (Keras ops.repeat on the time axis), so T becomes
// size·T. Nothing is learned and nothing is interpolated. The time mask does not survive (Keras drops it).

import { UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { LayerKind } from './types';
import { configInt, oneInput, oneTensor } from './common';
import { who } from './conv2d';
import { one, pyInt, type NumpyEmitter } from './numpyEmit';

// Keras 1 called the factor `length`.
const sizeOf = (layer: LayerNode): number => configInt(layer, ['size', 'length'], 2);

function needsSequence(layer: LayerNode, rank: number): void {
  if (rank !== 3) throw new UnsupportedFeatureError(`${who(layer)} needs an N×T×D input (a batch of sequences), got rank ${rank}.`);
}

const emit: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const size = pyInt(sizeOf(layer), 'a "size"', layer.name);
  cx.out.push(`${target} = np.repeat(${one(layer, inputs)}, ${size}, axis=1)  # each time step ${size} times in a row`);
  return { vars: [target], masks: ['None'] };
};

export const upSampling1d: LayerKind = {
  classNames: ['UpSampling1D'],
  keras1: { keys: { length: 'size' } },
  python: { positional: ['size'] },
  numpy: emit,
  outputShape(layer, inputs) {
    const shape = oneInput(layer, inputs);
    needsSequence(layer, shape.length);
    const size = sizeOf(layer);
    return { shapes: [[shape[0], shape[1] === null ? null : shape[1] * size, shape[2]]], letters: [['N', null, 'D']] };
  },
  params() {
    return null;
  },
  forward(layer, inputs) {
    const x = oneTensor(layer, inputs.tensors);
    needsSequence(layer, x.shape.length);
    const [N, T, D] = x.shape;
    const size = sizeOf(layer);
    const out = new Float64Array(N * T * size * D);
    for (let n = 0; n < N; n++) {
      for (let t = 0; t < T; t++) {
        const row = x.data.subarray((n * T + t) * D, (n * T + t + 1) * D);
        for (let r = 0; r < size; r++) out.set(row, ((n * T + t) * size + r) * D);
      }
    }
    return { tensors: [{ shape: [N, T * size, D], data: out }], masks: [null] };
  },
};
