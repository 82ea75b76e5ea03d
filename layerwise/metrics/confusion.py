"""Confusion-matrix metrics: counts at thresholds, Precision, Recall, AUC, the
sensitivity/specificity family and the IoU family.

All of them accumulate weighted true/false positive/negative counts on the
device, at one or more thresholds, and compute their value from the counts:

>>> import layerwise as keras
>>> m = keras.metrics.Precision()
>>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
>>> m.result()
tensor(0.6667)

A prediction counts as positive at threshold ``t`` when it is strictly
greater than ``t``. With evenly spaced thresholds (AUC's default) the counts
are bucketed in one pass (``O(T + N)``), as Keras does; otherwise every
threshold is compared with every prediction.
"""

import warnings

import numpy as np
import torch

from layerwise import backend
from layerwise.metrics.metric import (
    Metric,
    _as_tensor,
    _divide_no_nan,
    squeeze_or_expand_to_same_rank,
)
from layerwise.saving import registry

_CATEGORY = "metrics"
NEG_INF = -1e10

TRUE_POSITIVES = "tp"
FALSE_POSITIVES = "fp"
TRUE_NEGATIVES = "tn"
FALSE_NEGATIVES = "fn"


# --------------------------------------------------------------------------
# Argument checks (all at construction time).
# --------------------------------------------------------------------------


def _is_number(value):
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def _threshold_list(owner, thresholds, default):
    """The thresholds as a list of floats in [0, 1] (``default`` when None)."""
    if thresholds is None:
        return [default]
    if isinstance(thresholds, (list, tuple, np.ndarray, torch.Tensor)):
        values = np.asarray(thresholds.detach().cpu() if isinstance(thresholds, torch.Tensor)
                            else thresholds, dtype=object).reshape(-1).tolist()
    else:
        values = [thresholds]
    invalid = [t for t in values if not _is_number(t) or not 0 <= t <= 1]
    if invalid or not values:
        raise ValueError(
            f"{owner}: argument `thresholds` must be a number or a list of numbers in [0, 1]; "
            f"got thresholds={thresholds!r}" + (f" (invalid values: {invalid})." if invalid else ".")
        )
    return [float(t) for t in values]


def _is_evenly_distributed(thresholds):
    """Whether the thresholds are ``0, 1/(n-1), ..., 1`` (n >= 3), as Keras decides it."""
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=backend.epsilon()))


def _check_class_id(owner, class_id):
    if class_id is not None and (isinstance(class_id, bool) or not isinstance(class_id, (int, np.integer))
                                 or class_id < 0):
        raise ValueError(
            f"{owner}: argument `class_id` must be None or an integer >= 0; got class_id={class_id!r}."
        )


def _check_top_k(owner, top_k):
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer))
                              or top_k < 1):
        raise ValueError(
            f"{owner}: argument `top_k` must be None or an integer >= 1; got top_k={top_k!r}."
        )


def _check_unit_interval(owner, name, value):
    if not _is_number(value) or not 0 <= value <= 1:
        raise ValueError(f"{owner}: argument `{name}` must be a number in [0, 1]; got {name}={value!r}.")


# --------------------------------------------------------------------------
# The confusion-matrix update shared by every metric here.
# --------------------------------------------------------------------------


def _filter_top_k(x, k):
    """Keep the ``k`` largest values on the last axis; set the others to ``NEG_INF``."""
    _, indices = torch.topk(x, k, dim=-1)
    keep = torch.zeros_like(x, dtype=torch.bool).scatter_(-1, indices, True)
    return torch.where(keep, x, torch.full((), NEG_INF, dtype=x.dtype, device=x.device))


def _reverse_cumsum(x, dim):
    return torch.flip(torch.cumsum(torch.flip(x, (dim,)), dim), (dim,))


