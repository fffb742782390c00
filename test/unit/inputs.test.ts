// Input parsing and validation: JSON, NumPy text, CSV (the real sunspots file), .npy written by real NumPy,
// fills, and every validation message in N/T/D terms.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError } from '../../extension/keras/errors';
import { NO_NUMPY_REASON, PYTHON_WITH_NUMPY } from './helpers/python';
import {
  fillArray,
  fillInputs,
  inputSpecs,
  mulberry32,
  parseCsv,
  parseInputText,
  parseNpy,
  parseNumpyText,
  parseWindow,
  prepareInputs,
  type RawArray,
} from '../../extension/keras/inputs';
import { parseInputBytes, readInputFile } from '../../extension/keras/inputFilesNode';
import { layerNode } from './helpers/layerNode';
import { callOf, functionalDoc, sequentialDoc } from './helpers/modelDoc';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const shared = path.resolve(repoRoot, '../shared');
const sunspots = path.join(shared, 'models/files/sunspots-data.csv');

const rnnDoc = (shape: (number | null)[]) => sequentialDoc(shape, [layerNode('SimpleRNN', { units: 2 }, { name: 'rnn' })]);
const embedDoc = (V: number, maskZero = false, T: number | null = 5) =>
  sequentialDoc([null, T], [layerNode('Embedding', { input_dim: V, output_dim: 4, mask_zero: maskZero }, { name: 'emb' })]);

function inputError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one sentence, one line');
    return true;
  });
}

test('JSON: the array, {"inputs": ...}, and NaN written as a string', () => {
  const a = parseInputText('[[[1],[2],[3]]]') as RawArray;
  assert.deepEqual(a.shape, [1, 3, 1]);
  assert.deepEqual([...a.data], [1, 2, 3]);
  const b = parseInputText('{"inputs": [[[1.5, 2], [3, 4]]], "seed": 7}') as RawArray;
  assert.deepEqual(b.shape, [1, 2, 2]);
  assert.deepEqual([...b.data], [1.5, 2, 3, 4]);
  const c = parseInputText('[[1, "NaN"]]') as RawArray;
  assert.ok(Number.isNaN(c.data[1]));
});

test('JSON: non-numbers and ragged arrays are named by position', () => {
  inputError(() => parseInputText('[[[1], ["x"], [3]]]'), /"x" at position \[0, 1, 0\], which is not a number/);
  inputError(() => parseInputText('[[[1, 2], [3]]]'), /not rectangular: position \[0, 1\] has 1 entries/);
  inputError(() => parseInputText('[[[1, null]]]'), /null at position \[0, 0, 1\]/);
  inputError(() => parseInputText('   '), /empty/);
});

test('NumPy-style text: np.array with dtype, array(...), and printed arrays without commas', () => {
  const a = parseNumpyText('np.array([[1, 2], [3, 4]], dtype=np.float32)');
  assert.deepEqual(a.shape, [2, 2]);
  assert.deepEqual([...a.data], [1, 2, 3, 4]);
  const b = parseInputText('array([[ 1.5e-1, -2. ],\n       [ 3.  ,  .25]])') as RawArray;
  assert.deepEqual(b.shape, [2, 2]);
  assert.deepEqual([...b.data], [0.15, -2, 3, 0.25]);
  const c = parseInputText('[[1. 2. 3.]\n [4. 5. 6.]]') as RawArray;
  assert.deepEqual(c.shape, [2, 3]);
  assert.deepEqual([...c.data], [1, 2, 3, 4, 5, 6]);
  const d = parseInputText('numpy.array([[3, 7, 0]], dtype="int64")') as RawArray;
  assert.equal(d.integer, true);
  const e = parseInputText('[[nan, inf, -inf]]') as RawArray;
  assert.ok(Number.isNaN(e.data[0]) && e.data[1] === Infinity && e.data[2] === -Infinity);
  inputError(() => parseInputText('[[1, 2], [3, oops]]'), /"oops" at position \[1, 1\]/);
  const f = parseInputText('np.array([np.nan, 1, -np.inf])') as RawArray;
  assert.ok(Number.isNaN(f.data[0]) && f.data[2] === -Infinity);
  inputError(() => parseInputText('hello'), /neither JSON nor a NumPy array/);
});

