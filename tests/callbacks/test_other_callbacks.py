"""TerminateOnNaN, CSVLogger and LambdaCallback: driven by hand, then inside real ``fit`` runs."""

import copy
import csv
import pickle

import numpy as np
import pytest

import layerwise
from layerwise.callbacks.callback import Callback, CallbackList, LazyLogs, _overrides
from layerwise.callbacks.csv_logger import CSVLogger
from layerwise.callbacks.lambda_callback import LambdaCallback
from layerwise.callbacks.learning_rate import LearningRateScheduler
from layerwise.callbacks.terminate_on_nan import TerminateOnNaN


class FakeModel:
    def __init__(self):
        self.stop_training = False
        self.metrics = []


def _read_rows(path, separator=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=separator))


def _log_epochs(logger, epoch_logs, start=0):
    """Drive ``logger`` through one fit() with the given per-epoch logs."""
    callbacks = CallbackList([logger], FakeModel(), {"epochs": len(epoch_logs)})
    callbacks.call("on_train_begin", {})
    for epoch, logs in enumerate(epoch_logs, start):
        callbacks.call("on_epoch_end", epoch, dict(logs))
    callbacks.call("on_train_end", {})


# ============================================================================ TerminateOnNaN


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), np.float32("nan")])
def test_terminate_on_nan_stops_at_a_bad_loss(bad, capsys):
    model = FakeModel()
    callback = TerminateOnNaN()
    callback.set_model(model)
    callback.on_train_batch_end(0, {"loss": 0.5})
    assert model.stop_training is False
    callback.on_train_batch_end(3, {"loss": bad})
    assert model.stop_training is True
    assert capsys.readouterr().out == "Batch 3: Invalid loss, terminating training\n"


def test_terminate_on_nan_ignores_finite_and_missing_losses(capsys):
    model = FakeModel()
    callback = TerminateOnNaN()
    callback.set_model(model)
    for batch, logs in enumerate([{"loss": 1e30}, {"accuracy": float("nan")}, {}, None]):
        callback.on_train_batch_end(batch, logs)
    assert model.stop_training is False
    assert capsys.readouterr().out == ""


def test_terminate_on_nan_raise_error():
    callback = TerminateOnNaN(raise_error=True)
    callback.set_model(FakeModel())
    with pytest.raises(RuntimeError) as error:
        callback.on_train_batch_end(7, {"loss": float("inf")})
    assert str(error.value) == "NaN or Inf loss encountered at batch 7. Loss value: inf. Terminating training immediately."
    assert callback.model.stop_training is False


def test_terminate_on_nan_reads_lazy_batch_logs_once():
    calls = []

    def compute():
        calls.append(1)
        return {"accuracy": 0.5, "loss": float("nan")}

    model = FakeModel()
    callbacks = CallbackList([TerminateOnNaN()], model, {})
    callbacks.call("on_train_batch_end", 0, LazyLogs(compute))
    assert model.stop_training is True
    assert calls == [1]


def test_terminate_on_nan_runs_at_batch_ends_only():
    callbacks = CallbackList([TerminateOnNaN()], FakeModel(), {})
    assert callbacks.wants("on_train_batch_end")
    assert not callbacks.wants("on_epoch_end") and not callbacks.wants("on_test_batch_end")
    # Keras's legacy name is the same check.
    model = FakeModel()
    callback = TerminateOnNaN()
    callback.set_model(model)
    callback.on_batch_end(0, {"loss": float("nan")})
    assert model.stop_training is True
    assert TerminateOnNaN().raise_error is False


# ============================================================================ CSVLogger


