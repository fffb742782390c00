// The recycler of run arrays (extension/keras/recycledBuffers.ts): a handed-back buffer is lent out again only for an
// array of exactly its size, always zeroed; detached, small and duplicate buffers are refused, and it keeps at most
// MAX_RECYCLED_BYTES.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_RECYCLED_BYTES, MIN_RECYCLED_BYTES, float32Array, float64Array, giveBack, letGo, recycledStats } from '../../extension/keras/recycledBuffers';

test('a handed-back buffer comes back zeroed, for an array of exactly its size only', () => {
  letGo();
  const n = MIN_RECYCLED_BYTES / 4;
  const dirty = new Float32Array(n).fill(7.5);
  giveBack([dirty.buffer]);
  assert.equal(recycledStats().waitingBytes, MIN_RECYCLED_BYTES);
  const other = float32Array(n + 1); // a different size gets fresh memory
  assert.notEqual(other.buffer, dirty.buffer);
  const before = recycledStats().reusedBytes;
  const again = float64Array(n / 2); // same byte size, another element type: the buffer is just memory
  assert.equal(again.buffer, dirty.buffer);
  assert.ok(again.every((v) => v === 0), 'zeroed');
  assert.equal(recycledStats().reusedBytes - before, MIN_RECYCLED_BYTES);
  assert.equal(recycledStats().waitingBytes, 0);
  assert.notEqual(float32Array(n).buffer, dirty.buffer, 'lent once');
});

test('detached, small, duplicate and over-the-cap buffers are not kept', () => {
  letGo();
  const big = new ArrayBuffer(MIN_RECYCLED_BYTES);
  const detached = new ArrayBuffer(MIN_RECYCLED_BYTES);
  structuredClone(detached, { transfer: [detached] });
  assert.equal(detached.byteLength, 0);
  giveBack([big, big, detached, new ArrayBuffer(MIN_RECYCLED_BYTES - 4), 'not a buffer', null]);
  assert.equal(recycledStats().waitingBytes, MIN_RECYCLED_BYTES);
  const many = Array.from({ length: MAX_RECYCLED_BYTES / (1 << 20) + 4 }, () => new ArrayBuffer(1 << 20));
  giveBack(many);
  assert.ok(recycledStats().waitingBytes <= MAX_RECYCLED_BYTES, `${recycledStats().waitingBytes} bytes kept`);
  letGo();
  assert.equal(recycledStats().waitingBytes, 0);
});