class _Confusion:
    """Everything about a confusion-matrix update that depends only on configuration.

    Built once per metric; :meth:`update` is the per-step work.
    """

    def __init__(self, thresholds, top_k=None, class_id=None, multi_label=False,
                 evenly=None, label_weights=None):
        self.thresholds = list(thresholds)
        self.num_thresholds = len(self.thresholds)
        self.evenly = _is_evenly_distributed(self.thresholds) if evenly is None else evenly
        self.with_epsilon = self.evenly and (self.thresholds[0] < 0.0 or self.thresholds[-1] > 1.0)
        self.top_k = top_k
        self.class_id = class_id
        self.multi_label = multi_label
        self.label_weights = label_weights  # a tensor or None; only used when not multi_label
        self.threshold_tensor = None

    def to(self, device, dtype):
        self.threshold_tensor = torch.as_tensor(
            np.asarray(self.thresholds, dtype=np.float64), device=device
        ).to(dtype)
        if self.label_weights is not None:
            self.label_weights = self.label_weights.to(device)

    def update(self, variables, y_true, y_pred, sample_weight=None):
        """Add this batch's weighted counts to ``variables`` ({"tp"|"fp"|"tn"|"fn": tensor})."""
        any_variable = next(iter(variables.values()))
        dtype = any_variable.dtype
        device = any_variable.device
        if self.threshold_tensor is None or self.threshold_tensor.device != device:
            self.to(device, dtype)
        y_pred = _as_tensor(y_pred, dtype, device=device)
        y_true = _as_tensor(y_true, dtype, device=device)
        y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
        if sample_weight is not None:
            sample_weight = _as_tensor(sample_weight, dtype, device=device).unsqueeze(-1)
            _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight, expand_rank_1=False)
        if self.top_k is not None:
            y_pred = _filter_top_k(y_pred, self.top_k)
        if self.class_id is not None:
            if y_pred.ndim == 1:
                raise ValueError(
                    "When class_id is provided, y_pred must be a 2D array with shape "
                    f"(num_samples, num_classes); got shape {tuple(y_pred.shape)}."
                )
            y_true = y_true[..., self.class_id, None]
            y_pred = y_pred[..., self.class_id, None]
        if self.evenly:
            self._update_bucketed(variables, y_true, y_pred, sample_weight)
        else:
            self._update_compared(variables, y_true, y_pred, sample_weight)

    def _weights(self, y_pred, sample_weight, flatten):
        weights = None
        if sample_weight is not None:
            weights = sample_weight.expand(y_pred.shape)
        if self.label_weights is not None and not self.multi_label:
            label_weights = self.label_weights.unsqueeze(0).expand(y_pred.shape)
            weights = label_weights if weights is None else weights * label_weights
        if weights is not None and flatten:
            weights = weights.reshape(-1)
        return weights

    def _update_bucketed(self, variables, y_true, y_pred, sample_weight):
        """Evenly spaced thresholds: one bucket per prediction, then reversed cumulative sums."""
        count = self.num_thresholds
        multi = self.multi_label
        weights = self._weights(y_pred, sample_weight, flatten=not multi)
        y_pred = torch.clamp(y_pred, 0.0, 1.0)
        y_true = (y_true != 0).to(y_pred.dtype)
        if not multi:
            y_true = y_true.reshape(-1)
            y_pred = y_pred.reshape(-1)
        true_labels = y_true if weights is None else y_true * weights
        false_labels = (1.0 - y_true) if weights is None else (1.0 - y_true) * weights
        # Bucket ``ceil(p * (n - 1)) - 1`` holds the predictions above thresholds 0..bucket;
        # stored one slot up so that bucket -1 (above no threshold) lands in slot 0.
        slots = torch.ceil(y_pred * (count - 1))
        if self.with_epsilon:
            slots = torch.clamp(slots, min=1.0)
        slots = slots.to(torch.int64)
        if multi:
            num_labels = y_pred.shape[1]
            shape = (num_labels, count + 1)
            tp_buckets = torch.zeros(shape, dtype=y_pred.dtype, device=y_pred.device)
            tp_buckets.scatter_add_(1, slots.T, true_labels.T)
            fp_buckets = torch.zeros(shape, dtype=y_pred.dtype, device=y_pred.device)
            fp_buckets.scatter_add_(1, slots.T, false_labels.T)
            tp = _reverse_cumsum(tp_buckets, 1)[:, 1:].T
            fp = _reverse_cumsum(fp_buckets, 1)[:, 1:].T
            total_true = true_labels.sum(0)
            total_false = false_labels.sum(0)
        else:
            tp_buckets = torch.zeros(count + 1, dtype=y_pred.dtype, device=y_pred.device)
            tp_buckets.index_add_(0, slots, true_labels)
            fp_buckets = torch.zeros(count + 1, dtype=y_pred.dtype, device=y_pred.device)
            fp_buckets.index_add_(0, slots, false_labels)
            tp = _reverse_cumsum(tp_buckets, 0)[1:]
            fp = _reverse_cumsum(fp_buckets, 0)[1:]
            total_true = true_labels.sum()
            total_false = false_labels.sum()
        self._add(variables, tp, fp, total_true, total_false)

    def _update_compared(self, variables, y_true, y_pred, sample_weight):
        """Any thresholds: compare every prediction with every threshold."""
        multi = self.multi_label
        thresholds = self.threshold_tensor
        weights = self._weights(y_pred, sample_weight, flatten=not multi)
        labels = (y_true != 0).to(y_pred.dtype)
        if multi:
            above = torch.gt(y_pred.unsqueeze(0), thresholds.view(-1, *([1] * y_pred.ndim)))
        else:
            y_pred = y_pred.reshape(-1)
            labels = labels.reshape(-1)
            above = torch.gt(y_pred.unsqueeze(0), thresholds.view(-1, 1))
        above = above.to(y_pred.dtype)
        true_labels = labels if weights is None else labels * weights
        false_labels = (1.0 - labels) if weights is None else (1.0 - labels) * weights
        need_fp = FALSE_POSITIVES in variables or TRUE_NEGATIVES in variables
        if multi:
            tp = (above * true_labels).sum(1)
            fp = (above * false_labels).sum(1) if need_fp else None
            total_true = true_labels.sum(0)
            total_false = false_labels.sum(0)
        else:
            tp = above @ true_labels
            fp = above @ false_labels if need_fp else None
            total_true = true_labels.sum()
            total_false = false_labels.sum()
        self._add(variables, tp, fp, total_true, total_false)

    @staticmethod
    def _add(variables, tp, fp, total_true, total_false):
        variable = variables.get(TRUE_POSITIVES)
        if variable is not None:
            variable.add_(tp)
        variable = variables.get(FALSE_POSITIVES)
        if variable is not None:
            variable.add_(fp)
        variable = variables.get(TRUE_NEGATIVES)
        if variable is not None:
            variable.add_(total_false - fp)
        variable = variables.get(FALSE_NEGATIVES)
        if variable is not None:
            variable.add_(total_true - tp)


