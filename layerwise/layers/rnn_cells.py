"""Recurrent cells: SimpleRNNCell, LSTMCell, GRUCell and StackedRNNCells.

A cell computes one time step: ``output, new_states = cell(inputs_t, states)``.
The ``RNN`` layer (``layerwise.layers.recurrent``) runs a cell over a
sequence; ``SimpleRNN``, ``LSTM`` and ``GRU`` are ``RNN`` with these cells.

Weights live in the cell, in Keras's layout and order (``kernel``,
``recurrent_kernel``, ``bias``), so ``get_weights()`` exchanges arrays with
Keras unchanged:

* SimpleRNNCell: kernel ``(input_dim, units)``, recurrent_kernel
  ``(units, units)``, bias ``(units,)``.
* LSTMCell: kernel ``(input_dim, 4 * units)``, recurrent_kernel
  ``(units, 4 * units)``, bias ``(4 * units,)``; gates in the order
  input, forget, cell candidate, output (``i, f, c, o``).
* GRUCell: kernel ``(input_dim, 3 * units)``, recurrent_kernel
  ``(units, 3 * units)``; gates in the order update, reset, candidate
  (``z, r, h``); bias ``(2, 3 * units)`` (input bias row, recurrent bias row)
  when ``reset_after=True``, else ``(3 * units,)``.

Besides the Keras ``call(inputs, states, training)``, the built-in cells split
a step into ``_project`` (the input half, which the ``RNN`` layer computes for
all time steps in one matrix product) and ``_step`` (the recurrent half).
"""

import numbers

import torch
import torch.nn.functional as F

from layerwise import activations, backend, constraints, initializers, regularizers
from layerwise.engine import nest
from layerwise.engine.layer import Layer
from layerwise.layers import seeding
from layerwise.saving import serialization
from layerwise.saving.registry import builtin


def _check_units(units, owner):
    if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
        raise ValueError(
            f"Received an invalid value for argument `units` of {owner}: expected a positive "
            f"integer (the size of the state and output), e.g. {owner}(32). Received: units={units!r}"
        )
    return int(units)


def _check_rate(value, argument, owner):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(  # noqa: TRY004 -- a bad rate is a ValueError, as for Dropout
            f"Invalid value for argument `{argument}` of {owner}: expected a float between 0 and 1 "
            f"(the fraction of units to drop). Received: {argument}={value!r}"
        )
    # Keras clips the rate into [0, 1] rather than refusing it.
    return min(1.0, max(0.0, value))


def fast_activation(fn):
    """The plain torch function for a standard Keras activation (same values, less overhead)."""
    if fn is activations.tanh or fn is torch.tanh:
        return torch.tanh
    if fn is activations.sigmoid or fn is torch.sigmoid:
        return torch.sigmoid
    if fn is activations.relu or fn is torch.relu:
        return torch.relu
    if fn is activations.linear:
        return _identity
    return fn


def _identity(x):
    return x


def _weight_device(cell):
    kernel = getattr(cell, "kernel", None)
    return kernel.device if isinstance(kernel, torch.Tensor) else backend.device()


class DropoutRNNCell:
    """Dropout masks for recurrent cells: one mask per sequence, reused at every step.

    Mixed into SimpleRNNCell, LSTMCell and GRUCell as Keras does. The mask is
    created on first use and kept until ``reset_dropout_mask()``; the RNN
    layer resets it after each sequence. With ``dropout_mask_count`` set
    (LSTM/GRU with ``recurrent_dropout``, Keras's "implementation 1") each gate
    gets its own mask.
    """

    dropout_mask_count = None

    def _create_dropout_mask(self, step_input, rate):
        keep = 1.0 - rate
        generator = seeding.layer_generator(self, step_input.device)

        def one_mask():
            mask = torch.empty_like(step_input)
            mask.bernoulli_(keep, generator=generator)
            return mask.div_(keep)

        count = self.dropout_mask_count
        return one_mask() if count is None else [one_mask() for _ in range(count)]

    def get_dropout_mask(self, step_input):
        """The input dropout mask (created for ``step_input``'s shape on first use)."""
        if self.__dict__.get("_dropout_mask") is None and self.dropout > 0:
            self.__dict__["_dropout_mask"] = self._create_dropout_mask(step_input, self.dropout)
        return self.__dict__.get("_dropout_mask")

    def get_recurrent_dropout_mask(self, step_input):
        """The recurrent-state dropout mask (created on first use)."""
        if self.__dict__.get("_recurrent_dropout_mask") is None and self.recurrent_dropout > 0:
            self.__dict__["_recurrent_dropout_mask"] = self._create_dropout_mask(
                step_input, self.recurrent_dropout
            )
        return self.__dict__.get("_recurrent_dropout_mask")

    def reset_dropout_mask(self):
        """Forget the input mask, so the next sequence draws a new one."""
        self.__dict__["_dropout_mask"] = None

    def reset_recurrent_dropout_mask(self):
        """Forget the recurrent mask, so the next sequence draws a new one."""
        self.__dict__["_recurrent_dropout_mask"] = None


