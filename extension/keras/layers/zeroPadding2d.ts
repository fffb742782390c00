// ZeroPadding2D: rows of zeros above and below each frame and columns of zeros left and right, channel by channel.
// Keras accepts padding as one number (all four sides), two (symmetric height, width) or two pairs
// ((top, bottom), (left, right)); Keras 2 and 3 store the pairs.

import { NotAKerasFileError, UnsupportedFeatureError } from '../errors';
import { checkDim } from '../limits';
import type { LayerNode } from '../model';
import type { Shape } from '../shapes';
import type { Tensor } from '../tensor';
import type { LayerKind } from './types';
import { configValue, oneInput, oneTensor, transpose } from './common';
import { channelsFirst, who } from './conv2d';
import { one, type NumpyEmitter } from './numpyEmit';

/** [[top, bottom], [left, right]], each a checked whole number from 0. */
function pads(layer: LayerNode): [[number, number], [number, number]] {
  const raw = configValue(layer, ['padding']) ?? [1, 1];
  const what = `The "padding" of ${who(layer)}`;
  const side = (v: unknown) => checkDim(v, what, { min: 0 });
  const pair = (v: unknown): [number, number] => {
    if (!Array.isArray(v)) return [side(v), side(v)];
    if (v.length !== 2) throw new NotAKerasFileError(`${what} has a pair of ${v.length} values where Keras stores 2: the file is damaged or crafted.`);
    return [side(v[0]), side(v[1])];
  };
  if (!Array.isArray(raw)) return [pair(raw), pair(raw)];
  if (raw.length !== 2) throw new NotAKerasFileError(`${what} has ${raw.length} entries where Keras stores 2 (height, width): the file is damaged or crafted.`);
  return [pair(raw[0]), pair(raw[1])];
}

function needsFrames(layer: LayerNode, rank: number): void {
  if (rank !== 4) throw new UnsupportedFeatureError(`${who(layer)} needs an N×H×W×C input (a batch of frames), got rank ${rank}.`);
}

const emit: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const first = channelsFirst(layer);
  const [[t, b], [l, r]] = pads(layer);
  const spatial = `(${t}, ${b}), (${l}, ${r})`;
  const all = first ? `(0, 0), (0, 0), ${spatial}` : `(0, 0), ${spatial}, (0, 0)`;
  cx.out.push(`${target} = np.pad(${one(layer, inputs)}, (${all}))  # zeros: ${t} rows above, ${b} below, ${l} columns left, ${r} right`);
  return { vars: [target], masks: ['None'] };
};

export const zeroPadding2d: LayerKind = {
  classNames: ['ZeroPadding2D'],
  keras1: { keys: { dim_ordering: 'data_format' } },
  letters: { C: 'channels per pixel' },
  python: { positional: ['padding', 'data_format'] },
  numpy: emit,
  outputShape(layer, inputs) {
    const shape = oneInput(layer, inputs);
    needsFrames(layer, shape.length);
    const [[t, b], [l, r]] = pads(layer);
    const grow = (d: number | null, by: number) => (d === null ? null : d + by);
    const first = channelsFirst(layer);
    const out: Shape = first
      ? [shape[0], shape[1], grow(shape[2], t + b), grow(shape[3], l + r)]
      : [shape[0], grow(shape[1], t + b), grow(shape[2], l + r), shape[3]];
    return { shapes: [out], letters: [first ? ['N', 'C', null, null] : ['N', null, null, 'C']] };
  },
  params() {
    return null;
  },
  forward(layer, inputs) {
    let x: Tensor = oneTensor(layer, inputs.tensors);
    needsFrames(layer, x.shape.length);
    const first = channelsFirst(layer);
    if (first) x = transpose(x, [0, 2, 3, 1]);
    const [N, H, W, C] = x.shape;
    const [[t, b], [l, r]] = pads(layer);
    const oh = H + t + b;
    const ow = W + l + r;
    const out = new Float64Array(N * oh * ow * C);
    for (let n = 0; n < N; n++) {
      for (let i = 0; i < H; i++) {
        // One input row lands, whole, at row i + t, column l of the padded frame.
        const src = ((n * H + i) * W) * C;
        out.set(x.data.subarray(src, src + W * C), ((n * oh + i + t) * ow + l) * C);
      }
    }
    let y: Tensor = { shape: [N, oh, ow, C], data: out };
    if (first) y = transpose(y, [0, 3, 1, 2]);
    return { tensors: [y], masks: [null] };
  },
};
