// UI: the whole notebook in numbers, in the real VS Code. Golden model b (SimpleRNN(5, tanh) over T = 10, D = 3 →
// Dense(2)) is run on its saved input; the output layer's step y = h_T·W_y + b_y is written out with the numbers and
// y equals what Keras printed (−1.3271614, −0.02186675, ../shared/golden); the step equation opens W_x, W_h and b as
// matrices; a weight opens as a numeric grid beside its heatmap; "Copy as np.array" puts text on the clipboard that
// python3 reads back as exactly the values shown (the copy is intercepted in the webview, where navigator.clipboard
// is called). At 1280×800 with the sidebar open, and at 760 px.

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { FrameLocator, Locator } from 'playwright-core';
import { pickQuickItem, runPaletteCommand, sharedRoot, sleep, webviewFrame } from '../vscode/harness';
import { keepLog, openWorkbench, type Workbench } from './fixture';
import { loadModel } from '../../extension/keras/documentNode';
import { runForward } from '../../extension/keras/forward';
import { fromJsonValue, prepareInputs } from '../../extension/keras/inputs';
import { PYTHON_WITH_NUMPY } from '../unit/helpers/python';

const MODEL = 'b_simplernn5_tanh.h5';
const golden = JSON.parse(fs.readFileSync(path.join(sharedRoot, 'golden', 'golden.json'), 'utf8')) as { cases: { id: string; input: number[][][]; keras_output: number[][] }[] };
const caseB = golden.cases.find((c) => c.id === 'b_simplernn5_tanh')!;
const KERAS_Y = caseB.keras_output[0]; // [-1.3271614, -0.02186675], printed by Keras

let wb: Workbench | undefined;
let failed = false;

before(async () => {
  wb = await openWorkbench({ readyFile: 'tesla-simplernn.keras', name: 'notebook' });
  await wb.page.setViewportSize({ width: 1280, height: 800 });
}, { timeout: 240_000 });

after(async () => {
  if (failed) keepLog(wb, 'notebook');
  await wb?.close();
}, { timeout: 60_000 });

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try { return await fn(); } catch (e) { failed = true; await wb!.shot(`failure-${Date.now()}`); throw e; }
}

/** Replaces navigator.clipboard.writeText in the webview with a recorder: each copy's text is kept, in order. */
async function interceptCopies(frame: FrameLocator): Promise<void> {
  // A string, not a function: the test's TypeScript transform would wrap a named function in a helper the page lacks.
  await frame.locator('body').evaluate(`(() => {
    window.__copied = [];
    Object.defineProperty(navigator.clipboard, 'writeText', { configurable: true, value: async (text) => { window.__copied.push(text); } });
  })()`);
}

/** Clicks a copy button and returns the text it put on the clipboard. */
async function copyFrom(frame: FrameLocator, button: Locator): Promise<string> {
  const before = await frame.locator('body').evaluate(() => (globalThis as unknown as { __copied: string[] }).__copied.length);
  await button.click();
  for (let waited = 0; waited < 10_000; waited += 100) {
    const copied = await frame.locator('body').evaluate(() => (globalThis as unknown as { __copied: string[] }).__copied);
    if (copied.length > before) return copied[copied.length - 1];
    await sleep(100);
  }
  throw new Error('the copy button put nothing on the clipboard');
}

