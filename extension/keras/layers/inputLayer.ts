// InputLayer: declares the model's input shape; at run time it hands the input through unchanged.

import { NotAKerasFileError, UnsupportedFeatureError } from '../errors';
import { MAX_RANK } from '../limits';
import { showName } from '../safeText';
import { configShapeDim } from './common';
import type { LayerNode } from '../model';
import type { DimLetter, Shape } from '../shapes';
import type { LayerKind } from './types';
import { one, passMask, type NumpyEmitter } from './numpyEmit';

/** The full batch shape an InputLayer declares (Keras 3 `batch_shape`, Keras 2 `batch_input_shape`, or `shape`). */
export function declaredInputShape(layer: LayerNode): Shape | null {
  const c = layer.config;
  const batch = (c.batch_shape ?? c.batch_input_shape) as unknown[] | undefined;
  const dim = (d: unknown, i: number): number | null => configShapeDim(layer, d, i === 0 ? 'batch size' : `input size on axis ${i}`);
  if (Array.isArray(batch)) return checkRank(layer, batch.map(dim));
  if (Array.isArray(c.shape)) return checkRank(layer, [dim(c.batch_size, 0), ...(c.shape as unknown[]).map((d, i) => dim(d, i + 1))]);
  return null;
}

function checkRank(layer: LayerNode, shape: Shape): Shape {
  if (shape.length > MAX_RANK) {
    throw new NotAKerasFileError(`The input layer "${showName(layer.name)}" declares ${shape.length} axes, more than the ${MAX_RANK} any model uses; the file is damaged or crafted.`);
  }
  return shape;
}

/** N, T, D for a sequence input; N and an unnamed width for rank 2 (it may be D features or T tokens). */
function inputLetters(shape: Shape): DimLetter[] {
  if (shape.length === 3) return ['N', 'T', 'D'];
  return shape.map((_, i) => (i === 0 ? 'N' : null));
}

/** The NumPy export: the model input itself, under the layer's name. */
const numpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  cx.out.push(`${target} = ${one(layer, inputs)}`);
  return { vars: [target], masks: passMask(inputs) };
};

export const inputLayer: LayerKind = {
  classNames: ['InputLayer'],
  outputShape(layer, inputs) {
    const shape = declaredInputShape(layer) ?? inputs[0];
    if (!shape) throw new UnsupportedFeatureError(`The input layer "${showName(layer.name)}" declares no shape, so the shapes after it are unknown.`);
    return { shapes: [shape], letters: [inputLetters(shape)] };
  },
  params() {
    return null;
  },
  forward(_layer, inputs) {
    return { tensors: [inputs.tensors[0]], masks: [inputs.masks[0] ?? null] };
  },
  numpy,
};
