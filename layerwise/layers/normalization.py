"""Normalization layers: BatchNormalization, LayerNormalization.

Both follow Keras 3 (the specification) number for number: the same weights
in the same order and shapes, the same moving-statistics formula, the same
config keys. They compute with torch's fused kernels (``F.batch_norm``,
``F.layer_norm``) wherever those give Keras's numbers.
"""

import math
import numbers
import warnings

import torch
import torch.nn.functional as F

from layerwise import backend, constraints, initializers, regularizers
from layerwise.engine.layer import InputSpec, Layer
from layerwise.saving.registry import builtin

_FLOAT_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)

# How BatchNormalization hands its input to F.batch_norm (which normalises dim 1).
_DIRECT = 0  # the features axis is dim 1 already: (batch, features) or channels_first
_LAST = 1  # channels_last of rank > 2: a free (rows, features) view
_MOVED = 2  # any other axis: move it to dim 1 and back


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _number(layer, argument, value):
    """``float(value)`` for a constructor argument, or a TypeError naming the layer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{type(layer).__name__} '{layer.name}' expects {argument} to be a number, got "
            f"{value!r} ({type(value).__name__}). Pass a float, e.g. {argument}="
            f"{0.001 if argument == 'epsilon' else 0.99}."
        )
    return float(value)


def _moving_stddev_initializer(variance_initializer):
    """An initializer whose values are the square root of ``variance_initializer``'s."""

    def initialize(shape, dtype=None):
        values = backend.convert_to_tensor(variance_initializer(shape, dtype=dtype))
        return torch.sqrt(values)

    return initialize


