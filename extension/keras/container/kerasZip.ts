// Reads a .keras zip through its central directory: small members (config.json, metadata.json) are
// decompressed with fflate; the weights member is read on its own from the file, so a 500 MB model is
// never held twice. Keras writes members stored (uncompressed); deflated ones are handled too.

import { inflateSync } from 'fflate';
import { NotAKerasFileError } from '../errors';
import type { ByteSource } from './bytes';
import { openHdf5Bytes, type Hdf5Bytes } from './hdf5Image';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  /** Names that occur more than once: a crafted archive (a real Keras save never does this). */
  duplicates: string[];
}

const EOCD_SIG = 0x06054b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;

export async function readZipDirectory(source: ByteSource): Promise<ZipDirectory> {
  const name = source.name;
  const tailLength = Math.min(source.size, 22 + 0xffff);
  const tail = await source.read(source.size - tailLength, tailLength);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new NotAKerasFileError(`${name} starts like a zip but has no zip directory: the file is truncated; download or save it again.`);
  const count = tv.getUint16(eocd + 10, true);
  const cdSize = tv.getUint32(eocd + 12, true);
  const cdOffset = tv.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || count === 0xffff) {
    throw new NotAKerasFileError(`${name} is a ZIP64 archive (over 4 GB or 65,535 members), which this tool does not read yet.`);
  }
  if (cdOffset + cdSize > source.size) throw new NotAKerasFileError(`${name} is a truncated zip: its directory points past the end of the file.`);
  const cd = await source.read(cdOffset, cdSize);
  const cv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  const duplicates: string[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cv.getUint32(p, true) !== CEN_SIG) {
      throw new NotAKerasFileError(`${name} has a damaged zip directory (entry ${i + 1} of ${count}).`);
    }
    const method = cv.getUint16(p + 10, true);
    const compressedSize = cv.getUint32(p + 20, true);
    const size = cv.getUint32(p + 24, true);
    const nameLength = cv.getUint16(p + 28, true);
    const extraLength = cv.getUint16(p + 30, true);
    const commentLength = cv.getUint16(p + 32, true);
    const localHeaderOffset = cv.getUint32(p + 42, true);
    const entryName = new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLength));
    if (seen.has(entryName)) duplicates.push(entryName);
    seen.add(entryName);
    entries.push({ name: entryName, method, compressedSize, size, localHeaderOffset });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return { entries, duplicates };
}

/** Where a member's (compressed) data starts, checked against its local header and the file size. */
async function memberStart(source: ByteSource, entry: ZipEntry): Promise<number> {
  const local = await source.read(entry.localHeaderOffset, 30);
  const lv = new DataView(local.buffer, local.byteOffset, local.byteLength);
  if (local.length < 30 || lv.getUint32(0, true) !== LOC_SIG) {
    throw new NotAKerasFileError(`${source.name} has a damaged zip member "${entry.name}".`);
  }
  const dataStart = entry.localHeaderOffset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
  if (dataStart + entry.compressedSize > source.size) {
    throw new NotAKerasFileError(`${source.name} is truncated: the member "${entry.name}" runs past the end of the file.`);
  }
  return dataStart;
}

/** The bytes of one member, decompressed. Stored members come straight from the file. */
export async function readZipEntry(source: ByteSource, entry: ZipEntry): Promise<Uint8Array> {
  const dataStart = await memberStart(source, entry);
  const raw = await source.read(dataStart, entry.compressedSize);
  if (entry.method === 0) return raw;
  if (entry.method === 8) {
    // Refuse zip bombs the way Keras's loader does: more than 100x expansion of a large member.
    if (entry.size > 1 << 20 && entry.size > 100 * entry.compressedSize) {
      throw new NotAKerasFileError(`${source.name}: the member "${entry.name}" expands more than 100-fold, which looks like a zip bomb; it was not opened.`);
    }
    try {
      return inflateSync(raw, { out: new Uint8Array(entry.size) });
    } catch {
      throw new NotAKerasFileError(`${source.name}: the member "${entry.name}" could not be decompressed (damaged data).`);
    }
  }
  throw new NotAKerasFileError(`${source.name}: the member "${entry.name}" uses zip compression method ${entry.method}, which this tool does not read.`);
}

/** An HDF5 member (model.weights.h5): a stored one is opened in place, reading only its metadata; else inflated. */
export async function readZipHdf5(source: ByteSource, entry: ZipEntry): Promise<Hdf5Bytes> {
  if (entry.method === 0) return openHdf5Bytes(source, await memberStart(source, entry), entry.compressedSize);
  const bytes = await readZipEntry(source, entry);
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return { buffer: (whole ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer };
}
