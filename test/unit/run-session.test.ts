// The persistent run session (runSession.ts) over real worker threads running forwardWorker.ts: the model's bytes go
// to the worker once, later runs leave them out and reuse the loaded document; cancel and a dying worker end the run
// in one sentence and the next run starts a fresh worker.
// Expected numbers: Keras's output for golden b's input (golden.json) and a NumPy loop on the same weights
// (test/helpers/simplernn_dense_numpy.py) for an edited input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CancelledError } from '../../extension/keras/errors';
import { RunFailure } from '../../extension/runJob';
import { nodeWorkerFactory, type ForwardWorker, type WorkerFactory } from '../../extension/forwardRunner';
import { RunSession, recyclableBuffers } from '../../extension/runSession';
import { mulberry32 } from '../../extension/keras/inputs';
import type { WorkerIn } from '../../extension/forwardWorker';
import { modelBytes } from './helpers/modelBytes';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const golden = path.resolve(repo, '../shared/golden');
const models = path.resolve(repo, '../shared/models/files');
const fileB = path.join(golden, 'b_simplernn5_tanh.h5');
const caseB = (JSON.parse(readFileSync(path.join(golden, 'golden.json'), 'utf8')) as { cases: { id: string; input: number[][][]; keras_output: number[][] }[] }).cases.find((c) => c.id === 'b_simplernn5_tanh')!;
const real = nodeWorkerFactory({ workerPath: path.join(here, 'helpers/forwardWorker.tsx.cjs') });

/** The real factory, with every message the session posts and every worker it starts recorded. */
function recording(inner: WorkerFactory = real): { factory: WorkerFactory; posted: WorkerIn[]; started: () => number } {
  const posted: WorkerIn[] = [];
  let started = 0;
  return {
    posted,
    started: () => started,
    factory: () => {
      started++;
      const w = inner();
      return { ...w, post: (m, t) => (posted.push(m), w.post(m, t)) } satisfies ForwardWorker;
    },
  };
}

const tensorOf = (x: number[][][]) => ({ kind: 'tensors' as const, tensors: [{ shape: [x.length, x[0].length, x[0][0].length], data: Float64Array.from(x.flat(2)) }] });

function numpyB(x: number[][][]): number[][] {
  const out = execFileSync('/usr/bin/python3', [path.join(repo, 'test/helpers/simplernn_dense_numpy.py'), fileB], { input: JSON.stringify(x), encoding: 'utf8' });
  return JSON.parse(out) as number[][];
}

test('a session reads golden b once: the second run leaves the bytes out and follows an edited cell (NumPy reference)', async () => {
  const rec = recording();
  const session = new RunSession(rec.factory);
  try {
    const key = 'b#1';
    let reads = 0;
    const readModel = async () => (reads++, { model: modelBytes(fileB) });
    const first = await session.run({ runId: 1, input: tensorOf(caseB.input) }, { modelKey: key, readModel });
    caseB.keras_output[0].forEach((want, k) => assert.ok(Math.abs(first.outputs[0].data[k] - want) < 1e-5, `output ${k}: ${first.outputs[0].data[k]} vs Keras ${want}`));
    assert.ok(session.holds(key));
    const edited = caseB.input.map((s) => s.map((row) => row.slice()));
    edited[0][4][1] = 2.5;
    const second = await session.run({ runId: 2, input: tensorOf(edited) }, { modelKey: key, readModel });
    const want = numpyB(edited)[0];
    want.forEach((v, k) => assert.ok(Math.abs(second.outputs[0].data[k] - v) < 1e-5, `edited output ${k}: ${second.outputs[0].data[k]} vs NumPy ${v}`));
    assert.notDeepEqual([...second.outputs[0].data], [...first.outputs[0].data]);
    assert.equal(reads, 1, 'the model was read once');
    assert.equal(rec.started(), 1, 'one worker for both runs');
    const runs = rec.posted.filter((m): m is Extract<WorkerIn, { type: 'run' }> => m.type === 'run');
    assert.equal(runs.length, 2);
    assert.ok(runs[0].request.model && runs[0].request.model.name === 'b_simplernn5_tanh.h5', 'first run carries the bytes');
    assert.equal(runs[1].request.model, undefined, 'second run carries no bytes');
    // The worker's weights survive the results' transfer: a third run of the golden input gives Keras's output again.
    const third = await session.run({ runId: 3, input: tensorOf(caseB.input) }, { modelKey: key, readModel });
    assert.deepEqual([...third.outputs[0].data], [...first.outputs[0].data]);
    // A new model version is read again.
    await session.run({ runId: 4, input: tensorOf(caseB.input) }, { modelKey: 'b#2', readModel });
    assert.equal(reads, 2);
  } finally {
    session.dispose();
  }
});

