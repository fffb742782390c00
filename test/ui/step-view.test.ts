// UI: the step view on a realistic layer, in the real VS Code. stock-gru-functional.h5 (a real GRU(200) over T = 50,
// D = 1, from ../shared/models) is run on its seeded input; clicking step k = 10 writes the step out. At 1280×800
// with the sidebar open and at 760 px, in the Dark and the Light theme, the page itself is measured:
// - no number in the step view is wrapped (a wrapped inline number has more than one client rect);
// - no card, block or formula box is wider than its box unless it scrolls (overflow-x auto/scroll);
// - the formula lines are not clipped (each fits its box);
// - M = 200 > 8: the first and last 4 units show, with "Show all 200 units";
// - in Light, every number is drawn in the theme's foreground (not textPreformat red);
// - the update gate z is drawn on a sequential (0, 1) scale (heatmap legend 0 … 1, tints growing with the value),
//   h on a diverging one (negative values blue-ish, positive red-ish).
// Screenshots: test-artifacts/ui/step-view-*.png.

import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { pickQuickItem, runPaletteCommand, sharedRoot, sleep, webviewFrame } from '../vscode/harness';
import { keepLog, openWorkbench, type Workbench } from './fixture';

const MODEL = 'stock-gru-functional.h5';
const M = 200;
const STEP = 9; // k = 10
let wb: Workbench | undefined;
let failed = false;

before(async () => {
  wb = await openWorkbench({
    readyFile: MODEL,
    name: 'step-view',
    // The model and its seeded input, as "<stem>.input.json" beside it (the picker offers it as the saved input).
    extra: (dir) => {
      fs.copyFileSync(path.join(sharedRoot, 'models/files', MODEL), path.join(dir, MODEL));
      fs.copyFileSync(path.join(sharedRoot, 'models/inputs/stock-gru-functional.json'), path.join(dir, 'stock-gru-functional.input.json'));
    },
  });
  await wb.page.setViewportSize({ width: 1280, height: 800 });
}, { timeout: 240_000 });

after(async () => {
  if (failed) keepLog(wb, 'step-view');
  await wb?.close();
}, { timeout: 60_000 });

// The page's DOM as far as these measurements read it (the test project compiles without the DOM library).
interface PageEl {
  tagName: string;
  className: string;
  textContent: string | null;
  clientWidth: number;
  scrollWidth: number;
  dataset: Record<string, string | undefined>;
  children: ArrayLike<PageEl>;
  style: Record<string, string>;
  getClientRects(): { length: number };
  getBoundingClientRect(): { right: number };
  querySelector(selector: string): PageEl | null;
  querySelectorAll(selector: string): Iterable<PageEl> & ArrayLike<PageEl>;
  closest(selector: string): PageEl | null;
  getAttribute(name: string): string | null;
  append(child: PageEl): void;
  remove(): void;
}
interface PageWindow {
  getComputedStyle(el: PageEl): { display: string; overflowX: string; color: string; backgroundColor: string };
  document: { createElement(tag: string): PageEl; body: PageEl };
}

interface Layout {
  cardWidth: number;
  numbers: number;
  wrapped: string[];
  overflowing: string[];
  clipped: string[];
  blocks: { title: string; scrolls: boolean; rows: number; gap: boolean }[];
  colours: { text: string; color: string }[];
  foreground: string;
}

