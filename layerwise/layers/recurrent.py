"""Recurrent layers: RNN (the generic wrapper around a cell), SimpleRNN, LSTM, GRU.

An ``RNN`` runs a cell (``layerwise.layers.rnn_cells``) over the time axis of
``(batch, timesteps, features)`` inputs. Behaviour follows Keras 3 exactly:

* ``return_sequences`` returns every step's output, else the last one;
  ``return_state`` appends the final states (a tuple ``(output, *states)``).
* ``go_backwards`` processes the sequence from the end; with
  ``return_sequences`` the outputs come back in that processing order
  (reversed time), as Keras returns them.
* Masks (a ``_keras_mask`` on the input, e.g. from ``Embedding(mask_zero=True)``,
  or ``mask=``): a masked step keeps the previous states, and its output is
  the previous step's output (zeros before the first unmasked step; zeros
  always with ``zero_output_for_mask=True``).
* ``stateful=True`` carries the final states of one batch into the next
  (``reset_state()`` zeroes them); the batch size must be fixed.

Speed: which computation runs is decided once, in ``build``, from the
configuration. ``LSTM`` (tanh/sigmoid, no recurrent dropout), ``GRU`` (the same
and ``reset_after=True``) and ``SimpleRNN`` (tanh or relu, no recurrent
dropout) call torch's fused kernels (``torch._VF.lstm``/``gru``/``rnn_tanh``/
``rnn_relu``) on views of the Keras-layout weights, whenever the call has no
mask. Every other case runs a loop over time; for the built-in cells the
input half of every step is computed for the whole sequence in one matrix
product first. Inside ``torch.compile`` (``jit_compile=True``) the loop runs
too, since inductor cannot lower the fused kernels' training form on the CPU.
"""

import torch

from layerwise import activations, backend, regularizers
from layerwise.engine import nest
from layerwise.engine.layer import InputSpec, Layer
from layerwise.layers.rnn_cells import (
    GRUCell,
    LSTMCell,
    SimpleRNNCell,
    StackedRNNCells,
    _BuiltinCell,
    fast_activation,
    prefix_weight_paths,
    reset_dropout_masks,
    serialize_layer,
)
from layerwise.saving import serialization
from layerwise.saving.registry import builtin

_SEQUENCE_HINT = (
    " Recurrent layers expect (batch, timesteps, features); for one feature per step use "
    "x[..., None], or add an Embedding / Reshape."
)


def _expand(mask, like):
    """A ``(batch, 1)`` boolean mask shaped to broadcast against ``like`` (batch first)."""
    return mask if like.ndim == 2 else mask.reshape((-1,) + (1,) * (like.ndim - 1))


def _time_loop(step, inputs, states, mask, go_backwards, return_sequences, zero_output_for_mask):
    """Run ``step(input_t, states) -> (output, new_states)`` over the time-major ``inputs``.

    Returns ``(last_output, outputs or None, final_states)``; ``outputs`` is
    ``(batch, timesteps, ...)`` in processing order (reversed with
    ``go_backwards``), as Keras returns it. With a time-major ``mask``, a
    masked step keeps the states and repeats the previous output (zeros at
    the start, or always with ``zero_output_for_mask``).
    """
    steps = inputs.unbind(0)
    order = range(len(steps) - 1, -1, -1) if go_backwards else range(len(steps))
    outputs = []
    output = None
    if mask is None:
        for t in order:
            output, states = step(steps[t], tuple(states))
            if not isinstance(states, (list, tuple)):
                states = [states]
            if return_sequences:
                outputs.append(output)
    else:
        keep_steps = mask.unsqueeze(-1).unbind(0)  # (batch, 1) per step: broadcasts over units
        previous = zeros = None
        for t in order:
            new_output, new_states = step(steps[t], tuple(states))
            if not isinstance(new_states, (list, tuple)):
                new_states = [new_states]
            keep = keep_steps[t]
            if zeros is None:
                zeros = torch.zeros_like(new_output)
                previous = zeros
            output = torch.where(_expand(keep, new_output), new_output,
                                 zeros if zero_output_for_mask else previous)
            flat_new = nest.flatten(new_states)
            flat_old = nest.flatten(states)
            states = nest.pack_like(new_states, [
                torch.where(_expand(keep, new), new, old) for new, old in zip(flat_new, flat_old)
            ])
            previous = output
            if return_sequences:
                outputs.append(output)
    sequence = torch.stack(outputs, dim=1) if return_sequences else None
    return output, sequence, list(states)


def _for_device(x, weights):
    """cuDNN copies weights into one flat buffer anyway; give it contiguous ones."""
    if x.device.type == "cuda":
        return [w.contiguous() for w in weights]
    return weights


