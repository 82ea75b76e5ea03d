"""Convolution layers: Conv1D/2D/3D, SeparableConv1D/2D, DepthwiseConv1D/2D, Conv1D/2D/3DTranspose.

They follow Keras 3 (the specification) number for number: the same
arguments and defaults, the same weights in Keras's layout and order
(``Conv2D`` kernel ``(rows, cols, in_channels // groups, filters)``,
``DepthwiseConv2D`` kernel ``(rows, cols, in_channels, depth_multiplier)``,
``SeparableConv2D`` ``depthwise_kernel`` and ``pointwise_kernel``,
``Conv2DTranspose`` kernel ``(rows, cols, filters, in_channels)``), the same
``'same'`` padding (when the total padding along an axis is odd, the extra
row or column goes at the end: bottom and right), the same output shapes and
the same config keys.

They compute with torch's fused kernels (``F.conv2d``, ``F.conv3d``,
``F.conv_transpose2d``, ...). Images are channels_last by default: the input
``(batch, rows, cols, channels)`` is handed to torch as a permuted *view*
``(batch, channels, rows, cols)`` -- which is exactly a channels_last-memory
NCHW tensor, torch's fast CPU/GPU layout -- and the output comes back as a
view too; the kernel is a permuted view of the Keras-layout weight. 1-D
convolutions run as 2-D ones over a unit-height image (a free view), which
lets torch use the same channels_last path. Everything that depends only on
the configuration (permutations, padding plans, the torch function) is
decided once, in ``__init__``/``build``.

>>> x = np.random.rand(4, 32, 32, 3).astype("float32")
>>> layerwise.layers.Conv2D(16, 3, padding="same", activation="relu")(x).shape
torch.Size([4, 32, 32, 16])
"""

import numbers

import torch.nn.functional as F

from layerwise import activations, backend, constraints, initializers, regularizers
from layerwise.engine.layer import InputSpec, Layer
from layerwise.saving.registry import builtin

_CONV = {2: F.conv2d, 3: F.conv3d}
_CONV_TRANSPOSE = {2: F.conv_transpose2d, 3: F.conv_transpose3d}
_LAYOUT = {
    1: ("steps",),
    2: ("rows", "cols"),
    3: ("dim1", "dim2", "dim3"),
}


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _positive_int(where, argument, value, example):
    if not _is_int(value) or value <= 0:
        raise ValueError(
            f"{where} expects {argument} to be a positive integer, got {value!r}. "
            f"For example {argument}={example}."
        )
    return int(value)


def _int_tuple(where, argument, value, rank, allow_zero=False):
    """``value`` (an int or ``rank`` ints) as a tuple of ``rank`` ints, validated like Keras."""
    bound = "non-negative" if allow_zero else "positive"
    example = "(2,)" if rank == 1 else str((2,) * rank)
    message = (
        f"{where} expects {argument} to be an integer or a tuple of {rank} {bound} integers, "
        f"got {argument}={value!r}. For example {argument}=2 or {argument}={example}."
    )
    if _is_int(value):
        values = (int(value),) * rank
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(message) from None
        if len(values) != rank or not all(_is_int(v) for v in values):
            raise ValueError(message)
        values = tuple(int(v) for v in values)
    if any(v < 0 or (v == 0 and not allow_zero) for v in values):
        raise ValueError(message)
    return values


def _data_format(where, value):
    if value is None:
        return backend.image_data_format()
    text = str(value).lower()
    if text not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{where} expects data_format 'channels_last' (batch, ..., channels) or "
            f"'channels_first' (batch, channels, ...), got {value!r}."
        )
    return text


def _padding(where, value, allowed):
    if isinstance(value, str) and value.lower() in allowed:
        return value.lower()
    choices = ", ".join(repr(a) for a in allowed)
    extra = ""
    if not isinstance(value, str):
        extra = " For explicit padding amounts, put a ZeroPadding layer before this one."
    raise ValueError(f"{where} expects padding to be one of {choices}, got padding={value!r}.{extra}")


