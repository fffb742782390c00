// One small, valid instance of every registered layer kind, for the conformance test (test/unit/conformance.test.ts).
// The test builds each instance with seeded random weights of the shapes its parameter formula names, then checks
// the module against itself: formula vs the weights the forward pass reads, shape rule vs the forward pass's shape,
// the exported NumPy script (run by python3) vs the forward pass, and a hover signature. A registered class with
// no example here fails the test, so no kind can be half-registered.

export interface KindExample {
  /** The Keras class name, exactly as registered. */
  className: string;
  config: Record<string, unknown>;
  /** Full input shapes (batch first, every dim known), one per input tensor. */
  inputs: number[][];
  /** Inner layers of a wrapper (TimeDistributed, Bidirectional, RNN), as Keras nests them under `layer`/`cell`. */
  children?: KindExample[];
  /** Inputs are whole-number tokens below this (Embedding). */
  tokensBelow?: number;
  /** Keras major version of the file the example stands for; default 3. */
  kerasMajor?: 1 | 2 | 3;
  /** A Keras 3 op layer's positional arguments (LayerCall.args): `{input: k}` for the k-th input, `{value}` a constant. */
  callArgs?: ({ input: number } | { value: unknown })[];
  /** Why this class is exempt from a check, if it is (e.g. "no weights, nothing to export"); keyed by check. */
  exempt?: Partial<Record<'numpy' | 'python' | 'forward', string>>;
}

/** Op layers come from calls like keras.ops.not_equal(x, 0), not layer constructors: the code hovers explain constructors. */
const OP_HOVER = { python: 'an op is written keras.ops.not_equal(x, 0) in code, not a layer constructor the hovers explain' };

const lstm = (units: number, extra: Record<string, unknown> = {}): KindExample => ({ className: 'LSTM', config: { units, ...extra }, inputs: [] });

