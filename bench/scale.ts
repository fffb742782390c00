// Benchmark: how a long run's cost grows — LSTM(512), D = 64, at T = 1k, 10k, 100k with N = 1 and at T = 10k with
// N = 32 — on the host side (the forward pass and its trace store, as the panel's worker runs them) and in the webview
// (the real bundle dist/webview.js in headless Chromium, fed the real messages, its windows answered by the real
// store), plus the first paint of the heatmap and the table.
//
//   npm run build && node --import tsx bench/scale.ts [--runs 3] [--big-runs 1] [--cases 1k,10k,100k,32x10k]
//
// The model is built in code (no file): Input(T, 64) → LSTM(512) with seeded float32 weights (uniform ±0.05), the
// input a seeded random fill. Each (case, run) is its own child process, so its peak RSS (ru_maxrss) is its own:
//   host: runForward with traceLimitMB = 512 (the setting's default) and memoryLimitMB = 8192: above 512 MB of full
//         trace it keeps checkpoints (traceStore.ts); wall time, CPU time (user + system) and peak RSS of the child
//         after the run, and the time of the first windows (the kept rows of h, a 64-step chunk of all units);
//   webview: the same child then opens the page in Chromium (flags as test/vscode/harness.ts), posts init and the
//         runResult the host would post, answers the page's traceWindow requests from its store, and reads: first
//         paint of the results (data-first-paint-ms, a rAF after the paint), the paint of the first window of a
//         streamed trace (kept rows in the heatmap, rows in the table), the JS heap (CDP Performance.getMetrics
//         JSHeapUsedSize) and the renderer's RSS from /proc.
// Results: printed as a Markdown table and written to bench/out/scale.md (git-ignored).

import { spawnSync } from 'node:child_process';
import * as http from 'node:http';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

const D = 64;
// SCALE_M / SCALE_TRACE_MB shrink a case for profiling (the table says so); the benchmark itself uses 512 and 512.
const M = Number(process.env.SCALE_M ?? 512);
const TRACE_LIMIT_MB = Number(process.env.SCALE_TRACE_MB ?? 512);
/** SCALE_PROFILE=1: a CPU profile of the page from the result to the first window, written to bench/out/. */
const PROFILE = process.env.SCALE_PROFILE === '1';

interface Case {
  name: string;
  T: number;
  N: number;
}
const CASES: Case[] = [
  { name: '1k', T: 1_000, N: 1 },
  { name: '10k', T: 10_000, N: 1 },
  { name: '100k', T: 100_000, N: 1 },
  { name: '32x10k', T: 10_000, N: 32 },
];

