// Writes a standalone Python script (NumPy only) that recomputes a model's forward pass by hand, step by step as
// the classic notebooks do, with the weights and the input embedded exactly (base64 of the stored float32 bytes).
// Each layer module writes its own kind (`numpy` in its LayerKind, helpers in layers/numpyEmit.ts); this file keeps
// the graph walk, in the same order as the forward runner, and the script template.

import { UnsupportedFeatureError, UnsupportedLayerError } from './errors';
import type { LayerCall, LayerNode, ModelDocument, ModelGraph, TensorRef, WeightRef } from './model';
import type { Tensor } from './tensor';
import { executionOrder } from './graph';
import { knownLayerClasses, layerKind } from './layers';
import {
  cfg,
  cfgChoice,
  cfgFloat,
  cfgInt,
  dims,
  findWeight,
  helperName,
  knownActivation,
  needWeight,
  one,
  passMask,
  passThrough,
  pyActivation,
  pyBool,
  pyInt,
  pyInts,
  quoted,
  SHARED_HELPERS,
  shortName,
  word,
  type EmitContext,
  type Emitted,
  type NumpyEmitter,
} from './layers/numpyEmit';
import { pyStr, showName } from './safeText';

// Every name, string and number from the model file is untrusted: names reach the script only as Python string
// literals (pyStr), also inside comments; numbers only after a check that they are numbers; config strings only
// when they are one of the values the script knows (padding, activation). Nothing from a file becomes code.
// layers/numpyEmit.ts holds the checked conversions every emitter uses.

export interface NumpyExportOptions {
  /** A line naming where the script came from (file name), shown in its docstring. */
  title?: string;
}

type Emitter = NumpyEmitter;

// ---------------------------------------------------------------------------------------------
// Base64 of little-endian bytes (no Buffer: this module also runs in the browser)

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function base64(bytes: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((i + 1 < bytes.length ? bytes[i + 1] : 0) << 8);
    s += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + '=';
  }
  return s;
}

function leBytes(values: Float32Array | Float64Array): Uint8Array {
  const size = values instanceof Float32Array ? 4 : 8;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (size === 4) view.setFloat32(i * 4, values[i], true);
    else view.setFloat64(i * 8, values[i], true);
  }
  return out;
}

function chunk(s: string, width = 100): string {
  const parts: string[] = [];
  for (let i = 0; i < s.length; i += width) parts.push(`'${s.slice(i, i + width)}'`);
  return parts.length === 0 ? "''" : parts.join('\n        ');
}

// ---------------------------------------------------------------------------------------------
// Python helpers, emitted only when used

// Kind-specific helpers not yet moved into their layer modules (keyed by function name, as numpyHelpers are).
const UNMOVED_HELPERS: Record<string, string> = {
  run_simple_rnn: `def run_simple_rnn(x, W_x, W_h, b, act, h0=None, mask=None, go_backwards=False, return_sequences=False,
               zero_output_for_mask=False):
    """SimpleRNN over x (N×T×D): h_t = act(x_t·W_x + h_{t-1}·W_h + b), with W_x D×M, W_h M×M, b M."""
    N, T, D = x.shape
    M = W_h.shape[0]
    h = np.zeros((N, M)) if h0 is None else h0[0]
    y = np.zeros((N, M))  # the output of the last step (equals h unless a mask carried it over)
    ys = []
    for t in (range(T - 1, -1, -1) if go_backwards else range(T)):
        h_new = act(x[:, t] @ W_x + h @ W_h + b)
        if mask is None:
            h = y = h_new
        else:
            keep = mask[:, t][:, None]  # 0 where step t is masked: keep the previous state
            h = np.where(keep, h_new, h)
            y = np.where(keep, h_new, 0.0 if zero_output_for_mask else y)
        ys.append(y)
    return (np.stack(ys, axis=1) if return_sequences else y), [h]`,
  run_lstm: `def run_lstm(x, W_x, W_h, b, act, rec_act, h0=None, mask=None, go_backwards=False, return_sequences=False,
         zero_output_for_mask=False):
    """LSTM over x (N×T×D): z = x_t·W_x + h_{t-1}·W_h + b is split into the gates i, f, c~ (g), o (each M wide);
    c_t = f·c_{t-1} + i·g and h_t = o·act(c_t). W_x is D×4M, W_h M×4M, b 4M."""
    N, T, D = x.shape
    M = W_h.shape[0]
    h = np.zeros((N, M)) if h0 is None else h0[0]
    c = np.zeros((N, M)) if h0 is None else h0[1]
    y = np.zeros((N, M))
    ys = []
    for t in (range(T - 1, -1, -1) if go_backwards else range(T)):
        z = x[:, t] @ W_x + h @ W_h + b
        i = rec_act(z[:, :M])
        f = rec_act(z[:, M:2 * M])
        g = act(z[:, 2 * M:3 * M])
        o = rec_act(z[:, 3 * M:])
        c_new = f * c + i * g
        h_new = o * act(c_new)
        if mask is None:
            h, c, y = h_new, c_new, h_new
        else:
            keep = mask[:, t][:, None]  # 0 where step t is masked: keep the previous h and c
            h = np.where(keep, h_new, h)
            c = np.where(keep, c_new, c)
            y = np.where(keep, h_new, 0.0 if zero_output_for_mask else y)
        ys.append(y)
    return (np.stack(ys, axis=1) if return_sequences else y), [h, c]`,
  run_gru: `def run_gru(x, W_x, W_h, b, act, rec_act, reset_after, h0=None, mask=None, go_backwards=False,
        return_sequences=False, zero_output_for_mask=False):
    """GRU over x (N×T×D) with gates z (update), r (reset) and the candidate h~ (hh), each M wide.
    reset_after=True (Keras 2.x tf.keras and 3 default): b is 2×3M (input bias, recurrent bias) and
        hh = act(x_h + r·(h·W_h_h + b_rec_h));
    reset_after=False (older): b is 3M and hh = act(x_h + (r·h)·W_h_h).  Then h_t = z·h_{t-1} + (1-z)·hh."""
    N, T, D = x.shape
    M = W_h.shape[0]
    b_in, b_rec = (b[0], b[1]) if reset_after else (b, np.zeros(3 * M))
    h = np.zeros((N, M)) if h0 is None else h0[0]
    y = np.zeros((N, M))
    ys = []
    for t in (range(T - 1, -1, -1) if go_backwards else range(T)):
        xw = x[:, t] @ W_x + b_in
        if reset_after:
            inner = h @ W_h + b_rec
            z = rec_act(xw[:, :M] + inner[:, :M])
            r = rec_act(xw[:, M:2 * M] + inner[:, M:2 * M])
            hh = act(xw[:, 2 * M:] + r * inner[:, 2 * M:])
        else:
            z = rec_act(xw[:, :M] + h @ W_h[:, :M])
            r = rec_act(xw[:, M:2 * M] + h @ W_h[:, M:2 * M])
            hh = act(xw[:, 2 * M:] + (r * h) @ W_h[:, 2 * M:])
        h_new = z * h + (1.0 - z) * hh
        if mask is None:
            h = y = h_new
        else:
            keep = mask[:, t][:, None]
            h = np.where(keep, h_new, h)
            y = np.where(keep, h_new, 0.0 if zero_output_for_mask else y)
        ys.append(y)
    return (np.stack(ys, axis=1) if return_sequences else y), [h]`,
  run_conv1d: `def run_conv1d(x, W, b, strides, padding, dilation, act):
    """Conv1D over x (N×T×C): y[n, t, f] = sum_j sum_c x[n, t·s + j·dil, c]·W[j, c, f] + b[f]; W is k×C×F."""
    N, T, C = x.shape
    k, _, F = W.shape
    span = (k - 1) * dilation + 1
    if padding == 'causal':
        x = np.pad(x, ((0, 0), (span - 1, 0), (0, 0)))
    elif padding == 'same':
        out_len = -(-T // strides)
        pad = max((out_len - 1) * strides + span - T, 0)
        x = np.pad(x, ((0, 0), (pad // 2, pad - pad // 2), (0, 0)))
    T_out = (x.shape[1] - span) // strides + 1
    y = np.zeros((N, T_out, F)) + (0.0 if b is None else b)
    for j in range(k):
        start = j * dilation
        y += x[:, start:start + (T_out - 1) * strides + 1:strides] @ W[j]
    return act(y)`,
  run_pool1d: `def run_pool1d(x, size, strides, padding, kind):
    """Max or average pooling over time (N×T×C). 'same' pads so that T_out = ceil(T / strides);
    the average counts only real (unpadded) steps, as Keras does."""
    N, T, C = x.shape
    if padding == 'same':
        T_out = -(-T // strides)
        pad = max((T_out - 1) * strides + size - T, 0)
        left = pad // 2
    else:
        T_out = (T - size) // strides + 1
        left = 0
    y = np.zeros((N, T_out, C))
    for t in range(T_out):
        lo = max(t * strides - left, 0)
        hi = min(t * strides - left + size, T)
        window = x[:, lo:hi]
        y[:, t] = window.max(axis=1) if kind == 'max' else window.mean(axis=1)
    return y`,
};

