"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot.

Each takes a *list* of tensors and returns one tensor, as in Keras 3:

>>> a, b = np.ones((2, 3)), np.full((2, 3), 2.0)
>>> layerwise.layers.Add()([a, b])
tensor([[3., 3., 3.],
        [3., 3., 3.]])
>>> layerwise.layers.concatenate([a, b]).shape
torch.Size([2, 6])

Elementwise merges broadcast like numpy on the non-batch axes; inputs of
lower rank get axes of size 1 inserted after the batch axis (Keras's rule),
so ``(batch, 3)`` merges with ``(batch, 4, 3)``. Masks (from ``Masking`` or
``Embedding(mask_zero=True)``) are merged as Keras merges them: the output
mask is the OR of the input masks, ``Maximum``/``Minimum`` ignore masked
entries, ``Multiply`` treats them as 1 and zeroes fully masked steps.
"""

import math

import torch
import torch.nn.functional as F

from layerwise import backend
from layerwise.engine.layer import Layer
from layerwise.saving.registry import builtin


class _Incompatible(Exception):
    pass


def _clashes(shape1, shape2):
    try:
        Merge._broadcast(shape1, shape2)
    except _Incompatible:
        return True
    return False


def _describe(shapes):
    return ", ".join(f"input {i} has shape {tuple(s) if s is not None else None}"
                     for i, s in enumerate(shapes))


class Merge(Layer):
    """Base class of the elementwise merge layers; subclasses implement ``_merge_function``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        # The engine keeps a one-element list of shapes as a list when building.
        self._expects_list_input = True

    # ------------------------------------------------------------------ shapes

    def _where(self):
        return f"{type(self).__name__} layer '{self.name}'"

    def _check_is_list(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or \
                not all(s is None or isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError(
                f"{self._where()} should be called on a list of inputs, e.g. "
                f"{type(self).__name__}()([x1, x2]). Received: input_shape={input_shape} "
                "(not a list of shapes)."
            )

    @staticmethod
    def _broadcast(shape1, shape2):
        """Broadcast two shapes without their batch axis (Keras's right-aligned rule).

        Returns ``None`` if either is unknown; raises ``_Incompatible`` if they clash.
        """
        if shape1 is None or shape2 is None:
            return None
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return tuple(shape1)
        output = list(shape1[: len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
            if i is None or j is None:
                output.append(None)
            elif i == 1:
                output.append(j)
            elif j == 1 or i == j:
                output.append(i)
            else:
                raise _Incompatible()
        return tuple(output)

    def _merged_shape(self, input_shapes):
        """The output shape without the batch axis; a clash names the two inputs involved."""
        def strip(shape):
            return None if shape is None else tuple(shape[1:])

        output = strip(input_shapes[0])
        for i in range(1, len(input_shapes)):
            try:
                output = self._broadcast(output, strip(input_shapes[i]))
            except _Incompatible:
                other = next((j for j in range(i) if _clashes(strip(input_shapes[j]),
                                                              strip(input_shapes[i]))), 0)
                raise ValueError(
                    f"{self._where()}: inputs have incompatible shapes. Input {other} has shape "
                    f"{tuple(input_shapes[other])} and input {i} has shape {tuple(input_shapes[i])}; "
                    "apart from the batch axis, each axis must be equal, or 1 in one of them "
                    f"(inputs of lower rank are aligned on their last axes). All shapes: "
                    f"{_describe(input_shapes)}."
                ) from None
        return output

    def build(self, input_shape):
        # Used for shape validation only: merge layers have no weights.
        self._check_is_list(input_shape)
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"{self._where()} cannot merge tensors with different batch sizes: "
                f"{_describe(input_shape)}."
            )
        self._merged_shape(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_is_list(input_shape)
        output_shape = self._merged_shape(input_shape)
        if output_shape is None:
            return None
        batch_sizes = {s[0] for s in input_shape if s is not None} - {None}
        batch = next(iter(batch_sizes)) if len(batch_sizes) == 1 else None
        return (batch,) + tuple(output_shape)

    # ------------------------------------------------------------------ computing

    def _merge_function(self, inputs, masks):
        raise NotImplementedError

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"{self._where()} should be called on a list of inputs, e.g. "
                f"{type(self).__name__}()([x1, x2]). Received a single tensor of shape "
                f"{tuple(getattr(inputs, 'shape', ()))}."
            )
        originals = inputs
        inputs = list(inputs)
        masks = list(mask) if isinstance(mask, (list, tuple)) else [None] * len(inputs)
        if len(masks) != len(inputs):
            masks = [None] * len(inputs)
        ndims = [x.ndim for x in inputs]
        max_ndim = max(ndims)
        if min(ndims) != max_ndim:
            # Keras's rule for inputs of different ranks: insert axes of size 1 after the
            # batch axis. (As in Keras, a reshaped input's mask no longer applies to values.)
            for i, x in enumerate(inputs):
                if x.ndim < max_ndim:
                    inputs[i] = x.reshape(x.shape[:1] + (1,) * (max_ndim - x.ndim) + x.shape[1:])
                    masks[i] = None
        try:
            return self._merge_function(inputs, masks)
        except RuntimeError as error:
            shapes = [tuple(x.shape) for x in originals]
            self.build(shapes)  # raises the clear shape error if the shapes are the problem
            raise error

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)):
            raise ValueError(f"{self._where()}: `mask` should be a list, got {mask!r}.")
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{self._where()}: `inputs` should be a list, got {inputs!r}.")
        if len(mask) != len(inputs):
            raise ValueError(
                f"{self._where()}: the lists `inputs` and `mask` should have the same length; "
                f"got {len(inputs)} inputs and {len(mask)} masks."
            )
        # The OR of the masks (Add, Subtract, Average, Maximum, Minimum, Multiply).
        if any(m is None for m in mask):
            return None
        output_mask = mask[0]
        for m in mask[1:]:
            output_mask = torch.logical_or(output_mask, m)
        return output_mask

    def get_config(self):
        return super().get_config()


def _expand_mask(mask, x):
    """A (batch, steps) mask broadcast to the shape of ``x`` (batch, steps, features)."""
    mask = mask.to(device=x.device, dtype=torch.bool)
    if mask.ndim < x.ndim:
        mask = mask.reshape(tuple(mask.shape) + (1,) * (x.ndim - mask.ndim))
    return mask.expand(x.shape)


def _apply_merge_op_and_or_mask(op, inputs, masks):
    """Keras's Maximum/Minimum: masked entries take no part; the output mask is the OR."""
    if all(m is None for m in masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = op(output, x)
        return output
    output = None
    output_mask = None
    for x, mask in zip(inputs, masks):
        if mask is not None:
            mask = _expand_mask(mask, x)
        if output is None:
            output, output_mask = x, mask
            continue
        if mask is not None:
            x = torch.where(mask, x, output)
        if output_mask is not None:
            output = torch.where(output_mask, output, x)
        if mask is not None and output_mask is not None:
            output_mask = torch.logical_or(output_mask, mask)
        else:
            output_mask = None
        output = op(output, x)
    return output


@builtin("layers")
class Add(Merge):
    """Adds a list of inputs elementwise: ``Add()([x1, x2])`` is ``x1 + x2``.

    Inputs must have the same shape (or shapes that broadcast).

    Example:

    >>> x1 = layerwise.Input(shape=(16,))
    >>> x2 = layerwise.Input(shape=(16,))
    >>> layerwise.layers.Add()([x1, x2]).shape
    (None, 16)
    """

    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = torch.add(output, x)
        return output


@builtin("layers")
class Subtract(Merge):
    """Subtracts the second of exactly two inputs from the first: ``x1 - x2``.

    Example:

    >>> layerwise.layers.Subtract()([np.full((1, 2), 5.0), np.ones((1, 2))])
    tensor([[4., 4.]])
    """

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(
                f"{self._where()} should be called on exactly 2 inputs, got {len(input_shape)}: "
                f"{_describe(input_shape)}."
            )

    def _merge_function(self, inputs, masks):
        if len(inputs) != 2:
            raise ValueError(
                f"{self._where()} should be called on exactly 2 inputs, got {len(inputs)}: "
                f"{_describe([tuple(x.shape) for x in inputs])}."
            )
        return torch.subtract(inputs[0], inputs[1])


@builtin("layers")
class Multiply(Merge):
    """Multiplies a list of inputs elementwise.

    Example:

    >>> layerwise.layers.Multiply()([np.full((1, 2), 3.0), np.full((1, 2), 2.0)])
    tensor([[6., 6.]])
    """

    def _merge_function(self, inputs, masks):
        if all(m is None for m in masks):
            output = inputs[0]
            for x in inputs[1:]:
                output = torch.multiply(output, x)
            return output
        has_output_mask = all(m is not None for m in masks)
        output = None
        output_mask = None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = _expand_mask(mask, x)
                # Masked entries count as 1.
                x = torch.where(mask, x, torch.ones((), dtype=x.dtype, device=x.device))
                if has_output_mask:
                    output_mask = mask if output_mask is None else torch.logical_or(output_mask, mask)
            output = x if output is None else torch.multiply(output, x)
        if has_output_mask:
            # Fully masked entries are 0, per the masking convention.
            output = torch.where(output_mask, output,
                                 torch.zeros((), dtype=output.dtype, device=output.device))
        return output


@builtin("layers")
class Average(Merge):
    """Averages a list of inputs elementwise.

    Example:

    >>> layerwise.layers.Average()([np.ones((1, 2)), np.full((1, 2), 3.0)])
    tensor([[2., 2.]])
    """

    def _merge_function(self, inputs, masks):
        output = inputs[0]
        for x in inputs[1:]:
            output = torch.add(output, x)
        return output / len(inputs)


@builtin("layers")
class Maximum(Merge):
    """The elementwise maximum of a list of inputs (masked entries are ignored).

    Example:

    >>> layerwise.layers.Maximum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])])
    tensor([[3., 5.]])
    """

    def _merge_function(self, inputs, masks):
        return _apply_merge_op_and_or_mask(torch.maximum, inputs, masks)


@builtin("layers")
class Minimum(Merge):
    """The elementwise minimum of a list of inputs (masked entries are ignored).

    Example:

    >>> layerwise.layers.Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])])
    tensor([[1., 2.]])
    """

    def _merge_function(self, inputs, masks):
        return _apply_merge_op_and_or_mask(torch.minimum, inputs, masks)


@builtin("layers")
class Concatenate(Merge):
    """Concatenates a list of inputs along ``axis``.

    All inputs must have the same shape except along the concatenation axis.

    Args:
        axis: the axis to concatenate along (default ``-1``, the last).

    Example:

    >>> x = np.arange(20).reshape(2, 2, 5)
    >>> y = np.arange(20, 30).reshape(2, 1, 5)
    >>> layerwise.layers.Concatenate(axis=1)([x, y]).shape
    torch.Size([2, 3, 5])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"Concatenate axis must be an integer, got {axis!r}.")
        self.axis = axis
        self.supports_masking = True

    def _check_shapes(self, input_shape):
        self._check_is_list(input_shape)
        if all(shape is None for shape in input_shape):
            return
        known = [(i, tuple(s)) for i, s in enumerate(input_shape) if s is not None]
        ranks = {len(s) for _, s in known}
        if len(ranks) != 1:
            raise ValueError(
                f"{self._where()} requires inputs of the same rank (matching shapes except on "
                f"the concatenation axis {self.axis}); {_describe(input_shape)}."
            )
        (rank,) = ranks
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"{self._where()}: axis={self.axis} is out of range for inputs of rank {rank} "
                f"({_describe(input_shape)}); use an axis between {-rank} and {rank - 1}."
            )
        axis = self.axis % rank
        for dim in range(rank):
            if dim == axis:
                continue
            sizes = [(i, s[dim]) for i, s in known if s[dim] is not None]
            for i, size in sizes[1:]:
                if size != sizes[0][1]:
                    first = sizes[0][0]
                    raise ValueError(
                        f"{self._where()} requires inputs with matching shapes except for the "
                        f"concatenation axis (axis={self.axis}). Input {first} has shape "
                        f"{input_shape[first]} and input {i} has shape {input_shape[i]}: they "
                        f"differ on axis {dim} ({sizes[0][1]} != {size}). "
                        f"All shapes: {_describe(input_shape)}."
                    )

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"{self._where()} should be called on a list of inputs, e.g. "
                f"Concatenate()([x1, x2]). Received a single tensor of shape "
                f"{tuple(getattr(inputs, 'shape', ()))}."
            )
        try:
            return torch.cat(list(inputs), dim=self.axis)
        except (RuntimeError, IndexError) as error:
            self._check_shapes([tuple(x.shape) for x in inputs])
            raise error

    def compute_output_shape(self, input_shape):
        self._check_is_list(input_shape)
        output_shape = list(input_shape[0])
        for shape in input_shape[1:]:
            if output_shape[self.axis] is None or shape[self.axis] is None:
                output_shape[self.axis] = None
                break
            output_shape[self.axis] += shape[self.axis]
        return tuple(output_shape)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)):
            raise ValueError(f"{self._where()}: `mask` should be a list, got {mask!r}.")
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{self._where()}: `inputs` should be a list, got {inputs!r}.")
        if len(mask) != len(inputs):
            raise ValueError(
                f"{self._where()}: the lists `inputs` and `mask` should have the same length; "
                f"got {len(inputs)} inputs and {len(mask)} masks."
            )
        if all(m is None for m in mask):
            return None
        # Each mask is widened to its input's shape (all True where an input has no mask),
        # concatenated like the inputs, then reduced over the last axis.
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                masks.append(torch.ones(x.shape, dtype=torch.bool, device=x.device))
            elif m.ndim < x.ndim:
                masks.append(_expand_mask(m, x))
            else:
                masks.append(m.to(torch.bool))
        return torch.any(torch.cat(masks, dim=self.axis), dim=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _dot_axes(axes, ndim1, ndim2):
    if isinstance(axes, int):
        return [axes % ndim1, axes % ndim2] if axes < 0 else [axes, axes]
    return [a % n if a < 0 else a for a, n in zip(axes, (ndim1, ndim2))]


def batch_dot(x, y, axes):
    """Keras's batchwise dot product of ``x`` and ``y`` over ``axes = [ax, ay]`` (non-negative).

    The result has ``x``'s axes (less ``ax``) followed by ``y``'s (less the batch axis
    and ``ay``); a rank-1 result gets a trailing axis of 1.
    """
    a0, a1 = axes
    xt = torch.movedim(x, a0, -1)   # (batch, ..., n)
    yt = torch.movedim(y, a1, 1)    # (batch, n, ...)
    batch, n = xt.shape[0], xt.shape[-1]
    x_mid, y_tail = tuple(xt.shape[1:-1]), tuple(yt.shape[2:])
    result = torch.bmm(xt.reshape(batch, math.prod(x_mid), n),
                       yt.reshape(batch, n, math.prod(y_tail)))
    result = result.reshape((batch,) + x_mid + y_tail)
    if result.ndim == 1:
        result = result.unsqueeze(-1)
    return result


@builtin("layers")
class Dot(Merge):
    """The dot product of two inputs along an axis of each, sample by sample.

    Args:
        axes: an integer, or a pair ``(axis_of_x1, axis_of_x2)``; the two axes
            must have the same size, and cannot be the batch axis 0.
        normalize: L2-normalize each sample along the dot axes first, so that
            the output is the cosine similarity.

    Example: with inputs of shapes ``(batch, 3, 5)`` and ``(batch, 10, 3)``,
    ``Dot(axes=(1, 2))`` gives ``(batch, 5, 10)``.

    >>> x = np.arange(10).reshape(1, 5, 2)
    >>> y = np.arange(10, 20).reshape(1, 2, 5)
    >>> layerwise.layers.Dot(axes=(1, 2))([x, y]).shape
    torch.Size([1, 2, 2])
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, list):
            axes = tuple(axes)
        if not isinstance(axes, int) or isinstance(axes, bool):
            if not isinstance(axes, tuple):
                raise TypeError(
                    f"Invalid type for argument `axes` of Dot: it should be an int or a pair of "
                    f"ints, e.g. axes=1 or axes=(1, 2). Received: axes={axes!r}"
                )
            if len(axes) != 2:
                raise ValueError(
                    "Invalid format for argument `axes` of Dot: it should contain two elements "
                    f"(one axis of each input). Received: axes={axes}"
                )
            if not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
                raise ValueError(
                    f"Invalid format for argument `axes` of Dot: list elements should be integers. "
                    f"Received: axes={axes}"
                )
        self.axes = axes
        self.normalize = normalize
        self.supports_masking = True

    def _check_shapes(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or \
                not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError(
                f"{self._where()} should be called on a list of 2 inputs, e.g. Dot(axes=1)([x1, x2]). "
                f"Received: input_shape={input_shape}"
            )
        shape1, shape2 = tuple(input_shape[0]), tuple(input_shape[1])
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(
                f"{self._where()} needs inputs of rank 2 or more (a batch axis and at least one "
                f"more); input 0 has shape {shape1}, input 1 has shape {shape2}."
            )
        pairs = zip((self.axes,) * 2 if isinstance(self.axes, int) else self.axes, (shape1, shape2))
        if not all(-len(shape) <= axis < len(shape) for axis, shape in pairs):
            raise ValueError(
                f"{self._where()}: axes={self.axes} is out of range for input 0 of shape {shape1} "
                f"and input 1 of shape {shape2}."
            )
        axes = _dot_axes(self.axes, len(shape1), len(shape2))
        if 0 in axes:
            raise ValueError(
                f"{self._where()} cannot take the dot product over axis 0, the batch axis "
                f"(axes={self.axes}). If your inputs are not batched, add a batch axis, "
                "e.g. x[None, ...]."
            )
        if shape1[0] is not None and shape2[0] is not None and shape1[0] != shape2[0]:
            raise ValueError(
                f"{self._where()} cannot combine inputs with different batch sizes: "
                f"input 0 has shape {shape1}, input 1 has shape {shape2}."
            )
        d1, d2 = shape1[axes[0]], shape2[axes[1]]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(
                f"{self._where()}: incompatible input shapes: axis values {d1} (at axis {axes[0]} "
                f"of input 0) != {d2} (at axis {axes[1]} of input 1). Input 0 has shape {shape1}, "
                f"input 1 has shape {shape2}."
            )
        return axes

    def build(self, input_shape):
        self._check_shapes(input_shape)
        self.built = True

    def call(self, inputs, mask=None):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            count = len(inputs) if isinstance(inputs, (list, tuple)) else "a single tensor"
            raise ValueError(
                f"{self._where()} should be called on exactly 2 inputs, got {count}."
            )
        x1, x2 = inputs
        try:
            axes = _dot_axes(self.axes, x1.ndim, x2.ndim)
            if self.normalize:
                x1 = F.normalize(x1, p=2.0, dim=axes[0], eps=backend.epsilon())
                x2 = F.normalize(x2, p=2.0, dim=axes[1], eps=backend.epsilon())
            return batch_dot(x1, x2, axes)
        except (RuntimeError, IndexError) as error:
            self._check_shapes([tuple(x1.shape), tuple(x2.shape)])
            raise error

    def compute_output_shape(self, input_shape):
        axes = self._check_shapes(input_shape)
        shape1 = list(input_shape[0])
        shape2 = list(input_shape[1])
        shape1.pop(axes[0])
        shape2.pop(axes[1])
        shape2.pop(0)
        output_shape = shape1 + shape2
        if len(output_shape) == 1:
            output_shape += [1]
        return tuple(output_shape)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("axes"), list):
            config["axes"] = tuple(config["axes"])
        return cls(**config)


# ---------------------------------------------------------------------- functional forms


def add(inputs, **kwargs):
    """Functional form of :class:`Add`: ``add([x1, x2])`` is ``Add()([x1, x2])``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of :class:`Subtract`: ``subtract([x1, x2])`` is ``x1 - x2``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of :class:`Multiply`."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of :class:`Average`."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of :class:`Maximum`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of :class:`Minimum`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """Functional form of :class:`Concatenate`: ``concatenate([x1, x2], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """Functional form of :class:`Dot`: ``dot([x1, x2], axes=1, normalize=False)``."""
    return Dot(axes=axes, **kwargs)(inputs)


__all__ = [
    "Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract",
    "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract",
]
