// The equation walk-through recomputes a step from the weights; expected values are derived by hand
// here (the formulas written out with Math.tanh / the logistic function), never taken from the code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { walkthrough, agreesToFloat32, vecMat, type SequenceInput } from '../../webview/logic/stepMath';
import type { RecurrentWeights } from '../../extension/protocol';
import type { RecurrentTrace } from '../../extension/keras/layers/types';
import { cellDescription } from './helpers/layerNode';
import * as path from 'node:path';
import { executeRun } from '../../extension/runJob';
import { modelBytes } from './helpers/modelBytes';
import { loadModel } from '../../extension/keras/documentNode';
import { summarize } from '../../extension/keras/summary';
import { layerInputSequence, kerasMajorOf } from '../../webview/logic/traceInput';
import { modelFiles } from './helpers/paths';

const sig = (v: number) => 1 / (1 + Math.exp(-v));
const f64 = (...v: number[]) => Float64Array.from(v);

function seq(values: number[][], batch = 1): SequenceInput {
  return { steps: values.length, features: values[0].length, data: values.flat(), batch };
}

type Values = Record<string, ArrayLike<number>>;

/** A hand-made trace of a cell, described by the cell's own module. */
function trace(cell: string, units: number, steps: number, values: Values, parts: Partial<RecurrentTrace> = {}): RecurrentTrace {
  return {
    layer: 'rnn',
    cell: cellDescription(cell, { units }),
    steps,
    batch: 1,
    units,
    stateShape: [units],
    inputShape: [1],
    timeIndex: Int32Array.from({ length: steps }, (_, s) => s),
    ...parts,
    // Traces are float32, as the forward pass records them.
    values: { h: new Float32Array(steps * units), ...Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Float32Array.from(v)])) },
  };
}

interface OldWeights {
  layer: string;
  cell: string;
  direction?: 'forward' | 'backward';
  inputDim: number;
  units: number;
  kernel: Float32Array;
  recurrentKernel: Float32Array;
  bias: Float32Array | null;
  biasShape: number[] | null;
  activation: string;
  recurrentActivation?: string;
  resetAfter?: boolean;
}

/** The weights as the host sends them: stored tensors by name, and the options the step reads. */
function weights(o: OldWeights): RecurrentWeights {
  const G = o.kernel.length / (o.inputDim * o.units);
  return {
    layer: o.layer,
    cell: o.cell,
    ...(o.direction ? { direction: o.direction } : {}),
    inputShape: [o.inputDim],
    stateShape: [o.units],
    tensors: {
      kernel: { shape: [o.inputDim, G * o.units], values: o.kernel },
      recurrent_kernel: { shape: [o.units, G * o.units], values: o.recurrentKernel },
      ...(o.bias ? { bias: { shape: o.biasShape!, values: o.bias } } : {}),
    },
    options: {
      activation: o.activation,
      ...(o.recurrentActivation ? { recurrent_activation: o.recurrentActivation } : {}),
      ...(o.resetAfter !== undefined ? { reset_after: o.resetAfter } : {}),
    },
  };
}

