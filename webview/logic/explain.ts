// The explanations shown when hovering a layer's shape or parameter count: the formula with this
// layer's numbers, the weight shapes, and what each letter means. Built only from the summary
// (paramsFormula / formula), so the panel says exactly what the tree tooltips say.

import type { LayerSummary, ModelSummary, WeightSummary } from '../../extension/keras/summary';
import { widthMeanings } from '../../extension/keras/inputWidth';
import { LETTER_MEANING, type DimLetter } from '../../extension/keras/shapes';
import { fmtCount } from './format';
import { blockLabels, layerCell } from './stats';

function shapeText(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

/** Lines explaining a layer's parameter count. */
export function explainParams(layer: LayerSummary, model?: ModelSummary): string[] {
  const lines: string[] = [];
  const f = layer.formula;
  if (f) {
    lines.push(`${layer.className}: ${f.formula}`);
    lines.push(`= ${f.substituted}`);
    const letters = Object.entries(f.letters);
    if (letters.length) {
      // The input width is named by where it came from (a Dense after an RNN: that RNN's M), as in the tree tooltip.
      const widths = widthMeanings(layer, model);
      const meaning = (k: string) => {
        const m = widths[k];
        if (!m) return `(${LETTER_MEANING[k as Exclude<DimLetter, null>] ?? k})`;
        return m.startsWith('(') ? m : `(${m.replace(' (', ': ').replace(/\)$/, '')})`;
      };
      lines.push(letters.map(([k, v]) => `${k} = ${v} ${meaning(k)}`).join(', '));
    }
    for (const t of f.terms) lines.push(`${t.name}: ${shapeText(t.shape)} = ${fmtCount(t.count)}${t.trainable ? '' : ' (non-trainable)'}`);
    if (f.nonTrainable > 0) lines.push(`trainable ${fmtCount(f.trainable)}, non-trainable ${fmtCount(f.nonTrainable)}`);
    if (f.note) lines.push(f.note);
  } else if (layer.paramsFormula) {
    lines.push(layer.paramsFormula);
  } else if (layer.params === 0) {
    lines.push(`${layer.className} has no weights: 0 parameters.`);
  } else {
    lines.push(`${fmtCount(layer.params)} parameters.`);
  }
  if (!f && layer.weights.length) for (const w of layer.weights) lines.push(weightLine(w));
  return lines;
}

export function weightLine(w: WeightSummary): string {
  return `${w.name}: ${shapeText(w.shape)} = ${fmtCount(w.count)}${w.trainable ? '' : ' (non-trainable)'}`;
}

/** Lines explaining an annotated output shape `(N, T, M) = (None, 10, 5)`. */
export function explainShape(layer: LayerSummary): string[] {
  const lines = [`Output shape ${layer.outputShapeText}`];
  const seen = new Set<string>();
  for (const l of layer.outputLetters ?? []) {
    if (!l || seen.has(l)) continue;
    seen.add(l);
    lines.push(`${l}: ${LETTER_MEANING[l]}`);
  }
  if (layer.outputShape && !Array.isArray(layer.outputShape[0]) && (layer.outputShape as unknown[])[0] === null) {
    lines.push('None: decided when the model runs (the batch size N, or a free T).');
  }
  for (const n of layer.notes) lines.push(n);
  return lines;
}

/** What a recurrent weight does in its cell's step (kernel, recurrent_kernel, bias), from the cell's description. */
export function explainWeight(layer: Pick<LayerSummary, 'cell' | 'children'>, w: WeightSummary): string[] {
  const lines = [weightLine(w), w.path];
  const cell = layerCell(layer);
  if (!cell) return lines;
  const labels = blockLabels(cell);
  const blocks = labels.length ? `; its last axis holds ${labels.length} blocks in this order: ${labels.join(', ')}` : '';
  const G = labels.length ? `${labels.length}·` : '';
  const conv = cell.product === 'conv';
  if (w.name.includes('recurrent_kernel')) {
    lines.push(conv ? `U: convolved with h_{t-1} (stride 1, same padding)${blocks}` : `W_h: M×${G}M, multiplies h_{t-1}${blocks}`);
  } else if (w.name.includes('kernel')) {
    lines.push(conv ? `W: convolved with x_t${blocks}` : `W_x: D×${G}M, multiplies x_t${blocks}`);
  } else if (w.name.includes('bias')) {
    lines.push(w.shape.length === 2 ? 'Row 0 is the input bias, row 1 the recurrent bias: the recurrent part keeps its own (one more bias per gate).' : `b: added to every step's pre-activation${blocks}`);
  }
  return lines;
}
