// The frame layers CRNNs use (Conv2D, Max/AveragePooling2D and 3D, global 2-D pooling, ZeroPadding2D, UpSampling1D):
// values against TensorFlow.js core ops (tf.conv2d, tf.maxPool, tf.avgPool, tf.maxPool3d, tf.avgPool3d, tf.pad) on
// seeded float32 inputs across padding/stride/dilation combinations, a few hand computations from Keras's own rules
// ("same" puts the odd pad at the end; an average counts only real cells), the refusals of impossible configs, and
// the real Keras 3.0.5 CRNN file against the independent reference output and its catalog parameter count.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { conv2d } from '../../extension/keras/layers/conv2d';
import { spatialPooling } from '../../extension/keras/layers/spatialPooling';
import { globalPooling2d } from '../../extension/keras/layers/globalPooling2d';
import { zeroPadding2d } from '../../extension/keras/layers/zeroPadding2d';
import { upSampling1d } from '../../extension/keras/layers/upSampling1d';
import type { LayerKind, LayerOutput } from '../../extension/keras/layers/types';
import type { LayerNode } from '../../extension/keras/model';
import type { Tensor } from '../../extension/keras/tensor';
import { InspectorError } from '../../extension/keras/errors';
import { loadModel } from '../../extension/keras/documentNode';
import { runForward } from '../../extension/keras/forward';
import { fromJsonValue, prepareInputs } from '../../extension/keras/inputs';
import { summarize } from '../../extension/keras/summary';
import { exportNumpy } from '../../extension/keras/numpyExport';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';
import { fromTf, tf, tfReady, toTf } from './helpers/tfjs';
import { sequentialDoc } from './helpers/modelDoc';
import { NO_NUMPY_REASON, PYTHON_WITH_NUMPY } from './helpers/python';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

before(tfReady);

/** Seeded values that are exact float32 numbers, so tfjs (float32) and we (float64) start from the same input. */
function f32Tensor(shape: number[], seed: number, lo = -2, hi = 2): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return t(shape, Float32Array.from(randomArray(n, seeded(seed), lo, hi)));
}

function run(kind: LayerKind, layer: LayerNode, x: Tensor): Tensor {
  return (kind.forward(layer, { tensors: [x], masks: [null] }, ctx()) as LayerOutput).tensors[0];
}

/** tfjs sums in float32: allow its rounding over a window of `terms` products. */
const f32Tol = (terms: number) => 1e-6 * Math.max(1, Math.sqrt(terms)) * 4;

/** A sentence from a typed error, naming the layer, on one line. */
function refusal(fn: () => unknown, layerName: string): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InspectorError, `a typed error, got ${String(e)}`);
    assert.match(e.message, new RegExp(`"${layerName}"`));
    assert.ok(!e.message.includes('\n'), 'one line');
    return e.message;
  }
  assert.fail('expected a refusal');
}

