// SimpleRNN, LSTM, GRU and Bidirectional against values derived by hand (each derivation is in the comments),
// plus parameter formulas, shapes, CuDNN weight layouts, error messages and cancellation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simpleRnn } from '../../extension/keras/layers/simpleRnn';
import { lstm } from '../../extension/keras/layers/lstm';
import { gru } from '../../extension/keras/layers/gru';
import { bidirectional } from '../../extension/keras/layers/bidirectional';
import { fromCudnnLayout } from '../../extension/keras/layers/recurrent';
import type { LayerKind, LayerOutput } from '../../extension/keras/layers/types';
import type { LayerNode } from '../../extension/keras/model';
import type { Mask, Tensor } from '../../extension/keras/tensor';
import { CancelledError, InputError, UnsupportedFeatureError } from '../../extension/keras/errors';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** A recurrent layer node with kernel, recurrent_kernel and (optionally) bias. */
function rnnNode(className: string, config: Record<string, unknown>, D: number, M: number, G: number, kernel: number[], rec: number[], bias?: { shape: number[]; values: number[] }): LayerNode {
  const weights = [weightRef('kernel', [D, G * M], kernel), weightRef('recurrent_kernel', [M, G * M], rec)];
  if (bias) weights.push(weightRef('bias', bias.shape, bias.values));
  return layerNode(className, { units: M, ...config }, { weights });
}

function mask(n: number, tt: number, bits: number[]): Mask {
  return { n, t: tt, data: Uint8Array.from(bits) };
}

async function run(kind: LayerKind, node: LayerNode, x: Tensor, extra: { mask?: Mask; initialState?: Tensor[]; major?: 1 | 2 | 3 } = {}): Promise<LayerOutput> {
  return kind.forward(node, { tensors: [x], masks: [extra.mask ?? null], ...(extra.initialState ? { initialState: extra.initialState } : {}) }, ctx(extra.major ?? 3));
}

// SimpleRNN(1, linear) with W_x = 2, W_h = 0.5, b = 1 over x = [1, 2, 3] (D = 1):
//   h1 = 2·1 + 0.5·0    + 1 = 3
//   h2 = 2·2 + 0.5·3    + 1 = 6.5
//   h3 = 2·3 + 0.5·6.5  + 1 = 10.25
const linRnn = (config: Record<string, unknown> = {}): LayerNode =>
  rnnNode('SimpleRNN', { activation: 'linear', ...config }, 1, 1, 1, [2], [0.5], { shape: [1], values: [1] });
const x123 = t([1, 3, 1], [1, 2, 3]);

test('SimpleRNN linear: the notebook recurrence, sequences, last step, pre-activations and time index', async () => {
  const seq = await run(simpleRnn, linRnn({ return_sequences: true }), x123);
  assert.deepEqual(seq.tensors[0].shape, [1, 3, 1]);
  assertClose(seq.tensors[0].data, [3, 6.5, 10.25]);
  const tr = seq.traces![0];
  assert.equal(tr.cell.key, 'SimpleRNN');
  assert.deepEqual([...tr.timeIndex], [0, 1, 2]);
  assertClose(tr.values.pre!, [3, 6.5, 10.25]); // linear: pre = h
  assertClose(tr.values.h, [3, 6.5, 10.25]);
  assert.equal(tr.masked, undefined);
  const lastOnly = await run(simpleRnn, linRnn(), x123);
  assert.deepEqual(lastOnly.tensors[0].shape, [1, 1]);
  assertClose(lastOnly.tensors[0].data, [10.25]);
});

test('SimpleRNN tanh, D=2, M=2: one step by hand', async () => {
  // W_x = [[1, 0], [0, 1]], W_h = [[1, 1], [1, 1]], b = [0.5, -0.5], x1 = [0.2, 0.4], x2 = [0, 0]:
  //   h1 = tanh([0.2 + 0.5, 0.4 - 0.5]) = tanh([0.7, -0.1])
  //   h2 = tanh(h1·W_h + b) = tanh([s + 0.5, s - 0.5]) with s = h1[0] + h1[1]
  const node = rnnNode('SimpleRNN', { return_sequences: true }, 2, 2, 1, [1, 0, 0, 1], [1, 1, 1, 1], { shape: [2], values: [0.5, -0.5] });
  const out = await run(simpleRnn, node, t([1, 2, 2], [0.2, 0.4, 0, 0]));
  const h1 = [Math.tanh(0.7), Math.tanh(-0.1)];
  const s = h1[0] + h1[1];
  assertClose(out.tensors[0].data, [...h1, Math.tanh(s + 0.5), Math.tanh(s - 0.5)], 1e-7, 1e-7);
});

