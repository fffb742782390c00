// The results of a run: the output, every layer's output (compact, expandable), and for each
// recurrent layer (each direction) the per-step explorer: heatmap, line chart, state table, equation.

import type { RunResult, RecurrentWeights, TraceWindowParams, TraceWindowResult } from '../../extension/protocol';
import { overviewStride } from '../../extension/keras/traceStore';
import { stepWindowTrace } from '../logic/streamedStep';
import type { RecurrentTrace } from '../../extension/keras/layers/types';
import type { ModelSummary } from '../../extension/keras/summary';
import type { LayerRecord } from '../../extension/keras/forward';
import type { Tensor } from '../../extension/keras/tensor';
import { h, clear } from '../dom';
import { button, dropdown, textField, type DropdownControl, type FieldControl } from '../toolkit';
import { fmt, fmtMs, fmtVector, parseUnitList, sub } from '../logic/format';
import { divergingColor, rgbCss, scaleColor, scaleKindFor, symmetricLimit, stridedLimit } from '../logic/colors';
import { walkthrough } from '../logic/stepMath';
import { kerasMajorOf, layerInputSequence, traceKey, traceQuantities } from '../logic/traceInput';
import { figureFileName, quantitySymbol, quantityTitle } from '../logic/vocab';
import { Heatmap, themeScale, themeScaleOf } from './heatmap';
import { LineChart } from './lineChart';
import { MatrixTable } from './matrixTable';
import { EquationBox } from './equation';
import { showName } from '../../extension/keras/safeText';
import { compareCard } from './compare';
import type { WeightValues } from '../../extension/protocol';
import { outputSteps } from './outputStep';
import { attachWeights } from './weightMatrices';
import { copyArrayButton } from '../logic/npArray';

export interface TraceSelection {
  key: string;
  sample: number;
  quantity: string;
  /** Processing step (0-based), -1 for none. */
  step: number;
  units: string;
}

export interface ResultsHost {
  summary(): ModelSummary | null;
  exportRun(format: 'numpy' | 'trace-csv' | 'trace-json'): void;
  exportPng(png: Promise<Uint8Array>, name: string): void;
  selectionChanged(sel: TraceSelection): void;
  /** A window of a streamed trace (recomputed exactly by the host's worker); absent where the host cannot answer. */
  traceWindow?(params: TraceWindowParams): Promise<TraceWindowResult>;
  /** Values of one stored weight (the output layer's step reads its W_y and b_y); absent where the host cannot answer. */
  loadWeights?(layer: string, weight: string): Promise<WeightValues>;
}

/** Steps per table chunk of a streamed trace: a screen of rows and some either side. */
const CHUNK = 64;
/**
 * What the page holds of a streamed trace (traceStore.ts on the host): per (trace, quantity, sample) an overview
 * (every S-th step, exact, for the heatmap and the chart) and chunks of CHUNK steps × all units asked as the table
 * shows them. Each is one window request; nothing holds the trace.
 */
class StreamedValues {
  private overview = new Map<string, TraceWindowResult | 'pending'>();
  private chunks = new Map<string, Float32Array | 'pending'>();
  constructor(
    private readonly result: RunResult,
    private readonly host: ResultsHost,
    /** Called when a window arrives: the views it feeds redraw (the overview: heatmap and chart; rows: the table). */
    private readonly changed: (what: 'overview' | 'rows') => void,
    private readonly failed: (message: string) => void,
  ) {}

  /** Steps [step0, step1) (every `stride`-th) of one sample, all units, these quantities: one window from the host. */
  window(trace: RecurrentTrace, sample: number, quantities: string[], step0: number, step1: number, stride?: number): Promise<TraceWindowResult> {
    if (!this.host.traceWindow) return Promise.reject(new Error('this page cannot ask for trace windows'));
    return this.host.traceWindow({
      runId: this.result.runId,
      layer: trace.layer,
      ...(trace.direction ? { direction: trace.direction } : {}),
      sample,
      step0,
      step1,
      ...(stride ? { stride } : {}),
      unit0: 0,
      unit1: trace.units,
      quantities,
    });
  }

  /** The overview of (trace, sample, quantity), or null while it is on its way. */
  kept(trace: RecurrentTrace, sample: number, quantity: string): TraceWindowResult | null {
    const key = `${traceKey(trace)}|${quantity}|${sample}`;
    const have = this.overview.get(key);
    if (have && have !== 'pending') return have;
    if (!have) {
      this.overview.set(key, 'pending');
      this.window(trace, sample, [quantity], 0, trace.steps, overviewStride(trace.steps, trace.streamed!.every)).then(
        (w) => {
          this.overview.set(key, w);
          this.changed('overview');
        },
        (e: Error) => this.failed(e.message),
      );
    }
    return null;
  }

  /** Whether any chunk of rows has arrived. */
  hasChunks(): boolean {
    for (const v of this.chunks.values()) if (v !== 'pending') return true;
    return false;
  }

