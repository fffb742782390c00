// Turns a Keras model config (Keras 1, 2 or 3 JSON) into the normalized layer graph: Keras 1 class and
// key names renamed, wrappers given their inner layers as children, nested models kept as graphs,
// functional inbound nodes resolved to tensor refs. Nothing in a config is ever evaluated.

import { InputError, NotAKerasFileError } from './errors';
import type { LayerCall, LayerNode, ModelGraph, ModelInput, TensorRef } from './model';
import type { Shape } from './shapes';

type Json = Record<string, unknown>;

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);
const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU', 'CuDNNLSTM', 'CuDNNGRU', 'ConvLSTM1D']);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keras 1 class names that became other names in Keras 2. */
const KERAS1_CLASSES: Record<string, string> = {
  Convolution1D: 'Conv1D',
  AtrousConvolution1D: 'Conv1D',
};

/** Keras 1 config keys renamed in Keras 2, per class family. */
const KERAS1_KEYS: Record<string, Record<string, string>> = {
  common: { init: 'kernel_initializer', W_regularizer: 'kernel_regularizer', b_regularizer: 'bias_regularizer', W_constraint: 'kernel_constraint', b_constraint: 'bias_constraint', bias: 'use_bias' },
  Dense: { output_dim: 'units' },
  recurrent: { output_dim: 'units', inner_activation: 'recurrent_activation', inner_init: 'recurrent_initializer', U_regularizer: 'recurrent_regularizer', dropout_W: 'dropout', dropout_U: 'recurrent_dropout' },
  Conv1D: { nb_filter: 'filters', filter_length: 'kernel_size', border_mode: 'padding', subsample_length: 'strides', atrous_rate: 'dilation_rate' },
  pooling: { pool_length: 'pool_size', stride: 'strides', border_mode: 'padding' },
  Dropout: { p: 'rate' },
};

function renameKeras1(className: string, config: Json): Json {
  const out: Json = { ...config };
  const tables = [KERAS1_KEYS.common];
  if (className === 'Dense') tables.push(KERAS1_KEYS.Dense);
  if (RECURRENT.has(className)) tables.push(KERAS1_KEYS.recurrent);
  if (className === 'Conv1D') tables.push(KERAS1_KEYS.Conv1D);
  if (/Pooling1D$/.test(className)) tables.push(KERAS1_KEYS.pooling);
  if (/Dropout/.test(className)) tables.push(KERAS1_KEYS.Dropout);
  for (const table of tables) {
    for (const [from, to] of Object.entries(table)) {
      if (from in out && !(to in out)) {
        out[to] = out[from];
        delete out[from];
      }
    }
  }
  for (const key of ['kernel_size', 'strides', 'pool_size', 'dilation_rate']) {
    if (typeof out[key] === 'number') out[key] = [out[key]];
  }
  // Keras 1 gave the input by input_dim/input_length instead of batch_input_shape.
  if (!out.batch_input_shape && (out.input_dim != null || out.input_length != null) && className !== 'Embedding') {
    if (out.input_dim != null) out.batch_input_shape = [null, out.input_length ?? null, out.input_dim];
  }
  if (className === 'Embedding' && !out.batch_input_shape && out.input_length != null) out.batch_input_shape = [null, out.input_length];
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
}

function customReason(raw: Json, className: string): string | undefined {
  const registered = typeof raw.registered_name === 'string' ? raw.registered_name : undefined;
  const module = typeof raw.module === 'string' ? raw.module : undefined;
  if (registered && registered !== className && registered.includes('>')) {
    return `"${registered}" is a custom class${module ? ` from the Python module "${module}"` : ''}; its code is not in the file, and this tool never imports or runs it.`;
  }
  if (module && !module.startsWith('keras') && !module.startsWith('tf_keras') && !module.startsWith('tensorflow')) {
    return `"${className}" comes from the Python module "${module}", not Keras; this tool never imports or runs it.`;
  }
  return undefined;
}