test('go_backwards: processes T..1 and returns the sequence in processing order', async () => {
  // Reads x3, x2, x1: h = 2·3 + 0 + 1 = 7; 2·2 + 0.5·7 + 1 = 8.5; 2·1 + 0.5·8.5 + 1 = 7.25.
  const out = await run(simpleRnn, linRnn({ return_sequences: true, go_backwards: true }), x123);
  assertClose(out.tensors[0].data, [7, 8.5, 7.25]);
  assert.deepEqual([...out.traces![0].timeIndex], [2, 1, 0]);
  const last = await run(simpleRnn, linRnn({ go_backwards: true }), x123);
  assertClose(last.tensors[0].data, [7.25]);
});

test('masking: state carried over a masked step; output is the previous h, or zeros with zero_output_for_mask', async () => {
  // mask [1, 0, 1]: h1 = 3; step 2 masked keeps h = 3; h3 = 2·3 + 0.5·3 + 1 = 8.5.
  const m = mask(1, 3, [1, 0, 1]);
  const carried = await run(simpleRnn, linRnn({ return_sequences: true }), x123, { mask: m });
  assertClose(carried.tensors[0].data, [3, 3, 8.5]);
  assert.deepEqual([...carried.traces![0].masked!], [0, 1, 0]);
  assertClose(carried.traces![0].values.h, [3, 3, 8.5]);
  assert.equal(carried.masks![0], m, 'return_sequences passes the input mask on');
  const zeroed = await run(simpleRnn, linRnn({ return_sequences: true, zero_output_for_mask: true }), x123, { mask: m });
  assertClose(zeroed.tensors[0].data, [3, 0, 8.5]);
  assertClose(zeroed.traces![0].values.h, [3, 3, 8.5], 0, 0, 'the state itself is still carried');
  const last = await run(simpleRnn, linRnn(), x123, { mask: m });
  assertClose(last.tensors[0].data, [8.5]);
  assert.equal(last.masks![0], null, 'no mask without return_sequences');
  // Leading mask [0, 1, 1]: step 1 outputs the initial h = 0; h2 = 2·2 + 1 = 5; h3 = 2·3 + 0.5·5 + 1 = 9.5.
  const lead = await run(simpleRnn, linRnn({ return_sequences: true }), x123, { mask: mask(1, 3, [0, 1, 1]) });
  assertClose(lead.tensors[0].data, [0, 5, 9.5]);
  // Trailing mask [1, 1, 0] without return_sequences: the last output is h2 = 6.5 (carried), not a new step.
  const trail = await run(simpleRnn, linRnn(), x123, { mask: mask(1, 3, [1, 1, 0]) });
  assertClose(trail.tensors[0].data, [6.5]);
});

test('masking is per sample: two samples, one masked', async () => {
  // Sample 0 unmasked: 3, 6.5, 10.25. Sample 1 = same x with mask [1, 0, 0]: 3, 3, 3.
  const x = t([2, 3, 1], [1, 2, 3, 1, 2, 3]);
  const out = await run(simpleRnn, linRnn({ return_sequences: true }), x, { mask: mask(2, 3, [1, 1, 1, 1, 0, 0]) });
  assertClose(out.tensors[0].data, [3, 6.5, 10.25, 3, 3, 3]);
  // Trace is [step][n][unit]: step 1 is (sample 0: 6.5, sample 1: 3).
  assertClose(out.traces![0].values.h, [3, 3, 6.5, 3, 10.25, 3]);
  assert.deepEqual([...out.traces![0].masked!], [0, 0, 0, 1, 0, 1]);
});

