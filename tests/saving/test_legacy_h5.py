"""Legacy HDF5 files (Keras 2's ``model.h5`` and ``.h5`` weights): round trips, Keras 2 files, refusals."""

import json
import os
import re
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

import layerwise
from layerwise.saving import legacy_h5
from layerwise.saving.safety import UnsafeFileError

L = layerwise.layers
DATA = Path(__file__).parent / "data" / "legacy_h5"


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _randomize(model, seed=1):
    """Random weights (positive moving variances), so that a round trip is a real check."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") if "moving_variance" in v.path
                       else rng.uniform(-0.5, 0.5, w.shape).astype("float32")
                       for v, w in zip(model.weights, model.get_weights())])
    return model


def _build(kind):
    """A tiny model of each family, with inputs for it."""
    if kind == "dense_batchnorm_dropout":
        model = layerwise.Sequential([layerwise.Input((4,)), L.Dense(5, activation="relu"),
                                      L.BatchNormalization(), L.Dropout(0.3), L.Dense(3, activation="softmax")])
        return model, _x(6, 4)
    if kind == "conv_pool":
        model = layerwise.Sequential([layerwise.Input((8, 8, 2)), L.Conv2D(3, 3, padding="same", activation="relu"),
                                      L.MaxPooling2D(), L.Conv2D(2, 2), L.AveragePooling2D(2),
                                      L.Flatten(), L.Dense(2)])
        return model, _x(3, 8, 8, 2)
    if kind == "recurrent":
        model = layerwise.Sequential([layerwise.Input((5, 3)), L.SimpleRNN(4, return_sequences=True),
                                      L.GRU(3, return_sequences=True), L.LSTM(2), L.Dense(1)])
        return model, _x(2, 5, 3)
    if kind == "embedding_bidirectional":
        tokens = layerwise.Input((6,), dtype="int32", name="tokens")
        embedded = L.Embedding(20, 4)(tokens)
        sequence = L.Bidirectional(L.LSTM(3, return_sequences=True))(embedded)
        merged = L.Concatenate()([L.GRU(2)(sequence), L.GlobalAveragePooling1D()(embedded)])
        model = layerwise.Model(tokens, L.Dense(1, activation="sigmoid")(merged))
        return model, np.random.default_rng(0).integers(0, 20, (4, 6)).astype("int32")
    if kind == "wrappers_normalization":
        model = layerwise.Sequential([layerwise.Input((5, 3)), L.TimeDistributed(L.Dense(4)),
                                      L.LayerNormalization(), L.Conv1D(2, 2), L.GlobalMaxPooling1D(),
                                      L.Dense(1)])
        return model, _x(2, 5, 3)
    if kind == "multi_io_shared":
        a, b = layerwise.Input((3,), name="a"), layerwise.Input((3,), name="b")
        shared = L.Dense(4, activation="tanh", name="shared")
        total = L.Add()([shared(a), shared(b)])
        first = L.Dense(2, name="first")(L.Subtract()([total, shared(a)]))
        second = L.Dense(1, name="second")(L.Average()([L.Multiply()([total, shared(b)]), total]))
        return layerwise.Model([a, b], [first, second]), [_x(5, 3), _x(5, 3, seed=1)]
    if kind == "nested":
        inner_sequential = layerwise.Sequential([layerwise.Input((3,)), L.Dense(4, activation="relu"),
                                                 L.BatchNormalization()], name="inner_sequential")
        inner_in = layerwise.Input((4,))
        inner_functional = layerwise.Model(inner_in, L.Dense(2)(inner_in), name="inner_functional")
        inputs = layerwise.Input((3,))
        hidden = inner_sequential(inputs)
        outputs = L.Maximum()([inner_functional(hidden), L.Dense(2)(inputs)])
        return layerwise.Model(inputs, outputs), _x(5, 3)
    raise AssertionError(kind)


KINDS = ["dense_batchnorm_dropout", "conv_pool", "recurrent", "embedding_bidirectional",
         "wrappers_normalization", "multi_io_shared", "nested"]


def _outputs(model, x):
    out = model.predict(x, verbose=0)
    return out if isinstance(out, list) else [out]


# ---------------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("kind", KINDS)
def test_model_round_trip_is_bit_identical(tmp_path, kind):
    model, x = _build(kind)
    _randomize(model)
    path = tmp_path / "model.h5"
    model.save(path)
    loaded = layerwise.models.load_model(path)
    assert type(loaded) is type(model)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    for ours, theirs in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    for ours, theirs in zip(_outputs(loaded, x), _outputs(model, x)):
        np.testing.assert_array_equal(ours, theirs)


def test_nested_models_keep_their_classes(tmp_path):
    model, _ = _build("nested")
    model.save(tmp_path / "nested.h5")
    loaded = legacy_h5.load_model_from_hdf5(tmp_path / "nested.h5")
    assert isinstance(loaded.get_layer("inner_sequential"), layerwise.Sequential)
    assert isinstance(loaded.get_layer("inner_functional"), layerwise.Functional)


def test_training_resumes_where_it_stopped(tmp_path):
    x, y = _x(16, 4), _x(16, 1, seed=3)
    model = layerwise.Sequential([layerwise.Input((4,)), L.Dense(3, activation="relu"),
                                  L.BatchNormalization(), L.Dense(1)])
    model.compile(optimizer=layerwise.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    model.save(tmp_path / "trained.h5")
    loaded = layerwise.models.load_model(tmp_path / "trained.h5")
    assert int(loaded.optimizer.iterations) == 4
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.01)
    for ours, theirs in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    history = loaded.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    expected = model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert history.history == expected.history
    for ours, theirs in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(ours, theirs)


def test_include_optimizer_false_and_compile_false(tmp_path):
    model, _ = _build("dense_batchnorm_dropout")
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.save(tmp_path / "bare.h5", include_optimizer=False)
    with h5py.File(tmp_path / "bare.h5") as h5:
        assert "training_config" not in h5.attrs and "optimizer_weights" not in h5
    assert not layerwise.models.load_model(tmp_path / "bare.h5").compiled
    model.save(tmp_path / "full.h5")
    assert not layerwise.models.load_model(tmp_path / "full.h5", compile=False).compiled
    assert layerwise.models.load_model(tmp_path / "full.h5").compiled


def test_dtype_policies_are_written_by_name(tmp_path):
    model = layerwise.Sequential([layerwise.Input((4,)), L.Dense(3, dtype="mixed_bfloat16"),
                                  L.Dense(1, dtype="float64")])
    model.save(tmp_path / "policies.h5")
    with h5py.File(tmp_path / "policies.h5") as h5:
        layers = json.loads(h5.attrs["model_config"])["config"]["layers"]
    assert [entry["config"]["dtype"] for entry in layers] == ["float32", "mixed_bfloat16", "float64"]
    loaded = layerwise.models.load_model(tmp_path / "policies.h5")
    assert [layer.dtype_policy.name for layer in loaded.layers] == ["mixed_bfloat16", "float64"]
    assert loaded.layers[1].kernel.dtype == torch.float64


def test_registered_custom_layer_round_trip(tmp_path):
    @layerwise.saving.register_serializable(package="LegacyTests")
    class Scale(L.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, x):
            return x * self.w * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    model = _randomize(layerwise.Sequential([layerwise.Input((3,)), Scale(3.0), L.Dense(2)]))
    model.save(tmp_path / "custom.h5")
    with h5py.File(tmp_path / "custom.h5") as h5:
        entry = json.loads(h5.attrs["model_config"])["config"]["layers"][1]
    assert entry["class_name"] == "LegacyTests>Scale"
    loaded = layerwise.models.load_model(tmp_path / "custom.h5")
    assert isinstance(loaded.layers[0], Scale) and loaded.layers[0].factor == 3.0
    np.testing.assert_array_equal(loaded.predict(_x(2, 3), verbose=0), model.predict(_x(2, 3), verbose=0))


def test_unbuilt_sequential_saves_its_architecture(tmp_path):
    model = layerwise.Sequential([L.Dense(2, name="only")])
    with pytest.warns(UserWarning, match="You are saving a model that has not yet been built"):
        model.save(tmp_path / "unbuilt.h5")
    loaded = layerwise.models.load_model(tmp_path / "unbuilt.h5")
    assert [layer.name for layer in loaded.layers] == ["only"] and not loaded.built


def test_subclassed_model_cannot_be_saved_as_h5(tmp_path):
    class Tiny(layerwise.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Tiny()
    model(_x(2, 3))
    with pytest.raises(NotImplementedError, match=re.escape(
            f"Model '{model.name}' is a subclassed model (Tiny): the legacy HDF5 format stores only Sequential "
            "and Functional models, whose architecture is a config. Save it with model.save('name.keras') "
            "(after registering the class with @layerwise.saving.register_serializable()) or save its weights "
            "with model.save_weights('name.weights.h5').") + "$"):
        legacy_h5.save_model_to_hdf5(model, tmp_path / "tiny.h5")
    assert not (tmp_path / "tiny.h5").exists()
    # Its weights do go into a legacy weights file.
    model.save_weights(tmp_path / "tiny_weights.h5")
    other = Tiny()
    other(_x(2, 3))
    other.load_weights(tmp_path / "tiny_weights.h5")
    np.testing.assert_array_equal(other.predict(_x(2, 3), verbose=0), model.predict(_x(2, 3), verbose=0))


def test_overwrite_false_asks_first(tmp_path, monkeypatch):
    model, _ = _build("dense_batchnorm_dropout")
    path = tmp_path / "model.h5"
    path.write_bytes(b"old")
    answers = iter(["maybe", "n"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    legacy_h5.save_model_to_hdf5(model, path, overwrite=False)
    assert path.read_bytes() == b"old"
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    legacy_h5.save_model_to_hdf5(model, path, overwrite=False)
    assert h5py.is_hdf5(path)


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    model, _ = _build("dense_batchnorm_dropout")
    path = tmp_path / "model.h5"
    path.write_bytes(b"previous model")

    def fail(group, model):
        raise RuntimeError("disk full")

    monkeypatch.setattr(legacy_h5, "_write_weights", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        legacy_h5.save_model_to_hdf5(model, path)
    assert path.read_bytes() == b"previous model"
    assert os.listdir(tmp_path) == ["model.h5"]


# ---------------------------------------------------------------------------------------- the file layout


def test_file_layout_is_keras2s(tmp_path):
    model, _ = _build("embedding_bidirectional")
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(np.zeros((2, 6), "int32"), np.zeros((2, 1), "float32"), verbose=0)
    model.save(tmp_path / "model.h5")
    with h5py.File(tmp_path / "model.h5") as h5:
        assert h5.attrs["keras_version"] in (b"3.15.1", "3.15.1")
        assert h5.attrs["backend"] in (b"torch", "torch")
        group = h5["model_weights"]
        assert [n.decode() for n in group.attrs["layer_names"]] == [layer.name for layer in model.layers]
        names = {n: [w.decode() for w in group[n].attrs["weight_names"]] for n in ("embedding", "bidirectional",
                                                                                 "gru", "dense")}
        assert names == {
            "embedding": ["embedding/embeddings:0"],
            "bidirectional": [f"bidirectional/forward_lstm/lstm_cell/{w}:0"
                              for w in ("kernel", "recurrent_kernel", "bias")]
                             + [f"bidirectional/backward_lstm/lstm_cell/{w}:0"
                                for w in ("kernel", "recurrent_kernel", "bias")],
            "gru": ["gru/gru_cell/kernel:0", "gru/gru_cell/recurrent_kernel:0", "gru/gru_cell/bias:0"],
            "dense": ["dense/kernel:0", "dense/bias:0"],
        }
        assert group["gru/gru/gru_cell/bias:0"].shape == (2, 6)
        assert list(group["tokens"].attrs["weight_names"]) == []
        training = json.loads(h5.attrs["training_config"])
        optimizer_names = [n.decode() for n in h5["optimizer_weights"].attrs["weight_names"]]
    assert training["loss"] == "binary_crossentropy" and training["metrics"] == ["accuracy"]
    assert training["optimizer_config"]["class_name"] == "Adam"
    assert "weight_decay" not in training["optimizer_config"]["config"]  # Keras 2's Adam has none
    assert optimizer_names[:4] == ["adam/iteration", "adam/learning_rate", "adam/embedding_embeddings_momentum",
                                   "adam/embedding_embeddings_velocity"]


def test_batchnormalization_weights_are_its_four(tmp_path):
    model = layerwise.Sequential([layerwise.Input((3,)), L.BatchNormalization()])
    model.save_weights(tmp_path / "bn.h5")
    with h5py.File(tmp_path / "bn.h5") as h5:
        assert [n.decode() for n in h5["batch_normalization"].attrs["weight_names"]] == [
            "batch_normalization/gamma:0", "batch_normalization/beta:0",
            "batch_normalization/moving_mean:0", "batch_normalization/moving_variance:0"]
        assert "model_config" not in h5.attrs and "layer_names" in h5.attrs


def test_model_config_is_written_in_keras2s_form(tmp_path):
    model, _ = _build("embedding_bidirectional")
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "model.h5")
    with h5py.File(tmp_path / "model.h5") as h5:
        config = json.loads(h5.attrs["model_config"])
        training = json.loads(h5.attrs["training_config"])
    assert config["class_name"] == "Functional"
    layers = {entry["name"]: entry for entry in config["config"]["layers"]}
    assert set(layers["dense"]) == {"class_name", "config", "name", "inbound_nodes"}
    assert layers["tokens"]["config"] == {"batch_input_shape": [None, 6], "dtype": "int32", "sparse": False,
                                          "ragged": False, "name": "tokens"}
    assert layers["concatenate"]["inbound_nodes"] == [[["gru", 0, 0, {}], ["global_average_pooling1d", 0, 0, {}]]]
    assert config["config"]["input_layers"] == [["tokens", 0, 0]]
    assert config["config"]["output_layers"] == [["dense", 0, 0]]
    dense = layers["dense"]["config"]
    assert dense["dtype"] == "float32" and "quantization_config" not in dense
    assert dense["kernel_initializer"] == {"module": "keras.initializers", "class_name": "GlorotUniform",
                                           "config": {"seed": None}, "registered_name": None}
    bidirectional = layers["bidirectional"]["config"]
    assert "backward_layer" not in bidirectional  # Keras 2 writes it only for a user-given backward layer
    assert bidirectional["layer"]["config"]["name"] == "lstm"
    assert "seed" not in bidirectional["layer"]["config"]
    assert training["loss"] == "mean_squared_error"  # Keras 3 cannot read the alias "mse" back


# ---------------------------------------------------------------------------------------- weights files


def test_weights_round_trip_by_order(tmp_path):
    model, x = _build("recurrent")
    _randomize(model)
    model.save_weights(tmp_path / "weights.h5")
    fresh, _ = _build("recurrent")
    fresh.load_weights(tmp_path / "weights.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_load_weights_from_a_whole_model_file(tmp_path):
    model, x = _build("conv_pool")
    _randomize(model)
    model.save(tmp_path / "model.h5")
    fresh, _ = _build("conv_pool")
    fresh.load_weights(tmp_path / "model.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def _named(names, units=(3, 2)):
    return layerwise.Sequential([layerwise.Input((4,))] + [
        L.Dense(u, name=n) for n, u in zip(names, units)])


def test_by_name_loads_matching_layers_and_leaves_the_rest(tmp_path):
    source = _randomize(_named(["a", "b"]))
    source.save_weights(tmp_path / "weights.h5")
    target = _named(["a", "c"])
    before = target.get_layer("c").get_weights()
    target.load_weights(tmp_path / "weights.h5", by_name=True)
    for ours, theirs in zip(target.get_layer("a").get_weights(), source.get_layer("a").get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    for ours, theirs in zip(target.get_layer("c").get_weights(), before):
        np.testing.assert_array_equal(ours, theirs)


def test_by_name_shape_mismatch_raises_and_changes_nothing(tmp_path):
    _randomize(_named(["a", "b"], units=(3, 2))).save_weights(tmp_path / "weights.h5")
    target = _named(["a", "b"], units=(3, 5))
    before = target.get_weights()
    with pytest.raises(ValueError, match=re.escape(
            f"Cannot load weights from '{tmp_path / 'weights.h5'}': layer 'b' (Dense) weight 'kernel' has shape "
            "(3, 5), but the file holds shape (3, 2) for it ('b/kernel:0' of layer 'b'). Pass "
            "skip_mismatch=True to skip layers that differ.") + "$"):
        target.load_weights(tmp_path / "weights.h5", by_name=True)
    for ours, theirs in zip(target.get_weights(), before):  # layer 'a' fitted, but nothing was assigned
        np.testing.assert_array_equal(ours, theirs)


def test_by_name_skip_mismatch_warns_and_skips_the_layer(tmp_path):
    source = _randomize(_named(["a", "b"], units=(3, 2)))
    source.save_weights(tmp_path / "weights.h5")
    target = _named(["a", "b"], units=(3, 5))
    before = target.get_layer("b").get_weights()
    with pytest.warns(UserWarning, match=re.escape(
            f"Skipping loading weights from '{tmp_path / 'weights.h5'}': layer 'b' (Dense) weight 'kernel' has "
            "shape (3, 5), but the file holds shape (3, 2) for it ('b/kernel:0' of layer 'b').") + "$"):
        target.load_weights(tmp_path / "weights.h5", by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(target.get_layer("a").get_weights()[0], source.get_layer("a").get_weights()[0])
    for ours, theirs in zip(target.get_layer("b").get_weights(), before):
        np.testing.assert_array_equal(ours, theirs)


def test_by_name_weight_count_mismatch(tmp_path):
    layerwise.Sequential([layerwise.Input((4,)), L.Dense(3, name="a")]).save_weights(tmp_path / "w.h5")
    target = layerwise.Sequential([layerwise.Input((4,)), L.Dense(3, name="a", use_bias=False)])
    message = ("layer 'a' (Dense) has 1 weight(s) (kernel (4, 3)), but the file holds 2 for layer 'a' "
               "(a/kernel:0, a/bias:0)")
    with pytest.raises(ValueError, match=re.escape(message)):
        target.load_weights(tmp_path / "w.h5", by_name=True)
    with pytest.warns(UserWarning, match=re.escape(message)):
        target.load_weights(tmp_path / "w.h5", by_name=True, skip_mismatch=True)


def test_by_order_layer_count_mismatch(tmp_path):
    _named(["a", "b"]).save_weights(tmp_path / "w.h5")
    target = layerwise.Sequential([layerwise.Input((4,)), L.Dense(3, name="x")])
    with pytest.raises(ValueError, match=re.escape(
            f"'{tmp_path / 'w.h5'}' holds weights for 2 layer(s) (a, b), but model '{target.name}' has 1 "
            "layer(s) with weights (x). Build the same architecture, or load by layer name with by_name=True "
            "(and skip_mismatch=True to skip layers that differ).") + "$"):
        target.load_weights(tmp_path / "w.h5")


def test_by_order_skip_mismatch_skips_only_the_layer_that_differs(tmp_path):
    source = _randomize(_named(["a", "b"], units=(3, 2)))
    source.save_weights(tmp_path / "w.h5")
    target = _named(["x", "y"], units=(3, 4))
    with pytest.warns(UserWarning, match="layer 'y' \\(Dense\\) weight 'kernel' has shape \\(3, 4\\)"):
        target.load_weights(tmp_path / "w.h5", skip_mismatch=True)
    np.testing.assert_array_equal(target.get_layer("x").get_weights()[0], source.get_layer("a").get_weights()[0])


def test_load_weights_needs_a_built_model(tmp_path):
    _named(["a", "b"]).save_weights(tmp_path / "w.h5")
    model = layerwise.Sequential([L.Dense(3)], name="unbuilt")
    with pytest.raises(ValueError, match=re.escape(
            "Model 'unbuilt' has not been built yet, so its weights do not exist and there is nothing to load "
            "the weights into. Build it first: give it an Input, call it on a batch of data, or call "
            "model.build(input_shape).")):
        legacy_h5.load_weights_from_hdf5(model, tmp_path / "w.h5")
    with pytest.raises(ValueError, match="Model 'unbuilt' has not been built yet"):
        legacy_h5.save_weights_to_hdf5(model, tmp_path / "w2.h5")


# ---------------------------------------------------------------------------------------- Keras 2 files


KERAS2_MODELS = {"mlp": 2, "cnn": 1, "text": 1, "nested": 1}  # name -> optimizer steps taken


@pytest.mark.parametrize("name", sorted(KERAS2_MODELS))
def test_files_written_by_tf_keras_2_load(name):
    """Real files from tf.keras 2 (see data/legacy_h5/make_keras2_files.py)."""
    expected = np.load(DATA / "expected.npz")
    model = layerwise.models.load_model(DATA / f"keras2_{name}.h5")
    np.testing.assert_allclose(model.predict(expected[f"{name}_x"], verbose=0), expected[f"{name}_y"],
                               rtol=1e-5, atol=1e-6)
    assert model.compiled
    assert int(model.optimizer.iterations) == KERAS2_MODELS[name]
    assert model.optimizer.built  # the per-weight state (momentums, ...) was restored too


def test_tf_keras_2_optimizer_state_is_restored():
    model = legacy_h5.load_model_from_hdf5(DATA / "keras2_cnn.h5")
    assert type(model.optimizer).__name__ == "SGD"
    assert model.optimizer.get_config()["momentum"] == pytest.approx(0.9)
    with h5py.File(DATA / "keras2_cnn.h5") as h5:
        saved = [h5["optimizer_weights"][n][()] for n in h5["optimizer_weights"].attrs["weight_names"]]
    ours = [v.numpy() for v in model.optimizer.variables]
    assert len(ours) == len(saved) + 1  # tf.keras 2 kept no learning-rate variable
    for mine, theirs in zip([ours[0]] + ours[2:], saved):
        np.testing.assert_array_equal(mine, theirs)


def test_tf_keras_2_weights_file_loads_by_order_and_by_name():
    expected = np.load(DATA / "expected.npz")
    for by_name in (False, True):
        layerwise.backend.clear_session()
        model = layerwise.Sequential([layerwise.Input((4,)), L.Dense(5, activation="relu"),
                                      L.BatchNormalization(), L.Dropout(0.25), L.Dense(3, activation="softmax")])
        model.load_weights(DATA / "keras2_mlp_weights.h5", by_name=by_name)
        np.testing.assert_allclose(model.predict(expected["mlp_x"], verbose=0), expected["mlp_y"],
                                   rtol=1e-5, atol=1e-6)


def _dense_config(name, units, activation="linear", **extra):
    return {"name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation,
            "use_bias": True,
            "kernel_initializer": {"class_name": "VarianceScaling",
                                   "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform",
                                              "seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
            "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
            "bias_constraint": None, **extra}


def _write_keras2_file(path, config, weights, keras_version="2.2.4", training_config=None):
    """A model file as Keras 2 wrote it (written here with h5py): ``weights`` is {layer: [(name, array)]}."""
    with h5py.File(path, "w") as h5:
        h5.attrs["keras_version"] = keras_version.encode()
        h5.attrs["backend"] = b"tensorflow"
        h5.attrs["model_config"] = json.dumps(config).encode()
        if training_config is not None:
            h5.attrs["training_config"] = json.dumps(training_config).encode()
        group = h5.create_group("model_weights")
        names = list(weights)
        group.attrs["layer_names"] = [n.encode() for n in names]
        group.attrs["backend"] = b"tensorflow"
        group.attrs["keras_version"] = keras_version.encode()
        for layer_name, items in weights.items():
            layer_group = group.create_group(layer_name)
            layer_group.attrs["weight_names"] = np.asarray([n.encode() for n, _ in items])
            for weight_name, value in items:
                layer_group.create_dataset(weight_name, data=value)


def _dense_weights(name, shape, seed):
    rng = np.random.default_rng(seed)
    return [(f"{name}/kernel:0", rng.normal(size=shape).astype("float32")),
            (f"{name}/bias:0", rng.normal(size=shape[1:]).astype("float32"))]


def test_hand_written_keras2_functional_file(tmp_path):
    """Keras 2.2's form: class "Model", list-of-lists inbound nodes, dtype Policy dicts, no InputLayer module."""
    layers = [
        {"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 4], "dtype": "float32", "sparse": False, "name": "input_1"}},
        {"class_name": "Dense", "name": "dense_1", "inbound_nodes": [[["input_1", 0, 0, {}]]],
         "config": _dense_config("dense_1", 3, "relu",
                                 dtype={"class_name": "Policy", "config": {"name": "float32"}})},
        {"class_name": "Dropout", "name": "dropout_1", "inbound_nodes": [[["dense_1", 0, 0, {"training": False}]]],
         "config": {"name": "dropout_1", "trainable": True, "rate": 0.5, "noise_shape": None, "seed": None}},
        {"class_name": "Dense", "name": "dense_2", "inbound_nodes": [[["dropout_1", 0, 0, {}]]],
         "config": _dense_config("dense_2", 2)},
        {"class_name": "Concatenate", "name": "concatenate_1",
         "inbound_nodes": [[["dense_1", 0, 0, {}], ["dense_2", 0, 0, {}]]],
         "config": {"name": "concatenate_1", "trainable": True, "axis": -1}},
    ]
    config = {"class_name": "Model", "config": {"name": "model_1", "layers": layers,
                                                 "input_layers": [["input_1", 0, 0]],
                                                 "output_layers": [["concatenate_1", 0, 0]]}}
    weights = {"input_1": [], "dense_1": _dense_weights("dense_1", (4, 3), 1), "dropout_1": [],
               "dense_2": _dense_weights("dense_2", (3, 2), 2), "concatenate_1": []}
    training = {"loss": "mse", "metrics": ["mae"], "loss_weights": None, "sample_weight_mode": None,
                "optimizer_config": {"class_name": "Adam", "config": {"lr": 0.01, "beta_1": 0.9, "beta_2": 0.999,
                                                                      "decay": 0.0, "epsilon": 1e-07,
                                                                      "amsgrad": False}}}
    _write_keras2_file(tmp_path / "keras22.h5", config, weights, training_config=training)
    with pytest.warns(DeprecationWarning, match="the `lr` argument is deprecated"):
        model = layerwise.models.load_model(tmp_path / "keras22.h5")
    assert isinstance(model, layerwise.Functional) and model.name == "model_1"
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    x = _x(5, 4)
    (k1, b1), (k2, b2) = [w for _, w in weights["dense_1"]], [w for _, w in weights["dense_2"]]
    hidden = np.maximum(x @ k1 + b1, 0)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.concatenate([hidden, hidden @ k2 + b2], -1),
                               rtol=1e-5, atol=1e-5)


