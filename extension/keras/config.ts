// Turns a Keras model config (Keras 1, 2 or 3 JSON) into the normalized layer graph: Keras 1 class and
// key names renamed, wrappers given their inner layers as children, nested models kept as graphs,
// functional inbound nodes resolved to tensor refs. Nothing in a config is ever evaluated.

import { InputError, NotAKerasFileError } from './errors';
import { checkGraph } from './graph';
import { keras2ClassName, layerKind } from './layers/index';
import { MAX_LAYERS, MAX_NESTING_DEPTH, MAX_RANK, isWhole } from './limits';
import type { CallArg, LayerCall, LayerNode, ModelGraph, ModelInput, TensorRef } from './model';
import { showName } from './safeText';
import type { Shape } from './shapes';

type Json = Record<string, unknown>;

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keras 1 config keys every layer renamed in Keras 2; each layer module adds its own (`LayerKind.keras1`). */
const KERAS1_COMMON_KEYS: Readonly<Record<string, string>> = {
  init: 'kernel_initializer',
  W_regularizer: 'kernel_regularizer',
  b_regularizer: 'bias_regularizer',
  W_constraint: 'kernel_constraint',
  b_constraint: 'bias_constraint',
  bias: 'use_bias',
};

/** Keras 1 config keys of a class renamed in Keras 2 (old → new): the common ones, then its module's. */
export function keras1Renames(className: string): Record<string, string> {
  return { ...KERAS1_COMMON_KEYS, ...layerKind(className)?.keras1?.keys };
}

/** The input shape Keras 1's `input_dim`/`input_length` arguments give a layer of this class, or undefined. */
export function keras1InputShape(className: string, inputDim: unknown, inputLength: unknown): unknown[] | undefined {
  const takes = layerKind(className)?.inputIs ?? 'sequence';
  if (takes === 'tokens') return inputLength != null ? [null, inputLength] : undefined;
  if (inputDim == null) return undefined;
  return takes === 'features' ? [null, inputDim] : [null, inputLength ?? null, inputDim];
}

function renameKeras1(className: string, config: Json): Json {
  const out: Json = { ...config };
  for (const [from, to] of Object.entries(keras1Renames(className))) {
    if (from in out && !(to in out)) {
      out[to] = out[from];
      delete out[from];
    }
  }
  for (const key of ['kernel_size', 'strides', 'pool_size', 'dilation_rate']) {
    if (typeof out[key] === 'number') out[key] = [out[key]];
  }
  // Keras 1 gave the input by input_dim/input_length instead of batch_input_shape.
  if (!out.batch_input_shape) {
    const shape = keras1InputShape(className, out.input_dim, out.input_length);
    if (shape) out.batch_input_shape = shape;
  }
  return out;
}

/** The legacy `Merge` layer (Keras 1, deprecated in 2.0-2.1) maps to a merge layer by its mode. */
function mergeClass(config: Json): { className: string; config: Json; notExecutable?: string } {
  const mode = config.mode;
  const map: Record<string, string> = { sum: 'Add', mul: 'Multiply', concat: 'Concatenate', ave: 'Average', max: 'Maximum', dot: 'Dot', cos: 'Dot' };
  if (typeof mode === 'string' && config.mode_type !== 'lambda' && map[mode]) {
    const cfg: Json = { ...config };
    if (mode === 'concat') cfg.axis = config.concat_axis ?? -1;
    if (mode === 'dot' || mode === 'cos') {
      cfg.axes = config.dot_axes ?? -1;
      cfg.normalize = mode === 'cos';
    }
    return { className: map[mode], config: cfg };
  }
  return { className: 'Merge', config, notExecutable: 'This legacy Merge layer uses a Python function as its mode, which this tool never runs.' };
}

export interface ParseEnv {
  kerasMajor: 1 | 2 | 3;
  warnings: string[];
  /** Layers declared so far in this config, nested ones included (set by the parser; callers leave it out). */
  layerCount?: number;
  /** Layer inputs (tensor refs) wired so far, nested graphs included (set by the parser). */
  refCount?: number;
}