def reset_dropout_masks(cell):
    """Reset the cached masks of ``cell`` and, for stacked cells, of every inner cell."""
    if isinstance(cell, DropoutRNNCell):
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
    if isinstance(cell, StackedRNNCells):
        for inner in cell.cells:
            reset_dropout_masks(inner)


class _BuiltinCell(DropoutRNNCell, Layer):
    """Shared arguments, weights and the step protocol of the three built-in cells."""

    _gates = 1

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        owner = type(self).__name__
        units = _check_units(units, owner)
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = _check_rate(dropout, "dropout", owner)
        self.recurrent_dropout = _check_rate(recurrent_dropout, "recurrent_dropout", owner)
        self.seed = seeding.check_seed(seed, owner)
        self.state_size = self.units
        self.output_size = self.units

    # ------------------------------------------------------------------ weights

    def _input_dim(self, input_shape):
        input_dim = tuple(input_shape)[-1] if input_shape is not None and len(input_shape) else None
        if input_dim is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' needs a known last input dimension (the "
                f"number of features per time step), got input shape {input_shape}."
            )
        return int(input_dim)

    def _add_kernels(self, input_dim):
        width = self._gates * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, width), initializer=self.kernel_initializer, name="kernel",
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width), initializer=self.recurrent_initializer,
            name="recurrent_kernel", regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )

    def _add_bias(self, shape, initializer):
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=shape, initializer=initializer, name="bias",
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )

    def build(self, input_shape):
        input_dim = self._input_dim(input_shape)
        self._add_kernels(input_dim)
        self._add_bias((self._gates * self.units,), self.bias_initializer)
        self._prepare_step_functions()

    def _prepare_step_functions(self):
        # Decided once: plain torch functions for the standard activations.
        self._act = fast_activation(self.activation)
        self._recurrent_act = fast_activation(getattr(self, "recurrent_activation", None))

    # ------------------------------------------------------------------ computation

    def _input_bias(self):
        return self.bias

    def _project(self, inputs, dropout_mask=None):
        """The input half of a step, for one step ``(batch, features)`` or many ``(..., features)``."""
        bias = self._input_bias()
        if dropout_mask is None:
            return F.linear(inputs, self.kernel.t(), bias)
        if isinstance(dropout_mask, (list, tuple)):  # one mask per gate
            kernels = self.kernel.split(self.units, dim=1)
            projected = torch.cat(
                [torch.matmul(inputs * mask, kernel) for mask, kernel in zip(dropout_mask, kernels)],
                dim=-1,
            )
            return projected if bias is None else projected + bias
        return F.linear(inputs * dropout_mask, self.kernel.t(), bias)

    def _step(self, projected, states, recurrent_mask=None):
        raise NotImplementedError

    def _masks(self, inputs, states, training):
        dropout_mask = recurrent_mask = None
        if training and 0.0 < self.dropout < 1.0:
            dropout_mask = self.get_dropout_mask(inputs)
        if training and 0.0 < self.recurrent_dropout < 1.0:
            first_state = states[0] if isinstance(states, (list, tuple)) else states
            recurrent_mask = self.get_recurrent_dropout_mask(first_state)
        return dropout_mask, recurrent_mask

    def call(self, inputs, states, training=False):
        if not self.__dict__.get("_act"):
            self._prepare_step_functions()
        dropout_mask, recurrent_mask = self._masks(inputs, states, training)
        return self._step(self._project(inputs, dropout_mask), states, recurrent_mask)

    def get_initial_state(self, batch_size=None):
        """Zero states, one ``(batch_size, units)`` tensor per entry of ``state_size``."""
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        dtype = backend.torch_dtype(self.compute_dtype)
        device = _weight_device(self)
        return [torch.zeros((batch_size, size), dtype=dtype, device=device) for size in sizes]

    def _common_config(self):
        return {
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }

    def _penalty_config(self):
        return {
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }


