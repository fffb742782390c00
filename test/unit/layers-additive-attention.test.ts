// Keras AdditiveAttention: tfjs has no such layer, so values are checked against the Keras formula written with
// tfjs-core ops (tanh, sum, softmax, matMul), an independent NumPy implementation, and small cases by hand.
// Keras source (keras/src/layers/attention/additive_attention.py, tf-keras base_dense_attention.py):
// scores = Σ_d scale_d·tanh(q_id + k_jd); hidden keys −1e9; softmax over keys; ·value; masked queries give 0.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { additiveAttention } from '../../extension/keras/layers/additiveAttention';
import type { LayerOutput } from '../../extension/keras/layers/types';
import type { Mask, Tensor } from '../../extension/keras/tensor';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';
import { NO_NUMPY_REASON, PYTHON_WITH_NUMPY } from './helpers/python';
import { fromTf, tf, tfReady, toTf } from './helpers/tfjs';

before(tfReady);

const rnd = seeded(4242);

/** The Keras computation in tfjs-core ops. */
function tfAdditive(q: Tensor, v: Tensor, k: Tensor, o: { scale?: number[]; causal?: boolean; qMask?: Mask; vMask?: Mask }): Tensor {
  const result = tf.tidy(() => {
    const summed = tf.tanh(tf.add(tf.expandDims(toTf(q), 2), tf.expandDims(toTf(k), 1)));
    let scores = tf.sum(o.scale ? tf.mul(summed, tf.tensor1d(o.scale)) : summed, -1);
    const [N, Tq] = q.shape;
    const Tv = v.shape[1];
    let visible = tf.ones([N, Tq, Tv]);
    if (o.vMask) visible = tf.mul(visible, tf.tensor(Float32Array.from(o.vMask.data), [N, 1, Tv]));
    if (o.causal) visible = tf.mul(visible, tf.expandDims(tf.linalg.bandPart(tf.ones([Tq, Tv]), -1, 0), 0));
    scores = tf.sub(scores, tf.mul(tf.sub(1, visible), 1e9));
    let out = tf.matMul(tf.softmax(scores, -1), toTf(v));
    if (o.qMask) out = tf.mul(out, tf.tensor(Float32Array.from(o.qMask.data), [N, Tq, 1]));
    return out;
  });
  const plain = fromTf(result);
  result.dispose();
  return plain;
}

function run(cfg: Record<string, unknown>, xs: Tensor[], o: { masks?: (Mask | null)[]; scale?: number[]; kwargs?: Record<string, unknown>; major?: 2 | 3 } = {}): LayerOutput {
  const weights = o.scale ? [weightRef('scale', [o.scale.length], o.scale)] : [];
  const l = layerNode('AdditiveAttention', cfg, { weights, calls: [{ inputs: [], kwargs: o.kwargs ?? {} }] });
  return additiveAttention.forward(l, { tensors: xs, masks: xs.map((_, i) => o.masks?.[i] ?? null) }, ctx(o.major ?? 3)) as LayerOutput;
}

const f32 = (xs: number[]) => xs.map(Math.fround);

