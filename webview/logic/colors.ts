// Colour scales for heatmaps, table tints and the step view: a diverging scale centred on 0 for states and other
// signed values, a sequential one for sigmoid gates (0 = closed, 1 = open). Their colours come from the theme (VS
// Code chart colours and the editor background), so light, dark and high contrast all work.

export type Rgb = [number, number, number];

/** Parse `#rgb`, `#rrggbb`, `#rrggbbaa` or `rgb(a)(r, g, b[, a])` into RGB; null when unknown. */
export function parseColor(text: string): Rgb | null {
  const s = text.trim();
  let m = /^#([0-9a-f]{3,8})$/i.exec(s);
  if (m) {
    const h = m[1];
    if (h.length === 3 || h.length === 4) return [0, 1, 2].map((i) => parseInt(h[i] + h[i], 16)) as Rgb;
    if (h.length === 6 || h.length === 8) return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as Rgb;
    return null;
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(s);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])].map((v) => Math.round(Math.min(255, Math.max(0, v)))) as Rgb;
  return null;
}

export interface DivergingScale {
  negative: Rgb;
  middle: Rgb;
  positive: Rgb;
  /** Values with |v| >= limit get the end colours. */
  limit: number;
}

/** A sequential scale from `low` at `min` to `high` at `max` (a gate's (0, 1)); values outside get the ends. */
export interface SequentialScale {
  kind: 'sequential';
  low: Rgb;
  high: Rgb;
  min: number;
  max: number;
}

export type ColorScale = DivergingScale | SequentialScale;

export function isSequential(scale: ColorScale): scale is SequentialScale {
  return (scale as SequentialScale).kind === 'sequential';
}

/** What a cell's description says about a quantity: its role and the range its activation bounds it to. */
export interface QuantityRole {
  role: 'state' | 'gate' | 'value';
  range?: [number, number];
}

/**
 * Which scale a quantity is drawn on: a gate bounded to a non-negative range (sigmoid, hard_sigmoid: (0, 1)) is
 * sequential over that range, since "closed" and "open" are its two ends and 0.5 is no middle; everything signed
 * (states, candidates, sums) or unbounded is diverging around 0.
 */
export function scaleKindFor(q: QuantityRole | undefined): { kind: 'sequential'; min: number; max: number } | { kind: 'diverging' } {
  if (q && q.role === 'gate' && q.range && q.range[0] >= 0 && q.range[1] > q.range[0]) return { kind: 'sequential', min: q.range[0], max: q.range[1] };
  return { kind: 'diverging' };
}

/** The lowest and highest value a scale tells apart. */
export function scaleBounds(scale: ColorScale): [number, number] {
  return isSequential(scale) ? [scale.min, scale.max] : [-scale.limit, scale.limit];
}

/** Colour of `v` on either kind of scale. NaN maps to the low end of a sequential scale, the middle of a diverging one. */
export function scaleColor(scale: ColorScale, v: number): Rgb {
  if (!isSequential(scale)) return divergingColor(scale, v);
  const t = Number.isFinite(v) ? Math.min(1, Math.max(0, (v - scale.min) / (scale.max - scale.min))) : 0;
  const { low, high } = scale;
  return [Math.round(low[0] + (high[0] - low[0]) * t), Math.round(low[1] + (high[1] - low[1]) * t), Math.round(low[2] + (high[2] - low[2]) * t)];
}

/** The symmetric limit for a set of values: max |v|, or 1 when all are zero. */
export function symmetricLimit(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a > m && Number.isFinite(a)) m = a;
  }
  return m === 0 ? 1 : m;
}

/** Colour of `v` on the scale (linear blend middle→end by |v|/limit). NaN maps to the middle colour. */
export function divergingColor(scale: DivergingScale, v: number): Rgb {
  if (!Number.isFinite(v)) return scale.middle;
  const t = Math.min(1, Math.abs(v) / scale.limit);
  const end = v < 0 ? scale.negative : scale.positive;
  const mid = scale.middle;
  return [
    Math.round(mid[0] + (end[0] - mid[0]) * t),
    Math.round(mid[1] + (end[1] - mid[1]) * t),
    Math.round(mid[2] + (end[2] - mid[2]) * t),
  ];
}

