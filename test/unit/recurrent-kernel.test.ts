// The kernels under the recurrent cells, each path forced in turn (WebAssembly relaxed SIMD with fused multiply-add,
// plain WebAssembly SIMD, plain JS): the vector-matrix and block products against the textbook sum
// out[j] = init[j] + Σ_k v[k]·W[k][j] on every remainder of the 32-column panels, the vectorized sigmoid and tanh in
// ulps against Math.tanh and 1/(1+exp(-x)) over a dense sweep with the special values, and whole layers on each path.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { availableKernels, kernelBackend, preferKernel, workspace, type KernelBackend } from '../../extension/keras/layers/recurrentKernel';
import { lstm } from '../../extension/keras/layers/lstm';
import { gru } from '../../extension/keras/layers/gru';
import { simpleRnn } from '../../extension/keras/layers/simpleRnn';
import type { LayerOutput } from '../../extension/keras/layers/types';
import { assertClose, ctx, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';

after(() => preferKernel('auto'));

const PATHS: KernelBackend[] = ['relaxed-simd', 'wasm-simd', 'js'];

test('this runtime (Node with the relaxed-SIMD flag set by the kernel) has all three paths, and auto picks relaxed SIMD', () => {
  assert.deepEqual(availableKernels(), PATHS);
  assert.equal(kernelBackend(), 'relaxed-simd');
  assert.equal(workspace([], [1]).backend, 'relaxed-simd');
});

/** Float32 sums differ from the float64 textbook sum by at most K·2^-24·Σ|v·w| (standard bound, with margin). */
function bound(v: ArrayLike<number>, W: ArrayLike<number>, K: number, N: number, j: number, init: number): number {
  let abs = Math.abs(init);
  for (let k = 0; k < K; k++) abs += Math.abs(v[k] * W[k * N + j]);
  return (K + 2) * 2 ** -23 * abs + 1e-30;
}

for (const backend of PATHS) {
  test(`${backend}: out = init + v·W for K 0..9, 33 (and 33, 64, 97 as recurrent blocks), N 1..9, 31..33 and 65, at offsets, leaving the rest alone`, () => {
    const rnd = seeded(11);
    for (const [K, recurrent] of [[0, false], [1, false], [2, false], [3, false], [4, false], [5, false], [7, false], [9, false], [33, false], [33, true], [64, true], [97, true]] as const) {
      for (const N of [1, 2, 3, 4, 5, 8, 9, 31, 32, 33, 65]) {
        const W = randomArray(K * N, rnd);
        // recurrent: blocks of 32 rows summed in float32, the blocks added in float64
        const ws = workspace([{ data: W, rows: K, cols: N, blocked: recurrent }], [N + 3, N + 5, Math.max(K, 1)], backend);
        assert.equal(ws.backend, backend);
        const [out, init, v] = ws.vectors;
        init.set(randomArray(N + 5, rnd));
        v.set(randomArray(K, rnd));
        out.fill(7);
        ws.vecMat(out, 3, init, 5, v, ws.matrices[0]);
        assert.deepEqual([...out.subarray(0, 3)], [7, 7, 7], 'values before the offset are untouched');
        for (let j = 0; j < N; j++) {
          let want = init[5 + j];
          for (let k = 0; k < K; k++) want += v[k] * W[k * N + j];
          const err = Math.abs(out[3 + j] - want);
          assert.ok(err <= bound(v, W, K, N, j, init[5 + j]), `${backend} K=${K} N=${N} j=${j}: ${out[3 + j]} vs ${want}`);
        }
      }
    }
  });

  for (const [K, rows, blocked] of [[7, 5, false], [70, 19, true]] as const) test(`${backend}: the block product gives each row init + a[r]·W (K ${K}, ${rows} rows${blocked ? ', float32 blocks added in float64' : ''})`, () => {
    const rnd = seeded(3);
    const N = 45;
    const W = randomArray(K * N, rnd);
    const ldo = 64; // whole panels
    const ws = workspace([{ data: W, rows: K, cols: N, blocked }], [rows * ldo, N, rows * K], backend);
    const [out, init, a] = ws.vectors;
    init.set(randomArray(N, rnd));
    a.set(randomArray(rows * K, rnd));
    ws.matMul(out, ldo, init, a, K, rows, ws.matrices[0]);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < N; j++) {
        let want = init[j];
        for (let k = 0; k < K; k++) want += a[r * K + k] * W[k * N + j];
        assert.ok(Math.abs(out[r * ldo + j] - want) <= bound(a.subarray(r * K), W, K, N, j, init[j]), `row ${r} col ${j}`);
      }
    }
  });
}

