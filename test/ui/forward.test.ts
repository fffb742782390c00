// UI: Palette → "Run Forward Pass…" → golden model b (SimpleRNN(5, tanh) over T = 10, D = 3 → Dense(2)) → the ramp
// input → the panel's hidden-state table, read out of the webview (iframe.webview.ready → #active-frame), equals
// what the core computes in this process for the same input. (The core itself is checked against Keras' golden
// values in the unit tests; this checks that the UI shows exactly the core's numbers, cell by cell.)
//
// The ramp, as the product defines it: within each sample 1, 2, 3, … in row-major order, x[n, t, d] = 1 + t·D + d.

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { pickQuickItem, runPaletteCommand, sleep, webviewFrame } from '../vscode/harness';
import { keepLog, openWorkbench, type Workbench } from './fixture';
import { loadModel } from '../../extension/keras/documentNode';
import { runForward } from '../../extension/keras/forward';
import { tensor } from '../../extension/keras/tensor';

const MODEL = 'b_simplernn5_tanh.h5';
const T = 10, D = 3, M = 5;
let wb: Workbench | undefined;
let failed = false;

before(async () => {
  wb = await openWorkbench({ readyFile: 'tesla-simplernn.keras', name: 'forward' });
}, { timeout: 240_000 });

after(async () => {
  if (failed) keepLog(wb, 'forward');
  await wb?.close();
}, { timeout: 60_000 });

test('Run Forward Pass… with a ramp on golden model b shows the core\'s hidden states h_t', { timeout: 240_000 }, async () => {
  const { page } = wb!;
  try {
    await runPaletteCommand(page, 'Run Forward Pass…');
    // Which model: the quick pick of the workspace's model files.
    await pickQuickItem(page, MODEL, { filter: MODEL });
    // Which input: the ramp 1..T.
    await pickQuickItem(page, 'Ramp 1..T');
    // A model whose T is None asks for T; model b has T = 10, but answer it if asked.
    const tBox = page.locator('.quick-input-widget', { hasText: 'Time steps T' });
    if (await tBox.isVisible().catch(() => false)) { await page.locator('.quick-input-widget input').fill(String(T)); await page.keyboard.press('Enter'); }

    const frame = webviewFrame(page);
    const table = frame.locator('[data-testid="state-table"][data-quantity="h"]').first();
    // Wait for the table, or fail at once with the panel's own sentence when the run stopped or errored.
    const stopped = frame.locator('[data-testid="run-stopped"]:visible, [data-testid="error-banner"]:visible').first();
    await table.or(stopped).waitFor({ state: 'visible', timeout: 60_000 });
    if (!(await table.isVisible())) {
      await wb!.shot('1-run-stopped');
      assert.fail(`the run showed no hidden-state table: "${(await stopped.innerText()).trim()}"`);
    }
    const layer = await table.getAttribute('data-layer');
    const cells = await frame.locator('[data-testid="state-table"][data-quantity="h"] [data-testid="state-cell"]').evaluateAll((els) =>
      els.map((e) => ({ step: Number(e.getAttribute('data-step')), unit: Number(e.getAttribute('data-unit')), value: Number(e.getAttribute('data-value')) })));
    await table.scrollIntoViewIfNeeded(); // the screenshot shows the table itself
    await page.mouse.move(5, 5); // no hover tooltip over the table in the screenshot
    await sleep(300);
    await wb!.shot('1-hidden-state-table');

    // The same run in the core, on the workspace's copy of the file.
    const doc = await loadModel(path.join(wb!.ws.dir, 'samples', MODEL));
    const x = tensor([1, T, D], Array.from({ length: T * D }, (_, i) => 1 + i));
    const result = await runForward(doc, [x]);
    const trace = result.traces.find((tr) => tr.layer === layer);
    assert.ok(trace, `the core has a trace for layer ${layer}; it has ${result.traces.map((tr) => tr.layer).join(', ')}`);
    assert.equal(trace.steps, T);
    assert.equal(trace.units, M);

    assert.equal(cells.length, T * M, `the table shows every step and unit (T·M = ${T * M} cells)`);
    const seen = new Set<string>();
    for (const c of cells) {
      seen.add(`${c.step},${c.unit}`);
      const expected = trace.values.h[(c.step * trace.batch + 0) * trace.units + c.unit];
      assert.ok(Math.abs(c.value - expected) <= 1e-6, `h[step ${c.step}][unit ${c.unit}]: the panel shows ${c.value}, the core ${expected}`);
    }
    assert.equal(seen.size, T * M, 'no cell shown twice');
    // tanh keeps every hidden state in [-1, 1] (a ramp up to 30 saturates late steps to exactly ±1 in floating point).
    for (const c of cells) assert.ok(Math.abs(c.value) <= 1, `|h| <= 1 under tanh, got ${c.value}`);
  } catch (e) {
    failed = true;
    await wb!.shot('failure');
    throw e;
  }
});
