"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax.

They compute exactly what Keras 3's layers of the same names compute, with
the fused torch kernels (``torch.relu``, ``F.leaky_relu``, ``F.relu6``,
``F.prelu``, ``F.elu``, ``torch.softmax``). Where Keras picks a different
kernel for a special case (``relu6`` for ``max_value=6``, ``leaky_relu`` for
a plain negative slope), the same case picks the same torch kernel, so the
gradients agree at the kinks too (at ``0``, the threshold and the cap). The
choice is made once, in ``__init__`` or ``build``, never per step.

``Activation("relu")`` (in ``layers/core.py``) covers the plain functions;
these layers add the arguments a name cannot carry (a cap, a slope, a
learned slope, an axis, a mask).
"""

import warnings

import torch
import torch.nn.functional as F

from layerwise import backend, constraints, initializers, regularizers
from layerwise.engine.layer import InputSpec, Layer
from layerwise.saving.registry import builtin


def _non_negative(layer, argument, value, example, allow_none=False):
    """Refuse ``value`` unless it is a number >= 0 (or ``None`` where ``allow_none``)."""
    if value is None and allow_none:
        return
    if backend.is_real_number(value) and value >= 0:
        return
    expected = "None or a number >= 0" if allow_none else "a number >= 0"
    raise ValueError(
        f"{type(layer).__name__} '{layer.name}': {argument} must be {expected}, got {value!r}. "
        f"{example}"
    )


@builtin("layers")
class ReLU(Layer):
    """Rectified linear unit layer, with Keras 3's cap, threshold and negative slope.

    ``f(x) = min(x, max_value)`` for ``x > threshold`` (no cap when
    ``max_value`` is ``None``), ``f(x) = negative_slope * (x - threshold)``
    otherwise; with the defaults it is ``max(x, 0)``.

    Args:
        max_value: float >= 0, the largest output; ``None`` (default) means no cap.
        negative_slope: float >= 0, the slope below the threshold (default ``0.0``).
        threshold: float >= 0, the input value below which outputs are
            damped (default ``0.0``).
        **kwargs: base layer arguments such as ``name`` and ``dtype``.

    Input shape: any. Output shape: the same as the input.

    Example:

    >>> layer = layerwise.layers.ReLU(max_value=10.0, negative_slope=0.5)
    >>> layer(np.array([-10.0, -5.0, 0.0, 5.0, 20.0]))
    tensor([-5.0000, -2.5000,  0.0000,  5.0000, 10.0000])
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        _non_negative(self, "max_value", max_value,
                      "It caps the output, e.g. ReLU(max_value=6.0); use None for no cap.", allow_none=True)
        _non_negative(self, "negative_slope", negative_slope,
                      "It is the slope below the threshold, e.g. ReLU(negative_slope=0.1); 0.0 gives the plain ReLU.")
        _non_negative(self, "threshold", threshold,
                      "Inputs at or below it are damped, e.g. ReLU(threshold=0.5); 0.0 gives the plain ReLU.")
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True
        # Keras's branches, decided once: each special case uses the kernel Keras uses for it,
        # so that outputs and gradients (at 0, at the threshold, at the cap) are Keras's.
        if negative_slope != 0 and max_value is None and threshold == 0:
            self._mode = "leaky"
        elif negative_slope == 0 and threshold == 0 and max_value is None:
            self._mode = "relu"
        elif negative_slope == 0 and threshold == 0 and max_value == 6:
            self._mode = "relu6"
        else:
            self._mode = "general"

    def call(self, inputs):
        mode = self._mode
        if mode == "relu":
            return torch.relu(inputs)
        if mode == "leaky":
            return F.leaky_relu(inputs, self.negative_slope)
        if mode == "relu6":
            return F.relu6(inputs)
        threshold, max_value, slope = self.threshold, self.max_value, self.negative_slope
        if threshold != 0:
            outputs = torch.where(inputs > threshold, inputs, 0.0)
        elif max_value == 6:
            outputs = F.relu6(inputs)
            max_value = None  # relu6 has capped it already
        else:
            outputs = torch.relu(inputs)
        if max_value is not None:
            # The input is >= 0 here, so only the cap needs clamping (gradient 1 at the cap, as Keras's clip).
            outputs = torch.clamp(outputs, max=max_value)
        if slope != 0:
            below = torch.relu(threshold - inputs) if threshold != 0 else torch.relu(-inputs)
            outputs = outputs - slope * below
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