let helperTable: Map<string, string> | undefined;

/**
 * Every Python helper a script may define, by function name: the shared ones, then each registered kind's
 * numpyHelpers. A name two kinds define differently is a programming error, caught on first use.
 */
function pythonHelpers(): Map<string, string> {
  if (helperTable) return helperTable;
  const table = new Map<string, string>();
  const add = (name: string, source: string, owner: string) => {
    if (helperName(source) !== name) throw new Error(`The NumPy helper "${name}" of ${owner} does not define a function of that name.`);
    const had = table.get(name);
    if (had !== undefined && had !== source) throw new Error(`The NumPy helper "${name}" is defined twice, differently (${owner}).`);
    table.set(name, source);
  };
  for (const [name, source] of Object.entries(SHARED_HELPERS)) add(name, source, 'numpyEmit.ts');
  for (const cls of knownLayerClasses()) {
    for (const [name, source] of Object.entries(layerKind(cls)?.numpyHelpers ?? {})) add(name, source, cls);
  }
  for (const [name, source] of Object.entries(UNMOVED_HELPERS)) add(name, source, 'numpyExport.ts');
  helperTable = table;
  return table;
}

/** The longest Python variable made from a layer name (a 10 KB name would make every line 10 KB). */
const MAX_VARIABLE = 40;

/**
 * A Python identifier from a name: ASCII letters, digits and single underscores, never ending in `_`, so that the
 * emitters' derived names (`<target>__mask`, `<target>__states`, ...) cannot equal any identifier made here.
 */
function sanitize(name: string): string {
  const clean = (t: string) => t.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  let s = clean(clean(name).slice(0, MAX_VARIABLE));
  if (!/^[A-Za-z]/.test(s)) s = s ? `v_${s}` : 'v';
  // The script's helper functions are reserved too: a variable named like one would hide it inside forward().
  if (PY_RESERVED.has(s) || pythonHelpers().has(s)) s = `${s}_v`;
  return s;
}

const PY_RESERVED = new Set([
  // keywords
  'and', 'as', 'assert', 'async', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif', 'else', 'except', 'False',
  'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'None', 'nonlocal', 'not', 'or', 'pass',
  'raise', 'return', 'True', 'try', 'while', 'with', 'yield',
  // builtins and modules the script uses
  'float', 'int', 'len', 'list', 'max', 'min', 'print', 'range', 'tuple', 'zip', 'enumerate', 'map', 'str', 'abs', 'sum',
  'np', 'math', 'json', 'sys', 'base64',
  // the script's own functions, tables and the emitters' fixed locals
  'weights', 'data', 'record', 'shown', 'main', 'forward', 'layers', 'LAYERS', 'WEIGHTS', 'INPUTS', 'MODEL_FILE',
  'KERAS_VERSION', 'FILE_FORMAT', 'outputs', 'mean', 'var', 'scores', 'E', 'bn_shape', 'ln_axes', 'dot_axes', 'x', 'y',
  'h', 'c', 'b', 'W', 'W_x', 'W_h', 'mask', 'v', '__debug__',
  // loop variables of the comprehensions the emitters write (a layer variable `a` would be shadowed inside them)
  'a', 'p', 'q',
]);

// ---------------------------------------------------------------------------------------------
// Emitters, one per layer kind

const inputLayer: Emitter = (layer, _call, inputs, cx, target) => {
  cx.out.push(`${target} = ${one(layer, inputs)}`);
  return { vars: [target], masks: passMask(inputs) };
};

const dense: Emitter = (layer, _call, inputs, cx, target) => {
  const W = needWeight(layer, ['kernel', 'W'], 0);
  const useBias = cfg(layer, 'use_bias', cfg(layer, 'bias', true)) !== false;
  const b = useBias ? findWeight(layer, ['bias', 'b'], 1) : undefined;
  const act = cx.act(cfg(layer, 'activation', 'linear'));
  const [D, K] = dims(W.shape, layer.name);
  cx.out.push(`W = ${cx.weight(layer, W)}  # kernel D×K = ${D}×${K}`);
  if (b) cx.out.push(`b = ${cx.weight(layer, b)}  # bias K = ${K}`);
  cx.out.push(`${target} = ${act}(${one(layer, inputs)} @ W${b ? ' + b' : ''})  # Dense: y = act(x·W + b) on the last axis`);
  return { vars: [target], masks: passMask(inputs) };
};

const activationLayer: Emitter = (layer, _call, inputs, cx, target) => {
  let spec: unknown = cfg(layer, 'activation', 'linear');
  if (layer.className === 'ReLU') spec = { class_name: 'relu', config: { max_value: layer.config.max_value, negative_slope: layer.config.negative_slope, threshold: layer.config.threshold } };
  if (layer.className === 'LeakyReLU') spec = { class_name: 'leaky_relu', config: { negative_slope: layer.config.negative_slope ?? layer.config.alpha ?? 0.3 } };
  if (layer.className === 'ELU') spec = { class_name: 'elu', config: { alpha: layer.config.alpha ?? 1 } };
  if (layer.className === 'Softmax') spec = { class_name: 'softmax', config: { axis: layer.config.axis } };
  cx.out.push(`${target} = ${cx.act(spec)}(${one(layer, inputs)})`);
  return { vars: [target], masks: passMask(inputs) };
};

