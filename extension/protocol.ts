// The typed messages between the extension host and the inspector webview, imported by both bundles.
// No `vscode` or Node import here: the webview bundle compiles this file for the browser.
//
// Lifecycle: the webview boots and posts `ready`; only then does the host send `init` (the model) —
// the same handshake as silx-kit/vscode-h5web, so no message is lost while the page loads.
// Numbers travel as typed arrays (Float32Array / Float64Array / Int32Array / Uint8Array): VS Code
// transfers their buffers without turning them into JSON number lists.

import type { ModelSummary } from './keras/summary';
import type { CellWeights, RecurrentTrace } from './keras/layers/types';
import type { LayerRecord, ForwardStop } from './keras/forward';
import type { Tensor } from './keras/tensor';
import type { InputSpec as ModelInputSpec } from './keras/inputs';
import type { LayerStates } from './keras/states';
import type { ModelConventions } from './keras/compare';
import type { TraceWindowRequest } from './keras/traceStore';
import type { PortableModel } from './keras/portableModel';

export type { ModelInputSpec };

/** Bumped when a message changes shape; the webview ignores an `init` with another version. */
export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Shared payload types
// ---------------------------------------------------------------------------------------------

/**
 * How the user asked for the input of a run (the fills and parsers are the core's, `extension/keras/inputs.ts`).
 * `n` (samples, default 1) and `t` (time steps, required where the model's T is None) size the fills.
 */
export type InputChoice =
  /** All zeros. */
  | { kind: 'zeros'; n?: number; t?: number }
  /** 1, 2, 3, … within each sample (x[n, t, d] = 1 + t·D + d): for D = 1 the notebooks' x = [1, 2, 3]. */
  | { kind: 'ramp'; n?: number; t?: number }
  /** Standard normal values from mulberry32(seed) (inputs.ts `fillArray`): the same seed gives the same numbers. */
  | { kind: 'random'; seed: number; n?: number; t?: number }
  /** Values typed as JSON or a NumPy-style list (`[[1,2],[3,4]]`, `np.array([...])`); shape N×T×D, T×D or T. */
  | { kind: 'text'; text: string; t?: number }
  /** A CSV series: `column` (header name or 0-based index) cut to `window` rows from row `start` (negative counts from the end); D = 1, N = 1. Give the file's `path`, or its `text`. */
  | { kind: 'csv'; path?: string; text?: string; column: string | number; window: number; start?: number }
  /** Explicit tensors (the grid editor), one per model input, each N×T×D (N×T for token inputs). */
  | { kind: 'tensors'; tensors: Tensor[] };

/**
 * The weights of one recurrent layer (one direction), enough for its cell to write one step out with the numbers
 * (the cell's `walkStep`, found by `cell`): the stored kernel, recurrent kernel and bias, and the options it reads.
 */
export type RecurrentWeights = CellWeights;

/** Wall-clock times in ms (performance.timeOrigin + now(), comparable across processes) of one live run. */
export interface LiveTiming {
  /** The edit in the webview (echoed from the run message). */
  editAt?: number;
  hostReceivedAt: number;
  workerReceivedAt: number;
  workerPostedAt: number;
  hostPostedAt: number;
}

/** A finished forward pass (same content as the core's ForwardResult, typed arrays throughout). */
export interface RunResult {
  runId: number;
  /** The input that was run, one tensor per model input. */
  inputs: Tensor[];
  /** A short human description of the input, e.g. "ramp 1..10, N=1". */
  inputLabel: string;
  outputs: Tensor[];
  /** Every layer call in execution order. */
  layers: LayerRecord[];
  /** Per-step traces of recurrent layers (Bidirectional gives forward and backward). */
  traces: RecurrentTrace[];
  /** Weights of every recurrent layer that has a trace, matched by layer + direction. */
  recurrentWeights: RecurrentWeights[];
  /** Set when the run stopped at a layer it cannot compute; everything before it is present. */
  stopped?: ForwardStop;
  elapsedMs: number;
  /** A name per model output (runJson.ts outputNames), e.g. `lstm_1 state h`. */
  outputNames?: string[];
  /** The states the stateful layers ended with (stateful=True), for the next run to continue from. */
  finalStates?: LayerStates[];
  /** Where the stateful layers started: the origin of the state continued from; absent when from zeros. */
  startedFrom?: string;
}