class _BaseConvolution(Layer):
    """What every N-D convolution shares: argument checks, layouts, padding, shapes, errors.

    Subclasses set ``_rank`` (1, 2 or 3) and implement ``_make_weights(channels, shape)``,
    ``_output_channels(shape)`` and ``_convolve(x)`` (channels_first torch tensor in and out);
    transposed convolutions also override ``compute_output_shape``.
    Internally a rank-1 convolution runs as a rank-2 one over a unit-height
    image; the ``_t*`` tuples hold the torch-side (internal) sizes.
    """

    _rank = None
    _paddings = ("valid", "same")

    def __init__(self, kernel_size, strides, padding, data_format, dilation_rate, activation,
                 use_bias, bias_initializer, bias_regularizer, bias_constraint,
                 activity_regularizer=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        rank = self._rank
        where = self._where()
        self.rank = rank
        self.kernel_size = _int_tuple(where, "kernel_size", kernel_size, rank)
        self.strides = _int_tuple(where, "strides", strides, rank)
        self.dilation_rate = _int_tuple(where, "dilation_rate", dilation_rate, rank)
        self.padding = _padding(where, padding, self._paddings)
        self.data_format = _data_format(where, data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

        self._channels_last = self.data_format == "channels_last"
        self._channel_axis = -1 if self._channels_last else 1
        # Torch-side geometry: rank-1 convolutions run as (1, steps) images.
        lead = (1,) if rank == 1 else ()
        self._trank = max(rank, 2)
        self._tkernel = lead + self.kernel_size
        self._tstrides = lead + self.strides
        self._tdilation = lead + self.dilation_rate
        # Keras layout <-> torch layout, as permutations (views, never copies).
        self._to_channels_first = (0, rank + 1) + tuple(range(1, rank + 1))
        self._to_channels_last = (0,) + tuple(range(2, rank + 2)) + (1,)
        # A (k..., a, b) Keras kernel is a (b, a, k...) torch kernel.
        self._kernel_permutation = (rank + 1, rank) + tuple(range(rank))

    # ------------------------------------------------------------------ helpers

    def _where(self):
        return f"{type(self).__name__} '{self.name}'"

    def _spatial(self, shape):
        return tuple(shape[1:-1]) if self._channels_last else tuple(shape[2:])

    def _expected_layout(self):
        names = _LAYOUT[self._rank]
        axes = ("batch",) + names + ("channels",) if self._channels_last else \
            ("batch", "channels") + names
        return "(" + ", ".join(axes) + ")"

    def _input_hint(self, shape):
        hint = f" Expected {self.data_format} inputs {self._expected_layout()}."
        if len(shape) != self._rank + 1:
            return hint
        spatial = tuple(shape[1:])
        if self._channels_last:
            index, reshaped = "x[..., None]", spatial + (1,)
        else:
            index, reshaped = "x[:, None]", (1,) + spatial
        fix = index
        if all(d is not None for d in spatial):
            fix += f" or Reshape({reshaped})"
        hint += f" The channel axis is missing; add a channel axis: {fix}."
        if self._channels_last and shape[0] is not None and shape[-1] in (1, 3, 4):
            hint += (f" (If {shape} is one sample that already has its channels, add a batch axis "
                     "instead: x[None, ...].)")
        return hint

    def _input_channels(self, input_shape):
        """Check the rank of a build shape and return its (known) number of channels."""
        shape = tuple(None if d is None else int(d) for d in input_shape)
        if len(shape) != self._rank + 2:
            raise ValueError(
                f"{self._where()} expects inputs of rank {self._rank + 2}, got rank {len(shape)} "
                f"(shape {shape})." + self._input_hint(shape)
            )
        channels = shape[self._channel_axis]
        if channels is None:
            raise ValueError(
                f"{self._where()} needs to know the number of input channels, but the input shape "
                f"{shape} leaves axis {self._channel_axis} unknown. Give the Input a channel size, "
                f"e.g. Input(shape={self._example_input()})."
            )
        return channels, shape

    def _example_input(self):
        spatial = (28,) * self._rank
        return spatial + (3,) if self._channels_last else (3,) + spatial

    def build(self, input_shape):
        channels, shape = self._input_channels(input_shape)
        self._make_weights(channels, shape)
        self.compute_output_shape(shape)  # refuses inputs smaller than the kernel
        self.input_spec = InputSpec(ndim=self._rank + 2, axes={self._channel_axis: channels})

    def _effective_kernel(self):
        return tuple((k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate))

    def _too_small(self, shape, spatial):
        effective = self._effective_kernel()
        kernel = f"kernel_size {self.kernel_size}"
        if any(d > 1 for d in self.dilation_rate):
            kernel += f" (with dilation_rate {self.dilation_rate}: spans {effective})"
        return ValueError(
            f"{self._where()} has {kernel}, larger than its input: spatial size {spatial} "
            f"(input shape {shape}), so with padding='valid' the output would be empty. "
            "Use padding='same', a smaller kernel_size, or a larger input (fewer pooling layers "
            "before this one)."
        )

    def _output_spatial_size(self, n, k, s, d):
        """Output length along one axis (Keras's formula) for a forward convolution."""
        if n is None:
            return None
        if self.padding == "valid":
            return (n - (k - 1) * d - 1) // s + 1
        return (n - 1) // s + 1  # 'same' and 'causal': ceil(n / s)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        spatial = self._spatial(shape)
        out = tuple(
            self._output_spatial_size(n, k, s, d)
            for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        if any(o is not None and o <= 0 for o in out):
            raise self._too_small(shape, spatial)
        channels = self._output_channels(shape)
        if self._channels_last:
            return (shape[0],) + out + (channels,)
        return (shape[0], channels) + out

    # ------------------------------------------------------------------ computing

    def _torch_kernel(self, kernel):
        """A Keras-layout kernel ``(k..., a, b)`` as the torch kernel ``(b, a, k...)`` (a view)."""
        kernel = kernel.permute(self._kernel_permutation)
        return kernel.unsqueeze(2) if self._rank == 1 else kernel

    def call(self, inputs):
        x = inputs
        dtype = self._own_variables[0].dtype
        if x.dtype != dtype:
            x = x.to(dtype)
        if self._channels_last:
            x = x.permute(self._to_channels_first)
        if self._rank == 1:
            x = x.unsqueeze(2)
        try:
            y = self._convolve(x)
        except RuntimeError:
            # Torch refused; if the input is smaller than the kernel (a layer built for other
            # sizes), say so in Keras's terms instead of torch's.
            try:
                self.compute_output_shape(tuple(inputs.shape))
            except ValueError as explained:
                raise explained from None
            raise
        if self._rank == 1:
            y = y.squeeze(2)
        if self._channels_last:
            y = y.permute(self._to_channels_last)
        return self.activation(y)

    def get_config(self):
        return {
            **super().get_config(),
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


class _ForwardConvolution(_BaseConvolution):
    """Convolutions (not transposed): Keras's 'valid'/'same'/'causal' padding, planned once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._padding_cache = {}
        # With 'valid', 'causal', or 'same' at stride 1, the padding does not depend on the input
        # size: plan it now. Otherwise ('same' with a stride) plan it once per input size.
        self._static_padding = None
        if self.padding != "same" or all(s == 1 for s in self.strides):
            self._static_padding = self._plan_padding(None)

    def _plan_padding(self, spatial):
        """``(torch_padding, explicit_pad)`` for internal (torch-side) spatial sizes.

        Symmetric padding goes to the torch kernel itself (no copy); asymmetric padding (Keras's
        'same' with an odd total puts the extra at the end; 'causal' pads only the start) is an
        explicit ``F.pad`` before a padding-free convolution.
        """
        pads = []
        for axis, (k, s, d) in enumerate(zip(self._tkernel, self._tstrides, self._tdilation)):
            span = (k - 1) * d + 1
            if self.padding == "valid":
                pads.append((0, 0))
            elif self.padding == "causal":
                pads.append((span - 1, 0))
            else:
                if s == 1:
                    total = span - 1
                else:
                    n = spatial[axis]
                    total = max(0, ((n + s - 1) // s - 1) * s + span - n)
                pads.append((total // 2, total - total // 2))
        if all(left == right for left, right in pads):
            return tuple(left for left, _ in pads), None
        explicit = []
        for left, right in reversed(pads):  # F.pad wants the last axis first
            explicit += [left, right]
        return (0,) * len(pads), tuple(explicit)

    def _pad(self, x):
        plan = self._static_padding
        if plan is None:
            spatial = tuple(x.shape[2:])
            plan = self._padding_cache.get(spatial)
            if plan is None:
                plan = self._padding_cache[spatial] = self._plan_padding(spatial)
        torch_padding, explicit = plan
        if explicit is not None:
            x = F.pad(x, explicit)
        return x, torch_padding


class _Conv(_ForwardConvolution):
    """Conv1D/2D/3D: ``activation(conv(inputs, kernel) + bias)``."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        where = self._where()
        if lora_rank is not None:
            raise ValueError(f"{where}: layerwise's convolutions do not support LoRA (lora_rank) yet.")
        self.filters = _positive_int(where, "filters", filters, 32)
        self.groups = _positive_int(where, "groups", groups, 1)
        if self.filters % self.groups:
            below = self.filters // self.groups * self.groups
            options = [v for v in (below, below + self.groups) if v > 0]
            raise ValueError(
                f"{where} got filters={self.filters} and groups={self.groups}: filters must be "
                f"divisible by groups (each group computes filters // groups outputs). Use filters="
                + " or ".join(str(v) for v in options) + ", or groups=1."
            )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{where} got strides={self.strides} and dilation_rate={self.dilation_rate}; Keras "
                "does not support strides > 1 together with dilation_rate > 1. Use one of them."
            )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self._conv = _CONV[self._trank]

    def _make_weights(self, channels, shape):
        if channels % self.groups:
            raise ValueError(
                f"{self._where()} has groups={self.groups}, but its input has {channels} channels "
                f"(input shape {shape}); the input channels must be divisible by groups."
            )
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels // self.groups, self.filters),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint, name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias",
            )

    def _output_channels(self, shape):
        return self.filters

    def _convolve(self, x):
        x, padding = self._pad(x)
        return self._conv(x, self._torch_kernel(self.kernel), self.bias, self._tstrides, padding,
                          self._tdilation, self.groups)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "groups": self.groups,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }


@builtin("layers", "Convolution1D")
class Conv1D(_Conv):
    """1D convolution layer (e.g. temporal convolution).

    Convolves a kernel with the input over one spatial (or temporal) axis:
    ``activation(conv1d(inputs, kernel) + bias)``. The kernel has Keras's
    layout ``(kernel_size, input_channels // groups, filters)``.

    Args:
        filters: int, the number of output channels (filters).
        kernel_size: int or tuple of 1 int, the length of the convolution window.
        strides: int or tuple of 1 int, the stride of the window. ``strides > 1``
            is incompatible with ``dilation_rate > 1``.
        padding: ``"valid"`` (no padding), ``"same"`` (pad evenly, any extra at
            the end, so that ``output_length = ceil(input_length / strides)``) or
            ``"causal"`` (pad only the start, so ``output[t]`` never depends on
            ``input[t + 1:]``; see WaveNet, https://arxiv.org/abs/1609.03499).
            Case-insensitive.
        data_format: ``"channels_last"`` (default, ``(batch, steps, features)``)
            or ``"channels_first"`` (``(batch, features, steps)``).
        dilation_rate: int or tuple of 1 int, the dilation of the window.
        groups: positive int; the input channels are split into ``groups``
            groups, each convolved with ``filters // groups`` filters. Input
            channels and ``filters`` must both be divisible by ``groups``.
        activation: activation function or its name; ``None`` for none.
        use_bias: bool, whether to add a bias vector.
        kernel_initializer: initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: initializer of the bias (default ``"zeros"``).
        kernel_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        kernel_constraint: optional constraint applied to the kernel after
            each optimizer step.
        bias_constraint: optional constraint applied to the bias after each
            optimizer step.

    Input shape: ``(batch, steps, channels)`` (channels_last) or
    ``(batch, channels, steps)`` (channels_first).

    Output shape: ``(batch, new_steps, filters)`` (channels_last) or
    ``(batch, filters, new_steps)`` (channels_first).

    Example:

    >>> # 4 sequences of 10 time steps with 128 features each
    >>> x = np.random.rand(4, 10, 128)
    >>> y = layerwise.layers.Conv1D(32, 3, activation="relu")(x)
    >>> y.shape
    torch.Size([4, 8, 32])
    """

    _rank = 1
    _paddings = ("valid", "same", "causal")


@builtin("layers", "Convolution2D")
class Conv2D(_Conv):
    """2D convolution layer (e.g. spatial convolution over images).

    Convolves a kernel with the input over two spatial axes:
    ``activation(conv2d(inputs, kernel) + bias)``. The kernel has Keras's
    layout ``(rows, cols, input_channels // groups, filters)``.

    Args:
        filters: int, the number of output channels (filters).
        kernel_size: int or tuple of 2 ints, the height and width of the
            convolution window.
        strides: int or tuple of 2 ints, the stride along the height and the
            width. ``strides > 1`` is incompatible with ``dilation_rate > 1``.
        padding: ``"valid"`` (no padding) or ``"same"`` (pad evenly, any extra
            row/column at the bottom/right, so that
            ``output_size = ceil(input_size / strides)``). Case-insensitive.
        data_format: ``"channels_last"`` (default,
            ``(batch, height, width, channels)``) or ``"channels_first"``
            (``(batch, channels, height, width)``).
        dilation_rate: int or tuple of 2 ints, the dilation of the window.
        groups: positive int; the input channels are split into ``groups``
            groups, each convolved with ``filters // groups`` filters. Input
            channels and ``filters`` must both be divisible by ``groups``.
        activation: activation function or its name; ``None`` for none.
        use_bias: bool, whether to add a bias vector.
        kernel_initializer: initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: initializer of the bias (default ``"zeros"``).
        kernel_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        kernel_constraint: optional constraint applied to the kernel after
            each optimizer step.
        bias_constraint: optional constraint applied to the bias after each
            optimizer step.

    Input shape: ``(batch, height, width, channels)`` (channels_last) or
    ``(batch, channels, height, width)`` (channels_first). A batch of
    grayscale images ``(n, 28, 28)`` needs a channel axis first:
    ``x[..., None]`` or ``Reshape((28, 28, 1))``.

    Output shape: ``(batch, new_height, new_width, filters)`` (channels_last)
    or ``(batch, filters, new_height, new_width)`` (channels_first).

    Example:

    >>> x = np.random.rand(4, 10, 10, 128)
    >>> y = layerwise.layers.Conv2D(32, 3, activation="relu")(x)
    >>> y.shape
    torch.Size([4, 8, 8, 32])
    """

    _rank = 2


@builtin("layers", "Convolution3D")
class Conv3D(_Conv):
    """3D convolution layer (e.g. spatial convolution over volumes or video).

    Convolves a kernel with the input over three spatial axes:
    ``activation(conv3d(inputs, kernel) + bias)``. The kernel has Keras's
    layout ``(d1, d2, d3, input_channels // groups, filters)``.

    Args:
        filters: int, the number of output channels (filters).
        kernel_size: int or tuple of 3 ints, the size of the convolution window.
        strides: int or tuple of 3 ints, the strides of the window.
            ``strides > 1`` is incompatible with ``dilation_rate > 1``.
        padding: ``"valid"`` (no padding) or ``"same"`` (pad evenly, any extra
            at the end of each axis). Case-insensitive.
        data_format: ``"channels_last"`` (default,
            ``(batch, d1, d2, d3, channels)``) or ``"channels_first"``
            (``(batch, channels, d1, d2, d3)``).
        dilation_rate: int or tuple of 3 ints, the dilation of the window.
        groups: positive int; the input channels are split into ``groups``
            groups, each convolved with ``filters // groups`` filters.
        activation: activation function or its name; ``None`` for none.
        use_bias: bool, whether to add a bias vector.
        kernel_initializer: initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: initializer of the bias (default ``"zeros"``).
        kernel_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        kernel_constraint: optional constraint applied to the kernel after
            each optimizer step.
        bias_constraint: optional constraint applied to the bias after each
            optimizer step.

    Input shape: ``(batch, d1, d2, d3, channels)`` (channels_last) or
    ``(batch, channels, d1, d2, d3)`` (channels_first).

    Output shape: ``(batch, new_d1, new_d2, new_d3, filters)`` (channels_last)
    or ``(batch, filters, new_d1, new_d2, new_d3)`` (channels_first).

    Example:

    >>> x = np.random.rand(4, 10, 10, 10, 128)
    >>> y = layerwise.layers.Conv3D(32, 3, activation="relu")(x)
    >>> y.shape
    torch.Size([4, 8, 8, 8, 32])
    """

    _rank = 3


class _DepthwiseConv(_ForwardConvolution):
    """DepthwiseConv1D/2D: each input channel convolved with its own ``depth_multiplier`` kernels."""

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = _positive_int(self._where(), "depth_multiplier", depth_multiplier, 1)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self._conv = _CONV[self._trank]
        self._groups = None

    def _make_weights(self, channels, shape):
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(channels * self.depth_multiplier,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias",
            )
        self._groups = channels

    def _output_channels(self, shape):
        return shape[self._channel_axis] * self.depth_multiplier

    def _convolve(self, x):
        x, padding = self._pad(x)
        return self._conv(x, _depthwise_torch_kernel(self, self.kernel), self.bias, self._tstrides,
                          padding, self._tdilation, self._groups)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
        }


