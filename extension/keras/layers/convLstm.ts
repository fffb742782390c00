// ConvLSTM1D/2D/3D: an LSTM whose input frame, state and gates are feature maps (keras/src/layers/rnn/conv_lstm.py).
// Per step, z = conv(x_t, W) + conv(h_{t-1}, U) + b has 4F channels, split in that order into the gates i, f, g (the
// candidate c~) and o; c_t = f⊙c_{t-1} + i⊙act(g), h_t = o⊙act(c_t) at every position. The input convolution uses the
// layer's strides, padding and dilation; the recurrent one is always stride 1, "same" padding, undilated, so the state
// keeps the output map's shape. The shared time loop (recurrent.ts) runs the cell, one frame and one state map per step,
// so go_backwards, return_state, stateful, masks and the per-step trace are the other recurrent layers' own.

import { activationFn, type ActivationFn } from '../activations';
import { InputError, UnsupportedFeatureError } from '../errors';
import { checkDim } from '../limits';
import type { LayerNode } from '../model';
import { showName } from '../safeText';
import type { Dim, DimLetter, Shape } from '../shapes';
import type { Tensor } from '../tensor';
import { configFlag, configString, configValue, findWeight, makeFormula, oneInput, oneTensor, refuseQuantized, transpose, type TermSpec } from './common';
import { convLength, leftPad } from './conv1d';
import {
  activationNameOf,
  activationOf,
  activationRange,
  actSymbol,
  addVectors,
  fillEquation,
  mulVectors,
  rnnOptions,
  runRecurrent,
  storedCellTensors,
  walkOption,
  walkTensor,
  wrapAct,
  type Cell,
  type CellKind,
  type RnnOptions,
} from './recurrent';
import type { CellDescription, CellWeights, LayerEnv, LayerKind, LayerOutput, ShapeResult, WalkRow } from './types';
import { cfg, needWeight, one, pyInts, word, type NumpyEmitter } from './numpyEmit';

/** The cell's name in traces. */
const CELL_NAME = 'ConvLSTM';

export type ConvRank = 1 | 2 | 3;

/** What a ConvLSTM's config says about its convolutions, each tuple with one entry per spatial axis. */
export interface ConvLstmSettings {
  rank: ConvRank;
  /** F */
  filters: number;
  kernel: number[];
  strides: number[];
  dilation: number[];
  padding: 'valid' | 'same';
  channelsFirst: boolean;
  useBias: boolean;
}

export const rankOf = (className: string): ConvRank => (className.endsWith('1D') ? 1 : className.endsWith('3D') ? 3 : 2);

/** kernel_size, strides or dilation_rate: one int for every axis or a list of `rank` ints, each checked. */
function configTuple(layer: LayerNode, key: string, rank: number, fallback: number | null): number[] {
  const v = configValue(layer, [key]);
  const who = `The "${key}" of the layer "${showName(layer.name)}" (${showName(layer.className)})`;
  if (v === undefined || v === null) {
    if (fallback === null) throw new UnsupportedFeatureError(`The layer "${showName(layer.name)}" (${showName(layer.className)}) has no "${key}" in its config.`);
    return new Array<number>(rank).fill(fallback);
  }
  if (!Array.isArray(v)) return new Array<number>(rank).fill(checkDim(v, who));
  if (v.length !== rank) throw new UnsupportedFeatureError(`${who} has ${v.length} entries but a ${rank}-D convolution needs ${rank}.`);
  return v.map((d) => checkDim(d, who));
}

export function convLstmSettings(layer: LayerNode): ConvLstmSettings {
  const rank = rankOf(layer.className);
  const name = `${showName(layer.className)} "${showName(layer.name)}"`;
  if (configValue(layer, ['filters']) === undefined && configValue(layer, ['nb_filter']) !== undefined) {
    // Keras 1's ConvLSTM2D stores twelve per-gate weights in Theano or TensorFlow order, a layout this tool does not read.
    throw new UnsupportedFeatureError(`${name} comes from Keras 1, whose ConvLSTM layout is not supported; load and re-save the model with Keras 2 or later.`);
  }
  const filters = checkDim(configValue(layer, ['filters']), `The "filters" of the layer "${showName(layer.name)}" (${showName(layer.className)})`);
  const padding = configString(layer, ['padding'], 'valid').toLowerCase();
  if (padding !== 'valid' && padding !== 'same') {
    throw new UnsupportedFeatureError(`${name} uses padding "${showName(padding, 20)}"; only "valid" and "same" exist for ConvLSTM.`);
  }
  const s: ConvLstmSettings = {
    rank,
    filters,
    kernel: configTuple(layer, 'kernel_size', rank, null),
    strides: configTuple(layer, 'strides', rank, 1),
    dilation: configTuple(layer, 'dilation_rate', rank, 1),
    padding,
    channelsFirst: configString(layer, ['data_format'], 'channels_last') === 'channels_first',
    useBias: configFlag(layer, ['use_bias'], true),
  };
  if (s.strides.some((v) => v > 1) && s.dilation.some((v) => v > 1)) {
    throw new UnsupportedFeatureError(`${name} sets both strides and dilation_rate above 1, which Keras does not allow.`);
  }
  return s;
}