test('CSV: the real sunspots file (semicolon, no header) with --column and --window', () => {
  const text = readFileSync(sunspots, 'utf8');
  // First data rows as printed in the file: "1700.5;   8.3; ...", "1701.5;  18.3; ..."
  const all = parseCsv(text);
  assert.equal(all.array.shape[1], 5);
  assert.equal(all.array.data[0], 1700.5);
  const { array, notes } = parseCsv(text, { column: 1, window: { length: 12, start: 0 } });
  assert.deepEqual(array.shape, [12, 1]);
  assert.deepEqual([...array.data.slice(0, 5)], [8.3, 18.3, 26.7, 38.3, 60.0]);
  assert.match(notes[0], /rows 0\.\.11/);
  const last = parseCsv(text, { column: '1', window: parseWindow('3@-3') });
  const rows = text.trim().split('\n');
  const expectLast = rows.slice(-3).map((r) => Number(r.split(';')[1]));
  assert.deepEqual([...last.array.data], expectLast);
  inputError(() => parseCsv(text, { column: 9 }), /no column 9; choose one of indexes 0\.\.4/);
  inputError(() => parseCsv(text, { window: { length: 100000 } }), /does not fit in the CSV's \d+ data rows/);
  inputError(() => parseWindow('abc'), /LEN or LEN@START/);
});

test('CSV: comma, tab and whitespace delimiters, headers, names and bad cells', () => {
  const comma = parseCsv('time,a,b\n0,1,2\n1,3,4\n', { column: ['a', 'b'] });
  assert.deepEqual(comma.columns, ['a', 'b']);
  assert.deepEqual([...comma.array.data], [1, 2, 3, 4]);
  const tab = parseCsv('1\t2\n3\t4\n');
  assert.deepEqual(tab.array.shape, [2, 2]);
  const ws = parseCsv('  1   2\n 3 4\n');
  assert.deepEqual([...ws.array.data], [1, 2, 3, 4]);
  inputError(() => parseCsv('a,b\n1,2\n3,x\n'), /row 3, column "b" holds "x", which is not a number/);
  inputError(() => parseCsv('1,2\n3\n'), /row 2 has 1 columns but the first row has 2/);
  inputError(() => parseCsv('a,b\n1,2\n', { column: 'c' }), /no column "c"; choose one of columns "a", "b"/);
});

test('CSV series feeds a model with D = 1 as one sample, and a wrong D says to pick a column', () => {
  const text = readFileSync(sunspots, 'utf8');
  const doc = rnnDoc([null, null, 1]);
  const one = parseCsv(text, { column: 1, window: { length: 12 } });
  const prepared = prepareInputs(doc, one.array);
  assert.deepEqual(prepared.tensors[0].shape, [1, 12, 1]);
  assert.match(prepared.notes[0], /single sample .*N = 1/);
  const five = parseCsv(text, { window: { length: 12 } });
  inputError(() => prepareInputs(doc, five.array), /expected N×T×D = \?×\?×1, got 1×12×5 \(for a CSV, pick the feature columns with --column\)/);
});

test('.npy written by real NumPy: versions 1-3, both byte orders, Fortran order, ints; object arrays refused', (t) => {
  if (!PYTHON_WITH_NUMPY) {
    t.skip(`${NO_NUMPY_REASON}; .npy fixtures are written by NumPy itself`);
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'npy-'));
  const script = `
import numpy as np, sys
d = sys.argv[1]
a = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 8.0 - 1.0
np.save(d + '/f8.npy', a)
np.save(d + '/f4be.npy', a.astype('>f4'))
np.save(d + '/fortran.npy', np.asfortranarray(a.astype('<f4')))
np.save(d + '/i8.npy', np.arange(6, dtype=np.int64).reshape(2, 3))
np.save(d + '/u1.npy', np.arange(6, dtype=np.uint8).reshape(2, 3))
np.save(d + '/i4be.npy', np.arange(6).astype('>i4').reshape(2, 3))
with open(d + '/v2.npy', 'wb') as f: np.lib.format.write_array(f, a, version=(2, 0))
with open(d + '/v3.npy', 'wb') as f: np.lib.format.write_array(f, a, version=(3, 0))
np.save(d + '/obj.npy', np.array([{'a': 1}], dtype=object), allow_pickle=True)
`;
  const run = spawnSync(PYTHON_WITH_NUMPY!, ['-c', script, dir], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const expected = Array.from({ length: 24 }, (_, i) => i / 8 - 1);
  for (const name of ['f8', 'f4be', 'fortran', 'v2', 'v3']) {
    const arr = parseNpy(readFileSync(path.join(dir, `${name}.npy`)));
    assert.deepEqual(arr.shape, [2, 3, 4], name);
    assert.deepEqual([...arr.data], expected, name);
  }
  for (const name of ['i8', 'u1', 'i4be']) {
    const arr = parseNpy(readFileSync(path.join(dir, `${name}.npy`)));
    assert.deepEqual(arr.shape, [2, 3], name);
    assert.deepEqual([...arr.data], [0, 1, 2, 3, 4, 5], name);
    assert.equal(arr.integer, true);
  }
  inputError(() => parseNpy(readFileSync(path.join(dir, 'obj.npy'))), /never unpickles/);
  inputError(() => parseNpy(readFileSync(path.join(dir, 'f8.npy')).subarray(0, 100)), /truncated/);
});

test('readInputFile: JSON, CSV and .npy by content and extension; missing file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'inp-'));
  writeFileSync(path.join(dir, 'x.json'), '{"inputs": [[[1], [2], [3]]]}');
  const j = await readInputFile(path.join(dir, 'x.json'));
  assert.equal(j.kind, 'json');
  const c = await readInputFile(sunspots, { column: 1, window: { length: 4, start: 2 } });
  assert.equal(c.kind, 'csv');
  assert.deepEqual([...(c.raw as RawArray).data], [26.7, 38.3, 60.0, 96.7]);
  await assert.rejects(readInputFile(path.join(dir, 'nope.json')), /does not exist/);
  await assert.rejects(readInputFile(path.join(dir, 'w.npz')), /does not exist|never loaded/);
  writeFileSync(path.join(dir, 'w.npz'), 'PK\u0003\u0004');
  await assert.rejects(readInputFile(path.join(dir, 'w.npz')), /never loaded/);
});

