// Randomized (seeded) cross-check of SimpleRNN, LSTM, GRU and Bidirectional against TensorFlow.js layers on the
// CPU backend, on the same float32 weights: return_sequences, go_backwards, return_state, masking (tfjs Masking),
// every merge mode, GRU reset_after=True against the Keras formula written in tfjs-core ops (tfjs-layers cannot
// express that cell), and whole stacked and functional models through runForward.
// tfjs computes in float32 and we in float64: agreement within 1e-5 absolute + 1e-5 relative.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { simpleRnn } from '../../extension/keras/layers/simpleRnn';
import { lstm } from '../../extension/keras/layers/lstm';
import { gru } from '../../extension/keras/layers/gru';
import { bidirectional } from '../../extension/keras/layers/bidirectional';
import { runForward } from '../../extension/keras/forward';
import type { LayerKind, LayerOutput } from '../../extension/keras/layers/types';
import type { LayerNode, TensorRef, WeightRef } from '../../extension/keras/model';
import type { Tensor } from '../../extension/keras/tensor';
import { assertClose, ctx, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';
import { functionalDoc, sequentialDoc } from './helpers/modelDoc';
import { fromTf, runTfLayer, tf, tfl, tfReady, toTf } from './helpers/tfjs';

before(tfReady);

const TOL = 1e-5;
type Cls = 'SimpleRNN' | 'LSTM' | 'GRU';
const GATES: Record<Cls, number> = { SimpleRNN: 1, LSTM: 4, GRU: 3 };
const KINDS: Record<Cls, LayerKind> = { SimpleRNN: simpleRnn, LSTM: lstm, GRU: gru };

interface Weights {
  kernel: Float32Array;
  recurrent: Float32Array;
  bias: Float32Array;
  G: number;
}

function randomWeights(cls: Cls, D: number, M: number, rnd: (lo?: number, hi?: number) => number): Weights {
  const G = GATES[cls];
  return {
    kernel: Float32Array.from(randomArray(D * G * M, rnd, -0.8, 0.8)),
    recurrent: Float32Array.from(randomArray(M * G * M, rnd, -0.8, 0.8)),
    bias: Float32Array.from(randomArray(G * M, rnd, -0.5, 0.5)),
    G,
  };
}

function refs(w: Weights, D: number, M: number): WeightRef[] {
  return [weightRef('kernel', [D, w.G * M], w.kernel), weightRef('recurrent_kernel', [M, w.G * M], w.recurrent), weightRef('bias', [w.G * M], w.bias)];
}

function tfWeights(w: Weights, D: number, M: number): { shape: number[]; values: Float32Array }[] {
  return [
    { shape: [D, w.G * M], values: w.kernel },
    { shape: [M, w.G * M], values: w.recurrent },
    { shape: [w.G * M], values: w.bias },
  ];
}

interface Opts {
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  activation?: string;
  recurrentActivation?: string;
}

/** The Keras config of our node and the matching tfjs layer, from the same options. */
function kerasConfig(cls: Cls, M: number, o: Opts): Record<string, unknown> {
  return {
    units: M,
    return_sequences: !!o.returnSequences,
    return_state: !!o.returnState,
    go_backwards: !!o.goBackwards,
    activation: o.activation ?? 'tanh',
    ...(cls !== 'SimpleRNN' ? { recurrent_activation: o.recurrentActivation ?? 'sigmoid' } : {}),
    ...(cls === 'GRU' ? { reset_after: false } : {}),
  };
}

function tfLayer(cls: Cls, M: number, o: Opts): tfl.RNN {
  const args = {
    units: M,
    returnSequences: !!o.returnSequences,
    returnState: !!o.returnState,
    goBackwards: !!o.goBackwards,
    activation: (o.activation ?? 'tanh') as 'tanh',
    kernelInitializer: 'zeros' as const,
    recurrentInitializer: 'zeros' as const,
  };
  const rec = { recurrentActivation: (o.recurrentActivation === 'hard_sigmoid' ? 'hardSigmoid' : o.recurrentActivation ?? 'sigmoid') as 'sigmoid' };
  if (cls === 'SimpleRNN') return tfl.layers.simpleRNN(args);
  if (cls === 'LSTM') return tfl.layers.lstm({ ...args, ...rec });
  return tfl.layers.gru({ ...args, ...rec }); // tfjs has only the reset-before cell
}

function compare(ours: Tensor[], theirs: Tensor[], what: string): void {
  assert.equal(ours.length, theirs.length, `${what}: number of outputs`);
  ours.forEach((o, i) => {
    assert.deepEqual(o.shape, theirs[i].shape, `${what}: shape of output ${i}`);
    assertClose(o.data, theirs[i].data, TOL, TOL, `${what} output ${i}`);
  });
}

const N = 3;
const T = 7;
const D = 4;
const M = 5;

describe('single recurrent layers vs tfjs-layers', () => {
  const cases: [Cls, Opts, 1 | 2 | 3][] = [];
  for (const cls of ['SimpleRNN', 'LSTM', 'GRU'] as Cls[]) {
    for (const returnSequences of [false, true]) {
      for (const goBackwards of [false, true]) cases.push([cls, { returnSequences, goBackwards, returnState: goBackwards }, 3]);
    }
  }
  cases.push(['SimpleRNN', { activation: 'relu', returnSequences: true }, 3]);
  // tfjs hardSigmoid is Keras 2's clip(0.2x + 0.5, 0, 1), so these run as a Keras 2 file.
  cases.push(['LSTM', { recurrentActivation: 'hard_sigmoid', returnSequences: true }, 2]);
  cases.push(['GRU', { recurrentActivation: 'hard_sigmoid', returnSequences: true }, 2]);

  cases.forEach(([cls, o, major], k) => {
    it(`${cls} ${JSON.stringify(o)} (Keras ${major})`, async () => {
      const rnd = seeded(100 + k);
      const w = randomWeights(cls, D, M, rnd);
      const x = t([N, T, D], randomArray(N * T * D, rnd, -2, 2));
      const node = layerNode(cls, kerasConfig(cls, M, o), { weights: refs(w, D, M) });
      const ours = (await KINDS[cls].forward(node, { tensors: [x], masks: [null] }, ctx(major))) as LayerOutput;
      compare(ours.tensors, runTfLayer(tfLayer(cls, M, o), [x], tfWeights(w, D, M)), cls);
    });
  });
});

describe('GRU reset_after=True vs the Keras formula in tfjs-core ops', () => {
  it('h~ = tanh(x·W_h + b_in,h + r⊙(h·U_h + b_rec,h)), z and r from summed input and recurrent parts', async () => {
    const rnd = seeded(31);
    const w = randomWeights('GRU', D, M, rnd);
    const bias2 = Float32Array.from(randomArray(2 * 3 * M, rnd, -0.5, 0.5));
    const x = t([N, T, D], randomArray(N * T * D, rnd, -2, 2));
    const node = layerNode('GRU', { units: M, reset_after: true, return_sequences: true }, {
      weights: [weightRef('kernel', [D, 3 * M], w.kernel), weightRef('recurrent_kernel', [M, 3 * M], w.recurrent), weightRef('bias', [2, 3 * M], bias2)],
    });
    const ours = (await gru.forward(node, { tensors: [x], masks: [null] }, ctx())) as LayerOutput;
    const expected = tf.tidy(() => {
      const W = tf.tensor2d(w.kernel, [D, 3 * M]);
      const U = tf.tensor2d(w.recurrent, [M, 3 * M]);
      const bIn = tf.tensor1d(bias2.subarray(0, 3 * M));
      const bRec = tf.tensor1d(bias2.subarray(3 * M));
      const xs = toTf(x);
      let h = tf.zeros([N, M]);
      const outs: tf.Tensor[] = [];
      for (let s = 0; s < T; s++) {
        const xt = tf.reshape(tf.slice(xs, [0, s, 0], [N, 1, D]), [N, D]);
        const [xz, xr, xh] = tf.split(tf.add(tf.matMul(xt, W), bIn), 3, 1);
        const [hz, hr, hh] = tf.split(tf.add(tf.matMul(h, U), bRec), 3, 1);
        const z = tf.sigmoid(tf.add(xz, hz));
        const r = tf.sigmoid(tf.add(xr, hr));
        const cand = tf.tanh(tf.add(xh, tf.mul(r, hh)));
        h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), cand));
        outs.push(h);
      }
      return tf.stack(outs, 1);
    });
    compare(ours.tensors, [fromTf(expected)], 'GRU reset_after');
    expected.dispose();
  });
});

