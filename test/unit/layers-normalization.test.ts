// BatchNormalization (inference with moving statistics, non-trainable counted apart) and LayerNormalization:
// formulas per center/scale flags and values against tfjs-layers.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { batchNormalization } from '../../extension/keras/layers/batchNormalization';
import { layerNormalization } from '../../extension/keras/layers/layerNormalization';
import { UnsupportedFeatureError } from '../../extension/keras/errors';
import type { LayerOutput } from '../../extension/keras/layers/types';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';
import { runTfLayer, tfl, tfReady } from './helpers/tfjs';

before(tfReady);

const rnd = seeded(41);

describe('BatchNormalization', () => {
  it('counts 4·C: gamma and beta trainable, moving_mean and moving_variance not', () => {
    const f = batchNormalization.params(layerNode('BatchNormalization', { axis: -1 }), [[null, 10, 16]], env())!;
    assert.equal(f.formula, '4·C');
    assert.equal(f.substituted, '4·16 = 64');
    assert.deepEqual(f.terms.map((x) => [x.name, x.trainable]), [['gamma', true], ['beta', true], ['moving_mean', false], ['moving_variance', false]]);
    assert.equal(f.trainable, 32);
    assert.equal(f.nonTrainable, 32);
    const noScale = batchNormalization.params(layerNode('BatchNormalization', { scale: false }), [[null, 16]], env())!;
    assert.equal(noScale.formula, '3·C');
    assert.deepEqual(noScale.terms.map((x) => x.name), ['beta', 'moving_mean', 'moving_variance']);
    assert.equal(noScale.trainable, 16);
    assert.deepEqual(batchNormalization.outputShape(layerNode('BatchNormalization', {}), [[null, 10, 16]], env()).shapes, [[null, 10, 16]]);
  });

  for (const [axis, shape, eps] of [[-1, [3, 4, 5], 1e-3], [-1, [3, 4, 5], 1e-5], [-1, [6, 5], 0.1]] as const) {
    it(`equals tfjs at inference (axis ${axis}, input [${shape}], epsilon ${eps})`, () => {
      const C = shape[axis < 0 ? shape.length + axis : axis];
      const ws = [randomArray(C, rnd, 0.5, 2), randomArray(C, rnd), randomArray(C, rnd), randomArray(C, rnd, 0.1, 3)].map((a) => Float32Array.from(a));
      const x = t([...shape], randomArray(shape.reduce((a, b) => a * b, 1), rnd, -3, 3));
      const l = layerNode('BatchNormalization', { axis, epsilon: eps, center: true, scale: true }, {
        weights: [weightRef('gamma', [C], ws[0]), weightRef('beta', [C], ws[1]), weightRef('moving_mean', [C], ws[2], false), weightRef('moving_variance', [C], ws[3], false)],
      });
      const mask = { n: shape[0], t: shape[1], data: new Uint8Array(shape[0] * shape[1]).fill(1) };
      const out = batchNormalization.forward(l, { tensors: [x], masks: [mask] }, ctx()) as LayerOutput;
      const [theirs] = runTfLayer(tfl.layers.batchNormalization({ axis, epsilon: eps }), [x], ws.map((values) => ({ shape: [C], values })));
      assertClose(out.tensors[0].data, theirs.data, 1e-5, 1e-5);
      assert.equal(out.masks![0], mask);
    });
  }

  it('axis=1 scales per time step by hand (tfjs 4.22 broadcasts a non-last axis wrongly, so no tfjs here)', () => {
    // x [1,2,2] = [[1,2],[3,4]], channel axis 1: gamma [1, 10], beta [0, 0.5], mean 0, variance 1, epsilon 0:
    // row 0 -> [1, 2]; row 1 -> 10·[3, 4] + 0.5 = [30.5, 40.5].
    const l = layerNode('BatchNormalization', { axis: 1, epsilon: 0 }, {
      weights: [weightRef('gamma', [2], [1, 10]), weightRef('beta', [2], [0, 0.5]), weightRef('moving_mean', [2], [0, 0], false), weightRef('moving_variance', [2], [1, 1], false)],
    });
    const y = (batchNormalization.forward(l, { tensors: [t([1, 2, 2], [1, 2, 3, 4])], masks: [null] }, ctx()) as LayerOutput).tensors[0];
    assert.deepEqual([...y.data], [1, 2, 30.5, 40.5]);
  });

  it('without center and scale: (x - mean)/sqrt(var + eps) by hand', () => {
    // x = 3, mean 1, var 3, eps 1 -> (3-1)/sqrt(4) = 1.
    const l = layerNode('BatchNormalization', { center: false, scale: false, epsilon: 1 }, { weights: [weightRef('moving_mean', [1], [1], false), weightRef('moving_variance', [1], [3], false)] });
    assert.deepEqual([...(batchNormalization.forward(l, { tensors: [t([1, 1], [3])], masks: [null] }, ctx()) as LayerOutput).tensors[0].data], [1]);
  });
});

describe('LayerNormalization', () => {
  it('counts 2·C (gamma, beta); rms_scaling counts gamma only (layers-softmax-rms.test.ts runs it)', () => {
    const f = layerNormalization.params(layerNode('LayerNormalization', { axis: -1 }), [[null, 10, 8]], env())!;
    assert.equal(f.formula, '2·C');
    assert.equal(f.total, 16);
    assert.equal(layerNormalization.params(layerNode('LayerNormalization', { rms_scaling: true }), [[null, 10, 8]], env())!.total, 8);
  });

  for (const [axis, shape] of [[-1, [2, 3, 5]], [[1, 2], [2, 3, 5]], [-1, [4, 6]]] as const) {
    it(`equals tfjs (axis ${JSON.stringify(axis)}, input [${shape}])`, () => {
      const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? shape.length + a : a));
      const pshape = axes.map((a) => shape[a]);
      const C = pshape.reduce((a, b) => a * b, 1);
      const gamma = Float32Array.from(randomArray(C, rnd, 0.5, 2));
      const beta = Float32Array.from(randomArray(C, rnd));
      const x = t([...shape], randomArray(shape.reduce((a, b) => a * b, 1), rnd, -3, 3));
      const l = layerNode('LayerNormalization', { axis, epsilon: 1e-3 }, { weights: [weightRef('gamma', pshape, gamma), weightRef('beta', pshape, beta)] });
      const ours = (layerNormalization.forward(l, { tensors: [x], masks: [null] }, ctx()) as LayerOutput).tensors[0];
      const [theirs] = runTfLayer(tfl.layers.layerNormalization({ axis: axis as number, epsilon: 1e-3 }), [x], [
        { shape: pshape, values: gamma },
        { shape: pshape, values: beta },
      ]);
      assertClose(ours.data, theirs.data, 1e-5, 1e-5);
    });
  }
});