@builtin("layers")
class SimpleRNNCell(_BuiltinCell):
    """Cell class for SimpleRNN: one step of ``output = activation(x @ kernel + h @ recurrent_kernel + bias)``.

    This class processes one step of a sequence; ``SimpleRNN`` (or
    ``RNN(SimpleRNNCell(...))``) processes the whole sequence.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation function to use. Default: hyperbolic tangent
            (``tanh``). If you pass None, no activation is applied
            (ie. "linear" activation: ``a(x) = x``).
        use_bias: Boolean (default ``True``), whether the layer uses a bias vector.
        kernel_initializer: Initializer for the ``kernel`` weights matrix, used
            for the linear transformation of the inputs. Default: ``"glorot_uniform"``.
        recurrent_initializer: Initializer for the ``recurrent_kernel`` weights
            matrix, used for the linear transformation of the recurrent state.
            Default: ``"orthogonal"``.
        bias_initializer: Initializer for the bias vector. Default: ``"zeros"``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Regularizer
            functions applied to the weights. Default: ``None``.
        kernel_constraint, recurrent_constraint, bias_constraint: Constraint
            functions applied to the weights. Default: ``None``.
        dropout: Float between 0 and 1. Fraction of the units to drop for the
            linear transformation of the inputs. Default: 0.
        recurrent_dropout: Float between 0 and 1. Fraction of the units to drop
            for the linear transformation of the recurrent state. Default: 0.
        seed: Random seed for dropout.

    Call arguments:
        sequence: A 2D tensor, with shape ``(batch, features)``.
        states: A 2D tensor with shape ``(batch, units)``, which is the state
            from the previous time step (or a list holding it).
        training: Python boolean indicating whether the layer should behave in
            training mode or in inference mode. Only relevant when ``dropout``
            or ``recurrent_dropout`` is used.

    Example:

    >>> inputs = np.random.random([32, 10, 8]).astype(np.float32)
    >>> rnn = layerwise.layers.RNN(layerwise.layers.SimpleRNNCell(4))
    >>> rnn(inputs).shape  # The output has shape `(32, 4)`.
    torch.Size([32, 4])
    >>> rnn = layerwise.layers.RNN(layerwise.layers.SimpleRNNCell(4),
    ...                            return_sequences=True, return_state=True)
    >>> whole_sequence_output, final_state = rnn(inputs)
    >>> whole_sequence_output.shape, final_state.shape
    (torch.Size([32, 10, 4]), torch.Size([32, 4]))
    """

    _gates = 1

    def _step(self, projected, states, recurrent_mask=None):
        nested = isinstance(states, (list, tuple))
        previous = states[0] if nested else states
        if recurrent_mask is not None:
            previous = previous * recurrent_mask
        output = self._act(projected + torch.matmul(previous, self.recurrent_kernel))
        return output, ([output] if nested else output)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **self._common_config(),
            **self._penalty_config(),
            "seed": self.seed,
        }


