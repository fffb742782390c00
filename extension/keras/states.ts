// The states of stateful recurrent layers (stateful=True) carried from one run to the next, as Keras keeps them
// between `predict` calls until `reset_states()`. A first run starts from zeros; the forward pass returns the final
// states (forward.ts finalStates), and a later run may start from them. Read from a file, they are untrusted input.

import { InputError } from './errors';
import { layerKind } from './layers/index';
import type { ModelDocument, ModelGraph } from './model';
import { showName } from './safeText';
import { MAX_RANK } from './limits';
import { toNested, type Tensor } from './tensor';

/** The states of one stateful layer: h (and c for a two-state cell), each N × M. */
export interface LayerStates {
  layer: string;
  states: Tensor[];
}

/** A stateful layer of the model: its name, how many states its cell carries, and M where a state is N × M. */
interface StatefulLayer {
  name: string;
  stateCount: number;
  /** M for a cell whose state is a vector; absent for one whose state is a feature map (ConvLSTM: N × rows × cols × F). */
  units?: number;
}

/** What a state file says it is; anything else is refused. */
const STATE_FILE_FORMAT = 'keras-rnn-inspector-state';
/** A state file is a few numbers per unit: far below this unless it is not one. */
export const MAX_STATE_FILE_BYTES = 64 * 1024 * 1024;

/** The stateful recurrent layers of the model, in graph order, named as the forward pass names them (`outer/inner` when nested). */
export function statefulLayers(doc: ModelDocument): StatefulLayer[] {
  const out: StatefulLayer[] = [];
  // Iterative, each nested model once: the graph's depth was bounded when it was read.
  const stack: { graph: ModelGraph; prefix: string }[] = [{ graph: doc.root, prefix: '' }];
  const seen = new Set<ModelGraph>();
  while (stack.length) {
    const { graph, prefix } = stack.pop()!;
    if (seen.has(graph)) continue;
    seen.add(graph);
    for (const layer of graph.layers) {
      if (layer.model) stack.push({ graph: layer.model, prefix: `${prefix}${layer.name}/` });
      const cell = layerKind(layer.className)?.recurrentCell;
      if (!cell || layer.config.stateful !== true) continue;
      const units = layer.config.units;
      out.push({ name: prefix + layer.name, stateCount: cell.stateCount, ...(typeof units === 'number' && Number.isInteger(units) ? { units } : {}) });
    }
  }
  return out;
}

const listNames = (names: readonly string[]): string => names.map((n) => `"${showName(n, 40)}"`).join(', ');

/**
 * Refuses starting states that do not fit this model and this run: a layer that is not stateful, a missing layer,
 * the wrong number of states, or a shape other than (N, M) for the run's N samples.
 */
export function checkStates(doc: ModelDocument, states: readonly LayerStates[], N: number): void {
  const layers = statefulLayers(doc);
  if (layers.length === 0) {
    throw new InputError('This model has no stateful layers (stateful=True), so there is no state to continue from; run it without a starting state.');
  }
  for (const s of states) {
    const layer = layers.find((l) => l.name === s.layer);
    if (!layer) throw new InputError(`The state names "${showName(s.layer, 40)}", which is not a stateful layer of this model (its stateful layers are ${listNames(layers.map((l) => l.name))}); reset the state or use one saved from this model.`);
    if (s.states.length !== layer.stateCount) throw new InputError(`The state of "${showName(layer.name, 40)}" holds ${s.states.length} tensor(s) but the layer carries ${layer.stateCount}; use a state saved from this model.`);
    for (const t of s.states) {
      // A vector state must be N × M; a feature map's own sizes are checked by its layer when the run starts.
      const wrong = layer.units !== undefined ? t.shape.length !== 2 || t.shape[0] !== N || t.shape[1] !== layer.units : t.shape[0] !== N;
      if (wrong) {
        const needs = layer.units !== undefined ? `(N, M) = ${N}×${layer.units}` : `N = ${N} samples first`;
        throw new InputError(`The state of "${showName(layer.name, 40)}" is ${t.shape.join('×')} but this run needs ${needs}; run with the same N as the run it came from, or reset the state.`);
      }
    }
  }
  const missing = layers.filter((l) => !states.some((s) => s.layer === l.name));
  if (missing.length > 0) throw new InputError(`The state has nothing for ${listNames(missing.map((l) => l.name))}; use a state saved from a run of this model.`);
}