/** Our Bidirectional node and the tfjs one over the same inner layer options and weights. */
function biPair(cls: Cls, o: Opts, mergeMode: 'concat' | 'sum' | 'mul' | 'ave' | null, rnd: (lo?: number, hi?: number) => number) {
  const wf = randomWeights(cls, D, M, rnd);
  const wb = randomWeights(cls, D, M, rnd);
  const f = layerNode(cls, kerasConfig(cls, M, o), { name: `forward_${cls.toLowerCase()}`, weights: refs(wf, D, M) });
  const b = layerNode(cls, { ...kerasConfig(cls, M, o), go_backwards: !o.goBackwards }, { name: `backward_${cls.toLowerCase()}`, weights: refs(wb, D, M) });
  const node = layerNode('Bidirectional', { merge_mode: mergeMode }, { children: [f, b] });
  const tfBi = tfl.layers.bidirectional({ layer: tfLayer(cls, M, o), mergeMode: mergeMode as 'concat' });
  return { node, tfBi, weights: [...tfWeights(wf, D, M), ...tfWeights(wb, D, M)] };
}

describe('Bidirectional vs tfjs-layers', () => {
  const modes = ['concat', 'sum', 'mul', 'ave', null] as const;
  let k = 0;
  for (const cls of ['LSTM', 'GRU', 'SimpleRNN'] as Cls[]) {
    for (const mergeMode of modes) {
      for (const returnSequences of [true, false]) {
        const seed = 200 + k++;
        it(`${cls} merge_mode=${mergeMode} return_sequences=${returnSequences}`, async () => {
          const rnd = seeded(seed);
          const { node, tfBi, weights } = biPair(cls, { returnSequences }, mergeMode, rnd);
          const x = t([N, T, D], randomArray(N * T * D, rnd, -2, 2));
          const ours = (await bidirectional.forward(node, { tensors: [x], masks: [null] }, ctx())) as LayerOutput;
          compare(ours.tensors, runTfLayer(tfBi, [x], weights), `Bidirectional(${cls})`);
          assert.equal(ours.traces?.length, 2);
        });
      }
    }
  }
});