def test_tf_keras_2_initializer_configs_with_a_dtype_load(tmp_path):
    """tf.keras 1.14-2.1 ("2.2.4-tf") wrote {"seed": null, "dtype": "float32"} into initializer configs,
    as in the bootcamp lesson's model.json; both model_from_json and load_model read them."""
    def dense(name, units, **extra):
        config = _dense_config(name, units, **extra)
        config["kernel_initializer"] = {"class_name": "GlorotUniform", "config": {"seed": None, "dtype": "float32"}}
        config["bias_initializer"] = {"class_name": "Zeros", "config": {"dtype": "float32"}}
        return config

    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "Dense", "config": dense("dense", 8, activation="relu", batch_input_shape=[None, 11])},
        {"class_name": "Dense", "config": dense("dense_1", 1)}]}}
    from_json = layerwise.models.model_from_json(json.dumps({**config, "keras_version": "2.2.4-tf",
                                                              "backend": "tensorflow"}))
    assert [layer.units for layer in from_json.layers] == [8, 1]
    assert isinstance(from_json.layers[0].kernel_initializer, layerwise.initializers.GlorotUniform)
    weights = {"dense": _dense_weights("dense", (11, 8), 1), "dense_1": _dense_weights("dense_1", (8, 1), 2)}
    _write_keras2_file(tmp_path / "keras2_tf.h5", config, weights, keras_version="2.2.4-tf")
    model = layerwise.models.load_model(tmp_path / "keras2_tf.h5")
    x = _x(3, 11)
    (k1, b1), (k2, b2) = [w for _, w in weights["dense"]], [w for _, w in weights["dense_1"]]
    np.testing.assert_allclose(model.predict(x, verbose=0), np.maximum(x @ k1 + b1, 0) @ k2 + b2,
                               rtol=1e-5, atol=1e-5)


