// The time-series workflow: in the Input tab's CSV card, cut one column into sliding windows (length L, stride)
// as N samples (logic/windows.ts); after a run on exactly those windows, the Results tab plots each window's
// predicted next value against the actual one. A time column of decimal years says whether rows are years or months.
// Test ids: windows-control, windows-cadence, windows-length, windows-stride, windows-make, windows-preview,
// windows-made[data-n], windows-error; forecast-view, forecast-cadence, forecast-stats[data-count][data-mae], forecast-chart.

import { parseCsv, type RawArray } from '../../extension/keras/inputs';
import type { RunResult } from '../../extension/protocol';
import { h, clear } from '../dom';
import { button, textField } from '../toolkit';
import { fmt } from '../logic/format';
import { showName } from '../../extension/keras/safeText';
import { makeWindows, windowCount, windowProblem, rowCadence, cadenceText, predictedNext, isWindowsInput, forecastErrors, type SeriesWindows, type Cadence } from '../logic/windows';
import { LineChart } from './lineChart';
import { adoptExtrasStyle } from './extrasStyle';

/** The windows last put into the input editor, with what the forecast plot needs to label them. */
interface MadeWindows {
  windows: SeriesWindows;
  fileName: string;
  column: string;
  /** The time column's value of each row (x of the plot), when the file has a steady clock. */
  times: Float64Array | null;
  cadence: Cadence | null;
}

// One page per panel, so one set of windows: the input editor makes them, the Results tab reads them.
let made: MadeWindows | null = null;

export interface WindowsControlOptions {
  fileName: string;
  text: string;
  /** The column chosen in the CSV card (0-based). */
  column(): number;
  /** Puts N × L × 1 values into the input editor (the core's checks); an error sentence or null. */
  apply(raw: RawArray, label: string): string | null;
}

/** The clock of a CSV: its first column when it is a steady series of decimal years, else null. */
function timeColumn(text: string): { times: Float64Array; cadence: Cadence } | null {
  try {
    const t = parseCsv(text, { column: 0 }).array.data;
    const cadence = rowCadence(t);
    return cadence ? { times: Float64Array.from(t), cadence } : null;
  } catch {
    return null;
  }
}

/** The "Sliding windows" part of the CSV card. */
export function windowsControl(o: WindowsControlOptions): HTMLElement {
  adoptExtrasStyle();
  let rows = 0;
  try {
    rows = parseCsv(o.text, { column: o.column() }).array.shape[0];
  } catch {
    // The card above already says why the file cannot be read.
  }
  const length = textField({ value: String(Math.max(1, Math.min(30, rows - 1))), size: 5, testid: 'windows-length' });
  const stride = textField({ value: '1', size: 5, testid: 'windows-stride' });
  const count = h('span', { class: 'muted', 'data-testid': 'windows-preview' });
  const msg = h('div', { class: 'inline-error', role: 'alert', 'data-testid': 'windows-error' });
  const done = h('div', { class: 'ok', role: 'status', 'data-testid': 'windows-made' });
  const clock = timeColumn(o.text);
  const note = h('p', { class: 'windows-note muted', 'data-testid': 'windows-cadence' }, clock ? cadenceText(clock.cadence) : '');
  note.hidden = !clock;
  const preview = () => {
    const L = Number(length.value);
    const S = Number(stride.value);
    const problem = windowProblem(rows, L, S);
    count.textContent = problem ? '' : `N = floor((${rows} − ${L}) / ${S}) + 1 = ${windowCount(rows, L, S)} windows`;
  };
  for (const f of [length, stride]) for (const ev of ['input', 'change']) f.el.addEventListener(ev, preview);
  const make = button('Make windows', () => {
    msg.textContent = '';
    done.textContent = '';
    preview();
    try {
      const col = o.column();
      const parsed = parseCsv(o.text, { column: col });
      const w = makeWindows(parsed.array.data, Number(length.value), Number(stride.value));
      const name = parsed.columns[0] ?? String(col);
      const label = `${w.n} windows of ${w.length} rows (stride ${w.stride}) from ${o.fileName} column ${name}`;
      const err = o.apply({ shape: [w.n, w.length, 1], data: w.data }, label);
      if (err) {
        msg.textContent = err;
        return;
      }
      // The windows' own column cannot be their clock.
      const c = col === 0 ? null : timeColumn(o.text);
      made = { windows: w, fileName: o.fileName, column: name, times: c?.times ?? null, cadence: c?.cadence ?? null };
      done.dataset.n = String(w.n);
      done.textContent = `✓ ${w.n} samples (N = ${w.n}, T = ${w.length}, D = 1) in the input editor; run them to plot predicted against actual next values.`;
    } catch (e) {
      msg.textContent = e instanceof Error ? e.message : String(e);
    }
  }, { appearance: 'primary', testid: 'windows-make', title: 'Cut the column into windows of L rows every stride rows, one sample each' });
  preview();
  return h(
    'div',
    { class: 'windows-box', 'data-testid': 'windows-control' },
    h('div', { class: 'card-title' }, 'Sliding windows ', h('span', { class: 'muted' }, '(one sample per window; its next row is the value to predict)')),
    note,
    h('div', { class: 'toolbar' }, h('label', { class: 'field' }, h('span', {}, 'window L (rows)'), length.el), h('label', { class: 'field' }, h('span', {}, 'stride (rows)'), stride.el), make.el, count),
    msg,
    done,
  );
}

