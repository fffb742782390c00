// The NumPy export of SimpleRNN, LSTM, GRU and CuDNNLSTM/CuDNNGRU: the weights (CuDNN ones converted back to the Keras
// layout), then one call of a plain NumPy time loop per layer. Each cell module declares its loop as numpyHelpers
// (RUN_SIMPLE_RNN, RUN_LSTM, RUN_GRU below) and uses recurrentNumpy as its emitter; Bidirectional writes each
// direction through the inner layer's own emitter. Keras's math: keras/src/layers/rnn/{simple_rnn,lstm,gru}.py.

import type { LayerNode, WeightRef } from '../model';
import { pyStr } from '../safeText';
import { cfg, dims, weightByAlias, knownActivation, needWeight, one, pyBool, word, type EmitContext, type NumpyEmitter } from './numpyEmit';

// ---------------------------------------------------------------------------------------------
// The time loops the script defines (one per cell), all N samples at once

export const RUN_SIMPLE_RNN = `def run_simple_rnn(x, W_x, W_h, b, act, h0=None, mask=None, go_backwards=False, return_sequences=False,
               zero_output_for_mask=False, steps=None):
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
        if steps is not None:
            steps.append(h)  # h_t of every sample, kept for printing
    return (np.stack(ys, axis=1) if return_sequences else y), [h]`;

export const RUN_LSTM = `def run_lstm(x, W_x, W_h, b, act, rec_act, h0=None, mask=None, go_backwards=False, return_sequences=False,
         zero_output_for_mask=False, steps=None):
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
        if steps is not None:
            steps.append(h)  # h_t of every sample, kept for printing
    return (np.stack(ys, axis=1) if return_sequences else y), [h, c]`;

export const RUN_GRU = `def run_gru(x, W_x, W_h, b, act, rec_act, reset_after, h0=None, mask=None, go_backwards=False,
        return_sequences=False, zero_output_for_mask=False, steps=None):
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
        if steps is not None:
            steps.append(h)  # h_t of every sample, kept for printing
    return (np.stack(ys, axis=1) if return_sequences else y), [h]`;

// ---------------------------------------------------------------------------------------------
// One recurrent pass

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
  const b = useBias ? weightByAlias(layer, ['bias'], 2, weights) : undefined;
  return { cell, W, U, b, cudnn: cls === 'CuDNNLSTM' || cls === 'CuDNNGRU' };
}

/** Emits one recurrent pass; returns [output, ...states] expressions. */
function emitRnn(layer: LayerNode, weights: WeightRef[], x: string, mask: string, h0: string, cx: EmitContext, target: string): string {
  const spec = rnnSpec(layer, weights);
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
  cx.out.push(`W_x = ${cx.weight(layer, spec.W)}  # kernel D×${letters} = ${wShape.join('×')} (D = ${D}, M = ${M})`);
  cx.out.push(`W_h = ${cx.weight(layer, spec.U)}  # recurrent_kernel M×${letters} = ${uShape.join('×')}`);
  let resetAfter = false;
  if (spec.cudnn) {
    const G = spec.cell === 'LSTM' ? 4 : 3;
    cx.out.push(`# ${word(layer.className)} stored each gate's kernel as cuDNN's M×D matrix, flattened: undo that, as tf.keras's converter does`);
    cx.out.push(`W_x = np.hstack([k.reshape(${M}, -1).T for k in np.hsplit(W_x, ${G})])`);
    cx.out.push(`W_h = np.hstack([u.T for u in np.hsplit(W_h, ${G})])`);
  }
  if (spec.b && spec.cudnn) {
    cx.out.push(`b = ${cx.weight(layer, spec.b)}  # bias ${dims(spec.b.shape, layer.name).join('×')}: input bias then recurrent bias`);
    if (spec.cell === 'LSTM') cx.out.push(`b = b[:${4 * Number(M)}] + b[${4 * Number(M)}:]  # LSTM adds the two`);
    else {
      cx.out.push('b = b.reshape(2, -1)  # GRU with reset_after=True keeps them apart');
      resetAfter = true;
    }
  } else if (spec.b) {
    cx.out.push(`b = ${cx.weight(layer, spec.b)}  # bias ${dims(spec.b.shape, layer.name).join('×')}`);
    if (spec.cell === 'GRU') resetAfter = spec.b.shape.length === 2;
  } else {
    const width = (spec.cell === 'LSTM' ? 4 : spec.cell === 'GRU' ? 3 : 1) * Number(M);
    if (spec.cell === 'GRU') resetAfter = cfg(layer, 'reset_after', false) === true;
    cx.out.push(resetAfter ? `b = np.zeros((2, ${width}))  # use_bias=False` : `b = np.zeros(${width})  # use_bias=False`);
  }
  const goBackwards = cfg(layer, 'go_backwards', false) === true;
  const returnSequences = cfg(layer, 'return_sequences', false) === true;
  const zeroOutput = cfg(layer, 'zero_output_for_mask', false) === true;
  let common = `h0=${h0}, mask=${mask}, go_backwards=${pyBool(goBackwards)}, return_sequences=${pyBool(returnSequences)}, zero_output_for_mask=${pyBool(zeroOutput)}`;
  // A readable script prints every h_t, as the notebooks do (the name from the file only as a string literal).
  if (cx.readable) {
    cx.out.push(`${target}__steps = []`);
    common += `, steps=${target}__steps`;
  }
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
  if (cx.readable) cx.out.push(`record_steps(${pyStr(layer.name)}, ${target}__steps, ${pyBool(goBackwards)})`);
  return target;
}

function stateCount(layer: LayerNode): number {
  return layer.className === 'LSTM' || layer.className === 'CuDNNLSTM' ? 2 : 1;
}

/** SimpleRNN, LSTM, GRU and the CuDNN layers: the weights, then one call of the cell's run_* loop. */
export const recurrentNumpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
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
  return { vars: [target], masks: [outMask] };
};

