// The products and activations recurrent cells spend their time in, in float32 as Keras computes:
//   vecMat  out = init + v · W             (the recurrent product of one step)
//   matMul  out[r] = init + a[r] · W       (the input projection of a block of steps, one product)
//   sigmoid, tanh in place                 (vectorized; float64 lanes inside, so the float32 result is correctly
//                                           rounded but for rare ties: within 1 ulp of Math.tanh / 1/(1+exp(-x)))
//   mul, add, mulAdd, lerp, addMul         (the cells' gate and state updates, float32 as Keras computes them)
// Float64 is used in one place: the recurrent products W and U of the cells sum 32 rows at a time in float32 and add
// those block sums in float64 (MatrixSpec.blocked says why). In WebAssembly that is one call (vecmatb) and costs
// little against plain float32 sums (15.7 vs 13.6 ms per 1000 steps of a 256×1024 product here).
// Three paths: WebAssembly relaxed SIMD (fused multiply-add, f32x4.relaxed_madd) where the runtime has it, plain
// WebAssembly SIMD (multiply then add), and plain JS. The module is assembled here from its instructions, so nothing
// is downloaded or built. W is stored packed in panels of 32 columns (each panel K rows × 32 contiguous values), so
// a step streams W once, front to back, and keeps 32 running sums in registers.

export type KernelBackend = 'relaxed-simd' | 'wasm-simd' | 'js';

/** A matrix packed into a workspace: K rows × N columns as ceil(N/32) panels of K × 32 values (zero padded). */
export interface KernelMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly panels: number;
  /** Rows per block of a recurrent matrix in WebAssembly (packed block after block), else all rows. */
  readonly blockRows: number;
  readonly data: Float32Array;
}

export interface Workspace {
  readonly backend: KernelBackend;
  readonly matrices: KernelMatrix[];
  /**
   * Zeroed float32 vectors of the requested sizes, each padded to a whole panel plus 32 values: the kernels write
   * whole panels (the padding columns get init's padding back), so a vector must not be shared by two uses.
   */
  readonly vectors: Float32Array[];
  /** out[o, o+N) = init[i, i+N) + v[0, K) · mat (N = mat.cols, K = mat.rows); out, init and v are vectors of this workspace. */
  vecMat(out: Float32Array, o: number, init: Float32Array, i: number, v: Float32Array, mat: KernelMatrix): void;
  /** For r < rows: out[r·ldo, +N) = init[0, N) + a[r·lda, +K) · mat (the rows of a block of steps at once). */
  matMul(out: Float32Array, ldo: number, init: Float32Array, a: Float32Array, lda: number, rows: number, mat: KernelMatrix): void;
  /** a[from, from+n) = sigmoid(a[...]) and tanh(a[...]) in place. */
  sigmoid(a: Float32Array, from: number, n: number): void;
  tanh(a: Float32Array, from: number, n: number): void;
  /** All the vectors as one float32 array: the ops below take indices into it (at(v) is where vector v starts). */
  readonly heap: Float32Array;
  at(v: Float32Array): number;
  /** vecMat on heap indices: heap[out, +N) = heap[init, +N) + heap[v, +K) · mat. */
  vecMatAt(out: number, init: number, v: number, mat: KernelMatrix): void;
  /**
   * Elementwise over n values at heap indices, in float32 as Keras computes (each product rounded):
   * mul dst = a⊙b, add dst = a + b, mulAdd dst = a⊙b + c⊙d, lerp dst = a⊙b + (1 − a)⊙c, addMul dst = a + b⊙c.
   * WebAssembly works on whole groups of 4, so up to 3 values past dst + n may be overwritten (vectors are padded;
   * rows of a block are written in order, so spill lands where the next row is yet to be written).
   */
  mul(dst: number, a: number, b: number, n: number): void;
  add(dst: number, a: number, b: number, n: number): void;
  mulAdd(dst: number, a: number, b: number, c: number, d: number, n: number): void;
  lerp(dst: number, a: number, b: number, c: number, n: number): void;
  addMul(dst: number, a: number, b: number, c: number, n: number): void;
  /**
   * Hands the workspace's WebAssembly memory and instance to the next workspace (a fresh memory costs a page fault per
   * 4 KB touched, several milliseconds per run on some machines; a fresh instance, slow first calls). Call only when
   * nothing uses this workspace any more.
   */
  release(): void;
}

/** Columns per panel: 8 f32x4 running sums. */
export const PANEL = 32;
const padPanel = (n: number): number => Math.ceil(n / PANEL) * PANEL;

// ---------------------------------------------------------------------------------------------------------
// WebAssembly encoding helpers

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...leb(bytes.length), ...bytes];
const name = (s: string): number[] => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

