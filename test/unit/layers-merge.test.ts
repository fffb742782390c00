// Merge layers and Dot: output shapes (with Keras broadcasting), values against tfjs-layers, Subtract and
// masks by hand (Keras 2 ANDs masks, Keras 3 ORs them), batch_dot shapes and cosine normalize.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { merge } from '../../extension/keras/layers/merge';
import { dot } from '../../extension/keras/layers/dot';
import { InputError } from '../../extension/keras/errors';
import type { LayerOutput } from '../../extension/keras/layers/types';
import type { Mask, Tensor } from '../../extension/keras/tensor';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t } from './helpers/layerNode';
import { runTfLayer, tfl, tfReady } from './helpers/tfjs';

before(tfReady);

const rnd = seeded(51);
const a = t([2, 3, 4], randomArray(24, rnd, -2, 2));
const b = t([2, 3, 4], randomArray(24, rnd, -2, 2));
const c = t([2, 3, 4], randomArray(24, rnd, -2, 2));
const run = (kind: typeof merge, cls: string, cfg: Record<string, unknown>, xs: Tensor[], masks: (Mask | null)[] = xs.map(() => null), k: 2 | 3 = 3) =>
  kind.forward(layerNode(cls, cfg), { tensors: xs, masks }, ctx(k)) as LayerOutput;

describe('Merge layers', () => {
  it('shapes: Concatenate sums the axis, elementwise layers broadcast', () => {
    assert.deepEqual(merge.outputShape(layerNode('Concatenate', { axis: -1 }), [[null, 10, 3], [null, 10, 5]], env()).shapes, [[null, 10, 8]]);
    assert.deepEqual(merge.outputShape(layerNode('Concatenate', { axis: 1 }), [[null, 10, 3], [null, null, 3]], env()).shapes, [[null, null, 3]]);
    assert.deepEqual(merge.outputShape(layerNode('Add', {}), [[null, 10, 3], [null, 1, 3]], env()).shapes, [[null, 10, 3]]);
    assert.deepEqual(merge.outputShape(layerNode('Multiply', {}), [[null, 10, 3], [null, 3]], env()).shapes, [[null, 10, 3]]);
    assert.throws(() => merge.outputShape(layerNode('Add', {}), [[null, 10, 3], [null, 10, 4]], env()), InputError);
    assert.throws(() => merge.outputShape(layerNode('Concatenate', { axis: -1 }), [[null, 10, 3], [null, 9, 3]], env()), InputError);
    assert.equal(merge.params(layerNode('Add', {}), [[null, 3], [null, 3]], env()), null);
  });

  const tfOf: Record<string, () => tfl.layers.Layer> = {
    Add: () => tfl.layers.add({}),
    Multiply: () => tfl.layers.multiply({}),
    Average: () => tfl.layers.average({}),
    Maximum: () => tfl.layers.maximum({}),
    Minimum: () => tfl.layers.minimum({}),
  };
  for (const cls of Object.keys(tfOf)) {
    it(`${cls} of three inputs equals tfjs`, () => {
      assertClose(run(merge, cls, {}, [a, b, c]).tensors[0].data, runTfLayer(tfOf[cls](), [a, b, c])[0].data, 1e-5, 1e-5);
    });
  }
  for (const axis of [-1, 1, 2]) {
    it(`Concatenate(axis=${axis}) equals tfjs`, () => {
      const other = axis === 1 ? t([2, 2, 4], randomArray(16, rnd)) : t([2, 3, 2], randomArray(12, rnd));
      const ours = run(merge, 'Concatenate', { axis }, [a, other]).tensors[0];
      const [theirs] = runTfLayer(tfl.layers.concatenate({ axis }), [a, other]);
      assert.deepEqual(ours.shape, theirs.shape);
      assertClose(ours.data, theirs.data, 1e-6, 1e-6);
    });
  }

  it('Keras 1 Merge(mode="mul" / "concat") acts as Multiply / Concatenate(concat_axis)', () => {
    assert.deepEqual([...run(merge, 'Merge', { mode: 'mul' }, [t([1, 2], [2, 3]), t([1, 2], [4, 5])]).tensors[0].data], [8, 15]);
    assert.deepEqual(merge.outputShape(layerNode('Merge', { mode: 'concat', concat_axis: -1 }), [[null, 8, 1], [null, 8, 2]], env(2)).shapes, [[null, 8, 3]]);
    assert.throws(() => merge.outputShape(layerNode('Merge', { mode: 'cos' }), [[null, 8], [null, 8]], env(2)), /mode "cos"/);
  });

  it('Subtract and broadcasting by hand', () => {
    assert.deepEqual([...run(merge, 'Subtract', {}, [t([1, 2], [5, 7]), t([1, 2], [1, 2])]).tensors[0].data], [4, 5]);
    // [1,2,2] + [1,2] broadcasts the second over the time axis: [[1,2],[3,4]] + [10,20].
    const y = run(merge, 'Add', {}, [t([1, 2, 2], [1, 2, 3, 4]), t([1, 2], [10, 20])]).tensors[0];
    assert.deepEqual(y.shape, [1, 2, 2]);
    assert.deepEqual([...y.data], [11, 22, 13, 24]);
  });

  it('output masks: Keras 2 ANDs, Keras 3 ORs (and gives none when an input has none)', () => {
    const x = t([1, 3, 1], [1, 2, 3]);
    const m1 = { n: 1, t: 3, data: Uint8Array.from([1, 1, 0]) };
    const m2 = { n: 1, t: 3, data: Uint8Array.from([1, 0, 0]) };
    assert.deepEqual([...run(merge, 'Add', {}, [x, x], [m1, m2], 2).masks![0]!.data], [1, 0, 0]);
    assert.deepEqual([...run(merge, 'Add', {}, [x, x], [m1, m2], 3).masks![0]!.data], [1, 1, 0]);
    assert.equal(run(merge, 'Add', {}, [x, x], [m1, null], 3).masks![0], null);
    assert.deepEqual([...run(merge, 'Add', {}, [x, x], [m1, null], 2).masks![0]!.data], [1, 1, 0]);
    // Concatenate along time joins the masks: [1,1,0] then [1,0,0].
    assert.deepEqual([...run(merge, 'Concatenate', { axis: 1 }, [x, x], [m1, m2], 3).masks![0]!.data], [1, 1, 0, 1, 0, 0]);
  });

  it('Keras 3 mask-aware Multiply and Maximum by hand', () => {
    // x1 = [2, 3, 4] with mask [1, 0, 1]; x2 = [5, 6, 7] with mask [1, 1, 0] (one feature per step).
    // Multiply: masked factors count as 1 -> [10, 6, 4]; the OR mask [1,1,1] zeroes nothing.
    const x1 = t([1, 3, 1], [2, 3, 4]);
    const x2 = t([1, 3, 1], [5, 6, 7]);
    const m1 = { n: 1, t: 3, data: Uint8Array.from([1, 0, 1]) };
    const m2 = { n: 1, t: 3, data: Uint8Array.from([1, 1, 0]) };
    assert.deepEqual([...run(merge, 'Multiply', {}, [x1, x2], [m1, m2], 3).tensors[0].data], [10, 6, 4]);
    // Maximum: a masked side takes the other's value -> [max(2,5), 6, 4].
    assert.deepEqual([...run(merge, 'Maximum', {}, [x1, x2], [m1, m2], 3).tensors[0].data], [5, 6, 4]);
    // Keras 2 ignores masks in the values.
    assert.deepEqual([...run(merge, 'Multiply', {}, [x1, x2], [m1, m2], 2).tensors[0].data], [10, 18, 28]);
  });
});

