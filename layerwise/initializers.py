"""Weight initializers, shaped like ``keras.initializers``.

An initializer is called with a shape (and optionally a dtype) and returns a
new torch tensor on :func:`layerwise.backend.device`, of dtype
``backend.floatx()`` unless another is asked for:

>>> import layerwise as keras
>>> keras.initializers.Ones()((2, 3))
tensor([[1., 1., 1.],
        [1., 1., 1.]])

Random initializers draw on the CPU and then move the result to the device,
so a given seed gives the same weights on every device:

- ``seed=<int>``: every call returns the same values, drawn from a private
  ``torch.Generator`` (torch's global random state is left alone). For
  ``RandomNormal``, ``RandomUniform`` and the uniform or untruncated-normal
  variance-scaling family, the values are the ones Keras 3's torch backend
  draws for the same seed.
- ``seed=None``: values come from torch's global generator, so
  :func:`layerwise.utils.set_random_seed` makes initialisation repeatable.
"""

import math
import numbers

import numpy as np
import torch

from layerwise import backend
from layerwise.saving import registry
from layerwise.saving.serialization import get_object, serialize_keras_object

_CATEGORY = "initializers"
# Standard deviation of a unit normal truncated to [-2, 2]; VarianceScaling
# divides by it so that the truncated draws have the variance asked for.
_TRUNCATED_STDDEV = 0.87962566103423978


def _shape(shape):
    return tuple(int(dim) for dim in shape)


def _float_dtype(dtype, owner):
    """The torch float dtype of ``dtype`` (None: floatx); random values must be floats."""
    torch_dtype = backend.torch_dtype(dtype)
    if not torch_dtype.is_floating_point:
        raise ValueError(
            f"{owner} draws random floats, so `dtype` must be a float type "
            f"(float16, bfloat16, float32, float64); got dtype={dtype!r}."
        )
    return torch_dtype


def _generator(seed):
    """A CPU generator seeded like Keras's torch backend, or None for torch's global one."""
    if seed is None:
        return None
    generator = torch.Generator()
    generator.manual_seed(seed & 0xFFFFFFFF)
    return generator


def _normal(shape, mean, stddev, dtype, seed):
    return torch.normal(mean, stddev, size=shape, generator=_generator(seed), dtype=dtype)


def _uniform(shape, minval, maxval, dtype, seed):
    return (maxval - minval) * torch.rand(shape, generator=_generator(seed), dtype=dtype) + minval


def _truncated_normal(shape, mean, stddev, dtype, seed):
    """Normal values with those further than 2 ``stddev`` from ``mean`` redrawn (exactly bounded)."""
    values = torch.empty(shape, dtype=dtype)
    return torch.nn.init.trunc_normal_(
        values, mean, stddev, mean - 2 * stddev, mean + 2 * stddev, generator=_generator(seed)
    )