/** An input whose masked steps hold the mask value 0 in every feature: sample 0 loses its last two steps, sample 2 one in the middle. */
function maskedInput(rnd: (lo?: number, hi?: number) => number): Tensor {
  const x = t([N, T, D], randomArray(N * T * D, rnd, -2, 2));
  const zero = (n: number, s: number): void => {
    x.data.fill(0, (n * T + s) * D, (n * T + s + 1) * D);
  };
  zero(0, T - 1);
  zero(0, T - 2);
  zero(2, 3);
  return x;
}

describe('masking (tfjs Masking layer) through runForward', () => {
  const cases: [Cls, Opts, boolean][] = [
    ['LSTM', { returnSequences: true }, false],
    ['LSTM', { returnSequences: false, goBackwards: true }, false],
    ['GRU', { returnSequences: true, goBackwards: true }, false],
    ['SimpleRNN', { returnSequences: false }, false],
    // Bidirectional without return_sequences: Keras keeps zero_output_for_mask False, as tfjs does.
    // (With return_sequences Keras zeroes masked outputs and tfjs does not; the hand test covers that case.)
    ['LSTM', { returnSequences: false }, true],
    ['GRU', { returnSequences: false }, true],
  ];
  cases.forEach(([cls, o, bi], k) => {
    it(`Masking → ${bi ? `Bidirectional(${cls})` : cls} ${JSON.stringify(o)}`, async () => {
      const rnd = seeded(300 + k);
      const x = maskedInput(rnd);
      let ourLayer: LayerNode;
      let theirLayer: tfl.layers.Layer;
      let weights: { shape: number[]; values: Float32Array }[];
      if (bi) {
        const p = biPair(cls, o, 'concat', rnd);
        ourLayer = p.node;
        theirLayer = p.tfBi;
        weights = p.weights;
      } else {
        const w = randomWeights(cls, D, M, rnd);
        ourLayer = layerNode(cls, kerasConfig(cls, M, o), { weights: refs(w, D, M) });
        theirLayer = tfLayer(cls, M, o);
        weights = tfWeights(w, D, M);
      }
      const doc = sequentialDoc([null, T, D], [layerNode('Masking', { mask_value: 0 }), ourLayer]);
      const ours = await runForward(doc, [x]);
      assert.equal(ours.stopped, undefined);
      const model = tfl.sequential({ layers: [tfl.layers.masking({ maskValue: 0, inputShape: [T, D] }), theirLayer] });
      theirLayer.setWeights(weights.map((w) => tf.tensor(w.values, w.shape, 'float32')));
      const y = model.predict(toTf(x)) as tf.Tensor;
      compare(ours.outputs, [fromTf(y)], 'masked');
      y.dispose();
      const masked = ours.traces[0].masked!;
      assert.equal(masked.reduce((a, b) => a + b, 0), 3, 'three (step, sample) pairs carried over');
    });
  });
});

