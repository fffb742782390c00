#!/usr/bin/python3
# Independent reference for the live-recompute tests: SimpleRNN(tanh, last step) -> Dense(linear) in a NumPy loop on
# the weights read with h5py from a Keras 2 .h5 file (golden b). Usage: simplernn_dense_numpy.py FILE.h5 < input.json
# (a nested list N x T x D); prints the outputs N x K as JSON.
import json
import sys

import h5py
import numpy as np

path = sys.argv[1]
x = np.asarray(json.load(sys.stdin), dtype=np.float64)
with h5py.File(path, 'r') as f:
    w = f['model_weights']
    cell = w['simple_rnn/simple_rnn/simple_rnn_cell']
    W, U, b = (np.asarray(cell[k], dtype=np.float64) for k in ('kernel:0', 'recurrent_kernel:0', 'bias:0'))
    dense = w['dense/dense']
    K, c = (np.asarray(dense[k], dtype=np.float64) for k in ('kernel:0', 'bias:0'))
h = np.zeros((x.shape[0], U.shape[0]))
for t in range(x.shape[1]):
    h = np.tanh(x[:, t, :] @ W + h @ U + b)
print(json.dumps((h @ K + c).tolist()))