/** The frame axes of an input shape (N, T, ...): spatial dims and channels C, whatever the data_format. */
export function frameOf(layer: LayerNode, shape: Shape, s: ConvLstmSettings): { spatial: Dim[]; C: Dim } {
  if (shape.length !== s.rank + 3) {
    const axes = s.rank === 1 ? 'N, T, L, C' : s.rank === 2 ? 'N, T, H, W, C' : 'N, T, D1, D2, D3, C';
    throw new UnsupportedFeatureError(`${showName(layer.className)} "${showName(layer.name)}" needs a ${s.rank + 3}-D input (${axes}) but got rank ${shape.length}.`);
  }
  return s.channelsFirst ? { spatial: shape.slice(3), C: shape[2] } : { spatial: shape.slice(2, -1), C: shape[shape.length - 1] };
}

/** The state map's spatial dims: the input convolution's output (Keras compute_conv_output_shape). */
export function stateDims(spatial: readonly Dim[], s: ConvLstmSettings): Dim[] {
  return spatial.map((L, a) => convLength(L, s.kernel[a], s.strides[a], s.dilation[a], s.padding));
}

/** C from the input shape, else from the stored kernel (its second-to-last axis). */
export function inputChannels(layer: LayerNode, shape: Shape, s: ConvLstmSettings): number {
  // Only C sizes the weights: a hover over code that gives no input_shape asks with a bare (N, T, C).
  const C = shape.length !== s.rank + 3 && !s.channelsFirst ? shape[shape.length - 1] : frameOf(layer, shape, s).C;
  if (typeof C === 'number') return C;
  const k = findWeight(layer, ['kernel'], 0);
  if (k && k.shape.length === s.rank + 2) return k.shape[s.rank];
  throw new UnsupportedFeatureError(`The input channels C of ${showName(layer.className)} "${showName(layer.name)}" are unknown, so its parameters cannot be counted.`);
}

// ---------------------------------------------------------------------------------------------------------
// Parameters

const KERNEL_LETTERS: Record<number, string[]> = { 2: ['kh', 'kw'], 3: ['kd', 'kh', 'kw'] };

/** k^d·(C+F)·4F + 4F: four gates, each a k^d·C·F input convolution, a k^d·F·F recurrent one and F biases. */
export function convLstmFormula(s: ConvLstmSettings, C: number) {
  const F = s.filters;
  const square = s.kernel.every((k) => k === s.kernel[0]);
  const d = s.rank;
  // A square kernel reads as k^d; a 3×5 one names each side.
  const kLetters = square ? (d === 1 ? 'k' : 'k^d') : KERNEL_LETTERS[d].join('·');
  const kNumbers = square ? (d === 1 ? `${s.kernel[0]}` : `${s.kernel[0]}^${d}`) : s.kernel.join('·');
  const letters: Record<string, number> = square ? { k: s.kernel[0], ...(d > 1 ? { d } : {}), C, F } : { ...Object.fromEntries(KERNEL_LETTERS[d].map((l, i) => [l, s.kernel[i]])), C, F };
  const terms: TermSpec[] = [
    { name: 'kernel', shape: [...s.kernel, C, 4 * F], trainable: true },
    { name: 'recurrent_kernel', shape: [...s.kernel, F, 4 * F], trainable: true },
    ...(s.useBias ? [{ name: 'bias', shape: [4 * F], trainable: true }] : []),
  ];
  const note =
    `Four gates (input i, forget f, candidate g, output o), each a ${s.kernel.join('×')} convolution over the C input channels and one over the F state channels` +
    `${s.useBias ? ', plus F biases' : ''}. The weights are shared by every position and time step, so the count does not depend on the frame size or T. ` +
    'unit_forget_bias only sets the forget bias to 1 when training starts; it adds no parameters.';
  const f = makeFormula(`${kLetters}·(C+F)·4F${s.useBias ? ' + 4F' : ''}`, letters, terms, note);
  f.substituted = `${kNumbers}·(${C}+${F})·4·${F}${s.useBias ? ` + 4·${F}` : ''} = ${f.total}`;
  return f;
}

// ---------------------------------------------------------------------------------------------------------
// The convolution of one step, on channels-last maps padded to three spatial axes (a 1-D map is 1×1×L)

/** Where a convolution reads and writes: every tuple has three entries, leading ones 1 for 1-D and 2-D maps. */
export interface ConvGeometry {
  inDims: number[];
  outDims: number[];
  kernel: number[];
  strides: number[];
  dilation: number[];
  /** Zero rows/cols added before the first input position on each axis (TF "SAME" puts an odd one at the end). */
  padBefore: number[];
  inChannels: number;
  outChannels: number;
}

const to3 = (v: readonly number[], fill: number): number[] => [...new Array<number>(3 - v.length).fill(fill), ...v];

/** The input convolution (the layer's strides, padding, dilation) and the recurrent one (stride 1, same, undilated). */
export function stepGeometry(s: ConvLstmSettings, spatial: readonly number[], C: number): { input: ConvGeometry; recurrent: ConvGeometry } {
  const out = stateDims(spatial, s) as number[];
  const F = s.filters;
  const input: ConvGeometry = {
    inDims: to3(spatial, 1),
    outDims: to3(out, 1),
    kernel: to3(s.kernel, 1),
    strides: to3(s.strides, 1),
    dilation: to3(s.dilation, 1),
    padBefore: to3(spatial.map((L, a) => leftPad(L, s.kernel[a], s.strides[a], s.dilation[a], s.padding)), 0),
    inChannels: C,
    outChannels: 4 * F,
  };
  const recurrent: ConvGeometry = {
    inDims: to3(out, 1),
    outDims: to3(out, 1),
    kernel: to3(s.kernel, 1),
    strides: [1, 1, 1],
    dilation: [1, 1, 1],
    padBefore: to3(out.map((L, a) => leftPad(L, s.kernel[a], 1, 1, 'same')), 0),
    inChannels: F,
    outChannels: 4 * F,
  };
  return { input, recurrent };
}

