// A small typed face over jsfive: groups, attributes, dataset headers, and weight values read straight
// from the file bytes as float32 (never as JS number arrays). jsfive throws strings and TypeErrors;
// everything that leaves this module is a NotAKerasFileError with a readable sentence.

import * as jsfive from 'jsfive';
import { NotAKerasFileError, describeThrown } from '../errors';
import { numberReader } from '../tensor';
import type { Hdf5DataAccess } from './hdf5Image';

export interface H5Group {
  readonly kind: 'group';
  readonly path: string;
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
    throw new NotAKerasFileError(`${fileName} has a damaged or unsupported HDF5 structure (${what}: ${describeThrown(e)}).`);
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



class Group implements H5Group {
  readonly kind = 'group' as const;
  constructor(
    private readonly g: jsfive.Group,
    readonly path: string,
    private readonly fileName: string,
    private readonly data?: Hdf5DataAccess,
  ) {}

  keys(): string[] {
    return guard(`listing ${this.path}`, this.fileName, () => this.g.keys);
  }

  child(name: string): H5Group | H5Dataset | undefined {
    if (!this.keys().includes(name)) return undefined;
    const path = this.path === '/' ? `/${name}` : `${this.path}/${name}`;
    return guard(`opening ${path}`, this.fileName, () => {
      const obj = this.g.get(name);
      return obj instanceof jsfive.Dataset ? new Dataset(obj, path, this.fileName, this.data) : new Group(obj as jsfive.Group, path, this.fileName, this.data);
    });
  }

  attrs(): Record<string, unknown> {
    return guard(`attributes of ${this.path}`, this.fileName, () => this.g.attrs);
  }
}

/** Opens HDF5 bytes (the superblock must be at offset 0 of `buffer`); `data` reads weights left on disk. */
export function openHdf5(buffer: ArrayBuffer, fileName: string, data?: Hdf5DataAccess): H5Group {
  return guard('superblock', fileName, () => new Group(new jsfive.File(buffer, fileName), '/', fileName, data));
}

/** Follows a slash path from a group; undefined when any part is missing. */
export function lookup(group: H5Group, path: string): H5Group | H5Dataset | undefined {
  let node: H5Group | H5Dataset | undefined = group;
  for (const part of path.split('/').filter(Boolean)) {
    if (!node || node.kind !== 'group') return undefined;
    node = node.child(part);
  }
  return node;
}

/** Attribute values as Keras wrote them: str, bytes or arrays of fixed-length strings become JS strings. */
export function attrText(value: unknown): string | undefined {
  if (value == null) return undefined;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
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