describe('Conv2D', () => {
  const combos: { k: [number, number]; s: [number, number]; d: [number, number]; padding: 'valid' | 'same' }[] = [
    { k: [3, 3], s: [1, 1], d: [1, 1], padding: 'valid' },
    { k: [3, 3], s: [1, 1], d: [1, 1], padding: 'same' },
    { k: [2, 2], s: [1, 1], d: [1, 1], padding: 'same' }, // even window: "same" pads 0 before, 1 after
    { k: [3, 2], s: [2, 2], d: [1, 1], padding: 'same' },
    { k: [4, 3], s: [2, 3], d: [1, 1], padding: 'same' },
    { k: [3, 3], s: [2, 1], d: [1, 1], padding: 'valid' },
    { k: [3, 2], s: [1, 1], d: [2, 2], padding: 'valid' },
    { k: [3, 3], s: [1, 1], d: [2, 3], padding: 'same' },
    { k: [1, 1], s: [3, 2], d: [1, 1], padding: 'valid' },
    { k: [5, 5], s: [1, 1], d: [1, 1], padding: 'same' }, // window larger than half the frame
    { k: [9, 8], s: [1, 1], d: [1, 1], padding: 'same' }, // window larger than the whole 7×6 frame
    { k: [3, 3], s: [1, 1], d: [4, 5], padding: 'same' }, // dilated taps that mostly land in the padding
    { k: [6, 6], s: [3, 2], d: [1, 1], padding: 'same' },
  ];
  combos.forEach((c, ci) => {
    it(`kernel ${c.k} strides ${c.s} dilation ${c.d} ${c.padding} equals tf.conv2d (+ bias, relu)`, () => {
      const [N, H, W, C, F] = [2, 7, 6, 3, 4];
      const x = f32Tensor([N, H, W, C], 100 + ci);
      const kernel = Float32Array.from(randomArray(c.k[0] * c.k[1] * C * F, seeded(200 + ci), -0.7, 0.7));
      const bias = Float32Array.from(randomArray(F, seeded(300 + ci), -0.3, 0.3));
      const l = layerNode(
        'Conv2D',
        { filters: F, kernel_size: c.k, strides: c.s, dilation_rate: c.d, padding: c.padding, data_format: 'channels_last', activation: 'relu', use_bias: true, groups: 1 },
        { weights: [weightRef('kernel', [c.k[0], c.k[1], C, F], kernel), weightRef('bias', [F], bias)] },
      );
      const ours = run(conv2d, l, x);
      const theirs = fromTf(
        tf.tidy(() => tf.relu(tf.add(tf.conv2d(toTf(x) as tf.Tensor4D, tf.tensor4d(kernel, [c.k[0], c.k[1], C, F]), c.s, c.padding, 'NHWC', c.d), tf.tensor1d(bias)))),
      );
      assert.deepEqual(ours.shape, theirs.shape);
      assert.deepEqual(conv2d.outputShape(l, [[null, H, W, C]], env()).shapes[0], [null, ...theirs.shape.slice(1)]);
      assertClose(ours.data, theirs.data, f32Tol(c.k[0] * c.k[1] * C), 1e-6);
    });
  });

  it('groups=2 equals two tf.conv2d on the channel halves, concatenated', () => {
    const [N, H, W, C, F, G] = [1, 5, 5, 4, 6, 2];
    const x = f32Tensor([N, H, W, C], 7);
    const kernel = Float32Array.from(randomArray(3 * 3 * (C / G) * F, seeded(8), -0.7, 0.7));
    const l = layerNode('Conv2D', { filters: F, kernel_size: [3, 3], padding: 'same', groups: G, use_bias: false }, { weights: [weightRef('kernel', [3, 3, C / G, F], kernel)] });
    const ours = run(conv2d, l, x);
    const theirs = fromTf(
      tf.tidy(() => {
        const xs = tf.split(toTf(x) as tf.Tensor4D, G, 3);
        const ks = tf.split(tf.tensor4d(kernel, [3, 3, C / G, F]), G, 3);
        return tf.concat(xs.map((xi, g) => tf.conv2d(xi as tf.Tensor4D, ks[g] as tf.Tensor4D, 1, 'same')), 3);
      }),
    );
    assertClose(ours.data, theirs.data, f32Tol(18), 1e-6);
    assert.equal(conv2d.params(l, [[null, H, W, C]], env())!.total, 3 * 3 * 2 * 6);
  });

  it('channels_first is channels_last viewed through a transpose', () => {
    const x = f32Tensor([2, 6, 5, 3], 9);
    const kernel = Float32Array.from(randomArray(3 * 2 * 3 * 4, seeded(10)));
    const w = [weightRef('kernel', [3, 2, 3, 4], kernel), weightRef('bias', [4], [0.1, -0.2, 0.3, 0])];
    const last = run(conv2d, layerNode('Conv2D', { filters: 4, kernel_size: [3, 2], strides: [2, 1], padding: 'same' }, { weights: w }), x);
    const xFirst = fromTf(tf.tidy(() => tf.transpose(toTf(x), [0, 3, 1, 2])));
    const firstLayer = layerNode('Conv2D', { filters: 4, kernel_size: [3, 2], strides: [2, 1], padding: 'same', data_format: 'channels_first' }, { weights: w });
    const first = run(conv2d, firstLayer, xFirst);
    const back = fromTf(tf.tidy(() => tf.transpose(toTf(first), [0, 2, 3, 1])));
    assert.deepEqual(conv2d.outputShape(firstLayer, [[null, 3, 6, 5]], env()).shapes[0], [null, 4, 3, 5]);
    assertClose(back.data, last.data, 1e-6, 1e-6);
  });

  it('reads Keras 1 spellings (nb_filter, nb_row, nb_col, subsample, border_mode, dim_ordering "tf") as Keras 2 ones', () => {
    const x = f32Tensor([1, 6, 5, 2], 11);
    const w = [weightRef('kernel', [3, 2, 2, 3], randomArray(36, seeded(12))), weightRef('bias', [3], [0.5, 0, -0.5])];
    const k1 = layerNode('Conv2D', { nb_filter: 3, nb_row: 3, nb_col: 2, subsample: [2, 1], border_mode: 'same', dim_ordering: 'tf', activation: 'relu' }, { weights: w });
    const k2 = layerNode('Conv2D', { filters: 3, kernel_size: [3, 2], strides: [2, 1], padding: 'same', data_format: 'channels_last', activation: 'relu' }, { weights: w });
    assert.deepEqual(conv2d.outputShape(k1, [[null, 6, 5, 2]], env(1)), conv2d.outputShape(k2, [[null, 6, 5, 2]], env()));
    assert.deepEqual([...(conv2d.forward(k1, { tensors: [x], masks: [null] }, ctx(1)) as LayerOutput).tensors[0].data], [...run(conv2d, k2, x).data]);
    assert.deepEqual(conv2d.keras1?.classNames, ['Convolution2D', 'AtrousConvolution2D']);
  });

  it('"same" with an even window pads the extra row at the bottom (hand computation)', () => {
    // 3×1 frame [1, 2, 3], window 2×1 of ones: Keras/TF pad 0 above and 1 below → [1+2, 2+3, 3+0].
    const l = layerNode('Conv2D', { filters: 1, kernel_size: [2, 1], padding: 'same', use_bias: false }, { weights: [weightRef('kernel', [2, 1, 1, 1], [1, 1])] });
    assert.deepEqual([...run(conv2d, l, t([1, 3, 1, 1], [1, 2, 3])).data], [3, 5, 3]);
  });

  it('a "same" window far larger than the frame costs only the taps inside it (a crafted 100,001-row kernel on 300×300)', () => {
    const kh = 100_001;
    const [H, W] = [300, 300];
    const K = Float32Array.from({ length: kh }, (_, i) => (i % 7) - 3);
    const x = t([1, H, W, 1], Float32Array.from({ length: H * W }, (_, i) => ((i * 13) % 11) - 5));
    const l = layerNode('Conv2D', { filters: 1, kernel_size: [kh, 1], padding: 'same', use_bias: false }, { weights: [weightRef('kernel', [kh, 1, 1, 1], K)] });
    const started = Date.now();
    const y = run(conv2d, l, x);
    assert.ok(Date.now() - started < 20_000, 'bounded by the frame, not the window');
    // TF "same": pad above = floor((H - 1 + kh - H) / 2) = 50,000, so y[r, c] = Σ_ih x[ih, c]·K[50,000 − r + ih].
    for (const [r, c] of [[0, 0], [150, 7], [299, 299]]) {
      let want = 0;
      for (let ih = 0; ih < H; ih++) want += x.data[ih * W + c] * K[50_000 - r + ih];
      assert.equal(y.data[r * W + c], want);
    }
  });

  it('refuses windows so large that the sums would run for hours, naming the layer (pooling and Conv2D)', () => {
    // A 1500×1500 "same" max pool with stride 1 over a 1500×1500 frame: every output reads all 2.25·10^6 cells.
    const big = { shape: [1, 1500, 1500, 1], data: new Float64Array(2.25e6) };
    const pool = layerNode('MaxPooling2D', { name: 'pool_huge', pool_size: [1500, 1500], strides: [1, 1], padding: 'same' });
    assert.match(refusal(() => run(spatialPooling, pool, big), 'pool_huge'), /5\.1e\+12 operations.*2,250,000 cells/);
    const convBig = layerNode('Conv2D', { name: 'conv_huge', filters: 1, kernel_size: [1500, 1500], padding: 'same', use_bias: false }, {
      weights: [weightRef('kernel', [1500, 1500, 1, 1], new Float32Array(2.25e6))],
    });
    assert.match(refusal(() => run(conv2d, convBig, big), 'conv_huge'), /operations/);
    // Large but real work with small windows still runs: 3×3 over 512 channels is 4,608 cells per output, 9 per window.
    const wide = layerNode('Conv2D', { filters: 2, kernel_size: [3, 3], padding: 'same', use_bias: false }, { weights: [weightRef('kernel', [3, 3, 512, 2], new Float32Array(9216))] });
    assert.deepEqual(run(conv2d, wide, { shape: [1, 4, 4, 512], data: new Float64Array(8192) }).shape, [1, 4, 4, 2]);
  });

  it('parameter formula kh·kw·C·F + F, filled in (Keras: 3·3·3·16 + 16 = 448)', () => {
    const l = layerNode('Conv2D', { filters: 16, kernel_size: [3, 3], padding: 'same' });
    const f = conv2d.params(l, [[null, 64, 64, 3]], env())!;
    assert.equal(f.formula, 'kh·kw·C·F + F');
    assert.equal(f.substituted, '3·3·3·16 + 16 = 448');
    assert.deepEqual(f.terms.map((term) => [term.name, term.shape]), [['kernel', [3, 3, 3, 16]], ['bias', [16]]]);
    assert.equal(conv2d.params(layerNode('Conv2D', { filters: 8, kernel_size: [5, 3], use_bias: false }), [[null, 9, 9, 2]], env())!.total, 5 * 3 * 2 * 8);
    assert.deepEqual(conv2d.keras3WeightNames!(l), ['kernel', 'bias']);
    assert.deepEqual(conv2d.keras3WeightNames!(layerNode('Conv2D', { filters: 1, kernel_size: 1, use_bias: false })), ['kernel']);
    assert.match(conv2d.weightNote!('kernel', [3, 3, 3, 16]) ?? '', /3×16 matrix .* 3×3 window positions/);
    assert.equal(conv2d.weightNote!('bias', [16]), null);
  });

  it('refuses impossible configs in one sentence naming the layer', () => {
    const shape = (cfg: Record<string, unknown>, input = [null, 4, 4, 3] as (number | null)[]) => () =>
      conv2d.outputShape(layerNode('Conv2D', { name: 'conv_bad', filters: 2, kernel_size: [3, 3], ...cfg }), [input], env());
    assert.match(refusal(shape({ strides: [0, 1] }), 'conv_bad'), /strides.* is 0/);
    assert.match(refusal(shape({ kernel_size: [5, 3] }), 'conv_bad'), /window 5 wide over height 4 with padding "valid"/);
    assert.match(refusal(shape({ kernel_size: [3, 3], dilation_rate: [1, 2] }), 'conv_bad'), /window 5 wide over width 4/);
    assert.match(refusal(shape({ kernel_size: [3, 3, 3] }), 'conv_bad'), /3 values where a 2-D window needs 2/);
    assert.match(refusal(shape({ filters: 1e12 }), 'conv_bad'), /filters/);
    assert.match(refusal(shape({ padding: 'causal' }), 'conv_bad'), /padding/);
    assert.match(refusal(shape({ strides: [2, 2], dilation_rate: [2, 2] }), 'conv_bad'), /both strides and dilation_rate/);
    assert.match(refusal(shape({ filters: 3, groups: 2 }), 'conv_bad'), /groups/);
    assert.match(refusal(shape({}, [null, 4, 3]), 'conv_bad'), /rank 3/);
    // "same" never refuses a small frame: it pads.
    assert.deepEqual(shape({ kernel_size: [9, 9], padding: 'same' })().shapes[0], [null, 4, 4, 2]);
    // The weights must be the shape the config names.
    const l = layerNode('Conv2D', { name: 'conv_bad', filters: 2, kernel_size: [3, 3] }, { weights: [weightRef('kernel', [3, 3, 2, 3], new Float32Array(54)), weightRef('bias', [2], [0, 0])] });
    assert.match(refusal(() => run(conv2d, l, t([1, 4, 4, 3], new Float32Array(48))), 'conv_bad'), /\[3, 3, 2, 3\].*\[3, 3, 3, 2\]/);
    // Keras 1 "th" kernels are filters-first and flipped: refused rather than guessed.
    const th = layerNode('Conv2D', { name: 'conv_bad', nb_filter: 2, nb_row: 3, nb_col: 3, dim_ordering: 'th' }, { weights: [weightRef('kernel', [2, 3, 3, 3], new Float32Array(54))] });
    const k1 = (): unknown => conv2d.forward(th, { tensors: [t([1, 3, 4, 4], new Float32Array(48))], masks: [null] }, ctx(1));
    assert.match(refusal(k1, 'conv_bad'), /Keras 1 .*dim_ordering "th"/);
  });
});

