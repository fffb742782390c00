// UI: exports people can use, and one vocabulary (issue 9 items 11 and 5), in the real VS Code.
// Golden model b (SimpleRNN(5) over T = 10) at 1280×800 with the sidebar open, then a real GRU(200) over T = 50 kept in
// its own folder, at 760 px:
// - the input grid and the per-step table count t = 1..T (first row 1, last row T); the GRU candidate is labelled h̃,
//   and the panel's text never shows the key "hh" nor a "t = 0";
// - "Heatmap PNG" opens the save dialog in the model's own folder with a plain name (…-h-heatmap.png,
//   gru-htilde-heatmap.png); the saved file is decoded here (PNG chunks, zlib, row filters): every pixel is opaque,
//   the corner is the editor background, the image is larger than the heatmap canvas, a title band above it holds
//   text, and the band below holds a colour bar running from blue (negative) to red (positive) with its labels;
// - "Chart PNG" is opaque and titled too.
// Screenshots and copies of the exported images: test-artifacts/ui/exports-*.png.

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { FrameLocator, Page } from 'playwright-core';
import { artifactsDir, explorerRow, pickQuickItem, runPaletteCommand, sharedRoot, sleep, webviewFrame } from '../vscode/harness';
import { keepLog, openWorkbench, type Workbench } from './fixture';

const B = 'b_simplernn5_tanh.h5';
const GRU = 'stock-gru-functional.h5';
const GRU_DIR = 'gru-model';
let wb: Workbench | undefined;
let failed = false;

before(async () => {
  wb = await openWorkbench({
    readyFile: 'tesla-simplernn.keras',
    name: 'exports',
    // The GRU in a folder of its own (with its seeded input beside it), so "the model's folder" is not the workspace root.
    extra: (dir) => {
      fs.mkdirSync(path.join(dir, GRU_DIR));
      fs.copyFileSync(path.join(sharedRoot, 'models/files', GRU), path.join(dir, GRU_DIR, GRU));
      fs.copyFileSync(path.join(sharedRoot, 'models/inputs/stock-gru-functional.json'), path.join(dir, GRU_DIR, 'stock-gru-functional.input.json'));
    },
  });
  await wb.page.setViewportSize({ width: 1280, height: 800 });
}, { timeout: 240_000 });

after(async () => {
  if (failed) keepLog(wb, 'exports');
  await wb?.close();
}, { timeout: 60_000 });

// ---------- a small PNG decoder (8-bit RGB or RGBA, not interlaced: what Chromium's canvas encoder writes) ----------

interface Png { width: number; height: number; rgba: Uint8Array }

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

