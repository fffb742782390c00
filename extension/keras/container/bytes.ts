// Where a model's bytes come from: a file on disk read piecewise (so a .keras zip's weights member is
// read on its own, never the whole zip twice), or bytes already in memory (tests, drag-and-drop).
// Only regular files are read: a path may be a symlink to /dev/zero, a named pipe or a folder, none of which ends.

import { constants, promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '../errors';
import { formatBytes } from '../limits';
import { showName } from '../safeText';

export interface ByteSource {
  /** File name (for messages) and, when on disk, its path. */
  readonly name: string;
  readonly path?: string;
  readonly size: number;
  /** Reads `length` bytes at `offset` into a fresh ArrayBuffer-backed view (byteOffset 0). */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** What a non-regular file is, in the user's words. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device (like /dev/zero)';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Opens a regular file for reading, following symlinks. O_NONBLOCK keeps open() from waiting forever on a named
 * pipe; fstat on the open handle (not the path) decides, so the file cannot be swapped between check and read.
 * `what` is how messages name it ("The input file", "The model file"); `hint` says what to give instead.
 */
export async function openRegularFile(filePath: string, what: string, hint: string): Promise<{ handle: FileHandle; size: number }> {
  const shown = showName(filePath, 160);
  let handle: FileHandle;
  try {
    handle = await fs.open(filePath, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${what} ${shown} does not exist.`);
    if (code === 'EISDIR') throw new InputError(`${what} ${shown} is a folder; ${hint}.`);
    if (code === 'EACCES' || code === 'EPERM') throw new InputError(`${what} ${shown} cannot be read: permission denied.`);
    if (code === 'ELOOP') throw new InputError(`${what} ${shown} is a loop of symbolic links; ${hint}.`);
    throw new InputError(`${what} ${shown} cannot be read (${code ?? 'unknown error'}).`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new InputError(`${what} ${shown} is ${kindOf(st)}, not a regular file; ${hint}.`);
    return { handle, size: st.size };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/** Reads [offset, offset + length) of an open file; fewer bytes only at its end. */
export async function readAt(handle: FileHandle, size: number, offset: number, length: number): Promise<Uint8Array> {
  const end = Math.min(size, offset + length);
  const out = new Uint8Array(new ArrayBuffer(Math.max(0, end - offset)));
  let done = 0;
  while (done < out.length) {
    const { bytesRead } = await handle.read(out, done, out.length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === out.length ? out : out.subarray(0, done);
}

/** A whole small text file (an architecture JSON, a typed input), refused above `limit` bytes before reading. */
export async function readSmallFile(filePath: string, limit: number, what: string, hint: string): Promise<Uint8Array> {
  const { handle, size } = await openRegularFile(filePath, what, hint);
  try {
    if (size > limit) {
      throw new InputError(`${what} ${showName(filePath, 160)} is ${formatBytes(size)}, over the ${formatBytes(limit)} this tool reads for it; ${hint}.`);
    }
    // Read one byte more than the size said: a file that grows while read is cut, never followed.
    const bytes = await readAt(handle, size + 1, 0, size + 1);
    if (bytes.length > limit) throw new InputError(`${what} ${showName(filePath, 160)} grew past ${formatBytes(limit)} while it was read; ${hint}.`);
    return bytes;
  } finally {
    await handle.close();
  }
}

export async function fileSource(filePath: string): Promise<ByteSource> {
  const { handle, size } = await openRegularFile(filePath, 'The model file', 'open a .keras, .h5 or .weights.h5 file');
  return {
    name: path.basename(filePath),
    path: filePath,
    size,
    read: (offset, length) => readAt(handle, size, offset, length),
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