@builtin("layers")
class RNN(Layer):
    """Base class for recurrent layers: runs a cell over the time axis of a sequence.

    Args:
        cell: A RNN cell instance or a list of RNN cell instances.
            A RNN cell is a class that has:
            - A ``call(input_at_t, states_at_t)`` method, returning
              ``(output_at_t, states_at_t_plus_1)``.
            - A ``state_size`` attribute: a single integer (single state) or a
              list/tuple of integers (one size per state).
            - Optionally an ``output_size`` attribute (default: the first state size).
            - Optionally a ``get_initial_state(batch_size=None)`` method that
              returns the initial state(s); otherwise zeros of shape
              ``(batch_size, state_size)`` are used.
            A list of cells is stacked (``StackedRNNCells``): each step runs
            them in order, feeding one cell's output to the next.
        return_sequences: Boolean (default ``False``). Whether to return the
            last output in the output sequence, or the full sequence.
        return_state: Boolean (default ``False``). Whether to return the last
            state in addition to the output.
        go_backwards: Boolean (default ``False``). If ``True``, process the
            input sequence backwards and return the reversed sequence.
        stateful: Boolean (default ``False``). If True, the last state for each
            sample at index ``i`` in a batch will be used as initial state for
            the sample of index ``i`` in the following batch.
        unroll: Boolean (default ``False``). Accepted for compatibility; the
            computation is the same either way.
        zero_output_for_mask: Boolean (default ``False``). Whether the output
            should use zeros for the masked timesteps (only used when
            ``return_sequences`` is ``True`` and a mask is provided).

    Call arguments:
        sequences: A 3-D tensor with shape ``(batch_size, timesteps, features)``.
        initial_state: List of initial state tensors to be passed to the first
            call of the cell.
        mask: Binary tensor of shape ``[batch_size, timesteps]`` indicating
            whether a given timestep should be masked (``True`` = use the step).
            Taken from the input's ``_keras_mask`` when not given.
        training: Python boolean indicating whether the layer should behave in
            training mode or in inference mode (passed to the cell).

    Input shape: 3-D tensor ``(batch_size, timesteps, features)``.

    Output shape:
        - If ``return_state``: a tuple of tensors. The first tensor is the
          output. The remaining tensors are the last states, each with shape
          ``(batch_size, state_size)``.
        - If ``return_sequences``: 3-D tensor ``(batch_size, timesteps, output_size)``.
        - Else, 2-D tensor ``(batch_size, output_size)``.

    Masking: this layer supports masking for input data with a variable
    number of timesteps, e.g. after ``Embedding(mask_zero=True)``.

    Statefulness: with ``stateful=True``, give the model a fixed batch size
    (``Input(shape=..., batch_size=32)``, the same ``batch_size`` in ``fit``)
    and ``shuffle=False``; call ``reset_state()`` between independent sequences.

    Example:

    >>> import torch
    >>> class MinimalRNNCell(layerwise.layers.Layer):
    ...     def __init__(self, units, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.units = units
    ...         self.state_size = units
    ...     def build(self, input_shape):
    ...         self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
    ...                                       initializer="uniform", name="kernel")
    ...         self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
    ...                                                 initializer="uniform",
    ...                                                 name="recurrent_kernel")
    ...     def call(self, inputs, states):
    ...         output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
    ...         return output, [output]
    >>> layer = layerwise.layers.RNN(MinimalRNNCell(32))
    >>> layer(layerwise.Input((None, 5))).shape
    (None, 32)
    >>> stacked = layerwise.layers.RNN([MinimalRNNCell(32), MinimalRNNCell(64)])
    >>> stacked(np.ones((2, 7, 5), dtype=np.float32)).shape
    torch.Size([2, 64])
    """

    # The rank check: the generic RNN accepts any rank >= 3 (e.g. image cells);
    # SimpleRNN, LSTM and GRU take exactly 3.
    _exact_rank = None

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if "call" not in dir(cell):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell}")
        if "state_size" not in dir(cell):
            raise ValueError(
                "The RNN cell should have a `state_size` attribute (single integer or list of "
                f"integers, one integer per RNN state). Received: cell={cell}"
            )
        time_major = kwargs.pop("time_major", False)  # Keras 2 configs carry time_major=False
        super().__init__(**kwargs)
        if time_major:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': time_major=True is not supported (Keras 3 "
                "removed it). Transpose the inputs to (batch, timesteps, features) instead."
            )
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.supports_masking = True
        self.input_spec = self._rank_input_spec()
        self.states = None
        self._expected_batch_size = None
        self._mode = None

        state_size = getattr(cell, "state_size", None)
        if state_size is None:
            raise ValueError("state_size must be specified as property on the RNN cell.")
        if not isinstance(state_size, (list, tuple, int)):
            raise ValueError(  # noqa: TRY004 -- Keras raises ValueError here
                "state_size must be an integer, or a list/tuple of integers "
                "(one for each state tensor)."
            )
        if isinstance(state_size, int):
            self.state_size = [state_size]
            self.single_state = True
        else:
            self.state_size = list(state_size)
            self.single_state = False

    # ------------------------------------------------------------------ shapes and masks

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        batch_size, length = sequences_shape[0], sequences_shape[1]
        states_shape = []
        for size in self.state_size:
            if isinstance(size, int):
                states_shape.append((batch_size, size))
            elif isinstance(size, (list, tuple)):
                states_shape.append([(batch_size, s) for s in size])
        output_size = getattr(self.cell, "output_size", None)
        if output_size is None:
            output_size = self.state_size[0]
        if not isinstance(output_size, int):
            raise ValueError("output_size must be an integer.")  # noqa: TRY004 -- as Keras
        if self.return_sequences:
            output_shape = (batch_size, length, output_size)
        else:
            output_shape = (batch_size, output_size)
        if self.return_state:
            return (output_shape, *states_shape)
        return output_shape

    def compute_mask(self, inputs, mask=None):
        # As Keras: the (unreversed) input mask for the sequence output, none for states.
        mask = nest.flatten(mask)[0] if mask is not None else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self.state_size]
        return output_mask

    def _rank_input_spec(self, axes=None):
        if self._exact_rank is not None:
            return InputSpec(ndim=self._exact_rank, axes=axes)
        return InputSpec(min_ndim=3, axes=axes)

    def _rank_message(self, shape, where=None):
        # The same words as the engine's input_spec check, which guards later calls.
        where = where or f"{type(self).__name__} '{self.name}'"
        if self._exact_rank is not None:
            return (f"{where} expects inputs of rank {self._exact_rank}, got rank "
                    f"{len(shape)} (shape {shape})." + self._input_hint(shape))
        return f"{where} expects inputs with at least 3 dimensions, got shape {shape}." + self._input_hint(shape)

    def _input_hint(self, shape):
        return _SEQUENCE_HINT if len(shape) < 3 else ""

    # ------------------------------------------------------------------ building

    def check_sequences_shape(self, sequences_shape, where=None):
        """Refuse inputs that are not sequences, naming ``where`` (default: this layer) in the error.

        Returns the shape as a tuple. ``Bidirectional`` calls it with its own
        name, so the error names the layer the user created.

        Example:

        >>> layerwise.layers.LSTM(4).check_sequences_shape((None, 5, 3))
        (None, 5, 3)
        """
        shape = tuple(None if d is None else int(d) for d in sequences_shape)
        if len(shape) < 3 or (self._exact_rank is not None and len(shape) != self._exact_rank):
            raise ValueError(self._rank_message(shape, where))
        return shape

    def build(self, sequences_shape, initial_state_shape=None):
        shape = self.check_sequences_shape(sequences_shape)
        cell = self.cell
        if isinstance(cell, Layer) and not cell.built:
            cell.build((shape[0],) + shape[2:])
            cell.built = True
            prefix_weight_paths(self.name, cell.weights)
        if self.stateful:
            if self.states is not None:
                self.reset_state()
            else:
                if shape[0] is None:
                    raise ValueError(
                        f"{type(self).__name__} '{self.name}': when using `stateful=True` in a RNN, "
                        "the batch size must be static. Found dynamic batch size: "
                        f"sequence.shape={shape}. Give the model a fixed batch size, e.g. "
                        f"Input(shape={shape[1:]}, batch_size=32), and pass the same batch_size to fit()."
                    )
                self._expected_batch_size = shape[0]
                initial = self.get_initial_state(shape[0])
                self.states = nest.pack_like(initial, [s.detach() for s in nest.flatten(initial)])
        axes = {-1: shape[-1]} if shape[-1] is not None else None
        self.input_spec = self._rank_input_spec(axes)
        self._mode = self._choose_mode()

    def _choose_mode(self):
        """How ``call`` computes, decided once from the configuration."""
        cell = self.cell
        if isinstance(cell, _BuiltinCell) and type(cell).call is _BuiltinCell.call:
            return "builtin"
        if isinstance(cell, StackedRNNCells) and type(cell).call is StackedRNNCells.call:
            return "stacked"
        return "cell"

    # ------------------------------------------------------------------ states

    def get_initial_state(self, batch_size):
        """The states a sequence starts from: the cell's ``get_initial_state``, else zeros."""
        get_initial_state = getattr(self.cell, "get_initial_state", None)
        if get_initial_state is None:
            dtype = backend.torch_dtype(self.compute_dtype)
            return [torch.zeros((batch_size, d), dtype=dtype, device=backend.device())
                    for d in self.state_size]
        states = get_initial_state(batch_size=batch_size)
        if not isinstance(states, (list, tuple)):
            states = [states]
        return list(states)

    def reset_state(self, states=None):
        """Zero the states of a stateful layer (or set them to ``states``, Keras 2 style)."""
        if self.states is None:
            return
        flat = nest.flatten(self.states)
        if states is None:
            values = [torch.zeros_like(s) for s in flat]
        else:
            given = nest.flatten(states if isinstance(states, (list, tuple)) else [states])
            if len(given) != len(flat):
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' has {len(flat)} state tensor(s), but "
                    f"reset_state received {len(given)}."
                )
            values = []
            for old, new in zip(flat, given):
                new = backend.convert_to_tensor(new).to(device=old.device, dtype=old.dtype)
                if tuple(new.shape) != tuple(old.shape):
                    raise ValueError(
                        f"{type(self).__name__} '{self.name}' state has shape {tuple(old.shape)}, "
                        f"but reset_state received shape {tuple(new.shape)}."
                    )
                values.append(new.detach().clone())
        self.states = nest.pack_like(self.states, values)

    def reset_states(self, states=None):
        """Alias of :meth:`reset_state` (the Keras 2 name)."""
        self.reset_state(states)

    def _prepare_states(self, states, sequences, given):
        if not isinstance(states, (list, tuple)):
            states = [states]
        states = list(states)
        flat = nest.flatten(states)
        sizes = nest.flatten(self.state_size)
        batch_size = sequences.shape[0]
        if given and len(flat) != len(sizes):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects {len(sizes)} initial state tensor(s) "
                f"of shapes {[(batch_size, s) for s in sizes]}, but initial_state holds {len(flat)}. "
                "Pass a list with one (batch, units) tensor per state"
                + (" ([h, c] for an LSTM)." if len(sizes) == 2 else ".")
            )
        dtype, device = sequences.dtype, sequences.device
        converted = []
        for index, state in enumerate(flat):
            if not isinstance(state, torch.Tensor):
                state = backend.convert_to_tensor(state)
            size = sizes[index] if given else None
            if isinstance(size, int) and (
                    state.ndim != 2 or state.shape[0] != batch_size or state.shape[1] != size):
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' expects each initial state to have shape "
                    f"{(batch_size, size)} (batch, units), got {tuple(state.shape)}."
                )
            converted.append(state.to(device=device, dtype=dtype))
        return nest.pack_like(states, converted)

    def _prepare_mask(self, mask, sequences):
        mask = nest.flatten(mask)[0]
        if not isinstance(mask, torch.Tensor):
            mask = backend.convert_to_tensor(mask)
        if mask.ndim == 3 and mask.shape[-1] == 1:
            mask = mask[..., 0]
        if tuple(mask.shape) != tuple(sequences.shape[:2]):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects a mask of shape (batch, timesteps) = "
                f"{tuple(sequences.shape[:2])}, got {tuple(mask.shape)}."
            )
        if mask.dtype != torch.bool:
            mask = mask != 0
        return mask.to(sequences.device)

    # ------------------------------------------------------------------ calling

    def call(self, sequences, initial_state=None, mask=None, training=False):
        dtype = backend.torch_dtype(self.compute_dtype)
        if sequences.dtype != dtype:
            sequences = sequences.to(dtype)
        batch_size, timesteps = sequences.shape[0], sequences.shape[1]
        if timesteps == 0:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' received a sequence with 0 timesteps "
                f"(shape {tuple(sequences.shape)}); every sequence needs at least one step."
            )
        if self.stateful and self._expected_batch_size is not None \
                and batch_size != self._expected_batch_size:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': if an RNN is stateful, the batch size of the "
                "input sequences must be the same as the batch size of the initial state.\n"
                f"- Expected batch size: {self._expected_batch_size}\n"
                f"- Received batch size: {batch_size}\n"
                "Use the same batch_size in every call (and in fit/predict), or reset the layer."
            )
        if initial_state is None:
            states = self.states if self.stateful else self.get_initial_state(batch_size)
            states = self._prepare_states(states, sequences, given=False)
        else:
            states = self._prepare_states(initial_state, sequences, given=True)
        if mask is not None:
            mask = self._prepare_mask(mask, sequences)

        # Inside torch.compile the step loop runs instead: inductor cannot lower the fused
        # kernels' training form on the CPU, and a graph break here would split the model.
        if self._mode == "fused" and mask is None and not torch.compiler.is_compiling():
            last_output, outputs, states = self._fused_call(sequences, states, training)
        else:
            if mask is not None and getattr(self, "use_cudnn", "auto") is True:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': use_cudnn=True was specified, but the "
                    "fused kernel does not support masks. Pass use_cudnn='auto' to fall back to "
                    "the general implementation."
                )
            last_output, outputs, states = self._loop_call(sequences, states, mask, training)

        if self.stateful:
            self.states = nest.pack_like(states, [s.detach() for s in nest.flatten(states)])
        output = outputs if self.return_sequences else last_output
        if self.return_state:
            return (output, *states)
        return output

    def _loop_call(self, sequences, states, mask, training):
        cell = self.cell
        inputs = sequences.transpose(0, 1)  # time-major view
        mask = mask.transpose(0, 1) if mask is not None else None
        try:
            if self._mode in ("builtin", "fused"):
                dropout_mask, recurrent_mask = cell._masks(sequences[:, 0], states, training)
                inputs = cell._project(inputs, dropout_mask)  # all steps' input half at once

                def step(projected, step_states):
                    return cell._step(projected, step_states, recurrent_mask)
            elif self._mode == "stacked":
                def step(inputs_t, step_states):
                    return cell.call(inputs_t, step_states, training=training)
            elif isinstance(cell, Layer):
                def step(inputs_t, step_states):
                    return cell(inputs_t, step_states, training=training)
            else:
                cell_call = cell.__call__ if callable(cell) else cell.call

                def step(inputs_t, step_states):
                    return cell_call(inputs_t, step_states)
            return _time_loop(step, inputs, states, mask, self.go_backwards, self.return_sequences,
                              self.zero_output_for_mask)
        finally:
            reset_dropout_masks(cell)

    def _fused_call(self, sequences, states, training):
        cell = self.cell
        x = sequences
        if training and 0.0 < cell.dropout < 1.0:
            # One input mask for the whole sequence, as the step loop uses.
            x = x * cell.get_dropout_mask(sequences[:, 0]).unsqueeze(1)
            cell.reset_dropout_mask()
        if self.go_backwards:
            x = x.flip(1)
        outputs, states = self._fused_kernel(x.contiguous(), states)
        return states[0], (outputs if self.return_sequences else None), states

    def _fused_kernel(self, x, states):
        raise NotImplementedError

    # ------------------------------------------------------------------ config

    def _rnn_config(self):
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

    def get_config(self):
        return {**self._rnn_config(), "cell": serialize_layer(self.cell)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = serialization.deserialize_keras_object(
            config.pop("cell"), "layers", custom_objects, what="cell"
        )
        return cls(cell, **config)


class _CellProperties:
    """The cell's arguments, readable on the layer as in Keras (``layer.units`` ...)."""

    units = property(lambda self: self.cell.units)
    activation = property(lambda self: self.cell.activation)
    use_bias = property(lambda self: self.cell.use_bias)
    kernel_initializer = property(lambda self: self.cell.kernel_initializer)
    recurrent_initializer = property(lambda self: self.cell.recurrent_initializer)
    bias_initializer = property(lambda self: self.cell.bias_initializer)
    kernel_regularizer = property(lambda self: self.cell.kernel_regularizer)
    recurrent_regularizer = property(lambda self: self.cell.recurrent_regularizer)
    bias_regularizer = property(lambda self: self.cell.bias_regularizer)
    kernel_constraint = property(lambda self: self.cell.kernel_constraint)
    recurrent_constraint = property(lambda self: self.cell.recurrent_constraint)
    bias_constraint = property(lambda self: self.cell.bias_constraint)
    dropout = property(lambda self: self.cell.dropout)
    recurrent_dropout = property(lambda self: self.cell.recurrent_dropout)

    def _cell_config(self):
        return self.cell._common_config()

    def _penalties_config(self):
        # The cell's entries, with the layer's own activity regularizer where Keras lists it.
        config = {}
        for key, value in self.cell._penalty_config().items():
            config[key] = value
            if key == "bias_regularizer":
                config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _check_use_cudnn(use_cudnn):
    if not (use_cudnn is True or use_cudnn is False or use_cudnn == "auto"):
        raise ValueError(
            "Invalid value received for argument `use_cudnn`. Expected one of "
            f"{{'auto', True, False}}. Received: use_cudnn={use_cudnn!r}"
        )
    return use_cudnn


def _standard_gates(cell):
    return fast_activation(cell.activation) is torch.tanh and \
        fast_activation(cell.recurrent_activation) is torch.sigmoid


@builtin("layers")
class SimpleRNN(_CellProperties, RNN):
    """Fully-connected RNN where the output is to be fed back as the new input.

    Each step computes ``output_t = activation(x_t @ kernel + output_{t-1} @ recurrent_kernel + bias)``.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation function to use. Default: hyperbolic tangent
            (``tanh``). If you pass None, no activation is applied
            (ie. "linear" activation: ``a(x) = x``).
        use_bias: Boolean, (default ``True``), whether the layer uses a bias vector.
        kernel_initializer: Initializer for the ``kernel`` weights matrix, used
            for the linear transformation of the inputs. Default: ``"glorot_uniform"``.
        recurrent_initializer: Initializer for the ``recurrent_kernel`` weights
            matrix, used for the linear transformation of the recurrent state.
            Default: ``"orthogonal"``.
        bias_initializer: Initializer for the bias vector. Default: ``"zeros"``.
        kernel_regularizer: Regularizer function applied to the ``kernel``
            weights matrix. Default: ``None``.
        recurrent_regularizer: Regularizer function applied to the
            ``recurrent_kernel`` weights matrix. Default: ``None``.
        bias_regularizer: Regularizer function applied to the bias vector. Default: ``None``.
        activity_regularizer: Regularizer function applied to the output of the
            layer (its "activation"). Default: ``None``.
        kernel_constraint: Constraint function applied to the ``kernel``
            weights matrix. Default: ``None``.
        recurrent_constraint: Constraint function applied to the
            ``recurrent_kernel`` weights matrix. Default: ``None``.
        bias_constraint: Constraint function applied to the bias vector. Default: ``None``.
        dropout: Float between 0 and 1. Fraction of the units to drop for the
            linear transformation of the inputs. Default: 0.
        recurrent_dropout: Float between 0 and 1. Fraction of the units to drop
            for the linear transformation of the recurrent state. Default: 0.
        return_sequences: Boolean. Whether to return the last output in the
            output sequence, or the full sequence. Default: ``False``.
        return_state: Boolean. Whether to return the last state in addition to
            the output. Default: ``False``.
        go_backwards: Boolean (default: ``False``). If ``True``, process the
            input sequence backwards and return the reversed sequence.
        stateful: Boolean (default: ``False``). If ``True``, the last state for
            each sample at index i in a batch will be used as the initial state
            for the sample of index i in the following batch.
        unroll: Boolean (default: ``False``). Accepted for compatibility; the
            computation is the same either way.
        seed: Initial seed for the random number generator (dropout).

    Call arguments:
        sequence: A 3D tensor, with shape ``[batch, timesteps, feature]``.
        mask: Binary tensor of shape ``[batch, timesteps]`` indicating whether a
            given timestep should be masked (``True`` = use the step).
        training: Python boolean indicating whether the layer should behave in
            training mode or in inference mode (only relevant with dropout).
        initial_state: List of initial state tensors to be passed to the first
            call of the cell.

    Input shape: ``(batch, timesteps, features)``. Output shape:
    ``(batch, units)``, or ``(batch, timesteps, units)`` with
    ``return_sequences``; with ``return_state`` a tuple ``(output, final_state)``.

    Example:

    >>> inputs = np.random.random((32, 10, 8)).astype(np.float32)
    >>> simple_rnn = layerwise.layers.SimpleRNN(4)
    >>> simple_rnn(inputs).shape  # The output has shape `(32, 4)`.
    torch.Size([32, 4])
    >>> simple_rnn = layerwise.layers.SimpleRNN(4, return_sequences=True, return_state=True)
    >>> whole_sequence_output, final_state = simple_rnn(inputs)
    >>> whole_sequence_output.shape, final_state.shape
    (torch.Size([32, 10, 4]), torch.Size([32, 4]))
    """

    _exact_rank = 3

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False, seed=None,
                 **kwargs):
        cell = SimpleRNNCell(
            units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name="simple_rnn_cell",
        )
        super().__init__(
            cell, return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            activity_regularizer=activity_regularizer, **kwargs,
        )

    def _choose_mode(self):
        mode = super()._choose_mode()
        cell = self.cell
        fused = (
            mode == "builtin" and type(cell)._step is SimpleRNNCell._step
            and fast_activation(cell.activation) in (torch.tanh, torch.relu)
            and cell.recurrent_dropout == 0.0
        )
        return "fused" if fused else mode

    def _fused_kernel(self, x, states):
        cell = self.cell
        kernel = torch._VF.rnn_tanh if fast_activation(cell.activation) is torch.tanh else torch._VF.rnn_relu
        params = [cell.kernel.t(), cell.recurrent_kernel.t()]
        if cell.bias is not None:
            params += [cell.bias, torch.zeros_like(cell.bias)]
        outputs, h = kernel(x, states[0].unsqueeze(0).contiguous(), _for_device(x, params),
                            cell.bias is not None, 1, 0.0, torch.is_grad_enabled(), False, True)
        return outputs, [h[0]]

    def get_config(self):
        config = {
            **self._rnn_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **self._cell_config(),
            **self._penalties_config(),
        }
        if self.cell.seed is not None:  # Keras drops the seed; keep it so a round trip does too
            config["seed"] = self.cell.seed
        return config


