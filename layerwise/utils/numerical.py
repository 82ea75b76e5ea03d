"""``to_categorical`` and ``normalize``, as in ``keras.utils``."""

import numpy as np
import torch


def to_categorical(x, num_classes=None, dtype=None):
    """One-hot encode integer class labels.

    Args:
        x: integer labels, any shape (a trailing axis of size 1 is dropped,
            as Keras does); numpy array, list, pandas Series or torch tensor.
        num_classes: number of classes; default ``max(x) + 1``.
        dtype: the result's dtype. Keras 3 has no such argument and returns
            float64 for arrays, the default here (float32 for torch tensors);
            tf.keras 2's ``dtype=`` (``"float32"`` there) is accepted.

    Returns:
        An array of shape ``x.shape + (num_classes,)`` (a torch tensor if
        ``x`` was one).

    Example:

    >>> layerwise.utils.to_categorical([0, 2, 1], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    """
    if isinstance(x, torch.Tensor):
        categorical = to_categorical(x.detach().cpu().numpy(), num_classes, dtype or "float32")
        return torch.as_tensor(categorical, device=x.device)
    labels = np.asarray(x)
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError(
                "to_categorical expects integer class labels; the input has non-integer values "
                "(for example NaN or 0.5)."
            )
    elif labels.dtype.kind not in "iub":
        raise ValueError(f"to_categorical expects integer class labels, got an array of dtype {labels.dtype}.")
    labels = labels.astype("int64")
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical expects labels >= 0; the smallest label is {labels.min()}.")
    largest = int(labels.max()) if labels.size else -1
    if num_classes is None:
        num_classes = largest + 1
    elif largest >= num_classes:
        raise ValueError(
            f"to_categorical got num_classes={num_classes}, but the labels go up to {largest}; "
            f"num_classes must be at least {largest + 1}."
        )
    categorical = np.zeros(labels.shape + (num_classes,), dtype=dtype or "float64")
    np.put_along_axis(categorical, labels[..., None], 1.0, axis=-1)
    return categorical


def normalize(x, axis=-1, order=2):
    """Scale ``x`` so that its ``order``-norm along ``axis`` is 1 (zero vectors stay zero).

    Example:

    >>> layerwise.utils.normalize(np.array([[3.0, 4.0]]))
    array([[0.6, 0.8]])
    """
    if isinstance(x, torch.Tensor):
        norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
        return x / torch.where(norm == 0, torch.ones_like(norm), norm)
    array = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(array, order, axis))
    norm[norm == 0] = 1
    return array / np.expand_dims(norm, axis)