test('shape validation speaks N/T/D: rank, size, single sample, single series, free T, fixed N', () => {
  const doc = rnnDoc([null, 10, 3]);
  const good = fillArray('zeros', [2, 10, 3]);
  assert.deepEqual(prepareInputs(doc, good).tensors[0].shape, [2, 10, 3]);
  // A T other than the declared one runs where every layer allows it, with a note naming the declared T (as tf.keras warns).
  assert.match(prepareInputs(doc, fillArray('zeros', [2, 9, 3])).notes.join(' '), /built for T = 10 time steps; the input has 9/);
  inputError(() => prepareInputs(doc, fillArray('zeros', [2, 10, 4])), /wrong size: expected N×T×D = \?×10×3, got 2×10×4/);
  inputError(() => prepareInputs(doc, fillArray('zeros', [2, 10, 3, 1])), /wrong rank: expected N×T×D = \?×10×3, got 2×10×3×1/);
  const single = prepareInputs(doc, fillArray('zeros', [10, 3]));
  assert.deepEqual(single.tensors[0].shape, [1, 10, 3]);
  assert.match(single.notes[0], /single sample \(T×D = 10×3\), so N = 1/);
  // x = [1, 2, 3] for a model with D = 1, as the notebooks write it.
  const series = prepareInputs(rnnDoc([null, 3, 1]), parseInputText('[1, 2, 3]'));
  assert.deepEqual(series.tensors[0].shape, [1, 3, 1]);
  assert.deepEqual([...series.tensors[0].data], [1, 2, 3]);
  assert.match(series.notes[0], /single series of T = 3 values with D = 1/);
  // A flat list is ambiguous when D > 1.
  inputError(() => prepareInputs(doc, parseInputText('[1, 2, 3]')), /wrong rank: expected N×T×D = \?×10×3, got 3/);
  // Free T: any T is fine; a chosen T must agree.
  const free = rnnDoc([null, null, 1]);
  assert.deepEqual(prepareInputs(free, fillArray('zeros', [1, 7, 1])).tensors[0].shape, [1, 7, 1]);
  inputError(() => prepareInputs(free, fillArray('zeros', [1, 7, 1]), { T: 5 }), /has 7 time steps but T = 5 was chosen: expected N×T×D = \?×5×1, got 1×7×1/);
  inputError(() => prepareInputs(doc, fillArray('zeros', [1, 10, 3]), { T: 12 }), /has 10 time steps but T = 12 was chosen/);
  // A fixed batch size (an InputLayer with batch_shape [32, 100]).
  const fixed = embedDoc(50, false, 100);
  fixed.root.inputs[0].shape = [32, 100];
  inputError(() => prepareInputs(fixed, fillArray('zeros', [2, 100])), /fixes the batch size N = 32 .* but the input has 2 samples: give exactly 32/);
});