/** The copied text as python3 + NumPy read it: its shape, dtype and values (float32 values exactly as float32). */
function pyRead(text: string): { shape: number[]; dtype: string; values: number[] } {
  assert.match(text, /^np\.array\(/, `np.array literal: ${text.slice(0, 80)}`);
  const run = spawnSync(PYTHON_WITH_NUMPY!, ['-c', `import json, sys, numpy as np\na = ${text}\nprint(json.dumps({"shape": list(a.shape), "dtype": str(a.dtype), "values": [float(v) for v in a.ravel()]}))`], { encoding: 'utf8' });
  assert.equal(run.status, 0, `python3 reads the copied text: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const close = (a: number[], b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, `${what}: ${a.length} values, expected ${b.length}`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

/** The widest horizontal overflow of an element's box (0 when it fits). */
const overflow = (l: Locator) => l.evaluate((el) => el.scrollWidth - el.clientWidth);

test('the Dense step, the W matrices, a weight grid beside its heatmap and Copy as np.array on golden b', { timeout: 600_000 }, () => guard(async () => {
  const { page } = wb!;
  if (!PYTHON_WITH_NUMPY) throw new Error('python3 with NumPy is needed to read the copied np.array text back');
  const doc = await loadModel(path.join(wb!.ws.dir, 'samples', MODEL));
  const inputs = prepareInputs(doc, fromJsonValue(caseB.input)).tensors;
  const core = await runForward(doc, inputs);
  const weight = (layer: string, short: string) => doc.root.layers.find((l) => l.name === layer)!.weights.find((w) => w.short === short)!.values();

  await runPaletteCommand(page, 'Run Forward Pass…');
  await pickQuickItem(page, MODEL, { filter: MODEL, timeout: 60_000 });
  await pickQuickItem(page, 'saved beside', { timeout: 60_000 });
  const frame = webviewFrame(page);

  // 1. The output layer's step, written out: y = h_T·W_y + b_y with h_10, W_y, b_y and y in numbers.
  const card = frame.locator('[data-testid="output-step"][data-layer="dense"]');
  const check = card.locator('[data-testid="output-step-check"]');
  await check.waitFor({ state: 'visible', timeout: 120_000 });
  assert.equal(await check.getAttribute('data-agrees'), 'true', await check.innerText());
  assert.equal((await card.locator('[data-testid="output-step-equation"]').innerText()).trim(), 'y = h_T·W_y + b_y');
  const values = async (testid: string) => JSON.parse((await card.locator(`[data-testid="${testid}"]`).getAttribute('data-values'))!) as number[];
  const y = await values('output-step-y');
  close(y, KERAS_Y, 1e-6, 'y recomputed in the panel vs what Keras printed');
  close(await values('output-step-run'), KERAS_Y, 1e-6, "the run's y vs Keras");
  const trace = core.traces.find((t) => t.layer === 'simple_rnn')!;
  close(await values('output-step-input'), trace.values.h.subarray(9 * 5, 10 * 5), 0, 'h_T shown = h_10 of the trace');
  assert.match(await card.locator('[data-testid="output-step-input"] th').innerText(), /h_T = h₁₀/);
  const Wy = weight('dense', 'kernel');
  const wCells = await card.locator('[data-testid="output-step-weights"] td.v').evaluateAll((els) => els.map((e) => ({ r: Number(e.getAttribute('data-row')), c: Number(e.getAttribute('data-col')), v: Number(e.getAttribute('data-value')) })));
  assert.equal(wCells.length, 10, 'W_y is 5×2, every cell shown');
  for (const c of wCells) assert.equal(c.v, Wy[c.r * 2 + c.c], `W_y[${c.r}][${c.c}]`);
  // Each output element as its sum of products, ending in the value.
  const sums = await card.locator('[data-testid="output-step-sums"] .os-sum').allInnerTexts();
  assert.equal(sums.length, 2);
  assert.match(sums[0], /^z₀ = .*·.* = -1\.327161/);
  await card.scrollIntoViewIfNeeded();
  await page.mouse.move(5, 5);
  await sleep(300);
  await wb!.shot('1-output-step-1280');
  assert.ok((await overflow(card)) <= 1, 'the output step fits its card at 1280');

  // 2. Copy as np.array: y, W_y, and every h_t of the trace, at full precision.
  await interceptCopies(frame);
  const yText = await copyFrom(frame, card.locator('[data-testid="copy-np-y"] vscode-button'));
  const yRead = pyRead(yText);
  assert.deepEqual(yRead.shape, [1, 2]);
  assert.equal(yRead.dtype, 'float32');
  close(yRead.values, y.map(Math.fround), 0, 'copied y equals the shown y (as float32)');
  close(yRead.values, KERAS_Y, 1e-6, 'copied y vs Keras');
  const wRead = pyRead(await copyFrom(frame, card.locator('[data-testid="copy-np-w"] vscode-button')));
  assert.deepEqual(wRead.shape, [5, 2]);
  close(wRead.values, Wy, 0, 'copied W_y equals the stored kernel exactly');
  await card.locator('[data-testid="copy-np-w"] .copy-status').waitFor({ state: 'visible' });
  assert.match(await card.locator('[data-testid="copy-np-w"] .copy-status').innerText(), /Copied W_y \(5×2, float32\)/);
  const hRead = pyRead(await copyFrom(frame, frame.locator('[data-testid="copy-np-trace"] vscode-button')));
  assert.deepEqual(hRead.shape, [10, 5], 'h_1..h_10 as T×M');
  close(hRead.values, trace.values.h, 0, 'copied h_1..h_T equals the trace exactly');

  // 3. The step equation's W_x, W_h and b as matrices (step 3).
  await frame.locator('[data-testid="state-cell"][data-step="2"][data-unit="0"]').click();
  const box = frame.locator('[data-testid="equation-box"][data-step="2"]');
  await box.waitFor({ state: 'visible', timeout: 30_000 });
  const block = box.locator('[data-testid="weight-matrices"]');
  await block.locator('summary').click();
  const items = block.locator('[data-testid="weight-matrix-item"]');
  await items.first().waitFor({ state: 'visible' });
  assert.deepEqual(await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-symbol'))), ['W_x', 'W_h', 'b']);
  const wx = weight('simple_rnn', 'kernel');
  const wxCells = await block.locator('[data-testid="weight-matrix-item"][data-weight="kernel"] td.v').evaluateAll((els) => els.map((e) => ({ r: Number(e.getAttribute('data-row')), c: Number(e.getAttribute('data-col')), v: Number(e.getAttribute('data-value')) })));
  assert.equal(wxCells.length, 15, 'W_x is 3×5');
  for (const c of wxCells) assert.equal(c.v, wx[c.r * 5 + c.c], `W_x[${c.r}][${c.c}]`);
  const whRead = pyRead(await copyFrom(frame, block.locator('[data-testid="weight-matrix-item"][data-weight="recurrent_kernel"] [data-testid="copy-np-matrix"] vscode-button')));
  assert.deepEqual(whRead.shape, [5, 5]);
  close(whRead.values, weight('simple_rnn', 'recurrent_kernel'), 0, 'copied W_h equals the stored recurrent kernel');
  // A vector of the step: h_3 (the walk's last row), float64 as recomputed, equal to the trace within float32 rounding.
  const vRead = pyRead(await copyFrom(frame, block.locator('[data-testid="copy-np-vector"] vscode-button')));
  assert.equal(vRead.dtype, 'float64');
  close(vRead.values, trace.values.h.subarray(2 * 5, 3 * 5), 2e-6, 'copied h_3 vs the trace');
  await block.scrollIntoViewIfNeeded();
  await page.mouse.move(5, 5);
  await sleep(300);
  await wb!.shot('2-weight-matrices-1280');

  // 4. A weight as a numeric grid beside its heatmap (Model tab → simple_rnn → recurrent_kernel).
  await frame.locator('[data-testid="tab-model"]').click();
  await frame.locator('[data-testid="layer-row"][data-layer="simple_rnn"]').click();
  const item = frame.locator('[data-testid="weight-item"]', { hasText: 'recurrent_kernel' }).first();
  await item.locator('[data-testid="weight-show"]').click();
  const heat = item.locator('[data-testid="weight-heatmap"]').first();
  await heat.waitFor({ state: 'visible', timeout: 30_000 });
  await item.locator('[data-testid="weight-grid-toggle"]').click();
  const grid = item.locator('[data-testid="weight-grid"]');
  await grid.waitFor({ state: 'visible' });
  const wh = weight('simple_rnn', 'recurrent_kernel');
  const gridCells = await grid.locator('[data-testid="weight-cell"]').evaluateAll((els) => els.map((e) => ({ r: Number(e.getAttribute('data-row')), c: Number(e.getAttribute('data-col')), v: Number(e.getAttribute('data-value')) })));
  assert.equal(gridCells.length, 25);
  for (const c of gridCells) assert.equal(c.v, wh[c.r * 5 + c.c], `W_h[${c.r}][${c.c}] in the grid`);
  const hb = (await heat.boundingBox())!;
  const gb = (await grid.boundingBox())!;
  assert.ok(gb.x >= hb.x + hb.width - 1 && Math.abs(gb.y - hb.y) < 80, `the grid is beside the heatmap at 1280 (heatmap ${JSON.stringify(hb)}, grid ${JSON.stringify(gb)})`);
  const gRead = pyRead(await copyFrom(frame, item.locator('[data-testid="copy-np-weight"] vscode-button')));
  close(gRead.values, wh, 0, 'copied weight equals the stored values');
  await item.scrollIntoViewIfNeeded();
  await page.mouse.move(5, 5);
  await sleep(300);
  await wb!.shot('3-weight-grid-1280');

  // 5. 760 px: the grid still shows (beside or under the heatmap), nothing overflows; the output step fits.
  await page.setViewportSize({ width: 760, height: 800 });
  await sleep(1000);
  await grid.waitFor({ state: 'visible' });
  assert.ok((await overflow(item)) <= 1, 'the weight card fits at 760 px');
  await item.scrollIntoViewIfNeeded();
  await sleep(300);
  await wb!.shot('4-weight-grid-760');
  await frame.locator('[data-testid="tab-results"]').click();
  await card.waitFor({ state: 'visible' });
  close(await values('output-step-y'), KERAS_Y, 1e-6, 'y at 760 px');
  await card.scrollIntoViewIfNeeded();
  await sleep(300);
  await wb!.shot('5-output-step-760');
  assert.ok((await overflow(card)) <= 1, 'the output step fits its card at 760 px');
  // The W matrices block stays open on the step, and its matrices scroll inside it rather than widen the panel.
  await block.locator('[data-testid="weight-matrix-item"]').first().waitFor({ state: 'visible' });
  await block.scrollIntoViewIfNeeded();
  await sleep(300);
  await wb!.shot('6-weight-matrices-760');
  assert.ok((await overflow(block)) <= 1, 'the W matrices block fits at 760 px');
}));
