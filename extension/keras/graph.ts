// The execution order of a layer graph: every layer call after the calls that feed it. Sequential and
// Functional graphs, shared layers (several calls) and nested models all walk the same way.

import type { LayerCall, LayerNode, ModelGraph, TensorRef } from './model';

export interface CallSite {
  layer: LayerNode;
  /** Index of this call among the layer's calls (its node index). */
  node: number;
  call: LayerCall;
}

export const callKey = (layer: string, node: number): string => `${layer}#${node}`;
export const refKey = (ref: TensorRef): string => callKey(ref.layer, ref.node);

/** All tensor refs a call consumes: its inputs and initial states. */
export function consumedRefs(call: LayerCall): TensorRef[] {
  return [...call.inputs, ...(call.initialState ?? [])];
}

/**
 * Calls in an order where every input is ready first. Calls that can never run (fed by a layer the
 * graph does not declare) are returned separately so the caller can say so.
 */
export function executionOrder(graph: ModelGraph): { order: CallSite[]; unreachable: CallSite[] } {
  const ready = new Set<string>(graph.inputRefs.map(refKey));
  for (const l of graph.layers) if (l.className === 'InputLayer') ready.add(callKey(l.name, 0));
  const pending: CallSite[] = [];
  for (const layer of graph.layers) layer.calls.forEach((call, node) => pending.push({ layer, node, call }));
  const order: CallSite[] = [];
  let progress = true;
  while (pending.length && progress) {
    progress = false;
    for (let i = 0; i < pending.length; ) {
      const site = pending[i];
      if (consumedRefs(site.call).every((r) => ready.has(refKey(r)))) {
        order.push(site);
        ready.add(callKey(site.layer.name, site.node));
        pending.splice(i, 1);
        progress = true;
      } else i++;
    }
  }
  return { order, unreachable: pending };
}

/** Every layer in a graph, nested models' layers included, depth first. */
export function allLayers(graph: ModelGraph): LayerNode[] {
  return graph.layers.flatMap((l) => [l, ...(l.model ? allLayers(l.model) : [])]);
}
