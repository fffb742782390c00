// Conv2D over frames: each output pixel sees a kh×kw window of the input (spaced by dilation_rate) across all C
// channels and produces F filters. "valid" shrinks H and W, "same" keeps ceil(H/stride) and pads like TensorFlow
// (an odd extra row or column goes at the bottom or right). channels_first is viewed as channels_last and back.
// The window geometry helpers here serve the 2-D and 3-D pooling modules too.

import { applyActivation } from '../activations';
import { InputError, NotAKerasFileError, UnsupportedFeatureError } from '../errors';
import { checkDim } from '../limits';
import type { LayerNode } from '../model';
import { showName } from '../safeText';
import type { DimLetter, Dim, Shape } from '../shapes';
import type { Tensor } from '../tensor';
import type { LayerKind } from './types';
import { configFlag, configValue, findWeight, makeFormula, oneInput, oneTensor, refuseQuantized, transpose, weightValues } from './common';
import { convLength, leftPad } from './conv1d';
import { dims, needWeight, one, pyInt, type NumpyEmitter } from './numpyEmit';

const KERNEL = ['kernel', 'W'];
const BIAS = ['bias', 'b'];

/** `Conv2D "name"`: how every sentence of these modules names the layer. */
export function who(layer: LayerNode): string {
  return `${showName(layer.className, 40)} "${showName(layer.name)}"`;
}

/**
 * A per-axis size from the config (kernel_size, strides, pool_size, dilation_rate, size): one whole number for every
 * axis, or a list of exactly `rank` whole numbers (Keras 3 always stores the list). Each is checked before use.
 */
export function configInts(layer: LayerNode, keys: readonly string[], rank: number, fallback?: readonly number[], min = 1): number[] {
  const v = configValue(layer, keys);
  if (v === undefined || v === null) {
    if (fallback) return [...fallback];
    throw new UnsupportedFeatureError(`${who(layer)} has no "${keys[0]}" in its config.`);
  }
  const what = `The "${keys[0]}" of ${who(layer)}`;
  if (!Array.isArray(v)) {
    const one = checkDim(v, what, { min });
    return Array.from({ length: rank }, () => one);
  }
  if (v.length !== rank) {
    throw new NotAKerasFileError(`${what} has ${v.length} values where a ${rank}-D window needs ${rank}: the file is damaged or crafted.`);
  }
  return v.map((d) => checkDim(d, what, { min }));
}

/** data_format, with Keras 1's dim_ordering ('th' = channels first). */
export function channelsFirst(layer: LayerNode): boolean {
  const f = configValue(layer, ['data_format', 'dim_ordering']);
  return f === 'channels_first' || f === 'th';
}

export function paddingMode(layer: LayerNode): 'valid' | 'same' {
  const raw = configValue(layer, ['padding', 'border_mode']);
  const padding = typeof raw === 'string' ? raw.toLowerCase() : raw === undefined || raw === null ? 'valid' : raw;
  if (padding !== 'valid' && padding !== 'same') {
    throw new UnsupportedFeatureError(`${who(layer)} uses padding ${showName(JSON.stringify(padding), 40)}; only "valid" and "same" exist for it.`);
  }
  return padding;
}

/** One spatial axis of a sliding window: input length, window, stride, dilation. */
export interface WindowAxis {
  k: number;
  stride: number;
  dilation: number;
}

/** Output sizes of the spatial axes (Keras compute_conv_output_shape / compute_pooling_output_shape). */
export function windowOutput(spatial: readonly Dim[], axes: readonly WindowAxis[], padding: 'valid' | 'same'): Dim[] {
  return spatial.map((L, i) => convLength(L, axes[i].k, axes[i].stride, axes[i].dilation, padding));
}

/**
 * Refuses a window that does not fit its input with "valid" padding (Keras refuses to build such a layer): one
 * sentence naming the layer, the axis sizes and what would fit.
 */