def test_hand_written_keras2_sequential_with_recurrent_settings(tmp_path):
    """Keras 2.0's Sequential config (a bare list), batch_input_shape on the first layer, Embedding's
    input_length, LSTM's implementation/time_major, GRU without reset_after, BatchNormalization's list axis."""
    rnn_common = {"return_sequences": False, "return_state": False, "go_backwards": False, "stateful": False,
                  "unroll": False, "activation": "tanh", "recurrent_activation": "hard_sigmoid", "use_bias": True,
                  "kernel_initializer": {"class_name": "VarianceScaling",
                                         "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform",
                                                    "seed": None}},
                  "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
                  "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
                  "recurrent_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
                  "kernel_constraint": None, "recurrent_constraint": None, "bias_constraint": None,
                  "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 1}
    config = {"class_name": "Sequential", "config": [
        {"class_name": "Embedding", "config": {
            "name": "embedding_1", "trainable": True, "batch_input_shape": [None, 5], "dtype": "float32",
            "input_dim": 10, "output_dim": 3, "embeddings_initializer": {
                "class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05, "seed": None}},
            "embeddings_regularizer": None, "activity_regularizer": None, "embeddings_constraint": None,
            "mask_zero": False, "input_length": 5}},
        {"class_name": "LSTM", "config": {"name": "lstm_1", "trainable": True, "units": 2, "time_major": False,
                                          "unit_forget_bias": True, **rnn_common, "return_sequences": True}},
        {"class_name": "GRU", "config": {"name": "gru_1", "trainable": True, "units": 2, **rnn_common}},
        {"class_name": "BatchNormalization", "config": {
            "name": "batch_normalization_1", "trainable": True, "axis": [1], "momentum": 0.99, "epsilon": 0.001,
            "center": True, "scale": True, "fused": None,
            **{f"{k}_initializer": {"class_name": init, "config": {}}
               for k, init in (("beta", "Zeros"), ("gamma", "Ones"), ("moving_mean", "Zeros"),
                               ("moving_variance", "Ones"))},
            "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
            "gamma_constraint": None}},
    ]}
    rng = np.random.default_rng(0)
    weights = {
        "embedding_1": [("embedding_1/embeddings:0", rng.normal(size=(10, 3)).astype("float32"))],
        "lstm_1": [("lstm_1/kernel:0", rng.normal(size=(3, 8)).astype("float32")),
                   ("lstm_1/recurrent_kernel:0", rng.normal(size=(2, 8)).astype("float32")),
                   ("lstm_1/bias:0", rng.normal(size=(8,)).astype("float32"))],
        "gru_1": [("gru_1/kernel:0", rng.normal(size=(2, 6)).astype("float32")),
                  ("gru_1/recurrent_kernel:0", rng.normal(size=(2, 6)).astype("float32")),
                  ("gru_1/bias:0", rng.normal(size=(6,)).astype("float32"))],
        "batch_normalization_1": [(f"batch_normalization_1/{n}:0", rng.uniform(0.5, 1.5, (2,)).astype("float32"))
                                  for n in ("gamma", "beta", "moving_mean", "moving_variance")],
    }
    _write_keras2_file(tmp_path / "keras20.h5", config, weights, keras_version="2.0.8")
    model = layerwise.models.load_model(tmp_path / "keras20.h5")
    gru = model.get_layer("gru_1")
    assert gru.cell.reset_after is False and model.get_layer("batch_normalization_1").axis in (1, -1)
    assert model.input_shape == (None, 5)
    # The same model built by hand gives the same outputs.
    layerwise.backend.clear_session()
    reference = layerwise.Sequential([
        layerwise.Input((5,)), L.Embedding(10, 3), L.LSTM(2, return_sequences=True,
                                                       recurrent_activation="hard_sigmoid"),
        L.GRU(2, reset_after=False, recurrent_activation="hard_sigmoid"), L.BatchNormalization()])
    reference.set_weights([w for items in weights.values() for _, w in items])
    tokens = np.random.default_rng(1).integers(0, 10, (3, 5))
    np.testing.assert_allclose(model.predict(tokens, verbose=0), reference.predict(tokens, verbose=0), rtol=1e-6)


def _keras2_dense_model_file(path, extra_layer):
    layers = [{"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [],
               "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "input_1"}},
              dict(extra_layer, inbound_nodes=[[["input_1", 0, 0, {}]]])]
    config = {"class_name": "Functional", "config": {"name": "model", "layers": layers,
                                                      "input_layers": [["input_1", 0, 0]],
                                                      "output_layers": [[extra_layer["name"], 0, 0]]}}
    _write_keras2_file(path, config, {"input_1": [], extra_layer["name"]: []})


def test_keras2_time_major_lstm_is_refused(tmp_path):
    lstm = {"class_name": "LSTM", "name": "lstm", "config": {"name": "lstm", "units": 2, "time_major": True}}
    _keras2_dense_model_file(tmp_path / "tm.h5", lstm)
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{tmp_path / 'tm.h5'}': Layer 'lstm' (LSTM) was saved with time_major=True (inputs shaped "
            "(time, batch, features)), which Keras 3 and layerwise do not support. Rebuild it with batch-major "
            "inputs and load the weights with by_name=True.") + "$"):
        layerwise.models.load_model(tmp_path / "tm.h5")


