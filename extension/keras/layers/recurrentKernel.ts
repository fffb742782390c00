// The one product recurrent cells spend their time in: out += v · W for a row-major W. Done in WebAssembly with
// 128-bit SIMD (two float64 lanes) when the runtime has it (Node, Electron, browsers since 2021), else in plain JS.
// Both compute in float64; the module is assembled here from its instructions, so nothing is downloaded or built.

/** A matrix copied into a workspace: rows × cols, stored with its rows padded to a multiple of 4 values. */
export interface KernelMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Values per stored row (cols rounded up to 4; the padding is zero). */
  readonly stride: number;
  /** The stored values (a view into WebAssembly memory, or a plain array). */
  readonly data: Float64Array;
}

export interface Workspace {
  readonly backend: 'wasm-simd' | 'js';
  readonly matrices: KernelMatrix[];
  /** Zeroed vectors of the requested sizes (plus padding the kernel may touch, which it leaves unchanged). */
  readonly vectors: Float64Array[];
  /** out[o, o+cols) += v[0, len) · mat (len ≤ mat.rows); out and v must be vectors of this workspace. */
  addVecMat(out: Float64Array, o: number, v: Float64Array, len: number, mat: KernelMatrix): void;
}

const pad4 = (n: number): number => (n + 3) & ~3;

// ---------------------------------------------------------------------------------------------------------
// The WebAssembly module: (func addVecMat (param out v len mat rowBytes)), all pointers in bytes.
// Four rows of W per pass (four independent products per output pair, and `out` read and written a quarter as
// often), two f64x2 lane pairs per inner iteration with advancing pointers; then the remaining rows one at a time.

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
const i32 = (n: number): number[] => [0x41, ...leb(n)]; // small non-negative constants only
const ADD = [0x6a];
const MUL = [0x6c];
const SHL = [0x74];
const GT_U = [0x4b];
const GE_U = [0x4f];
const F64_LOAD = (offset: number): number[] => [0x2b, 3, ...leb(offset)];
const simd = (op: number): number[] => [0xfd, ...leb(op)];
const V_LOAD = (offset: number): number[] => [...simd(0x00), 4, ...leb(offset)];
const V_STORE = (offset: number): number[] => [...simd(0x0b), 4, ...leb(offset)];
const SPLAT = simd(0x14); // f64x2.splat
const F_ADD = simd(0xf0); // f64x2.add
const F_MUL = simd(0xf2); // f64x2.mul
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const BR = (depth: number): number[] => [0x0c, depth];
const BR_IF = (depth: number): number[] => [0x0d, depth];

// Parameters, then locals.
const [OUT, V, LEN, MAT, ROW, K, J, R0, R1, R2, R3, O, A0, A1, A2, A3] = Array.from({ length: 16 }, (_, i) => i);

/** a · row[offset] (one f64x2 product), the row pointer advancing with the columns. */
const product = (a: number, row: number, offset: number): number[] => [...get(a), ...get(row), ...V_LOAD(offset), ...F_MUL];

/** out[offset] += a0·r0 + a1·r1 + a2·r2 + a3·r3 over two lanes, with the address of out in local O. */
const update4 = (offset: number): number[] => [
  ...get(O),
  ...get(O),
  ...V_LOAD(offset),
  ...product(A0, R0, offset),
  ...F_ADD,
  ...product(A1, R1, offset),
  ...F_ADD,
  ...product(A2, R2, offset),
  ...F_ADD,
  ...product(A3, R3, offset),
  ...F_ADD,
  ...V_STORE(offset),
];

const advance = (local: number, bytes: number): number[] => [...get(local), ...i32(bytes), ...ADD, ...set(local)];

/** for (O = OUT, J = OUT + ROW; O < J; O += step, rows += step) body: pointers advance instead of indexing. */
const columns = (step: number, rows: number[], body: number[]): number[] => [
  ...get(OUT),
  ...set(O),
  ...get(OUT),
  ...get(ROW),
  ...ADD,
  ...set(J),
  ...BLOCK,
  ...LOOP,
  ...get(O),
  ...get(J),
  ...GE_U,
  ...BR_IF(1),
  ...body,
  ...advance(O, step),
  ...rows.flatMap((r) => advance(r, step)),
  ...BR(0),
  ...END,
  ...END,
];

const splatRow = (a: number, offset: number): number[] => [...get(O), ...F64_LOAD(offset), ...SPLAT, ...set(a)];

const CODE = [
  // Rows in fours: while (K + 4 <= LEN)
  ...BLOCK,
  ...LOOP,
  ...get(K),
  ...i32(4),
  ...ADD,
  ...get(LEN),
  ...GT_U,
  ...BR_IF(1),
  ...get(V),
  ...get(K),
  ...i32(3),
  ...SHL,
  ...ADD,
  ...set(O),
  ...splatRow(A0, 0),
  ...splatRow(A1, 8),
  ...splatRow(A2, 16),
  ...splatRow(A3, 24),
  ...get(MAT),
  ...get(K),
  ...get(ROW),
  ...MUL,
  ...ADD,
  ...tee(R0),
  ...get(ROW),
  ...ADD,
  ...tee(R1),
  ...get(ROW),
  ...ADD,
  ...tee(R2),
  ...get(ROW),
  ...ADD,
  ...set(R3),
  ...columns(32, [R0, R1, R2, R3], [...update4(0), ...update4(16)]),
  ...get(K),
  ...i32(4),
  ...ADD,
  ...set(K),
  ...BR(0),
  ...END,
  ...END,
  // The remaining rows one at a time: while (K < LEN)
  ...BLOCK,
  ...LOOP,
  ...get(K),
  ...get(LEN),
  ...GE_U,
  ...BR_IF(1),
  ...get(V),
  ...get(K),
  ...i32(3),
  ...SHL,
  ...ADD,
  ...set(O),
  ...splatRow(A0, 0),
  ...get(MAT),
  ...get(K),
  ...get(ROW),
  ...MUL,
  ...ADD,
  ...set(R0),
  ...columns(16, [R0], [...get(O), ...get(O), ...V_LOAD(0), ...product(A0, R0, 0), ...F_ADD, ...V_STORE(0)]),
  ...get(K),
  ...i32(1),
  ...ADD,
  ...set(K),
  ...BR(0),
  ...END,
  ...END,
  ...END,
];

