"""Activation functions, shaped like ``keras.activations``.

Every function takes a tensor and returns a tensor of the same shape:

>>> import torch
>>> import layerwise as keras
>>> keras.activations.relu(torch.tensor([-1.0, 0.0, 2.0]))
tensor([0., 0., 2.])

They sit on the training hot path, so a torch tensor goes straight into the
fused torch kernel (``torch.relu``, ``F.gelu``, ...) with no conversion and
no checks. Numpy arrays, lists and numbers are accepted too, as in Keras:
they are computed as ``floatx`` tensors and the result comes back as a numpy
array. The fallback costs nothing on the tensor path: torch raises
``TypeError`` (or ``AttributeError``, from its Python-level wrappers) for a
non-tensor input, and only then is the input converted.

>>> keras.activations.sigmoid([0.0])
array([0.5], dtype=float32)

Layers take activations by name (``Dense(8, activation="relu")``); :func:`get`
resolves names, configs and callables, :func:`serialize` gives back the name
Keras writes in configs.
"""

import torch
import torch.nn.functional as F

from layerwise import backend
from layerwise.saving import registry
from layerwise.saving.serialization import deserialize_keras_object, serialize_keras_object

_CATEGORY = "activations"
# What torch raises when handed a numpy array, list or number instead of a tensor.
_NOT_A_TENSOR = (TypeError, AttributeError)


def _on_host(error, fn, x, *args):
    """Apply ``fn`` to a numpy array, list or number and return a numpy array.

    Called when torch raised ``error`` for ``x``. If ``x`` was already a
    tensor the error has another cause (a bad argument) and is re-raised.
    """
    if isinstance(x, torch.Tensor):
        raise error
    return backend.convert_to_numpy(fn(backend.convert_to_tensor(x, backend.floatx()), *args))


def _all_axes(x, axis):
    """The dims a softmax over ``axis`` (None: every axis; or a sequence) normalises."""
    return tuple(range(x.ndim)) if axis is None else tuple(axis)


@registry.builtin(_CATEGORY)
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit: ``max(x, 0)`` with Keras 3's optional variations.

    Args:
        x: Input tensor.
        negative_slope: Slope for values below ``threshold`` (0 gives the plain ReLU).
        max_value: If given, outputs above ``threshold`` saturate at this value.
        threshold: Values at or below it are damped (to 0, or along ``negative_slope``).

    Example:

    >>> x = [-10.0, -5.0, 0.0, 5.0, 10.0]
    >>> keras.activations.relu(x)
    array([ 0.,  0.,  0.,  5., 10.], dtype=float32)
    >>> keras.activations.relu(x, negative_slope=0.5)
    array([-5. , -2.5,  0. ,  5. , 10. ], dtype=float32)
    >>> keras.activations.relu(x, max_value=5.0)
    array([0., 0., 0., 5., 5.], dtype=float32)
    >>> keras.activations.relu(x, threshold=5.0)
    array([ 0.,  0.,  0.,  0., 10.], dtype=float32)
    """
    try:
        if negative_slope == 0.0 and threshold == 0.0:
            if max_value is None:
                return torch.relu(x)
            return torch.clamp(x, 0.0, max_value)
        if max_value is None and threshold == 0.0:
            return F.leaky_relu(x, negative_slope)
        # General form: x above the threshold (clipped to [0, max_value] if
        # max_value is set) minus negative_slope * (threshold - x) below it.
        if threshold == 0.0:
            positive = torch.relu(x)
        else:
            positive = torch.where(x > threshold, x, 0.0)
        if max_value is not None:
            positive = torch.clamp(positive, 0.0, max_value)
        if negative_slope == 0.0:
            return positive
        return positive - negative_slope * torch.relu(threshold - x)
    except _NOT_A_TENSOR as error:
        return _on_host(error, relu, x, negative_slope, max_value, threshold)


@registry.builtin(_CATEGORY)
def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: ``x`` if ``x > 0`` else ``negative_slope * x``.

    Example:

    >>> keras.activations.leaky_relu([-10.0, 0.0, 10.0])
    array([-2.,  0., 10.], dtype=float32)
    """
    try:
        return F.leaky_relu(x, negative_slope)
    except _NOT_A_TENSOR as error:
        return _on_host(error, leaky_relu, x, negative_slope)


