// The user's input for a forward pass: parsed from JSON, CSV, NumPy .npy or NumPy-style text, or filled
// (zeros, ramp, seeded random), then checked against the model's inputs in N/T/D terms.
// Pure: no fs, no vscode, no Node-only imports, so the webview bundle can use it (file reading is in inputFiles.ts).

import { InputError } from './errors';
import { MAX_NESTING_DEPTH } from './limits';
import type { LayerNode, ModelDocument, ModelGraph, TensorRef } from './model';
import type { Dim, Shape } from './shapes';
import { numberReader, tensor, type Tensor } from './tensor';

/** A parsed, rectangular numeric array (row-major). Not yet checked against a model. */
export interface RawArray {
  shape: number[];
  data: Float64Array;
  /** True when every value was written as an integer or the source dtype was an integer type. */
  integer?: boolean;
}

/** One array for a single-input model, a list (model input order) or a map from input name to array. */
export type RawInputs = RawArray | RawArray[] | Record<string, RawArray>;

/** What the model expects for one input, read from the document. */
export interface InputSpec {
  name: string;
  /** Full batch shape as the file declares it, e.g. [null, 10, 3]; [32, 100] when the batch is fixed. */
  shape: Shape;
  dtype: string;
  /** The Embedding layer this input feeds: inputs are integer tokens in [0, vocabulary). */
  embedding?: { layer: string; vocabulary: number; maskZero: boolean };
}

export interface PrepareOptions {
  /** The T to use where the model's T is None (fills need it; for data it must agree). */
  T?: number;
}

export interface PreparedInputs {
  /** One tensor per model input, in `doc.root.inputs` order. */
  tensors: Tensor[];
  /** What was assumed, in one sentence each (e.g. "a single sample T×D was given: N = 1"). */
  notes: string[];
}

// ---------------------------------------------------------------------------------------------
// Specs from the model document

const consumerMaps = new WeakMap<ModelGraph, Map<string, LayerNode[]>>();

/** Layers that take `ref` as an input in some call (wrappers and InputLayers are looked through by callers). */
function consumersOf(graph: ModelGraph, ref: TensorRef): LayerNode[] {
  const key = (r: TensorRef) => `${r.layer}#${r.node}#${r.tensor}`;
  let map = consumerMaps.get(graph);
  if (!map) {
    // One pass over every call builds the map, so a graph with many inputs is not scanned once per input.
    map = new Map();
    for (const l of graph.layers) {
      for (const c of l.calls) {
        for (const r of c.inputs) {
          const list = map.get(key(r)) ?? [];
          if (list[list.length - 1] !== l) list.push(l);
          map.set(key(r), list);
        }
      }
    }
    consumerMaps.set(graph, map);
  }
  return map.get(key(ref)) ?? [];
}

/**
 * The Embedding layer fed directly by a model input (through an InputLayer), if any. Each nested graph is looked at
 * once (`memo`), and at most MAX_NESTING_DEPTH deep, so the work is linear in the model's size.
 */
function embeddingFedBy(graph: ModelGraph, inputIndex: number, memo = new Map<ModelGraph, LayerNode | null>(), depth = 0): LayerNode | undefined {
  if (inputIndex === 0 && memo.has(graph)) return memo.get(graph) ?? undefined;
  if (depth > MAX_NESTING_DEPTH) return undefined;
  const ref = graph.inputRefs[inputIndex];
  const candidates = new Set<LayerNode>();
  if (ref) {
    const own = graph.layers.find((l) => l.name === ref.layer);
    if (own && own.className === 'Embedding') candidates.add(own);
    for (const l of consumersOf(graph, ref)) candidates.add(l);
  }
  // Old Sequential models have no InputLayer: the first layer is fed by the model input.
  if (graph.sequential && inputIndex === 0) {
    const first = graph.layers.find((l) => l.className !== 'InputLayer');
    if (first) candidates.add(first);
  }
  let found: LayerNode | undefined;
  for (const l of candidates) {
    if (l.className === 'Embedding') {
      found = l;
      break;
    }
    if (l.className === 'InputLayer') continue;
    // A nested Sequential starting with an Embedding.
    if (l.model && l.model.inputs.length === 1) {
      const inner = embeddingFedBy(l.model, 0, memo, depth + 1);
      if (inner) {
        found = inner;
        break;
      }
    }
  }
  if (inputIndex === 0) memo.set(graph, found ?? null);
  return found;
}

