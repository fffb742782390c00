// Several outputs and stateful models: the seq2seq decoder (three inputs: sequence, h, c; three outputs: the sequence
// and both LSTM states) and the stateful poem GRUs (batch fixed at 1), each against the shared reference outputs;
// continuing a stateful run from the last state against one run over the concatenated sequence; the state file as
// untrusted input; and a T other than the declared one.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadModel } from '../../extension/keras/documentNode';
import { runForward, type ForwardResult } from '../../extension/keras/forward';
import { fillInputs, prepareInputs, type RawArray } from '../../extension/keras/inputs';
import { outputNames, runJson } from '../../extension/keras/runJson';
import { parseStateFile, stateFileJson, statefulLayers, type LayerStates } from '../../extension/keras/states';
import { main } from '../../extension/cli/main';
import type { ModelDocument } from '../../extension/keras/model';
import type { Tensor } from '../../extension/keras/tensor';
import { layerNode, seeded, randomArray, weightRef } from './helpers/layerNode';
import { sequentialDoc } from './helpers/modelDoc';

const models2 = path.resolve(import.meta.dirname, '../../../shared/models2');
const file = (id: string, ext: string) => path.join(models2, 'files', `${id}.${ext}`);
const SEQ2SEQ = 'seq2seq-decoder-k310';
const POEM = 'poem-stateful-gru-tfk215';
const skip = existsSync(file(SEQ2SEQ, 'keras')) && existsSync(file(POEM, 'h5')) ? false : `the shared models2 files are not at ${models2}`;

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
const shapeOf = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);