/** Distance in float32 ulps between a float32 result and the exact value (rounded to float32 first). */
function ulps(got: number, exact: number): number {
  const want = Math.fround(exact);
  if (Number.isNaN(want)) return Number.isNaN(got) ? 0 : Infinity;
  if (got === want) return Object.is(got, want) || got !== 0 ? 0 : Infinity; // -0 and +0 are told apart
  const bits = new Int32Array(new Float32Array([got, want]).buffer);
  const ord = (b: number) => (b < 0 ? -(b & 0x7fffffff) : b);
  return Math.abs(ord(bits[0]) - ord(bits[1]));
}

/** A dense sweep: every 1/64 over ±40, ±large, ±0, denormals, tiny, infinities and NaN. */
function sweep(): Float32Array {
  const xs: number[] = [];
  for (let i = -40 * 64; i <= 40 * 64; i++) xs.push(i / 64 + i * 1e-7);
  for (let e = -149; e <= 127; e++) xs.push(2 ** e, -(2 ** e), 1.5 * 2 ** e, -1.5 * 2 ** e);
  xs.push(0, -0, 1e-45, -1e-45, 1e-40, -1e-40, 3e38, -3e38, Infinity, -Infinity, NaN, 88.7, -88.7, 103.9, -103.9, 9.01, -9.01);
  return Float32Array.from(xs);
}

for (const backend of PATHS) {
  test(`${backend}: vectorized sigmoid and tanh are within 1 float32 ulp of Math (±0, denormals, ±large, ±∞, NaN), odd lengths too`, () => {
    const xs = sweep();
    const ws = workspace([], [xs.length + 1], backend);
    const [a] = ws.vectors;
    const sig = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
    for (const [name, fn, exact] of [
      ['sigmoid', ws.sigmoid, sig],
      ['tanh', ws.tanh, Math.tanh],
    ] as const) {
      // From index 1 over an odd count: the last value is the odd one out of the pairs.
      a.set(xs, 1);
      a[0] = 123;
      fn(a, 1, xs.length);
      assert.equal(a[0], 123, 'the value before the range is untouched');
      let worst = 0;
      let at = 0;
      for (let i = 0; i < xs.length; i++) {
        const u = ulps(a[i + 1], exact(xs[i]));
        if (u > worst) [worst, at] = [u, xs[i]];
      }
      assert.ok(worst <= 1, `${backend} ${name}: ${worst} ulps at x = ${at}`);
      assert.ok(Object.is(a[1 + xs.indexOf(0)], name === 'tanh' ? 0 : 0.5) && (name !== 'tanh' || Object.is(a[1 + xs.findIndex((x) => Object.is(x, -0))], -0)), `${name} at ±0`);
    }
  });
}

test('LSTM, both GRU cells and SimpleRNN give the same numbers on each path, within float32 rounding', async () => {
  const rnd = seeded(5);
  const D = 7;
  const M = 37; // more than one panel, an odd count for the activations
  const x = t([2, 150, D], randomArray(2 * 150 * D, rnd)); // more steps than one projection block
  const cases = [
    { kind: lstm, cls: 'LSTM', G: 4, cfg: {}, bias: [4 * M] },
    { kind: gru, cls: 'GRU', G: 3, cfg: { reset_after: true }, bias: [2, 3 * M] },
    { kind: gru, cls: 'GRU', G: 3, cfg: { reset_after: false }, bias: [3 * M] },
    { kind: simpleRnn, cls: 'SimpleRNN', G: 1, cfg: {}, bias: [M] },
  ];
  for (const c of cases) {
    const n = c.bias.reduce((a, b) => a * b, 1);
    const node = layerNode(c.cls, { units: M, return_sequences: true, ...c.cfg }, {
      weights: [
        weightRef('kernel', [D, c.G * M], randomArray(D * c.G * M, rnd).map((v) => v * 0.5)),
        weightRef('recurrent_kernel', [M, c.G * M], randomArray(M * c.G * M, rnd).map((v) => v * 0.3)),
        weightRef('bias', c.bias, randomArray(n, rnd)),
      ],
    });
    const outs: LayerOutput[] = [];
    for (const backend of PATHS) {
      preferKernel(backend);
      outs.push(await c.kind.forward(node, { tensors: [x], masks: [null] }, ctx()));
    }
    preferKernel('auto');
    for (let i = 1; i < PATHS.length; i++) {
      assertClose(outs[i].tensors[0].data, outs[0].tensors[0].data, 2e-5, 2e-5, `${c.cls} ${JSON.stringify(c.cfg)} ${PATHS[i]} vs relaxed`);
      const tr = outs[i].traces![0];
      for (const [k, v] of Object.entries(tr.values)) {
        assert.ok(v instanceof Float32Array && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength, `${k} is a float32 array owning its buffer`);
        assertClose(v, outs[0].traces![0].values[k], 2e-5, 2e-5, `${c.cls} trace ${k}`);
      }
    }
  }
});