def _depthwise_torch_kernel(layer, kernel):
    """``(k..., in, multiplier)`` -> the grouped torch kernel ``(in * multiplier, 1, k...)`` (views).

    Output channel ``c * multiplier + m`` is input channel ``c`` convolved with kernel ``m``, in
    both libraries.
    """
    shape = kernel.shape
    kernel = kernel.reshape(shape[:-2] + (1, shape[-2] * shape[-1]))
    return layer._torch_kernel(kernel)


@builtin("layers")
class DepthwiseConv1D(_DepthwiseConv):
    """1D depthwise convolution layer.

    Each input channel is convolved with its own ``depth_multiplier`` kernels
    and the results are concatenated: channel ``c * depth_multiplier + m`` of
    the output is input channel ``c`` convolved with kernel ``m``. Unlike a
    regular convolution, channels are never mixed. The kernel has Keras's
    layout ``(kernel_size, input_channels, depth_multiplier)``.

    Args:
        kernel_size: int or tuple of 1 int, the length of the window.
        strides: int or tuple of 1 int, the stride of the window.
        padding: ``"valid"`` or ``"same"`` (pad evenly, any extra at the end).
        depth_multiplier: the number of output channels per input channel
            (output channels = ``input_channels * depth_multiplier``).
        data_format: ``"channels_last"`` (default, ``(batch, steps, channels)``)
            or ``"channels_first"`` (``(batch, channels, steps)``).
        dilation_rate: int or tuple of 1 int, the dilation of the window.
        activation: activation function or its name; ``None`` for none.
        use_bias: bool, whether to add a bias vector.
        depthwise_initializer: initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: initializer of the bias (default ``"zeros"``).
        depthwise_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        depthwise_constraint: optional constraint applied to the kernel after
            each optimizer step.
        bias_constraint: optional constraint applied to the bias after each
            optimizer step.

    Input shape: ``(batch, steps, channels)`` (channels_last) or
    ``(batch, channels, steps)`` (channels_first).

    Output shape: ``(batch, new_steps, channels * depth_multiplier)``
    (channels_last) or ``(batch, channels * depth_multiplier, new_steps)``
    (channels_first).

    Example:

    >>> x = np.random.rand(4, 10, 12)
    >>> y = layerwise.layers.DepthwiseConv1D(3, depth_multiplier=3, activation="relu")(x)
    >>> y.shape
    torch.Size([4, 8, 36])
    """

    _rank = 1


