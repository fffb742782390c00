// Keras 3 op layers in functional configs (module keras.src.ops.*): the reader gives each a kind key from its module
// (`ops.numpy.NotEqual`), so op `Add` and layer `Add` are two kinds; the call's constants are kept in order. Every op
// is checked against NumPy expressions written here, the real nmt-encoder-notequal-k3132 file against an independent
// NumPy encoder reading the weights with h5py, and the NumPy export against the forward pass.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseModelConfig } from '../../extension/keras/config';
import { loadModel } from '../../extension/keras/documentNode';
import { runForward } from '../../extension/keras/forward';
import { layerKind } from '../../extension/keras/layers/index';
import type { ModelDocument } from '../../extension/keras/model';
import { exportNumpy } from '../../extension/keras/numpyExport';
import { summarize } from '../../extension/keras/summary';
import type { Tensor } from '../../extension/keras/tensor';
import { assertClose, seeded, weightRef } from './helpers/layerNode';
import { NUMPY_LSTM, noNumpyH5py, runKerasPython } from './helpers/kerasPython';
import { sharedDir } from './helpers/paths';
import { NO_NUMPY_REASON, PYTHON_WITH_NUMPY } from './helpers/python';

const models2 = path.join(sharedDir, 'models2');
const NMT = path.join(models2, 'files', 'nmt-encoder-notequal-k3132.keras');
const missing = existsSync(NMT) ? null : `the shared models2 files are not at ${models2}`;
const tmp = mkdtempSync(path.join(tmpdir(), 'layers-ops-'));

// ---------------------------------------------------------------------------------------------
// Keras 3 functional configs written the way Keras 3.13 writes them (see nmt-encoder-notequal-k3132's config.json)

type Json = Record<string, unknown>;
const tensorArg = (layer: string, index = 0): Json => ({ class_name: '__keras_tensor__', config: { shape: null, dtype: 'float32', keras_history: [layer, 0, index] } });
const slice = (start: number | null, stop: number | null, step: number | null): Json => ({ class_name: '__slice__', config: { start, stop, step } });
const ELLIPSIS: Json = { class_name: '__ellipsis__', config: {} };
const inputLayer = (name: string, shape: (number | null)[]): Json => ({
  module: 'keras.layers',
  class_name: 'InputLayer',
  config: { batch_shape: shape, dtype: 'float32', name },
  registered_name: null,
  name,
  inbound_nodes: [],
});
const opLayer = (module: string, cls: string, name: string, args: unknown[], config: Json = {}): Json => ({
  module: `keras.src.ops.${module}`,
  class_name: cls,
  config: { name, ...config },
  registered_name: cls,
  name,
  inbound_nodes: [{ args, kwargs: {} }],
});
const kerasLayer = (cls: string, name: string, args: unknown[], config: Json = {}): Json => ({
  module: 'keras.layers',
  class_name: cls,
  config: { name, ...config },
  registered_name: null,
  name,
  inbound_nodes: [{ args, kwargs: {} }],
});

function functionalDoc(inputs: string[], layers: Json[], outputs: string[]): ModelDocument {
  const raw = {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: { name: 'ops_model', layers, input_layers: inputs.map((n) => [n, 0, 0]), output_layers: outputs.map((n) => [n, 0, 0]) },
    registered_name: 'Functional',
  };
  const warnings: string[] = [];
  const { graph } = parseModelConfig(raw, { kerasMajor: 3, warnings });
  return { file: 'ops.keras', format: 'keras3-keras', kerasVersion: '3.13.2', kerasMajor: 3, backend: null, modelClass: 'Functional', root: graph, warnings };
}

