"""LearningRateScheduler and ReduceLROnPlateau: hand-made logs on a fake model, then real ``fit`` runs."""

import math
import warnings

import numpy as np
import pytest
import torch

import layerwise
from layerwise.callbacks.callback import CallbackList
from layerwise.callbacks.csv_logger import CSVLogger
from layerwise.callbacks.history import History
from layerwise.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau


class FakeOptimizer:
    def __init__(self, learning_rate=1.0, name="sgd"):
        self.learning_rate = learning_rate
        self.name = name


class MultiOptimizer:
    """Keras's shape for several optimizers: an ``optimizers`` list."""

    def __init__(self, *optimizers):
        self.optimizers = list(optimizers)


class FakeModel:
    def __init__(self, learning_rate=1.0, optimizer=None):
        self.stop_training = False
        self.optimizer = optimizer or FakeOptimizer(learning_rate)
        self.metrics = []

    def get_weights(self):
        return []

    def set_weights(self, weights):
        pass


def run(callback, values, model=None, monitor="val_loss"):
    """Drive ``callback`` (then a History) over one epoch per value, as fit() orders them.

    Returns (model, history, learning rates in force during each epoch).
    """
    model = model or FakeModel()
    history = History()
    callbacks = CallbackList([callback, history], model, {"verbose": 0, "epochs": len(values), "steps": 1})
    callbacks.call("on_train_begin", {})
    used = []
    for epoch, value in enumerate(values):
        callbacks.call("on_epoch_begin", epoch, {})
        used.append(model.optimizer.learning_rate if not hasattr(model.optimizer, "optimizers")
                    else [o.learning_rate for o in model.optimizer.optimizers])
        logs = {"loss": 0.5} if value is None else dict(sorted({"loss": 0.5, monitor: value}.items()))
        callbacks.call("on_epoch_end", epoch, logs)
    callbacks.call("on_train_end", {})
    return model, history, used


# ============================================================================ LearningRateScheduler


def test_scheduler_of_the_epoch_sets_the_rate_at_each_epoch_begin():
    scheduler = LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))
    model, history, used = run(scheduler, [None] * 4)
    assert used == [0.1, 0.05, 0.1 / 3, 0.025]
    assert history.history["learning_rate"] == used
    assert model.optimizer.learning_rate == 0.025


def test_scheduler_of_epoch_and_rate_gets_the_current_rate():
    seen = []

    def halve_after_two(epoch, lr):
        seen.append((epoch, lr))
        return lr if epoch < 2 else lr / 2

    _, history, used = run(LearningRateScheduler(halve_after_two), [None] * 4, FakeModel(0.8))
    assert seen == [(0, 0.8), (1, 0.8), (2, 0.8), (3, 0.4)]
    assert used == [0.8, 0.8, 0.4, 0.2]
    assert history.history["learning_rate"] == used


def test_scheduler_logs_learning_rate_in_the_epoch_logs_it_is_given():
    model = FakeModel(0.5)
    scheduler = LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    CallbackList([scheduler], model, {})
    scheduler.on_epoch_begin(0)
    logs = {"loss": 1.0}
    scheduler.on_epoch_end(0, logs)
    assert logs == {"loss": 1.0, "learning_rate": 0.25}


def test_scheduler_with_a_default_second_argument_gets_the_rate():
    _, _, used = run(LearningRateScheduler(lambda epoch, lr=99.0: lr + epoch), [None] * 3, FakeModel(1.0))
    assert used == [1.0, 2.0, 4.0]


def test_scheduler_without_a_signature_is_tried_with_two_arguments_first():
    # ``max`` has no readable signature: called as max(epoch, lr).
    _, _, used = run(LearningRateScheduler(max), [None] * 3, FakeModel(1.5))
    assert used == [1.5, 1.5, 2.0]


def test_scheduler_accepts_numpy_and_torch_scalars_and_ints():
    values = iter([np.float32(0.5), torch.tensor(0.25), np.array(0.125), 1, np.float64(0.0625)])
    _, history, used = run(LearningRateScheduler(lambda epoch: next(values)), [None] * 5)
    assert used == [0.5, 0.25, 0.125, 1.0, 0.0625]
    assert all(type(v) is float for v in used)
    assert history.history["learning_rate"] == used


