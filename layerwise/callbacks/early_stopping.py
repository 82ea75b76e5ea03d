"""``EarlyStopping``: stop ``fit`` when a monitored quantity stops improving.

Also home of the small pieces the monitoring callbacks share (the
``ReduceLROnPlateau`` in ``learning_rate.py`` uses them): argument checks and
the choice of direction (``min``/``max``) for a monitored name.
"""

import math
import numbers
import operator
import warnings

import numpy as np

from layerwise import backend
from layerwise.callbacks.callback import Callback
from layerwise.saving.registry import builtin

# Substrings of a metric name that tell its direction when no metric object
# says so (Keras 2 used "acc"/"fmeasure"; the others are Keras 3's metrics
# marked ``_direction = "up"``).
_UP_WORDS = ("acc", "auc", "precision", "recall", "f1", "fbeta", "fmeasure", "iou", "r2",
             "cosine_similarity", "pearson", "concordance", "correlation")
_DOWN_WORDS = ("loss", "error", "mse", "mae", "mape", "msle", "crossentropy", "hinge",
               "divergence", "kld", "poisson", "cosh", "huber")


# --------------------------------------------------------------------------
# Argument checks shared by the callbacks of this package.
# --------------------------------------------------------------------------


def _check_number(owner, name, value, minimum=None, allow_none=False):
    """``value`` as a float, or ValueError naming ``owner``, ``name``, the value and what is allowed."""
    if value is None and allow_none:
        return None
    allowed = "a finite number" + (f" >= {minimum}" if minimum is not None else "")
    if allow_none:
        allowed += " or None"
    if not backend.is_real_number(value) or not math.isfinite(value) or (minimum is not None and value < minimum):
        raise ValueError(f"{owner}: `{name}` must be {allowed}; got {name}={value!r}.")
    return float(value)


def _check_int(owner, name, value, minimum=0):
    """``value`` as an int >= ``minimum``, or ValueError naming the argument, the value and what is allowed."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{owner}: `{name}` must be an integer >= {minimum}; got {name}={value!r}.")
    return int(value)


def _check_mode(owner, mode):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner}: `mode` must be one of 'auto', 'min', 'max'; got mode={mode!r}.")
    return mode


def _check_monitor(owner, monitor):
    if not isinstance(monitor, str) or not monitor:
        raise ValueError(
            f"{owner}: `monitor` must be the name of a logged quantity such as 'val_loss' or "
            f"'val_accuracy'; got monitor={monitor!r}."
        )
    return monitor


def _flat_metrics(model):
    """The metric objects of ``model`` (nested metric containers flattened), or [] if it has none."""
    try:
        metrics = list(getattr(model, "metrics", None) or [])
    except (AttributeError, RuntimeError, TypeError, ValueError):  # cannot list its metrics yet
        return []
    flat = []
    while metrics:
        metric = metrics.pop(0)
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)) and not hasattr(metric, "_direction"):
            metrics[:0] = list(inner)
        else:
            flat.append(metric)
    return flat


class _MonitorCallback(Callback):
    """Base of the callbacks that watch a logged quantity (``EarlyStopping``, ``ReduceLROnPlateau``).

    ``mode='auto'`` picks the direction as Keras 3 does, from the metric
    object of that name (its ``_direction``, ``'up'`` or ``'down'``); names
    ending in ``loss`` are minimised; for names without such a metric object
    the name decides (``'acc'``, ``'auc'``, ``'precision'``, ... are maximised;
    ``'mse'``, ``'mae'``, ``'crossentropy'``, ... minimised), and a name that
    says nothing raises Keras's ValueError asking for ``mode='min'``/``'max'``.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        owner = type(self).__name__
        self.monitor = _check_monitor(owner, monitor)
        self.mode = _check_mode(owner, mode)
        self.best = baseline
        # Kept positive; the direction decides how it is applied.
        self.min_delta = abs(_check_number(owner, "min_delta", min_delta))
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            self.monitor_op = self._infer_monitor_op()

    def _infer_monitor_op(self):
        name = self.monitor.removeprefix("val_")
        for metric in _flat_metrics(self.model):
            if getattr(metric, "name", None) == name and hasattr(metric, "_direction"):
                return operator.gt if metric._direction == "up" else operator.lt
        lowered = name.lower()
        if lowered.endswith("loss"):
            return operator.lt
        if any(word in lowered for word in _UP_WORDS):
            return operator.gt
        if any(word in lowered for word in _DOWN_WORDS):
            return operator.lt
        raise ValueError(
            f"{type(self).__name__} callback received monitor={self.monitor}, but Keras isn't able to "
            "automatically determine whether that metric should be maximized or minimized. Pass "
            "`mode='max'` in order to monitor based on the highest metric value, or pass `mode='min'` "
            "in order to use the lowest value."
        )

    def _is_improvement(self, monitor_value, reference_value):
        """True if ``monitor_value`` beats ``reference_value`` by more than ``min_delta``.

        Compared in float32, as Keras compares (its ``ops.less``/``ops.greater``
        turn the Python floats into float32 tensors), so that ties such as
        ``0.7 + 0.1`` against ``0.8`` are decided the same way.
        """
        if reference_value is None:
            return True
        with np.errstate(over="ignore"):  # beyond float32's range a value is +-inf, as in Keras
            if self.monitor_op is operator.gt:
                return bool(np.float32(monitor_value - self.min_delta) > np.float32(reference_value))
            return bool(np.float32(monitor_value + self.min_delta) < np.float32(reference_value))


