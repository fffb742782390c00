// Runs a model's forward pass by hand over a user's input, layer by layer in graph order,
// collecting every layer's output and the per-step trace of recurrent layers.
// (API fixed first so that inputs, CLI, worker and UI can build against it; body lands with the graph walker.)

import type { ModelDocument } from './model';
import type { RecurrentTrace } from './layers/types';
import type { Tensor } from './tensor';
import { UnsupportedFeatureError } from './errors';

export interface ForwardOptions {
  /** Record per-step traces of recurrent layers (default true). */
  trace?: boolean;
  /** Abort to cancel; the promise then rejects with CancelledError. */
  signal?: AbortSignal;
  /** Called after each layer call: done of total calls, and the layer just run. */
  onProgress?(done: number, total: number, layer: string): void;
}

/** One layer call's result (shared layers give one record per call). */
export interface LayerRecord {
  name: string;
  className: string;
  /** Which call of the layer (0 unless shared). */
  node: number;
  /** Concrete shapes of the outputs (N, T, ... filled in). */
  outputShapes: number[][];
  outputs: Tensor[];
}

export interface ForwardStop {
  layer: string;
  /** 1-based position of the layer call in execution order. */
  position: number;
  message: string;
}

export interface ForwardResult {
  /** The model's outputs, in the model's output order. Empty when the run stopped early. */
  outputs: Tensor[];
  /** Every layer call, in execution order. */
  layers: LayerRecord[];
  /** Recurrent traces in execution order (Bidirectional gives a forward and a backward trace). */
  traces: RecurrentTrace[];
  /** Set when a layer could not be computed (Lambda, custom class): everything before it is still returned. */
  stopped?: ForwardStop;
}

/**
 * Run the forward pass. `inputs` has one tensor per model input, in `doc.root.inputs` order, already
 * validated (see inputs.ts). Never blocks its caller for long: it yields between layers and inside
 * long recurrent loops.
 */
export async function runForward(doc: ModelDocument, inputs: Tensor[], options: ForwardOptions = {}): Promise<ForwardResult> {
  void doc; void inputs; void options;
  throw new UnsupportedFeatureError('The forward pass is not implemented yet.');
}
