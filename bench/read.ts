// Benchmark: how long summarizing a large model takes next to just reading its bytes, and how much memory it needs.
//
//   node --import tsx bench/read.ts [--sizes 5,50,500] [--runs 5] [--fallback 50]
//
// Makes LSTM models of about 5, 50 and 500 MB with Debian's h5py (bench/make_large_model.py, written once into the
// git-ignored bench/out/ and reused): a tf.keras 2 legacy .h5 full model with its optimizer_weights, and a Keras 3
// .keras zip; plus one legacy .h5 (--fallback MB, 0 for none) written with libver='latest' (superblock v3, version-2
// object headers), which the core's metadata-only read (container/hdf5Image.ts) must walk too.
// Per file, the median of --runs interleaved runs of (i) just reading the bytes (fs.readFile, and a cat-style 1 MiB
// chunked read; the faster is the baseline), (ii) loadModel + summarize, what `keras-inspect summary` does, and
// (iii) the notebooks' way in Python as a peer (h5py opens the file, json.loads the config, sums the dataset sizes).
// Peak memory of (ii) comes from fresh child processes (maxRSS at their end, minus an idle node process that
// loaded the same modules). One warm-up read of every file first, so every contender sees a warm page cache.
// Budget (issue 2): summarize <= 2 x baseline + 50 ms (median wall clock), peak RSS extra < 2 x file size, and no
// weight values read while summarizing. A second table gives CPU time and minor page faults per run, which stay
// meaningful when the shared machine is loaded. Results: bench/out/read.md (git-ignored).
// Exit code 1 when a requirement is not met. Takes about 2-3 minutes (the first run also writes ~1.2 GB of files).

import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, promises as fsp, readSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileSource } from '../extension/keras/container/bytesNode';
import { openHdf5Bytes } from '../extension/keras/container/hdf5Image';
import { readZipDirectory, readZipHdf5 } from '../extension/keras/container/kerasZip';
import { sniff } from '../extension/keras/container/sniff';
import { loadModel } from '../extension/keras/documentNode';
import type { ModelDocument, ModelGraph, WeightRef } from '../extension/keras/model';
import { summarize } from '../extension/keras/summary';

const PYTHON = '/usr/bin/python3'; // Debian's Python: the one with python3-h5py and python3-numpy
const benchDir = __dirname;
const outDir = path.join(benchDir, 'out');
const MB = 1_000_000;

// Lets the harness collect between timed runs, so one run's 500 MB buffer is not charged to the next.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** Wraps every stored weight's values() with a counter: summarizing must never read a weight's values. */
function countValueReads(doc: ModelDocument): { calls: number } {
  const counter = { calls: 0 };
  const wrap = (w: { values(): Float32Array }) => {
    const inner = w.values.bind(w);
    w.values = () => {
      counter.calls++;
      return inner();
    };
  };
  const seen = new Set<WeightRef>();
  const visitGraph = (g: ModelGraph) => {
    const visitLayer = (l: ModelGraph['layers'][number]) => {
      for (const w of l.weights) {
        if (seen.has(w)) continue; // a Bidirectional lists the same refs as its two children
        seen.add(w);
        wrap(w);
      }
      l.children.forEach(visitLayer);
      if (l.model) visitGraph(l.model);
    };
    g.layers.forEach(visitLayer);
  };
  visitGraph(doc.root);
  doc.looseWeights?.forEach(wrap);
  return counter;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function chunkedRead(file: string): number {
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(file, 'r');
  let total = 0;
  try {
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) total += n;
  } finally {
    closeSync(fd);
  }
  return total;
}

/** One timed run: wall time, CPU time of all the process's threads, and minor page faults (the last two barely
 *  depend on other load on the machine, so they still tell the story when the wall clock is noisy). */
interface Sample {
  wall: number;
  cpu: number;
  faults: number;
}

async function measure(fn: () => unknown | Promise<unknown>): Promise<Sample> {
  collect();
  const u0 = process.resourceUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const u1 = process.resourceUsage();
  const cpu = (u1.userCPUTime - u0.userCPUTime + u1.systemCPUTime - u0.systemCPUTime) / 1000;
  return { wall, cpu, faults: u1.minorPageFault - u0.minorPageFault };
}

function medians(xs: Sample[]): Sample {
  return { wall: median(xs.map((x) => x.wall)), cpu: median(xs.map((x) => x.cpu)), faults: median(xs.map((x) => x.faults)) };
}

