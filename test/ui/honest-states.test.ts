// UI: honest states, in the real workbench at 1280×800 with the sidebar open and at 760 px.
// - A run that stops at a layer it cannot compute (tourism-custom-attention-k350: Input (12, 4) → LSTM(50) → a custom
//   AttentionLayer → Dense(1)) is shown as stopped, says where, and the LSTM that did run is explorable step by step.
// - A model that cannot run at all (malicious-custom-model.keras: a custom model class) has Run disabled with the reason.
// - Each error is said once: no notification on top of the page, the tree row does not repeat the sentence.
// - An unreadable file (a Git LFS pointer) opens an editor that shows its one sentence; a weights-only file without
//   its architecture says what to do in VS Code words (no CLI flag such as --config).
// - The tree and the status bar follow a file changed on disk, and the status bar steps aside for a .py file.

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { explorerContextAction, explorerRow, sharedRoot, sleep } from '../vscode/harness';
import { keepLog, openWorkbench, type Workbench } from './fixture';

const STOPS = 'tourism-custom-attention-k350.keras';
const CANNOT_RUN = 'malicious-custom-model.keras';
const LFS = 'lfs-pointer.h5';
const WEIGHTS_ONLY = 'lonely.weights.h5';
const CHANGES = 'changing.keras';
const PY = 'train.py';
let wb: Workbench | undefined;
let failed = false;

before(async () => {
  wb = await openWorkbench({
    readyFile: CHANGES,
    name: 'honest-states',
    extra: (dir) => {
      fs.copyFileSync(path.join(sharedRoot, 'models2/files', STOPS), path.join(dir, STOPS));
      fs.copyFileSync(path.join(sharedRoot, 'models/files', CANNOT_RUN), path.join(dir, CANNOT_RUN));
      fs.mkdirSync(path.join(dir, 'alone'));
      fs.copyFileSync(path.join(sharedRoot, 'models/files/patalt-simplernn-weights.h5'), path.join(dir, 'alone', WEIGHTS_ONLY));
      // Starts as tesla-simplernn (2,651 params); a test replaces it with golden b (57 params).
      fs.copyFileSync(path.join(sharedRoot, 'models/files/tesla-simplernn.keras'), path.join(dir, CHANGES));
      fs.writeFileSync(path.join(dir, PY), 'from keras.layers import SimpleRNN\nlayer = SimpleRNN(5)\n');
    },
  });
  await wb.page.setViewportSize({ width: 1280, height: 800 });
}, { timeout: 240_000 });

after(async () => {
  if (failed) keepLog(wb, 'honest-states');
  await wb?.close();
}, { timeout: 60_000 });

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try { return await fn(); } catch (e) { failed = true; await wb!.shot(`failure-${Date.now()}`); throw e; }
}

const toasts = (page: Page) => page.locator('.notifications-toasts .notification-toast');
const layersPane = (page: Page) => page.locator('.pane', { has: page.locator('.pane-header', { hasText: /Model Layers/i }) });

async function openInEditor(page: Page, file: string): Promise<void> {
  await explorerRow(page, file).dblclick();
  await page.locator('.tab.active', { hasText: file }).waitFor({ state: 'visible', timeout: 30_000 });
}

/**
 * The page of the inspector showing `file` (several stay loaded while hidden, so "the last visible webview" is not
 * enough): the frame whose header, or not-a-model heading, names the file.
 */
async function frameOf(page: Page, file: string, timeout = 60_000): Promise<Frame> {
  for (let waited = 0; waited < timeout; waited += 250) {
    for (const f of page.frames()) {
      // A string: it runs in the page, where the DOM is (this file is type-checked without it).
      const named = await f.evaluate<string>(`(document.querySelector('[data-testid="header-file"]') ?? document.querySelector('main.kri-not-model h1'))?.textContent ?? ''`).catch(() => '');
      if (named.includes(file)) return f;
    }
    await sleep(250);
  }
  throw new Error(`no inspector page shows ${file}`);
}

/** How many times `needle` occurs in `hay`. */
const occurrences = (hay: string, needle: string) => hay.split(needle).length - 1;

