"""``Sequential``: a plain stack of layers, each feeding the next."""

import torch

from layerwise import dtype_policies
from layerwise.engine.input_layer import InputLayer
from layerwise.engine.layer import Layer
from layerwise.engine.model import Model
from layerwise.engine.symbolic import KerasTensor
from layerwise.saving.registry import builtin
from layerwise.saving.serialization import deserialize_keras_object, serialize_keras_object


@builtin("models", keras_module="keras")
class Sequential(Model):
    """A model made of a stack of layers, one input tensor and one output tensor.

    The input shape can be given by an ``Input`` first, by ``input_shape=``
    (or ``input_dim=``) on the first layer, or left out: the model is then
    built the first time it sees data.

    Args:
        layers: list of layers to add.
        trainable: whether the model's weights are updated by training.
        name: model name (default ``sequential``, ``sequential_1``, ...).

    Example:

    >>> model = layerwise.Sequential([
    ...     layerwise.layers.Dense(100, activation="relu", input_shape=(89,)),
    ...     layerwise.layers.Dense(1),
    ... ])
    >>> model.add(layerwise.layers.Activation("linear"))
    >>> model.pop()
    >>> model.count_params()
    9101
    """

    _summary_before_build = True

    def __init__(self, layers=None, trainable=True, name=None, **kwargs):
        super().__init__(trainable=trainable, name=name, **kwargs)
        self._layer_list = torch.nn.ModuleList()
        self._input_layer = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._rebuild()

    def add(self, layer, rebuild=True):
        """Append ``layer`` (or an ``Input`` tensor, which sets the model's input shape)."""
        if isinstance(layer, KerasTensor):
            origin = layer._keras_history.layer if layer._keras_history else None
            if not isinstance(origin, InputLayer):
                raise ValueError(
                    "Sequential.add() only accepts tensors from layerwise.Input(); add layers otherwise."
                )
            layer = origin
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add() expects a layer, got {layer!r} of type {type(layer).__name__}."
            )
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or len(self._layer_list):
                raise ValueError(
                    f"Sequential model '{self.name}' already has layers; an Input can only be "
                    "the first thing added."
                )
            self._input_layer = layer
        else:
            if any(existing.name == layer.name for existing in self._layer_list):
                raise ValueError(
                    f"All layers added to Sequential model '{self.name}' must have unique names; "
                    f"'{layer.name}' is already used. Give the new layer another name=..."
                )
            if self._input_layer is None and not len(self._layer_list) and layer._batch_input_shape:
                self._input_layer = InputLayer(batch_shape=layer._batch_input_shape)
            self._layer_list.append(layer)
        if rebuild:
            self._rebuild()

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not len(self._layer_list):
            raise TypeError(f"There are no layers in model '{self.name}' to pop.")
        layer = self._layer_list[-1]
        del self._layer_list[-1]
        if rebuild:
            self._rebuild()
        return layer

    def _rebuild(self):
        """Run the symbolic input through the stack: builds every layer and records shapes."""
        if self._input_layer is None or not len(self._layer_list):
            return
        x = self._input_layer.output
        for layer in self._layer_list:
            x = layer(x)
        self._output_tensor = x
        self.built = True
        self._build_shape = self._input_layer.batch_shape

    def build(self, input_shape=None):
        """Build the model for inputs of ``input_shape`` (batch axis included, may be None)."""
        if input_shape is None and self._input_layer is None:
            raise ValueError("Sequential.build() needs the input shape, e.g. model.build((None, 89)).")
        if self._input_layer is None:
            # As in Keras, a model built by its first batch records that batch's size.
            self._input_layer = InputLayer(batch_shape=tuple(input_shape))
        self._rebuild()
        self.built = True

    def _maybe_build(self, input_shapes):
        if not self.built:
            self.build(input_shapes)

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self._layer_list:
            x = layer(x)
        return x

    def compute_output_spec(self, *args, **kwargs):
        x = args[0]
        for layer in self._layer_list:
            x = layer.compute_output_spec(x)
        return x

    @property
    def layers(self):
        return list(self._layer_list)

    def _graph_tensor(self, which):
        if not self.built or self._input_layer is None:
            raise AttributeError(
                f"Sequential model '{self.name}' has no defined {which} yet: give it an Input, or "
                "call it on data first."
            )
        return self._input_layer.output if which == "input" else self._output_tensor

    @property
    def input(self):
        return self._graph_tensor("input")

    @property
    def output(self):
        return self._graph_tensor("output")

    @property
    def inputs(self):
        return [self.input]

    @property
    def outputs(self):
        return [self.output]

    @property
    def input_shape(self):
        return self.input.shape

    @property
    def output_shape(self):
        return self.output.shape

    def get_config(self):
        layers = []
        if self._input_layer is not None:
            layers.append(serialize_keras_object(self._input_layer))
        for layer in self._layer_list:
            entry = serialize_keras_object(layer)
            build_config = layer.get_build_config()
            if build_config is not None:
                entry["build_config"] = build_config
            layers.append(entry)
        config = {"name": self.name, "trainable": self.trainable, "dtype": dtype_policies.serialize(self.dtype_policy),
                  "layers": layers}
        if self._input_layer is not None:
            config["build_input_shape"] = self._input_layer.batch_shape
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config["layers"]:
            layer = deserialize_keras_object(layer_config, "layers", custom_objects, what="layer")
            model.add(layer, rebuild=False)
        model._rebuild()
        if not model.built and config.get("build_input_shape"):
            model.build(config["build_input_shape"])
        return model


__all__ = ["Sequential"]
