// One inspector webview (the panel or the custom editor) and the model it shows: answers the page's messages
// (validated against protocol.ts), runs forward passes in the worker, keeps the stateful layers' last state for the
// next run, and saves exports (never over the model or its architecture JSON).

import * as vscode from 'vscode';
import { digits as digitsSetting, onDidChangeSettings, traceMemoryLimitMB } from './settings';
import { logRun } from './log';
import { estimateMemory, fillShapes, tracedLayerNames } from './keras/forward';
import { traceWindow, type TraceWindow, type TraceWindowRequest } from './keras/traceStore';
import { writeTraceCsv } from './keras/traceExport';
import { writeLocalFileInPieces } from './traceFileNode';
import { MAX_INPUT_FILE_BYTES, readInputText, uriArg } from './modelPicker';
import { CancelledError, describeThrown, oneSentence } from './keras/errors';
import { plainText, showName } from './keras/safeText';
import { DEFAULT_MEMORY_BUDGET_MB, budgetBytes, checkBudget, formatBytes } from './keras/limits';
import { tracesToCsv } from './keras/traceExport';
import { runJson } from './keras/runJson';
import type { LayerStates } from './keras/states';
import { exportNumpy } from './keras/numpyExport';
import { toPortable } from './keras/portableModel';
import type { LayerNode, ModelDocument, WeightRef } from './keras/model';
import { nodeWorkerFactory, type WorkerFactory } from './forwardRunner';
import { RunSession } from './runSession';
import { wallNow, type WorkerRunRequest } from './forwardWorker';
import { RunFailure, type RunInput } from './runJob';
import { architectureCandidateUris, readWholeFile, sameTarget, uriBaseName, uriDirname, uriFromString } from './hostFiles';
import { ModelLoadError, type LoadedModel, type ModelStore } from './models';
import { modelConventions, pickNpy } from './compareHost';
import { inVsCodeWords } from './vscodeWords';
import {
  PROTOCOL_VERSION,
  sanitizeExportName,
  describeInput,
  LIVE_MODEL_MAX_VALUES,
  validateWebviewMessage,
  type ExportRequest,
  type ExportResult,
  type HostMessage,
  type InputChoice,
  type RequestMessage,
  type RunResult,
  type WebviewMessage,
} from './protocol';

/** The memory budget of one forward pass (setting kerasRnnInspector.memoryLimitMB), in MB. */
export function memoryLimitMB(): number {
  const v = vscode.workspace.getConfiguration('kerasRnnInspector').get<unknown>('memoryLimitMB');
  return typeof v === 'number' && Number.isInteger(v) && v >= 16 && v <= 65_536 ? v : DEFAULT_MEMORY_BUDGET_MB;
}

/** A file name from disk or a file, made safe to show: controls and bidi overrides visible, cut to a label's length. */
export function displayName(uri: vscode.Uri): string {
  return showName(uriBaseName(uri));
}

/** The formats an export may be saved as: the extension the suggested name is forced to. */
const EXPORT_EXT = { numpy: 'py', 'trace-csv': 'csv', 'trace-json': 'json', png: 'png' } as const;

/** What a run ended with; commands return it so tests can drive runs without UI. */
export interface RunOutcome {
  result?: RunResult;
  error?: string;
  errorKind?: string;
  cancelled?: boolean;
  /** A live edit that joined the trailing run of the one in flight. */
  coalesced?: boolean;
}

export interface RunOptions {
  /** Stateful layers continue from the last run's state. */
  continueState?: boolean;
  /** A live recompute of an edited input cell: no notification, coalesced while a run is in flight, the kept state untouched. */
  live?: boolean;
  /** Wall-clock times of the edit in the page and of its arrival here, for the live benchmark. */
  editAt?: number;
  hostReceivedAt?: number;
  /** Started by the page (Run, a live edit): the result is handed to no caller, so it may be recycled once replaced. */
  fromPage?: boolean;
}

export interface SessionDeps {
  extensionUri: vscode.Uri;
  models: ModelStore;
  log: vscode.LogOutputChannel;
  /** Absolute path of dist/forwardWorker.js. */
  workerPath: string;
  /** Starts the panel's forward worker (the web build passes a Web Worker); a Node worker thread on workerPath by default. */
  workerFactory?: WorkerFactory;
  /** The user selected a layer in the webview. */
  onSelectLayer?(uri: vscode.Uri, layer: string): void;
}

/** Asks for the architecture JSON of a weights-only model; true when one was chosen. */
export async function chooseArchitecture(models: ModelStore, uri: vscode.Uri): Promise<boolean> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Use as architecture',
    title: `Architecture JSON (model.to_json()) for ${displayName(uri)}`,
    filters: { 'Keras architecture JSON': ['json'] },
    defaultUri: uriDirname(uri),
  });
  if (!picked?.[0]) return false;
  models.setArchitecture(uri, picked[0]);
  return true;
}