const embedding: Emitter = (layer, _call, inputs, cx, target) => {
  const E = needWeight(layer, ['embeddings', 'W'], 0);
  const x = one(layer, inputs);
  cx.out.push(`E = ${cx.weight(layer, E)}  # embeddings V×E = ${dims(E.shape, layer.name).join('×')}: row v is the vector of token v`);
  cx.out.push(`${target} = E[${x}.astype(np.int64)]  # N×T tokens -> N×T×E vectors`);
  if (cfg(layer, 'mask_zero', false) === true) {
    cx.out.push(`${target}__mask = ${x} != 0  # mask_zero: token 0 is padding`);
    return { vars: [target], masks: [`${target}__mask`] };
  }
  return { vars: [target], masks: ['None'] };
};

const masking: Emitter = (layer, _call, inputs, cx, target) => {
  const value = cfgFloat(layer, 'mask_value', 0);
  const x = one(layer, inputs);
  cx.out.push(`${target}__mask = np.any(${x} != ${value}, axis=-1)  # a step is masked when all its features equal mask_value`);
  cx.out.push(`${target} = ${x} * ${target}__mask[..., None]`);
  return { vars: [target], masks: [`${target}__mask`] };
};

interface RnnSpec {
  cell: 'SimpleRNN' | 'LSTM' | 'GRU';
  W: WeightRef;
  U: WeightRef;
  b?: WeightRef;
  /** CuDNN layers store 2 biases (input and recurrent) side by side. */
  cudnn: boolean;
}

function rnnSpec(layer: LayerNode, weights: WeightRef[]): RnnSpec {
  const cls = layer.className;
  const cell = cls === 'SimpleRNN' ? 'SimpleRNN' : cls === 'LSTM' || cls === 'CuDNNLSTM' ? 'LSTM' : 'GRU';
  const W = needWeight(layer, ['kernel'], 0, weights);
  const U = needWeight(layer, ['recurrent_kernel'], 1, weights);
  const useBias = cfg(layer, 'use_bias', true) !== false;
  const b = useBias ? findWeight(layer, ['bias'], 2, weights) : undefined;
  return { cell, W, U, b, cudnn: cls === 'CuDNNLSTM' || cls === 'CuDNNGRU' };
}

/** Emits one recurrent pass; returns [output, ...states] expressions. */
function emitRnn(layer: LayerNode, weights: WeightRef[], x: string, mask: string, h0: string, cx: EmitContext, target: string, overrides: { goBackwards?: boolean; zeroOutput?: boolean; prefix?: string } = {}): string {
  const spec = rnnSpec(layer, weights);
  const p = overrides.prefix ?? '';
  const wShape = dims(spec.W.shape, layer.name);
  const uShape = dims(spec.U.shape, layer.name);
  const M = uShape[0];
  const letters = spec.cell === 'LSTM' ? '4M' : spec.cell === 'GRU' ? '3M' : 'M';
  // CuDNN layers have no activation options: cuDNN computes tanh and sigmoid.
  const act = cx.act(spec.cudnn ? 'tanh' : cfg(layer, 'activation', 'tanh'));
  const recAct = spec.cell === 'SimpleRNN' ? '' : cx.act(spec.cudnn ? 'sigmoid' : cfg(layer, 'recurrent_activation', cx.doc.kerasMajor >= 2 ? 'sigmoid' : 'hard_sigmoid'));
  const D = wShape[0];
  // The checked name (one of KNOWN_ACTIVATIONS), never the file's own spelling.
  const actName = spec.cudnn ? 'tanh' : knownActivation(cfg(layer, 'activation', 'tanh'), layer.name).name;
  const seq = cfg(layer, 'return_sequences', false) === true;
  const equation =
    spec.cell === 'SimpleRNN'
      ? `h_t = ${actName}(x_t·W_x + h_{t-1}·W_h + b)`
      : spec.cell === 'LSTM'
        ? 'z = x_t·W_x + h_{t-1}·W_h + b -> gates i, f, g, o; c_t = f·c_{t-1} + i·g; h_t = o·' + actName + '(c_t)'
        : 'z, r from x_t and h_{t-1}; h~ = ' + actName + '(...); h_t = z·h_{t-1} + (1 - z)·h~';
  cx.out.push(`# ${spec.cell}(M = ${M}): ${equation}, for each of the T time steps, all N samples at once`);
  cx.out.push(`# in: N×T×D with D = ${D}; out: ${seq ? 'N×T×M, every h_t' : 'N×M, the last h_t'}`);
  cx.out.push(`W_x = ${cx.weight(layer, spec.W, p)}  # kernel D×${letters} = ${wShape.join('×')} (D = ${D}, M = ${M})`);
  cx.out.push(`W_h = ${cx.weight(layer, spec.U, p)}  # recurrent_kernel M×${letters} = ${uShape.join('×')}`);
  let resetAfter = false;
  if (spec.cudnn) {
    const G = spec.cell === 'LSTM' ? 4 : 3;
    cx.out.push(`# ${word(layer.className)} stored each gate's kernel as cuDNN's M×D matrix, flattened: undo that, as tf.keras's converter does`);
    cx.out.push(`W_x = np.hstack([k.reshape(${M}, -1).T for k in np.hsplit(W_x, ${G})])`);
    cx.out.push(`W_h = np.hstack([u.T for u in np.hsplit(W_h, ${G})])`);
  }
  if (spec.b && spec.cudnn) {
    cx.out.push(`b = ${cx.weight(layer, spec.b, p)}  # bias ${dims(spec.b.shape, layer.name).join('×')}: input bias then recurrent bias`);
    if (spec.cell === 'LSTM') cx.out.push(`b = b[:${4 * Number(M)}] + b[${4 * Number(M)}:]  # LSTM adds the two`);
    else {
      cx.out.push('b = b.reshape(2, -1)  # GRU with reset_after=True keeps them apart');
      resetAfter = true;
    }
  } else if (spec.b) {
    cx.out.push(`b = ${cx.weight(layer, spec.b, p)}  # bias ${dims(spec.b.shape, layer.name).join('×')}`);
    if (spec.cell === 'GRU') resetAfter = spec.b.shape.length === 2;
  } else {
    const width = (spec.cell === 'LSTM' ? 4 : spec.cell === 'GRU' ? 3 : 1) * Number(M);
    if (spec.cell === 'GRU') resetAfter = cfg(layer, 'reset_after', false) === true;
    cx.out.push(resetAfter ? `b = np.zeros((2, ${width}))  # use_bias=False` : `b = np.zeros(${width})  # use_bias=False`);
  }
  const goBackwards = overrides.goBackwards ?? cfg(layer, 'go_backwards', false) === true;
  const returnSequences = cfg(layer, 'return_sequences', false) === true;
  const zeroOutput = overrides.zeroOutput ?? cfg(layer, 'zero_output_for_mask', false) === true;
  const common = `h0=${h0}, mask=${mask}, go_backwards=${pyBool(goBackwards)}, return_sequences=${pyBool(returnSequences)}, zero_output_for_mask=${pyBool(zeroOutput)}`;
  if (spec.cell === 'SimpleRNN') {
    cx.helpers.add('run_simple_rnn');
    cx.out.push(`${target}, ${target}__states = run_simple_rnn(${x}, W_x, W_h, b, ${act}, ${common})`);
  } else if (spec.cell === 'LSTM') {
    cx.helpers.add('run_lstm');
    cx.out.push(`${target}, ${target}__states = run_lstm(${x}, W_x, W_h, b, ${act}, ${recAct}, ${common})`);
  } else {
    cx.helpers.add('run_gru');
    cx.out.push(`${target}, ${target}__states = run_gru(${x}, W_x, W_h, b, ${act}, ${recAct}, reset_after=${pyBool(resetAfter)}, ${common})`);
  }
  return target;
}

