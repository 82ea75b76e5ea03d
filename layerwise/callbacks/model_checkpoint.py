"""``ModelCheckpoint``: save the model (or its weights) during ``fit``.

Files are written by ``model.save`` / ``model.save_weights``, i.e. under a
temporary name in the same directory and then renamed: a run killed while
saving leaves the previous checkpoint whole, never a truncated file.
"""

import numbers
import os
import warnings

from layerwise.callbacks.early_stopping import _check_number, _host_float, _MonitorCallback
from layerwise.saving.registry import builtin

_MODEL_EXTENSIONS = (".keras", ".h5", ".hdf5")
# Keras 3 asks for `.weights.h5`; a plain `.h5`/`.hdf5` name (what Keras 2 course code uses) writes
# Keras 2's weights layout, which `load_weights` reads back too.
_WEIGHTS_EXTENSIONS = (".weights.h5", ".h5", ".hdf5")


def check_save_freq(owner, save_freq, keras_message):
    """``'epoch'`` or a positive int (a number of batches); else ValueError with ``keras_message`` first."""
    if save_freq == "epoch":
        return save_freq
    if isinstance(save_freq, numbers.Integral) and not isinstance(save_freq, bool) and save_freq >= 1:
        return int(save_freq)
    raise ValueError(
        f"{keras_message} ({owner} takes 'epoch', to save at the end of every epoch, or a positive "
        f"number of batches, e.g. save_freq=100; got save_freq={save_freq!r})."
    )


def _check_verbose(owner, verbose):
    if isinstance(verbose, bool):
        return int(verbose)
    if not isinstance(verbose, numbers.Integral) or verbose < 0:
        raise ValueError(f"{owner}: `verbose` must be 0 (silent) or 1 (a line per save); got verbose={verbose!r}.")
    return int(verbose)


def _is_array(value):
    """True for a numpy array or tensor with at least one dimension (not a scalar)."""
    shape = getattr(value, "shape", None)
    return shape is not None and not isinstance(value, (numbers.Number, str)) and len(shape) > 0