test('initial_state and return_state', async () => {
  // h0 = 2: h1 = 2·1 + 0.5·2 + 1 = 4; h2 = 4 + 2 + 1 = 7; h3 = 6 + 3.5 + 1 = 10.5.
  const out = await run(simpleRnn, linRnn({ return_state: true }), x123, { initialState: [t([1, 1], [2])] });
  assert.equal(out.tensors.length, 2);
  assertClose(out.tensors[0].data, [10.5]);
  assertClose(out.tensors[1].data, [10.5]);
  // Keras 2 functional graphs may pass the states as extra inputs.
  const extra = await simpleRnn.forward(linRnn(), { tensors: [x123, t([1, 1], [2])], masks: [null, null] }, ctx());
  assertClose(extra.tensors[0].data, [10.5]);
  await assert.rejects(run(simpleRnn, linRnn(), x123, { initialState: [t([1, 2], [0, 0])] }), InputError);
});

test('time_major (Keras 2): input (T, N, D) and output (T, N, M)', async () => {
  // Sample 0: x = [1, 2, 3] -> 3, 6.5, 10.25. Sample 1: x = [0, 0, 0] -> 1, 1.5, 1.75.
  const x = t([3, 2, 1], [1, 0, 2, 0, 3, 0]);
  const node = linRnn({ return_sequences: true, time_major: true });
  const out = await run(simpleRnn, node, x, { major: 2 });
  assert.deepEqual(out.tensors[0].shape, [3, 2, 1]);
  assertClose(out.tensors[0].data, [3, 1, 6.5, 1.5, 10.25, 1.75]);
  assert.deepEqual(simpleRnn.outputShape(node, [[10, null, 1]], env(2)).shapes, [[10, null, 1]]);
  const last = await run(simpleRnn, linRnn({ time_major: true }), x, { major: 2 });
  assertClose(last.tensors[0].data, [10.25, 1.75]);
});

// LSTM(1) with linear activations so the gate order shows: W = [w_i, w_f, w_c, w_o] = [1, 0.5, 2, 1],
// U = [0.5, 0, 0, 0], b = [0, 0.5, 0, 0], x = [1, 2]:
//   step 1: i = 1, f = 0.5 + 0.5 = 1, g = 2, o = 1;  c = 1·0 + 1·2 = 2;   h = 1·2 = 2
//   step 2: i = 2 + 0.5·2 = 3, f = 1 + 0.5 = 1.5, g = 4, o = 2;  c = 1.5·2 + 3·4 = 15;  h = 2·15 = 30
const linLstm = (config: Record<string, unknown> = {}): LayerNode =>
  rnnNode('LSTM', { activation: 'linear', recurrent_activation: 'linear', ...config }, 1, 1, 4, [1, 0.5, 2, 1], [0.5, 0, 0, 0], { shape: [4], values: [0, 0.5, 0, 0] });

test('LSTM: gate order i, f, c~, o, the cell state, and the trace of every gate', async () => {
  const out = await run(lstm, linLstm({ return_sequences: true, return_state: true }), t([1, 2, 1], [1, 2]));
  assert.equal(out.tensors.length, 3);
  assertClose(out.tensors[0].data, [2, 30]);
  assertClose(out.tensors[1].data, [30], 0, 0, 'h state');
  assertClose(out.tensors[2].data, [15], 0, 0, 'c state');
  const tr = out.traces![0];
  assert.equal(tr.cell.key, 'LSTM');
  assertClose(tr.values.i!, [1, 3]);
  assertClose(tr.values.f!, [1, 1.5]);
  assertClose(tr.values.g!, [2, 4]);
  assertClose(tr.values.o!, [1, 2]);
  assertClose(tr.values.c!, [2, 15]);
  assertClose(tr.values.h, [2, 30]);
});

test('LSTM: initial state [h0, c0] and the default tanh/sigmoid', async () => {
  // h0 = c0 = 1, x = 1: i = 1 + 0.5·1 = 1.5, f = 1, g = 2, o = 1; c = 1·1 + 1.5·2 = 4; h = 4.
  const out = await run(lstm, linLstm(), t([1, 1, 1], [1]), { initialState: [t([1, 1], [1]), t([1, 1], [1])] });
  assertClose(out.tensors[0].data, [4]);
  // Defaults, W = 0, b = [0, 0, 0.5, 0]: i = f = o = σ(0) = 0.5, g = tanh(0.5); c = 0.5·tanh(0.5); h = 0.5·tanh(c).
  const node = rnnNode('LSTM', {}, 1, 1, 4, [0, 0, 0, 0], [0, 0, 0, 0], { shape: [4], values: [0, 0, 0.5, 0] });
  const d = await run(lstm, node, t([1, 1, 1], [1]));
  // In float32 as Keras computes: each activation and product rounded to float32.
  const f = Math.fround;
  const c = f(0.5 * f(Math.tanh(0.5)));
  assertClose(d.tensors[0].data, [f(0.5 * f(Math.tanh(c)))], 1e-9, 1e-9);
});

