// The fuzz runner: a pool of long-lived worker processes, each case timed and measured, a report at the end.
//
// Isolation: each worker is a child process (child_process.fork), not a worker thread. A case that hangs or eats
// memory is killed with its process (SIGKILL) and the worker is started again (~0.1 s: it is one esbuild bundle).
//
// Memory: worker threads' resourceLimits cap only the V8 heap, and the allocations that matter here (typed arrays
// sized by a file's claims, inflated zip members) live outside it. So the runner reads the worker's resident set
// from /proc/PID/status instead, which counts everything: before a case it resets the peak (`echo 5 >
// /proc/PID/clear_refs`, Linux's "reset peak RSS") and takes the settled RSS as the baseline; during the case it
// polls VmRSS every 10 ms and kills the worker above baseline + limit; after the core phase the case's memory is
// VmHWM − baseline. Without /proc (not Linux) memory reads as 0 and only the V8 heap cap (--max-old-space-size) guards.

import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KINDS, kindOf, type Kind } from './cases';
import { OUTCOMES, PASSING, type CaseResult, type Finding, type Outcome, type Probe, type WorkerReply } from './protocol';

export const root = path.resolve(__dirname, '../..');
export const artifacts = path.join(root, 'test-artifacts', 'fuzz');

export interface FuzzOptions {
  seed: number;
  /** Cases 0 .. cases-1, unless `only` names some. */
  cases: number;
  only?: number[];
  kinds?: Kind[];
  workers?: number;
  /** Per case, for the core phase (load, summary, forward). */
  timeoutMs?: number;
  memoryLimitMB?: number;
  /** Replace the core with a known failure (the harness's own tests). */
  probe?: Probe;
  onResult?(r: CaseResult, done: number, total: number): void;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  seconds: number;
  workers: number;
  timeoutMs: number;
  memoryLimitMB: number;
  byKind: Record<string, Partial<Record<Outcome, number>>>;
  worstTime: { ms: number; index: number; kind: Kind; label: string } | null;
  worstMemory: { mb: number; index: number; kind: Kind; label: string } | null;
  failures: CaseResult[];
  /** The failures grouped by cause, most cases first. */
  causes: { cause: string; cases: number[] }[];
  results: CaseResult[];
}

/**
 * Bundles the worker (with the core) and the CLI with esbuild, so no case pays for TypeScript. The CLI is bundled
 * here from extension/cli/main.ts with dist/cli.js's options, so the cases test the sources as they are now, not a
 * dist/ left over from an earlier build.
 */
let built: Promise<{ worker: string; cli: string }> | undefined;
export function buildBundles(): Promise<{ worker: string; cli: string }> {
  built ??= build();
  return built;
}

