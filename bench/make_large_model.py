"""Writes large Keras-layout model files for bench/read.ts (run with Debian's /usr/bin/python3: it has h5py and numpy).

    /usr/bin/python3 bench/make_large_model.py OUT_DIR [MB ...] [--latest MB]

For each size (default 5 50 500 MB) it writes, unless already present:
  lstm-<MB>mb.h5     a tf.keras 2.x legacy full model exactly as model.save('x.h5') lays it out: root attrs
                     keras_version / backend / model_config / training_config, `model_weights` with `layer_names`,
                     per-layer groups with `weight_names` and datasets at `lstm/lstm/lstm_cell/kernel:0`, and an
                     `optimizer_weights` group (SGD with momentum: one slot per weight, the same size as the model).
  lstm-<MB>mb.keras  a Keras 3 zip with stored members metadata.json, config.json, model.weights.h5 in the Keras 3
                     layout (layers/lstm/cell/vars/0..2, layers/dense/vars/0..1, optimizer/vars/0..N).
  lstm-<MB>mb-latest.h5  (with --latest) the same legacy .h5 written with h5py's libver='latest' (superblock v3,
                     version 2 object headers): a layout the reader's metadata-only walk does not cover, so it reads
                     the whole file (its fallback path).
The model is Input(T, D) -> LSTM(M) -> Dense(K); M is chosen so the file is about the asked size.
Prints one JSON line per file: {"file", "bytes", "units", "features", "params", "layout"}.
"""

import json
import os
import sys
import zipfile

import h5py
import numpy as np

T, D, K = 30, 128, 1
MB = 1_000_000


def units_for(target_bytes: int) -> int:
    # Model and optimizer each hold 4 bytes per parameter: 8 * (4M(D+M+1) + M*K + K) ~= target.
    m = 1
    while 8 * (4 * (m + 1) * (D + m + 2) + (m + 1) * K + K) <= target_bytes:
        m += 1
    return m


def params_of(m: int) -> int:
    return 4 * m * (D + m + 1) + m * K + K


def weights(m: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    shapes = [(D, 4 * m), (m, 4 * m), (4 * m,), (m, K), (K,)]
    return [(rng.standard_normal(int(np.prod(s)), dtype=np.float32) * np.float32(0.05)).reshape(s) for s in shapes]


def initializer(name: str, **config) -> dict:
    return {"class_name": name, "config": config}


def keras2_config(m: int) -> dict:
    lstm = {
        "name": "lstm", "trainable": True, "dtype": "float32", "return_sequences": False, "return_state": False,
        "go_backwards": False, "stateful": False, "unroll": False, "time_major": False, "units": m,
        "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
        "kernel_initializer": initializer("GlorotUniform", seed=None),
        "recurrent_initializer": initializer("Orthogonal", gain=1.0, seed=None),
        "bias_initializer": initializer("Zeros"), "unit_forget_bias": True,
        "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
        "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
        "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 2,
    }
    dense = {
        "name": "dense", "trainable": True, "dtype": "float32", "units": K, "activation": "linear", "use_bias": True,
        "kernel_initializer": initializer("GlorotUniform", seed=None), "bias_initializer": initializer("Zeros"),
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None,
    }
    return {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, T, D], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "lstm_input"}},
        {"class_name": "LSTM", "config": lstm},
        {"class_name": "Dense", "config": dense},
    ]}}


KERAS2_TRAINING = {
    "loss": "mean_squared_error", "metrics": None, "weighted_metrics": None, "loss_weights": None,
    "optimizer_config": {"class_name": "SGD", "config": {
        "name": "SGD", "learning_rate": 0.009999999776482582, "decay": 0.0, "momentum": 0.8999999761581421,
        "nesterov": False}},
}


