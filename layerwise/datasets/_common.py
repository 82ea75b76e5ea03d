"""Pieces the dataset loaders share: local paths, safe ``.npz``/pickle reading, shuffling, splits.

Loading never runs code: ``.npz`` members holding numbers are read with
pickling disabled, and the few files that need pickle (IMDB and Reuters
keep their ragged sequences as numpy object arrays; CIFAR ships Python
pickles) go through :class:`RestrictedUnpickler`, which rebuilds numpy arrays,
dtypes and Python's plain containers and refuses everything else.
"""

import json
import os
import pickle
import warnings
import zipfile

import numpy as np

from layerwise.utils.file_utils import get_file

# The only callables a dataset pickle may name: how numpy rebuilds an array
# and a dtype. Both spellings of numpy's private module are listed (numpy < 2
# wrote ``numpy.core``, numpy >= 2 writes ``numpy._core``). We hand out the
# objects ourselves instead of importing modules named by the file.
try:
    from numpy._core.multiarray import _reconstruct
except ImportError:  # numpy < 2
    from numpy.core.multiarray import _reconstruct

_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
}


class RestrictedUnpickler(pickle.Unpickler):
    """A pickle reader that rebuilds numpy arrays and plain Python data, and nothing else.

    Dicts, lists, tuples, strings, bytes and numbers come from pickle's own
    opcodes; the only names a file may look up are numpy's array and dtype
    constructors. Anything else (``os.system``, ``builtins.eval``, a class
    from some module) raises ``pickle.UnpicklingError`` before it is called.

    Example:

    >>> with open("cifar-10-batches-py/data_batch_1", "rb") as handle:
    ...     batch = RestrictedUnpickler(handle, encoding="bytes", source=handle.name).load()
    >>> batch[b"data"].shape
    (10000, 3072)
    """

    def __init__(self, file, *, source="the file", **kwargs):
        super().__init__(file, **kwargs)
        self._source = source

    def find_class(self, module, name):
        found = _ALLOWED_GLOBALS.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(
                f"Refusing to load '{module}.{name}' from {self._source}: a data set file may hold only "
                "numbers, strings, lists, dicts and numpy arrays, so this one is corrupt or was tampered "
                "with. Delete it and download it again."
            )
        return found


def is_local_path(path):
    """Whether a loader's ``path=`` names a local file (it has a folder part) rather than a cache name."""
    text = os.fspath(path)
    return os.path.dirname(text) != "" or text.startswith("~")


def local_file(path, caller):
    """``path`` expanded, after checking that it exists."""
    full = os.path.expanduser(os.fspath(path))
    if not os.path.exists(full):
        raise FileNotFoundError(
            f"{caller}(path={os.fspath(path)!r}): no such file. A path with a folder names a local file to "
            "load; a bare file name (the default) names the copy in the download cache."
        )
    return full


def fetch(path, caller, origin, file_hash, cache_subdir="datasets"):
    """The local file for a loader's ``path=``: the file itself, or the cached (downloaded) copy."""
    if is_local_path(path):
        return local_file(path, caller)
    return get_file(fname=os.fspath(path), origin=origin, file_hash=file_hash, cache_subdir=cache_subdir)


def _read_npy(stream, size, source, member):
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version in ((2, 0), (3, 0)):  # 3.0 differs from 2.0 only in allowing UTF-8 in the header
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f"{source}: member {member!r} has an unknown .npy format version {version}.")
    if dtype.hasobject:
        array = RestrictedUnpickler(stream, source=source).load()
        if not isinstance(array, np.ndarray):
            raise ValueError(f"{source}: member {member!r} is not a numpy array.")
        return array
    count = int(np.prod(shape, dtype=np.int64))
    nbytes = count * dtype.itemsize
    if stream.tell() + nbytes != size:  # checked before anything is allocated
        raise ValueError(
            f"{source} is truncated or corrupt: member {member!r} announces shape {shape} "
            f"({nbytes} bytes) but holds {size - stream.tell()} bytes. Delete it and download it again."
        )
    array = np.empty(shape[::-1] if fortran_order else shape, dtype=dtype)
    buffer = memoryview(array.reshape(-1).view(np.uint8))
    filled = 0
    while filled < nbytes:
        got = stream.readinto(buffer[filled:])
        if not got:
            raise ValueError(f"{source} is truncated: member {member!r} ends early.")
        filled += got
    return array.transpose() if fortran_order else array


