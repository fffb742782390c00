// Opens the HDF5 part of a model file without reading its weights: only the metadata pages (superblock, object
// headers, group B-trees and heaps, global heaps of string attributes) go into a full-size, lazily zeroed buffer, so
// jsfive finds every structure at its address, while weight data stays on disk until a WeightRef's values() asks.
// Reading a 500 MB file's bytes into memory costs one page fault per 4 KiB; this reads about 50 KB of it.
//
// The walk covers what h5py writes with its default (earliest) format, which is every Keras file we have seen:
// superblock v0, version 1 object headers, symbol-table groups. Anything else (superblock v2/v3, new-style groups,
// dense attributes, shared messages) reads the whole range, exactly as before.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { NotAKerasFileError } from '../errors';
import type { ByteSource } from './bytes';

/** Weight bytes read on demand from the file, and a way to complete the image for layouts jsfive assembles. */
export interface Hdf5DataAccess {
  /** `length` raw bytes at an HDF5 address (relative to the superblock), in a fresh buffer at byteOffset 0. */
  read(address: number, length: number): Uint8Array;
  /** Reads everything into the image (chunked or filtered datasets, which jsfive decodes from the image). */
  fillAll(): void;
}

export interface Hdf5Bytes {
  /** What openHdf5 gets: the superblock at offset 0. */
  buffer: ArrayBuffer;
  /** Present when weight data was left on disk. */
  data?: Hdf5DataAccess;
}

const PAGE = 4096;

interface MetadataImage {
  /** The file's bytes from the superblock on, with only metadata pages filled in (all of them after a fallback). */
  image: ArrayBuffer;
  /** Bytes actually read from the file. */
  fetched: number;
  /** Why the whole range was read instead, when it was. */
  fallback?: string;
}

/** Reads `length` bytes at file `position` into `into` at `at`; returns the count read (0 at the end). */
type Pread = (into: Uint8Array, at: number, length: number, position: number) => number;

class Fallback extends Error {}

function readMetadataImage(pread: Pread, superblockOffset: number, size: number): MetadataImage {
  const image = new ArrayBuffer(size); // zero pages are mapped lazily: untouched pages cost no memory or time
  const u8 = new Uint8Array(image);
  const dv = new DataView(image);
  const loaded = new Uint8Array(Math.ceil(size / PAGE));
  let fetched = 0;

  const readInto = (start: number, length: number) => {
    let done = 0;
    while (done < length) {
      const n = pread(u8, start + done, length - done, superblockOffset + start + done);
      if (n === 0) break;
      done += n;
    }
    fetched += done;
  };
  /** Makes [addr, addr + length) present, whole pages at a time (jsfive may read a little past a structure). */
  const fetch = (addr: number, length: number) => {
    if (addr < 0 || length < 0 || addr + length > size) throw new Fallback(`address ${addr}+${length} is outside the file`);
    const first = Math.floor(addr / PAGE);
    const last = Math.min(loaded.length - 1, Math.floor((addr + Math.max(length, 1) - 1) / PAGE));
    for (let p = first; p <= last; ) {
      if (loaded[p]) {
        p++;
        continue;
      }
      let q = p;
      while (q <= last && !loaded[q]) loaded[q++] = 1;
      const start = p * PAGE;
      readInto(start, Math.min(size, q * PAGE) - start);
      p = q;
    }
  };
  const u64 = (at: number) => {
    const v = dv.getBigUint64(at, true);
    if (v === 0xffffffffffffffffn) return -1; // HDF5 "undefined address"
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Fallback('address beyond 2^53');
    return Number(v);
  };
  const signature = (at: number, text: string) => String.fromCharCode(...u8.subarray(at, at + 4)) === text;

  try {
    fetch(0, 96 + 40);
    if (!signature(0, '\x89HDF') || u8[8] !== 0) throw new Fallback(`superblock version ${u8[8]}`);
    if (u8[13] !== 8 || u8[14] !== 8) throw new Fallback('offsets or lengths are not 8 bytes');
    const leafK = dv.getUint16(16, true);
    const internalK = dv.getUint16(18, true);
    const rootHeader = u64(56 + 8); // root symbol table entry: link name offset, then object header address

    const seenHeaders = new Set<number>();
    const seenTrees = new Set<number>();
    const seenGlobal = new Set<number>();
    const pending: number[] = [rootHeader];

    const globalHeap = (addr: number) => {
      if (addr <= 0 || seenGlobal.has(addr)) return;
      seenGlobal.add(addr);
      fetch(addr, 16);
      if (!signature(addr, 'GCOL')) throw new Fallback(`no global heap at ${addr}`);
      fetch(addr, u64(addr + 8));
    };
    const localHeap = (addr: number) => {
      fetch(addr, 32);
      if (!signature(addr, 'HEAP')) throw new Fallback(`no local heap at ${addr}`);
      fetch(u64(addr + 24), u64(addr + 8));
    };
    const snod = (addr: number) => {
      fetch(addr, 8 + 2 * leafK * 40);
      if (!signature(addr, 'SNOD')) throw new Fallback(`no symbol node at ${addr}`);
      const n = dv.getUint16(addr + 6, true);
      for (let i = 0; i < n; i++) pending.push(u64(addr + 8 + i * 40 + 8));
    };
    const btree = (addr: number) => {
      if (seenTrees.has(addr)) return;
      seenTrees.add(addr);
      fetch(addr, 24 + (2 * internalK + 1) * 8 + 2 * internalK * 8);
      if (!signature(addr, 'TREE') || u8[addr + 4] !== 0) throw new Fallback(`no group B-tree at ${addr}`);
      const level = u8[addr + 5];
      const used = dv.getUint16(addr + 6, true);
      for (let i = 0; i < used; i++) {
        const child = u64(addr + 24 + 8 + i * 16);
        if (level > 0) btree(child);
        else snod(child);
      }
    };
    const pad8 = (n: number) => (n + 7) & ~7;
    const attribute = (at: number) => {
      const version = u8[at];
      if (version < 1 || version > 3) throw new Fallback(`attribute message version ${version}`);
      const nameSize = dv.getUint16(at + 2, true);
      const typeSize = dv.getUint16(at + 4, true);
      const spaceSize = dv.getUint16(at + 6, true);
      const pad = version === 1 ? pad8 : (n: number) => n;
      const typeAt = at + (version === 3 ? 9 : 8) + pad(nameSize);
      const spaceAt = typeAt + pad(typeSize);
      const dataAt = spaceAt + pad(spaceSize);
      const typeClass = u8[typeAt] & 0x0f;
      if (typeClass === 6 || typeClass === 7 || typeClass === 10) throw new Fallback(`attribute datatype class ${typeClass}`);
      if (typeClass !== 9) return; // fixed-size data lives inside the header
      const rank = u8[spaceAt + 1];
      const dimsAt = spaceAt + (u8[spaceAt] === 1 ? 8 : 4);
      if (u8[spaceAt] === 2 && u8[spaceAt + 3] === 2) return; // null dataspace: no elements
      let count = 1;
      for (let d = 0; d < rank; d++) count *= u64(dimsAt + d * 8);
      for (let i = 0; i < count; i++) globalHeap(u64(dataAt + i * 16 + 4)); // (length, collection, index)
    };
    const messages = (start: number, end: number) => {
      for (let p = start; p + 8 <= end; ) {
        const type = dv.getUint16(p, true);
        const length = dv.getUint16(p + 2, true);
        const flags = u8[p + 4];
        const data = p + 8;
        if (flags & 0x02) throw new Fallback('shared object header message');
        if (type === 0x0011) {
          localHeap(u64(data + 8));
          btree(u64(data));
        } else if (type === 0x0010) {
          const addr = u64(data);
          const len = u64(data + 8);
          fetch(addr, len);
          messages(addr, addr + len);
        } else if (type === 0x000c) {
          attribute(data);
        } else if (type === 0x0002 || type === 0x0006 || type === 0x0015) {
          throw new Fallback(`new-style group or dense attributes (message 0x${type.toString(16)})`);
        }
        p = data + length;
      }
    };
    while (pending.length) {
      const addr = pending.pop()!;
      if (addr < 0 || seenHeaders.has(addr)) continue;
      seenHeaders.add(addr);
      fetch(addr, 16);
      if (u8[addr] !== 1) throw new Fallback(`object header version ${u8[addr]} at ${addr}`);
      const headerSize = dv.getUint32(addr + 8, true);
      fetch(addr + 16, headerSize);
      messages(addr + 16, addr + 16 + headerSize);
    }
    return { image, fetched };
  } catch (e) {
    if (!(e instanceof Fallback) && !(e instanceof RangeError)) throw e;
    fetch(0, size);
    return { image, fetched, fallback: e.message };
  }
}


