// Python hovers finish the count: a layer call's input comes from the layers before it in the code (model.add
// sequences, Sequential lists, functional calls, notebook cells in order). Every expected count is worked out by
// hand in the test from the Keras formulas: Dense D·K + K, SimpleRNN D·M + M·M + M, LSTM 4M(D+M+1),
// GRU (reset_after, the Keras 3 default) 3M(D+M+2), Embedding V·E, Conv1D k·D·F + F.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findCallAt } from '../../extension/keras/pythonCall';
import { chainInputAt, chainInputs } from '../../extension/keras/pythonModel';
import { layerTooltip, pythonHover } from '../../extension/hovers';
import { loadModel } from '../../extension/keras/documentNode';
import { summarize } from '../../extension/keras/summary';

const here = path.dirname(fileURLToPath(import.meta.url));
const golden = path.resolve(here, '../../../shared/golden');

/** The hover over the `nth` occurrence of `needle` (its first character), with the code before it as context. */
function hoverAt(src: string, needle: string, nth = 0, above = '') {
  let i = -1;
  for (let k = 0; k <= nth; k++) i = src.indexOf(needle, i + 1);
  assert.ok(i >= 0, `${needle} not in source`);
  const call = findCallAt(src, i + 1);
  assert.ok(call, `no layer call at ${needle}`);
  const chain = chainInputAt(above + src, above.length + call.nameStart);
  const hover = pythonHover(call, chain);
  assert.ok(hover, `no hover at ${needle}`);
  return { ...hover, chain };
}