function stateCount(layer: LayerNode): number {
  return layer.className === 'LSTM' || layer.className === 'CuDNNLSTM' ? 2 : 1;
}

const recurrent: Emitter = (layer, call, inputs, cx, target) => {
  if (cfg(layer, 'stateful', false) === true) cx.out.push('# stateful=True: this run starts from zero states, as a freshly loaded model does');
  let x = one(layer, inputs);
  const timeMajor = cfg(layer, 'time_major', false) === true;
  if (timeMajor) {
    cx.out.push(`${target}__in = np.transpose(${x}, (1, 0, 2))  # time_major: the input is T×N×D`);
    x = `${target}__in`;
  }
  const h0 = inputs.vars.length > 1 ? `[${inputs.vars.slice(1).join(', ')}]` : 'None';
  const mask = inputs.masks[0] ?? 'None';
  emitRnn(layer, layer.weights, x, mask, h0, cx, target);
  const returnSequences = cfg(layer, 'return_sequences', false) === true;
  if (timeMajor && returnSequences) cx.out.push(`${target} = np.transpose(${target}, (1, 0, 2))  # back to T×N×M`);
  const outMask = returnSequences ? mask : 'None';
  if (cfg(layer, 'return_state', false) === true) {
    const states = Array.from({ length: stateCount(layer) }, (_, k) => `${target}__states[${k}]`);
    return { vars: [target, ...states], masks: [outMask, ...states.map(() => 'None')] };
  }
  void call;
  return { vars: [target], masks: [outMask] };
};

const bidirectional: Emitter = (layer, _call, inputs, cx, target) => {
  const fwd = layer.children[0];
  if (!fwd) throw new UnsupportedFeatureError(`The Bidirectional layer "${showName(layer.name)}" has no inner layer.`);
  const bwd = layer.children[1] ?? fwd;
  const half = layer.weights.length / 2;
  const fwdWeights = fwd.weights.length > 0 ? fwd.weights : layer.weights.slice(0, half);
  const bwdWeights = layer.children[1] && bwd.weights.length > 0 ? bwd.weights : layer.weights.slice(half);
  const x = one(layer, inputs);
  const mask = inputs.masks[0] ?? 'None';
  const returnSequences = cfg(fwd, 'return_sequences', false) === true;
  const nStates = stateCount(fwd);
  const states = inputs.vars.slice(1);
  const h0f = states.length > 0 ? `[${states.slice(0, nStates).join(', ')}]` : 'None';
  const h0b = states.length > 0 ? `[${states.slice(nStates).join(', ')}]` : 'None';
  cx.out.push(`# forward direction: ${word(fwd.className)} ${quoted(fwd.name)}`);
  // Bidirectional sets zero_output_for_mask = return_sequences on both directions.
  const innerBackwards = cfg(fwd, 'go_backwards', false) === true;
  emitRnn(fwd, fwdWeights, x, mask, h0f, cx, `${target}__fwd`, { goBackwards: innerBackwards, zeroOutput: returnSequences, prefix: fwd.weights.length > 0 ? '' : 'forward/' });
  cx.out.push(`# backward direction: ${word(bwd.className)} ${quoted(bwd.name)}, the same cell run over reversed time`);
  emitRnn(bwd, bwdWeights, x, mask, h0b, cx, `${target}__bwd`, { goBackwards: !innerBackwards, zeroOutput: returnSequences, prefix: layer.children[1] && bwd.weights.length > 0 ? '' : 'backward/' });
  if (returnSequences) cx.out.push(`${target}__bwd = ${target}__bwd[:, ::-1]  # back into input time order before merging`);
  const mode = layer.config.merge_mode === undefined ? 'concat' : layer.config.merge_mode;
  const f = `${target}__fwd`;
  const b = `${target}__bwd`;
  const outMask = returnSequences ? mask : 'None';
  let vars: string[];
  switch (mode) {
    case 'concat':
      cx.out.push(`${target} = np.concatenate([${f}, ${b}], axis=-1)  # merge_mode="concat"`);
      vars = [target];
      break;
    case 'sum':
      cx.out.push(`${target} = ${f} + ${b}  # merge_mode="sum"`);
      vars = [target];
      break;
    case 'mul':
      cx.out.push(`${target} = ${f} * ${b}  # merge_mode="mul"`);
      vars = [target];
      break;
    case 'ave':
      cx.out.push(`${target} = (${f} + ${b}) / 2.0  # merge_mode="ave"`);
      vars = [target];
      break;
    case null:
    case 'None':
      vars = [f, b];
      break;
    default:
      throw new UnsupportedFeatureError(`The Bidirectional merge mode ${showName(JSON.stringify(mode) ?? String(mode), 40)} of "${showName(layer.name)}" is not supported.`);
  }
  const masks = vars.map(() => outMask);
  if (cfg(fwd, 'return_state', false) === true) {
    const st = [...Array.from({ length: nStates }, (_, k) => `${f}__states[${k}]`), ...Array.from({ length: nStates }, (_, k) => `${b}__states[${k}]`)];
    return { vars: [...vars, ...st], masks: [...masks, ...st.map(() => 'None')] };
  }
  return { vars, masks };
};

const timeDistributed: Emitter = (layer, call, inputs, cx, target) => {
  const inner = layer.children[0];
  if (!inner) throw new UnsupportedFeatureError(`The TimeDistributed layer "${showName(layer.name)}" has no inner layer.`);
  if (inner.model) throw new UnsupportedLayerError(`The NumPy export does not handle a nested model inside TimeDistributed ("${showName(layer.name)}").`, layer.name, 0);
  const emit = emitterFor(inner.className);
  if (!emit) throw new UnsupportedLayerError(`The layer "${showName(inner.name)}" (${showName(inner.className, 40)}) inside TimeDistributed "${showName(layer.name)}" is not supported by the NumPy export.`, inner.name, 0);
  const innerNode: LayerNode = inner.weights.length > 0 ? inner : { ...inner, weights: layer.weights };
  const x = one(layer, inputs);
  cx.out.push(`# TimeDistributed: the same ${word(inner.className)} on every time step (samples and steps folded into one axis)`);
  cx.out.push(`${target}__NT = ${x}.shape[:2]`);
  cx.out.push(`${target}__in = ${x}.reshape((-1,) + ${x}.shape[2:])`);
  const res = emit(innerNode, call, { vars: [`${target}__in`], masks: ['None'] }, cx, `${target}__step`);
  cx.out.push(`${target} = ${res.vars[0]}.reshape(${target}__NT + ${res.vars[0]}.shape[1:])`);
  return { vars: [target], masks: passMask(inputs) };
};

