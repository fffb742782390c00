// The contract every layer module fulfils: its output-shape rule, its parameter formula with the
// explanation shown to users, and its forward math. Adding a layer kind = one new file + one registry line.

import type { CallArg, LayerNode } from '../model';
import type { DimLetter, Shape } from '../shapes';
import type { Mask, Tensor } from '../tensor';
import type { CellKind } from './recurrent';
import type { NumpyEmitter } from './numpyEmit';
import type { StreamedTraceInfo, TraceStore } from '../traceStore';

/** What a layer needs to know about the file it came from. */
export interface LayerEnv {
  /** Keras major version of the file: hard_sigmoid and some defaults differ between 2 and 3. */
  kerasMajor: 1 | 2 | 3;
  /** The registry's module for a class name: how wrappers reach their inner layer's kind without importing the registry. */
  layerKind(className: string): LayerKind | undefined;
  /** Shape rule of a nested model used as a layer (installed by the graph walker; see dispatch.ts). */
  nestedShape?(layer: LayerNode, inputs: Shape[]): ShapeResult;
}

export interface ShapeResult {
  /** One shape per output tensor (return_state and merge_mode=None give several). */
  shapes: Shape[];
  /** Optional notebook letters per output dim, e.g. [['N','T','M']]. */
  letters?: DimLetter[][];
}

/** One expected weight tensor of a formula, in Keras order. */
export interface ParamTerm {
  /** Keras weight name: kernel, recurrent_kernel, bias, gamma, moving_mean, embeddings ... */
  name: string;
  shape: number[];
  count: number;
  trainable: boolean;
}

/** A parameter count a learner can follow. */
export interface ParamFormula {
  /** In letters: `D·M + M·M + M`, `4M(D+M+1)`, `3M(D+M+2)`. */
  formula: string;
  /** With this layer's numbers: `3·5 + 5·5 + 5 = 45`. */
  substituted: string;
  /** What each letter stands for here, e.g. { D: 3, M: 5 }. */
  letters: Record<string, number>;
  terms: ParamTerm[];
  total: number;
  trainable: number;
  nonTrainable: number;
  /** Extra teaching, e.g. why GRU reset_after=True has 3M more parameters. */
  note?: string;
}

/**
 * One quantity a recurrent cell records per step: a state (h, c) or a gate or other intermediate. The views, the
 * statistics and the exports read these records, never a class name.
 */
export interface CellQuantity {
  /** Trace key: 'h', 'c', 'i', 'f', 'g', 'o', 'z', 'r', 'hh', 'pre' (a new cell may add its own). */
  key: string;
  /** What a learner calls it, e.g. 'forget gate', 'cell state'. */
  label: string;
  /** How the equations write it, e.g. 'f', 'c', 'h̃'. */
  symbol: string;
  /** 'state' is carried to the next step (the first state is h, the output); 'gate' and 'value' are intermediates. */
  role: 'state' | 'gate' | 'value';
  /** The range its activation bounds it to: [0, 1] for sigmoid gates, [-1, 1] for tanh; absent when unbounded. */
  range?: [number, number];
}

/** What a recurrent cell says about itself, for one layer (activations and options filled in). Plain data: it travels to the webview. */
export interface CellDescription {
  /** The cell kind's key (CellKind.name, e.g. 'LSTM'): the step walk is looked up by it. */
  key: string;
  /** For headings: 'LSTM', 'GRU', 'ConvLSTM2D'. */
  title: string;
  /** States first (quantities[0] is h, the output), then the gates in the order their kernel blocks are stored. */
  quantities: CellQuantity[];
  /**
   * The step equations in letters, one line each, with the placeholders {t} (the input's time index), {k} (this
   * step) and {k-1} (the previous step) for the view to fill in, e.g. 'f = σ(x{t}·W_f + h{k-1}·U_f + b_f)'.
   */
  equations: string[];
  /** The gate letters of the kernel blocks in stored order ('ifco', 'zrh'; '' for one block): stats split W_h by it. */
  gateOrder: string;
  /** How one step multiplies: 'matmul' (x·W, state (M,)) or 'conv' (conv(x, W), state a feature map). */
  product: 'matmul' | 'conv';
}

/**
 * The per-step record of one recurrent layer (one direction). Every quantity is [step][n][unit] flattened, where a
 * "unit" is one value of the state: M of them for a vector state, rows·cols·F for a ConvLSTM2D feature map.
 */
