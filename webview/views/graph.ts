// The Model tab's graph of a functional model: layers as boxes in ranks (logic/graphLayout.ts), inputs as solid
// arrows, initial states (an encoder's h and c into a decoder) as dashed ones, masks dotted. Clicking a box (or
// Enter on it) selects the layer, as the table does. Names from the file are set as SVG text content only.
// Test ids: graph-view, graph-node[data-layer], graph-edge[data-kind=input|state|mask][data-from][data-to], graph-too-large.

import type { ModelSummary } from '../../extension/keras/summary';
import { h, clear } from '../dom';
import { showName } from '../../extension/keras/safeText';
import { layoutGraph, graphInputOf, isFunctional, NODE_W, NODE_H, MAX_GRAPH_NODES, type PlacedNode } from '../logic/graphLayout';

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export interface GraphViewHost {
  select(layer: string): void;
}

export class GraphView {
  readonly el = h('details', { class: 'card graph-card', 'data-testid': 'graph-view', open: true });
  private boxes = new Map<string, SVGGElement>();

  constructor(private readonly host: GraphViewHost) {}

  /** Draws the graph of a functional model; hidden for a Sequential one (its table is the chain). */
  show(summary: ModelSummary, selected: string | null): void {
    clear(this.el);
    this.boxes.clear();
    this.el.hidden = !isFunctional(summary.layers);
    if (this.el.hidden) return;
    this.el.append(h('summary', { class: 'card-title' }, 'Graph ', h('span', { class: 'muted' }, '(click a layer to select it; dashed: initial_state, dotted: mask)')));
    const layout = layoutGraph(graphInputOf(summary.layers));
    if (layout.tooLarge) {
      this.el.append(h('p', { class: 'muted', 'data-testid': 'graph-too-large' }, `This model has ${layout.count.toLocaleString('en-US')} layers; the graph is drawn for up to ${MAX_GRAPH_NODES}. The table below lists every layer with what feeds it.`));
      return;
    }
    const root = svg('svg', { class: 'graph', width: layout.width, height: layout.height, viewBox: `0 0 ${layout.width} ${layout.height}`, role: 'group', 'aria-label': `Graph of ${layout.nodes.length} layers in ${layout.ranks} ranks` });
    const defs = svg('defs', {});
    const marker = svg('marker', { id: 'graph-arrow', viewBox: '0 0 8 8', refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    marker.append(svg('path', { d: 'M0,0 L8,4 L0,8 z', class: 'graph-arrowhead' }));
    defs.append(marker);
    root.append(defs);
    for (const e of layout.edges) {
      const midY = (e.y1 + e.y2) / 2;
      const path = svg('path', { d: `M${e.x1},${e.y1} C${e.x1},${midY} ${e.x2},${midY} ${e.x2},${e.y2 - 1}`, class: `graph-edge ${e.kind}`, 'marker-end': 'url(#graph-arrow)', 'data-testid': 'graph-edge', 'data-kind': e.kind, 'data-from': layout.nodes[e.from].name, 'data-to': layout.nodes[e.to].name });
      path.append(svg('title', {}, `${showName(layout.nodes[e.from].name, 200)} → ${showName(layout.nodes[e.to].name, 200)}${e.kind === 'input' ? '' : ` (${e.kind === 'state' ? 'initial_state' : 'mask'})`}`));
      root.append(path);
    }
    for (const n of layout.nodes) root.append(this.node(n));
    // Shrinks with a narrow panel (CSS max-width: 100%) down to 60 %, then scrolls: text below that is unreadable.
    root.style.minWidth = `${Math.round(layout.width * 0.6)}px`;
    if (layout.droppedEdges) this.el.append(h('p', { class: 'muted' }, `${layout.droppedEdges.toLocaleString('en-US')} more connections are not drawn.`));
    this.el.append(h('div', { class: 'graph-scroll' }, root));
    this.highlight(selected);
  }

  private node(n: PlacedNode): SVGGElement {
    const g = svg('g', { class: 'graph-node', transform: `translate(${n.x},${n.y})`, tabindex: 0, role: 'button', 'data-testid': 'graph-node', 'data-layer': n.name, 'aria-label': `${showName(n.name, 200)} (${showName(n.className, 60)}): select` });
    g.append(svg('rect', { width: NODE_W, height: NODE_H, rx: 4 }));
    g.append(svg('text', { x: 8, y: 16, class: 'graph-name' }, showName(n.name, 20)));
    g.append(svg('text', { x: 8, y: 30, class: 'graph-class' }, showName(n.className, 22)));
    g.append(svg('title', {}, `${showName(n.name, 1000)} (${showName(n.className, 200)})`));
    const pick = () => this.host.select(n.name);
    g.addEventListener('click', pick);
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        pick();
      }
    });
    this.boxes.set(n.name, g);
    return g;
  }

  /** Marks the selected layer's box (the table or the tree may have selected it). */
  highlight(layer: string | null): void {
    for (const [name, g] of this.boxes) {
      g.classList.toggle('selected', name === layer);
      g.setAttribute('aria-pressed', String(name === layer));
    }
  }
}
