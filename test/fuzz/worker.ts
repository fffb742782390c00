// One long-lived fuzz worker (a child process forked by the runner, bundled with the core by esbuild so it
// starts in ~0.1 s). Per case: `prepare` builds the case's files (not timed, not measured), then `go` runs the core
// on it (load, summarize, forward) and reports `core`, then the slower outside checks (python3, the CLI) and `done`.
// The runner times and measures only the core phase; a hang or an out-of-memory kills only this process.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../extension/keras/documentNode';
import { InspectorError, NotAKerasFileError, describeThrown } from '../../extension/keras/errors';
import { runForward } from '../../extension/keras/forward';
import { fillInputs, inputSpecs } from '../../extension/keras/inputs';
import type { ModelDocument } from '../../extension/keras/model';
import { exportNumpy } from '../../extension/keras/numpyExport';
import { summarize } from '../../extension/keras/summary';
import type { Tensor } from '../../extension/keras/tensor';
import { PYTHON_WITH_NUMPY } from '../unit/helpers/python';
import { makeCase, repoRoot, type FuzzCase } from './cases';
import { messageProblem, unsafeChar, whereThrown } from './check';
import type { Finding, Probe, WorkerReply, WorkerRequest } from './protocol';

const scratch = path.join(os.tmpdir(), `kri-fuzz-${process.pid}`);
let current: { c: FuzzCase; dir: string; model: string } | undefined;

function send(m: WorkerReply): void {
  process.send!(m);
}

function prepare(seed: number, index: number): void {
  rmSync(scratch, { recursive: true, force: true });
  const c = makeCase(seed, index);
  const dir = path.join(scratch, `case-${index}`);
  mkdirSync(dir, { recursive: true });
  for (const f of c.files) {
    const p = path.join(dir, f.name);
    if (f.linkTo === 'fifo') spawnSync('mkfifo', [p]);
    else if (f.linkTo) symlinkSync(f.linkTo, p);
    else if (f.sparseSize) {
      const fd = openSync(p, 'w');
      writeSync(fd, f.bytes!, 0, f.bytes!.length, 0);
      ftruncateSync(fd, f.sparseSize);
      closeSync(fd);
    } else writeFileSync(p, f.bytes!);
  }
  current = { c, dir, model: path.join(dir, c.files[0].name) };
  // Drop the craft's garbage so the core phase starts from a settled heap (the runner measures from here).
  (globalThis as { gc?: () => void }).gc?.();
  send({ type: 'ready', label: c.label, kind: c.kind, hostile: c.hostile, cli: c.cli });
}

/** A failure or a clear stop, from anything thrown in the core. */
function judgeThrown(e: unknown, phase: string): Finding {
  const message = describeThrown(e);
  if (e instanceof InspectorError) {
    const problem = messageProblem(message);
    return problem
      ? { outcome: 'unclear message', phase, message, detail: problem, where: whereThrown(e.stack, repoRoot) }
      : { outcome: 'clear', phase, message };
  }
  return { outcome: 'crash', phase, message, detail: e instanceof Error ? e.name : typeof e, where: whereThrown(e instanceof Error ? e.stack : undefined, repoRoot) };
}

const finiteWhole = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0;