test('model.add: Dense(2) after SimpleRNN(5, input_shape=(10, 3)) counts 5·2 + 2 = 12, D named as the RNN\'s M', () => {
  const src = 'model = Sequential()\nmodel.add(SimpleRNN(5, input_shape=(10, 3)))\nmodel.add(Dense(2))\n';
  const rnn = hoverAt(src, 'SimpleRNN');
  // 3·5 + 5·5 + 5 = 15 + 25 + 5 = 45
  assert.equal(rnn.total, 45);
  const dense = hoverAt(src, 'Dense');
  // D = 5 (the RNN's units), K = 2: 5·2 + 2 = 12
  assert.equal(dense.total, 12);
  assert.match(dense.markdown, /`5·2 \+ 2 = 12`/);
  assert.match(dense.markdown, /D = 5 \(the width of the layer before: SimpleRNN's M\)/);
  assert.doesNotMatch(dense.markdown, /input features per time step/);
  assert.doesNotMatch(dense.markdown, /D = \?/);
});

test('Sequential([...]) over several lines: Embedding feeds its E to the LSTM, the LSTM its M to Dense', () => {
  const src = [
    'model = keras.Sequential([',
    '    layers.Embedding(1000, 64, input_length=10),',
    '    layers.LSTM(32),',
    '    layers.Dense(1, activation="sigmoid"),',
    '])',
  ].join('\n');
  // Embedding: V·E = 1000·64 = 64,000 (its input is token ids: no D)
  assert.equal(hoverAt(src, 'Embedding').total, 64000);
  // LSTM over D = 64: 4·32·(64 + 32 + 1) = 128·97 = 12,416
  const lstm = hoverAt(src, 'LSTM');
  assert.equal(lstm.total, 12416);
  assert.match(lstm.markdown, /D = 64 input features per time step \(the width of the layer before: Embedding's E\)/);
  // Dense over D = 32: 32·1 + 1 = 33
  assert.equal(hoverAt(src, 'Dense').total, 33);
});

test('an Embedding with no input_length still gives its width E to the next layer', () => {
  const src = 'm = Sequential([Embedding(50, 10), Conv1D(4, 3), GRU(6), Dense(2)])';
  // Conv1D over D = 10 with k = 3, F = 4: 3·10·4 + 4 = 124
  assert.equal(hoverAt(src, 'Conv1D').total, 124);
  // GRU over D = 4 (the filters): 3·6·(4 + 6 + 2) = 18·12 = 216
  assert.equal(hoverAt(src, 'GRU').total, 216);
  // Dense over D = 6: 6·2 + 2 = 14
  assert.equal(hoverAt(src, 'Dense').total, 14);
});

test('Bidirectional concat doubles the width; sum keeps it', () => {
  const concat = 'model = Sequential()\nmodel.add(Bidirectional(LSTM(8), input_shape=(20, 4)))\nmodel.add(Dense(3))';
  // each direction 4·8·(4 + 8 + 1) = 32·13 = 416; both 832
  assert.equal(hoverAt(concat, 'Bidirectional').total, 832);
  // Dense over D = 2·8 = 16: 16·3 + 3 = 51
  const d = hoverAt(concat, 'Dense');
  assert.equal(d.total, 51);
  assert.match(d.markdown, /D = 16 \(the width of the layer before: Bidirectional's 2M\)/);
  const sum = concat.replace('LSTM(8)', "LSTM(8), merge_mode='sum'");
  // Dense over D = 8: 8·3 + 3 = 27
  assert.equal(hoverAt(sum, 'Dense').total, 27);
});

test('functional calls: keras.Input, layers.LSTM, tf.keras.layers.GRU, Dense applied to x', () => {
  const src = [
    'inputs = keras.Input(shape=(10, 3))',
    'x = layers.LSTM(8, return_sequences=True)(inputs)',
    'x = tf.keras.layers.GRU(4)(x)',
    'outputs = layers.Dense(1)(x)',
    'model = keras.Model(inputs, outputs)',
  ].join('\n');
  // LSTM over D = 3: 4·8·(3 + 8 + 1) = 32·12 = 384
  const lstm = hoverAt(src, 'LSTM');
  assert.equal(lstm.total, 384);
  assert.match(lstm.markdown, /D = 3 input features per time step \(from the shape of Input\)/);
  // GRU over D = 8: 3·4·(8 + 4 + 2) = 12·14 = 168
  assert.equal(hoverAt(src, 'GRU').total, 168);
  // Dense over D = 4: 4·1 + 1 = 5
  assert.equal(hoverAt(src, 'Dense').total, 5);
});

test('nested functional calls and layer objects applied later', () => {
  const nested = 'inp = Input((7, 2))\nout = Dense(3)(SimpleRNN(4)(inp))';
  // SimpleRNN: 2·4 + 4·4 + 4 = 8 + 16 + 4 = 28; Dense over D = 4: 4·3 + 3 = 15
  assert.equal(hoverAt(nested, 'SimpleRNN').total, 28);
  assert.equal(hoverAt(nested, 'Dense').total, 15);
  const objects = 'rnn = SimpleRNN(4)\nhead = Dense(3)\ninp = Input(shape=(7, 2))\ny = head(rnn(inp))';
  assert.equal(hoverAt(objects, 'SimpleRNN').total, 28);
  assert.equal(hoverAt(objects, 'Dense').total, 15);
});

test('return_state outputs unpack in order: Dense on the state h has D = M', () => {
  const src = 'enc_in = Input(shape=(None, 5))\nseq, h, c = LSTM(6, return_sequences=True, return_state=True)(enc_in)\ny = Dense(2)(h)';
  // LSTM over D = 5: 4·6·(5 + 6 + 1) = 24·12 = 288; Dense over D = 6: 6·2 + 2 = 14
  assert.equal(hoverAt(src, 'LSTM').total, 288);
  assert.equal(hoverAt(src, 'Dense').total, 14);
});

test('TimeDistributed(Dense(1)) sees one time step of the LSTM output', () => {
  const src = 'model = Sequential([LSTM(8, return_sequences=True, input_shape=(12, 2)), TimeDistributed(Dense(1))])';
  // inner Dense over D = 8: 8·1 + 1 = 9
  assert.equal(hoverAt(src, 'Dense').total, 9);
  assert.equal(hoverAt(src, 'TimeDistributed').total, 9);
});

test('notebook cells in order: a cell sees the layers of the cells above it', () => {
  const cells = ['import keras\nmodel = keras.Sequential()', 'model.add(keras.layers.SimpleRNN(5, input_shape=(10, 3)))', 'model.add(keras.layers.Dense(2))'];
  const above = cells.slice(0, 2).map((c) => `${c}\n`).join('');
  const dense = hoverAt(cells[2], 'Dense', 0, above);
  // 5·2 + 2 = 12
  assert.equal(dense.total, 12);
  // Without the cells above, the model is one we cannot see: the chain is unknown.
  const alone = hoverAt(cells[2], 'Dense');
  assert.equal(alone.total, null);
  assert.match(alone.markdown, /D = \? \(from the layer before: unknown\)/);
});

test('a broken chain says so: a custom layer between, or a variable from elsewhere', () => {
  const custom = 'model = Sequential()\nmodel.add(LSTM(8, input_shape=(5, 2)))\nmodel.add(MyAttention())\nmodel.add(Dense(2))';
  const d = hoverAt(custom, 'Dense');
  assert.equal(d.total, null);
  assert.match(d.markdown, /D = \? \(from the layer before: unknown\)/);
  assert.match(d.markdown, /MyAttention/);
  const elsewhere = hoverAt('x = LSTM(8)(encoder_outputs)', 'LSTM');
  assert.equal(elsewhere.total, null);
  assert.match(elsewhere.markdown, /D = \? \(from the layer before: unknown\)/);
  // A layer whose size is a variable breaks the chain after it too (its width is not known).
  const variable = hoverAt('m = Sequential([SimpleRNN(n_units, input_shape=(4, 2)), Dense(1)])', 'Dense');
  assert.equal(variable.total, null);
});

test('the first layer of a Sequential without input_shape asks for it, rather than blaming a layer before', () => {
  const d = hoverAt('model = Sequential()\nmodel.add(Dense(2))', 'Dense');
  assert.equal(d.total, null);
  assert.match(d.markdown, /give `input_shape=\(T, D\)`/);
  assert.doesNotMatch(d.markdown, /from the layer before: unknown/);
  // Its own input_dim still counts: D = 5, 5·2 + 2 = 12, and D is Dense's own input width.
  const own = hoverAt('model.add(Dense(2, input_dim=5))', 'Dense');
  assert.equal(own.total, 12);
  assert.match(own.markdown, /D = 5 \(the width of its input\)/);
});

test('hostile source: deep nesting, long sign runs and call chains give no hover or a plain one, never a throw', () => {
  const deep = '('.repeat(100_000) + 'Dense(2)' + ')'.repeat(100_000);
  assert.doesNotThrow(() => chainInputs(deep));
  assert.doesNotThrow(() => findCallAt(deep, 100_001));
  const signs = 'x = ' + '-'.repeat(200_000) + '1\nDense(2)';
  assert.doesNotThrow(() => chainInputs(signs));
  const chainCalls = 'y = LSTM(8)' + '()'.repeat(100_000) + '\nz = Dense(1)(y)';
  assert.doesNotThrow(() => chainInputs(chainCalls));
  const lists = 'm = Sequential(' + '['.repeat(50_000) + 'Dense(2)' + ']'.repeat(50_000) + ')';
  assert.doesNotThrow(() => chainInputs(lists));
  // An unterminated triple-quoted string swallows the rest: no calls, no error.
  assert.equal(chainInputs('"""\nmodel.add(Dense(2))').size, 0);
  // A file far over the read limit is read from its end only; the layers near the hover still chain.
  const filler = '# filler\n'.repeat(40_000);
  const big = filler + 'model = Sequential()\nmodel.add(SimpleRNN(5, input_shape=(10, 3)))\nmodel.add(Dense(2))\n';
  assert.equal(hoverAt(big, 'Dense').total, 12);
});

test('tree tooltip: golden b\'s Dense names D as the SimpleRNN\'s M, never "input features per time step"', async () => {
  const s = summarize(await loadModel(path.join(golden, 'b_simplernn5_tanh.keras')));
  const dense = s.layers.find((l) => l.params === 12)!;
  const rnn = s.layers.find((l) => l.params === 45)!;
  const tip = layerTooltip(dense, s);
  // D = 5 is the SimpleRNN's M (units), K = 2: 5·2 + 2 = 12
  assert.match(tip, new RegExp(`D = 5 \\(the width of the layer before: ${rnn.name.replace(/_/g, '\\\\_')}'s M\\)`));
  assert.doesNotMatch(tip, /input features per time step/);
  // The RNN's own D is the per-step input features (3).
  assert.match(layerTooltip(rnn, s), /D = 3 input features per time step/);
  // Without the model, Dense's D is still its own input width, never per time step.
  assert.match(layerTooltip(dense), /D = 5 \(the width of its input\)/);
});

test('panel: the parameter explanation names Dense\'s D as the layer before\'s M too; the RNN keeps "input features per time step"', async () => {
  const { explainParams } = await import('../../webview/logic/explain');
  const s = summarize(await loadModel(path.join(golden, 'b_simplernn5_tanh.keras')));
  const dense = s.layers.find((l) => l.params === 12)!;
  const rnn = s.layers.find((l) => l.params === 45)!;
  const lines = explainParams(dense, s).join('\n');
  // D = 5 is the SimpleRNN's M, K = 2: 5·2 + 2 = 12
  assert.match(lines, new RegExp(`D = 5 \\(the width of the layer before: ${rnn.name}'s M\\), K = 2`));
  assert.doesNotMatch(lines, /input features per time step/);
  assert.match(explainParams(rnn, s).join('\n'), /D = 3 \(input features per time step/);
});
