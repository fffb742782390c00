"""The notebooks' way of running an RNN by hand: one NumPy step per time step, keeping every step's h (and c and
the gates), so bench/forward.ts can time it beside our loop and TensorFlow.js on the same weights.

Usage (bench/forward.ts does this): python3 bench/forward_numpy.py SPEC.json
SPEC: {"cell": "SimpleRNN"|"LSTM"|"GRU", "D", "M", "T", "runs", "warmup", "dir"}; dir holds x.f32 (T, D), kernel.f32 (D, G*M),
recurrent.f32 (M, G*M), bias.f32 (G*M) as raw little-endian float32. Prints one JSON line with per-dtype timings and
writes each dtype's h sequence to dir/h_<dtype>.f64 for the agreement check. Also reports the BLAS library loaded,
OpenBLAS's chosen kernel (core type) and threads, and this process's peak RSS.
"""

import ctypes
import json
import os
import resource
import sys
import time

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def simple_rnn(x, W, U, b, M):
    T = x.shape[0]
    h = np.zeros(M, dtype=x.dtype)
    H = np.empty((T, M), dtype=x.dtype)
    PRE = np.empty((T, M), dtype=x.dtype)
    for t in range(T):
        pre = x[t] @ W + h @ U + b
        h = np.tanh(pre)
        PRE[t] = pre
        H[t] = h
    return H, (PRE,)


def lstm(x, W, U, b, M):
    T = x.shape[0]
    h = np.zeros(M, dtype=x.dtype)
    c = np.zeros(M, dtype=x.dtype)
    H, C, I, F, G, O = (np.empty((T, M), dtype=x.dtype) for _ in range(6))
    for t in range(T):
        z = x[t] @ W + h @ U + b
        i = sigmoid(z[:M])
        f = sigmoid(z[M:2 * M])
        g = np.tanh(z[2 * M:3 * M])
        o = sigmoid(z[3 * M:])
        c = f * c + i * g
        h = o * np.tanh(c)
        H[t], C[t], I[t], F[t], G[t], O[t] = h, c, i, f, g, o
    return H, (C, I, F, G, O)


def gru_reset_before(x, W, U, b, M):
    T = x.shape[0]
    U_zr, U_h = U[:, :2 * M], U[:, 2 * M:]
    h = np.zeros(M, dtype=x.dtype)
    H, Z, R, HH = (np.empty((T, M), dtype=x.dtype) for _ in range(4))
    for t in range(T):
        xw = x[t] @ W + b
        hu = h @ U_zr
        z = sigmoid(xw[:M] + hu[:M])
        r = sigmoid(xw[M:2 * M] + hu[M:])
        hh = np.tanh(xw[2 * M:] + (r * h) @ U_h)
        h = z * h + (1 - z) * hh
        H[t], Z[t], R[t], HH[t] = h, z, r, hh
    return H, (Z, R, HH)


def blas_paths():
    try:
        with open("/proc/self/maps") as f:
            return sorted({os.path.realpath(line.split()[-1]) for line in f if "blas" in line.lower() and "/" in line})
    except OSError:
        return []


def blas_library():
    """Which BLAS this NumPy really calls (Debian switches libblas.so.3 between reference BLAS and OpenBLAS)."""
    return ", ".join(p.rsplit("/", 1)[-1] for p in blas_paths()) or "unknown"


def openblas_kernel():
    """The kernel (core type) OpenBLAS picked at load, its config line and thread count, when the BLAS is OpenBLAS.
    np.show_runtime() needs threadpoolctl, which is not installed here, so ask the library itself."""
    for path in blas_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas_", "64_"), ("scipy_openblas_", ""), ("openblas_", "64_"), ("openblas_", "")):
            core = getattr(lib, f"{prefix}get_corename{suffix}", None)
            if core is None:
                continue
            core.restype = ctypes.c_char_p
            config = getattr(lib, f"{prefix}get_config{suffix}")
            config.restype = ctypes.c_char_p
            threads = getattr(lib, f"{prefix}get_num_threads{suffix}")
            return {"core": core().decode(), "config": config().decode(), "threads": int(threads())}
    return None


CELLS = {"SimpleRNN": (simple_rnn, 1), "LSTM": (lstm, 4), "GRU": (gru_reset_before, 3)}


def main():
    spec = json.load(open(sys.argv[1]))
    D, M, T, runs, folder = spec["D"], spec["M"], spec["T"], spec["runs"], spec["dir"]
    fn, G = CELLS[spec["cell"]]
    raw = {
        "x": np.fromfile(f"{folder}/x.f32", dtype="<f4").reshape(T, D),
        "W": np.fromfile(f"{folder}/kernel.f32", dtype="<f4").reshape(D, G * M),
        "U": np.fromfile(f"{folder}/recurrent.f32", dtype="<f4").reshape(M, G * M),
        "b": np.fromfile(f"{folder}/bias.f32", dtype="<f4"),
    }
    result = {"numpy": np.__version__}
    for dtype in ("float32", "float64"):
        a = {k: v.astype(dtype) for k, v in raw.items()}
        for _ in range(spec.get("warmup", 1)):
            fn(a["x"], a["W"], a["U"], a["b"], M)  # warm-up
        times, cpu = [], []
        for _ in range(runs):
            t0, c0 = time.perf_counter(), time.process_time()
            H, _ = fn(a["x"], a["W"], a["U"], a["b"], M)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        H.astype("<f8").tofile(f"{folder}/h_{dtype}.f64")
        result[dtype] = {"median_ms": float(np.median(times)), "median_cpu_ms": float(np.median(cpu)), "times_ms": times, "cpu_ms": cpu}
    result["blas"] = blas_library()
    result["openblas"] = openblas_kernel()
    result["env"] = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS") if k in os.environ}
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