/** Values of one stored weight tensor. */
export interface WeightValues {
  layer: string;
  name: string;
  path: string;
  shape: number[];
  values: Float32Array;
}

/** A CSV file the user picked for input: its name and text (parsed in the webview with the core's rules). */
export interface CsvFile {
  fileName: string;
  path: string;
  text: string;
}

export type ExportFormat = 'numpy' | 'trace-csv' | 'trace-json' | 'png';

export interface ExportRequest {
  format: ExportFormat;
  /** The run to export (trace and numpy formats); the latest run when omitted. */
  runId?: number;
  /** PNG only: the encoded image bytes of the chart. */
  png?: Uint8Array;
  /** A file name to suggest in the save dialog, e.g. 'simple_rnn-h.png'. */
  suggestedName?: string;
}

/** Where the export went, or null when the user dismissed the save dialog. */
export interface ExportResult {
  savedTo: string | null;
}

/** What the webview keeps with `vscode.setState` so the panel restores after a reload. */
export interface PersistedState {
  /** The model file as a URI string: the host reloads it when VS Code revives the panel. */
  fileUri: string;
  /** The webview's own UI state (selected layer, step, tab, grid input ...); opaque to the host. */
  ui?: unknown;
}

// ---------------------------------------------------------------------------------------------
// Requests: the webview asks, the host answers with a `reply` carrying the same id
// ---------------------------------------------------------------------------------------------

export interface RequestMap {
  /** Values of one weight tensor of a layer (name as in the summary's weights, or its dataset path). */
  weights: { params: { layer: string; weight: string }; result: WeightValues };
  /** Save an export (NumPy script, trace CSV/JSON, chart PNG) through a save dialog. */
  export: { params: ExportRequest; result: ExportResult };
  /** Open a file dialog for a CSV input file; null when dismissed. */
  pickCsv: { params: Record<string, never>; result: CsvFile | null };
  /** Open a file dialog (in the model's folder) for a .npy of model.predict to compare with; its bytes, or null when dismissed. */
  pickNpy: { params: Record<string, never>; result: { fileName: string; bytes: Uint8Array } | null };
  /** The conventions that decide the model's output (compare.ts conventionsInPlay), for the "Compare with Keras" card. */
  conventions: { params: Record<string, never>; result: ModelConventions };
  /** A window of the last run's trace (steps × units of one sample), recomputed exactly in the worker when streamed (traceStore.ts). */
  traceWindow: { params: TraceWindowParams; result: TraceWindowResult };
  /** The model with its weights read (at most LIVE_MODEL_MAX_VALUES), for live recompute in the page (portableModel.ts). */
  liveModel: { params: Record<string, never>; result: PortableModel };
}

/** The most weight values the host sends for live recompute in the page (the page's Live limit is 100k parameters). */
export const LIVE_MODEL_MAX_VALUES = 100_000;

/** A trace window the page asks for: the core's window request (traceStore.ts) of one run. */
export interface TraceWindowParams extends TraceWindowRequest {
  runId: number;
}

/** Its answer: the steps of the rows and, per quantity, rows × (unit1 − unit0) float32 values. */
export interface TraceWindowResult {
  steps: Int32Array;
  unit0: number;
  unit1: number;
  values: Record<string, Float32Array>;
}

export type RequestMethod = keyof RequestMap;
export type RequestParams<M extends RequestMethod> = RequestMap[M]['params'];
export type RequestResult<M extends RequestMethod> = RequestMap[M]['result'];

