// What SimpleRNN, LSTM and GRU share: the RNN options of their config, reading their three weights, and the time
// loop (return_sequences, return_state, go_backwards, time_major, stateful, initial_state, masking) with its per-step
// trace. Each cell module only supplies the math of one step; the products run in recurrentKernel.ts.

import { activationFn, activationName, sigmoid as sigmoidActivation, type ActivationFn } from '../activations';
import { PANEL, type KernelMatrix, type Workspace } from './recurrentKernel';
import { InputError, UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { DimLetter, Shape } from '../shapes';
import type { Mask, Tensor } from '../tensor';
import { configFlag, configInt, findWeight, makeFormula, oneInput, oneTensor, refuseQuantized, type TermSpec } from './common';
import type {
  CellDescription,
  CellWeights,
  ForwardContext,
  LayerEnv,
  LayerInputs,
  LayerKind,
  LayerOutput,
  ParamFormula,
  RecurrentTrace,
  ShapeResult,
  StepWalk,
  StepWalkQuery,
} from './types';
import { showName } from '../safeText';
import { StreamedRecording } from '../traceStore';
import { float32Array, float64Array } from '../recycledBuffers';

export type CellName = string;

/** One cell's math for one sample and one step, on buffers allocated once per run. */
export interface Cell {
  /** The cell kind's key, CellKind.name. */
  readonly name: CellName;
  /** What the views show about this layer's cell: its quantities, their ranges and the step equations. */
  readonly description: CellDescription;
  /** Values in one sample's state: M, or rows·cols·F for a feature map. */
  readonly units: number;
  /** Values in one sample's input at one step: D, or rows·cols·C. */
  readonly inputDim: number;
  /** One sample's state and one step's input, e.g. [M] and [D], or [rows, cols, F] and [rows, cols, C]. Default [units], [inputDim]. */
  readonly stateShape?: readonly number[];
  readonly inputShape?: readonly number[];
  /** 1 (h) or 2 (LSTM: h, c); states[0] is also the output. The state keys are the description's 'state' quantities. */
  readonly stateCount: 1 | 2;
  /** The trace keys of the gate arrays step() fills, in this order. */
  readonly gates: readonly string[];
  /** 2 FLOPs per multiply-add of one step of one sample (paces cancellation checks; the benchmark reports it). */
  readonly flopsPerStep: number;
  /** How many (step, sample) inputs project() takes at once: a block, so memory stays bounded for any T. */
  readonly blockRows: number;
  /**
   * The input part of the next `count` (step, sample) pairs at once, inputs x[offsets[r], +D) for r < count (for
   * the dense cells one matrix product x·W + b); step(r, …) then finishes pair r of this block.
   */
  project(x: Float64Array, offsets: Int32Array, count: number): void;
  /**
   * Finishes pair `row` of the last project(): states before in prev[k][off, off+M), after in next[k][off, off+M),
   * in float32 as Keras computes. With `gates`, gate k's values go to gates[k][gOff, gOff+M).
   */
  step(row: number, prev: Float32Array[], next: Float32Array[], off: number, gates: Float32Array[] | null, gOff: number): void;
  /** Many rows of the last project() at once for one sample (the dense cells): runRecurrent's path for N = 1 unmasked. */
  readonly rows?: CellRows;
  /** Frees the cell's workspace for the next cell (runRecurrent calls it when the cell is no longer needed). */
  release?(): void;
}

/**
 * A cell stepping rows of the last project() inside its workspace, each row's states and gates written to block
 * buffers, so the time loop copies a whole block out with one native set() per quantity instead of per step.
 */
export interface CellRows {
  /** The states before the next row (units values each, h first); after run(), the states of its last row. */
  readonly state: Float32Array[];
  /** Per state, then per gate in Cell.gates order: blockRows × units values, row r at r·units. */
  readonly values: Float32Array[];
  /** Steps rows [from, from + count) of the last project(), starting from `state`. */
  run(from: number, count: number): void;
}

/** Cell.step over CellRows: the states in, one row, the states and gates out. */
export function stepOverRows(rows: CellRows, M: number, S: number): Cell['step'] {
  return (row, prev, next, off, gates, gOff) => {
    for (let k = 0; k < S; k++) copyF32(rows.state[k], 0, prev[k], off, M);
    rows.run(row, 1);
    for (let k = 0; k < S; k++) copyF32(next[k], off, rows.state[k], 0, M);
    if (gates) for (let g = 0; g < gates.length; g++) copyF32(gates[g], gOff, rows.values[S + g], row * M, M);
  };
}

/**
 * What a cell module gives the shared code and the views: its parameter formula, how to build its step from the
 * weights, its description, the weights and options a step needs, and the step recomputed with every intermediate.
 */
export interface CellKind {
  /** The key traces and the webview find the cell by (CellDescription.key). */
  name: CellName;
  classNames: readonly string[];
  stateCount: 1 | 2;
  params(layer: LayerNode, D: number, env: LayerEnv): ParamFormula;
  build(layer: LayerNode, D: number, env: LayerEnv): Cell;
  /** The layer's cell described for the views: quantities with ranges, equations with its activations. */
  describe(layer: LayerNode, env: LayerEnv): CellDescription;
  /** The stored tensors and config facts walkStep reads (tensors as stored), or null when the weights are missing. */
  stepWeights(layer: LayerNode, env: LayerEnv): Pick<CellWeights, 'tensors' | 'options'> | null;
  /** One step recomputed from the weights with every intermediate vector (runs in the webview: no Node imports). */
  walkStep(q: StepWalkQuery): StepWalk;
}

// ---------------------------------------------------------------------------------------------------------
// Descriptions and step walks (shared by the cells)

/** The range an activation bounds its output to, when it does. */
export function activationRange(name: string): [number, number] | undefined {
  if (name === 'sigmoid' || name === 'hard_sigmoid' || name === 'softmax') return [0, 1];
  if (name === 'tanh' || name === 'softsign') return [-1, 1];
  return undefined;
}

/** How an activation is written in the equations ('' for linear). */
export function actSymbol(name: string | undefined): string {
  if (!name || name === 'sigmoid') return 'σ';
  if (name === 'linear') return '';
  return name;
}

/** sym(inner), or inner alone for a linear activation. */
export const wrapAct = (sym: string, inner: string): string => (sym ? `${sym}(${inner})` : inner);

/** The activation name of a config key (a Keras 3 serialized function gives its name), else the default. */
export function activationNameOf(layer: LayerNode, key: 'activation' | 'recurrent_activation', fallback: string): string {
  const spec = layer.className.startsWith('CuDNN') ? undefined : layer.config[key];
  return spec === undefined ? fallback : activationName(spec).name;
}

/** kernel, recurrent_kernel and bias as stored, for the step walk; null without kernel and recurrent kernel. */
export function storedCellTensors(layer: LayerNode): CellWeights['tensors'] | null {
  const k = findWeight(layer, ['kernel', 'W'], 0);
  const r = findWeight(layer, ['recurrent_kernel', 'U'], 1);
  const b = findWeight(layer, ['bias', 'b'], 2);
  if (!k || !r) return null;
  const own = (a: Float32Array): Float32Array => (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice());
  const out: CellWeights['tensors'] = {
    kernel: { shape: [...k.shape], values: own(k.values()) },
    recurrent_kernel: { shape: [...r.shape], values: own(r.values()) },
  };
  if (b) out.bias = { shape: [...b.shape], values: own(b.values()) };
  return out;
}

/** out[j] = Σ_i x[i]·W[i, off + j] for j < m, W row-major with `cols` columns. */
export function vecMat(x: ArrayLike<number>, w: ArrayLike<number>, cols: number, off: number, m: number): Float64Array {
  const out = new Float64Array(m);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    const row = i * cols + off;
    for (let j = 0; j < m; j++) out[j] += xi * w[row + j];
  }
  return out;
}