def test_keras2_tensorflow_operations_are_refused(tmp_path):
    op = {"class_name": "TFOpLambda", "name": "tf.math.reduce_sum",
          "config": {"name": "tf.math.reduce_sum", "trainable": True, "dtype": "float32",
                     "function": "math.reduce_sum"}}
    _keras2_dense_model_file(tmp_path / "op.h5", op)
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{tmp_path / 'op.h5'}': Layer 'tf.math.reduce_sum' is a TensorFlow operation "
            "(math.reduce_sum) that tf.keras recorded as a TFOpLambda layer; layerwise does not run TensorFlow "
            "code. Rebuild that part of the model with layerwise layers and load the weights with "
            "model.load_weights(path, by_name=True).") + "$"):
        layerwise.models.load_model(tmp_path / "op.h5")


def test_keras2_lambda_bytecode_is_refused_in_safe_mode(tmp_path):
    import base64
    import marshal

    code = base64.encodebytes(marshal.dumps((lambda x: x * 2).__code__)).decode("ascii")
    lam = {"class_name": "Lambda", "name": "lambda_1",
           "config": {"name": "lambda_1", "trainable": True, "dtype": "float32", "function": [code, None, None],
                      "function_type": "lambda", "module": "__main__", "output_shape": None,
                      "output_shape_type": "raw", "output_shape_module": None, "arguments": {}}}
    _keras2_dense_model_file(tmp_path / "lambda.h5", lam)
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{tmp_path / 'lambda.h5'}': layer Lambda 'lambda_1' carries a Python function as bytecode "
            "(at config.layers[1].config.function); loading it would run code from the file. If you trust the "
            "file, load it with safe_mode=False.") + "$"):
        layerwise.models.load_model(tmp_path / "lambda.h5")
    model = layerwise.models.load_model(tmp_path / "lambda.h5", safe_mode=False)
    np.testing.assert_allclose(model.predict(np.ones((1, 4), "float32"), verbose=0), [[2.0] * 4])


