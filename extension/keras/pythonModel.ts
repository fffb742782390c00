// Follows the shapes through Keras code written in Python, so a hover over `Dense(2)` after
// `SimpleRNN(5, input_shape=(10, 3))` knows its input is 5 wide. Reads `model.add(...)` sequences,
// `Sequential([...])` lists, functional calls (`x = LSTM(8)(x)`, `inputs = Input(shape=(10, 3))`) and layer
// objects applied later (`rnn = LSTM(8)` … `rnn(x)`), in source order. Nothing is evaluated: the shapes come from
// the layer modules' outputShape(), and anything else (a custom layer, a variable from elsewhere) breaks the chain
// honestly instead of being guessed.

import { layerEnv, layerKind, pythonLayerClasses } from './layers/index';
import { Parser, describeValue, layerFromCall, literal, tokenize, type PyCall, type PyValue } from './pythonCall';
import type { Shape } from './shapes';
import type { ShapeSource } from './inputWidth';

export type { ShapeSource } from './inputWidth';

/** What flows into one layer call, as far as the code before it tells. */
export interface ChainInput {
  /** The input shapes (one per input tensor); null when the chain before is broken. */
  shapes: Shape[] | null;
  /** Where the first input's last axis came from. */
  from: ShapeSource | null;
  /** True for the first layer of a Sequential (its own input_shape is what counts) or a layer never applied. */
  first: boolean;
  /** When `shapes` is null and not `first`: what broke the chain (a custom layer, a variable from elsewhere). */
  broken: string | null;
}

/** Code longer than this before the hover is read only from its last part (a chain starting earlier reads as broken). */
export const MAX_CHAIN_TEXT = 200_000;
/** Statements and layer calls followed at most; the rest of a huge file is ignored. */
const MAX_STATEMENTS = 20_000;

type Flow =
  | { k: 'tensor'; shape: Shape | null; from: ShapeSource | null; broken: string | null }
  /** Several outputs (return_state) or a list of tensors. */
  | { k: 'multi'; items: Flow[] }
  /** A layer object not applied yet. */
  | { k: 'layer'; call: PyCall }
  /** A Sequential model: `out` is what its last layer gives (null while it is empty). */
  | { k: 'seq'; out: Flow | null }
  | { k: 'unknown'; why: string };

const INPUT_FUNCTIONS = new Set(['Input', 'InputLayer']);
const SEQUENTIAL = 'Sequential';

function unknownTensor(why: string): Flow {
  return { k: 'tensor', shape: null, from: null, broken: why };
}

function short(text: string): string {
  const t = text.replace(/\s+/g, ' ');
  return t.length > 60 ? `${t.slice(0, 59)}…` : t;
}

/** The `name=` a call gives its layer, else its class as written. */
function displayName(call: PyCall): string {
  const n = call.kwargs.name;
  return n?.kind === 'string' && n.value.length > 0 ? n.value : call.name;
}

function asDim(x: unknown): number | null {
  return typeof x === 'number' && Number.isInteger(x) && x > 0 ? x : null;
}

/** `Input(shape=(10, 3))`, `keras.Input((10, 3))`, `InputLayer(input_shape=...)`, `Input(batch_shape=(32, 10, 3))`. */
function inputTensor(call: PyCall): Flow {
  const batch = literal(call.kwargs.batch_shape ?? call.kwargs.batch_input_shape);
  const shape = literal(call.kwargs.shape ?? call.kwargs.input_shape ?? call.args[0]);
  let full: Shape | null = null;
  if (Array.isArray(batch)) full = batch.map(asDim);
  else if (Array.isArray(shape)) full = [null, ...shape.map(asDim)];
  if (!full || full.length > 8) return unknownTensor(`${call.qualified}(…)`);
  return { k: 'tensor', shape: full, from: { kind: 'input', name: displayName(call), letter: full.length === 3 ? 'D' : null }, broken: null };
}