@builtin("layers")
class BatchNormalization(Layer):
    """Layer that normalizes its inputs with batch statistics while training.

    Batch normalization keeps the mean output close to 0 and the standard
    deviation close to 1, one value per feature (channel) of ``axis``.

    **Training** (``fit()``, or calling with ``training=True``): the layer uses
    the mean and variance of the current batch,
    ``gamma * (x - mean(batch)) / sqrt(var(batch) + epsilon) + beta``, and
    updates its moving statistics exactly as Keras does:

    - ``moving_mean = moving_mean * momentum + mean(batch) * (1 - momentum)``
    - ``moving_variance = moving_variance * momentum + var(batch) * (1 - momentum)``

    where ``var(batch)`` is the biased (population) variance. Note that
    Keras's ``momentum`` is the weight of the *old* value: ``0.99`` here is
    ``momentum=0.01`` in ``torch.nn.BatchNorm1d``.

    **Inference** (``evaluate()``, ``predict()``, or a plain call): the layer
    uses the moving statistics,
    ``gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) + beta``.

    **Frozen layers**: as in Keras 3, a layer with ``trainable = False`` always
    runs in inference mode and never updates its moving statistics, even when
    called with ``training=True`` (what fine-tuning a pretrained model needs).

    Weights, in Keras's order: ``gamma`` (if ``scale``), ``beta`` (if
    ``center``), both trainable; ``moving_mean``, ``moving_variance``
    (non-trainable); with ``renorm=True`` also ``moving_stddev``,
    ``renorm_mean`` and ``renorm_stddev`` (non-trainable).

    Args:
        axis: integer, the features axis to normalize (``-1`` for channels_last
            data, ``1`` after a channels_first ``Conv2D``). A one-element list
            such as ``[3]`` (the form tf.keras 2 saved) is accepted too.
        momentum: weight of the old value in the moving averages (default 0.99).
        epsilon: small float added to the variance to avoid dividing by zero.
        center: if True, add the offset ``beta``.
        scale: if True, multiply by ``gamma``.
        beta_initializer, gamma_initializer: initializers of the weights.
        moving_mean_initializer, moving_variance_initializer: initializers of
            the moving statistics.
        beta_regularizer, gamma_regularizer: optional weight penalties.
        beta_constraint, gamma_constraint: optional weight constraints.
        synchronized: cross-device statistics; as with Keras on its torch
            backend, only ``False`` is supported.
        renorm: whether to use Batch Renormalization
            (https://arxiv.org/abs/1702.03275); inference is unchanged.
        renorm_clipping: with ``renorm``, a dict with optional keys ``"rmax"``,
            ``"rmin"``, ``"dmax"`` clipping the renorm corrections.
        renorm_momentum: momentum of the renorm moving statistics.
        **kwargs: base layer arguments (``name``, ``dtype``, ``trainable``).

    Call arguments:
        inputs: a tensor of any rank >= 2.
        training: Python bool, batch statistics (True) or moving ones (False).
        mask: optional boolean tensor of the input's shape without its last
            axis; in training, masked positions are left out of the batch
            statistics (as in Keras).

    Input shape: any, with a known size on ``axis``. Output shape: the input's.

    Example:

    >>> model = layerwise.Sequential([
    ...     layerwise.Input((89,)),
    ...     layerwise.layers.BatchNormalization(),
    ...     layerwise.layers.Dense(100, activation="relu"),
    ...     layerwise.layers.BatchNormalization(),
    ...     layerwise.layers.Dense(1),
    ... ])
    >>> bn = model.layers[0]
    >>> [w.name for w in bn.weights]
    ['gamma', 'beta', 'moving_mean', 'moving_variance']
    >>> y = bn(np.random.rand(32, 89), training=True)   # updates the moving statistics
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                 synchronized=False, **kwargs):
        super().__init__(**kwargs)
        where = f"BatchNormalization '{self.name}'"
        if isinstance(axis, (list, tuple)) and len(axis) == 1 and _is_int(axis[0]):
            axis = axis[0]  # tf.keras 2 wrote the axis as a one-element list
        if not _is_int(axis):
            raise TypeError(
                f"{where} expects axis to be one integer (the features axis), got {axis!r}. "
                "Use axis=-1 for channels_last data or axis=1 for channels_first data; Keras 3 "
                "BatchNormalization normalizes a single axis (for several axes, see "
                "LayerNormalization or reshape first)."
            )
        if synchronized:
            raise ValueError(
                f"{where} got synchronized=True, which Keras supports only on its TensorFlow "
                "backend; layerwise (PyTorch) computes per-device batch statistics. Use "
                "synchronized=False."
            )
        self.axis = int(axis)
        self.synchronized = False
        self.momentum = _number(self, "momentum", momentum)
        self.epsilon = _number(self, "epsilon", epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

        self.renorm = renorm
        if renorm:
            renorm_clipping = dict(renorm_clipping or {})
            unknown = set(renorm_clipping) - {"rmax", "rmin", "dmax"}
            if unknown:
                raise ValueError(
                    f"{where} got renorm_clipping={renorm_clipping!r} with unknown keys "
                    f"{sorted(unknown)}; the supported keys are 'rmax', 'rmin' and 'dmax'."
                )
            rmax, rmin, dmax = (renorm_clipping.get(k) for k in ("rmax", "rmin", "dmax"))
            if rmax is not None and rmin is not None and rmax < rmin:
                raise ValueError(
                    f"{where} got renorm_clipping with rmax={rmax} smaller than rmin={rmin}; "
                    "rmax must be greater than or equal to rmin."
                )
            if dmax is not None and dmax < 0:
                raise ValueError(
                    f"{where} got renorm_clipping with dmax={dmax}; dmax must be non-negative."
                )
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        if renorm:
            self._renorm_keep = _number(self, "renorm_momentum", renorm_momentum)

    # ------------------------------------------------------------------ building

    def _resolve_axis(self, input_shape):
        rank = len(input_shape)
        where = f"BatchNormalization '{self.name}'"
        if rank < 2:
            hint = ""
            if rank == 1:
                hint = (f" A single sample needs a batch axis: reshape to (1, {input_shape[0]}), "
                        "e.g. x[None, :] or x.reshape(1, -1).")
            raise ValueError(
                f"{where} expects inputs with a batch axis and at least one feature axis "
                f"(rank >= 2), got shape {tuple(input_shape)}." + hint
            )
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"{where} got axis={self.axis}, which is out of range for inputs of rank {rank} "
                f"(shape {tuple(input_shape)}): axis must be in [{-rank}, {rank - 1}]. Use "
                "axis=-1 for channels_last data or axis=1 for channels_first data."
            )
        return self.axis % rank

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        axis = self._resolve_axis(input_shape)
        size = input_shape[axis]
        if size is None:
            raise ValueError(
                f"BatchNormalization '{self.name}' normalizes axis {self.axis} of its input, so "
                f"that axis needs a known size, got input shape {input_shape}. Give the model an "
                "Input with the full feature shape, e.g. Input(shape=(89,))."
            )
        shape = (size,)
        if self.scale:
            self.gamma = self.add_weight(
                shape=shape, name="gamma", initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                trainable=True,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=shape, name="beta", initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                trainable=True,
            )
        self.moving_mean = self.add_weight(
            shape=shape, name="moving_mean", initializer=self.moving_mean_initializer,
            trainable=False,
        )
        self.moving_variance = self.add_weight(
            shape=shape, name="moving_variance", initializer=self.moving_variance_initializer,
            trainable=False,
        )
        if self.renorm:
            stddev_initializer = _moving_stddev_initializer(self.moving_variance_initializer)
            self.moving_stddev = self.add_weight(
                shape=shape, name="moving_stddev", initializer=stddev_initializer, trainable=False,
            )
            self.renorm_mean = self.add_weight(
                shape=shape, name="renorm_mean", initializer=self.moving_mean_initializer,
                trainable=False,
            )
            self.renorm_stddev = self.add_weight(
                shape=shape, name="renorm_stddev", initializer=stddev_initializer, trainable=False,
            )
        if not self.scale:
            self.gamma = None
        if not self.center:
            self.beta = None
        # F.batch_norm writes its batch statistics here (momentum 1.0) in training mode; they
        # are scratch space, not weights, and not saved.
        self.register_buffer("_batch_mean", torch.zeros_like(self.moving_mean.detach()),
                             persistent=False)
        self.register_buffer("_batch_var", torch.zeros_like(self.moving_variance.detach()),
                             persistent=False)

        rank = len(input_shape)
        self._axis = axis
        self._size = size
        self._reduction_axes = tuple(i for i in range(rank) if i != axis)
        self._broadcast_shape = tuple(size if i == axis else 1 for i in range(rank))
        if axis == 1:
            self._layout = _DIRECT
        elif axis == rank - 1:
            self._layout = _LAST
        else:
            self._layout = _MOVED
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: size})

    def _input_hint(self, shape):
        if len(shape) == 1:
            return (f" A single sample needs a batch axis: reshape to (1, {shape[0]}), "
                    "e.g. x[None, :] or x.reshape(1, -1).")
        return ""

    # ------------------------------------------------------------------ computing

    def call(self, inputs, training=None, mask=None):
        if mask is not None:
            mask = self._check_mask(inputs, mask)
        dtype = self.moving_mean.dtype
        if inputs.dtype != dtype:
            inputs = inputs.to(dtype)  # statistics in the layer's float type, as Keras upcasts
        if training and self._trainable:
            if mask is None and not self.renorm:
                rows = inputs.numel() // self._size
                if rows > 1:
                    return self._train_fused(inputs, rows)
            return self._train_general(inputs, mask)
        return self._batch_norm(inputs, self.moving_mean, self.moving_variance, False, 0.0)

    def _batch_norm(self, x, mean, var, training, momentum):
        """F.batch_norm along this layer's axis (F.batch_norm itself normalizes dim 1)."""
        layout = self._layout
        if layout == _DIRECT:
            return F.batch_norm(x, mean, var, self.gamma, self.beta, training, momentum,
                                self.epsilon)
        if layout == _LAST:
            shape = x.shape
            rows = x.reshape(x.numel() // self._size, self._size)
            out = F.batch_norm(rows, mean, var, self.gamma, self.beta, training, momentum,
                               self.epsilon)
            return out.reshape(shape)
        out = F.batch_norm(x.movedim(self._axis, 1), mean, var, self.gamma, self.beta, training,
                           momentum, self.epsilon)
        return out.movedim(1, self._axis)

    def _train_fused(self, x, rows):
        # One fused kernel normalizes with the batch statistics and writes them to the scratch
        # buffers (momentum 1.0: the buffers become the statistics). torch stores the unbiased
        # variance; Keras's moving average uses the biased one, hence the (n - 1) / n.
        outputs = self._batch_norm(x, self._batch_mean, self._batch_var, True, 1.0)
        keep = self.momentum
        with torch.no_grad():
            self.moving_mean.mul_(keep).add_(self._batch_mean, alpha=1.0 - keep)
            self.moving_variance.mul_(keep).add_(
                self._batch_var, alpha=(1.0 - keep) * (rows - 1) / rows)
        return outputs

    def _train_general(self, x, mask):
        """Training with a mask, with renorm, or with one value per feature."""
        if mask is None:
            var, mean = torch.var_mean(x, dim=self._reduction_axes, correction=0, keepdim=True)
        else:
            mean, var = self._masked_moments(x, mask)
        gamma, beta = self.gamma, self.beta
        if gamma is not None:
            gamma = gamma.view(self._broadcast_shape)
        if beta is not None:
            beta = beta.view(self._broadcast_shape)
        with torch.no_grad():
            batch_mean = mean.detach().reshape(self._size)
            batch_var = var.detach().reshape(self._size)
            keep = self.momentum
            if self.renorm:
                r, d = self._renorm_corrections(batch_mean, batch_var)
                self._update_renorm_statistics(batch_mean, batch_var)
            else:
                self.moving_mean.mul_(keep).add_(batch_mean, alpha=1.0 - keep)
                self.moving_variance.mul_(keep).add_(batch_var, alpha=1.0 - keep)
        if self.renorm:
            # (x_hat * r + d) * gamma + beta, with r and d constants for autograd.
            r = r.view(self._broadcast_shape)
            d = d.view(self._broadcast_shape)
            if gamma is not None:
                gamma, shift = r * gamma, d * gamma
            else:
                gamma, shift = r, d
            beta = shift if beta is None else shift + beta
        outputs = (x - mean) * torch.rsqrt(var + self.epsilon)
        if gamma is not None:
            outputs = outputs * gamma
        if beta is not None:
            outputs = outputs + beta
        return outputs

    def _check_mask(self, inputs, mask):
        if not isinstance(mask, torch.Tensor):
            mask = backend.convert_to_tensor(mask)
        if mask.device != inputs.device:
            mask = mask.to(inputs.device)
        if mask.ndim != inputs.ndim - 1:
            raise ValueError(
                f"BatchNormalization '{self.name}' expects a mask with one dimension less than "
                f"its inputs (the inputs' shape without the features axis), got mask shape "
                f"{tuple(mask.shape)} for inputs of shape {tuple(inputs.shape)}."
            )
        return mask

    def _masked_moments(self, x, mask):
        # Keras broadcasts the mask along a new last axis and averages the unmasked values
        # (dividing by count + backend.epsilon()), keeping the biased variance.
        try:
            keep = mask.to(torch.bool).unsqueeze(-1).expand(x.shape)
        except RuntimeError:
            raise ValueError(
                f"BatchNormalization '{self.name}' got a mask of shape {tuple(mask.shape)} that "
                f"does not broadcast to its inputs of shape {tuple(x.shape)} once a last axis is "
                "added; the mask must be the inputs' shape without the last (features) axis."
            ) from None
        dims = self._reduction_axes
        zero = x.new_zeros(())
        count = keep.to(x.dtype).sum(dim=dims, keepdim=True) + backend.epsilon()
        mean = torch.where(keep, x, zero).sum(dim=dims, keepdim=True) / count
        var = torch.where(keep, x - mean, zero).square().sum(dim=dims, keepdim=True) / count
        return mean, var

    def _renorm_corrections(self, mean, var):
        stddev = torch.sqrt(var + self.epsilon)
        renorm_stddev = torch.clamp_min(self.renorm_stddev, math.sqrt(self.epsilon))
        r = stddev / renorm_stddev
        d = (mean - self.renorm_mean) / renorm_stddev
        clipping = self.renorm_clipping
        if clipping.get("rmin") is not None:
            r = torch.clamp_min(r, clipping["rmin"])
        if clipping.get("rmax") is not None:
            r = torch.clamp_max(r, clipping["rmax"])
        if clipping.get("dmax") is not None:
            d = torch.clamp(d, -clipping["dmax"], clipping["dmax"])
        return r, d

    def _update_renorm_statistics(self, mean, var):
        stddev = torch.sqrt(var + self.epsilon)
        keep, renorm_keep = self.momentum, self._renorm_keep
        self.renorm_mean.mul_(renorm_keep).add_(mean, alpha=1.0 - renorm_keep)
        self.renorm_stddev.mul_(renorm_keep).add_(stddev, alpha=1.0 - renorm_keep)
        self.moving_mean.mul_(keep).add_(mean, alpha=1.0 - keep)
        self.moving_stddev.mul_(keep).add_(stddev, alpha=1.0 - keep)
        self.moving_variance.copy_(torch.relu(self.moving_stddev.square() - self.epsilon))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._resolve_axis(input_shape)
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }


