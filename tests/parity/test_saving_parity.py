"""Files move between layerwise and real Keras 3 (torch backend) in both directions.

A model saved by Keras (.keras, unzipped directory, .weights.h5, JSON) loads
in layerwise with equal predictions, and the other way round; both libraries
write the same HDF5 tree (paths, shapes, dtypes), optimizer state included,
so training resumed in one continues what the other started.
"""

import importlib.util
import inspect
import json
import sys
from pathlib import Path

import h5py
import keras
import numpy as np
import pytest

import layerwise


def _load_helper(name):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] / "saving" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


cases = _load_helper("saving_layer_cases")
CASES, MERGE_CASES = cases.CASES, cases.MERGE_CASES
build_sequential, build_merge, sample = cases.build_sequential, cases.build_merge, cases.sample

TOLERANCE = 1e-5


def _outputs(model, x):
    out = model.predict(x, verbose=0)
    if isinstance(out, dict):
        return [np.asarray(out[k]) for k in sorted(out)]
    return [np.asarray(o) for o in out] if isinstance(out, list) else [np.asarray(out)]


def assert_same_predictions(a, b, x, tol=TOLERANCE):
    left_outputs, right_outputs = _outputs(a, x), _outputs(b, x)
    assert len(left_outputs) == len(right_outputs)
    for left, right in zip(left_outputs, right_outputs):
        np.testing.assert_allclose(left, right, rtol=tol, atol=tol)


def h5_tree(path):
    found = []
    with h5py.File(path) as h5:
        h5.visititems(lambda name, item: found.append(
            (name, getattr(item, "shape", None), str(getattr(item, "dtype", "")))))
    return found


# ---------------------------------------------------------------------- every layer type, both ways


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_keras_files_load_in_layerwise_and_back(case, tmp_path):
    x = sample(case[1], case[2])
    theirs = build_sequential(keras, case)
    theirs.save(tmp_path / "keras.keras")
    ours = layerwise.models.load_model(tmp_path / "keras.keras")
    assert_same_predictions(theirs, ours, x)

    mine = build_sequential(layerwise, case)
    mine.save(tmp_path / "layerwise.keras")
    reloaded = keras.saving.load_model(tmp_path / "layerwise.keras")
    assert_same_predictions(mine, reloaded, x)


@pytest.mark.parametrize("name", MERGE_CASES)
def test_merging_layers_move_both_ways(name, tmp_path):
    x = [sample((4,), "float32"), sample((4,), "float32", seed=1)]
    theirs = build_merge(keras, name)
    theirs.save(tmp_path / "keras.keras")
    assert_same_predictions(theirs, layerwise.models.load_model(tmp_path / "keras.keras"), x)
    mine = build_merge(layerwise, name)
    mine.save(tmp_path / "layerwise.keras")
    assert_same_predictions(mine, keras.saving.load_model(tmp_path / "layerwise.keras"), x)


COURSE_CASES = ["Dense", "BatchNormalization", "Conv2D", "MaxPooling2D", "LSTM", "GRU",
                "Bidirectional", "Embedding", "TimeDistributed"]


@pytest.mark.parametrize("name", COURSE_CASES)
def test_weights_files_have_keras_layout_and_move_both_ways(name, tmp_path):
    case = next(c for c in CASES if c[0] == name)
    x = sample(case[1], case[2], batch=8)
    theirs, ours = build_sequential(keras, case), build_sequential(layerwise, case)
    y = np.asarray(theirs.predict(x, verbose=0))
    for model in (theirs, ours):
        model.compile(optimizer="adam", loss="mse")
        model.fit(x, y + 1.0, epochs=1, verbose=0)
    theirs.save_weights(tmp_path / "keras.weights.h5")
    ours.save_weights(tmp_path / "layerwise.weights.h5")
    assert h5_tree(tmp_path / "layerwise.weights.h5") == h5_tree(tmp_path / "keras.weights.h5")

    fresh = build_sequential(keras, case)
    fresh.load_weights(tmp_path / "layerwise.weights.h5")
    assert_same_predictions(ours, fresh, x)
    ours.load_weights(tmp_path / "keras.weights.h5")
    assert_same_predictions(theirs, ours, x)