const I32 = 0x7f;
const V128 = 0x7b;
const get = (i: number): number[] => [0x20, i];
const set = (i: number): number[] => [0x21, i];
const tee = (i: number): number[] => [0x22, i];
/** Signed LEB128, as i32.const reads its immediate (an unsigned encoding of 64..127 would read as negative). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}
const i32 = (n: number): number[] => [0x41, ...sleb(n)];
const ADD = [0x6a];
const SUB = [0x6b];
const MUL = [0x6c];
const EQZ = [0x45];
const GE_U = [0x4f];
const GT_U = [0x4b];
const SHL = [0x74];
const simd = (op: number): number[] => [0xfd, ...leb(op)];
const V_LOAD = (offset: number): number[] => [...simd(0x00), 4, ...leb(offset)];
const V_STORE = (offset: number): number[] => [...simd(0x0b), 4, ...leb(offset)];
const LOAD32_SPLAT_AT = (offset: number): number[] => [...simd(0x09), 2, ...leb(offset)];
const LOAD64_ZERO = [...simd(0x5d), 3, 0];
const STORE64_LANE0 = [...simd(0x5b), 3, 0, 0];
const F32_ADD = simd(0xe4);
const F32_MUL = simd(0xe6);
const RELAXED_MADD = simd(0x105); // f32x4.relaxed_madd(a, b, c) = a·b + c, fused where the hardware has FMA
const F64_ADD = simd(0xf0);
const F64_SUB = simd(0xf1);
const F64_MUL = simd(0xf2);
const F64_DIV = simd(0xf3);
const F64_PMIN = simd(0xf6); // b < a ? b : a, one minpd (f64x2.min's NaN rules take seven): NaN in a stays NaN
const F64_PMAX = simd(0xf7); // a < b ? b : a
const F64_ABS = simd(0xec);
const F64_LT = simd(0x49);
const F64_NEAREST = simd(0x94);
const PROMOTE = simd(0x5f); // f64x2.promote_low_f32x4
const DEMOTE = simd(0x5e); // f32x4.demote_f64x2_zero
const TRUNC_SAT_ZERO = simd(0xfc); // i32x4.trunc_sat_f64x2_s_zero
const EXTEND_LOW_S = simd(0xc7); // i64x2.extend_low_i32x4_s
const I64_ADD = simd(0xce);
const I64_SHL = simd(0xcb);
const V_AND = simd(0x4e);
const V_OR = simd(0x50);
const BITSELECT = simd(0x52);
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const BR = (depth: number): number[] => [0x0c, depth];
const BR_IF = (depth: number): number[] => [0x0d, depth];
const CALL = (f: number): number[] => [0x10, f];

function f64Const(x: number): number[] {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setFloat64(0, x, true);
  dv.setFloat64(8, x, true);
  return [...simd(0x0c), ...b];
}
function i64Const(x: number): number[] {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setBigInt64(0, BigInt(x), true);
  dv.setBigInt64(8, BigInt(x), true);
  return [...simd(0x0c), ...b];
}
function bitsConst(hi: number, lo: number): number[] {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  for (const at of [0, 8]) {
    dv.setUint32(at, lo, true);
    dv.setUint32(at + 4, hi, true);
  }
  return [...simd(0x0c), ...b];
}

/** while (!cond) { body } where cond leaves an i32 on the stack. */
const whileNot = (cond: number[], body: number[]): number[] => [...BLOCK, ...LOOP, ...cond, ...BR_IF(1), ...body, ...BR(0), ...END, ...END];
const advance = (local: number, bytes: number): number[] => [...get(local), ...i32(bytes), ...ADD, ...set(local)];

// ---- the recurrent product's inner loop, shared by vecmat and vecmatb ----
// A panel's 32 columns are two strips of 16 (4 f32x4 running sums each, P and Q), and one pass does one row of one
// strip: it adds row k's products into P, then hands the sums on, P ← Q and Q ← the new sums, and its W pointer from
// strip to strip (X ← Y, Y ← X + one row), so the next pass does the other strip; v[k] serves two passes (VP ← VP2,
// VP2 ← VP + 4). Each sum is still updated row after row (fma on relaxed SIMD, multiply then add on plain SIMD), so
// results are bit for bit those of a pass over the whole panel row. Why: TurboFan issues all loads of a pass before
// its arithmetic, so what a pass keeps live must fit the 15 xmm registers it allocates. A whole panel row per pass
// (8 W vectors + splat + 8 sums, or 2 rows: 16 + 2 + 8) spilled sums to the stack every pass; one strip of one row
// keeps 4 W vectors + splat + 8 sums, and its 8 sums are 8 independent fma chains, enough to hide the fma latency
// (4 sums of a 16-column strip, 2 rows a pass, were latency bound). 512×512 blocked, relaxed: 22 → 34 GFLOP/s.
function stripPasses(relaxed: boolean, X: number, Y: number, VP: number, VP2: number, CNT: number, TMP: number, S: number, sums: (i: number) => number): number[] {
  const P = (i: number): number => sums(i);
  const Q = (i: number): number => sums(4 + i);
  const NEW = (i: number): number => sums(8 + i);
  const body = [
    ...get(VP), ...LOAD32_SPLAT_AT(0), ...set(S),
    ...[0, 1, 2, 3].flatMap((i) =>
      relaxed
        ? [...get(X), ...V_LOAD(16 * i), ...get(S), ...get(P(i)), ...RELAXED_MADD, ...set(NEW(i))]
        : [...get(P(i)), ...get(X), ...V_LOAD(16 * i), ...get(S), ...F32_MUL, ...F32_ADD, ...set(NEW(i))],
    ),
    ...[0, 1, 2, 3].flatMap((i) => [...get(Q(i)), ...set(P(i)), ...get(NEW(i)), ...set(Q(i))]),
    ...get(X), ...set(TMP), ...get(Y), ...set(X), ...get(TMP), ...i32(128), ...ADD, ...set(Y),
    ...get(VP), ...set(TMP), ...get(VP2), ...set(VP), ...get(TMP), ...i32(4), ...ADD, ...set(VP2),
    ...get(CNT), ...i32(1), ...SUB, ...set(CNT),
  ];
  // CNT passes (2 per row: an even count, so P ends as the first strip's sums, Q as the second's).
  return whileNot([...get(CNT), ...EQZ], body);
}