/** webview → host: a request; answered by exactly one `reply` with the same id. */
export type RequestMessage = {
  [M in RequestMethod]: { type: 'request'; id: number; method: M; params: RequestParams<M> };
}[RequestMethod];

/** host → webview: the answer to request `id` (`error` is one user-facing sentence). */
export type ReplyMessage =
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string };

// ---------------------------------------------------------------------------------------------
// host → webview
// ---------------------------------------------------------------------------------------------

export type HostMessage =
  /** The model, sent once after `ready` (and again when the file changes on disk). */
  | {
      type: 'init';
      protocol: number;
      /** URI string of the model file; the webview stores it in PersistedState. */
      fileUri: string;
      fileName: string;
      summary: ModelSummary;
      /** What each model input expects (shape with None for free N/T, tokens for Embedding inputs), from inputs.ts `inputSpecs`. */
      inputs: ModelInputSpec[];
      /** Why the model cannot be run at all (custom model, npz weights); runs are then disabled. */
      notExecutable?: string;
      /** The UI state the webview saved before a reload, handed back so it can restore it. */
      restore?: unknown;
      /** 'panel' or 'editor': the editor is read-only on the file but runs like the panel. */
      host: 'panel' | 'editor';
    }
  /** The file could not be read as a Keras model; `message` is the core's one sentence. */
  | { type: 'loadError'; fileUri: string; fileName: string; message: string }
  /** A run began (from the webview's `run` or from the "Run Forward Pass…" command). */
  | { type: 'runStarted'; runId: number; inputLabel: string; /** A live recompute (an edited input cell): no progress, no tab switch. */ live?: true }
  /** Layer `done` of `total` finished; `layer` is its name. */
  | { type: 'runProgress'; runId: number; done: number; total: number; layer: string }
  /** The run finished (possibly stopped early at an uncomputable layer: see result.stopped). */
  | {
      type: 'runResult';
      result: RunResult;
      /** For a live run: where its time went (the live benchmark reads it). */
      timing?: LiveTiming;
      /** The host's time from the run's start to this message, ms: the page adds its own drawing to say the time "in all". */
      hostMs?: number;
    }
  /** The run failed; `message` is one user-facing sentence (an input error names what to fix). */
  | { type: 'runError'; runId: number; message: string; kind: 'input' | 'unsupported' | 'file' | 'internal' }
  /** The run was cancelled by the user (webview Cancel or the notification's Cancel). */
  | { type: 'runCancelled'; runId: number }
  /** Display settings (kerasRnnInspector.digits: significant digits shown), after init and whenever they change. */
  | { type: 'settings'; digits: number }
  /** Put this input in the input editor (a command chose it) without running. */
  | { type: 'setInput'; input: InputChoice }
  /** Select and scroll to a layer (clicked in the Model Layers tree). */
  | { type: 'focusLayer'; layer: string }
  /** The stateful layers (stateful=True) and the state the next run may continue from: its origin, or null after a reset or before any run. */
  | { type: 'stateInfo'; layers: string[]; origin: string | null }
  /** Put this text (what Keras printed) in the "Compare with Keras" card and compare (the walkthrough's step). */
  | { type: 'compareText'; text: string }
  /** Show the Results tab with this processing step (0-based) of the first trace selected (the walkthrough's step). */
  | { type: 'selectStep'; step: number }
  | ReplyMessage;

// ---------------------------------------------------------------------------------------------
// webview → host
// ---------------------------------------------------------------------------------------------