/** a[off, off+m) as its own vector (zeros when a is absent). */
export function sliceOf(a: ArrayLike<number> | null | undefined, off: number, m: number): Float64Array {
  const out = new Float64Array(m);
  if (a) for (let j = 0; j < m; j++) out[j] = a[off + j];
  return out;
}

export function addVectors(...vs: Float64Array[]): Float64Array {
  const out = new Float64Array(vs[0].length);
  for (const v of vs) for (let j = 0; j < out.length; j++) out[j] += v[j];
  return out;
}

export function mulVectors(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, j) => v * b[j]);
}

/** Fills {t}, {k} and {k-1} of a description's equation with subscripts. */
export function fillEquation(line: string, names: StepWalkQuery['names']): string {
  return line.replace(/\{t\}/g, names.t).replace(/\{k-1\}/g, names.kPrev).replace(/\{k\}/g, names.k);
}

/** A weight tensor of the walk by name, checked against the size the step needs. */
export function walkTensor(w: CellWeights, name: string, size: number | null): Float32Array | null {
  const t = w.tensors[name];
  if (!t) return null;
  if (size !== null && t.values.length !== size) throw new RangeError(`${name} holds ${t.values.length} values but this step needs ${size}`);
  return t.values;
}

/** An option of the walk as a string. */
export function walkOption(w: CellWeights, key: string, fallback: string): string {
  const v = w.options[key];
  return typeof v === 'string' ? v : fallback;
}