/** Every error about the config's structure ends the same way: the file, not the user, is at fault. */
const damaged = (what: string) => new NotAKerasFileError(`${what}: the file is damaged or crafted.`);

/** Refuses nesting beyond MAX_NESTING_DEPTH before recursing one level further. */
function checkDepth(depth: number): void {
  if (depth > MAX_NESTING_DEPTH) {
    throw damaged(`The model config nests models and wrappers more than ${MAX_NESTING_DEPTH} levels deep (real models use fewer than 10)`);
  }
}

/** Tensor refs one config may wire: a few inputs per layer; a Concatenate of 100,000 copies is a crafted file. */
const MAX_REFS = 4 * MAX_LAYERS;

/** Counts one more wired input, refusing past MAX_REFS (every later walk is proportional to the refs). */
function countRef(env: ParseEnv): void {
  env.refCount = (env.refCount ?? 0) + 1;
  if (env.refCount > MAX_REFS) {
    throw damaged(`The model config wires more than ${MAX_REFS.toLocaleString('en-US')} layer inputs, far beyond any real model`);
  }
}

/** Counts `n` more declared layers, refusing the config before any of them is parsed when the total passes MAX_LAYERS. */
function countLayers(env: ParseEnv, n: number): void {
  env.layerCount = (env.layerCount ?? 0) + n;
  if (env.layerCount > MAX_LAYERS) {
    throw damaged(`The model config declares more than ${MAX_LAYERS.toLocaleString('en-US')} layers, nested ones included (the largest real models have a few thousand)`);
  }
}

/** A name from the config: a string when present; anything else would show as "[object Object]". */
function nameField(v: unknown, what: string): string | undefined {
  if (v == null) return undefined;
  if (typeof v !== 'string') throw damaged(`${what} has a name that is ${Array.isArray(v) ? 'a list' : typeof v}, not text`);
  return v;
}

/** Layer runs one pass of the model makes, each call of a nested model counting its layers again. */
const MAX_LAYER_RUNS = 2 * MAX_LAYERS;
const graphRuns = new WeakMap<ModelGraph, number>();
const layerRunsMemo = new WeakMap<LayerNode, number>();

/** How many layer runs one call of `layer` makes: itself, its wrapped children and its nested model's runs. */
function layerRuns(layer: LayerNode): number {
  const known = layerRunsMemo.get(layer);
  if (known !== undefined) return known;
  let runs = 1 + (layer.model ? graphRuns.get(layer.model) ?? 0 : 0);
  for (const child of layer.children) runs += layerRuns(child);
  layerRunsMemo.set(layer, runs);
  return runs;
}

/**
 * Refuses a graph whose nested models are called so often, inside models that are themselves called often, that
 * one pass would run more than MAX_LAYER_RUNS layers: shapes and forward passes walk every call. Each graph is
 * counted once, when it is parsed, from its nested graphs' counts.
 */
function checkRuns(graph: ModelGraph): void {
  let runs = 0;
  for (const l of graph.layers) runs += Math.max(1, l.calls.length) * layerRuns(l);
  graphRuns.set(graph, runs);
  if (runs > MAX_LAYER_RUNS) {
    throw damaged(
      `The model "${showName(graph.name, 40)}" calls its nested models so often that one pass would run more than ${MAX_LAYER_RUNS.toLocaleString('en-US')} layers (calls inside calls multiply)`,
    );
  }
}

function customReason(raw: Json, className: string): string | undefined {
  const registered = typeof raw.registered_name === 'string' ? raw.registered_name : undefined;
  const module = typeof raw.module === 'string' ? raw.module : undefined;
  if (registered && registered !== className && registered.includes('>')) {
    return `"${showName(registered, 60)}" is a custom class${module ? ` from the Python module "${showName(module, 60)}"` : ''}; its code is not in the file, and this tool never imports or runs it.`;
  }
  if (module && !module.startsWith('keras') && !module.startsWith('tf_keras') && !module.startsWith('tensorflow')) {
    return `"${showName(className, 60)}" comes from the Python module "${showName(module, 60)}", not Keras; this tool never imports or runs it.`;
  }
  return undefined;
}

