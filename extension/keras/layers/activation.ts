// Activation layer (and the Keras advanced-activation layers ReLU, LeakyReLU, ELU, Softmax,
// ThresholdedReLU): elementwise, or softmax over the last axis; shape and mask pass through.

import { UnsupportedFeatureError } from '../errors';
import { applyActivation } from '../activations';
import type { LayerNode } from '../model';
import type { LayerKind } from './types';
import { oneInput, oneTensor } from './common';
import { showName } from '../safeText';

/** The activation spec a layer applies, in the form activations.ts understands. */
function activationSpec(layer: LayerNode): unknown {
  const c = layer.config;
  switch (layer.className) {
    case 'Activation':
      return c.activation ?? 'linear';
    case 'ReLU': {
      // Keras 2 ReLU has negative_slope, Keras 3 too; max_value null means no cap.
      return { class_name: 'relu', config: { negative_slope: c.negative_slope ?? 0, max_value: c.max_value ?? null, threshold: c.threshold ?? 0 } };
    }
    case 'LeakyReLU':
      // Keras 2 names the slope `alpha` (default 0.3), Keras 3 `negative_slope` (default 0.3).
      return { class_name: 'leaky_relu', config: { negative_slope: c.negative_slope ?? c.alpha ?? 0.3 } };
    case 'ELU':
      return { class_name: 'elu', config: { alpha: c.alpha ?? 1 } };
    case 'Softmax': {
      const axis = c.axis ?? -1;
      return { class_name: 'softmax', config: { axis } };
    }
    case 'ThresholdedReLU': {
      const theta = Number(c.theta ?? 1);
      return { class_name: 'thresholded', config: { theta } };
    }
    default:
      throw new UnsupportedFeatureError(`The layer "${showName(layer.name)}" (${showName(layer.className)}) is not an activation layer.`);
  }
}

export const activation: LayerKind = {
  classNames: ['Activation', 'ReLU', 'LeakyReLU', 'ELU', 'Softmax', 'ThresholdedReLU'],
  outputShape(layer, inputs) {
    return { shapes: [oneInput(layer, inputs)] };
  },
  params() {
    return null;
  },
  forward(layer, inputs, ctx) {
    const x = oneTensor(layer, inputs.tensors);
    const data = Float64Array.from(x.data);
    const spec = activationSpec(layer);
    const lastDim = x.shape[x.shape.length - 1] ?? 1;
    if (typeof spec === 'object' && spec && (spec as { class_name: string }).class_name === 'thresholded') {
      // y = x where x > theta, else 0 (Keras ThresholdedReLU).
      const theta = (spec as { config: { theta: number } }).config.theta;
      for (let i = 0; i < data.length; i++) data[i] = data[i] > theta ? data[i] : 0;
    } else {
      applyActivation(spec, data, lastDim, ctx.kerasMajor);
    }
    return { tensors: [{ shape: [...x.shape], data }], masks: [inputs.masks[0] ?? null] };
  },
};
