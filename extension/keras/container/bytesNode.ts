// Node only (the CLI, tests, benchmarks): a model file on disk read piecewise, so a .keras zip's weights member is
// read on its own, never the whole zip twice, and HDF5 weights stay on disk until asked for (LazyFile).
// Only regular files are read: a path may be a symlink to /dev/zero, a named pipe or a folder, none of which ends.

import { closeSync, constants, fstatSync, openSync, promises as fs, readSync, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { InputError, NotAKerasFileError } from '../errors';
import { formatBytes } from '../limits';
import { showName } from '../safeText';
import type { ByteSource, LazyFile } from './bytes';
import { nodeInflateRaw } from './inflateNode';

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
    lazy: () => lazyFile(filePath, path.basename(filePath)),
    inflateRaw: nodeInflateRaw,
  };
}

/**
 * The file at `file` for synchronous reads later: its size and mtime now, and each read opens it again and refuses it
 * if either changed (weights are read when a run asks, maybe minutes after the model was opened).
 */
function lazyFile(file: string, name: string): LazyFile {
  const fd = openSync(file, 'r');
  let stamp: { size: number; mtimeMs: number };
  try {
    const st = fstatSync(fd);
    stamp = { size: st.size, mtimeMs: st.mtimeMs };
  } finally {
    closeSync(fd);
  }
  return {
    size: stamp.size,
    withReader(fn) {
      let f: number;
      try {
        f = openSync(file, 'r');
      } catch (e) {
        throw new NotAKerasFileError(`${showName(name)} can no longer be read (${(e as NodeJS.ErrnoException).code ?? String(e)}); open it again.`);
      }
      try {
        const now = fstatSync(f);
        if (now.size !== stamp.size || now.mtimeMs !== stamp.mtimeMs) {
          throw new NotAKerasFileError(`${showName(name)} changed on disk since it was opened; open it again to read its weights.`);
        }
        return fn((into, at, length, position) => readSync(f, into, at, length, position));
      } finally {
        closeSync(f);
      }
    },
  };
}
export * from './bytes';
