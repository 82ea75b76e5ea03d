"""Regression metrics, correlation metrics, and the losses that Keras also offers as metrics.

Most of them are a :class:`~layerwise.metrics.MeanMetricWrapper` around the
loss function of the same name in :mod:`layerwise.losses` (the mean over
all samples seen of the per-sample loss):

>>> import layerwise as keras
>>> m = keras.metrics.MeanSquaredError()
>>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
>>> m.result()
tensor(0.2500)

``RootMeanSquaredError``, ``CosineSimilarity``, ``R2Score`` and the
correlation metrics compute their own formulas (they differ from the losses).
"""

import warnings

import torch

from layerwise import backend
from layerwise.metrics.metric import (
    Mean,
    MeanMetricWrapper,
    Metric,
    _as_tensor,
    squeeze_or_expand_to_same_rank,
)
from layerwise.saving import registry

_CATEGORY = "metrics"


def _loss_function(name):
    """The loss function ``layerwise.losses.<name>`` (imported when a metric is built)."""
    from layerwise import losses

    return getattr(losses, name)


def _pred_and_true(y_true, y_pred):
    y_pred = _as_tensor(y_pred)
    if not y_pred.dtype.is_floating_point:
        y_pred = y_pred.to(backend.torch_dtype(backend.floatx()))
    y_true = _as_tensor(y_true, y_pred.dtype, device=y_pred.device)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


class _LossMetric(MeanMetricWrapper):
    """A MeanMetricWrapper around a loss function; its config is only name and dtype."""

    _loss_name = None

    def __init__(self, name, dtype=None, **kwargs):
        super().__init__(_loss_function(self._loss_name), name=name, dtype=dtype, **kwargs)
        self._direction = "down"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


# --------------------------------------------------------------------------
# Regression.
# --------------------------------------------------------------------------


@registry.builtin(_CATEGORY, "mean_squared_error", "mse", "MSE")
class MeanSquaredError(_LossMetric):
    """Computes the mean squared error: ``mean(square(y_true - y_pred))``.

    Args:
        name: Name of the metric instance (default ``"mean_squared_error"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.MeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    tensor(0.2500)
    """

    _loss_name = "mean_squared_error"

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


@registry.builtin(_CATEGORY, "mean_absolute_error", "mae", "MAE")
class MeanAbsoluteError(_LossMetric):
    """Computes the mean absolute error: ``mean(abs(y_true - y_pred))``.

    Args:
        name: Name of the metric instance (default ``"mean_absolute_error"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.MeanAbsoluteError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    tensor(0.2500)
    >>> m.reset_state()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])
    >>> m.result()
    tensor(0.5000)
    """

    _loss_name = "mean_absolute_error"

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


@registry.builtin(_CATEGORY, "mean_absolute_percentage_error", "mape", "MAPE")
class MeanAbsolutePercentageError(_LossMetric):
    """Computes the mean absolute percentage error: ``100 * mean(abs((y_true - y_pred) / y_true))``.

    Args:
        name: Name of the metric instance (default ``"mean_absolute_percentage_error"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.MeanAbsolutePercentageError()
    >>> m.update_state([[1, 2], [3, 4]], [[1, 1], [3, 2]])
    >>> m.result()
    tensor(25.)
    """

    _loss_name = "mean_absolute_percentage_error"

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


@registry.builtin(_CATEGORY, "mean_squared_logarithmic_error", "msle", "MSLE")
class MeanSquaredLogarithmicError(_LossMetric):
    """Computes the mean squared logarithmic error: ``mean(square(log(y_true + 1) - log(y_pred + 1)))``.

    Args:
        name: Name of the metric instance (default ``"mean_squared_logarithmic_error"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.MeanSquaredLogarithmicError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    tensor(0.1201)
    """

    _loss_name = "mean_squared_logarithmic_error"

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


@registry.builtin(_CATEGORY, "root_mean_squared_error")
class RootMeanSquaredError(Mean):
    """Computes the root mean squared error: ``sqrt(mean(square(y_pred - y_true)))``.

    The mean is over all entries seen (the square root is taken at the end).

    Args:
        name: Name of the metric instance (default ``"root_mean_squared_error"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.RootMeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    tensor(0.5000)
    >>> m.reset_state()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])
    >>> m.result()
    tensor(0.7071)
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's squared errors (optionally weighted per sample) to the running mean."""
        self._follow(y_pred)
        y_true = _as_tensor(y_true, self._torch_dtype, device=self._device)
        y_pred = _as_tensor(y_pred, self._torch_dtype, device=self._device)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        super().update_state(torch.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return torch.sqrt(super().result())


@registry.builtin(_CATEGORY)
def cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine similarity of labels and predictions along ``axis`` (1 for the same direction).

    Args:
        y_true: Tensor of true targets.
        y_pred: Tensor of predicted targets.
        axis: Axis along which the similarity is computed (default -1).

    Returns:
        The cosine similarities (the input shape without ``axis``).

    Example:

    >>> keras.metrics.cosine_similarity([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]],
    ...                                 [[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]])
    tensor([ 0.0000,  1.0000, -1.0000])
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    return torch.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), dim=axis)


