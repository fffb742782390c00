// "They're equal": what Keras printed (pasted text or a .npy of model.predict) against this run's output, element by
// element, with a verdict in float32 ulps and, where they differ, the likely causes from the model's own conventions.
// No eval, no Node and no vscode imports: the webview parses and compares; the host only reads the .npy bytes.

import { InputError } from './errors';
import { showName } from './safeText';
import type { LayerNode, ModelDocument } from './model';
import { layerEnv, layerKind } from './layers/index';

export const COMPARE_LIMITS = {
  /** Pasted text (a float32 array of 100k numbers prints in about 1.5 MB). */
  maxTextChars: 4_000_000,
  /** Numbers in one printed array or .npy file. */
  maxNumbers: 1_000_000,
  /** Nesting of the printed lists and the rank of a .npy array. */
  maxDepth: 8,
  /** A .npy file's bytes (1M float64 plus its header). */
  maxNpyBytes: 8 * 1_000_000 + 65_536,
  /** A .npy header (NumPy writes 128 bytes or a little more). */
  maxNpyHeader: 65_535,
};

/** The float32 ulps two values may differ by and still count as equal (see toleranceNote). */
export const TOLERANCE_ULPS = 16;

/** Bad pasted text or a bad .npy file: one sentence that says what to do. */
export class CompareInputError extends InputError {}

/** An array as Keras printed it: shape, values, and how finely each printed number pins its value down. */
export interface PrintedArray {
  shape: number[];
  data: Float64Array;
  /** The dtype the text or file names (float32, float64), or null when it does not say. */
  dtype: string | null;
  /** Per element: half a unit of the last printed digit when the text printed too few digits to pin a float32 down, else 0. */
  printRes: Float64Array;
  /** Where it came from: 'text' or the .npy file's name. */
  source: string;
}

function fail(sentence: string): never {
  throw new CompareInputError(sentence);
}

const ELIDED =
  'Keras elided the middle of this array with "..."; print it in full with np.set_printoptions(threshold=np.inf) and paste it again.';