/** The shared README's tolerance: |a − b| ≤ 1e-5 + 1e-5·|b|; returns the worst ratio to it (≤ 1 passes). */
function worst(actual: ArrayLike<number>, expected: readonly number[], what: string): number {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, expected ${expected.length}`);
  let w = 0;
  for (let i = 0; i < expected.length; i++) {
    const r = Math.abs(actual[i] - expected[i]) / (1e-5 + 1e-5 * Math.abs(expected[i]));
    if (!(r <= 1)) assert.fail(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
    w = Math.max(w, r);
  }
  return w;
}

function rawOf(v: unknown): RawArray {
  return { shape: shapeOf(v), data: Float64Array.from(flat(v)) };
}

interface Expected {
  output: unknown;
  output_shape: number[] | number[][];
  layers: { name: string; output_shape: number[] | number[][]; output: unknown }[];
  trace: Record<string, Record<string, unknown>>;
}

async function reference(id: string, ext: string): Promise<{ doc: ModelDocument; inputs: Tensor[]; expected: Expected }> {
  const doc = await loadModel(file(id, ext));
  const input = JSON.parse(readFileSync(path.join(models2, 'inputs', `${id}.json`), 'utf8')) as { inputs: unknown };
  const several = doc.root.inputs.length > 1;
  const raw = several ? (input.inputs as unknown[]).map(rawOf) : rawOf(input.inputs);
  const { tensors } = prepareInputs(doc, raw);
  const expected = JSON.parse(readFileSync(path.join(models2, 'expected', `${id}.json`), 'utf8')) as Expected;
  return { doc, inputs: tensors, expected };
}

/** Compares every model output, every listed layer output and every trace quantity with the reference. */
function compareAll(result: ForwardResult, expected: Expected, id: string): number {
  let w = 0;
  const outs = Array.isArray(expected.output_shape[0]) ? (expected.output as unknown[]) : [expected.output];
  assert.equal(result.outputs.length, outs.length, `${id}: number of outputs`);
  outs.forEach((o, k) => {
    assert.deepEqual(result.outputs[k].shape, shapeOf(o), `${id} output ${k} shape`);
    w = Math.max(w, worst(result.outputs[k].data, flat(o), `${id} output ${k}`));
  });
  for (const layer of expected.layers) {
    const rec = result.layers.find((l) => l.name === layer.name);
    assert.ok(rec, `${id}: layer ${layer.name} was run`);
    const tensors = Array.isArray(layer.output_shape[0]) ? (layer.output as unknown[]) : [layer.output];
    tensors.forEach((t, k) => (w = Math.max(w, worst(rec.outputs[k].data, flat(t), `${id} ${layer.name} output ${k}`))));
  }
  for (const [name, ref] of Object.entries(expected.trace)) {
    const tr = result.traces.find((t) => t.layer === name);
    assert.ok(tr, `${id}: a trace of ${name}`);
    for (const q of ['h', 'c', 'i', 'f', 'g', 'o', 'z', 'r', 'hh'] as const) {
      if (ref[q] === undefined) continue;
      // The trace holds its quantities by key (cell.quantities); older trees held them as fields.
      const holder = tr as unknown as { values?: Record<string, Float64Array> } & Record<string, Float64Array | undefined>;
      const mine = holder.values ? holder.values[q] : holder[q];
      assert.ok(mine, `${id}: trace ${name}.${q}`);
      w = Math.max(w, worst(mine, flat(ref[q]), `${id} trace ${name}.${q}`));
    }
  }
  return w;
}

describe('models2: several outputs and stateful layers against the reference', { skip }, () => {
  test('seq2seq decoder (Keras 3.10): the sequence and both LSTM states, each named, every layer and the trace', async () => {
    const { doc, inputs, expected } = await reference(SEQ2SEQ, 'keras');
    const result = await runForward(doc, inputs);
    assert.equal(result.stopped, undefined);
    const w = compareAll(result, expected, SEQ2SEQ);
    console.log(`# ${SEQ2SEQ}: worst |a−b| / (1e-5 + 1e-5·|b|) = ${w.toExponential(2)}`);
    // The model returns lstm_1's outputs 1 and 2 (return_state): named as the states they are.
    assert.deepEqual(outputNames(doc), ['time_distributed', 'lstm_1 state h', 'lstm_1 state c']);
    const json = runJson(result, { trace: false, outputNames: outputNames(doc) });
    assert.deepEqual(json.outputNames, ['time_distributed', 'lstm_1 state h', 'lstm_1 state c']);
    assert.deepEqual(json.outputShapes, [[2, 12, 1], [2, 64], [2, 64]]);
    // Not stateful: nothing to carry.
    assert.equal(result.finalStates, undefined);
    assert.deepEqual(statefulLayers(doc), []);
  });

  test('stateful poem GRUs (tf.keras 2.15): output, every layer and both traces from zero states', async () => {
    const { doc, inputs, expected } = await reference(POEM, 'h5');
    assert.deepEqual(statefulLayers(doc), [
      { name: 'gru_2', units: 128, stateCount: 1 },
      { name: 'gru_3', units: 128, stateCount: 1 },
    ]);
    const result = await runForward(doc, inputs);
    const w = compareAll(result, expected, POEM);
    console.log(`# ${POEM}: worst |a−b| / (1e-5 + 1e-5·|b|) = ${w.toExponential(2)}`);
    // The final states are the last step's h of each GRU, as the reference trace shows.
    const h2 = flat(expected.trace.gru_2.h);
    assert.deepEqual(result.finalStates?.map((s) => s.layer), ['gru_2', 'gru_3']);
    worst(result.finalStates![0].states[0].data, h2.slice(h2.length - 128), 'gru_2 final state');
  });

  test('two runs continuing from the last state equal one run over the concatenated sequence (and the reference)', async () => {
    const { doc, inputs, expected } = await reference(POEM, 'h5');
    const x = inputs[0];
    const D = x.shape[2];
    const part = (from: number, to: number): Tensor => ({ shape: [1, to - from, D], data: x.data.slice(from * D, to * D) });
    const whole = await runForward(doc, inputs);
    const first = await runForward(doc, [part(0, 5)]);
    const second = await runForward(doc, [part(5, 12)], { initialStates: first.finalStates });
    const ref = flat(expected.output);
    const K = 64;
    worst(first.outputs[0].data, ref.slice(0, 5 * K), 'first run, steps 0..4');
    worst(second.outputs[0].data, ref.slice(5 * K), 'continued run, steps 5..11');
    // Same numbers as one run, to float64 rounding: continuing is exactly the next steps of the same recurrence.
    for (let i = 0; i < 7 * K; i++) assert.ok(Math.abs(second.outputs[0].data[i] - whole.outputs[0].data[5 * K + i]) < 1e-12, `step ${5 + Math.floor(i / K)}`);
    second.finalStates!.forEach((s, k) => {
      const full = whole.finalStates![k].states[0].data;
      for (let i = 0; i < full.length; i++) assert.ok(Math.abs(s.states[0].data[i] - full[i]) < 1e-12);
    });
    // Without the state the second half starts from zeros and differs: the test can fail.
    const fresh = await runForward(doc, [part(5, 12)]);
    assert.ok(Math.abs(fresh.outputs[0].data[0] - ref[5 * K]) > 1e-4, 'a fresh run differs from the continued one');
  });
});