/** Measures the step card in the page: wrapped numbers, boxes that overflow without scrolling, clipped formula lines. */
function measure(frame: FrameLocator): Promise<Layout> {
  return frame.locator('[data-testid="trace-explorer"]').first().evaluate((rootEl) => {
    const root = rootEl as unknown as PageEl;
    const { getComputedStyle, document } = globalThis as unknown as PageWindow;
    const box = root.querySelector('[data-testid="equation-box"]')!;
    const nums = [...box.querySelectorAll('.num')];
    const wrapped = nums.filter((n) => n.getClientRects().length > 1).map((n) => n.textContent ?? '');
    // Every card of the explorer and every block-level box inside the step card.
    const boxes = [...root.querySelectorAll('.card'), ...box.querySelectorAll('div, section, table')];
    const overflowing: string[] = [];
    for (const el of boxes) {
      const cs = getComputedStyle(el);
      if (cs.display === 'inline' || el.clientWidth === 0) continue;
      if (el.scrollWidth > el.clientWidth + 1 && !/auto|scroll/.test(cs.overflowX)) overflowing.push(`${el.tagName.toLowerCase()}.${el.className} (${el.scrollWidth} > ${el.clientWidth})`);
    }
    // A formula line is clipped when it is wider than itself or reaches past its box or the card.
    const card = box.closest('.card')!.getBoundingClientRect();
    const lines = box.querySelector('.eq-lines')!;
    const lr = lines.getBoundingClientRect();
    const clipped: string[] = [];
    if (lr.right > card.right + 1) clipped.push(`the formula box ends at ${lr.right}, the card at ${card.right}`);
    if (lines.scrollWidth > lines.clientWidth + 1) clipped.push(`the formula box scrolls (${lines.scrollWidth} > ${lines.clientWidth})`);
    for (const l of lines.querySelectorAll('.eq-line')) {
      const r = l.getBoundingClientRect();
      if (l.scrollWidth > l.clientWidth + 1 || r.right > lr.right + 1) clipped.push(l.textContent ?? '');
    }
    const cardWidth = box.closest('.card')!.clientWidth;
    const blocks = [...box.querySelectorAll('[data-testid="equation-block"]')].map((b) => ({
      title: b.dataset.title ?? '',
      scrolls: b.querySelector('.eq-scroll')!.scrollWidth > b.querySelector('.eq-scroll')!.clientWidth + 1,
      rows: b.querySelectorAll('tbody tr').length,
      gap: b.querySelector('tr.eq-gap') !== null,
    }));
    const colours = nums.map((n) => ({ text: n.textContent ?? '', color: getComputedStyle(n).color }));
    const probe = document.createElement('span');
    probe.style.color = 'var(--vscode-foreground)';
    box.append(probe);
    const foreground = getComputedStyle(probe).color;
    probe.remove();
    return { cardWidth, numbers: nums.length, wrapped, overflowing, clipped, blocks, colours, foreground };
  });
}

function assertFits(layout: Layout, where: string): void {
  console.log(`${where}: step card ${layout.cardWidth} px wide, ${layout.numbers} numbers, blocks ${layout.blocks.map((b) => `${b.title}${b.scrolls ? ' (scrolls)' : ''}`).join(' | ')}`);
  assert.ok(layout.numbers > 50, `${where}: the step view shows numbers (${layout.numbers})`);
  assert.deepEqual(layout.wrapped, [], `${where}: no number is wrapped`);
  assert.deepEqual(layout.overflowing, [], `${where}: no card or box overflows without a scroll`);
  assert.deepEqual(layout.clipped, [], `${where}: no formula line is clipped`);
}

const rgb = (css: string) => (/rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(css) ?? []).slice(1, 4).map(Number);

async function setTheme(wb: Workbench, theme: string): Promise<void> {
  const { page } = wb;
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+T');
  await page.locator('.quick-input-widget input').fill(theme);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: new RegExp(`^\\s*${theme}`) }).first().click();
  await sleep(1500);
}

async function showStepCard(frame: FrameLocator): Promise<void> {
  await frame.locator('[data-testid="equation-box"]').first().evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await sleep(400);
}

async function pickQuantity(frame: FrameLocator, label: RegExp): Promise<void> {
  const option = frame.locator('[data-testid="trace-quantity"] vscode-option', { hasText: label }).first();
  if (!(await option.isVisible())) await frame.locator('[data-testid="trace-quantity"]').first().click();
  await option.click();
  await sleep(300);
  // The list can stay open after the pick: close it, as a user would, before the screenshot.
  if (await option.isVisible()) await frame.locator('[data-testid="trace-quantity"]').first().press('Escape');
  await sleep(300);
}