def load_npz(path, required, dataset):
    """The arrays named ``required`` from the ``.npz`` file at ``path``, read without running code."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = {name[:-4]: name for name in archive.namelist() if name.endswith(".npy")}
            missing = [key for key in required if key not in names]
            if missing:
                raise ValueError(
                    f"{path} is not a {dataset} file: it lacks the arrays {', '.join(missing)} "
                    f"(it holds: {', '.join(sorted(names)) or 'nothing'})."
                )
            arrays = {}
            for key in required:
                info = archive.getinfo(names[key])
                with archive.open(info) as stream:
                    arrays[key] = _read_npy(stream, info.file_size, path, key)
            return arrays
    except zipfile.BadZipFile as error:
        raise ValueError(
            f"{path} is not a valid .npz file ({error}); it is truncated or corrupt. "
            "Delete it and download it again."
        ) from error


def check_test_split(test_split):
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid test_split argument: {test_split}. It must be between 0 and 1 (1 excluded), "
            "for example 0.2 to keep a fifth of the samples for testing."
        )


def shuffled(rng, *arrays):
    """``arrays`` reordered by one permutation drawn from ``rng`` (a ``np.random.RandomState``), as Keras."""
    indices = np.arange(len(arrays[0]))
    rng.shuffle(indices)
    return [array[indices] for array in arrays]


def split_by_fraction(x, y, test_split):
    """Keras's split: the first ``int(n * (1 - test_split))`` samples train, the rest test."""
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def object_array(sequences):
    """A 1-D object array of lists (also when every list has the same length)."""
    array = np.empty(len(sequences), dtype=object)
    for i, sequence in enumerate(sequences):
        array[i] = sequence
    return array


def encode_sequences(xs, start_char, index_from):
    """Shift word ids by ``index_from`` and put ``start_char`` first, as Keras does."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    if index_from:
        return [[w + index_from for w in x] for x in xs]
    return [list(x) for x in xs]


def drop_long(maxlen, xs, labels):
    """Keep the sequences shorter than ``maxlen`` (Keras drops longer ones; it does not cut them)."""
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def limit_vocabulary(xs, num_words, skip_top, oov_char):
    """Replace (or drop) ids outside ``[skip_top, num_words)``.

    Without ``num_words`` the bound is the largest id present, which, as in
    Keras, makes that one id out-of-vocabulary too.
    """
    if not num_words:
        num_words = max((max(x) for x in xs if len(x)), default=0)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def load_word_index(path):
    """The word -> id dict stored as JSON at ``path``."""
    try:
        with open(path, encoding="utf-8") as handle:
            index = json.load(handle)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(
            f"{path} is not a word index: it is not valid JSON ({error}). Delete it and download it again."
        ) from error
    if not isinstance(index, dict):
        raise ValueError(
            f"{path} is not a word index: it holds a JSON {type(index).__name__}, not an object."
        )
    return index


def check_kwargs(kwargs, caller, num_words):
    """Keras 2's ``nb_words`` spelling; anything else is a typo."""
    if "nb_words" in kwargs:
        warnings.warn(f"{caller}: the 'nb_words' argument is deprecated; use 'num_words'.", stacklevel=3)
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"{caller}() got unexpected keyword arguments: {', '.join(sorted(kwargs))}.")
    return num_words


def load_regression(path, test_split, seed, caller, origin, file_hash, dataset, limit=None):
    """Boston/California housing: arrays ``x`` and ``y`` (the first ``limit``), shuffled and split."""
    check_test_split(test_split)
    arrays = load_npz(fetch(path, caller, origin, file_hash), ("x", "y"), dataset)
    x, y = arrays["x"], arrays["y"]
    if len(x) != len(y):
        raise ValueError(f"{path}: x holds {len(x)} samples but y holds {len(y)}.")
    if limit is not None:
        x, y = x[:limit], y[:limit]
    x, y = shuffled(np.random.RandomState(seed), x, y)
    return split_by_fraction(x, y, test_split)