// GRU(1), linear activations, W = [w_z, w_r, w_h] = [0.5, 0.5, 2], U = [0, 0, 3], x = [1, 1]: z = r = 0.5 each step.
test('GRU reset_after=False: h~ = act(x·W_h + (r⊙h)·U_h + b)', async () => {
  //   step 1: h~ = 2 + (0.5·0)·3 = 2;    h = 0.5·0 + 0.5·2 = 1
  //   step 2: h~ = 2 + (0.5·1)·3 = 3.5;  h = 0.5·1 + 0.5·3.5 = 2.25
  const node = rnnNode('GRU', { activation: 'linear', recurrent_activation: 'linear', reset_after: false, return_sequences: true }, 1, 1, 3, [0.5, 0.5, 2], [0, 0, 3], { shape: [3], values: [0, 0, 0] });
  const out = await run(gru, node, t([1, 2, 1], [1, 1]));
  assertClose(out.tensors[0].data, [1, 2.25]);
  const tr = out.traces![0];
  assertClose(tr.values.z!, [0.5, 0.5]);
  assertClose(tr.values.r!, [0.5, 0.5]);
  assertClose(tr.values.hh!, [2, 3.5]);
});

test('GRU reset_after=True: h~ = act(x·W_h + b_in + r⊙(h·U_h + b_rec)) with a (2, 3M) bias', async () => {
  // b = [[0, 0, 1], [0, 0, 1]] (input row, recurrent row):
  //   step 1: h~ = 2 + 1 + 0.5·(3·0 + 1) = 3.5;        h = 0.5·0 + 0.5·3.5 = 1.75
  //   step 2: h~ = 2 + 1 + 0.5·(3·1.75 + 1) = 6.125;   h = 0.5·1.75 + 0.5·6.125 = 3.9375
  // (Reset before, the same numbers give step 1: h~ = 2 + 1 + 1 = 4 with a summed bias: the position of r matters.)
  const node = rnnNode('GRU', { activation: 'linear', recurrent_activation: 'linear', reset_after: true, return_sequences: true }, 1, 1, 3, [0.5, 0.5, 2], [0, 0, 3], { shape: [2, 3], values: [0, 0, 1, 0, 0, 1] });
  const out = await run(gru, node, t([1, 2, 1], [1, 1]));
  assertClose(out.tensors[0].data, [1.75, 3.9375]);
  assertClose(out.traces![0].values.hh!, [3.5, 6.125]);
});

test('GRU without reset_after in the config: the stored bias shape decides, then the version', async () => {
  const base = { activation: 'linear', recurrent_activation: 'linear' };
  // A (3M,) bias is the reset-before cell (Keras < 2.0.4 wrote no reset_after).
  const old = rnnNode('GRU', base, 1, 1, 3, [0.5, 0.5, 2], [0, 0, 3], { shape: [3], values: [0, 0, 0] });
  assertClose((await run(gru, old, t([1, 2, 1], [1, 1]), { major: 2 })).tensors[0].data, [2.25]);
  assert.equal(gru.params(old, [[null, 2, 1]], env(2))!.total, 3 * (1 + 1 + 1));
  const bare = layerNode('GRU', { units: 5 });
  assert.equal(gru.params(bare, [[null, 10, 4]], env(3))!.total, 165, 'Keras 3 default reset_after=True');
  assert.equal(gru.params(bare, [[null, 10, 4]], env(1))!.total, 150, 'Keras 1 GRU resets before');
});

