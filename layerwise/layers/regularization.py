"""Regularization layers: Dropout, SpatialDropout1D, SpatialDropout2D, GaussianNoise.

They change their input only while training (``fit``, or a call with
``training=True``); at inference they return it unchanged.

Randomness: a layer given a ``seed`` draws from its own ``torch.Generator``
(one per device, seeded with ``seed``), so two layers built with the same
seed drop the same units, call after call. Without a seed it draws from
torch's global generator, which ``layerwise.utils.set_random_seed`` seeds.

>>> layer = layerwise.layers.Dropout(0.5, seed=1)
>>> x = np.ones((2, 4))
>>> layer(x).tolist()                   # inference: unchanged
[[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]
>>> sorted(set(layer(x, training=True).flatten().tolist()))   # dropped 0, kept 1 / (1 - 0.5)
[0.0, 2.0]
"""

import numbers

import torch
import torch.nn.functional as F

from layerwise import backend
from layerwise.engine.layer import InputSpec, Layer
from layerwise.layers import seeding
from layerwise.saving.registry import builtin


def _standardize_data_format(data_format):
    if data_format is None:
        return backend.image_data_format()
    value = str(data_format).lower()
    if value not in ("channels_first", "channels_last"):
        raise ValueError(
            f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}."
        )
    return value


def _dropout_with_noise_shape(inputs, rate, noise_shape, generator):
    """Inverted dropout with one keep/drop draw per entry of ``noise_shape``, broadcast to inputs."""
    keep = 1.0 - rate
    dtype = inputs.dtype if inputs.is_floating_point() else torch.float32
    mask = torch.empty(noise_shape, dtype=dtype, device=inputs.device)
    mask.bernoulli_(keep, generator=generator)
    return inputs * mask.div_(keep)


@builtin("layers")
class Dropout(Layer):
    """Randomly sets a fraction ``rate`` of the inputs to 0 while training.

    Kept inputs are scaled by ``1 / (1 - rate)`` so that the expected sum is
    unchanged ("inverted dropout", as in Keras). At inference the layer
    returns its input unchanged.

    Args:
        rate: float between 0 and 1, the fraction of the inputs to drop.
        noise_shape: the shape of the binary dropout mask, broadcast against
            the input; ``None`` entries take the input's size. For inputs
            ``(batch, timesteps, features)``, ``noise_shape=(None, 1, None)``
            drops the same features at every timestep.
        seed: integer seed for reproducible masks (a local generator).

    Example:

    >>> model = layerwise.Sequential([layerwise.Input(shape=(20,)),
    ...                               layerwise.layers.Dense(64, activation="relu"),
    ...                               layerwise.layers.Dropout(0.5),
    ...                               layerwise.layers.Dense(1)])
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate <= 1:
            raise ValueError(
                f"Invalid value received for argument `rate` of {name}. Expected a float value "
                f"between 0 and 1 (the fraction of inputs to drop), e.g. {name}(0.2). "
                f"Received: rate={rate!r}"
            )
        self.rate = rate
        self.seed = seeding.check_seed(seed, name)
        self.noise_shape = self._validate_noise_shape(noise_shape)
        self.supports_masking = True
        self.built = True

    @staticmethod
    def _validate_noise_shape(noise_shape):
        if noise_shape is None:
            return None
        if isinstance(noise_shape, str):
            raise ValueError(
                "Invalid value received for argument `noise_shape`. Expected a tuple or list of "
                f"integers. Received: noise_shape={noise_shape!r}"
            )
        try:
            noise_shape = tuple(noise_shape)
        except TypeError:
            raise ValueError(
                "Invalid value received for argument `noise_shape`. Expected an iterable of "
                f"integers (e.g., a tuple or list). Received: noise_shape={noise_shape!r}"
            ) from None
        for i, dim in enumerate(noise_shape):
            if dim is None:
                continue
            if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
                raise ValueError(
                    "Invalid value received for argument `noise_shape`. Expected all elements to "
                    f"be integers or None. Received element at index {i}: {dim!r} "
                    f"(type: {type(dim).__name__})"
                )
            if dim <= 0:
                raise ValueError(
                    "Invalid value received for argument `noise_shape`. Expected all dimensions "
                    f"to be positive integers or None. Received negative or zero value at index "
                    f"{i}: {dim}"
                )
        return tuple(None if d is None else int(d) for d in noise_shape)

    def _concrete_noise_shape(self, inputs):
        shape = tuple(inputs.shape)
        noise = self.noise_shape
        if len(noise) != len(shape) or any(
                n is not None and n != 1 and n != s for n, s in zip(noise, shape)):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': noise_shape={noise} does not broadcast to "
                f"the input shape {shape}. It needs one entry per input axis, each equal to the "
                "input's size, 1 (same mask along that axis) or None (the input's size)."
            )
        return tuple(s if n is None else n for n, s in zip(noise, shape))

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return torch.zeros_like(inputs)
        generator = seeding.layer_generator(self, inputs.device)
        if self.noise_shape is None:
            if generator is None:
                # The fused kernel, on torch's global generator.
                return F.dropout(inputs, p=self.rate, training=True)
            return _dropout_with_noise_shape(inputs, self.rate, inputs.shape, generator)
        return _dropout_with_noise_shape(inputs, self.rate, self._concrete_noise_shape(inputs),
                                         generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed,
                "noise_shape": self.noise_shape}


class _SpatialDropout(Dropout):
    """Drops whole feature maps (channels) rather than single entries."""

    _rank = None

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.input_spec = InputSpec(ndim=self._rank)

    def _input_hint(self, shape):
        layout = "(batch, steps, channels)" if self._rank == 3 else "(batch, rows, cols, channels)"
        return f" {type(self).__name__} expects inputs of shape {layout}."

    def get_config(self):
        # Keras writes exactly these keys for spatial dropout layers (no 'trainable').
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


@builtin("layers")
class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole channels of ``(batch, steps, channels)`` inputs while training.

    Each channel of each sample is either kept (and scaled by
    ``1 / (1 - rate)``) at every step, or set to 0 at every step. Use it
    after 1-D convolutions, where neighbouring steps are strongly correlated.

    Args:
        rate: float between 0 and 1, the fraction of channels to drop.
        seed: integer seed for reproducible masks.

    Example:

    >>> layerwise.layers.SpatialDropout1D(0.3)(np.ones((2, 5, 4)), training=True).shape
    torch.Size([2, 5, 4])
    """

    _rank = 3

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return torch.zeros_like(inputs)
        generator = seeding.layer_generator(self, inputs.device)
        if generator is None:
            # F.dropout1d drops channels of (N, C, L): a transposed view, no copy.
            return F.dropout1d(inputs.transpose(1, 2), p=self.rate, training=True).transpose(1, 2)
        noise_shape = (inputs.shape[0], 1, inputs.shape[2])
        return _dropout_with_noise_shape(inputs, self.rate, noise_shape, generator)