/** The Results tab's forecast card: predicted against actual next values, shown after a run on the windows. */
export class ForecastView {
  readonly el = h('div', { class: 'card forecast', 'data-testid': 'forecast-view' });
  private chart: LineChart | null = null;

  constructor() {
    adoptExtrasStyle();
    this.el.hidden = true;
  }

  /** Shows the plot when this run's input is the windows last made; hides it otherwise. */
  showFor(result: RunResult): void {
    const m = made;
    if (!m || !isWindowsInput(result.inputs[0], m.windows) || !result.outputs[0]) {
      this.hide();
      return;
    }
    const w = m.windows;
    const p = predictedNext(result.outputs[0], w.n);
    clear(this.el);
    this.el.hidden = false;
    this.el.append(h('div', { class: 'card-title' }, `Predicted against actual next values: ${showName(m.fileName, 80)} column ${showName(m.column, 40)}`));
    if (m.cadence) this.el.append(h('p', { class: 'windows-note', 'data-testid': 'forecast-cadence' }, cadenceText(m.cadence)));
    if ('error' in p) {
      this.el.append(h('p', { class: 'inline-error', role: 'alert' }, p.error));
      return;
    }
    if (p.note) this.el.append(h('p', { class: 'muted' }, p.note));
    // Plotted: the windows whose next row exists; a last window ending at the last row forecasts past the data.
    const idx: number[] = [];
    for (let k = 0; k < w.n; k++) if (!Number.isNaN(w.next[k])) idx.push(k);
    const xOf = (k: number): number => {
      const r = w.nextRows[k];
      if (!m.times) return r;
      const step = m.cadence?.kind === 'monthly' ? 1 / 12 : 1;
      return r < m.times.length ? m.times[r] : m.times[m.times.length - 1] + (r - m.times.length + 1) * step;
    };
    const errors = forecastErrors(p.values, w.next);
    const stats = h('p', { 'data-testid': 'forecast-stats', 'data-count': errors.count, 'data-mae': errors.mae }, `${w.n} windows, ${errors.count} with an actual next value: mean absolute error ${fmt(errors.mae, 4)}, root-mean-square error ${fmt(errors.rmse, 4)}.`);
    this.el.append(stats);
    const last = w.n - 1;
    if (Number.isNaN(w.next[last])) this.el.append(h('p', { class: 'muted', 'data-testid': 'forecast-beyond' }, `The last window ends at the last row: it forecasts ${fmt(p.values[last], 6)} for ${m.times ? `${m.cadence?.kind === 'yearly' ? 'year' : 'time'} ${xOf(last)}` : `row ${w.nextRows[last]}`}, past the data.`));
    const options = {
      x: idx.map(xOf),
      series: [
        { label: 'actual', values: idx.map((k) => w.next[k]) },
        { label: 'predicted', values: idx.map((k) => p.values[k]) },
      ],
      xLabel: m.cadence?.kind === 'yearly' ? 'year of the next value' : m.times ? 'time of the next value' : 'row of the next value',
      yLabel: `column ${showName(m.column, 40)}`,
      height: 240,
      testid: 'forecast-chart',
    };
    this.chart?.destroy();
    this.chart = new LineChart(options);
    this.el.append(this.chart.el);
  }

  private hide(): void {
    this.chart?.destroy();
    this.chart = null;
    clear(this.el);
    this.el.hidden = true;
  }
}