test('hard_sigmoid follows the file version: Keras 2 clip(0.2x+0.5), Keras 3 clip(x/6+0.5)', async () => {
  // GRU(1), x = 1, W = [1, 0, 1], U = 0, b = 0, activation linear: z = hs(1), h~ = 1, h = (1 - z)·1.
  const node = rnnNode('GRU', { activation: 'linear', recurrent_activation: 'hard_sigmoid', reset_after: false }, 1, 1, 3, [1, 0, 1], [0, 0, 0], { shape: [3], values: [0, 0, 0] });
  // z is a float32 gate as in Keras, so 1 - z is 1 minus the float32 nearest 0.7 (or 2/3).
  const f = Math.fround;
  assertClose((await run(gru, node, t([1, 1, 1], [1]), { major: 2 })).tensors[0].data, [1 - f(0.7)], 1e-12, 1e-12);
  assertClose((await run(gru, node, t([1, 1, 1], [1]), { major: 3 })).tensors[0].data, [1 - f(1 / 6 + 0.5)], 1e-12, 1e-12);
});

test('parameter formulas for D=3, M=5 and the GRU(5) on D=4 users ask about', () => {
  const shape = [[null, 10, 3]];
  const p = (kind: LayerKind, cls: string, cfg: Record<string, unknown>, s = shape) => kind.params(layerNode(cls, { units: 5, ...cfg }), s, env(3))!;
  const s = p(simpleRnn, 'SimpleRNN', {});
  assert.equal(s.formula, 'D·M + M·M + M');
  assert.equal(s.substituted, '3·5 + 5·5 + 5 = 45'); // 15 + 25 + 5
  assert.deepEqual(s.terms.map((x) => [x.name, x.shape, x.count]), [['kernel', [3, 5], 15], ['recurrent_kernel', [5, 5], 25], ['bias', [5], 5]]);
  assert.equal(p(simpleRnn, 'SimpleRNN', { use_bias: false }).total, 40);
  const l = p(lstm, 'LSTM', {});
  assert.equal(l.formula, '4M(D+M+1)');
  assert.equal(l.substituted, '4·5·(3+5+1) = 180');
  assert.equal(p(lstm, 'LSTM', { use_bias: false }).substituted, '4·5·(3+5) = 160');
  assert.equal(p(lstm, 'CuDNNLSTM', {}).total, 200); // 4·5·(3+5+2): separate input and recurrent biases
  const after = p(gru, 'GRU', { reset_after: true });
  assert.equal(after.formula, '3M(D+M+2)');
  assert.equal(after.substituted, '3·5·(3+5+2) = 150');
  assert.deepEqual(after.terms[2].shape, [2, 15]);
  assert.match(after.note!, /separate biases.*3M\(D\+M\+1\) = 135/s);
  const before = p(gru, 'GRU', { reset_after: false });
  assert.equal(before.formula, '3M(D+M+1)');
  assert.equal(before.total, 135);
  assert.match(before.note!, /3M\(D\+M\+2\) = 150/);
  assert.equal(p(gru, 'GRU', { reset_after: true, use_bias: false }).total, 120);
  assert.equal(p(gru, 'CuDNNGRU', {}).total, 150);
  // tensorflow/tensorflow#43960: GRU(5) on D=4 is 3·5·(4+5+1) = 150 reset before, 3·5·(4+5+2) = 165 reset after.
  const d4 = [[null, 10, 4]];
  assert.equal(p(gru, 'GRU', { reset_after: false }, d4).total, 150);
  assert.equal(p(gru, 'GRU', { reset_after: true }, d4).total, 165);
});

test('Bidirectional parameters: 2 × (...) when alike, a sum when not', () => {
  const f = layerNode('LSTM', { units: 5 }, { name: 'forward_lstm' });
  const b = layerNode('LSTM', { units: 5, go_backwards: true }, { name: 'backward_lstm' });
  const bi = layerNode('Bidirectional', {}, { children: [f, b] });
  const p = bidirectional.params(bi, [[null, 10, 3]], env(3))!;
  assert.equal(p.formula, '2 × (4M(D+M+1))');
  assert.equal(p.substituted, '2 × (4·5·(3+5+1)) = 360');
  assert.equal(p.terms.length, 6);
  assert.equal(p.terms[0].name, 'forward_lstm/kernel');
  const g = layerNode('GRU', { units: 2, reset_after: true, go_backwards: true }, { name: 'backward_gru' });
  const mixed = bidirectional.params(layerNode('Bidirectional', {}, { children: [f, g] }), [[null, 10, 3]], env(3))!;
  assert.equal(mixed.total, 180 + 3 * 2 * (3 + 2 + 2));
  assert.equal(mixed.substituted, '(4·5·(3+5+1)) + (3·2·(3+2+2)) = 222');
});

