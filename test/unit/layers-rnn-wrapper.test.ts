// RNN(cell) and RNN(StackedRNNCells([...])): Keras's stacked cell runs its cells in order within one time step, each
// cell's output h feeding the next (keras/src/layers/rnn/stacked_rnn_cells.py), states per cell, return_state returning
// every cell's states, the output the last cell's. Checked against TensorFlow.js's own RNN/StackedRNNCells, an
// independent NumPy loop written here step by step (masks, go_backwards, initial states), the same weights run as
// separate LSTM/GRU layers, and counts by hand.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseModelConfig } from '../../extension/keras/config';
import { estimateMemory } from '../../extension/keras/forward';
import { rnnWrapper } from '../../extension/keras/layers/rnnWrapper';
import { lstm } from '../../extension/keras/layers/lstm';
import { gru } from '../../extension/keras/layers/gru';
import type { LayerOutput } from '../../extension/keras/layers/types';
import type { ModelDocument, WeightRef } from '../../extension/keras/model';
import type { Mask, Tensor } from '../../extension/keras/tensor';
import { assertClose, ctx, env, layerNode, randomArray, seeded, t, weightRef } from './helpers/layerNode';
import { NO_NUMPY_REASON, PYTHON_WITH_NUMPY } from './helpers/python';
import { runTfLayer, tfl, tfReady } from './helpers/tfjs';

before(tfReady);

const rnd = seeded(9090);

type CellSpec = { cls: 'SimpleRNNCell' | 'LSTMCell' | 'GRUCell'; units: number; config?: Record<string, unknown> };
const gates = { SimpleRNNCell: 1, LSTMCell: 4, GRUCell: 3 } as const;

/** Keras 3's serialized StackedRNNCells (a single cell is serialized as itself). */
function cellConfig(cells: CellSpec[]): Record<string, unknown> {
  const one = (c: CellSpec, i: number) => ({ module: 'keras.layers', class_name: c.cls, config: { name: `${c.cls.toLowerCase()}_${i}`, units: c.units, ...c.config }, registered_name: null });
  if (cells.length === 1) return one(cells[0], 0);
  return { module: 'keras.layers', class_name: 'StackedRNNCells', config: { name: 'stacked_rnn_cells', cells: cells.map(one) }, registered_name: null };
}

/** Random float32 weights per cell: kernel D×GM, recurrent M×GM, bias GM (GRU reset_after: 2×3M). */
function cellWeights(cells: CellSpec[], D: number): { ref: WeightRef; values: number[] }[] {
  let d = D;
  return cells.flatMap((c) => {
    const G = gates[c.cls] * c.units;
    const resetAfter = c.cls === 'GRUCell' && c.config?.reset_after !== false;
    const shapes: [string, number[]][] = [['kernel', [d, G]], ['recurrent_kernel', [c.units, G]], ['bias', resetAfter ? [2, G] : [G]]];
    d = c.units;
    return shapes.map(([name, shape]) => {
      const values = randomArray(shape.reduce((a, b) => a * b, 1), rnd, -0.7, 0.7).map(Math.fround);
      return { ref: weightRef(name, shape, values), values };
    });
  });
}

function runRnn(cells: CellSpec[], weights: WeightRef[], x: Tensor, opts: Record<string, unknown> = {}, mask: Mask | null = null, initialState?: Tensor[]): Promise<LayerOutput> {
  const l = layerNode('RNN', { cell: cellConfig(cells), ...opts }, { weights });
  return rnnWrapper.forward(l, { tensors: [x], masks: [mask], ...(initialState ? { initialState } : {}) }, ctx()) as Promise<LayerOutput>;
}

