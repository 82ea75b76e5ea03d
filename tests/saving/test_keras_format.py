"""The .keras format inside layerwise: every layer type round-trips bit for bit, training resumes exactly."""

import inspect
import json
import os
import re
import warnings
import zipfile

import numpy as np
import pytest
from saving_helpers import config_of, data, members_of, tiny_model
from saving_layer_cases import CASES, MERGE_CASES, NOT_STANDALONE, build_merge, build_sequential, sample

import layerwise
from layerwise.layers import (
    convolutional,
    core,
    embedding,
    merging,
    normalization,
    pooling,
    recurrent,
    regularization,
    reshaping,
    rnn_cells,
    wrappers,
)
from layerwise.saving import registry
from layerwise.saving.model_config import config_to_json


def as_json(config):
    """A config as it reads back from JSON (tuples become lists)."""
    return json.loads(config_to_json(config))


def roundtrip(model, path):
    model.save(path)
    return layerwise.models.load_model(path)


def assert_same_predictions(a, b, x):
    for left, right in zip(_as_list(a.predict(x, verbose=0)), _as_list(b.predict(x, verbose=0))):
        np.testing.assert_array_equal(left, right)


def _as_list(value):
    if isinstance(value, dict):
        return [value[k] for k in sorted(value)]
    return value if isinstance(value, list) else [value]


def assert_same_optimizer_state(a, b):
    left, right = a.optimizer.variables, b.optimizer.variables
    assert len(left) == len(right)
    for x, y in zip(left, right):
        np.testing.assert_array_equal(x.numpy(), y.numpy())


def assert_same_weights(a, b):
    left, right = a.get_weights(), b.get_weights()
    assert len(left) == len(right)
    for x, y in zip(left, right):
        np.testing.assert_array_equal(x, y)


# ---------------------------------------------------------------------- every layer type


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_every_layer_type_round_trips_bit_identical(case, tmp_path):
    model = build_sequential(layerwise, case)
    loaded = roundtrip(model, tmp_path / "model.keras")
    assert type(loaded) is layerwise.Sequential
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert as_json(loaded.get_config()) == as_json(model.get_config())
    assert_same_weights(model, loaded)
    assert_same_predictions(model, loaded, sample(case[1], case[2]))


@pytest.mark.parametrize("name", MERGE_CASES)
def test_merging_layers_round_trip_bit_identical(name, tmp_path):
    model = build_merge(layerwise, name)
    loaded = roundtrip(model, tmp_path / "model.keras")
    assert_same_predictions(model, loaded, [sample((4,), "float32"), sample((4,), "float32", seed=1)])


def test_every_layer_class_has_a_round_trip_case():
    families = (convolutional, core, embedding, merging, normalization, pooling, recurrent, regularization,
                reshaping, rnn_cells, wrappers)
    classes = {cls.__name__ for cls in registry.builtin_objects("layers").values()
               if any(cls.__module__ == family.__name__ for family in families)}
    tested = {c[0] for c in CASES} | set(MERGE_CASES) | NOT_STANDALONE
    assert classes - tested == set()


def test_batch_normalization_statistics_survive_training(tmp_path):
    model = layerwise.Sequential([layerwise.Input((4,)), layerwise.layers.BatchNormalization()])
    model.compile("sgd", "mse")
    x, _ = data(16, 4)
    model.fit(x, x, epochs=2, verbose=0)
    loaded = roundtrip(model, tmp_path / "bn.keras")
    assert not np.allclose(loaded.layers[0].moving_mean.numpy(), 0.0)
    assert_same_weights(model, loaded)


# ---------------------------------------------------------------------- model kinds


def functional_model(lib=layerwise):
    L = lib.layers
    inner = lib.Sequential([lib.Input((5,)), L.Dense(5, name="inner_dense")], name="inner")
    side_in = lib.Input((5,), name="side_in")
    side = lib.Model(side_in, L.Dense(5, activation="tanh", name="side_dense")(side_in), name="side")
    a = lib.Input((6, 5), name="a")
    b = lib.Input((5,), name="b")
    x = L.Bidirectional(L.LSTM(3, return_sequences=True), name="bi")(a)
    x = L.TimeDistributed(L.Dense(2), name="td")(x)
    x = L.GRU(4, name="gru")(x)
    shared = L.Dense(4, name="shared")
    y1 = shared(inner(b))
    y2 = shared(side(b))
    y3 = side(y1[:, :0] if False else b)
    merged = L.Concatenate(name="merged")([x, y1, y2, y3])
    return lib.Model({"a": a, "b": b},
                     [L.Dense(1, name="out1")(merged), L.Dense(2, activation="softmax", name="out2")(merged), y3])


