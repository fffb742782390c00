// GlobalAveragePooling2D/3D and GlobalMaxPooling2D/3D: one number per channel over every pixel of a frame (or cell
// of a volume). keepdims keeps the spatial axes with size 1, as Keras does. No mask in, none out.

import { UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { DimLetter, Shape } from '../shapes';
import type { Tensor } from '../tensor';
import type { LayerKind } from './types';
import { configFlag, oneInput, oneTensor, transpose } from './common';
import { channelsFirst, who } from './conv2d';
import { one, type NumpyEmitter } from './numpyEmit';

const rankOf = (layer: LayerNode): 2 | 3 => (layer.className.endsWith('3D') ? 3 : 2);

function needsRank(layer: LayerNode, rank: number): void {
  const r = rankOf(layer);
  if (rank !== r + 2) {
    const want = r === 2 ? 'N×H×W×C (a batch of frames)' : 'N×D1×D2×D3×C (a batch of volumes)';
    throw new UnsupportedFeatureError(`${who(layer)} needs an ${want} input, got rank ${rank}.`);
  }
}

const emit: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const first = channelsFirst(layer);
  const r = rankOf(layer);
  // The spatial axes: 1..r for channels_last, 2..r+1 for channels_first.
  const axes = Array.from({ length: r }, (_, i) => i + (first ? 2 : 1)).join(', ');
  const keep = configFlag(layer, ['keepdims'], false) ? ', keepdims=True' : '';
  const op = layer.className.includes('Max') ? 'max' : 'mean';
  cx.out.push(`${target} = ${one(layer, inputs)}.${op}(axis=(${axes})${keep})  # one number per channel over all ${r === 2 ? 'pixels' : 'cells'}`);
  return { vars: [target], masks: ['None'] };
};

export const globalPooling2d: LayerKind = {
  classNames: [
    'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'GlobalAvgPool2D', 'GlobalMaxPool2D',
    'GlobalAveragePooling3D', 'GlobalMaxPooling3D', 'GlobalAvgPool3D', 'GlobalMaxPool3D',
  ],
  keras1: { keys: { dim_ordering: 'data_format' } },
  letters: { C: 'channels per pixel' },
  python: { positional: ['data_format', 'keepdims'] },
  numpy: emit,
  outputShape(layer, inputs) {
    const shape = oneInput(layer, inputs);
    needsRank(layer, shape.length);
    const first = channelsFirst(layer);
    const C = first ? shape[1] : shape[shape.length - 1];
    const ones = Array.from({ length: rankOf(layer) }, () => 1);
    const nulls = ones.map((): DimLetter => null);
    if (!configFlag(layer, ['keepdims'], false)) return { shapes: [[shape[0], C]], letters: [['N', 'C']] };
    const out: Shape = first ? [shape[0], C, ...ones] : [shape[0], ...ones, C];
    return { shapes: [out], letters: [first ? ['N', 'C', ...nulls] : ['N', ...nulls, 'C']] };
  },
  params() {
    return null;
  },
  forward(layer, inputs) {
    let x: Tensor = oneTensor(layer, inputs.tensors);
    needsRank(layer, x.shape.length);
    const r = x.shape.length;
    const first = channelsFirst(layer);
    if (first) x = transpose(x, [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1]);
    const N = x.shape[0];
    const C = x.shape[r - 1];
    const cells = x.shape.slice(1, -1).reduce((a, b) => a * b, 1);
    const isMax = layer.className.includes('Max');
    const out = new Float64Array(N * C);
    for (let n = 0; n < N; n++) {
      for (let c = 0; c < C; c++) {
        let acc = isMax ? -Infinity : 0;
        for (let p = 0; p < cells; p++) {
          const v = x.data[(n * cells + p) * C + c];
          if (isMax) {
            if (v > acc || Number.isNaN(v)) acc = v;
          } else acc += v;
        }
        out[n * C + c] = isMax ? acc : acc / cells;
      }
    }
    const ones = Array.from({ length: r - 2 }, () => 1);
    const shape = !configFlag(layer, ['keepdims'], false) ? [N, C] : first ? [N, C, ...ones] : [N, ...ones, C];
    return { tensors: [{ shape, data: out }], masks: [null] };
  },
};
