// Embedding and Masking: the layers that start a sequence model. Shapes with N,T,E letters, the V·E
// formula, lookups against tfjs-layers and real files, masks, and the out-of-vocabulary message.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { embedding } from '../../extension/keras/layers/embedding';
import { masking } from '../../extension/keras/layers/masking';
import { InputError } from '../../extension/keras/errors';
import type { LayerOutput } from '../../extension/keras/layers/types';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';
import { expectedLayer, missingModels, modelInput, realWeight } from './helpers/realModels';
import { runTfLayer, tf, tfl, tfReady, toTf } from './helpers/tfjs';

before(tfReady);

describe('Embedding', () => {
  it('outputs N,T,E and fills T from Keras 2 input_length', () => {
    const l = layerNode('Embedding', { input_dim: 100, output_dim: 32, input_length: 17 });
    assert.deepEqual(embedding.outputShape(l, [[null, null]], env(2)), { shapes: [[null, 17, 32]], letters: [['N', 'T', 'E']] });
    assert.deepEqual(embedding.outputShape(layerNode('Embedding', { input_dim: 10, output_dim: 4 }), [[32, 100]], env()).shapes, [[32, 100, 4]]);
    assert.throws(() => embedding.outputShape(l, [[null, 20]], env(2)), InputError);
  });

  it('counts V·E', () => {
    const f = embedding.params(layerNode('Embedding', { input_dim: 10000, output_dim: 32 }), [[null, 100]], env())!;
    assert.equal(f.formula, 'V·E');
    assert.equal(f.substituted, '10000·32 = 320000');
    assert.deepEqual(f.terms, [{ name: 'embeddings', shape: [10000, 32], count: 320000, trainable: true }]);
  });

  it('looks tokens up like tfjs embedding', () => {
    const rnd = seeded(3);
    const V = 7;
    const E = 4;
    const table = Float32Array.from(randomArray(V * E, rnd));
    const x = t([2, 5], [0, 1, 6, 3, 3, 2, 5, 4, 0, 1]);
    const l = layerNode('Embedding', { input_dim: V, output_dim: E }, { weights: [weightRef('embeddings', [V, E], table)] });
    const ours = (embedding.forward(l, { tensors: [x], masks: [null] }, ctx()) as LayerOutput).tensors[0];
    const [theirs] = runTfLayer(tfl.layers.embedding({ inputDim: V, outputDim: E }), [x], [{ shape: [V, E], values: table }]);
    assert.deepEqual(ours.shape, [2, 5, 4]);
    assertClose(ours.data, theirs.data, 0, 0);
  });

  it('emits the N×T mask of non-zero tokens with mask_zero=True (as tfjs computeMask)', () => {
    const l = layerNode('Embedding', { input_dim: 5, output_dim: 2, mask_zero: true }, { weights: [weightRef('embeddings', [5, 2], randomArray(10, seeded(1)))] });
    const x = t([2, 3], [4, 0, 0, 0, 2, 1]);
    const out = embedding.forward(l, { tensors: [x], masks: [null] }, ctx()) as LayerOutput;
    const tfLayer = tfl.layers.embedding({ inputDim: 5, outputDim: 2, maskZero: true });
    const tfMask = tfLayer.computeMask(toTf(x)) as unknown as InstanceType<typeof tf.Tensor>;
    assert.deepEqual(out.masks![0], { n: 2, t: 3, data: Uint8Array.from(tfMask.dataSync() as Uint8Array) });
    assert.deepEqual([...out.masks![0]!.data], [1, 0, 0, 0, 1, 1]);
  });

  it('refuses a token outside the vocabulary, naming token, sample, step and size', () => {
    const l = layerNode('Embedding', { name: 'emb', input_dim: 5, output_dim: 2 }, { weights: [weightRef('embeddings', [5, 2], new Array(10).fill(0))] });
    assert.throws(
      () => embedding.forward(l, { tensors: [t([2, 3], [1, 2, 3, 4, 5, 0])], masks: [null] }, ctx()),
      (e: unknown) => e instanceof InputError && /Token 5 at sample 1, t = 2 .*vocabulary.*size 5/.test(e.message),
    );
    assert.throws(() => embedding.forward(l, { tensors: [t([1, 2], [-1, 0])], masks: [null] }, ctx()), /Token -1 at sample 0, t = 1/);
    assert.throws(() => embedding.forward(l, { tensors: [t([1, 2], [1.5, 0])], masks: [null] }, ctx()), /not a whole number/);
  });

  for (const [id, file, path, name] of [
    ['emotion-embed-lstm', 'emotion-embed-lstm.h5', 'model_weights/embedding_1/embedding_1/embeddings:0', 'embedding_1'],
    ['patalt-simplernn-weights', 'patalt-simplernn-weights.h5', 'embedding_4/embedding_4/embeddings:0', 'embedding_4'],
  ] as const) {
    it(`matches the reference output of ${id}`, (t) => {
      const why = missingModels();
      if (why) return t.skip(why);
      const w = realWeight(file, path, 'embeddings:0');
      const l = layerNode('Embedding', { name, input_dim: w.shape[0], output_dim: w.shape[1], mask_zero: false }, { weights: [w] });
      const out = (embedding.forward(l, { tensors: [modelInput(id)], masks: [null] }, ctx(2)) as LayerOutput).tensors[0];
      const want = expectedLayer(id, name);
      assert.deepEqual(out.shape, want.shape);
      assertClose(out.data, want.data, 1e-7, 0);
    });
  }
});

describe('Masking', () => {
  it('keeps the shape, has no weights, and matches tfjs masking values and mask', () => {
    const l = layerNode('Masking', { mask_value: -1 });
    assert.deepEqual(masking.outputShape(l, [[null, 129, 13]], env()).shapes, [[null, 129, 13]]);
    assert.equal(masking.params(l, [[null, 129, 13]], env()), null);
    // Step (0,1) is all -1 (masked); step (1,0) has one -1 only (kept).
    const x = t([2, 2, 3], [1, 2, 3, -1, -1, -1, -1, 0.5, 2, 4, 5, 6]);
    const out = masking.forward(l, { tensors: [x], masks: [null] }, ctx()) as LayerOutput;
    const tfLayer = tfl.layers.masking({ maskValue: -1 });
    const [theirs] = runTfLayer(tfLayer, [x]);
    assertClose(out.tensors[0].data, theirs.data, 0, 0);
    const tfMask = tfLayer.computeMask(toTf(x)) as unknown as InstanceType<typeof tf.Tensor>;
    assert.deepEqual([...out.masks![0]!.data], [...(tfMask.dataSync() as Uint8Array)]);
    assert.deepEqual([...out.masks![0]!.data], [1, 0, 1, 1]);
  });

  it('masks the last two steps of sample 0 of fatigue-masking-lstm and matches its reference output', (t) => {
    const why = missingModels();
    if (why) return t.skip(why);
    const x = modelInput('fatigue-masking-lstm');
    const out = masking.forward(layerNode('Masking', { name: 'masking_9', mask_value: -1 }), { tensors: [x], masks: [null] }, ctx(3)) as LayerOutput;
    assertClose(out.tensors[0].data, expectedLayer('fatigue-masking-lstm', 'masking_9').data, 0, 0);
    const m = out.masks![0]!;
    const T = x.shape[1];
    assert.deepEqual([m.data[T - 3], m.data[T - 2], m.data[T - 1]], [1, 0, 0]);
    assert.equal(m.data.slice(T).every((v) => v === 1), true);
  });
});