# ---------------------------------------------------------------------------------------- refused files


@pytest.fixture
def saved(tmp_path):
    """A small saved model file and a function making edited copies of it."""
    model = layerwise.Sequential([layerwise.Input((4,)), L.Dense(3, name="dense"), L.Dense(1, name="out")])
    model.compile(optimizer="adam", loss="mse")
    path = tmp_path / "model.h5"
    model.save(path)

    def copy(name, edit=None):
        target = tmp_path / name
        shutil.copy(path, target)
        if edit is not None:
            with h5py.File(target, "r+") as h5:
                edit(h5)
        return target

    return copy


def _edit_config(edit):
    def apply(h5):
        config = json.loads(h5.attrs["model_config"])
        edit(config)
        h5.attrs["model_config"] = json.dumps(config).encode()
    return apply


def test_refuses_an_external_link(saved, tmp_path):
    with h5py.File(tmp_path / "host.h5", "w") as host:
        host["secret"] = np.zeros((4, 3), "float32")

    def link(h5):
        del h5["model_weights/dense/dense/kernel:0"]
        h5["model_weights/dense/dense/kernel:0"] = h5py.ExternalLink(str(tmp_path / "host.h5"), "secret")

    path = saved("linked.h5", link)
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{path}': 'model_weights/dense/dense/kernel:0' is an HDF5 external link to "
            f"'{tmp_path / 'host.h5'}'; a model file may not point at other files.") + "$"):
        layerwise.models.load_model(path)
    model = layerwise.Sequential([layerwise.Input((4,)), L.Dense(3), L.Dense(1)])
    with pytest.raises(UnsafeFileError, match="is an HDF5 external link"):
        model.load_weights(path)