describe('AdditiveAttention', () => {
  const q = t([2, 3, 4], randomArray(24, rnd));
  const v = t([2, 5, 4], randomArray(40, rnd));
  const k = t([2, 5, 4], randomArray(40, rnd));
  const scale = f32(randomArray(4, rnd, -1.5, 1.5));

  it('shape: Keras 3 takes the value width, Keras 2 the query shape; scores add an N×Tq×Tv output', () => {
    const l = layerNode('AdditiveAttention', {});
    assert.deepEqual(additiveAttention.outputShape(l, [[null, 3, 4], [null, 5, 6]], env(3)).shapes, [[null, 3, 6]]);
    assert.deepEqual(additiveAttention.outputShape(l, [[null, 3, 4], [null, 5, 4]], env(2)).shapes, [[null, 3, 4]]);
    const withScores = layerNode('AdditiveAttention', {}, { calls: [{ inputs: [], kwargs: { return_attention_scores: true } }] });
    assert.deepEqual(additiveAttention.outputShape(withScores, [[null, 3, 4], [null, 5, 4]], env(3)).shapes, [[null, 3, 4], [null, 3, 5]]);
  });

  it('parameters: use_scale (the default) is one weight per feature; Keras 3 sizes it by the query, tf.keras by the value', () => {
    const f = additiveAttention.params(layerNode('AdditiveAttention', {}), [[null, 3, 4], [null, 5, 6], [null, 5, 4]], env(3))!;
    assert.deepEqual(f.terms.map((x) => [x.name, x.shape]), [['scale', [4]]]);
    assert.equal(f.substituted, '4 = 4');
    assert.equal(additiveAttention.params(layerNode('AdditiveAttention', {}), [[null, 3, 4], [null, 5, 6]], env(2))!.total, 6);
    assert.equal(additiveAttention.params(layerNode('AdditiveAttention', { use_scale: false }), [[null, 3, 4], [null, 5, 4]], env(3)), null);
  });

  it('with a key, the scale and both masks equals the tfjs-ops formula', () => {
    const qMask = { n: 2, t: 3, data: Uint8Array.from([1, 1, 0, 1, 1, 1]) };
    const vMask = { n: 2, t: 5, data: Uint8Array.from([1, 1, 1, 0, 0, 1, 0, 1, 1, 1]) };
    const out = run({}, [q, v, k], { masks: [qMask, vMask], scale });
    assertClose(out.tensors[0].data, tfAdditive(q, v, k, { scale, qMask, vMask }).data, 1e-5, 1e-5);
    assert.equal(out.masks![0], qMask);
  });

  it('use_scale=False and a causal mask (call argument, or Keras 2 `causal` in the config) equal the tfjs-ops formula', () => {
    const qq = t([2, 5, 4], randomArray(40, rnd));
    const a = run({ use_scale: false }, [qq, v], { kwargs: { use_causal_mask: true } });
    assertClose(a.tensors[0].data, tfAdditive(qq, v, v, { causal: true }).data, 1e-5, 1e-5);
    const b = run({ use_scale: false, causal: true }, [qq, v], { major: 2 });
    assertClose(b.tensors[0].data, a.tensors[0].data, 0, 0);
  });

  it('by hand: one query over two keys, and a row whose every key is masked averages the values (float32 −1e9 rounding)', () => {
    // q = 0, keys 0 and atanh(0.5): scores [0, 0.5] -> weights [1/(1+e^0.5), e^0.5/(1+e^0.5)].
    const out = run({}, [t([1, 1, 1], [0]), t([1, 2, 1], [1, 0]), t([1, 2, 1], [0, Math.atanh(0.5)])], { scale: [1], kwargs: { return_attention_scores: true } });
    const w0 = 1 / (1 + Math.exp(0.5));
    assertClose(out.tensors[0].data, [w0], 1e-15, 1e-15);
    assertClose(out.tensors[1].data, [w0, 1 - w0], 1e-15, 1e-15);
    // Every key hidden: Keras's float32 scores − 1e9 all round to −1e9, so the weights are uniform.
    const hidden = run({}, [t([1, 1, 1], [0]), t([1, 2, 1], [1, 3]), t([1, 2, 1], [0, Math.atanh(0.5)])], { scale: [1], masks: [null, { n: 1, t: 2, data: Uint8Array.from([0, 0]) }] });
    assertClose(hidden.tensors[0].data, [2], 1e-15, 0);
  });

  it('equals an independent NumPy implementation (masks, causal, scores, N×D inputs)', { skip: PYTHON_WITH_NUMPY ? false : NO_NUMPY_REASON }, () => {
    const qMask = { n: 2, t: 3, data: Uint8Array.from([1, 0, 1, 1, 1, 1]) };
    const vMask = { n: 2, t: 5, data: Uint8Array.from([0, 1, 1, 0, 1, 1, 1, 0, 1, 1]) };
    const qq = t([2, 3, 4], randomArray(24, rnd));
    const flatQ = t([3, 4], randomArray(12, rnd));
    const flatV = t([3, 2], randomArray(6, rnd));
    const program = `
import json, sys
import numpy as np
IN = json.load(sys.stdin)
def arr(name): return np.array(IN[name]['data']).reshape(IN[name]['shape'])
def additive(q, v, k, scale, q_mask=None, v_mask=None, causal=False):
    if q.ndim == 2: q, v, k = q[None], v[None], k[None]
    s = np.einsum('nijd,d->nij', np.tanh(q[:, :, None, :] + k[:, None, :, :]), scale)
    keep = np.ones(s.shape, bool)
    if v_mask is not None: keep &= v_mask[:, None, :] > 0
    if causal: keep &= np.tril(np.ones(s.shape[1:], bool))[None]
    # Keras subtracts 1e9 from float32 scores: a row with every key hidden becomes all -1e9 (uniform weights).
    s = np.where(keep, s, (s.astype(np.float32) - np.float32(1e9)).astype(np.float64))
    w = np.exp(s - s.max(-1, keepdims=True)); w /= w.sum(-1, keepdims=True)
    out = w @ v
    if q_mask is not None: out = out * (q_mask[..., None] > 0)
    return out, w
scale = np.array(IN['scale'])
qm = np.array(IN['qMask']).reshape(2, 3); vm = np.array(IN['vMask']).reshape(2, 5)
a, wa = additive(arr('qq'), arr('v'), arr('k'), scale, qm, vm, causal=True)
b, _ = additive(arr('flatQ'), arr('flatV'), arr('flatQ'), np.ones(4))
print(json.dumps([a.ravel().tolist(), wa.ravel().tolist(), b.ravel().tolist()]))`;
    const enc = (x: Tensor) => ({ shape: x.shape, data: [...x.data] });
    const py = spawnSync(PYTHON_WITH_NUMPY!, ['-c', program], {
      input: JSON.stringify({ qq: enc(qq), v: enc(v), k: enc(k), flatQ: enc(flatQ), flatV: enc(flatV), scale, qMask: [...qMask.data], vMask: [...vMask.data] }),
      encoding: 'utf8',
    });
    assert.equal(py.status, 0, py.stderr);
    const [a, wa, b] = JSON.parse(py.stdout) as number[][];
    const ours = run({}, [qq, v, k], { masks: [qMask, vMask], scale, kwargs: { use_causal_mask: true, return_attention_scores: true } });
    assertClose(ours.tensors[0].data, a, 1e-12, 1e-12);
    assertClose(ours.tensors[1].data, wa, 1e-12, 1e-12);
    const flat = run({ use_scale: false }, [flatQ, flatV, flatQ]);
    assert.deepEqual(flat.tensors[0].shape, [3, 2]);
    assertClose(flat.tensors[0].data, b, 1e-12, 1e-12);
  });

  it('a stored scale of the wrong size, or one input, is one sentence', () => {
    assert.throws(() => run({}, [q, v], { scale: [1, 2] }), /stores scale with 2 values.*needs 4/);
    assert.throws(() => run({}, [q]), /takes \[query, value\]/);
  });
});