const repeatVector: Emitter = (layer, _call, inputs, cx, target) => {
  const n = cfgInt(layer, 'n', 1);
  cx.out.push(`${target} = np.repeat(${one(layer, inputs)}[:, None, :], ${n}, axis=1)  # N×D -> N×${n}×D`);
  return { vars: [target], masks: ['None'] };
};

const flatten: Emitter = (layer, _call, inputs, cx, target) => {
  const x = one(layer, inputs);
  cx.out.push(`${target} = ${x}.reshape(${x}.shape[0], -1)`);
  return { vars: [target], masks: ['None'] };
};

const reshape: Emitter = (layer, _call, inputs, cx, target) => {
  const shape = pyInts(cfg(layer, 'target_shape', []), 'a target_shape', layer.name);
  const x = one(layer, inputs);
  cx.out.push(`${target} = ${x}.reshape((${x}.shape[0],) + (${shape.join(', ')}${shape.length === 1 ? ',' : ''}))`);
  return { vars: [target], masks: ['None'] };
};

const permute: Emitter = (layer, _call, inputs, cx, target) => {
  const order = pyInts(cfg(layer, 'dims', []), 'a dims', layer.name);
  cx.out.push(`${target} = np.transpose(${one(layer, inputs)}, (0, ${order.join(', ')}))`);
  return { vars: [target], masks: ['None'] };
};

const conv1d: Emitter = (layer, _call, inputs, cx, target) => {
  if (cfg(layer, 'data_format', 'channels_last') !== 'channels_last') {
    throw new UnsupportedFeatureError(`The NumPy export handles Conv1D with channels_last only ("${showName(layer.name)}").`);
  }
  if (cfgInt(layer, 'groups', 1) !== '1') throw new UnsupportedFeatureError(`The NumPy export does not handle grouped Conv1D ("${showName(layer.name)}").`);
  const W = needWeight(layer, ['kernel', 'W'], 0);
  const useBias = cfg(layer, 'use_bias', cfg(layer, 'bias', true)) !== false;
  const b = useBias ? findWeight(layer, ['bias', 'b'], 1) : undefined;
  const strides = cfg(layer, 'strides', null) === null ? cfgInt(layer, 'subsample_length', 1) : cfgInt(layer, 'strides', 1);
  const dilation = cfgInt(layer, 'dilation_rate', 1);
  const padding = cfgChoice(layer, ['padding', 'border_mode'], 'valid', ['valid', 'same', 'causal']);
  cx.helpers.add('run_conv1d');
  cx.out.push(`W = ${cx.weight(layer, W)}  # kernel k×C×F = ${dims(W.shape, layer.name).join('×')}`);
  cx.out.push(b ? `b = ${cx.weight(layer, b)}  # bias F` : 'b = None');
  cx.out.push(`${target} = run_conv1d(${one(layer, inputs)}, W, b, strides=${strides}, padding=${pyStr(padding)}, dilation=${dilation}, act=${cx.act(cfg(layer, 'activation', 'linear'))})`);
  return { vars: [target], masks: ['None'] };
};

const pooling1d: Emitter = (layer, _call, inputs, cx, target) => {
  if (cfg(layer, 'data_format', 'channels_last') !== 'channels_last') {
    throw new UnsupportedFeatureError(`The NumPy export handles ${word(layer.className)} with channels_last only ("${showName(layer.name)}").`);
  }
  const size = cfg(layer, 'pool_size', null) === null ? cfgInt(layer, 'pool_length', 2) : cfgInt(layer, 'pool_size', 2);
  const strides = cfg(layer, 'strides', null) === null ? size : cfgInt(layer, 'strides', 1);
  const padding = cfgChoice(layer, ['padding', 'border_mode'], 'valid', ['valid', 'same']);
  cx.helpers.add('run_pool1d');
  const kind = layer.className.startsWith('Max') ? 'max' : 'average';
  cx.out.push(`${target} = run_pool1d(${one(layer, inputs)}, size=${size}, strides=${strides}, padding=${pyStr(padding)}, kind='${kind}')`);
  return { vars: [target], masks: ['None'] };
};

const globalPooling1d: Emitter = (layer, _call, inputs, cx, target) => {
  const axis = cfg(layer, 'data_format', 'channels_last') === 'channels_first' ? 2 : 1;
  const keep = cfg(layer, 'keepdims', false) === true ? ', keepdims=True' : '';
  const x = one(layer, inputs);
  const mask = inputs.masks[0] ?? 'None';
  if (layer.className.includes('Max')) {
    cx.out.push(`${target} = ${x}.max(axis=${axis}${keep})`);
  } else if (mask !== 'None' && axis === 1) {
    cx.out.push(`# average over the unmasked steps only`);
    cx.out.push(`${target} = (${x} * ${mask}[..., None]).sum(axis=1) / ${mask}.sum(axis=1)[:, None]`);
    if (keep) cx.out.push(`${target} = ${target}[:, None, :]`);
  } else {
    cx.out.push(`${target} = ${x}.mean(axis=${axis}${keep})`);
  }
  return { vars: [target], masks: ['None'] };
};

function broadcastAxes(layer: LayerNode): string[] {
  const a = cfg(layer, 'axis', -1);
  return pyInts(Array.isArray(a) ? a : [a], 'an axis', layer.name);
}

const batchNormalization: Emitter = (layer, _call, inputs, cx, target) => {
  const axes = broadcastAxes(layer);
  if (axes.length !== 1) throw new UnsupportedFeatureError(`The NumPy export handles BatchNormalization over one axis only ("${showName(layer.name)}").`);
  const scale = cfg(layer, 'scale', true) !== false;
  const center = cfg(layer, 'center', true) !== false;
  let pos = 0;
  const gamma = scale ? needWeight(layer, ['gamma'], pos++) : undefined;
  const beta = center ? needWeight(layer, ['beta'], pos++) : undefined;
  const mean = needWeight(layer, ['moving_mean'], pos++);
  const variance = needWeight(layer, ['moving_variance'], pos++);
  const eps = cfgFloat(layer, 'epsilon', 1e-3);
  const x = one(layer, inputs);
  const ax = axes[0];
  const shape = `bn_shape = [1] * ${x}.ndim; bn_shape[${ax}] = -1`;
  cx.out.push(shape);
  cx.out.push(`mean = ${cx.weight(layer, mean)}.reshape(bn_shape)  # moving_mean`);
  cx.out.push(`var = ${cx.weight(layer, variance)}.reshape(bn_shape)  # moving_variance`);
  cx.out.push(`${target} = (${x} - mean) / np.sqrt(var + ${eps})  # inference: the stored moving statistics`);
  if (gamma) cx.out.push(`${target} = ${target} * ${cx.weight(layer, gamma)}.reshape(bn_shape)  # gamma`);
  if (beta) cx.out.push(`${target} = ${target} + ${cx.weight(layer, beta)}.reshape(bn_shape)  # beta`);
  return { vars: [target], masks: passMask(inputs) };
};

