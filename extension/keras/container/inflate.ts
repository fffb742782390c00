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
  const inflater = new DecompressionStream('deflate-raw');
  const writer = inflater.writable.getWriter();
  const reader = inflater.readable.getReader();
  // Writes are swallowed here: a damaged stream's error reaches the reader, which throws it to the consumer.
  const settle = (p: Promise<unknown>) => p.then(() => 'written' as const, () => 'written' as const);
  let pending = reader.read();
  let finished = false;
  try {
    // One compressed chunk at a time: the next is read only once the inflater has taken this one, and the output
    // it gave is handed out (checked by the consumer) first, so the ratio check sees what was really consumed.
    for await (const chunk of input) {
      const written = settle(writer.write(chunk));
      for (;;) {
        const next = await Promise.race([pending, written]);
        if (next === 'written') break;
        pending = reader.read();
        if (next.done) {
          finished = true;
          return;
        }
        yield next.value;
      }
    }
    void settle(writer.close());
    for (;;) {
      const next = await pending;
      if (next.done) {
        finished = true;
        return;
      }
      pending = reader.read();
      yield next.value;
    }
  } finally {
    // Left early (a bound was passed) or failed: stop the inflater; nothing more of the member is read.
    if (!finished) {
      pending.catch(() => undefined);
      await reader.cancel().catch(() => undefined);
      await writer.abort().catch(() => undefined);
    }
  }
};