@builtin("layers")
class LSTM(_CellProperties, RNN):
    """Long Short-Term Memory layer - Hochreiter 1997.

    Weights are in Keras's layout (``kernel`` ``(input_dim, 4 * units)``,
    ``recurrent_kernel`` ``(units, 4 * units)``, ``bias`` ``(4 * units,)``,
    gates ``i, f, c, o``) and belong to the cell (``lstm/lstm_cell/kernel``).
    With ``activation='tanh'``, ``recurrent_activation='sigmoid'`` and
    ``recurrent_dropout=0``, unmasked calls run torch's fused LSTM kernel on
    views of those weights (cuDNN on a GPU); other configurations and masked
    inputs run the general step loop, with the same results.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation function to use. Default: hyperbolic tangent
            (``tanh``). If you pass ``None``, no activation is applied
            (ie. "linear" activation: ``a(x) = x``).
        recurrent_activation: Activation function to use for the recurrent
            step. Default: sigmoid (``sigmoid``). If you pass ``None``, no
            activation is applied (ie. "linear" activation: ``a(x) = x``).
        use_bias: Boolean, (default ``True``), whether the layer should use a bias vector.
        kernel_initializer: Initializer for the ``kernel`` weights matrix, used
            for the linear transformation of the inputs. Default: ``"glorot_uniform"``.
        recurrent_initializer: Initializer for the ``recurrent_kernel`` weights
            matrix, used for the linear transformation of the recurrent state.
            Default: ``"orthogonal"``.
        bias_initializer: Initializer for the bias vector. Default: ``"zeros"``.
        unit_forget_bias: Boolean (default ``True``). If ``True``, add 1 to the
            bias of the forget gate at initialization.
        kernel_regularizer: Regularizer function applied to the ``kernel``
            weights matrix. Default: ``None``.
        recurrent_regularizer: Regularizer function applied to the
            ``recurrent_kernel`` weights matrix. Default: ``None``.
        bias_regularizer: Regularizer function applied to the bias vector. Default: ``None``.
        activity_regularizer: Regularizer function applied to the output of the
            layer (its "activation"). Default: ``None``.
        kernel_constraint: Constraint function applied to the ``kernel``
            weights matrix. Default: ``None``.
        recurrent_constraint: Constraint function applied to the
            ``recurrent_kernel`` weights matrix. Default: ``None``.
        bias_constraint: Constraint function applied to the bias vector. Default: ``None``.
        dropout: Float between 0 and 1. Fraction of the units to drop for the
            linear transformation of the inputs. Default: 0.
        recurrent_dropout: Float between 0 and 1. Fraction of the units to drop
            for the linear transformation of the recurrent state. Default: 0.
        seed: Random seed for dropout.
        return_sequences: Boolean. Whether to return the last output in the
            output sequence, or the full sequence. Default: ``False``.
        return_state: Boolean. Whether to return the last state in addition to
            the output. Default: ``False``.
        go_backwards: Boolean (default: ``False``). If ``True``, process the
            input sequence backwards and return the reversed sequence.
        stateful: Boolean (default: ``False``). If ``True``, the last state for
            each sample at index i in a batch will be used as initial state for
            the sample of index i in the following batch.
        unroll: Boolean (default False). Accepted for compatibility; the
            computation is the same either way.
        use_cudnn: Whether to use the fused (cuDNN-style) implementation.
            ``"auto"`` uses it when the configuration allows; ``False`` always
            runs the step loop; ``True`` raises if the fused kernel cannot be
            used (recurrent dropout, masks).

    Call arguments:
        inputs: A 3D tensor, with shape ``(batch, timesteps, feature)``.
        mask: Binary tensor of shape ``(samples, timesteps)`` indicating whether
            a given timestep should be masked (optional). Taken from the
            input's ``_keras_mask`` (e.g. ``Embedding(mask_zero=True)``) when not given.
        training: Python boolean indicating whether the layer should behave in
            training mode or in inference mode (only relevant with dropout).
        initial_state: List of initial state tensors ``[h, c]`` to be passed to
            the first call of the cell (optional, zeros by default).

    Input shape: ``(batch, timesteps, features)``. Output shape:
    ``(batch, units)``, or ``(batch, timesteps, units)`` with
    ``return_sequences``; with ``return_state`` a tuple
    ``(output, final_memory_state, final_carry_state)``.

    Example:

    >>> inputs = np.random.random((32, 10, 8)).astype(np.float32)
    >>> lstm = layerwise.layers.LSTM(4)
    >>> lstm(inputs).shape
    torch.Size([32, 4])
    >>> lstm = layerwise.layers.LSTM(4, return_sequences=True, return_state=True)
    >>> whole_seq_output, final_memory_state, final_carry_state = lstm(inputs)
    >>> whole_seq_output.shape, final_memory_state.shape, final_carry_state.shape
    (torch.Size([32, 10, 4]), torch.Size([32, 4]), torch.Size([32, 4]))
    """

    _exact_rank = 3

    recurrent_activation = property(lambda self: self.cell.recurrent_activation)
    unit_forget_bias = property(lambda self: self.cell.unit_forget_bias)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 use_cudnn="auto", **kwargs):
        use_cudnn = _check_use_cudnn(use_cudnn)
        cell = LSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            unit_forget_bias=unit_forget_bias, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True), name="lstm_cell",
            seed=seed, implementation=kwargs.pop("implementation", 2),
        )
        super().__init__(
            cell, return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            activity_regularizer=activity_regularizer, **kwargs,
        )
        self.use_cudnn = use_cudnn

    def _choose_mode(self):
        mode = super()._choose_mode()
        cell = self.cell
        if self.use_cudnn is True and cell.recurrent_dropout:
            raise ValueError(
                f"LSTM '{self.name}': use_cudnn=True was specified, but the fused kernel does not "
                "support recurrent_dropout. Pass use_cudnn='auto' to fall back to the general "
                "implementation."
            )
        fused = (
            self.use_cudnn in ("auto", True) and mode == "builtin"
            and type(cell)._step is LSTMCell._step and _standard_gates(cell)
            and cell.recurrent_dropout == 0.0
            and (cell.dropout == 0.0 or cell.dropout_mask_count is None)
        )
        return "fused" if fused else mode

    def _fused_kernel(self, x, states):
        cell = self.cell
        # Keras's gate order i, f, c, o is torch's i, f, g, o: only a transpose (a view).
        params = [cell.kernel.t(), cell.recurrent_kernel.t()]
        if cell.bias is not None:
            params += [cell.bias, torch.zeros_like(cell.bias)]
        h0 = states[0].unsqueeze(0).contiguous()
        c0 = states[1].unsqueeze(0).contiguous()
        outputs, h, c = torch._VF.lstm(x, (h0, c0), _for_device(x, params), cell.bias is not None,
                                       1, 0.0, torch.is_grad_enabled(), False, True)
        return outputs, [h[0], c[0]]

    def get_config(self):
        config = {
            **self._rnn_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            **self._cell_config(),
            "unit_forget_bias": self.unit_forget_bias,
            **self._penalties_config(),
            "seed": self.cell.seed,
        }
        if self.use_cudnn != "auto":  # Keras drops it; keep it so a round trip does too
            config["use_cudnn"] = self.use_cudnn
        return config


