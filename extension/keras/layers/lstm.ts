// LSTM: z = x_t·W + h_{t-1}·U + b split into the gates i, f, c~, o (that column order); c_t = f⊙c_{t-1} + i⊙act(c~),
// h_t = o⊙act(c_t) (keras/src/layers/rnn/lstm.py). CuDNNLSTM (Keras 2) keeps an input and a recurrent bias (8M)
// and a cuDNN kernel layout; its math is the same LSTM with the two biases summed.

import { activationFn, type ActivationFn } from '../activations';
import type { LayerNode } from '../model';
import { configFlag } from './common';
import {
  activationNameOf,
  activationOf,
  activationRange,
  actSymbol,
  addVectors,
  fillEquation,
  mulVectors,
  sliceOf,
  storedCellTensors,
  vecMat,
  walkOption,
  walkTensor,
  wrapAct,
  biasVector,
  defaultRecurrentActivation,
  gatedFormula,
  recurrentLayer,
  recurrentWeights,
  inputProjection,
  projectionVectors,
  rangeActivation,
  unitsOf,
  blockRowsFor,
  stepOverRows,
  type Cell,
  type CellRows,
  type CellKind,
} from './recurrent';
import { workspace } from './recurrentKernel';
import type { CellDescription, LayerEnv, LayerKind, WalkRow } from './types';
import { RUN_LSTM, recurrentNumpy } from './recurrentNumpy';

const isCudnn = (className: string): boolean => className === 'CuDNNLSTM';

/** The equations in letters with the layer's activations (a: activation, ra: recurrent activation). */
function equations(a: string, ra: string): string[] {
  return [
    `i = ${ra}(x{t}·W_i + h{k-1}·U_i + b_i)    f = ${ra}(x{t}·W_f + h{k-1}·U_f + b_f)`,
    `c̃ = ${wrapAct(a, 'x{t}·W_c + h{k-1}·U_c + b_c')}    o = ${ra}(x{t}·W_o + h{k-1}·U_o + b_o)`,
    `c{k} = f⊙c{k-1} + i⊙c̃    h{k} = o⊙${wrapAct(a, 'c{k}')}`,
  ];
}

function activations(layer: LayerNode, env: LayerEnv): { act: string; rec: string } {
  return { act: activationNameOf(layer, 'activation', 'tanh'), rec: activationNameOf(layer, 'recurrent_activation', defaultRecurrentActivation(env)) };
}