export const KIND_EXAMPLES: KindExample[] = [
  // Recurrent layers and wrappers
  { className: 'SimpleRNN', config: { units: 4, return_sequences: true }, inputs: [[2, 5, 3]] },
  { className: 'LSTM', config: { units: 3, return_state: true }, inputs: [[2, 4, 3]] },
  { className: 'GRU', config: { units: 3, reset_after: true, go_backwards: true }, inputs: [[2, 4, 2]] },
  { className: 'CuDNNLSTM', config: { units: 3, return_sequences: true }, inputs: [[1, 3, 2]], kerasMajor: 2 },
  { className: 'CuDNNGRU', config: { units: 2 }, inputs: [[1, 3, 2]], kerasMajor: 2 },
  {
    className: 'Bidirectional',
    config: { merge_mode: 'concat' },
    inputs: [[2, 4, 3]],
    children: [lstm(3, { return_sequences: true }), { ...lstm(3, { return_sequences: true, go_backwards: true }), config: { units: 3, return_sequences: true, go_backwards: true, name: 'backward_lstm' } }],
  },
  { className: 'TimeDistributed', config: {}, inputs: [[2, 3, 4]], children: [{ className: 'Dense', config: { units: 2, activation: 'tanh' }, inputs: [] }] },
  // Dense family and activations
  { className: 'Dense', config: { units: 3, activation: 'relu' }, inputs: [[2, 4]] },
  { className: 'Activation', config: { activation: 'softmax' }, inputs: [[2, 5]] },
  { className: 'ReLU', config: { max_value: 1.5, threshold: 0.1, negative_slope: 0.2 }, inputs: [[2, 6]] },
  { className: 'LeakyReLU', config: { negative_slope: 0.3 }, inputs: [[2, 6]] },
  { className: 'ELU', config: { alpha: 0.7 }, inputs: [[2, 6]] },
  { className: 'Softmax', config: { axis: -1 }, inputs: [[2, 3, 4]] },
  { className: 'Softmax', config: { axis: 1 }, inputs: [[2, 5]] },
  { className: 'Softmax', config: { axis: [0, 2] }, inputs: [[2, 3, 4]] },
  { className: 'ThresholdedReLU', config: { theta: 0.2 }, inputs: [[2, 6]], kerasMajor: 2 },
  // Sequences in, tokens in
  { className: 'Embedding', config: { input_dim: 7, output_dim: 3 }, inputs: [[2, 5]], tokensBelow: 7 },
  { className: 'Masking', config: { mask_value: 0 }, inputs: [[2, 4, 3]] },
  // Identities at inference
  { className: 'Dropout', config: { rate: 0.5 }, inputs: [[2, 4]] },
  { className: 'SpatialDropout1D', config: { rate: 0.5 }, inputs: [[2, 3, 4]] },
  { className: 'GaussianNoise', config: { stddev: 0.1 }, inputs: [[2, 4]] },
  { className: 'GaussianDropout', config: { rate: 0.1 }, inputs: [[2, 4]] },
  { className: 'AlphaDropout', config: { rate: 0.1 }, inputs: [[2, 4]] },
  { className: 'ActivityRegularization', config: { l1: 0.01, l2: 0.001 }, inputs: [[2, 4]] },
  // Shaping
  { className: 'RepeatVector', config: { n: 3 }, inputs: [[2, 4]] },
  { className: 'Flatten', config: {}, inputs: [[2, 3, 4]] },
  { className: 'Reshape', config: { target_shape: [4, 3] }, inputs: [[2, 12]] },
  { className: 'Permute', config: { dims: [2, 1] }, inputs: [[2, 3, 4]] },
  // Convolution and pooling over time
  { className: 'Conv1D', config: { filters: 3, kernel_size: [2], padding: 'same', strides: [1], dilation_rate: [2], activation: 'relu' }, inputs: [[2, 6, 2]] },
  { className: 'MaxPooling1D', config: { pool_size: [2], strides: [2], padding: 'valid' }, inputs: [[2, 5, 3]] },
  { className: 'AveragePooling1D', config: { pool_size: [3], strides: [1], padding: 'same' }, inputs: [[2, 5, 3]] },
  { className: 'MaxPool1D', config: { pool_size: [2] }, inputs: [[2, 4, 2]] },
  { className: 'AvgPool1D', config: { pool_size: [2] }, inputs: [[2, 4, 2]] },
  { className: 'GlobalAveragePooling1D', config: {}, inputs: [[2, 5, 3]] },
  { className: 'GlobalMaxPooling1D', config: {}, inputs: [[2, 5, 3]] },
  { className: 'GlobalAvgPool1D', config: {}, inputs: [[2, 5, 3]] },
  { className: 'GlobalMaxPool1D', config: { keepdims: true }, inputs: [[2, 5, 3]] },
  // Normalization
  { className: 'BatchNormalization', config: { epsilon: 0.001 }, inputs: [[2, 3, 4]] },
  { className: 'LayerNormalization', config: { epsilon: 0.001 }, inputs: [[2, 3, 4]] },
  { className: 'LayerNormalization', config: { rms_scaling: true, axis: [1, 2], epsilon: 1e-5 }, inputs: [[2, 3, 4]] },
  // Merging
  { className: 'Add', config: {}, inputs: [[2, 3], [2, 3]] },
  { className: 'Subtract', config: {}, inputs: [[2, 3], [2, 3]] },
  { className: 'Multiply', config: {}, inputs: [[2, 3], [2, 3]] },
  { className: 'Average', config: {}, inputs: [[2, 3], [2, 3]] },
  { className: 'Maximum', config: {}, inputs: [[2, 3], [2, 3]] },
  { className: 'Minimum', config: {}, inputs: [[2, 3], [2, 3]] },
  { className: 'Concatenate', config: { axis: -1 }, inputs: [[2, 3, 2], [2, 3, 4]] },
  { className: 'Merge', config: { mode: 'sum' }, inputs: [[2, 3], [2, 3]], kerasMajor: 1 },
  { className: 'Dot', config: { axes: [2, 2] }, inputs: [[2, 3, 4], [2, 5, 4]] },
  { className: 'Attention', config: { use_scale: true }, inputs: [[2, 3, 4], [2, 5, 4]] },
  // Frames: convolution, pooling and padding over H×W (CRNNs run them inside TimeDistributed), 3-D pooling, up-sampling
  { className: 'Conv2D', config: { filters: 3, kernel_size: [3, 2], strides: [2, 1], padding: 'same', dilation_rate: [1, 1], activation: 'relu' }, inputs: [[2, 5, 4, 2]] },
  { className: 'MaxPooling2D', config: { pool_size: [2, 2], strides: [2, 2], padding: 'same' }, inputs: [[2, 5, 4, 3]] },
  { className: 'AveragePooling2D', config: { pool_size: [3, 2], strides: [2, 1], padding: 'same' }, inputs: [[2, 5, 4, 3]] },
  { className: 'MaxPool2D', config: { pool_size: [2, 2], padding: 'valid' }, inputs: [[1, 4, 5, 2]] },
  { className: 'AvgPool2D', config: { pool_size: [2, 3], strides: [1, 2], padding: 'valid' }, inputs: [[1, 4, 5, 2]] },
  { className: 'MaxPooling3D', config: { pool_size: [1, 2, 2], padding: 'valid' }, inputs: [[2, 3, 4, 4, 2]] },
  { className: 'AveragePooling3D', config: { pool_size: [2, 2, 2], strides: [1, 2, 2], padding: 'same' }, inputs: [[2, 3, 5, 4, 2]] },
  { className: 'MaxPool3D', config: { pool_size: [2, 2, 2], padding: 'same' }, inputs: [[1, 3, 3, 3, 2]] },
  { className: 'AvgPool3D', config: { pool_size: [1, 2, 2] }, inputs: [[1, 2, 4, 4, 2]] },
  { className: 'GlobalAveragePooling2D', config: {}, inputs: [[2, 3, 4, 3]] },
  { className: 'GlobalMaxPooling2D', config: { keepdims: true }, inputs: [[2, 3, 4, 3]] },
  { className: 'GlobalAvgPool2D', config: { data_format: 'channels_first' }, inputs: [[2, 3, 4, 2]] },
  { className: 'GlobalMaxPool2D', config: {}, inputs: [[2, 3, 4, 3]] },
  { className: 'GlobalAveragePooling3D', config: { keepdims: true }, inputs: [[2, 2, 3, 2, 3]] },
  { className: 'GlobalMaxPooling3D', config: {}, inputs: [[2, 2, 3, 2, 3]] },
  { className: 'GlobalAvgPool3D', config: {}, inputs: [[1, 2, 2, 2, 2]] },
  { className: 'GlobalMaxPool3D', config: {}, inputs: [[1, 2, 2, 2, 2]] },
  { className: 'ZeroPadding2D', config: { padding: [[1, 0], [2, 1]] }, inputs: [[2, 3, 2, 2]] },
  { className: 'UpSampling1D', config: { size: 3 }, inputs: [[2, 3, 2]] },
  {
    className: 'TimeDistributed',
    config: { name: 'frames_conv' },
    inputs: [[2, 3, 5, 4, 2]],
    children: [{ className: 'Conv2D', config: { filters: 2, kernel_size: [3, 3], padding: 'valid', activation: 'tanh' }, inputs: [] }],
  },
  { className: 'AdditiveAttention', config: { use_scale: true }, inputs: [[2, 3, 4], [2, 5, 4]] },
  {
    className: 'RNN',
    config: {
      cell: { class_name: 'StackedRNNCells', config: { cells: [{ class_name: 'LSTMCell', config: { units: 3, name: 'lstm_cell' } }, { class_name: 'GRUCell', config: { units: 2, reset_after: true, name: 'gru_cell' } }] } },
      return_sequences: true,
      return_state: false,
      go_backwards: true,
    },
    inputs: [[2, 4, 3]],
  },
  { className: 'RNN', config: { cell: { class_name: 'SimpleRNNCell', config: { units: 3, name: 'simple_rnn_cell' } } }, inputs: [[2, 5, 2]] },
  { className: 'MultiHeadAttention', config: { num_heads: 2, key_dim: 3, value_dim: 2, output_shape: [3, 2] }, inputs: [[2, 3, 4], [2, 5, 4]] },
  // Recurrent cells whose state is a feature map
  { className: 'ConvLSTM2D', config: { filters: 2, kernel_size: [3, 3], padding: 'same', strides: [2, 1], return_state: true }, inputs: [[2, 3, 5, 4, 2]] },
  { className: 'ConvLSTM2D', config: { filters: 2, kernel_size: [2, 3], data_format: 'channels_first', go_backwards: true, return_sequences: true, use_bias: false }, inputs: [[1, 3, 2, 4, 5]], kerasMajor: 2 },
  { className: 'ConvLSTM1D', config: { filters: 3, kernel_size: [3], padding: 'same', dilation_rate: [2], return_sequences: true, recurrent_activation: 'hard_sigmoid' }, inputs: [[2, 4, 7, 2]] },
  { className: 'ConvLSTM3D', config: { filters: 2, kernel_size: [2, 2, 2], padding: 'valid' }, inputs: [[1, 3, 3, 4, 3, 1]] },
  // Keras 3 op layers (module keras.src.ops.*): elementwise and comparisons, with NumPy broadcasting and constants
  { className: 'ops.numpy.Add', config: {}, inputs: [[2, 3, 4], [2, 1, 4]], exempt: OP_HOVER },
  { className: 'ops.numpy.Subtract', config: {}, inputs: [[2, 3], [2, 3]], callArgs: [{ value: 1.5 }, { input: 0 }], exempt: OP_HOVER },
  { className: 'ops.numpy.Multiply', config: {}, inputs: [[2, 3], [2, 3]], callArgs: [{ input: 0 }, { value: [0.5, -2, 3] }], exempt: OP_HOVER },
  { className: 'ops.numpy.Divide', config: {}, inputs: [[2, 3], [1, 3]], exempt: OP_HOVER },
  { className: 'ops.numpy.TrueDivide', config: {}, inputs: [[2, 3], [2, 3]], exempt: OP_HOVER },
  { className: 'ops.numpy.Maximum', config: {}, inputs: [[2, 3], [2, 3]], exempt: OP_HOVER },
  { className: 'ops.numpy.Minimum', config: {}, inputs: [[2, 3]], callArgs: [{ input: 0 }, { value: 0 }], exempt: OP_HOVER },
  { className: 'ops.numpy.Equal', config: {}, inputs: [[2, 5]], tokensBelow: 3, callArgs: [{ input: 0 }, { value: 1 }], exempt: OP_HOVER },
  { className: 'ops.numpy.NotEqual', config: {}, inputs: [[2, 5]], tokensBelow: 3, callArgs: [{ input: 0 }, { value: 0 }], exempt: OP_HOVER },
  { className: 'ops.numpy.Greater', config: {}, inputs: [[2, 3], [2, 3]], exempt: OP_HOVER },
  { className: 'ops.numpy.GreaterEqual', config: {}, inputs: [[2, 3]], callArgs: [{ input: 0 }, { value: 0 }], exempt: OP_HOVER },
  { className: 'ops.numpy.Less', config: {}, inputs: [[2, 3], [2, 3]], exempt: OP_HOVER },
  { className: 'ops.numpy.LessEqual', config: {}, inputs: [[2, 3]], callArgs: [{ value: 0 }, { input: 0 }], exempt: OP_HOVER },
  // Keras 3 op layers: cast and shape ops over every axis, batch included
  { className: 'ops.core.Cast', config: { dtype: 'bool' }, inputs: [[2, 5]], tokensBelow: 3, exempt: OP_HOVER },
  { className: 'ops.numpy.ExpandDims', config: { axis: 1 }, inputs: [[2, 3]], exempt: OP_HOVER },
  { className: 'ops.numpy.Squeeze', config: { axis: -2 }, inputs: [[2, 1, 3]], exempt: OP_HOVER },
  { className: 'ops.numpy.Reshape', config: { newshape: [-1, 6] }, inputs: [[2, 3, 2]], exempt: OP_HOVER },
  { className: 'ops.numpy.Transpose', config: { axes: [0, 2, 1] }, inputs: [[2, 3, 4]], exempt: OP_HOVER },
  {
    className: 'ops.numpy.GetItem',
    config: {},
    inputs: [[2, 4, 3]],
    callArgs: [{ input: 0 }, { value: [{ class_name: '__slice__', config: { start: null, stop: null, step: -2 } }, -1] }],
    exempt: OP_HOVER,
  },
  // The model's input: every other example runs through one.
  { className: 'InputLayer', config: {}, inputs: [[2, 3]], exempt: { forward: 'an InputLayer is the model input itself; every other example runs through one', numpy: 'the model input itself; every exported script starts with one', python: 'written Input(shape=...) in code, not as a layer call' } },
];