@registry.builtin(_CATEGORY, "initializer")
class Initializer:
    """Base class of initializers: ``initializer(shape, dtype=None)`` returns a new tensor.

    Subclasses implement ``__call__`` and, if they take arguments, ``get_config``.

    Example:

    >>> class Halves(keras.initializers.Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return torch.full(shape, 0.5, dtype=keras.backend.torch_dtype(dtype))
    >>> Halves()((2,))
    tensor([0.5000, 0.5000])
    """

    def __call__(self, shape, dtype=None):
        """Return a tensor of ``shape`` and ``dtype`` (default ``backend.floatx()``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None).")

    def get_config(self):
        """The constructor arguments as a JSON-ready dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuild the initializer from :meth:`get_config`'s dict.

        tf.keras 1.14-2.1 also wrote a ``dtype`` into every initializer's
        config (the files of courses from that time have it); it is dropped,
        as Keras 3's initializers take none: the weight's dtype is the layer's.
        """
        return cls(**{key: value for key, value in config.items() if key != "dtype"})

    def clone(self):
        """A new initializer with the same config."""
        return type(self).from_config(self.get_config())


@registry.builtin(_CATEGORY, "zeros", "zero")
class Zeros(Initializer):
    """All zeros.

    Example:

    >>> keras.initializers.Zeros()((2,), dtype="int32")
    tensor([0, 0], dtype=torch.int32)
    """

    def __call__(self, shape, dtype=None):
        return torch.zeros(_shape(shape), dtype=backend.torch_dtype(dtype), device=backend.device())


@registry.builtin(_CATEGORY, "ones", "one")
class Ones(Initializer):
    """All ones.

    Example:

    >>> keras.initializers.Ones()((3,))
    tensor([1., 1., 1.])
    """

    def __call__(self, shape, dtype=None):
        return torch.ones(_shape(shape), dtype=backend.torch_dtype(dtype), device=backend.device())


@registry.builtin(_CATEGORY, "constant")
class Constant(Initializer):
    """Every value equal to the scalar ``value``.

    Example:

    >>> keras.initializers.Constant(3.0)((2, 2))
    tensor([[3., 3.],
            [3., 3.]])
    """

    def __init__(self, value=0.0):
        if isinstance(value, (np.ndarray, np.generic, torch.Tensor)) and np.ndim(value) == 0:
            value = value.item()
        if not isinstance(value, numbers.Number):
            raise ValueError(f"Constant: `value` must be a scalar number; got value={value!r}.")
        self.value = value

    def __call__(self, shape, dtype=None):
        return torch.full(_shape(shape), self.value, dtype=backend.torch_dtype(dtype), device=backend.device())

    def get_config(self):
        return {"value": self.value}


@registry.builtin(_CATEGORY, "identity", "IdentityInitializer")
class Identity(Initializer):
    """``gain`` times the identity matrix; 2-D shapes only (rectangular allowed).

    Also available as ``IdentityInitializer``.

    Example:

    >>> keras.initializers.Identity(gain=2.0)((2, 3))
    tensor([[2., 0., 0.],
            [0., 2., 0.]])
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                f"Identity initializer works on 2-D shapes only; got shape={shape} of rank {len(shape)}."
            )
        dtype = backend.torch_dtype(dtype)
        return (self.gain * torch.eye(*shape, dtype=dtype, device=backend.device())).to(dtype)

    def get_config(self):
        return {"gain": self.gain}


IdentityInitializer = Identity


class _RandomInitializer(Initializer):
    """Shared seed handling: ``seed`` is an int (repeatable draws) or None (global generator)."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(
                f"{type(self).__name__}: argument `seed` must be an integer or None; got seed={seed!r}."
            )
        self.seed = None if seed is None else int(seed)

    def __call__(self, shape, dtype=None):
        dtype = _float_dtype(dtype, type(self).__name__)
        return self._draw(_shape(shape), dtype).to(backend.device())

    def _draw(self, shape, dtype):
        """The values, as a CPU tensor of ``dtype``."""
        raise NotImplementedError

    def get_config(self):
        return {"seed": self.seed}


@registry.builtin(_CATEGORY, "random_normal", "normal")
class RandomNormal(_RandomInitializer):
    """Values drawn from a normal distribution ``N(mean, stddev**2)``.

    Example:

    >>> values = keras.initializers.RandomNormal(mean=0.0, stddev=1.0, seed=1)((2, 2))
    >>> values.shape
    torch.Size([2, 2])
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def _draw(self, shape, dtype):
        return _normal(shape, self.mean, self.stddev, dtype, self.seed)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


@registry.builtin(_CATEGORY, "truncated_normal")
class TruncatedNormal(_RandomInitializer):
    """Normal values ``N(mean, stddev**2)`` with those more than 2 ``stddev`` from ``mean`` redrawn.

    Example:

    >>> values = keras.initializers.TruncatedNormal(stddev=1.0, seed=1)((1000,))
    >>> bool(values.abs().max() <= 2.0)
    True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def _draw(self, shape, dtype):
        return _truncated_normal(shape, self.mean, self.stddev, dtype, self.seed)

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


@registry.builtin(_CATEGORY, "random_uniform", "uniform")
class RandomUniform(_RandomInitializer):
    """Values drawn uniformly from ``[minval, maxval)``.

    Example:

    >>> values = keras.initializers.RandomUniform(minval=0.0, maxval=1.0, seed=1)((1000,))
    >>> bool(values.min() >= 0.0 and values.max() < 1.0)
    True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed)

    def _draw(self, shape, dtype):
        return _uniform(shape, self.minval, self.maxval, dtype, self.seed)

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