def test_refuses_a_soft_link(saved):
    def link(h5):
        del h5["model_weights/out/out/bias:0"]
        h5["model_weights/out/out/bias:0"] = h5py.SoftLink("/model_weights/dense/dense/bias:0")

    path = saved("soft.h5", link)
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{path}': 'model_weights/out/out/bias:0' is an HDF5 soft link to "
            "'/model_weights/dense/dense/bias:0'; model files written by Keras or layerwise contain none.")):
        layerwise.models.load_model(path)


def test_refuses_a_config_naming_os_system(saved):
    keras3_form = saved("keras3.h5", _edit_config(lambda c: c["config"]["layers"].__setitem__(
        1, {"module": "os", "class_name": "system", "config": {"command": "touch pwned"}})))
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{keras3_form}': its config names class 'system' from module 'os' (at config.layers[1]), "
            "which is not a layerwise class nor one registered in this process. Loading never imports modules "
            "or calls functions named by a file. If it is your own, register it with "
            "@layerwise.saving.register_serializable() or pass it in custom_objects.") + "$"):
        layerwise.models.load_model(keras3_form)
    keras2_form = saved("keras2.h5", _edit_config(
        lambda c: c["config"]["layers"][1].__setitem__("class_name", "os.system")))
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{keras2_form}': its config names class 'os.system' from module None (at config.layers[1])")):
        layerwise.models.load_model(keras2_form)
    activation = saved("activation.h5", _edit_config(
        lambda c: c["config"]["layers"][1]["config"].__setitem__("activation", "os.system")))
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{activation}': Layer 'dense' (Dense) cannot be built from its config: Unknown activation "
            "'os.system'. Known activations: ")):
        layerwise.models.load_model(activation)
    assert not os.path.exists("pwned")


