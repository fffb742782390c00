// Opens the HDF5 part of a model file without reading its weights: only the metadata pages (superblock, object
// headers, group B-trees and heaps, global heaps of string attributes) go into a full-size, lazily zeroed buffer, so
// jsfive finds every structure at its address, while weight data stays on disk until a WeightRef's values() asks.
// Reading a 500 MB file's bytes into memory costs one page fault per 4 KiB; this reads about 50 KB of it.
//
// The walk covers what h5py writes with its default (earliest) format, which is every Keras file we have seen
// (superblock v0, version 1 object headers, symbol-table groups), and what it writes with libver='latest' or
// track_order=True (superblock v2/v3, version 2 object headers with continuation blocks, link messages, dense groups
// in a fractal heap indexed by v2 B-trees, dense attributes). It fetches exactly what jsfive reads, mirroring jsfive's
// own arithmetic where that differs from the specification. Anything else (a superblock extension, shared messages,
// huge or filtered heap objects, 4-byte offsets) reads the whole range, exactly as before.

import { NotAKerasFileError } from '../errors';
import { MAX_TEXT_BYTES, MAX_WHOLE_READ_BYTES, formatBytes } from '../limits';
import { showName } from '../safeText';
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

/** The metadata refers back to itself (a B-tree node, heap block or continuation met twice): never hand it to jsfive. */
export class Hdf5LoopError extends Error {}
/** More metadata nodes than any real model has: walking on would do work proportional to a file's claims. */
export class Hdf5BudgetError extends Error {}

/** A string-attribute heap larger than MAX_TEXT_BYTES. */
class Hdf5TextError extends Error {}

/** Object headers, B-tree nodes, symbol nodes and heap blocks one walk visits at most; real Keras files have thousands. */
export const MAX_HDF5_NODES = 1_000_000;

/** The sentence for a file whose structure loops (hard links are fine; B-trees and heaps must be trees). */
/**
 * Per level of a v2 B-tree, the byte widths of a child pointer's record count and total count, computed the way
 * jsfive computes them (the metadata walk and the pre-check before jsfive must agree with it).
 */
export function v2BtreePointerWidths(nodeSize: number, recordSize: number, depth: number): Array<[number, number]> {
  const bytesFor = (n: number) => Math.ceil(n.toString(2).length / 8);
  const formats: Array<[number, number]> = [];
  let maxRecords = 0;
  let maxTotal = 0;
  for (let level = 0; level <= depth; level++) {
    const num1 = level === 0 ? 0 : bytesFor(maxRecords);
    const num2 = level <= 1 ? 0 : bytesFor(maxTotal);
    formats.push([num1, num2]);
    if (level < depth) {
      const pointer = (level === 0 ? 0 : 8) + num1 + num2;
      maxRecords = Math.floor((nodeSize - 10 - pointer) / (recordSize + pointer));
      maxTotal = maxTotal > 0 ? maxTotal * maxRecords : maxRecords;
    }
  }
  return formats;
}

export const loopSentence = (name: string): string => `${name} cannot be read: its group structure loops back on itself: the file is damaged or crafted.`;
export const budgetSentence = (name: string): string =>
  `${name} has more than ${MAX_HDF5_NODES.toLocaleString('en-US')} HDF5 objects and tree nodes, far beyond any real model: the file is damaged or crafted.`;

