// Loaded models, cached by file and modification time, shared by the tree, the panels, the editors and the
// status bar. Files are read through VS Code's file system (hostFiles.ts: any scheme, remote or virtual) and
// named by URI. An untrusted file is read, summarized and its input specs computed in a worker thread
// (summaryWorker.ts) with a time and heap limit, so the extension host never does work proportional to what the
// file claims; the host parses the file itself only later, for weight values or a NumPy export, once the worker has
// read it within the limits. The forward pass never runs here (see forwardRunner.ts).

import * as vscode from 'vscode';
import { logOpen } from './log';
import { existsSync } from 'node:fs';
import { loadModelFromSource } from './keras/document';
import { memorySource } from './keras/container/bytes';
import type { ModelSummary } from './keras/summary';
import type { InputSpec as ModelInputSpec } from './keras/inputs';
import { describeThrown } from './keras/errors';
import type { ModelDocument } from './keras/model';
import { ReadWorkers, summarizeFile, type SummaryIn, type SummaryOut } from './summaryWorker';
import { findArchitectureBeside, readArchitectureFile, readModelFile, statFile, uriBaseName, uriFromString } from './hostFiles';

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

/** Reads a model's bytes to its summary off the host (ReadWorkers; the web build passes a Web Worker one). */
export interface SummaryReader {
  read(model: SummaryIn['model'], config?: SummaryIn['config']): Promise<SummaryOut>;
  dispose(): void;
  readonly alive: number;
}

interface Entry {
  mtimeMs: number;
  size: number;
  promise: Promise<LoadedModel>;
}

export class ModelStore implements vscode.Disposable {
  private readonly cache = new Map<string, Entry>();
  /** Architecture JSON chosen by the user for weights-only files, by model URI. */
  private readonly configs = new Map<string, vscode.Uri>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires when a cached model's file changed on disk (views reload it). */
  readonly onDidChange = this.changed.event;
  private readonly watcher: vscode.FileSystemWatcher;

  /** The reading workers (undefined when files are read in-process). */
  readonly workers?: SummaryReader;

  /**
   * `reader`: the worker bundle's path (Node worker threads, ReadWorkers), or a reader of its own (the web build's
   * Web Worker); without it (or when the bundle is missing) files are read in-process.
   */
  constructor(private readonly log: vscode.LogOutputChannel, reader?: string | SummaryReader) {
    if (typeof reader === 'string') {
      if (existsSync(reader)) this.workers = new ReadWorkers(reader);
    } else if (reader) this.workers = reader;
    this.watcher = vscode.workspace.createFileSystemWatcher(MODEL_GLOB);
    const onFile = (uri: vscode.Uri) => {
      if (this.cache.delete(uri.toString())) this.changed.fire(uri);
    };
    this.watcher.onDidChange(onFile);
    this.watcher.onDidDelete(onFile);
    this.watcher.onDidCreate(onFile);
  }

  /** Use `config` (a URI, or a URI string / local path) as the architecture of the weights-only file `uri` (reloads it). */
  setArchitecture(uri: vscode.Uri, config: vscode.Uri | string): void {
    this.configs.set(uri.toString(), typeof config === 'string' ? uriFromString(config) : config);
    if (this.cache.delete(uri.toString())) this.changed.fire(uri);
  }

  /** The architecture JSON chosen for `uri`, if any (exports never write onto it). */
  architectureOf(uri: vscode.Uri): vscode.Uri | undefined {
    return this.configs.get(uri.toString());
  }

  /** The architecture JSON a weights-only `uri` is read with: the chosen one, else one beside it (readDirectory). */
  async architectureUri(uri: vscode.Uri): Promise<vscode.Uri | undefined> {
    return this.configs.get(uri.toString()) ?? (await findArchitectureBeside(uri));
  }

  /**
   * The model's bytes and its architecture JSON's text, read now through workspace.fs, as a worker takes them
   * (RunRequest.model/config). Rejects with one sentence (an InputError) when a file cannot be read.
   */
  async readSource(uri: vscode.Uri): Promise<{ model: { name: string; bytes: Uint8Array }; config?: { name: string; text: string } }> {
    const model = await readModelFile(uri);
    const chosen = this.configs.get(uri.toString());
    let config: { name: string; text: string } | undefined;
    if (chosen) config = await readArchitectureFile(chosen);
    else {
      // Only a weights-only file uses it (the worker decides by content): a JSON beside a full model that cannot be
      // read must not stop the model from opening; a weights-only one then says its architecture is missing.
      const beside = await findArchitectureBeside(uri);
      if (beside) config = await readArchitectureFile(beside).catch((e) => void this.log.warn(`${uriBaseName(beside)}: ${describeThrown(e)}`));
    }
    return { model, ...(config ? { config } : {}) };
  }

  /** The model at `uri`, read once per file version. Rejects with ModelLoadError (one clear sentence). */
  async get(uri: vscode.Uri): Promise<LoadedModel> {
    const key = uri.toString();
    let stat: { mtimeMs: number; size: number };
    try {
      const st = await statFile(uri, 'The model file', 'open a .keras, .h5 or .weights.h5 file');
      stat = { mtimeMs: st.mtime, size: st.size };
    } catch (e) {
      throw new ModelLoadError(uri, describeThrown(e), true);
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
    const useWorker = !!this.workers;
    const shown = uri.scheme === 'file' ? uri.fsPath : uri.toString();
    let source: Awaited<ReturnType<ModelStore['readSource']>>;
    try {
      source = await this.readSource(uri);
    } catch (e) {
      const message = describeThrown(e);
      logOpen(shown, performance.now() - t0, { error: message });
      throw new ModelLoadError(uri, message, true);
    }
    const { config } = source;
    // The bytes are transferred to the reading thread (no copy); the host reads them again only if it needs values.
    const out = this.workers ? await this.workers.read(source.model, config) : await summarizeFile(source.model, config);
    const loadMs = performance.now() - t0;
    if (out.type === 'error') {
      logOpen(shown, loadMs, { error: out.message, expected: out.expected });
      throw new ModelLoadError(uri, out.message, out.expected, out.needsArchitecture);
    }
    const { summary, inputs, notExecutable } = out;
    logOpen(shown, loadMs, { layers: summary.layers.length, params: summary.totalParams, format: `${summary.format}${useWorker ? ', read in the worker' : ''}` });
    let doc: Promise<ModelDocument> | undefined;
    const document = () =>
      (doc ??= readModelFile(uri).then((m) => loadModelFromSource(memorySource(m.bytes, m.name), config ? { config } : {})));
    return { uri, summary, inputs, ...(notExecutable ? { notExecutable } : {}), document, loadMs };
  }

  dispose(): void {
    this.workers?.dispose();
    this.watcher.dispose();
    this.changed.dispose();
    this.cache.clear();
  }
}