def test_scheduler_verbose_prints_each_new_rate(capsys):
    run(LearningRateScheduler(lambda epoch: [0.1, 0.01][epoch], verbose=1), [None] * 2)
    assert capsys.readouterr().out == (
        "\nEpoch 1: LearningRateScheduler setting learning rate to 0.1.\n"
        "\nEpoch 2: LearningRateScheduler setting learning rate to 0.01.\n"
    )


def test_scheduler_quiet_by_default(capsys):
    run(LearningRateScheduler(lambda epoch: 0.1), [None] * 2)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("returned, shown", [
    ("0.1", "'0.1' (of type str)"),
    (None, "None (of type NoneType)"),
    ([0.1], "[0.1] (of type list)"),
    (float("nan"), "nan (of type float)"),
    (-0.1, "-0.1 (of type float)"),
    (True, "True (of type bool)"),
])
def test_scheduler_refuses_a_value_that_is_not_a_learning_rate(returned, shown):
    scheduler = LearningRateScheduler(lambda epoch: returned if epoch == 1 else 0.1)
    with pytest.raises(ValueError) as error:
        run(scheduler, [None] * 3)
    assert str(error.value) == (
        "The output of the `schedule` function should be a float (a finite learning rate >= 0). "
        f"Got: {shown} for epoch 1."
    )


def test_scheduler_must_be_callable():
    with pytest.raises(ValueError) as error:
        LearningRateScheduler(0.01)
    assert str(error.value) == (
        "LearningRateScheduler: `schedule` must be a function schedule(epoch, lr) or schedule(epoch) "
        "returning the learning rate; got schedule=0.01."
    )


def test_scheduler_with_a_wrong_signature_is_refused_at_once():
    with pytest.raises(ValueError, match=r"LearningRateScheduler: `schedule` must take the epoch index, "
                                         r"or the epoch index and the current learning rate"):
        LearningRateScheduler(lambda epoch, lr, extra: lr)
    with pytest.raises(ValueError, match="`schedule` must take the epoch index"):
        LearningRateScheduler(lambda: 0.1)


def test_a_type_error_inside_the_schedule_is_not_hidden():
    def broken(epoch, lr):
        return lr + "x"

    with pytest.raises(TypeError, match="unsupported operand"):
        run(LearningRateScheduler(broken), [None])


def test_scheduler_needs_an_optimizer_with_a_learning_rate():
    model = FakeModel()
    model.optimizer = object()
    with pytest.raises(ValueError, match='Optimizer must have a "learning_rate" attribute.'):
        run(LearningRateScheduler(lambda epoch: 0.1), [None], model)
    model.optimizer = None
    with pytest.raises(ValueError, match=r"the model has no optimizer: call model.compile\(optimizer=...\)"):
        run(LearningRateScheduler(lambda epoch: 0.1), [None], model)


def test_scheduler_verbose_must_be_an_integer():
    with pytest.raises(ValueError) as error:
        LearningRateScheduler(lambda epoch: 0.1, verbose="loud")
    assert str(error.value) == "LearningRateScheduler: `verbose` must be an integer >= 0; got verbose='loud'."


def test_scheduler_with_several_optimizers(capsys):
    model = FakeModel(optimizer=MultiOptimizer(FakeOptimizer(1.0, "adam"), FakeOptimizer(2.0, "sgd")))
    _, history, used = run(LearningRateScheduler(lambda epoch, lr: lr / 2, verbose=1), [None] * 2, model)
    assert used == [[0.5, 1.0], [0.25, 0.5]]
    assert history.history["learning_rate_adam"] == [0.5, 0.25]
    assert history.history["learning_rate_sgd"] == [1.0, 0.5]
    assert capsys.readouterr().out.splitlines()[1] == (
        "Epoch 1: LearningRateScheduler setting adam learning rate to 0.5."
    )


