// Keras RNN(cell): the generic recurrent layer around a built-in cell (SimpleRNNCell, LSTMCell, GRUCell) or around
// StackedRNNCells([...]) (RNN given a list of cells wraps them in one). At each time step a stacked cell runs its cells
// in order, each cell's output h being the next cell's input; every cell keeps its own states, return_state returns
// all of them (cell by cell), and the layer's output is the last cell's. Running cell 0 over the whole sequence, then
// cell 1 over its outputs, and so on gives the same numbers (a masked step is skipped by every cell alike), so each
// cell runs through the shared time loop of recurrent.ts, with the cell math of its own module and its own trace.

import { InputError, UnsupportedFeatureError } from '../errors';
import type { LayerNode, WeightRef } from '../model';
import type { DimLetter, Shape } from '../shapes';
import type { Mask, Tensor } from '../tensor';
import { configInt } from './common';
import { one, pyBool, quoted, word, type NumpyEmitter } from './numpyEmit';
import { callInputs, rnnOptions, runRecurrent, type CellKind, type RecurrentRun } from './recurrent';
import { showName } from '../safeText';
import type { LayerEnv, LayerKind, LayerOutput, ParamFormula, ParamTerm, RecurrentTrace } from './types';

/** More cells than any real stack; a crafted config with millions is refused before anything is built. */
const MAX_CELLS = 1000;

