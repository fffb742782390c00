// Dev only: drives the dev page through the model weights view, the input editor (paste, CSV, bad
// values), keyboard use of the step table, and a reload (state restore). Screenshots go to shots/.
//   node scripts/webview-dev/interact.mjs [fixture] [theme]
import { chromium } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const fixture = process.argv[2] ?? 'stock-gru';
const theme = process.argv[3] ?? 'dark';
const shots = join(fileURLToPath(import.meta.url), '..', 'shots');
const shot = (n) => join(shots, `${fixture}-${theme}-i-${n}.png`);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.on('console', (m) => { if (m.type() === 'error') console.log('[console.error]', m.text()); });
page.on('pageerror', (e) => console.log('[pageerror]', e.message));
const check = (ok, what) => console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
await page.goto(`http://127.0.0.1:5178/scripts/webview-dev/index.html?fixture=${fixture}&theme=${theme}`);
await page.waitForSelector('[data-testid=layer-table]');
// Weights: select the recurrent layer, open its recurrent kernel.
const rec = page.locator('[data-testid=layer-row]').filter({ hasText: /GRU|LSTM|SimpleRNN/ }).first();
await rec.focus();
await page.keyboard.press('Enter');
const rk = page.locator('[data-testid=weight-item]').filter({ hasText: 'recurrent_kernel' }).first();
await rk.locator('[data-testid=weight-show]').click();
await page.waitForFunction(() => { const rows = [...document.querySelectorAll('[data-testid=spectral-radius] .radius-row')]; return rows.length > 0 && rows.every((r) => r.dataset.radius); }, null, { timeout: 30000 });
const radii = await page.locator('[data-testid=spectral-radius] .radius-row').evaluateAll((els) => els.map((e) => `${e.dataset.gate}:${Number(e.dataset.radius).toFixed(3)}`));
check(radii.length >= 1, `spectral radii shown: ${radii.join(' ')}`);
await rk.scrollIntoViewIfNeeded();
await page.screenshot({ path: shot('weights') });
// Input: paste a NumPy text with a wrong size, then a right one.
await page.locator('[data-testid=tab-input]').click();
await page.locator('[data-testid=fill-paste]').click();
await page.locator('[data-testid=paste-text] >> textarea').fill('np.array([[1, 2], [3, 4]])');
await page.locator('[data-testid=paste-apply]').click();
const pasteErr = await page.locator('[data-testid=paste-error]').textContent();
check(/wrong/.test(pasteErr ?? ''), `paste error: ${pasteErr}`);
await page.screenshot({ path: shot('paste-error') });
// Type NaN in a grid cell: the core's sentence appears inline and Run is disabled.
await page.locator('[data-testid=fill-zeros]').click();
const cell = page.locator('[data-testid=input-cell][data-t="1"][data-d="0"]');
await cell.click();
await page.keyboard.type('nan');
await page.keyboard.press('Enter');
const v = await page.locator('[data-testid=input-validation]').textContent();
check(/NaN at sample 0, time step 1, feature 0/.test(v ?? ''), `validation: ${v}`);
check(await page.locator('[data-testid=run-button]').evaluate((b) => b.hasAttribute('disabled')), 'run disabled while invalid');
await page.screenshot({ path: shot('input-invalid') });
await page.locator('[data-testid=fill-ramp]').click();
check(!(await page.locator('[data-testid=run-button]').evaluate((b) => b.hasAttribute('disabled'))), 'run enabled after ramp');
// CSV: pick (dev host serves sunspots), column 1, window = T rows from -T.
await page.locator('[data-testid=fill-csv]').click();
await page.waitForSelector('[data-testid=csv-apply]');
await page.locator('[data-testid=csv-start] >> input').fill('-50');
await page.screenshot({ path: shot('csv') });
await page.locator('[data-testid=csv-apply]').click();
const csvErr = await page.locator('[data-testid=csv-error]').count() ? await page.locator('[data-testid=csv-error]').textContent() : '';
check(!csvErr, `csv applied ${csvErr ?? ''}`);
// Run (Ctrl+Enter), then keyboard in the step table.
await page.keyboard.press('Control+Enter');
await page.waitForSelector('[data-testid=results-root][data-first-paint-ms]', { timeout: 20000 });
const first = page.locator('[data-testid=state-cell]').first();
await first.focus();
await page.keyboard.press('ArrowDown');
await page.keyboard.press('ArrowDown');
await page.keyboard.press('ArrowRight');
await page.keyboard.press('Enter');
const step = await page.locator('[data-testid=equation-box]').getAttribute('data-step');
check(step === '2', `Enter on the focused cell shows step index 2 (got ${step})`);
const focused = await page.evaluate(() => `${document.activeElement?.dataset.step}/${document.activeElement?.dataset.unit}`);
check(focused === '2/1', `focus moved with arrows to 2/1 (got ${focused})`);
await page.keyboard.press('PageDown');
const afterPage = await page.evaluate(() => document.activeElement?.dataset.step);
check(Number(afterPage) > 2, `PageDown moves down (step ${afterPage})`);
// Heatmap keyboard: focus, arrow right, Enter selects the next step.
await page.locator('[data-testid=state-heatmap]').focus();
await page.keyboard.press('ArrowRight');
await page.keyboard.press('Enter');
const hstep = await page.locator('[data-testid=equation-box]').getAttribute('data-step');
check(hstep === '3', `heatmap Enter selects step index 3 (got ${hstep})`);
await page.screenshot({ path: shot('results') });
// Export PNG reaches the host as bytes.
await page.locator('[data-testid=export-heatmap-png]').click();
await page.waitForFunction(() => window.__devExport);
const exp = await page.evaluate(() => ({ format: window.__devExport.format, bytes: window.__devExport.png?.length, sig: Array.from(window.__devExport.png?.slice(1, 4) ?? []) }));
check(exp.format === 'png' && exp.bytes > 100 && String.fromCharCode(...exp.sig) === 'PNG', `PNG export: ${exp.bytes} bytes`);
// Reload: tab, selection and result come back from setState.
await page.waitForTimeout(400);
await page.reload();
await page.waitForSelector('[data-testid=layer-table]', { state: 'attached' });
await page.waitForTimeout(300);
const tab = await page.locator('vscode-panels').getAttribute('activeid');
check(tab === 'tab-results', `restored tab ${tab}`);
const restoredStep = await page.locator('[data-testid=equation-box]').getAttribute('data-step');
check(restoredStep === '3', `restored step ${restoredStep}`);
await page.screenshot({ path: shot('restored') });
await browser.close();
