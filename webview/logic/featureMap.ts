// A cell whose state is a feature map (ConvLSTM: rows × cols × F per sample, channels last) is walked through with
// flat vectors; these helpers pick the walk's map-sized rows and cut one channel out of one for a heatmap.

import type { WalkRow } from '../../extension/keras/layers/types';

export interface MapRow {
  /** Index into the walk's rows. */
  index: number;
  label: string;
  /** The map's shape, channels last: [rows, cols, C] or [cols, C]. */
  shape: readonly number[];
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** True when a state of this shape is a feature map (more than one axis) rather than a vector of units. */
export function isMapState(stateShape: readonly number[]): boolean {
  return stateShape.length >= 2;
}

/** The rows of a walk that hold a whole map: state-sized rows (states, gates, sums) and the input when it is a map too. */
export function mapRows(rows: readonly WalkRow[], stateShape: readonly number[], inputShape: readonly number[]): MapRow[] {
  if (!isMapState(stateShape)) return [];
  const out: MapRow[] = [];
  rows.forEach((r, index) => {
    if (r.values.length === size(stateShape)) out.push({ index, label: r.label, shape: stateShape });
    else if (isMapState(inputShape) && r.values.length === size(inputShape)) out.push({ index, label: r.label, shape: inputShape });
  });
  return out;
}

/** One channel of a channels-last map as a rows × cols grid (a 1-D map is one row). */
export function channelGrid(values: ArrayLike<number>, shape: readonly number[], channel: number): { rows: number; cols: number; data: Float64Array } {
  const C = shape[shape.length - 1];
  const cols = shape[shape.length - 2];
  const rows = shape.length >= 3 ? size(shape.slice(0, -2)) : 1;
  if (channel < 0 || channel >= C) throw new RangeError(`channel ${channel} is outside 0..${C - 1}`);
  if (values.length !== rows * cols * C) throw new RangeError(`a map of shape (${shape.join(', ')}) needs ${rows * cols * C} values, got ${values.length}`);
  const data = new Float64Array(rows * cols);
  for (let p = 0; p < rows * cols; p++) data[p] = values[p * C + channel];
  return { rows, cols, data };
}