/** Every op this file covers, on x: (N, 3, 4) and y: (N, 1, 4), each with the NumPy expression Keras's op computes. */
const OPS: { layer: Json; numpy: string; shape: (number | null)[] }[] = [
  { layer: opLayer('numpy', 'Add', 'add_c', [tensorArg('x'), 2.5]), numpy: 'x + 2.5', shape: [null, 3, 4] },
  { layer: opLayer('numpy', 'Subtract', 'rsub', [1.0, tensorArg('x')]), numpy: '1.0 - x', shape: [null, 3, 4] },
  { layer: opLayer('numpy', 'Multiply', 'mul_xy', [tensorArg('x'), tensorArg('y')]), numpy: 'x * y', shape: [null, 3, 4] },
  { layer: opLayer('numpy', 'Divide', 'div_xy', [tensorArg('x'), tensorArg('y')]), numpy: 'x / y', shape: [null, 3, 4] },
  { layer: opLayer('numpy', 'Maximum', 'relu_like', [tensorArg('x'), 0.0]), numpy: 'np.maximum(x, 0.0)', shape: [null, 3, 4] },
  { layer: opLayer('numpy', 'Multiply', 'scaled', [tensorArg('x'), 3.0]), numpy: 'x * 3.0', shape: [null, 3, 4] },
  { layer: opLayer('core', 'Cast', 'as_int', [tensorArg('scaled')], { dtype: 'int32' }), numpy: '(x * 3.0).astype(np.int32)', shape: [null, 3, 4] },
  { layer: opLayer('numpy', 'Equal', 'eq1', [tensorArg('as_int'), 1]), numpy: '((x * 3.0).astype(np.int32) == 1).astype(float)', shape: [null, 3, 4] },
  { layer: opLayer('numpy', 'NotEqual', 'ne0', [tensorArg('as_int'), 0]), numpy: '((x * 3.0).astype(np.int32) != 0).astype(float)', shape: [null, 3, 4] },
  { layer: opLayer('numpy', 'Greater', 'gt', [tensorArg('x'), tensorArg('y')]), numpy: '(x > y).astype(float)', shape: [null, 3, 4] },
  { layer: opLayer('numpy', 'LessEqual', 'le_row', [tensorArg('as_int'), [0, 1, -1, 2]]), numpy: '((x * 3.0).astype(np.int32) <= np.array([0, 1, -1, 2])).astype(float)', shape: [null, 3, 4] },
  { layer: opLayer('core', 'Cast', 'as_bool', [tensorArg('as_int')], { dtype: 'bool' }), numpy: '(x * 3.0).astype(np.int32).astype(bool).astype(float)', shape: [null, 3, 4] },
  { layer: opLayer('numpy', 'ExpandDims', 'ed', [tensorArg('x')], { axis: -1 }), numpy: 'np.expand_dims(x, -1)', shape: [null, 3, 4, 1] },
  { layer: opLayer('numpy', 'ExpandDims', 'ed2', [tensorArg('x')], { axis: [0, 2] }), numpy: 'x[None, :, None]', shape: [1, null, 1, 3, 4] },
  { layer: opLayer('numpy', 'Squeeze', 'sq', [tensorArg('ed')], { axis: -1 }), numpy: 'x', shape: [null, 3, 4] },
  { layer: opLayer('numpy', 'Squeeze', 'sq_all', [tensorArg('y')], { axis: null }), numpy: 'y[:, 0, :]', shape: [null, 4] },
  { layer: opLayer('numpy', 'Reshape', 'rs', [tensorArg('x')], { newshape: [-1, 12] }), numpy: 'x.reshape(-1, 12)', shape: [null, 12] },
  { layer: opLayer('numpy', 'Reshape', 'rs2', [tensorArg('x')], { newshape: [-1, 2, 6] }), numpy: 'x.reshape(-1, 2, 6)', shape: [null, 2, 6] },
  { layer: opLayer('numpy', 'Transpose', 'tr', [tensorArg('x')], { axes: [0, 2, 1] }), numpy: 'x.transpose(0, 2, 1)', shape: [null, 4, 3] },
  { layer: opLayer('numpy', 'Transpose', 'tr_all', [tensorArg('x')], { axes: null }), numpy: 'x.T', shape: [4, 3, null] },
  { layer: opLayer('numpy', 'GetItem', 'last_step', [tensorArg('x'), [slice(null, null, null), -1]]), numpy: 'x[:, -1]', shape: [null, 4] },
  { layer: opLayer('numpy', 'GetItem', 'odd_features', [tensorArg('x'), [ELLIPSIS, slice(1, null, 2)]]), numpy: 'x[..., 1::2]', shape: [null, 3, 2] },
  { layer: opLayer('numpy', 'GetItem', 'new_rev', [tensorArg('x'), [slice(null, null, null), null, slice(null, null, -1)]]), numpy: 'x[:, None, ::-1]', shape: [null, 1, 3, 4] },
  { layer: opLayer('numpy', 'GetItem', 'first', [tensorArg('x'), 0]), numpy: 'x[0]', shape: [3, 4] },
  { layer: opLayer('numpy', 'GetItem', 'clamped', [tensorArg('x'), [slice(-2, -5, -1), slice(5, 0, -2), 2]]), numpy: 'x[-2:-5:-1, 5:0:-2, 2]', shape: [null, 1] },
];

