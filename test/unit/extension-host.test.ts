// The extension host's pure helpers: explanations (hovers.ts), the Python hover's counts, and a forward-pass job
// run directly and in the worker thread (cancel and errors included).
// Expected numbers come from Keras (golden README / golden.json) or are derived by hand in the comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../../extension/keras/documentNode';
import { summarize } from '../../extension/keras/summary';
import { layerEnv, layerKind } from '../../extension/keras/layers/index';
import { findCallAt } from '../../extension/keras/pythonCall';
import { CancelledError } from '../../extension/keras/errors';
import { layerTooltip, modelTooltip, pythonHover, paramsLabel } from '../../extension/hovers';
import { executeRun, RunFailure, transferables } from '../../extension/runJob';
import { runInWorker } from '../../extension/forwardRunner';
import { modelBytes } from './helpers/modelBytes';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const golden = path.resolve(repo, '../shared/golden');
const models = path.resolve(repo, '../shared/models/files');
const goldenJson = JSON.parse(readFileSync(path.join(golden, 'golden.json'), 'utf8')) as {
  cases: { id: string; input: number[][][]; keras_output: number[][] }[];
};
const WORKER = { workerPath: path.join(here, 'helpers/forwardWorker.tsx.cjs') };
const caseB = goldenJson.cases.find((c) => c.id === 'b_simplernn5_tanh')!;

// A layer module has landed when it gives a formula for a plain layer of its kind (M = 5 over D = 3).
function moduleReady(className = 'SimpleRNN'): boolean {
  const cell = { name: 'c', className: className === 'Bidirectional' ? 'LSTM' : className, config: { units: 5 }, weights: [], children: [], calls: [] };
  const node = className === 'Bidirectional' ? { ...cell, name: 'b', className, config: { layer: { class_name: 'LSTM', config: { units: 5 } } }, children: [cell, { ...cell, name: 'c2' }] } : cell;
  try {
    return layerKind(className)!.params(node, [[null, 10, 3]], layerEnv(3)) !== null;
  } catch {
    return false;
  }
}
const recurrentReady = () => moduleReady('SimpleRNN');
const WAIT = 'the SimpleRNN layer module is still a placeholder (issue 3 in progress)';
const waitFor = (c: string) => `the ${c} layer module is still a placeholder (issue 3 in progress)`;

test('paramsLabel: singular, plural and thousands', () => {
  assert.equal(paramsLabel(1), '1 param');
  assert.equal(paramsLabel(57), '57 params');
  assert.equal(paramsLabel(183775), '183,775 params');
});

test('golden b tooltips: model total 57, SimpleRNN 45 = 3·5 + 5·5 + 5 with its weight shapes, Dense 12 = 5·2 + 2', async () => {
  const s = summarize(await loadModel(path.join(golden, 'b_simplernn5_tanh.keras')));
  assert.match(modelTooltip(s), /Total 57 params/);
  const rnn = s.layers.find((l) => l.className === 'SimpleRNN')!;
  const tip = layerTooltip(rnn);
  assert.match(tip, /45 params/);
  // kernel D×M = 3×5, recurrent_kernel M×M = 5×5, bias M = 5
  assert.match(tip, /kernel \(W\\_x\) \| 3 × 5 \| 15 \|/);
  assert.match(tip, /recurrent\\_kernel \(W\\_h\) \| 5 × 5 \| 25 \|/);
  assert.match(tip, /bias \(b\) \| 5 \| 5 \|/);
  const dense = s.layers.find((l) => l.className === 'Dense')!;
  assert.match(layerTooltip(dense), /12 params/);
});

test('Python hover: SimpleRNN(5, input_shape=(10, 3)) counts 3·5 + 5·5 + 5 = 45', (t) => {
  if (!recurrentReady()) return t.skip(WAIT);
  const h = pythonHover(findCallAt('SimpleRNN(5, input_shape=(10, 3))', 1)!)!;
  assert.equal(h.total, 45);
  assert.match(h.markdown, /45 params/);
});