def test_csv_logger_writes_epoch_then_sorted_keys(tmp_path):
    path = tmp_path / "log.csv"
    epochs = [{"val_loss": 0.9, "loss": 1.0, "accuracy": 0.5, "val_accuracy": 0.4},
              {"val_loss": 0.7, "loss": 0.8, "accuracy": 0.625, "val_accuracy": 0.55}]
    _log_epochs(CSVLogger(path), epochs)
    rows = _read_rows(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert rows[1:] == [["0", "0.5", "1.0", "0.4", "0.9"], ["1", "0.625", "0.8", "0.55", "0.7"]]
    with open(path, newline="") as f:
        back = list(csv.DictReader(f))
    for row, logs in zip(back, epochs):
        assert {k: float(v) for k, v in row.items() if k != "epoch"} == logs


def test_csv_logger_adds_val_columns_when_the_first_epoch_has_none(tmp_path):
    # As Keras: no val_ key in the first epoch -> a val_ column per key, NA where there is no value.
    path = tmp_path / "log.csv"
    _log_epochs(CSVLogger(path), [{"loss": 1.0}, {"loss": 0.5, "val_loss": 0.25}])
    assert _read_rows(path) == [["epoch", "loss", "val_loss"], ["0", "1.0", "NA"], ["1", "0.5", "0.25"]]


def test_csv_logger_separator(tmp_path):
    path = tmp_path / "log.tsv"
    _log_epochs(CSVLogger(str(path), separator="\t"), [{"loss": 1.0, "val_loss": 2.0}])
    assert path.read_bytes() == b"epoch\tloss\tval_loss\r\n0\t1.0\t2.0\r\n"


def test_csv_logger_overwrites_by_default(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    _log_epochs(logger, [{"loss": 1.0, "val_loss": 2.0}] * 3)
    _log_epochs(logger, [{"loss": 0.5, "val_loss": 0.75}])
    assert _read_rows(path) == [["epoch", "loss", "val_loss"], ["0", "0.5", "0.75"]]


def test_csv_logger_append_continues_the_file_with_one_header(tmp_path):
    path = tmp_path / "log.csv"
    _log_epochs(CSVLogger(path, append=True), [{"loss": 1.0, "val_loss": 2.0}] * 2)
    _log_epochs(CSVLogger(path, append=True), [{"loss": 0.5, "val_loss": 0.75}] * 2, start=2)
    assert _read_rows(path) == [["epoch", "loss", "val_loss"], ["0", "1.0", "2.0"], ["1", "1.0", "2.0"],
                                ["2", "0.5", "0.75"], ["3", "0.5", "0.75"]]


def test_csv_logger_append_to_an_empty_or_missing_file_writes_the_header(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    _log_epochs(CSVLogger(empty, append=True), [{"loss": 1.0, "val_loss": 2.0}])
    assert _read_rows(empty)[0] == ["epoch", "loss", "val_loss"]
    missing = tmp_path / "missing.csv"
    _log_epochs(CSVLogger(missing, append=True), [{"loss": 1.0, "val_loss": 2.0}])
    assert _read_rows(missing) == [["epoch", "loss", "val_loss"], ["0", "1.0", "2.0"]]


def test_csv_logger_append_warns_when_the_columns_differ(tmp_path):
    path = tmp_path / "log.csv"
    _log_epochs(CSVLogger(path), [{"loss": 1.0, "val_loss": 2.0}])
    with pytest.warns(UserWarning, match=r"whose columns are \['epoch', 'loss', 'val_loss'\], rows with the "
                                         r"columns \['epoch', 'accuracy', 'loss', 'val_accuracy', 'val_loss'\]"):
        _log_epochs(CSVLogger(path, append=True),
                    [{"loss": 1.0, "val_loss": 2.0, "accuracy": 0.5, "val_accuracy": 0.5}])
    assert len(_read_rows(path)) == 3


def test_csv_logger_flushes_each_epoch_and_closes_at_train_end(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)
    logger.set_model(FakeModel())
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    assert _read_rows(path) == [["epoch", "loss", "val_loss"], ["0", "1.0", "2.0"]]
    logger.on_epoch_end(1, {"loss": 0.5, "val_loss": 1.5})
    assert len(_read_rows(path)) == 3
    assert not logger.csv_file.closed
    logger.on_train_end()
    assert logger.csv_file.closed


def test_csv_logger_writes_sequences_and_strings_as_keras_does(tmp_path):
    path = tmp_path / "log.csv"
    _log_epochs(CSVLogger(path), [{"loss": 1.0, "val_loss": 2.0, "per_class": np.array([0.5, 0.25]),
                                   "note": "ok", "zero_d": np.array(3.5)}])
    rows = _read_rows(path)
    assert rows[0] == ["epoch", "loss", "note", "per_class", "val_loss", "zero_d"]
    assert rows[1] == ["0", "1.0", "ok", '"[0.5, 0.25]"', "2.0", "3.5"]


@pytest.mark.parametrize("separator", ["", ";;", 1, None])
def test_csv_logger_refuses_a_bad_separator(separator, tmp_path):
    with pytest.raises(ValueError) as error:
        CSVLogger(tmp_path / "log.csv", separator=separator)
    assert str(error.value) == (
        "CSVLogger: `separator` must be a single character such as ',' or ';' or '\\t'; "
        f"got separator={separator!r}."
    )


def test_csv_logger_refuses_a_bad_filename():
    with pytest.raises(ValueError) as error:
        CSVLogger(42)
    assert str(error.value) == "CSVLogger: `filename` must be a path (str or os.PathLike); got filename=42."


def test_csv_logger_defaults():
    logger = CSVLogger("x.csv")
    assert (logger.filename, logger.sep, logger.append) == ("x.csv", ",", False)


# ============================================================================ LambdaCallback


def test_lambda_callback_calls_the_functions_given():
    events = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: events.append(("train_begin", logs)),
        on_epoch_begin=lambda epoch, logs: events.append(("epoch_begin", epoch)),
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, logs["loss"])),
        on_train_batch_begin=lambda batch, logs: events.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: events.append(("batch_end", batch)),
        on_train_end=lambda logs: events.append(("train_end",)),
    )
    callbacks = CallbackList([callback], FakeModel(), {})
    callbacks.call("on_train_begin", {})
    callbacks.call("on_epoch_begin", 0, {})
    callbacks.call("on_train_batch_begin", 0, {})
    callbacks.call("on_train_batch_end", 0, {})
    callbacks.call("on_epoch_end", 0, {"loss": 0.25})
    callbacks.call("on_train_end", {})
    assert events == [("train_begin", {}), ("epoch_begin", 0), ("batch_begin", 0), ("batch_end", 0),
                      ("epoch_end", 0, 0.25), ("train_end",)]