def compute_fans(shape, input_axes=None, output_axes=None):
    """``(fan_in, fan_out)`` of a weight shape, as Keras counts them.

    A Dense kernel ``(in, out)`` has fans ``in`` and ``out``; a convolution
    kernel ``(*spatial, in, out)`` has ``receptive_field * in`` and
    ``receptive_field * out``; a vector ``(n,)`` has ``n`` and ``n``; a scalar 1
    and 1. ``input_axes`` / ``output_axes``, when both given, name the axes
    whose sizes multiply into each fan instead.

    Example:

    >>> keras.initializers.compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = _shape(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[axis] for axis in input_axes), math.prod(shape[axis] for axis in output_axes)
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


@registry.builtin(_CATEGORY, "variance_scaling")
class VarianceScaling(_RandomInitializer):
    """Random values whose variance is ``scale / n``, with ``n`` from the weight's fans.

    ``n`` is ``fan_in``, ``fan_out`` or their mean, by ``mode``. With
    ``distribution="uniform"`` values are uniform in ``[-limit, limit]`` with
    ``limit = sqrt(3 * scale / n)``; with ``"untruncated_normal"`` they are
    ``N(0, scale / n)``; with ``"truncated_normal"`` (``"normal"`` is accepted
    for it) they are normal values truncated at 2 standard deviations, drawn
    with ``stddev = sqrt(scale / n) / 0.8796...`` so that the result has
    variance ``scale / n``.

    Args:
        scale: Positive scaling factor.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"``, ``"untruncated_normal"`` or ``"uniform"``.
        seed: Integer for repeatable values, or None.
        input_axes: Optional axes whose sizes make ``fan_in`` (with ``output_axes``).
        output_axes: Optional axes whose sizes make ``fan_out`` (with ``input_axes``).

    Example:

    >>> init = keras.initializers.VarianceScaling(scale=0.1, mode="fan_in", distribution="uniform")
    >>> values = init((100, 10))
    >>> bool(values.abs().max() <= (3 * 0.1 / 100) ** 0.5)
    True
    """

    def __init__(
        self,
        scale=1.0,
        mode="fan_in",
        distribution="truncated_normal",
        seed=None,
        input_axes=None,
        output_axes=None,
    ):
        name = type(self).__name__
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not scale > 0:
            raise ValueError(f"{name}: argument `scale` must be a positive number; got scale={scale!r}.")
        if mode not in _MODES:
            raise ValueError(
                f"{name}: argument `mode` must be one of {', '.join(map(repr, _MODES))}; got mode={mode!r}."
            )
        if isinstance(distribution, str) and distribution.lower() == "normal":
            distribution = "truncated_normal"
        if not isinstance(distribution, str) or distribution.lower() not in _DISTRIBUTIONS:
            raise ValueError(
                f"{name}: argument `distribution` must be one of "
                f"{', '.join(map(repr, _DISTRIBUTIONS))}; got distribution={distribution!r}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution.lower()
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed)

    def _variance(self, shape):
        """``scale / n`` for this weight shape."""
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        return self.scale / max(1.0, n)

    def _draw(self, shape, dtype):
        variance = self._variance(shape)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return _uniform(shape, -limit, limit, dtype, self.seed)
        if self.distribution == "untruncated_normal":
            return _normal(shape, 0.0, math.sqrt(variance), dtype, self.seed)
        return _truncated_normal(shape, 0.0, math.sqrt(variance) / _TRUNCATED_STDDEV, dtype, self.seed)

    def get_config(self):
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _VarianceScalingPreset(VarianceScaling):
    """A VarianceScaling with fixed ``scale``, ``mode`` and ``distribution`` (class attribute ``_preset``)."""

    _preset = {}

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(**self._preset, seed=seed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


@registry.builtin(_CATEGORY, "glorot_uniform")
class GlorotUniform(_VarianceScalingPreset):
    """Glorot (Xavier) uniform: uniform in ``[-limit, limit]``, ``limit = sqrt(6 / (fan_in + fan_out))``.

    The default kernel initializer of Dense and convolution layers.

    Example:

    >>> values = keras.initializers.GlorotUniform(seed=0)((4, 2))
    >>> bool(values.abs().max() <= 1.0)
    True
    """

    _preset = {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}


@registry.builtin(_CATEGORY, "glorot_normal")
class GlorotNormal(_VarianceScalingPreset):
    """Glorot (Xavier) normal: truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))``.

    Example:

    >>> keras.initializers.GlorotNormal(seed=0)((4, 2)).shape
    torch.Size([4, 2])
    """

    _preset = {"scale": 1.0, "mode": "fan_avg", "distribution": "truncated_normal"}


@registry.builtin(_CATEGORY, "he_uniform")
class HeUniform(_VarianceScalingPreset):
    """He uniform: uniform in ``[-limit, limit]``, ``limit = sqrt(6 / fan_in)``; suits ReLU layers.

    Example:

    >>> values = keras.initializers.HeUniform(seed=0)((6, 3))
    >>> bool(values.abs().max() <= 1.0)
    True
    """

    _preset = {"scale": 2.0, "mode": "fan_in", "distribution": "uniform"}


@registry.builtin(_CATEGORY, "he_normal")
class HeNormal(_VarianceScalingPreset):
    """He normal: truncated normal with ``stddev = sqrt(2 / fan_in)``; suits ReLU layers.

    Example:

    >>> keras.initializers.HeNormal(seed=0)((3, 3, 8, 16)).shape
    torch.Size([3, 3, 8, 16])
    """

    _preset = {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}


@registry.builtin(_CATEGORY, "lecun_uniform")
class LecunUniform(_VarianceScalingPreset):
    """LeCun uniform: uniform in ``[-limit, limit]``, ``limit = sqrt(3 / fan_in)``.

    Example:

    >>> values = keras.initializers.LecunUniform(seed=0)((3, 5))
    >>> bool(values.abs().max() <= 1.0)
    True
    """

    _preset = {"scale": 1.0, "mode": "fan_in", "distribution": "uniform"}


@registry.builtin(_CATEGORY, "lecun_normal")
class LecunNormal(_VarianceScalingPreset):
    """LeCun normal: truncated normal with ``stddev = sqrt(1 / fan_in)``; pairs with ``selu``.

    Example:

    >>> keras.initializers.LecunNormal(seed=0)((5, 5)).shape
    torch.Size([5, 5])
    """

    _preset = {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}


@registry.builtin(_CATEGORY, "orthogonal", "OrthogonalInitializer")
class Orthogonal(_RandomInitializer):
    """A random orthogonal matrix (times ``gain``), from the QR decomposition of normal values.

    A shape ``(..., n)`` is treated as the matrix ``(prod(...), n)``; rows are
    orthonormal when there are fewer rows than columns, columns otherwise.
    Also available as ``OrthogonalInitializer``.

    Example:

    >>> q = keras.initializers.Orthogonal(seed=0)((3, 3))
    >>> torch.allclose(q @ q.T, torch.eye(3), atol=1e-6)
    True
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed)

    def _draw(self, shape, dtype):
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal initializer needs a shape of rank 2 or more; got shape={shape} of rank {len(shape)}."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        # QR runs in float32 or float64; half precision values are rounded at the end.
        work_dtype = dtype if dtype in (torch.float32, torch.float64) else torch.float32
        q, r = torch.linalg.qr(_normal((max(rows, cols), min(rows, cols)), 0.0, 1.0, work_dtype, self.seed))
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).to(dtype)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


