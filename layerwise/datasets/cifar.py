"""Reading the CIFAR "python version" batches without letting the files run code.

The CIFAR tarballs hold Python pickles: one dict per batch with ``data`` (a
``uint8`` array of shape ``(n, 3072)``, the red, green and blue planes of
32x32 images) and the labels as a list. They are read with
:class:`layerwise.datasets._common.RestrictedUnpickler`, which rebuilds
numpy arrays and plain Python data only; a pickle naming any other object is
refused before anything runs.

Example:

>>> data, labels = layerwise.datasets.cifar.load_batch("cifar-10-batches-py/test_batch")
>>> data.shape, len(labels)
((10000, 3, 32, 32), 10000)
"""

import numpy as np

from layerwise.datasets._common import RestrictedUnpickler


def load_batch(fpath, label_key="labels"):
    """``(data, labels)`` of one CIFAR batch file: ``uint8`` data ``(n, 3, 32, 32)`` and a list of labels.

    Args:
        fpath: the batch file (``data_batch_1``, ``test_batch``, CIFAR-100's ``train``).
        label_key: the labels' key: ``"labels"`` (CIFAR-10), ``"fine_labels"``
            or ``"coarse_labels"`` (CIFAR-100).

    Example:

    >>> data, labels = load_batch("cifar-100-python/test", label_key="coarse_labels")
    >>> data.shape, max(labels)
    ((10000, 3, 32, 32), 19)
    """
    try:
        with open(fpath, "rb") as handle:
            batch = RestrictedUnpickler(handle, encoding="bytes", source=str(fpath)).load()
    except (EOFError, ValueError, TypeError, IndexError, KeyError) as error:
        raise ValueError(
            f"{fpath} is not a readable CIFAR batch ({type(error).__name__}: {error}); it is truncated or "
            "corrupt. Delete the cached archive and its folder and load again."
        ) from error
    if not isinstance(batch, dict):
        raise ValueError(f"{fpath} is not a CIFAR batch: it holds a {type(batch).__name__}, not a dict.")
    batch = {key.decode("utf8") if isinstance(key, bytes) else key: value for key, value in batch.items()}
    if "data" not in batch or label_key not in batch:
        raise ValueError(
            f"{fpath} is not a CIFAR batch with {label_key!r}: it holds the keys {sorted(batch)}."
        )
    data, labels = batch["data"], batch[label_key]
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 \
            or len(labels) != data.shape[0]:
        raise ValueError(
            f"{fpath} is not a CIFAR batch: 'data' should be an array of shape (n, 3072) with n labels, "
            f"got {getattr(data, 'shape', type(data).__name__)} and {len(labels)} labels."
        )
    return data.reshape(data.shape[0], 3, 32, 32), labels