export function inputSpecs(doc: ModelDocument): InputSpec[] {
  const graph = doc.root;
  return graph.inputs.map((inp, k) => {
    const spec: InputSpec = { name: inp.name, shape: inp.shape, dtype: inp.dtype };
    const emb = embeddingFedBy(graph, k);
    if (emb) {
      const vocabulary = Number(emb.config.input_dim);
      if (Number.isFinite(vocabulary) && vocabulary > 0) {
        spec.embedding = { layer: emb.name, vocabulary, maskZero: emb.config.mask_zero === true };
      }
    }
    return spec;
  });
}

// ---------------------------------------------------------------------------------------------
// Words: N/T/D letters and positions

/** Letters for each axis of an input: N×T×D for sequences, N×T for tokens, N×D for flat vectors. */
export function inputLetters(spec: InputSpec): string[] {
  const r = spec.shape.length;
  if (r === 3) return ['N', 'T', 'D'];
  if (r === 2) return spec.embedding ? ['N', 'T'] : ['N', 'D'];
  if (r === 1) return ['N'];
  return ['N', ...spec.shape.slice(1).map((_, i) => `d${i + 1}`)];
}

function dimText(d: Dim): string {
  return d === null ? '?' : String(d);
}

/** `N×T×D = ?×10×3` */
export function describeExpected(spec: InputSpec, T?: number): string {
  const letters = inputLetters(spec);
  const dims = spec.shape.map((d, i) => (d === null && i === 1 && T !== undefined && letters[1] === 'T' ? T : d));
  return `${letters.join('×')} = ${dims.map(dimText).join('×')}`;
}

function axisWord(letter: string): string {
  switch (letter) {
    case 'N':
      return 'sample';
    case 'T':
      return 'time step';
    case 'D':
      return 'feature';
    default:
      return `index ${letter}`;
  }
}

/** "sample 0, time step 3, feature 1" for a flat index into a tensor of `shape` with the given letters. */
export function describePosition(shape: readonly number[], flat: number, letters?: readonly string[]): string {
  const idx: number[] = new Array(shape.length);
  let rest = flat;
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = rest % shape[a];
    rest = Math.floor(rest / shape[a]);
  }
  if (!letters || letters.length !== shape.length) return `position [${idx.join(', ')}]`;
  return idx.map((v, a) => `${axisWord(letters[a])} ${v}`).join(', ');
}

function shapeText(shape: readonly number[]): string {
  return shape.length === 0 ? 'a single number' : shape.join('×');
}

// ---------------------------------------------------------------------------------------------
// Nested arrays (from JSON or NumPy-style text) to a RawArray

/** Flattens nested arrays into a rectangular RawArray; names the position of a non-number or a ragged row. */
export function fromNested(value: unknown, what = 'the input'): RawArray {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  if (shape.includes(0)) throw new InputError(`${capital(what)} contains an empty list; give at least one value per axis.`);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(size);
  let integer = true;
  let k = 0;
  const walk = (v: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) {
        throw new InputError(`${capital(what)} is not rectangular: position [${path.join(', ')}] holds a list where a number was expected.`);
      }
      const num = toNumber(v);
      if (num === undefined) {
        throw new InputError(`${capital(what)} holds ${JSON.stringify(v)} at position [${path.join(', ')}], which is not a number.`);
      }
      if (!Number.isInteger(num)) integer = false;
      data[k++] = num;
      return;
    }
    if (!Array.isArray(v)) {
      throw new InputError(`${capital(what)} is not rectangular: position [${path.join(', ')}] holds a number where a list of ${shape[depth]} was expected.`);
    }
    if (v.length !== shape[depth]) {
      throw new InputError(
        `${capital(what)} is not rectangular: position [${path.join(', ')}] has ${v.length} entries but the first one at that depth has ${shape[depth]}.`,
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, [...path, i]);
  };
  walk(value, 0, []);
  return { shape, data, integer };
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    // JSON cannot write NaN/Infinity, so people write them as strings; accept them here and refuse them in validation.
    const s = v.trim().toLowerCase().replace(/^([-+]?)(?:np|numpy)\./, '$1');
    if (s === 'nan') return NaN;
    if (s === 'inf' || s === 'infinity' || s === '+inf' || s === '+infinity') return Infinity;
    if (s === '-inf' || s === '-infinity') return -Infinity;
  }
  return undefined;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ---------------------------------------------------------------------------------------------
