// MaxPooling2D/3D and AveragePooling2D/3D over frames (H×W) or volumes (D1×D2×D3, e.g. T×H×W after ConvLSTM2D):
// windows of pool_size cells every `strides` cells on each axis, channel by channel. "same" pads like TensorFlow
// (the odd extra cell at the end); padded cells never win a max and are left out of an average's count, as
// Keras's backends do (they divide by the number of real cells in each window).

import { UnsupportedFeatureError } from '../errors';
import type { LayerNode } from '../model';
import type { DimLetter, Shape } from '../shapes';
import type { Tensor } from '../tensor';
import type { LayerKind } from './types';
import { configValue, oneInput, oneTensor, transpose } from './common';
import { channelsFirst, checkWindowFits, checkWindowWork, configInts, paddingMode, who, windowOutput, windowPads, type WindowAxis } from './conv2d';
import { one, pyInt, type NumpyEmitter } from './numpyEmit';

interface PoolSettings {
  rank: 2 | 3;
  axes: WindowAxis[];
  padding: 'valid' | 'same';
  channelsFirst: boolean;
  isMax: boolean;
}

function rankOf(layer: LayerNode): 2 | 3 {
  return layer.className.endsWith('3D') ? 3 : 2;
}

function settings(layer: LayerNode): PoolSettings {
  const rank = rankOf(layer);
  const size = configInts(layer, ['pool_size'], rank, rank === 2 ? [2, 2] : [2, 2, 2]);
  // strides=None means strides=pool_size in every Keras version.
  const strideRaw = configValue(layer, ['strides']);
  const strides = strideRaw === null || strideRaw === undefined ? size : configInts(layer, ['strides'], rank);
  return {
    rank,
    axes: size.map((k, i) => ({ k, stride: strides[i], dilation: 1 })),
    padding: paddingMode(layer),
    channelsFirst: channelsFirst(layer),
    isMax: layer.className.startsWith('Max'),
  };
}

const AXIS_NAMES: Record<2 | 3, string[]> = { 2: ['height', 'width'], 3: ['axis 1', 'axis 2', 'axis 3'] };

function needsRank(layer: LayerNode, rank: number, s: PoolSettings): void {
  if (rank !== s.rank + 2) {
    const want = s.rank === 2 ? 'N×H×W×C (a batch of frames)' : 'N×D1×D2×D3×C (a batch of volumes)';
    throw new UnsupportedFeatureError(`${who(layer)} needs an ${want} input, got rank ${rank}.`);
  }
}

/** The Python the NumPy export writes: each output cell is the max or mean of the real cells of its window. */
const RUN_POOL_ND = `def run_pool_nd(x, size, strides, padding, kind):
    """Max or average pooling over the middle axes of x (N×...×C): a window of size cells every strides cells.
    'same' pads so that each out = ceil(in / stride), the odd extra cell at the end; padded cells never win a max
    and an average counts only the real cells of its window, as Keras does."""
    ranges = []
    for L, k, s in zip(x.shape[1:-1], size, strides):
        out = -(-L // s) if padding == 'same' else (L - k) // s + 1
        left = max((out - 1) * s + k - L, 0) // 2 if padding == 'same' else 0
        ranges.append([(max(o * s - left, 0), min(o * s - left + k, L)) for o in range(out)])
    y = np.zeros((x.shape[0],) + tuple(len(r) for r in ranges) + (x.shape[-1],))
    axes = tuple(range(1, 1 + len(ranges)))
    for idx in np.ndindex(*[len(r) for r in ranges]):
        window = x[(slice(None),) + tuple(slice(*ranges[a][i]) for a, i in enumerate(idx))]
        y[(slice(None),) + idx] = window.max(axis=axes) if kind == 'max' else window.mean(axis=axes)
    return y`;

const emit: NumpyEmitter = (layer, _call, inputs, cx, target) => {
  const s = settings(layer);
  const int = (v: number) => pyInt(v, 'a size', layer.name);
  let x = one(layer, inputs);
  if (s.channelsFirst) {
    cx.out.push(`${target}__x = np.moveaxis(${x}, 1, -1)  # channels_first viewed as channels_last`);
    x = `${target}__x`;
  }
  cx.helpers.add('run_pool_nd');
  const tuple = (xs: number[]) => `(${xs.map(int).join(', ')})`;
  const kind = s.isMax ? 'max' : 'average';
  cx.out.push(`${target} = run_pool_nd(${x}, size=${tuple(s.axes.map((a) => a.k))}, strides=${tuple(s.axes.map((a) => a.stride))}, padding='${s.padding}', kind='${kind}')`);
  if (s.channelsFirst) cx.out.push(`${target} = np.moveaxis(${target}, -1, 1)  # back to channels_first`);
  return { vars: [target], masks: ['None'] };
};

