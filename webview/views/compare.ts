// "Compare with Keras": paste what Keras printed (or load a .npy of model.predict) and see, per element, how far this
// run's output is from it, the verdict in float32 ulps, the likely causes of a difference, and the conventions in
// play. Parsing and comparing are the core's (extension/keras/compare.ts); the host only opens the .npy dialog.

import type { RunResult } from '../../extension/protocol';
import {
  chooseOutput, compareArrays, likelyCauses, parseNpy, parsePrinted, type Comparison, type ModelConventions, type PrintedArray,
} from '../../extension/keras/compare';
import { showName } from '../../extension/keras/safeText';
import { h, clear } from '../dom';
import { button, dropdown } from '../toolkit';
import { fmt } from '../logic/format';
import { divergingColor, rgbCss } from '../logic/colors';
import { themeScale } from './heatmap';
import { request } from '../vscodeApi';
import { adoptOnce } from '../adoptOnce';

const CSS = `
.compare-card .compare-text { width: 100%; box-sizing: border-box; min-height: 4.5em; resize: vertical; font-family: var(--vscode-editor-font-family, monospace); font-size: var(--vscode-editor-font-size, 13px);
  color: var(--vscode-input-foreground); background: var(--vscode-input-background); border: 1px solid var(--vscode-input-border, var(--vscode-panel-border, transparent)); border-radius: 2px; padding: 4px 6px; }
.compare-card .compare-text:focus { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
.compare-card .compare-bar { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: center; margin: 8px 0; }
.compare-card .compare-verdict { font-weight: 600; font-size: 1.1em; margin: 8px 0 4px; }
.compare-card .compare-verdict.equal { color: var(--vscode-testing-iconPassed, var(--vscode-foreground)); }
.compare-card .compare-verdict.different { color: var(--vscode-testing-iconFailed, var(--vscode-errorForeground)); }
.compare-card .compare-stats { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 4px 0; }
.compare-card .compare-stats b { font-weight: 600; }
.compare-card .compare-table-wrap { overflow: auto; max-height: 260px; max-width: 100%; margin: 6px 0; border: 1px solid var(--vscode-panel-border, transparent); }
.compare-card table { border-collapse: collapse; font-family: var(--vscode-editor-font-family, monospace); font-size: 0.92em; }
.compare-card th, .compare-card td { padding: 2px 10px; text-align: right; white-space: nowrap; color: var(--vscode-foreground); }
.compare-card th { position: sticky; top: 0; background: var(--vscode-editor-background); font-weight: 600; color: var(--vscode-descriptionForeground); }
.compare-card td.off { font-weight: 600; }
.compare-card .swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 6px; vertical-align: -0.1em; border: 1px solid var(--vscode-panel-border, rgba(128,128,128,0.4)); }
.compare-card .compare-causes, .compare-card .compare-conventions ul { margin: 4px 0 4px 1.2em; padding: 0; }
.compare-card .compare-causes li, .compare-card .compare-conventions li { margin: 2px 0; }
.compare-card .compare-error { color: var(--vscode-errorForeground); margin: 6px 0; }
.compare-card .compare-error:empty { display: none; }
.compare-card h4 { margin: 10px 0 2px; font-size: 1em; }
`;

function adoptStyle(): void {
  adoptOnce(CSS);
}

/** Rows shown in the element table (the largest differences first when there are more). */
const MAX_ROWS = 200;

/** The text the card holds across re-renders of the results (a new run keeps what was pasted). */
let keptText = '';
let current: CompareCard | null = null;
let conventions: Promise<ModelConventions | null> | null = null;

/** Puts Keras's printed text in the card and compares (the host's compareText message: the walkthrough's step). */
export function setCompareText(text: string): void {
  keptText = text;
  current?.fill(text);
}

/** The card for one run's results. */
export function compareCard(result: RunResult): HTMLElement {
  current = new CompareCard(result);
  return current.el;
}

/** Forgets the conventions (the model file changed). */
export function resetCompare(): void {
  conventions = null;
}

