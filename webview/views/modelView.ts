// The header (file, format, Keras version, totals) and the layer table with explaining hovers; each
// layer opens its weights, and each weight on demand shows a heatmap and its statistics (with the
// spectral radius of every gate block of a recurrent kernel W_h), its numbers as a grid beside the heatmap (virtualised,
// like a data viewer) and "Copy as np.array".

import type { LayerSummary, ModelSummary, WeightSummary } from '../../extension/keras/summary';
import type { WeightValues } from '../../extension/protocol';
import { annotateShape } from '../../extension/keras/shapes';
import { h, clear, tooltip, makeActivatable } from '../dom';
import { button, progressRing } from '../toolkit';
import { fmt, fmtCount } from '../logic/format';
import { explainParams, explainShape, explainWeight } from '../logic/explain';
import { matrixStats, gateBlocks, radiusHint, blockLabels, layerCell } from '../logic/stats';
import { spectralRadius } from '../logic/eigen';
import { Heatmap, themeScale } from './heatmap';
import { MatrixTable } from './matrixTable';
import { copyArrayButton } from '../logic/npArray';
import { divergingColor, rgbCss, symmetricLimit } from '../logic/colors';
import { adoptNotebookStyle } from './notebookStyle';
import { showName } from '../../extension/keras/safeText';

/** A name from the file as shown: controls and bidi overrides visible (so `evil\u202eexe.txt` cannot pass for another name), cut. */
const shown = (s: unknown, max?: number) => showName(s, max);
/** The full name for a title attribute: visible controls, cut at 1,000 characters. */
const full = (s: unknown) => showName(s, 1000);

export interface ModelViewHost {
  loadWeights(layer: string, weight: string): Promise<WeightValues>;
  layerSelected(layer: string): void;
  error(message: string): void;
}

/** All layers, wrappers' inner layers indented after their parent. */
function flatten(layers: LayerSummary[], depth = 0, out: { layer: LayerSummary; depth: number; parent?: LayerSummary }[] = [], parent?: LayerSummary) {
  for (const l of layers) {
    out.push({ layer: l, depth, parent });
    if (l.children.length) flatten(l.children, depth + 1, out, l);
  }
  return out;
}

export function headerView(summary: ModelSummary, fileName: string): HTMLElement {
  const fact = (label: string, value: string, testid?: string) => h('div', { class: 'fact', 'data-testid': testid }, h('span', { class: 'fact-label' }, label), h('span', { class: 'fact-value' }, value));
  const inputs = summary.inputs.map((i) => `${shown(i.name)} ${annotateShape(i.shape, i.shape.length === 3 ? ['N', 'T', 'D'] : undefined)}`).join('; ');
  const totals = h('div', { class: 'fact', 'data-testid': 'header-params' }, h('span', { class: 'fact-label' }, 'parameters'), h('span', { class: 'fact-value' }, fmtCount(summary.totalParams)));
  tooltip(totals, `Total ${fmtCount(summary.totalParams)} = trainable ${fmtCount(summary.trainableParams)} + non-trainable ${fmtCount(summary.nonTrainableParams)}\n(the sum of the sizes of every weight array; optimizer state is not counted)`);
  totals.tabIndex = 0;
  return h(
    'header',
    { class: 'model-header', 'data-testid': 'model-header' },
    h('div', { class: 'title-row' }, h('h1', { 'data-testid': 'header-file', title: full(summary.file) }, shown(fileName)), h('span', { class: 'pill' }, shown(summary.modelClass, 40))),
    h(
      'div',
      { class: 'facts' },
      fact('format', shown(summary.format), 'header-format'),
      fact('Keras', summary.kerasVersion ? shown(summary.kerasVersion, 40) : 'unknown', 'header-keras'),
      summary.backend ? fact('backend', shown(summary.backend, 40)) : null,
      fact('layers', String(summary.layers.length)),
      totals,
      summary.nonTrainableParams > 0 ? fact('non-trainable', fmtCount(summary.nonTrainableParams)) : null,
      fact('input', showName(inputs || '—', 400)),
    ),
  );
}