/**
 * The kind key of a Keras 3 op called on a symbolic tensor (`keras.ops.not_equal(x, 0)` stores module
 * `keras.src.ops.numpy`, class `NotEqual`): `ops.numpy.NotEqual`, so the op `Add` and the layer `Add` stay two kinds.
 */
function opKindKey(raw: Json): string | undefined {
  const m = typeof raw.module === 'string' ? /^keras\.(?:src\.)?ops\.([a-z_]{1,40})$/.exec(raw.module) : null;
  return m && typeof raw.class_name === 'string' ? `ops.${m[1]}.${raw.class_name}` : undefined;
}

/** True for a Keras 3 op layer: no weights, no weights group, positional call arguments that matter. */
export function isOpLayer(layer: LayerNode): boolean {
  return layer.className.startsWith('ops.');
}

/** One layer's config object (`{class_name, config, ...}`) to a LayerNode (weights are bound later). */
export function parseLayer(raw: unknown, env: ParseEnv, depth = 0): LayerNode {
  checkDepth(depth);
  if (!isObject(raw) || typeof raw.class_name !== 'string') {
    const named = isObject(raw) && isObject(raw.config) && typeof raw.config.name === 'string' ? ` "${showName(raw.config.name, 60)}"` : '';
    throw new NotAKerasFileError(`The model config has a layer entry${named} without a class_name (or one that is not text); the file is damaged.`);
  }
  const declared = raw.class_name;
  const op = opKindKey(raw);
  const renamed = op ? undefined : keras2ClassName(declared);
  let className = op ?? renamed ?? declared;
  let config: Json = isObject(raw.config) ? { ...raw.config } : {};
  let notExecutable: string | undefined;
  if (!op && (env.kerasMajor === 1 || renamed || 'output_dim' in config || 'nb_filter' in config || 'p' in config)) {
    config = renameKeras1(className, config);
  }
  const declaredName = nameField(config.name, `A ${showName(declared, 60)} layer`) ?? nameField(raw.name, `A ${showName(declared, 60)} layer`);
  if (className === 'Merge') ({ className, config, notExecutable } = mergeClass(config));
  if (className === 'Lambda') notExecutable = `The Lambda layer "${showName(declaredName ?? '', 60)}" holds Python code (${typeof config.function_type === 'string' ? showName(config.function_type, 20) : 'function'}) that this tool never runs.`;
  notExecutable ??= customReason(raw, className);
  const name = declaredName ?? className.toLowerCase();
  const node: LayerNode = {
    name,
    className,
    ...(declared !== className && !op ? { declaredClassName: declared } : {}),
    config,
    weights: [],
    children: [],
    calls: [],
    ...(notExecutable ? { notExecutable } : {}),
  };
  const wrapper = layerKind(className)?.innerLayers;
  if (MODEL_CLASSES.has(className)) {
    node.model = parseGraph(raw, env, depth + 1);
    node.name = node.model.name;
  } else if (wrapper) {
    const parseInner = (inner: unknown): LayerNode => {
      countLayers(env, 1);
      return parseLayer(inner, env, depth + 1);
    };
    node.children.push(...wrapper(config, parseInner, name));
  }
  if (node.children.some((c) => c.notExecutable) && !node.notExecutable) {
    node.notExecutable = node.children.find((c) => c.notExecutable)!.notExecutable;
  }
  return node;
}

function asShape(v: unknown): Shape | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.map((d) => (typeof d === 'number' ? d : null));
}

/** A node or tensor index in a tensor ref: a small whole number, or the ref is malformed. */
function refIndex(v: unknown, layer: string): number {
  if (v == null) return 0;
  if (isWhole(v, 0, MAX_LAYERS)) return v;
  throw damaged(`An input of a layer refers to "${showName(layer, 60)}" with the index ${typeof v === 'number' ? String(v) : typeof v}, which is not a whole number`);
}