test('output shapes and letters', () => {
  const shape = [[null, 10, 3]];
  const node = (cfg: Record<string, unknown>) => layerNode('LSTM', { units: 5, ...cfg });
  assert.deepEqual(lstm.outputShape(node({ return_sequences: true }), shape, env()), { shapes: [[null, 10, 5]], letters: [['N', 'T', 'M']] });
  assert.deepEqual(lstm.outputShape(node({}), shape, env()), { shapes: [[null, 5]], letters: [['N', 'M']] });
  assert.deepEqual(lstm.outputShape(node({ return_state: true }), shape, env()).shapes, [[null, 5], [null, 5], [null, 5]]);
  assert.deepEqual(gru.outputShape(layerNode('GRU', { units: 4, return_state: true }), shape, env()).shapes, [[null, 4], [null, 4]]);
  const bi = (cfg: Record<string, unknown>, inner: Record<string, unknown>) =>
    layerNode('Bidirectional', cfg, { children: [node({ ...inner, name: 'forward_lstm' }), node({ ...inner, name: 'backward_lstm', go_backwards: true })] });
  assert.deepEqual(bidirectional.outputShape(bi({}, { return_sequences: true }), shape, env()), { shapes: [[null, 10, 10]], letters: [['N', 'T', '2M']] });
  assert.deepEqual(bidirectional.outputShape(bi({ merge_mode: 'sum' }, {}), shape, env()).shapes, [[null, 5]]);
  assert.deepEqual(bidirectional.outputShape(bi({ merge_mode: null }, { return_sequences: true }), shape, env()).shapes, [[null, 10, 5], [null, 10, 5]]);
  assert.deepEqual(bidirectional.outputShape(bi({}, { return_state: true }), shape, env()).shapes, [[null, 10], [null, 5], [null, 5], [null, 5], [null, 5]]);
});

// Bidirectional over the linear SimpleRNN above on x = [1, 2, 3]: forward 3, 6.5, 10.25; backward reads
// t = 2, 1, 0 giving 7, 8.5, 7.25, which flipped back into input time order is 7.25, 8.5, 7.
function linBi(merge: unknown, inner: Record<string, unknown>): LayerNode {
  const f = linRnn({ ...inner, name: 'forward_rnn' });
  const b = linRnn({ ...inner, name: 'backward_rnn', go_backwards: true });
  return layerNode('Bidirectional', merge === undefined ? {} : { merge_mode: merge }, { children: [f, b] });
}

test('Bidirectional: backward sequence flipped back, then each merge mode', async () => {
  const seq = { return_sequences: true };
  const concat = await run(bidirectional, linBi(undefined, seq), x123);
  assert.deepEqual(concat.tensors[0].shape, [1, 3, 2]);
  assertClose(concat.tensors[0].data, [3, 7.25, 6.5, 8.5, 10.25, 7]);
  assertClose((await run(bidirectional, linBi('sum', seq), x123)).tensors[0].data, [10.25, 15, 17.25]);
  assertClose((await run(bidirectional, linBi('ave', seq), x123)).tensors[0].data, [5.125, 7.5, 8.625]);
  assertClose((await run(bidirectional, linBi('mul', seq), x123)).tensors[0].data, [21.75, 55.25, 71.75]);
  const none = await run(bidirectional, linBi(null, seq), x123);
  assert.equal(none.tensors.length, 2);
  assertClose(none.tensors[1].data, [7.25, 8.5, 7]);
  // Without return_sequences: the forward last step 10.25 and the backward last step (t = 0) 7.25.
  assertClose((await run(bidirectional, linBi(undefined, {}), x123)).tensors[0].data, [10.25, 7.25]);
  // Two traces, each in its own processing order.
  const [tf, tb] = concat.traces!;
  assert.equal(tf.direction, 'forward');
  assert.equal(tb.direction, 'backward');
  assert.equal(tb.layer, 'bidirectional');
  assert.deepEqual([...tb.timeIndex], [2, 1, 0]);
  assertClose(tb.values.h, [7, 8.5, 7.25]);
});

