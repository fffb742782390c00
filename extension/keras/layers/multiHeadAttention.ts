// Keras MultiHeadAttention over sequences (N, T, D): four dense projections and H scaled dot-product heads.
//   q = query·W_q + b_q (N×Tq×H×A), k = key·W_k + b_k (N×Tv×H×A), v = value·W_v + b_v (N×Tv×H×U)
//   scores[n,h,i,j] = (q[n,i,h]/√A)·k[n,j,h]; weights = softmax over j of the visible keys; o[n,i,h] = Σ_j weights·v[n,j,h]
//   output = Σ_{h,u} o[n,i,h,u]·W_o[h,u,:] + b_o.
// Visible: the query's and value's (and key's) masks, use_causal_mask (j ≤ i) and Keras 3's sliding_window (|i − j| <
// window). Dropout acts only while training. A query row with every key hidden differs by path, as Keras's does:
// Keras 3 with dropout = 0 and no scores returned uses the fused kernel (uniform weights), its einsum path (dropout > 0
// or return_attention_scores) zeroes them (Keras ≥ 3.10); tf.keras adds −1e9 in float32.

import { InputError, UnsupportedFeatureError } from '../errors';
import type { LayerNode, WeightRef } from '../model';
import type { Shape } from '../shapes';
import { scoreValues } from './attention';
import type { Mask, Tensor } from '../tensor';
import { configFlag, configInt, configValue, maskFits } from './common';
import { checkDim } from '../limits';
import { cfg, cfgInt, one, pyFloat, type NumpyEmitter } from './numpyEmit';
import { showName } from '../safeText';
import type { LayerInputs, LayerKind, ParamFormula, ParamTerm } from './types';

/** The sizes of one layer: H heads, A = key_dim, U = value_dim, the output's trailing dims (default the query width). */
interface Sizes {
  H: number;
  A: number;
  U: number;
  bias: boolean;
  gate: boolean;
  /** output_shape from the config, or null for "the query's width". */
  outShape: number[] | null;
}

function who(layer: LayerNode): string {
  return `MultiHeadAttention "${showName(layer.name)}"`;
}

function sizes(layer: LayerNode): Sizes {
  const H = configInt(layer, ['num_heads']);
  const A = configInt(layer, ['key_dim']);
  const rawU = configValue(layer, ['value_dim']);
  const U = rawU === null || rawU === undefined || rawU === 0 ? A : configInt(layer, ['value_dim']);
  const raw = configValue(layer, ['output_shape']);
  let outShape: number[] | null = null;
  if (raw !== null && raw !== undefined && !(Array.isArray(raw) && raw.length === 0)) {
    const list = Array.isArray(raw) ? raw : [raw];
    if (list.length > 8) throw new UnsupportedFeatureError(`${who(layer)} has an output_shape of ${list.length} dimensions; the file is damaged or crafted.`);
    outShape = list.map((d) => checkDim(d, `A dimension of the output_shape of ${who(layer)}`));
  }
  // Keras 3 names the attention axes of the projected (N, T, H, A) tensor: None, 1 or -2 (= 1) is attention over time.
  const axes = configValue(layer, ['attention_axes']);
  const list = axes === null || axes === undefined ? [1] : Array.isArray(axes) ? axes : [axes];
  if (list.length !== 1 || !(list[0] === 1 || list[0] === -2)) {
    throw new UnsupportedFeatureError(`${who(layer)} attends over the axes ${showName(JSON.stringify(axes), 40)}; this tool runs attention over the time axis of (N, T, D) inputs only.`);
  }
  return { H, A, U, bias: configFlag(layer, ['use_bias'], true), gate: configFlag(layer, ['use_gate'], false), outShape };
}

/** A call argument (use_causal_mask, return_attention_scores): this call's own, else the same on every call. */
function callFlag(layer: LayerNode, key: string, inputs?: LayerInputs): boolean {
  const own = inputs?.kwargs;
  if (own && key in own) return own[key] === true;
  const values = new Set(layer.calls.map((c) => c.kwargs?.[key] === true));
  if (values.size > 1) throw new UnsupportedFeatureError(`${who(layer)} is called both with and without ${key}; running such a shared layer is not supported.`);
  return values.has(true);
}

