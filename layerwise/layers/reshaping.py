"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, ZeroPadding1D/2D/3D,
Cropping1D/2D/3D, UpSampling1D/2D/3D.

None of them has weights; all keep the batch axis (axis 0) as it is. The
padding, cropping and upsampling layers take ``data_format`` like the
convolution layers (channels_last by default), except Cropping1D and
UpSampling1D, which Keras defines for ``(batch, steps, features)`` only.

>>> x = np.zeros((32, 28, 28, 1))
>>> layerwise.layers.Flatten()(x).shape
torch.Size([32, 784])
>>> layerwise.layers.Reshape((28, -1))(x).shape
torch.Size([32, 28, 28])
"""

import math

import numpy as np
import torch.nn.functional as F

from layerwise import backend
from layerwise.engine.layer import InputSpec, Layer
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


@builtin("layers")
class Flatten(Layer):
    """Flattens each sample to one axis: ``(batch, d1, d2, ...)`` becomes ``(batch, d1*d2*...)``.

    A rank-1 input ``(batch,)`` becomes ``(batch, 1)``.

    Args:
        data_format: ``'channels_last'`` (default, from
            ``layerwise.backend.image_data_format()``) or ``'channels_first'``.
            With ``'channels_first'`` the channel axis is moved last before
            flattening, so the order of the flattened values is the same
            for both layouts (as in Keras).

    Example:

    >>> layerwise.layers.Flatten()(np.zeros((2, 3, 4))).shape
    torch.Size([2, 12])
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)
        self._channels_first = self.data_format == "channels_first"

    def call(self, inputs):
        rank = inputs.ndim
        if rank == 1:
            return inputs.reshape(inputs.shape[0], 1)
        if self._channels_first and rank > 2:
            inputs = inputs.permute(0, *range(2, rank), 1)
        # A view, without a copy, whenever the input's memory layout allows it.
        return inputs.flatten(1)

    def compute_output_shape(self, input_shape):
        non_batch = tuple(input_shape[1:])
        if not non_batch:
            flat = 1
        elif any(d is None for d in non_batch):
            flat = None
        else:
            flat = math.prod(non_batch)
        return (input_shape[0], flat)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


def _validate_target_shape(target_shape):
    if isinstance(target_shape, (int, np.integer)) or not hasattr(target_shape, "__iter__") or \
            isinstance(target_shape, str):
        raise TypeError(
            f"Reshape target_shape must be a tuple of integers (the shape of one sample, without "
            f"the batch axis), e.g. Reshape((4, 3)) or Reshape((-1,)); got {target_shape!r}."
        )
    target_shape = tuple(target_shape)
    for dim in target_shape:
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(
                f"Reshape target_shape must contain integers only, got {target_shape!r}."
            )
        if dim < -1:
            raise ValueError(
                "Each dimension in `target_shape` must be a non-negative integer, or `-1` for a "
                f"single unknown dimension. Received: target_shape={target_shape}."
            )
    if target_shape.count(-1) > 1:
        raise ValueError(
            "There must be at most one unknown dimension (-1) in `target_shape`. "
            f"Received: target_shape={target_shape}."
        )
    return tuple(int(d) for d in target_shape)


@builtin("layers")
class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (the batch axis is kept).

    Args:
        target_shape: the new shape of one sample, without the batch axis.
            One entry may be ``-1``: it is inferred from the input size.

    Example:

    >>> layerwise.layers.Reshape((3, 4))(np.zeros((2, 12))).shape
    torch.Size([2, 3, 4])
    >>> layerwise.layers.Reshape((-1, 2, 2))(np.zeros((2, 12))).shape
    torch.Size([2, 3, 2, 2])
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = _validate_target_shape(target_shape)
        self._unknown_index = self.target_shape.index(-1) if -1 in self.target_shape else None
        self._known_size = math.prod(d for d in self.target_shape if d != -1)
        self.built = True

    def _resolve(self, sample_shape):
        """``target_shape`` with its ``-1`` worked out for samples of ``sample_shape``.

        Unknown sizes (``None``) in ``sample_shape`` leave ``-1`` unresolved (``None``).
        """
        if any(d is None for d in sample_shape):
            return tuple(None if d == -1 else d for d in self.target_shape)
        size = math.prod(sample_shape)
        if self._unknown_index is None:
            if size != self._known_size:
                raise ValueError(self._size_message(sample_shape, size))
            return self.target_shape
        if self._known_size == 0 or size % self._known_size != 0:
            raise ValueError(self._size_message(sample_shape, size))
        resolved = list(self.target_shape)
        resolved[self._unknown_index] = size // self._known_size
        return tuple(resolved)

    def _size_message(self, sample_shape, size):
        if self._unknown_index is None:
            detail = f"which holds {self._known_size} values per sample"
        else:
            detail = (f"whose known sizes hold {self._known_size} values, and {size} values "
                      f"cannot be split into groups of {self._known_size} to fill the -1")
        return (
            f"Reshape layer '{self.name}' cannot reshape samples of shape {tuple(sample_shape)} "
            f"({size} values per sample) into target_shape={self.target_shape}, {detail}. "
            "The total size of the tensor must be unchanged. Received: "
            f"input_shape={(None,) + tuple(sample_shape)}, target_shape={self.target_shape}."
        )

    def call(self, inputs):
        shape = self._resolve(tuple(inputs.shape[1:]))
        return inputs.reshape((inputs.shape[0],) + shape)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + self._resolve(tuple(input_shape[1:]))

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


