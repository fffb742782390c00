// Inflating a deflated zip member with the platform's DecompressionStream('deflate-raw'): it exists in browsers, Web
// Workers and Node ≥ 18, so the web build needs no zlib. The Node entry points use zlib instead (inflateNode.ts), which
// hands out 1 MB chunks and is about 3× faster on a 200 MB member. Both are driven by readZipMember, which checks
// every output chunk against the member's bounds and stops the inflation at the first one over.

/**
 * Compressed chunks in, inflated chunks out, pulled one at a time: the consumer stops early by leaving its loop
 * (the iterator's return), which cancels the inflation and stops reading the input. Damaged data throws.
 */
export type RawInflate = (input: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>;

export const webInflateRaw: RawInflate = async function* (input) {
  const source = input[Symbol.asyncIterator]();
  // highWaterMark 0: a compressed chunk is read from the file only when the inflater asks for one.
  const compressed = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await source.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel() {
        await source.return?.();
      },
    },
    { highWaterMark: 0 },
  );
  const reader = compressed.pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  let finished = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    // Left early (a bound was passed) or failed: stop the pipe, which stops reading the member.
    if (!finished) await reader.cancel().catch(() => undefined);
  }
};