// JSON and NumPy-style text

/**
 * Parses typed text: JSON (an array, `{"inputs": …}`, a list of arrays or a map name → array for several inputs),
 * or NumPy style: `np.array([[1, 2], [3, 4]], dtype=np.float32)`, `array([...])`, or printed arrays `[[1. 2.] [3. 4.]]`.
 */
export function parseInputText(text: string): RawInputs {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') throw new InputError('The input is empty; give an array such as [[1], [2], [3]].');
  let json: unknown;
  let isJson = true;
  try {
    json = JSON.parse(trimmed);
  } catch {
    isJson = false;
  }
  if (isJson) return fromJsonValue(json);
  return parseNumpyText(trimmed);
}

/** The JSON forms: an array, `{"inputs": X}`, a map from input name to array, or a list of arrays. */
export function fromJsonValue(json: unknown): RawInputs {
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const obj = json as Record<string, unknown>;
    if ('inputs' in obj) return fromJsonInputs(obj.inputs);
    const keys = Object.keys(obj);
    if (keys.length === 0) throw new InputError('The input JSON object is empty; give {"inputs": [...]} or an array.');
    const out: Record<string, RawArray> = {};
    for (const key of keys) out[key] = fromNested(obj[key], `input "${key}"`);
    return out;
  }
  return fromJsonInputs(json);
}

function fromJsonInputs(value: unknown): RawInputs {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return fromJsonValue(value);
  if (!Array.isArray(value)) {
    if (typeof value === 'number') return fromNested([value]);
    throw new InputError('The input must be an array of numbers (N×T×D), or {"inputs": ...}.');
  }
  try {
    return fromNested(value);
  } catch (e) {
    // Several inputs of different shapes: a list of arrays that is ragged only at the top.
    if (value.length > 1 && value.every((v) => Array.isArray(v))) {
      try {
        return value.map((v, k) => fromNested(v, `input ${k}`));
      } catch {
        throw e;
      }
    }
    throw e;
  }
}

/** Splits a list of arrays into separate inputs (for models with several inputs), when it is one. */
export function splitList(raw: RawArray, count: number): RawArray[] | undefined {
  if (raw.shape.length < 1 || raw.shape[0] !== count) return undefined;
  const inner = raw.shape.slice(1);
  const size = inner.reduce((a, b) => a * b, 1);
  const out: RawArray[] = [];
  for (let k = 0; k < count; k++) out.push({ shape: inner, data: raw.data.slice(k * size, (k + 1) * size), integer: raw.integer });
  return out;
}

type Tok = { kind: '[' | ']' | ',' } | { kind: 'num'; value: number; raw: string } | { kind: 'word'; raw: string };

function tokenize(body: string): Tok[] {
  const toks: Tok[] = [];
  const re = /\s*(?:(\[)|(\])|(,)|([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))(?![\w.])|([^\s,[\]]+))/y;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while (re.lastIndex < body.length && (m = re.exec(body)) !== null) {
    if (m[1]) toks.push({ kind: '[' });
    else if (m[2]) toks.push({ kind: ']' });
    else if (m[3]) toks.push({ kind: ',' });
    else if (m[4] !== undefined) toks.push({ kind: 'num', value: Number(m[4]), raw: m[4] });
    else if (m[5] !== undefined) toks.push({ kind: 'word', raw: m[5] });
    else break;
  }
  return toks;
}

