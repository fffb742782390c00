// The vector-matrix kernel under the recurrent cells: the WebAssembly SIMD and the plain JS versions against the
// textbook sum out[j] += Σ_k v[k]·W[k][j], on every remainder of the 4-row and 4-column blocking, and whole layers
// run on either kernel.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { preferKernel, workspace } from '../../extension/keras/layers/recurrentKernel';
import { lstm } from '../../extension/keras/layers/lstm';
import { gru } from '../../extension/keras/layers/gru';
import type { LayerOutput } from '../../extension/keras/layers/types';
import { assertClose, ctx, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';

after(() => preferKernel('auto'));

test('this runtime has WebAssembly SIMD, so the fast kernel is the one that runs', () => {
  assert.equal(workspace([], [1]).backend, 'wasm-simd');
});

for (const backend of ['wasm-simd', 'js'] as const) {
  test(`${backend}: out += v·W for every rows × cols from 0..9 × 1..9, at an offset, leaving the rest alone`, () => {
    const rnd = seeded(11);
    for (let rows = 0; rows <= 9; rows++) {
      for (let cols = 1; cols <= 9; cols++) {
        const W = Float64Array.from(randomArray(rows * cols, rnd));
        const ws = workspace([{ data: W, rows, cols }], [cols + 3, Math.max(rows, 1)], backend);
        assert.equal(ws.backend, backend);
        const [out, v] = ws.vectors;
        const start = randomArray(cols + 3, rnd);
        out.set(start);
        v.set(randomArray(rows, rnd));
        ws.addVecMat(out, 3, v, rows, ws.matrices[0]);
        const expected = [...start];
        for (let j = 0; j < cols; j++) for (let k = 0; k < rows; k++) expected[3 + j] += v[k] * W[k * cols + j];
        assertClose(out.subarray(0, cols + 3), expected, 1e-14, 1e-14, `${rows}×${cols}`);
      }
    }
  });
}

test('LSTM and both GRU cells give the same numbers on either kernel', async () => {
  const rnd = seeded(5);
  const D = 7;
  const M = 9;
  const x = t([2, 6, D], randomArray(2 * 6 * D, rnd));
  const cases = [
    { kind: lstm, cls: 'LSTM', G: 4, cfg: {}, bias: [4 * M] },
    { kind: gru, cls: 'GRU', G: 3, cfg: { reset_after: true }, bias: [2, 3 * M] },
    { kind: gru, cls: 'GRU', G: 3, cfg: { reset_after: false }, bias: [3 * M] },
  ];
  for (const c of cases) {
    const n = c.bias.reduce((a, b) => a * b, 1);
    const node = layerNode(c.cls, { units: M, return_sequences: true, ...c.cfg }, {
      weights: [
        weightRef('kernel', [D, c.G * M], randomArray(D * c.G * M, rnd)),
        weightRef('recurrent_kernel', [M, c.G * M], randomArray(M * c.G * M, rnd)),
        weightRef('bias', c.bias, randomArray(n, rnd)),
      ],
    });
    const outs: LayerOutput[] = [];
    for (const backend of ['wasm-simd', 'js'] as const) {
      preferKernel(backend);
      outs.push(await c.kind.forward(node, { tensors: [x], masks: [null] }, ctx()));
    }
    preferKernel('auto');
    assertClose(outs[0].tensors[0].data, outs[1].tensors[0].data, 1e-12, 1e-12, `${c.cls} ${JSON.stringify(c.cfg)}`);
  }
});