describe('MaxPooling2D / AveragePooling2D (and the MaxPool2D / AvgPool2D aliases)', () => {
  const combos: { p: [number, number]; s: [number, number] | null; padding: 'valid' | 'same' }[] = [
    { p: [2, 2], s: null, padding: 'valid' },
    { p: [2, 2], s: null, padding: 'same' },
    { p: [3, 3], s: [2, 2], padding: 'same' },
    { p: [3, 2], s: [1, 2], padding: 'valid' },
    { p: [4, 4], s: [4, 4], padding: 'same' },
    { p: [3, 3], s: [1, 1], padding: 'same' },
    { p: [2, 3], s: [3, 1], padding: 'valid' },
  ];
  for (const cls of ['MaxPooling2D', 'AveragePooling2D', 'MaxPool2D', 'AvgPool2D']) {
    combos.forEach((c, ci) => {
      it(`${cls} pool ${c.p} strides ${c.s ?? 'None'} ${c.padding} equals tf.${cls.startsWith('Max') ? 'maxPool' : 'avgPool'}`, () => {
        const x = f32Tensor([2, 7, 6, 3], 400 + ci);
        const l = layerNode(cls, { pool_size: c.p, strides: c.s, padding: c.padding, data_format: 'channels_last' });
        const ours = run(spatialPooling, l, x);
        const stride = c.s ?? c.p;
        const op = cls.startsWith('Max') ? tf.maxPool : tf.avgPool;
        const theirs = fromTf(tf.tidy(() => op(toTf(x) as tf.Tensor4D, c.p, stride, c.padding)));
        assert.deepEqual(ours.shape, theirs.shape);
        assert.deepEqual(spatialPooling.outputShape(l, [[null, 7, 6, 3]], env()).shapes[0], [null, ...theirs.shape.slice(1)]);
        assertClose(ours.data, theirs.data, 1e-6, 1e-6);
      });
    });
  }

  it('AveragePooling2D "same" counts only the real cells of an edge window (hand computation)', () => {
    // 3×3 frame 1..9, pool 2×2 stride 2 "same": windows {1,2,4,5}, {3,6}, {7,8}, {9} → 3, 4.5, 7.5, 9.
    const y = run(spatialPooling, layerNode('AveragePooling2D', { pool_size: [2, 2], padding: 'same' }), t([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]));
    assert.deepEqual([...y.data], [3, 4.5, 7.5, 9]);
    // A max never picks a padded zero: all-negative frame.
    const m = run(spatialPooling, layerNode('MaxPooling2D', { pool_size: [2, 2], padding: 'same' }), t([1, 3, 3, 1], [-1, -2, -3, -4, -5, -6, -7, -8, -9]));
    assert.deepEqual([...m.data], [-1, -3, -7, -9]);
  });

  it('channels_first pools the last two axes', () => {
    const x = f32Tensor([1, 2, 4, 6], 5);
    const l = layerNode('MaxPooling2D', { pool_size: [2, 3], data_format: 'channels_first' });
    const ours = run(spatialPooling, l, x);
    const theirs = fromTf(tf.tidy(() => tf.transpose(tf.maxPool(tf.transpose(toTf(x), [0, 2, 3, 1]) as tf.Tensor4D, [2, 3], [2, 3], 'valid'), [0, 3, 1, 2])));
    assert.deepEqual(ours.shape, [1, 2, 2, 2]);
    assertClose(ours.data, theirs.data, 0, 0);
  });

  it('refuses a pool larger than the frame with "valid", zero strides and a wrong rank, naming the layer', () => {
    const shape = (cfg: Record<string, unknown>, input: (number | null)[] = [null, 3, 8, 2], cls = 'MaxPooling2D') => () =>
      spatialPooling.outputShape(layerNode(cls, { name: 'pool_bad', ...cfg }), [input], env());
    assert.match(refusal(shape({ pool_size: [4, 4] }), 'pool_bad'), /window 4 wide over height 3/);
    assert.match(refusal(shape({ pool_size: [2, 2], strides: [0, 2] }), 'pool_bad'), /strides.* is 0/);
    assert.match(refusal(shape({}, [null, 8, 2]), 'pool_bad'), /rank 3/);
    assert.match(refusal(shape({}, [null, 4, 4, 4, 2]), 'pool_bad'), /rank 5/);
    assert.deepEqual(shape({ pool_size: [4, 4], padding: 'same' })().shapes[0], [null, 1, 2, 2]);
    assert.equal(spatialPooling.params(layerNode('MaxPooling2D', {}), [[null, 4, 4, 2]], env()), null);
  });
});

