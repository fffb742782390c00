// The typed messages between the extension host and the inspector webview, imported by both bundles.
// No `vscode` or Node import here: the webview bundle compiles this file for the browser.
//
// Lifecycle: the webview boots and posts `ready`; only then does the host send `init` (the model) —
// the same handshake as silx-kit/vscode-h5web, so no message is lost while the page loads.
// Numbers travel as typed arrays (Float32Array / Float64Array / Int32Array / Uint8Array): VS Code
// transfers their buffers without turning them into JSON number lists.

import type { ModelSummary } from './keras/summary';
import type { RecurrentTrace } from './keras/layers/types';
import type { LayerRecord, ForwardStop } from './keras/forward';
import type { Tensor } from './keras/tensor';
import type { InputSpec as ModelInputSpec } from './keras/inputs';

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

export type InputKind = InputChoice['kind'];

/**
 * The weights of one recurrent layer (one direction), enough to write the step equation with numbers:
 * h_t = tanh(x_t·W_x + h_{t-1}·W_h + b). Gate blocks are concatenated along the last axis in Keras order.
 */
export interface RecurrentWeights {
  layer: string;
  direction?: 'forward' | 'backward';
  cell: 'SimpleRNN' | 'LSTM' | 'GRU';
  /** D (input features) and M (hidden units). */
  inputDim: number;
  units: number;
  /** Gate letters in the order their blocks appear in W_x/W_h/b: '' for SimpleRNN, 'ifco' for LSTM, 'zrh' for GRU. */
  gateOrder: string;
  /** W_x, D × (gates·M), row-major. */
  kernel: Float32Array;
  /** W_h, M × (gates·M), row-major. */
  recurrentKernel: Float32Array;
  /** b: gates·M; for GRU with reset_after 2 × gates·M (input bias row, then recurrent bias row). Null when use_bias=False. */
  bias: Float32Array | null;
  biasShape: number[] | null;
  /** Activation names from the config, e.g. 'tanh', 'sigmoid', 'hard_sigmoid', 'linear'. */
  activation: string;
  recurrentActivation?: string;
  /** GRU only: where the reset gate applies (Keras 2.3+ default true). */
  resetAfter?: boolean;
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
  | { type: 'runStarted'; runId: number; inputLabel: string }
  /** Layer `done` of `total` finished; `layer` is its name. */
  | { type: 'runProgress'; runId: number; done: number; total: number; layer: string }
  /** The run finished (possibly stopped early at an uncomputable layer: see result.stopped). */
  | { type: 'runResult'; result: RunResult }
  /** The run failed; `message` is one user-facing sentence (an input error names what to fix). */
  | { type: 'runError'; runId: number; message: string; kind: 'input' | 'unsupported' | 'file' | 'internal' }
  /** The run was cancelled by the user (webview Cancel or the notification's Cancel). */
  | { type: 'runCancelled'; runId: number }
  /** Put this input in the input editor (a command chose it) without running. */
  | { type: 'setInput'; input: InputChoice }
  /** Select and scroll to a layer (clicked in the Model Layers tree). */
  | { type: 'focusLayer'; layer: string }
  | ReplyMessage;

// ---------------------------------------------------------------------------------------------
// webview → host
// ---------------------------------------------------------------------------------------------

export type WebviewMessage =
  /** The page loaded and listens; `state` is what vscode.getState() returned (undefined on first open). */
  | { type: 'ready'; state?: PersistedState }
  /** Run the forward pass on this input; the host answers runStarted, runProgress…, then runResult/runError/runCancelled. */
  | { type: 'run'; input: InputChoice }
  /** Cancel the run in progress (the worker is terminated). */
  | { type: 'cancel'; runId: number }
  /** The not-a-model page's button: reopen the file with another editor. */
  | { type: 'reopenWith' }
  /** Show a notification for something that went wrong in the webview (never fail silently). */
  | { type: 'notify'; level: 'info' | 'warning' | 'error'; message: string }
  /** The user selected a layer in the panel (the host reveals it in the Model Layers tree). */
  | { type: 'selectLayer'; layer: string }
  | RequestMessage;

// ---------------------------------------------------------------------------------------------
// Guards: the host never trusts a message's shape
// ---------------------------------------------------------------------------------------------

const WEBVIEW_TYPES = new Set(['ready', 'run', 'cancel', 'reopenWith', 'notify', 'selectLayer', 'request']);
const REQUEST_METHODS = new Set<string>(['weights', 'export', 'pickCsv']);

/** True when `m` looks like a WebviewMessage (type known, request ids numeric, methods known). */
export function isWebviewMessage(m: unknown): m is WebviewMessage {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  if (typeof o.type !== 'string' || !WEBVIEW_TYPES.has(o.type)) return false;
  if (o.type === 'request') {
    return typeof o.id === 'number' && typeof o.method === 'string' && REQUEST_METHODS.has(o.method) && typeof o.params === 'object' && o.params !== null;
  }
  if (o.type === 'run') return typeof o.input === 'object' && o.input !== null && typeof (o.input as { kind?: unknown }).kind === 'string';
  if (o.type === 'cancel') return typeof o.runId === 'number';
  if (o.type === 'notify') return typeof o.message === 'string';
  if (o.type === 'selectLayer') return typeof o.layer === 'string';
  return true;
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