describe('Dot', () => {
  it('shapes follow batch_dot: (N,D)·(N,D) -> (N,1); (N,T,D)·(N,S,D) on axes 2 -> (N,T,S)', () => {
    assert.deepEqual(dot.outputShape(layerNode('Dot', { axes: 1 }), [[null, 5], [null, 5]], env()).shapes, [[null, 1]]);
    assert.deepEqual(dot.outputShape(layerNode('Dot', { axes: [2, 2] }), [[null, 4, 5], [null, 6, 5]], env()).shapes, [[null, 4, 6]]);
    assert.deepEqual(dot.outputShape(layerNode('Dot', { axes: [1, 1] }), [[null, 4, 5], [null, 4, 3]], env()).shapes, [[null, 5, 3]]);
    assert.throws(() => dot.outputShape(layerNode('Dot', { axes: 1 }), [[null, 4], [null, 5]], env()), InputError);
  });

  const cases: [number | [number, number], number[], number[], boolean][] = [
    [1, [3, 5], [3, 5], false],
    [1, [3, 5], [3, 5], true],
    [[2, 2], [2, 4, 5], [2, 6, 5], false],
    [[1, 1], [2, 4, 5], [2, 4, 3], false],
    [[2, 1], [2, 4, 5], [2, 5, 3], true],
  ];
  for (const [axes, s1, s2, normalize] of cases) {
    it(`equals tfjs dot axes ${JSON.stringify(axes)} on [${s1}]·[${s2}]${normalize ? ' normalized' : ''}`, () => {
      const x = t(s1, randomArray(s1.reduce((p, q) => p * q, 1), rnd));
      const y = t(s2, randomArray(s2.reduce((p, q) => p * q, 1), rnd));
      const ours = (dot.forward(layerNode('Dot', { axes, normalize }), { tensors: [x, y], masks: [null, null] }, ctx()) as LayerOutput).tensors[0];
      const [theirs] = runTfLayer(tfl.layers.dot({ axes, normalize }), [x, y]);
      assert.deepEqual(ours.shape, theirs.shape);
      assertClose(ours.data, theirs.data, 1e-5, 1e-5);
    });
  }

  it('normalize gives the cosine by hand: [3,4]·[4,3] -> 24/25', () => {
    const out = (dot.forward(layerNode('Dot', { axes: 1, normalize: true }), { tensors: [t([1, 2], [3, 4]), t([1, 2], [4, 3])], masks: [null, null] }, ctx()) as LayerOutput).tensors[0];
    assertClose(out.data, [0.96], 1e-15, 0);
  });
});
