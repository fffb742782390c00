// MaxPooling1D / AveragePooling1D and the global poolings: lengths for valid/same, values against tfjs,
// the masked global average by hand, keepdims, and the real civl-conv1d-lstm MaxPooling1D.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pooling1d } from '../../extension/keras/layers/pooling1d';
import { globalPooling1d } from '../../extension/keras/layers/globalPooling1d';
import type { LayerOutput } from '../../extension/keras/layers/types';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t } from './helpers/layerNode';
import { expectedLayer, missingModels } from './helpers/realModels';
import { runTfLayer, tfl, tfReady } from './helpers/tfjs';

before(tfReady);

const rnd = seeded(31);
const x = t([2, 7, 3], randomArray(42, rnd, -2, 2));
const fwd = (kind: typeof pooling1d, l: ReturnType<typeof layerNode>, input = x, masks: LayerOutput['masks'] = [null]) =>
  (kind.forward(l, { tensors: [input], masks: masks! }, ctx()) as LayerOutput).tensors[0];

describe('MaxPooling1D / AveragePooling1D', () => {
  it('shapes: valid floors, same rounds up, strides default to pool_size', () => {
    const mp = (o: Record<string, unknown>) => pooling1d.outputShape(layerNode('MaxPooling1D', { pool_size: [2], strides: [2], padding: 'valid', ...o }), [[null, 5, 64]], env()).shapes[0];
    assert.deepEqual(mp({}), [null, 2, 64]);
    assert.deepEqual(mp({ padding: 'same' }), [null, 3, 64]);
    assert.deepEqual(mp({ strides: null, pool_size: [3] }), [null, 1, 64]);
    assert.deepEqual(mp({ strides: [1] }), [null, 4, 64]);
    assert.equal(pooling1d.params(layerNode('MaxPooling1D', {}), [[null, 5, 64]], env()), null);
  });

  for (const cls of ['MaxPooling1D', 'AveragePooling1D'] as const) {
    for (const [size, stride, padding] of [[2, 2, 'valid'], [3, 2, 'valid'], [2, 2, 'same'], [3, 2, 'same'], [3, 1, 'same'], [4, 3, 'same']] as const) {
      it(`${cls} pool ${size} stride ${stride} ${padding} equals tfjs`, () => {
        const l = layerNode(cls, { pool_size: [size], strides: [stride], padding, data_format: 'channels_last' });
        const ours = fwd(pooling1d, l);
        const make = cls === 'MaxPooling1D' ? tfl.layers.maxPooling1d : tfl.layers.averagePooling1d;
        const [theirs] = runTfLayer(make({ poolSize: size, strides: stride, padding }), [x]);
        assert.deepEqual(ours.shape, theirs.shape);
        assertClose(ours.data, theirs.data, 1e-6, 1e-6);
      });
    }
  }

  it('AveragePooling1D "same" leaves the padded step out of the count (hand: [1,2,3] pool 2 -> [1.5, 3])', () => {
    const y = fwd(pooling1d, layerNode('AveragePooling1D', { pool_size: [2], strides: [2], padding: 'same' }), t([1, 3, 1], [1, 2, 3]));
    assert.deepEqual([...y.data], [1.5, 3]);
  });

  it('matches civl-conv1d-lstm MaxPooling1D fed the reference Conv1D output', (t) => {
    const why = missingModels();
    if (why) return t.skip(why);
    const l = layerNode('MaxPooling1D', { pool_size: [2], padding: 'valid', strides: [2], data_format: 'channels_last' });
    const y = fwd(pooling1d, l, expectedLayer('civl-conv1d-lstm', 'conv1d'));
    const want = expectedLayer('civl-conv1d-lstm', 'max_pooling1d');
    assert.deepEqual(y.shape, want.shape);
    assertClose(y.data, want.data, 0, 0);
  });
});

describe('GlobalAveragePooling1D / GlobalMaxPooling1D', () => {
  it('shapes with and without keepdims', () => {
    const g = (cls: string, o: Record<string, unknown> = {}) => globalPooling1d.outputShape(layerNode(cls, o), [[null, 10, 8]], env()).shapes[0];
    assert.deepEqual(g('GlobalAveragePooling1D'), [null, 8]);
    assert.deepEqual(g('GlobalMaxPooling1D', { keepdims: true }), [null, 1, 8]);
  });

  for (const cls of ['GlobalAveragePooling1D', 'GlobalMaxPooling1D'] as const) {
    it(`${cls} equals tfjs`, () => {
      const make = cls === 'GlobalMaxPooling1D' ? tfl.layers.globalMaxPooling1d : tfl.layers.globalAveragePooling1d;
      const [theirs] = runTfLayer(make({}), [x]);
      const ours = fwd(globalPooling1d, layerNode(cls, {}));
      assert.deepEqual(ours.shape, [2, 3]);
      assertClose(ours.data, theirs.data, 1e-6, 1e-6);
    });
  }

  it('the average leaves masked steps out (Keras: sum(x·m)/sum(m)); the max ignores the mask; keepdims keeps T=1', () => {
    // Sample 0: steps [1, 10], [3, 20], [100, 100] with the last masked -> mean [2, 15].
    // Sample 1: steps [2, 2], [4, 4], [6, 6], none masked -> mean [4, 4].
    const input = t([2, 3, 2], [1, 10, 3, 20, 100, 100, 2, 2, 4, 4, 6, 6]);
    const mask = { n: 2, t: 3, data: Uint8Array.from([1, 1, 0, 1, 1, 1]) };
    const avg = globalPooling1d.forward(layerNode('GlobalAveragePooling1D', { keepdims: true }), { tensors: [input], masks: [mask] }, ctx()) as LayerOutput;
    assert.deepEqual(avg.tensors[0].shape, [2, 1, 2]);
    assert.deepEqual([...avg.tensors[0].data], [2, 15, 4, 4]);
    assert.deepEqual(avg.masks, [null]);
    const max = globalPooling1d.forward(layerNode('GlobalMaxPooling1D', {}), { tensors: [input], masks: [mask] }, ctx()) as LayerOutput;
    assert.deepEqual([...max.tensors[0].data], [100, 100, 6, 6]);
  });
});