test('a run that stops at a custom layer is shown as stopped, once, with the LSTM before it explorable', { timeout: 300_000 }, () => guard(async () => {
  const { page } = wb!;
  await openInEditor(page, STOPS);
  const frame = await frameOf(page, STOPS);
  const run = frame.locator('[data-testid="run-button"]');
  await run.waitFor({ state: 'visible', timeout: 60_000 });
  await frame.locator('[data-testid="run-button"]:not([disabled])').waitFor({ timeout: 60_000 });
  await run.click();
  const stopped = frame.locator('[data-testid="run-stopped"]');
  await stopped.waitFor({ state: 'visible', timeout: 90_000 });
  const banner = (await stopped.innerText()).replace(/\s+/g, ' ');
  assert.match(banner, /Stopped at layer \d+ \(attention_layer\)/, banner);
  assert.match(banner, /AttentionLayer/, banner);
  // The status line says stopped, never "Ran … in …".
  const status = frame.locator('[data-testid="run-status"]');
  await frame.locator('[data-testid="run-status"]', { hasText: /Stopped at layer/ }).waitFor({ timeout: 30_000 });
  const statusText = await status.innerText();
  assert.doesNotMatch(statusText, /^Ran /, statusText);
  assert.match(statusText, /in all/, `the time counts everything up to the painted results: ${statusText}`);
  // The LSTM ran: its trace is explorable step by step, and its output is listed.
  const table = frame.locator('[data-testid="state-table"][data-layer="lstm"][data-quantity="h"]').first();
  await table.waitFor({ state: 'visible', timeout: 30_000 });
  assert.ok(await frame.locator('[data-testid="state-cell"][data-step="11"]').count() > 0, 'the 12th step (t = 12) is in the table');
  assert.ok(await frame.locator('[data-testid="layer-output"][data-layer="lstm"]').count() >= 1, 'the LSTM\'s output is listed');
  const body = await frame.locator('body').innerText();
  assert.doesNotMatch(body, /no recurrent layer/, 'the model has an LSTM');
  // Once: the stop's sentence is in the banner only, and no notification repeats it.
  const sentence = banner.replace(/^.*?\(attention_layer\)\.\s*/, '').split(' The ')[0].slice(0, 60);
  assert.equal(occurrences(body.replace(/\s+/g, ' '), sentence), 1, `the stop's sentence appears once on the page: "${sentence}"`);
  await sleep(1000);
  assert.equal(await toasts(page).count(), 0, 'no notification on top of the page');
  await stopped.scrollIntoViewIfNeeded();
  await page.mouse.move(5, 5);
  await sleep(300);
  await wb!.shot('1-stopped-run-1280');
  // Explore a step of the LSTM that ran.
  await frame.locator('[data-testid="state-cell"][data-step="2"]').first().click();
  await frame.locator('[data-testid="equation-box"][data-step="2"]').first().waitFor({ state: 'visible', timeout: 30_000 });
  await page.setViewportSize({ width: 760, height: 800 });
  await sleep(500);
  await stopped.scrollIntoViewIfNeeded();
  await wb!.shot('2-stopped-run-760');
  await page.setViewportSize({ width: 1280, height: 800 });
}));

test('a model that cannot run has Run disabled from the start, with the reason beside it and no error banner', { timeout: 240_000 }, () => guard(async () => {
  const { page } = wb!;
  await openInEditor(page, CANNOT_RUN);
  const frame = await frameOf(page, CANNOT_RUN);
  const run = frame.locator('[data-testid="run-button"]');
  await frame.locator('[data-testid="header-file"]', { hasText: CANNOT_RUN }).waitFor({ timeout: 60_000 });
  assert.notEqual(await run.getAttribute('disabled'), null, 'Run is disabled');
  const status = await frame.locator('[data-testid="run-status"]').innerText();
  assert.match(status, /^Run is off: .*custom class/, status);
  assert.equal(await frame.locator('[data-testid="error-banner"]:visible').count(), 0, 'not an error banner: nothing went wrong yet');
  assert.equal(await toasts(page).count(), 0, 'no notification');
  await page.mouse.move(5, 5);
  await sleep(300);
  await wb!.shot('3-cannot-run-1280');
  await page.setViewportSize({ width: 760, height: 800 });
  await sleep(500);
  await wb!.shot('4-cannot-run-760');
  await page.setViewportSize({ width: 1280, height: 800 });
}));

