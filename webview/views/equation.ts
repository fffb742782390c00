// The step walk-through box: the equations in letters, then every vector with its numbers (the first
// few units for large M, with an expander), and the recomputed result next to the traced one. A cell whose state
// is a feature map (ConvLSTM) also gets the map of any of its vectors, one channel at a time.

import { h, clear } from '../dom';
import { button, dropdown } from '../toolkit';
import { fmt, fmtFull } from '../logic/format';
import type { Walkthrough } from '../logic/stepMath';
import { channelGrid, isMapState, mapRows } from '../logic/featureMap';
import { Heatmap } from './heatmap';
import { weightMatricesSection } from './weightMatrices';

const FEW_UNITS = 8;

function vectorCell(values: Float64Array, limit: number, full = false): HTMLElement {
  const n = values.length;
  const shown = Math.min(n, limit);
  const parts: string[] = [];
  for (let i = 0; i < shown; i++) parts.push(full ? fmtFull(values[i]) : fmt(values[i], 5));
  return h('code', { class: 'vec' }, `[${parts.join(', ')}${n > shown ? `, … +${n - shown}` : ''}]`);
}

export class EquationBox {
  readonly el: HTMLElement;
  private expanded = false;
  private last: Walkthrough | null = null;
  /** The map shown for a feature-map state: which vector (by label) and which channel; kept across steps. */
  private mapPick = { label: '', channel: 0 };

  constructor() {
    this.el = h('section', { class: 'equation', 'data-testid': 'equation-box', 'aria-live': 'polite', 'aria-label': 'Step equation' });
    this.showEmpty();
  }

  showEmpty(message = 'Click a step in the table, the heatmap or the chart (or press Enter on it) to see its equation with the numbers filled in.'): void {
    this.last = null;
    clear(this.el);
    this.el.removeAttribute('data-step');
    this.el.append(h('p', { class: 'muted' }, message));
  }

  showError(message: string): void {
    this.last = null;
    clear(this.el);
    this.el.append(h('p', { class: 'inline-error', role: 'alert' }, message));
  }

