"""Datasets of batches, and the directory indexing behind the ``*_dataset_from_directory`` utilities.

Keras returns ``tf.data.Dataset`` objects from ``image_dataset_from_directory``,
``text_dataset_from_directory`` and ``timeseries_dataset_from_array``.
layerwise returns a :class:`Dataset`: a re-iterable sequence of elements
(usually ``(x, y)`` batches of torch tensors) that ``fit``, ``evaluate`` and
``predict`` accept directly, with ``len()`` (the number of batches) and the
``tf.data`` methods that Keras tutorials call on such datasets: ``take``,
``skip``, ``map``, ``filter``, ``shuffle``, ``cache``, ``prefetch``,
``repeat``, ``batch``, ``unbatch``, ``as_numpy_iterator`` and
``cardinality``.

>>> ds = layerwise.utils.timeseries_dataset_from_array(np.arange(10), None, sequence_length=3,
...                                                    batch_size=4)
>>> len(ds), [tuple(batch.shape) for batch in ds]
(2, [(4, 3), (4, 3)])
>>> [batch.tolist() for batch in ds.unbatch().take(2)]
[[0, 1, 2], [1, 2, 3]]
"""

import math
import os
import queue
import threading
import warnings

import numpy as np
import torch

#: ``cardinality()`` of an endless dataset (``tf.data.INFINITE_CARDINALITY``).
INFINITE = -1
#: ``cardinality()`` of a dataset whose length is not known (``tf.data.UNKNOWN_CARDINALITY``).
UNKNOWN = -2
#: Pass as ``buffer_size`` to ``prefetch`` to let layerwise choose (``tf.data.AUTOTUNE``).
AUTOTUNE = -1


def _is_leaf(value):
    return not isinstance(value, (tuple, list, dict))


def _map_structure(fn, *structures):
    first = structures[0]
    if isinstance(first, dict):
        return {key: _map_structure(fn, *(s[key] for s in structures)) for key in first}
    if isinstance(first, (tuple, list)):
        return type(first)(_map_structure(fn, *items) for items in zip(*structures))
    return fn(*structures)


def _stack(items):
    if isinstance(items[0], torch.Tensor):
        return torch.stack(items)
    return np.stack([np.asarray(item) for item in items])


def _to_numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


def _batch_size_of(element):
    leaves = []
    _map_structure(leaves.append, element)
    return len(leaves[0])


