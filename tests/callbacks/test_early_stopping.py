"""EarlyStopping: driven by hand-made logs on a fake model, then inside real ``fit`` runs."""

import warnings

import numpy as np
import pytest

import layerwise
from layerwise.callbacks.callback import Callback, CallbackList
from layerwise.callbacks.early_stopping import EarlyStopping
from layerwise.callbacks.history import History


class FakeOptimizer:
    def __init__(self, learning_rate=0.01):
        self.learning_rate = learning_rate


class FakeMetric:
    def __init__(self, name, direction=None):
        self.name = name
        if direction is not None:
            self._direction = direction


class FakeModel:
    """What callbacks touch: stop_training, optimizer.learning_rate, get/set_weights, metrics."""

    def __init__(self, metrics=()):
        self.stop_training = False
        self.optimizer = FakeOptimizer()
        self.metrics = list(metrics)
        self._weights = [np.zeros((2, 2), "float32"), np.zeros(2, "float32")]
        self.set_weights_calls = 0

    def get_weights(self):
        return [w.copy() for w in self._weights]

    def set_weights(self, weights):
        self.set_weights_calls += 1
        self._weights = [np.array(w, copy=True) for w in weights]

    def train_one_epoch(self, epoch):
        """Stand-in for an epoch of training: the weights become the epoch's index."""
        self._weights = [np.full_like(w, epoch) for w in self._weights]

    @property
    def weight_epoch(self):
        return int(self._weights[0][0, 0])


def run(callback, values, monitor="val_loss", model=None, extra=None):
    """Drive ``callback`` as fit() would over one epoch per value; returns (model, epochs run)."""
    model = model or FakeModel()
    callbacks = CallbackList([callback], model, {"verbose": 0, "epochs": len(values), "steps": 1})
    model.stop_training = False
    callbacks.call("on_train_begin", {})
    ran = 0
    logs = {}
    for epoch, value in enumerate(values):
        callbacks.call("on_epoch_begin", epoch, {})
        model.train_one_epoch(epoch)
        logs = {"loss": 1.0, **(extra or {})}
        if value is not None:
            logs[monitor] = value
        logs = dict(sorted(logs.items()))
        callbacks.call("on_epoch_end", epoch, logs)
        ran += 1
        if model.stop_training:
            break
    callbacks.call("on_train_end", logs)
    return model, ran


# ---------------------------------------------------------------------------- patience and min_delta


def test_patience_counts_epochs_without_improvement():
    es = EarlyStopping(patience=2)
    model, ran = run(es, [1.0, 0.9, 0.95, 0.96, 0.97, 0.5])
    assert ran == 4
    assert model.stop_training is True
    assert es.stopped_epoch == 3
    assert es.best == 0.9
    assert es.best_epoch == 1
    assert es.wait == 2


def test_patience_zero_stops_at_first_epoch_without_improvement():
    es = EarlyStopping(patience=0)
    _, ran = run(es, [1.0, 0.8, 0.8, 0.1])
    assert ran == 3  # equal is not an improvement
    assert es.stopped_epoch == 2


def test_improvements_reset_the_wait():
    es = EarlyStopping(patience=2)
    _, ran = run(es, [1.0, 1.1, 0.9, 1.0, 0.8, 0.85, 0.7])
    assert ran == 7
    assert es.stopped_epoch == 0
    assert es.best == 0.7
    assert es.wait == 0


def test_min_delta_small_changes_are_no_improvement():
    es = EarlyStopping(patience=1, min_delta=0.1)
    _, ran = run(es, [1.0, 0.95, 0.92, 0.5])
    assert ran == 2
    assert es.best == 1.0
    assert es.stopped_epoch == 1


@pytest.mark.parametrize("min_delta", [0.1, -0.1])
def test_min_delta_sign_is_ignored(min_delta):
    es = EarlyStopping(patience=1, min_delta=min_delta)
    _, ran = run(es, [1.0, 0.85, 0.8, 0.79])
    # 0.85 improves on 1.0 by more than 0.1; 0.8 and 0.79 do not improve on 0.85 by 0.1.
    assert es.min_delta == 0.1
    assert ran == 3
    assert es.best == 0.85


