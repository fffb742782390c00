// Live recompute latency per edit, in the real VS Code (code-server + headless Debian Chromium, test/ui/fixture.ts).
// Golden model b (SimpleRNN(5) → Dense(2), 57 parameters, T = 10) and a 50,101-parameter LSTM(100) → Dense(1) over
// T = 100, D = 24 (bench/make_live_lstm.py, written into the workspace with Debian's h5py) are each run once on the
// ramp; then K single-keystroke edits to input cells, each waited for before the next (no coalescing). Per edit: from
// the keystroke in the page's input handler (mark `live-edit`) to the task after the frame that painted the updated
// views (mark `live-shown`), read from the webview frame. A small model runs in the page (webview/views/liveRun.ts):
// a quick one at once in the keystroke's task, a slower one at the next animation frame (that wait is counted as
// "before the pass"); then the pass, the in-place update of the views on screen, and "to the painted frame" (the
// wait for the next frame where the pass ran in the keystroke's task, then the frame's style, layout and paint); all
// page-clock stamps. An edit the host ran instead (the model's weights not there yet) is counted in the total and
// split as page → host → worker → page. Not a test: prints a Markdown table.
//   node --import tsx bench/live.ts [K=60]
//   LIVE_ONLY=b: golden model b only. LIVE_TRACE=1: also a Chromium timeline of each model's edits in bench/out/.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pickQuickItem, runPaletteCommand, sleep, webviewFrame } from '../test/vscode/harness';
import { openWorkbench, type Workbench } from '../test/ui/fixture';

const K = Number(process.argv[2] ?? 60);
const WARMUP = 5;
const LSTM_FILE = 'live-lstm50k.h5';

interface Shown {
  runId: number;
  local?: boolean;
  frameAt?: number;
  computedAt?: number;
  updatedAt?: number;
  editAt?: number;
  hostReceivedAt?: number;
  workerReceivedAt?: number;
  workerPostedAt?: number;
  hostPostedAt?: number;
  receivedAt: number;
  shownAt: number;
}

interface Row {
  model: string;
  params: number;
  T: number;
  edits: number;
  total: number[];
  /** Page runs: before the pass (a frame, for a slow model), the pass, the views updated, to the painted frame. */
  frame: number[];
  pass: number[];
  update: number[];
  paint: number[];
  /** Edits the host ran. */
  hosted: number;
  /** 1-minute load average before and after the edits. */
  load: string;
  toHost: number[];
  toWorker: number[];
  compute: number[];
  back: number[];
  render: number[];
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
};

