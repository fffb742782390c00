// The walk-through the notebooks print for one time step, recomputed here from the weights the host
// sent (never copied from the trace), then compared with the trace: both must agree to float32 rounding.
//   SimpleRNN: h_k = act(x_t·W_x + h_{k-1}·W_h + b)
//   LSTM:      z = x_t·W_x + h_{k-1}·W_h + b; i, f, o = σ(z_i, z_f, z_o); g = act(z_c); c_k = f⊙c_{k-1} + i⊙g; h_k = o⊙act(c_k)
//   GRU:       z, r = σ(…); h̃ = act(x_h + r⊙(h·U_h + b')) (reset_after) or act(x_h + (r⊙h)·U_h); h_k = z⊙h_{k-1} + (1−z)⊙h̃
// Steps are numbered the notebook way: k = 1..T in processing order, h_0 the initial state; x_t is the
// input time step the layer read at that step (t ≠ k for go_backwards / the backward direction).

import type { RecurrentWeights } from '../../extension/protocol';
import type { RecurrentTrace } from '../../extension/keras/layers/types';
import { activationFn, type ActivationFn } from '../../extension/keras/activations';
import { sub } from './format';

/** One named vector of the walk-through, e.g. `x₃·W_x`. */
export interface WalkRow {
  label: string;
  /** How it was obtained, e.g. `tanh(a₃)`; empty for inputs. */
  expr: string;
  values: Float64Array;
  /** Rows that start a new group (a gate) get a heading. */
  group?: string;
}

/** A recomputed quantity next to the traced one. */
export interface WalkCheck {
  /** Trace key: h, c, i, f, g, o, z, r, hh, pre. */
  key: string;
  label: string;
  recomputed: Float64Array;
  traced: Float64Array;
  maxAbsDiff: number;
  agrees: boolean;
}

export interface Walkthrough {
  title: string;
  /** The equations in letters, one per line. */
  equations: string[];
  rows: WalkRow[];
  checks: WalkCheck[];
  /** True when this (step, sample) was masked out: the state was carried over, no equation applies. */
  masked: boolean;
  /** Things the reader should know (e.g. the initial state was assumed zero). */
  notes: string[];
}

/** The layer's input sequence for one sample: T × D, row-major. */
export interface SequenceInput {
  steps: number;
  features: number;
  /** Values of sample n at time t, feature d = data[(n*steps + t)*features + d]. */
  data: ArrayLike<number>;
  batch: number;
}

export interface StepQuery {
  weights: RecurrentWeights;
  trace: RecurrentTrace;
  input: SequenceInput;
  /** Processing step s (0-based; the walk-through calls it k = s+1). */
  step: number;
  sample: number;
  kerasMajor: 1 | 2 | 3;
  /** Initial states (h_0 and, for LSTM, c_0) of this sample when the model passes them; zeros otherwise. */
  initialH?: ArrayLike<number>;
  initialC?: ArrayLike<number>;
}

/** Float32-rounding agreement: what two correct implementations of the same step can differ by. */
export function agreesToFloat32(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 + 1e-6 * Math.abs(b);
}

/** out[j] = Σ_i x[i]·W[i, off + j] for j < m, W row-major with `cols` columns. */
export function vecMat(x: ArrayLike<number>, w: ArrayLike<number>, cols: number, off: number, m: number): Float64Array {
  const out = new Float64Array(m);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    const row = i * cols + off;
    for (let j = 0; j < m; j++) out[j] += xi * w[row + j];
  }
  return out;
}

function slice(a: ArrayLike<number> | null | undefined, off: number, m: number): Float64Array {
  const out = new Float64Array(m);
  if (a) for (let j = 0; j < m; j++) out[j] = a[off + j];
  return out;
}

function map(a: Float64Array, f: ActivationFn): Float64Array {
  return a.map((v) => f(v));
}

function add(...vs: Float64Array[]): Float64Array {
  const out = new Float64Array(vs[0].length);
  for (const v of vs) for (let j = 0; j < out.length; j++) out[j] += v[j];
  return out;
}

function mul(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, j) => v * b[j]);
}

/** A trace vector [step][sample][unit] for one (step, sample). */
export function traceVector(arr: Float64Array, trace: RecurrentTrace, step: number, sample: number): Float64Array {
  const off = (step * trace.batch + sample) * trace.units;
  return arr.subarray(off, off + trace.units);
}

/** The state before step s: the last unmasked step's value, or the initial state. */
function previous(arr: Float64Array | undefined, trace: RecurrentTrace, step: number, sample: number, initial?: ArrayLike<number>): Float64Array {
  for (let s = step - 1; s >= 0; s--) {
    if (trace.masked && trace.masked[s * trace.batch + sample]) continue;
    if (arr) return Float64Array.from(traceVector(arr, trace, s, sample));
  }
  return initial ? Float64Array.from(initial) : new Float64Array(trace.units);
}