def write_keras2_h5(path: str, m: int, libver: str = "earliest") -> None:
    w = weights(m, seed=1)
    names = {
        "lstm": ["lstm/lstm_cell/kernel:0", "lstm/lstm_cell/recurrent_kernel:0", "lstm/lstm_cell/bias:0"],
        "dense": ["dense/kernel:0", "dense/bias:0"],
    }
    tmp = path + ".part"
    with h5py.File(tmp, "w", libver=libver) as f:
        # tf.keras stores the JSON as bytes (vlen ascii) and the version strings as str (vlen utf-8).
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = "2.9.0"
        f.attrs["model_config"] = json.dumps(keras2_config(m)).encode("utf8")
        f.attrs["training_config"] = json.dumps(KERAS2_TRAINING).encode("utf8")
        mw = f.create_group("model_weights")
        mw.attrs["backend"] = "tensorflow"
        mw.attrs["keras_version"] = "2.9.0"
        mw.attrs["layer_names"] = [b"lstm", b"dense"]
        values = {"lstm": w[:3], "dense": w[3:]}
        for layer in ["lstm", "dense"]:
            g = mw.create_group(layer)
            g.attrs["weight_names"] = [n.encode("utf8") for n in names[layer]]
            for name, v in zip(names[layer], values[layer]):
                g.create_dataset(name, v.shape, dtype=v.dtype)[()] = v
        mw.create_group("top_level_model_weights").attrs["weight_names"] = np.zeros((0,), dtype=np.float64)
        del w, values
        # SGD with momentum: iter plus one momentum slot per trainable weight, same shapes as the model.
        ow = f.create_group("optimizer_weights")
        slot_names = ["SGD/iter:0"] + [f"SGD/{n[:-2]}/momentum:0" for n in names["lstm"] + names["dense"]]
        ow.attrs["weight_names"] = [n.encode("utf8") for n in slot_names]
        ow.create_dataset("SGD/iter:0", (), dtype=np.int64)[()] = 120
        for name, v in zip(slot_names[1:], weights(m, seed=2)):
            ow.create_dataset(name, v.shape, dtype=v.dtype)[()] = v
    os.replace(tmp, path)


def dtype_policy() -> dict:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def k3_object(module: str, class_name: str, config: dict) -> dict:
    return {"module": module, "class_name": class_name, "config": config, "registered_name": None}


def keras3_config(m: int) -> dict:
    lstm = {
        "name": "lstm", "trainable": True, "dtype": dtype_policy(), "return_sequences": False,
        "return_state": False, "go_backwards": False, "stateful": False, "unroll": False,
        "zero_output_for_mask": False, "units": m, "activation": "tanh", "recurrent_activation": "sigmoid",
        "use_bias": True,
        "kernel_initializer": k3_object("keras.initializers", "GlorotUniform", {"seed": None}),
        "recurrent_initializer": k3_object("keras.initializers", "Orthogonal", {"seed": None, "gain": 1.0}),
        "bias_initializer": k3_object("keras.initializers", "Zeros", {}), "unit_forget_bias": True,
        "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None,
        "activity_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
        "bias_constraint": None, "dropout": 0.0, "recurrent_dropout": 0.0, "seed": None,
    }
    dense = {
        "name": "dense", "trainable": True, "dtype": dtype_policy(), "units": K, "activation": "linear",
        "use_bias": True, "kernel_initializer": k3_object("keras.initializers", "GlorotUniform", {"seed": None}),
        "bias_initializer": k3_object("keras.initializers", "Zeros", {}), "kernel_regularizer": None,
        "bias_regularizer": None, "kernel_constraint": None, "bias_constraint": None, "quantization_config": None,
    }
    layers = [
        k3_object("keras.layers", "InputLayer", {"batch_shape": [None, T, D], "dtype": "float32", "sparse": False,
                                                 "ragged": False, "name": "input_layer", "optional": False}),
        {**k3_object("keras.layers", "LSTM", lstm), "build_config": {"input_shape": [None, T, D]}},
        {**k3_object("keras.layers", "Dense", dense), "build_config": {"input_shape": [None, m]}},
    ]
    optimizer = k3_object("keras.optimizers", "SGD", {
        "name": "SGD", "learning_rate": 0.009999999776482582, "weight_decay": None, "clipnorm": None,
        "global_clipnorm": None, "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
        "ema_overwrite_frequency": None, "loss_scale_factor": None, "gradient_accumulation_steps": None,
        "momentum": 0.9, "nesterov": False})
    return {
        "module": "keras", "class_name": "Sequential",
        "config": {"name": "sequential", "trainable": True, "dtype": dtype_policy(), "layers": layers,
                   "build_input_shape": [None, T, D]},
        "registered_name": None, "build_config": {"input_shape": [None, T, D]},
        "compile_config": {"optimizer": optimizer, "loss": "mean_squared_error", "loss_weights": None,
                           "metrics": None, "weighted_metrics": None, "run_eagerly": False,
                           "steps_per_execution": 1, "jit_compile": False},
    }