def test_lambda_callback_overrides_only_the_hooks_given():
    callback = LambdaCallback(on_epoch_end=lambda epoch, logs: None)
    assert _overrides(callback, "on_epoch_end")
    for hook in ("on_epoch_begin", "on_train_begin", "on_train_end", "on_train_batch_begin",
                 "on_train_batch_end", "on_test_batch_end", "on_predict_batch_end"):
        assert not _overrides(callback, hook), hook
    callbacks = CallbackList([callback], FakeModel(), {})
    assert callbacks.wants("on_epoch_end")
    assert not callbacks.wants("on_train_batch_end")


def test_lambda_callbacks_do_not_share_hooks():
    first = LambdaCallback(on_epoch_end=lambda epoch, logs: "first")
    second = LambdaCallback(on_train_batch_end=lambda batch, logs: "second")
    assert first.on_epoch_end(0, {}) == "first"
    assert not _overrides(second, "on_epoch_end")
    assert not _overrides(first, "on_train_batch_end")
    assert isinstance(first, LambdaCallback) and isinstance(first, Callback)
    assert type(first) is not type(second)
    assert type(first).__name__ == "LambdaCallback"
    assert not _overrides(LambdaCallback(), "on_epoch_end")


def test_lambda_callback_other_hooks_by_keyword():
    events = []
    callback = LambdaCallback(on_test_end=lambda logs: events.append("test_end"),
                              on_predict_batch_end=lambda batch, logs: events.append(("predict", batch)),
                              on_batch_end=lambda batch, logs: events.append(("legacy", batch)))
    callbacks = CallbackList([callback], FakeModel(), {})
    assert callbacks.wants("on_test_end") and callbacks.wants("on_predict_batch_end")
    # The legacy on_batch_end is reached through on_train_batch_end, as in Keras.
    assert callbacks.wants("on_train_batch_end")
    assert not callbacks.wants("on_train_batch_begin")
    callbacks.call("on_test_end", {})
    callbacks.call("on_predict_batch_end", 2, {})
    callbacks.call("on_train_batch_end", 5, {})
    assert events == ["test_end", ("predict", 2), ("legacy", 5)]