export type WebviewMessage =
  /** The page loaded and listens; `state` is what vscode.getState() returned (undefined on first open). */
  | { type: 'ready'; state?: PersistedState }
  /** Run the forward pass on this input; the host answers runStarted, runProgress…, then runResult/runError/runCancelled. `continueState`: stateful layers start from the last run's state instead of zeros. */
  | { type: 'run'; input: InputChoice; continueState?: boolean; /** A live recompute of an edited cell; `editAt` is the edit's wall-clock time in ms, echoed in runResult.timing. */ live?: true; editAt?: number }
  /** Forget the stateful layers' last state (Keras's reset_states()): the next run starts from zeros. */
  | { type: 'resetState' }
  /** Cancel the run in progress (the worker is terminated). */
  | { type: 'cancel'; runId: number }
  /** The not-a-model page's button: reopen the file with another editor. */
  | { type: 'reopenWith' }
  /** The not-a-model page's button for a weights-only file: choose its architecture JSON. */
  | { type: 'chooseArchitecture' }
  /** Show a notification for something that went wrong in the webview (never fail silently). */
  | { type: 'notify'; level: 'info' | 'warning' | 'error'; message: string }
  /** The user selected a layer in the panel (the host reveals it in the Model Layers tree). */
  | { type: 'selectLayer'; layer: string }
  /** The page has painted run `runId`'s results: the host's progress covers the drawing too, and ends here. */
  | { type: 'runShown'; runId: number }
  | RequestMessage;

// ---------------------------------------------------------------------------------------------
// Validation: the webview is untrusted (a compromised or buggy page can post anything), so every field of every
// message is checked here before the host acts on it. Hand-written, no dependency, no Node or vscode import.
// ---------------------------------------------------------------------------------------------

/** The bounds a webview message is checked against; each is far beyond what the real page sends. */
export const MESSAGE_LIMITS = {
  /** Request ids and run ids. */
  maxId: 2 ** 31 - 1,
  /** Layer and weight names (a model's own names are shorter; 64 KB covers crafted ones the page echoes back). */
  maxName: 65_536,
  /** Typed input text (JSON / NumPy-style list) and pasted CSV text. */
  maxText: 16 * 1024 * 1024,
  /** A notification from the page. */
  maxNotify: 2_000,
  /** A CSV column name. */
  maxColumn: 1_024,
  /** A file path or URI string. */
  maxPath: 4_096,
  /** A suggested export file name (before sanitizing). */
  maxSuggestedName: 1_024,
  /** Samples N and time steps T of a fill. */
  maxN: 100_000,
  maxT: 10_000_000,
  /** A CSV window's length and start (negative counts from the end). */
  maxWindow: 10_000_000,
  maxStart: 1_000_000_000,
  /** mulberry32 seeds are 32-bit. */
  maxSeed: 2 ** 32 - 1,
  /** Explicit tensors: how many, their rank, and the numbers in all of them. */
  maxTensors: 64,
  maxRank: 8,
  maxTensorNumbers: 32 * 1024 * 1024,
  /** A chart image to save. */
  maxPngBytes: 64 * 1024 * 1024,
  /** The page's saved UI state handed back on reload: nodes, depth and typed-array bytes. */
  maxStateNodes: 2_000_000,
  maxStateDepth: 64,
  maxStateBytes: 512 * 1024 * 1024,
} as const;

/** Why a message was refused (one sentence), and the request id to answer when it had a valid one. */
export type ValidationResult = { ok: true; message: WebviewMessage } | { ok: false; error: string; id?: number };

class Invalid extends Error {}

type Obj = Record<string, unknown>;

function isPlainObject(v: unknown): v is Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** An object with only `allowed` keys (a key holding undefined counts as absent: structured clone keeps it). */
function obj(v: unknown, what: string, allowed: readonly string[]): Obj {
  if (!isPlainObject(v)) throw new Invalid(`${what} is not an object`);
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k) && v[k] !== undefined) throw new Invalid(`${what} has an unknown field ${JSON.stringify(k.slice(0, 40))}`);
  }
  return v;
}

