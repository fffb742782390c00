// The Python hover's parser: finds the Keras layer call under the cursor and reads its literal arguments.
// Expected values are written out by hand from the source snippets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findCallAt, layerFromCall, literal, tokenize } from '../../extension/keras/pythonCall';

const at = (src: string, marker: string, delta = 0) => {
  const i = src.indexOf(marker);
  assert.ok(i >= 0, `marker ${marker} not in source`);
  return i + delta;
};

test('SimpleRNN(5, input_shape=(10, 3)) gives units 5 and input (None, 10, 3)', () => {
  const src = 'model.add(SimpleRNN(5, input_shape=(10, 3)))\n';
  const call = findCallAt(src, at(src, 'SimpleRNN', 3));
  assert.ok(call);
  assert.equal(call.name, 'SimpleRNN');
  assert.equal(call.complete, true);
  assert.equal(src.slice(call.start, call.end), 'SimpleRNN(5, input_shape=(10, 3))');
  assert.equal(src.slice(call.nameStart, call.nameEnd), 'SimpleRNN');
  const layer = layerFromCall(call);
  assert.ok(layer);
  assert.equal(layer.node.config.units, 5);
  assert.deepEqual(layer.inputShape, [null, 10, 3]);
  assert.deepEqual(layer.unknown, []);
});

test('hovering inside the arguments still finds the call; outside it finds nothing', () => {
  const src = 'x = 1\nrnn = SimpleRNN(5, input_shape=(10, 3))\ny = 2\n';
  assert.equal(findCallAt(src, at(src, '(10'))?.name, 'SimpleRNN');
  assert.equal(findCallAt(src, at(src, 'x = 1')), null);
  assert.equal(findCallAt(src, at(src, 'y = 2')), null);
});

test('qualified names, keyword units and Keras-3 keras.Input-free shapes', () => {
  const src = 'layer = keras.layers.LSTM(units=64, return_sequences=True, input_shape=(None, 8))';
  const call = findCallAt(src, at(src, 'LSTM'));
  assert.ok(call);
  assert.equal(call.qualified, 'keras.layers.LSTM');
  assert.equal(call.name, 'LSTM');
  const layer = layerFromCall(call)!;
  assert.equal(layer.node.className, 'LSTM');
  assert.equal(layer.node.config.units, 64);
  assert.equal(layer.node.config.return_sequences, true);
  assert.deepEqual(layer.inputShape, [null, null, 8]);
});

test('GRU(..., reset_after=False) keeps the flag; positional activation is read', () => {
  const src = "GRU(16, 'relu', reset_after=False, input_shape=(20, 4))";
  const layer = layerFromCall(findCallAt(src, 2)!)!;
  assert.equal(layer.node.config.units, 16);
  assert.equal(layer.node.config.activation, 'relu');
  assert.equal(layer.node.config.reset_after, false);
  assert.deepEqual(layer.inputShape, [null, 20, 4]);
});

test('Bidirectional(LSTM(...)): outer hover wraps the inner layer, inner hover is the LSTM', () => {
  const src = "Bidirectional(LSTM(32, return_sequences=True), merge_mode='sum', input_shape=(100, 9))";
  const outer = findCallAt(src, 3)!;
  assert.equal(outer.name, 'Bidirectional');
  const inner = findCallAt(src, at(src, 'LSTM', 1))!;
  assert.equal(inner.name, 'LSTM');
  assert.equal(findCallAt(src, at(src, '32'))!.name, 'LSTM');
  const layer = layerFromCall(outer)!;
  assert.equal(layer.node.config.merge_mode, 'sum');
  assert.equal(layer.node.children.length, 2, 'forward and backward copies');
  assert.equal(layer.node.children[0].className, 'LSTM');
  assert.equal(layer.node.children[0].config.units, 32);
  assert.equal(layer.node.children[1].config.go_backwards, true);
  assert.deepEqual((layer.node.config.layer as { class_name: string }).class_name, 'LSTM');
  assert.deepEqual(layer.inputShape, [null, 100, 9]);
});

test('the inner layer gives the Bidirectional input shape when only it has input_shape', () => {
  const src = 'Bidirectional(SimpleRNN(4, input_shape=(7, 2)))';
  assert.deepEqual(layerFromCall(findCallAt(src, 1)!)!.inputShape, [null, 7, 2]);
});

test('Dense(2) without input gives no shape; Dense with input_dim gives (None, D)', () => {
  assert.equal(layerFromCall(findCallAt('Dense(2)', 1)!)!.inputShape, null);
  assert.deepEqual(layerFromCall(findCallAt('Dense(2, input_dim=5)', 1)!)!.inputShape, [null, 5]);
});

test('Keras 1 names: output_dim becomes units, input_dim and input_length give the shape', () => {
  const layer = layerFromCall(findCallAt('SimpleRNN(output_dim=8, input_dim=3, input_length=12)', 1)!)!;
  assert.equal(layer.node.config.units, 8);
  assert.deepEqual(layer.inputShape, [null, 12, 3]);
});