@builtin("layers")
class DepthwiseConv2D(_DepthwiseConv):
    """2D depthwise convolution layer.

    Each input channel is convolved with its own ``depth_multiplier`` kernels
    and the results are concatenated: channel ``c * depth_multiplier + m`` of
    the output is input channel ``c`` convolved with kernel ``m``. Unlike a
    regular convolution, channels are never mixed (the first step of a
    depthwise separable convolution). The kernel has Keras's layout
    ``(rows, cols, input_channels, depth_multiplier)``.

    Args:
        kernel_size: int or tuple of 2 ints, the height and width of the window.
        strides: int or tuple of 2 ints, the strides of the window.
        padding: ``"valid"`` or ``"same"`` (pad evenly, any extra row/column
            at the bottom/right).
        depth_multiplier: the number of output channels per input channel
            (output channels = ``input_channels * depth_multiplier``).
        data_format: ``"channels_last"`` (default,
            ``(batch, height, width, channels)``) or ``"channels_first"``.
        dilation_rate: int or tuple of 2 ints, the dilation of the window.
        activation: activation function or its name; ``None`` for none.
        use_bias: bool, whether to add a bias vector.
        depthwise_initializer: initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: initializer of the bias (default ``"zeros"``).
        depthwise_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        depthwise_constraint: optional constraint applied to the kernel after
            each optimizer step.
        bias_constraint: optional constraint applied to the bias after each
            optimizer step.

    Input shape: ``(batch, height, width, channels)`` (channels_last) or
    ``(batch, channels, height, width)`` (channels_first).

    Output shape: ``(batch, new_height, new_width, channels * depth_multiplier)``
    (channels_last) or ``(batch, channels * depth_multiplier, new_height,
    new_width)`` (channels_first).

    Example:

    >>> x = np.random.rand(4, 10, 10, 12)
    >>> y = layerwise.layers.DepthwiseConv2D(3, depth_multiplier=3, activation="relu")(x)
    >>> y.shape
    torch.Size([4, 8, 8, 36])
    """

    _rank = 2


