// Benchmark: the forward pass of one recurrent layer with its full per-step trace, next to TensorFlow.js and NumPy.
//
//   node --import tsx bench/forward.ts [--runs 5] [--tfjs-gru-steps 50]      (PYTHON=... picks another python3)
//
// Batch 1, T = 1000 steps, D = 64 input features: LSTM(256), GRU(256) (reset_after=False, the cell all three can
// run) and SimpleRNN(512), on the same seeded float32 weights and input, in one process and one run:
//   - ours: the layer module's forward() with the trace on (h, c and every gate at every step), as the extension runs it;
//   - TensorFlow.js: tfjs-layers `predict` on the CPU backend (return_sequences, no trace);
//   - NumPy: the notebooks' loop, one `x[t] @ W + h @ U + b` per step keeping every step's h, c and gates
//     (bench/forward_numpy.py in a child python3, float32 as get_weights() returns and float64 as we compute).
// Each is warmed up once, then timed --runs times; the tables show medians of wall time and of CPU time (the
// steadier one when other work shares the machine). Debian's python3-numpy calls whatever libblas.so.3 the system
// selects (reference BLAS unless libopenblas0 is installed); the table names it. GFLOP/s counts the matmuls only
// (2 FLOPs per multiply-add: 2·(D+M)·G·M per step). tfjs's GRU copies column slices of its recurrent kernel at every
// step, which its CPU backend does element by element (tenths of a second per step here), so by default it is timed over the
// first --tfjs-gru-steps steps and scaled to T (its cost per step does not depend on t); pass 1000 to time it all.
// Requirements checked (exit code 1 if not met): ours >= 3x faster than tfjs, trace < 100 MB, and agreement with
// tfjs (float32 rounding) and NumPy float64 (1e-9). Results: bench/out/forward.md (git-ignored). Takes about 4-6 minutes.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { mulberry32 } from '../extension/keras/inputs';
import { layerEnv } from '../extension/keras/layers/index';
import { gru } from '../extension/keras/layers/gru';
import { lstm } from '../extension/keras/layers/lstm';
import { simpleRnn } from '../extension/keras/layers/simpleRnn';
import type { ForwardContext, LayerKind, LayerOutput, RecurrentTrace } from '../extension/keras/layers/types';
import type { LayerNode, WeightRef } from '../extension/keras/model';

const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const outDir = path.join(__dirname, 'out');
const T = 1000;
const D = 64;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const RUNS = Math.max(1, arg('--runs', 5));
const TFJS_GRU_STEPS = Math.min(T, Math.max(1, arg('--tfjs-gru-steps', 50)));

type Cls = 'LSTM' | 'GRU' | 'SimpleRNN';
interface Case {
  cls: Cls;
  M: number;
  G: number;
  kind: LayerKind;
}
const CASES: Case[] = [
  { cls: 'LSTM', M: 256, G: 4, kind: lstm },
  { cls: 'GRU', M: 256, G: 3, kind: gru },
  { cls: 'SimpleRNN', M: 512, G: 1, kind: simpleRnn },
];


function uniform(n: number, scale: number, rnd: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (2 * rnd() - 1) * scale;
  return a;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Times {
  wall: number[];
  /** CPU time of this process (user + system): steadier than wall time when other work shares the machine. */
  cpu: number[];
}

async function timed(runs: number, fn: () => unknown | Promise<unknown>): Promise<Times> {
  await fn(); // warm-up: JIT for us and tfjs
  const out: Times = { wall: [], cpu: [] };
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    out.wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    out.cpu.push((c.user + c.system) / 1000);
  }
  return out;
}

function weight(name: string, shape: number[], values: Float32Array): WeightRef {
  return { name, short: name, path: `bench/${name}`, shape, dtype: 'float32', trainable: true, values: () => values };
}

/** The forward context runForward gives layers: cancellation checks, and a yield to the event loop every 20 ms. */
function context(): ForwardContext {
  let last = Date.now();
  return {
    ...layerEnv(3),
    trace: true,
    checkCancelled() {},
    async yieldNow() {
      if (Date.now() - last < 20) return;
      await new Promise((r) => setImmediate(r));
      last = Date.now();
    },
  };
}

