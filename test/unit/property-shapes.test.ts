// Property tests: for random valid configs, the summary's parameter counts and output shapes follow the rules in
// shared/docs/keras-formats.md, written out again here from the doc (not from the layer modules):
//   SimpleRNN D·M + M·M + M; LSTM 4(D·M + M·M + M); GRU reset_after 3(D·M + M·M + 2M), else 3(D·M + M·M + M);
//   Bidirectional: the two directions' sum; Dense D·K + K; Conv1D k·C·F + F; Embedding V·E.
//   RNN output: return_sequences → (N, T, M) else (N, M); return_state adds the states (LSTM h and c).
//   Bidirectional merge: concat → 2M on the feature axis, sum/ave/mul → M, None → both outputs.
//   Conv1D length: valid ⌊(T − d(k−1) − 1)/s⌋ + 1, same and causal ⌈T/s⌉.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { summarize, type LayerSummary } from '../../extension/keras/summary';
import type { Shape } from '../../extension/keras/shapes';
import { layerNode } from './helpers/layerNode';
import { sequentialDoc } from './helpers/modelDoc';

const RUNS = 300;
const dim = (max = 48) => fc.integer({ min: 1, max });
const maybeT = fc.option(fc.integer({ min: 1, max: 60 }), { nil: null });
const N = fc.option(fc.integer({ min: 1, max: 8 }), { nil: null });

/** The summary of InputLayer(inputShape) → layer; the layer's own row. */
function summaryOf(inputShape: Shape, className: string, config: Record<string, unknown>, children: ReturnType<typeof layerNode>[] = [], kerasMajor: 2 | 3 = 3): LayerSummary {
  const doc = sequentialDoc(inputShape, [layerNode(className, { name: 'probe', ...config }, { name: 'probe', children })], kerasMajor);
  const s = summarize(doc);
  const row = s.layers.find((l) => l.name === 'probe');
  assert.ok(row, 'the layer is in the summary');
  assert.deepEqual(row.notes, [], `no notes for ${className} ${JSON.stringify(config)}`);
  return row;
}

const shapesOf = (row: LayerSummary): Shape[] => (row.outputShape && Array.isArray(row.outputShape[0]) ? (row.outputShape as Shape[]) : [row.outputShape as Shape]);

type Cell = 'SimpleRNN' | 'LSTM' | 'GRU';

/** Parameters of one direction, from the doc's formulas. */
function rnnParams(cell: Cell, D: number, M: number, resetAfter: boolean): number {
  if (cell === 'SimpleRNN') return D * M + M * M + M;
  if (cell === 'LSTM') return 4 * (D * M + M * M + M);
  return resetAfter ? 3 * (D * M + M * M + 2 * M) : 3 * (D * M + M * M + M);
}

const rnnConfig = fc.record({
  cell: fc.constantFrom<Cell>('SimpleRNN', 'LSTM', 'GRU'),
  D: dim(),
  M: dim(),
  T: maybeT,
  N,
  returnSequences: fc.boolean(),
  returnState: fc.boolean(),
  goBackwards: fc.boolean(),
  resetAfter: fc.boolean(),
});

test('SimpleRNN, LSTM and GRU: parameters and output shapes for any units, D, T and flags', () => {
  fc.assert(
    fc.property(rnnConfig, ({ cell, D, M, T, N, returnSequences, returnState, goBackwards, resetAfter }) => {
      const cfg = { units: M, return_sequences: returnSequences, return_state: returnState, go_backwards: goBackwards, ...(cell === 'GRU' ? { reset_after: resetAfter } : {}) };
      const row = summaryOf([N, T, D], cell, cfg);
      assert.equal(row.params, rnnParams(cell, D, M, resetAfter));
      const out: Shape = returnSequences ? [N, T, M] : [N, M];
      const states: Shape[] = returnState ? Array(cell === 'LSTM' ? 2 : 1).fill([N, M]) : [];
      assert.deepEqual(shapesOf(row), [out, ...states]);
    }),
    { numRuns: RUNS },
  );
});