@builtin("layers")
class LSTMCell(_BuiltinCell):
    """Cell class for the LSTM layer: one step of a Long Short-Term Memory.

    This class processes one step within the whole time sequence input,
    whereas ``LSTM`` processes the whole sequence. Its state is ``[h, c]``
    (memory state and carry state, each ``(batch, units)``); its output is ``h``.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation function to use. Default: hyperbolic tangent
            (``tanh``). If you pass None, no activation is applied
            (ie. "linear" activation: ``a(x) = x``).
        recurrent_activation: Activation function to use for the recurrent step.
            Default: sigmoid (``sigmoid``). If you pass ``None``, no activation
            is applied (ie. "linear" activation: ``a(x) = x``).
        use_bias: Boolean, (default ``True``), whether the layer should use a bias vector.
        kernel_initializer: Initializer for the ``kernel`` weights matrix, used
            for the linear transformation of the inputs. Default: ``"glorot_uniform"``.
        recurrent_initializer: Initializer for the ``recurrent_kernel`` weights
            matrix, used for the linear transformation of the recurrent state.
            Default: ``"orthogonal"``.
        bias_initializer: Initializer for the bias vector. Default: ``"zeros"``.
        unit_forget_bias: Boolean (default ``True``). If ``True``, add 1 to the
            bias of the forget gate at initialization (Jozefowicz et al., 2015).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Regularizer
            functions applied to the weights. Default: ``None``.
        kernel_constraint, recurrent_constraint, bias_constraint: Constraint
            functions applied to the weights. Default: ``None``.
        dropout: Float between 0 and 1. Fraction of the units to drop for the
            linear transformation of the inputs. Default: 0.
        recurrent_dropout: Float between 0 and 1. Fraction of the units to drop
            for the linear transformation of the recurrent state. Default: 0.
        seed: Random seed for dropout.

    Call arguments:
        inputs: A 2D tensor, with shape ``(batch, features)``.
        states: A list ``[h, c]`` of 2D tensors with shape ``(batch, units)``,
            the state from the previous time step.
        training: Python boolean indicating whether the layer should behave in
            training mode or in inference mode. Only relevant when ``dropout``
            or ``recurrent_dropout`` is used.

    Example:

    >>> inputs = np.random.random((32, 10, 8)).astype(np.float32)
    >>> rnn = layerwise.layers.RNN(layerwise.layers.LSTMCell(4))
    >>> rnn(inputs).shape
    torch.Size([32, 4])
    >>> rnn = layerwise.layers.RNN(layerwise.layers.LSTMCell(4),
    ...                            return_sequences=True, return_state=True)
    >>> whole_sequence_output, final_memory_state, final_carry_state = rnn(inputs)
    >>> whole_sequence_output.shape, final_carry_state.shape
    (torch.Size([32, 10, 4]), torch.Size([32, 4]))
    """

    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(
            units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 4
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def _unit_forget_bias_initializer(self):
        base, units = self.bias_initializer, self.units

        def initializer(shape, dtype=None):
            torch_dtype = backend.torch_dtype(dtype)
            parts = [
                torch.as_tensor(base((units,), dtype=dtype)),
                torch.ones((units,)),
                torch.as_tensor(base((2 * units,), dtype=dtype)),
            ]
            return torch.cat([part.to(device="cpu", dtype=torch_dtype) for part in parts])

        return initializer

    def build(self, input_shape):
        input_dim = self._input_dim(input_shape)
        self._add_kernels(input_dim)
        initializer = self._unit_forget_bias_initializer() if self.unit_forget_bias else self.bias_initializer
        self._add_bias((4 * self.units,), initializer)
        self._prepare_step_functions()

    def _step(self, projected, states, recurrent_mask=None):
        h_tm1, c_tm1 = states[0], states[1]
        if recurrent_mask is None:
            z = projected + torch.matmul(h_tm1, self.recurrent_kernel)
        else:  # one mask per gate (implementation 1)
            kernels = self.recurrent_kernel.split(self.units, dim=1)
            z = projected + torch.cat(
                [torch.matmul(h_tm1 * mask, kernel) for mask, kernel in zip(recurrent_mask, kernels)],
                dim=-1,
            )
        z_i, z_f, z_c, z_o = z.split(self.units, dim=-1)
        sigma, act = self._recurrent_act, self._act
        c = sigma(z_f) * c_tm1 + sigma(z_i) * act(z_c)
        h = sigma(z_o) * act(c)
        return h, [h, c]

    def get_config(self):
        return {
            **Layer.get_config(self),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "unit_forget_bias": self.unit_forget_bias,
            **self._common_config(),
            **self._penalty_config(),
            "seed": self.seed,
        }


@builtin("layers")
class GRUCell(_BuiltinCell):
    """Cell class for the GRU layer: one step of a Gated Recurrent Unit.

    This class processes one step within the whole time sequence input,
    whereas ``GRU`` processes the whole sequence.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation function to use. Default: hyperbolic tangent
            (``tanh``). If you pass None, no activation is applied
            (ie. "linear" activation: ``a(x) = x``).
        recurrent_activation: Activation function to use for the recurrent step.
            Default: sigmoid (``sigmoid``). If you pass ``None``, no activation
            is applied (ie. "linear" activation: ``a(x) = x``).
        use_bias: Boolean, (default ``True``), whether the layer should use a bias vector.
        kernel_initializer: Initializer for the ``kernel`` weights matrix, used
            for the linear transformation of the inputs. Default: ``"glorot_uniform"``.
        recurrent_initializer: Initializer for the ``recurrent_kernel`` weights
            matrix, used for the linear transformation of the recurrent state.
            Default: ``"orthogonal"``.
        bias_initializer: Initializer for the bias vector. Default: ``"zeros"``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: Regularizer
            functions applied to the weights. Default: ``None``.
        kernel_constraint, recurrent_constraint, bias_constraint: Constraint
            functions applied to the weights. Default: ``None``.
        dropout: Float between 0 and 1. Fraction of the units to drop for the
            linear transformation of the inputs. Default: 0.
        recurrent_dropout: Float between 0 and 1. Fraction of the units to drop
            for the linear transformation of the recurrent state. Default: 0.
        reset_after: GRU convention (whether to apply reset gate after or
            before matrix multiplication). False = "before",
            True = "after" (default and cuDNN compatible).
        seed: Random seed for dropout.

    Call arguments:
        inputs: A 2D tensor, with shape ``(batch, features)``.
        states: A 2D tensor with shape ``(batch, units)``, which is the state
            from the previous time step (or a list holding it).
        training: Python boolean indicating whether the layer should behave in
            training mode or in inference mode. Only relevant when ``dropout``
            or ``recurrent_dropout`` is used.

    Example:

    >>> inputs = np.random.random((32, 10, 8)).astype(np.float32)
    >>> rnn = layerwise.layers.RNN(layerwise.layers.GRUCell(4))
    >>> rnn(inputs).shape
    torch.Size([32, 4])
    >>> rnn = layerwise.layers.RNN(layerwise.layers.GRUCell(4),
    ...                            return_sequences=True, return_state=True)
    >>> whole_sequence_output, final_state = rnn(inputs)
    >>> whole_sequence_output.shape, final_state.shape
    (torch.Size([32, 10, 4]), torch.Size([32, 4]))
    """

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 seed=None, **kwargs):
        implementation = kwargs.pop("implementation", 2)
        super().__init__(
            units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs,
        )
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.implementation = 1 if self.recurrent_dropout != 0.0 else implementation
        if self.implementation == 1:
            self.dropout_mask_count = 3

    def build(self, input_shape):
        input_dim = self._input_dim(input_shape)
        self._add_kernels(input_dim)
        # reset_after=True keeps separate input and recurrent biases (rows 0 and 1).
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self._add_bias(shape, self.bias_initializer)
        self._prepare_step_functions()

    def _input_bias(self):
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def _step(self, projected, states, recurrent_mask=None):
        nested = isinstance(states, (list, tuple))
        h_tm1 = states[0] if nested else states
        units = self.units
        kernel = self.recurrent_kernel
        recurrent_bias = self.bias[1] if self.reset_after and self.bias is not None else None
        x_z, x_r, x_h = projected.split(units, dim=-1)
        sigma, act = self._recurrent_act, self._act
        if recurrent_mask is None:
            if self.reset_after:
                inner = torch.matmul(h_tm1, kernel)
                if recurrent_bias is not None:
                    inner = inner + recurrent_bias
                r_z, r_r, r_h = inner.split(units, dim=-1)
                z = sigma(x_z + r_z)
                r = sigma(x_r + r_r)
                recurrent_h = r * r_h
            else:
                r_z, r_r = torch.matmul(h_tm1, kernel[:, : 2 * units]).split(units, dim=-1)
                z = sigma(x_z + r_z)
                r = sigma(x_r + r_r)
                recurrent_h = torch.matmul(r * h_tm1, kernel[:, 2 * units:])
        else:  # one mask per gate (implementation 1)
            h_z, h_r, h_h = (h_tm1 * mask for mask in recurrent_mask)
            k_z, k_r, k_h = kernel.split(units, dim=1)
            r_z = torch.matmul(h_z, k_z)
            r_r = torch.matmul(h_r, k_r)
            if recurrent_bias is not None:
                b_z, b_r, b_h = recurrent_bias.split(units)
                r_z = r_z + b_z
                r_r = r_r + b_r
            z = sigma(x_z + r_z)
            r = sigma(x_r + r_r)
            if self.reset_after:
                recurrent_h = torch.matmul(h_h, k_h)
                if recurrent_bias is not None:
                    recurrent_h = recurrent_h + b_h
                recurrent_h = r * recurrent_h
            else:
                recurrent_h = torch.matmul(r * h_h, k_h)
        hh = act(x_h + recurrent_h)
        h = z * h_tm1 + (1 - z) * hh
        return h, ([h] if nested else h)

    def get_config(self):
        return {
            **Layer.get_config(self),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            **self._common_config(),
            **self._penalty_config(),
            "reset_after": self.reset_after,
            "seed": self.seed,
        }