test('an unreadable file opens an editor with its one sentence; the tree and notifications do not repeat it', { timeout: 240_000 }, () => guard(async () => {
  const { page } = wb!;
  await explorerContextAction(page, LFS, /^Inspect RNN/, page.locator('.tab', { hasText: LFS }).first());
  const frame = await frameOf(page, LFS);
  const msg = frame.locator('#kri-error-message');
  await msg.waitFor({ state: 'visible', timeout: 60_000 });
  const sentence = (await msg.innerText()).trim();
  assert.match(sentence, /git lfs pull/i, sentence);
  const row = layersPane(page).locator('.monaco-list-row', { hasText: LFS }).first();
  await row.waitFor({ state: 'visible', timeout: 30_000 });
  const rowText = (await row.innerText()).replace(/\s+/g, ' ');
  assert.match(rowText, /not a readable Keras model/, rowText);
  assert.doesNotMatch(rowText, /lfs pull/i, `the tree row does not repeat the sentence: ${rowText}`);
  await sleep(1000);
  assert.equal(await toasts(page).count(), 0, 'no notification as well');
  await page.mouse.move(5, 5);
  await wb!.shot('5-unreadable-file-1280');

  // A weights-only file without its architecture: the page says what to do with VS Code's own controls.
  await explorerRow(page, 'alone').click();
  await explorerContextAction(page, WEIGHTS_ONLY, /^Inspect RNN/, page.locator('.tab', { hasText: WEIGHTS_ONLY }).first());
  const weightsPage = await frameOf(page, WEIGHTS_ONLY);
  const weights = weightsPage.locator('#kri-error-message');
  await weights.waitFor({ state: 'visible', timeout: 60_000 });
  const said = (await weights.innerText()).trim();
  assert.match(said, /architecture JSON/, said);
  assert.doesNotMatch(said, /--[a-z]/, `no CLI flag: ${said}`);
  assert.ok(await weightsPage.locator('#kri-arch').isVisible(), 'the Choose architecture JSON… button');
  await page.setViewportSize({ width: 760, height: 800 });
  await sleep(500);
  await wb!.shot('6-weights-only-760');
  await page.setViewportSize({ width: 1280, height: 800 });
}));

test('the tree and the status bar follow a file changed on disk; the status bar steps aside for a .py file', { timeout: 300_000 }, () => guard(async () => {
  const { page } = wb!;
  await openInEditor(page, CHANGES);
  const statusItem = page.locator('.statusbar-item', { hasText: /params/ });
  await page.locator('.statusbar-item', { hasText: '2,651 params' }).waitFor({ state: 'visible', timeout: 60_000 });
  const root = layersPane(page).locator('.monaco-list-row', { hasText: CHANGES }).first();
  await layersPane(page).locator('.monaco-list-row', { hasText: '2,651 params' }).first().waitFor({ timeout: 30_000 });

  // Another model's bytes written over the file: golden b, 57 params (45 + 12).
  fs.copyFileSync(path.join(wb!.ws.dir, 'samples', 'b_simplernn5_tanh.keras'), path.join(wb!.ws.dir, CHANGES));
  await page.locator('.statusbar-item', { hasText: '57 params' }).waitFor({ state: 'visible', timeout: 60_000 });
  await layersPane(page).locator('.monaco-list-row', { hasText: /^.*57 params/ }).first().waitFor({ timeout: 30_000 });
  assert.match((await root.innerText()).replace(/\s+/g, ' '), /57 params/, 'the tree\'s model row');
  await (await frameOf(page, CHANGES)).locator('[data-testid="header-params"] .fact-value', { hasText: /^57$/ }).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('.statusbar-item:visible', { hasText: '2,651' }).count(), 0, 'the old count is gone from the status bar');
  await page.mouse.move(5, 5);
  await sleep(300);
  await wb!.shot('7-file-changed-1280');

  // A .py file in front: the model's count is not shown for it.
  await openInEditor(page, PY);
  await statusItem.first().waitFor({ state: 'hidden', timeout: 30_000 });
  assert.equal(await page.locator('.statusbar-item:visible', { hasText: /Keras RNN|params/ }).count(), 0, 'no Keras RNN item while the .py file is active');
  await sleep(300);
  await wb!.shot('8-python-active-1280');
  await page.setViewportSize({ width: 760, height: 800 });
  await sleep(500);
  await wb!.shot('9-python-active-760');
  await page.setViewportSize({ width: 1280, height: 800 });
  // Back to the model: its count again.
  await page.locator('.tabs-container .tab', { hasText: CHANGES }).first().click();
  await page.locator('.statusbar-item', { hasText: '57 params' }).waitFor({ state: 'visible', timeout: 30_000 });
}));
