// Eigenvalues of a real square matrix (not necessarily symmetric), for the spectral radius of a
// recurrent kernel W_h. Power iteration alone is not enough: W_h often has its largest eigenvalues as
// a complex-conjugate pair (a rotation), where the iterate never settles. So: Householder reduction
// to upper Hessenberg form, then Francis implicit double-shift QR, which keeps real arithmetic and
// deflates 1×1 blocks (real eigenvalues) and 2×2 blocks (complex pairs).

export interface Complex {
  re: number;
  im: number;
}

/** Row-major n×n copy in float64 (input may be a Float32Array straight from the weights file). */
function toSquare(a: ArrayLike<number>, n: number): Float64Array {
  if (a.length !== n * n) throw new RangeError(`expected ${n * n} values for a ${n}×${n} matrix, got ${a.length}`);
  return Float64Array.from(a as ArrayLike<number>);
}

/** In-place Householder reduction of row-major H (n×n) to upper Hessenberg form (a similarity). */
export function hessenberg(H: Float64Array, n: number): void {
  const v = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // Reflect column k below the subdiagonal onto e_{k+1}.
    let norm = 0;
    for (let i = k + 1; i < n; i++) norm += H[i * n + k] * H[i * n + k];
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const x0 = H[(k + 1) * n + k];
    const alpha = x0 > 0 ? -norm : norm;
    let vnorm2 = 0;
    for (let i = k + 1; i < n; i++) {
      v[i] = H[i * n + k];
      if (i === k + 1) v[i] -= alpha;
      vnorm2 += v[i] * v[i];
    }
    if (vnorm2 === 0) continue;
    const beta = 2 / vnorm2;
    // H <- P H: rows k+1..n-1, all columns from k.
    for (let j = k; j < n; j++) {
      let s = 0;
      for (let i = k + 1; i < n; i++) s += v[i] * H[i * n + j];
      s *= beta;
      for (let i = k + 1; i < n; i++) H[i * n + j] -= s * v[i];
    }
    // H <- H P: all rows, columns k+1..n-1.
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = i * n;
      for (let j = k + 1; j < n; j++) s += H[row + j] * v[j];
      s *= beta;
      for (let j = k + 1; j < n; j++) H[row + j] -= s * v[j];
    }
    for (let i = k + 2; i < n; i++) H[i * n + k] = 0;
  }
}

/** Both eigenvalues of [[a, b], [c, d]]. */
function eig2(a: number, b: number, c: number, d: number): [Complex, Complex] {
  const half = (a + d) / 2;
  const p = (a - d) / 2;
  const disc = p * p + b * c;
  if (disc >= 0) {
    const sq = Math.sqrt(disc);
    // Avoid cancellation: compute the larger-magnitude root first, the other from the determinant.
    const big = half >= 0 ? half + sq : half - sq;
    const det = a * d - b * c;
    const small = big !== 0 ? det / big : half - (half >= 0 ? sq : -sq);
    return [{ re: big, im: 0 }, { re: small, im: 0 }];
  }
  const im = Math.sqrt(-disc);
  return [{ re: half, im }, { re: half, im: -im }];
}

/**
 * All n eigenvalues of the row-major n×n matrix `a`. Throws if QR fails to converge (which for
 * real-world weight matrices does not happen within the iteration budget).
 */
