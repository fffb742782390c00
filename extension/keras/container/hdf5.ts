// A small typed face over jsfive: groups, attributes, dataset headers, and weight values read straight
// from the file bytes as float32 (never as JS number arrays). jsfive throws strings and TypeErrors;
// everything that leaves this module is a NotAKerasFileError with a readable sentence.

import * as jsfive from 'jsfive';
import { NotAKerasFileError, describeThrown, oneSentence } from '../errors';
import { MAX_TEXT_BYTES, formatBytes } from '../limits';
import { showName } from '../safeText';
import { numberReader } from '../tensor';
import { MAX_HDF5_NODES, budgetSentence, loopSentence, v2BtreePointerWidths, type Hdf5DataAccess } from './hdf5Image';

export interface H5Group {
  readonly kind: 'group';
  readonly path: string;
  /** The object header's address: the same group reached through two hard links has one address. */
  readonly address: number;
  keys(): string[];
  child(name: string): H5Group | H5Dataset | undefined;
  attrs(): Record<string, unknown>;
}

export interface H5Dataset {
  readonly kind: 'dataset';
  readonly path: string;
  readonly shape: number[];
  readonly dtype: string;
  /** The values, row-major, as float32. */
  readFloat32(): Float32Array;
}

const DATA_STORAGE_MSG_TYPE = 0x0008;

function guard<T>(what: string, fileName: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof NotAKerasFileError) throw e;
    // jsfive throws its own findings as strings; anything else (a TypeError from its asserts, a RangeError) is a JS
    // internal ("thing is not a function"), not a reason a user can act on, so only where it happened is said.
    const reason = typeof e === 'string' ? `: ${showName(describeThrown(e), 80)}` : '';
    throw new NotAKerasFileError(oneSentence(`${showName(fileName, 80)} has a damaged or unsupported HDF5 structure (${showName(what, 100)}${reason}).`));
  }
}

function dtypeString(dtype: string | unknown[]): string {
  return typeof dtype === 'string' ? dtype : JSON.stringify(dtype);
}

class Dataset implements H5Dataset {
  readonly kind = 'dataset' as const;
  constructor(
    private readonly ds: jsfive.Dataset,
    readonly path: string,
    private readonly fileName: string,
    private readonly data?: Hdf5DataAccess,
  ) {}

  get shape(): number[] {
    return guard('dataset shape', this.fileName, () => [...(this.ds.shape ?? [])]);
  }

  get dtype(): string {
    return guard('dataset type', this.fileName, () => dtypeString(this.ds.dtype));
  }

  readFloat32(): Float32Array {
    return guard(`reading ${this.path}`, this.fileName, () => this.read());
  }

  private read(): Float32Array {
    const size = this.shape.reduce((a, b) => a * b, 1);
    const dtype = this.dtype;
    const m = /^([<>|=]?)([fiu])(\d+)$/.exec(dtype);
    if (!m) throw new NotAKerasFileError(`${this.fileName}: the weight ${this.path} has type ${dtype}, which is not a number type.`);
    const [, order, kind, bytesText] = m;
    const width = Number(bytesText);
    const bigEndian = order === '>';
    const objects = this.ds._dataobjects;
    const msg = objects.find_msg_type(DATA_STORAGE_MSG_TYPE)[0];
    const [version, , layoutClass, propertyOffset] = objects._get_data_message_properties(msg.get('offset_to_message')!);
    const buffer = objects.fh;
    const view = new DataView(buffer);
    let start: number;
    if (layoutClass === 1) {
      const address = view.getBigUint64(propertyOffset, true);
      if (address === 0xffffffffffffffffn) return new Float32Array(size); // never written: HDF5 fill value 0
      start = Number(address);
    } else if (layoutClass === 0 && version >= 3) {
      start = propertyOffset + 2; // compact: 2-byte size, then the raw data inside the header
    } else {
      // Chunked or filtered storage: let jsfive assemble it (rare in Keras files; none in the corpus).
      this.data?.fillAll();
      return Float32Array.from(this.ds.value as number[]);
    }
    if (start + size * width > buffer.byteLength) {
      throw new NotAKerasFileError(`${this.fileName} is truncated: the weight ${this.path} points past the end of the file.`);
    }
    // Contiguous data may still be on disk (see hdf5Image.ts); compact data is inside the header, always in memory.
    const raw = layoutClass === 1 && this.data ? this.data.read(start, size * width) : new Uint8Array(buffer.slice(start, start + size * width));
    if (kind === 'f' && width === 4 && !bigEndian) return new Float32Array(raw.buffer, 0, size);
    const rawView = new DataView(raw.buffer, 0, raw.byteLength);
    const out = new Float32Array(size);
    const read = numberReader(rawView, kind, width, !bigEndian);
    if (!read) throw new NotAKerasFileError(`${this.fileName}: the weight ${this.path} has type ${dtype}, which this tool does not read.`);
    for (let i = 0; i < size; i++) out[i] = read(i * width);
    return out;
  }
}



