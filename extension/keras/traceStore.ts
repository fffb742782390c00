// The trace of a long run kept as checkpoints: every K-th step's values of every sample (states and gates), the
// states a window recompute starts from, and a reference to the cell and the input it read. Any window of steps ×
// units of one sample is answered exactly — bit for bit what a full trace records — by re-running the same cell
// code from the nearest checkpoint. No vscode imports: this runs in the forward worker (and the CLI, and tests).

import type { Cell } from './layers/recurrent';
import type { RecurrentTrace } from './layers/types';

/** What a streamed RecurrentTrace carries instead of full values (plain data: it travels to the webview). */
export interface StreamedTraceInfo {
  /** The store's key of this recording (TraceStore.get). */
  id: number;
  /** Checkpoint spacing K: the values of steps K-1, 2K-1, … are kept for every sample and quantity. */
  every: number;
  /** The quantities that can be asked for (states, and the gates when the run traced them). */
  quantities: string[];
  /** Per quantity, over every step and sample: min, max, mean (computed during the run, not from a shipped trace). */
  stats: Record<string, { min: number; max: number; mean: number }>;
}

/** A window of one trace: steps [step0, step1) every `stride` steps (processing order), units [unit0, unit1) of one sample. */
export interface TraceWindowRequest {
  layer: string;
  direction?: 'forward' | 'backward';
  sample: number;
  step0: number;
  step1: number;
  /** 1 (every step, default) or a multiple of the trace's K (the kept checkpoint rows only: no recompute). */
  stride?: number;
  unit0: number;
  unit1: number;
  quantities: string[];
}

export interface TraceWindow {
  /** The steps the rows hold, in order: step0, step0 + stride, … < step1. */
  steps: Int32Array;
  unit0: number;
  unit1: number;
  /** Per quantity: rows = steps, cols = unit1 − unit0, row-major. */
  values: Record<string, Float32Array>;
}

/** Most values one window may hold (a screen of steps × units is far less); larger asks are refused. */
export const MAX_WINDOW_VALUES = 1 << 24;

/**
 * Most columns the overview of a streamed trace holds (the heatmap and the chart in the panel). A canvas is narrower,
 * so more kept rows (6,250 × M values per quantity at T = 100k, K = 16) would only be sent, painted and scaled away.
 */
export const OVERVIEW_COLS = 1024;

/** The overview's step spacing S: a multiple of the kept spacing K with at most OVERVIEW_COLS columns (no recompute). */
export function overviewStride(steps: number, every: number): number {
  return every * Math.max(1, Math.ceil(Math.floor(steps / every) / OVERVIEW_COLS));
}

/** The checkpoint spacing K for a run: the smallest power of two ≥ 16 that keeps every K-th row within `budget` bytes. */
export function checkpointEvery(fullTraceBytes: number, budget: number): number {
  let k = 16;
  while (k < 1 << 20 && fullTraceBytes / k > budget) k *= 2;
  return k;
}

/** Everything one streamed layer (one direction) keeps; runRecurrent fills it step by step. */
export class StreamedRecording {
  readonly steps: number;
  readonly batch: number;
  readonly units: number;
  /** Checkpoint rows: quantity → [checkpoint][sample][unit]; checkpoint j holds step (j+1)·K − 1. */
  readonly rows: Record<string, Float32Array>;
  readonly stats: Record<string, { min: number; max: number; sum: number }> = {};
  private readonly initial: Float32Array[];

  constructor(
    readonly cell: Cell,
    /** The input the layer read (the forward pass keeps it): x[offsetOf(t, n), +inputDim) is sample n at time t. */
    private x: Float64Array,
    readonly offsetOf: (t: number, n: number) => number,
    /** The trace's own arrays, filled as the run goes (seal() copies them). */
    private timeIndex: Int32Array,
    private masked: Uint8Array | undefined,
    /** State keys (h first) then gate keys, as the trace names them. */
    readonly stateKeys: readonly string[],
    readonly gateKeys: readonly string[],
    initialStates: readonly Float32Array[],
    readonly every: number,
  ) {
    this.steps = timeIndex.length;
    this.batch = initialStates[0].length / cell.units;
    this.units = cell.units;
    this.initial = initialStates.map((s) => s.slice());
    const kept = Math.floor(this.steps / every);
    this.rows = {};
    for (const q of [...stateKeys, ...gateKeys]) {
      this.rows[q] = new Float32Array(kept * this.batch * this.units);
      this.stats[q] = { min: Infinity, max: -Infinity, sum: 0 };
    }
  }

  /** After step s of the run: states (after the step) and the step's gates, each N × M. */
  record(s: number, states: readonly Float32Array[], gates: readonly Float32Array[] | null): void {
    const keep = (s + 1) % this.every === 0;
    const at = ((s + 1) / this.every - 1) * this.batch * this.units;
    const add = (q: string, a: Float32Array): void => {
      const st = this.stats[q];
      let { min, max, sum } = st;
      for (let i = 0; i < a.length; i++) {
        const v = a[i];
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
      }
      st.min = min;
      st.max = max;
      st.sum = sum;
      if (keep) this.rows[q].set(a, at);
    };
    this.stateKeys.forEach((q, k) => add(q, states[k]));
    if (gates) this.gateKeys.forEach((q, g) => add(q, gates[g]));
  }

