// SimpleRNN: h_t = act(x_t·W_x + h_{t-1}·W_h + b), the cell the notebooks compute by hand.
// Weights: kernel W_x (D, M), recurrent_kernel W_h (M, M), bias b (M) (keras/src/layers/rnn/simple_rnn.py).

import { configFlag, makeFormula } from './common';
import { activationFn } from '../activations';
import type { LayerNode } from '../model';
import {
  activationNameOf,
  activationOf,
  activationRange,
  actSymbol,
  addVectors,
  biasVector,
  fillEquation,
  recurrentLayer,
  recurrentWeights,
  sliceOf,
  inputProjection,
  projectionVectors,
  rangeActivation,
  blockRowsFor,
  stepOverRows,
  storedCellTensors,
  unitsOf,
  vecMat,
  walkOption,
  walkTensor,
  wrapAct,
  type Cell,
  type CellKind,
  type CellRows,
} from './recurrent';
import type { CellDescription, LayerKind } from './types';
import { workspace } from './recurrentKernel';
import { RUN_SIMPLE_RNN, recurrentNumpy } from './recurrentNumpy';

function describe(layer: LayerNode): CellDescription {
  const act = activationNameOf(layer, 'activation', 'tanh');
  const range = activationRange(act);
  return {
    key: 'SimpleRNN',
    title: 'SimpleRNN',
    quantities: [
      { key: 'h', label: 'hidden state', symbol: 'h', role: 'state', ...(range ? { range } : {}) },
      { key: 'pre', label: 'pre-activation x_t·W_x + h_{t-1}·W_h + b', symbol: 'a', role: 'value' },
    ],
    equations: [`h{k} = ${wrapAct(actSymbol(act), 'x{t}·W_x + h{k-1}·W_h + b')}`],
    gateOrder: '',
    product: 'matmul',
  };
}

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
    // x·W_x + b for a block of steps as one product; per step pre = proj + h·W_h.
    const R = blockRowsFor(M);
    const ws = workspace(
      [
        { data: w.kernel, rows: D, cols: M, blocked: true },
        { data: w.recurrent, rows: M, cols: M, blocked: true },
      ],
      // pre, the state h, then per row of a block: h and pre
      [M, M, R * M, R * M, ...projectionVectors(D, M)],
    );
    const [W, U] = ws.matrices;
    const [pre, hState, hRows, preRows, ...pv] = ws.vectors;
    const input = inputProjection(ws, W, pv, b);
    const hAct = rangeActivation(ws, act);
    const { proj, stride } = input;
    const { heap } = ws;
    const [PRE, P, H, PR] = [ws.at(pre), ws.at(proj), ws.at(hRows), ws.at(preRows)];
    const rows: CellRows = {
      state: [hState],
      values: [hRows, preRows],
      run(from, count) {
        let hp = ws.at(hState);
        for (let r = from; r < from + count; r++) {
          const at = r * M;
          ws.vecMatAt(PRE, P + r * stride, hp, U);
          heap.copyWithin(PR + at, PRE, PRE + M);
          heap.copyWithin(H + at, PRE, PRE + M);
          hAct(heap, H + at, M);
          hp = H + at;
        }
        heap.copyWithin(ws.at(hState), hp, hp + M);
      },
    };
    return {
      name: 'SimpleRNN',
      description: describe(layer),
      units: M,
      inputDim: D,
      stateCount: 1,
      gates: ['pre'],
      flopsPerStep: 2 * (D + M) * M,
      blockRows: input.rows,
      project: input.project,
      rows,
      step: stepOverRows(rows, M, 1),
      release: () => ws.release(),
    };
  },
  describe,
  stepWeights(layer) {
    const tensors = storedCellTensors(layer);
    return tensors ? { tensors, options: { activation: activationNameOf(layer, 'activation', 'tanh') } } : null;
  },
  walkStep(q) {
    const { weights: w, x, names } = q;
    const M = w.stateShape[0];
    const D = x.length;
    const kernel = walkTensor(w, 'kernel', D * M)!;
    const recurrent = walkTensor(w, 'recurrent_kernel', M * M)!;
    const bias = walkTensor(w, 'bias', M);
    const actName = walkOption(w, 'activation', 'tanh');
    const act = activationFn(actName, q.kerasMajor);
    const { t, k, kPrev } = names;
    const xw = vecMat(x, kernel, M, 0, M);
    const hu = vecMat(q.prev.h, recurrent, M, 0, M);
    const b = sliceOf(bias, 0, M);
    const pre = addVectors(xw, hu, b);
    const h = pre.map((v) => act(v));
    return {
      rows: [
        { label: `x${t}·W_x`, expr: `(1×${D})·(${D}×${M})`, values: xw },
        { label: `h${kPrev}·W_h`, expr: `(1×${M})·(${M}×${M})`, values: hu },
        { label: 'b', expr: 'bias', values: b },
        { label: `a${k}`, expr: `x${t}·W_x + h${kPrev}·W_h + b`, values: pre },
        { label: `h${k}`, expr: wrapAct(actSymbol(actName), `a${k}`), values: h },
      ],
      values: { pre, h },
      equations: [fillEquation(`h{k} = ${wrapAct(actSymbol(actName), 'x{t}·W_x + h{k-1}·W_h + b')}`, names)],
    };
  },
};

export const simpleRnn: LayerKind = { ...recurrentLayer(simpleRnnCell), python: { positional: ['units', 'activation', 'use_bias'] }, numpy: recurrentNumpy, numpyHelpers: { run_simple_rnn: RUN_SIMPLE_RNN } };
