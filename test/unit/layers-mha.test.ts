// Keras MultiHeadAttention (keras/src/layers/attention/multi_head_attention.py, tf-keras's): four projections
// (query, key, value kernels D×H×A and biases H×A; attention_output H×U×O), scaled dot-product heads, masks from the
// inputs, use_causal_mask, and the row-with-no-visible-key rule of each Keras path. Checked against the same formula in
// TensorFlow.js core ops (matMul, softmax), an independent NumPy einsum implementation, and counts and a case by hand.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadModel } from '../../extension/keras/documentNode';
import { rnnWrapper } from '../../extension/keras/layers/rnnWrapper';
import { lstm } from '../../extension/keras/layers/lstm';
import { summarize } from '../../extension/keras/summary';
import { kerasZip } from '../helpers/craft';
import { noNumpyH5py } from './helpers/kerasPython';
import { parseModelConfig } from '../../extension/keras/config';
import { runForward } from '../../extension/keras/forward';
import { multiHeadAttention } from '../../extension/keras/layers/multiHeadAttention';
import type { LayerOutput } from '../../extension/keras/layers/types';
import type { ModelDocument, WeightRef } from '../../extension/keras/model';
import type { Mask, Tensor } from '../../extension/keras/tensor';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';
import { NO_NUMPY_REASON, PYTHON_WITH_NUMPY } from './helpers/python';
import { fromTf, tf, tfReady, toTf } from './helpers/tfjs';

before(tfReady);

const rnd = seeded(3141);

interface Setup {
  H: number;
  A: number;
  U?: number;
  Dq: number;
  Dk: number;
  Dv: number;
  out?: number[];
  bias?: boolean;
}

/** Random float32 weights named as Keras 2 names them (`query/kernel`), in Keras order. */
function mhaWeights(s: Setup): { ref: WeightRef; values: number[]; name: string }[] {
  const U = s.U ?? s.A;
  const O = s.out ?? [s.Dq];
  const bias = s.bias !== false;
  const parts: [string, number[], number[]][] = [
    ['query', [s.Dq, s.H, s.A], [s.H, s.A]],
    ['key', [s.Dk, s.H, s.A], [s.H, s.A]],
    ['value', [s.Dv, s.H, U], [s.H, U]],
    ['attention_output', [s.H, U, ...O], O],
  ];
  return parts.flatMap(([name, k, b]) =>
    [['kernel', k], ...(bias ? [['bias', b]] : [])].map(([part, shape]) => {
      const dims = shape as number[];
      const values = randomArray(dims.reduce((x, y) => x * y, 1), rnd, -0.8, 0.8).map(Math.fround);
      return { ref: weightRef(`${name}/${part as string}`, dims, values), values, name: `${name}/${part as string}` };
    }),
  );
}

function config(s: Setup, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { num_heads: s.H, key_dim: s.A, value_dim: s.U ?? null, use_bias: s.bias !== false, output_shape: s.out ?? null, attention_axes: null, dropout: 0, ...extra };
}

function run(s: Setup, weights: WeightRef[], xs: Tensor[], o: { masks?: (Mask | null)[]; kwargs?: Record<string, unknown>; extra?: Record<string, unknown>; major?: 2 | 3 } = {}): LayerOutput {
  const l = layerNode('MultiHeadAttention', config(s, o.extra), { weights, calls: [{ inputs: [], kwargs: o.kwargs ?? {} }] });
  return multiHeadAttention.forward(l, { tensors: xs, masks: xs.map((_, i) => o.masks?.[i] ?? null), kwargs: o.kwargs ?? {} }, ctx(o.major ?? 3)) as LayerOutput;
}

