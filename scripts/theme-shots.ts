// Dev script, not a test: screenshots of the inspector in the real VS Code under "Default Dark Modern" and
// "Default High Contrast" (Model tab with a weight heatmap, Results tab with the equation box), then a keyboard-only
// walk from the Run button to a hidden-state cell, Enter on it, and the focus ring at each stop.
//   node --import tsx scripts/theme-shots.ts [dark|hc]     → test-artifacts/themes/*.png (git-ignored)
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import {
  artifactsDir, devPayload, launchBrowser, makeWorkspace, pickQuickItem, runPaletteCommand, sleep, startCodeServer,
  waitForActivation, waitForExplorer, webviewFrame, workbenchUrl,
} from '../test/vscode/harness';
import { extensionPath } from '../test/ui/fixture';

const THEMES: Record<string, string> = { dark: 'Default Dark Modern', hc: 'Default High Contrast' };
const outDir = path.join(artifactsDir, 'themes');

/** What has focus inside the webview, in words: tag, test id, label, text. */
async function focused(frame: FrameLocator): Promise<string> {
  return frame.locator('body').evaluate(() => {
    // Runs in the page; the scripts' tsconfig has no DOM types, so the page's globals are reached loosely.
    const g = globalThis as unknown as { document: any; getComputedStyle(e: unknown): any };
    const document = g.document;
    const getComputedStyle = g.getComputedStyle;
    let a = document.activeElement;
    while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement; // into the toolkit's shadow roots
    const host = document.activeElement;
    if (!a || a === document.body) return '(body)';
    const id = host?.dataset?.testid ?? a?.dataset?.testid ?? '';
    const label = host?.getAttribute('aria-label') ?? '';
    const text = (host?.textContent ?? '').trim().slice(0, 30);
    const outline = getComputedStyle(a).outlineStyle + ' ' + getComputedStyle(a).outlineColor + ' ' + getComputedStyle(a).outlineWidth;
    return `${host?.tagName.toLowerCase()}${a !== host ? '>' + a.tagName.toLowerCase() : ''}[${id}] "${label || text}" outline=${outline}`;
  });
}

async function shot(page: Page, name: string): Promise<void> {
  const file = path.join(outDir, `${name}.png`);
  await page.screenshot({ path: file });
  console.log(`wrote ${file}`);
}

async function runTheme(key: string): Promise<void> {
  const theme = THEMES[key];
  const ws = makeWorkspace();
  // The theme goes into the user settings.json before start, the way the harness writes its settings.
  const cs = await startCodeServer({ workspace: ws.dir, settings: { 'workbench.colorTheme': theme } });
  const browser = await launchBrowser();
  try {
    const page = browser.page;
    page.setDefaultTimeout(30_000);
    await page.setViewportSize({ width: 1400, height: 1000 });
    await page.goto(workbenchUrl(cs.base, ws.dir, devPayload(cs, extensionPath)), { timeout: 120_000, waitUntil: 'domcontentloaded' });
    await waitForExplorer(page, 'tesla-simplernn.keras', 90_000);
    await waitForActivation(page, /Keras RNN|params?\b/, 90_000);
    // The settings.json theme is not applied by code-server's web workbench here, so pick it in the palette too.
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').fill('>Preferences: Color Theme');
    await sleep(800);
    await shot(page, `${key}-0-palette`);
    await pickQuickItem(page, 'Preferences: Color Theme');
    await sleep(800);
    await pickQuickItem(page, theme, { filter: theme });
    await sleep(1000);
    await runPaletteCommand(page, 'Run Forward Pass…');
    await pickQuickItem(page, 'b_simplernn5_tanh.h5', { filter: 'b_simplernn5_tanh.h5' });
    await pickQuickItem(page, 'Ramp 1..T');
    await runPaletteCommand(page, 'View: Toggle Primary Side Bar Visibility');
    const frame = webviewFrame(page);
    const cellSel = '[data-testid="state-table"][data-quantity="h"] [data-testid="state-cell"]';
    await frame.locator(cellSel).first().waitFor({ state: 'visible', timeout: 60_000 });

    // Model tab: the recurrent layer's row, then its first weight shown as a heatmap.
    await frame.locator('[data-testid="tab-model"]').click();
    await frame.locator('[data-testid="layer-row"][data-layer="simple_rnn"]').click();
    await frame.locator('[data-testid="weight-show"]').first().click();
    const heat = frame.locator('[data-testid="weight-heatmap"]').first();
    await heat.waitFor({ state: 'visible' });
    await heat.scrollIntoViewIfNeeded();
    await page.mouse.move(5, 5);
    await sleep(500);
    await shot(page, `${key}-1-model-heatmap`);
    // A hover on the heatmap: the tooltip's colours in this theme.
    const box = await heat.boundingBox();
    if (box) { await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.4); await sleep(400); await shot(page, `${key}-2-heatmap-hover`); }

    // Results tab: step 3 of h, the equation box.
    await frame.locator('[data-testid="tab-results"]').click();
    await frame.locator(`${cellSel}[data-step="2"][data-unit="0"]`).first().click();
    const eq = frame.locator('[data-testid="equation-box"]').first();
    await eq.waitFor({ state: 'visible' });
    await eq.scrollIntoViewIfNeeded();
    await page.mouse.move(5, 5);
    await sleep(500);
    await shot(page, `${key}-3-results-equation`);

    // Keyboard only from here: focus starts on Run, then Tab until a hidden-state cell has focus.
    await frame.locator('[data-testid="run-button"]').focus();
    await frame.locator('body').evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
    const walk: string[] = [`start: ${await focused(frame)}`];
    await sleep(300);
    await shot(page, `${key}-4-focus-run`);
    let onCell = false;
    for (let i = 1; i <= 60 && !onCell; i++) {
      await page.keyboard.press('Tab');
      await sleep(120);
      const f = await focused(frame);
      walk.push(`Tab ${i}: ${f}`);
      onCell = f.includes('[state-cell]');
      if (i === 3) await shot(page, `${key}-5-focus-tab3`);
    }
    if (onCell) {
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowRight');
      await sleep(200);
      walk.push(`ArrowDown, ArrowRight: ${await focused(frame)}`);
      await shot(page, `${key}-6-focus-cell`);
      await page.keyboard.press('Enter');
      await sleep(600);
      walk.push(`Enter: equation box visible = ${await eq.isVisible()}; title "${(await frame.locator('[data-testid="equation-box"] .eq-title').first().innerText().catch(() => '?')).trim()}"`);
      walk.push(`after Enter: ${await focused(frame)}`);
      await shot(page, `${key}-7-after-enter`);
    } else {
      walk.push('never reached a state cell');
      await shot(page, `${key}-6-focus-lost`);
    }
    fs.writeFileSync(path.join(outDir, `${key}-keyboard.txt`), walk.join('\n') + '\n');
    console.log(walk.join('\n'));
  } catch (e) {
    await shot(browser.page, `${key}-failure`).catch(() => undefined);
    throw e;
  } finally {
    await browser.close();
    await cs.stop();
    ws.remove();
    fs.rmSync(cs.root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  fs.mkdirSync(outDir, { recursive: true });
  const keys = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(THEMES);
  for (const k of keys) {
    if (!THEMES[k]) throw new Error(`Unknown theme "${k}"; use one of: ${Object.keys(THEMES).join(', ')}.`);
    await runTheme(k);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
