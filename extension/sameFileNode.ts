// Node only, for `file:` URIs: whether two paths are one file through symlinks and hard links (an export must never
// land on the model or its JSON). VS Code's file system API cannot tell: it reports a symlink but not its target,
// and no inode. The web build replaces this module (no local files there).

import { realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';

/** The real path of `p`, or of its folder plus its name when it does not exist yet (a new export). */
async function realTarget(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    try {
      return path.join(await realpath(path.dirname(p)), path.basename(p));
    } catch {
      return path.resolve(p);
    }
  }
}

/** True when `a` and `b` are the same file (case-insensitively on Windows and macOS, whose file systems usually are). */
export async function sameLocalFile(a: string, b: string): Promise<boolean> {
  const [ra, rb] = await Promise.all([realTarget(a), realTarget(b)]);
  if (process.platform === 'linux' ? ra === rb : ra.toLowerCase() === rb.toLowerCase()) return true;
  // A hard link has another path but the same inode.
  const [sa, sb] = await Promise.all([stat(a).catch(() => undefined), stat(b).catch(() => undefined)]);
  return !!sa && !!sb && sa.dev === sb.dev && sa.ino === sb.ino;
}