async function build(): Promise<{ worker: string; cli: string }> {
  const esbuild = await import('esbuild');
  // One folder per run: two runs at once (a developer's and npm test) must not rebuild each other's bundles.
  const dir = path.join(artifacts, `bundle-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const worker = path.join(dir, 'worker.cjs');
  const cli = path.join(dir, 'cli.cjs');
  const common = { bundle: true, platform: 'node' as const, format: 'cjs' as const, target: 'node20', sourcemap: 'inline' as const, logLevel: 'warning' as const, absWorkingDir: root, external: ['vscode'] };
  await Promise.all([
    esbuild.build({ ...common, entryPoints: [path.join(root, 'test/fuzz/worker.ts')], outfile: worker }),
    esbuild.build({ ...common, entryPoints: [path.join(root, 'extension/cli/main.ts')], outfile: cli }),
  ]);
  return { worker, cli };
}

function procStatus(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
/** CPU time (user + system) a process has used, ms; 0 without /proc. */
function procCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in 1/100 s
  } catch {
    return 0;
  }
}
function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    /* not Linux, or not allowed: the peak then covers the worker's life, an overestimate */
  }
}

const MB = 1024 * 1024;

class Worker {
  proc: ChildProcess | undefined;
  private inbox: WorkerReply[] = [];
  private waiting: ((m: WorkerReply | 'exit') => void) | undefined;
  stderrTail = '';
  exited = false;
  onStray?: (m: { message: string; where: string }) => void;

  constructor(private readonly bundle: string) {}

  async start(): Promise<void> {
    this.exited = false;
    this.inbox = [];
    this.stderrTail = '';
    const p = fork(this.bundle, [], {
      execArgv: ['--enable-source-maps', '--expose-gc', '--max-old-space-size=1024'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, KRI_REPO_ROOT: root, NODE_OPTIONS: '' },
    });
    this.proc = p;
    p.stderr!.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-4000)));
    p.on('message', (m: WorkerReply) => {
      if (m.type === 'stray') return this.onStray?.(m);
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(m);
      } else this.inbox.push(m);
    });
    p.on('exit', () => {
      this.exited = true;
      const w = this.waiting;
      this.waiting = undefined;
      w?.('exit');
    });
    const hello = await this.next(30_000);
    if (hello === 'exit' || hello === 'timeout' || hello.type !== 'hello') throw new Error(`the fuzz worker did not start: ${this.stderrTail}`);
  }

  next(timeoutMs: number): Promise<WorkerReply | 'exit' | 'timeout'> {
    if (this.inbox.length) return Promise.resolve(this.inbox.shift()!);
    if (this.exited) return Promise.resolve('exit');
    return new Promise((res) => {
      const t = setTimeout(() => {
        this.waiting = undefined;
        res('timeout');
      }, timeoutMs);
      this.waiting = (m) => {
        clearTimeout(t);
        res(m);
      };
    });
  }

  send(m: unknown): void {
    this.proc?.send(m as never);
  }

  async kill(): Promise<void> {
    const p = this.proc;
    if (p && !this.exited) {
      await new Promise<void>((res) => {
        p.once('exit', () => res());
        p.kill('SIGKILL');
      });
    }
    // A killed worker cannot clean its scratch folder (a sparse 2.5 GB file among others).
    if (p?.pid) rmSync(path.join(os.tmpdir(), `kri-fuzz-${p.pid}`), { recursive: true, force: true });
  }
}

const rank = (o: Outcome) => OUTCOMES.indexOf(o);
const worse = (a: Finding, b: Finding | undefined) => (b && rank(b.outcome) < rank(a.outcome) ? b : a);

async function runCase(w: Worker, seed: number, index: number, cliPath: string, timeoutMs: number, limitMB: number, probe?: Probe): Promise<CaseResult> {
  if (!w.proc || w.exited) await w.start();
  const kind = kindOf(index);
  const base = { seed, index, kind, label: '', ms: 0, cpuMs: 0, memMB: 0, cli: false, hostile: false };
  const harness = async (message: string): Promise<CaseResult> => {
    await w.kill();
    return { ...base, outcome: 'crash', phase: 'harness', message };
  };
  const tPrep = performance.now();
  w.send({ type: 'prepare', seed, index });
  const ready = await w.next(60_000);
  if (process.env.KRI_FUZZ_DEBUG) console.error(`#${index} prepare ${Math.round(performance.now() - tPrep)} ms`);
  if (ready === 'exit' || ready === 'timeout' || ready.type !== 'ready') {
    return harness(`building the case: ${ready === 'exit' || ready === 'timeout' ? ready : ready.type === 'harness-error' ? ready.message : ready.type}`);
  }
  Object.assign(base, { label: ready.label, cli: ready.cli, hostile: ready.hostile });
  const pid = w.proc!.pid!;
  resetPeak(pid);
  const baseline = procStatus(pid, 'VmRSS');
  let over = 0;
  const poll = setInterval(() => {
    const rss = procStatus(pid, 'VmRSS');
    if (rss - baseline > limitMB * MB && !over) {
      over = rss - baseline;
      w.proc?.kill('SIGKILL');
    }
  }, 10);
  const t0 = performance.now();
  const cpu0 = procCpuMs(pid);
  w.send({ type: 'go', cliPath, probe });
  let stray: Finding | undefined;
  w.onStray = (m) => (stray = worse({ outcome: 'crash', phase: 'after the run', message: m.message, where: m.where }, stray));
  const coreMsg = await w.next(timeoutMs);
  const ms = performance.now() - t0;
  // For a worker stopped mid-case, its CPU time tells a real hang (≈ wall) from a starved one on a busy machine.
  const cpuMs = procCpuMs(pid) - cpu0;
  const peak = Math.max(0, procStatus(pid, 'VmHWM') - baseline, over);
  clearInterval(poll);
  const memMB = Math.round((peak / MB) * 10) / 10;
  if (over) {
    await w.kill();
    return { ...base, ms, cpuMs, memMB, outcome: 'over memory', phase: 'core', message: `resident memory rose by over ${limitMB} MB; the worker was stopped` };
  }
  if (coreMsg === 'timeout') {
    await w.kill();
    return { ...base, ms, cpuMs, memMB, outcome: 'hang', phase: 'core', message: `no result after ${timeoutMs / 1000} s; the worker was stopped` };
  }
  if (coreMsg === 'exit') {
    const oom = /heap out of memory|Allocation failed|Reached heap limit/.test(w.stderrTail);
    const tail = w.stderrTail.trim().split('\n').filter(Boolean).slice(-3).join(' | ').slice(0, 300);
    return { ...base, ms, cpuMs, memMB, outcome: oom ? 'over memory' : 'crash', phase: 'core', message: `the worker died (${w.proc?.exitCode ?? w.proc?.signalCode}): ${tail}` };
  }
  if (coreMsg.type !== 'core') return harness(`expected the core result, got ${coreMsg.type}: ${'message' in coreMsg ? coreMsg.message : ''}`);
  let finding: Finding = coreMsg.finding;
  // The core's own time (the worker's clock) decides a hang too: a 1.9 s answer is in, a 2.1 s one is not.
  if (coreMsg.ms > timeoutMs) finding = worse(finding, { outcome: 'hang', phase: finding.phase, message: `took ${(coreMsg.ms / 1000).toFixed(1)} s (limit ${timeoutMs / 1000} s)` });
  // The outside checks (python3, the CLI) run their own programs with their own time limits.
  const tChecks = performance.now();
  const done = await w.next(180_000);
  if (process.env.KRI_FUZZ_DEBUG) console.error(`#${index} core ${Math.round(ms)} ms, checks ${Math.round(performance.now() - tChecks)} ms`);
  if (done === 'exit' || done === 'timeout') finding = worse(finding, { outcome: 'crash', phase: 'checks', message: `the worker ${done === 'exit' ? 'died' : 'did not finish'} during the python3/CLI checks` });
  else if (done.type === 'done') finding = worse(finding, done.finding);
  else if (done.type === 'harness-error') finding = worse(finding, { outcome: 'crash', phase: 'checks', message: done.message.split('\n')[0] });
  if (done === 'timeout') await w.kill();
  finding = worse(finding, stray);
  return { ...base, ...finding, ms: Math.round(coreMsg.ms), cpuMs: Math.round(coreMsg.cpuMs), memMB };
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const timeoutMs = opts.timeoutMs ?? 2000;
  const memoryLimitMB = opts.memoryLimitMB ?? 512;
  const nWorkers = opts.workers ?? 2;
  const { worker, cli } = await buildBundles();
  let queue = opts.only ?? Array.from({ length: opts.cases }, (_, i) => i);
  if (opts.kinds?.length) queue = queue.filter((i) => opts.kinds!.includes(kindOf(i)));
  const total = queue.length;
  const results: CaseResult[] = [];
  const pool = Array.from({ length: Math.min(nWorkers, Math.max(1, total)) }, () => new Worker(worker));
  let next = 0;
  await Promise.all(
    pool.map(async (w) => {
      while (next < queue.length) {
        const index = queue[next++];
        let r = await runCase(w, opts.seed, index, cli, timeoutMs, memoryLimitMB, opts.probe);
        if (r.outcome === 'hang') {
          // The product runs every forward pass in a new worker and the CLI in a new process; a worker that has run
          // many cases can be 2× slower (a legal T = 10^5 LSTM: 0.9 s fresh, 1.5-2 s after others). So a hang is
          // measured again in a fresh worker, and the fresh run decides; a real hang hangs there too.
          await w.kill();
          const first = r.ms;
          r = { ...(await runCase(w, opts.seed, index, cli, timeoutMs, memoryLimitMB, opts.probe)), firstMs: Math.round(first) };
        }
        results.push(r);
        opts.onResult?.(r, results.length, total);
      }
      if (w.proc && !w.exited) w.send({ type: 'exit' });
    }),
  );
  results.sort((a, b) => a.index - b.index);
  const byKind: FuzzReport['byKind'] = {};
  for (const k of KINDS) byKind[k] = {};
  for (const r of results) byKind[r.kind][r.outcome] = (byKind[r.kind][r.outcome] ?? 0) + 1;
  const ran = results.filter((r) => r.phase !== 'harness');
  const tw = ran.reduce<CaseResult | undefined>((a, r) => (!a || r.ms > a.ms ? r : a), undefined);
  const mw = ran.reduce<CaseResult | undefined>((a, r) => (!a || r.memMB > a.memMB ? r : a), undefined);
  return {
    seed: opts.seed,
    cases: total,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    workers: pool.length,
    timeoutMs,
    memoryLimitMB,
    byKind,
    worstTime: tw ? { ms: Math.round(tw.ms), index: tw.index, kind: tw.kind, label: tw.label } : null,
    worstMemory: mw ? { mb: mw.memMB, index: mw.index, kind: mw.kind, label: mw.label } : null,
    failures: results.filter((r) => !PASSING.includes(r.outcome)),
    causes: groupFailures(results.filter((r) => !PASSING.includes(r.outcome))),
    results,
  };
}

export const reproduce = (seed: number, index: number) => `npm run fuzz -- --seed ${seed} --case ${index}`;

/** The report as text: cases by kind × outcome, the worst time and memory, and every failing case with its command. */
export function formatReport(r: FuzzReport, maxFailures = Infinity): string {
  const cols = OUTCOMES.slice().reverse();
  const w = 14;
  const lines = [`fuzz: ${r.cases} cases, seed ${r.seed}, ${r.workers} workers, ${r.seconds} s (limits ${r.timeoutMs / 1000} s, ${r.memoryLimitMB} MB per case)`, ''];
  lines.push(['kind'.padEnd(w), ...cols.map((c) => c.padStart(Math.max(8, c.length + 1))), '  total'].join(''));
  const totals: Partial<Record<Outcome, number>> = {};
  for (const [k, row] of Object.entries(r.byKind)) {
    const n = Object.values(row).reduce((a, b) => a + (b ?? 0), 0);
    if (!n) continue;
    lines.push([k.padEnd(w), ...cols.map((c) => String(row[c] ?? '·').padStart(Math.max(8, c.length + 1))), String(n).padStart(7)].join(''));
    for (const c of cols) totals[c] = (totals[c] ?? 0) + (row[c] ?? 0);
  }
  lines.push(['all'.padEnd(w), ...cols.map((c) => String(totals[c] ?? 0).padStart(Math.max(8, c.length + 1))), String(r.cases).padStart(7)].join(''));
  lines.push('');
  if (r.worstTime) lines.push(`worst time:   ${r.worstTime.ms} ms   case ${r.worstTime.index} (${r.worstTime.kind}: ${r.worstTime.label.slice(0, 100)})`);
  if (r.worstMemory) lines.push(`worst memory: ${r.worstMemory.mb} MB   case ${r.worstMemory.index} (${r.worstMemory.kind}: ${r.worstMemory.label.slice(0, 100)})`);
  const causes = groupFailures(r.failures);
  if (causes.length) {
    lines.push('', `failing cases by cause (${causes.length}):`);
    for (const c of causes) lines.push(`  ${String(c.cases.length).padStart(4)} × ${c.cause}   e.g. #${c.cases.slice(0, 5).join(', #')}`);
  }
  lines.push('', r.failures.length ? `${r.failures.length} failing case(s):` : 'no failing case: every case ended correct or with one clear sentence.');
  for (const f of r.failures.slice(0, maxFailures)) {
    lines.push(`  #${f.index} [${f.kind}] ${f.outcome} in ${f.phase}${f.where ? ` at ${f.where}` : ''}: ${JSON.stringify(f.message.slice(0, 200))}${f.detail ? ` (${f.detail.slice(0, 100)})` : ''}`);
    lines.push(`      ${f.label.slice(0, 160)}  (${Math.round(f.ms)} ms wall, ${f.cpuMs} ms CPU, ${f.memMB} MB)`);
    lines.push(`      ${reproduce(f.seed, f.index)}`);
  }
  if (r.failures.length > maxFailures) lines.push(`  … and ${r.failures.length - maxFailures} more in test-artifacts/fuzz/report.json`);
  return lines.join('\n');
}

/** Failures grouped by what went wrong where: outcome, phase, file:function and the message with numbers and quoted names blurred. */
export function groupFailures(failures: CaseResult[]): { cause: string; cases: number[] }[] {
  const groups = new Map<string, number[]>();
  for (const f of failures) {
    const msg = f.message.replace(/"(?:[^"\\]|\\.)*"/g, '"…"').replace(/\d+(\.\d+)?/g, 'N').slice(0, 140);
    // Without a throw site (a hang, a memory stop) the case's own description says what it was.
    const what = f.where ? ` at ${f.where.replace(/:\d+$/, '')}` : ` [${f.kind}: ${f.label.replace(/^[^:]*\.(h5|keras|json|csv): /, '').replace(/@\d+/g, '@N').replace(/\d+(\.\d+)?/g, 'N').slice(0, 70)}]`;
    const key = `${f.outcome} in ${f.phase}${what}: ${msg}${f.detail && f.outcome === 'unclear message' ? ` (${f.detail.replace(/"[^"]*"/, '…')})` : ''}`;
    groups.set(key, [...(groups.get(key) ?? []), f.index]);
  }
  return [...groups].map(([cause, cases]) => ({ cause, cases })).sort((a, b) => b.cases.length - a.cases.length);
}

export function writeReport(r: FuzzReport, file = path.join(artifacts, 'report.json')): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(r, null, 1));
  return file;
}

export const haveProc = existsSync('/proc/self/status');