describe('RNN(cell) and RNN(StackedRNNCells)', () => {
  const cells: CellSpec[] = [{ cls: 'LSTMCell', units: 4 }, { cls: 'GRUCell', units: 3, config: { reset_after: true } }];

  it('parameters by hand: LSTMCell(4) on D=2 is 4·4(2+4+1) = 112, then GRUCell(3) on D=4 is 3·3(4+3+2) = 81', () => {
    const f = rnnWrapper.params(layerNode('RNN', { cell: cellConfig(cells) }), [[null, 5, 2]], env())!;
    assert.equal(f.total, 193);
    assert.equal(f.trainable, 193);
    assert.deepEqual(f.terms.map((x) => [x.name, x.shape]), [
      ['cells/0/kernel', [2, 16]], ['cells/0/recurrent_kernel', [4, 16]], ['cells/0/bias', [16]],
      ['cells/1/kernel', [4, 9]], ['cells/1/recurrent_kernel', [3, 9]], ['cells/1/bias', [2, 9]],
    ]);
    assert.match(f.substituted, /= 193$/);
    assert.match(f.note ?? '', /cell 1: D = 4, M = 3/);
    // One cell: the cell's own formula, e.g. SimpleRNNCell(5) on D=3: 3·5 + 5·5 + 5 = 45.
    assert.equal(rnnWrapper.params(layerNode('RNN', { cell: cellConfig([{ cls: 'SimpleRNNCell', units: 5 }]) }), [[null, 10, 3]], env())!.total, 45);
  });

  it('shapes: the last cell gives the output; return_state gives every cell\'s states, cell by cell', () => {
    const l = layerNode('RNN', { cell: cellConfig(cells), return_sequences: true, return_state: true });
    assert.deepEqual(rnnWrapper.outputShape(l, [[null, 5, 2]], env()).shapes, [[null, 5, 3], [null, 4], [null, 4], [null, 3]]);
    const plain = layerNode('RNN', { cell: cellConfig(cells) });
    assert.deepEqual(rnnWrapper.outputShape(plain, [[null, 5, 2]], env()).shapes, [[null, 3]]);
  });

  it('Keras 3 weight groups: cell/cells/<snake_case class>, numbered from the second of a class', () => {
    const three: CellSpec[] = [{ cls: 'LSTMCell', units: 2 }, { cls: 'LSTMCell', units: 2 }, { cls: 'GRUCell', units: 2 }, { cls: 'SimpleRNNCell', units: 2 }];
    const l = layerNode('RNN', { cell: cellConfig(three) });
    assert.deepEqual(rnnWrapper.keras3VarGroups!(l), ['cell/cells/lstm_cell', 'cell/cells/lstm_cell_1', 'cell/cells/gru_cell', 'cell/cells/simple_rnn_cell']);
    assert.deepEqual(rnnWrapper.keras3VarGroups!(layerNode('RNN', { cell: cellConfig([three[0]]) })), ['cell']);
    assert.equal(rnnWrapper.keras3WeightNames!(l).length, 12);
  });

  it('equals TensorFlow.js RNN over a list of cells (SimpleRNN, LSTM, GRU), sequences and states', () => {
    const tfCells: CellSpec[] = [{ cls: 'SimpleRNNCell', units: 3 }, { cls: 'LSTMCell', units: 4 }, { cls: 'GRUCell', units: 2, config: { reset_after: false } }];
    const x = t([2, 6, 3], randomArray(36, rnd));
    const ws = cellWeights(tfCells, 3);
    const layer = tfl.layers.rnn({
      // The weights are set below; a plain initializer avoids tfjs's orthogonal one, which fails on the CPU backend.
      cell: [
        tfl.layers.simpleRNNCell({ units: 3, recurrentInitializer: 'zeros' }),
        // tfjs defaults the gates to hard_sigmoid; Keras 2.3+ and 3 to sigmoid.
        tfl.layers.lstmCell({ units: 4, recurrentInitializer: 'zeros', recurrentActivation: 'sigmoid' }),
        tfl.layers.gruCell({ units: 2, recurrentInitializer: 'zeros', recurrentActivation: 'sigmoid' }),
      ],
      returnSequences: true,
      returnState: true,
    });
    const theirs = runTfLayer(layer, [x], ws.map((w) => ({ shape: w.ref.shape, values: Float32Array.from(w.values) })));
    return runRnn(tfCells, ws.map((w) => w.ref), x, { return_sequences: true, return_state: true }).then((ours) => {
      assert.equal(ours.tensors.length, 1 + 1 + 2 + 1);
      assert.equal(theirs.length, ours.tensors.length);
      // tfjs keeps Keras 2.0's state order, the cells last to first; Keras 2.1+ and 3 list them first to last.
      const [out, gruH, lstmH, lstmC, simpleH] = theirs;
      [out, simpleH, lstmH, lstmC, gruH].forEach((want, i) => {
        assert.deepEqual(ours.tensors[i].shape, want.shape, `output ${i} shape`);
        assertClose(ours.tensors[i].data, want.data, 2e-6, 2e-5, `output ${i}`);
      });
      // One trace per cell, each with that cell's h.
      assert.deepEqual(ours.traces!.map((tr) => [tr.layer, tr.units]), [['rnn/simplernncell_0', 3], ['rnn/lstmcell_1', 4], ['rnn/grucell_2', 2]]);
    });
  });

  it('equals the same weights run as an LSTM layer then a GRU layer (the path checked against Keras goldens)', async () => {
    const x = t([3, 5, 2], randomArray(30, rnd));
    const ws = cellWeights(cells, 2);
    const ours = await runRnn(cells, ws.map((w) => w.ref), x, { return_sequences: true, return_state: true });
    const l1 = layerNode('LSTM', { units: 4, return_sequences: true, return_state: true }, { weights: ws.slice(0, 3).map((w) => w.ref) });
    const a = (await lstm.forward(l1, { tensors: [x], masks: [null] }, ctx())) as LayerOutput;
    const l2 = layerNode('GRU', { units: 3, reset_after: true, return_sequences: true, return_state: true }, { weights: ws.slice(3).map((w) => w.ref) });
    const b = (await gru.forward(l2, { tensors: [a.tensors[0]], masks: [null] }, ctx())) as LayerOutput;
    assertClose(ours.tensors[0].data, b.tensors[0].data, 1e-15, 0, 'sequence');
    assertClose(ours.tensors[1].data, a.tensors[1].data, 1e-15, 0, 'LSTM h');
    assertClose(ours.tensors[2].data, a.tensors[2].data, 1e-15, 0, 'LSTM c');
    assertClose(ours.tensors[3].data, b.tensors[1].data, 1e-15, 0, 'GRU h');
    // RNN(LSTMCell) alone is the LSTM layer.
    const single = await runRnn([cells[0]], ws.slice(0, 3).map((w) => w.ref), x, { return_sequences: true });
    assertClose(single.tensors[0].data, a.tensors[0].data, 0, 0, 'RNN(LSTMCell)');
    assert.equal(single.traces![0].layer, 'rnn');
  });

  it('equals an independent NumPy step loop of StackedRNNCells (mask, go_backwards, initial states)', { skip: PYTHON_WITH_NUMPY ? false : NO_NUMPY_REASON }, async () => {
    const x = t([2, 5, 2], randomArray(20, rnd));
    const ws = cellWeights(cells, 2);
    const mask: Mask = { n: 2, t: 5, data: Uint8Array.from([1, 1, 0, 1, 1, 1, 1, 1, 0, 0]) };
    const init = [t([2, 4], randomArray(8, rnd)), t([2, 4], randomArray(8, rnd)), t([2, 3], randomArray(6, rnd))];
    const program = `
import json, sys
import numpy as np
IN = json.load(sys.stdin)
W = [np.array(w['values']).reshape(w['shape']) for w in IN['weights']]
x = np.array(IN['x']).reshape(2, 5, 2); m = np.array(IN['mask']).reshape(2, 5)
sig = lambda v: 1 / (1 + np.exp(-v))
def lstm_cell(xt, h, c, k, rk, b):
    z = xt @ k + h @ rk + b
    i, f, g, o = np.split(z, 4, axis=-1)
    c = sig(f) * c + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c), c
def gru_cell(xt, h, k, rk, b):
    xz, xr, xh = np.split(xt @ k + b[0], 3, axis=-1)
    hz, hr, hh = np.split(h @ rk + b[1], 3, axis=-1)
    z = sig(xz + hz); r = sig(xr + hr)
    cand = np.tanh(xh + r * hh)
    return z * h + (1 - z) * cand
def run(go_backwards, use_mask, init):
    h0, c0, h1 = [np.array(s['values']).reshape(s['shape']) for s in init] if init else (np.zeros((2, 4)), np.zeros((2, 4)), np.zeros((2, 3)))
    outs = []; out = np.zeros((2, 3))
    steps = range(4, -1, -1) if go_backwards else range(5)
    for t in steps:
        nh0, nc0 = lstm_cell(x[:, t], h0, c0, *W[0:3])
        nh1 = gru_cell(nh0, h1, *W[3:6])
        keep = (m[:, t:t + 1] > 0) if use_mask else np.ones((2, 1), bool)
        h0 = np.where(keep, nh0, h0); c0 = np.where(keep, nc0, c0); h1 = np.where(keep, nh1, h1)
        out = np.where(keep, nh1, out)
        outs.append(out)
    return [np.stack(outs, 1).ravel().tolist(), h0.ravel().tolist(), c0.ravel().tolist(), h1.ravel().tolist()]
print(json.dumps([run(False, True, None), run(True, True, None), run(True, False, IN['init'])]))`;
    const py = spawnSync(PYTHON_WITH_NUMPY!, ['-c', program], {
      input: JSON.stringify({ weights: ws.map((w) => ({ shape: w.ref.shape, values: w.values })), x: [...x.data], mask: [...mask.data], init: init.map((s) => ({ shape: s.shape, values: [...s.data] })) }),
      encoding: 'utf8',
    });
    assert.equal(py.status, 0, py.stderr);
    const expected = JSON.parse(py.stdout) as number[][][];
    const cases: [Record<string, unknown>, Mask | null, Tensor[] | undefined][] = [
      [{}, mask, undefined],
      [{ go_backwards: true }, mask, undefined],
      [{ go_backwards: true }, null, init],
    ];
    for (const [k, [opts, m, initState]] of cases.entries()) {
      const ours = await runRnn(cells, ws.map((w) => w.ref), x, { return_sequences: true, return_state: true, ...opts }, m, initState);
      // The cells compute in float32 as Keras does; this NumPy loop is float64: a float32 bound, as in the conformance test.
      ours.tensors.forEach((o, i) => assertClose(o.data, expected[k][i], 2e-6, 2e-6, `case ${k} output ${i}`));
      if (opts.go_backwards) assert.deepEqual([...ours.traces![1].timeIndex], [4, 3, 2, 1, 0]);
    }
  });

  it('refuses what it cannot run, in one sentence each', async () => {
    const x = t([1, 2, 2], [1, 2, 3, 4]);
    await assert.rejects(runRnn(cells, [], x), /stores 0 weight tensors but its 2 cell\(s\) need 6/);
    const custom = layerNode('RNN', { cell: { class_name: 'MinimalRNNCell', config: { units: 2 }, registered_name: 'Custom>MinimalRNNCell' } });
    assert.throws(() => rnnWrapper.outputShape(custom, [[null, 2, 2]], env()), /cell class MinimalRNNCell, which this tool does not run/);
    assert.throws(() => rnnWrapper.outputShape(layerNode('RNN', {}), [[null, 2, 2]], env()), /has no cell in its config/);
    const ws = cellWeights(cells, 2).map((w) => w.ref);
    await assert.rejects(runRnn(cells, ws, x, {}, null, [t([1, 4], [0, 0, 0, 0])]), /takes 3 initial state tensor\(s\), 2 \+ 1 for its cells, but got 1/);
  });

  it('the memory estimate counts every cell\'s trace: N·T·(LSTM 4 units × 6 quantities + GRU 3 units × 4) float64s', () => {
    const raw = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'InputLayer', config: { batch_shape: [null, null, 2], name: 'x' } }, { class_name: 'RNN', config: { name: 'rnn', cell: cellConfig(cells) } }] } };
    const { graph } = parseModelConfig(raw, { kerasMajor: 3, warnings: [] });
    const doc: ModelDocument = { file: 'm.keras', format: 'keras3-keras', kerasVersion: '3.16.0', kerasMajor: 3, backend: null, modelClass: 'Sequential', root: graph, warnings: [] };
    // LSTM records h, c and the gates i, f, g, o; GRU h and z, r, h~; with the gates off, only the states (h, c; h).
    assert.equal(estimateMemory(doc, [[10, 1000, 2]], true).traces, 10 * 1000 * (4 * 6 + 3 * 4) * 4);
    assert.equal(estimateMemory(doc, [[10, 1000, 2]], 'h').traces, 10 * 1000 * (4 * 2 + 3 * 1) * 4);
  });
});