test('NaN and Infinity are refused with their position', () => {
  const doc = rnnDoc([null, 3, 2]);
  const a = fillArray('zeros', [1, 3, 2]);
  a.data[3] = NaN;
  inputError(() => prepareInputs(doc, a), /holds NaN at sample 0, t = 2, feature 1; replace it/);
  a.data[3] = 0;
  a.data[4] = -Infinity;
  inputError(() => prepareInputs(doc, a), /holds -Infinity at sample 0, t = 3, feature 0/);
});

test('Embedding inputs: tokens must be whole numbers inside the vocabulary', () => {
  const doc = embedDoc(10);
  assert.deepEqual(inputSpecs(doc)[0].embedding, { layer: 'emb', className: 'Embedding', vocabulary: 10, maskZero: false });
  const ok = prepareInputs(doc, parseInputText('[[1, 2, 3, 4, 9]]'));
  assert.deepEqual(ok.tensors[0].shape, [1, 5]);
  inputError(() => prepareInputs(doc, parseInputText('[[1, 2, 10, 4, 0]]')), /Token 10 at sample 0, t = 3 is outside the vocabulary of the Embedding "emb" \(size 10, tokens 0\.\.9\)/);
  inputError(() => prepareInputs(doc, parseInputText('[[1, -1, 3, 4, 0]]')), /Token -1 at sample 0, t = 2/);
  inputError(() => prepareInputs(doc, parseInputText('[[1, 2.5, 3, 4, 0]]')), /whole-number tokens, but has 2\.5 at sample 0, t = 2/);
  // A single sequence of T tokens reads as N = 1.
  assert.deepEqual(prepareInputs(doc, parseInputText('[1, 2, 3, 4, 5]')).tensors[0].shape, [1, 5]);
  // Old Sequential models without an InputLayer: the Embedding is the first layer.
  const old = embedDoc(10);
  old.root.layers = old.root.layers.filter((l) => l.className !== 'InputLayer');
  old.root.inputRefs = [{ layer: 'emb', node: 0, tensor: 0 }];
  assert.equal(inputSpecs(old)[0].embedding?.vocabulary, 10);
});

