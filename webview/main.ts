// Inspector webview entry: wires the views to the host through extension/protocol.ts.
//
// Stable data-testid attributes for the UI tests (Playwright):
//   run-button, cancel-button, run-status        toolbar: run (Ctrl+Enter), cancel, status line
//   error-banner                                 the one-sentence error (data-kind = input|unsupported|file|internal|webview)
//   tab-model, tab-input, tab-results            the three tabs
//   model-header, header-file, header-format, header-keras, header-params
//   layer-table, layer-row[data-layer], layer-shape, layer-params, params-explained (hover/focus shows the formula)
//   layer-detail, weight-item[data-weight], weight-show, weight-stats, weight-heatmap, spectral-radius (rows data-gate, data-radius)
//   input-editor, input-n, input-t, input-seed, input-select, sample-tab[data-sample], input-grid, input-cell[data-t][data-d]
//   fill-zeros, fill-ramp, fill-random, fill-paste, fill-csv, paste-text, paste-apply, paste-error, csv-column, csv-window, csv-start, csv-apply
//   input-validation                             inline validation (the core's sentences)
//   state-choice, state-continue, state-origin, state-reset   stateful layers: continue from the last state, its origin, reset
//   results-root[data-first-paint-ms][data-run-id]  results; first paint after a result, in ms (performance.now)
//   run-summary, run-started-from, model-output[data-index][data-name], run-stopped, layer-output[data-layer]
//   trace-layer, trace-sample, trace-quantity, chart-units, trace-explorer
//   state-table[data-layer][data-direction][data-quantity][data-sample]
//   state-cell[data-step][data-t][data-unit][data-value]  one value of the per-step table (step = processing step, 0-based)
//   state-heatmap (canvas), state-chart (uPlot), equation-box[data-step][data-sample][data-agrees], equation-text, equation-checks
//   export-numpy, export-trace-csv, export-trace-json, export-heatmap-png, export-chart-png

import inspectorCss from '../media/inspector.css' with { type: 'text' };
import uplotCss from 'uplot/dist/uPlot.min.css' with { type: 'text' };
import type { HostMessage, RunResult, PersistedState, ExportFormat, LiveTiming } from '../extension/protocol';
import { PROTOCOL_VERSION } from '../extension/protocol';
import type { ModelSummary } from '../extension/keras/summary';
import type { InputSpec as ModelInputSpec } from '../extension/keras/inputs';
import { registerToolkit, button, progressRing, tabs, type TabsControl } from './toolkit';
import { h, clear } from './dom';
import { post, request, handleReply, loadState, saveState } from './vscodeApi';
import { encode, decode, countNumbers } from './logic/serialize';
import { fmtMs, setDigits } from './logic/format';
import { headerView, ModelView } from './views/modelView';
import { InputEditor, LIVE_MAX_PARAMS, type InputEditorState } from './views/inputEditor';
import { LiveRunner, PAGE_MAC_BUDGET, wallNow } from './views/liveRun';
import { fromPortable } from '../extension/keras/portableModel';
import { ResultsView, type TraceSelection } from './views/results';
import { resetCompare, setCompareText } from './views/compare';
import { warmTheme } from './views/heatmap';
import { showName } from '../extension/keras/safeText';
import { inVsCodeWords } from '../extension/vscodeWords';
import { GraphView } from './views/graph';
import { ForecastView } from './views/windows';
import { HistoryView } from './views/history';

/** What survives a reload (through vscode.setState), JSON-encoded. */
interface UiState {
  tab: string;
  layer: string | null;
  input?: InputEditorState;
  trace: TraceSelection | null;
  /** The last result when it is small enough (typed arrays ≤ 400k numbers). */
  result?: RunResult;
}

const KEEP_RESULT_NUMBERS = 400_000;

function adoptCss(...texts: string[]): void {
  // Constructed stylesheets: no <style> element, so a strict CSP without 'unsafe-inline' still applies them.
  const sheets = texts.map((t) => {
    const s = new CSSStyleSheet();
    s.replaceSync(t);
    return s;
  });
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, ...sheets];
}

