// Regenerates the README screenshots (media/screenshots/*.png) in the real VS Code (code-server + Chromium) at the
// default 1280×800 with the sidebar open (Explorer + Model Layers):
//   tree-hover.png     golden model b inspected; the mouse on the SimpleRNN row of Model Layers shows its count explained
//   step-equation.png  golden model b run on its saved input; step 3 clicked writes out h_3 in numbers
//   heatmap.png        a real LSTM (arima-lstm-k3h5, M = 50, T = 60) run on its seeded input; the h_t heatmap
//   node --import tsx scripts/screenshot.ts        (needs what `npm test` needs: code-server and Chromium; run `npm run build` first)
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { explorerContextAction, explorerRow, pickQuickItem, repoRoot, runPaletteCommand, sharedRoot, sleep, webviewFrame } from '../test/vscode/harness';
import { openWorkbench } from '../test/ui/fixture';

const outDir = path.join(repoRoot, 'media', 'screenshots');
const B = 'b_simplernn5_tanh.h5';
const LSTM = 'arima-lstm-k3h5';

/** The real LSTM and its seeded input, saved beside it so Run Forward Pass offers it. */
function addLstm(dir: string): void {
  fs.copyFileSync(path.join(sharedRoot, 'models/files', `${LSTM}.h5`), path.join(dir, `${LSTM}.h5`));
  fs.copyFileSync(path.join(sharedRoot, 'models/inputs', `${LSTM}.json`), path.join(dir, `${LSTM}.input.json`));
}

async function save(page: Page, name: string): Promise<void> {
  fs.mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, name);
  await page.screenshot({ path: out });
  console.log(`wrote ${out} (${Math.round(fs.statSync(out).size / 1024)} KB)`);
}

/** Run Forward Pass… in the inspector in front (it showing `file`) with the input saved beside it; waits for the hidden-state table. */
async function runWithSavedInput(page: Page, file: string): Promise<void> {
  await page.locator('.tab.active', { hasText: file }).first().waitFor({ state: 'visible', timeout: 60_000 });
  await runPaletteCommand(page, 'Run Forward Pass…');
  await pickQuickItem(page, 'the input saved beside this model', { timeout: 30_000 });
  const frame = webviewFrame(page);
  await frame.locator('[data-testid="state-table"][data-quantity="h"]').first().waitFor({ state: 'visible', timeout: 120_000 });
}

async function main(): Promise<void> {
  const wb = await openWorkbench({
    readyFile: 'tesla-simplernn.keras', name: 'readme', extra: addLstm,
    settings: { 'workbench.hover.delay': 300, 'workbench.startupEditor': 'none' },
  });
  try {
    const { page } = wb;
    await page.setViewportSize({ width: 1280, height: 800 });

    // 1. Model Layers tree of golden model b, tooltip on the SimpleRNN row.
    await explorerRow(page, 'samples').click();
    await explorerRow(page, B).waitFor({ state: 'visible', timeout: 30_000 });
    await explorerContextAction(page, B, /^Inspect RNN/, page.locator('.tab.active', { hasText: B }).first());
    const tree = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /Model Layers/i }) });
    const rnnRow = tree.locator('.monaco-list-row', { hasText: /SimpleRNN[\s\S]*\b45 params/ }).first();
    await rnnRow.waitFor({ state: 'attached', timeout: 30_000 });
    await rnnRow.scrollIntoViewIfNeeded();
    const tooltip = page.locator('.workbench-hover:visible, .monaco-hover:visible').filter({ hasText: /45/ }).first();
    for (let attempt = 0; attempt < 5; attempt++) {
      const box = (await rnnRow.boundingBox())!;
      await page.mouse.move(box.x + 60, box.y + box.height / 2, { steps: 4 });
      if (await tooltip.waitFor({ state: 'visible', timeout: 6_000 }).then(() => true, () => false)) break;
      await page.mouse.move(1000, 52);
      await sleep(500);
    }
    if (!(await tooltip.isVisible())) { await page.screenshot({ path: '/tmp/shots-debug.png' }); throw new Error('no tooltip on the SimpleRNN row (see /tmp/shots-debug.png)'); }
    await sleep(400); // the hover grows to its final size after it appears
    await save(page, 'tree-hover.png');
    await page.mouse.move(1000, 52);
    await page.keyboard.press('Escape');

    // 2. Golden model b run on its saved input; step 3 clicked.
    await runWithSavedInput(page, B);
    const frame = webviewFrame(page);
    const cell = frame.locator('[data-testid="state-table"][data-quantity="h"] [data-testid="state-cell"][data-step="2"][data-unit="0"]').first();
    await cell.waitFor({ state: 'visible', timeout: 60_000 });
    await cell.click();
    const equation = frame.locator('[data-testid="equation-box"]').first();
    await equation.waitFor({ state: 'visible', timeout: 30_000 });
    await equation.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.mouse.move(1000, 52);
    await sleep(500);
    await save(page, 'step-equation.png');

    // 3. The real LSTM on its seeded input: the h_t heatmap in Results.
    await explorerContextAction(page, `${LSTM}.h5`, /^Inspect RNN/, page.locator('.tab.active', { hasText: `${LSTM}.h5` }).first());
    await runWithSavedInput(page, `${LSTM}.h5`);
    const heat = webviewFrame(page).locator('[data-testid="state-heatmap"]').first();
    await heat.waitFor({ state: 'visible', timeout: 60_000 });
    // From the trace explorer's top: its layer, sample and quantity pickers above the heatmap.
    await webviewFrame(page).locator('[data-testid="trace-explorer"]').first().evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.mouse.move(1000, 52);
    await sleep(800);
    await save(page, 'heatmap.png');
  } finally {
    await wb.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
