// A canvas heatmap of a matrix: x = columns (time steps, or a weight's columns), y = rows (units).
// One pixel per value is painted once into an offscreen canvas, then scaled without smoothing, so
// T = 1000 × M = 256 paints in milliseconds. Colours from the theme (diverging, or sequential for a gate), with a legend.

import { h, themeVar, pointTip, onThemeChange } from '../dom';
import { isSequential, paintDiverging, paintDivergingStrided, parseColor, scaleBounds, symmetricLimit, stridedLimit, type ColorScale, type DivergingScale, type Rgb, type SequentialScale, type StridedMatrix, rgbCss } from '../logic/colors';
import { fmt } from '../logic/format';
import { clampIndex } from '../logic/virtual';
import { colourBarLegend, figureCanvas } from './figure';

export interface HeatmapOptions {
  cols: number;
  rows: number;
  value(col: number, row: number): number;
  /** All values (for the colour limit); defaults to scanning value(). */
  limit?: number;
  /** The same values as a strided view of a flat array: paints without a call per pixel. */
  matrix?: StridedMatrix;
  colName: string; // e.g. 'step k'
  rowName: string; // e.g. 'unit'
  colLabel?(col: number): string;
  rowLabel?(row: number): string;
  /** Extra tooltip line for a column (e.g. "reads x at t = 7"). */
  colNote?(col: number): string;
  height?: number;
  /** A sigmoid gate's heatmap is sequential over its range (scaleKindFor in logic/colors.ts); diverging around 0 otherwise. */
  scaleKind?: { kind: 'sequential'; min: number; max: number } | { kind: 'diverging' };
  /** Column groups (gate blocks of a kernel): a separator before each and its label on top. */
  colGroups?: { start: number; label: string }[];
  ariaLabel: string;
  testid?: string;
  onPick?(col: number, row: number): void;
}

const MARGIN = { left: 44, right: 8, top: 6, bottom: 22 };

/** Read the theme colours once ahead of time (the first read forces a style recalculation). */
export function warmTheme(): void {
  themeScale(1);
  for (const v of ['--vscode-descriptionForeground', '--vscode-font-family', '--vscode-panel-border', '--vscode-focusBorder', '--vscode-editor-foreground', '--vscode-editorWidget-border']) themeVar(v, '');
}

/** Theme-driven diverging scale: blue (negative) → editor background → red (positive). */
export function themeScale(limit: number): DivergingScale {
  const bg = parseColor(themeVar('--vscode-editor-background', '#1e1e1e')) ?? [30, 30, 30];
  const dark = (bg[0] + bg[1] + bg[2]) / 3 < 128;
  const negative: Rgb = parseColor(themeVar('--vscode-charts-blue', dark ? '#3794ff' : '#1a85ff')) ?? [55, 148, 255];
  const positive: Rgb = parseColor(themeVar('--vscode-charts-red', dark ? '#f14c4c' : '#e51400')) ?? [241, 76, 76];
  return { negative, middle: bg, positive, limit };
}

/** Theme-driven sequential scale for gates: editor background (closed, `min`) → the chart green (open, `max`). */
export function themeSequentialScale(min: number, max: number): SequentialScale {
  const bg = parseColor(themeVar('--vscode-editor-background', '#1e1e1e')) ?? [30, 30, 30];
  const dark = (bg[0] + bg[1] + bg[2]) / 3 < 128;
  const high: Rgb = parseColor(themeVar('--vscode-charts-green', dark ? '#89d185' : '#388a34')) ?? [56, 138, 52];
  return { kind: 'sequential', low: bg, high, min, max };
}

/** The theme's scale of the given kind (a diverging one up to ±limit). */
export function themeScaleOf(kind: HeatmapOptions['scaleKind'], limit: number): ColorScale {
  return kind?.kind === 'sequential' ? themeSequentialScale(kind.min, kind.max) : themeScale(limit);
}

export class Heatmap {
  readonly el: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly legend: HTMLCanvasElement;
  private readonly legendLabels: HTMLElement;
  private image: HTMLCanvasElement | null = null;
  private o: HeatmapOptions;
  private limit = 1;
  private selectedCol = -1;
  private cursor = { col: 0, row: 0 };
  private focused = false;
  private frame = 0;