export class ModelView {
  readonly el = h('div', { class: 'model-view' });
  private rows = new Map<string, HTMLTableRowElement>();
  private detail = h('div', { class: 'layer-detail', 'data-testid': 'layer-detail' });
  private summary: ModelSummary | null = null;
  selected: string | null = null;

  constructor(private readonly host: ModelViewHost) {}

  show(summary: ModelSummary, selected: string | null): void {
    this.summary = summary;
    clear(this.el);
    this.rows.clear();
    if (summary.warnings.length) {
      this.el.append(h('div', { class: 'banner info', role: 'status' }, ...summary.warnings.slice(0, 20).map((w) => h('div', {}, showName(w, 400))), summary.warnings.length > 20 ? h('div', {}, `… and ${summary.warnings.length - 20} more.`) : null));
    }
    const table = h('table', { class: 'layers', 'data-testid': 'layer-table', 'aria-label': 'Layers' });
    table.append(h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '#'), h('th', { scope: 'col' }, 'Layer (type)'), h('th', { scope: 'col' }, 'Output shape'), h('th', { scope: 'col', class: 'num' }, 'Param #'))));
    const body = h('tbody');
    let index = 0;
    for (const { layer, depth } of flatten(summary.layers)) {
      const tr = h('tr', { 'data-testid': 'layer-row', 'data-layer': layer.name, class: depth ? 'child' : '' });
      // Shown names are cut (showName) and the cell ellipsizes (inspector.css); the full name is in the title.
      const nameCell = h('td', { class: 'layer-name', title: `${full(layer.name)} (${full(layer.className)})` }, h('span', { class: 'name' }, shown(layer.name)), h('span', { class: 'cls' }, ` (${shown(layer.className, 40)})`));
      nameCell.style.paddingLeft = `${8 + depth * 18}px`;
      if (layer.notExecutable) nameCell.append(h('span', { class: 'pill warn', title: full(layer.notExecutable) }, 'not executable'));
      const shapeCell = h('td', { class: 'shape', 'data-testid': 'layer-shape' }, shown(layer.outputShapeText, 120));
      const paramsCell = h('td', { class: 'num params', 'data-testid': 'layer-params' }, fmtCount(layer.params));
      const shapeTip = h('span', { class: 'tip-target', tabindex: 0 }, shown(layer.outputShapeText, 120));
      clear(shapeCell);
      shapeCell.append(shapeTip);
      tooltip(shapeTip, explainShape(layer).join('\n'));
      const paramTip = h('span', { class: 'tip-target', tabindex: 0, 'data-testid': 'params-explained' }, fmtCount(layer.params));
      clear(paramsCell);
      paramsCell.append(paramTip);
      tooltip(paramTip, explainParams(layer, summary).join('\n'));
      tr.append(h('td', { class: 'idx' }, depth ? '' : String(++index)), nameCell, shapeCell, paramsCell);
      makeActivatable(tr, (e) => {
        if ((e.target as HTMLElement).closest('.tip-target') && e.type === 'keydown') return;
        this.select(layer.name, true);
      }, 'button');
      tr.setAttribute('aria-label', `${shown(layer.name)}, ${shown(layer.className, 40)}, output ${shown(layer.outputShapeText, 120)}, ${layer.params} parameters. Enter shows its weights.`);
      this.rows.set(layer.name, tr);
      body.append(tr);
    }
    table.append(body, h('tfoot', {}, h('tr', {}, h('td', {}), h('th', { scope: 'row' }, 'Total'), h('td', {}, `trainable ${fmtCount(summary.trainableParams)}, non-trainable ${fmtCount(summary.nonTrainableParams)}`), h('td', { class: 'num' }, fmtCount(summary.totalParams)))));
    this.el.append(h('div', { class: 'card layers-card' }, table), this.detail);
    const first = selected && this.rows.has(selected) ? selected : null;
    if (first) this.select(first, false);
    else {
      clear(this.detail);
      this.detail.append(h('p', { class: 'muted' }, 'Select a layer to see its weights, their shapes and, on demand, a heatmap with statistics.'));
    }
  }

  /** Select (and reveal) a layer; `fromUser` tells the host to reveal it in the tree. */
  select(name: string, fromUser: boolean): void {
    const layer = this.summary && flatten(this.summary.layers).find((x) => x.layer.name === name)?.layer;
    if (!layer) return;
    this.selected = name;
    for (const [n, tr] of this.rows) {
      tr.classList.toggle('selected', n === name);
      tr.setAttribute('aria-pressed', String(n === name));
    }
    this.rows.get(name)?.scrollIntoView({ block: 'nearest' });
    this.showWeights(layer);
    if (fromUser) this.host.layerSelected(name);
  }

  private showWeights(layer: LayerSummary): void {
    clear(this.detail);
    this.detail.append(h('h2', { title: full(layer.name) }, `${shown(layer.name)} `, h('span', { class: 'cls' }, shown(layer.className, 40))));
    const explain = h('pre', { class: 'explain' }, explainParams(layer, this.summary ?? undefined).join('\n'));
    this.detail.append(explain);
    if (layer.weights.length === 0) {
      this.detail.append(h('p', { class: 'muted' }, 'This layer has no weights.'));
      return;
    }
    const list = h('div', { class: 'weights' });
    for (const w of layer.weights) list.append(this.weightItem(layer, w));
    this.detail.append(list);
  }

  private weightItem(layer: LayerSummary, w: WeightSummary): HTMLElement {
    const body = h('div', { class: 'weight-body' });
    const nameEl = h('span', { class: 'w-name tip-target', tabindex: 0, title: full(w.name) }, shown(w.name));
    tooltip(nameEl, explainWeight(layer, w).join('\n'));
    const show = button('Heatmap & statistics', () => {
      show.setDisabled(true);
      void this.loadWeight(layer, w, body).finally(() => show.setDisabled(false));
    }, { appearance: 'secondary', testid: 'weight-show' });
    return h(
      'div',
      { class: 'weight card', 'data-testid': 'weight-item', 'data-weight': w.name },
      h('div', { class: 'weight-head' }, nameEl, h('code', { class: 'w-shape' }, w.shape.join(' × ') || 'scalar'), h('span', { class: 'muted' }, `${fmtCount(w.count)} values${w.trainable ? '' : ', non-trainable'}`), show.el),
      body,
    );
  }

  private async loadWeight(layer: LayerSummary, w: WeightSummary, body: HTMLElement): Promise<void> {
    clear(body);
    body.append(progressRing());
    let values: WeightValues;
    try {
      values = await this.host.loadWeights(layer.name, w.path || w.name);
    } catch (e) {
      clear(body);
      body.append(h('p', { class: 'inline-error', role: 'alert' }, (e as Error).message));
      return;
    }
    clear(body);
    const shape = values.shape;
    const rows = shape.length >= 2 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
    const cols = shape.length >= 1 ? shape[shape.length - 1] : 1;
    const v = values.values;
    const s = matrixStats(v, rows, cols);
    const stat = (label: string, value: number) => h('div', { class: 'stat' }, h('span', { class: 'fact-label' }, label), h('span', { class: 'fact-value' }, fmt(value, 6)));
    body.append(h('div', { class: 'stats', 'data-testid': 'weight-stats' }, stat('min', s.min), stat('max', s.max), stat('mean', s.mean), stat('std', s.std), stat('‖·‖_F', s.frobenius)));
    // A recurrent layer's kernels hold one column block per gate, in the order its cell stores them.
    const cell = layerCell(layer);
    const gateOrder = cell?.gateOrder ?? '';
    const labels = blockLabels(cell);
    const units = cols / Math.max(1, gateOrder.length);
    const gated = gateOrder.length > 1 && Number.isInteger(units) && /kernel|bias/.test(w.name);
    const hm = new Heatmap({
      cols,
      rows,
      colGroups: gated ? labels.map((label, k) => ({ start: k * units, label })) : undefined,
      value: (c, r) => v[r * cols + c],
      colName: 'column',
      rowName: 'row',
      colLabel: (c) => String(c),
      rowLabel: (r) => String(r),
      height: Math.min(260, Math.max(60, rows * 8 + 30)),
      ariaLabel: `Heatmap of ${shown(layer.name)} ${shown(w.name)}, ${rows} rows by ${cols} columns`,
      testid: 'weight-heatmap',
    });
    // The numbers beside the heatmap, on demand: a virtualised grid holds only the cells on screen (a 512×2048 kernel too).
    adoptNotebookStyle();
    const gridBox = h('div', { class: 'weight-grid', 'data-testid': 'weight-grid-box' });
    let grid: MatrixTable | null = null;
    const gridToggle = button('Numbers', () => {
      if (grid) {
        grid = null;
        clear(gridBox);
        gridToggle.setLabel('Numbers');
        return;
      }
      const scale = themeScale(symmetricLimit(v) * 1.8);
      grid = new MatrixTable({
        rows,
        cols,
        value: (r, c) => v[r * cols + c],
        rowHeader: 'row',
        rowLabel: (r) => String(r),
        colLabel: (c) => (gated ? `${labels[Math.floor(c / units)] ?? ''} ${c}`.trim() : String(c)),
        format: (x) => fmt(x, 6),
        tint: (x) => rgbCss(divergingColor(scale, x)),
        ariaLabel: `Values of ${shown(layer.name)} ${shown(w.name)}, ${rows} rows by ${cols} columns`,
        testid: 'weight-grid',
        cellTestid: 'weight-cell',
        height: 260,
        colWidth: 92,
      });
      gridBox.append(grid.el);
      gridToggle.setLabel('Hide numbers');
    }, { appearance: 'secondary', testid: 'weight-grid-toggle', title: 'Show the values as a grid beside the heatmap' });
    body.append(
      h('div', { class: 'weight-actions' }, gridToggle.el, copyArrayButton(() => ({ values: v, shape, dtype: 'float32' }), { what: shown(w.name), testid: 'copy-np-weight' })),
      h('div', { class: 'weight-split' }, h('div', { class: 'weight-heat' }, hm.el), gridBox),
    );
    // The spectral radius needs square blocks: a dense cell's W_h (a convolution's recurrent kernel is not one).
    if (w.name.includes('recurrent_kernel') && cell?.product === 'matmul' && rows === units) {
      const box = h('div', { class: 'radius', 'data-testid': 'spectral-radius' }, progressRing(), h('span', { class: 'muted' }, ' computing eigenvalues…'));
      body.append(box);
      // One gate block per task, after the heatmap has painted: eigenvalues of a 256×256 block take a
      // few hundred ms, and the panel must stay responsive meanwhile.
      void (async () => {
        const pause = () => new Promise<void>((r) => setTimeout(r, 16));
        await pause();
        const blocks = gateBlocks(v, units, gateOrder, labels);
        clear(box);
        box.append(h('div', { class: 'radius-title' }, 'Spectral radius ρ(W_h) = max |λ|: ρ > 1 tends to explode, ρ < 1 to vanish over long sequences.'));
        for (const b of blocks) {
          const row = h('div', { class: 'radius-row', 'data-gate': b.gate }, h('span', { class: 'gate' }, b.label), h('span', { class: 'fact-value' }, '…'), h('span', { class: 'muted' }, 'computing eigenvalues…'));
          box.append(row);
          await pause();
          try {
            const radius = spectralRadius(b.values, units);
            row.dataset.radius = String(radius);
            clear(row);
            row.append(h('span', { class: 'gate' }, b.label), h('span', { class: 'fact-value' }, `ρ = ${radius.toFixed(4)}`), h('span', { class: 'muted' }, radiusHint(radius)));
          } catch (e) {
            clear(row);
            row.append(h('span', { class: 'gate' }, b.label), h('span', { class: 'inline-error' }, `The spectral radius could not be computed: ${(e as Error).message}.`));
          }
        }
      })();
    }
  }
}