// A number as NumPy, TensorFlow or a Python list prints it (nan and inf included, any case).
const NUMBER = /^[+-]?(?:nan|inf(?:inity)?|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/i;

/** Half a unit of the last digit of a printed number, when that many digits cannot pin a float32 down; else 0. */
function printResolution(token: string, value: number): number {
  const m = /^[+-]?(\d*)\.?(\d*)(?:e([+-]?\d+))?$/i.exec(token);
  if (!m || !Number.isFinite(value)) return 0;
  const [, whole, frac, exp] = m;
  const digits = (whole + frac).replace(/^0+/, '').length;
  // NumPy prints a float32 with the fewest digits that give it back (up to 9): 7+ digits, or a value float32 holds
  // exactly (3., 0.5), pin it down. Fewer digits on a value float32 cannot hold mean the printing rounded it.
  if (digits >= 7 || Math.fround(value) === value) return 0;
  return 0.5 * 10 ** ((exp ? Number(exp) : 0) - frac.length);
}

/** The dtype a printed array names (`dtype=float32`, `dtype=tf.float32`, `dtype='float64'`). */
function printedDtype(text: string): string | null {
  const m = /dtype\s*[=:]\s*(?:np\.|numpy\.|tf\.)?['"]?([a-z]+\d*)/i.exec(text);
  return m ? m[1].toLowerCase() : null;
}

/** The index just past the bracket that closes the one at `open`, or -1. */
function closingBracket(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * Parses what Keras or NumPy printed: `array([[-3.068111]], dtype=float32)`, `[[-1.3271614  -0.02186675]]`, nested
 * Python lists, multi-line arrays, `tf.Tensor([[...]], shape=(1, 2), dtype=float32)` and `<tf.Tensor: ..., numpy=...>`,
 * or one number. Refuses elided `...` output, ragged lists and anything that is not a number, in one sentence.
 */
export function parsePrinted(text: string): PrintedArray {
  if (typeof text !== 'string') fail('Paste the text Keras printed.');
  if (text.length > COMPARE_LIMITS.maxTextChars) {
    fail(`The pasted text is ${text.length.toLocaleString('en-US')} characters, over the ${COMPARE_LIMITS.maxTextChars.toLocaleString('en-US')} limit; save the array with np.save and load the .npy instead.`);
  }
  if (text.includes('...') || text.includes('…')) fail(ELIDED);
  const dtype = printedDtype(text);
  // The metadata around the values: tf.Tensor's shape=(1, 2), and every dtype=.
  const body = text.replace(/shape\s*[=:]\s*\([^)]*\)/gi, ' ').replace(/dtype\s*[=:]\s*[\w.'"]+/gi, ' ');
  const open = body.indexOf('[');
  if (open < 0) {
    const tokens = body.match(/[+-]?(?:nan|inf(?:inity)?|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/gi) ?? [];
    const words = body.replace(/[+-]?(?:nan|inf(?:inity)?|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)/gi, ' ').match(/[a-z_][\w.]*/gi) ?? [];
    const known = new Set(['array', 'np.array', 'numpy.array', 'tf.tensor', 'tf', 'tensor', 'numpy', 'tf.constant']);
    if (tokens.length !== 1 || words.some((w) => !known.has(w.toLowerCase()))) {
      fail(tokens.length === 0 ? 'The pasted text holds no numbers; paste what Keras printed, e.g. array([[-3.068111]], dtype=float32).' : 'The pasted text is not one array; paste one output of model.predict as Keras printed it, e.g. array([[-3.068111]], dtype=float32).');
    }
    const value = Number(tokens[0].replace(/^([+-]?)inf(inity)?$/i, '$1Infinity').replace(/^[+-]?nan$/i, 'NaN'));
    return { shape: [], data: Float64Array.of(value), dtype, printRes: Float64Array.of(printResolution(tokens[0], value)), source: 'text' };
  }
  const close = closingBracket(body, open);
  if (close < 0) fail('A "[" in the pasted text is never closed; paste the whole array.');
  const values: number[] = [];
  const res: number[] = [];
  let i = open;
  // A list is either all numbers or all lists of one shape; its shape is returned.
  const list = (depth: number): number[] => {
    if (depth > COMPARE_LIMITS.maxDepth) fail(`The pasted array is nested more than ${COMPARE_LIMITS.maxDepth} deep.`);
    i++; // past '['
    let childShape: number[] | null = null;
    let count = 0;
    let numbers = false;
    for (;;) {
      while (i < close && /[\s,]/.test(body[i])) i++;
      const c = body[i];
      if (c === ']') {
        i++;
        if (count === 0) fail('The pasted array has an empty list; paste an output with values in it.');
        return numbers ? [count] : [count, ...(childShape as number[])];
      }
      if (c === '[') {
        if (numbers) fail('The pasted array mixes numbers and lists at one level; paste it as Keras printed it.');
        const s = list(depth + 1);
        if (childShape && (s.length !== childShape.length || s.some((d, k) => d !== childShape![k]))) {
          fail(`The pasted array is ragged: a row of shape (${s.join(', ')}) beside one of shape (${childShape.join(', ')}).`);
        }
        childShape = s;
      } else {
        const m = NUMBER.exec(body.slice(i, i + 64));
        if (!m) {
          const what = /[a-z_]/i.test(c ?? '') ? (/^[a-z_]\w*/i.exec(body.slice(i, i + 40))?.[0] ?? c) : c;
          fail(`The pasted array holds ${JSON.stringify(showName(what, 20))} where a number should be; paste one output of model.predict as Keras printed it.`);
        }
        if (childShape) fail('The pasted array mixes numbers and lists at one level; paste it as Keras printed it.');
        numbers = true;
        const token = m![0];
        const value = Number(token.replace(/^([+-]?)inf(inity)?$/i, '$1Infinity').replace(/^[+-]?nan$/i, 'NaN'));
        values.push(value);
        res.push(printResolution(token, value));
        if (values.length > COMPARE_LIMITS.maxNumbers) fail(`The pasted array holds more than ${COMPARE_LIMITS.maxNumbers.toLocaleString('en-US')} numbers; compare a slice of it.`);
        i += token.length;
        if (i < close && !/[\s,\]]/.test(body[i])) fail(`The pasted array has ${JSON.stringify(showName(body.slice(i - token.length, i + 1), 20))} where a number should end.`);
      }
      count++;
    }
  };
  const shape = list(1);
  // Anything after the array other than its own wrapper's closing and metadata is a second array or stray text.
  const rest = body.slice(close).replace(/[\s,)>]/g, '');
  if (rest.includes('[') || /\d/.test(rest)) fail('The pasted text holds more than one array; paste one output at a time.');
  return { shape, data: Float64Array.from(values), dtype, printRes: Float64Array.from(res), source: 'text' };
}

/**
 * Reads a .npy file (NumPy's np.save): format 1, 2 or 3, little-endian float32 or float64, C order. The header is
 * checked and its shape bounded against the bytes that follow before anything is allocated; Fortran order, object
 * arrays, other dtypes and truncated files are refused in one sentence.
 */
export function parseNpy(bytes: Uint8Array, fileName = 'the .npy file'): PrintedArray {
  const name = showName(fileName, 60);
  if (bytes.length > COMPARE_LIMITS.maxNpyBytes) fail(`${name} is ${bytes.length.toLocaleString('en-US')} bytes, over the ${COMPARE_LIMITS.maxNpyBytes.toLocaleString('en-US')}-byte limit; save a slice of the output.`);
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) fail(`${name} is an .npz archive; save one array with np.save('out.npy', model.predict(x)).`);
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((b, k) => bytes[k] !== b)) fail(`${name} is not a .npy file (it does not start with NumPy's magic bytes); save the output with np.save.`);
  const major = bytes[6];
  if (major < 1 || major > 3) fail(`${name} uses .npy format version ${major}, which is not 1, 2 or 3.`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : bytes.length >= 12 ? view.getUint32(8, true) : -1;
  const start = major === 1 ? 10 : 12;
  if (headerLen < 0 || headerLen > COMPARE_LIMITS.maxNpyHeader || start + headerLen > bytes.length) fail(`${name} has a header of ${Math.max(headerLen, 0).toLocaleString('en-US')} bytes that does not fit the file; save it again with np.save.`);
  const header = String.fromCharCode(...bytes.subarray(start, start + headerLen));
  if (/[^\x20-\x7e\n]/.test(header)) fail(`${name} has a header that is not plain text; save it again with np.save.`);
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]{1,32})['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]{0,400})\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail(`${name} has a header without descr, fortran_order and shape; save it again with np.save.`);
  if (descr!.includes('O')) fail(`${name} holds Python objects (dtype=object), which are never unpickled here; save a number array, e.g. np.save('out.npy', np.asarray(y, dtype=np.float32)).`);
  if (fortran === 'True') fail(`${name} is in Fortran order; save it in C order with np.save('out.npy', np.ascontiguousarray(y)).`);
  const width = descr === '<f4' ? 4 : descr === '<f8' ? 8 : 0;
  if (!width) fail(`${name} holds ${showName(descr, 12)} values; save little-endian float32 or float64, e.g. np.save('out.npy', y.astype(np.float32)).`);
  const dims = shapeText!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (dims.length > COMPARE_LIMITS.maxDepth) fail(`${name} has ${dims.length} axes, more than ${COMPARE_LIMITS.maxDepth}.`);
  const shape = dims.map((d) => (/^\d{1,10}L?$/.test(d) ? Number(d.replace('L', '')) : fail(`${name} has a shape entry ${JSON.stringify(showName(d, 20))} that is not a whole number.`)));
  const count = shape.reduce((n, d) => n * d, 1);
  if (count > COMPARE_LIMITS.maxNumbers) fail(`${name} holds ${count.toLocaleString('en-US')} numbers, more than ${COMPARE_LIMITS.maxNumbers.toLocaleString('en-US')}; save a slice of the output.`);
  if (count === 0) fail(`${name} holds no numbers.`);
  const dataStart = start + headerLen;
  const need = count * width;
  if (bytes.length - dataStart < need) fail(`${name} is cut short: its shape (${shape.join(', ')}) needs ${need.toLocaleString('en-US')} bytes of values, but ${(bytes.length - dataStart).toLocaleString('en-US')} follow the header.`);
  const data = new Float64Array(count);
  for (let k = 0; k < count; k++) data[k] = width === 4 ? view.getFloat32(dataStart + 4 * k, true) : view.getFloat64(dataStart + 8 * k, true);
  return { shape, data, dtype: width === 4 ? 'float32' : 'float64', printRes: new Float64Array(count), source: fileName };
}

/** The spacing of float32 values at magnitude |x| (its unit in the last place); the smallest normal's below that. */
export function ulp32(x: number): number {
  const a = Math.abs(x);
  if (!Number.isFinite(a)) return Infinity;
  if (a < 2 ** -126) return 2 ** -149;
  let e = Math.floor(Math.log2(a));
  // log2 can land one off near exact powers of two.
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return 2 ** (e - 23);
}

export interface OutputChoice {
  /** The model output's index and name. */
  index: number;
  name: string;
}

/** Which of the run's outputs the printed array is: by name when given, else the only one, else the one its size fits. */
export function chooseOutput(printed: Pick<PrintedArray, 'shape' | 'data'>, outputs: { name: string; shape: number[] }[], wanted?: string): OutputChoice {
  if (outputs.length === 0) fail('The run has no output to compare with.');
  if (wanted !== undefined) {
    const index = outputs.findIndex((o) => o.name === wanted);
    if (index < 0) fail(`The run has no output named ${JSON.stringify(showName(wanted, 60))}.`);
    return { index, name: wanted };
  }
  if (outputs.length === 1) return { index: 0, name: outputs[0].name };
  const fits = outputs.map((o, index) => ({ index, name: o.name, size: o.shape.reduce((n, d) => n * d, 1) })).filter((o) => o.size === printed.data.length);
  if (fits.length === 1) return { index: fits[0].index, name: fits[0].name };
  return fail(fits.length === 0
    ? `None of the model's ${outputs.length} outputs holds ${printed.data.length.toLocaleString('en-US')} numbers; paste one of its outputs.`
    : `${fits.length} of the model's outputs hold ${printed.data.length.toLocaleString('en-US')} numbers; choose which one Keras printed.`);
}

export interface Comparison {
  /** The shape compared (the run's output's). */
  shape: number[];
  keras: Float64Array;
  ours: Float64Array;
  /** ours − keras per element. */
  diff: Float64Array;
  /** |diff| in float32 ulps at the array's largest magnitude, per element. */
  ulps: Float64Array;
  /** Per element: within the tolerance (both NaN, or the same infinity, count as equal). */
  within: Uint8Array;
  maxAbs: number;
  /** max |diff| / |keras| over elements where keras ≠ 0. */
  maxRel: number;
  maxUlps: number;
  /** Element of the largest |diff| (flat index). */
  worst: number;
  /** The absolute tolerance from the ulps (the printing's resolution may widen it per element). */
  tolerance: number;
  /** The largest magnitude the ulps are counted at. */
  magnitude: number;
  equal: boolean;
  /** "equal within float32 rounding" or "different". */
  verdict: string;
  /** The tolerance and why, in one or two sentences. */
  toleranceNote: string;
  /** Set when the printed text had too few digits to pin float32 values down. */
  printNote?: string;
}

/** Compares what Keras printed with this run's output of the same size (shapes may differ only by axes of length 1). */
export function compareArrays(printed: PrintedArray, output: { shape: number[]; data: ArrayLike<number> }): Comparison {
  const n = output.data.length;
  if (printed.data.length !== n) {
    fail(`Keras printed ${printed.data.length.toLocaleString('en-US')} numbers (shape (${printed.shape.join(', ')})) but this output holds ${n.toLocaleString('en-US')} (shape (${output.shape.join(', ')})); paste the same output.`);
  }
  const squeeze = (s: number[]) => s.filter((d) => d !== 1).join(',');
  if (squeeze(printed.shape) !== squeeze(output.shape)) {
    fail(`Keras printed shape (${printed.shape.join(', ')}) but this output has shape (${output.shape.join(', ')}); paste the same output.`);
  }
  const keras = printed.data;
  const ours = Float64Array.from(output.data);
  let magnitude = 0;
  for (let k = 0; k < n; k++) {
    if (Number.isFinite(keras[k])) magnitude = Math.max(magnitude, Math.abs(keras[k]));
    if (Number.isFinite(ours[k])) magnitude = Math.max(magnitude, Math.abs(ours[k]));
  }
  const unit = ulp32(magnitude);
  const tolerance = TOLERANCE_ULPS * unit;
  const diff = new Float64Array(n);
  const ulps = new Float64Array(n);
  const within = new Uint8Array(n);
  let maxAbs = 0;
  let maxRel = 0;
  let maxUlps = 0;
  let worst = 0;
  let widened = 0;
  for (let k = 0; k < n; k++) {
    const a = keras[k];
    const b = ours[k];
    const same = (Number.isNaN(a) && Number.isNaN(b)) || (!Number.isFinite(a) && a === b);
    const d = same ? 0 : b - a;
    diff[k] = d;
    const ad = Number.isNaN(d) ? Infinity : Math.abs(d);
    ulps[k] = ad / unit;
    const allowed = Math.max(tolerance, printed.printRes[k]);
    if (printed.printRes[k] > tolerance) widened++;
    within[k] = ad <= allowed ? 1 : 0;
    if (ad > maxAbs || k === 0) {
      if (ad > maxAbs) worst = k;
      maxAbs = Math.max(maxAbs, ad);
    }
    if (a !== 0 && Number.isFinite(ad)) maxRel = Math.max(maxRel, ad / Math.abs(a));
    else if (!Number.isFinite(ad)) maxRel = Infinity;
    maxUlps = Math.max(maxUlps, ulps[k]);
  }
  const equal = within.every((w) => w === 1);
  const toleranceNote =
    `Equal means within ${TOLERANCE_ULPS} float32 ulps at the largest magnitude, |y| ≤ ${fmt(magnitude)}: one ulp there is ${fmt(unit)}, so ±${fmt(tolerance)}. ` +
    'Keras computes in float32 and sums in its own order, so the last bits of a result differ from any other float32 or float64 computation of the same formula.';
  return {
    shape: [...output.shape],
    keras,
    ours,
    diff,
    ulps,
    within,
    maxAbs,
    maxRel,
    maxUlps,
    worst,
    tolerance,
    magnitude,
    equal,
    verdict: equal ? 'equal within float32 rounding' : 'different',
    toleranceNote,
    ...(widened > 0
      ? { printNote: `${widened === n ? 'Every number' : `${widened} of the ${n} numbers`} pasted had too few digits to pin a float32 down, so each is compared to within half its last printed digit.` }
      : {}),
  };
}

/** A number for the sentences: 7 significant digits, no trailing noise. */
function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e6 ? String(Number(x.toPrecision(4))) : x.toExponential(2);
}

