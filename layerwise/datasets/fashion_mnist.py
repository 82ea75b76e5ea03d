"""Fashion-MNIST, Zalando's clothing images (a drop-in for MNIST), as ``keras.datasets.fashion_mnist``.

Downloads the four original gzipped idx files from the folder Keras uses
(once; they are cached under ``~/.layerwise/datasets/fashion-mnist`` and
verified with the md5 checksums Zalando publishes; Keras itself checks none).

Example:

>>> (x_train, y_train), (x_test, y_test) = layerwise.datasets.fashion_mnist.load_data()
>>> x_train.shape, y_train.dtype
((60000, 28, 28), dtype('uint8'))
"""

import os

from layerwise.datasets.mnist import _paired, load_idx
from layerwise.utils.file_utils import get_file

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")
# (array, file name, md5 published with the data set by Zalando Research)
FILES = (
    ("y_train", "train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
    ("x_train", "train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    ("y_test", "t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ("x_test", "t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
)

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


def load_data():
    """Loads Fashion-MNIST: 60,000 28x28 grayscale images of 10 fashion categories, 10,000 test images.

    The labels are 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat,
    5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot (``CLASS_NAMES``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``uint8`` images of shape
        ``(60000, 28, 28)`` and ``(10000, 28, 28)``, ``uint8`` labels of
        shape ``(60000,)`` and ``(10000,)``.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = layerwise.datasets.fashion_mnist.load_data()
    >>> assert x_test.shape == (10000, 28, 28)

    License: the copyright for Fashion-MNIST is held by Zalando SE;
    Fashion-MNIST is licensed under the MIT license.
    """
    arrays, folder = {}, None
    for key, fname, md5 in FILES:
        path = get_file(fname, origin=ORIGIN_FOLDER + fname, file_hash=md5, cache_subdir=CACHE_SUBDIR)
        arrays[key], folder = load_idx(path), os.path.dirname(path)
    return _paired(arrays, f"fashion_mnist.load_data (files in {folder})")