/** A Keras 3 `__keras_tensor__` object or a Keras 1/2 `[layer, node, tensor, kwargs]` entry. */
function tensorRefOf(v: unknown): TensorRef | undefined {
  if (isObject(v) && v.class_name === '__keras_tensor__' && isObject(v.config)) {
    const h = v.config.keras_history;
    if (Array.isArray(h) && typeof h[0] === 'string') return { layer: h[0], node: refIndex(h[1], h[0]), tensor: refIndex(h[2], h[0]) };
    throw damaged('A layer input in the model config has a keras_history that is not [layer name, node, tensor]');
  }
  if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'number') {
    return { layer: v[0], node: refIndex(v[1], v[0]), tensor: refIndex(v[2], v[0]) };
  }
  return undefined;
}

/** Call arguments nest lists of tensors a few levels at most; deeper is a crafted config, refused before recursing. */
function checkArgDepth(depth: number, layer: LayerNode): void {
  if (depth > MAX_NESTING_DEPTH) throw damaged(`The inputs of the layer "${showName(layer.name, 60)}" are nested more than ${MAX_NESTING_DEPTH} lists deep`);
}

function collectRefs(v: unknown, out: TensorRef[], layer: LayerNode, env: ParseEnv, depth = 0): void {
  checkArgDepth(depth, layer);
  const ref = tensorRefOf(v);
  if (ref) {
    countRef(env);
    out.push(ref);
  } else if (Array.isArray(v)) for (const x of v) collectRefs(x, out, layer, env, depth + 1);
}

function stripTensors(v: unknown, layer: LayerNode, depth = 0): unknown {
  checkArgDepth(depth, layer);
  if (tensorRefOf(v)) return '<tensor>';
  if (Array.isArray(v)) return v.map((x) => stripTensors(x, layer, depth + 1));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stripTensors(x, layer, depth + 1)]));
  return v;
}

function parseCall(rawNode: unknown, layer: LayerNode, env: ParseEnv): LayerCall {
  const inputs: TensorRef[] = [];
  let initialState: TensorRef[] | undefined;
  let kwargs: Json = {};
  let args: CallArg[] | undefined;
  let mask: TensorRef[] | undefined;
  if (isObject(rawNode) && 'args' in rawNode) {
    // Keras 3: {args: [tensor | [tensors]], kwargs: {initial_state: [...], mask: ..., training: ...}}
    if (isOpLayer(layer) && Array.isArray(rawNode.args)) args = opArgs(rawNode.args, inputs, layer, env);
    else collectRefs(rawNode.args, inputs, layer, env);
    const kw = isObject(rawNode.kwargs) ? rawNode.kwargs : {};
    // Tensors a layer takes by keyword (MultiHeadAttention's query=, value=, key=) join its inputs in its module's order.
    for (const key of layerKind(layer.className)?.callTensorArgs?.slice(inputs.length) ?? []) if (kw[key] != null) collectRefs(kw[key], inputs, layer, env);
    if (kw.initial_state != null) {
      initialState = [];
      collectRefs(kw.initial_state, initialState, layer, env);
    }
    if (kw.mask != null) {
      // An explicit mask (`lstm(x, mask=ops.not_equal(tokens, 0))`) is wired like an input: Keras uses it instead of the input's own.
      const refs: TensorRef[] = [];
      collectRefs(kw.mask, refs, layer, env);
      if (refs.length > 0 && refs.length === inputs.length) mask = refs;
    }
    const { initial_state: _ignored, ...rest } = kw;
    kwargs = stripTensors(rest, layer) as Json;
  } else if (Array.isArray(rawNode)) {
    // Keras 1/2: [[layer, node, tensor, kwargs], ...]; a recurrent layer's extra inputs are its initial states.
    for (const entry of rawNode) {
      const ref = tensorRefOf(entry);
      if (!ref) throw damaged(`An inbound node of the layer "${showName(layer.name, 60)}" holds an entry that is not [layer name, node, tensor]`);
      countRef(env);
      inputs.push(ref);
      if (Array.isArray(entry) && isObject(entry[3])) kwargs = { ...kwargs, ...(stripTensors(entry[3], layer) as Json) };
    }
    // tf.keras serializes every call argument after the first as a keyword: `[q, 0, 0, {"value": ["v", 0, 0]}]`.
    const keywords = rawNode.length === 1 && Array.isArray(rawNode[0]) && isObject(rawNode[0][3]) ? rawNode[0][3] : undefined;
    for (const key of (keywords && layerKind(layer.className)?.callTensorArgs?.slice(inputs.length)) || []) {
      const ref = tensorRefOf(keywords![key]);
      if (!ref) continue;
      countRef(env);
      inputs.push(ref);
    }
    if (layerKind(layer.className)?.recurrent && inputs.length > 1) initialState = inputs.splice(1);
  } else {
    throw damaged(`The layer "${showName(layer.name, 60)}" has an inbound node that is neither a list nor a Keras 3 call`);
  }
  return { inputs, ...(initialState ? { initialState } : {}), kwargs, ...(args ? { args } : {}), ...(mask ? { mask } : {}) };
}