def test_lambda_callback_hooks_set_later_and_removed():
    events = []
    callback = LambdaCallback()
    callback.on_epoch_begin = lambda epoch, logs: events.append(epoch)
    assert _overrides(callback, "on_epoch_begin")
    callback.on_epoch_begin(4, {})
    callback.on_epoch_begin = None
    assert not _overrides(callback, "on_epoch_begin")
    assert events == [4]


def test_lambda_callback_extra_keywords_become_attributes():
    callback = LambdaCallback(on_epoch_end=lambda epoch, logs: None, note="keep")
    assert callback.note == "keep"


def test_lambda_callback_refuses_unknown_hooks_and_non_functions():
    with pytest.raises(ValueError, match=r"^LambdaCallback: 'on_epoch_ends' is not a callback hook; the "
                                         r"hooks are on_batch_begin, on_batch_end, on_epoch_begin,"):
        LambdaCallback(on_epoch_ends=lambda epoch, logs: None)
    with pytest.raises(ValueError) as error:
        LambdaCallback(on_epoch_end="print")
    assert str(error.value) == "LambdaCallback: `on_epoch_end` must be a function (or None); got on_epoch_end='print'."


def _record_epoch(epoch, logs):
    return ("recorded", epoch)


def test_lambda_callback_copies_and_pickles():
    callback = LambdaCallback(on_epoch_end=_record_epoch)
    for clone in (copy.copy(callback), copy.deepcopy(callback), pickle.loads(pickle.dumps(callback))):
        assert type(clone) is not type(callback)
        assert isinstance(clone, LambdaCallback)
        assert clone.on_epoch_end(3, {}) == ("recorded", 3)
        assert _overrides(clone, "on_epoch_end") and not _overrides(clone, "on_epoch_begin")
        clone.on_epoch_end = None
        assert _overrides(callback, "on_epoch_end")


def test_lambda_callback_subclass_keeps_its_own_hooks():
    class Counting(LambdaCallback):
        def on_train_begin(self, logs=None):
            self.began = True

    callback = Counting(on_epoch_end=lambda epoch, logs: None)
    assert _overrides(callback, "on_train_begin") and _overrides(callback, "on_epoch_end")
    assert not _overrides(callback, "on_epoch_begin")
    callback.on_train_begin()
    assert callback.began and isinstance(callback, Counting)


# ============================================================================ inside fit()


