// Keras AdditiveAttention (Bahdanau-style): score(i, j) = Σ_d scale_d·tanh(q_id + k_jd), one learned scale per
// feature (use_scale, on by default); hidden keys (value mask, causal) get −1e9 before the softmax over keys;
// output = softmax·value, zeroed where the query is masked. Dropout acts only while training, so inference ignores it.

import { InputError, UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { Shape } from '../shapes';
import { attend, attentionInputs, callFlags, scoreValues } from './attention';
import type { LayerKind } from './types';
import { configFlag, makeFormula, weightValues } from './common';
import { showName } from '../safeText';
import { needWeight, one, pyFloat, type NumpyEmitter } from './numpyEmit';

/** The width the scale vector has: Keras 3 builds it from the query's last axis, tf.keras from the value's. */
function scaleWidth(inputs: Shape[], kerasMajor: number): number | null {
  const src = kerasMajor >= 3 ? inputs[0] : inputs[1];
  const d = src?.[src.length - 1];
  return typeof d === 'number' ? d : null;
}

function checkCount(layer: LayerNode, n: number): void {
  if (n < 2 || n > 3) throw new InputError(`AdditiveAttention "${showName(layer.name)}" takes [query, value] or [query, value, key], got ${n} inputs.`);
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
    if (callFlags(layer).returnScores) shapes.push([...q.slice(0, -1), v[v.length - 2]]);
    return { shapes };
  },
  params(layer, inputs, env) {
    if (!configFlag(layer, ['use_scale'], true)) return null;
    const D = scaleWidth(inputs, env.kerasMajor);
    if (D === null) throw new UnsupportedFeatureError(`AdditiveAttention "${showName(layer.name)}" has inputs of unknown width, so its scale cannot be sized.`);
    return makeFormula('D', { D }, [{ name: 'scale', shape: [D], trainable: true }], 'scale: one learned weight per feature, multiplying tanh(q + k) before the sum over features.');
  },
  forward(layer, inputs, ctx) {
    const a = attentionInputs(layer, inputs);
    const { q, k } = a;
    const D = q.shape[2];
    const Dv = a.v.shape[2];
    const { causal, returnScores } = callFlags(layer, inputs);
    const scale = configFlag(layer, ['use_scale'], true) ? weightValues(layer, ['scale'], 0, D) : null;
    if (scale && ctx.kerasMajor < 3 && Dv !== D) {
      throw new InputError(`AdditiveAttention "${showName(layer.name)}" in tf.keras sizes its scale by the value's width ${Dv}, which differs from the query's ${D}, so Keras could not run it.`);
    }
    const score = (qo: number, ko: number): number => {
      let s = 0;
      for (let d = 0; d < D; d++) s += (scale ? scale[d] : 1) * Math.tanh(q.data[qo + d] + k.data[ko + d]);
      return s;
    };
    return attend(a, score, hide, causal, returnScores);
  },
  numpy,
};