/** What every group of one open file shares: its bytes and how many B-tree nodes the checks have visited. */
interface FileContext {
  fileName: string;
  data?: Hdf5DataAccess;
  view: DataView;
  nodes: number;
}

/** Counts one metadata node against the file's budget. */
function spend(cx: FileContext): void {
  if (++cx.nodes > MAX_HDF5_NODES) throw new NotAKerasFileError(budgetSentence(showName(cx.fileName)));
}

/**
 * The group B-tree roots of the object header at `addr` (symbol tables; name and creation-order indexes of link
 * info), found the way jsfive finds them (version 1 and 2 headers, each continuation block once). Whatever this
 * cannot parse is left for jsfive to report.
 */
function groupTrees(cx: FileContext, addr: number): { trees: number[]; v2Trees: number[] } {
  const dv = cx.view;
  const size = dv.byteLength;
  const fits = (at: number, n: number) => at >= 0 && at + n <= size;
  const u64 = (at: number) => Number(dv.getBigUint64(at, true));
  const trees: number[] = [];
  const v2Trees: number[] = [];
  const found = { trees, v2Trees };
  const blocks: Array<[number, number]> = [];
  const seen = new Set<number>();
  const queue = (at: number, length: number) => {
    if (seen.has(at)) return;
    seen.add(at);
    spend(cx);
    blocks.push([at, length]);
  };
  if (!fits(addr, 16)) return found;
  let v2 = false;
  let crt = 0;
  if (dv.getUint8(addr) === 1) {
    queue(addr + 16, dv.getUint32(addr + 8, true));
  } else if (dv.getUint32(addr, true) === 0x5244484f /* OHDR */ && dv.getUint8(addr + 4) === 2) {
    v2 = true;
    const flags = dv.getUint8(addr + 5);
    crt = flags & 0x04 ? 2 : 0;
    const p = addr + 6 + (flags & 0x20 ? 16 : 0);
    const sizeBytes = 1 << (flags & 3);
    if (!fits(p, sizeBytes)) return found;
    let chunk = 0;
    for (let i = sizeBytes - 1; i >= 0; i--) chunk = chunk * 256 + dv.getUint8(p + i);
    queue(p + sizeBytes, chunk);
  } else return found;
  for (let b = 0; b < blocks.length; b++) {
    const [start, length] = blocks[b];
    const end = Math.min(size, start + length);
    const prefix = v2 ? 4 + crt : 8;
    for (let p = start; p + prefix <= end - (v2 ? 4 : 0); ) {
      const type = v2 ? dv.getUint8(p) : dv.getUint16(p, true);
      const msgSize = v2 ? dv.getUint16(p + 1, true) : dv.getUint16(p + 2, true);
      const data = p + prefix;
      if (type === 0x0011 && fits(data, 8)) trees.push(u64(data));
      if (type === 0x0002 && fits(data, 2 + 8 + 24) && dv.getUint8(data) === 0) {
        const flags = dv.getUint8(data + 1);
        const q = data + 2 + (flags & 1 ? 8 : 0);
        const undefinedAddress = 0xffffffffffffffffn;
        if (dv.getBigUint64(q + 8, true) !== undefinedAddress) v2Trees.push(u64(q + 8));
        if (flags & 2 && dv.getBigUint64(q + 16, true) !== undefinedAddress) v2Trees.push(u64(q + 16));
      }
      if (type === 0x0010 && fits(data, 16)) queue(u64(data) + (v2 ? 4 : 0), u64(data + 8) - (v2 ? 4 : 0));
      p = data + msgSize;
    }
  }
  return found;
}