# How LayerNormalization computes for one input rank.
_LN_FUSED = 0  # the normalized axes are the trailing ones: F.layer_norm
_LN_GENERAL = 1  # any other set of axes: one fused var_mean, then elementwise
_LN_RMS = 2  # the deprecated rms_scaling=True formula


@builtin("layers")
class LayerNormalization(Layer):
    """Layer normalization layer (Ba et al., 2016).

    Normalizes each example independently (not across the batch like
    BatchNormalization): over the axes in ``axis`` it computes the mean and
    the (biased) variance of each example and returns
    ``gamma * (x - mean) / sqrt(variance + epsilon) + beta``.

    ``gamma`` and ``beta`` span the normalized axes; their shape is the input's
    sizes on ``sorted(axis)`` (Keras's layout, so
    ``LayerNormalization(axis=[1, 2, 3])`` built on ``(5, 20, 30, 40)`` has
    weights of shape ``(20, 30, 40)``). It behaves the same in training and
    inference.

    Args:
        axis: integer or list/tuple of integers, the axes to normalize across
            (default ``-1``, the features axis). As in Keras, the layer stores
            the sorted list of axes once built.
        epsilon: small float added to the variance to avoid dividing by zero.
        center: if True, add the offset ``beta``.
        scale: if True, multiply by ``gamma``.
        beta_initializer, gamma_initializer: initializers of the weights.
        beta_regularizer, gamma_regularizer: optional weight penalties.
        beta_constraint, gamma_constraint: optional weight constraints.
        rms_scaling: deprecated in Keras (it warns). If True, the layer
            computes ``x * gamma / sqrt(variance + epsilon)``: no centering,
            no ``beta``, and ``gamma`` is created even with ``scale=False``.
        **kwargs: base layer arguments (``name``, ``dtype``, ``trainable``).

    Input shape: any, with known sizes on the normalized axes. Output shape:
    the input's.

    Example:

    >>> layer = layerwise.layers.LayerNormalization(axis=[1, 2, 3])
    >>> layer.build((5, 20, 30, 40))
    >>> layer.gamma.shape, layer.beta.shape
    ((20, 30, 40), (20, 30, 40))
    >>> y = layerwise.layers.LayerNormalization()(np.array([[0.0, 10.0], [20.0, 30.0]]))
    >>> y.detach()
    tensor([[-1.0000,  1.0000],
            [-1.0000,  1.0000]])
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, *, rms_scaling=False, **kwargs):
        if rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True` to LayerNormalization, which Keras deprecates: it "
                "scales the input by the variance, not the root mean square. For RMS "
                "normalization use an RMSNormalization layer.",
                stacklevel=2,
            )
        super().__init__(**kwargs)
        where = f"LayerNormalization '{self.name}'"
        if isinstance(axis, (list, tuple)):
            if not axis or not all(_is_int(a) for a in axis):
                raise TypeError(
                    f"{where} expects axis to be an int or a non-empty list/tuple of ints, got "
                    f"{axis!r}. Use axis=-1 to normalize the features axis."
                )
            self.axis = [int(a) for a in axis]
        elif _is_int(axis):
            self.axis = int(axis)
        else:
            raise TypeError(
                f"{where} expects axis to be an int or a list/tuple of ints, got {axis!r} "
                f"({type(axis).__name__}). Use axis=-1 to normalize the features axis."
            )
        _number(self, "epsilon", epsilon)
        self.epsilon = epsilon
        self._epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self._plans = {}

    def _axes(self):
        return list(self.axis) if isinstance(self.axis, list) else [self.axis]

    def _dims(self, input_shape):
        """The normalized dimensions (non-negative, sorted) for an input shape, or a ValueError."""
        rank = len(input_shape)
        axes = self._axes()
        where = f"LayerNormalization '{self.name}'"
        bad = [a for a in axes if not -rank <= a < rank]
        if bad:
            raise ValueError(
                f"{where} got axis={self.axis}, but axis {bad[0]} is out of range for inputs of "
                f"rank {rank} (shape {tuple(input_shape)}): each axis must be in "
                f"[{-rank}, {rank - 1}]. Use axis=-1 to normalize the features axis."
            )
        dims = sorted(a % rank for a in axes)
        if len(set(dims)) != len(dims):
            raise ValueError(
                f"{where} got axis={self.axis}, which names the same dimension twice for inputs "
                f"of rank {rank}; list each axis once."
            )
        return dims

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        self._dims(input_shape)
        axes = sorted(self._axes())  # Keras sorts the raw values: its weight layout
        shape = tuple(input_shape[a] for a in axes)
        if any(size is None for size in shape):
            raise ValueError(
                f"LayerNormalization '{self.name}' normalizes axis {self.axis} of its input, so "
                f"those axes need known sizes, got input shape {input_shape}. Give the model an "
                "Input with the full shape, e.g. Input(shape=(10, 64))."
            )
        self.axis = axes
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                shape=shape, name="gamma", initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                trainable=True,
            )
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                shape=shape, name="beta", initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                trainable=True,
            )
        if not (self.scale or self.rms_scaling):
            self.gamma = None
        if not (self.center and not self.rms_scaling):
            self.beta = None
        self._weight_shape = shape
        self._torch_dtype = backend.torch_dtype(self.dtype)
        self.input_spec = InputSpec(
            min_ndim=max(max(a + 1, -a) for a in axes), axes=dict(zip(axes, shape)),
        )
        self._plans = {}
        self._plan(len(input_shape), input_shape)

    def _plan(self, rank, shape):
        """How to compute for inputs of ``rank`` (decided once per rank, not per call)."""
        dims = self._dims(shape)
        normalized = tuple(shape[d] for d in dims)
        broadcast = tuple(shape[i] if i in dims else 1 for i in range(rank))
        if self.rms_scaling:
            plan = (_LN_RMS, tuple(dims), broadcast, False)
        elif dims == list(range(rank - len(dims), rank)):
            # Keras's weight layout follows sorted(axis); reading it in dimension order is a
            # row-major reshape, exactly what Keras's broadcasting does.
            plan = (_LN_FUSED, normalized, broadcast, normalized != self._weight_shape)
        else:
            plan = (_LN_GENERAL, tuple(dims), broadcast, False)
        self._plans[rank] = plan
        return plan

    def call(self, inputs):
        plan = self._plans.get(inputs.ndim)
        if plan is None:
            plan = self._plan(inputs.ndim, tuple(inputs.shape))
        kind, dims, broadcast, reshape = plan
        weights = self._own_variables
        dtype = weights[0].dtype if weights else self._torch_dtype
        if inputs.dtype != dtype:
            inputs = inputs.to(dtype)
        gamma, beta = self.gamma, self.beta
        if kind == _LN_FUSED:
            if reshape:
                gamma = None if gamma is None else gamma.reshape(dims)
                beta = None if beta is None else beta.reshape(dims)
            return F.layer_norm(inputs, dims, gamma, beta, self._epsilon)
        if kind == _LN_RMS:
            variance = torch.var(inputs, dim=dims, correction=0, keepdim=True)
            return inputs * torch.rsqrt(variance + self._epsilon) * gamma.reshape(broadcast)
        variance, mean = torch.var_mean(inputs, dim=dims, correction=0, keepdim=True)
        outputs = (inputs - mean) * torch.rsqrt(variance + self._epsilon)
        if gamma is not None:
            outputs = outputs * gamma.reshape(broadcast)
        if beta is not None:
            outputs = outputs + beta.reshape(broadcast)
        return outputs

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        self._dims(input_shape)
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }
