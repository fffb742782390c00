// What the house learns from a layer module instead of naming classes: Keras 1 aliases and input arguments (config.ts),
// the Python hover's signature and wrapper copies (pythonCall.ts), the roles the tooltips use (hovers.ts).
// Expected values are worked out by hand from Keras's own rules, quoted beside each.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLayer, parseModelConfig } from '../../extension/keras/config';
import { findCallAt } from '../../extension/keras/pythonCall';
import { pythonHover, weightRole } from '../../extension/hovers';
import { keras2ClassName, pythonLayerClasses } from '../../extension/keras/layers/index';

const keras1 = (raw: unknown) => parseLayer(raw, { kerasMajor: 1, warnings: [] });

test('Keras 1 input_dim: Dense(input_dim=5) is (None, 5), a recurrent layer (None, input_length, input_dim), Embedding (None, input_length)', () => {
  // Keras 1.2 Dense: `if self.input_dim: kwargs['input_shape'] = (self.input_dim,)`; recurrent layers:
  // `kwargs['input_shape'] = (self.input_length, self.input_dim)`; Embedding: `(self.input_length,)` of tokens.
  assert.deepEqual(keras1({ class_name: 'Dense', config: { name: 'd', output_dim: 3, input_dim: 5 } }).config.batch_input_shape, [null, 5]);
  assert.deepEqual(keras1({ class_name: 'LSTM', config: { name: 'l', output_dim: 4, input_dim: 3, input_length: 7 } }).config.batch_input_shape, [null, 7, 3]);
  assert.deepEqual(keras1({ class_name: 'LSTM', config: { name: 'l', output_dim: 4, input_dim: 3 } }).config.batch_input_shape, [null, null, 3]);
  assert.deepEqual(keras1({ class_name: 'Embedding', config: { name: 'e', input_dim: 100, output_dim: 8, input_length: 12 } }).config.batch_input_shape, [null, 12]);
  // A Sequential starting with an Embedding takes whole-number tokens.
  const { graph } = parseModelConfig({ class_name: 'Sequential', config: [{ class_name: 'Embedding', config: { input_dim: 9, output_dim: 2, batch_input_shape: [null, 4] } }] }, { kerasMajor: 2, warnings: [] });
  assert.equal(graph.inputs[0].dtype, 'int32');
});

test('Keras 1 class and key aliases come from the modules: Convolution1D, output_dim, inner_activation, p', () => {
  assert.equal(keras2ClassName('Convolution1D'), 'Conv1D');
  assert.equal(keras2ClassName('AtrousConvolution1D'), 'Conv1D');
  assert.equal(keras2ClassName('Conv1D'), undefined);
  const conv = keras1({ class_name: 'Convolution1D', config: { name: 'c', nb_filter: 8, filter_length: 3, border_mode: 'same', subsample_length: 2 } });
  assert.equal(conv.className, 'Conv1D');
  assert.equal(conv.declaredClassName, 'Convolution1D');
  assert.deepEqual([conv.config.filters, conv.config.kernel_size, conv.config.padding, conv.config.strides], [8, [3], 'same', [2]]);
  const gru = keras1({ class_name: 'GRU', config: { name: 'g', output_dim: 4, inner_activation: 'hard_sigmoid', dropout_W: 0.1 } });
  assert.deepEqual([gru.config.units, gru.config.recurrent_activation, gru.config.dropout], [4, 'hard_sigmoid', 0.1]);
  assert.equal(keras1({ class_name: 'Dropout', config: { name: 'd', p: 0.5 } }).config.rate, 0.5);
  // Embedding's output_dim is its own Keras 2 name, never renamed to units.
  assert.equal(keras1({ class_name: 'Embedding', config: { name: 'e', input_dim: 10, output_dim: 3 } }).config.output_dim, 3);
});

test('wrappers build their inner layers: Bidirectional copies the forward layer backwards, and refuses one inside another', () => {
  const bi = keras1({ class_name: 'Bidirectional', config: { name: 'b', layer: { class_name: 'GRU', config: { name: 'gru', units: 3 } } } });
  assert.deepEqual(bi.children.map((c) => [c.name, c.config.go_backwards === true]), [['forward_gru', false], ['backward_gru', true]]);
  const td = keras1({ class_name: 'TimeDistributed', config: { name: 't', layer: { class_name: 'Dense', config: { name: 'dd', units: 3 } } } });
  assert.deepEqual(td.children.map((c) => c.name), ['dd']);
  assert.throws(
    () => keras1({ class_name: 'Bidirectional', config: { name: 'bb', layer: { class_name: 'Bidirectional', config: { layer: { class_name: 'LSTM', config: { units: 2 } } } } } }),
    /wraps another Bidirectional.*damaged or crafted/,
  );
});

test('Python hovers: the signatures come from the modules; Embedding(V, output_dim=E) counts V·E, Bidirectional twice its LSTM', () => {
  for (const name of ['SimpleRNN', 'LSTM', 'GRU', 'CuDNNLSTM', 'CuDNNGRU', 'Dense', 'Bidirectional', 'TimeDistributed', 'Embedding', 'Conv1D']) {
    assert.ok(pythonLayerClasses().has(name), name);
  }
  const hover = (src: string) => pythonHover(findCallAt(src, 1)!);
  // V·E = 1000·64
  assert.equal(hover('Embedding(1000, output_dim=64)')?.total, 64_000);
  // 2 directions · 4M(D+M+1) with D = 3, M = 8: 2·4·8·12
  assert.equal(hover('Bidirectional(LSTM(8), input_shape=(10, 3))')?.total, 768);
  // Keras 1 argument names: Dense(output_dim=3, input_dim=4) is D·K + K = 4·3 + 3
  assert.equal(hover('Dense(output_dim=3, input_dim=4)')?.total, 15);
  // CuDNNLSTM's only positional argument is units: 4·M·(D+M+2) with its two biases, D = 3, M = 2: 4·2·7
  assert.equal(hover('CuDNNLSTM(2, input_shape=(5, 3))')?.total, 56);
});

test('tooltip roles: a recurrent kernel is W_x, any other kernel W', () => {
  assert.equal(weightRole('LSTM', 'kernel'), 'W_x');
  assert.equal(weightRole('CuDNNGRU', 'kernel'), 'W_x');
  assert.equal(weightRole('Dense', 'kernel'), 'W');
  assert.equal(weightRole('Conv1D', 'kernel'), 'W');
});