# --------------------------------------------------------------------------
# Counts at thresholds.
# --------------------------------------------------------------------------


class _ConfusionMatrixConditionCount(Metric):
    """The weighted count of one confusion-matrix cell at each threshold."""

    _condition = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _threshold_list(type(self).__name__, thresholds, 0.5)
        self._confusion = _Confusion(self.thresholds)
        self.accumulator = self.add_variable(
            shape=(len(self.thresholds),), initializer="zeros", name="accumulator"
        )
        self._targets = {self._condition: self.accumulator}

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's weighted count (``sample_weight`` broadcastable to ``y_true``)."""
        self._follow(y_pred)
        self._confusion.update(self._targets, y_true, y_pred, sample_weight)

    def result(self):
        if len(self.thresholds) == 1:
            return self.accumulator[0].clone()
        return self.accumulator.detach().clone()

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


@registry.builtin(_CATEGORY, "false_positives")
class FalsePositives(_ConfusionMatrixConditionCount):
    """Calculates the (weighted) number of false positives.

    Args:
        thresholds: A float or a list of floats in ``[0, 1]`` (default 0.5).
            A prediction above a threshold counts as positive. With
            ``from_logits=True`` losses (no sigmoid), use 0. One value is
            returned per threshold.
        name: Name of the metric instance.
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.FalsePositives()
    >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
    >>> m.result()
    tensor(2.)
    >>> m.reset_state()
    >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    >>> m.result()
    tensor(1.)
    """

    _condition = FALSE_POSITIVES


@registry.builtin(_CATEGORY, "false_negatives")
class FalseNegatives(_ConfusionMatrixConditionCount):
    """Calculates the (weighted) number of false negatives.

    Args:
        thresholds: A float or a list of floats in ``[0, 1]`` (default 0.5).
            A prediction above a threshold counts as positive. One value is
            returned per threshold.
        name: Name of the metric instance.
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.FalseNegatives()
    >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
    >>> m.result()
    tensor(2.)
    >>> m.reset_state()
    >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0], sample_weight=[0, 0, 1, 0])
    >>> m.result()
    tensor(1.)
    """

    _condition = FALSE_NEGATIVES


@registry.builtin(_CATEGORY, "true_negatives")
class TrueNegatives(_ConfusionMatrixConditionCount):
    """Calculates the (weighted) number of true negatives.

    Args:
        thresholds: A float or a list of floats in ``[0, 1]`` (default 0.5).
            A prediction above a threshold counts as positive. One value is
            returned per threshold.
        name: Name of the metric instance.
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.TrueNegatives()
    >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
    >>> m.result()
    tensor(2.)
    >>> m.reset_state()
    >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0], sample_weight=[0, 0, 1, 0])
    >>> m.result()
    tensor(1.)
    """

    _condition = TRUE_NEGATIVES


@registry.builtin(_CATEGORY, "true_positives")
class TruePositives(_ConfusionMatrixConditionCount):
    """Calculates the (weighted) number of true positives.

    Args:
        thresholds: A float or a list of floats in ``[0, 1]`` (default 0.5).
            A prediction above a threshold counts as positive. One value is
            returned per threshold.
        name: Name of the metric instance.
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    tensor(2.)
    >>> m.reset_state()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    >>> m.result()
    tensor(1.)
    """

    _condition = TRUE_POSITIVES


# --------------------------------------------------------------------------
# Precision and Recall.
# --------------------------------------------------------------------------