@builtin("layers")
class Permute(Layer):
    """Permutes the non-batch axes of the input, e.g. to swap time and features.

    Args:
        dims: a permutation of ``1..rank-1`` (axis 0, the batch axis, is
            never moved): ``Permute((2, 1))`` swaps the two axes of a 3-D input.

    Example:

    >>> layerwise.layers.Permute((2, 1))(np.zeros((8, 10, 64))).shape
    torch.Size([8, 64, 10])
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(int(d) for d in dims)
        except (TypeError, ValueError):
            raise TypeError(
                f"Permute dims must be a tuple of integers such as (2, 1), got {dims!r}."
            ) from None
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                "Invalid permutation argument `dims` for Permute Layer. The set of indices in "
                "`dims` must be consecutive and start from 1 (axis 0, the batch axis, stays in "
                f"place), e.g. (2, 1). Received dims={dims}"
            )
        self.dims = dims
        self._permutation = (0,) + dims
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def call(self, inputs):
        # A view: no copy until something needs contiguous memory.
        return inputs.permute(self._permutation)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


@builtin("layers")
class RepeatVector(Layer):
    """Repeats a ``(batch, features)`` input ``n`` times: the output is ``(batch, n, features)``.

    Args:
        n: how many times to repeat (a positive integer).

    Example:

    >>> layerwise.layers.RepeatVector(3)(np.zeros((32, 64))).shape
    torch.Size([32, 3, 64])
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"Expected an integer value for `n` of RepeatVector, got {type(n)}.")
        if n <= 0:
            raise ValueError(f"Argument `n` of RepeatVector should be a positive integer. Received: n={n}")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def _input_hint(self, shape):
        if len(shape) == 1:
            return " RepeatVector expects (batch, features); for a single sample use x[None, :]."
        return " RepeatVector expects (batch, features); use Flatten() or Reshape first."

    def call(self, inputs):
        # An expanded view: the n copies share the input's memory.
        return inputs.unsqueeze(1).expand(-1, self.n, -1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


# ---------------------------------------------------------------- padding, cropping, upsampling

_AXIS_NAMES = {1: ("steps",), 2: ("rows", "cols"), 3: ("dim1", "dim2", "dim3")}


def _rank_hint(name, rank, shape, channels_last, channel_word="channels"):
    """The fix for an input of the wrong rank, for layers over ``rank`` spatial axes.

    Shared with the pooling layers. The commonest case is a batch of grayscale
    images without a channel axis, ``(batch, 28, 28)``.
    """
    spatial = ", ".join(_AXIS_NAMES[rank])
    if channels_last:
        layout, index = f"(batch, {spatial}, {channel_word})", "x[..., None]"
    else:
        layout, index = f"(batch, {channel_word}, {spatial})", "x[:, None]"
    hint = f" {name} expects {layout}."
    if len(shape) == rank + 1:
        sizes = tuple(shape[1:])
        fix = index
        if all(d is not None for d in sizes):
            fix += f" or Reshape({sizes + (1,) if channels_last else (1,) + sizes})"
        hint += (f" The channel axis is missing; add a channel axis: {fix}. (If this is a "
                 "single sample that has its channels, add a batch axis instead: x[None].)")
    elif len(shape) > rank + 2 and len(shape) - 2 <= 3:
        hint += f" For inputs with {len(shape) - 2} spatial axes use the {len(shape) - 2}D layer."
    return hint


def _non_negative_pairs(value, rank, argument, where):
    """Keras's forms of ``padding``/``cropping`` as ``rank`` ``(before, after)`` pairs.

    ``int`` -> the same amount on both sides of every axis; a sequence of
    ``rank`` entries, each an int (both sides) or a pair ``(before, after)``.
    For ``rank == 1`` a pair ``(before, after)`` is the whole argument.
    """
    if rank == 1:
        forms = "an integer or a tuple of 2 integers (before, after)"
    else:
        forms = (f"an integer, a tuple of {rank} integers (one per spatial axis) or a tuple of "
                 f"{rank} tuples of 2 integers ((before, after) per spatial axis)")
    message = f"{where}: `{argument}` must be {forms}; got {argument}={value!r}."

    def as_int(v):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(message)  # noqa: TRY004 - Keras raises ValueError for these
        return int(v)

    def as_pair(v):
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            return (int(v), int(v))
        if not isinstance(v, (tuple, list)) or len(v) != 2:
            raise ValueError(message)
        return (as_int(v[0]), as_int(v[1]))

    if rank == 1:
        pairs = (as_pair(value),)
    elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        pairs = ((int(value), int(value)),) * rank
    elif isinstance(value, (tuple, list)) and len(value) == rank:
        pairs = tuple(as_pair(v) for v in value)
    else:
        raise ValueError(message)
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(
            f"{where}: `{argument}` cannot be negative; got {argument}={value!r}. "
            + ("To remove cells, use a Cropping layer." if argument == "padding" else
               "To add cells, use a ZeroPadding layer.")
        )
    return pairs


class _SpatialLayer(Layer):
    """Shared set-up of the N-D padding, cropping and upsampling layers.

    Subclasses set ``_rank`` (spatial axes) and ``_has_data_format`` (Cropping1D
    and UpSampling1D have none in Keras: they are always ``(batch, steps, features)``).
    """

    _rank = None
    _has_data_format = True

    def __init__(self, data_format=None, **kwargs):
        if not self._has_data_format and data_format is not None:
            # ValueError, as Keras raises for an unrecognized keyword argument.
            raise ValueError(
                f"{type(self).__name__} takes no `data_format` (as in Keras, its inputs are "
                "(batch, steps, features)); got data_format="
                f"{data_format!r}. For (batch, features, steps) inputs, use Permute((2, 1)) first."
            )
        super().__init__(**kwargs)
        if self._has_data_format:
            self.data_format = _standardize_data_format(data_format)
        rank = self._rank
        self.input_spec = InputSpec(ndim=rank + 2)
        channels_last = not self._has_data_format or self.data_format == "channels_last"
        self._channels_last = channels_last
        # Tensor axes of the spatial dimensions, in order.
        self._spatial_axes = tuple(range(1, rank + 1)) if channels_last else tuple(range(2, rank + 2))
        self._where = f"{type(self).__name__} '{self.name}'"
        self.built = True

    def _input_hint(self, shape):
        channel_word = "features" if self._rank == 1 else "channels"
        return _rank_hint(type(self).__name__, self._rank, shape, self._channels_last, channel_word)

    def _map_spatial(self, input_shape, function):
        """``input_shape`` with each known spatial size ``n`` on axis ``i`` replaced by ``function(i, n)``."""
        shape = list(input_shape)
        for index, axis in enumerate(self._spatial_axes):
            if shape[axis] is not None:
                shape[axis] = function(index, shape[axis])
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        if self._has_data_format:
            config["data_format"] = self.data_format
        return config


class _ZeroPadding(_SpatialLayer):
    """Shared base of ZeroPadding1D/2D/3D."""

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        pairs = _non_negative_pairs(padding, self._rank, "padding", self._where)
        self._pairs = pairs
        self.padding = pairs[0] if self._rank == 1 else pairs
        # F.pad's argument: (before, after) pairs from the last axis to the first.
        torch_pad = []
        for axis in range(self._rank + 1, 0, -1):
            if axis in self._spatial_axes:
                torch_pad.extend(pairs[self._spatial_axes.index(axis)])
            else:
                torch_pad.extend((0, 0))
        self._torch_pad = tuple(torch_pad)

    def call(self, inputs):
        return F.pad(inputs, self._torch_pad)

    def compute_output_shape(self, input_shape):
        return self._map_spatial(input_shape, lambda i, n: n + sum(self._pairs[i]))

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@builtin("layers")
class ZeroPadding1D(_ZeroPadding):
    """Zero-padding for temporal data: adds zero steps at the start and end of each sequence.

    Args:
        padding: int (the same number of steps at both ends) or tuple of 2
            ints ``(at_start, at_end)``. Default 1.
        data_format: ``'channels_last'`` (default, from
            ``layerwise.backend.image_data_format()``): inputs
            ``(batch, steps, features)``; or ``'channels_first'``:
            ``(batch, features, steps)``.

    Input shape:
        ``(batch, steps, features)`` (channels_last) or
        ``(batch, features, steps)`` (channels_first).

    Output shape:
        the same layout with ``steps + at_start + at_end`` steps.

    Example:

    >>> x = np.arange(6.).reshape(1, 3, 2)
    >>> layerwise.layers.ZeroPadding1D(padding=(1, 2))(x)[0]
    tensor([[0., 0.],
            [0., 1.],
            [2., 3.],
            [4., 5.],
            [0., 0.],
            [0., 0.]])
    """

    _rank = 1


@builtin("layers")
class ZeroPadding2D(_ZeroPadding):
    """Zero-padding for images: adds rows and columns of zeros around each image.

    Args:
        padding: int (the same on all four sides), tuple of 2 ints
            ``(rows, cols)`` (symmetric per axis) or tuple of 2 tuples of 2
            ints ``((top, bottom), (left, right))``. Default 1.
        data_format: ``'channels_last'`` (default, from
            ``layerwise.backend.image_data_format()``) or ``'channels_first'``.

    Input shape:
        ``(batch, rows, cols, channels)`` (channels_last) or
        ``(batch, channels, rows, cols)`` (channels_first).

    Output shape:
        the same layout with ``rows + top + bottom`` rows and
        ``cols + left + right`` columns.

    Example:

    >>> x = np.ones((1, 2, 2, 1))
    >>> layerwise.layers.ZeroPadding2D(padding=1)(x)[0, :, :, 0]
    tensor([[0., 0., 0., 0.],
            [0., 1., 1., 0.],
            [0., 1., 1., 0.],
            [0., 0., 0., 0.]])
    >>> layerwise.layers.ZeroPadding2D(((1, 0), (2, 3)))(x).shape
    torch.Size([1, 3, 7, 1])
    """

    _rank = 2


@builtin("layers")
class ZeroPadding3D(_ZeroPadding):
    """Zero-padding for volumes (video, scans): adds zeros around each of the 3 spatial axes.

    Args:
        padding: int (the same everywhere), tuple of 3 ints (symmetric per
            axis) or tuple of 3 tuples of 2 ints
            ``((before1, after1), (before2, after2), (before3, after3))``.
            Default 1.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` (channels_last) or
        ``(batch, channels, dim1, dim2, dim3)`` (channels_first).

    Output shape:
        the same layout with each spatial size grown by its padding.

    Example:

    >>> x = np.ones((1, 2, 2, 2, 3))
    >>> layerwise.layers.ZeroPadding3D(padding=(1, 0, 2))(x).shape
    torch.Size([1, 4, 2, 6, 3])
    """

    _rank = 3


class _Cropping(_SpatialLayer):
    """Shared base of Cropping1D/2D/3D."""

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        pairs = _non_negative_pairs(cropping, self._rank, "cropping", self._where)
        self._pairs = pairs
        self.cropping = pairs[0] if self._rank == 1 else pairs
        # Basic slicing: the output is a view of the input, no copy.
        slices = [slice(None)] * (self._rank + 2)
        for (before, after), axis in zip(pairs, self._spatial_axes):
            slices[axis] = slice(before, -after if after else None)
        self._slices = tuple(slices)
        self._checks = tuple((axis, before + after) for (before, after), axis
                             in zip(pairs, self._spatial_axes))

    def _too_much(self, input_shape, index, size):
        axis = self._spatial_axes[index]
        return ValueError(
            f"{self._where} cannot crop {self._pairs[index]} from spatial axis {axis} "
            f"({_AXIS_NAMES[self._rank][index]}) of inputs of shape {tuple(input_shape)}: "
            f"that axis has {size} cells and the cropping removes {sum(self._pairs[index])}, "
            f"leaving nothing (cropping={self.cropping}). The cropping on each axis must be "
            "smaller than the input size: crop less, or crop larger inputs."
        )

    def call(self, inputs):
        shape = inputs.shape
        for index, (axis, removed) in enumerate(self._checks):
            if shape[axis] <= removed:
                raise self._too_much(shape, index, shape[axis])
        return inputs[self._slices]

    def compute_output_shape(self, input_shape):
        def cropped(index, size):
            if size <= sum(self._pairs[index]):
                raise self._too_much(input_shape, index, size)
            return size - sum(self._pairs[index])

        return self._map_spatial(input_shape, cropped)

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


@builtin("layers")
class Cropping1D(_Cropping):
    """Cropping for temporal data: removes steps at the start and end of each sequence.

    The output is a view of the input (no copy).

    Args:
        cropping: int (the same number of steps at both ends) or tuple of 2
            ints ``(at_start, at_end)``. Default ``(1, 1)``.

    Input shape:
        ``(batch, steps, features)``.

    Output shape:
        ``(batch, steps - at_start - at_end, features)``.

    Example:

    >>> x = np.arange(10.).reshape(1, 5, 2)
    >>> layerwise.layers.Cropping1D(cropping=(1, 2))(x)[0]
    tensor([[2., 3.],
            [4., 5.]])
    """

    _rank = 1
    _has_data_format = False

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, **kwargs)