function str(v: unknown, what: string, max: number, opts: { empty?: boolean } = {}): string {
  if (typeof v !== 'string') throw new Invalid(`${what} is ${v === undefined || v === null ? 'missing' : 'not text'}`);
  if (v.length > max) throw new Invalid(`${what} is ${v.length.toLocaleString('en-US')} characters, over the ${max.toLocaleString('en-US')} limit`);
  if (!opts.empty && v.length === 0) throw new Invalid(`${what} is empty`);
  return v;
}

function whole(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const shown = v === undefined || v === null ? 'missing' : typeof v === 'number' ? String(v).slice(0, 30) : `a ${typeof v}`;
    throw new Invalid(`${what} is ${shown}, not a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`);
  }
  return v;
}

function optWhole(o: Obj, key: string, what: string, min: number, max: number): number | undefined {
  return o[key] === undefined ? undefined : whole(o[key], what, min, max);
}

function oneOf<T extends string>(v: unknown, what: string, values: readonly T[]): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw new Invalid(`${what} is not one of ${values.join(', ')}`);
  return v as T;
}

const L = MESSAGE_LIMITS;

function tensor(v: unknown, i: number, budget: { numbers: number }): Tensor {
  const what = `tensor ${i}`;
  const o = obj(v, what, ['shape', 'data']);
  if (!Array.isArray(o.shape)) throw new Invalid(`${what}'s shape is not a list`);
  if (o.shape.length === 0 || o.shape.length > L.maxRank) throw new Invalid(`${what} has rank ${o.shape.length}, not 1 to ${L.maxRank}`);
  let product = 1;
  const shape = o.shape.map((d, k) => {
    const n = whole(d, `${what}'s dimension ${k}`, 0, L.maxTensorNumbers);
    product *= n;
    return n;
  });
  if (product > L.maxTensorNumbers) throw new Invalid(`${what} has ${product.toLocaleString('en-US')} numbers, over the ${L.maxTensorNumbers.toLocaleString('en-US')} limit`);
  if (!(o.data instanceof Float64Array) && !(o.data instanceof Float32Array)) throw new Invalid(`${what}'s data is not a Float64Array or Float32Array`);
  if (o.data.length !== product) throw new Invalid(`${what}'s data holds ${o.data.length.toLocaleString('en-US')} numbers but its shape ${shape.join('×')} needs ${product.toLocaleString('en-US')}`);
  budget.numbers += product;
  if (budget.numbers > L.maxTensorNumbers) throw new Invalid(`the tensors hold more than ${L.maxTensorNumbers.toLocaleString('en-US')} numbers together`);
  return { shape, data: o.data instanceof Float64Array ? o.data : Float64Array.from(o.data) };
}

function inputChoice(v: unknown): InputChoice {
  if (!isPlainObject(v)) throw new Invalid('the input is not an object');
  const kind = oneOf(v.kind, "the input's kind", ['zeros', 'ramp', 'random', 'text', 'csv', 'tensors'] as const);
  const nt = (o: Obj) => {
    const n = optWhole(o, 'n', 'the sample count N', 1, L.maxN);
    const t = optWhole(o, 't', 'the time steps T', 1, L.maxT);
    return { ...(n !== undefined ? { n } : {}), ...(t !== undefined ? { t } : {}) };
  };
  switch (kind) {
    case 'zeros':
    case 'ramp':
      return { kind, ...nt(obj(v, 'the input', ['kind', 'n', 't'])) };
    case 'random': {
      const o = obj(v, 'the input', ['kind', 'seed', 'n', 't']);
      return { kind, seed: whole(o.seed, 'the seed', 0, L.maxSeed), ...nt(o) };
    }
    case 'text': {
      const o = obj(v, 'the input', ['kind', 'text', 't']);
      const t = optWhole(o, 't', 'the time steps T', 1, L.maxT);
      return { kind, text: str(o.text, 'the typed input', L.maxText), ...(t !== undefined ? { t } : {}) };
    }
    case 'csv': {
      const o = obj(v, 'the input', ['kind', 'path', 'text', 'column', 'window', 'start']);
      if (o.path === undefined && o.text === undefined) throw new Invalid('the CSV input has neither a file nor text');
      const column = typeof o.column === 'number' ? whole(o.column, 'the CSV column', 0, 1_000_000) : str(o.column, 'the CSV column', L.maxColumn);
      const start = optWhole(o, 'start', "the window's start", -L.maxStart, L.maxStart);
      return {
        kind,
        ...(o.path !== undefined ? { path: str(o.path, 'the CSV path', L.maxPath) } : {}),
        ...(o.text !== undefined ? { text: str(o.text, 'the CSV text', L.maxText, { empty: true }) } : {}),
        column,
        window: whole(o.window, "the window's length", 1, L.maxWindow),
        ...(start !== undefined ? { start } : {}),
      };
    }
    case 'tensors': {
      const o = obj(v, 'the input', ['kind', 'tensors']);
      if (!Array.isArray(o.tensors) || o.tensors.length === 0 || o.tensors.length > L.maxTensors) throw new Invalid(`the tensors are not a list of 1 to ${L.maxTensors}`);
      const budget = { numbers: 0 };
      return { kind, tensors: o.tensors.map((t, i) => tensor(t, i, budget)) };
    }
  }
}

