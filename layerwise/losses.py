"""Loss functions and classes, shaped like ``keras.losses``.

Every loss exists in two forms, as in Keras 3:

* a **function** ``fn(y_true, y_pred, **options)`` that returns one loss value
  per sample (the last axis, or the class axis, is reduced away);
* a **class** (a :class:`Loss`) whose instances are called as
  ``loss(y_true, y_pred, sample_weight=None)`` and return the *reduced*
  scalar: weighted by ``sample_weight``, masked by the ``_keras_mask`` that a
  masking layer attached to ``y_pred``, then reduced by ``reduction``.

>>> import torch
>>> import layerwise as keras
>>> keras.losses.mean_squared_error([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
tensor([0.5000, 0.5000])
>>> keras.losses.MeanSquaredError()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
tensor(0.5000)

``compile(loss="mse")`` and friends resolve names with :func:`get`: a function
name (``"categorical_crossentropy"``, ``"mse"``) gives the function, a class
name (``"CategoricalCrossentropy"``) gives an instance with default arguments,
exactly as ``keras.losses.get`` does.

Losses run once per training step on the device, so a torch tensor goes
straight into torch's fused kernels (``F.cross_entropy``,
``F.binary_cross_entropy_with_logits``, ``F.mse_loss``, ...) with no host
synchronisation; everything that depends only on the configuration is
decided when the loss is built. Numpy arrays and lists are accepted too and
converted to tensors. Before training, :func:`check_targets` validates the
whole target array once against the model's output shape, so that one-hot
targets given to a sparse loss, labels out of range, or a target shape that
does not fit the output fail with a clear message instead of a cryptic error
in the middle of ``fit``.
"""

import functools
import math
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from layerwise import backend
from layerwise.saving import registry
from layerwise.saving.serialization import deserialize_keras_object, serialize_keras_object

_CATEGORY = "losses"
_REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")
_MEAN_REDUCTIONS = ("sum_over_batch_size", "mean", "mean_with_sample_weight")


# --------------------------------------------------------------------------------------------
# Tensor helpers
# --------------------------------------------------------------------------------------------


def _pred(y_pred):
    """``y_pred`` as a floating tensor (numpy and lists are converted; integers become floatx)."""
    if not isinstance(y_pred, torch.Tensor):
        y_pred = backend.convert_to_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.to(backend.torch_dtype(backend.floatx()))
    return y_pred


def _like(x, ref):
    """``x`` as a tensor with the dtype and device of ``ref``."""
    if isinstance(x, torch.Tensor):
        return x.to(device=ref.device, dtype=ref.dtype)
    return torch.as_tensor(np.asarray(x), dtype=ref.dtype, device=ref.device)


def _labels(y_true, device):
    """Integer class labels as a ``long`` tensor on ``device`` (floats truncate, as in Keras)."""
    if isinstance(y_true, torch.Tensor):
        return y_true.to(device=device, dtype=torch.long)
    return torch.as_tensor(np.asarray(y_true), device=device).long()


def _to_tensor(x, dtype, device):
    if isinstance(x, torch.Tensor):
        return x.to(device=device, dtype=dtype)
    if isinstance(x, (list, tuple)) and x and any(isinstance(v, torch.Tensor) for v in x):
        return type(x)(_to_tensor(v, dtype, device) for v in x)
    if isinstance(x, dict):
        return {k: _to_tensor(v, dtype, device) for k, v in x.items()}
    return torch.as_tensor(np.asarray(x), dtype=dtype, device=device)


def _is_integer(x):
    if isinstance(x, torch.Tensor):
        return not x.is_floating_point() and not x.is_complex() and x.dtype != torch.bool
    return isinstance(x, np.ndarray) and x.dtype.kind in "iu"


def _divide_no_nan(x1, x2):
    safe = torch.where(x2 == 0, torch.ones_like(x2), x2)
    return torch.where(x2 == 0, torch.zeros_like(x1), x1 / safe)


def _log_probs(probabilities, dim):
    """``log`` of probabilities normalised to sum to 1 along ``dim`` and clipped as Keras does."""
    eps = backend.epsilon()
    p = probabilities / torch.sum(probabilities, dim=dim, keepdim=True)
    return torch.log(torch.clamp(p, eps, 1.0 - eps))


