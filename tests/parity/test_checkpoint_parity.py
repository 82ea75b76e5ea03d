"""ModelCheckpoint and BackupAndRestore against real Keras 3 (torch backend).

The same logs give the same saved files, names and printed lines; real
``fit`` runs of the same length save at the same batches; a backup written
by either library has the same files and metadata, and each library
resumes from the other's backup.
"""

import json
import os
import warnings

import keras
import numpy as np
import pytest

import layerwise
from layerwise.callbacks.backup_and_restore import BackupAndRestore
from layerwise.callbacks.model_checkpoint import ModelCheckpoint


def _keras_model(metrics=None):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse", metrics=metrics)
    if metrics:  # Keras finds a metric's direction only once its compiled metrics are built
        model.evaluate(np.zeros((2, 2), "float32"), np.zeros((2, 1), "float32"), verbose=0)
    return model


def _our_model(metrics=None):
    model = layerwise.Sequential([layerwise.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer=layerwise.optimizers.SGD(learning_rate=0.1), loss="mse", metrics=metrics)
    if metrics:
        model.evaluate(np.zeros((2, 2), "float32"), np.zeros((2, 1), "float32"), verbose=0)
    return model


def _drive(callback, model, epoch_logs, directory, capsys):
    """Epoch hooks as fit calls them, inside ``directory``; returns files, weights per file, output, warnings."""
    os.makedirs(directory)
    cwd = os.getcwd()
    os.chdir(directory)
    capsys.readouterr()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            callback.set_model(model)
            callback.set_params({"verbose": 0, "epochs": len(epoch_logs), "steps": 1})
            callback.on_train_begin({})
            for epoch, logs in enumerate(epoch_logs):
                callback.on_epoch_begin(epoch, {})
                model.set_weights([np.full(w.shape, float(epoch), "float32") for w in model.get_weights()])
                callback.on_epoch_end(epoch, dict(logs))
            callback.on_train_end({})
    finally:
        os.chdir(cwd)
    files = sorted(os.listdir(directory))
    return {
        "files": files,
        "out": capsys.readouterr().out,
        "warnings": [str(w.message) for w in caught
                     if issubclass(w.category, UserWarning) and "__array__" not in str(w.message)],
        "epochs": [_epoch_in(os.path.join(directory, name)) for name in files],
    }


def _epoch_in(path):
    """Which simulated epoch's weights a saved file holds (read with layerwise, whoever wrote it)."""
    model = _our_model()
    if path.endswith(".keras"):
        model = layerwise.models.load_model(path)
    else:
        model.load_weights(path)
    return float(model.get_weights()[0].flat[0])


LOGS = [
    {"loss": 0.9, "val_loss": 0.50, "val_accuracy": 0.50},
    {"loss": 0.8, "val_loss": 0.60, "val_accuracy": 0.75},
    {"loss": 0.7, "val_loss": 0.25, "val_accuracy": 0.75},
    {"loss": 0.6, "val_loss": 0.25, "val_accuracy": 0.25},
    {"loss": 0.5, "val_loss": 0.125, "val_accuracy": 0.875},
]

CHECKPOINT_CASES = [
    ("m-{epoch:02d}.keras", {}, None),
    ("m-{epoch:02d}-{val_loss:.3f}.keras", {"verbose": 1}, None),
    ("best.keras", {"save_best_only": True, "verbose": 1}, None),
    ("best.weights.h5", {"save_best_only": True, "save_weights_only": True, "verbose": 1}, None),
    ("w-{epoch}-{val_accuracy:.2f}.weights.h5",
     {"save_best_only": True, "save_weights_only": True, "monitor": "val_accuracy", "mode": "max", "verbose": 1},
     None),
    ("best-{epoch}.keras", {"save_best_only": True, "monitor": "val_accuracy", "verbose": 1}, ["accuracy"]),
    ("best-{epoch}.keras", {"save_best_only": True, "monitor": "val_loss", "mode": "max", "verbose": 1}, None),
    ("best.keras", {"save_best_only": True, "initial_value_threshold": 0.3, "verbose": 1}, None),
    ("best.keras", {"save_best_only": True, "monitor": "loss", "initial_value_threshold": 0.1, "verbose": 1}, None),
    ("best-{epoch}.keras", {"save_best_only": True, "monitor": "val_auc", "mode": "max", "verbose": 1}, None),  # absent
]


@pytest.mark.parametrize("filepath, kwargs, metrics", CHECKPOINT_CASES)
def test_model_checkpoint_saves_and_prints_as_keras(filepath, kwargs, metrics, tmp_path, capsys):
    expected = _drive(keras.callbacks.ModelCheckpoint(filepath, **kwargs), _keras_model(metrics), LOGS,
                      tmp_path / "keras", capsys)
    got = _drive(ModelCheckpoint(filepath, **kwargs), _our_model(metrics), LOGS, tmp_path / "ours", capsys)
    assert got == expected
    assert expected["files"] or "did not improve" in expected["out"]  # nothing saved only when nothing beat the best


def test_batch_level_saving_as_keras(tmp_path, capsys, monkeypatch):
    """Real fit runs of 3 epochs of 4 batches: the same files (epoch and batch in the name) and lines."""
    x = np.random.RandomState(0).rand(20, 2).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    results = []
    for name, model, callback_class in (("keras", _keras_model(), keras.callbacks.ModelCheckpoint),
                                        ("ours", _our_model(), ModelCheckpoint)):
        directory = tmp_path / name
        directory.mkdir()
        monkeypatch.chdir(directory)
        capsys.readouterr()
        callback = callback_class("e{epoch:02d}-b{batch:02d}.weights.h5", save_weights_only=True, save_freq=3,
                                  verbose=1)
        model.fit(x, y, epochs=3, batch_size=5, verbose=0, callbacks=[callback])
        results.append((sorted(os.listdir(directory)), capsys.readouterr().out))
    assert results[1] == results[0]
    assert results[0][0] == ["e01-b03.weights.h5", "e02-b02.weights.h5", "e03-b01.weights.h5",
                             "e03-b04.weights.h5"]


@pytest.mark.parametrize("filepath, kwargs", [
    ("checkpoint", {}),
    ("model.weights", {}),
    ("ckpt.keras", {"save_weights_only": True}),
    ("ckpt.h5x", {"save_weights_only": True}),
    ("m.keras", {"save_freq": "batch"}),
])
def test_model_checkpoint_errors_start_with_keras_text(filepath, kwargs):
    with pytest.raises(ValueError) as theirs:
        keras.callbacks.ModelCheckpoint(filepath, **kwargs)
    with pytest.raises(ValueError) as ours:
        ModelCheckpoint(filepath, **kwargs)
    assert str(ours.value).startswith(str(theirs.value) + " (")  # Keras's message, then the layerwise fix


def test_backup_and_restore_errors_as_keras():
    for backup_dir, kwargs in (("", {}), ("b", {"save_freq": "batch"}), ("b", {"save_freq": 2.5})):
        with pytest.raises(ValueError) as theirs:
            keras.callbacks.BackupAndRestore(backup_dir, **kwargs)
        with pytest.raises(ValueError) as ours:
            BackupAndRestore(backup_dir, **kwargs)
        assert str(ours.value) == str(theirs.value) or str(ours.value).startswith(str(theirs.value) + " (")


# ============================================================================ BackupAndRestore


def _keras_backup_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dropout(0.2), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


def _our_backup_model():
    layerwise.utils.set_random_seed(0)
    model = layerwise.Sequential([layerwise.layers.Dense(5, activation="relu", input_shape=(4,)),
                                  layerwise.layers.BatchNormalization(), layerwise.layers.Dropout(0.2),
                                  layerwise.layers.Dense(1)])
    model.compile(optimizer=layerwise.optimizers.Adam(0.01), loss="mse")
    return model


def _backup_data():
    rng = np.random.RandomState(1)
    return rng.rand(20, 4).astype("float32"), rng.rand(20, 1).astype("float32")


def _interrupt(base, after=None, at_epoch=None):
    class Interrupt(base):
        count = 0

        def on_epoch_begin(self, epoch, logs=None):
            if epoch == at_epoch:
                raise RuntimeError("Interrupting!")

        def on_train_batch_end(self, batch, logs=None):
            Interrupt.count += 1
            if Interrupt.count == after:
                raise RuntimeError("Interrupting!")

    return Interrupt()


@pytest.mark.parametrize("kwargs, interrupt", [
    ({}, {"at_epoch": 2}),
    ({"double_checkpoint": True}, {"at_epoch": 3}),
    ({"save_freq": 3}, {"after": 8}),
    ({"save_freq": 4, "double_checkpoint": True}, {"after": 11}),
])
def test_backup_files_and_metadata_as_keras(kwargs, interrupt, tmp_path):
    x, y = _backup_data()
    listings = []
    for name, model, callback_class, base in (
            ("keras", _keras_backup_model(), keras.callbacks.BackupAndRestore, keras.callbacks.Callback),
            ("ours", _our_backup_model(), BackupAndRestore, layerwise.callbacks.Callback)):
        directory = tmp_path / name
        with pytest.raises(RuntimeError, match="Interrupting!"):
            model.fit(x, y, epochs=5, batch_size=5, verbose=0,
                      callbacks=[callback_class(str(directory), **kwargs), _interrupt(base, **interrupt)])
        files = sorted(os.listdir(directory))
        metadata = {f: json.loads((directory / f).read_text()) for f in files if ".json" in f}
        listings.append((files, metadata))
    assert listings[1] == listings[0]


def test_keras_loads_a_layerwise_backup(tmp_path):
    x, y = _backup_data()
    ours = _our_backup_model()
    with pytest.raises(RuntimeError):
        ours.fit(x, y, epochs=4, batch_size=5, verbose=0,
                 callbacks=[BackupAndRestore(str(tmp_path), save_freq=3),
                            _interrupt(layerwise.callbacks.Callback, after=6)])
    theirs = _keras_backup_model()
    theirs.optimizer.build(theirs.trainable_variables)
    theirs.load_weights(str(tmp_path / "latest.weights.h5"))  # the layerwise state group is ignored
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(mine, keras_weight)
    assert int(theirs.optimizer.iterations) == 6
    # ... and Keras's BackupAndRestore resumes from it, at the start of the epoch the JSON names
    history = theirs.fit(x, y, epochs=4, batch_size=5, verbose=0,
                         callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path))])
    assert history.epoch == [1, 2, 3]


def test_layerwise_resumes_from_a_keras_backup(tmp_path):
    x, y = _backup_data()
    theirs = _keras_backup_model()
    with pytest.raises(RuntimeError):
        theirs.fit(x, y, epochs=5, batch_size=5, verbose=0,
                   callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path)),
                              _interrupt(keras.callbacks.Callback, at_epoch=3)])
    ours = _our_backup_model()
    restored = []
    spy = layerwise.callbacks.LambdaCallback(on_train_begin=lambda logs: restored.append(
        (ours.get_weights(), int(ours.optimizer.iterations))))
    history = ours.fit(x, y, epochs=5, batch_size=5, verbose=0, callbacks=[BackupAndRestore(str(tmp_path)), spy])
    assert history.epoch == [3, 4]
    weights, iterations = restored[0]
    for mine, keras_weight in zip(weights, theirs.get_weights()):
        np.testing.assert_array_equal(mine, keras_weight)
    assert iterations == 12
    assert not tmp_path.exists() or os.listdir(tmp_path) == []
