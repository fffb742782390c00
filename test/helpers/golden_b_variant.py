# Variants of golden model b for UI tests: its Keras 2.15 legacy .h5 layout (model_config, model_weights with
# layer_names and weight_names) written again with another config and other weights, so a test can have a model of
# any size that Keras itself would have saved this way. Imported by the scripts in test/ui/*.test.ts (PYTHONPATH).
import json

import h5py
import numpy


def read_b(src):
    """The config (as a dict), keras_version and backend of golden model b."""
    with h5py.File(src, "r") as b:
        return json.loads(b.attrs["model_config"]), b.attrs["keras_version"], b.attrs["backend"]


def write_like_b(dst, cfg, keras_version, backend, weights):
    """weights: {layer name: [(weight path, array)]}, written as float32 in that order."""
    with h5py.File(dst, "w") as f:
        f.attrs["backend"] = backend
        f.attrs["keras_version"] = keras_version
        f.attrs["model_config"] = json.dumps(cfg)
        mw = f.create_group("model_weights")
        mw.attrs["backend"] = backend
        mw.attrs["keras_version"] = keras_version
        mw.attrs["layer_names"] = numpy.array(list(weights), dtype=h5py.string_dtype())
        for layer, arrays in weights.items():
            g = mw.create_group(layer)
            g.attrs["weight_names"] = numpy.array([n for n, _ in arrays], dtype=h5py.string_dtype())
            for name, value in arrays:
                g.create_dataset(name, data=value.astype("float32"))
        mw.create_group("top_level_model_weights").attrs["weight_names"] = numpy.array([], dtype="float64")