  constructor(options: HeatmapOptions) {
    this.o = options;
    this.canvas = h('canvas', { class: 'heatmap', tabindex: 0, role: 'img', 'aria-label': options.ariaLabel });
    if (options.testid) this.canvas.dataset.testid = options.testid;
    this.legend = h('canvas', { class: 'legend-bar', width: 160, height: 10, 'aria-hidden': 'true' });
    this.legendLabels = h('div', { class: 'legend-labels' });
    this.el = h('div', { class: 'heatmap-wrap' }, this.canvas, h('div', { class: 'legend' }, h('span', { class: 'legend-title' }, 'colour scale'), h('div', { class: 'legend-scale' }, this.legend, this.legendLabels)));
    this.canvas.addEventListener('mousemove', (e) => this.onHover(e));
    this.canvas.addEventListener('mouseleave', () => pointTip(0, 0, null));
    this.canvas.addEventListener('click', (e) => {
      const p = this.pick(e);
      if (!p) return;
      this.cursor = p;
      this.o.onPick?.(p.col, p.row);
    });
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.canvas.addEventListener('focus', () => {
      this.focused = true;
      this.draw();
    });
    this.canvas.addEventListener('blur', () => {
      this.focused = false;
      this.draw();
    });
    let lastWidth = -1;
    new ResizeObserver(() => {
      // Only a width change needs a redraw (height is ours).
      const w = this.canvas.clientWidth;
      if (w !== lastWidth) {
        lastWidth = w;
        this.schedule();
      }
    }).observe(this.canvas);
    onThemeChange(() => this.retheme());
    this.setData(options);
  }