/** One layer's config object (`{class_name, config, ...}`) to a LayerNode (weights are bound later). */
export function parseLayer(raw: unknown, env: ParseEnv): LayerNode {
  if (!isObject(raw) || typeof raw.class_name !== 'string') {
    throw new NotAKerasFileError('The model config has a layer entry without a class_name; the file is damaged.');
  }
  const declared = raw.class_name;
  let className = KERAS1_CLASSES[declared] ?? declared;
  let config: Json = isObject(raw.config) ? { ...raw.config } : {};
  let notExecutable: string | undefined;
  if (env.kerasMajor === 1 || declared in KERAS1_CLASSES || 'output_dim' in config || 'nb_filter' in config || 'p' in config) {
    config = renameKeras1(className, config);
  }
  if (className === 'Merge') ({ className, config, notExecutable } = mergeClass(config));
  if (className === 'Lambda') notExecutable = `The Lambda layer "${String(config.name ?? '')}" holds Python code (${String(config.function_type ?? 'function')}) that this tool never runs.`;
  notExecutable ??= customReason(raw, className);
  const name = String(config.name ?? raw.name ?? className.toLowerCase());
  const node: LayerNode = {
    name,
    className,
    ...(declared !== className ? { declaredClassName: declared } : {}),
    config,
    weights: [],
    children: [],
    calls: [],
    ...(notExecutable ? { notExecutable } : {}),
  };
  if (MODEL_CLASSES.has(className)) {
    node.model = parseGraph(raw, env);
    node.name = node.model.name;
  } else if (className === 'TimeDistributed' && config.layer) {
    node.children.push(parseLayer(config.layer, env));
  } else if (className === 'Bidirectional' && config.layer) {
    const forward = parseLayer(config.layer, env);
    const innerName = forward.name.replace(/^forward_/, '');
    forward.name = `forward_${innerName}`;
    const backward = config.backward_layer
      ? parseLayer(config.backward_layer, env)
      : { ...parseLayer(config.layer, env), name: `backward_${innerName}` };
    if (!config.backward_layer) backward.config = { ...backward.config, go_backwards: !backward.config.go_backwards, name: backward.name };
    node.children.push(forward, backward);
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

/** A Keras 3 `__keras_tensor__` object or a Keras 1/2 `[layer, node, tensor, kwargs]` entry. */
function tensorRefOf(v: unknown): TensorRef | undefined {
  if (isObject(v) && v.class_name === '__keras_tensor__' && isObject(v.config)) {
    const h = v.config.keras_history;
    if (Array.isArray(h) && typeof h[0] === 'string') return { layer: h[0], node: Number(h[1] ?? 0), tensor: Number(h[2] ?? 0) };
  }
  if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'number') {
    return { layer: v[0], node: v[1], tensor: Number(v[2] ?? 0) };
  }
  return undefined;
}

function collectRefs(v: unknown, out: TensorRef[]): void {
  const ref = tensorRefOf(v);
  if (ref) out.push(ref);
  else if (Array.isArray(v)) for (const x of v) collectRefs(x, out);
}

function stripTensors(v: unknown): unknown {
  if (tensorRefOf(v)) return '<tensor>';
  if (Array.isArray(v)) return v.map(stripTensors);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stripTensors(x)]));
  return v;
}

function parseCall(rawNode: unknown, layer: LayerNode): LayerCall {
  const inputs: TensorRef[] = [];
  let initialState: TensorRef[] | undefined;
  let kwargs: Json = {};
  if (isObject(rawNode) && 'args' in rawNode) {
    // Keras 3: {args: [tensor | [tensors]], kwargs: {initial_state: [...], mask: ..., training: ...}}
    collectRefs(rawNode.args, inputs);
    const kw = isObject(rawNode.kwargs) ? rawNode.kwargs : {};
    if (kw.initial_state != null) {
      initialState = [];
      collectRefs(kw.initial_state, initialState);
    }
    const { initial_state: _ignored, ...rest } = kw;
    kwargs = stripTensors(rest) as Json;
  } else if (Array.isArray(rawNode)) {
    // Keras 1/2: [[layer, node, tensor, kwargs], ...]; a recurrent layer's extra inputs are its initial states.
    for (const entry of rawNode) {
      const ref = tensorRefOf(entry);
      if (ref) inputs.push(ref);
      if (Array.isArray(entry) && isObject(entry[3])) kwargs = { ...kwargs, ...(stripTensors(entry[3]) as Json) };
    }
    const recurrent = RECURRENT.has(layer.className) || (layer.className === 'Bidirectional');
    if (recurrent && inputs.length > 1) initialState = inputs.splice(1);
  }
  return { inputs, ...(initialState ? { initialState } : {}), kwargs };
}

