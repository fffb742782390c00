// What every layer module's NumPy emitter shares: the emit context the export hands it, the checked ways to turn
// config values into Python literals, weight lookup, activations, and the Python helpers common to many kinds.
// A layer module owns its emitter (`numpy` in its LayerKind) and any Python helper only it needs (`numpyHelpers`).
//
// Every name, string and number from the model file is untrusted: names reach the script only as Python string
// literals (pyStr, quoted), also inside comments; numbers only after a check that they are numbers (pyInt, pyFloat,
// cfgInt, cfgFloat); config strings only when they are one of the values the script knows (cfgChoice, activations).
// Nothing from a file becomes code.

import { activationName } from '../activations';
import { UnsupportedFeatureError } from '../errors';
import type { LayerCall, LayerNode, ModelDocument, WeightRef } from '../model';
import { MAX_SHOWN_NAME, pyStr, showName } from '../safeText';

/** Python expressions for the tensors of one layer call's output, and their time masks ('None' when none). */
export interface Emitted {
  vars: string[];
  masks: string[];
}

export interface EmitContext {
  doc: ModelDocument;
  /** Lines of forward()'s body (without indentation). */
  out: string[];
  /** Names of the Python helper functions the script must define: shared ones (SHARED_HELPERS) or a kind's numpyHelpers. */
  helpers: Set<string>;
  /** A fresh Python variable made from a name (sanitized, never clashing with another variable or helper). */
  fresh(base: string): string;
  /** Python expression for a weight: `weights('lstm_1/kernel')`, registered for the data section. */
  weight(layer: LayerNode, w: WeightRef, prefix?: string): string;
  /** The Python function for a Keras activation spec (registers the helpers it needs); refuses unknown ones. */
  act(spec: unknown): string;
  /** The emitter of a wrapper's inner layer, from the registry; throws UnsupportedLayerError when it has none. */
  emitterOf(inner: LayerNode, wrapper: LayerNode): NumpyEmitter;
  /** The layer being written, for messages. */
  layerName: string;
  /** A readable script (a small model): weights as np.array literals, and recurrent layers keep every h_t to print. */
  readable?: boolean;
}

/**
 * Writes one layer call into forward(): pushes lines to `cx.out` assigning `target` (and `target__*` names derived
 * from it), and returns the Python expressions of the call's outputs. `inputs` holds the call's inputs, then its
 * initial states. Emitters may only put strings from the file into the script through pyStr/quoted/word.
 */
export type NumpyEmitter = (layer: LayerNode, call: LayerCall, inputs: Emitted, cx: EmitContext, target: string) => Emitted;

// ---------------------------------------------------------------------------------------------
// Python helpers used by many kinds (activations); a kind-specific one lives in its module's numpyHelpers

export const SHARED_HELPERS: Readonly<Record<string, string>> = {
  linear: 'def linear(x):\n    return x',
  sigmoid: 'def sigmoid(x):\n    return 1.0 / (1.0 + np.exp(-x))',
  hard_sigmoid_k2: 'def hard_sigmoid_k2(x):\n    """Keras 2: clip(0.2x + 0.5, 0, 1)."""\n    return np.clip(0.2 * x + 0.5, 0.0, 1.0)',
  hard_sigmoid_k3: 'def hard_sigmoid_k3(x):\n    """Keras 3: relu6(x + 3) / 6."""\n    return np.clip(x + 3.0, 0.0, 6.0) / 6.0',
  hard_silu: 'def hard_silu(x):\n    return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0',
  relu6: 'def relu6(x):\n    return np.clip(x, 0.0, 6.0)',
  selu: 'def selu(x):\n    return 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0)))',
  softplus: 'def softplus(x):\n    return np.logaddexp(0.0, x)',
  softsign: 'def softsign(x):\n    return x / (1.0 + np.abs(x))',
  swish: 'def swish(x):\n    return x * sigmoid(x)',
  gelu_exact: 'def gelu_exact(x):\n    """0.5·x·(1 + erf(x/√2))."""\n    return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))',
  gelu_tanh:
    'def gelu_tanh(x):\n    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))',
  mish: 'def mish(x):\n    return x * np.tanh(softplus(x))',
  softmax: 'def softmax(x):\n    """Over the last axis."""\n    e = np.exp(x - x.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)',
  log_softmax: 'def log_softmax(x):\n    s = x - x.max(axis=-1, keepdims=True)\n    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))',
};

/** The source of a helper must define the function its key names (checked when the export builds its table). */
export function helperName(source: string): string | undefined {
  return /^def (\w+)\(/.exec(source)?.[1];
}

// ---------------------------------------------------------------------------------------------
// Names from the file in comments

/** A name from the file inside a comment: as a Python string literal (nothing can end the comment), cut to 80. */
export function quoted(name: string): string {
  const chars = Array.from(String(name));
  return chars.length <= MAX_SHOWN_NAME ? pyStr(name) : `${pyStr(chars.slice(0, MAX_SHOWN_NAME).join(''))}… (${chars.length} characters)`;
}

/** A class name in a comment: as it is when it is a plain identifier (all real ones), else quoted. */
export function word(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) ? name : quoted(name);
}