def _dims(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make two tensors the same rank when they differ by a trailing dimension of size 1.

    The rule Keras applies before comparing ``y_true`` with ``y_pred`` and before
    weighting losses with ``sample_weight``: when one tensor has exactly one more
    dimension and that last dimension is 1, it is squeezed; a rank-1 partner is
    expanded instead when ``expand_rank_1`` is true.

    Args:
        x1: First tensor.
        x2: Second tensor.
        expand_rank_1: Expand a rank-1 tensor rather than squeeze its partner.

    Example:

    >>> a, b = keras.losses.squeeze_or_expand_to_same_rank(torch.zeros(4), torch.zeros(4, 1))
    >>> tuple(a.shape), tuple(b.shape)
    ((4, 1), (4, 1))
    """
    x1_rank, x2_rank = x1.ndim, x2.ndim
    if x1_rank == x2_rank:
        return x1, x2
    if x1_rank == x2_rank + 1 and x1.shape[-1] == 1:
        if x2_rank == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    if x2_rank == x1_rank + 1 and x2.shape[-1] == 1:
        if x1_rank == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def _squeeze_structure(y_true, y_pred):
    if isinstance(y_true, torch.Tensor) and isinstance(y_pred, torch.Tensor):
        return squeeze_or_expand_to_same_rank(y_true, y_pred)
    if isinstance(y_true, dict) and isinstance(y_pred, dict):
        pairs = {k: _squeeze_structure(y_true[k], y_pred[k]) for k in y_pred}
        return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items()}
    if isinstance(y_true, (list, tuple)) and isinstance(y_pred, (list, tuple)):
        pairs = [_squeeze_structure(t, p) for t, p in zip(y_true, y_pred)]
        return type(y_true)(p[0] for p in pairs), type(y_pred)(p[1] for p in pairs)
    return y_true, y_pred


# --------------------------------------------------------------------------------------------
# Reductions
# --------------------------------------------------------------------------------------------


def standardize_reduction(reduction):
    """Check a ``reduction`` argument and return it unchanged.

    Args:
        reduction: One of ``"sum_over_batch_size"``, ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.

    Example:

    >>> keras.losses.standardize_reduction("sum")
    'sum'
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(
            "Invalid value for argument `reduction`. Expected one of "
            f"{', '.join(repr(r) for r in _REDUCTIONS)}. Received: reduction={reduction!r}"
        )
    return reduction


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduce (already weighted) per-sample losses as Keras does.

    ``"sum"`` adds them up; ``"sum_over_batch_size"`` and ``"mean"`` divide the
    sum by the number of loss values; ``"mean_with_sample_weight"`` divides it
    by the sum of ``sample_weight``; ``"none"``/``None`` return them as they are.
    A division by zero gives 0.

    Args:
        values: Tensor of per-sample losses.
        sample_weight: The weights already applied (used by ``"mean_with_sample_weight"``).
        reduction: The reduction.

    Example:

    >>> keras.losses.reduce_values(torch.tensor([1.0, 2.0, 3.0]), reduction="sum")
    tensor(6.)
    """
    if reduction is None or reduction == "none" or values.ndim == 0 or tuple(values.shape) == (0,):
        return values
    loss = torch.sum(values)
    if reduction in _MEAN_REDUCTIONS:
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            loss = _divide_no_nan(loss, torch.sum(sample_weight).to(loss.dtype))
        else:
            count = values.numel()
            loss = loss / count if count else loss * 0.0
    return loss


def apply_mask(sample_weight, mask, dtype, reduction):
    """Merge a boolean ``mask`` into ``sample_weight`` as Keras does.

    For ``"sum_over_batch_size"`` and ``"mean"`` the kept entries are weighted
    ``total / kept``, so the reduced loss is the mean over the kept entries only.

    Args:
        sample_weight: Tensor of weights, or None.
        mask: Tensor that is true (1) for the entries to keep, or None.
        dtype: Floating torch dtype of the losses.
        reduction: The loss's reduction.

    Example:

    >>> keras.losses.apply_mask(None, torch.tensor([True, False]), torch.float32, "sum")
    tensor([1., 0.])
    """
    if mask is None:
        return sample_weight
    mask = mask.to(dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        total = torch.tensor(float(mask.numel()), dtype=dtype, device=mask.device)
        valid = torch.sum(mask)
        float_mask = torch.where(mask.bool(), _divide_no_nan(total, valid), torch.zeros_like(mask))
    else:
        float_mask = mask
    if sample_weight is None:
        return float_mask
    sample_weight = sample_weight.to(dtype)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    return sample_weight * float_mask


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size",
                           dtype=None):
    """Weight per-sample losses by ``sample_weight`` and ``mask``, then reduce them (Keras's rule).

    ``sample_weight`` must broadcast against the losses after the trailing-1
    squeeze of :func:`squeeze_or_expand_to_same_rank`: shape ``(batch,)`` for
    losses of shape ``(batch,)``, ``(batch, steps)`` for sequence losses.

    Args:
        values: Tensor of per-sample losses.
        sample_weight: Weights (tensor, array or number), or None.
        mask: Boolean tensor of the entries to keep, or None.
        reduction: The reduction (see :func:`reduce_values`).
        dtype: Floating dtype to compute in (default: that of ``values``).

    Example:

    >>> keras.losses.reduce_weighted_values(torch.tensor([1.0, 3.0]), sample_weight=[1.0, 0.0])
    tensor(0.5000)
    """
    reduction = standardize_reduction(reduction)
    dtype = values.dtype if dtype is None else backend.torch_dtype(dtype)
    values = values.to(dtype)
    if sample_weight is not None:
        sample_weight = _to_tensor(sample_weight, dtype, values.device)
    sample_weight = apply_mask(sample_weight, mask, dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


def _compute_dtype(dtype):
    if dtype is None:
        return backend.floatx()
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        return backend.standardize_dtype(dtype[len("mixed_"):])
    if isinstance(dtype, dict):
        return _compute_dtype(dtype.get("config", {}).get("name"))
    compute = getattr(dtype, "compute_dtype", None)
    if isinstance(compute, str):
        return backend.standardize_dtype(compute)
    return backend.standardize_dtype(dtype)


# --------------------------------------------------------------------------------------------
# Loss base classes
# --------------------------------------------------------------------------------------------


@registry.builtin(_CATEGORY, keras_module="keras")
class Loss:
    """Base class of losses: subclass it and implement ``call(y_true, y_pred)``.

    Calling a loss computes ``call`` (one value per sample), weights the values
    by ``sample_weight`` and by the mask a masking layer attached to
    ``y_pred`` (``y_pred._keras_mask``) or that ``call`` attached to its result,
    and reduces them to a scalar.

    Args:
        name: Name of the loss instance (default: the snake-case class name).
        reduction: ``"sum_over_batch_size"`` (default: the sum divided by the
            number of loss values), ``"sum"``, ``"mean"`` (same as
            ``"sum_over_batch_size"``), ``"mean_with_sample_weight"`` (the sum
            divided by the sum of the sample weights), or ``"none"``/``None``
            (no reduction).
        dtype: Dtype the loss is computed in (default ``floatx()``); both
            ``y_true`` and ``y_pred`` are cast to it. A ``"mixed_float16"``
            style policy name means its compute dtype.

    Example:

    >>> class MeanSquared(keras.losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         return torch.mean(torch.square(y_pred - y_true), dim=-1)
    >>> MeanSquared()(torch.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 4.0]]))
    tensor(2.)
    """

    _fast = None
    _integer_labels = False

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or backend.unique_name(backend.to_snake_case(type(self).__name__))
        self._dtype = _compute_dtype(dtype)
        self._torch_dtype = backend.torch_dtype(self._dtype)
        self.reduction = reduction

    @property
    def reduction(self):
        """The reduction applied in ``__call__`` (settable)."""
        return self._reduction

    @reduction.setter
    def reduction(self, value):
        self._reduction = standardize_reduction(value)
        self._update_fast_path()

    @property
    def dtype(self):
        """Name of the dtype the loss is computed in (``'float32'`` by default)."""
        return self._dtype

    def _update_fast_path(self):
        """Decide once whether calls without weights or masks may use a fused torch reduction."""
        self._fast = None

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss between ``y_true`` and ``y_pred`` (a scalar tensor unless reduction is none).

        Args:
            y_true: Targets (tensor, numpy array or list); integer labels are cast as Keras casts them.
            y_pred: Predictions; a ``_keras_mask`` attribute on it masks the losses.
            sample_weight: Optional weights that broadcast against the per-sample losses.
        """
        in_mask = getattr(y_pred, "_keras_mask", None)
        dtype = self._torch_dtype
        if isinstance(y_pred, torch.Tensor):
            y_pred = y_pred.to(dtype)
            device = y_pred.device
        else:
            device = backend.device()
            y_pred = _to_tensor(y_pred, dtype, device)
        if self._integer_labels and _is_integer(y_true):
            y_true = _labels(y_true, device)
        else:
            y_true = _to_tensor(y_true, dtype, device)

        fast = self._fast
        if fast is not None and sample_weight is None and in_mask is None:
            result = fast(*squeeze_or_expand_to_same_rank(y_true, y_pred))
            if result is not None:
                return result

        losses = self.call(y_true, y_pred)
        out_mask = getattr(losses, "_keras_mask", None)
        if in_mask is not None and out_mask is not None:
            mask = in_mask.bool() & out_mask.bool()
        else:
            mask = in_mask if in_mask is not None else out_mask
        return reduce_weighted_values(losses, sample_weight=sample_weight, mask=mask,
                                      reduction=self._reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        """Per-sample losses; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def check_targets(self, y_true, output_shape):
        """Validate a whole target array against the model output shape, once before training.

        Built-in losses raise ``ValueError`` with a message naming the problem
        and its fix (one-hot targets for a sparse loss, integer labels for a
        categorical one, labels out of range, targets outside [0, 1] for binary
        crossentropy, a target shape that does not fit the output). A custom
        loss checks nothing unless it overrides this method.

        Args:
            y_true: The whole target array (numpy, or anything ``np.asarray`` accepts).
            output_shape: The model's output shape, batch dimension ``None``.

        Example:

        >>> keras.losses.SparseCategoricalCrossentropy().check_targets(np.array([0, 2, 1]), (None, 3))
        """

    def get_config(self):
        """The constructor arguments Keras writes: ``name`` and ``reduction`` (plus subclass options)."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        """Rebuild a loss from :meth:`get_config`'s dict."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


# Fused "mean of all per-sample losses" implementations, keyed by loss function. Each takes
# (y_true, y_pred, **options) after Keras's squeeze/expand and returns the scalar that the
# sum_over_batch_size reduction would give, or None when the inputs need the general path.


def _fast_mse(y_true, y_pred):
    if y_true.shape != y_pred.shape or y_pred.ndim == 0 or y_pred.numel() == 0:
        return None
    return F.mse_loss(y_pred, y_true)


def _fast_mae(y_true, y_pred):
    if y_true.shape != y_pred.shape or y_pred.ndim == 0 or y_pred.numel() == 0:
        return None
    return F.l1_loss(y_pred, y_true)


def _fast_huber(y_true, y_pred, delta=1.0):
    if y_true.shape != y_pred.shape or y_pred.ndim == 0 or y_pred.numel() == 0:
        return None
    return F.huber_loss(y_pred, y_true, delta=delta)


def _fast_bce(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    if y_true.shape != y_pred.shape or y_pred.ndim == 0 or y_pred.numel() == 0:
        return None
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        return F.binary_cross_entropy_with_logits(y_pred, y_true)
    eps = backend.epsilon()
    return F.binary_cross_entropy(torch.clamp(y_pred, eps, 1.0 - eps), y_true)


def _fast_cce(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    ndim = y_pred.ndim
    if (not from_logits or ndim < 2 or isinstance(axis, bool) or axis % ndim != ndim - 1
            or y_true.shape != y_pred.shape or y_pred.numel() == 0 or y_pred.shape[-1] == 1):
        return None
    if ndim > 2:
        y_pred, y_true = y_pred.movedim(-1, 1), y_true.movedim(-1, 1)
    return F.cross_entropy(y_pred, y_true, label_smoothing=float(label_smoothing))


def _fast_scce(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    ndim = y_pred.ndim
    if ndim < 2 or y_pred.numel() == 0:
        return None
    target = y_true if y_true.dtype == torch.long else y_true.long()
    if target.ndim == ndim and target.shape[axis] == 1:
        target = target.squeeze(axis)
    class_axis = axis % ndim
    if target.shape != y_pred.shape[:class_axis] + y_pred.shape[class_axis + 1:]:
        return None
    if class_axis != 1:
        y_pred = y_pred.movedim(class_axis, 1)
    ignore_index = -100 if ignore_class is None else int(ignore_class)
    if from_logits:
        total = F.cross_entropy(y_pred, target, ignore_index=ignore_index, reduction="sum")
    else:
        total = F.nll_loss(_log_probs(y_pred, 1), target, ignore_index=ignore_index, reduction="sum")
    if ignore_class is None:
        return total / target.numel()
    return total / torch.sum(target != ignore_index).clamp(min=1)


class LossFunctionWrapper(Loss):
    """A :class:`Loss` that calls a loss function with fixed keyword arguments.

    This is what Keras builds for ``compile(loss=some_function)``; every
    built-in loss class is one. ``y_true`` and ``y_pred`` are first brought to
    the same rank when they differ by a trailing dimension of size 1.

    Args:
        fn: The loss function ``fn(y_true, y_pred, **kwargs)`` returning per-sample losses.
        reduction: See :class:`Loss`.
        name: Name of the loss instance.
        dtype: See :class:`Loss`.
        **kwargs: Keyword arguments passed to ``fn`` on each call.

    Example:

    >>> loss = keras.losses.LossFunctionWrapper(keras.losses.huber, delta=0.5)
    >>> loss(torch.tensor([[0.0, 0.0]]), torch.tensor([[0.2, 2.0]]))
    tensor(0.4475)
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        self.fn = fn
        self._fn_kwargs = kwargs
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _update_fast_path(self):
        fused = _FUSED_MEANS.get(getattr(self, "fn", None))
        huber_without_positive_delta = fused is _fast_huber and not self._fn_kwargs.get("delta", 1.0) > 0
        if (fused is None or huber_without_positive_delta or self._reduction not in _MEAN_REDUCTIONS
                or type(self).call is not LossFunctionWrapper.call):
            self._fast = None
        else:
            self._fast = functools.partial(fused, **self._fn_kwargs)

    def call(self, y_true, y_pred):
        """Per-sample losses: ``fn(y_true, y_pred, **kwargs)`` after the trailing-1 squeeze/expand."""
        y_true, y_pred = _squeeze_structure(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def check_targets(self, y_true, output_shape):
        kind = _TARGET_KINDS.get(self.fn)
        if kind is not None:
            _check_targets(kind, self.fn.__name__, y_true, output_shape, self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config["fn"] = serialize(self.fn)
        config.update(serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            config["fn"] = deserialize(config["fn"])
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__}({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


# --------------------------------------------------------------------------------------------
# Loss functions
# --------------------------------------------------------------------------------------------


@registry.builtin(_CATEGORY, "mse", "MSE")
def mean_squared_error(y_true, y_pred):
    """Mean of the squared errors over the last axis: ``mean(square(y_true - y_pred), axis=-1)``.

    Args:
        y_true: Targets, shape ``(batch_size, d0, .. dN)``.
        y_pred: Predictions, same shape.

    Returns:
        Tensor of shape ``(batch_size, d0, .. dN-1)``.

    Example:

    >>> keras.losses.mean_squared_error([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
    tensor([0.5000, 0.5000])
    """
    y_pred = _pred(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_like(y_true, y_pred), y_pred)
    return torch.mean(torch.square(y_true - y_pred), dim=-1)


@registry.builtin(_CATEGORY, "mae", "MAE")
def mean_absolute_error(y_true, y_pred):
    """Mean of the absolute errors over the last axis: ``mean(abs(y_true - y_pred), axis=-1)``.

    Args:
        y_true: Targets, shape ``(batch_size, d0, .. dN)``.
        y_pred: Predictions, same shape.

    Returns:
        Tensor of shape ``(batch_size, d0, .. dN-1)``.

    Example:

    >>> keras.losses.mean_absolute_error([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
    tensor([0.5000, 0.5000])
    """
    y_pred = _pred(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_like(y_true, y_pred), y_pred)
    return torch.mean(torch.abs(y_true - y_pred), dim=-1)


@registry.builtin(_CATEGORY, "mape", "MAPE")
def mean_absolute_percentage_error(y_true, y_pred):
    """Mean absolute percentage error: ``100 * mean(abs((y_true - y_pred) / y_true), axis=-1)``.

    The divisor ``abs(y_true)`` is clipped below at ``epsilon()`` (1e-7).

    Args:
        y_true: Targets, shape ``(batch_size, d0, .. dN)``.
        y_pred: Predictions, same shape.

    Returns:
        Tensor of shape ``(batch_size, d0, .. dN-1)``.

    Example:

    >>> keras.losses.mean_absolute_percentage_error([[100.0, 200.0]], [[90.0, 210.0]])
    tensor([7.5000])
    """
    y_pred = _pred(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_like(y_true, y_pred), y_pred)
    diff = torch.abs((y_true - y_pred) / torch.clamp(torch.abs(y_true), min=backend.epsilon()))
    return 100.0 * torch.mean(diff, dim=-1)


@registry.builtin(_CATEGORY, "msle", "MSLE")
def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean squared logarithmic error: ``mean(square(log(y_true + 1) - log(y_pred + 1)), axis=-1)``.

    Both inputs are clipped below at ``epsilon()`` before the logarithm.

    Args:
        y_true: Targets, shape ``(batch_size, d0, .. dN)``.
        y_pred: Predictions, same shape.

    Returns:
        Tensor of shape ``(batch_size, d0, .. dN-1)``.

    Example:

    >>> keras.losses.mean_squared_logarithmic_error([[0.0, 1.0]], [[1.0, 1.0]])
    tensor([0.2402])
    """
    eps = backend.epsilon()
    y_pred = _pred(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_like(y_true, y_pred), y_pred)
    first_log = torch.log(torch.clamp(y_pred, min=eps) + 1.0)
    second_log = torch.log(torch.clamp(y_true, min=eps) + 1.0)
    return torch.mean(torch.square(first_log - second_log), dim=-1)


def _l2_normalize(x, axis):
    square_sum = torch.sum(torch.square(x), dim=axis, keepdim=True)
    return x * torch.clamp(torch.rsqrt(square_sum), max=1.0 / backend.epsilon())


@registry.builtin(_CATEGORY)
def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity: ``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``.

    Values lie in [-1, 1]; -1 means the vectors point the same way, so
    minimising it maximises similarity. A zero vector gives 0.

    Args:
        y_true: Targets.
        y_pred: Predictions, same shape.
        axis: The axis (features axis) along which the similarity is computed.

    Returns:
        Tensor with ``axis`` reduced away.

    Example:

    >>> keras.losses.cosine_similarity([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    tensor([-0.0000, -1.0000])
    """
    y_pred = _pred(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_like(y_true, y_pred), y_pred)
    axis = _dims(axis)
    return -torch.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), dim=axis)


@registry.builtin(_CATEGORY)
def huber(y_true, y_pred, delta=1.0):
    """Huber loss: quadratic for small errors, linear for large ones, averaged over the last axis.

    For each error ``x = y_pred - y_true``: ``0.5 * x**2`` if ``abs(x) <= delta``,
    else ``delta * abs(x) - 0.5 * delta**2``.

    Args:
        y_true: Targets, shape ``(batch_size, d0, .. dN)``.
        y_pred: Predictions, same shape.
        delta: Where the loss changes from quadratic to linear.

    Returns:
        Tensor of shape ``(batch_size, d0, .. dN-1)``.

    Example:

    >>> keras.losses.huber([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    tensor([0.1800, 0.1300])
    """
    y_pred = _pred(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_like(y_true, y_pred), y_pred)
    if isinstance(delta, (int, float)) and delta > 0 and y_true.shape == y_pred.shape:
        return torch.mean(F.huber_loss(y_pred, y_true, reduction="none", delta=float(delta)), dim=-1)
    delta = torch.as_tensor(delta, dtype=y_pred.dtype, device=y_pred.device)
    error = y_pred - y_true
    abs_error = torch.abs(error)
    return torch.mean(
        torch.where(abs_error <= delta, 0.5 * torch.square(error), delta * abs_error - 0.5 * torch.square(delta)),
        dim=-1,
    )


@registry.builtin(_CATEGORY, "logcosh")
def log_cosh(y_true, y_pred):
    """Logarithm of the hyperbolic cosine of the error, averaged over the last axis.

    ``log(cosh(x))`` is about ``x**2 / 2`` for small errors and ``abs(x) - log(2)``
    for large ones: like mean squared error, but less sensitive to outliers.

    Args:
        y_true: Targets, shape ``(batch_size, d0, .. dN)``.
        y_pred: Predictions, same shape.

    Returns:
        Tensor of shape ``(batch_size, d0, .. dN-1)``.

    Example:

    >>> keras.losses.log_cosh([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    tensor([0.2169, 0.0000])
    """
    y_pred = _pred(y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_like(y_true, y_pred), y_pred)
    x = y_pred - y_true
    return torch.mean(x + F.softplus(x * -2.0) - math.log(2.0), dim=-1)


def _binary_labels_to_hinge(y_true):
    """Map 0/1 labels to -1/1 when every label is 0 or 1 (decided on the device, no sync)."""
    is_binary = torch.all((y_true == 0) | (y_true == 1))
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


@registry.builtin(_CATEGORY)
def hinge(y_true, y_pred):
    """Hinge loss: ``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``.

    ``y_true`` should be -1 or 1; labels that are all 0 or 1 are mapped to -1 and 1.

    Args:
        y_true: Targets, shape ``(batch_size, d0, .. dN)``.
        y_pred: Predictions, same shape.

    Returns:
        Tensor of shape ``(batch_size, d0, .. dN-1)``.

    Example:

    >>> keras.losses.hinge([[0.0, 1.0], [1.0, 0.0]], [[0.3, 0.6], [0.2, -1.0]])
    tensor([0.8500, 0.4000])
    """
    y_pred = _pred(y_pred)
    y_true = _binary_labels_to_hinge(_like(y_true, y_pred))
    return torch.mean(torch.clamp(1.0 - y_true * y_pred, min=0.0), dim=-1)


@registry.builtin(_CATEGORY)
def squared_hinge(y_true, y_pred):
    """Squared hinge loss: ``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``.

    ``y_true`` should be -1 or 1; labels that are all 0 or 1 are mapped to -1 and 1.

    Args:
        y_true: Targets, shape ``(batch_size, d0, .. dN)``.
        y_pred: Predictions, same shape.

    Returns:
        Tensor of shape ``(batch_size, d0, .. dN-1)``.

    Example:

    >>> keras.losses.squared_hinge([[0.0, 1.0], [1.0, 0.0]], [[0.3, 0.6], [0.2, -1.0]])
    tensor([0.9250, 0.3200])
    """
    y_pred = _pred(y_pred)
    y_true = _binary_labels_to_hinge(_like(y_true, y_pred))
    return torch.mean(torch.square(torch.clamp(1.0 - y_true * y_pred, min=0.0)), dim=-1)


@registry.builtin(_CATEGORY)
def categorical_hinge(y_true, y_pred):
    """Categorical hinge loss: ``maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``.

    Args:
        y_true: One-hot targets, shape ``(batch_size, num_classes)``.
        y_pred: Predictions, same shape.

    Returns:
        Tensor of shape ``(batch_size,)``.

    Example:

    >>> keras.losses.categorical_hinge([[0.0, 1.0], [1.0, 0.0]], [[0.3, 0.6], [0.2, -1.0]])
    tensor([0.7000, 0.8000])
    """
    y_pred = _pred(y_pred)
    y_true = _like(y_true, y_pred)
    pos = torch.sum(y_true * y_pred, dim=-1)
    neg = torch.amax((1.0 - y_true) * y_pred, dim=-1)
    return torch.clamp(neg - pos + 1.0, min=0.0)


@registry.builtin(_CATEGORY, "kld", "KLD", "kullback_leibler_divergence")
def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence: ``sum(y_true * log(y_true / y_pred), axis=-1)``.

    Both inputs are clipped to ``[epsilon(), 1]``.

    Args:
        y_true: Target distributions, shape ``(batch_size, d0, .. dN)``.
        y_pred: Predicted distributions, same shape.

    Returns:
        Tensor of shape ``(batch_size, d0, .. dN-1)``.

    Example:

    >>> keras.losses.kl_divergence([[0.0, 1.0], [0.5, 0.5]], [[0.4, 0.6], [0.5, 0.5]])
    tensor([0.5108, 0.0000])
    """
    eps = backend.epsilon()
    y_pred = _pred(y_pred)
    y_true = torch.clamp(_like(y_true, y_pred), eps, 1.0)
    y_pred = torch.clamp(y_pred, eps, 1.0)
    return torch.sum(y_true * torch.log(y_true / y_pred), dim=-1)


@registry.builtin(_CATEGORY)
def poisson(y_true, y_pred):
    """Poisson loss: ``mean(y_pred - y_true * log(y_pred + epsilon()), axis=-1)``.

    Args:
        y_true: Targets (counts), shape ``(batch_size, d0, .. dN)``.
        y_pred: Predicted rates, same shape.

    Returns:
        Tensor of shape ``(batch_size, d0, .. dN-1)``.

    Example:

    >>> keras.losses.poisson([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    tensor([1.0000, 0.0000])
    """
    y_pred = _pred(y_pred)
    y_true = _like(y_true, y_pred)
    return torch.mean(y_pred - y_true * torch.log(y_pred + backend.epsilon()), dim=-1)


def _check_axis(axis):
    if isinstance(axis, bool):
        raise ValueError(  # noqa: TRY004 - Keras raises ValueError here
            f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}"
        )


def _warn_single_class(name, y_pred):
    if y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {name}, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. Consider using "
            "'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )


@registry.builtin(_CATEGORY)
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Crossentropy between one-hot (or probability) targets and predicted class probabilities.

    ``-sum(y_true * log(p), axis)`` where ``p`` is ``softmax(y_pred)`` for
    logits, or ``y_pred`` scaled to sum to 1 and clipped to
    ``[epsilon(), 1 - epsilon()]`` for probabilities.

    Args:
        y_true: One-hot targets, shape ``(batch_size, num_classes)`` (or with more axes).
        y_pred: Predictions, same shape.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in [0, 1]: targets become
            ``y_true * (1 - label_smoothing) + label_smoothing / num_classes``.
        axis: The class axis.

    Returns:
        Tensor with the class axis reduced away.

    Example:

    >>> keras.losses.categorical_crossentropy([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    tensor([0.0513, 2.3026])
    """
    _check_axis(axis)
    y_pred = _pred(y_pred)
    y_true = _like(y_true, y_pred)
    _warn_single_class("categorical_crossentropy", y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)}"
        )
    if y_pred.ndim < 1:
        raise ValueError("Arguments `target` and `output` must be at least rank 1. Received: "
                         f"target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)}")
    if from_logits:
        log_prob = F.log_softmax(y_pred, dim=axis)
    else:
        log_prob = _log_probs(y_pred, axis)
    return -torch.sum(y_true * log_prob, dim=axis)


@registry.builtin(_CATEGORY)
def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical crossentropy scaled by ``alpha * (1 - p)**gamma`` to focus on hard examples.

    Per class: ``-alpha * (1 - p)**gamma * y_true * log(p)``, summed over ``axis``,
    with ``p`` the predicted probabilities scaled to sum to 1 and clipped to
    ``[epsilon(), 1 - epsilon()]`` (Lin et al., 2018).

    Args:
        y_true: One-hot targets, shape ``(batch_size, num_classes)``.
        y_pred: Predictions, same shape.
        alpha: Weight balancing factor.
        gamma: Focusing parameter; 0 gives ``alpha`` times categorical crossentropy.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in [0, 1], as in :func:`categorical_crossentropy`.
        axis: The class axis.

    Returns:
        Tensor with the class axis reduced away.

    Example:

    >>> keras.losses.categorical_focal_crossentropy([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    tensor([3.2058e-05, 4.6627e-01])
    """
    _check_axis(axis)
    y_pred = _pred(y_pred)
    y_true = _like(y_true, y_pred)
    _warn_single_class("categorical_focal_crossentropy", y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = F.softmax(y_pred, dim=axis)
    eps = backend.epsilon()
    output = torch.clamp(y_pred / torch.sum(y_pred, dim=axis, keepdim=True), eps, 1.0 - eps)
    cce = -y_true * torch.log(output)
    focal = torch.pow(1.0 - output, gamma) * alpha * cce
    return torch.sum(focal, dim=axis)


@registry.builtin(_CATEGORY)
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Crossentropy between integer class labels and predicted class probabilities.

    Equivalent to :func:`categorical_crossentropy` on ``one_hot(y_true)``
    without building the one-hot matrix (``F.cross_entropy`` for logits,
    ``F.nll_loss`` of the clipped log-probabilities otherwise).

    Args:
        y_true: Integer labels, shape ``(batch_size,)`` or ``(batch_size, 1)``
            (with extra axes for per-step labels).
        y_pred: Predictions, shape ``(batch_size, num_classes)`` (class axis ``axis``).
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        ignore_class: A label value whose positions give loss 0 and are left out of the
            mean (for example padding labels in segmentation), or None.
        axis: The class axis of ``y_pred``.

    Returns:
        Tensor of ``y_true``'s shape (without a trailing 1). With ``ignore_class``,
        it carries a ``_keras_mask`` of the positions kept.

    Example:

    >>> keras.losses.sparse_categorical_crossentropy([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    tensor([0.0513, 2.3026])
    """
    y_pred = _pred(y_pred)
    target = _labels(y_true, y_pred.device)
    if target.ndim == y_pred.ndim and target.shape[axis] == 1:
        target = target.squeeze(axis)
    if y_pred.ndim < 1:
        raise ValueError(f"Argument `output` must be at least rank 1. Received: output.shape={tuple(y_pred.shape)}")
    expected = list(y_pred.shape)
    del expected[axis]
    if list(target.shape) != expected:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until the last dimension: "
            f"target.shape={tuple(target.shape)}, output.shape={tuple(y_pred.shape)}"
        )
    if y_pred.ndim == 1:
        scores, labels = y_pred.unsqueeze(0), target.unsqueeze(0)
    else:
        class_axis = axis % y_pred.ndim
        scores = y_pred if class_axis == 1 else y_pred.movedim(class_axis, 1)
        labels = target
    ignore_index = -100 if ignore_class is None else int(ignore_class)
    if from_logits:
        result = F.cross_entropy(scores, labels, reduction="none", ignore_index=ignore_index)
    else:
        result = F.nll_loss(_log_probs(scores, 1), labels, reduction="none", ignore_index=ignore_index)
    if y_pred.ndim == 1:
        result = result.squeeze(0)
    if ignore_class is not None:
        result._keras_mask = target != ignore_index
    return result


@registry.builtin(_CATEGORY, "bce", "BCE")
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy, averaged over ``axis``.

    ``-(y * log(p) + (1 - y) * log(1 - p))`` with ``p = sigmoid(y_pred)`` for
    logits (computed stably by ``F.binary_cross_entropy_with_logits``), or
    ``y_pred`` clipped to ``[epsilon(), 1 - epsilon()]`` for probabilities.

    Args:
        y_true: Targets in [0, 1], shape ``(batch_size, d0, .. dN)``.
        y_pred: Predictions, same shape.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in [0, 1]: targets are squeezed towards 0.5,
            ``y_true * (1 - label_smoothing) + 0.5 * label_smoothing``.
        axis: The axis along which the mean is taken.

    Returns:
        Tensor with ``axis`` reduced away.

    Example:

    >>> keras.losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    tensor([0.9163, 0.7136])
    """
    y_pred = _pred(y_pred)
    y_true = _like(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    _check_same_shape(y_true, y_pred)
    if from_logits:
        bce = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    else:
        eps = backend.epsilon()
        bce = F.binary_cross_entropy(torch.clamp(y_pred, eps, 1.0 - eps), y_true, reduction="none")
    return torch.mean(bce, dim=_dims(axis))


def _check_same_shape(y_true, y_pred):
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. Received: "
            f"target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)}"
        )


@registry.builtin(_CATEGORY)
def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy scaled by ``(1 - p_t)**gamma`` to focus on hard examples (Lin et al., 2018).

    ``p_t`` is the predicted probability of the true class. With
    ``apply_class_balancing``, class 1 is also weighted by ``alpha`` and class 0
    by ``1 - alpha``.

    Args:
        y_true: Targets in [0, 1], shape ``(batch_size, d0, .. dN)``.
        y_pred: Predictions, same shape.
        apply_class_balancing: Whether to weight the classes by ``alpha``.
        alpha: Weight of class 1 when balancing (class 0 gets ``1 - alpha``).
        gamma: Focusing parameter; 0 gives plain binary crossentropy.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in [0, 1], as in :func:`binary_crossentropy`.
        axis: The axis along which the mean is taken.

    Returns:
        Tensor with ``axis`` reduced away.

    Example:

    >>> keras.losses.binary_focal_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], gamma=2.0)
    tensor([0.3299, 0.2058])
    """
    y_pred = _pred(y_pred)
    y_true = _like(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    _check_same_shape(y_true, y_pred)
    eps = backend.epsilon()
    bce = F.binary_cross_entropy(torch.clamp(y_pred, eps, 1.0 - eps), y_true, reduction="none")
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal_bce = torch.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal_bce
    return torch.mean(focal_bce, dim=_dims(axis))


@registry.builtin(_CATEGORY)
def ctc(y_true, y_pred):
    """Connectionist Temporal Classification loss, one value per sequence.

    Args:
        y_true: Integer labels, shape ``(batch_size, max_label_length)``; 0 is the
            blank/padding index and must not be used for a class.
        y_pred: Logits, shape ``(batch_size, max_time, num_classes)`` (not softmaxed).

    Returns:
        Tensor of shape ``(batch_size,)``.

    Example:

    >>> logits = torch.zeros(1, 4, 3)
    >>> keras.losses.ctc([[1, 2]], logits)
    tensor([1.6864])
    """
    y_pred = _pred(y_pred)
    if y_pred.dtype in (torch.float16, torch.bfloat16):
        y_pred = y_pred.float()
    labels = _labels(y_true, y_pred.device)
    if labels.ndim != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` in "
            f"integer format. Received: y_true.shape={tuple(labels.shape)}"
        )
    if y_pred.ndim != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape `(batch_size, max_length, "
            f"num_classes)`. Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    batch, steps = y_pred.shape[0], y_pred.shape[1]
    label_length = torch.sum(labels != 0, dim=-1)
    input_length = torch.full((batch,), steps, dtype=torch.long, device=y_pred.device)
    log_probs = F.log_softmax(y_pred.transpose(0, 1), dim=-1)
    return F.ctc_loss(log_probs, labels, input_length, label_length, blank=0, reduction="none")


@registry.builtin(_CATEGORY)
def dice(y_true, y_pred, axis=None):
    """Dice loss: ``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred))``.

    Args:
        y_true: Targets.
        y_pred: Predictions, same shape.
        axis: Axis or tuple of axes to sum over; None sums over everything (one value).

    Returns:
        The Dice loss, with ``axis`` reduced away.

    Example:

    >>> keras.losses.dice([[1.0, 1.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]])
    tensor(0.5000)
    """
    y_pred = _pred(y_pred)
    y_true = _like(y_true, y_pred)
    axis = _dims(axis)
    intersection = _sum(y_true * y_pred, axis)
    return 1 - 2.0 * intersection / (_sum(y_true, axis) + _sum(y_pred, axis) + backend.epsilon())


def _sum(x, axis):
    return torch.sum(x) if axis is None else torch.sum(x, dim=axis)


@registry.builtin(_CATEGORY)
def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss: Dice generalised with weights on false positives and false negatives.

    ``1 - TP / (TP + alpha * FP + beta * FN)``; ``alpha = beta = 0.5`` gives the Dice loss.

    Args:
        y_true: Targets.
        y_pred: Predictions, same shape.
        alpha: Weight of false positives.
        beta: Weight of false negatives.
        axis: Axis or tuple of axes to sum over; None sums over everything.

    Returns:
        The Tversky loss, with ``axis`` reduced away.

    Example:

    >>> keras.losses.tversky([[1.0, 1.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]], alpha=0.3, beta=0.7)
    tensor(0.5000)
    """
    y_pred = _pred(y_pred)
    y_true = _like(y_true, y_pred)
    axis = _dims(axis)
    intersection = _sum(y_true * y_pred, axis)
    fp = _sum((1 - y_pred) * y_true, axis)
    fn = _sum(y_pred * (1 - y_true), axis)
    return 1 - intersection / (intersection + fp * alpha + fn * beta + backend.epsilon())


@registry.builtin(_CATEGORY)
def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """Circle loss on L2-normalised embeddings (Sun et al., 2020), one value per query.

    Pulls embeddings with the same label together and pushes different labels
    apart, weighting each pair by how far it is from its optimum. The result
    carries a ``_keras_mask`` of the queries with a positive loss.

    Args:
        y_true: Integer labels of the queries, shape ``(batch_size,)``.
        y_pred: L2-normalised embeddings, shape ``(batch_size, dim)``.
        ref_labels: Labels of the reference embeddings (default ``y_true``).
        ref_embeddings: Reference embeddings (default ``y_pred``).
        remove_diagonal: Whether to leave out self-similarities from the positive pairs.
        gamma: Scale factor.
        margin: Relaxation margin.

    Returns:
        Tensor of shape ``(batch_size,)``.

    Example:

    >>> emb = torch.nn.functional.normalize(torch.tensor([[1.0, 0.2], [0.9, 0.1], [0.1, 1.0], [0.3, 0.8]]))
    >>> keras.losses.circle([0, 0, 1, 1], emb)
    tensor([3.6159e-02, 9.8310e-05, 8.1729e-09, 3.9523e-02])
    """
    y_pred = _pred(y_pred)
    labels = _labels(y_true, y_pred.device)
    ref_embeddings = y_pred if ref_embeddings is None else _like(ref_embeddings, y_pred)
    ref_labels = labels if ref_labels is None else _labels(ref_labels, y_pred.device)
    distances = torch.clamp(1 - y_pred @ ref_embeddings.T, min=0.0)
    query = labels.reshape(-1, 1) if labels.ndim == 1 else labels
    keys = ref_labels.reshape(-1, 1) if ref_labels.ndim == 1 else ref_labels
    positive = query == keys.T
    negative = ~positive
    if remove_diagonal:
        eye = torch.eye(query.numel(), keys.numel(), dtype=torch.bool, device=y_pred.device)
        positive = positive & ~eye
    pos_weights = torch.clamp((margin + distances) * positive.to(distances.dtype), min=0.0)
    neg_weights = torch.clamp((1 + margin - distances) * negative.to(distances.dtype), min=0.0)
    pos_wdists = -1 * gamma * pos_weights * (margin - distances)
    neg_wdists = gamma * neg_weights * ((1 - margin) - distances)
    minus_inf = torch.tensor(float("-inf"), dtype=distances.dtype, device=distances.device)
    p_loss = torch.logsumexp(torch.where(positive, pos_wdists, minus_inf), dim=1)
    n_loss = torch.logsumexp(torch.where(negative, neg_wdists, minus_inf), dim=1)
    loss = F.softplus(p_loss + n_loss)
    loss._keras_mask = loss > 0
    return loss


@registry.builtin(_CATEGORY)
def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized cross entropy (Zhang & Sabuncu, 2018), robust to noisy labels: ``(1 - p**q) / q``.

    ``p`` is the predicted probability of the true class; ``q`` near 0 behaves
    like crossentropy, ``q`` near 1 like mean absolute error.

    Args:
        y_true: Integer class labels, shape ``(batch_size,)``.
        y_pred: Predicted probabilities, shape ``(batch_size, num_classes)``.
        q: Noise parameter in (0, 1).

    Returns:
        Tensor of shape ``(batch_size,)``.

    Example:

    >>> keras.losses.categorical_generalized_cross_entropy([1, 2], [[0.1, 0.9, 0.0], [0.2, 0.6, 0.2]], q=0.5)
    tensor([0.1026, 1.1056])
    """
    y_pred = _pred(y_pred)
    labels = _labels(y_true, y_pred.device)
    one_hot = F.one_hot(labels, num_classes=y_pred.shape[-1]).to(y_pred.dtype)
    p = torch.sum(y_pred * one_hot, dim=-1)
    return (1 - torch.pow(p, q)) / q


_FUSED_MEANS = {
    mean_squared_error: _fast_mse,
    mean_absolute_error: _fast_mae,
    huber: _fast_huber,
    binary_crossentropy: _fast_bce,
    categorical_crossentropy: _fast_cce,
    sparse_categorical_crossentropy: _fast_scce,
}


# --------------------------------------------------------------------------------------------
# Loss classes
# --------------------------------------------------------------------------------------------

_REDUCTION_DOC = """reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`."""


class _BaseConfigLoss(LossFunctionWrapper):
    """A built-in loss whose Keras config is only ``name`` and ``reduction``."""

    def get_config(self):
        return Loss.get_config(self)


@registry.builtin(_CATEGORY)
class MeanSquaredError(_BaseConfigLoss):
    """Mean of squares of errors between labels and predictions: ``mean(square(y_true - y_pred))``.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.MeanSquaredError()
    >>> loss([1.0, 0.0, 1.0], [0.9, 0.1, 0.8])
    tensor(0.0200)
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


@registry.builtin(_CATEGORY)
class MeanAbsoluteError(_BaseConfigLoss):
    """Mean of absolute errors between labels and predictions: ``mean(abs(y_true - y_pred))``.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.MeanAbsoluteError()
    >>> loss([1.0, 0.3, 1.0], [1.9, 0.3, 1.8])
    tensor(0.5667)
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


@registry.builtin(_CATEGORY)
class MeanAbsolutePercentageError(_BaseConfigLoss):
    """Mean absolute percentage error: ``100 * mean(abs((y_true - y_pred) / y_true))``.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.MeanAbsolutePercentageError()
    >>> loss([100.0, 200.0, 300.0], [90.0, 210.0, 310.0])
    tensor(6.1111)
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype)


@registry.builtin(_CATEGORY)
class MeanSquaredLogarithmicError(_BaseConfigLoss):
    """Mean squared logarithmic error: ``mean(square(log(y_true + 1) - log(y_pred + 1)))``.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.MeanSquaredLogarithmicError()
    >>> loss([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
    tensor(0.2402)
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype)


@registry.builtin(_CATEGORY)
class CosineSimilarity(_BaseConfigLoss):
    """Negative cosine similarity between labels and predictions: ``-sum(l2_norm(y_true) * l2_norm(y_pred))``.

    Values lie in [-1, 1]; -1 means the vectors point the same way. A zero
    vector gives 0 whatever the other one is.

    Args:
        axis: The axis (features axis) along which the similarity is computed.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.CosineSimilarity(axis=1)
    >>> loss([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    tensor(-0.5000)
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        if self.axis != -1:  # Keras leaves it out (and loses it); written only when not the default
            config["axis"] = self.axis
        return config


@registry.builtin(_CATEGORY)
class Huber(_BaseConfigLoss):
    """Huber loss: quadratic for errors up to ``delta``, linear beyond.

    For each error ``x = y_pred - y_true``: ``0.5 * x**2`` if ``abs(x) <= delta``,
    else ``delta * abs(x) - 0.5 * delta**2``; averaged over the last axis.

    Args:
        delta: Where the loss changes from quadratic to linear.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.Huber(delta=1.0)
    >>> loss([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    tensor(0.1550)
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)
        self.delta = delta

    def get_config(self):
        config = Loss.get_config(self)
        if self.delta != 1.0:  # Keras leaves it out (and loses it); written only when not the default
            config["delta"] = self.delta
        return config


@registry.builtin(_CATEGORY)
class LogCosh(_BaseConfigLoss):
    """Logarithm of the hyperbolic cosine of the prediction error, averaged over the last axis.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.LogCosh()
    >>> loss([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    tensor(0.1084)
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)


@registry.builtin(_CATEGORY)
class Hinge(_BaseConfigLoss):
    """Hinge loss: ``maximum(1 - y_true * y_pred, 0)``, for labels -1/1 (0/1 labels are mapped).

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.Hinge()
    >>> loss([[0.0, 1.0], [1.0, 0.0]], [[0.3, 0.6], [0.2, -1.0]])
    tensor(0.6250)
    """

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


@registry.builtin(_CATEGORY)
class SquaredHinge(_BaseConfigLoss):
    """Squared hinge loss: ``square(maximum(1 - y_true * y_pred, 0))``, for labels -1/1.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.SquaredHinge()
    >>> loss([[0.0, 1.0], [1.0, 0.0]], [[0.3, 0.6], [0.2, -1.0]])
    tensor(0.6225)
    """

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


@registry.builtin(_CATEGORY)
class CategoricalHinge(_BaseConfigLoss):
    """Categorical hinge loss: ``maximum(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred)``
    and ``neg = max((1 - y_true) * y_pred)``.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.CategoricalHinge()
    >>> loss([[0.0, 1.0], [1.0, 0.0]], [[0.3, 0.6], [0.2, -1.0]])
    tensor(0.7500)
    """

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)


@registry.builtin(_CATEGORY)
class KLDivergence(_BaseConfigLoss):
    """Kullback-Leibler divergence: ``y_true * log(y_true / y_pred)``, both clipped to [epsilon, 1].

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.KLDivergence()
    >>> loss([[0.0, 1.0], [0.5, 0.5]], [[0.4, 0.6], [0.5, 0.5]])
    tensor(0.2554)
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


@registry.builtin(_CATEGORY)
class Poisson(_BaseConfigLoss):
    """Poisson loss: ``y_pred - y_true * log(y_pred + epsilon)``.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.Poisson()
    >>> loss([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    tensor(0.5000)
    """

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)


@registry.builtin(_CATEGORY)
class BinaryCrossentropy(LossFunctionWrapper):
    """Crossentropy between true labels (0 or 1) and predicted probabilities (or logits).

    Use it for binary (two-class) problems and for multi-label outputs, with a
    sigmoid output (or ``from_logits=True`` and no activation).

    Args:
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in [0, 1]: targets are squeezed towards 0.5.
        axis: The axis along which the mean is taken.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.BinaryCrossentropy()
    >>> loss([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    tensor(0.8149)
    >>> keras.losses.BinaryCrossentropy(from_logits=True)([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8])
    tensor(0.8655)
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                       "axis": self.axis})
        return config


@registry.builtin(_CATEGORY)
class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary crossentropy scaled by a focal factor ``(1 - p_t)**gamma`` to focus on hard examples.

    Args:
        apply_class_balancing: Whether to weight class 1 by ``alpha`` and class 0 by ``1 - alpha``.
        alpha: Weight of class 1 when balancing.
        gamma: Focusing parameter; 0 gives plain binary crossentropy.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in [0, 1]: targets are squeezed towards 0.5.
        axis: The axis along which the mean is taken.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.BinaryFocalCrossentropy(gamma=2.0)
    >>> loss([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    tensor(0.2678)
    """

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                       "axis": self.axis, "apply_class_balancing": self.apply_class_balancing,
                       "alpha": self.alpha, "gamma": self.gamma})
        return config


@registry.builtin(_CATEGORY)
class CategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy between one-hot labels and predicted class probabilities (or logits).

    Use it with one-hot targets (``keras.utils.to_categorical``) and a softmax
    output (or ``from_logits=True`` and no activation). For integer labels use
    :class:`SparseCategoricalCrossentropy`.

    Args:
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in [0, 1]: targets become
            ``y_true * (1 - label_smoothing) + label_smoothing / num_classes``.
        axis: The class axis.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.CategoricalCrossentropy()
    >>> loss([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    tensor(1.1769)
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                       "axis": self.axis})
        return config


@registry.builtin(_CATEGORY)
class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical crossentropy scaled by ``alpha * (1 - p)**gamma`` to focus on hard examples.

    Args:
        alpha: Weight balancing factor.
        gamma: Focusing parameter; 0 gives ``alpha`` times categorical crossentropy.
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: Float in [0, 1], as in :class:`CategoricalCrossentropy`.
        axis: The class axis.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.CategoricalFocalCrossentropy()
    >>> loss([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    tensor(0.2332)
    """

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy", dtype=None):
        super().__init__(categorical_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         alpha=alpha, gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                       "axis": self.axis, "alpha": self.alpha, "gamma": self.gamma})
        return config


@registry.builtin(_CATEGORY)
class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy between integer class labels and predicted class probabilities (or logits).

    Use it with labels ``0 .. num_classes - 1`` of shape ``(batch_size,)`` or
    ``(batch_size, 1)`` and a softmax output with ``num_classes`` units (or
    ``from_logits=True`` and no activation).

    Args:
        from_logits: Whether ``y_pred`` holds logits rather than probabilities.
        ignore_class: A label value whose positions give loss 0 and are left out
            of the mean (for example padding in segmentation masks), or None.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        axis: The class axis of ``y_pred``.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> loss = keras.losses.SparseCategoricalCrossentropy()
    >>> loss([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    tensor(1.1769)
    >>> keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)([1, -1], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    tensor(0.0513)
    """

    _integer_labels = True

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
        self.from_logits = from_logits
        self.ignore_class = ignore_class
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits, "ignore_class": self.ignore_class})
        if self.axis != -1:  # Keras leaves it out (and loses it); written only when not the default
            config["axis"] = self.axis
        return config


@registry.builtin(_CATEGORY)
class CTC(_BaseConfigLoss):
    """Connectionist Temporal Classification loss, for unsegmented sequence labelling.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> keras.losses.CTC()([[1, 2], [1, 0]], torch.zeros(2, 4, 3))
    tensor(1.8891)
    """

    _integer_labels = True

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)


@registry.builtin(_CATEGORY)
class Dice(LossFunctionWrapper):
    """Dice loss: ``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred))``, for segmentation.

    Args:
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        axis: Axes to sum over (for example ``(1, 2, 3)`` for one value per image);
            None sums over everything.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> keras.losses.Dice()([[1.0, 1.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]])
    tensor(0.5000)
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"axis": self.axis})
        return config


@registry.builtin(_CATEGORY)
class Tversky(LossFunctionWrapper):
    """Tversky loss: ``1 - TP / (TP + alpha * FP + beta * FN)``, for segmentation.

    Args:
        alpha: Weight of false positives.
        beta: Weight of false negatives.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        axis: Axes to sum over; None sums over everything.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> keras.losses.Tversky(alpha=0.3, beta=0.7)([[1.0, 1.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]])
    tensor(0.5000)
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None,
                 dtype=None):
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha, beta=beta,
                         axis=axis)
        self.alpha = alpha
        self.beta = beta
        self.axis = axis

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"alpha": self.alpha, "beta": self.beta, "axis": self.axis})
        return config


@registry.builtin(_CATEGORY)
class Circle(LossFunctionWrapper):
    """Circle loss for metric learning on L2-normalised embeddings (Sun et al., 2020).

    ``y_true`` holds integer labels of shape ``(batch_size,)``; ``y_pred`` the
    embeddings ``(batch_size, dim)``. Queries with no loss are masked out of the mean.

    Args:
        gamma: Scale factor.
        margin: Relaxation margin.
        remove_diagonal: Whether to leave out self-similarities from the positive pairs.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> emb = torch.nn.functional.normalize(torch.tensor([[1.0, 0.2], [0.9, 0.1], [0.1, 1.0], [0.3, 0.8]]))
    >>> keras.losses.Circle()([0, 0, 1, 1], emb)
    tensor(0.0189)
    """

    _integer_labels = True

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size",
                 name="circle", dtype=None):
        super().__init__(circle, name=name, reduction=reduction, dtype=dtype, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)
        self.gamma = gamma
        self.margin = margin
        self.remove_diagonal = remove_diagonal

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"gamma": self.gamma, "margin": self.margin, "remove_diagonal": self.remove_diagonal})
        return config


@registry.builtin(_CATEGORY)
class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """Generalized cross entropy ``(1 - p**q) / q`` (Zhang & Sabuncu, 2018), robust to noisy labels.

    ``y_true`` holds integer class labels, ``y_pred`` class probabilities.

    Args:
        q: Noise parameter in (0, 1): near 0 behaves like crossentropy, near 1
            like mean absolute error.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"`` or ``"none"``/``None``; see :class:`Loss`.
        name: Name of the loss instance.
        dtype: Dtype the loss is computed in (default ``floatx()``).

    Example:

    >>> keras.losses.CategoricalGeneralizedCrossEntropy(q=0.5)([1, 2], [[0.1, 0.9, 0.0], [0.2, 0.6, 0.2]])
    tensor(0.6041)
    """

    _integer_labels = True

    def __init__(self, q=0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy",
                 dtype=None):
        if not 0 < q < 1:
            raise ValueError(f"CategoricalGeneralizedCrossEntropy: q must be in the interval (0, 1); got q={q!r}.")
        super().__init__(categorical_generalized_cross_entropy, name=name, reduction=reduction, dtype=dtype, q=q)
        self.q = q

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"q": self.q})
        return config


registry.builtin(_CATEGORY, keras_module="keras.src.losses.losses")(LossFunctionWrapper)


# --------------------------------------------------------------------------------------------
# Target validation (once, before training)
# --------------------------------------------------------------------------------------------

_TARGET_KINDS = {
    mean_squared_error: "elementwise",
    mean_absolute_error: "elementwise",
    mean_absolute_percentage_error: "elementwise",
    mean_squared_logarithmic_error: "elementwise",
    cosine_similarity: "elementwise",
    huber: "elementwise",
    log_cosh: "elementwise",
    hinge: "elementwise",
    squared_hinge: "elementwise",
    kl_divergence: "elementwise",
    poisson: "elementwise",
    dice: "elementwise",
    tversky: "elementwise",
    binary_crossentropy: "binary",
    binary_focal_crossentropy: "binary",
    categorical_crossentropy: "categorical",
    categorical_focal_crossentropy: "categorical",
    categorical_hinge: "categorical",
    sparse_categorical_crossentropy: "sparse",
    categorical_generalized_cross_entropy: "sparse",
}


def _shape_text(shape):
    return str(tuple(shape))


def _number_text(value):
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def _dims_fit(target_dims, output_dims):
    """Non-batch dims agree (an output dim of None matches anything)."""
    if len(target_dims) != len(output_dims):
        return False
    return all(o is None or o == t for t, o in zip(target_dims[1:], output_dims[1:]))


def _fits_output(target_shape, output_shape):
    """True when targets of ``target_shape`` fit outputs of ``output_shape`` after Keras's squeeze/expand."""
    if not target_shape:
        return False
    if len(target_shape) == len(output_shape):
        return _dims_fit(target_shape, output_shape)
    if len(target_shape) == len(output_shape) + 1 and target_shape[-1] == 1:
        return _dims_fit(target_shape[:-1], output_shape)
    if len(output_shape) == len(target_shape) + 1 and output_shape[-1] == 1:
        return _dims_fit(target_shape, output_shape[:-1])
    return False


def _label_shape(target_shape, output_shape, class_axis):
    """The label shape Keras uses for a sparse loss (a size-1 class axis squeezed), or None if it does not fit."""
    if len(target_shape) == len(output_shape) and target_shape[class_axis] == 1:
        target_shape = target_shape[:class_axis] + target_shape[class_axis + 1:]
    expected = output_shape[:class_axis] + output_shape[class_axis + 1:]
    return target_shape if target_shape and _dims_fit(target_shape, expected) else None


def _whole_numbers(y):
    return y.dtype.kind in "biu" or bool(np.all(y == np.round(y)))


def _check_targets(kind, name, y_true, output_shape, options):
    y = backend.convert_to_numpy(y_true) if isinstance(y_true, torch.Tensor) else np.asarray(y_true)
    out = tuple(None if d is None else int(d) for d in output_shape)
    if y.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} expects numeric targets, but the targets have dtype {y.dtype}. "
            "Convert them to numbers first (for class names, to integer labels 0, 1, 2, ...)."
        )
    if y.dtype.kind == "b":
        y = y.astype(np.int64)
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y)
        if bad.any():
            raise ValueError(
                f"{name}: {int(bad.sum())} of the {y.size} target values are NaN or infinite. "
                "Fill or drop them before training."
            )
    if not out:
        return
    n = y.shape[0] if y.ndim else 0
    if kind == "sparse":
        _check_sparse(name, y, n, out, options)
    elif kind == "categorical":
        _check_categorical(name, y, n, out, options)
    else:
        if kind == "binary":
            _check_binary_range(name, y)
        _check_fits(name, y, n, out)


def _check_fits(name, y, n, out):
    if _fits_output(y.shape, out):
        return
    message = (
        f"{name} expects targets of shape {_shape_text((n,) + out[1:])} to match the model output "
        f"shape {_shape_text(out)}, but the targets have shape {_shape_text(y.shape)}."
    )
    if y.ndim == len(out) and y.ndim >= 2 and out[-1] is not None and y.shape[-1] != out[-1]:
        columns = "the one target column" if out[-1] == 1 else f"the {out[-1]} target columns"
        message += f" Give the output layer {y.shape[-1]} units, or pass only {columns} the model predicts."
    raise ValueError(message)


def _check_binary_range(name, y):
    if y.size == 0:
        return
    lo, hi = y.min(), y.max()
    if lo >= 0 and hi <= 1:
        return
    outside = int(np.sum((y < 0) | (y > 1)))
    message = (
        f"{name} expects targets between 0 and 1, but the targets range from {_number_text(lo)} "
        f"to {_number_text(hi)} ({outside} of {y.size} values are outside [0, 1])."
    )
    if set(np.unique(y).tolist()) <= {-1, 1}:
        message += " For -1/1 labels pass (y + 1) / 2, or use the hinge loss."
    elif lo >= 0 and _whole_numbers(y):
        message += (
            f" For integer class labels 0 to {_number_text(hi)} use sparse_categorical_crossentropy "
            f"with {int(hi) + 1} output units and a softmax."
        )
    raise ValueError(message)


def _class_axis(out, options):
    axis = options.get("axis", -1)
    axis = -1 if axis is None or isinstance(axis, (list, tuple)) else int(axis)
    return axis % len(out)


def _check_sparse(name, y, n, out, options):
    class_axis = _class_axis(out, options)
    classes = out[class_axis]
    label_out = out[:class_axis] + out[class_axis + 1:]
    one_label = (n,) + label_out[1:]
    one_label_1 = (n,) + out[1:class_axis] + (1,) + out[class_axis + 1:]
    if (classes is not None and classes > 1 and y.ndim == len(out) and y.shape[class_axis] == classes
            and _dims_fit(y.shape[:class_axis] + y.shape[class_axis + 1:], label_out)):
        raise ValueError(
            f"{name} expects integer class labels of shape {_shape_text(one_label)} or "
            f"{_shape_text(one_label_1)}, but the targets have shape {_shape_text(y.shape)}, which looks "
            f"one-hot encoded: use categorical_crossentropy, or pass y.argmax(axis={class_axis})"
        )
    if _label_shape(y.shape, out, class_axis) is None:
        raise ValueError(
            f"{name} expects integer class labels of shape {_shape_text(one_label)} or "
            f"{_shape_text(one_label_1)} for the model output shape {_shape_text(out)}, but the targets "
            f"have shape {_shape_text(y.shape)}."
        )
    labels = y.ravel()
    ignore_class = options.get("ignore_class")
    if ignore_class is not None:
        labels = labels[labels != ignore_class]
    if labels.size == 0:
        return
    fractional = labels != np.round(labels) if labels.dtype.kind == "f" else np.zeros(labels.shape, bool)
    if fractional.any():
        example = labels[fractional][0]
        raise ValueError(
            f"{name} expects integer class labels, but {int(fractional.sum())} of the {labels.size} targets "
            f"are not whole numbers (for example {_number_text(example)}). For probabilities or one-hot "
            "rows use categorical_crossentropy."
        )
    if classes is None:
        return
    lo, hi = labels.min(), labels.max()
    if lo >= 0 and hi < classes:
        return
    outside = int(np.sum((labels < 0) | (labels >= classes)))
    skipped = f" (labels equal to ignore_class={ignore_class} are skipped)" if ignore_class is not None else ""
    message = (
        f"{name} expects class labels from 0 to {classes - 1} (the model output has {classes} classes), "
        f"but the targets range from {_number_text(lo)} to {_number_text(hi)}{skipped}: {outside} of "
        f"{labels.size} labels are outside [0, {classes})."
    )
    if hi >= classes:
        if lo >= 1 and hi == classes:
            message += f" If the labels count from 1, pass y - 1; otherwise give the output layer {int(hi) + 1} units."
        else:
            message += f" Give the output layer {int(hi) + 1} units, or re-encode the labels as 0 to {classes - 1}."
    if lo < 0 and ignore_class is None:
        message += f" Negative labels are not classes: to skip padding labels, pass ignore_class={_number_text(lo)}."
    raise ValueError(message)


def _check_categorical(name, y, n, out, options):
    class_axis = _class_axis(out, options)
    classes = out[class_axis]
    if (classes is not None and classes > 1 and _label_shape(y.shape, out, class_axis) is not None
            and not _fits_output(y.shape, out) and _whole_numbers(y)):
        raise ValueError(
            f"{name} expects one-hot encoded targets of shape {_shape_text((n,) + out[1:])}, but the targets "
            f"have shape {_shape_text(y.shape)}, which looks like integer class labels: use "
            f"sparse_categorical_crossentropy or keras.utils.to_categorical(y, {classes})"
        )
    _check_fits(name, y, n, out)


def check_targets(loss, y_true, output_shape):
    """Validate a whole target array for ``loss`` against the model output shape, once before training.

    Works for loss functions, :class:`Loss` objects and loss names alike;
    losses it does not know (custom functions) are not checked. Raises
    ``ValueError`` with a message that names the problem and its fix: one-hot
    targets for a sparse loss, integer labels for a categorical loss, labels
    outside ``[0, num_classes)`` (``ignore_class`` respected), binary
    crossentropy targets outside [0, 1], NaN or infinite targets, or a target
    shape that does not fit the output shape.

    Args:
        loss: A loss function, :class:`Loss` instance, or a name such as ``"mse"``.
        y_true: The whole target array.
        output_shape: The model's output shape, with ``None`` for the batch dimension.

    Example:

    >>> keras.losses.check_targets("sparse_categorical_crossentropy", np.eye(3), (None, 3))
    Traceback (most recent call last):
    ...
    ValueError: sparse_categorical_crossentropy expects integer class labels of shape (3,) or (3, 1), but the targets have shape (3, 3), which looks one-hot encoded: use categorical_crossentropy, or pass y.argmax(axis=1)
    """
    if isinstance(loss, (str, dict)):
        loss = get(loss)
    if isinstance(loss, Loss):
        return loss.check_targets(y_true, output_shape)
    kind = _TARGET_KINDS.get(loss)
    if kind is not None:
        _check_targets(kind, loss.__name__, y_true, output_shape, {})
    return None


# --------------------------------------------------------------------------------------------
# Registry access
# --------------------------------------------------------------------------------------------


def serialize(loss):
    """The Keras config of a loss: a class config for a :class:`Loss`, Keras's function config for a function.

    Args:
        loss: A :class:`Loss` instance or a loss function.

    Example:

    >>> keras.losses.serialize(keras.losses.mean_squared_error)["config"]
    'mean_squared_error'
    >>> keras.losses.serialize(keras.losses.Huber())["class_name"]
    'Huber'
    """
    if loss is None:
        return None
    if isinstance(loss, Loss):
        config = serialize_keras_object(loss)
        if type(loss) is LossFunctionWrapper:  # not public in Keras: it names it by registered name
            config["registered_name"] = "LossFunctionWrapper"
        return config
    if callable(loss) and not isinstance(loss, type):
        return {
            "module": type(loss).__module__,
            "class_name": "function",
            "config": registry.get_registered_name(loss),
            "registered_name": "function",
        }
    return serialize_keras_object(loss)


def deserialize(name, custom_objects=None):
    """The loss a name or a Keras config describes: a function for a function name, an instance for a class.

    Args:
        name: A name (``"mse"``, ``"CategoricalCrossentropy"``) or a config dict.
        custom_objects: Optional ``{name: class_or_function}`` of user losses.

    Example:

    >>> keras.losses.deserialize("binary_crossentropy") is keras.losses.binary_crossentropy
    True
    >>> keras.losses.deserialize({"class_name": "Huber", "config": {"delta": 2.0}}).delta
    2.0
    """
    obj = deserialize_keras_object(name, _CATEGORY, custom_objects, what="loss")
    if isinstance(obj, type):
        obj = obj()
    return obj


def get(identifier):
    """Resolve a loss given as None, a name, a config dict, a class, a :class:`Loss` or a function.

    As in Keras, a function name returns the function and a class name an
    instance with default arguments.

    Args:
        identifier: The loss identifier.

    Example:

    >>> keras.losses.get("categorical_crossentropy") is keras.losses.categorical_crossentropy
    True
    >>> type(keras.losses.get("CategoricalCrossentropy")).__name__
    'CategoricalCrossentropy'
    >>> keras.losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}).from_logits
    True
    """
    if identifier is None:
        return None
    obj = deserialize(identifier) if isinstance(identifier, (str, dict)) else identifier
    if isinstance(obj, type):
        obj = obj()
    if callable(obj):
        return obj
    raise ValueError(
        f"Could not interpret loss identifier {identifier!r}: expected None, a name such as "
        "'mean_squared_error', a config dict, a Loss instance or a loss function."
    )


# Keras 2 spellings still found in course material.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