test('batch_input_shape keeps the batch size', () => {
  const layer = layerFromCall(findCallAt('LSTM(4, batch_input_shape=(32, 10, 1), stateful=True)', 1)!)!;
  assert.deepEqual(layer.inputShape, [32, 10, 1]);
});

test('variables are reported as unknown, never evaluated', () => {
  const src = 'n_hidden = 5\nSimpleRNN(n_hidden, input_shape=(T, 3))';
  const layer = layerFromCall(findCallAt(src, at(src, 'Simple'))!)!;
  assert.equal(layer.node.config.units, undefined);
  assert.deepEqual(layer.unknown.sort(), ['input_shape', 'units']);
  assert.equal(layer.inputShape, null);
});

test('simple arithmetic on numbers is folded: units=2*64, input_shape=(60, 1)', () => {
  const layer = layerFromCall(findCallAt('LSTM(2 * 64 - 8, input_shape=(60, 1))', 1)!)!;
  assert.equal(layer.node.config.units, 120);
});

test('an unfinished call (still typing) is found and marked incomplete', () => {
  const src = 'model.add(LSTM(10, input_shape=(5, 2)';
  const call = findCallAt(src, at(src, 'LSTM'))!;
  assert.equal(call.complete, false);
  assert.equal(layerFromCall(call)!.node.config.units, 10);
});

test('strings, comments and other calls do not confuse the parser', () => {
  const src = [
    "print('LSTM(3) is not code')  # Dense(9) neither",
    'x = np.array([1, 2, 3])',
    'm = Sequential([Embedding(1000, 64, input_length=10), GRU(8)])',
  ].join('\n');
  assert.equal(findCallAt(src, at(src, "LSTM(3)") + 1), null);
  assert.equal(findCallAt(src, at(src, 'Dense(9)') + 1), null);
  const emb = layerFromCall(findCallAt(src, at(src, 'Embedding'))!)!;
  assert.equal(emb.node.config.input_dim, 1000);
  assert.equal(emb.node.config.output_dim, 64);
  assert.deepEqual(emb.inputShape, [null, 10]);
  assert.equal(findCallAt(src, at(src, 'GRU'))!.name, 'GRU');
});

test('tokenizer: triple-quoted strings, prefixes and numbers with underscores and exponents', () => {
  const toks = tokenize('"""a\nLSTM(1)""" rb\'x\' 1_000 2.5e-3 0x10');
  assert.deepEqual(
    toks.map((t) => [t.t, t.v]),
    [
      ['str', 'a\nLSTM(1)'],
      ['str', 'x'],
      ['num', 1000],
      ['num', 0.0025],
      ['num', 16],
    ],
  );
});

test('literal() turns tuples, None and booleans into JS values', () => {
  const call = findCallAt('Dense(3, use_bias=False, input_shape=(None, 4))', 1)!;
  assert.equal(literal(call.kwargs.use_bias), false);
  assert.deepEqual(literal(call.kwargs.input_shape), [null, 4]);
});

test('a huge file is scanned only around the cursor and offsets stay right', () => {
  const filler = '# filler line\n'.repeat(10000);
  const src = filler + 'layer = LSTM(7, input_shape=(3, 2))\n' + filler;
  const off = at(src, 'LSTM(7');
  const call = findCallAt(src, off + 1)!;
  assert.equal(src.slice(call.nameStart, call.nameEnd), 'LSTM');
  assert.equal(src.slice(call.start, call.end), 'LSTM(7, input_shape=(3, 2))');
});

test('a hover over a weightless layer call says 0 params (model.summary() counts none for them)', async () => {
  const { pythonHover } = await import('../../extension/hovers');
  for (const src of ['Dropout(0.5)', 'Reshape((4, 3))', 'MaxPooling1D(2)', 'Concatenate(axis=-1)', 'RepeatVector(3)', 'Masking(0.0)']) {
    const call = findCallAt(src, 1);
    assert.ok(call, src);
    const hover = pythonHover(call);
    assert.equal(hover?.total, 0, src);
    assert.match(hover!.markdown, /\*\*0 params\*\*/, src);
  }
  // A layer whose count needs the input still asks for it instead of claiming 0.
  const bn = pythonHover(findCallAt('BatchNormalization()', 1)!);
  assert.equal(bn?.total, null);
});

test('tokenizer: escapes in plain strings are read, raw strings keep the backslash, unterminated one-line strings stop at the line', () => {
  const toks = tokenize("'a\\'b' r'x\\y' \"no end\nDense(2)");
  assert.deepEqual(
    toks.map((t) => [t.t, t.v]),
    [
      ['str', "a'b"],
      ['str', 'x\\y'],
      ['str', 'no end'],
      ['name', 'Dense'],
      ['op', '('],
      ['num', 2],
      ['op', ')'],
    ],
  );
});

test('calls on calls are parsed: the LSTM inside Dense(1)(LSTM(8)(x)) is found', () => {
  const src = 'y = Dense(1)(LSTM(8)(x))';
  assert.equal(findCallAt(src, at(src, 'LSTM', 1))?.name, 'LSTM');
  assert.equal(findCallAt(src, at(src, 'Dense', 1))?.name, 'Dense');
});