/** The Keras computation in tfjs-core ops, heads as a batch dimension. */
function tfMha(s: Setup, w: Record<string, number[]>, q: Tensor, v: Tensor, k: Tensor, o: { qMask?: Mask; vMask?: Mask; causal?: boolean } = {}): Tensor {
  const U = s.U ?? s.A;
  const O = (s.out ?? [s.Dq]).reduce((a, b) => a * b, 1);
  const result = tf.tidy(() => {
    const proj = (x: Tensor, name: string, C: number) => {
      const [N, T, D] = x.shape;
      const y = tf.add(tf.matMul(tf.reshape(toTf(x), [N * T, D]), tf.tensor2d(w[`${name}/kernel`], [D, s.H * C])), tf.tensor1d(w[`${name}/bias`]));
      return tf.transpose(tf.reshape(y, [N, T, s.H, C]), [0, 2, 1, 3]); // N×H×T×C
    };
    const Q = proj(q, 'query', s.A);
    const K = proj(k, 'key', s.A);
    const V = proj(v, 'value', U);
    let scores = tf.div(tf.matMul(Q, K, false, true), Math.sqrt(s.A));
    const [N, Tq] = q.shape;
    const Tv = v.shape[1];
    let visible = tf.ones([N, 1, Tq, Tv]);
    if (o.qMask) visible = tf.mul(visible, tf.tensor(Float32Array.from(o.qMask.data), [N, 1, Tq, 1]));
    if (o.vMask) visible = tf.mul(visible, tf.tensor(Float32Array.from(o.vMask.data), [N, 1, 1, Tv]));
    if (o.causal) visible = tf.mul(visible, tf.reshape(tf.linalg.bandPart(tf.ones([Tq, Tv]), -1, 0), [1, 1, Tq, Tv]));
    scores = tf.sub(scores, tf.mul(tf.sub(1, visible), 1e9));
    const heads = tf.matMul(tf.softmax(scores, -1), V); // N×H×Tq×U
    const flat = tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [N * Tq, s.H * U]);
    const out = tf.add(tf.matMul(flat, tf.tensor2d(w['attention_output/kernel'], [s.H * U, O])), tf.tensor1d(w['attention_output/bias']));
    return tf.reshape(out, [N, Tq, O]);
  });
  const plain = fromTf(result);
  result.dispose();
  return plain;
}