/** A stateful LSTM (two states, h and c) with seeded weights: both states must carry over. */
function statefulLstm(N: number, D: number, M: number): ModelDocument {
  const rnd = seeded(42);
  const lstm = layerNode('LSTM', { units: M, return_sequences: true, stateful: true }, {
    name: 'lstm',
    weights: [
      weightRef('lstm/kernel:0', [D, 4 * M], randomArray(D * 4 * M, rnd)),
      weightRef('lstm/recurrent_kernel:0', [M, 4 * M], randomArray(M * 4 * M, rnd)),
      weightRef('lstm/bias:0', [4 * M], randomArray(4 * M, rnd)),
    ],
  });
  return sequentialDoc([N, null, D], [lstm], 2);
}

test('a stateful LSTM continued over three runs equals one run over the concatenated sequence (h and c carried)', async () => {
  const [N, D, M, T] = [2, 3, 4, 9];
  const doc = statefulLstm(N, D, M);
  const rnd = seeded(7);
  const x: Tensor = { shape: [N, T, D], data: Float64Array.from(randomArray(N * T * D, rnd, -2, 2)) };
  const slice = (from: number, to: number): Tensor => {
    const data = new Float64Array(N * (to - from) * D);
    for (let n = 0; n < N; n++) data.set(x.data.subarray((n * T + from) * D, (n * T + to) * D), n * (to - from) * D);
    return { shape: [N, to - from, D], data };
  };
  const whole = await runForward(doc, [x]);
  let states: LayerStates[] | undefined;
  const pieces: [number, number][] = [[0, 2], [2, 7], [7, 9]];
  for (const [from, to] of pieces) {
    const r = await runForward(doc, [slice(from, to)], states ? { initialStates: states } : {});
    assert.equal(r.finalStates?.[0].states.length, 2, 'h and c');
    for (let n = 0; n < N; n++) {
      for (let t = from; t < to; t++) {
        for (let m = 0; m < M; m++) {
          const got = r.outputs[0].data[(n * (to - from) + (t - from)) * M + m];
          const want = whole.outputs[0].data[(n * T + t) * M + m];
          assert.ok(Math.abs(got - want) < 1e-12, `n=${n} t=${t} m=${m}: ${got} vs ${want}`);
        }
      }
    }
    states = r.finalStates;
  }
  // The state file round-trips every number exactly (JSON keeps float64).
  const text = JSON.stringify(stateFileJson(states!, { model: 'in-memory' }));
  const back = parseStateFile(text, doc, N);
  assert.deepEqual(back.map((s) => s.states.map((t) => [...t.data])), states!.map((s) => s.states.map((t) => [...t.data])));
});

