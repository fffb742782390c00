// LSTM: z = x_t·W + h_{t-1}·U + b split into the gates i, f, c~, o (that column order); c_t = f⊙c_{t-1} + i⊙act(c~),
// h_t = o⊙act(c_t) (keras/src/layers/rnn/lstm.py). CuDNNLSTM (Keras 2) keeps an input and a recurrent bias (8M)
// and a cuDNN kernel layout; its math is the same LSTM with the two biases summed.

import { configFlag } from './common';
import {
  activationOf,
  biasVector,
  copyInto,
  defaultRecurrentActivation,
  gatedFormula,
  recurrentLayer,
  recurrentWeights,
  stackRows,
  startWith,
  unitsOf,
  type Cell,
  type CellKind,
} from './recurrent';
import { workspace } from './recurrentKernel';

const isCudnn = (className: string): boolean => className === 'CuDNNLSTM';

export const lstmCell: CellKind = {
  name: 'LSTM',
  classNames: ['LSTM', 'CuDNNLSTM'],
  stateCount: 2,
  params(layer, D) {
    const M = unitsOf(layer);
    if (isCudnn(layer.className)) {
      const terms = [
        { name: 'kernel', shape: [D, 4 * M], trainable: true },
        { name: 'recurrent_kernel', shape: [M, 4 * M], trainable: true },
        { name: 'bias', shape: [8 * M], trainable: true },
      ];
      return gatedFormula(4, D, M, 2, terms, 'CuDNNLSTM keeps separate input and recurrent biases (8M); LSTM adds them into one 4M bias, so the same network counts 4M fewer there.');
    }
    const useBias = configFlag(layer, ['use_bias'], true);
    const terms = [
      { name: 'kernel', shape: [D, 4 * M], trainable: true },
      { name: 'recurrent_kernel', shape: [M, 4 * M], trainable: true },
      ...(useBias ? [{ name: 'bias', shape: [4 * M], trainable: true }] : []),
    ];
    return gatedFormula(4, D, M, useBias ? 1 : 0, terms, 'Four gates (input i, forget f, candidate c~, output o), each with D·M input weights, M·M recurrent weights' + (useBias ? ' and M biases.' : '.'));
  },
  build(layer, D, env): Cell {
    const M = unitsOf(layer);
    const GM = 4 * M;
    const w = recurrentWeights(layer, D, M, 4);
    let b = biasVector(layer, w, isCudnn(layer.className) ? [4 * M, 8 * M] : [4 * M], `an LSTM with M=${M} units needs (${GM},)` + (isCudnn(layer.className) ? ` or, for CuDNNLSTM, (${8 * M},)` : ''));
    // CuDNNLSTM: input bias + recurrent bias, as tf.keras does when converting to LSTM.
    if (b && b.length === 8 * M) b = b.subarray(0, GM).map((v, j) => v + b![GM + j]);
    const act = activationOf(layer, 'activation', 'tanh', env);
    const rec = activationOf(layer, 'recurrent_activation', defaultRecurrentActivation(env), env);
    // [x_t, h_{t-1}] · [W; U]: one product per step for all four gates.
    const ws = workspace([{ data: stackRows(w.kernel, w.recurrent), rows: D + M, cols: GM }], [GM, D + M]);
    const [WU] = ws.matrices;
    const [z, v] = ws.vectors;
    return {
      name: 'LSTM',
      units: M,
      inputDim: D,
      stateCount: 2,
      gates: ['i', 'f', 'g', 'o'],
      flopsPerStep: 2 * (D + M) * GM,
      step(x, xOff, prev, next, off, gates, gOff) {
        startWith(z, b, GM);
        copyInto(v, 0, x, xOff, D);
        copyInto(v, D, prev[0], off, M);
        ws.addVecMat(z, 0, v, D + M, WU);
        const cPrev = prev[1];
        const h = next[0];
        const c = next[1];
        for (let m = 0; m < M; m++) {
          const i = rec(z[m]);
          const f = rec(z[M + m]);
          const g = act(z[2 * M + m]);
          const o = rec(z[3 * M + m]);
          const ct = f * cPrev[off + m] + i * g;
          c[off + m] = ct;
          h[off + m] = o * act(ct);
          if (gates) {
            gates[0][gOff + m] = i;
            gates[1][gOff + m] = f;
            gates[2][gOff + m] = g;
            gates[3][gOff + m] = o;
          }
        }
      },
    };
  },
};

export const lstm = recurrentLayer(lstmCell);