// ---------------------------------------------------------------------------------------------------------
// Config

export interface RnnOptions {
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  /** Keras 2 only: input (T, N, D) and output sequences (T, N, M). */
  timeMajor: boolean;
  stateful: boolean;
  zeroOutputForMask: boolean;
}

export function rnnOptions(layer: LayerNode): RnnOptions {
  return {
    returnSequences: configFlag(layer, ['return_sequences'], false),
    returnState: configFlag(layer, ['return_state'], false),
    goBackwards: configFlag(layer, ['go_backwards'], false),
    timeMajor: configFlag(layer, ['time_major'], false),
    stateful: configFlag(layer, ['stateful'], false),
    zeroOutputForMask: configFlag(layer, ['zero_output_for_mask'], false),
  };
}

export function unitsOf(layer: LayerNode): number {
  return configInt(layer, ['units']);
}

/** The activation of a config key, or the default when the key is absent (CuDNN layers have none). */
export function activationOf(layer: LayerNode, key: 'activation' | 'recurrent_activation', fallback: string, env: LayerEnv): ActivationFn {
  const spec = layer.className.startsWith('CuDNN') ? undefined : layer.config[key];
  return activationFn(spec === undefined ? fallback : spec, env.kerasMajor);
}

/** Keras 1 (and Keras 2 before 2.3) defaulted the gates to hard_sigmoid; every such file stores the key, so this only fills gaps. */
export function defaultRecurrentActivation(env: LayerEnv): string {
  return env.kerasMajor === 1 ? 'hard_sigmoid' : 'sigmoid';
}

/** D from the input shape, else from the stored kernel; null when neither tells. */
export function inputDimOf(layer: LayerNode, inputs: Shape[]): number | null {
  const shape = inputs[0];
  const d = shape?.[shape.length - 1];
  if (typeof d === 'number') return d;
  const k = findWeight(layer, ['kernel', 'W'], 0);
  return k && k.shape.length === 2 ? k.shape[0] : null;
}

export function requireInputDim(layer: LayerNode, inputs: Shape[]): number {
  const d = inputDimOf(layer, inputs);
  if (d === null) throw new UnsupportedFeatureError(`The input feature size D of "${showName(layer.name)}" is unknown, so its parameters cannot be counted.`);
  return d;
}

/**
 * The parameter formula of a gated cell, `4M(D+M+1)`: G gates, each with D·M input weights, M·M recurrent weights
 * and `biases` bias vectors of M (0 without a bias, 2 when input and recurrent biases are kept apart).
 */
export function gatedFormula(G: number, D: number, M: number, biases: 0 | 1 | 2, terms: TermSpec[], note?: string): ParamFormula {
  const f = makeFormula(biases ? `${G}M(D+M+${biases})` : `${G}M(D+M)`, { D, M }, terms, note);
  f.substituted = `${G}·${M}·(${D}+${M}${biases ? `+${biases}` : ''}) = ${f.total}`;
  return f;
}

// ---------------------------------------------------------------------------------------------------------
// Weights

export interface RecurrentWeights {
  /** D × G·M, row-major: the stored float32 values (float64 after a CuDNN layout rewrite). */
  kernel: Float32Array | Float64Array;
  /** M × G·M. */
  recurrent: Float32Array | Float64Array;
  /** The bias as stored (flat), or null with use_bias=False. */
  bias: Float32Array | null;
  biasShape: number[] | null;
}

// The constructor converts natively; Float64Array.from(typed array) iterates generically and is far slower.
const toF64 = (a: Float32Array): Float64Array => new Float64Array(a);

/** kernel, recurrent_kernel and bias of a recurrent layer, checked against D, M and G gates. */
export function recurrentWeights(layer: LayerNode, D: number, M: number, G: number): RecurrentWeights {
  const kernelRef = findWeight(layer, ['kernel', 'W'], 0);
  const recRef = findWeight(layer, ['recurrent_kernel', 'U'], 1);
  const biasRef = findWeight(layer, ['bias', 'b'], 2);
  if (!kernelRef || !recRef) {
    throw new UnsupportedFeatureError(`The layer "${showName(layer.name)}" (${showName(layer.className)}) has no stored kernel and recurrent_kernel, so it cannot be run.`);
  }
  const kernel = kernelRef.values();
  const recurrent = recRef.values();
  const GM = G * M;
  if (kernel.length !== D * GM && kernelRef.shape.length === 2 && kernelRef.shape[1] === GM) {
    throw new InputError(`"${showName(layer.name)}" was built for D=${kernelRef.shape[0]} input features per time step but receives ${D}.`);
  }
  if (kernel.length !== D * GM) {
    throw new UnsupportedFeatureError(
      `The layer "${showName(layer.name)}" stores a kernel of shape [${kernelRef.shape.join(', ')}] but D=${D} inputs and M=${M} units need ${D}×${GM}.`,
    );
  }
  if (recurrent.length !== M * GM) {
    throw new UnsupportedFeatureError(
      `The layer "${showName(layer.name)}" stores a recurrent_kernel of shape [${recRef.shape.join(', ')}] but M=${M} units need ${M}×${GM}.`,
    );
  }
  const bias = biasRef ? biasRef.values() : null;
  const biasShape = biasRef ? biasRef.shape : null;
  if (layer.className.startsWith('CuDNN')) return { ...fromCudnnLayout(toF64(kernel), toF64(recurrent), D, M, G), bias, biasShape };
  // As stored: the kernels pack these float32 values directly (no float64 copy per run).
  return { kernel, recurrent, bias, biasShape };
}