class App {
  private readonly root: HTMLElement;
  private readonly banner = h('div', { class: 'banner error', role: 'alert', 'data-testid': 'error-banner' });
  private readonly status = h('span', { class: 'status', 'data-testid': 'run-status', 'aria-live': 'polite' });
  private readonly ring = progressRing();
  private readonly headerHost = h('div', { class: 'header-host' });
  private tabs: TabsControl | null = null;
  private summary: ModelSummary | null = null;
  private specs: ModelInputSpec[] = [];
  private fileUri = '';
  private notExecutable: string | undefined;
  private runId: number | null = null;
  /** When the run in progress was asked for (Run pressed, or runStarted from a command): its shown time starts here. */
  private runStartedAt: number | undefined;
  private result: RunResult | null = null;
  private ui: UiState = { tab: 'model', layer: null, trace: null };
  private saveTimer = 0;
  private encodedInput: { version: number; value: unknown } | null = null;
  private encodedResult: { result: RunResult | undefined; value: unknown } | null = null;

  private readonly runBtn = button('Run', () => this.run(), { appearance: 'primary', testid: 'run-button', glyph: '▶', title: 'Run the forward pass on this input (Ctrl+Enter)' });
  private readonly cancelBtn = button('Cancel', () => this.cancel(), { appearance: 'secondary', testid: 'cancel-button' });

  private readonly modelView = new ModelView({
    loadWeights: (layer, weight) => request('weights', { layer, weight }),
    layerSelected: (layer) => {
      this.ui.layer = layer;
      this.graph.highlight(layer);
      post({ type: 'selectLayer', layer });
      this.persist();
    },
    error: (m) => this.showError(m, 'webview'),
  });

  /** Functional models: the layer graph above the table; clicking a layer selects it (views/graph.ts). */
  private readonly graph = new GraphView({ select: (layer) => this.modelView.select(layer, true) });
  /** Predicted against actual next values after a run on CSV windows, and the recent runs (views/windows.ts, history.ts). */
  private readonly forecast = new ForecastView();
  private readonly history = new HistoryView();

  private readonly inputEditor = new InputEditor({
    pickCsv: () => request('pickCsv', {}),
    changed: () => {
      this.updateRunEnabled();
      this.persist();
    },
    resetState: () => post({ type: 'resetState' }),
    liveEdit: (editAt) => this.live.edit(editAt),
  });

  /** Live recompute: edited cells run in the page once its model arrived, else by the host (views/liveRun.ts). */
  private readonly live = new LiveRunner({
    send: (editAt) => this.runLive(editAt),
    localInput: () => this.liveLocalInput(),
    showLocal: (result) => this.showLiveResult(result),
  });

  private readonly results = new ResultsView({
    summary: () => this.summary,
    exportRun: (format) => void this.export(format),
    exportPng: (png, name) => {
      png.then((bytes) => this.export('png', bytes, name), (e: Error) => this.showError(e.message, 'webview'));
    },
    selectionChanged: (sel) => {
      this.ui.trace = sel;
      this.persist();
    },
    traceWindow: (params) => request('traceWindow', params),
    loadWeights: (layer, weight) => request('weights', { layer, weight }),
  });

