// `keras-inspect forward` as a user runs it: the built dist/cli.js spawned with real files. Exit codes
// (0 ok, 2 usage/input, 3 unsupported, 4 not a model), one-line errors, the JSON shape, --numpy and --trace-csv.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertClose } from './helpers/layerNode';
import { PYTHON_WITH_NUMPY } from './helpers/python';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const shared = path.resolve(repoRoot, '../shared');
const cli = path.join(repoRoot, 'dist/cli.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'cli-forward-'));
const golden = (f: string) => path.join(shared, 'golden', f);
const model = (f: string) => path.join(shared, 'models/files', f);
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

before(() => {
  const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(build.status, 0, `node esbuild.mjs failed:\n${build.stderr}`);
  assert.ok(existsSync(cli), 'dist/cli.js was built');
});

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'forward', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function oneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace without --debug');
}

test('golden a --json: output, outputShape, layers and the SimpleRNN trace', () => {
  const r = run(golden('a_simplernn2_linear.h5'), '--input', golden('a_simplernn2_linear.input.json'), '--json');
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assertClose(flat(json.output), [-3.068111], 1e-6, 0, 'Keras printed -3.068111');
  assert.deepEqual(json.outputShape, [1, 1]);
  assert.deepEqual(json.layers.map((l: { name: string; className: string; outputShape: number[] }) => [l.name, l.className, l.outputShape]), [
    ['simple_rnn', 'SimpleRNN', [1, 2]],
    ['dense', 'Dense', [1, 1]],
  ]);
  assertClose(flat(json.layers[1].output), [-3.068111], 1e-6, 0, 'dense layer output');
  const tr = json.trace.simple_rnn;
  assert.deepEqual(tr.timeIndex, [0, 1, 2]);
  assert.equal(tr.h.length, 3, '[step]');
  assert.equal(tr.h[0].length, 1, '[step][n]');
  assert.equal(tr.h[0][0].length, 2, '[step][n][m]');
  assert.equal(tr.pre.length, 3, 'SimpleRNN records its pre-activation');
  // Linear activation: h_t equals its pre-activation, and the last h is the SimpleRNN output.
  assert.deepEqual(tr.h, tr.pre);
  assert.deepEqual(tr.h[2][0], json.layers[0].output[0]);
});

