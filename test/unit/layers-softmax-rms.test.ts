// Softmax over any axis (or list of axes) and LayerNormalization(rms_scaling=True), checked against hand
// computations from Keras's own source and an independent NumPy implementation written here.
// Keras 3 (keras/src/ops/nn.py, _layer_normalization): rms_scaling → x · rsqrt(var(x) + ε) · gamma, var about the mean,
// x not centred, no beta. Keras Softmax(axis): exp(x − logsumexp(x, axis)) over the listed axes.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { activation } from '../../extension/keras/layers/activation';
import { layerNormalization } from '../../extension/keras/layers/layerNormalization';
import type { LayerOutput } from '../../extension/keras/layers/types';
import type { Tensor } from '../../extension/keras/tensor';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';
import { NO_NUMPY_REASON, PYTHON_WITH_NUMPY } from './helpers/python';

const rnd = seeded(807);

/** Runs a NumPy program that reads JSON on stdin and prints JSON. */
function numpy(program: string, input: unknown): unknown {
  const run = spawnSync(PYTHON_WITH_NUMPY!, ['-c', `import json, sys\nimport numpy as np\nIN = json.load(sys.stdin)\n${program}`], { input: JSON.stringify(input), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

function softmax(axis: unknown, x: Tensor): LayerOutput {
  return activation.forward(layerNode('Softmax', { axis }), { tensors: [x], masks: [null] }, ctx()) as LayerOutput;
}

describe('Softmax(axis)', () => {
  it('by hand: axis=1 on a 2-D input is the last axis; axis=0 normalizes down each column', () => {
    // Row [0, ln 3]: e^0 / (1 + 3) = 0.25, 3/4 = 0.75. Column [0, ln 3] likewise.
    const x = t([2, 2], [0, Math.log(3), Math.log(3), 0]);
    assertClose(softmax(1, x).tensors[0].data, [0.25, 0.75, 0.75, 0.25], 1e-15, 0);
    assertClose(softmax(-1, x).tensors[0].data, [0.25, 0.75, 0.75, 0.25], 1e-15, 0);
    assertClose(softmax(0, x).tensors[0].data, [0.25, 0.75, 0.75, 0.25], 1e-15, 0);
    // Both axes: one group of four, e^0, 3, 3, e^0 over 8.
    assertClose(softmax([0, 1], x).tensors[0].data, [0.125, 0.375, 0.375, 0.125], 1e-15, 0);
  });

  it('every axis and axis list of a 3-D input equals NumPy', { skip: PYTHON_WITH_NUMPY ? false : NO_NUMPY_REASON }, () => {
    const x = t([2, 3, 4], randomArray(24, rnd, -3, 3));
    const cases: unknown[] = [0, 1, 2, -1, -2, -3, [1], [-1], [1, 2], [0, 2], [2, 0], [0, 1, 2]];
    const expected = numpy(
      `x = np.array(IN['x']).reshape(IN['shape'])
out = []
for a in IN['axes']:
    ax = tuple(a) if isinstance(a, list) else (a,)
    e = np.exp(x - x.max(axis=ax, keepdims=True))
    out.append((e / e.sum(axis=ax, keepdims=True)).ravel().tolist())
print(json.dumps(out))`,
      { x: [...x.data], shape: x.shape, axes: cases },
    ) as number[][];
    cases.forEach((axis, i) => assertClose(softmax(axis, x).tensors[0].data, expected[i], 1e-15, 1e-14, `axis ${JSON.stringify(axis)}`));
  });

  it('shape passes through; an axis the input lacks, a repeated axis or a non-integer is one sentence', () => {
    assert.deepEqual(activation.outputShape(layerNode('Softmax', { axis: 1 }), [[null, 5]], env()).shapes, [[null, 5]]);
    assert.throws(() => activation.outputShape(layerNode('Softmax', { axis: 2 }), [[null, 5]], env()), /axis 2.*rank-2/);
    assert.throws(() => softmax([1, -1], t([1, 2], [0, 0])), /same axis twice/);
    assert.throws(() => softmax(0.5, t([1, 2], [0, 0])), /whole number/);
  });
});

function layerNorm(cfg: Record<string, unknown>, x: Tensor, weights: [string, number[], number[]][]): LayerOutput {
  const l = layerNode('LayerNormalization', cfg, { weights: weights.map(([n, s, v]) => weightRef(n, s, v)) });
  return layerNormalization.forward(l, { tensors: [x], masks: [null] }, ctx()) as LayerOutput;
}

describe('LayerNormalization(rms_scaling=True)', () => {
  it('by hand: x = [0, 2] has var 1, so y = x·gamma/√(1 + ε), not centred', () => {
    const y = layerNorm({ rms_scaling: true, epsilon: 1e-3 }, t([1, 2], [0, 2]), [['gamma', [2], [0.5, 3]]]);
    // gamma is float32 in a file: 0.5 and 3 are exact. Centred LayerNormalization would give [-0.5, 3]/√1.001.
    assertClose(y.tensors[0].data, [0, 6 / Math.sqrt(1.001)], 1e-15, 1e-15);
  });

  it('parameters: gamma only, even with center=True or scale=False (Keras builds gamma when rms_scaling)', () => {
    for (const cfg of [{ rms_scaling: true }, { rms_scaling: true, center: true, scale: false }]) {
      const f = layerNormalization.params(layerNode('LayerNormalization', cfg), [[null, 7, 6]], env())!;
      assert.deepEqual(f.terms.map((x) => [x.name, x.shape]), [['gamma', [6]]]);
      assert.equal(f.total, 6);
      assert.match(f.note ?? '', /rms_scaling/);
    }
  });

  it('over the last axis and over axes [1, 2] equals NumPy', { skip: PYTHON_WITH_NUMPY ? false : NO_NUMPY_REASON }, () => {
    const x = t([2, 3, 4], randomArray(24, rnd, -2, 2).map((v, i) => v + (i % 4) * 0.7));
    const g4 = randomArray(4, rnd, 0.5, 1.5).map(Math.fround);
    const g34 = randomArray(12, rnd, 0.5, 1.5).map(Math.fround);
    const expected = numpy(
      `x = np.array(IN['x']).reshape(IN['shape'])
def rms(x, g, axes, eps):
    return x / np.sqrt(x.var(axis=axes, keepdims=True) + eps) * g
a = rms(x, np.array(IN['g4']), (2,), 1e-3)
b = rms(x, np.array(IN['g34']).reshape(3, 4), (1, 2), 1e-5)
print(json.dumps([a.ravel().tolist(), b.ravel().tolist()]))`,
      { x: [...x.data], shape: x.shape, g4, g34 },
    ) as number[][];
    assertClose(layerNorm({ rms_scaling: true }, x, [['gamma', [4], g4]]).tensors[0].data, expected[0], 1e-14, 1e-13);
    assertClose(layerNorm({ rms_scaling: true, axis: [1, 2], epsilon: 1e-5 }, x, [['gamma', [3, 4], g34]]).tensors[0].data, expected[1], 1e-14, 1e-13);
  });
});