export interface RecurrentTrace {
  layer: string;
  /** For Bidirectional: which direction this is. */
  direction?: 'forward' | 'backward';
  cell: CellDescription;
  /** Steps in processing order, samples, values per state (the product of stateShape). */
  steps: number;
  batch: number;
  units: number;
  /** The shape of one sample's state: [M], or [cols, F] / [rows, cols, F] for a feature map (channels last). */
  stateShape: number[];
  /** The shape of one sample's input at one step: [D], or [cols, C] / [rows, cols, C]. */
  inputShape: number[];
  /** timeIndex[s] = input time index processed at step s (reversed for go_backwards). */
  timeIndex: Int32Array;
  /** Whether each (step, sample) was masked out: states hold the carried value, gates hold 0. Omitted when no mask. */
  masked?: Uint8Array;
  /** The quantities by key (cell.quantities): h always, the other states always, the gates only with traceGates. */
  /** Float32, as Keras computes; each array owns its whole ArrayBuffer, so a worker can transfer it without a copy. */
  values: { h: Float32Array } & Record<string, Float32Array>;
  /** A long run's trace kept as checkpoints: `values` hold no steps (empty arrays) and windows come from the run's TraceStore. */
  streamed?: StreamedTraceInfo;
}

/** One named vector of a step walk-through, e.g. `x₃·W_x` (a feature map is flattened channels last). */
export interface WalkRow {
  label: string;
  /** How it was obtained, e.g. `tanh(a₃)`; empty for inputs. */
  expr: string;
  values: Float64Array;
  /** Rows that start a new group (a gate) get a heading. */
  group?: string;
}

/**
 * What one step of a cell needs, sent by the host to the webview for one layer (one direction): the stored
 * weights by short name and the config facts the step reads.
 */
export interface CellWeights {
  layer: string;
  direction?: 'forward' | 'backward';
  /** CellDescription.key. */
  cell: string;
  /** One sample's input at one step: [D], or [cols, C] / [rows, cols, C]. */
  inputShape: number[];
  /** One sample's state: [M], or [cols, F] / [rows, cols, F]. */
  stateShape: number[];
  /** kernel, recurrent_kernel and bias as stored (Keras layout, float32), by short name. */
  tensors: Record<string, { shape: number[]; values: Float32Array }>;
  /** Config facts the step reads: activation names, reset_after, padding, strides, dilation... */
  options: Record<string, string | number | boolean | number[]>;
}

/** One step of one sample to recompute: the input, the states before it, and how the step is named. */
export interface StepWalkQuery {
  weights: CellWeights;
  /** This step's input of this sample, flattened (weights.inputShape). */
  x: Float64Array;
  /** The states before the step by key (h, c), each flattened (weights.stateShape). */
  prev: Record<string, Float64Array>;
  kerasMajor: 1 | 2 | 3;
  /** Subscripts as the equations write them: the input's time index t, this step k and the previous step. */
  names: { t: string; k: string; kPrev: string };
}

/** A step recomputed from the weights with every intermediate vector. */
export interface StepWalk {
  rows: WalkRow[];
  /** The recomputed quantities by trace key: every state after the step and every gate. */
  values: Record<string, Float64Array>;
  /** The equations with this step's names and activations filled in. */
  equations: string[];
}

/** Cancellation and progress for long runs. */
export interface ForwardContext extends LayerEnv {
  /** Record per-step traces for recurrent layers. */
  trace: boolean;
  /** With trace: also record the gates (and SimpleRNN's pre-activation); false keeps h (and LSTM's c) only. Default true. */
  traceGates?: boolean;
  /** With trace: keep every K-th step and checkpoints here instead of every step (a trace above the trace memory limit). */
  traceStore?: TraceStore;
  /** Throws CancelledError when the user cancelled. Recurrent loops call it every few steps. */
  checkCancelled(): void;
  /** Lets the event loop breathe during long loops (resolves quickly). */
  yieldNow(): Promise<void>;
  /** Forward pass of a nested model used as a layer (installed by the forward runner; see dispatch.ts). */
  runNested?(layer: LayerNode, inputs: LayerInputs): Promise<LayerOutput>;
}

export interface LayerInputs {
  tensors: Tensor[];
  /** Time masks of the inputs (from Masking / Embedding(mask_zero)); null where none. */
  masks: (Mask | null)[];
  /** Initial states given to a recurrent layer (Keras 2 extra inputs, Keras 3 kwargs). */
  initialState?: Tensor[];
  /** Call arguments stored with this call (e.g. Attention's use_causal_mask), tensors removed. */
  kwargs?: Record<string, unknown>;
  /** A Keras 3 op layer's positional arguments (which are the input tensors, which constants); see LayerCall.args. */
  args?: readonly CallArg[];
}

export interface LayerOutput {
  tensors: Tensor[];
  /** Output masks, null where none; omit to mean "no mask". */
  masks?: (Mask | null)[];
  traces?: RecurrentTrace[];
  /** A stateful layer's states after its last step (h, and c for LSTM), for the next run to continue from. */
  finalStates?: Tensor[];
}

