// TimeDistributed(Dense): one Dense shared by all T steps. Shapes with N,T,K letters, the inner formula,
// values against tfjs timeDistributed and against real Keras 2.0 and Keras 3.6 decoders' reference outputs.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
// The registry first: wrapper modules reach it through dispatch.ts, and index.ts lists them eagerly.
import '../../extension/keras/layers/index';
import { timeDistributed } from '../../extension/keras/layers/timeDistributed';
import { repeatVector } from '../../extension/keras/layers/repeatVector';
import type { LayerOutput } from '../../extension/keras/layers/types';
import type { WeightRef } from '../../extension/keras/model';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';
import { expectedLayer, missingModels, realWeight } from './helpers/realModels';
import { runTfLayer, tfl, tfReady } from './helpers/tfjs';

before(tfReady);

function wrapped(units: number, activation: string, weights: WeightRef[], onChild = false) {
  const child = layerNode('Dense', { units, activation, use_bias: true }, { name: 'dense', weights: onChild ? weights : [] });
  return layerNode('TimeDistributed', { layer: { class_name: 'Dense' } }, { name: 'td', children: [child], weights });
}

describe('TimeDistributed(Dense)', () => {
  it('maps N×T×D to N×T×K and explains the shared weights', () => {
    const l = wrapped(344, 'softmax', []);
    assert.deepEqual(timeDistributed.outputShape(l, [[null, 21, 64]], env(2)), { shapes: [[null, 21, 344]], letters: [['N', 'T', 'K']] });
    const f = timeDistributed.params(l, [[null, 21, 64]], env(2))!;
    assert.equal(f.formula, 'D·K + K');
    assert.equal(f.total, 64 * 344 + 344);
    assert.match(f.note!, /does not grow with T/);
  });

  it('equals tfjs timeDistributed(dense) and passes the mask through', async () => {
    const rnd = seeded(5);
    const W = Float32Array.from(randomArray(4 * 3, rnd));
    const b = Float32Array.from(randomArray(3, rnd));
    const x = t([2, 5, 4], randomArray(40, rnd, -2, 2));
    const mask = { n: 2, t: 5, data: Uint8Array.from([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]) };
    const l = wrapped(3, 'tanh', [weightRef('kernel', [4, 3], W), weightRef('bias', [3], b)], true);
    const out = (await timeDistributed.forward(l, { tensors: [x], masks: [mask] }, ctx())) as LayerOutput;
    const [theirs] = runTfLayer(tfl.layers.timeDistributed({ layer: tfl.layers.dense({ units: 3, activation: 'tanh' }) }), [x], [
      { shape: [4, 3], values: W },
      { shape: [3], values: b },
    ]);
    assert.deepEqual(out.tensors[0].shape, [2, 5, 3]);
    assertClose(out.tensors[0].data, theirs.data, 1e-6, 1e-5);
    assert.equal(out.masks![0], mask);
  });

  it('matches mt-gru-timedist (Keras 2.0.4: weights listed on the wrapper) fed the reference GRU output', async (t) => {
    const why = missingModels();
    if (why) return t.skip(why);
    const f = 'mt-gru-timedist.h5';
    const l = wrapped(344, 'softmax', [
      realWeight(f, 'model_weights/time_distributed_2/time_distributed_2/kernel:0', 'time_distributed_2/kernel:0'),
      realWeight(f, 'model_weights/time_distributed_2/time_distributed_2/bias:0', 'time_distributed_2/bias:0'),
    ]);
    const out = (await timeDistributed.forward(l, { tensors: [expectedLayer('mt-gru-timedist', 'gru_2')], masks: [null] }, ctx(2))) as LayerOutput;
    const want = expectedLayer('mt-gru-timedist', 'time_distributed_2');
    assert.deepEqual(out.tensors[0].shape, want.shape);
    assertClose(out.tensors[0].data, want.data, 1e-6, 1e-5);
  });

  it('matches lstm-ae-timedist (Keras 3.6 .keras: positional vars) including its RepeatVector', async (t) => {
    const why = missingModels();
    if (why) return t.skip(why);
    const id = 'lstm-ae-timedist';
    const rep = repeatVector.forward(layerNode('RepeatVector', { n: 1 }), { tensors: [expectedLayer(id, 'lstm_9')], masks: [null] }, ctx(3)) as LayerOutput;
    const wantRep = expectedLayer(id, 'repeat_vector_2');
    assert.deepEqual(rep.tensors[0].shape, wantRep.shape);
    assertClose(rep.tensors[0].data, wantRep.data, 0, 0);
    const f = 'lstm-ae-timedist.keras';
    const l = wrapped(122, 'linear', [realWeight(f, 'layers/time_distributed/layer/vars/0', '0'), realWeight(f, 'layers/time_distributed/layer/vars/1', '1')]);
    const out = (await timeDistributed.forward(l, { tensors: [expectedLayer(id, 'lstm_11')], masks: [null] }, ctx(3))) as LayerOutput;
    const want = expectedLayer(id, 'time_distributed_1');
    assert.deepEqual(out.tensors[0].shape, want.shape);
    assertClose(out.tensors[0].data, want.data, 1e-5, 1e-5);
  });
});

it('TimeDistributed of a nested Sequential runs the inner model at every step (through runForward)', async () => {
  const { sequentialDoc } = await import('./helpers/modelDoc');
  const { runForward } = await import('../../extension/keras/forward');
  // Inner model: Dense(1) with W = [[2], [1]], b = 0.5, applied to each step's 2 features.
  // x[t] = [1, 2] → 2·1 + 1·2 + 0.5 = 4.5; x[t] = [3, -1] → 6 − 1 + 0.5 = 5.5 (worked by hand).
  const innerDense = layerNode('Dense', { units: 1 }, { name: 'inner_dense', weights: [weightRef('kernel', [2, 1], [2, 1]), weightRef('bias', [1], [0.5])] });
  const inner = sequentialDoc([null, 2], [innerDense]);
  const block = layerNode('Sequential', {}, { name: 'block' });
  block.model = inner.root;
  const td = layerNode('TimeDistributed', {}, { name: 'td', children: [block] });
  const doc = sequentialDoc([null, 2, 2], [td]);
  const result = await runForward(doc, [t([1, 2, 2], [1, 2, 3, -1])]);
  assert.equal(result.stopped, undefined);
  assert.deepEqual(result.outputs[0].shape, [1, 2, 1]);
  assertClose(result.outputs[0].data, [4.5, 5.5], 1e-12, 0, 'TimeDistributed(Sequential)');
});
