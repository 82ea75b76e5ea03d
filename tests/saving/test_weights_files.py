"""save_weights / load_weights: Keras 3's .weights.h5 layout, sharding, all-or-nothing loading."""

import json
import os
import re
import warnings

import h5py
import numpy as np
import pytest
from saving_helpers import data, tiny_model

import layerwise
from layerwise.saving import UnsafeFileError
from layerwise.saving.keras_weights import WeightsMismatchError, walk


def assert_same_weights(a, b):
    left, right = a.get_weights(), b.get_weights()
    assert len(left) == len(right)
    for x, y in zip(left, right):
        np.testing.assert_array_equal(x, y)


def h5_tree(path):
    found = {}
    with h5py.File(path) as h5:
        h5.visititems(lambda name, item: found.__setitem__(name, getattr(item, "shape", None)))
    return found


def test_weights_round_trip_with_keras_layout(tmp_path):
    model = tiny_model(compiled=True)
    model.fit(*data(), epochs=1, verbose=0)
    model.save_weights(tmp_path / "model.weights.h5")
    assert h5_tree(tmp_path / "model.weights.h5") == {
        "layers": None, "layers/dense": None, "layers/dense/vars": None,
        "layers/dense/vars/0": (4, 3), "layers/dense/vars/1": (3,),
        "layers/dense_1": None, "layers/dense_1/vars": None,
        "layers/dense_1/vars/0": (3, 2), "layers/dense_1/vars/1": (2,),
        "optimizer": None, "optimizer/vars": None,
        "optimizer/vars/0": (), "optimizer/vars/1": (),
        **{f"optimizer/vars/{i}": shape for i, shape in zip(range(2, 10), [(4, 3)] * 2 + [(3,)] * 2 + [(3, 2)] * 2 + [(2,)] * 2)},
        "vars": None,
    }
    with h5py.File(tmp_path / "model.weights.h5") as h5:
        assert h5["layers/dense/vars"].attrs["name"] == "dense"
        assert h5["optimizer/vars"].attrs["name"] == "adam"
    other = tiny_model(compiled=True)
    other.load_weights(tmp_path / "model.weights.h5")
    assert_same_weights(model, other)
    assert int(other.optimizer.iterations.numpy()) == 1


def test_loading_weights_restores_optimizer_state_for_resumed_training(tmp_path):
    x, y = data(16)
    layerwise.utils.set_random_seed(3)
    reference = tiny_model(compiled=True)
    reference.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)

    layerwise.utils.set_random_seed(3)
    first = tiny_model(compiled=True)
    first.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    first.save_weights(tmp_path / "checkpoint.weights.h5")
    resumed = tiny_model(compiled=True)  # its optimizer has no per-weight state yet
    resumed.load_weights(tmp_path / "checkpoint.weights.h5")
    resumed.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    assert_same_weights(reference, resumed)


def test_uncompiled_model_ignores_the_optimizer_state(tmp_path):
    model = tiny_model(compiled=True)
    model.fit(*data(), epochs=1, verbose=0)
    model.save_weights(tmp_path / "model.weights.h5")
    plain = tiny_model()
    plain.load_weights(tmp_path / "model.weights.h5")
    assert_same_weights(model, plain)


def test_a_refused_file_leaves_the_model_unchanged(tmp_path):
    model = tiny_model()
    source = layerwise.Sequential([layerwise.Input((4,)), layerwise.layers.Dense(3), layerwise.layers.Dense(5)])
    source.save_weights(tmp_path / "other.weights.h5")
    before = model.get_weights()
    path = tmp_path / "other.weights.h5"
    with pytest.raises(WeightsMismatchError, match="^" + re.escape(
            f"Refused layer 'dense_1' (layers/dense_1) variable 0 (kernel) at 'layers/dense_1/vars/0' in "
            f"'{path}': the file declares shape (3, 5), the model's variable has shape (3, 2).") + "$"):
        model.load_weights(path)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)  # the first layer, which matched, was not loaded either