describe('a state file is untrusted input: one sentence for each way it can be wrong', () => {
  const doc = statefulLstm(1, 2, 3);
  const good = { format: 'keras-rnn-inspector-state', version: 1, model: 'x', layers: { lstm: [[[0.1, 0.2, 0.3]], [[0, 0, 0]]] } };
  const bad = (text: string, pattern: RegExp) => {
    assert.throws(
      () => parseStateFile(text, doc, 1),
      (e: Error) => {
        assert.match(e.message, pattern);
        assert.ok(e.message.length <= 300 && !e.message.includes('\n'), e.message);
        return e.name === 'InputError' || e.constructor.name === 'InputError';
      },
    );
  };
  test('each refusal names what is wrong and what to do', () => {
    assert.equal(parseStateFile(JSON.stringify(good), doc, 1)[0].states[0].data[2], 0.3);
    bad('{', /not valid JSON/);
    bad('[1,2]', /not a saved state/);
    bad(JSON.stringify({ ...good, format: 'other' }), /not a saved state/);
    bad(JSON.stringify({ ...good, layers: [] }), /no "layers" object/);
    bad(JSON.stringify({ ...good, layers: { ...good.layers, 'gru\u202e': [[[1, 2, 3]]] } }), /"gru\\u202e", which is not a stateful layer of this model \(its stateful layers are "lstm"\)/);
    bad(JSON.stringify({ ...good, layers: { lstm: [[[0.1, 0.2, 0.3]]] } }), /holds 1 tensor\(s\) but the layer carries 2/);
    bad(JSON.stringify({ ...good, layers: { lstm: [[[0.1, 0.2, 0.3], [1, 2, 3]], [[0, 0, 0], [0, 0, 0]]] } }), /not a list of N = 1 rows; run with the same N/);
    bad(JSON.stringify({ ...good, layers: { lstm: [[[0.1, 0.2]], [[0, 0, 0]]] } }), /not a list of M = 3 numbers/);
    bad(JSON.stringify({ ...good, layers: { lstm: [[[0.1, '0.2', 0.3]], [[0, 0, 0]]] } }), /State 0 of "lstm" holds "0\.2" where a finite number belongs/);
    bad(JSON.stringify({ ...good, layers: { lstm: [[[0.1, null, 0.3]], [[0, 0, 0]]] } }), /holds null/);
    bad(JSON.stringify({ ...good, layers: {} }), /has nothing for "lstm"/);
    // Ragged or too deep lists are refused while they are walked, never recursed into.
    bad(JSON.stringify({ ...good, layers: { lstm: [[[0.1, 0.2, 0.3]], [[[0], [0], [0]]]] } }), /state 1 of "lstm" is not a list of M = 3 numbers/);
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    bad(`{"format": "keras-rnn-inspector-state", "layers": {"lstm": [[${deep}], [[0, 0, 0]]]}}`, /not a list of N rows of numbers/);
    // A huge claimed list is refused by its length before anything is allocated for it.
    bad(JSON.stringify({ ...good, layers: { lstm: new Array(9).fill(0) } }), /not a list of states/);
  });
  test('a model without stateful layers refuses a state', async () => {
    const plain = sequentialDoc([1, null, 2], [layerNode('SimpleRNN', { units: 2 }, { name: 'rnn', weights: [weightRef('k', [2, 2], [1, 0, 0, 1]), weightRef('r', [2, 2], [0, 0, 0, 0]), weightRef('b', [2], [0, 0])] })], 2);
    assert.throws(() => parseStateFile(JSON.stringify(good), plain, 1), /no stateful layers \(stateful=True\)/);
    await assert.rejects(runForward(plain, [{ shape: [1, 2, 2], data: new Float64Array(4) }], { initialStates: [{ layer: 'rnn', states: [] }] }), /no stateful layers/);
  });
});

