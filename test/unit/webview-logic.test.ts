// Pure webview logic: statistics, gate blocks, formatting, colour scale, virtual windows, state
// encoding, and finding the sequence a recurrent layer read. Expected values are worked out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixStats, gateBlocks, recurrentRadii, radiusHint, blockLabels, layerCell } from '../../webview/logic/stats';
import { fmt, fmtVector, parseUnitList, sub, fmtCount } from '../../webview/logic/format';
import { parseColor, divergingColor, symmetricLimit, paintDiverging } from '../../webview/logic/colors';
import { visibleWindow, scrollToReveal, clampIndex } from '../../webview/logic/virtual';
import { encode, decode, countNumbers } from '../../webview/logic/serialize';
import { layerInputSequence, traceQuantities, kerasMajorOf, traceKey } from '../../webview/logic/traceInput';
import { explainParams, explainShape } from '../../webview/logic/explain';
import type { RunResult } from '../../extension/protocol';
import type { LayerSummary, ModelSummary } from '../../extension/keras/summary';
import { cellDescription } from './helpers/layerNode';

test('matrixStats: min, max, mean, population std and Frobenius norm of [[1, 2], [3, 4]]', () => {
  const s = matrixStats([1, 2, 3, 4], 2, 2);
  assert.equal(s.min, 1);
  assert.equal(s.max, 4);
  assert.equal(s.mean, 2.5);
  // Deviations ±1.5, ±0.5: variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25.
  assert.ok(Math.abs(s.std - Math.sqrt(1.25)) < 1e-15);
  assert.ok(Math.abs(s.frobenius - Math.sqrt(30)) < 1e-15);
  assert.ok(Number.isNaN(matrixStats([], 0, 0).mean));
});

test('gateBlocks splits an LSTM W_h (M × 4M) into i, f, c, o blocks; radii per block', () => {
  // M = 2: row r of W_h = [i i | f f | c c | o o]; block g holds entries 10·g + (2r + j).
  const M = 2;
  const wh: number[] = [];
  for (let r = 0; r < M; r++) for (let g = 0; g < 4; g++) for (let j = 0; j < M; j++) wh.push(10 * g + 2 * r + j);
  const blocks = gateBlocks(wh, M, 'ifco');
  assert.deepEqual(blocks.map((b) => b.gate), ['i', 'f', 'c', 'o']);
  assert.deepEqual([...blocks[2].values], [20, 21, 22, 23]);
  assert.throws(() => gateBlocks([1, 2, 3], 2, ''), /needs 4 values/);
  // Diagonal blocks with known radii: i = diag(0.5, 0.2), f = diag(2, 0), c = rotation (radius 1), o = 0.
  const whKnown = [0.5, 0, 2, 0, 0, -1, 0, 0, 0, 0.2, 0, 0, 1, 0, 0, 0];
  const radii = recurrentRadii(whKnown, 2, 'ifco');
  assert.deepEqual(radii.map((r) => Math.round(r.radius * 1e12) / 1e12), [0.5, 2, 1, 0]);
  assert.match(radii[1].hint, /explode/);
  assert.match(radii[0].hint, /vanish/);
  assert.match(radiusHint(1), /≈ 1/);
  // Block names come from the cell's own description: block k is its k-th gate.
  assert.deepEqual(blockLabels(cellDescription('CuDNNLSTM', { units: 2 })), ['i: input gate', 'f: forget gate', 'c: cell candidate', 'o: output gate']);
  assert.deepEqual(blockLabels(cellDescription('GRU', { units: 2 })), ['z: update gate', 'r: reset gate', 'h: candidate']);
  assert.deepEqual(blockLabels(cellDescription('SimpleRNN', { units: 2 })), []);
  // A Bidirectional wrapper's weights are explained by its inner layer's cell.
  const lstmCell = cellDescription('LSTM', { units: 2 });
  assert.equal(layerCell({ children: [{ cell: lstmCell } as LayerSummary] }), lstmCell);
  assert.equal(layerCell({ children: [] }), undefined);
  assert.deepEqual(recurrentRadii(whKnown, 2, 'ifco', blockLabels(lstmCell)).map((r) => r.label)[1], 'f: forget gate');
});

test('formatting: 4 significant digits, exponents for tiny and huge, vectors cut with a count', () => {
  assert.equal(fmt(0.5), '0.5');
  assert.equal(fmt(-0.123456), '-0.1235');
  assert.equal(fmt(1234.5), '1235');
  assert.equal(fmt(0.00001234), '1.23e-5');
  assert.equal(fmt(0), '0');
  assert.equal(fmt(NaN), 'NaN');
  assert.equal(fmtVector([1, 2, 3, 4], 2), '[1, 2, … (+2 more)]');
  assert.equal(sub(12), '₁₂');
  assert.equal(fmtCount(4353), '4,353');
});