def test_refuses_an_unknown_loss_in_the_training_config(saved):
    def edit(h5):
        training = json.loads(h5.attrs["training_config"])
        training["loss"] = "os.system"
        h5.attrs["training_config"] = json.dumps(training).encode()

    path = saved("loss.h5", edit)
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{path}': its training configuration cannot be restored: Unknown loss 'os.system'.")):
        layerwise.models.load_model(path)
    assert layerwise.models.load_model(path, compile=False).built


def test_refuses_a_lambda_layer_in_safe_mode(tmp_path):
    model = layerwise.Sequential([layerwise.Input((3,)), L.Lambda(lambda x: x + 1.0), L.Dense(1)])
    model.save(tmp_path / "lambda.h5")
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{tmp_path / 'lambda.h5'}': layer Lambda 'lambda' carries a Python function as bytecode "
            "(at config.layers[1].config.function); loading it would run code from the file. If you trust the "
            "file, load it with safe_mode=False.") + "$"):
        layerwise.models.load_model(tmp_path / "lambda.h5")
    loaded = layerwise.models.load_model(tmp_path / "lambda.h5", safe_mode=False)
    np.testing.assert_array_equal(loaded.predict(_x(2, 3), verbose=0), model.predict(_x(2, 3), verbose=0))


def test_refuses_a_truncated_file(saved, tmp_path):
    whole = saved("whole.h5").read_bytes()
    path = tmp_path / "truncated.h5"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"'{path}' cannot be read as HDF5 (truncated or corrupt?): Unable to synchronously open file "
            "(truncated file: ")):
        layerwise.models.load_model(path)
    path.write_bytes(b"not an HDF5 file at all")
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"'{path}' is not an HDF5 file, or it is truncated or corrupt.") + "$"):
        layerwise.models.load_model(path)


def test_refuses_a_wrong_variable_count(saved):
    def drop_bias(h5):
        h5["model_weights/dense"].attrs["weight_names"] = np.asarray([b"dense/kernel:0"])

    path = saved("count.h5", drop_bias)
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{path}': layer 'dense' (Dense) has 2 weight(s) (kernel (4, 3), bias (3,)), but the file "
            "holds 1 for layer 'dense' (dense/kernel:0); the file's weights do not match the model its own "
            "config describes.") + "$"):
        layerwise.models.load_model(path)


