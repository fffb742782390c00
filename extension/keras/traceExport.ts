// The per-step trace of recurrent layers as JSON (nested [step][n][unit] arrays keyed by layer) and as long-format
// CSV (one value per row), so it can be read back in pandas, a spreadsheet or a notebook.

import type { RecurrentTrace } from './layers/types';
import { CancelledError } from './errors';
import type { TraceWindow, TraceWindowRequest } from './traceStore';

/** The quantity keys a trace holds, in the order its cell describes them (states, then gates). */
export function traceQuantityKeys(tr: RecurrentTrace): string[] {
  return tr.cell.quantities.map((q) => q.key).filter((k) => tr.values[k] !== undefined);
}

/**
 * One direction of one recurrent layer call: each quantity (h, c, i, f, g, o, z, r, hh, pre: the keys its cell
 * describes) is [step][sample][unit], a unit being one value of the flattened state (channels last for a feature
 * map of shape `stateShape`); timeIndex[step] is the input time index.
 */
export interface TraceJson {
  /** The cell's key, e.g. 'LSTM'. */
  cell: string;
  steps: number;
  batch: number;
  units: number;
  /** One sample's state: [M], or [rows, cols, F] for a feature map. */
  stateShape: number[];
  timeIndex: number[];
  /** [step][sample]: 1 where the step was masked out and the state carried over. Present only with a mask. */
  masked?: number[][];
  h: number[][][];
  [quantity: string]: number[][][] | number[][] | number[] | number | string | undefined;
}

/** A Bidirectional layer gives both directions, each in its own processing order. */
export interface BidirectionalTraceJson {
  forward?: TraceJson;
  backward?: TraceJson;
}

/**
 * Keyed by layer name. A Bidirectional layer maps to {forward, backward}. A shared layer called more than once gets
 * `name` for its first call and `name@2`, `name@3`, … for the later ones, in execution order.
 */
export type TraceMapJson = Record<string, TraceJson | BidirectionalTraceJson>;

function nest(data: Float32Array | Float64Array, steps: number, batch: number, units: number): number[][][] {
  const out: number[][][] = new Array(steps);
  for (let s = 0; s < steps; s++) {
    const step: number[][] = new Array(batch);
    for (let n = 0; n < batch; n++) {
      const off = (s * batch + n) * units;
      step[n] = Array.from(data.subarray(off, off + units));
    }
    out[s] = step;
  }
  return out;
}

export function traceJson(tr: RecurrentTrace): TraceJson {
  const out: TraceJson = {
    cell: tr.cell.key,
    steps: tr.steps,
    batch: tr.batch,
    units: tr.units,
    stateShape: [...tr.stateShape],
    timeIndex: Array.from(tr.timeIndex),
    h: nest(tr.values.h, tr.steps, tr.batch, tr.units),
  };
  if (tr.masked) {
    out.masked = [];
    for (let s = 0; s < tr.steps; s++) out.masked.push(Array.from(tr.masked.subarray(s * tr.batch, (s + 1) * tr.batch)));
  }
  for (const q of traceQuantityKeys(tr)) {
    // Keys the record itself uses stay theirs: a cell cannot describe a quantity named 'steps'.
    if (q === 'h' || q in out) continue;
    out[q] = nest(tr.values[q], tr.steps, tr.batch, tr.units);
  }
  return out;
}

export function tracesToJson(traces: readonly RecurrentTrace[]): TraceMapJson {
  const out: TraceMapJson = {};
  const taken = (key: string, dir?: 'forward' | 'backward'): boolean => {
    const v = out[key];
    if (!v) return false;
    if (!dir) return true;
    return 'h' in v || (v as BidirectionalTraceJson)[dir] !== undefined;
  };
  for (const tr of traces) {
    let key = tr.layer;
    for (let k = 2; taken(key, tr.direction); k++) key = `${tr.layer}@${k}`;
    if (tr.direction) {
      const entry = (out[key] as BidirectionalTraceJson | undefined) ?? {};
      entry[tr.direction] = traceJson(tr);
      out[key] = entry;
    } else {
      out[key] = traceJson(tr);
    }
  }
  return out;
}

export const TRACE_CSV_HEADER = 'layer,direction,k,t,sample,quantity,unit,value';

/**
 * A text cell per RFC 4180 (quoted when it holds a comma, quote or line break; quotes doubled). A name from the file
 * that starts like a spreadsheet formula (= + - @, or a tab or CR before one) gets a leading ' so it stays text.
 */