class _PrecisionRecall(Metric):
    _second = None  # FALSE_POSITIVES (precision) or FALSE_NEGATIVES (recall)
    _second_name = None

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        _check_top_k(owner, top_k)
        _check_class_id(owner, class_id)
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default_threshold = 0.5 if top_k is None else NEG_INF
        self.thresholds = _threshold_list(owner, thresholds, default_threshold)
        self._confusion = _Confusion(self.thresholds, top_k=top_k, class_id=class_id)
        self.true_positives = self.add_variable(
            shape=(len(self.thresholds),), initializer="zeros", name="true_positives"
        )
        second = self.add_variable(shape=(len(self.thresholds),), initializer="zeros", name=self._second_name)
        setattr(self, self._second_name, second)
        self._targets = {TRUE_POSITIVES: self.true_positives, self._second: second}

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the batch's counts.

        Args:
            y_true: Ground truth, same shape as ``y_pred``; cast to bool.
            y_pred: Predictions in ``[0, 1]`` (or scores with suitable thresholds).
            sample_weight: Optional weights, broadcastable to ``y_true``.
        """
        self._follow(y_pred)
        self._confusion.update(self._targets, y_true, y_pred, sample_weight)

    def result(self):
        tp = self.true_positives
        value = _divide_no_nan(tp, tp + self._targets[self._second])
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


@registry.builtin(_CATEGORY, "precision")
class Precision(_PrecisionRecall):
    """Computes the precision of the predictions: ``tp / (tp + fp)``.

    With ``top_k``, only the ``k`` highest predictions of each sample count
    as positive. With ``class_id``, only that class (column) is considered.

    Args:
        thresholds: A float or a list of floats in ``[0, 1]``. A prediction
            above a threshold counts as positive; one value is returned per
            threshold. Default 0.5 (or "any of the top k" with ``top_k``).
            With ``from_logits=True`` losses, use 0.
        top_k: Optional integer >= 1: consider the top-k predictions only.
        class_id: Optional integer class index in ``[0, num_classes)``.
        name: Name of the metric instance.
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    tensor(0.6667)
    >>> m.reset_state()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    >>> m.result()
    tensor(1.)
    >>> m = keras.metrics.Precision(top_k=2)
    >>> m.update_state([0, 0, 1, 1], [0.9, 0.8, 0.3, 0.4])
    >>> m.result()
    tensor(0.)
    """

    _second = FALSE_POSITIVES
    _second_name = "false_positives"


@registry.builtin(_CATEGORY, "recall")
class Recall(_PrecisionRecall):
    """Computes the recall of the predictions: ``tp / (tp + fn)``.

    With ``top_k``, only the ``k`` highest predictions of each sample count
    as positive. With ``class_id``, only that class (column) is considered.

    Args:
        thresholds: A float or a list of floats in ``[0, 1]``. A prediction
            above a threshold counts as positive; one value is returned per
            threshold. Default 0.5 (or "any of the top k" with ``top_k``).
        top_k: Optional integer >= 1: consider the top-k predictions only.
        class_id: Optional integer class index in ``[0, num_classes)``.
        name: Name of the metric instance.
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    tensor(0.6667)
    >>> m.reset_state()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    >>> m.result()
    tensor(1.)
    """

    _second = FALSE_NEGATIVES
    _second_name = "false_negatives"


# --------------------------------------------------------------------------
# Sensitivity / specificity / precision / recall at a target value.
# --------------------------------------------------------------------------


class _SensitivitySpecificityBase(Metric):
    """Counts at ``num_thresholds`` evenly spaced thresholds; subclasses pick the best one."""

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)) \
                or num_thresholds <= 0:
            raise ValueError(
                f"{owner}: argument `num_thresholds` must be an integer > 0; "
                f"got num_thresholds={num_thresholds!r}."
            )
        _check_class_id(owner, class_id)
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.value = value
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            evenly = True
        self._confusion = _Confusion(self.thresholds, class_id=class_id, evenly=evenly)
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(shape, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(shape, "zeros", name="false_negatives")
        self._targets = {
            TRUE_POSITIVES: self.true_positives,
            TRUE_NEGATIVES: self.true_negatives,
            FALSE_POSITIVES: self.false_positives,
            FALSE_NEGATIVES: self.false_negatives,
        }

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the batch's counts at every threshold."""
        self._follow(y_pred)
        self._confusion.update(self._targets, y_true, y_pred, sample_weight)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id}

    def _find_max_under_constraint(self, constrained, dependent):
        """The largest ``dependent`` value where ``constrained >= value`` (0 if none)."""
        feasible = torch.ge(constrained, self.value)
        zero = torch.zeros((), dtype=dependent.dtype, device=dependent.device)
        best = torch.where(feasible, dependent, zero)
        return torch.clamp(torch.max(best), min=0.0)

    def _rates(self):
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        return {
            "sensitivity": _divide_no_nan(tp, tp + fn),
            "specificity": _divide_no_nan(tn, tn + fp),
            "precision": _divide_no_nan(tp, tp + fp),
        }