// ---------------------------------------------------------------------------------------------
// Numbers and activations

/** A number from the config, or an UnsupportedFeatureError: JSON numbers, or strings that spell one. */
export function configNumber(v: unknown, what: string, layerName: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) return Number(v);
  throw new UnsupportedFeatureError(`The layer "${showName(layerName)}" has ${what} ${showName(JSON.stringify(v) ?? String(v), 40)}, which is not a number, so it cannot be exported.`);
}

/** A whole number from the config as a Python int literal, or an UnsupportedFeatureError. */
export function pyInt(v: unknown, what: string, layerName: string): string {
  const n = configNumber(v, what, layerName);
  if (!Number.isSafeInteger(n)) throw new UnsupportedFeatureError(`The layer "${showName(layerName)}" has ${what} ${n}, which is not a whole number, so it cannot be exported.`);
  return String(n);
}

/** A list of whole numbers from the config (axes, dims, a target shape). */
export function pyInts(v: unknown, what: string, layerName: string): string[] {
  if (!Array.isArray(v)) throw new UnsupportedFeatureError(`The layer "${showName(layerName)}" has ${what} that is not a list, so it cannot be exported.`);
  return v.map((x) => pyInt(x, what, layerName));
}

/** A stored tensor's shape as Python ints (from the file's headers, so checked too). */
export function dims(shape: readonly unknown[], layerName: string): string[] {
  return pyInts(shape, 'a weight shape', layerName);
}

export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'float("nan")';
  if (!Number.isFinite(v)) return v > 0 ? 'float("inf")' : 'float("-inf")';
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

export function pyBool(v: boolean): string {
  return v ? 'True' : 'False';
}

/** The activations the script can write out; any other name is refused, never written into the script. */
export const KNOWN_ACTIVATIONS = new Set([
  'linear', 'None', 'tanh', 'sigmoid', 'hard_sigmoid', 'hard_silu', 'hard_swish', 'relu', 'relu6', 'elu', 'selu', 'softplus',
  'softsign', 'swish', 'silu', 'gelu', 'exponential', 'leaky_relu', 'mish', 'softmax', 'log_softmax',
]);
export const ACTIVATION_CLASSES: Record<string, string> = { ReLU: 'relu', LeakyReLU: 'leaky_relu', ELU: 'elu', Softmax: 'softmax' };

/** A Keras activation spec as one of KNOWN_ACTIVATIONS (module paths like `keras.activations.relu` allowed). */
export function knownActivation(spec: unknown, layerName: string): { name: string; config: Record<string, unknown> } {
  const { name: raw, config } = activationName(spec);
  const m = /^(?:[A-Za-z_][A-Za-z0-9_]*\.){0,4}([A-Za-z_][A-Za-z0-9_]*)$/.exec(String(raw));
  const name = m ? (ACTIVATION_CLASSES[m[1]] ?? m[1]) : '';
  if (!KNOWN_ACTIVATIONS.has(name)) {
    throw new UnsupportedFeatureError(`The activation "${showName(raw, 40)}" of layer "${showName(layerName)}" is not supported by the NumPy export.`);
  }
  return { name, config: config && typeof config === 'object' ? config : {} };
}

/** The Python function (or lambda) for a Keras activation spec; registers the helpers it needs. */
export function pyActivation(spec: unknown, kerasMajor: 1 | 2 | 3, helpers: Set<string>, layerName: string): string {
  const { name, config } = knownActivation(spec, layerName);
  const num = (v: unknown, what: string) => pyFloat(configNumber(v, what, layerName));
  const use = (h: string, ...deps: string[]) => {
    for (const d of deps) helpers.add(d);
    helpers.add(h);
    return h;
  };
  switch (name) {
    case 'linear':
    case 'None':
      return use('linear');
    case 'tanh':
      return 'np.tanh';
    case 'sigmoid':
      return use('sigmoid');
    case 'hard_sigmoid':
      return kerasMajor >= 3 ? use('hard_sigmoid_k3') : use('hard_sigmoid_k2');
    case 'hard_silu':
    case 'hard_swish':
      return use('hard_silu');
    case 'relu': {
      const alpha = configNumber(config.negative_slope ?? config.alpha ?? 0, 'a relu negative_slope', layerName);
      const threshold = configNumber(config.threshold ?? 0, 'a relu threshold', layerName);
      // Keras: x where x > threshold (strictly), else 0; clipped to [0, max_value]; minus negative_slope·relu(threshold − x).
      let expr = threshold === 0 ? 'np.maximum(x, 0.0)' : `np.where(x > ${pyFloat(threshold)}, x, 0.0)`;
      if (config.max_value != null) expr = `np.clip(${expr}, 0.0, ${num(config.max_value, 'a relu max_value')})`;
      if (alpha !== 0) expr = `${expr} - ${pyFloat(alpha)} * np.maximum(${pyFloat(threshold)} - x, 0.0)`;
      return `(lambda x: ${expr})`;
    }
    case 'relu6':
      return use('relu6');
    case 'elu': {
      return `(lambda x: np.where(x > 0, x, ${num(config.alpha ?? 1, 'an elu alpha')} * np.expm1(np.minimum(x, 0))))`;
    }
    case 'selu':
      return use('selu');
    case 'softplus':
      return use('softplus');
    case 'softsign':
      return use('softsign');
    case 'swish':
    case 'silu':
      return use('swish', 'sigmoid');
    case 'gelu':
      return config.approximate === true ? use('gelu_tanh') : use('gelu_exact');
    case 'exponential':
      return 'np.exp';
    case 'leaky_relu': {
      return `(lambda x: np.where(x >= 0, x, ${num(config.negative_slope ?? config.alpha ?? 0.2, 'a leaky_relu slope')} * x))`;
    }
    case 'mish':
      return use('mish', 'softplus');
    case 'softmax':
    case 'log_softmax': {
      const axis = config.axis;
      if (axis !== undefined && axis !== -1 && !(Array.isArray(axis) && axis.length === 1 && axis[0] === -1)) {
        throw new UnsupportedFeatureError(`The NumPy export supports softmax over the last axis only, but "${showName(layerName)}" uses axis ${showName(JSON.stringify(axis) ?? String(axis), 40)}.`);
      }
      return use(name);
    }
    default:
      throw new UnsupportedFeatureError(`The activation "${name}" of layer "${showName(layerName)}" is not supported by the NumPy export.`);
  }
}