// --- child modes: one fresh process per measurement of peak memory -----------------------------------------

interface ChildResult {
  maxRssKiB: number;
  ms?: number;
  valuesCalls?: number;
  totalParams?: number;
}

async function childMain(mode: string, file?: string): Promise<void> {
  const result: ChildResult = { maxRssKiB: 0 };
  if (mode === '--child' && file) {
    const t0 = performance.now();
    const doc = await loadModel(file);
    const counter = countValueReads(doc);
    const summary = summarize(doc);
    result.ms = performance.now() - t0;
    result.valuesCalls = counter.calls;
    result.totalParams = summary.totalParams;
  }
  result.maxRssKiB = process.resourceUsage().maxRSS;
  process.stdout.write(JSON.stringify(result) + '\n');
}

/** Which way the core opened the file's HDF5: only its metadata (weights left on disk), or the whole range. */
async function hdf5Path(file: string): Promise<'metadata only' | 'whole file'> {
  const source = await fileSource(file);
  try {
    const container = await sniff(source);
    let opened;
    if (container.kind === 'hdf5') opened = await openHdf5Bytes(source, container.superblockOffset, source.size - container.superblockOffset);
    else {
      const entry = (await readZipDirectory(source)).entries.find((e) => e.name === 'model.weights.h5');
      if (!entry) throw new Error(`${file} has no model.weights.h5`);
      opened = await readZipHdf5(source, entry);
    }
    return opened.data ? 'metadata only' : 'whole file';
  } finally {
    await source.close();
  }
}

