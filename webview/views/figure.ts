// An exported image of a chart that can be used outside the panel: an opaque background (a transparent PNG turns
// black or white in other programs), a title band saying what it shows, the chart as drawn, and its legend or colour
// bar painted underneath (the panel's legends are HTML, which a canvas export would leave out).

import { themeVar } from '../dom';
import { parseColor, rgbCss } from '../logic/colors';

export interface FigureLegend {
  /** Height of the band under the chart, in CSS pixels. */
  height: number;
  paint(ctx: CanvasRenderingContext2D, x: number, y: number, width: number, ink: FigureInk): void;
}

export interface FigureInk {
  background: string;
  text: string;
  muted: string;
  font: string;
}

export interface Figure {
  title: string;
  subtitle?: string;
  /** The chart as drawn in the panel (device pixels). */
  body: HTMLCanvasElement;
  legend: FigureLegend;
}

const PAD = 12;
/** A canvas larger than this is refused by some browsers; the panel's charts are far smaller. */
const MAX_SIDE = 8192;

function ink(): FigureInk {
  // The editor's own colours, made opaque: the exported image looks like the panel it came from.
  const bg = parseColor(themeVar('--vscode-editor-background', '#1e1e1e')) ?? [30, 30, 30];
  const dark = (bg[0] + bg[1] + bg[2]) / 3 < 128;
  const text = parseColor(themeVar('--vscode-editor-foreground', dark ? '#cccccc' : '#333333')) ?? (dark ? [204, 204, 204] : [51, 51, 51]);
  const muted = parseColor(themeVar('--vscode-descriptionForeground', dark ? '#9d9d9d' : '#717171')) ?? (dark ? [157, 157, 157] : [113, 113, 113]);
  return { background: rgbCss(bg), text: rgbCss(text), muted: rgbCss(muted), font: themeVar('--vscode-font-family', 'sans-serif') };
}

/** `text` cut with an ellipsis to fit `width` pixels in the context's current font. */
export function fitText(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text;
  const chars = Array.from(text);
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(`${chars.slice(0, mid).join('')}…`).width <= width) lo = mid;
    else hi = mid - 1;
  }
  return `${chars.slice(0, lo).join('')}…`;
}

/** The whole figure on a new canvas, at the body's pixel density. */
export function figureCanvas(f: Figure): HTMLCanvasElement {
  const cssW = f.body.clientWidth || f.body.width;
  const dpr = Math.max(1, f.body.width / Math.max(1, cssW));
  const cssH = f.body.height / dpr;
  const titleH = f.subtitle ? 42 : 28;
  const width = cssW + 2 * PAD;
  const height = titleH + cssH + f.legend.height + PAD;
  const scale = Math.min(dpr, MAX_SIDE / width, MAX_SIDE / height);
  const out = document.createElement('canvas');
  out.width = Math.max(1, Math.round(width * scale));
  out.height = Math.max(1, Math.round(height * scale));
  const ctx = out.getContext('2d')!;
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  const c = ink();
  ctx.fillStyle = c.background;
  ctx.fillRect(0, 0, width, height);
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillStyle = c.text;
  ctx.font = `600 14px ${c.font}`;
  ctx.fillText(fitText(ctx, f.title, width - 2 * PAD), PAD, PAD - 2);
  if (f.subtitle) {
    ctx.fillStyle = c.muted;
    ctx.font = `11px ${c.font}`;
    ctx.fillText(fitText(ctx, f.subtitle, width - 2 * PAD), PAD, PAD + 16);
  }
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(f.body, PAD, titleH, cssW, cssH);
  f.legend.paint(ctx, PAD, titleH + cssH, cssW, c);
  return out;
}

/**
 * A colour bar: `bar` is the panel's legend canvas (the same scale as the chart), drawn `barWidth` wide with its tick
 * labels under it, after a caption ("colour: value of h_t"); `axes` is a line above it naming the two axes.
 */
export function colourBarLegend(o: { bar: HTMLCanvasElement; labels: string[]; caption: string; axes: string }): FigureLegend {
  return {
    height: 58,
    paint(ctx, x, y, width, c) {
      ctx.textBaseline = 'top';
      ctx.textAlign = 'left';
      ctx.font = `11px ${c.font}`;
      ctx.fillStyle = c.muted;
      ctx.fillText(fitText(ctx, o.axes, width), x, y + 4);
      ctx.fillStyle = c.text;
      const caption = fitText(ctx, o.caption, Math.max(60, width / 3));
      ctx.fillText(caption, x, y + 26);
      const bx = x + ctx.measureText(caption).width + 10;
      const bw = Math.max(60, Math.min(240, x + width - bx));
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(o.bar, bx, y + 24, bw, 12);
      ctx.strokeStyle = c.muted;
      ctx.strokeRect(bx - 0.5, y + 23.5, bw + 1, 13);
      ctx.fillStyle = c.muted;
      o.labels.forEach((label, i) => {
        const n = o.labels.length;
        ctx.textAlign = n === 1 ? 'left' : i === 0 ? 'left' : i === n - 1 ? 'right' : 'center';
        ctx.fillText(label, n === 1 ? bx : bx + (i / (n - 1)) * bw, y + 40);
      });
      ctx.textAlign = 'left';
    },
  };
}

/** A line chart's key: a colour swatch and the name of each series, wrapped onto as many rows as needed. */
export function seriesLegend(items: { label: string; color: string }[], axes: string, width: number): FigureLegend {
  const perRow = Math.max(1, Math.floor(width / 150));
  const rows = Math.ceil(items.length / perRow);
  return {
    height: 24 + rows * 16,
    paint(ctx, x, y, w, c) {
      ctx.textBaseline = 'top';
      ctx.textAlign = 'left';
      ctx.font = `11px ${c.font}`;
      ctx.fillStyle = c.muted;
      ctx.fillText(fitText(ctx, axes, w), x, y + 4);
      const colW = w / perRow;
      items.forEach((it, i) => {
        const cx = x + (i % perRow) * colW;
        const cy = y + 22 + Math.floor(i / perRow) * 16;
        ctx.fillStyle = it.color;
        ctx.fillRect(cx, cy + 4, 14, 3);
        ctx.fillStyle = c.text;
        ctx.fillText(fitText(ctx, it.label, colW - 22), cx + 18, cy);
      });
    },
  };
}
