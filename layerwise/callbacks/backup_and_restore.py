"""``BackupAndRestore``: resume ``fit`` where an interrupted run stopped, with the same result.

What a backup holds
-------------------
``backup_dir`` holds Keras's two files:

* ``latest.weights.h5``: the model's weights and the optimizer's state in
  Keras 3's layout (``model.load_weights`` reads it, in layerwise and in
  Keras), plus a group ``layerwise_backup`` whose attributes hold what an
  identical continuation needs: where training was (epoch, and batches of
  that epoch done), the random states of Python's ``random``, numpy, torch
  (CPU and CUDA) and of every seeded layer's own generator, the random
  states at the start of the interrupted epoch (from which the epoch's data
  order is drawn again), and the epoch's running metric values. Attributes
  are not weights, so the file still loads as a plain weights file.
* ``training_metadata.json``: ``{"epoch": ..., "batch": ...}`` as Keras
  writes it, so that Keras's own ``BackupAndRestore`` can resume from a
  layerwise backup too (at the start of the epoch, as Keras does).

Everything that decides the continuation is in the one weights file, which
is written under a temporary name and renamed: a kill at any moment leaves
either the previous backup or the new one, complete. The JSON file only
mirrors it for Keras. A backup written by Keras (no ``layerwise_backup``
group) is resumed as Keras resumes it: its weights, at the start of the
epoch its JSON names.

How resuming works
------------------
In ``on_train_begin`` the backup is checked whole, then loaded; the callback
tells ``fit`` where to start through ``model._initial_epoch`` (Keras's
attribute) and ``model._initial_step``. In the interrupted epoch ``fit``
draws the batches already trained (the same order, because the random
state of the epoch's start is put back first) without training on them,
and the random state of the moment of the backup is put back before the
next batch runs. Seeded runs therefore end with bit-identical weights to a
run that was never interrupted.
"""

import json
import math
import os
import random
import warnings

import h5py
import numpy as np
import torch

from layerwise.callbacks.callback import Callback
from layerwise.callbacks.model_checkpoint import check_save_freq
from layerwise.saving import keras_weights
from layerwise.saving.file_io import atomic_write
from layerwise.saving.registry import builtin
from layerwise.saving.safety import MAX_VARIABLE_BYTES, UnsafeFileError, open_hdf5

WEIGHTS_FILE = "latest.weights.h5"
METADATA_FILE = "training_metadata.json"
_PREVIOUS = ".bkp"  # Keras's suffix for the previous backup (double_checkpoint=True)
STATE_GROUP = "layerwise_backup"
_FORMAT = "layerwise.callbacks.BackupAndRestore"
_VERSION = 1
_MAX_JSON_BYTES = 16 * 1024**2
_MAX_RNG_BYTES = 1024**2


# ---------------------------------------------------------------------- random states


def _seeded_generators(model):
    """``[(layer index, layer, device key, generator)]``: the generators seeded layers made for themselves.

    Layers given a ``seed`` (Dropout, GaussianNoise, recurrent dropout,
    augmentation layers) keep one ``torch.Generator`` per device in
    ``layer._generators``; their states are part of the random state of a run.
    """
    found = []
    for index, layer in enumerate(model._flatten_layers()):
        for key, generator in sorted(layer.__dict__.get("_generators", {}).items()):
            found.append((index, layer, key, generator))
    return found


def _cuda_in_use():
    return torch.cuda.is_available() and torch.cuda.is_initialized()


def _capture_random_state(model):
    """Every random state a training step may draw from, as ``(json-ready dict, {name: uint8 array})``."""
    version, internal, gauss = random.getstate()
    name, keys, position, has_gauss, cached_gaussian = np.random.get_state(legacy=True)
    arrays = {"torch": torch.get_rng_state().numpy().copy()}
    cuda = torch.cuda.get_rng_state_all() if _cuda_in_use() else []
    for index, state in enumerate(cuda):
        arrays[f"cuda_{index}"] = state.numpy().copy()
    generators = []
    for number, (index, layer, key, generator) in enumerate(_seeded_generators(model)):
        arrays[f"generator_{number}"] = generator.get_state().numpy().copy()
        generators.append([index, layer.name, key])
    described = {
        "python": [version, list(internal), gauss],
        "numpy": [name, keys.tolist(), int(position), int(has_gauss), float(cached_gaussian)],
        "cuda_devices": len(cuda),
        "generators": generators,
    }
    return described, arrays