test('Python hover: GRU reset_after=False is 3M(D+M+1) = 150, the Keras 3 default (True) 3M(D+M+2) = 165 for M=5, D=4', (t) => {
  if (!moduleReady('GRU')) return t.skip(waitFor('GRU'));
  assert.equal(pythonHover(findCallAt('GRU(5, reset_after=False, input_shape=(None, 4))', 1)!)!.total, 150);
  assert.equal(pythonHover(findCallAt('GRU(5, input_shape=(None, 4))', 1)!)!.total, 165);
});

test('Python hover: Bidirectional(LSTM(8)) over D=3 is 2 · 4·8·(3+8+1) = 768', (t) => {
  if (!moduleReady('Bidirectional') || !moduleReady('LSTM')) return t.skip(waitFor('Bidirectional/LSTM'));
  assert.equal(pythonHover(findCallAt('Bidirectional(LSTM(8), input_shape=(10, 3))', 1)!)!.total, 768);
});

test('Python hover: Dense(2, input_dim=5) is 5·2 + 2 = 12; Dense(2) alone shows the formula in letters', () => {
  assert.equal(pythonHover(findCallAt('Dense(2, input_dim=5)', 1)!)!.total, 12);
  const letters = pythonHover(findCallAt('Dense(2)', 1)!)!;
  assert.equal(letters.total, null);
  assert.match(letters.markdown, /D = \?/);
  assert.doesNotMatch(letters.markdown, /\bparams\b/);
});

test('Python hover: LSTM(8) without an input shape shows letters only, with M = 8 known', (t) => {
  if (!moduleReady('LSTM')) return t.skip(waitFor('LSTM'));
  const h = pythonHover(findCallAt('LSTM(8)', 1)!)!;
  assert.equal(h.total, null);
  assert.match(h.markdown, /M = 8/);
  assert.match(h.markdown, /D = \?/);
});

test('forward job on golden b with the Keras input gives Keras output within 1e-6, plus W_x, W_h, b', async (t) => {
  if (!recurrentReady()) return t.skip(WAIT);
  const result = await executeRun({ runId: 1, model: modelBytes(path.join(golden, 'b_simplernn5_tanh.h5')), input: { kind: 'text', text: JSON.stringify(caseB.input) } });
  const want = caseB.keras_output[0];
  assert.deepEqual(result.outputs[0].shape, [1, 2]);
  for (let k = 0; k < want.length; k++) assert.ok(Math.abs(result.outputs[0].data[k] - want[k]) < 1e-6, `output ${k}: ${result.outputs[0].data[k]} vs Keras ${want[k]}`);
  assert.equal(result.traces.length, 1);
  assert.equal(result.traces[0].steps, 10);
  const w = result.recurrentWeights[0];
  assert.equal(w.cell, 'SimpleRNN');
  assert.deepEqual(w.inputShape, [3]);
  assert.deepEqual(w.stateShape, [5]);
  assert.equal(w.tensors.kernel.values.length, 15); // D×M
  assert.equal(w.tensors.recurrent_kernel.values.length, 25); // M×M
  assert.equal(w.tensors.bias?.values.length, 5); // M
  assert.equal(w.options.activation, 'tanh');
});

test('the worker thread runs golden a on x = [1, 2, 3] to Keras -3.068111', async (t) => {
  if (!recurrentReady()) return t.skip(WAIT);
  const progress: string[] = [];
  const result = await runInWorker(
    WORKER,
    { runId: 7, model: modelBytes(path.join(golden, 'a_simplernn2_linear.keras')), input: { kind: 'ramp' } },
    { onProgress: (done, total, layer) => progress.push(`${done}/${total} ${layer}`) },
  );
  assert.equal(result.runId, 7);
  assert.ok(Math.abs(result.outputs[0].data[0] - -3.068111) < 1e-6, `got ${result.outputs[0].data[0]}`);
  assert.ok(result.outputs[0].data instanceof Float64Array, 'typed arrays survive the thread boundary');
  assert.ok(progress.length >= 2, `progress per layer: ${progress.join('; ')}`);
});