function readMetadataImage(pread: Pread, superblockOffset: number, size: number, fillOnFallback = true): MetadataImage {
  let image: ArrayBuffer;
  try {
    image = new ArrayBuffer(size); // zero pages are mapped lazily: untouched pages cost no memory or time
  } catch {
    throw new WholeReadRefused(size, ''); // a (sparse) file larger than the address space this machine will map
  }
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
  let visited = 0;
  /** Counts one more metadata node against MAX_HDF5_NODES. */
  const visit = () => {
    if (++visited > MAX_HDF5_NODES) throw new Hdf5BudgetError('node budget');
  };

  try {
    fetch(0, 96 + 40);
    if (!signature(0, '\x89HDF')) throw new Fallback('no HDF5 signature');
    const superblockVersion = u8[8];
    let rootHeader: number;
    let leafK = 0;
    let internalK = 0;
    if (superblockVersion === 0) {
      if (u8[13] !== 8 || u8[14] !== 8) throw new Fallback('offsets or lengths are not 8 bytes');
      leafK = dv.getUint16(16, true);
      internalK = dv.getUint16(18, true);
      rootHeader = u64(56 + 8); // root symbol table entry: link name offset, then object header address
    } else if (superblockVersion === 2 || superblockVersion === 3) {
      if (u8[9] !== 8 || u8[10] !== 8) throw new Fallback('offsets or lengths are not 8 bytes');
      // A superblock extension holds file-wide settings (e.g. shared messages) the walk does not know about.
      if (u64(20) !== -1) throw new Fallback('superblock extension');
      rootHeader = u64(36); // signature, 4 version/size bytes, base, extension, end-of-file, then the root header
    } else {
      throw new Fallback(`superblock version ${superblockVersion}`);
    }

    const seenHeaders = new Set<number>();
    const seenTrees = new Set<number>();
    const seenGlobal = new Set<number>();
    const seenHeaps = new Set<number>();
    const seenBlocks = new Set<number>();
    const pending: number[] = [rootHeader];

    const globalHeap = (addr: number) => {
      if (addr <= 0 || seenGlobal.has(addr)) return;
      seenGlobal.add(addr);
      fetch(addr, 16);
      if (!signature(addr, 'GCOL')) throw new Fallback(`no global heap at ${addr}`);
      // A global heap holds string attributes: one over MAX_TEXT_BYTES is refused before jsfive decodes it.
      if (u64(addr + 8) > MAX_TEXT_BYTES + PAGE) throw new Hdf5TextError(formatBytes(u64(addr + 8)));
      fetch(addr, u64(addr + 8));
    };
    const localHeap = (addr: number) => {
      fetch(addr, 32);
      if (!signature(addr, 'HEAP')) throw new Fallback(`no local heap at ${addr}`);
      fetch(u64(addr + 24), u64(addr + 8));
    };
    const snod = (addr: number) => {
      visit();
      fetch(addr, 8 + 2 * leafK * 40);
      if (!signature(addr, 'SNOD')) throw new Fallback(`no symbol node at ${addr}`);
      const n = dv.getUint16(addr + 6, true);
      for (let i = 0; i < n; i++) pending.push(u64(addr + 8 + i * 40 + 8));
    };
    /** A group B-tree: a tree whose levels count down to 0; a node met twice in one tree is a loop (or a DAG). */
    const btree = (root: number) => {
      if (seenTrees.has(root)) return;
      seenTrees.add(root);
      const inTree = new Set<number>();
      const node = (addr: number, expectLevel: number | null) => {
        if (inTree.has(addr)) throw new Hdf5LoopError(`group B-tree node ${addr} met twice`);
        inTree.add(addr);
        visit();
        fetch(addr, 24 + (2 * internalK + 1) * 8 + 2 * internalK * 8);
        if (!signature(addr, 'TREE') || u8[addr + 4] !== 0) throw new Fallback(`no group B-tree at ${addr}`);
        const level = u8[addr + 5];
        if (expectLevel !== null && level !== expectLevel) throw new Hdf5LoopError(`group B-tree node ${addr} at the wrong level`);
        const used = dv.getUint16(addr + 6, true);
        for (let i = 0; i < used; i++) {
          const child = u64(addr + 24 + 8 + i * 16);
          if (level > 0) node(child, level - 1);
          else snod(child);
        }
      };
      node(root, null);
    };
    /** Little-endian unsigned integer of 1..8 bytes. */
    const uint = (at: number, bytes: number) => {
      if (bytes === 8) return u64(at);
      let v = 0;
      for (let i = bytes - 1; i >= 0; i--) v = v * 256 + u8[at + i];
      return v;
    };
    const bytesFor = (n: number) => Math.ceil(n.toString(2).length / 8); // as jsfive sizes heap IDs and B-tree counts

    /** A link message body (new-style groups): queues a hard link's target; soft links point nowhere in the file. */
    const link = (at: number) => {
      if (u8[at] !== 1) throw new Fallback(`link message version ${u8[at]}`);
      const flags = u8[at + 1];
      let q = at + 2;
      let type = 0;
      if (flags & 0x08) type = u8[q++];
      if (flags & 0x04) q += 8; // creation order
      if (flags & 0x10) q += 1; // name character set
      const lengthBytes = 1 << (flags & 3);
      const nameLength = uint(q, lengthBytes);
      q += lengthBytes + nameLength;
      if (type === 0) pending.push(u64(q));
      else if (type !== 1) throw new Fallback(`link type ${type}`);
    };

    /**
     * A fractal heap (dense group links or attributes): fetches the header and every direct block jsfive would
     * concatenate, in its order, and returns a way to find a managed object's file address from its heap ID.
     */
    const fractalHeap = (addr: number) => {
      fetch(addr, 146); // fixed header with 8-byte offsets and lengths, no filter info, then the checksum
      if (!signature(addr, 'FRHP') || u8[addr + 4] !== 0) throw new Fallback(`no fractal heap at ${addr}`);
      if (dv.getUint16(addr + 7, true) !== 0) throw new Fallback('filtered fractal heap');
      if (u64(addr + 22) !== -1) throw new Fallback('fractal heap with huge objects');
      const flags = u8[addr + 9];
      const maxManaged = dv.getUint32(addr + 10, true);
      const tableWidth = dv.getUint16(addr + 110, true);
      const startBlock = u64(addr + 112);
      const maxDirect = u64(addr + 120);
      const maxHeapBits = dv.getUint16(addr + 128, true);
      const root = u64(addr + 132);
      const rootRows = dv.getUint16(addr + 140, true);
      const log2 = (n: number) => Math.floor(Math.log2(n));
      if (startBlock <= 0 || tableWidth <= 0 || 2 ** log2(startBlock) !== startBlock || 2 ** log2(maxDirect) !== maxDirect || 2 ** log2(tableWidth) !== tableWidth) {
        throw new Fallback('fractal heap geometry');
      }
      if (root < 0) throw new Fallback('fractal heap without a root block');
      const offsetBytes = Math.ceil(maxHeapBits / 8);
      const lengthBytes = bytesFor(Math.min(maxDirect, maxManaged));
      const blockOffsetBytes = offsetBytes;
      const maxDirectRows = log2(maxDirect) - log2(startBlock) + 2;
      const indirectRowsSub = log2(tableWidth) + log2(startBlock) - 1;
      const blocks: Array<[number, number]> = [];
      const direct = (at: number, size: number) => {
        if (heapBlocks.has(at)) throw new Hdf5LoopError(`fractal heap block ${at} met twice`);
        heapBlocks.add(at);
        visit();
        fetch(at, size);
        if (!signature(at, 'FHDB')) throw new Fallback(`no fractal heap direct block at ${at}`);
        blocks.push([at, size]);
      };
      const blockSize = (i: number) => 2 ** Math.max(Math.floor(i / tableWidth) - 1, 0) * startBlock;
      const heapBlocks = new Set<number>();
      const indirect = (at: number, rows: number, depth: number) => {
        if (depth > 16) throw new Fallback('fractal heap too deep');
        if (heapBlocks.has(at)) throw new Hdf5LoopError(`fractal heap block ${at} met twice`);
        heapBlocks.add(at);
        visit();
        const entries = rows * tableWidth;
        let q = at + 4 + 1 + 8 + blockOffsetBytes;
        fetch(at, q - at + entries * 8 + 4);
        if (!signature(at, 'FHIB')) throw new Fallback(`no fractal heap indirect block at ${at}`);
        // Mirrors jsfive, which compares the row count against an entry count here.
        const ndirect = rows <= maxDirectRows * tableWidth ? entries : maxDirectRows * tableWidth;
        const nindirect = entries - ndirect;
        const directs: Array<[number, number]> = [];
        for (let i = 0; i < ndirect; i++) {
          const a = u64(q);
          q += 8;
          if (a < 0) break;
          directs.push([a, blockSize(i)]);
        }
        const indirects: Array<[number, number]> = [];
        for (let i = ndirect; i < ndirect + nindirect; i++) {
          const a = u64(q);
          q += 8;
          if (a < 0) break;
          indirects.push([a, log2(blockSize(i)) - indirectRowsSub]);
        }
        for (const [a, size] of directs) direct(a, size);
        for (const [a, r] of indirects) indirect(a, r, depth + 1);
      };
      if (rootRows > 0) indirect(root, rootRows, 0);
      else direct(root, startBlock);
      /** The file address of a managed object's bytes, from its heap ID. */
      const locate = (id: number): number => {
        const first = u8[id];
        if (((first >> 4) & 3) !== 0 || first >> 6 !== 0) throw new Fallback('tiny or huge fractal heap object');
        const offset = uint(id + 1, offsetBytes);
        const length = uint(id + 1 + offsetBytes, lengthBytes);
        let base = 0;
        for (const [a, size] of blocks) {
          if (offset >= base && offset < base + size) {
            if (offset + length > base + size) throw new Fallback('fractal heap object spans blocks');
            return a + (offset - base);
          }
          base += size;
        }
        throw new Fallback('fractal heap object outside its blocks');
      };
      return locate;
    };

    /** A version 2 B-tree: fetches every node jsfive reads and returns where each record starts. */
    const btreeV2 = (addr: number, expectType: number): number[] => {
      fetch(addr, 38);
      if (!signature(addr, 'BTHD') || u8[addr + 4] !== 0) throw new Fallback(`no v2 B-tree at ${addr}`);
      if (u8[addr + 5] !== expectType) throw new Fallback(`v2 B-tree type ${u8[addr + 5]}`);
      const nodeSize = dv.getUint32(addr + 6, true);
      const recordSize = dv.getUint16(addr + 10, true);
      const depth = dv.getUint16(addr + 12, true);
      const root = u64(addr + 16);
      const rootRecords = dv.getUint16(addr + 24, true);
      if (depth > 8 || recordSize === 0) throw new Fallback('v2 B-tree shape');
      const records: number[] = [];
      if (root < 0) return records;
      const formats = v2BtreePointerWidths(nodeSize, recordSize, depth);
      const inTree = new Set<number>();
      const node = (at: number, n: number, level: number) => {
        if (inTree.has(at)) throw new Hdf5LoopError(`v2 B-tree node ${at} met twice`);
        inTree.add(at);
        visit();
        fetch(at, nodeSize);
        if (!signature(at, level > 0 ? 'BTIN' : 'BTLF')) throw new Fallback(`no v2 B-tree node at ${at}`);
        let q = at + 6;
        for (let i = 0; i < n; i++, q += recordSize) records.push(q);
        if (level === 0) return;
        const [num1, num2] = formats[level];
        fetch(at, q - at + (n + 1) * (8 + num1 + num2));
        const children: Array<[number, number]> = [];
        for (let j = 0; j <= n; j++) {
          const child = u64(q);
          const count = uint(q + 8, num1);
          q += 8 + num1 + num2;
          children.push([child, count]);
        }
        for (const [child, count] of children) node(child, count, level - 1);
      };
      node(root, rootRecords, depth);
      return records;
    };

    /** Link info: the group's links live in a fractal heap, indexed by name (and creation order with track_order). */
    const linkInfo = (at: number) => {
      if (u8[at] !== 0) throw new Fallback(`link info version ${u8[at]}`);
      const flags = u8[at + 1];
      const q = at + 2 + (flags & 1 ? 8 : 0);
      const heap = u64(q);
      const names = u64(q + 8);
      const orders = flags & 2 ? u64(q + 16) : -1;
      if (names < 0) return; // jsfive lists no links then, from memory too
      if (seenHeaps.has(heap)) return;
      seenHeaps.add(heap);
      const locate = fractalHeap(heap);
      // jsfive takes the records from the creation-order index when there is one, else from the name index.
      const nameRecords = btreeV2(names, 5);
      const records = orders >= 0 ? btreeV2(orders, 6).map((r) => r + 8) : nameRecords.map((r) => r + 4);
      for (const r of records) link(locate(r));
    };
    /** Attribute info (dense attributes): jsfive does not read them, but fetch what is reachable all the same. */
    const attributeInfo = (at: number) => {
      if (u8[at] !== 0) throw new Fallback(`attribute info version ${u8[at]}`);
      const flags = u8[at + 1];
      const q = at + 2 + (flags & 1 ? 2 : 0);
      const heap = u64(q);
      const names = u64(q + 8);
      const orders = flags & 2 ? u64(q + 16) : -1;
      if (heap < 0 || seenHeaps.has(heap)) return;
      seenHeaps.add(heap);
      fractalHeap(heap);
      if (names >= 0) btreeV2(names, 8);
      if (orders >= 0) btreeV2(orders, 9);
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
    /** One message of either header version; returns nothing, but follows what the message points at. */
    const message = (type: number, flags: number, data: number, v2: boolean) => {
      // NIL messages carry nothing; jsfive also reads a 2-3 byte gap before a v2 chunk's checksum as one.
      if (type === 0) return;
      if (flags & 0x02) throw new Fallback(`shared object header message (type ${type})`);
      if (type === 0x0011) {
        localHeap(u64(data + 8));
        btree(u64(data));
      } else if (type === 0x0010) {
        const addr = u64(data);
        const len = u64(data + 8);
        // jsfive follows each continuation block once; so does the walk (a block met again is simply skipped).
        if (seenBlocks.has(addr)) return;
        seenBlocks.add(addr);
        visit();
        fetch(addr, len);
        if (!v2) messagesV1(addr, addr + len);
        else {
          if (!signature(addr, 'OCHK')) throw new Fallback(`no continuation block at ${addr}`);
          messagesV2(addr + 4, addr + len, crtBytes); // jsfive's block: after the signature, checksum included
        }
      } else if (type === 0x000c) {
        attribute(data);
      } else if (type === 0x0006) {
        link(data);
      } else if (type === 0x0002) {
        linkInfo(data);
      } else if (type === 0x0015) {
        attributeInfo(data);
      }
    };
    let crtBytes = 0; // creation-order bytes per message in the version 2 header being walked
    const messagesV1 = (start: number, end: number) => {
      for (let p = start; p + 8 <= end; ) {
        const type = dv.getUint16(p, true);
        const length = dv.getUint16(p + 2, true);
        message(type, u8[p + 4], p + 8, false);
        p += 8 + length;
      }
    };
    // jsfive reads version 2 messages while at least 4 bytes (one message prefix) remain in a block.
    const messagesV2 = (start: number, end: number, crt: number) => {
      for (let p = start; p < end - 4; ) {
        const type = u8[p];
        const length = dv.getUint16(p + 1, true);
        message(type, u8[p + 3], p + 4 + crt, true);
        p += 4 + crt + length;
      }
    };
    while (pending.length) {
      const addr = pending.pop()!;
      if (addr < 0 || seenHeaders.has(addr)) continue;
      seenHeaders.add(addr);
      visit();
      fetch(addr, 16);
      if (u8[addr] === 1) {
        const headerSize = dv.getUint32(addr + 8, true);
        fetch(addr + 16, headerSize);
        messagesV1(addr + 16, addr + 16 + headerSize);
      } else if (signature(addr, 'OHDR') && u8[addr + 4] === 2) {
        const flags = u8[addr + 5];
        if (flags & 0x10) throw new Fallback('object header with attribute storage phase change values');
        let p = addr + 6 + (flags & 0x20 ? 16 : 0);
        fetch(addr, p - addr + 8);
        const sizeBytes = 1 << (flags & 3);
        const chunk = uint(p, sizeBytes);
        p += sizeBytes;
        fetch(p, chunk + 4);
        crtBytes = flags & 0x04 ? 2 : 0;
        messagesV2(p, p + chunk, crtBytes);
      } else {
        throw new Fallback(`object header version ${u8[addr]} at ${addr}`);
      }
    }
    return { image, fetched };
  } catch (e) {
    if (!(e instanceof Fallback) && !(e instanceof RangeError)) throw e;
    if (fillOnFallback) {
      // The whole-file read is for small files of an unusual layout; a big one (or a sparse one) gets a sentence.
      if (size > MAX_WHOLE_READ_BYTES) throw new WholeReadRefused(size, e.message);
      fetch(0, size);
    }
    return { image, fetched, fallback: e.message };
  }
}


/** A whole-file read the size limit refused: `reason` says which layout the walk did not know. */
class WholeReadRefused extends Error {
  constructor(readonly size: number, readonly reason: string) {
    super(reason);
  }
}

function wholeReadSentence(name: string, size: number, reason: string): string {
  if (!reason) return `${showName(name)} is ${formatBytes(size)}, more than this machine can map to find its HDF5 metadata; a Keras model this large is not something this tool can open.`;
  return `${showName(name)} is ${formatBytes(size)} and uses an HDF5 layout (${showName(reason, 60)}) that is read only whole, which this tool does up to ${formatBytes(MAX_WHOLE_READ_BYTES)}; re-save it with h5py's default settings or model.save().`;
}

/** Runs the metadata walk, turning a loop or an exhausted node budget into the file's one sentence. */
function walkChecked<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Hdf5LoopError) throw new NotAKerasFileError(loopSentence(showName(name)));
    if (e instanceof Hdf5BudgetError) throw new NotAKerasFileError(budgetSentence(showName(name)));
    if (e instanceof Hdf5TextError) {
      throw new NotAKerasFileError(`${showName(name)} holds ${e.message} of string attributes, over the ${formatBytes(MAX_TEXT_BYTES)} limit for a Keras config: the file is damaged or crafted.`);
    }
    if (e instanceof WholeReadRefused) throw new NotAKerasFileError(wholeReadSentence(name, e.size, e.reason));
    throw e;
  }
}