test('Bidirectional(LSTM) --json: trace[layer] = {forward, backward} with c, i, f, g, o', () => {
  const id = 'weather-bilstm-tfk215';
  const r = run(model(`${id}.keras`), '--input', path.join(shared, 'models/inputs', `${id}.json`), '--json');
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  const expected = JSON.parse(readFileSync(path.join(shared, 'models/expected', `${id}.json`), 'utf8'));
  assert.deepEqual(json.outputShape, expected.output_shape);
  assertClose(flat(json.output), flat(expected.output), 1e-5, 1e-5, 'output');
  const bi = json.trace.bidirectional;
  assert.ok(bi.forward && bi.backward, 'both directions');
  for (const q of ['h', 'c', 'i', 'f', 'g', 'o']) {
    assert.equal(bi.forward[q].length, 9, `forward ${q}: T = 9 steps`);
    assert.equal(bi.forward[q][0].length, 2, `forward ${q}: N = 2`);
    assert.equal(bi.forward[q][0][0].length, 50, `forward ${q}: M = 50`);
  }
  assert.deepEqual(bi.forward.timeIndex, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(bi.backward.timeIndex, [8, 7, 6, 5, 4, 3, 2, 1, 0]);
});

test('the sunspots CSV feeds the sunspot model through --column and --window; text mode prints a table', () => {
  const r = run(model('sunspot-rnn.h5'), '--input', model('sunspots-data.csv'), '--column', '1', '--window', '12@-12');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Input "[^"]+": N×T×D = 1×12×1/);
  assert.match(r.stdout, /CSV rows 311\.\.322/);
  assert.match(r.stdout, /Output \(1×1\):\n  sample 0: \[-?\d/);
  const json = JSON.parse(run(model('sunspot-rnn.h5'), '--input', model('sunspots-data.csv'), '--column', '1', '--window', '12@-12', '--json').stdout);
  assert.deepEqual(json.outputShape, [1, 1]);
});

test('--numpy writes a script that prints the same output; --trace-csv writes the long CSV', (t) => {
  const script = path.join(tmp, 'b.py');
  const csv = path.join(tmp, 'b.csv');
  const r = run(golden('b_simplernn5_tanh.keras'), '--input', golden('b_simplernn5_tanh.input.json'), '--json', '--numpy', script, '--trace-csv', csv);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assertClose(flat(json.output), [-1.3271614, -0.02186675], 1e-6, 0, 'Keras output');
  const rows = readFileSync(csv, 'utf8').trim().split('\n');
  assert.equal(rows[0], 'layer,direction,k,t,sample,quantity,unit,value');
  assert.equal(rows.length, 1 + 10 * 1 * 2 * 5, 'T=10 steps × N=1 × (h, pre) × M=5');
  if (!PYTHON_WITH_NUMPY) {
    t.skip('python3 with NumPy is not installed (apt-get install -y python3-numpy)');
    return;
  }
  const py = spawnSync(PYTHON_WITH_NUMPY!, [script, '--json'], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  assertClose(flat(JSON.parse(py.stdout).output), [-1.3271614, -0.02186675], 1e-6, 0, 'script output');
});

test('--fill ramp gives the notebooks x = [1, 2, 3]', () => {
  const r = run(golden('c_simplernn1_tanh.h5'), '--fill', 'ramp', '--json');
  assert.equal(r.code, 0, r.stderr);
  assertClose(flat(JSON.parse(r.stdout).output), [0.5746256], 1e-6, 0, 'Keras printed 0.5746256');
});

test('exit 2: bad usage and bad input, one line each', () => {
  let r = run();
  assert.equal(r.code, 2);
  oneLineError(r.stderr, /Give the model file/);
  r = run(golden('a_simplernn2_linear.h5'));
  assert.equal(r.code, 2);
  oneLineError(r.stderr, /Give an input: --input FILE/);
  r = run(golden('a_simplernn2_linear.h5'), '--input', golden('a_simplernn2_linear.input.json'), '--bogus');
  assert.equal(r.code, 2);
  oneLineError(r.stderr, /Unknown option --bogus/);
  r = run(golden('a_simplernn2_linear.h5'), '--input', path.join(tmp, 'missing.json'));
  assert.equal(r.code, 2);
  oneLineError(r.stderr, /missing\.json does not exist/);
  r = run(model('sunspot-rnn.h5'), '--input', model('sunspots-data.csv'), '--window', 'last');
  assert.equal(r.code, 2);
  oneLineError(r.stderr, /LEN or LEN@START/);
  const wrong = path.join(tmp, 'wrong.json');
  writeFileSync(wrong, JSON.stringify({ inputs: [Array.from({ length: 10 }, () => [0, 0, 0, 0])] }));
  r = run(golden('b_simplernn5_tanh.h5'), '--input', wrong);
  assert.equal(r.code, 2);
  oneLineError(r.stderr, /expected N×T×D = \?×10×3, got 1×10×4/);
  // 9 steps where 10 are declared: every layer allows it, so it runs with a note naming the declared T (as tf.keras warns).
  const nine = path.join(tmp, 'nine.json');
  writeFileSync(nine, JSON.stringify({ inputs: [Array.from({ length: 9 }, () => [0, 0, 0])] }));
  r = run(golden('b_simplernn5_tanh.h5'), '--input', nine);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /built for T = 10 time steps; the input has 9, which runs/);
  const nan = path.join(tmp, 'nan.json');
  writeFileSync(nan, '[[[1], ["NaN"], [3]]]');
  r = run(golden('a_simplernn2_linear.h5'), '--input', nan);
  assert.equal(r.code, 2);
  oneLineError(r.stderr, /NaN at sample 0, t = 2, feature 0/);
  r = run(model('emotion-embed-lstm.h5'), '--fill', 'ramp', '--T', '5');
  assert.equal(r.code, 2);
  oneLineError(r.stderr, /built for T = 17 time steps and the layer "embedding_1" \(Embedding\) needs exactly that/);
  const tokens = path.join(tmp, 'tokens.json');
  writeFileSync(tokens, JSON.stringify([[...Array(16).fill(1), 100]]));
  r = run(model('emotion-embed-lstm.h5'), '--input', tokens);
  assert.equal(r.code, 2);
  oneLineError(r.stderr, /Token 100 at sample 0, t = 17 is outside the vocabulary of the Embedding "embedding_1" \(size 100/);
});

test('exit 3: a layer or model that cannot be computed is named; exit 4: not a Keras model', () => {
  let r = run(model('attention-merge-lambda.h5'), '--fill', 'random:1');
  assert.equal(r.code, 3);
  oneLineError(r.stderr, /stopped at layer \d+: The Lambda layer "dim_reduction" holds Python code/);
  r = run(model('malicious-custom-model.keras'), '--fill', 'zeros');
  assert.equal(r.code, 3);
  oneLineError(r.stderr, /custom class/);
  for (const [file, pattern] of [
    ['lfs-pointer.h5', /Git LFS pointer/],
    ['truncated-2byte.h5', /only 2 bytes long/],
    ['xgboost-not-hdf5.h5', /neither HDF5 nor a \.keras zip/],
  ] as const) {
    r = run(model(file), '--fill', 'zeros');
    assert.equal(r.code, 4, file);
    oneLineError(r.stderr, pattern);
  }
});

test('--debug adds the stack trace', () => {
  const r = run(model('lfs-pointer.h5'), '--fill', 'zeros', '--debug');
  assert.equal(r.code, 4);
  assert.match(r.stderr, /^\s+at /m);
});

test('--help prints the forward usage', () => {
  const r = run('--help');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /--window LEN\[@START\]/);
});

test('a weights-only file runs with --config; a missing architecture file is named', () => {
  const id = 'patalt-simplernn-weights';
  const config = model(`${id}.config.json`);
  const r = run(model(`${id}.h5`), '--config', config, '--input', path.join(shared, 'models/inputs', `${id}.json`), '--json', '--no-trace');
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  const expected = JSON.parse(readFileSync(path.join(shared, 'models/expected', `${id}.json`), 'utf8'));
  assertClose(flat(json.output), flat(expected.output), 1e-5, 1e-5, 'output');
  assert.equal(json.trace, undefined, '--no-trace leaves the trace out');
  const bad = run(model(`${id}.h5`), '--config', path.join(tmp, 'nope.json'), '--fill', 'zeros');
  assert.equal(bad.code, 2);
  oneLineError(bad.stderr, /nope\.json does not exist/);
});

test('--memory-limit: a fill past the limit is refused with the estimate before it is built; --no-trace fits in less', () => {
  const start = process.hrtime.bigint();
  const big = run(model('sunspot-rnn.h5'), '--fill', 'ramp', '--T', '300000000');
  assert.equal(big.code, 2, big.stderr);
  oneLineError(big.stderr, /would need about [\d.]+ GB .* over the 256\.0 MB memory limit; choose a shorter T/);
  assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 10_000, 'refused before any allocation');
  // Golden b with T = 10: 1 MB holds outputs and trace; a limit of 1 MB with --no-trace still runs.
  const small = run(golden('b_simplernn5_tanh.h5'), '--fill', 'ramp', '--memory-limit', '1', '--json', '--no-trace');
  assert.equal(small.code, 0, small.stderr);
  assert.equal(JSON.parse(small.stdout).trace, undefined);
  oneLineError(run(golden('b_simplernn5_tanh.h5'), '--fill', 'ramp', '--memory-limit', '0').stderr, /--memory-limit needs a positive whole number/);
});