  constructor(root: HTMLElement) {
    this.root = root;
    this.banner.hidden = true;
    this.ring.hidden = true;
    this.cancelBtn.el.hidden = true;
    root.append(h('div', { class: 'loading' }, progressRing(), h('span', {}, 'Reading the model…')));
    window.addEventListener('message', (e: MessageEvent) => this.onMessage(e.data as HostMessage));
    window.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
        e.preventDefault();
        this.run();
      }
    });
    window.addEventListener('error', (e) => this.showError(`The inspector hit an internal error: ${e.message}.`, 'webview', true));
    window.addEventListener('unhandledrejection', (e) => this.showError(`The inspector hit an internal error: ${(e.reason as Error)?.message ?? String(e.reason)}.`, 'webview', true));
    const saved = loadState();
    if (saved?.ui) this.ui = { ...this.ui, ...(decode(saved.ui) as UiState) };
    this.fileUri = saved?.fileUri ?? '';
    post({ type: 'ready', state: saved });
  }

  // ---------------------------------------------------------------------------------------------

  private onMessage(m: HostMessage): void {
    if (!m || typeof m !== 'object' || typeof (m as { type?: unknown }).type !== 'string') return;
    if (handleReply(m)) return;
    switch (m.type) {
      case 'init':
        if (m.protocol !== PROTOCOL_VERSION) {
          this.showError(`This panel speaks protocol ${PROTOCOL_VERSION} but the extension sent ${m.protocol}; reload the window.`, 'internal');
          return;
        }
        if (m.restore && !loadState()?.ui) this.ui = { ...this.ui, ...(decode(m.restore) as UiState) };
        resetCompare();
        this.init(m.fileUri, m.fileName, m.summary, m.inputs, m.notExecutable);
        return;
      case 'loadError':
        this.showLoadError(m.fileName, m.message);
        return;
      case 'runStarted':
        this.live.started(m.runId, m.live === true);
        this.runId = m.runId;
        if (m.live) return;
        // The time a run is said to take is the user's: from here (or the Run press) to the results painted.
        this.runStartedAt ??= performance.now();
        this.setRunning(true, `Running ${showName(m.inputLabel, 200)}…`);
        return;
      case 'runProgress':
        if (m.runId === this.runId) this.status.textContent = `Layer ${m.done} of ${m.total}: ${showName(m.layer)}`;
        return;
      case 'runResult':
        if (this.live.isLive(m.result.runId)) this.onLiveResult(m.result, m.timing);
        else this.onResult(m.result, m.hostMs);
        return;
      case 'runError':
        this.live.ended(m.runId);
        // runId 0: the host refused the run before it started (e.g. a file this panel did not pick).
        if (this.runId === null || m.runId === this.runId || m.runId === 0) {
          this.runStartedAt = undefined;
          this.setRunning(false, '');
          this.showError(m.message, m.kind);
          if (m.kind === 'input') this.tabs?.select('input');
        }
        return;
      case 'runCancelled':
        this.live.ended(m.runId);
        this.runStartedAt = undefined;
        this.setRunning(false, 'Run cancelled.');
        return;
      case 'settings':
        // Applies to what is drawn next (the next step walked through, the next tooltip).
        setDigits(m.digits);
        return;
      case 'setInput': {
        const err = this.inputEditor.apply(m.input);
        this.tabs?.select('input');
        this.ui.tab = 'input';
        if (err) this.showError(err, 'input');
        return;
      }
      case 'focusLayer':
        this.tabs?.select('model');
        this.modelView.select(m.layer, false);
        this.graph.highlight(m.layer);
        return;
      case 'stateInfo':
        this.inputEditor.setStateInfo(m.layers, m.origin);
        return;
      case 'compareText':
      case 'selectStep':
        // The walkthrough's steps: both show the Results tab first.
        this.tabs?.select('results');
        this.ui.tab = 'results';
        if (m.type === 'compareText') setCompareText(m.text);
        else this.results.selectStep(m.step);
        return;
    }
  }

  private init(fileUri: string, fileName: string, summary: ModelSummary, specs: ModelInputSpec[], notExecutable?: string): void {
    this.fileUri = fileUri;
    this.summary = summary;
    this.specs = specs;
    this.notExecutable = notExecutable;
    // A live result held back for the Results tab belongs to the model as it was; the views are rebuilt below.
    this.pendingResults = null;
    clear(this.root);
    this.hideError();
    clear(this.headerHost);
    this.headerHost.append(headerView(summary, fileName));
    const toolbar = h('div', { class: 'main-toolbar', role: 'toolbar', 'aria-label': 'Run' }, this.runBtn.el, this.cancelBtn.el, this.ring, this.status);
    const modelPanel = h('div', { class: 'tab-body' }, this.graph.el, this.modelView.el);
    const inputPanel = h('div', { class: 'tab-body' }, this.inputEditor.el);
    const resultsPanel = h('div', { class: 'tab-body' }, this.results.el, this.forecast.el, this.history.el);
    this.tabs = tabs(
      [
        { id: 'model', label: 'Model', content: modelPanel, testid: 'tab-model' },
        { id: 'input', label: 'Input', content: inputPanel, testid: 'tab-input' },
        { id: 'results', label: 'Results', content: resultsPanel, testid: 'tab-results' },
      ],
      this.ui.tab,
      (id) => {
        this.ui.tab = id;
        if (id === 'results' && this.pendingResults) this.showResultsInPlace(this.pendingResults);
        this.persist();
      },
    );
    this.root.append(h('div', { class: 'top' }, this.headerHost, toolbar), this.banner, this.tabs.el);
    this.modelView.show(summary, this.ui.layer);
    this.graph.show(summary, this.ui.layer);
    this.inputEditor.setModel(specs, this.ui.input, { params: summary.totalParams });
    this.loadLiveModel(fileUri, summary, notExecutable);
    // Not an error of something the user did: Run is off from the start, its reason beside it (updateRunEnabled).
    if (this.ui.result) {
      this.result = this.ui.result;
      this.results.show(this.result, this.ui.trace);
      this.tabs.setBadge('results', '1');
    }
    this.updateRunEnabled();
    this.persist();
    requestAnimationFrame(() => warmTheme());
  }

  private showLoadError(fileName: string, message: string): void {
    clear(this.root);
    this.banner.hidden = false;
    clear(this.banner);
    this.banner.dataset.kind = 'file';
    this.banner.append(h('strong', {}, `${showName(fileName)}: `), showName(message, 400));
    const reopen = button('Reopen with another editor', () => post({ type: 'reopenWith' }), { appearance: 'primary', testid: 'reopen-with' });
    this.root.append(h('div', { class: 'load-error' }, h('h1', {}, showName(fileName)), this.banner, h('p', { class: 'muted' }, 'Nothing from this file was executed or changed.'), reopen.el));
  }

  // ---------------------------------------------------------------------------------------------

  private updateRunEnabled(): void {
    const err = this.inputEditor.error;
    const running = this.ring.hidden === false;
    this.runBtn.setDisabled(!!this.notExecutable || !!err || running || !this.summary);
    this.runBtn.el.title = this.notExecutable ? `Run is off: ${this.notExecutable}` : 'Run the forward pass on this input (Ctrl+Enter)';
    this.runBtn.el.setAttribute('aria-label', this.runBtn.el.title);
    this.status.classList.toggle('run-off', !!this.notExecutable);
    if (!running) this.status.textContent = this.notExecutable ? `Run is off: ${showName(this.notExecutable, 400)}` : err ? 'Fix the input to run.' : this.result ? this.lastRunText(this.result) : 'Ready.';
  }

  private run(): void {
    if (!this.summary || this.notExecutable || this.ring.hidden === false) return;
    const r = this.inputEditor.tensors();
    if ('error' in r) {
      this.tabs?.select('input');
      this.showError(r.error, 'input');
      return;
    }
    this.hideError();
    this.runStartedAt = performance.now();
    this.setRunning(true, 'Starting…');
    post({ type: 'run', input: { kind: 'tensors', tensors: r.tensors }, ...(this.inputEditor.continueState ? { continueState: true } : {}) });
  }

  /** Posts a live run of the editor's values; false when they are not valid. */
  private runLive(editAt: number): boolean {
    if (!this.summary || this.notExecutable) return false;
    const r = this.inputEditor.tensors();
    if ('error' in r) return false;
    post({ type: 'run', input: { kind: 'tensors', tensors: r.tensors }, ...(this.inputEditor.continueState ? { continueState: true } : {}), live: true, editAt });
    return true;
  }

  /** A small model's weights, asked once per model, so live edits are computed in the page (none: the host runs them). */
  private loadLiveModel(fileUri: string, summary: ModelSummary, notExecutable: string | undefined): void {
    this.live.setModel(null);
    if (notExecutable || summary.totalParams > LIVE_MAX_PARAMS) return;
    request('liveModel', {}).then(
      (p) => {
        if (this.fileUri === fileUri && this.summary === summary) this.live.setModel(fromPortable(p));
      },
      // Live edits keep going through the host.
      () => undefined,
    );
  }

  /** The editor's tensors when the page may run them: valid, a fresh state, and a pass of at most PAGE_MAC_BUDGET. */
  private liveLocalInput() {
    if (!this.summary || this.notExecutable || this.inputEditor.continueState) return null;
    const r = this.inputEditor.tensors();
    if ('error' in r) return null;
    const shape = r.tensors[0]?.shape ?? [];
    const cost = this.summary.totalParams * (shape[0] ?? 1) * (shape.length >= 2 ? shape[1] : 1);
    return cost <= PAGE_MAC_BUDGET ? r.tensors : null;
  }

  /** A live result, from the page or the host: the views updated in place when the run has the same structure. */
  private showLiveResult(result: RunResult): void {
    this.result = result;
    this.hideError();
    // Results behind the Input tab are brought up to date when shown, not at every keystroke (edit → paint < 16 ms).
    if (this.tabs && this.tabs.active() !== 'results') this.pendingResults = result;
    else this.showResultsInPlace(result);
    this.inputEditor.showLive(result, this.live.shownCount);
    this.tabs?.setBadge('results', '1');
    this.updateRunEnabled();
    this.persist();
  }

  /** A live result not yet shown in the Results tab (it was behind another tab). */
  private pendingResults: RunResult | null = null;

  /** A live result in the Results tab's views, updated in place when the run has the same structure. */
  private showResultsInPlace(result: RunResult): void {
    this.pendingResults = null;
    if (!this.results.update(result)) this.results.show(result, this.results.selection() ?? this.ui.trace);
    this.forecast.showFor(result);
    this.results.el.dataset.runId = String(result.runId);
  }

  /** A host live run's result (an edit the page could not run, or the values shown, synced): the trailing edit is sent first. */
  private onLiveResult(result: RunResult, timing: LiveTiming | undefined): void {
    const receivedAt = wallNow();
    const sync = this.live.wasSync(result.runId);
    this.live.ended(result.runId);
    if (this.live.isStale(result.runId)) return;
    this.showLiveResult(result);
    if (!sync) this.live.shown(result.runId, timing, receivedAt);
  }

  private cancel(): void {
    if (this.runId !== null) post({ type: 'cancel', runId: this.runId });
  }

  private setRunning(running: boolean, text: string): void {
    this.ring.hidden = !running;
    this.cancelBtn.el.hidden = !running;
    this.status.textContent = text;
    this.updateRunEnabled();
    if (!running && text) this.status.textContent = text;
  }

  private onResult(result: RunResult, hostMs?: number): void {
    const t0 = performance.now();
    const rootEl = this.results.el;
    // First paint: a task posted from the next animation frame runs after that frame's paint. Registered
    // before anything else so that work deferred past the first frame (the chart) is not counted.
    // No start seen and no host span: a result shown again (a restored panel), whose time "in all" is not known here.
    const startedAt = this.runStartedAt;
    this.runStartedAt = undefined;
    requestAnimationFrame(() =>
      setTimeout(() => {
        const ms = performance.now() - t0;
        rootEl.dataset.firstPaintMs = ms.toFixed(1);
        // From the Run press to the painted results: reading, the forward pass, the transfer and the drawing. A run
        // started by the host (the palette) reaches a page still loading late, so the host's own span counts too.
        if (startedAt !== undefined || hostMs !== undefined) this.shownMs.set(result.runId, Math.max(startedAt !== undefined ? performance.now() - startedAt : 0, (hostMs ?? 0) + ms));
        this.status.textContent = this.lastRunText(result);
        post({ type: 'runShown', runId: result.runId });
      }, 0),
    );
    delete rootEl.dataset.firstPaintMs;
    this.pendingResults = null;
    this.runId = result.runId;
    this.result = result;
    this.setRunning(false, '');
    this.hideError();
    this.tabs?.select('results');
    this.ui.tab = 'results';
    this.results.show(result, this.ui.trace);
    this.forecast.showFor(result);
    this.history.add(result, this.inputEditor.snapshot().label);
    this.tabs?.setBadge('results', '1');
    rootEl.dataset.runId = String(result.runId);
    this.persist();
  }

  /** Total times of the runs shown (Run press to painted results), by run id. */
  private readonly shownMs = new Map<number, number>();

  /** The status line for a run: what it did and how long it took in all; a stopped run says where it stopped. */
  private lastRunText(result: RunResult): string {
    const total = this.shownMs.get(result.runId);
    const took = total !== undefined ? `${fmtMs(total)} in all (forward pass ${fmtMs(result.elapsedMs)})` : `forward pass ${fmtMs(result.elapsedMs)}`;
    if (result.stopped) {
      const n = result.layers.length;
      return `Stopped at layer ${result.stopped.position} (${showName(result.stopped.layer)}) after ${took}; the ${n} layer${n === 1 ? '' : 's'} before it can be explored below.`;
    }
    return `Ran ${showName(result.inputLabel, 200)}: ${took}.`;
  }

  private async export(format: ExportFormat, png?: Uint8Array, suggestedName?: string): Promise<void> {
    try {
      const r = await request('export', { format, runId: this.result?.runId, png, suggestedName });
      if (r.savedTo) this.status.textContent = `Saved ${showName(r.savedTo, 200)}`;
    } catch (e) {
      this.showError((e as Error).message, 'webview');
    }
  }

  // ---------------------------------------------------------------------------------------------

  private showError(message: string, kind: string, notifyHost = false): void {
    clear(this.banner);
    this.banner.dataset.kind = kind;
    const close = h('button', { class: 'banner-close', 'aria-label': 'Dismiss', title: 'Dismiss' }, '×');
    close.addEventListener('click', () => this.hideError());
    // The core's sentences are the CLI's too: flags become what the user does here (vscodeWords.ts).
    this.banner.append(h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '⚠'), h('span', { class: 'banner-text' }, showName(inVsCodeWords(message), 400)), close);
    this.banner.hidden = false;
    if (!this.banner.isConnected) this.root.prepend(this.banner);
    // Only when the banner cannot be seen: one report per error, the banner or a notification.
    if (notifyHost && !this.banner.isConnected) post({ type: 'notify', level: 'error', message });
  }

  private hideError(): void {
    this.banner.hidden = true;
  }

  private persist(): void {
    if (this.saveTimer) return;
    this.saveTimer = window.setTimeout(() => {
      this.saveTimer = 0;
      const ui: UiState = {
        tab: this.tabs?.active() ?? this.ui.tab,
        layer: this.modelView.selected ?? this.ui.layer,
        input: this.summary ? this.inputEditor.snapshot() : this.ui.input,
        trace: this.results.selection() ?? this.ui.trace,
      };
      if (this.result && countNumbers(this.result, KEEP_RESULT_NUMBERS) <= KEEP_RESULT_NUMBERS) ui.result = this.result;
      this.ui = ui;
      // Encoding the input grid and the result is the costly part: redo it only when they changed.
      const inputEnc = this.encodedInput && this.encodedInput.version === this.inputEditor.version ? this.encodedInput : { version: this.inputEditor.version, value: encode(ui.input) };
      const resultEnc = this.encodedResult && this.encodedResult.result === ui.result ? this.encodedResult : { result: ui.result, value: ui.result ? encode(ui.result) : undefined };
      this.encodedInput = inputEnc;
      this.encodedResult = resultEnc;
      const encoded = { tab: ui.tab, layer: ui.layer, trace: ui.trace, input: inputEnc.value, result: resultEnc.value };
      const state: PersistedState = { fileUri: this.fileUri, ui: encoded };
      saveState(state);
    }, 250);
  }
}

registerToolkit();
adoptCss(uplotCss, inspectorCss);
const root = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
root.classList.add('inspector');
new App(root);
