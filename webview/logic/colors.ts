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
  const lut = new Uint8Array(513 * 3);
  for (let k = 0; k <= 512; k++) {
    const [r, g, b] = divergingColor(scale, ((k - 256) / 256) * scale.limit);
    lut[k * 3] = r;
    lut[k * 3 + 1] = g;
    lut[k * 3 + 2] = b;
  }
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
