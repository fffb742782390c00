// GRU: update gate z, reset gate r, candidate h~ (kernel columns in that order), h_t = z⊙h_{t-1} + (1-z)⊙h~
// (keras/src/layers/rnn/gru.py). reset_after=True (tf.keras 2 / Keras 3 default, and CuDNNGRU) applies r after the
// recurrent matmul, h~ = act(x·W_h + b_in + r⊙(h·U_h + b_rec)), so it keeps two biases, (2, 3M); reset_after=False
// (Keras 1, Keras 2 before 2.3) applies it before, h~ = act(x·W_h + (r⊙h)·U_h + b), with one (3M,) bias.

import type { LayerNode } from '../model';
import { configFlag, findWeight } from './common';
import {
  activationOf,
  biasVector,
  copyInto,
  defaultRecurrentActivation,
  gatedFormula,
  recurrentLayer,
  recurrentWeights,
  startWith,
  unitsOf,
  type Cell,
  type CellKind,
} from './recurrent';
import { workspace } from './recurrentKernel';
import type { LayerEnv } from './types';

/** reset_after from the config; when the key is absent (Keras < 2.0.4, hand-made configs), from the stored bias, then the version's default. */
export function resetAfterOf(layer: LayerNode, env: LayerEnv): boolean {
  if (layer.className === 'CuDNNGRU') return true;
  const v = layer.config.reset_after;
  if (v !== undefined && v !== null) return v === true;
  const bias = findWeight(layer, ['bias', 'b'], 2);
  if (bias) return bias.shape.length === 2 || bias.shape[0] === 6 * unitsOf(layer);
  return env.kerasMajor === 3;
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
    const base = { name: 'GRU' as const, units: M, inputDim: D, stateCount: 1 as const, gates: ['z', 'r', 'hh'] as const, flopsPerStep: 2 * (D + M) * GM };

    if (after) {
      const bIn = b ? b.subarray(0, GM) : null;
      const bRec = b ? b.subarray(GM) : null;
      const ws = workspace([{ data: kernel, rows: D, cols: GM }, { data: recurrent, rows: M, cols: GM }], [GM, GM, D, M]);
      const [W, U] = ws.matrices;
      const [xz, hz, vx, vh] = ws.vectors;
      return {
        ...base,
        step(x, xOff, prev, next, off, gates, gOff) {
          const hp = prev[0];
          startWith(xz, bIn, GM);
          copyInto(vx, 0, x, xOff, D);
          ws.addVecMat(xz, 0, vx, D, W);
          startWith(hz, bRec, GM);
          copyInto(vh, 0, hp, off, M);
          ws.addVecMat(hz, 0, vh, M, U);
          const h = next[0];
          for (let m = 0; m < M; m++) {
            const z = rec(xz[m] + hz[m]);
            const r = rec(xz[M + m] + hz[M + m]);
            const hh = act(xz[2 * M + m] + r * hz[2 * M + m]);
            h[off + m] = z * hp[off + m] + (1 - z) * hh;
            if (gates) {
              gates[0][gOff + m] = z;
              gates[1][gOff + m] = r;
              gates[2][gOff + m] = hh;
            }
          }
        },
      };
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
        { data: kernel, rows: D, cols: GM },
        { data: uzr, rows: M, cols: 2 * M },
        { data: uh, rows: M, cols: M },
      ],
      [GM, D, M, M],
    );
    const [W, Uzr, Uh] = ws.matrices;
    const [xz, vx, vh, rh] = ws.vectors;
    const zs = new Float64Array(M);
    return {
      ...base,
      step(x, xOff, prev, next, off, gates, gOff) {
        const hp = prev[0];
        startWith(xz, b, GM);
        copyInto(vx, 0, x, xOff, D);
        ws.addVecMat(xz, 0, vx, D, W);
        copyInto(vh, 0, hp, off, M);
        ws.addVecMat(xz, 0, vh, M, Uzr);
        for (let m = 0; m < M; m++) {
          const r = rec(xz[M + m]);
          zs[m] = rec(xz[m]);
          rh[m] = r * hp[off + m];
          if (gates) gates[1][gOff + m] = r;
        }
        ws.addVecMat(xz, 2 * M, rh, M, Uh);
        const h = next[0];
        for (let m = 0; m < M; m++) {
          const z = zs[m];
          const hh = act(xz[2 * M + m]);
          h[off + m] = z * hp[off + m] + (1 - z) * hh;
          if (gates) {
            gates[0][gOff + m] = z;
            gates[2][gOff + m] = hh;
          }
        }
      },
    };
  },
};

export const gru = recurrentLayer(gruCell);