/**
 * Walks a group B-tree level by level, as jsfive does (it checks levels, not signatures), refusing it when a node is
 * met twice (a cycle, or a DAG that jsfive would read an exponential number of times). Runs before jsfive opens the
 * group; what jsfive would refuse by itself (a level mismatch, an address past the end) ends the check.
 */
function checkGroupTree(cx: FileContext, root: number): void {
  const dv = cx.view;
  const seen = new Set<number>();
  let frontier = [root];
  let expect: number | null = null;
  while (frontier.length) {
    const next: number[] = [];
    let level = 0;
    for (const at of frontier) {
      if (seen.has(at)) throw new NotAKerasFileError(loopSentence(showName(cx.fileName)));
      seen.add(at);
      spend(cx);
      if (at < 0 || at + 24 > dv.byteLength) return;
      level = dv.getUint8(at + 5);
      if (expect !== null && level !== expect) return;
      const used = dv.getUint16(at + 6, true);
      if (level > 0) {
        for (let i = 0; i < used && at + 40 + i * 16 <= dv.byteLength; i++) {
          spend(cx);
          next.push(Number(dv.getBigUint64(at + 32 + i * 16, true)));
        }
      }
    }
    if (level === 0) return;
    expect = level - 1;
    frontier = next;
  }
}

/** Little-endian unsigned integer of 0..8 bytes (0 bytes reads as 0), as jsfive reads B-tree counts. */
function uintAt(dv: DataView, at: number, bytes: number): number {
  let v = 0;
  for (let i = bytes - 1; i >= 0; i--) v = v * 256 + dv.getUint8(at + i);
  return v;
}

/**
 * A version 2 B-tree (dense groups' link index), walked level by level with jsfive's node arithmetic: each node
 * once, every child pointer counted against the budget, a node met twice refused.
 */
function checkV2Tree(cx: FileContext, addr: number): void {
  const dv = cx.view;
  if (addr < 0 || addr + 38 > dv.byteLength) return;
  const nodeSize = dv.getUint32(addr + 6, true);
  const recordSize = dv.getUint16(addr + 10, true);
  const depth = dv.getUint16(addr + 12, true);
  const root = Number(dv.getBigUint64(addr + 16, true));
  const rootRecords = dv.getUint16(addr + 24, true);
  // Each level costs a step of the node budget, as each node does (a crafted depth can be 65,535).
  for (let level = 0; level <= depth; level++) spend(cx);
  const formats = v2BtreePointerWidths(nodeSize, recordSize, depth);
  const seen = new Set<number>();
  let frontier: Array<[number, number]> = [[root, rootRecords]];
  for (let level = depth; level > 0 && frontier.length; level--) {
    const [num1, num2] = formats[level];
    const next: Array<[number, number]> = [];
    for (const [at, n] of frontier) {
      if (seen.has(at)) throw new NotAKerasFileError(loopSentence(showName(cx.fileName)));
      seen.add(at);
      spend(cx);
      let q = at + 6 + n * recordSize;
      for (let j = 0; j <= n; j++, q += 8 + num1 + num2) {
        if (q < 0 || q + 8 + num1 > dv.byteLength) return; // jsfive fails reading past the end
        spend(cx);
        next.push([Number(dv.getBigUint64(q, true)), uintAt(dv, q + 8, num1)]);
      }
    }
    frontier = next;
  }
  for (const [at] of frontier) {
    if (seen.has(at)) throw new NotAKerasFileError(loopSentence(showName(cx.fileName)));
    seen.add(at);
  }
}

/** Checks every group B-tree (symbol tables, and the link indexes of dense groups) of the object at `addr` before jsfive reads it. */
function checkObject(cx: FileContext, addr: number): void {
  const { trees, v2Trees } = groupTrees(cx, addr);
  for (const tree of trees) checkGroupTree(cx, tree);
  for (const tree of v2Trees) checkV2Tree(cx, tree);
}

class Group implements H5Group {
  readonly kind = 'group' as const;
  private keySet?: Set<string>;
  private readonly children = new Map<string, H5Group | H5Dataset | undefined>();
  constructor(
    private readonly g: jsfive.Group,
    readonly path: string,
    private readonly cx: FileContext,
  ) {}

  get address(): number {
    return this.g._dataobjects.offset;
  }