describe('the CLI carries the state between runs: --state-out, then --state-in', { skip }, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kri-state-'));
  const cli = async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, { stdout: (t) => (stdout += t + '\n'), stderr: (t) => (stderr += t + '\n') });
    return { code, stdout, stderr };
  };
  test('two CLI runs with the state in between equal the reference over the whole sequence', async () => {
    const input = JSON.parse(readFileSync(path.join(models2, 'inputs', `${POEM}.json`), 'utf8')) as { inputs: number[][][] };
    const x = input.inputs[0];
    writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ inputs: [x.slice(0, 4)] }));
    writeFileSync(path.join(dir, 'b.json'), JSON.stringify({ inputs: [x.slice(4)] }));
    const state = path.join(dir, 'state.json');
    const r1 = await cli('forward', file(POEM, 'h5'), '--input', path.join(dir, 'a.json'), '--state-out', state);
    assert.equal(r1.code, 0, r1.stderr);
    assert.match(r1.stdout, /Stateful layers \(gru_2, gru_3\) started from zeros; --state-out saves/);
    assert.match(r1.stdout, /Final states written to .*state\.json \(continue with --state-in/);
    const r2 = await cli('forward', file(POEM, 'h5'), '--input', path.join(dir, 'b.json'), '--state-in', state, '--state-out', state, '--json', '--no-trace');
    assert.equal(r2.code, 0, r2.stderr);
    const json = JSON.parse(r2.stdout) as { output: unknown; startedFrom: string };
    assert.match(json.startedFrom, /state\.json/);
    const ref = flat((JSON.parse(readFileSync(path.join(models2, 'expected', `${POEM}.json`), 'utf8')) as Expected).output);
    worst(flat(json.output), ref.slice(4 * 64), 'CLI continued run');
    // The file was rewritten with the state after step 11.
    assert.equal(Object.keys(JSON.parse(readFileSync(state, 'utf8')).layers).join(), 'gru_2,gru_3');
  });
  test('several outputs print each by name; a wrong state or a model without state gets one line and exit 2', async () => {
    const seqIn = path.join(models2, 'inputs', `${SEQ2SEQ}.json`);
    const r = await cli('forward', file(SEQ2SEQ, 'keras'), '--input', seqIn);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Output 0 "time_distributed" \(2×12×1\):[\s\S]*Output 1 "lstm_1 state h" \(2×64\):[\s\S]*Output 2 "lstm_1 state c" \(2×64\):/);
    const none = await cli('forward', file(SEQ2SEQ, 'keras'), '--input', seqIn, '--state-out', path.join(dir, 'x.json'));
    assert.equal(none.code, 2);
    assert.match(none.stderr.trim(), /^keras-inspect: This model has no stateful layers \(stateful=True\).*leave out --state-in and --state-out\.$/);
    writeFileSync(path.join(dir, 'wrong.json'), JSON.stringify({ format: 'keras-rnn-inspector-state', layers: { gru_2: [[[1, 2]]] } }));
    const wrong = await cli('forward', file(POEM, 'h5'), '--fill', 'zeros', '--T', '3', '--state-in', path.join(dir, 'wrong.json'));
    assert.equal(wrong.code, 2);
    assert.equal(wrong.stderr.trim().split('\n').length, 1);
    assert.match(wrong.stderr, /Row 0 of state 0 of "gru_2" is not a list of M = 128 numbers/);
    const numpy = await cli('forward', file(POEM, 'h5'), '--fill', 'zeros', '--T', '3', '--state-in', path.join(dir, 'wrong.json'), '--numpy', path.join(dir, 'f.py'));
    assert.equal(numpy.code, 2);
    assert.match(numpy.stderr, /--numpy writes a script that starts the stateful layers from zeros, so it cannot replay a run continued with --state-in/);
    assert.equal(existsSync(path.join(dir, 'f.py')), false);
    const missing = await cli('forward', file(POEM, 'h5'), '--fill', 'zeros', '--T', '3', '--state-in', path.join(dir, 'nope.json'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /The state file .*nope\.json does not exist/);
  });
});

describe('a T other than the declared one', () => {
  const rnd = seeded(3);
  const rnn = () =>
    layerNode('SimpleRNN', { units: 2, return_sequences: true }, {
      name: 'rnn',
      weights: [weightRef('rnn/kernel:0', [3, 2], randomArray(6, rnd)), weightRef('rnn/recurrent_kernel:0', [2, 2], randomArray(4, rnd)), weightRef('rnn/bias:0', [2], randomArray(2, rnd))],
    });
  test('runs where every layer allows it, with a note naming the declared T (as tf.keras warns)', async () => {
    const doc = sequentialDoc([null, 10, 3], [rnn()], 2);
    const prepared = prepareInputs(doc, { shape: [1, 12, 3], data: new Float64Array(36).fill(0.5) });
    assert.deepEqual(prepared.tensors[0].shape, [1, 12, 3]);
    assert.match(prepared.notes.join(' '), /built for T = 10 time steps; the input has 12, which runs/);
    const r = await runForward(doc, prepared.tensors);
    assert.deepEqual(r.outputs[0].shape, [1, 12, 2]);
    // A fill with a chosen T on a model that declares T does the same.
    const filled = fillInputs(doc, 'ramp', { T: 4 });
    assert.deepEqual(filled.tensors[0].shape, [1, 4, 3]);
    assert.match(filled.notes.join(' '), /built for T = 10/);
  });
  test('refuses in one sentence naming the layer where one needs the declared T (Flatten then Dense)', () => {
    const flatten = layerNode('Flatten', {}, { name: 'flatten' });
    const dense = layerNode('Dense', { units: 1 }, { name: 'dense_out', weights: [weightRef('dense_out/kernel:0', [20, 1], randomArray(20, rnd)), weightRef('dense_out/bias:0', [1], [0])] });
    const doc = sequentialDoc([null, 10, 3], [rnn(), flatten, dense], 2);
    assert.deepEqual(prepareInputs(doc, { shape: [1, 10, 3], data: new Float64Array(30) }).tensors[0].shape, [1, 10, 3]);
    for (const T of [12, 4]) {
      assert.throws(
        () => prepareInputs(doc, { shape: [1, T, 3], data: new Float64Array(T * 3) }),
        (e: Error) => /^The model was built for T = 10 time steps and the layer "dense_out" \(Dense\) needs exactly that \(its weights are sized for the declared length\); give 10 time steps\.$/.test(e.message),
      );
    }
    assert.throws(() => fillInputs(doc, 'zeros', { T: 12 }), /layer "dense_out" \(Dense\) needs exactly that/);
  });
});