# ---------------------------------------------------------------------- model kinds


def functional_model(lib):
    L = lib.layers
    inner = lib.Sequential([lib.Input((5,)), L.Dense(5, name="inner_dense")], name="inner")
    side_in = lib.Input((5,), name="side_in")
    side = lib.Model(side_in, L.Dense(5, activation="tanh", name="side_dense")(side_in), name="side")
    a = lib.Input((6, 5), name="a")
    b = lib.Input((5,), name="b")
    x = L.Bidirectional(L.LSTM(3, return_sequences=True), name="bi")(a)
    x = L.TimeDistributed(L.Dense(2), name="td")(x)
    x = L.GRU(4, name="gru")(x)
    x = L.Dropout(0.3, name="drop")(x)
    shared = L.Dense(4, name="shared")
    y1 = shared(inner(b))
    y2 = shared(side(b))
    y3 = side(b)
    merged = L.Concatenate(name="merged")([x, y1, y2, y3])
    return lib.Model({"a": a, "b": b},
                     [L.Dense(1, name="out1")(merged), L.Dense(2, activation="softmax", name="out2")(merged), y3],
                     name="towers")


def functional_inputs():
    return {"a": sample((6, 5), "float32"), "b": sample((5,), "float32", seed=1)}


def test_functional_multi_io_shared_and_nested_models_move_both_ways(tmp_path):
    theirs, ours = functional_model(keras), functional_model(layerwise)
    their_config, our_config = theirs.get_config(), json.loads(ours.to_json())["config"]
    assert our_config["input_layers"] == their_config["input_layers"]
    assert our_config["output_layers"] == [list(t) for t in their_config["output_layers"]]
    assert [(l["name"], l["class_name"]) for l in our_config["layers"]] == \
        [(l["name"], l["class_name"]) for l in their_config["layers"]]
    # The same calls on the same tensors (keyword arguments differ: Keras also records the
    # training/mask values it filled in, layerwise what the call was given).
    assert [[n["args"] for n in l["inbound_nodes"]] for l in our_config["layers"]] == \
        json.loads(json.dumps([[n["args"] for n in l["inbound_nodes"]] for l in their_config["layers"]]))

    theirs.save(tmp_path / "keras.keras")
    assert_same_predictions(theirs, layerwise.models.load_model(tmp_path / "keras.keras"), functional_inputs())
    ours.save(tmp_path / "layerwise.keras")
    assert_same_predictions(ours, keras.saving.load_model(tmp_path / "layerwise.keras"), functional_inputs())
    ours.save_weights(tmp_path / "layerwise.weights.h5")
    theirs.save_weights(tmp_path / "keras.weights.h5")
    assert [p for p, _, _ in h5_tree(tmp_path / "layerwise.weights.h5") if p != "vars"] == \
        [p for p, _, _ in h5_tree(tmp_path / "keras.weights.h5") if p != "vars"]


def _subclassed(lib):
    @lib.saving.register_keras_serializable(package="ParityTests", name="Tower")
    class Tower(lib.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.body = lib.layers.Dense(units, activation="relu")
            self.blocks = [lib.layers.Dense(units), lib.layers.Dense(1)]

        def call(self, inputs):
            x = self.body(inputs)
            for block in self.blocks:
                x = block(x)
            return x

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return Tower


def test_registered_subclassed_models_move_both_ways(tmp_path):
    x = sample((4,), "float32")
    their_class, our_class = _subclassed(keras), _subclassed(layerwise)  # each process registers its own
    theirs = their_class(units=5)
    theirs(x)
    theirs.save(tmp_path / "keras.keras")
    ours = layerwise.models.load_model(tmp_path / "keras.keras")
    assert ours.units == 5
    assert_same_predictions(theirs, ours, x)

    mine = our_class(units=4)
    mine(x)
    mine.save(tmp_path / "layerwise.keras")
    reloaded = keras.saving.load_model(tmp_path / "layerwise.keras")
    assert reloaded.units == 4
    assert_same_predictions(mine, reloaded, x)


# ---------------------------------------------------------------------- training state, JSON, directories


def _trainable(lib):
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(6, activation="relu"),
                           lib.layers.BatchNormalization(), lib.layers.Dense(2)])