/** An explicit attention_mask tensor is a call input this tool does not wire; say so rather than run without it. */
function refuseAttentionMask(layer: LayerNode, inputs?: LayerInputs): void {
  const given = (kw: Record<string, unknown> | undefined) => kw !== undefined && kw.attention_mask !== undefined && kw.attention_mask !== null;
  if (given(inputs?.kwargs) || layer.calls.some((c) => given(c.kwargs))) {
    throw new UnsupportedFeatureError(`${who(layer)} is called with an attention_mask tensor, which this tool does not pass in yet; masks from Masking or Embedding(mask_zero) and use_causal_mask are applied.`);
  }
}

/** The projections in Keras's weight order (query, key, gate, value, attention_output), with their shapes. */
function projections(s: Sizes, Dq: number, Dk: number, Dv: number): { name: string; kernel: number[]; bias: number[] }[] {
  const O = s.outShape ?? [Dq];
  return [
    { name: 'query', kernel: [Dq, s.H, s.A], bias: [s.H, s.A] },
    { name: 'key', kernel: [Dk, s.H, s.A], bias: [s.H, s.A] },
    ...(s.gate ? [{ name: 'gate', kernel: [Dq, s.H, s.U], bias: [s.H, s.U] }] : []),
    { name: 'value', kernel: [Dv, s.H, s.U], bias: [s.H, s.U] },
    { name: 'attention_output', kernel: [s.H, s.U, ...O], bias: [...O] },
  ];
}

function widths(layer: LayerNode, inputs: Shape[]): { Dq: number; Dk: number; Dv: number } {
  if (inputs.length < 2 || inputs.length > 3) throw new UnsupportedFeatureError(`${who(layer)} takes query and value (and optionally key), got ${inputs.length} inputs.`);
  const last = (s: Shape, what: string) => {
    if (s.length !== 3) throw new UnsupportedFeatureError(`${who(layer)} needs (N, T, D) inputs; its ${what} has rank ${s.length}.`);
    const d = s[2];
    if (typeof d !== 'number') throw new UnsupportedFeatureError(`${who(layer)} has a ${what} of unknown width, so its projections cannot be sized.`);
    return d;
  };
  const Dq = last(inputs[0], 'query');
  const Dv = last(inputs[1], 'value');
  const Dk = inputs[2] ? last(inputs[2], 'key') : Dv;
  return { Dq, Dk, Dv };
}

const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/** Where each projection's weights live: its Keras 2 name (`query/kernel:0`) or its Keras 3 group (`query_dense/vars/0`). */
const GROUPS: Readonly<Record<string, readonly string[]>> = {
  query: ['query', 'query_dense', '_query_dense'],
  key: ['key', 'key_dense', '_key_dense'],
  gate: ['gate', 'gate_dense', '_gate_dense'],
  value: ['value', 'value_dense', '_value_dense'],
  attention_output: ['attention_output', 'output_dense', '_output_dense'],
};

function projectionNames(s: Sizes): string[] {
  return ['query', 'key', ...(s.gate ? ['gate'] : []), 'value', 'attention_output'];
}

/** The stored weight refs in Keras order (query, key, gate, value, attention_output): by the name or path that tells, else by position. */
function weightRefs(layer: LayerNode, s: Sizes): { kernel: WeightRef; bias: WeightRef | null }[] {
  const names = projectionNames(s);
  const per = s.bias ? 2 : 1;
  if (layer.weights.length !== names.length * per) {
    throw new UnsupportedFeatureError(`${who(layer)} stores ${layer.weights.length} weight tensors but its config needs ${names.length * per} (${names.join(', ')}: kernel${s.bias ? ' and bias' : ''} each).`);
  }
  const find = (proj: string, part: 'kernel' | 'bias'): WeightRef | undefined => {
    const tail = part === 'kernel' ? '(kernel|vars/0)' : '(bias|vars/1)';
    const re = new RegExp(`(^|/)(${GROUPS[proj].join('|')})/${tail}(:\\d+)?$`);
    return layer.weights.find((w) => re.test(w.name) || re.test(w.path));
  };
  return names.map((proj, i) => ({
    kernel: find(proj, 'kernel') ?? layer.weights[i * per],
    bias: s.bias ? (find(proj, 'bias') ?? layer.weights[i * per + 1]) : null,
  }));
}