export const spatialPooling: LayerKind = {
  classNames: ['MaxPooling2D', 'AveragePooling2D', 'MaxPool2D', 'AvgPool2D', 'MaxPooling3D', 'AveragePooling3D', 'MaxPool3D', 'AvgPool3D'],
  keras1: { keys: { border_mode: 'padding', dim_ordering: 'data_format' } },
  letters: { H: 'frame height (rows)', W: 'frame width (columns)', C: 'channels per pixel' },
  python: { positional: ['pool_size', 'strides', 'padding', 'data_format'] },
  numpy: emit,
  numpyHelpers: { run_pool_nd: RUN_POOL_ND },
  outputShape(layer, inputs) {
    const shape = oneInput(layer, inputs);
    const s = settings(layer);
    needsRank(layer, shape.length, s);
    const spatial = s.channelsFirst ? shape.slice(2) : shape.slice(1, -1);
    checkWindowFits(layer, spatial, s.axes, s.padding, AXIS_NAMES[s.rank]);
    const out = windowOutput(spatial, s.axes, s.padding);
    const frameLetters: DimLetter[] = s.rank === 2 ? ['H', 'W'] : [null, null, null];
    const kept = out.map((_, i): DimLetter => (s.axes[i].k === 1 && s.axes[i].stride === 1 ? frameLetters[i] : null));
    if (s.channelsFirst) return { shapes: [[shape[0], shape[1], ...out]], letters: [['N', 'C', ...kept]] };
    return { shapes: [[shape[0], ...out, shape[shape.length - 1]] as Shape], letters: [['N', ...kept, 'C']] };
  },
  params() {
    return null;
  },
  forward(layer, inputs, ctx) {
    const s = settings(layer);
    let x: Tensor = oneTensor(layer, inputs.tensors);
    needsRank(layer, x.shape.length, s);
    const r = x.shape.length;
    if (s.channelsFirst) x = transpose(x, [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1]);
    const N = x.shape[0];
    const C = x.shape[r - 1];
    const spatialIn = x.shape.slice(1, -1);
    checkWindowFits(layer, spatialIn, s.axes, s.padding, AXIS_NAMES[s.rank]);
    const outIn = windowOutput(spatialIn, s.axes, s.padding) as number[];
    const padsIn = windowPads(spatialIn, s.axes, s.padding);
    // A 2-D pool is a 3-D pool whose first axis has size 1, window 1, stride 1.
    const lift = <T>(a: T[], one: T): T[] => (s.rank === 2 ? [one, ...a] : a);
    const [A, B, D] = lift(spatialIn, 1);
    const [oa, ob, od] = lift(outIn, 1);
    const [pa, pb, pd] = lift(padsIn, 0);
    const [ax, bx, dx] = lift(s.axes, { k: 1, stride: 1, dilation: 1 });
    const cells = Math.min(ax.k, A) * Math.min(bx.k, B) * Math.min(dx.k, D);
    checkWindowWork(layer, cells, cells * N * oa * ob * od * C);
    const out = new Float64Array(N * oa * ob * od * C);
    const acc = new Float64Array(C);
    for (let n = 0; n < N; n++) {
      ctx.checkCancelled();
      for (let i = 0; i < oa; i++) {
        const a0 = Math.max(0, i * ax.stride - pa);
        const a1 = Math.min(A, i * ax.stride - pa + ax.k);
        for (let j = 0; j < ob; j++) {
          const b0 = Math.max(0, j * bx.stride - pb);
          const b1 = Math.min(B, j * bx.stride - pb + bx.k);
          for (let l = 0; l < od; l++) {
            const d0 = Math.max(0, l * dx.stride - pd);
            const d1 = Math.min(D, l * dx.stride - pd + dx.k);
            acc.fill(s.isMax ? -Infinity : 0);
            for (let u = a0; u < a1; u++) {
              for (let v = b0; v < b1; v++) {
                for (let w = d0; w < d1; w++) {
                  const xo = (((n * A + u) * B + v) * D + w) * C;
                  for (let c = 0; c < C; c++) {
                    const val = x.data[xo + c];
                    if (s.isMax) {
                      if (val > acc[c] || Number.isNaN(val)) acc[c] = val;
                    } else acc[c] += val;
                  }
                }
              }
            }
            // Only real cells count: "same" windows at the edge hold fewer.
            const count = (a1 - a0) * (b1 - b0) * (d1 - d0);
            const yo = (((n * oa + i) * ob + j) * od + l) * C;
            for (let c = 0; c < C; c++) out[yo + c] = s.isMax ? acc[c] : acc[c] / count;
          }
        }
      }
    }
    let y: Tensor = { shape: [N, ...outIn, C], data: out };
    if (s.channelsFirst) y = transpose(y, [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)]);
    return { tensors: [y], masks: [null] };
  },
};