function moduleBytes(): Uint8Array {
  const body = [...vec([[7, I32], [4, V128]]), ...CODE];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0x00]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...name('addVecMat'), 0x00, 0x00]])),
    ...section(10, vec([[...leb(body.length), ...body]])),
  ]);
}

/** The little of the WebAssembly API used here (the project's type libraries do not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
}
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is missing (then the JS kernel runs). */
function wasmModule(): object | null {
  if (compiled !== undefined) return compiled;
  try {
    const bytes = moduleBytes();
    compiled = wasm && wasm.validate(bytes) ? new wasm.Module(bytes) : null;
  } catch {
    compiled = null;
  }
  return compiled;
}

// ---------------------------------------------------------------------------------------------------------

/** Plain JS: four rows per pass over contiguous columns, the same order of work as the WebAssembly kernel. */
function addVecMatJs(out: Float64Array, o: number, v: Float64Array, len: number, mat: KernelMatrix): void {
  const { cols, stride, data } = mat;
  let k = 0;
  for (; k + 4 <= len; k += 4) {
    const a0 = v[k];
    const a1 = v[k + 1];
    const a2 = v[k + 2];
    const a3 = v[k + 3];
    const r0 = k * stride;
    const r1 = r0 + stride;
    const r2 = r1 + stride;
    const r3 = r2 + stride;
    for (let j = 0; j < cols; j++) out[o + j] += a0 * data[r0 + j] + a1 * data[r1 + j] + a2 * data[r2 + j] + a3 * data[r3 + j];
  }
  for (; k < len; k++) {
    const a = v[k];
    const r = k * stride;
    for (let j = 0; j < cols; j++) out[o + j] += a * data[r + j];
  }
}

export interface MatrixSpec {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** Copies a row-major matrix into padded rows of `into`. */
function fill(into: Float64Array, m: MatrixSpec, stride: number): void {
  for (let r = 0; r < m.rows; r++) into.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), r * stride);
}

let preferred: 'js' | 'wasm-simd' | 'auto' = 'auto';

/** Which kernel new workspaces use: WebAssembly SIMD where available ('auto'), or one forced (tests run both). */
export function preferKernel(backend: 'js' | 'wasm-simd' | 'auto'): void {
  preferred = backend;
}

/** A workspace holding the given matrices and vectors, allocated once per layer run. */
export function workspace(matrices: MatrixSpec[], vectorSizes: number[], backend = preferred): Workspace {
  const mod = backend === 'js' ? null : wasmModule();
  if (backend === 'wasm-simd' && !mod) throw new Error('WebAssembly SIMD is not available in this runtime.');
  if (!mod) {
    const mats = matrices.map((m) => {
      const stride = pad4(m.cols);
      const data = new Float64Array(m.rows * stride);
      fill(data, m, stride);
      return { rows: m.rows, cols: m.cols, stride, data };
    });
    return { backend: 'js', matrices: mats, vectors: vectorSizes.map((n) => new Float64Array(pad4(n) + 4)), addVecMat: addVecMatJs };
  }
  // One memory, laid out as [matrices][vectors], every block 16-byte aligned (lengths are multiples of 4 values).
  const layout: number[] = [];
  let values = 0;
  for (const m of matrices) {
    layout.push(values);
    values += m.rows * pad4(m.cols);
  }
  const vectorAt: number[] = [];
  for (const n of vectorSizes) {
    vectorAt.push(values);
    values += pad4(n) + 4;
  }
  const memory = new wasm!.Memory({ initial: Math.max(1, Math.ceil((values * 8) / 65536)) });
  const instance = new wasm!.Instance(mod, { env: { memory } });
  const kernel = instance.exports.addVecMat as (out: number, v: number, len: number, mat: number, rowBytes: number) => void;
  const buffer = memory.buffer;
  const mats = matrices.map((m, i) => {
    const stride = pad4(m.cols);
    const data = new Float64Array(buffer, layout[i] * 8, m.rows * stride);
    fill(data, m, stride);
    return { rows: m.rows, cols: m.cols, stride, data };
  });
  const vectors = vectorSizes.map((n, i) => new Float64Array(buffer, vectorAt[i] * 8, pad4(n) + 4));
  return {
    backend: 'wasm-simd',
    matrices: mats,
    vectors,
    addVecMat(out, o, v, len, mat) {
      kernel(out.byteOffset + o * 8, v.byteOffset, len, mat.data.byteOffset, mat.stride * 8);
    },
  };
}
