"""Accuracy metrics: how often predictions match the labels.

Each metric is a :class:`~layerwise.metrics.MeanMetricWrapper` around a
function that returns one 0/1 value per sample; the functions are public too
(``binary_accuracy``, ``categorical_accuracy``, ...), as in Keras.

>>> import layerwise as keras
>>> m = keras.metrics.BinaryAccuracy()
>>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
>>> m.result()
tensor(0.7500)
"""

import numbers

import torch

from layerwise import backend
from layerwise.metrics.metric import MeanMetricWrapper, _as_tensor, squeeze_or_expand_to_same_rank
from layerwise.saving import registry

_CATEGORY = "metrics"


def _floatx():
    return backend.torch_dtype(backend.floatx())


def _pred_and_true(y_true, y_pred, true_dtype="pred"):
    """``y_pred`` and ``y_true`` as tensors on one device; ``y_true`` cast to ``y_pred``'s dtype."""
    y_pred = _as_tensor(y_pred)
    if true_dtype == "pred":
        true_dtype = y_pred.dtype
    y_true = _as_tensor(y_true, true_dtype, device=y_pred.device)
    return y_true, y_pred


def _check_k(owner, k):
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"{owner}: argument `k` must be an integer >= 1; got k={k!r}.")
    return k


def accuracy(y_true, y_pred):
    """Per-sample 1.0 where ``y_true == y_pred`` exactly, else 0.0.

    Args:
        y_true: Ground truth values.
        y_pred: Predicted values, same shape (a trailing axis of size 1 may differ).

    Returns:
        A float tensor with one value per element.

    Example:

    >>> from layerwise.metrics.accuracy import accuracy
    >>> accuracy([1, 2, 3], [1, 2, 0])
    tensor([1., 1., 0.])
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return torch.eq(y_true, y_pred).to(_floatx())


@registry.builtin(_CATEGORY, "accuracy", "acc")
class Accuracy(MeanMetricWrapper):
    """Calculates how often predictions equal labels (exact equality).

    For probabilities, use :class:`BinaryAccuracy` or
    :class:`CategoricalAccuracy`; ``compile(metrics=["accuracy"])`` picks the
    right one from the model's output and labels.

    Args:
        name: Name of the metric instance (default ``"accuracy"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> m.result()
    tensor(0.7500)
    >>> m.reset_state()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    tensor(0.5000)
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


@registry.builtin(_CATEGORY)
def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Per-sample 1.0 where ``(y_pred > threshold)`` equals the binary label, else 0.0.

    Args:
        y_true: Binary labels (0 or 1).
        y_pred: Predicted probabilities (or scores, with a suitable ``threshold``).
        threshold: Predictions above it count as 1, the rest as 0. Default 0.5.

    Returns:
        A float tensor with one value per element.

    Example:

    >>> keras.metrics.binary_accuracy([1, 1, 0, 0], [0.98, 1, 0, 0.6])
    tensor([1., 1., 1., 0.])
    """
    y_pred = _as_tensor(y_pred)
    y_true = _as_tensor(y_true, device=y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = torch.gt(y_pred, threshold).to(y_true.dtype)
    return torch.eq(y_true, y_pred).to(_floatx())


@registry.builtin(_CATEGORY, "binary_accuracy")
class BinaryAccuracy(MeanMetricWrapper):
    """Calculates how often predictions match binary labels.

    A prediction counts as 1 when it is above ``threshold``, else as 0.

    Args:
        name: Name of the metric instance (default ``"binary_accuracy"``).
        dtype: Data type of the metric result.
        threshold: Float deciding whether a prediction is 1 or 0 (default 0.5).

    Example:

    >>> m = keras.metrics.BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> m.result()
    tensor(0.7500)
    >>> m.reset_state()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1])
    >>> m.result()
    tensor(0.5000)
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
            raise ValueError(  # noqa: TRY004 - Keras raises ValueError for bad metric arguments
                f"BinaryAccuracy: argument `threshold` must be a number; got threshold={threshold!r}."
            )
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


@registry.builtin(_CATEGORY)
def categorical_accuracy(y_true, y_pred):
    """Per-sample 1.0 where the argmax of ``y_pred`` is the argmax of the one-hot ``y_true``.

    Args:
        y_true: One-hot labels, shape ``(batch, num_classes)``.
        y_pred: Class scores or probabilities, shape ``(batch, num_classes)``.

    Returns:
        A float tensor of shape ``(batch,)``.

    Example:

    >>> keras.metrics.categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    tensor([0., 1.])
    """
    y_pred = _as_tensor(y_pred)
    y_true = torch.argmax(_as_tensor(y_true, device=y_pred.device), dim=-1).to(y_pred.dtype)
    reshape_matches = False
    true_shape = y_true.shape
    if y_true.ndim == y_pred.ndim:
        y_true = y_true.squeeze(-1)
        reshape_matches = True
    y_pred = torch.argmax(y_pred, dim=-1).to(y_true.dtype)
    matches = torch.eq(y_true, y_pred).to(_floatx())
    if reshape_matches:
        matches = matches.reshape(true_shape)
    return matches