def test_scheduler_runs_only_at_epoch_boundaries():
    callbacks = CallbackList([LearningRateScheduler(lambda e: 0.1)], FakeModel(), {})
    assert callbacks.wants("on_epoch_begin") and callbacks.wants("on_epoch_end")
    assert not callbacks.wants("on_train_batch_begin") and not callbacks.wants("on_train_batch_end")


# ============================================================================ ReduceLROnPlateau


def test_plateau_reduces_after_patience_epochs():
    reduce = ReduceLROnPlateau(factor=0.5, patience=2)
    model, history, used = run(reduce, [1.0] * 6)
    assert used == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25]
    assert history.history["learning_rate"] == used
    assert model.optimizer.learning_rate == 0.25
    assert reduce.wait == 1
    assert reduce.best == 1.0


def test_plateau_improvements_reset_the_wait():
    reduce = ReduceLROnPlateau(factor=0.5, patience=2)
    model, _, used = run(reduce, [1.0, 1.0, 0.9, 0.9, 0.8, 0.8])
    assert used == [1.0] * 6
    assert model.optimizer.learning_rate == 1.0
    assert reduce.wait == 1
    assert reduce.best == 0.8


def test_plateau_cooldown_suspends_the_wait():
    reduce = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=2)
    _, _, used = run(reduce, [1.0] * 8)
    # Reduced at the end of epoch 2; epoch 3 is cooled down, the wait restarts at epoch 4; reduced
    # again at the end of epoch 5 (without cooldown: at the ends of epochs 2, 4 and 6).
    assert used == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    assert (reduce.cooldown_counter, reduce.wait) == (0, 1)
    assert not reduce.in_cooldown()
    _, _, used = run(ReduceLROnPlateau(factor=0.5, patience=2), [1.0] * 8)
    assert used == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]


def test_plateau_in_cooldown_after_a_reduction():
    reduce = ReduceLROnPlateau(factor=0.5, patience=0, cooldown=3)
    run(reduce, [1.0, 1.0])
    assert reduce.cooldown_counter == 3
    assert reduce.in_cooldown()


def test_plateau_never_goes_below_min_lr(capsys):
    reduce = ReduceLROnPlateau(factor=0.1, patience=0, min_lr=0.05, verbose=1)
    model, _, used = run(reduce, [1.0] * 5)
    assert used == [1.0, 1.0, pytest.approx(0.1), 0.05, 0.05]
    assert model.optimizer.learning_rate == 0.05
    out = capsys.readouterr().out
    assert out == (
        "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.1.\n"
        "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.05.\n"
    )


@pytest.mark.parametrize("min_lr", [1e-4, 0.001, 0.3, 1e-7])
def test_plateau_stops_reducing_at_min_lr_stored_as_float64(min_lr, capsys):
    # A rate already at min_lr is not "reduced" again (compared in float32, as Keras stores the rate).
    reduce = ReduceLROnPlateau(factor=0.5, patience=0, min_lr=min_lr, verbose=1)
    model = FakeModel(min_lr * 1.5)
    run(reduce, [1.0] * 6, model)
    assert model.optimizer.learning_rate == min_lr
    assert capsys.readouterr().out.count("reducing") == 1


def test_plateau_min_delta():
    reduce = ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.1)
    _, _, used = run(reduce, [1.0, 0.95, 0.8, 0.75])
    assert used == [1.0, 1.0, 0.5, 0.5]
    assert reduce.best == 0.8


def test_plateau_default_min_delta_is_1e_4():
    reduce = ReduceLROnPlateau(factor=0.5, patience=1)
    _, _, used = run(reduce, [1.0, 1.0 - 5e-5, 1.0 - 2e-4])
    assert used == [1.0, 1.0, 0.5]