@registry.builtin(_CATEGORY, "sensitivity_at_specificity")
class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """Computes the best sensitivity (recall) where specificity is >= ``specificity``.

    Sensitivity is ``tp / (tp + fn)``, specificity ``tn / (tn + fp)``.

    Args:
        specificity: A number in ``[0, 1]``.
        num_thresholds: Number of thresholds used to match the specificity (default 200).
        class_id: Optional integer class index for multi-class data.
        name: Name of the metric instance.
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> m.result()
    tensor(0.5000)
    """

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_unit_interval("SensitivityAtSpecificity", "specificity", specificity)
        self.specificity = specificity
        self.num_thresholds = num_thresholds
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["specificity"], rates["sensitivity"])

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "specificity": self.specificity}


@registry.builtin(_CATEGORY, "specificity_at_sensitivity")
class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """Computes the best specificity where sensitivity (recall) is >= ``sensitivity``.

    Args:
        sensitivity: A number in ``[0, 1]``.
        num_thresholds: Number of thresholds used to match the sensitivity (default 200).
        class_id: Optional integer class index for multi-class data.
        name: Name of the metric instance.
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.SpecificityAtSensitivity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> m.result()
    tensor(0.6667)
    """

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_unit_interval("SpecificityAtSensitivity", "sensitivity", sensitivity)
        self.sensitivity = sensitivity
        self.num_thresholds = num_thresholds
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["sensitivity"], rates["specificity"])

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "sensitivity": self.sensitivity}


@registry.builtin(_CATEGORY, "precision_at_recall")
class PrecisionAtRecall(_SensitivitySpecificityBase):
    """Computes the best precision where recall is >= ``recall``.

    Args:
        recall: A number in ``[0, 1]``.
        num_thresholds: Number of thresholds used to match the recall (default 200).
        class_id: Optional integer class index for multi-class data.
        name: Name of the metric instance.
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.PrecisionAtRecall(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> m.result()
    tensor(0.5000)
    """

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_unit_interval("PrecisionAtRecall", "recall", recall)
        self.recall = recall
        self.num_thresholds = num_thresholds
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["sensitivity"], rates["precision"])

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "recall": self.recall}


@registry.builtin(_CATEGORY, "recall_at_precision")
class RecallAtPrecision(_SensitivitySpecificityBase):
    """Computes the best recall where precision is >= ``precision`` (0 if never reached).

    Args:
        precision: A number in ``[0, 1]``.
        num_thresholds: Number of thresholds used to match the precision (default 200).
        class_id: Optional integer class index for multi-class data.
        name: Name of the metric instance.
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.RecallAtPrecision(0.8)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> m.result()
    tensor(0.5000)
    """

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        _check_unit_interval("RecallAtPrecision", "precision", precision)
        self.precision = precision
        self.num_thresholds = num_thresholds
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates["precision"], rates["sensitivity"])

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "precision": self.precision}


# --------------------------------------------------------------------------
# AUC.
# --------------------------------------------------------------------------

_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = {"interpolation": "interpolation", "majoring": "majoring", "minoring": "minoring"}


def _enum_value(value):
    return getattr(value, "value", value)  # accept Keras's AUCCurve / AUCSummationMethod enums


def _parse_curve(curve):
    key = _enum_value(curve)
    if isinstance(key, str) and key in ("ROC", "roc", "PR", "pr", "PRGAIN", "prgain"):
        return _CURVES[key.lower()]
    raise ValueError(
        f"AUC: argument `curve` must be one of 'ROC', 'PR', 'PRGAIN'; got curve={curve!r}."
    )


def _parse_summation(method):
    key = _enum_value(method)
    if isinstance(key, str) and key in ("interpolation", "Interpolation", "majoring", "Majoring",
                                        "minoring", "Minoring"):
        return _SUMMATIONS[key.lower()]
    raise ValueError(
        "AUC: argument `summation_method` must be one of 'interpolation', 'majoring', 'minoring'; "
        f"got summation_method={method!r}."
    )


def _label_weight_values(label_weights):
    """Label weights given as a list, array, tensor, or Keras's serialized ``__tensor__`` dict."""
    if isinstance(label_weights, dict) and label_weights.get("class_name") in ("__tensor__", "__numpy__"):
        label_weights = label_weights.get("config", {}).get("value")
    if isinstance(label_weights, torch.Tensor):
        label_weights = label_weights.detach().cpu().numpy()
    values = np.asarray(label_weights, dtype=np.float64).reshape(-1)
    if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(
            "AUC: argument `label_weights` must be a list of finite non-negative numbers; "
            f"got label_weights={label_weights!r}."
        )
    return values


