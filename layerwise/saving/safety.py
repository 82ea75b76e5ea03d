"""Checks that make reading an untrusted model file safe.

A model file may come from anyone. Reading one must never run code, import
a module, follow a link to another file, or allocate memory the file merely
*claims* to need. HDF5 can do all of the risky things on its own: external
links point into other files, soft links can loop, datasets can keep their
bytes in external raw files or be virtual views over other files. These
checks refuse such files before a single value is read; the loaders call
them, and a refused file raises :class:`UnsafeFileError` (a ``ValueError``)
saying what was refused and why.

Example:

>>> with open_hdf5("model.weights.h5") as h5:
...     kernel = read_dataset(h5["layers/dense/vars/0"], expected_shape=(4, 2),
...                           where="layer 'dense' variable 0")
"""

import contextlib
import io
import os
import threading

import h5py
import numpy as np

# No single weight in a course model comes near this; a file that declares
# more is refused before anything is allocated.
MAX_VARIABLE_BYTES = 4 * 1024**3
# A dataset larger than this must store at least 1/MAX_EXPANSION of its
# declared size: a chunked, compressed dataset holding only its fill value
# (a "shape bomb") declares gigabytes while storing a few bytes.
_BOMB_FLOOR_BYTES = 64 * 1024**2
_MAX_EXPANSION = 1000

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


class UnsafeFileError(ValueError):
    """A model or weights file was refused because reading it could be unsafe or it is corrupt."""


_untrusted_config = threading.local()


@contextlib.contextmanager
def untrusted_sizes():
    """Within the block, layers refuse to create weights over :data:`MAX_VARIABLE_BYTES`.

    The loaders build models from a file's config inside it: a config may
    declare ``Dense(units=10**10)``, and the weight must be refused before it
    is allocated.
    """
    previous = getattr(_untrusted_config, "active", False)
    _untrusted_config.active = True
    try:
        yield
    finally:
        _untrusted_config.active = previous


def check_allocation(shape, itemsize, where):
    """Refuse a weight of ``shape`` declared by an untrusted config if it is too large (see above)."""
    if getattr(_untrusted_config, "active", False):
        _declared_bytes(tuple(shape), itemsize, where, "the config")


def _declared_bytes(shape, itemsize, where, declarer):
    """The bytes ``shape`` needs; refuses more than a weight may take (before anything is allocated)."""
    declared_bytes = int(np.prod(shape, dtype=np.float64) * itemsize)
    if declared_bytes > MAX_VARIABLE_BYTES:
        raise UnsafeFileError(
            f"Refused {where}: {declarer} declares shape {shape} ({declared_bytes:,} bytes), more than "
            f"the {MAX_VARIABLE_BYTES:,} bytes a weight may take."
        )
    return declared_bytes


@contextlib.contextmanager
def open_hdf5(source, name=None):
    """Open an HDF5 file read-only after checking every link and dataset in it.

    ``source`` is a path or a binary file object (for the ``model.weights.h5``
    member of a ``.keras`` zip, read into memory); ``name`` is how error
    messages call it (default: the path).

    Refuses (with :class:`UnsafeFileError`) a file that is not HDF5 or is
    truncated, external links, soft links, datasets stored in external raw
    files, and virtual datasets.
    """
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        name = name or path
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No file at '{path}'.")
        if not h5py.is_hdf5(path):
            raise UnsafeFileError(f"'{name}' is not an HDF5 file, or it is truncated or corrupt.")
        opener = path
    else:
        name = name or "the HDF5 data"
        if not _has_signature(source):
            raise UnsafeFileError(f"'{name}' is not an HDF5 file, or it is truncated or corrupt.")
        opener = source
    try:
        h5 = h5py.File(opener, "r")
    except (OSError, ValueError) as error:
        raise UnsafeFileError(f"'{name}' cannot be read as HDF5 (truncated or corrupt?): {error}") from None
    try:
        check_hdf5_tree(h5, name)
        yield h5
    finally:
        h5.close()


def _has_signature(fileobj):
    """True if the HDF5 signature is at offset 0 or at a user-block offset (512, 1024, ...)."""
    position = fileobj.tell()
    try:
        size = fileobj.seek(0, io.SEEK_END)
        offset = 0
        while offset + len(_HDF5_SIGNATURE) <= size:
            fileobj.seek(offset)
            if fileobj.read(len(_HDF5_SIGNATURE)) == _HDF5_SIGNATURE:
                return True
            offset = 512 if offset == 0 else offset * 2
        return False
    finally:
        fileobj.seek(position)


def check_hdf5_tree(h5, path):
    """Walk every link under ``h5`` and refuse links out of the file and indirect storage."""

    def refusal(name, link):
        # Returning a message stops h5py's walk; raising inside its callback does not work cleanly.
        if isinstance(link, h5py.ExternalLink):
            return (f"'{name}' is an HDF5 external link to '{link.filename}'; "
                    "a model file may not point at other files.")
        if isinstance(link, h5py.SoftLink):
            return (f"'{name}' is an HDF5 soft link to '{link.path}'; "
                    "model files written by Keras or layerwise contain none.")
        item = h5.get(name)
        if isinstance(item, h5py.Dataset):
            if item.external:
                return (f"dataset '{name}' keeps its data in external files; a model file must hold its "
                        "own data.")
            if item.is_virtual:
                return f"dataset '{name}' is a virtual dataset that maps other files."
        return None

    try:
        reason = h5.visititems_links(refusal)
    except (OSError, RuntimeError, KeyError) as error:
        raise UnsafeFileError(f"'{path}' is corrupt or truncated: {error}") from None
    if reason:
        raise UnsafeFileError(f"Refused '{path}': {reason}")


def check_dataset(dataset, where="a variable"):
    """Refuse a dataset that is not a numeric array or declares more memory than a weight may take.

    Reads only the dataset's metadata (shape, dtype, stored size), never its values.
    """
    if not isinstance(dataset, h5py.Dataset):
        raise UnsafeFileError(
            f"Refused {where}: the file holds a {type(dataset).__name__} there, not a dataset."
        )
    if dataset.shape is None:
        raise UnsafeFileError(f"Refused {where}: the dataset is empty (it has no shape), not an array.")
    shape = tuple(int(d) for d in dataset.shape)
    dtype = dataset.dtype
    if dtype.kind not in "biuf":
        raise UnsafeFileError(
            f"Refused {where}: its data type is {dtype}, not a number type; model weights are numbers."
        )
    declared_bytes = _declared_bytes(shape, dtype.itemsize, where, "the file")
    if declared_bytes > _BOMB_FLOOR_BYTES:
        stored = dataset.id.get_storage_size()
        if declared_bytes > _MAX_EXPANSION * stored:
            raise UnsafeFileError(
                f"Refused {where}: the file declares {declared_bytes:,} bytes but stores only "
                f"{stored:,}; a dataset that expands that much is a decompression bomb, not weights."
            )
    return shape


def read_dataset(dataset, expected_shape=None, where="a variable"):
    """Read a numeric HDF5 dataset, checking its dtype, declared size and shape first.

    ``expected_shape`` (when given) must equal the dataset's shape; ``where``
    names the variable in error messages. Nothing is read (or allocated)
    before every check has passed.
    """
    shape = check_dataset(dataset, where)
    if expected_shape is not None and shape != tuple(expected_shape):
        raise UnsafeFileError(
            f"Refused {where}: the file declares shape {shape}, the model expects {tuple(expected_shape)}."
        )
    try:
        return np.asarray(dataset[()])
    except (OSError, ValueError) as error:
        raise UnsafeFileError(f"Cannot read {where} (truncated or corrupt file?): {error}") from None