  /**
   * Takes its own copies of the input and of the trace's step arrays, before a worker transfers the run's buffers to
   * the host (which detaches them here).
   */
  seal(): void {
    this.x = this.x.slice();
    this.timeIndex = this.timeIndex.slice();
    if (this.masked) this.masked = this.masked.slice();
  }

  info(id: number): StreamedTraceInfo {
    const count = this.steps * this.batch * this.units;
    const stats: StreamedTraceInfo['stats'] = {};
    for (const [q, s] of Object.entries(this.stats)) {
      stats[q] = count === 0 ? { min: 0, max: 0, mean: 0 } : { min: s.min, max: s.max, mean: s.sum / count };
    }
    return { id, every: this.every, quantities: Object.keys(this.rows), stats };
  }

  /** A window, exact: kept rows are copied; other steps are recomputed from the checkpoint before them. */
  window(req: TraceWindowRequest): TraceWindow {
    const { steps: T, batch: N, units: M, every: K } = this;
    const stride = req.stride ?? 1;
    const bad = checkWindow(req, T, N, M, Object.keys(this.rows));
    if (bad) throw new RangeError(bad);
    if (stride !== 1 && stride % K !== 0) throw new RangeError(`a stride of ${stride} steps is neither 1 nor a multiple of the kept spacing ${K}`);
    const { sample: n, unit0, unit1 } = req;
    const W = unit1 - unit0;
    const rowSteps: number[] = [];
    const first = stride === 1 ? req.step0 : Math.ceil((req.step0 + 1) / K) * K - 1;
    for (let s = first; s < req.step1; s += stride) rowSteps.push(s);
    const values: Record<string, Float32Array> = {};
    for (const q of req.quantities) values[q] = new Float32Array(rowSteps.length * W);
    if (stride !== 1) {
      rowSteps.forEach((s, r) => {
        const at = (((s + 1) / K - 1) * N + n) * M;
        for (const q of req.quantities) values[q].set(this.rows[q].subarray(at + unit0, at + unit1), r * W);
      });
      return { steps: Int32Array.from(rowSteps), unit0, unit1, values };
    }
    if (rowSteps.length === 0) return { steps: new Int32Array(0), unit0, unit1, values };
    this.recompute(n, req.step0, req.step1, (s, states, gates) => {
      const r = s - req.step0;
      for (const q of req.quantities) {
        const k = this.stateKeys.indexOf(q);
        const src = k >= 0 ? states[k] : gates[this.gateKeys.indexOf(q)];
        values[q].set(src.subarray(unit0, unit1), r * W);
      }
    });
    return { steps: Int32Array.from(rowSteps), unit0, unit1, values };
  }

  /** Re-runs sample n from the last checkpoint before step0 through step1 − 1, handing each step in [step0, step1) to `visit`. */
  private recompute(n: number, step0: number, step1: number, visit: (s: number, states: Float32Array[], gates: Float32Array[]) => void): void {
    const { cell, units: M, batch: N, every: K } = this;
    const S = this.stateKeys.length;
    // The checkpoint at step c = j·K − 1 holds the states after c; before step 0 the run's initial states.
    const j = Math.floor(step0 / K);
    const from = j * K;
    let cur: Float32Array[] = [];
    let nxt: Float32Array[] = [];
    for (let k = 0; k < S; k++) {
      const st = new Float32Array(M);
      if (j === 0) st.set(this.initial[k].subarray(n * M, (n + 1) * M));
      else st.set(this.rows[this.stateKeys[k]].subarray(((j - 1) * N + n) * M, ((j - 1) * N + n + 1) * M));
      cur.push(st);
      nxt.push(new Float32Array(M));
    }
    const gates = this.gateKeys.map(() => new Float32Array(M));
    const blockRows = Math.max(1, cell.blockRows);
    const offsets = new Int32Array(blockRows);
    let row = blockRows;
    for (let s = from; s < step1; s++) {
      if (row === blockRows) {
        let count = 0;
        for (let si = s; si < step1 && count < blockRows; si++, count++) offsets[count] = this.offsetOf(this.timeIndex[si], n);
        cell.project(this.x, offsets, count);
        row = 0;
      }
      if (this.masked && this.masked[s * N + n]) {
        // As the run: a masked step carries the states and its gates hold 0.
        for (let k = 0; k < S; k++) nxt[k].set(cur[k]);
        for (const g of gates) g.fill(0);
      } else {
        cell.step(row, cur, nxt, 0, gates.length ? gates : null, 0);
      }
      row++;
      if (s >= step0) visit(s, nxt, gates);
      const swap = cur;
      cur = nxt;
      nxt = swap;
    }
  }
}

