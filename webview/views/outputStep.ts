// The notebook's last line: each Dense layer's step written out with the run's numbers, y = h_T·W_y + b_y for a
// Dense after an RNN (h_T the RNN's last state, W_y M×K, b_y K), every output element as its sum of products, and
// the result recomputed here checked against the run's own output. The weights are asked of the host when shown.

import type { RunResult, WeightValues } from '../../extension/protocol';
import type { ModelSummary, LayerSummary } from '../../extension/keras/summary';
import type { LayerRecord } from '../../extension/keras/forward';
import type { Tensor } from '../../extension/keras/tensor';
import { h, clear } from '../dom';
import { dropdown, progressRing } from '../toolkit';
import { fmt, sub } from '../logic/format';
import { copyArrayButton } from '../logic/npArray';
import { MatrixTable } from './matrixTable';
import { showName } from '../../extension/keras/safeText';
import { layerKind } from '../../extension/keras/layers/index';
import { adoptNotebookStyle } from './notebookStyle';

export interface OutputStepHost {
  summary(): ModelSummary | null;
  loadWeights?(layer: string, weight: string): Promise<WeightValues>;
}

/** Weights already asked for, per model (its summary object): a live recompute redraws without asking again. */
const weightCache = new WeakMap<object, Map<string, Promise<WeightValues>>>();

function cachedWeights(host: OutputStepHost, layer: string, weight: string): Promise<WeightValues> {
  const key = host.summary() ?? host;
  let m = weightCache.get(key);
  if (!m) weightCache.set(key, (m = new Map()));
  const id = `${layer}\u0000${weight}`;
  let p = m.get(id);
  if (!p) {
    p = host.loadWeights!(layer, weight);
    m.set(id, p);
    p.catch(() => m!.delete(id));
  }
  return p;
}

/** Digits of the written-out values: a float32 holds about 7 significant digits, 8 shows them all. */
const full = (v: number) => fmt(v, 8);
/** Terms written out in a sum before it is elided (M = 5 shows all five). */
const SUM_TERMS = 8;
/** Output elements written out as sums (the rest only as values). */
const SUM_ROWS = 8;

/** The affine layers of a run (y = act(x·W + b), as their kind modules say), the one producing the model's output last. */
export function denseRecords(result: RunResult): LayerRecord[] {
  return result.layers.filter((r) => layerKind(r.className)?.affineOutput === true && r.outputs[0]);
}

/** The tensor a layer read: its functional inbound's output, else (Sequential) the record before it, else the model input. */
export function layerInput(result: RunResult, summary: ModelSummary | null, rec: LayerRecord): { tensor: Tensor; from: string | null } | null {
  const records = result.layers;
  const ls = findLayer(summary?.layers ?? [], rec.name);
  const byName = (name: string) => {
    const r = records.find((x) => x.name === name && x.className !== 'InputLayer');
    if (r?.outputs[0]) return { tensor: r.outputs[0], from: r.name };
    const k = summary ? summary.inputs.findIndex((i) => i.name === name) : -1;
    return result.inputs[k >= 0 ? k : 0] ? { tensor: result.inputs[k >= 0 ? k : 0], from: null } : null;
  };
  if (ls && ls.inbound.length > 0) return byName(ls.inbound[0]);
  const at = records.indexOf(rec);
  for (let i = at - 1; i >= 0; i--) {
    if (records[i].className === 'InputLayer') continue;
    return records[i].outputs[0] ? { tensor: records[i].outputs[0], from: records[i].name } : null;
  }
  return result.inputs[0] ? { tensor: result.inputs[0], from: null } : null;
}

function findLayer(layers: LayerSummary[], name: string): LayerSummary | undefined {
  // Wrappers' inner layers are one level down at most in a summary (bounded, no recursion).
  for (const l of layers) {
    if (l.name === name) return l;
    for (const c of l.children) if (c.name === name) return c;
  }
  return undefined;
}

/** Activations a Dense can end in, recognised from the numbers: the run's y against act(z) recomputed here. */
const ACTIVATIONS: { name: string; apply(z: Float64Array): Float64Array }[] = [
  { name: 'linear', apply: (z) => z.slice() },
  { name: 'relu', apply: (z) => z.map((v) => Math.max(0, v)) },
  { name: 'tanh', apply: (z) => z.map(Math.tanh) },
  { name: 'sigmoid', apply: (z) => z.map((v) => 1 / (1 + Math.exp(-v))) },
  {
    name: 'softmax',
    apply: (z) => {
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    },
  },
];

/** Float32 rounding of the run (Keras computes in float32): a relative 1e-5 at the output's magnitude. */
function agrees(a: ArrayLike<number>, b: ArrayLike<number>): { ok: boolean; maxAbs: number } {
  let maxAbs = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { ok: maxAbs <= 1e-5 * scale, maxAbs };
}