def _l2_normalize(x, axis):
    """``x / max(norm(x), epsilon)`` computed as Keras does (``x * min(rsqrt(sum(x²)), 1/eps)``)."""
    if x.ndim == 0:
        x = x.unsqueeze(0)
    inverse_norm = torch.rsqrt(torch.sum(torch.square(x), dim=axis, keepdim=True))
    return x * torch.clamp(inverse_norm, max=1.0 / backend.epsilon())


@registry.builtin(_CATEGORY, "cosine_similarity")
class CosineSimilarity(MeanMetricWrapper):
    """Computes the mean cosine similarity between labels and predictions.

    Args:
        name: Name of the metric instance (default ``"cosine_similarity"``).
        dtype: Data type of the metric result.
        axis: The axis along which the similarity is computed (default -1).

    Example:

    >>> m = keras.metrics.CosineSimilarity(axis=1)
    >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    >>> m.result()
    tensor(0.5000)
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name, dtype=dtype, axis=axis)
        self._direction = "up"

    def get_config(self):
        # Keras leaves ``axis`` out of this config; so does layerwise, for identical files.
        return {"name": self.name, "dtype": self.dtype}


@registry.builtin(_CATEGORY, "log_cosh_error")
class LogCoshError(_LossMetric):
    """Computes the mean logarithm of the hyperbolic cosine of the error ``y_pred - y_true``.

    Args:
        name: Name of the metric instance (default ``"logcosh"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.LogCoshError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    tensor(0.1084)
    """

    _loss_name = "log_cosh"

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name=name, dtype=dtype)


@registry.builtin(_CATEGORY, "r2_score")
class R2Score(Metric):
    """Computes the R² score (coefficient of determination), optionally adjusted.

    ``R2 = 1 - sum((y_true - y_pred)²) / sum((y_true - mean(y_true))²)`` per
    output column, then aggregated. 1 is a perfect fit, 0 no better than the
    mean, negative worse.

    Args:
        class_aggregation: How to combine the columns' scores: ``None`` (one
            score per column), ``"uniform_average"`` (default) or
            ``"variance_weighted_average"``.
        num_regressors: Number of independent regressors for the adjusted R²
            (default 0: the standard R²).
        name: Name of the metric instance (default ``"r2_score"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.R2Score()
    >>> m.update_state([[1], [4], [3]], [[2], [4], [4]])
    >>> m.result()
    tensor(0.5714)
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(
                "R2Score: argument `class_aggregation` must be one of None, 'uniform_average', "
                f"'variance_weighted_average'; got class_aggregation={class_aggregation!r}."
            )
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, int) or num_regressors < 0:
            raise ValueError(
                "R2Score: argument `num_regressors` must be an integer >= 0; "
                f"got num_regressors={num_regressors!r}."
            )
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), "zeros", name="num_samples")
        self._num_samples_seen = 0  # the same count on the host (it follows from shapes alone)
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim); "
                f"got y_pred.shape={tuple(y_pred_shape)} and y_true.shape={tuple(y_true_shape)}."
            )
        num_classes = y_pred_shape[-1]
        self.squared_sum = self.add_variable((num_classes,), "zeros", name="squared_sum")
        self.sum = self.add_variable((num_classes,), "zeros", name="sum")
        self.total_mse = self.add_variable((num_classes,), "zeros", name="residual")
        self.count = self.add_variable((num_classes,), "zeros", name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate sums of labels, squared labels, squared residuals and weights per column.

        Args:
            y_true: Labels, shape ``(batch, output_dim)``.
            y_pred: Predictions, shape ``(batch, output_dim)``.
            sample_weight: Optional weights, shape ``(batch,)`` or broadcastable to ``y_true``.
        """
        self._follow(y_pred)
        dtype = self._torch_dtype
        y_true = _as_tensor(y_true, dtype, device=self._device)
        y_pred = _as_tensor(y_pred, dtype, device=self._device)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if sample_weight is None:
            sample_weight = torch.ones((), dtype=dtype, device=self._device)
        else:
            sample_weight = _as_tensor(sample_weight, dtype, device=self._device)
            if sample_weight.ndim == 1:
                sample_weight = sample_weight.unsqueeze(1)
        sample_weight = sample_weight.expand(y_true.shape).to(y_true.dtype)
        weighted_y_true = y_true * sample_weight
        self.sum.add_(weighted_y_true.sum(0))
        self.squared_sum.add_((y_true * weighted_y_true).sum(0))
        self.total_mse.add_((torch.square(y_true - y_pred) * sample_weight).sum(0))
        self.count.add_(sample_weight.sum(0))
        self.num_samples.add_(y_true.numel())
        self._num_samples_seen += y_true.numel()

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._torch_dtype, device=self._device)
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        raw_scores = 1 - (self.total_mse / total)
        raw_scores = torch.where(torch.isinf(raw_scores), torch.zeros_like(raw_scores), raw_scores)
        if self.class_aggregation == "uniform_average":
            score = torch.mean(raw_scores)
        elif self.class_aggregation == "variance_weighted_average":
            score = torch.sum(total * raw_scores) / torch.sum(total)
        else:
            score = raw_scores
        if self.num_regressors != 0:
            if self.num_regressors > self._num_samples_seen - 1:
                warnings.warn(
                    "More independent predictors than datapoints in adjusted R2 score. "
                    "Falling back to standard R2 score.",
                    stacklevel=2,
                )
            elif self.num_regressors == self._num_samples_seen - 1:
                warnings.warn(
                    "Division by zero in Adjusted R2 score. Falling back to standard R2 score.",
                    stacklevel=2,
                )
            else:
                n = self.num_samples.to(torch.float32)
                p = float(self.num_regressors)
                score = 1.0 - ((1.0 - score) * (n - 1.0)) / (n - p - 1.0)
        return score

    def reset_state(self):
        super().reset_state()
        self._num_samples_seen = 0

    def get_config(self):
        return {
            **super().get_config(),
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }


# --------------------------------------------------------------------------
# Correlation.
# --------------------------------------------------------------------------


@registry.builtin(_CATEGORY)
def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson correlation coefficient of labels and predictions along ``axis``.

    Args:
        y_true: Tensor of true targets.
        y_pred: Tensor of predicted targets.
        axis: Axis along which the correlation is computed (default -1).

    Returns:
        The coefficients (the input shape without ``axis``).

    Example:

    >>> keras.metrics.pearson_correlation([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]])
    tensor([0.9934])
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true_norm = y_true - torch.mean(y_true, dim=axis, keepdim=True)
    y_pred_norm = y_pred - torch.mean(y_pred, dim=axis, keepdim=True)
    y_true_norm = y_true_norm / torch.std(y_true_norm, dim=axis, keepdim=True, unbiased=False)
    y_pred_norm = y_pred_norm / torch.std(y_pred_norm, dim=axis, keepdim=True, unbiased=False)
    return torch.mean(y_true_norm * y_pred_norm, dim=axis)


@registry.builtin(_CATEGORY)
def concordance_correlation(y_true, y_pred, axis=-1):
    """Concordance correlation coefficient of labels and predictions along ``axis``.

    Computed with Keras's formula (the covariance term centres ``y_true`` on
    the mean of ``y_pred``, as Keras 3 does).

    Args:
        y_true: Tensor of true targets.
        y_pred: Tensor of predicted targets.
        axis: Axis along which the coefficient is computed (default -1).

    Returns:
        The coefficients (the input shape without ``axis``).

    Example:

    >>> keras.metrics.concordance_correlation([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])
    tensor([1.0000])
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true_mean = torch.mean(y_true, dim=axis, keepdim=True)
    y_pred_mean = torch.mean(y_pred, dim=axis, keepdim=True)
    y_true_var = torch.var(y_true - y_true_mean, dim=axis, keepdim=True, correction=0)
    y_pred_var = torch.var(y_pred - y_pred_mean, dim=axis, keepdim=True, correction=0)
    covariance = (y_true - y_pred_mean) * (y_pred - y_pred_mean)
    norm = y_true_var + y_pred_var + torch.square(y_true_mean - y_pred_mean)
    return torch.mean(2 * covariance / (norm + backend.epsilon()), dim=axis)


