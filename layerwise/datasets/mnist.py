"""MNIST in its original idx format (``train-images-idx3-ubyte.gz`` and friends).

:func:`load_idx` reads one idx file, gzipped or not, as a numpy array, the
way a user loads local copies of the files. (Downloading, like
``keras.datasets.mnist.load_data()``, comes with the datasets module.)

Example:

>>> images = layerwise.datasets.mnist.load_idx("t10k-images-idx3-ubyte.gz")
>>> images.shape, images.dtype
((10000, 28, 28), dtype('uint8'))
"""

import gzip

import numpy as np

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