def functional_inputs():
    return {"a": sample((6, 5), "float32"), "b": sample((5,), "float32", seed=1)}


def test_functional_multi_io_shared_and_nested_models_round_trip(tmp_path):
    model = functional_model()
    loaded = roundtrip(model, tmp_path / "functional.keras")
    assert type(loaded) is layerwise.Functional
    assert as_json(loaded.get_config()) == as_json(model.get_config())
    assert_same_weights(model, loaded)
    assert_same_predictions(model, loaded, functional_inputs())
    shared = loaded.get_layer("shared")
    assert len([n for n in shared._inbound_nodes]) == 2  # still one layer called twice
    assert isinstance(loaded.get_layer("inner"), layerwise.Sequential)
    assert isinstance(loaded.get_layer("side"), layerwise.Functional)


def test_functional_config_names_inputs_and_outputs_as_keras_does():
    config = functional_model().get_config()
    assert config["input_layers"] == {"a": ["a", 0, 0], "b": ["b", 0, 0]}
    # A nested Functional model's node is counted from 1 here (Keras counts its own node), not in calls.
    assert config["output_layers"] == [["out1", 0, 0], ["out2", 0, 0], ["side", 2, 0]]
    calls = {layer["name"]: layer["inbound_nodes"] for layer in config["layers"]}
    history = [arg["config"]["keras_history"] for arg in calls["merged"][0]["args"][0]]
    assert history == [["gru", 0, 0], ["shared", 0, 0], ["shared", 1, 0], ["side", 1, 0]]
    assert calls["a"] == []


def test_functional_config_counts_only_this_models_calls():
    dense = layerwise.layers.Dense(2, name="reused")
    first_in = layerwise.Input((3,), name="first_in")
    layerwise.Model(first_in, dense(first_in))  # node 0 belongs to another model
    second_in = layerwise.Input((3,), name="second_in")
    second = layerwise.Model(second_in, dense(second_in))
    config = second.get_config()
    assert config["output_layers"] == ["reused", 0, 0]
    rebuilt = layerwise.Model.from_config(config)
    x = sample((3,), "float32")
    rebuilt.set_weights(second.get_weights())
    np.testing.assert_array_equal(rebuilt.predict(x, verbose=0), second.predict(x, verbose=0))


def test_keras2_functional_config_loads():
    config = {
        "name": "model", "layers": [
            {"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 3], "dtype": "float32", "sparse": False, "name": "input_1"}},
            {"class_name": "Dense", "name": "dense", "inbound_nodes": [[["input_1", 0, 0, {}]]],
             "config": {"name": "dense", "units": 2, "activation": "relu", "use_bias": True}},
            {"class_name": "Dense", "name": "dense_1", "inbound_nodes": [[["input_1", 0, 0, {}]]],
             "config": {"name": "dense_1", "units": 2}},
            {"class_name": "Add", "name": "add", "inbound_nodes": [[["dense", 0, 0, {}], ["dense_1", 0, 0, {}]]],
             "config": {"name": "add"}},
        ],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["add", 0, 0]],
    }
    model = layerwise.Model.from_config(config)
    assert [layer.name for layer in model.layers] == ["input_1", "dense", "dense_1", "add"]
    assert model.output_shape == [(None, 2)]  # outputs were listed, as Keras 2 always did