/** A bounded walk over the page's opaque saved state: it is handed back to the page, but must not be a bomb. */
function checkState(v: unknown): void {
  let nodes = 0;
  let bytes = 0;
  const walk = (x: unknown, depth: number): void => {
    if (++nodes > L.maxStateNodes) throw new Invalid('the saved panel state is too large');
    if (depth > L.maxStateDepth) throw new Invalid('the saved panel state is nested too deeply');
    if (ArrayBuffer.isView(x)) {
      bytes += x.byteLength;
      if (bytes > L.maxStateBytes) throw new Invalid('the saved panel state is too large');
    } else if (typeof x === 'string') {
      bytes += x.length * 2;
      if (bytes > L.maxStateBytes) throw new Invalid('the saved panel state is too large');
    } else if (Array.isArray(x)) {
      for (const y of x) walk(y, depth + 1);
    } else if (typeof x === 'object' && x !== null) {
      for (const k of Object.keys(x)) walk((x as Obj)[k], depth + 1);
    }
  };
  walk(v, 0);
}

/** The page's saved state (also what VS Code hands the serializer after a reload), or undefined when it is unusable. */
export function parsePersistedState(v: unknown): PersistedState | undefined {
  try {
    const o = obj(v, 'the saved state', ['fileUri', 'ui']);
    const fileUri = str(o.fileUri, "the saved state's file", L.maxPath);
    if (o.ui !== undefined) checkState(o.ui);
    return { fileUri, ...(o.ui !== undefined ? { ui: o.ui } : {}) };
  } catch {
    return undefined;
  }
}

function exportRequest(v: unknown): ExportRequest {
  const o = obj(v, 'the export request', ['format', 'runId', 'png', 'suggestedName']);
  const format = oneOf(o.format, 'the export format', ['numpy', 'trace-csv', 'trace-json', 'png'] as const);
  const runId = optWhole(o, 'runId', 'the run id', 0, L.maxId);
  let png: Uint8Array | undefined;
  if (o.png !== undefined) {
    if (format !== 'png') throw new Invalid('only a PNG export carries image bytes');
    if (!(o.png instanceof Uint8Array)) throw new Invalid('the image is not a Uint8Array');
    if (o.png.length > L.maxPngBytes) throw new Invalid(`the image is over ${L.maxPngBytes / 1024 / 1024} MB`);
    png = o.png;
  }
  const suggestedName = o.suggestedName === undefined ? undefined : str(o.suggestedName, 'the suggested file name', L.maxSuggestedName);
  return { format, ...(runId !== undefined ? { runId } : {}), ...(png ? { png } : {}), ...(suggestedName !== undefined ? { suggestedName } : {}) };
}