class Walk {
  readonly vars = new Map<string, Flow>();
  /** By the absolute offset of each layer call's name. */
  readonly inputs = new Map<number, ChainInput>();
  readonly classes = pythonLayerClasses();
  readonly env = layerEnv(3);
  constructor(readonly base: number) {}

  record(call: PyCall, input: ChainInput): void {
    const key = call.nameStart + this.base;
    // A layer object applied twice keeps what its first application saw.
    if (!this.inputs.has(key)) this.inputs.set(key, input);
    // The inner layers of a wrapper see what the wrapper's module says they see (TimeDistributed: one step).
    const kind = layerKind(call.name);
    for (const key of ['layer', 'backward_layer']) {
      const v = call.kwargs[key] ?? (key === 'layer' ? call.args[0] : undefined);
      if (v?.kind !== 'call' || !this.classes.has(v.call.name)) continue;
      let shapes = input.shapes;
      if (shapes && kind?.innerInputs) {
        try {
          shapes = kind.innerInputs(shapes);
        } catch {
          shapes = null;
        }
      }
      this.record(v.call, { ...input, shapes });
    }
  }

  statement(targets: string[], value: PyValue): void {
    const flow = this.eval(value);
    if (targets.length === 1) this.vars.set(targets[0], flow);
    else if (targets.length > 1) {
      targets.forEach((t, i) => this.vars.set(t, flow.k === 'multi' ? (flow.items[i] ?? { k: 'unknown', why: t }) : { k: 'unknown', why: t }));
    }
  }

  eval(v: PyValue): Flow {
    switch (v.kind) {
      case 'call':
        return this.evalCall(v.call);
      case 'apply': {
        const fn = this.eval(v.fn);
        if (fn.k === 'layer') return this.apply(fn.call, v.args);
        this.visitArgs(v.args, v.kwargs);
        return { k: 'unknown', why: describeValue(v) };
      }
      case 'tuple':
        return { k: 'multi', items: v.items.map((x) => this.eval(x)) };
      case 'other':
        return this.vars.get(v.text) ?? { k: 'unknown', why: v.text };
      default:
        return { k: 'unknown', why: describeValue(v) };
    }
  }

  evalCall(call: PyCall): Flow {
    if (INPUT_FUNCTIONS.has(call.name)) return inputTensor(call);
    if (call.name === SEQUENTIAL) {
      const seq: Flow & { k: 'seq' } = { k: 'seq', out: null };
      const list = call.kwargs.layers ?? call.args[0];
      if (list?.kind === 'tuple') for (const item of list.items) this.add(seq, item);
      return seq;
    }
    if (call.name === 'add' && call.qualified.includes('.') && call.args.length >= 1) {
      const receiver = call.qualified.slice(0, call.qualified.lastIndexOf('.'));
      let seq = this.vars.get(receiver);
      if (seq?.k !== 'seq') {
        // A model made where we cannot see (another file, a function's argument): its first layer's input is unknown.
        seq = { k: 'seq', out: unknownTensor(receiver) };
        this.vars.set(receiver, seq);
      }
      this.add(seq, call.args[0]);
      return { k: 'unknown', why: 'add' };
    }
    if (this.classes.has(call.name)) {
      // A wrapper's inner layer calls are read by the wrapper itself, with the wrapper's input.
      return { k: 'layer', call };
    }
    // A layer object called on tensors: `rnn(x)`.
    const held = this.vars.get(call.qualified);
    if (held?.k === 'layer') return this.apply(held.call, call.args);
    // `Model(inputs, Dense(1)(LSTM(8)(inputs)))`: the layers applied inside other calls still see their inputs.
    this.visitArgs(call.args, call.kwargs);
    return { k: 'unknown', why: `${call.qualified}(…)` };
  }

  visitArgs(args: PyValue[], kwargs: Record<string, PyValue>): void {
    for (const a of [...args, ...Object.values(kwargs)]) if (a.kind === 'call' || a.kind === 'apply' || a.kind === 'tuple') this.eval(a);
  }