/** The section under the run's output: one card per Dense layer, the last (the model's output) open. */
export function outputSteps(result: RunResult, host: OutputStepHost): HTMLElement | null {
  const dense = denseRecords(result);
  if (dense.length === 0 || !host.loadWeights) return null;
  adoptNotebookStyle();
  const section = h('section', { class: 'output-steps', 'data-testid': 'output-steps' });
  section.append(h('h2', {}, dense.length === 1 ? 'The output layer, written out' : `The output layers, written out (${dense.length})`));
  dense.forEach((rec, i) => section.append(outputStepCard(result, host, rec, i === dense.length - 1)));
  return section;
}

function outputStepCard(result: RunResult, host: OutputStepHost, rec: LayerRecord, open: boolean): HTMLElement {
  const details = h('details', { class: 'output-step card', 'data-testid': 'output-step', 'data-layer': rec.name });
  details.append(h('summary', {}, `${showName(rec.name)} `, h('span', { class: 'cls' }, `(${showName(rec.className, 40)}) `), h('span', { class: 'muted' }, 'y = h·W_y + b_y with the numbers')));
  const body = h('div', { class: 'os-body' });
  details.append(body);
  let built = false;
  const build = () => {
    if (built) return;
    built = true;
    void fill(body, result, host, rec);
  };
  details.addEventListener('toggle', () => details.open && build());
  if (open) {
    details.open = true;
    build();
  }
  return details;
}

