// PROTOTYPE of a proposed change to the reading core (not used by the product): open an HDF5 file by reading only
// its metadata pages into a full-size, lazily zeroed ArrayBuffer, so jsfive sees every address where it expects it
// but the weight data is never read or paged in until values() asks. bench/read.ts measures it next to loadModel.
//
// It walks what h5py writes with its default (earliest) format: superblock v0, version 1 object headers with their
// continuation blocks, symbol-table groups (v1 B-tree, SNOD nodes, local heap) and global heap collections behind
// variable-length string attributes. Anything else (superblock v2/v3, new-style groups, dense attributes, shared
// messages) falls back to reading the whole file, which is what the core does today.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import * as path from 'node:path';
import type { ByteSource } from '../extension/keras/container/bytes';

const PAGE = 4096;

export interface MetadataImage {
  /** The file's bytes from the superblock on, with only metadata pages filled in. */
  image: ArrayBuffer;
  /** Bytes actually read from the file. */
  fetched: number;
  /** Why the whole file was read instead, when it was. */
  fallback?: string;
}

class Fallback extends Error {}

export function readMetadataImage(fd: number, fileSize: number, superblockOffset = 0): MetadataImage {
  const size = fileSize - superblockOffset;
  const image = new ArrayBuffer(size); // zero pages are mapped lazily: untouched pages cost no memory or time
  const u8 = new Uint8Array(image);
  const dv = new DataView(image);
  const loaded = new Uint8Array(Math.ceil(size / PAGE));
  let fetched = 0;

  const readInto = (start: number, length: number) => {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, u8, start + done, length - done, superblockOffset + start + done);
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

/**
 * A ByteSource over a file on disk that answers the core's one big read of an HDF5 image (the whole .h5 file, or the
 * model.weights.h5 member of a .keras zip) with a metadata image. With it, the unchanged loadModelFromSource shows
 * what the proposed change would cost. Weight values read through it would be zeros: for measuring summarize only.
 */
export function metadataSource(file: string): ByteSource & { fetched: number; fallbacks: string[] } {
  const fd = openSync(file, 'r');
  const size = fstatSync(fd).size;
  const readPlain = (offset: number, length: number) => {
    const out = new Uint8Array(Math.max(0, Math.min(size, offset + length) - offset));
    let done = 0;
    while (done < out.length) {
      const n = readSync(fd, out, done, out.length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    return done === out.length ? out : out.subarray(0, done);
  };
  const source = {
    name: path.basename(file),
    path: file,
    size,
    fetched: 0,
    fallbacks: [] as string[],
    async read(offset: number, length: number): Promise<Uint8Array> {
      const head = readPlain(offset, 8);
      const isHdf5 = head.length === 8 && head[0] === 0x89 && head[1] === 0x48 && head[2] === 0x44 && head[3] === 0x46;
      if (!isHdf5 || length <= PAGE) {
        source.fetched += Math.min(length, size - offset);
        return readPlain(offset, length);
      }
      const m = readMetadataImage(fd, Math.min(size, offset + length), offset);
      source.fetched += m.fetched;
      if (m.fallback) source.fallbacks.push(m.fallback);
      return new Uint8Array(m.image);
    },
    async close() {
      closeSync(fd);
    },
  };
  return source;
}
