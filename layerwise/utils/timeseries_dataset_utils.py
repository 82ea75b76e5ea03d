"""``timeseries_dataset_from_array``: sliding windows over a series, as a dataset of batches.

>>> data = np.arange(100)
>>> ds = layerwise.utils.timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10,
...                                                    batch_size=16)
>>> x, y = next(iter(ds))
>>> x[0].tolist(), int(y[0])          # steps 0..9, and the value 10 steps later
([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 10)
"""

import numbers

import numpy as np
import torch

from layerwise.utils import dataset_utils


def _as_array(values, argument):
    if isinstance(values, torch.Tensor):
        return values.detach().cpu()
    if hasattr(values, "to_numpy") and hasattr(values, "index"):  # pandas DataFrame / Series
        values = values.to_numpy()
    array = np.asarray(values)
    if array.dtype == object or array.dtype.kind in "USM":
        raise ValueError(
            f"timeseries_dataset_from_array: {argument} must hold numbers (one row per time step); got an "
            f"array of dtype {array.dtype}."
        )
    return torch.from_numpy(np.ascontiguousarray(array))


class TimeseriesDataset(dataset_utils.Dataset):
    """The dataset :func:`timeseries_dataset_from_array` returns: window batches ``(x, y)`` or ``x``.

    The data stay in memory; each batch gathers its windows with one
    indexing operation.
    """

    def __init__(self, data, targets, start_positions, sequence_length, sampling_rate, batch_size, shuffle,
                 seed):
        self._data = data
        self._targets = targets
        self._starts = start_positions
        self._offsets = torch.arange(sequence_length, dtype=torch.long) * sampling_rate
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self._passes = 0

    def cardinality(self):
        return -(-len(self._starts) // (self.batch_size or 1))

    def _order(self):
        passes = self._passes
        self._passes += 1
        starts = self._starts
        if self.shuffle and passes > 0:
            starts = starts.copy()
            np.random.RandomState((int(self.seed) + passes) % (2 ** 32)).shuffle(starts)
        return torch.from_numpy(starts.astype(np.int64))

    def _iterate(self):
        starts = self._order()
        size = self.batch_size or 1
        for first in range(0, len(starts), size):
            batch_starts = starts[first:first + size]
            x = self._data[batch_starts[:, None] + self._offsets]
            element = x if self._targets is None else (x, self._targets[batch_starts])
            if self.batch_size is not None:
                yield element
            else:
                yield element[0] if self._targets is None else (element[0][0], element[1][0])


def _check_int(value, argument):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"timeseries_dataset_from_array: {argument} must be an integer; got {value!r}.")
    return int(value)


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None,
                                  format="tf"):
    """Sliding windows over ``data`` (axis 0 is time), batched, with an optional target per window.

    Window ``i`` starts at step ``start_index + i * sequence_stride`` and holds
    ``sequence_length`` steps taken every ``sampling_rate`` steps; its target
    is ``targets[start_index + i * sequence_stride]`` (the target of the
    window's *first* step: to predict the step after a window of length
    ``n``, pass ``targets=data[n:]``).

    Args:
        data: array, tensor or DataFrame of consecutive time steps.
        targets: one target per time step (same length as ``data`` or shorter),
            or ``None`` to yield the windows alone.
        sequence_length: steps per window.
        sequence_stride: steps between the starts of consecutive windows.
        sampling_rate: steps between the samples within a window.
        batch_size: windows per batch (default 128); ``None`` yields single
            windows.
        shuffle: shuffle the windows (reshuffled at every pass).
        seed: seed for the shuffling.
        start_index, end_index: use only steps ``start_index <= t < end_index``
            (to keep part of the series for validation or testing).
        format: accepted for Keras compatibility; layerwise returns its own dataset.

    Returns:
        A :class:`TimeseriesDataset` yielding ``(windows, targets)`` torch
        tensors of shape ``(batch, sequence_length, ...)`` and ``(batch, ...)``
        (or the windows alone), in the data's dtype.
    """
    dataset_utils.check_format(format)
    data = _as_array(data, "data")
    if targets is not None:
        targets = _as_array(targets, "targets")
    n = len(data)
    sequence_length = _check_int(sequence_length, "sequence_length")
    sequence_stride = _check_int(sequence_stride, "sequence_stride")
    sampling_rate = _check_int(sampling_rate, "sampling_rate")
    if sequence_length < 1:
        raise ValueError(f"sequence_length must be a positive integer (steps per window); got {sequence_length}.")
    if start_index:
        start_index = _check_int(start_index, "start_index")
        if start_index < 0:
            raise ValueError(f"start_index must be 0 or greater; got start_index={start_index}.")
        if start_index >= n:
            raise ValueError(
                f"start_index must be lower than the length of the data; got start_index={start_index} for "
                f"data of length {n}."
            )
    if end_index:
        end_index = _check_int(end_index, "end_index")
        if start_index and end_index <= start_index:
            raise ValueError(
                f"end_index must be higher than start_index; got start_index={start_index} and "
                f"end_index={end_index}."
            )
        if end_index >= n:
            raise ValueError(
                f"end_index must be lower than the length of the data; got end_index={end_index} for data "
                f"of length {n}. Leave it out (None) to use the data to the end."
            )
        if end_index <= 0:
            raise ValueError(f"end_index must be higher than 0; got end_index={end_index}.")
    if sampling_rate <= 0:
        raise ValueError(f"sampling_rate must be higher than 0; got sampling_rate={sampling_rate}.")
    if sampling_rate >= n:
        raise ValueError(
            f"sampling_rate must be lower than the length of the data; got sampling_rate={sampling_rate} for "
            f"data of length {n}."
        )
    if sequence_stride <= 0:
        raise ValueError(f"sequence_stride must be higher than 0; got sequence_stride={sequence_stride}.")
    if sequence_stride >= n:
        raise ValueError(
            f"sequence_stride must be lower than the length of the data; got sequence_stride={sequence_stride} "
            f"for data of length {n}."
        )
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                   or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer or None; got {batch_size!r}.")
    start_index = start_index or 0
    end_index = end_index or n
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    if num_seqs <= 0:
        span = (sequence_length - 1) * sampling_rate + 1
        raise ValueError(
            f"timeseries_dataset_from_array: no complete window fits. A window spans {span} steps "
            f"(sequence_length={sequence_length}, sampling_rate={sampling_rate}) but steps {start_index} to "
            f"{end_index} hold only {end_index - start_index}. Use a shorter sequence_length or more data."
        )
    start_positions = np.arange(0, num_seqs, sequence_stride, dtype="int64")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(start_positions)
    data = data[start_index:end_index]
    if targets is not None:
        targets = targets[start_index:]
    return TimeseriesDataset(data, targets, start_positions, sequence_length, sampling_rate, batch_size, shuffle,
                             seed)
