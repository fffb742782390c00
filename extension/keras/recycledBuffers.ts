// A run's output sequences and trace arrays (megabytes per recurrent layer) reuse the buffers of an earlier run that
// its owner has handed back. Fresh memory costs a page fault per 4 KB on first touch (about 3 ms per MB in the VMs we
// measured, as much as the LSTM's arithmetic over the same trace), and the garbage collector frees a finished run's
// arrays at a time of its choosing, so without this every run lands on fresh pages. The host gives back a run once a
// newer one has replaced it and nothing reads it any more (inspectorSession.ts); the worker lends the buffers out
// again here, zeroed. One recycler per thread (each worker has its own module instance).

/** Buffers smaller than this are not worth keeping: they come from malloc's own free lists. */
export const MIN_RECYCLED_BYTES = 64 * 1024;
/** At most this much waits to be reused, so an idle panel's worker holds little beyond its model. */
export const MAX_RECYCLED_BYTES = 64 * 1024 * 1024;
/** Buffers not reused within this time are let go (a panel left open with no more runs). */
const IDLE_MS = 60_000;

const waiting = new Map<number, ArrayBuffer[]>();
let waitingBytes = 0;
let reusedBytes = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

function take(bytes: number): ArrayBuffer | undefined {
  const list = waiting.get(bytes);
  const buf = list?.pop();
  if (!buf) return undefined;
  if (list!.length === 0) waiting.delete(bytes);
  waitingBytes -= bytes;
  reusedBytes += bytes;
  return buf;
}

/** A zeroed Float32Array of n values, on a handed-back buffer of exactly that size when one waits. */
export function float32Array(n: number): Float32Array {
  const buf = n * 4 >= MIN_RECYCLED_BYTES ? take(n * 4) : undefined;
  return buf ? new Float32Array(buf).fill(0) : new Float32Array(n);
}

/** A zeroed Float64Array of n values, likewise. */
export function float64Array(n: number): Float64Array {
  const buf = n * 8 >= MIN_RECYCLED_BYTES ? take(n * 8) : undefined;
  return buf ? new Float64Array(buf).fill(0) : new Float64Array(n);
}

/**
 * Keeps `buffers` for reuse: the caller gives up every view of them. Detached, small and duplicate buffers are
 * skipped, and nothing beyond MAX_RECYCLED_BYTES is kept.
 */
export function giveBack(buffers: Iterable<unknown>): void {
  const seen = new Set<ArrayBuffer>();
  for (const b of buffers) {
    if (!(b instanceof ArrayBuffer) || seen.has(b)) continue;
    seen.add(b);
    const bytes = b.byteLength;
    if (bytes < MIN_RECYCLED_BYTES || waitingBytes + bytes > MAX_RECYCLED_BYTES) continue;
    const list = waiting.get(bytes);
    if (list) list.push(b);
    else waiting.set(bytes, [b]);
    waitingBytes += bytes;
  }
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  idleTimer = waitingBytes > 0 ? setTimeout(letGo, IDLE_MS) : undefined;
  // Node's timers would keep a worker's event loop alive for a minute; this one must not.
  (idleTimer as { unref?: () => void } | undefined)?.unref?.();
}

/** Drops every buffer waiting for reuse. */
export function letGo(): void {
  waiting.clear();
  waitingBytes = 0;
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  idleTimer = undefined;
}

/** Bytes waiting for reuse, and bytes lent out again since the thread started (for the log and the tests). */
export function recycledStats(): { waitingBytes: number; reusedBytes: number } {
  return { waitingBytes, reusedBytes };
}
