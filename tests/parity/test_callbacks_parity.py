"""Callbacks against real Keras 3: the same logs in give the same decisions, rates, messages and files.

Each Keras callback is driven with a real (compiled, built) Keras model and
ours with a real layerwise model, both fed the same sequence of epoch logs;
"training" is simulated by setting every weight to the epoch's index, so
that restored weights tell which epoch they came from.
"""

import copy
import math
import warnings

import keras
import numpy as np
import pytest

import layerwise
from layerwise.callbacks.csv_logger import CSVLogger
from layerwise.callbacks.early_stopping import EarlyStopping
from layerwise.callbacks.lambda_callback import LambdaCallback
from layerwise.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from layerwise.callbacks.terminate_on_nan import TerminateOnNaN


def _keras_model(learning_rate=0.1, metrics=None):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse", metrics=metrics)
    if metrics:  # Keras finds a metric's direction only once its compiled metrics are built
        model.evaluate(np.zeros((2, 2), "float32"), np.zeros((2, 1), "float32"), verbose=0)
    return model


def _our_model(learning_rate=0.1, metrics=None):
    model = layerwise.Sequential([layerwise.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer=layerwise.optimizers.SGD(learning_rate=learning_rate), loss="mse", metrics=metrics)
    if metrics:
        model.evaluate(np.zeros((2, 2), "float32"), np.zeros((2, 1), "float32"), verbose=0)
    return model


def _lr(model):
    return float(model.optimizer.learning_rate.numpy())


def _drive(callback, model, epoch_logs, capsys):
    """One simulated fit: returns what the callback decided, the rates, the logs, its output and warnings."""
    callback.set_model(model)
    callback.set_params({"verbose": 0, "epochs": len(epoch_logs), "steps": 1})
    model.stop_training = False
    capsys.readouterr()
    record = {"used_lr": [], "logged": []}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        callback.on_train_begin({})
        for epoch, logs in enumerate(epoch_logs):
            model.set_weights([np.full(w.shape, float(epoch), "float32") for w in model.get_weights()])
            callback.on_epoch_begin(epoch, {})
            record["used_lr"].append(_lr(model))
            logs = dict(logs)
            callback.on_epoch_end(epoch, logs)
            record["logged"].append(logs)
            if model.stop_training:
                break
        callback.on_train_end({})
    record["epochs_run"] = len(record["logged"])
    record["stop_training"] = bool(model.stop_training)
    record["weights_from_epoch"] = float(np.ravel(model.get_weights()[0])[0])
    record["final_lr"] = _lr(model)
    record["out"] = capsys.readouterr().out
    record["warnings"] = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    return record


def _state(callback, names):
    return {name: getattr(callback, name) for name in names}


def _series(values, monitor="val_loss"):
    return [{"loss": 0.5} if v is None else {"loss": 0.5, monitor: v} for v in values]


# ============================================================================ EarlyStopping

EARLY_STOPPING_CASES = [
    ({"patience": 2}, [1.0, 0.9, 0.95, 0.96, 0.97, 0.5], "val_loss", None),
    ({"patience": 0}, [1.0, 0.8, 0.8, 0.1], "val_loss", None),
    ({"patience": 3}, [1.0, 1.1, 0.9, 1.0, 0.8, 0.85, 0.7], "val_loss", None),
    ({"patience": 1, "min_delta": 0.1}, [1.0, 0.95, 0.92, 0.5], "val_loss", None),
    ({"patience": 1, "min_delta": -0.1}, [1.0, 0.85, 0.8, 0.79], "val_loss", None),
    ({"patience": 2, "baseline": 0.5}, [0.8, 0.9, 0.95, 0.1], "val_loss", None),
    ({"patience": 2, "baseline": 0.5}, [0.4, 0.45, 0.46, 0.47], "val_loss", None),
    ({"patience": 1, "baseline": 0.1}, [0.9, 0.8, 0.7, 0.6], "val_loss", None),
    ({"monitor": "loss", "patience": 0, "start_from_epoch": 2}, [0.5, 1.0, 2.0, 3.0, 4.0], "loss", None),
    ({"patience": 2, "restore_best_weights": True, "verbose": 1}, [1.0, 0.5, 0.7, 0.8, 0.1], "val_loss", None),
    # Runs to the end without stopping: Keras 3.15 restores the best weights here too.
    ({"patience": 5, "restore_best_weights": True, "verbose": 1}, [1.0, 0.5, 0.7, 0.8], "val_loss", None),
    ({"patience": 2, "baseline": 0.1, "restore_best_weights": True}, [0.5, 0.3, 0.4, 0.6], "val_loss", None),
    ({"patience": 0, "start_from_epoch": 10, "restore_best_weights": True}, [1.0, 2.0, 3.0], "val_loss", None),
    ({"patience": 0, "verbose": 1}, [1.0, 2.0, 0.5], "val_loss", None),
    ({"monitor": "val_accuracy", "mode": "max", "patience": 1, "min_delta": 0.05},
     [0.5, 0.56, 0.6, 0.7], "val_accuracy", None),
    ({"monitor": "val_accuracy", "mode": "min", "patience": 1}, [0.5, 0.6, 0.7, 0.4], "val_accuracy", None),
    ({"monitor": "score", "mode": "max", "patience": 2, "baseline": 0.9}, [0.5, 0.6, 0.95, 0.9, 0.9], "score", None),
    ({"monitor": "val_accuracy", "patience": 1}, [0.5, 0.6, 0.7, 0.6, 0.6], "val_accuracy", ["accuracy"]),
    ({"monitor": "val_mae", "patience": 1}, [0.5, 0.6, 0.4, 0.45, 0.45], "val_mae", ["mae"]),
    ({"monitor": "accuracy", "patience": 0, "verbose": 1, "restore_best_weights": True},
     [0.5, 0.75, 0.25], "accuracy", ["accuracy"]),
]


@pytest.mark.parametrize("kwargs, values, monitor, metrics", EARLY_STOPPING_CASES)
def test_early_stopping_decides_as_keras(kwargs, values, monitor, metrics, capsys):
    theirs = keras.callbacks.EarlyStopping(**kwargs)
    ours = EarlyStopping(**kwargs)
    logs = _series(values, monitor)
    expected = _drive(theirs, _keras_model(metrics=metrics), logs, capsys)
    got = _drive(ours, _our_model(metrics=metrics), logs, capsys)
    assert got == expected
    names = ["stopped_epoch", "best", "wait", "best_epoch"]
    assert _state(ours, names) == _state(theirs, names)
    if kwargs.get("restore_best_weights") and theirs.best_weights is not None:
        for mine, keras_weight in zip(ours.best_weights, theirs.best_weights):
            np.testing.assert_array_equal(mine, keras_weight)


def test_early_stopping_restores_without_stopping_like_keras(capsys):
    kwargs = {"patience": 10, "restore_best_weights": True, "verbose": 1}
    logs = _series([1.0, 0.25, 0.5, 0.75])
    theirs, ours = keras.callbacks.EarlyStopping(**kwargs), EarlyStopping(**kwargs)
    expected = _drive(theirs, _keras_model(), logs, capsys)
    got = _drive(ours, _our_model(), logs, capsys)
    assert expected["stop_training"] is False and expected["weights_from_epoch"] == 1.0
    assert got == expected
    assert got["out"] == "Restoring model weights from the end of the best epoch: 2.\n"


def test_early_stopping_missing_monitor_warns_as_keras(capsys):
    logs = [{"loss": 0.5, "accuracy": 0.25}] * 3
    expected = _drive(keras.callbacks.EarlyStopping(patience=0), _keras_model(), logs, capsys)
    got = _drive(EarlyStopping(patience=0), _our_model(), logs, capsys)
    assert got["warnings"] == expected["warnings"] == [
        ("Early stopping conditioned on metric `val_loss` which is not available. "
         "Available metrics are: loss,accuracy")
    ] * 3
    assert got == expected


def test_early_stopping_reused_across_fits_as_keras(capsys):
    kwargs = {"patience": 1, "restore_best_weights": True}
    theirs, ours = keras.callbacks.EarlyStopping(**kwargs), EarlyStopping(**kwargs)
    keras_model, our_model = _keras_model(), _our_model()
    for values in ([1.0, 2.0, 3.0], [5.0, 4.0, 4.5, 4.6]):
        expected = _drive(theirs, keras_model, _series(values), capsys)
        got = _drive(ours, our_model, _series(values), capsys)
        assert got == expected
        names = ["stopped_epoch", "best", "wait", "best_epoch"]
        assert _state(ours, names) == _state(theirs, names)


def test_early_stopping_unplaceable_name_raises_as_keras(capsys):
    logs = _series([0.5, 0.6], "val_mystery")
    with pytest.raises(ValueError) as theirs:
        _drive(keras.callbacks.EarlyStopping(monitor="val_mystery"), _keras_model(), logs, capsys)
    with pytest.raises(ValueError) as ours:
        _drive(EarlyStopping(monitor="val_mystery"), _our_model(), logs, capsys)
    assert str(ours.value) == str(theirs.value)


# ============================================================================ ReduceLROnPlateau

PLATEAU_CASES = [
    ({"factor": 0.5, "patience": 2}, [1.0] * 6, 1.0, "val_loss"),
    ({"factor": 0.5, "patience": 2, "cooldown": 2, "verbose": 1}, [1.0] * 9, 1.0, "val_loss"),
    ({"factor": 0.1, "patience": 0, "min_lr": 0.05, "verbose": 1}, [1.0] * 5, 1.0, "val_loss"),
    ({"factor": 0.5, "patience": 0, "min_lr": 1e-4, "verbose": 1}, [1.0] * 6, 1.5e-4, "val_loss"),
    ({"factor": 0.2, "patience": 1, "min_lr": 0.3, "verbose": 1}, [1.0] * 6, 0.9, "val_loss"),
    ({"factor": 0.5, "patience": 1, "min_delta": 0.1}, [1.0, 0.95, 0.8, 0.75, 0.7], 0.1, "val_loss"),
    ({"factor": 0.5, "patience": 1}, [1.0, 1.0 - 5e-5, 1.0 - 2e-4, 1.0 - 2.5e-4], 0.1, "val_loss"),
    ({"factor": 0.5, "patience": 1, "verbose": 1}, [1.0, 1.0, 0.9, 0.9, 0.8, 0.8, 0.8], 0.01, "val_loss"),
    ({"monitor": "val_accuracy", "mode": "max", "factor": 0.5, "patience": 1},
     [0.5, 0.6, 0.7, 0.6, 0.6], 0.1, "val_accuracy"),
    ({"monitor": "loss", "factor": 0.25, "patience": 0, "cooldown": 1, "verbose": 1},
     [3.0, 2.0, 2.5, 2.5, 2.5, 1.0, 1.5], 0.01, "loss"),
    ({"factor": 0.0, "patience": 0, "min_lr": 1e-3, "verbose": 1}, [1.0, 1.0, 1.0], 0.1, "val_loss"),
]


@pytest.mark.parametrize("kwargs, values, initial_lr, monitor", PLATEAU_CASES)
def test_reduce_lr_on_plateau_reduces_as_keras(kwargs, values, initial_lr, monitor, capsys):
    theirs = keras.callbacks.ReduceLROnPlateau(**kwargs)
    ours = ReduceLROnPlateau(**kwargs)
    logs = [{"loss": 0.5, monitor: v} for v in values]
    expected = _drive(theirs, _keras_model(initial_lr), logs, capsys)
    got = _drive(ours, _our_model(initial_lr), logs, capsys)
    assert got["logged"] == expected["logged"]  # the 'learning_rate' of every epoch, exactly
    assert got == expected
    names = ["wait", "best", "cooldown_counter"]
    assert _state(ours, names) == _state(theirs, names)


def test_reduce_lr_on_plateau_missing_monitor_warns_as_keras(capsys):
    logs = [{"loss": 0.5}] * 2
    expected = _drive(keras.callbacks.ReduceLROnPlateau(patience=0), _keras_model(), logs, capsys)
    got = _drive(ReduceLROnPlateau(patience=0), _our_model(), logs, capsys)
    assert got["warnings"] == expected["warnings"] == [
        ("Learning rate reduction is conditioned on metric `val_loss` which is not available. "
         "Available metrics are: loss,learning_rate.")
    ] * 2
    assert got == expected


@pytest.mark.parametrize("factor", [1.0, 2.5])
def test_reduce_lr_on_plateau_factor_message_as_keras(factor):
    with pytest.raises(ValueError) as theirs:
        keras.callbacks.ReduceLROnPlateau(factor=factor)
    with pytest.raises(ValueError) as ours:
        ReduceLROnPlateau(factor=factor)
    assert str(ours.value) == str(theirs.value)


# ============================================================================ LearningRateScheduler


def _exp_decay_after_two(epoch, lr):
    return lr if epoch < 2 else lr * math.exp(-0.1)


SCHEDULES = [
    (lambda epoch: 0.1 / (epoch + 1), 0),
    (lambda epoch, lr: lr * 0.5, 1),
    (_exp_decay_after_two, 1),
    (lambda epoch, lr: [0.3, 0.02, 0.001, 0.5, 1e-6][epoch], 1),
]


@pytest.mark.parametrize("schedule, verbose", SCHEDULES)
def test_learning_rate_scheduler_sets_and_logs_rates_as_keras(schedule, verbose, capsys):
    logs = _series([None] * 5)
    expected = _drive(keras.callbacks.LearningRateScheduler(schedule, verbose=verbose), _keras_model(0.2),
                      logs, capsys)
    got = _drive(LearningRateScheduler(schedule, verbose=verbose), _our_model(0.2), logs, capsys)
    assert got["used_lr"] == expected["used_lr"]
    assert [entry["learning_rate"] for entry in got["logged"]] == [
        entry["learning_rate"] for entry in expected["logged"]
    ]
    assert got == expected


def test_learning_rate_scheduler_refuses_a_non_number_as_keras(capsys):
    logs = _series([None] * 2)
    with pytest.raises(ValueError) as theirs:
        _drive(keras.callbacks.LearningRateScheduler(lambda epoch: "fast"), _keras_model(), logs, capsys)
    with pytest.raises(ValueError) as ours:
        _drive(LearningRateScheduler(lambda epoch: "fast"), _our_model(), logs, capsys)
    prefix = "The output of the `schedule` function should be a float"
    assert str(theirs.value).startswith(prefix) and str(ours.value).startswith(prefix)
    assert "Got: " in str(ours.value) and "fast" in str(ours.value)


# ============================================================================ TerminateOnNaN


@pytest.mark.parametrize("losses", [[0.5, 0.25, float("nan"), 0.1], [1.0, float("inf")], [0.5, 0.4]])
def test_terminate_on_nan_as_keras(losses, capsys):
    def drive(callback, model):
        callback.set_model(model)
        model.stop_training = False
        capsys.readouterr()
        for batch, loss in enumerate(losses):
            callback.on_train_batch_end(batch, {"loss": loss})
            if model.stop_training:
                break
        return batch, model.stop_training, capsys.readouterr().out

    assert drive(TerminateOnNaN(), _our_model()) == drive(keras.callbacks.TerminateOnNaN(), _keras_model())


def test_terminate_on_nan_raise_error_as_keras():
    messages = []
    for callback, model in ((keras.callbacks.TerminateOnNaN(raise_error=True), _keras_model()),
                            (TerminateOnNaN(raise_error=True), _our_model())):
        callback.set_model(model)
        with pytest.raises(RuntimeError) as error:
            callback.on_train_batch_end(4, {"loss": float("nan")})
        messages.append(str(error.value))
    assert messages[0] == messages[1]


# ============================================================================ CSVLogger

CSV_RUNS = [
    ({}, [[{"loss": 1.0, "accuracy": 0.5, "val_loss": 2.0, "val_accuracy": 0.25},
           {"loss": 0.75, "accuracy": 0.625, "val_loss": 1.5, "val_accuracy": 0.375}]]),
    ({}, [[{"loss": 1.0, "accuracy": 0.5}, {"loss": 0.75, "accuracy": 0.625}]]),
    ({}, [[{"loss": 1.0}, {"loss": 0.5, "val_loss": 0.25}, {"loss": 0.25}]]),
    ({"separator": ";"}, [[{"loss": 1.0, "val_loss": 2.0, "learning_rate": 0.0010000000474974513}]]),
    ({"append": True}, [[{"loss": 1.0, "val_loss": 2.0}], [{"loss": 0.5, "val_loss": 1.0}] * 2]),
    ({"append": False}, [[{"loss": 1.0, "val_loss": 2.0}], [{"loss": 0.5, "val_loss": 1.0}] * 2]),
    ({}, [[{"loss": 1.0, "val_loss": 2.0, "per_class": np.array([0.5, 0.25]), "note": "a,b",
            "zero_d": np.array(3.5)}]]),
]


@pytest.mark.parametrize("kwargs, runs", CSV_RUNS)
def test_csv_logger_writes_the_same_file_as_keras(kwargs, runs, tmp_path):
    files = []
    for name, cls in (("keras.csv", keras.callbacks.CSVLogger), ("ours.csv", CSVLogger)):
        path = tmp_path / name
        start = 0
        for run in runs:
            logger = cls(str(path), **kwargs)
            logger.on_train_begin({})
            for epoch, logs in enumerate(run, start):
                logger.on_epoch_end(epoch, copy.deepcopy(logs))
            logger.on_train_end({})
            start += len(run)
        files.append(path.read_bytes())
    assert files[1] == files[0]


# ============================================================================ LambdaCallback inside fit()


def _recording_callback(cls, events):
    return cls(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append(f"epoch_begin {epoch}"),
        on_train_batch_begin=lambda batch, logs: events.append(f"batch_begin {batch}"),
        on_train_batch_end=lambda batch, logs: events.append(f"batch_end {batch} {sorted(logs)}"),
        on_epoch_end=lambda epoch, logs: events.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: events.append("train_end"),
        on_test_begin=lambda logs: events.append("test_begin"),
        on_test_end=lambda logs: events.append(f"test_end {sorted(logs)}"),
    )


def test_lambda_callback_hooks_run_in_the_order_keras_runs_them():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    logs = {}
    for name, module, cls in (("keras", keras, keras.callbacks.LambdaCallback),
                              ("ours", layerwise, LambdaCallback)):
        events = []
        if name == "keras":
            model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
        else:
            model = layerwise.Sequential([layerwise.layers.Dense(1, activation="sigmoid", input_shape=(2,))])
        model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=2, batch_size=16, validation_split=0.2, verbose=0,
                  callbacks=[_recording_callback(cls, events)])
        logs[name] = events
    assert logs["ours"] == logs["keras"]