/** The stored values, each checked against the shape the config gives it. */
function storedWeights(layer: LayerNode, s: Sizes, Dq: number, Dk: number, Dv: number): { kernel: Float32Array; bias: Float32Array | null }[] {
  const projs = projections(s, Dq, Dk, Dv);
  const refs = weightRefs(layer, s);
  const values = (w: WeightRef, what: string, shape: number[]): Float32Array => {
    const v = w.values();
    if (v.length !== product(shape)) {
      throw new UnsupportedFeatureError(`${who(layer)} stores its ${what} with ${v.length} values (shape [${w.shape.join(', ')}]) but its config needs [${shape.join(', ')}].`);
    }
    return v;
  };
  return projs.map((p, i) => ({
    kernel: values(refs[i].kernel, `${p.name} kernel`, p.kernel),
    bias: refs[i].bias ? values(refs[i].bias!, `${p.name} bias`, p.bias) : null,
  }));
}

/** x (N·T rows of D) times a D×C kernel plus bias, row-major. */
function project(x: Float64Array, rows: number, D: number, kernel: Float32Array, bias: Float32Array | null, C: number): Float64Array {
  const out = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    const o = r * C;
    if (bias) for (let c = 0; c < C; c++) out[o + c] = bias[c];
    for (let d = 0; d < D; d++) {
      const xv = x[r * D + d];
      if (xv === 0) continue;
      const k = d * C;
      for (let c = 0; c < C; c++) out[o + c] += xv * kernel[k + c];
    }
  }
  return out;
}

/** How a row whose every key is hidden comes out, by the path Keras takes for this layer and call. */
type HiddenRow = 'uniform' | 'zero' | 'float32';

function hiddenRule(layer: LayerNode, kerasMajor: number, returnScores: boolean): HiddenRow {
  if (kerasMajor < 3) return 'float32';
  const dropout = Number(configValue(layer, ['dropout']) ?? 0);
  return dropout > 0 || returnScores ? 'zero' : 'uniform';
}