test('the step view of a GRU(200) fits: no wrapped number, no overflow without a scroll, formula unclipped, foreground numbers, gate scale', { timeout: 420_000 }, async () => {
  const { page } = wb!;
  try {
    await runPaletteCommand(page, 'Run Forward Pass…');
    await pickQuickItem(page, MODEL, { filter: MODEL, timeout: 60_000 });
    await pickQuickItem(page, 'saved beside', { timeout: 60_000 });
    const frame = webviewFrame(page);
    const table = frame.locator('[data-testid="state-table"][data-quantity="h"]').first();
    const stopped = frame.locator('[data-testid="run-stopped"]:visible, [data-testid="error-banner"]:visible').first();
    await table.or(stopped).waitFor({ state: 'visible', timeout: 120_000 });
    assert.ok(await table.isVisible(), 'the run shows the hidden-state table');

    // Click step k = 10 in the table.
    const cell = frame.locator(`[data-testid="state-cell"][data-step="${STEP}"][data-unit="0"]`).first();
    await cell.scrollIntoViewIfNeeded();
    await cell.click();
    const box = frame.locator(`[data-testid="equation-box"][data-step="${STEP}"]`).first();
    await box.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await box.getAttribute('data-agrees'), 'true', 'the recomputed step equals the trace');
    await page.mouse.move(5, 5);
    await showStepCard(frame);

    // Dark, 1280×800 with the sidebar open.
    await setTheme(wb!, 'Dark Modern');
    await showStepCard(frame);
    let layout = await measure(frame);
    await wb!.shot('1-dark-1280');
    assertFits(layout, 'dark 1280');
    // M = 200: each block of 200-unit vectors shows units 0-3, a gap, 196-199; x (D = 1) shows its one value.
    const unitBlocks = layout.blocks.filter((b) => b.title !== 'input');
    assert.ok(unitBlocks.length >= 4, `blocks: ${JSON.stringify(layout.blocks)}`);
    for (const b of unitBlocks) assert.deepEqual([b.rows, b.gap], [9, true], `block "${b.title}" shows 4 + gap + 4 rows`);
    assert.deepEqual(layout.blocks.find((b) => b.title === 'input'), { title: 'input', scrolls: false, rows: 1, gap: false });
    assert.match(await frame.locator('[data-testid="equation-expand"]').first().innerText(), new RegExp(`Show all ${M} units`));

    // 760 px.
    await page.setViewportSize({ width: 760, height: 800 });
    await sleep(1000);
    await showStepCard(frame);
    layout = await measure(frame);
    await wb!.shot('2-dark-760');
    await frame.locator('[data-testid="equation-checks"]').first().evaluate((el) => el.scrollIntoView({ block: 'end' }));
    await sleep(400);
    await wb!.shot('2b-dark-760-checks');
    assertFits(layout, 'dark 760');

    // Light: the same at both widths, and every number in the theme's foreground.
    await setTheme(wb!, 'Light Modern');
    await showStepCard(frame);
    layout = await measure(frame);
    await wb!.shot('3-light-760');
    assertFits(layout, 'light 760');
    const fg = rgb(layout.foreground);
    assert.equal(fg.length, 3, `the foreground colour parses: ${layout.foreground}`);
    assert.ok(fg[0] + fg[1] + fg[2] < 3 * 110, `Light's foreground is dark (${layout.foreground})`);
    const offColour = layout.colours.filter((c) => c.color !== layout.foreground);
    assert.deepEqual(offColour.slice(0, 5), [], `every number in the foreground ${layout.foreground}`);
    await page.setViewportSize({ width: 1280, height: 800 });
    await sleep(1000);
    await showStepCard(frame);
    layout = await measure(frame);
    await wb!.shot('4-light-1280');
    await frame.locator('[data-testid="equation-checks"]').first().evaluate((el) => el.scrollIntoView({ block: 'end' }));
    await sleep(400);
    await wb!.shot('4b-light-1280-checks');
    assertFits(layout, 'light 1280');

    // "Show all": 200 rows per block, each block scrolls inside itself; nothing wraps.
    await frame.locator('[data-testid="equation-expand"]').first().click();
    await frame.locator('[data-testid="equation-expand"]', { hasText: 'first and last' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    layout = await measure(frame);
    await showStepCard(frame);
    await wb!.shot('4c-light-1280-all-units');
    assertFits(layout, 'light 1280, all units');
    for (const b of layout.blocks.filter((x) => x.title !== 'input')) assert.deepEqual([b.rows, b.gap], [M, false], `block "${b.title}" shows all ${M} units`);
    await frame.locator('[data-testid="equation-expand"]').first().click();
    await frame.locator('[data-testid="equation-expand"]', { hasText: 'Show all' }).first().waitFor({ state: 'visible', timeout: 15_000 });

    // The gate scale: z's heatmap is sequential 0 … 1, h's diverging around 0.
    const heat = frame.locator('[data-testid="state-heatmap"]').first();
    assert.equal(await heat.getAttribute('data-scale'), 'diverging', 'h is drawn on a diverging scale');
    await pickQuantity(frame, /^\s*z \(/);
    await frame.locator('[data-testid="state-heatmap"][data-scale="sequential"]').first().waitFor({ state: 'attached', timeout: 15_000 });
    const legend = (await frame.locator('.legend-labels').first().innerText()).split(/\s+/).filter(Boolean);
    assert.deepEqual(legend, ['0', '0.5', '1'], 'the gate legend runs from 0 to 1');
    await heat.evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await sleep(400);
    await wb!.shot('5-light-gate-heatmap-1280');
    await pickQuantity(frame, /^\s*h_t \(/);
    await frame.locator('[data-testid="state-heatmap"][data-scale="diverging"]').first().waitFor({ state: 'attached', timeout: 15_000 });

    // In the step view: z's tints move away from the background as z grows; h's are blue below 0, red above.
    // (No named functions inside evaluate: tsx would wrap them in a helper the page does not have.)
    const tints = await box.evaluate((boxEl) => {
      const el = boxEl as unknown as PageEl;
      const { getComputedStyle, document } = globalThis as unknown as PageWindow;
      const found: Record<string, { value: number; scale: string; color: string }[]> = { z: [], h: [] };
      for (const t of el.querySelectorAll('table.eq-cols')) {
        const heads = [...t.querySelectorAll('thead th')];
        for (const key of ['z', 'h']) {
          const col = heads.findIndex((th) => th.getAttribute('data-key') === key);
          if (col < 0) continue;
          for (const tr of t.querySelectorAll('tbody tr:not(.eq-gap)')) {
            const td = tr.children[col];
            found[key].push({ value: Number(td.dataset.value), scale: td.dataset.scale ?? '', color: getComputedStyle(td).backgroundColor });
          }
        }
      }
      return { bg: getComputedStyle(document.body).backgroundColor, z: found.z, h: found.h };
    });
    assert.equal(tints.z.length, 8, 'z: 8 tinted cells');
    assert.equal(tints.h.length, 16, 'h: 8 tinted cells of h_{k-1} and 8 of h_k');
    assert.ok(tints.z.every((c) => c.scale === 'sequential'), 'z cells on the sequential scale');
    assert.ok(tints.h.every((c) => c.scale === 'diverging'), 'h cells on the diverging scale');
    const bg = rgb(tints.bg);
    const dist = (css: string) => { const c = rgb(css); return Math.hypot(c[0] - bg[0], c[1] - bg[1], c[2] - bg[2]); };
    const z = [...tints.z].sort((a, b) => a.value - b.value);
    for (let i = 1; i < z.length; i++) assert.ok(dist(z[i].color) >= dist(z[i - 1].color) - 1, `z tint grows with z: ${z.map((c) => `${c.value.toFixed(3)} ${c.color}`).join('; ')}`);
    for (const c of tints.h) {
      if (Math.abs(c.value) < 0.05) continue;
      const [r, , b] = rgb(c.color);
      assert.ok(c.value < 0 ? b > r : r > b, `h = ${c.value} is tinted ${c.value < 0 ? 'blue' : 'red'}: ${c.color}`);
    }

    // High contrast: the same card still fits (a screenshot to look at; its colours are VS Code's own pairs).
    await setTheme(wb!, 'Dark High Contrast');
    await showStepCard(frame);
    layout = await measure(frame);
    await wb!.shot('6-high-contrast-1280');
    assertFits(layout, 'high contrast 1280');
  } catch (e) {
    failed = true;
    await wb!.shot('failure');
    throw e;
  }
});
