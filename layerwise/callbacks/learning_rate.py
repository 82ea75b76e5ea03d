"""Callbacks that change the learning rate: ``LearningRateScheduler`` and ``ReduceLROnPlateau``.

Both read and set ``model.optimizer.learning_rate`` (a float) once per
epoch, and write the rate the epoch trained with into the epoch logs as
``'learning_rate'``, as Keras does, so that ``History``, ``CSVLogger`` and the
progress bar show it (when they come after this callback in ``callbacks``;
``fit`` adds ``History`` and the progress bar last).
"""

import inspect
import math
import warnings

import numpy as np

from layerwise import backend
from layerwise.callbacks.callback import Callback
from layerwise.callbacks.early_stopping import (
    _check_int,
    _check_number,
    _host_float,
    _MonitorCallback,
)
from layerwise.saving.registry import builtin


def _optimizers(model):
    """``[(name, optimizer)]``: the optimizers of a (possibly multi-optimizer) ``model.optimizer``."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError(
            "This callback changes the learning rate, but the model has no optimizer: call "
            "model.compile(optimizer=...) before fit()."
        )
    if hasattr(optimizer, "optimizers"):
        return [(getattr(opt, "name", f"optimizer_{i}"), opt) for i, opt in enumerate(optimizer.optimizers)]
    return [("", optimizer)]


def _read_lr(optimizer):
    if not hasattr(optimizer, "learning_rate"):
        raise ValueError('Optimizer must have a "learning_rate" attribute.')
    value = _host_float(optimizer.learning_rate)
    if value is None:
        raise ValueError(
            f"Cannot read the optimizer's learning rate as a number: got {optimizer.learning_rate!r}."
        )
    return value


def _schedule_arity(schedule):
    """2 if ``schedule`` takes ``(epoch, lr)``, 1 if it takes ``(epoch)``, None if its signature is unknown."""
    try:
        signature = inspect.signature(schedule)
    except (TypeError, ValueError):
        return None
    for arity, args in ((2, (0, 0.1)), (1, (0,))):
        try:
            signature.bind(*args)
            return arity
        except TypeError:
            continue
    raise ValueError(
        "LearningRateScheduler: `schedule` must take the epoch index, or the epoch index and the "
        f"current learning rate: schedule(epoch) or schedule(epoch, lr); got {schedule!r} with "
        f"signature {signature}."
    )


@builtin("callbacks")
class LearningRateScheduler(Callback):
    """Set the learning rate at the start of every epoch from a function of the epoch.

    At each epoch begin, ``schedule(epoch, lr)`` (or ``schedule(epoch)`` for a
    one-argument function) gives the new rate, which is set on
    ``model.optimizer.learning_rate``; at each epoch end the rate used is
    logged as ``'learning_rate'``.

    Args:
        schedule: a function of the epoch index (from 0) and the current
            learning rate (a float) that returns the new rate (a number); a
            function of the epoch alone is accepted too. A value that is not
            a finite number >= 0 raises ValueError naming the epoch.
        verbose: 0 quiet; 1 prints ``"Epoch N: LearningRateScheduler setting
            learning rate to LR."`` each epoch.

    Example:

    >>> def scheduler(epoch, lr):
    ...     return lr if epoch < 10 else lr * math.exp(-0.1)
    >>> model.compile(layerwise.optimizers.SGD(), loss="mse")
    >>> callback = layerwise.callbacks.LearningRateScheduler(scheduler)
    >>> history = model.fit(x, y, epochs=15, callbacks=[callback], verbose=0)
    >>> round(model.optimizer.learning_rate, 5)
    0.00607
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(  # noqa: TRY004 (bad arguments are ValueErrors throughout the callbacks)
                "LearningRateScheduler: `schedule` must be a function schedule(epoch, lr) or "
                f"schedule(epoch) returning the learning rate; got schedule={schedule!r}."
            )
        self.schedule = schedule
        self.verbose = _check_int("LearningRateScheduler", "verbose", verbose)
        self._arity = _schedule_arity(schedule)

    def _new_lr(self, epoch, lr):
        if self._arity == 2:
            value = self.schedule(epoch, lr)
        elif self._arity == 1:
            value = self.schedule(epoch)
        else:  # signature unknown: try the two-argument form first, as Keras does
            try:
                value = self.schedule(epoch, lr)
            except TypeError:
                value = self.schedule(epoch)
        number = _host_float(value) if not isinstance(value, str) else None
        if number is None or not math.isfinite(number) or number < 0:
            raise ValueError(
                "The output of the `schedule` function should be a float (a finite learning rate "
                f">= 0). Got: {value!r} (of type {type(value).__name__}) for epoch {epoch}."
            )
        return number

    def on_epoch_begin(self, epoch, logs=None):
        for name, optimizer in _optimizers(self.model):
            learning_rate = self._new_lr(epoch, _read_lr(optimizer))
            optimizer.learning_rate = learning_rate
            if self.verbose > 0:
                which = f"{name} " if name else ""
                print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting {which}learning rate to "
                      f"{learning_rate}.", flush=True)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for name, optimizer in _optimizers(self.model):
            logs[f"learning_rate_{name}" if name else "learning_rate"] = _read_lr(optimizer)