async function fill(body: HTMLElement, result: RunResult, host: OutputStepHost, rec: LayerRecord): Promise<void> {
  body.append(progressRing());
  const summary = host.summary();
  const layer = findLayer(summary?.layers ?? [], rec.name);
  const input = layerInput(result, summary, rec);
  const kernelW = layer?.weights.find((w) => /kernel/.test(w.name));
  const biasW = layer?.weights.find((w) => /bias/.test(w.name));
  const fail = (m: string) => {
    clear(body);
    body.append(h('p', { class: 'inline-error', role: 'alert' }, m));
  };
  if (!input) return fail(`The input of ${showName(rec.name)} is not among the recorded outputs, so its step cannot be written out.`);
  if (!kernelW) return fail(`${showName(rec.name)} stores no kernel, so its step cannot be written out.`);
  let W: WeightValues;
  let B: WeightValues | null = null;
  try {
    W = await cachedWeights(host, rec.name, kernelW.path || kernelW.name);
    if (biasW) B = await cachedWeights(host, rec.name, biasW.path || biasW.name);
  } catch (e) {
    return fail(`The weights of ${showName(rec.name)} could not be read: ${(e as Error).message}`);
  }
  clear(body);
  const M = W.shape[0];
  const K = W.shape[W.shape.length - 1];
  const x = input.tensor;
  const y = rec.outputs[0];
  const D = x.shape[x.shape.length - 1];
  if (W.shape.length !== 2 || D !== M || y.shape[y.shape.length - 1] !== K) {
    return fail(`${showName(rec.name)}'s kernel is ${W.shape.join('×')} but its input has ${D} values per row, so the step is not written out.`);
  }
  const rows = x.data.length / M; // every (sample, time step) row the Dense read
  const N = x.shape[0] ?? 1;
  const perSample = rows / N;
  // What the Dense read, in the notebook's words: an RNN's last state h_T, a sequence's h_t (Dense per step), or x.
  const trace = input.from ? result.traces.find((t) => t.layer === input.from) : undefined;
  const T = trace?.steps;
  const sym = trace ? (x.shape.length === 2 ? (T ? `h_T` : 'h') : 'h_t') : 'x';
  const symShown = trace && x.shape.length === 2 && T ? `h_T = h${sub(T)}` : sym;
  const state = { sample: 0 };
  const view = h('div', { class: 'os-view' });
  const draw = () => {
    clear(view);
    // The last row of the sample: its only row (N×M), or t = T of a sequence (N×T×M).
    const row = state.sample * perSample + (perSample - 1);
    const hv = Float64Array.from(x.data.subarray(row * M, (row + 1) * M));
    const b = B ? Float64Array.from(B.values) : new Float64Array(K);
    const z = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let j = 0; j < M; j++) s += hv[j] * W.values[j * K + k];
      z[k] = s + b[k];
    }
    const yRun = Float64Array.from(y.data.subarray(row * K, (row + 1) * K));
    const act = ACTIVATIONS.find((a) => agrees(a.apply(z), yRun).ok);
    const yHere = act ? act.apply(z) : null;
    const eq = act && act.name !== 'linear' ? `y = ${act.name}(${sym}·W_y + b_y)` : `y = ${sym}·W_y + b_y`;
    view.append(
      h('div', { class: 'eq-line', 'data-testid': 'output-step-equation' }, eq),
      h('p', { class: 'muted' }, `${sym}: 1×M with M = ${M}${input.from ? ` (the output of ${showName(input.from)}${trace && x.shape.length === 2 ? `, its last state at t = ${T}` : ''})` : ''}; W_y: M×K = ${M}×${K}; b_y: K = ${K}${B ? '' : ' (use_bias=False: b_y = 0)'}${x.shape.length === 3 ? `; the layer acts on every time step, shown here at t = ${perSample}` : ''}.`),
    );
    const table = h('table', { class: 'os-table' });
    const tr = (label: string, testid: string, values: ArrayLike<number> | null, ...extra: (HTMLElement | string)[]) => {
      const r = h('tr', { 'data-testid': testid }, h('th', { scope: 'row' }, label), h('td', { class: 'os-values' }, values ? h('code', { class: 'vec' }, `[${Array.from(values, full).join(', ')}]`) : '', ...extra));
      if (values) r.dataset.values = JSON.stringify(Array.from(values));
      return r;
    };
    const copy = (values: ArrayLike<number>, shape: number[], dtype: 'float32' | 'float64', what: string, testid: string) =>
      h('div', { class: 'os-actions' }, copyArrayButton(() => ({ values, shape, dtype }), { what, testid }));
    const grid = new MatrixTable({
      rows: M,
      cols: K,
      value: (r, c) => W.values[r * K + c],
      rowHeader: 'j',
      rowLabel: (r) => String(r),
      colLabel: (c) => `k = ${c}`,
      format: full,
      ariaLabel: `W_y of ${showName(rec.name)}: ${M} rows by ${K} columns`,
      testid: 'output-step-weights',
      height: 220,
      colWidth: 104,
    });
    const sums = h('div', { class: 'os-sums', 'data-testid': 'output-step-sums' });
    for (let k = 0; k < Math.min(K, SUM_ROWS); k++) {
      const terms: string[] = [];
      const shown = M <= SUM_TERMS ? M : SUM_TERMS - 1;
      // A negative weight in brackets, so `a·(−b)` never reads as a subtraction.
      const factor = (v: number) => (v < 0 ? `(${fmt(v, 5)})` : fmt(v, 5));
      for (let j = 0; j < shown; j++) terms.push(`${fmt(hv[j], 5)}·${factor(W.values[j * K + k])}`);
      if (shown < M) terms.push(`… (${M - shown} more terms)`);
      sums.append(h('div', { class: 'os-sum' }, `z${sub(k)} = ${terms.join(' + ').replace(/\+ -/g, '− ')} + ${fmt(b[k], 5)} = ${full(z[k])}`));
    }
    if (K > SUM_ROWS) sums.append(h('div', { class: 'muted' }, `… and ${K - SUM_ROWS} more outputs, in the row above.`));
    const check = yHere ? agrees(yHere, yRun) : null;
    const tbody = h('tbody');
    table.append(tbody);
    tbody.append(
      tr(symShown, 'output-step-input', hv, copy(Float32Array.from(hv), [1, M], 'float32', sym, 'copy-np-input')),
      h('tr', { 'data-testid': 'output-step-w' }, h('th', { scope: 'row' }, `W_y (${M}×${K})`), h('td', { class: 'os-values' }, grid.el, copy(W.values, [M, K], 'float32', 'W_y', 'copy-np-w'))),
      tr(`b_y (${K})`, 'output-step-b', b, copy(Float32Array.from(b), [K], 'float32', 'b_y', 'copy-np-b')),
      h('tr', {}, h('th', { scope: 'row' }, `z = ${sym}·W_y + b_y`), h('td', { class: 'os-values' }, sums)),
      tr(act && act.name !== 'linear' ? `y = ${act.name}(z)` : 'y = z', 'output-step-y', yHere, ...(yHere ? [copy(Float32Array.from(yHere), [1, K], 'float32', 'y', 'copy-np-y')] : [h('span', { class: 'muted' }, 'The activation of this layer is not one recognised here from the numbers (linear, relu, tanh, sigmoid, softmax), so y is not recomputed.')])),
      tr("y of the run", 'output-step-run', yRun),
    );
    view.append(table);
    if (check) {
      view.append(
        h(
          'p',
          { class: `os-check ${check.ok ? 'ok' : 'bad'}`, 'data-testid': 'output-step-check', 'data-agrees': String(check.ok), 'data-max-abs-diff': String(check.maxAbs) },
          check.ok ? `✓ y recomputed here equals the run's output (max |Δ| = ${check.maxAbs === 0 ? '0' : check.maxAbs.toExponential(1)}, within float32 rounding).` : `✗ y recomputed here differs from the run's output by up to ${check.maxAbs.toExponential(2)}.`,
        ),
      );
    }
  };
  if (N > 1) {
    const dd = dropdown(Array.from({ length: N }, (_, n) => ({ value: String(n), label: `sample ${n}` })), '0', (v) => {
      state.sample = Number(v);
      draw();
    }, { testid: 'output-step-sample', ariaLabel: 'Sample' });
    body.append(h('div', { class: 'toolbar' }, h('label', { class: 'field' }, h('span', {}, 'Sample'), dd.el)));
  }
  body.append(view);
  draw();
}
