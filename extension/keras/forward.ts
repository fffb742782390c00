// Runs a model's forward pass by hand over a user's input, layer by layer in graph order,
// collecting every layer's output and the per-step trace of recurrent layers.

import { CancelledError, InputError, InspectorError, NotAKerasFileError, UnsupportedFeatureError, UnsupportedLayerError, describeThrown, oneSentence } from './errors';
import { walkGraph } from './graph';
import { layerEnv, layerKind } from './layers/index';
import type { CellDescription, ForwardContext, LayerEnv, LayerInputs, LayerOutput, RecurrentTrace } from './layers/types';
import { DEFAULT_MEMORY_BUDGET_MB, MAX_DIM, MAX_RANK, budgetBytes, checkDim, formatBytes } from './limits';
import type { LayerNode, ModelDocument, ModelGraph } from './model';
import { showName } from './safeText';
import type { Shape } from './shapes';
import { checkStates, type LayerStates } from './states';
import { firstContradiction, summarize } from './summary';
import type { Mask, Tensor } from './tensor';
import { TraceStore, setRunStore } from './traceStore';

export interface ForwardOptions {
  /** Record per-step traces of recurrent layers (default true); 'h' records only the states h (and LSTM's c), not the gates. */
  trace?: boolean | 'h';
  /** Only these layers (named as the model lists them at its top level) record a trace; absent: every recurrent layer. */
  traceLayers?: readonly string[];
  /** Refuse a run whose outputs, traces and weights would need more than this many MB (default DEFAULT_MEMORY_BUDGET_MB). */
  memoryLimitMB?: number;
  /**
   * Above this many MB of full trace, keep every K-th step and checkpoints instead (traceStore.ts: every step stays
   * viewable through exact windows, see takeRunStore). Absent: always the full trace.
   */
  traceLimitMB?: number;
  /** Abort to cancel; the promise then rejects with CancelledError. */
  signal?: AbortSignal;
  /** Called after each layer call: done of total calls, and the layer just run. */
  onProgress?(done: number, total: number, layer: string): void;
  /** Starting states of stateful layers (a previous run's finalStates), as Keras continues between predict calls; zeros otherwise. */
  initialStates?: readonly LayerStates[];
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
  /** For an unexpected internal error: what was thrown, for a log or --debug, never for the message. */
  detail?: string;
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
  /** The states each stateful layer (stateful=True) ended with, for the next run to continue from; absent when there are none. */
  finalStates?: LayerStates[];
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
  /** Starting states of stateful layers by layer name. */
  carried: Map<string, Tensor[]>;
}

function countCalls(graph: ModelGraph): number {
  return graph.layers.reduce((n, l) => n + l.calls.length + (l.model ? countCalls(l.model) * l.calls.length : 0), 0);
}

/** A mask passed explicitly (N×T, nonzero where a step is real) as the time mask layers read. */
function explicitMask(layer: string, t: Tensor): Mask {
  if (t.shape.length !== 2) throw new UnsupportedFeatureError(`The layer "${showName(layer)}" is given a mask of shape (${t.shape.join(', ')}); this tool handles masks of N×T time steps.`);
  const data = new Uint8Array(t.data.length);
  for (let i = 0; i < data.length; i++) data[i] = t.data[i] !== 0 ? 1 : 0;
  return { n: t.shape[0], t: t.shape[1], data };
}

/** One tensor of a run and its time mask. */
interface Value {
  tensor: Tensor;
  mask: Mask | null;
}