const layerNormalization: Emitter = (layer, _call, inputs, cx, target) => {
  if (cfg(layer, 'rms_scaling', false) === true) throw new UnsupportedFeatureError(`The NumPy export does not handle LayerNormalization with rms_scaling ("${showName(layer.name)}").`);
  const axes = broadcastAxes(layer);
  const scale = cfg(layer, 'scale', true) !== false;
  const center = cfg(layer, 'center', true) !== false;
  let pos = 0;
  const gamma = scale ? needWeight(layer, ['gamma'], pos++) : undefined;
  const beta = center ? needWeight(layer, ['beta'], pos++) : undefined;
  const eps = cfgFloat(layer, 'epsilon', 1e-3);
  const x = one(layer, inputs);
  const ax = `tuple(a % ${x}.ndim for a in (${axes.join(', ')},))`;
  cx.out.push(`ln_axes = ${ax}`);
  cx.out.push(`mean = ${x}.mean(axis=ln_axes, keepdims=True)`);
  cx.out.push(`var = ${x}.var(axis=ln_axes, keepdims=True)`);
  cx.out.push(`${target} = (${x} - mean) / np.sqrt(var + ${eps})`);
  const pshape = `[${x}.shape[a] if a in ln_axes else 1 for a in range(${x}.ndim)]`;
  if (gamma) cx.out.push(`${target} = ${target} * ${cx.weight(layer, gamma)}.reshape(${pshape})  # gamma`);
  if (beta) cx.out.push(`${target} = ${target} + ${cx.weight(layer, beta)}.reshape(${pshape})  # beta`);
  return { vars: [target], masks: passMask(inputs) };
};

function mergedMask(inputs: Emitted): string {
  const ms = inputs.masks.filter((m) => m !== 'None');
  if (ms.length === 0) return 'None';
  return ms.length === 1 ? ms[0] : `np.logical_and.reduce([${ms.join(', ')}])`;
}

const merge: Emitter = (layer, _call, inputs, cx, target) => {
  const v = inputs.vars;
  const kind = layer.className;
  let expr: string;
  switch (kind) {
    case 'Concatenate':
      expr = `np.concatenate([${v.join(', ')}], axis=${cfgInt(layer, 'axis', -1)})`;
      break;
    case 'Add':
      expr = v.join(' + ');
      break;
    case 'Subtract':
      expr = `${v[0]} - ${v[1]}`;
      break;
    case 'Multiply':
      expr = v.join(' * ');
      break;
    case 'Average':
      expr = `(${v.join(' + ')}) / ${v.length}.0`;
      break;
    case 'Maximum':
      expr = `np.maximum.reduce([${v.join(', ')}])`;
      break;
    case 'Minimum':
      expr = `np.minimum.reduce([${v.join(', ')}])`;
      break;
    default:
      throw new UnsupportedLayerError(`The merge layer "${showName(layer.name)}" (${word(kind)}) is not supported by the NumPy export.`, layer.name, 0);
  }
  cx.out.push(`${target} = ${expr}  # ${kind}`);
  return { vars: [target], masks: [mergedMask(inputs)] };
};

const dot: Emitter = (layer, _call, inputs, cx, target) => {
  const rawAxes = cfg(layer, 'axes', -1);
  const axes = pyInts(Array.isArray(rawAxes) ? rawAxes : [rawAxes, rawAxes], 'axes', layer.name);
  if (axes.length !== 2) throw new UnsupportedFeatureError(`The Dot layer "${showName(layer.name)}" needs two axes, so it cannot be exported.`);
  const [a, b] = inputs.vars;
  const normalize = cfg(layer, 'normalize', false) === true;
  cx.out.push(`dot_axes = (${axes[0]} % ${a}.ndim, ${axes[1]} % ${b}.ndim)`);
  const xa = normalize ? `(${a} / np.maximum(np.linalg.norm(${a}, axis=dot_axes[0], keepdims=True), 1e-12))` : a;
  const xb = normalize ? `(${b} / np.maximum(np.linalg.norm(${b}, axis=dot_axes[1], keepdims=True), 1e-12))` : b;
  cx.out.push(`${target} = np.stack([np.tensordot(p, q, axes=(dot_axes[0] - 1, dot_axes[1] - 1)) for p, q in zip(${xa}, ${xb})])  # per-sample dot`);
  cx.out.push(`${target} = ${target}.reshape(-1, 1) if ${target}.ndim == 1 else ${target}`);
  return { vars: [target], masks: ['None'] };
};

const attention: Emitter = (layer, call, inputs, cx, target) => {
  const [q, v, k0] = inputs.vars;
  const k = k0 ?? v;
  const mode = cfg(layer, 'score_mode', 'dot');
  const useScale = cfg(layer, 'use_scale', false) === true;
  const causal = call.kwargs.use_causal_mask === true || cfg(layer, 'causal', false) === true;
  if (mode !== 'dot') throw new UnsupportedFeatureError(`The NumPy export handles Attention with score_mode="dot" only ("${showName(layer.name)}").`);
  const scale = useScale ? findWeight(layer, ['scale'], 0) : undefined;
  cx.helpers.add('softmax');
  cx.out.push(`scores = ${q} @ np.swapaxes(${k}, -1, -2)  # N×Tq×Tv: query·key`);
  if (scale) cx.out.push(`scores = scores * ${cx.weight(layer, scale)}  # learned scale`);
  const vMask = inputs.masks[1] ?? 'None';
  if (vMask !== 'None') cx.out.push(`scores = scores - 1e9 * (1 - ${vMask}[:, None, :])  # masked value steps get no weight`);
  if (causal) cx.out.push(`scores = scores - 1e9 * (1 - np.tril(np.ones(scores.shape[-2:])))  # causal: no looking ahead`);
  cx.out.push(`${target} = softmax(scores) @ ${v}`);
  const qMask = inputs.masks[0] ?? 'None';
  if (qMask !== 'None') cx.out.push(`${target} = ${target} * ${qMask}[..., None]`);
  return { vars: [target], masks: [qMask] };
};

