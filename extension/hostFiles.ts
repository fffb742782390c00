// Every file the extension host reads or writes goes through VS Code's file system (`vscode.workspace.fs`), so
// models open the same way from disk, over Remote-SSH/WSL/containers and in virtual workspaces (any URI scheme).
// Files are named by URI here, never by a path string; sizes are checked with `stat` before anything is read.

import * as vscode from 'vscode';
import { InputError } from './keras/errors';
import { MAX_TEXT_BYTES, MAX_WHOLE_READ_BYTES, formatBytes } from './keras/limits';
import { showName } from './keras/safeText';
import { sameLocalFile } from './sameFileNode';

/** The last segment of a URI's path (its file name), as given; show it with showName. */
export function uriBaseName(uri: vscode.Uri): string {
  const parts = uri.path.split('/');
  return parts[parts.length - 1] || parts[parts.length - 2] || uri.path;
}

/** The folder holding `uri`. */
export function uriDirname(uri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(uri, '..');
}

/** A URI from a command argument or a stored string: a URI string (`scheme:`), else a local path. */
export function uriFromString(s: string): vscode.Uri {
  return /^[a-z][a-z0-9+.-]+:/i.test(s) && !/^[a-z]:[\\/]/i.test(s) ? vscode.Uri.parse(s) : vscode.Uri.file(s);
}

/** One sentence for a failed stat/read through workspace.fs (a FileSystemError carries a code). */
function fsSentence(e: unknown, what: string, uri: vscode.Uri): InputError {
  const name = showName(uriBaseName(uri), 160);
  const code = e instanceof vscode.FileSystemError ? e.code : (e as { code?: string } | undefined)?.code;
  if (code === 'FileNotFound' || code === 'ENOENT') return new InputError(`${what} ${name} does not exist.`);
  if (code === 'NoPermissions' || code === 'EACCES' || code === 'EPERM') return new InputError(`${what} ${name} cannot be read: permission denied.`);
  if (code === 'Unavailable') return new InputError(`${what} ${name} cannot be read: its file system is unavailable.`);
  return new InputError(`${what} ${name} cannot be read (${code ?? (e instanceof Error ? e.message.slice(0, 120) : 'unknown error')}).`);
}

/** The file's stat, refusing a folder (and anything that is not a file) with one sentence. */
export async function statFile(uri: vscode.Uri, what: string, hint: string): Promise<vscode.FileStat> {
  let st: vscode.FileStat;
  try {
    st = await vscode.workspace.fs.stat(uri);
  } catch (e) {
    throw fsSentence(e, what, uri);
  }
  if (st.type & vscode.FileType.Directory) throw new InputError(`${what} ${showName(uriBaseName(uri), 160)} is a folder; ${hint}.`);
  if (!(st.type & vscode.FileType.File)) throw new InputError(`${what} ${showName(uriBaseName(uri), 160)} is not a regular file; ${hint}.`);
  return st;
}

/**
 * A whole file, refused above `limit` bytes by its stat before it is read, and again by what was read (a file that
 * grew in between). The returned view owns its whole ArrayBuffer, so a worker can take it without a copy.
 */
export async function readWholeFile(uri: vscode.Uri, limit: number, what: string, hint: string): Promise<Uint8Array> {
  const st = await statFile(uri, what, hint);
  const over = (size: number, verb: string) =>
    new InputError(`${what} ${showName(uriBaseName(uri), 160)} ${verb} ${formatBytes(size)}, over the ${formatBytes(limit)} this tool reads for it; ${hint}.`);
  if (st.size > limit) throw over(st.size, 'is');
  let bytes: Uint8Array;
  try {
    bytes = await vscode.workspace.fs.readFile(uri);
  } catch (e) {
    throw fsSentence(e, what, uri);
  }
  if (bytes.length > limit) throw over(bytes.length, 'grew to');
  // A plain Uint8Array, never a Node Buffer (the disk provider's answer): Buffer's slice() is a view, not a copy, and
  // the core slices what it reads (a .keras member's HDF5 image would keep the whole zip's buffer).
  const buf = bytes.buffer;
  return buf instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buf.byteLength ? new Uint8Array(buf) : new Uint8Array(bytes);
}

