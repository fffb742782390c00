// SimpleRNN: h_t = act(x_t·W_x + h_{t-1}·W_h + b), the cell the notebooks compute by hand.
// Weights: kernel W_x (D, M), recurrent_kernel W_h (M, M), bias b (M) (keras/src/layers/rnn/simple_rnn.py).

import { configFlag, makeFormula } from './common';
import { activationOf, biasVector, copyInto, recurrentLayer, recurrentWeights, stackRows, startWith, unitsOf, type Cell, type CellKind } from './recurrent';
import { workspace } from './recurrentKernel';

export const simpleRnnCell: CellKind = {
  name: 'SimpleRNN',
  classNames: ['SimpleRNN'],
  stateCount: 1,
  params(layer, D) {
    const M = unitsOf(layer);
    const useBias = configFlag(layer, ['use_bias'], true);
    const terms = [
      { name: 'kernel', shape: [D, M], trainable: true },
      { name: 'recurrent_kernel', shape: [M, M], trainable: true },
      ...(useBias ? [{ name: 'bias', shape: [M], trainable: true }] : []),
    ];
    return makeFormula(useBias ? 'D·M + M·M + M' : 'D·M + M·M', { D, M }, terms);
  },
  build(layer, D, env): Cell {
    const M = unitsOf(layer);
    const w = recurrentWeights(layer, D, M, 1);
    const b = biasVector(layer, w, [M], `M=${M} units need (${M},)`);
    const act = activationOf(layer, 'activation', 'tanh', env);
    // [x_t, h_{t-1}] · [W_x; W_h]: one product per step.
    const ws = workspace([{ data: stackRows(w.kernel, w.recurrent), rows: D + M, cols: M }], [M, D + M]);
    const [WU] = ws.matrices;
    const [pre, v] = ws.vectors;
    return {
      name: 'SimpleRNN',
      units: M,
      inputDim: D,
      stateCount: 1,
      gates: ['pre'],
      flopsPerStep: 2 * (D + M) * M,
      step(x, xOff, prev, next, off, gates, gOff) {
        startWith(pre, b, M);
        copyInto(v, 0, x, xOff, D);
        copyInto(v, D, prev[0], off, M);
        ws.addVecMat(pre, 0, v, D + M, WU);
        const h = next[0];
        for (let m = 0; m < M; m++) h[off + m] = act(pre[m]);
        if (gates) copyInto(gates[0], gOff, pre, 0, M);
      },
    };
  },
};

export const simpleRnn = recurrentLayer(simpleRnnCell);