zeros = Zeros
ones = Ones
constant = Constant
identity = Identity
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
orthogonal = Orthogonal
OrthogonalInitializer = Orthogonal


def serialize(initializer):
    """The Keras config dict of an initializer.

    Example:

    >>> keras.initializers.serialize(keras.initializers.Constant(2.0))
    {'module': 'keras.initializers', 'class_name': 'Constant', 'config': {'value': 2.0}, 'registered_name': None}
    """
    return serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    """Build the initializer a name or a Keras config describes.

    Example:

    >>> keras.initializers.deserialize({"class_name": "HeNormal", "config": {"seed": 3}}).seed
    3
    """
    return get_object(config, _CATEGORY, "initializer", "glorot_uniform", custom_objects)


def _from_values(values):
    """An initializer function that returns a copy of the given tensor or array."""

    def initialize(shape, dtype=None):
        if _shape(shape) != tuple(values.shape):
            raise ValueError(
                f"This initializer holds values of shape {tuple(values.shape)}; "
                f"it cannot fill a weight of shape {_shape(shape)}."
            )
        return backend.convert_to_tensor(values, dtype or backend.floatx()).to(backend.device(), copy=True)

    return initialize


def get(identifier):
    """Resolve an initializer given as None, a name, a config dict, a class, a callable or values.

    A tensor or numpy array becomes an initializer that returns a copy of it
    (the weight's shape must match).

    Example:

    >>> keras.initializers.get("glorot_uniform")
    <layerwise.initializers.GlorotUniform object at ...>
    >>> keras.initializers.get({"class_name": "Constant", "config": {"value": 2.0}}).value
    2.0
    """
    if isinstance(identifier, (torch.Tensor, np.ndarray, np.generic)):
        return _from_values(identifier)
    return get_object(identifier, _CATEGORY, "initializer", "glorot_uniform")