export function checkWindowFits(layer: LayerNode, spatial: readonly Dim[], axes: readonly WindowAxis[], padding: 'valid' | 'same', axisNames: readonly string[]): void {
  if (padding !== 'valid') return;
  spatial.forEach((L, i) => {
    const span = axes[i].dilation * (axes[i].k - 1) + 1;
    if (L !== null && L < span) {
      throw new InputError(`${who(layer)} slides a window ${span} wide over ${axisNames[i]} ${L} with padding "valid", which leaves no output; the input must be at least ${span} along it.`);
    }
  });
}

/** Cells one window may cover before its cost is worth a look: real models use windows of at most 11×11 (121). */
const MAX_WINDOW_CELLS = 1024;
/** Multiply-adds (or comparisons) a layer may spend when its windows are that large: a few seconds at most. */
const MAX_WINDOW_WORK = 5e9;

/**
 * Refuses a window so large that the sums would run for minutes or hours (a crafted "same" window over a large frame
 * visits nearly every cell at every output): `windowCells` is how many cells of the frame one window covers, `work`
 * the multiply-adds or comparisons of the whole layer.
 */
export function checkWindowWork(layer: LayerNode, windowCells: number, work: number): void {
  if (windowCells > MAX_WINDOW_CELLS && work > MAX_WINDOW_WORK) {
    throw new UnsupportedFeatureError(
      `${who(layer)} would need about ${work.toExponential(1)} operations, because each of its windows covers ${windowCells.toLocaleString('en-US')} cells of the frame; no real model has windows that large, so it is not run.`,
    );
  }
}

/** Cells padded before the first input cell on each axis ("same" puts the odd extra cell at the end, as TensorFlow does). */
export function windowPads(spatial: readonly number[], axes: readonly WindowAxis[], padding: 'valid' | 'same'): number[] {
  return spatial.map((L, i) => leftPad(L, axes[i].k, axes[i].stride, axes[i].dilation, padding));
}

export interface Conv2DSettings {
  filters: number;
  kernel: [number, number];
  strides: [number, number];
  dilation: [number, number];
  padding: 'valid' | 'same';
  groups: number;
  channelsFirst: boolean;
  useBias: boolean;
}

function settings(layer: LayerNode): Conv2DSettings {
  const padding = paddingMode(layer);
  const filters = checkDim(configValue(layer, ['filters', 'nb_filter']), `The "filters" of ${who(layer)}`);
  // Keras 1 gave the window as nb_row, nb_col.
  const k1 = configValue(layer, ['nb_row']) !== undefined ? [configValue(layer, ['nb_row']), configValue(layer, ['nb_col'])] : undefined;
  const kernel = k1 ? (k1.map((d) => checkDim(d, `The "kernel_size" of ${who(layer)}`)) as [number, number]) : (configInts(layer, ['kernel_size'], 2) as [number, number]);
  const strides = configInts(layer, ['strides', 'subsample'], 2, [1, 1]) as [number, number];
  const dilation = configInts(layer, ['dilation_rate', 'atrous_rate'], 2, [1, 1]) as [number, number];
  const groups = checkDim(configValue(layer, ['groups']) ?? 1, `The "groups" of ${who(layer)}`);
  if (filters % groups !== 0) {
    throw new NotAKerasFileError(`${who(layer)} has ${filters} filters in ${groups} groups, which Keras refuses (filters must divide evenly); the file is damaged or crafted.`);
  }
  if (Math.max(...strides) > 1 && Math.max(...dilation) > 1) {
    throw new NotAKerasFileError(`${who(layer)} sets both strides and dilation_rate above 1, which Keras does not allow; the file is damaged or crafted.`);
  }
  return { filters, kernel, strides, dilation, padding, groups, channelsFirst: channelsFirst(layer), useBias: configFlag(layer, ['use_bias', 'bias'], true) };
}

function axesOf(s: Conv2DSettings): WindowAxis[] {
  return [0, 1].map((i) => ({ k: s.kernel[i], stride: s.strides[i], dilation: s.dilation[i] }));
}

/** The input's channel count C: from the shape, else from the stored kernel (kh, kw, C/G, F). */
function inputChannels(layer: LayerNode, shape: Shape, s: Conv2DSettings): number {
  const d = s.channelsFirst ? shape[1] : shape[3];
  if (typeof d === 'number') return d;
  const w = findWeight(layer, KERNEL, 0);
  if (w && w.shape.length === 4) return w.shape[2] * s.groups;
  throw new UnsupportedFeatureError(`The channel count of the input of ${who(layer)} is unknown, so its weights cannot be sized.`);
}