test('several inputs: a list in model order or a map by name', () => {
  const doc = functionalDoc(
    { a: [null, 4, 2], b: [null, 4, 3] },
    [layerNode('Concatenate', { axis: -1 }, { name: 'cat', calls: callOf('a', 'b') })],
    ['cat'],
  );
  const list = prepareInputs(doc, parseInputText('[[[[1,2],[1,2],[1,2],[1,2]]], [[[1,2,3],[1,2,3],[1,2,3],[1,2,3]]]]'));
  assert.deepEqual(list.tensors.map((x) => x.shape), [[1, 4, 2], [1, 4, 3]]);
  const map = prepareInputs(doc, parseInputText('{"inputs": {"b": [[[1,2,3],[1,2,3],[1,2,3],[1,2,3]]], "a": [[[1,2],[1,2],[1,2],[1,2]]]}}'));
  assert.deepEqual(map.tensors.map((x) => x.shape), [[1, 4, 2], [1, 4, 3]]);
  inputError(() => prepareInputs(doc, parseInputText('{"a": [[[1,2],[1,2],[1,2],[1,2]]]}')), /No array was given for the model's input "b" \(N×T×D = \?×4×3\)/);
  inputError(() => prepareInputs(doc, parseInputText('{"c": [[1]]}')), /no input named "c"; its inputs are "a", "b"/);
  inputError(() => prepareInputs(doc, fillArray('zeros', [3, 4, 2])), /has 2 inputs \(a, b\); give a list of 2 arrays or a map/);
});

test('fills: zeros, the notebook ramp, seeded random (repeatable), tokens in range', () => {
  const r = mulberry32(1);
  const first = r();
  assert.ok(first >= 0 && first < 1);
  assert.equal(mulberry32(1)(), first, 'same seed, same stream');
  assert.notEqual(mulberry32(2)(), first);
  const ramp = fillInputs(rnnDoc([null, 3, 1]), 'ramp');
  assert.deepEqual([...ramp.tensors[0].data], [1, 2, 3]);
  const ramp2 = fillArray('ramp', [2, 2, 3]);
  assert.deepEqual([...ramp2.data], [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
  inputError(() => fillInputs(rnnDoc([null, null, 1]), 'zeros'), /leaves T free .*choose the number of time steps T/);
  const z = fillInputs(rnnDoc([null, null, 2]), 'zeros', { T: 4, N: 3 });
  assert.deepEqual(z.tensors[0].shape, [3, 4, 2]);
  const a = fillInputs(rnnDoc([null, 50, 2]), 'random', { seed: 42 });
  const b = fillInputs(rnnDoc([null, 50, 2]), 'random', { seed: 42 });
  assert.deepEqual([...a.tensors[0].data], [...b.tensors[0].data]);
  const mean = a.tensors[0].data.reduce((s, v) => s + v, 0) / 100;
  assert.ok(Math.abs(mean) < 0.4, `standard normal mean ${mean}`);
  const tokens = fillInputs(embedDoc(7, true, 200), 'random', { seed: 3 });
  const vals = [...tokens.tensors[0].data];
  assert.ok(vals.every((v) => Number.isInteger(v) && v >= 1 && v < 7));
  const rampTokens = fillInputs(embedDoc(4, false, 6), 'ramp');
  assert.deepEqual([...rampTokens.tensors[0].data], [1, 2, 3, 1, 2, 3]);
});

test('--column and --window also cut a T×D series given as JSON or .npy', () => {
  const text = new TextEncoder().encode('[[1, 10], [2, 20], [3, 30], [4, 40]]');
  const cut = parseInputBytes(text, '.json', { column: 1, window: { length: 2, start: -2 } });
  assert.deepEqual((cut.raw as RawArray).shape, [2, 1]);
  assert.deepEqual([...(cut.raw as RawArray).data], [30, 40]);
  assert.match(cut.notes[0], /Rows 2\.\.3 \(of 4\)/);
  inputError(() => parseInputBytes(text, '.json', { column: 2 }), /no column "?2"?; choose an index 0\.\.1/);
  inputError(() => parseInputBytes(new TextEncoder().encode('[[[1]]]'), '.json', { window: { length: 1 } }), /cut a series \(T or T×D\), but the array is 1×1×1/);
});
