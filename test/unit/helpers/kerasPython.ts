// Independent reference computations in python3 + NumPy for tests of real .keras files: the script reads the
// weights straight from the zip's model.weights.h5 with h5py (not through the project's reader) and prints JSON.
import { spawnSync } from 'node:child_process';

/** The Python with NumPy and h5py: `python3` on PATH, or Debian's /usr/bin/python3 (what .ci/run installs). */
const PYTHON_WITH_H5PY = ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import numpy, h5py'], { encoding: 'utf8' }).status === 0);

/** Why a NumPy + h5py reference cannot run here, or null when it can. */
export function noNumpyH5py(): string | null {
  return PYTHON_WITH_H5PY ? null : 'no python3 with NumPy and h5py is installed (apt-get install -y python3-numpy python3-h5py)';
}

/** Python source that defines `weights(path)`: a float64 array of one dataset of the .keras file given as argv[1]. */
export const READ_KERAS_WEIGHTS = `
import io, json, sys, zipfile
import numpy as np
import h5py
_zip = zipfile.ZipFile(sys.argv[1])
_h5 = h5py.File(io.BytesIO(_zip.read('model.weights.h5')), 'r')
def weights(path):
    return np.asarray(_h5[path][()], dtype=np.float64)
`;

/** Runs `body` (after READ_KERAS_WEIGHTS) with the .keras file and JSON on stdin as `data`; returns what it prints as JSON. */
export function runKerasPython(kerasFile: string, body: string, data: unknown): unknown {
  const script = `${READ_KERAS_WEIGHTS}\ndata = json.loads(sys.stdin.read())\n${body}\n`;
  const run = spawnSync(PYTHON_WITH_H5PY!, ['-c', script, kerasFile], { input: JSON.stringify(data), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`python3 failed:\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** A Keras LSTM over a sequence in NumPy (gates i, f, c~, o in that order, as Keras lays out its kernels), with a
 *  time mask that carries h and c over masked steps. Defines lstm(x, mask, W, U, b) -> (hs, h, c). */
export const NUMPY_LSTM = `
def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
def lstm(x, mask, W, U, b):
    N, T, _ = x.shape
    M = U.shape[0]
    h = np.zeros((N, M)); c = np.zeros((N, M)); hs = []
    for t in range(T):
        z = x[:, t, :] @ W + h @ U + b
        i = _sigmoid(z[:, :M]); f = _sigmoid(z[:, M:2*M]); g = np.tanh(z[:, 2*M:3*M]); o = _sigmoid(z[:, 3*M:])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        keep = mask[:, t:t+1] if mask is not None else np.ones((N, 1))
        h = np.where(keep > 0, h_new, h); c = np.where(keep > 0, c_new, c)
        hs.append(h)
    return np.stack(hs, axis=1), h, c
`;