function traceBytes(tr: RecurrentTrace): number {
  let bytes = tr.timeIndex.byteLength + (tr.masked?.byteLength ?? 0);
  for (const v of Object.values(tr.values)) bytes += v.byteLength;
  return bytes;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function tfjsLayer(c: Case, steps: number): tfl.LayersModel {
  const args = { units: c.M, returnSequences: true, kernelInitializer: 'zeros' as const, recurrentInitializer: 'zeros' as const, inputShape: [steps, D] };
  const layer =
    c.cls === 'LSTM' ? tfl.layers.lstm({ ...args, recurrentActivation: 'sigmoid' }) : c.cls === 'GRU' ? tfl.layers.gru({ ...args, recurrentActivation: 'sigmoid' }) : tfl.layers.simpleRNN(args);
  return tfl.sequential({ layers: [layer] });
}

interface Row {
  cls: string;
  gflop: number;
  ours: Times;
  tfjs: Times;
  tfjsScaledFrom?: number;
  np32?: number;
  np64?: number;
  np64cpu?: number;
  traceMB: number;
  diffTfjs: number;
  diffNumpy?: number;
  numpyNote?: string;
}

async function benchCase(c: Case, tmp: string): Promise<Row> {
  const rnd = mulberry32(c.M * 7 + c.G);
  const GM = c.G * c.M;
  // Scaled like Keras's glorot/orthogonal initializers, so the gates neither saturate nor vanish.
  const kernel = uniform(D * GM, Math.sqrt(6 / (D + GM)), rnd);
  const recurrent = uniform(c.M * GM, 1 / Math.sqrt(c.M), rnd);
  const bias = uniform(GM, 0.1, rnd);
  const x = uniform(T * D, 1, rnd);
  const node: LayerNode = {
    name: c.cls.toLowerCase(),
    className: c.cls,
    config: { units: c.M, return_sequences: true, activation: 'tanh', recurrent_activation: 'sigmoid', reset_after: false },
    weights: [weight('kernel', [D, GM], kernel), weight('recurrent_kernel', [c.M, GM], recurrent), weight('bias', [GM], bias)],
    children: [],
    calls: [],
  };
  const input = { tensors: [{ shape: [1, T, D], data: Float64Array.from(x) }], masks: [null] };
  let out: LayerOutput | undefined;
  const ours = await timed(RUNS, async () => {
    out = undefined; // let the previous run's trace go before the next one allocates
    out = await c.kind.forward(node, input, context());
  });
  const seq = out!.tensors[0].data;
  const traceMB = traceBytes(out!.traces![0]) / 1e6;

  // TensorFlow.js on the same weights.
  const steps = c.cls === 'GRU' ? TFJS_GRU_STEPS : T;
  const model = tfjsLayer(c, steps);
  model.layers[0].setWeights([tf.tensor2d(kernel, [D, GM]), tf.tensor2d(recurrent, [c.M, GM]), tf.tensor1d(bias)]);
  const xs = tf.tensor3d(x.subarray(0, steps * D), [1, steps, D]);
  let tfOut: Float32Array | undefined;
  const tfjsRuns = await timed(RUNS, () => {
    const y = model.predict(xs) as tf.Tensor;
    tfOut = y.dataSync() as Float32Array;
    y.dispose();
  });
  xs.dispose();
  const scale = (xs: number[]): number[] => xs.map((v) => (v * T) / steps);
  const tfjs = { wall: scale(tfjsRuns.wall), cpu: scale(tfjsRuns.cpu) };
  const diffTfjs = maxAbsDiff(seq.subarray(0, steps * c.M), tfOut!);

  // NumPy, the notebooks' loop, in a child python3 on the same numbers.
  const row: Row = { cls: `${c.cls}(${c.M})`, gflop: (2 * (D + c.M) * GM * T) / 1e9, ours, tfjs, traceMB, diffTfjs };
  if (steps !== T) row.tfjsScaledFrom = steps;
  const dir = path.join(tmp, c.cls);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'x.f32'), x);
  writeFileSync(path.join(dir, 'kernel.f32'), kernel);
  writeFileSync(path.join(dir, 'recurrent.f32'), recurrent);
  writeFileSync(path.join(dir, 'bias.f32'), bias);
  writeFileSync(path.join(dir, 'spec.json'), JSON.stringify({ cell: c.cls, D, M: c.M, T, runs: RUNS, dir }));
  const py = spawnSync(PYTHON, [path.join(__dirname, 'forward_numpy.py'), path.join(dir, 'spec.json')], { encoding: 'utf8', timeout: 600_000 });
  if (py.status === 0) {
    const res = JSON.parse(py.stdout.trim().split('\n').pop()!) as Record<string, { median_ms: number; median_cpu_ms: number }> & { blas: string };
    row.np32 = res.float32.median_ms;
    row.np64 = res.float64.median_ms;
    row.np64cpu = res.float64.median_cpu_ms;
    row.numpyNote = `NumPy ${String(res.numpy)}, BLAS: ${res.blas}`;
    const h64 = new Float64Array(readFileSync(path.join(dir, 'h_float64.f64')).buffer.slice(0));
    row.diffNumpy = maxAbsDiff(seq, h64);
  } else {
    row.numpyNote = `NumPy not run: ${(py.error?.message ?? py.stderr ?? '').trim().split('\n').pop()} (apt-get install -y python3-numpy)`;
  }
  return row;
}

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  mkdirSync(outDir, { recursive: true });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'rnn-bench-'));
  const rows: Row[] = [];
  try {
    for (const c of CASES) {
      process.stderr.write(`${c.cls}(${c.M}) ...\n`);
      rows.push(await benchCase(c, tmp));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const lines = [
    `Forward pass, batch 1, T=${T}, D=${D}, full per-step trace; median of ${RUNS} runs after a warm-up (${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} cores, Node ${process.version}).`,
    '',
    '| layer | ours (ms) | ours GFLOP/s | tfjs predict (ms) | ours vs tfjs | NumPy f32 (ms) | NumPy f64 (ms) | ours vs NumPy f64 | trace (MB) | max abs diff vs tfjs / NumPy f64 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  const failures: string[] = [];
  for (const r of rows) {
    const ours = median(r.ours.wall);
    const tfjs = median(r.tfjs.wall);
    const speedup = tfjs / ours;
    lines.push(
      `| ${r.cls} | ${ms(ours)} | ${(r.gflop / (ours / 1000)).toFixed(2)} | ${ms(tfjs)}${r.tfjsScaledFrom ? `*` : ''} | ${speedup.toFixed(1)}× | ` +
        `${r.np32 !== undefined ? ms(r.np32) : '-'} | ${r.np64 !== undefined ? ms(r.np64) : '-'} | ${r.np64 !== undefined ? `${(r.np64 / ours).toFixed(2)}×` : '-'} | ` +
        `${r.traceMB.toFixed(1)} | ${r.diffTfjs.toExponential(1)} / ${r.diffNumpy !== undefined ? r.diffNumpy.toExponential(1) : '-'} |`,
    );
    if (speedup < 3) failures.push(`${r.cls}: only ${speedup.toFixed(1)}× faster than tfjs (needs 3×)`);
    if (r.traceMB >= 100) failures.push(`${r.cls}: trace ${r.traceMB.toFixed(1)} MB (needs < 100 MB)`);
    if (r.diffTfjs > 1e-4) failures.push(`${r.cls}: differs from tfjs by ${r.diffTfjs}`);
    if (r.diffNumpy !== undefined && r.diffNumpy > 1e-9) failures.push(`${r.cls}: differs from NumPy float64 by ${r.diffNumpy}`);
  }
  lines.push('');
  const scaled = rows.find((r) => r.tfjsScaledFrom);
  if (scaled) {
    lines.push(
      `\\* tfjs GRU timed over its first ${scaled.tfjsScaledFrom} steps and scaled to T=${T}: its cell splits the recurrent kernel into column blocks at every step, a strided copy the CPU backend makes element by element.`,
    );
  }
  lines.push(
    '',
    'CPU time of the same runs (median ms, this process only; NumPy counts all its BLAS threads):',
    '',
    '| layer | ours | tfjs | NumPy f64 | ours vs tfjs | ours vs NumPy f64 |',
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const r of rows) {
    const [o, f] = [median(r.ours.cpu), median(r.tfjs.cpu)];
    lines.push(
      `| ${r.cls} | ${ms(o)} | ${ms(f)}${r.tfjsScaledFrom ? '*' : ''} | ${r.np64cpu !== undefined ? ms(r.np64cpu) : '-'} | ${(f / o).toFixed(1)}× | ${r.np64cpu !== undefined ? `${(r.np64cpu / o).toFixed(2)}×` : '-'} |`,
    );
  }
  lines.push('');
  const note = rows.find((r) => r.numpyNote)?.numpyNote;
  if (note) lines.push(`NumPy: ${note}; the loop keeps every step's h, c and gates like our trace.`);
  lines.push('GFLOP/s counts the matmuls only: 2·(D+M)·G·M FLOPs per step (G = 4 LSTM, 3 GRU, 1 SimpleRNN).');
  const table = lines.join('\n');
  writeFileSync(path.join(outDir, 'forward.md'), `${table}\n`);
  console.log(table);
  for (const r of rows) console.log(`${r.cls} wall (ms): ours ${r.ours.wall.map(ms).join(', ')}; tfjs ${r.tfjs.wall.map(ms).join(', ')}`);
  if (failures.length) {
    console.error(`\nNot met:\n- ${failures.join('\n- ')}`);
    process.exitCode = 1;
  }
}

void main();