def test_min_delta_in_max_mode():
    es = EarlyStopping(monitor="val_accuracy", patience=0, min_delta=0.05)
    _, ran = run(es, [0.5, 0.56, 0.6], monitor="val_accuracy")
    assert ran == 3
    assert es.best == 0.56
    assert es.stopped_epoch == 2


def test_min_delta_ties_are_decided_in_float32_as_keras():
    # 0.7 + 0.1 is 0.7999999999999999 in float64 but 0.8 in float32: no improvement on 0.8.
    es = EarlyStopping(patience=0, min_delta=0.1)
    _, ran = run(es, [0.8, 0.7])
    assert ran == 2
    assert es.best == 0.8


def test_huge_values_do_not_warn():
    es = EarlyStopping(patience=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, ran = run(es, [1e39, 1e40, 5.0])
    assert ran == 3
    assert es.best == 5.0


# ---------------------------------------------------------------------------- modes


def test_mode_max_stops_when_the_value_stops_rising():
    es = EarlyStopping(monitor="score", mode="max", patience=2)
    _, ran = run(es, [0.5, 0.6, 0.55, 0.58, 0.9], monitor="score")
    assert ran == 4
    assert es.best == 0.6


def test_mode_min_on_the_same_values_stops_earlier():
    es = EarlyStopping(monitor="score", mode="min", patience=2)
    _, ran = run(es, [0.5, 0.6, 0.55, 0.58, 0.9], monitor="score")
    assert ran == 3
    assert es.best == 0.5


@pytest.mark.parametrize("monitor", ["val_accuracy", "accuracy", "acc", "val_acc", "val_auc",
                                     "val_sparse_categorical_accuracy", "precision", "val_recall",
                                     "f1_score", "r2_score"])
def test_auto_mode_maximises_accuracy_like_names(monitor):
    es = EarlyStopping(monitor=monitor, patience=0)
    _, ran = run(es, [0.5, 0.6, 0.7, 0.65], monitor=monitor)
    assert ran == 4
    assert es.best == 0.7


@pytest.mark.parametrize("monitor", ["val_loss", "loss", "dense_1_loss", "val_mae", "mse",
                                     "val_mean_squared_error", "categorical_crossentropy"])
def test_auto_mode_minimises_loss_like_names(monitor):
    es = EarlyStopping(monitor=monitor, patience=0)
    _, ran = run(es, [0.5, 0.4, 0.3, 0.35], monitor=monitor)
    assert ran == 4
    assert es.best == 0.3


def test_auto_mode_follows_the_metric_objects_direction():
    # A metric object of that name decides over the name: 'val_mystery' is maximised here.
    model = FakeModel(metrics=[FakeMetric("loss"), FakeMetric("mystery", direction="up")])
    es = EarlyStopping(monitor="val_mystery", patience=0)
    _, ran = run(es, [0.5, 0.6, 0.4], monitor="val_mystery", model=model)
    assert ran == 3
    assert es.best == 0.6
    model = FakeModel(metrics=[FakeMetric("accuracy_gap", direction="down")])
    es = EarlyStopping(monitor="accuracy_gap", patience=0)
    _, ran = run(es, [0.5, 0.4, 0.45], monitor="accuracy_gap", model=model)
    assert ran == 3
    assert es.best == 0.4


def test_auto_mode_refuses_a_name_it_cannot_place():
    es = EarlyStopping(monitor="val_mystery")
    with pytest.raises(ValueError, match=r"EarlyStopping callback received monitor=val_mystery, but Keras "
                                         r"isn't able to automatically determine whether that metric should "
                                         r"be maximized or minimized. Pass `mode='max'`"):
        run(es, [0.5, 0.6], monitor="val_mystery")


# ---------------------------------------------------------------------------- baseline


def test_baseline_not_beaten_counts_towards_patience():
    es = EarlyStopping(patience=2, baseline=0.5)
    _, ran = run(es, [0.8, 0.9, 0.95, 0.1])
    # Epoch 0 is the best so far but does not beat the baseline, so its wait is not reset.
    assert ran == 2
    assert es.stopped_epoch == 1
    assert es.best == 0.8


def test_baseline_beaten_resets_the_wait():
    es = EarlyStopping(patience=2, baseline=0.5)
    _, ran = run(es, [0.4, 0.45, 0.46, 0.47])
    assert ran == 3
    assert es.stopped_epoch == 2
    assert es.best == 0.4


def test_baseline_with_improvements_that_never_beat_it_keeps_training():
    # As in Keras: an improving epoch returns before the patience check.
    es = EarlyStopping(patience=1, baseline=0.1)
    _, ran = run(es, [0.9, 0.8, 0.7, 0.6])
    assert ran == 4
    assert es.wait == 4


def test_baseline_in_max_mode():
    es = EarlyStopping(monitor="val_accuracy", patience=1, baseline=0.9)
    _, ran = run(es, [0.5, 0.4, 0.6], monitor="val_accuracy")
    assert ran == 2


# ---------------------------------------------------------------------------- start_from_epoch


def test_start_from_epoch_ignores_the_warm_up_epochs():
    es = EarlyStopping(monitor="loss", patience=0, start_from_epoch=2)
    _, ran = run(es, [0.5, 1.0, 2.0, 3.0, 4.0], monitor="loss")
    assert ran == 4
    assert es.stopped_epoch == 3
    assert es.best == 2.0
    assert es.best_epoch == 2


def test_without_start_from_epoch_the_same_values_stop_at_once():
    es = EarlyStopping(monitor="loss", patience=0)
    _, ran = run(es, [0.5, 1.0, 2.0, 3.0, 4.0], monitor="loss")
    assert ran == 2
    assert es.stopped_epoch == 1


# ---------------------------------------------------------------------------- restore_best_weights


def test_restore_best_weights_when_stopping_early(capsys):
    es = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    model, ran = run(es, [1.0, 0.5, 0.7, 0.8, 0.1])
    assert ran == 4
    assert es.best_epoch == 1
    assert model.weight_epoch == 1
    assert [w.tolist() for w in es.best_weights] == [[[1.0, 1.0], [1.0, 1.0]], [1.0, 1.0]]
    assert capsys.readouterr().out == (
        "Epoch 4: early stopping\nRestoring model weights from the end of the best epoch: 2.\n"
    )


def test_restore_best_weights_also_when_training_runs_to_the_end(capsys):
    es = EarlyStopping(patience=5, restore_best_weights=True, verbose=1)
    model, ran = run(es, [1.0, 0.5, 0.7, 0.8])
    assert ran == 4
    assert es.stopped_epoch == 0
    assert model.stop_training is False
    assert model.weight_epoch == 1
    assert model.set_weights_calls == 1
    assert capsys.readouterr().out == "Restoring model weights from the end of the best epoch: 2.\n"


def test_restore_best_weights_keeps_the_last_epoch_when_it_is_the_best():
    es = EarlyStopping(patience=5, restore_best_weights=True)
    model, _ = run(es, [1.0, 0.5, 0.2])
    assert model.weight_epoch == 2


def test_restore_best_weights_ignores_the_baseline():
    es = EarlyStopping(patience=2, baseline=0.1, restore_best_weights=True)
    model, ran = run(es, [0.5, 0.3, 0.4, 0.6])
    assert ran == 3
    assert model.weight_epoch == 1


def test_without_restore_the_last_weights_stay(capsys):
    es = EarlyStopping(patience=2, verbose=1)
    model, ran = run(es, [1.0, 0.5, 0.7, 0.8])
    assert ran == 4
    assert model.weight_epoch == 3
    assert model.set_weights_calls == 0
    assert es.best_weights is None
    assert capsys.readouterr().out == "Epoch 4: early stopping\n"


class AliasingModel(FakeModel):
    """get_weights() returns the live arrays, which training changes in place (as numpy views of
    CPU torch tensors do)."""

    def get_weights(self):
        return self._weights

    def train_one_epoch(self, epoch):
        for w in self._weights:
            w[...] = epoch


def test_best_weights_are_copies_even_when_get_weights_returns_live_arrays():
    es = EarlyStopping(patience=2, restore_best_weights=True)
    model, ran = run(es, [1.0, 0.5, 0.7, 0.8], model=AliasingModel())
    assert ran == 4
    assert model.weight_epoch == 1
    assert es.best_weights[0][0, 0] == 1


def test_nothing_to_restore_when_no_epoch_was_watched():
    es = EarlyStopping(patience=0, start_from_epoch=10, restore_best_weights=True)
    model, ran = run(es, [1.0, 2.0, 3.0])
    assert ran == 3
    assert model.set_weights_calls == 0
    assert model.weight_epoch == 2


def test_verbose_zero_prints_nothing(capsys):
    es = EarlyStopping(patience=0, restore_best_weights=True)
    run(es, [1.0, 2.0])
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------------------- missing key, reuse


def test_missing_monitor_warns_with_the_available_keys():
    es = EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match=r"^Early stopping conditioned on metric `val_loss` which is not "
                                         r"available\. Available metrics are: accuracy,loss$"):
        model, ran = run(es, [None, None, None], extra={"accuracy": 0.5})
    assert ran == 3
    assert model.stop_training is False
    assert es.best is None


