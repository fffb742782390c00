// Conv1D: output lengths for valid/same/causal, strides and dilation, the k·D·F + F formula, values against
// tfjs conv1d (causal by hand and via tfjs on a left-padded input), and real Keras 2.14/3.2 models.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conv1d } from '../../extension/keras/layers/conv1d';
import { InputError } from '../../extension/keras/errors';
import type { LayerOutput } from '../../extension/keras/layers/types';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';
import { expectedLayer, missingModels, modelInput, realWeight } from './helpers/realModels';
import { fromTf, runTfLayer, tf, tfl, tfReady, toTf } from './helpers/tfjs';

before(tfReady);

const cfg = (o: Record<string, unknown>) => ({ filters: 4, kernel_size: [3], strides: [1], padding: 'valid', dilation_rate: [1], groups: 1, activation: 'linear', use_bias: true, data_format: 'channels_last', ...o });

describe('Conv1D shapes and parameters', () => {
  const cases: [Record<string, unknown>, number | null, number | null][] = [
    [{}, 7, 5],
    [{ padding: 'same' }, 7, 7],
    [{ padding: 'causal' }, 12, 12],
    [{ strides: [2] }, 7, 3],
    [{ strides: [2], padding: 'same' }, 7, 4],
    [{ dilation_rate: [2] }, 7, 3],
    [{ padding: 'causal' }, null, null],
  ];
  for (const [o, T, want] of cases) {
    it(`${JSON.stringify(o)} on T=${T} gives ${want}`, () => {
      const r = conv1d.outputShape(layerNode('Conv1D', cfg(o)), [[null, T, 1]], env());
      assert.deepEqual(r.shapes, [[null, want, 4]]);
    });
  }
  it('letters: T only when the length is kept', () => {
    assert.deepEqual(conv1d.outputShape(layerNode('Conv1D', cfg({ padding: 'causal' })), [[null, 12, 1]], env()).letters, [['N', 'T', 'F']]);
    assert.deepEqual(conv1d.outputShape(layerNode('Conv1D', cfg({})), [[null, 7, 1]], env()).letters, [['N', null, 'F']]);
  });
  it('counts k·D·F + F (64 filters of width 3 on D=1: 256)', () => {
    const f = conv1d.params(layerNode('Conv1D', cfg({ filters: 64 })), [[null, 7, 1]], env())!;
    assert.equal(f.formula, 'k·D·F + F');
    assert.equal(f.substituted, '3·1·64 + 64 = 256');
    assert.deepEqual(f.terms.map((x) => x.shape), [[3, 1, 64], [64]]);
  });
  it('reads normalized Keras 1 names (nb_filter, filter_length, subsample_length, border_mode)', () => {
    const l = layerNode('Conv1D', { nb_filter: 64, filter_length: 1, subsample_length: 1, border_mode: 'valid', bias: true });
    assert.deepEqual(conv1d.outputShape(l, [[null, 597, 208]], env(1)).shapes, [[null, 597, 64]]);
    assert.equal(conv1d.params(l, [[null, 597, 208]], env(1))!.total, 208 * 64 + 64);
  });
  it('counts grouped kernels as k·(D/G)·F + F', () => {
    const f = conv1d.params(layerNode('Conv1D', cfg({ filters: 4, groups: 2 })), [[null, 7, 6]], env())!;
    assert.equal(f.formula, 'k·(D/G)·F + F');
    assert.equal(f.total, 3 * 3 * 4 + 4);
  });
});

