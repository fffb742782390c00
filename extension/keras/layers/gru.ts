// GRU: update gate z, reset gate r, candidate h~ (kernel columns in that order), h_t = z⊙h_{t-1} + (1-z)⊙h~
// (keras/src/layers/rnn/gru.py). reset_after=True (tf.keras 2 / Keras 3 default, and CuDNNGRU) applies r after the
// recurrent matmul, h~ = act(x·W_h + b_in + r⊙(h·U_h + b_rec)), so it keeps two biases, (2, 3M); reset_after=False
// (Keras 1, Keras 2 before 2.3) applies it before, h~ = act(x·W_h + (r⊙h)·U_h + b), with one (3M,) bias.

import type { LayerNode } from '../model';
import { activationFn } from '../activations';
import { configFlag, findWeight } from './common';
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
import { RUN_GRU, recurrentNumpy } from './recurrentNumpy';

/** reset_after from the config; when the key is absent (Keras < 2.0.4, hand-made configs), from the stored bias, then the version's default. */
export function resetAfterOf(layer: LayerNode, env: LayerEnv): boolean {
  if (layer.className === 'CuDNNGRU') return true;
  const v = layer.config.reset_after;
  if (v !== undefined && v !== null) return v === true;
  const bias = findWeight(layer, ['bias', 'b'], 2);
  if (bias) return bias.shape.length === 2 || bias.shape[0] === 6 * unitsOf(layer);
  return env.kerasMajor === 3;
}

function activations(layer: LayerNode, env: LayerEnv): { act: string; rec: string } {
  return { act: activationNameOf(layer, 'activation', 'tanh'), rec: activationNameOf(layer, 'recurrent_activation', defaultRecurrentActivation(env)) };
}

/** The equations in letters; `recBias` names the recurrent bias b′_h of reset_after. */
function equations(a: string, ra: string, after: boolean, recBias: boolean): string[] {
  const hh = after ? `x{t}·W_h + b_h + r⊙(h{k-1}·U_h${recBias ? ' + b′_h' : ''})` : 'x{t}·W_h + b_h + (r⊙h{k-1})·U_h';
  return [
    `z = ${ra}(x{t}·W_z + h{k-1}·U_z + b_z)    r = ${ra}(x{t}·W_r + h{k-1}·U_r + b_r)`,
    `h̃ = ${wrapAct(a, hh)}`,
    'h{k} = z⊙h{k-1} + (1−z)⊙h̃',
  ];
}

function describe(layer: LayerNode, env: LayerEnv): CellDescription {
  const { act, rec } = activations(layer, env);
  const after = resetAfterOf(layer, env);
  const useBias = layer.className === 'CuDNNGRU' || configFlag(layer, ['use_bias'], true);
  const gate = activationRange(rec);
  const cand = activationRange(act);
  const r = (range: [number, number] | undefined) => (range ? { range } : {});
  // h is a convex mix of h_{t-1} and h̃: it stays in h̃'s range when it starts there (h_0 = 0).
  const hRange = gate && cand && gate[0] >= 0 && gate[1] <= 1 && cand[0] <= 0 && cand[1] >= 0 ? cand : undefined;
  return {
    key: 'GRU',
    title: 'GRU',
    quantities: [
      { key: 'h', label: 'hidden state', symbol: 'h', role: 'state', ...r(hRange) },
      { key: 'z', label: 'update gate', symbol: 'z', role: 'gate', ...r(gate) },
      { key: 'r', label: 'reset gate', symbol: 'r', role: 'gate', ...r(gate) },
      { key: 'hh', label: 'candidate', symbol: 'h̃', role: 'value', ...r(cand) },
    ],
    equations: equations(actSymbol(act), actSymbol(rec), after, after && useBias),
    gateOrder: 'zrh',
    product: 'matmul',
  };
}