@builtin("layers")
class LeakyReLU(Layer):
    """Leaky rectified linear unit layer: ``x`` if ``x >= 0`` else ``negative_slope * x``.

    The small slope keeps a gradient flowing for inputs below zero.

    Args:
        negative_slope: float >= 0, the slope for negative inputs (default ``0.3``).
        **kwargs: base layer arguments such as ``name`` and ``dtype``. The
            Keras 2 spelling ``alpha=`` is still accepted: as in Keras 3 it
            replaces ``negative_slope`` and warns that it is deprecated.

    Input shape: any. Output shape: the same as the input.

    Example:

    >>> layer = layerwise.layers.LeakyReLU(negative_slope=0.5)
    >>> layer(np.array([-10.0, -5.0, 0.0, 5.0, 10.0]))
    tensor([-5.0000, -2.5000,  0.0000,  5.0000, 10.0000])
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:  # Keras 2's name for the slope; Keras 3 renames it with a warning
            negative_slope = kwargs.pop("alpha")
            warnings.warn(
                f"LeakyReLU: the argument `alpha` is deprecated; use `negative_slope` instead "
                f"(got alpha={negative_slope!r}).",
                UserWarning, stacklevel=2,
            )
        super().__init__(**kwargs)
        _non_negative(self, "negative_slope", negative_slope,
                      "It is the slope for negative inputs, e.g. LeakyReLU(negative_slope=0.3).")
        self.negative_slope = negative_slope
        self.supports_masking = True

    def call(self, inputs):
        return F.leaky_relu(inputs, self.negative_slope)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


@builtin("layers")
class PReLU(Layer):
    """Parametric rectified linear unit: ``x`` if ``x >= 0`` else ``alpha * x``, ``alpha`` learned.

    ``alpha`` has Keras's layout: the input shape without the batch axis,
    with size 1 on each of ``shared_axes``. For the feature maps of a
    ``Conv2D`` (``(batch, height, width, channels)``), ``shared_axes=[1, 2]``
    learns one slope per channel.

    Args:
        alpha_initializer: initializer of ``alpha`` (default ``'Zeros'``: it starts as a ReLU).
        alpha_regularizer: penalty on ``alpha`` added to the model's loss.
        alpha_constraint: projection applied to ``alpha`` after each optimizer step.
        shared_axes: an axis or a list of axes (counted with the batch axis
            as 0, so from 1) along which ``alpha`` is shared.
        **kwargs: base layer arguments such as ``name`` and ``dtype``.

    Input shape: any, with known sizes on the axes that are not shared.
    Output shape: the same as the input.

    Example:

    >>> layer = layerwise.layers.PReLU(alpha_initializer=layerwise.initializers.Constant(0.1),
    ...                                shared_axes=[1])
    >>> layer(np.array([[[-10.0, 5.0], [-1.0, 2.0]]])).detach()
    tensor([[[-1.0000,  5.0000],
             [-0.1000,  2.0000]]])
    >>> tuple(layer.alpha.shape)
    (1, 2)
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            # Keras keeps the axes as a list (a single axis becomes [axis]); configs write that list.
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            for axis in axes:
                # Keras would place a negative axis (or the batch axis 0) one position off, on an
                # axis the user did not name; refuse it rather than share the wrong axis.
                if not isinstance(axis, int) or isinstance(axis, bool) or axis < 1:
                    raise ValueError(
                        f"PReLU '{self.name}': shared_axes must be axes counted from 1 (axis 0 is the "
                        f"batch), got shared_axes={shared_axes!r}. For inputs (batch, height, width, "
                        "channels) use shared_axes=[1, 2] to learn one alpha per channel."
                    )
            self.shared_axes = axes
        self._mode = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        rank = len(input_shape)
        shared = self.shared_axes or []
        too_far = [axis for axis in shared if axis >= rank]
        if too_far:
            raise ValueError(
                f"PReLU '{self.name}': shared_axes={self.shared_axes} names axis {too_far[0]}, but its "
                f"inputs have shape {input_shape} (axes 1 to {rank - 1} besides the batch axis 0). "
                "Pick shared_axes among those axes."
            )
        param_shape = [1 if axis in shared else input_shape[axis] for axis in range(1, rank)]
        unknown = [axis for axis in range(1, rank) if axis not in shared and input_shape[axis] is None]
        if unknown:
            raise ValueError(
                f"PReLU '{self.name}' needs known sizes on the axes where alpha is not shared, got "
                f"input shape {input_shape} (axis {unknown[0]} is unknown). Share alpha along that "
                f"axis, e.g. PReLU(shared_axes={sorted(set(shared) | set(unknown))})."
            )
        self.alpha = self.add_weight(
            shape=tuple(param_shape), initializer=self.alpha_initializer, name="alpha",
            regularizer=self.alpha_regularizer, constraint=self.alpha_constraint,
        )
        self.input_spec = InputSpec(
            ndim=rank, axes={axis: input_shape[axis] for axis in range(1, rank) if axis not in shared}
        )
        # F.prelu takes one slope, or one per channel on axis 1; alpha fits it when at most its last
        # axis is not shared (ReLU-like Dense outputs, conv feature maps with shared_axes=[1, 2]).
        if all(size == 1 for size in param_shape):
            self._mode = "scalar"
        elif all(size == 1 for size in param_shape[:-1]):
            self._mode = "channels"
        else:
            self._mode = "general"

    def call(self, inputs):
        alpha = self.alpha.to(inputs.dtype)  # no-op unless the layer computes in another precision
        mode = self._mode
        if mode == "scalar":
            return F.prelu(inputs, alpha.reshape(1))
        if mode == "channels":
            if inputs.ndim == 2:
                return F.prelu(inputs, alpha)
            # A view with the channel axis at 1, as F.prelu wants it; the output is moved back (no copies).
            return F.prelu(inputs.movedim(-1, 1), alpha.reshape(-1)).movedim(1, -1)
        return torch.where(inputs > 0, inputs, alpha * inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        }


