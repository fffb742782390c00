// The execution order of a layer graph: every layer call after the calls that feed it. Sequential and
// Functional graphs, shared layers (several calls) and nested models all walk the same way.

import { NotAKerasFileError } from './errors';
import type { LayerCall, LayerNode, ModelGraph, TensorRef } from './model';
import { showName } from './safeText';

export interface CallSite {
  layer: LayerNode;
  /** Index of this call among the layer's calls (its node index). */
  node: number;
  call: LayerCall;
}

export const callKey = (layer: string, node: number): string => `${layer}#${node}`;
export const refKey = (ref: TensorRef): string => callKey(ref.layer, ref.node);

/** All tensor refs a call consumes: its inputs, initial states and explicit masks. */
export function consumedRefs(call: LayerCall): TensorRef[] {
  return [...call.inputs, ...(call.initialState ?? []), ...(call.mask ?? [])];
}

/** The order walk's result; `cycle` names a layer whose call is (transitively) fed by its own output. */
interface Walk {
  order: CallSite[];
  unreachable: CallSite[];
  cycle?: LayerNode;
}

const NEW = 0;
const OPEN = 1;
const DONE = 2;
const DEAD = 3;

/**
 * One depth-first pass over call sites with a map from tensor key to the call producing it: each call is emitted
 * after its producers, so the time is linear in calls plus refs. Calls fed by a tensor nobody produces, or by their
 * own output through a cycle, are dead and returned separately.
 */
function walk(graph: ModelGraph): Walk {
  const ready = new Set<string>(graph.inputRefs.map(refKey));
  for (const l of graph.layers) if (l.className === 'InputLayer') ready.add(callKey(l.name, 0));
  const sites: CallSite[] = [];
  for (const layer of graph.layers) layer.calls.forEach((call, node) => sites.push({ layer, node, call }));
  const producer = new Map<string, number>();
  sites.forEach((s, i) => {
    const key = callKey(s.layer.name, s.node);
    if (!ready.has(key) && !producer.has(key)) producer.set(key, i);
  });
  const state = new Uint8Array(sites.length);
  const order: CallSite[] = [];
  let cycle: LayerNode | undefined;
  // Each frame: a site and how many of its refs have been looked at.
  const stack: Array<{ site: number; refs: TensorRef[]; next: number; dead: boolean }> = [];
  for (let start = 0; start < sites.length; start++) {
    if (state[start] !== NEW) continue;
    state[start] = OPEN;
    stack.push({ site: start, refs: consumedRefs(sites[start].call), next: 0, dead: false });
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top.next < top.refs.length) {
        const key = refKey(top.refs[top.next++]);
        if (ready.has(key)) continue;
        const p = producer.get(key);
        if (p === undefined || state[p] === DEAD) top.dead = true;
        else if (state[p] === OPEN) {
          cycle ??= sites[p].layer;
          top.dead = true;
        } else if (state[p] === NEW) {
          state[p] = OPEN;
          stack.push({ site: p, refs: consumedRefs(sites[p].call), next: 0, dead: false });
        }
        continue;
      }
      stack.pop();
      state[top.site] = top.dead ? DEAD : DONE;
      if (!top.dead) order.push(sites[top.site]);
      // A dead producer kills the call that was waiting on it.
      else if (stack.length) stack[stack.length - 1].dead = true;
    }
  }
  const unreachable = sites.filter((_, i) => state[i] === DEAD);
  return { order, unreachable, ...(cycle ? { cycle } : {}) };
}

/**
 * Calls in an order where every input is ready first. Calls that can never run (fed by a layer the
 * graph does not declare) are returned separately so the caller can say so.
 */
export function executionOrder(graph: ModelGraph): { order: CallSite[]; unreachable: CallSite[] } {
  const { order, unreachable } = walk(graph);
  return { order, unreachable };
}

/** Refuses a functional graph in which a layer is fed by its own output, directly or through other layers. */
export function checkGraph(graph: ModelGraph): void {
  const { cycle } = walk(graph);
  if (cycle) {
    throw new NotAKerasFileError(
      `The layer "${showName(cycle.name, 60)}" of the model "${showName(graph.name, 40)}" is fed by its own output, directly or through other layers: the file is damaged or crafted.`,
    );
  }
}

