// Where a model's bytes come from: bytes already in memory (the extension host reads through VS Code's file system,
// in the browser too), or (Node only, bytesNode.ts) a file on disk read piecewise. No Node import here: the web build
// bundles this file.

import type { RawInflate } from './inflate';

/** A file that can be read synchronously after it was opened (weights read on demand); only files on disk have one. */
export interface LazyFile {
  /** The file's size when it was opened. */
  readonly size: number;
  /**
   * Runs `fn` with a synchronous positional reader (returns the count read, 0 at the end), refusing, in one sentence,
   * a file that changed since it was opened.
   */
  withReader<T>(fn: (pread: (into: Uint8Array, at: number, length: number, position: number) => number) => T): T;
}

export interface ByteSource {
  /** File name (for messages) and, when on disk, its path. */
  readonly name: string;
  readonly path?: string;
  readonly size: number;
  /** Reads `length` bytes at `offset` into a fresh ArrayBuffer-backed view (byteOffset 0). */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
  /** A synchronous view of the file for weights read later; absent for bytes in memory (all are read at once). */
  lazy?(): LazyFile;
  /** Inflates a deflated zip member; absent: the platform's DecompressionStream (inflate.ts). */
  readonly inflateRaw?: RawInflate;
}

/** Bytes in memory; `inflateRaw` lets a Node caller use zlib (inflateNode.ts) instead of DecompressionStream. */
export function memorySource(bytes: Uint8Array, name = 'model', inflateRaw?: RawInflate): ByteSource {
  return {
    name,
    ...(inflateRaw ? { inflateRaw } : {}),
    size: bytes.length,
    async read(offset, length) {
      const end = Math.min(bytes.length, offset + length);
      return bytes.slice(offset, end);
    },
    async close() {},
  };
}