@registry.builtin(_CATEGORY)
def relu6(x):
    """ReLU capped at 6: ``min(max(x, 0), 6)``.

    Example:

    >>> keras.activations.relu6([-1.0, 3.0, 8.0])
    array([0., 3., 6.], dtype=float32)
    """
    try:
        return F.relu6(x)
    except _NOT_A_TENSOR as error:
        return _on_host(error, relu6, x)


@registry.builtin(_CATEGORY)
def softmax(x, axis=-1):
    """Softmax: ``exp(x) / sum(exp(x))`` along ``axis``, so each slice sums to 1.

    Args:
        x: Input tensor.
        axis: Axis (int), axes (tuple) or ``None`` (all axes) to normalise over.

    Example:

    >>> keras.activations.softmax([[-1.0, 0.0, 1.0]])
    array([[0.09003057, 0.24472848, 0.66524094]], dtype=float32)
    """
    try:
        if isinstance(axis, int):
            return torch.softmax(x, axis)
        return torch.exp(x - torch.logsumexp(x, _all_axes(x, axis), keepdim=True))
    except _NOT_A_TENSOR as error:
        return _on_host(error, softmax, x, axis)


@registry.builtin(_CATEGORY)
def log_softmax(x, axis=-1):
    """Logarithm of :func:`softmax`, computed stably as ``x - logsumexp(x)``.

    Example:

    >>> keras.activations.log_softmax([0.0, 0.0])
    array([-0.6931472, -0.6931472], dtype=float32)
    """
    try:
        if isinstance(axis, int):
            return torch.log_softmax(x, axis)
        return x - torch.logsumexp(x, _all_axes(x, axis), keepdim=True)
    except _NOT_A_TENSOR as error:
        return _on_host(error, log_softmax, x, axis)


@registry.builtin(_CATEGORY)
def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``.

    Example:

    >>> keras.activations.elu([-1.0, 0.0, 1.0])
    array([-0.63212055,  0.        ,  1.        ], dtype=float32)
    """
    try:
        return F.elu(x, alpha)
    except _NOT_A_TENSOR as error:
        return _on_host(error, elu, x, alpha)


@registry.builtin(_CATEGORY)
def selu(x):
    """Scaled ELU: ``scale * elu(x, alpha)`` with ``alpha=1.67326324``, ``scale=1.05070098``.

    Use it with the ``lecun_normal`` initializer.

    Example:

    >>> keras.activations.selu([-1.0, 0.0, 1.0])
    array([-1.1113307,  0.       ,  1.050701 ], dtype=float32)
    """
    try:
        return torch.selu(x)
    except _NOT_A_TENSOR as error:
        return _on_host(error, selu, x)


@registry.builtin(_CATEGORY)
def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``x`` if ``x >= 0`` else ``alpha * (exp(x / alpha) - 1)``.

    Example:

    >>> keras.activations.celu([-1.0, 1.0], alpha=2.0)
    array([-0.78693867,  1.        ], dtype=float32)
    """
    try:
        return torch.celu(x, alpha)
    except _NOT_A_TENSOR as error:
        return _on_host(error, celu, x, alpha)


@registry.builtin(_CATEGORY)
def softplus(x):
    """Softplus: ``log(exp(x) + 1)``.

    Example:

    >>> keras.activations.softplus([0.0])
    array([0.6931472], dtype=float32)
    """
    try:
        return F.softplus(x)
    except _NOT_A_TENSOR as error:
        return _on_host(error, softplus, x)