describe('MaxPooling3D / AveragePooling3D', () => {
  const combos: { p: [number, number, number]; s: [number, number, number] | null; padding: 'valid' | 'same' }[] = [
    { p: [1, 2, 2], s: null, padding: 'valid' }, // the ConvLSTM2D models' pooling: frames kept, pixels halved
    { p: [2, 2, 2], s: null, padding: 'same' },
    { p: [3, 2, 3], s: [2, 1, 2], padding: 'same' },
    { p: [2, 3, 2], s: [1, 2, 1], padding: 'valid' },
  ];
  for (const cls of ['MaxPooling3D', 'AveragePooling3D', 'MaxPool3D', 'AvgPool3D']) {
    combos.forEach((c, ci) => {
      it(`${cls} pool ${c.p} strides ${c.s ?? 'None'} ${c.padding} equals tf.${cls.startsWith('Max') ? 'maxPool3d' : 'avgPool3d'}`, () => {
        const x = f32Tensor([2, 5, 6, 5, 3], 500 + ci);
        const l = layerNode(cls, { pool_size: c.p, strides: c.s, padding: c.padding, data_format: 'channels_last' });
        const ours = run(spatialPooling, l, x);
        const op = cls.startsWith('Max') ? tf.maxPool3d : tf.avgPool3d;
        const theirs = fromTf(tf.tidy(() => op(toTf(x) as tf.Tensor5D, c.p, c.s ?? c.p, c.padding)));
        assert.deepEqual(ours.shape, theirs.shape);
        assert.deepEqual(spatialPooling.outputShape(l, [[null, 5, 6, 5, 3]], env()).shapes[0], [null, ...theirs.shape.slice(1)]);
        assertClose(ours.data, theirs.data, 1e-6, 1e-6);
      });
    });
  }

  it('"same" with strides larger than the pool pads nothing (TF and JAX clamp the pad at 0; tfjs maxPool3d does not)', () => {
    // Width 6, pool 2, stride 3, "same": out = ceil(6/3) = 2, pad = max((2-1)·3 + 2 - 6, 0) = 0 → windows {1,2} and {4,5}.
    const x = t([1, 1, 1, 6, 1], [1, 2, 3, 4, 5, 6]);
    const pool = (cls: string) => [...run(spatialPooling, layerNode(cls, { pool_size: [1, 1, 2], strides: [1, 1, 3], padding: 'same' }), x).data];
    assert.deepEqual(pool('MaxPooling3D'), [2, 5]);
    assert.deepEqual(pool('AveragePooling3D'), [1.5, 4.5]);
    // tfjs-core's maxPool3d lets that pad go negative (it takes {2,3} and {5,6}, giving [3, 6]); its 2-D maxPool agrees.
    assert.deepEqual([...run(spatialPooling, layerNode('MaxPooling2D', { pool_size: [1, 2], strides: [1, 3], padding: 'same' }), t([1, 1, 6, 1], [1, 2, 3, 4, 5, 6])).data], [2, 5]);
    assert.deepEqual([...fromTf(tf.tidy(() => tf.maxPool(toTf(t([1, 1, 6, 1], [1, 2, 3, 4, 5, 6])) as tf.Tensor4D, [1, 2], [1, 3], 'same'))).data], [2, 5]);
  });

  it('keeps T unknown when the batch of frames has no declared length', () => {
    const l = layerNode('MaxPooling3D', { pool_size: [1, 2, 2], padding: 'valid' });
    assert.deepEqual(spatialPooling.outputShape(l, [[null, null, 16, 16, 8]], env()).shapes[0], [null, null, 8, 8, 8]);
  });
});