/**
 * Fill an RGBA pixel buffer (width×height) with a colour per value, using a 256-entry lookup table so
 * T=1000 × M=256 paints in a few milliseconds. `valueAt(x, y)` gives the value for pixel column x, row y.
 */
export function paintDiverging(
  pixels: Uint8ClampedArray,
  width: number,
  height: number,
  scale: ColorScale,
  valueAt: (x: number, y: number) => number,
): void {
  const lut = colorTable(scale);
  const [lo, hi] = scaleBounds(scale);
  const inv = 512 / (hi - lo);
  const nan = isSequential(scale) ? 0 : 256;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = valueAt(x, y);
      let k = Number.isFinite(v) ? Math.round((v - lo) * inv) : nan;
      if (k < 0) k = 0;
      else if (k > 512) k = 512;
      const p = (y * width + x) * 4;
      pixels[p] = lut[k * 3];
      pixels[p + 1] = lut[k * 3 + 1];
      pixels[p + 2] = lut[k * 3 + 2];
      pixels[p + 3] = 255;
    }
  }
}

/** 513 colours from the scale's low bound to its high one (for a diverging scale index 256 is 0). */
function colorTable(scale: ColorScale): Uint8Array {
  const lut = new Uint8Array(513 * 3);
  const [lo, hi] = scaleBounds(scale);
  for (let k = 0; k <= 512; k++) {
    const [r, g, b] = scaleColor(scale, lo + (k / 512) * (hi - lo));
    lut[k * 3] = r;
    lut[k * 3 + 1] = g;
    lut[k * 3 + 2] = b;
  }
  return lut;
}

/** A matrix inside a flat array: value(x, y) = data[offset + x·xStride + y·yStride]. */
export interface StridedMatrix {
  data: ArrayLike<number>;
  offset: number;
  xStride: number;
  yStride: number;
}

/** paintDiverging for a strided matrix, without a call per pixel (the T=1000 × M=256 heatmap). */
export function paintDivergingStrided(pixels: Uint8ClampedArray, width: number, height: number, scale: ColorScale, m: StridedMatrix): void {
  const lut = colorTable(scale);
  const [lo, hi] = scaleBounds(scale);
  const inv = 512 / (hi - lo);
  const nan = isSequential(scale) ? 0 : 256;
  const { data, offset, xStride, yStride } = m;
  // Walk the source in memory order (the inner loop over the smaller stride): a trace is [step][sample][unit],
  // so for steps across and units down the inner loop runs down a column of pixels.
  const yInner = Math.abs(yStride) <= Math.abs(xStride);
  const outer = yInner ? width : height;
  const inner = yInner ? height : width;
  const outerStride = yInner ? xStride : yStride;
  const innerStride = yInner ? yStride : xStride;
  const pOuter = yInner ? 4 : width * 4;
  const pInner = yInner ? width * 4 : 4;
  for (let o = 0; o < outer; o++) {
    let i = offset + o * outerStride;
    let p = o * pOuter;
    for (let n = 0; n < inner; n++, i += innerStride, p += pInner) {
      const v = data[i];
      let k = v === v && v !== Infinity && v !== -Infinity ? Math.round((v - lo) * inv) : nan;
      if (k < 0) k = 0;
      else if (k > 512) k = 512;
      const c = k * 3;
      pixels[p] = lut[c];
      pixels[p + 1] = lut[c + 1];
      pixels[p + 2] = lut[c + 2];
      pixels[p + 3] = 255;
    }
  }
}

/** Max |v| of a strided matrix (1 when all zero), for the colour limit. */
export function stridedLimit(width: number, height: number, m: StridedMatrix): number {
  let lim = 0;
  const yInner = Math.abs(m.yStride) <= Math.abs(m.xStride);
  const outer = yInner ? width : height;
  const inner = yInner ? height : width;
  const os = yInner ? m.xStride : m.yStride;
  const is = yInner ? m.yStride : m.xStride;
  for (let o = 0; o < outer; o++) {
    let i = m.offset + o * os;
    for (let n = 0; n < inner; n++, i += is) {
      const a = Math.abs(m.data[i]);
      if (a > lim && a !== Infinity) lim = a;
    }
  }
  return lim === 0 ? 1 : lim;
}

/** Relative luminance (WCAG) to pick readable text on a coloured cell. */
export function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function rgbCss([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}