  /** Value of (step, unit), or NaN while its chunk is on its way (asked for here). */
  at(trace: RecurrentTrace, sample: number, quantity: string, step: number, unit: number): number {
    const c = Math.floor(step / CHUNK);
    const key = `${traceKey(trace)}|${quantity}|${sample}|${c}`;
    const have = this.chunks.get(key);
    if (have && have !== 'pending') return have[(step - c * CHUNK) * trace.units + unit];
    if (!have) {
      this.chunks.set(key, 'pending');
      // Far chunks are forgotten: the page holds a few screens, never the trace.
      if (this.chunks.size > 256) this.chunks.delete(this.chunks.keys().next().value!);
      this.window(trace, sample, [quantity], c * CHUNK, Math.min(trace.steps, (c + 1) * CHUNK)).then(
        (w) => {
          this.chunks.set(key, w.values[quantity]);
          this.changed('rows');
        },
        (e: Error) => {
          this.chunks.delete(key);
          this.failed(e.message);
        },
      );
    }
    return NaN;
  }
}

/** Two runs whose views have the same shape: outputs, layers, traces (not streamed) and stop alike; only numbers differ. */
function sameStructure(a: RunResult, b: RunResult): boolean {
  const same = (x: readonly number[], y: readonly number[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return (
    a.outputs.length === b.outputs.length &&
    a.outputs.every((o, k) => same(o.shape, b.outputs[k].shape) && a.outputNames?.[k] === b.outputNames?.[k]) &&
    a.layers.length === b.layers.length &&
    a.layers.every((l, i) => l.name === b.layers[i].name && l.outputs.length === b.layers[i].outputs.length && l.outputs.every((t, k) => same(t.shape, b.layers[i].outputs[k].shape))) &&
    a.traces.length === b.traces.length &&
    a.traces.every((t, i) => {
      const u = b.traces[i];
      return !t.streamed && !u.streamed && traceKey(t) === traceKey(u) && t.steps === u.steps && t.units === u.units && t.batch === u.batch && Object.keys(t.values).join() === Object.keys(u.values).join() && !t.masked === !u.masked;
    }) &&
    a.recurrentWeights.length === b.recurrentWeights.length &&
    a.stopped?.layer === b.stopped?.layer &&
    a.startedFrom === b.startedFrom &&
    (a.finalStates?.length ?? 0) === (b.finalStates?.length ?? 0)
  );
}

function shapeText(shape: number[]): string {
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/** The explorer of one trace: toolbar, heatmap, chart, table and equation, kept in sync by step. */
class TraceExplorer {
  readonly el: HTMLElement;
  private trace!: RecurrentTrace;
  private weights: RecurrentWeights | undefined;
  private sel: TraceSelection;
  private readonly heatmap: Heatmap;
  private readonly chart: LineChart;
  private readonly table: MatrixTable;
  private readonly equation = new EquationBox();
  private readonly sampleDd: DropdownControl;
  private readonly quantityDd: DropdownControl;
  private readonly unitsField: FieldControl;
  private readonly unitsError = h('span', { class: 'inline-error', role: 'alert' });
  private readonly stepLabel = h('span', { class: 'step-label', 'aria-live': 'polite' });
  private readonly heading = h('h3', {});
  private readonly streamNote = h('p', { class: 'muted', 'data-testid': 'trace-streamed-note' });
  private readonly streamed: StreamedValues;
  /** When the explorer was built (the result arrived): a streamed trace's first windows are timed from here. */
  private readonly createdAt = performance.now();

  constructor(
    private result: RunResult,
    private readonly host: ResultsHost,
    traceSel: TraceSelection,
  ) {
    this.sel = { ...traceSel };
    this.streamed = new StreamedValues(result, host, (what) => this.redrawStreamed(what), (m) => (this.streamNote.textContent = `A window of this trace could not be shown: ${m}`));
    this.pickTrace();
    this.sampleDd = dropdown([], '0', (v) => this.change({ sample: Number(v) }), { testid: 'trace-sample', ariaLabel: 'Sample' });
    this.quantityDd = dropdown([], 'h', (v) => this.change({ quantity: v }), { testid: 'trace-quantity', ariaLabel: 'Quantity' });
    this.unitsField = textField({ value: this.sel.units, size: 10, testid: 'chart-units', onChange: (v) => this.change({ units: v }) });
    this.unitsField.el.setAttribute('aria-label', 'Units to plot, e.g. 0-3, 7');
    const data = this.quantityData();
    this.heatmap = new Heatmap({ ...this.heatOptions(data) });
    this.chart = new LineChart(this.chartOptions(data));
    this.table = new MatrixTable(this.tableOptions(data));
    const exportBar = h(
      'div',
      { class: 'toolbar-group' },
      button('Heatmap PNG', () => this.host.exportPng(this.heatmap.png({ ...this.figureText(), caption: `colour: value of ${quantitySymbol(this.trace.cell, this.sel.quantity)}` }), figureFileName(this.trace.layer, this.trace.cell, this.sel.quantity, 'heatmap')), { appearance: 'secondary', testid: 'export-heatmap-png' }).el,
      button('Chart PNG', () => this.host.exportPng(this.chart.png(this.figureText()), figureFileName(this.trace.layer, this.trace.cell, this.sel.quantity, 'chart')), { appearance: 'secondary', testid: 'export-chart-png' }).el,
    );
    this.el = h(
      'section',
      { class: 'trace', 'data-testid': 'trace-explorer' },
      h('div', { class: 'trace-head' }, this.heading, this.stepLabel),
      this.streamNote,
      h('div', { class: 'toolbar' }, h('label', { class: 'field' }, h('span', {}, 'Sample'), this.sampleDd.el), h('label', { class: 'field' }, h('span', {}, 'Show'), this.quantityDd.el), exportBar),
      h('div', { class: 'card' }, h('div', { class: 'card-title' }, 'Time × units heatmap'), this.heatmap.el),
      h('div', { class: 'card' }, h('div', { class: 'card-title' }, 'Units over time ', h('label', { class: 'field inline' }, h('span', {}, 'units'), this.unitsField.el), this.unitsError), this.chart.el),
      h('div', { class: 'split' }, h('div', { class: 'card' }, h('div', { class: 'card-title' }, 'Per-step values', this.copyTrace()), this.table.el), h('div', { class: 'card step-card' }, this.equation.el)),
    );
    this.refreshControls();
    if (this.sel.step >= 0) this.selectStep(this.sel.step, false);
  }

  /** The title band of an exported image: what quantity, of which layer and sample, over which steps. */
  private figureText(): { title: string; subtitle: string } {
    const t = this.trace;
    const title = `${quantityTitle(t.cell, this.sel.quantity)} of ${showName(t.layer)}${t.direction ? ` (${t.direction})` : ''}, sample ${this.sel.sample}`;
    return { title, subtitle: `${t.cell.title} · T = ${t.steps}, M = ${t.units} · steps k = 1..${t.steps}` };
  }

  /** "Copy as np.array" of the shown quantity over every step of the shown sample (T×M, float32 as traced). */
  private copyTrace(): HTMLElement {
    return copyArrayButton(() => {
      const t = this.trace;
      if (t.streamed) return 'This trace was kept as checkpoints, so its steps are not all in the page: export it as Trace CSV or JSON.';
      const data = this.quantityData();
      const out = new Float32Array(t.steps * t.units);
      for (let s = 0; s < t.steps; s++) out.set(data.subarray((s * t.batch + this.sel.sample) * t.units, (s * t.batch + this.sel.sample + 1) * t.units), s * t.units);
      return { values: out, shape: [t.steps, t.units], dtype: 'float32' };
    }, { what: 'every step of this quantity (rows k = 1..T)', testid: 'copy-np-trace' });
  }

  private pickTrace(): void {
    const traces = this.result.traces;
    this.trace = traces.find((t) => traceKey(t) === this.sel.key) ?? traces[0];
    this.sel.key = traceKey(this.trace);
    this.weights = this.result.recurrentWeights.find((w) => w.layer === this.trace.layer && (w.direction ?? '') === (this.trace.direction ?? ''));
    this.sel.sample = Math.min(this.sel.sample, this.trace.batch - 1);
    const qs = traceQuantities(this.trace);
    if (!qs.some((q) => q.key === this.sel.quantity)) this.sel.quantity = 'h';
    if (this.sel.step >= this.trace.steps) this.sel.step = -1;
  }

  private quantityData(): Float32Array {
    return this.trace.values[this.sel.quantity] ?? this.trace.values.h;
  }

  /** Value of (step, unit) of the current sample (of a streamed trace: from the windows the page asked for). */
  private at(data: Float32Array, step: number, unit: number): number {
    if (this.trace.streamed) return this.streamed.at(this.trace, this.sel.sample, this.sel.quantity, step, unit);
    return data[(step * this.trace.batch + this.sel.sample) * this.trace.units + unit];
  }

  /** The current (quantity, sample) as a strided steps × units view of the flat [step][sample][unit] array. */
  private matrix(data: Float32Array) {
    const t = this.trace;
    return { data, offset: this.sel.sample * t.units, xStride: t.batch * t.units, yStride: 1 };
  }

  /** A frame is asked for to show the table rows that arrived (chunks arrive in bursts; one render for all). */
  private rowsFrame = 0;

  /**
   * A streamed trace's window arrived: only the views it feeds redraw (the overview: heatmap and chart; rows: the
   * table, once per frame), the selection stays.
   */
  private redrawStreamed(what: 'overview' | 'rows'): void {
    const data = this.quantityData();
    if (what === 'overview') {
      this.heatmap.setData(this.heatOptions(data));
      this.chart.setData(this.chartOptions(data));
      if (this.sel.step >= 0) {
        this.heatmap.setSelectedCol(this.keptCol(this.sel.step));
        this.chart.setSelected(this.keptCol(this.sel.step));
      }
      this.markPainted('kept');
    } else if (!this.rowsFrame) {
      this.rowsFrame = requestAnimationFrame(() => {
        this.rowsFrame = 0;
        this.table.refresh();
        this.markPainted('rows');
      });
    }
  }

  /**
   * data-kept-paint-ms / data-rows-paint-ms: ms from this explorer's construction to the first paint of the overview
   * (heatmap) / of table rows; data-kept-painted-at / data-rows-painted-at: the same moments on the page's clock
   * (performance.now), so bench/scale.ts can time them from the moment the result reached the page.
   */
  private markPainted(what: 'kept' | 'rows'): void {
    const ds = this.el.dataset;
    if (ds[`${what}PaintMs`]) return;
    // A task posted from the next animation frame runs after that frame's paint.
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (ds[`${what}PaintMs`]) return;
        const now = performance.now();
        ds[`${what}PaintedAt`] = now.toFixed(1);
        ds[`${what}PaintMs`] = (now - this.createdAt).toFixed(1);
      }, 0),
    );
  }

  /** The heatmap/chart column of a step: itself, or for a streamed trace the overview's column at or before it. */
  private keptCol(step: number): number {
    const st = this.trace.streamed;
    if (!st) return step;
    // The overview holds steps K − 1, K − 1 + S, K − 1 + 2S, …
    return Math.max(0, Math.floor((step - (st.every - 1)) / overviewStride(this.trace.steps, st.every)));
  }

  /** Colour limit of the current view, computed once and shared by the heatmap and the table. */
  private limitOf(data: Float32Array): number {
    const st = this.trace.streamed;
    // A streamed trace's range over every step and sample was computed in the worker during the run.
    if (st) {
      const s = st.stats[this.sel.quantity] ?? st.stats.h;
      return s ? Math.max(Math.abs(s.min), Math.abs(s.max)) || 1 : 1;
    }
    const key = `${this.sel.key}|${this.sel.quantity}|${this.sel.sample}`;
    if (this.cachedLimit?.key !== key) this.cachedLimit = { key, value: stridedLimit(this.trace.steps, this.trace.units, this.matrix(data)) };
    return this.cachedLimit.value;
  }

  private cachedLimit: { key: string; value: number } | null = null;

  /** The shown quantity's scale: sequential over a sigmoid gate's (0, 1), diverging around 0 for states and the rest. */
  private scaleKind() {
    return scaleKindFor(this.trace.cell.quantities.find((q) => q.key === this.sel.quantity));
  }

  private heatOptions(data: Float32Array) {
    const t = this.trace;
    if (t.streamed) return this.keptHeatOptions(data);
    return {
      cols: t.steps,
      rows: t.units,
      value: (c: number, r: number) => this.at(data, c, r),
      limit: this.limitOf(data),
      scaleKind: this.scaleKind(),
      matrix: this.matrix(data),
      colName: 'step k',
      rowName: 'unit',
      colNote: (c: number) => (t.timeIndex[c] !== c ? `reads x at t = ${t.timeIndex[c] + 1}` : ''),
      height: Math.min(300, Math.max(140, t.units * 6 + 30)),
      ariaLabel: `Heatmap of ${quantitySymbol(t.cell, this.sel.quantity)} for ${showName(t.layer)}${t.direction ? ` (${t.direction})` : ''}: steps across, units down. Arrow keys move, Enter shows the step's equation.`,
      testid: 'state-heatmap',
      onPick: (col: number, row: number) => {
        this.selectStep(col);
        this.table.focusCell(col, row);
        this.heatmap.canvas.focus();
      },
    };
  }

  /** A streamed trace's heatmap: its kept rows (every K-th step, exact), one column each; a click opens that step. */
  private keptHeatOptions(data: Float32Array) {
    const t = this.trace;
    const kept = this.streamed.kept(t, this.sel.sample, this.sel.quantity);
    const cols = kept ? Math.max(1, kept.steps.length) : 1;
    const vals = kept?.values[this.sel.quantity];
    const step = (c: number): number => (kept && c < kept.steps.length ? kept.steps[c] : 0);
    return {
      cols,
      rows: t.units,
      value: (c: number, r: number) => (vals && c < kept!.steps.length ? vals[c * t.units + r] : NaN),
      limit: this.limitOf(data),
      scaleKind: this.scaleKind(),
      ...(vals ? { matrix: { data: vals, offset: 0, xStride: t.units, yStride: 1 } } : {}),
      colName: 'step k',
      rowName: 'unit',
      colLabel: (c: number) => String(step(c) + 1),
      colNote: (c: number) => `every ${overviewStride(t.steps, t.streamed!.every)}th step is shown here; the table holds every step`,
      height: Math.min(300, Math.max(140, t.units * 6 + 30)),
      ariaLabel: `Heatmap of ${quantitySymbol(t.cell, this.sel.quantity)} for ${showName(t.layer)}${t.direction ? ` (${t.direction})` : ''}, every ${overviewStride(t.steps, t.streamed!.every)}th step: steps across, units down.`,
      testid: 'state-heatmap',
      onPick: (col: number, row: number) => {
        this.selectStep(step(col));
        this.table.focusCell(step(col), row);
        this.heatmap.canvas.focus();
      },
    };
  }

  private chartUnits(): number[] {
    const parsed = parseUnitList(this.sel.units, this.trace.units);
    this.unitsError.textContent = parsed.error ?? '';
    this.unitsField.setInvalid(parsed.error ?? null);
    if (parsed.error) return [...Array(Math.min(4, this.trace.units)).keys()];
    return parsed.units.slice(0, 12);
  }

  private chartOptions(data: Float32Array) {
    const t = this.trace;
    if (t.streamed) {
      // The overview: every S-th step, exact.
      const kept = this.streamed.kept(t, this.sel.sample, this.sel.quantity);
      const steps = kept ? Array.from(kept.steps) : [];
      const vals = kept?.values[this.sel.quantity];
      return {
        x: steps.map((s) => s + 1),
        series: this.chartUnits().map((u) => ({ label: `${quantitySymbol(t.cell, this.sel.quantity)} unit ${u}`, values: steps.map((_, i) => vals![i * t.units + u]) })),
        xLabel: 'step k',
        yLabel: quantitySymbol(t.cell, this.sel.quantity),
        testid: 'state-chart',
        onPick: (i: number) => this.selectStep(steps[i] ?? 0),
      };
    }
    const x = Array.from({ length: t.steps }, (_, s) => s + 1);
    return {
      x,
      series: this.chartUnits().map((u) => ({ label: `${quantitySymbol(t.cell, this.sel.quantity)} unit ${u}`, values: x.map((_, s) => this.at(data, s, u)) })),
      xLabel: 'step k',
      yLabel: quantitySymbol(t.cell, this.sel.quantity),
      testid: 'state-chart',
      onPick: (i: number) => this.selectStep(i),
    };
  }

  private tableOptions(data: Float32Array) {
    const t = this.trace;
    // Paler than the heatmap (the limit stretched; a gate's range by as much) so the numbers stay readable on the tint.
    const kind = this.scaleKind();
    const scale = themeScaleOf(kind.kind === 'sequential' ? { ...kind, max: kind.min + (kind.max - kind.min) * 1.8 } : kind, this.limitOf(data) * 1.8);
    const backwards = Array.from(t.timeIndex).some((v, s) => v !== s);
    return {
      rows: t.steps,
      cols: t.units,
      value: (r: number, c: number) => this.at(data, r, c),
      rowHeader: 'k',
      rowLabel: (r: number) => String(r + 1),
      extra: backwards ? [{ header: 't', value: (r: number) => String(t.timeIndex[r] + 1) }] : [],
      colLabel: (c: number) => `${quantitySymbol(t.cell, this.sel.quantity)}[${c}]`,
      ariaLabel: `${quantitySymbol(t.cell, this.sel.quantity)} per step (rows) and unit (columns)`,
      testid: 'state-table',
      cellTestid: 'state-cell',
      cellData: (cell: HTMLElement, r: number, c: number) => {
        cell.dataset.step = String(r);
        cell.dataset.t = String(t.timeIndex[r]);
        cell.dataset.unit = String(c);
      },
      tint: (v: number) => rgbCss(scaleColor(scale, v)),
      rowClass: (r: number) => (t.masked && t.masked[r * t.batch + this.sel.sample] ? 'masked' : null),
      onActivate: (r: number) => this.selectStep(r),
      height: 340,
    };
  }

  private refreshControls(): void {
    const t = this.trace;
    this.streamNote.textContent = t.streamed
      ? `This trace was kept as checkpoints (every ${t.streamed.every}th step of every sample): the heatmap and the chart show every ${overviewStride(t.steps, t.streamed.every)}th step; the table and the step's equation ask for any step, recomputed exactly.`
      : '';
    this.heading.textContent = `${showName(t.layer)}${t.direction ? ` — ${t.direction}` : ''} · ${t.cell.title} · T = ${t.steps}, ${t.stateShape.length > 1 ? `state ${t.stateShape.join('×')}` : `M = ${t.units}`}${t.batch > 1 ? `, N = ${t.batch}` : ''}`;
    this.sampleDd.setOptions(Array.from({ length: t.batch }, (_, n) => ({ value: String(n), label: `sample ${n}` })), String(this.sel.sample));
    this.sampleDd.setDisabled(t.batch <= 1);
    this.quantityDd.setOptions(traceQuantities(t).map((q) => ({ value: q.key, label: q.label })), this.sel.quantity);
    const table = this.table.el.querySelector('table');
    if (table) {
      table.dataset.layer = t.layer;
      table.dataset.direction = t.direction ?? '';
      table.dataset.quantity = this.sel.quantity;
      table.dataset.sample = String(this.sel.sample);
    }
  }

  private change(patch: Partial<TraceSelection>): void {
    Object.assign(this.sel, patch);
    if (patch.key !== undefined) this.pickTrace();
    const data = this.quantityData();
    this.heatmap.setData(this.heatOptions(data));
    this.chart.setData(this.chartOptions(data));
    this.table.update(this.tableOptions(data));
    this.refreshControls();
    if (this.sel.step >= 0) this.selectStep(this.sel.step, false);
    else this.equation.showEmpty();
    this.host.selectionChanged({ ...this.sel });
  }

  selectStep(step: number, notify = true): void {
    const t = this.trace;
    if (step < 0 || step >= t.steps) return;
    this.sel.step = step;
    this.heatmap.setSelectedCol(this.keptCol(step));
    this.chart.setSelected(this.keptCol(step));
    this.table.setSelectedRow(step);
    const tIdx = t.timeIndex[step];
    this.stepLabel.textContent = `step k = ${step + 1}${tIdx !== step ? ` (x at t = ${tIdx + 1})` : ''}`;
    this.showEquation();
    if (notify) this.host.selectionChanged({ ...this.sel });
  }

  /** A streamed trace's step: the window of it and the step before (every quantity) is asked for, then worked out as in memory. */
  private showStreamedEquation(): void {
    const t = this.trace;
    const { step, sample } = this.sel;
    const first = Math.max(0, step - 1);
    this.equation.showEmpty(`Recomputing step ${step + 1} from the checkpoint before it…`);
    this.streamed.window(t, sample, Object.keys(t.values), first, step + 1).then(
      (w) => {
        if (this.trace === t && this.sel.step === step && this.sel.sample === sample) this.showEquation(stepWindowTrace(t, w, sample, first), first);
      },
      (e: Error) => {
        if (this.trace === t && this.sel.step === step && this.sel.sample === sample) this.equation.showError(`Step ${step + 1} cannot be written out: ${e.message}`);
      },
    );
  }

  /** `window`: steps from `firstStep` on of a streamed trace (stepWindowTrace); the shown trace otherwise. */
  private showEquation(window?: RecurrentTrace, firstStep = 0): void {
    const t = window ?? this.trace;
    if (t.streamed) return this.showStreamedEquation();
    if (!this.weights) {
      this.equation.showError(`The weights of ${showName(t.layer)}${t.direction ? ` (${t.direction})` : ''} were not sent, so this step cannot be written out.`);
      return;
    }
    const summary = this.host.summary();
    const input = layerInputSequence(this.result, summary, t.layer, this.weights);
    if (!input) {
      this.equation.showError(`The sequence that ${showName(t.layer)} read is not among the recorded layer outputs, so x_t cannot be shown.`);
      return;
    }
    try {
      const w = walkthrough({
        weights: this.weights,
        trace: t,
        input,
        step: this.sel.step,
        sample: this.sel.sample,
        kerasMajor: kerasMajorOf(summary?.kerasVersion, summary?.format),
        ...(firstStep ? { firstStep } : {}),
      });
      attachWeights(w, this.weights);
      this.equation.show(w, this.sel.step, this.sel.sample, t.cell.quantities);
    } catch (e) {
      this.equation.showError(`This step cannot be written out: ${(e as Error).message}.`);
    }
  }

  selection(): TraceSelection {
    return { ...this.sel };
  }

  /** Live recompute: a run with the same traces (shapes and quantities) shown in place, selection kept, nothing rebuilt. */
  update(result: RunResult): void {
    this.result = result;
    this.pickTrace();
    this.cachedLimit = null;
    const data = this.quantityData();
    this.heatmap.setData(this.heatOptions(data));
    // Drawn now, in this frame (setData waits for the next one).
    this.heatmap.draw();
    this.chart.setValues(this.chartOptions(data));
    this.table.update(this.tableOptions(data));
    if (this.sel.step >= 0) this.showEquation();
  }

  setKey(key: string): void {
    this.change({ key, step: -1 });
  }
}

