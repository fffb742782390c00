// Dropout and the noise layers: random only while training, so at inference they hand the input
// through unchanged, mask included (Keras gives them supports_masking).

import type { LayerKind } from './types';
import { oneInput } from './common';
import { passThrough } from './numpyEmit';

export const identity: LayerKind = {
  classNames: ['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout'],
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
