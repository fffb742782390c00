// Dev only: CPU profile (V8 sampling) of one run of the perf fixture; prints the functions with the most
// self time between the click on Run and the first paint.
import { chromium } from 'playwright-core';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`http://127.0.0.1:5178/scripts/webview-dev/index.html?fixture=${process.argv[2] ?? 'perf-lstm256'}`);
await page.waitForSelector('[data-testid=layer-table]');
await page.locator('[data-testid=tab-input]').click();
await page.waitForTimeout(300);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
await cdp.send('Profiler.start');
await page.locator('[data-testid=run-button]').click();
await page.waitForSelector('[data-testid=results-root][data-first-paint-ms]', { timeout: 20000 });
const { profile } = await cdp.send('Profiler.stop');
await browser.close();
const dt = profile.timeDeltas;
const self = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
profile.samples.forEach((id, i) => {
  const n = byId.get(id);
  const f = n.callFrame;
  const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
});
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(v.toFixed(1).padStart(7), k);
