// The model summary: every layer with its output shape (annotated N, T, D, M, K), its parameter count
// and the explanation a learner can follow. This is what `keras-inspect summary --json` prints and what
// the tree, hovers and panel header show.

import type { ModelDocument } from './model';
import type { DimLetter, Shape } from './shapes';
import type { ParamFormula } from './layers/types';

export interface WeightSummary {
  name: string;
  /** Dataset path in the file. */
  path: string;
  shape: number[];
  dtype: string;
  trainable: boolean;
  count: number;
}

export interface LayerSummary {
  name: string;
  className: string;
  /** One shape, or a list of shapes for a multi-output layer (or a shared layer called several times). */
  outputShape: Shape | Shape[] | null;
  /** Letters per dim of outputShape (first output when several). */
  outputLetters?: DimLetter[];
  /** `(N, T, M) = (None, 10, 5)`; `?` when the shape is unknown. */
  outputShapeText: string;
  /** Input shapes this layer saw (first call). */
  inputShapes: Shape[];
  params: number;
  trainableParams: number;
  nonTrainableParams: number;
  /** `SimpleRNN: D·M + M·M + M = 3·5 + 5·5 + 5 = 45 (kernel 3×5, recurrent_kernel 5×5, bias 5)`. */
  paramsFormula: string | null;
  /** The structured formula behind paramsFormula, for hovers. */
  formula?: ParamFormula;
  weights: WeightSummary[];
  children: LayerSummary[];
  /** Names of the layers feeding this one (functional graphs). */
  inbound: string[];
  /** Why the layer cannot be run (Lambda, custom class), or why its shape is unknown. */
  notes: string[];
  notExecutable?: string;
}

export interface ModelSummary {
  file: string;
  format: string;
  kerasVersion: string | null;
  backend: string | null;
  modelClass: string;
  inputs: { name: string; shape: Shape }[];
  outputs: { name: string; shape: Shape | null }[];
  layers: LayerSummary[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  warnings: string[];
}

/** Computes shapes and parameter counts over the whole graph. (Body lands with the graph walker.) */
export function summarize(doc: ModelDocument): ModelSummary {
  void doc;
  throw new Error('summarize is not implemented yet');
}
