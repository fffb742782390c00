// Every real file in shared/models: summarized with the catalog's total_params and layer classes,
// or refused with the specific sentence its catalog note calls for. Golden files: all three layouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { loadModel } from '../../extension/keras/documentNode';
import { summarize, type LayerSummary } from '../../extension/keras/summary';
import { InspectorError } from '../../extension/keras/errors';
import { goldenDir, modelFiles, modelsDir } from './helpers/paths';

interface CatalogEntry {
  id: string;
  file: string;
  format: string;
  keras_version: string | null;
  model_class: string | null;
  layers: string[] | null;
  total_params: number | null;
  sha256?: string;
  notes: string;
}

const catalog: CatalogEntry[] = JSON.parse(readFileSync(path.join(modelsDir, 'catalog.json'), 'utf8'));

/** The catalog writes wrappers as `Bidirectional(LSTM)` and keeps the class names the file declared. */
function catalogName(l: LayerSummary): string {
  const own = l.declaredClassName ?? l.className;
  if ((l.className === 'Bidirectional' || l.className === 'TimeDistributed') && l.children[0]) {
    return `${own}(${l.children[0].declaredClassName ?? l.children[0].className})`;
  }
  return own;
}

/** The sentence each broken or hostile file must get (from its catalog note). */
const EXPECTED_ERRORS: Record<string, { exitCode: number; message: RegExp }> = {
  'lfs-pointer': { exitCode: 4, message: /Git LFS pointer.*git lfs pull/ },
  'truncated-2byte': { exitCode: 4, message: /only 2 bytes long.*truncated/ },
  'xgboost-not-hdf5': { exitCode: 4, message: /neither HDF5 nor a \.keras zip/ },
};

const sha256 = (p: string) => crypto.createHash('sha256').update(readFileSync(p)).digest('hex');

for (const entry of catalog) {
  if (entry.format === 'data-csv') continue;
  test(`catalog: ${entry.id}`, async () => {
    const file = path.join(modelFiles, entry.file);
    const before = { sha: sha256(file), mtime: statSync(file).mtimeMs };
    const expectedError = EXPECTED_ERRORS[entry.id];
    if (expectedError) {
      await assert.rejects(loadModel(file), (e: unknown) => {
        assert.ok(e instanceof InspectorError, `expected a typed error, got ${String(e)}`);
        assert.equal(e.exitCode, expectedError.exitCode);
        assert.match(e.message, expectedError.message);
        assert.ok(!e.message.includes('\n'), 'the message is one line');
        return true;
      });
    } else {
      const doc = await loadModel(file);
      const s = summarize(doc);
      assert.equal(s.totalParams, entry.total_params, 'totalParams equals the catalog');
      assert.deepEqual(s.layers.map(catalogName), entry.layers, 'layer classes match the catalog');
      if (entry.model_class) assert.equal(s.modelClass, entry.model_class);
      if (entry.keras_version) assert.equal(s.kerasVersion, entry.keras_version);
      const expectedFormat = entry.format === 'weights-only' ? 'weights-only' : entry.format;
      assert.equal(s.format, expectedFormat);
      assert.equal(s.trainableParams + s.nonTrainableParams, s.totalParams);
    }
    // No model file is ever modified.
    assert.equal(sha256(file), before.sha);
    assert.equal(statSync(file).mtimeMs, before.mtime);
    if (entry.sha256) assert.equal(before.sha, entry.sha256);
  });
}

test('hostile .keras: the custom subclassed model is summarized from what it declares and marked not runnable', async () => {
  const doc = await loadModel(path.join(modelFiles, 'malicious-custom-model.keras'));
  assert.match(doc.notExecutable ?? '', /custom class.*malicious_model.*never imports or runs/);
  const s = summarize(doc);
  assert.equal(s.layers.length, 0);
  assert.ok(s.warnings.some((w) => /never imports or runs/.test(w)));
});

test('Keras 1 file: summarized, Keras 1 class names kept as declared, and marked not runnable', async () => {
  const doc = await loadModel(path.join(modelFiles, 'seizure-conv1d-bilstm-k1.h5'));
  assert.equal(doc.format, 'keras1-h5');
  assert.match(doc.notExecutable ?? '', /Keras 1\.x files can be inspected but not run/);
  const s = summarize(doc);
  const conv = s.layers[0];
  assert.equal(conv.className, 'Conv1D');
  assert.equal(conv.declaredClassName, 'Convolution1D');
});

test('Lambda layer: declared, marked not executable, and the layers after it still get shapes or a ? note', async () => {
  const s = summarize(await loadModel(path.join(modelFiles, 'attention-merge-lambda.h5')));
  const lambda = s.layers.find((l) => l.className === 'Lambda')!;
  assert.match(lambda.notExecutable ?? '', /Lambda layer "dim_reduction" holds Python code/);
  assert.equal(lambda.outputShapeText, '?');
  const permute = s.layers.find((l) => l.name === 'permute_1')!;
  assert.deepEqual(permute.outputShape, [null, 1, 8]);
});

const GOLDEN: [string, number, string][] = [
  ['a_simplernn2_linear', 11, 'SimpleRNN: D·M + M·M + M = 1·2 + 2·2 + 2 = 8'],
  ['b_simplernn5_tanh', 57, 'SimpleRNN: D·M + M·M + M = 3·5 + 5·5 + 5 = 45'],
  ['c_simplernn1_tanh', 5, 'SimpleRNN: D·M + M·M + M = 1·1 + 1·1 + 1 = 3'],
];
for (const [id, total, rnnFormula] of GOLDEN) {
  for (const suffix of ['.h5', '.keras', '.k3.h5']) {
    test(`golden ${id}${suffix}: ${total} params, SimpleRNN explained`, async () => {
      const s = summarize(await loadModel(path.join(goldenDir, id + suffix)));
      assert.equal(s.totalParams, total);
      const rnn = s.layers.find((l) => l.className === 'SimpleRNN')!;
      assert.ok(rnn.paramsFormula?.startsWith(rnnFormula), `got ${rnn.paramsFormula}`);
      assert.deepEqual(s.layers.filter((l) => l.className !== 'InputLayer').map((l) => l.className), ['SimpleRNN', 'Dense']);
    });
  }
}
