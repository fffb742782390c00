// The NumPy export: the script it writes is run with python3 + NumPy and must print what Keras printed (golden)
// and what the independent reference computed (../shared/models/expected), layer by layer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadModel } from '../../extension/keras/documentNode';
import { UnsupportedFeatureError, UnsupportedLayerError } from '../../extension/keras/errors';
import { fromJsonValue, prepareInputs } from '../../extension/keras/inputs';
import { base64, exportNumpy } from '../../extension/keras/numpyExport';
import { runForward } from '../../extension/keras/forward';
import { floatText, npArrayText } from '../../extension/keras/npLiteral';
import { assertClose, layerNode, weightRef } from './helpers/layerNode';
import { sequentialDoc } from './helpers/modelDoc';
import { PYTHON_WITH_NUMPY } from './helpers/python';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const shared = path.resolve(repoRoot, '../shared');
const golden = JSON.parse(readFileSync(path.join(shared, 'golden/golden.json'), 'utf8')) as {
  cases: { id: string; files: string[]; input: number[][][]; keras_output: number[][] }[];
};
const tmp = mkdtempSync(path.join(tmpdir(), 'numpy-export-'));

const hasNumpy = !!PYTHON_WITH_NUMPY;
const NO_NUMPY = 'python3 with NumPy is not installed (apt-get install -y python3-numpy); the export is checked by running it';

interface ScriptResult {
  output: unknown;
  outputShape: number[];
  layers: { name: string; className: string; node: number; outputShape: number[]; output: unknown }[];
}

