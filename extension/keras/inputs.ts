// The user's input for a forward pass: parsed from JSON, CSV, NumPy .npy or NumPy-style text, or filled
// (zeros, ramp, seeded random), then checked against the model's inputs in N/T/D terms.
// Pure: no fs, no vscode, no Node-only imports, so the webview bundle can use it (file reading is in inputFiles.ts).

import { InputError } from './errors';
import { MAX_DIM, MAX_NESTING_DEPTH, MAX_RANK, budgetBytes, checkBudget, checkDim, formatBytes } from './limits';
import type { LayerNode, ModelDocument, ModelGraph, TensorRef } from './model';
import { layerKind } from './layers/index';
import { showName } from './safeText';
import type { Dim, Shape } from './shapes';
import { numberReader, tensor, type Tensor } from './tensor';
import { otherTRefusal } from './declaredT';

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
  /** The Embedding layer this input feeds (its name and class): inputs are integer tokens in [0, vocabulary). */
  embedding?: { layer: string; className: string; vocabulary: number; maskZero: boolean };
}

export interface PrepareOptions {
  /** The T to use where the model's T is None (fills need it; for data it must agree). */
  T?: number;
  /** For a T other than the declared one: why input k cannot take T steps (one sentence naming the layer), or null when every layer allows it. */
  otherT?(inputIndex: number, T: number): string | null;
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

/** True for a layer whose input is whole-number tokens (its module says so: Embedding). */
const takesTokens = (l: LayerNode): boolean => layerKind(l.className)?.inputIs === 'tokens';

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
    if (own && takesTokens(own)) candidates.add(own);
    for (const l of consumersOf(graph, ref)) candidates.add(l);
  }
  // Old Sequential models have no InputLayer: the first layer is fed by the model input.
  if (graph.sequential && inputIndex === 0) {
    const first = graph.layers.find((l) => l.className !== 'InputLayer');
    if (first) candidates.add(first);
  }
  let found: LayerNode | undefined;
  for (const l of candidates) {
    if (takesTokens(l)) {
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
        spec.embedding = { layer: emb.name, className: emb.className, vocabulary, maskZero: emb.config.mask_zero === true };
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
    case 'D':
      return 'feature';
    default:
      return `index ${letter}`;
  }
}

/** "sample 0, t = 4, feature 1" for a flat index into a tensor of `shape` with the given letters (time counts from t = 1). */
export function describePosition(shape: readonly number[], flat: number, letters?: readonly string[]): string {
  const idx: number[] = new Array(shape.length);
  let rest = flat;
  for (let a = shape.length - 1; a >= 0; a--) {
    idx[a] = rest % shape[a];
    rest = Math.floor(rest / shape[a]);
  }
  if (!letters || letters.length !== shape.length) return `position [${idx.join(', ')}]`;
  return idx.map((v, a) => (letters[a] === 'T' ? `t = ${v + 1}` : `${axisWord(letters[a])} ${v}`)).join(', ');
}

function shapeText(shape: readonly number[]): string {
  return shape.length === 0 ? 'a single number' : shape.join('×');
}

// ---------------------------------------------------------------------------------------------
// Nested arrays (from JSON or NumPy-style text) to a RawArray

