// UI: one inspector per file. Every way to run (the palette's Run Forward Pass…, the editor title's ▶, the Model
// Layers view's ▶) runs in the inspector already showing the file, and Open Inspector Panel brings that one to the
// front: after all of them the editor area holds exactly one tab for the file. Its results and the chosen step survive
// switching to another tab and back. Real workbench at 1280×800 with the sidebar open, then at 760 px.
//
// Golden model b is SimpleRNN(5) over T = 10, D = 3 → Dense(2); a run's trace has T = 10 steps.

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { explorerRow, pickQuickItem, runPaletteCommand, sleep, webviewFrame } from '../vscode/harness';
import { keepLog, openWorkbench, type Workbench } from './fixture';

const MODEL = 'b_simplernn5_tanh.keras';
const OTHER = 'tesla-simplernn.keras';
let wb: Workbench | undefined;
let failed = false;

before(async () => {
  wb = await openWorkbench({ readyFile: OTHER, name: 'one-inspector' });
  await wb.page.setViewportSize({ width: 1280, height: 800 });
}, { timeout: 240_000 });

after(async () => {
  if (failed) keepLog(wb, 'one-inspector');
  await wb?.close();
}, { timeout: 60_000 });

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try { return await fn(); } catch (e) { failed = true; await wb!.shot(`failure-${Date.now()}`); throw e; }
}

/** Editor tabs (every group) whose label is the file's name. */
function tabsOf(page: Page, file: string) {
  return page.locator('.tabs-container .tab', { has: page.locator('.label-name', { hasText: new RegExp(`^${file.replace(/\./g, '\\.')}$`) }) });
}

/** The id of the run the visible inspector shows, once it differs from `before`. */
async function nextRunId(page: Page, before: string | null): Promise<string> {
  const root = webviewFrame(page).locator('[data-testid="results-root"][data-run-id]');
  for (let waited = 0; waited < 90_000; waited += 250) {
    const id = await root.getAttribute('data-run-id', { timeout: 1000 }).catch(() => null);
    // A run from a command, painted: the status line says what ran and how long it took in all.
    const status = await webviewFrame(page).locator('[data-testid="run-status"]').innerText({ timeout: 1000 }).catch(() => '');
    if (id && id !== before && /^Ran .* in all/.test(status)) return id;
    await sleep(250);
  }
  throw new Error(`no new run shown (still ${before})`);
}

/** Answers the input question of Run Forward Pass… with a fill. */
async function pickInput(page: Page, label: string): Promise<void> {
  await pickQuickItem(page, label, { timeout: 30_000 });
}

test('palette, editor title ▶ and the tree\'s ▶ run in the one inspector; Open Inspector Panel opens no copy', { timeout: 420_000 }, () => guard(async () => {
  const { page } = wb!;
  // 1. The palette, with no inspector open: asks for the model, opens its inspector and runs there.
  await runPaletteCommand(page, 'Run Forward Pass…');
  await pickQuickItem(page, MODEL, { filter: MODEL });
  await pickInput(page, 'Ramp 1..T');
  const first = await nextRunId(page, null);
  assert.equal(await tabsOf(page, MODEL).count(), 1, 'one tab for the file after the palette run');
  assert.equal(await page.locator('.tabs-container .tab', { hasText: /^RNN:/ }).count(), 0, 'no separate "RNN: …" panel');
  await page.mouse.move(5, 5);
  await wb!.shot('1-palette-run-1280');

  // 2. The palette again, the inspector in front: no model question, the run lands in the same inspector.
  await runPaletteCommand(page, 'Run Forward Pass…');
  await pickInput(page, 'Zeros');
  const second = await nextRunId(page, first);
  assert.equal(await tabsOf(page, MODEL).count(), 1, 'one tab after the second palette run');

  // 3. The editor title's ▶ on the inspector.
  const titleRun = page.locator('.editor-group-container.active .editor-actions .action-label[aria-label^="Run Forward Pass"]').first();
  await titleRun.waitFor({ state: 'visible', timeout: 30_000 });
  await titleRun.click();
  await pickInput(page, 'Ramp 1..T');
  const third = await nextRunId(page, second);
  assert.equal(await tabsOf(page, MODEL).count(), 1, 'one tab after the editor title ▶');

  // 4. The Model Layers view's ▶ (the tree shows the file): the same inspector again.
  const layersPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /Model Layers/i }) });
  await layersPane.locator('.monaco-list-row', { hasText: /SimpleRNN/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
  await layersPane.locator('.pane-header').hover();
  const treeRun = layersPane.locator('.pane-header .actions .action-label[aria-label^="Run Forward Pass"]').first();
  await treeRun.click();
  await pickInput(page, 'Zeros');
  const fourth = await nextRunId(page, third);
  assert.equal(await tabsOf(page, MODEL).count(), 1, 'one tab after the tree\'s ▶');

  // 5. Open Inspector Panel: brings the same inspector to the front, still one tab, same run shown.
  await runPaletteCommand(page, 'Open Inspector Panel');
  await sleep(1500);
  assert.equal(await tabsOf(page, MODEL).count(), 1, 'one tab after Open Inspector Panel');
  assert.equal(await webviewFrame(page).locator('[data-testid="results-root"]').getAttribute('data-run-id'), fourth, 'the inspector in front shows the last run');
  await page.mouse.move(5, 5);
  await sleep(300);
  await wb!.shot('2-after-all-run-paths-1280');
}));