@registry.builtin(_CATEGORY, "auc")
class AUC(Metric):
    """Approximates the area under the ROC or PR curve (a Riemann sum over thresholds).

    Predictions are counted at ``num_thresholds`` thresholds (evenly spaced
    in ``[0, 1]``, plus ``-epsilon`` and ``1 + epsilon`` at the ends) and the
    area is summed from the resulting curve. For the best approximation the
    predictions should be spread over ``[0, 1]`` (probabilities, or logits
    with ``from_logits=True``).

    Args:
        num_thresholds: Number of thresholds, an integer > 1 (default 200).
        curve: ``'ROC'`` (default), ``'PR'`` (precision-recall) or ``'PRGAIN'``.
        summation_method: ``'interpolation'`` (default; for PR, Davis & Goadrich
            interpolation), ``'minoring'`` (lower bound) or ``'majoring'`` (upper bound).
        name: Name of the metric instance.
        dtype: Data type of the metric result.
        thresholds: Optional list of thresholds in ``[0, 1]`` to use instead of
            ``num_thresholds`` evenly spaced ones (the end points are added).
        multi_label: If True, compute one AUC per label (column) and average
            them; if False (default), flatten the data into one label.
        num_labels: Number of labels when ``multi_label=True`` (else found at
            the first ``update_state``).
        label_weights: Optional non-negative weights per label: the weights of
            the label AUCs in the average (``multi_label=True``), or of the
            flattened entries (``multi_label=False``).
        from_logits: Whether ``y_pred`` holds logits (a sigmoid is applied).

    Example:

    >>> m = keras.metrics.AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> m.result()
    tensor(0.7500)
    >>> m.reset_state()
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    >>> m.result()
    tensor(1.)
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None,
                 dtype=None, thresholds=None, multi_label=False, num_labels=None, label_weights=None,
                 from_logits=False):
        self._direction = "up"
        curve_value = _parse_curve(curve)
        summation_value = _parse_summation(summation_method)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(_threshold_list("AUC", thresholds, None))
            self.num_thresholds = len(thresholds) + 2
            evenly = _is_evenly_distributed(np.array([0.0] + thresholds + [1.0]))
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)) \
                    or num_thresholds <= 1:
                raise ValueError(
                    "AUC: argument `num_thresholds` must be an integer > 1; "
                    f"got num_thresholds={num_thresholds!r}."
                )
            self.num_thresholds = int(num_thresholds)
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            evenly = True
        self._thresholds = np.array([0.0 - backend.epsilon()] + thresholds + [1.0 + backend.epsilon()])
        self.curve = curve_value
        self.summation_method = summation_value
        super().__init__(name=name, dtype=dtype)
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        if label_weights is not None:
            values = _label_weight_values(label_weights)
            self.label_weights = torch.as_tensor(values, dtype=self._torch_dtype, device=self._device)
        else:
            self.label_weights = None
        self._from_logits = from_logits
        self._built = False
        self._confusion = _Confusion(
            self._thresholds.tolist(), multi_label=self.multi_label, evenly=evenly,
            label_weights=None if self.multi_label else self.label_weights,
        )
        if self.multi_label:
            if num_labels:
                self._build([None, num_labels])
        else:
            if num_labels:
                raise ValueError("AUC: argument `num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        """The thresholds used for evaluating AUC (with the two end points)."""
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    "AUC: `y_pred` must have rank 2 when `multi_label=True`; "
                    f"got rank {len(shape)} (shape {tuple(shape)})."
                )
            self._num_labels = shape[1]
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        self.true_positives = self.add_variable(variable_shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(variable_shape, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(variable_shape, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(variable_shape, "zeros", name="false_negatives")
        self._targets = {
            TRUE_POSITIVES: self.true_positives,
            TRUE_NEGATIVES: self.true_negatives,
            FALSE_POSITIVES: self.false_positives,
            FALSE_NEGATIVES: self.false_negatives,
        }
        self._built = True

    def _to_device(self, device):
        super()._to_device(device)
        if self.label_weights is not None:
            self.label_weights = self.label_weights.to(device)
            if not self.multi_label:
                self._confusion.label_weights = self.label_weights

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the batch's counts at every threshold.

        Args:
            y_true: Ground truth (cast to bool).
            y_pred: Predictions in ``[0, 1]`` (logits with ``from_logits=True``).
            sample_weight: Optional weights, broadcastable to ``y_true``.
        """
        self._follow(y_pred)
        y_pred = _as_tensor(y_pred, device=self._device)
        if not self._built:
            self._build(tuple(y_pred.shape))
        if self._from_logits:
            y_pred = torch.sigmoid(y_pred)
        self._confusion.update(self._targets, y_true, y_pred, sample_weight)

    def _average_over_labels(self, by_label):
        if self.label_weights is None:
            return torch.mean(by_label)
        weights = self.label_weights
        return _divide_no_nan(torch.sum(by_label * weights), torch.sum(weights))

    def interpolate_pr_auc(self):
        """PR-AUC with the closed-form interpolation of Davis & Goadrich (2006), as Keras computes it.

        Between two thresholds, true positives and predicted positives vary
        linearly; the precision integrated over recall has a closed form.
        """
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        prec_slope = _divide_no_nan(dtp, torch.clamp(dp, min=0))
        intercept = tp[1:] - prec_slope * p[1:]
        safe_p_ratio = torch.where(
            torch.logical_and(p[:-1] > 0, p[1:] > 0),
            _divide_no_nan(p[:-1], torch.clamp(p[1:], min=0)),
            torch.ones_like(p[1:]),
        )
        increments = _divide_no_nan(
            prec_slope * (dtp + intercept * torch.log(safe_p_ratio)),
            torch.clamp(tp[1:] + fn[1:], min=0),
        )
        if self.multi_label:
            return self._average_over_labels(torch.sum(increments, dim=0))
        return torch.sum(increments)

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._torch_dtype, device=self._device)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x = _divide_no_nan(fp, fp + tn)
            y = recall
        elif self.curve == "PR":
            x = recall
            y = _divide_no_nan(tp, tp + fp)
        else:  # PRGAIN
            scaling = _divide_no_nan(tp + fn, tn + fp)
            recall_gain = 1.0 - scaling * _divide_no_nan(fn, tp)
            precision_gain = 1.0 - scaling * _divide_no_nan(fp, tp)
            no_tp = tp == 0
            recall_gain = torch.where(no_tp, torch.zeros_like(recall_gain), recall_gain)
            precision_gain = torch.where(no_tp, torch.ones_like(precision_gain), precision_gain)
            x = torch.clamp(recall_gain, min=0.0)
            y = precision_gain
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        terms = (x[:-1] - x[1:]) * heights
        if self.multi_label:
            return self._average_over_labels(torch.sum(terms, dim=0))
        return torch.sum(terms)

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        label_weights = None
        if self.label_weights is not None:
            label_weights = [float(v) for v in self.label_weights.detach().cpu().numpy()]
        config = {
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": label_weights,
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self.thresholds[1:-1]]
        return {**super().get_config(), **config}


