// Sliding windows over one CSV column for a time-series model: window k holds rows k·stride … k·stride + L − 1,
// and its actual next value is row k·stride + L (absent for a window that ends at the last row). So a series of
// R rows gives N = floor((R − L) / stride) + 1 windows, as tf.keras.utils.timeseries_dataset_from_array does
// without targets.

import type { Tensor } from '../../extension/keras/tensor';

/** Numbers all windows may hold together (N × L), like the input editor's other inputs. */
export const MAX_WINDOW_NUMBERS = 4_000_000;
/** Samples at most (the protocol's N limit). */
export const MAX_WINDOWS = 100_000;

export interface SeriesWindows {
  /** N windows of L rows each, N × L × 1 row-major. */
  data: Float64Array;
  n: number;
  length: number;
  stride: number;
  /** The row each window starts at (0-based). */
  starts: Int32Array;
  /** The row after each window (its next value's row); equals the row count where the data ends. */
  nextRows: Int32Array;
  /** The value at nextRows, NaN where the series has ended. */
  next: Float64Array;
}

/** N = floor((rows − length) / stride) + 1, or 0 when the series is shorter than one window. */
export function windowCount(rows: number, length: number, stride: number): number {
  if (rows < length) return 0;
  return Math.floor((rows - length) / stride) + 1;
}

/** Why these window settings cannot be used (one sentence), or null. */
export function windowProblem(rows: number, length: number, stride: number): string | null {
  if (!Number.isInteger(length) || length < 1) return `The window length must be a whole number of rows from 1 up, got ${String(length).slice(0, 20)}.`;
  if (!Number.isInteger(stride) || stride < 1) return `The stride must be a whole number of rows from 1 up, got ${String(stride).slice(0, 20)}.`;
  if (length > rows) return `The window of ${length} rows is longer than the series (${rows} rows); choose at most ${rows}.`;
  const n = windowCount(rows, length, stride);
  if (n > MAX_WINDOWS) return `${n.toLocaleString('en-US')} windows are more than the ${MAX_WINDOWS.toLocaleString('en-US')} samples a run takes; use a larger stride.`;
  if (n * length > MAX_WINDOW_NUMBERS) return `${n.toLocaleString('en-US')} windows of ${length} rows hold ${(n * length).toLocaleString('en-US')} numbers, over the ${MAX_WINDOW_NUMBERS.toLocaleString('en-US')} limit; use a larger stride or a shorter window.`;
  return null;
}

/** The windows of a series; throws the sentence of windowProblem when the settings cannot be used. */
export function makeWindows(series: ArrayLike<number>, length: number, stride: number): SeriesWindows {
  const rows = series.length;
  const problem = windowProblem(rows, length, stride);
  if (problem) throw new Error(problem);
  const n = windowCount(rows, length, stride);
  const data = new Float64Array(n * length);
  const starts = new Int32Array(n);
  const nextRows = new Int32Array(n);
  const next = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const s = k * stride;
    starts[k] = s;
    for (let j = 0; j < length; j++) data[k * length + j] = series[s + j];
    nextRows[k] = s + length;
    next[k] = s + length < rows ? series[s + length] : NaN;
  }
  return { data, n, length, stride, starts, nextRows, next };
}

export interface Cadence {
  kind: 'yearly' | 'monthly';
  first: number;
  last: number;
  rows: number;
}

/**
 * How often the rows come, read from a time column of decimal years (1700.5, 1701.5 … or 1749.042, 1749.125 …):
 * yearly when every step is 1, monthly when every step is 1/12. Null when the column is not such a clock.
 */
export function rowCadence(times: ArrayLike<number>): Cadence | null {
  const rows = times.length;
  if (rows < 2) return null;
  const first = times[0];
  const last = times[rows - 1];
  if (!(first >= 1000 && last <= 3000)) return null;
  const step = (last - first) / (rows - 1);
  const kind = Math.abs(step - 1) < 1e-6 ? 'yearly' : Math.abs(step - 1 / 12) < 1e-3 ? 'monthly' : null;
  if (!kind) return null;
  // Every step, not only the mean: a gap or a repeated row is not a steady clock.
  const tol = kind === 'yearly' ? 1e-6 : 0.01;
  for (let i = 1; i < rows; i++) if (!(Math.abs(times[i] - times[i - 1] - step) <= tol)) return null;
  return { kind, first, last, rows };
}

/** The sentence saying how often the rows come, e.g. "The rows are yearly: 323 rows, one per year from 1700.5 to 2022.5 (not monthly)." */
export function cadenceText(c: Cadence): string {
  const span = `from ${c.first} to ${c.last}`;
  return c.kind === 'yearly'
    ? `The rows are yearly: ${c.rows} rows, one per year ${span} (not monthly), so one step is one year and the next value is the next year's.`
    : `The rows are monthly: ${c.rows} rows, one per month ${span}, so one step is one month.`;
}

/**
 * Each window's predicted next value from the model's output: (N, 1) as it is, (N, K) its first column, (N, T, K) the
 * last step's first column. An error sentence when the output does not have one value per window.
 */
export function predictedNext(output: Tensor, n: number): { values: Float64Array; note?: string } | { error: string } {
  const s = output.shape;
  if (s[0] !== n) return { error: `The model gave ${s[0]} outputs for ${n} windows.` };
  const per = s.slice(1).reduce((a, b) => a * b, 1);
  const values = new Float64Array(n);
  if (s.length === 2) {
    for (let k = 0; k < n; k++) values[k] = output.data[k * per];
    return s[1] === 1 ? { values } : { values, note: `The output has ${s[1]} values per window; the first is taken as the next value.` };
  }
  if (s.length === 3) {
    const [, T, K] = s;
    for (let k = 0; k < n; k++) values[k] = output.data[k * per + (T - 1) * K];
    return { values, note: `The output is a sequence (T = ${T}); its last step is taken as the next value.` };
  }
  return { error: `The output's shape (${s.join('×')}) does not give one next value per window.` };
}

/** True when a run's input is exactly these windows (N × L × 1), so its outputs are their predictions. */
export function isWindowsInput(input: Tensor | undefined, w: SeriesWindows): boolean {
  if (!input || input.shape.length !== 3 || input.shape[0] !== w.n || input.shape[1] !== w.length || input.shape[2] !== 1) return false;
  for (let i = 0; i < w.data.length; i++) {
    const a = input.data[i];
    const b = w.data[i];
    if (!(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)))) return false;
  }
  return true;
}

/** Mean absolute and root-mean-square error over the windows that have an actual next value. */
export function forecastErrors(predicted: Float64Array, actual: Float64Array): { count: number; mae: number; rmse: number } {
  let count = 0;
  let abs = 0;
  let sq = 0;
  for (let k = 0; k < actual.length; k++) {
    if (Number.isNaN(actual[k])) continue;
    const d = predicted[k] - actual[k];
    abs += Math.abs(d);
    sq += d * d;
    count++;
  }
  return { count, mae: count ? abs / count : NaN, rmse: count ? Math.sqrt(sq / count) : NaN };
}
