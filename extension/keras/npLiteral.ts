// Numbers and arrays written as NumPy literals: `np.array([[0.1, -0.25], [0.3, 0.4]], dtype=np.float32)`, with
// the fewest digits that read back as exactly the same float32 (at most 9) or float64 (at most 17), as NumPy's repr.
// Shared by the NumPy export (readable weights) and the panel's "Copy as np.array". Only digits, signs, `.`, `e`,
// brackets and np.nan / np.inf are ever written: nothing from a model file can become code here.

export type NpDtype = 'float32' | 'float64';

/** Cleans toPrecision's text: no trailing fraction zeros, `e` without `+`, a `.0` on whole numbers. */
function tidy(s: string): string {
  let [mant, exp] = s.split('e');
  if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, exp === undefined ? '.0' : '');
  else if (exp === undefined) mant = `${mant}.0`;
  if (exp === undefined) return mant;
  const e = Number(exp);
  return `${mant}e${e < 0 ? '-' : ''}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** The shortest decimal that reads back as the same value in `dtype` (NumPy's repr); nan/inf as np.nan, np.inf. */
export function floatText(v: number, dtype: NpDtype = 'float32'): string {
  if (Number.isNaN(v)) return 'np.nan';
  if (!Number.isFinite(v)) return v > 0 ? 'np.inf' : '-np.inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  if (dtype === 'float64') {
    // JavaScript's own shortest round-trip text of a double.
    const s = String(v);
    return /[.e]/.test(s) ? s.replace('e+', 'e') : `${s}.0`;
  }
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return tidy(s);
  }
  return tidy(f.toPrecision(9));
}

/** The most values one literal is written for (a 1024×1024 kernel; the text is about 14 MB). */
export const MAX_LITERAL_VALUES = 1 << 20;

/**
 * `np.array([...], dtype=np.float32)` of row-major `values` with `shape` (rank 0..8), columns padded like NumPy's
 * repr so rows line up; `indent` is the text before `np.array(` on the first line, for the alignment of later lines.
 */
export function npArrayText(values: ArrayLike<number>, shape: readonly number[], dtype: NpDtype = 'float32', indent = ''): string {
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.length > 8 || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new Error(`The shape (${shape.join(', ')}) cannot be written as an np.array.`);
  if (count !== values.length) throw new Error(`The shape (${shape.join(', ')}) holds ${count} values, not ${values.length}.`);
  if (count > MAX_LITERAL_VALUES) throw new Error(`${count} values are too many for one np.array literal (at most ${MAX_LITERAL_VALUES}).`);
  const dt = `dtype=np.${dtype}`;
  if (shape.length === 0) return `np.array(${floatText(values[0], dtype)}, ${dt})`;
  const texts: string[] = new Array(count);
  let width = 0;
  for (let i = 0; i < count; i++) {
    texts[i] = floatText(values[i], dtype);
    if (texts[i].length > width) width = texts[i].length;
  }
  const pad = (s: string) => s.padStart(width);
  const head = `${indent}np.array(`;
  const base = ' '.repeat(head.length);
  const rank = shape.length;
  // Built innermost-out without recursion: level k groups shape[k] items of level k+1, joined as NumPy does
  // (", " within a row; ",\n" between rows, with one blank line more per level above that).
  let items: string[] = texts.map(pad);
  for (let k = rank - 1; k >= 0; k--) {
    const n = shape[k];
    const groups = n === 0 ? 0 : items.length / n;
    const next: string[] = [];
    const depth = k + 1; // brackets open before an item of level k+1
    const sep = k === rank - 1 ? ', ' : `,${'\n'.repeat(rank - 1 - k)}${base}${' '.repeat(depth)}`;
    if (n === 0) {
      const outer = shape.slice(0, k).reduce((a, b) => a * b, 1);
      for (let g = 0; g < outer; g++) next.push('[]');
    } else {
      for (let g = 0; g < groups; g++) next.push(`[${items.slice(g * n, (g + 1) * n).join(sep)}]`);
    }
    items = next;
  }
  return `np.array(${items[0]}, ${dt})`;
}