const numpy: NumpyEmitter = (layer, call, inputs, cx, target) => {
  refuseAttentionMask(layer);
  const [q, v, k0] = inputs.vars;
  const k = k0 ?? v;
  one(layer, inputs);
  const s = sizes(layer);
  const projs = projectionNames(s);
  const refs = weightRefs(layer, s);
  const w = (i: number, part: number) => cx.weight(layer, part === 0 ? refs[i].kernel : refs[i].bias!);
  const proj = (x: string, i: number) => `np.einsum('ntd,dhc->nthc', ${x}, ${w(i, 0)})${s.bias ? ` + ${w(i, 1)}` : ''}`;
  const at = (name: string) => projs.indexOf(name);
  cx.out.push(`q = ${proj(q, at('query'))}  # N×Tq×H×A`);
  cx.out.push(`k = ${proj(k, at('key'))}  # N×Tv×H×A`);
  cx.out.push(`v = ${proj(v, at('value'))}  # N×Tv×H×U`);
  cx.out.push(`scores = np.einsum('nihc,njhc->nhij', q / np.sqrt(${pyFloat(s.A)}), k)  # N×H×Tq×Tv`);
  const masks: string[] = [];
  const [qm, vm, km] = [inputs.masks[0] ?? 'None', inputs.masks[1] ?? 'None', inputs.masks[2] ?? 'None'];
  if (qm !== 'None') masks.push(`(${qm}[:, :, None] != 0)`);
  if (vm !== 'None') masks.push(`(${vm}[:, None, :] != 0)`);
  if (k0 !== undefined && km !== 'None') masks.push(`(${km}[:, None, :] != 0)`);
  const causal = call.kwargs.use_causal_mask === true;
  if (causal) masks.push('np.tril(np.ones(scores.shape[-2:], bool))[None]');
  if (cfg(layer, 'sliding_window', null) !== null) {
    masks.push(`(np.abs(np.arange(scores.shape[-2])[:, None] - np.arange(scores.shape[-1])[None, :]) < ${cfgInt(layer, 'sliding_window', 1)})[None]`);
  }
  cx.helpers.add('softmax');
  if (masks.length === 0) {
    cx.out.push('weights_ = softmax(scores)');
  } else {
    cx.out.push(`visible = np.broadcast_to(${masks.join(' & ')}, (scores.shape[0],) + scores.shape[2:])[:, None]  # N×1×Tq×Tv`);
    const rule = hiddenRule(layer, cx.doc.kerasMajor, call.kwargs.return_attention_scores === true);
    if (rule === 'float32') cx.out.push(`weights_ = softmax(np.where(visible, scores, (scores.astype(np.float32) - np.float32(${pyFloat(1e9)})).astype(np.float64)))  # tf.keras adds -1e9 in float32`);
    else {
      // Hidden keys get no weight; a row with none visible has all scores equal, so uniform weights (Keras 3's fused kernel).
      cx.out.push('weights_ = softmax(np.where(visible, scores, np.where(visible.any(-1, keepdims=True), -np.inf, 0.0)))');
      if (rule === 'zero') cx.out.push('weights_ = np.where(visible, weights_, 0.0)  # Keras 3 Softmax zeroes hidden keys (a row with none visible gives 0)');
    }
  }
  cx.out.push(`o = np.einsum('nhij,njhu->nihu', weights_, v)  # N×Tq×H×U`);
  if (s.gate) cx.out.push(`o = o / (1.0 + np.exp(-(${proj(q, at('gate'))})))  # use_gate: sigmoid(query·W_g + b_g)`);
  const oi = at('attention_output');
  cx.out.push(`${target} = np.tensordot(o, ${w(oi, 0)}, axes=([2, 3], [0, 1]))${s.bias ? ` + ${w(oi, 1)}` : ''}  # attention_output`);
  if (call.kwargs.return_attention_scores !== true) return { vars: [target], masks: [qm] };
  cx.out.push(`${target}__scores = weights_`);
  return { vars: [target, `${target}__scores`], masks: [qm, 'None'] };
};