class _SeparableConv(_ForwardConvolution):
    """SeparableConv1D/2D: a depthwise convolution, then a pointwise (1x1) one mixing channels."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        where = self._where()
        self.filters = _positive_int(where, "filters", filters, 32)
        self.depth_multiplier = _positive_int(where, "depth_multiplier", depth_multiplier, 1)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self._conv = _CONV[self._trank]
        self._groups = None
        self._unit = (1,) * self._trank

    def _make_weights(self, channels, shape):
        self.depthwise_kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, name="depthwise_kernel",
        )
        self.pointwise_kernel = self.add_weight(
            shape=(1,) * self._rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, name="pointwise_kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias",
            )
        self._groups = channels

    def _output_channels(self, shape):
        return self.filters

    def _convolve(self, x):
        x, padding = self._pad(x)
        depthwise = self._conv(x, _depthwise_torch_kernel(self, self.depthwise_kernel), None,
                               self._tstrides, padding, self._tdilation, self._groups)
        return self._conv(depthwise, self._torch_kernel(self.pointwise_kernel), self.bias)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        }


@builtin("layers", "SeparableConvolution1D")
class SeparableConv1D(_SeparableConv):
    """1D separable convolution layer.

    A depthwise convolution (each input channel convolved with its own
    ``depth_multiplier`` kernels), then a pointwise (size-1) convolution that
    mixes the channels into ``filters`` outputs, then the bias and the
    activation. Weights, in Keras's layout and order: ``depthwise_kernel``
    ``(kernel_size, input_channels, depth_multiplier)``, ``pointwise_kernel``
    ``(1, input_channels * depth_multiplier, filters)``, ``bias`` ``(filters,)``.

    Args:
        filters: int, the number of output channels of the pointwise step.
        kernel_size: int or tuple of 1 int, the length of the depthwise window.
        strides: int or tuple of 1 int, the stride of the depthwise window.
        padding: ``"valid"`` or ``"same"`` (pad evenly, any extra at the end).
        data_format: ``"channels_last"`` (default, ``(batch, steps, channels)``)
            or ``"channels_first"`` (``(batch, channels, steps)``).
        dilation_rate: int or tuple of 1 int, the dilation of the depthwise window.
        depth_multiplier: the number of depthwise output channels per input
            channel; the pointwise step sees ``input_channels * depth_multiplier``.
        activation: activation function or its name; ``None`` for none.
        use_bias: bool, whether to add a bias vector (after the pointwise step).
        depthwise_initializer: initializer of the depthwise kernel.
        pointwise_initializer: initializer of the pointwise kernel.
        bias_initializer: initializer of the bias (default ``"zeros"``).
        depthwise_regularizer: optional regularizer of the depthwise kernel.
        pointwise_regularizer: optional regularizer of the pointwise kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        depthwise_constraint: optional constraint of the depthwise kernel.
        pointwise_constraint: optional constraint of the pointwise kernel.
        bias_constraint: optional constraint of the bias.

    Input shape: ``(batch, steps, channels)`` (channels_last) or
    ``(batch, channels, steps)`` (channels_first).

    Output shape: ``(batch, new_steps, filters)`` (channels_last) or
    ``(batch, filters, new_steps)`` (channels_first).

    Example:

    >>> x = np.random.rand(4, 10, 12)
    >>> y = layerwise.layers.SeparableConv1D(3, 4, strides=3, depth_multiplier=2)(x)
    >>> y.shape
    torch.Size([4, 3, 3])
    """

    _rank = 1


@builtin("layers", "SeparableConvolution2D")
class SeparableConv2D(_SeparableConv):
    """2D separable convolution layer.

    A depthwise convolution (each input channel convolved with its own
    ``depth_multiplier`` kernels), then a pointwise (1x1) convolution that
    mixes the channels into ``filters`` outputs, then the bias and the
    activation. Weights, in Keras's layout and order: ``depthwise_kernel``
    ``(rows, cols, input_channels, depth_multiplier)``, ``pointwise_kernel``
    ``(1, 1, input_channels * depth_multiplier, filters)``, ``bias``
    ``(filters,)``.

    Args:
        filters: int, the number of output channels of the pointwise step.
        kernel_size: int or tuple of 2 ints, the size of the depthwise window.
        strides: int or tuple of 2 ints, the strides of the depthwise window.
        padding: ``"valid"`` or ``"same"`` (pad evenly, any extra row/column
            at the bottom/right).
        data_format: ``"channels_last"`` (default,
            ``(batch, height, width, channels)``) or ``"channels_first"``.
        dilation_rate: int or tuple of 2 ints, the dilation of the depthwise window.
        depth_multiplier: the number of depthwise output channels per input
            channel; the pointwise step sees ``input_channels * depth_multiplier``.
        activation: activation function or its name; ``None`` for none.
        use_bias: bool, whether to add a bias vector (after the pointwise step).
        depthwise_initializer: initializer of the depthwise kernel.
        pointwise_initializer: initializer of the pointwise kernel.
        bias_initializer: initializer of the bias (default ``"zeros"``).
        depthwise_regularizer: optional regularizer of the depthwise kernel.
        pointwise_regularizer: optional regularizer of the pointwise kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        depthwise_constraint: optional constraint of the depthwise kernel.
        pointwise_constraint: optional constraint of the pointwise kernel.
        bias_constraint: optional constraint of the bias.

    Input shape: ``(batch, height, width, channels)`` (channels_last) or
    ``(batch, channels, height, width)`` (channels_first).

    Output shape: ``(batch, new_height, new_width, filters)`` (channels_last)
    or ``(batch, filters, new_height, new_width)`` (channels_first).

    Example:

    >>> x = np.random.rand(4, 10, 10, 12)
    >>> y = layerwise.layers.SeparableConv2D(3, 4, strides=3, depth_multiplier=2)(x)
    >>> y.shape
    torch.Size([4, 3, 3, 3])
    """

    _rank = 2


def _transpose_crops(kernel, stride, dilation, padding, output_padding):
    """How much of torch's full transposed convolution Keras keeps along one axis.

    Torch's padding-free transposed convolution has length ``(n - 1) * stride + span``
    (``span`` the dilated kernel). Keras (its JAX-style definition) keeps a window of it:
    ``(crop_start, crop_end)`` are the amounts cut from each end; a negative amount means zeros
    added beyond the end.
    """
    span = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        start, end = span - 1, span - 1 + extra
    else:
        if output_padding is None:
            total = stride + span - 2  # output length n * stride
        else:
            total = span + span % 2 - 2 + output_padding
        start = min(total // 2 + total % 2, span - 1)
        end = total - start
    return span - 1 - start, span - 1 - end


class _ConvTranspose(_BaseConvolution):
    """Conv1D/2D/3DTranspose: the gradient of a convolution with respect to its input."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation,
                         use_bias, bias_initializer, bias_regularizer, bias_constraint,
                         activity_regularizer=activity_regularizer, **kwargs)
        where = self._where()
        self.filters = _positive_int(where, "filters", filters, 32)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = _int_tuple(where, "output_padding", output_padding, self._rank,
                                             allow_zero=True)
            for axis, (extra, stride) in enumerate(zip(self.output_padding, self.strides)):
                if extra >= stride:
                    raise ValueError(
                        f"{where} got output_padding={self.output_padding} and strides="
                        f"{self.strides}: output_padding must be smaller than strides on every "
                        f"axis (axis {axis}: {extra} >= {stride}). Use output_padding=None for "
                        "the default output size."
                    )
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{where} got strides={self.strides} and dilation_rate={self.dilation_rate}; Keras "
                "does not support strides > 1 together with dilation_rate > 1. Use one of them."
            )
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self._conv_transpose = _CONV_TRANSPOSE[self._trank]
        # Keras's window (crop_start, crop_end) of the full result is, when crop_start >= crop_end,
        # torch's symmetric `padding` crop_start plus an `output_padding` of crop_start - crop_end
        # at the end (always < max(stride, dilation) for Keras's configurations, as torch
        # requires). When crop_end > crop_start ('same' with an odd total, where Keras keeps the
        # start), torch pads crop_start and the rest is sliced off the end (a view). Keras never
        # needs zeros beyond torch's full result.
        extras = self.output_padding or (None,) * self._rank
        torch_padding, torch_output_padding, trims = [], [], []
        for k, s, d, extra in zip(self.kernel_size, self.strides, self.dilation_rate, extras):
            start, end = _transpose_crops(k, s, d, self.padding, extra)
            if start < 0 or start - end >= max(s, d):  # pragma: no cover - impossible in Keras
                raise ValueError(f"{where}: unsupported transposed-convolution geometry.")
            torch_padding.append(start)
            torch_output_padding.append(max(start - end, 0))
            trims.append(max(end - start, 0))
        lead = (0,) if self._rank == 1 else ()
        self._tpadding = lead + tuple(torch_padding)
        self._toutput_padding = lead + tuple(torch_output_padding)
        self._trim = None
        if any(trims):
            self._trim = (slice(None), slice(None)) + tuple(slice(None) for _ in lead) + tuple(
                slice(0, -t if t else None) for t in trims)

    def _make_weights(self, channels, shape):
        self.kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, channels),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint, name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint, name="bias",
            )

    def _output_channels(self, shape):
        return self.filters

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        extras = self.output_padding or (None,) * self._rank
        out = []
        for n, k, s, d, extra in zip(self._spatial(shape), self.kernel_size, self.strides,
                                     self.dilation_rate, extras):
            if n is None:
                out.append(None)
                continue
            start, end = _transpose_crops(k, s, d, self.padding, extra)
            out.append((n - 1) * s + (k - 1) * d + 1 - start - end)
        out = tuple(out)
        if self._channels_last:
            return (shape[0],) + out + (self.filters,)
        return (shape[0], self.filters) + out

    def _convolve(self, x):
        # (k..., filters, in) is torch's (in, filters, k...) by the same permutation.
        y = self._conv_transpose(x, self._torch_kernel(self.kernel), self.bias, self._tstrides,
                                 self._tpadding, self._toutput_padding, 1, self._tdilation)
        return y if self._trim is None else y[self._trim]

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "output_padding": self.output_padding,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }


@builtin("layers", "Convolution1DTranspose")
class Conv1DTranspose(_ConvTranspose):
    """1D transposed convolution layer (sometimes called deconvolution).

    Goes the opposite way of ``Conv1D``: from something shaped like the output
    of a convolution to something shaped like its input (e.g. to upsample a
    sequence). The kernel has Keras's layout
    ``(kernel_size, filters, input_channels)``.

    Args:
        filters: int, the number of output channels.
        kernel_size: int or tuple of 1 int, the length of the window.
        strides: int or tuple of 1 int, the stride (the upsampling factor).
            ``strides > 1`` is incompatible with ``dilation_rate > 1``.
        padding: ``"valid"`` or ``"same"`` (with ``"same"`` and no
            output_padding, ``output_length = input_length * strides``).
        output_padding: int or tuple of 1 int, the extra length added at the
            end of the output; must be smaller than ``strides``. ``None``
            (default) infers it.
        data_format: ``"channels_last"`` (default, ``(batch, steps, channels)``)
            or ``"channels_first"`` (``(batch, channels, steps)``).
        dilation_rate: int or tuple of 1 int, the dilation of the window.
        activation: activation function or its name; ``None`` for none.
        use_bias: bool, whether to add a bias vector.
        kernel_initializer: initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: initializer of the bias (default ``"zeros"``).
        kernel_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        kernel_constraint: optional constraint of the kernel.
        bias_constraint: optional constraint of the bias.

    Input shape: ``(batch, steps, channels)`` (channels_last) or
    ``(batch, channels, steps)`` (channels_first).

    Output shape: ``(batch, new_steps, filters)`` (channels_last) or
    ``(batch, filters, new_steps)`` (channels_first), where with
    ``output_padding=None`` ``new_steps`` is ``steps * strides`` ('same') or
    ``(steps - 1) * strides + max(span, strides)`` ('valid'; ``span`` is the
    dilated kernel length), and otherwise ``(steps - 1) * strides + span +
    output_padding`` ('valid') or ``(steps - 1) * strides + span % 2 +
    output_padding`` ('same').

    Example:

    >>> x = np.random.rand(4, 10, 128)
    >>> y = layerwise.layers.Conv1DTranspose(32, 3, 2, activation="relu")(x)
    >>> y.shape
    torch.Size([4, 21, 32])
    """

    _rank = 1