def test_state_is_reset_by_each_fit():
    es = EarlyStopping(patience=0, restore_best_weights=True)
    run(es, [1.0, 2.0])
    assert es.stopped_epoch == 1
    assert es.best == 1.0
    _, ran = run(es, [5.0, 4.0, 3.0])
    assert ran == 3
    assert es.stopped_epoch == 0
    assert es.best == 3.0
    assert es.best_epoch == 2
    assert es.wait == 0


def test_only_epoch_and_train_hooks_are_run_by_the_loop():
    callbacks = CallbackList([EarlyStopping()], FakeModel(), {})
    assert callbacks.wants("on_epoch_end") and callbacks.wants("on_train_begin")
    assert not callbacks.wants("on_train_batch_end")
    assert not callbacks.wants("on_epoch_begin")


# ---------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("kwargs, message", [
    ({"patience": -1}, "EarlyStopping: `patience` must be an integer >= 0; got patience=-1."),
    ({"patience": 2.5}, "EarlyStopping: `patience` must be an integer >= 0; got patience=2.5."),
    ({"start_from_epoch": -2}, "EarlyStopping: `start_from_epoch` must be an integer >= 0; got start_from_epoch=-2."),
    ({"mode": "maximum"}, "EarlyStopping: `mode` must be one of 'auto', 'min', 'max'; got mode='maximum'."),
    ({"min_delta": "0.1"}, "EarlyStopping: `min_delta` must be a finite number; got min_delta='0.1'."),
    ({"baseline": "high"}, "EarlyStopping: `baseline` must be a finite number or None; got baseline='high'."),
    ({"verbose": "yes"}, "EarlyStopping: `verbose` must be an integer >= 0; got verbose='yes'."),
    ({"monitor": None}, ("EarlyStopping: `monitor` must be the name of a logged quantity such as 'val_loss' "
                         "or 'val_accuracy'; got monitor=None.")),
])
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError) as error:
        EarlyStopping(**kwargs)
    assert str(error.value) == message