export const multiHeadAttention: LayerKind = {
  classNames: ['MultiHeadAttention'],
  // Every head holds its own N×Tq×Tv score matrix.
  workingValues: (layer, ins) => scoreValues(ins, Math.max(1, Number(layer.config.num_heads) || 1)),
  python: { positional: ['num_heads', 'key_dim', 'value_dim', 'dropout', 'use_bias', 'output_shape', 'attention_axes'] },
  callTensorArgs: ['query', 'value', 'key'],
  keras3WeightNames(layer) {
    const s = sizes(layer);
    return projectionNames(s).flatMap((n) => [`${n}/kernel`, ...(s.bias ? [`${n}/bias`] : [])]);
  },
  keras3VarGroups(layer) {
    // Keras 3.0.2+ saves the projections under their public names, 3.0.0 and 3.0.1 under the private ones; one exists.
    const s = sizes(layer);
    const names = ['query_dense', 'key_dense', ...(s.gate ? ['gate_dense'] : []), 'value_dense', 'output_dense'];
    return names.flatMap((n) => [n, `_${n}`]);
  },
  outputShape(layer, inputs) {
    const { Dq } = widths(layer, inputs);
    const s = sizes(layer);
    const q = inputs[0];
    const shapes: Shape[] = [[q[0], q[1], ...(s.outShape ?? [Dq])]];
    if (callFlag(layer, 'return_attention_scores')) shapes.push([q[0], s.H, q[1], inputs[1][1]]);
    return { shapes };
  },
  params(layer, inputs): ParamFormula {
    const { Dq, Dk, Dv } = widths(layer, inputs);
    const s = sizes(layer);
    const O = product(s.outShape ?? [Dq]);
    // Letters: D query width, R key width, S value width (only where they differ), H heads, A key_dim, U value_dim, O output.
    const letters: Record<string, number> = { D: Dq, H: s.H, A: s.A };
    const R = Dk === Dq ? 'D' : 'R';
    const S = Dv === Dq ? 'D' : 'S';
    if (R === 'R') letters.R = Dk;
    if (S === 'S') letters.S = Dv;
    const Ul = s.U === s.A ? 'A' : 'U';
    if (Ul === 'U') letters.U = s.U;
    const Ol = s.outShape ? 'O' : 'D';
    if (Ol === 'O') letters.O = O;
    const b = s.bias;
    const part = (width: string, size: string) => (b ? `(${width}+1)·H·${size}` : `${width}·H·${size}`);
    const parts = [part('D', 'A'), part(R, 'A'), ...(s.gate ? [part('D', Ul)] : []), part(S, Ul), b ? `(H·${Ul}+1)·${Ol}` : `H·${Ul}·${Ol}`];
    // Equal parts are written once with a count: self-attention's query and key read 2(D+1)·H·A.
    const counted: string[] = [];
    for (const p of parts) if (!counted.includes(p)) counted.push(p);
    const formula = counted.map((p) => {
      const n = parts.filter((x) => x === p).length;
      return n > 1 ? `${n}${p.startsWith('(') ? p : `·${p}`}` : p;
    });
    const terms: ParamTerm[] = projections(s, Dq, Dk, Dv).flatMap((p) => [
      { name: `${p.name}/kernel`, shape: p.kernel, count: product(p.kernel), trainable: true },
      ...(b ? [{ name: `${p.name}/bias`, shape: p.bias, count: product(p.bias), trainable: true }] : []),
    ]);
    const total = terms.reduce((a, t) => a + t.count, 0);
    const text = formula.join(' + ');
    const substituted = text.replace(/\b([A-Za-z])\b/g, (m) => (m in letters ? String(letters[m]) : m));
    return {
      formula: text,
      substituted: `${substituted} = ${total}`,
      letters,
      terms,
      total,
      trainable: total,
      nonTrainable: 0,
      note:
        `Four dense projections: query, key (H·A each) and value (H·U) map every step's features into ${s.H} heads` +
        `${s.gate ? ', a sigmoid gate (H·U) scales each head\'s output' : ''}; attention_output maps the H·U head outputs back to ${O} numbers.` +
        ' Scaled dot-product attention itself has no weights.',
    };
  },
  forward(layer, inputs, ctx) {
    refuseAttentionMask(layer, inputs);
    const n = inputs.tensors.length;
    if (n < 2 || n > 3) throw new InputError(`${who(layer)} takes query and value (and optionally key), got ${n} inputs.`);
    const [query, value] = inputs.tensors;
    const key = inputs.tensors[2] ?? value;
    for (const [t, what] of [[query, 'query'], [value, 'value'], [key, 'key']] as const) {
      if (t.shape.length !== 3) throw new InputError(`${who(layer)} needs (N, T, D) inputs, but its ${what} has shape [${t.shape.join(', ')}].`);
    }
    const [N, Tq, Dq] = query.shape;
    const [, Tv, Dv] = value.shape;
    const Dk = key.shape[2];
    if (value.shape[0] !== N || key.shape[0] !== N || key.shape[1] !== Tv) {
      throw new InputError(`${who(layer)} needs query N×Tq×D, value N×Tv×S and key N×Tv×R with the same N and Tv; got [${query.shape}], [${value.shape}], [${key.shape}].`);
    }
    const s = sizes(layer);
    const W = storedWeights(layer, s, Dq, Dk, Dv);
    const names = projectionNames(s);
    const wOf = (name: string) => W[names.indexOf(name)];
    const { H, A, U } = s;
    const Q = project(query.data, N * Tq, Dq, wOf('query').kernel, wOf('query').bias, H * A);
    const K = project(key.data, N * Tv, Dk, wOf('key').kernel, wOf('key').bias, H * A);
    const V = project(value.data, N * Tv, Dv, wOf('value').kernel, wOf('value').bias, H * U);
    const returnScores = callFlag(layer, 'return_attention_scores', inputs);
    const causal = callFlag(layer, 'use_causal_mask', inputs);
    const windowRaw = configValue(layer, ['sliding_window']);
    const window = windowRaw === null || windowRaw === undefined ? null : configInt(layer, ['sliding_window']);
    const qMask: Mask | null = maskFits(inputs.masks[0], query) ? inputs.masks[0] : null;
    const vMask: Mask | null = maskFits(inputs.masks[1], value) ? inputs.masks[1] : null;
    // Keras ignores the key's mask when no key is given (it is the value's).
    const kMask: Mask | null = inputs.tensors[2] && maskFits(inputs.masks[2], key) ? inputs.masks[2] : null;
    const rule = hiddenRule(layer, ctx.kerasMajor, returnScores);
    const scale = 1 / Math.sqrt(A);

    const weights = new Float64Array(N * H * Tq * Tv);
    const O = new Float64Array(N * Tq * H * U);
    const row = new Float64Array(Tv);
    const seen = new Uint8Array(Tv);
    for (let b = 0; b < N; b++) {
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < Tq; i++) {
          const qo = ((b * Tq + i) * H + h) * A;
          const queryVisible = !qMask || qMask.data[b * Tq + i] === 1;
          let max = -Infinity;
          let anyVisible = false;
          for (let j = 0; j < Tv; j++) {
            const ko = ((b * Tv + j) * H + h) * A;
            let sc = 0;
            for (let a = 0; a < A; a++) sc += Q[qo + a] * scale * K[ko + a];
            const visible =
              queryVisible &&
              (!vMask || vMask.data[b * Tv + j] === 1) &&
              (!kMask || kMask.data[b * Tv + j] === 1) &&
              (!causal || j <= i) &&
              (window === null || Math.abs(i - j) < window);
            seen[j] = visible ? 1 : 0;
            if (visible) anyVisible = true;
            row[j] = visible ? sc : rule === 'float32' ? Math.fround(Math.fround(sc) - 1e9) : -Infinity;
          }
          const wo = ((b * H + h) * Tq + i) * Tv;
          if (!anyVisible && rule !== 'float32') {
            // Keras 3's fused kernel gives a row with no visible key uniform weights; its Softmax layer gives zeros.
            if (rule === 'uniform') for (let j = 0; j < Tv; j++) weights[wo + j] = 1 / Tv;
          } else {
            for (let j = 0; j < Tv; j++) if (row[j] > max) max = row[j];
            let sum = 0;
            for (let j = 0; j < Tv; j++) {
              row[j] = row[j] === -Infinity ? 0 : Math.exp(row[j] - max);
              sum += row[j];
            }
            for (let j = 0; j < Tv; j++) weights[wo + j] = row[j] / sum;
          }
          const oo = ((b * Tq + i) * H + h) * U;
          for (let j = 0; j < Tv; j++) {
            const wgt = weights[wo + j];
            if (wgt === 0) continue;
            const vo = ((b * Tv + j) * H + h) * U;
            for (let u = 0; u < U; u++) O[oo + u] += wgt * V[vo + u];
          }
        }
      }
    }
    if (s.gate) {
      const G = project(query.data, N * Tq, Dq, wOf('gate').kernel, wOf('gate').bias, H * U);
      for (let x = 0; x < O.length; x++) O[x] *= 1 / (1 + Math.exp(-G[x]));
    }
    const outTail = s.outShape ?? [Dq];
    const out = project(O, N * Tq, H * U, wOf('attention_output').kernel, wOf('attention_output').bias, product(outTail));
    const tensors: Tensor[] = [{ shape: [N, Tq, ...outTail], data: out }];
    if (returnScores) tensors.push({ shape: [N, H, Tq, Tv], data: weights });
    return { tensors, masks: tensors.map((_, i) => (i === 0 ? qMask : null)) };
  },
  numpy,
};