test('the panel messages for the state are validated like every other: continueState is a boolean, resetState has no fields', async () => {
  const { parseWebviewMessage, validateWebviewMessage } = await import('../../extension/protocol');
  assert.deepEqual(parseWebviewMessage({ type: 'run', input: { kind: 'zeros' }, continueState: true }), { type: 'run', input: { kind: 'zeros' }, continueState: true });
  assert.deepEqual(parseWebviewMessage({ type: 'run', input: { kind: 'zeros' }, continueState: false }), { type: 'run', input: { kind: 'zeros' } });
  assert.deepEqual(parseWebviewMessage({ type: 'resetState' }), { type: 'resetState' });
  assert.deepEqual(parseWebviewMessage({ type: 'reopenWith' }), { type: 'reopenWith' });
  assert.deepEqual(parseWebviewMessage({ type: 'chooseArchitecture' }), { type: 'chooseArchitecture' });
  const refused = validateWebviewMessage({ type: 'run', input: { kind: 'zeros' }, continueState: 'yes' });
  assert.equal(refused.ok, false);
  assert.match(!refused.ok ? refused.error : '', /continueState is not true or false/);
  assert.equal(parseWebviewMessage({ type: 'resetState', layers: ['gru_2'] }), undefined);
  assert.equal(parseWebviewMessage({ type: 'chooseArchitecture', path: '/etc/passwd' }), undefined);
});

test('a stateful ConvLSTM1D (its state a feature map, N × cols × F) continues through a state file like a vector state', async () => {
  const rnd = seeded(5);
  const [k, C, F, W, T] = [3, 2, 3, 5, 6];
  const conv = layerNode('ConvLSTM1D', { filters: F, kernel_size: [k], padding: 'same', return_sequences: true, stateful: true }, {
    name: 'conv',
    weights: [
      weightRef('conv/kernel:0', [k, C, 4 * F], randomArray(k * C * 4 * F, rnd)),
      weightRef('conv/recurrent_kernel:0', [k, F, 4 * F], randomArray(k * F * 4 * F, rnd)),
      weightRef('conv/bias:0', [4 * F], randomArray(4 * F, rnd)),
    ],
  });
  const doc = sequentialDoc([1, null, W, C], [conv], 3);
  assert.deepEqual(statefulLayers(doc), [{ name: 'conv', stateCount: 2 }]);
  const x = Float64Array.from(randomArray(T * W * C, rnd));
  const whole = await runForward(doc, [{ shape: [1, T, W, C], data: x }]);
  const first = await runForward(doc, [{ shape: [1, 2, W, C], data: x.slice(0, 2 * W * C) }]);
  assert.deepEqual(first.finalStates?.[0].states.map((t) => t.shape), [[1, W, F], [1, W, F]]);
  const states = parseStateFile(JSON.stringify(stateFileJson(first.finalStates!, { model: 'in-memory' })), doc, 1);
  const second = await runForward(doc, [{ shape: [1, T - 2, W, C], data: x.slice(2 * W * C) }], { initialStates: states });
  for (let i = 0; i < second.outputs[0].data.length; i++) assert.ok(Math.abs(second.outputs[0].data[i] - whole.outputs[0].data[2 * W * F + i]) < 1e-12, `value ${i}`);
  // A map of the wrong size is refused by the layer in one sentence when the run starts.
  const wrong = [{ layer: 'conv', states: [{ shape: [1, W - 1, F], data: new Float64Array((W - 1) * F) }, { shape: [1, W - 1, F], data: new Float64Array((W - 1) * F) }] }];
  await assert.rejects(runForward(doc, [{ shape: [1, 2, W, C], data: x.slice(0, 2 * W * C) }], { initialStates: wrong }), (e: Error) => e.message.length <= 300 && !e.message.includes('\n') && /conv/.test(e.message));
});
