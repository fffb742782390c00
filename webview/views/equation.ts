// The step walk-through box: the equations in letters, then every vector with its numbers (the first
// few units for large M, with an expander), and the recomputed result next to the traced one.

import { h, clear } from '../dom';
import { button } from '../toolkit';
import { fmt, fmtFull } from '../logic/format';
import type { Walkthrough } from '../logic/stepMath';

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
    const units = w.rows.find((r) => r.group === undefined && r.label.startsWith('h'))?.values.length ?? 0;
    const limit = this.expanded ? Infinity : FEW_UNITS;
    this.el.append(h('h3', { class: 'eq-title' }, w.title));
    const eqs = h('div', { class: 'eq-lines', 'data-testid': 'equation-text' });
    for (const line of w.equations) eqs.append(h('div', { class: 'eq-line' }, line));
    this.el.append(eqs);
    for (const n of w.notes) this.el.append(h('p', { class: 'muted note' }, n));
    const table = h('table', { class: 'eq-table' });
    const tbody = h('tbody');
    for (const row of w.rows) {
      if (row.group) tbody.append(h('tr', { class: 'eq-group' }, h('th', { colspan: 3, scope: 'rowgroup' }, row.group)));
      tbody.append(h('tr', {}, h('th', { scope: 'row', class: 'eq-label' }, row.label), h('td', { class: 'eq-expr' }, row.expr), h('td', {}, vectorCell(row.values, limit))));
    }
    table.append(h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'vector'), h('th', { scope: 'col' }, 'how'), h('th', { scope: 'col' }, 'values'))), tbody);
    this.el.append(table);
    if (units > FEW_UNITS) {
      const toggle = button(this.expanded ? `Show the first ${FEW_UNITS} units` : `Show all ${units} units`, () => {
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
  }
}
