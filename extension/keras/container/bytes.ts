// Where a model's bytes come from: a file on disk read piecewise (so a .keras zip's weights member is
// read on its own, never the whole zip twice), or bytes already in memory (tests, drag-and-drop).

import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface ByteSource {
  /** File name (for messages) and, when on disk, its path. */
  readonly name: string;
  readonly path?: string;
  readonly size: number;
  /** Reads `length` bytes at `offset` into a fresh ArrayBuffer-backed view (byteOffset 0). */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export async function fileSource(filePath: string): Promise<ByteSource> {
  const handle = await fs.open(filePath, 'r');
  const { size } = await handle.stat();
  return {
    name: path.basename(filePath),
    path: filePath,
    size,
    async read(offset, length) {
      const end = Math.min(size, offset + length);
      const out = new Uint8Array(new ArrayBuffer(Math.max(0, end - offset)));
      let done = 0;
      while (done < out.length) {
        const { bytesRead } = await handle.read(out, done, out.length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === out.length ? out : out.subarray(0, done);
    },
    close: () => handle.close(),
  };
}

export function memorySource(bytes: Uint8Array, name = 'model'): ByteSource {
  return {
    name,
    size: bytes.length,
    async read(offset, length) {
      const end = Math.min(bytes.length, offset + length);
      return bytes.slice(offset, end);
    },
    async close() {},
  };
}