test('parseUnitList: ranges and lists, with a sentence for bad input', () => {
  assert.deepEqual(parseUnitList('0-3, 7', 10).units, [0, 1, 2, 3, 7]);
  assert.deepEqual(parseUnitList('5 2 2', 10).units, [2, 5]);
  assert.match(parseUnitList('12', 10).error!, /Unit 12 does not exist: this layer has units 0 to 9/);
  assert.match(parseUnitList('3-1', 10).error!, /backwards/);
  assert.match(parseUnitList('a', 10).error!, /not a unit number/);
  assert.match(parseUnitList(' ', 10).error!, /Enter one or more/);
});

test('colours: parse theme colours, blend from the middle to each end, paint with a lookup table', () => {
  assert.deepEqual(parseColor('#3794ff'), [0x37, 0x94, 0xff]);
  assert.deepEqual(parseColor('#fff'), [255, 255, 255]);
  assert.deepEqual(parseColor('rgba(10, 20, 30, 0.5)'), [10, 20, 30]);
  assert.equal(parseColor('not a colour'), null);
  const scale = { negative: [0, 0, 255] as [number, number, number], middle: [255, 255, 255] as [number, number, number], positive: [255, 0, 0] as [number, number, number], limit: 2 };
  assert.deepEqual(divergingColor(scale, 0), [255, 255, 255]);
  assert.deepEqual(divergingColor(scale, 2), [255, 0, 0]);
  assert.deepEqual(divergingColor(scale, -5), [0, 0, 255]);
  // Half way to +limit: 255 + (0 - 255)/2 = 127.5 -> 128 on green and blue.
  assert.deepEqual(divergingColor(scale, 1), [255, 128, 128]);
  assert.equal(symmetricLimit([0.5, -3, 2]), 3);
  assert.equal(symmetricLimit([0, 0]), 1);
  const px = new Uint8ClampedArray(2 * 1 * 4);
  paintDiverging(px, 2, 1, scale, (x) => (x === 0 ? -2 : 2));
  assert.deepEqual([...px], [0, 0, 255, 255, 255, 0, 0, 255]);
});

test('virtual windows: visible rows with overscan, and scrolling to reveal a row', () => {
  // 1000 rows of 24 px, viewport 240 px at offset 2400 (row 100): rows 100..110 visible, ±4 overscan.
  const w = visibleWindow(2400, 240, 24, 1000, 4);
  assert.equal(w.start, 96);
  assert.equal(w.end, 115);
  assert.equal(w.before, 96 * 24);
  assert.equal(w.after, (1000 - 115) * 24);
  assert.deepEqual(visibleWindow(0, 100, 24, 0), { start: 0, end: 0, before: 0, after: 0 });
  assert.equal(scrollToReveal(0, 240, 24, 50), 50 * 24 + 24 - 240);
  assert.equal(scrollToReveal(2400, 240, 24, 20), 480);
  assert.equal(scrollToReveal(2400, 240, 24, 101), 2400);
  assert.equal(clampIndex(-3, 10), 0);
  assert.equal(clampIndex(30, 10), 9);
});

test('state encoding: typed arrays survive a JSON round trip; numbers are counted', () => {
  const value = { a: new Float64Array([1.5, -2]), b: [new Int32Array([3]), { c: new Uint8Array([1, 0]) }], s: 'x', f: new Float32Array([0.25]) };
  const back = decode(JSON.parse(JSON.stringify(encode(value)))) as typeof value;
  assert.ok(back.a instanceof Float64Array);
  assert.deepEqual([...back.a], [1.5, -2]);
  assert.ok(back.b[0] instanceof Int32Array);
  assert.ok((back.b[1] as { c: Uint8Array }).c instanceof Uint8Array);
  assert.ok(back.f instanceof Float32Array);
  assert.equal(back.s, 'x');
  assert.equal(countNumbers(value), 6);
});

function layerSummary(name: string, className: string, inbound: string[] = []): LayerSummary {
  return { name, className, outputShape: null, outputShapeText: '?', inputShapes: [], params: 0, trainableParams: 0, nonTrainableParams: 0, paramsFormula: null, weights: [], children: [], inbound, notes: [] };
}

test('layerInputSequence: previous layer in a Sequential, inbound in a functional graph, else the model input', () => {
  const t = (d: number) => ({ shape: [1, 2, d], data: new Float64Array(2 * d).fill(d) });
  const result = {
    runId: 1, inputs: [t(3)], inputLabel: '', outputs: [], traces: [], recurrentWeights: [], elapsedMs: 0,
    layers: [
      { name: 'emb', className: 'Embedding', node: 0, outputShapes: [[1, 2, 4]], outputs: [t(4)] },
      { name: 'lstm', className: 'LSTM', node: 0, outputShapes: [[1, 2, 5]], outputs: [t(5)] },
      { name: 'gru', className: 'GRU', node: 0, outputShapes: [[1, 2, 6]], outputs: [t(6)] },
    ],
  } as unknown as RunResult;
  const seqSummary = { inputs: [{ name: 'x', shape: [null, 2, 3] }], layers: [layerSummary('emb', 'Embedding'), layerSummary('lstm', 'LSTM'), layerSummary('gru', 'GRU')] } as unknown as ModelSummary;
  assert.equal(layerInputSequence(result, seqSummary, 'lstm')!.features, 4);
  assert.equal(layerInputSequence(result, seqSummary, 'emb')!.features, 3);
  const fnSummary = { inputs: [{ name: 'x', shape: [null, 2, 3] }], layers: [layerSummary('emb', 'Embedding', ['x']), layerSummary('lstm', 'LSTM', ['emb']), layerSummary('gru', 'GRU', ['emb'])] } as unknown as ModelSummary;
  assert.equal(layerInputSequence(result, fnSummary, 'gru')!.features, 4);
  assert.equal(layerInputSequence(result, fnSummary, 'emb')!.features, 3);
  // A D that does not match W_x's rows is refused rather than shown wrong.
  assert.equal(layerInputSequence(result, fnSummary, 'gru', { inputShape: [9] } as never), null);
});