test('the worker reports a file error in one sentence (truncated 2-byte file)', async () => {
  await assert.rejects(
    runInWorker(
      WORKER,
      { runId: 8, model: modelBytes(path.join(models, 'truncated-2byte.h5')), input: { kind: 'zeros' } },
    ),
    (e: unknown) => {
      assert.ok(e instanceof RunFailure, String(e));
      assert.equal(e.kind, 'file');
      assert.match(e.message, /\S/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    },
  );
});

test('cancelling terminates the worker and rejects with CancelledError', async () => {
  const abort = new AbortController();
  const started = Date.now();
  const p = runInWorker(
    WORKER,
    { runId: 9, model: modelBytes(path.join(models, 'sunspot-rnn.h5')), input: { kind: 'ramp', t: 2000 } },
    { signal: abort.signal },
  );
  setTimeout(() => abort.abort(), 50);
  await assert.rejects(p, (e: unknown) => e instanceof CancelledError);
  assert.ok(Date.now() - started < 5000);
});

test('a bad input gives the core input error: wrong D for golden b', async () => {
  await assert.rejects(
    executeRun({ runId: 2, model: modelBytes(path.join(golden, 'b_simplernn5_tanh.h5')), input: { kind: 'text', text: '[[1, 2], [3, 4]]' } }),
    (e: unknown) => e instanceof RunFailure && e.kind === 'input' && /D/.test(e.message),
  );
});

test('transferables lists each whole buffer once and skips views into larger buffers', () => {
  const a = new Float64Array(4);
  const big = new Float32Array(10);
  const view = big.subarray(2, 4);
  const list = transferables({ x: a, y: [a, view], z: { w: new Int32Array(2) } });
  assert.equal(list.length, 2);
  assert.ok(list.includes(a.buffer as ArrayBuffer));
  assert.ok(!list.includes(big.buffer as ArrayBuffer));
});

// Hostile names in tooltips and hovers (issue 7): every name, class, path and version from a file is escaped outside
// code spans, so no link, command link, autolink, image, HTML or early-closed code span can form.
import { HOSTILE_STRINGS, goldenBNamed } from '../helpers/craft';
import { weightTooltip } from '../../extension/hovers';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

/** Markdown that renders no link: no unescaped `](`, `<` or scheme, no raw bidi override or ESC. */
function assertInert(md: string, where: string): void {
  assert.doesNotMatch(md, /(^|[^\\])\]\s*\(/, `${where}: unescaped ](`);
  assert.doesNotMatch(md, /command:|https?:\/\//i, `${where}: a scheme`);
  assert.doesNotMatch(md, /(^|[^\\])</, `${where}: unescaped <`);
  assert.ok(!md.includes('\u202e') && !md.includes('\u001b'), `${where}: raw control`);
  // Every backtick left is one the extension wrote: code spans only hold its own formulas and shapes.
  for (const line of md.split('\n')) {
    const unescaped = line.replace(/\\`/g, '').match(/`+/g) ?? [];
    const fences = new Map<number, number>();
    for (const run of unescaped) fences.set(run.length, (fences.get(run.length) ?? 0) + 1);
    for (const [len, count] of fences) assert.equal(count % 2, 0, `${where}: an unpaired ${len}-backtick fence in ${JSON.stringify(line.slice(0, 120))}`);
  }
}

test('tooltips of a model whose names, paths and version are hostile stay inert Markdown', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kri-tips-'));
  try {
    for (const [i, s] of HOSTILE_STRINGS.entries()) {
      const file = path.join(dir, `h${i}.keras`);
      writeFileSync(file, goldenBNamed(s, { keras_version: s }));
      const summary = summarize(await loadModel(file));
      assertInert(modelTooltip(summary), `model ${i}`);
      for (const layer of summary.layers) {
        assertInert(layerTooltip(layer), `layer ${i}`);
        // A weight path with backticks, links and HTML, as a crafted HDF5 file can name its datasets.
        for (const w of layer.weights) assertInert(weightTooltip(layer, { ...w, path: `${w.path}/${s}`, name: `${s}/kernel` }), `weight ${i}`);
      }
      // The layer's name is still there to read, escaped.
      if (/^[a-z]+$/i.test(s.slice(0, 5))) assert.ok(layerTooltip(summary.layers[1]).includes(s.slice(0, 5)));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Reading untrusted files off the extension host (summaryWorker.ts): the answer, the one-sentence errors, the time
// limit, and that no thread is left behind (one idle thread is kept warm, then ends).
import { ReadWorkers } from '../../extension/summaryWorker';

const READER = path.join(here, 'helpers/summaryWorker.tsx.cjs');

test('the reading threads: golden b reads as 57 params, a broken file as one sentence, both in parallel threads', async () => {
  const workers = new ReadWorkers(READER);
  try {
    const [ok, broken] = await Promise.all([workers.read(modelBytes(path.join(golden, 'b_simplernn5_tanh.keras'))), workers.read(modelBytes(path.join(models, 'truncated-2byte.h5')))]);
    assert.equal(ok.type, 'summary');
    if (ok.type === 'summary') assert.equal(ok.summary.totalParams, 57); // golden README: 45 + 12
    assert.equal(broken.type, 'error');
    if (broken.type === 'error') {
      assert.ok(broken.expected);
      assert.ok(broken.message.length > 10 && broken.message.length <= 300 && !broken.message.includes('\n'), broken.message);
    }
    // Two reads ran at once in two threads; one is kept warm for the next file, the other ended.
    assert.equal(workers.alive, 1);
    const again = await workers.read(modelBytes(path.join(golden, 'a_simplernn2_linear.keras')));
    assert.equal(again.type, 'summary');
    assert.equal(workers.alive, 1);
  } finally {
    workers.dispose();
  }
  assert.equal(workers.alive, 0);
});

test('the reading thread past its time limit is terminated and the file gets one sentence', async () => {
  const workers = new ReadWorkers(READER, 1);
  const out = await workers.read(modelBytes(path.join(golden, 'b_simplernn5_tanh.keras')));
  assert.equal(out.type, 'error');
  if (out.type === 'error') assert.match(out.message, /took longer than 0\.001 s.*damaged or crafted/);
  assert.equal(workers.alive, 0, 'the slow thread is not kept');
});

test('an idle reading thread ends by itself', async () => {
  const workers = new ReadWorkers(READER, 30_000, 50);
  await workers.read(modelBytes(path.join(golden, 'c_simplernn1_tanh.keras')));
  assert.equal(workers.alive, 1);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(workers.alive, 0);
});

test('a run with the bytes of a CSV (read by the host) uses only the window, and a CSV with neither bytes nor text gets a sentence', async () => {
  const file = path.join(models, 'sunspot-rnn.h5');
  const csv = path.join(models, 'sunspots-data.csv');
  const rows = readFileSync(csv, 'utf8').trim().split('\n');
  // Semicolon-separated with no header (year; monthly mean; ...): column 1 is the sunspot number.
  const column = 1;
  const r = await executeRun({ runId: 1, model: modelBytes(file), input: { kind: 'csv', bytes: new Uint8Array(readFileSync(csv)), column, window: 12, start: -12 } });
  // The input the run used is the series' last 12 values of that column, in order.
  const expected = rows.slice(-12).map((l) => Number(l.split(';')[column]));
  assert.deepEqual(Array.from(r.inputs[0].data), expected);
  await assert.rejects(
    executeRun({ runId: 2, model: modelBytes(file), input: { kind: 'csv', column: 0, window: 12 } }),
    (e: unknown) => e instanceof RunFailure && e.kind === 'input' && /CSV/.test(e.message) && e.message.length <= 300,
  );
});
