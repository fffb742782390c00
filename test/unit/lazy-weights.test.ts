// Weights are read lazily: loading and summarizing a real model never reads a weight's values, and reading one
// on request gives the float32 numbers h5py reads from the same file (computed here by Debian's h5py, not by us).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadModel } from '../../extension/keras/documentNode';
import type { LayerNode, ModelDocument, ModelGraph, WeightRef } from '../../extension/keras/model';
import { summarize } from '../../extension/keras/summary';
import { repoRoot } from './helpers/paths';

const shared = path.resolve(repoRoot, '../shared');
const files = path.join(shared, 'models', 'files');
const PYTHON = '/usr/bin/python3'; // Debian's Python with python3-h5py; the pyenv python3 on PATH has no h5py

/** Wraps values() of every weight the document holds (layers, wrapper children, nested models, loose weights). */
function instrument(doc: ModelDocument): { calls: number; wrapped: number } {
  const counter = { calls: 0, wrapped: 0 };
  const seen = new Set<object>();
  const wrap = (w: Pick<WeightRef, 'values'>) => {
    if (seen.has(w)) return; // a Bidirectional lists the same refs as its children
    seen.add(w);
    const inner = w.values.bind(w);
    w.values = () => {
      counter.calls++;
      return inner();
    };
    counter.wrapped++;
  };
  const visitLayer = (l: LayerNode): void => {
    l.weights.forEach(wrap);
    l.children.forEach(visitLayer);
    if (l.model) visitGraph(l.model);
  };
  const visitGraph = (g: ModelGraph): void => g.layers.forEach(visitLayer);
  visitGraph(doc.root);
  doc.looseWeights?.forEach(wrap);
  return counter;
}

interface H5pyWeight {
  shape: number[];
  size: number;
  head: number[];
  tail: number[];
}

const H5PY_READ = String.raw`
import io, json, sys, zipfile
import h5py
path, names = sys.argv[1], sys.argv[2:]
if path.endswith('.keras'):
    f = h5py.File(io.BytesIO(zipfile.ZipFile(path).read('model.weights.h5')), 'r')
else:
    f = h5py.File(path, 'r')
out = {}
for name in names:
    a = f[name][()].ravel()
    out[name] = {'shape': list(f[name].shape), 'size': int(a.size),
                 'head': [float(x) for x in a[:16]], 'tail': [float(x) for x in a[-4:]]}
print(json.dumps(out))
`;

