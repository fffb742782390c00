// The one normalized document every Keras file format is read into. Views, the forward pass,
// the CLI and the extension only ever see this, never HDF5 or zip details.

import type { Shape } from './shapes';

export type FileFormat =
  | 'keras1-h5' // Keras 1.x full-model HDF5
  | 'keras2-h5' // Keras 2 / tf.keras legacy HDF5 full model
  | 'keras3-h5' // Keras 3 writing the legacy HDF5 layout
  | 'keras3-keras' // .keras zip (Keras 3, or tf.keras 2.13-2.15)
  | 'weights-only'; // save_weights file plus its architecture JSON

/** A stored weight tensor. Shape and dtype come from headers; values only when asked. */
export interface WeightRef {
  /** The name Keras gives it, e.g. `kernel`, `recurrent_kernel`, `bias`, `moving_mean`. */
  name: string;
  /** Its short name, computed once by the reader: `lstm/lstm_cell/kernel:0` → `kernel` (what formulas and views match on). */
  short: string;
  /** Where it lives in the file (dataset path), for messages and the weights view. */
  path: string;
  shape: number[];
  dtype: string;
  trainable: boolean;
  /** Reads the values (row-major) as float32. Throws NotAKerasFileError when the data is unreadable. */
  values(): Float32Array;
}

/** One tensor flowing in a functional graph: output `tensor` of call `node` of layer `layer`. */
export interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

/** One call of a layer in a functional graph (shared layers have several). */
export interface LayerCall {
  /** The tensors passed positionally (for Keras 2, extra tensors after the first may be initial states). */
  inputs: TensorRef[];
  /** Tensors passed as `initial_state` (Keras 3 kwargs, or Keras 2 extra inputs of a recurrent layer). */
  initialState?: TensorRef[];
  /** Other call arguments as the config stored them (e.g. `mask`, `training`), tensors already resolved out. */
  kwargs: Record<string, unknown>;
  /** Tensors passed as `mask` (Keras 3 kwargs), one per input: they replace the masks the inputs carry, as in Keras. */
  mask?: TensorRef[];
  /** A Keras 3 op layer's positional arguments in call order (`x != 0` stores [x, 0]); absent for layers. */
  args?: CallArg[];
}

/** One positional argument of an op call: an input tensor (its index in `inputs`) or a constant as the config stored it. */
export type CallArg = { input: number } | { value: unknown };

export interface LayerNode {
  name: string;
  /** Keras class name, normalized to Keras 2/3 naming (Keras 1 `Convolution1D` becomes `Conv1D`). */
  className: string;
  /** The class name exactly as the file wrote it, when it differs (Keras 1 names, `Custom>Foo`). */
  declaredClassName?: string;
  /** The layer's config, normalized: Keras 1 keys renamed, Keras 3 nested objects kept as they are. */
  config: Record<string, unknown>;
  /** Stored weights in Keras order: trainable then non-trainable, forward before backward. */
  weights: WeightRef[];
  /** Inner layer of a wrapper (TimeDistributed, Bidirectional forward[, backward]). */
  children: LayerNode[];
  /** For a nested model used as a layer. */
  model?: ModelGraph;
  /** Calls of this layer in a functional graph, in node order. Sequential layers get one call each. */
  calls: LayerCall[];
  /** Why this layer can be shown but never run (Lambda code, custom class). Nothing from it is executed. */
  notExecutable?: string;
  /** For a layer no module knows (a custom class, an op not computed): its output shapes as the Keras 3 config records them where they are consumed. */
  declaredOutputShapes?: Shape[];
}

export interface ModelInput {
  name: string;
  /** Full batch shape, e.g. [null, 10, 3]; [32, 100] when the file fixes the batch size. */
  shape: Shape;
  dtype: string;
}

export interface ModelGraph {
  name: string;
  /** `Sequential`, `Functional`, `Model` (Keras 2 functional), or a subclassed model's declared class. */
  className: string;
  inputs: ModelInput[];
  /** Input layers are included for functional graphs (as Keras lists them) and kept for Sequential when declared. */
  layers: LayerNode[];
  /** Graph inputs and outputs as tensor refs (for Sequential these are synthesized). */
  inputRefs: TensorRef[];
  outputRefs: TensorRef[];
  /** True when the source config was a Sequential (one chain of calls). */
  sequential: boolean;
}

export interface ModelDocument {
  /** Path or display name of the file that was read. */
  file: string;
  format: FileFormat;
  /** e.g. `2.6.0`, `3.4.1`, `2.2.4-tf`, or null when the file does not say. */
  kerasVersion: string | null;
  /** 1, 2 or 3: decides defaults that changed between versions (hard_sigmoid, GRU reset_after). */
  kerasMajor: 1 | 2 | 3;
  backend: string | null;
  modelClass: string;
  root: ModelGraph;
  /** Things the reader noticed and worked around or refused (shown, never fatal). */
  warnings: string[];
  /** A declared-but-not-runnable reason for the whole model (subclassed model with no layers, npz weights). */
  notExecutable?: string;
  /** Weights a subclassed model stores that no declared layer owns (shown, never run). */
  looseWeights?: { path: string; shape: number[]; dtype: string; values(): Float32Array }[];
}