# --------------------------------------------------------------------------
# Intersection-over-union (a class-by-class confusion matrix).
# --------------------------------------------------------------------------


class _IoUBase(Metric):
    """Accumulates a ``(num_classes, num_classes)`` confusion matrix (rows: labels, columns: predictions)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        owner = type(self).__name__
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
            raise ValueError(
                f"{owner}: argument `num_classes` must be an integer >= 1; got num_classes={num_classes!r}."
            )
        super().__init__(name=name, dtype=dtype or "int")
        self._direction = "up"
        self.num_classes = int(num_classes)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            (self.num_classes, self.num_classes), "zeros", dtype=self.dtype, name="total_confusion_matrix"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch to the confusion matrix; class ids outside ``[0, num_classes)`` are skipped."""
        self._follow(y_pred)
        device = self._device
        dtype = self._torch_dtype
        if not self.sparse_y_true:
            y_true = torch.argmax(_as_tensor(y_true, device=device), dim=self.axis)
        if not self.sparse_y_pred:
            y_pred = torch.argmax(_as_tensor(y_pred, device=device), dim=self.axis)
        y_true = _as_tensor(y_true, dtype, device=device).reshape(-1)
        y_pred = _as_tensor(y_pred, dtype, device=device).reshape(-1)
        if sample_weight is None:
            weights = torch.ones((), dtype=dtype, device=device)
        else:
            if isinstance(sample_weight, torch.Tensor):
                weight_is_float = sample_weight.dtype.is_floating_point
            else:
                weight_is_float = np.asarray(sample_weight).dtype.kind == "f"
            if weight_is_float and not dtype.is_floating_point:
                warnings.warn(
                    "You are passing weight as `float`, but dtype is `int`. This may result in an "
                    "incorrect weight due to type casting. Consider using integer weights.",
                    stacklevel=2,
                )
            weights = _as_tensor(sample_weight, dtype, device=device)
            if weights.ndim > 1:
                weights = weights.reshape(-1)
        weights = weights.expand(y_true.shape)
        in_bounds = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (y_pred < self.num_classes)
        if self.ignore_class is not None:
            in_bounds = in_bounds & (y_true != self.ignore_class)
        zero = torch.zeros((), dtype=dtype, device=device)
        y_true = torch.where(in_bounds, y_true, zero).to(torch.int64)
        y_pred = torch.where(in_bounds, y_pred, zero).to(torch.int64)
        weights = torch.where(in_bounds, weights, zero)
        cells = y_true * self.num_classes + y_pred
        self.total_cm.view(-1).index_add_(0, cells, weights)