interface Measure {
  streamed: boolean;
  every: number | null;
  keptMB: number;
  fullTraceMB: number;
  wallMs: number;
  cpuMs: number;
  hostRssMB: number;
  keptWindowMs: number;
  chunkWindowMs: number;
  firstPaintMs: number;
  keptPaintMs: number | null;
  rowsPaintMs: number | null;
  /** From the runResult message reaching the page to the frame after both the heatmap's and the table's first windows were painted. */
  firstWindowMs: number | null;
  /** CPU (thread time) of the page's main thread over that span, and of the store answering its windows. */
  pageCpuMs: number | null;
  windowCpuMs: number | null;
  heapMB: number;
  rendererRssMB: number | null;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

// ---------------------------------------------------------------------------------------------------------
// The child: one case, one run

async function child(T: number, N: number): Promise<Measure> {
  const { layerNode, weightRef, seeded, randomArray } = await import('../test/unit/helpers/layerNode');
  const { sequentialDoc } = await import('../test/unit/helpers/modelDoc');
  const { runForward, estimateMemory } = await import('../extension/keras/forward');
  const { fillInputs, inputSpecs } = await import('../extension/keras/inputs');
  const { takeRunStore, traceWindow, overviewStride } = await import('../extension/keras/traceStore');
  const { summarize } = await import('../extension/keras/summary');
  const { recurrentWeightsFor } = await import('../extension/runJob');

  const rnd = seeded(512);
  const lstm = layerNode('LSTM', { units: M, return_sequences: false, activation: 'tanh', recurrent_activation: 'sigmoid', use_bias: true }, {
    name: 'lstm',
    weights: [
      weightRef('lstm/kernel', [D, 4 * M], randomArray(D * 4 * M, rnd, -0.05, 0.05)),
      weightRef('lstm/recurrent_kernel', [M, 4 * M], randomArray(M * 4 * M, rnd, -0.05, 0.05)),
      weightRef('lstm/bias', [4 * M], randomArray(4 * M, rnd, -0.05, 0.05)),
    ],
  });
  const doc = sequentialDoc([null, null, D], [lstm]);
  const { tensors } = fillInputs(doc, 'random', { N, T, seed: 7 });
  const fullTraceMB = estimateMemory(doc, [[N, T, D]], true).traces / 2 ** 20;

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const res = await runForward(doc, tensors, { trace: true, traceLimitMB: TRACE_LIMIT_MB, memoryLimitMB: 8192 });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const store = takeRunStore();
  const trace = res.traces[0];
  const quantities = Object.keys(trace.values);
  const w0 = performance.now();
  const kept = trace.streamed
    ? traceWindow(res.traces, store, { layer: trace.layer, sample: 0, step0: 0, step1: T, stride: overviewStride(T, trace.streamed.every), unit0: 0, unit1: M, quantities: ['h'] })
    : null;
  const keptWindowMs = performance.now() - w0;
  const w1 = performance.now();
  // A late chunk: the recompute starts from the checkpoint before it.
  const late = Math.max(0, T - 100);
  traceWindow(res.traces, store, { layer: trace.layer, sample: N - 1, step0: late, step1: Math.min(T, late + 64), unit0: 0, unit1: M, quantities });
  const chunkWindowMs = performance.now() - w1;
  const hostRssMB = process.resourceUsage().maxRSS / 1024;
  void kept;

  // ---- the webview ----
  const { chromium } = await import('playwright-core');
  const recurrentWeights = res.traces.map((tr) => recurrentWeightsFor(doc, tr)).filter((w) => w !== null);
  const result = { runId: 1, inputs: tensors, inputLabel: `seeded random, N=${N}, T=${T}`, outputs: res.outputs, layers: res.layers, traces: res.traces, recurrentWeights, elapsedMs: wallMs };
  const init = { type: 'init', protocol: 1, fileUri: 'file:///lstm512.keras', fileName: 'lstm512.keras', summary: summarize(doc), inputs: inputSpecs(doc), host: 'panel' };
  // Typed arrays travel as one binary body beside a JSON skeleton, rebuilt in the page before the message is posted.
  const blobs: Buffer[] = [];
  let offset = 0;
  const pack = (v: unknown): unknown => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const a = v as Float64Array | Float32Array | Int32Array | Uint8Array;
      const t = a instanceof Float64Array ? 'f64' : a instanceof Float32Array ? 'f32' : a instanceof Int32Array ? 'i32' : 'u8';
      const pad = (8 - (offset % 8)) % 8;
      if (pad) blobs.push(Buffer.alloc(pad));
      offset += pad;
      const at = offset;
      blobs.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
      offset += a.byteLength;
      return { $bin: at, $len: a.length, $t: t };
    }
    if (Array.isArray(v)) return v.map(pack);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x !== 'function').map(([k, x]) => [k, pack(x)]));
    return v;
  };
  const skeleton = JSON.stringify({ init, result: pack(result) });
  const body = Buffer.concat(blobs);
  const root = path.join(__dirname, '..');
  const html = `<!DOCTYPE html><html><head><meta charset="UTF-8"><link rel="stylesheet" href="/scripts/webview-dev/theme.css"><link rel="stylesheet" href="/media/inspector.css"></head>
<body class="vscode-dark"><div id="app"></div><script src="/host.js"></script><script src="/dist/webview.js"></script></body></html>`;
  const hostJs = `(() => {
  const ctors = { f64: Float64Array, f32: Float32Array, i32: Int32Array, u8: Uint8Array };
  const toPage = (m) => window.dispatchEvent(new MessageEvent('message', { data: m }));
  let data;
  window.__post = (m) => toPage(m);
  window.__load = async () => {
    const [skel, bin] = await Promise.all([fetch('/skeleton.json').then((r) => r.json()), fetch('/body.bin').then((r) => r.arrayBuffer())]);
    const un = (v) => {
      if (Array.isArray(v)) return v.map(un);
      if (v && typeof v === 'object') {
        if (typeof v.$bin === 'number') return new ctors[v.$t](bin, v.$bin, v.$len);
        const o = {};
        for (const k of Object.keys(v)) o[k] = un(v[k]);
        return o;
      }
      return v;
    };
    data = { init: skel.init, result: un(skel.result) };
    toPage(data.init);
  };
  window.__postResult = () => { console.timeStamp('scale-result-posted'); window.__resultPostedAt = performance.now(); toPage({ type: 'runResult', result: data.result }); };
  window.acquireVsCodeApi = () => ({
    getState: () => undefined,
    setState: () => undefined,
    async postMessage(m) {
      if (m.type === 'request' && m.method === 'traceWindow') {
        // Binary over local HTTP, as a Float32Array reaches the page in VS Code (no JSON of the values).
        const r = await fetch('/window', { method: 'POST', body: JSON.stringify(m.params) });
        if (!r.ok) { toPage({ type: 'reply', id: m.id, ok: false, error: await r.text() }); return; }
        const buf = await r.arrayBuffer();
        const headLen = new Uint32Array(buf, 0, 1)[0];
        const w = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, headLen)));
        let at = 4 + headLen + ((4 - ((4 + headLen) % 4)) % 4);
        const steps = new Int32Array(buf, at, w.rows);
        at += w.rows * 4;
        const values = {};
        for (const q of w.quantities) { values[q] = new Float32Array(buf, at, w.size); at += w.size * 4; }
        toPage({ type: 'reply', id: m.id, ok: true, result: { steps, unit0: w.unit0, unit1: w.unit1, values } });
      } else if (m.type === 'request') {
        toPage({ type: 'reply', id: m.id, ok: false, error: 'not in the benchmark' });
      }
    },
  });
})();`;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'] });
  const closers: (() => void)[] = [];
  const windowCpuMs: number[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => console.error('[pageerror]', e.message));
    // A local HTTP server (not Playwright's route, whose bodies cross the CDP pipe as base64) serves the page.
    const server = http.createServer((req, reply) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname === '/window') {
        // A window answered by the real store: a JSON head, then the steps and each quantity's float32 values.
        const parts: Buffer[] = [];
        req.on('data', (c: Buffer) => parts.push(c));
        req.on('end', () => {
          try {
            const c0 = process.cpuUsage();
            const w = traceWindow(res.traces, store, JSON.parse(Buffer.concat(parts).toString('utf8')) as never);
            const c = process.cpuUsage(c0);
            windowCpuMs.push((c.user + c.system) / 1000);
            const qs = Object.keys(w.values);
            const head = Buffer.from(JSON.stringify({ quantities: qs, rows: w.steps.length, size: w.values[qs[0]].length, unit0: w.unit0, unit1: w.unit1 }));
            const len = Buffer.alloc(4);
            len.writeUInt32LE(head.length);
            const pad = Buffer.alloc((4 - ((4 + head.length) % 4)) % 4);
            const arrays = [w.steps, ...qs.map((q) => w.values[q])].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
            reply.writeHead(200, { 'content-type': 'application/octet-stream' });
            reply.end(Buffer.concat([len, head, pad, ...arrays]));
          } catch (e) {
            reply.writeHead(400);
            reply.end(String((e as Error).message));
          }
        });
        return;
      }
      const res_ = reply;
      const send = (data: string | Buffer, type: string) => {
        res_.writeHead(200, { 'content-type': type });
        res_.end(data);
      };
      if (url.pathname === '/') return send(html, 'text/html');
      if (url.pathname === '/host.js') return send(hostJs, 'text/javascript');
      if (url.pathname === '/skeleton.json') return send(skeleton, 'application/json');
      if (url.pathname === '/body.bin') return send(body, 'application/octet-stream');
      // SCALE_WEBVIEW: a private (unminified) bundle for profiling while others rebuild dist/.
      if (url.pathname === '/dist/webview.js' && process.env.SCALE_WEBVIEW) return send(readFileSync(process.env.SCALE_WEBVIEW), 'text/javascript');
      const file = path.join(root, url.pathname);
      if (!file.startsWith(root + path.sep) || !existsSync(file)) {
        res_.writeHead(404);
        return res_.end();
      }
      return send(readFileSync(file), file.endsWith('.css') ? 'text/css' : 'text/javascript');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // The page's main-thread CPU from the result to its first window (thread time of its tasks, from a trace).
    const cpuTrace = !PROFILE && process.env.SCALE_TIMELINE !== '1';
    if (cpuTrace) await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline'] });
    const port = (server.address() as { port: number }).port;
    closers.push(() => server.close());
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.evaluate(() => (globalThis as unknown as { __load(): Promise<void> }).__load());
    await page.waitForSelector('[data-testid=layer-table]', { timeout: 60_000 });
    const cdp = await page.context().newCDPSession(page);
    if (process.env.SCALE_TIMELINE === '1') await browser.startTracing(page, { path: path.join(__dirname, 'out', `scale-${N}x${T}-m${M}.trace.json`), categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'cc', 'gpu', 'toplevel', 'v8'] });
    if (PROFILE) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    await page.evaluate(() => (globalThis as unknown as { __postResult(): void }).__postResult());
    await page.waitForSelector('[data-testid=results-root][data-first-paint-ms]', { timeout: 120_000 });
    const firstPaintMs = Number(await page.locator('[data-testid=results-root]').getAttribute('data-first-paint-ms'));
    let keptPaintMs: number | null = null;
    let rowsPaintMs: number | null = null;
    let firstWindowMs: number | null = null;
    let pageCpuMs: number | null = null;
    let windowsBeforePaint: number | null = null;
    if (trace.streamed) {
      const explorer = page.locator('[data-testid=trace-explorer]');
      await page.waitForSelector('[data-testid=trace-explorer][data-kept-paint-ms][data-rows-paint-ms]', { timeout: 120_000 });
      keptPaintMs = Number(await explorer.getAttribute('data-kept-paint-ms'));
      rowsPaintMs = Number(await explorer.getAttribute('data-rows-paint-ms'));
      await page.waitForSelector('[data-testid=trace-explorer][data-kept-painted-at][data-rows-painted-at]', { timeout: 120_000 });
      const posted = Number(await page.evaluate(() => (globalThis as unknown as { __resultPostedAt: number }).__resultPostedAt));
      const painted = Math.max(Number(await explorer.getAttribute('data-kept-painted-at')), Number(await explorer.getAttribute('data-rows-painted-at')));
      firstWindowMs = painted - posted;
      windowsBeforePaint = windowCpuMs.reduce((a, b) => a + b, 0);
    }
    if (process.env.SCALE_TIMELINE === '1') await browser.stopTracing();
    if (cpuTrace) {
      const { traceEvents } = JSON.parse((await browser.stopTracing()).toString('utf8')) as { traceEvents: { name: string; ph: string; pid: number; tid: number; ts: number; dur?: number; tdur?: number; args?: { name?: string; data?: { message?: string } } }[] };
      const main = traceEvents.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
      const mark = traceEvents.find((e) => e.name === 'TimeStamp' && e.args?.data?.message === 'scale-result-posted');
      if (main && mark && firstWindowMs !== null) {
        const end = mark.ts + firstWindowMs * 1000;
        pageCpuMs = traceEvents
          .filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && (e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask') && e.ts + (e.dur ?? 0) >= mark.ts && e.ts <= end)
          .reduce((a, e) => a + (e.tdur ?? 0), 0) / 1000;
        // RunTask and ThreadControllerImpl::RunTask nest: count one of them.
        const outer = traceEvents.some((e) => e.pid === main.pid && e.tid === main.tid && e.name === 'ThreadControllerImpl::RunTask');
        if (outer) pageCpuMs = traceEvents.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && e.ts + (e.dur ?? 0) >= mark.ts && e.ts <= end).reduce((a, e) => a + (e.tdur ?? 0), 0) / 1000;
      }
    }
    if (PROFILE) {
      const { profile } = (await cdp.send('Profiler.stop')) as { profile: unknown };
      const out = path.join(__dirname, 'out', `scale-${N}x${T}-m${M}.cpuprofile`);
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, JSON.stringify(profile));
      console.error(`profile: ${out}`);
    }
    await cdp.send('Performance.enable');
    const metrics = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
    const heap = metrics.metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
    // The renderer's resident memory (its JS heap, the decoded message, canvases), read from /proc.
    let rendererRssMB: number | null = null;
    try {
      const bcdp = await browser.newBrowserCDPSession();
      const info = (await bcdp.send('SystemInfo.getProcessInfo')) as unknown as { processInfo: { type: string; id: number }[] };
      const renderers = info.processInfo.filter((p) => p.type === 'renderer');
      let rss = 0;
      for (const p of renderers) {
        const status = readFileSync(`/proc/${p.id}/status`, 'utf8');
        const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
        if (hwm) rss = Math.max(rss, Number(hwm[1]) / 1024);
      }
      rendererRssMB = rss || null;
    } catch {
      rendererRssMB = null;
    }
    return {
      streamed: !!trace.streamed,
      every: trace.streamed?.every ?? null,
      keptMB: (store?.keptBytes() ?? 0) / 2 ** 20,
      fullTraceMB,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      hostRssMB,
      keptWindowMs,
      chunkWindowMs,
      firstPaintMs,
      keptPaintMs,
      rowsPaintMs,
      firstWindowMs,
      pageCpuMs,
      windowCpuMs: windowsBeforePaint,
      heapMB: heap / 2 ** 20,
      rendererRssMB,
    };
  } finally {
    await browser.close();
    for (const c of closers) c();
  }
}