@builtin("layers")
class Cropping2D(_Cropping):
    """Cropping for images: removes rows and columns at the edges of each image.

    The output is a view of the input (no copy).

    Args:
        cropping: int (the same on all four sides), tuple of 2 ints
            ``(rows, cols)`` (symmetric per axis) or tuple of 2 tuples of 2
            ints ``((top, bottom), (left, right))``. Default
            ``((0, 0), (0, 0))``.
        data_format: ``'channels_last'`` (default, from
            ``layerwise.backend.image_data_format()``) or ``'channels_first'``.

    Input shape:
        ``(batch, rows, cols, channels)`` (channels_last) or
        ``(batch, channels, rows, cols)`` (channels_first).

    Output shape:
        the same layout with ``rows - top - bottom`` rows and
        ``cols - left - right`` columns.

    Example:

    >>> x = np.zeros((2, 28, 28, 3))
    >>> layerwise.layers.Cropping2D(cropping=((2, 2), (4, 4)))(x).shape
    torch.Size([2, 24, 20, 3])
    """

    _rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)


@builtin("layers")
class Cropping3D(_Cropping):
    """Cropping for volumes (video, scans): removes cells at the edges of the 3 spatial axes.

    The output is a view of the input (no copy).

    Args:
        cropping: int (the same everywhere), tuple of 3 ints (symmetric per
            axis) or tuple of 3 tuples of 2 ints
            ``((before1, after1), (before2, after2), (before3, after3))``.
            Default ``((1, 1), (1, 1), (1, 1))``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` (channels_last) or
        ``(batch, channels, dim1, dim2, dim3)`` (channels_first).

    Output shape:
        the same layout with each spatial size reduced by its cropping.

    Example:

    >>> x = np.zeros((2, 8, 8, 8, 3))
    >>> layerwise.layers.Cropping3D(cropping=(1, 2, 3))(x).shape
    torch.Size([2, 6, 4, 2, 3])
    """

    _rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)


