// Keras activations at inference, chosen by name (string or Keras 3 serialized object).
// hard_sigmoid differs by version: Keras 2 clip(0.2x+0.5), Keras 3 relu6(x+3)/6.

import { UnsupportedFeatureError } from './errors';

export type ActivationFn = (x: number) => number;

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Error function (Abramowitz-Stegun 7.1.26 is too coarse for gelu; use a high-precision series/continued fraction). */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series converges fast here; 60 terms reach double precision for |x| < 2.5.
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return sign * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction for erfc at large |x| (Lentz), accurate to ~1e-16.
  const x2 = ax * ax;
  let f = ax;
  let c = ax;
  let d = 0;
  for (let k = 1; k < 200; k++) {
    const a = k / 2;
    d = ax + a * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = ax + a / c;
    if (c === 0) c = 1e-300;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-x2) / (f * Math.sqrt(Math.PI));
  return sign * (1 - erfc);
}

const softplus: ActivationFn = (x) => (x > 30 ? x : x < -30 ? Math.exp(x) : Math.log1p(Math.exp(x)));
/** Keras's sigmoid; recurrent cells recognize it by identity to use the vectorized kernel. */
export const sigmoid: ActivationFn = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

function elementwise(name: string, kerasMajor: 1 | 2 | 3, config: Record<string, unknown>): ActivationFn | undefined {
  switch (name) {
    case 'linear':
    case 'None':
      return (x) => x;
    case 'tanh':
      return Math.tanh;
    case 'sigmoid':
      return sigmoid;
    case 'hard_sigmoid':
      return kerasMajor >= 3
        ? (x) => Math.min(Math.max(x + 3, 0), 6) / 6
        : (x) => Math.min(Math.max(0.2 * x + 0.5, 0), 1);
    case 'hard_silu':
    case 'hard_swish':
      return (x) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
    case 'relu': {
      const alpha = Number(config.negative_slope ?? config.alpha ?? 0);
      const maxValue = config.max_value == null ? Infinity : Number(config.max_value);
      const threshold = Number(config.threshold ?? 0);
      const clip = config.max_value != null;
      // As Keras computes it: x where x > threshold (strictly), else 0; clipped to [0, max_value]; minus the slope part.
      return (x) => {
        let y = threshold !== 0 ? (x > threshold ? x : 0) : Math.max(x, 0);
        if (clip) y = Math.min(Math.max(y, 0), maxValue);
        return alpha !== 0 ? y - alpha * Math.max(threshold - x, 0) : y;
      };
    }
    case 'relu6':
      return (x) => Math.min(Math.max(x, 0), 6);
    case 'elu': {
      const alpha = Number(config.alpha ?? 1);
      return (x) => (x > 0 ? x : alpha * Math.expm1(x));
    }
    case 'selu':
      return (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
    case 'softplus':
      return softplus;
    case 'softsign':
      return (x) => x / (1 + Math.abs(x));
    case 'swish':
    case 'silu':
      return (x) => x * sigmoid(x);
    case 'gelu': {
      // Keras default approximate=False in Keras 3 (exact erf form); tf.keras 2 also defaults to False.
      const approximate = config.approximate === true;
      return approximate
        ? (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
        : (x) => 0.5 * x * (1 + erf(x / Math.SQRT2));
    }
    case 'exponential':
      return Math.exp;
    case 'leaky_relu': {
      const slope = Number(config.negative_slope ?? config.alpha ?? 0.2);
      return (x) => (x >= 0 ? x : slope * x);
    }
    case 'mish':
      return (x) => x * Math.tanh(softplus(x));
    default:
      return undefined;
  }
}

/** Splits a Keras activation spec into a name and its config. */
export function activationName(spec: unknown): { name: string; config: Record<string, unknown> } {
  if (spec == null) return { name: 'linear', config: {} };
  if (typeof spec === 'string') return { name: spec, config: {} };
  if (typeof spec === 'object') {
    const o = spec as Record<string, unknown>;
    const cfg = (o.config && typeof o.config === 'object' ? o.config : {}) as Record<string, unknown>;
    // Keras 3 serializes plain functions as {module: 'keras.activations', class_name: 'function', config: 'tanh'}.
    if (typeof o.config === 'string') return { name: o.config, config: {} };
    const raw = String(cfg.name ?? o.class_name ?? 'linear');
    return { name: raw, config: cfg };
  }
  return { name: String(spec), config: {} };
}

function normalizeName(name: string): string {
  // Accept layer-class spellings (ReLU, LeakyReLU) and module paths (keras.activations.relu).
  const base = name.split('.').pop() ?? name;
  const map: Record<string, string> = { ReLU: 'relu', LeakyReLU: 'leaky_relu', ELU: 'elu', Softmax: 'softmax' };
  return map[base] ?? base;
}

/** The elementwise activation function, or an UnsupportedFeatureError naming it. softmax is not elementwise. */
export function activationFn(spec: unknown, kerasMajor: 1 | 2 | 3): ActivationFn {
  const { name, config } = activationName(spec);
  const fn = elementwise(normalizeName(name), kerasMajor, config);
  if (!fn) throw new UnsupportedFeatureError(`The activation "${name}" is not supported by the forward pass.`);
  return fn;
}

/** Applies an activation in place over data whose last axis has `lastDim` entries (softmax needs it). */
export function applyActivation(spec: unknown, data: Float64Array, lastDim: number, kerasMajor: 1 | 2 | 3): void {
  const { name, config } = activationName(spec);
  const n = normalizeName(name);
  if (n === 'softmax' || n === 'log_softmax') {
    const axis = config.axis;
    if (axis !== undefined && axis !== -1 && !(Array.isArray(axis) && axis.length === 1 && axis[0] === -1)) {
      throw new UnsupportedFeatureError(`softmax over axis ${JSON.stringify(axis)} is not supported; only the last axis is.`);
    }
    for (let start = 0; start < data.length; start += lastDim) {
      let max = -Infinity;
      for (let j = 0; j < lastDim; j++) max = Math.max(max, data[start + j]);
      let sum = 0;
      for (let j = 0; j < lastDim; j++) sum += Math.exp(data[start + j] - max);
      for (let j = 0; j < lastDim; j++) {
        const shifted = data[start + j] - max;
        data[start + j] = n === 'softmax' ? Math.exp(shifted) / sum : shifted - Math.log(sum);
      }
    }
    return;
  }
  if (n === 'linear' || n === 'None') return;
  const fn = activationFn(spec, kerasMajor);
  for (let i = 0; i < data.length; i++) data[i] = fn(data[i]);
}