describe('MultiHeadAttention', () => {
  it('parameters by hand: num_heads=2, key_dim=2 on (8, 16) self-attention is 3·(16·2·2 + 2·2) + (2·2·16 + 16) = 284', () => {
    const f = multiHeadAttention.params(layerNode('MultiHeadAttention', { num_heads: 2, key_dim: 2 }), [[null, 8, 16], [null, 8, 16]], env())!;
    assert.equal(f.total, 284);
    assert.equal(f.formula, '3(D+1)·H·A + (H·A+1)·D');
    assert.equal(f.substituted, '3(16+1)·2·2 + (2·2+1)·16 = 284');
    assert.deepEqual(f.terms.map((x) => [x.name, x.shape]), [
      ['query/kernel', [16, 2, 2]], ['query/bias', [2, 2]], ['key/kernel', [16, 2, 2]], ['key/bias', [2, 2]],
      ['value/kernel', [16, 2, 2]], ['value/bias', [2, 2]], ['attention_output/kernel', [2, 2, 16]], ['attention_output/bias', [16]],
    ]);
    // Cross-attention, value_dim, output_shape and no bias: 5·3·4 + 6·3·4 + 7·3·2 + 3·2·9 = 60 + 72 + 42 + 54 = 228.
    const g = multiHeadAttention.params(layerNode('MultiHeadAttention', { num_heads: 3, key_dim: 4, value_dim: 2, output_shape: 9, use_bias: false }), [[null, 4, 5], [null, 6, 7], [null, 6, 6]], env())!;
    assert.equal(g.total, 228);
    assert.equal(g.formula, 'D·H·A + R·H·A + S·H·U + H·U·O');
  });

  it('shapes: the query\'s steps with output_shape (default the query width); scores N×H×Tq×Tv', () => {
    const l = layerNode('MultiHeadAttention', { num_heads: 2, key_dim: 3, output_shape: [2, 5] }, { calls: [{ inputs: [], kwargs: { return_attention_scores: true } }] });
    assert.deepEqual(multiHeadAttention.outputShape(l, [[null, 4, 6], [null, 7, 3]], env()).shapes, [[null, 4, 2, 5], [null, 2, 4, 7]]);
    assert.deepEqual(multiHeadAttention.outputShape(layerNode('MultiHeadAttention', { num_heads: 1, key_dim: 3 }), [[null, 4, 6], [null, 7, 3]], env()).shapes, [[null, 4, 6]]);
  });

  it('by hand: one head, key_dim 1, two keys', () => {
    // q = [1], keys [0] and [ln 3·√1]: scores 0 and ln 3 -> weights 1/4, 3/4; values [4] and [8] -> 7.
    const s: Setup = { H: 1, A: 1, Dq: 1, Dk: 1, Dv: 1 };
    const w = [
      weightRef('query/kernel', [1, 1, 1], [1]), weightRef('query/bias', [1, 1], [0]),
      weightRef('key/kernel', [1, 1, 1], [1]), weightRef('key/bias', [1, 1], [0]),
      weightRef('value/kernel', [1, 1, 1], [1]), weightRef('value/bias', [1, 1], [0]),
      weightRef('attention_output/kernel', [1, 1, 1], [1]), weightRef('attention_output/bias', [1], [0]),
    ];
    const out = run(s, w, [t([1, 1, 1], [1]), t([1, 2, 1], [4, 8]), t([1, 2, 1], [0, Math.log(3)])], { kwargs: { return_attention_scores: true } });
    assertClose(out.tensors[0].data, [7], 1e-12, 0);
    assertClose(out.tensors[1].data, [0.25, 0.75], 1e-12, 0);
  });

  it('equals the formula in tfjs-core ops: self-attention with query and value masks, and cross-attention with a key and causal mask', () => {
    const s: Setup = { H: 2, A: 3, Dq: 4, Dk: 4, Dv: 4 };
    const ws = mhaWeights(s);
    const byName = Object.fromEntries(ws.map((w) => [w.name, w.values]));
    const x = t([2, 5, 4], randomArray(40, rnd));
    const qMask = { n: 2, t: 5, data: Uint8Array.from([1, 1, 1, 1, 0, 1, 1, 0, 1, 1]) };
    const a = run(s, ws.map((w) => w.ref), [x, x], { masks: [qMask, qMask] });
    // Rows of masked queries differ by path (see the NumPy test); compare the visible ones.
    const theirs = tfMha(s, byName, x, x, x, { qMask, vMask: qMask }).data;
    for (let n = 0; n < 2; n++) for (let i = 0; i < 5; i++) if (qMask.data[n * 5 + i]) assertClose(a.tensors[0].data.subarray((n * 5 + i) * 4, (n * 5 + i + 1) * 4), theirs.subarray((n * 5 + i) * 4, (n * 5 + i + 1) * 4), 2e-6, 2e-5, `row ${n},${i}`);
    const s2: Setup = { H: 3, A: 2, U: 4, Dq: 3, Dk: 5, Dv: 2 };
    const w2 = mhaWeights(s2);
    const q = t([2, 4, 3], randomArray(24, rnd));
    const v = t([2, 4, 2], randomArray(16, rnd));
    const k = t([2, 4, 5], randomArray(40, rnd));
    const b = run(s2, w2.map((w) => w.ref), [q, v, k], { kwargs: { use_causal_mask: true } });
    assertClose(b.tensors[0].data, tfMha(s2, Object.fromEntries(w2.map((w) => [w.name, w.values])), q, v, k, { causal: true }).data, 2e-6, 2e-5);
  });

  it('equals an independent NumPy einsum implementation, with each Keras path\'s rule for a row with no visible key', { skip: PYTHON_WITH_NUMPY ? false : NO_NUMPY_REASON }, () => {
    const s: Setup = { H: 2, A: 3, U: 2, Dq: 4, Dk: 3, Dv: 5, out: [2, 3] };
    const ws = mhaWeights(s);
    const q = t([2, 4, 4], randomArray(32, rnd));
    const v = t([2, 6, 5], randomArray(60, rnd));
    const k = t([2, 6, 3], randomArray(36, rnd));
    const qMask = { n: 2, t: 4, data: Uint8Array.from([1, 0, 1, 1, 1, 1, 1, 0]) };
    const vMask = { n: 2, t: 6, data: Uint8Array.from([1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1]) };
    const program = `
import json, sys
import numpy as np
IN = json.load(sys.stdin)
W = {w['name']: np.array(w['values']).reshape(w['shape']) for w in IN['weights']}
arr = lambda n: np.array(IN[n]['data']).reshape(IN[n]['shape'])
q, v, k = arr('q'), arr('v'), arr('k')
qm = np.array(IN['qMask']).reshape(2, 4) > 0; vm = np.array(IN['vMask']).reshape(2, 6) > 0
def mha(rule, causal, window=None):
    Q = np.einsum('ntd,dhc->nthc', q, W['query/kernel']) + W['query/bias']
    K = np.einsum('ntd,dhc->nthc', k, W['key/kernel']) + W['key/bias']
    V = np.einsum('ntd,dhc->nthc', v, W['value/kernel']) + W['value/bias']
    s = np.einsum('nihc,njhc->nhij', Q / np.sqrt(3.0), K)
    vis = qm[:, None, :, None] & vm[:, None, None, :]
    if causal: vis = vis & np.tril(np.ones((4, 6), bool))
    if window: vis = vis & (np.abs(np.arange(4)[:, None] - np.arange(6)[None, :]) < window)
    if rule == 'float32':
        s = np.where(vis, s, (s.astype(np.float32) - np.float32(1e9)).astype(np.float64))
        e = np.exp(s - s.max(-1, keepdims=True)); w = e / e.sum(-1, keepdims=True)
    else:
        e = np.where(vis, np.exp(s - np.where(vis, s, -np.inf).max(-1, keepdims=True, initial=-np.inf)), 0.0)
        tot = e.sum(-1, keepdims=True)
        none = tot == 0
        w = np.where(none, (1.0 / 6) if rule == 'uniform' else 0.0, e / np.where(none, 1.0, tot))
    o = np.einsum('nhij,njhu->nihu', w, V)
    out = np.einsum('nihu,huab->niab', o, W['attention_output/kernel']) + W['attention_output/bias']
    return [out.ravel().tolist(), w.ravel().tolist()]
print(json.dumps([mha('uniform', False), mha('zero', True), mha('float32', False), mha('uniform', False, 2)]))`;
    const enc = (x: Tensor) => ({ shape: x.shape, data: [...x.data] });
    const py = spawnSync(PYTHON_WITH_NUMPY!, ['-c', program], {
      input: JSON.stringify({ weights: ws.map((w) => ({ name: w.name, shape: w.ref.shape, values: w.values })), q: enc(q), v: enc(v), k: enc(k), qMask: [...qMask.data], vMask: [...vMask.data] }),
      encoding: 'utf8',
    });
    assert.equal(py.status, 0, py.stderr);
    const [uniform, zero, f32, windowed] = JSON.parse(py.stdout) as number[][][];
    const refs = ws.map((w) => w.ref);
    const masks = [qMask, vMask, vMask];
    // Keras 3, dropout 0, no scores: the fused kernel (a row with no visible key is uniform).
    assertClose(run(s, refs, [q, v, k], { masks }).tensors[0].data, uniform[0], 1e-12, 1e-12, 'Keras 3 fused');
    // Keras 3 returning scores (or dropout > 0): its Softmax layer zeroes hidden keys.
    const z = run(s, refs, [q, v, k], { masks, kwargs: { return_attention_scores: true, use_causal_mask: true } });
    assertClose(z.tensors[0].data, zero[0], 1e-12, 1e-12, 'Keras 3 einsum path');
    assertClose(z.tensors[1].data, zero[1], 1e-12, 1e-12, 'Keras 3 scores');
    assertClose(run(s, refs, [q, v, k], { masks, extra: { dropout: 0.1 }, kwargs: { use_causal_mask: true } }).tensors[0].data, zero[0], 1e-12, 1e-12, 'dropout > 0 takes the einsum path');
    // tf.keras adds −1e9 in float32.
    assertClose(run(s, refs, [q, v, k], { masks, major: 2 }).tensors[0].data, f32[0], 1e-12, 1e-12, 'tf.keras');
    assertClose(run(s, refs, [q, v, k], { masks, extra: { sliding_window: 2 } }).tensors[0].data, windowed[0], 1e-12, 1e-12, 'sliding_window');
  });

  it('finds each projection by its Keras 2 name or Keras 3 group, whatever the order', () => {
    const s: Setup = { H: 1, A: 2, Dq: 2, Dk: 2, Dv: 2 };
    const ws = mhaWeights(s);
    const x = t([1, 3, 2], randomArray(6, rnd));
    const a = run(s, ws.map((w) => w.ref), [x, x]).tensors[0].data;
    const shuffled = [...ws].reverse().map((w) => w.ref);
    assertClose(run(s, shuffled, [x, x]).tensors[0].data, a, 0, 0, 'by name');
    // Keras 3 paths: <layer>/query_dense/vars/0, names by position only.
    const groups: Record<string, string> = { query: 'query_dense', key: 'key_dense', value: 'value_dense', attention_output: 'output_dense' };
    const k3 = [...ws].reverse().map((w) => {
      const [proj, part] = w.name.split('/');
      return { ...w.ref, name: part, path: `layers/multi_head_attention/${groups[proj]}/vars/${part === 'kernel' ? 0 : 1}` };
    });
    assertClose(run(s, k3, [x, x]).tensors[0].data, a, 0, 0, 'by Keras 3 group');
    assert.deepEqual(multiHeadAttention.keras3VarGroups!(layerNode('MultiHeadAttention', config(s))), [
      'query_dense', '_query_dense', 'key_dense', '_key_dense', 'value_dense', '_value_dense', 'output_dense', '_output_dense',
    ]);
  });

  it('refuses what it cannot run, in one sentence each', () => {
    const s: Setup = { H: 1, A: 2, Dq: 2, Dk: 2, Dv: 2 };
    const x = t([1, 3, 2], randomArray(6, rnd));
    assert.throws(() => run(s, [], [x, x]), /stores 0 weight tensors but its config needs 8/);
    assert.throws(() => run(s, mhaWeights(s).map((w) => w.ref), [x, x], { kwargs: { attention_mask: '<tensor>' } }), /attention_mask tensor/);
    assert.throws(() => multiHeadAttention.outputShape(layerNode('MultiHeadAttention', { num_heads: 1, key_dim: 2, attention_axes: [2, 3] }), [[null, 3, 2], [null, 3, 2]], env()), /attends over the axes/);
  });
});