for (const backend of PATHS) {
  test(`${backend}: the elementwise float32 ops give each product and sum rounded to float32, at any offset and length`, () => {
    const rnd = seeded(21);
    const f = Math.fround;
    const want: Record<string, (a: number, b: number, c: number, d: number) => number> = {
      mul: (a, b) => f(a * b),
      add: (a, b) => f(a + b),
      mulAdd: (a, b, c, d) => f(f(a * b) + f(c * d)),
      lerp: (a, b, c) => f(f(a * b) + f(f(1 - a) * c)),
      addMul: (a, b, c) => f(a + f(b * c)),
    };
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 37]) {
      const ws = workspace([], [n + 8, n + 8, n + 8, n + 8, n + 8], backend);
      const [dst, a, b, c, d] = ws.vectors;
      for (const v of [a, b, c, d]) v.set(randomArray(n + 8, rnd).map((x) => x * 3));
      const [D, A, B, C, E] = [dst, a, b, c, d].map((v) => ws.at(v));
      for (const [name, run] of [
        ['mul', () => ws.mul(D + 1, A + 2, B + 3, n)],
        ['add', () => ws.add(D + 1, A + 2, B + 3, n)],
        ['mulAdd', () => ws.mulAdd(D + 1, A + 2, B + 3, C + 1, E, n)],
        ['lerp', () => ws.lerp(D + 1, A + 2, B + 3, C + 1, n)],
        ['addMul', () => ws.addMul(D + 1, A + 2, B + 3, C + 1, n)],
      ] as const) {
        dst.fill(9);
        run();
        assert.equal(dst[0], 9, `${name}: the value before dst is untouched`);
        for (let j = 0; j < n; j++) {
          assert.equal(dst[1 + j], want[name](a[2 + j], b[3 + j], c[1 + j], d[j]), `${backend} ${name} n=${n} j=${j}`);
        }
      }
    }
  });

  test(`${backend}: vecMatAt reads v at any heap index (blocked recurrent product of 70 rows)`, () => {
    const rnd = seeded(8);
    const [K, N] = [70, 45];
    const W = randomArray(K * N, rnd);
    const ws = workspace([{ data: W, rows: K, cols: N, blocked: true }], [N, N, K + 3], backend);
    const [out, init, v] = ws.vectors;
    init.set(randomArray(N, rnd));
    v.set(randomArray(K + 3, rnd));
    ws.vecMatAt(ws.at(out), ws.at(init), ws.at(v) + 3, ws.matrices[0]);
    for (let j = 0; j < N; j++) {
      let exact = init[j];
      for (let k = 0; k < K; k++) exact += v[3 + k] * W[k * N + j];
      assert.ok(Math.abs(out[j] - exact) <= bound(v.subarray(3), W, K, N, j, init[j]), `col ${j}: ${out[j]} vs ${exact}`);
    }
  });
}

test('a released WebAssembly workspace hands its memory, zeroed, to the next one (grown when it needs more)', () => {
  for (const backend of ['relaxed-simd', 'wasm-simd'] as const) {
    const first = workspace([{ data: [1, 2, 3, 4], rows: 2, cols: 2 }], [40, 40], backend);
    first.vectors[0].fill(5);
    first.vectors[1].fill(6);
    first.release();
    const second = workspace([{ data: [1, 0, 0, 1], rows: 2, cols: 2 }], [40, 40], backend);
    assert.equal(second.heap.buffer, first.heap.buffer, `${backend}: the same memory`);
    for (const v of second.vectors) assert.ok(v.every((x) => x === 0), `${backend}: a reused vector starts at zero`);
    second.vectors[0].fill(7);
    second.release();
    const third = workspace([{ data: [1, 0, 0, 1], rows: 2, cols: 2 }], [40, first.heap.length + 100_000], backend);
    assert.equal(first.heap.buffer.byteLength, 0, `${backend}: the memory grew in place (its old buffer is detached)`);
    for (const v of third.vectors) assert.ok(v.every((x) => x === 0), `${backend}: a grown memory's vectors start at zero`);
    third.vectors[1].set([2, 3]);
    third.vecMat(third.vectors[0], 0, third.vectors[0], 0, third.vectors[1], third.matrices[0]);
    assert.deepEqual([...third.vectors[0].subarray(0, 2)], [2, 3]);
    third.release();
  }
});

