// Reading an input file from disk (Node only): the parsing itself is in inputs.ts so the webview can share it.
// The format is told by content (the .npy magic), then by extension (.csv/.tsv/.txt as a series), else typed text.

import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError } from './errors';
import { isNpy, parseCsv, parseInputText, parseNpy, type CsvOptions, type RawArray, type RawInputs } from './inputs';

export interface ReadInputResult {
  raw: RawInputs;
  /** What was assumed while reading (the window used, the column chosen). */
  notes: string[];
  /** `json`, `csv`, `npy` or `text`. */
  kind: 'json' | 'csv' | 'npy' | 'text';
}

/** Reads and parses an input file; `column`/`window` cut a series out of a CSV (or a 1-D/2-D array). */
export async function readInputFile(path: string, options: CsvOptions = {}): Promise<ReadInputResult> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`The input file ${path} does not exist.`);
    if (code === 'EISDIR') throw new InputError(`The input ${path} is a folder; give a .json, .csv or .npy file.`);
    throw new InputError(`The input file ${path} cannot be read (${code ?? 'unknown error'}).`);
  }
  return parseInputBytes(bytes, extname(path).toLowerCase(), options);
}

/** The same, from bytes already in memory (the extension reads through VS Code's file system). */
export function parseInputBytes(bytes: Uint8Array, extension: string, options: CsvOptions = {}): ReadInputResult {
  const cutting = options.column !== undefined || options.window !== undefined;
  if (isNpy(bytes)) {
    const raw = parseNpy(bytes);
    return cutting ? { raw: cutArray(raw, options), notes: windowNote(raw, options), kind: 'npy' } : { raw, notes: [], kind: 'npy' };
  }
  if (extension === '.npz' || extension === '.pkl' || extension === '.pickle') {
    throw new InputError(`${extension} files are pickles or archives of them and are never loaded; save the array with numpy.save as .npy.`);
  }
  const text = new TextDecoder('utf-8').decode(bytes);
  const looksLikeCsv = extension === '.csv' || extension === '.tsv' || extension === '.txt' || extension === '.dat';
  if (looksLikeCsv && !text.trimStart().startsWith('[') && !text.trimStart().startsWith('{')) {
    const { array, notes } = parseCsv(text, options);
    return { raw: array, notes, kind: 'csv' };
  }
  const raw = parseInputText(text);
  const kind = extension === '.json' ? 'json' : 'text';
  if (!cutting) return { raw, notes: [], kind };
  if (!isArray(raw)) throw new InputError('--column and --window cut one series; they cannot be used with several inputs.');
  return { raw: cutArray(raw, options), notes: windowNote(raw, options), kind };
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
      if (!Number.isInteger(k) || k < 0 || k >= D) throw new InputError(`The array has no column ${JSON.stringify(w)}; choose an index 0..${D - 1}.`);
      return k;
    });
  }
  let start = 0;
  let length = T;
  if (options.window) {
    length = options.window.length;
    start = options.window.start ?? 0;
    if (start < 0) start += T;
    if (!Number.isInteger(length) || length <= 0 || start < 0 || start + length > T) {
      throw new InputError(`The window of ${options.window.length} rows starting at row ${options.window.start ?? 0} does not fit in the array's ${T} rows.`);
    }
  }
  const data = new Float64Array(length * cols.length);
  for (let t = 0; t < length; t++) for (let d = 0; d < cols.length; d++) data[t * cols.length + d] = raw.data[(start + t) * D + cols[d]];
  return { shape: [length, cols.length], data, integer: raw.integer };
}
