"""MNIST handwritten digits, as ``keras.datasets.mnist``.

:func:`load_data` downloads Keras's ``mnist.npz`` (once; it is cached and
verified with Keras's sha256) and returns the same arrays as Keras. Local
copies load through the same function: ``load_data(path="/data/mnist.npz")``
reads an ``.npz`` file with the same four arrays, and
``load_data(path="/data/mnist/")`` reads a folder holding the four original
idx files (``train-images-idx3-ubyte.gz`` and friends, gzipped or not).
:func:`load_idx` reads one idx file.

Example:

>>> (x_train, y_train), (x_test, y_test) = layerwise.datasets.mnist.load_data()
>>> x_train.shape, x_train.dtype, y_test.shape
((60000, 28, 28), dtype('uint8'), (10000,))
>>> images = layerwise.datasets.mnist.load_idx("t10k-images-idx3-ubyte.gz")
>>> images.shape, images.dtype
((10000, 28, 28), dtype('uint8'))
"""

import gzip
import os

import numpy as np

from layerwise.datasets import _common

# Where Keras downloads MNIST from, and the sha256 Keras checks.
ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

IDX_FILES = (
    ("x_train", "train-images-idx3-ubyte"),
    ("y_train", "train-labels-idx1-ubyte"),
    ("x_test", "t10k-images-idx3-ubyte"),
    ("y_test", "t10k-labels-idx1-ubyte"),
)

_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_idx(path):
    """The array stored in the idx file at ``path`` (``.gz`` files are decompressed)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as handle:
        data = handle.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise ValueError(f"{path} is not an idx file: its header does not start with 0x0000 and a known type code.")
    dtype, ndim = np.dtype(_DTYPES[data[2]]), data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - offset != expected:
        raise ValueError(
            f"{path} is truncated or corrupt: its header announces shape {shape} ({expected} bytes of data) "
            f"but it holds {len(data) - offset} bytes."
        )
    return np.frombuffer(data, dtype=dtype, offset=offset).reshape(shape).astype(dtype.newbyteorder("="))


def load_idx_folder(folder, files=IDX_FILES, caller="mnist.load_data"):
    """``(x_train, y_train), (x_test, y_test)`` from the four idx files in ``folder`` (``.gz`` or not).

    Example:

    >>> (x_train, y_train), (x_test, y_test) = layerwise.datasets.mnist.load_idx_folder("/data/mnist")
    """
    arrays, missing = {}, []
    for key, stem in files:
        for name in (stem + ".gz", stem):
            if os.path.isfile(os.path.join(folder, name)):
                arrays[key] = load_idx(os.path.join(folder, name))
                break
        else:
            missing.append(stem + "[.gz]")
    if missing:
        raise FileNotFoundError(
            f"{caller}(path={os.fspath(folder)!r}): the folder lacks {', '.join(missing)}. "
            "A folder must hold all four idx files (train-images, train-labels, t10k-images, "
            "t10k-labels); load single files with load_idx()."
        )
    return _paired(arrays, f"{caller}(path={os.fspath(folder)!r})")


def _paired(arrays, where):
    """``(x_train, y_train), (x_test, y_test)`` from ``arrays``, checking that images and labels pair up."""
    for part in ("train", "test"):
        images, labels = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if len(images) != len(labels):
            raise ValueError(
                f"{where}: the {part} images hold {len(images)} samples but the {part} labels hold "
                f"{len(labels)}."
            )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def load_data(path="mnist.npz"):
    """Loads the MNIST dataset: 60,000 28x28 grayscale training images of the 10 digits, 10,000 test images.

    Args:
        path: a file name (default ``"mnist.npz"``): where the download is
            cached, relative to ``~/.layerwise/datasets`` (see
            :func:`layerwise.utils.get_file`). A path with a folder part
            loads local data instead, without any download or checksum: an
            ``.npz`` file holding ``x_train``, ``y_train``, ``x_test`` and
            ``y_test``, or a folder holding the four original idx files.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x_train`` is a ``uint8``
        array of shape ``(60000, 28, 28)`` with pixel values 0-255,
        ``y_train`` a ``uint8`` array of shape ``(60000,)`` with the digits
        0-9; ``x_test`` and ``y_test`` likewise with 10,000 samples.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = layerwise.datasets.mnist.load_data()
    >>> assert x_train.shape == (60000, 28, 28) and y_test.shape == (10000,)

    License: Yann LeCun and Corinna Cortes hold the copyright of MNIST, a
    derivative of the NIST data sets, available under the Creative Commons
    Attribution-Share Alike 3.0 license.
    """
    if _common.is_local_path(path) and os.path.isdir(os.path.expanduser(os.fspath(path))):
        return load_idx_folder(os.path.expanduser(os.fspath(path)))
    file = _common.fetch(path, "mnist.load_data", ORIGIN_FOLDER + "mnist.npz", FILE_HASH)
    arrays = _common.load_npz(file, ("x_train", "y_train", "x_test", "y_test"), "MNIST")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
