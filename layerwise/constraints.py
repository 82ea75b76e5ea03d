"""Weight constraints, shaped like ``keras.constraints``.

A constraint is a projection applied to a weight after each optimizer step
(``Dense(8, kernel_constraint="non_neg")``): it takes the weight tensor and
returns the constrained one.

>>> import torch
>>> import layerwise as keras
>>> keras.constraints.NonNeg()(torch.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""

import torch

from layerwise import backend
from layerwise.saving import registry
from layerwise.saving.serialization import get_object, serialize_keras_object

_CATEGORY = "constraints"


@registry.builtin(_CATEGORY, "constraint")
class Constraint:
    """Base class of weight constraints; on its own it leaves weights unchanged.

    Subclasses override ``__call__(w)`` (returning the projected weight) and,
    if they take arguments, ``get_config()``.

    Example:

    >>> class NonNegative(keras.constraints.Constraint):
    ...     def __call__(self, w):
    ...         return torch.clamp(w, min=0.0)
    >>> NonNegative()(torch.tensor([-1.0, 1.0]))
    tensor([0., 1.])
    """

    def __call__(self, w):
        """Return the projected weight ``w`` (the base class returns it unchanged)."""
        return w

    def get_config(self):
        """The constructor arguments as a JSON-ready dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild the constraint from :meth:`get_config`'s dict."""
        return cls(**config)


def _norms(w, axis):
    """The L2 norms of ``w`` along ``axis`` (an int or a list of ints), kept broadcastable."""
    return torch.linalg.vector_norm(w, 2, dim=axis, keepdim=True)


def _rescale(w, norms, desired):
    """Scale ``w`` so that its norms become ``desired``, with Keras's epsilon in the division."""
    return w * (desired / (backend.epsilon() + norms))


@registry.builtin(_CATEGORY, "max_norm")
class MaxNorm(Constraint):
    """Rescale weights whose L2 norm along ``axis`` exceeds ``max_value``.

    Args:
        max_value: The largest norm allowed.
        axis: Axis (or list of axes) along which norms are taken. For a Dense
            kernel ``(input_dim, units)`` use 0 (each unit's incoming weights);
            for a Conv2D kernel ``(rows, cols, in, out)`` use ``[0, 1, 2]``.

    Example:

    >>> keras.constraints.MaxNorm(max_value=1.0)(torch.tensor([[3.0], [4.0]]))
    tensor([[0.6000],
            [0.8000]])
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = backend.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        return _rescale(w, norms, torch.clamp(norms, 0, self.max_value))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


@registry.builtin(_CATEGORY, "min_max_norm")
class MinMaxNorm(Constraint):
    """Keep the L2 norm of weights along ``axis`` between ``min_value`` and ``max_value``.

    Args:
        min_value: The smallest norm allowed.
        max_value: The largest norm allowed.
        rate: How far to move toward the allowed range each time: norms become
            ``rate * clip(norm, min_value, max_value) + (1 - rate) * norm``
            (1.0 enforces the range strictly).
        axis: Axis (or list of axes) along which norms are taken, as in :class:`MaxNorm`.

    Example:

    >>> keras.constraints.MinMaxNorm(min_value=1.0, max_value=2.0)(torch.tensor([[0.3], [0.4]]))
    tensor([[0.6000],
            [0.8000]])
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = backend.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = self.rate * torch.clamp(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return _rescale(w, norms, desired)

    def get_config(self):
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


@registry.builtin(_CATEGORY, "non_neg")
class NonNeg(Constraint):
    """Clip weights at 0 from below: ``max(w, 0)``.

    Example:

    >>> keras.constraints.NonNeg()(torch.tensor([-0.5, 0.5]))
    tensor([0.0000, 0.5000])
    """

    def __call__(self, w):
        return torch.clamp(backend.convert_to_tensor(w), min=0)


@registry.builtin(_CATEGORY, "unit_norm")
class UnitNorm(Constraint):
    """Rescale weights to unit L2 norm along ``axis``.

    Args:
        axis: Axis (or list of axes) along which norms are taken, as in :class:`MaxNorm`.

    Example:

    >>> keras.constraints.UnitNorm()(torch.tensor([[3.0], [4.0]]))
    tensor([[0.6000],
            [0.8000]])
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = backend.convert_to_tensor(w)
        return w / (backend.epsilon() + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm


def serialize(constraint):
    """The Keras config dict of a constraint.

    Example:

    >>> keras.constraints.serialize(keras.constraints.MaxNorm(3))["config"]
    {'max_value': 3, 'axis': 0}
    """
    return serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    """Build the constraint a name or a Keras config describes.

    Example:

    >>> keras.constraints.deserialize({"class_name": "UnitNorm", "config": {"axis": 1}}).axis
    1
    """
    return get_object(config, _CATEGORY, "constraint", "max_norm", custom_objects)


def get(identifier):
    """Resolve a constraint given as None, a name, a config dict, a class or a callable.

    Example:

    >>> keras.constraints.get("non_neg")
    <layerwise.constraints.NonNeg object at ...>
    >>> keras.constraints.get(None) is None
    True
    """
    return get_object(identifier, _CATEGORY, "constraint", "max_norm")
