// The step card: the step's title, its formula lines (they wrap between terms, never clipped), notes, the vectors
// as columns, like the arrays the notebook prints (unit j down, one column per vector, grouped as the cell computes
// them: input, state before the step, each gate, the state update), then the check against the trace. For M > 8 the
// first and last units are shown, with "show all". A number never wraps; a block wider than the card scrolls inside
// itself (media/inspector.css, "step view"). Gates are tinted on a sequential (0, 1) scale, states and candidates on a
// diverging one, by the role and range the cell's description gives each quantity (extension/keras/layers/*).
// A cell whose state is a feature map (ConvLSTM) also gets the map of any of its vectors, one channel at a time.

import { h, clear, onThemeChange } from '../dom';
import { button, dropdown } from '../toolkit';
import { fmtFull } from '../logic/format';
import type { Walkthrough, WalkRow } from '../logic/stepMath';
import type { CellQuantity } from '../../extension/keras/layers/types';
import { isSequential, rgbCss, scaleColor, scaleKindFor, symmetricLimit, type ColorScale } from '../logic/colors';
import { channelGrid, isMapState, mapRows } from '../logic/featureMap';
import { Heatmap, themeScaleOf } from './heatmap';
import { weightMatricesSection } from './weightMatrices';

/** Vectors longer than this show their first and last HEAD units until "show all". */
const FEW_UNITS = 8;
const HEAD = 4;

/** The unit indices shown of a vector of n values: all, or the first and last HEAD with null for the gap. */
export function shownUnits(n: number, all: boolean): (number | null)[] {
  if (all || n <= FEW_UNITS) return Array.from({ length: n }, (_, j) => j);
  return [...Array.from({ length: HEAD }, (_, j) => j), null, ...Array.from({ length: HEAD }, (_, j) => n - HEAD + j)];
}

/** One number: never wrapped (CSS .num), in the theme's foreground. */
function num(v: number): HTMLElement {
  return h('span', { class: 'num' }, fmtFull(v));
}

/** `(1×200)·(200×200) + bias` with break opportunities after its operators, so a header wraps between terms. */
function breakable(text: string): (string | HTMLElement)[] {
  const out: (string | HTMLElement)[] = [];
  // A short last word stays with the one before it ("after step 9", not a lone "9").
  for (const part of text.replace(/ (\S{1,4})$/, '\u00a0$1').split(/(?<=[·+⊙ ])/)) out.push(part, h('wbr'));
  return out;
}

/** A column of the step view: one vector and, when it is a quantity of the cell (a gate, a state), its scale. */
interface Column {
  row: WalkRow;
  quantity?: CellQuantity;
}

/** A block: a titled set of columns of one length (unit j down). */
interface Block {
  title: string;
  columns: Column[];
}

/** The cell quantity a walk row holds: the very array the walk computed for it (the checks carry the same one). */
function quantityOf(row: WalkRow, w: Walkthrough, quantities: readonly CellQuantity[]): CellQuantity | undefined {
  const check = w.checks.find((c) => c.recomputed === row.values);
  return check ? quantities.find((q) => q.key === check.key) : undefined;
}

/**
 * The walk's rows as blocks. walkthrough() puts x first, then one row per state before the step, then the cell's
 * own rows, which start a group at each gate; a run of rows is also split where the length changes (x has D values).
 */
function blocksOf(w: Walkthrough, quantities: readonly CellQuantity[]): Block[] {
  const stateQs = quantities.filter((q) => q.role === 'state');
  const states = stateQs.length;
  const blocks: Block[] = [];
  w.rows.forEach((row, i) => {
    const quantity = i >= 1 && i <= states ? stateQs[i - 1] : quantityOf(row, w, quantities);
    const last = blocks[blocks.length - 1];
    const title = i === 0 ? 'input' : i <= states && states > 0 ? 'state before this step' : row.group ?? (last && i > states + 1 ? last.title : 'this step');
    const sameBlock = last && last.title === title && !row.group && last.columns[0].row.values.length === row.values.length;
    if (sameBlock) last.columns.push({ row, quantity });
    else blocks.push({ title, columns: [{ row, quantity }] });
  });
  return blocks;
}

/** The tint of a quantity's column: its scale from the theme, paler than the heatmap so the numbers stay readable. */
function columnScale(q: CellQuantity | undefined, values: Float64Array): ColorScale | null {
  if (!q) return null;
  const kind = scaleKindFor(q);
  if (kind.kind === 'sequential') return themeScaleOf({ ...kind, max: kind.min + (kind.max - kind.min) * 1.8 }, 1);
  const limit = q.range ? Math.max(Math.abs(q.range[0]), Math.abs(q.range[1])) : symmetricLimit(values);
  return themeScaleOf(kind, limit * 1.8);
}

