// Loaded models, cached by file and modification time, shared by the tree, the panels, the editors and the
// status bar. An untrusted file is read, summarized and its input specs computed in a worker thread
// (summaryWorker.ts) with a time and heap limit, so the extension host never does work proportional to what the
// file claims; the host parses the file itself only later, for weight values or a NumPy export, once the worker has
// read it within the limits. The forward pass never runs here (see forwardRunner.ts).

import * as vscode from 'vscode';
import { existsSync, promises as fs } from 'node:fs';
import { loadModel } from './keras/document';
import type { ModelSummary } from './keras/summary';
import type { InputSpec as ModelInputSpec } from './keras/inputs';
import { describeThrown } from './keras/errors';
import type { ModelDocument } from './keras/model';
import { ReadWorkers, summarizeFile } from './summaryWorker';

export { READ_HEAP_LIMIT_MB, READ_TIME_LIMIT_MS, ReadWorkers } from './summaryWorker';

export interface LoadedModel {
  uri: vscode.Uri;
  summary: ModelSummary;
  inputs: ModelInputSpec[];
  /** Why the model cannot run (custom model, npz weights), from the reader. */
  notExecutable?: string;
  /** The parsed document, read on the host on first use (weight values, NumPy export). */
  document(): Promise<ModelDocument>;
  /** Milliseconds spent reading and summarizing (shown in the log, checked by tests). */
  loadMs: number;
}

/** A model file that could not be read: the core's one sentence, ready to show. */
export class ModelLoadError extends Error {
  constructor(
    readonly uri: vscode.Uri,
    message: string,
    readonly expected: boolean,
    /** A weights-only file whose architecture JSON was not found: the user can choose it. */
    readonly needsArchitecture = false,
  ) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

/** Extensions the product opens; `.weights.h5` ends in `.h5`. */
export const MODEL_GLOB = '**/*.{h5,keras,hdf5}';
export function isModelPath(p: string): boolean {
  return /\.(h5|keras|hdf5)$/i.test(p);
}

interface Entry {
  mtimeMs: number;
  size: number;
  promise: Promise<LoadedModel>;
}

export class ModelStore implements vscode.Disposable {
  private readonly cache = new Map<string, Entry>();
  /** Architecture JSON chosen by the user for weights-only files, by model URI. */
  private readonly configs = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires when a cached model's file changed on disk (views reload it). */
  readonly onDidChange = this.changed.event;
  private readonly watcher: vscode.FileSystemWatcher;

  /** `workerPath`: dist/summaryWorker.js; without it (or when it is missing) files are read in-process. */
  /** The reading threads (undefined when files are read in-process). */
  readonly workers?: ReadWorkers;

  constructor(private readonly log: vscode.LogOutputChannel, workerPath?: string) {
    if (workerPath && existsSync(workerPath)) this.workers = new ReadWorkers(workerPath);
    this.watcher = vscode.workspace.createFileSystemWatcher(MODEL_GLOB);
    const onFile = (uri: vscode.Uri) => {
      if (this.cache.delete(uri.toString())) this.changed.fire(uri);
    };
    this.watcher.onDidChange(onFile);
    this.watcher.onDidDelete(onFile);
    this.watcher.onDidCreate(onFile);
  }

  /** Use `configPath` as the architecture of the weights-only file `uri` (reloads it). */
  setArchitecture(uri: vscode.Uri, configPath: string): void {
    this.configs.set(uri.toString(), configPath);
    if (this.cache.delete(uri.toString())) this.changed.fire(uri);
  }

  /** The architecture JSON chosen for `uri`, if any (the worker needs it too). */
  architectureOf(uri: vscode.Uri): string | undefined {
    return this.configs.get(uri.toString());
  }

  /** The model at `uri`, read once per file version. Rejects with ModelLoadError (one clear sentence). */
  async get(uri: vscode.Uri): Promise<LoadedModel> {
    if (uri.scheme !== 'file' && uri.scheme !== 'vscode-remote') {
      throw new ModelLoadError(uri, `${uri.path.split('/').pop()} is not a file on disk (${uri.scheme}:); save it to a folder first.`, true);
    }
    const key = uri.toString();
    let stat: { mtimeMs: number; size: number };
    try {
      stat = await fs.stat(uri.fsPath);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ModelLoadError(uri, code === 'ENOENT' ? `${uri.fsPath} does not exist.` : `${uri.fsPath} cannot be read (${code ?? describeThrown(e)}).`, true);
    }
    const hit = this.cache.get(key);
    if (hit && hit.mtimeMs === stat.mtimeMs && hit.size === stat.size) return hit.promise;
    const promise = this.load(uri);
    this.cache.set(key, { mtimeMs: stat.mtimeMs, size: stat.size, promise });
    promise.catch(() => this.cache.delete(key)); // retry next time (the user may fix the file)
    return promise;
  }

  private async load(uri: vscode.Uri): Promise<LoadedModel> {
    const t0 = performance.now();
    const configPath = this.configs.get(uri.toString());
    const useWorker = !!this.workers;
    const out = this.workers ? await this.workers.read(uri.fsPath, configPath) : await summarizeFile(uri.fsPath, configPath);
    const loadMs = performance.now() - t0;
    if (out.type === 'error') {
      if (!out.expected) this.log.error(`reading ${uri.fsPath} failed unexpectedly: ${out.message}`);
      else this.log.warn(`${uri.fsPath}: ${out.message}`);
      throw new ModelLoadError(uri, out.message, out.expected, out.needsArchitecture);
    }
    const { summary, inputs, notExecutable } = out;
    this.log.info(`read ${uri.fsPath}${useWorker ? ' (worker)' : ''}: ${summary.format}, ${summary.layers.length} layers, ${summary.totalParams} params in ${loadMs.toFixed(0)} ms`);
    let doc: Promise<ModelDocument> | undefined;
    const document = () => (doc ??= loadModel(uri.fsPath, configPath ? { configPath } : {}));
    return { uri, summary, inputs, ...(notExecutable ? { notExecutable } : {}), document, loadMs };
  }

  dispose(): void {
    this.workers?.dispose();
    this.watcher.dispose();
    this.changed.dispose();
    this.cache.clear();
  }
}
