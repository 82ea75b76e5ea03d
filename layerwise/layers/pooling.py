"""Pooling layers: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and their global versions.

None of them has weights. Images are ``channels_last`` by default
(``layerwise.backend.image_data_format()``); every layer accepts
``data_format='channels_first'`` too. Channels-last inputs reach torch's
fused pooling kernels as a permuted view (an NHWC tensor *is* a
channels-last NCHW tensor), and the result is permuted back: no copies.

``padding='same'`` follows Keras (and TensorFlow): the output has
``ceil(size / stride)`` positions per axis, the padding is split with the
odd cell at the end, a padded cell never wins a max and is never counted in
an average.

>>> x = np.zeros((32, 28, 28, 1))
>>> layerwise.layers.MaxPooling2D()(x).shape
torch.Size([32, 14, 14, 1])
>>> layerwise.layers.GlobalAveragePooling2D()(x).shape
torch.Size([32, 1])
"""

import numpy as np
import torch
import torch.nn.functional as F

from layerwise.engine.layer import InputSpec, Layer
from layerwise.layers.reshaping import _AXIS_NAMES, _rank_hint, _standardize_data_format
from layerwise.saving.registry import builtin

# Looked up at call time rather than stored on layers, so that layers pickle
# (torch's max_pool functions are local closures).
_POOL_OPS = {
    ("max", 1): F.max_pool1d, ("max", 2): F.max_pool2d, ("max", 3): F.max_pool3d,
    ("average", 1): F.avg_pool1d, ("average", 2): F.avg_pool2d, ("average", 3): F.avg_pool3d,
}


def _positive_tuple(value, rank, argument, layer_name):
    """``value`` (an int or ``rank`` ints) as a tuple of ``rank`` positive ints."""
    message = (
        f"{layer_name}: `{argument}` must be a positive integer or a tuple of {rank} positive "
        f"integers, got {argument}={value!r}."
    )
    if isinstance(value, bool):
        raise ValueError(message)  # noqa: TRY004 - Keras raises ValueError for these
    if isinstance(value, int):
        values = (value,) * rank
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(message) from None
        if len(values) != rank or any(isinstance(v, bool) for v in values):
            raise ValueError(message)
        try:
            values = tuple(int(v) for v in values)
        except (TypeError, ValueError):
            raise ValueError(message) from None
    if any(v <= 0 for v in values):
        raise ValueError(message)
    return values