/**
 * CuDNNLSTM/CuDNNGRU (Keras 2) hand each gate's (D, M) kernel slice to cuDNN flattened as an (M, D) matrix, and
 * each (M, M) recurrent slice untransposed; this rewrites both into the ordinary Keras layout (what tf.keras's
 * weight converter does when it loads a CuDNN file into LSTM/GRU). Gate order is unchanged.
 */
export function fromCudnnLayout(kernel: Float64Array, recurrent: Float64Array, D: number, M: number, G: number): { kernel: Float64Array; recurrent: Float64Array } {
  const GM = G * M;
  const k = new Float64Array(D * GM);
  const r = new Float64Array(M * GM);
  for (let g = 0; g < G; g++) {
    // The gate's slice flattened row-major, read as cuDNN's (out=M, in=D) matrix W: Keras kernel[d, m] = W[m, d].
    const flat = new Float64Array(D * M);
    for (let d = 0; d < D; d++) for (let m = 0; m < M; m++) flat[d * M + m] = kernel[d * GM + g * M + m];
    for (let d = 0; d < D; d++) for (let m = 0; m < M; m++) k[d * GM + g * M + m] = flat[m * D + d];
    for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) r[i * GM + g * M + j] = recurrent[j * GM + g * M + i];
  }
  return { kernel: k, recurrent: r };
}

// ---------------------------------------------------------------------------------------------------------
// Small helpers of the cells' steps (the product itself is in recurrentKernel.ts)

/** The stored bias as float64 after checking its size, or null with use_bias=False. */
export function biasVector(layer: LayerNode, w: RecurrentWeights, sizes: readonly number[], what: string): Float64Array | null {
  if (!w.bias) return null;
  if (!sizes.includes(w.bias.length)) {
    throw new UnsupportedFeatureError(`The layer "${showName(layer.name)}" stores a bias of shape [${w.biasShape!.join(', ')}]; ${what}.`);
  }
  return toF64(w.bias);
}


/** dst[dOff, dOff+n) = src[sOff, sOff+n) without allocating a view. */
export function copyInto(dst: Float64Array | Float32Array, dOff: number, src: Float64Array | Float32Array, sOff: number, n: number): void {
  // One monomorphic loop per pair of element types (TypedArray.set between types takes V8's slow generic path).
  if (dst instanceof Float32Array) {
    if (src instanceof Float32Array) copyF32(dst, dOff, src, sOff, n);
    else narrowF64(dst, dOff, src, sOff, n);
  } else if (src instanceof Float32Array) widenF32(dst, dOff, src, sOff, n);
  else copyF64(dst, dOff, src, sOff, n);
}

/** copyInto for float32 to float32 only, so the cells' per-step copies stay monomorphic. */
export function copyF32(dst: Float32Array, dOff: number, src: Float32Array, sOff: number, n: number): void {
  for (let j = 0; j < n; j++) dst[dOff + j] = src[sOff + j];
}
function widenF32(dst: Float64Array, dOff: number, src: Float32Array, sOff: number, n: number): void {
  for (let j = 0; j < n; j++) dst[dOff + j] = src[sOff + j];
}
function narrowF64(dst: Float32Array, dOff: number, src: Float64Array, sOff: number, n: number): void {
  for (let j = 0; j < n; j++) dst[dOff + j] = src[sOff + j];
}
function copyF64(dst: Float64Array, dOff: number, src: Float64Array, sOff: number, n: number): void {
  for (let j = 0; j < n; j++) dst[dOff + j] = src[sOff + j];
}

/** An activation over a range of a workspace vector, in place. */
export type RangeActivation = (a: Float32Array, from: number, n: number) => void;