// ---- function 0: vecmat(out, init, v, K, mat, panels) ----
function vecmatBody(relaxed: boolean): number[] {
  const [OUT, INIT, V, K, MAT, NP] = [0, 1, 2, 3, 4, 5];
  const [X, Y, VP, VP2, CNT, TMP, W] = [6, 7, 8, 9, 10, 11, 12];
  const S = 13;
  const sums = (i: number): number => 14 + i; // P 0..3, Q 4..7, new sums 8..11
  const panel = [
    ...Array.from({ length: 8 }, (_, i) => [...get(INIT), ...V_LOAD(16 * i), ...set(sums(i))]).flat(),
    ...get(W), ...set(X), ...get(W), ...i32(64), ...ADD, ...set(Y),
    ...get(V), ...tee(VP), ...set(VP2),
    ...get(K), ...i32(1), ...SHL, ...set(CNT),
    ...stripPasses(relaxed, X, Y, VP, VP2, CNT, TMP, S, sums),
    ...Array.from({ length: 8 }, (_, i) => [...get(OUT), ...get(sums(i)), ...V_STORE(16 * i)]).flat(),
    ...advance(OUT, 128),
    ...advance(INIT, 128),
    // the next panel: K rows of 128 bytes on
    ...get(W), ...get(K), ...i32(7), ...SHL, ...ADD, ...set(W),
    ...get(NP), ...i32(1), ...SUB, ...set(NP),
  ];
  return [...vec([[7, I32], [13, V128]]), ...get(MAT), ...set(W), ...whileNot([...get(NP), ...EQZ], panel), ...END];
}

// ---- function 1: matmul(out, ldoBytes, init, a, ldaBytes, rows, K, mat, panels) ----
// Rows in pairs over blocks of 16 columns: each W value loaded once serves both rows (8 running sums), which halves
// the loads of W against one row at a time; an odd last row goes through vecmat.
function matmulBody(relaxed: boolean): number[] {
  const [OUT, LDO, INIT, A, LDA, ROWS, K, MAT, NP] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [B, WP, AP0, AP1, AEND, OB] = [9, 10, 11, 12, 13, 14];
  const [S0, S1] = [15, 16];
  const Wv = (i: number): number => 17 + i;
  const ACC = (i: number): number => 21 + i;
  const madd = (s: number, w: number, acc: number): number[] =>
    relaxed ? [...get(s), ...get(w), ...get(acc), ...RELAXED_MADD, ...set(acc)] : [...get(s), ...get(w), ...F32_MUL, ...get(acc), ...F32_ADD, ...set(acc)];
  const inner = [
    ...get(AP0), ...LOAD32_SPLAT_AT(0), ...set(S0),
    ...get(AP1), ...LOAD32_SPLAT_AT(0), ...set(S1),
    ...[0, 1, 2, 3].flatMap((i) => [...get(WP), ...V_LOAD(16 * i), ...set(Wv(i))]),
    ...[0, 1, 2, 3].flatMap((i) => [...madd(S0, Wv(i), ACC(i)), ...madd(S1, Wv(i), ACC(4 + i))]),
    ...advance(WP, 128), ...advance(AP0, 4), ...advance(AP1, 4),
  ];
  const block = [
    // OB = B·64 (bytes into a row of out and into init)
    ...get(B), ...i32(6), ...[0x74], ...set(OB),
    ...[0, 1, 2, 3].flatMap((i) => [...get(INIT), ...get(OB), ...ADD, ...V_LOAD(16 * i), ...tee(ACC(i)), ...set(ACC(4 + i))]),
    // WP = MAT + (B >> 1)·K·128 + (B & 1)·64
    ...get(MAT), ...get(B), ...i32(1), ...[0x76], ...get(K), ...MUL, ...i32(7), ...[0x74], ...ADD,
    ...get(B), ...i32(1), ...[0x71], ...i32(6), ...[0x74], ...ADD, ...set(WP),
    ...get(A), ...set(AP0), ...get(A), ...get(LDA), ...ADD, ...set(AP1),
    ...get(A), ...get(K), ...i32(2), ...[0x74], ...ADD, ...set(AEND),
    ...whileNot([...get(AP0), ...get(AEND), ...GE_U], inner),
    ...[0, 1, 2, 3].flatMap((i) => [...get(OUT), ...get(OB), ...ADD, ...get(ACC(i)), ...V_STORE(16 * i)]),
    ...[0, 1, 2, 3].flatMap((i) => [...get(OUT), ...get(LDO), ...ADD, ...get(OB), ...ADD, ...get(ACC(4 + i)), ...V_STORE(16 * i)]),
    ...advance(B, 1),
  ];
  const pair = [
    ...i32(0), ...set(B),
    ...whileNot([...get(B), ...get(NP), ...i32(1), ...[0x74], ...GE_U], block),
    ...get(OUT), ...get(LDO), ...i32(1), ...[0x74], ...ADD, ...set(OUT),
    ...get(A), ...get(LDA), ...i32(1), ...[0x74], ...ADD, ...set(A),
    ...get(ROWS), ...i32(2), ...SUB, ...set(ROWS),
  ];
  const code = [
    ...whileNot([...get(ROWS), ...i32(2), ...[0x49]], pair), // i32.lt_u: stop below two rows
    ...get(ROWS), ...[0x04, 0x40], // if (ROWS)
    ...get(OUT), ...get(INIT), ...get(A), ...get(K), ...get(MAT), ...get(NP), ...CALL(0),
    ...END,
    ...END,
  ];
  return [...vec([[6, I32], [14, V128]]), ...code];
}

// ---- exp over f64x2 (the value on the stack, left on the stack), with locals X, N, P of type v128 ----
// x clamped to ±708 (NaN stays NaN), n = nearest(x·log2 e), r = x − n·ln2 (two parts), e^r by its Taylor series to
// r^10 (|r| ≤ 0.347: relative error 2e-13, far below float32's 6e-8), times 2^n built in the exponent bits.
function expF64(X: number, N: number, P: number): number[] {
  const coeffs: number[] = [];
  let f = 1;
  for (let k = 0; k <= 10; k++) {
    if (k > 0) f *= k;
    coeffs.push(1 / f);
  }
  const horner: number[] = [...f64Const(coeffs[10])];
  for (let k = 9; k >= 0; k--) horner.push(...get(P), ...F64_MUL, ...f64Const(coeffs[k]), ...F64_ADD);
  return [
    ...f64Const(708), ...F64_PMIN, ...f64Const(-708), ...F64_PMAX, ...set(X),
    ...get(X), ...f64Const(Math.LOG2E), ...F64_MUL, ...F64_NEAREST, ...set(N),
    ...get(X), ...get(N), ...f64Const(0.6931471803691238), ...F64_MUL, ...F64_SUB,
    ...get(N), ...f64Const(1.9082149292705877e-10), ...F64_MUL, ...F64_SUB, ...set(P),
    ...horner,
    ...get(N), ...TRUNC_SAT_ZERO, ...EXTEND_LOW_S, ...i64Const(1023), ...I64_ADD, ...i32(52), ...I64_SHL,
    ...F64_MUL,
  ];
}