/** How a layer's constructor reads in Python code, for the hovers over `LSTM(64, ...)` in notebooks. */
export interface PythonSignature {
  /** Positional parameter names in Keras 2/3 order, e.g. ['units', 'activation']. */
  positional: readonly string[];
  /** Positional names of this module's other class names where they differ (CuDNNLSTM takes `units` only). */
  positionalOf?: Readonly<Record<string, readonly string[]>>;
}

/** Keras 1 spellings of a kind: old class names and config keys renamed in Keras 2 (old → new). */
export interface Keras1Names {
  classNames?: readonly string[];
  keys?: Readonly<Record<string, string>>;
}

export interface LayerKind {
  /** Class names this module handles, e.g. ['LSTM', 'CuDNNLSTM']. */
  classNames: readonly string[];
  /** Keras 1 class and key aliases of this kind. */
  keras1?: Keras1Names;
  /** Weight names by position in a Keras 3 `vars` group, which stores them by index only. */
  keras3WeightNames?(layer: LayerNode): string[];
  /**
   * Groups under the layer's own Keras 3 weights group whose `vars` hold its weights, in weight order; a group the
   * file lacks adds nothing. Default: the group itself and `cell`. (MultiHeadAttention: its four projections;
   * RNN(StackedRNNCells): `cell/cells/<cell>` per cell.)
   */
  keras3VarGroups?(layer: LayerNode): string[];
  /**
   * Tensor arguments the layer's call may receive by keyword, in the order its forward pass takes them as inputs
   * (MultiHeadAttention: query, value, key). tf.keras stores every argument after the first as a keyword.
   */
  callTensorArgs?: readonly string[];
  /**
   * Trace values (float64s) one call records on an input of this shape, for the memory estimate before a run, when the
   * kind traces cells of its own that `recurrentCell` does not describe (RNN(StackedRNNCells): one trace per cell).
   */
  traceValues?(layer: LayerNode, input: Shape, gates: boolean, env: LayerEnv): number;
  /** Float64s a call holds besides its outputs (an attention layer's score matrix), for the memory estimate. */
  workingValues?(layer: LayerNode, inputs: Shape[]): number;
  /** Dimension letters this kind introduces, with what they stand for (H, W, C for frames; F for filters). */
  letters?: Readonly<Record<string, string>>;
  /** The constructor's signature for hovers over Python code. */
  python?: PythonSignature;
  /** For a recurrent layer: the cell a wrapper (Bidirectional) runs in each direction. */
  recurrentCell?: CellKind;
  /** Steps through time carrying a state: extra Keras 2 call inputs are its initial states (recurrent layers, Bidirectional). */
  recurrent?: boolean;
  /** The input Keras 1's `input_dim`/`input_length` describe: [N, D] features, [N, T, D] a sequence (the default), [N, T] tokens below input_dim. */
  inputIs?: 'features' | 'sequence' | 'tokens';
  /** y = act(x·W + b) over the last axis with one kernel and one bias: the panel writes its step out in numbers. */
  affineOutput?: true;
  /** A wrapper's inner layers from its config, each parsed by `parse` (TimeDistributed: `layer`; Bidirectional: both directions). */
  innerLayers?(config: Readonly<Record<string, unknown>>, parse: (raw: unknown) => LayerNode, name: string): LayerNode[];
  /** A wrapper's Keras 3 weight group per inner layer, in weight order; the inner layers share its stored weights equally. */
  innerGroups?: readonly string[];
  /** The input shapes a wrapper's inner layer sees (TimeDistributed: one time step); the wrapper's own when absent. */
  innerInputs?(inputs: Shape[]): Shape[];
  /** A sentence on how a stored weight is laid out (an LSTM kernel's four gate blocks), for its tooltip; null when nothing to say. */
  weightNote?(weightName: string, shape: readonly number[]): string | null;
  /** Writes this kind into the NumPy export's script (numpyEmit.ts); a kind the forward pass runs must have one. */
  numpy?: NumpyEmitter;
  /** Python helper functions only this kind's emitter calls, by function name; the emitter adds the name to `cx.helpers` to have it defined. */
  numpyHelpers?: Readonly<Record<string, string>>;
  /** Output shape(s) given the input shapes (one per input tensor). Throws to mean "unknown" (`?`). */
  outputShape(layer: LayerNode, inputs: Shape[], env: LayerEnv): ShapeResult;
  /** Parameter formula; null for layers with no weights. */
  params(layer: LayerNode, inputs: Shape[], env: LayerEnv): ParamFormula | null;
  /** The forward math at inference. */
  forward(layer: LayerNode, inputs: LayerInputs, ctx: ForwardContext): LayerOutput | Promise<LayerOutput>;
}