function describe(layer: LayerNode, env: LayerEnv): CellDescription {
  const { act, rec } = activations(layer, env);
  const gate = activationRange(rec);
  const cand = activationRange(act);
  const r = (range: [number, number] | undefined) => (range ? { range } : {});
  // |h| ≤ |o|·|act(c)|: bounded when both activations are.
  const hRange = gate && cand ? ([Math.min(0, gate[0] * cand[1], gate[1] * cand[0]), Math.max(gate[1] * cand[1], gate[0] * cand[0])] as [number, number]) : undefined;
  return {
    key: 'LSTM',
    title: 'LSTM',
    quantities: [
      { key: 'h', label: 'hidden state', symbol: 'h', role: 'state', ...r(hRange) },
      { key: 'c', label: 'cell state', symbol: 'c', role: 'state' },
      { key: 'i', label: 'input gate', symbol: 'i', role: 'gate', ...r(gate) },
      { key: 'f', label: 'forget gate', symbol: 'f', role: 'gate', ...r(gate) },
      { key: 'g', label: 'cell candidate', symbol: 'c̃', role: 'value', ...r(cand) },
      { key: 'o', label: 'output gate', symbol: 'o', role: 'gate', ...r(gate) },
    ],
    equations: equations(actSymbol(act), actSymbol(rec)),
    gateOrder: 'ifco',
    product: 'matmul',
  };
}

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
    // The input part x·W + b for a block of steps as one product; per step z = proj + h·U (all four gates at once).
    const R = blockRowsFor(GM);
    const ws = workspace(
      [
        { data: w.kernel, rows: D, cols: GM, blocked: true },
        { data: w.recurrent, rows: M, cols: GM, blocked: true },
      ],
      // z, tanh(c), the states h and c, then per row of a block: h, c, i, f, g, o
      [GM, M, M, M, ...Array.from({ length: 6 }, () => R * M), ...projectionVectors(D, GM)],
    );
    const [W, U] = ws.matrices;
    const [z, tc, hState, cState, ...rest] = ws.vectors;
    const values = rest.slice(0, 6);
    const input = inputProjection(ws, W, rest.slice(6), b);
    const recAct = rangeActivation(ws, rec);
    const candAct = rangeActivation(ws, act);
    const { proj, stride } = input;
    const { heap } = ws;
    const [Z, TC, P] = [ws.at(z), ws.at(tc), ws.at(proj)];
    const [H, C, I, F, G, O] = values.map((v) => ws.at(v));
    const rows: CellRows = {
      state: [hState, cState],
      values,
      run(from, count) {
        let hp = ws.at(hState);
        let cp = ws.at(cState);
        for (let r = from; r < from + count; r++) {
          const at = r * M;
          ws.vecMatAt(Z, P + r * stride, hp, U);
          recAct(heap, Z, 2 * M);
          candAct(heap, Z + 2 * M, M);
          recAct(heap, Z + 3 * M, M);
          // c = f⊙c_prev + i⊙c̃, h = o⊙act(c)
          ws.mulAdd(C + at, Z + M, cp, Z, Z + 2 * M, M);
          heap.copyWithin(TC, C + at, C + at + M);
          candAct(heap, TC, M);
          ws.mul(H + at, Z + 3 * M, TC, M);
          heap.copyWithin(I + at, Z, Z + M);
          heap.copyWithin(F + at, Z + M, Z + 2 * M);
          heap.copyWithin(G + at, Z + 2 * M, Z + 3 * M);
          heap.copyWithin(O + at, Z + 3 * M, Z + 4 * M);
          hp = H + at;
          cp = C + at;
        }
        heap.copyWithin(ws.at(hState), hp, hp + M);
        heap.copyWithin(ws.at(cState), cp, cp + M);
      },
    };
    return {
      name: 'LSTM',
      description: describe(layer, env),
      units: M,
      inputDim: D,
      stateCount: 2,
      gates: ['i', 'f', 'g', 'o'],
      flopsPerStep: 2 * (D + M) * GM,
      blockRows: input.rows,
      project: input.project,
      rows,
      step: stepOverRows(rows, M, 2),
      release: () => ws.release(),
    };
  },
  describe,
  stepWeights(layer, env) {
    const tensors = storedCellTensors(layer);
    if (!tensors) return null;
    const { act, rec } = activations(layer, env);
    return { tensors, options: { activation: act, recurrent_activation: rec } };
  },
  walkStep(q) {
    const { weights: w, x, names } = q;
    const M = w.stateShape[0];
    const D = x.length;
    const cols = 4 * M;
    const kernel = walkTensor(w, 'kernel', D * cols)!;
    const recurrent = walkTensor(w, 'recurrent_kernel', M * cols)!;
    let bias = walkTensor(w, 'bias', null);
    // CuDNNLSTM keeps an input and a recurrent bias (8M): the step adds them.
    if (bias && bias.length === 2 * cols) bias = bias.subarray(0, cols).map((v, j) => v + bias![cols + j]);
    if (bias && bias.length !== cols) throw new RangeError(`bias holds ${bias.length} values but this step needs ${cols}`);
    const actName = walkOption(w, 'activation', 'tanh');
    const recName = walkOption(w, 'recurrent_activation', 'sigmoid');
    const act = activationFn(actName, q.kerasMajor);
    const ract = activationFn(recName, q.kerasMajor);
    const a = actSymbol(actName);
    const ra = actSymbol(recName);
    const { t, k, kPrev } = names;
    const hPrev = q.prev.h;
    const cPrev = q.prev.c;
    const rows: WalkRow[] = [];
    // The candidate is written c̃ with Keras's block letter c (kernel_c); its trace key stays 'g'.
    const gate = (g: number, letter: string, f: ActivationFn, sym: string, shown = letter) => {
      const xw = vecMat(x, kernel, cols, g * M, M);
      const hu = vecMat(hPrev, recurrent, cols, g * M, M);
      const b = sliceOf(bias, g * M, M);
      const z = addVectors(xw, hu, b);
      const out = z.map((v) => f(v));
      rows.push(
        { label: `x${t}·W_${letter}`, expr: `(1×${D})·(${D}×${M})`, values: xw, group: g === 2 ? 'candidate c̃' : `gate ${letter}` },
        { label: `h${kPrev}·U_${letter}`, expr: `(1×${M})·(${M}×${M})`, values: hu },
        { label: `b_${letter}`, expr: 'bias', values: b },
        { label: `z_${letter}`, expr: 'sum', values: z },
        { label: shown, expr: wrapAct(sym, `z_${letter}`), values: out },
      );
      return out;
    };
    const i = gate(0, 'i', ract, ra);
    const f = gate(1, 'f', ract, ra);
    const g = gate(2, 'c', act, a, 'c̃');
    const o = gate(3, 'o', ract, ra);
    const fc = mulVectors(f, cPrev);
    const ig = mulVectors(i, g);
    const c = addVectors(fc, ig);
    const ac = c.map((v) => act(v));
    const h = mulVectors(o, ac);
    rows.push(
      { label: `f⊙c${kPrev}`, expr: 'keep part of the old cell state', values: fc, group: 'state update' },
      { label: 'i⊙c̃', expr: 'write part of the candidate', values: ig },
      { label: `c${k}`, expr: `f⊙c${kPrev} + i⊙c̃`, values: c },
      { label: wrapAct(a, `c${k}`), expr: '', values: ac },
      { label: `h${k}`, expr: `o⊙${wrapAct(a, `c${k}`)}`, values: h },
    );
    return { rows, values: { i, f, g, o, c, h }, equations: equations(a, ra).map((l) => fillEquation(l, names)) };
  },
};

export const lstm: LayerKind = {
  ...recurrentLayer(lstmCell),
  python: { positional: ['units', 'activation', 'recurrent_activation', 'use_bias'], positionalOf: { CuDNNLSTM: ['units'] } },
  weightNote(name, shape) {
    const m = shape[shape.length - 1] / 4;
    if (!['kernel', 'recurrent_kernel', 'bias'].includes(name) || !Number.isInteger(m)) return null;
    return `Four gate blocks of M = ${m} columns each, in Keras order i (input), f (forget), c (candidate), o (output).`;
  },
  numpy: recurrentNumpy,
  numpyHelpers: { run_lstm: RUN_LSTM },
};
