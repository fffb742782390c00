// Reading an input file's bytes (the host reads them through VS Code's file system; no Node import here, the web build
// bundles it): the parsing itself is in inputs.ts so the webview can share it. Reading a path from disk, streamed, is
// inputFilesNode.ts (the CLI). The format is told by content (the .npy magic), then by extension (.csv/.tsv/.txt as a
// series), else typed text.

import { InputError } from './errors';
import { budgetBytes, formatBytes } from './limits';
import {
  MAX_INPUT_TEXT_CHARS,
  isNpy,
  parseCsvBytes,
  parseInputText,
  parseNpy,
  type CsvOptions,
  type RawArray,
  type RawInputs,
} from './inputs';
import { showName } from './safeText';

export interface ReadInputResult {
  raw: RawInputs;
  /** What was assumed while reading (the window used, the column chosen). */
  notes: string[];
  /** `json`, `csv`, `npy` or `text`. */
  kind: 'json' | 'csv' | 'npy' | 'text';
}

export const PICKLE_EXTENSIONS = new Set(['.npz', '.pkl', '.pickle']);
export const SERIES_EXTENSIONS = new Set(['.csv', '.tsv', '.txt', '.dat']);
export const HEAD_BYTES = 64 * 1024;

export function pickleError(extension: string): InputError {
  return new InputError(`${extension} files are pickles or archives of them and are never loaded; save the array with numpy.save as .npy.`);
}

export function npyResult(raw: RawArray, options: CsvOptions): ReadInputResult {
  const cutting = options.column !== undefined || options.window !== undefined;
  return cutting ? { raw: cutArray(raw, options), notes: windowNote(raw, options), kind: 'npy' } : { raw, notes: [], kind: 'npy' };
}

export function textResult(text: string, extension: string, options: CsvOptions, budget: number): ReadInputResult {
  const cutting = options.column !== undefined || options.window !== undefined;
  const raw = parseInputText(text, budget);
  const kind = extension === '.json' ? 'json' : 'text';
  if (!cutting) return { raw, notes: [], kind };
  if (!isArray(raw)) throw new InputError('--column and --window cut one series; they cannot be used with several inputs.');
  return { raw: cutArray(raw, options), notes: windowNote(raw, options), kind };
}

/** The same, from bytes already in memory (the extension reads through VS Code's file system). */
export function parseInputBytes(bytes: Uint8Array, extension: string, options: CsvOptions = {}): ReadInputResult {
  const budget = options.memoryBudgetBytes ?? budgetBytes();
  if (isNpy(bytes)) return npyResult(parseNpy(bytes, budget), options);
  if (PICKLE_EXTENSIONS.has(extension)) throw pickleError(extension);
  const head = new TextDecoder('utf-8').decode(bytes.subarray(0, HEAD_BYTES)).replace(/^\uFEFF/, '').trimStart();
  if (SERIES_EXTENSIONS.has(extension) && !head.startsWith('[') && !head.startsWith('{')) {
    const { array, notes } = parseCsvBytes(bytes, options);
    return { raw: array, notes, kind: 'csv' };
  }
  if (bytes.length > MAX_INPUT_TEXT_CHARS) {
    throw new InputError(`The input is ${formatBytes(bytes.length)}, over the ${formatBytes(MAX_INPUT_TEXT_CHARS)} read as typed text; save the array with numpy.save and give the .npy file.`);
  }
  return textResult(new TextDecoder('utf-8').decode(bytes), extension, options, budget);
}

function isArray(raw: RawInputs): raw is RawArray {
  return !Array.isArray(raw) && (raw as RawArray).data instanceof Float64Array;
}

function windowNote(raw: RawArray, options: CsvOptions): string[] {
  if (!options.window) return [];
  const rows = raw.shape[0];
  let s = options.window.start ?? 0;
  if (s < 0) s += rows;
  return [`Rows ${s}..${s + options.window.length - 1} (of ${rows}) were used as the ${options.window.length} time steps.`];
}

/** Column and window on a T×D (or T) array, by index: rows are time steps, columns are features. */
function cutArray(raw: RawArray, options: CsvOptions): RawArray {
  if (raw.shape.length > 2) throw new InputError(`--column and --window cut a series (T or T×D), but the array is ${raw.shape.join('×')}.`);
  const T = raw.shape[0];
  const D = raw.shape.length === 2 ? raw.shape[1] : 1;
  let cols = Array.from({ length: D }, (_, i) => i);
  if (options.column !== undefined) {
    const wanted = Array.isArray(options.column) ? options.column : [options.column];
    cols = wanted.map((w) => {
      const k = Number(w);
      if (!Number.isInteger(k) || k < 0 || k >= D) throw new InputError(`The array has no column ${typeof w === 'number' ? w : JSON.stringify(showName(w, 40))}; choose an index 0..${D - 1}.`);
      return k;
    });
  }
  let start = 0;
  let length = T;
  if (options.window) {
    length = options.window.length;
    start = options.window.start ?? 0;
    if (start < 0) start += T;
    if (!Number.isInteger(length) || length <= 0 || !Number.isInteger(start) || start < 0 || start + length > T) {
      throw new InputError(`The window of ${options.window.length} rows starting at row ${options.window.start ?? 0} does not fit in the array's ${T} rows.`);
    }
  }
  const data = new Float64Array(length * cols.length);
  for (let t = 0; t < length; t++) for (let d = 0; d < cols.length; d++) data[t * cols.length + d] = raw.data[(start + t) * D + cols[d]];
  return { shape: [length, cols.length], data, integer: raw.integer };
}