@builtin("layers")
class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole feature maps of 4-D image inputs while training.

    Each channel of each sample is either kept (and scaled by
    ``1 / (1 - rate)``) over the whole image, or set to 0.

    Args:
        rate: float between 0 and 1, the fraction of channels to drop.
        data_format: ``'channels_last'`` (default: ``(batch, rows, cols, channels)``)
            or ``'channels_first'`` (``(batch, channels, rows, cols)``).
        seed: integer seed for reproducible masks.

    Example:

    >>> layerwise.layers.SpatialDropout2D(0.3)(np.ones((2, 8, 8, 3)), training=True).shape
    torch.Size([2, 8, 8, 3])
    """

    _rank = 4

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = _standardize_data_format(data_format)
        self._channels_last = self.data_format == "channels_last"

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return torch.zeros_like(inputs)
        generator = seeding.layer_generator(self, inputs.device)
        if generator is None:
            if self._channels_last:
                # NHWC permuted to NCHW is torch's channels_last layout: a view, no copy.
                dropped = F.dropout2d(inputs.permute(0, 3, 1, 2), p=self.rate, training=True)
                return dropped.permute(0, 2, 3, 1)
            return F.dropout2d(inputs, p=self.rate, training=True)
        if self._channels_last:
            noise_shape = (inputs.shape[0], 1, 1, inputs.shape[3])
        else:
            noise_shape = (inputs.shape[0], inputs.shape[1], 1, 1)
        return _dropout_with_noise_shape(inputs, self.rate, noise_shape, generator)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


@builtin("layers")
class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise of standard deviation ``stddev`` while training.

    A regularizer (and a form of data augmentation for real-valued inputs).
    At inference the input is returned unchanged.

    Args:
        stddev: float between 0 and 1, the standard deviation of the noise.
        seed: integer seed for reproducible noise.

    Example:

    >>> layer = layerwise.layers.GaussianNoise(0.1, seed=0)
    >>> layer(np.zeros((1, 3)), training=True).abs().max() > 0
    tensor(True)
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, numbers.Real) or not 0 <= stddev <= 1:
            raise ValueError(
                "Invalid value received for argument `stddev` of GaussianNoise. Expected a float "
                f"value between 0 and 1, e.g. GaussianNoise(0.1). Received: stddev={stddev!r}"
            )
        self.stddev = stddev
        self.seed = seeding.check_seed(seed, "GaussianNoise")
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        dtype = inputs.dtype if inputs.is_floating_point() else backend.torch_dtype(self.compute_dtype)
        generator = seeding.layer_generator(self, inputs.device)
        if generator is None:
            noise = torch.randn(inputs.shape, dtype=dtype, device=inputs.device)
        else:
            noise = torch.randn(inputs.shape, dtype=dtype, device=inputs.device, generator=generator)
        return torch.add(inputs, noise, alpha=self.stddev)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


__all__ = ["Dropout", "GaussianNoise", "SpatialDropout1D", "SpatialDropout2D"]
