// A streamed trace (checkpoints every K steps, windows recomputed on demand) must give exactly — byte for byte — what
// the full trace of the same run records, for every cell, option and window shape. The reference is the ordinary
// full-trace run of the same layer (an independent recording path: every step copied as it happens).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { layerKind } from '../../extension/keras/layers/index';
import type { ForwardContext, LayerOutput, RecurrentTrace } from '../../extension/keras/layers/types';
import type { Mask, Tensor } from '../../extension/keras/tensor';
import type { LayerNode } from '../../extension/keras/model';
import { OVERVIEW_COLS, TraceStore, checkWindow, checkpointEvery, overviewStride, traceWindow, type TraceWindowRequest } from '../../extension/keras/traceStore';
import { ctx, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';

const N = 3;
const T = 37; // not a multiple of K: the last steps come after the last checkpoint
const D = 4;
const M = 5;
const K = 4;

function rnn(className: string, G: number, config: Record<string, unknown>, seed: number, name = className.toLowerCase()): LayerNode {
  const rnd = seeded(seed);
  const bias = className === 'GRU' && config.reset_after !== false ? [2, G * M] : [G * M];
  return layerNode(className, { units: M, return_sequences: true, ...config }, {
    name,
    weights: [
      weightRef(`${name}/kernel`, [D, G * M], randomArray(D * G * M, rnd, -0.8, 0.8)),
      weightRef(`${name}/recurrent_kernel`, [M, G * M], randomArray(M * G * M, rnd, -0.8, 0.8)),
      weightRef(`${name}/bias`, bias, randomArray(bias.reduce((a, b) => a * b, 1), rnd, -0.5, 0.5)),
    ],
  });
}

const input = (seed: number, shape = [N, T, D]): Tensor => t(shape, randomArray(shape.reduce((a, b) => a * b, 1), seeded(seed), -2, 2));

async function run(layer: LayerNode, x: Tensor, c: ForwardContext, mask: Mask | null = null, initialState?: Tensor[]): Promise<LayerOutput> {
  const kind = layerKind(layer.className);
  assert.ok(kind, layer.className);
  return (await kind.forward(layer, { tensors: [x], masks: [mask], ...(initialState ? { initialState } : {}) }, c)) as LayerOutput;
}

/** The same slice read straight from a full trace's flat [step][sample][unit] arrays. */
function sliceFull(trace: RecurrentTrace, q: string, n: number, steps: number[], u0: number, u1: number): Float32Array {
  const out = new Float32Array(steps.length * (u1 - u0));
  steps.forEach((s, r) => {
    for (let u = u0; u < u1; u++) out[r * (u1 - u0) + u - u0] = trace.values[q][(s * trace.batch + n) * trace.units + u];
  });
  return out;
}

const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Runs the layer twice (full trace, streamed) and compares many windows of every trace byte for byte. */
async function assertExact(layer: LayerNode, x: Tensor, mask: Mask | null = null, initialState?: Tensor[]): Promise<void> {
  const full = await run(layer, x, ctx(), mask, initialState);
  const store = new TraceStore(1 << 20, K);
  const streamed = await run(layer, x, { ...ctx(), traceStore: store }, mask, initialState);
  // Streaming changes what is kept, never what is computed.
  full.tensors.forEach((tensor, i) => assert.deepEqual(streamed.tensors[i].data, tensor.data, `output ${i}`));
  const fullTraces = full.traces ?? [];
  const streamTraces = streamed.traces ?? [];
  assert.ok(fullTraces.length > 0);
  assert.equal(streamTraces.length, fullTraces.length);
  const rnd = seeded(7);
  for (const [i, ft] of fullTraces.entries()) {
    const st = streamTraces[i];
    const { steps: T, batch: N, units: M } = ft;
    assert.ok(st.streamed, 'the streamed run marks its trace');
    assert.equal(st.values.h.length, 0, 'no step is stored in full');
    assert.deepEqual(Array.from(st.timeIndex), Array.from(ft.timeIndex));
    const quantities = Object.keys(ft.values);
    assert.deepEqual([...st.streamed.quantities].sort(), [...quantities].sort());
    for (const q of quantities) {
      let min = Infinity;
      let max = -Infinity;
      for (const v of ft.values[q]) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      assert.equal(st.streamed.stats[q].min, min, `${q} min`);
      assert.equal(st.streamed.stats[q].max, max, `${q} max`);
    }
    const windows: [number, number, number, number, number][] = [
      [0, 0, T, 0, M],
      [N - 1, T - 1, T, 0, M],
      [1, K - 1, K + 1, 1, 3],
      [N - 1, 2 * K, 3 * K, 0, M],
      [0, 5, 6, 4, 5],
      [1, T - 3, T, 2, 4],
    ];
    for (let r = 0; r < 10; r++) {
      const a = Math.floor(rnd(0, T));
      const b = a + 1 + Math.floor(rnd(0, T - a));
      const u = Math.floor(rnd(0, M));
      windows.push([Math.floor(rnd(0, N)), a, Math.min(b, T), u, u + 1 + Math.floor(rnd(0, M - u))]);
    }
    for (const [n, s0, s1, u0, u1] of windows) {
      const req: TraceWindowRequest = { layer: st.layer, ...(st.direction ? { direction: st.direction } : {}), sample: n, step0: s0, step1: s1, unit0: u0, unit1: u1, quantities };
      const w = traceWindow(streamTraces, store, req);
      const steps = Array.from({ length: s1 - s0 }, (_, k) => s0 + k);
      assert.deepEqual(Array.from(w.steps), steps);
      for (const q of quantities) assert.ok(bytes(w.values[q]).equals(bytes(sliceFull(ft, q, n, steps, u0, u1))), `${st.layer} ${st.direction ?? ''} ${q} n=${n} steps ${s0}..${s1} units ${u0}..${u1}`);
      // The full trace answers the same request the same way.
      const fw = traceWindow(fullTraces, undefined, req);
      for (const q of quantities) assert.ok(bytes(fw.values[q]).equals(bytes(w.values[q])));
    }
    // The kept rows alone (a stride of K): steps K-1, 2K-1, …
    const kept = traceWindow(streamTraces, store, { layer: st.layer, ...(st.direction ? { direction: st.direction } : {}), sample: 1, step0: 0, step1: T, stride: K, unit0: 0, unit1: M, quantities });
    const keptSteps = Array.from({ length: Math.floor(T / K) }, (_, j) => (j + 1) * K - 1);
    assert.deepEqual(Array.from(kept.steps), keptSteps);
    for (const q of quantities) assert.ok(bytes(kept.values[q]).equals(bytes(sliceFull(ft, q, 1, keptSteps, 0, M))), `kept rows of ${q}`);
  }
}

describe('streamed traces: windows equal the full trace byte for byte', () => {
  it('LSTM', async () => assertExact(rnn('LSTM', 4, {}, 1), input(11)));
  it('GRU (reset_after) and GRU (reset_after=False)', async () => {
    await assertExact(rnn('GRU', 3, {}, 2), input(12));
    await assertExact(rnn('GRU', 3, { reset_after: false }, 3), input(13));
  });
  it('SimpleRNN', async () => assertExact(rnn('SimpleRNN', 1, {}, 4), input(14)));
  it('go_backwards', async () => assertExact(rnn('LSTM', 4, { go_backwards: true }, 5), input(15)));
  it('masked steps (states carried, gates 0)', async () => {
    const data = new Uint8Array(N * T).fill(1);
    // Sample 0 masks a run across a checkpoint, sample 2 its last steps.
    for (let s = 2; s < 11; s++) data[0 * T + s] = 0;
    for (let s = T - 5; s < T; s++) data[2 * T + s] = 0;
    await assertExact(rnn('LSTM', 4, {}, 6), input(16), { n: N, t: T, data });
    await assertExact(rnn('GRU', 3, {}, 7), input(17), { n: N, t: T, data });
  });
  it('stateful initial states', async () => {
    const rnd = seeded(8);
    const init = [t([N, M], randomArray(N * M, rnd)), t([N, M], randomArray(N * M, rnd))];
    await assertExact(rnn('LSTM', 4, { stateful: true }, 8), input(18), null, init);
  });
  it('Bidirectional(LSTM): both directions', async () => {
    const inner = rnn('LSTM', 4, {}, 9, 'fwd');
    const back = { ...rnn('LSTM', 4, { go_backwards: true }, 10, 'bwd') };
    const layer = layerNode('Bidirectional', { merge_mode: 'concat' }, { name: 'bi', children: [inner, back] });
    await assertExact(layer, input(19));
  });
  it('ConvLSTM2D (a feature-map state)', async () => {
    const rnd = seeded(20);
    const cfg = { filters: 3, kernel_size: [3, 3], strides: [1, 1], padding: 'same', data_format: 'channels_last', dilation_rate: [1, 1], activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true, return_sequences: true };
    const layer = layerNode('ConvLSTM2D', cfg, {
      weights: [weightRef('kernel', [3, 3, 2, 12], randomArray(216, rnd, -0.6, 0.6)), weightRef('recurrent_kernel', [3, 3, 3, 12], randomArray(324, rnd, -0.6, 0.6)), weightRef('bias', [12], randomArray(12, rnd))],
    });
    await assertExact(layer, input(21, [2, 13, 4, 4, 2]));
  });
});

describe('window requests are checked before anything is computed', () => {
  const q = ['h'];
  const ok: TraceWindowRequest = { layer: 'l', sample: 0, step0: 0, step1: 4, unit0: 0, unit1: 2, quantities: q };
  it('refuses out-of-range and malformed requests with one sentence', () => {
    assert.equal(checkWindow(ok, 10, 2, 5, q), null);
    assert.match(checkWindow({ ...ok, sample: 2 }, 10, 2, 5, q)!, /not one of the 2 samples/);
    assert.match(checkWindow({ ...ok, step1: 11 }, 10, 2, 5, q)!, /within the 10 steps/);
    assert.match(checkWindow({ ...ok, step0: 5, step1: 4 }, 10, 2, 5, q)!, /within the 10 steps/);
    assert.match(checkWindow({ ...ok, unit0: -1 }, 10, 2, 5, q)!, /within the 5 units/);
    assert.match(checkWindow({ ...ok, unit1: 2.5 }, 10, 2, 5, q)!, /within the 5 units/);
    assert.match(checkWindow({ ...ok, quantities: ['__proto__'] }, 10, 2, 5, q)!, /no quantity named/);
    assert.match(checkWindow({ ...ok, quantities: [] }, 10, 2, 5, q)!, /no quantity/);
    assert.match(checkWindow({ ...ok, stride: 0 }, 10, 2, 5, q)!, /stride/);
    assert.match(checkWindow({ ...ok, step1: 10, unit1: 5 }, 10, 2, 5, q) ?? 'fits', /fits/);
  });
  it('checkpointEvery keeps the kept rows within the budget, K a power of two ≥ 16', () => {
    assert.equal(checkpointEvery(1000, 1e9), 16);
    // N = 32, T = 10,000, LSTM(512) with gates: 6 quantities × 4 bytes.
    const full = 32 * 10_000 * 512 * 6 * 4;
    const k = checkpointEvery(full, 256 * 2 ** 20);
    assert.ok(full / k <= 256 * 2 ** 20 && full / (k / 2) > 256 * 2 ** 20, `K = ${k}`);
  });
});

describe('the overview of a streamed trace (the heatmap and the chart)', () => {
  it('overviewStride is a multiple of K with at most OVERVIEW_COLS columns, and K itself when that fits', () => {
    assert.equal(overviewStride(10_000, 16), 16); // 625 kept rows
    // T = 100k, K = 16: 6,250 kept rows would be 6,250 columns; every 112th step (7·16) gives 892.
    const s = overviewStride(100_000, 16);
    assert.equal(s, 112);
    assert.ok(Math.floor(100_000 / s) <= OVERVIEW_COLS && Math.floor(100_000 / (s - 16)) > OVERVIEW_COLS);
  });
  it('a window at that stride holds the kept steps K−1, K−1+S, … exactly as the full trace', async () => {
    const layer = rnn('LSTM', 4, {}, 31);
    const x = input(32, [N, 200, D]);
    const full = await run(layer, x, ctx());
    const store = new TraceStore(1 << 20, K);
    const streamed = await run(layer, x, { ...ctx(), traceStore: store });
    const stride = 3 * K;
    const w = traceWindow(streamed.traces!, store, { layer: 'lstm', sample: 1, step0: 0, step1: 200, stride, unit0: 0, unit1: M, quantities: ['h', 'c'] });
    const steps = Array.from(w.steps);
    assert.deepEqual(steps.slice(0, 3), [K - 1, K - 1 + stride, K - 1 + 2 * stride]);
    for (const q of ['h', 'c']) assert.deepEqual(bytes(w.values[q]), bytes(sliceFull(full.traces![0], q, 1, steps, 0, M)), q);
  });
});

describe('the step walk-through of a streamed trace (a window of the step and the one before)', () => {
  async function compare(layer: LayerNode, x: Tensor, cellKey: string, mask: Mask | null, picks: [number, number][]): Promise<void> {
    const { recurrentWeightsFor } = await import('../../extension/runJob');
    const { sequentialDoc } = await import('./helpers/modelDoc');
    const { walkthrough } = await import('../../webview/logic/stepMath');
    const { stepWindowTrace } = await import('../../webview/logic/streamedStep');
    const full = (await run(layer, x, ctx(), mask)).traces![0];
    const store = new TraceStore(1 << 20, K);
    const streamed = (await run(layer, x, { ...ctx(), traceStore: store }, mask)).traces![0];
    const doc = sequentialDoc([null, null, D], [layer]);
    const weights = recurrentWeightsFor(doc, full)!;
    assert.equal(weights.cell, cellKey);
    const seq = { steps: x.shape[1], features: D, data: x.data, batch: x.shape[0] };
    for (const [step, sample] of picks) {
      const expected = walkthrough({ weights, trace: full, input: seq, step, sample, kerasMajor: 3 });
      const first = Math.max(0, step - 1);
      const w = traceWindow([streamed], store, { layer: streamed.layer, sample, step0: first, step1: step + 1, unit0: 0, unit1: M, quantities: Object.keys(streamed.values) });
      const got = walkthrough({ weights, trace: stepWindowTrace(streamed, w, sample, first), input: seq, step, sample, kerasMajor: 3, ...(first ? { firstStep: first } : {}) });
      const what = `step ${step + 1}, sample ${sample}`;
      assert.equal(got.title, expected.title, what);
      assert.equal(got.masked, expected.masked, what);
      assert.deepEqual(got.rows.map((r) => [r.label, r.expr, Array.from(r.values)]), expected.rows.map((r) => [r.label, r.expr, Array.from(r.values)]), what);
      assert.deepEqual(got.checks.map((c) => [c.key, Array.from(c.traced), c.agrees]), expected.checks.map((c) => [c.key, Array.from(c.traced), c.agrees]), what);
      assert.ok(expected.masked || expected.checks.length >= 2, `${what}: the step was checked`);
    }
  }
  it('LSTM: the first step, across a checkpoint, the last step, every sample', async () => {
    await compare(rnn('LSTM', 4, {}, 41), input(42), 'LSTM', null, [[0, 0], [K - 1, 1], [K, 2], [2 * K + 1, 0], [T - 1, 2]]);
  });
  it('GRU with masked steps (a masked step, and the step after a masked run)', async () => {
    const data = new Uint8Array(N * T).fill(1);
    for (let s = 2; s < 11; s++) data[0 * T + s] = 0;
    await compare(rnn('GRU', 3, {}, 43), input(44), 'GRU', { n: N, t: T, data }, [[5, 0], [11, 0], [12, 1]]);
  });
});

describe('keep only some layers: the estimate and the run', () => {
  it('traces only the layers chosen, and the estimate counts only theirs', async () => {
    const { sequentialDoc } = await import('./helpers/modelDoc');
    const { runForward, estimateMemory, tracedLayerNames } = await import('../../extension/keras/forward');
    const a = rnn('LSTM', 4, {}, 51, 'first');
    const rnd = seeded(52);
    const b = layerNode('GRU', { units: M, return_sequences: true }, {
      name: 'second',
      weights: [weightRef('second/kernel', [M, 3 * M], randomArray(3 * M * M, rnd, -0.8, 0.8)), weightRef('second/recurrent_kernel', [M, 3 * M], randomArray(3 * M * M, rnd, -0.8, 0.8)), weightRef('second/bias', [2, 3 * M], randomArray(6 * M, rnd))],
    });
    const doc = sequentialDoc([null, null, D], [a, b]);
    assert.deepEqual(tracedLayerNames(doc), ['first', 'second']);
    const shape = [[N, T, D]];
    // LSTM: h, c and 4 gates; GRU: h and z, r, h̃ — N·T·M values each, float32.
    assert.equal(estimateMemory(doc, shape, true, ['first']).traces, N * T * M * 6 * 4);
    assert.equal(estimateMemory(doc, shape, true, ['second']).traces, N * T * M * 4 * 4);
    assert.equal(estimateMemory(doc, shape, true).traces, N * T * M * 10 * 4);
    const x = input(53);
    const all = await runForward(doc, [x], { trace: true });
    const some = await runForward(doc, [x], { trace: true, traceLayers: ['second'] });
    assert.deepEqual(some.traces.map((tr) => tr.layer), ['second']);
    assert.deepEqual(all.traces.map((tr) => tr.layer), ['first', 'second']);
    // Leaving a trace out changes nothing computed.
    assert.deepEqual(some.outputs[0].data, all.outputs[0].data);
    assert.deepEqual(some.traces[0].values.h, all.traces[1].values.h);
  });
});

describe('the CSV export of a streamed trace (written window by window)', () => {
  it('equals the CSV of the full trace, text for text, and stops on cancel', async () => {
    const { tracesToCsv, writeTraceCsv } = await import('../../extension/keras/traceExport');
    const { CancelledError } = await import('../../extension/keras/errors');
    const layer = rnn('LSTM', 4, { go_backwards: true }, 61);
    // More steps than one export chunk (256), not a multiple of it or of K.
    const x = input(62, [2, 300, D]);
    const full = (await run(layer, x, ctx())).traces!;
    const store = new TraceStore(1 << 20, K);
    const streamed = (await run(layer, x, { ...ctx(), traceStore: store })).traces!;
    let text = '';
    const seen: number[] = [];
    let asked = 0;
    const window = async (req: TraceWindowRequest) => {
      asked++;
      return traceWindow(streamed, store, req);
    };
    await writeTraceCsv(streamed, window, async (t) => void (text += t), { progress: (done) => seen.push(done) });
    assert.equal(text, tracesToCsv(full));
    assert.deepEqual(seen, [256, 300]);
    assert.equal(asked, 2 * 2, 'one window per sample per chunk');
    const abort = new AbortController();
    let written = '';
    await assert.rejects(
      writeTraceCsv(streamed, async (req) => (abort.abort(), traceWindow(streamed, store, req)), async (t) => void (written += t), { signal: abort.signal }),
      (e) => e instanceof CancelledError,
    );
    assert.equal(written, '', 'nothing was written after the cancel');
  });
});