// ---- functions 2 and 3: sigmoid(ptr, pairs), tanh(ptr, pairs): in place over float32 pairs ----
// Two pairs per pass (one f32x4 load and store): TurboFan builds each v128 constant inside the loop, three
// instructions apiece (even when set into a local before it), so a pass over 4 values shares them where one over 2
// built them per pair (2.0 vs 3.7 ms per 1000 × 512 tanh here).
function activationBody(kind: 'sigmoid' | 'tanh'): number[] {
  const [PTR, PAIRS, Q] = [0, 1, 2];
  // Locals X, N, P, Y, AX of one f64x2 half: 3..7 and 8..12.
  const half = (h: number): number[] => [3 + 5 * h, 4 + 5 * h, 5 + 5 * h, 6 + 5 * h, 7 + 5 * h];
  const value = (h: number): number[] => {
    const [X, N, P, Y, AX] = half(h);
    return kind === 'sigmoid'
      ? // 1 / (1 + e^(−x))
        [...f64Const(1), ...f64Const(1), ...f64Const(0), ...get(Y), ...F64_SUB, ...expF64(X, N, P), ...F64_ADD, ...F64_DIV]
      : // |x| < 2^-12: x (tanh x = x within float32 rounding there); else sign(x)·(1 − 2/(e^(2|x|) + 1))
        [
          ...get(Y), ...F64_ABS, ...set(AX),
          ...get(Y),
          ...bitsConst(0x80000000, 0), ...get(Y), ...V_AND,
          ...f64Const(1), ...f64Const(2), ...get(AX), ...get(AX), ...F64_ADD, ...expF64(X, N, P), ...f64Const(1), ...F64_ADD, ...F64_DIV, ...F64_SUB,
          ...V_OR,
          ...get(AX), ...f64Const(2 ** -12), ...F64_LT,
          ...BITSELECT,
        ];
  };
  const [Y0, Y1] = [half(0)[3], half(1)[3]];
  const quad = [
    ...get(PTR), ...V_LOAD(0), ...set(Q),
    ...get(Q), ...PROMOTE, ...set(Y0),
    ...get(Q), ...get(Q), ...HIGH_HALF, ...PROMOTE, ...set(Y1),
    ...get(PTR), ...value(0), ...DEMOTE, ...value(1), ...DEMOTE, ...JOIN_LOW_HALVES, ...V_STORE(0),
    ...advance(PTR, 16), ...get(PAIRS), ...i32(2), ...SUB, ...set(PAIRS),
  ];
  const pair = [...get(PTR), ...get(PTR), ...LOAD64_ZERO, ...PROMOTE, ...set(Y0), ...value(0), ...DEMOTE, ...STORE64_LANE0];
  // Pairs of pairs, then an odd last pair.
  return [
    ...vec([[11, V128]]),
    ...whileNot([...get(PAIRS), ...i32(2), ...[0x49]], quad), // i32.lt_u: stop below two pairs
    ...get(PAIRS), ...[0x04, 0x40], ...pair, ...END, // if (PAIRS)
    ...END,
  ];
}

// ---- functions 4, 5, 6: widen(dst f64, src f32, pairs), accum(dst f64 += src f32), narrow(dst f32, src f64) ----
function pairsBody(kind: 'widen' | 'accum' | 'narrow'): number[] {
  const [DST, SRC, PAIRS] = [0, 1, 2];
  const op =
    kind === 'widen'
      ? [...get(DST), ...get(SRC), ...LOAD64_ZERO, ...PROMOTE, ...V_STORE(0), ...advance(DST, 16), ...advance(SRC, 8)]
      : kind === 'accum'
        ? [...get(DST), ...get(DST), ...V_LOAD(0), ...get(SRC), ...LOAD64_ZERO, ...PROMOTE, ...F64_ADD, ...V_STORE(0), ...advance(DST, 16), ...advance(SRC, 8)]
        : [...get(DST), ...get(SRC), ...V_LOAD(0), ...DEMOTE, ...STORE64_LANE0, ...advance(DST, 8), ...advance(SRC, 16)];
  return [...vec([]), ...whileNot([...get(PAIRS), ...EQZ], [...op, ...get(PAIRS), ...i32(1), ...SUB, ...set(PAIRS)]), ...END];
}

const F32_SUB = simd(0xe5);
const shuffle = (lanes: number[]): number[] => [...simd(0x0d), ...lanes];
const HIGH_HALF = shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]); // lanes 2, 3 to 0, 1
const JOIN_LOW_HALVES = shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
const SELECT = [0x1b];
function f32Const(x: number): number[] {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < 4; i++) dv.setFloat32(4 * i, x, true);
  return [...simd(0x0c), ...b];
}

