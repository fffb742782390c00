// One vocabulary (issue 9, item 5): every label the panel, the exports and the messages show counts time steps
// t = 1..T (h_0 is the state before the first step) and names each quantity by the symbol its equations use (h̃ for
// the GRU candidate, never its storage key "hh"). Real runs of a SimpleRNN, an LSTM and a GRU model feed the labels.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { executeRun } from '../../extension/runJob';
import { loadModel } from '../../extension/keras/documentNode';
import { summarize } from '../../extension/keras/summary';
import { describePosition, fillArray, prepareInputs } from '../../extension/keras/inputs';
import { InputError } from '../../extension/keras/errors';
import { tracesToCsv } from '../../extension/keras/traceExport';
import { walkthrough } from '../../webview/logic/stepMath';
import { kerasMajorOf, layerInputSequence, traceQuantities } from '../../webview/logic/traceInput';
import { figureFileName, fileWord, quantitySymbol, quantityTitle, stepLabel } from '../../webview/logic/vocab';
import { modelBytes } from './helpers/modelBytes';
import { goldenDir, modelFiles } from './helpers/paths';

/** A storage key where a label belongs: "hh" as a word (not inside "hhh" or "x_hh"), or the SimpleRNN's "pre". */
const KEY_WORD = /(^|[^A-Za-z_])(hh|pre)([^A-Za-z_-]|$)/;
/** Every "t = N" a text shows; a time step shown as 0 is a 0-based index leaking into a label. */
const shownT = (text: string): number[] => [...text.matchAll(/\bt = (\d+)/g)].map((m) => Number(m[1]));

const MODELS = [
  { file: path.join(goldenDir, 'b_simplernn5_tanh.h5'), cell: 'SimpleRNN' },
  { file: path.join(modelFiles, 'stock-gru-functional.h5'), cell: 'GRU' },
  { file: path.join(modelFiles, 'lstm-ae-timedist.keras'), cell: 'LSTM' },
];

test('time steps are labelled from 1: index 0 is t = 1', () => {
  assert.equal(stepLabel(0), '1');
  assert.equal(stepLabel(9), '10');
});

test('an input error names its time step from t = 1 (sample and feature stay 0-based indices)', () => {
  assert.equal(describePosition([2, 3, 4], 0, ['N', 'T', 'D']), 'sample 0, t = 1, feature 0');
  assert.equal(describePosition([2, 3, 4], 1 * 12 + 2 * 4 + 3, ['N', 'T', 'D']), 'sample 1, t = 3, feature 3');
});

test('file names of exported images carry the symbol in ASCII: h̃ → htilde', () => {
  assert.equal(fileWord('h̃'), 'htilde');
  assert.equal(fileWord('c̃'), 'ctilde');
  assert.equal(fileWord('h'), 'h');
  assert.equal(fileWord('…'), 'values');
});

for (const { file, cell } of MODELS) {
  test(`${cell} (${path.basename(file)}): labels, step walk-through and CSV show symbols and t = 1..T`, async () => {
    const result = await executeRun({ runId: 1, model: modelBytes(file), input: { kind: 'random', seed: 5, n: 1 } });
    const doc = await loadModel(file);
    const summary = summarize(doc);
    const traces = result.traces.filter((t) => t.cell.key === cell || t.cell.title === cell);
    assert.ok(traces.length > 0, `the run traced a ${cell}; it traced ${result.traces.map((t) => t.cell.key).join(', ')}`);
    for (const tr of traces) {
      const keys = traceQuantities(tr).map((q) => q.key);
      for (const q of traceQuantities(tr)) assert.doesNotMatch(q.label, KEY_WORD, `picker label "${q.label}"`);
      for (const key of keys) {
        for (const shown of [quantitySymbol(tr.cell, key), quantityTitle(tr.cell, key), figureFileName(tr.layer, tr.cell, key, 'heatmap'), figureFileName(tr.layer, tr.cell, key, 'chart')]) {
          assert.doesNotMatch(shown, KEY_WORD, `${cell} ${key}: "${shown}"`);
        }
      }
      if (cell === 'GRU') {
        assert.ok(keys.includes('hh'), 'the GRU trace keeps its candidate');
        assert.equal(quantitySymbol(tr.cell, 'hh'), 'h̃');
        assert.equal(figureFileName('gru', tr.cell, 'hh', 'heatmap'), 'gru-htilde-heatmap.png');
      }

      const w = result.recurrentWeights.find((x) => x.layer === tr.layer && (x.direction ?? '') === (tr.direction ?? ''));
      assert.ok(w, `weights of ${tr.layer}`);
      const input = layerInputSequence(result, summary, tr.layer, w);
      assert.ok(input, `input of ${tr.layer}`);
      for (const step of [0, tr.steps - 1]) {
        const wt = walkthrough({ weights: w, trace: tr, input, step, sample: 0, kerasMajor: kerasMajorOf(summary.kerasVersion, summary.format) });
        const texts = [wt.title, ...wt.equations, ...wt.notes, ...wt.rows.flatMap((r) => [r.label, r.expr, r.group ?? ''])];
        for (const text of texts) {
          assert.doesNotMatch(text, /(^|[^A-Za-z_])hh([^A-Za-z_]|$)/, `step ${step + 1}: "${text}"`);
          assert.doesNotMatch(text, /\brow \d/, `step ${step + 1} names a 0-based row: "${text}"`);
          for (const t of shownT(text)) assert.ok(t >= 1 && t <= tr.steps, `step ${step + 1}: "${text}" shows t = ${t} outside 1..${tr.steps}`);
        }
        const xRow = wt.rows[0];
        assert.equal(xRow.expr, `input at t = ${step + 1}`, 'the input row of a forward layer reads x at t = k');
      }

      // The trace CSV: k and t run 1..T, the quantity column holds symbols.
      const rows = tracesToCsv([tr]).trim().split('\n').slice(1).map((l) => l.split(','));
      const ks = rows.map((r) => Number(r[r.length - 6]));
      const ts = rows.map((r) => Number(r[r.length - 5]));
      assert.deepEqual([Math.min(...ks), Math.max(...ks)], [1, tr.steps]);
      assert.deepEqual([Math.min(...ts), Math.max(...ts)], [1, tr.steps]);
      const quantities = new Set(rows.map((r) => r[r.length - 3]));
      for (const q of quantities) assert.doesNotMatch(q, KEY_WORD, `CSV quantity "${q}"`);
    }
  });
}

test('an Embedding token outside the vocabulary is reported at t = 1..T', async () => {
  const doc = await loadModel(path.join(modelFiles, 'emotion-embed-lstm.h5'));
  const x = fillArray('zeros', [1, 17]);
  x.data[0] = 100; // the first time step
  assert.throws(() => prepareInputs(doc, x), (e: unknown) => e instanceof InputError && /Token 100 at sample 0, t = 1 is outside/.test(e.message));
});