test('Bidirectional with a mask: Keras forces zero outputs at masked steps when returning sequences', async () => {
  // mask [1, 0, 1]. Forward: 3, (masked: output 0, h stays 3), 2·3 + 0.5·3 + 1 = 8.5.
  // Backward reads t = 2: 7; t = 1 masked: 0; t = 0: 2·1 + 0.5·7 + 1 = 6.5 -> time order 6.5, 0, 7.
  const m = mask(1, 3, [1, 0, 1]);
  const out = await run(bidirectional, linBi(undefined, { return_sequences: true }), x123, { mask: m });
  assertClose(out.tensors[0].data, [3, 6.5, 0, 0, 8.5, 7]);
  assert.equal(out.masks![0], m);
});

test('Bidirectional return_state and initial_state split in half', async () => {
  // Forward starts from h0 = 2: last 10.5 (see the initial_state test). Backward from h0 = 0: last 7.25.
  const out = await run(bidirectional, linBi(undefined, { return_state: true }), x123, { initialState: [t([1, 1], [2]), t([1, 1], [0])] });
  assert.equal(out.tensors.length, 3);
  assertClose(out.tensors[0].data, [10.5, 7.25]);
  assertClose(out.tensors[1].data, [10.5]);
  assertClose(out.tensors[2].data, [7.25]);
});

test('CuDNN layouts: per-gate kernels read as cuDNN (M, D) matrices, recurrent kernels transposed', () => {
  // One gate, D = 3, M = 2: the stored (3, 2) kernel k0..k5 is cuDNN's (2, 3) matrix [[k0, k1, k2], [k3, k4, k5]],
  // so the Keras kernel is its transpose [[k0, k3], [k1, k4], [k2, k5]]; the recurrent [[a, b], [c, d]] becomes [[a, c], [b, d]].
  const one = fromCudnnLayout(Float64Array.of(0, 1, 2, 3, 4, 5), Float64Array.of(10, 11, 12, 13), 3, 2, 1);
  assert.deepEqual([...one.kernel], [0, 3, 1, 4, 2, 5]);
  assert.deepEqual([...one.recurrent], [10, 12, 11, 13]);
  // Two gates side by side (D = 1, M = 2): each gate's columns are converted on their own.
  const two = fromCudnnLayout(Float64Array.of(1, 2, 3, 4), Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8), 1, 2, 2);
  assert.deepEqual([...two.kernel], [1, 2, 3, 4]); // a (1, 2) slice is the same read either way
  // recurrent rows [1 2 | 3 4], [5 6 | 7 8]: gate 0 [[1, 2], [5, 6]] -> [[1, 5], [2, 6]], gate 1 [[3, 4], [7, 8]] -> [[3, 7], [4, 8]].
  assert.deepEqual([...two.recurrent], [1, 5, 3, 7, 2, 6, 4, 8]);
});

test('CuDNNLSTM runs as the LSTM with converted kernels and summed biases; CuDNNGRU as GRU reset_after=True', async () => {
  const rnd = seeded(7);
  const D = 3;
  const M = 2;
  const x = t([2, 4, D], randomArray(2 * 4 * D, rnd));
  const perGate = (k: number[], G: number, conv: (g: number[]) => number[]): number[] => {
    // Splits a row-major (rows, G·M) matrix into gates, converts each, and joins them back.
    const rows = k.length / (G * M);
    const out = new Array<number>(k.length);
    for (let g = 0; g < G; g++) {
      const slice: number[] = [];
      for (let r = 0; r < rows; r++) for (let m = 0; m < M; m++) slice.push(k[r * G * M + g * M + m]);
      const c = conv(slice);
      for (let r = 0; r < rows; r++) for (let m = 0; m < M; m++) out[r * G * M + g * M + m] = c[r * M + m];
    }
    return out;
  };
  // Keras kernel[d][m] = flat[m·D + d]; recurrent transposed.
  const kernelConv = (s: number[]): number[] => Array.from({ length: D * M }, (_, i) => s[(i % M) * D + Math.floor(i / M)]);
  const recConv = (s: number[]): number[] => Array.from({ length: M * M }, (_, i) => s[(i % M) * M + Math.floor(i / M)]);
  for (const [cls, plain, G, kind, plainBias] of [
    ['CuDNNLSTM', 'LSTM', 4, lstm, (b: number[]) => b.slice(0, 4 * M).map((v, j) => v + b[4 * M + j])],
    ['CuDNNGRU', 'GRU', 3, gru, (b: number[]) => b],
  ] as const) {
    const k = randomArray(D * G * M, rnd);
    const r = randomArray(M * G * M, rnd);
    const b = randomArray(2 * G * M, rnd);
    const cud = rnnNode(cls, { return_sequences: true }, D, M, G, k, r, { shape: [2 * G * M], values: b });
    const pb = plainBias(b);
    const ref = rnnNode(plain, { return_sequences: true, reset_after: true }, D, M, G, perGate(k, G, kernelConv), perGate(r, G, recConv), { shape: pb.length === 2 * G * M ? [2, G * M] : [G * M], values: pb });
    const a = await run(kind, cud, x, { major: 2 });
    const e = await run(kind, ref, x, { major: 2 });
    assertClose(a.tensors[0].data, e.tensors[0].data, 1e-6, 1e-6, cls);
  }
});