/** Emitters of kinds whose module does not yet own one (moving into the modules, one by one). */
const UNMOVED: Record<string, Emitter> = {
  InputLayer: inputLayer,
  Dense: dense,
  Activation: activationLayer,
  ReLU: activationLayer,
  LeakyReLU: activationLayer,
  ELU: activationLayer,
  Softmax: activationLayer,
  Embedding: embedding,
  Masking: masking,
  ActivityRegularization: passThrough,
  SimpleRNN: recurrent,
  LSTM: recurrent,
  GRU: recurrent,
  CuDNNLSTM: recurrent,
  CuDNNGRU: recurrent,
  Bidirectional: bidirectional,
  TimeDistributed: timeDistributed,
  RepeatVector: repeatVector,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  Conv1D: conv1d,
  MaxPooling1D: pooling1d,
  AveragePooling1D: pooling1d,
  MaxPool1D: pooling1d,
  AvgPool1D: pooling1d,
  GlobalAveragePooling1D: globalPooling1d,
  GlobalMaxPooling1D: globalPooling1d,
  GlobalAvgPool1D: globalPooling1d,
  GlobalMaxPool1D: globalPooling1d,
  BatchNormalization: batchNormalization,
  LayerNormalization: layerNormalization,
  Concatenate: merge,
  Add: merge,
  Subtract: merge,
  Multiply: merge,
  Average: merge,
  Maximum: merge,
  Minimum: merge,
  Dot: dot,
  Attention: attention,
};

/** The emitter for a class name, from its layer module (the registry is a Map: `__proto__` finds nothing). */
function emitterFor(className: string): Emitter | undefined {
  return layerKind(className)?.numpy ?? (Object.prototype.hasOwnProperty.call(UNMOVED, className) ? UNMOVED[className] : undefined);
}

// ---------------------------------------------------------------------------------------------
// Walking the graph in the forward runner's execution order (graph.ts)

const refKey = (r: TensorRef) => `${r.layer}\u0000${r.node}\u0000${r.tensor}`;

/** `scope` prefixes Python names; `recordPrefix` prefixes recorded layer names as the forward runner does (`outer/inner`). */
function emitGraph(graph: ModelGraph, inputVars: Emitted, cx: EmitContext, scope: string, recordPrefix = ''): Emitted {
  const env = new Map<string, { v: string; m: string }>();
  graph.inputRefs.forEach((r, k) => env.set(refKey(r), { v: inputVars.vars[k], m: inputVars.masks[k] ?? 'None' }));
  // The forward runner's own order, so the script reads in the order the trace and the views show.
  const { order, unreachable } = executionOrder(graph);
  order.forEach(({ layer, node, call }, index) => {
    const position = index + 1;
    const refs = [...call.inputs, ...(call.initialState ?? [])];
    // Input layers of functional graphs have no inputs: their tensor is the model input itself.
    if (layer.className === 'InputLayer' && refs.length === 0) return;
    const missing = refs.find((r) => !env.has(refKey(r)));
    if (missing) throw new UnsupportedFeatureError(`The layer "${showName(layer.name)}" needs output ${missing.tensor} of "${showName(missing.layer)}", which is never computed.`);
    const ins: Emitted = { vars: refs.map((r) => env.get(refKey(r))!.v), masks: refs.map((r) => env.get(refKey(r))!.m) };
    const nodeIndex = pyInt(node, 'a node index', layer.name);
    const target = cx.fresh(scope + layer.name + (node > 0 ? `_call${nodeIndex}` : ''));
    const what = `${showName(layer.name)} (${showName(layer.declaredClassName ?? layer.className, 40)})`;
    cx.layerName = layer.name;
    if (layer.notExecutable) throw new UnsupportedLayerError(`Layer ${position}, ${what}, cannot be exported: ${layer.notExecutable}`, layer.name, position);
    cx.out.push('');
    cx.out.push(`# ---- ${quoted(recordPrefix + layer.name)} (${word(layer.declaredClassName ?? layer.className)})${node > 0 ? `, call ${nodeIndex}` : ''} ----`);
    let res: Emitted;
    if (layer.model) {
      res = emitGraph(layer.model, ins, cx, `${scope}${sanitize(layer.name)}_`, `${recordPrefix}${layer.name}/`);
    } else {
      const emit = emitterFor(layer.className);
      if (!emit) {
        throw new UnsupportedLayerError(`Layer ${position}, ${what}, is not a kind the NumPy export can write out.`, layer.name, position);
      }
      res = emit(layer, call, ins, cx, target);
    }
    res.vars.forEach((v, t) => env.set(refKey({ layer: layer.name, node, tensor: t }), { v, m: res.masks[t] ?? 'None' }));
    cx.out.push(`record(${pyStr(recordPrefix + layer.name)}, ${pyStr(layer.className)}, ${nodeIndex}, [${res.vars.join(', ')}])`);
  });
  if (unreachable.length > 0) {
    throw new UnsupportedFeatureError(`The layer "${showName(unreachable[0].layer.name)}" waits for an input no layer produces, so the graph cannot be exported.`);
  }
  const vars: string[] = [];
  const masks: string[] = [];
  for (const r of graph.outputRefs) {
    const got = env.get(refKey(r));
    if (!got) throw new UnsupportedFeatureError(`The model output "${showName(r.layer)}" is never computed, so the graph cannot be exported.`);
    vars.push(got.v);
    masks.push(got.m);
  }
  return { vars, masks };
}

// ---------------------------------------------------------------------------------------------
// The script

/**
 * A standalone NumPy script for `doc` on `inputs` (one tensor per model input, in `doc.root.inputs` order).
 * Run `python3 script.py` for the output, `--layers` for every layer's output too, `--json` for machine-readable output.
 * Throws UnsupportedFeatureError / UnsupportedLayerError naming the first layer it cannot write out.
 */