// ---- function 7: vecmatb(out, init, v, K, mat, panels, s64): out = init + v · mat, summed in float32 over blocks
// of ACC_BLOCK rows and the blocks added in float64 (mat packed block after block, each block a packed matrix of
// its rows). Per panel: init widened into 32 float64 sums at s64, then per block the strip passes over its rows into
// 8 running f32x4 sums, added into the float64 sums; the sums narrowed into out. The same arithmetic as vecmat per
// block + accum, in one call.
function vecmatBlockedBody(relaxed: boolean): number[] {
  const [OUT, INIT, V, K, MAT, NP, S64] = [0, 1, 2, 3, 4, 5, 6];
  const [X, Y, VP, VP2, CNT, TMP, P, R, ROWS, WIDTH] = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const [S, XV] = [17, 18];
  const sums = (i: number): number => 19 + i; // P 0..3, Q 4..7, new sums 8..11
  const zero = f32Const(0);
  const s64At = (i: number, half: number): number => 32 * i + 16 * half;
  const block = [
    // ROWS = min(ACC_BLOCK, K − R); X = MAT + R·WIDTH + P·ROWS·128, Y = X + 64; VP = VP2 = V + 4R; CNT = 2·ROWS
    ...i32(ACC_BLOCK), ...get(K), ...get(R), ...SUB, ...get(K), ...get(R), ...SUB, ...i32(ACC_BLOCK), ...GT_U, ...SELECT, ...set(ROWS),
    ...get(MAT), ...get(R), ...get(WIDTH), ...MUL, ...ADD, ...get(P), ...get(ROWS), ...MUL, ...i32(7), ...SHL, ...ADD, ...tee(X),
    ...i32(64), ...ADD, ...set(Y),
    ...get(V), ...get(R), ...i32(2), ...SHL, ...ADD, ...tee(VP), ...set(VP2),
    ...get(ROWS), ...i32(1), ...SHL, ...set(CNT),
    ...Array.from({ length: 8 }, (_, i) => [...zero, ...set(sums(i))]).flat(),
    ...stripPasses(relaxed, X, Y, VP, VP2, CNT, TMP, S, sums),
    ...Array.from({ length: 8 }, (_, i) => [
      ...get(S64), ...get(S64), ...V_LOAD(s64At(i, 0)), ...get(sums(i)), ...PROMOTE, ...F64_ADD, ...V_STORE(s64At(i, 0)),
      ...get(S64), ...get(S64), ...V_LOAD(s64At(i, 1)), ...get(sums(i)), ...get(sums(i)), ...HIGH_HALF, ...PROMOTE, ...F64_ADD, ...V_STORE(s64At(i, 1)),
    ]).flat(),
    ...advance(R, ACC_BLOCK),
  ];
  const panel = [
    ...Array.from({ length: 8 }, (_, i) => [
      ...get(INIT), ...V_LOAD(16 * i), ...set(XV),
      ...get(S64), ...get(XV), ...PROMOTE, ...V_STORE(s64At(i, 0)),
      ...get(S64), ...get(XV), ...get(XV), ...HIGH_HALF, ...PROMOTE, ...V_STORE(s64At(i, 1)),
    ]).flat(),
    ...i32(0), ...set(R),
    ...whileNot([...get(R), ...get(K), ...GE_U], block),
    ...Array.from({ length: 8 }, (_, i) => [
      ...get(OUT), ...get(S64), ...V_LOAD(s64At(i, 0)), ...DEMOTE, ...get(S64), ...V_LOAD(s64At(i, 1)), ...DEMOTE, ...JOIN_LOW_HALVES, ...V_STORE(16 * i),
    ]).flat(),
    ...advance(OUT, 128),
    ...advance(INIT, 128),
    ...advance(P, 1),
  ];
  const code = [...get(NP), ...i32(7), ...SHL, ...set(WIDTH), ...i32(0), ...set(P), ...whileNot([...get(P), ...get(NP), ...GE_U], panel), ...END];
  return [...vec([[10, I32], [14, V128]]), ...code];
}

// ---- functions 8..12: elementwise over whole f32x4 (dst, a, b, c, d, quads), plain multiply and add as Keras's
// float32 ops (no fused multiply-add, so each product is rounded as there).
type Elementwise = 'mul' | 'add' | 'mulAdd' | 'lerp' | 'addMul';
const ELEMENTWISE: Elementwise[] = ['mul', 'add', 'mulAdd', 'lerp', 'addMul'];
function elementwiseBody(kind: Elementwise): number[] {
  const [DST, A, B, C, D, QUADS] = [0, 1, 2, 3, 4, 5];
  const ld = (p: number): number[] => [...get(p), ...V_LOAD(0)];
  const expr =
    kind === 'mul'
      ? [...ld(A), ...ld(B), ...F32_MUL]
      : kind === 'add'
        ? [...ld(A), ...ld(B), ...F32_ADD]
        : kind === 'mulAdd' // a·b + c·d
          ? [...ld(A), ...ld(B), ...F32_MUL, ...ld(C), ...ld(D), ...F32_MUL, ...F32_ADD]
          : kind === 'lerp' // a·b + (1 − a)·c
            ? [...ld(A), ...ld(B), ...F32_MUL, ...f32Const(1), ...ld(A), ...F32_SUB, ...ld(C), ...F32_MUL, ...F32_ADD]
            : [...ld(A), ...ld(B), ...ld(C), ...F32_MUL, ...F32_ADD]; // addMul: a + b·c
  const inputs = kind === 'mulAdd' ? [A, B, C, D] : kind === 'mul' || kind === 'add' ? [A, B] : [A, B, C];
  const body = [...get(DST), ...expr, ...V_STORE(0), ...advance(DST, 16), ...inputs.flatMap((p) => advance(p, 16)), ...get(QUADS), ...i32(1), ...SUB, ...set(QUADS)];
  return [...vec([]), ...whileNot([...get(QUADS), ...EQZ], body), ...END];
}