@builtin("callbacks")
class ModelCheckpoint(_MonitorCallback):
    """Save the model or its weights during training, every epoch or every few batches.

    The file name may hold fields filled in when saving: ``{epoch}`` (from 1),
    ``{batch}`` (from 1, with ``save_freq=<int>``) and any logged value such
    as ``{val_loss}``, with Python format specs: ``"ckpt-{epoch:02d}-
    {val_loss:.2f}.keras"`` gives ``ckpt-03-0.41.keras``. With
    ``save_best_only=True`` only improvements of ``monitor`` are saved, so a
    fixed name always holds the best model so far.

    Every file is written to a temporary name beside the target and renamed
    when complete, so a crash or a kill never leaves a truncated checkpoint.

    Args:
        filepath: where to save (str or ``os.PathLike``), possibly with the
            fields above. It must end in ``.keras`` for the whole model
            (``.h5``/``.hdf5`` write the legacy HDF5 model file that Keras 2
            code asks for), or in ``.weights.h5`` with
            ``save_weights_only=True`` (a plain ``.h5``/``.hdf5`` name then
            writes Keras 2's weights layout). Missing directories are created.
        monitor: the logged quantity that decides what "best" is (default
            ``"val_loss"``); prefix ``val_`` for validation values.
        verbose: 0 silent; 1 prints a line each time it saves or decides
            not to (Keras's lines, e.g. ``"Epoch 3: val_loss improved from
            0.52110 to 0.48312, saving model to best.keras"``).
        save_best_only: save only when ``monitor`` improved on the best value
            so far (the first value always counts as an improvement).
        save_weights_only: ``model.save_weights(filepath)`` (weights and the
            optimizer's state) instead of ``model.save(filepath)``.
        mode: ``"auto"`` (default), ``"min"`` or ``"max"``: whether smaller or
            larger values of ``monitor`` are better. ``"auto"`` decides from
            the name: losses and errors are minimised; accuracy (``acc``),
            AUC, precision, recall, F-scores and the like maximised.
        save_freq: ``"epoch"`` (default) saves at the end of every epoch; an
            integer saves after every that many batches, counted across
            epochs (with ``compile(steps_per_execution=N)``, checked every N
            batches). Batch logs hold the running values of the current
            epoch, so ``save_best_only`` compares partial-epoch values then.
        initial_value_threshold: a starting "best" value that ``monitor``
            must beat before anything is saved (with ``save_best_only``).

    Example:

    >>> checkpoint = layerwise.callbacks.ModelCheckpoint(
    ...     "best.keras", monitor="val_accuracy", mode="max", save_best_only=True, verbose=1)
    >>> model.fit(x_train, y_train, epochs=10, validation_split=0.2, callbacks=[checkpoint])
    >>> best = layerwise.models.load_model("best.keras")
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", initial_value_threshold=None):
        owner = "ModelCheckpoint"
        super().__init__(monitor, mode, baseline=_check_number(
            owner, "initial_value_threshold", initial_value_threshold, allow_none=True))
        try:
            self.filepath = os.fspath(filepath)
        except TypeError:
            raise ValueError(
                f"{owner}: `filepath` must be a path (str or os.PathLike), e.g. 'best.keras'; got "
                f"filepath={filepath!r}."
            ) from None
        self.verbose = _check_verbose(owner, verbose)
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.save_freq = check_save_freq(
            owner, save_freq,
            f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or integer values",
        )
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        if self.save_weights_only:
            if not self.filepath.endswith(_WEIGHTS_EXTENSIONS):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must "
                    f"end in `.weights.h5` (Keras weights format). Received: filepath={self.filepath} "
                    "(layerwise also takes a legacy `.h5` or `.hdf5` name, for Keras 2's weights layout)."
                )
        elif not self.filepath.endswith(_MODEL_EXTENSIONS):
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model format). Received: "
                f"filepath={self.filepath} (layerwise also takes `.h5` or `.hdf5`, the legacy HDF5 "
                "model file; to save only the weights, pass save_weights_only=True and a name ending "
                "in `.weights.h5`)."
            )

    # ------------------------------------------------------------------ hooks

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    # ------------------------------------------------------------------ when and where

    def _should_save_on_batch(self, batch):
        """Count the batches done since the last save (across epochs); True when ``save_freq`` is reached.

        ``batch`` is the index within the epoch of the last batch done; with
        ``steps_per_execution`` the hook sees every N-th index, so the count
        grows by the distance from the previous index (or ``batch + 1`` when
        a new epoch started).
        """
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _get_file_path(self, epoch, batch, logs):
        """``filepath`` with ``{epoch}`` (from 1), ``{batch}`` (from 1) and the logged values filled in."""
        values = dict(logs or {})
        values["epoch"] = epoch + 1
        if batch is not None and "batch" not in values:
            values["batch"] = batch + 1
        try:
            return self.filepath.format(**values)
        except KeyError as error:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {error}'
            ) from None
        except (IndexError, ValueError) as error:
            raise ValueError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {error}. Use named '
                "fields such as {epoch:02d} or {val_loss:.2f}, and double braces ({{ }}) for literal ones."
            ) from None

    def _should_save_model(self, epoch, batch, logs, filepath):
        """Decide (and announce, with ``verbose``) whether this checkpoint is written."""
        logs = logs or {}
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}", flush=True)
            return True
        raw = logs.get(self.monitor)
        if raw is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if _is_array(raw):
            warnings.warn(
                f"Can save best model only when `monitor` is a scalar value. Received: {raw}. "
                "Falling back to `save_best_only=False`.",
                stacklevel=3,
            )
            return True
        current = _host_float(raw)
        if self.monitor_op is None:
            self._set_monitor_op()
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, "
                      f"saving model to {filepath}", flush=True)
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}", flush=True)
        return False

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise OSError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an existing "
                f"directory: {filepath}"
            )
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        # model.save / save_weights create missing directories and write under a temporary name first.
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}", flush=True)
