// ConvLSTM1D/2D/3D: output shapes, the k^d·(C+F)·4F + 4F formula against the weight shapes Keras stored in a real
// file, the forward pass against an independent TensorFlow.js-core implementation built from tf.conv1d/2d/3d
// (padding, strides, dilation, go_backwards, return_state, initial states, channels_first, Keras 2 vs 3 default
// gate activations), and the real Keras 3.8 model against the shared reference output and per-step trace.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { convLstm } from '../../extension/keras/layers/convLstm';
import { InputError, UnsupportedFeatureError } from '../../extension/keras/errors';
import type { LayerOutput } from '../../extension/keras/layers/types';
import type { Tensor } from '../../extension/keras/tensor';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';
import { tf, tfReady } from './helpers/tfjs';

before(tfReady);

const base = (o: Record<string, unknown>): Record<string, unknown> => ({
  filters: 3,
  kernel_size: [3, 3],
  strides: [1, 1],
  padding: 'valid',
  data_format: 'channels_last',
  dilation_rate: [1, 1],
  activation: 'tanh',
  recurrent_activation: 'sigmoid',
  use_bias: true,
  return_sequences: true,
  ...o,
});

describe('ConvLSTM shapes and parameters', () => {
  const shape = (o: Record<string, unknown>, input: (number | null)[], cls = 'ConvLSTM2D') => convLstm.outputShape(layerNode(cls, base(o)), [input], env());
  it('valid padding shrinks each frame axis by k-1; return_sequences keeps T', () => {
    assert.deepEqual(shape({}, [null, 20, 7, 7, 14]).shapes, [[null, 20, 5, 5, 3]]);
    assert.deepEqual(shape({ return_sequences: false }, [null, 20, 7, 7, 14]).shapes, [[null, 5, 5, 3]]);
  });
  it('same padding keeps ceil(H/stride); strides and dilation follow Keras conv_output_length', () => {
    assert.deepEqual(shape({ padding: 'same' }, [null, 4, 7, 6, 2]).shapes, [[null, 4, 7, 6, 3]]);
    assert.deepEqual(shape({ padding: 'same', strides: [2, 2] }, [null, 4, 7, 6, 2]).shapes, [[null, 4, 4, 3, 3]]);
    assert.deepEqual(shape({ strides: [2, 2] }, [null, 4, 7, 6, 2]).shapes, [[null, 4, 3, 2, 3]]);
    assert.deepEqual(shape({ dilation_rate: [2, 2] }, [null, 4, 7, 6, 2]).shapes, [[null, 4, 3, 2, 3]]);
  });
  it('return_state adds h and c, each the state map (N, rows, cols, F)', () => {
    assert.deepEqual(shape({ return_state: true, return_sequences: false }, [2, 4, 7, 6, 2]).shapes, [[2, 5, 4, 3], [2, 5, 4, 3], [2, 5, 4, 3]]);
  });
  it('channels_first: (N, T, C, H, W) in, (N, T, F, H, W) out', () => {
    assert.deepEqual(shape({ data_format: 'channels_first', padding: 'same' }, [null, 4, 2, 7, 6]).shapes, [[null, 4, 3, 7, 6]]);
  });
  it('letters: N, T, H, W, F where same padding keeps the frame; the number where valid changes it', () => {
    assert.deepEqual(shape({ padding: 'same' }, [null, 4, 7, 6, 2]).letters, [['N', 'T', 'H', 'W', 'F']]);
    assert.deepEqual(shape({}, [null, 4, 7, 6, 2]).letters, [['N', 'T', null, null, 'F']]);
  });
  it('ConvLSTM1D (N, T, L, C) and ConvLSTM3D (N, T, D1, D2, D3, C)', () => {
    assert.deepEqual(shape({ kernel_size: [3], strides: [1], dilation_rate: [1] }, [null, 5, 9, 2], 'ConvLSTM1D').shapes, [[null, 5, 7, 3]]);
    assert.deepEqual(shape({ kernel_size: [2, 2, 2], strides: [1, 1, 1], dilation_rate: [1, 1, 1] }, [null, 5, 4, 4, 4, 1], 'ConvLSTM3D').shapes, [[null, 5, 3, 3, 3, 3]]);
  });
  it('a rank-4 input to ConvLSTM2D is refused with a sentence naming the axes', () => {
    assert.throws(() => shape({}, [null, 4, 7, 2]), (e: Error) => e instanceof UnsupportedFeatureError && /6-D|5-D input \(N, T, H, W, C\)/.test(e.message));
  });
  it('k^d·(C+F)·4F + 4F filled in: 3^2·(14+16)·4·16 + 4·16 = 17344, the sizes Keras stored for conv_lstm2d_3', () => {
    const f = convLstm.params(layerNode('ConvLSTM2D', base({ filters: 16 })), [[null, 20, 7, 7, 14]], env())!;
    assert.equal(f.formula, 'k^d·(C+F)·4F + 4F');
    assert.equal(f.substituted, '3^2·(14+16)·4·16 + 4·16 = 17344');
    // Shapes of conv_lstm2d_3's datasets in convlstm2d-k38-h5.h5 (h5py): (3, 3, 14, 64), (3, 3, 16, 64), (64,).
    assert.deepEqual(f.terms.map((x) => x.shape), [[3, 3, 14, 64], [3, 3, 16, 64], [64]]);
    assert.equal(f.total, 3 * 3 * 14 * 64 + 3 * 3 * 16 * 64 + 64);
    assert.match(f.note ?? '', /unit_forget_bias/);
  });
  it('non-square kernels name each side; no bias drops + 4F', () => {
    const f = convLstm.params(layerNode('ConvLSTM2D', base({ kernel_size: [3, 2], use_bias: false })), [[null, 4, 7, 6, 2]], env())!;
    assert.equal(f.formula, 'kh·kw·(C+F)·4F');
    assert.equal(f.substituted, '3·2·(2+3)·4·3 = 360');
  });
  it('ConvLSTM1D counts k·(C+F)·4F + 4F', () => {
    const f = convLstm.params(layerNode('ConvLSTM1D', base({ kernel_size: [5], strides: [1], dilation_rate: [1], filters: 8 })), [[null, 4, 30, 2]], env())!;
    assert.equal(f.formula, 'k·(C+F)·4F + 4F');
    assert.equal(f.total, 5 * 2 * 32 + 5 * 8 * 32 + 32);
  });
  it('a bare (N, T, C) from a hover without input_shape still counts by C', () => {
    assert.equal(convLstm.params(layerNode('ConvLSTM2D', base({ filters: 16 })), [[null, null, 14]], env())!.total, 17344);
  });
  it('the Python hover over ConvLSTM2D(16, (3, 3), input_shape=(20, 7, 7, 14)) fills the formula in', async () => {
    const { findCallAt } = await import('../../extension/keras/pythonCall');
    const { pythonHover } = await import('../../extension/hovers');
    const text = 'y = ConvLSTM2D(16, (3, 3), padding="valid", return_sequences=True, input_shape=(20, 7, 7, 14))(x)';
    const hover = pythonHover(findCallAt(text, text.indexOf('ConvLSTM2D') + 3)!)!;
    assert.equal(hover.total, 17344);
    assert.match(hover.markdown, /k\^d·\(C\+F\)·4F \+ 4F/);
  });
  it('an impossible filters or kernel_size is refused before anything is sized by it', () => {
    assert.throws(() => shape({ filters: -3 }, [null, 4, 7, 6, 2]), /filters/);
    assert.throws(() => shape({ kernel_size: [3, 2.5] }, [null, 4, 7, 6, 2]), /kernel_size/);
    assert.throws(() => shape({ kernel_size: [3, 3, 3] }, [null, 4, 7, 6, 2]), /kernel_size/);
    assert.throws(() => shape({ padding: 'causal' }, [null, 4, 7, 6, 2]), /padding/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// An independent ConvLSTM built from tfjs-core convolutions, step by step as keras/src/layers/rnn/conv_lstm.py writes it

type Act = (x: tf.Tensor) => tf.Tensor;
const ACTS: Record<string, Act> = {
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  // tf-keras (Keras 2): clip(0.2·x + 0.5, 0, 1).
  hard_sigmoid2: (x) => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1),
  // Keras 3: relu6(x + 3) / 6.
  hard_sigmoid3: (x) => tf.div(tf.relu6(tf.add(x, 3)), 6),
};

interface RefSpec {
  rank: 1 | 2 | 3;
  F: number;
  kernel: number[];
  strides: number[];
  dilation: number[];
  padding: 'valid' | 'same';
  rec: Act;
  goBackwards?: boolean;
  init?: [Tensor, Tensor];
}

function conv(x: tf.Tensor, w: tf.Tensor, rank: number, strides: number[], padding: 'valid' | 'same', dilation: number[]): tf.Tensor {
  if (rank === 1) return tf.conv1d(x as tf.Tensor3D, w as tf.Tensor3D, strides[0], padding, 'NWC', dilation[0]);
  if (rank === 2) return tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, strides as [number, number], padding, 'NHWC', dilation as [number, number]);
  return tf.conv3d(x as tf.Tensor5D, w as tf.Tensor5D, strides as [number, number, number], padding, 'NDHWC', dilation as [number, number, number]);
}

/** Every step's h, c and gates (processing order) and the final h, c of a channels-last (N, T, ..., C) input. */
function tfConvLstm(x: Tensor, W: number[], U: number[], b: number[] | null, s: RefSpec) {
  const [N, T] = x.shape;
  const frame = x.shape.slice(2);
  const C = frame[frame.length - 1];
  const F = s.F;
  const steps: Record<'h' | 'c' | 'i' | 'f' | 'g' | 'o', number[][]> = { h: [], c: [], i: [], f: [], g: [], o: [] };
  let finalH: number[] = [];
  let finalC: number[] = [];
  tf.tidy(() => {
    const xs = tf.tensor(Float32Array.from(x.data), x.shape);
    const w = tf.tensor(W, [...s.kernel, C, 4 * F]);
    const u = tf.tensor(U, [...s.kernel, F, 4 * F]);
    const bias = b ? tf.tensor1d(b) : null;
    const frameAt = (time: number) => tf.squeeze(tf.slice(xs, [0, time, ...frame.map(() => 0)], [N, 1, ...frame]), [1]);
    const probe = conv(frameAt(0), w, s.rank, s.strides, s.padding, s.dilation);
    let h: tf.Tensor = s.init ? tf.tensor(Float32Array.from(s.init[0].data), probe.shape.slice(0, -1).concat(F)) : tf.zeros([...probe.shape.slice(0, -1), F]);
    let c: tf.Tensor = s.init ? tf.tensor(Float32Array.from(s.init[1].data), h.shape) : tf.zeros(h.shape);
    for (let k = 0; k < T; k++) {
      const time = s.goBackwards ? T - 1 - k : k;
      let z = tf.add(conv(frameAt(time), w, s.rank, s.strides, s.padding, s.dilation), conv(h, u, s.rank, s.kernel.map(() => 1), 'same', s.kernel.map(() => 1)));
      if (bias) z = tf.add(z, bias);
      const [zi, zf, zg, zo] = tf.split(z, 4, -1);
      const i = s.rec(zi);
      const f = s.rec(zf);
      const g = tf.tanh(zg);
      const o = s.rec(zo);
      c = tf.add(tf.mul(f, c), tf.mul(i, g));
      h = tf.mul(o, tf.tanh(c));
      for (const [key, v] of [['h', h], ['c', c], ['i', i], ['f', f], ['g', g], ['o', o]] as const) steps[key].push(Array.from(v.dataSync()));
    }
    finalH = Array.from(h.dataSync());
    finalC = Array.from(c.dataSync());
  });
  return { steps, h: finalH, c: finalC };
}

interface Case {
  title: string;
  cls?: 'ConvLSTM1D' | 'ConvLSTM2D' | 'ConvLSTM3D';
  config: Record<string, unknown>;
  input: number[];
  kerasMajor?: 2 | 3;
  rec: keyof typeof ACTS;
  withInit?: boolean;
}

const cases: Case[] = [
  { title: 'valid padding, Keras 3 sigmoid gates', config: {}, input: [2, 4, 7, 6, 2], rec: 'sigmoid' },
  { title: 'same padding', config: { padding: 'same' }, input: [2, 4, 7, 6, 2], rec: 'sigmoid' },
  { title: 'strides 2, valid', config: { strides: [2, 2] }, input: [1, 3, 7, 8, 2], rec: 'sigmoid' },
  { title: 'strides 2, same on odd frames (the extra pad row goes last)', config: { strides: [2, 2], padding: 'same' }, input: [1, 3, 7, 5, 2], rec: 'sigmoid' },
  { title: 'dilation 2, valid', config: { dilation_rate: [2, 2] }, input: [1, 3, 7, 8, 2], rec: 'sigmoid' },
  { title: 'dilation 2, same', config: { dilation_rate: [2, 1], padding: 'same' }, input: [1, 3, 6, 5, 2], rec: 'sigmoid' },
  { title: 'go_backwards', config: { go_backwards: true }, input: [2, 4, 5, 5, 2], rec: 'sigmoid' },
  { title: 'return_state, last step only', config: { return_state: true, return_sequences: false, padding: 'same' }, input: [2, 3, 4, 5, 2], rec: 'sigmoid' },
  { title: 'a 3×2 kernel without bias', config: { kernel_size: [3, 2], use_bias: false, padding: 'same' }, input: [1, 3, 6, 5, 3], rec: 'sigmoid' },
  { title: 'Keras 2 default recurrent_activation is hard_sigmoid, clip(0.2x + 0.5)', config: { recurrent_activation: undefined }, input: [1, 4, 6, 6, 2], kerasMajor: 2, rec: 'hard_sigmoid2' },
  { title: 'Keras 3 default recurrent_activation is sigmoid', config: { recurrent_activation: undefined }, input: [1, 4, 6, 6, 2], kerasMajor: 3, rec: 'sigmoid' },
  { title: 'Keras 3 hard_sigmoid is relu6(x + 3)/6', config: { recurrent_activation: 'hard_sigmoid' }, input: [1, 4, 6, 6, 2], kerasMajor: 3, rec: 'hard_sigmoid3' },
  { title: 'Keras 2 hard_sigmoid named in the config', config: { recurrent_activation: 'hard_sigmoid', padding: 'same' }, input: [1, 4, 6, 6, 2], kerasMajor: 2, rec: 'hard_sigmoid2' },
  { title: 'initial states h0, c0 as extra inputs', config: { padding: 'same' }, input: [2, 3, 4, 4, 2], rec: 'sigmoid', withInit: true },
  { title: 'ConvLSTM1D, valid, stride 2', cls: 'ConvLSTM1D', config: { kernel_size: [3], strides: [2], dilation_rate: [1] }, input: [2, 4, 11, 3], rec: 'sigmoid' },
  { title: 'ConvLSTM1D, same, dilation 2, Keras 2 default gates', cls: 'ConvLSTM1D', config: { kernel_size: [3], strides: [1], dilation_rate: [2], padding: 'same', recurrent_activation: undefined }, input: [1, 4, 9, 2], kerasMajor: 2, rec: 'hard_sigmoid2' },
  { title: 'ConvLSTM3D, same', cls: 'ConvLSTM3D', config: { kernel_size: [2, 3, 2], strides: [1, 1, 1], dilation_rate: [1, 1, 1], padding: 'same' }, input: [1, 3, 3, 4, 3, 2], rec: 'sigmoid' },
];

const ATOL = 2e-5;
const RTOL = 1e-4;

describe('ConvLSTM forward against tfjs-core convolutions', () => {
  cases.forEach((cs, idx) => {
    it(cs.title, async () => {
      const rnd = seeded(700 + idx);
      const cls = cs.cls ?? 'ConvLSTM2D';
      const config = base(cs.config);
      if (cs.config.recurrent_activation === undefined && 'recurrent_activation' in cs.config) delete (config as Record<string, unknown>).recurrent_activation;
      const rank = cls === 'ConvLSTM1D' ? 1 : cls === 'ConvLSTM3D' ? 3 : 2;
      const kernel = config.kernel_size as number[];
      const F = config.filters as number;
      const C = cs.input[cs.input.length - 1];
      const taps = kernel.reduce((a, k) => a * k, 1);
      // Weights of ±0.6 over several taps give pre-activations of a few units, where sigmoid and both hard_sigmoids differ.
      const W = randomArray(taps * C * 4 * F, rnd, -0.6, 0.6);
      const U = randomArray(taps * F * 4 * F, rnd, -0.6, 0.6);
      const b = config.use_bias ? randomArray(4 * F, rnd, -0.5, 0.5) : null;
      const weights = [weightRef('kernel', [...kernel, C, 4 * F], W), weightRef('recurrent_kernel', [...kernel, F, 4 * F], U), ...(b ? [weightRef('bias', [4 * F], b)] : [])];
      const layer = layerNode(cls, config, { weights });
      const x = t(cs.input, randomArray(cs.input.reduce((a, d) => a * d, 1), rnd, -1.5, 1.5));
      const stateShape = convLstm.outputShape(layer, [cs.input], env(cs.kerasMajor ?? 3)).shapes[0].filter((_, i) => !config.return_sequences || i !== 1) as number[];
      const init = cs.withInit ? ([t(stateShape, randomArray(stateShape.reduce((a, d) => a * d, 1), rnd)), t(stateShape, randomArray(stateShape.reduce((a, d) => a * d, 1), rnd))] as [Tensor, Tensor]) : undefined;

      const ref = tfConvLstm(x, W, U, b, {
        rank,
        F,
        kernel,
        strides: config.strides as number[],
        dilation: config.dilation_rate as number[],
        padding: config.padding as 'valid' | 'same',
        rec: ACTS[cs.rec],
        goBackwards: config.go_backwards === true,
        ...(init ? { init } : {}),
      });
      const out = (await convLstm.forward(layer, { tensors: [x, ...(init ?? [])], masks: [null] }, ctx(cs.kerasMajor ?? 3))) as LayerOutput;
      const T = cs.input[1];
      if (config.return_sequences) {
        assert.deepEqual(out.tensors[0].shape, [cs.input[0], T, ...stateShape.slice(1)]);
        // Our output is (N, T, map): gather the reference's per-step h back into that order.
        const perSample = ref.steps.h[0].length / cs.input[0];
        const want: number[] = [];
        for (let n = 0; n < cs.input[0]; n++) for (let s = 0; s < T; s++) want.push(...ref.steps.h[s].slice(n * perSample, (n + 1) * perSample));
        assertClose(out.tensors[0].data, want, ATOL, RTOL, 'sequence');
      } else {
        assertClose(out.tensors[0].data, ref.h, ATOL, RTOL, 'last h');
      }
      if (config.return_state) {
        assert.equal(out.tensors.length, 3);
        assertClose(out.tensors[1].data, ref.h, ATOL, RTOL, 'state h');
        assertClose(out.tensors[2].data, ref.c, ATOL, RTOL, 'state c');
      }
      const trace = out.traces![0];
      assert.deepEqual(Array.from(trace.timeIndex), config.go_backwards ? [...Array(T).keys()].reverse() : [...Array(T).keys()]);
      assert.deepEqual(trace.stateShape, stateShape.slice(1));
      for (const key of ['h', 'c', 'i', 'f', 'g', 'o'] as const) assertClose(trace.values[key], ref.steps[key].flat(), ATOL, RTOL, `trace ${key}`);

      // The step walk the views show, recomputed from the stored weights, equals the reference's step 2 (from its step 1).
      const cellKind = convLstm.recurrentCell!;
      const stepW = cellKind.stepWeights(layer, env(cs.kerasMajor ?? 3))!;
      const perSample = ref.steps.h[0].length / cs.input[0];
      const frame = cs.input.slice(2).reduce((a, d) => a * d, 1);
      const k = Math.min(1, T - 1);
      const time = config.go_backwards ? T - 1 - k : k;
      const xk = x.data.slice(time * frame, (time + 1) * frame);
      const prev = k === 0 ? { h: init ? init[0].data.slice(0, perSample) : new Float64Array(perSample), c: init ? init[1].data.slice(0, perSample) : new Float64Array(perSample) } : { h: Float64Array.from(ref.steps.h[k - 1].slice(0, perSample)), c: Float64Array.from(ref.steps.c[k - 1].slice(0, perSample)) };
      const walk = cellKind.walkStep({
        weights: { layer: layer.name, cell: 'ConvLSTM', inputShape: cs.input.slice(2), stateShape: trace.stateShape, ...stepW },
        x: Float64Array.from(xk),
        prev,
        kerasMajor: cs.kerasMajor ?? 3,
        names: { t: `${time + 1}`, k: `${k + 1}`, kPrev: `${k}` },
      });
      for (const key of ['h', 'c', 'i', 'f', 'g', 'o'] as const) assertClose(walk.values[key], ref.steps[key][k].slice(0, perSample), ATOL, RTOL, `walk ${key}`);
    });
  });

  it('the Keras 2 and Keras 3 defaults give different gates on the same weights (the test above can tell them apart)', async () => {
    const rnd = seeded(99);
    const W = randomArray(9 * 2 * 12, rnd, -0.6, 0.6);
    const U = randomArray(9 * 3 * 12, rnd, -0.6, 0.6);
    const cfg = base({});
    delete (cfg as Record<string, unknown>).recurrent_activation;
    const layer = layerNode('ConvLSTM2D', cfg, { weights: [weightRef('kernel', [3, 3, 2, 12], W), weightRef('recurrent_kernel', [3, 3, 3, 12], U), weightRef('bias', [12], new Array(12).fill(0.1))] });
    const x = t([1, 2, 5, 5, 2], randomArray(100, rnd, -1.5, 1.5));
    const k2 = (await convLstm.forward(layer, { tensors: [x], masks: [null] }, ctx(2))) as LayerOutput;
    const k3 = (await convLstm.forward(layer, { tensors: [x], masks: [null] }, ctx(3))) as LayerOutput;
    const diff = Math.max(...k2.tensors[0].data.map((v, i) => Math.abs(v - k3.tensors[0].data[i])));
    assert.ok(diff > 1e-3, `max difference ${diff}`);
  });

  it('channels_first matches channels_last on the transposed input', async () => {
    const rnd = seeded(5);
    const W = randomArray(9 * 2 * 12, rnd, -0.6, 0.6);
    const U = randomArray(9 * 3 * 12, rnd, -0.6, 0.6);
    const weights = [weightRef('kernel', [3, 3, 2, 12], W), weightRef('recurrent_kernel', [3, 3, 3, 12], U), weightRef('bias', [12], randomArray(12, rnd))];
    const x = t([1, 3, 5, 4, 2], randomArray(120, rnd, -1.5, 1.5));
    const last = (await convLstm.forward(layerNode('ConvLSTM2D', base({ padding: 'same' }), { weights }), { tensors: [x], masks: [null] }, ctx())) as LayerOutput;
    const xf = tf.tidy(() => Array.from(tf.transpose(tf.tensor(Array.from(x.data), x.shape), [0, 1, 4, 2, 3]).dataSync()));
    const first = (await convLstm.forward(layerNode('ConvLSTM2D', base({ padding: 'same', data_format: 'channels_first' }), { weights }), { tensors: [t([1, 3, 2, 5, 4], xf)], masks: [null] }, ctx())) as LayerOutput;
    assert.deepEqual(first.tensors[0].shape, [1, 3, 3, 5, 4]);
    const back = tf.tidy(() => Array.from(tf.transpose(tf.tensor(Array.from(first.tensors[0].data), first.tensors[0].shape), [0, 1, 3, 4, 2]).dataSync()));
    assertClose(back, last.tensors[0].data, 1e-6, 1e-6, 'channels_first');
  });

  it('describes itself for the views: gates i, f, g, o, a state map, and the equations written with convolutions', () => {
    const d = convLstm.recurrentCell!.describe(layerNode('ConvLSTM2D', base({ strides: [2, 2], padding: 'same' })), env(3));
    assert.equal(d.key, 'ConvLSTM');
    assert.equal(d.title, 'ConvLSTM2D');
    assert.equal(d.product, 'conv');
    assert.deepEqual(d.quantities.map((q) => [q.key, q.role]), [['h', 'state'], ['c', 'state'], ['i', 'gate'], ['f', 'gate'], ['g', 'value'], ['o', 'gate']]);
    assert.deepEqual(d.quantities.find((q) => q.key === 'f')?.range, [0, 1]);
    assert.match(d.equations[0], /i = σ\(conv\(x\{t\}, W_i\) \+ conv\(h\{k-1\}, U_i\) \+ b_i\)/);
    assert.match(d.equations.join('\n'), /stride 2, 'same' padding; conv\(h\{k-1\}, ·\): stride 1, 'same' padding, no dilation/);
  });

  it('stateful=True: the first run starts from zeros and hands its final h, c on; a second run from them continues the sequence', async () => {
    const rnd = seeded(31);
    const weights = [weightRef('kernel', [3, 3, 2, 12], randomArray(216, rnd, -0.6, 0.6)), weightRef('recurrent_kernel', [3, 3, 3, 12], randomArray(324, rnd, -0.6, 0.6)), weightRef('bias', [12], randomArray(12, rnd))];
    const x = t([1, 4, 5, 5, 2], randomArray(200, rnd, -1.5, 1.5));
    const whole = (await convLstm.forward(layerNode('ConvLSTM2D', base({ padding: 'same' }), { weights }), { tensors: [x], masks: [null] }, ctx())) as LayerOutput;
    const layer = layerNode('ConvLSTM2D', base({ padding: 'same', stateful: true }), { weights });
    const half = (from: number) => t([1, 2, 5, 5, 2], x.data.slice(from * 50, (from + 2) * 50));
    const first = (await convLstm.forward(layer, { tensors: [half(0)], masks: [null] }, ctx())) as LayerOutput;
    assert.equal(first.finalStates?.length, 2);
    assert.deepEqual(first.finalStates![0].shape, [1, 5, 5, 3]);
    const second = (await convLstm.forward(layer, { tensors: [half(2)], masks: [null], initialState: first.finalStates }, ctx())) as LayerOutput;
    assertClose([...first.tensors[0].data, ...second.tensors[0].data], whole.tensors[0].data, 1e-12, 1e-12, 'two stateful halves vs one run');
  });

  it('channels_first: the step walk-through reads x_t as the layer does and agrees with the trace', async () => {
    const { runForward } = await import('../../extension/keras/forward');
    const { sequentialDoc } = await import('./helpers/modelDoc');
    const { recurrentWeightsFor } = await import('../../extension/runJob');
    const { walkthrough } = await import('../../webview/logic/stepMath');
    const rnd = seeded(8);
    const weights = [weightRef('kernel', [3, 3, 2, 12], randomArray(216, rnd, -0.6, 0.6)), weightRef('recurrent_kernel', [3, 3, 3, 12], randomArray(324, rnd, -0.6, 0.6)), weightRef('bias', [12], randomArray(12, rnd))];
    const doc = sequentialDoc([null, 3, 2, 5, 4], [layerNode('ConvLSTM2D', base({ data_format: 'channels_first', padding: 'same' }), { name: 'cl', weights })]);
    const x = t([1, 3, 2, 5, 4], randomArray(120, rnd, -1.5, 1.5));
    const result = await runForward(doc, [x]);
    const trace = result.traces[0];
    const w = recurrentWeightsFor(doc, trace)!;
    const walk = walkthrough({ weights: w, trace, input: { steps: 3, features: 40, data: x.data, batch: 1 }, step: 2, sample: 0, kerasMajor: 3 });
    assert.equal(walk.checks.length, 6);
    for (const c of walk.checks) assert.ok(c.agrees, `${c.key}: max |diff| ${c.maxAbsDiff}`);
  });

  it('a frame smaller than the kernel, the wrong channel count and a wrong initial state each get one sentence', async () => {
    const weights = [weightRef('kernel', [3, 3, 2, 12], new Array(216).fill(0.1)), weightRef('recurrent_kernel', [3, 3, 3, 12], new Array(324).fill(0.1)), weightRef('bias', [12], new Array(12).fill(0))];
    const layer = layerNode('ConvLSTM2D', base({}), { weights });
    const run = async (x: Tensor, extra: Tensor[] = []) => convLstm.forward(layer, { tensors: [x, ...extra], masks: [null] }, ctx());
    await assert.rejects(run(t([1, 2, 2, 5, 2], new Array(40).fill(0))), (e: Error) => e instanceof InputError && /at least 3×3/.test(e.message));
    await assert.rejects(run(t([1, 2, 5, 5, 4], new Array(200).fill(0))), (e: Error) => e instanceof InputError && /built for C=2 input channels but receives 4/.test(e.message));
    await assert.rejects(run(t([1, 2, 5, 5, 2], new Array(100).fill(0)), [t([1, 3, 3], new Array(9).fill(0)), t([1, 3, 3], new Array(9).fill(0))]), (e: Error) => e instanceof InputError && /Initial state 0/.test(e.message));
  });
});

describe('ConvLSTM memory before a run', () => {
  it('the estimate counts every step\'s h, c, i, f, g, o maps: N·T·rows·cols·F·6 float64 values', async () => {
    const { estimateMemory } = await import('../../extension/keras/forward');
    const { sequentialDoc } = await import('./helpers/modelDoc');
    const doc = sequentialDoc([null, 7, 9, 8, 2], [layerNode('ConvLSTM2D', base({ filters: 5, return_sequences: false }), { name: 'cl' })]);
    // valid 3×3 on 9×8: a 7×6 map of F = 5 per step; 7 steps of 2 samples.
    assert.equal(estimateMemory(doc, [[2, 7, 9, 8, 2]]).traces, 2 * 7 * 7 * 6 * 5 * 6 * 4);
    assert.equal(estimateMemory(doc, [[2, 7, 9, 8, 2]], 'h').traces, 2 * 7 * 7 * 6 * 5 * 2 * 4);
  });
  it('a run whose trace would not fit is refused with one sentence before anything is allocated', async () => {
    const { runForward } = await import('../../extension/keras/forward');
    const { sequentialDoc } = await import('./helpers/modelDoc');
    const doc = sequentialDoc([null, null, 128, 128, 3], [layerNode('ConvLSTM2D', base({ filters: 64, padding: 'same', return_sequences: false }), { name: 'cl' })]);
    // 1000 steps of a 128×128×64 map, six quantities: about 50 GB of trace (the output itself is 8 MB).
    const x = { shape: [1, 1000, 128, 128, 3], data: new Float64Array(0) };
    await assert.rejects(runForward(doc, [x]), (e: Error) => e instanceof InputError && /trace .*GB/.test(e.message) && /memory limit/.test(e.message) && !e.message.includes('\n'));
  });
});

describe('ConvLSTM configs a crafted file could hold', () => {
  const cases: [string, Record<string, unknown>, boolean][] = [
    ['filters of 10^10', { filters: 1e10 }, true],
    ['a zero stride', { strides: [0, 1] }, true],
    ['a kernel wider than the frame with valid padding', { kernel_size: [9, 9] }, true],
    ['a kernel of 2^31 - 1 rows with same padding and no stored weights', { kernel_size: [2 ** 31 - 1, 1], padding: 'same' }, false],
    ['a string kernel size', { kernel_size: ['3', 3] }, true],
    ['strides and dilation both above 1', { strides: [2, 2], dilation_rate: [2, 2] }, true],
  ];
  for (const [title, o, refusedBeforeRun] of cases) {
    it(`${title}: one sentence, never a crash`, async () => {
      const { runForward } = await import('../../extension/keras/forward');
      const { sequentialDoc } = await import('./helpers/modelDoc');
      const { InspectorError } = await import('../../extension/keras/errors');
      const doc = sequentialDoc([null, 2, 5, 5, 2], [layerNode('ConvLSTM2D', base(o), { name: 'cl' })]);
      const x = t([1, 2, 5, 5, 2], new Array(100).fill(0.5));
      let message = '';
      try {
        const r = await runForward(doc, [x]);
        assert.ok(r.stopped, 'the run must stop at the layer');
        message = r.stopped.message;
        assert.ok(!refusedBeforeRun || /cl/.test(message));
      } catch (e) {
        assert.ok(e instanceof InspectorError, `${(e as Error).name}: ${(e as Error).message}`);
        message = (e as Error).message;
      }
      assert.ok(message.length > 0 && message.length < 300 && !message.includes('\n'), message);
      assert.match(message, /ConvLSTM2D|"cl"|cl/);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// The real Keras 3.8 file: four ConvLSTM2D layers, MaxPooling3D, TimeDistributed(Dropout), Flatten, Dense

const models2 = path.resolve(import.meta.dirname, '../../../shared/models2');
const ID = 'convlstm2d-k38-h5';
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

/** The real model read and run once with its seeded input, shared by the tests below. */
let realRun: Promise<{ doc: import('../../extension/keras/model').ModelDocument; result: import('../../extension/keras/forward').ForwardResult }> | undefined;
function runReal() {
  realRun ??= (async () => {
    const { loadModel } = await import('../../extension/keras/documentNode');
    const { runForward } = await import('../../extension/keras/forward');
    const { fromJsonValue, prepareInputs } = await import('../../extension/keras/inputs');
    const doc = await loadModel(path.join(models2, 'files', `${ID}.h5`));
    const input = JSON.parse(readFileSync(path.join(models2, 'inputs', `${ID}.json`), 'utf8'));
    return { doc, result: await runForward(doc, prepareInputs(doc, fromJsonValue(input)).tensors) };
  })();
  return realRun;
}

describe('ConvLSTM2D real model (Keras 3.8 legacy .h5)', { skip: existsSync(path.join(models2, 'files', `${ID}.h5`)) ? false : 'shared/models2 is not here' }, () => {
  it('output and conv_lstm2d_3 per-step h, c, i, f, g, o match the reference within 1e-4 relative', async () => {
    const { result } = await runReal();
    assert.equal(result.stopped, undefined, result.stopped?.message);
    const expected = JSON.parse(readFileSync(path.join(models2, 'expected', `${ID}.json`), 'utf8')) as { output: unknown; output_shape: number[] };
    assert.deepEqual(result.outputs[0].shape, expected.output_shape);
    assertClose(result.outputs[0].data, flat(expected.output), 1e-5, 1e-4, 'model output');

    const ref = JSON.parse(readFileSync(path.join(models2, 'expected', `${ID}.conv_lstm2d_3-trace.json`), 'utf8')).trace.conv_lstm2d_3 as Record<string, unknown>;
    const trace = result.traces.find((x) => x.layer === 'conv_lstm2d_3');
    assert.ok(trace, 'a trace of conv_lstm2d_3');
    assert.equal(trace.steps, 20);
    assert.equal(trace.cell.product, 'conv');
    // The reference stores each step as (N, rows, cols, F) = (1, 5, 5, 16): one state is a 5×5 map of 16 channels.
    assert.deepEqual(trace.stateShape, [5, 5, 16]);
    assert.deepEqual(Array.from(trace.timeIndex), flat(ref.time_order));
    for (const key of ['h', 'c', 'i', 'f', 'g', 'o']) assertClose(trace.values[key], flat(ref[key]), 1e-5, 1e-4, `conv_lstm2d_3 ${key}`);
  });

  it('the step walk-through the panel shows recomputes conv_lstm2d_3 step 7 from the stored weights and agrees with the trace', async () => {
    const { recurrentWeightsFor } = await import('../../extension/runJob');
    const { walkthrough } = await import('../../webview/logic/stepMath');
    const { doc, result } = await runReal();
    const trace = result.traces.find((x) => x.layer === 'conv_lstm2d_3')!;
    const weights = recurrentWeightsFor(doc, trace)!;
    assert.deepEqual([weights.inputShape, weights.stateShape], [[7, 7, 14], [5, 5, 16]]);
    const fed = result.layers.find((l) => l.name === 'time_distributed_2')!.outputs[0];
    const walk = walkthrough({ weights, trace, input: { steps: 20, features: 7 * 7 * 14, data: fed.data, batch: 1 }, step: 6, sample: 0, kerasMajor: 3 });
    assert.deepEqual(walk.checks.map((c) => c.key), ['i', 'f', 'g', 'o', 'c', 'h']);
    for (const c of walk.checks) assert.ok(c.agrees, `${c.key}: max |diff| ${c.maxAbsDiff}`);
    assert.match(walk.equations[0], /conv\(x₇, W_i\) \+ conv\(h₆, U_i\)/);
  });
  it('the exported NumPy script, run by python3, gives the reference output', async (t) => {
    const { PYTHON_WITH_NUMPY, NO_NUMPY_REASON } = await import('./helpers/python');
    if (!PYTHON_WITH_NUMPY) return t.skip(NO_NUMPY_REASON);
    const { loadModel } = await import('../../extension/keras/documentNode');
    const { fromJsonValue, prepareInputs } = await import('../../extension/keras/inputs');
    const { exportNumpy } = await import('../../extension/keras/numpyExport');
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const doc = await loadModel(path.join(models2, 'files', `${ID}.h5`));
    const input = JSON.parse(readFileSync(path.join(models2, 'inputs', `${ID}.json`), 'utf8'));
    const script = exportNumpy(doc, prepareInputs(doc, fromJsonValue(input)).tensors, { title: ID });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'convlstm-')), 'convlstm.py');
    writeFileSync(file, script);
    const run = spawnSync(PYTHON_WITH_NUMPY, [file, '--json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(run.status, 0, run.stderr);
    const expected = JSON.parse(readFileSync(path.join(models2, 'expected', `${ID}.json`), 'utf8')) as { output: unknown };
    assertClose(flat(JSON.parse(run.stdout).output), flat(expected.output), 1e-5, 1e-4, 'NumPy script output');
  });
  it('the summary counts what Keras stored: 1,024 + 3,488 + 11,144 + 17,344 in the four ConvLSTM2D layers', async () => {
    const { loadModel } = await import('../../extension/keras/documentNode');
    const { summarize } = await import('../../extension/keras/summary');
    const doc = await loadModel(path.join(models2, 'files', `${ID}.h5`));
    const rows = summarize(doc).layers.filter((l) => l.className === 'ConvLSTM2D');
    // (3·3·C·4F + 3·3·F·4F + 4F) from the stored datasets' shapes: C, F = (3, 4), (4, 8), (8, 14), (14, 16).
    assert.deepEqual(rows.map((l) => l.params), [1024, 3488, 11144, 17344]);
    for (const l of rows) assert.equal(l.formula?.formula, 'k^d·(C+F)·4F + 4F');
  });
});