def test_skip_mismatch_loads_what_fits_and_warns(tmp_path):
    model = tiny_model()
    source = layerwise.Sequential([layerwise.Input((4,)), layerwise.layers.Dense(3), layerwise.layers.Dense(5)])
    source.save_weights(tmp_path / "other.weights.h5")
    kept = model.layers[1].get_weights()
    with pytest.warns(UserWarning, match=re.escape("Skipping layer 'dense_1' (layers/dense_1): Refused")):
        model.load_weights(tmp_path / "other.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), source.layers[0].kernel.numpy())
    np.testing.assert_array_equal(model.layers[1].kernel.numpy(), kept[0])


def test_objects_to_skip(tmp_path):
    model = tiny_model()
    layerwise.saving.save_weights(model, tmp_path / "partial.weights.h5", objects_to_skip=[model.layers[1]])
    assert "layers/dense_1/vars/0" not in h5_tree(tmp_path / "partial.weights.h5")
    other = tiny_model()
    kept = other.layers[1].get_weights()
    other.load_weights(tmp_path / "partial.weights.h5", objects_to_skip=[other.layers[1]])
    np.testing.assert_array_equal(other.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())
    np.testing.assert_array_equal(other.layers[1].kernel.numpy(), kept[0])


def test_sharded_weights(tmp_path):
    model = layerwise.Sequential([layerwise.Input((64,)), layerwise.layers.Dense(64), layerwise.layers.Dense(8)])
    limit_gb = 17_000 / 1024**3  # 17 kB per shard: the first layer (16.6 kB) fills one
    model.save_weights(tmp_path / "model.weights.json", max_shard_size=limit_gb)
    shards = sorted(name for name in os.listdir(tmp_path) if name.endswith(".weights.h5"))
    assert shards == ["model_00000.weights.h5", "model_00001.weights.h5"]
    mapping = json.loads((tmp_path / "model.weights.json").read_text())
    assert mapping["metadata"]["total_size"] == sum(w.nbytes for w in model.get_weights())
    assert mapping["weight_map"]["/layers/dense/vars"] == "model_00000.weights.h5"
    other = layerwise.Sequential([layerwise.Input((64,)), layerwise.layers.Dense(64), layerwise.layers.Dense(8)])
    other.load_weights(tmp_path / "model.weights.json")
    assert_same_weights(model, other)


def test_sharded_weights_with_a_weights_h5_name_are_renamed(tmp_path):
    model = tiny_model()
    with pytest.warns(UserWarning, match=re.escape(
            f"Saving sharded weights requires `*.json` as the extension. The original path: "
            f"{tmp_path / 'model.weights.h5'} will be renamed to {tmp_path / 'model.weights.json'}.")):
        model.save_weights(tmp_path / "model.weights.h5", max_shard_size=1)
    assert sorted(os.listdir(tmp_path)) == ["model.weights.json", "model_00000.weights.h5"]


def test_shard_map_naming_a_file_elsewhere_is_refused(tmp_path):
    model = tiny_model()
    model.save_weights(tmp_path / "model.weights.json", max_shard_size=1)
    mapping = json.loads((tmp_path / "model.weights.json").read_text())
    mapping["weight_map"]["/layers/dense/vars"] = "../../etc/model_00000.weights.h5"
    (tmp_path / "model.weights.json").write_text(json.dumps(mapping))
    with pytest.raises(UnsafeFileError, match="^" + re.escape(
            f"Refused '{tmp_path / 'model.weights.json'}': it names the shard "
            "'../../etc/model_00000.weights.h5'; shards are '*.weights.h5' files in the same directory, "
            "named without any path.") + "$"):
        model.load_weights(tmp_path / "model.weights.json")


def test_load_weights_from_a_keras_file_and_a_model_directory(tmp_path, capsys):
    model = tiny_model()
    model.save(tmp_path / "model.keras")
    model.save(tmp_path / "my_model")
    for path in (tmp_path / "model.keras", tmp_path / "my_model"):
        other = tiny_model()
        other.load_weights(path)
        assert_same_weights(model, other)


def test_weights_file_naming_rules(tmp_path):
    model = tiny_model()
    with pytest.raises(ValueError, match="^" + re.escape(
            f"The filename must end in `.weights.h5`. Received: filepath={tmp_path / 'weights.txt'}. "
            "(A name ending in '.h5' writes Keras 2's weights layout.)") + "$"):
        model.save_weights(tmp_path / "weights.txt")
    with pytest.raises(ValueError, match="^" + re.escape(
            "The filename must end in `.weights.json` when `max_shard_size` is specified. Received: "
            f"filepath={tmp_path / 'w.bin'}") + "$"):
        model.save_weights(tmp_path / "w.bin", max_shard_size=1)
    model.save_weights(tmp_path / "model.weights.h5")
    with pytest.raises(ValueError, match="^" + re.escape(
            "`by_name` only supports loading legacy '.h5' or '.hdf5' files. Received: "
            f"{tmp_path / 'model.weights.h5'}") + "$"):
        model.load_weights(tmp_path / "model.weights.h5", by_name=True)
    with pytest.raises(ValueError, match=re.escape("Invalid keyword arguments: {'by_layer': True}")):
        model.load_weights(tmp_path / "model.weights.h5", by_layer=True)
    with pytest.raises(FileNotFoundError, match=re.escape(f"No weights file at '{tmp_path / 'missing.weights.h5'}'.")):
        model.load_weights(tmp_path / "missing.weights.h5")


def test_unbuilt_models_cannot_save_or_load_weights(tmp_path):
    tiny_model().save_weights(tmp_path / "model.weights.h5")
    unbuilt = layerwise.Sequential([layerwise.layers.Dense(2)])
    with pytest.raises(ValueError, match="^" + re.escape(
            "You are saving a model that has not yet been built. Try building the model first by calling it "
            "on some data or by using `build()`.") + "$"):
        unbuilt.save_weights(tmp_path / "x.weights.h5")
    with pytest.raises(ValueError, match="^" + re.escape(
            "You are loading weights into a model that has not yet been built. Try building the model first "
            "by calling it on some data or by using `build()`.") + "$"):
        unbuilt.load_weights(tmp_path / "model.weights.h5")


def test_optimizer_state_that_does_not_fit_is_skipped_with_keras_warning(tmp_path):
    model = tiny_model()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(*data(), epochs=1, verbose=0)
    model.save_weights(tmp_path / "sgd.weights.h5")
    other = tiny_model(compiled=True)  # Adam: a different state layout
    other.fit(*data(), epochs=1, verbose=0)
    with pytest.warns(UserWarning, match=re.escape(
            "Skipping variable loading for optimizer 'adam', because it has 10 variables whereas the saved "
            "optimizer has 2 variables. The optimizer starts from a fresh state.")):
        other.load_weights(tmp_path / "sgd.weights.h5")
    assert_same_weights(model, other)


def test_a_kill_during_save_weights_keeps_the_old_file(tmp_path, monkeypatch):
    model = tiny_model()
    model.save_weights(tmp_path / "model.weights.h5")
    before = (tmp_path / "model.weights.h5").read_bytes()
    from layerwise.saving import keras_weights

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(keras_weights, "write_weights", killed)
    with pytest.raises(KeyboardInterrupt):
        tiny_model().save_weights(tmp_path / "model.weights.h5")
    assert (tmp_path / "model.weights.h5").read_bytes() == before
    assert os.listdir(tmp_path) == ["model.weights.h5"]


def test_walk_follows_keras_paths_for_nested_and_subclassed_structures():
    class Block(layerwise.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.stack = [layerwise.layers.Dense(2), layerwise.layers.Dense(2), layerwise.layers.Dropout(0.1)]
            self.rnn = layerwise.layers.Bidirectional(layerwise.layers.GRU(2, return_sequences=True))
            self._private = layerwise.layers.Dense(2)
            self.alias = self.stack[0]

        def call(self, x):
            x = self.rnn(x)
            for layer in self.stack:
                x = layer(x)
            return self._private(x)

    model = Block()
    model(np.zeros((1, 3, 2), "float32"))
    assert [e.path for e in walk(model)] == [
        "", "alias", "rnn", "rnn/backward_layer", "rnn/backward_layer/cell", "rnn/forward_layer",
        "rnn/forward_layer/cell", "stack/dense_1", "stack/dropout", "_private",
    ]


def test_weights_h5_in_keras2_layout_goes_to_the_legacy_reader(tmp_path, monkeypatch):
    from layerwise.saving import legacy_h5

    path = tmp_path / "old.weights.h5"
    with h5py.File(path, "w") as h5:
        h5.attrs["layer_names"] = [b"dense"]
    calls = []
    monkeypatch.setattr(legacy_h5, "load_weights_from_hdf5",
                        lambda model, filepath, by_name=False, skip_mismatch=False:
                        calls.append((filepath, by_name, skip_mismatch)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tiny_model().load_weights(path, by_name=True)
    assert calls == [(str(path), True, False)]
