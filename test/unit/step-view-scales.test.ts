// The colour scale each quantity is drawn on (logic/colors.ts): sigmoid gates sequential over (0, 1), states and
// other signed values diverging around 0; the lookup-table painter on both kinds.

import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { paintDiverging, scaleBounds, scaleColor, scaleKindFor, type SequentialScale, type DivergingScale } from '../../webview/logic/colors';

test('scaleKindFor: a gate bounded to [0, 1] is sequential; states, candidates, unbounded gates are diverging', () => {
  assert.deepEqual(scaleKindFor({ role: 'gate', range: [0, 1] }), { kind: 'sequential', min: 0, max: 1 });
  assert.deepEqual(scaleKindFor({ role: 'state', range: [-1, 1] }), { kind: 'diverging' });
  assert.deepEqual(scaleKindFor({ role: 'state' }), { kind: 'diverging' });
  assert.deepEqual(scaleKindFor({ role: 'value', range: [-1, 1] }), { kind: 'diverging' });
  // A gate with a linear recurrent activation has no range: nothing says 0 is its closed end.
  assert.deepEqual(scaleKindFor({ role: 'gate' }), { kind: 'diverging' });
  assert.deepEqual(scaleKindFor({ role: 'gate', range: [-1, 1] }), { kind: 'diverging' });
  assert.deepEqual(scaleKindFor(undefined), { kind: 'diverging' });
});

test('sequential scale: background at 0, the end colour at 1, a straight blend between, clamped outside', () => {
  const s: SequentialScale = { kind: 'sequential', low: [0, 0, 0], high: [200, 100, 40], min: 0, max: 1 };
  assert.deepEqual(scaleBounds(s), [0, 1]);
  assert.deepEqual(scaleColor(s, 0), [0, 0, 0]);
  assert.deepEqual(scaleColor(s, 1), [200, 100, 40]);
  assert.deepEqual(scaleColor(s, 0.5), [100, 50, 20]);
  assert.deepEqual(scaleColor(s, -3), [0, 0, 0]);
  assert.deepEqual(scaleColor(s, 7), [200, 100, 40]);
  // The lookup-table painter agrees at the ends and the middle.
  const px = new Uint8ClampedArray(3 * 4);
  paintDiverging(px, 3, 1, s, (x) => [0, 0.5, 1][x]);
  assert.deepEqual([...px], [0, 0, 0, 255, 100, 50, 20, 255, 200, 100, 40, 255]);
});

test('diverging scale keeps its lookup table: −limit, 0 and +limit paint the two ends and the middle', () => {
  const d: DivergingScale = { negative: [0, 0, 250], middle: [10, 10, 10], positive: [250, 0, 0], limit: 2 };
  assert.deepEqual(scaleBounds(d), [-2, 2]);
  const px = new Uint8ClampedArray(3 * 4);
  paintDiverging(px, 3, 1, d, (x) => [-2, 0, 2][x]);
  assert.deepEqual([...px], [0, 0, 250, 255, 10, 10, 10, 255, 250, 0, 0, 255]);
  assert.deepEqual(scaleColor(d, -1), [5, 5, 130]);
});