@registry.builtin(_CATEGORY, "pearson_correlation")
class PearsonCorrelation(MeanMetricWrapper):
    """Calculates the mean Pearson correlation coefficient between labels and predictions.

    Args:
        name: Name of the metric instance (default ``"pearson_correlation"``).
        dtype: Data type of the metric result.
        axis: The axis (or axes) along which the coefficient is computed (default -1).

    Example:

    >>> m = keras.metrics.PearsonCorrelation()
    >>> m.update_state([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]])
    >>> m.result()
    tensor(0.9934)
    """

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(fn=pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


@registry.builtin(_CATEGORY, "concordance_correlation")
class ConcordanceCorrelation(MeanMetricWrapper):
    """Calculates the mean concordance correlation coefficient between labels and predictions.

    Args:
        name: Name of the metric instance (default ``"concordance_correlation"``).
        dtype: Data type of the metric result.
        axis: The axis (or axes) along which the coefficient is computed (default -1).

    Example:

    >>> m = keras.metrics.ConcordanceCorrelation()
    >>> m.update_state([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])
    >>> m.result()
    tensor(1.0000)
    """

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(fn=concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


# --------------------------------------------------------------------------
# Probabilistic and hinge losses as metrics.
# --------------------------------------------------------------------------


@registry.builtin(_CATEGORY, "kl_divergence")
class KLDivergence(_LossMetric):
    """Computes the mean Kullback-Leibler divergence ``y_true * log(y_true / y_pred)``.

    Both are probability distributions; values are clipped to ``[epsilon, 1]``.

    Args:
        name: Name of the metric instance (default ``"kl_divergence"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.KLDivergence()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> m.result()
    tensor(0.4581)
    """

    _loss_name = "kl_divergence"

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name=name, dtype=dtype)


@registry.builtin(_CATEGORY, "poisson")
class Poisson(_LossMetric):
    """Computes the mean Poisson loss ``y_pred - y_true * log(y_pred)``.

    Args:
        name: Name of the metric instance (default ``"poisson"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.Poisson()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    tensor(0.5000)
    """

    _loss_name = "poisson"

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name=name, dtype=dtype)