/** What h5py reads for these dataset paths (float32 values widened to float64 exactly). */
function h5pyRead(file: string, datasets: string[]): Record<string, H5pyWeight> {
  const r = spawnSync(PYTHON, ['-c', H5PY_READ, file, ...datasets], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`h5py could not read ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function h5pyMissing(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} is not installed (apt-get install -y python3-h5py python3-numpy)`;
  const r = spawnSync(PYTHON, ['-c', 'import h5py, numpy'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${PYTHON} has no h5py/numpy (apt-get install -y python3-h5py python3-numpy)`;
}

function weightOf(doc: ModelDocument, layerName: string, child: number | null, weightName: string): WeightRef {
  const layer = doc.root.layers.find((l) => l.name === layerName);
  assert.ok(layer, `layer ${layerName} is in the document`);
  const owner = child === null ? layer : layer.children[child];
  assert.ok(owner, `layer ${layerName} has child ${child}`);
  const w = owner.weights.find((x) => x.name === weightName);
  assert.ok(w, `${layerName}${child === null ? '' : `[${child}]`} has a weight ${weightName}`);
  return w;
}

interface Case {
  file: string;
  /** Stored weights the model has (counted by hand from the h5py listing of the file, optimizer excluded). */
  storedWeights: number;
  /** [layer, child index or null, weight name, dataset path as h5py names it]. */
  picks: [string, number | null, string, string][];
}

const CASES: Case[] = [
  {
    file: 'ts-bilstm-encdec.h5',
    storedWeights: 2 * 6 + 2, // two Bidirectional(LSTM) with 3 weights per direction, TimeDistributed(Dense) kernel + bias
    picks: [
      ['Two_Direction_1', 0, 'kernel', 'model_weights/Two_Direction_1/Two_Direction_1/forward_Encoder/kernel:0'],
      ['Two_Direction_2', 1, 'recurrent_kernel', 'model_weights/Two_Direction_2/Two_Direction_2/backward_Decoder/recurrent_kernel:0'],
      ['Multistep', null, 'bias', 'model_weights/Multistep/Multistep/bias:0'],
    ],
  },
  {
    file: 'weather-bilstm-tfk215.keras',
    storedWeights: 5 * 6 + 2, // five Bidirectional(LSTM) with 3 weights per direction, Dense kernel + bias
    picks: [
      ['bidirectional', 0, 'kernel', 'layers\\bidirectional\\forward_layer\\cell/vars/0'],
      ['bidirectional_1', 1, 'recurrent_kernel', 'layers\\bidirectional_1\\backward_layer\\cell/vars/1'],
      ['dense', null, 'kernel', 'layers\\dense/vars/0'],
    ],
  },
];

describe('weights are read lazily', () => {
  const noShared = existsSync(files) ? null : `the shared model files are not at ${files}`;

  for (const c of CASES) {
    it(`${c.file}: summarize reads no weight values; values() matches h5py`, async (t) => {
      if (noShared) return t.skip(noShared);
      const why = h5pyMissing();
      const file = path.join(files, c.file);
      const doc = await loadModel(file);
      const counter = instrument(doc);
      assert.equal(counter.wrapped, c.storedWeights, 'every stored weight is reachable from the document');

      const s = summarize(doc);
      assert.ok(s.totalParams > 0);
      assert.equal(counter.calls, 0, 'summarize read weight values');

      if (why) return t.skip(`values() check needs h5py: ${why}`);
      const expected = h5pyRead(file, c.picks.map((p) => p[3]));
      for (const [layer, child, name, dataset] of c.picks) {
        const w = weightOf(doc, layer, child, name);
        assert.equal(w.path.replace(/^\//, ''), dataset, `${layer} ${name} comes from ${dataset}`);
        const before: number = counter.calls;
        const v = w.values();
        assert.equal(counter.calls, before + 1);
        assert.ok(v instanceof Float32Array, `${layer} ${name} values are a Float32Array`);
        const want = expected[dataset];
        assert.deepEqual(w.shape, want.shape, `${layer} ${name} shape`);
        assert.equal(v.length, want.size, `${layer} ${name} length`);
        assert.deepEqual(Array.from(v.subarray(0, want.head.length)), want.head, `${layer} ${name} first values`);
        assert.deepEqual(Array.from(v.subarray(v.length - want.tail.length)), want.tail, `${layer} ${name} last values`);
      }
    });
  }

  it('every real model that loads is summarized without reading a weight value', async (t) => {
    if (noShared) return t.skip(noShared);
    const catalog: { file: string; total_params: number | null }[] = JSON.parse(readFileSync(path.join(shared, 'models', 'catalog.json'), 'utf8'));
    let summarized = 0;
    let weightsSeen = 0;
    for (const entry of catalog) {
      if (entry.total_params == null) continue; // not a model (LFS pointer, truncated, other formats, data)
      let doc: ModelDocument;
      try {
        doc = await loadModel(path.join(files, entry.file));
      } catch {
        continue; // files that must be refused (hostile, Keras 1 edge cases) are the catalog tests' business
      }
      const counter = instrument(doc);
      summarize(doc);
      assert.equal(counter.calls, 0, `${entry.file}: summarize read weight values`);
      summarized++;
      weightsSeen += counter.wrapped;
    }
    assert.ok(summarized >= 15, `only ${summarized} real models loaded`);
    assert.ok(weightsSeen > 100, `only ${weightsSeen} weights were instrumented`);
  });
});