test('trace helpers: quantities in teaching order, keys, Keras major from the version', () => {
  const v = new Float32Array(1);
  const q = traceQuantities({ cell: cellDescription('LSTM', { units: 1 }), values: { h: v, c: v, i: v, f: v, g: v, o: v } });
  assert.deepEqual(q.map((x) => x.key), ['h', 'c', 'i', 'f', 'g', 'o']);
  assert.match(q[3].label, /forget gate/);
  assert.deepEqual(traceQuantities({ cell: cellDescription('GRU', { units: 1 }), values: { h: v, z: v, r: v, hh: v } }).map((x) => x.key), ['h', 'z', 'r', 'hh']);
  // Without traceGates only the states are there.
  assert.deepEqual(traceQuantities({ cell: cellDescription('LSTM', { units: 1 }), values: { h: v, c: v } }).map((x) => x.key), ['h', 'c']);
  assert.equal(traceKey({ layer: 'bi', direction: 'backward' }), 'bi|backward');
  assert.equal(kerasMajorOf('2.15.0'), 2);
  assert.equal(kerasMajorOf('3.4.1'), 3);
  assert.equal(kerasMajorOf(null, 'keras3-h5'), 3);
  assert.equal(kerasMajorOf('1.1.1'), 1);
});

test('explanations: the formula filled in, weight shapes and letter meanings from the summary', () => {
  const layer = {
    ...layerSummary('simple_rnn', 'SimpleRNN'),
    params: 45,
    outputShape: [null, 5],
    outputLetters: ['N', 'M'],
    outputShapeText: '(N, M) = (None, 5)',
    formula: {
      formula: 'D·M + M·M + M',
      substituted: '3·5 + 5·5 + 5 = 45',
      letters: { D: 3, M: 5 },
      terms: [
        { name: 'kernel', shape: [3, 5], count: 15, trainable: true },
        { name: 'recurrent_kernel', shape: [5, 5], count: 25, trainable: true },
        { name: 'bias', shape: [5], count: 5, trainable: true },
      ],
      total: 45, trainable: 45, nonTrainable: 0,
    },
  } as LayerSummary;
  const lines = explainParams(layer);
  assert.equal(lines[0], 'SimpleRNN: D·M + M·M + M');
  assert.equal(lines[1], '= 3·5 + 5·5 + 5 = 45');
  assert.equal(lines[2], 'D = 3 (input features per time step), M = 5 (hidden units)');
  assert.equal(lines[4], 'recurrent_kernel: 5×5 = 25');
  const shape = explainShape(layer);
  assert.equal(shape[0], 'Output shape (N, M) = (None, 5)');
  assert.ok(shape.includes('M: hidden units'));
  assert.ok(shape.some((l) => l.startsWith('None:')));
});

test('strided painting reads a [step][sample][unit] trace in either loop order and matches the per-pixel painter', async () => {
  const { paintDivergingStrided, stridedLimit } = await import('../../webview/logic/colors');
  // 3 steps × 2 samples × 2 units; sample 1 as a steps-across, units-down image (width 3, height 2).
  const data = Float64Array.from({ length: 12 }, (_, i) => (i % 5) - 2);
  const m = { data, offset: 2, xStride: 4, yStride: 1 };
  const at = (x: number, y: number) => data[2 + x * 4 + y];
  const scale = { negative: [0, 0, 255] as [number, number, number], middle: [255, 255, 255] as [number, number, number], positive: [255, 0, 0] as [number, number, number], limit: 2 };
  const a = new Uint8ClampedArray(3 * 2 * 4);
  const b = new Uint8ClampedArray(3 * 2 * 4);
  paintDivergingStrided(a, 3, 2, scale, m);
  paintDiverging(b, 3, 2, scale, at);
  assert.deepEqual([...a], [...b]);
  // The transposed view (units across, steps down) takes the other loop order.
  const c = new Uint8ClampedArray(2 * 3 * 4);
  const d = new Uint8ClampedArray(2 * 3 * 4);
  paintDivergingStrided(c, 2, 3, scale, { data, offset: 2, xStride: 1, yStride: 4 });
  paintDiverging(d, 2, 3, scale, (x, y) => at(y, x));
  assert.deepEqual([...c], [...d]);
  // Sample 1 holds data[2,3,6,7,10,11] = [0, 1, -1, 0, 1, 2] -> limit 2.
  assert.equal(stridedLimit(3, 2, m), 2);
});