describe('GlobalAveragePooling2D / GlobalMaxPooling2D (and 3D)', () => {
  for (const cls of ['GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'GlobalAvgPool2D', 'GlobalMaxPool2D']) {
    for (const keepdims of [false, true]) {
      it(`${cls} keepdims=${keepdims} equals tf.${cls.includes('Max') ? 'max' : 'mean'} over H and W`, () => {
        const x = f32Tensor([2, 5, 4, 3], 600);
        const l = layerNode(cls, { keepdims });
        const ours = run(globalPooling2d, l, x);
        const theirs = fromTf(tf.tidy(() => (cls.includes('Max') ? tf.max : tf.mean)(toTf(x), [1, 2], keepdims)));
        assert.deepEqual(ours.shape, theirs.shape);
        assert.deepEqual(globalPooling2d.outputShape(l, [[null, 5, 4, 3]], env()).shapes[0], [null, ...theirs.shape.slice(1)]);
        assertClose(ours.data, theirs.data, 1e-6, 1e-6);
      });
    }
  }

  it('channels_first and 3-D volumes pool every axis but the channels', () => {
    const x = f32Tensor([2, 3, 4, 5], 601);
    const ours = run(globalPooling2d, layerNode('GlobalAveragePooling2D', { data_format: 'channels_first', keepdims: true }), x);
    assert.deepEqual(ours.shape, [2, 3, 1, 1]);
    assertClose(ours.data, fromTf(tf.tidy(() => tf.mean(toTf(x), [2, 3]))).data, 1e-6, 1e-6);
    const v = f32Tensor([2, 2, 3, 4, 3], 602);
    const m = run(globalPooling2d, layerNode('GlobalMaxPooling3D', {}), v);
    assert.deepEqual(m.shape, [2, 3]);
    assertClose(m.data, fromTf(tf.tidy(() => tf.max(toTf(v), [1, 2, 3]))).data, 0, 0);
    assert.match(refusal(() => globalPooling2d.outputShape(layerNode('GlobalMaxPooling3D', { name: 'gp_bad' }), [[null, 4, 4, 3]], env()), 'gp_bad'), /rank 4/);
  });
});

describe('ZeroPadding2D', () => {
  const cases: [unknown, [[number, number], [number, number]]][] = [
    [1, [[1, 1], [1, 1]]],
    [[2, 1], [[2, 2], [1, 1]]],
    [[[1, 0], [0, 3]], [[1, 0], [0, 3]]],
    [[[0, 0], [0, 0]], [[0, 0], [0, 0]]],
  ];
  for (const [padding, sides] of cases) {
    it(`padding ${JSON.stringify(padding)} equals tf.pad with ${JSON.stringify(sides)}`, () => {
      const x = f32Tensor([2, 3, 4, 2], 700);
      const l = layerNode('ZeroPadding2D', { padding });
      const ours = run(zeroPadding2d, l, x);
      const theirs = fromTf(tf.tidy(() => tf.pad(toTf(x), [[0, 0], ...sides, [0, 0]])));
      assert.deepEqual(ours.shape, theirs.shape);
      assert.deepEqual(zeroPadding2d.outputShape(l, [[null, 3, null, 2]], env()).shapes[0], [null, theirs.shape[1], null, 2]);
      assertClose(ours.data, theirs.data, 0, 0);
    });
  }

  it('channels_first pads the last two axes; bad paddings are refused naming the layer', () => {
    const x = f32Tensor([1, 2, 3, 3], 701);
    const ours = run(zeroPadding2d, layerNode('ZeroPadding2D', { padding: [[1, 2], [0, 1]], data_format: 'channels_first' }), x);
    assertClose(ours.data, fromTf(tf.tidy(() => tf.pad(toTf(x), [[0, 0], [0, 0], [1, 2], [0, 1]]))).data, 0, 0);
    const shape = (padding: unknown) => () => zeroPadding2d.outputShape(layerNode('ZeroPadding2D', { name: 'pad_bad', padding }), [[null, 3, 3, 1]], env());
    assert.match(refusal(shape(-1), 'pad_bad'), /padding.* is -1/);
    assert.match(refusal(shape([1, 2, 3]), 'pad_bad'), /3 entries/);
    assert.match(refusal(shape([[1, 2, 3], [0, 0]]), 'pad_bad'), /pair of 3 values/);
    assert.match(refusal(shape([1.5, 1]), 'pad_bad'), /1\.5/);
  });
});

describe('UpSampling1D', () => {
  it('repeats each step size times (the Keras docstring example: size=2 on 2×2×3)', () => {
    const x = t([2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const l = layerNode('UpSampling1D', { size: 2 });
    const y = run(upSampling1d, l, x);
    assert.deepEqual(y.shape, [2, 4, 3]);
    assert.deepEqual([...y.data], [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 6, 7, 8, 6, 7, 8, 9, 10, 11, 9, 10, 11]);
    assert.deepEqual(upSampling1d.outputShape(l, [[null, 5, 3]], env()).shapes[0], [null, 10, 3]);
    assert.deepEqual(upSampling1d.outputShape(l, [[null, null, 3]], env()).shapes[0], [null, null, 3]);
    assert.match(refusal(() => upSampling1d.outputShape(layerNode('UpSampling1D', { name: 'up_bad', size: 0 }), [[null, 5, 3]], env()), 'up_bad'), /size.* is 0/);
  });

  it('equals tf.tile of every step (a repeat along time)', () => {
    const x = f32Tensor([2, 4, 3], 800);
    const y = run(upSampling1d, layerNode('UpSampling1D', { size: 3 }), x);
    const theirs = fromTf(tf.tidy(() => tf.reshape(tf.tile(tf.expandDims(toTf(x), 2), [1, 1, 3, 1]), [2, 12, 3])));
    assertClose(y.data, theirs.data, 0, 0);
  });
});

describe('NumPy export of the frame layers (run by python3) equals the forward pass', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'frames-numpy-'));
  const cases: { what: string; layer: LayerNode; input: number[] }[] = [
    {
      what: 'Conv2D channels_first, dilation 2, no bias',
      layer: layerNode('Conv2D', { filters: 3, kernel_size: [2, 3], dilation_rate: [2, 1], padding: 'same', data_format: 'channels_first', use_bias: false, activation: 'tanh' }, {
        weights: [weightRef('kernel', [2, 3, 2, 3], randomArray(36, seeded(900)))],
      }),
      input: [2, 2, 5, 6],
    },
    {
      what: 'Conv2D groups=2, strides 2 valid',
      layer: layerNode('Conv2D', { filters: 4, kernel_size: [3, 3], strides: [2, 2], groups: 2 }, {
        weights: [weightRef('kernel', [3, 3, 2, 4], randomArray(72, seeded(901))), weightRef('bias', [4], [0.1, 0.2, -0.3, 0.4])],
      }),
      input: [1, 7, 6, 4],
    },
    { what: 'AveragePooling2D channels_first same', layer: layerNode('AveragePooling2D', { pool_size: [3, 3], strides: [2, 2], padding: 'same', data_format: 'channels_first' }), input: [2, 2, 5, 4] },
    { what: 'MaxPooling3D channels_first', layer: layerNode('MaxPooling3D', { pool_size: [2, 1, 2], padding: 'same', data_format: 'channels_first' }), input: [1, 2, 3, 3, 5] },
    { what: 'ZeroPadding2D channels_first', layer: layerNode('ZeroPadding2D', { padding: [[0, 1], [2, 0]], data_format: 'channels_first' }), input: [1, 2, 2, 3] },
  ];
  for (const c of cases) {
    it(c.what, (tc) => {
      if (!PYTHON_WITH_NUMPY) return tc.skip(NO_NUMPY_REASON);
      const doc = sequentialDoc([null, ...c.input.slice(1)], [c.layer]);
      const x = t(c.input, randomArray(c.input.reduce((a, b) => a * b, 1), seeded(950)));
      const file = path.join(tmp, `${c.layer.name}_${c.input.join('x')}.py`);
      writeFileSync(file, exportNumpy(doc, [x], { title: c.what }));
      const py = spawnSync(PYTHON_WITH_NUMPY, [file, '--json'], { encoding: 'utf8' });
      assert.equal(py.status, 0, py.stderr);
      const ours = run(c.layer.className === 'Conv2D' ? conv2d : c.layer.className === 'ZeroPadding2D' ? zeroPadding2d : spatialPooling, c.layer, x);
      const printed = JSON.parse(py.stdout) as { output: unknown; outputShape: number[] };
      assert.deepEqual(printed.outputShape, ours.shape);
      assertClose(flatten(printed.output), ours.data, 1e-9, 1e-9);
    });
  }
});

