// Weightless layers: InputLayer, dropout/noise (identity at inference), Activation and friends,
// RepeatVector, Flatten, Reshape, Permute. Shapes as Keras prints them, values against tfjs-layers.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inputLayer } from '../../extension/keras/layers/inputLayer';
import { identity } from '../../extension/keras/layers/identity';
import { activation } from '../../extension/keras/layers/activation';
import { repeatVector } from '../../extension/keras/layers/repeatVector';
import { flatten } from '../../extension/keras/layers/flatten';
import { reshape } from '../../extension/keras/layers/reshape';
import { permute } from '../../extension/keras/layers/permute';
import { InputError, UnsupportedFeatureError } from '../../extension/keras/errors';
import type { LayerOutput } from '../../extension/keras/layers/types';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t } from './helpers/layerNode';
import { expectedLayer, missingModels } from './helpers/realModels';
import { runTfLayer, tfl, tfReady } from './helpers/tfjs';

before(tfReady);

const rnd = seeded(11);
const x3 = t([2, 3, 4], randomArray(24, rnd, -3, 3));
const run = (kind: { forward: Function }, l: ReturnType<typeof layerNode>, x = x3, k: 2 | 3 = 3) =>
  kind.forward(l, { tensors: [x], masks: [null] }, ctx(k)) as LayerOutput;

describe('InputLayer', () => {
  it('declares batch_shape (Keras 3), batch_input_shape (Keras 2) or shape, with N,T,D letters for sequences', () => {
    assert.deepEqual(inputLayer.outputShape(layerNode('InputLayer', { batch_shape: [null, 60, 1] }), [], env()), {
      shapes: [[null, 60, 1]],
      letters: [['N', 'T', 'D']],
    });
    assert.deepEqual(inputLayer.outputShape(layerNode('InputLayer', { batch_input_shape: [null, null, 1] }), [], env(2)).shapes, [[null, null, 1]]);
    assert.deepEqual(inputLayer.outputShape(layerNode('InputLayer', { batch_shape: [32, 100] }), [], env()), { shapes: [[32, 100]], letters: [['N', null]] });
    assert.deepEqual(inputLayer.outputShape(layerNode('InputLayer', { shape: [5, 2] }), [], env()).shapes, [[null, 5, 2]]);
    assert.equal(run(inputLayer, layerNode('InputLayer', {})).tensors[0], x3);
  });
});

describe('Dropout and noise layers', () => {
  for (const cls of ['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']) {
    it(`${cls} is the identity at inference and keeps the mask`, () => {
      const l = layerNode(cls, { rate: 0.4, stddev: 0.1 });
      const mask = { n: 2, t: 3, data: Uint8Array.from([1, 1, 0, 1, 0, 0]) };
      const out = identity.forward(l, { tensors: [x3], masks: [mask] }, ctx()) as LayerOutput;
      assert.equal(out.tensors[0], x3);
      assert.equal(out.masks![0], mask);
      assert.deepEqual(identity.outputShape(l, [[null, 17, 32]], env()).shapes, [[null, 17, 32]]);
      assert.equal(identity.params(l, [[null, 17, 32]], env()), null);
    });
  }
  it('tfjs dropout at inference agrees (identity)', () => {
    const [theirs] = runTfLayer(tfl.layers.dropout({ rate: 0.5 }), [x3]);
    assertClose(run(identity, layerNode('Dropout', { rate: 0.5 })).tensors[0].data, theirs.data, 1e-6, 1e-6);
  });
});

describe('Activation layers', () => {
  for (const act of ['sigmoid', 'softmax', 'tanh', 'relu', 'elu', 'selu', 'softplus', 'softsign', 'linear']) {
    it(`Activation("${act}") equals tfjs activation`, () => {
      const [theirs] = runTfLayer(tfl.layers.activation({ activation: act as 'relu' }), [x3]);
      assertClose(run(activation, layerNode('Activation', { activation: act })).tensors[0].data, theirs.data, 1e-6, 1e-5);
    });
  }
  it('ReLU(max_value), LeakyReLU(alpha), ELU, Softmax layers equal tfjs', () => {
    const cases: [ReturnType<typeof layerNode>, tfl.layers.Layer][] = [
      [layerNode('ReLU', { max_value: 1.5 }), tfl.layers.reLU({ maxValue: 1.5 })],
      [layerNode('LeakyReLU', { alpha: 0.1 }), tfl.layers.leakyReLU({ alpha: 0.1 })],
      [layerNode('LeakyReLU', {}), tfl.layers.leakyReLU({})],
      [layerNode('ELU', { alpha: 1 }), tfl.layers.elu({ alpha: 1 })],
      [layerNode('Softmax', { axis: -1 }), tfl.layers.softmax({ axis: -1 })],
      [layerNode('ThresholdedReLU', { theta: 0.5 }), tfl.layers.thresholdedReLU({ theta: 0.5 })],
    ];
    for (const [ours, theirs] of cases) {
      assertClose(run(activation, ours).tensors[0].data, runTfLayer(theirs, [x3])[0].data, 1e-6, 1e-5, ours.className);
    }
    // tfjs ELU only takes alpha=1; by hand elu(-1) with alpha 0.7 = 0.7·(e^-1 - 1) = -0.442484391..., elu(2) = 2.
    const elu = run(activation, layerNode('ELU', { alpha: 0.7 }), t([1, 2], [-1, 2]));
    assertClose(elu.tensors[0].data, [-0.44248439125, 2], 1e-10, 0);
  });
  it('matches the sigmoid Activation of patalt-simplernn-weights fed the reference Dense output', (t) => {
    const why = missingModels();
    if (why) return t.skip(why);
    const out = run(activation, layerNode('Activation', { activation: 'sigmoid' }), expectedLayer('patalt-simplernn-weights', 'dense_911'), 2);
    assertClose(out.tensors[0].data, expectedLayer('patalt-simplernn-weights', 'activation_909').data, 1e-6, 1e-6);
  });
});