/** How an activation is written in the equations. */
export function actSymbol(name: string | undefined): string {
  if (!name || name === 'sigmoid') return 'σ';
  if (name === 'linear') return '';
  return name;
}

function check(key: string, label: string, recomputed: Float64Array, traced: Float64Array | undefined): WalkCheck | null {
  if (!traced) return null;
  let maxAbsDiff = 0;
  let agrees = true;
  for (let j = 0; j < recomputed.length; j++) {
    const d = Math.abs(recomputed[j] - traced[j]);
    if (!(d <= maxAbsDiff)) maxAbsDiff = d; // NaN-safe: a NaN difference becomes the maximum
    if (!agreesToFloat32(recomputed[j], traced[j])) agrees = false;
  }
  return { key, label, recomputed, traced: Float64Array.from(traced), maxAbsDiff, agrees };
}

/** Recompute one step of one sample and compare with the trace. */
export function walkthrough(q: StepQuery): Walkthrough {
  const { weights: w, trace, input, step, sample } = q;
  const M = w.units;
  const D = w.inputDim;
  if (trace.units !== M) throw new RangeError(`the trace has ${trace.units} units but the weights have ${M}`);
  if (step < 0 || step >= trace.steps) throw new RangeError(`step ${step + 1} is outside 1..${trace.steps}`);
  if (sample < 0 || sample >= trace.batch) throw new RangeError(`sample ${sample} is outside 0..${trace.batch - 1}`);
  if (input.features !== D) throw new RangeError(`the layer's input has ${input.features} features but W_x expects D = ${D}`);
  const t = trace.timeIndex[step];
  const k = step + 1;
  const kS = sub(k);
  const kPrev = sub(k - 1);
  const tS = sub(t + 1);
  const x = new Float64Array(D);
  for (let d = 0; d < D; d++) x[d] = input.data[(sample * input.steps + t) * D + d];
  const dir = trace.direction ? ` (${trace.direction})` : '';
  const title = `${w.cell} ${trace.layer}${dir}, step k = ${k}${t + 1 !== k ? ` reads x at t = ${t + 1}` : ''}, sample ${sample}`;
  const notes: string[] = [];
  if (step === 0 && !q.initialH) notes.push(`h${sub(0)} = 0${w.cell === 'LSTM' ? ` and c${sub(0)} = 0` : ''} (Keras's default initial state).`);
  const masked = !!trace.masked && trace.masked[step * trace.batch + sample] === 1;
  const act = activationFn(w.activation, q.kerasMajor);
  const ract = activationFn(w.recurrentActivation ?? 'sigmoid', q.kerasMajor);
  const a = actSymbol(w.activation);
  const ra = actSymbol(w.recurrentActivation ?? 'sigmoid');
  const hPrev = previous(trace.h, trace, step, sample, q.initialH);
  const rows: WalkRow[] = [
    { label: `x${tS}`, expr: `input at t = ${t + 1} (row ${t} of the sequence)`, values: x },
    { label: `h${kPrev}`, expr: step === 0 ? 'initial state' : `state after step ${k - 1}`, values: hPrev },
  ];
  const checks: (WalkCheck | null)[] = [];
  const tv = (arr: Float64Array | undefined) => (arr ? traceVector(arr, trace, step, sample) : undefined);
  if (masked) {
    notes.push(`Step ${k} is masked for sample ${sample}: Keras skips the update and carries the state over (h${kS} = h${kPrev}).`);
    return { title, equations: [`h${kS} = h${kPrev}  (masked step)`], rows, checks: [], masked, notes };
  }
  const biasRow = (row: number, off: number) => (w.bias ? slice(w.bias, row * (w.bias.length / (w.biasShape && w.biasShape.length === 2 ? w.biasShape[0] : 1)) + off, M) : new Float64Array(M));
  const wrap = (sym: string, inner: string) => (sym ? `${sym}(${inner})` : inner);

  if (w.cell === 'SimpleRNN') {
    const xw = vecMat(x, w.kernel, M, 0, M);
    const hu = vecMat(hPrev, w.recurrentKernel, M, 0, M);
    const b = biasRow(0, 0);
    const pre = add(xw, hu, b);
    const h = map(pre, act);
    rows.push(
      { label: `x${tS}·W_x`, expr: `(1×${D})·(${D}×${M})`, values: xw },
      { label: `h${kPrev}·W_h`, expr: `(1×${M})·(${M}×${M})`, values: hu },
      { label: 'b', expr: 'bias', values: b },
      { label: `a${kS}`, expr: `x${tS}·W_x + h${kPrev}·W_h + b`, values: pre },
      { label: `h${kS}`, expr: wrap(a, `a${kS}`), values: h },
    );
    checks.push(check('pre', `a${kS}`, pre, tv(trace.pre)), check('h', `h${kS}`, h, tv(trace.h)));
    return {
      title,
      equations: [`h${kS} = ${wrap(a, `x${tS}·W_x + h${kPrev}·W_h + b`)}`],
      rows,
      checks: checks.filter((c): c is WalkCheck => c !== null),
      masked,
      notes,
    };
  }

  if (w.cell === 'LSTM') {
    const cols = 4 * M;
    const cPrev = previous(trace.c, trace, step, sample, q.initialC);
    rows.push({ label: `c${kPrev}`, expr: step === 0 ? 'initial cell state' : `cell state after step ${k - 1}`, values: cPrev });
    const gate = (g: number, letter: string, f: ActivationFn, sym: string) => {
      const xw = vecMat(x, w.kernel, cols, g * M, M);
      const hu = vecMat(hPrev, w.recurrentKernel, cols, g * M, M);
      const b = biasRow(0, g * M);
      const z = add(xw, hu, b);
      const out = map(z, f);
      const name = letter === 'g' ? 'g (c̃)' : letter;
      rows.push(
        { label: `x${tS}·W_${letter}`, expr: `(1×${D})·(${D}×${M})`, values: xw, group: `gate ${name}` },
        { label: `h${kPrev}·U_${letter}`, expr: `(1×${M})·(${M}×${M})`, values: hu },
        { label: `b_${letter}`, expr: 'bias', values: b },
        { label: `z_${letter}`, expr: 'sum', values: z },
        { label: letter, expr: wrap(sym, `z_${letter}`), values: out },
      );
      return out;
    };
    const i = gate(0, 'i', ract, ra);
    const f = gate(1, 'f', ract, ra);
    const g = gate(2, 'g', act, a);
    const o = gate(3, 'o', ract, ra);
    const fc = mul(f, cPrev);
    const ig = mul(i, g);
    const c = add(fc, ig);
    const ac = map(c, act);
    const h = mul(o, ac);
    rows.push(
      { label: `f⊙c${kPrev}`, expr: 'keep part of the old cell state', values: fc, group: 'state update' },
      { label: 'i⊙g', expr: 'write part of the candidate', values: ig },
      { label: `c${kS}`, expr: `f⊙c${kPrev} + i⊙g`, values: c },
      { label: wrap(a, `c${kS}`), expr: '', values: ac },
      { label: `h${kS}`, expr: `o⊙${wrap(a, `c${kS}`)}`, values: h },
    );
    checks.push(
      check('i', 'i', i, tv(trace.i)),
      check('f', 'f', f, tv(trace.f)),
      check('g', 'g', g, tv(trace.g)),
      check('o', 'o', o, tv(trace.o)),
      check('c', `c${kS}`, c, tv(trace.c)),
      check('h', `h${kS}`, h, tv(trace.h)),
    );
    return {
      title,
      equations: [
        `i = ${ra}(x${tS}·W_i + h${kPrev}·U_i + b_i)    f = ${ra}(x${tS}·W_f + h${kPrev}·U_f + b_f)`,
        `g = ${wrap(a, `x${tS}·W_g + h${kPrev}·U_g + b_g`)}    o = ${ra}(x${tS}·W_o + h${kPrev}·U_o + b_o)`,
        `c${kS} = f⊙c${kPrev} + i⊙g    h${kS} = o⊙${wrap(a, `c${kS}`)}`,
      ],
      rows,
      checks: checks.filter((c2): c2 is WalkCheck => c2 !== null),
      masked,
      notes,
    };
  }

  // GRU: gate blocks z, r, h along the last axis; bias (3M) or (2, 3M) with reset_after.
  const cols = 3 * M;
  const resetAfter = w.resetAfter ?? (w.biasShape?.length === 2);
  const xz = vecMat(x, w.kernel, cols, 0, M);
  const xr = vecMat(x, w.kernel, cols, M, M);
  const xh = vecMat(x, w.kernel, cols, 2 * M, M);
  const bz = biasRow(0, 0);
  const br = biasRow(0, M);
  const bh = biasRow(0, 2 * M);
  const hasRecBias = resetAfter && !!w.bias && w.biasShape?.length === 2;
  const rbz = hasRecBias ? biasRow(1, 0) : new Float64Array(M);
  const rbr = hasRecBias ? biasRow(1, M) : new Float64Array(M);
  const rbh = hasRecBias ? biasRow(1, 2 * M) : new Float64Array(M);
  const uz = vecMat(hPrev, w.recurrentKernel, cols, 0, M);
  const ur = vecMat(hPrev, w.recurrentKernel, cols, M, M);
  const zPre = add(xz, bz, uz, rbz);
  const rPre = add(xr, br, ur, rbr);
  const z = map(zPre, ract);
  const r = map(rPre, ract);
  rows.push(
    { label: `x${tS}·W_z`, expr: `(1×${D})·(${D}×${M})`, values: xz, group: 'update gate z' },
    { label: `h${kPrev}·U_z`, expr: `(1×${M})·(${M}×${M})`, values: uz },
    { label: hasRecBias ? 'b_z + b′_z' : 'b_z', expr: 'bias', values: add(bz, rbz) },
    { label: 'z', expr: wrap(ra, 'sum'), values: z },
    { label: `x${tS}·W_r`, expr: `(1×${D})·(${D}×${M})`, values: xr, group: 'reset gate r' },
    { label: `h${kPrev}·U_r`, expr: `(1×${M})·(${M}×${M})`, values: ur },
    { label: hasRecBias ? 'b_r + b′_r' : 'b_r', expr: 'bias', values: add(br, rbr) },
    { label: 'r', expr: wrap(ra, 'sum'), values: r },
  );
  let hh: Float64Array;
  let hhEq: string;
  if (resetAfter) {
    const uh = add(vecMat(hPrev, w.recurrentKernel, cols, 2 * M, M), rbh);
    const ruh = mul(r, uh);
    const hhPre = add(xh, bh, ruh);
    hh = map(hhPre, act);
    rows.push(
      { label: `x${tS}·W_h + b_h`, expr: `(1×${D})·(${D}×${M}) + bias`, values: add(xh, bh), group: 'candidate h̃ (reset after)' },
      { label: `h${kPrev}·U_h${hasRecBias ? ' + b′_h' : ''}`, expr: `(1×${M})·(${M}×${M})`, values: uh },
      { label: `r⊙(h${kPrev}·U_h${hasRecBias ? ' + b′_h' : ''})`, expr: 'reset applied after the product', values: ruh },
      { label: 'h̃', expr: wrap(a, 'sum'), values: hh },
    );
    hhEq = `h̃ = ${wrap(a, `x${tS}·W_h + b_h + r⊙(h${kPrev}·U_h${hasRecBias ? ' + b′_h' : ''})`)}`;
  } else {
    const rh = mul(r, hPrev);
    const rhu = vecMat(rh, w.recurrentKernel, cols, 2 * M, M);
    const hhPre = add(xh, bh, rhu);
    hh = map(hhPre, act);
    rows.push(
      { label: `x${tS}·W_h + b_h`, expr: `(1×${D})·(${D}×${M}) + bias`, values: add(xh, bh), group: 'candidate h̃ (reset before)' },
      { label: `r⊙h${kPrev}`, expr: 'reset applied before the product', values: rh },
      { label: `(r⊙h${kPrev})·U_h`, expr: `(1×${M})·(${M}×${M})`, values: rhu },
      { label: 'h̃', expr: wrap(a, 'sum'), values: hh },
    );
    hhEq = `h̃ = ${wrap(a, `x${tS}·W_h + b_h + (r⊙h${kPrev})·U_h`)}`;
  }
  const zh = mul(z, hPrev);
  const oneMinusZ = z.map((v) => 1 - v);
  const zhh = mul(oneMinusZ, hh);
  const h = add(zh, zhh);
  rows.push(
    { label: `z⊙h${kPrev}`, expr: 'keep part of the old state', values: zh, group: 'state update' },
    { label: '(1−z)⊙h̃', expr: 'take part of the candidate', values: zhh },
    { label: `h${kS}`, expr: `z⊙h${kPrev} + (1−z)⊙h̃`, values: h },
  );
  checks.push(check('z', 'z', z, tv(trace.z)), check('r', 'r', r, tv(trace.r)), check('hh', 'h̃', hh, tv(trace.hh)), check('h', `h${kS}`, h, tv(trace.h)));
  return {
    title,
    equations: [
      `z = ${ra}(x${tS}·W_z + h${kPrev}·U_z + b_z)    r = ${ra}(x${tS}·W_r + h${kPrev}·U_r + b_r)`,
      hhEq,
      `h${kS} = z⊙h${kPrev} + (1−z)⊙h̃`,
    ],
    rows,
    checks: checks.filter((c2): c2 is WalkCheck => c2 !== null),
    masked,
    notes,
  };
}