/** Every layer in a list, nested models' layers included, depth first; iterative, and each layer once. */
export function allLayersOf(layers: readonly LayerNode[]): LayerNode[] {
  const out: LayerNode[] = [];
  const seen = new Set<LayerNode>();
  const stack = [...layers].reverse();
  while (stack.length) {
    const l = stack.pop()!;
    if (seen.has(l)) continue;
    seen.add(l);
    out.push(l);
    if (l.model) for (let i = l.model.layers.length - 1; i >= 0; i--) stack.push(l.model.layers[i]);
  }
  return out;
}

/** Every layer in a graph, nested models' layers included, depth first. */
export function allLayers(graph: ModelGraph): LayerNode[] {
  return allLayersOf(graph.layers);
}

/**
 * One layer call of a walk, in execution order, with the values of everything it consumes looked up in one shape:
 * its inputs, its initial states (Keras 2 extra inputs, Keras 3 `initial_state=`) and the masks passed as tensors
 * (Keras 3 `mask=`). A value is undefined where no call produced it (a layer after one that could not be handled).
 */
export interface WalkedCall<V> extends CallSite {
  /** 1-based position in this graph's execution order. */
  position: number;
  inputs: (V | undefined)[];
  /** Empty when the call is given none. */
  initialState: (V | undefined)[];
  /** One per input when the call passes masks as tensors; absent otherwise. */
  masks?: (V | undefined)[];
  /** The first consumed tensor nobody produced, for messages. */
  missing?: TensorRef;
}

/** The values of a graph's tensors as a walk produces them: the graph's inputs, then each call's outputs. */
export class GraphValues<V> {
  private readonly byCall = new Map<string, (V | undefined)[]>();

  constructor(private readonly graph: ModelGraph, inputs: readonly V[]) {
    graph.inputRefs.forEach((ref, i) => {
      const outs = this.byCall.get(refKey(ref)) ?? [];
      outs[ref.tensor] = inputs[i];
      this.byCall.set(refKey(ref), outs);
    });
  }

  get(ref: TensorRef): V | undefined {
    return this.byCall.get(refKey(ref))?.[ref.tensor];
  }

  /** Records what a call produced, one value per output tensor. */
  set(site: CallSite, outputs: readonly (V | undefined)[]): void {
    this.byCall.set(callKey(site.layer.name, site.node), [...outputs]);
  }

  /** What a call produced, or undefined before it ran. */
  of(layer: string, node: number): readonly (V | undefined)[] | undefined {
    return this.byCall.get(callKey(layer, node));
  }

  /** The graph's outputs, in `outputRefs` order. */
  outputs(): (V | undefined)[] {
    return this.graph.outputRefs.map((r) => this.get(r));
  }
}

/**
 * The one walk the forward pass, the summary's shapes and the NumPy export share: the calls of `graph` in execution
 * order, each resolved from `values` when it is reached, so a caller records a call's outputs (values.set) before
 * taking the next. Calls that can never run are listed in `unreachable`.
 */
export function walkGraph<V>(graph: ModelGraph, inputs: readonly V[]): { values: GraphValues<V>; calls: Iterable<WalkedCall<V>>; unreachable: CallSite[] } {
  const values = new GraphValues<V>(graph, inputs);
  const { order, unreachable } = executionOrder(graph);
  function* calls(): Generator<WalkedCall<V>> {
    for (let i = 0; i < order.length; i++) {
      const site = order[i];
      const { call } = site;
      const missing = consumedRefs(call).find((r) => values.get(r) === undefined);
      const get = (r: TensorRef) => values.get(r);
      yield {
        ...site,
        position: i + 1,
        inputs: call.inputs.map(get),
        initialState: (call.initialState ?? []).map(get),
        ...(call.mask ? { masks: call.mask.map(get) } : {}),
        ...(missing ? { missing } : {}),
      };
    }
  }
  return { values, calls: calls(), unreachable };
}