def _classification(n=120, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
    return x, y


def _classifier(learning_rate=0.05):
    model = layerwise.Sequential([layerwise.layers.Dense(4, activation="relu", input_shape=(3,)),
                                  layerwise.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=layerwise.optimizers.Adam(learning_rate=learning_rate),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_fit_csv_rows_equal_the_history(tmp_path):
    x, y = _classification()
    model = _classifier()
    path = tmp_path / "training.log"
    history = model.fit(x, y, epochs=4, validation_split=0.25, verbose=0, callbacks=[CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["epoch"] + sorted(history.history)
    assert [int(row["epoch"]) for row in rows] == history.epoch == [0, 1, 2, 3]
    for key, values in history.history.items():
        assert [float(row[key]) for row in rows] == values


def test_fit_csv_logger_append_resumes_training(tmp_path):
    x, y = _classification()
    model = _classifier()
    path = tmp_path / "training.log"
    model.fit(x, y, epochs=2, validation_split=0.25, verbose=0, callbacks=[CSVLogger(path, append=True)])
    second = model.fit(x, y, epochs=4, initial_epoch=2, validation_split=0.25, verbose=0,
                       callbacks=[CSVLogger(path, append=True)])
    rows = _read_rows(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "2", "3"]
    assert [float(row[2]) for row in rows[3:]] == second.history["loss"]


def _exploding_model():
    """A regression whose loss overflows to inf at the second step (fit refuses NaN data itself)."""
    model = layerwise.Sequential([layerwise.layers.Dense(1, input_shape=(3,))])
    model.compile(optimizer=layerwise.optimizers.SGD(learning_rate=1e30), loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 3)).astype("float32")
    y = (10 * x.sum(axis=1, keepdims=True)).astype("float32")
    return model, x, y


def test_fit_terminate_on_nan_stops_within_the_first_epoch(capsys):
    model, x, y = _exploding_model()
    seen = []
    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0, shuffle=False,
                        callbacks=[TerminateOnNaN(),
                                   LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))])
    assert seen == [0, 1]  # stopped after the batch whose loss overflowed
    assert len(history.history["loss"]) == 1
    assert not np.isfinite(history.history["loss"][0])
    assert capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"


def test_fit_terminate_on_nan_raise_error():
    model, x, y = _exploding_model()
    ended = []
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 1. Loss value: inf"):
        model.fit(x, y, epochs=2, verbose=0, shuffle=False,
                  callbacks=[TerminateOnNaN(raise_error=True), LambdaCallback(on_train_end=ended.append)])
    assert ended == []


def test_fit_lambda_callback_sees_every_hook_it_asked_for():
    x, y = _classification(n=64)
    model = _classifier()
    events = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append(f"epoch_begin {epoch}"),
        on_train_batch_end=lambda batch, logs: events.append(f"batch_end {batch} {logs['loss'] > 0}"),
        on_epoch_end=lambda epoch, logs: events.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: events.append("train_end"),
    )
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[callback])
    assert events == [
        "train_begin",
        "epoch_begin 0", "batch_end 0 True", "batch_end 1 True", "epoch_end 0 ['accuracy', 'loss']",
        "epoch_begin 1", "batch_end 0 True", "batch_end 1 True", "epoch_end 1 ['accuracy', 'loss']",
        "train_end",
    ]


def test_fit_lambda_callback_with_epoch_hooks_only_reads_no_batch_logs(monkeypatch):
    x, y = _classification(n=64)
    model = _classifier()
    reads = []
    original = type(model)._logs

    def counting_logs(self, prefix=""):
        reads.append(prefix)
        return original(self, prefix)

    monkeypatch.setattr(type(model), "_logs", counting_logs)
    epochs_seen = []
    model.fit(x, y, epochs=3, batch_size=8, verbose=0,
              callbacks=[LambdaCallback(on_epoch_end=lambda epoch, logs: epochs_seen.append(epoch))])
    assert epochs_seen == [0, 1, 2]
    assert len(reads) == 3  # one read per epoch end, none per batch


def test_fit_scheduler_then_csv_logger_logs_the_rate(tmp_path):
    x, y = _classification(n=64)
    model = _classifier()
    path = tmp_path / "log.csv"
    history = model.fit(x, y, epochs=3, verbose=0, validation_split=0.25,
                        callbacks=[LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1)), CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [float(row["learning_rate"]) for row in rows] == history.history["learning_rate"]
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.02, 0.03], rel=1e-6)