function needsFrames(layer: LayerNode, rank: number): void {
  if (rank !== 4) {
    throw new UnsupportedFeatureError(`${who(layer)} needs an N×H×W×C input (a batch of frames), got rank ${rank}; inside TimeDistributed it sees one frame per time step.`);
  }
}

/** The Python the NumPy export writes for Conv2D: the same sums, one kernel tap (i, j) at a time as a matrix product. */
const RUN_CONV2D = `def run_conv2d(x, W, b, strides, padding, dilation, groups, act):
    """Conv2D over frames x (N×H×W×C): y[n, r, c, f] = sum over i, j, ch of x[n, r·sh + i·dh, c·sw + j·dw, ch]·W[i, j, ch, f] + b[f].
    W is kh×kw×(C/groups)×F. 'same' pads so that H_out = ceil(H / sh), the odd extra row (column) at the bottom (right)."""
    N, H, Wd, C = x.shape
    kh, kw, Cg, F = W.shape
    (sh, sw), (dh, dw) = strides, dilation
    span_h, span_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == 'same':
        ph = max((-(-H // sh) - 1) * sh + span_h - H, 0)
        pw = max((-(-Wd // sw) - 1) * sw + span_w - Wd, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    oh = (x.shape[1] - span_h) // sh + 1
    ow = (x.shape[2] - span_w) // sw + 1
    Fg = F // groups
    y = np.zeros((N, oh, ow, F))
    for i in range(kh):
        for j in range(kw):
            tap = x[:, i * dh:i * dh + (oh - 1) * sh + 1:sh, j * dw:j * dw + (ow - 1) * sw + 1:sw]
            for g in range(groups):
                y[..., g * Fg:(g + 1) * Fg] += tap[..., g * Cg:(g + 1) * Cg] @ W[i, j, :, g * Fg:(g + 1) * Fg]
    if b is not None:
        y = y + b
    return act(y)`;

const emit: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const s = settings(layer);
  const W = needWeight(layer, KERNEL, 0);
  const b = s.useBias ? needWeight(layer, BIAS, 1) : undefined;
  const int = (v: number) => pyInt(v, 'a size', layer.name);
  let x = one(layer, inputs);
  if (s.channelsFirst) {
    cx.out.push(`${target}__x = np.transpose(${x}, (0, 2, 3, 1))  # channels_first viewed as channels_last`);
    x = `${target}__x`;
  }
  cx.helpers.add('run_conv2d');
  cx.out.push(`W = ${cx.weight(layer, W)}  # kernel kh×kw×C×F = ${dims(W.shape, layer.name).join('×')}`);
  cx.out.push(b ? `b = ${cx.weight(layer, b)}  # bias F` : 'b = None');
  cx.out.push(
    `${target} = run_conv2d(${x}, W, b, strides=(${s.strides.map(int).join(', ')}), padding='${s.padding}', ` +
      `dilation=(${s.dilation.map(int).join(', ')}), groups=${int(s.groups)}, act=${cx.act(configValue(layer, ['activation']) ?? 'linear')})`,
  );
  if (s.channelsFirst) cx.out.push(`${target} = np.transpose(${target}, (0, 3, 1, 2))`);
  return { vars: [target], masks: ['None'] };
};

/** Sizes of one frame's convolution, so the hot loop below is one monomorphic function. */
interface FrameGeometry {
  H: number; W: number; C: number; F: number; G: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; ph: number; pw: number; oh: number; ow: number;
}