function moduleBytes(relaxed: boolean): Uint8Array {
  const fn = (params: number): number[] => [0x60, ...vec(Array.from({ length: params }, () => [I32])), 0x00];
  const bodies = [
    vecmatBody(relaxed), matmulBody(relaxed), activationBody('sigmoid'), activationBody('tanh'), pairsBody('widen'), pairsBody('accum'), pairsBody('narrow'),
    vecmatBlockedBody(relaxed), ...ELEMENTWISE.map(elementwiseBody),
  ];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([fn(6), fn(9), fn(2), fn(3), fn(7)])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])),
    ...section(3, vec([[0], [1], [2], [2], [3], [3], [3], [4], ...ELEMENTWISE.map(() => [0])])),
    ...section(
      7,
      vec(['vecmat', 'matmul', 'sigmoid', 'tanh', 'widen', 'accum', 'narrow', 'vecmatb', ...ELEMENTWISE].map((n, i) => [...name(n), 0x00, i])),
    ),
    ...section(10, vec(bodies.map((b) => [...leb(b.length), ...b]))),
  ]);
}

/** The little of the WebAssembly API used here (the project's type libraries do not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/**
 * A workspace's memory and the instances made on it (one per module). They are released together: a new instance
 * starts its exports on V8's generic JS-to-WebAssembly call path (~0.2-0.7 µs a call for the first ~1000 calls of
 * each, 35 ns after), which a run's few thousand calls paid every run (about 1 ms of a SimpleRNN(512) run).
 */
interface Arena {
  readonly memory: WasmMemory;
  readonly instances: Map<object, Record<string, unknown>>;
}

/** Released arenas for the next workspaces: at most two, of at most 64 MB each, so little is held between runs. */
const spareArenas: Arena[] = [];
const SPARE_BYTES = 64 << 20;

/** An arena whose memory holds at least `bytes` zeroed: a released one (grown if needed) or a new one. */
function arenaOf(bytes: number): Arena {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  const arena = spareArenas.pop();
  if (!arena) return { memory: new wasm!.Memory({ initial: pages }), instances: new Map() };
  const { memory } = arena;
  const have = memory.buffer.byteLength / 65536;
  if (have < pages) memory.grow(pages - have);
  new Uint8Array(memory.buffer, 0, Math.min(bytes, have * 65536)).fill(0); // grown pages come zeroed
  return arena;
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

const compiled = new Map<'relaxed-simd' | 'wasm-simd', object | null>();

/**
 * Node 20's V8 ships relaxed SIMD behind a flag (Electron and browsers have it on). The flag only admits more
 * instructions, so setting it before the first compile is harmless; where Node's built-ins are absent (web), skip.
 */
function enableRelaxedSimdFlag(): void {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    const v8 = proc?.getBuiltinModule?.('v8') as { setFlagsFromString?: (flags: string) => void } | undefined;
    v8?.setFlagsFromString?.('--experimental-wasm-relaxed-simd');
  } catch {
    // not Node, or the flag is unknown: the plain SIMD path runs
  }
}

/** The compiled module of a path, or null where the runtime lacks it. */
function wasmModule(backend: 'relaxed-simd' | 'wasm-simd'): object | null {
  if (compiled.has(backend)) return compiled.get(backend)!;
  let mod: object | null = null;
  try {
    const bytes = moduleBytes(backend === 'relaxed-simd');
    if (wasm) {
      let ok = wasm.validate(bytes);
      if (!ok && backend === 'relaxed-simd') {
        enableRelaxedSimdFlag();
        ok = wasm.validate(bytes);
      }
      mod = ok ? new wasm.Module(bytes) : null;
    }
  } catch {
    mod = null;
  }
  compiled.set(backend, mod);
  return mod;
}