export function csvField(s: string): string {
  const text = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * Long-format CSV rows, header first: one row per (layer, direction, step, sample, quantity, unit).
 * `k` is the processing step and `t` the input time step it reads, both counted 1..T as the panel and the equations
 * count them (h_0 is the state before k = 1; t runs backwards for go_backwards); `sample` and `unit` are 0-based
 * indices. `quantity` is the symbol the equations use (h, c, i, f, g, o, z, r, h̃, a), not the JSON key ('hh', 'pre').
 * `direction` is empty for a plain recurrent layer. Values are written with full float64 precision.
 */
export function* traceCsvLines(traces: readonly RecurrentTrace[]): Generator<string> {
  yield TRACE_CSV_HEADER;
  for (const tr of traces) {
    yield* traceCsvStepLines(tr, 0, tr.steps, (q, s, n) => {
      const off = (s * tr.batch + n) * tr.units;
      return tr.values[q].subarray(off, off + tr.units);
    });
  }
}

/** The CSV rows (no header) of steps [step0, step1) of one trace, given the M values of each (quantity, step, sample). */
export function* traceCsvStepLines(tr: RecurrentTrace, step0: number, step1: number, valuesOf: (quantity: string, step: number, sample: number) => ArrayLike<number>): Generator<string> {
  const layer = csvField(tr.layer);
  const dir = csvField(tr.direction ?? '');
  const present = traceQuantityKeys(tr);
  const symbols = new Map(tr.cell.quantities.map((q) => [q.key, csvField(q.symbol)]));
  for (let s = step0; s < step1; s++) {
    const ti = tr.timeIndex[s];
    for (let n = 0; n < tr.batch; n++) {
      for (const q of present) {
        const data = valuesOf(q, s, n);
        const prefix = `${layer},${dir},${s + 1},${ti + 1},${n},${symbols.get(q)},`;
        for (let m = 0; m < tr.units; m++) yield `${prefix}${m},${data[m]}`;
      }
    }
  }
}

/** Steps per window while a streamed trace is written out: each sample's window recomputes them once. */
const EXPORT_CHUNK = 256;

/**
 * The long CSV of a run's traces, written piece by piece: a trace kept as checkpoints is recomputed window by window
 * (`window`: the run's worker), CHUNK steps of every sample at a time, so no more than one chunk is ever held. The
 * text equals tracesToCsv of the full traces. `write` gets about 1 MB at a time; `progress` gets the steps done of all.
 */
export async function writeTraceCsv(
  traces: readonly RecurrentTrace[],
  window: (req: TraceWindowRequest) => Promise<TraceWindow>,
  write: (text: string) => Promise<void>,
  opts: { signal?: AbortSignal; progress?(done: number, total: number): void } = {},
): Promise<void> {
  const total = traces.reduce((a, tr) => a + tr.steps, 0);
  let done = 0;
  let buffer: string[] = [TRACE_CSV_HEADER];
  let size = 0;
  const flush = async (): Promise<void> => {
    if (buffer.length === 0) return;
    const text = buffer.join('\n') + '\n';
    buffer = [];
    size = 0;
    await write(text);
  };
  for (const tr of traces) {
    for (let s0 = 0; s0 < tr.steps; s0 += EXPORT_CHUNK) {
      if (opts.signal?.aborted) throw new CancelledError();
      const s1 = Math.min(tr.steps, s0 + EXPORT_CHUNK);
      let valuesOf: (q: string, s: number, n: number) => ArrayLike<number>;
      if (tr.streamed) {
        const windows: TraceWindow[] = [];
        for (let n = 0; n < tr.batch; n++) {
          windows.push(await window({ layer: tr.layer, ...(tr.direction ? { direction: tr.direction } : {}), sample: n, step0: s0, step1: s1, unit0: 0, unit1: tr.units, quantities: traceQuantityKeys(tr) }));
          if (opts.signal?.aborted) throw new CancelledError();
        }
        valuesOf = (q, s, n) => windows[n].values[q].subarray((s - s0) * tr.units, (s - s0 + 1) * tr.units);
      } else {
        valuesOf = (q, s, n) => tr.values[q].subarray((s * tr.batch + n) * tr.units, (s * tr.batch + n + 1) * tr.units);
      }
      for (const line of traceCsvStepLines(tr, s0, s1, valuesOf)) {
        buffer.push(line);
        size += line.length + 1;
        if (size >= 1 << 20) await flush();
      }
      done += s1 - s0;
      opts.progress?.(done, total);
    }
  }
  await flush();
}

export function tracesToCsv(traces: readonly RecurrentTrace[]): string {
  const lines: string[] = [];
  for (const l of traceCsvLines(traces)) lines.push(l);
  return lines.join('\n') + '\n';
}
