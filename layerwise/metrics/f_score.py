"""F-scores: the (weighted) harmonic mean of precision and recall, per class or averaged.

>>> import numpy as np
>>> import layerwise as keras
>>> metric = keras.metrics.F1Score(threshold=0.5)
>>> metric.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
...                     np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]))
>>> metric.result()
tensor([0.5000, 0.8000, 0.6667])
"""

import torch

from layerwise import backend
from layerwise.metrics.metric import Metric, _as_tensor
from layerwise.saving import registry

_CATEGORY = "metrics"
_AVERAGES = (None, "micro", "macro", "weighted")


@registry.builtin(_CATEGORY, "f_beta_score")
class FBetaScore(Metric):
    """Computes the F-beta score: ``(1 + b²) * precision * recall / (b² * precision + recall)``.

    Works for multi-class and multi-label data given as ``(batch, num_classes)``
    label and prediction arrays.

    Args:
        average: ``None`` (default: one score per class), ``"micro"`` (global
            counts), ``"macro"`` (unweighted mean of the class scores) or
            ``"weighted"`` (mean weighted by each class's number of true instances).
        beta: The weight of recall in the harmonic mean, a float > 0 (default 1.0).
        threshold: Predictions above it count as 1, the rest as 0. If ``None``
            (default), the highest prediction of each row counts as 1.
            Must satisfy ``0 < threshold <= 1``.
        name: Name of the metric instance (default ``"fbeta_score"``).
        dtype: Data type of the metric result.

    Example:

    >>> metric = keras.metrics.FBetaScore(beta=2.0, threshold=0.5)
    >>> metric.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
    ...                     np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]))
    >>> metric.result()
    tensor([0.3846, 0.9091, 0.8333])
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        owner = type(self).__name__
        if average not in _AVERAGES:
            raise ValueError(
                f"{owner}: argument `average` must be one of None, 'micro', 'macro', 'weighted'; "
                f"got average={average!r}."
            )
        if not isinstance(beta, float):
            raise ValueError(  # noqa: TRY004 - as Keras (a ValueError)
                f"{owner}: argument `beta` must be a Python float (e.g. 2.0); "
                f"got beta={beta!r} of type {type(beta).__name__}."
            )
        if beta <= 0.0:
            raise ValueError(f"{owner}: argument `beta` must be > 0; got beta={beta!r}.")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    f"{owner}: argument `threshold` must be None or a Python float (e.g. 0.5); "
                    f"got threshold={threshold!r} of type {type(threshold).__name__}."
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    f"{owner}: argument `threshold` must satisfy 0 < threshold <= 1; "
                    f"got threshold={threshold!r}."
                )
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim); "
                f"got y_pred.shape={tuple(y_pred_shape)} and y_true.shape={tuple(y_true_shape)}."
            )
        shape = (y_pred_shape[-1],) if self.average != "micro" else ()
        self.true_positives = self.add_variable(shape, "zeros", dtype=self.dtype, name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", dtype=self.dtype, name="false_positives")
        self.false_negatives = self.add_variable(shape, "zeros", dtype=self.dtype, name="false_negatives")
        self.intermediate_weights = self.add_variable(
            shape, "zeros", dtype=self.dtype, name="intermediate_weights"
        )
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate per-class (or global) true positives, false positives and false negatives.

        Args:
            y_true: Labels, shape ``(batch, num_classes)``.
            y_pred: Predictions, shape ``(batch, num_classes)``.
            sample_weight: Optional per-sample weights, shape ``(batch,)``.
        """
        self._follow(y_pred)
        dtype = self._torch_dtype
        y_true = _as_tensor(y_true, dtype, device=self._device)
        y_pred = _as_tensor(y_pred, dtype, device=self._device)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            row_max = torch.amax(y_pred, dim=-1, keepdim=True)
            # The row's maximum becomes 1, unless the row is all zeros.
            y_pred = torch.logical_and(y_pred >= row_max, torch.abs(y_pred) > 1e-9)
        else:
            y_pred = y_pred > self.threshold
        y_pred = y_pred.to(dtype)
        if sample_weight is not None:
            sample_weight = _as_tensor(sample_weight, dtype, device=self._device).unsqueeze(1)

        def weighted_sum(values):
            if sample_weight is not None:
                values = values * sample_weight
            return values.sum() if self.axis is None else values.sum(dim=self.axis)

        self.true_positives.add_(weighted_sum(y_pred * y_true))
        self.false_positives.add_(weighted_sum(y_pred * (1 - y_true)))
        self.false_negatives.add_(weighted_sum((1 - y_pred) * y_true))
        self.intermediate_weights.add_(weighted_sum(y_true))

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._torch_dtype, device=self._device)
        epsilon = backend.epsilon()
        tp = self.true_positives
        precision = tp / (tp + self.false_positives + epsilon)
        recall = tp / (tp + self.false_negatives + epsilon)
        beta_squared = self.beta ** 2
        mean = (precision * recall) / (beta_squared * precision + recall + epsilon)
        score = mean * (1 + beta_squared)
        if self.average == "weighted":
            weights = self.intermediate_weights / (torch.sum(self.intermediate_weights) + epsilon)
            score = torch.sum(score * weights)
        elif self.average is not None:  # micro, macro
            score = torch.mean(score)
        return score

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        return {
            **super().get_config(),
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }


@registry.builtin(_CATEGORY, "f1_score")
class F1Score(FBetaScore):
    """Computes the F-1 score: ``2 * precision * recall / (precision + recall)``.

    Args:
        average: ``None`` (default: one score per class), ``"micro"``,
            ``"macro"`` or ``"weighted"`` (see :class:`FBetaScore`).
        threshold: Predictions above it count as 1, the rest as 0. If ``None``
            (default), the highest prediction of each row counts as 1.
        name: Name of the metric instance (default ``"f1_score"``).
        dtype: Data type of the metric result.

    Example:

    >>> metric = keras.metrics.F1Score(threshold=0.5)
    >>> metric.update_state(np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]]),
    ...                     np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]]))
    >>> metric.result()
    tensor([0.5000, 0.8000, 0.6667])
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