test('cancelling terminates the worker at once; the next run starts a fresh worker and reads the model again', async () => {
  const rec = recording();
  const session = new RunSession(rec.factory);
  try {
    const sunspot = path.join(models, 'sunspot-rnn.h5');
    const abort = new AbortController();
    const started = Date.now();
    const p = session.run({ runId: 10, input: { kind: 'ramp', t: 2000 } }, { modelKey: 's', signal: abort.signal, readModel: async () => ({ model: modelBytes(sunspot) }) });
    setTimeout(() => abort.abort(), 50);
    await assert.rejects(p, (e: unknown) => e instanceof CancelledError);
    assert.ok(Date.now() - started < 5000);
    assert.equal(session.holds('s'), false);
    const after = await session.run({ runId: 11, input: tensorOf(caseB.input) }, { modelKey: 'b', readModel: async () => ({ model: modelBytes(fileB) }) });
    assert.ok(Math.abs(after.outputs[0].data[0] - caseB.keras_output[0][0]) < 1e-5);
    assert.equal(rec.started(), 2);
  } finally {
    session.dispose();
  }
});

test('a worker that dies gives one sentence, and the next run starts a new worker', async () => {
  const exiting = nodeWorkerFactory({ workerPath: path.join(here, 'helpers/exitingWorker.cjs') });
  let n = 0;
  const session = new RunSession(() => (n++ === 0 ? exiting() : real()));
  try {
    const readModel = async () => ({ model: modelBytes(fileB) });
    await assert.rejects(session.run({ runId: 20, input: tensorOf(caseB.input) }, { modelKey: 'b', readModel }), (e: unknown) => {
      assert.ok(e instanceof RunFailure, String(e));
      assert.equal(e.kind, 'internal');
      assert.match(e.message, /stopped unexpectedly/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    const again = await session.run({ runId: 21, input: tensorOf(caseB.input) }, { modelKey: 'b', readModel });
    assert.ok(Math.abs(again.outputs[0].data[1] - caseB.keras_output[0][1]) < 1e-5);
    assert.equal(n, 2);
  } finally {
    session.dispose();
  }
});

test('an input error is one sentence and the session keeps working; a window with no kept trace is refused in one sentence', async () => {
  const session = new RunSession(real);
  try {
    const readModel = async () => ({ model: modelBytes(fileB) });
    await assert.rejects(session.run({ runId: 30, input: { kind: 'text', text: '[[1, 2], [3, 4]]' } }, { modelKey: 'b', readModel }), (e: unknown) => e instanceof RunFailure && e.kind === 'input' && /D/.test(e.message));
    const ok = await session.run({ runId: 31, input: tensorOf(caseB.input) }, { modelKey: 'b', readModel });
    assert.equal(ok.runId, 31);
    await assert.rejects(session.window({ runId: 31 }), (e: unknown) => e instanceof RunFailure && !/\n/.test(e.message));
    session.dispose();
    await assert.rejects(session.run({ runId: 32, input: tensorOf(caseB.input) }, { modelKey: 'b', readModel }), (e: unknown) => e instanceof CancelledError);
  } finally {
    session.dispose();
  }
});

test('the sunspot model used by the cancel test exists', () => {
  assert.ok(existsSync(path.join(models, 'sunspot-rnn.h5')));
});

test('a run handed back with recycle() lends its buffers to the next run: the same numbers on memory already mapped, and nothing the host keeps is taken', async () => {
  const session = new RunSession(real);
  try {
    const key = 'b#recycle';
    const readModel = async () => ({ model: modelBytes(fileB) });
    // N = 512 samples of golden b's 10 × 3 input: each trace quantity is 512·10·5 float32 = 100 KB, above the 64 KB floor.
    const rnd = mulberry32(11);
    const x = Array.from({ length: 512 }, () => Array.from({ length: 10 }, () => Array.from({ length: 3 }, () => 2 * rnd() - 1)));
    x[0] = caseB.input[0]; // sample 0 is golden b's input, whose output Keras printed
    const first = await session.run({ runId: 1, input: tensorOf(x) }, { modelKey: key, readModel });
    const second = await session.run({ runId: 2, input: tensorOf(x) }, { modelKey: key, readModel });
    assert.equal(session.lastReusedBytes, 0, 'nothing was handed back yet');
    const snapshot = (r: typeof first) => ({ out: Array.from(r.outputs[0].data), trace: Object.fromEntries(Object.entries(r.traces[0].values).map(([k, v]) => [k, Array.from(v)])) });
    const want = snapshot(second);
    const inputBefore = Array.from(first.inputs[0].data);
    const handed = recyclableBuffers(first);
    assert.ok(handed.length >= 2, `h and the pre-activation go back (${handed.length} buffers)`);
    session.recycle(first);
    // Transferred: the host's views of the handed-back run are empty now; its input stays.
    assert.equal(first.traces[0].values.h.length, 0);
    assert.deepEqual(Array.from(first.inputs[0].data), inputBefore);
    const third = await session.run({ runId: 3, input: tensorOf(x) }, { modelKey: key, readModel });
    const traceBytes = Object.values(third.traces[0].values).reduce((n, v) => n + v.byteLength, 0);
    assert.ok(session.lastReusedBytes >= traceBytes, `the third run's trace (${traceBytes} bytes) reused handed-back buffers (${session.lastReusedBytes} bytes)`);
    // Bit for bit the run before (reused buffers start zeroed, as fresh ones do), and sample 0 is still Keras's output.
    assert.deepEqual(snapshot(third), want);
    caseB.keras_output[0].forEach((v, k) => assert.ok(Math.abs(third.outputs[0].data[k] - v) < 1e-5, `output ${k}: ${third.outputs[0].data[k]} vs Keras ${v}`));
  } finally {
    session.dispose();
  }
});

test('recyclableBuffers leaves out the buffers a run shares with its inputs and final states', () => {
  const input = new Float64Array(20_000);
  const state = new Float64Array(20_000);
  const seq = new Float64Array(20_000);
  const h = new Float32Array(20_000);
  const result = {
    runId: 1,
    inputs: [{ shape: [1, 20_000], data: input }],
    inputLabel: '',
    // An identity layer's output is its input's buffer; a return_state output can be the state kept for continuing.
    outputs: [{ shape: [1, 20_000], data: input }, { shape: [1, 20_000], data: seq }, { shape: [1, 20_000], data: state }],
    layers: [],
    traces: [{ values: { h, small: new Float32Array(8) } }],
    recurrentWeights: [],
    finalStates: [{ layer: 'rnn', states: [{ shape: [1, 20_000], data: state }] }],
    elapsedMs: 0,
  } as unknown as Parameters<typeof recyclableBuffers>[0];
  const got = recyclableBuffers(result);
  assert.deepEqual(new Set(got), new Set([seq.buffer, h.buffer]));
});