@builtin("layers", "Convolution2DTranspose")
class Conv2DTranspose(_ConvTranspose):
    """2D transposed convolution layer (sometimes called deconvolution).

    Goes the opposite way of ``Conv2D``: from something shaped like the output
    of a convolution to something shaped like its input (e.g. to upsample
    feature maps in a decoder). The kernel has Keras's layout
    ``(rows, cols, filters, input_channels)``.

    Args:
        filters: int, the number of output channels.
        kernel_size: int or tuple of 2 ints, the height and width of the window.
        strides: int or tuple of 2 ints, the strides (the upsampling factors).
            ``strides > 1`` is incompatible with ``dilation_rate > 1``.
        padding: ``"valid"`` or ``"same"`` (with ``"same"`` and no
            output_padding, ``output_size = input_size * strides``).
        output_padding: int or tuple of 2 ints, the extra size added at the
            bottom/right of the output; must be smaller than ``strides``.
            ``None`` (default) infers it.
        data_format: ``"channels_last"`` (default,
            ``(batch, height, width, channels)``) or ``"channels_first"``.
        dilation_rate: int or tuple of 2 ints, the dilation of the window.
        activation: activation function or its name; ``None`` for none.
        use_bias: bool, whether to add a bias vector.
        kernel_initializer: initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: initializer of the bias (default ``"zeros"``).
        kernel_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        kernel_constraint: optional constraint of the kernel.
        bias_constraint: optional constraint of the bias.

    Input shape: ``(batch, height, width, channels)`` (channels_last) or
    ``(batch, channels, height, width)`` (channels_first).

    Output shape: ``(batch, new_height, new_width, filters)`` (channels_last)
    or ``(batch, filters, new_height, new_width)`` (channels_first); each new
    size follows the formula given for ``Conv1DTranspose``.

    Example:

    >>> x = np.random.rand(4, 10, 8, 128)
    >>> y = layerwise.layers.Conv2DTranspose(32, 2, 2, activation="relu")(x)
    >>> y.shape
    torch.Size([4, 20, 16, 32])
    """

    _rank = 2