/** An op's positional arguments: a tensor is an input (by index), anything else a constant (tensors inside it still wired). */
function opArgs(raw: unknown[], inputs: TensorRef[], layer: LayerNode, env: ParseEnv): CallArg[] {
  return raw.map((a): CallArg => {
    const ref = tensorRefOf(a);
    if (!ref) {
      collectRefs(a, inputs, layer, env, 1);
      return { value: stripTensors(a, layer, 1) };
    }
    countRef(env);
    inputs.push(ref);
    return { input: inputs.length - 1 };
  });
}

function inputFromLayerConfig(layer: LayerNode): Shape | undefined {
  const c = layer.config;
  return asShape(c.batch_shape) ?? asShape(c.batch_input_shape) ?? (Array.isArray(c.input_shape) ? [null, ...asShape(c.input_shape)!] : undefined);
}

/** The graph's input or output tensors: a list (or, in Keras 3, a dict or nested list) of refs. */
function refsList(v: unknown, what: string): TensorRef[] {
  const out: TensorRef[] = [];
  const walk = (x: unknown, depth: number): void => {
    if (depth > MAX_NESTING_DEPTH) throw damaged(`The model config's ${what} are nested more than ${MAX_NESTING_DEPTH} levels deep`);
    const ref = tensorRefOf(x);
    if (ref) out.push(ref);
    else if (Array.isArray(x)) for (const y of x) walk(y, depth + 1);
    else if (isObject(x)) for (const y of Object.values(x)) walk(y, depth + 1);
  };
  if (v != null && typeof v !== 'object') throw damaged(`The model config's ${what} are not a list`);
  walk(v, 0);
  return out;
}

/**
 * Keras 3 records each tensor's shape where it is consumed (`__keras_tensor__` {shape, keras_history}). For a layer no
 * module knows (a custom class, an op this tool does not compute) that is the only source of its output shape, so it
 * is kept (first call only, plausible shapes only). An iterative walk over the inbound nodes, each value once.
 */
function recordDeclaredShapes(layerList: unknown[], layers: LayerNode[]): void {
  const unknown = new Map(layers.filter((l) => !l.model && !layerKind(l.className)).map((l) => [l.name, l]));
  if (unknown.size === 0) return;
  const stack: unknown[] = layerList.map((raw) => (isObject(raw) ? raw.inbound_nodes : null));
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (isObject(v) && v.class_name === '__keras_tensor__' && isObject(v.config)) {
      const h: unknown = v.config.keras_history;
      const shape: unknown = v.config.shape;
      if (!Array.isArray(h) || typeof h[0] !== 'string' || h[1] !== 0 || !isWhole(h[2], 0, 63)) continue;
      const layer = unknown.get(h[0]);
      const plausible = Array.isArray(shape) && shape.length <= MAX_RANK && shape.every((d) => d === null || isWhole(d));
      if (layer && plausible) (layer.declaredOutputShapes ??= [])[h[2]] = shape as Shape;
    } else if (isObject(v)) stack.push(...Object.values(v));
  }
}

