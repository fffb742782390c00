// Dev only: traces one run of the perf fixture and reports the first paint twice: wall clock (what the
// page measures, inflated when other processes share the CPU) and the main thread's own CPU time from
// the result's arrival to the end of the first frame's paint (what the page's work costs).
//   node scripts/webview-dev/trace.mjs [fixture]
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`http://127.0.0.1:5178/scripts/webview-dev/index.html?fixture=${process.argv[2] ?? 'perf-lstm256'}`);
await page.waitForSelector('[data-testid=layer-table]');
await page.locator('[data-testid=tab-input]').click();
await page.waitForTimeout(300);
await browser.startTracing(page, { path: '/tmp/webview-trace.json', categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
await page.locator('[data-testid=run-button]').click();
await page.waitForSelector('[data-testid=results-root][data-first-paint-ms]', { timeout: 20000 });
await page.waitForTimeout(300);
await browser.stopTracing();
const wall = await page.locator('[data-testid=results-root]').getAttribute('data-first-paint-ms');
await browser.close();
const events = JSON.parse(readFileSync('/tmp/webview-trace.json', 'utf8')).traceEvents;
// The task that delivered the result: the dev host's timer calling into the page.
const deliver = events.find((e) => e.name === 'FunctionCall' && String(e.args?.data?.url ?? '').endsWith('devhost.js') && e.dur > 1000 && e.ts > 0);
const main = deliver.tid;
// First Commit on the main thread after delivery ends the first frame.
const commit = events.filter((e) => e.tid === main && e.name === 'Commit' && e.ts > deliver.ts).sort((a, b) => a.ts - b.ts)[0];
const end = commit.ts + commit.dur;
const top = events.filter((e) => e.tid === main && e.ph === 'X' && e.name === 'RunTask' && e.ts >= deliver.ts - 5000 && e.ts < end);
const cpu = top.reduce((s, e) => s + (e.tdur ?? e.dur), 0) / 1000;
console.log(`wall-clock first paint (page, traced): ${wall} ms; main-thread CPU from result to first frame: ${cpu.toFixed(1)} ms; elapsed ${((end - deliver.ts) / 1000).toFixed(1)} ms`);