  show(w: Walkthrough, step: number, sample: number): void {
    this.last = w;
    clear(this.el);
    this.el.dataset.step = String(step);
    this.el.dataset.sample = String(sample);
    const allAgree = w.checks.every((c) => c.agrees);
    this.el.dataset.agrees = String(allAgree);
    const units = w.stateShape.reduce((a, b) => a * b, 1);
    const limit = this.expanded ? Infinity : FEW_UNITS;
    this.el.append(h('h3', { class: 'eq-title' }, w.title));
    const eqs = h('div', { class: 'eq-lines', 'data-testid': 'equation-text' });
    for (const line of w.equations) eqs.append(h('div', { class: 'eq-line' }, line));
    this.el.append(eqs);
    for (const n of w.notes) this.el.append(h('p', { class: 'muted note' }, n));
    const maps = isMapState(w.stateShape);
    if (maps) this.el.append(this.mapSection(w));
    const table = h('table', { class: 'eq-table' });
    const tbody = h('tbody');
    for (const row of w.rows) {
      if (row.group) tbody.append(h('tr', { class: 'eq-group' }, h('th', { colspan: 3, scope: 'rowgroup' }, row.group)));
      tbody.append(h('tr', {}, h('th', { scope: 'row', class: 'eq-label' }, row.label), h('td', { class: 'eq-expr' }, row.expr), h('td', {}, vectorCell(row.values, limit))));
    }
    const valuesHead = maps ? `values (map ${w.stateShape.join('×')} flattened, channels last)` : 'values';
    table.append(h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, maps ? 'map' : 'vector'), h('th', { scope: 'col' }, 'how'), h('th', { scope: 'col' }, valuesHead))), tbody);
    this.el.append(table);
    // A map's values are read in its heatmap above; writing out thousands of numbers would only stall the panel.
    if (units > FEW_UNITS && !maps) {
      const what = maps ? 'values' : 'units';
      const toggle = button(this.expanded ? `Show the first ${FEW_UNITS} ${what}` : `Show all ${units} ${what}`, () => {
        this.expanded = !this.expanded;
        if (this.last) this.show(this.last, step, sample);
      }, { appearance: 'secondary', testid: 'equation-expand' });
      this.el.append(h('div', { class: 'eq-expander' }, toggle.el));
    }
    if (w.checks.length) {
      const checks = h('table', { class: 'eq-checks', 'data-testid': 'equation-checks' });
      checks.append(h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), h('th', { scope: 'col' }, 'recomputed here'), h('th', { scope: 'col' }, 'trace (forward pass)'), h('th', { scope: 'col' }, 'max |Δ|'), h('th', { scope: 'col' }, ''))));
      const body = h('tbody');
      for (const c of w.checks) {
        body.append(
          h(
            'tr',
            { 'data-key': c.key, 'data-agrees': String(c.agrees) },
            h('th', { scope: 'row' }, c.label),
            h('td', {}, vectorCell(c.recomputed, limit, true)),
            h('td', {}, vectorCell(c.traced, limit, true)),
            h('td', { class: 'num' }, c.maxAbsDiff === 0 ? '0' : c.maxAbsDiff.toExponential(1)),
            h('td', { class: c.agrees ? 'ok' : 'bad' }, c.agrees ? '✓ equal to float32 rounding' : '✗ differs'),
          ),
        );
      }
      checks.append(body);
      this.el.append(h('h4', {}, 'Check against the trace'), checks);
    }
    this.el.append(...weightMatricesSection(w));
  }

  /** One channel of one map-sized vector of the step (a state, a gate, a convolution), with pickers for both. */
  private mapSection(w: Walkthrough): HTMLElement {
    const rows = mapRows(w.rows, w.stateShape, w.inputShape);
    const section = h('div', { class: 'eq-map', 'data-testid': 'equation-map' });
    if (rows.length === 0) return section;
    // Default to the walk's last map, the new state h_k: the one a learner looks for first.
    const pick = rows.find((r) => w.rows[r.index].label === this.mapPick.label) ?? rows[rows.length - 1];
    this.mapPick.label = w.rows[pick.index].label;
    const C = pick.shape[pick.shape.length - 1];
    const channel = Math.min(this.mapPick.channel, C - 1);
    this.mapPick.channel = channel;
    const grid = channelGrid(w.rows[pick.index].values, pick.shape, channel);
    const rerender = () => {
      if (this.last) this.show(this.last, Number(this.el.dataset.step), Number(this.el.dataset.sample));
    };
    const vectorDd = dropdown(
      rows.map((r) => ({ value: String(r.index), label: w.rows[r.index].group ? `${w.rows[r.index].label} (${w.rows[r.index].group})` : w.rows[r.index].label })),
      String(pick.index),
      (v) => {
        this.mapPick.label = w.rows[Number(v)].label;
        rerender();
      },
      { testid: 'map-vector', ariaLabel: 'Map to show' },
    );
    const channelDd = dropdown(
      Array.from({ length: C }, (_, c) => ({ value: String(c), label: `channel ${c}` })),
      String(channel),
      (v) => {
        this.mapPick.channel = Number(v);
        rerender();
      },
      { testid: 'map-channel', ariaLabel: 'Channel' },
    );
    const spatial = pick.shape.length >= 3 ? `${grid.rows} rows × ${grid.cols} columns` : `${grid.cols} positions`;
    const height = Math.min(320, Math.max(60, grid.rows * 6 + 30));
    const hm = new Heatmap({
      cols: grid.cols,
      rows: grid.rows,
      value: (c, r) => grid.data[r * grid.cols + c],
      colName: 'column',
      rowName: 'row',
      height,
      ariaLabel: `Map of ${this.mapPick.label}, channel ${channel}: ${spatial}`,
      testid: 'equation-map-heatmap',
    });
    // A 2-D map keeps square cells (plus the axis margins) rather than stretching to the panel's width.
    if (grid.rows > 1) hm.el.style.maxWidth = `${Math.max(240, Math.round(((height - 28) * grid.cols) / grid.rows) + 52)}px`;
    section.append(
      h(
        'div',
        { class: 'toolbar' },
        h('label', { class: 'field' }, h('span', {}, 'Map'), vectorDd.el),
        h('label', { class: 'field' }, h('span', {}, 'Channel'), channelDd.el),
        h('span', { class: 'muted' }, `${spatial} of ${C} channels`),
      ),
      hm.el,
    );
    return section;
  }
}