async function core(): Promise<{ finding: Finding; doc?: ModelDocument; tensors?: Tensor[]; T?: number }> {
  const { c, model } = current!;
  let doc: ModelDocument;
  try {
    doc = await loadModel(model);
  } catch (e) {
    return { finding: judgeThrown(e, 'load') };
  }
  try {
    for (const w of doc.warnings) {
      const p = messageProblem(w);
      if (p && !/characters \(over 300\)/.test(p)) return { finding: { outcome: 'unclear message', phase: 'load', message: w, detail: `a warning: ${p}` }, doc };
    }
    const s = summarize(doc);
    if (!finiteWhole(s.totalParams) || s.layers.some((l) => !finiteWhole(l.params))) {
      return { finding: { outcome: 'wrong', phase: 'summary', message: `total params ${s.totalParams}`, detail: 'a parameter count that is not a whole number' }, doc };
    }
  } catch (e) {
    return { finding: judgeThrown(e, 'summary'), doc };
  }
  if (doc.notExecutable) return { finding: { outcome: 'correct', phase: 'summary', message: 'not executable: ' + doc.notExecutable }, doc };
  let tensors: Tensor[];
  let T: number | undefined;
  try {
    const specs = inputSpecs(doc);
    T = specs.some((s) => s.shape.length > 1 && s.shape[1] === null) ? 4 : undefined;
    tensors = fillInputs(doc, c.index % 2 ? 'zeros' : 'ramp', { N: 1, T }).tensors;
  } catch (e) {
    return { finding: judgeThrown(e, 'input'), doc };
  }
  try {
    const res = await runForward(doc, tensors, { trace: true });
    if (res.stopped) {
      const p = messageProblem(res.stopped.message);
      return { finding: p ? { outcome: 'unclear message', phase: 'forward', message: res.stopped.message, detail: p } : { outcome: 'clear', phase: 'forward', message: res.stopped.message }, doc, tensors, T };
    }
    for (const l of res.layers) {
      for (const sh of l.outputShapes) {
        if (!sh.every(finiteWhole)) return { finding: { outcome: 'wrong', phase: 'forward', message: `${l.name} output shape [${sh}]`, detail: 'a shape that is not whole numbers' }, doc };
      }
    }
  } catch (e) {
    return { finding: judgeThrown(e, 'forward'), doc, tensors, T };
  }
  return { finding: { outcome: 'correct', phase: 'forward', message: '' }, doc, tensors, T };
}

/** Runs a program with a time limit; its output as text. */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number) {
  const r = spawnSync(cmd, args, { cwd, timeout: timeoutMs, encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, NODE_OPTIONS: '' } });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', timedOut: r.error?.message.includes('ETIMEDOUT') || r.signal === 'SIGTERM' };
}

/** Any file named PWNED anywhere under dir, or written into the cwd the script ran in. */
function pwned(dir: string): boolean {
  const walk = (d: string): boolean => readdirSync(d, { withFileTypes: true }).some((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name === 'PWNED'));
  return walk(dir) || existsSync(path.join(process.cwd(), 'PWNED'));
}

// The exported scripts of the in-process exports run in one long-lived python3 per worker (NumPy imported once):
// each script runs as __main__ with runpy in its own folder, as `python3 script.py` would run it. Replies go to
// fd 3, so a script that prints (or writes fd 1) cannot forge one. The CLI's --numpy scripts run as real processes.
const PY_SERVER = String.raw`
import sys, os, json, runpy, io, contextlib, traceback
import numpy
out = os.fdopen(3, 'w')
for line in sys.stdin:
    req = json.loads(line)
    os.chdir(req['cwd'])
    sys.argv = ['script.py']
    buf = io.StringIO()
    ok, err = True, ''
    try:
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            runpy.run_path('script.py', run_name='__main__')
    except SystemExit as e:
        if e.code not in (None, 0):
            ok, err = False, 'exit %s: %s' % (e.code, buf.getvalue()[-200:])
    except BaseException as e:
        ok, err = False, traceback.format_exception_only(type(e), e)[-1].strip()
    out.write(json.dumps({'ok': ok, 'error': err[:300]}) + '\n')
    out.flush()
`;

let py: { proc: ChildProcess; lines: string[]; waiting?: (l: string | null) => void } | undefined;

function pythonServer(): NonNullable<typeof py> {
  if (py && py.proc.exitCode === null && !py.proc.killed) return py;
  const proc = spawn(PYTHON_WITH_NUMPY!, ['-c', PY_SERVER], { stdio: ['pipe', 'ignore', 'ignore', 'pipe'] });
  const server: NonNullable<typeof py> = { proc, lines: [] };
  let buf = '';
  (proc.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (server.waiting) {
        const w = server.waiting;
        server.waiting = undefined;
        w(line);
      } else server.lines.push(line);
    }
  });
  proc.on('exit', () => server.waiting?.(null));
  proc.stdin!.on('error', () => {});
  py = server;
  return server;
}

