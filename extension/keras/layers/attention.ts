// Keras Attention (Luong-style): scores = query·keyᵀ (optionally times a learned scale) or, with
// score_mode="concat", sum(tanh(scale·(q + k))) times a learned weight; masked or future (causal) keys
// get -1e9 before the softmax over keys; output = softmax·value, zeroed where the query is masked.

import { InputError, UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { Shape } from '../shapes';
import type { Mask, Tensor } from '../tensor';
import type { LayerInputs, LayerKind, LayerOutput } from './types';
import { configFlag, configString, makeFormula, maskFits, weightValues } from './common';
import type { TermSpec } from './common';
import { showName } from '../safeText';

/** Score values an attention call holds: N×Tq×Tv per head (a 2-D query and value are one sequence). */
export function scoreValues(ins: Shape[], heads = 1): number {
  const [q, v] = ins;
  if (!q || !v || q.length < 2 || v.length < 2) return 0;
  const [N, Tq] = q.length === 2 ? [1, q[0]] : [q[0], q[1]];
  const Tv = v.length === 2 ? v[0] : v[1];
  return N === null || Tq === null || Tv === null ? 0 : heads * N * Tq * Tv;
}
import { cfg, weightByAlias, type NumpyEmitter } from './numpyEmit';

/** Call arguments that change the math (causal, return_attention_scores): this call's own, else the same on every call. */
export function callFlags(layer: LayerNode, inputs?: LayerInputs): { causal: boolean; returnScores: boolean } {
  const own = inputs?.kwargs;
  const pick = (key: string): boolean => {
    if (own && key in own) return own[key] === true;
    const values = new Set(layer.calls.map((c) => c.kwargs?.[key] === true));
    if (values.size > 1) {
      throw new UnsupportedFeatureError(`${showName(layer.className, 40)} "${showName(layer.name)}" is called both with and without ${key}; running such a shared layer is not supported.`);
    }
    return values.has(true);
  };
  // Keras 2 before 2.10 stored `causal` in the config; later versions take use_causal_mask at call time.
  const causal = configFlag(layer, ['causal'], false) || pick('use_causal_mask');
  return { causal, returnScores: pick('return_attention_scores') };
}

function scoreMode(layer: LayerNode): 'dot' | 'concat' {
  const m = configString(layer, ['score_mode'], 'dot');
  if (m !== 'dot' && m !== 'concat') throw new UnsupportedFeatureError(`Attention "${showName(layer.name)}" has score_mode "${m}"; Keras knows only dot and concat.`);
  return m;
}

function specs(layer: LayerNode): TermSpec[] {
  const out: TermSpec[] = [];
  if (configFlag(layer, ['use_scale'], false)) out.push({ name: 'scale', shape: [], trainable: true });
  if (scoreMode(layer) === 'concat') out.push({ name: 'concat_score_weight', shape: [], trainable: true });
  return out;
}

/** A rank-2 input is one "sequence" whose steps are the samples: Keras attends across the batch. */
function asSequences(t: Tensor): Tensor {
  return t.shape.length === 2 ? { shape: [1, t.shape[0], t.shape[1]], data: t.data } : t;
}

/** An attention call's query, value and key as N×T×D sequences, checked against each other, and the masks that apply. */
export interface AttentionInputs {
  q: Tensor;
  v: Tensor;
  k: Tensor;
  /** The inputs were rank 2 (one sequence across the batch): no masks, and the outputs are rank 2 too. */
  flat: boolean;
  qMask: Mask | null;
  vMask: Mask | null;
}

export function attentionInputs(layer: LayerNode, inputs: LayerInputs): AttentionInputs {
  const what = `${showName(layer.className, 40)} "${showName(layer.name)}"`;
  if (inputs.tensors.length < 2 || inputs.tensors.length > 3) throw new InputError(`${what} takes [query, value] or [query, value, key], got ${inputs.tensors.length} inputs.`);
  const flat = inputs.tensors[0].shape.length === 2;
  const q = asSequences(inputs.tensors[0]);
  const v = asSequences(inputs.tensors[1]);
  const k = inputs.tensors[2] ? asSequences(inputs.tensors[2]) : v;
  if (q.shape.length !== 3 || v.shape.length !== 3 || k.shape.length !== 3) throw new InputError(`${what} needs N×T×D (or N×D) inputs; got [${q.shape}], [${v.shape}], [${k.shape}].`);
  const [N, , D] = q.shape;
  const [, Tv] = v.shape;
  if (k.shape[2] !== D || k.shape[1] !== Tv || v.shape[0] !== N || k.shape[0] !== N) {
    throw new InputError(`${what} needs query N×Tq×D, value N×Tv×Dv and key N×Tv×D; got [${q.shape}], [${v.shape}], [${k.shape}].`);
  }
  const qMask = !flat && maskFits(inputs.masks[0], inputs.tensors[0]) ? inputs.masks[0] : null;
  const vMask = !flat && maskFits(inputs.masks[1], inputs.tensors[1]) ? inputs.masks[1] : null;
  return { q, v, k, flat, qMask, vMask };
}

/**
 * What the attention layers share around their score: per query, score(qo, ko) for every key (q.data[qo..] and
 * k.data[ko..] are the two feature vectors), hidden keys (value mask, future ones when causal) pushed down by `hide`,
 * the softmax over keys, and the weighted sum of the values; a masked query's output row stays 0. The scores are
 * the second output when asked for.
 */
export function attend(a: AttentionInputs, score: (qo: number, ko: number) => number, hide: (s: number) => number, causal: boolean, returnScores: boolean): LayerOutput {
  const { q, v, k, qMask, vMask, flat } = a;
  const [N, Tq, D] = q.shape;
  const [, Tv, Dv] = v.shape;
  const weights = new Float64Array(N * Tq * Tv);
  const out = new Float64Array(N * Tq * Dv);
  const row = new Float64Array(Tv);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < Tq; i++) {
      const qo = (n * Tq + i) * D;
      let max = -Infinity;
      for (let j = 0; j < Tv; j++) {
        const s = score(qo, (n * Tv + j) * D);
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
}

/** The NumPy export: dot-product attention, softmax(q·kᵀ)·v, with the value mask and the causal mask. */
const numpy: NumpyEmitter = (layer, call, inputs, cx, target) => {
  const [q, v, k0] = inputs.vars;
  const k = k0 ?? v;
  const mode = cfg(layer, 'score_mode', 'dot');
  const useScale = cfg(layer, 'use_scale', false) === true;
  const causal = call.kwargs.use_causal_mask === true || cfg(layer, 'causal', false) === true;
  if (mode !== 'dot') throw new UnsupportedFeatureError(`The NumPy export handles Attention with score_mode="dot" only ("${showName(layer.name)}").`);
  const scale = useScale ? weightByAlias(layer, ['scale'], 0) : undefined;
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

export const attention: LayerKind = {
  classNames: ['Attention'],
  workingValues: (_layer, ins) => scoreValues(ins),
  python: { positional: ['use_scale', 'score_mode', 'dropout', 'seed'] },
  keras3WeightNames: ({ config: c }) => [...(c.use_scale ? ['scale'] : []), ...(c.score_mode === 'concat' ? ['concat_score_weight'] : [])],
  outputShape(layer, inputs, env) {
    if (inputs.length < 2 || inputs.length > 3) {
      throw new UnsupportedFeatureError(`Attention "${showName(layer.name)}" takes [query, value] or [query, value, key], got ${inputs.length} inputs.`);
    }
    const [q, v] = inputs;
    // Keras 2 reports the query's shape; Keras 3 the query's steps with the value's width.
    const out: Shape = env.kerasMajor >= 3 ? [...q.slice(0, -1), v[v.length - 1]] : [...q];
    const shapes = [out];
    if (callFlags(layer).returnScores) shapes.push([...q.slice(0, -1), v[v.length - 2]]);
    return { shapes };
  },
  params(layer) {
    const s = specs(layer);
    if (s.length === 0) return null;
    return makeFormula(String(s.length), {}, s, `${s.map((x) => x.name).join(' and ')}: one learned number each.`);
  },
  forward(layer, inputs) {
    const a = attentionInputs(layer, inputs);
    const { q, k } = a;
    const D = q.shape[2];
    const { causal, returnScores } = callFlags(layer, inputs);
    const mode = scoreMode(layer);
    let pos = 0;
    const scale = configFlag(layer, ['use_scale'], false) ? weightValues(layer, ['scale'], pos++, 1)[0] : null;
    const concatWeight = mode === 'concat' ? weightValues(layer, ['concat_score_weight'], pos++, 1)[0] : 1;
    const score = (qo: number, ko: number): number => {
      let s = 0;
      if (mode === 'dot') {
        for (let d = 0; d < D; d++) s += q.data[qo + d] * k.data[ko + d];
        return scale !== null ? s * scale : s;
      }
      for (let d = 0; d < D; d++) {
        const z = q.data[qo + d] + k.data[ko + d];
        s += Math.tanh(scale !== null ? scale * z : z);
      }
      return s * concatWeight;
    };
    // Keras subtracts 1e9 where a key is masked out or lies in the future.
    return attend(a, score, (s) => s - 1e9, causal, returnScores);
  },
  numpy,
};