/** NumPy-style text: `np.array([...], dtype=...)`, `array([...])`, or printed `[[1. 2.]\n [3. 4.]]`. */
export function parseNumpyText(text: string): RawArray {
  let body = text.trim();
  let dtype: string | undefined;
  const call = /^(?:(?:np|numpy)\s*\.\s*)?(?:array|asarray)\s*\(([\s\S]*)\)\s*;?$/.exec(body);
  if (call) {
    body = call[1].trim();
    const dt = /,\s*dtype\s*=\s*(?:(?:np|numpy)\s*\.\s*)?['"]?([A-Za-z0-9_<>|=]+)['"]?\s*$/.exec(body);
    if (dt) {
      dtype = dt[1];
      body = body.slice(0, dt.index).trim();
    }
  }
  if (!body.startsWith('[')) {
    throw new InputError('The input text is neither JSON nor a NumPy array; write it as [[1, 2], [3, 4]] or np.array([...]).');
  }
  const toks = tokenize(body);
  let pos = 0;
  const parseValue = (path: number[]): unknown => {
    const t = toks[pos];
    if (!t) throw new InputError('The input text ends before its brackets close.');
    if (t.kind === '[') {
      pos++;
      const items: unknown[] = [];
      for (;;) {
        const nt = toks[pos];
        if (!nt) throw new InputError('The input text ends before its brackets close.');
        if (nt.kind === ']') {
          pos++;
          return items;
        }
        if (nt.kind === ',') {
          pos++;
          continue;
        }
        items.push(parseValue([...path, items.length]));
      }
    }
    if (t.kind === 'num') {
      pos++;
      return t.value;
    }
    if (t.kind === 'word') {
      pos++;
      const v = toNumber(t.raw);
      if (v === undefined) throw new InputError(`The input holds "${t.raw}" at position [${path.join(', ')}], which is not a number.`);
      return v;
    }
    throw new InputError(`The input text has an unexpected "${t.kind}" at position [${path.join(', ')}].`);
  };
  const value = parseValue([]);
  if (pos < toks.length) throw new InputError('The input text has extra characters after its closing bracket.');
  const raw = fromNested(value);
  if (dtype && /^(u?int\d*|int_|bool)$/i.test(dtype)) raw.integer = true;
  return raw;
}

// ---------------------------------------------------------------------------------------------
// CSV

export interface CsvOptions {
  /** A column name (from the header) or a 0-based index; several with a list. Default: every column. */
  column?: string | number | (string | number)[];
  /** Cut `length` rows starting at `start` (0-based; negative counts from the end). Default: all rows. */
  window?: { length: number; start?: number };
}

function splitRow(line: string, delim: string | null): string[] {
  return delim === null ? line.trim().split(/\s+/) : line.split(delim).map((c) => c.trim());
}

function detectDelimiter(lines: string[]): string | null {
  // The first delimiter that the first row uses; whitespace when it uses none of them.
  for (const d of ['\t', ';', ',']) if (lines[0].includes(d)) return d;
  return null;
}

function isNumberCell(s: string): boolean {
  return s !== '' && (Number.isFinite(Number(s)) || toNumber(s) !== undefined);
}

/** Parses a CSV as a single series: rows are time steps, columns are features. Returns T×D. */
export function parseCsv(text: string, options: CsvOptions = {}): { array: RawArray; columns: string[]; notes: string[] } {
  const notes: string[] = [];
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  if (lines.length === 0) throw new InputError('The CSV file has no rows; give one row per time step.');
  const delim = detectDelimiter(lines);
  let rows = lines.map((l) => splitRow(l, delim));
  let header: string[] | null = null;
  if (rows[0].some((c) => !isNumberCell(c))) {
    header = rows[0];
    rows = rows.slice(1);
    if (rows.length === 0) throw new InputError('The CSV file has a header but no data rows.');
  }
  const width = rows[0].length;
  const names = header ?? Array.from({ length: width }, (_, i) => String(i));
  for (let r = 0; r < rows.length; r++) {
    if (rows[r].length !== width) {
      throw new InputError(`CSV row ${r + 1 + (header ? 1 : 0)} has ${rows[r].length} columns but the first row has ${width}.`);
    }
  }
  let cols = Array.from({ length: width }, (_, i) => i);
  if (options.column !== undefined) {
    const wanted = Array.isArray(options.column) ? options.column : [options.column];
    cols = wanted.map((w) => {
      const asIndex = typeof w === 'number' ? w : /^\d+$/.test(w.trim()) ? Number(w) : NaN;
      if (header && typeof w === 'string') {
        const byName = header.indexOf(w.trim());
        if (byName >= 0) return byName;
      }
      if (Number.isInteger(asIndex) && asIndex >= 0 && asIndex < width) return asIndex;
      const avail = header ? `columns ${header.map((h) => JSON.stringify(h)).join(', ')} or indexes 0..${width - 1}` : `indexes 0..${width - 1}`;
      throw new InputError(`The CSV has no column ${JSON.stringify(w)}; choose one of ${avail}.`);
    });
  }
  let start = 0;
  let end = rows.length;
  if (options.window) {
    const { length } = options.window;
    if (!Number.isInteger(length) || length <= 0) throw new InputError(`The window length must be a positive whole number, got ${length}.`);
    let s = options.window.start ?? 0;
    if (s < 0) s = rows.length + s;
    if (!Number.isInteger(s) || s < 0 || s + length > rows.length) {
      throw new InputError(
        `The window of ${length} rows starting at row ${options.window.start ?? 0} does not fit in the CSV's ${rows.length} data rows.`,
      );
    }
    start = s;
    end = s + length;
    notes.push(`CSV rows ${start}..${end - 1} (of ${rows.length}) were used as the ${length} time steps.`);
  }
  const T = end - start;
  const D = cols.length;
  const data = new Float64Array(T * D);
  let integer = true;
  for (let t = 0; t < T; t++) {
    const row = rows[start + t];
    for (let d = 0; d < D; d++) {
      const cell = row[cols[d]];
      const v = cell === '' ? undefined : Number.isFinite(Number(cell)) ? Number(cell) : toNumber(cell);
      if (v === undefined) {
        throw new InputError(
          `CSV row ${start + t + 1 + (header ? 1 : 0)}, column ${JSON.stringify(names[cols[d]])} holds ${JSON.stringify(cell)}, which is not a number.`,
        );
      }
      if (!Number.isInteger(v)) integer = false;
      data[t * D + d] = v;
    }
  }
  return { array: { shape: [T, D], data, integer }, columns: cols.map((c) => names[c]), notes };
}

/** `LEN` or `LEN@START` (START may be negative, counting from the end). */
export function parseWindow(text: string): { length: number; start?: number } {
  const m = /^\s*(\d+)\s*(?:@\s*(-?\d+))?\s*$/.exec(text);
  if (!m) throw new InputError(`The window "${text}" is not LEN or LEN@START (e.g. 12 or 12@-12 for the last 12 rows).`);
  return { length: Number(m[1]), start: m[2] === undefined ? undefined : Number(m[2]) };
}

// ---------------------------------------------------------------------------------------------
// NumPy .npy (never unpickled: object arrays are refused)

export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && bytes[0] === 0x93 && String.fromCharCode(...bytes.subarray(1, 6)) === 'NUMPY';
}