  setData(options: HeatmapOptions): void {
    this.o = options;
    this.canvas.setAttribute('aria-label', options.ariaLabel);
    const { cols, rows } = options;
    this.limit = options.limit ?? (options.matrix ? stridedLimit(cols, rows, options.matrix) : (() => {
      const all = new Float64Array(cols * rows);
      for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) all[r * cols + c] = options.value(c, r);
      return symmetricLimit(all);
    })());
    this.cursor = { col: clampIndex(this.cursor.col, cols), row: clampIndex(this.cursor.row, rows) };
    this.paintImage();
    // Drawn in the next animation frame, after the page has laid out once (no forced layout here).
    this.canvas.style.height = `${options.height ?? 220}px`;
    this.schedule();
  }

  /** Re-read theme colours (call after a theme change). */
  retheme(): void {
    this.paintImage();
    this.schedule();
  }

  setSelectedCol(col: number): void {
    this.selectedCol = col;
    if (col >= 0) this.cursor.col = col;
    this.schedule();
  }

  private paintImage(): void {
    const { cols, rows } = this.o;
    if (cols <= 0 || rows <= 0) {
      this.image = null;
      return;
    }
    const scale = themeScaleOf(this.o.scaleKind, this.limit);
    const img = this.image && this.image.width === cols && this.image.height === rows ? this.image : document.createElement('canvas');
    img.width = cols;
    img.height = rows;
    const ctx = img.getContext('2d')!;
    const data = ctx.createImageData(cols, rows);
    if (this.o.matrix) paintDivergingStrided(data.data, cols, rows, scale, this.o.matrix);
    else paintDiverging(data.data, cols, rows, scale, (x, y) => this.o.value(x, y));
    ctx.putImageData(data, 0, 0);
    this.image = img;
    // Legend: the same scale from its low end to its high one (−limit..+limit, or a gate's 0..1).
    const [lo, hi] = scaleBounds(scale);
    const lctx = this.legend.getContext('2d')!;
    const lw = this.legend.width;
    const ldata = lctx.createImageData(lw, 1);
    paintDiverging(ldata.data, lw, 1, scale, (x) => lo + (x / (lw - 1)) * (hi - lo));
    for (let y = 0; y < this.legend.height; y++) lctx.putImageData(ldata, 0, y);
    this.legendLabels.textContent = '';
    this.legendLabels.append(h('span', {}, fmt(lo)), h('span', {}, fmt((lo + hi) / 2)), h('span', {}, fmt(hi)));
    // Which scale is drawn, for tests and assistive text: 'sequential' (a gate's range) or 'diverging' (around 0).
    this.canvas.dataset.scale = isSequential(scale) ? 'sequential' : 'diverging';
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  private plotRect(): { x: number; y: number; w: number; h: number } {
    const cssW = this.canvas.clientWidth || 600;
    const cssH = this.o.height ?? 220;
    const top = MARGIN.top + (this.o.colGroups?.length ? 14 : 0);
    return { x: MARGIN.left, y: top, w: Math.max(10, cssW - MARGIN.left - MARGIN.right), h: Math.max(10, cssH - top - MARGIN.bottom) };
  }

  draw(): void {
    const cssW = this.canvas.clientWidth || 600;
    const cssH = this.o.height ?? 220;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.height = `${cssH}px`;
    if (this.canvas.width !== Math.round(cssW * dpr) || this.canvas.height !== Math.round(cssH * dpr)) {
      this.canvas.width = Math.round(cssW * dpr);
      this.canvas.height = Math.round(cssH * dpr);
    }
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    const p = this.plotRect();
    const { cols, rows } = this.o;
    const fg = themeVar('--vscode-descriptionForeground', '#999');
    const font = themeVar('--vscode-font-family', 'sans-serif');
    if (this.image) {
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(this.image, p.x, p.y, p.w, p.h);
    }
    ctx.strokeStyle = themeVar('--vscode-panel-border', '#80808059');
    ctx.strokeRect(p.x - 0.5, p.y - 0.5, p.w + 1, p.h + 1);
    // Axis ticks: about one label per 70 px across, one per 18 px down.
    ctx.fillStyle = fg;
    ctx.font = `11px ${font}`;
    ctx.textBaseline = 'top';
    ctx.textAlign = 'center';
    const colLabel = this.o.colLabel ?? ((c: number) => String(c + 1));
    const rowLabel = this.o.rowLabel ?? ((r: number) => String(r));
    const xStep = niceStep(cols, Math.max(1, Math.floor(p.w / 70)));
    for (let c = 0; c < cols; c += xStep) ctx.fillText(colLabel(c), p.x + ((c + 0.5) / cols) * p.w, p.y + p.h + 5);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const yStep = niceStep(rows, Math.max(1, Math.floor(p.h / 18)));
    for (let r = 0; r < rows; r += yStep) ctx.fillText(rowLabel(r), p.x - 5, p.y + ((r + 0.5) / rows) * p.h);
    ctx.save();
    ctx.translate(10, p.y + p.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText(this.o.rowName, 0, 0);
    ctx.restore();
    // Gate blocks: a separator line and the gate's name above its columns.
    if (this.o.colGroups?.length) {
      ctx.strokeStyle = themeVar('--vscode-editor-foreground', '#ccc');
      ctx.fillStyle = themeVar('--vscode-editor-foreground', '#ccc');
      ctx.textAlign = 'center';
      ctx.textBaseline = 'bottom';
      const groups = this.o.colGroups;
      groups.forEach((g, i) => {
        const x0 = p.x + (g.start / cols) * p.w;
        const x1 = p.x + ((groups[i + 1]?.start ?? cols) / cols) * p.w;
        if (i > 0) {
          ctx.beginPath();
          ctx.moveTo(Math.round(x0) + 0.5, p.y - 12);
          ctx.lineTo(Math.round(x0) + 0.5, p.y + p.h);
          ctx.stroke();
        }
        ctx.fillText(g.label, (x0 + x1) / 2, p.y - 2);
      });
      ctx.fillStyle = fg;
    }
    // Selected column and the keyboard cursor.
    const cw = p.w / Math.max(1, cols);
    const rhgt = p.h / Math.max(1, rows);
    if (this.selectedCol >= 0 && this.selectedCol < cols) {
      ctx.strokeStyle = themeVar('--vscode-focusBorder', '#007fd4');
      ctx.lineWidth = 2;
      ctx.strokeRect(p.x + this.selectedCol * cw, p.y, Math.max(2, cw), p.h);
      ctx.lineWidth = 1;
    }
    if (this.focused) {
      ctx.strokeStyle = themeVar('--vscode-editor-foreground', '#ccc');
      ctx.setLineDash([3, 2]);
      ctx.strokeRect(p.x + this.cursor.col * cw, p.y + this.cursor.row * rhgt, Math.max(3, cw), Math.max(3, rhgt));
      ctx.setLineDash([]);
    }
  }

  private pick(e: MouseEvent): { col: number; row: number } | null {
    const rect = this.canvas.getBoundingClientRect();
    const p = this.plotRect();
    const x = e.clientX - rect.left - p.x;
    const y = e.clientY - rect.top - p.y;
    if (x < 0 || y < 0 || x >= p.w || y >= p.h) return null;
    return { col: Math.floor((x / p.w) * this.o.cols), row: Math.floor((y / p.h) * this.o.rows) };
  }

  private describe(col: number, row: number): string {
    const colLabel = this.o.colLabel ?? ((c: number) => String(c + 1));
    const rowLabel = this.o.rowLabel ?? ((r: number) => String(r));
    const note = this.o.colNote?.(col);
    return `${this.o.colName} ${colLabel(col)}, ${this.o.rowName} ${rowLabel(row)}\nvalue ${fmt(this.o.value(col, row), 7)}${note ? `\n${note}` : ''}`;
  }

  private onHover(e: MouseEvent): void {
    const p = this.pick(e);
    pointTip(e.clientX, e.clientY, p ? this.describe(p.col, p.row) : null);
  }

  private onKey(e: KeyboardEvent): void {
    const { cols, rows } = this.o;
    const c = this.cursor;
    const big = e.shiftKey ? 10 : 1;
    switch (e.key) {
      case 'ArrowRight': c.col = clampIndex(c.col + big, cols); break;
      case 'ArrowLeft': c.col = clampIndex(c.col - big, cols); break;
      case 'ArrowDown': c.row = clampIndex(c.row + big, rows); break;
      case 'ArrowUp': c.row = clampIndex(c.row - big, rows); break;
      case 'Home': c.col = 0; break;
      case 'End': c.col = cols - 1; break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.o.onPick?.(c.col, c.row);
        return;
      default:
        return;
    }
    e.preventDefault();
    this.draw();
    // Say where the cursor is (screen readers read the label of the focused canvas).
    this.canvas.setAttribute('aria-label', `${this.o.ariaLabel}. ${this.describe(c.col, c.row).replace(/\n/g, ', ')}`);
    const rect = this.canvas.getBoundingClientRect();
    const p = this.plotRect();
    pointTip(rect.left + p.x + ((c.col + 0.5) / cols) * p.w, rect.top + p.y + ((c.row + 0.5) / rows) * p.h, this.describe(c.col, c.row));
  }

  /** PNG bytes of the heatmap as shown, with a title above it and its colour bar and axis names under it. */
  async png(text: { title: string; subtitle?: string; caption: string }): Promise<Uint8Array> {
    const { cols, rows } = this.o;
    const colLabel = this.o.colLabel ?? ((c: number) => String(c + 1));
    const rowLabel = this.o.rowLabel ?? ((r: number) => String(r));
    const range = (n: number, label: (i: number) => string) => (n > 1 ? ` ${label(0)}..${label(n - 1)}` : n === 1 ? ` ${label(0)}` : '');
    const axes = `across: ${this.o.colName}${range(cols, colLabel)} · down: ${this.o.rowName}${range(rows, rowLabel)}`;
    const labels = Array.from(this.legendLabels.children, (e) => e.textContent ?? '');
    return canvasPng(figureCanvas({ title: text.title, subtitle: text.subtitle, body: this.canvas, legend: colourBarLegend({ bar: this.legend, labels, caption: text.caption, axes }) }));
  }
}

/** A step between labelled ticks so that at most `max` labels fit: 1, 2, 5, 10, 20, 50 … */
export function niceStep(count: number, max: number): number {
  const raw = count / Math.max(1, max);
  if (raw <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

export function canvasPng(canvas: HTMLCanvasElement): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => {
      if (!blob) return reject(new Error('The chart could not be encoded as PNG.'));
      blob.arrayBuffer().then((b) => resolve(new Uint8Array(b)), reject);
    }, 'image/png');
  });
}

export { rgbCss };