test('clear errors: wrong weight shapes, wrong D, a wrapped layer that is not recurrent', async () => {
  const bad = rnnNode('SimpleRNN', {}, 2, 1, 1, [1, 2], [1], { shape: [1], values: [0] });
  await assert.rejects(run(simpleRnn, bad, t([1, 1, 3], [1, 2, 3])), (e: unknown) => e instanceof InputError && /D=2/.test((e as Error).message));
  const shortKernel = rnnNode('LSTM', { units: 2 }, 1, 1, 4, [1, 2, 3, 4], [1, 2, 3, 4], { shape: [4], values: [0, 0, 0, 0] });
  await assert.rejects(run(lstm, shortKernel, t([1, 1, 1], [1])), (e: unknown) => e instanceof UnsupportedFeatureError && /kernel/.test((e as Error).message));
  const badBias = rnnNode('GRU', { reset_after: true }, 1, 1, 3, [1, 2, 3], [1, 2, 3], { shape: [3], values: [0, 0, 0] });
  await assert.rejects(run(gru, badBias, t([1, 1, 1], [1])), (e: unknown) => e instanceof UnsupportedFeatureError && /\(2, 3\)/.test((e as Error).message));
  const weird = layerNode('Bidirectional', {}, { children: [layerNode('Dense', { units: 2 }), layerNode('Dense', { units: 2 })] });
  await assert.rejects(run(bidirectional, weird, x123), (e: unknown) => e instanceof UnsupportedFeatureError && /wraps Dense, which is not a recurrent layer/.test((e as Error).message));
});

test('a long run checks for cancellation as it goes', async () => {
  const rnd = seeded(3);
  const D = 64;
  const M = 64;
  const node = rnnNode('LSTM', {}, D, M, 4, randomArray(D * 4 * M, rnd), randomArray(M * 4 * M, rnd), { shape: [4 * M], values: randomArray(4 * M, rnd) });
  let checks = 0;
  const c = { ...ctx(), checkCancelled() { if (++checks > 2) throw new CancelledError(); } };
  await assert.rejects(async () => lstm.forward(node, { tensors: [t([1, 200, D], randomArray(200 * D, rnd))], masks: [null] }, c), CancelledError);
});

test('no trace when the context does not ask for one', async () => {
  const out = await simpleRnn.forward(linRnn(), { tensors: [x123], masks: [null] }, ctx(3, false));
  assert.equal(out.traces, undefined);
  assertClose(out.tensors[0].data, [10.25]);
});

test('Bidirectional time_major (Keras 2): the backward sequence is flipped along axis 0', async () => {
  // x is (T=3, N=2, D=1): sample 0 reads 1, 2, 3 (forward 3, 6.5, 10.25; backward in time order 7.25, 8.5, 7);
  // sample 1 reads zeros, so h = 0.5·h + 1 either way: forward 1, 1.5, 1.75; backward processed 1, 1.5, 1.75,
  // which is 1.75, 1.5, 1 in time order. Output (T, N, 2M), each row [forward, backward].
  const x = t([3, 2, 1], [1, 0, 2, 0, 3, 0]);
  const out = await run(bidirectional, linBi(undefined, { return_sequences: true, time_major: true }), x, { major: 2 });
  assert.deepEqual(out.tensors[0].shape, [3, 2, 2]);
  assertClose(out.tensors[0].data, [3, 7.25, 1, 1.75, 6.5, 8.5, 1.5, 1.5, 10.25, 7, 1.75, 1]);
});
