"""Core layers: Dense, Activation, Identity, Lambda."""

import base64
import marshal
import types

import torch
import torch.nn.functional as F

from layerwise import activations, constraints, initializers, regularizers
from layerwise.engine import nest
from layerwise.engine.layer import InputSpec, Layer
from layerwise.saving import serialization
from layerwise.saving.registry import builtin


@builtin("layers")
class Dense(Layer):
    """Just your regular densely-connected layer: ``activation(inputs @ kernel + bias)``.

    The kernel has Keras's layout ``(input_dim, units)``. Inputs of rank > 2
    are transformed along their last axis.

    Args:
        units: size of the output.
        activation: activation function or its name (default: none, linear).
        use_bias: whether to add a bias vector.
        kernel_initializer: default ``'glorot_uniform'``.
        bias_initializer: default ``'zeros'``.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties
            added to the model's loss.
        kernel_constraint, bias_constraint: projections applied after each
            optimizer step.

    Input shape: ``(batch_size, ..., input_dim)``. Output shape:
    ``(batch_size, ..., units)``.

    Example:

    >>> model = layerwise.Sequential([layerwise.Input(shape=(16,)),
    ...                               layerwise.layers.Dense(32, activation="relu")])
    >>> model.output_shape
    (None, 32)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"Dense units must be a positive integer, got {units!r}. "
                "It is the number of outputs, e.g. Dense(10)."
            )
        if lora_rank is not None or quantization_config is not None:
            raise ValueError("layerwise's Dense does not support LoRA or quantization yet.")
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"Dense '{self.name}' needs a known last input dimension, got input shape {input_shape}."
            )
        self.kernel = self.add_weight(
            shape=(input_dim, self.units), initializer=self.kernel_initializer, name="kernel",
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,), initializer=self.bias_initializer, name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def _input_hint(self, shape):
        if len(shape) == 1:
            return (f" A single sample needs a batch axis: reshape to (1, {shape[0]}), "
                    "e.g. x[None, :] or x.reshape(1, -1).")
        return ""

    def call(self, inputs):
        if not inputs.is_floating_point():  # integer features (one-hot ints, counts): Keras promotes them
            inputs = inputs.to(self.kernel.dtype)
        # F.linear wants (out, in); the transposed view of Keras's (in, out) kernel costs no copy.
        outputs = F.linear(inputs, self.kernel.t(), self.bias)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": None,
        }


@builtin("layers")
class Activation(Layer):
    """Applies an activation function to its input.

    Args:
        activation: a function or the name of one (``'relu'``, ``'softmax'``, ...).

    Example:

    >>> layer = layerwise.layers.Activation("relu")
    >>> layer(np.array([[-3.0, 0.0, 2.0]]))
    tensor([[0., 0., 2.]])
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


@builtin("layers")
class Identity(Layer):
    """Returns its input unchanged (a placeholder in a model).

    Example:

    >>> layerwise.layers.Identity()(np.ones((1, 2)))
    tensor([[1., 1.]])
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


@builtin("layers")
class Lambda(Layer):
    """Wraps a Python function as a layer: ``Lambda(lambda x: x ** 2)``.

    The function receives torch tensors (use ``torch`` or ``layerwise.ops``-style
    tensor code). Lambda layers are for quick experiments; anything with
    weights belongs in a ``Layer`` subclass.

    Saving: the config stores the function's bytecode, as Keras does. Loading
    a model that contains such bytecode runs code, so it is refused unless
    ``safe_mode=False`` (or ``layerwise.saving.enable_unsafe_deserialization()``).

    Args:
        function: the function to apply; it gets the inputs first.
        output_shape: the output shape without the batch axis (tuple), or a
            function of the input shape; inferred by running the function
            when omitted.
        mask: a mask, or a function ``(inputs, mask) -> mask``.
        arguments: extra keyword arguments for ``function``.

    Example:

    >>> square = layerwise.layers.Lambda(lambda x: x ** 2)
    >>> square(np.array([[3.0]]))
    tensor([[9.]])
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda expects a callable function, got {function!r}.")
        self.function = function
        self._output_shape = output_shape
        self.mask = mask
        self.arguments = arguments or {}
        self.supports_masking = mask is not None

    def call(self, inputs, mask=None, training=None):
        return self.function(inputs, **self.arguments)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            raise NotImplementedError
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = nest.flatten(input_shape)[0] if isinstance(input_shape, list) else input_shape[0]
        return (batch,) + tuple(self._output_shape)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        config = {**super().get_config(), "function": _function_config(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = (
                _function_config(self._output_shape) if callable(self._output_shape)
                else self._output_shape
            )
        if self.mask is not None:
            config["mask"] = _function_config(self.mask) if callable(self.mask) else self.mask
        config["arguments"] = self.arguments
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["function"] = _function_from_config(config["function"])
        for key in ("output_shape", "mask"):
            if isinstance(config.get(key), dict):
                config[key] = _function_from_config(config[key])
        if isinstance(config.get("output_shape"), list):
            config["output_shape"] = tuple(config["output_shape"])
        return cls(**config)


def _function_config(function):
    """Keras's config for a function: its registered name, or its bytecode if it is a lambda."""
    if isinstance(function, types.LambdaType) and function.__name__ == "<lambda>":
        code = base64.encodebytes(marshal.dumps(function.__code__)).decode("ascii")
        closure = None
        if function.__closure__:
            closure = tuple(cell.cell_contents for cell in function.__closure__)
        return {"class_name": "__lambda__",
                "config": {"code": code, "defaults": function.__defaults__, "closure": closure}}
    return serialization.serialize_keras_object(function)


def _function_from_config(config):
    if isinstance(config, dict) and config.get("class_name") == "__lambda__":
        if serialization.in_safe_mode():
            raise ValueError(
                "Refused to load a Lambda layer whose function is Python bytecode: loading it would "
                "run code from the file. If you trust the file, load it with safe_mode=False "
                "(or call layerwise.saving.enable_unsafe_deserialization())."
            )
        inner = config["config"]
        code = marshal.loads(base64.decodebytes(inner["code"].encode("ascii")))
        closure = inner.get("closure")
        if closure is not None:
            closure = tuple(types.CellType(value) for value in closure)
        defaults = tuple(inner["defaults"]) if inner.get("defaults") else None
        return types.FunctionType(code, {"torch": torch, "F": F}, None, defaults, closure)
    return serialization.deserialize_keras_object(config, "activations", what="function")
