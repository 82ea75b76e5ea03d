"""``Metric``, the base of every metric, and the reduction metrics ``Mean``, ``Sum``, ``MeanMetricWrapper``.

A metric keeps running statistics (its *state*) in torch tensors on the
device of the data it sees, and turns them into a value on demand:

>>> import layerwise as keras
>>> m = keras.metrics.Mean()
>>> m.update_state([1, 3, 5, 7])
>>> m.result()
tensor(4.)

``update_state`` runs on the training hot path, once per step, so it only
issues in-place torch operations on the state: it never moves a value to the
host (no ``.item()``, ``float(tensor)``, numpy, or Python ``if`` on tensor
values). ``result()`` returns a 0-d tensor (or a 1-d one for metrics with
several thresholds or classes); the trainer turns it into a Python number
only when a callback or the progress bar needs one.
"""

import numpy as np
import torch

from layerwise import backend
from layerwise.losses import squeeze_or_expand_to_same_rank
from layerwise.saving import registry

_CATEGORY = "metrics"


# --------------------------------------------------------------------------
# Helpers shared by all metric files (kept private to the package).
# --------------------------------------------------------------------------


def _compute_dtype(dtype):
    """The Keras name of the dtype a metric computes in (``None``: floatx).

    Accepts dtype names, torch dtypes, ``'mixed_float16'``-style policy names
    (their compute dtype, as Keras takes it) and serialized DTypePolicy dicts.
    """
    if dtype is None:
        return backend.floatx()
    if isinstance(dtype, dict):  # a serialized keras.DTypePolicy
        dtype = dtype.get("config", {}).get("name", backend.floatx())
    compute = getattr(dtype, "compute_dtype", None)  # a DTypePolicy-like object
    if isinstance(compute, str):
        dtype = compute
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        dtype = dtype[len("mixed_"):]
    if dtype == "int":  # Keras's IoU metrics default to dtype "int"
        dtype = "int32"
    return backend.standardize_dtype(dtype)


def _as_tensor(x, dtype=None, device=None):
    """A torch tensor for ``x`` that carries no autograd history.

    Data goes to ``device`` when one is given (tensors elsewhere are moved,
    other data is created there); ``dtype`` (a torch dtype) casts when given.
    """
    if isinstance(x, torch.Tensor):
        if x.requires_grad:
            x = x.detach()
        if device is not None and x.device != device:
            x = x.to(device)
        if dtype is not None and x.dtype != dtype:
            x = x.to(dtype)
        return x
    array = np.asarray(x)
    if dtype is None:  # as backend.convert_to_tensor: floats become floatx, ints and bools keep theirs
        if array.dtype.kind in "fO":
            dtype = backend.torch_dtype(backend.floatx())
        elif array.dtype.kind not in "iub":
            raise TypeError(
                f"Cannot use an array of dtype {array.dtype} in a metric; expected numbers."
            )
    return torch.as_tensor(array, dtype=dtype, device=device if device is not None else backend.device())


def _keras_mask(x):
    """The boolean mask a masking layer attached to ``x`` (``_keras_mask``), or None."""
    return getattr(x, "_keras_mask", None)


def _apply_mask(sample_weight, mask, dtype):
    """Fold a mask into the sample weights (Keras's ``apply_mask`` with ``reduction="sum"``)."""
    if mask is None:
        return sample_weight
    float_mask = _as_tensor(mask).to(dtype)
    if sample_weight is None:
        return float_mask
    sample_weight = _as_tensor(sample_weight, device=float_mask.device).to(dtype)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    return sample_weight * float_mask


def _divide_no_nan(x, y):
    """``x / y`` with 0 where ``y == 0`` (Keras's ``ops.divide_no_nan``)."""
    return torch.where(y == 0, torch.zeros((), dtype=x.dtype, device=x.device), x / y)


def _reduce(values, dims, mean):
    return values.mean(dim=dims) if mean else values.sum(dim=dims)