@registry.builtin(_CATEGORY, "categorical_accuracy")
class CategoricalAccuracy(MeanMetricWrapper):
    """Calculates how often the predicted class (argmax) matches the one-hot label.

    Logits work as well as probabilities, since their argmax is the same.

    Args:
        name: Name of the metric instance (default ``"categorical_accuracy"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    tensor(0.5000)
    >>> m.reset_state()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
    ...                sample_weight=[0.7, 0.3])
    >>> m.result()
    tensor(0.3000)
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


@registry.builtin(_CATEGORY)
def sparse_categorical_accuracy(y_true, y_pred):
    """Per-sample 1.0 where the argmax of ``y_pred`` equals the integer label.

    Args:
        y_true: Integer labels, shape ``(batch,)`` or ``(batch, 1)``.
        y_pred: Class scores or probabilities, shape ``(batch, num_classes)``.

    Returns:
        A float tensor of shape ``(batch,)``.

    Example:

    >>> keras.metrics.sparse_categorical_accuracy([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    tensor([0., 1.])
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    reshape_matches = False
    true_shape = y_true.shape
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
        reshape_matches = True
    y_pred = torch.argmax(y_pred, dim=-1).to(y_true.dtype)
    matches = torch.eq(y_true, y_pred).to(_floatx())
    if reshape_matches:
        matches = matches.reshape(true_shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


@registry.builtin(_CATEGORY, "sparse_categorical_accuracy")
class SparseCategoricalAccuracy(MeanMetricWrapper):
    """Calculates how often the predicted class (argmax) matches the integer label.

    Args:
        name: Name of the metric instance (default ``"sparse_categorical_accuracy"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> m.result()
    tensor(0.5000)
    >>> m.reset_state()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    >>> m.result()
    tensor(0.3000)
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


def _in_top_k(targets, predictions, k):
    """True where the target's score is at least the k-th largest score (ties count as in)."""
    targets = targets.to(torch.int64).unsqueeze(-1)
    kth_largest = torch.topk(predictions, k, dim=-1).values[..., -1:]
    target_values = torch.take_along_dim(predictions, targets, dim=-1)
    return torch.ge(target_values, kth_largest).squeeze(-1)


@registry.builtin(_CATEGORY)
def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per-sample 1.0 where the one-hot label's class is among the ``k`` highest predictions.

    Args:
        y_true: One-hot labels, shape ``(batch, num_classes)``.
        y_pred: Class scores, shape ``(batch, num_classes)``.
        k: Number of top predictions to look at (default 5).

    Returns:
        A float tensor of shape ``(batch,)``.

    Example:

    >>> keras.metrics.top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]],
    ...                                          [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1)
    tensor([0., 1.])
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true = torch.argmax(y_true, dim=-1)
    true_shape = y_true.shape
    reshape_matches = False
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    if y_true.ndim > 1:
        reshape_matches = True
        y_true = y_true.reshape(-1)
    matches = _in_top_k(y_true, y_pred, k).to(_floatx())
    if reshape_matches:
        matches = matches.reshape(true_shape)
    return matches


@registry.builtin(_CATEGORY, "top_k_categorical_accuracy")
class TopKCategoricalAccuracy(MeanMetricWrapper):
    """Computes how often the one-hot target is among the top ``k`` predictions.

    Args:
        k: Number of top elements to look at (default 5).
        name: Name of the metric instance (default ``"top_k_categorical_accuracy"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    tensor(0.5000)
    >>> m.reset_state()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
    ...                sample_weight=[0.7, 0.3])
    >>> m.result()
    tensor(0.3000)
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        _check_k("TopKCategoricalAccuracy", k)
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


@registry.builtin(_CATEGORY)
def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """Per-sample 1.0 where the integer label is among the ``k`` highest predictions.

    Args:
        y_true: Integer labels (class ids), shape ``(batch,)``.
        y_pred: With ``from_sorted_ids=False``, scores for every class, shape
            ``(batch, num_classes)``. With ``from_sorted_ids=True``, the ids of
            the top ``N >= k`` classes, best first, shape ``(batch, N)``.
        k: Number of top predictions to look at (default 5).
        from_sorted_ids: Whether ``y_pred`` holds sorted class ids rather than scores.

    Returns:
        A float tensor with the shape of ``y_true``.

    Example:

    >>> keras.metrics.sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1)
    tensor([0., 1.])
    """
    y_pred = _as_tensor(y_pred)
    y_true = _as_tensor(y_true, y_pred.dtype if from_sorted_ids else torch.int32, device=y_pred.device)
    true_shape = y_true.shape
    reshape_matches = False
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    if y_true.ndim > 1:
        reshape_matches = True
        y_true = y_true.reshape(-1)
    if from_sorted_ids:
        matches = torch.any(torch.eq(y_true.unsqueeze(1), y_pred[:, :k]), dim=1)
    else:
        matches = _in_top_k(y_true, y_pred, k)
    matches = matches.to(_floatx())
    if reshape_matches:
        matches = matches.reshape(true_shape)
    return matches


@registry.builtin(_CATEGORY, "sparse_top_k_categorical_accuracy")
class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """Computes how often the integer target is among the top ``k`` predictions.

    Args:
        k: Number of top elements to look at (default 5).
        name: Name of the metric instance (default ``"sparse_top_k_categorical_accuracy"``).
        dtype: Data type of the metric result.
        from_sorted_ids: When ``False`` (default) ``y_pred`` holds the scores of
            every class; when ``True`` it holds the ids of the top classes,
            sorted best first (at least ``k`` of them).

    Example:

    >>> m = keras.metrics.SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    tensor(0.5000)
    >>> m = keras.metrics.SparseTopKCategoricalAccuracy(k=1, from_sorted_ids=True)
    >>> m.update_state([2, 1], [[1, 0, 3], [1, 2, 3]])
    >>> m.result()
    tensor(0.5000)
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None, from_sorted_ids=False):
        _check_k("SparseTopKCategoricalAccuracy", k)
        super().__init__(
            fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
            from_sorted_ids=from_sorted_ids,
        )
        self.k = k
        self.from_sorted_ids = from_sorted_ids
        self._direction = "up"

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
