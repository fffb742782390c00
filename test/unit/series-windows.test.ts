// Sliding windows over a CSV column and the run history's kept h_t and differences. Expected values come from
// the sunspots file read here line by line (not through the CSV parser under test) and from counting by hand.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCsv } from '../../extension/keras/inputs';
import { makeWindows, windowCount, windowProblem, rowCadence, cadenceText, predictedNext, isWindowsInput, forecastErrors, MAX_WINDOWS } from '../../webview/logic/windows';
import { keepRun, pushRun, diffTraces, commonTraces, HISTORY_RUNS, HISTORY_NUMBERS_PER_RUN } from '../../webview/logic/runHistory';
import type { RunResult } from '../../extension/protocol';
import type { RecurrentTrace } from '../../extension/keras/layers/types';
import { modelFiles } from './helpers/paths';

/** The sunspots file by hand: `year;value;...` per non-empty line. */
function sunspotsByHand(): { years: number[]; values: number[] } {
  const lines = fs.readFileSync(path.join(modelFiles, 'sunspots-data.csv'), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  return { years: lines.map((l) => Number(l.split(';')[0])), values: lines.map((l) => Number(l.split(';')[1])) };
}

test('windowCount: floor((rows − L) / stride) + 1, by hand', () => {
  assert.equal(windowCount(10, 3, 1), 8); // starts 0..7
  assert.equal(windowCount(10, 3, 2), 4); // starts 0, 2, 4, 6 (8 would need rows 8..10)
  assert.equal(windowCount(10, 3, 3), 3); // starts 0, 3, 6 (rows 6..8, next row 9)
  assert.equal(windowCount(10, 10, 1), 1);
  assert.equal(windowCount(10, 11, 1), 0);
});

test('makeWindows: each window holds rows k·stride … k·stride + L − 1, its next value the row after, NaN past the end', () => {
  const series = [10, 11, 12, 13, 14, 15, 16];
  const w = makeWindows(series, 3, 2);
  assert.equal(w.n, 3); // starts 0, 2, 4
  assert.deepEqual(Array.from(w.data), [10, 11, 12, 12, 13, 14, 14, 15, 16]);
  assert.deepEqual(Array.from(w.starts), [0, 2, 4]);
  assert.deepEqual(Array.from(w.nextRows), [3, 5, 7]);
  assert.deepEqual(Array.from(w.next).slice(0, 2), [13, 15]);
  assert.ok(Number.isNaN(w.next[2]));
});

test('windowProblem: one sentence for each unusable setting', () => {
  assert.match(windowProblem(10, 0, 1)!, /window length/);
  assert.match(windowProblem(10, 2.5, 1)!, /window length/);
  assert.match(windowProblem(10, 3, 0)!, /stride/);
  assert.match(windowProblem(10, 11, 1)!, /longer than the series \(10 rows\)/);
  assert.match(windowProblem(MAX_WINDOWS + 10, 1, 1)!, /more than the/);
  assert.match(windowProblem(200_000, 200, 2)!, /99,901 windows of 200 rows hold 19,980,200 numbers, over the 4,000,000 limit/);
  assert.equal(windowProblem(10, 3, 1), null);
  assert.throws(() => makeWindows([1, 2], 3, 1), /longer than the series/);
});

test('sunspots: 323 yearly rows; L = 30, stride 1 gives 294 windows; L = 20, stride 5 gives 61', () => {
  const hand = sunspotsByHand();
  assert.equal(hand.values.length, 323);
  const column = parseCsv(fs.readFileSync(path.join(modelFiles, 'sunspots-data.csv'), 'utf8'), { column: 1 }).array.data;
  assert.deepEqual(Array.from(column), hand.values);
  const w = makeWindows(column, 30, 1);
  assert.equal(w.n, Math.floor((323 - 30) / 1) + 1);
  assert.equal(w.n, 294);
  assert.deepEqual(Array.from(w.data.subarray(5 * 30, 6 * 30)), hand.values.slice(5, 35));
  assert.equal(w.next[5], hand.values[35]);
  assert.ok(Number.isNaN(w.next[293])); // the last window ends at the last row (1993..2022 → no 2023)
  assert.equal(makeWindows(column, 20, 5).n, 61); // starts 0, 5, …, 300 (300 + 20 = 320 ≤ 323)
  const cadence = rowCadence(hand.years);
  assert.deepEqual(cadence, { kind: 'yearly', first: 1700.5, last: 2022.5, rows: 323 });
  assert.match(cadenceText(cadence!), /yearly: 323 rows, one per year from 1700.5 to 2022.5 \(not monthly\)/);
});

test('rowCadence: monthly decimal years; not a clock when a step differs or the values are not years', () => {
  const months = Array.from({ length: 24 }, (_, i) => 1749 + (i + 0.5) / 12);
  assert.equal(rowCadence(months)?.kind, 'monthly');
  assert.equal(rowCadence([1700.5, 1701.5, 1703.5, 1704.5]), null);
  assert.equal(rowCadence([1, 2, 3, 4]), null);
  assert.equal(rowCadence([2000]), null);
});

test('predictedNext: (N, 1) as is, (N, T, K) the last step, a wrong N is a sentence', () => {
  assert.deepEqual(predictedNext({ shape: [3, 1], data: new Float64Array([1, 2, 3]) }, 3), { values: new Float64Array([1, 2, 3]) });
  const seq = predictedNext({ shape: [2, 3, 1], data: new Float64Array([1, 2, 3, 4, 5, 6]) }, 2);
  assert.ok('values' in seq);
  assert.deepEqual(Array.from(seq.values), [3, 6]);
  assert.deepEqual(predictedNext({ shape: [2, 1], data: new Float64Array(2) }, 3), { error: 'The model gave 2 outputs for 3 windows.' });
  const w = makeWindows([1, 2, 3, 4], 2, 1);
  assert.equal(isWindowsInput({ shape: [3, 2, 1], data: new Float64Array([1, 2, 2, 3, 3, 4]) }, w), true);
  assert.equal(isWindowsInput({ shape: [3, 2, 1], data: new Float64Array([1, 2, 2, 3, 3, 5]) }, w), false);
  // Errors over the windows with a next value only: |3−3.5| and |4−3| → MAE 0.75, RMSE sqrt((0.25 + 1) / 2).
  const e = forecastErrors(new Float64Array([3.5, 3, 9]), w.next);
  assert.equal(e.count, 2);
  assert.equal(e.mae, 0.75);
  assert.ok(Math.abs(e.rmse - Math.sqrt(0.625)) < 1e-15);
});

function trace(layer: string, steps: number, batch: number, units: number, h: number[], extra: Partial<RecurrentTrace> = {}): RecurrentTrace {
  return { layer, cell: {} as RecurrentTrace['cell'], steps, batch, units, stateShape: [units], inputShape: [1], timeIndex: Int32Array.from({ length: steps }, (_, i) => i), values: { h: Float32Array.from(h) }, ...extra };
}

function run(runId: number, traces: RecurrentTrace[]): RunResult {
  return { runId, inputs: [{ shape: [2, 2, 1], data: new Float64Array(4) }], inputLabel: `run ${runId}`, outputs: [], layers: [], traces, recurrentWeights: [], elapsedMs: 1 };
}

test('history: keeps sample 0 of h_t, at most HISTORY_RUNS runs; the diff is B − A and 0 for identical runs', () => {
  // h is [step][sample][unit]: steps 2, samples 2, units 2; sample 0 is h[0..1] and h[4..5].
  const a = keepRun(run(1, [trace('rnn', 2, 2, 2, [1, 2, 9, 9, 3, 4, 9, 9])]), 0);
  assert.deepEqual(Array.from(a.traces[0].h), [1, 2, 3, 4]);
  const b = keepRun(run(2, [trace('rnn', 2, 2, 2, [1, 2.5, 0, 0, 3, 3, 0, 0])]), 0);
  const d = diffTraces(a.traces[0], b.traces[0]);
  assert.deepEqual(Array.from(d.diff), [0, 0.5, 0, -1]);
  assert.equal(d.maxAbs, 1);
  const same = diffTraces(a.traces[0], keepRun(run(3, [trace('rnn', 2, 2, 2, [1, 2, 0, 0, 3, 4, 0, 0])]), 0).traces[0]);
  assert.equal(same.maxAbs, 0);
  assert.deepEqual(Array.from(same.diff), [0, 0, 0, 0]);
  assert.deepEqual(commonTraces(a, b), ['rnn']);
  let history = [a];
  for (let id = 2; id <= 14; id++) history = pushRun(history, keepRun(run(id, []), 0));
  assert.equal(history.length, HISTORY_RUNS);
  assert.deepEqual(history.map((r) => r.runId), [14, 13, 12, 11, 10, 9, 8, 7, 6, 5]);
});

test('history: streamed traces and traces over the per-run budget are named, not kept', () => {
  const big = Math.floor(HISTORY_NUMBERS_PER_RUN / 2) + 1;
  const kept = keepRun(run(1, [
    trace('streamed', 5, 1, 2, [], { streamed: {} as RecurrentTrace['streamed'] }),
    trace('first', big, 1, 1, new Array(big).fill(0)),
    trace('second', big, 1, 1, new Array(big).fill(0)),
  ]), 0);
  assert.deepEqual(kept.traces.map((t) => t.layer), ['first']);
  assert.equal(kept.notKept.length, 2);
  assert.match(kept.notKept[0], /^streamed: streamed/);
  assert.match(kept.notKept[1], /^second: .* over the history's budget/);
});
