// The three golden cases from real Keras runs, in all three layouts each (.h5 Keras 2, .keras, Keras 3 .h5):
// our forward pass must print what Keras printed, within 1e-6 (Keras printed about 7 significant digits).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadModel } from '../../extension/keras/documentNode';
import { runForward } from '../../extension/keras/forward';
import { fromJsonValue, parseInputText, prepareInputs } from '../../extension/keras/inputs';
import { assertClose } from './helpers/layerNode';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const goldenDir = path.resolve(repoRoot, '../shared/golden');
const golden = JSON.parse(readFileSync(path.join(goldenDir, 'golden.json'), 'utf8')) as {
  cases: { id: string; files: string[]; input_file: string; input: number[][][]; keras_output: number[][] }[];
};
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

test('golden.json lists the three cases with three layouts each', () => {
  assert.deepEqual(golden.cases.map((c) => c.id), ['a_simplernn2_linear', 'b_simplernn5_tanh', 'c_simplernn1_tanh']);
  for (const c of golden.cases) assert.equal(c.files.length, 3, c.id);
});

for (const c of golden.cases) {
  for (const file of c.files) {
    test(`golden ${c.id}: ${file} equals Keras's output within 1e-6`, async () => {
      const doc = await loadModel(path.join(goldenDir, file));
      // The input as its own file says it (the same numbers golden.json lists).
      const fromFile = parseInputText(readFileSync(path.join(goldenDir, c.input_file), 'utf8'));
      const prepared = prepareInputs(doc, fromFile);
      assert.deepEqual([...prepared.tensors[0].data], flat(c.input));
      const result = await runForward(doc, prepared.tensors);
      assert.equal(result.stopped, undefined, result.stopped?.message);
      assert.equal(result.outputs.length, 1);
      assert.deepEqual(result.outputs[0].shape, [1, flat(c.keras_output).length]);
      assertClose(result.outputs[0].data, flat(c.keras_output), 1e-6, 0, `${file} output`);
      // One SimpleRNN trace with T steps in input order, and its last h feeding the Dense.
      const T = c.input[0].length;
      assert.equal(result.traces.length, 1);
      assert.equal(result.traces[0].cell.key, 'SimpleRNN');
      assert.deepEqual([...result.traces[0].timeIndex], Array.from({ length: T }, (_, t) => t));
    });
  }
}

test('golden a: x = [1, 2, 3] written as the notebooks write it gives -3.068111', async () => {
  const doc = await loadModel(path.join(goldenDir, 'a_simplernn2_linear.keras'));
  const { tensors, notes } = prepareInputs(doc, fromJsonValue([1, 2, 3]));
  assert.match(notes[0], /single series of T = 3 values/);
  const result = await runForward(doc, tensors);
  assertClose(result.outputs[0].data, [-3.068111], 1e-6, 0, 'output');
});
