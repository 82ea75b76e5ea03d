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

    def find_learning_rate(self, x, y=None, **kwargs):
        """The learning-rate range test on this model: ``layerwise.tuning.find_learning_rate(self, x, y, ...)``.

        Leaves the weights and the optimizer as they were; returns the loss
        curve, a suggested rate (``.suggestion``) and ``.plot()``.

        Example:

        >>> result = model.find_learning_rate(x_train, y_train)
        >>> model.optimizer.learning_rate = result.suggestion
        """
        from layerwise.tuning.lr_finder import find_learning_rate  # tools sit above the engine

        return find_learning_rate(self, x, y, **kwargs)

    def evaluate_against_baseline(self, x, y, baseline_predictions, metrics=None, **kwargs):
        """This model's metrics beside a baseline's, printed side by side; see
        ``layerwise.tuning.evaluate_against_baseline``.

        Example:

        >>> model.evaluate_against_baseline(x_test, y_test, x_test["BASEL_sunshine"])
        """
        from layerwise.tuning.baseline import evaluate_against_baseline

        return evaluate_against_baseline(self, x, y, baseline_predictions, metrics=metrics, **kwargs)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable,
                "dtype": dtype_policies.serialize(self.dtype_policy)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from its config: a Functional graph if the config describes one, else ``cls(**config)``."""
        from layerwise.saving import model_config

        return model_config.model_from_class_config(cls, config, custom_objects)

    # ------------------------------------------------------------------ saving (done by layerwise.saving)

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the model (architecture, weights, compile settings, optimizer state).

        ``'model.keras'`` writes Keras 3's zip; ``'model.h5'`` the legacy HDF5
        file; a path without extension (``model.save('my_model')``, as older
        course code does) the same contents unzipped into a directory.
        ``layerwise.models.load_model`` (and Keras) read all three back.

        Args:
            filepath: where to save (``str`` or ``pathlib.Path``).
            overwrite: replace an existing file; ``False`` asks first.
            zipped: ``True`` for a ``.keras`` zip, ``False`` for a directory;
                default from the extension.
            include_optimizer: (``.h5`` only) also save the optimizer state.

        Example:

        >>> model.save("weather.keras")
        >>> restored = layerwise.models.load_model("weather.keras")
        """
        from layerwise.saving import api

        return api.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Save all weights (and the optimizer state) to ``filepath``.

        ``*.weights.h5`` uses Keras 3's layout; any other ``.h5`` name the
        Keras 2 layout (``model_weights`` by layer name).

        Args:
            filepath: path ending in ``.weights.h5`` (or ``.h5``).
            overwrite: replace an existing file; ``False`` asks first.
            max_shard_size: split the weights into files of at most this many
                GB, listed by a ``*.weights.json`` file (the path must end in
                ``.weights.json``).

        Example:

        >>> model.save_weights("weather.weights.h5")
        """
        from layerwise.saving import api

        return api.save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights saved by ``save_weights`` (or from a ``.keras`` file) into this built model.

        Every count, shape and dtype is checked before any weight changes, so
        a mismatch leaves the model as it was.

        Args:
            filepath: ``*.weights.h5``, ``*.weights.json``, ``*.keras`` or a legacy ``.h5`` file.
            skip_mismatch: skip (with a warning) layers whose weights do not
                match instead of raising.
            by_name: (legacy ``.h5`` only) match layers by name, not by order.

        Example:

        >>> model.load_weights("weather.weights.h5")
        """
        from layerwise.saving import api

        return api.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def export(self, filepath, format="onnx", verbose=None, input_signature=None, **kwargs):
        """Export the forward pass (inference only, batch size free) as a standalone artifact.

        Args:
            filepath: where to write (``str`` or ``pathlib.Path``).
            format: ``"onnx"`` (default; ONNX Runtime, TensorRT, OpenVINO, ...),
                ``"torch"`` (a ``torch.export`` program; path ends in ``.pt2``;
                also ``"torch_export"``/``"pt2"``) or ``"torchscript"``
                (``torch.jit.load``). ``"tf_saved_model"`` needs TensorFlow and is
                refused with a message naming these instead.
            verbose: print where the artifact was saved (default ``True``).
            input_signature: the inputs' shapes and dtypes, as
                ``layerwise.layers.InputSpec`` objects, ``Input`` tensors or
                example arrays (default: ``model.inputs``). Axis 0 is the batch
                axis and is always dynamic.
            **kwargs: ``opset_version`` for ONNX; ``torch.export.export``'s
                arguments (``strict``, ``dynamic_shapes``, ...) for ``"torch"``;
                ``torch.jit.trace``'s ``check_trace``, ``check_tolerance``,
                ``strict`` for ``"torchscript"``.

        Example:

        >>> model.export("weather.onnx")
        >>> session = onnxruntime.InferenceSession("weather.onnx")
        >>> session.run(None, {session.get_inputs()[0].name: x_test})
        """
        from layerwise.saving.export import export_model

        export_model(self, filepath, format=format, verbose=verbose, input_signature=input_signature, **kwargs)

    def to_json(self, **kwargs):
        """The model's config as a JSON string (``kwargs`` go to ``json.dumps``).

        Example:

        >>> text = model.to_json()
        >>> same_architecture = layerwise.models.model_from_json(text)
        """
        from layerwise.saving import model_config

        return model_config.model_to_json(self, **kwargs)

    def get_compile_config(self):
        """The arguments ``compile`` was called with, as a config (``{}`` if not compiled)."""
        from layerwise.saving import model_config

        return model_config.get_compile_config(self)

    def compile_from_config(self, config):
        """Compile the model from :meth:`get_compile_config`'s dict (used when loading)."""
        from layerwise.saving import model_config

        return model_config.compile_from_config(self, config)

    def build_from_config(self, config):
        """Create the weights for the input shape recorded in ``config`` (used when loading)."""
        from layerwise.saving import model_config

        return model_config.build_model_from_config(self, config)


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
