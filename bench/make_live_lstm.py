#!/usr/bin/python3
# Writes the live benchmark's ~50k-parameter LSTM as a Keras 2 .h5 (the layout tf.keras 2.15 saves, as golden b):
# Input (N, T = 100, D = 24) -> LSTM(100) -> Dense(1); 4·100·(24 + 100 + 1) + 101 = 50,101 parameters, seeded weights.
# Usage: /usr/bin/python3 bench/make_live_lstm.py OUT.h5
import json
import sys

import h5py
import numpy as np

T, D, M = 100, 24, 100
rng = np.random.default_rng(7)
init = lambda *s: (rng.standard_normal(s) * 0.1).astype(np.float32)
layers = [
    {'class_name': 'InputLayer', 'config': {'batch_input_shape': [None, T, D], 'dtype': 'float32', 'sparse': False, 'ragged': False, 'name': 'lstm_input'}},
    {'class_name': 'LSTM', 'config': {'name': 'lstm', 'trainable': True, 'dtype': 'float32', 'batch_input_shape': [None, T, D], 'return_sequences': False, 'return_state': False, 'go_backwards': False, 'stateful': False, 'unroll': False, 'time_major': False, 'units': M, 'activation': 'tanh', 'recurrent_activation': 'sigmoid', 'use_bias': True, 'unit_forget_bias': True, 'dropout': 0.0, 'recurrent_dropout': 0.0, 'implementation': 2}},
    {'class_name': 'Dense', 'config': {'name': 'dense', 'trainable': True, 'dtype': 'float32', 'units': 1, 'activation': 'linear', 'use_bias': True}},
]
config = {'class_name': 'Sequential', 'config': {'name': 'sequential', 'layers': layers}}
weights = {
    'lstm': [('lstm/lstm_cell/kernel:0', init(D, 4 * M)), ('lstm/lstm_cell/recurrent_kernel:0', init(M, 4 * M)), ('lstm/lstm_cell/bias:0', init(4 * M))],
    'dense': [('dense/kernel:0', init(M, 1)), ('dense/bias:0', init(1))],
}
with h5py.File(sys.argv[1], 'w') as f:
    f.attrs['backend'] = 'tensorflow'
    f.attrs['keras_version'] = '2.15.0'
    f.attrs['model_config'] = json.dumps(config)
    mw = f.create_group('model_weights')
    mw.attrs['backend'] = 'tensorflow'
    mw.attrs['keras_version'] = '2.15.0'
    mw.attrs['layer_names'] = np.array([n.encode() for n in weights], dtype=object)
    for name, ws in weights.items():
        g = mw.create_group(name)
        g.attrs['weight_names'] = np.array([w.encode() for w, _ in ws], dtype=object)
        for w, v in ws:
            g.create_dataset(w, data=v)