@builtin("layers")
class GRU(_CellProperties, RNN):
    """Gated Recurrent Unit - Cho et al. 2014.

    Weights are in Keras's layout: ``kernel`` ``(input_dim, 3 * units)`` and
    ``recurrent_kernel`` ``(units, 3 * units)`` with gates ``z, r, h``
    (update, reset, candidate); ``bias`` ``(2, 3 * units)`` (input bias row,
    recurrent bias row) when ``reset_after=True``, else ``(3 * units,)``.
    With the defaults (tanh, sigmoid, ``reset_after=True``, no recurrent
    dropout), unmasked calls run torch's fused GRU kernel (torch's GRU is
    the ``reset_after=True`` variant with gates reordered to ``r, z, n``).

    There are two variants of the GRU implementation. The default one is
    based on v3 (https://arxiv.org/abs/1406.1078v3) and has the reset gate
    applied to the hidden state after the matrix multiplication
    (``reset_after=True``, cuDNN compatible). The other one is based on the
    original (https://arxiv.org/abs/1406.1078v1) and applies it before.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation function to use. Default: hyperbolic tangent
            (``tanh``). If you pass ``None``, no activation is applied
            (ie. "linear" activation: ``a(x) = x``).
        recurrent_activation: Activation function to use for the recurrent
            step. Default: sigmoid (``sigmoid``). If you pass ``None``, no
            activation is applied (ie. "linear" activation: ``a(x) = x``).
        use_bias: Boolean, (default ``True``), whether the layer should use a bias vector.
        kernel_initializer: Initializer for the ``kernel`` weights matrix, used
            for the linear transformation of the inputs. Default: ``"glorot_uniform"``.
        recurrent_initializer: Initializer for the ``recurrent_kernel`` weights
            matrix, used for the linear transformation of the recurrent state.
            Default: ``"orthogonal"``.
        bias_initializer: Initializer for the bias vector. Default: ``"zeros"``.
        kernel_regularizer: Regularizer function applied to the ``kernel``
            weights matrix. Default: ``None``.
        recurrent_regularizer: Regularizer function applied to the
            ``recurrent_kernel`` weights matrix. Default: ``None``.
        bias_regularizer: Regularizer function applied to the bias vector. Default: ``None``.
        activity_regularizer: Regularizer function applied to the output of the
            layer (its "activation"). Default: ``None``.
        kernel_constraint: Constraint function applied to the ``kernel``
            weights matrix. Default: ``None``.
        recurrent_constraint: Constraint function applied to the
            ``recurrent_kernel`` weights matrix. Default: ``None``.
        bias_constraint: Constraint function applied to the bias vector. Default: ``None``.
        dropout: Float between 0 and 1. Fraction of the units to drop for the
            linear transformation of the inputs. Default: 0.
        recurrent_dropout: Float between 0 and 1. Fraction of the units to drop
            for the linear transformation of the recurrent state. Default: 0.
        seed: Random seed for dropout.
        return_sequences: Boolean. Whether to return the last output in the
            output sequence, or the full sequence. Default: ``False``.
        return_state: Boolean. Whether to return the last state in addition to
            the output. Default: ``False``.
        go_backwards: Boolean (default ``False``). If ``True``, process the
            input sequence backwards and return the reversed sequence.
        stateful: Boolean (default: ``False``). If ``True``, the last state for
            each sample at index i in a batch will be used as initial state for
            the sample of index i in the following batch.
        unroll: Boolean (default: ``False``). Accepted for compatibility; the
            computation is the same either way.
        reset_after: GRU convention (whether to apply reset gate after or
            before matrix multiplication). ``False`` is ``"before"``, ``True``
            is ``"after"`` (default and cuDNN compatible).
        use_cudnn: Whether to use the fused (cuDNN-style) implementation.
            ``"auto"`` uses it when the configuration allows; ``False`` always
            runs the step loop; ``True`` raises if the fused kernel cannot be
            used (``reset_after=False``, recurrent dropout, masks).

    Call arguments:
        inputs: A 3D tensor, with shape ``(batch, timesteps, feature)``.
        mask: Binary tensor of shape ``(samples, timesteps)`` indicating whether
            a given timestep should be masked (optional).
        training: Python boolean indicating whether the layer should behave in
            training mode or in inference mode (only relevant with dropout).
        initial_state: List of initial state tensors to be passed to the first
            call of the cell (optional, zeros by default).

    Input shape: ``(batch, timesteps, features)``. Output shape:
    ``(batch, units)``, or ``(batch, timesteps, units)`` with
    ``return_sequences``; with ``return_state`` a tuple ``(output, final_state)``.

    Example:

    >>> inputs = np.random.random((32, 10, 8)).astype(np.float32)
    >>> gru = layerwise.layers.GRU(4)
    >>> gru(inputs).shape
    torch.Size([32, 4])
    >>> gru = layerwise.layers.GRU(4, return_sequences=True, return_state=True)
    >>> whole_sequence_output, final_state = gru(inputs)
    >>> whole_sequence_output.shape, final_state.shape
    (torch.Size([32, 10, 4]), torch.Size([32, 4]))
    """

    _exact_rank = 3

    recurrent_activation = property(lambda self: self.cell.recurrent_activation)
    reset_after = property(lambda self: self.cell.reset_after)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True,
                 use_cudnn="auto", **kwargs):
        use_cudnn = _check_use_cudnn(use_cudnn)
        cell = GRUCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True), name="gru_cell",
            seed=seed, implementation=kwargs.pop("implementation", 2),
        )
        super().__init__(
            cell, return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            activity_regularizer=activity_regularizer, **kwargs,
        )
        self.use_cudnn = use_cudnn

    def _choose_mode(self):
        mode = super()._choose_mode()
        cell = self.cell
        if self.use_cudnn is True and (cell.recurrent_dropout or not cell.reset_after):
            raise ValueError(
                f"GRU '{self.name}': use_cudnn=True was specified, but the fused kernel does not "
                "support this configuration (it needs reset_after=True and no recurrent_dropout). "
                "Pass use_cudnn='auto' to fall back to the general implementation."
            )
        fused = (
            self.use_cudnn in ("auto", True) and mode == "builtin"
            and type(cell)._step is GRUCell._step and _standard_gates(cell)
            and cell.reset_after and cell.recurrent_dropout == 0.0
            and (cell.dropout == 0.0 or cell.dropout_mask_count is None)
        )
        return "fused" if fused else mode

    def _fused_kernel(self, x, states):
        cell = self.cell
        units = cell.units

        def torch_order(weight):
            # Keras (in, [z | r | h]) -> torch ([r; z; n], in), in one copy.
            z, r, h = weight.split(units, dim=-1)
            if weight.ndim == 1:
                return torch.cat([r, z, h])
            return torch.cat([r.t(), z.t(), h.t()])

        params = [torch_order(cell.kernel), torch_order(cell.recurrent_kernel)]
        if cell.bias is not None:
            params += [torch_order(cell.bias[0]), torch_order(cell.bias[1])]
        h0 = states[0].unsqueeze(0).contiguous()
        outputs, h = torch._VF.gru(x, h0, _for_device(x, params), cell.bias is not None,
                                   1, 0.0, torch.is_grad_enabled(), False, True)
        return outputs, [h[0]]

    def get_config(self):
        config = {
            **self._rnn_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            **self._cell_config(),
            **self._penalties_config(),
            "reset_after": self.reset_after,
            "seed": self.cell.seed,
        }
        if self.use_cudnn != "auto":  # Keras drops it; keep it so a round trip does too
            config["use_cudnn"] = self.use_cudnn
        return config


__all__ = ["GRU", "LSTM", "RNN", "SimpleRNN"]
