// The model summary: every layer with its output shape (annotated N, T, D, M, K), its parameter count
// and the explanation a learner can follow. This is what `keras-inspect summary --json` prints and what
// the tree, hovers and panel header show.

import { NotAKerasFileError, describeThrown } from './errors';
import { showName } from './safeText';
import { callKey, refKey, walkGraph } from './graph';
import { weightContradiction } from './layers/common';
import { layerEnv, layerKind } from './layers/index';
import type { CellDescription, LayerEnv, LayerKind, ParamFormula, ShapeResult } from './layers/types';
import type { LayerNode, ModelDocument, ModelGraph, WeightRef } from './model';
import { annotateShape, formatShape, shapeSize, type DimLetter, type Shape } from './shapes';

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
  /** The class name as the file wrote it, when normalized (Keras 1 `Convolution1D`, legacy `Merge`). */
  declaredClassName?: string;
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
  /** Layers whose outputs this one takes as `initial_state` (an encoder's states into a decoder); absent when none. */
  initialStateFrom?: string[];
  /** Layers whose outputs this one takes as an explicit `mask`; absent when none. */
  maskFrom?: string[];
  /** Why the layer cannot be run (Lambda, custom class), or why its shape is unknown. */
  notes: string[];
  notExecutable?: string;
  /**
   * A size or weight the file claims that its own config contradicts (units -5, a kernel of the wrong shape, an
   * integer weight): the layer is still shown, with this as a warning, but a forward pass refuses to run.
   */
  contradiction?: string;
  /** A recurrent layer's cell as its module describes it (quantities, gate blocks, equations): the views read this. */
  cell?: CellDescription;
}