function runScript(script: string, name: string): ScriptResult {
  const file = path.join(tmp, `${name}.py`);
  writeFileSync(file, script);
  const run = spawnSync(PYTHON_WITH_NUMPY!, [file, '--json', '--layers'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.equal(run.status, 0, `python3 ${file} failed:\n${run.stderr}`);
  return JSON.parse(run.stdout) as ScriptResult;
}

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

test('base64 matches Node for every tail length', () => {
  for (let n = 0; n < 10; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255);
    assert.equal(base64(bytes), Buffer.from(bytes).toString('base64'));
  }
});

test('golden cases: the exported script prints what Keras printed (all three layouts)', async (t) => {
  if (!hasNumpy) return t.skip(NO_NUMPY);
  for (const c of golden.cases) {
    for (const file of c.files) {
      const doc = await loadModel(path.join(shared, 'golden', file));
      const inputs = prepareInputs(doc, fromJsonValue(c.input)).tensors;
      const res = runScript(exportNumpy(doc, inputs, { title: file }), file.replace(/\W/g, '_'));
      assertClose(flat(res.output), flat(c.keras_output), 1e-6, 0, `${file} output`);
      assert.deepEqual(res.outputShape, [1, flat(c.keras_output).length]);
    }
  }
});

test('the script reads like the notebooks: named letters and the per-step equation', async () => {
  const doc = await loadModel(path.join(shared, 'golden/b_simplernn5_tanh.h5'));
  const inputs = prepareInputs(doc, fromJsonValue(golden.cases[1].input)).tensors;
  const script = exportNumpy(doc, inputs);
  assert.match(script, /h_new = act\(x\[:, t\] @ W_x \+ h @ W_h \+ b\)/);
  assert.match(script, /N samples, T time steps, D input features, M hidden units, K outputs/);
  assert.match(script, /kernel D×M = 3×5 \(D = 3, M = 5\)/);
  assert.match(script, /np\.tanh/);
  assert.doesNotMatch(script, /import (tensorflow|keras|torch)/);
});

interface Expected {
  output: unknown;
  output_shape: number[];
  layers?: { name: string; class: string; node_index: number; output_shape: number[]; output: unknown }[];
}

// Every reference model is exported and run: together they cover SimpleRNN, stacked SimpleRNN, LSTM, GRU (reset_after
// false and true), Bidirectional(LSTM) concat, masking, Embedding (with a fixed batch of 32), TimeDistributed(Dense),
// RepeatVector, Conv1D, MaxPooling1D, Dropout-family identities, Flatten and Activation, in every file format.
// Both the script and the reference compute in float64 from the same float32 weights: they agree to ~1e-14 (measured
// 5e-15 at worst), so a bound far tighter than the README's 1e-5 + 1e-5·|ref| still leaves room only for summation order.
const TOL = 1e-9;
const REFERENCE = readdirSync(path.join(shared, 'models/expected'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''))
  .sort();

test('reference models: the exported script matches the independent reference, output and every layer', async (t) => {
  if (!hasNumpy) return t.skip(NO_NUMPY);
  const catalog = JSON.parse(readFileSync(path.join(shared, 'models/catalog.json'), 'utf8')) as { id: string; file: string }[];
  assert.equal(REFERENCE.length, 17);
  for (const id of REFERENCE) {
    await t.test(id, async () => {
      const entry = catalog.find((c) => c.id === id);
      assert.ok(entry, `${id} is in the catalog`);
      const expected = JSON.parse(readFileSync(path.join(shared, 'models/expected', `${id}.json`), 'utf8')) as Expected;
      const input = JSON.parse(readFileSync(path.join(shared, 'models/inputs', `${id}.json`), 'utf8'));
      const doc = await loadModel(path.join(shared, 'models/files', entry.file));
      const tensors = prepareInputs(doc, fromJsonValue(input)).tensors;
      const res = runScript(exportNumpy(doc, tensors, { title: entry.file }), id.replace(/\W/g, '_'));
      assert.deepEqual(res.outputShape, expected.output_shape);
      assertClose(flat(res.output), flat(expected.output), TOL, TOL, `${id} output`);
      for (const layer of expected.layers ?? []) {
        const got = res.layers.find((l) => l.name === layer.name && l.node === layer.node_index);
        assert.ok(got, `${id}: layer ${layer.name} is recorded by the script`);
        assert.deepEqual(got.outputShape, layer.output_shape, `${id}: ${layer.name} shape`);
        assertClose(flat(got.output), flat(layer.output), TOL, TOL, `${id}: ${layer.name}`);
      }
    });
  }
});

test('GRU reset_after=True and False, go_backwards, LSTM masking: hand-derived one-unit cases', (t) => {
  if (!hasNumpy) return t.skip(NO_NUMPY);
  // GRU, one unit, D = 1, reset_after=True. W_x = [wz, wr, wh] = [0.5, -0.5, 1], W_h = [uz, ur, uh] = [0.25, 0.5, -1],
  // b = [[0.1, 0.2, 0.3], [0.0, -0.1, 0.2]], x = [1, 2]. By hand:
  //  t=0, h=0: z = σ(0.5+0.1+0) = σ(0.6), r = σ(-0.5+0.2-0.1) = σ(-0.4), hh = tanh(1+0.3 + r·(0+0.2)), h1 = (1-z)·hh
  //  t=1: inner = h1·[0.25, 0.5, -1] + [0, -0.1, 0.2]; z = σ(1.1 + inner_z), r = σ(-0.8 + inner_r), hh = tanh(2.3 + r·inner_h)
  const s = (v: number) => 1 / (1 + Math.exp(-v));
  const z0 = s(0.6);
  const r0 = s(-0.4);
  const hh0 = Math.tanh(1.3 + r0 * 0.2);
  const h1 = (1 - z0) * hh0;
  const z1 = s(1.1 + h1 * 0.25);
  const r1 = s(-0.8 + h1 * 0.5 - 0.1);
  const hh1 = Math.tanh(2.3 + r1 * (-h1 + 0.2));
  const h2 = z1 * h1 + (1 - z1) * hh1;
  const gruAfter = layerNode('GRU', { units: 1, reset_after: true, activation: 'tanh', recurrent_activation: 'sigmoid' }, {
    name: 'gru',
    weights: [weightRef('kernel', [1, 3], [0.5, -0.5, 1]), weightRef('recurrent_kernel', [1, 3], [0.25, 0.5, -1]), weightRef('bias', [2, 3], [0.1, 0.2, 0.3, 0, -0.1, 0.2])],
  });
  const x = { shape: [1, 2, 1], data: Float64Array.from([1, 2]) };
  const r = runScript(exportNumpy(sequentialDoc([null, 2, 1], [gruAfter]), [x]), 'gru_after');
  assertClose(flat(r.output), [h2], 1e-7, 0, 'GRU reset_after=True');
  // reset_after=False, bias [0.1, 0.2, 0.3]: hh = tanh(x·wh + b_h + (r·h)·uh).
  const a0z = s(0.5 + 0.1);
  const a0r = s(-0.5 + 0.2);
  const a0h = Math.tanh(1 + 0.3);
  const g1 = (1 - a0z) * a0h;
  const a1z = s(1 + 0.1 + g1 * 0.25);
  const a1r = s(-1 + 0.2 + g1 * 0.5);
  const a1h = Math.tanh(2 + 0.3 + a1r * g1 * -1);
  const g2 = a1z * g1 + (1 - a1z) * a1h;
  void a0r;
  const gruBefore = layerNode('GRU', { units: 1, reset_after: false }, {
    name: 'gru',
    weights: [weightRef('kernel', [1, 3], [0.5, -0.5, 1]), weightRef('recurrent_kernel', [1, 3], [0.25, 0.5, -1]), weightRef('bias', [3], [0.1, 0.2, 0.3])],
  });
  const r2 = runScript(exportNumpy(sequentialDoc([null, 2, 1], [gruBefore]), [x]), 'gru_before');
  assertClose(flat(r2.output), [g2], 1e-7, 0, 'GRU reset_after=False');
  // SimpleRNN(1, linear), go_backwards, return_sequences: W_x = 1, W_h = 0.5, b = 0, x = [1, 2, 3].
  // Processing order t = 2, 1, 0: h = 3, 2 + 1.5 = 3.5, 1 + 1.75 = 2.75; the sequence stays in processing order.
  const rnn = layerNode('SimpleRNN', { units: 1, activation: 'linear', go_backwards: true, return_sequences: true }, {
    name: 'rnn',
    weights: [weightRef('kernel', [1, 1], [1]), weightRef('recurrent_kernel', [1, 1], [0.5]), weightRef('bias', [1], [0])],
  });
  const r3 = runScript(exportNumpy(sequentialDoc([null, 3, 1], [rnn]), [{ shape: [1, 3, 1], data: Float64Array.from([1, 2, 3]) }]), 'rnn_back');
  assertClose(flat(r3.output), [3, 3.5, 2.75], 1e-12, 0, 'go_backwards');
  // Masking(0) + SimpleRNN(1, linear, return_sequences): masked step 1 carries h and repeats the previous output.
  const masking = layerNode('Masking', { mask_value: 0 }, { name: 'masking' });
  const rnn2 = layerNode('SimpleRNN', { units: 1, activation: 'linear', return_sequences: true }, {
    name: 'rnn2',
    weights: [weightRef('kernel', [1, 1], [1]), weightRef('recurrent_kernel', [1, 1], [0.5]), weightRef('bias', [1], [0])],
  });
  // x = [1, 0, 3]: h = 1; step 1 masked -> h stays 1, output 1; step 2: 3 + 0.5 = 3.5.
  const r4 = runScript(exportNumpy(sequentialDoc([null, 3, 1], [masking, rnn2]), [{ shape: [1, 3, 1], data: Float64Array.from([1, 0, 3]) }]), 'rnn_mask');
  assertClose(flat(r4.output), [1, 1, 3.5], 1e-12, 0, 'masking');
});

test('a layer the export cannot write out is named with its position', () => {
  const lambda = layerNode('Lambda', {}, { name: 'my_lambda' });
  lambda.notExecutable = 'a Lambda layer holds Python code, which is never run';
  const doc = sequentialDoc([null, 3, 1], [lambda]);
  assert.throws(() => exportNumpy(doc, [{ shape: [1, 3, 1], data: new Float64Array(3) }]), (e: unknown) => {
    assert.ok(e instanceof UnsupportedLayerError);
    assert.match(e.message, /Layer 1, my_lambda \(Lambda\), cannot be exported: a Lambda layer holds Python code/);
    return true;
  });
  const custom = sequentialDoc([null, 3, 1], [layerNode('MyFancyLayer', {}, { name: 'fancy' })]);
  assert.throws(() => exportNumpy(custom, [{ shape: [1, 3, 1], data: new Float64Array(3) }]), /Layer 1, fancy \(MyFancyLayer\), is not a kind the NumPy export can write out/);
  const softmaxAxis = sequentialDoc([null, 3, 2], [layerNode('Activation', { activation: { class_name: 'softmax', config: { axis: 1 } } }, { name: 'sm' })]);
  assert.throws(() => exportNumpy(softmaxAxis, [{ shape: [1, 3, 2], data: new Float64Array(6) }]), (e: unknown) => e instanceof UnsupportedFeatureError && /"sm" uses axis 1/.test(e.message));
  assert.ok(existsSync(tmp));
});

test('Conv1D (causal, same), pooling, normalization and masking-aware pooling: hand-derived cases', (t) => {
  if (!hasNumpy) return t.skip(NO_NUMPY);
  const x4 = { shape: [1, 4, 1], data: Float64Array.from([1, 2, 3, 4]) };
  // Causal Conv1D, k = 2, dilation 2, W = [1, 10]: the input is padded with 2 zeros on the left,
  // y_t = x_{t-2}·1 + x_t·10 = [10, 20, 31, 42].
  const causal = layerNode('Conv1D', { filters: 1, kernel_size: [2], padding: 'causal', dilation_rate: [2], strides: [1], activation: 'linear' }, {
    name: 'conv',
    weights: [weightRef('kernel', [2, 1, 1], [1, 10]), weightRef('bias', [1], [0])],
  });
  assertClose(flat(runScript(exportNumpy(sequentialDoc([null, 4, 1], [causal]), [x4]), 'conv_causal').output), [10, 20, 31, 42], 1e-12, 0, 'causal');
  // 'same', k = 3, strides 2 on T = 4: T_out = 2, one zero padded on the right: [1+2+3, 3+4+0] = [6, 7]; relu keeps them.
  const same = layerNode('Conv1D', { filters: 1, kernel_size: [3], padding: 'same', strides: [2], activation: 'relu' }, {
    name: 'conv',
    weights: [weightRef('kernel', [3, 1, 1], [1, 1, 1]), weightRef('bias', [1], [0])],
  });
  assertClose(flat(runScript(exportNumpy(sequentialDoc([null, 4, 1], [same]), [x4]), 'conv_same').output), [6, 7], 1e-12, 0, 'same');
  // Pooling 'same', size 2, stride 2 on [1, 5, 2]: windows [1, 5] and [2]; max [5, 2], average over real steps [3, 2].
  const x3 = { shape: [1, 3, 1], data: Float64Array.from([1, 5, 2]) };
  const maxPool = layerNode('MaxPooling1D', { pool_size: [2], strides: [2], padding: 'same' }, { name: 'pool' });
  assertClose(flat(runScript(exportNumpy(sequentialDoc([null, 3, 1], [maxPool]), [x3]), 'maxpool').output), [5, 2], 1e-12, 0, 'max');
  const avgPool = layerNode('AveragePooling1D', { pool_size: [2], strides: [2], padding: 'same' }, { name: 'pool' });
  assertClose(flat(runScript(exportNumpy(sequentialDoc([null, 3, 1], [avgPool]), [x3]), 'avgpool').output), [3, 2], 1e-12, 0, 'average');
  // BatchNormalization (inference): gamma 2, beta 1, moving mean 3, variance 4, epsilon 0.001, then
  // LayerNormalization over the last axis of that (mean and variance of the D = 2 values), gamma 1, beta 0.
  const bnOut = (v: number) => ((v - 3) / Math.sqrt(4.001)) * 2 + 1;
  const a = bnOut(5);
  const b = bnOut(1);
  const mean = (a + b) / 2;
  const variance = ((a - mean) ** 2 + (b - mean) ** 2) / 2;
  const ln = [(a - mean) / Math.sqrt(variance + 0.001), (b - mean) / Math.sqrt(variance + 0.001)];
  const bn = layerNode('BatchNormalization', { axis: -1, epsilon: 0.001 }, {
    name: 'bn',
    weights: [weightRef('gamma', [2], [2, 2]), weightRef('beta', [2], [1, 1]), weightRef('moving_mean', [2], [3, 3]), weightRef('moving_variance', [2], [4, 4], false)],
  });
  const lnLayer = layerNode('LayerNormalization', { axis: [-1], epsilon: 0.001 }, { name: 'ln', weights: [weightRef('gamma', [2], [1, 1]), weightRef('beta', [2], [0, 0])] });
  const normDoc = sequentialDoc([null, 1, 2], [bn, lnLayer]);
  const norm = runScript(exportNumpy(normDoc, [{ shape: [1, 1, 2], data: Float64Array.from([5, 1]) }]), 'norm');
  assertClose(flat(norm.layers[0].output), [a, b], 1e-6, 0, 'batch norm');
  assertClose(flat(norm.output), ln, 1e-6, 0, 'layer norm');
  // Masking(0) then GlobalAveragePooling1D: the mean over the unmasked steps only, (1 + 3) / 2 = 2.
  const gap = sequentialDoc([null, 3, 1], [layerNode('Masking', { mask_value: 0 }, { name: 'm' }), layerNode('GlobalAveragePooling1D', {}, { name: 'gap' })]);
  assertClose(flat(runScript(exportNumpy(gap, [{ shape: [1, 3, 1], data: Float64Array.from([1, 0, 3]) }]), 'gap').output), [2], 1e-12, 0, 'masked mean');
});

test('functional merges and dot-product Attention: hand-derived cases', async (t) => {
  if (!hasNumpy) return t.skip(NO_NUMPY);
  const { functionalDoc, callOf } = await import('./helpers/modelDoc');
  // q = [[1, 0]], v = k = [[1, 0], [0, 1]]: scores [1, 0], weights [e, 1] / (e + 1), output = weights·v.
  const e = Math.E;
  const att = layerNode('Attention', { use_scale: false, score_mode: 'dot' }, { name: 'att', calls: callOf('q', 'v') });
  const add = layerNode('Add', {}, { name: 'add', calls: callOf('att', 'q') });
  const cat = layerNode('Concatenate', { axis: -1 }, { name: 'cat', calls: callOf('add', 'att') });
  const doc = functionalDoc({ q: [null, 1, 2], v: [null, 2, 2] }, [att, add, cat], ['cat']);
  const res = runScript(exportNumpy(doc, [{ shape: [1, 1, 2], data: Float64Array.from([1, 0]) }, { shape: [1, 2, 2], data: Float64Array.from([1, 0, 0, 1]) }]), 'attention');
  const w = [e / (e + 1), 1 / (e + 1)];
  assertClose(flat(res.output), [w[0] + 1, w[1], w[0], w[1]], 1e-12, 0, 'Add then Concatenate of Attention');
  assert.deepEqual(res.outputShape, [1, 1, 4]);
});

test('CuDNNLSTM / CuDNNGRU weights equal LSTM / GRU with the converted weights (per-gate transposes by hand)', (t) => {
  if (!hasNumpy) return t.skip(NO_NUMPY);
  // D = M = 2, so each gate's 2×2 kernel slice stored for cuDNN is the transpose of the Keras slice, and each
  // recurrent slice too. CuDNNLSTM keeps input + recurrent bias (8M): LSTM sums them. CuDNNGRU keeps 6M: GRU (2, 3M).
  const D = 2;
  const M = 2;
  const rnd = (k: number) => Array.from({ length: k }, (_, i) => Math.sin(1.7 * i + k) * 0.6);
  const perGateT = (flatKernel: number[], rows: number, G: number): number[] => {
    // Keras[r][g·M + c] = stored[c][g·M + r] for square per-gate slices (rows = M = D here).
    const out = new Array(flatKernel.length);
    for (let g = 0; g < G; g++) for (let r = 0; r < rows; r++) for (let c = 0; c < M; c++) out[r * G * M + g * M + c] = flatKernel[c * G * M + g * M + r];
    return out;
  };
  const x = { shape: [1, 3, 2], data: Float64Array.from([0.5, -1, 1.5, 0.25, -0.75, 2]) };
  for (const [cls, plain, G] of [['CuDNNLSTM', 'LSTM', 4], ['CuDNNGRU', 'GRU', 3]] as const) {
    const k = rnd(D * G * M);
    const u = rnd(M * G * M).map((v) => v * 0.5);
    const bias = rnd(2 * G * M);
    const cudnn = layerNode(cls, { units: M }, {
      name: 'rnn',
      weights: [weightRef('kernel', [D, G * M], k), weightRef('recurrent_kernel', [M, G * M], u), weightRef('bias', [2 * G * M], bias)],
    });
    const converted = layerNode(plain, { units: M, activation: 'tanh', recurrent_activation: 'sigmoid', reset_after: true }, {
      name: 'rnn',
      weights: [
        weightRef('kernel', [D, G * M], perGateT(k, D, G)),
        weightRef('recurrent_kernel', [M, G * M], perGateT(u, M, G)),
        G === 4
          ? weightRef('bias', [G * M], bias.slice(0, G * M).map((v, i) => Math.fround(v) + Math.fround(bias[G * M + i])))
          : weightRef('bias', [2, G * M], bias),
      ],
    });
    const a = runScript(exportNumpy(sequentialDoc([null, 3, 2], [cudnn], 2), [x]), `${cls}_cudnn`);
    const b = runScript(exportNumpy(sequentialDoc([null, 3, 2], [converted], 2), [x]), `${cls}_plain`);
    assertClose(flat(a.output), flat(b.output), 1e-7, 0, cls);
  }
});

test('a nested Sequential used as a layer, and a shared layer called twice', async (t) => {
  if (!hasNumpy) return t.skip(NO_NUMPY);
  const { functionalDoc, callOf } = await import('./helpers/modelDoc');
  // inner: Dense(1) with W = 2, b = 1; outer: x -> inner -> Dense(1) with W = 3, b = 0; x = 1 gives 3·(2·1 + 1) = 9.
  const inner = sequentialDoc([null, 1], [layerNode('Dense', { units: 1 }, { name: 'd_in', weights: [weightRef('kernel', [1, 1], [2]), weightRef('bias', [1], [1])] })]);
  const nested = layerNode('Sequential', {}, { name: 'block', calls: callOf('x') });
  nested.model = inner.root;
  const outer = layerNode('Dense', { units: 1 }, { name: 'd_out', calls: callOf('block'), weights: [weightRef('kernel', [1, 1], [3]), weightRef('bias', [1], [0])] });
  const res = runScript(exportNumpy(functionalDoc({ x: [null, 1] }, [nested, outer], ['d_out']), [{ shape: [1, 1], data: Float64Array.from([1]) }]), 'nested');
  assertClose(flat(res.output), [9], 1e-12, 0, 'nested');
  assert.deepEqual(res.layers.map((l) => l.name), ['block/d_in', 'block', 'd_out']);
  // A shared Dense(1) (W = 2, b = 1) applied to a, then to its own output: 2·(2·a + 1) + 1 = 4a + 3; a = 2 gives 11.
  const shared = layerNode('Dense', { units: 1 }, { name: 'shared', weights: [weightRef('kernel', [1, 1], [2]), weightRef('bias', [1], [1])] });
  shared.calls = [
    { inputs: [{ layer: 'a', node: 0, tensor: 0 }], kwargs: {} },
    { inputs: [{ layer: 'shared', node: 0, tensor: 0 }], kwargs: {} },
  ];
  const doc = functionalDoc({ a: [null, 1] }, [shared], []);
  doc.root.outputRefs = [{ layer: 'shared', node: 1, tensor: 0 }];
  const res2 = runScript(exportNumpy(doc, [{ shape: [1, 1], data: Float64Array.from([2]) }]), 'shared');
  assertClose(flat(res2.output), [11], 1e-12, 0, 'shared');
  assert.deepEqual(res2.layers.map((l) => [l.name, l.node]), [['shared', 0], ['shared', 1]]);
});

test('initial_state from another input, and return_state outputs', async (t) => {
  if (!hasNumpy) return t.skip(NO_NUMPY);
  const { functionalDoc } = await import('./helpers/modelDoc');
  // SimpleRNN(1, linear), W_x = 1, W_h = 0.5, b = 0, h_0 = 10 given, x = [1, 2]: h_1 = 1 + 5 = 6, h_2 = 2 + 3 = 5.
  const rnn = layerNode('SimpleRNN', { units: 1, activation: 'linear', return_state: true }, {
    name: 'rnn',
    weights: [weightRef('kernel', [1, 1], [1]), weightRef('recurrent_kernel', [1, 1], [0.5]), weightRef('bias', [1], [0])],
  });
  rnn.calls = [{ inputs: [{ layer: 'x', node: 0, tensor: 0 }], initialState: [{ layer: 'h0', node: 0, tensor: 0 }], kwargs: {} }];
  const doc = functionalDoc({ x: [null, 2, 1], h0: [null, 1] }, [rnn], []);
  doc.root.outputRefs = [{ layer: 'rnn', node: 0, tensor: 1 }, { layer: 'rnn', node: 0, tensor: 0 }];
  const res = runScript(exportNumpy(doc, [{ shape: [1, 2, 1], data: Float64Array.from([1, 2]) }, { shape: [1, 1], data: Float64Array.from([10]) }]), 'init_state');
  assertClose(flat(res.output), [5], 1e-12, 0, 'the returned state h_T');
  assert.deepEqual(res.outputShape, [1, 1]);
});

test('ReLU with threshold, max_value and negative_slope follows Keras (x > threshold strictly), in the core and the script', async (t) => {
  // Keras: y = x·[x > θ] (relu when θ = 0), clipped to [0, max_value], minus slope·relu(θ − x). Worked by hand:
  // ReLU(max_value=8, threshold=5) on [4, 5, 6, 9] → [0, 0, 6, 8] (5 is not > 5);
  // ReLU(negative_slope=0.5, threshold=1) on [-1, 1, 2, 3] → [0 − 0.5·2, 0, 2, 3] = [-1, 0, 2, 3].
  const cases = [
    { config: { max_value: 8, threshold: 5, negative_slope: 0 }, x: [4, 5, 6, 9], y: [0, 0, 6, 8] },
    { config: { max_value: null, threshold: 1, negative_slope: 0.5 }, x: [-1, 1, 2, 3], y: [-1, 0, 2, 3] },
  ];
  for (const [i, c] of cases.entries()) {
    const doc = sequentialDoc([null, 4], [layerNode('ReLU', c.config, { name: `relu_${i}` })]);
    const input = { shape: [1, 4], data: Float64Array.from(c.x) };
    const res = await runForward(doc, [input]);
    assert.deepEqual(Array.from(res.outputs[0].data), c.y, `core, case ${i}`);
    if (!hasNumpy) continue;
    const script = runScript(exportNumpy(doc, [input], { title: `relu_${i}` }), `relu_${i}`);
    assert.deepEqual(flat(script.output), c.y, `NumPy script, case ${i}`);
  }
  if (!hasNumpy) t.diagnostic(NO_NUMPY);
});

test('the registry and the export agree: ThresholdedReLU exports, ActivityRegularization runs (hand-computed)', async (t) => {
  // Dense(2): W = [[1, 2], [3, 4]], b = [0.5, -0.5]; x = [1, -1] gives [1 − 3 + 0.5, 2 − 4 − 0.5] = [-1.5, -2.5].
  // ActivityRegularization returns its input at inference (its l1/l2 penalty is a training loss): [-1.5, -2.5].
  // ThresholdedReLU(theta = -2): x where x > theta, else 0: [-1.5, 0]. On [-2, 0.5, 1, 1.5, 3] with theta = 1: 1 is not > 1.
  const dense = layerNode('Dense', { units: 2 }, { name: 'dense', weights: [weightRef('kernel', [2, 2], [1, 2, 3, 4]), weightRef('bias', [2], [0.5, -0.5])] });
  const reg = layerNode('ActivityRegularization', { l1: 0.01, l2: 0.1 }, { name: 'reg' });
  const thr = layerNode('ThresholdedReLU', { theta: -2 }, { name: 'thr' });
  const doc = sequentialDoc([null, 2], [dense, reg, thr], 2);
  const x = { shape: [1, 2], data: Float64Array.from([1, -1]) };
  const run = await runForward(doc, [x]);
  assert.equal(run.stopped, undefined, `the forward pass stopped: ${run.stopped?.message}`);
  assert.deepEqual(Array.from(run.outputs[0].data), [-1.5, 0]);
  const alone = sequentialDoc([null, 5], [layerNode('ThresholdedReLU', { theta: 1 }, { name: 'thr1' })], 2);
  const xs = { shape: [1, 5], data: Float64Array.from([-2, 0.5, 1, 1.5, 3]) };
  if (!hasNumpy) return t.skip(NO_NUMPY);
  const res = runScript(exportNumpy(doc, [x], { title: 'drift' }), 'drift');
  assert.deepEqual(flat(res.output), [-1.5, 0]);
  assert.deepEqual(res.layers.map((l) => [l.name, flat(l.output)]), [['dense', [-1.5, -2.5]], ['reg', [-1.5, -2.5]], ['thr', [-1.5, 0]]]);
  assert.deepEqual(flat(runScript(exportNumpy(alone, [xs]), 'thresholded').output), [0, 0, 0, 1.5, 3]);
});

test('merges in the script broadcast as Keras does (size-1 axes after the batch axis) and Keras 3 Maximum is mask-aware', async (t) => {
  if (!hasNumpy) return t.skip(NO_NUMPY);
  const { functionalDoc, callOf } = await import('./helpers/modelDoc');
  // keras/src/layers/merging/base_merge.py expands a lower-rank input at axis 1: a (2, 2) plus b (2, 3, 2) adds
  // a[n] to every step of b[n]. (NumPy's own trailing alignment would pair a's batch axis with b's time axis.)
  const add = layerNode('Add', {}, { name: 'add', calls: callOf('a', 'b') });
  const doc = functionalDoc({ a: [null, 2], b: [null, 3, 2] }, [add], ['add']);
  const a = { shape: [2, 2], data: Float64Array.from([1, 2, 3, 4]) };
  const b = { shape: [2, 3, 2], data: Float64Array.from({ length: 12 }, (_, i) => i) };
  const res = runScript(exportNumpy(doc, [a, b]), 'merge_lift');
  assert.deepEqual(flat(res.output), [1, 3, 3, 5, 5, 7, 9, 11, 11, 13, 13, 15]);
  assert.deepEqual(res.outputShape, [2, 3, 2]);
  // Keras 3 Maximum (base_merge._apply_merge_op_and_or_mask): a masked operand takes the other side's value.
  // p = [[1, 5], [0, 0], [3, -1]] masks step 1; q = [[2, 2], [4, -4], [0, 0]] masks step 2 (Masking, mask_value 0).
  // Step 0: max([1, 5], [2, 2]) = [2, 5]; step 1: p masked, so q = [4, -4]; step 2: q masked, so p = [3, -1].
  const mp = layerNode('Masking', { mask_value: 0 }, { name: 'mp', calls: callOf('p') });
  const mq = layerNode('Masking', { mask_value: 0 }, { name: 'mq', calls: callOf('q') });
  const max = layerNode('Maximum', {}, { name: 'max', calls: callOf('mp', 'mq') });
  const p = { shape: [1, 3, 2], data: Float64Array.from([1, 5, 0, 0, 3, -1]) };
  const q = { shape: [1, 3, 2], data: Float64Array.from([2, 2, 4, -4, 0, 0]) };
  const k3 = runScript(exportNumpy(functionalDoc({ p: [null, 3, 2], q: [null, 3, 2] }, [mp, mq, max], ['max'], 3), [p, q]), 'max_k3');
  assert.deepEqual(flat(k3.output), [2, 5, 4, -4, 3, -1]);
  // Keras 2 merges the (zeroed) values plainly: step 1 max([0, 0], [4, -4]) = [4, 0], step 2 max([3, -1], [0, 0]) = [3, 0].
  const k2 = runScript(exportNumpy(functionalDoc({ p: [null, 3, 2], q: [null, 3, 2] }, [mp, mq, max], ['max'], 2), [p, q]), 'max_k2');
  assert.deepEqual(flat(k2.output), [2, 5, 4, 0, 3, 0]);
});

// ---------------------------------------------------------------------------------------------
// The readable script of a small model (≤ 10k weight values): np.array literals, every h_t printed

/** `python3 script.py` (plain text, as a reader runs it): its stdout. */
function runText(script: string, name: string): string {
  const file = path.join(tmp, `${name}.py`);
  writeFileSync(file, script);
  const run = spawnSync(PYTHON_WITH_NUMPY!, [file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(run.status, 0, `python3 ${file} failed:\n${run.stderr}`);
  return run.stdout;
}

/** The printed h_t per recurrent layer, in print order: `name: h_t for t = 1..T` then `h_1 = [[...]]` blocks. */
function printedSteps(stdout: string): { name: string; T: number; h: number[][] }[] {
  const layers: { name: string; T: number; h: number[][] }[] = [];
  let current: number[] | null = null;
  const numbers = (s: string) => (s.match(/-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|nan|-?inf/g) ?? []).map(Number);
  for (const line of stdout.split('\n')) {
    const head = /^(.*): h_t for t = 1\.\.(\d+), h_0 = 0/.exec(line);
    const step = /^h_(\d+) = (.*)$/.exec(line);
    if (head) {
      layers.push({ name: head[1], T: Number(head[2]), h: [] });
      current = null;
    } else if (step && layers.length) {
      const L = layers[layers.length - 1];
      assert.equal(Number(step[1]), L.h.length + 1, `${L.name}: h_${step[1]} printed in order`);
      current = numbers(step[2]);
      L.h.push(current);
    } else if (current && /^\s+\[?\s*[-\d.]/.test(line)) {
      current.push(...numbers(line));
    } else {
      current = null;
    }
  }
  return layers;
}

const isReadableWeights = (script: string) => /^WEIGHTS = \{\n {4}"[^\n]*:  # [\d×]+\n {8}np\.array\(/m.test(script);

test('golden b, readable: weights as np.array literals, every h_1..h_10 printed equal to the forward pass, y equal to Keras', async (t) => {
  if (!hasNumpy) return t.skip(NO_NUMPY);
  const b = golden.cases.find((c) => c.id === 'b_simplernn5_tanh')!;
  const doc = await loadModel(path.join(shared, 'golden/b_simplernn5_tanh.h5'));
  const inputs = prepareInputs(doc, fromJsonValue(b.input)).tensors;
  const script = exportNumpy(doc, inputs, { title: 'b_simplernn5_tanh.h5' });
  assert.ok(isReadableWeights(script), 'the weights are np.array literals');
  assert.doesNotMatch(script, /b64decode\(b64\), dtype='<f4'/, 'no base64 weights');
  assert.match(script, /"simple_rnn\/recurrent_kernel":  # 5×5\n {8}np\.array\(\[\[/);
  // The input row x_1 as the notebook printed it (golden.json), written out.
  assert.match(script, /np\.array\(\[\[\[ ?1\.28145778, -0\.42848834, {1,2}0\.94592515\],/);
  const out = runText(script, 'golden_b_readable');
  const steps = printedSteps(out);
  assert.deepEqual(steps.map((s) => [s.name, s.T, s.h.length]), [['simple_rnn', 10, 10]]);
  const fwd = await runForward(doc, inputs);
  const trace = fwd.traces.find((tr) => tr.layer === 'simple_rnn')!;
  for (let k = 0; k < 10; k++) assertClose(steps[0].h[k], Array.from(trace.values.h.subarray(k * 5, k * 5 + 5)), 2e-6, 0, `h_${k + 1}`);
  // The last line: y = h_10·W_y + b_y, what Keras printed (independent of this code).
  const y = /output 0: 1×2\n(.*)/.exec(out);
  assert.ok(y, out);
  assertClose(y[1].match(/-?\d+\.\d+(?:e-?\d+)?/g)!.map(Number), flat(b.keras_output), 1e-6, 0, 'y');
  // Golden c (one unit): h_1..h_3 by hand from its printed weights would need them; its output is Keras's 0.5746256.
  const c = golden.cases.find((x) => x.id === 'c_simplernn1_tanh')!;
  const docC = await loadModel(path.join(shared, 'golden', c.files[0]));
  const outC = runText(exportNumpy(docC, prepareInputs(docC, fromJsonValue(c.input)).tensors), 'golden_c_readable');
  assert.equal(printedSteps(outC)[0].h.length, 3);
  assertClose([Number(/output 0: 1×1\n\[\[(.*)\]\]/.exec(outC)![1])], [0.5746256], 1e-6, 0, 'golden c y');
});

test('a stacked SimpleRNN (3,201 weights), readable: every printed h_t equals the independent reference and the forward pass', async (t) => {
  if (!hasNumpy) return t.skip(NO_NUMPY);
  const id = 'dsai-stacked-simplernn';
  const catalog = JSON.parse(readFileSync(path.join(shared, 'models/catalog.json'), 'utf8')) as { id: string; file: string }[];
  const doc = await loadModel(path.join(shared, 'models/files', catalog.find((c) => c.id === id)!.file));
  const inputs = prepareInputs(doc, fromJsonValue(JSON.parse(readFileSync(path.join(shared, 'models/inputs', `${id}.json`), 'utf8')))).tensors;
  const expected = JSON.parse(readFileSync(path.join(shared, 'models/expected', `${id}.json`), 'utf8')) as Expected;
  const script = exportNumpy(doc, inputs);
  assert.ok(isReadableWeights(script), 'a 3,201-weight model is written readably');
  const steps = printedSteps(runText(script, 'dsai_readable'));
  assert.deepEqual(steps.map((s) => [s.name, s.T, s.h.length]), [['simple_rnn', 7, 7], ['simple_rnn_1', 7, 7]]);
  // The first layer returns every h_t (N×T×M = 2×7×32): the reference's output holds them all.
  const seq = expected.layers!.find((l) => l.name === 'simple_rnn')!.output as number[][][];
  for (let k = 0; k < 7; k++) assertClose(steps[0].h[k], [...seq[0][k], ...seq[1][k]], 1e-7, 0, `simple_rnn h_${k + 1} vs the reference`);
  // The second returns only h_T: the reference has that one; every step equals the forward pass's trace.
  const last = expected.layers!.find((l) => l.name === 'simple_rnn_1')!.output;
  assertClose(steps[1].h[6], flat(last), 1e-7, 0, 'simple_rnn_1 h_7 vs the reference');
  const fwd = await runForward(doc, inputs);
  for (const s of steps) {
    const tr = fwd.traces.find((x) => x.layer === s.name)!;
    for (let k = 0; k < 7; k++) assertClose(s.h[k], Array.from(tr.values.h.subarray(k * 64, (k + 1) * 64)), 1e-5, 1e-5, `${s.name} h_${k + 1} vs the forward pass`);
  }
});

test('a model over 10k weight values keeps the compact form; readable can be asked for either way', async (t) => {
  if (!hasNumpy) return t.skip(NO_NUMPY);
  const id = 'arima-lstm-k3h5'; // 10,451 weights: just over the line
  const catalog = JSON.parse(readFileSync(path.join(shared, 'models/catalog.json'), 'utf8')) as { id: string; file: string }[];
  const doc = await loadModel(path.join(shared, 'models/files', catalog.find((c) => c.id === id)!.file));
  const inputs = prepareInputs(doc, fromJsonValue(JSON.parse(readFileSync(path.join(shared, 'models/inputs', `${id}.json`), 'utf8')))).tensors;
  const compact = exportNumpy(doc, inputs);
  assert.ok(!isReadableWeights(compact), 'no np.array weight literals');
  assert.match(compact, /^WEIGHTS = \{\n {4}"[^"]+": \(\(\d+, \d+\),\n {8}'[A-Za-z0-9+/=]+'/m, 'weights as (shape, base64)');
  assert.doesNotMatch(compact, /record_steps|h_t for t = /);
  const expected = JSON.parse(readFileSync(path.join(shared, 'models/expected', `${id}.json`), 'utf8')) as Expected;
  const forced = exportNumpy(doc, inputs, { readable: true });
  assert.ok(isReadableWeights(forced));
  // Both compute the same (the literals read back as the same float32 values as the bytes).
  assertClose(flat(runScript(compact, 'arima_compact').output), flat(expected.output), TOL, TOL, 'compact output');
  assertClose(flat(runScript(forced, 'arima_readable').output), flat(expected.output), TOL, TOL, 'readable output');
  const small = await loadModel(path.join(shared, 'golden/b_simplernn5_tanh.h5'));
  assert.ok(!isReadableWeights(exportNumpy(small, prepareInputs(small, fromJsonValue(golden.cases[1].input)).tensors, { readable: false })));
});

test('readable literals hold numbers only: every line of WEIGHTS and INPUTS is digits, brackets and np.nan/np.inf', async () => {
  const doc = await loadModel(path.join(shared, 'golden/b_simplernn5_tanh.h5'));
  const script = exportNumpy(doc, prepareInputs(doc, fromJsonValue(golden.cases[1].input)).tensors);
  const data = script.slice(script.indexOf('\nWEIGHTS = {'), script.indexOf("\nif __name__ == '__main__':"));
  for (const line of data.split('\n')) {
    if (/^ {4}"[^\n]*":  # [\d×]+$/.test(line) || /^(WEIGHTS = \{|\}|INPUTS = \[|\]|#.*|)$/.test(line)) continue;
    const rest = line.replace(/np\.array\(|, dtype=np\.float(32|64)\)|-?np\.(nan|inf)/g, '');
    assert.match(rest, /^[\s[\]0-9.e+\-,]*$/, `a literal line holds numbers only: ${line}`);
  }
});

test('npArrayText: the fewest digits that read back as the same float32 / float64, and python3 reads it back exactly', async (t) => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 10 ** Math.floor((seed % 13) - 6);
  const f32 = Float32Array.from({ length: 600 }, rand);
  f32.set([0, -0, 1, -1.3271614, 0.1, 3.4028234663852886e38, 1.401298464324817e-45, 1e-8], 0);
  for (const v of f32) {
    const s = floatText(v, 'float32');
    assert.equal(Math.fround(Number(s)), v, `${s} reads back as ${v}`);
    assert.ok(s.replace(/^-|e.*$|\./g, '').replace(/^0+/, '').length <= 9, `${s}: at most 9 significant digits`);
  }
  assert.equal(floatText(Math.fround(0.1), 'float32'), '0.1');
  assert.equal(floatText(Math.fround(-1.3271614), 'float32'), '-1.3271614');
  assert.equal(floatText(0.1 + 0.2, 'float64'), '0.30000000000000004');
  const f64 = Float64Array.from({ length: 300 }, rand);
  for (const v of f64) assert.equal(Number(floatText(v, 'float64')), v);
  if (!hasNumpy) return t.skip(NO_NUMPY);
  const text32 = npArrayText(f32, [6, 10, 10], 'float32');
  const text64 = npArrayText(f64, [300], 'float64');
  const file = path.join(tmp, 'np_array_text.py');
  writeFileSync(file, `import sys, numpy as np\na = ${text32}\nb = ${text64}\nsys.stdout.buffer.write(a.astype('<f4').tobytes() + b.astype('<f8').tobytes())\n`);
  const run = spawnSync(PYTHON_WITH_NUMPY!, [file], { maxBuffer: 16 * 1024 * 1024 });
  assert.equal(run.status, 0, String(run.stderr));
  const bytes = run.stdout as Buffer;
  const back32 = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + f32.length * 4));
  const back64 = new Float64Array(bytes.buffer.slice(bytes.byteOffset + f32.length * 4, bytes.byteOffset + f32.length * 4 + f64.length * 8));
  assert.deepEqual(Array.from(back32), Array.from(f32));
  assert.deepEqual(Array.from(back64), Array.from(f64));
  assert.match(npArrayText([1, 2.5, -3, 4], [2, 2]), /^np\.array\(\[\[ 1\.0,  2\.5\],\n {10}\[-3\.0,  4\.0\]\], dtype=np\.float32\)$/);
});