/** Flattens nested arrays into a rectangular RawArray; names the position of a non-number or a ragged row. */
export function fromNested(value: unknown, what = 'the input', memoryBudget = budgetBytes()): RawArray {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    // The walks below recurse once per level: a 10^6-deep list must end here, not in a stack overflow.
    if (shape.length > MAX_RANK) throw new InputError(`${capital(what)} is nested more than ${MAX_RANK} lists deep; give an array of rank ${MAX_RANK} or less (N×T×D is 3).`);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  if (shape.includes(0)) throw new InputError(`${capital(what)} contains an empty list; give at least one value per axis.`);
  const rank = shape.length;
  // Rectangular first: the first list at each depth could claim a size the rest of the input does not have.
  const check = (v: unknown, depth: number, path: number[]): void => {
    if (!Array.isArray(v)) {
      throw new InputError(`${capital(what)} is not rectangular: position [${path.join(', ')}] holds a number where a list of ${shape[depth]} was expected.`);
    }
    if (v.length !== shape[depth]) {
      throw new InputError(
        `${capital(what)} is not rectangular: position [${path.join(', ')}] has ${v.length} entries but the first one at that depth has ${shape[depth]}.`,
      );
    }
    for (let i = 0; i < v.length; i++) {
      if (depth + 1 < rank) check(v[i], depth + 1, [...path, i]);
      else if (Array.isArray(v[i])) throw new InputError(`${capital(what)} is not rectangular: position [${[...path, i].join(', ')}] holds a list where a number was expected.`);
    }
  };
  if (rank > 0) check(value, 0, []);
  const size = shape.reduce((a, b) => a * b, 1);
  checkBudget(size, 8, memoryBudget, `${capital(what)} (${shape.join('×')} values)`, 'give fewer samples or time steps');
  const data = new Float64Array(size);
  let integer = true;
  let k = 0;
  const leaf = (v: unknown, path: number[]): void => {
    const num = typeof v === 'number' ? v : toNumber(v);
    if (num === undefined) {
      const shown = typeof v === 'string' ? JSON.stringify(showName(v, 40)) : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
      throw new InputError(`${capital(what)} holds ${shown} at position [${path.join(', ')}], which is not a number.`);
    }
    if (!Number.isInteger(num)) integer = false;
    data[k++] = num;
  };
  const fill = (list: unknown[], depth: number, path: number[]): void => {
    if (depth + 1 < rank) {
      for (let i = 0; i < list.length; i++) fill(list[i] as unknown[], depth + 1, [...path, i]);
      return;
    }
    // The innermost lists hold the values: the position is built only for a bad one.
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      if (typeof v === 'number') {
        if (!Number.isInteger(v)) integer = false;
        data[k++] = v;
      } else leaf(v, [...path, i]);
    }
  };
  if (rank === 0) leaf(value, []);
  else fill(value as unknown[], 0, []);
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

/** Typed input text longer than this is refused before it is parsed (a pasted 10^9-element list). */
export const MAX_INPUT_TEXT_CHARS = 64 * 1024 * 1024;
/** Memory per typed value while it is parsed: the parsed list's slot, the Float64 copy, the model's tensor. */
const BYTES_PER_TYPED_VALUE = 24;

/** An upper bound on the values in typed text: the places where a token starts after a separator. */
function countTokens(text: string): number {
  let count = 0;
  let inToken = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // whitespace , [ ] ( ) { } :
    const sep = c <= 32 || c === 44 || c === 91 || c === 93 || c === 40 || c === 41 || c === 123 || c === 125 || c === 58;
    if (sep) inToken = false;
    else if (!inToken) {
      inToken = true;
      count++;
    }
  }
  return count;
}

/**
 * Parses typed text: JSON (an array, `{"inputs": …}`, a list of arrays or a map name → array for several inputs),
 * or NumPy style: `np.array([[1, 2], [3, 4]], dtype=np.float32)`, `array([...])`, or printed arrays `[[1. 2.] [3. 4.]]`.
 * Its length and the values it can hold are checked against `memoryBudget` before anything is parsed.
 */
export function parseInputText(text: string, memoryBudget = budgetBytes()): RawInputs {
  if (text.length > MAX_INPUT_TEXT_CHARS) {
    throw new InputError(`The typed input is ${formatBytes(text.length)} of text, over the ${formatBytes(MAX_INPUT_TEXT_CHARS)} limit; save the array with numpy.save and give the .npy file.`);
  }
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') throw new InputError('The input is empty; give an array such as [[1], [2], [3]].');
  checkBudget(countTokens(trimmed), BYTES_PER_TYPED_VALUE, memoryBudget, 'The typed input', 'give fewer values, or save the array with numpy.save and give the .npy file');
  let json: unknown;
  let isJson = true;
  try {
    json = JSON.parse(trimmed);
  } catch {
    isJson = false;
  }
  if (isJson) return fromJsonValue(json, memoryBudget);
  return parseNumpyText(trimmed, memoryBudget);
}

/** The JSON forms: an array, `{"inputs": X}`, a map from input name to array, or a list of arrays. */
export function fromJsonValue(json: unknown, memoryBudget = budgetBytes()): RawInputs {
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const obj = json as Record<string, unknown>;
    if ('inputs' in obj) return fromJsonInputs(obj.inputs, memoryBudget);
    const keys = Object.keys(obj);
    if (keys.length === 0) throw new InputError('The input JSON object is empty; give {"inputs": [...]} or an array.');
    const out: Record<string, RawArray> = {};
    for (const key of keys) out[key] = fromNested(obj[key], `input "${showName(key, 40)}"`, memoryBudget);
    return out;
  }
  return fromJsonInputs(json, memoryBudget);
}