class CompareCard {
  readonly el: HTMLElement;
  private readonly text = h('textarea', {
    class: 'compare-text',
    rows: 3,
    spellcheck: 'false',
    'aria-label': 'What Keras printed',
    placeholder: 'array([[-3.068111]], dtype=float32)',
    'data-testid': 'compare-text',
  });
  private readonly error = h('div', { class: 'compare-error', role: 'alert', 'data-testid': 'compare-error' });
  private readonly out = h('div', { 'data-testid': 'compare-result' });
  private readonly conv = h('div', { class: 'compare-conventions', 'data-testid': 'compare-conventions' });
  private outputName: string | undefined;
  private last: { printed: PrintedArray } | null = null;

  constructor(private readonly result: RunResult) {
    adoptStyle();
    this.text.value = keptText;
    const names = this.names();
    const several = names.length > 1;
    const outputDd = several
      ? dropdown(
          [{ value: '', label: 'the output its size fits' }, ...names.map((n) => ({ value: n, label: showName(n, 60) }))],
          '',
          (v) => {
            this.outputName = v || undefined;
            if (this.last) this.show(this.last.printed);
          },
          { testid: 'compare-output', ariaLabel: 'Which output Keras printed' },
        )
      : null;
    this.text.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        e.stopPropagation();
        this.compareText();
      }
    });
    this.el = h(
      'section',
      { class: 'card compare-card', 'data-testid': 'compare-card', 'aria-label': 'Compare with Keras' },
      h('div', { class: 'card-title' }, 'Compare with Keras'),
      h('p', { class: 'muted' }, 'Paste what Keras printed for model.predict on this input, e.g. array([[-3.068111]], dtype=float32), or load a .npy saved with np.save.'),
      this.text,
      h(
        'div',
        { class: 'compare-bar' },
        button('Compare', () => this.compareText(), { appearance: 'primary', testid: 'compare-button', title: 'Compare the pasted output with this run (Ctrl+Enter)' }).el,
        button('Load .npy…', () => void this.loadNpy(), { appearance: 'secondary', testid: 'compare-npy', title: 'Compare with a .npy file of model.predict (np.save)' }).el,
        outputDd ? h('label', { class: 'field inline' }, h('span', {}, 'output'), outputDd.el) : null,
      ),
      this.error,
      this.out,
      this.conv,
    );
    void this.showConventions();
    if (keptText.trim()) queueMicrotask(() => this.compareText());
  }

  private names(): string[] {
    return this.result.outputs.map((_, k) => this.result.outputNames?.[k] ?? `output ${k}`);
  }

  fill(text: string): void {
    this.text.value = text;
    this.compareText();
    this.el.scrollIntoView({ block: 'nearest' });
  }

  private compareText(): void {
    keptText = this.text.value;
    if (!this.text.value.trim()) {
      this.fail('Paste what Keras printed first, e.g. array([[-3.068111]], dtype=float32).');
      return;
    }
    try {
      this.show(parsePrinted(this.text.value));
    } catch (e) {
      this.fail(e);
    }
  }

  private async loadNpy(): Promise<void> {
    try {
      const file = await request('pickNpy', {});
      if (!file) return;
      this.show(parseNpy(file.bytes, file.fileName));
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    clear(this.out);
    this.last = null;
    this.error.textContent = showName(e instanceof Error ? e.message : String(e), 400);
  }

  private show(printed: PrintedArray): void {
    this.last = { printed };
    const names = this.names();
    const outputs = this.result.outputs.map((o, k) => ({ name: names[k], shape: o.shape }));
    const choice = chooseOutput(printed, outputs, this.outputName);
    const cmp = compareArrays(printed, this.result.outputs[choice.index]);
    this.error.textContent = '';
    clear(this.out);
    const which = outputs.length > 1 ? ` (${showName(choice.name, 60)})` : '';
    const source = printed.source === 'text' ? 'the pasted output' : showName(printed.source, 60);
    this.out.append(
      h('div', { class: `compare-verdict ${cmp.equal ? 'equal' : 'different'}`, 'data-testid': 'compare-verdict', 'data-equal': String(cmp.equal) }, `${cmp.equal ? '✓' : '✗'} ${cap(cmp.verdict)}`),
      h('div', { class: 'muted' }, `This run's output${which} against ${source}, ${cmp.keras.length} ${cmp.keras.length === 1 ? 'number' : 'numbers'}.`),
      h(
        'div',
        { class: 'compare-stats', 'data-testid': 'compare-stats' },
        h('span', {}, 'max |difference| ', h('b', {}, fmt(cmp.maxAbs, 3))),
        h('span', {}, 'max relative ', h('b', {}, fmt(cmp.maxRel, 3))),
        h('span', {}, 'max ', h('b', {}, fmt(cmp.maxUlps, 3)), ' float32 ulps'),
      ),
      this.table(cmp),
      h('p', { class: 'muted', 'data-testid': 'compare-tolerance' }, cmp.toleranceNote),
    );
    if (cmp.printNote) this.out.append(h('p', { class: 'muted' }, cmp.printNote));
    void this.showCauses(cmp);
  }

  private table(cmp: Comparison): HTMLElement {
    const n = cmp.keras.length;
    let order = Array.from({ length: n }, (_, k) => k);
    const largest = n > MAX_ROWS;
    if (largest) order = order.sort((a, b) => Math.abs(cmp.diff[b]) - Math.abs(cmp.diff[a])).slice(0, MAX_ROWS);
    const scale = themeScale(Math.max(cmp.maxAbs, cmp.tolerance));
    const strides = cmp.shape.map((_, i) => cmp.shape.slice(i + 1).reduce((p, d) => p * d, 1));
    const index = (k: number) => `[${strides.map((s, i) => Math.floor(k / s) % cmp.shape[i]).join(', ')}]`;
    const body = h('tbody', {});
    for (const k of order) {
      const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      swatch.style.background = rgbCss(divergingColor(scale, cmp.diff[k]));
      body.append(
        h(
          'tr',
          { 'data-testid': 'compare-row', 'data-within': String(cmp.within[k] === 1) },
          h('td', {}, index(k)),
          h('td', {}, full(cmp.keras[k])),
          h('td', {}, full(cmp.ours[k])),
          h('td', { class: cmp.within[k] ? '' : 'off' }, swatch, signed(cmp.diff[k])),
          h('td', {}, fmt(cmp.ulps[k], 3)),
        ),
      );
    }
    return h(
      'div',
      { class: 'compare-table-wrap', tabindex: 0, 'aria-label': 'Difference per element' },
      largest ? h('div', { class: 'muted' }, `The ${MAX_ROWS} largest differences of ${n}.`) : null,
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'element'), h('th', {}, 'Keras'), h('th', {}, 'this run'), h('th', {}, 'difference'), h('th', {}, 'ulps'))), body),
    );
  }

  private async showCauses(cmp: Comparison): Promise<void> {
    if (cmp.equal) return;
    const conv = await this.conventions();
    if (this.last === null) return;
    const maskedLayers = this.result.traces.filter((t) => t.masked?.some((m) => m === 1)).map((t) => t.layer);
    const causes = conv ? likelyCauses(cmp, conv, { maskedLayers, ...(this.result.startedFrom ? { startedFrom: this.result.startedFrom } : {}) }) : [];
    if (causes.length === 0) return;
    this.out.append(h('h4', {}, 'Likely causes'), h('ol', { class: 'compare-causes', 'data-testid': 'compare-causes' }, causes.map((c) => h('li', {}, capFirst(c)))));
  }

  private conventions(): Promise<ModelConventions | null> {
    conventions ??= request('conventions', {}).catch(() => null);
    return conventions;
  }

  private async showConventions(): Promise<void> {
    const conv = await this.conventions();
    clear(this.conv);
    if (!conv) return;
    const items: HTMLElement[] = [];
    for (const l of conv.layers) {
      const what = l.conventions.length ? l.conventions.map((c) => c.text).join(' ') : 'nothing beyond its activations and weights.';
      items.push(h('li', {}, h('b', {}, `${showName(l.layer, 60)} · ${showName(l.title, 30)}: `), what));
    }
    for (const c of conv.model) items.push(h('li', {}, c.text));
    this.conv.append(h('h4', {}, `Conventions in play (Keras ${conv.kerasMajor})`), h('ul', {}, items));
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
const capFirst = cap;

/** A value at full float32 precision (9 significant digits), minus sign as printed by NumPy. */
function full(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  return String(Number(v.toPrecision(9)));
}

function signed(v: number): string {
  if (v === 0) return '0';
  return `${v > 0 ? '+' : ''}${fmt(v, 3)}`;
}