@builtin("layers", "Convolution3DTranspose")
class Conv3DTranspose(_ConvTranspose):
    """3D transposed convolution layer (sometimes called deconvolution).

    Goes the opposite way of ``Conv3D``: from something shaped like the output
    of a convolution to something shaped like its input. The kernel has
    Keras's layout ``(d1, d2, d3, filters, input_channels)``.

    Args:
        filters: int, the number of output channels.
        kernel_size: int or tuple of 3 ints, the size of the window.
        strides: int or tuple of 3 ints, the strides (the upsampling factors).
            ``strides > 1`` is incompatible with ``dilation_rate > 1``.
        padding: ``"valid"`` or ``"same"`` (with ``"same"`` and no
            output_padding, ``output_size = input_size * strides``).
        data_format: ``"channels_last"`` (default,
            ``(batch, d1, d2, d3, channels)``) or ``"channels_first"``.
        output_padding: int or tuple of 3 ints, the extra size added at the end
            of each axis of the output; must be smaller than ``strides``.
            ``None`` (default) infers it. (As in Keras, this argument comes
            after ``data_format`` here.)
        dilation_rate: int or tuple of 3 ints, the dilation of the window.
        activation: activation function or its name; ``None`` for none.
        use_bias: bool, whether to add a bias vector.
        kernel_initializer: initializer of the kernel (default ``"glorot_uniform"``).
        bias_initializer: initializer of the bias (default ``"zeros"``).
        kernel_regularizer: optional regularizer of the kernel.
        bias_regularizer: optional regularizer of the bias.
        activity_regularizer: optional regularizer of the output.
        kernel_constraint: optional constraint of the kernel.
        bias_constraint: optional constraint of the bias.

    Input shape: ``(batch, d1, d2, d3, channels)`` (channels_last) or
    ``(batch, channels, d1, d2, d3)`` (channels_first).

    Output shape: ``(batch, new_d1, new_d2, new_d3, filters)``
    (channels_last) or ``(batch, filters, new_d1, new_d2, new_d3)``
    (channels_first); each new size follows the formula given for
    ``Conv1DTranspose``.

    Example:

    >>> x = np.random.rand(4, 10, 8, 12, 128)
    >>> y = layerwise.layers.Conv3DTranspose(32, 2, 2, activation="relu")(x)
    >>> y.shape
    torch.Size([4, 20, 16, 24, 32])
    """

    _rank = 3

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 output_padding=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            filters, kernel_size, strides=strides, padding=padding, output_padding=output_padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs,
        )


# Keras's other spellings.
Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