export const gruCell: CellKind = {
  name: 'GRU',
  classNames: ['GRU', 'CuDNNGRU'],
  stateCount: 1,
  params(layer, D, env) {
    const M = unitsOf(layer);
    const cudnn = layer.className === 'CuDNNGRU';
    const useBias = cudnn || configFlag(layer, ['use_bias'], true);
    const after = resetAfterOf(layer, env);
    const terms = [
      { name: 'kernel', shape: [D, 3 * M], trainable: true },
      { name: 'recurrent_kernel', shape: [M, 3 * M], trainable: true },
      ...(useBias ? [{ name: 'bias', shape: cudnn ? [6 * M] : after ? [2, 3 * M] : [3 * M], trainable: true }] : []),
    ];
    if (!useBias) return gatedFormula(3, D, M, 0, terms);
    const other = 3 * M * (D + M + (after ? 1 : 2));
    const note = after
      ? `${cudnn ? 'CuDNNGRU applies' : 'reset_after=True (the tf.keras 2 / Keras 3 default) applies'} the reset gate after the recurrent matmul, r⊙(h·U_h + b_rec), ` +
        `so the input and the recurrent part keep separate biases (2 × 3M). With reset_after=False (Keras 1, Keras 2 before 2.3) ` +
        `there is one 3M bias: 3M(D+M+1) = ${other}, 3M = ${3 * M} fewer.`
      : `reset_after=False applies the reset gate before the recurrent matmul, (r⊙h)·U_h, with one 3M bias. ` +
        `The tf.keras 2 / Keras 3 default reset_after=True keeps separate input and recurrent biases: 3M(D+M+2) = ${other}, 3M = ${3 * M} more.`;
    return gatedFormula(3, D, M, after ? 2 : 1, terms, note);
  },
  build(layer, D, env): Cell {
    const M = unitsOf(layer);
    const GM = 3 * M;
    const after = resetAfterOf(layer, env);
    const w = recurrentWeights(layer, D, M, 3);
    const b = biasVector(
      layer,
      w,
      after ? [2 * GM] : [GM],
      after ? `a GRU with reset_after=True and M=${M} units needs (2, ${GM})` : `a GRU with reset_after=False and M=${M} units needs (${GM},)`,
    );
    const act = activationOf(layer, 'activation', 'tanh', env);
    const rec = activationOf(layer, 'recurrent_activation', defaultRecurrentActivation(env), env);
    const { kernel, recurrent } = w;
    const base = { name: 'GRU', description: describe(layer, env), units: M, inputDim: D, stateCount: 1 as const, gates: ['z', 'r', 'hh'] as const, flopsPerStep: 2 * (D + M) * GM };

    // Per row of a block: h, z, r, h̃ (the trace's state and gates), after the vectors each cell needs.
    const R = blockRowsFor(GM);
    const rowVectors = Array.from({ length: 4 }, () => R * M);
    if (after) {
      const bIn = b ? b.subarray(0, GM) : null;
      const bRec = b ? b.subarray(GM) : null;
      // proj = x·W + b_in for a block of steps; per step hz = b_rec + h·U, then the gates from their sums.
      const ws = workspace([{ data: kernel, rows: D, cols: GM, blocked: true }, { data: recurrent, rows: M, cols: GM, blocked: true }], [GM, GM, 2 * M, M, M, ...rowVectors, ...projectionVectors(D, GM)]);
      const [W, U] = ws.matrices;
      const [hz, bR, zr, hh, hState, ...rest] = ws.vectors;
      const values = rest.slice(0, 4);
      if (bRec) bR.set(bRec);
      const input = inputProjection(ws, W, rest.slice(4), bIn);
      const recAct = rangeActivation(ws, rec);
      const candAct = rangeActivation(ws, act);
      const { proj, stride } = input;
      const { heap } = ws;
      const [HZ, BR, ZR, HH, P] = [ws.at(hz), ws.at(bR), ws.at(zr), ws.at(hh), ws.at(proj)];
      const [H, Z, RG, HT] = values.map((v) => ws.at(v));
      const rows: CellRows = {
        state: [hState],
        values,
        run(from, count) {
          let hp = ws.at(hState);
          for (let r = from; r < from + count; r++) {
            const at = r * M;
            const p = P + r * stride;
            ws.vecMatAt(HZ, BR, hp, U);
            // z and r from their sums; h̃ = act(x·W_h + b_in + r⊙(h·U_h + b_rec)); h = z⊙h_prev + (1 − z)⊙h̃
            ws.add(ZR, p, HZ, 2 * M);
            recAct(heap, ZR, 2 * M);
            ws.addMul(HH, p + 2 * M, ZR + M, HZ + 2 * M, M);
            candAct(heap, HH, M);
            ws.lerp(H + at, ZR, hp, HH, M);
            heap.copyWithin(Z + at, ZR, ZR + M);
            heap.copyWithin(RG + at, ZR + M, ZR + 2 * M);
            heap.copyWithin(HT + at, HH, HH + M);
            hp = H + at;
          }
          heap.copyWithin(ws.at(hState), hp, hp + M);
        },
      };
      return { ...base, blockRows: input.rows, project: input.project, rows, step: stepOverRows(rows, M, 1), release: () => ws.release() };
    }

    // Reset before: U split into its z|r columns (M, 2M) and its h~ columns (M, M), since h~ needs (r⊙h)·U_h.
    const uzr = new Float64Array(M * 2 * M);
    const uh = new Float64Array(M * M);
    for (let i = 0; i < M; i++) {
      uzr.set(recurrent.subarray(i * GM, i * GM + 2 * M), i * 2 * M);
      uh.set(recurrent.subarray(i * GM + 2 * M, (i + 1) * GM), i * M);
    }
    const ws = workspace(
      [
        { data: kernel, rows: D, cols: GM, blocked: true },
        { data: uzr, rows: M, cols: 2 * M, blocked: true },
        { data: uh, rows: M, cols: M, blocked: true },
      ],
      [2 * M, M, M, M, ...rowVectors, ...projectionVectors(D, GM)],
    );
    const [W, Uzr, Uh] = ws.matrices;
    const [zr, rh, hh, hState, ...rest] = ws.vectors;
    const values = rest.slice(0, 4);
    const input = inputProjection(ws, W, rest.slice(4), b);
    const recAct = rangeActivation(ws, rec);
    const candAct = rangeActivation(ws, act);
    const { proj, stride } = input;
    const { heap } = ws;
    const [ZR, RH, HH, P] = [ws.at(zr), ws.at(rh), ws.at(hh), ws.at(proj)];
    const [H, Z, RG, HT] = values.map((v) => ws.at(v));
    const rows: CellRows = {
      state: [hState],
      values,
      run(from, count) {
        let hp = ws.at(hState);
        for (let r = from; r < from + count; r++) {
          const at = r * M;
          const p = P + r * stride;
          // z, r = σ(x·W + h·U_zr + b); h̃ = act(x·W_h + (r⊙h)·U_h + b_h); h = z⊙h_prev + (1 − z)⊙h̃
          ws.vecMatAt(ZR, p, hp, Uzr);
          recAct(heap, ZR, 2 * M);
          ws.mul(RH, ZR + M, hp, M);
          ws.vecMatAt(HH, p + 2 * M, RH, Uh);
          candAct(heap, HH, M);
          ws.lerp(H + at, ZR, hp, HH, M);
          heap.copyWithin(Z + at, ZR, ZR + M);
          heap.copyWithin(RG + at, ZR + M, ZR + 2 * M);
          heap.copyWithin(HT + at, HH, HH + M);
          hp = H + at;
        }
        heap.copyWithin(ws.at(hState), hp, hp + M);
      },
    };
    return { ...base, blockRows: input.rows, project: input.project, rows, step: stepOverRows(rows, M, 1), release: () => ws.release() };
  },
  describe,
  stepWeights(layer, env) {
    const tensors = storedCellTensors(layer);
    if (!tensors) return null;
    const { act, rec } = activations(layer, env);
    return { tensors, options: { activation: act, recurrent_activation: rec, reset_after: resetAfterOf(layer, env) } };
  },
  walkStep(q) {
    const { weights: w, x, names } = q;
    const M = w.stateShape[0];
    const D = x.length;
    const cols = 3 * M;
    const kernel = walkTensor(w, 'kernel', D * cols)!;
    const recurrent = walkTensor(w, 'recurrent_kernel', M * cols)!;
    const resetAfter = w.options.reset_after === true;
    const bias = walkTensor(w, 'bias', null);
    // reset_after keeps an input bias row and a recurrent bias row (2, 3M), CuDNNGRU the same flat (6M).
    const hasRecBias = resetAfter && !!bias && bias.length === 2 * cols;
    if (bias && bias.length !== cols && !hasRecBias) throw new RangeError(`bias holds ${bias.length} values but this step needs ${resetAfter ? 2 * cols : cols}`);
    const actName = walkOption(w, 'activation', 'tanh');
    const recName = walkOption(w, 'recurrent_activation', 'sigmoid');
    const act = activationFn(actName, q.kerasMajor);
    const ract = activationFn(recName, q.kerasMajor);
    const a = actSymbol(actName);
    const ra = actSymbol(recName);
    const { t, kPrev, k } = names;
    const hPrev = q.prev.h;
    const zeros = new Float64Array(M);
    const xz = vecMat(x, kernel, cols, 0, M);
    const xr = vecMat(x, kernel, cols, M, M);
    const xh = vecMat(x, kernel, cols, 2 * M, M);
    const bz = sliceOf(bias, 0, M);
    const br = sliceOf(bias, M, M);
    const bh = sliceOf(bias, 2 * M, M);
    const rbz = hasRecBias ? sliceOf(bias, cols, M) : zeros;
    const rbr = hasRecBias ? sliceOf(bias, cols + M, M) : zeros;
    const rbh = hasRecBias ? sliceOf(bias, cols + 2 * M, M) : zeros;
    const uz = vecMat(hPrev, recurrent, cols, 0, M);
    const ur = vecMat(hPrev, recurrent, cols, M, M);
    const z = addVectors(xz, bz, uz, rbz).map((v) => ract(v));
    const r = addVectors(xr, br, ur, rbr).map((v) => ract(v));
    const rows: WalkRow[] = [
      { label: `x${t}·W_z`, expr: `(1×${D})·(${D}×${M})`, values: xz, group: 'update gate z' },
      { label: `h${kPrev}·U_z`, expr: `(1×${M})·(${M}×${M})`, values: uz },
      { label: hasRecBias ? 'b_z + b′_z' : 'b_z', expr: 'bias', values: addVectors(bz, rbz) },
      { label: 'z', expr: wrapAct(ra, 'sum'), values: z },
      { label: `x${t}·W_r`, expr: `(1×${D})·(${D}×${M})`, values: xr, group: 'reset gate r' },
      { label: `h${kPrev}·U_r`, expr: `(1×${M})·(${M}×${M})`, values: ur },
      { label: hasRecBias ? 'b_r + b′_r' : 'b_r', expr: 'bias', values: addVectors(br, rbr) },
      { label: 'r', expr: wrapAct(ra, 'sum'), values: r },
    ];
    let hh: Float64Array;
    if (resetAfter) {
      const uh = addVectors(vecMat(hPrev, recurrent, cols, 2 * M, M), rbh);
      const ruh = mulVectors(r, uh);
      hh = addVectors(xh, bh, ruh).map((v) => act(v));
      const rb = hasRecBias ? ' + b′_h' : '';
      rows.push(
        { label: `x${t}·W_h + b_h`, expr: `(1×${D})·(${D}×${M}) + bias`, values: addVectors(xh, bh), group: 'candidate h̃ (reset after)' },
        { label: `h${kPrev}·U_h${rb}`, expr: `(1×${M})·(${M}×${M})`, values: uh },
        { label: `r⊙(h${kPrev}·U_h${rb})`, expr: 'reset applied after the product', values: ruh },
        { label: 'h̃', expr: wrapAct(a, 'sum'), values: hh },
      );
    } else {
      const rh = mulVectors(r, hPrev);
      const rhu = vecMat(rh, recurrent, cols, 2 * M, M);
      hh = addVectors(xh, bh, rhu).map((v) => act(v));
      rows.push(
        { label: `x${t}·W_h + b_h`, expr: `(1×${D})·(${D}×${M}) + bias`, values: addVectors(xh, bh), group: 'candidate h̃ (reset before)' },
        { label: `r⊙h${kPrev}`, expr: 'reset applied before the product', values: rh },
        { label: `(r⊙h${kPrev})·U_h`, expr: `(1×${M})·(${M}×${M})`, values: rhu },
        { label: 'h̃', expr: wrapAct(a, 'sum'), values: hh },
      );
    }
    const zh = mulVectors(z, hPrev);
    const zhh = mulVectors(z.map((v) => 1 - v), hh);
    const h = addVectors(zh, zhh);
    rows.push(
      { label: `z⊙h${kPrev}`, expr: 'keep part of the old state', values: zh, group: 'state update' },
      { label: '(1−z)⊙h̃', expr: 'take part of the candidate', values: zhh },
      { label: `h${k}`, expr: `z⊙h${kPrev} + (1−z)⊙h̃`, values: h },
    );
    return { rows, values: { z, r, hh, h }, equations: equations(a, ra, resetAfter, hasRecBias).map((l) => fillEquation(l, names)) };
  },
};

export const gru: LayerKind = {
  ...recurrentLayer(gruCell),
  python: { positional: ['units', 'activation', 'recurrent_activation', 'use_bias'], positionalOf: { CuDNNGRU: ['units'] } },
  weightNote(name, shape) {
    const m = shape[shape.length - 1] / 3;
    if (!['kernel', 'recurrent_kernel', 'bias'].includes(name) || !Number.isInteger(m)) return null;
    const rows = name === 'bias' && shape.length === 2 ? ' Row 0 is the input bias, row 1 the recurrent bias (reset_after=True).' : '';
    return `Three gate blocks of M = ${m} columns each, in Keras order z (update), r (reset), h (candidate).${rows}`;
  },
  numpy: recurrentNumpy,
  numpyHelpers: { run_gru: RUN_GRU },
};