/** Opens a file for one synchronous read, refusing it if it changed since the model was opened. */
function withFile<T>(file: string, name: string, stamp: { size: number; mtimeMs: number }, fn: (fd: number) => T): T {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new NotAKerasFileError(`${name} can no longer be read (${(e as NodeJS.ErrnoException).code ?? String(e)}); open it again.`);
  }
  try {
    const now = fstatSync(fd);
    if (now.size !== stamp.size || now.mtimeMs !== stamp.mtimeMs) {
      throw new NotAKerasFileError(`${name} changed on disk since it was opened; open it again to read its weights.`);
    }
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

function preadAll(fd: number, into: Uint8Array, at: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, into, at + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * The HDF5 bytes at [offset, offset + length) of a source (a whole .h5 file, or the stored model.weights.h5 member of
 * a .keras zip). From a file on disk only the metadata is read; from memory, the bytes are used as they are.
 */
export async function openHdf5Bytes(source: ByteSource, offset: number, length: number): Promise<Hdf5Bytes> {
  if (!source.path) {
    const bytes = await source.read(offset, length);
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    return { buffer: (whole ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer };
  }
  const file = source.path;
  const fd = openSync(file, 'r');
  let stamp: { size: number; mtimeMs: number };
  let image: MetadataImage;
  try {
    const st = fstatSync(fd);
    stamp = { size: st.size, mtimeMs: st.mtimeMs };
    const size = Math.max(0, Math.min(length, st.size - offset));
    image = readMetadataImage((into, at, n, position) => readSync(fd, into, at, n, position), offset, size);
  } finally {
    closeSync(fd);
  }
  if (image.fallback) return { buffer: image.image };
  let complete = false;
  const u8 = new Uint8Array(image.image);
  return {
    buffer: image.image,
    data: {
      read(address, n) {
        const out = new Uint8Array(n);
        const got = withFile(file, source.name, stamp, (f) => preadAll(f, out, 0, n, offset + address));
        if (got !== n) throw new NotAKerasFileError(`${source.name} is truncated: a weight at byte ${offset + address} runs past the end of the file.`);
        return out;
      },
      fillAll() {
        if (complete) return;
        withFile(file, source.name, stamp, (f) => preadAll(f, u8, 0, u8.length, offset));
        complete = true;
      },
    },
  };
}