/** Reads a .npy file (format v1, v2, v3): numeric dtypes, either byte order, C or Fortran order. */
export function parseNpy(bytes: Uint8Array): RawArray {
  if (!isNpy(bytes)) throw new InputError('This is not a NumPy .npy file (it does not start with \\x93NUMPY).');
  if (bytes.length < 10) throw new InputError('The .npy file is truncated: its header is incomplete.');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new InputError('The .npy file is truncated: its header is incomplete.');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new InputError(`The .npy format version ${major} is not supported; save it with numpy.save (versions 1 to 3).`);
  }
  if (headerStart + headerLen > bytes.length) throw new InputError('The .npy file is truncated: its header is incomplete.');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descrM = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(header);
  if (!descrM) {
    if (/['"]descr['"]\s*:\s*\[/.test(header)) throw new InputError('The .npy file holds a structured (record) array; save a plain numeric array.');
    throw new InputError('The .npy header has no readable dtype ("descr").');
  }
  const descr = descrM[2];
  const fortran = /['"]fortran_order['"]\s*:\s*True/.test(header);
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!shapeM) throw new InputError('The .npy header has no readable shape.');
  const shape = shapeM[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new InputError(`The .npy shape (${shapeM[1]}) is not a list of sizes.`);
  const dm = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  if (!dm) throw new InputError(`The .npy dtype "${descr}" is not a plain numeric type.`);
  const [, order, kind, sizeText] = dm;
  if (kind === 'O') {
    throw new InputError('The .npy file holds Python objects, which would need unpickling; this tool never unpickles. Save a numeric array.');
  }
  const itemSize = Number(sizeText || (kind === 'b' || kind === '?' ? 1 : 0));
  const little = order !== '>';
  const reader = npyReader(kind, itemSize, little, view, descr);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  if (dataStart + count * itemSize > bytes.length) {
    throw new InputError(`The .npy file is truncated: shape (${shape.join(', ')}) needs ${count * itemSize} data bytes, the file has ${bytes.length - dataStart}.`);
  }
  const data = new Float64Array(count);
  if (!fortran || shape.length < 2) {
    for (let i = 0; i < count; i++) data[i] = reader(dataStart + i * itemSize);
  } else {
    // Fortran order: the first axis varies fastest in the file; place each value at its row-major index.
    const rank = shape.length;
    const idx = new Array<number>(rank).fill(0);
    const cStrides = new Array<number>(rank);
    cStrides[rank - 1] = 1;
    for (let a = rank - 2; a >= 0; a--) cStrides[a] = cStrides[a + 1] * shape[a + 1];
    for (let i = 0; i < count; i++) {
      let off = 0;
      for (let a = 0; a < rank; a++) off += idx[a] * cStrides[a];
      data[off] = reader(dataStart + i * itemSize);
      for (let a = 0; a < rank; a++) {
        if (++idx[a] < shape[a]) break;
        idx[a] = 0;
      }
    }
  }
  return { shape, data, integer: kind === 'i' || kind === 'u' || kind === 'b' || kind === '?' };
}

function npyReader(kind: string, size: number, little: boolean, view: DataView, descr: string): (off: number) => number {
  if ((kind === 'b' || kind === '?') && size === 1) return (o) => (view.getUint8(o) ? 1 : 0);
  const read = numberReader(view, kind, size, little);
  if (!read) throw new InputError(`The .npy dtype "${descr}" is not supported; use float32, float64 or an integer type.`);
  return read;
}


// ---------------------------------------------------------------------------------------------
// Fills

export type FillKind = 'zeros' | 'ramp' | 'random';

/**
 * A seeded PRNG (mulberry32: 32-bit state, add 0x6D2B79F5 and mix): the same seed gives the same input on every
 * machine and in the webview. Normal values come from Box–Muller on two uniforms.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Fills an input of the given concrete shape.
 * - zeros: all 0.
 * - ramp: within each sample, 1, 2, 3, … in row-major order, i.e. x[n, t, d] = 1 + t·D + d; for D = 1 that is the
 *   notebooks' x = [1, 2, 3]. Token inputs get 1 + (t mod (V−1)) so the ramp stays inside the vocabulary and off the
 *   padding token 0.
 * - random: standard normal values from mulberry32(seed) (Box–Muller); token inputs get uniform integers in [1, V)
 *   when the Embedding masks 0, else [0, V).
 */
export function fillArray(kind: FillKind, shape: number[], options: { seed?: number; vocabulary?: number; maskZero?: boolean } = {}): RawArray {
  const size = shape.reduce((a, b) => a * b, 1);
  const perSample = shape.length > 0 ? size / shape[0] : size;
  const data = new Float64Array(size);
  const V = options.vocabulary;
  if (kind === 'ramp') {
    for (let i = 0; i < size; i++) {
      const k = i % perSample;
      data[i] = V ? 1 + (k % Math.max(1, V - 1)) : 1 + k;
    }
  } else if (kind === 'random') {
    const rand = mulberry32(options.seed ?? 0);
    if (V) {
      const lo = options.maskZero ? 1 : 0;
      for (let i = 0; i < size; i++) data[i] = lo + Math.floor(rand() * (V - lo));
    } else {
      for (let i = 0; i < size; i += 2) {
        const u1 = 1 - rand(); // in (0, 1], so log is finite
        const u2 = rand();
        const r = Math.sqrt(-2 * Math.log(u1));
        data[i] = r * Math.cos(2 * Math.PI * u2);
        if (i + 1 < size) data[i + 1] = r * Math.sin(2 * Math.PI * u2);
      }
    }
  }
  return { shape, data, integer: kind !== 'random' || !!V };
}

/** A filled, validated input for every model input: N samples (default 1), T steps where the model leaves T free. */
export function fillInputs(doc: ModelDocument, kind: FillKind, options: { N?: number; T?: number; seed?: number } = {}): PreparedInputs {
  const specs = inputSpecs(doc);
  const notes: string[] = [];
  const raws = specs.map((spec, k) => {
    const shape = spec.shape.map((d, i) => {
      if (d !== null) return d;
      if (i === 0) return options.N ?? 1;
      if (i === 1) {
        if (options.T === undefined) {
          throw new InputError(`The model's input "${spec.name}" leaves T free (${describeExpected(spec)}); choose the number of time steps T.`);
        }
        return options.T;
      }
      throw new InputError(`The model's input "${spec.name}" has a free size on axis ${i}; give the input as data instead of a fill.`);
    });
    if (options.N !== undefined && spec.shape[0] !== null && spec.shape[0] !== options.N) {
      notes.push(`The model fixes the batch size N = ${spec.shape[0]}, so ${spec.shape[0]} samples were filled.`);
    }
    return fillArray(kind, shape, {
      seed: (options.seed ?? 0) + k,
      vocabulary: spec.embedding?.vocabulary,
      maskZero: spec.embedding?.maskZero,
    });
  });
  const prepared = prepareInputs(doc, raws, { T: options.T });
  return { tensors: prepared.tensors, notes: [...notes, ...prepared.notes] };
}

// ---------------------------------------------------------------------------------------------
// Validation against the model

/** Matches raw arrays to the model's inputs and checks them; returns tensors in `doc.root.inputs` order. */
export function prepareInputs(doc: ModelDocument, raw: RawInputs, options: PrepareOptions = {}): PreparedInputs {
  return prepareForSpecs(inputSpecs(doc), raw, options);
}

export function prepareForSpecs(specs: InputSpec[], raw: RawInputs, options: PrepareOptions = {}): PreparedInputs {
  if (specs.length === 0) throw new InputError('The model declares no inputs, so there is nothing to feed it.');
  const notes: string[] = [];
  let arrays: RawArray[];
  if (isRawArray(raw)) {
    if (specs.length === 1) arrays = [raw];
    else {
      const split = splitList(raw, specs.length);
      if (!split) {
        throw new InputError(
          `The model has ${specs.length} inputs (${specs.map((s) => s.name).join(', ')}); give a list of ${specs.length} arrays or a map from input name to array.`,
        );
      }
      arrays = split;
    }
  } else if (Array.isArray(raw)) {
    if (raw.length !== specs.length) {
      throw new InputError(`The model has ${specs.length} input${specs.length === 1 ? '' : 's'} but ${raw.length} arrays were given.`);
    }
    arrays = raw;
  } else {
    const map = raw as Record<string, RawArray>;
    const unknown = Object.keys(map).filter((k) => !specs.some((s) => s.name === k));
    if (unknown.length > 0) {
      throw new InputError(`The model has no input named ${JSON.stringify(unknown[0])}; its inputs are ${specs.map((s) => JSON.stringify(s.name)).join(', ')}.`);
    }
    arrays = specs.map((s) => {
      const a = map[s.name];
      if (!a) throw new InputError(`No array was given for the model's input "${s.name}" (${describeExpected(s)}).`);
      return a;
    });
  }
  const tensors = specs.map((spec, k) => checkOne(spec, arrays[k], options, notes, specs.length > 1));
  return { tensors, notes };
}

function isRawArray(x: unknown): x is RawArray {
  return !!x && typeof x === 'object' && !Array.isArray(x) && (x as RawArray).data instanceof Float64Array && Array.isArray((x as RawArray).shape);
}

function checkOne(spec: InputSpec, raw: RawArray, options: PrepareOptions, notes: string[], several: boolean): Tensor {
  const want = spec.shape;
  const rank = want.length;
  const label = several ? `input "${spec.name}"` : 'the input';
  const letters = inputLetters(spec);
  let shape = raw.shape.slice();
  const expected = () => describeExpected(spec, options.T);
  if (shape.length === rank - 1 && rank >= 2) {
    // One sample without the batch axis (T×D, or T tokens): unambiguous because the rank is one short.
    shape = [1, ...shape];
    notes.push(`${capital(label)} was read as a single sample (${letters.slice(1).join('×')} = ${raw.shape.join('×')}), so N = 1.`);
  } else if (shape.length === 1 && rank === 3 && want[2] === 1) {
    // A plain series [1, 2, 3] for a model with one feature: T values of one sample.
    shape = [1, shape[0], 1];
    notes.push(`${capital(label)} was read as a single series of T = ${raw.shape[0]} values with D = 1, so N = 1.`);
  }
  if (shape.length !== rank) {
    throw new InputError(`${capital(label)} has the wrong rank: expected ${letters.join('×')} = ${want.map(dimText).join('×')}, got ${shapeText(raw.shape)}.`);
  }
  for (let a = 0; a < rank; a++) {
    const w = want[a];
    const g = shape[a];
    if (a === 1 && letters[1] === 'T' && options.T !== undefined) {
      if (w !== null && w !== options.T) {
        throw new InputError(`The model fixes T = ${w} time steps for ${label}; T = ${options.T} cannot be chosen.`);
      }
      if (g !== options.T) {
        throw new InputError(`${capital(label)} has ${g} time steps but T = ${options.T} was chosen: expected ${expected()}, got ${shape.join('×')}.`);
      }
    }
    if (w !== null && w !== g) {
      if (a === 0) {
        throw new InputError(
          `The model fixes the batch size N = ${w} (its input declares ${want.map(dimText).join('×')}), but ${label} has ${g} sample${g === 1 ? '' : 's'}: give exactly ${w}.`,
        );
      }
      const hint = letters[a] === 'D' && raw.shape.length === 2 ? ' (for a CSV, pick the feature columns with --column)' : '';
      throw new InputError(`${capital(label)} has the wrong size: expected ${expected()}, got ${shape.join('×')}${hint}.`);
    }
  }
  const data = raw.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isNaN(v)) throw new InputError(`${capital(label)} holds NaN at ${describePosition(shape, i, letters)}; replace it with a number.`);
    if (!Number.isFinite(v)) throw new InputError(`${capital(label)} holds ${v > 0 ? 'Infinity' : '-Infinity'} at ${describePosition(shape, i, letters)}; replace it with a finite number.`);
  }
  if (spec.embedding) {
    const V = spec.embedding.vocabulary;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!Number.isInteger(v)) {
        throw new InputError(`${capital(label)} feeds the Embedding "${spec.embedding.layer}" and must hold whole-number tokens, but has ${v} at ${describePosition(shape, i, letters)}.`);
      }
      if (v < 0 || v >= V) {
        throw new InputError(
          `Token ${v} at ${describePosition(shape, i, letters)} is outside the vocabulary of the Embedding "${spec.embedding.layer}" (size ${V}, tokens 0..${V - 1}).`,
        );
      }
    }
  }
  return tensor(shape, data.slice());
}