test('results and the chosen step survive switching to another tab and back (1280 and 760 px)', { timeout: 300_000 }, () => guard(async () => {
  const { page } = wb!;
  const frame = webviewFrame(page);
  const runId = await frame.locator('[data-testid="results-root"]').getAttribute('data-run-id');
  assert.ok(runId, 'a run is shown');
  // Choose step t = 3 (processing step 2) in the hidden-state table.
  await frame.locator('[data-testid="tab-results"]').click();
  const cell = frame.locator('[data-testid="state-cell"][data-step="2"]').first();
  await cell.scrollIntoViewIfNeeded();
  await cell.click();
  await frame.locator('[data-testid="equation-box"][data-step="2"]').first().waitFor({ state: 'visible', timeout: 30_000 });

  // Another file in front, then back to the inspector's tab.
  await explorerRow(page, OTHER).dblclick();
  await page.locator('.tab.active', { hasText: OTHER }).waitFor({ state: 'visible', timeout: 30_000 });
  await webviewFrame(page).locator('[data-testid="header-file"]', { hasText: OTHER }).waitFor({ state: 'visible', timeout: 30_000 });
  await tabsOf(page, MODEL).first().click();
  await page.locator('.tab.active', { hasText: MODEL }).waitFor({ state: 'visible', timeout: 30_000 });
  const back = webviewFrame(page);
  await back.locator('[data-testid="header-file"]', { hasText: MODEL }).waitFor({ state: 'visible', timeout: 30_000 });
  assert.equal(await back.locator('[data-testid="results-root"]').getAttribute('data-run-id'), runId, 'the same run is shown');
  assert.ok(await back.locator('[data-testid="equation-box"][data-step="2"]').first().isVisible(), 'step t = 3 is still the chosen one');
  assert.equal(await tabsOf(page, MODEL).count(), 1, 'still one tab for the file');
  await page.mouse.move(5, 5);
  await sleep(300);
  await wb!.shot('3-step-kept-after-tab-switch-1280');

  // 760 px: the same inspector, the same step, after another switch.
  await page.setViewportSize({ width: 760, height: 800 });
  await tabsOf(page, OTHER).first().click();
  await page.locator('.tab.active', { hasText: OTHER }).waitFor({ state: 'visible', timeout: 30_000 });
  await tabsOf(page, MODEL).first().click();
  await page.locator('.tab.active', { hasText: MODEL }).waitFor({ state: 'visible', timeout: 30_000 });
  const narrow = webviewFrame(page);
  await narrow.locator('[data-testid="equation-box"][data-step="2"]').first().waitFor({ state: 'visible', timeout: 30_000 });
  assert.equal(await narrow.locator('[data-testid="results-root"]').getAttribute('data-run-id'), runId);
  await narrow.locator('[data-testid="equation-box"][data-step="2"]').first().scrollIntoViewIfNeeded();
  await sleep(300);
  await wb!.shot('4-step-kept-760');
  await page.setViewportSize({ width: 1280, height: 800 });
}));

test('an .h5 shown as a plain editor is reopened as the inspector in its place, not beside it', { timeout: 240_000 }, () => guard(async () => {
  const { page } = wb!;
  const H5 = 'covid-simplernn.h5';
  // Double-click: with the default settings an .h5 opens in VS Code's own editor (the "binary file" notice).
  await explorerRow(page, H5).dblclick();
  await page.locator('.tab.active', { hasText: H5 }).waitFor({ state: 'visible', timeout: 30_000 });
  assert.equal(await tabsOf(page, H5).count(), 1, 'one plain tab after the double-click');
  await runPaletteCommand(page, 'Inspect RNN');
  // The palette may ask which model: the one in front is the answer.
  const asked = await page.locator('.quick-input-widget').isVisible().catch(() => false);
  if (asked) await pickQuickItem(page, H5, { filter: H5 }).catch(() => undefined);
  await webviewFrame(page).locator('[data-testid="header-file"]', { hasText: H5 }).waitFor({ state: 'visible', timeout: 60_000 });
  await sleep(1000);
  assert.equal(await tabsOf(page, H5).count(), 1, 'the inspector took the plain tab\'s place');
  await page.mouse.move(5, 5);
  await wb!.shot('5-h5-reopened-in-place-1280');
}));