/** The vectorized kernel for sigmoid and tanh; any other activation element by element as Keras defines it. */
export function rangeActivation(ws: Workspace, fn: ActivationFn): RangeActivation {
  if (fn === sigmoidActivation) return ws.sigmoid;
  if (fn === Math.tanh) return ws.tanh;
  return (a, from, n) => {
    for (let j = from; j < from + n; j++) a[j] = fn(a[j]);
  };
}

/**
 * The input projection of a dense cell: proj[r] = b + x_r·W for a block of (step, sample) rows, one matrix product
 * over float32 copies of the inputs. Rows of proj are `stride` values apart (whole panels).
 */
export interface InputProjection {
  readonly rows: number;
  readonly stride: number;
  readonly proj: Float32Array;
  project(x: Float64Array, offsets: Int32Array, count: number): void;
}

/** Rows per block: about 256 KB of projections (it stays in cache next to U), at most 128 steps. */
export const blockRowsFor = (cols: number): number => Math.max(1, Math.min(128, Math.floor(65536 / (Math.ceil(cols / PANEL) * PANEL))));

/** The workspace vectors an input projection needs (append to the workspace's vector sizes): x block, bias, proj. */
export function projectionVectors(D: number, cols: number): number[] {
  const rows = blockRowsFor(cols);
  return [rows * D, cols, rows * Math.ceil(cols / PANEL) * PANEL];
}