describe('MultiHeadAttention in a functional config', () => {
  const mhaConfig = { num_heads: 2, key_dim: 3, name: 'mha' };
  const input = (name: string, shape: unknown[]) => ({ class_name: 'InputLayer', name, config: { batch_input_shape: shape, name }, inbound_nodes: [] });

  it('tf.keras: the value (and key) arrive as keywords of the first input entry and become inputs 2 and 3', async () => {
    const raw = {
      class_name: 'Functional',
      config: {
        name: 'm',
        layers: [
          input('q', [null, 3, 4]),
          input('v', [null, 5, 4]),
          input('k', [null, 5, 2]),
          { class_name: 'MultiHeadAttention', name: 'mha', config: mhaConfig, inbound_nodes: [[['q', 0, 0, { value: ['v', 0, 0], key: ['k', 0, 0] }]]] },
        ],
        input_layers: [['q', 0, 0], ['v', 0, 0], ['k', 0, 0]],
        output_layers: [['mha', 0, 0]],
      },
    };
    const { graph } = parseModelConfig(raw, { kerasMajor: 2, warnings: [] });
    const mha = graph.layers.find((l) => l.name === 'mha')!;
    assert.deepEqual(mha.calls[0].inputs.map((r) => r.layer), ['q', 'v', 'k']);
    // The whole model runs: the same numbers as the module given query, value and key.
    const s: Setup = { H: 2, A: 3, Dq: 4, Dk: 2, Dv: 4 };
    mha.weights = mhaWeights(s).map((w) => w.ref);
    const xs = [t([1, 3, 4], randomArray(12, rnd)), t([1, 5, 4], randomArray(20, rnd)), t([1, 5, 2], randomArray(10, rnd))];
    const doc: ModelDocument = { file: 'm.h5', format: 'keras2-h5', kerasVersion: '2.15.0', kerasMajor: 2, backend: 'tensorflow', modelClass: 'Functional', root: graph, warnings: [] };
    const res = await runForward(doc, xs, { trace: false });
    assertClose(res.outputs[0].data, run(s, mha.weights, xs, { major: 2 }).tensors[0].data, 0, 0);
  });

  it('Keras 3: query= and value= passed by keyword become inputs in that order', () => {
    const kt = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 3, 4], dtype: 'float32', keras_history: [name, 0, 0] } });
    const raw = {
      class_name: 'Functional',
      config: {
        name: 'm',
        layers: [
          { class_name: 'InputLayer', name: 'a', config: { batch_shape: [null, 3, 4], name: 'a' }, inbound_nodes: [] },
          { class_name: 'InputLayer', name: 'b', config: { batch_shape: [null, 3, 4], name: 'b' }, inbound_nodes: [] },
          { class_name: 'MultiHeadAttention', name: 'mha', config: mhaConfig, inbound_nodes: [{ args: [], kwargs: { value: kt('b'), query: kt('a'), use_causal_mask: true } }] },
        ],
        input_layers: [['a', 0, 0], ['b', 0, 0]],
        output_layers: [['mha', 0, 0]],
      },
    };
    const { graph } = parseModelConfig(raw, { kerasMajor: 3, warnings: [] });
    const mha = graph.layers.find((l) => l.name === 'mha')!;
    assert.deepEqual(mha.calls[0].inputs.map((r) => r.layer), ['a', 'b']);
    assert.equal(mha.calls[0].kwargs.use_causal_mask, true);
  });
});

