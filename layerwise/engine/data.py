"""Turning what users pass to ``fit``/``evaluate``/``predict`` into batches.

Arrays (numpy, pandas, torch, lists and dicts of them) are validated once,
converted once and put on the device once (:class:`ArrayData`); every batch
after that is a slice or an index of tensors already in place. Generators,
``torch.utils.data.DataLoader`` and any iterable of ``(x, y[, sample_weight])``
batches go through :class:`IterableData`, which converts each batch as it
arrives.

Bad data is refused here, before the first training step, with a message
that says what is wrong and where (DESIGN.md, "Errors").
"""

import math

import numpy as np
import torch

from layerwise import backend
from layerwise.engine import nest


def _is_dataframe(value):
    return hasattr(value, "dtypes") and hasattr(value, "columns") and hasattr(value, "to_numpy")


def _is_series(value):
    return hasattr(value, "dtype") and hasattr(value, "to_numpy") and hasattr(value, "index") \
        and not hasattr(value, "columns")


def _numeric_dtype(dtype):
    try:
        return np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.bool_)
    except TypeError:  # pandas extension dtypes (strings, categories) are not numpy types
        return False


def _to_numpy(value, argument):
    """A numeric numpy array from numpy, pandas, lists or scalars, with a clear error otherwise."""
    if _is_dataframe(value):
        bad = [f"'{name}' ({dtype})" for name, dtype in value.dtypes.items() if not _numeric_dtype(dtype)]
        if bad:
            raise ValueError(
                f"{argument} is a DataFrame with non-numeric columns: {', '.join(bad)}. Encode them as "
                "numbers (for example with pandas.get_dummies) or drop them before fit()."
            )
        return value.to_numpy()
    if _is_series(value):
        return value.to_numpy()
    array = np.asarray(value)
    if array.dtype == object:
        raise ValueError(
            f"{argument} could not be turned into a numeric array (got dtype object). Check for "
            "rows of different lengths, strings, or None values."
        )
    if array.dtype.kind in "USM":
        raise ValueError(
            f"{argument} holds {array.dtype} values; layerwise needs numbers. Encode strings as numbers "
            "first (for example with a lookup table or pandas.get_dummies)."
        )
    return array


def _check_finite(array, argument):
    """Refuse NaN or infinite values, saying how many and where."""
    if array.dtype.kind != "f":
        return
    bad = ~np.isfinite(array)
    if not bad.any():
        return
    rows = bad.reshape(len(bad), -1).any(axis=1) if array.ndim > 1 else bad
    first_row = int(np.argmax(rows))
    where = f"row {first_row}"
    if array.ndim == 2:
        columns = np.flatnonzero(bad.any(axis=0))
        where += f", column {int(np.flatnonzero(bad[first_row])[0])}"
        extent = f"{int(rows.sum())} rows and {len(columns)} columns"
    else:
        extent = f"{int(rows.sum())} rows"
    kinds = []
    if np.isnan(array).any():
        kinds.append(f"{int(np.isnan(array).sum())} NaN")
    if np.isinf(array).any():
        kinds.append(f"{int(np.isinf(array).sum())} infinite")
    raise ValueError(
        f"{argument} contains {' and '.join(kinds)} values in {extent} (first at {where}). Remove or "
        "fill them (for example with dropna() or fillna()) before training."
    )


def to_tensors(structure, argument, dtype=None):
    """Validate and convert a nested structure of arrays to tensors on the device.

    ``argument`` names the structure in error messages (``"x"``, ``"y"``).
    Float data become ``floatx`` (float32); integer and boolean data keep
    their type.
    """
    def convert(leaf):
        if leaf is None:
            return None
        if argument == "x" and _text_array(leaf) is not None:
            return _text_array(leaf)  # strings stay on the host for TextVectorization & co.
        if isinstance(leaf, torch.Tensor):
            if leaf.is_floating_point():
                if not torch.isfinite(leaf).all():
                    _check_finite(leaf.detach().cpu().numpy(), argument)
                leaf = leaf.to(backend.torch_dtype(dtype or backend.floatx()))
            return leaf.to(backend.device())
        array = _to_numpy(leaf, argument)
        _check_finite(array, argument)
        return backend.convert_to_tensor(array, dtype=dtype if array.dtype.kind == "f" else None)

    if _is_dataframe(structure) or _is_series(structure):
        return convert(structure)
    if argument == "x" and isinstance(structure, list) and structure and all(isinstance(t, str) for t in structure):
        structure = np.array(structure, dtype=object)  # a list of texts is one input, not one input per text
    elif backend.is_number_list(structure):
        structure = backend.number_list_to_array(structure, argument)
    return nest.map_structure(convert, structure)


