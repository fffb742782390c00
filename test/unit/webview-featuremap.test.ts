// The step view of a cell whose state is a feature map: which walk rows are maps, and one channel of a
// channels-last map as a grid. Values are written by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channelGrid, isMapState, mapRows } from '../../webview/logic/featureMap';
import { explainWeight } from '../../webview/logic/explain';
import type { WeightSummary } from '../../extension/keras/summary';
import { cellDescription } from './helpers/layerNode';

const f64 = (n: number, at = 0) => Float64Array.from({ length: n }, (_, k) => at + k);

test('a 2×3 map of 2 channels: channel c is values[(r·cols + col)·C + c]', () => {
  // Position p = r·3 + col holds [10·p, 10·p + 1] (channel 0, channel 1).
  const values = Float64Array.from({ length: 12 }, (_, k) => 10 * Math.floor(k / 2) + (k % 2));
  const g1 = channelGrid(values, [2, 3, 2], 1);
  assert.equal(g1.rows, 2);
  assert.equal(g1.cols, 3);
  assert.deepEqual([...g1.data], [1, 11, 21, 31, 41, 51]);
  // A 1-D map (cols, C) is one row.
  const g0 = channelGrid(values, [6, 2], 0);
  assert.deepEqual([g0.rows, g0.cols], [1, 6]);
  assert.deepEqual([...g0.data], [0, 10, 20, 30, 40, 50]);
  assert.throws(() => channelGrid(values, [2, 3, 2], 2), /channel 2 is outside 0..1/);
  assert.throws(() => channelGrid(values, [2, 2, 2], 0), /needs 8 values, got 12/);
});

test('map rows: state-sized rows and the input when it is a map; none for a vector state', () => {
  const rows = [
    { label: 'x₁', expr: '', values: f64(2 * 2 * 3) },
    { label: 'h₀', expr: '', values: f64(2 * 2 * 4) },
    { label: 'b_i', expr: 'bias', values: f64(4) },
    { label: 'h₁', expr: '', values: f64(2 * 2 * 4) },
  ];
  assert.deepEqual(mapRows(rows, [2, 2, 4], [2, 2, 3]).map((r) => [r.index, r.shape.join('×')]), [[0, '2×2×3'], [1, '2×2×4'], [3, '2×2×4']]);
  assert.ok(isMapState([2, 4]));
  assert.ok(!isMapState([16]));
  assert.deepEqual(mapRows(rows, [16], [12]), []);
});

test('weight tooltips name the blocks from the cell: LSTM W_h, GRU two-row bias, nothing for a layer without a cell', () => {
  const w = (name: string, shape: number[]): WeightSummary => ({ name, path: `lstm/${name}`, shape, dtype: 'float32', trainable: true, count: shape.reduce((a, b) => a * b, 1) });
  const lstm = { cell: cellDescription('LSTM', { units: 2 }), children: [] };
  const rk = explainWeight(lstm, w('recurrent_kernel', [2, 8]));
  assert.match(rk[2], /^W_h: M×4·M, multiplies h_\{t-1\}; its last axis holds 4 blocks in this order: i: input gate, f: forget gate, c: cell candidate, o: output gate$/);
  const gru = { cell: cellDescription('GRU', { units: 2, reset_after: true }), children: [] };
  assert.match(explainWeight(gru, w('bias', [2, 6]))[2], /Row 0 is the input bias, row 1 the recurrent bias/);
  // A Bidirectional's stored weights are explained by its inner layer's cell.
  assert.match(explainWeight({ children: [lstm as never] }, w('kernel', [3, 8]))[2], /^W_x: D×4·M, multiplies x_t/);
  assert.equal(explainWeight({ children: [] }, w('kernel', [3, 8])).length, 2);
});