def test_training_started_in_keras_resumes_in_layerwise(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = rng.normal(size=(32, 2)).astype("float32")
    theirs = _trainable(keras)
    theirs.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    theirs.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    theirs.save(tmp_path / "checkpoint.keras")

    ours = layerwise.models.load_model(tmp_path / "checkpoint.keras")
    assert int(ours.optimizer.iterations.numpy()) == 8
    assert len(ours.optimizer.variables) == len(theirs.optimizer.variables)
    for mine, their in zip(ours.optimizer.variables, theirs.optimizer.variables):
        np.testing.assert_array_equal(mine.numpy(), keras.ops.convert_to_numpy(their))
    theirs.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    ours.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert len(ours.get_weights()) == len(theirs.get_weights())
    for mine, their in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, their, rtol=1e-4, atol=1e-5)

    ours.save(tmp_path / "back.keras")
    again = keras.saving.load_model(tmp_path / "back.keras")
    assert int(keras.ops.convert_to_numpy(again.optimizer.iterations)) == 12


def test_json_moves_both_ways():
    theirs, ours = functional_model(keras), functional_model(layerwise)
    rebuilt = layerwise.models.model_from_json(theirs.to_json())
    rebuilt.set_weights(theirs.get_weights())
    assert_same_predictions(theirs, rebuilt, functional_inputs())
    back = keras.models.model_from_json(ours.to_json())
    back.set_weights(ours.get_weights())
    assert_same_predictions(ours, back, functional_inputs())


def test_model_directories_move_both_ways(tmp_path, capsys):
    x = sample((4,), "float32")
    ours = _trainable(layerwise)
    ours.save(tmp_path / "my_model")
    assert_same_predictions(ours, keras.saving.load_model(tmp_path / "my_model"), x)
    theirs = _trainable(keras)
    theirs.save(tmp_path / "their_model", zipped=False)
    assert_same_predictions(theirs, layerwise.models.load_model(tmp_path / "their_model"), x)


def test_metadata_has_kerass_keys(tmp_path):
    import zipfile

    _trainable(keras).save(tmp_path / "keras.keras")
    _trainable(layerwise).save(tmp_path / "layerwise.keras")
    metadata = {}
    for name in ("keras", "layerwise"):
        with zipfile.ZipFile(tmp_path / f"{name}.keras") as archive:
            metadata[name] = json.loads(archive.read("metadata.json"))
            assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
    assert set(metadata["keras"]) <= set(metadata["layerwise"])
    assert metadata["layerwise"]["keras_version"] == keras.__version__


def test_clone_model_matches_keras():
    theirs, ours = functional_model(keras), functional_model(layerwise)
    their_clone, our_clone = keras.models.clone_model(theirs), layerwise.models.clone_model(ours)
    assert [(l.name, type(l).__name__) for l in our_clone.layers] == \
        [(l.name, type(l).__name__) for l in their_clone.layers]
    assert json.loads(our_clone.to_json())["config"]["output_layers"] == \
        json.loads(their_clone.to_json())["config"]["output_layers"]


# ---------------------------------------------------------------------- the API's shape


def _parameters(function):
    return [(p.name, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("ours,theirs", [
    (layerwise.models.load_model, keras.models.load_model),
    (layerwise.models.save_model, keras.models.save_model),
    (layerwise.models.model_from_json, keras.models.model_from_json),
    (layerwise.models.clone_model, keras.models.clone_model),
    (layerwise.saving.save_weights, keras.saving.save_weights),
    (layerwise.saving.load_weights, keras.saving.load_weights),
    (layerwise.Model.save, keras.Model.save),
    (layerwise.Model.save_weights, keras.Model.save_weights),
    (layerwise.Model.load_weights, keras.Model.load_weights),
    (layerwise.Model.to_json, keras.Model.to_json),
    (layerwise.Model.get_compile_config, keras.Model.get_compile_config),
    (layerwise.Model.compile_from_config, keras.Model.compile_from_config),
    (layerwise.Model.build_from_config, keras.Model.build_from_config),
], ids=lambda f: getattr(f, "__qualname__", str(f)))
def test_signatures_match_keras(ours, theirs):
    assert _parameters(ours) == _parameters(theirs)