function opsDoc(): ModelDocument {
  return functionalDoc(['x', 'y'], [inputLayer('x', [null, 3, 4]), inputLayer('y', [null, 1, 4]), ...OPS.map((o) => o.layer)], OPS.map((o) => o.layer.name as string));
}

function opsInputs(): Tensor[] {
  const rnd = seeded(7);
  const x = Float64Array.from({ length: 2 * 3 * 4 }, () => rnd(-1, 1));
  const y = Float64Array.from({ length: 2 * 1 * 4 }, () => rnd(0.5, 1.5) * (rnd() < 0 ? -1 : 1));
  return [
    { shape: [2, 3, 4], data: x },
    { shape: [2, 1, 4], data: y },
  ];
}

function runPython(script: string, data: unknown): unknown {
  const run = spawnSync(PYTHON_WITH_NUMPY!, ['-c', script], { input: JSON.stringify(data), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`python3 failed:\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

// ---------------------------------------------------------------------------------------------

test('the reader gives an op layer a kind key from its module, apart from the layer of the same class name', () => {
  const doc = functionalDoc(
    ['x', 'y'],
    [
      inputLayer('x', [null, 4]),
      inputLayer('y', [null, 4]),
      kerasLayer('Add', 'layer_add', [[tensorArg('x'), tensorArg('y')]]),
      opLayer('numpy', 'Add', 'op_add', [tensorArg('x'), 0.5]),
      kerasLayer('Reshape', 'layer_reshape', [tensorArg('x')], { target_shape: [2, 2] }),
      opLayer('numpy', 'Reshape', 'op_reshape', [tensorArg('x')], { newshape: [-1, 2, 2] }),
    ],
    ['layer_add', 'op_add', 'layer_reshape', 'op_reshape'],
  );
  const byName = new Map(doc.root.layers.map((l) => [l.name, l]));
  assert.equal(byName.get('layer_add')!.className, 'Add');
  assert.equal(byName.get('op_add')!.className, 'ops.numpy.Add');
  assert.equal(byName.get('op_reshape')!.className, 'ops.numpy.Reshape');
  assert.notEqual(layerKind('Add'), layerKind('ops.numpy.Add'));
  assert.notEqual(layerKind('Reshape'), layerKind('ops.numpy.Reshape'));
  // The op's constant is kept in its place; the tensor is an input.
  assert.deepEqual(byName.get('op_add')!.calls[0].args, [{ input: 0 }, { value: 0.5 }]);
  assert.equal(byName.get('op_add')!.calls[0].inputs[0].layer, 'x');
  assert.equal(byName.get('layer_add')!.calls[0].args, undefined, 'layers keep their calls as before');
});

test('op layers: shapes in the summary, no parameters, and every output equal to NumPy', { skip: PYTHON_WITH_NUMPY ? false : NO_NUMPY_REASON }, async () => {
  const doc = opsDoc();
  const s = summarize(doc);
  for (const op of OPS) {
    const row = s.layers.find((l) => l.name === op.layer.name)!;
    assert.deepEqual(row.outputShape, op.shape, `${String(op.layer.name)}: summary shape (Keras's compute_output_spec)`);
    assert.equal(row.params, 0);
    assert.equal(row.paramsFormula, null);
  }
  assert.equal(s.totalParams, 0);
  const inputs = opsInputs();
  const run = await runForward(doc, inputs);
  assert.equal(run.stopped, undefined, run.stopped?.message);
  const script = `
import json, sys
import numpy as np
d = json.loads(sys.stdin.read())
x = np.array(d['x'], dtype=np.float64).reshape(2, 3, 4)
y = np.array(d['y'], dtype=np.float64).reshape(2, 1, 4)
out = {}
${OPS.map((o) => `out[${JSON.stringify(o.layer.name)}] = np.asarray(${o.numpy}, dtype=np.float64)`).join('\n')}
print(json.dumps({k: {'shape': list(v.shape), 'values': v.ravel().tolist()} for k, v in out.items()}))
`;
  const expected = runPython(script, { x: Array.from(inputs[0].data), y: Array.from(inputs[1].data) }) as Record<string, { shape: number[]; values: number[] }>;
  for (const op of OPS) {
    const name = op.layer.name as string;
    const record = run.layers.find((l) => l.name === name)!;
    assert.deepEqual(record.outputShapes[0], expected[name].shape, `${name}: shape vs NumPy`);
    assertClose(record.outputs[0].data, expected[name].values, 1e-12, 1e-12, `${name} vs NumPy`);
  }
});

test('op layers: the exported NumPy script computes what the forward pass computes', { skip: PYTHON_WITH_NUMPY ? false : NO_NUMPY_REASON }, async () => {
  const doc = opsDoc();
  const inputs = opsInputs();
  const run = await runForward(doc, inputs);
  const file = path.join(tmp, 'ops.py');
  writeFileSync(file, exportNumpy(doc, inputs, { title: 'ops' }));
  const py = spawnSync(PYTHON_WITH_NUMPY!, [file, '--json', '--layers'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(py.status, 0, py.stderr);
  const res = JSON.parse(py.stdout) as { layers: { name: string; output: unknown }[] };
  const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
  for (const op of OPS) {
    const name = op.layer.name as string;
    const ours = run.layers.find((l) => l.name === name)!.outputs[0].data;
    const theirs = res.layers.find((l) => l.name === name);
    assert.ok(theirs, `${name}: the script printed no output`);
    assertClose(flat(theirs.output), ours, 1e-12, 1e-12, `${name}: script vs forward pass`);
  }
});

test('an op this tool does not compute gets one sentence naming it; the layers before it still run', async () => {
  const doc = functionalDoc(
    ['x'],
    [
      inputLayer('x', [null, 3]),
      opLayer('numpy', 'Multiply', 'double', [tensorArg('x'), 2]),
      opLayer('numpy', 'Cumsum', 'running_total', [tensorArg('double')], { axis: 1 }),
      // Keras 3 records the shape of the tensor where it is consumed: the summary takes it for the op it cannot shape.
      opLayer('numpy', 'Add', 'plus_one', [{ ...tensorArg('running_total'), config: { shape: [null, 3], dtype: 'float32', keras_history: ['running_total', 0, 0] } }, 1]),
    ],
    ['plus_one'],
  );
  const s = summarize(doc);
  const row = s.layers.find((l) => l.name === 'running_total')!;
  assert.equal(row.className, 'ops.numpy.Cumsum');
  assert.ok(row.notes.some((n) => n.includes('ops.numpy.Cumsum')), row.notes.join(' | '));
  assert.deepEqual(row.outputShape, [null, 3]);
  assert.deepEqual(s.layers.find((l) => l.name === 'plus_one')!.outputShape, [null, 3]);
  const run = await runForward(doc, [{ shape: [1, 3], data: Float64Array.from([1, 2, 3]) }]);
  assert.ok(run.stopped);
  assert.match(run.stopped.message, /running_total/);
  assert.match(run.stopped.message, /ops\.numpy\.Cumsum/);
  assert.ok(run.stopped.message.length < 300 && !/\n/.test(run.stopped.message));
  assert.deepEqual(Array.from(run.layers.find((l) => l.name === 'double')!.outputs[0].data), [2, 4, 6]);
});

test('a recorded shape that no tensor can have is not taken for an unknown layer\'s shape', () => {
  for (const shape of [[null, -3], [null, 2.5], [null, '3'], Array(9).fill(1)]) {
    const doc = functionalDoc(
      ['x'],
      [
        inputLayer('x', [null, 3]),
        opLayer('numpy', 'Cumsum', 'running_total', [tensorArg('x')]),
        opLayer('numpy', 'Add', 'plus_one', [{ class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: ['running_total', 0, 0] } }, 1]),
      ],
      ['plus_one'],
    );
    assert.equal(summarize(doc).layers.find((l) => l.name === 'running_total')!.outputShape, null, JSON.stringify(shape));
  }
});

test('op calls a file gets wrong are refused in a sentence naming the op layer', async () => {
  const bad = [
    opLayer('numpy', 'GetItem', 'by_tensor', [tensorArg('x'), tensorArg('x')]),
    opLayer('numpy', 'GetItem', 'too_far', [tensorArg('x'), [0, 7]]),
    opLayer('numpy', 'Reshape', 'wrong_size', [tensorArg('x')], { newshape: [-1, 5] }),
    opLayer('numpy', 'Transpose', 'not_perm', [tensorArg('x')], { axes: [0, 0] }),
    opLayer('core', 'Cast', 'to_half', [tensorArg('x')], { dtype: 'float16' }),
    opLayer('numpy', 'Add', 'ragged', [tensorArg('x'), [[1, 2], [3]]]),
  ];
  for (const layer of bad) {
    const doc = functionalDoc(['x'], [inputLayer('x', [null, 3]), layer], [layer.name as string]);
    const run = await runForward(doc, [{ shape: [2, 3], data: Float64Array.from([1, 2, 3, 4, 5, 6]) }]);
    assert.ok(run.stopped, `${String(layer.name)} stops`);
    assert.match(run.stopped.message, new RegExp(`"${String(layer.name)}"`));
    assert.equal(run.stopped.detail, undefined, `${String(layer.name)}: a refusal, not an internal error: ${run.stopped.message}`);
  }
});

// ---------------------------------------------------------------------------------------------
// The real file: Embedding(200, 256, mask_zero) and not_equal(x, 0) feeding LSTM(256, return_state)

test('nmt-encoder-notequal: the summary has the op layer with its shape and the catalog\'s total', { skip: missing ?? false }, async () => {
  const doc = await loadModel(NMT);
  const s = summarize(doc);
  const catalog = JSON.parse(readFileSync(path.join(models2, 'catalog.json'), 'utf8')) as { id: string; total_params: number }[];
  assert.equal(s.totalParams, catalog.find((e) => e.id === 'nmt-encoder-notequal-k3132')!.total_params);
  assert.equal(s.totalParams, 200 * 256 + 4 * 256 * (256 + 256 + 1));
  const op = s.layers.find((l) => l.name === 'not_equal')!;
  assert.equal(op.className, 'ops.numpy.NotEqual');
  assert.deepEqual(op.outputShape, [null, 15]);
  assert.equal(op.params, 0);
  assert.deepEqual(op.inbound, ['input_layer']);
  assert.deepEqual(s.warnings, [], 'an op has no weights group to miss');
});

test('nmt-encoder-notequal: a run computes the op layer and the masked LSTM as an independent NumPy encoder does', { skip: missing ?? noNumpyH5py() ?? false }, async () => {
  const doc = await loadModel(NMT);
  const rnd = seeded(3);
  // Two sentences padded with token 0, as the translator feeds them; one with a zero inside.
  const tokens = [
    ...Array.from({ length: 9 }, () => 1 + Math.floor(rnd(0, 199))), 0, 0, 0, 0, 0, 0,
    ...Array.from({ length: 4 }, () => 1 + Math.floor(rnd(0, 199))), 0, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ];
  const run = await runForward(doc, [{ shape: [2, 15], data: Float64Array.from(tokens) }]);
  assert.equal(run.stopped, undefined, run.stopped?.message);
  const expected = runKerasPython(
    NMT,
    `${NUMPY_LSTM}
tok = np.array(data, dtype=np.int64).reshape(2, 15)
E = weights('layers/embedding/vars/0')
mask = (tok != 0).astype(np.float64)
_, h, c = lstm(E[tok], mask, weights('layers/lstm/cell/vars/0'), weights('layers/lstm/cell/vars/1'), weights('layers/lstm/cell/vars/2'))
print(json.dumps({'mask': mask.ravel().tolist(), 'h': h.ravel().tolist(), 'c': c.ravel().tolist()}))`,
    tokens,
  ) as { mask: number[]; h: number[]; c: number[] };
  const op = run.layers.find((l) => l.name === 'not_equal')!;
  assert.deepEqual(op.outputShapes, [[2, 15]]);
  assert.deepEqual(Array.from(op.outputs[0].data), expected.mask);
  // Outputs: the LSTM's states h and c (output_layers lstm 0 1 and lstm 0 2).
  assert.equal(run.outputs.length, 2);
  assertClose(run.outputs[0].data, expected.h, 1e-5, 1e-5, 'state h vs NumPy');
  assertClose(run.outputs[1].data, expected.c, 1e-5, 1e-5, 'state c vs NumPy');
});

test('a mask passed explicitly (lstm(x, mask=not_equal(tokens, 0))) is the one the LSTM uses, in the run and in the NumPy export', { skip: PYTHON_WITH_NUMPY ? false : NO_NUMPY_REASON }, async () => {
  const lstmCall = { args: [tensorArg('embedding')], kwargs: { training: false, mask: tensorArg('not_equal') } };
  const doc = functionalDoc(
    ['tokens'],
    [
      inputLayer('tokens', [null, 6]),
      // No mask_zero: without the explicit mask the LSTM would run over the padding.
      kerasLayer('Embedding', 'embedding', [tensorArg('tokens')], { input_dim: 5, output_dim: 3, mask_zero: false }),
      opLayer('numpy', 'NotEqual', 'not_equal', [tensorArg('tokens'), 0]),
      { ...kerasLayer('LSTM', 'lstm', [], { units: 2, return_sequences: true }), inbound_nodes: [lstmCall] },
    ],
    ['lstm'],
  );
  const lstm = doc.root.layers.find((l) => l.name === 'lstm')!;
  assert.deepEqual(lstm.calls[0].mask?.map((r) => r.layer), ['not_equal']);
  const rnd = seeded(5);
  const E = Array.from({ length: 5 * 3 }, () => rnd(-1, 1));
  const W = Array.from({ length: 3 * 8 }, () => rnd(-1, 1));
  const U = Array.from({ length: 2 * 8 }, () => rnd(-1, 1));
  const b = Array.from({ length: 8 }, () => rnd(-0.5, 0.5));
  doc.root.layers.find((l) => l.name === 'embedding')!.weights = [weightRef('embeddings', [5, 3], E)];
  lstm.weights = [weightRef('kernel', [3, 8], W), weightRef('recurrent_kernel', [2, 8], U), weightRef('bias', [8], b)];
  const tokens = [3, 1, 0, 0, 4, 0, 2, 2, 1, 0, 0, 0];
  const inputs = [{ shape: [2, 6], data: Float64Array.from(tokens) }];
  const run = await runForward(doc, inputs);
  assert.equal(run.stopped, undefined, run.stopped?.message);
  const f32 = (v: number[]) => Array.from(Float32Array.from(v));
  const expected = runPython(
    `import json, sys
import numpy as np
${NUMPY_LSTM}
d = json.loads(sys.stdin.read())
tok = np.array(d['tokens'], dtype=np.int64).reshape(2, 6)
E = np.array(d['E']).reshape(5, 3)
hs, _, _ = lstm(E[tok], (tok != 0).astype(float), np.array(d['W']).reshape(3, 8), np.array(d['U']).reshape(2, 8), np.array(d['b']))
print(json.dumps(hs.ravel().tolist()))`,
    { tokens, E: f32(E), W: f32(W), U: f32(U), b: f32(b) },
  ) as number[];
  // The LSTM computes in float32 as Keras does, this NumPy loop in float64: float32 rounding bounds the difference.
  assertClose(run.outputs[0].data, expected, 2e-6, 2e-6, 'explicitly masked LSTM vs NumPy');
  const file = path.join(tmp, 'masked.py');
  writeFileSync(file, exportNumpy(doc, inputs, { title: 'masked' }));
  const py = spawnSync(PYTHON_WITH_NUMPY!, [file, '--json'], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
  assertClose(flat((JSON.parse(py.stdout) as { output: unknown }).output), expected, 1e-9, 1e-9, 'exported script vs NumPy');
});