function preadAll(pread: Pread, into: Uint8Array, at: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = pread(into, at + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * The HDF5 bytes at [offset, offset + length) of a source (a whole .h5 file, or the stored model.weights.h5 member of
 * a .keras zip). From a file on disk (a source with `lazy`) only the metadata is read; from memory, the bytes are used
 * as they are.
 */
export async function openHdf5Bytes(source: ByteSource, offset: number, length: number): Promise<Hdf5Bytes> {
  const lazy = source.lazy?.();
  if (!lazy) {
    const bytes = await source.read(offset, length);
    // The same walk checks bytes in memory, so a looping structure is refused before jsfive follows it.
    walkChecked(source.name, () =>
      readMetadataImage((into, at, n, position) => {
        const part = bytes.subarray(position, position + n);
        into.set(part, at);
        return part.length;
      }, 0, bytes.byteLength, false),
    );
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    return { buffer: (whole ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer };
  }
  const size = Math.max(0, Math.min(length, lazy.size - offset));
  const image = walkChecked(source.name, () => lazy.withReader((pread) => readMetadataImage(pread, offset, size)));
  if (image.fallback) return { buffer: image.image };
  let complete = false;
  const u8 = new Uint8Array(image.image);
  return {
    buffer: image.image,
    data: {
      read(address, n) {
        const out = new Uint8Array(n);
        const got = lazy.withReader((pread) => preadAll(pread, out, 0, n, offset + address));
        if (got !== n) throw new NotAKerasFileError(`${source.name} is truncated: a weight at byte ${offset + address} runs past the end of the file.`);
        return out;
      },
      fillAll() {
        if (complete) return;
        if (u8.length > MAX_WHOLE_READ_BYTES) throw new NotAKerasFileError(wholeReadSentence(source.name, u8.length, 'chunked or compressed weights'));
        lazy.withReader((pread) => preadAll(pread, u8, 0, u8.length, offset));
        complete = true;
      },
    },
  };
}