/** Multiply-adds of one convolution over one map. */
export function convMacs(g: ConvGeometry): number {
  const pos = g.outDims[0] * g.outDims[1] * g.outDims[2];
  return pos * g.kernel[0] * g.kernel[1] * g.kernel[2] * g.inChannels * g.outChannels;
}

/**
 * z[zOff + p·G + j] += Σ over taps and channels of x[xOff + q·Cin + c] · w[(tap·Cin + c)·G + j], where p runs over
 * output positions and q is the input position tap reads from p (zero outside the map). w is laid out as Keras
 * stores it: (k1, k2, k3, Cin, G) row-major.
 */
export function convAdd(z: Float64Array, zOff: number, x: ArrayLike<number>, xOff: number, w: Float64Array, g: ConvGeometry): void {
  const [I0, I1, I2] = g.inDims;
  const [O0, O1, O2] = g.outDims;
  const [K0, K1, K2] = g.kernel;
  const [S0, S1, S2] = g.strides;
  const [D0, D1, D2] = g.dilation;
  const [P0, P1, P2] = g.padBefore;
  const Cin = g.inChannels;
  const G = g.outChannels;
  let p = 0;
  for (let o0 = 0; o0 < O0; o0++) {
    for (let o1 = 0; o1 < O1; o1++) {
      for (let o2 = 0; o2 < O2; o2++, p++) {
        const zBase = zOff + p * G;
        for (let k0 = 0; k0 < K0; k0++) {
          const i0 = o0 * S0 + k0 * D0 - P0;
          if (i0 < 0 || i0 >= I0) continue;
          for (let k1 = 0; k1 < K1; k1++) {
            const i1 = o1 * S1 + k1 * D1 - P1;
            if (i1 < 0 || i1 >= I1) continue;
            for (let k2 = 0; k2 < K2; k2++) {
              const i2 = o2 * S2 + k2 * D2 - P2;
              if (i2 < 0 || i2 >= I2) continue;
              const xBase = xOff + ((i0 * I1 + i1) * I2 + i2) * Cin;
              const wBase = ((k0 * K1 + k1) * K2 + k2) * Cin * G;
              for (let c = 0; c < Cin; c++) {
                const xv = x[xBase + c];
                if (xv === 0) continue;
                const wOff = wBase + c * G;
                for (let j = 0; j < G; j++) z[zBase + j] += xv * w[wOff + j];
              }
            }
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The cell: one step of one sample on a flattened frame (D = frame size · C) and state map (M = map size · F)

/** The default gate activation when a config leaves it out: tf-keras's ConvLSTM cells used hard_sigmoid, Keras 3 sigmoid. */
export const defaultConvRecurrentActivation = (env: Pick<LayerEnv, 'kerasMajor'>): string => (env.kerasMajor >= 3 ? 'sigmoid' : 'hard_sigmoid');

export interface ConvLstmWeights {
  /** (k…, C, 4F) as float64. */
  kernel: Float64Array;
  /** (k…, F, 4F). */
  recurrent: Float64Array;
  /** 4F, or null with use_bias=False. */
  bias: Float64Array | null;
}

/** kernel, recurrent_kernel and bias, each checked against the config's kernel size, C and F before use. */
export function convLstmWeights(layer: LayerNode, s: ConvLstmSettings, C: number): ConvLstmWeights {
  const F = s.filters;
  const taps = s.kernel.reduce((a, k) => a * k, 1);
  const kRef = findWeight(layer, ['kernel'], 0);
  const uRef = findWeight(layer, ['recurrent_kernel'], 1);
  const bRef = s.useBias ? findWeight(layer, ['bias'], 2) : undefined;
  const name = `${showName(layer.className)} "${showName(layer.name)}"`;
  if (!kRef || !uRef || (s.useBias && !bRef)) throw new UnsupportedFeatureError(`${name} has no stored kernel, recurrent_kernel${s.useBias ? ' and bias' : ''}, so it cannot be run.`);
  const need = (ref: typeof kRef, shape: number[]): Float64Array => {
    const size = shape.reduce((a, d) => a * d, 1);
    if (ref.shape.reduce((a, d) => a * d, 1) !== size) {
      const stored = ref.shape;
      // The kernel fits every other axis but C: the input has the wrong number of channels.
      if (ref === kRef && stored.length === s.rank + 2 && stored[s.rank + 1] === 4 * F && s.kernel.every((k, i) => stored[i] === k)) {
        throw new InputError(`${name} was built for C=${stored[s.rank]} input channels but receives ${C}.`);
      }
      throw new UnsupportedFeatureError(`${name} stores ${showName(ref.name, 40)} with shape [${stored.join(', ')}] but its config needs [${shape.join(', ')}].`);
    }
    return Float64Array.from(ref.values());
  };
  return {
    kernel: need(kRef, [...s.kernel, C, 4 * F]),
    recurrent: need(uRef, [...s.kernel, F, 4 * F]),
    bias: bRef ? need(bRef, [4 * F]) : null,
  };
}

/** The activation names of the layer (a: activation, ra: recurrent activation), defaults by Keras version. */
function activationNames(layer: LayerNode, env: Pick<LayerEnv, 'kerasMajor'>): { act: string; rec: string } {
  return { act: activationNameOf(layer, 'activation', 'tanh'), rec: activationNameOf(layer, 'recurrent_activation', defaultConvRecurrentActivation(env)) };
}

const same = (v: readonly number[]): string => (v.every((d) => d === v[0]) ? String(v[0]) : v.join('×'));

/** The step equations with convolutions, and one line on how each convolution slides. */
function equations(a: string, ra: string, geometry: string): string[] {
  const z = (g: string) => `conv(x{t}, W_${g}) + conv(h{k-1}, U_${g}) + b_${g}`;
  return [
    `i = ${ra}(${z('i')})    f = ${ra}(${z('f')})`,
    `c̃ = ${wrapAct(a, z('c'))}    o = ${ra}(${z('o')})`,
    `c{k} = f⊙c{k-1} + i⊙c̃    h{k} = o⊙${wrapAct(a, 'c{k}')}    (at every position of the map)`,
    geometry,
  ];
}

function geometryLine(s: Pick<ConvLstmSettings, 'kernel' | 'strides' | 'dilation' | 'padding'>): string {
  const dil = s.dilation.some((d) => d > 1) ? `, dilation ${same(s.dilation)}` : '';
  return `conv(x{t}, ·): ${s.kernel.join('×')} kernel, stride ${same(s.strides)}, '${s.padding}' padding${dil}; conv(h{k-1}, ·): stride 1, 'same' padding, no dilation`;
}

function describe(layer: LayerNode, env: LayerEnv): CellDescription {
  const s = convLstmSettings(layer);
  const { act, rec } = activationNames(layer, env);
  const gate = activationRange(rec);
  const cand = activationRange(act);
  const r = (range: [number, number] | undefined) => (range ? { range } : {});
  // |h| ≤ |o|·|act(c)|: bounded when both activations are.
  const hRange = gate && cand ? ([Math.min(0, gate[0] * cand[1], gate[1] * cand[0]), Math.max(gate[1] * cand[1], gate[0] * cand[0])] as [number, number]) : undefined;
  return {
    key: CELL_NAME,
    title: layer.className,
    quantities: [
      { key: 'h', label: 'hidden state map', symbol: 'h', role: 'state', ...r(hRange) },
      { key: 'c', label: 'cell state map', symbol: 'c', role: 'state' },
      { key: 'i', label: 'input gate', symbol: 'i', role: 'gate', ...r(gate) },
      { key: 'f', label: 'forget gate', symbol: 'f', role: 'gate', ...r(gate) },
      { key: 'g', label: 'cell candidate', symbol: 'c̃', role: 'value', ...r(cand) },
      { key: 'o', label: 'output gate', symbol: 'o', role: 'gate', ...r(gate) },
    ],
    equations: equations(actSymbol(act), actSymbol(rec), geometryLine(s)),
    gateOrder: 'ifco',
    product: 'conv',
  };
}

const BLOCK_ROWS = 64;

export function buildConvLstmCell(layer: LayerNode, s: ConvLstmSettings, spatial: readonly number[], C: number, env: LayerEnv): Cell {
  const F = s.filters;
  const G = 4 * F;
  const geometry = stepGeometry(s, spatial, C);
  const out = geometry.input.outDims;
  const positions = out[0] * out[1] * out[2];
  const w = convLstmWeights(layer, s, C);
  const act = activationOf(layer, 'activation', 'tanh', env);
  const rec = activationOf(layer, 'recurrent_activation', defaultConvRecurrentActivation(env), env);
  const z = new Float64Array(positions * G);
  const bias = w.bias;
  let xs: Float64Array = new Float64Array(0);
  const xOffsets = new Int32Array(BLOCK_ROWS);
  return {
    name: CELL_NAME,
    description: describe(layer, env),
    units: positions * F,
    inputDim: spatial.reduce((a, d) => a * d, 1) * C,
    stateShape: [...(stateDims(spatial, s) as number[]), F],
    inputShape: [...spatial, C],
    stateCount: 2,
    gates: ['i', 'f', 'g', 'o'],
    flopsPerStep: 2 * (convMacs(geometry.input) + convMacs(geometry.recurrent)),
    // The input convolution runs per step (it is small next to the recurrent one): project() only keeps the offsets.
    blockRows: BLOCK_ROWS,
    project(x, offsets, count) {
      xs = x;
      xOffsets.set(offsets.subarray(0, count));
    },
    step(row, prev, next, off, gates, gOff) {
      if (bias) for (let p = 0; p < positions; p++) z.set(bias, p * G);
      else z.fill(0);
      convAdd(z, 0, xs, xOffsets[row], w.kernel, geometry.input);
      convAdd(z, 0, prev[0], off, w.recurrent, geometry.recurrent);
      const cPrev = prev[1];
      const h = next[0];
      const c = next[1];
      for (let p = 0; p < positions; p++) {
        const zp = p * G;
        for (let f = 0; f < F; f++) {
          const m = p * F + f;
          const i = rec(z[zp + f]);
          const fg = rec(z[zp + F + f]);
          const g = act(z[zp + 2 * F + f]);
          const o = rec(z[zp + 3 * F + f]);
          const ct = fg * cPrev[off + m] + i * g;
          c[off + m] = ct;
          h[off + m] = o * act(ct);
          if (gates) {
            gates[0][gOff + m] = i;
            gates[1][gOff + m] = fg;
            gates[2][gOff + m] = g;
            gates[3][gOff + m] = o;
          }
        }
      }
    },
  };
}

/** The settings a step walk reads back from CellWeights.options (numbers checked when the host sent them). */
function walkSettings(w: CellWeights): ConvLstmSettings {
  const list = (key: string): number[] => {
    const v = w.options[key];
    if (!Array.isArray(v) || v.length !== w.inputShape.length - 1) throw new RangeError(`option ${key} must list one whole number per frame axis`);
    return v;
  };
  const kernel = walkTensor(w, 'kernel', null) ? w.tensors.kernel.shape.slice(0, w.inputShape.length - 1) : [];
  const F = w.stateShape[w.stateShape.length - 1];
  return {
    rank: (w.inputShape.length - 1) as ConvRank,
    filters: F,
    kernel,
    strides: list('strides'),
    dilation: list('dilation_rate'),
    padding: walkOption(w, 'padding', 'valid') === 'same' ? 'same' : 'valid',
    channelsFirst: false,
    useBias: !!w.tensors.bias,
  };
}

/** One frame flattened as (C, ...frame) rearranged as (...frame, C), given the channels-last shape [...frame, C]. */
function channelsLastFrame(x: ArrayLike<number>, shape: readonly number[]): Float64Array {
  const C = shape[shape.length - 1];
  const P = shape.slice(0, -1).reduce((a, d) => a * d, 1);
  if (x.length !== P * C) throw new RangeError(`the input step holds ${x.length} values but this frame needs ${P * C}`);
  const out = new Float64Array(P * C);
  for (let c = 0; c < C; c++) for (let p = 0; p < P; p++) out[p * C + c] = x[c * P + p];
  return out;
}

/** The ConvLSTM cell for the views and wrappers: its description and its step recomputed with every intermediate map. */
export const convLstmCell: CellKind = {
  name: CELL_NAME,
  classNames: ['ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D'],
  stateCount: 2,
  params(layer, C) {
    return convLstmFormula(convLstmSettings(layer), C);
  },
  build(layer) {
    // The shared cell signature knows only the last input axis; a feature-map cell needs the whole frame.
    throw new UnsupportedFeatureError(`${showName(layer.className, 40)} "${showName(layer.name)}" runs as a layer of its own; inside Bidirectional it is not supported yet.`);
  },
  describe,
  stepWeights(layer, env) {
    const tensors = storedCellTensors(layer);
    if (!tensors) return null;
    const s = convLstmSettings(layer);
    const { act, rec } = activationNames(layer, env);
    const dataFormat = s.channelsFirst ? 'channels_first' : 'channels_last';
    return { tensors, options: { activation: act, recurrent_activation: rec, padding: s.padding, strides: s.strides, dilation_rate: s.dilation, data_format: dataFormat } };
  },
  walkStep(q) {
    const { weights: w, names } = q;
    const s = walkSettings(w);
    // The view hands x_t as the layer reads it; a channels_first frame is moved to channels last like the run does.
    const x = walkOption(w, 'data_format', 'channels_last') === 'channels_first' ? channelsLastFrame(q.x, w.inputShape) : q.x;
    const F = s.filters;
    const G = 4 * F;
    const spatial = w.inputShape.slice(0, -1);
    const C = w.inputShape[w.inputShape.length - 1];
    const geometry = stepGeometry(s, spatial, C);
    const taps = s.kernel.reduce((a, k) => a * k, 1);
    const kernel = Float64Array.from(walkTensor(w, 'kernel', taps * C * G)!);
    const recurrent = Float64Array.from(walkTensor(w, 'recurrent_kernel', taps * F * G)!);
    const bias = walkTensor(w, 'bias', s.useBias ? G : null);
    const out = geometry.input.outDims;
    const positions = out[0] * out[1] * out[2];
    const M = positions * F;
    if (q.prev.h.length !== M) throw new RangeError(`the state holds ${q.prev.h.length} values but this step needs ${M}`);
    const actName = walkOption(w, 'activation', 'tanh');
    const recName = walkOption(w, 'recurrent_activation', 'sigmoid');
    const act = activationFn(actName, q.kerasMajor);
    const ract = activationFn(recName, q.kerasMajor);
    const a = actSymbol(actName);
    const ra = actSymbol(recName);
    const { t, k, kPrev } = names;
    // Both convolutions for all four gates at once; each gate then takes its F channels at every position.
    const zx = new Float64Array(positions * G);
    const zh = new Float64Array(positions * G);
    convAdd(zx, 0, x, 0, kernel, geometry.input);
    convAdd(zh, 0, q.prev.h, 0, recurrent, geometry.recurrent);
    const channels = (src: ArrayLike<number> | null, g: number, perPosition: boolean): Float64Array => {
      const v = new Float64Array(M);
      if (src) for (let p = 0; p < positions; p++) for (let f = 0; f < F; f++) v[p * F + f] = src[(perPosition ? p * G : 0) + g * F + f];
      return v;
    };
    const rows: WalkRow[] = [];
    const map = `${out.slice(3 - s.rank).join('×')}×${F}`;
    // The candidate is written c̃ with Keras's block letter c (kernel_c); its trace key stays 'g'.
    const gate = (g: number, letter: string, fn: ActivationFn, sym: string, shown = letter) => {
      const xw = channels(zx, g, true);
      const hu = channels(zh, g, true);
      const b = channels(bias, g, false);
      const z = addVectors(xw, hu, b);
      const v = z.map((u) => fn(u));
      rows.push(
        { label: `conv(x${t}, W_${letter})`, expr: `${s.kernel.join('×')}×${C} window → ${map} map`, values: xw, group: g === 2 ? 'candidate c̃' : `gate ${letter}` },
        { label: `conv(h${kPrev}, U_${letter})`, expr: `${s.kernel.join('×')}×${F} window, same padding`, values: hu },
        { label: `b_${letter}`, expr: 'one bias per filter, at every position', values: b },
        { label: `z_${letter}`, expr: 'sum', values: z },
        { label: shown, expr: wrapAct(sym, `z_${letter}`), values: v },
      );
      return v;
    };
    const i = gate(0, 'i', ract, ra);
    const f = gate(1, 'f', ract, ra);
    const g = gate(2, 'c', act, a, 'c̃');
    const o = gate(3, 'o', ract, ra);
    const fc = mulVectors(f, q.prev.c);
    const ig = mulVectors(i, g);
    const c = addVectors(fc, ig);
    const ac = c.map((u) => act(u));
    const h = mulVectors(o, ac);
    rows.push(
      { label: `f⊙c${kPrev}`, expr: 'keep part of the old cell state', values: fc, group: 'state update' },
      { label: 'i⊙c̃', expr: 'write part of the candidate', values: ig },
      { label: `c${k}`, expr: `f⊙c${kPrev} + i⊙c̃`, values: c },
      { label: wrapAct(a, `c${k}`), expr: '', values: ac },
      { label: `h${k}`, expr: `o⊙${wrapAct(a, `c${k}`)}`, values: h },
    );
    return { rows, values: { i, f, g, o, c, h }, equations: equations(a, ra, geometryLine(s)).map((l) => fillEquation(l, names)) };
  },
};

// ---------------------------------------------------------------------------------------------------------
// NumPy export: a notebook-style loop over t with a small convolution helper

const NUMPY_HELPERS: Readonly<Record<string, string>> = {
  conv_same_pads: `def conv_same_pads(sizes, kernel, strides, dilation, same):
    """Zeros before and after each frame axis: none for 'valid'; for 'same', as TensorFlow pads (the odd one last)."""
    pads = []
    for L, k, s, d in zip(sizes, kernel, strides, dilation):
        total = max((-(-L // s) - 1) * s + (k - 1) * d + 1 - L, 0) if same else 0
        pads.append((total // 2, total - total // 2))
    return pads`,
  conv_nd: `def conv_nd(x, w, strides, dilation, pads):
    """Channels-last maps x (N, *frame, Cin) convolved with w (*kernel, Cin, Cout): after zero padding, each kernel
    tap takes its shifted, strided slice of x and multiplies it by that tap's Cin×Cout matrix; the taps add up."""
    d = w.ndim - 2
    x = np.pad(x, [(0, 0)] + list(pads) + [(0, 0)])
    out = [(x.shape[1 + a] - dilation[a] * (w.shape[a] - 1) - 1) // strides[a] + 1 for a in range(d)]
    y = np.zeros((x.shape[0], *out, w.shape[-1]))
    for tap in np.ndindex(*w.shape[:d]):
        window = tuple(slice(tap[a] * dilation[a], tap[a] * dilation[a] + (out[a] - 1) * strides[a] + 1, strides[a]) for a in range(d))
        y += x[(slice(None),) + window] @ w[tap]
    return y`,
  run_conv_lstm: `def run_conv_lstm(x, W, U, b, act, rec_act, strides, dilation, padding, h0=None, mask=None, go_backwards=False,
                  return_sequences=False, zero_output_for_mask=False):
    """ConvLSTM over x (N, T, *frame, C): z = conv(x_t, W) + conv(h_{t-1}, U) + b has 4F channels, split into the
    gates i, f, g (the candidate c~) and o; c_t = f·c_{t-1} + i·g and h_t = o·act(c_t) at every position.
    conv(x_t, W) uses the layer's strides, padding and dilation; conv(h, U) is always stride 1, 'same', undilated."""
    N, T = x.shape[:2]
    d = W.ndim - 2
    F = U.shape[-2]
    in_pads = conv_same_pads(x.shape[2:2 + d], W.shape[:d], strides, dilation, padding == 'same')
    out = [(x.shape[2 + a] + sum(in_pads[a]) - dilation[a] * (W.shape[a] - 1) - 1) // strides[a] + 1 for a in range(d)]
    ones = [1] * d
    rec_pads = conv_same_pads(out, U.shape[:d], ones, ones, True)
    h = np.zeros((N, *out, F)) if h0 is None else h0[0]
    c = np.zeros((N, *out, F)) if h0 is None else h0[1]
    y = np.zeros((N, *out, F))
    ys = []
    for t in (range(T - 1, -1, -1) if go_backwards else range(T)):
        z = conv_nd(x[:, t], W, strides, dilation, in_pads) + conv_nd(h, U, ones, ones, rec_pads) + b
        i = rec_act(z[..., :F])
        f = rec_act(z[..., F:2 * F])
        g = act(z[..., 2 * F:3 * F])
        o = rec_act(z[..., 3 * F:])
        c_new = f * c + i * g
        h_new = o * act(c_new)
        if mask is None:
            h, c, y = h_new, c_new, h_new
        else:
            keep = mask[:, t].reshape((N,) + (1,) * (d + 1))  # 0 where step t is masked: keep the previous h and c
            h = np.where(keep, h_new, h)
            c = np.where(keep, c_new, c)
            y = np.where(keep, h_new, 0.0 if zero_output_for_mask else y)
        ys.append(y)
    return (np.stack(ys, axis=1) if return_sequences else y), [h, c]`,
};

/** Python tuple of checked whole numbers. */
const pyList = (v: readonly number[]): string => `[${v.join(', ')}]`;

const convLstmNumpy: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const s = convLstmSettings(layer);
  const F = s.filters;
  const W = needWeight(layer, ['kernel'], 0);
  const U = needWeight(layer, ['recurrent_kernel'], 1);
  const B = s.useBias ? needWeight(layer, ['bias'], 2) : undefined;
  const act = cx.act(cfg(layer, 'activation', 'tanh'));
  const recAct = cx.act(cfg(layer, 'recurrent_activation', defaultConvRecurrentActivation(cx.doc)));
  const returnSequences = cfg(layer, 'return_sequences', false) === true;
  const returnState = cfg(layer, 'return_state', false) === true;
  const goBackwards = cfg(layer, 'go_backwards', false) === true;
  const zeroOutput = cfg(layer, 'zero_output_for_mask', false) === true;
  const r = s.rank;
  const shapeOf = (w: typeof W): string => pyInts(w.shape, 'a weight shape', layer.name).join('×');
  // (N, T, C, *frame) <-> (N, T, *frame, C) and (N, F, *map) <-> (N, *map, F) for channels_first.
  const lastAxes = (lead: number) => `(${[...Array(lead).keys(), ...Array.from({ length: r }, (_, a) => lead + 1 + a), lead].join(', ')})`;
  const firstAxes = (lead: number) => `(${[...Array(lead).keys(), lead + r, ...Array.from({ length: r }, (_, a) => lead + a)].join(', ')})`;
  if (cfg(layer, 'stateful', false) === true) cx.out.push('# stateful=True: this run starts from zero states, as a freshly loaded model does');
  cx.out.push(`# ${word(layer.className)}(F = ${F}, kernel ${s.kernel.join('×')}): z = conv(x_t, W) + conv(h_{t-1}, U) + b -> gates i, f, g, o;`);
  cx.out.push('# c_t = f·c_{t-1} + i·g; h_t = o·act(c_t), at every position of the state map, for each of the T steps');
  let x = one(layer, inputs);
  let h0 = inputs.vars.length > 1 ? `[${inputs.vars.slice(1).join(', ')}]` : 'None';
  if (s.channelsFirst) {
    cx.out.push(`${target}__in = np.transpose(${x}, ${lastAxes(2)})  # channels_first: move C last`);
    x = `${target}__in`;
    if (h0 !== 'None') h0 = `[np.transpose(s, ${lastAxes(1)}) for s in ${h0}]`;
  }
  cx.out.push(`W = ${cx.weight(layer, W)}  # kernel ${shapeOf(W)} = (*kernel, C, 4F)`);
  cx.out.push(`U = ${cx.weight(layer, U)}  # recurrent_kernel ${shapeOf(U)} = (*kernel, F, 4F)`);
  cx.out.push(B ? `b = ${cx.weight(layer, B)}  # bias ${shapeOf(B)} = 4F` : `b = np.zeros(${4 * F})  # use_bias=False`);
  cx.helpers.add('conv_same_pads');
  cx.helpers.add('conv_nd');
  cx.helpers.add('run_conv_lstm');
  const mask = inputs.masks[0] ?? 'None';
  cx.out.push(
    `${target}, ${target}__states = run_conv_lstm(${x}, W, U, b, ${act}, ${recAct}, ${pyList(s.strides)}, ${pyList(s.dilation)}, '${s.padding}', ` +
      `h0=${h0}, mask=${mask}, go_backwards=${goBackwards ? 'True' : 'False'}, return_sequences=${returnSequences ? 'True' : 'False'}, zero_output_for_mask=${zeroOutput ? 'True' : 'False'})`,
  );
  if (s.channelsFirst) {
    cx.out.push(`${target} = np.transpose(${target}, ${firstAxes(returnSequences ? 2 : 1)})  # back to channels_first`);
    cx.out.push(`${target}__states = [np.transpose(s, ${firstAxes(1)}) for s in ${target}__states]`);
  }
  const outMask = returnSequences ? mask : 'None';
  if (returnState) return { vars: [target, `${target}__states[0]`, `${target}__states[1]`], masks: [outMask, 'None', 'None'] };
  return { vars: [target], masks: [outMask] };
};

// ---------------------------------------------------------------------------------------------------------
// The layer

/** Output letters of the map axes: H and W where the input convolution keeps a frame axis, else the number. */
function mapLetters(s: ConvLstmSettings): DimLetter[] {
  const names: DimLetter[] = s.rank === 1 ? ['W'] : s.rank === 2 ? ['H', 'W'] : [null, 'H', 'W'];
  return names.map((l, a) => (s.strides[a] === 1 && (s.padding === 'same' || s.kernel[a] === 1) ? l : null));
}

function convLstmShapes(layer: LayerNode, inputs: Shape[]): ShapeResult {
  const s = convLstmSettings(layer);
  const opts = rnnOptions(layer);
  const shape = oneInput(layer, inputs);
  const { spatial } = frameOf(layer, shape, s);
  const out = stateDims(spatial, s);
  const mapL = mapLetters(s);
  const [N, T] = shape;
  const state: Shape = s.channelsFirst ? [N, s.filters, ...out] : [N, ...out, s.filters];
  const stateL: DimLetter[] = s.channelsFirst ? ['N', 'F', ...mapL] : ['N', ...mapL, 'F'];
  const shapes: Shape[] = [opts.returnSequences ? [N, T, ...state.slice(1)] : state];
  const letters: DimLetter[][] = [opts.returnSequences ? ['N', 'T', ...stateL.slice(1)] : stateL];
  if (opts.returnState) {
    shapes.push(state, state);
    letters.push(stateL, stateL);
  }
  return { shapes, letters };
}

/** Moves a map tensor's channel axis (axis `from`) to the end, or from the end to `from` with `back`. */
function moveChannels(x: Tensor, from: number, back = false): Tensor {
  const r = x.shape.length;
  const axes = Array.from({ length: r }, (_, i) => i);
  if (back) return transpose(x, [...axes.slice(0, from), r - 1, ...axes.slice(from, r - 1)]);
  return transpose(x, [...axes.slice(0, from), ...axes.slice(from + 1), from]);
}

export const convLstm: LayerKind = {
  classNames: ['ConvLSTM1D', 'ConvLSTM2D', 'ConvLSTM3D'],
  recurrentCell: convLstmCell,
  recurrent: true,
  letters: { H: 'frame height (rows)', W: 'frame width (columns)', C: 'channels per pixel', F: 'filters (channels of the state map)' },
  python: {
    positional: ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'activation', 'recurrent_activation', 'use_bias'],
  },
  numpy: convLstmNumpy,
  numpyHelpers: NUMPY_HELPERS,
  keras3WeightNames: (layer) => ['kernel', 'recurrent_kernel', ...(layer.config.use_bias !== false ? ['bias'] : [])],
  weightNote(name, shape) {
    const f = shape[shape.length - 1] / 4;
    if (!['kernel', 'recurrent_kernel', 'bias'].includes(name) || !Number.isInteger(f)) return null;
    return `The last axis holds four gate blocks of F = ${f} filters each, in Keras order i (input), f (forget), c (candidate), o (output).`;
  },
  outputShape(layer, inputs) {
    return convLstmShapes(layer, inputs);
  },
  params(layer, inputs) {
    const s = convLstmSettings(layer);
    return convLstmFormula(s, inputChannels(layer, oneInput(layer, inputs), s));
  },
  async forward(layer, inputs, ctx): Promise<LayerOutput> {
    refuseQuantized(layer);
    const s = convLstmSettings(layer);
    const who = `${showName(layer.className)} "${showName(layer.name)}"`;
    let x = oneTensor(layer, inputs.tensors);
    if (x.shape.length !== s.rank + 3) {
      throw new InputError(`${who} needs a ${s.rank + 3}-D input (N, T, ${s.rank === 1 ? 'L' : s.rank === 2 ? 'H, W' : 'D1, D2, D3'}, C) but got shape [${x.shape.join(', ')}].`);
    }
    if (s.channelsFirst) x = moveChannels(x, 2);
    const [N, T] = x.shape;
    const spatial = x.shape.slice(2, -1);
    const C = x.shape[x.shape.length - 1];
    const out = stateDims(spatial, s) as number[];
    if (out.some((d) => d <= 0)) {
      const span = s.kernel.map((k, a) => s.dilation[a] * (k - 1) + 1);
      throw new InputError(`${who} with padding "valid" needs frames of at least ${span.join('×')} but receives ${spatial.join('×')}.`);
    }
    const cell = buildConvLstmCell(layer, s, spatial, C, ctx);
    const opts: RnnOptions = { ...rnnOptions(layer), timeMajor: false };
    const mapShape = cell.stateShape as number[];
    const stateShape = [N, ...mapShape];
    // The state as the layer shows it: (N, ..., F), or (N, F, ...) with channels_first.
    const ownShape = s.channelsFirst ? [N, s.filters, ...out] : stateShape;
    const mask = inputs.masks[0] ?? null;
    // Keras 2 passes the initial states as extra inputs, Keras 3 as keyword arguments (a stateful run's carried ones too).
    let initialState = inputs.initialState?.length ? inputs.initialState : inputs.tensors.length > 1 ? inputs.tensors.slice(1) : undefined;
    initialState?.forEach((t, k) => {
      if (t.shape.length !== ownShape.length || t.shape.some((d, i) => d !== ownShape[i])) {
        throw new InputError(`Initial state ${k} of ${who} has shape [${t.shape.join(', ')}]; it must be the state map (${ownShape.join(', ')}).`);
      }
    });
    if (initialState && s.channelsFirst) initialState = initialState.map((t) => moveChannels(t, 1));
    const run = await runRecurrent(cell, x, opts, { traceName: layer.name, mask, ...(initialState ? { initialState } : {}) }, ctx);
    const back = (t: Tensor, from: number): Tensor => (s.channelsFirst ? moveChannels(t, from, true) : t);
    const tensors: Tensor[] = [
      run.sequence ? back({ shape: [N, T, ...mapShape], data: run.sequence }, 2) : back({ shape: stateShape, data: run.last }, 1),
    ];
    const states = run.states.map((data) => back({ shape: stateShape, data }, 1));
    if (opts.returnState) tensors.push(...states);
    const masks = tensors.map((_, i) => (i === 0 && opts.returnSequences ? mask : null));
    // A stateful layer hands its last states on, as Keras keeps them between predict calls.
    if (opts.stateful) return { tensors, masks, ...(run.trace ? { traces: [run.trace] } : {}), finalStates: states };
    return { tensors, masks, ...(run.trace ? { traces: [run.trace] } : {}) };
  },
};
