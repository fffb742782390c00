// Tells what a file is by its content, not its extension: HDF5 (also after a user block), zip,
// a Git LFS pointer, an empty or truncated file, or some other binary.

import { NotAKerasFileError } from '../errors';
import { showName } from '../safeText';
import type { ByteSource } from './bytes';

export type Container = { kind: 'hdf5'; superblockOffset: number } | { kind: 'zip' } | { kind: 'json' };

const HDF5_MAGIC = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

function startsWith(bytes: Uint8Array, magic: number[], at = 0): boolean {
  if (bytes.length < at + magic.length) return false;
  return magic.every((b, i) => bytes[at + i] === b);
}

export async function sniff(source: ByteSource): Promise<Container> {
  const name = showName(source.name);
  if (source.size === 0) throw new NotAKerasFileError(`${name} is empty (0 bytes), not a model: save the model again or fetch the real file.`);
  const head = await source.read(0, Math.min(source.size, 1024));
  if (startsWith(head, HDF5_MAGIC)) return { kind: 'hdf5', superblockOffset: 0 };
  if (startsWith(head, ZIP_MAGIC)) return { kind: 'zip' };
  const text = new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, 200));
  if (text.startsWith('version https://git-lfs')) {
    const size = /size (\d{1,16})\b/.exec(text)?.[1]; // a longer number is not a real size
    throw new NotAKerasFileError(
      `${name} is a Git LFS pointer${size ? ` to a ${Number(size).toLocaleString('en-US')}-byte file` : ''}, not the model: run \`git lfs pull\` to fetch it.`,
    );
  }
  // HDF5 allows a user block of 512, 1024, 2048 ... bytes before the superblock.
  for (let at = 512; at + 8 <= source.size && at <= 1 << 30; at *= 2) {
    const probe = await source.read(at, 8);
    if (startsWith(probe, HDF5_MAGIC)) return { kind: 'hdf5', superblockOffset: at };
  }
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') && /"class_name"|"config"/.test(text)) return { kind: 'json' };
  if (source.size < 64) {
    throw new NotAKerasFileError(
      `${name} is only ${source.size} byte${source.size === 1 ? '' : 's'} long, not a Keras model: the file is truncated or a placeholder; fetch or save it again.`,
    );
  }
  const magic = Array.from(head.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
  throw new NotAKerasFileError(
    `${name} is not a Keras model: it is neither HDF5 nor a .keras zip (it starts with bytes ${magic}); it may belong to another library.`,
  );
}