test('SimpleRNN, M = 2, D = 1: h_2 = tanh(x_2·W_x + h_1·W_h + b) written out', () => {
  // W_x = [[1, -1]], W_h = [[0.5, 0.25], [0, 0.5]], b = [0, 0.1]; x = [2, 1].
  const w = weights({
    layer: 'rnn', cell: 'SimpleRNN', inputDim: 1, units: 2,
    kernel: new Float32Array([1, -1]), recurrentKernel: new Float32Array([0.5, 0.25, 0, 0.5]),
    bias: new Float32Array([0, 0.1]), biasShape: [2], activation: 'tanh',
  });
  // Step 1 by hand: a1 = [2, -2 + 0.1] = [2, -1.9]; h1 = tanh(a1).
  const h1 = [Math.tanh(2), Math.tanh(-1.9)];
  // Step 2: x·W_x = [1, -1]; h1·W_h = [0.5·h1[0], 0.25·h1[0] + 0.5·h1[1]]; a2 = that + b.
  const a2 = [1 + 0.5 * h1[0], -1 + 0.25 * h1[0] + 0.5 * h1[1] + 0.1];
  const h2 = a2.map(Math.tanh);
  const tr = trace('SimpleRNN', 2, 2, { h: f64(...h1, ...h2), pre: f64(2, -1.9, ...a2) });
  const wt = walkthrough({ weights: w, trace: tr, input: seq([[2], [1]]), step: 1, sample: 0, kerasMajor: 2 });
  assert.equal(wt.equations[0], 'h₂ = tanh(x₂·W_x + h₁·W_h + b)');
  const row = (label: string) => [...wt.rows.find((r) => r.label === label)!.values];
  assert.deepEqual(row('x₂'), [1]);
  assert.deepEqual(row('h₁'), h1.map(Math.fround)); // h₁ read back from the float32 trace
  assert.deepEqual(row('x₂·W_x'), [1, -1]);
  assert.ok(Math.abs(row('a₂')[1] - a2[1]) < 1e-7);
  const hCheck = wt.checks.find((c) => c.key === 'h')!;
  assert.ok(hCheck.agrees);
  hCheck.recomputed.forEach((v, j) => assert.ok(Math.abs(v - h2[j]) < 1e-7));
  assert.ok(wt.checks.find((c) => c.key === 'pre')!.agrees);
  assert.match(wt.notes.join(' '), /^$/);
});

test('SimpleRNN step 1 notes h_0 = 0, and a wrong trace is flagged as disagreeing', () => {
  const w = weights({
    layer: 'rnn', cell: 'SimpleRNN', inputDim: 1, units: 1,
    kernel: new Float32Array([0.5]), recurrentKernel: new Float32Array([1]), bias: null, biasShape: null, activation: 'linear',
  });
  // Linear, no bias: h1 = 0.5·x1 = 1.5; trace says 1.5001 (off by 1e-4, far beyond float32 rounding).
  const wt = walkthrough({ weights: w, trace: trace('SimpleRNN', 1, 1, { h: f64(1.5001) }), input: seq([[3]]), step: 0, sample: 0, kerasMajor: 3 });
  assert.equal(wt.equations[0], 'h₁ = x₁·W_x + h₀·W_h + b');
  assert.match(wt.notes[0], /h₀ = 0/);
  const c = wt.checks[0];
  assert.equal(c.agrees, false);
  assert.ok(Math.abs(c.maxAbsDiff - (Math.fround(1.5001) - 1.5)) < 1e-9); // the trace holds 1.5001 as float32
});

test('LSTM, M = 1, D = 1: gates i, f, candidate c̃ (key g), o and c, h by hand', () => {
  // Columns i f c o: W_x = [1, 2, 3, 4]; W_h = [0.5, -0.5, 1, 0.25]; b = [0, 1, 0, 0]; x = 1; h0 = 0.5, c0 = 0.25 (from step 1).
  const w = weights({
    layer: 'lstm', cell: 'LSTM', inputDim: 1, units: 1,
    kernel: new Float32Array([1, 2, 3, 4]), recurrentKernel: new Float32Array([0.5, -0.5, 1, 0.25]),
    bias: new Float32Array([0, 1, 0, 0]), biasShape: [4], activation: 'tanh', recurrentActivation: 'sigmoid',
  });
  const hPrev = 0.5;
  const cPrev = 0.25;
  const i = sig(1 + 0.25);
  const f = sig(2 - 0.25 + 1);
  const g = Math.tanh(3 + 0.5);
  const o = sig(4 + 0.125);
  const c = f * cPrev + i * g;
  const h = o * Math.tanh(c);
  const tr = trace('LSTM', 1, 2, { h: f64(hPrev, h), c: f64(cPrev, c), i: f64(0, i), f: f64(0, f), g: f64(0, g), o: f64(0, o) });
  const wt = walkthrough({ weights: w, trace: tr, input: seq([[0], [1]]), step: 1, sample: 0, kerasMajor: 2 });
  for (const [key, want] of Object.entries({ i, f, g, o, c, h })) {
    const chk = wt.checks.find((x) => x.key === key)!;
    assert.ok(Math.abs(chk.recomputed[0] - want) < 1e-7, `${key}: ${chk.recomputed[0]} vs ${want}`);
    assert.ok(chk.agrees, key);
  }
  assert.equal(wt.equations[2], 'c₂ = f⊙c₁ + i⊙c̃    h₂ = o⊙tanh(c₂)');
});