// ---------------------------------------------------------------------------------------------------------
// Conventions in play and likely causes

export type ConventionKey = 'hard_sigmoid' | 'reset_after' | 'mask' | 'stateful' | 'dropout' | 'float32' | 'go_backwards';

export interface Convention {
  key: ConventionKey;
  /** One sentence for the list. */
  text: string;
  /** What it says when the outputs differ. */
  cause: string;
}

export interface LayerConventions {
  /** The layer (with the direction for a wrapper's inner layer). */
  layer: string;
  /** The cell's title, e.g. SimpleRNN, from its module's description. */
  title: string;
  conventions: Convention[];
}

/** The conventions of a model that decide its output: per recurrent layer, plus the model's own (float32, masking). */
export interface ModelConventions {
  kerasMajor: 1 | 2 | 3;
  model: Convention[];
  layers: LayerConventions[];
}

function configNumber(config: Record<string, unknown>, key: string): number {
  const v = config[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

/** The dtype policy's name from a config (a string, or Keras 3's DTypePolicy object). */
function policyName(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const c = (v as { config?: { name?: unknown } }).config;
    if (c && typeof c.name === 'string') return c.name;
  }
  return null;
}

/** What the recurrent layers of a model do that decides their output, read from each layer's config through its module. */
export function conventionsInPlay(doc: ModelDocument): ModelConventions {
  const env = layerEnv(doc.kerasMajor);
  const k = doc.kerasMajor;
  const layers: LayerConventions[] = [];
  const model: Convention[] = [];
  let masking = false;
  let mixed: string | null = null;
  const seen = new Set<LayerNode>();
  const visit = (l: LayerNode, label: string, backwardOfWrapper = false) => {
    if (seen.has(l) || seen.size > 100_000) return;
    seen.add(l);
    const c = l.config ?? {};
    const policy = policyName(c.dtype);
    if (policy && policy !== 'float32' && !mixed) mixed = policy;
    if (c.mask_zero === true || Object.prototype.hasOwnProperty.call(c, 'mask_value')) masking = true;
    const kind = layerKind(l.className);
    if (kind?.recurrent && l.children.length > 0) {
      l.children.forEach((ch, i) => visit(ch, `${label}${l.children.length > 1 ? ` (${i === 0 ? 'forward' : 'backward'})` : ''}`, i === 1));
      return;
    }
    const cell = kind?.recurrentCell;
    if (kind?.recurrent && cell) {
      const list: Convention[] = [];
      let options: Record<string, unknown> = {};
      try {
        options = cell.stepWeights(l, env)?.options ?? {};
      } catch {
        // Missing or unreadable weights: the config alone still tells the rest.
      }
      let title = l.className;
      try {
        title = cell.describe(l, env).title;
      } catch {
        /* the class name then */
      }
      const acts = ['activation', 'recurrent_activation'].filter((key) => options[key] === 'hard_sigmoid');
      if (acts.length) {
        list.push({
          key: 'hard_sigmoid',
          text: `${acts.join(' and ')} = hard_sigmoid, computed as Keras ${k === 3 ? '3 does: clip(x/6 + 0.5, 0, 1)' : `${k} does: clip(0.2·x + 0.5, 0, 1)`} (the file's Keras version).`,
          cause: `${showName(label)} uses hard_sigmoid, which Keras 2 computes as clip(0.2·x + 0.5, 0, 1) and Keras 3 as clip(x/6 + 0.5, 0, 1); this run follows Keras ${k}, so output printed by the other Keras differs.`,
        });
      }
      if (typeof options.reset_after === 'boolean') {
        list.push({
          key: 'reset_after',
          text: options.reset_after
            ? 'reset_after = True: the reset gate multiplies h·U_h + b after the recurrent product (two biases; the Keras 2 default with TensorFlow 2, and Keras 3\'s).'
            : 'reset_after = False: the reset gate multiplies h before the recurrent product (one bias; the Keras 1 and TensorFlow 1 default).',
          cause: `${showName(label)} has reset_after = ${options.reset_after ? 'True' : 'False'}; a model built with the other setting (the default changed between Keras versions) computes a different h̃ from the same-looking weights.`,
        });
      }
      if (c.stateful === true) {
        list.push({
          key: 'stateful',
          text: 'stateful = True: each predict starts from the state the previous one ended with, until reset_states().',
          cause: `${showName(label)} is stateful: Keras's predict continued from whatever state its previous call left unless reset_states() ran first, while this run started from zeros (or from the state it says it continued).`,
        });
      }
      const drop = configNumber(c, 'dropout');
      const recDrop = configNumber(c, 'recurrent_dropout');
      if (drop > 0 || recDrop > 0) {
        const what = [drop > 0 ? `dropout = ${drop}` : '', recDrop > 0 ? `recurrent_dropout = ${recDrop}` : ''].filter(Boolean).join(', ');
        list.push({
          key: 'dropout',
          text: `${what}: applied only in training; predict() and this run leave it out.`,
          cause: `${showName(label)} has ${what}, which Keras applies only in training: output printed from model(x, training=True) or during fit is randomly different, while predict() is not.`,
        });
      }
      // A wrapper's backward layer reads backwards by construction and is flipped back: nothing to warn of.
      if (c.go_backwards === true && !backwardOfWrapper) {
        list.push({
          key: 'go_backwards',
          text: 'go_backwards = True: reads x from t = T down to t = 1.',
          cause: `${showName(label)} reads its input backwards (go_backwards = True), and with return_sequences Keras returns the outputs in that reversed order.`,
        });
      }
      layers.push({ layer: label, title, conventions: list });
    }
    for (const ch of l.children) visit(ch, ch.name);
    for (const inner of l.model?.layers ?? []) visit(inner, inner.name);
  };
  for (const l of doc.root.layers) visit(l, l.name);
  model.push(
    mixed
      ? {
          key: 'float32',
          text: `The file asks for the ${showName(mixed, 40)} dtype policy; this run computes in float32 and float64 throughout.`,
          cause: `The file's dtype policy is ${showName(mixed, 40)}: Keras computed in lower precision than this run, which explains differences of many float32 ulps.`,
        }
      : {
          key: 'float32',
          text: 'Keras computes in float32; its sums run in another order than this run\'s, so the last bits differ.',
          cause: 'float32 rounding: the difference is a few dozen to a few thousand float32 ulps, the size of rounding in a chain of float32 sums (or of TensorFlow\'s TF32 matrix products on a recent GPU), not of a different formula.',
        },
  );
  if (masking) {
    model.push({
      key: 'mask',
      text: 'Masking: a time step whose features all equal the mask value (or a token 0 with mask_zero) is skipped, and the state carries over unchanged.',
      cause: 'a masked step: steps whose features all equal the mask value are skipped; if the input Keras ran had other padding than this run\'s, the states part at the first such step.',
    });
  }
  return { kerasMajor: k, model, layers };
}

/** What this run did that bears on the comparison (from its result). */
export interface RunFacts {
  /** Layers with at least one masked step in this run. */
  maskedLayers: string[];
  /** Where the stateful layers started, when not from zeros. */
  startedFrom?: string;
}

/** The likely causes of a difference, most likely first; empty when the outputs are equal. */
export function likelyCauses(cmp: Comparison, conv: ModelConventions, run: RunFacts): string[] {
  if (cmp.equal) return [];
  const causes: string[] = [];
  const all = [...conv.model, ...conv.layers.flatMap((l) => l.conventions)];
  const float = conv.model.find((c) => c.key === 'float32');
  // Small differences are rounding (or a lower-precision policy); large ones are a different formula or state.
  const small = cmp.maxUlps <= 4096 && cmp.maxRel <= 1e-3;
  if (small && float) causes.push(float.cause);
  for (const c of all) {
    if (c.key === 'float32') continue;
    if (c.key === 'mask' && run.maskedLayers.length === 0) continue;
    causes.push(c.cause);
  }
  if (run.maskedLayers.length > 0 && !all.some((c) => c.key === 'mask')) {
    causes.push(`a masked step: ${run.maskedLayers.map((l) => showName(l, 40)).join(', ')} skipped masked steps in this run, carrying the state over unchanged.`);
  }
  if (run.startedFrom) causes.push(`this run continued the stateful layers from ${showName(run.startedFrom, 120)}, not from zeros; reset the state and run again to compare with a fresh predict().`);
  if (!small && float && float.cause.includes('dtype policy')) causes.push(float.cause);
  if (causes.length === 0) {
    causes.push('None of this model\'s conventions explains a difference this large: check that Keras ran the same input and the same weights (a file saved before or after more training holds others).');
  }
  return causes;
}
