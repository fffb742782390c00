// InputLayer: declares the model's input shape; at run time it hands the input through unchanged.

import { UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { DimLetter, Shape } from '../shapes';
import type { LayerKind } from './types';

/** The full batch shape an InputLayer declares (Keras 3 `batch_shape`, Keras 2 `batch_input_shape`, or `shape`). */
export function declaredInputShape(layer: LayerNode): Shape | null {
  const c = layer.config;
  const batch = (c.batch_shape ?? c.batch_input_shape) as Shape | undefined;
  if (Array.isArray(batch)) return batch.map((d) => (d === null || d === undefined ? null : Number(d)));
  if (Array.isArray(c.shape)) {
    const batchSize = c.batch_size === undefined || c.batch_size === null ? null : Number(c.batch_size);
    return [batchSize, ...(c.shape as Shape).map((d) => (d === null ? null : Number(d)))];
  }
  return null;
}

/** N, T, D for a sequence input; N and an unnamed width for rank 2 (it may be D features or T tokens). */
function inputLetters(shape: Shape): DimLetter[] {
  if (shape.length === 3) return ['N', 'T', 'D'];
  return shape.map((_, i) => (i === 0 ? 'N' : null));
}

export const inputLayer: LayerKind = {
  classNames: ['InputLayer'],
  outputShape(layer, inputs) {
    const shape = declaredInputShape(layer) ?? inputs[0];
    if (!shape) throw new UnsupportedFeatureError(`The input layer "${layer.name}" declares no shape, so the shapes after it are unknown.`);
    return { shapes: [shape], letters: [inputLetters(shape)] };
  },
  params() {
    return null;
  },
  forward(_layer, inputs) {
    return { tensors: [inputs.tensors[0]], masks: [inputs.masks[0] ?? null] };
  },
};
