"""``Model``: a Layer that holds layers, prints a summary and (later) trains.

``Model(inputs, outputs)`` builds a Functional model (see ``functional.py``);
subclassing ``Model`` and writing ``call()`` gives a subclassed model whose
layers are the layers assigned as attributes, exactly as in Keras.
"""

import torch

from layerwise import backend, dtype_policies
from layerwise.engine import nest
from layerwise.engine.layer import Layer
from layerwise.engine.summary import print_summary
from layerwise.engine.trainer import Trainer
from layerwise.saving.registry import builtin


@builtin("models", keras_module="keras")
class Model(Trainer, Layer):
    """A group of layers with training and inference features.

    Two ways to make one, as in Keras:

    Functional: connect layers from ``Input`` to outputs.

    >>> inputs = layerwise.Input(shape=(3,))
    >>> x = layerwise.layers.Dense(4, activation="relu")(inputs)
    >>> outputs = layerwise.layers.Dense(5, activation="softmax")(x)
    >>> model = layerwise.Model(inputs=inputs, outputs=outputs)

    Subclassing: create layers in ``__init__``, use them in ``call``.

    >>> class MyModel(layerwise.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.dense1 = layerwise.layers.Dense(32, activation="relu")
    ...         self.dense2 = layerwise.layers.Dense(5, activation="softmax")
    ...     def call(self, inputs):
    ...         return self.dense2(self.dense1(inputs))
    >>> model = MyModel()
    >>> model(np.zeros((2, 3))).shape
    torch.Size([2, 5])
    """

    # A Sequential model can list its (unbuilt) layers before it knows its input shape.
    _summary_before_build = False

    def __new__(cls, *args, **kwargs):
        if cls is Model and (len(args) >= 2 or "inputs" in kwargs or "outputs" in kwargs):
            from layerwise.engine.functional import Functional

            return torch.nn.Module.__new__(Functional)
        return torch.nn.Module.__new__(cls)

    def __init__(self, *args, **kwargs):
        if args:
            raise TypeError(
                f"{type(self).__name__}() got positional arguments {args!r}. A subclassed model "
                "takes keyword arguments (name=..., trainable=...); for a Functional model "
                "use layerwise.Model(inputs, outputs)."
            )
        super().__init__(**kwargs)
        self._init_trainer()

    def _maybe_build(self, input_shapes):
        if type(self).build is Model.build and not self.built:
            # A subclassed model without build(): its layers build themselves in this first call.
            self._build_shape = input_shapes
            self.built = True
            return
        super()._maybe_build(input_shapes)

    def build(self, input_shape):
        """Create the weights of a subclassed model by running it once on zeros of ``input_shape``."""
        self._build_shape = input_shape
        self.built = True

        def zeros(shape):
            return torch.zeros([1 if d is None else d for d in shape], device=backend.device())

        with torch.no_grad():
            self(nest.map_structure(zeros, _as_shape_structure(input_shape)))

    @property
    def layers(self):
        """The model's layers (for a subclassed model: the layers assigned as attributes)."""
        return self._sublayers()

    def get_layer(self, name=None, index=None):
        """A layer by ``name`` or by position ``index`` in ``model.layers``."""
        if index is not None and name is not None:
            raise ValueError("Provide only a layer name or a layer index, not both.")
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model '{self.name}' only has "
                    f"{len(layers)} layers."
                )
            return layers[index]
        if name is not None:
            for layer in layers:
                if layer.name == name:
                    return layer
            names = ", ".join(layer.name for layer in layers)
            raise ValueError(f"No such layer: {name}. Existing layers are: {names}.")
        raise ValueError("Provide either a layer name or a layer index to get_layer().")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print the table Keras prints: each layer's name, type, output shape and weight count.

        Args:
            line_length: total width of the table (default: 88, or the terminal's width).
            positions: relative or absolute column end positions.
            print_fn: called with the whole summary text instead of ``print``.
            expand_nested: also list the layers of nested models.
            show_trainable: add a column saying whether each layer is trainable.
            layer_range: ``[first_name, last_name]`` (regexes) to print part of the model.
        """
        if not self.built and not self._summary_before_build:
            raise ValueError(
                f"Model '{self.name}' has not yet been built. Build it first by calling "
                "build(input_shape) or by calling the model on a batch of data."
            )
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable,
                      layer_range=layer_range)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable,
                "dtype": dtype_policies.serialize(self.dtype_policy)}


def _as_shape_structure(shape):
    """Turn a shape (tuple of ints/None) or a list of shapes into tuples nest treats as leaves."""
    if isinstance(shape, (list, tuple)) and shape and all(d is None or isinstance(d, int) for d in shape):
        return _ShapeTuple(shape)
    if isinstance(shape, dict):
        return {k: _as_shape_structure(v) for k, v in shape.items()}
    return [_as_shape_structure(s) for s in shape]


class _ShapeTuple:
    def __init__(self, shape):
        self.shape = tuple(shape)

    def __iter__(self):
        return iter(self.shape)
