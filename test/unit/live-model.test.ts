// Live recompute in the page: the host sends a small model as plain data (extension/keras/portableModel.ts), the page
// runs it (webview/logic/livePass.ts runInPage). After a structured clone (what postMessage does), the page's run of a
// model must give exactly the numbers of the worker's job (extension/runJob.ts executeRun reading the file's bytes):
// outputs, every layer's output, every trace and the step weights. A model over the budget is refused before any
// weight is read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadModel } from '../../extension/keras/documentNode';
import { fillInputs } from '../../extension/keras/inputs';
import { countWeightValues, fromPortable, toPortable } from '../../extension/keras/portableModel';
import { InputError } from '../../extension/keras/errors';
import { executeRun } from '../../extension/runJob';
import { runInPage } from '../../webview/logic/livePass';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const golden = path.resolve(repoRoot, '../shared/golden');
const models = path.resolve(repoRoot, '../shared/models/files');

const cases = [
  path.join(golden, 'b_simplernn5_tanh.h5'),
  path.join(golden, 'b_simplernn5_tanh.keras'),
  path.join(golden, 'b_simplernn5_tanh.k3.h5'),
  path.join(models, 'arima-lstm-k3h5.h5'),
  path.join(models, 'fatigue-masking-lstm.keras'),
  path.join(models, 'weather-bilstm-tfk215.keras'),
  path.join(models, 'mt-gru-timedist.h5'),
];

/** Every number under a value as (path, kind, bytes) rows, in key order: equal rows mean bit-identical numbers. */
function numbers(v: unknown, at = '', out: string[] = [], depth = 0): string[] {
  if (depth > 20) throw new Error('too deep');
  if (ArrayBuffer.isView(v)) out.push(`${at} ${v.constructor.name} ${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')}`);
  else if (Array.isArray(v)) v.forEach((x, i) => numbers(x, `${at}/${i}`, out, depth + 1));
  else if (v && typeof v === 'object') for (const k of Object.keys(v).sort()) numbers((v as Record<string, unknown>)[k], `${at}/${k}`, out, depth + 1);
  else if (typeof v === 'number') out.push(`${at} ${Object.is(v, -0) ? '-0' : String(v)}`);
  return out;
}

for (const file of cases) {
  test(`live recompute in the page equals the worker's run exactly: ${path.basename(file)}`, async () => {
    const doc = await loadModel(file);
    const { tensors } = fillInputs(doc, 'random', { N: 2, seed: 11 });
    const bytes = new Uint8Array(readFileSync(file));
    const worker = await executeRun({ runId: 1, model: { name: path.basename(file), bytes }, input: { kind: 'tensors', tensors } });
    const portable = structuredClone(toPortable(doc, 1_000_000));
    const page = await runInPage(fromPortable(portable), tensors, -1);
    assert.equal(page.stopped?.message, worker.stopped?.message);
    assert.ok(worker.traces.length > 0, 'the model has a recurrent trace');
    assert.deepEqual(numbers(page.outputs), numbers(worker.outputs), 'outputs');
    assert.deepEqual(numbers(page.layers.map((l) => l.outputs)), numbers(worker.layers.map((l) => l.outputs)), 'layer outputs');
    assert.deepEqual(numbers(page.traces.map((t) => t.values)), numbers(worker.traces.map((t) => t.values)), 'traces');
    assert.deepEqual(numbers(page.recurrentWeights), numbers(worker.recurrentWeights), 'step weights');
    assert.deepEqual(page.outputNames, worker.outputNames);
    assert.equal(page.inputLabel, worker.inputLabel);
  });
}

test('a model over the live budget is refused before its weights are read', async () => {
  const doc = await loadModel(path.join(golden, 'b_simplernn5_tanh.h5'));
  assert.equal(countWeightValues(doc), 57);
  let reads = 0;
  const watch = (layers: typeof doc.root.layers) => {
    for (const l of layers) {
      for (const w of l.weights) {
        const values = w.values;
        w.values = () => (reads++, values());
      }
      watch(l.children);
    }
  };
  watch(doc.root.layers);
  assert.throws(() => toPortable(doc, 56), (e: unknown) => e instanceof InputError && /up to 56 weight values; this one stores 57/.test(e.message));
  assert.equal(reads, 0);
  toPortable(doc, 57);
  assert.equal(reads, 5, 'kernel, recurrent kernel, bias, Dense kernel and bias read once each');
});

test('a weight whose values do not fit its shape is refused', async () => {
  const doc = await loadModel(path.join(golden, 'b_simplernn5_tanh.h5'));
  const p = toPortable(doc, 1000);
  const layer = p.root.layers.find((l) => l.weights.length > 0)!;
  layer.weights[0].data = layer.weights[0].data.subarray(1);
  assert.throws(() => fromPortable(p), /came with \d+ values for shape/);
});