function traceWindowParams(v: unknown): TraceWindowParams {
  const o = obj(v, 'the trace window request', ['runId', 'layer', 'direction', 'sample', 'step0', 'step1', 'stride', 'unit0', 'unit1', 'quantities']);
  const direction = o.direction === undefined ? undefined : oneOf(o.direction, 'the direction', ['forward', 'backward'] as const);
  const stride = optWhole(o, 'stride', 'the stride', 1, L.maxT);
  if (!Array.isArray(o.quantities) || o.quantities.length === 0 || o.quantities.length > 16) throw new Invalid('the quantities are not a list of 1 to 16 names');
  return {
    runId: whole(o.runId, 'the run id', 0, L.maxId),
    layer: str(o.layer, 'the layer name', L.maxName),
    ...(direction ? { direction } : {}),
    sample: whole(o.sample, 'the sample', 0, L.maxN),
    step0: whole(o.step0, 'the first step', 0, L.maxT),
    step1: whole(o.step1, 'the end step', 0, L.maxT),
    ...(stride !== undefined ? { stride } : {}),
    unit0: whole(o.unit0, 'the first unit', 0, L.maxTensorNumbers),
    unit1: whole(o.unit1, 'the end unit', 0, L.maxTensorNumbers),
    quantities: o.quantities.map((q) => str(q, 'a quantity name', 64)),
  };
}

function request(o: Obj): RequestMessage {
  const id = whole(o.id, 'the request id', 0, L.maxId);
  try {
    obj(o, 'the request', ['type', 'id', 'method', 'params']);
    const method = oneOf(o.method, 'the request method', ['weights', 'export', 'pickCsv', 'pickNpy', 'conventions', 'traceWindow', 'liveModel'] as const);
    switch (method) {
      case 'weights': {
        const p = obj(o.params, 'the weights request', ['layer', 'weight']);
        return { type: 'request', id, method, params: { layer: str(p.layer, 'the layer name', L.maxName), weight: str(p.weight, 'the weight name', L.maxName) } };
      }
      case 'export':
        return { type: 'request', id, method, params: exportRequest(o.params) };
      case 'traceWindow':
        return { type: 'request', id, method, params: traceWindowParams(o.params) };
      case 'pickCsv':
      case 'pickNpy':
      case 'conventions':
      case 'liveModel':
        obj(o.params ?? {}, `the ${method} request`, []);
        return { type: 'request', id, method, params: {} };
    }
  } catch (e) {
    // Keep the id so the host can answer the request instead of leaving the page waiting.
    if (e instanceof Invalid) (e as Invalid & { id?: number }).id = id;
    throw e;
  }
}

/**
 * Checks a message from the webview against the protocol, field by field: types, whole numbers within limits,
 * string lengths, enum values, typed arrays whose length matches their shape, and no unknown fields. Returns a
 * fresh message built from the checked fields only, or why it was refused (one sentence).
 */
