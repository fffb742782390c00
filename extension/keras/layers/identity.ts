// Dropout and the noise layers: random only while training, so at inference they hand the input
// through unchanged, mask included (Keras gives them supports_masking). ActivityRegularization too: its call
// returns its input, and the l1/l2 penalty it adds is a training loss (keras/src/layers/regularization).

import type { LayerKind } from './types';
import { oneInput } from './common';
import { passThrough } from './numpyEmit';

export const identity: LayerKind = {
  classNames: ['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization'],
  // Keras 3 constructors: Dropout(rate, noise_shape, seed), GaussianNoise(stddev, seed), ActivityRegularization(l1, l2).
  python: {
    positional: ['rate', 'noise_shape', 'seed'],
    positionalOf: { SpatialDropout1D: ['rate', 'seed'], GaussianNoise: ['stddev', 'seed'], GaussianDropout: ['rate', 'seed'], ActivityRegularization: ['l1', 'l2'] },
  },
  keras1: { keys: { p: 'rate' } },
  outputShape(layer, inputs) {
    return { shapes: [oneInput(layer, inputs)] };
  },
  params() {
    return null;
  },
  forward(_layer, inputs) {
    return { tensors: [inputs.tensors[0]], masks: [inputs.masks[0] ?? null] };
  },
  numpy: passThrough,
};