# Keras's interpolations on its torch backend -> F.interpolate modes. For integer
# factors 'nearest-exact' repeats each cell exactly as Keras's ops.repeat does.
_INTERPOLATIONS = {"nearest": "nearest-exact", "bilinear": "bilinear", "bicubic": "bicubic"}


class _UpSampling(_SpatialLayer):
    """Shared base of UpSampling1D/2D/3D."""

    def __init__(self, size, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        rank = self._rank
        message = (f"{self._where}: `size` must be a positive integer or a tuple of {rank} "
                   f"positive integers (one factor per spatial axis); got size={size!r}.")
        if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
            factors = (int(size),) * rank
        elif isinstance(size, (tuple, list)) and len(size) == rank and all(
                isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in size):
            factors = tuple(int(v) for v in size)
        else:
            raise ValueError(message)
        if any(v <= 0 for v in factors):
            raise ValueError(message)
        self._factors = factors
        self.size = factors
        self._mode = "nearest-exact"
        self._to_channels_first = (0, rank + 1) + tuple(range(1, rank + 1))
        self._to_channels_last = (0,) + tuple(range(2, rank + 2)) + (1,)

    def call(self, inputs):
        # A channels_last batch reaches torch as a channels-last-memory NC... view: no copy.
        x = inputs.permute(self._to_channels_first) if self._channels_last else inputs
        size = tuple(n * f for n, f in zip(x.shape[2:], self._factors))
        align = False if self._mode in ("bilinear", "bicubic") else None
        outputs = F.interpolate(x, size=size, mode=self._mode, align_corners=align)
        return outputs.permute(self._to_channels_last) if self._channels_last else outputs

    def compute_output_shape(self, input_shape):
        return self._map_spatial(input_shape, lambda i, n: n * self._factors[i])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


@builtin("layers")
class UpSampling1D(_UpSampling):
    """Upsampling for temporal data: repeats each step ``size`` times.

    Args:
        size: int, the upsampling factor (default 2).

    Input shape:
        ``(batch, steps, features)``.

    Output shape:
        ``(batch, steps * size, features)``.

    Example:

    >>> x = np.arange(4.).reshape(1, 2, 2)
    >>> layerwise.layers.UpSampling1D(size=2)(x)[0]
    tensor([[0., 1.],
            [0., 1.],
            [2., 3.],
            [2., 3.]])
    """

    _rank = 1
    _has_data_format = False

    def __init__(self, size=2, **kwargs):
        if not isinstance(size, (int, np.integer)) or isinstance(size, bool):
            raise TypeError(
                f"UpSampling1D: `size` must be an integer (the factor for the steps axis), "
                f"got {type(size).__name__} {size!r}."
            )
        super().__init__(size, **kwargs)
        self.size = self._factors[0]

    def call(self, inputs):
        return inputs.repeat_interleave(self.size, dim=1)


@builtin("layers")
class UpSampling2D(_UpSampling):
    """Upsampling for images: repeats rows and columns, or interpolates between them.

    Args:
        size: int or tuple of 2 ints ``(rows, cols)``, the upsampling factors
            (default ``(2, 2)``).
        data_format: ``'channels_last'`` (default, from
            ``layerwise.backend.image_data_format()``) or ``'channels_first'``.
        interpolation: ``'nearest'`` (default: each cell repeated),
            ``'bilinear'`` or ``'bicubic'`` (half-pixel centres, no
            antialiasing, as Keras's ``ops.image.resize``). ``'lanczos3'`` and
            ``'lanczos5'`` are refused, as on Keras's torch backend.

    Input shape:
        ``(batch, rows, cols, channels)`` (channels_last) or
        ``(batch, channels, rows, cols)`` (channels_first).

    Output shape:
        the same layout with ``rows * size[0]`` rows and ``cols * size[1]``
        columns.

    Example:

    >>> x = np.arange(4.).reshape(1, 2, 2, 1)
    >>> layerwise.layers.UpSampling2D(size=(1, 2))(x)[0, :, :, 0]
    tensor([[0., 0., 1., 1.],
            [2., 2., 3., 3.]])
    >>> layerwise.layers.UpSampling2D(interpolation="bilinear")(x).shape
    torch.Size([1, 4, 4, 1])
    """

    _rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format=data_format, **kwargs)
        value = str(interpolation).lower()
        if value in ("lanczos3", "lanczos5"):
            raise ValueError(
                f"{self._where}: interpolation={interpolation!r} is not supported (Keras's torch "
                "backend does not support Lanczos resizing either). Use 'nearest', 'bilinear' "
                "or 'bicubic'."
            )
        if value not in _INTERPOLATIONS:
            raise ValueError(
                f"{self._where}: `interpolation` must be one of 'nearest', 'bilinear', "
                f"'bicubic'; got interpolation={interpolation!r}."
            )
        self.interpolation = value
        self._mode = _INTERPOLATIONS[value]

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


@builtin("layers")
class UpSampling3D(_UpSampling):
    """Upsampling for volumes (video, scans): repeats cells along the 3 spatial axes.

    Args:
        size: int or tuple of 3 ints, the upsampling factors (default
            ``(2, 2, 2)``).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` (channels_last) or
        ``(batch, channels, dim1, dim2, dim3)`` (channels_first).

    Output shape:
        the same layout with each spatial size multiplied by its factor.

    Example:

    >>> x = np.zeros((2, 1, 2, 3, 4))
    >>> layerwise.layers.UpSampling3D(size=2)(x).shape
    torch.Size([2, 2, 4, 6, 4])
    """

    _rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format=data_format, **kwargs)


__all__ = [
    "Cropping1D", "Cropping2D", "Cropping3D", "Flatten", "Permute", "RepeatVector", "Reshape",
    "UpSampling1D", "UpSampling2D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D",
    "ZeroPadding3D",
]