test('GRU reset_after = true (bias 2×3M) and false (bias 3M), M = 1, by hand', () => {
  // Columns z r h: W_x = [1, -1, 2]; W_h = [0.5, 1, -1]; x = 0.5; h_prev = 0.2.
  const x = 0.5;
  const hp = 0.2;
  const base = { layer: 'gru', cell: 'GRU' as const, inputDim: 1, units: 1, kernel: new Float32Array([1, -1, 2]), recurrentKernel: new Float32Array([0.5, 1, -1]), activation: 'tanh', recurrentActivation: 'sigmoid' };
  // reset_after: input bias [0.1, 0.2, 0.3], recurrent bias [0.4, 0.5, 0.6].
  {
    const z = sig(x * 1 + 0.1 + hp * 0.5 + 0.4);
    const r = sig(x * -1 + 0.2 + hp * 1 + 0.5);
    const hh = Math.tanh(x * 2 + 0.3 + r * (hp * -1 + 0.6));
    const h = z * hp + (1 - z) * hh;
    const w = weights({ ...base, bias: new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), biasShape: [2, 3], resetAfter: true });
    const tr = trace('GRU', 1, 2, { h: f64(hp, h), z: f64(0, z), r: f64(0, r), hh: f64(0, hh) });
    const wt = walkthrough({ weights: w, trace: tr, input: seq([[0], [x]]), step: 1, sample: 0, kerasMajor: 3 });
    for (const [key, want] of Object.entries({ z, r, hh, h })) {
      const chk = wt.checks.find((c) => c.key === key)!;
      assert.ok(Math.abs(chk.recomputed[0] - want) < 1e-7, `${key}`);
    }
  }
  // reset_after = false: bias [0.1, 0.2, 0.3]; h̃ = tanh(x·W_h + b_h + (r·h_prev)·U_h).
  {
    const z = sig(x * 1 + 0.1 + hp * 0.5);
    const r = sig(x * -1 + 0.2 + hp * 1);
    const hh = Math.tanh(x * 2 + 0.3 + r * hp * -1);
    const h = z * hp + (1 - z) * hh;
    const w = weights({ ...base, bias: new Float32Array([0.1, 0.2, 0.3]), biasShape: [3], resetAfter: false });
    const tr = trace('GRU', 1, 2, { h: f64(hp, h) });
    const wt = walkthrough({ weights: w, trace: tr, input: seq([[0], [x]]), step: 1, sample: 0, kerasMajor: 2 });
    const chk = wt.checks.find((c) => c.key === 'h')!;
    assert.ok(Math.abs(chk.recomputed[0] - h) < 1e-7);
    assert.ok(wt.equations[1].includes('(r⊙h₁)·U_h'));
  }
});