// ---------------------------------------------------------------------------------------------
// Weights by name (any alias), else by position when the file names them only by position

export function weightByAlias(layer: LayerNode, aliases: readonly string[], position: number, weights = layer.weights): WeightRef | undefined {
  for (const w of weights) if (aliases.includes(w.short)) return w;
  const named = weights.some((w) => /^(kernel|recurrent_kernel|bias|embeddings|gamma|beta|moving_mean|moving_variance|W|U|b)$/.test(w.short));
  return !named && position < weights.length ? weights[position] : undefined;
}

export function needWeight(layer: LayerNode, aliases: readonly string[], position: number, weights = layer.weights): WeightRef {
  const w = weightByAlias(layer, aliases, position, weights);
  if (!w) throw new UnsupportedFeatureError(`The layer "${showName(layer.name)}" (${showName(layer.className, 40)}) has no stored "${aliases[0]}" weight, so it cannot be exported.`);
  return w;
}

export function cfg(layer: LayerNode, key: string, fallback: unknown): unknown {
  const v = layer.config[key];
  return v === undefined || v === null ? fallback : v;
}

/** A whole number from the config (Keras 2/3 store `strides` as `[2]`), as a Python int literal. */
export function cfgInt(layer: LayerNode, key: string, fallback: number): string {
  let v = cfg(layer, key, fallback);
  if (Array.isArray(v)) v = v[0];
  return pyInt(v, `a "${key}"`, layer.name);
}

/** A number from the config as a Python float literal (NaN and infinities spelled as float('nan') etc.). */
export function cfgFloat(layer: LayerNode, key: string, fallback: number): string {
  return pyFloat(configNumber(cfg(layer, key, fallback), `a "${key}"`, layer.name));
}

/** A config string that must be one of `allowed` (compared in lower case, as the forward pass does). */
export function cfgChoice<T extends string>(layer: LayerNode, keys: readonly string[], fallback: T, allowed: readonly T[]): T {
  let v: unknown = fallback;
  for (const k of keys) {
    if (layer.config[k] !== undefined && layer.config[k] !== null) {
      v = layer.config[k];
      break;
    }
  }
  const low = typeof v === 'string' ? v.toLowerCase() : v;
  if (!allowed.includes(low as T)) {
    throw new UnsupportedFeatureError(`The layer "${showName(layer.name)}" has ${keys[0]} ${showName(JSON.stringify(v) ?? String(v), 40)}; the NumPy export handles ${allowed.join(', ')}.`);
  }
  return low as T;
}

export function one(layer: LayerNode, inputs: Emitted): string {
  if (inputs.vars.length < 1) throw new UnsupportedFeatureError(`The layer "${showName(layer.name)}" received no input.`);
  return inputs.vars[0];
}

// ---------------------------------------------------------------------------------------------
// Passing through

/** The input's time mask, unchanged: for layers that keep the time axis. */
export const passMask = (inputs: Emitted): string[] => [inputs.masks[0] ?? 'None'];

/** A layer call that passes its input through unchanged at inference (mask included). */
export const passThrough: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  cx.out.push(`${target} = ${one(layer, inputs)}  # ${word(layer.className)} does nothing at inference`);
  return { vars: [target], masks: passMask(inputs) };
};

/** An axis setting (one number or a list of them, negative counting from the end) as Python ints. */
export function cfgAxes(layer: LayerNode, key = 'axis', fallback: unknown = -1): string[] {
  const a = cfg(layer, key, fallback);
  return pyInts(Array.isArray(a) ? a : [a], `an "${key}"`, layer.name);
}
