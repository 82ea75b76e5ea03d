"""``TerminateOnNaN``: stop ``fit`` as soon as the loss becomes NaN or infinite."""

import math

from layerwise.callbacks.callback import Callback
from layerwise.callbacks.early_stopping import _host_float
from layerwise.saving.registry import builtin


@builtin("callbacks")
class TerminateOnNaN(Callback):
    """Stop training when the loss becomes NaN or infinite.

    After every training batch the running loss (``logs['loss']``) is
    checked. On NaN or infinity it prints ``"Batch N: Invalid loss,
    terminating training"`` and sets ``model.stop_training``: ``fit`` ends
    after that batch (the epoch's validation and ``on_epoch_end`` still run,
    then ``on_train_end``), as in Keras.

    Cost: reading the batch loss moves it from the device to the host, one
    synchronisation per batch (per ``steps_per_execution`` batches). Other
    callbacks avoid this; for this one it is the point, and on a CPU it is
    negligible. Leave it out of runs where every step counts on a GPU.

    Args:
        raise_error: False (default) stops gracefully through
            ``model.stop_training``; True raises ``RuntimeError`` at once,
            so that no ``on_train_end`` runs (for example to keep a backup
            from being cleaned up).

    Example:

    >>> model.fit(x, y, epochs=10, callbacks=[layerwise.callbacks.TerminateOnNaN()])
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = bool(raise_error)

    def on_train_batch_end(self, batch, logs=None):
        """Check the running loss after a training batch; stop (or raise) on NaN/inf."""
        if not logs:
            return
        loss = logs.get("loss")
        value = _host_float(loss)
        if value is None or math.isfinite(value):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {value}. "
                "Terminating training immediately."
            )
        print(f"Batch {batch}: Invalid loss, terminating training", flush=True)
        self.model.stop_training = True

    # Keras's name for the same hook (``Callback.on_train_batch_end`` calls it).
    on_batch_end = on_train_batch_end