/** Why a window request does not fit a trace of T steps, N samples, M units and these quantities (one sentence), or null. */
export function checkWindow(req: TraceWindowRequest, T: number, N: number, M: number, quantities: readonly string[]): string | null {
  const whole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!whole(req.sample) || req.sample >= N) return `sample ${String(req.sample)} is not one of the ${N} samples`;
  if (!whole(req.step0) || !whole(req.step1) || req.step0 > req.step1 || req.step1 > T) return `steps ${String(req.step0)}..${String(req.step1)} are not within the ${T} steps`;
  if (!whole(req.unit0) || !whole(req.unit1) || req.unit0 > req.unit1 || req.unit1 > M) return `units ${String(req.unit0)}..${String(req.unit1)} are not within the ${M} units`;
  if (req.stride !== undefined && (!whole(req.stride) || req.stride < 1)) return `a stride of ${String(req.stride)} is not a whole number of steps`;
  if (!Array.isArray(req.quantities) || req.quantities.length === 0) return 'no quantity was asked for';
  for (const q of req.quantities) if (!quantities.includes(q)) return `the trace has no quantity named ${JSON.stringify(String(q).slice(0, 20))}`;
  const rows = Math.ceil((req.step1 - req.step0) / (req.stride ?? 1));
  if (rows * (req.unit1 - req.unit0) * req.quantities.length > MAX_WINDOW_VALUES) return `the window holds more than ${MAX_WINDOW_VALUES} values; ask for fewer steps or units`;
  return null;
}

/** The recordings of one run, by the id their traces carry. */
export class TraceStore {
  private readonly recordings = new Map<number, StreamedRecording>();
  private nextId = 1;
  constructor(
    /** Bytes the kept rows of all layers may take together (the trace memory limit). */
    readonly budgetBytes: number,
    /** A fixed K instead of one from the budget (tests use a small one to cross many checkpoints). */
    private readonly fixedEvery?: number,
  ) {}

  /** K for one layer whose full trace would take `fullBytes`: its kept rows stay within half the budget. */
  everyFor(fullBytes: number): number {
    return this.fixedEvery ?? checkpointEvery(fullBytes, this.budgetBytes / 2);
  }

  add(rec: StreamedRecording): number {
    const id = this.nextId++;
    this.recordings.set(id, rec);
    return id;
  }

  get(id: number): StreamedRecording | undefined {
    return this.recordings.get(id);
  }

  /** Copies what the run's result will hand away (see StreamedRecording.seal). */
  seal(): void {
    for (const r of this.recordings.values()) r.seal();
  }

  /** Bytes kept by the checkpoint rows (not counting the inputs the forward pass keeps anyway). */
  keptBytes(): number {
    let b = 0;
    for (const r of this.recordings.values()) for (const a of Object.values(r.rows)) b += a.byteLength;
    return b;
  }
}

/** A window of any trace of a run: sliced from full values, or recomputed from the store for a streamed one. */
export function traceWindow(traces: readonly RecurrentTrace[], store: TraceStore | undefined, req: TraceWindowRequest): TraceWindow {
  const trace = traces.find((t) => t.layer === req.layer && (t.direction ?? '') === (req.direction ?? ''));
  if (!trace) throw new RangeError(`the run has no trace of the layer ${JSON.stringify(String(req.layer).slice(0, 60))}`);
  if (trace.streamed) {
    const rec = store?.get(trace.streamed.id);
    if (!rec) throw new RangeError('the run that kept this trace is no longer open; run it again');
    return rec.window(req);
  }
  const { steps: T, batch: N, units: M } = trace;
  const bad = checkWindow(req, T, N, M, Object.keys(trace.values));
  if (bad) throw new RangeError(bad);
  const stride = req.stride ?? 1;
  const rowSteps: number[] = [];
  for (let s = req.step0; s < req.step1; s += stride) rowSteps.push(s);
  const W = req.unit1 - req.unit0;
  const values: Record<string, Float32Array> = {};
  for (const q of req.quantities) {
    const out = new Float32Array(rowSteps.length * W);
    const src = trace.values[q];
    rowSteps.forEach((s, r) => {
      const at = (s * N + req.sample) * M;
      out.set(src.subarray(at + req.unit0, at + req.unit1), r * W);
    });
    values[q] = out;
  }
  return { steps: Int32Array.from(rowSteps), unit0: req.unit0, unit1: req.unit1, values };
}

// The store of the last forward pass in this thread (runs in a worker are one at a time): the worker's trace keeper
// takes it with the run's result, so the store never has to travel inside a (cloned) result.
let runStore: TraceStore | undefined;

export function setRunStore(store: TraceStore | undefined): void {
  runStore = store;
}

/** The store the last run kept its streamed traces in (undefined when every trace was kept in full), once. */
export function takeRunStore(): TraceStore | undefined {
  const s = runStore;
  runStore = undefined;
  return s;
}
