// The contract every layer module fulfils: its output-shape rule, its parameter formula with the
// explanation shown to users, and its forward math. Adding a layer kind = one new file + one registry line.

import type { LayerNode } from '../model';
import type { DimLetter, Shape } from '../shapes';
import type { Mask, Tensor } from '../tensor';
import type { CellKind } from './recurrent';
import type { NumpyEmitter } from './numpyEmit';

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

/** The per-step record of one recurrent layer (one direction). Arrays are [step][n][unit], flattened. */
export interface RecurrentTrace {
  layer: string;
  /** For Bidirectional: which direction this is. */
  direction?: 'forward' | 'backward';
  cell: 'SimpleRNN' | 'LSTM' | 'GRU';
  /** Steps in processing order, samples, units. */
  steps: number;
  batch: number;
  units: number;
  /** timeIndex[s] = input time index processed at step s (reversed for go_backwards). */
  timeIndex: Int32Array;
  /** Whether each (step, sample) was masked out: h and c hold the carried state, gate arrays hold 0. Omitted when no mask. */
  masked?: Uint8Array;
  h: Float64Array;
  /** LSTM cell state and gates i, f, g (the candidate c~) and o. */
  c?: Float64Array;
  i?: Float64Array;
  f?: Float64Array;
  g?: Float64Array;
  o?: Float64Array;
  /** GRU update gate z, reset gate r and candidate h~ (hh). */
  z?: Float64Array;
  r?: Float64Array;
  hh?: Float64Array;
  /** SimpleRNN pre-activation x_t·W_x + h_{t-1}·W_h + b. */
  pre?: Float64Array;
}

/** Cancellation and progress for long runs. */
export interface ForwardContext extends LayerEnv {
  /** Record per-step traces for recurrent layers. */
  trace: boolean;
  /** With trace: also record the gates (and SimpleRNN's pre-activation); false keeps h (and LSTM's c) only. Default true. */
  traceGates?: boolean;
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
}

export interface LayerOutput {
  tensors: Tensor[];
  /** Output masks, null where none; omit to mean "no mask". */
  masks?: (Mask | null)[];
  traces?: RecurrentTrace[];
}

/** How a layer's constructor reads in Python code, for the hovers over `LSTM(64, ...)` in notebooks. */
export interface PythonSignature {
  /** Positional parameter names in Keras 2/3 order, e.g. ['units', 'activation']. */
  positional: readonly string[];
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
  /** Dimension letters this kind introduces, with what they stand for (H, W, C for frames; F for filters). */
  letters?: Readonly<Record<string, string>>;
  /** The constructor's signature for hovers over Python code. */
  python?: PythonSignature;
  /** For a recurrent layer: the cell a wrapper (Bidirectional) runs in each direction. */
  recurrentCell?: CellKind;
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
