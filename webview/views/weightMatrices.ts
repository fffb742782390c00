// The step equation's weights as numbers: W_x, W_h and b of the layer as scrollable (virtualised) matrices, and
// any vector of the step, each with "Copy as np.array". An expandable block at the foot of the equation box
// (equation.ts appends it); results.ts attaches the layer's weights to the walk-through it shows.

import type { CellWeights } from '../../extension/keras/layers/types';
import type { Walkthrough } from '../logic/stepMath';
import { h } from '../dom';
import { dropdown } from '../toolkit';
import { fmt } from '../logic/format';
import { copyArrayButton } from '../logic/npArray';
import { MatrixTable } from './matrixTable';
import { adoptNotebookStyle } from './notebookStyle';

/** The weights behind a walk-through, set by whoever computed it (the walk-through itself does not keep them). */
const weightsOf = new WeakMap<Walkthrough, CellWeights>();

export function attachWeights(w: Walkthrough, weights: CellWeights): void {
  weightsOf.set(w, weights);
}

/** The symbol each stored tensor has in the step equations. */
const SYMBOL: Record<string, string> = { kernel: 'W_x', recurrent_kernel: 'W_h', bias: 'b' };
const ORDER = ['kernel', 'recurrent_kernel', 'bias'];

/** Whether the block is open: kept across steps and re-renders, as a reader leaves it. */
let open = false;
/** The vector picked for copying, by label. */
let pickedVector = '';

/** A stored tensor as rows × columns: the last axis across, every other axis down (a 1-D bias is one row). */
function asMatrix(shape: number[]): { rows: number; cols: number } {
  const cols = shape.length ? shape[shape.length - 1] : 1;
  return { rows: Math.max(1, shape.slice(0, -1).reduce((a, b) => a * b, 1)), cols };
}

/** The block for a walk-through (none when no weights were attached), as a list to spread into the box's sections. */
export function weightMatricesSection(w: Walkthrough): HTMLElement[] {
  const weights = weightsOf.get(w);
  if (!weights) return [];
  adoptNotebookStyle();
  const names = Object.keys(weights.tensors).sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
  const label = names.map((n) => `${SYMBOL[n] ?? n} (${weights.tensors[n].shape.join('×')})`).join(', ');
  const block = h('details', { class: 'weight-matrices', 'data-testid': 'weight-matrices' });
  block.open = open;
  block.append(h('summary', {}, `The numbers: ${label}, and this step's vectors`));
  let built = false;
  const build = () => {
    if (built) return;
    built = true;
    for (const n of names) {
      const t = weights.tensors[n];
      const { rows, cols } = asMatrix(t.shape);
      const sym = SYMBOL[n] ?? n;
      const table = new MatrixTable({
        rows,
        cols,
        value: (r, c) => t.values[r * cols + c],
        rowHeader: t.shape.length > 1 ? 'row' : '',
        rowLabel: (r) => String(r),
        colLabel: (c) => String(c),
        format: (v) => fmt(v, 6),
        ariaLabel: `${sym}, stored as ${n}: ${t.shape.join(' by ')}`,
        testid: 'weight-matrix',
        height: 200,
        colWidth: 88,
      });
      table.el.querySelector('table')?.setAttribute('data-weight', n);
      block.append(
        h(
          'div',
          { class: 'wm-item', 'data-testid': 'weight-matrix-item', 'data-weight': n, 'data-symbol': sym },
          h('div', { class: 'wm-head' }, h('code', {}, sym), h('span', { class: 'muted' }, `${n}, ${t.shape.join('×')}`), copyArrayButton(() => ({ values: t.values, shape: t.shape, dtype: 'float32' }), { what: sym, testid: 'copy-np-matrix' })),
          table.el,
        ),
      );
    }
    // Any vector of the step (x_t, h_{t-1}, a gate, h_t ...) at full precision.
    if (w.rows.length) {
      const rowName = (i: number) => (w.rows[i].group ? `${w.rows[i].label} (${w.rows[i].group})` : w.rows[i].label);
      let pick = Math.max(0, w.rows.findIndex((r, i) => rowName(i) === pickedVector));
      if (!pickedVector) pick = w.rows.length - 1;
      const dd = dropdown(w.rows.map((_, i) => ({ value: String(i), label: rowName(i) })), String(pick), (v) => {
        pick = Number(v);
        pickedVector = rowName(pick);
      }, { testid: 'copy-vector-pick', ariaLabel: 'Vector to copy' });
      block.append(
        h(
          'div',
          { class: 'wm-item wm-head' },
          h('label', { class: 'field' }, h('span', {}, 'Vector'), dd.el),
          copyArrayButton(() => ({ values: w.rows[pick].values, shape: [w.rows[pick].values.length], dtype: 'float64' }), { what: 'the vector', testid: 'copy-np-vector' }),
        ),
      );
    }
  };
  block.addEventListener('toggle', () => {
    open = block.open;
    if (block.open) build();
  });
  if (open) build();
  return [block];
}