describe('RepeatVector, Flatten, Reshape, Permute', () => {
  it('RepeatVector N×D -> N×n×D like tfjs, and drops the mask', () => {
    const l = layerNode('RepeatVector', { n: 20 });
    assert.deepEqual(repeatVector.outputShape(l, [[null, 64]], env()).shapes, [[null, 20, 64]]);
    const x = t([2, 3], [1, 2, 3, 4, 5, 6]);
    const out = run(repeatVector, layerNode('RepeatVector', { n: 2 }), x);
    assertClose(out.tensors[0].data, runTfLayer(tfl.layers.repeatVector({ n: 2 }), [x])[0].data, 1e-6, 1e-6);
    assert.deepEqual([...out.tensors[0].data], [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
    assert.throws(() => repeatVector.outputShape(l, [[null, 3, 4]], env()), UnsupportedFeatureError);
  });

  it('Flatten multiplies the non-batch axes (None when one is unknown) like tfjs', () => {
    const l = layerNode('Flatten', { data_format: 'channels_last' });
    assert.deepEqual(flatten.outputShape(l, [[null, 56, 50]], env()).shapes, [[null, 2800]]);
    assert.deepEqual(flatten.outputShape(l, [[null, null, 50]], env()).shapes, [[null, null]]);
    assertClose(run(flatten, l).tensors[0].data, runTfLayer(tfl.layers.flatten(), [x3])[0].data, 1e-6, 1e-6);
    assert.deepEqual(run(flatten, l).tensors[0].shape, [2, 12]);
    // channels_first moves the channel axis (1) last before flattening: hand-check on 1×2×2.
    const cf = run(flatten, layerNode('Flatten', { data_format: 'channels_first' }), t([1, 2, 2], [1, 2, 3, 4]));
    assert.deepEqual([...cf.tensors[0].data], [1, 3, 2, 4]);
  });

  it('Reshape with -1 like tfjs, and refuses a size mismatch in one sentence', () => {
    const l = layerNode('Reshape', { target_shape: [4, -1] });
    assert.deepEqual(reshape.outputShape(l, [[null, 3, 4]], env()).shapes, [[null, 4, 3]]);
    assert.deepEqual(reshape.outputShape(l, [[null, null, 4]], env()).shapes, [[null, 4, null]]);
    assertClose(run(reshape, l).tensors[0].data, runTfLayer(tfl.layers.reshape({ targetShape: [4, -1] }), [x3])[0].data, 1e-6, 1e-6);
    const bad = layerNode('Reshape', { name: 'r', target_shape: [5, 2] });
    assert.throws(() => reshape.outputShape(bad, [[null, 3, 4]], env()), (e: unknown) => e instanceof InputError && /cannot turn 12 values per sample into target shape \(5, 2\)/.test(e.message));
    assert.throws(() => run(reshape, bad), InputError);
  });

  it('Permute((2, 1)) swaps T and D like tfjs', () => {
    const l = layerNode('Permute', { dims: [2, 1] });
    assert.deepEqual(permute.outputShape(l, [[null, 8, 1]], env()).shapes, [[null, 1, 8]]);
    const out = run(permute, l);
    assert.deepEqual(out.tensors[0].shape, [2, 4, 3]);
    assertClose(out.tensors[0].data, runTfLayer(tfl.layers.permute({ dims: [2, 1] }), [x3])[0].data, 1e-6, 1e-6);
    assert.throws(() => permute.outputShape(layerNode('Permute', { dims: [1, 3] }), [[null, 8, 1]], env()), UnsupportedFeatureError);
  });
});