def test_plateau_mode_max_and_auto_accuracy():
    for kwargs in ({"mode": "max"}, {}):
        reduce = ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1, **kwargs)
        _, _, used = run(reduce, [0.5, 0.6, 0.7, 0.6], monitor="val_accuracy")
        assert used == [1.0, 1.0, 1.0, 1.0]
        assert reduce.best == 0.7
        assert reduce.wait == 0
    reduce = ReduceLROnPlateau(monitor="val_accuracy", mode="min", factor=0.5, patience=1)
    _, _, used = run(reduce, [0.5, 0.6, 0.7, 0.6], monitor="val_accuracy")
    assert used == [1.0, 1.0, 0.5, 0.25]


def test_plateau_missing_monitor_warns_but_logs_the_rate():
    reduce = ReduceLROnPlateau(patience=0)
    with pytest.warns(UserWarning) as record:
        _, history, _ = run(reduce, [None] * 2)
    assert str(record[0].message) == (
        "Learning rate reduction is conditioned on metric `val_loss` which is not available. "
        "Available metrics are: loss,learning_rate."
    )
    assert history.history["learning_rate"] == [1.0, 1.0]


def test_plateau_state_is_reset_by_each_fit():
    reduce = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=3)
    run(reduce, [1.0, 2.0])
    assert reduce.cooldown_counter == 3
    run(reduce, [5.0])
    assert (reduce.cooldown_counter, reduce.wait, reduce.best) == (0, 0, 5.0)


def test_plateau_with_several_optimizers(capsys):
    model = FakeModel(optimizer=MultiOptimizer(FakeOptimizer(1.0, "adam"), FakeOptimizer(0.01, "sgd")))
    _, history, used = run(ReduceLROnPlateau(factor=0.5, patience=0, min_lr=0.01, verbose=1), [1.0] * 3,
                           model)
    assert used == [[1.0, 0.01], [1.0, 0.01], [0.5, 0.01]]
    assert history.history["learning_rate_adam"] == [1.0, 1.0, 0.5]
    assert history.history["learning_rate_sgd"] == [0.01, 0.01, 0.01]
    assert capsys.readouterr().out.splitlines()[1] == "Epoch 2: ReduceLROnPlateau reducing adam learning rate to 0.5."


def test_plateau_defaults_match_keras():
    reduce = ReduceLROnPlateau()
    assert (reduce.monitor, reduce.factor, reduce.patience, reduce.verbose, reduce.mode, reduce.min_delta,
            reduce.cooldown, reduce.min_lr) == ("val_loss", 0.1, 10, 0, "auto", 1e-4, 0, 0.0)


@pytest.mark.parametrize("factor", [1.0, 1.5, 10])
def test_plateau_refuses_a_factor_of_one_or_more(factor):
    with pytest.raises(ValueError) as error:
        ReduceLROnPlateau(factor=factor)
    assert str(error.value) == f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"


@pytest.mark.parametrize("kwargs, message", [
    ({"factor": -0.5}, ("ReduceLROnPlateau: `factor` must be a number with 0 <= factor < 1 (new_lr = lr * "
                        "factor); got factor=-0.5.")),
    ({"factor": "half"}, ("ReduceLROnPlateau: `factor` must be a number with 0 <= factor < 1 (new_lr = lr * "
                          "factor); got factor='half'.")),
    ({"patience": -1}, "ReduceLROnPlateau: `patience` must be an integer >= 0; got patience=-1."),
    ({"cooldown": 1.5}, "ReduceLROnPlateau: `cooldown` must be an integer >= 0; got cooldown=1.5."),
    ({"min_lr": -1e-3}, "ReduceLROnPlateau: `min_lr` must be a finite number >= 0; got min_lr=-0.001."),
    ({"min_delta": None}, "ReduceLROnPlateau: `min_delta` must be a finite number; got min_delta=None."),
    ({"mode": "lowest"}, "ReduceLROnPlateau: `mode` must be one of 'auto', 'min', 'max'; got mode='lowest'."),
])
def test_plateau_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError) as error:
        ReduceLROnPlateau(**kwargs)
    assert str(error.value) == message


def test_plateau_accepts_the_keras_2_epsilon_spelling():
    with pytest.warns(DeprecationWarning, match="`epsilon` is the Keras 2 name of `min_delta`"):
        reduce = ReduceLROnPlateau(epsilon=0.01)
    assert reduce.min_delta == 0.01


