"""Layer wrappers: Wrapper (the base), TimeDistributed and Bidirectional."""

import copy

import torch

from layerwise.engine import nest
from layerwise.engine.layer import Layer
from layerwise.engine.symbolic import KerasTensor
from layerwise.saving.registry import builtin
from layerwise.saving.serialization import deserialize_keras_object, serialize_keras_object

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)
_RNN_ATTRIBUTES = ("go_backwards", "return_sequences", "return_state")


def _describe(obj):
    if isinstance(obj, Layer):
        return f"{type(obj).__name__} '{obj.name}'"
    return f"{obj!r} (of type {type(obj).__name__})"


@builtin("layers")
class Wrapper(Layer):
    """Base class of layers that wrap another layer (``TimeDistributed``, ``Bidirectional``).

    The wrapped layer is tracked: its weights are the wrapper's weights, and
    freezing the wrapper freezes it. Not used on its own: subclass it and
    implement ``call``.

    Args:
        layer: the ``Layer`` instance to wrap.

    Example:

    >>> class Twice(layerwise.layers.Wrapper):
    ...     def call(self, inputs):
    ...         return self.layer(self.layer(inputs))
    >>> Twice(layerwise.layers.Dense(4))(np.ones((2, 4))).shape
    torch.Size([2, 4])
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ValueError(  # noqa: TRY004 - Keras raises ValueError for a non-layer
                f"{type(self).__name__} '{self.name}' wraps a layer, but got {_describe(layer)}. "
                f"Pass a layer instance, e.g. {type(self).__name__}(layerwise.layers.Dense(8))."
            )
        self.layer = layer
        if not self._trainable:
            self.trainable = False  # `TimeDistributed(Dense(3), trainable=False)` freezes the Dense

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer._maybe_build(input_shape)

    def get_config(self):
        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        layer = deserialize_keras_object(config.pop("layer"), "layers", custom_objects, what="layer")
        return cls(layer, **config)


@builtin("layers")
class TimeDistributed(Wrapper):
    """Applies a layer to every temporal slice of an input.

    Every input must be at least 3D; axis 1 is the time axis. The same layer
    (the same weights) processes every time step: the time axis is folded
    into the batch axis, ``(batch, time, ...) -> (batch * time, ...)``, the
    layer is called once, and the result is unfolded again (both reshapes
    are views when the input is contiguous).

    Args:
        layer: a ``Layer`` instance, e.g. ``Dense(8)`` or ``Conv2D(64, 3)``.

    Call arguments:
        inputs: a tensor of shape ``(batch, time, ...)``.
        training: passed to the wrapped layer.
        mask: boolean tensor of shape ``(batch, time)``; passed (folded the
            same way) to a wrapped layer whose ``call`` takes a mask. It is
            also the output's mask, as in Keras.

    Input shape: ``(batch_size, time, ...)``. Output shape:
    ``(batch_size, time, ...)`` with the wrapped layer's output shape for the
    trailing axes.

    Example:

    >>> inputs = layerwise.Input(shape=(10, 16))
    >>> outputs = layerwise.layers.TimeDistributed(layerwise.layers.Dense(8))(inputs)
    >>> outputs.shape
    (None, 10, 8)
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _child_input_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3 or \
                not all(d is None or isinstance(d, int) for d in input_shape):
            raise ValueError(
                f"TimeDistributed '{self.name}' expects an input of shape (batch, time, ...) with at "
                f"least 3 dimensions, got shape {input_shape!r}. Axis 1 is the time axis: for "
                f"(batch, features) data call {_describe(self.layer)} directly, or add a time axis "
                "(e.g. x[:, None, :])."
            )
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape):
        super().build(self._child_input_shape(input_shape))

    def compute_output_shape(self, input_shape):
        child_shape = self._child_input_shape(input_shape)
        try:
            child = self.layer.compute_output_shape(child_shape)
        except NotImplementedError:
            # A layer without compute_output_shape (a nested model, a user layer) still has a spec.
            child = self.layer.compute_output_spec(KerasTensor(child_shape, dtype=self.compute_dtype)).shape
        return (child[0], input_shape[1]) + tuple(child[1:])

    def call(self, inputs, training=None, mask=None):
        shape = tuple(inputs.shape)
        if len(shape) < 3:
            self._child_input_shape(shape)  # raises the explanatory error
        batch, steps = shape[0], shape[1]
        kwargs = {"training": training}
        if mask is not None:
            mask_shape = tuple(mask.shape)
            if len(mask_shape) < 2 or mask_shape[:2] != (batch, steps):
                raise ValueError(
                    f"TimeDistributed '{self.name}' got a mask of shape {mask_shape} for inputs of "
                    f"shape {shape}; the mask must start with the inputs' batch and time axes, "
                    f"i.e. have shape ({batch}, {steps}, ...)."
                )
            kwargs["mask"] = mask.reshape((batch * steps,) + mask_shape[2:])
        outputs = self.layer(inputs.reshape((batch * steps,) + shape[2:]), **kwargs)
        return nest.map_structure(
            lambda out: out.reshape((batch, steps) + tuple(out.shape[1:])), outputs
        )


