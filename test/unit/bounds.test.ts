// Sizes, memory and contradictions: crafted files around golden model b (SimpleRNN(5) on T=10, D=3, then Dense(2))
// whose configs lie about units, T and dims, or whose weights contradict the config. Each must end within 2 s, with
// one sentence of the right kind that names the layer (and both shapes where there are two), and without allocating
// what the file claims. A model within the memory limit still runs; one just above it is refused with the estimate.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadModel } from '../../extension/keras/documentNode';
import { InputError, InspectorError, NotAKerasFileError, UnsupportedFeatureError } from '../../extension/keras/errors';
import { checkFillMemory, estimateMemory, runForward } from '../../extension/keras/forward';
import { fillInputs, fromJsonValue, prepareInputs } from '../../extension/keras/inputs';
import { allLayers } from '../../extension/keras/graph';
import { layerEnv, layerKind } from '../../extension/keras/layers/index';
import { formatBytes } from '../../extension/keras/limits';
import type { LayerNode } from '../../extension/keras/model';
import { summarize } from '../../extension/keras/summary';
import { RunFailure, classify, executeRun } from '../../extension/runJob';
import { modelBytes } from './helpers/modelBytes';
import { goldenB, kerasZip, sharedDir } from '../helpers/craft';

const dir = mkdtempSync(path.join(tmpdir(), 'bounds-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PYTHON = '/usr/bin/python3'; // Debian's Python with python3-h5py

let count = 0;
/** Golden b's .keras with its config changed by `mutate` (layers: 0 InputLayer, 1 SimpleRNN, 2 Dense). */
function crafted(mutate: (layers: any[]) => void, weights?: Uint8Array): string {
  const b = goldenB();
  mutate(b.config.config.layers);
  const file = path.join(dir, `m${count++}.keras`);
  writeFileSync(file, kerasZip({ config: b.config, metadata: b.metadata, weights: weights ?? b.weights }));
  return file;
}

/** A plain sentence: short, one line, no JS internals. */
function assertPlain(message: string): void {
  assert.ok(message.length <= 300, `too long (${message.length}): ${message}`);
  assert.ok(!/\n/.test(message), message);
  for (const bad of ['undefined', '[object', 'Invalid typed array', 'RangeError', 'TypeError', '    at ']) assert.ok(!message.includes(bad), `"${bad}" in: ${message}`);
}

const MB = 1024 * 1024;

/** Runs `fn`, which must fail; returns the error after checking time (< 2 s) and that no large buffer was allocated. */
async function failsQuickly(fn: () => Promise<unknown>): Promise<Error> {
  const buffers = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  assert.ok(error instanceof Error, 'it should have failed');
  assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
  const grown = process.memoryUsage().arrayBuffers - buffers;
  assert.ok(grown < 32 * MB, `array buffers grew by ${formatBytes(grown)}`);
  assertPlain((error as Error).message);
  return error as Error;
}

/** Through the worker's path (runJob): file → checks → fill → forward. */
const run = (file: string, input: any = { kind: 'ramp' }, memoryLimitMB?: number) =>
  executeRun({ runId: 1, model: modelBytes(file), input, ...(memoryLimitMB !== undefined ? { memoryLimitMB } : {}) });

/** Through the core's path: load, fill, runForward. */
async function runCore(file: string, opts: { N?: number; T?: number } = {}): Promise<unknown> {
  const doc = await loadModel(file);
  return runForward(doc, fillInputs(doc, 'ramp', opts).tensors);
}

describe('sizes in a config are whole numbers before anything is sized by them', () => {
  const cases: [string, unknown][] = [
    ['negative', -5],
    ['fractional', 2.5],
    ['a string of a number', '5'],
    ['a NaN string', 'NaN'],
    ['an Infinity string', 'Infinity'],
    ['beyond any dimension', 1e12],
    ['an object', { value: 5 }],
    ['true', true],
  ];
  for (const [what, units] of cases) {
    it(`SimpleRNN units ${what} (${JSON.stringify(units)}) is refused as a damaged file naming the layer`, async () => {
      const file = crafted((l) => (l[1].config.units = units));
      const core = await failsQuickly(() => runCore(file));
      assert.ok(core instanceof NotAKerasFileError, `${core.constructor.name}: ${core.message}`);
      assert.match(core.message, /"units" of the layer "simple_rnn" \(SimpleRNN\)/);
      const viaJob = await failsQuickly(() => run(file));
      assert.ok(viaJob instanceof RunFailure && viaJob.kind === 'file', viaJob.message);
      assert.equal(viaJob.message, core.message);
    });
  }

  it('Dense units -5 is refused naming the Dense layer, and the summary still shows every layer with a warning', async () => {
    const file = crafted((l) => (l[2].config.units = -5));
    const e = await failsQuickly(() => runCore(file));
    assert.ok(e instanceof NotAKerasFileError);
    assert.match(e.message, /"dense" \(Dense\) is -5/);
    const s = summarize(await loadModel(file));
    assert.deepEqual(s.layers.map((l) => l.name), ['input_layer', 'simple_rnn', 'dense']);
    assert.equal(s.layers[2].outputShapeText, '?');
    assert.equal(s.layers[2].contradiction, e.message);
  });

  it('a batch_shape with T = -3 or 2.5 is refused before any fill', async () => {
    for (const T of [-3, 2.5]) {
      const file = crafted((l) => (l[0].config.batch_shape[1] = T));
      const e = await failsQuickly(() => run(file));
      assert.ok(e instanceof RunFailure && e.kind === 'file', e.message);
      assert.ok(e.message.includes(String(T)), e.message);
    }
  });

  // Every layer module reads its sizes through the same checked accessor: one impossible value per size key.
  const modules: [string, Record<string, unknown>, (string | number | null)[][]][] = [
    ['Dense', { units: 2 }, [[null, 10, 3]]],
    ['SimpleRNN', { units: 5 }, [[null, 10, 3]]],
    ['LSTM', { units: 5 }, [[null, 10, 3]]],
    ['GRU', { units: 5 }, [[null, 10, 3]]],
    ['Conv1D', { filters: 4, kernel_size: [3], strides: [1], dilation_rate: [1] }, [[null, 10, 3]]],
    ['MaxPooling1D', { pool_size: [2], strides: [2] }, [[null, 10, 3]]],
    ['RepeatVector', { n: 4 }, [[null, 3]]],
    ['Embedding', { input_dim: 50, output_dim: 8 }, [[null, 10]]],
    ['Reshape', { target_shape: [5, 6] }, [[null, 10, 3]]],
    ['InputLayer', { batch_shape: [null, 10, 3] }, [[null, 10, 3]]],
  ];
  for (const [className, config, inputs] of modules) {
    for (const key of Object.keys(config)) {
      // -1 in a target_shape is Keras's inferred entry, so -2 stands for a negative one there.
      for (const bad of [key === 'target_shape' ? -2 : -1, 0.5, '7', 1e12]) {
        it(`${className} ${key} = ${JSON.stringify(bad)} is NotAKerasFileError in its shape or parameter rule`, () => {
          const value = Array.isArray(config[key]) ? (key === 'batch_shape' || key === 'target_shape' ? [...(config[key] as unknown[]).slice(0, -1), bad] : [bad]) : bad;
          const layer: LayerNode = { name: 'crafted', className, config: { ...config, [key]: value }, weights: [], children: [], calls: [] };
          const kind = layerKind(className)!;
          const env = layerEnv(3);
          // The summary and the forward pass call both rules; the size must be refused by one before any math.
          assert.throws(
            () => {
              kind.outputShape(layer, inputs as never, env);
              kind.params(layer, inputs as never, env);
            },
            (e: Error) => e instanceof NotAKerasFileError && e.message.includes('"crafted"') && e.message.includes(JSON.stringify(bad) === `"${bad}"` ? `"${bad}"` : String(bad)),
          );
        });
      }
    }
  }
});

describe('weights that contradict the config stop the run with both shapes', () => {
  it('Dense units 7 with a stored 5×2 kernel', async () => {
    const file = crafted((l) => (l[2].config.units = 7));
    const e = await failsQuickly(() => runCore(file));
    assert.ok(e instanceof NotAKerasFileError);
    assert.match(e.message, /"dense" \(Dense\)/);
    assert.ok(e.message.includes('(5, 2)') && e.message.includes('(5, 7)'), e.message);
    // The summary shows the layer with the same sentence as a warning.
    const s = summarize(await loadModel(file));
    assert.ok(s.warnings.includes(e.message), s.warnings.join(' | '));
    assert.equal(s.layers[2].contradiction, e.message);
  });

  it('a 3 KB file claiming SimpleRNN(30000) ends at once, naming the stored (3, 5) and the claimed (3, 30000)', async () => {
    const file = crafted((l) => (l[1].config.units = 30000));
    const e = await failsQuickly(() => run(file));
    assert.ok(e instanceof RunFailure && e.kind === 'file', e.message);
    assert.ok(e.message.includes('"simple_rnn"') && e.message.includes('(3, 5)') && e.message.includes('(3, 30000)'), e.message);
  });

  it('SimpleRNN units 1e9 (a legal dimension) is a contradiction, not an allocation', async () => {
    const file = crafted((l) => (l[1].config.units = 1e9));
    const e = await failsQuickly(() => runCore(file));
    assert.ok(e instanceof NotAKerasFileError);
    assert.ok(e.message.includes('(3, 1000000000)'), e.message);
  });

  it('an input width D the kernel was not built for (batch_shape D = 4, kernel 3×5)', async () => {
    const file = crafted((l) => (l[0].config.batch_shape[2] = 4));
    const e = await failsQuickly(() => runCore(file));
    assert.ok(e instanceof NotAKerasFileError);
    assert.ok(e.message.includes('(3, 5)') && e.message.includes('(4, 5)'), e.message);
  });

  it('on every real model, each layer with weights is checked: one stored shape changed and the run is refused naming it', async () => {
    const modelsDir = path.join(sharedDir, 'models');
    const catalog = JSON.parse(readFileSync(path.join(modelsDir, 'catalog.json'), 'utf8')) as { id: string; file: string; companion_config?: { file: string } }[];
    let checked = 0;
    for (const entry of catalog.filter((c) => existsSync(path.join(modelsDir, 'expected', `${c.id}.json`)))) {
      const configPath = entry.companion_config ? path.join(modelsDir, entry.companion_config.file) : undefined;
      const doc = await loadModel(path.join(modelsDir, 'files', entry.file), configPath ? { configPath } : {});
      const { tensors } = prepareInputs(doc, fromJsonValue(JSON.parse(readFileSync(path.join(modelsDir, 'inputs', `${entry.id}.json`), 'utf8'))));
      for (const layer of allLayers(doc.root).filter((l) => l.weights.length > 0)) {
        const w = layer.weights[0];
        const wrong = { ...w, shape: [...w.shape.slice(0, -1), w.shape[w.shape.length - 1] + 1] };
        // Wrappers hand the same refs to their inner layers: change it everywhere it is seen.
        const swap = (to: typeof w, from: typeof w) => [layer, ...layer.children].forEach((l) => (l.weights = l.weights.map((x) => (x === from ? to : x))));
        swap(wrong, w);
        await assert.rejects(
          () => runForward(doc, tensors),
          (e: Error) => e instanceof NotAKerasFileError && e.message.includes(`"${layer.name}"`) && e.message.includes(`(${wrong.shape.join(', ')}`),
          `${entry.id}: ${layer.name}`,
        );
        swap(w, wrong);
        checked++;
      }
    }
    assert.ok(checked >= 40, `${checked} layers checked`);
  });

  it('a transposed kernel of the right size is not computed anyway', async () => {
    const doc = await loadModel(crafted(() => {}));
    const dense = doc.root.layers.find((l) => l.name === 'dense')!;
    dense.weights[0] = { ...dense.weights[0], shape: [2, 5] };
    const e = await failsQuickly(() => runForward(doc, fillInputs(doc, 'ramp').tensors));
    assert.ok(e instanceof NotAKerasFileError && e.message.includes('(2, 5)') && e.message.includes('(5, 2)'), e.message);
  });

  it('an integer kernel in the weights file is refused by name; float16 runs', async (t) => {
    try {
      execFileSync(PYTHON, ['-c', 'import h5py, numpy'], { stdio: 'ignore' });
    } catch {
      t.skip(`${PYTHON} with h5py and NumPy is not installed (apt-get install -y python3-h5py)`);
      return;
    }
    const src = path.join(dir, 'b.weights.h5');
    writeFileSync(src, goldenB().weights);
    const rewrite = (dtype: string): Uint8Array => {
      const out = path.join(dir, `b.${dtype}.weights.h5`);
      // Copy golden b's weights file with the SimpleRNN kernel stored as another type.
      execFileSync(PYTHON, ['-c', `
import h5py, numpy, sys
src, out, dtype = sys.argv[1:]
with h5py.File(src, 'r') as a, h5py.File(out, 'w') as b:
    def copy(name, obj):
        if isinstance(obj, h5py.Dataset):
            data = obj[()]
            if name == 'layers/simple_rnn/cell/vars/0': data = (data * 100).astype(dtype)
            b.create_dataset(name, data=data)
        else:
            b.require_group(name)
    a.visititems(copy)
`, src, out, dtype]);
      return new Uint8Array(readFileSync(out));
    };
    const asInt = crafted(() => {}, rewrite('int32'));
    const e = await failsQuickly(() => run(asInt));
    assert.ok(e instanceof RunFailure && e.kind === 'file', e.message);
    assert.ok(e.message.includes('"simple_rnn"') && e.message.includes('i4') && e.message.includes('kernel'), e.message);
    const half = await run(crafted(() => {}, rewrite('float16')));
    assert.equal(half.outputs[0].shape.join('×'), '1×2');
  });
});

describe('a forward pass estimates its memory first', () => {
  /** Golden b with T left free, so a fill decides T. */
  const freeT = () => crafted((l) => (l[0].config.batch_shape[1] = null));

  it('T = 10^9 in the config is refused with the estimate, and what the user can change', async () => {
    const file = crafted((l) => (l[0].config.batch_shape[1] = 1e9));
    const e = await failsQuickly(() => run(file));
    assert.ok(e instanceof RunFailure && e.kind === 'input', e.message);
    assert.match(e.message, /would need about [\d.]+ GB/);
    // The model fixes T, so a shorter T is not offered; N is free, and the trace can go.
    assert.ok(!e.message.includes('shorter T') && e.message.includes('fewer samples N') && e.message.includes('trace of h only'), e.message);
  });

  it('a weightless layer with a legal but huge size (RepeatVector n = 10^9 after Dense) is refused by the estimate', async () => {
    const file = crafted((l) =>
      l.push({ module: 'keras.layers', class_name: 'RepeatVector', registered_name: null, config: { name: 'repeat', n: 1e9 }, build_config: { input_shape: [null, 2] } }),
    );
    assert.deepEqual(summarize(await loadModel(file)).layers.at(-1)!.outputShape, [null, 1e9, 2]);
    const e = await failsQuickly(() => runCore(file));
    assert.ok(e instanceof InputError, `${e.constructor.name}: ${e.message}`);
    assert.match(e.message, /would need about 14\.9 GB/);
  });

  it('weights the file claims are counted before any is read: an extra 10^5×10^5 weight asks only for a higher limit', async () => {
    const doc = await loadModel(crafted(() => {}));
    const dense = doc.root.layers.find((l) => l.name === 'dense')!;
    let read = false;
    dense.weights.push({ ...dense.weights[0], name: 'extra', shape: [1e5, 1e5], values: () => ((read = true), new Float32Array(0)) });
    const e = await failsQuickly(() => runForward(doc, fillInputs(doc, 'ramp').tensors));
    assert.ok(e instanceof InputError, e.message);
    assert.match(e.message, /weights 37\.3 GB/);
    assert.ok(e.message.includes('a memory limit above') && !e.message.includes('fewer samples'), e.message);
    assert.equal(read, false);
  });

  it('a fill of T = 10^9 (as --T or the panel asks) is refused before it is filled', async () => {
    const file = freeT();
    const e = await failsQuickly(() => run(file, { kind: 'zeros', t: 1e9 }));
    assert.ok(e instanceof RunFailure && e.kind === 'input', e.message);
    const doc = await loadModel(file);
    const direct = await failsQuickly(async () => checkFillMemory(doc, { T: 1e9 }));
    assert.ok(direct instanceof InputError);
    assert.ok(direct.message.includes('a shorter T'), direct.message);
  });

  it('fill sizes N and T from the user are whole numbers, else an input error', async () => {
    const file = freeT();
    for (const input of [{ kind: 'zeros', n: -1, t: 5 }, { kind: 'ramp', n: 2.5, t: 5 }, { kind: 'random', seed: 1, t: Number.NaN }]) {
      const e = await failsQuickly(() => run(file, input));
      assert.ok(e instanceof RunFailure && e.kind === 'input', `${JSON.stringify(input)}: ${e.message}`);
    }
  });

  it('the estimate covers what a run really holds, within a small margin', async () => {
    const doc = await loadModel(freeT());
    const inputs = fillInputs(doc, 'random', { N: 3, T: 400 }).tensors;
    const est = estimateMemory(doc, inputs.map((t) => t.shape));
    const result = await runForward(doc, inputs);
    const bytes = (a: { byteLength: number }) => a.byteLength;
    const held =
      inputs.reduce((a, t) => a + bytes(t.data), 0) +
      result.layers.filter((l) => l.className !== 'InputLayer').reduce((a, l) => a + l.outputs.reduce((b, t) => b + bytes(t.data), 0), 0) +
      result.traces.reduce((a, tr) => a + bytes(tr.values.h) + (tr.values.pre ? bytes(tr.values.pre) : 0), 0);
    const counted = est.inputs + est.outputs + est.traces;
    assert.ok(counted >= held && counted <= held * 1.05, `estimate ${counted} vs held ${held}`);
    // The trace of 3 samples × 400 steps × 5 units × (h, pre) in float32.
    assert.equal(est.traces, 3 * 400 * 5 * 2 * 4);
    assert.equal(estimateMemory(doc, inputs.map((t) => t.shape), 'h').traces, 3 * 400 * 5 * 4);
    assert.equal(estimateMemory(doc, inputs.map((t) => t.shape), false).traces, 0);
  });

  it('on every real model with a reference, the estimate covers the buffers a run holds, and not three times over', async () => {
    const modelsDir = path.join(sharedDir, 'models');
    const catalog = JSON.parse(readFileSync(path.join(modelsDir, 'catalog.json'), 'utf8')) as { id: string; file: string; companion_config?: { file: string } }[];
    const withExpected = catalog.filter((c) => existsSync(path.join(modelsDir, 'expected', `${c.id}.json`)));
    assert.ok(withExpected.length >= 17);
    for (const entry of withExpected) {
      const configPath = entry.companion_config ? path.join(modelsDir, entry.companion_config.file) : undefined;
      const doc = await loadModel(path.join(modelsDir, 'files', entry.file), configPath ? { configPath } : {});
      const { tensors } = prepareInputs(doc, fromJsonValue(JSON.parse(readFileSync(path.join(modelsDir, 'inputs', `${entry.id}.json`), 'utf8'))));
      const est = estimateMemory(doc, tensors.map((t) => t.shape));
      const result = await runForward(doc, tensors);
      // Each distinct buffer once: pass-through layers hand on their input's buffer.
      const buffers = new Set<ArrayBufferLike>();
      // Tensors are float64, traces float32.
      const add = (a: unknown) => ArrayBuffer.isView(a) && (a instanceof Float64Array || a instanceof Float32Array) && buffers.add(a.buffer);
      tensors.forEach((t) => add(t.data));
      result.layers.forEach((l) => l.outputs.forEach((t) => add(t.data)));
      result.traces.forEach((tr) => Object.values(tr.values).forEach(add));
      const held = [...buffers].reduce((a, b) => a + b.byteLength, 0);
      const counted = est.inputs + est.outputs + est.traces;
      assert.ok(counted >= held && counted <= 3 * held, `${entry.id}: estimate ${counted} vs held ${held}`);
    }
  });

  it('a big run within the limit runs; the same run just above the limit is refused with its estimate', async () => {
    const file = freeT();
    const doc = await loadModel(file);
    const T = 200_000;
    const est = checkFillMemory(doc, { N: 1, T })!;
    assert.ok(est.total > 8 * MB, `big enough to matter: ${formatBytes(est.total)}`); // a float32 trace: half what float64 took
    const limitAbove = (est.total * 1.02) / MB;
    const ok = await run(file, { kind: 'ramp', t: T }, limitAbove);
    assert.deepEqual(ok.outputs[0].shape, [1, 2]);
    assert.equal(ok.traces[0].steps, T);
    const limitBelow = (est.total * 0.98) / MB;
    const e = await failsQuickly(() => run(file, { kind: 'ramp', t: T }, limitBelow));
    assert.ok(e instanceof RunFailure && e.kind === 'input', e.message);
    assert.ok(e.message.includes(`about ${formatBytes(est.total)}`), `${e.message} should state ${formatBytes(est.total)}`);
    assert.ok(e.message.includes('a shorter T') && e.message.includes('trace of h only'), e.message);
  });

  it("a trace of h only records h and no gates, and fits where the full trace does not", async () => {
    const doc = await loadModel(freeT());
    const inputs = fillInputs(doc, 'ramp', { T: 1000 }).tensors;
    const full = estimateMemory(doc, inputs.map((t) => t.shape)).total;
    const hOnly = estimateMemory(doc, inputs.map((t) => t.shape), 'h').total;
    const limit = (hOnly + (full - hOnly) / 2) / MB;
    await assert.rejects(() => runForward(doc, inputs, { memoryLimitMB: limit }), InputError);
    const r = await runForward(doc, inputs, { memoryLimitMB: limit, trace: 'h' });
    assert.equal(r.traces[0].values.h.length, 1000 * 5);
    assert.equal(r.traces[0].values.pre, undefined);
  });
});

describe('messages carry no JS internals', () => {
  it('an unexpected JS error becomes one generic sentence, its detail kept for the log', () => {
    const f = classify(new RangeError('Invalid typed array length: undefined'));
    assert.equal(f.kind, 'internal');
    assertPlain(f.message);
    assert.match(f.message, /please report it/);
    assert.equal(f.detail, 'Invalid typed array length: undefined');
  });

  it('InspectorErrors keep their sentence, cut to one line of at most 300 characters', () => {
    const long = new UnsupportedFeatureError(`The layer "${'x'.repeat(1000)}" cannot run.\nSecond line`);
    const f = classify(long);
    assert.equal(f.kind, 'unsupported');
    assertPlain(f.message);
    assert.ok(f.message.startsWith('The layer "xxx'));
    assert.ok(classify(new NotAKerasFileError('Broken.')) instanceof RunFailure);
    assert.ok(!(classify(new Error('x')) instanceof InspectorError));
  });
});
