// The input editor: a T×D grid per model input with the N samples as tabs, fills (zeros, ramp 1..T,
// seeded random), pasted JSON/CSV/NumPy text, a CSV file window, a free T, and inline validation with
// the core's own messages (extension/keras/inputs.ts is pure, so it runs here unchanged).

import type { InputSpec as ModelInputSpec, RawArray, RawInputs } from '../../extension/keras/inputs';
import { fillArray, parseCsv, parseInputText, prepareForSpecs, describeExpected, inputLetters } from '../../extension/keras/inputs';
import type { Tensor } from '../../extension/keras/tensor';
import type { InputChoice, CsvFile, RunResult } from '../../extension/protocol';
import { h, clear } from '../dom';
import { button, checkbox, dropdown, textArea, textField, type CheckboxControl, type DropdownControl, type FieldControl } from '../toolkit';
import { MatrixTable } from './matrixTable';
import { fmt } from '../logic/format';
import { stepLabel } from '../logic/vocab';
import { showName } from '../../extension/keras/safeText';
import { windowsControl } from './windows';

export interface InputEditorHost {
  pickCsv(): Promise<CsvFile | null>;
  changed(): void;
  /** Forget the stateful layers' last state (the host's reset_states()). */
  resetState(): void;
  /** A cell was edited with Live on: recompute now (the values are valid); `editAt` is the keystroke's wall-clock ms. */
  liveEdit?(editAt: number): void;
}

/** Live recompute as you type is for small models: at most this many parameters and time steps. */
export const LIVE_MAX_PARAMS = 100_000;
export const LIVE_MAX_T = 200;

/** One model input's values: concrete shape (N, T, D) or (N, T) for tokens. */
interface GridInput {
  shape: number[];
  data: Float64Array;
}

