"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector.

None of them has weights; all keep the batch axis (axis 0) as it is.

>>> x = np.zeros((32, 28, 28, 1))
>>> layerwise.layers.Flatten()(x).shape
torch.Size([32, 784])
>>> layerwise.layers.Reshape((28, -1))(x).shape
torch.Size([32, 28, 28])
"""

import math

import numpy as np

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


__all__ = ["Flatten", "Permute", "RepeatVector", "Reshape"]