@registry.builtin(_CATEGORY, "io_u")
class IoU(_IoUBase):
    """Computes the intersection-over-union for chosen classes: ``tp / (tp + fp + fn)``.

    The IoU of each class in ``target_class_ids`` is computed from the
    accumulated confusion matrix; the result is their mean (classes absent
    from both labels and predictions are left out of the mean).

    Args:
        num_classes: Number of classes.
        target_class_ids: List of class ids whose IoUs are averaged.
        name: Name of the metric instance.
        dtype: Data type of the confusion matrix (default ``"int32"``).
        ignore_class: Optional class id to ignore (e.g. a "void" class).
        sparse_y_true: Whether labels are integers (True) or one-hot/scores (argmax taken).
        sparse_y_pred: Whether predictions are integers (True) or scores (argmax taken).
        axis: The class axis for the argmax (default -1).

    Example:

    >>> m = keras.metrics.IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> m.result()
    tensor(0.3333)
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes=num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        ids = list(target_class_ids)
        if not ids or max(ids) >= num_classes or min(ids) < 0:
            raise ValueError(
                f"{type(self).__name__}: argument `target_class_ids` must hold class ids in "
                f"[0, {num_classes}); got target_class_ids={target_class_ids!r}."
            )
        self.target_class_ids = ids
        self._target_ids = None

    def result(self):
        cm = self.total_cm
        sum_over_row = cm.sum(0)
        sum_over_col = cm.sum(1)
        true_positives = torch.diagonal(cm)
        denominator = sum_over_row + sum_over_col - true_positives
        if self._target_ids is None or self._target_ids.device != cm.device:
            self._target_ids = torch.as_tensor(self.target_class_ids, dtype=torch.int64, device=cm.device)
        true_positives = true_positives[self._target_ids].to(torch.float32)
        denominator = denominator[self._target_ids].to(torch.float32)
        valid = (denominator > 1e-9).to(torch.float32)
        iou = true_positives / (denominator + backend.epsilon())
        iou = torch.where(valid.bool(), iou, torch.zeros_like(iou))
        return torch.sum(iou, dim=self.axis) / (torch.sum(valid) + backend.epsilon())

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


@registry.builtin(_CATEGORY, "binary_io_u")
class BinaryIoU(IoU):
    """Computes the IoU of class 0 and/or 1 for predictions thresholded at ``threshold``.

    Predictions ``>= threshold`` become class 1, the rest class 0; the IoUs
    of ``target_class_ids`` are then averaged as in :class:`IoU`.

    Args:
        target_class_ids: ``[0]``, ``[1]`` or ``[0, 1]`` (default ``(0, 1)``).
        threshold: The threshold applied to the predictions (default 0.5).
        name: Name of the metric instance.
        dtype: Data type of the confusion matrix.

    Example:

    >>> m = keras.metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    >>> m.result()
    tensor(0.3333)
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Threshold the predictions, then add the batch to the confusion matrix."""
        self._follow(y_pred)
        y_true = _as_tensor(y_true, self._torch_dtype, device=self._device)
        y_pred = _as_tensor(y_pred, torch.float32, device=self._device)
        y_pred = torch.ge(y_pred, self.threshold).to(self._torch_dtype)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


@registry.builtin(_CATEGORY, "mean_io_u")
class MeanIoU(IoU):
    """Computes the mean intersection-over-union over all classes.

    Args:
        num_classes: Number of classes.
        name: Name of the metric instance.
        dtype: Data type of the confusion matrix (default ``"int32"``).
        ignore_class: Optional class id to ignore.
        sparse_y_true: Whether labels are integers (True) or one-hot/scores.
        sparse_y_pred: Whether predictions are integers (True) or scores.
        axis: The class axis for the argmax (default -1).

    Example:

    >>> m = keras.metrics.MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> m.result()
    tensor(0.3333)
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
            raise ValueError(
                f"{type(self).__name__}: argument `num_classes` must be an integer >= 1; "
                f"got num_classes={num_classes!r}."
            )
        super().__init__(name=name, num_classes=num_classes, target_class_ids=list(range(num_classes)),
                         axis=axis, dtype=dtype, ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred)

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


@registry.builtin(_CATEGORY, "one_hot_io_u")
class OneHotIoU(IoU):
    """Computes the IoU for one-hot labels (argmax taken on labels and, by default, predictions).

    Args:
        num_classes: Number of classes.
        target_class_ids: List of class ids whose IoUs are averaged.
        name: Name of the metric instance.
        dtype: Data type of the confusion matrix.
        ignore_class: Optional class id to ignore.
        sparse_y_pred: Whether predictions are integers (default False: argmax taken).
        axis: The class axis (default -1).

    Example:

    >>> m = keras.metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
    ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
    >>> m.result()
    tensor(0.1667)
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False, sparse_y_pred=sparse_y_pred,
                         axis=axis)

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


@registry.builtin(_CATEGORY, "one_hot_mean_io_u")
class OneHotMeanIoU(MeanIoU):
    """Computes the mean IoU over all classes for one-hot labels.

    Args:
        num_classes: Number of classes.
        name: Name of the metric instance.
        dtype: Data type of the confusion matrix.
        ignore_class: Optional class id to ignore.
        sparse_y_pred: Whether predictions are integers (default False: argmax taken).
        axis: The class axis (default -1).

    Example:

    >>> m = keras.metrics.OneHotMeanIoU(num_classes=3)
    >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
    ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
    >>> m.result()
    tensor(0.1111)
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes=num_classes, axis=axis, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False, sparse_y_pred=sparse_y_pred)

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