/** A model file's name and whole bytes (what the reading and forward workers load from). */
export async function readModelFile(uri: vscode.Uri): Promise<{ name: string; bytes: Uint8Array }> {
  const bytes = await readWholeFile(uri, MAX_WHOLE_READ_BYTES, 'The model file', 'open a .keras, .h5 or .weights.h5 file');
  return { name: uriBaseName(uri), bytes };
}

/** A text file (architecture JSON, typed input, CSV), refused above `limit` bytes before it is read. */
export async function readTextFile(uri: vscode.Uri, limit: number, what: string, hint: string): Promise<string> {
  return new TextDecoder('utf-8').decode(await readWholeFile(uri, limit, what, hint));
}

/** An architecture JSON (chosen or beside the model) as the workers take it. */
export async function readArchitectureFile(uri: vscode.Uri): Promise<{ name: string; text: string }> {
  const text = await readTextFile(uri, MAX_TEXT_BYTES, 'The architecture file', 'give the JSON written by model.to_json()');
  return { name: uriBaseName(uri), text };
}

/**
 * The names looked for beside a weights-only model, in order (`m.weights.h5` → `m.config.json`, `m.json`, ...): the
 * same rule as the core's architectureCandidates, over URIs.
 */
export function architectureNames(modelUri: vscode.Uri): string[] {
  const base = uriBaseName(modelUri);
  const stems = new Set([base.replace(/\.weights\.h5$/i, ''), base.replace(/\.(h5|hdf5|keras)$/i, '')]);
  return [...stems].flatMap((stem) => ['.config.json', '.json'].map((ext) => stem + ext));
}

export function architectureCandidateUris(modelUri: vscode.Uri): vscode.Uri[] {
  const dir = uriDirname(modelUri);
  return architectureNames(modelUri).map((n) => vscode.Uri.joinPath(dir, n));
}

/** The architecture JSON beside a model, found by listing its folder (readDirectory), or undefined. */
export async function findArchitectureBeside(modelUri: vscode.Uri): Promise<vscode.Uri | undefined> {
  const dir = uriDirname(modelUri);
  let entries: [string, vscode.FileType][];
  try {
    entries = await vscode.workspace.fs.readDirectory(dir);
  } catch {
    return undefined;
  }
  const files = new Map(entries.filter(([, t]) => (t & vscode.FileType.File) !== 0).map(([n]) => [n, n]));
  for (const name of architectureNames(modelUri)) {
    if (files.has(name)) return vscode.Uri.joinPath(dir, name);
  }
  return undefined;
}

/** Two URIs naming the same resource: equal after normalizing (a virtual file system has no links to follow). */
function sameUri(a: vscode.Uri, b: vscode.Uri): boolean {
  const norm = (u: vscode.Uri) => u.with({ path: u.path.replace(/\/+$/, '') || '/', query: '', fragment: '' }).toString();
  return norm(a) === norm(b) || norm(a).toLowerCase() === norm(b).toLowerCase();
}

/**
 * True when writing `dest` would write onto `target`. Other schemes: the URIs are compared (case-insensitively,
 * since a provider may be). `file:`: also through symlinks and hard links, which needs Node (sameFileNode.ts) since
 * workspace.fs tells a symlink but not its target nor a file's inode.
 */
export async function sameTarget(dest: vscode.Uri, target: vscode.Uri): Promise<boolean> {
  if (sameUri(dest, target)) return true;
  if (dest.scheme === 'file' && target.scheme === 'file') return sameLocalFile(dest.fsPath, target.fsPath);
  return false;
}