def test_refuses_a_huge_declared_shape_without_allocating_it(saved):
    def bomb(h5):
        del h5["model_weights/dense/dense/kernel:0"]
        h5["model_weights/dense/dense"].create_dataset("kernel:0", shape=(2**40, 3), dtype="float32",
                                                       chunks=(1024, 3), compression="gzip")

    path = saved("huge.h5", bomb)
    assert path.stat().st_size < 1_000_000
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{path}': layer 'dense' (Dense) weight 'kernel' has shape (4, 3), but the file holds shape "
            "(1099511627776, 3) for it ('dense/kernel:0' of layer 'dense'); the file's weights do not match the "
            "model its own config describes.") + "$"):
        layerwise.models.load_model(path)
    model = layerwise.Sequential([layerwise.Input((4,)), L.Dense(3, name="dense"), L.Dense(1, name="out")])
    with pytest.warns(UserWarning, match=re.escape("the file holds shape (1099511627776, 3)")):
        model.load_weights(path, by_name=True, skip_mismatch=True)


def test_refuses_a_weight_that_is_not_numbers(saved):
    def strings(h5):
        del h5["model_weights/out/out/bias:0"]
        h5["model_weights/out/out"].create_dataset("bias:0", data=np.array([b"x"]))

    path = saved("strings.h5", strings)
    with pytest.raises(UnsafeFileError, match=re.escape(
            "Refused weight '/model_weights/out/out/bias:0' of layer 'out' in")):
        layerwise.models.load_model(path)


def test_load_model_refuses_weights_files_and_weights_loading_refuses_keras3_layout(tmp_path):
    model = _named(["a", "b"])
    model.save_weights(tmp_path / "w.h5")
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{tmp_path / 'w.h5'}': it holds only weights (it was written by save_weights), no model. "
            "Build the model in code and call model.load_weights(path).") + "$"):
        legacy_h5.load_model_from_hdf5(tmp_path / "w.h5")
    model.save_weights(tmp_path / "keras3.weights.h5")
    shutil.copy(tmp_path / "keras3.weights.h5", tmp_path / "renamed.h5")
    with pytest.raises(ValueError, match=re.escape(
            f"'{tmp_path / 'renamed.h5'}' holds weights in Keras 3's layout (the one save_weights writes to a "
            "'.weights.h5' file), not the legacy one. Rename it to end in '.weights.h5' and load it again.")):
        legacy_h5.load_weights_from_hdf5(model, tmp_path / "renamed.h5")


def test_refuses_config_json_that_is_not_a_config(saved):
    deep = saved("deep.h5", lambda h5: h5.attrs.__setitem__("model_config", ("[" * 100000).encode()))
    with pytest.raises(UnsafeFileError, match=re.escape(f"Refused '{deep}': its 'model_config'")):
        layerwise.models.load_model(deep)
    broken = saved("broken.h5", lambda h5: h5.attrs.__setitem__("model_config", b"{not json"))
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{broken}': its 'model_config' attribute is not valid JSON: ")):
        layerwise.models.load_model(broken)
    missing = saved("missing.h5", lambda h5: h5.attrs.__delitem__("model_config"))
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{missing}': it holds no model config (no 'model_config' attribute); it is not a Keras "
            "model file.") + "$"):
        layerwise.models.load_model(missing)


def test_a_refused_weights_file_leaves_the_model_untouched(saved):
    def corrupt_last(h5):
        del h5["model_weights/out/out/bias:0"]
        h5["model_weights/out/out"].create_dataset("bias:0", data=np.array(["x"], dtype=object),
                                                   dtype=h5py.string_dtype())

    path = saved("bad_last.h5", corrupt_last)
    model = layerwise.Sequential([layerwise.Input((4,)), L.Dense(3, name="dense"), L.Dense(1, name="out")])
    before = model.get_weights()
    with pytest.raises(UnsafeFileError, match="not a number type"):
        model.load_weights(path)
    for ours, theirs in zip(model.get_weights(), before):  # 'dense' came first in the file, yet is unchanged
        np.testing.assert_array_equal(ours, theirs)


def test_graph_references_that_do_not_exist_are_refused(saved):
    path = saved("dangling.h5")
    layers_config = {"class_name": "Functional", "config": {
        "name": "m", "layers": [
            {"class_name": "InputLayer", "name": "in", "inbound_nodes": [],
             "config": {"batch_input_shape": [None, 4], "name": "in"}},
            {"class_name": "Dense", "name": "d", "inbound_nodes": [[["ghost", 0, 0, {}]]],
             "config": {"name": "d", "units": 1}}],
        "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}}
    with h5py.File(path, "r+") as h5:
        h5.attrs["model_config"] = json.dumps(layers_config).encode()
    with pytest.raises(UnsafeFileError, match=re.escape(
            f"Refused '{path}': Model 'm': a node refers to layer 'ghost', which the config does not define.")):
        layerwise.models.load_model(path)


def test_a_models_own_weights_go_to_top_level_model_weights(tmp_path):
    class Scaled(layerwise.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = L.Dense(2)
            self.scale = self.add_weight(shape=(2,), initializer="ones", name="scale")

        def call(self, x):
            return self.dense(x) * self.scale

    model = Scaled()
    model(_x(2, 3))
    _randomize(model)
    model.save_weights(tmp_path / "scaled.h5")
    with h5py.File(tmp_path / "scaled.h5") as h5:
        assert [n.decode() for n in h5["top_level_model_weights"].attrs["weight_names"]] == [
            f"{model.name}/scale_0:0"]
    other = Scaled()
    other(_x(2, 3))
    other.load_weights(tmp_path / "scaled.h5")
    np.testing.assert_array_equal(other.scale.numpy(), model.scale.numpy())
    np.testing.assert_array_equal(other.predict(_x(2, 3), verbose=0), model.predict(_x(2, 3), verbose=0))


def test_long_name_lists_are_split_over_several_attributes(tmp_path):
    names = [f"layer_with_a_rather_long_name_{i:05d}" for i in range(3000)]  # about 110 kB of names
    with h5py.File(tmp_path / "names.h5", "w") as h5:
        legacy_h5._write_name_list(h5, "layer_names", names)
        assert "layer_names" not in h5.attrs and "layer_names0" in h5.attrs and "layer_names1" in h5.attrs
        assert legacy_h5._read_name_list(h5, "layer_names") == names
