// Custom and unknown layers count the weights their file stores, as model.summary() does, marked "stored weights;
// formula unknown"; a run stops there naming the layer, with every layer before it computed. Real file:
// tourism-custom-attention-k350 (LSTM(50) -> a custom AttentionLayer holding a Dense sub-layer -> Dense(1)).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadModel } from '../../extension/keras/documentNode';
import { runForward } from '../../extension/keras/forward';
import { STORED_WEIGHTS_MARK, summarize } from '../../extension/keras/summary';
import { assertClose, seeded } from './helpers/layerNode';
import { NUMPY_LSTM, noNumpyH5py, runKerasPython } from './helpers/kerasPython';
import { sharedDir } from './helpers/paths';

const models2 = path.join(sharedDir, 'models2');
const FILE = path.join(models2, 'files', 'tourism-custom-attention-k350.keras');
const missing = existsSync(FILE) ? null : `the shared models2 files are not at ${models2}`;

function catalogEntry(id: string): { total_params: number } {
  const catalog = JSON.parse(readFileSync(path.join(models2, 'catalog.json'), 'utf8')) as { id: string; total_params: number }[];
  return catalog.find((e) => e.id === id)!;
}

test('tourism-custom-attention: the summary counts the custom layer\'s stored weights: 11,102 in all', { skip: missing ?? false }, async () => {
  const doc = await loadModel(FILE);
  const s = summarize(doc);
  assert.equal(s.totalParams, 11_102);
  assert.equal(s.totalParams, catalogEntry('tourism-custom-attention-k350').total_params);
  assert.equal(s.trainableParams, 11_102);
  const custom = s.layers.find((l) => l.name === 'attention_layer')!;
  // Its Dense sub-layer's kernel 50×1 and bias 1, stored at layers/attention_layer/attention_dense/vars/0..1.
  assert.equal(custom.params, 51);
  assert.deepEqual(custom.weights.map((w) => [w.shape, w.path.replace(/^\//, '')]), [
    [[50, 1], 'layers/attention_layer/attention_dense/vars/0'],
    [[1], 'layers/attention_layer/attention_dense/vars/1'],
  ]);
  assert.ok(custom.paramsFormula?.includes(STORED_WEIGHTS_MARK), `marked: ${custom.paramsFormula}`);
  assert.equal(custom.formula, undefined, 'no formula is claimed');
  // The tree and hovers mark it as a layer a run stops at.
  assert.match(custom.notExecutable ?? '', /AttentionLayer is not a layer kind this tool computes: a run stops at this layer/);
  assert.equal(s.layers.find((l) => l.name === 'lstm')!.notExecutable, undefined);
  // Its output shape is the one Keras 3 recorded where Dense consumes it, so the Dense after it is shaped too.
  assert.deepEqual(custom.outputShape, [null, 50]);
  assert.ok(custom.notes.some((n) => /the one the file records/.test(n)), custom.notes.join(' | '));
  assert.deepEqual(s.layers.find((l) => l.name === 'dense_1')!.outputShape, [null, 1]);
  assert.deepEqual(s.layers.find((l) => l.name === 'dense_1')!.inputShapes, [[null, 50]]);
  // The known layers keep their formulas.
  assert.equal(s.layers.find((l) => l.name === 'lstm')!.params, 4 * 50 * (4 + 50 + 1));
  assert.equal(s.layers.find((l) => l.name === 'dense_1')!.params, 51);
  assert.ok(!s.warnings.some((w) => /attention/.test(w)), `no warning about the custom layer's weights: ${s.warnings.join(' | ')}`);
});

test('tourism-custom-attention: a run stops at the custom layer, naming it, with the LSTM before it computed as NumPy does', { skip: missing ?? noNumpyH5py() ?? false }, async () => {
  const doc = await loadModel(FILE);
  const rnd = seeded(11);
  const N = 2;
  const T = 12;
  const D = 4;
  const x = Array.from({ length: N * T * D }, () => rnd(-1, 1));
  const run = await runForward(doc, [{ shape: [N, T, D], data: Float64Array.from(x) }]);
  assert.ok(run.stopped, 'the run stops');
  assert.equal(run.stopped.layer, 'attention_layer');
  assert.equal(run.stopped.position, 2);
  assert.match(run.stopped.message, /attention_layer/);
  assert.match(run.stopped.message, /AttentionLayer/);
  assert.equal(run.stopped.detail, undefined, 'a clear refusal, not an internal error');
  assert.deepEqual(run.outputs, []);
  assert.deepEqual(run.layers.map((l) => l.name), ['lstm']);
  const lstm = run.layers[0];
  assert.deepEqual(lstm.outputShapes, [[N, T, 50]]);
  const expected = runKerasPython(
    FILE,
    `${NUMPY_LSTM}
x = np.array(data, dtype=np.float64).reshape(${N}, ${T}, ${D})
hs, h, c = lstm(x, None, weights('layers/lstm/cell/vars/0'), weights('layers/lstm/cell/vars/1'), weights('layers/lstm/cell/vars/2'))
print(json.dumps(hs.ravel().tolist()))`,
    x,
  ) as number[];
  assertClose(lstm.outputs[0].data, expected, 1e-5, 1e-5, 'lstm return_sequences vs NumPy');
  // The traces before the stop are kept too.
  assert.equal(run.traces.length, 1);
});