async function runScriptInServer(runDir: string): Promise<{ ok: boolean; error: string; timedOut?: boolean }> {
  const s = pythonServer();
  s.lines.length = 0;
  const reply = new Promise<string | null>((res) => {
    const t = setTimeout(() => {
      s.waiting = undefined;
      s.proc.kill('SIGKILL');
      res('timeout');
    }, PY_TIMEOUT);
    s.waiting = (l) => {
      clearTimeout(t);
      res(l);
    };
  });
  s.proc.stdin!.write(JSON.stringify({ cwd: runDir }) + '\n');
  const line = await reply;
  if (line === 'timeout') return { ok: false, error: 'no end', timedOut: true };
  if (line === null) return { ok: false, error: 'python3 died while running the script' };
  return JSON.parse(line);
}

const PY_TIMEOUT = 20_000;

/** Runs an exported script (in the python server, or as its own python3 process) and checks that nothing ran. */
async function numpyCheck(script: string, where: string, dir: string, ownProcess: boolean): Promise<Finding | undefined> {
  if (!PYTHON_WITH_NUMPY) return undefined;
  const runDir = path.join(dir, `py-${where.replace(/\W+/g, '-')}`);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(path.join(runDir, 'script.py'), script);
  let r: { ok: boolean; error: string; timedOut?: boolean };
  if (ownProcess) {
    const p = run(PYTHON_WITH_NUMPY, ['script.py'], runDir, PY_TIMEOUT);
    r = { ok: p.code === 0, error: p.stderr.trim().split('\n').slice(-1)[0] ?? '', timedOut: p.timedOut };
  } else r = await runScriptInServer(runDir);
  if (pwned(dir)) return { outcome: 'unsafe', phase: where, message: 'a PWNED file appeared after running the exported NumPy script' };
  if (!r.ok) return { outcome: r.timedOut ? 'hang' : 'crash', phase: where, message: `the exported script ${r.timedOut ? 'did not finish' : 'failed'}: ${r.error.slice(0, 200)}` };
  return undefined;
}