def test_plateau_warns_about_unknown_keyword_arguments():
    with pytest.warns(UserWarning, match=r"ReduceLROnPlateau ignores the unknown argument\(s\) \['lr_floor'\]"):
        ReduceLROnPlateau(lr_floor=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ReduceLROnPlateau(patience=3)


# ============================================================================ inside fit()


def _data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")
    return x, y


def _model(optimizer):
    model = layerwise.Sequential([layerwise.layers.Dense(1, input_shape=(3,))])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def test_fit_scheduler_changes_the_optimizer_rate_each_epoch():
    x, y = _data()
    model = _model(layerwise.optimizers.SGD(learning_rate=0.01))
    seen = []

    def schedule(epoch, lr):
        seen.append(lr)
        return 0.1 * 0.5 ** epoch

    rates_in_epoch = []

    class RecordRate(layerwise.callbacks.callback.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 0:
                rates_in_epoch.append(float(self.model.optimizer.learning_rate))

    history = model.fit(x, y, epochs=4, batch_size=32, verbose=0,
                        callbacks=[LearningRateScheduler(schedule), RecordRate()])
    expected = [0.1, 0.05, 0.025, 0.0125]
    assert rates_in_epoch == pytest.approx(expected, rel=1e-6)
    assert history.history["learning_rate"] == pytest.approx(expected, rel=1e-6)
    assert seen[0] == pytest.approx(0.01, rel=1e-6)
    assert seen[1:] == pytest.approx(expected[:-1], rel=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.0125, rel=1e-6)


def test_fit_scheduler_rate_really_drives_the_updates():
    # A rate of 0 from epoch 1 on freezes the weights.
    x, y = _data()
    model = _model(layerwise.optimizers.SGD(learning_rate=0.01))
    snapshots = []

    class Snapshot(layerwise.callbacks.callback.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append([w.copy() for w in self.model.get_weights()])

    initial = model.get_weights()[0].copy() if model.built else None
    model.fit(x, y, epochs=3, verbose=0,
              callbacks=[LearningRateScheduler(lambda epoch: 0.05 if epoch == 0 else 0.0), Snapshot()])
    assert initial is not None
    assert not np.allclose(snapshots[0][0], initial)
    np.testing.assert_array_equal(snapshots[1][0], snapshots[0][0])
    np.testing.assert_array_equal(snapshots[2][0], snapshots[1][0])


def test_fit_plateau_reduces_the_rate_and_logs_it(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = rng.normal(size=(64, 1)).astype("float32")  # noise: the loss plateaus
    model = _model(layerwise.optimizers.SGD(learning_rate=0.2))
    reduce = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10.0, min_lr=0.04)
    logger = CSVLogger(tmp_path / "log.csv")
    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[reduce, logger])
    # min_delta=10 makes every epoch after the first a non-improvement.
    assert history.history["learning_rate"] == pytest.approx([0.2, 0.2, 0.1, 0.05, 0.04], rel=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.04, rel=1e-6)
    assert (tmp_path / "log.csv").read_text().splitlines()[0] == "epoch,learning_rate,loss,val_learning_rate,val_loss"


def test_fit_progress_bar_shows_the_learning_rate(capsys):
    x, y = _data(n=32)
    model = _model(layerwise.optimizers.SGD(learning_rate=0.01))
    model.fit(x, y, epochs=1, verbose=2, callbacks=[LearningRateScheduler(lambda epoch: 0.02)])
    assert "learning_rate: 0.0200" in capsys.readouterr().out


def test_math_schedule_from_the_keras_docs():
    # The docstring example: keep the rate for 10 epochs, then decay it by exp(-0.1) per epoch.
    def scheduler(epoch, lr):
        return lr if epoch < 10 else lr * math.exp(-0.1)

    model, _, _ = run(LearningRateScheduler(scheduler), [None] * 15, FakeModel(0.01))
    assert round(model.optimizer.learning_rate, 5) == 0.00607
