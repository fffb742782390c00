// TensorFlow.js layers on the CPU backend as an independent implementation to compare layer math with.
// tfjs computes in float32, so comparisons allow float32 rounding.

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Tensor } from '../../../extension/keras/tensor';

export { tf, tfl };

let ready: Promise<boolean> | null = null;

/** Selects the CPU backend once (call in a `before`). */
export function tfReady(): Promise<boolean> {
  ready ??= tf.setBackend('cpu');
  return ready;
}

export function toTf(t: Tensor): tf.Tensor {
  return tf.tensor(Float32Array.from(t.data), t.shape, 'float32');
}

export function fromTf(x: tf.Tensor): Tensor {
  return { shape: [...x.shape], data: Float64Array.from(x.dataSync()) };
}

/**
 * Runs a tfjs layer on inputs after building it and setting its weights (in Keras order).
 * Returns the outputs as float64 tensors.
 */
export function runTfLayer(layer: tfl.layers.Layer, inputs: Tensor[], weights: { shape: number[]; values: Float32Array }[] = []): Tensor[] {
  const ys = tf.tidy(() => {
    const xs = inputs.map(toTf);
    layer.apply(xs.length === 1 ? xs[0] : xs); // builds the layer
    if (weights.length) layer.setWeights(weights.map((w) => tf.tensor(w.values, w.shape, 'float32')));
    const y = layer.apply(xs.length === 1 ? xs[0] : xs) as tf.Tensor | tf.Tensor[];
    return Array.isArray(y) ? y : [y];
  });
  const out = ys.map(fromTf);
  tf.dispose(ys);
  return out;
}