/** The CLI on the case: the text summary, then a forward pass as JSON that also writes the NumPy script. */
async function cliCheck(dir: string, model: string, T: number | undefined, cliPath: string): Promise<Finding | undefined> {
  const node = process.execPath;
  const base = [`--max-old-space-size=512`, cliPath];
  const fill = ['--fill', 'ramp', ...(T ? ['--T', String(T)] : [])];
  const script = path.join(dir, 'cli-out.py');
  const runs: [string, string[], 'text' | 'json'][] = [
    ['cli summary', ['summary', model], 'text'],
    ['cli forward --json --numpy', ['forward', model, ...fill, '--json', '--numpy', script], 'json'],
  ];
  for (const [what, args, mode] of runs) {
    const r = run(node, [...base, ...args], dir, 10_000);
    if (r.timedOut) return { outcome: 'hang', phase: what, message: 'the CLI did not finish in 10 s' };
    if (/heap out of memory|Allocation failed/.test(r.stderr)) return { outcome: 'over memory', phase: what, message: 'the CLI ran out of memory' };
    for (const [stream, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
      const bad = unsafeChar(text);
      if (bad) return { outcome: 'unsafe', phase: what, message: `a ${bad} reached the CLI's ${stream}`, detail: JSON.stringify(text.slice(0, 160)) };
    }
    if (r.code === 1 || (r.code !== 0 && r.code !== 2 && r.code !== 3 && r.code !== 4)) {
      return { outcome: 'crash', phase: what, message: `exit ${r.code ?? r.signal}: ${r.stderr.trim().split('\n')[0]?.slice(0, 200)}` };
    }
    if (r.code === 0 && r.stderr.trim()) {
      return { outcome: 'unclear message', phase: what, message: r.stderr.trim().split('\n')[0].slice(0, 200), detail: 'stderr output on success (a Node warning reached the user)' };
    }
    if (r.code !== 0) {
      const lines = r.stderr.trim().split('\n');
      const msg = lines[lines.length - 1].replace(/^keras-inspect: /, '');
      const p = lines.length > 1 ? 'more than one line on stderr' : messageProblem(msg);
      if (p) return { outcome: 'unclear message', phase: what, message: msg, detail: p };
      continue;
    }
    if (mode === 'json') {
      try {
        JSON.parse(r.stdout);
      } catch {
        return { outcome: 'wrong', phase: what, message: 'the CLI printed JSON that does not parse', detail: r.stdout.slice(0, 120) };
      }
      if (existsSync(script)) {
        const f = await numpyCheck(readFileSync(script, 'utf8'), 'cli --numpy script', dir, true);
        if (f) return f;
      }
    }
  }
  return undefined;
}

/** Known failures in place of the core (see Probe). */
async function probeCore(probe: Probe): Promise<Awaited<ReturnType<typeof core>>> {
  try {
    if (probe === 'hang') for (;;);
    if (probe === 'memory') {
      const keep: Uint8Array[] = [];
      for (let k = 0; k < 16; k++) keep.push(new Uint8Array(128 << 20).fill(k + 1));
      return { finding: { outcome: 'correct', phase: 'probe', message: `kept ${keep.length}` } };
    }
    if (probe === 'crash') (undefined as unknown as { x: { y: number } }).x.y = 1;
    if (probe === 'stack') {
      const deep = (n: number): number => deep(n + 1) + 1;
      deep(0);
    }
    throw new NotAKerasFileError('probe.h5 is [object Object], which is undefined.');
  } catch (e) {
    return { finding: judgeThrown(e, 'probe') };
  }
}

async function go(cliPath: string, probe?: Probe): Promise<void> {
  const { c, dir, model } = current!;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  warnings.length = 0;
  const r = probe ? await probeCore(probe) : await core();
  // A Node warning (MaxListenersExceeded, a deprecation) is printed to the user's terminal by the CLI.
  if (warnings.length && (r.finding.outcome === 'correct' || r.finding.outcome === 'clear')) {
    r.finding = { outcome: 'unclear message', phase: r.finding.phase, message: warnings[0].slice(0, 200), detail: 'a Node warning was emitted' };
  }
  const cpu = process.cpuUsage(cpu0);
  send({ type: 'core', ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, finding: r.finding });
  if (probe) return send({ type: 'done' });
  let extra: Finding | undefined;
  if (c.hostile && r.doc && r.tensors && r.finding.outcome === 'correct') {
    try {
      extra = await numpyCheck(exportNumpy(r.doc, r.tensors, { title: r.doc.file }), 'numpy export', dir, false);
    } catch (e) {
      const f = judgeThrown(e, 'numpy export');
      if (f.outcome !== 'clear') extra = f;
    }
  }
  if (!extra && c.cli) extra = await cliCheck(dir, model, r.T, cliPath);
  send({ type: 'done', finding: extra });
}

process.on('message', (m: WorkerRequest) => {
  if (m.type === 'prepare') {
    try {
      prepare(m.seed, m.index);
    } catch (e) {
      send({ type: 'harness-error', message: `building the case failed: ${e instanceof Error ? e.stack : String(e)}` });
    }
  } else if (m.type === 'go') {
    go(m.cliPath, m.probe).catch((e) => send({ type: 'harness-error', message: `the worker failed: ${e instanceof Error ? e.stack : String(e)}` }));
  } else if (m.type === 'exit') {
    py?.proc.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
    process.exit(0);
  }
});
const warnings: string[] = [];
process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`));
// Work the core left running after its promise settled still belongs to the case: report it, do not die silently.
for (const ev of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(ev, (e: unknown) => send({ type: 'stray', message: describeThrown(e), where: whereThrown(e instanceof Error ? e.stack : undefined, repoRoot) }));
}
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
send({ type: 'hello' });