/** Compact view of one layer's output with an expandable table of sample 0. */
function layerOutputItem(rec: LayerRecord, index: number): { el: HTMLElement; update(rec: LayerRecord): void } {
  let out = rec.outputs[0] as Tensor | undefined;
  const shapes = rec.outputShapes.map(shapeText).join(', ');
  const previewOf = (t: Tensor | undefined) => (t ? fmtVector(t.data.subarray(0, Math.min(t.data.length, 6)), 6) + (t.data.length > 6 ? ' …' : '') : '(no output)');
  const preview = h('code', { class: 'preview' }, previewOf(out));
  const details = h('details', { class: 'layer-out', 'data-testid': 'layer-output', 'data-layer': rec.name });
  const summaryEl = h(
    'summary',
    {},
    h('span', { class: 'idx' }, String(index + 1)),
    h('span', { class: 'name', title: showName(rec.name, 1000) }, showName(rec.name)),
    h('span', { class: 'cls' }, showName(rec.className, 40)),
    h('span', { class: 'shape' }, shapes),
    preview,
  );
  let table: MatrixTable | null = null;
  const tint = () => {
    const scale = themeScale(symmetricLimit(out!.data) * 1.8);
    return (v: number) => rgbCss(divergingColor(scale, v));
  };
  details.append(summaryEl);
  let built = false;
  details.addEventListener('toggle', () => {
    if (!details.open || built || !out) return;
    built = true;
    const s = out.shape;
    const cols = s.length >= 2 ? s[s.length - 1] : s[0] ?? 1;
    const rows = s.length === 3 ? s[1] : s.length === 2 ? s[0] : 1;
    const sampleNote = s.length === 3 ? `sample 0 of ${s[0]}: rows are time steps, columns the last axis` : s.length === 2 ? 'rows are samples, columns the last axis' : '';
    table = new MatrixTable({
      rows,
      cols,
      value: (r, c) => out!.data[r * cols + c],
      rowHeader: s.length === 3 ? 't' : 'n',
      rowLabel: (r) => String(s.length === 3 ? r + 1 : r),
      colLabel: (c) => String(c),
      ariaLabel: `Output of ${showName(rec.name)}`,
      tint: tint(),
      height: 260,
    });
    details.append(h('p', { class: 'muted' }, sampleNote), table.el);
    if (rec.outputs.length > 1) details.append(h('p', { class: 'muted' }, `This layer has ${rec.outputs.length} outputs (e.g. return_state); the first is shown.`));
  });
  // Live recompute: the same layer's output of a new run (same shapes), shown in place.
  const update = (next: LayerRecord) => {
    out = next.outputs[0] as Tensor | undefined;
    preview.textContent = previewOf(out);
    if (table && out) table.update({ tint: tint() });
  };
  return { el: details, update };
}

