// PLACEHOLDER: to be replaced by the real module (shape rule, parameter formula, forward math).
import { UnsupportedFeatureError } from '../errors';
import type { LayerKind } from './types';

export const batchNormalization: LayerKind = {
  classNames: ['BatchNormalization'],
  outputShape(layer) {
    throw new UnsupportedFeatureError(`${layer.className} shapes are not implemented yet.`);
  },
  params() {
    return null;
  },
  forward(layer) {
    throw new UnsupportedFeatureError(`${layer.className} is not implemented yet.`);
  },
};
