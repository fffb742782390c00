// Benchmark: the extension's own activation work, inside the real VS Code (code-server 4.100.3 + headless Chromium).
//
//   node --import tsx bench/activation.ts [--runs 7] [--vsix keras-rnn-inspector.vsix] [--no-dev]
//
// What is timed: the extension's own work, as it logs it to its output channel: loading dist/extension.js (from its
// first statement, extension/activationClock.ts, to its last import evaluated) plus activate(), in CPU time
// (process.cpuUsage) and wall clock. The gap VS Code leaves between loading the module and calling activate() (it
// makes the extension context) is VS Code's, not counted. CPU time is the figure judged: on the shared 2-core machine
// the wall clock mostly measures the other processes (load averages of 30 were seen).
// Each run reloads the workbench (a fresh extension host), expands the Model Layers view (the extension activates on
// its view, commands, editors and Python hovers only) and reads the new log line. Two builds in the same run:
//   production  the .vsix (`npm run package`) installed with --install-extension into a fresh extensions folder
//   development the development build in dist/ loaded with extensionDevelopmentPath (what `npm start` runs)
// Goal (issue 10): production median < 50 ms of CPU. Also checked: activation reads no model and starts no worker (no
// "open …" log line within 3 s of activating, with no model open). Exit code 1 when either fails.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  codeServerBin, devPayload, launchBrowser, makeWorkspace, missingPrerequisite, repoRoot, sleep, startCodeServer,
  waitForExplorer, workbenchUrl, type Payload,
} from '../test/vscode/harness';

const argv = process.argv.slice(2);
const value = (name: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : undefined; };
const runs = Number(value('runs') ?? 7);
const vsix = path.resolve(value('vsix') ?? path.join(repoRoot, 'keras-rnn-inspector.vsix'));
const GOAL_MS = 50;

const missing = missingPrerequisite();
if (missing) { console.error(`cannot run: ${missing}`); process.exit(2); }
if (!fs.existsSync(vsix)) { console.error(`${vsix} does not exist: run \`npm run package\` first (or pass --vsix).`); process.exit(2); }

interface Sample { total: number; load: number; activate: number; cpu: number; cpuLoad: number; cpuActivate: number }
const LINE = /activated in ([\d.]+) ms \(loading the bundle ([\d.]+) ms, activate\(\) ([\d.]+) ms; CPU ([\d.]+) ms = ([\d.]+) \+ ([\d.]+);/;

function logLines(userData: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'Keras RNN Inspector.log') out.push(...fs.readFileSync(p, 'utf8').split('\n'));
    }
  };
  if (fs.existsSync(userData)) walk(userData);
  return out;
}

