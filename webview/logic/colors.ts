// Colour scales for heatmaps: a diverging scale centred on 0 whose ends and middle come from the
// theme (VS Code chart colours and the editor background), so light, dark and high contrast all work.

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
  scale: DivergingScale,
  valueAt: (x: number, y: number) => number,
): void {
  const lut = colorTable(scale);
  const inv = 256 / scale.limit;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = valueAt(x, y);
      let k = Number.isFinite(v) ? Math.round(v * inv) + 256 : 256;
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

/** 513 colours from −limit to +limit (index 256 is 0). */
function colorTable(scale: DivergingScale): Uint8Array {
  const lut = new Uint8Array(513 * 3);
  for (let k = 0; k <= 512; k++) {
    const [r, g, b] = divergingColor(scale, ((k - 256) / 256) * scale.limit);
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
export function paintDivergingStrided(pixels: Uint8ClampedArray, width: number, height: number, scale: DivergingScale, m: StridedMatrix): void {
  const lut = colorTable(scale);
  const inv = 256 / scale.limit;
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
      let k = v === v && v !== Infinity && v !== -Infinity ? Math.round(v * inv) + 256 : 256;
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