/** The paths this runtime can run, fastest first (always ends with 'js'). */
export function availableKernels(): KernelBackend[] {
  const out: KernelBackend[] = [];
  if (wasmModule('relaxed-simd')) out.push('relaxed-simd');
  if (wasmModule('wasm-simd')) out.push('wasm-simd');
  out.push('js');
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Plain JS: the same packed layout and order of work; sums in float64 and rounded once into the float32 output.

function vecMatJs(out: Float32Array, o: number, init: Float32Array, i: number, v: Float32Array, vo: number, mat: KernelMatrix): void {
  const { rows: K, panels, data } = mat;
  const acc = new Float64Array(PANEL);
  for (let p = 0; p < panels; p++) {
    for (let j = 0; j < PANEL; j++) acc[j] = init[i + p * PANEL + j];
    let w = p * K * PANEL;
    for (let k = 0; k < K; k++, w += PANEL) {
      const a = v[vo + k];
      for (let j = 0; j < PANEL; j++) acc[j] += a * data[w + j];
    }
    for (let j = 0; j < PANEL; j++) out[o + p * PANEL + j] = acc[j];
  }
}

export const sigmoidScalar = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

function jsWorkspace(mats: KernelMatrix[], sizes: number[]): Workspace {
  const heap = new Float32Array(sizes.reduce((n, size) => n + vectorValues(size), 0));
  let used = 0;
  const vectors = sizes.map((size) => {
    const v = heap.subarray(used, used + vectorValues(size));
    used += vectorValues(size);
    return v;
  });
  const h = heap;
  return {
    backend: 'js',
    matrices: mats,
    vectors,
    heap,
    at: (v) => (v.byteOffset - heap.byteOffset) >> 2,
    vecMatAt(out, init, v, mat) {
      vecMatJs(h, out, h, init, h, v, mat);
    },
    mul(dst, a, b, n) {
      for (let j = 0; j < n; j++) h[dst + j] = Math.fround(h[a + j] * h[b + j]);
    },
    add(dst, a, b, n) {
      for (let j = 0; j < n; j++) h[dst + j] = Math.fround(h[a + j] + h[b + j]);
    },
    mulAdd(dst, a, b, c, d, n) {
      for (let j = 0; j < n; j++) h[dst + j] = Math.fround(h[a + j] * h[b + j]) + Math.fround(h[c + j] * h[d + j]);
    },
    lerp(dst, a, b, c, n) {
      for (let j = 0; j < n; j++) h[dst + j] = Math.fround(h[a + j] * h[b + j]) + Math.fround(Math.fround(1 - h[a + j]) * h[c + j]);
    },
    addMul(dst, a, b, c, n) {
      for (let j = 0; j < n; j++) h[dst + j] = h[a + j] + Math.fround(h[b + j] * h[c + j]);
    },
    release() {},
    vecMat(out, o, init, i, v, mat) {
      vecMatJs(out, o, init, i, v, 0, mat);
    },
    matMul(out, ldo, init, a, lda, rows, mat) {
      for (let r = 0; r < rows; r++) vecMatJs(out, r * ldo, init, 0, a, r * lda, mat);
    },
    sigmoid(a, from, n) {
      for (let j = from; j < from + n; j++) a[j] = sigmoidScalar(a[j]);
    },
    tanh(a, from, n) {
      for (let j = from; j < from + n; j++) a[j] = Math.tanh(a[j]);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------

export interface MatrixSpec {
  /** Row-major rows × cols. */
  data: Float32Array | Float64Array | readonly number[];
  rows: number;
  cols: number;
  /**
   * Sum in float32 over blocks of ACC_BLOCK rows and add the blocks in float64 (the kernels W and U of the cells).
   * Float64 accumulation is needed there: plain float32 sums over all D (or M) rows drifted from Keras beyond the
   * reference tolerance 1e-5 + 1e-5·|b| on a stack of stateful GRUs (models2 poem: worst 1.5× the tolerance, 0.9×
   * with blocks), since the rounding error compounds step after step and layer after layer.
   */
  blocked?: boolean;
}

/** Rows per float32 block of a recurrent product (sqrt-of-32 rounding growth instead of sqrt-of-M). */
export const ACC_BLOCK = 32;
/** Rows of a blocked matMul whose float64 sums are kept at once. */
const CHUNK = 8;

/** Copies a row-major matrix into panels of 32 columns (native row copies). */
function pack(into: Float32Array, m: MatrixSpec): void {
  if (m.data instanceof Float32Array) packFrom32(into, m.data, m.rows, m.cols);
  else packFrom64(into, m.data instanceof Float64Array ? m.data : Float64Array.from(m.data), m.rows, m.cols);
}

// The same loop twice, so each stays monomorphic in its source type.
function packFrom32(into: Float32Array, data: Float32Array, K: number, N: number): void {
  for (let p = 0; p * PANEL < N; p++) {
    const base = p * K * PANEL;
    const col = p * PANEL;
    const width = Math.min(PANEL, N - col);
    for (let k = 0; k < K; k++) {
      const src = k * N + col;
      const dst = base + k * PANEL;
      for (let j = 0; j < width; j++) into[dst + j] = data[src + j];
    }
  }
}
function packFrom64(into: Float32Array, data: Float64Array, K: number, N: number): void {
  for (let p = 0; p * PANEL < N; p++) {
    const base = p * K * PANEL;
    const col = p * PANEL;
    const width = Math.min(PANEL, N - col);
    for (let k = 0; k < K; k++) {
      const src = k * N + col;
      const dst = base + k * PANEL;
      for (let j = 0; j < width; j++) into[dst + j] = data[src + j];
    }
  }
}

let preferred: KernelBackend | 'auto' = 'auto';

/** Which path new workspaces use: the fastest available ('auto'), or one forced (tests run each). */
export function preferKernel(backend: KernelBackend | 'auto'): void {
  preferred = backend;
}

/** The path 'auto' picks in this runtime. */
export function kernelBackend(): KernelBackend {
  return preferred === 'auto' ? availableKernels()[0] : preferred;
}

const matrixValues = (m: MatrixSpec): number => Math.ceil(m.cols / PANEL) * PANEL * m.rows;
const vectorValues = (n: number): number => padPanel(n) + PANEL;

/** A workspace holding the given matrices (packed) and zeroed vectors, allocated once per layer run. */
export function workspace(matrices: MatrixSpec[], vectorSizes: number[], backend: KernelBackend | 'auto' = preferred): Workspace {
  const chosen = backend === 'auto' ? availableKernels()[0] : backend;
  const mod = chosen === 'js' ? null : wasmModule(chosen);
  if (chosen !== 'js' && !mod) throw new Error(`The ${chosen} kernel is not available in this runtime.`);
  if (!mod) {
    const mats = matrices.map((m) => {
      const data = new Float32Array(matrixValues(m));
      pack(data, m);
      // The JS kernel sums in float64 throughout: no blocks.
      return { rows: m.rows, cols: m.cols, panels: Math.ceil(m.cols / PANEL), blockRows: m.rows, data };
    });
    return jsWorkspace(mats, vectorSizes);
  }
  // One memory laid out as [matrices][vectors], every block 128-byte aligned (lengths are multiples of 32 values).
  let values = 0;
  const at = (n: number): number => {
    const start = values;
    values += n;
    return start;
  };
  const matAt = matrices.map((m) => at(matrixValues(m)));
  const vecAt = vectorSizes.map((n) => at(vectorValues(n)));
  // Scratch of the blocked recurrent products: float64 sums (2 values each), a float32 partial and zeros.
  const widest = Math.max(PANEL, ...matrices.map((m) => padPanel(m.cols)));
  const acc64At = at(2 * widest * CHUNK);
  const partialAt = at(widest * CHUNK);
  const zerosAt = at(widest);
  const arena = arenaOf(values * 4);
  const { memory } = arena;
  let released = false;
  // The instances keep no state of their own (no globals or tables): one made on this memory before serves again.
  let ex = arena.instances.get(mod);
  if (!ex) arena.instances.set(mod, (ex = new wasm!.Instance(mod, { env: { memory } }).exports));
  const vecmat = ex.vecmat as (out: number, init: number, v: number, K: number, mat: number, panels: number) => void;
  const matmul = ex.matmul as (out: number, ldo: number, init: number, a: number, lda: number, rows: number, K: number, mat: number, panels: number) => void;
  const sig = ex.sigmoid as (ptr: number, pairs: number) => void;
  const th = ex.tanh as (ptr: number, pairs: number) => void;
  const widen = ex.widen as (dst: number, src: number, pairs: number) => void;
  const accum = ex.accum as (dst: number, src: number, pairs: number) => void;
  const narrow = ex.narrow as (dst: number, src: number, pairs: number) => void;
  const vecmatb = ex.vecmatb as (out: number, init: number, v: number, K: number, mat: number, panels: number, s64: number) => void;
  type Op = (dst: number, a: number, b: number, c: number, d: number, quads: number) => void;
  const [mulOp, addOp, mulAddOp, lerpOp, addMulOp] = ELEMENTWISE.map((n) => ex[n] as Op);
  const buffer = memory.buffer;
  const heap = new Float32Array(buffer);
  const mats = matrices.map((m, i) => {
    const data = new Float32Array(buffer, matAt[i] * 4, matrixValues(m));
    const blockRows = m.blocked && m.rows > ACC_BLOCK ? ACC_BLOCK : m.rows;
    if (blockRows === m.rows) pack(data, m);
    else {
      // Block after block, each a packed matrix of its rows.
      const full = m.data instanceof Float32Array || m.data instanceof Float64Array ? m.data : Float64Array.from(m.data);
      for (let r = 0; r < m.rows; r += blockRows) {
        const rows = Math.min(blockRows, m.rows - r);
        pack(data.subarray(r * padPanel(m.cols)), { data: full.subarray(r * m.cols, (r + rows) * m.cols), rows, cols: m.cols });
      }
    }
    return { rows: m.rows, cols: m.cols, panels: Math.ceil(m.cols / PANEL), blockRows, data };
  });
  const vectors = vectorSizes.map((n, i) => new Float32Array(buffer, vecAt[i] * 4, vectorValues(n)));
  // The odd last value of a range is done in JS, so a pair never reaches into the next range.
  const elementwise = (f: (ptr: number, pairs: number) => void, scalar: (x: number) => number) => (a: Float32Array, from: number, n: number) => {
    const pairs = n >> 1;
    if (pairs) f(a.byteOffset + from * 4, pairs);
    if (n & 1) a[from + n - 1] = scalar(a[from + n - 1]);
  };
  return {
    backend: chosen,
    matrices: mats,
    vectors,
    heap,
    at: (v) => v.byteOffset >> 2,
    vecMatAt(out, init, v, mat) {
      if (mat.blockRows === mat.rows) vecmat(out * 4, init * 4, v * 4, mat.rows, mat.data.byteOffset, mat.panels);
      else vecmatb(out * 4, init * 4, v * 4, mat.rows, mat.data.byteOffset, mat.panels, acc64At * 4);
    },
    vecMat(out, o, init, i, v, mat) {
      if (mat.blockRows === mat.rows) vecmat(out.byteOffset + o * 4, init.byteOffset + i * 4, v.byteOffset, mat.rows, mat.data.byteOffset, mat.panels);
      else vecmatb(out.byteOffset + o * 4, init.byteOffset + i * 4, v.byteOffset, mat.rows, mat.data.byteOffset, mat.panels, acc64At * 4);
    },
    mul: (dst, a, b, n) => mulOp(dst * 4, a * 4, b * 4, 0, 0, (n + 3) >> 2),
    add: (dst, a, b, n) => addOp(dst * 4, a * 4, b * 4, 0, 0, (n + 3) >> 2),
    mulAdd: (dst, a, b, c, d, n) => mulAddOp(dst * 4, a * 4, b * 4, c * 4, d * 4, (n + 3) >> 2),
    lerp: (dst, a, b, c, n) => lerpOp(dst * 4, a * 4, b * 4, c * 4, 0, (n + 3) >> 2),
    addMul: (dst, a, b, c, n) => addMulOp(dst * 4, a * 4, b * 4, c * 4, 0, (n + 3) >> 2),
    release() {
      if (released) return;
      released = true;
      if (spareArenas.length < 2 && memory.buffer.byteLength <= SPARE_BYTES) spareArenas.push(arena);
    },
    matMul(out, ldo, init, a, lda, rows, mat) {
      const B = mat.blockRows;
      if (B === mat.rows) {
        if (rows > 0) matmul(out.byteOffset, ldo * 4, init.byteOffset, a.byteOffset, lda * 4, rows, mat.rows, mat.data.byteOffset, mat.panels);
        return;
      }
      // CHUNK rows at a time: each block of K rows into float32 partials, added into float64 sums per row. The
      // partials' rows and the sums' rows lie back to back, so one accum call covers the chunk, and one narrow when the
      // output rows do too (the input projections' do: 12 calls a chunk instead of 34, each ~50 ns from JS).
      const pairs = mat.panels * (PANEL / 2);
      const row32 = mat.panels * PANEL * 4;
      const packedOut = ldo * 4 === row32;
      for (let r0 = 0; r0 < rows; r0 += CHUNK) {
        const n = Math.min(CHUNK, rows - r0);
        for (let r = 0; r < n; r++) widen(acc64At * 4 + r * 2 * row32, init.byteOffset, pairs);
        for (let k = 0; k < mat.rows; k += B) {
          matmul(partialAt * 4, row32, zerosAt * 4, a.byteOffset + ((r0 * lda) + k) * 4, lda * 4, n, Math.min(B, mat.rows - k), mat.data.byteOffset + k * row32, mat.panels);
          accum(acc64At * 4, partialAt * 4, n * pairs);
        }
        if (packedOut) narrow(out.byteOffset + r0 * ldo * 4, acc64At * 4, n * pairs);
        else for (let r = 0; r < n; r++) narrow(out.byteOffset + (r0 + r) * ldo * 4, acc64At * 4 + r * 2 * row32, pairs);
      }
    },
    sigmoid: elementwise(sig, sigmoidScalar),
    tanh: elementwise(th, Math.tanh),
  };
}