class _Pooling(Layer):
    """Shared base of Max/AveragePooling1D/2D/3D (subclasses set ``_rank`` and ``_mode``)."""

    _rank = None
    _mode = None  # "max" or "average"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(name=name, **kwargs)
        rank = self._rank
        where = f"{type(self).__name__} '{self.name}'"
        self.pool_size = _positive_tuple(pool_size, rank, "pool_size", where)
        self.strides = self.pool_size if strides is None else \
            _positive_tuple(strides, rank, "strides", where)
        mode = str(padding).lower()
        if mode not in ("valid", "same"):
            raise ValueError(
                f"{where}: `padding` must be 'valid' or 'same', got padding={padding!r}."
            )
        self.padding = mode
        self.data_format = _standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)
        # Everything that does not depend on the input's size is decided here, once.
        self._channels_last = self.data_format == "channels_last"
        self._to_channels_first = (0, rank + 1) + tuple(range(1, rank + 1))
        self._to_channels_last = (0,) + tuple(range(2, rank + 2)) + (1,)
        self._op = (self._mode, rank)
        self._op_kwargs = {} if self._mode == "max" else {"count_include_pad": False}
        # Per spatial size: (torch padding, ceil_mode, output slices); see _plan.
        self._plans = {}
        self.built = True

    def _input_hint(self, shape):
        return _rank_hint(type(self).__name__, self._rank, shape, self._channels_last)

    def _spatial(self, shape):
        return tuple(shape[1:-1]) if self._channels_last else tuple(shape[2:])

    def _check_window(self, input_shape):
        if self.padding != "valid":
            return
        for axis, (size, window) in enumerate(zip(self._spatial(input_shape), self.pool_size)):
            if size is not None and size < window:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' cannot pool with pool_size="
                    f"{self.pool_size} over inputs of shape {tuple(input_shape)}: with "
                    f"padding='valid' the window must fit inside the input, but the input has "
                    f"size {size} on spatial axis {axis} ({_AXIS_NAMES[self._rank][axis]}), "
                    f"smaller than the pool size {window}, so the output would be empty. Use "
                    "padding='same', a smaller pool_size, or larger inputs (fewer pooling "
                    "layers before this one)."
                )

    def _plan(self, spatial, input_shape):
        """How to get Keras's padding from torch's kernels for inputs of this spatial size.

        Keras's 'same' pads ``total = max(0, (ceil(n/s) - 1)*s + k - n)`` cells per axis,
        ``total // 2`` before and the rest after. torch pads symmetrically, so an axis with
        one more cell after than before is handled without copying the input:
        with stride 1, pad the larger amount on both sides and drop the first output;
        with a larger stride, pad the smaller amount and let ``ceil_mode`` add the last
        window (torch never counts the cells it runs past in an average).
        """
        self._check_window(input_shape)
        if self.padding == "valid":
            plan = (0, False, None)
            self._plans[spatial] = plan
            return plan
        padding, ceil_mode, slices, sliced = [], False, [slice(None), slice(None)], False
        for size, window, stride in zip(spatial, self.pool_size, self.strides):
            out = -(-size // stride)
            total = max(0, (out - 1) * stride + window - size)
            before, after = total // 2, total - total // 2
            if before == after:
                padding.append(before)
                slices.append(slice(None))
            elif stride == 1:
                padding.append(after)
                slices.append(slice(1, None))
                sliced = True
            else:
                padding.append(before)
                slices.append(slice(None))
                ceil_mode = True
        plan = (tuple(padding), ceil_mode, tuple(slices) if sliced else None)
        self._plans[spatial] = plan
        return plan

    def call(self, inputs):
        x = inputs.permute(self._to_channels_first) if self._channels_last else inputs
        spatial = tuple(x.shape[2:])
        plan = self._plans.get(spatial)
        if plan is None:
            plan = self._plan(spatial, tuple(inputs.shape))
        padding, ceil_mode, slices = plan
        outputs = _POOL_OPS[self._op](x, kernel_size=self.pool_size, stride=self.strides,
                                      padding=padding, ceil_mode=ceil_mode, **self._op_kwargs)
        if slices is not None:
            outputs = outputs[slices]
        return outputs.permute(self._to_channels_last) if self._channels_last else outputs

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._check_window(input_shape)
        sizes = []
        for size, window, stride in zip(self._spatial(input_shape), self.pool_size, self.strides):
            if size is None:
                sizes.append(None)
            elif self.padding == "same":
                sizes.append(-(-size // stride))
            else:
                sizes.append((size - window) // stride + 1)
        if self._channels_last:
            return (input_shape[0],) + tuple(sizes) + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + tuple(sizes)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }


@builtin("layers", "MaxPool1D")
class MaxPooling1D(_Pooling):
    """Max pooling for temporal data: the largest value of each window of steps, per feature.

    Args:
        pool_size: int, the window length (default 2).
        strides: int, how far the window moves each step; default
            ``pool_size`` (windows do not overlap).
        padding: ``'valid'`` (no padding; the input must have at least
            ``pool_size`` steps) or ``'same'`` (the output has
            ``ceil(steps / strides)`` steps; padded cells never win the max).
        data_format: ``'channels_last'`` (default, from
            ``layerwise.backend.image_data_format()``): inputs
            ``(batch, steps, features)``; or ``'channels_first'``:
            ``(batch, features, steps)``.

    Input shape:
        ``(batch, steps, features)`` (channels_last) or
        ``(batch, features, steps)`` (channels_first).

    Output shape:
        the same layout with ``downsampled_steps`` steps:
        ``(steps - pool_size) // strides + 1`` with ``'valid'``,
        ``ceil(steps / strides)`` with ``'same'``.

    Example:

    >>> x = np.array([1., 2., 3., 4., 5.]).reshape(1, 5, 1)
    >>> layerwise.layers.MaxPooling1D(pool_size=2, strides=1)(x)[0, :, 0]
    tensor([2., 3., 4., 5.])
    >>> layerwise.layers.MaxPooling1D(pool_size=2, padding="same")(x)[0, :, 0]
    tensor([2., 4., 5.])
    """

    _rank, _mode = 1, "max"


@builtin("layers", "MaxPool2D")
class MaxPooling2D(_Pooling):
    """Max pooling for images: the largest value of each ``pool_size`` window, per channel.

    Args:
        pool_size: int or tuple of 2 ints ``(rows, cols)``, the window size
            (default ``(2, 2)``; an int is used for both axes).
        strides: int or tuple of 2 ints, how far the window moves; default
            ``pool_size`` (windows do not overlap).
        padding: ``'valid'`` (no padding; each spatial axis must be at least
            ``pool_size``) or ``'same'`` (the output has
            ``ceil(size / strides)`` positions per axis; padded cells never
            win the max).
        data_format: ``'channels_last'`` (default, from
            ``layerwise.backend.image_data_format()``) or ``'channels_first'``.

    Input shape:
        ``(batch, rows, cols, channels)`` (channels_last) or
        ``(batch, channels, rows, cols)`` (channels_first).

    Output shape:
        the same layout with ``pooled_rows, pooled_cols``: each size ``n``
        becomes ``(n - pool_size) // strides + 1`` with ``'valid'`` and
        ``ceil(n / strides)`` with ``'same'``.

    Example:

    >>> x = np.arange(16.).reshape(1, 4, 4, 1)
    >>> layerwise.layers.MaxPooling2D(pool_size=(2, 2))(x)[0, :, :, 0]
    tensor([[ 5.,  7.],
            [13., 15.]])
    >>> layerwise.layers.MaxPooling2D(3, strides=2, padding="same")(x).shape
    torch.Size([1, 2, 2, 1])
    """

    _rank, _mode = 2, "max"


@builtin("layers", "MaxPool3D")
class MaxPooling3D(_Pooling):
    """Max pooling for volumes (video, scans): the largest value of each 3-D window, per channel.

    Args:
        pool_size: int or tuple of 3 ints, the window size (default
            ``(2, 2, 2)``).
        strides: int or tuple of 3 ints, how far the window moves; default
            ``pool_size``.
        padding: ``'valid'`` (no padding) or ``'same'`` (the output has
            ``ceil(size / strides)`` positions per axis; padded cells never
            win the max).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` (channels_last) or
        ``(batch, channels, dim1, dim2, dim3)`` (channels_first).

    Output shape:
        the same layout with each spatial size ``n`` becoming
        ``(n - pool_size) // strides + 1`` (``'valid'``) or
        ``ceil(n / strides)`` (``'same'``).

    Example:

    >>> x = np.zeros((2, 8, 8, 8, 3))
    >>> layerwise.layers.MaxPooling3D(pool_size=2)(x).shape
    torch.Size([2, 4, 4, 4, 3])
    """

    _rank, _mode = 3, "max"


@builtin("layers", "AvgPool1D")
class AveragePooling1D(_Pooling):
    """Average pooling for temporal data: the mean of each window of steps, per feature.

    Args:
        pool_size: int, the window length (default 2, as in Keras 2; Keras 3
            requires it).
        strides: int, how far the window moves each step; default
            ``pool_size``.
        padding: ``'valid'`` (no padding) or ``'same'`` (the output has
            ``ceil(steps / strides)`` steps; padded cells are not counted in
            the average, as in Keras and TensorFlow).
        data_format: ``'channels_last'`` (default): inputs
            ``(batch, steps, features)``; or ``'channels_first'``:
            ``(batch, features, steps)``.

    Input shape:
        ``(batch, steps, features)`` (channels_last) or
        ``(batch, features, steps)`` (channels_first).

    Output shape:
        the same layout with ``(steps - pool_size) // strides + 1`` steps
        (``'valid'``) or ``ceil(steps / strides)`` (``'same'``).

    Example:

    >>> x = np.array([1., 2., 3., 4., 5.]).reshape(1, 5, 1)
    >>> layerwise.layers.AveragePooling1D(pool_size=2, strides=1)(x)[0, :, 0]
    tensor([1.5000, 2.5000, 3.5000, 4.5000])
    >>> layerwise.layers.AveragePooling1D(pool_size=2, padding="same")(x)[0, :, 0]
    tensor([1.5000, 3.5000, 5.0000])
    """

    _rank, _mode = 1, "average"


@builtin("layers", "AvgPool2D")
class AveragePooling2D(_Pooling):
    """Average pooling for images: the mean of each ``pool_size`` window, per channel.

    Args:
        pool_size: int or tuple of 2 ints ``(rows, cols)``, the window size
            (default ``(2, 2)``, as in Keras 2; Keras 3 requires it).
        strides: int or tuple of 2 ints, how far the window moves; default
            ``pool_size``.
        padding: ``'valid'`` (no padding) or ``'same'`` (the output has
            ``ceil(size / strides)`` positions per axis; padded cells are not
            counted in the average, as in Keras and TensorFlow).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape:
        ``(batch, rows, cols, channels)`` (channels_last) or
        ``(batch, channels, rows, cols)`` (channels_first).

    Output shape:
        the same layout with each spatial size ``n`` becoming
        ``(n - pool_size) // strides + 1`` (``'valid'``) or
        ``ceil(n / strides)`` (``'same'``).

    Example:

    >>> x = np.arange(16.).reshape(1, 4, 4, 1)
    >>> layerwise.layers.AveragePooling2D(pool_size=(2, 2))(x)[0, :, :, 0]
    tensor([[ 2.5000,  4.5000],
            [10.5000, 12.5000]])
    """

    _rank, _mode = 2, "average"


@builtin("layers", "AvgPool3D")
class AveragePooling3D(_Pooling):
    """Average pooling for volumes (video, scans): the mean of each 3-D window, per channel.

    Args:
        pool_size: int or tuple of 3 ints, the window size (default
            ``(2, 2, 2)``, as in Keras 2; Keras 3 requires it).
        strides: int or tuple of 3 ints, how far the window moves; default
            ``pool_size``.
        padding: ``'valid'`` (no padding) or ``'same'`` (the output has
            ``ceil(size / strides)`` positions per axis; padded cells are not
            counted in the average).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` (channels_last) or
        ``(batch, channels, dim1, dim2, dim3)`` (channels_first).

    Output shape:
        the same layout with each spatial size ``n`` becoming
        ``(n - pool_size) // strides + 1`` (``'valid'``) or
        ``ceil(n / strides)`` (``'same'``).

    Example:

    >>> x = np.zeros((2, 8, 8, 8, 3))
    >>> layerwise.layers.AveragePooling3D(pool_size=2)(x).shape
    torch.Size([2, 4, 4, 4, 3])
    """

    _rank, _mode = 3, "average"

class _GlobalPooling(Layer):
    """Shared base of GlobalMax/GlobalAveragePooling1D/2D/3D (subclasses set ``_rank``, ``_mode``)."""

    _rank = None
    _mode = None  # "max" or "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        rank = self._rank
        self.data_format = _standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=rank + 2)
        self._channels_last = self.data_format == "channels_last"
        self._axes = tuple(range(1, rank + 1)) if self._channels_last else tuple(range(2, rank + 2))
        self._max = self._mode == "max"
        self.built = True

    def _input_hint(self, shape):
        return _rank_hint(type(self).__name__, self._rank, shape, self._channels_last)

    def call(self, inputs):
        if self._max:
            return torch.amax(inputs, dim=self._axes, keepdim=self.keepdims)
        return torch.mean(inputs, dim=self._axes, keepdim=self.keepdims)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        channels = input_shape[-1] if self._channels_last else input_shape[1]
        if not self.keepdims:
            return (input_shape[0], channels)
        ones = (1,) * self._rank
        if self._channels_last:
            return (input_shape[0],) + ones + (channels,)
        return (input_shape[0], channels) + ones

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


@builtin("layers", "GlobalMaxPool1D")
class GlobalMaxPooling1D(_GlobalPooling):
    """Global max pooling for temporal data: the largest value over all steps, per feature.

    Args:
        data_format: ``'channels_last'`` (default): inputs
            ``(batch, steps, features)``; or ``'channels_first'``:
            ``(batch, features, steps)``.
        keepdims: if ``True`` the steps axis is kept with size 1; by default
            it is removed.

    Input shape:
        ``(batch, steps, features)`` (channels_last) or
        ``(batch, features, steps)`` (channels_first).

    Output shape:
        ``(batch, features)``; with ``keepdims=True``
        ``(batch, 1, features)`` or ``(batch, features, 1)``.

    Example:

    >>> x = np.array([[[1., 6.], [4., 2.], [3., 5.]]])
    >>> layerwise.layers.GlobalMaxPooling1D()(x)
    tensor([[4., 6.]])
    """

    _rank, _mode = 1, "max"


@builtin("layers", "GlobalMaxPool2D")
class GlobalMaxPooling2D(_GlobalPooling):
    """Global max pooling for images: the largest value over all positions, per channel.

    Args:
        data_format: ``'channels_last'`` (default, from
            ``layerwise.backend.image_data_format()``) or ``'channels_first'``.
        keepdims: if ``True`` the spatial axes are kept with size 1; by
            default they are removed.

    Input shape:
        ``(batch, rows, cols, channels)`` (channels_last) or
        ``(batch, channels, rows, cols)`` (channels_first).

    Output shape:
        ``(batch, channels)``; with ``keepdims=True``
        ``(batch, 1, 1, channels)`` or ``(batch, channels, 1, 1)``.

    Example:

    >>> x = np.zeros((2, 4, 5, 3))
    >>> layerwise.layers.GlobalMaxPooling2D()(x).shape
    torch.Size([2, 3])
    >>> layerwise.layers.GlobalMaxPooling2D(keepdims=True)(x).shape
    torch.Size([2, 1, 1, 3])
    """

    _rank, _mode = 2, "max"


@builtin("layers", "GlobalMaxPool3D")
class GlobalMaxPooling3D(_GlobalPooling):
    """Global max pooling for volumes: the largest value over all positions, per channel.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: if ``True`` the spatial axes are kept with size 1.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` (channels_last) or
        ``(batch, channels, dim1, dim2, dim3)`` (channels_first).

    Output shape:
        ``(batch, channels)``; with ``keepdims=True``
        ``(batch, 1, 1, 1, channels)`` or ``(batch, channels, 1, 1, 1)``.

    Example:

    >>> x = np.zeros((2, 4, 5, 6, 3))
    >>> layerwise.layers.GlobalMaxPooling3D()(x).shape
    torch.Size([2, 3])
    """

    _rank, _mode = 3, "max"


@builtin("layers", "GlobalAvgPool1D")
class GlobalAveragePooling1D(_GlobalPooling):
    """Global average pooling for temporal data: the mean over all steps, per feature.

    Supports masking: steps masked by an earlier layer (``Embedding(mask_zero=True)``,
    ``Masking``) are left out of the average. The output carries no mask.

    Args:
        data_format: ``'channels_last'`` (default): inputs
            ``(batch, steps, features)``; or ``'channels_first'``:
            ``(batch, features, steps)``.
        keepdims: if ``True`` the steps axis is kept with size 1.

    Call arguments:
        inputs: a 3-D tensor.
        mask: optional boolean tensor ``(batch, steps)``; steps where it is
            ``False`` are excluded from the average (a sample whose steps are
            all masked gives NaN, as in Keras).

    Input shape:
        ``(batch, steps, features)`` (channels_last) or
        ``(batch, features, steps)`` (channels_first).

    Output shape:
        ``(batch, features)``; with ``keepdims=True``
        ``(batch, 1, features)`` or ``(batch, features, 1)``.

    Example:

    >>> x = np.array([[[1., 6.], [4., 2.], [4., 4.]]])
    >>> layerwise.layers.GlobalAveragePooling1D()(x)
    tensor([[3., 4.]])
    >>> layerwise.layers.GlobalAveragePooling1D()(x, mask=np.array([[True, True, False]]))
    tensor([[2.5000, 4.0000]])
    """

    _rank, _mode = 1, "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True
        self._mask_axis = 2 if self._channels_last else 1

    def call(self, inputs, mask=None):
        if mask is None:
            return torch.mean(inputs, dim=self._axes, keepdim=self.keepdims)
        if not isinstance(mask, torch.Tensor):  # a mask given by hand as numpy or a list
            mask = torch.as_tensor(np.asarray(mask), device=inputs.device)
        keep = mask.to(torch.bool).unsqueeze(self._mask_axis)
        total = torch.where(keep, inputs, 0).sum(dim=self._axes, keepdim=self.keepdims)
        count = keep.to(inputs.dtype).sum(dim=self._axes, keepdim=self.keepdims)
        return total / count

    def compute_mask(self, inputs, mask=None):
        return None


@builtin("layers", "GlobalAvgPool2D")
class GlobalAveragePooling2D(_GlobalPooling):
    """Global average pooling for images: the mean over all positions, per channel.

    The usual head of a convolutional network before the classifier.

    Args:
        data_format: ``'channels_last'`` (default, from
            ``layerwise.backend.image_data_format()``) or ``'channels_first'``.
        keepdims: if ``True`` the spatial axes are kept with size 1.

    Input shape:
        ``(batch, rows, cols, channels)`` (channels_last) or
        ``(batch, channels, rows, cols)`` (channels_first).

    Output shape:
        ``(batch, channels)``; with ``keepdims=True``
        ``(batch, 1, 1, channels)`` or ``(batch, channels, 1, 1)``.

    Example:

    >>> x = np.ones((2, 4, 5, 3))
    >>> layerwise.layers.GlobalAveragePooling2D()(x)
    tensor([[1., 1., 1.],
            [1., 1., 1.]])
    """

    _rank, _mode = 2, "average"


@builtin("layers", "GlobalAvgPool3D")
class GlobalAveragePooling3D(_GlobalPooling):
    """Global average pooling for volumes: the mean over all positions, per channel.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        keepdims: if ``True`` the spatial axes are kept with size 1.

    Input shape:
        ``(batch, dim1, dim2, dim3, channels)`` (channels_last) or
        ``(batch, channels, dim1, dim2, dim3)`` (channels_first).

    Output shape:
        ``(batch, channels)``; with ``keepdims=True``
        ``(batch, 1, 1, 1, channels)`` or ``(batch, channels, 1, 1, 1)``.

    Example:

    >>> x = np.zeros((2, 4, 5, 6, 3))
    >>> layerwise.layers.GlobalAveragePooling3D(keepdims=True)(x).shape
    torch.Size([2, 1, 1, 1, 3])
    """

    _rank, _mode = 3, "average"

# Keras's short names are the same classes.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = \
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = \
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D

__all__ = [
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "AvgPool1D", "AvgPool2D", "AvgPool3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "MaxPool1D", "MaxPool2D", "MaxPool3D",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
]
