"""``History``: the record ``fit`` returns."""

from layerwise.callbacks.callback import Callback
from layerwise.saving.registry import builtin


@builtin("callbacks")
class History(Callback):
    """Records the epoch-level logs of ``fit``; ``fit`` returns it.

    ``history.history`` maps each logged name (``loss``, ``accuracy``,
    ``val_loss``, ...) to its list of per-epoch values; ``history.epoch``
    lists the epoch indices.

    Example:

    >>> history = model.fit(x, y, epochs=3, validation_split=0.2, verbose=0)
    >>> sorted(history.history)
    ['loss', 'val_loss']
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        self.model.history = self