export class ResultsView {
  readonly el = h('div', { class: 'results', 'data-testid': 'results-root' });
  private explorer: TraceExplorer | null = null;
  private traceDd: DropdownControl | null = null;
  /** The run shown and its layer list's items, for update(). */
  private shown: RunResult | null = null;
  private layerItems: ReturnType<typeof layerOutputItem>[] = [];

  constructor(private readonly host: ResultsHost) {
    this.showEmpty();
  }

  showEmpty(): void {
    clear(this.el);
    this.el.append(h('div', { class: 'empty' }, h('p', {}, 'No run yet.'), h('p', { class: 'muted' }, 'Choose an input on the Input tab and press Run (Ctrl+Enter) to see every layer\'s output and the hidden state at every time step.')));
  }

  show(result: RunResult, sel: TraceSelection | null): void {
    clear(this.el);
    this.explorer = null;
    this.shown = result;
    const summaryLine = h(
      'div',
      { class: 'run-summary', 'data-testid': 'run-summary' },
      h('span', {}, `Input: ${showName(result.inputLabel, 300)}`),
      h('span', { class: 'muted' }, `computed in ${fmtMs(result.elapsedMs)}`),
    );
    // Stateful layers: say where they started, so a continued run is never mistaken for a fresh one.
    const stateful = (result.finalStates?.length ?? 0) > 0 || result.startedFrom !== undefined;
    const startedFrom = stateful
      ? h('p', { class: 'started-from', 'data-testid': 'run-started-from' }, result.startedFrom ? `Stateful layers continued from the state after ${showName(result.startedFrom, 200)}.` : 'Stateful layers started from zeros.')
      : null;
    const outputs = h('div', { class: 'outputs' });
    const several = result.outputs.length > 1;
    if (several) outputs.append(h('h2', {}, `The model's ${result.outputs.length} outputs`));
    result.outputs.forEach((o, k) => {
      // Several outputs (a decoder's sequence and its states): each by the name of what produces it.
      const name = result.outputNames?.[k];
      const label = several ? `output ${k}${name ? ` · ${showName(name, 60)}` : ''}` : 'output';
      const row = h('div', { class: several ? 'output named' : 'output', 'data-testid': 'model-output', 'data-index': k }, h('span', { class: 'label' }, h('span', { class: 'output-name' }, label), h('span', { class: 'output-shape' }, shapeText(o.shape))), h('code', {}, fmtVector(o.data, 16, 7)));
      if (name) row.dataset.name = name;
      outputs.append(row);
    });
    const exports = h(
      'div',
      { class: 'toolbar-group' },
      button('NumPy script', () => this.host.exportRun('numpy'), { appearance: 'secondary', testid: 'export-numpy', title: 'Save a standalone NumPy script that recomputes this run step by step' }).el,
      button('Trace CSV', () => this.host.exportRun('trace-csv'), { appearance: 'secondary', testid: 'export-trace-csv' }).el,
      button('Trace JSON', () => this.host.exportRun('trace-json'), { appearance: 'secondary', testid: 'export-trace-json' }).el,
    );
    this.el.append(h('div', { class: 'results-head' }, summaryLine, exports), ...(startedFrom ? [startedFrom] : []));
    // A stopped run says so first, where it stopped and that what ran is below; there is no model output to compare.
    if (result.stopped) {
      const n = result.layers.length;
      this.el.append(h('div', { class: 'banner warning', role: 'status', 'data-testid': 'run-stopped' }, h('strong', {}, `Stopped at layer ${result.stopped.position} (${showName(result.stopped.layer)}). `), `${showName(result.stopped.message.replace(/^The run stopped at layer \d+:\s*/, ''), 300)} The ${n} layer${n === 1 ? '' : 's'} before it ran and can be explored below.`));
    }
    this.el.append(outputs);
    if (!result.stopped) this.el.append(compareCard(result));
    // The notebook's last line, y = h_T·W_y + b_y with the numbers (outputStep.ts).
    const outputStep = outputSteps(result, this.host);
    if (outputStep) this.el.append(outputStep);
    if (result.traces.length > 0) {
      const traceSel: TraceSelection = sel ?? { key: traceKey(result.traces[0]), sample: 0, quantity: 'h', step: -1, units: `0-${Math.min(3, result.traces[0].units - 1)}` };
      if (!result.traces.some((t) => traceKey(t) === traceSel.key)) Object.assign(traceSel, { key: traceKey(result.traces[0]), step: -1 });
      const opts = result.traces.map((t) => ({ value: traceKey(t), label: `${showName(t.layer)}${t.direction ? ` (${t.direction})` : ''} · ${t.cell.title}(${t.stateShape.join('×')})` }));
      this.traceDd = dropdown(opts, traceSel.key, (v) => this.explorer?.setKey(v), { testid: 'trace-layer', ariaLabel: 'Recurrent layer' });
      this.explorer = new TraceExplorer(result, this.host, traceSel);
      this.el.append(h('h2', {}, 'Hidden state, step by step'), h('div', { class: 'toolbar' }, h('label', { class: 'field' }, h('span', {}, 'Recurrent layer'), this.traceDd.el)), this.explorer.el);
    } else {
      // A stopped run may have stopped before its recurrent layers: say that, not that the model has none.
      const why = result.stopped ? 'The run stopped before any recurrent layer, so there is no per-step trace.' : 'This model has no recurrent layer, so there is no per-step trace.';
      this.el.append(h('p', { class: 'muted' }, why));
    }
    const list = h('div', { class: 'layer-outputs' });
    this.layerItems = result.layers.map((rec, i) => layerOutputItem(rec, i));
    list.append(...this.layerItems.map((item) => item.el));
    this.el.append(h('h2', {}, `Every layer's output (${result.layers.length})`), list);
  }