/** `{class_name: 'Sequential'|'Functional'|'Model', config}` to a ModelGraph. */
export function parseGraph(raw: Json, env: ParseEnv, depth = 0): ModelGraph {
  checkDepth(depth);
  const className = String(raw.class_name);
  const cfg = raw.config;
  if (!Array.isArray(cfg) && !(isObject(cfg) && Array.isArray(cfg.layers))) {
    throw damaged(`The ${showName(className, 60)} model in the config has no list of layers`);
  }
  const layerList: unknown[] = Array.isArray(cfg) ? cfg : (cfg.layers as unknown[]);
  const name = (isObject(cfg) ? nameField(cfg.name, `A ${showName(className, 60)} model`) : undefined) ?? className.toLowerCase();
  countLayers(env, layerList.length);
  const layers = layerList.map((l) => parseLayer(l, env, depth));
  const seen = new Set<string>();
  const functional = className !== 'Sequential';
  for (const l of layers) {
    if (seen.has(l.name)) {
      // Functional graphs are wired by layer name, so a repeated name makes the wiring ambiguous.
      if (functional) throw damaged(`Two layers of the model "${showName(name, 40)}" are named "${showName(l.name, 60)}", so its wiring is ambiguous`);
      env.warnings.push(`Two layers are named "${showName(l.name)}"; the second is shown as it is declared.`);
    }
    seen.add(l.name);
  }
  if (className === 'Sequential') {
    const graph = sequentialGraph(name, layers, raw, env);
    checkRuns(graph);
    return graph;
  }
  // Functional: inbound nodes per layer, explicit inputs and outputs.
  layerList.forEach((rawLayer, i) => {
    const nodes = isObject(rawLayer) ? rawLayer.inbound_nodes ?? [] : [];
    if (!Array.isArray(nodes)) throw damaged(`The inbound_nodes of the layer "${showName(layers[i].name, 60)}" are not a list`);
    layers[i].calls = nodes.map((n) => parseCall(n, layers[i], env));
  });
  recordDeclaredShapes(layerList, layers);
  const c = isObject(cfg) ? cfg : {};
  const inputRefs = refsList(c.input_layers, 'input_layers');
  const outputRefs = refsList(c.output_layers, 'output_layers');
  const byName = new Map(layers.map((l) => [l.name, l]));
  const inputs: ModelInput[] = inputRefs.map((ref) => {
    const layer = byName.get(ref.layer);
    return { name: ref.layer, shape: (layer && inputFromLayerConfig(layer)) ?? [null], dtype: typeof layer?.config.dtype === 'string' ? layer.config.dtype : 'float32' };
  });
  const graph: ModelGraph = { name, className, inputs, layers, inputRefs, outputRefs, sequential: false };
  checkGraph(graph);
  checkRuns(graph);
  return graph;
}