test('go_backwards: step k reads x at t = T - k + 1; masked steps carry the state', () => {
  const w = weights({
    layer: 'rnn', cell: 'SimpleRNN', inputDim: 1, units: 1, direction: 'backward',
    kernel: new Float32Array([1]), recurrentKernel: new Float32Array([1]), bias: null, biasShape: null, activation: 'linear',
  });
  // Backward over x = [10, 20, 30]: step 1 reads 30, step 2 reads 20 (h2 = 20 + 30 = 50), step 3 reads 10.
  const tr = trace('SimpleRNN', 1, 3, { h: f64(30, 50, 60) }, { direction: 'backward', timeIndex: Int32Array.from([2, 1, 0]) });
  const wt = walkthrough({ weights: w, trace: tr, input: seq([[10], [20], [30]]), step: 1, sample: 0, kerasMajor: 3 });
  assert.equal(wt.equations[0], 'h₂ = x₂·W_x + h₁·W_h + b');
  const first = walkthrough({ weights: w, trace: tr, input: seq([[10], [20], [30]]), step: 0, sample: 0, kerasMajor: 3 });
  assert.match(first.title, /step k = 1 reads x at t = 3/);
  assert.equal(first.equations[0], 'h₁ = x₃·W_x + h₀·W_h + b');
  assert.equal(wt.checks[0].recomputed[0], 50);
  // Masked step 2: its state is carried, and step 3 continues from h1 = 30 (the last unmasked state).
  const masked = trace('SimpleRNN', 1, 3, { h: f64(10, 10, 40) }, { timeIndex: Int32Array.from([0, 1, 2]), masked: Uint8Array.from([0, 1, 0]) });
  const m2 = walkthrough({ weights: w, trace: masked, input: seq([[10], [0], [30]]), step: 1, sample: 0, kerasMajor: 3 });
  assert.equal(m2.masked, true);
  const m3 = walkthrough({ weights: w, trace: masked, input: seq([[10], [0], [30]]), step: 2, sample: 0, kerasMajor: 3 });
  assert.equal(m3.checks[0].recomputed[0], 40);
});

test('helpers: vecMat on a column block, float32 agreement rule', () => {
  // x = [1, 2]; W (2×4) rows [1 2 3 4], [5 6 7 8]; block at column 2 width 2: [1·3 + 2·7, 1·4 + 2·8] = [17, 20].
  assert.deepEqual([...vecMat([1, 2], [1, 2, 3, 4, 5, 6, 7, 8], 4, 2, 2)], [17, 20]);
  assert.ok(agreesToFloat32(0.5, 0.5 + 4e-7));
  assert.ok(!agreesToFloat32(0.5, 0.5 + 1e-5));
  assert.ok(!agreesToFloat32(NaN, 0));
});

test('real models: the walk-through of every step, recomputed by each cell module from the weights the host sends, equals the forward pass trace', async () => {
  // The forward trace itself is checked against Keras's outputs in reference-models; here the cell's walkStep (plain
  // per-gate products) must agree with it to float32 rounding at every step, both directions, every quantity.
  const cases: [string, number][] = [
    ['stock-gru-functional.h5', 0], // GRU(200), reset_after
    ['weather-bilstm-tfk215.keras', 0], // Bidirectional(LSTM) x5, Keras 3 wrapper weights
    ['dynfollow-simplernn.h5', 0],
    ['fatigue-masking-lstm.keras', 0], // Masking before the LSTM
    ['mt-gru-timedist.h5', 12], // GRU with return_sequences, free T
  ];
  for (const [file, T] of cases) {
    const result = await executeRun({ runId: 1, model: modelBytes(path.join(modelFiles, file)), input: { kind: 'random', seed: 3, n: 2, ...(T ? { t: T } : {}) } });
    const doc = await loadModel(path.join(modelFiles, file));
    const summary = summarize(doc);
    assert.ok(result.traces.length > 0, file);
    for (const tr of result.traces) {
      const w = result.recurrentWeights.find((x) => x.layer === tr.layer && (x.direction ?? '') === (tr.direction ?? ''));
      assert.ok(w, `${file}: weights of ${tr.layer} ${tr.direction ?? ''}`);
      const input = layerInputSequence(result, summary, tr.layer, w);
      assert.ok(input, `${file}: input of ${tr.layer}`);
      for (let sample = 0; sample < tr.batch; sample++) {
        for (let step = 0; step < tr.steps; step++) {
          const wt = walkthrough({ weights: w, trace: tr, input, step, sample, kerasMajor: kerasMajorOf(summary.kerasVersion, summary.format) });
          if (wt.masked) continue;
          assert.deepEqual(wt.checks.map((c) => c.key).sort(), Object.keys(tr.values).sort(), `${file} ${tr.layer}: every traced quantity is checked`);
          for (const c of wt.checks) assert.ok(c.agrees, `${file} ${tr.layer} ${tr.direction ?? ''} step ${step + 1} sample ${sample}: ${c.key} differs by ${c.maxAbsDiff}`);
        }
      }
    }
  }
});
