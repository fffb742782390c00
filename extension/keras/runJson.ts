// The JSON of one forward pass, written once: the CLI's `forward --json` prints it and the panel's "Trace JSON"
// export saves it. Also the names of a model's outputs, so every face shows each of several outputs by name.

import type { ForwardResult, LayerRecord } from './forward';
import { layerKind } from './layers/index';
import type { ModelDocument } from './model';
import { toNested, type Tensor } from './tensor';
import { tracesToJson } from './traceExport';

/**
 * A name per model output, in output order: the producing layer's name, plus which state it is when a recurrent
 * layer with return_state gives it (`lstm_1 state h`), or its position otherwise (`split[1]`).
 */
export function outputNames(doc: ModelDocument): string[] {
  const names = doc.root.outputRefs.map((ref) => {
    if (ref.tensor === 0) return ref.layer;
    const layer = doc.root.layers.find((l) => l.name === ref.layer);
    const cell = layer ? layerKind(layer.className)?.recurrentCell : undefined;
    // A recurrent layer's outputs after the first are its final states, h then c (Keras's return_state order).
    const state = cell && layer?.config.return_state === true ? ['h', 'c'].slice(0, cell.stateCount)[ref.tensor - 1] : undefined;
    return state ? `${ref.layer} state ${state}` : `${ref.layer}[${ref.tensor}]`;
  });
  // The same tensor listed twice still gets two names a reader can tell apart.
  return names.map((n, k) => (names.indexOf(n) !== k ? `${n} (output ${k})` : n));
}

function layerJson(rec: LayerRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: rec.name,
    className: rec.className,
    node: rec.node,
    outputShape: rec.outputShapes[0] ?? [],
    output: rec.outputs[0] ? toNested(rec.outputs[0]) : null,
  };
  if (rec.outputs.length > 1) {
    // return_state / merge_mode=None give several tensors: all of them, in Keras order.
    out.outputShapes = rec.outputShapes;
    out.outputs = rec.outputs.map(toNested);
  }
  return out;
}

export interface RunJsonOptions {
  /** Include the per-step traces. */
  trace: boolean;
  /** Names of the model's outputs (outputNames), listed when there are several. */
  outputNames?: readonly string[];
  /** Notes on how the input was read (a window cut, a T other than the declared one). */
  notes?: readonly string[];
  /** The panel's export also says which file and which input. */
  file?: string;
  inputLabel?: string;
  inputs?: readonly Tensor[];
  /** Where the stateful layers started from, when not from zeros. */
  startedFrom?: string;
}

/**
 * {output, outputShape, [outputs, outputShapes, outputNames], layers: [{name, className, node, outputShape, output}],
 * trace, [stopped], [notes]}: `output` is the first output; with several, `outputs` lists them all in order.
 */
export function runJson(result: ForwardResult, opts: RunJsonOptions): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  if (opts.file !== undefined) json.file = opts.file;
  if (opts.inputLabel !== undefined) json.input = opts.inputLabel;
  if (opts.inputs) json.inputs = opts.inputs.map(toNested);
  if (opts.startedFrom !== undefined) json.startedFrom = opts.startedFrom;
  const first = result.outputs[0];
  json.output = first ? toNested(first) : null;
  json.outputShape = first ? first.shape : null;
  if (result.outputs.length > 1) {
    json.outputs = result.outputs.map(toNested);
    json.outputShapes = result.outputs.map((t) => t.shape);
    if (opts.outputNames?.length === result.outputs.length) json.outputNames = [...opts.outputNames];
  }
  json.layers = result.layers.map(layerJson);
  if (opts.trace) json.trace = tracesToJson(result.traces);
  if (result.stopped) json.stopped = result.stopped;
  if (opts.notes?.length) json.notes = [...opts.notes];
  return json;
}
