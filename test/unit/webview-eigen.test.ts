// Eigenvalues for the spectral-radius hint, checked against matrices whose eigenvalues are known by
// construction (hand-derived, not produced by the code under test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eigenvalues, spectralRadius, type Complex } from '../../webview/logic/eigen';

/** Deterministic LCG so the similarity transforms are reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** Random orthogonal Q (n×n, row-major) by Gram-Schmidt on random columns. */
function randomOrthogonal(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const q = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const v = Array.from({ length: n }, () => r());
    for (let k = 0; k < j; k++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += v[i] * q[i * n + k];
      for (let i = 0; i < n; i++) v[i] -= d * q[i * n + k];
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) q[i * n + j] = v[i] / norm;
  }
  return q;
}

function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) c[i * n + j] += a[i * n + k] * b[k * n + j];
  return c;
}

function transpose(a: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = a[i * n + j];
  return t;
}

/** Block-diagonal matrix with 1×1 blocks for real eigenvalues and [[a, b], [-b, a]] blocks for a ± bi. */
function blockDiagonal(blocks: Complex[], n: number): Float64Array {
  const d = new Float64Array(n * n);
  let i = 0;
  for (const c of blocks) {
    if (c.im === 0) {
      d[i * n + i] = c.re;
      i += 1;
    } else {
      d[i * n + i] = c.re;
      d[i * n + i + 1] = c.im;
      d[(i + 1) * n + i] = -c.im;
      d[(i + 1) * n + i + 1] = c.re;
      i += 2;
    }
  }
  assert.equal(i, n);
  return d;
}

/** Every expected eigenvalue is matched by a distinct computed one within tol. */
function assertSameSpectrum(got: Complex[], want: Complex[], tol: number): void {
  assert.equal(got.length, want.length);
  const used = new Array(got.length).fill(false);
  for (const w of want) {
    let best = -1;
    let bestDist = Infinity;
    got.forEach((g, k) => {
      const d = Math.hypot(g.re - w.re, g.im - w.im);
      if (!used[k] && d < bestDist) {
        best = k;
        bestDist = d;
      }
    });
    assert.ok(bestDist <= tol, `eigenvalue ${w.re}${w.im >= 0 ? '+' : ''}${w.im}i not found (closest is ${bestDist} away)`);
    used[best] = true;
  }
}

test('2×2 rotation scaled by 0.9 has eigenvalues 0.9·e^{±iθ}: radius 0.9 (power iteration would not settle)', () => {
  const th = 0.7;
  const a = [0.9 * Math.cos(th), -0.9 * Math.sin(th), 0.9 * Math.sin(th), 0.9 * Math.cos(th)];
  assertSameSpectrum(eigenvalues(a, 2), [{ re: 0.9 * Math.cos(th), im: 0.9 * Math.sin(th) }, { re: 0.9 * Math.cos(th), im: -0.9 * Math.sin(th) }], 1e-12);
  assert.ok(Math.abs(spectralRadius(a, 2) - 0.9) < 1e-12);
});

test('cyclic permutation of 5: eigenvalues are the fifth roots of unity', () => {
  const n = 5;
  const p = new Float64Array(n * n);
  for (let i = 0; i < n; i++) p[i * n + ((i + 1) % n)] = 1;
  const want = Array.from({ length: n }, (_, k) => ({ re: Math.cos((2 * Math.PI * k) / n), im: Math.sin((2 * Math.PI * k) / n) }));
  assertSameSpectrum(eigenvalues(p, n), want, 1e-10);
  assert.ok(Math.abs(spectralRadius(p, n) - 1) < 1e-10);
});

test('upper triangular: eigenvalues are the diagonal', () => {
  const a = [2, 5, -1, 7, 0, -3, 4, 1, 0, 0, 0.5, 9, 0, 0, 0, -0.25];
  assertSameSpectrum(eigenvalues(a, 4), [2, -3, 0.5, -0.25].map((re) => ({ re, im: 0 })), 1e-12);
  assert.equal(spectralRadius(a, 4), 3);
});

