// Output paths (--numpy, --trace-csv) are checked before anything runs: model files are never modified, so an
// output must not be the model, its architecture JSON or the input, under any name (a symlink, a hard link, `./`).

import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { architectureCandidates } from '../keras/document';
import { InputError } from '../keras/errors';
import { cell } from './text';

interface OutputRequest {
  flag: string;
  path: string | undefined;
}

interface ProtectedFiles {
  model: string;
  config?: string;
  input?: string;
}

interface Known {
  what: string;
  real: string;
  stat: Stats;
}

async function identify(file: string): Promise<{ real: string; stat: Stats } | undefined> {
  try {
    // stat and realpath both follow symlinks: a link to the model resolves to the model.
    const stat = await fs.stat(file);
    return { real: await fs.realpath(file), stat };
  } catch {
    return undefined;
  }
}

const sameFile = (a: { real: string; stat: Stats }, b: Known) => a.real === b.real || (a.stat.dev === b.stat.dev && a.stat.ino === b.stat.ino);

/**
 * Throws an InputError (exit 2, one sentence) when an output path is the model file, the architecture JSON, the
 * input file or another output, when it exists but is not a regular file (a folder, a device, a FIFO), or when it
 * is a symlink that points nowhere (writing through it would create a file elsewhere).
 */
export async function checkOutputPaths(outputs: readonly OutputRequest[], files: ProtectedFiles): Promise<void> {
  const known: Known[] = [];
  const add = async (file: string | undefined, what: string) => {
    if (!file) return;
    const id = await identify(file);
    if (id) known.push({ what, ...id });
  };
  await add(files.model, 'the model file');
  if (files.config) await add(files.config, 'the architecture JSON');
  else for (const c of architectureCandidates(files.model)) await add(c, 'the architecture JSON beside the model');
  await add(files.input, 'the input file');
  const newFiles = new Map<string, string>();
  for (const out of outputs) {
    if (out.path === undefined) continue;
    if (out.path === '') throw new InputError(`${out.flag} needs a file path.`);
    const shown = cell(out.path, 120);
    const id = await identify(out.path);
    if (!id) {
      const link = await fs.lstat(out.path).catch(() => undefined);
      if (link?.isSymbolicLink()) throw new InputError(`${out.flag} ${shown} is a symbolic link to a file that does not exist; give a plain file path.`);
      // A new file: only another new output can be the same one.
      const dir = path.dirname(out.path);
      const fresh = path.join(await fs.realpath(dir).catch(() => path.resolve(dir)), path.basename(out.path));
      if (newFiles.has(fresh)) throw new InputError(`${out.flag} ${shown} is also given for ${newFiles.get(fresh)}; give each output its own file.`);
      newFiles.set(fresh, out.flag);
      continue;
    }
    const same = known.find((k) => sameFile(id, k));
    if (same) {
      throw new InputError(`${out.flag} ${shown} is ${same.what} (the same file on disk); choose another output path, inputs are never overwritten.`);
    }
    if (!id.stat.isFile()) throw new InputError(`${out.flag} ${shown} exists and is not a regular file; give the path of a new or ordinary file.`);
    known.push({ what: `the ${out.flag} output`, ...id });
  }
}