class Dataset:
    """A re-iterable sequence of elements: ``fit``, ``evaluate`` and ``predict`` accept it as ``x``.

    Each ``for`` loop (each epoch) starts a fresh pass. ``len(dataset)`` is
    the number of elements (batches) when it is known; ``cardinality()``
    returns it, or ``INFINITE`` (-1) / ``UNKNOWN`` (-2).

    Elements that are tuples are passed to ``map`` and ``filter`` functions
    as separate arguments, as ``tf.data`` does: ``ds.map(lambda x, y: (x / 255, y))``.

    Example:

    >>> ds = layerwise.utils.timeseries_dataset_from_array(np.arange(6.0), np.arange(6), 2,
    ...                                                    batch_size=2)
    >>> for x, y in ds.take(1):
    ...     print(x.tolist(), y.tolist())
    [[0.0, 1.0], [1.0, 2.0]] [0, 1]
    """

    def __iter__(self):
        return self._iterate()

    def _iterate(self):
        raise NotImplementedError

    def cardinality(self):
        """The number of elements; ``INFINITE`` (-1) for endless, ``UNKNOWN`` (-2) when not known."""
        return UNKNOWN

    def __len__(self):
        count = self.cardinality()
        if count == INFINITE:
            raise TypeError("The dataset repeats forever, so it has no length; pass steps_per_epoch to fit().")
        if count < 0:
            raise TypeError("The length of this dataset is not known (it was filtered or re-batched).")
        return count

    def __bool__(self):
        return True

    def __repr__(self):
        count = self.cardinality()
        size = {INFINITE: "infinite", UNKNOWN: "unknown"}.get(count, str(count))
        return f"<{type(self).__name__} elements={size}>"

    def _inherit(self, source):
        """Keep the attributes users read from the original dataset (class_names, file_paths)."""
        for attribute in ("class_names", "file_paths"):
            if hasattr(source, attribute):
                setattr(self, attribute, getattr(source, attribute))
        return self

    # ---------------------------------------------------------------- transformations

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Apply ``map_func`` to every element (a tuple element is passed as separate arguments)."""
        return _Mapped(self, map_func)._inherit(self)

    def filter(self, predicate, name=None):
        """Keep the elements for which ``predicate`` is true."""
        return _Filtered(self, predicate)._inherit(self)

    def take(self, count, name=None):
        """The first ``count`` elements (all of them for ``count=-1``)."""
        return _Taken(self, int(count))._inherit(self)

    def skip(self, count, name=None):
        """All but the first ``count`` elements."""
        return _Skipped(self, int(count))._inherit(self)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """Shuffle elements with a buffer of ``buffer_size`` elements, as ``tf.data`` does."""
        return _Shuffled(self, int(buffer_size), seed, reshuffle_each_iteration)._inherit(self)

    def repeat(self, count=None, name=None):
        """Repeat the dataset ``count`` times (forever for ``None`` or -1)."""
        return _Repeated(self, None if count is None or count < 0 else int(count))._inherit(self)

    def cache(self, filename="", name=None):
        """Keep the elements in memory after the first full pass, and replay them afterwards."""
        if filename:
            raise ValueError(
                "Dataset.cache(filename) is not supported: layerwise caches in memory only. "
                "Call cache() without a filename."
            )
        return _Cached(self)._inherit(self)

    def prefetch(self, buffer_size=AUTOTUNE, name=None):
        """Prepare up to ``buffer_size`` elements ahead in a background thread."""
        size = 2 if buffer_size is None or buffer_size < 1 else int(buffer_size)
        return _Prefetched(self, size)._inherit(self)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None, name=None):
        """Stack ``batch_size`` consecutive elements into one."""
        return _Batched(self, int(batch_size), drop_remainder)._inherit(self)

    def unbatch(self, name=None):
        """Split every element along its first axis into single samples."""
        return _Unbatched(self)._inherit(self)

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        """Unbatch, then batch again with ``batch_size``."""
        return self.unbatch().batch(batch_size, drop_remainder)

    def as_numpy_iterator(self):
        """Iterate over the elements with every tensor converted to a numpy array."""
        for element in self:
            yield _map_structure(_to_numpy, element)


class _Derived(Dataset):
    def __init__(self, source):
        self.source = source

    def cardinality(self):
        return self.source.cardinality()


class _Mapped(_Derived):
    def __init__(self, source, fn):
        super().__init__(source)
        self.fn = fn

    def _iterate(self):
        for element in self.source:
            yield self.fn(*element) if isinstance(element, tuple) else self.fn(element)


class _Filtered(_Derived):
    def __init__(self, source, predicate):
        super().__init__(source)
        self.predicate = predicate

    def cardinality(self):
        return INFINITE if self.source.cardinality() == INFINITE else UNKNOWN

    def _iterate(self):
        for element in self.source:
            keep = self.predicate(*element) if isinstance(element, tuple) else self.predicate(element)
            if bool(keep):
                yield element


class _Taken(_Derived):
    def __init__(self, source, count):
        super().__init__(source)
        self.count = count

    def cardinality(self):
        n = self.source.cardinality()
        if self.count < 0:
            return n
        if n == INFINITE:
            return self.count
        return min(n, self.count) if n >= 0 else UNKNOWN

    def _iterate(self):
        if self.count < 0:
            yield from self.source
            return
        if self.count == 0:
            return
        for i, element in enumerate(self.source):
            yield element
            if i + 1 >= self.count:
                return


class _Skipped(_Derived):
    def __init__(self, source, count):
        super().__init__(source)
        self.count = count

    def cardinality(self):
        n = self.source.cardinality()
        if n < 0:
            return n
        return 0 if self.count < 0 else max(n - self.count, 0)

    def _iterate(self):
        if self.count < 0:
            return
        for i, element in enumerate(self.source):
            if i >= self.count:
                yield element


class _Shuffled(_Derived):
    def __init__(self, source, buffer_size, seed, reshuffle_each_iteration):
        super().__init__(source)
        if buffer_size < 1:
            raise ValueError(f"shuffle buffer_size must be a positive integer, got {buffer_size}.")
        self.buffer_size = buffer_size
        self.seed = seed
        self.reshuffle = reshuffle_each_iteration
        self._passes = 0

    def _iterate(self):
        if self.seed is None:
            rng = np.random.default_rng()
        else:
            rng = np.random.default_rng([int(self.seed), self._passes if self.reshuffle else 0])
        self._passes += 1
        buffer = []
        for element in self.source:
            if len(buffer) < self.buffer_size:
                buffer.append(element)
                continue
            index = int(rng.integers(len(buffer)))
            yield buffer[index]
            buffer[index] = element
        while buffer:
            yield buffer.pop(int(rng.integers(len(buffer))))


class _Repeated(_Derived):
    def __init__(self, source, count):
        super().__init__(source)
        self.count = count

    def cardinality(self):
        n = self.source.cardinality()
        if self.count is None:
            return 0 if n == 0 else INFINITE
        return n * self.count if n >= 0 else n

    def _iterate(self):
        passes = 0
        while self.count is None or passes < self.count:
            produced = False
            for element in self.source:
                produced = True
                yield element
            passes += 1
            if not produced:
                return


class _Cached(_Derived):
    def __init__(self, source):
        super().__init__(source)
        self._elements = None

    def _iterate(self):
        if self._elements is not None:
            yield from self._elements
            return
        collected = []
        for element in self.source:
            collected.append(element)
            yield element
        self._elements = collected  # only a complete pass is cached, as tf.data does


class _Prefetched(_Derived):
    _END = object()

    def __init__(self, source, size):
        super().__init__(source)
        self.size = size

    def _iterate(self):
        buffer = queue.Queue(maxsize=self.size)
        stop = threading.Event()

        def put(item):
            while not stop.is_set():
                try:
                    buffer.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def produce():
            try:
                for element in self.source:
                    if not put((True, element)):
                        return
                put((True, self._END))
            except BaseException as error:  # handed to the consumer, raised there
                put((False, error))

        worker = threading.Thread(target=produce, name="layerwise-prefetch", daemon=True)
        worker.start()
        try:
            while True:
                ok, item = buffer.get()
                if not ok:
                    raise item
                if item is self._END:
                    return
                yield item
        finally:
            stop.set()


class _Batched(_Derived):
    def __init__(self, source, batch_size, drop_remainder):
        super().__init__(source)
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}.")
        self.batch_size = batch_size
        self.drop_remainder = drop_remainder

    def cardinality(self):
        n = self.source.cardinality()
        if n < 0:
            return n
        return n // self.batch_size if self.drop_remainder else -(-n // self.batch_size)

    def _iterate(self):
        pending = []
        for element in self.source:
            pending.append(element)
            if len(pending) == self.batch_size:
                yield _map_structure(lambda *items: _stack(items), *pending)
                pending = []
        if pending and not self.drop_remainder:
            yield _map_structure(lambda *items: _stack(items), *pending)


class _Unbatched(_Derived):
    def cardinality(self):
        n = self.source.cardinality()
        return INFINITE if n == INFINITE else UNKNOWN

    def _iterate(self):
        for element in self.source:
            for i in range(_batch_size_of(element)):
                yield _map_structure(lambda leaf, i=i: leaf[i], element)


class FileDataset(Dataset):
    """Base of the datasets read from files: order, batching, labels and the class attributes.

    Attributes:
        class_names: the class names, in label order (``None`` without labels).
        file_paths: the files, in the order of the first pass.
    """

    def __init__(self, file_paths, labels, label_mode, class_names, batch_size, shuffle, seed):
        self.file_paths = list(file_paths)
        self.class_names = class_names
        self._labels = None
        if label_mode is not None and labels is not None:
            self._labels = encode_labels(labels, label_mode, len(class_names or []))
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self._passes = 0

    def cardinality(self):
        size = self.batch_size or 1
        return math.ceil(len(self.file_paths) / size)

    def _order(self):
        """The file order of this pass: the listed order first, then reshuffled each pass (when shuffling)."""
        n = len(self.file_paths)
        passes = self._passes
        self._passes += 1
        if not self.shuffle or passes == 0:
            return np.arange(n)
        seed = self.seed if self.seed is not None else np.random.randint(1e6)
        return np.random.RandomState((int(seed) + passes) % (2 ** 32)).permutation(n)

    def _batch_indices(self):
        order = self._order()
        size = self.batch_size or 32
        return [order[i:i + size].tolist() for i in range(0, len(order), size)]

    def _element(self, x, indices):
        if self._labels is None:
            batch = x
        else:
            batch = (x, self._labels[torch.as_tensor(indices, dtype=torch.long)])
        return batch

    def _emit(self, x, indices):
        """Yield one batch, or its samples one by one when ``batch_size`` is None."""
        element = self._element(x, indices)
        if self.batch_size is not None:
            yield element
            return
        for i in range(len(indices)):
            yield element[i] if not isinstance(element, tuple) else tuple(t[i] for t in element)


# ---------------------------------------------------------------- directories

def check_validation_split_arg(validation_split, subset, shuffle, seed):
    """Refuse inconsistent ``validation_split``/``subset``/``seed`` combinations, as Keras does."""
    if validation_split is not None and (
            isinstance(validation_split, bool) or not isinstance(validation_split, (int, float))
            or not 0 <= validation_split < 1):
        raise ValueError(
            "validation_split must be a float between 0 and 1, the fraction of the files held out for "
            f"validation, e.g. 0.2; got {validation_split!r}."
        )
    if subset not in ("training", "validation", "both", None):
        raise ValueError(
            f"subset must be 'training', 'validation' or 'both' (used with validation_split); got {subset!r}."
        )
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError(
            "validation_split and subset go together: pass both (e.g. validation_split=0.2, "
            "subset='training') or neither."
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "With validation_split and shuffle=True you must pass a seed, so that the training and "
            "validation subsets are drawn from the same shuffled order and do not overlap; e.g. seed=123."
        )


def _walk(directory, follow_links):
    for root, dirs, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0]):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for fname in sorted(files):
            yield root, fname


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None, follow_links=False,
                    verbose=True, what="files", warn_skipped=True):
    """List the files of ``directory`` (with an allowed extension) and their labels, as Keras does.

    Returns ``(file_paths, labels, class_names)``: paths in Keras's order
    (sorted, then shuffled with ``np.random.RandomState(seed)`` when
    ``shuffle``), an ``int32`` array of labels (or ``None``), and the class
    names (subfolder names, or the sorted distinct labels given).

    Files with other extensions are skipped with one warning listing them
    (hidden files such as ``.DS_Store`` are skipped silently); a class
    folder with no usable file is an error.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"Directory {directory!r} does not exist or is not a directory. Pass the folder that holds "
            "one subfolder of files per class."
        )
    formats = tuple(f.lower() for f in formats)
    if labels == "inferred":
        subdirs = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if class_names is not None:
            missing = [name for name in class_names if name not in subdirs]
            if missing:
                raise ValueError(
                    f"class_names {list(class_names)} do not match the subfolders of {directory!r}: "
                    f"{missing} not found. The subfolders are {subdirs}; class_names must be a subset "
                    "of them (their order sets the label numbers)."
                )
            subdirs = list(class_names)
        if not subdirs:
            loose = [f for f in sorted(os.listdir(directory)) if f.lower().endswith(formats)]
            hint = (f" It holds {len(loose)} {what} directly; put each class's files in its own subfolder, "
                    "or pass labels=None to load them without labels.") if loose else ""
            raise ValueError(
                f"No class subfolders found in {directory!r}. With labels='inferred' every class needs its "
                f"own subfolder (e.g. {directory}/cats/, {directory}/dogs/).{hint}"
            )
    else:
        if class_names is not None:
            if labels is None:
                raise ValueError("With labels=None (no labels) class_names cannot be given.")
            raise ValueError(
                "When labels are given as a list, class_names cannot be given: the class names are the "
                "sorted distinct labels."
            )
        subdirs = [""]

    file_paths, file_labels, skipped = [], [], []
    for index, subdir in enumerate(subdirs):
        root_dir = os.path.join(directory, subdir) if subdir else directory
        found = 0
        for root, fname in _walk(root_dir, follow_links):
            path = os.path.join(root, fname)
            if fname.lower().endswith(formats):
                file_paths.append(path)
                file_labels.append(index)
                found += 1
            elif not fname.startswith(".") and fname not in ("Thumbs.db", "desktop.ini"):
                skipped.append(os.path.relpath(path, directory))
        if labels == "inferred" and found == 0:
            raise ValueError(
                f"Class folder {subdir!r} in {directory!r} has no {what} with an allowed extension "
                f"{formats}. Add {what} to it, remove the folder, or pass class_names=[...] listing only "
                "the classes to load."
            )
    if skipped and warn_skipped:
        shown = ", ".join(repr(p) for p in skipped[:5]) + (", ..." if len(skipped) > 5 else "")
        warnings.warn(
            f"Skipped {len(skipped)} file(s) in {directory!r} without an allowed extension {formats}: "
            f"{shown}.",
            stacklevel=3,
        )

    if labels == "inferred":
        label_array = np.asarray(file_labels, dtype="int32")
        class_names = list(subdirs)
    elif labels is None:
        label_array = None
        class_names = None
    else:
        if len(labels) != len(file_paths):
            raise ValueError(
                f"labels has {len(labels)} entries but {len(file_paths)} {what} were found in "
                f"{directory!r}; give one label per file, in the sorted order of the file paths."
            )
        label_array = np.asarray(labels)
        if label_array.dtype.kind not in "iu":
            raise ValueError(f"labels must be integers (class indices); got values of dtype {label_array.dtype}.")
        label_array = label_array.astype("int32")
        class_names = [str(label) for label in sorted(set(label_array.tolist()))]
    if verbose:
        if label_array is None:
            print(f"Found {len(file_paths)} files.")
        else:
            print(f"Found {len(file_paths)} files belonging to {len(class_names)} classes.")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(file_paths)
        if label_array is not None:
            np.random.RandomState(seed).shuffle(label_array)
    return file_paths, label_array, class_names


