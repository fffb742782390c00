// The Results tab's run history: the last runs (logic/runHistory.ts keeps h_t of sample 0, bounded), and two of
// them compared as a heatmap of h_t(B) − h_t(A) on a diverging scale centred on 0 (identical runs: all 0).
// Test ids: history-view, history-list, history-row[data-run-id], history-a, history-b, history-layer, diff-max[data-value], diff-heatmap.

import type { RunResult } from '../../extension/protocol';
import { h, clear } from '../dom';
import { dropdown, type DropdownControl } from '../toolkit';
import { fmt } from '../logic/format';
import { showName } from '../../extension/keras/safeText';
import { keepRun, pushRun, commonTraces, diffTraces, traceKey, HISTORY_RUNS, type KeptRun } from '../logic/runHistory';
import { Heatmap } from './heatmap';
import { adoptExtrasStyle } from './extrasStyle';

export class HistoryView {
  readonly el = h('div', { class: 'card history', 'data-testid': 'history-view' });
  private runs: KeptRun[] = [];
  private a: number | null = null;
  private b: number | null = null;
  private layer: string | null = null;
  private readonly list = h('div', { class: 'history-runs' });
  private readonly pickers = h('div', { class: 'history-pickers' });
  private readonly diffBox = h('div', { class: 'history-diff', 'data-testid': 'history-diff' });

  constructor() {
    adoptExtrasStyle();
    this.el.append(h('div', { class: 'card-title' }, 'Run history ', h('span', { class: 'muted' }, `(the last ${HISTORY_RUNS} runs; compare two as h_t(B) − h_t(A) of sample 0)`)), this.list, this.pickers, this.diffBox);
    this.render();
  }

  /** Keeps a finished run; the newest two become B and A. `editorLabel` names an input-editor run better (e.g. its windows). */
  add(result: RunResult, editorLabel?: string): void {
    const kept = keepRun(result, Date.now());
    if (editorLabel && result.inputLabel === 'values from the input editor') kept.label = editorLabel;
    this.runs = pushRun(this.runs, kept);
    this.b = this.runs[0]?.runId ?? null;
    this.a = this.runs[1]?.runId ?? null;
    this.render();
  }

  private run(id: number | null): KeptRun | undefined {
    return this.runs.find((r) => r.runId === id);
  }

  private render(): void {
    clear(this.list);
    clear(this.pickers);
    clear(this.diffBox);
    if (this.runs.length === 0) {
      this.list.append(h('p', { class: 'muted' }, 'No runs yet.'));
      return;
    }
    const table = h('table', { class: 'history-list', 'data-testid': 'history-list' }, h('thead', {}, h('tr', {}, h('th', {}, 'run'), h('th', {}, 'input'), h('th', {}, 'h_t kept'))));
    const body = h('tbody');
    for (const r of this.runs) {
      const kept = r.traces.map(traceKey).map((k) => showName(k, 40)).join(', ') || 'none';
      const tr = h(
        'tr',
        { 'data-testid': 'history-row', 'data-run-id': r.runId },
        h('td', { class: 'nowrap', title: `at ${new Date(r.at).toLocaleTimeString()}` }, `#${r.runId}${r.runId === this.a ? ' A' : ''}${r.runId === this.b ? ' B' : ''}`),
        h('td', {}, showName(r.label, 120), ' ', h('span', { class: 'muted nowrap' }, `(${r.inputShape.join('×')})`)),
        h('td', { title: r.notKept.map((n) => showName(n, 200)).join('\n') }, kept, r.notKept.length ? h('span', { class: 'muted' }, ` (${r.notKept.length} not kept)`) : null),
      );
      body.append(tr);
    }
    table.append(body);
    this.list.append(table);
    if (this.runs.length < 2) {
      this.diffBox.append(h('p', { class: 'muted' }, 'Run again (another input, or the same one) to compare two runs.'));
      return;
    }
    const options = this.runs.map((r) => ({ value: String(r.runId), label: `#${r.runId} (${r.inputShape.join('×')})` }));
    const pick = (testid: string, value: number | null, set: (id: number) => void): DropdownControl =>
      dropdown(options, String(value), (v) => {
        set(Number(v));
        this.render();
      }, { testid, ariaLabel: testid === 'history-a' ? 'Run A' : 'Run B' });
    const runA = this.run(this.a);
    const runB = this.run(this.b);
    const common = runA && runB ? commonTraces(runA, runB) : [];
    if (!this.layer || !common.includes(this.layer)) this.layer = common[0] ?? null;
    const layerDd = dropdown(common.map((k) => ({ value: k, label: showName(k, 60) })), this.layer ?? undefined, (v) => {
      this.layer = v;
      this.render();
    }, { testid: 'history-layer', ariaLabel: 'Layer' });
    this.pickers.append(
      h('label', { class: 'field' }, h('span', {}, 'A'), pick('history-a', this.a, (id) => (this.a = id)).el),
      h('label', { class: 'field' }, h('span', {}, 'B'), pick('history-b', this.b, (id) => (this.b = id)).el),
    );
    if (common.length) this.pickers.append(h('label', { class: 'field' }, h('span', {}, 'layer'), layerDd.el));
    this.renderDiff(runA, runB);
  }

  private renderDiff(runA: KeptRun | undefined, runB: KeptRun | undefined): void {
    const ta = runA?.traces.find((t) => traceKey(t) === this.layer);
    const tb = runB?.traces.find((t) => traceKey(t) === this.layer);
    if (!runA || !runB || !ta || !tb) {
      this.diffBox.append(h('p', { class: 'muted', 'data-testid': 'history-no-diff' }, 'These two runs have no recurrent layer in common whose h_t was kept.'));
      return;
    }
    const d = diffTraces(ta, tb);
    const name = showName(this.layer ?? '', 60);
    const same = d.maxAbs === 0;
    this.diffBox.append(
      h(
        'p',
        { 'data-testid': 'diff-max', 'data-value': String(d.maxAbs) },
        same
          ? `h_t of ${name} is identical in runs #${runA.runId} and #${runB.runId}: the difference is 0 at every step and unit.`
          : `max |h_t(B) − h_t(A)| of ${name} = ${fmt(d.maxAbs, 6)} (B = run #${runB.runId}, A = run #${runA.runId}).`,
      ),
    );
    if (d.stepsA !== d.stepsB) this.diffBox.append(h('p', { class: 'muted' }, `A has ${d.stepsA} steps and B ${d.stepsB}; the first ${d.steps} are compared.`));
    const hm = new Heatmap({
      cols: d.steps,
      rows: d.units,
      value: (c, r) => d.diff[c * d.units + r],
      matrix: { data: d.diff, offset: 0, xStride: d.units, yStride: 1 },
      limit: same || Number.isNaN(d.maxAbs) ? 1 : d.maxAbs,
      colName: 'step',
      rowName: 'unit',
      colLabel: (c) => `t = ${(tb.timeIndex[c] ?? c) + 1}`,
      rowLabel: (r) => String(r),
      height: Math.min(260, Math.max(80, d.units * 6 + 30)),
      ariaLabel: `Difference h_t(B) − h_t(A) of ${name}: ${d.steps} steps by ${d.units} units, largest magnitude ${fmt(d.maxAbs, 4)}`,
      testid: 'diff-heatmap',
    });
    this.diffBox.append(hm.el);
  }
}
