"""``Callback``: hooks into ``fit``, ``evaluate`` and ``predict``; ``CallbackList`` runs them.

The training loop calls each hook only on the callbacks whose class
overrides it (decided once per ``fit``), and batch-level ``logs`` are
computed from the metrics only when a callback reads them, so callbacks
that watch epochs cost nothing per step.
"""

import collections.abc

_HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)


class Callback:
    """Base class for callbacks: override the hooks you need.

    ``self.model`` is the model being trained and ``self.params`` holds
    ``verbose``, ``epochs`` and ``steps``. Setting ``self.model.stop_training
    = True`` ends training after the current batch or epoch.

    Hooks: ``on_train_begin/end(logs)``, ``on_epoch_begin/end(epoch, logs)``,
    ``on_test_begin/end``, ``on_predict_begin/end``,
    ``on_{train,test,predict}_batch_begin/end(batch, logs)`` and the legacy
    ``on_batch_begin/end`` (same as the train batch hooks).

    Example:

    >>> class StopAt90(layerwise.callbacks.Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         if logs["accuracy"] > 0.9:
    ...             self.model.stop_training = True
    """

    def __init__(self):
        self.model = None
        self.params = {}
        self.validation_data = None

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_batch_begin(self, batch, logs=None):
        """Legacy name of ``on_train_batch_begin``."""

    def on_batch_end(self, batch, logs=None):
        """Legacy name of ``on_train_batch_end``."""

    def on_epoch_begin(self, epoch, logs=None):
        """At the start of each training epoch."""

    def on_epoch_end(self, epoch, logs=None):
        """At the end of each epoch; ``logs`` has the epoch's metrics and ``val_`` metrics."""

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Before each batch of ``evaluate`` (and of validation in ``fit``)."""

    def on_test_batch_end(self, batch, logs=None):
        """After each batch of ``evaluate``; ``logs`` has the running metrics."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Before each batch of ``predict``."""

    def on_predict_batch_end(self, batch, logs=None):
        """After each batch of ``predict``; ``logs["outputs"]`` holds the batch's predictions."""

    def on_train_begin(self, logs=None):
        """At the start of ``fit``."""

    def on_train_end(self, logs=None):
        """At the end of ``fit``."""

    def on_test_begin(self, logs=None):
        """At the start of ``evaluate`` (and of each validation run)."""

    def on_test_end(self, logs=None):
        """At the end of ``evaluate``."""

    def on_predict_begin(self, logs=None):
        """At the start of ``predict``."""

    def on_predict_end(self, logs=None):
        """At the end of ``predict``."""


def _overrides(callback, hook):
    """True if ``callback``'s class (or its legacy alias) implements ``hook`` itself."""
    cls = type(callback)
    if getattr(cls, hook) is not getattr(Callback, hook):
        return True
    legacy = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}.get(hook)
    return legacy is not None and getattr(cls, legacy) is not getattr(Callback, legacy)


class LazyLogs(collections.abc.Mapping):
    """Batch logs whose values are read from the metrics only when a callback asks.

    Reading a value synchronises with the device once; the result is cached.
    """

    def __init__(self, compute):
        self._compute = compute
        self._values = None

    def _materialize(self):
        if self._values is None:
            self._values = self._compute()
        return self._values

    def __getitem__(self, key):
        return self._materialize()[key]

    def __iter__(self):
        return iter(self._materialize())

    def __len__(self):
        return len(self._materialize())

    def copy(self):
        return dict(self._materialize())

    def __repr__(self):
        return repr(self._materialize())


class CallbackList:
    """Runs a list of callbacks; each hook reaches only the callbacks that implement it."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(dict(params))
        self._by_hook = {hook: [c for c in self.callbacks if _overrides(c, hook)] for hook in _HOOKS}

    def wants(self, hook):
        """True if any callback implements ``hook`` (so the loop must prepare its logs)."""
        return bool(self._by_hook[hook])

    def call(self, hook, *args):
        for callback in self._by_hook[hook]:
            getattr(callback, hook)(*args)