@layerwise.saving.register_serializable(package="SavingTests")
class TinySubclassed(layerwise.Model):
    """A registered subclassed model with a list of layers and a config argument."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.encoder = layerwise.layers.Dense(units, activation="relu")
        self.blocks = [layerwise.layers.Dense(units), layerwise.layers.BatchNormalization()]
        self.head = layerwise.layers.Dense(1)

    def call(self, inputs, training=None):
        x = self.encoder(inputs)
        for block in self.blocks:
            x = block(x, training=training)
        return self.head(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_registered_subclassed_model_round_trips(tmp_path):
    model = TinySubclassed(units=5)
    model.compile("adam", "mse")
    x, y = data(8, 4, 1)
    model.fit(x, y, epochs=1, verbose=0)
    loaded = roundtrip(model, tmp_path / "subclassed.keras")
    assert type(loaded) is TinySubclassed and loaded.units == 5
    assert config_of(tmp_path / "subclassed.keras")["registered_name"] == "SavingTests>TinySubclassed"
    assert_same_weights(model, loaded)
    assert_same_predictions(model, loaded, x)
    assert int(loaded.optimizer.iterations.numpy()) == 1


# ---------------------------------------------------------------------- compile and training state


def resumable_model():
    layerwise.utils.set_random_seed(7)
    model = layerwise.Sequential([
        layerwise.Input((4,)),
        layerwise.layers.Dense(8, activation="relu"),
        layerwise.layers.BatchNormalization(),
        layerwise.layers.Dense(2),
    ])
    model.compile(optimizer=layerwise.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    return model


def test_training_resumes_exactly_after_save_and_load(tmp_path):
    x, y = data(32, 4, 2)
    uninterrupted = resumable_model()
    uninterrupted.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)

    interrupted = resumable_model()
    interrupted.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    interrupted.save(tmp_path / "checkpoint.keras")
    resumed = layerwise.models.load_model(tmp_path / "checkpoint.keras")
    assert int(resumed.optimizer.iterations.numpy()) == 8
    resumed.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)

    assert_same_weights(uninterrupted, resumed)
    assert_same_optimizer_state(uninterrupted, resumed)


def test_compile_config_restores_loss_metrics_and_optimizer(tmp_path):
    model = tiny_model()
    model.compile(optimizer=layerwise.optimizers.SGD(learning_rate=0.05, momentum=0.5),
                  loss=layerwise.losses.Huber(delta=0.5), metrics=["mae", layerwise.metrics.RootMeanSquaredError()])
    x, y = data()
    model.fit(x, y, epochs=1, verbose=0)
    loaded = roundtrip(model, tmp_path / "compiled.keras")
    assert isinstance(loaded.optimizer, layerwise.optimizers.SGD)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert isinstance(loaded.loss, layerwise.losses.Huber) and loaded.loss.delta == 0.5
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    assert as_json(loaded.get_compile_config()) == as_json(model.get_compile_config())


def test_learning_rate_schedule_and_its_iteration_come_back(tmp_path):
    model = tiny_model()
    schedule = layerwise.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.9)
    model.compile(layerwise.optimizers.SGD(schedule, momentum=0.9), "mse")
    model.fit(*data(), epochs=2, batch_size=4, verbose=0)
    loaded = roundtrip(model, tmp_path / "schedule.keras")
    assert isinstance(loaded.optimizer._lr_schedule, layerwise.optimizers.schedules.ExponentialDecay)
    assert int(loaded.optimizer.iterations.numpy()) == 4
    assert_same_optimizer_state(model, loaded)


def test_mixed_precision_model_keeps_its_loss_scale_state(tmp_path):
    layerwise.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = tiny_model(compiled=True)
        model.fit(*data(), epochs=1, verbose=0)
        loaded = roundtrip(model, tmp_path / "mixed.keras")
    finally:
        layerwise.mixed_precision.set_global_policy("float32")
    assert isinstance(loaded.optimizer, layerwise.optimizers.LossScaleOptimizer)
    assert int(loaded.optimizer.inner_optimizer.iterations.numpy()) == 1
    assert_same_weights(model, loaded)
    assert_same_optimizer_state(model, loaded)


def test_compile_false_returns_an_uncompiled_model(tmp_path):
    model = tiny_model(compiled=True)
    model.fit(*data(), epochs=1, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = layerwise.models.load_model(tmp_path / "model.keras", compile=False)
    assert not loaded.compiled and loaded.optimizer is None
    assert_same_weights(model, loaded)


def test_uncompiled_model_has_an_empty_compile_config(tmp_path):
    model = tiny_model()
    assert model.get_compile_config() == {}
    model.save(tmp_path / "model.keras")
    assert config_of(tmp_path / "model.keras")["compile_config"] == {}
    assert not layerwise.models.load_model(tmp_path / "model.keras").compiled


def test_compiled_but_untrained_model_round_trips_quietly(tmp_path):
    model = tiny_model(compiled=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the unbuilt optimizer's scalars load without Keras's warning
        loaded = roundtrip(model, tmp_path / "fresh.keras")
    assert loaded.compiled
    assert [v.numpy().tolist() for v in loaded.optimizer.variables[:2]] == [0, np.float32(0.001).item()]
    loaded.fit(*data(), epochs=1, verbose=0)


# ---------------------------------------------------------------------- the file itself


def test_file_holds_exactly_what_keras_writes(tmp_path):
    model = tiny_model(compiled=True)
    model.fit(*data(), epochs=1, verbose=0)
    model.save(tmp_path / "model.keras")
    with zipfile.ZipFile(tmp_path / "model.keras") as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["metadata.json", "config.json", "model.weights.h5"]
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
    metadata = json.loads(members_of(tmp_path / "model.keras")["metadata.json"])
    assert metadata["keras_version"] == "3.15.1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d", metadata["date_saved"])
    config = config_of(tmp_path / "model.keras")
    assert {k: config[k] for k in ("module", "class_name", "registered_name")} == \
        {"module": "keras", "class_name": "Sequential", "registered_name": None}
    assert config["build_config"] == {"input_shape": [None, 4]}
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert config["compile_config"]["loss"] == "mse"


def test_saved_files_get_ordinary_permissions(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    tiny_model().save(tmp_path / "model.keras")
    tiny_model().save_weights(tmp_path / "model.weights.h5")
    for name in ("model.keras", "model.weights.h5"):
        assert os.stat(tmp_path / name).st_mode & 0o777 == 0o666 & ~umask
    os.chmod(tmp_path / "model.keras", 0o640)
    tiny_model().save(tmp_path / "model.keras")  # replacing a file keeps its permissions
    assert os.stat(tmp_path / "model.keras").st_mode & 0o777 == 0o640


def test_unbuilt_model_saves_with_a_warning_and_loads(tmp_path):
    model = layerwise.Sequential([layerwise.layers.Dense(2)])
    with pytest.warns(UserWarning, match="You are saving a model that has not yet been built"):
        model.save(tmp_path / "unbuilt.keras")
    loaded = layerwise.models.load_model(tmp_path / "unbuilt.keras")
    assert not loaded.built
    loaded.build((None, 3))
    assert loaded.count_params() == 8


def test_a_failed_save_leaves_no_file_behind(tmp_path, monkeypatch):
    from layerwise.saving import keras_file

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(keras_file, "write_weights", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        tiny_model().save(tmp_path / "model.keras")
    assert os.listdir(tmp_path) == []


def test_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    from layerwise.saving import archive

    first = tiny_model()
    first.save(tmp_path / "model.keras")
    before = (tmp_path / "model.keras").read_bytes()

    def broken(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(archive.zipfile.ZipFile, "writestr", broken)
    with pytest.raises(KeyboardInterrupt):
        tiny_model().save(tmp_path / "model.keras")
    assert (tmp_path / "model.keras").read_bytes() == before
    assert os.listdir(tmp_path) == ["model.keras"]


# ---------------------------------------------------------------------- directories (model.save('name'))


def test_save_without_extension_writes_a_directory_and_says_so(tmp_path, capsys):
    model = tiny_model(compiled=True)
    target = tmp_path / "my_model"
    model.save(target)
    assert capsys.readouterr().out == (
        f"Saved the model to the directory '{target}' (config.json, metadata.json and model.weights.h5: "
        f"Keras 3's format, unzipped). Load it with layerwise.models.load_model('{target}') (Keras reads it "
        "too); save to 'my_model.keras' for a single file.\n"
    )
    assert sorted(os.listdir(target)) == ["config.json", "metadata.json", "model.weights.h5"]
    loaded = layerwise.models.load_model(target)
    assert loaded.compiled
    assert_same_predictions(model, loaded, data()[0])


def test_saving_a_directory_again_replaces_it(tmp_path, capsys):
    target = tmp_path / "my_model"
    tiny_model().save(target)
    second = tiny_model()
    second.save(target)
    assert_same_weights(second, layerwise.models.load_model(target))
    assert sorted(os.listdir(tmp_path)) == ["my_model"]


def test_a_directory_with_other_files_is_never_replaced(tmp_path):
    target = tmp_path / "results"
    target.mkdir()
    (target / "notes.txt").write_text("precious")
    with pytest.raises(FileExistsError, match="^" + re.escape(
            f"'{target}' is an existing directory that holds other files (notes.txt); layerwise will not "
            "replace it with a model. Choose another name (e.g. 'model.keras'), or remove the directory "
            "first.") + "$"):
        tiny_model().save(target)
    assert (target / "notes.txt").read_text() == "precious"


def test_zipped_false_writes_a_directory_and_zipped_true_needs_the_extension(tmp_path, capsys):
    tiny_model().save(tmp_path / "dir_model", zipped=False)
    assert os.path.isdir(tmp_path / "dir_model")
    with pytest.raises(ValueError, match=re.escape(
            "When using `zipped=False`, the `filepath` argument should not end in `.keras`.")):
        tiny_model().save(tmp_path / "x.keras", zipped=False)
    with pytest.raises(ValueError, match=re.escape(
            "Invalid filepath extension for saving. Please add either a `.keras` extension for the native "
            f"Keras format (recommended) or a `.h5` extension. Received: filepath={tmp_path / 'x'}.")):
        tiny_model().save(tmp_path / "x", zipped=True)


# ---------------------------------------------------------------------- overwrite


def test_overwrite_false_asks_before_replacing(tmp_path, monkeypatch, capsys):
    path = tmp_path / "model.keras"
    first = tiny_model()
    first.save(path)
    answers = iter(["maybe", "n"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    tiny_model().save(path, overwrite=False)
    assert_same_weights(first, layerwise.models.load_model(path))

    monkeypatch.setattr("builtins.input", lambda prompt="": "y")
    second = tiny_model()
    second.save(path, overwrite=False)
    assert_same_weights(second, layerwise.models.load_model(path))
    assert "[TIP] Next time specify overwrite=True!" in capsys.readouterr().out


def test_overwrite_false_without_a_terminal_raises(tmp_path):
    path = tmp_path / "model.keras"
    tiny_model().save(path)
    with pytest.raises(FileExistsError, match="^" + re.escape(
            f"'{path}' already exists and overwrite=False, and there is no terminal to ask whether to "
            "replace it. Pass overwrite=True to replace it, or choose another path.") + "$"):
        tiny_model().save(path, overwrite=False)


# ---------------------------------------------------------------------- JSON


def test_to_json_and_model_from_json_round_trip():
    model = functional_model()
    text = model.to_json(indent=2)
    assert json.loads(text)["class_name"] == "Functional"
    rebuilt = layerwise.models.model_from_json(text)
    assert as_json(rebuilt.get_config()) == as_json(model.get_config())
    rebuilt.set_weights(model.get_weights())
    assert_same_predictions(model, rebuilt, functional_inputs())


def test_model_from_json_compiles_a_compiled_models_json():
    model = tiny_model(compiled=True)
    rebuilt = layerwise.models.model_from_json(model.to_json())
    assert rebuilt.compiled and isinstance(rebuilt.optimizer, layerwise.optimizers.Adam)


def test_model_from_json_with_custom_objects():
    class Scale(layerwise.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return self.factor * x

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    model = layerwise.Sequential([layerwise.Input((2,)), Scale(3.0, name="scale")])
    rebuilt = layerwise.models.model_from_json(model.to_json(), custom_objects={"Scale": Scale})
    np.testing.assert_array_equal(rebuilt.predict(np.ones((1, 2)), verbose=0), [[3.0, 3.0]])


def test_keras2_json_loads():
    text = json.dumps({
        "class_name": "Sequential", "keras_version": "2.13.1", "backend": "tensorflow",
        "config": {"name": "sequential", "layers": [
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 89], "dtype": "float32",
                                                    "sparse": False, "ragged": False, "name": "dense_input"}},
            {"class_name": "Dense", "config": {"name": "dense", "trainable": True, "dtype": "float32",
                                               "units": 100, "activation": "relu", "use_bias": True,
                                               "kernel_initializer": {"class_name": "GlorotUniform",
                                                                      "config": {"seed": None}},
                                               "bias_initializer": {"class_name": "Zeros", "config": {}}}},
            {"class_name": "Dense", "config": {"name": "dense_1", "units": 1}},
        ]},
    })
    model = layerwise.models.model_from_json(text)
    assert model.count_params() == 89 * 100 + 100 + 101


def test_model_from_json_refuses_what_is_not_a_model():
    with pytest.raises(layerwise.saving.UnsafeFileError, match="^" + re.escape(
            "Refused the JSON string: its config is a JSON list, not an object describing a model.") + "$"):
        layerwise.models.model_from_json("[]")


# ---------------------------------------------------------------------- API shape


def test_api_names_are_exported_where_keras_has_them():
    assert layerwise.models.load_model is layerwise.saving.load_model
    assert layerwise.models.save_model is layerwise.saving.save_model
    assert callable(layerwise.models.model_from_json) and callable(layerwise.models.clone_model)
    assert callable(layerwise.saving.load_weights) and callable(layerwise.saving.save_weights)
    assert list(inspect.signature(layerwise.models.load_model).parameters) == \
        ["filepath", "custom_objects", "compile", "safe_mode"]