export interface InputEditorState {
  inputs: GridInput[];
  active: number;
  sample: number;
  seed: number;
  label: string;
  /** Stateful layers continue from the last run's state instead of zeros. */
  continueState?: boolean;
  /** Live recompute of edited cells (on by default where the model is small enough). */
  live?: boolean;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export class InputEditor {
  readonly el = h('div', { class: 'input-editor', 'data-testid': 'input-editor' });
  private specs: ModelInputSpec[] = [];
  private state: InputEditorState = { inputs: [], active: 0, sample: 0, seed: 42, label: 'zeros' };
  private grid: MatrixTable | null = null;
  private readonly validation = h('div', { class: 'validation', 'data-testid': 'input-validation', role: 'status', 'aria-live': 'polite' });
  private readonly tabsEl = h('div', { class: 'sample-tabs', role: 'tablist', 'aria-label': 'Samples' });
  private readonly gridHost = h('div', { class: 'grid-host' });
  private readonly extraPanel = h('div', { class: 'extra-panel' });
  private nField!: FieldControl;
  private tField!: FieldControl;
  private seedField!: FieldControl;
  private inputDd: DropdownControl | null = null;
  private lastError: string | null = null;
  /** The stateful layers (stateful=True) and where their last state came from (null: none yet, or reset). */
  private stateInfo: { layers: string[]; origin: string | null } | null = null;
  private readonly stateBox = h('div', { class: 'state-choice', 'data-testid': 'state-choice', role: 'group', 'aria-label': 'State of the stateful layers' });
  private continueBox: CheckboxControl | null = null;
  private liveBox: CheckboxControl | null = null;
  /** The model's parameter count (live recompute is for small models). */
  private params = Infinity;
  private readonly liveOut = h('div', { class: 'live-output', 'data-testid': 'live-output', role: 'status', 'aria-live': 'off' });

  constructor(private readonly host: InputEditorHost) {}

  /** Build for a model's inputs; restore saved values when their shapes still fit. */
  setModel(specs: ModelInputSpec[], saved?: InputEditorState, opts: { params?: number } = {}): void {
    this.specs = specs;
    this.params = opts.params ?? Infinity;
    this.liveOut.hidden = true;
    if (saved && saved.inputs.length === specs.length && saved.inputs.every((g, k) => this.fits(specs[k], g.shape))) {
      this.state = { ...saved, active: Math.min(saved.active, specs.length - 1) };
    } else {
      this.state = { inputs: specs.map((s) => ({ shape: this.defaultShape(s), data: new Float64Array(0) })), active: 0, sample: 0, seed: saved?.seed ?? 42, label: 'zeros' };
      this.state.inputs = this.state.inputs.map((g) => ({ shape: g.shape, data: new Float64Array(g.shape.reduce((a, b) => a * b, 1)) }));
      this.fill('ramp');
    }
    this.build();
  }

  private fits(spec: ModelInputSpec, shape: number[]): boolean {
    return shape.length === spec.shape.length && spec.shape.every((d, i) => d === null || d === shape[i]);
  }

  private defaultShape(spec: ModelInputSpec): number[] {
    // N = 1 unless the model fixes it; a free T starts at 10 (the notebooks' favourite), other free axes at 1.
    return spec.shape.map((d, i) => (d !== null ? d : i === 0 ? 1 : i === 1 ? 10 : 1));
  }

  get current(): GridInput {
    return this.state.inputs[this.state.active];
  }

  get currentSpec(): ModelInputSpec {
    return this.specs[this.state.active];
  }

  snapshot(): InputEditorState {
    return this.state;
  }

  /** The tensors to run, or the core's sentence saying what is wrong. */
  tensors(): { tensors: Tensor[]; label: string } | { error: string } {
    try {
      const raws: RawArray[] = this.state.inputs.map((g) => ({ shape: g.shape, data: g.data }));
      const t = this.state.inputs[0]?.shape[1];
      const free = this.specs.some((s) => s.shape.length >= 2 && s.shape[1] === null);
      const prepared = prepareForSpecs(this.specs, raws, free && t !== undefined ? { T: t } : {});
      return { tensors: prepared.tensors, label: this.state.label };
    } catch (e) {
      return { error: errorText(e) };
    }
  }

  /** Bumped on every change, so the saved state is re-encoded only when the input changed. */
  version = 0;

  private validate(): void {
    this.version++;
    this.syncLive();
    const r = this.tensors();
    this.lastError = 'error' in r ? r.error : null;
    clear(this.validation);
    this.validation.classList.toggle('bad', this.lastError !== null);
    if (this.lastError) this.validation.append(h('span', { class: 'inline-error' }, this.lastError));
    else {
      const g = this.current;
      this.validation.append(h('span', { class: 'ok' }, `✓ ${inputLetters(this.currentSpec).join('×')} = ${g.shape.join('×')} — ready to run`));
    }
    this.host.changed();
  }

  get error(): string | null {
    return this.lastError;
  }

  /** Why live recompute is not offered for this model and input (one sentence), or null when it is. */
  get liveRefusal(): string | null {
    if (this.params > LIVE_MAX_PARAMS) return `Live recompute is for models of up to ${LIVE_MAX_PARAMS.toLocaleString('en-US')} parameters; this one has ${this.params.toLocaleString('en-US')}, so press Run.`;
    const t = Math.max(0, ...this.state.inputs.map((g, k) => (this.specs[k] && inputLetters(this.specs[k])[1] === 'T' ? g.shape[1] : 1)));
    if (t > LIVE_MAX_T) return `Live recompute is for T up to ${LIVE_MAX_T} time steps; this input has T = ${t}, so press Run.`;
    return null;
  }

  /** Whether edited cells recompute at once: on by default where allowed. */
  get live(): boolean {
    return this.state.live !== false && this.liveRefusal === null;
  }

  /** Shows a live run's model outputs under the grid (the Results tab is updated too); `seq` counts the page's live results. */
  showLive(result: RunResult, seq = 0): void {
    clear(this.liveOut);
    this.liveOut.hidden = false;
    this.liveOut.dataset.runId = String(result.runId);
    this.liveOut.dataset.seq = String(seq);
    // A negative run id: computed in the page (views/liveRun.ts).
    this.liveOut.dataset.local = String(result.runId < 0);
    this.liveOut.append(h('span', { class: 'live-title' }, 'Output'));
    result.outputs.forEach((t, k) => {
      const name = showName(result.outputNames?.[k] ?? (result.outputs.length > 1 ? `output ${k}` : ''), 60);
      const shown = Math.min(t.data.length, 16);
      const values = Array.from({ length: shown }, (_, i) => h('code', { class: 'live-value', 'data-testid': 'live-value', 'data-output': k, 'data-index': i, 'data-value': String(t.data[i]) }, fmt(t.data[i], 6)));
      this.liveOut.append(h('span', { class: 'live-tensor' }, name ? `${name} ` : '', h('span', { class: 'muted' }, `(${t.shape.join('×')}) `), ...values, t.data.length > shown ? h('span', { class: 'muted' }, ` … ${t.data.length - shown} more`) : null));
    });
    this.liveOut.append(h('span', { class: 'muted live-ms' }, `${result.elapsedMs < 1 ? '<1' : Math.round(result.elapsedMs)} ms`));
  }

  private liveToggle(): HTMLElement {
    this.liveBox = checkbox('Live', this.live, (v) => {
      this.state.live = v;
      this.host.changed();
    }, 'input-live');
    this.syncLive();
    return this.liveBox.el;
  }

  /** The Live toggle follows T and N: above the limits it is off and says why. */
  private syncLive(): void {
    const box = this.liveBox;
    if (!box) return;
    const refusal = this.liveRefusal;
    box.el.title = refusal ?? 'Recompute the outputs as you type in a cell, without pressing Run';
    box.el.toggleAttribute('disabled', refusal !== null);
    if (box.checked !== this.live) box.checked = this.live;
  }

  /** A keystroke in a cell editor: with Live on, a valid number is stored and run at once; other text gets its sentence. */
  private liveInput(index: number, text: string): void {
    // The edit's time, taken first: the benchmark measures from here to the rendered result.
    const editAt = performance.timeOrigin + performance.now();
    if (!this.live) return;
    const v = parseCell(text);
    if (v === null) {
      clear(this.validation);
      this.validation.classList.add('bad');
      this.validation.append(h('span', { class: 'inline-error' }, notANumber(text)));
      return;
    }
    const g = this.current;
    if (Object.is(g.data[index], v) && this.lastError === null) return;
    g.data[index] = v;
    this.state.label = 'values from the input editor';
    this.validate();
    if (this.lastError === null) this.host.liveEdit?.(editAt);
  }

  // ---------------------------------------------------------------------------------------------

  private build(): void {
    clear(this.el);
    const spec = this.currentSpec;
    if (!spec) {
      this.el.append(h('p', { class: 'muted' }, 'This model declares no inputs.'));
      return;
    }
    const g = this.current;
    const letters = inputLetters(spec);
    if (this.specs.length > 1) {
      this.inputDd = dropdown(
        this.specs.map((s, k) => ({ value: String(k), label: `${showName(s.name)} (${showName(describeExpected(s), 200)})` })),
        String(this.state.active),
        (v) => {
          this.state.active = Number(v);
          this.state.sample = 0;
          this.build();
        },
        { testid: 'input-select', ariaLabel: 'Model input' },
      );
    }
    const nFree = spec.shape[0] === null;
    const tFree = spec.shape.length >= 2 && spec.shape[1] === null;
    this.nField = textField({ value: String(g.shape[0]), size: 4, testid: 'input-n', onChange: (v) => this.resize(0, v) });
    this.nField.setDisabled(!nFree);
    this.tField = textField({ value: String(g.shape[1] ?? ''), size: 5, testid: 'input-t', onChange: (v) => this.resize(1, v) });
    // A T other than the declared one runs where every layer allows it (the run says so, or names the layer that cannot).
    this.tField.setDisabled(letters[1] !== 'T');
    this.seedField = textField({ value: String(this.state.seed), size: 6, testid: 'input-seed', onChange: (v) => (this.state.seed = Number(v) || 0) });
    const dims = h(
      'div',
      { class: 'dims' },
      this.inputDd ? h('label', { class: 'field' }, h('span', {}, 'Input'), this.inputDd.el) : null,
      h('label', { class: 'field' }, h('span', {}, 'N samples'), this.nField.el),
      letters[1] === 'T' ? h('label', { class: 'field' }, h('span', {}, tFree ? 'T time steps (free)' : `T time steps (declared ${spec.shape[1]})`), this.tField.el) : null,
      letters[2] === 'D' ? h('div', { class: 'field' }, h('span', {}, 'D features'), h('code', { class: 'fixed' }, String(g.shape[2]))) : null,
      spec.embedding ? h('div', { class: 'field' }, h('span', {}, 'tokens'), h('code', { class: 'fixed' }, `0..${spec.embedding.vocabulary - 1}${spec.embedding.maskZero ? ' (0 = padding)' : ''}`)) : null,
      h('div', { class: 'field expect' }, h('span', {}, 'model expects'), h('code', {}, describeExpected(spec, g.shape[1]))),
    );
    const fills = h(
      'div',
      { class: 'toolbar fills' },
      button('Zeros', () => this.userFill('zeros'), { appearance: 'secondary', testid: 'fill-zeros' }).el,
      button(spec.embedding ? 'Ramp 1, 2, 3…' : 'Ramp 1..T', () => this.userFill('ramp'), { appearance: 'secondary', testid: 'fill-ramp', title: 'x = 1, 2, 3, … within each sample, like x = [1, 2, 3] in the notebooks' }).el,
      h('span', { class: 'group' }, button('Random', () => this.userFill('random'), { appearance: 'secondary', testid: 'fill-random', title: 'Standard normal values from a seeded generator: the same seed gives the same numbers' }).el, h('label', { class: 'field inline' }, h('span', {}, 'seed'), this.seedField.el)),
      button('Paste…', () => this.showPaste(), { appearance: 'secondary', testid: 'fill-paste', title: 'Paste JSON, CSV or NumPy text' }).el,
      button('Load CSV…', () => void this.loadCsv(), { appearance: 'secondary', testid: 'fill-csv', title: 'Pick a CSV file, then a column and a window' }).el,
      this.liveToggle(),
    );
    this.el.append(dims, fills, this.stateBox, this.extraPanel, this.tabsEl, this.gridHost, this.validation, this.liveOut);
    this.renderState();
    this.renderTabs();
    this.renderGrid();
    this.validate();
  }

  private renderTabs(): void {
    clear(this.tabsEl);
    const n = this.current.shape[0];
    this.tabsEl.hidden = n <= 1;
    if (n <= 1) return;
    const select = (k: number, focus: boolean) => {
      this.state.sample = k;
      this.renderTabs();
      this.renderGrid();
      if (focus) (this.tabsEl.querySelector(`[data-sample="${k}"]`) as HTMLElement | null)?.focus();
    };
    for (let k = 0; k < n; k++) {
      const tab = h('button', { class: 'sample-tab', role: 'tab', 'data-sample': k, 'data-testid': 'sample-tab', 'aria-selected': String(k === this.state.sample) }, `sample ${k}`);
      tab.tabIndex = k === this.state.sample ? 0 : -1;
      tab.addEventListener('click', () => select(k, true));
      tab.addEventListener('keydown', (e) => {
        if (e.key === 'ArrowRight') select((k + 1) % n, true);
        else if (e.key === 'ArrowLeft') select((k - 1 + n) % n, true);
        else if (e.key === 'Home') select(0, true);
        else if (e.key === 'End') select(n - 1, true);
        else return;
        e.preventDefault();
      });
      this.tabsEl.append(tab);
    }
  }

  private renderGrid(): void {
    const g = this.current;
    const spec = this.currentSpec;
    // N×T×D: T rows of D; N×T tokens: T rows of one; N×D (no time axis): one row of D.
    const flat = g.shape.length === 2 && inputLetters(spec)[1] === 'D';
    const T = flat ? 1 : g.shape.length >= 2 ? g.shape[1] : 1;
    const D = flat ? g.shape[1] : g.shape.length >= 3 ? g.shape.slice(2).reduce((a, b) => a * b, 1) : 1;
    const n = Math.min(this.state.sample, g.shape[0] - 1);
    const base = n * T * D;
    const options = {
      rows: T,
      cols: D,
      value: (r: number, c: number) => g.data[base + r * D + c],
      // Time steps count t = 1..T as in the tables and equations (h_0 is the state before t = 1); features stay 0-based like x[:, :, d].
      // An N×D input has no time axis: its one row is the sample.
      rowHeader: flat ? 'n' : 't',
      rowLabel: flat ? () => String(n) : stepLabel,
      colLabel: (c: number) => (spec.embedding ? 'token' : `x[${c}]`),
      ariaLabel: `Input values of sample ${n}: ${T} time steps by ${D} ${spec.embedding ? 'token' : 'features'}. Type a number or press Enter to edit.`,
      testid: 'input-grid',
      cellTestid: 'input-cell',
      cellData: (cell: HTMLElement, r: number, c: number) => {
        cell.dataset.t = String(r);
        cell.dataset.d = String(c);
      },
      format: (v: number) => (Number.isInteger(v) ? String(v) : fmt(v, 6)),
      cellClass: (v: number) => {
        if (!Number.isFinite(v)) return 'invalid';
        const e = spec.embedding;
        return e && (!Number.isInteger(v) || v < 0 || v >= e.vocabulary) ? 'invalid' : null;
      },
      onInput: (r: number, c: number, text: string) => this.liveInput(base + r * D + c, text),
      onEdit: (r: number, c: number, text: string) => {
        const v = parseCell(text);
        if (v === null) return notANumber(text);
        // Live typing stored and ran this value already.
        if (this.live && Object.is(g.data[base + r * D + c], v)) return null;
        g.data[base + r * D + c] = v;
        this.state.label = 'values from the input editor';
        this.validate();
        return null;
      },
      height: 300,
      colWidth: 96,
    };
    if (!this.grid) {
      this.grid = new MatrixTable(options);
    } else this.grid.update(options);
    if (!this.gridHost.contains(this.grid.el)) {
      clear(this.gridHost);
      this.gridHost.append(this.grid.el);
    }
  }

  private resize(axis: 0 | 1, text: string): void {
    const v = Number(text);
    const spec = this.currentSpec;
    const name = axis === 0 ? 'N' : 'T';
    if (!Number.isInteger(v) || v < 1 || v > (axis === 0 ? 1024 : 100000)) {
      this.validation.textContent = '';
      this.validation.append(h('span', { class: 'inline-error' }, `${name} must be a whole number from 1 to ${axis === 0 ? 1024 : 100000}, got "${text}".`));
      (axis === 0 ? this.nField : this.tField).setInvalid(`${name} must be a whole number`);
      return;
    }
    (axis === 0 ? this.nField : this.tField).setInvalid(null);
    // T is shared by every input of the model when free; N is shared by all inputs.
    this.state.inputs = this.state.inputs.map((g, k) => {
      const s = this.specs[k];
      // T may differ from a declared one (as tf.keras allows with a warning); N stays where the model fixes it.
      const resizable = axis === 1 ? inputLetters(s)[1] === 'T' : s.shape[axis] === null;
      if (!resizable || g.shape.length <= axis) return g;
      const shape = g.shape.slice();
      shape[axis] = v;
      return { shape, data: resizeData(g, shape) };
    });
    if (axis === 0) this.state.sample = Math.min(this.state.sample, v - 1);
    void spec;
    this.renderTabs();
    this.renderGrid();
    this.validate();
    this.liveAfterChange();
  }

  /** A fill button: with Live on, the new values run at once like a typed cell. */
  private userFill(kind: 'zeros' | 'ramp' | 'random'): void {
    this.fill(kind);
    this.liveAfterChange();
  }

  /** After the user replaced values (a fill, a paste, a CSV window, a new N or T): run them when Live is on. */
  private liveAfterChange(): void {
    if (this.live && this.lastError === null) this.host.liveEdit?.(performance.timeOrigin + performance.now());
  }

  /** Whether the next run continues the stateful layers from the last state (only when there is one). */
  get continueState(): boolean {
    return this.state.continueState === true && !!this.stateInfo?.origin;
  }

  /** The host's word on the stateful layers: shown as the continue choice, the state's origin and a reset. */
  setStateInfo(layers: string[], origin: string | null): void {
    this.stateInfo = { layers, origin };
    this.renderState();
  }

  private renderState(): void {
    clear(this.stateBox);
    const info = this.stateInfo;
    this.stateBox.hidden = !info || info.layers.length === 0;
    if (!info || info.layers.length === 0) return;
    const names = info.layers.map((n) => showName(n, 40)).join(', ');
    this.continueBox = checkbox('Continue from last state', this.state.continueState === true && !!info.origin, (v) => {
      this.state.continueState = v;
      this.renderState();
      this.host.changed();
    }, 'state-continue');
    if (!info.origin) this.continueBox.el.setAttribute('disabled', '');
    const origin = info.origin
      ? `Last state: after ${showName(info.origin, 200)}.`
      : 'No state kept: the next run starts from zeros.';
    const next = info.origin && this.state.continueState ? 'The next run continues from it, as Keras does between predict calls.' : 'The next run starts from zeros, like a freshly reset model.';
    const reset = button('Reset state', () => this.host.resetState(), { appearance: 'secondary', testid: 'state-reset', title: 'Forget the last state (reset_states()): the next run starts from zeros' });
    reset.setDisabled(!info.origin);
    this.stateBox.append(
      h('div', { class: 'state-head' }, h('strong', {}, 'Stateful layers'), h('span', { class: 'muted' }, ` ${names} (stateful=True)`)),
      h('div', { class: 'toolbar state-row' }, this.continueBox.el, reset.el),
      h('p', { class: 'state-origin', 'data-testid': 'state-origin' }, origin, ' ', h('span', { class: 'muted' }, next)),
    );
  }

  /** Zeros, ramp or seeded random, exactly as the core fills (seed + input index). */
  fill(kind: 'zeros' | 'ramp' | 'random', sizes: { n?: number; t?: number } = {}): void {
    this.state.inputs = this.state.inputs.map((g, k) => {
      const spec = this.specs[k];
      const shape = g.shape.slice();
      if (sizes.n !== undefined && spec.shape[0] === null) shape[0] = sizes.n;
      if (sizes.t !== undefined && spec.shape.length >= 2 && spec.shape[1] === null) shape[1] = sizes.t;
      const raw = fillArray(kind, shape, { seed: this.state.seed + k, vocabulary: spec.embedding?.vocabulary, maskZero: spec.embedding?.maskZero });
      return { shape, data: raw.data };
    });
    this.state.label = kind === 'zeros' ? 'zeros' : kind === 'ramp' ? 'ramp 1..T' : `seeded random (seed ${this.state.seed})`;
    if (this.grid) this.afterReplace();
  }

  /** Put tensors (already validated by the core) into the grid. */
  private setTensors(tensors: Tensor[], label: string): void {
    this.state.inputs = tensors.map((t) => ({ shape: t.shape.slice(), data: Float64Array.from(t.data) }));
    this.state.sample = 0;
    this.state.label = label;
    this.afterReplace();
  }

  private afterReplace(): void {
    if (!this.currentSpec) return;
    this.build();
  }

  private applyRaw(raw: RawInputs, label: string): string | null {
    try {
      const prepared = prepareForSpecs(this.specs, raw);
      this.setTensors(prepared.tensors, label);
      if (prepared.notes.length) this.validation.append(h('div', { class: 'muted' }, prepared.notes.join(' ')));
      return null;
    } catch (e) {
      return errorText(e);
    }
  }

  private showPaste(): void {
    clear(this.extraPanel);
    const area = textArea({ placeholder: '[[1], [2], [3]]   or   np.array([[0.1, 0.2], …])   or CSV rows (one time step per line)', rows: 6, testid: 'paste-text' });
    const msg = h('div', { class: 'inline-error', role: 'alert', 'data-testid': 'paste-error' });
    const apply = button('Apply', () => {
      const text = area.value;
      msg.textContent = '';
      const err = this.applyText(text);
      if (err) msg.textContent = err;
      else {
        clear(this.extraPanel);
        this.liveAfterChange();
      }
    }, { appearance: 'primary', testid: 'paste-apply' });
    const cancel = button('Cancel', () => clear(this.extraPanel), { appearance: 'secondary' });
    this.extraPanel.append(h('div', { class: 'card paste' }, h('div', { class: 'card-title' }, 'Paste values (JSON, NumPy or CSV)'), area.el, h('div', { class: 'toolbar' }, apply.el, cancel.el), msg));
    area.focus();
  }

  /** JSON / NumPy text first; if that fails and the text looks like CSV rows, read it as CSV. */
  applyText(text: string): string | null {
    let raw: RawInputs;
    try {
      raw = parseInputText(text);
    } catch (e) {
      const looksCsv = /^[^\[\]{}]*$/.test(text.trim()) && /[\d]/.test(text);
      if (!looksCsv) return errorText(e);
      try {
        raw = parseCsv(text).array;
      } catch (e2) {
        return errorText(e2);
      }
    }
    return this.applyRaw(raw, 'typed values');
  }

  private async loadCsv(): Promise<void> {
    let file: CsvFile | null;
    try {
      file = await this.host.pickCsv();
    } catch (e) {
      this.showPanelError(errorText(e));
      return;
    }
    if (!file) return;
    this.showCsvPanel(file.fileName, file.text);
  }

  private showCsvPanel(fileName: string, text: string, column?: string | number, start?: number): void {
    clear(this.extraPanel);
    let columns: string[] = [];
    let rows = 0;
    try {
      const all = parseCsv(text);
      columns = all.columns;
      rows = all.array.shape[0];
    } catch (e) {
      this.showPanelError(errorText(e));
      return;
    }
    const T = this.current.shape[1] ?? rows;
    const tFree = this.currentSpec.shape.length >= 2 && this.currentSpec.shape[1] === null;
    // Default column: the second one when there are several (the first is usually the date or time).
    const colDd = dropdown(columns.map((c, i) => ({ value: String(i), label: c })), String(typeof column === 'number' ? column : column !== undefined ? Math.max(0, columns.indexOf(String(column))) : columns.length > 1 ? 1 : 0), () => undefined, { testid: 'csv-column', ariaLabel: 'Column' });
    const win = textField({ value: String(Math.min(T, rows)), size: 6, testid: 'csv-window' });
    win.setDisabled(!tFree);
    const startField = textField({ value: String(start ?? 0), size: 6, testid: 'csv-start' });
    const msg = h('div', { class: 'inline-error', role: 'alert', 'data-testid': 'csv-error' });
    const apply = button('Apply', () => {
      msg.textContent = '';
      const length = Number(win.value);
      const s = Number(startField.value);
      try {
        const parsed = parseCsv(text, { column: Number(colDd.value), window: { length, start: s } });
        const err = this.applyRaw(parsed.array, `CSV ${fileName} column ${parsed.columns[0]}, rows ${s}..${s + length - 1}`);
        if (err) msg.textContent = err;
        else {
          clear(this.extraPanel);
          this.liveAfterChange();
        }
      } catch (e) {
        msg.textContent = errorText(e);
      }
    }, { appearance: 'primary', testid: 'csv-apply' });
    this.extraPanel.append(
      h(
        'div',
        { class: 'card csv' },
        h('div', { class: 'card-title' }, `${fileName}: ${rows} rows, ${columns.length} column${columns.length === 1 ? '' : 's'}`),
        h('div', { class: 'toolbar' }, h('label', { class: 'field' }, h('span', {}, 'column'), colDd.el), h('label', { class: 'field' }, h('span', {}, tFree ? 'window (T rows)' : `window (T = ${T})`), win.el), h('label', { class: 'field' }, h('span', {}, 'start row (negative: from the end)'), startField.el), apply.el, button('Cancel', () => clear(this.extraPanel), { appearance: 'secondary' }).el),
        msg,
        windowsControl({ fileName, text, column: () => Number(colDd.value), apply: (raw, label) => this.applyRaw(raw, label) }),
      ),
    );
  }

  private showPanelError(message: string): void {
    clear(this.extraPanel);
    this.extraPanel.append(h('div', { class: 'inline-error', role: 'alert' }, message));
  }

  /** A command chose an input (palette "Run Forward Pass…" or a restore). */
  apply(choice: InputChoice): string | null {
    switch (choice.kind) {
      case 'zeros':
      case 'ramp':
        this.fill(choice.kind, choice);
        return null;
      case 'random':
        this.state.seed = choice.seed;
        this.fill('random', choice);
        return null;
      case 'text':
        return this.applyText(choice.text);
      case 'csv':
        if (choice.text !== undefined) {
          try {
            const parsed = parseCsv(choice.text, { column: choice.column, window: { length: choice.window, start: choice.start } });
            return this.applyRaw(parsed.array, `CSV column ${parsed.columns[0]}`);
          } catch (e) {
            return errorText(e);
          }
        }
        return 'The CSV input came without its text; load the file with "Load CSV…".';
      case 'tensors':
        return this.applyRaw(choice.tensors.map((t) => ({ shape: t.shape, data: t.data })), 'values from the input editor');
    }
  }
}

/** A cell's number (nan and ±inf spelled out are numbers too), or null when the text is not one. */
function parseCell(text: string): number | null {
  const s = text.trim();
  const v = /^[-+]?(nan|inf(inity)?)$/i.test(s) ? (/nan/i.test(s) ? NaN : s.startsWith('-') ? -Infinity : Infinity) : Number(s);
  return s === '' || (Number.isNaN(v) && !/nan/i.test(s)) ? null : v;
}

function notANumber(text: string): string {
  return `"${showName(text, 40)}" is not a number; type a number such as 0.5 or -2.`;
}

/** Copy overlapping values into a buffer of a new shape (new cells are 0). */
function resizeData(g: GridInput, shape: number[]): Float64Array {
  const out = new Float64Array(shape.reduce((a, b) => a * b, 1));
  const oldShape = g.shape;
  const rank = shape.length;
  const strides = (s: number[]) => s.map((_, i) => s.slice(i + 1).reduce((a, b) => a * b, 1));
  const so = strides(oldShape);
  const sn = strides(shape);
  const idx = new Array(rank).fill(0);
  const lim = shape.map((d, i) => Math.min(d, oldShape[i]));
  if (lim.some((d) => d === 0)) return out;
  for (;;) {
    let o = 0;
    let n = 0;
    for (let i = 0; i < rank; i++) {
      o += idx[i] * so[i];
      n += idx[i] * sn[i];
    }
    out[n] = g.data[o];
    let a = rank - 1;
    while (a >= 0 && ++idx[a] >= lim[a]) idx[a--] = 0;
    if (a < 0) break;
  }
  return out;
}