/** One cell of the wrapper, as a layer node its own module understands (LSTMCell → an LSTM node with the cell's config). */
interface StackCell {
  node: LayerNode;
  kind: CellKind;
  /** The cell's class as the file names it, e.g. LSTMCell. */
  cellClass: string;
  units: number;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The serialized cells: `cell` is one cell, a StackedRNNCells holding `cells`, or (hand-written) a list. */
function cellConfigs(layer: LayerNode): Record<string, unknown>[] {
  const raw = layer.config.cell;
  const who = `The RNN layer "${showName(layer.name)}"`;
  let list: unknown[];
  if (Array.isArray(raw)) list = raw;
  else if (isObject(raw) && raw.class_name === 'StackedRNNCells') {
    const cells = isObject(raw.config) ? raw.config.cells : undefined;
    if (!Array.isArray(cells)) throw new UnsupportedFeatureError(`${who} wraps a StackedRNNCells with no list of cells in its config; the file is damaged.`);
    list = cells;
  } else if (isObject(raw)) list = [raw];
  else throw new UnsupportedFeatureError(`${who} has no cell in its config, so there is nothing to run.`);
  if (list.length === 0) throw new UnsupportedFeatureError(`${who} wraps an empty list of cells; Keras needs at least one.`);
  if (list.length > MAX_CELLS) throw new UnsupportedFeatureError(`${who} stacks ${list.length} cells, more than the ${MAX_CELLS} this tool runs; the file is damaged or crafted.`);
  return list.map((c, i) => {
    if (!isObject(c) || typeof c.class_name !== 'string') throw new UnsupportedFeatureError(`Cell ${i} of ${who.slice(4)} has no class name; the file is damaged.`);
    return c;
  });
}

/** Each cell as a node of its layer kind (SimpleRNNCell → SimpleRNN, ...), checked to be one the forward pass knows. */
function stackCells(layer: LayerNode, env: LayerEnv): StackCell[] {
  return cellConfigs(layer).map((raw, i) => {
    const cellClass = raw.class_name as string;
    const layerClass = cellClass.endsWith('Cell') ? cellClass.slice(0, -'Cell'.length) : '';
    const kind = layerClass ? env.layerKind(layerClass)?.recurrentCell : undefined;
    if (!kind || !kind.classNames.includes(layerClass) || cellClass === 'StackedRNNCells') {
      const why = cellClass === 'StackedRNNCells' ? 'a StackedRNNCells inside another' : `the cell class ${showName(cellClass, 40)}`;
      throw new UnsupportedFeatureError(`The RNN layer "${showName(layer.name)}" wraps ${why}, which this tool does not run; it runs SimpleRNNCell, LSTMCell and GRUCell.`);
    }
    const config = isObject(raw.config) ? { ...raw.config } : {};
    const name = typeof config.name === 'string' ? config.name : `${cellClass.toLowerCase()}_${i}`;
    const node: LayerNode = { name, className: layerClass, config: { ...config, name }, weights: [], children: [], calls: [] };
    return { node, kind, cellClass, units: configInt(node, ['units']) };
  });
}

/** Keras 3 names a cell's weights kernel, recurrent_kernel and (with use_bias) bias, in that order. */
function cellWeightNames(cell: StackCell): string[] {
  return ['kernel', 'recurrent_kernel', ...(cell.node.config.use_bias !== false ? ['bias'] : [])];
}

/** Keras's naming.to_snake_case: LSTMCell → lstm_cell, SimpleRNNCell → simple_rnn_cell (the Keras 3 group names). */
function snakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** The cells with their share of the layer's stored weights, in Keras order (cell 0's, then cell 1's, ...). */
function withWeights(layer: LayerNode, cells: StackCell[]): StackCell[] {
  const counts = cells.map((c) => cellWeightNames(c).length);
  const need = counts.reduce((a, b) => a + b, 0);
  if (layer.weights.length !== need) {
    throw new UnsupportedFeatureError(
      `The RNN layer "${showName(layer.name)}" stores ${layer.weights.length} weight tensors but its ${cells.length} cell(s) need ${need} (kernel, recurrent_kernel${cells.some((c) => c.node.config.use_bias !== false) ? ', bias' : ''} each).`,
    );
  }
  let at = 0;
  return cells.map((c, i) => {
    const weights: WeightRef[] = layer.weights.slice(at, at + counts[i]);
    at += counts[i];
    return { ...c, node: { ...c.node, weights } };
  });
}

function inputShape3(layer: LayerNode, inputs: Shape[]): Shape {
  const shape = inputs[0];
  if (!shape || shape.length !== 3) throw new UnsupportedFeatureError(`The RNN layer "${showName(layer.name)}" needs a 3-D input (N, T, D), got ${shape ? `rank ${shape.length}` : 'none'}.`);
  return shape;
}

function refuseTimeMajor(layer: LayerNode): void {
  if (rnnOptions(layer).timeMajor) throw new UnsupportedFeatureError(`The RNN layer "${showName(layer.name)}" is time-major (T, N, D), which this tool runs for LSTM, GRU and SimpleRNN layers but not for RNN(cell).`);
}

/** The input reversed in time (go_backwards), with its mask, so every cell can run forwards over it. */
function reversed(x: Tensor, mask: Mask | null): { x: Tensor; mask: Mask | null } {
  const [N, T, D] = x.shape;
  const data = new Float64Array(x.data.length);
  for (let n = 0; n < N; n++) for (let t = 0; t < T; t++) data.set(x.data.subarray((n * T + t) * D, (n * T + t + 1) * D), (n * T + (T - 1 - t)) * D);
  if (!mask) return { x: { shape: [...x.shape], data }, mask: null };
  const md = new Uint8Array(mask.data.length);
  // A Masking layer on a time-major input gives a (T, N) mask; both layouts reverse along their time axis.
  const [rows, cols, timeFirst] = mask.n === N ? [N, T, false] : [T, N, true];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) md[timeFirst ? (rows - 1 - r) * cols + c : r * cols + (cols - 1 - c)] = mask.data[r * cols + c];
  return { x: { shape: [...x.shape], data }, mask: { ...mask, data: md } };
}

/** Cells as nodes of their layer class without the registry (the export's context has none); the emitters check them. */
function cellNodes(layer: LayerNode): { node: LayerNode; cellClass: string }[] {
  const configs = cellConfigs(layer);
  let at = 0;
  return configs.map((raw, i) => {
    const cellClass = raw.class_name as string;
    const config = isObject(raw.config) ? { ...raw.config } : {};
    const name = typeof config.name === 'string' ? config.name : `${cellClass.toLowerCase()}_${i}`;
    const count = config.use_bias === false ? 2 : 3;
    const weights = layer.weights.slice(at, at + count);
    at += count;
    const layerClass = cellClass.endsWith('Cell') && cellClass !== 'StackedRNNCells' ? cellClass.slice(0, -'Cell'.length) : cellClass;
    return { node: { name, className: layerClass, config: { ...config, name }, weights, children: [], calls: [] }, cellClass };
  });
}