def write_keras3_weights(path: str, m: int) -> None:
    w = weights(m, seed=3)
    with h5py.File(path, "w") as f:
        layers = f.create_group("layers")
        dense_vars = layers.create_group("dense").create_group("vars")
        dense_vars.attrs["name"] = "dense"
        for i, v in enumerate(w[3:]):
            dense_vars.create_dataset(str(i), data=v)
        lstm = layers.create_group("lstm")
        cell_vars = lstm.create_group("cell").create_group("vars")
        cell_vars.attrs["name"] = "lstm_cell"
        for i, v in enumerate(w[:3]):
            cell_vars.create_dataset(str(i), data=v)
        lstm.create_group("vars").attrs["name"] = "lstm"
        del w
        # Keras 3 SGD: iteration, learning_rate, then one momentum per trainable variable.
        opt_vars = f.create_group("optimizer").create_group("vars")
        opt_vars.attrs["name"] = "SGD"
        opt_vars.create_dataset("0", data=np.int64(120))
        opt_vars.create_dataset("1", data=np.float32(0.01))
        for i, v in enumerate(weights(m, seed=4)):
            opt_vars.create_dataset(str(i + 2), data=v)
        f.create_group("vars").attrs["name"] = "sequential"


def write_keras3_zip(path: str, m: int) -> None:
    h5_tmp = path + ".weights.part"
    zip_tmp = path + ".part"
    write_keras3_weights(h5_tmp, m)
    with zipfile.ZipFile(zip_tmp, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo("metadata.json"),
                   json.dumps({"keras_version": "3.14.1", "date_saved": "2026-06-04@12:23:23"}))
        z.writestr(zipfile.ZipInfo("config.json"), json.dumps(keras3_config(m)))
        z.write(h5_tmp, "model.weights.h5")
    os.remove(h5_tmp)
    os.replace(zip_tmp, path)


def main() -> None:
    args = sys.argv[1:]
    latest = []
    while "--latest" in args:
        i = args.index("--latest")
        latest.append(int(args[i + 1]))
        del args[i:i + 2]
    out = args[0]
    sizes = [int(s) for s in args[1:]] or ([] if latest else [5, 50, 500])
    os.makedirs(out, exist_ok=True)
    jobs = [(mb, ext, write, "earliest") for mb in sizes
            for ext, write in ((".h5", write_keras2_h5), (".keras", write_keras3_zip))]
    jobs += [(mb, "-latest.h5", lambda p, m: write_keras2_h5(p, m, libver="latest"), "latest") for mb in latest]
    for mb, ext, write, layout in jobs:
        m = units_for(mb * MB)
        path = os.path.join(out, f"lstm-{mb}mb{ext}")
        if not os.path.exists(path):
            write(path, m)
        print(json.dumps({"file": path, "bytes": os.path.getsize(path), "units": m, "features": D,
                          "params": params_of(m), "layout": layout}), flush=True)


if __name__ == "__main__":
    main()