@builtin("layers")
class Bidirectional(Wrapper):
    """Bidirectional wrapper for RNNs: runs a recurrent layer forwards and backwards in time.

    The wrapped layer's config creates two fresh layers: ``forward_<name>``
    and ``backward_<name>`` (the same config with ``go_backwards`` inverted),
    whose outputs are merged. With ``return_sequences=True`` the backward
    outputs are put back in forward time order before merging, so step ``t``
    of the output sees the whole sequence. Masks (e.g. from
    ``Embedding(mask_zero=True)``) reach both directions; masked steps of
    returned sequences are zeros.

    Weights are the forward layer's then the backward layer's, in Keras's
    order, so ``set_weights(keras_bidirectional.get_weights())`` works. As in
    Keras, the wrapped instance's own weights are not reused.

    Args:
        layer: a recurrent layer instance: ``SimpleRNN``, ``LSTM``, ``GRU``
            or ``RNN`` (or a layer with ``go_backwards``, ``return_sequences``
            and ``return_state`` attributes and ``get_config``/``from_config``).
        merge_mode: how the two directions are combined: ``'concat'``
            (default), ``'sum'``, ``'mul'``, ``'ave'``, or ``None`` for a
            tuple ``(forward, backward)``.
        weights: optional initial weights, forward then backward (what
            ``get_weights()`` returns).
        backward_layer: optional recurrent layer for the backward direction;
            it must have ``go_backwards`` opposite to ``layer`` and the same
            ``return_sequences``, ``return_state`` and ``stateful``.

    Call arguments:
        inputs: a tensor of shape ``(batch, time, features)``.
        initial_state: optional list of state tensors: the first half for the
            forward layer, the second half for the backward layer.
        mask: boolean tensor of shape ``(batch, time)``.
        training: passed to both layers (dropout).

    Input shape: ``(batch_size, time, features)``.

    Output shape: the wrapped layer's, with the last axis doubled for
    ``'concat'``; with ``merge_mode=None`` a tuple of two such outputs
    ``(forward, backward)``; with ``return_state=True`` a tuple
    ``(output(s)..., *forward_states, *backward_states)``.

    Example:

    >>> model = layerwise.Sequential([
    ...     layerwise.Input(shape=(5, 10)),
    ...     layerwise.layers.Bidirectional(layerwise.layers.LSTM(10, return_sequences=True)),
    ...     layerwise.layers.Bidirectional(layerwise.layers.LSTM(10)),
    ...     layerwise.layers.Dense(5, activation="softmax"),
    ... ])
    >>> model.output_shape
    (None, 5)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        Layer.__init__(self, **kwargs)
        self._check_recurrent(layer, "layer")
        if backward_layer is not None:
            self._check_recurrent(backward_layer, "backward_layer")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Bidirectional '{self.name}' got merge_mode={merge_mode!r}; expected one of "
                "'concat', 'sum', 'mul', 'ave' or None."
            )
        # Fresh layers from the config, so nothing (weights, state) is shared with `layer`.
        self.forward_layer = self._recreate(layer, "forward_")
        if backward_layer is None:
            self.backward_layer = self._recreate(layer, "backward_", go_backwards=not layer.go_backwards)
        else:
            self.backward_layer = backward_layer
        for source in ("use_cudnn",):
            if hasattr(layer, source):
                setattr(self.forward_layer, source, getattr(layer, source))
                setattr(self.backward_layer, source, getattr(layer, source))
        self._verify_directions()
        for direction in (self.forward_layer, self.backward_layer):
            # As in Keras: returned sequences are zero at masked steps.
            if getattr(direction, "zero_output_for_mask", None) is not None:
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self.stateful = bool(getattr(layer, "stateful", False))
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec
        self._states_per_direction = None
        if not self._trainable:
            self.trainable = False  # freezes both directions
        if weights is not None and len(weights):
            self._initial_weights = list(weights)
        if self._batch_input_shape is None and layer._batch_input_shape is not None:
            # Keras 2: `Bidirectional(LSTM(8, input_shape=(5, 3)))` as a first layer.
            self._batch_input_shape = layer._batch_input_shape

    @property
    def layer(self):
        """The forward layer (Keras's ``Wrapper.layer``)."""
        return self.forward_layer

    def _check_recurrent(self, candidate, argument):
        if not isinstance(candidate, Layer) or not all(hasattr(candidate, a) for a in _RNN_ATTRIBUTES):
            raise ValueError(
                f"Bidirectional '{self.name}' needs an RNN layer (SimpleRNN, LSTM, GRU or RNN) as "
                f"`{argument}`, got {_describe(candidate)}. Wrap a recurrent layer, e.g. "
                "Bidirectional(LSTM(64)); to apply a layer to every time step use TimeDistributed."
            )

    def _input_hint(self, shape):
        return self.forward_layer._input_hint(shape)

    @staticmethod
    def _recreate(layer, prefix, go_backwards=None):
        config = copy.deepcopy(layer.get_config())
        name = layer.name.removeprefix(prefix)
        config["name"] = prefix + name
        if go_backwards is not None:
            config["go_backwards"] = bool(go_backwards)
        return type(layer).from_config(config)

    def _verify_directions(self):
        forward, backward = self.forward_layer, self.backward_layer
        if bool(forward.go_backwards) == bool(backward.go_backwards):
            raise ValueError(
                f"Bidirectional '{self.name}': the forward layer {_describe(forward)} and the backward "
                f"layer {_describe(backward)} both have go_backwards={forward.go_backwards}. Give "
                "backward_layer the opposite value (usually go_backwards=True)."
            )
        for attribute in ("stateful", "return_sequences", "return_state"):
            mine, theirs = getattr(forward, attribute, False), getattr(backward, attribute, False)
            if mine != theirs:
                raise ValueError(
                    f"Bidirectional '{self.name}': the forward layer has {attribute}={mine} but "
                    f"backward_layer {_describe(backward)} has {attribute}={theirs}. Both directions "
                    f"need the same {attribute}."
                )

    # ------------------------------------------------------------------ building and shapes

    def build(self, sequences_shape, initial_state_shape=None):
        # Refused here, in the wrapper's name: the user never named the directions' inner layers.
        check_sequences_shape = getattr(self.forward_layer, "check_sequences_shape", None)
        if check_sequences_shape is not None:  # a built-in RNN (user layers only need RNN attributes)
            check_sequences_shape(sequences_shape, where=f"Bidirectional '{self.name}'")
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                direction._maybe_build(tuple(sequences_shape))
        self.input_spec = self.forward_layer.input_spec
        if self.return_state:
            try:
                shapes = self.forward_layer.compute_output_shape(tuple(sequences_shape))
                self._states_per_direction = len(shapes) - 1
            except NotImplementedError:
                self._states_per_direction = None  # learnt from the first call instead

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(tuple(sequences_shape))
        states = []
        if self.return_state:
            output_shape, states = output_shape[0], list(output_shape[1:])
        output_shape = tuple(output_shape)
        if self.merge_mode == "concat":
            last = output_shape[-1]
            output_shape = output_shape[:-1] + (None if last is None else 2 * last,)
        outputs = (output_shape, output_shape) if self.merge_mode is None else (output_shape,)
        if self.return_state:
            return outputs + tuple(tuple(s) for s in states) * 2
        return outputs if self.merge_mode is None else output_shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        masks = (output_mask, output_mask) if self.merge_mode is None else (output_mask,)
        if not self.return_state:
            return masks if self.merge_mode is None else output_mask
        return masks + (None,) * (2 * (self._states_per_direction or 0))

    # ------------------------------------------------------------------ calling

    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {"training": training}
        if mask is not None:
            kwargs["mask"] = mask
        if initial_state is None:
            forward = self.forward_layer(sequences, **kwargs)
            backward = self.backward_layer(sequences, **kwargs)
        else:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(states) % 2:
                raise ValueError(
                    f"Bidirectional '{self.name}' got {len(states)} initial states; it needs an even "
                    "number: the forward layer's states followed by the backward layer's "
                    "(e.g. [h_fwd, c_fwd, h_bwd, c_bwd] for an LSTM)."
                )
            half = len(states) // 2
            forward = self.forward_layer(sequences, initial_state=states[:half], **kwargs)
            backward = self.backward_layer(sequences, initial_state=states[half:], **kwargs)

        if self.return_state:
            states = tuple(forward[1:]) + tuple(backward[1:])
            if self._states_per_direction is None:
                self._states_per_direction = len(forward) - 1
            forward, backward = forward[0], backward[0]
        if self.return_sequences:
            backward = torch.flip(backward, (1,))  # back to forward time order

        if self.merge_mode == "concat":
            outputs = (torch.cat((forward, backward), dim=-1),)
        elif self.merge_mode == "sum":
            outputs = (forward + backward,)
        elif self.merge_mode == "ave":
            outputs = ((forward + backward) / 2,)
        elif self.merge_mode == "mul":
            outputs = (forward * backward,)
        else:
            outputs = (forward, backward)
        if self.return_state:
            return outputs + states
        return outputs if self.merge_mode is None else outputs[0]

    # ------------------------------------------------------------------ state

    @property
    def states(self):
        forward = getattr(self.forward_layer, "states", None)
        backward = getattr(self.backward_layer, "states", None)
        if forward and backward:
            return tuple(forward) + tuple(backward)
        return None

    def reset_state(self):
        if not self.stateful:
            raise AttributeError(
                f"Bidirectional '{self.name}' is not stateful, so it has no state to reset. "
                "Create the wrapped layer with stateful=True."
            )
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    reset_states = reset_state

    # ------------------------------------------------------------------ config

    def get_config(self):
        return {
            **Layer.get_config(self),
            "merge_mode": self.merge_mode,
            "layer": serialize_keras_object(self.forward_layer),
            "backward_layer": serialize_keras_object(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)
        config["layer"] = deserialize_keras_object(config["layer"], "layers", custom_objects, what="layer")
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize_keras_object(
                backward, "layers", custom_objects, what="layer"
            )
        return cls(**config)


__all__ = ["Bidirectional", "TimeDistributed", "Wrapper"]
