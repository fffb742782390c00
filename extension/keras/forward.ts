// Runs a model's forward pass by hand over a user's input, layer by layer in graph order,
// collecting every layer's output and the per-step trace of recurrent layers.

import { CancelledError, InspectorError, UnsupportedFeatureError, UnsupportedLayerError, describeThrown } from './errors';
import { callKey, executionOrder, refKey } from './graph';
import { layerKind } from './layers/index';
import type { ForwardContext, LayerInputs, LayerOutput, RecurrentTrace } from './layers/types';
import type { LayerNode, ModelDocument, ModelGraph, TensorRef } from './model';
import type { Mask, Tensor } from './tensor';

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

interface Produced {
  tensors: Tensor[];
  masks: (Mask | null)[];
}

/** Stops the walk at a layer that cannot be computed, keeping what came before. */
class StopAt extends Error {
  constructor(readonly stop: ForwardStop) {
    super(stop.message);
  }
}

// setImmediate in Node and workers; setTimeout where it does not exist (the webview bundle, browsers).
const immediate = (globalThis as { setImmediate?: (fn: () => void) => void }).setImmediate;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));

interface RunState {
  ctx: ForwardContext;
  options: ForwardOptions;
  result: ForwardResult;
  done: number;
  total: number;
}

function countCalls(graph: ModelGraph): number {
  return graph.layers.reduce((n, l) => n + l.calls.length + (l.model ? countCalls(l.model) * l.calls.length : 0), 0);
}

function lookupRef(produced: Map<string, Produced>, ref: TensorRef, consumer: string): { tensor: Tensor; mask: Mask | null } {
  const p = produced.get(refKey(ref));
  const tensor = p?.tensors[ref.tensor];
  if (!tensor) throw new UnsupportedFeatureError(`The layer "${consumer}" needs output ${ref.tensor} of "${ref.layer}", which was not produced.`);
  return { tensor, mask: p!.masks[ref.tensor] ?? null };
}

async function runGraph(graph: ModelGraph, inputs: Produced[], state: RunState, prefix: string): Promise<Produced> {
  const produced = new Map<string, Produced>();
  graph.inputRefs.forEach((ref, i) => produced.set(refKey(ref), inputs[i]));
  const { order } = executionOrder(graph);
  for (const { layer, node, call } of order) {
    state.ctx.checkCancelled();
    const position = state.result.layers.length + 1;
    const ins = call.inputs.map((r) => lookupRef(produced, r, layer.name));
    const layerInputs: LayerInputs = {
      tensors: ins.map((x) => x.tensor),
      masks: ins.map((x) => x.mask),
      kwargs: call.kwargs,
      ...(call.initialState?.length ? { initialState: call.initialState.map((r) => lookupRef(produced, r, layer.name).tensor) } : {}),
    };
    let out: LayerOutput;
    try {
      out = await runLayer(layer, layerInputs, state, prefix);
    } catch (e) {
      if (e instanceof StopAt || e instanceof CancelledError) throw e;
      const name = prefix + layer.name;
      // A layer that cannot be computed stops the run; bad input and unreadable files still fail the whole run.
      if (e instanceof UnsupportedFeatureError || !(e instanceof InspectorError)) {
        const why = e instanceof InspectorError ? e.message : `it failed: ${describeThrown(e)}`;
        const message = `The run stopped at layer ${position}, "${name}" (${layer.declaredClassName ?? layer.className}): ${why}`;
        throw new StopAt({ layer: name, position, message });
      }
      throw e;
    }
    const masks = out.masks ?? out.tensors.map(() => null);
    produced.set(callKey(layer.name, node), { tensors: out.tensors, masks });
    state.result.layers.push({
      name: prefix + layer.name,
      className: layer.className,
      node,
      outputShapes: out.tensors.map((t) => t.shape),
      outputs: out.tensors,
    });
    if (out.traces) state.result.traces.push(...out.traces.map((t) => (prefix ? { ...t, layer: prefix + t.layer } : t)));
    state.done++;
    state.options.onProgress?.(state.done, state.total, prefix + layer.name);
    await state.ctx.yieldNow();
  }
  const tensors: Tensor[] = [];
  const masks: (Mask | null)[] = [];
  for (const ref of graph.outputRefs) {
    const x = lookupRef(produced, ref, graph.name);
    tensors.push(x.tensor);
    masks.push(x.mask);
  }
  return { tensors, masks };
}

async function runLayer(layer: LayerNode, inputs: LayerInputs, state: RunState, prefix: string): Promise<LayerOutput> {
  if (layer.notExecutable) throw new UnsupportedLayerError(layer.notExecutable, layer.name, 0);
  if (layer.model) {
    const out = await runGraph(layer.model, inputs.tensors.map((t, i) => ({ tensors: [t], masks: [inputs.masks[i] ?? null] })), state, `${prefix}${layer.name}/`);
    return { tensors: out.tensors, masks: out.masks };
  }
  const kind = layerKind(layer.className);
  if (!kind) {
    throw new UnsupportedLayerError(
      `The layer "${prefix}${layer.name}" (${layer.declaredClassName ?? layer.className}) is not a layer kind this tool can compute.`,
      layer.name,
      0,
    );
  }
  return kind.forward(layer, inputs, state.ctx);
}

/**
 * Run the forward pass. `inputs` has one tensor per model input, in `doc.root.inputs` order, already
 * validated (see inputs.ts). Never blocks its caller for long: it yields between layers and inside
 * long recurrent loops.
 */
export async function runForward(doc: ModelDocument, inputs: Tensor[], options: ForwardOptions = {}): Promise<ForwardResult> {
  if (doc.notExecutable) throw new UnsupportedFeatureError(doc.notExecutable);
  if (inputs.length !== doc.root.inputs.length) {
    throw new UnsupportedFeatureError(`The model takes ${doc.root.inputs.length} input(s) but ${inputs.length} were given.`);
  }
  const signal = options.signal;
  let lastYield = Date.now();
  const ctx: ForwardContext = {
    kerasMajor: doc.kerasMajor,
    trace: options.trace !== false,
    checkCancelled() {
      if (signal?.aborted) throw new CancelledError();
    },
    async yieldNow() {
      // Yield at most every 20 ms: often enough to stay responsive, rarely enough to cost nothing.
      if (Date.now() - lastYield < 20) return;
      await yieldToEventLoop();
      lastYield = Date.now();
      if (signal?.aborted) throw new CancelledError();
    },
  };
  const result: ForwardResult = { outputs: [], layers: [], traces: [] };
  const state: RunState = { ctx, options, result, done: 0, total: countCalls(doc.root) };
  // Wrappers (TimeDistributed of a nested Sequential) run their inner model the same way the graph does.
  ctx.runNested = (layer, ins) => runLayer(layer, ins, state, '');
  try {
    const out = await runGraph(doc.root, inputs.map((t) => ({ tensors: [t], masks: [null] })), state, '');
    result.outputs = out.tensors;
  } catch (e) {
    if (e instanceof StopAt) result.stopped = e.stop;
    else throw e;
  }
  return result;
}
