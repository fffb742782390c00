// Line chart of chosen units over the steps, drawn by uPlot (canvas, fast with thousands of points).
// Colours follow the theme's chart palette; a click picks the step under the cursor.

import uPlot from 'uplot';
import { h, themeVar, onThemeChange } from '../dom';
import { canvasPng } from './heatmap';
import { figureCanvas, seriesLegend } from './figure';

export interface LineSeries {
  label: string;
  values: Float64Array | number[];
}

export interface LineChartOptions {
  /** x values, e.g. steps 1..T. */
  x: number[];
  series: LineSeries[];
  xLabel: string;
  yLabel: string;
  height?: number;
  testid?: string;
  onPick?(index: number): void;
}

const PALETTE = ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-red', '--vscode-charts-yellow'];
const FALLBACK = ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'];

export function seriesColor(i: number): string {
  return themeVar(PALETTE[i % PALETTE.length], FALLBACK[i % FALLBACK.length]);
}

export class LineChart {
  readonly el: HTMLElement;
  private plot: uPlot | null = null;
  private o: LineChartOptions;
  private selected = -1;
  private ro: ResizeObserver;

  constructor(options: LineChartOptions) {
    this.o = options;
    this.el = h('div', { class: 'linechart' });
    if (options.testid) this.el.dataset.testid = options.testid;
    this.ro = new ResizeObserver(() => {
      const w = this.el.clientWidth;
      if (this.plot && w > 0 && Math.abs(this.plot.width - w) > 1) this.plot.setSize({ width: w, height: this.o.height ?? 220 });
    });
    this.ro.observe(this.el);
    onThemeChange(() => this.build());
    // Built in the frame after the first paint of the results: uPlot measures the page, which would
    // force a layout inside the frame that has to appear within the paint budget.
    requestAnimationFrame(() => requestAnimationFrame(() => this.build()));
    this.pending = true;
  }

  private pending = false;

  setData(options: LineChartOptions): void {
    this.o = options;
    if (!this.pending) this.build();
  }

  /** New values for the same x and series (live recompute): uPlot redraws its lines, the chart is not rebuilt. */
  setValues(options: LineChartOptions): void {
    const prev = this.o;
    const sameSeries = options.x.length === prev.x.length && options.series.length === prev.series.length && options.series.every((s, i) => s.label === prev.series[i].label);
    if (!this.plot || this.pending || !sameSeries) {
      this.setData(options);
      return;
    }
    this.o = options;
    this.plot.setData([options.x, ...options.series.map((s) => Array.from(s.values))]);
  }

  setSelected(index: number): void {
    this.selected = index;
    this.plot?.redraw(false, false);
  }

  private build(): void {
    this.pending = false;
    this.plot?.destroy();
    const fg = themeVar('--vscode-descriptionForeground', '#999');
    const grid = themeVar('--vscode-editorWidget-border', '#80808033');
    const focus = themeVar('--vscode-focusBorder', '#007fd4');
    const font = `11px ${themeVar('--vscode-font-family', 'sans-serif')}`;
    const axis = (label: string): uPlot.Axis => ({ stroke: fg, label, labelFont: font, font, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } });
    const opts: uPlot.Options = {
      width: Math.max(200, this.el.clientWidth || 640),
      height: this.o.height ?? 220,
      scales: { x: { time: false } },
      // Steps are whole numbers: never put a tick at 2.5.
      axes: [{ ...axis(this.o.xLabel), incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] }, axis(this.o.yLabel)],
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      series: [{ label: this.o.xLabel }, ...this.o.series.map((s, i) => ({ label: s.label, stroke: seriesColor(i), width: 1.5, points: { show: false } }))],
      hooks: {
        draw: [
          (u: uPlot) => {
            if (this.selected < 0 || this.selected >= this.o.x.length) return;
            const x = u.valToPos(this.o.x[this.selected], 'x', true);
            const ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = focus;
            ctx.lineWidth = 2 * (window.devicePixelRatio || 1);
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.restore();
          },
        ],
      },
    };
    const data: uPlot.AlignedData = [this.o.x, ...this.o.series.map((s) => Array.from(s.values))];
    this.plot = new uPlot(opts, data, this.el);
    const over = this.plot.over;
    over.addEventListener('click', () => {
      const idx = this.plot?.cursor.idx;
      if (idx !== null && idx !== undefined && idx >= 0) this.o.onPick?.(idx);
    });
  }

  /** PNG of the chart (uPlot draws on one canvas) with a title above it and the key of its lines under it. */
  png(text: { title: string; subtitle?: string }): Promise<Uint8Array> {
    const canvas = this.el.querySelector('canvas');
    if (!canvas) return Promise.reject(new Error('The chart has not been drawn yet.'));
    const items = this.o.series.map((s, i) => ({ label: s.label, color: seriesColor(i) }));
    const legend = seriesLegend(items, `across: ${this.o.xLabel} · up: ${this.o.yLabel}`, canvas.clientWidth || canvas.width);
    return canvasPng(figureCanvas({ title: text.title, subtitle: text.subtitle, body: canvas, legend }));
  }

  destroy(): void {
    this.ro.disconnect();
    this.plot?.destroy();
    this.plot = null;
  }
}