@registry.builtin(_CATEGORY, "binary_crossentropy", "bce", "BCE")
class BinaryCrossentropy(_LossMetric):
    """Computes the mean binary cross-entropy between labels (0 or 1) and predictions.

    Args:
        name: Name of the metric instance (default ``"binary_crossentropy"``).
        dtype: Data type of the metric result.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in ``[0, 1]``; labels are smoothed towards 0.5.

    Example:

    >>> m = keras.metrics.BinaryCrossentropy()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> m.result()
    tensor(0.8149)
    """

    _loss_name = "binary_crossentropy"

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


@registry.builtin(_CATEGORY, "categorical_crossentropy")
class CategoricalCrossentropy(_LossMetric):
    """Computes the mean categorical cross-entropy between one-hot labels and predictions.

    Args:
        name: Name of the metric instance (default ``"categorical_crossentropy"``).
        dtype: Data type of the metric result.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in ``[0, 1]``; labels are smoothed towards uniform.
        axis: The class axis (default -1).

    Example:

    >>> m = keras.metrics.CategoricalCrossentropy()
    >>> m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> m.result()
    tensor(1.1769)
    """

    _loss_name = "categorical_crossentropy"

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0,
                 axis=-1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


@registry.builtin(_CATEGORY, "sparse_categorical_crossentropy")
class SparseCategoricalCrossentropy(_LossMetric):
    """Computes the mean cross-entropy between integer labels and predicted class probabilities.

    Args:
        name: Name of the metric instance (default ``"sparse_categorical_crossentropy"``).
        dtype: Data type of the metric result.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        ignore_class: Optional class id whose samples are left out.
        axis: The class axis (default -1).

    Example:

    >>> m = keras.metrics.SparseCategoricalCrossentropy()
    >>> m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> m.result()
    tensor(1.1769)
    """

    _loss_name = "sparse_categorical_crossentropy"

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits,
                "ignore_class": self.ignore_class, "axis": self.axis}


@registry.builtin(_CATEGORY, "hinge")
class Hinge(_LossMetric):
    """Computes the mean hinge loss ``max(1 - y_true * y_pred, 0)`` (labels -1/1; 0/1 are converted).

    Args:
        name: Name of the metric instance (default ``"hinge"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.Hinge()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> m.result()
    tensor(1.3000)
    """

    _loss_name = "hinge"

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


@registry.builtin(_CATEGORY, "squared_hinge")
class SquaredHinge(_LossMetric):
    """Computes the mean squared hinge loss ``square(max(1 - y_true * y_pred, 0))``.

    Args:
        name: Name of the metric instance (default ``"squared_hinge"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.SquaredHinge()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> m.result()
    tensor(1.8600)
    """

    _loss_name = "squared_hinge"

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


@registry.builtin(_CATEGORY, "categorical_hinge")
class CategoricalHinge(_LossMetric):
    """Computes the mean categorical hinge loss ``max(0, max(neg - pos + 1))``.

    Args:
        name: Name of the metric instance (default ``"categorical_hinge"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.CategoricalHinge()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> m.result()
    tensor(1.4000)
    """

    _loss_name = "categorical_hinge"

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)
