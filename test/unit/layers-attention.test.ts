// Keras Attention: tfjs-layers has no Attention layer, so values are checked against the Keras formula
// written with tfjs-core ops (matMul, tanh, softmax) and against small cases derived by hand.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { attention } from '../../extension/keras/layers/attention';
import type { LayerOutput } from '../../extension/keras/layers/types';
import type { Mask, Tensor } from '../../extension/keras/tensor';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';
import { fromTf, tf, tfReady, toTf } from './helpers/tfjs';

before(tfReady);

const rnd = seeded(61);

/** The Keras computation in tfjs-core ops: scores, -1e9 where hidden, softmax over keys, weights·value, query mask. */
function tfAttention(q: Tensor, v: Tensor, k: Tensor, o: { scale?: number; concat?: number; causal?: boolean; qMask?: Mask; vMask?: Mask }): Tensor {
  const result = tf.tidy(() => {
    const Q = toTf(q);
    const V = toTf(v);
    const K = toTf(k);
    let scores: tf.Tensor;
    if (o.concat !== undefined) {
      const sum = tf.add(tf.expandDims(Q, 2), tf.expandDims(K, 1));
      scores = tf.mul(tf.sum(tf.tanh(o.scale !== undefined ? tf.mul(sum, o.scale) : sum), -1), o.concat);
    } else {
      scores = tf.matMul(Q, K, false, true);
      if (o.scale !== undefined) scores = tf.mul(scores, o.scale);
    }
    const [N, Tq] = q.shape;
    const Tv = v.shape[1];
    let visible = tf.ones([N, Tq, Tv]);
    if (o.vMask) visible = tf.mul(visible, tf.tensor(Float32Array.from(o.vMask.data), [N, 1, Tv]));
    if (o.causal) visible = tf.mul(visible, tf.expandDims(tf.linalg.bandPart(tf.ones([Tq, Tv]), -1, 0), 0));
    scores = tf.sub(scores, tf.mul(tf.sub(1, visible), 1e9));
    let out = tf.matMul(tf.softmax(scores, -1), V);
    if (o.qMask) out = tf.mul(out, tf.tensor(Float32Array.from(o.qMask.data), [N, Tq, 1]));
    return out;
  });
  const plain = fromTf(result);
  result.dispose();
  return plain;
}

function run(cfg: Record<string, unknown>, xs: Tensor[], masks: (Mask | null)[] = [], weights: [string, number][] = [], kwargs: Record<string, unknown> = {}) {
  const l = layerNode('Attention', cfg, { weights: weights.map(([n, v]) => weightRef(n, [], [v])), calls: [{ inputs: [], kwargs }] });
  return attention.forward(l, { tensors: xs, masks: xs.map((_, i) => masks[i] ?? null) }, ctx()) as LayerOutput;
}

describe('Attention', () => {
  const q = t([2, 3, 4], randomArray(24, rnd));
  const v = t([2, 5, 4], randomArray(40, rnd));
  const k = t([2, 5, 4], randomArray(40, rnd));

  it('shape: Keras 3 takes the value width, Keras 2 the query shape; scores add an N×Tq×Tv output', () => {
    const l = layerNode('Attention', {});
    assert.deepEqual(attention.outputShape(l, [[null, 3, 4], [null, 5, 6]], env(3)).shapes, [[null, 3, 6]]);
    assert.deepEqual(attention.outputShape(l, [[null, 3, 4], [null, 5, 4]], env(2)).shapes, [[null, 3, 4]]);
    const withScores = layerNode('Attention', {}, { calls: [{ inputs: [], kwargs: { return_attention_scores: true } }] });
    assert.deepEqual(attention.outputShape(withScores, [[null, 3, 4], [null, 5, 4]], env(3)).shapes, [[null, 3, 4], [null, 3, 5]]);
  });

  it('parameters: none by default, one scalar each for use_scale and concat', () => {
    assert.equal(attention.params(layerNode('Attention', {}), [], env()), null);
    const f = attention.params(layerNode('Attention', { use_scale: true, score_mode: 'concat' }), [], env())!;
    assert.deepEqual(f.terms.map((x) => [x.name, x.count]), [['scale', 1], ['concat_score_weight', 1]]);
    assert.equal(f.total, 2);
  });

  it('dot scores equal the tfjs-ops formula, with a key, scale and both masks', () => {
    const qMask = { n: 2, t: 3, data: Uint8Array.from([1, 1, 0, 1, 1, 1]) };
    const vMask = { n: 2, t: 5, data: Uint8Array.from([1, 1, 1, 0, 0, 1, 0, 1, 1, 1]) };
    const out = run({ use_scale: true }, [q, v, k], [qMask, vMask], [['scale', 0.7]]);
    assertClose(out.tensors[0].data, tfAttention(q, v, k, { scale: Math.fround(0.7), qMask, vMask }).data, 1e-5, 1e-5);
    assert.equal(out.masks![0], qMask);
  });

  it('concat scores with scale and a causal mask equal the tfjs-ops formula', () => {
    const qq = t([2, 5, 4], randomArray(40, rnd));
    const out = run({ use_scale: true, score_mode: 'concat' }, [qq, v], [], [['scale', 1.3], ['concat_score_weight', -0.8]], { use_causal_mask: true });
    assertClose(out.tensors[0].data, tfAttention(qq, v, v, { scale: Math.fround(1.3), concat: Math.fround(-0.8), causal: true }).data, 1e-5, 1e-5);
  });

  it('Keras 2 `causal: true` in the config is the same causal mask', () => {
    const qq = t([2, 5, 4], randomArray(40, rnd));
    const a = run({ causal: true }, [qq, v]).tensors[0].data;
    const b = run({}, [qq, v], [], [], { use_causal_mask: true }).tensors[0].data;
    assertClose(a, b, 0, 0);
  });

  it('by hand: one query over two keys', () => {
    // q = [1, 0]; keys = values = [1, 0] and [0, 1]: scores [1, 0] -> softmax [e/(e+1), 1/(e+1)]
    // = [0.7310585786, 0.2689414214]; output = 0.7310585786·[1,0] + 0.2689414214·[0,1].
    const out = run({}, [t([1, 1, 2], [1, 0]), t([1, 2, 2], [1, 0, 0, 1])], [], [], { return_attention_scores: true });
    assertClose(out.tensors[0].data, [0.7310585786300049, 0.2689414213699951], 1e-15, 0);
    assertClose(out.tensors[1].data, [0.7310585786300049, 0.2689414213699951], 1e-15, 0);
    // A masked second key leaves all the weight on the first: output = [1, 0].
    const masked = run({}, [t([1, 1, 2], [1, 0]), t([1, 2, 2], [1, 0, 0, 1])], [null, { n: 1, t: 2, data: Uint8Array.from([1, 0]) }]);
    assertClose(masked.tensors[0].data, [1, 0], 1e-15, 0);
  });

  it('on N×D inputs attends across the samples, as Keras does', () => {
    // Two samples q = v = [[1, 0], [0, 1]]: each row attends over both samples -> same as the hand case.
    const out = run({}, [t([2, 2], [1, 0, 0, 1]), t([2, 2], [1, 0, 0, 1])]);
    assert.deepEqual(out.tensors[0].shape, [2, 2]);
    assertClose(out.tensors[0].data, [0.7310585786300049, 0.2689414213699951, 0.2689414213699951, 0.7310585786300049], 1e-15, 0);
  });
});