export function validateWebviewMessage(raw: unknown): ValidationResult {
  try {
    if (!isPlainObject(raw)) throw new Invalid('it is not an object');
    const type = oneOf(raw.type, 'its type', ['ready', 'run', 'cancel', 'reopenWith', 'chooseArchitecture', 'resetState', 'notify', 'selectLayer', 'runShown', 'request'] as const);
    let message: WebviewMessage;
    switch (type) {
      case 'ready': {
        const o = obj(raw, 'ready', ['type', 'state']);
        const state = o.state === undefined || o.state === null ? undefined : parsePersistedState(o.state);
        message = { type, ...(state ? { state } : {}) };
        break;
      }
      case 'run': {
        const o = obj(raw, 'run', ['type', 'input', 'continueState', 'live', 'editAt']);
        if (o.continueState !== undefined && typeof o.continueState !== 'boolean') throw new Invalid('continueState is not true or false');
        if (o.live !== undefined && typeof o.live !== 'boolean') throw new Invalid('live is not true or false');
        if (o.editAt !== undefined && (typeof o.editAt !== 'number' || !Number.isFinite(o.editAt) || o.editAt < 0)) throw new Invalid('editAt is not a time');
        message = { type, input: inputChoice(o.input), ...(o.continueState === true ? { continueState: true } : {}), ...(o.live === true ? { live: true, ...(typeof o.editAt === 'number' ? { editAt: o.editAt } : {}) } : {}) };
        break;
      }
      case 'cancel':
        message = { type, runId: whole(obj(raw, 'cancel', ['type', 'runId']).runId, 'the run id', 0, L.maxId) };
        break;
      case 'runShown':
        message = { type, runId: whole(obj(raw, 'runShown', ['type', 'runId']).runId, 'the run id', 0, L.maxId) };
        break;
      case 'reopenWith':
      case 'chooseArchitecture':
      case 'resetState':
        obj(raw, type, ['type']);
        message = { type };
        break;
      case 'notify': {
        const o = obj(raw, 'notify', ['type', 'level', 'message']);
        message = { type, level: oneOf(o.level, 'the level', ['info', 'warning', 'error'] as const), message: str(o.message, 'the notification', L.maxNotify) };
        break;
      }
      case 'selectLayer':
        message = { type, layer: str(obj(raw, 'selectLayer', ['type', 'layer']).layer, 'the layer name', L.maxName) };
        break;
      case 'request':
        message = request(raw);
        break;
    }
    return { ok: true, message };
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    const id = (e as Invalid & { id?: number }).id;
    return { ok: false, error: `The panel sent a message the extension does not accept: ${e.message}.`, ...(id !== undefined ? { id } : {}) };
  }
}

/** The checked message, or undefined when it does not follow the protocol. */
export function parseWebviewMessage(raw: unknown): WebviewMessage | undefined {
  const r = validateWebviewMessage(raw);
  return r.ok ? r.message : undefined;
}

/** True when `m` follows the protocol in every field (see validateWebviewMessage). */
export function isWebviewMessage(m: unknown): m is WebviewMessage {
  return validateWebviewMessage(m).ok;
}

/**
 * A file name the page suggests for an export, made harmless: the last path segment only, no controls, bidi
 * overrides or characters that are special in file names, no leading dots, at most 100 characters, and always
 * ending in the format's own extension. Falls back to `fallback` when nothing usable is left.
 */
export function sanitizeExportName(suggested: string | undefined, ext: string, fallback: string): string {
  let name = String(suggested ?? '').split(/[\\/]/).pop() ?? '';
  name = name
    .replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff]/g, '')
    .replace(/[<>:"|?*$`'!;&%{}[\]#~^]/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s-]+/, '');
  name = name.replace(/\.[A-Za-z0-9]{0,8}$/, '');
  name = Array.from(name).slice(0, 100).join('').replace(/[.\s]+$/, '');
  if (!name || /^(con|prn|aux|nul|com\d|lpt\d)$/i.test(name)) name = fallback;
  return `${name}.${ext}`;
}

/** A one-line description of an input, used in progress titles and result headers. */
export function describeInput(input: InputChoice): string {
  const size = (s: { n?: number; t?: number }) => [s.n !== undefined ? `N=${s.n}` : '', s.t !== undefined ? `T=${s.t}` : ''].filter(Boolean).join(', ');
  const withSize = (label: string, s: { n?: number; t?: number }) => (size(s) ? `${label} (${size(s)})` : label);
  switch (input.kind) {
    case 'zeros':
      return withSize('zeros', input);
    case 'ramp':
      return withSize('ramp 1..T', input);
    case 'random':
      return withSize(`seeded random (seed ${input.seed})`, input);
    case 'text':
      return 'typed values';
    case 'csv':
      return `CSV column ${JSON.stringify(input.column)}, window ${input.window}`;
    case 'tensors':
      return 'values from the input editor';
  }
}