describe('A Keras 3 .keras file: RNN(StackedRNNCells) then MultiHeadAttention', () => {
  it('reads the weights from cell/cells/<cell>/vars and query_dense … output_dense/vars, counts and runs them', { skip: noNumpyH5py() ?? false }, async () => {
    // The groups Keras 3's saving_lib writes for these layers (attribute names; a list's members by snake_case class).
    const D = 3;
    const s: Setup = { H: 2, A: 2, Dq: 4, Dk: 4, Dv: 4 };
    const mhaW = mhaWeights(s);
    const cellsW = [
      ['layers/rnn/cell/cells/lstm_cell/vars', [[D, 20], [5, 20], [20]]],
      ['layers/rnn/cell/cells/gru_cell/vars', [[5, 12], [4, 12], [2, 12]]],
    ] as const;
    const datasets: Record<string, { shape: number[]; values: number[] }> = {};
    const rnnValues: { shape: number[]; values: number[] }[] = [];
    for (const [group, shapes] of cellsW) {
      shapes.forEach((shape, i) => {
        const values = randomArray(shape.reduce((a, b) => a * b, 1), rnd, -0.6, 0.6).map(Math.fround);
        datasets[`${group}/${i}`] = { shape: [...shape], values };
        rnnValues.push({ shape: [...shape], values });
      });
    }
    const groupOf: Record<string, string> = { query: 'query_dense', key: 'key_dense', value: 'value_dense', attention_output: 'output_dense' };
    for (const w of mhaW) {
      const [proj, part] = w.name.split('/');
      datasets[`layers/multi_head_attention/${groupOf[proj]}/vars/${part === 'kernel' ? 0 : 1}`] = { shape: w.ref.shape, values: w.values };
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'mha-keras3-'));
    const h5 = path.join(dir, 'model.weights.h5');
    const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import numpy, h5py']).status === 0)!;
    const py = spawnSync(python, ['-c', `
import json, sys, h5py, numpy as np
IN = json.load(sys.stdin)
with h5py.File(sys.argv[1], 'w') as f:
    for name, d in IN.items():
        f.create_dataset(name, data=np.array(d['values'], dtype=np.float32).reshape(d['shape']))
    f.require_group('vars')`, h5], { input: JSON.stringify(datasets), encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const kt = (name: string, shape: unknown[]) => ({ class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: [name, 0, 0] } });
    const cell = (cls: string, name: string, units: number, extra = {}) => ({ module: 'keras.layers', class_name: cls, config: { name, units, ...extra }, registered_name: null });
    const config = {
      module: 'keras',
      class_name: 'Functional',
      config: {
        name: 'functional',
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', name: 'x', config: { batch_shape: [null, 6, D], dtype: 'float32', name: 'x' }, inbound_nodes: [] },
          {
            module: 'keras.layers',
            class_name: 'RNN',
            name: 'rnn',
            config: { name: 'rnn', return_sequences: true, cell: { module: 'keras.layers', class_name: 'StackedRNNCells', config: { name: 'stacked_rnn_cells', cells: [cell('LSTMCell', 'lstm_cell', 5), cell('GRUCell', 'gru_cell', 4, { reset_after: true })] }, registered_name: null } },
            inbound_nodes: [{ args: [kt('x', [null, 6, D])], kwargs: {} }],
          },
          { module: 'keras.layers', class_name: 'MultiHeadAttention', name: 'mha', config: { name: 'mha', num_heads: 2, key_dim: 2 }, inbound_nodes: [{ args: [kt('rnn', [null, 6, 4]), kt('rnn', [null, 6, 4])], kwargs: {} }] },
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['mha', 0, 0]],
      },
      registered_name: 'Functional',
    };
    const file = path.join(dir, 'model.keras');
    writeFileSync(file, kerasZip({ config, metadata: { keras_version: '3.16.0' }, weights: readFileSync(h5) }));
    const doc = await loadModel(file);
    // LSTMCell(5) on 3: 4·5·(3+5+1) = 180; GRUCell(4) on 5: 3·4·(5+4+2) = 132; MHA: 3·(4·2·2 + 2·2) + (2·2·4 + 4) = 80.
    assert.equal(summarize(doc).totalParams, 180 + 132 + 80);
    const x = t([2, 6, D], randomArray(36, rnd));
    const res = await runForward(doc, [x], { trace: true });
    // The same numbers from the modules given the weights directly.
    const rnnNode = layerNode('RNN', config.config.layers[1].config as Record<string, unknown>, { weights: rnnValues.map((w, i) => weightRef(`w${i}`, w.shape, w.values)) });
    const seq = (await rnnWrapper.forward(rnnNode, { tensors: [x], masks: [null] }, ctx())) as LayerOutput;
    const want = run(s, mhaW.map((w) => w.ref), [seq.tensors[0], seq.tensors[0]]);
    assertClose(res.outputs[0].data, want.tensors[0].data, 0, 0);
    assert.deepEqual(res.traces.map((tr) => tr.layer), ['rnn/lstm_cell', 'rnn/gru_cell']);
  });
});

