"""Weight regularizers, shaped like ``keras.regularizers``.

A regularizer maps a weight tensor to a scalar penalty that training adds to
the loss (``Dense(8, kernel_regularizer=keras.regularizers.L2(0.01))``).

>>> import torch
>>> import layerwise as keras
>>> keras.regularizers.L1(0.1)(torch.tensor([1.0, -2.0]))
tensor(0.3000)
"""

import math

import torch

from layerwise import backend
from layerwise.saving import registry
from layerwise.saving.serialization import get_object, serialize_keras_object

_CATEGORY = "regularizers"


@registry.builtin(_CATEGORY, "regularizer")
class Regularizer:
    """Base class of regularizers: a callable from a weight tensor to a scalar penalty.

    Subclasses override ``__call__(x)`` and ``get_config()``. Any function from a
    tensor to a scalar tensor also works as a regularizer.

    Example:

    >>> class SumOfSquares(keras.regularizers.Regularizer):
    ...     def __init__(self, factor=0.5):
    ...         self.factor = factor
    ...     def __call__(self, x):
    ...         return self.factor * torch.sum(torch.square(x))
    ...     def get_config(self):
    ...         return {"factor": self.factor}
    >>> SumOfSquares()(torch.ones(5))
    tensor(2.5000)
    """

    def __call__(self, x):
        """The penalty for weight ``x`` (the base class gives none: 0.0)."""
        return 0.0

    def get_config(self):
        """The constructor arguments as a JSON-ready dict; subclasses must define it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config().")

    @classmethod
    def from_config(cls, config):
        """Rebuild the regularizer from :meth:`get_config`'s dict."""
        return cls(**config)


def _factor(owner, name, value, default):
    """Check a penalty factor: a finite non-negative number (None means ``default``)."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise ValueError(
            f"{owner}: argument `{name}` must be a non-negative finite number; got {name}={value!r}."
        )
    return float(value)


def _l1_penalty(factor, x):
    return factor * torch.sum(torch.abs(x))


def _l2_penalty(factor, x):
    return factor * torch.sum(torch.square(x))


@registry.builtin(_CATEGORY, "l1")
class L1(Regularizer):
    """L1 penalty: ``l1 * sum(abs(x))``. As a string, ``"l1"`` means ``L1(0.01)``.

    Example:

    >>> keras.regularizers.L1(0.01)(torch.ones(3, 3))
    tensor(0.0900)
    """

    def __init__(self, l1=0.01):
        self.l1 = _factor("L1", "l1", l1, 0.01)

    def __call__(self, x):
        return _l1_penalty(self.l1, backend.convert_to_tensor(x))

    def get_config(self):
        return {"l1": self.l1}


@registry.builtin(_CATEGORY, "l2")
class L2(Regularizer):
    """L2 penalty: ``l2 * sum(square(x))``. As a string, ``"l2"`` means ``L2(0.01)``.

    Example:

    >>> keras.regularizers.L2(0.01)(torch.full((2, 2), 2.0))
    tensor(0.1600)
    """

    def __init__(self, l2=0.01):
        self.l2 = _factor("L2", "l2", l2, 0.01)

    def __call__(self, x):
        return _l2_penalty(self.l2, backend.convert_to_tensor(x))

    def get_config(self):
        return {"l2": self.l2}


@registry.builtin(_CATEGORY, "l1l2", "l1_l2")
class L1L2(Regularizer):
    """L1 and L2 penalties together: ``l1 * sum(abs(x)) + l2 * sum(square(x))``.

    Both factors default to 0 (as in Keras 3, also for the ``l1_l2`` alias).

    Example:

    >>> keras.regularizers.L1L2(l1=0.1, l2=0.01)(torch.tensor([1.0, -2.0]))
    tensor(0.3500)
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor("L1L2", "l1", l1, 0.0)
        self.l2 = _factor("L1L2", "l2", l2, 0.0)

    def __call__(self, x):
        x = backend.convert_to_tensor(x)
        penalty = torch.zeros((), dtype=x.dtype, device=x.device)
        if self.l1:
            penalty = penalty + _l1_penalty(self.l1, x)
        if self.l2:
            penalty = penalty + _l2_penalty(self.l2, x)
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@registry.builtin(_CATEGORY, "orthogonal_regularizer")
class OrthogonalRegularizer(Regularizer):
    """Push the rows (or columns) of a 2-D weight to be orthogonal to each other.

    The penalty is ``factor`` times the mean absolute cosine similarity over
    all pairs of distinct rows (``mode="rows"``) or columns (``mode="columns"``).
    For a Dense kernel ``(input_dim, units)``, ``"columns"`` acts on the units.

    Args:
        factor: Scale of the penalty.
        mode: ``"rows"`` or ``"columns"``.

    Example:

    >>> keras.regularizers.OrthogonalRegularizer(factor=1.0)(torch.tensor([[1.0, 0.0], [1.0, 0.0]]))
    tensor(1.)
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _factor("OrthogonalRegularizer", "factor", factor, 0.01)
        if mode not in ("rows", "columns"):
            raise ValueError(
                f"OrthogonalRegularizer: argument `mode` must be 'rows' or 'columns'; got mode={mode!r}."
            )
        self.mode = mode

    def __call__(self, x):
        x = backend.convert_to_tensor(x)
        if x.ndim != 2:
            raise ValueError(
                "OrthogonalRegularizer expects a 2-D weight (a Dense kernel); "
                f"got shape {tuple(x.shape)} of rank {x.ndim}."
            )
        if self.mode == "columns":
            x = x.T
        # L2-normalise each row as Keras does: x * min(rsqrt(sum(x**2)), 1 / epsilon).
        inverse_norms = torch.rsqrt(torch.sum(torch.square(x), dim=1, keepdim=True))
        unit = x * torch.clamp(inverse_norms, max=1.0 / backend.epsilon())
        products = unit @ unit.T
        size = x.shape[0]
        off_diagonal = products * (1.0 - torch.eye(size, dtype=x.dtype, device=x.device))
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * torch.sum(torch.abs(off_diagonal)) / num_pairs

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer


def serialize(regularizer):
    """The Keras config dict of a regularizer.

    Example:

    >>> keras.regularizers.serialize(keras.regularizers.L2(0.1))["config"]
    {'l2': 0.1}
    """
    return serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    """Build the regularizer a name or a Keras config describes.

    Example:

    >>> keras.regularizers.deserialize({"class_name": "L1", "config": {"l1": 0.5}}).l1
    0.5
    """
    return get_object(config, _CATEGORY, "regularizer", "l2", custom_objects)


def get(identifier):
    """Resolve a regularizer given as None, a name, a config dict, a class or a callable.

    Example:

    >>> keras.regularizers.get("l2").l2
    0.01
    >>> keras.regularizers.get(None) is None
    True
    """
    return get_object(identifier, _CATEGORY, "regularizer", "l2")
