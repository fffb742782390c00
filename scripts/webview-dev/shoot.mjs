// Dev only: opens the dev page in headless Chromium, runs, clicks a step, and saves screenshots to
// scripts/webview-dev/shots/. Prints console errors, CSP violations and the measured first paint.
//   node scripts/webview-dev/shoot.mjs [fixture] [theme]
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const fixture = process.argv[2] ?? 'golden-b';
const theme = process.argv[3] ?? 'dark';
const shots = join(fileURLToPath(import.meta.url), '..', 'shots');
mkdirSync(shots, { recursive: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log(`[console.${m.type()}]`, m.text()); });
page.on('pageerror', (e) => console.log('[pageerror]', e.message));
await page.addInitScript(() => {
  document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP ${e.violatedDirective} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} sample=${e.sample}`));
});
await page.goto(`http://127.0.0.1:5178/scripts/webview-dev/index.html?fixture=${fixture}&theme=${theme}`);
await page.waitForSelector('[data-testid=layer-table]', { timeout: 15000 });
const name = (s) => join(shots, `${fixture}-${theme}-${s}.png`);
await page.screenshot({ path: name('1-model') });
// Hover the first params cell to show the explanation.
const params = page.locator('[data-testid=params-explained]').nth(1);
await params.hover();
await page.screenshot({ path: name('2-hover') });
await page.locator('[data-testid=tab-input]').click();
await page.waitForTimeout(200);
await page.screenshot({ path: name('3-input') });
await page.locator('[data-testid=run-button]').click();
await page.waitForSelector('[data-testid=results-root][data-first-paint-ms]', { timeout: 20000 });
const ms = await page.locator('[data-testid=results-root]').getAttribute('data-first-paint-ms');
console.log(`first paint after result: ${ms} ms`);
await page.screenshot({ path: name('4-results'), fullPage: false });
const cell = page.locator('[data-testid=state-cell][data-step="2"][data-unit="0"]');
if (await cell.count()) {
  await cell.click();
  await page.waitForSelector('[data-testid=equation-box][data-step="2"]');
  await page.locator('[data-testid=equation-box]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: name('5-equation') });
  console.log('equation agrees:', await page.locator('[data-testid=equation-box]').getAttribute('data-agrees'));
}
await page.screenshot({ path: name('6-full'), fullPage: true });
await browser.close();
