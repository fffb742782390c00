// What `node:fs` and `node:fs/promises` are in the web extension build (esbuild aliases). The host reads every model,
// input and config through vscode.workspace.fs; what remains of Node's fs in the host code asks whether the
// extension's own bundles exist (the worker, the webview) and compares local files for exports. In the browser the
// web entry names the packaged files it knows are there; every other path is not a local file, and the local
// file comparisons fail, so the callers fall back to comparing URIs.

const packaged = new Set<string>();

/** The web entry lists the extension's packaged files (paths as the host code builds them) before activation. */
export function setPackagedFiles(paths: string[]): void {
  packaged.clear();
  for (const p of paths) packaged.add(p);
}

export function existsSync(p: string): boolean {
  return packaged.has(p);
}

const noLocalFiles = (p: unknown) => Promise.reject(Object.assign(new Error(`${String(p)}: there is no local file system in the browser`), { code: 'ENOENT' }));

export const realpath = noLocalFiles;
export const stat = noLocalFiles;
// A trace kept as checkpoints is exported piece by piece to a local file (traceFileNode.ts): not in the browser.
export const open = noLocalFiles;
export const unlink = noLocalFiles;
export const promises = { realpath, stat, open, unlink };

export default { existsSync, promises };