describe('whole models through runForward vs tfjs models', () => {
  it('stacked Sequential: LSTM(seq) → GRU(seq, backwards) → SimpleRNN → Dense', async () => {
    const rnd = seeded(400);
    const x = t([N, T, D], randomArray(N * T * D, rnd, -2, 2));
    const spec: [Cls, number, number, Opts][] = [
      ['LSTM', D, 6, { returnSequences: true }],
      ['GRU', 6, 4, { returnSequences: true, goBackwards: true }],
      ['SimpleRNN', 4, 3, {}],
    ];
    const ours: LayerNode[] = [];
    const theirs: tfl.layers.Layer[] = [];
    const all: { shape: number[]; values: Float32Array }[][] = [];
    spec.forEach(([cls, d, m, o], i) => {
      const w = randomWeights(cls, d, m, rnd);
      ours.push(layerNode(cls, kerasConfig(cls, m, o), { name: `rnn_${i}`, weights: refs(w, d, m) }));
      theirs.push(tfLayer(cls, m, o));
      all.push(tfWeights(w, d, m));
    });
    const K = 2;
    const dk = Float32Array.from(randomArray(3 * K, rnd));
    const db = Float32Array.from(randomArray(K, rnd));
    ours.push(layerNode('Dense', { units: K, activation: 'linear' }, { name: 'dense', weights: [weightRef('kernel', [3, K], dk), weightRef('bias', [K], db)] }));
    theirs.push(tfl.layers.dense({ units: K }));
    all.push([{ shape: [3, K], values: dk }, { shape: [K], values: db }]);

    const result = await runForward(sequentialDoc([null, T, D], ours), [x]);
    assert.equal(result.stopped, undefined);
    assert.equal(result.traces.length, 3);
    const full = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [T, D] }), ...theirs] });
    theirs.forEach((l, i) => l.setWeights(all[i].map((w) => tf.tensor(w.values, w.shape, 'float32'))));
    const y = full.predict(toTf(x)) as tf.Tensor;
    compare(result.outputs, [fromTf(y)], 'stacked');
    y.dispose();
  });

  it('functional encoder-decoder: encoder LSTM states start the decoder LSTM (initial_state)', async () => {
    const rnd = seeded(500);
    const T2 = 5;
    const xEnc = t([N, T, D], randomArray(N * T * D, rnd, -2, 2));
    const xDec = t([N, T2, 2], randomArray(N * T2 * 2, rnd, -2, 2));
    const we = randomWeights('LSTM', D, M, rnd);
    const wd = randomWeights('LSTM', 2, M, rnd);
    const ref = (layer: string, tensor = 0): TensorRef => ({ layer, node: 0, tensor });
    const enc = layerNode('LSTM', kerasConfig('LSTM', M, { returnState: true }), {
      name: 'encoder',
      weights: refs(we, D, M),
      calls: [{ inputs: [ref('enc_in')], kwargs: {} }],
    });
    const dec = layerNode('LSTM', kerasConfig('LSTM', M, { returnSequences: true }), {
      name: 'decoder',
      weights: refs(wd, 2, M),
      calls: [{ inputs: [ref('dec_in')], initialState: [ref('encoder', 1), ref('encoder', 2)], kwargs: {} }],
    });
    const doc = functionalDoc({ enc_in: [null, T, D], dec_in: [null, T2, 2] }, [enc, dec], ['decoder']);
    const result = await runForward(doc, [xEnc, xDec]);
    assert.equal(result.stopped, undefined);

    const encIn = tfl.input({ shape: [T, D] });
    const decIn = tfl.input({ shape: [T2, 2] });
    const tfEnc = tfLayer('LSTM', M, { returnState: true });
    const tfDec = tfLayer('LSTM', M, { returnSequences: true });
    const [, h, c] = tfEnc.apply(encIn) as tfl.SymbolicTensor[];
    const out = tfDec.apply(decIn, { initialState: [h, c] }) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: [encIn, decIn], outputs: out });
    tfEnc.setWeights(tfWeights(we, D, M).map((w) => tf.tensor(w.values, w.shape, 'float32')));
    tfDec.setWeights(tfWeights(wd, 2, M).map((w) => tf.tensor(w.values, w.shape, 'float32')));
    const y = model.predict([toTf(xEnc), toTf(xDec)]) as tf.Tensor;
    compare(result.outputs, [fromTf(y)], 'encoder-decoder');
    y.dispose();
  });
});