@builtin("layers")
class ELU(Layer):
    """Exponential linear unit layer: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Args:
        alpha: float, the scale of the negative part (default ``1.0``): negative
            inputs saturate at ``-alpha``.
        **kwargs: base layer arguments such as ``name`` and ``dtype``.

    Input shape: any. Output shape: the same as the input.

    Example:

    >>> layer = layerwise.layers.ELU(alpha=0.5)
    >>> layer(np.array([-10.0, 0.0, 2.0]))
    tensor([-0.5000,  0.0000,  2.0000])
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        # Keras does not check alpha (a negative one is a valid, if unusual, ELU); it must be a number.
        if not backend.is_real_number(alpha):
            raise ValueError(
                f"ELU '{self.name}': alpha must be a number, got {alpha!r}. It scales the negative "
                "part, e.g. ELU(alpha=1.0)."
            )
        self.alpha = alpha
        self.supports_masking = True

    def call(self, inputs):
        return F.elu(inputs, self.alpha)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


def _large_negative(dtype):
    """What masked logits become: far below any real logit, yet finite in ``dtype`` (Keras's values)."""
    return -3e4 if dtype == torch.float16 else -1e9


@builtin("layers")
class Softmax(Layer):
    """Softmax layer: ``exp(x) / sum(exp(x))`` along ``axis``, so each slice sums to 1.

    Args:
        axis: the axis (int) or axes (list of ints) to normalise over
            (default ``-1``, the last axis).
        **kwargs: base layer arguments such as ``name`` and ``dtype``.

    Call arguments:
        inputs: the logits.
        mask: optional boolean (or 0/1) mask broadcastable to ``inputs``:
            true keeps a position, false masks it. Each mask dimension is 1 or
            the inputs' size, counted from the last axis. Masked positions
            get probability exactly 0; a slice masked everywhere gives zeros.
            The mask of the inputs (``Embedding(mask_zero=True)``) is used when
            none is passed.

    Input shape: any. Output shape: the same as the input.

    Example:

    >>> layer = layerwise.layers.Softmax()
    >>> layer(np.array([[1.0, 2.0, 1.0]]))
    tensor([[0.2119, 0.5761, 0.2119]])
    >>> layer(np.array([[1.0, 2.0, 1.0]]), mask=np.array([[True, True, False]]))
    tensor([[0.2689, 0.7311, 0.0000]])
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        axes = axis if isinstance(axis, (list, tuple)) else [axis]
        if not axes or any(not isinstance(a, int) or isinstance(a, bool) for a in axes):
            raise ValueError(
                f"Softmax '{self.name}': axis must be an integer or a non-empty list of integers, "
                f"got axis={axis!r}. Use axis=-1 to normalise over the last axis."
            )
        self.axis = axis  # as given, for the config
        self._axes = tuple(axes)
        self.supports_masking = True

    def build(self, input_shape):
        rank = len(input_shape)
        for axis in self._axes:
            if not -rank <= axis < rank:
                raise ValueError(
                    f"Softmax '{self.name}' got axis={self.axis!r}, but its inputs have rank {rank} "
                    f"(shape {tuple(input_shape)}): each axis must be between {-rank} and {rank - 1}. "
                    "Use axis=-1 for the last axis."
                )

    def _check_mask(self, inputs, mask):
        if mask.ndim > inputs.ndim:
            raise ValueError(
                f"Softmax '{self.name}' got a mask of shape {tuple(mask.shape)} with more dimensions than "
                f"its inputs of shape {tuple(inputs.shape)}. The mask must be broadcastable to the "
                "inputs, e.g. of the inputs' shape or with size 1 on the axes it does not vary along."
            )
        for mask_size, input_size in zip(reversed(mask.shape), reversed(inputs.shape)):
            if mask_size != 1 and mask_size != input_size:
                raise ValueError(
                    f"Softmax '{self.name}' got a mask of shape {tuple(mask.shape)} for inputs of shape "
                    f"{tuple(inputs.shape)}: counted from the last axis, each mask dimension must be 1 "
                    "or the inputs' size. Reshape the mask (e.g. add size-1 axes with mask[:, None]) so "
                    "that it broadcasts to the inputs."
                )

    def call(self, inputs, mask=None):
        if mask is not None:
            self._check_mask(inputs, mask)
            if mask.dtype != torch.bool:
                mask = mask > 0.5  # Keras keeps positions where a numeric mask is > 0.5
            inputs = torch.where(mask, inputs, _large_negative(inputs.dtype))
        if len(self._axes) > 1:
            outputs = torch.exp(inputs - torch.logsumexp(inputs, self._axes, keepdim=True))
        else:
            outputs = torch.softmax(inputs, self._axes[0])
        if mask is not None:
            # A slice masked everywhere would come out uniform; Keras zeroes masked positions.
            outputs = torch.where(mask, outputs, 0.0)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