/** The projection over workspace vectors made from projectionVectors (xBlock, bias, proj), with W packed in ws. */
export function inputProjection(ws: Workspace, W: KernelMatrix, vectors: Float32Array[], bias: ArrayLike<number> | null): InputProjection {
  const [xBlock, b, proj] = vectors;
  const D = W.rows;
  const rows = blockRowsFor(W.cols);
  const stride = W.panels * PANEL;
  if (bias) for (let j = 0; j < W.cols; j++) b[j] = bias[j];
  return {
    rows,
    stride,
    proj,
    project(x, offsets, count) {
      for (let r = 0; r < count; r++) {
        const src = offsets[r];
        const dst = r * D;
        for (let j = 0; j < D; j++) xBlock[dst + j] = x[src + j];
      }
      ws.matMul(proj, stride, b, xBlock, D, count, W);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The time loop

export interface RecurrentRun {
  /** With return_sequences: every step's output in processing order, (N, T, M), or (T, N, M) when time-major. */
  sequence: Float64Array | null;
  /** The output of the last processed step, N × M. */
  last: Float64Array;
  /** The final states, each N × M (LSTM: h, c). */
  states: Float64Array[];
  trace?: RecurrentTrace;
}

export interface RunSpec {
  /** Name given to the trace (the wrapper's name for Bidirectional). */
  traceName: string;
  direction?: 'forward' | 'backward';
  mask: Mask | null;
  initialState?: Tensor[];
}

/** N and T of a (N, T, D) input, or of a (T, N, D) one when time-major. */
export function batchAndTime(x: Tensor, opts: RnnOptions): { N: number; T: number } {
  return opts.timeMajor ? { N: x.shape[1], T: x.shape[0] } : { N: x.shape[0], T: x.shape[1] };
}

/** Reads mask[n, t]; accepts the (T, N) mask a Masking layer computes on a time-major input. */
function maskReader(mask: Mask | null, N: number, T: number, layer: string): ((n: number, t: number) => boolean) | null {
  if (!mask) return null;
  const d = mask.data;
  if (mask.n === N && mask.t === T) return (n, t) => d[n * T + t] === 0;
  if (mask.n === T && mask.t === N) return (n, t) => d[t * N + n] === 0;
  throw new InputError(`The mask reaching "${layer}" is ${mask.n}×${mask.t} but its input has N=${N} samples and T=${T} steps.`);
}

export async function runRecurrent(cell: Cell, x: Tensor, opts: RnnOptions, spec: RunSpec, ctx: ForwardContext): Promise<RecurrentRun> {
  const name = spec.traceName;
  const inputShape = cell.inputShape ?? [cell.inputDim];
  if (x.shape.length !== 2 + inputShape.length) {
    const want = inputShape.length === 1 ? '3-D input (N, T, D)' : `${2 + inputShape.length}-D input`;
    throw new InputError(`"${showName(name)}" (${showName(cell.description.title, 40)}) needs a ${want} but got shape [${x.shape.join(', ')}].`);
  }
  const { N, T } = batchAndTime(x, opts);
  const D = cell.inputDim;
  const M = cell.units;
  const S = cell.stateCount;
  if (x.shape.slice(2).some((d, j) => d !== inputShape[j])) {
    const what = inputShape.length === 1 ? `D=${D} input features per step` : `steps of shape (${inputShape.join(', ')})`;
    throw new InputError(`"${showName(name)}" was built for ${what} but received (${x.shape.slice(2).join(', ')}).`);
  }
  const isMasked = maskReader(spec.mask, N, T, name);
  // States in float32, as Keras keeps them.
  const prev: Float32Array[] = [];
  const next: Float32Array[] = [];
  for (let k = 0; k < S; k++) {
    prev.push(new Float32Array(N * M));
    next.push(new Float32Array(N * M));
  }
  const init = spec.initialState ?? [];
  if (init.length > 0) {
    if (init.length !== S) throw new InputError(`"${showName(name)}" (${showName(cell.description.title, 40)}) takes ${S} initial state tensor(s) but got ${init.length}.`);
    init.forEach((s, k) => {
      if (s.data.length !== N * M) {
        const want = cell.stateShape && cell.stateShape.length > 1 ? `(${[N, ...cell.stateShape].join(', ')})` : `(N, M) = (${N}, ${M})`;
        throw new InputError(`Initial state ${k} of "${showName(name)}" has shape [${s.shape.join(', ')}]; it must be ${want}.`);
      }
      prev[k].set(s.data);
    });
  }
  // stateful=True: the file holds no state, so a first run starts from zeros like a freshly reset layer; a later run
  // continues only when the caller passes the states of the run before (forward.ts initialStates).

  // Output and trace arrays on buffers an earlier run handed back, when there are any (recycledBuffers.ts).
  const sequence = opts.returnSequences ? float64Array(N * T * M) : null;
  const last = new Float64Array(N * M);
  let trace: RecurrentTrace | undefined;
  let gates: Float32Array[] | null = null;
  let stateKeys: string[] = [];
  let stream: StreamedRecording | null = null;
  if (ctx.trace) {
    // Above the trace memory limit only checkpoints are kept (traceStore.ts): the arrays of every step stay empty.
    const streamed = ctx.traceStore !== undefined;
    const size = streamed ? 0 : T * N * M;
    // Each trace array in its own ArrayBuffer, so a worker can transfer it whole.
    const values: RecurrentTrace['values'] = { h: float32Array(size) };
    stateKeys = cell.description.quantities.filter((q) => q.role === 'state').map((q) => q.key);
    if (stateKeys[0] !== 'h' || stateKeys.length !== S) throw new Error(`the ${cell.name} cell describes states [${stateKeys.join(', ')}] but keeps ${S}, h first`);
    for (const k of stateKeys) values[k] ??= float32Array(size);
    trace = {
      layer: name,
      ...(spec.direction ? { direction: spec.direction } : {}),
      cell: cell.description,
      steps: T,
      batch: N,
      units: M,
      stateShape: [...(cell.stateShape ?? [M])],
      inputShape: [...inputShape],
      timeIndex: new Int32Array(T),
      ...(isMasked ? { masked: new Uint8Array(T * N) } : {}),
      values,
    };
    if (ctx.traceGates !== false) gates = cell.gates.map((g) => (values[g] = float32Array(size)));
    if (ctx.traceStore) {
      // One step's gates of every sample, reused; the recording keeps every K-th step of them.
      if (gates) gates = gates.map(() => new Float32Array(N * M));
      const quantities = stateKeys.length + (gates ? gates.length : 0);
      const every = ctx.traceStore.everyFor(T * N * M * quantities * 4);
      const offsetOf = opts.timeMajor ? (t: number, n: number) => (t * N + n) * D : (t: number, n: number) => (n * T + t) * D;
      stream = new StreamedRecording(cell, x.data, offsetOf, trace.timeIndex, trace.masked, stateKeys, gates ? cell.gates : [], prev, every);
      trace.streamed = stream.info(ctx.traceStore.add(stream));
    }
  }

  const xs = x.data;
  if (cell.rows && N === 1 && !isMasked && !stream) {
    await runRows(cell, cell.rows, xs, T, opts.goBackwards, prev, sequence, trace, stateKeys, gates, ctx);
    copyInto(last, 0, prev[0], 0, M);
    cell.release?.();
    return { sequence, last, states: prev.map((st) => Float64Array.from(st)), ...(trace ? { trace } : {}) };
  }
  const zeroOut = opts.zeroOutputForMask;
  // Check for cancellation about every 2 million FLOPs (a millisecond or two); yieldNow paces itself.
  const pace = Math.max(1, Math.floor(2e6 / Math.max(1, cell.flopsPerStep * N)));
  let cur = prev;
  let nxt = next;
  // The input part of a block of (step, sample) pairs at once (one product), then each step's recurrent part.
  const blockRows = Math.max(1, cell.blockRows);
  const xOffsets = new Int32Array(blockRows);
  let row = blockRows;
  for (let s = 0; s < T; s++) {
    const t = opts.goBackwards ? T - 1 - s : s;
    if (trace) trace.timeIndex[s] = t;
    for (let n = 0; n < N; n++) {
      if (row === blockRows) {
        let count = 0;
        for (let i = s * N + n; i < T * N && count < blockRows; i++, count++) {
          const si = Math.floor(i / N);
          const ni = i - si * N;
          const ti = opts.goBackwards ? T - 1 - si : si;
          xOffsets[count] = opts.timeMajor ? (ti * N + ni) * D : (ni * T + ti) * D;
        }
        cell.project(xs, xOffsets, count);
        row = 0;
      }
      const off = n * M;
      const tOff = stream ? off : (s * N + n) * M;
      const masked = isMasked !== null && isMasked(n, t);
      if (masked) {
        // Keras computes the step and discards it; we skip it, so the trace's gate arrays hold 0 there.
        for (let k = 0; k < S; k++) copyInto(nxt[k], off, cur[k], off, M);
        if (trace) trace.masked![s * N + n] = 1;
        if (stream && gates) for (const g of gates) g.fill(0, off, off + M);
      } else {
        cell.step(row, cur, nxt, off, gates, tOff);
      }
      row++;
      const h = nxt[0];
      if (masked && zeroOut) last.fill(0, off, off + M);
      else copyInto(last, off, h, off, M);
      if (sequence) copyInto(sequence, opts.timeMajor ? (s * N + n) * M : (n * T + s) * M, last, off, M);
      if (trace && !stream) for (let k = 0; k < S; k++) copyInto(trace.values[stateKeys[k]], tOff, nxt[k], off, M);
    }
    if (stream) stream.record(s, nxt, gates);
    const swap = cur;
    cur = nxt;
    nxt = swap;
    if ((s + 1) % pace === 0) {
      ctx.checkCancelled();
      await ctx.yieldNow();
    }
  }
  // The statistics are complete only now.
  if (stream && trace) trace.streamed = stream.info(trace.streamed!.id);
  // A streamed recording keeps the cell to recompute the steps between its checkpoints.
  else cell.release?.();
  return { sequence, last, states: cur.map((st) => Float64Array.from(st)), ...(trace ? { trace } : {}) };
}

/**
 * The time loop of one unmasked sample over CellRows: per block of steps one projection, one run of its rows, and
 * each quantity copied out with one set() (the output sequence widened to float64 by the same native copy).
 * `states` holds the initial states and, after, the final ones.
 */
async function runRows(
  cell: Cell,
  rows: CellRows,
  xs: Float64Array,
  T: number,
  goBackwards: boolean,
  states: Float32Array[],
  sequence: Float64Array | null,
  trace: RecurrentTrace | undefined,
  stateKeys: string[],
  gates: Float32Array[] | null,
  ctx: ForwardContext,
): Promise<void> {
  const M = cell.units;
  const D = cell.inputDim;
  const S = cell.stateCount;
  const blockRows = Math.max(1, cell.blockRows);
  const xOffsets = new Int32Array(blockRows);
  // A cancellation check about every 2 million FLOPs, as in the step loop.
  const pace = Math.max(1, Math.floor(2e6 / Math.max(1, cell.flopsPerStep)));
  for (let k = 0; k < S; k++) copyF32(rows.state[k], 0, states[k], 0, M);
  for (let s0 = 0; s0 < T; s0 += blockRows) {
    const count = Math.min(blockRows, T - s0);
    for (let i = 0; i < count; i++) {
      const t = goBackwards ? T - 1 - (s0 + i) : s0 + i;
      xOffsets[i] = t * D; // one sample: (0, t) and time-major (t, 0) start at the same place
      if (trace) trace.timeIndex[s0 + i] = t;
    }
    cell.project(xs, xOffsets, count);
    for (let r = 0; r < count; r += pace) {
      rows.run(r, Math.min(pace, count - r));
      ctx.checkCancelled();
      await ctx.yieldNow();
    }
    const n = count * M;
    if (sequence) sequence.set(rows.values[0].subarray(0, n), s0 * M);
    if (trace) for (let k = 0; k < S; k++) trace.values[stateKeys[k]].set(rows.values[k].subarray(0, n), s0 * M);
    if (gates) for (let g = 0; g < gates.length; g++) gates[g].set(rows.values[S + g].subarray(0, n), s0 * M);
  }
  for (let k = 0; k < S; k++) copyF32(states[k], 0, rows.state[k], 0, M);
}

// ---------------------------------------------------------------------------------------------------------
// Shapes and the LayerKind of a plain recurrent layer

/** The recurrent input shape in (N, T, D) order whatever the layout. */
function inputShape3(layer: LayerNode, inputs: Shape[]): Shape {
  const shape = oneInput(layer, inputs);
  if (shape.length !== 3) throw new UnsupportedFeatureError(`"${showName(layer.name)}" (${showName(layer.className)}) needs a 3-D input (N, T, D), got rank ${shape.length}.`);
  return shape;
}

/** Output shapes of one recurrent layer given its units M, before any Bidirectional merging. */
export function recurrentShapes(layer: LayerNode, inputs: Shape[], M: number, stateCount: 1 | 2): ShapeResult {
  const opts = rnnOptions(layer);
  const shape = inputShape3(layer, inputs);
  const [N, T] = opts.timeMajor ? [shape[1], shape[0]] : [shape[0], shape[1]];
  const shapes: Shape[] = [];
  const letters: DimLetter[][] = [];
  if (opts.returnSequences) {
    shapes.push(opts.timeMajor ? [T, N, M] : [N, T, M]);
    letters.push(opts.timeMajor ? ['T', 'N', 'M'] : ['N', 'T', 'M']);
  } else {
    shapes.push([N, M]);
    letters.push(['N', 'M']);
  }
  if (opts.returnState) {
    for (let k = 0; k < stateCount; k++) {
      shapes.push([N, M]);
      letters.push(['N', 'M']);
    }
  }
  return { shapes, letters };
}

/** The input tensor and the initial states of a call (Keras 2 may pass the states as extra inputs). */
export function callInputs(layer: LayerNode, inputs: LayerInputs): { x: Tensor; mask: Mask | null; initialState?: Tensor[] } {
  const x = oneTensor(layer, inputs.tensors);
  // Checked before a cell is built from x's last axis (a 2-D input would give it D = undefined).
  if (x.shape.length !== 3) {
    throw new InputError(`"${showName(layer.name)}" (${showName(layer.className, 40)}) needs a 3-D input (N, T, D) but got shape [${x.shape.join(', ')}].`);
  }
  const initialState = inputs.initialState?.length ? inputs.initialState : inputs.tensors.length > 1 ? inputs.tensors.slice(1) : undefined;
  return { x, mask: inputs.masks[0] ?? null, ...(initialState ? { initialState } : {}) };
}

/** The tensors of a finished run: output (sequence or last step), then the states with return_state. */
export function runTensors(run: RecurrentRun, opts: RnnOptions, N: number, T: number, M: number | readonly number[]): Tensor[] {
  const st = typeof M === 'number' ? [M] : [...M];
  const out: Tensor[] = [
    run.sequence ? { shape: opts.timeMajor ? [T, N, ...st] : [N, T, ...st], data: run.sequence } : { shape: [N, ...st], data: run.last },
  ];
  if (opts.returnState) for (const s of run.states) out.push({ shape: [N, ...st], data: s });
  return out;
}

/** Keras 1 names of the recurrent options every cell shares (old → new). */
const KERAS1_RNN_KEYS = { output_dim: 'units', inner_activation: 'recurrent_activation', inner_init: 'recurrent_initializer', U_regularizer: 'recurrent_regularizer', dropout_W: 'dropout', dropout_U: 'recurrent_dropout' };

export function recurrentLayer(kind: CellKind): LayerKind {
  return {
    classNames: kind.classNames,
    recurrentCell: kind,
    recurrent: true,
    keras1: { keys: KERAS1_RNN_KEYS },
    keras3WeightNames: (layer) => ['kernel', 'recurrent_kernel', ...(layer.config.use_bias !== false ? ['bias'] : [])],
    outputShape(layer, inputs) {
      return recurrentShapes(layer, inputs, unitsOf(layer), kind.stateCount);
    },
    params(layer, inputs, env) {
      return kind.params(layer, requireInputDim(layer, inputs), env);
    },
    async forward(layer, inputs, ctx): Promise<LayerOutput> {
      refuseQuantized(layer);
      const { x, mask, initialState } = callInputs(layer, inputs);
      const opts = rnnOptions(layer);
      const cell = kind.build(layer, x.shape[2], ctx);
      const run = await runRecurrent(cell, x, opts, { traceName: layer.name, mask, ...(initialState ? { initialState } : {}) }, ctx);
      const { N, T } = batchAndTime(x, opts);
      const tensors = runTensors(run, opts, N, T, cell.stateShape ?? cell.units);
      const masks = tensors.map((_, i) => (i === 0 && opts.returnSequences ? mask : null));
      // A stateful layer hands its last states on, as Keras keeps them between predict calls.
      const finalStates = opts.stateful ? run.states.map((data) => ({ shape: [N, cell.units], data })) : undefined;
      return { tensors, masks, ...(run.trace ? { traces: [run.trace] } : {}), ...(finalStates ? { finalStates } : {}) };
    },
  };
}