@builtin("callbacks")
class ReduceLROnPlateau(_MonitorCallback):
    """Reduce the learning rate when a monitored quantity has stopped improving.

    When ``monitor`` has not improved by more than ``min_delta`` for
    ``patience`` epochs, the learning rate becomes ``lr * factor`` (never
    below ``min_lr``); then ``cooldown`` epochs pass before the waiting starts
    again. Every epoch the rate it trained with is logged as
    ``'learning_rate'``.

    Args:
        monitor: the logged quantity to watch (default ``"val_loss"``).
        factor: the rate is multiplied by this (``0 <= factor < 1``; default 0.1).
        patience: epochs without improvement before the rate is reduced (default 10).
        verbose: 0 quiet; 1 prints ``"Epoch N: ReduceLROnPlateau reducing
            learning rate to LR."`` at each reduction.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (default; inferred from the
            name as for ``EarlyStopping``).
        min_delta: least change that counts as an improvement (default 1e-4).
        cooldown: epochs after a reduction during which the waiting is
            suspended (default 0).
        min_lr: the rate is never reduced below this (default 0).
        **kwargs: the Keras 2 spelling ``epsilon=`` (for ``min_delta``) is
            accepted with a deprecation warning; other names are ignored with
            a warning (Keras 3 ignores them silently).

    Example:

    >>> reduce_lr = layerwise.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.2,
    ...                                                    patience=5, min_lr=0.001)
    >>> model.fit(x_train, y_train, validation_split=0.2, callbacks=[reduce_lr])
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
            warnings.warn("ReduceLROnPlateau: `epsilon` is the Keras 2 name of `min_delta`; "
                          "use min_delta= instead.", DeprecationWarning, stacklevel=2)
        if kwargs:
            warnings.warn(f"ReduceLROnPlateau ignores the unknown argument(s) {sorted(kwargs)}.",
                          stacklevel=2)
        super().__init__(monitor, mode, min_delta=min_delta)
        owner = "ReduceLROnPlateau"
        if backend.is_real_number(factor) and factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        if not backend.is_real_number(factor) or not factor >= 0:
            raise ValueError(
                f"{owner}: `factor` must be a number with 0 <= factor < 1 (new_lr = lr * factor); "
                f"got factor={factor!r}."
            )
        self.factor = float(factor)
        self.min_lr = _check_number(owner, "min_lr", min_lr, minimum=0)
        self.patience = _check_int(owner, "patience", patience)
        self.verbose = _check_int(owner, "verbose", verbose)
        self.cooldown = _check_int(owner, "cooldown", cooldown)
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        """Reset the wait and cooldown counters and the best value."""
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def _reduce_optimizer_lr(self, optimizer, epoch, name=""):
        old_lr = _read_lr(optimizer)
        # Compared in float32, as optimizers keep the rate: a rate already set to min_lr
        # reads back as float32(min_lr) and must not count as above it.
        if np.float32(old_lr) > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            optimizer.learning_rate = new_lr
            if self.verbose > 0:
                which = f" {name}" if name else ""
                print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{which} learning rate to {new_lr}.",
                      flush=True)
            return True
        return False

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizers = _optimizers(self.model)
        for name, optimizer in optimizers:
            logs[f"learning_rate_{name}" if name else "learning_rate"] = _read_lr(optimizer)
        current = _host_float(logs.get(self.monitor))
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(list(logs.keys()))}.",
                stacklevel=2,
            )
            return
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                reduced = False
                for name, optimizer in optimizers:
                    reduced = self._reduce_optimizer_lr(optimizer, epoch, name) or reduced
                if reduced:
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0
