// Keras AdditiveAttention (Bahdanau-style): score(i, j) = Σ_d scale_d·tanh(q_id + k_jd), one learned scale per
// feature (use_scale, on by default); hidden keys (value mask, causal) get −1e9 before the softmax over keys;
// output = softmax·value, zeroed where the query is masked. Dropout acts only while training, so inference ignores it.

import { InputError, UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { Shape } from '../shapes';
import { scoreValues } from './attention';
import type { Mask, Tensor } from '../tensor';
import type { LayerInputs, LayerKind } from './types';
import { configFlag, makeFormula, maskFits, weightValues } from './common';
import { showName } from '../safeText';
import { needWeight, one, pyFloat, type NumpyEmitter } from './numpyEmit';

/** A call argument (use_causal_mask, return_attention_scores): this call's own, else the same on every call. */
function callFlag(layer: LayerNode, key: string, inputs?: LayerInputs): boolean {
  const own = inputs?.kwargs;
  if (own && key in own) return own[key] === true;
  const values = new Set(layer.calls.map((c) => c.kwargs?.[key] === true));
  if (values.size > 1) {
    throw new UnsupportedFeatureError(`AdditiveAttention "${showName(layer.name)}" is called both with and without ${key}; running such a shared layer is not supported.`);
  }
  return values.has(true);
}

/** Keras 2 before 2.10 stored `causal` in the config; later versions take use_causal_mask at call time. */
function isCausal(layer: LayerNode, inputs?: LayerInputs): boolean {
  return configFlag(layer, ['causal'], false) || callFlag(layer, 'use_causal_mask', inputs);
}

/** The width the scale vector has: Keras 3 builds it from the query's last axis, tf.keras from the value's. */
function scaleWidth(inputs: Shape[], kerasMajor: number): number | null {
  const src = kerasMajor >= 3 ? inputs[0] : inputs[1];
  const d = src?.[src.length - 1];
  return typeof d === 'number' ? d : null;
}

function checkCount(layer: LayerNode, n: number): void {
  if (n < 2 || n > 3) throw new InputError(`AdditiveAttention "${showName(layer.name)}" takes [query, value] or [query, value, key], got ${n} inputs.`);
}

/** A rank-2 input is one "sequence" whose steps are the samples: Keras attends across the batch. */
function asSequences(t: Tensor): Tensor {
  return t.shape.length === 2 ? { shape: [1, t.shape[0], t.shape[1]], data: t.data } : t;
}

/** Keras adds −1e9 to a hidden key's score in float32; float32 rounding decides a row whose every key is hidden. */
const hide = (s: number): number => Math.fround(Math.fround(s) - 1e9);

const numpy: NumpyEmitter = (layer, call, inputs, cx, target) => {
  const [q, v, k0] = inputs.vars;
  const k = k0 ?? v;
  one(layer, inputs);
  cx.helpers.add('softmax');
  const scale = configFlag(layer, ['use_scale'], true) ? needWeight(layer, ['scale'], 0) : undefined;
  // A rank-2 input is one sequence whose steps are the samples, as in Keras.
  cx.out.push(`aq, av, ak = (a if a.ndim == 3 else a[None] for a in (${q}, ${v}, ${k}))`);
  cx.out.push(`scores = np.tanh(aq[:, :, None, :] + ak[:, None, :, :])  # N×Tq×Tv×D: tanh(q_i + k_j)`);
  cx.out.push(`scores = (scores${scale ? ` * ${cx.weight(layer, scale)}` : ''}).sum(axis=-1)  # Σ_d scale_d·tanh(q_id + k_jd)`);
  const vMask = inputs.masks[1] ?? 'None';
  const causal = call.kwargs.use_causal_mask === true || layer.config.causal === true;
  const hidden: string[] = [];
  if (vMask !== 'None') hidden.push(`(${vMask}[:, None, :] == 0)`);
  if (causal) hidden.push('(np.tril(np.ones(scores.shape[-2:])) == 0)[None]');
  if (hidden.length > 0) {
    cx.out.push(`hidden = ${hidden.join(' | ')}  # masked or future keys`);
    // Keras subtracts 1e9 in float32, so a row whose every key is hidden rounds as Keras's does.
    cx.out.push(`scores = np.where(hidden, (scores.astype(np.float32) - np.float32(${pyFloat(1e9)})).astype(np.float64), scores)`);
  }
  cx.out.push(`weights_ = softmax(scores)  # over keys`);
  cx.out.push(`${target} = weights_ @ av`);
  const qMask = inputs.masks[0] ?? 'None';
  if (qMask !== 'None') cx.out.push(`${target} = ${target} * ${qMask}[..., None]  # masked queries give 0`);
  cx.out.push(`${target} = ${target} if ${q}.ndim == 3 else ${target}[0]`);
  if (call.kwargs.return_attention_scores !== true) return { vars: [target], masks: [qMask] };
  cx.out.push(`${target}__scores = weights_ if ${q}.ndim == 3 else weights_[0]`);
  return { vars: [target, `${target}__scores`], masks: [qMask, qMask] };
};

export const additiveAttention: LayerKind = {
  classNames: ['AdditiveAttention'],
  workingValues: (_layer, ins) => scoreValues(ins),
  keras3WeightNames: (layer) => (configFlag(layer, ['use_scale'], true) ? ['scale'] : []),
  python: { positional: ['use_scale', 'dropout'] },
  outputShape(layer, inputs, env) {
    checkCount(layer, inputs.length);
    const [q, v] = inputs;
    // Keras 2 reports the query's shape; Keras 3 the query's steps with the value's width.
    const out: Shape = env.kerasMajor >= 3 ? [...q.slice(0, -1), v[v.length - 1]] : [...q];
    const shapes = [out];
    if (callFlag(layer, 'return_attention_scores')) shapes.push([...q.slice(0, -1), v[v.length - 2]]);
    return { shapes };
  },
  params(layer, inputs, env) {
    if (!configFlag(layer, ['use_scale'], true)) return null;
    const D = scaleWidth(inputs, env.kerasMajor);
    if (D === null) throw new UnsupportedFeatureError(`AdditiveAttention "${showName(layer.name)}" has inputs of unknown width, so its scale cannot be sized.`);
    return makeFormula('D', { D }, [{ name: 'scale', shape: [D], trainable: true }], 'scale: one learned weight per feature, multiplying tanh(q + k) before the sum over features.');
  },
  forward(layer, inputs, ctx) {
    checkCount(layer, inputs.tensors.length);
    const flat = inputs.tensors[0].shape.length === 2;
    const q = asSequences(inputs.tensors[0]);
    const v = asSequences(inputs.tensors[1]);
    const k = inputs.tensors[2] ? asSequences(inputs.tensors[2]) : v;
    if (q.shape.length !== 3 || v.shape.length !== 3 || k.shape.length !== 3) {
      throw new InputError(`AdditiveAttention "${showName(layer.name)}" needs N×T×D (or N×D) inputs; got [${q.shape}], [${v.shape}], [${k.shape}].`);
    }
    const [N, Tq, D] = q.shape;
    const [, Tv, Dv] = v.shape;
    if (k.shape[2] !== D || k.shape[1] !== Tv || v.shape[0] !== N || k.shape[0] !== N) {
      throw new InputError(`AdditiveAttention "${showName(layer.name)}" needs query N×Tq×D, value N×Tv×Dv and key N×Tv×D; got [${q.shape}], [${v.shape}], [${k.shape}].`);
    }
    const causal = isCausal(layer, inputs);
    const returnScores = callFlag(layer, 'return_attention_scores', inputs);
    const scale = configFlag(layer, ['use_scale'], true) ? weightValues(layer, ['scale'], 0, D) : null;
    if (scale && ctx.kerasMajor < 3 && Dv !== D) {
      throw new InputError(`AdditiveAttention "${showName(layer.name)}" in tf.keras sizes its scale by the value's width ${Dv}, which differs from the query's ${D}, so Keras could not run it.`);
    }
    const qMask: Mask | null = !flat && maskFits(inputs.masks[0], inputs.tensors[0]) ? inputs.masks[0] : null;
    const vMask: Mask | null = !flat && maskFits(inputs.masks[1], inputs.tensors[1]) ? inputs.masks[1] : null;

    const weights = new Float64Array(N * Tq * Tv);
    const out = new Float64Array(N * Tq * Dv);
    const row = new Float64Array(Tv);
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < Tq; i++) {
        const qo = (n * Tq + i) * D;
        let max = -Infinity;
        for (let j = 0; j < Tv; j++) {
          const ko = (n * Tv + j) * D;
          let s = 0;
          for (let d = 0; d < D; d++) s += (scale ? scale[d] : 1) * Math.tanh(q.data[qo + d] + k.data[ko + d]);
          const visible = (!vMask || vMask.data[n * Tv + j] === 1) && (!causal || j <= i);
          row[j] = visible ? s : hide(s);
          if (row[j] > max) max = row[j];
        }
        let sum = 0;
        for (let j = 0; j < Tv; j++) {
          row[j] = Math.exp(row[j] - max);
          sum += row[j];
        }
        const keepQuery = !qMask || qMask.data[n * Tq + i] === 1;
        const oo = (n * Tq + i) * Dv;
        for (let j = 0; j < Tv; j++) {
          const w = row[j] / sum;
          weights[(n * Tq + i) * Tv + j] = w;
          if (!keepQuery) continue;
          const vo = (n * Tv + j) * Dv;
          for (let d = 0; d < Dv; d++) out[oo + d] += w * v.data[vo + d];
        }
      }
    }
    const tensors: Tensor[] = [{ shape: flat ? [Tq, Dv] : [N, Tq, Dv], data: out }];
    if (returnScores) tensors.push({ shape: flat ? [Tq, Tv] : [N, Tq, Tv], data: weights });
    return { tensors, masks: tensors.map(() => qMask) };
  },
  numpy,
};
