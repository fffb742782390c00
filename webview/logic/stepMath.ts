// The walk-through the notebooks print for one time step, recomputed here from the weights the host
// sent (never copied from the trace), then compared with the trace: both must agree to float32 rounding.
// The step itself is the cell's own `walkStep` (extension/keras/layers/<cell>.ts), found by the trace's cell key;
// this file adds what every cell shares: x_t and the states before the step, masking, and the checks.
// Steps are numbered the notebook way: k = 1..T in processing order, h_0 the initial state; x_t is the
// input time step the layer read at that step (t ≠ k for go_backwards / the backward direction).

import type { CellWeights, RecurrentTrace, WalkRow } from '../../extension/keras/layers/types';
import { cellKind } from '../../extension/keras/layers/index';
import { sub } from './format';

export type { WalkRow };
export { vecMat } from '../../extension/keras/layers/recurrent';

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
  /** One sample's state shape ([M], or [rows, cols, F]): views lay a feature map out by it. */
  stateShape: number[];
  /** One sample's input shape at one step ([D], or [rows, cols, C]). */
  inputShape: number[];
}

/** The layer's input sequence: N × T × (values per step), row-major. */
export interface SequenceInput {
  steps: number;
  /** Values per step of one sample (D, or rows·cols·C for a sequence of frames). */
  features: number;
  /** Values of sample n at time t, value d = data[(n*steps + t)*features + d]. */
  data: ArrayLike<number>;
  batch: number;
}

export interface StepQuery {
  weights: CellWeights;
  trace: RecurrentTrace;
  input: SequenceInput;
  /** Processing step s (0-based; the walk-through calls it k = s+1). */
  step: number;
  sample: number;
  kerasMajor: 1 | 2 | 3;
  /** Initial states of this sample by key (h, c) when the model passes them; zeros otherwise. */
  initial?: Record<string, ArrayLike<number>>;
  /** The trace holds steps from this one on (a window of a streamed trace, with the step before `step`); default 0. */
  firstStep?: number;
}

/** Float32-rounding agreement: what two correct implementations of the same step can differ by. */
export function agreesToFloat32(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-6 + 1e-6 * Math.abs(b);
}

/** A trace vector [step][sample][unit] for one (step, sample). */
export function traceVector(arr: Float32Array | Float64Array, trace: RecurrentTrace, step: number, sample: number): Float32Array | Float64Array {
  const off = (step * trace.batch + sample) * trace.units;
  return arr.subarray(off, off + trace.units);
}

/** The state before step s: the last unmasked step's value, or the initial state. */
function previous(arr: Float32Array | Float64Array | undefined, trace: RecurrentTrace, step: number, sample: number, initial?: ArrayLike<number>): Float64Array {
  for (let s = step - 1; s >= 0; s--) {
    if (trace.masked && trace.masked[s * trace.batch + sample]) continue;
    if (arr) return Float64Array.from(traceVector(arr, trace, s, sample));
  }
  return initial ? Float64Array.from(initial) : new Float64Array(trace.units);
}

function check(key: string, label: string, recomputed: Float64Array, traced: Float32Array | Float64Array | undefined): WalkCheck | null {
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

/** Recompute one step of one sample with the trace's cell and compare with the trace. */
export function walkthrough(q: StepQuery): Walkthrough {
  const { weights: w, trace, input, step, sample } = q;
  // Where the step is in the trace's arrays (a streamed trace's window starts at firstStep).
  const at = step - (q.firstStep ?? 0);
  const kind = cellKind(trace.cell.key);
  if (!kind || w.cell !== trace.cell.key) throw new RangeError(`no step walk for the ${trace.cell.title} cell`);
  const units = w.stateShape.reduce((a, b) => a * b, 1);
  const D = w.inputShape.reduce((a, b) => a * b, 1);
  if (trace.units !== units) throw new RangeError(`the trace has ${trace.units} units but the weights have ${units}`);
  if (at < 0 || at >= trace.steps) throw new RangeError(`step ${step + 1} is outside 1..${trace.steps}`);
  if (at === 0 && step > 0) throw new RangeError(`the window of step ${step + 1} does not hold the step before it`);
  if (sample < 0 || sample >= trace.batch) throw new RangeError(`sample ${sample} is outside 0..${trace.batch - 1}`);
  if (input.features !== D) throw new RangeError(`the layer's input has ${input.features} values per step but its kernel expects ${D}`);
  const t = trace.timeIndex[at];
  const k = step + 1;
  const names = { t: sub(t + 1), k: sub(k), kPrev: sub(k - 1) };
  const x = new Float64Array(D);
  for (let d = 0; d < D; d++) x[d] = input.data[(sample * input.steps + t) * D + d];
  const dir = trace.direction ? ` (${trace.direction})` : '';
  const title = `${trace.cell.title} ${trace.layer}${dir}, step k = ${k}${t + 1 !== k ? ` reads x at t = ${t + 1}` : ''}, sample ${sample}`;
  const states = trace.cell.quantities.filter((qq) => qq.role === 'state');
  const notes: string[] = [];
  if (step === 0 && !q.initial) notes.push(`${states.map((s) => `${s.symbol}${sub(0)} = 0`).join(' and ')} (Keras's default initial state).`);
  const masked = !!trace.masked && trace.masked[at * trace.batch + sample] === 1;
  const prev: Record<string, Float64Array> = {};
  const rows: WalkRow[] = [{ label: `x${names.t}`, expr: `input at t = ${t + 1}`, values: x }];
  for (const s of states) {
    prev[s.key] = previous(trace.values[s.key], trace, at, sample, q.initial?.[s.key]);
    rows.push({ label: `${s.symbol}${names.kPrev}`, expr: step === 0 ? `initial ${s.label}` : `${s.label} after step ${k - 1}`, values: prev[s.key] });
  }
  const shapes = { stateShape: [...w.stateShape], inputShape: [...w.inputShape] };
  if (masked) {
    notes.push(`Step ${k} is masked for sample ${sample}: Keras skips the update and carries the state over (h${names.k} = h${names.kPrev}).`);
    const eq = `${states.map((s) => `${s.symbol}${names.k} = ${s.symbol}${names.kPrev}`).join('    ')}  (masked step)`;
    return { title, equations: [eq], rows, checks: [], masked, notes, ...shapes };
  }
  const walk = kind.walkStep({ weights: w, x, prev, kerasMajor: q.kerasMajor, names });
  rows.push(...walk.rows);
  // Gates first, in the cell's order, then the states from the last one back to h, the output.
  const order = [...trace.cell.quantities.filter((qq) => qq.role !== 'state'), ...[...states].reverse()];
  const checks: WalkCheck[] = [];
  for (const qq of order) {
    const recomputed = walk.values[qq.key];
    const traced = trace.values[qq.key];
    if (!recomputed) continue;
    const c = check(qq.key, qq.role === 'state' ? `${qq.symbol}${names.k}` : qq.symbol, recomputed, traced ? traceVector(traced, trace, at, sample) : undefined);
    if (c) checks.push(c);
  }
  return { title, equations: walk.equations, rows, checks, masked, notes, ...shapes };
}