@registry.builtin(_CATEGORY)
def softsign(x):
    """Softsign: ``x / (abs(x) + 1)``.

    Example:

    >>> keras.activations.softsign([-1.0, 0.0, 3.0])
    array([-0.5 ,  0.  ,  0.75], dtype=float32)
    """
    try:
        return F.softsign(x)
    except _NOT_A_TENSOR as error:
        return _on_host(error, softsign, x)


@registry.builtin(_CATEGORY)
def squareplus(x, b=4):
    """Squareplus: ``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU.

    Example:

    >>> keras.activations.squareplus([0.0, 2.0])
    array([1.       , 2.4142137], dtype=float32)
    """
    try:
        return (x + torch.sqrt(x * x + b)) / 2
    except _NOT_A_TENSOR as error:
        return _on_host(error, squareplus, x, b)


@registry.builtin(_CATEGORY)
def soft_shrink(x, threshold=0.5):
    """Soft shrink: ``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0.

    Example:

    >>> keras.activations.soft_shrink([-2.0, 0.2, 2.0])
    array([-1.5,  0. ,  1.5], dtype=float32)
    """
    try:
        return F.softshrink(x, threshold)
    except _NOT_A_TENSOR as error:
        return _on_host(error, soft_shrink, x, threshold)


@registry.builtin(_CATEGORY)
def sparse_plus(x):
    """SparsePlus: 0 for ``x <= -1``, ``(x + 1)**2 / 4`` for ``-1 < x < 1``, ``x`` for ``x >= 1``.

    Example:

    >>> keras.activations.sparse_plus([-2.0, 0.0, 2.0])
    array([0.  , 0.25, 2.  ], dtype=float32)
    """
    try:
        return torch.where(x <= -1, 0.0, torch.where(x < 1, 0.25 * (x + 1) ** 2, x))
    except _NOT_A_TENSOR as error:
        return _on_host(error, sparse_plus, x)


@registry.builtin(_CATEGORY, "swish")
def silu(x):
    """SiLU, also called Swish: ``x * sigmoid(x)``. ``swish`` is the same function.

    Example:

    >>> keras.activations.silu([0.0, 1.0])
    array([0.       , 0.7310586], dtype=float32)
    """
    try:
        return F.silu(x)
    except _NOT_A_TENSOR as error:
        return _on_host(error, silu, x)


swish = silu


@registry.builtin(_CATEGORY)
def gelu(x, approximate=False):
    """Gaussian error linear unit: ``x * P(X <= x)`` for ``X ~ N(0, 1)``.

    Args:
        x: Input tensor.
        approximate: Use the tanh approximation instead of the exact erf form.

    Example:

    >>> keras.activations.gelu([-1.0, 0.0, 1.0])
    array([-0.15865526,  0.        ,  0.8413447 ], dtype=float32)
    """
    try:
        return F.gelu(x, approximate="tanh" if approximate else "none")
    except _NOT_A_TENSOR as error:
        return _on_host(error, gelu, x, approximate)


@registry.builtin(_CATEGORY)
def glu(x, axis=-1):
    """Gated linear unit: splits ``x`` in halves ``a, b`` along ``axis`` and returns ``a * sigmoid(b)``.

    Example:

    >>> keras.activations.glu([[1.0, 0.0]])
    array([[0.5]], dtype=float32)
    """
    try:
        return F.glu(x, axis)
    except _NOT_A_TENSOR as error:
        return _on_host(error, glu, x, axis)


@registry.builtin(_CATEGORY)
def tanh(x):
    """Hyperbolic tangent: ``(exp(x) - exp(-x)) / (exp(x) + exp(-x))``.

    Example:

    >>> keras.activations.tanh([0.0, 1.0])
    array([0.       , 0.7615942], dtype=float32)
    """
    try:
        return torch.tanh(x)
    except _NOT_A_TENSOR as error:
        return _on_host(error, tanh, x)


@registry.builtin(_CATEGORY)
def tanh_shrink(x):
    """Tanh shrink: ``x - tanh(x)``.

    Example:

    >>> keras.activations.tanh_shrink([0.0, 1.0])
    array([0.        , 0.23840582], dtype=float32)
    """
    try:
        return F.tanhshrink(x)
    except _NOT_A_TENSOR as error:
        return _on_host(error, tanh_shrink, x)