def test_defaults_match_keras():
    es = EarlyStopping()
    assert (es.monitor, es.min_delta, es.patience, es.verbose, es.mode, es.baseline,
            es.restore_best_weights, es.start_from_epoch) == ("val_loss", 0, 0, 0, "auto", None, False, 0)
    assert (es.wait, es.stopped_epoch, es.best, es.best_weights, es.best_epoch) == (0, 0, None, None, 0)


# ---------------------------------------------------------------------------- inside fit()


def _plateau_problem(n=200, seed=0):
    """Targets that are pure noise: the validation loss cannot keep improving."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = rng.normal(size=(n, 1)).astype("float32")
    return x, y


def _regressor(learning_rate=0.05):
    model = layerwise.Sequential([layerwise.layers.Dense(8, activation="relu", input_shape=(4,)),
                                  layerwise.layers.Dense(1)])
    model.compile(optimizer=layerwise.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return model


def test_fit_stops_early_on_a_plateau():
    x, y = _plateau_problem()
    model = _regressor()
    es = EarlyStopping(patience=2)
    history = model.fit(x, y, epochs=50, validation_split=0.3, callbacks=[es], verbose=0)
    epochs_run = len(history.history["val_loss"])
    assert epochs_run < 50
    assert es.stopped_epoch == epochs_run - 1
    assert model.stop_training is True
    val = history.history["val_loss"]
    assert es.best == min(val)
    assert es.best_epoch == val.index(min(val))
    # patience=2: the last two epochs did not beat the best.
    assert all(v >= es.best for v in val[-2:])


def test_fit_restores_the_best_weights():
    x, y = _plateau_problem()
    model = _regressor()
    es = EarlyStopping(patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=50, validation_split=0.3, callbacks=[es], verbose=0)
    x_val, y_val = x[140:], y[140:]
    restored = model.evaluate(x_val, y_val, verbose=0)
    assert restored == pytest.approx(min(history.history["val_loss"]), rel=1e-5)


def test_fit_restores_the_best_weights_without_stopping():
    x, y = _plateau_problem()
    model = _regressor(learning_rate=0.2)
    es = EarlyStopping(monitor="val_loss", patience=100, restore_best_weights=True)
    history = model.fit(x, y, epochs=8, validation_split=0.3, callbacks=[es], verbose=0)
    assert len(history.history["val_loss"]) == 8
    assert es.stopped_epoch == 0
    restored = model.evaluate(x[140:], y[140:], verbose=0)
    assert restored == pytest.approx(min(history.history["val_loss"]), rel=1e-5)


def test_fit_with_a_missing_monitor_warns_and_runs_all_epochs():
    x, y = _plateau_problem(n=40)
    model = _regressor()
    with pytest.warns(UserWarning, match="Early stopping conditioned on metric `val_loss` which is not "
                                         "available. Available metrics are: loss"):
        history = model.fit(x, y, epochs=3, callbacks=[EarlyStopping(patience=0)], verbose=0)
    assert len(history.history["loss"]) == 3


def test_fit_custom_callback_stops_once_accuracy_passes_a_threshold():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(256, 2)).astype("float32")
    y = (x[:, :1] + x[:, 1:] > 0).astype("float32")
    model = layerwise.Sequential([layerwise.layers.Dense(1, activation="sigmoid", input_shape=(2,))])
    model.compile(optimizer=layerwise.optimizers.Adam(learning_rate=0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])

    class StopAtAccuracy(Callback):
        def __init__(self, threshold):
            super().__init__()
            self.threshold = threshold
            self.stopped_at = None

        def on_epoch_end(self, epoch, logs=None):
            if logs["accuracy"] > self.threshold:
                self.stopped_at = epoch
                self.model.stop_training = True

    stopper = StopAtAccuracy(0.9)
    history = model.fit(x, y, epochs=100, batch_size=32, callbacks=[stopper], verbose=0)
    assert isinstance(history, History)
    assert stopper.stopped_at is not None
    assert len(history.history["accuracy"]) == stopper.stopped_at + 1 < 100
    assert history.history["accuracy"][-1] > 0.9
    assert all(a <= 0.9 for a in history.history["accuracy"][:-1])