def _host_float(value):
    """A logged value as a Python float (0-d tensors and arrays included), or None if it is not one."""
    if value is None or isinstance(value, bool):
        return None
    if backend.is_real_number(value):
        return float(value)
    item = getattr(value, "item", None)
    size = getattr(value, "size", None)
    numel = getattr(value, "numel", None)
    count = numel() if callable(numel) else size
    if callable(item) and count == 1:
        return float(item())
    return None


@builtin("callbacks")
class EarlyStopping(_MonitorCallback):
    """Stop training when a monitored quantity has stopped improving.

    At the end of every epoch the value of ``monitor`` is compared with the
    best value so far; after ``patience`` epochs without an improvement of
    more than ``min_delta``, ``model.stop_training`` is set and ``fit`` ends
    after that epoch.

    With ``restore_best_weights=True`` the weights of the best epoch are put
    back at the end of training, **also when training ran all its epochs
    without stopping early** (the issue asks for this: the returned model is
    always the best one seen). Keras 3.15 does the same; Keras 2 / ``tf.keras``
    restored them only when it stopped early.

    Args:
        monitor: the logged quantity to watch (default ``"val_loss"``).
        min_delta: least change that counts as an improvement (its absolute
            value is used; a smaller change counts as none). Default 0.
        patience: epochs without improvement after which training stops.
            Default 0.
        verbose: 0 silent; 1 prints ``"Epoch N: early stopping"`` and
            ``"Restoring model weights from the end of the best epoch: N."``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (default): ``auto`` minimises
            losses and errors and maximises accuracy, AUC, precision, recall
            and the like, as the metric of that name says; a name it cannot
            place raises ValueError asking for ``mode='min'`` or ``'max'``.
        baseline: a value the quantity must beat; until it does, the epochs
            count towards ``patience`` even when they improve on each other.
        restore_best_weights: put back the weights of the best epoch at the
            end of training (see above). The best epoch is chosen whether or
            not it beat ``baseline``.
        start_from_epoch: epochs to let pass before watching (a warm-up).

    Attributes after ``fit``: ``stopped_epoch`` (0 if training did not stop
    early), ``best`` (best value seen), ``best_epoch``, ``wait`` (epochs since
    the last improvement), ``best_weights``.

    A missing ``monitor`` key gives a warning that lists the keys the logs
    have (for example ``val_loss`` without validation data) and the epoch is
    not counted.

    Example:

    >>> callback = layerwise.callbacks.EarlyStopping(monitor="loss", patience=3)
    >>> history = model.fit(x, y, epochs=10, callbacks=[callback], verbose=0)
    >>> len(history.history["loss"])  # fewer than 10 once the loss stalls
    4
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        owner = "EarlyStopping"
        self.patience = _check_int(owner, "patience", patience)
        self.verbose = _check_int(owner, "verbose", verbose)
        self.baseline = _check_number(owner, "baseline", baseline, allow_none=True)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = _check_int(owner, "start_from_epoch", start_from_epoch)
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        # The same instance may serve several fit() calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.monitor_op is None:
            self._set_monitor_op()
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                # Copies: on the CPU, numpy views of torch weights would follow later training.
                self.best_weights = [np.array(w, copy=True) for w in self.model.get_weights()]
            # The wait restarts only when the value beats both the previous best and the baseline.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping", flush=True)
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.",
                      flush=True)
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """The monitored value from ``logs`` as a float; warns (listing the keys there are) if it is missing."""
        logs = logs or {}
        value = _host_float(logs.get(self.monitor))
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(list(logs.keys()))}",
                stacklevel=2,
            )
        return value