function sequentialGraph(name: string, layers: LayerNode[], raw: Json, env: ParseEnv): ModelGraph {
  const first = layers[0];
  let inputName: string;
  let shape: Shape | undefined;
  let dtype = 'float32';
  if (first?.className === 'InputLayer') {
    inputName = first.name;
    shape = inputFromLayerConfig(first);
    if (typeof first.config.dtype === 'string') dtype = first.config.dtype;
  } else {
    inputName = first ? `${first.name}_input` : 'input';
    shape = first ? inputFromLayerConfig(first) : undefined;
    const cfg = raw.config;
    shape ??= isObject(cfg) ? asShape(cfg.build_input_shape) : undefined;
    shape ??= isObject(raw.build_config) ? asShape(raw.build_config.input_shape) : undefined;
    if (first && layerKind(first.className)?.inputIs === 'tokens') dtype = 'int32';
  }
  if (!shape) env.warnings.push(`The Sequential model "${showName(name, 80)}" does not declare its input shape; shapes are shown as unknown.`);
  let prev: TensorRef = { layer: inputName, node: 0, tensor: 0 };
  for (const layer of layers) {
    if (layer.className === 'InputLayer') continue;
    layer.calls = [{ inputs: [prev], kwargs: {} }];
    prev = { layer: layer.name, node: 0, tensor: 0 };
  }
  return {
    name,
    className: 'Sequential',
    inputs: [{ name: inputName, shape: shape ?? [null], dtype }],
    layers,
    inputRefs: [{ layer: inputName, node: 0, tensor: 0 }],
    outputRefs: [prev],
    sequential: true,
  };
}

/** JSON nesting kept in a config: 64 nested models at a handful of levels each; deeper values break JSON.stringify. */
const MAX_JSON_DEPTH = 8 * MAX_NESTING_DEPTH;

/** True when any value inside `v` sits more than `max` arrays or objects deep (an iterative walk: no recursion). */
function deeperThan(v: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[v, 0]];
  while (stack.length) {
    const [x, depth] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (depth >= max) return true;
    if (Array.isArray(x)) {
      for (const y of x) if (typeof y === 'object' && y !== null) stack.push([y, depth + 1]);
    } else {
      for (const k in x) {
        const y = (x as Json)[k];
        if (typeof y === 'object' && y !== null) stack.push([y, depth + 1]);
      }
    }
  }
  return false;
}

/** The top of a model config: a graph, or a subclassed model that only declares itself. */
export function parseModelConfig(raw: unknown, env: ParseEnv): { graph: ModelGraph; notExecutable?: string } {
  const parsed = parseModelTop(raw, env);
  // The config is kept (layer configs are shown and sent as JSON); a value nested deeper than any model needs is refused.
  if (deeperThan(raw, MAX_JSON_DEPTH)) throw damaged(`The model config nests its values more than ${MAX_JSON_DEPTH} levels deep`);
  return parsed;
}

function parseModelTop(raw: unknown, env: ParseEnv): { graph: ModelGraph; notExecutable?: string } {
  if (!isObject(raw) || typeof raw.class_name !== 'string') {
    throw new NotAKerasFileError('The model config is not a Keras model description (no class_name).');
  }
  const className = raw.class_name;
  const custom = customReason(raw, className);
  const cfg = raw.config;
  const hasLayers = Array.isArray(cfg) || (isObject(cfg) && Array.isArray(cfg.layers));
  if (isObject(cfg) && cfg.layers != null && !Array.isArray(cfg.layers)) throw damaged(`The model config's layers are ${typeof cfg.layers}, not a list`);
  if (MODEL_CLASSES.has(className) && hasLayers && !custom) return { graph: parseGraph(raw, env) };
  if (hasLayers && !custom) return { graph: parseGraph({ ...raw, class_name: isObject(cfg) && cfg.input_layers ? 'Functional' : 'Sequential' }, env) };
  const buildShape = isObject(raw.build_config) ? asShape(raw.build_config.input_shape) : undefined;
  const reason =
    custom ??
    `"${showName(className, 60)}" is a subclassed model: its layers are defined in Python code that is not in the file, so only its weights can be shown.`;
  return {
    graph: {
      name: isObject(cfg) && typeof cfg.name === 'string' ? cfg.name : className,
      className,
      inputs: buildShape ? [{ name: 'input', shape: buildShape, dtype: 'float32' }] : [],
      layers: [],
      inputRefs: [],
      outputRefs: [],
      sequential: false,
    },
    notExecutable: `${reason} Nothing from it is run.`,
  };
}

export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError(`${what} is not valid JSON; check that it is the file written by model.to_json() or the model's config.json.`);
  }
}
