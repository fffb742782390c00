// "They're equal": parsing what Keras printed (text and .npy), the verdict in float32 ulps against real runs of the
// golden models, the conventions read from real files' configs, and hostile input answered in one sentence.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadModel } from '../../extension/keras/documentNode';
import { runForward } from '../../extension/keras/forward';
import { parseInputText, prepareInputs } from '../../extension/keras/inputs';
import {
  COMPARE_LIMITS, CompareInputError, chooseOutput, compareArrays, conventionsInPlay, likelyCauses, parseNpy, parsePrinted, ulp32,
} from '../../extension/keras/compare';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const goldenDir = path.resolve(repoRoot, '../shared/golden');
const modelsDir = path.resolve(repoRoot, '../shared/models/files');

async function goldenRun(stem: string, ext = '.keras') {
  const doc = await loadModel(path.join(goldenDir, stem + ext));
  const input = parseInputText(readFileSync(path.join(goldenDir, `${stem}.input.json`), 'utf8'));
  const result = await runForward(doc, prepareInputs(doc, input).tensors);
  return { doc, output: result.outputs[0], result };
}

/** One sentence, no stack, no newline: how every refusal must read. */
function refuses(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof CompareInputError, `not a CompareInputError: ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n') && e.message.length <= 400, e.message);
    return true;
  });
}

test('parsePrinted reads the forms Keras, NumPy and TensorFlow print', () => {
  const a = parsePrinted('array([[-3.068111]], dtype=float32)');
  assert.deepEqual(a.shape, [1, 1]);
  assert.deepEqual([...a.data], [-3.068111]);
  assert.equal(a.dtype, 'float32');
  const b = parsePrinted('[[-1.3271614  -0.02186675]]');
  assert.deepEqual(b.shape, [1, 2]);
  assert.deepEqual([...b.data], [-1.3271614, -0.02186675]);
  assert.equal(b.dtype, null);
  const multi = parsePrinted('array([[ 1.5e-01, -2.0e+00,  3.25    ],\n       [ 4.      ,  nan    , -inf    ]], dtype=float32)');
  assert.deepEqual(multi.shape, [2, 3]);
  assert.deepEqual([...multi.data].slice(0, 4), [0.15, -2, 3.25, 4]);
  assert.ok(Number.isNaN(multi.data[4]));
  assert.equal(multi.data[5], -Infinity);
  const tf = parsePrinted('tf.Tensor([[-1.3271614  -0.02186675]], shape=(1, 2), dtype=float32)');
  assert.deepEqual(tf.shape, [1, 2]);
  assert.deepEqual([...tf.data], [-1.3271614, -0.02186675]);
  const eager = parsePrinted('<tf.Tensor: shape=(1, 1), dtype=float32, numpy=array([[0.5746256]], dtype=float32)>');
  assert.deepEqual([...eager.data], [0.5746256]);
  const lists = parsePrinted('[[[1, 2], [3, 4]], [[5, 6], [7, 8]]]');
  assert.deepEqual(lists.shape, [2, 2, 2]);
  assert.deepEqual([...lists.data], [1, 2, 3, 4, 5, 6, 7, 8]);
  const scalar = parsePrinted('tf.Tensor(-3.068111, shape=(), dtype=float32)');
  assert.deepEqual(scalar.shape, []);
  assert.deepEqual([...scalar.data], [-3.068111]);
  // 7 printed digits pin a float32 down; 4 do not, and widen that element's tolerance to half a unit of the last digit.
  assert.deepEqual([...b.printRes], [0, 0]);
  const short = parsePrinted('[-1.327, 0.5]');
  assert.ok(Math.abs(short.printRes[0] - 5e-4) < 1e-12, String(short.printRes[0]));
  assert.equal(short.printRes[1], 0);
});

test('parsePrinted refuses elided, ragged, foreign and oversized text in one sentence', () => {
  refuses(() => parsePrinted('array([[ 0.1,  0.2, ...,  0.9,  1.0]], dtype=float32)'), /np\.set_printoptions\(threshold=np\.inf\)/);
  refuses(() => parsePrinted('[[0.1 0.2 … 0.9]]'), /threshold=np\.inf/);
  refuses(() => parsePrinted('[[1, 2], [3]]'), /ragged/);
  refuses(() => parsePrinted('[[1, 2], 3]'), /mixes numbers and lists/);
  refuses(() => parsePrinted('[__import__("os")]'), /where a number should be/);
  refuses(() => parsePrinted('[array([[1.]]), array([[2.]])]'), /"array" where a number should be/);
  refuses(() => parsePrinted('[[1.0]] [[2.0]]'), /more than one array/);
  refuses(() => parsePrinted('[[1.0]'), /never closed/);
  refuses(() => parsePrinted('[]'), /empty list/);
  refuses(() => parsePrinted('hello'), /no numbers/);
  refuses(() => parsePrinted('1 2'), /not one array/);
  refuses(() => parsePrinted('['.repeat(20) + '1' + ']'.repeat(20)), /nested more than 8/);
  refuses(() => parsePrinted('1'.repeat(COMPARE_LIMITS.maxTextChars + 1)), /over the 4,000,000 limit/);
  refuses(() => parsePrinted(`[${'0 '.repeat(COMPARE_LIMITS.maxNumbers + 1)}]`), /more than 1,000,000 numbers/);
  refuses(() => parsePrinted('[1.5.5]'), /where a number should end/);
});

/** A .npy file written by hand: magic, version 1, a header padded to 64 bytes, then the values. */
function npy(header: string, body: Uint8Array, major = 1): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  let h = header;
  while ((pre + h.length + 1) % 64 !== 0) h += ' ';
  h += '\n';
  const out = new Uint8Array(pre + h.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  for (let i = 0; i < h.length; i++) out[pre + i] = h.charCodeAt(i);
  out.set(body, pre + h.length);
  return out;
}
const f32 = (xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);

test('parseNpy reads little-endian float32 and float64 in C order, formats 1 and 2', () => {
  const a = parseNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", f32([-1.3271614, -0.02186675])), 'y.npy');
  assert.deepEqual(a.shape, [1, 2]);
  assert.deepEqual([...a.data], [Math.fround(-1.3271614), Math.fround(-0.02186675)]);
  assert.equal(a.dtype, 'float32');
  const b = parseNpy(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", new Uint8Array(Float64Array.of(1, 2.5, -3).buffer), 2));
  assert.deepEqual(b.shape, [3]);
  assert.deepEqual([...b.data], [1, 2.5, -3]);
});

test('parseNpy reads a file NumPy itself saved (python3 with numpy)', (t) => {
  let dir: string | undefined;
  try {
    dir = mkdtempSync(path.join(tmpdir(), 'kri-npy-'));
    const file = path.join(dir, 'y.npy');
    try {
      execFileSync('python3', ['-c', `import numpy as np; np.save(${JSON.stringify(file)}, np.array([[-3.068111], [0.5746256]], dtype=np.float32))`], { stdio: 'pipe' });
    } catch {
      t.skip('python3 with numpy is not available here, so no file NumPy wrote can be read');
      return;
    }
    const a = parseNpy(new Uint8Array(readFileSync(file)), 'y.npy');
    assert.deepEqual(a.shape, [2, 1]);
    assert.deepEqual([...a.data], [Math.fround(-3.068111), Math.fround(0.5746256)]);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

test('parseNpy refuses Fortran order, objects, other dtypes, lying shapes and bad headers in one sentence', () => {
  const hdr = (descr: string, fortran: string, shape: string) => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
  refuses(() => parseNpy(npy(hdr('<f4', 'True', '(2, 2)'), f32([1, 2, 3, 4]))), /Fortran order.*np\.ascontiguousarray/);
  refuses(() => parseNpy(npy(hdr('|O', 'False', '(2,)'), new Uint8Array(16))), /Python objects \(dtype=object\)/);
  refuses(() => parseNpy(npy(hdr('>f4', 'False', '(1,)'), f32([1]))), />f4 values; save little-endian float32 or float64/);
  refuses(() => parseNpy(npy(hdr('<i8', 'False', '(1,)'), new Uint8Array(8))), /<i8 values/);
  // The shape claims far more numbers than follow: refused before any allocation.
  refuses(() => parseNpy(npy(hdr('<f4', 'False', '(100000, 100000)'), f32([1]))), /holds 10,000,000,000 numbers, more than 1,000,000/);
  refuses(() => parseNpy(npy(hdr('<f4', 'False', '(10, 10)'), f32([1, 2]))), /cut short: its shape \(10, 10\) needs 400 bytes of values, but 8 follow/);
  refuses(() => parseNpy(npy(hdr('<f4', 'False', '(-1,)'), f32([1]))), /shape entry "-1" that is not a whole number/);
  refuses(() => parseNpy(npy("{'descr': '<f4'}", f32([1]))), /without descr, fortran_order and shape/);
  refuses(() => parseNpy(new TextEncoder().encode('x,y\n1,2\n')), /not a \.npy file/);
  refuses(() => parseNpy(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 0, 0, 0])), /\.npz archive/);
  const lying = npy(hdr('<f4', 'False', '(1,)'), f32([1]));
  new DataView(lying.buffer).setUint16(8, 60_000, true);
  refuses(() => parseNpy(lying), /header of 60,000 bytes that does not fit/);
  refuses(() => parseNpy(new Uint8Array(COMPARE_LIMITS.maxNpyBytes + 1)), /over the .*-byte limit/);
});

test('ulp32 is the spacing of float32 values at a magnitude', () => {
  assert.equal(ulp32(1), 2 ** -23);
  assert.equal(ulp32(1.9999), 2 ** -23);
  assert.equal(ulp32(2), 2 ** -22);
  assert.equal(ulp32(-3.068111), 2 ** -22);
  assert.equal(ulp32(0.02186675), 2 ** -29);
  assert.equal(ulp32(0), 2 ** -149);
  // Math.fround(1 + ulp) is the next float32 after 1.
  assert.equal(Math.fround(1 + ulp32(1)), 1 + 2 ** -23);
});

test('golden a: the printed Keras output equals the run; a changed digit does not, and the cause is float32-sized', async () => {
  const { doc, output, result } = await goldenRun('a_simplernn2_linear');
  const conv = conventionsInPlay(doc);
  const eq = compareArrays(parsePrinted('array([[-3.068111]], dtype=float32)'), output);
  assert.equal(eq.equal, true, `max |diff| ${eq.maxAbs}, ${eq.maxUlps} ulps`);
  assert.equal(eq.verdict, 'equal within float32 rounding');
  assert.match(eq.toleranceNote, /16 float32 ulps at the largest magnitude, \|y\| ≤ 3\.068: one ulp there is 2\.38e-7, so ±3\.81e-6/);
  assert.deepEqual(likelyCauses(eq, conv, { maskedLayers: [] }), []);
  // 2e-5 off: about 84 ulps at 3.07, beyond 16, below the thousands a different formula gives.
  const off = compareArrays(parsePrinted('array([[-3.068131]], dtype=float32)'), output);
  assert.equal(off.equal, false);
  assert.equal(off.verdict, 'different');
  assert.ok(off.maxUlps > 60 && off.maxUlps < 100, String(off.maxUlps));
  const causes = likelyCauses(off, conv, { maskedLayers: [] });
  assert.match(causes[0], /^float32 rounding/);
  const far = compareArrays(parsePrinted('[[-2.5]]'), output);
  assert.equal(far.equal, false);
  assert.match(likelyCauses(far, conv, { maskedLayers: [] })[0], /None of this model's conventions explains/);
  assert.equal(result.outputs.length, 1);
});

test('golden b: [[-1.3271614 -0.02186675]] equals the run in all three layouts; the diff is per element', async () => {
  for (const ext of ['.keras', '.h5', '.k3.h5']) {
    const { output } = await goldenRun('b_simplernn5_tanh', ext);
    const cmp = compareArrays(parsePrinted('[[-1.3271614  -0.02186675]]'), output);
    assert.equal(cmp.equal, true, `${ext}: max ${cmp.maxUlps} ulps`);
    assert.equal(cmp.diff.length, 2);
    assert.ok(Math.abs(cmp.diff[1] - (output.data[1] - -0.02186675)) < 1e-15);
    // A flat paste of the same numbers compares too (shapes differ only by an axis of length 1).
    assert.equal(compareArrays(parsePrinted('[-1.3271614, -0.02186675]'), output).equal, true);
  }
  const { output } = await goldenRun('b_simplernn5_tanh');
  refuses(() => compareArrays(parsePrinted('[[1, 2, 3]]'), output), /Keras printed 3 numbers \(shape \(1, 3\)\) but this output holds 2/);
  refuses(() => compareArrays(parsePrinted('[[1, 2], [3, 4]]'), { shape: [1, 4], data: [1, 2, 3, 4] }), /printed shape \(2, 2\) but this output has shape \(1, 4\)/);
});

test('chooseOutput picks by name, by the only output, or by the one the size fits', () => {
  const outs = [{ name: 'dense', shape: [1, 2] }, { name: 'lstm state h', shape: [1, 8] }];
  const two = parsePrinted('[[1, 2]]');
  assert.deepEqual(chooseOutput(two, outs), { index: 0, name: 'dense' });
  assert.deepEqual(chooseOutput(parsePrinted(`[${'0 '.repeat(8)}]`), outs), { index: 1, name: 'lstm state h' });
  assert.deepEqual(chooseOutput(two, outs, 'lstm state h'), { index: 1, name: 'lstm state h' });
  refuses(() => chooseOutput(two, outs, 'nope'), /no output named "nope"/);
  refuses(() => chooseOutput(parsePrinted('[1, 2, 3]'), outs), /None of the model's 2 outputs holds 3 numbers/);
  refuses(() => chooseOutput(two, [...outs, { name: 'other', shape: [2] }]), /2 of the model's outputs hold 2 numbers; choose/);
});

test('conventions in play come from each recurrent layer\'s config: golden b has none but float32', async () => {
  const doc = await loadModel(path.join(goldenDir, 'b_simplernn5_tanh.keras'));
  const conv = conventionsInPlay(doc);
  assert.equal(conv.kerasMajor, 3);
  assert.deepEqual(conv.layers.map((l) => [l.layer, l.title, l.conventions.length]), [['simple_rnn', 'SimpleRNN', 0]]);
  assert.deepEqual(conv.model.map((c) => c.key), ['float32']);
});

test('conventions in play on real models: GRU reset_after, hard_sigmoid, masking and dropout from their configs', async (t) => {
  const expected: [string, string, RegExp][] = [
    ['mt-gru-timedist.h5', 'reset_after', /^reset_after = False: the reset gate multiplies h before/],
    ['stock-gru-functional.h5', 'reset_after', /^reset_after = (True|False)/],
    ['attention-merge-lambda.h5', 'hard_sigmoid', /^recurrent_activation = hard_sigmoid, computed as Keras 2 does: clip\(0\.2·x \+ 0\.5, 0, 1\)/],
    ['fatigue-masking-lstm.keras', 'mask', /^Masking: a time step whose features all equal the mask value/],
    ['emotion-embed-lstm.h5', 'dropout', /^dropout = 0\.2, recurrent_dropout = 0\.2: applied only in training/],
  ];
  for (const [file, key, text] of expected) {
    const full = path.join(modelsDir, file);
    try {
      readFileSync(full, { flag: 'r' }).subarray(0, 1);
    } catch {
      t.diagnostic(`skipped ${file}: not in ${modelsDir}`);
      continue;
    }
    const conv = conventionsInPlay(await loadModel(full));
    const found = [...conv.model, ...conv.layers.flatMap((l) => l.conventions)].filter((c) => c.key === key);
    assert.ok(found.length > 0, `${file}: no ${key} convention`);
    assert.match(found[0].text, text, file);
  }
  // A Bidirectional's backward layer reads backwards by construction: not listed as a convention of its own.
  const bi = path.join(modelsDir, 'seizure-conv1d-bilstm-k1.h5');
  const conv = conventionsInPlay(await loadModel(bi));
  assert.ok(conv.layers.some((l) => / \(backward\)$/.test(l.layer)), conv.layers.map((l) => l.layer).join(', '));
  assert.ok(!conv.layers.some((l) => l.conventions.some((c) => c.key === 'go_backwards')));
});

test('a stateful layer is listed, and a difference names its carried state and the run\'s own start', async () => {
  const doc = await loadModel(path.join(goldenDir, 'b_simplernn5_tanh.keras'));
  const rnn = doc.root.layers.find((l) => l.name === 'simple_rnn')!;
  rnn.config = { ...rnn.config, stateful: true };
  const conv = conventionsInPlay(doc);
  assert.match(conv.layers[0].conventions.map((c) => c.text).join(' '), /stateful = True: each predict starts from the state the previous one ended with/);
  const cmp = compareArrays(parsePrinted('[[1.0, 2.0]]'), { shape: [1, 2], data: [-1.3271614, -0.02186675] });
  const causes = likelyCauses(cmp, conv, { maskedLayers: [], startedFrom: 'run 1' });
  assert.ok(causes.some((c) => /is stateful: Keras's predict continued/.test(c)), causes.join(' | '));
  assert.ok(causes.some((c) => /continued the stateful layers from run 1/.test(c)), causes.join(' | '));
  // A masked step in the run is named even when no config declared a mask.
  assert.ok(likelyCauses(cmp, conventionsInPlay(await loadModel(path.join(goldenDir, 'a_simplernn2_linear.keras'))), { maskedLayers: ['lstm'] }).some((c) => /^a masked step: lstm skipped/.test(c)));
});

test('hard_sigmoid and dropout in a config are listed with the Keras version the run follows', async () => {
  // Golden c's file, its config edited in memory only: the recurrent layer gets hard_sigmoid and dropout.
  const doc = await loadModel(path.join(goldenDir, 'c_simplernn1_tanh.h5'));
  const rnn = doc.root.layers.find((l) => l.config.units === 1 && 'recurrent_dropout' in l.config)!;
  assert.ok(rnn, 'golden c has a recurrent layer with units = 1');
  rnn.config = { ...rnn.config, activation: 'hard_sigmoid', dropout: 0.25, recurrent_dropout: 0 };
  const conv = conventionsInPlay(doc);
  const list = conv.layers[0].conventions;
  assert.deepEqual(list.map((c) => c.key), ['hard_sigmoid', 'dropout']);
  assert.match(list[0].text, new RegExp(`Keras ${doc.kerasMajor} does: clip\\(${doc.kerasMajor === 3 ? 'x/6' : '0\\.2·x'} \\+ 0\\.5, 0, 1\\)`));
  assert.match(list[1].text, /^dropout = 0\.25: applied only in training/);
  const causes = likelyCauses(compareArrays(parsePrinted('[[0.9]]'), { shape: [1, 1], data: [0.5746256] }), conv, { maskedLayers: [] });
  assert.ok(causes.some((c) => /Keras 2 computes as clip\(0\.2·x \+ 0\.5, 0, 1\) and Keras 3 as clip\(x\/6 \+ 0\.5, 0, 1\)/.test(c)));
  assert.ok(causes.some((c) => /only in training/.test(c)));
});