  keys(): string[] {
    return guard(`listing ${this.path}`, this.cx.fileName, () => this.g.keys);
  }

  child(name: string): H5Group | H5Dataset | undefined {
    // jsfive copies its key list on every call: keep a set, so a group with many children is not quadratic.
    this.keySet ??= new Set(this.keys());
    if (!this.keySet.has(name)) return undefined;
    // Each child is opened (and its B-tree checked and read) once, however often a path names it.
    if (this.children.has(name)) return this.children.get(name);
    const opened = this.open(name);
    this.children.set(name, opened);
    return opened;
  }

  private open(name: string): H5Group | H5Dataset | undefined {
    const path = this.path === '/' ? `/${name}` : `${this.path}/${name}`;
    const target = (this.g as unknown as { _links?: Record<string, unknown> })._links?.[name];
    if (typeof target === 'number') checkObject(this.cx, target);
    return guard(`opening ${path}`, this.cx.fileName, () => {
      const obj = this.g.get(name);
      if (obj == null) return undefined; // a soft link to nothing (or to itself): jsfive gives null
      return obj instanceof jsfive.Dataset ? new Dataset(obj, path, this.cx.fileName, this.cx.data) : new Group(obj as jsfive.Group, path, this.cx);
    });
  }

  attrs(): Record<string, unknown> {
    return guard(`attributes of ${this.path}`, this.cx.fileName, () => this.g.attrs);
  }
}

/** The root group's object header address, from the superblock (versions 0 and 1 keep it in a symbol table entry). */
function rootAddress(view: DataView): number | undefined {
  if (view.byteLength < 96) return undefined;
  const version = view.getUint8(8);
  const at = version === 0 ? 64 : version === 1 ? 68 : version === 2 || version === 3 ? 36 : -1;
  return at < 0 ? undefined : Number(view.getBigUint64(at, true));
}

/** Opens HDF5 bytes (the superblock must be at offset 0 of `buffer`); `data` reads weights left on disk. */
export function openHdf5(buffer: ArrayBuffer, fileName: string, data?: Hdf5DataAccess): H5Group {
  const cx: FileContext = { fileName, data, view: new DataView(buffer), nodes: 0 };
  const root = rootAddress(cx.view);
  if (root !== undefined) checkObject(cx, root);
  return guard('superblock', fileName, () => new Group(new jsfive.File(buffer, fileName), '/', cx));
}

/** Parts of a weight path that lookup follows (`model_weights/lstm/sequential/lstm/lstm_cell/kernel:0` has 6). */
const MAX_PATH_PARTS = 64;

/** Follows a slash path from a group; undefined when any part is missing. */
export function lookup(group: H5Group, path: string): H5Group | H5Dataset | undefined {
  let node: H5Group | H5Dataset | undefined = group;
  const parts = path.split('/').filter(Boolean);
  // Keras weight paths have a handful of parts; a longer one (through a group linked to itself) is not followed.
  if (parts.length > MAX_PATH_PARTS) return undefined;
  for (const part of parts) {
    if (!node || node.kind !== 'group') return undefined;
    node = node.child(part);
  }
  return node;
}

/** Refuses a string attribute over MAX_TEXT_BYTES (real model configs are a few MB). */
function checkText(length: number): void {
  if (length > MAX_TEXT_BYTES) {
    throw new NotAKerasFileError(`A text attribute of the file is ${formatBytes(length)}, over the ${formatBytes(MAX_TEXT_BYTES)} limit for a Keras config: the file is damaged or crafted.`);
  }
}

/** Attribute values as Keras wrote them: str, bytes or arrays of fixed-length strings become JS strings. */
export function attrText(value: unknown): string | undefined {
  if (value == null) return undefined;
  if (typeof value === 'string') {
    checkText(value.length);
    return value;
  }
  if (value instanceof Uint8Array) {
    checkText(value.byteLength);
    return new TextDecoder().decode(value);
  }
  if (Array.isArray(value) && value.length === 1) return attrText(value[0]);
  return undefined;
}

export function attrStrings(value: unknown): string[] {
  if (value == null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    return Array.from(value as ArrayLike<unknown>)
      .map((v) => attrText(v))
      .filter((v): v is string => typeof v === 'string')
      .map((s) => s.replace(/\0+$/, ''));
  }
  return [];
}