let nextRunId = 1;

/** One webview showing one model: answers the webview's messages and runs forward passes in the worker. */
/** What a run keeps of its trace (tracePlan): the limit above which it streams, and the user's choice over it. */
type TracePlan = { traceLimitMB: number; trace?: 'h'; traceLayers?: string[]; note?: string };

/**
 * The long CSV of a run whose trace was kept as checkpoints, recomputed window by window in the panel's worker and
 * written piece by piece to a local file, with progress and Cancel (then the partial file is removed; false).
 */
async function streamTraceCsv(run: RunResult, dest: vscode.Uri, window: (req: TraceWindowRequest) => Promise<TraceWindow>): Promise<boolean> {
  if (dest.scheme !== 'file') throw new Error('A trace kept as checkpoints is written piece by piece to a file on this machine; choose a local file.');
  const steps = run.traces.reduce((a, t) => a + t.steps * t.batch, 0);
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: plainText(`Exporting the trace (${steps.toLocaleString('en')} steps of every sample) as CSV`), cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    let reported = 0;
    try {
      await writeLocalFileInPieces(dest.fsPath, (write) =>
        writeTraceCsv(run.traces, window, write, {
          signal: abort.signal,
          progress: (done, total) => {
            const pct = (100 * done) / Math.max(1, total);
            progress.report({ increment: pct - reported, message: `step ${done.toLocaleString('en')} of ${total.toLocaleString('en')}` });
            reported = pct;
          },
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof CancelledError) return false;
      throw e;
    }
  });
}

