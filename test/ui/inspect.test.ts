// UI: Explorer right-click on a model file → "Inspect RNN" → the Model Layers tree lists the layers with their
// parameter counts, and the inspector panel opens on the same model. Real workbench, real browser.
//
// Expected numbers, by hand from the file's config (tesla-simplernn.keras: Input (None, 60, 1) → SimpleRNN(50) →
// Dropout → Dense(1)), D = 1, M = 50, K = 1:
//   SimpleRNN: D·M + M·M + M = 50 + 2500 + 50 = 2600;  Dense: M·K + K = 51;  total 2651 (the catalog says 2651).

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { explorerContextAction, explorerRow, sleep, webviewFrame } from '../vscode/harness';
import { keepLog, openWorkbench, type Workbench } from './fixture';

const MODEL = 'tesla-simplernn.keras';
let wb: Workbench | undefined;
let failed = false;

before(async () => {
  wb = await openWorkbench({ readyFile: MODEL, name: 'inspect' });
}, { timeout: 240_000 });

after(async () => {
  if (failed) keepLog(wb, 'inspect');
  await wb?.close();
}, { timeout: 60_000 });

test('Explorer right-click → Inspect RNN shows the layers in the tree and opens its inspector', { timeout: 240_000 }, async () => {
  const { page } = wb!;
  try {
    // Screenshot the open menu first (for the record), then run the entry with retries.
    await explorerRow(page, MODEL).click({ button: 'right' });
    const item = page.locator('.context-view .monaco-menu .action-item', { hasText: /^Inspect RNN/ }).first();
    if (await item.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false)) {
      await sleep(300); // the menu fades in
      await wb!.shot('1-context-menu');
    }
    await page.keyboard.press('Escape');
    await explorerContextAction(page, MODEL, /^Inspect RNN/, page.locator('.tab', { hasText: MODEL }).first());

    // The Model Layers tree: one row per layer, labelled with the class (case-sensitive: the model row says "simplernn")
    // and the annotated output shape.
    const tree = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /Model Layers/i }) });
    const rnnRow = tree.locator('.monaco-list-row', { hasText: /SimpleRNN/ }).first();
    const denseRow = tree.locator('.monaco-list-row', { hasText: /Dense/ }).first();
    await rnnRow.waitFor({ state: 'visible', timeout: 30_000 });
    await denseRow.waitFor({ state: 'visible' });
    const rnnText = (await rnnRow.innerText()).replace(/\s+/g, ' ');
    const denseText = (await denseRow.innerText()).replace(/\s+/g, ' ');
    assert.match(rnnText, /\b50\)/, `the SimpleRNN row shows M = 50 in its output shape: "${rnnText}"`);
    assert.match(rnnText, /2,600 params/, `SimpleRNN row: "${rnnText}"`);
    assert.match(denseText, /\b51 params/, `Dense row: "${denseText}"`);
    assert.ok(await tree.locator('.monaco-list-row', { hasText: /Dropout/ }).count() >= 1, 'the Dropout layer is listed');

    // The inspector, opened on the same file, shows the totals in its header.
    await page.locator('.tab', { hasText: MODEL }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const frame = webviewFrame(page);
    const params = frame.locator('[data-testid="header-params"]');
    await params.waitFor({ state: 'visible', timeout: 30_000 });
    assert.match(await params.innerText(), /2,651/);
    assert.match(await frame.locator('[data-testid="header-file"]').innerText(), new RegExp(MODEL.replace('.', '\\.')));
    const layerRows = frame.locator('[data-testid="layer-row"]');
    const names = await layerRows.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-layer')));
    for (const n of ['simple_rnn', 'dropout', 'dense']) assert.ok(names.includes(n), `layer table lists ${n}: ${names.join(', ')}`);
    await sleep(300);
    await wb!.shot('2-tree-and-panel');
  } catch (e) {
    failed = true;
    await wb!.shot('failure');
    throw e;
  }
});