describe('Conv1D forward', () => {
  const rnd = seeded(21);
  const D = 3;
  const F = 4;
  const x = t([2, 9, D], randomArray(2 * 9 * D, rnd, -2, 2));
  for (const o of [{}, { padding: 'same' }, { strides: [2] }, { strides: [2], padding: 'same' }, { dilation_rate: [2] }, { dilation_rate: [2], padding: 'same' }, { activation: 'relu', kernel_size: [4], padding: 'same' }]) {
    it(`equals tfjs conv1d ${JSON.stringify(o)}`, () => {
      const c = cfg(o);
      const k = (c.kernel_size as number[])[0];
      const W = Float32Array.from(randomArray(k * D * F, rnd));
      const b = Float32Array.from(randomArray(F, rnd));
      const l = layerNode('Conv1D', c, { weights: [weightRef('kernel', [k, D, F], W), weightRef('bias', [F], b)] });
      const ours = (conv1d.forward(l, { tensors: [x], masks: [null] }, ctx()) as LayerOutput).tensors[0];
      const [theirs] = runTfLayer(
        tfl.layers.conv1d({ filters: F, kernelSize: k, strides: (c.strides as number[])[0], padding: c.padding as 'same', dilationRate: (c.dilation_rate as number[])[0], activation: c.activation as 'relu' }),
        [x],
        [{ shape: [k, D, F], values: W }, { shape: [F], values: b }],
      );
      assert.deepEqual(ours.shape, theirs.shape);
      assertClose(ours.data, theirs.data, 1e-5, 1e-5);
    });
  }

  it('causal = valid convolution after left-padding dilation·(k-1) zeros (tfjs on the padded input)', () => {
    const k = 3;
    const dil = 2;
    const W = Float32Array.from(randomArray(k * D * F, rnd));
    const b = Float32Array.from(randomArray(F, rnd));
    const l = layerNode('Conv1D', cfg({ padding: 'causal', dilation_rate: [dil] }), { weights: [weightRef('kernel', [k, D, F], W), weightRef('bias', [F], b)] });
    const ours = (conv1d.forward(l, { tensors: [x], masks: [null] }, ctx()) as LayerOutput).tensors[0];
    const padded = fromTf(tf.pad(toTf(x), [[0, 0], [dil * (k - 1), 0], [0, 0]]));
    const [theirs] = runTfLayer(tfl.layers.conv1d({ filters: F, kernelSize: k, dilationRate: dil, padding: 'valid' }), [padded], [
      { shape: [k, D, F], values: W },
      { shape: [F], values: b },
    ]);
    assert.deepEqual(ours.shape, [2, 9, F]);
    assertClose(ours.data, theirs.data, 1e-5, 1e-5);
  });

  it('causal by hand: kernel [1, 2, 3] on x = [1, 2, 3, 4], one filter, no bias', () => {
    // y_t = 1·x_{t-2} + 2·x_{t-1} + 3·x_t with x_{<0} = 0: [3, 8, 14, 20].
    const l = layerNode('Conv1D', cfg({ filters: 1, padding: 'causal', use_bias: false }), { weights: [weightRef('kernel', [3, 1, 1], [1, 2, 3])] });
    const y = (conv1d.forward(l, { tensors: [t([1, 4, 1], [1, 2, 3, 4])], masks: [null] }, ctx()) as LayerOutput).tensors[0];
    assert.deepEqual([...y.data], [3, 8, 14, 20]);
  });

  it('groups=2 by hand: each half of the filters sees its half of the channels', () => {
    // k=1, D=2, F=2, groups=2: kernel (1,1,2) = [10, 100]; filter 0 sees channel 0 (×10), filter 1 channel 1 (×100).
    const l = layerNode('Conv1D', cfg({ filters: 2, kernel_size: [1], groups: 2, use_bias: false }), { weights: [weightRef('kernel', [1, 1, 2], [10, 100])] });
    const y = (conv1d.forward(l, { tensors: [t([1, 2, 2], [1, 2, 3, 4])], masks: [null] }, ctx()) as LayerOutput).tensors[0];
    assert.deepEqual([...y.data], [10, 200, 30, 400]);
  });

  it('says how many steps valid padding needs', () => {
    const l = layerNode('Conv1D', cfg({ kernel_size: [5] }), { weights: [weightRef('kernel', [5, 1, 4], new Array(20).fill(0)), weightRef('bias', [4], [0, 0, 0, 0])] });
    assert.throws(() => conv1d.forward(l, { tensors: [t([1, 3, 1], [1, 2, 3])], masks: [null] }, ctx()), (e: unknown) => e instanceof InputError && /at least 5 time steps/.test(e.message));
  });

  it('matches sunspot-rnn (Keras 2.14, causal, relu) on the seeded input', (t) => {
    const why = missingModels();
    if (why) return t.skip(why);
    const f = 'sunspot-rnn.h5';
    const l = layerNode('Conv1D', cfg({ name: 'conv1d_3', filters: 64, padding: 'causal', activation: 'relu' }), {
      weights: [realWeight(f, 'model_weights/conv1d_3/conv1d_3/kernel:0', 'conv1d_3/kernel:0'), realWeight(f, 'model_weights/conv1d_3/conv1d_3/bias:0', 'conv1d_3/bias:0')],
    });
    const out = (conv1d.forward(l, { tensors: [modelInput('sunspot-rnn')], masks: [null] }, ctx(2)) as LayerOutput).tensors[0];
    const want = expectedLayer('sunspot-rnn', 'conv1d_3');
    assert.deepEqual(out.shape, want.shape);
    assertClose(out.data, want.data, 1e-5, 1e-5);
  });

  it('matches civl-conv1d-lstm (Keras 3.2 legacy h5, valid, relu) on the seeded input', (t) => {
    const why = missingModels();
    if (why) return t.skip(why);
    const f = 'civl-conv1d-lstm.h5';
    const l = layerNode('Conv1D', cfg({ name: 'conv1d', filters: 64, activation: 'relu' }), {
      weights: [realWeight(f, 'model_weights/conv1d/kernel', 'kernel'), realWeight(f, 'model_weights/conv1d/bias', 'bias')],
    });
    const out = (conv1d.forward(l, { tensors: [modelInput('civl-conv1d-lstm')], masks: [null] }, ctx(3)) as LayerOutput).tensors[0];
    const want = expectedLayer('civl-conv1d-lstm', 'conv1d');
    assert.deepEqual(out.shape, want.shape);
    assertClose(out.data, want.data, 1e-5, 1e-5);
  });
});