export class InspectorSession implements vscode.Disposable {
  private ready = false;
  /** Messages posted before the page was ready, with when (a run result's hostMs grows by its wait here). */
  private readonly queue: { msg: HostMessage; at: number }[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private current?: { runId: number; abort: AbortController; promise: Promise<RunOutcome>; live?: boolean };
  /** The panel's persistent forward worker (runSession.ts), started by the first run. */
  private runs?: RunSession;
  /** Bumped when the file changes: the worker reads the model again. */
  private modelVersion = 0;
  /** A live edit that came while a run was in flight: run once that one ends (latest values win). */
  private pendingLive?: { input: InputChoice; options: RunOptions };
  private restoreUi: unknown;
  private disposed = false;
  /** Files the user picked in this session's own open dialogs: the only paths a `run` from the page may read. */
  private readonly pickedFiles = new Set<string>();
  /** The latest finished run, re-sent when the webview reloads (hidden tabs lose their page). */
  lastResult?: RunResult;
  /** Runs the page started: their results went only to the page, so once replaced nothing here reads them. */
  private readonly pageResults = new WeakSet<RunResult>();
  /** Exports in progress (they read a run across awaits). */
  private exporting = 0;
  /** The stateful layers' last states and which run left them: the next run may continue from them, as Keras does between predict calls. */
  lastState?: { states: LayerStates[]; origin: string };
  /** Names of the stateful layers, known once a run has reported their states. */
  private statefulLayers: string[] = [];
  lastError?: string;
  private readonly readyEmitter = new vscode.EventEmitter<void>();
  /** Fires on every `ready` from the page (first load and every reload). */
  readonly onDidBecomeReady = this.readyEmitter.event;
  /** Every message sent to the webview, newest last (tests read it). */
  readonly sent: HostMessage['type'][] = [];
  /** Runs whose results the page has yet to paint: the page's `runShown` ends their progress. */
  private readonly shownWaiters = new Map<number, () => void>();

  /** Resolves when the page says it painted run `runId`, or after `timeoutMs` (a hidden page does not paint). */
  private whenShown(runId: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.shownWaiters.delete(runId);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.shownWaiters.set(runId, done);
    });
  }

  constructor(
    readonly webview: vscode.Webview,
    readonly uri: vscode.Uri,
    readonly host: 'panel' | 'editor',
    private readonly deps: SessionDeps,
    restore?: unknown,
  ) {
    this.restoreUi = restore;
    this.disposables.push(webview.onDidReceiveMessage((m) => this.onMessage(m)));
    this.disposables.push(
      deps.models.onDidChange((u) => {
        if (u.toString() !== this.uri.toString()) return;
        this.modelVersion++;
        // A changed file may have other layers or sizes: its stateful layers start from zeros again.
        this.lastState = undefined;
        if (this.ready) void this.sendInit().then(() => this.postStateInfo());
      }),
    );
    this.disposables.push(onDidChangeSettings(() => this.post({ type: 'settings', digits: digitsSetting() })));
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Resolves once the page has said `ready` (immediately if it already has). */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => {
      const d = this.onDidBecomeReady(() => {
        d.dispose();
        resolve();
      });
    });
  }

  private post(msg: HostMessage): void {
    if (!this.ready) {
      // Before `ready` the page is not listening: keep run messages for later, drop replies (none can be pending).
      if (msg.type !== 'reply') this.queue.push({ msg, at: performance.now() });
      return;
    }
    this.sent.push(msg.type);
    void this.webview.postMessage(msg);
  }

  private async sendInit(): Promise<void> {
    const fileName = displayName(this.uri);
    let loaded: LoadedModel;
    try {
      loaded = await this.deps.models.get(this.uri);
    } catch (e) {
      const message = inVsCodeWords(e instanceof ModelLoadError ? e.message : describeThrown(e));
      this.post({ type: 'loadError', fileUri: this.uri.toString(), fileName, message });
      return;
    }
    this.post({
      type: 'init',
      protocol: PROTOCOL_VERSION,
      fileUri: this.uri.toString(),
      fileName,
      summary: loaded.summary,
      inputs: loaded.inputs,
      ...(loaded.notExecutable ? { notExecutable: inVsCodeWords(loaded.notExecutable) } : {}),
      ...(this.restoreUi !== undefined ? { restore: this.restoreUi } : {}),
      host: this.host,
    });
    this.post({ type: 'settings', digits: digitsSetting() });
  }

  /** Lets a `run` from the page read this file (the user chose it in a host dialog or a command): a URI or its InputChoice `path`. */
  allowFile(file: vscode.Uri | string): void {
    this.pickedFiles.add((typeof file === 'string' ? uriFromString(file) : file).toString());
  }

  private async onMessage(raw: unknown): Promise<void> {
    const checked = validateWebviewMessage(raw);
    if (!checked.ok) {
      // Answered when it was a request (the page would wait forever), otherwise dropped; logged either way.
      this.deps.log.warn(checked.error);
      if (checked.id !== undefined) this.post({ type: 'reply', id: checked.id, ok: false, error: checked.error });
      return;
    }
    const msg: WebviewMessage = checked.message;
    switch (msg.type) {
      case 'ready': {
        if (msg.state?.ui !== undefined) this.restoreUi = msg.state.ui;
        this.ready = true;
        await this.sendInit();
        const queued = this.queue.splice(0);
        for (const { msg: m, at } of queued) this.post(m.type === 'runResult' && m.hostMs !== undefined ? { ...m, hostMs: m.hostMs + performance.now() - at } : m);
        // The last result again for a page that was not there when it came (a restored or re-created panel); once.
        const last = this.lastResult;
        if (last && !this.current && !queued.some(({ msg: m }) => m.type === 'runResult' && m.result.runId === last.runId)) this.post({ type: 'runResult', result: last });
        this.postStateInfo();
        this.readyEmitter.fire();
        return;
      }
      case 'run': {
        const refused = this.refusedPath(msg.input);
        if (refused) {
          this.deps.log.warn(refused);
          this.post({ type: 'runError', runId: 0, message: refused, kind: 'input' });
          return;
        }
        void this.run(msg.input, { fromPage: true, continueState: msg.continueState === true, ...(msg.live ? { live: true, hostReceivedAt: wallNow(), ...(msg.editAt !== undefined ? { editAt: msg.editAt } : {}) } : {}) });
        return;
      }
      case 'resetState':
        this.resetState();
        return;
      case 'cancel':
        if (this.current && this.current.runId === msg.runId) this.current.abort.abort();
        return;
      case 'reopenWith':
        await vscode.commands.executeCommand('workbench.action.reopenWithEditor', this.uri);
        return;
      case 'chooseArchitecture':
        // Only the not-a-model page offers it (modelEditor.ts); the inspector page has a model already.
        return;
      case 'notify': {
        const show = msg.level === 'error' ? vscode.window.showErrorMessage : msg.level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
        // Plain text: the page may echo names from the file, and notifications render links.
        void show(plainText(oneSentence(msg.message)));
        return;
      }
      case 'selectLayer':
        this.deps.onSelectLayer?.(this.uri, msg.layer);
        return;
      case 'runShown':
        this.shownWaiters.get(msg.runId)?.();
        return;
      case 'request':
        await this.answer(msg);
        return;
    }
  }

  /**
   * What the run keeps of its trace: the estimate (N·T·M × quantities × 4 bytes per recurrent layer) for a fill, and
   * above kerasRnnInspector.traceMemoryLimitMB the user's choice: every step from checkpoints, h only, only some
   * layers, or a shorter T (null: cancelled). Inputs whose shapes are known only once read (CSV, typed) stream on their
   * own above the limit.
   */
  private async tracePlan(input: InputChoice): Promise<TracePlan | null> {
    const limitMB = traceMemoryLimitMB();
    if (input.kind !== 'zeros' && input.kind !== 'ramp' && input.kind !== 'random') return { traceLimitMB: limitMB };
    let full: number;
    let hOnly: number;
    let layers: { name: string; bytes: number }[];
    let ofLayers: (names: string[]) => number;
    try {
      const doc = await (await this.deps.models.get(this.uri)).document();
      const shapes = fillShapes(doc, { ...(input.n !== undefined ? { N: input.n } : {}), ...(input.t !== undefined ? { T: input.t } : {}) });
      if (!shapes) return { traceLimitMB: limitMB };
      full = estimateMemory(doc, shapes, true).traces;
      hOnly = estimateMemory(doc, shapes, 'h').traces;
      ofLayers = (names) => estimateMemory(doc, shapes, true, names).traces;
      layers = tracedLayerNames(doc).map((name) => ({ name, bytes: ofLayers([name]) }));
    } catch {
      // The run itself says what is wrong with the model or the sizes, in one sentence.
      return { traceLimitMB: limitMB };
    }
    const limit = budgetBytes(limitMB);
    if (full <= limit) return { traceLimitMB: limitMB, ...(full > 0 ? { note: `trace ${formatBytes(full)}` } : {}) };
    type Item = vscode.QuickPickItem & { plan: TracePlan | 'layers' | null };
    const items: Item[] = [
      {
        label: 'Keep every step viewable from checkpoints',
        detail: `Keeps at most ${formatBytes(limit)}: every K-th step and the states to recompute any other step exactly when it is shown.`,
        plan: { traceLimitMB: limitMB, note: `trace ${formatBytes(full)}, streamed from checkpoints (at most ${formatBytes(limit)} kept)` },
      },
      ...(hOnly < full
        ? [{ label: 'Keep only h (and c)', detail: `${formatBytes(hOnly)}${hOnly > limit ? ', still over the limit: kept as checkpoints' : ''}; no gates.`, plan: { traceLimitMB: limitMB, trace: 'h' as const, note: `trace of h ${formatBytes(hOnly)}` } }]
        : []),
      ...(layers.length > 1
        ? [{ label: 'Keep only some layers…', detail: plainText(`Choose which recurrent layers keep a trace: ${layers.map((l) => `${showName(l.name, 40)} ${formatBytes(l.bytes)}`).join(', ')}.`), plan: 'layers' as const }]
        : []),
      { label: 'Cancel, to run a shorter T', detail: `T steps cost ${formatBytes(full / Math.max(1, input.t ?? 1))} of trace each.`, plan: null },
    ];
    const pick = await vscode.window.showQuickPick(items, {
      title: plainText(`The trace of this run would take about ${formatBytes(full)}, over the ${formatBytes(limit)} trace limit (kerasRnnInspector.traceMemoryLimitMB)`),
      ignoreFocusOut: true,
    });
    if (pick?.plan !== 'layers') return pick?.plan ?? null;
    const chosen = await vscode.window.showQuickPick(
      layers.map((l) => ({ label: plainText(showName(l.name, 80)), description: `trace ${formatBytes(l.bytes)}`, name: l.name })),
      { title: 'Layers that keep their trace (the others run without one)', canPickMany: true, ignoreFocusOut: true },
    );
    if (!chosen || chosen.length === 0) return null;
    const names = chosen.map((c) => c.name);
    const bytes = ofLayers(names);
    return { traceLimitMB: limitMB, traceLayers: names, note: `trace of ${names.map((n) => showName(n, 40)).join(', ')} ${formatBytes(bytes)}${bytes > limit ? ', streamed from checkpoints' : ''}` };
  }

  private async answer(msg: RequestMessage): Promise<void> {
    try {
      let result: unknown;
      switch (msg.method) {
        case 'weights': {
          const loaded = await this.deps.models.get(this.uri);
          const layer = loaded.summary.layers.flatMap(function all(l): typeof l[] {
            return [l, ...l.children.flatMap(all)];
          }).find((l) => l.name === msg.params.layer);
          if (!layer) throw new Error(`The model has no layer "${showName(msg.params.layer)}".`);
          const ref = findWeightRef(await loaded.document(), msg.params.layer, msg.params.weight);
          if (!ref) throw new Error(`The layer "${showName(msg.params.layer)}" has no weight "${showName(msg.params.weight)}".`);
          // The shape is the file's claim: sized against the memory budget before a single value is read.
          const count = ref.shape.reduce((n, d) => n * d, 1);
          checkBudget(count, 8, budgetBytes(memoryLimitMB()), `Showing ${showName(ref.short)} (${ref.shape.join(' × ')})`, 'raise kerasRnnInspector.memoryLimitMB to see it');
          const values = ref.values();
          result = { layer: msg.params.layer, name: ref.name, path: ref.path, shape: [...ref.shape], values: values.slice() };
          break;
        }
        case 'export':
          result = await this.export(msg.params);
          break;
        case 'pickCsv':
          result = await this.pickCsv();
          break;
        case 'traceWindow': {
          const p = msg.params;
          const last = this.lastResult;
          if (!last || last.runId !== p.runId) throw new Error('That run is no longer kept; run the forward pass again.');
          const trace = last.traces.find((t) => t.layer === p.layer && (t.direction ?? '') === (p.direction ?? ''));
          // A full trace is here already; a streamed one is recomputed from its checkpoints in the panel's worker.
          if (trace && !trace.streamed) result = traceWindow(last.traces, undefined, p);
          else if (this.runs) result = await this.runs.window({ ...p });
          else throw new Error('That run is no longer kept; run the forward pass again.');
          break;
        }
        case 'pickNpy':
          result = await pickNpy(this.uri);
          break;
        case 'conventions':
          result = await modelConventions(this.deps.models, this.uri);
          break;
        case 'liveModel':
          // A small model's weights, read once, so the page recomputes live edits itself (webview/views/liveRun.ts).
          result = toPortable(await (await this.deps.models.get(this.uri)).document(), LIVE_MODEL_MAX_VALUES);
          break;
      }
      this.post({ type: 'reply', id: msg.id, ok: true, result });
    } catch (e) {
      this.post({ type: 'reply', id: msg.id, ok: false, error: oneSentence(describeThrown(e)) });
    }
  }

  private async pickCsv() {
    const picked = await vscode.window.showOpenDialog({
      canSelectMany: false,
      openLabel: 'Use as input',
      filters: { 'CSV / text series': ['csv', 'tsv', 'txt', 'dat'] },
      defaultUri: uriDirname(this.uri),
    });
    if (!picked || picked.length === 0) return null;
    this.allowFile(picked[0]);
    return { fileName: displayName(picked[0]), path: uriArg(picked[0]), text: await readInputText(picked[0]) };
  }

  /** The input as the worker takes it: a CSV chosen by path travels as its bytes, read here through workspace.fs. */
  private async runInput(input: InputChoice): Promise<RunInput> {
    if (input.kind !== 'csv' || input.text !== undefined || input.path === undefined) return input;
    const { path: csvPath, ...rest } = input;
    const bytes = await readWholeFile(uriFromString(csvPath), MAX_INPUT_FILE_BYTES, 'The input file', 'cut it to the rows you need');
    return { ...rest, bytes };
  }

  /** Why a `run` from the page may not read its CSV path (one sentence), or undefined when it may. */
  private refusedPath(input: InputChoice): string | undefined {
    if (input.kind !== 'csv' || input.path === undefined) return undefined;
    // Only the exact file chosen in a host dialog (compared as a normalized URI: no `..`, no other scheme).
    if (this.pickedFiles.has(uriFromString(input.path).toString())) return undefined;
    return `The panel asked to read ${showName(input.path)}, which was not chosen in this panel's file dialog; choose the CSV file with "Load CSV…" first.`;
  }

  /** Saves an export; `target` skips the save dialog (tests, scripted use). */
  async export(req: ExportRequest, target?: vscode.Uri): Promise<ExportResult> {
    // While an export waits on its dialog or its writes, no run it may be reading is handed back (retire).
    this.exporting++;
    try {
      return await this.exportRun(req, target);
    } finally {
      this.exporting--;
    }
  }

  private async exportRun(req: ExportRequest, target?: vscode.Uri): Promise<ExportResult> {
    const stem = uriBaseName(this.uri).replace(/(\.weights)?\.(h5|keras|hdf5)$/i, '');
    const run = req.runId === undefined || req.runId === this.lastResult?.runId ? this.lastResult : undefined;
    let bytes: Uint8Array;
    let ext: string;
    let filterName: string;
    // A trace kept as checkpoints is written window by window to the chosen file (false: cancelled).
    let streamTo: ((dest: vscode.Uri) => Promise<boolean>) | undefined;
    switch (req.format) {
      case 'png':
        if (!req.png || req.png.length === 0) throw new Error('No image was given to save.');
        bytes = req.png;
        ext = 'png';
        filterName = 'PNG image';
        break;
      case 'trace-csv':
      case 'trace-json': {
        if (!run) throw new Error('Run the forward pass first: there is no trace to export yet.');
        if (run.traces.some((t) => t.streamed)) {
          // Over the trace limit in full: one JSON document would not fit in memory, the long CSV is written piece by piece.
          if (req.format === 'trace-json') throw new Error('This run kept its trace as checkpoints because in full it is over kerasRnnInspector.traceMemoryLimitMB, so it is exported as CSV only (written window by window); choose Trace CSV, or run a shorter T for JSON.');
          const runs = this.runs;
          if (!runs) throw new Error('That run is no longer kept; run the forward pass again.');
          streamTo = (dest) => streamTraceCsv(run, dest, (w) => runs.window({ ...w, runId: run.runId }) as Promise<TraceWindow>);
          bytes = new Uint8Array(0);
          ext = 'csv';
          filterName = 'CSV';
        } else if (req.format === 'trace-csv') {
          bytes = new TextEncoder().encode(tracesToCsv(run.traces));
          ext = 'csv';
          filterName = 'CSV';
        } else {
          // The same JSON as `keras-inspect forward --json`, plus the file and the input (runJson.ts).
          const json = runJson(run, {
            trace: true,
            file: uriBaseName(this.uri),
            inputLabel: run.inputLabel,
            inputs: run.inputs,
            ...(run.outputNames ? { outputNames: run.outputNames } : {}),
            ...(run.startedFrom ? { startedFrom: run.startedFrom } : {}),
          });
          bytes = new TextEncoder().encode(JSON.stringify(json, null, 1));
          ext = 'json';
          filterName = 'JSON';
        }
        break;
      }
      case 'numpy': {
        if (!run) throw new Error('Run the forward pass first: the NumPy script replays that run.');
        // The script starts every layer from zeros: it would not replay a run that continued from the last state.
        if (run.startedFrom) throw new Error('This run continued the stateful layers from an earlier state, which the NumPy script cannot replay (it starts from zeros); reset the state, run again, then export.');
        const loaded = await this.deps.models.get(this.uri);
        bytes = new TextEncoder().encode(await numpyScript(loaded, run));
        ext = 'py';
        filterName = 'Python script';
        break;
      }
    }
    if (req.format === 'png' && !isPng(bytes)) throw new Error('The chart image is not a PNG; export it again from the chart.');
    let dest = target;
    if (!dest) {
      const fallback = sanitizeExportName(`${stem}-${req.format === 'numpy' ? 'forward' : req.format === 'png' ? 'chart' : 'trace'}`, EXPORT_EXT[req.format], 'export');
      const suggested = sanitizeExportName(req.suggestedName ?? fallback, EXPORT_EXT[req.format], fallback.replace(/\.[^.]+$/, ''));
      dest = await vscode.window.showSaveDialog({
        // The dialog starts in the model's folder, with a plain name the page cannot steer elsewhere.
        defaultUri: vscode.Uri.joinPath(uriDirname(this.uri), suggested),
        filters: { [filterName]: [ext] },
        saveLabel: 'Export',
      });
    }
    if (!dest) return { savedTo: null };
    // Whatever the dialog returned, an export never replaces the model or the architecture JSON it was read with.
    const chosen = this.deps.models.architectureOf(this.uri);
    const protectedFiles = [this.uri, ...(chosen ? [chosen] : []), ...architectureCandidateUris(this.uri)];
    for (const p of protectedFiles) {
      if (await sameTarget(dest, p)) {
        throw new Error(`The export would overwrite ${showName(uriBaseName(p))}, which the model is read from; choose another file name.`);
      }
    }
    if (streamTo) {
      if (!(await streamTo(dest))) return { savedTo: null };
    } else await vscode.workspace.fs.writeFile(dest, bytes);
    return { savedTo: uriArg(dest) };
  }

  /** Focus a layer in the page (the tree was clicked). */
  focusLayer(layer: string): void {
    this.post({ type: 'focusLayer', layer });
  }

  /** Put an input into the page's input editor without running. */
  setInput(input: InputChoice): void {
    // The page cannot read files: a CSV picked from the palette travels with its text.
    if (input.kind === 'csv' && input.path && input.text === undefined) {
      // A command chose this file (its dialog), so the page may run it by path too.
      this.allowFile(input.path);
      const csvPath = input.path;
      void readInputText(csvPath).then(
        (text) => this.post({ type: 'setInput', input: { ...input, text } }),
        (e) => void vscode.window.showErrorMessage(plainText(oneSentence(describeThrown(e)))),
      );
      return;
    }
    this.post({ type: 'setInput', input });
  }

  get running(): boolean {
    return !!this.current;
  }

  /** Bytes of the last run's output and trace that reused memory handed back by retire() (0 on fresh memory). */
  get reusedBytes(): number {
    return this.runs?.lastReusedBytes ?? 0;
  }

  /** Forgets the stateful layers' last state (Keras's reset_states()): the next run starts from zeros. */
  resetState(): void {
    this.lastState = undefined;
    this.postStateInfo();
  }

  /**
   * Hands a replaced run's buffers back to the panel's worker, so the next run's output and trace reuse memory that is
   * already mapped (keras/recycledBuffers.ts). Only a run the page started (no caller holds its result), not waiting
   * in the queue for the page, and with no export in progress; any other is left to the garbage collector.
   */
  private retire(old: RunResult): void {
    if (!this.runs || !this.pageResults.has(old) || this.exporting > 0) return;
    if (this.queue.some(({ msg }) => msg.type === 'runResult' && msg.result === old)) return;
    this.pageResults.delete(old);
    this.runs.recycle(old);
  }

  private postStateInfo(): void {
    if (this.statefulLayers.length === 0) return;
    this.post({ type: 'stateInfo', layers: this.statefulLayers, origin: this.lastState?.origin ?? null });
  }

  /**
   * Runs the forward pass in the worker with a cancellable progress notification. The outcome goes to the page
   * (runResult / runError / runCancelled) and, for errors, to a notification too. Never throws.
   */
  run(input: InputChoice, options: RunOptions = {}): Promise<RunOutcome> {
    if (this.current && options.live) {
      // Coalesced: one trailing run with the latest values once the current run ends.
      this.pendingLive = { input, options };
      return Promise.resolve({ coalesced: true });
    }
    if (this.current?.live) {
      // A live recompute (an edited cell) is in flight: Run waits for it instead of being refused.
      const live = this.current.promise;
      return live.then(() => this.run(input, options), () => this.run(input, options));
    }
    if (this.current) {
      void vscode.window.showWarningMessage('A forward pass is already running for this model; cancel it first.');
      return Promise.resolve({ error: 'A forward pass is already running for this model.', errorKind: 'busy' });
    }
    const runId = nextRunId++;
    const abort = new AbortController();
    const label = plainText(showName(describeInput(input), 120));
    const fileName = displayName(this.uri);
    const logFile = this.uri.scheme === 'file' ? this.uri.fsPath : this.uri.toString();
    const startedAt = performance.now();
    const body = async (progress: vscode.Progress<{ message?: string; increment?: number }>, token?: vscode.CancellationToken): Promise<RunOutcome> => {
        token?.onCancellationRequested(() => abort.abort());
        this.post({ type: 'runStarted', runId, inputLabel: label, ...(options.live ? { live: true } : {}) });
        let reported = 0;
        try {
          // The trace's memory, estimated before the run; above the trace limit the user chooses what to keep.
          const plan = options.live ? { traceLimitMB: traceMemoryLimitMB() } : await this.tracePlan(input);
          if (!plan) throw new CancelledError();
          if (plan.note) progress.report({ message: plainText(plan.note) });
          const runInput = await this.runInput(input);
          // Continuing hands the last run's final states to this run; without it stateful layers start from zeros.
          const carried = options.continueState ? this.lastState : undefined;
          // The model's bytes are read (through workspace.fs) only when the panel's worker does not hold it yet.
          const request: WorkerRunRequest = {
            runId,
            input: runInput,
            memoryLimitMB: memoryLimitMB(),
            traceLimitMB: plan.traceLimitMB,
            ...(plan.trace ? { trace: plan.trace } : {}),
            ...('traceLayers' in plan && plan.traceLayers ? { traceLayers: plan.traceLayers } : {}),
            ...(carried ? { initialStates: carried.states, startedFrom: carried.origin } : {}),
          };
          // The panel's worker keeps the model: after the first run the bytes are neither read nor sent again.
          this.runs ??= new RunSession(this.deps.workerFactory ?? nodeWorkerFactory({ workerPath: this.deps.workerPath }));
          const result = await this.runs.run(
            request,
            {
              modelKey: `${this.uri.toString()}#${this.modelVersion}`,
              readModel: () => this.deps.models.readSource(this.uri),
              signal: abort.signal,
              onProgress: (done, total, layer) => {
                const pct = (100 * done) / Math.max(1, total);
                progress.report({ message: plainText(`layer ${done} of ${total}: ${showName(layer)}`), increment: pct - reported });
                reported = pct;
                this.post({ type: 'runProgress', runId, done, total, layer });
              },
            },
          );
          // The page shows the stop's sentence; one line of at most 300 characters, whatever the file's names are.
          if (result.stopped) result.stopped = { ...result.stopped, message: oneSentence(inVsCodeWords(result.stopped.message)) };
          const replaced = this.lastResult;
          this.lastResult = result;
          this.lastError = undefined;
          if (options.fromPage) this.pageResults.add(result);
          if (replaced) this.retire(replaced);
          // A run that reached every stateful layer leaves their states for the next one; a stopped run keeps the old.
          // A live run recomputes what the next run would give: it starts from the kept state and leaves it as it is.
          if (result.finalStates?.length && !result.stopped && !options.live) {
            this.statefulLayers = result.finalStates.map((s) => s.layer);
            this.lastState = { states: result.finalStates, origin: `run ${runId} (${new Date().toLocaleTimeString('en-GB')}), ${label}` };
          }
          const w = this.runs.lastTiming;
          const timing = options.live && w && options.hostReceivedAt !== undefined ? { ...(options.editAt !== undefined ? { editAt: options.editAt } : {}), hostReceivedAt: options.hostReceivedAt, workerReceivedAt: w.receivedAt, workerPostedAt: w.postedAt, hostPostedAt: wallNow() } : undefined;
          // The progress covers the transfer to the page and its drawing too: it ends when the page has painted.
          const shown = !options.live && this.ready && !this.disposed ? this.whenShown(runId, 60_000) : undefined;
          if (shown) progress.report({ message: 'showing the results…' });
          this.post({ type: 'runResult', result, ...(timing ? { timing } : {}), hostMs: performance.now() - startedAt });
          if (!options.live) this.postStateInfo();
          if (shown) await shown;
          // A stop is shown by the page (run-stopped); a notification only when no page is left to show it.
          if (result.stopped && this.disposed) {
            void vscode.window.showWarningMessage(plainText(oneSentence(`The forward pass stopped at layer ${result.stopped.position} (${showName(result.stopped.layer)}): ${result.stopped.message}`)));
          }
          if (options.live) this.deps.log.debug(`run ${runId} of ${this.uri.fsPath} (${label}, live) finished in ${result.elapsedMs.toFixed(0)} ms`);
          else if (result.stopped) logRun(logFile, label, performance.now() - startedAt, { error: result.stopped.message }, result.stopped.layer);
          else logRun(logFile, label, performance.now() - startedAt, 'ok');
          return { result };
        } catch (e) {
          if (e instanceof CancelledError) {
            this.post({ type: 'runCancelled', runId });
            logRun(logFile, label, performance.now() - startedAt, 'cancelled');
            return { cancelled: true };
          }
          const f = e instanceof RunFailure ? e : new RunFailure(describeThrown(e), 'internal');
          const message = oneSentence(inVsCodeWords(f.message));
          this.lastError = message;
          logRun(logFile, label, performance.now() - startedAt, { error: message });
          // One report per error: the page's banner, or a notification when the page is gone.
          if (this.disposed) void vscode.window.showErrorMessage(plainText(message));
          else this.post({ type: 'runError', runId, message, kind: f.kind });
          return { error: message, errorKind: f.kind };
        }
    };
    // A live run (an edited cell) is as quick as a keystroke: no notification; the page shows its result in place.
    const promise = options.live
      ? body({ report: () => undefined })
      : vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: plainText(`Forward pass of ${fileName} (${label})`), cancellable: true }, body);
    this.current = { runId, abort, promise: Promise.resolve(promise), ...(options.live ? { live: true } : {}) };
    return Promise.resolve(promise).finally(() => {
      if (this.current?.runId === runId) this.current = undefined;
      const next = this.pendingLive;
      this.pendingLive = undefined;
      if (next && !this.disposed) void this.run(next.input, next.options);
    });
  }

  /** Cancels the run in progress, if any. */
  cancel(): void {
    this.current?.abort.abort();
  }

  dispose(): void {
    this.disposed = true;
    this.pendingLive = undefined;
    for (const done of [...this.shownWaiters.values()]) done();
    this.cancel();
    this.runs?.dispose();
    this.readyEmitter.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= PNG_MAGIC.length && PNG_MAGIC.every((b, i) => bytes[i] === b);
}

function findWeightRef(doc: import('./keras/model').ModelDocument, layerName: string, weight: string) {
  const visit = (layers: import('./keras/model').LayerNode[]): import('./keras/model').WeightRef | undefined => {
    for (const l of layers) {
      if (l.name === layerName) {
        const w = l.weights.find((r) => r.name === weight || r.path === weight || r.short === weight);
        if (w) return w;
        for (const c of l.children) {
          const cw = c.weights.find((r) => r.name === weight || r.path === weight);
          if (cw) return cw;
        }
      }
      const inner = visit([...l.children, ...(l.model?.layers ?? [])]);
      if (inner) return inner;
    }
    return undefined;
  };
  return visit(doc.root.layers);
}

/** The NumPy replay script of a run, with the run's own input; the generator is the core's (`--numpy`). */
async function numpyScript(loaded: LoadedModel, run: RunResult): Promise<string> {
  return exportNumpy(await loaded.document(), run.inputs, { title: uriBaseName(loaded.uri) });
}

