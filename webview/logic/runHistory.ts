// The recent runs kept for comparison: per run, h_t of sample 0 of each recurrent layer (a copy, so the run's own
// arrays can be dropped), at most HISTORY_RUNS runs and HISTORY_NUMBERS_PER_RUN numbers each, so memory is bounded.

import type { RunResult } from '../../extension/protocol';

export const HISTORY_RUNS = 10;
/** 1M float32 = 4 MB per run, 40 MB for the whole history at most. */
export const HISTORY_NUMBERS_PER_RUN = 1_000_000;

/** h_t of sample 0 of one recurrent layer (one direction): steps × units, in processing order. */
export interface KeptTrace {
  layer: string;
  direction?: 'forward' | 'backward';
  steps: number;
  units: number;
  h: Float32Array;
  /** The input time index (0-based) each step read: reversed for go_backwards and a backward direction. */
  timeIndex: Int32Array;
}

export interface KeptRun {
  runId: number;
  label: string;
  /** Wall-clock time of the result, ms since the epoch. */
  at: number;
  /** Shape of the first model input, e.g. [1, 10, 3]. */
  inputShape: number[];
  traces: KeptTrace[];
  /** Layers whose h_t was not kept, and why (streamed, over the budget). */
  notKept: string[];
}

export const traceKey = (t: { layer: string; direction?: string }): string => (t.direction ? `${t.layer} (${t.direction})` : t.layer);

/** Copies what the history keeps of a run. */
export function keepRun(result: RunResult, at: number): KeptRun {
  const traces: KeptTrace[] = [];
  const notKept: string[] = [];
  let budget = HISTORY_NUMBERS_PER_RUN;
  for (const t of result.traces) {
    const key = traceKey(t);
    if (t.streamed || t.values.h.length < t.steps * t.batch * t.units) {
      notKept.push(`${key}: streamed (only checkpoints are kept)`);
      continue;
    }
    const size = t.steps * t.units;
    if (size > budget) {
      notKept.push(`${key}: ${size.toLocaleString('en-US')} values, over the history's budget`);
      continue;
    }
    budget -= size;
    const h = new Float32Array(size);
    // values.h is [step][sample][unit]: sample 0 of each step.
    for (let s = 0; s < t.steps; s++) h.set(t.values.h.subarray(s * t.batch * t.units, s * t.batch * t.units + t.units), s * t.units);
    traces.push({ layer: t.layer, ...(t.direction ? { direction: t.direction } : {}), steps: t.steps, units: t.units, h, timeIndex: Int32Array.from(t.timeIndex.subarray(0, t.steps)) });
  }
  return { runId: result.runId, label: result.inputLabel, at, inputShape: result.inputs[0]?.shape.slice() ?? [], traces, notKept };
}

/** Adds a run at the front, dropping the oldest past `max`; the same run id replaces its earlier entry. */
export function pushRun(history: readonly KeptRun[], run: KeptRun, max = HISTORY_RUNS): KeptRun[] {
  return [run, ...history.filter((r) => r.runId !== run.runId)].slice(0, max);
}

/** Layers (by traceKey) whose h_t both runs kept with the same number of units. */
export function commonTraces(a: KeptRun, b: KeptRun): string[] {
  const inB = new Map(b.traces.map((t) => [traceKey(t), t]));
  return a.traces.filter((t) => inB.get(traceKey(t))?.units === t.units).map(traceKey);
}

export interface TraceDiff {
  steps: number;
  units: number;
  /** h_t(B) − h_t(A), steps × units, over the steps both have. */
  diff: Float32Array;
  maxAbs: number;
  /** Steps of A and B when they differ (the diff covers the first min of them). */
  stepsA: number;
  stepsB: number;
}

export function diffTraces(a: KeptTrace, b: KeptTrace): TraceDiff {
  if (a.units !== b.units) throw new Error(`The layers have ${a.units} and ${b.units} units; only the same layer can be compared.`);
  const steps = Math.min(a.steps, b.steps);
  const units = a.units;
  const diff = new Float32Array(steps * units);
  let maxAbs = 0;
  for (let i = 0; i < diff.length; i++) {
    // In float64, then rounded once: identical runs give exactly 0.
    const d = b.h[i] - a.h[i];
    diff[i] = d;
    const m = Math.abs(d);
    // A NaN anywhere makes the maximum NaN (m > NaN is false afterwards), so it cannot pass for 0.
    if (Number.isNaN(m)) maxAbs = NaN;
    else if (m > maxAbs) maxAbs = m;
  }
  return { steps, units, diff, maxAbs, stepsA: a.steps, stepsB: b.steps };
}