export class EquationBox {
  readonly el: HTMLElement;
  private expanded = false;
  private last: { w: Walkthrough; step: number; sample: number; quantities: readonly CellQuantity[] } | null = null;
  /** The map shown for a feature-map state: which vector (by label) and which channel; kept across steps. */
  private mapPick = { label: '', channel: 0 };

  constructor() {
    this.el = h('section', { class: 'equation', 'data-testid': 'equation-box', 'aria-live': 'polite', 'aria-label': 'Step equation' });
    this.showEmpty();
    // Tints are theme colours: a theme switch redraws them.
    onThemeChange(() => this.rerender());
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

  private rerender(): void {
    if (this.last) this.show(this.last.w, this.last.step, this.last.sample, this.last.quantities);
  }

  /** Shows one step. `quantities` is the cell's description (role and range of h, c, the gates), for the tints. */
  show(w: Walkthrough, step: number, sample: number, quantities: readonly CellQuantity[] = []): void {
    this.last = { w, step, sample, quantities };
    clear(this.el);
    this.el.dataset.step = String(step);
    this.el.dataset.sample = String(sample);
    this.el.dataset.agrees = String(w.checks.every((c) => c.agrees));
    const maps = isMapState(w.stateShape);
    // The sections in reading order; a new section (e.g. the weight matrices) goes in as one more line here.
    this.el.append(
      h('h3', { class: 'eq-title' }, w.title),
      this.formulaSection(w),
      ...w.notes.map((n) => h('p', { class: 'muted note' }, n)),
      ...(maps ? [this.mapSection(w, quantities)] : []),
      this.vectorSection(w, quantities, maps),
      ...(w.checks.length ? [this.checkSection(w)] : []),
      ...weightMatricesSection(w),
    );
  }

  /** The equations in letters, one per line (a line holding two, as GRU's z and r, is split); they wrap, never clip. */
  private formulaSection(w: Walkthrough): HTMLElement {
    const eqs = h('div', { class: 'eq-lines', 'data-testid': 'equation-text' });
    for (const line of w.equations) for (const part of line.split(/\s{3,}/)) if (part) eqs.append(h('div', { class: 'eq-line' }, part));
    return eqs;
  }

  /** Every vector of the step as a column, in blocks; first and last units for M > 8, with "show all". */
  private vectorSection(w: Walkthrough, quantities: readonly CellQuantity[], maps: boolean): HTMLElement {
    const section = h('div', { class: 'eq-vectors', 'data-testid': 'equation-vectors' });
    if (maps) section.append(h('p', { class: 'muted note' }, `Each map ${w.stateShape.join('×')} is a column here, flattened channels last.`));
    const blocks = h('div', { class: 'eq-blocks' });
    for (const b of blocksOf(w, quantities)) blocks.append(this.blockEl(b));
    section.append(blocks);
    const units = w.stateShape.reduce((a, b) => a * b, 1);
    // A map's values are read in its heatmap above; writing out thousands of numbers would only stall the panel.
    if (units > FEW_UNITS && !maps) {
      const toggle = button(this.expanded ? `Show the first and last ${HEAD} units` : `Show all ${units} units`, () => {
        this.expanded = !this.expanded;
        this.rerender();
      }, { appearance: 'secondary', testid: 'equation-expand' });
      section.append(h('div', { class: 'eq-expander' }, toggle.el));
    }
    return section;
  }

  private blockEl(b: Block): HTMLElement {
    const n = b.columns[0].row.values.length;
    const units = shownUnits(n, this.expanded);
    const head = h('tr', {}, h('th', { class: 'j', scope: 'col', title: 'unit' }, 'j'));
    const scales = b.columns.map((c) => columnScale(c.quantity, c.row.values));
    for (const c of b.columns) {
      const q = c.quantity;
      head.append(
        h(
          'th',
          { scope: 'col', title: c.row.expr ? `${c.row.label}: ${c.row.expr}` : c.row.label, ...(q ? { 'data-key': q.key } : {}) },
          h('div', { class: 'eq-col-label' }, ...breakable(c.row.label)),
          c.row.expr ? h('div', { class: 'eq-col-how' }, ...breakable(c.row.expr)) : null,
        ),
      );
    }
    const body = h('tbody');
    for (const j of units) {
      if (j === null) {
        const tr = h('tr', { class: 'eq-gap' }, h('th', { class: 'j', scope: 'row' }, '⋮'));
        b.columns.forEach(() => tr.append(h('td', {}, '⋮')));
        tr.title = `units ${HEAD} to ${n - HEAD - 1} are hidden`;
        body.append(tr);
        continue;
      }
      const tr = h('tr', {}, h('th', { class: 'j', scope: 'row' }, String(j)));
      b.columns.forEach((c, k) => {
        const v = c.row.values[j];
        const td = h('td', { class: 'v' }, num(v));
        const scale = scales[k];
        if (scale) {
          td.style.background = rgbCss(scaleColor(scale, v));
          td.dataset.scale = isSequential(scale) ? 'sequential' : 'diverging';
          td.dataset.value = String(v);
        }
        tr.append(td);
      });
      body.append(tr);
    }
    const table = h('table', { class: 'eq-cols' }, h('thead', {}, head), body);
    return h(
      'div',
      { class: 'eq-block', 'data-testid': 'equation-block', 'data-title': b.title },
      h('div', { class: 'eq-block-title' }, b.title, n > 1 ? h('span', { class: 'muted' }, ` · ${n} values`) : null),
      h('div', { class: this.expanded ? 'eq-scroll all' : 'eq-scroll', tabindex: 0, role: 'region', 'aria-label': b.title }, table),
    );
  }

  /**
   * The recomputed quantities next to the traced ones, each a column of the same units; the verdict and max |Δ| sit
   * under the quantity's name, so the table stays four narrow columns wide (it fits the card at 760 px).
   */
  private checkSection(w: Walkthrough): HTMLElement {
    const checks = h('table', { class: 'eq-checks', 'data-testid': 'equation-checks' });
    checks.append(h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), h('th', { scope: 'col', class: 'j' }, 'j'), h('th', { scope: 'col' }, 'recomputed here'), h('th', { scope: 'col' }, 'trace (forward pass)'))));
    const body = h('tbody');
    const stack = (items: (HTMLElement | string)[]) => h('div', { class: 'vcol' }, ...items.map((x) => h('div', {}, x)));
    for (const c of w.checks) {
      const units = shownUnits(c.recomputed.length, this.expanded);
      body.append(
        h(
          'tr',
          { 'data-key': c.key, 'data-agrees': String(c.agrees) },
          h(
            'th',
            { scope: 'row', class: 'eq-verdict' },
            h('div', { class: 'eq-label' }, c.label),
            h('div', { class: c.agrees ? 'ok' : 'bad' }, c.agrees ? '✓ equal to float32 rounding' : '✗ differs'),
            h('div', { class: 'muted' }, h('span', { class: 'nowrap' }, 'max |Δ|'), ' ', h('span', { class: 'num' }, c.maxAbsDiff === 0 ? '0' : c.maxAbsDiff.toExponential(1))),
          ),
          h('td', { class: 'j' }, stack(units.map((j) => (j === null ? '⋮' : String(j))))),
          h('td', {}, stack(units.map((j) => (j === null ? '⋮' : num(c.recomputed[j]))))),
          h('td', {}, stack(units.map((j) => (j === null ? '⋮' : num(c.traced[j]))))),
        ),
      );
    }
    checks.append(body);
    return h('div', { class: 'eq-check' }, h('h4', {}, 'Check against the trace'), h('div', { class: this.expanded ? 'eq-scroll all' : 'eq-scroll', tabindex: 0, role: 'region', 'aria-label': 'Check against the trace' }, checks));
  }

  /** One channel of one map-sized vector of the step (a state, a gate, a convolution), with pickers for both. */
  private mapSection(w: Walkthrough, quantities: readonly CellQuantity[]): HTMLElement {
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
    const vectorDd = dropdown(
      rows.map((r) => ({ value: String(r.index), label: w.rows[r.index].group ? `${w.rows[r.index].label} (${w.rows[r.index].group})` : w.rows[r.index].label })),
      String(pick.index),
      (v) => {
        this.mapPick.label = w.rows[Number(v)].label;
        this.rerender();
      },
      { testid: 'map-vector', ariaLabel: 'Map to show' },
    );
    const channelDd = dropdown(
      Array.from({ length: C }, (_, c) => ({ value: String(c), label: `channel ${c}` })),
      String(channel),
      (v) => {
        this.mapPick.channel = Number(v);
        this.rerender();
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
      // A gate's map on the gate scale, a state's around 0, as everywhere else.
      scaleKind: scaleKindFor(quantityOf(w.rows[pick.index], w, quantities)),
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
