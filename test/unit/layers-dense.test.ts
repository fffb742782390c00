// Dense: shape rule, D·K + K parameter formula, forward math against TensorFlow.js and against the
// reference outputs of real models (per layer, fed the reference output of the layer before).

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dense } from '../../extension/keras/layers/dense';
import { InputError } from '../../extension/keras/errors';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';
import { expectedLayer, missingModels, realWeight } from './helpers/realModels';
import { runTfLayer, tfl, tfReady } from './helpers/tfjs';

before(tfReady);

describe('Dense shapes and parameters', () => {
  it('maps the last axis to K units, on N×D and on N×T×D', () => {
    const l = layerNode('Dense', { units: 4, activation: 'linear', use_bias: true });
    assert.deepEqual(dense.outputShape(l, [[null, 3]], env()), { shapes: [[null, 4]], letters: [['N', 'K']] });
    assert.deepEqual(dense.outputShape(l, [[null, 10, 3]], env()), { shapes: [[null, 10, 4]], letters: [['N', 'T', 'K']] });
  });

  it('counts D·K + K, or D·K without bias', () => {
    const l = layerNode('Dense', { units: 2, use_bias: true });
    const f = dense.params(l, [[null, 5]], env())!;
    assert.equal(f.formula, 'D·K + K');
    assert.equal(f.substituted, '5·2 + 2 = 12');
    assert.deepEqual(f.letters, { D: 5, K: 2 });
    assert.deepEqual(f.terms.map((x) => [x.name, x.shape, x.count]), [['kernel', [5, 2], 10], ['bias', [2], 2]]);
    assert.equal(f.trainable, 12);
    assert.equal(f.nonTrainable, 0);
    const nb = dense.params(layerNode('Dense', { units: 2, use_bias: false }), [[null, 5]], env())!;
    assert.equal(nb.formula, 'D·K');
    assert.equal(nb.total, 10);
  });

  it('reads Keras 1 names (output_dim, bias)', () => {
    const l = layerNode('Dense', { output_dim: 2, bias: true, activation: 'linear' });
    assert.equal(dense.params(l, [[null, 64]], env(1))!.total, 64 * 2 + 2);
  });
});

describe('Dense forward', () => {
  for (const [activation, shape] of [['linear', [3, 5]], ['tanh', [2, 4, 5]], ['softmax', [2, 4, 5]], ['relu', [3, 5]], ['sigmoid', [2, 3, 5]]] as const) {
    it(`equals tfjs dense (${activation}) on [${shape}]`, () => {
      const rnd = seeded(7);
      const D = shape[shape.length - 1];
      const K = 3;
      const W = Float32Array.from(randomArray(D * K, rnd));
      const b = Float32Array.from(randomArray(K, rnd));
      const x = t([...shape], randomArray(shape.reduce((a, c) => a * c, 1), rnd, -2, 2));
      const l = layerNode('Dense', { units: K, activation, use_bias: true }, { weights: [weightRef('kernel', [D, K], W), weightRef('bias', [K], b)] });
      const ours = dense.forward(l, { tensors: [x], masks: [null] }, ctx()) as { tensors: { shape: number[]; data: Float64Array }[] };
      const [theirs] = runTfLayer(tfl.layers.dense({ units: K, activation, useBias: true }), [x], [
        { shape: [D, K], values: W },
        { shape: [K], values: b },
      ]);
      assert.deepEqual(ours.tensors[0].shape, theirs.shape);
      assertClose(ours.tensors[0].data, theirs.data, 1e-5, 1e-5);
    });
  }

  it('passes the time mask through and names a feature-count mismatch', () => {
    const l = layerNode('Dense', { units: 1 }, { weights: [weightRef('kernel', [2, 1], [1, 1]), weightRef('bias', [1], [0])] });
    const mask = { n: 1, t: 2, data: Uint8Array.from([1, 0]) };
    const out = dense.forward(l, { tensors: [t([1, 2, 2], [1, 2, 3, 4])], masks: [mask] }, ctx()) as { tensors: { data: Float64Array }[]; masks: unknown[] };
    assert.deepEqual([...out.tensors[0].data], [3, 7]); // hand: 1+2, 3+4
    assert.equal(out.masks[0], mask);
    assert.throws(() => dense.forward(l, { tensors: [t([1, 3], [1, 2, 3])], masks: [null] }, ctx()), InputError);
  });

  it('matches the reference outputs of sunspot-rnn (Keras 2.14) Dense layers, fed the reference LSTM output', (t) => {
    const why = missingModels();
    if (why) return t.skip(why);
    let x = expectedLayer('sunspot-rnn', 'lstm_11');
    for (const [name, units, act] of [['dense_9', 30, 'relu'], ['dense_10', 10, 'relu'], ['dense_11', 1, 'linear']] as const) {
      const l = layerNode('Dense', { name, units, activation: act, use_bias: true }, {
        weights: [realWeight('sunspot-rnn.h5', `model_weights/${name}/${name}/kernel:0`, `${name}/kernel:0`), realWeight('sunspot-rnn.h5', `model_weights/${name}/${name}/bias:0`, `${name}/bias:0`)],
      });
      const out = (dense.forward(l, { tensors: [x], masks: [null] }, ctx(2)) as { tensors: { shape: number[]; data: Float64Array }[] }).tensors[0];
      const want = expectedLayer('sunspot-rnn', name);
      assert.deepEqual(out.shape, want.shape);
      assertClose(out.data, want.data, 1e-5, 1e-5, name);
      x = want;
    }
  });

  it('matches fatigue-masking-lstm (Keras 3.4, .keras) Dense on N×T×D with positional weights', (t) => {
    const why = missingModels();
    if (why) return t.skip(why);
    const l = layerNode('Dense', { name: 'dense_9', units: 1, activation: 'linear', use_bias: true }, {
      weights: [realWeight('fatigue-masking-lstm.keras', 'layers/dense/vars/0', '0'), realWeight('fatigue-masking-lstm.keras', 'layers/dense/vars/1', '1')],
    });
    const out = (dense.forward(l, { tensors: [expectedLayer('fatigue-masking-lstm', 'lstm_9')], masks: [null] }, ctx(3)) as { tensors: { shape: number[]; data: Float64Array }[] }).tensors[0];
    const want = expectedLayer('fatigue-masking-lstm', 'dense_9');
    assert.deepEqual(out.shape, want.shape);
    assertClose(out.data, want.data, 1e-5, 1e-5);
  });
});
