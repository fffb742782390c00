// Reads a .keras zip through its central directory: small members (config.json, metadata.json) are
// decompressed with the source's inflater (Node's zlib from bytesNode.ts, else DecompressionStream: inflate.ts); the
// weights member is read on its own from the file, so a 500 MB model is never held twice. Keras writes members stored (uncompressed); deflated ones are handled too.
// Every size and offset in the directory is a claim: each is checked against the bytes present, and a deflated
// member is inflated as a stream that stops as soon as it passes its declared size, its limit or the ratio guard.

import { NotAKerasFileError } from '../errors';
import { DEFAULT_MEMORY_BUDGET_MB, MAX_INFLATE_RATIO, MAX_TEXT_BYTES, budgetBytes, formatBytes } from '../limits';
import { showName } from '../safeText';
import type { ByteSource } from './bytes';
import { openHdf5Bytes, type Hdf5Bytes } from './hdf5Image';
import { webInflateRaw } from './inflate';

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
/** A central directory entry without its name, extra field and comment. */
const CEN_SIZE = 46;
/** A real .keras directory is under 1 KB; this is room for 65,535 members with long names. */
const MAX_DIRECTORY_BYTES = 64 * 1024 * 1024;
/** Compressed bytes read from the file and written to the inflater per step. */
const READ_STEP = 64 * 1024;
/** Below this, a high ratio is harmless (a small JSON of repeated keys compresses well). */
const RATIO_FLOOR = 1 << 20;

const member = (name: string) => `"${showName(name)}"`;

export async function readZipDirectory(source: ByteSource): Promise<ZipDirectory> {
  const name = showName(source.name);
  const tailLength = Math.min(source.size, 22 + 0xffff);
  const tailStart = source.size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new NotAKerasFileError(`${name} starts like a zip but has no zip directory: the file is truncated; download or save it again.`);
  const diskEntries = tv.getUint16(eocd + 8, true);
  const count = tv.getUint16(eocd + 10, true);
  const cdSize = tv.getUint32(eocd + 12, true);
  const cdOffset = tv.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || cdSize === 0xffffffff || count === 0xffff) {
    throw new NotAKerasFileError(`${name} is a ZIP64 archive (over 4 GB or 65,535 members), which this tool does not read yet.`);
  }
  if (tv.getUint16(eocd + 4, true) !== 0 || tv.getUint16(eocd + 6, true) !== 0 || diskEntries !== count) {
    throw new NotAKerasFileError(`${name} is one part of a multi-part (spanned) zip, which Keras never writes; join the parts into one .keras file.`);
  }
  const eocdAt = tailStart + eocd;
  if (cdOffset + cdSize > eocdAt) throw new NotAKerasFileError(`${name} is a truncated or damaged zip: its directory points past the end of the file.`);
  if (cdSize < count * CEN_SIZE || cdSize > MAX_DIRECTORY_BYTES) {
    throw new NotAKerasFileError(`${name} has a damaged zip directory: it claims ${count} members in ${formatBytes(cdSize)}, which cannot hold them.`);
  }
  const cd = await source.read(cdOffset, cdSize);
  const cv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  const duplicates: string[] = [];
  const decoder = new TextDecoder();
  let p = 0;
  for (let i = 0; i < count; i++) {
    const damaged = (why: string) => new NotAKerasFileError(`${name} has a damaged zip directory: entry ${i + 1} of ${count} ${why}; download or save it again.`);
    if (p + CEN_SIZE > cd.length || cv.getUint32(p, true) !== CEN_SIG) throw damaged('is missing');
    const method = cv.getUint16(p + 10, true);
    const compressedSize = cv.getUint32(p + 20, true);
    const size = cv.getUint32(p + 24, true);
    const nameLength = cv.getUint16(p + 28, true);
    const extraLength = cv.getUint16(p + 30, true);
    const commentLength = cv.getUint16(p + 32, true);
    const localHeaderOffset = cv.getUint32(p + 42, true);
    const next = p + CEN_SIZE + nameLength + extraLength + commentLength;
    if (next > cd.length) throw damaged('runs past the end of the directory');
    const entryName = decoder.decode(cd.subarray(p + CEN_SIZE, p + CEN_SIZE + nameLength));
    if (compressedSize === 0xffffffff || size === 0xffffffff || localHeaderOffset === 0xffffffff) {
      throw new NotAKerasFileError(`${name} is a ZIP64 archive (the member ${member(entryName)} is over 4 GB), which this tool does not read yet.`);
    }
    if (localHeaderOffset + 30 > cdOffset || compressedSize > cdOffset - localHeaderOffset) {
      throw damaged(`(${member(entryName)}) points outside the file's data`);
    }
    if (method === 0 && size !== compressedSize) throw damaged(`(${member(entryName)}) is stored uncompressed but gives two different sizes`);
    if (seen.has(entryName)) duplicates.push(entryName);
    seen.add(entryName);
    entries.push({ name: entryName, method, compressedSize, size, localHeaderOffset });
    p = next;
  }
  return { entries, duplicates };
}

/** Where a member's (compressed) data starts, checked against its local header and the file size. */
async function memberStart(source: ByteSource, entry: ZipEntry): Promise<number> {
  const local = await source.read(entry.localHeaderOffset, 30);
  const lv = new DataView(local.buffer, local.byteOffset, local.byteLength);
  if (local.length < 30 || lv.getUint32(0, true) !== LOC_SIG) {
    throw new NotAKerasFileError(`${showName(source.name)} has a damaged zip member ${member(entry.name)}.`);
  }
  const dataStart = entry.localHeaderOffset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
  if (dataStart + entry.compressedSize > source.size) {
    throw new NotAKerasFileError(`${showName(source.name)} is truncated: the member ${member(entry.name)} runs past the end of the file.`);
  }
  return dataStart;
}

