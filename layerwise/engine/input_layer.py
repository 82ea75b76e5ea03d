"""``Input`` and ``InputLayer``: where a Functional or Sequential model starts."""

from layerwise.engine.layer import Layer
from layerwise.engine.symbolic import KerasTensor, Node
from layerwise.saving.registry import builtin


@builtin("layers")
class InputLayer(Layer):
    """The layer behind ``Input``: holds the model's input shape; computes nothing.

    Args:
        shape: shape of one sample, without the batch axis, e.g. ``(89,)``.
        batch_size: optional fixed batch size.
        dtype: dtype of the input (default ``'float32'``).
        batch_shape: the full shape including the batch axis (instead of
            ``shape`` and ``batch_size``).
        name: the layer's name (default ``input_layer``, ``input_layer_1``, ...).

    Example:

    >>> layer = layerwise.layers.InputLayer(shape=(3,))
    >>> layer.output.shape
    (None, 3)
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 input_tensor=None, optional=False, name=None, ragged=None, **kwargs):
        legacy_shape = kwargs.pop("input_shape", None)
        legacy_batch_shape = kwargs.pop("batch_input_shape", None)
        shape = shape if shape is not None else legacy_shape
        batch_shape = batch_shape if batch_shape is not None else legacy_batch_shape
        super().__init__(name=name, dtype=dtype, **kwargs)
        if shape is not None and batch_shape is not None:
            raise ValueError("Give InputLayer either shape or batch_shape, not both.")
        if batch_shape is None:
            if shape is None:
                raise ValueError(
                    "Input needs the shape of one sample, e.g. Input(shape=(89,)) for 89 features."
                )
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.sparse = bool(sparse)
        self.optional = optional
        self.built = True
        tensor = KerasTensor(self.batch_shape, dtype=self._dtype, name=self.name)
        Node(self, call_args=(), call_kwargs={}, outputs=tensor)

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "sparse": self.sparse,
                "ragged": False, "name": self.name, "optional": self.optional}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False):
    """A symbolic input of a Functional model: the shape of one sample.

    Args:
        shape: shape of one sample, without the batch axis: ``Input(shape=(89,))``
            (an int is accepted for one axis: ``Input(89)``).
        batch_size: optional fixed batch size.
        dtype: ``'float32'`` by default; ``'int32'``/``'int64'`` for token ids.
        batch_shape: the full shape including the batch axis.
        name: name of the input (unique within the model).

    Example:

    >>> inputs = layerwise.Input(shape=(89,))
    >>> outputs = layerwise.layers.Dense(1)(inputs)
    >>> model = layerwise.Model(inputs, outputs)
    >>> model.count_params()
    90
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       batch_shape=batch_shape, name=name, optional=optional)
    return layer.output


__all__ = ["Input", "InputLayer"]