  /** One item of a Sequential, in order. */
  add(seq: Flow & { k: 'seq' }, item: PyValue): void {
    const f = this.eval(item);
    if (f.k === 'tensor') {
      seq.out = f;
      return;
    }
    if (f.k === 'layer') {
      if (seq.out === null) {
        this.record(f.call, { shapes: null, from: null, first: true, broken: null });
        seq.out = this.output(f.call, null);
      } else {
        const input = this.chainInput([seq.out]);
        this.record(f.call, input);
        seq.out = this.output(f.call, input.shapes);
      }
      return;
    }
    seq.out = unknownTensor(short(describeValue(item)));
  }

  /** What a list of flows gives a layer as its input. */
  chainInput(flows: Flow[]): ChainInput {
    const tensors = flows.map((f) => (f.k === 'multi' ? (f.items[0] ?? f) : f.k === 'seq' ? (f.out ?? f) : f));
    const shapes: Shape[] = [];
    for (const t of tensors) {
      if (t.k !== 'tensor') return { shapes: null, from: null, first: false, broken: t.k === 'unknown' ? short(t.why) : 'a model' };
      if (!t.shape) return { shapes: null, from: null, first: false, broken: t.broken };
      shapes.push(t.shape);
    }
    const first = tensors[0];
    return { shapes, from: first?.k === 'tensor' ? first.from : null, first: false, broken: null };
  }

  /** `layer(x)` or `layer([a, b])`. */
  apply(call: PyCall, args: PyValue[]): Flow {
    const arg = args[0];
    if (!arg) return unknownTensor(call.name);
    const flow = this.eval(arg);
    const input = this.chainInput(flow.k === 'multi' && arg.kind === 'tuple' ? flow.items : [flow]);
    this.record(call, input);
    return this.output(call, input.shapes);
  }

  /** The layer's output as its module computes it: from the chain's shapes, or (first layer) its own arguments. */
  output(call: PyCall, shapes: Shape[] | null): Flow {
    const built = layerFromCall(call);
    const kind = layerKind(call.name);
    if (!built || !kind) return unknownTensor(call.name);
    let inputs = shapes;
    if (!inputs) {
      const own = built.inputShape ?? (kind.inputIs === 'tokens' ? [null, null] : null);
      if (!own) return unknownTensor(`${call.name} without input_shape`);
      inputs = [own];
    }
    try {
      const res = kind.outputShape(built.node, inputs, this.env);
      const items: Flow[] = res.shapes.map((shape, i) => {
        const letters = res.letters?.[i];
        return { k: 'tensor', shape, from: { kind: 'layer', name: displayName(call), letter: letters?.[letters.length - 1] ?? null }, broken: null };
      });
      return items.length === 1 ? items[0] : { k: 'multi', items };
    } catch {
      return unknownTensor(`${call.name}(…)`);
    }
  }
}

/**
 * What each layer call in `text` receives, by the absolute offset (`base` + position) of the call's name. `text` is
 * the code up to and including the hovered call (earlier notebook cells first); it is cut to its last
 * MAX_CHAIN_TEXT characters at a line start.
 */
export function chainInputs(text: string, base = 0): Map<number, ChainInput> {
  let src = text;
  let at = base;
  if (src.length > MAX_CHAIN_TEXT) {
    const cut = src.indexOf('\n', src.length - MAX_CHAIN_TEXT) + 1;
    at += cut;
    src = src.slice(cut);
  }
  const parser = new Parser(tokenize(src), src);
  const walk = new Walk(at);
  const statements = parser.statements();
  for (const s of statements.slice(0, MAX_STATEMENTS)) walk.statement(s.targets, s.value);
  return walk.inputs;
}

/** The input of the layer call whose name starts at `nameStart` (absolute), or null when the code gives nothing. */
export function chainInputAt(text: string, nameStart: number, base = 0): ChainInput | null {
  return chainInputs(text, base).get(nameStart) ?? null;
}