def _text_array(value):
    """``value`` as a numpy array if it holds strings (numpy str/bytes, objects, a pandas Series), else None."""
    if _is_series(value):
        value = value.to_numpy()
    return value if backend.is_text_array(value) else None


def num_samples(structure, argument):
    """The common first dimension of every array in ``structure``."""
    sizes = {int(leaf.shape[0]) for leaf in nest.flatten(structure) if leaf is not None}
    if len(sizes) > 1:
        raise ValueError(
            f"The arrays in {argument} have different numbers of samples: {sorted(sizes)}. "
            "Every input must have one row per sample."
        )
    return sizes.pop() if sizes else 0


def check_validation_split(validation_split):
    if isinstance(validation_split, bool) or not isinstance(validation_split, (int, float)) \
            or not 0 < validation_split < 1:
        raise ValueError(
            f"validation_split must be a float between 0 and 1 (exclusive), the fraction of the data "
            f"held out for validation, e.g. 0.2; got {validation_split!r}."
        )


def class_weight_to_sample_weight(y, class_weight):
    """Per-sample weights from ``{class_index: weight}``, reading labels as Keras does."""
    labels = y.detach()
    if labels.ndim > 1:
        labels = labels.argmax(dim=-1) if labels.shape[-1] != 1 else labels.squeeze(-1)
    labels = torch.round(labels.to(torch.float64)).to(torch.int64)
    table_size = max(int(labels.max()) + 1 if labels.numel() else 0, max(class_weight) + 1)
    table = torch.ones(table_size, dtype=backend.torch_dtype(None), device=labels.device)
    for index, weight in class_weight.items():
        table[int(index)] = float(weight)
    return table[labels]


def _select(structure, index):
    return nest.map_structure(lambda t: None if t is None else t[_host_index(t, index)], structure)


def _host_index(leaf, index):
    # Text arrays live on the host: a shuffled order (a device tensor) indexes them as numpy.
    if isinstance(leaf, np.ndarray) and isinstance(index, torch.Tensor):
        return index.cpu().numpy()
    return index


class ArrayData:
    """In-memory data: tensors on the device, sliced into batches.

    Example:

    >>> data = ArrayData(np.zeros((100, 3)), np.zeros(100))
    >>> [x.shape[0] for x, y, w in data.batches(batch_size=32, shuffle=False)]
    [32, 32, 32, 4]
    """

    def __init__(self, x, y=None, sample_weight=None, class_weight=None):
        self.x = to_tensors(x, "x")
        self.y = to_tensors(y, "y")
        self.sample_weight = to_tensors(sample_weight, "sample_weight")
        self.num_samples = num_samples(self.x, "x")
        for name, value in (("y", self.y), ("sample_weight", self.sample_weight)):
            if value is not None and num_samples(value, name) != self.num_samples:
                raise ValueError(
                    f"x has {self.num_samples} samples but {name} has {num_samples(value, name)}; "
                    f"they must have the same number of rows (one {name} entry per sample)."
                )
        if self.num_samples == 0:
            raise ValueError("The data set is empty: x has 0 samples. Check how the data were loaded or split.")
        if class_weight:
            self.weight_classes(class_weight)

    def weight_classes(self, class_weight):
        """Multiply the sample weights by ``class_weight[label]`` (fit does this for training data only)."""
        if self.y is None or not isinstance(self.y, torch.Tensor):
            raise ValueError("class_weight needs a single array of targets y.")
        weights = class_weight_to_sample_weight(self.y, class_weight)
        self.sample_weight = weights if self.sample_weight is None else self.sample_weight * weights

    def split(self, validation_split):
        """``(train, validation)``: the validation part is the last fraction, taken before shuffling."""
        check_validation_split(validation_split)
        split_at = int(math.floor(self.num_samples * (1.0 - validation_split)))
        if split_at == 0 or split_at == self.num_samples:
            raise ValueError(
                f"The data have {self.num_samples} samples, too few to hold out "
                f"validation_split={validation_split} of them for validation. Use more data or "
                "another validation_split."
            )
        first, last = slice(0, split_at), slice(split_at, None)
        return self._subset(first), self._subset(last)

    def _subset(self, index):
        subset = object.__new__(ArrayData)
        subset.x = _select(self.x, index)
        subset.y = _select(self.y, index)
        subset.sample_weight = _select(self.sample_weight, index)
        subset.num_samples = num_samples(subset.x, "x")
        return subset

    def steps(self, batch_size):
        return math.ceil(self.num_samples / batch_size)

    def batches(self, batch_size, shuffle=False):
        """Yield ``(x, y, sample_weight)`` batches; ``shuffle`` draws a new order each call.

        ``shuffle="batch"`` shuffles the order of batches, not the samples in them.
        """
        n = self.num_samples
        if shuffle == "batch":
            starts = torch.randperm(self.steps(batch_size)).tolist()
            for start in starts:
                index = slice(start * batch_size, min((start + 1) * batch_size, n))
                yield _select(self.x, index), _select(self.y, index), _select(self.sample_weight, index)
            return
        order = torch.randperm(n, device=backend.device()) if shuffle else None
        for start in range(0, n, batch_size):
            index = slice(start, min(start + batch_size, n))
            if order is not None:
                index = order[index]
            yield _select(self.x, index), _select(self.y, index), _select(self.sample_weight, index)


