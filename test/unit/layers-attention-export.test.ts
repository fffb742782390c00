// The NumPy export of MultiHeadAttention, AdditiveAttention and RNN(StackedRNNCells) where the conformance test does not
// reach: masked inputs (a Masking layer), causal masks, sliding_window, a query row with no visible key, go_backwards
// over a mask. The exported script, run by python3, must print what the forward pass computed, layer by layer, within
// 1e-9.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseModelConfig } from '../../extension/keras/config';
import { runForward } from '../../extension/keras/forward';
import { layerEnv, layerKind } from '../../extension/keras/layers/index';
import type { ModelDocument } from '../../extension/keras/model';
import { exportNumpy } from '../../extension/keras/numpyExport';
import { assertClose, randomArray, seeded, t, weightRef } from './helpers/layerNode';
import { NO_NUMPY_REASON, PYTHON_WITH_NUMPY } from './helpers/python';

const rnd = seeded(2718);
const kt = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 5, 4], dtype: 'float32', keras_history: [name, 0, 0] } });
const layer = (cls: string, name: string, config: Record<string, unknown>, args: unknown[], kwargs: Record<string, unknown> = {}) => ({
  module: 'keras.layers',
  class_name: cls,
  name,
  config: { name, ...config },
  inbound_nodes: [{ args, kwargs }],
});
const cell = (cls: string, name: string, units: number, extra = {}) => ({ module: 'keras.layers', class_name: cls, config: { name, units, ...extra }, registered_name: null });

function doc(major: 2 | 3): ModelDocument {
  const raw = {
    module: 'keras',
    class_name: 'Functional',
    config: {
      name: 'attention_export',
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', name: 'x', config: { batch_shape: [null, 5, 4], dtype: 'float32', name: 'x' }, inbound_nodes: [] },
        layer('Masking', 'masked', { mask_value: 0 }, [kt('x')]),
        layer('MultiHeadAttention', 'mha', { num_heads: 2, key_dim: 3, value_dim: 2 }, [kt('masked'), kt('masked')], { use_causal_mask: true }),
        layer('MultiHeadAttention', 'mha_scores', { num_heads: 1, key_dim: 2, dropout: 0.2, sliding_window: 2 }, [kt('masked'), kt('masked')], { return_attention_scores: true }),
        layer('AdditiveAttention', 'additive', { use_scale: true }, [[kt('masked'), kt('masked')]], { use_causal_mask: true }),
        layer('RNN', 'rnn', { return_sequences: true, go_backwards: true, cell: { module: 'keras.layers', class_name: 'StackedRNNCells', config: { cells: [cell('GRUCell', 'gru_cell', 3, { reset_after: true }), cell('SimpleRNNCell', 'simple_rnn_cell', 2)] }, registered_name: null } }, [kt('masked')]),
      ],
      input_layers: [['x', 0, 0]],
      output_layers: [['mha', 0, 0], ['mha_scores', 0, 0], ['additive', 0, 0], ['rnn', 0, 0]],
    },
  };
  const { graph } = parseModelConfig(raw, { kerasMajor: major, warnings: [] });
  const d: ModelDocument = { file: 'attention_export.keras', format: 'keras3-keras', kerasVersion: major === 3 ? '3.16.0' : '2.15.0', kerasMajor: major, backend: null, modelClass: 'Functional', root: graph, warnings: [] };
  // Seeded weights of exactly the shapes each formula names.
  const shapes = new Map<string, (number | null)[][]>([['mha', [[null, 5, 4], [null, 5, 4]]], ['mha_scores', [[null, 5, 4], [null, 5, 4]]], ['additive', [[null, 5, 4], [null, 5, 4]]], ['rnn', [[null, 5, 4]]]]);
  for (const l of graph.layers) {
    const ins = shapes.get(l.name);
    if (!ins) continue;
    const f = layerKind(l.className)!.params(l, ins, layerEnv(major))!;
    l.weights = f.terms.map((term) => weightRef(term.name, term.shape, randomArray(term.count, rnd, -0.7, 0.7)));
  }
  return d;
}

for (const major of [3, 2] as const) {
  test(`NumPy export equals the forward pass with masks (Keras ${major})`, { skip: PYTHON_WITH_NUMPY ? false : NO_NUMPY_REASON }, async () => {
    const d = doc(major);
    // Sample 0 has its last two steps masked (all zeros), sample 1 its first: causal rows then see no key at all.
    const x = t([2, 5, 4], randomArray(40, rnd).map((v, i) => ((i < 40 && Math.floor(i / 4) >= 3 && i < 20) || (i >= 20 && i < 24) ? 0 : v)));
    const run = await runForward(d, [x], { trace: false });
    const dir = mkdtempSync(path.join(tmpdir(), 'attention-export-'));
    const file = path.join(dir, 'model.py');
    writeFileSync(file, exportNumpy(d, [x], { title: 'attention_export' }));
    const py = spawnSync(PYTHON_WITH_NUMPY!, [file, '--json', '--layers'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(py.status, 0, py.stderr);
    const script = JSON.parse(py.stdout) as { layers: { name: string; output: unknown }[] };
    const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
    for (const name of ['mha', 'mha_scores', 'additive', 'rnn']) {
      const ours = run.layers.find((l) => l.name === name)!;
      const theirs = script.layers.find((l) => l.name === name);
      assert.ok(theirs, `the script printed no ${name}`);
      // The recurrent layer computes in float32 as Keras does, the script in float64: float32 rounding bounds it.
      const tol = name === 'rnn' ? 2e-6 : 1e-9;
      assertClose(flat(theirs.output), ours.outputs[0].data, tol, tol, `${name} (Keras ${major})`);
    }
  });
}