/** y[n, r, c, :] = b + sum over taps (i, j) and channels of x[n, r·sh + i·dh − ph, c·sw + j·dw − pw, ch]·W[i, j, ch, :]. */
function convFrame(xd: Float64Array, n: number, g: FrameGeometry, Wt: Float64Array, b: Float32Array | null, out: Float64Array): void {
  const { H, W, C, F, G, kh, kw, sh, sw, dh, dw, ph, pw, oh, ow } = g;
  const Cg = C / G;
  const Fg = F / G;
  for (let r = 0; r < oh; r++) {
    for (let c = 0; c < ow; c++) {
      const yo = ((n * oh + r) * ow + c) * F;
      if (b) for (let f = 0; f < F; f++) out[yo + f] = b[f];
      // Only the taps that land inside the frame (the rest meet zero padding): the work never grows with a huge window.
      const r0 = r * sh - ph;
      const c0 = c * sw - pw;
      const iHi = Math.min(kh - 1, Math.floor((H - 1 - r0) / dh));
      const jHi = Math.min(kw - 1, Math.floor((W - 1 - c0) / dw));
      for (let i = Math.max(0, Math.ceil(-r0 / dh)); i <= iHi; i++) {
        const ih = r0 + i * dh;
        for (let j = Math.max(0, Math.ceil(-c0 / dw)); j <= jHi; j++) {
          const iw = c0 + j * dw;
          const xo = ((n * H + ih) * W + iw) * C;
          const tap = (i * kw + j) * Cg * F;
          for (let grp = 0; grp < G; grp++) {
            const yg = yo + grp * Fg;
            for (let ch = 0; ch < Cg; ch++) {
              const xv = xd[xo + grp * Cg + ch];
              const wo = tap + ch * F + grp * Fg;
              for (let f = 0; f < Fg; f++) out[yg + f] += xv * Wt[wo + f];
            }
          }
        }
      }
    }
  }
}