def serialize_layer(layer):
    """A layer's Keras config entry, with its ``build_config`` once built (as Keras writes nested layers)."""
    entry = serialization.serialize_keras_object(layer)
    if isinstance(layer, Layer) and layer.built:
        build_config = layer.get_build_config()
        if build_config is not None:
            entry["build_config"] = build_config
    return entry


def cell_output_size(cell):
    """What one step of ``cell`` outputs: ``output_size``, else the first state size."""
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    state_size = cell.state_size
    return state_size[0] if isinstance(state_size, (list, tuple)) else state_size


def prefix_weight_paths(prefix, weights):
    """Weights created while ``layer`` built a nested cell live under its name, as in Keras."""
    for weight in weights:
        weight.path = f"{prefix}/{weight.path}"


@builtin("layers")
class StackedRNNCells(Layer):
    """Wrapper allowing a stack of RNN cells to behave as a single cell.

    Used to implement efficient stacked RNNs: ``RNN([cell_1, cell_2])`` wraps
    its list of cells in a ``StackedRNNCells``. Each step feeds the output of
    one cell to the next; the state is the list of the cells' states.

    Args:
        cells: List of RNN cell instances.

    Example:

    >>> x = np.arange(30, dtype=np.float32).reshape((3, 5, 2))
    >>> rnn_cells = [layerwise.layers.LSTMCell(128) for _ in range(2)]
    >>> stacked_lstm = layerwise.layers.StackedRNNCells(rnn_cells)
    >>> lstm_layer = layerwise.layers.RNN(stacked_lstm)
    >>> lstm_layer(x).shape
    torch.Size([3, 128])
    """

    def __init__(self, cells, **kwargs):
        for cell in cells:
            if "call" not in dir(cell):
                raise ValueError(
                    "All cells must have a `call` method. "
                    f"Received cell without a `call` method: {cell}"
                )
            if "state_size" not in dir(cell):
                raise ValueError(
                    "All cells must have a `state_size` attribute. "
                    f"Received cell without a `state_size`: {cell}"
                )
        super().__init__(**kwargs)
        self.cells = list(cells)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        return cell_output_size(self.cells[-1])

    def get_initial_state(self, batch_size=None):
        dtype = backend.torch_dtype(self.compute_dtype)
        states = []
        for cell in self.cells:
            get_initial_state = getattr(cell, "get_initial_state", None)
            if get_initial_state is not None:
                states.append(get_initial_state(batch_size=batch_size))
            elif isinstance(cell.state_size, (list, tuple)):
                states.append([torch.zeros((batch_size, d), dtype=dtype, device=backend.device())
                               for d in cell.state_size])
            else:
                states.append(torch.zeros((batch_size, cell.state_size), dtype=dtype,
                                          device=backend.device()))
        return states

    def call(self, inputs, states, training=False, **kwargs):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            state_is_list = isinstance(cell_states, (list, tuple))
            cell_states = list(cell_states) if state_is_list else [cell_states]
            if isinstance(cell, _BuiltinCell):
                inputs, cell_states = cell.call(inputs, cell_states, training=training)
            elif isinstance(cell, Layer):
                inputs, cell_states = cell(inputs, cell_states, training=training, **kwargs)
            else:
                call = cell.__call__ if callable(cell) else cell.call
                inputs, cell_states = call(inputs, cell_states, **kwargs)
            if not isinstance(cell_states, (list, tuple)):
                cell_states = [cell_states]
            if len(cell_states) == 1 and not state_is_list:
                cell_states = cell_states[0]
            new_states.append(cell_states)
        if len(new_states) == 1:
            new_states = new_states[0]
        return inputs, new_states

    def build(self, input_shape):
        batch_size = nest.flatten(input_shape)[0] if input_shape else None
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(input_shape)
                cell.built = True
                prefix_weight_paths(self.name, cell.weights)
            input_shape = (batch_size, cell_output_size(cell))

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_layer(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cells = [
            serialization.deserialize_keras_object(cell, "layers", custom_objects, what="layer")
            for cell in config.pop("cells")
        ]
        return cls(cells, **config)


__all__ = ["DropoutRNNCell", "GRUCell", "LSTMCell", "SimpleRNNCell", "StackedRNNCells"]