const numpy: NumpyEmitter = (layer, call, inputs, cx, target) => {
  refuseTimeMajor(layer);
  const cells = cellNodes(layer);
  const opts = rnnOptions(layer);
  let x = one(layer, inputs);
  let mask = inputs.masks[0] ?? 'None';
  const given = inputs.vars.slice(1);
  if (given.length > 0 && cells.length > 1) {
    throw new UnsupportedFeatureError(`The NumPy export does not yet hand initial states to the cells of the stacked RNN "${showName(layer.name)}"; the forward pass runs it.`);
  }
  if (opts.stateful) cx.out.push('# stateful=True: this run starts from zero states, as a freshly loaded model does');
  if (opts.goBackwards) {
    // go_backwards: every cell runs over reversed time; the output keeps that processing order, as in Keras.
    cx.out.push(`${target}__in = ${x}[:, ::-1]  # go_backwards: the cells read the steps last to first`);
    x = `${target}__in`;
    if (mask !== 'None') {
      cx.out.push(`${target}__mask = ${mask}[:, ::-1]`);
      mask = `${target}__mask`;
    }
  }
  const states: string[] = [];
  cells.forEach((c, i) => {
    const last = i === cells.length - 1;
    const node: LayerNode = {
      ...c.node,
      name: `${layer.name}/${c.node.name}`,
      config: {
        ...c.node.config,
        return_sequences: last ? opts.returnSequences : true,
        return_state: true,
        go_backwards: false,
        zero_output_for_mask: last ? opts.zeroOutputForMask : false,
        stateful: false,
      },
    };
    cx.out.push(`# cell ${i}: ${word(c.cellClass)} ${quoted(c.node.name)}${cells.length > 1 ? (i === 0 ? ', reading the input' : ', reading the h of the cell before at the same step') : ''}`);
    const out = cx.emitterOf(node, layer)(node, call, { vars: [x, ...given], masks: [mask] }, cx, `${target}__c${i}`);
    states.push(...out.vars.slice(1));
    x = out.vars[0];
  });
  cx.out.push(`${target} = ${x}  # the last cell's output is the layer's`);
  const outMask = opts.returnSequences ? (inputs.masks[0] ?? 'None') : 'None';
  if (!opts.returnState) return { vars: [target], masks: [outMask] };
  cx.out.push(`# return_state=${pyBool(true)}: every cell's states, cell by cell`);
  return { vars: [target, ...states], masks: [outMask, ...states.map(() => 'None')] };
};