async function measure(label: string, opts: { extensionsDir?: string; payload?: (base: string) => Payload }): Promise<{ samples: Sample[]; eager: string[] }> {
  const ws = makeWorkspace();
  const cs = await startCodeServer({ workspace: ws.dir, ...(opts.extensionsDir ? { extensionsDir: opts.extensionsDir } : {}) });
  const browser = await launchBrowser();
  const userData = path.join(cs.root, 'user-data');
  const samples: Sample[] = [];
  const eager: string[] = [];
  try {
    const page = browser.page;
    const url = workbenchUrl(cs.base, ws.dir, opts.payload?.(cs.base));
    for (let i = 0; i <= runs; i++) {
      const before = logLines(userData).filter((l) => LINE.test(l)).length;
      await page.goto('about:blank');
      await page.goto(url, { timeout: 120_000, waitUntil: 'domcontentloaded' });
      await waitForExplorer(page, 'samples', 90_000);
      const header = page.locator('.pane-header', { hasText: /Model Layers/i }).first();
      await header.waitFor({ state: 'visible', timeout: 60_000 });
      if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
      const deadline = Date.now() + 60_000;
      let lines: string[] = [];
      while (Date.now() < deadline) {
        lines = logLines(userData);
        if (lines.filter((l) => LINE.test(l)).length > before) break;
        await sleep(100);
      }
      const hits = lines.filter((l) => LINE.test(l));
      if (hits.length <= before) throw new Error(`${label}: no activation line in the log after 60 s`);
      await sleep(3000);
      const after = logLines(userData);
      const idx = after.findIndex((l) => l === hits[hits.length - 1]);
      eager.push(...after.slice(idx + 1).filter((l) => / (open|read|run) /.test(l)));
      const m = LINE.exec(hits[hits.length - 1])!;
      // Run 0 warms the disk cache and code-server's own first start; it is not counted.
      if (i > 0) samples.push({ total: Number(m[1]), load: Number(m[2]), activate: Number(m[3]), cpu: Number(m[4]), cpuLoad: Number(m[5]), cpuActivate: Number(m[6]) });
      process.stderr.write(`${label} run ${i}: ${m[1]} ms wall, ${m[4]} ms CPU${i === 0 ? ' (warm-up, not counted)' : ''}\n`);
    }
  } finally {
    await browser.close();
    await cs.stop();
    ws.remove();
    fs.rmSync(cs.root, { recursive: true, force: true });
  }
  return { samples, eager };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

async function main(): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kri-bench-act-'));
  try {
    const extensionsDir = path.join(scratch, 'extensions');
    const env = { ...process.env, EXTENSIONS_GALLERY: '{}', XDG_CONFIG_HOME: path.join(scratch, 'xdg-config'), XDG_DATA_HOME: path.join(scratch, 'xdg-data') };
    const inst = spawnSync(codeServerBin, ['--install-extension', vsix, '--extensions-dir', extensionsDir, '--user-data-dir', path.join(scratch, 'user-data')], { encoding: 'utf8', env });
    if (inst.status !== 0) throw new Error(`installing ${vsix} failed:\n${inst.stdout}\n${inst.stderr}`);

    const results: [string, Awaited<ReturnType<typeof measure>>][] = [];
    results.push(['production (.vsix installed)', await measure('production', { extensionsDir })]);
    if (!argv.includes('--no-dev')) {
      if (!fs.existsSync(path.join(repoRoot, 'dist/extension.js'))) throw new Error('dist/extension.js is missing: run `npm run build`');
      results.push(['development (dist/, npm start)', await measure('development', { payload: (base) => devPayload({ base }, repoRoot) })]);
    }
    const [l1, l5] = os.loadavg();
    console.log(`\nActivation of Keras RNN Inspector in code-server 4.100.3, median of ${runs} runs (after one warm-up), ${os.cpus().length} cores, load average ${l1.toFixed(1)} (5 min ${l5.toFixed(1)}), ${new Date().toISOString().slice(0, 16)}Z\n`);
    console.log('| build | CPU: load + activate() | CPU: loading the bundle | CPU: activate() | wall clock: load + activate() | wall min–max |');
    console.log('|---|---:|---:|---:|---:|---:|');
    const med = (r: { samples: Sample[] }, k: keyof Sample) => `${median(r.samples.map((s) => s[k])).toFixed(1)} ms`;
    for (const [label, r] of results) {
      const t = r.samples.map((s) => s.total);
      console.log(`| ${label} | ${med(r, 'cpu')} | ${med(r, 'cpuLoad')} | ${med(r, 'cpuActivate')} | ${med(r, 'total')} | ${Math.min(...t).toFixed(1)}–${Math.max(...t).toFixed(1)} ms |`);
    }
    // CPU time is the extension's own work whatever else the machine runs; wall clock grows with the machine's load.
    const prod = median(results[0][1].samples.map((s) => s.cpu));
    const eager = results.flatMap(([, r]) => r.eager);
    let ok = true;
    if (prod >= GOAL_MS) { console.log(`\nFAIL: production activation ${prod.toFixed(1)} ms of CPU, goal < ${GOAL_MS} ms`); ok = false; }
    else console.log(`\nok: production activation ${prod.toFixed(1)} ms of CPU < ${GOAL_MS} ms`);
    if (eager.length) { console.log(`FAIL: activation read or ran something:\n${eager.join('\n')}`); ok = false; }
    else console.log('ok: no model read and no worker started by activation');
    process.exitCode = ok ? 0 : 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(String(e));
  process.exitCode = 1;
});
