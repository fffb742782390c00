// UI: the Python hover as a user sees it in the real VS Code (code-server, 1280×800, Explorer sidebar open). The
// mouse rests on `Dense` in `model.add(Dense(2))` after `model.add(SimpleRNN(5, input_shape=(10, 3)))`, in a .py
// file and in a Jupyter notebook (.ipynb, VS Code's built-in notebook editor; the SimpleRNN is in the cell above),
// and the hover widget reads D = 5 and 5·2 + 2 = 12. Screenshots at 1280 and 760 px wide go to test-artifacts/ui/.
//
// Expected by hand: Dense over D = 5 (the SimpleRNN's M units) to K = 2: D·K + K = 5·2 + 2 = 12.

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { explorerRow, sleep } from '../vscode/harness';
import { keepLog, openWorkbench, type Workbench } from './fixture';

const PY = 'rnn_model.py';
const NB = 'rnn_notebook.ipynb';
const PY_TEXT = [
  'from keras.models import Sequential',
  'from keras.layers import SimpleRNN, Dense',
  '',
  'model = Sequential()',
  'model.add(SimpleRNN(5, input_shape=(10, 3)))',
  'model.add(Dense(2))',
  'model.summary()',
  '',
].join('\n');

function writeFiles(dir: string): void {
  fs.writeFileSync(path.join(dir, PY), PY_TEXT);
  const cell = (source: string) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: source.split(/(?<=\n)/) });
  fs.writeFileSync(
    path.join(dir, NB),
    JSON.stringify({
      cells: [
        cell('from keras import Sequential\nfrom keras.layers import SimpleRNN, Dense\nmodel = Sequential()'),
        cell('model.add(SimpleRNN(5, input_shape=(10, 3)))'),
        cell('model.add(Dense(2))\nmodel.summary()'),
      ],
      metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' }, language_info: { name: 'python' } },
      nbformat: 4,
      nbformat_minor: 5,
    }, null, 1),
  );
}

let wb: Workbench | undefined;
let failed = false;

before(async () => {
  wb = await openWorkbench({ readyFile: PY, name: 'hover', extra: writeFiles, settings: { 'editor.hover.delay': 200, 'workbench.startupEditor': 'none' } });
  await wb.page.setViewportSize({ width: 1280, height: 800 });
}, { timeout: 300_000 });

after(async () => {
  if (failed) keepLog(wb, 'hover');
  await wb?.close();
}, { timeout: 60_000 });

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try { return await fn(); } catch (e) { failed = true; await wb!.shot(`failure-${Date.now()}`); throw e; }
}

/** Rests the mouse on the word `Dense` inside `scope` until VS Code's hover widget shows the count; returns its text. */
async function hoverDense(page: Page, scope: Locator): Promise<string> {
  const word = scope.locator('.view-line span', { hasText: /^Dense$/ }).first();
  await word.waitFor({ state: 'visible', timeout: 60_000 });
  const widget = page.locator('.monaco-hover:visible, .monaco-resizable-hover:visible').filter({ hasText: /params|Parameters/ }).first();
  for (let attempt = 0; attempt < 5; attempt++) {
    const box = (await word.boundingBox())!;
    await page.mouse.move(box.x + 2, box.y + box.height / 2);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 4 });
    if (await widget.waitFor({ state: 'visible', timeout: 8_000 }).then(() => true, () => false)) break;
    await page.mouse.move(5, 300);
    await sleep(500);
  }
  await widget.waitFor({ state: 'visible', timeout: 5_000 });
  await sleep(300); // the widget grows to its final size after it appears
  return widget.innerText();
}

test('.py file: hovering Dense(2) after SimpleRNN(5, input_shape=(10, 3)) shows D = 5 and 5·2 + 2 = 12', { timeout: 240_000 }, () => guard(async () => {
  const { page } = wb!;
  await explorerRow(page, PY).dblclick();
  const editor = page.locator('.editor-group-container .monaco-editor', { has: page.locator('.view-line', { hasText: 'SimpleRNN(5' }) }).first();
  await editor.waitFor({ state: 'visible', timeout: 60_000 });
  const text = await hoverDense(page, editor);
  assert.match(text, /5·2 \+ 2 = 12/);
  assert.match(text, /D = 5 \(the width of the layer before: SimpleRNN's M\)/);
  assert.doesNotMatch(text, /input features per time step/);
  const shot = await wb!.shot('py-1280');
  assert.ok(fs.statSync(shot).size > 10_000, 'a screenshot was written');
  await page.setViewportSize({ width: 760, height: 800 });
  await page.mouse.move(5, 300);
  await sleep(500);
  const narrow = await hoverDense(page, editor);
  assert.match(narrow, /5·2 \+ 2 = 12/);
  await wb!.shot('py-760');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.mouse.move(5, 300);
}));

test('.ipynb notebook: the Dense cell sees the SimpleRNN in the cell above and the hover shows 5·2 + 2 = 12', { timeout: 240_000 }, () => guard(async () => {
  const { page } = wb!;
  await explorerRow(page, NB).dblclick();
  // The notebook editor keeps hidden twins of its root element: the cell editors are what is visible.
  const cell = page.locator('.notebook-editor .cell-editor-container .monaco-editor:visible', { has: page.locator('.view-line', { hasText: 'Dense(2)' }) }).first();
  await cell.waitFor({ state: 'visible', timeout: 90_000 });
  const text = await hoverDense(page, cell);
  assert.match(text, /5·2 \+ 2 = 12/);
  assert.match(text, /D = 5 \(the width of the layer before: SimpleRNN's M\)/);
  await wb!.shot('ipynb-1280');
  await page.setViewportSize({ width: 760, height: 800 });
  await page.mouse.move(5, 300);
  await sleep(500);
  assert.match(await hoverDense(page, cell), /5·2 \+ 2 = 12/);
  await wb!.shot('ipynb-760');
}));
