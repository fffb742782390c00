// Trace export: JSON nesting [step][n][unit] keyed by layer (Bidirectional as {forward, backward}, shared layers
// as name@2), and long-format CSV rows. Values are written by hand here, not computed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RecurrentTrace } from '../../extension/keras/layers/types';
import { cellDescription } from './helpers/layerNode';
import { TRACE_CSV_HEADER, tracesToCsv, tracesToJson, type TraceJson, type BidirectionalTraceJson } from '../../extension/keras/traceExport';

// 2 steps, 2 samples, 3 units: h[s][n][m] = 100·s + 10·n + m.
const h = Float32Array.from({ length: 12 }, (_, k) => 100 * Math.floor(k / 6) + 10 * (Math.floor(k / 3) % 2) + (k % 3));
const simple: RecurrentTrace = {
  layer: 'rnn',
  cell: cellDescription('SimpleRNN', { units: 3 }),
  steps: 2,
  batch: 2,
  units: 3,
  stateShape: [3],
  inputShape: [1],
  timeIndex: Int32Array.from([0, 1]),
  values: { h, pre: h.map((v) => v + 0.5) },
};

test('JSON: [step][sample][unit] with timeIndex, only the quantities present', () => {
  const json = tracesToJson([simple]);
  const rnn = json.rnn as TraceJson;
  assert.deepEqual(rnn.h, [
    [[0, 1, 2], [10, 11, 12]],
    [[100, 101, 102], [110, 111, 112]],
  ]);
  assert.deepEqual((rnn.pre as number[][][])[1][0], [100.5, 101.5, 102.5]);
  assert.deepEqual(rnn.timeIndex, [0, 1]);
  assert.equal(rnn.c, undefined);
  assert.equal(rnn.masked, undefined);
});

test('JSON: Bidirectional gives {forward, backward}; a shared layer called twice gets name@2', () => {
  const fwd: RecurrentTrace = { ...simple, layer: 'bi', cell: cellDescription('LSTM', { units: 3 }), direction: 'forward', values: { h, c: h, i: h, f: h, g: h, o: h } };
  const bwd: RecurrentTrace = { ...fwd, direction: 'backward', timeIndex: Int32Array.from([1, 0]), masked: Uint8Array.from([0, 1, 0, 0]) };
  const json = tracesToJson([fwd, bwd, simple, simple]);
  const bi = json.bi as BidirectionalTraceJson;
  assert.deepEqual(bi.forward?.timeIndex, [0, 1]);
  assert.deepEqual(bi.backward?.timeIndex, [1, 0]);
  assert.deepEqual(bi.backward?.masked, [[0, 1], [0, 0]]);
  assert.deepEqual(Object.keys(bi.forward ?? {}).filter((k) => Array.isArray((bi.forward as never)[k])).sort(), ['c', 'f', 'g', 'h', 'i', 'o', 'stateShape', 'timeIndex']);
  assert.deepEqual(Object.keys(json).sort(), ['bi', 'rnn', 'rnn@2']);
});

test('CSV: one row per (layer, direction, step k, time step t, sample, quantity, unit); k and t count from 1', () => {
  const lines = tracesToCsv([simple]).trim().split('\n');
  assert.equal(lines[0], TRACE_CSV_HEADER);
  assert.equal(lines[0], 'layer,direction,k,t,sample,quantity,unit,value');
  assert.equal(lines.length, 1 + 2 * 2 * 2 * 3, 'steps × samples × quantities (h, pre) × units');
  assert.equal(lines[1], 'rnn,,1,1,0,h,0,0');
  // The pre-activation by its symbol a, as the equations and the panel's picker write it.
  assert.equal(lines[4], 'rnn,,1,1,0,a,0,0.5');
  assert.ok(lines.includes('rnn,,2,2,1,h,2,112'));
  const back = tracesToCsv([{ ...simple, layer: 'a,b', direction: 'backward', timeIndex: Int32Array.from([1, 0]) }]).split('\n');
  assert.equal(back[1], '"a,b",backward,1,2,0,h,0,0');
});

test('CSV: the GRU candidate is written h̃, never by its JSON key hh', () => {
  const gru: RecurrentTrace = { ...simple, layer: 'gru', cell: cellDescription('GRU', { units: 3 }), values: { h, z: h, r: h, hh: h } };
  const rows = tracesToCsv([gru]).trim().split('\n').slice(1).map((l) => l.split(','));
  assert.deepEqual([...new Set(rows.map((r) => r[5]))], ['h', 'z', 'r', 'h̃']);
  assert.equal(Math.min(...rows.map((r) => Number(r[2]))), 1, 'k starts at 1');
});