export function eigenvalues(a: ArrayLike<number>, n: number): Complex[] {
  if (n === 0) return [];
  const H = toSquare(a, n);
  for (let i = 0; i < H.length; i++) if (!Number.isFinite(H[i])) throw new RangeError('the matrix holds NaN or Infinity');
  if (n === 1) return [{ re: H[0], im: 0 }];
  hessenberg(H, n);
  const out: Complex[] = [];
  const eps = Number.EPSILON;
  let anorm = 0;
  for (let i = 0; i < H.length; i++) anorm += Math.abs(H[i]);
  if (anorm === 0) return Array.from({ length: n }, () => ({ re: 0, im: 0 }));
  const at = (i: number, j: number) => H[i * n + j];
  let hi = n - 1;
  let iter = 0;
  let totalIter = 0;
  const maxTotal = 100 * n;
  while (hi >= 0) {
    // Find the start l of the unreduced block that ends at hi.
    let l = hi;
    while (l > 0) {
      let s = Math.abs(at(l - 1, l - 1)) + Math.abs(at(l, l));
      if (s === 0) s = anorm;
      if (Math.abs(at(l, l - 1)) <= eps * s) {
        H[l * n + l - 1] = 0;
        break;
      }
      l--;
    }
    if (l === hi) {
      out.push({ re: at(hi, hi), im: 0 });
      hi -= 1;
      iter = 0;
      continue;
    }
    if (l === hi - 1) {
      out.push(...eig2(at(hi - 1, hi - 1), at(hi - 1, hi), at(hi, hi - 1), at(hi, hi)));
      hi -= 2;
      iter = 0;
      continue;
    }
    if (++totalIter > maxTotal) throw new Error('eigenvalue iteration did not converge');
    iter++;
    // Shifts: the eigenvalues of the trailing 2×2 block, via their sum s and product t.
    let s: number;
    let t: number;
    if (iter % 11 === 10) {
      // Exceptional shift to break rare cycles.
      const w = Math.abs(at(hi, hi - 1)) + Math.abs(at(hi - 1, hi - 2));
      s = 1.5 * w;
      t = w * w;
    } else {
      s = at(hi - 1, hi - 1) + at(hi, hi);
      t = at(hi - 1, hi - 1) * at(hi, hi) - at(hi - 1, hi) * at(hi, hi - 1);
    }
    // First column of (H - σ1 I)(H - σ2 I) = H² - sH + tI; only three entries are non-zero.
    let x = at(l, l) * at(l, l) + at(l, l + 1) * at(l + 1, l) - s * at(l, l) + t;
    let y = at(l + 1, l) * (at(l, l) + at(l + 1, l + 1) - s);
    let z = at(l + 1, l) * at(l + 2, l + 1);
    // Chase the bulge down the block l..hi with 3×3 reflectors, then a final 2×2 one.
    for (let k = l; k <= hi - 1; k++) {
      const m = k <= hi - 2 ? 3 : 2;
      const norm = m === 3 ? Math.hypot(x, y, z) : Math.hypot(x, y);
      if (norm !== 0) {
        const alpha = x > 0 ? -norm : norm;
        const v0 = x - alpha;
        const v1 = y;
        const v2 = m === 3 ? z : 0;
        const vv = v0 * v0 + v1 * v1 + v2 * v2;
        if (vv !== 0) {
          const beta = 2 / vv;
          const c0 = Math.max(l, k - 1);
          // Left: rows k..k+m-1, columns c0..hi.
          for (let j = c0; j <= hi; j++) {
            let d = v0 * H[k * n + j] + v1 * H[(k + 1) * n + j];
            if (m === 3) d += v2 * H[(k + 2) * n + j];
            d *= beta;
            H[k * n + j] -= d * v0;
            H[(k + 1) * n + j] -= d * v1;
            if (m === 3) H[(k + 2) * n + j] -= d * v2;
          }
          // Right: columns k..k+m-1, rows l..min(k+3, hi).
          const rEnd = Math.min(k + 3, hi);
          for (let i = l; i <= rEnd; i++) {
            const row = i * n;
            let d = v0 * H[row + k] + v1 * H[row + k + 1];
            if (m === 3) d += v2 * H[row + k + 2];
            d *= beta;
            H[row + k] -= d * v0;
            H[row + k + 1] -= d * v1;
            if (m === 3) H[row + k + 2] -= d * v2;
          }
        }
      }
      if (k < hi - 1) {
        x = at(k + 1, k);
        y = at(k + 2, k);
        z = k < hi - 2 ? at(k + 3, k) : 0;
      }
    }
  }
  return out;
}

export function modulus(c: Complex): number {
  return Math.hypot(c.re, c.im);
}

/** ρ(A) = max |λ|. */
export function spectralRadius(a: ArrayLike<number>, n: number): number {
  let rho = 0;
  for (const l of eigenvalues(a, n)) rho = Math.max(rho, modulus(l));
  return rho;
}