export const rnnWrapper: LayerKind = {
  classNames: ['RNN'],
  recurrent: true,
  python: { positional: ['cell', 'return_sequences', 'return_state', 'go_backwards', 'stateful', 'unroll'] },
  keras3WeightNames(layer) {
    return cellNodes(layer).flatMap((c) => ['kernel', 'recurrent_kernel', ...(c.node.config.use_bias === false ? [] : ['bias'])]);
  },
  keras3VarGroups(layer) {
    const raw = layer.config.cell;
    if (!(isObject(raw) && raw.class_name === 'StackedRNNCells') && !Array.isArray(raw)) return ['cell'];
    // Keras 3 saves a stacked cell's list as cell/cells/<snake_case class>, numbered from the second of a class on.
    const used = new Map<string, number>();
    return cellConfigs(layer).map((c) => {
      const snake = snakeCase(c.class_name as string);
      const n = used.get(snake);
      used.set(snake, n === undefined ? 0 : n + 1);
      return `cell/cells/${n === undefined ? snake : `${snake}_${n + 1}`}`;
    });
  },
  traceValues(layer, input, gates, env) {
    // Every cell records N·T steps of its states (and, with gates, its gates), each of its units wide.
    const [N, T] = input;
    if (input.length !== 3 || N === null || T === null) return 0;
    return stackCells(layer, env).reduce((a, c) => a + N * T * c.units * c.kind.describe(c.node, env).quantities.filter((q) => gates || q.role === 'state').length, 0);
  },
  outputShape(layer, inputs, env) {
    refuseTimeMajor(layer);
    const [N, T] = inputShape3(layer, inputs);
    const cells = stackCells(layer, env);
    const opts = rnnOptions(layer);
    const M = cells[cells.length - 1].units;
    const shapes: Shape[] = [opts.returnSequences ? [N, T, M] : [N, M]];
    const letters: DimLetter[][] = [opts.returnSequences ? ['N', 'T', 'M'] : ['N', 'M']];
    if (opts.returnState) {
      for (const c of cells) {
        for (let k = 0; k < c.kind.stateCount; k++) {
          shapes.push([N, c.units]);
          letters.push(['N', 'M']);
        }
      }
    }
    return { shapes, letters };
  },
  params(layer, inputs, env) {
    const D = inputShape3(layer, inputs)[2];
    if (typeof D !== 'number') throw new UnsupportedFeatureError(`The input feature size D of "${showName(layer.name)}" is unknown, so its parameters cannot be counted.`);
    const cells = stackCells(layer, env);
    let d = D;
    const parts = cells.map((c) => {
      const f = c.kind.params(c.node, d, env);
      d = c.units;
      return f;
    });
    if (parts.length === 1) return parts[0];
    const terms: ParamTerm[] = parts.flatMap((f, i) => f.terms.map((t) => ({ ...t, name: `cells/${i}/${t.name}` })));
    const total = parts.reduce((a, f) => a + f.total, 0);
    const trainable = parts.reduce((a, f) => a + f.trainable, 0);
    const letters: Record<string, number> = { D };
    cells.forEach((c, i) => (letters[`M${i}`] = c.units));
    const formula: ParamFormula = {
      formula: parts.map((f, i) => `${cells[i].cellClass}: ${f.formula}`).join(' + '),
      substituted: `${parts.map((f) => `(${f.substituted.replace(/\s*=\s*[\d.]+$/, '')})`).join(' + ')} = ${total}`,
      letters,
      terms,
      total,
      trainable,
      nonTrainable: total - trainable,
      note: `StackedRNNCells: at every step each cell's output h is the next cell's input, so cell i has D = M of cell i−1 (${cells.map((c, i) => `cell ${i}: D = ${i === 0 ? D : cells[i - 1].units}, M = ${c.units}`).join('; ')}).`,
    };
    return formula;
  },
  async forward(layer, inputs, ctx): Promise<LayerOutput> {
    refuseTimeMajor(layer);
    const cells = withWeights(layer, stackCells(layer, ctx));
    const { x, mask, initialState } = callInputs(layer, inputs);
    const opts = rnnOptions(layer);
    const [N, T] = x.shape;
    const stateCount = cells.reduce((a, c) => a + c.kind.stateCount, 0);
    if (initialState && initialState.length !== stateCount) {
      throw new InputError(`The RNN layer "${showName(layer.name)}" takes ${stateCount} initial state tensor(s), ${cells.map((c) => c.kind.stateCount).join(' + ')} for its cells, but got ${initialState.length}.`);
    }
    let seq = opts.goBackwards ? reversed(x, mask) : { x, mask };
    const states: Tensor[] = [];
    const traces: RecurrentTrace[] = [];
    let run: RecurrentRun | undefined;
    let at = 0;
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i];
      const last = i === cells.length - 1;
      const cell = c.kind.build(c.node, seq.x.shape[2], ctx);
      const init = initialState?.slice(at, at + c.kind.stateCount);
      at += c.kind.stateCount;
      const cellOpts = { ...opts, goBackwards: false, returnSequences: last ? opts.returnSequences : true, returnState: true, zeroOutputForMask: last && opts.zeroOutputForMask };
      const traceName = cells.length === 1 ? layer.name : `${layer.name}/${c.node.name}`;
      run = await runRecurrent(cell, seq.x, cellOpts, { traceName, mask: seq.mask, ...(init ? { initialState: init } : {}) }, ctx);
      if (run.trace) {
        // The cells ran over reversed time: step s processed input time T−1−s.
        if (opts.goBackwards) for (let s = 0; s < T; s++) run.trace.timeIndex[s] = T - 1 - s;
        traces.push(run.trace);
      }
      for (const data of run.states) states.push({ shape: [N, cell.units], data });
      if (!last) seq = { x: { shape: [N, T, cell.units], data: run.sequence! }, mask: seq.mask };
    }
    const M = cells[cells.length - 1].units;
    const output: Tensor = run!.sequence ? { shape: [N, T, M], data: run!.sequence } : { shape: [N, M], data: run!.last };
    const tensors = [output, ...(opts.returnState ? states : [])];
    const masks = tensors.map((_, i) => (i === 0 && opts.returnSequences ? mask : null));
    // A stateful layer hands every cell's last states on, as Keras keeps them between predict calls.
    return { tensors, masks, ...(traces.length ? { traces } : {}), ...(opts.stateful ? { finalStates: states } : {}) };
  },
  numpy,
};