test('Bidirectional: twice one direction (the sum when the two differ), and the merge mode decides the shape', () => {
  fc.assert(
    fc.property(
      rnnConfig,
      fc.constantFrom('concat', 'sum', 'ave', 'mul', null),
      fc.option(dim(), { nil: undefined }),
      ({ cell, D, M, T, N, returnSequences, resetAfter }, merge, backUnits) => {
        const inner = (name: string, units: number, back: boolean) =>
          layerNode(cell, { units, return_sequences: returnSequences, go_backwards: back, ...(cell === 'GRU' ? { reset_after: resetAfter } : {}) }, { name });
        const Mb = merge === 'concat' || merge === null ? (backUnits ?? M) : M;
        const row = summaryOf([N, T, D], 'Bidirectional', { merge_mode: merge }, [inner(`forward_${cell}`, M, false), inner(`backward_${cell}`, Mb, true)]);
        assert.equal(row.params, rnnParams(cell, D, M, resetAfter) + rnnParams(cell, D, Mb, resetAfter));
        if (Mb === M) assert.equal(row.params, 2 * rnnParams(cell, D, M, resetAfter));
        const one = (m: number): Shape => (returnSequences ? [N, T, m] : [N, m]);
        const expected = merge === null ? [one(M), one(Mb)] : [one(merge === 'concat' ? M + Mb : M)];
        assert.deepEqual(shapesOf(row), expected);
      },
    ),
    { numRuns: RUNS },
  );
});

test('Dense: D·K + K (K without bias) on the last axis, any rank', () => {
  fc.assert(
    fc.property(dim(256), dim(256), fc.boolean(), fc.array(fc.option(dim(20), { nil: null }), { maxLength: 2 }), N, (D, K, bias, middle, N) => {
      const row = summaryOf([N, ...middle, D], 'Dense', { units: K, use_bias: bias });
      assert.equal(row.params, D * K + (bias ? K : 0));
      assert.deepEqual(shapesOf(row), [[N, ...middle, K]]);
    }),
    { numRuns: RUNS },
  );
});

test('Conv1D: k·C·F + F, and the length rule of each padding with strides or dilation', () => {
  fc.assert(
    fc.property(
      dim(9), dim(32), dim(32), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.constantFrom('valid', 'same', 'causal'), fc.option(fc.integer({ min: 1, max: 80 }), { nil: null }), N,
      (k, C, F, step, strided, padding, T0, N) => {
        // Keras refuses strides > 1 together with dilation_rate > 1, so one of them is 1.
        const s = strided ? step : 1;
        const d = strided ? 1 : step;
        const span = d * (k - 1) + 1;
        const T = T0 === null ? null : padding === 'valid' ? T0 + span - 1 : T0;
        const row = summaryOf([N, T, C], 'Conv1D', { filters: F, kernel_size: [k], strides: [s], dilation_rate: [d], padding });
        assert.equal(row.params, k * C * F + F);
        const L = T === null ? null : padding === 'valid' ? Math.floor((T - span) / s) + 1 : Math.ceil(T / s);
        assert.deepEqual(shapesOf(row), [[N, L, F]]);
      },
    ),
    { numRuns: RUNS },
  );
});

test('Embedding: V·E, and (N, T) tokens become (N, T, E)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 50_000 }), dim(300), maybeT, N, fc.boolean(), (V, E, T, N, maskZero) => {
      const row = summaryOf([N, T], 'Embedding', { input_dim: V, output_dim: E, mask_zero: maskZero });
      assert.equal(row.params, V * E);
      assert.deepEqual(shapesOf(row), [[N, T, E]]);
    }),
    { numRuns: RUNS },
  );
});

test('a stack: Embedding → Conv1D(same) → Bidirectional(LSTM) → Dense sums the layers and threads the shapes', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 5000 }), dim(64), dim(32), dim(5), dim(32), dim(10), fc.integer({ min: 1, max: 50 }), (V, E, F, k, M, K, T) => {
      const f = layerNode('LSTM', { units: M }, { name: 'forward_lstm' });
      const b = layerNode('LSTM', { units: M, go_backwards: true }, { name: 'backward_lstm' });
      const doc = sequentialDoc([null, T], [
        layerNode('Embedding', { input_dim: V, output_dim: E }, { name: 'emb' }),
        layerNode('Conv1D', { filters: F, kernel_size: k, padding: 'same' }, { name: 'conv' }),
        layerNode('Bidirectional', {}, { name: 'bi', children: [f, b] }),
        layerNode('Dense', { units: K }, { name: 'out' }),
      ]);
      const s = summarize(doc);
      const expected = V * E + (k * E * F + F) + 2 * 4 * (F * M + M * M + M) + (2 * M * K + K);
      assert.equal(s.totalParams, expected);
      assert.deepEqual(s.outputs.map((o) => o.shape), [[null, K]]);
      assert.deepEqual(s.layers.find((l) => l.name === 'conv')!.outputShape, [null, T, F]);
    }),
    { numRuns: 100 },
  );
});