export const conv2d: LayerKind = {
  classNames: ['Conv2D'],
  keras1: {
    classNames: ['Convolution2D', 'AtrousConvolution2D'],
    keys: { nb_filter: 'filters', subsample: 'strides', border_mode: 'padding', atrous_rate: 'dilation_rate', dim_ordering: 'data_format' },
  },
  keras3WeightNames: (layer) => ['kernel', ...(configFlag(layer, ['use_bias', 'bias'], true) ? ['bias'] : [])],
  letters: { H: 'frame height (rows)', W: 'frame width (columns)', C: 'channels per pixel', F: 'filters' },
  python: { positional: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'groups', 'activation', 'use_bias'] },
  numpy: emit,
  numpyHelpers: { run_conv2d: RUN_CONV2D },
  weightNote(name, shape) {
    if (name !== 'kernel' || shape.length !== 4) return null;
    const [kh, kw, c, f] = shape;
    return `One ${c}×${f} matrix (input channels × filters) for each of the ${kh}×${kw} window positions; position (i, j) weighs the pixel i rows below and j columns right of the window's top-left corner.`;
  },
  outputShape(layer, inputs) {
    const shape = oneInput(layer, inputs);
    needsFrames(layer, shape.length);
    const s = settings(layer);
    const spatial = s.channelsFirst ? shape.slice(2, 4) : shape.slice(1, 3);
    const axes = axesOf(s);
    checkWindowFits(layer, spatial, axes, s.padding, ['height', 'width']);
    const [h, w] = windowOutput(spatial, axes, s.padding);
    // A dim keeps its letter only when the layer cannot change it.
    const keeps = (i: number) => s.strides[i] === 1 && (s.padding === 'same' || s.kernel[i] === 1);
    const hL: DimLetter = keeps(0) ? 'H' : null;
    const wL: DimLetter = keeps(1) ? 'W' : null;
    if (s.channelsFirst) return { shapes: [[shape[0], s.filters, h, w]], letters: [['N', 'F', hL, wL]] };
    return { shapes: [[shape[0], h, w, s.filters]], letters: [['N', hL, wL, 'F']] };
  },
  params(layer, inputs) {
    const s = settings(layer);
    const C = inputChannels(layer, oneInput(layer, inputs), s);
    const F = s.filters;
    const G = s.groups;
    if (C % G !== 0) {
      throw new UnsupportedFeatureError(`${who(layer)} splits ${C} input channels into ${G} groups, which does not divide evenly.`);
    }
    const [kh, kw] = s.kernel;
    const kernelFormula = G === 1 ? 'kh·kw·C·F' : 'kh·kw·(C/G)·F';
    const letters: Record<string, number> = G === 1 ? { kh, kw, C, F } : { kh, kw, C, F, G };
    const f = makeFormula(
      s.useBias ? `${kernelFormula} + F` : kernelFormula,
      letters,
      [
        { name: 'kernel', shape: [kh, kw, C / G, F], trainable: true },
        ...(s.useBias ? [{ name: 'bias', shape: [F], trainable: true }] : []),
      ],
      `each of the F filters is a kh×kw window over ${G === 1 ? 'all C input channels' : 'the C/G channels of its group'}, the same weights at every pixel` +
        `${s.useBias ? ', plus one bias per filter' : ''}; the count does not depend on the frame size H×W.`,
    );
    // The two-letter kh, kw are not single letters, so fill them in here.
    const kernelNumbers = G === 1 ? `${kh}·${kw}·${C}·${F}` : `${kh}·${kw}·(${C}/${G})·${F}`;
    f.substituted = `${kernelNumbers}${s.useBias ? ` + ${F}` : ''} = ${f.total}`;
    return f;
  },
  forward(layer, inputs, ctx) {
    refuseQuantized(layer);
    const s = settings(layer);
    if (ctx.kerasMajor === 1 && s.channelsFirst) {
      // Keras 1 stored a "th" kernel filters-first and Theano flipped it: no shape check can tell it apart.
      throw new UnsupportedFeatureError(`${who(layer)} is a Keras 1 layer with dim_ordering "th", whose kernel is stored Theano-style (filters first, flipped); only dim_ordering "tf" can be run.`);
    }
    let x: Tensor = oneTensor(layer, inputs.tensors);
    needsFrames(layer, x.shape.length);
    if (s.channelsFirst) x = transpose(x, [0, 2, 3, 1]);
    const [N, H, Wd, C] = x.shape;
    const { groups: G, filters: F } = s;
    if (C % G !== 0) throw new InputError(`${who(layer)} splits ${C} input channels into ${G} groups, which does not divide evenly.`);
    const Cg = C / G;
    const Fg = F / G;
    const [kh, kw] = s.kernel;
    const kernelRef = findWeight(layer, KERNEL, 0);
    if (kernelRef && kernelRef.shape.length === 4 && (kernelRef.shape[0] !== kh || kernelRef.shape[1] !== kw || kernelRef.shape[2] !== Cg)) {
      throw new UnsupportedFeatureError(
        `${who(layer)} stores its kernel as [${kernelRef.shape.join(', ')}] but its config and input need [${kh}, ${kw}, ${Cg}, ${F}]${ctx.kerasMajor === 1 ? ' (a Theano-ordered Keras 1 kernel is not supported)' : ''}.`,
      );
    }
    const Wt = weightValues(layer, KERNEL, 0, kh * kw * Cg * F);
    const b = s.useBias ? weightValues(layer, BIAS, 1, F) : null;
    const axes = axesOf(s);
    checkWindowFits(layer, [H, Wd], axes, s.padding, ['height', 'width']);
    const [oh, ow] = windowOutput([H, Wd], axes, s.padding) as number[];
    const [ph, pw] = windowPads([H, Wd], axes, s.padding);
    const [sh, sw] = s.strides;
    const [dh, dw] = s.dilation;
    const taps = Math.min(kh, H) * Math.min(kw, Wd);
    checkWindowWork(layer, taps, taps * Cg * N * oh * ow * F);
    const out = new Float64Array(N * oh * ow * F);
    const frame: FrameGeometry = { H, W: Wd, C, F, G, kh, kw, sh, sw, dh, dw, ph, pw, oh, ow };
    const W64 = Float64Array.from(Wt);
    for (let n = 0; n < N; n++) {
      ctx.checkCancelled();
      convFrame(x.data, n, frame, W64, b, out);
    }
    applyActivation(configValue(layer, ['activation']) ?? 'linear', out, F, ctx.kerasMajor);
    let y: Tensor = { shape: [N, oh, ow, F], data: out };
    if (s.channelsFirst) y = transpose(y, [0, 3, 1, 2]);
    return { tensors: [y], masks: [null] };
  },
};