function inputFromLayerConfig(layer: LayerNode): Shape | undefined {
  const c = layer.config;
  return asShape(c.batch_shape) ?? asShape(c.batch_input_shape) ?? (Array.isArray(c.input_shape) ? [null, ...asShape(c.input_shape)!] : undefined);
}

function refsList(v: unknown): TensorRef[] {
  if (!Array.isArray(v)) return [];
  if (typeof v[0] === 'string') {
    const one = tensorRefOf(v);
    return one ? [one] : [];
  }
  return v.map(tensorRefOf).filter((r): r is TensorRef => !!r);
}

/** `{class_name: 'Sequential'|'Functional'|'Model', config}` to a ModelGraph. */
export function parseGraph(raw: Json, env: ParseEnv): ModelGraph {
  const className = String(raw.class_name);
  const cfg = raw.config;
  const layerList: unknown[] = Array.isArray(cfg) ? cfg : isObject(cfg) && Array.isArray(cfg.layers) ? cfg.layers : [];
  const name = isObject(cfg) && typeof cfg.name === 'string' ? cfg.name : className.toLowerCase();
  const layers = layerList.map((l) => parseLayer(l, env));
  const seen = new Set<string>();
  for (const l of layers) {
    if (seen.has(l.name)) env.warnings.push(`Two layers are named "${l.name}"; the second is shown as it is declared.`);
    seen.add(l.name);
  }
  if (className === 'Sequential') return sequentialGraph(name, layers, raw, env);
  // Functional: inbound nodes per layer, explicit inputs and outputs.
  layerList.forEach((rawLayer, i) => {
    const nodes = isObject(rawLayer) && Array.isArray(rawLayer.inbound_nodes) ? rawLayer.inbound_nodes : [];
    layers[i].calls = nodes.map((n) => parseCall(n, layers[i]));
  });
  const c = isObject(cfg) ? cfg : {};
  const inputRefs = refsList(c.input_layers);
  const outputRefs = refsList(c.output_layers);
  const inputs: ModelInput[] = inputRefs.map((ref) => {
    const layer = layers.find((l) => l.name === ref.layer);
    return { name: ref.layer, shape: (layer && inputFromLayerConfig(layer)) ?? [null], dtype: String(layer?.config.dtype ?? 'float32') };
  });
  return { name, className, inputs, layers, inputRefs, outputRefs, sequential: false };
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
    if (first?.className === 'Embedding') dtype = 'int32';
  }
  if (!shape) env.warnings.push(`The Sequential model "${name}" does not declare its input shape; shapes are shown as unknown.`);
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

/** The top of a model config: a graph, or a subclassed model that only declares itself. */
export function parseModelConfig(raw: unknown, env: ParseEnv): { graph: ModelGraph; notExecutable?: string } {
  if (!isObject(raw) || typeof raw.class_name !== 'string') {
    throw new NotAKerasFileError('The model config is not a Keras model description (no class_name).');
  }
  const className = raw.class_name;
  const custom = customReason(raw, className);
  const cfg = raw.config;
  const hasLayers = Array.isArray(cfg) || (isObject(cfg) && Array.isArray(cfg.layers));
  if (MODEL_CLASSES.has(className) && hasLayers && !custom) return { graph: parseGraph(raw, env) };
  if (hasLayers && !custom) return { graph: parseGraph({ ...raw, class_name: isObject(cfg) && cfg.input_layers ? 'Functional' : 'Sequential' }, env) };
  const buildShape = isObject(raw.build_config) ? asShape(raw.build_config.input_shape) : undefined;
  const reason =
    custom ??
    `"${className}" is a subclassed model: its layers are defined in Python code that is not in the file, so only its weights can be shown.`;
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