describe('A tf.keras legacy .h5 file: LSTM then MultiHeadAttention(lstm, value=lstm)', () => {
  it('wires the keyword value, binds query/kernel:0 … attention_output/bias:0, counts and runs end to end', { skip: noNumpyH5py() ?? false }, async () => {
    const s: Setup = { H: 2, A: 2, Dq: 4, Dk: 4, Dv: 4 };
    // tf.keras lists them in build order: query, key, value, attention_output (kernel, then bias).
    const mhaW = mhaWeights(s);
    const lstmW = [[3, 16], [4, 16], [16]].map((shape) => ({ shape, values: randomArray(shape[0] * (shape[1] ?? 1), rnd, -0.6, 0.6).map(Math.fround) }));
    const modelConfig = {
      class_name: 'Functional',
      config: {
        name: 'model',
        layers: [
          { class_name: 'InputLayer', name: 'x', config: { batch_input_shape: [null, 5, 3], dtype: 'float32', name: 'x' }, inbound_nodes: [] },
          { class_name: 'LSTM', name: 'lstm', config: { name: 'lstm', units: 4, return_sequences: true, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true }, inbound_nodes: [[['x', 0, 0, {}]]] },
          { class_name: 'MultiHeadAttention', name: 'mha', config: { name: 'mha', num_heads: 2, key_dim: 2, value_dim: 2, dropout: 0.0, use_bias: true, output_shape: null, attention_axes: [1] }, inbound_nodes: [[['lstm', 0, 0, { value: ['lstm', 0, 0] }]]] },
        ],
        input_layers: [['x', 0, 0]],
        output_layers: [['mha', 0, 0]],
      },
    };
    const groups = {
      x: [],
      lstm: lstmW.map((w, i) => ({ name: `lstm/lstm_cell/${['kernel', 'recurrent_kernel', 'bias'][i]}:0`, ...w })),
      mha: mhaW.map((w) => ({ name: `mha/${w.name}:0`, shape: w.ref.shape, values: w.values })),
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'mha-legacy-'));
    const file = path.join(dir, 'model.h5');
    const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import numpy, h5py']).status === 0)!;
    const py = spawnSync(python, ['-c', `
import json, sys, h5py, numpy as np
IN = json.load(sys.stdin)
with h5py.File(sys.argv[1], 'w') as f:
    f.attrs['keras_version'] = '2.15.0'
    f.attrs['backend'] = 'tensorflow'
    f.attrs['model_config'] = json.dumps(IN['config'])
    g = f.create_group('model_weights')
    g.attrs['layer_names'] = [n.encode() for n in IN['groups']]
    for layer, ws in IN['groups'].items():
        lg = g.create_group(layer)
        lg.attrs['weight_names'] = [w['name'].encode() for w in ws]
        for w in ws:
            lg.create_dataset(w['name'], data=np.array(w['values'], dtype=np.float32).reshape(w['shape']))`, file], { input: JSON.stringify({ config: modelConfig, groups }), encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const doc = await loadModel(file);
    // LSTM(4) on 3: 4·4·(3+4+1) = 128; MHA: 3·(4·2·2 + 2·2) + (2·2·4 + 4) = 80.
    assert.equal(summarize(doc).totalParams, 128 + 80);
    const x = t([2, 5, 3], randomArray(30, rnd));
    const res = await runForward(doc, [x], { trace: false });
    const lstmNode = layerNode('LSTM', modelConfig.config.layers[1].config, { weights: lstmW.map((w, i) => weightRef(['kernel', 'recurrent_kernel', 'bias'][i], w.shape, w.values)) });
    const seq = (await lstm.forward(lstmNode, { tensors: [x], masks: [null] }, ctx(2))) as LayerOutput;
    const want = run(s, mhaW.map((w) => w.ref), [seq.tensors[0], seq.tensors[0]], { major: 2 });
    assertClose(res.outputs[0].data, want.tensors[0].data, 0, 0);
  });
});

describe('memory estimate of attention score matrices', () => {
  it('counts one N×Tq×Tv score matrix per head before a run (held whether returned or not)', async () => {
    const { estimateMemory } = await import('../../extension/keras/forward');
    const { callOf, functionalDoc } = await import('./helpers/modelDoc');
    const estimate = (heads: number): number => {
      const mha = layerNode('MultiHeadAttention', { num_heads: heads, key_dim: 2 }, { name: 'mha', calls: callOf('q', 'v') });
      const doc = functionalDoc({ q: [null, 7, 4], v: [null, 11, 4] }, [mha], ['mha']);
      return estimateMemory(doc, [[3, 7, 4], [3, 11, 4]]).outputs;
    };
    // Output (N, Tq, D) does not change with the heads; the scores grow by N·Tq·Tv float64s per head.
    assert.equal(estimate(4) - estimate(1), 3 * 3 * 7 * 11 * 8);
  });
});
