// Statistics of a weight matrix for the weights view, and the gate blocks of recurrent kernels.

import { spectralRadius } from './eigen';
import type { CellDescription } from '../../extension/keras/layers/types';
import type { LayerSummary } from '../../extension/keras/summary';

export interface MatrixStats {
  rows: number;
  cols: number;
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation (divide by the count, as NumPy's default). */
  std: number;
  /** Frobenius norm √(Σ a²). */
  frobenius: number;
}

/** Min, max, mean, std and Frobenius norm of `values` read as rows×cols (a vector is 1×n). */
export function matrixStats(values: ArrayLike<number>, rows: number, cols: number): MatrixStats {
  const n = values.length;
  if (n === 0) return { rows, cols, min: NaN, max: NaN, mean: NaN, std: NaN, frobenius: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sumSq += v * v;
  }
  const mean = sum / n;
  // Second pass for the variance: stable when the mean is large compared with the spread.
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return { rows, cols, min, max, mean, std: Math.sqrt(ss / n), frobenius: Math.sqrt(sumSq) };
}

export interface GateBlock {
  /** Gate letter ('' for a cell with one block). */
  gate: string;
  label: string;
  /** The M×M block, row-major. */
  values: Float64Array;
}

/**
 * The names of a cell's kernel blocks in stored order: block k is the cell's k-th gate (the quantities that are not
 * states, in the description's order), e.g. 'f: forget gate'. Empty for a cell with one block.
 */
export function blockLabels(cell: Pick<CellDescription, 'gateOrder' | 'quantities'> | null | undefined): string[] {
  if (!cell || cell.gateOrder.length < 2) return [];
  const gates = cell.quantities.filter((q) => q.role !== 'state');
  return cell.gateOrder.split('').map((g, k) => (gates[k] ? `${g}: ${gates[k].label}` : g));
}

/** A layer's cell: its own, or (a wrapper such as Bidirectional) its first inner layer's. */
export function layerCell(layer: Pick<LayerSummary, 'cell' | 'children'>): CellDescription | undefined {
  return layer.cell ?? layer.children.find((c) => c.cell)?.cell;
}

/**
 * Split a recurrent kernel W_h (M × gates·M, row-major) into its M×M gate blocks in stored order (the cell's
 * gateOrder: LSTM i, f, c, o; GRU z, r, h; one block for SimpleRNN).
 */
export function gateBlocks(recurrentKernel: ArrayLike<number>, units: number, gateOrder: string, labels: readonly string[] = []): GateBlock[] {
  const gates = Math.max(1, gateOrder.length);
  const cols = gates * units;
  if (recurrentKernel.length !== units * cols) {
    throw new RangeError(`a recurrent kernel of ${units} units and ${gates} gate block(s) needs ${units * cols} values, got ${recurrentKernel.length}`);
  }
  const out: GateBlock[] = [];
  for (let g = 0; g < gates; g++) {
    const block = new Float64Array(units * units);
    for (let i = 0; i < units; i++) {
      for (let j = 0; j < units; j++) block[i * units + j] = recurrentKernel[i * cols + g * units + j];
    }
    const letter = gateOrder[g] ?? '';
    out.push({ gate: letter, label: labels[g] ?? (letter || 'W_h'), values: block });
  }
  return out;
}

export interface RadiusReport {
  gate: string;
  label: string;
  radius: number;
  /** One line a learner can act on. */
  hint: string;
}

/** Why ρ(W_h) matters, in one line. */
export function radiusHint(rho: number): string {
  if (!Number.isFinite(rho)) return 'The spectral radius could not be computed.';
  if (rho > 1.05) return `ρ = ${rho.toPrecision(4)} > 1: repeated multiplication by W_h grows the state, so gradients tend to explode over long sequences.`;
  if (rho < 0.95) return `ρ = ${rho.toPrecision(4)} < 1: repeated multiplication by W_h shrinks the state, so gradients tend to vanish over long sequences.`;
  return `ρ = ${rho.toPrecision(4)} ≈ 1: W_h neither grows nor shrinks the state much, the regime where long-range memory is possible.`;
}

/** Spectral radius of each gate block of W_h, with its hint. */
export function recurrentRadii(recurrentKernel: ArrayLike<number>, units: number, gateOrder: string, labels: readonly string[] = []): RadiusReport[] {
  return gateBlocks(recurrentKernel, units, gateOrder, labels).map((b) => {
    const radius = spectralRadius(b.values, units);
    return { gate: b.gate, label: b.label, radius, hint: radiusHint(radius) };
  });
}
