// The non-recurrent layers as the project's own reader hands them over: every such layer of every real model
// with a reference output, run on the reference output of the layer before it (or the model input), and its
// parameter formula checked against the sizes of the weights the file stores.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import '../../extension/keras/layers/index';
import { layerKind } from '../../extension/keras/layers/index';
import { loadModel } from '../../extension/keras/documentNode';
import type { LayerOutput } from '../../extension/keras/layers/types';
import type { Tensor } from '../../extension/keras/tensor';
import { assertClose, ctx, env } from './helpers/layerNode';
import { MODELS_DIR, expectedLayer, missingModels, modelInput } from './helpers/realModels';

const RECURRENT = new Set(['SimpleRNN', 'LSTM', 'GRU', 'Bidirectional', 'CuDNNLSTM', 'CuDNNGRU']);

interface CatalogEntry {
  id: string;
  file: string;
  format: string;
}

describe('non-recurrent layers of the real models, read by the project reader', () => {
  const why = missingModels();
  const catalog: CatalogEntry[] = why ? [] : JSON.parse(readFileSync(resolve(MODELS_DIR, 'catalog.json'), 'utf8'));
  if (why) it('needs the shared models', (t) => t.skip(why));
  for (const entry of catalog) {
    let expected: { layers: { name: string; class: string }[] } | null = null;
    try {
      expected = JSON.parse(readFileSync(resolve(MODELS_DIR, 'expected', `${entry.id}.json`), 'utf8'));
    } catch {
      continue; // no reference run for this file (Keras 1, Lambda, broken or hostile)
    }
    it(`${entry.id}: outputs and parameter counts`, async (t) => {
      if (!Array.isArray(expected!.layers)) return t.skip('its reference file holds the model output only, no per-layer outputs');
      const doc = await loadModel(resolve(MODELS_DIR, 'files', entry.file));
      const byName = new Map(doc.root.layers.map((l) => [l.name, l]));
      let previous: Tensor = modelInput(entry.id);
      let checked = 0;
      for (const ref of expected!.layers) {
        const want = expectedLayer(entry.id, ref.name);
        const layer = byName.get(ref.name);
        assert.ok(layer, `layer ${ref.name} is in the document`);
        if (!RECURRENT.has(layer.className)) {
          const kind = layerKind(layer.className);
          assert.ok(kind, `${layer.className} has a module`);
          const out = (await kind.forward(layer, { tensors: [previous], masks: [null] }, ctx(doc.kerasMajor))) as LayerOutput;
          assert.deepEqual(out.tensors[0].shape, want.shape, `${ref.name} shape`);
          assertClose(out.tensors[0].data, want.data, 1e-5, 1e-5, ref.name);
          const shape = kind.outputShape(layer, [[null, ...previous.shape.slice(1)]], env(doc.kerasMajor)).shapes[0];
          assert.deepEqual(shape, [null, ...want.shape.slice(1)], `${ref.name} symbolic shape`);
          const f = kind.params(layer, [[null, ...previous.shape.slice(1)]], env(doc.kerasMajor));
          const stored = layer.weights.reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1), 0);
          assert.equal(f ? f.total : 0, stored, `${ref.name} parameters`);
          checked++;
        }
        previous = want;
      }
      assert.ok(checked > 0 || expected!.layers.every((l) => RECURRENT.has(l.class)));
    });
  }
});