def _fresh_generator_state_size(device):
    return torch.Generator(device=device).get_state().numel()


class _RandomState:
    """A checked random state read from a backup, ready to be put back."""

    def __init__(self, python, numpy_state, torch_state, cuda_states, generators):
        self.python = python
        self.numpy = numpy_state
        self.torch = torch_state
        self.cuda = cuda_states
        self.generators = generators  # [(layer, device key, uint8 tensor)]

    def apply(self):
        random.setstate(self.python)
        np.random.set_state(self.numpy)
        torch.set_rng_state(self.torch)
        if self.cuda:
            torch.cuda.set_rng_state_all(self.cuda)
        for layer, key, state in self.generators:
            generators = layer.__dict__.setdefault("_generators", {})
            generator = generators.get(key)
            if generator is None:
                generator = torch.Generator(device=torch.device(key))
                generators[key] = generator
            generator.set_state(state)


# ---------------------------------------------------------------------- reading a backup


class _StateReader:
    """Reads the ``layerwise_backup`` attributes of an open backup file, checking each before use."""

    def __init__(self, group, source):
        self.group = group
        self.source = source

    def refuse(self, reason):
        raise UnsafeFileError(f"Refused the backup {self.source}: {reason}")

    def array(self, name, kind="u", shape=None, max_bytes=_MAX_RNG_BYTES):
        """The attribute ``name`` as a numpy array, after checking its declared dtype and size."""
        if name not in self.group.attrs:
            self.refuse(f"its training state has no '{name}'.")
        declared = self.group.attrs.get_id(name)
        dims = tuple(int(d) for d in declared.shape) if declared.shape is not None else None
        dtype = declared.dtype
        if dims is None or dtype.kind not in kind or (kind == "u" and dtype.itemsize != 1):
            self.refuse(f"'{name}' is stored as {dtype} {dims}, not as the numbers it should hold.")
        if shape is not None and dims != tuple(shape):
            self.refuse(f"'{name}' has shape {dims}; this model needs shape {tuple(shape)}.")
        size = math.prod(dims) * dtype.itemsize
        if size > max_bytes:
            self.refuse(f"'{name}' declares {size:,} bytes, more than the {max_bytes:,} it may take.")
        return np.asarray(self.group.attrs[name])

    def metadata(self):
        raw = self.array("metadata", max_bytes=_MAX_JSON_BYTES)
        if raw.ndim != 1:
            self.refuse("its 'metadata' is not a JSON text.")
        try:
            metadata = json.loads(raw.tobytes().decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self.refuse("its 'metadata' is not valid JSON.")
        if not isinstance(metadata, dict) or metadata.get("format") != _FORMAT:
            self.refuse("its 'metadata' is not a layerwise BackupAndRestore state.")
        if metadata.get("version") != _VERSION:
            self.refuse(
                f"it was written in backup format version {metadata.get('version')!r}; this layerwise "
                f"reads version {_VERSION}."
            )
        for key in ("epoch", "step", "batches_since_save"):
            if not _is_count(metadata.get(key)):
                self.refuse(f"its '{key}' is {metadata.get(key)!r}, not a count.")
        last = metadata.get("last_batch")
        if last is not None and not _is_count(last):
            self.refuse(f"its 'last_batch' is {last!r}, not a batch index.")
        return metadata

    def random_state(self, described, prefix, model):
        if not isinstance(described, dict):
            self.refuse(f"its '{prefix}random' state is missing.")
        python = _checked(self, "Python random", _python_state, described.get("python"))
        numpy_state = _checked(self, "numpy random", _numpy_state, described.get("numpy"))
        torch_state = torch.from_numpy(self.array(f"{prefix}torch", shape=torch.get_rng_state().shape).copy())
        _checked(self, "torch random", torch.Generator().set_state, torch_state)
        cuda_devices = described.get("cuda_devices")
        if not _is_count(cuda_devices):
            self.refuse(f"its number of CUDA random states is {cuda_devices!r}.")
        cuda = []
        if cuda_devices:
            if not torch.cuda.is_available():
                warnings.warn(
                    f"The backup {self.source} was made while training on CUDA, which this process does not "
                    "have; training resumes, but its random draws (dropout, shuffling) differ from the "
                    "interrupted run's.",
                    stacklevel=4,
                )
            elif torch.cuda.device_count() != cuda_devices:
                warnings.warn(
                    f"The backup {self.source} holds the random states of {cuda_devices} CUDA devices; this "
                    f"process has {torch.cuda.device_count()}. Their random states are not restored.",
                    stacklevel=4,
                )
            else:
                for index in range(cuda_devices):
                    size = torch.cuda.get_rng_state(index).numel()
                    cuda.append(torch.from_numpy(self.array(f"{prefix}cuda_{index}", shape=(size,)).copy()))
        layers = model._flatten_layers()
        generators = []
        listed = described.get("generators")
        if not isinstance(listed, list):
            self.refuse("its list of seeded layers' generators is missing.")
        for number, item in enumerate(listed):
            if not (isinstance(item, list) and len(item) == 3 and _is_count(item[0])
                    and isinstance(item[1], str) and isinstance(item[2], str)):
                self.refuse(f"its seeded generator entry {item!r} is not [layer index, layer name, device].")
            index, name, key = item
            if index >= len(layers) or layers[index].name != name:
                self.refuse(
                    f"it holds the random generator of layer '{name}' (layer {index} of the model), which "
                    "this model does not have: the backup was made for a different model."
                )
            try:
                device = torch.device(key)
                size = _fresh_generator_state_size(device)
            except (RuntimeError, ValueError):
                warnings.warn(
                    f"The backup {self.source} holds the random generator of layer '{name}' on '{key}', a "
                    "device this process cannot use; that layer's random draws restart from its seed.",
                    stacklevel=4,
                )
                continue
            state = torch.from_numpy(self.array(f"{prefix}generator_{number}", shape=(size,)).copy())
            _checked(self, f"layer '{name}' random", torch.Generator(device=device).set_state, state)
            generators.append((layers[index], key, state))
        return _RandomState(python, numpy_state, torch_state, cuda, generators)

    def metric_values(self, count, variables):
        """The saved metric variables, or None (with a warning) if they do not fit the model's metrics now."""
        if count is None:
            return None
        if not _is_count(count):
            self.refuse(f"its number of metric values is {count!r}.")
        shapes = [tuple(v.shape) for v in variables]
        names = [f"metric_{i}" for i in range(count)]
        declared = [self.group.attrs.get_id(n).shape if n in self.group.attrs else None for n in names]
        if count != len(variables) or any(d is None or tuple(d) != s for d, s in zip(declared, shapes)):
            warnings.warn(
                "The running metric values of the interrupted epoch do not fit this model's metrics (a "
                "metric that builds its state on its first batch, such as F1Score, has none yet); the "
                "resumed epoch's logged metrics cover only the batches after the backup. The weights "
                "continue exactly.",
                stacklevel=4,
            )
            return None
        return [self.array(n, kind="biuf", shape=s, max_bytes=MAX_VARIABLE_BYTES) for n, s in zip(names, shapes)]


def _checked(reader, what, function, *args):
    """``function(*args)``; a refusal naming ``what`` if it finds the state invalid."""
    try:
        return function(*args)
    except (TypeError, ValueError, IndexError, KeyError, RuntimeError, OverflowError):
        reader.refuse(f"its {what} state is not a valid one.")


def _is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _python_state(described):
    version, internal, gauss = described
    state = (int(version), tuple(int(v) for v in internal), None if gauss is None else float(gauss))
    random.Random().setstate(state)  # checks it without touching the global generator
    return state


def _numpy_state(described):
    name, keys, position, has_gauss, cached_gaussian = described
    state = (str(name), np.array(keys, dtype=np.uint32), int(position), int(has_gauss), float(cached_gaussian))
    np.random.RandomState().set_state(state)
    return state


# ---------------------------------------------------------------------- the callback


def _metric_variables(model):
    return [variable for metric in model.metrics for variable in metric.variables]


@builtin("callbacks")
class BackupAndRestore(Callback):
    """Back up the training state, and resume from it when an interrupted ``fit`` is run again.

    During ``fit`` the callback writes a backup into ``backup_dir`` at the end
    of every epoch (or every ``save_freq`` batches). If the process dies (an
    exception, Ctrl-C, a kill, a lost machine) and the same script runs again
    with the same ``backup_dir``, ``fit`` continues from the backup instead
    of starting over: at the epoch, and with ``save_freq=<int>`` the batch,
    it had reached. When ``fit`` finishes normally the backup is deleted.

    A seeded run (``layerwise.utils.set_random_seed``) that is killed and
    resumed ends with exactly the weights of a run that was never
    interrupted: the backup holds the weights, the optimizer's state, the
    position in the epoch, the random states (Python, numpy, torch, seeded
    layers) and the running metrics of the epoch, and the interrupted epoch's
    data order is drawn again from the random state of its start. (This
    holds for array data, and for re-iterable sources such as a
    ``DataLoader``; a Python generator starts from its own beginning in a
    new process.) Keras resumes only at the start of the interrupted epoch
    and does not restore random states.

    Each backup is written under a temporary name and renamed into place, so
    a kill while writing leaves the previous backup whole.

    Args:
        backup_dir: directory for the backup (str or ``os.PathLike``); used
            only by this callback: not by another run, nor by a
            ``ModelCheckpoint``. Created if missing.
        save_freq: ``"epoch"`` (default): back up at the end of every epoch;
            an integer: back up every that many batches (counted across
            epochs), so that a resumed run repeats at most that many;
            ``False``: never back up (only restore an existing backup).
        double_checkpoint: also keep the previous backup
            (``latest.weights.h5.bkp``, ``training_metadata.json.bkp``), used
            when the latest one cannot be read.
        delete_checkpoint: delete the backup when ``fit`` ends normally
            (default True). Only this callback's files are deleted, then
            ``backup_dir`` itself if that leaves it empty. With ``False`` the
            backup is kept, and brought up to the end of training first, so
            that running the script again trains no further.

    Example:

    >>> backup = layerwise.callbacks.BackupAndRestore("backup", save_freq=100)
    >>> model.fit(x, y, epochs=20, callbacks=[backup])   # killed in epoch 7 ...
    >>> model.fit(x, y, epochs=20, callbacks=[backup])   # ... run again: resumes in epoch 7
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        try:
            self.backup_dir = os.fspath(backup_dir)
        except TypeError:
            raise ValueError(
                "BackupAndRestore: `backup_dir` must be a directory path (str or os.PathLike), e.g. "
                f"'backup'; got backup_dir={backup_dir!r}."
            ) from None
        keras_message = (f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}. "
                         "Expected either 'epoch' or an integer value.")
        self.save_freq = False if save_freq is False else check_save_freq("BackupAndRestore", save_freq,
                                                                           keras_message)
        # Batches between backups, or None when backups are made at epoch ends (or never).
        self._every = None if self.save_freq == "epoch" or self.save_freq is False else self.save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._weights_path = os.path.join(self.backup_dir, WEIGHTS_FILE)
        self._training_metadata_path = os.path.join(self.backup_dir, METADATA_FILE)
        self._prev_weights_path = self._weights_path + _PREVIOUS
        self._prev_training_metadata_path = self._training_metadata_path + _PREVIOUS
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        self._epoch_start_state = None
        self._resume_epoch = None
        self._pending_epoch_start = None
        self._pending_state = None
        self._pending_metrics = None

    # ------------------------------------------------------------------ hooks

    def on_train_begin(self, logs=None):
        self._resume_epoch = None
        self._pending_epoch_start = self._pending_state = self._pending_metrics = None
        self._last_batch_seen = None
        if os.path.lexists(self.backup_dir) and not os.path.isdir(self.backup_dir):
            raise ValueError(
                f"BackupAndRestore: backup_dir '{self.backup_dir}' is a file; it must be a directory (or not "
                "exist yet). Choose another backup_dir."
            )
        self._remove_temporaries()
        self._restore()

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        if epoch == self._resume_epoch:
            # fit has just reset the metrics and is about to draw this epoch's order.
            if self._pending_epoch_start is not None:
                self._pending_epoch_start.apply()
            if self._pending_metrics is not None:
                with torch.no_grad():
                    for variable, value in zip(_metric_variables(self.model), self._pending_metrics):
                        variable.data.copy_(torch.from_numpy(np.array(value)).to(variable.dtype))
            self._pending_epoch_start = self._pending_metrics = None
            self._resume_epoch = None
        else:
            self._last_batch_seen = None
        if self._every is not None:
            self._epoch_start_state = _capture_random_state(self.model)

    def on_train_batch_begin(self, batch, logs=None):
        if self._pending_state is not None:
            self._apply_pending_state()

    def on_test_begin(self, logs=None):
        if self._pending_state is not None:  # every batch of the epoch had been trained: validation next
            self._apply_pending_state()

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_backup(epoch=self._current_epoch, step=batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        if self._pending_state is not None:
            self._apply_pending_state()
        self._last_batch_seen = None
        self._current_epoch = epoch + 1
        if self.save_freq == "epoch":
            self._save_backup(epoch=epoch + 1, step=0)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            if self._every is not None:
                # The last batch backup may be a few batches short of the end: a kept backup should
                # say that training finished, so that running the script again does not redo them.
                self._save_backup(epoch=self._current_epoch, step=0)
            return
        if not os.path.isdir(self.backup_dir):
            return
        for path in (self._weights_path, self._training_metadata_path, self._prev_weights_path,
                     self._prev_training_metadata_path):
            if os.path.lexists(path):
                os.remove(path)
        self._remove_temporaries()
        try:
            os.rmdir(self.backup_dir)  # only if nothing else is in it
        except OSError:
            pass

    # ------------------------------------------------------------------ saving

    def _should_save_on_batch(self, batch):
        """Count batches since the last backup (across epochs); True when ``save_freq`` is reached."""
        if self._every is None:
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # a new epoch
        else:
            added = batch - self._last_batch_seen  # with steps_per_execution the hook skips indices
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self._every:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_backup(self, epoch, step):
        """Write the backup: training resumes at ``epoch`` with ``step`` of its batches already done."""
        os.makedirs(self.backup_dir, exist_ok=True)
        described, arrays = _capture_random_state(self.model)
        metadata = {
            "format": _FORMAT, "version": _VERSION,
            "epoch": epoch, "step": step,
            "batches_since_save": self._batches_seen_since_last_saving,
            "last_batch": self._last_batch_seen if step else None,
            "random": described, "epoch_start_random": None, "metrics": None,
        }
        if step:
            if self._epoch_start_state is not None:
                start_described, start_arrays = self._epoch_start_state
                metadata["epoch_start_random"] = start_described
                arrays.update({f"epoch_start_{name}": value for name, value in start_arrays.items()})
            variables = _metric_variables(self.model)
            metadata["metrics"] = len(variables)
            for index, variable in enumerate(variables):
                arrays[f"metric_{index}"] = variable.detach().cpu().numpy()
        if self.double_checkpoint:
            # Renames, not copies: each is atomic, and until the new backup is complete the previous
            # one stays readable under its .bkp name.
            for current, previous in ((self._weights_path, self._prev_weights_path),
                                      (self._training_metadata_path, self._prev_training_metadata_path)):
                if os.path.lexists(current):
                    os.replace(current, previous)
        text = json.dumps(metadata).encode("utf-8")
        # libver 1.8+: attributes larger than 64 KiB (big metric states) are stored densely.
        with atomic_write(self._weights_path) as temporary, \
                h5py.File(temporary, "w", libver=("v108", "latest")) as h5:
            keras_weights.write_weights(self.model, h5)
            group = h5.create_group(STATE_GROUP)
            group.attrs["metadata"] = np.frombuffer(text, dtype=np.uint8)
            for name, value in arrays.items():
                group.attrs[name] = value
        # Keras's file, for Keras's BackupAndRestore: the epoch to restart and the last batch seen.
        keras_metadata = {"epoch": epoch, "batch": self._last_batch_seen if step else 0}
        with atomic_write(self._training_metadata_path) as temporary, open(temporary, "w") as handle:
            handle.write(json.dumps(keras_metadata))

    def _remove_temporaries(self):
        """Delete temporary files a kill left behind while a backup was being written."""
        if not os.path.isdir(self.backup_dir):
            return
        ours = [os.path.basename(p) for p in (self._weights_path, self._training_metadata_path,
                                               self._prev_weights_path, self._prev_training_metadata_path)]
        for name in os.listdir(self.backup_dir):
            if name.endswith(".tmp") and any(name.startswith(f".{base}.") for base in ours):
                try:
                    os.remove(os.path.join(self.backup_dir, name))
                except OSError:
                    pass

    # ------------------------------------------------------------------ restoring

    def _restore(self):
        candidates = [(self._weights_path, self._training_metadata_path),
                      (self._prev_weights_path, self._prev_training_metadata_path)]
        candidates = [pair for pair in candidates if os.path.isfile(pair[0])]
        first_error = None
        for weights_path, metadata_path in candidates:
            try:
                self._restore_from(weights_path, metadata_path)
                return
            except (OSError, ValueError) as error:
                # A damaged latest backup: fall back to the previous one if there is one.
                first_error = first_error or error
        if first_error is not None:
            message = (f"BackupAndRestore cannot resume from the backup in '{self.backup_dir}': {first_error} "
                       "Delete that directory (or pass another backup_dir) to start training afresh.")
            kind = UnsafeFileError if isinstance(first_error, UnsafeFileError) else \
                ValueError if isinstance(first_error, ValueError) else OSError
            raise kind(message) from first_error

    def _restore_from(self, weights_path, metadata_path):
        source = f"'{weights_path}'"
        with open_hdf5(weights_path) as h5:
            group = h5.get(STATE_GROUP)
            if isinstance(group, h5py.Group):
                plan = self._read_state(_StateReader(group, source))
            elif group is None:
                plan = self._read_keras_metadata(metadata_path)
            else:
                raise UnsafeFileError(f"Refused the backup {source}: '{STATE_GROUP}' is not a group.")
            # Checks every weight, then assigns them all (or none); the optimizer's state too.
            keras_weights.load_weights(self.model, keras_weights.H5Source([h5], source))
        self._start(plan)

    def _read_state(self, reader):
        metadata = reader.metadata()
        plan = {"epoch": metadata["epoch"], "step": metadata["step"],
                "batches_since_save": metadata["batches_since_save"], "last_batch": metadata["last_batch"],
                "state": reader.random_state(metadata.get("random"), "", self.model),
                "epoch_start": None, "metrics": None}
        if plan["step"]:
            if metadata.get("epoch_start_random") is not None:
                plan["epoch_start"] = reader.random_state(metadata["epoch_start_random"], "epoch_start_",
                                                          self.model)
            plan["metrics"] = reader.metric_values(metadata.get("metrics"), _metric_variables(self.model))
        return plan

    def _read_keras_metadata(self, metadata_path):
        """The resume point of a backup written by Keras: the start of the epoch its JSON names."""
        plan = {"epoch": None, "step": 0, "batches_since_save": 0, "last_batch": None, "state": None,
                "epoch_start": None, "metrics": None}
        if not os.path.isfile(metadata_path):
            return plan
        if os.path.getsize(metadata_path) > _MAX_JSON_BYTES:
            raise UnsafeFileError(f"Refused '{metadata_path}': it is far too large for training metadata.")
        with open(metadata_path, "rb") as handle:
            try:
                metadata = json.loads(handle.read().decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise UnsafeFileError(f"Refused '{metadata_path}': it is not valid JSON.") from None
        epoch = metadata.get("epoch") if isinstance(metadata, dict) else None
        if not _is_count(epoch):
            raise UnsafeFileError(f"Refused '{metadata_path}': its 'epoch' is {epoch!r}, not an epoch number.")
        plan["epoch"] = epoch
        return plan

    def _start(self, plan):
        """Tell fit where to start, and arrange for the random states to be put back at the right moments."""
        if plan["epoch"] is None:
            return
        self.model._initial_epoch = plan["epoch"]
        self.model._initial_step = plan["step"]
        self._current_epoch = plan["epoch"]
        self._batches_seen_since_last_saving = plan["batches_since_save"]
        if plan["step"]:
            # Mid-epoch: the epoch's start state at on_epoch_begin (to draw the same order), the state of
            # the backup before the first batch that is trained again.
            self._resume_epoch = plan["epoch"]
            self._last_batch_seen = plan["last_batch"]
            self._pending_epoch_start = plan["epoch_start"]
            self._pending_state = plan["state"]
            self._pending_metrics = plan["metrics"]
        elif plan["state"] is not None:
            plan["state"].apply()

    def _apply_pending_state(self):
        state, self._pending_state = self._pending_state, None
        state.apply()
