// The stored weights a recurrent layer's step walk needs (webview/logic/stepMath.ts), found for one trace of a run:
// the layer by the trace's name (nested models, wrappers), then its cell's step weights. Used by the worker's job
// (runJob.ts) and by the page's live recompute (webview/views/liveRun.ts).

import type { LayerNode, ModelDocument, ModelGraph } from './model';
import { cellKind, layerEnv } from './layers/index';
import type { CellWeights, RecurrentTrace } from './layers/types';

/** The layer a trace names: `name`, or `outer/inner` for a layer inside a nested model (forward.ts prefixes). */
function findLayer(graph: ModelGraph, name: string): LayerNode | undefined {
  const direct = graph.layers.find((l) => l.name === name);
  if (direct) return direct;
  const slash = name.indexOf('/');
  if (slash > 0) {
    const outer = graph.layers.find((l) => l.name === name.slice(0, slash));
    const inner = outer?.model ?? outer?.children.find((c) => c.model)?.model;
    if (inner) return findLayer(inner, name.slice(slash + 1));
  }
  // A wrapper's inner layer (TimeDistributed(LSTM)) may carry the trace's name.
  for (const l of graph.layers) {
    const c = l.children.find((k) => k.name === name);
    if (c) return c;
  }
  return undefined;
}

/** The stored weights and step options of the layer (one direction) that produced `trace`, or null when they cannot be found. */
export function recurrentWeightsFor(doc: ModelDocument, trace: RecurrentTrace): CellWeights | null {
  const layer = findLayer(doc.root, trace.layer);
  const kind = cellKind(trace.cell.key);
  if (!layer || !kind) return null;
  const env = layerEnv(doc.kerasMajor);
  let cell = layer;
  // A wrapper (Bidirectional) runs its inner layers' cells: the one for this direction holds the weights.
  if (env.layerKind(layer.className)?.recurrentCell !== kind && layer.children.length > 0) {
    const idx = trace.direction === 'backward' ? 1 : 0;
    const child = layer.children[Math.min(idx, layer.children.length - 1)];
    // Without weights of its own, the wrapper holds both directions' weights in Keras order: forward first, then backward.
    const half = layer.weights.length / 2;
    cell = child.weights.length > 0 ? child : { ...child, weights: idx === 0 ? layer.weights.slice(0, half) : layer.weights.slice(half) };
  }
  const step = kind.stepWeights(cell, env);
  if (!step) return null;
  return {
    layer: trace.layer,
    ...(trace.direction ? { direction: trace.direction } : {}),
    cell: trace.cell.key,
    inputShape: [...trace.inputShape],
    stateShape: [...trace.stateShape],
    ...step,
  };
}