test('companion matrix of (x-1)(x+2)(x-3)(x^2+1) = x^5 - 2x^4 - 4x^3 + 4x^2 - 5x + 6', () => {
  // Expansion by hand: (x-1)(x+2) = x²+x-2; ·(x-3) = x³-2x²-5x+6; ·(x²+1) = x⁵-2x⁴-4x³+4x²-5x+6.
  const c = [-2, -4, 4, -5, 6];
  const n = 5;
  const a = new Float64Array(n * n);
  for (let j = 0; j < n; j++) a[j] = -c[j];
  for (let i = 1; i < n; i++) a[i * n + i - 1] = 1;
  const want = [{ re: 1, im: 0 }, { re: -2, im: 0 }, { re: 3, im: 0 }, { re: 0, im: 1 }, { re: 0, im: -1 }];
  assertSameSpectrum(eigenvalues(a, n), want, 1e-9);
  assert.ok(Math.abs(spectralRadius(a, n) - 3) < 1e-9);
});

test('hidden complex pair: Q·D·Qᵀ with D block-diagonal (random orthogonal Q, n = 12)', () => {
  const n = 12;
  const blocks: Complex[] = [
    { re: 0.3, im: 1.1 }, // modulus √(0.09+1.21) = √1.3, the largest
    { re: -0.8, im: 0 },
    { re: 0.5, im: 0.5 },
    { re: 1.0, im: 0 },
    { re: -0.2, im: 0.9 },
    { re: 0.05, im: 0 },
    { re: -1.05, im: 0 },
    { re: 0, im: 0.4 },
  ];
  const d = blockDiagonal(blocks, n);
  const q = randomOrthogonal(n, 42);
  const a = matmul(matmul(q, d, n), transpose(q, n), n);
  const want: Complex[] = [];
  for (const b of blocks) {
    want.push(b);
    if (b.im !== 0) want.push({ re: b.re, im: -b.im });
  }
  assertSameSpectrum(eigenvalues(a, n), want, 1e-9);
  assert.ok(Math.abs(spectralRadius(a, n) - Math.sqrt(1.3)) < 1e-9);
});

test('larger case: 64×64 orthogonal matrix scaled by 0.95 has all |λ| = 0.95', () => {
  const n = 64;
  const q = randomOrthogonal(n, 7);
  const a = q.map((v) => 0.95 * v);
  const eig = eigenvalues(a, n);
  assert.equal(eig.length, n);
  for (const l of eig) assert.ok(Math.abs(Math.hypot(l.re, l.im) - 0.95) < 1e-9, `|λ| = ${Math.hypot(l.re, l.im)}`);
});

test('degenerate inputs: zero matrix, 1×1, float32 input, NaN refused', () => {
  assert.equal(spectralRadius(new Float64Array(9), 3), 0);
  assert.equal(spectralRadius([-4], 1), 4);
  assert.ok(Math.abs(spectralRadius(new Float32Array([0, -0.5, 0.5, 0]), 2) - 0.5) < 1e-7);
  assert.throws(() => spectralRadius([1, NaN, 0, 1], 2), /NaN/);
  assert.throws(() => spectralRadius([1, 2, 3], 2), /expected 4 values/);
});

test('a 256×256 matrix (an LSTM(256) gate block): all 256 eigenvalues, summing to the trace', (t) => {
  const n = 256;
  const r = rng(3);
  const a = Float64Array.from({ length: n * n }, () => r() / 8);
  const t0 = performance.now();
  const eig = eigenvalues(a, n);
  const ms = performance.now() - t0;
  assert.equal(eig.length, n);
  // Trace = sum of eigenvalues (an identity independent of the algorithm).
  let trace = 0;
  for (let i = 0; i < n; i++) trace += a[i * n + i];
  const sum = eig.reduce((s, l) => s + l.re, 0);
  assert.ok(Math.abs(sum - trace) < 1e-8, `Σλ = ${sum}, trace = ${trace}`);
  // Timing is reported, not asserted (the machine is shared; timed tests would be flaky).
  t.diagnostic(`256×256 eigenvalues took ${ms.toFixed(0)} ms`);
});
