// Number and vector formatting shared by the tables, tooltips and the equation walk-through.

/** Significant digits of numbers shown in full (the kerasRnnInspector.digits setting the host sends; default 6). */
let shownDigits = 6;

/** Sets the digits shown (a whole number 1..17; anything else is ignored). */
export function setDigits(n: unknown): void {
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 17) shownDigits = n;
}

/** A compact number for table cells: 4 significant digits (fewer if the setting asks), exponent form for very small/large values. */
export function fmt(v: number, digits = Math.min(4, shownDigits)): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-4) return v.toExponential(Math.max(0, digits - 2)).replace('e+', 'e');
  const s = v.toPrecision(digits);
  // Drop trailing zeros of the fraction ("0.5000" -> "0.5") but keep integers as they are.
  return s.includes('.') && !s.includes('e') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** The digits setting's precision (default 6; a float32 holds ~7) for walk-through results and tooltips. */
export function fmtFull(v: number): string {
  return fmt(v, shownDigits);
}

/** `[0.1, -0.25, 0.3]`, or the first `limit` entries and `… (+n more)`. */
export function fmtVector(values: ArrayLike<number>, limit = Infinity, digits = 4): string {
  const n = values.length;
  const shown = Math.min(n, limit);
  const parts: string[] = [];
  for (let i = 0; i < shown; i++) parts.push(fmt(values[i], digits));
  const more = n > shown ? `, … (+${n - shown} more)` : '';
  return `[${parts.join(', ')}${more}]`;
}

/** Integer with thin-space thousands grouping, as model.summary() prints `57` or `4,353`. */
export function fmtCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Milliseconds for status lines. */
export function fmtMs(ms: number): string {
  return ms < 10 ? `${ms.toFixed(1)} ms` : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** `x₃`-style subscript for small step numbers in equations. */
export function sub(n: number | string): string {
  const map: Record<string, string> = { '0': '₀', '1': '₁', '2': '₂', '3': '₃', '4': '₄', '5': '₅', '6': '₆', '7': '₇', '8': '₈', '9': '₉', '-': '₋', '+': '₊' };
  return String(n)
    .split('')
    .map((c) => map[c] ?? c)
    .join('');
}

/** Parse a unit list like `0-3, 7, 10` into sorted unique indices within [0, max). */
export function parseUnitList(text: string, max: number): { units: number[]; error?: string } {
  const units = new Set<number>();
  const trimmed = text.trim();
  if (!trimmed) return { units: [], error: 'Enter one or more unit numbers, e.g. 0-3, 7.' };
  for (const part of trimmed.split(/[\s,;]+/).filter(Boolean)) {
    const m = /^(\d+)(?:\s*[-–]\s*(\d+))?$/.exec(part);
    if (!m) return { units: [], error: `"${part}" is not a unit number or range; write e.g. 0-3, 7.` };
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > b) return { units: [], error: `The range ${part} runs backwards; write the smaller unit first.` };
    if (b >= max) return { units: [], error: `Unit ${b} does not exist: this layer has units 0 to ${max - 1}.` };
    for (let u = a; u <= b; u++) units.add(u);
  }
  return { units: [...units].sort((x, y) => x - y) };
}
