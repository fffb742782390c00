// Dev only (not shipped): runs the REAL core on real model files (and one in-memory LSTM(256) for the
// T=1000 paint budget) and writes what the host would send — init + runResult — to fixtures/*.json,
// typed arrays as base64. The dev page (index.html + devhost.js) replays them into dist/webview.js.
//   npx tsx scripts/webview-dev/makeFixtures.ts
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../extension/keras/documentNode';
import { summarize } from '../../extension/keras/summary';
import { inputSpecs, fillInputs } from '../../extension/keras/inputs';
import { runForward } from '../../extension/keras/forward';
import { recurrentWeightsFor } from '../../extension/runJob';
import type { ModelDocument } from '../../extension/keras/model';
import type { RunResult, RecurrentWeights } from '../../extension/protocol';
import { sequentialDoc } from '../../test/unit/helpers/modelDoc';
import { layerNode, weightRef } from '../../test/unit/helpers/layerNode';

const out = join(__dirname, 'fixtures');
mkdirSync(out, { recursive: true });

function b64(value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const v = value as Float64Array | Float32Array | Int32Array | Uint8Array;
    const tag = v instanceof Float64Array ? 'f64' : v instanceof Float32Array ? 'f32' : v instanceof Int32Array ? 'i32' : 'u8';
    return { $b64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'), $t: tag };
  }
  if (Array.isArray(value)) return value.map(b64);
  if (value && typeof value === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (typeof v !== 'function') o[k] = b64(v);
    return o;
  }
  return value;
}

async function fixture(name: string, doc: ModelDocument, fileName: string, kind: 'ramp' | 'random', opts: { N?: number; T?: number; seed?: number } = {}) {
  const summary = summarize(doc);
  const specs = inputSpecs(doc);
  const { tensors } = fillInputs(doc, kind, opts);
  const t0 = performance.now();
  const res = await runForward(doc, tensors, { trace: true });
  const recurrentWeights: RecurrentWeights[] = [];
  for (const tr of res.traces) {
    const w = recurrentWeightsFor(doc, tr);
    if (w) recurrentWeights.push(w);
  }
  const result: RunResult = {
    runId: 1,
    inputs: tensors,
    inputLabel: kind === 'ramp' ? 'ramp 1..T' : `seeded random (seed ${opts.seed ?? 0})`,
    outputs: res.outputs,
    layers: res.layers,
    traces: res.traces,
    recurrentWeights,
    ...(res.stopped ? { stopped: res.stopped } : {}),
    elapsedMs: performance.now() - t0,
  };
  // Every stored weight's values, so the dev host can answer `weights` requests like the real host.
  const weights: Record<string, { layer: string; name: string; path: string; shape: number[]; values: Float32Array }> = {};
  const visit = (layers: ModelDocument['root']['layers']) => {
    for (const l of layers) {
      for (const w of l.weights) weights[`${l.name}|${w.path}`] = { layer: l.name, name: w.name, path: w.path, shape: w.shape, values: w.values() };
      visit(l.children);
    }
  };
  visit(doc.root.layers);
  const init = { type: 'init', protocol: 1, fileUri: `file:///${fileName}`, fileName, summary, inputs: specs, host: 'panel' };
  writeFileSync(join(out, `${name}.json`), JSON.stringify(b64({ init, result, weights })));
  console.log(name, `${res.traces.length} traces`, `${(performance.now() - t0).toFixed(0)} ms`);
}

function rand(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.2;
}

async function main() {
  const files = '/work/shared';
  await fixture('golden-b', await loadModel(`${files}/golden/b_simplernn5_tanh.h5`), 'b_simplernn5_tanh.h5', 'ramp');
  await fixture('stock-gru', await loadModel(`${files}/models/files/stock-gru-functional.h5`), 'stock-gru-functional.h5', 'random', { seed: 1 });
  await fixture('weather-bilstm', await loadModel(`${files}/models/files/weather-bilstm-tfk215.keras`), 'weather-bilstm-tfk215.keras', 'random', { seed: 2 });
  await fixture('emotion-embed', await loadModel(`${files}/models/files/emotion-embed-lstm.h5`), 'emotion-embed-lstm.h5', 'random', { seed: 3 });
  await fixture('convlstm2d', await loadModel(`${files}/models2/files/convlstm2d-k38-h5.h5`), 'convlstm2d-k38-h5.h5', 'random', { seed: 5 });
  await fixture('sunspot', await loadModel(`${files}/models/files/sunspot-rnn.h5`), 'sunspot-rnn.h5', 'random', { T: 30, seed: 4 });
  // The paint budget case: LSTM(256) over T = 1000, D = 64 (weights random, forward pass real).
  const D = 64;
  const M = 256;
  const r = rand(7);
  const lstm = layerNode('LSTM', { units: M, activation: 'tanh', recurrent_activation: 'sigmoid', return_sequences: false, use_bias: true }, {
    name: 'lstm_big',
    weights: [
      weightRef('kernel', [D, 4 * M], Array.from({ length: D * 4 * M }, r)),
      weightRef('recurrent_kernel', [M, 4 * M], Array.from({ length: M * 4 * M }, r)),
      weightRef('bias', [4 * M], Array.from({ length: 4 * M }, r)),
    ],
  });
  const dense = layerNode('Dense', { units: 1, activation: 'linear', use_bias: true }, { name: 'dense_out', weights: [weightRef('kernel', [M, 1], Array.from({ length: M }, r)), weightRef('bias', [1], [0])] });
  await fixture('perf-lstm256', sequentialDoc([null, 1000, D], [lstm, dense], 3), 'perf-lstm256 (in memory)', 'random', { seed: 9 });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