def _reduce_to_samplewise_values(values, sample_weight, mean, dtype, device=None):
    """One value (and one weight) per sample, as Keras's ``reduce_to_samplewise_values``.

    ``mean`` selects the reduction over the non-batch axes (Mean) or a sum (Sum);
    data that is not a tensor yet is put on ``device``.
    """
    mask = _keras_mask(values)
    values = _as_tensor(values, dtype, device=device)
    if sample_weight is not None:
        sample_weight = _as_tensor(sample_weight, dtype, device=values.device)
        if mask is not None:
            sample_weight = _apply_mask(sample_weight, mask, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.ndim
        values_ndim = values.ndim
        if values_ndim > weight_ndim:
            values = _reduce(values, tuple(range(weight_ndim, values_ndim)), mean)
        sample_weight = sample_weight.expand(values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = _reduce(sample_weight, tuple(range(1, weight_ndim)), mean)
    if values.ndim > 1:
        values = _reduce(values, tuple(range(1, values.ndim)), mean)
    return values, sample_weight


def _function_config(fn):
    """The config Keras writes for a plain function (a metric or loss function)."""
    return {
        "module": "builtins",
        "class_name": "function",
        "config": registry.get_registered_name(fn),
        "registered_name": "function",
    }


def _serialize(obj):
    """Keras's serialization of ``obj``: functions as Keras writes them, the rest via the registry."""
    from layerwise.saving.serialization import serialize_keras_object

    if callable(obj) and not isinstance(obj, type) and not hasattr(obj, "get_config"):
        return _function_config(obj)
    return serialize_keras_object(obj)


# --------------------------------------------------------------------------
# The base class.
# --------------------------------------------------------------------------


@registry.builtin(_CATEGORY, "metric")
class Metric:
    """Encapsulates metric logic and state: ``update_state`` accumulates, ``result`` reports.

    Subclasses create their state in ``__init__`` with :meth:`add_variable`,
    update it in place in ``update_state`` and compute the value in
    ``result``. The state lives in torch tensors on the device of the data
    the metric sees (it follows the first ``y_pred`` to its device).

    Args:
        name: Name of the metric instance (default: the snake-case class name,
            made unique within the session).
        dtype: Data type of the metric's computations (default
            ``backend.floatx()``, i.e. ``'float32'``).

    Example:

    >>> class BinaryTruePositives(keras.metrics.Metric):
    ...     def __init__(self, name="binary_true_positives", **kwargs):
    ...         super().__init__(name=name, **kwargs)
    ...         self.true_positives = self.add_variable(shape=(), initializer="zeros",
    ...                                                 name="true_positives")
    ...     def update_state(self, y_true, y_pred, sample_weight=None):
    ...         values = torch.logical_and(torch.as_tensor(y_true).bool(),
    ...                                    torch.as_tensor(y_pred).bool()).float()
    ...         self.true_positives.add_(values.sum())
    ...     def result(self):
    ...         return self.true_positives.clone()
    >>> m = BinaryTruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    tensor(2.)
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or backend.unique_name(backend.to_snake_case(type(self).__name__))
        self._dtype = _compute_dtype(dtype)
        self._torch_dtype = backend.torch_dtype(self._dtype)
        self._device = backend.device()
        self._variables = []
        self._metrics = []

    def __setattr__(self, name, value):
        # Track nested metrics so that ``variables`` and ``reset_state`` include theirs.
        if isinstance(value, Metric) and "_metrics" in self.__dict__ and value not in self._metrics:
            self._metrics.append(value)
        object.__setattr__(self, name, value)

    def _check_super_called(self):
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: you forgot to call `super().__init__()` in `__init__()`."
            )

    @property
    def dtype(self):
        """The Keras name of the dtype the metric computes in, e.g. ``'float32'``."""
        return self._dtype

    @property
    def device(self):
        """The ``torch.device`` that holds the metric's state."""
        return self._device

    @property
    def variables(self):
        """The state tensors: this metric's own, then those of nested metrics."""
        variables = list(self._variables)
        for metric in self._metrics:
            variables.extend(metric.variables)
        return variables

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """Create a state tensor (a non-trainable ``layerwise.Variable``) on the metric's device.

        Args:
            shape: Shape of the state, e.g. ``()`` or ``(num_thresholds,)``.
            initializer: Initial value: an initializer name (``"zeros"``), object or callable.
            dtype: Its dtype (default ``backend.floatx()``).
            aggregation: Kept for Keras compatibility (how replicas combine it); unused.
            name: Name of the state, e.g. ``"total"``; its ``path`` is ``"<metric>/<name>"``.

        Returns:
            The new variable; update it in place (``var.add_(...)``) in ``update_state``.

        Example:

        >>> m = keras.metrics.Metric(name="m")
        >>> v = m.add_variable((2,), "ones", name="count")
        >>> v.path, v.numpy()
        ('m/count', array([1., 1.], dtype=float32))
        """
        from layerwise import initializers
        from layerwise.engine.layer import Variable

        self._check_super_called()
        torch_dtype = backend.torch_dtype(dtype)
        init = initializers.get(initializer) if not isinstance(initializer, torch.Tensor) else initializer
        if isinstance(init, torch.Tensor):
            value = init.to(torch_dtype)
        else:
            value = init(tuple(shape), dtype=backend.standardize_dtype(torch_dtype))
            value = backend.convert_to_tensor(value).to(torch_dtype)
        value = value.detach().to(self._device).clone()
        variable = Variable(value, requires_grad=False)
        variable._set_keras_attributes(name, f"{self.name}/{name}", trainable=False)
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Alias of :meth:`add_variable` kept for backwards compatibility (as in Keras)."""
        return self.add_variable(shape=shape, initializer=initializer or "zeros", dtype=dtype, name=name)

    def _to_device(self, device):
        """Move every state tensor to ``device`` (in place: the variables keep their identity)."""
        if device == self._device:
            return
        for index, variable in enumerate(self._variables):
            moved = variable.data.to(device)
            if torch._has_compatible_shallow_copy_type(variable.data, moved):
                variable.data = moved  # CPU <-> CUDA: same object, new storage
                continue
            # Devices whose tensors cannot share a Parameter (e.g. "meta"): a new variable,
            # rebound wherever the metric refers to the old one.
            from layerwise.engine.layer import Variable

            replacement = Variable(moved, requires_grad=False)
            replacement._set_keras_attributes(variable.name, variable.path, trainable=False)
            self._variables[index] = replacement
            for key, value in list(self.__dict__.items()):
                if value is variable:
                    object.__setattr__(self, key, replacement)
                elif isinstance(value, dict):
                    for inner_key, inner in value.items():
                        if inner is variable:
                            value[inner_key] = replacement
        self._device = device
        for metric in self._metrics:
            metric._to_device(device)

    def _follow(self, tensor):
        """Move the state to ``tensor``'s device if it is elsewhere (once, not every step)."""
        if isinstance(tensor, torch.Tensor) and tensor.device != self._device:
            self._to_device(tensor.device)

    def reset_state(self):
        """Set every state tensor back to zero (called between epochs)."""
        for variable in self.variables:
            variable.data.zero_()

    def update_state(self, *args, **kwargs):
        """Accumulate statistics for the metric; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state().")

    def result(self):
        """The current value of the metric (a tensor); subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def __call__(self, *args, **kwargs):
        """Update the state with one batch, then return :meth:`result` (as Keras does)."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        """The constructor arguments as a JSON-ready dict (Keras's keys)."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Rebuild the metric from :meth:`get_config`'s dict."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"

    def __str__(self):
        return self.__repr__()


# --------------------------------------------------------------------------
# Reduction metrics.
# --------------------------------------------------------------------------


@registry.builtin(_CATEGORY, "sum")
class Sum(Metric):
    """Compute the (weighted) sum of the given values.

    Values of rank > 1 are first summed per sample. With ``sample_weight``
    each sample's value is multiplied by its weight.

    Args:
        name: Name of the metric instance (default ``"sum"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.Sum()
    >>> m.update_state([1, 3, 5, 7])
    >>> m.result()
    tensor(16.)
    >>> m.reset_state()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    tensor(4.)
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")

    def update_state(self, values, sample_weight=None):
        """Add the (weighted) sum of ``values`` to the total."""
        self._follow(values)
        values, _ = _reduce_to_samplewise_values(
            values, sample_weight, False, self._torch_dtype, self._device
        )
        self.total.add_(values.sum())

    def result(self):
        return self.total.detach().clone()


@registry.builtin(_CATEGORY, "mean")
class Mean(Metric):
    """Compute the (weighted) mean of the given values.

    Values of rank > 1 are first averaged per sample. The result is
    ``total / count``, where ``count`` is the number of samples (or the sum
    of their weights).

    Args:
        name: Name of the metric instance (default ``"mean"``).
        dtype: Data type of the metric result.

    Example:

    >>> m = keras.metrics.Mean()
    >>> m.update_state([1, 3, 5, 7])
    >>> m.result()
    tensor(4.)
    >>> m.reset_state()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    tensor(2.)
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="count")

    def update_state(self, values, sample_weight=None):
        """Add the (weighted) per-sample values to the running mean."""
        self._follow(values)
        values, sample_weight = _reduce_to_samplewise_values(
            values, sample_weight, True, self._torch_dtype, self._device
        )
        self.total.add_(values.sum())
        if sample_weight is not None:
            self.count.add_(sample_weight.sum())
        elif values.ndim >= 1:
            self.count.add_(values.shape[0])
        else:
            self.count.add_(1)

    def add_batch_mean(self, value, batch_size):
        """Add a batch's mean ``value`` (a scalar tensor) weighted by ``batch_size`` (an int).

        The same as ``update_state(value, sample_weight=batch_size)`` in two
        tensor operations; the training loop feeds its loss trackers this way.

        Example:

        >>> tracker = layerwise.metrics.Mean(name="loss")
        >>> tracker.add_batch_mean(torch.tensor(2.0), 32)
        >>> tracker.add_batch_mean(torch.tensor(5.0), 16)
        >>> float(tracker.result())
        3.0
        """
        self._follow(value)
        self.total.add_(value.detach(), alpha=batch_size)
        self.count.add_(batch_size)

    def result(self):
        return _divide_no_nan(self.total, self.count)


@registry.builtin(_CATEGORY, "mean_metric_wrapper")
class MeanMetricWrapper(Mean):
    """Wrap a stateless metric function ``fn(y_true, y_pred, **kwargs)`` with :class:`Mean`.

    ``fn`` returns one value per sample (any further axes are averaged);
    ``result()`` is the mean over all samples seen. A mask attached to
    ``y_pred`` (``y_pred._keras_mask``) weighs out the masked entries.

    Args:
        fn: The metric function to wrap, with signature ``fn(y_true, y_pred, **kwargs)``.
        name: Name of the metric instance (default ``"mean_metric_wrapper"``).
        dtype: Data type of the metric result.
        **kwargs: Keyword arguments passed on to ``fn``.

    Example:

    >>> def squared_error(y_true, y_pred):
    ...     return (torch.as_tensor(y_true) - torch.as_tensor(y_pred)) ** 2
    >>> m = keras.metrics.MeanMetricWrapper(fn=squared_error)
    >>> m.update_state([0.0, 1.0], [1.0, 1.0])
    >>> m.result()
    tensor(0.5000)
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or backend.unique_name("mean_metric_wrapper"), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if _is_loss(fn):
            # A loss wrapped as a metric is minimised (as Keras marks it).
            self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Compute ``fn`` on the batch and add its per-sample values to the running mean."""
        mask = _keras_mask(y_pred)
        self._follow(y_pred)
        y_true = _as_tensor(y_true, device=self._device)
        y_pred = _as_tensor(y_pred, device=self._device)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        sample_weight = _apply_mask(sample_weight, mask, self._torch_dtype)
        Mean.update_state(self, values, sample_weight=sample_weight)

    def get_config(self):
        config = {**super().get_config(), "fn": _serialize(self._fn)}
        config.update(_serialize(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            config["fn"] = _deserialize_function(config["fn"])
        return cls(**config)


def _is_loss(fn):
    try:
        from layerwise import losses
    except ModuleNotFoundError as error:  # pragma: no cover - losses ship with the package
        if error.name != "layerwise.losses":
            raise
        return False
    loss_class = getattr(losses, "Loss", None)
    if loss_class is not None and isinstance(fn, loss_class):
        return True
    return getattr(fn, "__module__", None) == losses.__name__


def _deserialize_function(config, custom_objects=None):
    """The function (or object) a MeanMetricWrapper's ``fn`` config names."""
    from layerwise.metrics import _lookup_function
    from layerwise.saving.serialization import deserialize_keras_object

    if callable(config):
        return config
    if isinstance(config, dict) and config.get("class_name") == "function":
        config = config.get("config")
    if isinstance(config, str):
        return _lookup_function(config, custom_objects)
    return deserialize_keras_object(config, _CATEGORY, custom_objects, what="metric")