def get_training_or_validation_split(samples, labels, validation_split, subset, verbose=True):
    """The ``"training"`` part (all but the last fraction) or the ``"validation"`` part (the last fraction)."""
    if not validation_split:
        return samples, labels
    num_val = int(validation_split * len(samples))
    if subset == "training":
        if verbose:
            print(f"Using {len(samples) - num_val} files for training.")
        end = len(samples) - num_val
        return samples[:end], None if labels is None else labels[:end]
    if subset == "validation":
        if verbose:
            print(f"Using {num_val} files for validation.")
        start = len(samples) - num_val
        return samples[start:], None if labels is None else labels[start:]
    raise ValueError(f"subset must be 'training' or 'validation'; got {subset!r}.")


def encode_labels(labels, label_mode, num_classes):
    """Labels as Keras yields them: int32 ``(n,)``, float32 one-hot ``(n, k)`` or float32 ``(n, 1)``."""
    labels = torch.as_tensor(np.asarray(labels, dtype="int64"))
    if label_mode == "int":
        return labels.to(torch.int32)
    if label_mode == "binary":
        return labels.to(torch.float32).unsqueeze(-1)
    if label_mode == "categorical":
        return torch.nn.functional.one_hot(labels, num_classes).to(torch.float32)
    raise ValueError(f"label_mode must be 'int', 'categorical', 'binary' or None; got {label_mode!r}.")


def check_label_mode(label_mode):
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            "label_mode must be 'int' (integer labels, for sparse_categorical_crossentropy), 'categorical' "
            "(one-hot, for categorical_crossentropy), 'binary' (0/1 floats, for binary_crossentropy) or "
            f"None (no labels); got {label_mode!r}."
        )


def check_labels_arg(labels, class_names, what):
    if labels not in ("inferred", None) and not isinstance(labels, str):
        if not isinstance(labels, (list, tuple, np.ndarray)):
            raise ValueError(
                f"labels must be 'inferred' (from the subfolder names), None (no labels) or a list of integer "
                f"labels, one per {what[:-1]} in sorted path order; got {labels!r}."
            )
        if class_names:
            raise ValueError(
                "class_names can only be given with labels='inferred'; got labels as a list and "
                f"class_names={class_names!r}."
            )
    elif isinstance(labels, str) and labels != "inferred":
        raise ValueError(
            f"labels must be 'inferred', None or a list of integer labels; got {labels!r}."
        )


def check_format(format):
    if format not in ("tf", "grain", "torch", None):
        raise ValueError(f"format must be 'tf', 'grain' or 'torch'; got {format!r}.")