@registry.builtin(_CATEGORY)
def hard_tanh(x):
    """Hard tanh: ``x`` clipped to ``[-1, 1]``.

    Example:

    >>> keras.activations.hard_tanh([-2.0, 0.5, 2.0])
    array([-1. ,  0.5,  1. ], dtype=float32)
    """
    try:
        return F.hardtanh(x)
    except _NOT_A_TENSOR as error:
        return _on_host(error, hard_tanh, x)


@registry.builtin(_CATEGORY)
def hard_shrink(x, threshold=0.5):
    """Hard shrink: ``x`` where ``abs(x) > threshold``, else 0.

    Example:

    >>> keras.activations.hard_shrink([-2.0, 0.2, 2.0])
    array([-2.,  0.,  2.], dtype=float32)
    """
    try:
        return F.hardshrink(x, threshold)
    except _NOT_A_TENSOR as error:
        return _on_host(error, hard_shrink, x, threshold)


@registry.builtin(_CATEGORY)
def threshold(x, threshold, default_value):
    """Threshold: ``x`` where ``x > threshold``, else ``default_value``.

    Example:

    >>> keras.activations.threshold([-1.0, 0.5, 2.0], threshold=1.0, default_value=-5.0)
    array([-5., -5.,  2.], dtype=float32)
    """
    try:
        return F.threshold(x, threshold, default_value)
    except _NOT_A_TENSOR as error:
        return _on_host(error, F.threshold, x, threshold, default_value)


@registry.builtin(_CATEGORY)
def sigmoid(x):
    """Sigmoid: ``1 / (1 + exp(-x))``, between 0 and 1.

    Example:

    >>> keras.activations.sigmoid([-20.0, 0.0, 20.0])
    array([2.0611537e-09, 5.0000000e-01, 1.0000000e+00], dtype=float32)
    """
    try:
        return torch.sigmoid(x)
    except _NOT_A_TENSOR as error:
        return _on_host(error, sigmoid, x)


@registry.builtin(_CATEGORY)
def sparse_sigmoid(x):
    """Sparse sigmoid: 0 for ``x <= -1``, ``(x + 1) / 2`` for ``-1 < x < 1``, 1 for ``x >= 1``.

    Example:

    >>> keras.activations.sparse_sigmoid([-2.0, 0.0, 0.5, 2.0])
    array([0.  , 0.5 , 0.75, 1.  ], dtype=float32)
    """
    try:
        return torch.clamp(0.5 * (x + 1), 0.0, 1.0)
    except _NOT_A_TENSOR as error:
        return _on_host(error, sparse_sigmoid, x)


@registry.builtin(_CATEGORY)
def log_sigmoid(x):
    """Logarithm of the sigmoid: ``-softplus(-x)``.

    Example:

    >>> keras.activations.log_sigmoid([0.0])
    array([-0.6931472], dtype=float32)
    """
    try:
        return F.logsigmoid(x)
    except _NOT_A_TENSOR as error:
        return _on_host(error, log_sigmoid, x)


@registry.builtin(_CATEGORY)
def exponential(x):
    """Exponential: ``exp(x)``.

    Example:

    >>> keras.activations.exponential([0.0, 1.0])
    array([1.       , 2.7182817], dtype=float32)
    """
    try:
        return torch.exp(x)
    except _NOT_A_TENSOR as error:
        return _on_host(error, exponential, x)


@registry.builtin(_CATEGORY)
def hard_sigmoid(x):
    """Hard sigmoid (Keras 3 formula): 0 for ``x <= -3``, 1 for ``x >= 3``, else ``x / 6 + 0.5``.

    Example:

    >>> keras.activations.hard_sigmoid([-4.0, 0.0, 1.5, 4.0])
    array([0.  , 0.5 , 0.75, 1.  ], dtype=float32)
    """
    try:
        return F.hardsigmoid(x)
    except _NOT_A_TENSOR as error:
        return _on_host(error, hard_sigmoid, x)