/**
 * The bytes of one member, decompressed, refused above `limit` bytes (declared or actual). Stored members come
 * straight from the file; deflated ones are inflated in steps into a buffer of the declared size, and the inflation
 * stops at the first step that passes that size (a member may lie), the limit, or MAX_INFLATE_RATIO.
 * `overLimit(bytes)` is the sentence for a member over the limit.
 */
export async function readZipMember(source: ByteSource, entry: ZipEntry, limit: number, overLimit: (bytes: number) => string): Promise<Uint8Array> {
  const file = showName(source.name);
  const shown = member(entry.name);
  if (entry.method !== 0 && entry.method !== 8) {
    throw new NotAKerasFileError(`${file}: the member ${shown} uses zip compression method ${entry.method}, which this tool does not read.`);
  }
  if (entry.size > limit) throw new NotAKerasFileError(overLimit(entry.size));
  const dataStart = await memberStart(source, entry);
  if (entry.method === 0) return source.read(dataStart, entry.compressedSize);
  const bomb = () =>
    new NotAKerasFileError(`${file}: the member ${shown} expands more than ${MAX_INFLATE_RATIO}-fold, which looks like a zip bomb; it was not opened.`);
  // Refuse zip bombs the way Keras's loader does: more than 100x expansion of a large member.
  if (entry.size > RATIO_FLOOR && entry.size > MAX_INFLATE_RATIO * entry.compressedSize) throw bomb();
  const out = new Uint8Array(entry.size);
  let produced = 0;
  let consumed = 0;
  let failure: Error | undefined;
  let readFailure: unknown;
  // Compressed bytes are read a step at a time, only as the inflater asks for them.
  async function* compressed(): AsyncGenerator<Uint8Array> {
    for (let at = 0; at < entry.compressedSize; at += READ_STEP) {
      let raw: Uint8Array;
      try {
        raw = await source.read(dataStart + at, Math.min(READ_STEP, entry.compressedSize - at));
      } catch (e) {
        readFailure = e;
        throw e;
      }
      consumed += raw.length;
      yield raw;
    }
  }
  const inflateRaw = source.inflateRaw ?? webInflateRaw;
  try {
    // Every output chunk is checked before it is kept; leaving the loop at the first one over a bound stops the
    // inflation and the reading.
    for await (const chunk of inflateRaw(compressed())) {
      const total = produced + chunk.length;
      if (total > limit) failure = new NotAKerasFileError(overLimit(total));
      else if (total > entry.size) {
        failure = new NotAKerasFileError(`${file}: the member ${shown} inflates to more than the ${formatBytes(entry.size)} its directory declares; the file is damaged or crafted.`);
      } else if (total > RATIO_FLOOR && total > MAX_INFLATE_RATIO * consumed) failure = bomb();
      if (failure) break;
      out.set(chunk, produced);
      produced = total;
    }
  } catch (e) {
    if (readFailure !== undefined) throw readFailure;
    failure ??= new NotAKerasFileError(`${file}: the member ${shown} could not be decompressed (damaged data); download or save it again.`);
  }
  if (failure) throw failure;
  if (produced !== entry.size) {
    throw new NotAKerasFileError(`${file}: the member ${shown} inflates to ${formatBytes(produced)}, not the ${formatBytes(entry.size)} its directory declares; the file is damaged or crafted.`);
  }
  return out;
}

/** A text member (config.json, metadata.json) as a string, refused above MAX_TEXT_BYTES. */
export async function readZipText(source: ByteSource, entry: ZipEntry): Promise<string> {
  return new TextDecoder().decode(await readZipEntry(source, entry));
}

/** The bytes of one member, decompressed (text-sized members only: MAX_TEXT_BYTES). */
export function readZipEntry(source: ByteSource, entry: ZipEntry): Promise<Uint8Array> {
  return readZipMember(
    source,
    entry,
    MAX_TEXT_BYTES,
    (n) => `${showName(source.name)}: the member ${member(entry.name)} inflates to at least ${formatBytes(n)}, over the ${formatBytes(MAX_TEXT_BYTES)} limit for a Keras config; the file is damaged or crafted.`,
  );
}

/**
 * An HDF5 member (model.weights.h5): a stored one is opened in place, reading only its metadata. A deflated one must
 * be held whole in memory to be read, so it is inflated only up to `memoryBudget` bytes.
 */
export async function readZipHdf5(source: ByteSource, entry: ZipEntry, memoryBudget = budgetBytes(DEFAULT_MEMORY_BUDGET_MB)): Promise<Hdf5Bytes> {
  if (entry.method === 0) return openHdf5Bytes(source, await memberStart(source, entry), entry.compressedSize);
  const bytes = await readZipMember(
    source,
    entry,
    memoryBudget,
    (n) =>
      `${showName(source.name)}: the compressed weights member ${member(entry.name)} would take at least ${formatBytes(n)} in memory once inflated, over the ${formatBytes(memoryBudget)} limit; re-save the model with Keras (it stores weights uncompressed) or raise the memory limit.`,
  );
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return { buffer: (whole ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer };
}