export function exportNumpy(doc: ModelDocument, inputs: Tensor[], options: NumpyExportOptions = {}): string {
  if (doc.notExecutable) throw new UnsupportedFeatureError(doc.notExecutable);
  const helpers = new Set<string>();
  const names = new Set<string>();
  const weightsTable: { key: string; shape: number[]; b64: string }[] = [];
  const weightKeys = new Map<WeightRef, string>();
  const usedKeys = new Set<string>();
  const cx: EmitContext = {
    doc,
    out: [],
    helpers,
    fresh(base) {
      // sanitize() never gives `__`, so `<name>_<k>` stays clear of every derived `<target>__mask`-style name.
      const s = sanitize(base);
      let name = s;
      for (let k = 2; names.has(name); k++) name = `${s}_${k}`;
      names.add(name);
      return name;
    },
    weight(layer, w, prefix = '') {
      let key = weightKeys.get(w);
      if (!key) {
        const base = `${layer.name}/${prefix}${shortName(w)}`;
        key = base;
        for (let k = 2; usedKeys.has(key); k++) key = `${base}_${k}`;
        usedKeys.add(key);
        weightsTable.push({ key, shape: dims(w.shape, layer.name).map(Number), b64: base64(leBytes(w.values())) });
        weightKeys.set(w, key);
      }
      return `weights(${pyStr(key)})`;
    },
    act(spec) {
      return pyActivation(spec, doc.kerasMajor, helpers, cx.layerName);
    },
    emitterOf(inner, wrapper) {
      const emit = inner.model ? undefined : emitterFor(inner.className);
      if (!emit) {
        const what = inner.model ? 'a nested model' : `"${showName(inner.name)}" (${showName(inner.declaredClassName ?? inner.className, 40)})`;
        throw new UnsupportedLayerError(`The NumPy export cannot write out ${what} inside the wrapper "${showName(wrapper.name)}".`, inner.name, 0);
      }
      return emit;
    },
    layerName: '',
  };
  const graph = doc.root;
  if (inputs.length !== graph.inputs.length) {
    throw new UnsupportedFeatureError(`The model has ${graph.inputs.length} inputs but ${inputs.length} were given to the export.`);
  }
  const inputVars: Emitted = { vars: [], masks: [] };
  graph.inputs.forEach((inp, k) => {
    const v = cx.fresh(`${inp.name}`);
    cx.out.push(`${v} = data(${k})  # input ${quoted(inp.name)}: ${inputs[k].shape.join('×')} (${letterText(inputs[k].shape.length)})`);
    inputVars.vars.push(v);
    inputVars.masks.push('None');
  });
  const outputs = emitGraph(graph, inputVars, cx, '');
  cx.out.push('');
  cx.out.push(`outputs = [${outputs.vars.join(', ')}]`);
  cx.out.push('return outputs');

  const table = pythonHelpers();
  const unknown = [...helpers].find((h) => !table.has(h));
  if (unknown !== undefined) throw new Error(`An emitter asked for the NumPy helper "${unknown}", which no module defines.`);
  const order = [...table.keys()].filter((h) => helpers.has(h));
  const lines: string[] = [];
  lines.push('#!/usr/bin/env python3');
  lines.push('"""The forward pass of a Keras model recomputed by hand with NumPy, step by step as the classic notebooks do.');
  lines.push('');
  lines.push('Written by Keras RNN Inspector. The model file, its Keras version and its format are MODEL_FILE, KERAS_VERSION');
  lines.push('and FILE_FORMAT below: text from a model file appears only as string literals, so none of it is ever run.');
  lines.push('Letters: N samples, T time steps, D input features, M hidden units, K outputs.');
  lines.push('The weights and the input are embedded exactly (base64 of their little-endian bytes); everything is');
  lines.push('computed in float64. No Keras, no TensorFlow: NumPy only.');
  lines.push('');
  lines.push('    python3 this_script.py            # prints the output');
  lines.push("    python3 this_script.py --layers   # and every layer's output");
  lines.push('    python3 this_script.py --json     # the same as JSON: {output, outputs, outputShape, layers}');
  lines.push('"""');
  lines.push('import base64');
  lines.push('import json');
  lines.push('import math');
  lines.push('import sys');
  lines.push('');
  lines.push('import numpy as np');
  lines.push('');
  lines.push(`MODEL_FILE = ${options.title === undefined ? 'None' : pyStr(options.title)}`);
  lines.push(`KERAS_VERSION = ${doc.kerasVersion == null ? 'None  # not recorded in the file' : pyStr(doc.kerasVersion)}`);
  lines.push(`FILE_FORMAT = ${pyStr(doc.format)}`);
  lines.push('');
  lines.push("np.seterr(over='ignore')  # exp() of a large negative pre-activation overflows to inf; sigmoid is then exactly 0");
  lines.push('');
  lines.push('');
  lines.push('def weights(key):');
  lines.push('    """A stored weight: float32 bytes exactly as in the model file, used in float64."""');
  lines.push('    shape, b64 = WEIGHTS[key]');
  lines.push("    return np.frombuffer(base64.b64decode(b64), dtype='<f4').reshape(shape).astype(np.float64)");
  lines.push('');
  lines.push('');
  lines.push('def data(k):');
  lines.push('    """Model input k, float64 exactly as given."""');
  lines.push('    shape, b64 = INPUTS[k]');
  lines.push("    return np.frombuffer(base64.b64decode(b64), dtype='<f8').reshape(shape).copy()");
  lines.push('');
  lines.push('');
  lines.push('LAYERS = []');
  lines.push('');
  lines.push('');
  lines.push('def record(name, class_name, node, outputs):');
  lines.push('    """Keeps each layer call\'s output for --layers / --json."""');
  lines.push('    LAYERS.append({"name": name, "className": class_name, "node": node, "output": outputs[0]})');
  lines.push('');
  lines.push('');
  lines.push('def shown(name):');
  lines.push('    """A name from the model file as one printable line: controls, bidi marks and line breaks as escapes."""');
  lines.push("    text = ''.join(c if c.isprintable() else c.encode('unicode_escape').decode('ascii') for c in name)");
  lines.push("    return text if len(text) <= 80 else text[:80] + '… (%d characters)' % len(text)");
  for (const h of order) {
    lines.push('');
    lines.push('');
    lines.push(table.get(h)!);
  }
  lines.push('');
  lines.push('');
  lines.push('def forward():');
  for (const l of cx.out) lines.push(l === '' ? '' : `    ${l}`);
  lines.push('');
  lines.push('');
  lines.push('def main():');
  lines.push('    outputs = forward()');
  lines.push("    if '--json' in sys.argv:");
  lines.push('        result = {');
  lines.push('            "output": outputs[0].tolist(),');
  lines.push('            "outputs": [o.tolist() for o in outputs],');
  lines.push('            "outputShape": list(outputs[0].shape),');
  lines.push('            "layers": [{"name": l["name"], "className": l["className"], "node": l["node"],');
  lines.push('                        "outputShape": list(np.shape(l["output"])), "output": np.asarray(l["output"]).tolist()}');
  lines.push("                       for l in LAYERS] if '--layers' in sys.argv else [],");
  lines.push('        }');
  lines.push('        print(json.dumps(result))');
  lines.push('        return');
  lines.push('    np.set_printoptions(precision=8, suppress=False, linewidth=120)');
  lines.push("    if '--layers' in sys.argv:");
  lines.push('        for l in LAYERS:');
  lines.push('            print(f"{shown(l[\'name\'])} ({shown(l[\'className\'])}) {\'×\'.join(map(str, np.shape(l[\'output\'])))}")');
  lines.push('            print(np.asarray(l["output"]))');
  lines.push('    for k, o in enumerate(outputs):');
  lines.push('        print(f"output {k}: {\'×\'.join(map(str, o.shape))}")');
  lines.push('        print(o)');
  lines.push('');
  lines.push('');
  lines.push('# The stored weights: key -> (shape, base64 of float32 little-endian bytes).');
  lines.push('WEIGHTS = {');
  for (const w of weightsTable) {
    lines.push(`    ${pyStr(w.key)}: ((${w.shape.join(', ')}${w.shape.length === 1 ? ',' : ''}),`);
    lines.push(`        ${chunk(w.b64)}),`);
  }
  lines.push('}');
  lines.push('');
  lines.push('# The input(s): (shape, base64 of float64 little-endian bytes).');
  lines.push('INPUTS = [');
  for (const t of inputs) {
    lines.push(`    ((${t.shape.join(', ')}${t.shape.length === 1 ? ',' : ''}),`);
    lines.push(`        ${chunk(base64(leBytes(t.data)))}),`);
  }
  lines.push(']');
  lines.push('');
  lines.push("if __name__ == '__main__':");
  lines.push('    main()');
  lines.push('');
  return lines.join('\n');
}

function letterText(rank: number): string {
  return rank === 3 ? 'N×T×D' : rank === 2 ? 'N×T or N×D' : `rank ${rank}`;
}