const flatten = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flatten) : [v as number]);

const models2 = path.resolve(import.meta.dirname, '../../../shared/models2');
const LRCN = 'lrcn-tdconv2d-lstm-k305';

describe(`real file ${LRCN} (Keras 3.0.5 legacy .h5: TimeDistributed Conv2D / MaxPooling2D / Flatten, then LSTM)`, () => {
  const skip = existsSync(path.join(models2, 'files', `${LRCN}.h5`)) ? false : `the shared models2 files are not at ${models2}`;

  it('summary: every layer has a formula and the total equals catalog.json', { skip }, async () => {
    const catalog = JSON.parse(readFileSync(path.join(models2, 'catalog.json'), 'utf8')) as { id: string; total_params: number }[];
    const entry = catalog.find((c) => c.id === LRCN)!;
    const doc = await loadModel(path.join(models2, 'files', `${LRCN}.h5`));
    const s = summarize(doc);
    assert.equal(s.totalParams, entry.total_params);
    const conv = s.layers.filter((l) => l.params > 0 && l.className === 'TimeDistributed');
    // Keras's kh·kw·C·F + F for the four convolutions: 3·3·3·16 + 16, 3·3·16·32 + 32, 3·3·32·64 + 64, 3·3·64·64 + 64.
    assert.deepEqual(conv.map((l) => l.params), [448, 4640, 18496, 36928]);
    assert.deepEqual(s.layers.find((l) => l.name === 'time_distributed_14')?.outputShape, [null, 20, 64]);
  });

  it('forward: the output equals the independent reference within the README bound', { skip }, async () => {
    const doc = await loadModel(path.join(models2, 'files', `${LRCN}.h5`));
    // Each TimeDistributed group repeats a bare kernel/bias: each Conv2D must get its own group's tensors.
    const kernels = doc.root.layers.filter((l) => l.children[0]?.className === 'Conv2D').map((l) => l.children[0].weights.map((w) => w.shape));
    assert.deepEqual(kernels, [[[3, 3, 3, 16], [16]], [[3, 3, 16, 32], [32]], [[3, 3, 32, 64], [64]], [[3, 3, 64, 64], [64]]]);
    const input = JSON.parse(readFileSync(path.join(models2, 'inputs', `${LRCN}.json`), 'utf8'));
    const expected = JSON.parse(readFileSync(path.join(models2, 'expected', `${LRCN}.json`), 'utf8')) as { output: number[][]; output_shape: number[] };
    const { tensors } = prepareInputs(doc, fromJsonValue(input));
    const result = await runForward(doc, tensors);
    assert.equal(result.stopped, undefined, result.stopped?.message);
    assert.deepEqual(result.outputs[0].shape, expected.output_shape);
    // README: 1e-5 + 1e-5·|b|, 1e-4 relative after convolutions; measured max |diff| 4.4e-16, so the tight bound holds.
    assertClose(result.outputs[0].data, expected.output.flat(), 1e-5, 1e-5, `${LRCN} output`);
  });

  it('NumPy export: the script, run by python3, prints the reference output', { skip }, async (tc) => {
    if (!PYTHON_WITH_NUMPY) return tc.skip(NO_NUMPY_REASON);
    const doc = await loadModel(path.join(models2, 'files', `${LRCN}.h5`));
    const input = JSON.parse(readFileSync(path.join(models2, 'inputs', `${LRCN}.json`), 'utf8'));
    const expected = JSON.parse(readFileSync(path.join(models2, 'expected', `${LRCN}.json`), 'utf8')) as { output: number[][] };
    const { tensors } = prepareInputs(doc, fromJsonValue(input));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'lrcn-numpy-')), 'lrcn.py');
    writeFileSync(file, exportNumpy(doc, tensors, { title: LRCN }));
    const py = spawnSync(PYTHON_WITH_NUMPY, [file, '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(py.status, 0, py.stderr);
    const printed = JSON.parse(py.stdout) as { output: unknown; outputShape: number[] };
    assert.deepEqual(printed.outputShape, [1, 50]);
    assertClose(flatten(printed.output), expected.output.flat(), 1e-5, 1e-5, `${LRCN} NumPy script output`);
  });
});