  /**
   * Live recompute: shows a run of the same model on an input of the same shape in place (outputs, layer previews,
   * heatmap, chart, table and the open step's equation change; nothing is rebuilt, the selection stays). False when
   * the run differs in structure (shapes, traces, a stop): then call show().
   */
  update(result: RunResult): boolean {
    const prev = this.shown;
    if (!prev || !sameStructure(prev, result) || !this.el.isConnected) return false;
    this.shown = result;
    const [label, ms] = Array.from(this.el.querySelectorAll<HTMLElement>('[data-testid="run-summary"] > span'));
    if (label) label.textContent = `Input: ${showName(result.inputLabel, 300)}`;
    if (ms) ms.textContent = `computed in ${fmtMs(result.elapsedMs)}`;
    this.el.querySelectorAll<HTMLElement>('[data-testid="model-output"] > code').forEach((code, k) => {
      const o = result.outputs[k];
      if (o) code.textContent = fmtVector(o.data, 16, 7);
    });
    // The comparison is with this run's numbers.
    this.el.querySelector('.compare-card')?.replaceWith(compareCard(result));
    // The output layer's step with this run's numbers (its weights are cached per model in outputStep.ts).
    const outputStep = this.el.querySelector('[data-testid="output-steps"]');
    const freshStep = outputSteps(result, this.host);
    if (outputStep && freshStep) outputStep.replaceWith(freshStep);
    this.explorer?.update(result);
    result.layers.forEach((rec, i) => this.layerItems[i]?.update(rec));
    return true;
  }

  /** Selects a processing step (0-based) of the shown trace: the walkthrough's "step through h_1..h_T". */
  selectStep(step: number): void {
    this.explorer?.selectStep(step);
  }

  selection(): TraceSelection | null {
    return this.explorer?.selection() ?? null;
  }

  /** Describe a step for assistive text elsewhere. */
  static stepName(step: number): string {
    return `h${sub(step + 1)}`;
  }
}

export { fmt };
