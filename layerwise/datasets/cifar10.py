"""CIFAR-10 small images, as ``keras.datasets.cifar10``.

Downloads Alex Krizhevsky's ``cifar-10-python.tar.gz`` (once; cached and
verified with Keras's sha256), extracts it safely and reads its pickled
batches without letting them run code (see :mod:`layerwise.datasets.cifar`).

Example:

>>> (x_train, y_train), (x_test, y_test) = layerwise.datasets.cifar10.load_data()
>>> x_train.shape, y_train.shape, y_train.dtype
((50000, 32, 32, 3), (50000, 1), dtype('uint8'))
"""

import os

import numpy as np

from layerwise import backend
from layerwise.datasets.cifar import load_batch
from layerwise.utils.file_utils import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
# Keras's names inside the cache: the archive is kept as <DIRNAME>_archive beside the folder.
DIRNAME = "cifar-10-batches-py-target"

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def load_data():
    """Loads the CIFAR10 dataset: 50,000 32x32 colour training images and 10,000 test images in 10 classes.

    The labels are 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog,
    6 frog, 7 horse, 8 ship, 9 truck (``CLASS_NAMES``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``uint8`` images of shape
        ``(50000, 32, 32, 3)`` and ``(10000, 32, 32, 3)`` (channels first,
        ``(n, 3, 32, 32)``, when ``layerwise.backend.image_data_format()``
        is ``"channels_first"``), pixel values 0-255; ``uint8`` labels of
        shape ``(50000, 1)`` and ``(10000, 1)``.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = layerwise.datasets.cifar10.load_data()
    >>> assert x_test.shape == (10000, 32, 32, 3) and y_test.shape == (10000, 1)
    """
    path = get_file(fname=DIRNAME, origin=ORIGIN, extract=True, file_hash=FILE_HASH)
    path = os.path.join(path, "cifar-10-batches-py")
    parts = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([data for data, _ in parts]).astype("uint8", copy=False)
    y_train = np.concatenate([np.asarray(labels, dtype="uint8") for _, labels in parts])
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    x_test = x_test.astype("uint8", copy=False)
    y_train = y_train.reshape(len(y_train), 1)
    y_test = np.asarray(y_test).astype("uint8").reshape(len(y_test), 1)
    if backend.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
