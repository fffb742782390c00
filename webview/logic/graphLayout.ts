// A layered layout of a functional model's layers for the Model tab's graph: each layer one rank below the
// longest chain of layers feeding it, layers within a rank ordered by where their sources sit (one barycentre
// sweep), edges as straight runs from a source's bottom to a target's top. Pure, iterative, bounded.

import type { LayerSummary } from '../../extension/keras/summary';

/** Past this many layers the graph is not drawn (the table still lists them all). */
export const MAX_GRAPH_NODES = 300;
/** Edges kept at most (a crafted file may list thousands of inbound names per layer). */
export const MAX_GRAPH_EDGES = 4 * MAX_GRAPH_NODES;

export type EdgeKind = 'input' | 'state' | 'mask';

/** One layer as the layout reads it: what feeds it, by layer name. */
export interface GraphLayerInput {
  name: string;
  className: string;
  inputs: readonly string[];
  states?: readonly string[];
  masks?: readonly string[];
}

export interface PlacedNode {
  index: number;
  name: string;
  className: string;
  rank: number;
  /** Position within its rank, from the left. */
  order: number;
  x: number;
  y: number;
}

export interface PlacedEdge {
  from: number;
  to: number;
  kind: EdgeKind;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export type GraphLayout =
  | { tooLarge: false; nodes: PlacedNode[]; edges: PlacedEdge[]; width: number; height: number; ranks: number; droppedEdges: number }
  | { tooLarge: true; count: number };

export const NODE_W = 150;
export const NODE_H = 38;
const GAP_X = 24;
const GAP_Y = 42;
const PAD = 8;

/** The top-level layers of a summary as layout input: inputs, initial states and masks by name. */
export function graphInputOf(layers: readonly LayerSummary[]): GraphLayerInput[] {
  return layers.map((l) => ({ name: l.name, className: l.className, inputs: l.inbound, states: l.initialStateFrom ?? [], masks: l.maskFrom ?? [] }));
}

/** True when a summary has connections worth drawing (a functional graph, not one chain). */
export function isFunctional(layers: readonly LayerSummary[]): boolean {
  return layers.some((l) => l.inbound.length > 0 || (l.initialStateFrom?.length ?? 0) > 0);
}

export function layoutGraph(layers: readonly GraphLayerInput[]): GraphLayout {
  const n = layers.length;
  if (n > MAX_GRAPH_NODES) return { tooLarge: true, count: n };
  // The first layer of a name wins: a crafted file may repeat one.
  const indexOf = new Map<string, number>();
  layers.forEach((l, i) => {
    if (!indexOf.has(l.name)) indexOf.set(l.name, i);
  });
  const edges: { from: number; to: number; kind: EdgeKind }[] = [];
  const seen = new Set<string>();
  let dropped = 0;
  const preds: number[][] = layers.map(() => []);
  const succs: number[][] = layers.map(() => []);
  layers.forEach((l, to) => {
    const lists: [EdgeKind, readonly string[]][] = [['input', l.inputs], ['state', l.states ?? []], ['mask', l.masks ?? []]];
    for (const [kind, names] of lists) {
      for (const name of names) {
        const from = indexOf.get(name);
        if (from === undefined || from === to) continue;
        const key = `${from}>${to}>${kind}`;
        if (seen.has(key)) continue;
        if (edges.length >= MAX_GRAPH_EDGES) {
          dropped++;
          continue;
        }
        seen.add(key);
        edges.push({ from, to, kind });
        if (!preds[to].includes(from)) {
          preds[to].push(from);
          succs[from].push(to);
        }
      }
    }
  });

  // Ranks by longest path (Kahn's order); layers on a cycle (a damaged file) go one rank below the rest.
  const rank = new Int32Array(n).fill(-1);
  const indeg = preds.map((p) => p.length);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indeg[i] === 0) {
    queue.push(i);
    rank[i] = 0;
  }
  for (let q = 0; q < queue.length; q++) {
    const u = queue[q];
    for (const v of succs[u]) {
      rank[v] = Math.max(rank[v], rank[u] + 1);
      if (--indeg[v] === 0) queue.push(v);
    }
  }
  let maxRank = 0;
  for (let i = 0; i < n; i++) if (indeg[i] === 0) maxRank = Math.max(maxRank, rank[i]);
  for (let i = 0; i < n; i++) if (indeg[i] !== 0) rank[i] = maxRank + 1;
  const ranks = n === 0 ? 0 : Math.max(...rank) + 1;

  // Within a rank: file order for the first, then the mean position of the sources already placed.
  const byRank: number[][] = Array.from({ length: ranks }, () => []);
  for (let i = 0; i < n; i++) byRank[rank[i]].push(i);
  const order = new Int32Array(n);
  for (let r = 0; r < ranks; r++) {
    const row = byRank[r];
    const key = row.map((i) => {
      const placed = preds[i].filter((p) => rank[p] < r);
      return placed.length ? placed.reduce((a, p) => a + order[p], 0) / placed.length : Number.POSITIVE_INFINITY;
    });
    const sorted = row.map((i, k) => ({ i, key: key[k] })).sort((a, b) => (a.key === b.key ? a.i - b.i : a.key < b.key ? -1 : 1));
    sorted.forEach((s, k) => (order[s.i] = k));
    byRank[r] = sorted.map((s) => s.i);
  }

  const widest = Math.max(1, ...byRank.map((row) => row.length));
  const width = PAD * 2 + widest * NODE_W + (widest - 1) * GAP_X;
  const nodes: PlacedNode[] = layers.map((l, i) => {
    const rowLen = byRank[rank[i]].length;
    // Each rank centred under the widest one.
    const rowWidth = rowLen * NODE_W + (rowLen - 1) * GAP_X;
    const x0 = (width - rowWidth) / 2;
    return { index: i, name: l.name, className: l.className, rank: rank[i], order: order[i], x: x0 + order[i] * (NODE_W + GAP_X), y: PAD + rank[i] * (NODE_H + GAP_Y) };
  });
  const placed: PlacedEdge[] = edges.map((e) => {
    const a = nodes[e.from];
    const b = nodes[e.to];
    // A state or mask edge enters off-centre so it stays apart from the input edge into the same layer.
    const shift = e.kind === 'state' ? NODE_W / 4 : e.kind === 'mask' ? -NODE_W / 4 : 0;
    return { ...e, x1: a.x + NODE_W / 2, y1: a.y + NODE_H, x2: b.x + NODE_W / 2 + shift, y2: b.y };
  });
  const height = PAD * 2 + ranks * NODE_H + Math.max(0, ranks - 1) * GAP_Y;
  return { tooLarge: false, nodes, edges: placed, width, height, ranks, droppedEdges: dropped };
}