function fromJsonInputs(value: unknown, memoryBudget: number, depth = 0): RawInputs {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    // {"inputs": {"inputs": ...}} nests only once in a real input; a crafted one must not recurse without end.
    if (depth > 0) throw new InputError('The input nests {"inputs": ...} inside {"inputs": ...}; give it once.');
    const obj = value as Record<string, unknown>;
    if ('inputs' in obj) return fromJsonInputs(obj.inputs, memoryBudget, depth + 1);
    return fromJsonValue(value, memoryBudget);
  }
  if (!Array.isArray(value)) {
    if (typeof value === 'number') return fromNested([value], 'the input', memoryBudget);
    throw new InputError('The input must be an array of numbers (N×T×D), or {"inputs": ...}.');
  }
  try {
    return fromNested(value, 'the input', memoryBudget);
  } catch (e) {
    // Several inputs of different shapes: a list of arrays that is ragged only at the top.
    if (value.length > 1 && value.every((v) => Array.isArray(v))) {
      try {
        return value.map((v, k) => fromNested(v, `input ${k}`, memoryBudget));
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

/** Tokens one at a time (a list of them would cost ~100 bytes per value); undefined at the end. */
function tokenizer(body: string): () => Tok | undefined {
  const re = /\s*(?:(\[)|(\])|(,)|([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?))(?![\w.])|([^\s,[\]]+))/y;
  re.lastIndex = 0;
  return () => {
    if (re.lastIndex >= body.length) return undefined;
    const m = re.exec(body);
    if (m === null) return undefined;
    if (m[1]) return { kind: '[' };
    if (m[2]) return { kind: ']' };
    if (m[3]) return { kind: ',' };
    if (m[4] !== undefined) return { kind: 'num', value: Number(m[4]), raw: m[4] };
    if (m[5] !== undefined) return { kind: 'word', raw: m[5] };
    return undefined;
  };
}

/** NumPy-style text: `np.array([...], dtype=...)`, `array([...])`, or printed `[[1. 2.]\n [3. 4.]]`. */
export function parseNumpyText(text: string, memoryBudget = budgetBytes()): RawArray {
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
  const next = tokenizer(body);
  let look = next();
  const advance = () => (look = next());
  const parseValue = (path: number[]): unknown => {
    const t = look;
    if (!t) throw new InputError('The input text ends before its brackets close.');
    if (t.kind === '[') {
      if (path.length >= MAX_RANK) throw new InputError(`The input text is nested more than ${MAX_RANK} brackets deep; give an array of rank ${MAX_RANK} or less (N×T×D is 3).`);
      advance();
      const items: unknown[] = [];
      for (;;) {
        const nt = look;
        if (!nt) throw new InputError('The input text ends before its brackets close.');
        if (nt.kind === ']') {
          advance();
          return items;
        }
        if (nt.kind === ',') {
          advance();
          continue;
        }
        if (nt.kind === 'num') {
          advance();
          items.push(nt.value);
          continue;
        }
        items.push(parseValue([...path, items.length]));
      }
    }
    if (t.kind === 'num') {
      advance();
      return t.value;
    }
    if (t.kind === 'word') {
      advance();
      const v = toNumber(t.raw);
      if (v === undefined) throw new InputError(`The input holds "${showName(t.raw, 40)}" at position [${path.join(', ')}], which is not a number.`);
      return v;
    }
    throw new InputError(`The input text has an unexpected "${t.kind}" at position [${path.join(', ')}].`);
  };
  const value = parseValue([]);
  if (look) throw new InputError('The input text has extra characters after its closing bracket.');
  const raw = fromNested(value, 'the input', memoryBudget);
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
  /** Memory the values read may take (the setting / --memory-limit); default DEFAULT_MEMORY_BUDGET_MB. */
  memoryBudgetBytes?: number;
}

/** One CSV line longer than this is not a time step: a binary file or a file without line breaks. */
export const MAX_CSV_LINE_BYTES = 1024 * 1024;

function splitRow(line: string, delim: string | null): string[] {
  return delim === null ? line.trim().split(/\s+/) : line.split(delim).map((c) => c.trim());
}

function detectDelimiter(line: string): string | null {
  // The first delimiter that the first row uses; whitespace when it uses none of them.
  for (const d of ['\t', ';', ',']) if (line.includes(d)) return d;
  return null;
}

function isNumberCell(s: string): boolean {
  return s !== '' && (Number.isFinite(Number(s)) || toNumber(s) !== undefined);
}

/** Where the rows a CSV read uses lie in its bytes, and how to read them (from the first pass). */
export interface CsvPlan {
  /** Byte range holding exactly the used rows (blank and comment lines between them included). */
  start: number;
  end: number;
  /** Index of the first used data row, and how many are used. */
  firstRow: number;
  T: number;
  delim: string | null;
  /** Cells in every row (the first data row's count). */
  width: number;
  cols: number[];
  names: string[];
  header: boolean;
  notes: string[];
  memoryBudget: number;
}

/**
 * The first pass over a CSV's bytes, fed in chunks of any size: it reads the header and the first data row (which
 * decide the delimiter, the names and the width), checks every line's length, counts the rows and remembers only the
 * byte range of the window (for a window counted from the end, a ring of the last |start| rows' offsets). No other
 * row's text is decoded or kept, so memory does not grow with the file and the scan runs at memchr speed.
 */
export class CsvScanner {
  private readonly budget: number;
  private offset = 0;
  private lineStart = 0;
  private lines = 0;
  /** The current line's first non-space byte (-1: none yet). */
  private firstByte = -1;
  /** The current line's bytes, kept only until the width is known (header and first data row). */
  private parts: Uint8Array[] | null = [];
  private delim: string | null = null;
  private delimKnown = false;
  private header: string[] | null = null;
  private width = -1;
  private cols: number[] = [];
  private rows = 0;
  private winStart = -1;
  private winEnd = -1;
  private ringStart: Float64Array | null = null;
  private ringEnd: Float64Array | null = null;
  private ringSize = 0;

  constructor(private readonly options: CsvOptions = {}) {
    this.budget = options.memoryBudgetBytes ?? budgetBytes();
    const w = options.window;
    if (w) {
      if (!Number.isInteger(w.length) || w.length <= 0) throw new InputError(`The window length must be a positive whole number, got ${showName(String(w.length), 20)}.`);
      const s = w.start ?? 0;
      if (!Number.isInteger(s)) throw new InputError(`The window start must be a whole number, got ${showName(String(s), 20)}.`);
      checkBudget(w.length, 8, this.budget, `A window of ${w.length} rows`, 'choose a shorter window');
      if (s < 0) {
        // A window counted from the end: the offsets of the last |start| rows (16 bytes a row) are all that is kept.
        checkBudget(-s, 16, this.budget, `A window starting ${-s} rows from the end`, 'choose a start nearer the end');
        this.ringSize = -s;
      }
    }
  }

  /** Scans the next bytes of the file. */
  push(chunk: Uint8Array): void {
    let i = 0;
    if (this.offset === 0 && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
      i = 3; // a UTF-8 byte-order mark
      this.lineStart = 3;
    }
    const base = this.offset;
    while (i < chunk.length) {
      const nl = chunk.indexOf(10, i);
      const end = nl < 0 ? chunk.length : nl;
      if (this.parts) this.parts.push(chunk.slice(i, end));
      if (this.firstByte < 0) {
        let j = i;
        while (j < end && (chunk[j] === 32 || (chunk[j] >= 9 && chunk[j] <= 13))) j++;
        if (j < end) this.firstByte = chunk[j];
      }
      if (nl < 0) break;
      this.endLine(base + nl);
      this.lineStart = base + nl + 1;
      i = nl + 1;
    }
    this.offset = base + chunk.length;
    if (this.offset - this.lineStart > MAX_CSV_LINE_BYTES) this.tooLong();
  }

  /** After the last chunk: the plan for the second pass. */
  end(): CsvPlan {
    if (this.offset > this.lineStart) this.endLine(this.offset);
    const rows = this.rows;
    if (rows === 0 && !this.header) throw new InputError('The CSV file has no rows; give one row per time step.');
    if (rows === 0) throw new InputError('The CSV file has a header but no data rows.');
    const notes: string[] = [];
    let firstRow = 0;
    let T = rows;
    let start = this.winStart;
    let end = this.winEnd;
    const w = this.options.window;
    if (w) {
      const s = w.start ?? 0;
      firstRow = s < 0 ? rows + s : s;
      T = w.length;
      if (firstRow < 0 || firstRow + T > rows) {
        throw new InputError(`The window of ${T} rows starting at row ${s} does not fit in the CSV's ${rows} data rows.`);
      }
      if (s < 0) {
        start = this.ringStart![firstRow % this.ringSize];
        end = this.ringEnd![(firstRow + T - 1) % this.ringSize];
      }
      notes.push(`CSV rows ${firstRow}..${firstRow + T - 1} (of ${rows}) were used as the ${T} time steps.`);
    }
    const D = this.cols.length;
    checkBudget(T * D, 8, this.budget, `The CSV's ${T}×${D} values`, 'cut a window of rows with --window and pick columns with --column');
    const names = this.header ?? Array.from({ length: this.width }, (_, i) => String(i));
    return { start, end, firstRow, T, delim: this.delim, width: this.width, cols: this.cols, names, header: !!this.header, notes, memoryBudget: this.budget };
  }

  private tooLong(): never {
    throw new InputError(`Line ${this.lines + 1} of the CSV is over ${formatBytes(MAX_CSV_LINE_BYTES)} long; a CSV input has one time step per line, so this is not one.`);
  }

  private endLine(lineEnd: number): void {
    if (lineEnd - this.lineStart > MAX_CSV_LINE_BYTES) this.tooLong();
    this.lines++;
    const first = this.firstByte;
    this.firstByte = -1;
    const parts = this.parts;
    if (parts) this.parts = [];
    if (first < 0 || first === 35 /* # */) return;
    if (parts) {
      const line = decodeParts(parts).replace(/\r$/, '');
      if (!this.delimKnown) {
        this.delim = detectDelimiter(line);
        this.delimKnown = true;
        const cells = splitRow(line, this.delim);
        if (cells.some((c) => !isNumberCell(c))) {
          this.header = cells;
          return;
        }
        this.setWidth(cells.length);
      } else this.setWidth(splitRow(line, this.delim).length);
      this.parts = null;
    }
    this.row(this.lineStart, lineEnd);
  }

  /** The first data row fixes the width; the columns asked for are checked against it at once. */
  private setWidth(width: number): void {
    this.width = width;
    const header = this.header;
    this.cols = Array.from({ length: width }, (_, i) => i);
    const column = this.options.column;
    if (column === undefined) return;
    const wanted = Array.isArray(column) ? column : [column];
    this.cols = wanted.map((w) => {
      const asIndex = typeof w === 'number' ? w : /^\d+$/.test(w.trim()) ? Number(w) : NaN;
      if (header && typeof w === 'string') {
        const byName = header.indexOf(w.trim());
        if (byName >= 0) return byName;
      }
      if (Number.isInteger(asIndex) && asIndex >= 0 && asIndex < width) return asIndex;
      const avail = header ? `columns ${showName(header.map((h) => JSON.stringify(h)).join(', '), 120)} or indexes 0..${width - 1}` : `indexes 0..${width - 1}`;
      throw new InputError(`The CSV has no column ${typeof w === 'number' ? w : JSON.stringify(showName(w, 40))}; choose one of ${avail}.`);
    });
  }

  /** Data row number `this.rows` spans [from, to): remember it if the window may use it. */
  private row(from: number, to: number): void {
    const r = this.rows++;
    const w = this.options.window;
    if (!w) {
      if (r === 0) this.winStart = from;
      this.winEnd = to;
      return;
    }
    const s = w.start ?? 0;
    if (s >= 0) {
      if (r === s) this.winStart = from;
      if (r === s + w.length - 1) this.winEnd = to;
      return;
    }
    const slot = r % this.ringSize;
    if (!this.ringStart || slot >= this.ringStart.length) {
      // Grown by doubling up to |start| entries, so a far start on a short file costs only that file's rows.
      const size = Math.min(this.ringSize, Math.max(16, (this.ringStart?.length ?? 0) * 2));
      const grow = (old: Float64Array | null) => {
        const next = new Float64Array(size);
        if (old) next.set(old);
        return next;
      };
      this.ringStart = grow(this.ringStart);
      this.ringEnd = grow(this.ringEnd);
    }
    this.ringStart[slot] = from;
    this.ringEnd![slot] = to;
  }
}

function decodeParts(parts: Uint8Array[]): string {
  let length = 0;
  for (const p of parts) length += p.length;
  const bytes = new Uint8Array(length);
  length = 0;
  for (const p of parts) {
    bytes.set(p, length);
    length += p.length;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * The second pass: the plan's byte range, fed in chunks, parsed into the T×D values. Only the used rows are decoded,
 * a chunk at a time.
 */
export class CsvRowReader {
  private readonly decoder = new TextDecoder();
  private carry = '';
  private t = 0;
  private integer = true;
  private readonly data: Float64Array;

  constructor(private readonly plan: CsvPlan) {
    this.data = new Float64Array(plan.T * plan.cols.length);
  }

  push(chunk: Uint8Array, last = false): void {
    const text = this.carry + this.decoder.decode(chunk, { stream: !last });
    const lines = text.split('\n');
    this.carry = last ? '' : lines.pop()!;
    for (const line of lines) this.line(line);
  }

  end(): { array: RawArray; columns: string[]; notes: string[] } {
    this.push(new Uint8Array(0), true);
    const { plan } = this;
    if (this.t !== plan.T) throw new InputError('The CSV file changed while it was read; read it again.');
    return { array: { shape: [plan.T, plan.cols.length], data: this.data, integer: this.integer }, columns: plan.cols.map((c) => plan.names[c]), notes: plan.notes };
  }

  private line(raw: string): void {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const { plan } = this;
    if (this.t >= plan.T) return;
    const rowNumber = plan.firstRow + this.t + 1 + (plan.header ? 1 : 0);
    const row = plan.delim === null ? line.trim().split(/\s+/) : line.split(plan.delim);
    if (row.length !== plan.width) throw new InputError(`CSV row ${rowNumber} has ${row.length} columns but the first row has ${plan.width}.`);
    const D = plan.cols.length;
    for (let d = 0; d < D; d++) {
      const cell = row[plan.cols[d]].trim();
      const n = Number(cell);
      const v = cell === '' ? undefined : Number.isFinite(n) ? n : toNumber(cell);
      if (v === undefined) {
        throw new InputError(
          `CSV row ${rowNumber}, column ${JSON.stringify(showName(plan.names[plan.cols[d]] ?? String(plan.cols[d]), 40))} holds ${JSON.stringify(showName(cell, 40))}, which is not a number.`,
        );
      }
      if (!Number.isInteger(v)) this.integer = false;
      this.data[this.t * D + d] = v;
    }
    this.t++;
  }
}

/** Parses CSV bytes as a single series: rows are time steps, columns are features. Returns T×D. */
export function parseCsvBytes(bytes: Uint8Array, options: CsvOptions = {}): { array: RawArray; columns: string[]; notes: string[] } {
  const scanner = new CsvScanner(options);
  scanner.push(bytes);
  const plan = scanner.end();
  const reader = new CsvRowReader(plan);
  reader.push(bytes.subarray(plan.start, plan.end));
  return reader.end();
}

/** Parses a CSV as a single series: rows are time steps, columns are features. Returns T×D. */
export function parseCsv(text: string, options: CsvOptions = {}): { array: RawArray; columns: string[]; notes: string[] } {
  return parseCsvBytes(new TextEncoder().encode(text), options);
}

/** `LEN` or `LEN@START` (START may be negative, counting from the end). */
export function parseWindow(text: string): { length: number; start?: number } {
  const m = /^\s*(\d+)\s*(?:@\s*(-?\d+))?\s*$/.exec(text);
  if (!m) throw new InputError(`The window "${showName(text, 40)}" is not LEN or LEN@START (e.g. 12 or 12@-12 for the last 12 rows).`);
  return { length: Number(m[1]), start: m[2] === undefined ? undefined : Number(m[2]) };
}

// ---------------------------------------------------------------------------------------------
// NumPy .npy (never unpickled: object arrays are refused)

export function isNpy(bytes: Uint8Array): boolean {
  return bytes.length >= 6 && bytes[0] === 0x93 && String.fromCharCode(...bytes.subarray(1, 6)) === 'NUMPY';
}

/** A real .npy header is under 1 KB (NumPy pads it to 64 bytes); a longer one is crafted. */
export const MAX_NPY_HEADER_BYTES = 1024 * 1024;

/** What a .npy header claims, checked: where the data starts and how many bytes it must take. */
export interface NpyHeader {
  shape: number[];
  descr: string;
  kind: string;
  itemSize: number;
  little: boolean;
  fortran: boolean;
  dataStart: number;
  count: number;
  /** count × itemSize */
  dataBytes: number;
}

/**
 * Reads and checks a .npy header from the file's first bytes (`head`, at least the header itself) against the whole
 * file's size: version, header length, dtype (object arrays and structured dtypes are refused: never unpickled),
 * shape (whole numbers, rank, the bytes they need against the bytes present) and the memory budget.
 */
export function parseNpyHeader(head: Uint8Array, fileSize: number, memoryBudget = budgetBytes()): NpyHeader {
  if (!isNpy(head)) throw new InputError('This is not a NumPy .npy file (it does not start with \\x93NUMPY).');
  if (head.length < 10) throw new InputError('The .npy file is truncated: its header is incomplete.');
  const major = head[6];
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (head.length < 12) throw new InputError('The .npy file is truncated: its header is incomplete.');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new InputError(`The .npy format version ${major} is not supported; save it with numpy.save (versions 1 to 3).`);
  }
  if (headerLen > MAX_NPY_HEADER_BYTES) {
    throw new InputError(`The .npy header claims to be ${formatBytes(headerLen)} long, far beyond any real one; the file is damaged or crafted.`);
  }
  if (headerStart + headerLen > fileSize) throw new InputError('The .npy file is truncated: its header is incomplete.');
  if (headerStart + headerLen > head.length) throw new InputError('The .npy header was not read whole; read more of the file first.');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(head.subarray(headerStart, headerStart + headerLen));
  const descrM = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(header);
  if (!descrM) {
    if (/['"]descr['"]\s*:\s*\[/.test(header)) throw new InputError('The .npy file holds a structured (record) array; save a plain numeric array.');
    throw new InputError('The .npy header has no readable dtype ("descr").');
  }
  const descr = descrM[2];
  const fortran = /['"]fortran_order['"]\s*:\s*True/.test(header);
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!shapeM) throw new InputError('The .npy header has no readable shape.');
  const shapeText = showName(shapeM[1], 60);
  const parts = shapeM[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.some((s) => !/^\d+L?$/.test(s))) throw new InputError(`The .npy shape (${shapeText}) is not a list of sizes; the file is damaged or crafted.`);
  const shape = parts.map((s) => Number(s.replace(/L$/, '')));
  if (shape.length > MAX_RANK) throw new InputError(`The .npy array has ${shape.length} axes; an input has at most ${MAX_RANK} (N×T×D is 3).`);
  if (shape.some((d) => d > MAX_DIM)) throw new InputError(`The .npy shape (${shapeText}) has a size over ${MAX_DIM.toLocaleString('en-US')}; the file is damaged or crafted.`);
  const dm = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  if (!dm) throw new InputError(`The .npy dtype "${showName(descr, 40)}" is not a plain numeric type.`);
  const [, order, kind, sizeText] = dm;
  if (kind === 'O') {
    throw new InputError('The .npy file holds Python objects, which would need unpickling; this tool never unpickles. Save a numeric array.');
  }
  const itemSize = Number(sizeText || (kind === 'b' || kind === '?' ? 1 : 0));
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  const dataBytes = count * itemSize;
  // The shape is a claim: it must fit in the bytes present before anything is sized by it.
  if (dataStart + dataBytes > fileSize) {
    throw new InputError(
      `The .npy file is truncated or its header lies: shape (${shape.join(', ')}) needs ${formatBytes(dataBytes)} of data, the file has ${formatBytes(fileSize - dataStart)}.`,
    );
  }
  checkBudget(count, 8, memoryBudget, `The .npy array (${shape.join('×')})`, 'save a smaller array, or cut it with --window and --column');
  return { shape, descr, kind, itemSize, little: order !== '>', fortran, dataStart, count, dataBytes };
}

/** Reads a .npy file (format v1, v2, v3): numeric dtypes, either byte order, C or Fortran order. */
export function parseNpy(bytes: Uint8Array, memoryBudget = budgetBytes()): RawArray {
  const h = parseNpyHeader(bytes, bytes.length, memoryBudget);
  const { shape, count, itemSize, dataStart, kind } = h;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = npyReader(kind, itemSize, h.little, view, h.descr);
  const data = new Float64Array(count);
  if (!h.fortran || shape.length < 2) {
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
  if (!read) throw new InputError(`The .npy dtype "${showName(descr, 40)}" is not supported; use float32, float64 or an integer type.`);
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
export function fillArray(
  kind: FillKind,
  shape: number[],
  options: { seed?: number; vocabulary?: number; maskZero?: boolean; memoryBudgetBytes?: number } = {},
): RawArray {
  // The shape comes from the file and the user: whole sizes only, and within the budget before anything is allocated.
  shape.forEach((d, i) => checkDim(d, `Axis ${i} of the filled input`, { min: 0 }));
  const size = shape.reduce((a, b) => a * b, 1);
  checkBudget(size, 8, options.memoryBudgetBytes ?? budgetBytes(), `A filled input of ${shape.join('×')} values`, 'choose a smaller N or T');
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

/** The most samples and time steps a fill takes from the user: far beyond a trace anyone reads. */
export const MAX_FILL_N = 1_000_000;
export const MAX_FILL_T = 10_000_000;

/** A filled, validated input for every model input: N samples (default 1), T steps where the model leaves T free. */
export function fillInputs(
  doc: ModelDocument,
  kind: FillKind,
  options: { N?: number; T?: number; seed?: number; memoryBudgetBytes?: number } = {},
): PreparedInputs {
  // N and T are typed by the user (--N, --T, the panel): checked before any size is computed from them.
  const N = options.N === undefined ? undefined : checkDim(options.N, 'N (the number of samples)', { user: true, max: MAX_FILL_N });
  const T = options.T === undefined ? undefined : checkDim(options.T, 'T (the number of time steps)', { user: true, max: MAX_FILL_T });
  const specs = inputSpecs(doc);
  const notes: string[] = [];
  const raws = specs.map((spec, k) => {
    const name = showName(spec.name);
    const letters = inputLetters(spec);
    const shape = spec.shape.map((d, i) => {
      // A chosen T other than the declared one is tried as tf.keras would; prepareInputs refuses it where a layer needs the declared T.
      if (d !== null) return i === 1 && T !== undefined && letters[1] === 'T' ? T : d;
      if (i === 0) return N ?? 1;
      if (i === 1) {
        if (T === undefined) {
          throw new InputError(`The model's input "${name}" leaves T free (${describeExpected(spec)}); choose the number of time steps T.`);
        }
        return T;
      }
      throw new InputError(`The model's input "${name}" has a free size on axis ${i}; give the input as data instead of a fill.`);
    });
    if (N !== undefined && spec.shape[0] !== null && spec.shape[0] !== N) {
      notes.push(`The model fixes the batch size N = ${spec.shape[0]}, so ${spec.shape[0]} samples were filled.`);
    }
    return fillArray(kind, shape, {
      seed: (options.seed ?? 0) + k,
      vocabulary: spec.embedding?.vocabulary,
      maskZero: spec.embedding?.maskZero,
      memoryBudgetBytes: options.memoryBudgetBytes,
    });
  });
  const prepared = prepareInputs(doc, raws, { T });
  return { tensors: prepared.tensors, notes: [...notes, ...prepared.notes] };
}

// ---------------------------------------------------------------------------------------------
// Validation against the model

/** Matches raw arrays to the model's inputs and checks them; returns tensors in `doc.root.inputs` order. */
export function prepareInputs(doc: ModelDocument, raw: RawInputs, options: PrepareOptions = {}): PreparedInputs {
  return prepareForSpecs(inputSpecs(doc), raw, { otherT: (k, T) => otherTRefusal(doc, k, T), ...options });
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
  const tensors = specs.map((spec, k) => checkOne(spec, k, arrays[k], options, notes, specs.length > 1));
  return { tensors, notes };
}

function isRawArray(x: unknown): x is RawArray {
  return !!x && typeof x === 'object' && !Array.isArray(x) && (x as RawArray).data instanceof Float64Array && Array.isArray((x as RawArray).shape);
}

function checkOne(spec: InputSpec, index: number, raw: RawArray, options: PrepareOptions, notes: string[], several: boolean): Tensor {
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
      if (g !== options.T) {
        throw new InputError(`${capital(label)} has ${g} time steps but T = ${options.T} was chosen: expected ${expected()}, got ${shape.join('×')}.`);
      }
    }
    if (w !== null && w !== g && a === 1 && letters[1] === 'T') {
      // tf.keras warns and runs a model built for (None, 8801) on 12 steps where every layer allows it: so do we.
      const refusal = options.otherT?.(index, g);
      if (refusal) throw new InputError(refusal);
      notes.push(`The model was built for T = ${w} time steps; ${label} has ${g}, which runs (as tf.keras does, with a warning) because no layer needs the declared T.`);
      continue;
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
        throw new InputError(`${capital(label)} feeds the ${showName(spec.embedding.className, 40)} "${showName(spec.embedding.layer)}" and must hold whole-number tokens, but has ${v} at ${describePosition(shape, i, letters)}.`);
      }
      if (v < 0 || v >= V) {
        throw new InputError(
          `Token ${v} at ${describePosition(shape, i, letters)} is outside the vocabulary of the ${showName(spec.embedding.className, 40)} "${showName(spec.embedding.layer)}" (size ${V}, tokens 0..${V - 1}).`,
        );
      }
    }
  }
  return tensor(shape, data.slice());
}