export interface ModelSummary {
  file: string;
  /** The model's own name, e.g. `sequential`. */
  name: string;
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

/** One line a learner can follow: `SimpleRNN: D·M + M·M + M = 3·5 + 5·5 + 5 = 45 (kernel 3×5, ...)`. */
export function formulaText(className: string, f: ParamFormula): string {
  const terms = f.terms.map((t) => `${t.name} ${t.shape.join('×')}`).join(', ');
  return `${className}: ${f.formula} = ${f.substituted}${terms ? ` (${terms})` : ''}`;
}

function weightSummaries(weights: WeightRef[]): WeightSummary[] {
  return weights.map((w) => ({ name: w.short, path: w.path, shape: w.shape, dtype: w.dtype, trainable: w.trainable, count: shapeSize(w.shape) }));
}

/** The mark of a layer this tool has no formula for (a custom class): what it stores still counts, as in model.summary(). */
export const STORED_WEIGHTS_MARK = 'stored weights; formula unknown';

/** `AttentionLayer: stored weights; formula unknown (var_0 50×1, var_1 1)`; names from the file made safe to print. */
function storedOnlyText(layer: LayerNode): string {
  const terms = weightSummaries(layer.weights).map((w) => `${showName(w.name, 40)} ${w.shape.join('×')}`);
  return `${showName(layer.declaredClassName ?? layer.className, 40)}: ${STORED_WEIGHTS_MARK} (${terms.join(', ')})`;
}

/** Why a layer of a kind no module knows is marked not runnable in the tree and hovers: what a run does there. */
function unknownKindText(layer: LayerNode): string {
  return `${showName(layer.declaredClassName ?? layer.className, 40)} is not a layer kind this tool computes: a run stops at this layer, with every layer before it computed.`;
}

/** When a layer's input shape is unknown (after a Lambda), its stored kernel still tells D. */
function shapeHint(layer: LayerNode): Shape[] | undefined {
  const kernel = [...layer.weights, ...layer.children.flatMap((c) => c.weights)].find((w) => w.short === 'kernel' && w.shape.length >= 2);
  if (!kernel) return undefined;
  return [[null, null, kernel.shape[kernel.shape.length - 2]]];
}

interface ShapeWalk {
  /** Output shapes per call key (`layer#node`); null when unknown. */
  shapes: Map<string, ShapeResult | null>;
  /** Input shapes of each layer's first call. */
  firstInputs: Map<LayerNode, (Shape | null)[]>;
  notes: Map<LayerNode, string[]>;
  /** Layers whose config holds an impossible size (NotAKerasFileError from a shape rule). */
  invalid: Map<LayerNode, string>;
}

function note(walk: ShapeWalk, layer: LayerNode, text: string): void {
  const list = walk.notes.get(layer) ?? [];
  if (!list.includes(text)) list.push(text);
  walk.notes.set(layer, list);
}

/** The output shapes the file records for a layer no module knows, when it records every one of them. */
function declaredShapes(layer: LayerNode): Shape[] | undefined {
  const shapes = layer.declaredOutputShapes;
  return shapes && shapes.length > 0 && Array.from(shapes).every(Boolean) ? shapes : undefined;
}

/** Propagates symbolic shapes through a graph, given the shapes of its inputs. */
function walkShapes(graph: ModelGraph, inputShapes: (Shape | null)[], env: LayerEnv, walk: ShapeWalk, warnings: string[]): (Shape | null)[] {
  graph.inputRefs.forEach((ref, i) => {
    const shape = inputShapes[i] ?? null;
    walk.shapes.set(refKey(ref), shape ? { shapes: [shape], letters: [inputLetters(shape)] } : null);
  });
  const { values, calls, unreachable } = walkGraph<Shape | null>(graph, graph.inputRefs.map((_, i) => inputShapes[i] ?? null));
  for (const site of unreachable) warnings.push(`The layer "${site.layer.name}" is fed by tensors the graph never produces; it is left out.`);
  for (const site of calls) {
    const { layer, node } = site;
    // The shape rule sees the inputs only: initial states never change a recurrent layer's output shape.
    const ins = site.inputs.map((x) => x ?? null);
    if (node === 0) walk.firstInputs.set(layer, ins);
    let result: ShapeResult | null = null;
    if (ins.every((s): s is Shape => s !== null)) {
      try {
        if (layer.model) result = nestedShape(layer, ins, env, walk, warnings);
        else {
          const kind = layerKind(layer.className);
          if (kind) result = kind.outputShape(layer, ins, env);
          else if (node === 0 && declaredShapes(layer)) {
            result = { shapes: declaredShapes(layer)! };
            note(walk, layer, `${showName(layer.declaredClassName ?? layer.className, 40)} is not a layer kind this tool knows; its output shape is the one the file records.`);
          } else note(walk, layer, `${showName(layer.declaredClassName ?? layer.className, 40)} is not a layer kind this tool knows, so its output shape is unknown.`);
        }
      } catch (e) {
        if (e instanceof NotAKerasFileError && !walk.invalid.has(layer)) walk.invalid.set(layer, e.message);
        note(walk, layer, `Output shape unknown: ${describeThrown(e)}`);
      }
    } else {
      note(walk, layer, 'Output shape unknown because an input shape is unknown.');
    }
    walk.shapes.set(callKey(layer.name, node), result);
    values.set(site, result?.shapes ?? []);
  }
  return values.outputs().map((x) => x ?? null);
}

function nestedShape(layer: LayerNode, ins: Shape[], env: LayerEnv, walk: ShapeWalk, warnings: string[]): ShapeResult | null {
  const outs = walkShapes(layer.model!, ins, env, walk, warnings);
  return outs.every((s): s is Shape => s !== null) ? { shapes: outs } : null;
}

function inputLetters(shape: Shape): DimLetter[] {
  if (shape.length === 3) return ['N', 'T', 'D'];
  if (shape.length === 2) return ['N', 'T'];
  return shape.map(() => null);
}

function layerSummary(layer: LayerNode, graph: ModelGraph, walk: ShapeWalk, env: LayerEnv, warnings: string[]): LayerSummary {
  const results = layer.calls.map((_, node) => walk.shapes.get(callKey(layer.name, node)) ?? null);
  let outputShape: Shape | Shape[] | null;
  let letters: DimLetter[] | undefined;
  if (layer.className === 'InputLayer') {
    const input = graph.inputs.find((i) => i.name === layer.name);
    outputShape = input?.shape ?? null;
    letters = outputShape ? inputLetters(outputShape) : undefined;
  } else {
    const first = results[0];
    outputShape = first ? (first.shapes.length === 1 && results.length <= 1 ? first.shapes[0] : results.length > 1 ? results.map((r) => r?.shapes[0] ?? []) : first.shapes) : null;
    letters = first?.letters?.[0];
  }
  const firstShape = outputShape === null ? null : Array.isArray(outputShape[0]) ? (outputShape[0] as Shape) : (outputShape as Shape);
  const outputShapeText =
    outputShape === null ? '?' : Array.isArray(outputShape[0]) ? (outputShape as Shape[]).map((s) => formatShape(s)).join(', ') : annotateShape(firstShape!, letters);
  const inputShapes = (walk.firstInputs.get(layer) ?? []).filter((s): s is Shape => s !== null);
  const notes = [...(walk.notes.get(layer) ?? [])];
  const stored = layer.weights.reduce((a, w) => a + shapeSize(w.shape), 0);
  const storedTrainable = layer.weights.filter((w) => w.trainable).reduce((a, w) => a + shapeSize(w.shape), 0);
  let formula: ParamFormula | null = null;
  let contradiction = walk.invalid.get(layer);
  const kind = layer.model ? undefined : layerKind(layer.className);
  if (kind) {
    const known = inputShapes.length === layer.calls[0]?.inputs.length && inputShapes.length > 0;
    const shapes = known ? inputShapes : shapeHint(layer);
    try {
      // A token input's parameters do not depend on its shape (V·E), so they are counted without one.
      if (shapes || kind.inputIs === 'tokens') formula = kind.params(layer, shapes ?? [[null, null]], env);
    } catch (e) {
      if (e instanceof NotAKerasFileError) contradiction ??= e.message;
      notes.push(`The parameter formula could not be filled in: ${describeThrown(e)}`);
    }
  }
  const hasWeights = layer.weights.length > 0;
  const mismatch = formula ? weightContradiction(layer, formula) : null;
  if (mismatch) {
    contradiction ??= mismatch;
    notes.push(mismatch);
    warnings.push(mismatch);
  } else if (formula && hasWeights && formula.total !== stored) {
    const text = `The formula gives ${formula.total.toLocaleString('en-US')} parameters but the file stores ${stored.toLocaleString('en-US')}.`;
    notes.push(text);
    warnings.push(`${layer.name}: ${text}`);
  }
  const params = hasWeights ? stored : formula?.total ?? 0;
  const trainable = hasWeights ? storedTrainable : formula?.trainable ?? 0;
  let children: LayerSummary[] = [];
  if (layer.model) {
    children = summarizeLayers(layer.model, walk, env, warnings);
  } else if (layer.children.length) {
    children = layer.children.map((child) => childSummary(child, layer, inputShapes, env));
  }
  if (layer.notExecutable) notes.push(layer.notExecutable);
  if (layer.config.stateful === true) notes.push('stateful=True: the file keeps no state between batches, so each run starts from zero states.');
  const inbound = [...new Set(layer.calls.flatMap((c) => c.inputs.map((r) => r.layer)))];
  const initialStateFrom = [...new Set(layer.calls.flatMap((c) => (c.initialState ?? []).map((r) => r.layer)))];
  const maskFrom = [...new Set(layer.calls.flatMap((c) => (c.mask ?? []).map((r) => r.layer)))];
  return {
    name: layer.name,
    className: layer.className,
    ...(layer.declaredClassName ? { declaredClassName: layer.declaredClassName } : {}),
    outputShape,
    ...(letters ? { outputLetters: letters } : {}),
    outputShapeText,
    inputShapes,
    params,
    trainableParams: trainable,
    nonTrainableParams: params - trainable,
    paramsFormula: formula ? formulaText(layer.className, formula) : !kind && !layer.model && hasWeights ? storedOnlyText(layer) : null,
    ...(formula ? { formula } : {}),
    weights: weightSummaries(layer.weights),
    children,
    inbound: graph.sequential ? [] : inbound,
    ...(!graph.sequential && initialStateFrom.length ? { initialStateFrom } : {}),
    ...(!graph.sequential && maskFrom.length ? { maskFrom } : {}),
    notes,
    ...(layer.notExecutable ? { notExecutable: layer.notExecutable } : !kind && !layer.model ? { notExecutable: unknownKindText(layer) } : {}),
    ...(contradiction ? { contradiction } : {}),
    ...cellOf(kind, layer, env),
  };
}

/** `{cell}` for a recurrent layer whose cell can describe it, else nothing (a config it cannot read is reported elsewhere). */
function cellOf(kind: LayerKind | undefined, layer: LayerNode, env: LayerEnv): { cell?: CellDescription } {
  try {
    const cell = kind?.recurrentCell?.describe(layer, env);
    return cell ? { cell } : {};
  } catch {
    return {};
  }
}

/** The first contradiction in the file's layers (nested models included), in layer order; null when none. */
export function firstContradiction(layers: readonly LayerSummary[]): string | null {
  for (const l of layers) {
    if (l.contradiction) return l.contradiction;
    const inner = firstContradiction(l.children);
    if (inner) return inner;
  }
  return null;
}

/** A wrapper's inner layer: TimeDistributed sees one time step, Bidirectional each direction the whole input. */
function childSummary(child: LayerNode, parent: LayerNode, parentInputs: Shape[], env: LayerEnv): LayerSummary {
  const ins = layerKind(parent.className)?.innerInputs?.(parentInputs) ?? parentInputs;
  const kind = layerKind(child.className);
  let shape: ShapeResult | null = null;
  let formula: ParamFormula | null = null;
  const notes: string[] = [];
  if (kind && ins.length) {
    try {
      shape = kind.outputShape(child, ins, env);
      formula = kind.params(child, ins, env);
    } catch (e) {
      notes.push(describeThrown(e));
    }
  }
  const stored = child.weights.reduce((a, w) => a + shapeSize(w.shape), 0);
  const trainable = child.weights.filter((w) => w.trainable).reduce((a, w) => a + shapeSize(w.shape), 0);
  const out = shape?.shapes[0] ?? null;
  return {
    name: child.name,
    className: child.className,
    ...(child.declaredClassName ? { declaredClassName: child.declaredClassName } : {}),
    outputShape: shape ? (shape.shapes.length === 1 ? shape.shapes[0] : shape.shapes) : null,
    ...(shape?.letters?.[0] ? { outputLetters: shape.letters[0] } : {}),
    outputShapeText: out ? annotateShape(out, shape?.letters?.[0]) : '?',
    inputShapes: ins,
    params: child.weights.length ? stored : formula?.total ?? 0,
    trainableParams: child.weights.length ? trainable : formula?.trainable ?? 0,
    nonTrainableParams: child.weights.length ? stored - trainable : formula?.nonTrainable ?? 0,
    paramsFormula: formula ? formulaText(child.className, formula) : null,
    ...(formula ? { formula } : {}),
    weights: weightSummaries(child.weights),
    children: [],
    inbound: [],
    notes,
    ...cellOf(kind, child, env),
  };
}

function summarizeLayers(graph: ModelGraph, walk: ShapeWalk, env: LayerEnv, warnings: string[]): LayerSummary[] {
  return graph.layers.map((l) => layerSummary(l, graph, walk, env, warnings));
}

/** Shapes and parameter counts of the whole model, with the explanations. */
export function summarize(doc: ModelDocument): ModelSummary {
  const env: LayerEnv = layerEnv(doc.kerasMajor);
  const warnings = [...doc.warnings];
  const walk: ShapeWalk = { shapes: new Map(), firstInputs: new Map(), notes: new Map(), invalid: new Map() };
  const outs = walkShapes(doc.root, doc.root.inputs.map((i) => i.shape), env, walk, warnings);
  const layers = summarizeLayers(doc.root, walk, env, warnings);
  const loose = (doc.looseWeights ?? []).reduce((a, w) => a + shapeSize(w.shape), 0);
  const totalParams = layers.reduce((a, l) => a + l.params, 0) + loose;
  const trainableParams = layers.reduce((a, l) => a + l.trainableParams, 0) + loose;
  if (doc.notExecutable && !warnings.includes(doc.notExecutable)) warnings.push(doc.notExecutable);
  return {
    file: doc.file,
    name: doc.root.name,
    format: doc.format,
    kerasVersion: doc.kerasVersion,
    backend: doc.backend,
    modelClass: doc.modelClass,
    inputs: doc.root.inputs.map((i) => ({ name: i.name, shape: i.shape })),
    outputs: doc.root.outputRefs.map((r, i) => ({ name: r.layer, shape: outs[i] ?? null })),
    layers,
    totalParams,
    trainableParams,
    nonTrainableParams: totalParams - trainableParams,
    warnings,
  };
}