@registry.builtin(_CATEGORY, "hard_swish")
def hard_silu(x):
    """Hard SiLU, also called hard Swish: ``x * hard_sigmoid(x)``. ``hard_swish`` is the same function.

    Example:

    >>> keras.activations.hard_silu([-4.0, 0.0, 1.5, 4.0])
    array([-0.   ,  0.   ,  1.125,  4.   ], dtype=float32)
    """
    try:
        return F.hardswish(x)
    except _NOT_A_TENSOR as error:
        return _on_host(error, hard_silu, x)


hard_swish = hard_silu


@registry.builtin(_CATEGORY)
def linear(x):
    """The identity: returns ``x`` unchanged (the activation of a layer without one).

    Example:

    >>> keras.activations.linear([1.0, -2.0])
    [1.0, -2.0]
    """
    return x


@registry.builtin(_CATEGORY)
def mish(x):
    """Mish: ``x * tanh(softplus(x))``.

    Example:

    >>> keras.activations.mish([0.0, 1.0])
    array([0.        , 0.86509836], dtype=float32)
    """
    try:
        return F.mish(x)
    except _NOT_A_TENSOR as error:
        return _on_host(error, mish, x)


@registry.builtin(_CATEGORY)
def sparsemax(x, axis=-1):
    """Sparsemax: the Euclidean projection of ``x`` onto the probability simplex along ``axis``.

    Like softmax the outputs along ``axis`` sum to 1, but small inputs get exactly 0.

    Example:

    >>> keras.activations.sparsemax([[0.0, 1.0, 3.0]])
    array([[0., 0., 1.]], dtype=float32)
    """
    try:
        ranked = torch.sort(x, dim=axis, descending=True).values
        cumulative = torch.cumsum(ranked, dim=axis)
        shape = [1] * x.ndim
        shape[axis] = -1
        rank = torch.arange(1, x.shape[axis] + 1, device=x.device, dtype=x.dtype).view(shape)
        # The support is the k largest values with 1 + k * z_(k) > z_(1) + ... + z_(k);
        # the threshold tau makes the values above it sum to 1 (Martins & Astudillo, 2016).
        support_size = torch.sum(1 + rank * ranked > cumulative, dim=axis, keepdim=True)
        tau = (torch.gather(cumulative, axis, support_size - 1) - 1) / support_size.to(x.dtype)
        return torch.clamp(x - tau, min=0.0)
    except _NOT_A_TENSOR as error:
        return _on_host(error, sparsemax, x, axis)


def _builtin(activation):
    """True if ``activation`` is one of the functions of this module."""
    name = getattr(activation, "__name__", None)
    return registry.builtin_objects(_CATEGORY).get(name) is activation


def serialize(activation):
    """The config Keras writes for an activation: its name for the built-in ones.

    A user function becomes Keras's function config (``class_name`` ``"function"``,
    ``config`` its registered name); an activation object its class config.

    Example:

    >>> keras.activations.serialize(keras.activations.swish)
    'silu'
    """
    if _builtin(activation):
        return activation.__name__
    if hasattr(activation, "get_config"):
        return serialize_keras_object(activation)
    return {
        "module": type(activation).__module__,
        "class_name": "function",
        "config": registry.get_registered_name(activation),
        "registered_name": "function",
    }


def deserialize(config, custom_objects=None):
    """The activation a name or a Keras config names.

    Example:

    >>> keras.activations.deserialize("relu") is keras.activations.relu
    True
    """
    return deserialize_keras_object(config, _CATEGORY, custom_objects, what="activation")


def get(identifier):
    """Resolve an activation given as None (linear), a name, a config dict or a callable.

    Example:

    >>> keras.activations.get("relu") is keras.activations.relu
    True
    >>> keras.activations.get(None) is keras.activations.linear
    True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret activation function identifier {identifier!r}: expected None, "
        "a name such as 'relu', a config dict or a callable."
    )
