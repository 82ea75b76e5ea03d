"""CIFAR-100 small images in 100 fine and 20 coarse classes, as ``keras.datasets.cifar100``.

Downloads ``cifar-100-python.tar.gz`` (once; cached and verified with
Keras's sha256), extracts it safely and reads its pickles without letting
them run code (see :mod:`layerwise.datasets.cifar`).

Example:

>>> (x_train, y_train), (x_test, y_test) = layerwise.datasets.cifar100.load_data(label_mode="coarse")
>>> x_train.shape, y_train.shape, int(y_train.max())
((50000, 32, 32, 3), (50000, 1), 19)
"""

import os

import numpy as np

from layerwise import backend
from layerwise.datasets.cifar import load_batch
from layerwise.utils.file_utils import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
DIRNAME = "cifar-100-python-target"


def load_data(label_mode="fine"):
    """Loads the CIFAR100 dataset: 50,000 32x32 colour training images and 10,000 test images.

    Args:
        label_mode: ``"fine"`` for the 100 classes, ``"coarse"`` for the 20
            superclasses.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``uint8`` images of shape
        ``(50000, 32, 32, 3)`` and ``(10000, 32, 32, 3)`` (channels first
        when ``image_data_format()`` is ``"channels_first"``); labels of
        shape ``(50000, 1)`` and ``(10000, 1)``, ``int64`` as Keras returns
        them.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = layerwise.datasets.cifar100.load_data()
    >>> assert y_train.shape == (50000, 1) and int(y_train.max()) == 99
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'cifar100.load_data: label_mode must be "fine" or "coarse", got {label_mode!r}.')
    path = get_file(fname=DIRNAME, origin=ORIGIN, extract=True, file_hash=FILE_HASH)
    path = os.path.join(path, "cifar-100-python")
    x_train, y_train = load_batch(os.path.join(path, "train"), label_key=f"{label_mode}_labels")
    x_test, y_test = load_batch(os.path.join(path, "test"), label_key=f"{label_mode}_labels")
    y_train = np.reshape(np.asarray(y_train, dtype="int64"), (len(y_train), 1))
    y_test = np.reshape(np.asarray(y_test, dtype="int64"), (len(y_test), 1))
    if backend.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