async function runGraph(graph: ModelGraph, inputs: Produced[], state: RunState, prefix: string): Promise<Produced> {
  const { values, calls } = walkGraph<Value>(graph, inputs.map((p) => ({ tensor: p.tensors[0], mask: p.masks[0] ?? null })));
  for (const site of calls) {
    const { layer, node, call } = site;
    state.ctx.checkCancelled();
    const position = state.result.layers.length + 1;
    if (site.missing) throw new UnsupportedFeatureError(`The layer "${showName(layer.name)}" needs output ${site.missing.tensor} of "${showName(site.missing.layer)}", which was not produced.`);
    const ins = site.inputs as Value[];
    const layerInputs: LayerInputs = {
      tensors: ins.map((x) => x.tensor),
      masks: ins.map((x) => x.mask),
      kwargs: call.kwargs,
      ...(call.args ? { args: call.args } : {}),
      ...(site.initialState.length ? { initialState: (site.initialState as Value[]).map((x) => x.tensor) } : {}),
    };
    // A stateful layer continues from the states it was given; initial states passed in the graph itself win, as in Keras.
    const carried = state.carried.get(prefix + layer.name);
    if (carried && !layerInputs.initialState && layerInputs.tensors.length === 1) layerInputs.initialState = carried;
    let out: LayerOutput;
    try {
      // Masks passed explicitly (Keras 3 `mask=` tensors) replace the inputs' own, as Keras does.
      if (site.masks) layerInputs.masks = (site.masks as Value[]).map((x) => explicitMask(prefix + layer.name, x.tensor));
      // The user may keep the trace of some layers only (a top-level layer decides for everything inside it).
      if (!prefix) state.ctx.trace = state.options.trace !== false && (!state.options.traceLayers || state.options.traceLayers.includes(layer.name));
      out = await runLayer(layer, layerInputs, state, prefix);
    } catch (e) {
      if (e instanceof StopAt || e instanceof CancelledError) throw e;
      const name = prefix + layer.name;
      // A layer that cannot be computed stops the run; bad input and unreadable files still fail the whole run.
      const shown = `"${showName(name, 40)}" (${showName(layer.declaredClassName ?? layer.className, 40)})`;
      if (e instanceof UnsupportedFeatureError) {
        // An UnsupportedLayerError already names the layer and its class: say them once.
        const at = e instanceof UnsupportedLayerError ? `layer ${position}` : `layer ${position}, ${shown}`;
        throw new StopAt({ layer: name, position, message: oneSentence(`The run stopped at ${at}: ${e.message}`) });
      }
      if (!(e instanceof InspectorError)) {
        // JS internals ("Invalid typed array length") say nothing to a user: one sentence, the detail kept apart.
        const message = oneSentence(`Unexpected internal error in layer ${position}, ${shown}; please report it.`);
        throw new StopAt({ layer: name, position, message, detail: describeThrown(e) });
      }
      throw e;
    }
    const masks = out.masks ?? out.tensors.map(() => null);
    values.set(site, out.tensors.map((tensor, i) => ({ tensor, mask: masks[i] ?? null })));
    state.result.layers.push({
      name: prefix + layer.name,
      className: layer.className,
      node,
      outputShapes: out.tensors.map((t) => t.shape),
      outputs: out.tensors,
    });
    if (out.traces) state.result.traces.push(...out.traces.map((t) => (prefix ? { ...t, layer: prefix + t.layer } : t)));
    if (out.finalStates) (state.result.finalStates ??= []).push({ layer: prefix + layer.name, states: out.finalStates });
    state.done++;
    state.options.onProgress?.(state.done, state.total, prefix + layer.name);
    await state.ctx.yieldNow();
  }
  const outs = values.outputs();
  const lost = outs.findIndex((x) => x === undefined);
  if (lost >= 0) throw new UnsupportedFeatureError(`The model "${showName(graph.name)}" needs output ${graph.outputRefs[lost].tensor} of "${showName(graph.outputRefs[lost].layer)}", which was not produced.`);
  return { tensors: outs.map((x) => x!.tensor), masks: outs.map((x) => x!.mask) };
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
      `The layer "${showName(prefix + layer.name)}" (${showName(layer.declaredClassName ?? layer.className)}) is not a layer kind this tool can compute.`,
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
  // Everything the file claims is checked, and the memory estimated, before the first layer allocates anything.
  checkModel(doc);
  const est = checkMemory(doc, inputs.map((t) => t.shape), options);
  const store = est.streamed ? new TraceStore(budgetBytes(options.traceLimitMB!)) : undefined;
  setRunStore(store);
  if (options.initialStates?.length) checkStates(doc, options.initialStates, inputs[0]?.shape[0] ?? 0);
  const signal = options.signal;
  let lastYield = Date.now();
  const ctx: ForwardContext = {
    ...layerEnv(doc.kerasMajor),
    trace: options.trace !== false,
    traceGates: options.trace !== 'h',
    ...(store ? { traceStore: store } : {}),
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
  const carried = new Map((options.initialStates ?? []).map((s) => [s.layer, s.states]));
  const state: RunState = { ctx, options, result, done: 0, total: countCalls(doc.root), carried };
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

// ---------------------------------------------------------------------------------------------------------
// Checks before a run: contradictions in the file, then memory

/**
 * Refuses a model whose file contradicts itself: an impossible size in a config (units -5, T 2.5) or a stored weight
 * whose shape or type does not fit its layer's config. The summary shows the same findings as warnings.
 */
export function checkModel(doc: ModelDocument): void {
  for (const input of doc.root.inputs) {
    if (input.shape.length > MAX_RANK) throw new NotAKerasFileError(`The model's input "${showName(input.name)}" declares ${input.shape.length} axes, more than the ${MAX_RANK} any model uses; the file is damaged or crafted.`);
    input.shape.forEach((d, i) => d === null || checkDim(d, `The size of axis ${i} of the model's input "${showName(input.name)}"`));
  }
  const problem = firstContradiction(summarize(doc).layers);
  if (problem) throw new NotAKerasFileError(problem);
}

/** Bytes a forward pass would hold: its inputs, every layer's outputs, the recurrent traces and the largest layer's weights. */
export interface MemoryEstimate {
  inputs: number;
  outputs: number;
  traces: number;
  weights: number;
  total: number;
  /** The full trace is over the trace limit: `traces` counts the kept rows (at most the limit), not every step. */
  streamed?: boolean;
  /** What a full trace of every step would take, float32. */
  fullTraces?: number;
}

/** Float64 arrays a cell's trace records per (step, sample, unit): its states, and with gates every other quantity. */
function traceQuantities(cell: CellDescription, gates: boolean): number {
  return cell.quantities.filter((q) => gates || q.role === 'state').length;
}

/** A layer runs a recurrent cell itself, or wraps layers that do (Bidirectional). */
function runsCell(layer: LayerNode): boolean {
  return !!layerKind(layer.className)?.recurrentCell || layer.children.some(runsCell);
}
/** Layers that hand their input on without copying it. */
const PASS_THROUGH = new Set(['InputLayer', 'Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'Reshape']);

const product = (shape: readonly number[]): number => shape.reduce((a, d) => a * d, 1);

interface Tally {
  outputs: number;
  traces: number;
  weights: number;
}

/** Trace values one call of `layer` records on an input of `shape` (wrappers count their inner layers). */
function traceValues(layer: LayerNode, shape: Shape | undefined, gates: boolean, env: LayerEnv): number {
  // A call with no inputs (a crafted node) feeds nothing to trace; the run refuses it at that layer.
  if (!shape) return 0;
  const kind = layerKind(layer.className);
  // A kind that traces several cells of its own (RNN(StackedRNNCells)) counts them itself.
  if (kind?.traceValues) return kind.traceValues(layer, shape, gates, env);
  if (kind?.recurrentCell && shape.length >= 3) {
    // N·T steps of every quantity the cell records, each the size of one sample's state (the output after N, T).
    const timeMajor = layer.config.time_major === true;
    const [N, T] = timeMajor ? [shape[1], shape[0]] : [shape[0], shape[1]];
    let state: number | null = null;
    let cell: CellDescription;
    try {
      const out = kind.outputShape(layer, [shape], env).shapes[0];
      const perSample = out.slice(layer.config.return_sequences === true ? 2 : 1);
      if (perSample.every((d): d is number => d !== null)) state = product(perSample);
      cell = kind.recurrentCell.describe(layer, env);
    } catch {
      return 0;
    }
    if (N === null || T === null || state === null) return 0;
    return N * T * state * traceQuantities(cell, gates);
  }
  if (!kind || layer.children.length === 0) return 0;
  // A wrapper traces what its inner layers do on the input each sees; an axis the inner layer does not see
  // (TimeDistributed's T) is folded into its batch.
  const inner = kind.innerInputs?.([shape])[0] ?? shape;
  const folded = shape.length - inner.length === 1 && inner[0] !== null && shape[1] !== null ? [inner[0] * shape[1], ...inner.slice(1)] : inner;
  return layer.children.reduce((a, c) => a + traceValues(c, folded, gates, env), 0);
}

/**
 * Working memory of one layer's weights: the float32 values read, and for recurrent layers the kernel's packed float32
 * copy (recurrentKernel.ts); a CuDNN layout is rewritten through two float64 arrays first.
 */
function weightBytes(layer: LayerNode): number {
  const params = layer.weights.reduce((a, w) => a + product(w.shape), 0);
  if (!runsCell(layer)) return params * 4;
  return params * (layer.className.startsWith('CuDNN') ? 4 + 2 * 8 + 4 : 4 + 4);
}

/** The top-level layers that record a trace (they run a recurrent cell, or hold layers that do): the "keep only some layers" choices. */
export function tracedLayerNames(doc: ModelDocument): string[] {
  // Nested models are as deep as the file made them: looked into 16 levels at most.
  const traces = (l: LayerNode, depth: number): boolean => runsCell(l) || (!!l.model && depth < 16 && l.model.layers.some((c) => traces(c, depth + 1)));
  return doc.root.layers.filter((l) => traces(l, 0)).map((l) => l.name);
}

/**
 * Walks a graph with concrete input shapes, adding up what each call would allocate; an unknown shape adds nothing.
 * `only`: the top-level layers whose traces count (the others record none).
 */
function tallyGraph(graph: ModelGraph, inputShapes: (Shape | null)[], env: LayerEnv, gates: boolean | null, tally: Tally, only?: ReadonlySet<string>): (Shape | null)[] {
  const { values, calls } = walkGraph<Shape | null>(graph, graph.inputRefs.map((_, i) => inputShapes[i] ?? null));
  for (const site of calls) {
    const { layer } = site;
    const ins = site.inputs.map((x) => x ?? null);
    const traced = only && !only.has(layer.name) ? null : gates;
    let outs: (Shape | null)[] = [null];
    if (ins.every((s): s is Shape => s !== null)) {
      try {
        if (layer.model) outs = tallyGraph(layer.model, ins, env, traced, tally);
        else {
          const kind = layerKind(layer.className);
          if (kind) outs = kind.outputShape(layer, ins, env).shapes;
        }
      } catch (e) {
        // An impossible size in the config is the file's fault; any other shape problem stops the run at that layer.
        if (e instanceof NotAKerasFileError) throw e;
      }
      if (!layer.model && !PASS_THROUGH.has(layer.className)) {
        // A wrapper running two cells over one input (both directions) also holds both sequences and the flipped
        // backward one while it merges them.
        const copies = layer.children.filter(runsCell).length >= 2 && !layerKind(layer.className)?.recurrentCell ? 2.5 : 1;
        for (const s of outs) if (s && s.every((d) => d !== null)) tally.outputs += copies * product(s as number[]);
        // What a layer holds besides its outputs (attention's score matrix, returned or not).
        tally.outputs += layerKind(layer.className)?.workingValues?.(layer, ins) ?? 0;
        if (traced !== null) tally.traces += traceValues(layer, ins[0], traced, env);
      }
    }
    if (!layer.model) tally.weights = Math.max(tally.weights, weightBytes(layer));
    values.set(site, outs);
  }
  return values.outputs().map((x) => x ?? null);
}

/**
 * The memory a forward pass over inputs of these shapes would hold, from shapes alone: nothing is allocated.
 * `trace` false leaves the traces out.
 */
export function estimateMemory(doc: ModelDocument, inputShapes: readonly (readonly number[])[], trace: boolean | 'h' = true, traceLayers?: readonly string[]): MemoryEstimate {
  const tally: Tally = { outputs: 0, traces: 0, weights: 0 };
  const shapes = inputShapes.map((s) => [...s]);
  // gates: null without a trace, false for a trace of h only.
  const gates = trace === false ? null : trace !== 'h';
  const env: LayerEnv = {
    ...layerEnv(doc.kerasMajor),
    // A nested model inside a wrapper (TimeDistributed(Sequential)) allocates what its layers do.
    nestedShape(layer, ins) {
      const outs = tallyGraph(layer.model!, ins, env, gates, tally);
      if (!outs.every((s): s is Shape => s !== null)) throw new UnsupportedFeatureError(`The output shape of "${showName(layer.name)}" is unknown.`);
      return { shapes: outs };
    },
  };
  tallyGraph(doc.root, shapes, env, gates, tally, traceLayers ? new Set(traceLayers) : undefined);
  const inputs = shapes.reduce((a, s) => a + product(s), 0) * 8;
  const outputs = tally.outputs * 8;
  // Traces are float32 (as Keras computes).
  const traces = tally.traces * 4;
  return { inputs, outputs, traces, weights: tally.weights, total: inputs + outputs + traces + tally.weights };
}

/** The estimate when a trace above the trace limit keeps checkpoints: its traces count at most the limit (the kept rows). */
export function streamedEstimate(est: MemoryEstimate, traceLimitMB: number | undefined): MemoryEstimate {
  if (traceLimitMB === undefined || !(est.traces > budgetBytes(traceLimitMB))) return { ...est, fullTraces: est.traces };
  const kept = budgetBytes(traceLimitMB);
  return { ...est, fullTraces: est.traces, traces: kept, total: est.total - est.traces + kept, streamed: true };
}

/**
 * Refuses, with the estimate and how to bring it down, a forward pass over inputs of these shapes that would need
 * more than the memory limit. Call it before building or filling any input (a fill of T = 10^9 is itself too big).
 */
export function checkMemory(doc: ModelDocument, inputShapes: readonly (readonly number[])[], options: Pick<ForwardOptions, 'trace' | 'memoryLimitMB' | 'traceLimitMB' | 'traceLayers'> = {}): MemoryEstimate {
  const limitMB = options.memoryLimitMB ?? DEFAULT_MEMORY_BUDGET_MB;
  const limit = budgetBytes(limitMB);
  const trace = options.trace ?? true;
  const est = streamedEstimate(estimateMemory(doc, inputShapes, trace, options.traceLayers), options.traceLimitMB);
  if (Number.isFinite(est.total) && est.total <= limit) return est;
  // Say only what the user can change: N and T where the model leaves them free, the trace when there is one.
  const free = doc.root.inputs.some((i) => i.shape[0] === null);
  const freeT = doc.root.inputs.some((i) => i.shape.length >= 2 && i.shape[1] === null);
  // Weights do not shrink with T or N: when they alone do not fit, only a higher limit helps.
  const ways = est.weights > limit / 2 ? [] : [freeT ? 'a shorter T' : null, free ? 'fewer samples N' : null];
  if (est.weights <= limit / 2 && est.traces > 0 && trace !== false) ways.push(trace === 'h' ? 'no trace' : 'a trace of h only (or none)');
  ways.push(`a memory limit above ${formatBytes(est.total)}`);
  const parts = [`outputs ${formatBytes(est.outputs + est.inputs)}`, est.traces ? `trace ${formatBytes(est.traces)}` : null, est.weights ? `weights ${formatBytes(est.weights)}` : null]
    .filter(Boolean)
    .join(', ');
  const total = Number.isFinite(est.total) ? formatBytes(est.total) : 'more memory than exists';
  const list = ways.filter(Boolean).join(', ').replace(/, ([^,]*)$/, ', or $1');
  throw new InputError(`This forward pass would need about ${total} (${parts}), over the ${formatBytes(limit)} memory limit; choose ${list}.`);
}

/**
 * The memory check of a fill (zeros, ramp, random) before it is filled: N samples (default 1) and T steps where the
 * model leaves them free, each checked as a size first. Inputs of other sizes are left to the fill's own message.
 */
export function checkFillMemory(doc: ModelDocument, fill: { N?: number; T?: number }, options: Pick<ForwardOptions, 'trace' | 'memoryLimitMB' | 'traceLimitMB' | 'traceLayers'> = {}): MemoryEstimate | null {
  checkModel(doc);
  const shapes = fillShapes(doc, fill);
  return shapes ? checkMemory(doc, shapes, options) : null;
}

/** The input shapes of a fill (N samples, default 1, and T steps where the model leaves them free), or null when they are not all known. */
export function fillShapes(doc: ModelDocument, fill: { N?: number; T?: number }): number[][] | null {
  if (fill.N !== undefined) checkDim(fill.N, 'The number of samples N', { user: true, max: MAX_DIM });
  if (fill.T !== undefined) checkDim(fill.T, 'The number of time steps T', { user: true, max: MAX_DIM });
  const shapes: number[][] = [];
  for (const input of doc.root.inputs) {
    // A chosen T replaces a declared one too (a T other than the declared one runs where every layer allows it).
    const shape = input.shape.map((d, i) => (i === 1 && fill.T !== undefined && input.shape.length === 3 ? fill.T : d !== null ? d : i === 0 ? fill.N ?? 1 : i === 1 ? fill.T ?? null : null));
    if (shape.some((d) => d === null || !Number.isSafeInteger(d) || d < 0)) return null;
    shapes.push(shape as number[]);
  }
  return shapes;
}