test('a reused memory serves both WebAssembly paths in turn, each through its own instance on it', () => {
  // Integers, so every path's sums are exact: out = init + v·W with W 3×33 (a second panel) and v = [1, 2, 3].
  const W = Array.from({ length: 3 * 33 }, (_, i) => (i % 7) - 3);
  const want = Array.from({ length: 33 }, (_, j) => 10 + j + W[j] + 2 * W[33 + j] + 3 * W[66 + j]);
  let buffer: ArrayBufferLike | undefined;
  for (const backend of ['relaxed-simd', 'wasm-simd', 'relaxed-simd', 'wasm-simd'] as const) {
    const ws = workspace([{ data: W, rows: 3, cols: 33, blocked: true }], [3, 33, 33], backend);
    if (buffer) assert.equal(ws.heap.buffer, buffer, `${backend}: the released memory is used again`);
    buffer = ws.heap.buffer;
    const [v, init, out] = ws.vectors;
    v.set([1, 2, 3]);
    for (let j = 0; j < 33; j++) init[j] = 10 + j;
    ws.vecMatAt(ws.at(out), ws.at(init), ws.at(v), ws.matrices[0]);
    assert.deepEqual([...out.subarray(0, 33)], want, backend);
    ws.release();
  }
});

test('one sample without a mask (rows in blocks) gives bit for bit what the step-by-step loop gives inside a batch, on each path', async () => {
  const rnd = seeded(9);
  const D = 5;
  const M = 38; // more than one panel, not a multiple of 4: the ops' rounding up to 4 lands in later rows
  const T = 140; // more steps than one block of projections
  const xs = randomArray(T * D, rnd);
  const other = randomArray(T * D, rnd);
  const cases = [
    { kind: lstm, cls: 'LSTM', G: 4, cfg: {}, bias: [4 * M] },
    { kind: gru, cls: 'GRU', G: 3, cfg: { reset_after: true }, bias: [2, 3 * M] },
    { kind: gru, cls: 'GRU', G: 3, cfg: { reset_after: false }, bias: [3 * M] },
    { kind: simpleRnn, cls: 'SimpleRNN', G: 1, cfg: {}, bias: [M] },
  ];
  for (const c of cases) {
    const n = c.bias.reduce((a, b) => a * b, 1);
    const node = layerNode(c.cls, { units: M, return_sequences: true, ...c.cfg }, {
      weights: [
        weightRef('kernel', [D, c.G * M], randomArray(D * c.G * M, rnd).map((v) => v * 0.5)),
        weightRef('recurrent_kernel', [M, c.G * M], randomArray(M * c.G * M, rnd).map((v) => v * 0.3)),
        weightRef('bias', c.bias, randomArray(n, rnd)),
      ],
    });
    for (const backend of PATHS) {
      preferKernel(backend);
      const one = await c.kind.forward(node, { tensors: [t([1, T, D], xs)], masks: [null] }, ctx());
      const two = await c.kind.forward(node, { tensors: [t([2, T, D], [...other, ...xs])], masks: [null] }, ctx());
      const what = `${c.cls} ${JSON.stringify(c.cfg)} ${backend}`;
      assert.deepEqual([...one.tensors[0].data], [...two.tensors[0].data.subarray(T * M)], `${what}: output`);
      const [a, b] = [one.traces![0], two.traces![0]];
      for (const [k, v] of Object.entries(a.values)) {
        // the batch's trace is step-major: step s holds sample 0 then sample 1
        const second = Float32Array.from({ length: T * M }, (_, i) => b.values[k][(Math.floor(i / M) * 2 + 1) * M + (i % M)]);
        assert.deepEqual([...v], [...second], `${what}: trace ${k}`);
      }
    }
    preferKernel('auto');
  }
});