/** The state file written by `--state-out` (and read by `--state-in`): plain JSON, one (N, M) list per state. */
export function stateFileJson(states: readonly LayerStates[], meta: { model: string; input?: string }): Record<string, unknown> {
  const layers: Record<string, unknown[]> = {};
  for (const s of states) layers[s.layer] = s.states.map(toNested);
  return { format: STATE_FILE_FORMAT, version: 1, model: meta.model, ...(meta.input !== undefined ? { after: meta.input } : {}), layers };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a state file's text for this model and a run of N samples, checking every field before it allocates:
 * the format tag, each layer's name, the number of states, each state's N × M numbers, and that each is finite.
 */
export function parseStateFile(text: string, doc: ModelDocument, N: number): LayerStates[] {
  if (text.length > MAX_STATE_FILE_BYTES) throw new InputError(`The state file is over ${MAX_STATE_FILE_BYTES / 1024 / 1024} MB, far more than any saved state; give the file --state-out wrote.`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new InputError('The state file is not valid JSON; give the file --state-out wrote.');
  }
  if (!isObject(raw) || raw.format !== STATE_FILE_FORMAT) throw new InputError(`The state file is not a saved state (it needs "format": "${STATE_FILE_FORMAT}"); give the file --state-out wrote.`);
  if (!isObject(raw.layers)) throw new InputError('The state file has no "layers" object; give the file --state-out wrote.');
  const layers = statefulLayers(doc);
  const out: LayerStates[] = [];
  const budget = { numbers: 0 };
  for (const [name, value] of Object.entries(raw.layers)) {
    const layer = layers.find((l) => l.name === name);
    // An unknown name is refused with the model's stateful layers named; counts and shapes are checked below.
    if (!layer) checkStates(doc, [{ layer: name, states: [] }], N);
    if (!Array.isArray(value) || value.length > 8) throw new InputError(`The state of "${showName(name, 40)}" is not a list of states (h, and c for LSTM); give the file --state-out wrote.`);
    const states = value.map((state, k) => nestedState(state, `State ${k} of "${showName(name, 40)}"`, N, layer!.units, budget));
    out.push({ layer: name, states });
  }
  checkStates(doc, out, N);
  return out;
}

/** The most numbers a state file may hold in all: a 64 MB file holds fewer. */
const MAX_STATE_NUMBERS = 16 * 1024 * 1024;

/**
 * One state from nested lists: rectangular, at most MAX_RANK deep, N rows first (M numbers each for a vector state),
 * every entry a finite number. Walked without recursion; sized from its first entries before anything is allocated.
 */
function nestedState(v: unknown, what: string, N: number, units: number | undefined, budget: { numbers: number }): Tensor {
  if (!Array.isArray(v) || v.length !== N) throw new InputError(`${what} is not a list of N = ${N} rows; run with the same N as the run it came from, or reset the state.`);
  const shape: number[] = [];
  let probe: unknown = v;
  while (Array.isArray(probe)) {
    if (shape.length >= MAX_RANK || probe.length === 0) throw new InputError(`${what} is not a list of N rows of numbers; give the file --state-out wrote.`);
    shape.push(probe.length);
    probe = probe[0];
  }
  if (units !== undefined && (shape.length !== 2 || shape[1] !== units)) {
    throw new InputError(`Row 0 of ${what.charAt(0).toLowerCase()}${what.slice(1)} is not a list of M = ${units} numbers; use a state saved from this model.`);
  }
  const size = shape.reduce((a, d) => a * d, 1);
  budget.numbers += size;
  if (budget.numbers > MAX_STATE_NUMBERS) throw new InputError(`The state file holds more than ${MAX_STATE_NUMBERS.toLocaleString('en-US')} numbers, far more than a saved state; give the file --state-out wrote.`);
  const data = new Float64Array(size);
  let i = 0;
  // Depth-first over the lists, checking each one's length against the shape taken from the first entries.
  const stack: { list: unknown[]; depth: number; at: number }[] = [{ list: v, depth: 0, at: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.at === top.list.length) {
      stack.pop();
      continue;
    }
    const x = top.list[top.at++];
    if (top.depth === shape.length - 1) {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new InputError(`${what} holds ${showName(JSON.stringify(x) ?? String(x), 20)} where a finite number belongs; use a state saved from this model.`);
      data[i++] = x;
    } else {
      if (!Array.isArray(x) || x.length !== shape[top.depth + 1]) throw new InputError(`${what} is not rectangular (a list of ${shape.slice(1).join('×')} values per sample); use a state saved from this model.`);
      stack.push({ list: x, depth: top.depth + 1, at: 0 });
    }
  }
  return { shape, data };
}