// ---------------------------------------------------------------------------------------------------------
// The parent: every case in its own children, medians, a table

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function main(): void {
  const runs = Math.max(1, Number(arg('--runs', '3')));
  const bigRuns = Math.max(1, Number(arg('--big-runs', '1')));
  const only = arg('--cases', CASES.map((c) => c.name).join(',')).split(',');
  const rows: string[] = [];
  // In the order asked.
  for (const c of only.map((n) => CASES.find((x) => x.name === n)).filter((x): x is Case => x !== undefined)) {
    const n = c.T * c.N >= 100_000 ? bigRuns : runs;
    const ms: Measure[] = [];
    const loads: number[] = [];
    for (let r = 0; r < n; r++) {
      loads.push(os.loadavg()[0]);
      const out = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', String(c.T), String(c.N)], { encoding: 'utf8', maxBuffer: 1 << 24 });
      const line = out.stdout.trim().split('\n').pop() ?? '';
      if (out.status !== 0 || !line.startsWith('{')) {
        console.error(`case ${c.name} run ${r + 1} failed:\n${out.stderr.slice(-2000)}`);
        process.exit(1);
      }
      ms.push(JSON.parse(line) as Measure);
      console.error(`${c.name} run ${r + 1}/${n}: ${line}`);
    }
    const med = (f: (m: Measure) => number | null): string => {
      const xs = ms.map(f).filter((x): x is number => x !== null);
      return xs.length ? median(xs).toFixed(0) : '—';
    };
    const m0 = ms[0];
    rows.push(
      `| N = ${c.N}, T = ${c.T.toLocaleString('en')} | ${m0.fullTraceMB.toFixed(0)} MB | ${m0.streamed ? `checkpoints, K = ${m0.every} (${m0.keptMB.toFixed(0)} MB)` : 'every step'} | ${med((m) => m.wallMs)} | ${med((m) => m.cpuMs)} | ${med((m) => m.hostRssMB)} | ${med((m) => m.chunkWindowMs)} | ${med((m) => m.firstPaintMs)} | ${med((m) => m.keptPaintMs)} / ${med((m) => m.rowsPaintMs)} | ${med((m) => m.firstWindowMs)} (CPU: page ${med((m) => m.pageCpuMs)}, windows ${med((m) => m.windowCpuMs)}) | ${med((m) => m.heapMB)} | ${med((m) => m.rendererRssMB)} | ${n} | ${Math.min(...loads).toFixed(1)}–${Math.max(...loads, os.loadavg()[0]).toFixed(1)} |`,
    );
  }
  const cpus = os.cpus();
  const md = [
    `LSTM(${M}), D = ${D}, trace limit ${TRACE_LIMIT_MB} MB; ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, Node ${process.version}, Chromium headless. Medians.`,
    'first paint: from the result reaching the page to the frame after the results are painted (main.ts). First window of a streamed',
    "trace: from the runResult message reaching the page to the frame after both the heatmap's overview and the table's first rows are",
    "painted, their windows asked for and answered by the real store over local HTTP in binary (the worker's round trip in VS Code);",
    'the two figures before it are the same paints timed from the explorer\'s construction. CPU: thread time of the page\'s main thread over',
    'that span (a Chromium trace) and of the store computing the windows it asked for. Load: 1-minute load average during the case.',
    '',
    '| run | full trace (f32) | kept | host wall ms | host CPU ms | host peak RSS MB | late 64-step window ms | webview first paint ms | first window painted ms (heatmap / table) | first window from the result ms | webview JS heap MB | renderer peak RSS MB | runs | load |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
  console.log(md);
  const outDir = path.join(__dirname, 'out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'scale.md'), md + '\n');
}

if (process.argv[2] === '--child') {
  child(Number(process.argv[3]), Number(process.argv[4])).then(
    (m) => {
      console.log(JSON.stringify(m));
      process.exit(0);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  main();
}
