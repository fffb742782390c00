// Dev only: the error paths show a banner with the one sentence (a failed run; a file that is not a model).
import { chromium } from 'playwright-core';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1100, height: 600 } });
const check = (ok, what) => console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
await page.goto('http://127.0.0.1:5178/scripts/webview-dev/index.html?fixture=golden-b&fail=run');
await page.waitForSelector('[data-testid=layer-table]');
await page.locator('[data-testid=run-button]').click();
await page.waitForSelector('[data-testid=error-banner]:not([hidden])');
const text = await page.locator('[data-testid=error-banner]').innerText();
check(/wrong size/.test(text), `run error banner: ${text.replace(/\s+/g, ' ')}`);
check((await page.locator('[data-testid=error-banner]').getAttribute('data-kind')) === 'input', 'kind input');
check((await page.locator('vscode-panels').getAttribute('activeid')) === 'tab-input', 'input error switches to the Input tab');
await page.screenshot({ path: 'scripts/webview-dev/shots/error-run.png' });
// A not-a-model page: the host sends loadError instead of init.
await page.evaluate(() => window.dispatchEvent(new MessageEvent('message', { data: { type: 'loadError', fileUri: 'file:///x.h5', fileName: 'lfs-pointer.h5', message: 'This is a Git LFS pointer, not the model: run `git lfs pull`.' } })));
const t2 = await page.locator('[data-testid=error-banner]').innerText();
check(/Git LFS pointer/.test(t2), `load error banner: ${t2.replace(/\s+/g, ' ')}`);
check(await page.locator('[data-testid=reopen-with]').isVisible(), 'reopen button shown');
await page.screenshot({ path: 'scripts/webview-dev/shots/error-load.png' });
await browser.close();