def unpack_batch(batch):
    """``(x, y, sample_weight)`` from a batch given as ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, w)``.

    Lists count as tuples, as in Keras: a ``DataLoader`` collates ``(x, y)``
    samples into a ``[x, y]`` list.
    """
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple):
        return batch, None, None
    if len(batch) == 1:
        return batch[0], None, None
    if len(batch) == 2:
        return batch[0], batch[1], None
    if len(batch) == 3:
        return batch
    raise ValueError(
        f"A data batch must be x, (x,), (x, y) or (x, y, sample_weight); got a sequence of {len(batch)} items."
    )


class IterableData:
    """Batches that arrive one by one: a generator, a ``DataLoader``, any iterable.

    A re-iterable object (a list, a ``DataLoader``) starts again each epoch; a
    generator is read across epochs, ``steps_per_epoch`` batches at a time.
    """

    def __init__(self, source, class_weight=None):
        self.source = source
        self.class_weight = class_weight
        self._one_shot = iter(source) is source
        self._iterator = iter(source) if self._one_shot else None

    def steps(self, batch_size=None):
        try:
            return len(self.source)
        except TypeError:
            return None

    def batches(self, batch_size=None, shuffle=False, steps=None):
        iterator = self._iterator if self._one_shot else iter(self.source)
        count = 0
        while steps is None or count < steps:
            try:
                batch = next(iterator)
            except StopIteration:
                if self._one_shot and steps is not None and count < steps:
                    raise ValueError(
                        f"The data generator ran out after {count} batches, but steps_per_epoch asks "
                        f"for {steps}. Make the generator loop forever (while True: ... yield) or "
                        "lower steps_per_epoch."
                    ) from None
                return
            x, y, w = unpack_batch(batch)
            x, y, w = to_tensors(x, "x"), to_tensors(y, "y"), to_tensors(w, "sample_weight")
            if self.class_weight and y is not None:
                weights = class_weight_to_sample_weight(y, self.class_weight)
                w = weights if w is None else w * weights
            count += 1
            yield x, y, w


def is_iterable_source(x):
    """True for generators, DataLoaders and other iterables of batches (not arrays or containers)."""
    if isinstance(x, (np.ndarray, torch.Tensor, list, tuple, dict)) or _is_dataframe(x) or _is_series(x):
        return False
    return hasattr(x, "__iter__") or hasattr(x, "__next__")


def make_data(x, y=None, sample_weight=None, class_weight=None):
    """The right data holder for what the user passed as ``x`` (and ``y``)."""
    if is_iterable_source(x):
        if y is not None:
            raise ValueError(
                "When x is a generator, a DataLoader or another iterable of batches, it must yield "
                "(x, y) pairs itself: do not also pass y."
            )
        if sample_weight is not None:
            raise ValueError(
                "When x is an iterable of batches, yield (x, y, sample_weight) from it instead of "
                "passing sample_weight."
            )
        return IterableData(x, class_weight=class_weight)
    if x is None:
        raise ValueError("No data given: pass the inputs as x.")
    return ArrayData(x, y, sample_weight, class_weight=class_weight)