function decodePng(buf: Buffer): Png {
  assert.deepEqual([...buf.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  let pos = 8;
  let width = 0, height = 0, colorType = -1;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth 8');
      colorType = data[9];
      assert.ok(colorType === 2 || colorType === 6, `colour type RGB or RGBA, got ${colorType}`);
      assert.equal(data[12], 0, 'not interlaced');
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const bpp = colorType === 6 ? 4 : 3;
  const stride = width * bpp;
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? rows[y * stride + x - bpp] : 0;
      const b = y > 0 ? rows[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y > 0 ? rows[(y - 1) * stride + x - bpp] : 0;
      const pred = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
      rows[y * stride + x] = (src[x] + pred) & 255;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < 3; k++) rgba[i * 4 + k] = rows[i * bpp + k];
    rgba[i * 4 + 3] = bpp === 4 ? rows[i * bpp + 3] : 255;
  }
  return { width, height, rgba };
}

/** Pixels in rows [y0, y1) that differ from `bg` by more than 40 in some channel; and how many are blue- or red-dominant. */
function inkIn(png: Png, y0: number, y1: number, bg: number[]): { ink: number; blue: number; red: number } {
  let ink = 0, blue = 0, red = 0;
  for (let y = Math.max(0, y0); y < Math.min(png.height, y1); y++) {
    for (let x = 0; x < png.width; x++) {
      const i = (y * png.width + x) * 4;
      const [r, g, b] = [png.rgba[i], png.rgba[i + 1], png.rgba[i + 2]];
      if (Math.max(Math.abs(r - bg[0]), Math.abs(g - bg[1]), Math.abs(b - bg[2])) > 40) ink++;
      if (b > r + 60 && b > g) blue++;
      if (r > b + 60 && r > g) red++;
    }
  }
  return { ink, blue, red };
}

function parseCss(text: string): number[] {
  const s = text.trim();
  const hex = /^#([0-9a-f]{6})/i.exec(s);
  if (hex) return [0, 2, 4].map((i) => parseInt(hex[1].slice(i, i + 2), 16));
  const rgb = /rgba?\(\s*(\d+)[,\s]+(\d+)[,\s]+(\d+)/i.exec(s);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  throw new Error(`cannot read the colour "${text}"`);
}

// ---------- driving the panel ----------

async function runOn(page: Page, model: string, input: string, folder: string): Promise<FrameLocator> {
  // The model opened from the explorer (its inspector in front), then Run Forward Pass… runs that one and asks the input.
  await runPaletteCommand(page, 'View: Close All Editors');
  await page.locator('.editor-group-container .tab').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
  const file = explorerRow(page, model);
  if (!(await file.isVisible())) await explorerRow(page, folder).click();
  await file.dblclick();
  await page.locator('.tab.active', { hasText: model }).waitFor({ state: 'visible', timeout: 60_000 });
  await runPaletteCommand(page, 'Run Forward Pass…');
  await page.locator('.quick-input-widget', { hasText: `Input for ${model}` }).waitFor({ state: 'visible', timeout: 60_000 });
  await pickQuickItem(page, input, { timeout: 60_000 });
  const frame = webviewFrame(page);
  await frame.locator('[data-testid="results-root"][data-run-id]').first().waitFor({ state: 'attached', timeout: 120_000 });
  await frame.locator('[data-testid="tab-results"]').first().click();
  const table = frame.locator('[data-testid="state-table"][data-quantity="h"]').first();
  const stopped = frame.locator('[data-testid="run-stopped"]:visible, [data-testid="error-banner"]:visible').first();
  await table.or(stopped).waitFor({ state: 'visible', timeout: 120_000 });
  assert.ok(await table.isVisible(), `the run of ${model} shows its hidden-state table`);
  return frame;
}

/** The row headers the per-step table and the input grid show first and last (scrolled to the top, then the end). */
async function rowHeaders(frame: FrameLocator, testid: string): Promise<{ corner: string; first: string }> {
  const table = frame.locator(`[data-testid="${testid}"]`).first();
  await table.scrollIntoViewIfNeeded();
  return table.evaluate((el) => {
    const corner = el.querySelector('thead th')?.textContent?.trim() ?? '';
    const first = el.querySelector('tbody tr th')?.textContent?.trim() ?? '';
    return { corner, first };
  });
}

/** Clicks an export button, reads the save dialog's suggestion, accepts it and returns the saved file. */
async function exportVia(page: Page, frame: FrameLocator, testid: string, nameEnd: RegExp, shot: string): Promise<{ suggested: string; bytes: Buffer }> {
  await frame.locator(`[data-testid="${testid}"]`).first().click();
  const pathBox = page.locator('.quick-input-widget input');
  await pathBox.waitFor({ state: 'visible', timeout: 15_000 });
  // The simple dialog fills in its suggestion after it opens.
  const deadline = Date.now() + 10_000;
  let suggested = await pathBox.inputValue();
  while (!nameEnd.test(suggested) && Date.now() < deadline) {
    await sleep(200);
    suggested = await pathBox.inputValue();
  }
  await sleep(300);
  await wb!.shot(shot);
  await pathBox.press('Enter');
  const until = Date.now() + 20_000;
  let size = -1;
  while (Date.now() < until) {
    const now = fs.existsSync(suggested) ? fs.statSync(suggested).size : -1;
    if (now > 0 && now === size) break;
    size = now;
    await sleep(300);
  }
  assert.ok(fs.existsSync(suggested), `the export was saved at the dialog's suggestion ${suggested}`);
  return { suggested, bytes: fs.readFileSync(suggested) };
}

/** Checks an exported heatmap image against the heatmap canvas it came from; keeps a copy beside the screenshots. */
async function checkHeatmapPng(frame: FrameLocator, bytes: Buffer, copyName: string): Promise<void> {
  fs.mkdirSync(path.join(artifactsDir, 'ui'), { recursive: true });
  fs.writeFileSync(path.join(artifactsDir, 'ui', copyName), bytes);
  const png = decodePng(bytes);
  const shown = await frame.locator('[data-testid="state-heatmap"]').first().evaluate((c) => {
    const canvas = c as unknown as { width: number; height: number };
    const style = (globalThis as unknown as { getComputedStyle(e: unknown): { getPropertyValue(n: string): string } }).getComputedStyle((c as unknown as { ownerDocument: { documentElement: unknown } }).ownerDocument.documentElement);
    return { width: canvas.width, height: canvas.height, background: style.getPropertyValue('--vscode-editor-background') };
  });
  let transparent = 0;
  for (let i = 3; i < png.rgba.length; i += 4) if (png.rgba[i] !== 255) transparent++;
  assert.equal(transparent, 0, 'every pixel of the exported heatmap is opaque');
  const bg = parseCss(shown.background);
  const corner = [png.rgba[0], png.rgba[1], png.rgba[2]];
  assert.ok(corner.every((v, k) => Math.abs(v - bg[k]) <= 2), `the background is the editor's ${bg} (corner ${corner})`);
  assert.ok(png.width > shown.width, `the image (${png.width} px wide) frames the heatmap canvas (${shown.width} px)`);
  const extra = png.height - shown.height;
  assert.ok(extra >= 60, `the image is ${extra} px taller than the heatmap: room for a title and a colour bar`);
  // Title band: the rows above where the heatmap can start hold text.
  const title = inkIn(png, 0, 24, bg);
  assert.ok(title.ink > 100, `the title band holds text (${title.ink} ink pixels)`);
  // Legend band: the last 50 rows hold the colour bar (blue to red) and its labels.
  const legend = inkIn(png, png.height - 50, png.height, bg);
  assert.ok(legend.ink > 500, `the legend band holds a colour bar and labels (${legend.ink} ink pixels)`);
  assert.ok(legend.blue > 50 && legend.red > 50, `the colour bar runs from blue to red (${legend.blue} blue, ${legend.red} red pixels)`);
}

async function panelText(frame: FrameLocator): Promise<string> {
  return frame.locator('body').innerText();
}

function assertVocabulary(text: string, where: string): void {
  assert.doesNotMatch(text, /(^|[^A-Za-z_])hh([^A-Za-z_]|$)/, `${where}: the panel shows the key "hh"`);
  assert.doesNotMatch(text, /\bt = 0\b/, `${where}: the panel shows a 0-based "t = 0"`);
}

test('golden b at 1280×800: t = 1..T in the grid and the table; the heatmap PNG is titled, opaque, with a colour bar, saved in the model\'s folder', { timeout: 420_000 }, async () => {
  const { page, ws } = wb!;
  try {
    const frame = await runOn(page, B, 'Ramp 1..T', 'samples');
    const layer = (await frame.locator('[data-testid="state-table"][data-quantity="h"]').first().getAttribute('data-layer')) ?? '';
    assert.ok(layer, 'the table names its layer');

    const table = await rowHeaders(frame, 'state-table');
    assert.deepEqual(table, { corner: 'k', first: '1' }, 'the per-step table counts steps k from 1');
    assertVocabulary(await panelText(frame), 'results of b');
    await page.mouse.move(5, 5);
    await wb!.shot('1-b-results-1280');

    const { suggested, bytes } = await exportVia(page, frame, 'export-heatmap-png', /heatmap\.png$/, '2-b-save-dialog-1280');
    assert.equal(path.dirname(suggested), path.join(ws.dir, 'samples'), 'the save dialog starts in the model\'s folder');
    assert.equal(path.basename(suggested), `${layer}-h-heatmap.png`);
    await checkHeatmapPng(frame, bytes, 'exports-b-heatmap-1280.png');

    const chart = await exportVia(page, frame, 'export-chart-png', /chart\.png$/, '3-b-chart-dialog-1280');
    assert.equal(path.dirname(chart.suggested), path.join(ws.dir, 'samples'));
    fs.writeFileSync(path.join(artifactsDir, 'ui', 'exports-b-chart-1280.png'), chart.bytes);
    const cpng = decodePng(chart.bytes);
    let transparent = 0;
    for (let i = 3; i < cpng.rgba.length; i += 4) if (cpng.rgba[i] !== 255) transparent++;
    assert.equal(transparent, 0, 'every pixel of the exported chart is opaque');
    const cbg = [cpng.rgba[0], cpng.rgba[1], cpng.rgba[2]];
    assert.ok(inkIn(cpng, 0, 24, cbg).ink > 100, 'the chart image has a title band with text');

    // The input grid: t = 1 on the first row.
    await frame.locator('[data-testid="tab-input"]').first().click();
    const grid = await rowHeaders(frame, 'input-grid');
    assert.deepEqual(grid, { corner: 't', first: '1' }, 'the input grid counts time steps t from 1');
    assertVocabulary(await panelText(frame), 'input of b');
    await page.mouse.move(5, 5);
    await sleep(300);
    await wb!.shot('4-b-input-grid-1280');
    await frame.locator('[data-testid="tab-results"]').first().click();
  } catch (e) {
    failed = true;
    await wb!.shot('failure-b');
    throw e;
  }
});

test('a GRU(200) in its own folder at 760 px: the candidate is h̃ (table, picker, file name), its heatmap PNG is usable and saved beside the model', { timeout: 420_000 }, async () => {
  const { page, ws } = wb!;
  try {
    await page.setViewportSize({ width: 760, height: 800 });
    await sleep(800);
    const frame = await runOn(page, GRU, 'saved beside', GRU_DIR);
    // Show the candidate h̃ (stored under the key hh).
    const picker = frame.locator('[data-testid="trace-quantity"]').first();
    const option = frame.locator('[data-testid="trace-quantity"] vscode-option', { hasText: /h̃/ }).first();
    if (!(await option.isVisible())) await picker.click();
    await option.click();
    await sleep(300);
    if (await option.isVisible()) await picker.press('Escape');
    const candidate = frame.locator('[data-testid="state-table"][data-quantity="hh"]').first();
    await candidate.waitFor({ state: 'visible', timeout: 30_000 });
    const head = await candidate.evaluate((el) => [...el.querySelectorAll('thead th')].map((th) => th.textContent?.trim() ?? ''));
    assert.equal(head[0], 'k');
    assert.ok(head.includes('h̃[0]'), `the table's columns are h̃[0], h̃[1], …: ${head.slice(0, 4).join(', ')}`);
    assert.equal(await candidate.evaluate((el) => el.querySelector('tbody tr th')?.textContent?.trim()), '1', 'the first step is k = 1');
    assertVocabulary(await panelText(frame), 'results of the GRU');
    await page.mouse.move(5, 5);
    await frame.locator('[data-testid="state-heatmap"]').first().scrollIntoViewIfNeeded();
    await sleep(300);
    await wb!.shot('5-gru-candidate-760');

    const { suggested, bytes } = await exportVia(page, frame, 'export-heatmap-png', /heatmap\.png$/, '6-gru-save-dialog-760');
    assert.equal(path.dirname(suggested), path.join(ws.dir, GRU_DIR), 'the save dialog starts in the GRU\'s own folder');
    assert.equal(path.basename(suggested), 'gru-htilde-heatmap.png', 'the file is named by the symbol h̃, not the key hh');
    await checkHeatmapPng(frame, bytes, 'exports-gru-heatmap-760.png');
  } catch (e) {
    failed = true;
    await wb!.shot('failure-gru');
    throw e;
  }
});