async function measure(wb: Workbench, model: string, params: number, T: number, D: number): Promise<Row> {
  const { page } = wb;
  // Run Forward Pass… runs the model selected in the explorer (asking for its input), or asks for the model.
  if (model === LSTM_FILE) {
    await page.getByRole('treeitem', { name: model }).first().click();
    await sleep(1000);
  }
  await runPaletteCommand(page, 'Run Forward Pass…');
  const title = page.locator('.quick-input-widget .quick-input-title');
  await title.waitFor({ state: 'visible', timeout: 60_000 }).catch(() => undefined);
  if (!(await title.innerText().catch(() => '')).includes(`Input for ${model}`)) await pickQuickItem(page, model, { filter: model, timeout: 90_000 });
  await pickQuickItem(page, 'Ramp 1..T', { timeout: 60_000 });
  const frame = webviewFrame(page);
  await frame.locator('[data-testid="model-output"]').first().waitFor({ state: 'visible', timeout: 120_000 });
  await frame.locator('[data-testid="tab-input"]').click();
  await frame.locator('[data-testid="input-live"]').waitFor({ state: 'visible' });
  const body = frame.locator('body');
  const shownCount = () => body.evaluate(() => performance.getEntriesByName('live-shown').length);
  const loadBefore = os.loadavg()[0];
  // LIVE_TRACE=1: a Chromium timeline of this model's edits, to see where a frame's time goes (bench/out/live-*.trace.json).
  const tracing = process.env.LIVE_TRACE === '1';
  const cdp = tracing ? await page.context().newCDPSession(page) : null;
  const events: unknown[] = [];
  if (cdp) {
    cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
    await cdp.send('Tracing.start', { transferMode: 'ReportEvents', traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'toplevel', 'v8', 'blink.user_timing'] } });
  }
  for (let i = 0; i < K + WARMUP; i++) {
    // Cells in the first rows (the grid scrolls for T = 100): a different cell and a different digit each time.
    const t = i % Math.min(T, 8);
    const d = Math.floor(i / 8) % D;
    const cell = frame.locator(`[data-testid="input-cell"][data-t="${t}"][data-d="${d}"]`);
    await cell.click();
    const before = await shownCount();
    await page.keyboard.press(String((i % 9) + 1));
    for (let w = 0; w < 500 && (await shownCount()) <= before; w++) await sleep(10);
    // Enter commits the value already run (no second run).
    await page.keyboard.press('Enter');
  }
  if (cdp) {
    const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
    await cdp.send('Tracing.end');
    await done;
    writeFileSync(path.join(__dirname, 'out', `live-${path.basename(model, '.h5')}.trace.json`), JSON.stringify({ traceEvents: events }));
  }
  console.error(`${model}: ${K + WARMUP} edits done`);
  const shown = (await body.evaluate(() => performance.getEntriesByName('live-shown').map((e) => (e as unknown as { detail: unknown }).detail))) as Shown[];
  const use = shown.slice(WARMUP);
  const row: Row = { model, params, T, edits: use.length, total: [], frame: [], pass: [], update: [], paint: [], hosted: 0, load: `${loadBefore.toFixed(1)}–${os.loadavg()[0].toFixed(1)}`, toHost: [], toWorker: [], compute: [], back: [], render: [] };
  for (const s of use) {
    if (s.local && s.editAt !== undefined && s.frameAt !== undefined && s.computedAt !== undefined && s.updatedAt !== undefined) {
      row.total.push(s.shownAt - s.editAt);
      row.frame.push(s.frameAt - s.editAt);
      row.pass.push(s.computedAt - s.frameAt);
      row.update.push(s.updatedAt - s.computedAt);
      row.paint.push(s.shownAt - s.updatedAt);
      continue;
    }
    row.hosted++;
    if (s.editAt === undefined || s.hostReceivedAt === undefined || s.workerReceivedAt === undefined || s.workerPostedAt === undefined) continue;
    row.total.push(s.shownAt - s.editAt);
    row.toHost.push(s.hostReceivedAt - s.editAt);
    row.toWorker.push(s.workerReceivedAt - s.hostReceivedAt);
    row.compute.push(s.workerPostedAt - s.workerReceivedAt);
    row.back.push(s.receivedAt - s.workerPostedAt);
    row.render.push(s.shownAt - s.receivedAt);
  }
  await page.mouse.move(5, 5);
  await wb.shot(`bench-${path.basename(model, '.h5')}`);
  console.error(`${model}: median ${fmt(row.total)} ms edit → painted (before the pass ${fmt(row.frame)}, pass ${fmt(row.pass)}, update ${fmt(row.update)}, to the painted frame ${fmt(row.paint)}), ${row.hosted} host-run, load ${row.load}`);
  return row;
}

function fmt(xs: number[]): string {
  return `${quantile(xs, 0.5).toFixed(1)} / ${quantile(xs, 0.95).toFixed(1)}`;
}

async function main(): Promise<void> {
  const wb = await openWorkbench({
    readyFile: 'tesla-simplernn.keras',
    name: 'live',
    extra: (dir) => execFileSync('/usr/bin/python3', [path.resolve('bench/make_live_lstm.py'), path.join(dir, LSTM_FILE)]),
  });
  const rows: Row[] = [];
  console.error('workbench ready');
  try {
    await wb.page.setViewportSize({ width: 1280, height: 800 });
    rows.push(await measure(wb, 'b_simplernn5_tanh.h5', 57, 10, 3));
    if (process.env.LIVE_ONLY !== 'b') rows.push(await measure(wb, LSTM_FILE, 50_101, 100, 24));
  } catch (e) {
    await wb.shot('bench-failure');
    throw e;
  } finally {
    await wb.close();
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`Live recompute per edit, ms (median / p95 over ${K} edits after ${WARMUP} warm-up), code-server 4.100.3 + Debian Chromium headless, ${cpu}, ${os.cpus().length} cores shared, Node ${process.version}`);
  console.log('');
  console.log('| model | params | T | edits (host-run) | load avg (1 min) | edit → views painted | before the pass | pass in page | views updated | to the painted frame |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.model} | ${r.params.toLocaleString('en-US')} | ${r.T} | ${r.total.length} (${r.hosted}) | ${r.load} | ${fmt(r.total)} | ${fmt(r.frame)} | ${fmt(r.pass)} | ${fmt(r.update)} | ${fmt(r.paint)} |`);
  }
  const hosted = rows.filter((r) => r.toHost.length > 0);
  if (hosted.length) {
    console.log('\nEdits the host ran: | model | page → host | host → worker | worker compute | worker → host → page | render + frame |');
    for (const r of hosted) console.log(`| ${r.model} | ${fmt(r.toHost)} | ${fmt(r.toWorker)} | ${fmt(r.compute)} | ${fmt(r.back)} | ${fmt(r.render)} |`);
  }
  const slow = rows.filter((r) => quantile(r.total, 0.5) >= 16);
  if (slow.length) console.log(`\nOver the 16 ms target (median): ${slow.map((r) => r.model).join(', ')}`);
}

void (async () => {
  try {
    await main();
  } catch (e) {
    console.error(e);
    process.exitCode = 1;
  }
})();