function runChild(args: string[]): ChildResult {
  const r = spawnSync(process.execPath, [...process.execArgv, __filename, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

// --- the Python peer: what the notebooks do to look at a model ----------------------------------------------

const PEER = String.raw`
import sys, time, json, zipfile
import h5py
path = sys.argv[1]
t0 = time.perf_counter()
total = 0
def add(name, obj):
    global total
    if isinstance(obj, h5py.Dataset):
        total += int(obj.size)
if path.endswith('.keras'):
    with zipfile.ZipFile(path) as z:
        json.loads(z.read('config.json'))
        with z.open('model.weights.h5') as member, h5py.File(member, 'r') as f:
            f['layers'].visititems(add)
else:
    with h5py.File(path, 'r') as f:
        json.loads(f.attrs['model_config'])
        f['model_weights'].visititems(add)
ms = (time.perf_counter() - t0) * 1000
print(json.dumps({'ms': ms, 'params': total}))
`;

function runPeer(file: string): { innerMs: number; wallMs: number; params: number } {
  const t0 = performance.now();
  const r = spawnSync(PYTHON, ['-c', PEER, file], { encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`h5py peer failed on ${file}: ${r.stderr}`);
  const { ms, params } = JSON.parse(r.stdout);
  return { innerMs: ms, wallMs, params };
}

// --- main ----------------------------------------------------------------------------------------------------

function argValue(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

interface Model {
  file: string;
  bytes: number;
  units: number;
  params: number;
  layout: 'earliest' | 'latest';
}

function ensureModels(sizes: number[], fallbackMb: number): Model[] {
  const check = spawnSync(PYTHON, ['-c', 'import h5py, numpy'], { encoding: 'utf8' });
  if (check.status !== 0) {
    throw new Error(`${PYTHON} cannot import h5py and numpy; install them with: apt-get install -y python3-h5py python3-numpy`);
  }
  mkdirSync(outDir, { recursive: true });
  const args = [path.join(benchDir, 'make_large_model.py'), outDir, ...sizes.map(String), ...(fallbackMb > 0 ? ['--latest', String(fallbackMb)] : [])];
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error('make_large_model.py failed');
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

interface Row {
  file: string;
  layout: Model['layout'];
  bytes: number;
  hdf5: string;
  readFile: Sample;
  chunked: Sample;
  summarize: Sample;
  freshMs: number;
  peakKiB: number;
  extraKiB: number;
  valuesCalls: number;
  peerInnerMs: number;
  peerWallMs: number;
  paramsOk: boolean;
}

const fmt = (x: number, digits = 0) => x.toFixed(digits);
const mb = (bytes: number, digits = 1) => fmt(bytes / MB, digits);

/** Peak memory in fresh children: the median of `count`, so one noisy child does not decide pass or fail. */
function children(args: string[], count = 3): ChildResult {
  const rs = Array.from({ length: count }, () => runChild(args));
  const mid = median(rs.map((r) => r.maxRssKiB));
  return { ...rs.find((r) => r.maxRssKiB === mid)!, ms: median(rs.map((r) => r.ms ?? NaN)) };
}

async function main(): Promise<void> {
  const sizes = argValue('--sizes', '5,50,500').split(',').map(Number);
  const runs = Math.max(5, Number(argValue('--runs', '5')));
  const fallbackMb = Number(argValue('--fallback', '50'));
  const started = performance.now();
  const loadBefore = os.loadavg()[0];
  const notes: string[] = [];
  const models: Model[] = [];
  for (const m of ensureModels(sizes, fallbackMb)) {
    if (m.layout === 'latest') {
      // The fallback row only makes sense if jsfive reads this layout at all.
      try {
        await loadModel(m.file);
      } catch (e) {
        const why = `${path.basename(m.file)} (h5py libver='latest') skipped: the reader cannot open it (${e instanceof Error ? e.message : String(e)}).`;
        process.stderr.write(why + '\n');
        notes.push(why);
        continue;
      }
    }
    models.push(m);
  }

  // Warm-up: read every file once so the page cache is warm for all contenders alike.
  for (const m of models) chunkedRead(m.file);
  const idleKiB = children(['--idle']).maxRssKiB;

  const rows: Row[] = [];
  for (const m of models) {
    const name = path.basename(m.file);
    const hdf5 = await hdf5Path(m.file);
    process.stderr.write(`${name}: ${mb(m.bytes)} MB, LSTM units ${m.units}, HDF5 read: ${hdf5} ...\n`);
    if (hdf5 !== 'metadata only') notes.push(`${name}: the core read the whole file; the metadata walk did not cover this layout (${m.layout}).`);
    const samples: Record<'readFile' | 'chunked' | 'summarize', Sample[]> = { readFile: [], chunked: [], summarize: [] };
    const params = new Set<number>();
    // Interleaved, so drift (other load on the machine) hits every contender alike.
    for (let r = 0; r < runs; r++) {
      samples.readFile.push(await measure(() => fsp.readFile(m.file)));
      samples.chunked.push(await measure(() => chunkedRead(m.file)));
      samples.summarize.push(await measure(async () => params.add(summarize(await loadModel(m.file)).totalParams)));
    }
    const peer = Array.from({ length: runs }, () => runPeer(m.file));
    const child = children(['--child', m.file]);
    rows.push({
      file: name,
      layout: m.layout,
      bytes: statSync(m.file).size,
      hdf5,
      readFile: medians(samples.readFile),
      chunked: medians(samples.chunked),
      summarize: medians(samples.summarize),
      freshMs: child.ms ?? NaN,
      peakKiB: child.maxRssKiB,
      extraKiB: child.maxRssKiB - idleKiB,
      valuesCalls: child.valuesCalls ?? -1,
      peerInnerMs: median(peer.map((p) => p.innerMs)),
      peerWallMs: median(peer.map((p) => p.wallMs)),
      paramsOk: params.size === 1 && params.has(m.params) && child.totalParams === m.params && peer.every((p) => p.params === m.params),
    });
  }

  const lines: string[] = [];
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  lines.push(`# Model-reading benchmark`);
  lines.push('');
  lines.push(
    `\`node --import tsx bench/read.ts\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${process.version}, ${cpu} × ${os.cpus().length}, ` +
      `${fmt(os.totalmem() / 2 ** 30)} GiB RAM; 1-minute load average ${fmt(loadBefore, 1)} before, ${fmt(os.loadavg()[0], 1)} after.`,
  );
  lines.push('');
  lines.push(`- Files: bench/make_large_model.py (h5py): Input(30, 128) → LSTM(M) → Dense(1); the .h5 is a tf.keras 2.9 full model with SGD-momentum optimizer_weights as large as the model, the .keras a Keras 3 zip (stored) with optimizer/vars.`);
  if (fallbackMb > 0) {
    lines.push(`- Last row: lstm-${fallbackMb}mb-latest.h5 is the same legacy .h5 written with h5py libver='latest' (superblock v3, version-2 object headers); the metadata-only walk covers it too ("HDF5 read" column).`);
  }
  lines.push(`- Median of ${runs} runs each, interleaved; warm page cache (every file was read once before timing).`);
  lines.push(`- Baseline = the faster of fs.readFile and a cat-style 1 MiB chunked read. Summarize = loadModel + summarize in this process; "fresh" = the same in a new process (median of 3; what one \`keras-inspect summary\` pays after Node start-up).`);
  lines.push(`- Peak RSS: maxRSS of a fresh child that ran loadModel + summarize (median of 3), minus an idle child that loaded the same modules (${fmt(idleKiB / 1024)} MiB).`);
  lines.push(`- values() calls: weight reads during summarize in that child (every WeightRef wrapped with a counter); must be 0.`);
  lines.push(`- h5py peer: /usr/bin/python3 + h5py opening the file (a .keras through zipfile), json.loads of the config, summing the weight dataset sizes (inner = that work; wall = the whole process with interpreter start and h5py import).`);
  for (const n of notes) lines.push(`- **${n}**`);
  lines.push('');
  lines.push('| file | size (MB) | HDF5 read | read bytes (ms): readFile / chunked | summarize (ms) | fresh (ms) | ratio to baseline | time: 2×base+50 ms | peak RSS extra (MB) vs 2× size | memory | values() calls | h5py peer (ms): inner / wall |');
  lines.push('|---|---:|---|---:|---:|---:|---:|---|---:|---|---:|---:|');
  const failed: string[] = [];
  for (const r of rows) {
    const baseline = Math.min(r.readFile.wall, r.chunked.wall);
    const budget = 2 * baseline + 50;
    const timeOk = r.summarize.wall <= budget;
    const memOk = r.extraKiB * 1024 < 2 * r.bytes;
    const valuesOk = r.valuesCalls === 0;
    const misses = [timeOk ? '' : 'time', memOk ? '' : 'memory', valuesOk ? '' : 'values() calls', r.paramsOk ? '' : 'parameter count'].filter(Boolean);
    if (misses.length) failed.push(`${r.file} (${misses.join(', ')})`);
    lines.push(
      `| ${r.file} | ${mb(r.bytes)} | ${r.hdf5} | ${fmt(r.readFile.wall, 1)} / ${fmt(r.chunked.wall, 1)} | ${fmt(r.summarize.wall, 1)} | ${fmt(r.freshMs, 1)} | ` +
        `${fmt(r.summarize.wall / baseline, 2)} | ${timeOk ? 'pass' : 'FAIL'} (≤ ${fmt(budget)}) | ` +
        `${mb(r.extraKiB * 1024)} (peak ${mb(r.peakKiB * 1024, 0)}) vs ${mb(2 * r.bytes, 0)} | ${memOk ? 'pass' : 'FAIL'} | ${r.valuesCalls} ${valuesOk ? 'pass' : 'FAIL'} | ` +
        `${fmt(r.peerInnerMs, 1)} / ${fmt(r.peerWallMs)} |`,
    );
  }
  for (const r of rows) if (!r.paramsOk) lines.push(`\n**${r.file}: parameter counts disagree** between the generator, the reader and h5py (FAIL).`);
  lines.push('');
  lines.push('CPU time (user + system, all threads) and minor page faults per run, medians: these hardly depend on other load on the machine.');
  lines.push('');
  lines.push('| file | readFile: CPU ms / faults | chunked: CPU ms / faults | summarize: CPU ms / faults | same budget on CPU time |');
  lines.push('|---|---:|---:|---:|---|');
  for (const r of rows) {
    const budget = 2 * Math.min(r.readFile.cpu, r.chunked.cpu) + 50;
    const cell = (x: Sample) => `${fmt(x.cpu, 1)} / ${fmt(x.faults)}`;
    lines.push(`| ${r.file} | ${cell(r.readFile)} | ${cell(r.chunked)} | ${cell(r.summarize)} | ${r.summarize.cpu <= budget ? 'pass' : 'FAIL'} (≤ ${fmt(budget)}) |`);
  }
  lines.push('');
  lines.push(
    `${failed.length ? `Requirements NOT met by ${failed.join('; ')}` : 'All requirements met (wall-clock time, memory, values() calls, parameter counts)'}. ` +
      `Total benchmark time ${fmt((performance.now() - started) / 1000, 1)} s.`,
  );
  const text = lines.join('\n') + '\n';
  writeFileSync(path.join(outDir, 'read.md'), text);
  process.stdout.write(text);
  if (failed.length) process.exitCode = 1;
}

const mode = process.argv[2];
if (mode === '--child' || mode === '--idle') void childMain(mode, process.argv[3]);
else {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 2;
  });
}
