"""Recurrent layers: SimpleRNN, LSTM, GRU, the generic RNN and the cells."""

import copy
import doctest
import json
import types

import numpy as np
import pytest
import torch

import layerwise
from layerwise.layers import recurrent, rnn_cells
from layerwise.layers.recurrent import GRU, LSTM, RNN, SimpleRNN
from layerwise.layers.rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from layerwise.saving import serialization


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _np(tensor):
    return tensor.detach().cpu().numpy()


def _leaves(structure):
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _leaves(item)]
    return [structure]


LAYERS = {
    "SimpleRNN": lambda **kw: SimpleRNN(5, **kw),
    "LSTM": lambda **kw: LSTM(5, **kw),
    "GRU": lambda **kw: GRU(5, **kw),
    "GRU_reset_before": lambda **kw: GRU(5, reset_after=False, **kw),
    "RNN_LSTMCell": lambda **kw: RNN(LSTMCell(5), **kw),
}
STATE_COUNT = {"SimpleRNN": 1, "LSTM": 2, "GRU": 1, "GRU_reset_before": 1, "RNN_LSTMCell": 2}


class MinimalRNNCell(layerwise.layers.Layer):
    """The Keras documentation's user cell, written with torch ops."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform",
                                      name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                initializer="uniform", name="recurrent_kernel")

    def call(self, inputs, states):
        output = inputs @ self.kernel + states[0] @ self.recurrent_kernel
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


# ---------------------------------------------------------------- shapes


@pytest.mark.parametrize("kind", list(LAYERS))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_output_shapes_eager_symbolic_and_computed(kind, return_sequences, return_state):
    flags = {"return_sequences": return_sequences, "return_state": return_state}
    eager = _leaves(LAYERS[kind](**flags)(_x(2, 7, 3)))
    symbolic = _leaves(LAYERS[kind](**flags)(layerwise.Input((7, 3))))
    computed = LAYERS[kind](**flags).compute_output_shape((None, 7, 3))
    output_shape = (None, 7, 5) if return_sequences else (None, 5)
    expected = [output_shape] + ([(None, 5)] * STATE_COUNT[kind] if return_state else [])
    assert [tuple(t.shape) for t in symbolic] == expected
    assert [(None,) + tuple(t.shape)[1:] for t in eager] == expected
    assert all(t.shape[0] == 2 for t in eager)
    if return_state:
        assert computed == tuple(expected)
    else:
        assert computed == output_shape


def test_unknown_timesteps_in_symbolic_shape():
    out = LSTM(4, return_sequences=True)(layerwise.Input((None, 3)))
    assert out.shape == (None, None, 4)


@pytest.mark.parametrize("kind,count", [
    ("SimpleRNN", 5 * (3 + 5 + 1)),
    ("LSTM", 4 * 5 * (3 + 5 + 1)),
    ("GRU", 3 * 5 * (3 + 5 + 2)),
    ("GRU_reset_before", 3 * 5 * (3 + 5 + 1)),
    ("RNN_LSTMCell", 4 * 5 * (3 + 5 + 1)),
])
def test_parameter_counts(kind, count):
    layer = LAYERS[kind]()
    layer.build((None, 7, 3))
    assert layer.count_params() == count


def test_lstm_64_units_on_32_features_has_24832_params():
    model = layerwise.Sequential([layerwise.layers.Input((None, 32)), LSTM(64)])
    assert model.count_params() == 24832


def test_weights_live_in_the_cell_with_keras_names_paths_and_layout():
    layer = LSTM(4, name="lstm")
    layer.build((None, 6, 3))
    assert [(w.name, w.path, w.shape) for w in layer.weights] == [
        ("kernel", "lstm/lstm_cell/kernel", (3, 16)),
        ("recurrent_kernel", "lstm/lstm_cell/recurrent_kernel", (4, 16)),
        ("bias", "lstm/lstm_cell/bias", (16,)),
    ]
    gru = GRU(4, name="gru")
    gru.build((None, 6, 3))
    assert [w.shape for w in gru.weights] == [(3, 12), (4, 12), (2, 12)]
    assert GRU(4, reset_after=False).cell.reset_after is False
    stacked = RNN([LSTMCell(3, name="a"), GRUCell(2, name="b")], name="rnn")
    stacked.build((None, 6, 5))
    assert [w.path for w in stacked.weights][::3] == ["rnn/stacked_rnn_cells/a/kernel",
                                                       "rnn/stacked_rnn_cells/b/kernel"]


def test_unit_forget_bias_initialises_the_forget_gate_to_one():
    layer = LSTM(3, bias_initializer="zeros")
    layer.build((None, 2, 4))
    np.testing.assert_array_equal(layer.cell.bias.numpy(), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    plain = LSTM(3, unit_forget_bias=False, bias_initializer="ones")
    plain.build((None, 2, 4))
    np.testing.assert_array_equal(plain.cell.bias.numpy(), np.ones(12))


def test_layer_exposes_the_cell_arguments_as_keras_does():
    layer = LSTM(7, activation="relu", recurrent_dropout=0.25, dropout=1.5, use_bias=False)
    assert (layer.units, layer.use_bias, layer.recurrent_dropout, layer.dropout) == (7, False, 0.25, 1.0)
    assert layer.activation is layerwise.activations.relu
    assert layer.recurrent_activation is layerwise.activations.sigmoid
    assert GRU(2).reset_after is True and SimpleRNN(3).cell.units == 3
    assert isinstance(layer.cell, LSTMCell) and layer.cell.name == "lstm_cell"


# ---------------------------------------------------------------- fused and general paths


@pytest.mark.parametrize("make,mode", [
    (lambda: LSTM(3), "fused"),
    (lambda: LSTM(3, dropout=0.2, go_backwards=True, stateful=True), "fused"),
    (lambda: LSTM(3, use_bias=False, use_cudnn=True), "fused"),
    (lambda: LSTM(3, use_cudnn=False), "builtin"),
    (lambda: LSTM(3, recurrent_dropout=0.1), "builtin"),
    (lambda: LSTM(3, activation="relu"), "builtin"),
    (lambda: LSTM(3, recurrent_activation="hard_sigmoid"), "builtin"),
    (lambda: GRU(3), "fused"),
    (lambda: GRU(3, reset_after=False), "builtin"),
    (lambda: GRU(3, recurrent_dropout=0.1), "builtin"),
    (lambda: SimpleRNN(3), "fused"),
    (lambda: SimpleRNN(3, activation="relu"), "fused"),
    (lambda: SimpleRNN(3, activation="sigmoid"), "builtin"),
    (lambda: SimpleRNN(3, recurrent_dropout=0.3), "builtin"),
    (lambda: RNN(LSTMCell(3)), "builtin"),
    (lambda: RNN([LSTMCell(3), GRUCell(2)]), "stacked"),
    (lambda: RNN(MinimalRNNCell(3)), "cell"),
])
def test_path_is_decided_once_at_build(make, mode):
    layer = make()
    layer.build((4, 5, 2))
    assert layer._mode == mode


def _same_weights(a, b):
    b.set_weights(a.get_weights())
    rng = np.random.default_rng(3)
    a.set_weights([(0.5 * rng.normal(size=w.shape)).astype("float32") for w in a.get_weights()])
    b.set_weights(a.get_weights())


GENERAL_TWINS = [
    (lambda **kw: LSTM(4, **kw), lambda **kw: LSTM(4, use_cudnn=False, **kw)),
    (lambda **kw: LSTM(4, use_bias=False, **kw), lambda **kw: LSTM(4, use_bias=False, use_cudnn=False, **kw)),
    (lambda **kw: GRU(4, **kw), lambda **kw: GRU(4, use_cudnn=False, **kw)),
    (lambda **kw: GRU(4, use_bias=False, **kw), lambda **kw: GRU(4, use_bias=False, use_cudnn=False, **kw)),
    (lambda **kw: SimpleRNN(4, **kw), lambda **kw: SimpleRNN(4, activation=lambda t: torch.tanh(t), **kw)),
    (lambda **kw: SimpleRNN(4, activation="relu", **kw),
     lambda **kw: SimpleRNN(4, activation=lambda t: torch.relu(t), **kw)),
    (lambda **kw: LSTM(4, **kw), lambda **kw: RNN(_WrappedLSTMCell(4), **kw)),
]


class _WrappedLSTMCell(LSTMCell):
    """Overrides call, so the RNN calls it step by step like any user cell."""

    def call(self, inputs, states, training=False):
        return super().call(inputs, states, training=training)


@pytest.mark.parametrize("twins", range(len(GENERAL_TWINS)))
@pytest.mark.parametrize("flags", [
    {"return_sequences": True, "return_state": True},
    {"go_backwards": True, "return_sequences": True},
    {"go_backwards": True, "return_state": True},
])
def test_fused_and_general_paths_agree_on_the_same_weights(twins, flags):
    make_fused, make_general = GENERAL_TWINS[twins]
    fused, general = make_fused(**flags), make_general(**flags)
    fused.build((3, 6, 2))
    general.build((3, 6, 2))
    assert fused._mode == "fused" and general._mode != "fused"
    _same_weights(fused, general)
    x_fused = torch.tensor(_x(3, 6, 2), requires_grad=True)
    x_general = torch.tensor(_x(3, 6, 2), requires_grad=True)
    states = [torch.tensor(_x(3, 4, seed=5 + i)) for i in range(len(fused.state_size))]
    out_fused = _leaves(fused(x_fused, initial_state=states))
    out_general = _leaves(general(x_general, initial_state=states))
    for a, b in zip(out_fused, out_general):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-5, atol=1e-6)
    sum(o.sum() for o in out_fused).backward()
    sum(o.sum() for o in out_general).backward()
    np.testing.assert_allclose(_np(x_fused.grad), _np(x_general.grad), rtol=1e-5, atol=1e-6)
    for a, b in zip(fused.weights, general.weights):
        np.testing.assert_allclose(_np(a.grad), _np(b.grad), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_seeded_training_dropout_is_the_same_on_both_paths(kind):
    cls = {"LSTM": LSTM, "GRU": GRU}[kind]
    fused = cls(4, dropout=0.5, seed=3, return_sequences=True)
    general = cls(4, dropout=0.5, seed=3, return_sequences=True, use_cudnn=False)
    fused.build((3, 5, 6))
    general.build((3, 5, 6))
    _same_weights(fused, general)
    x = _x(3, 5, 6)
    train_fused = fused(x, training=True)
    np.testing.assert_allclose(_np(train_fused), _np(general(x, training=True)), rtol=1e-5, atol=1e-6)
    assert not torch.allclose(train_fused, fused(x, training=False))
    # The next sequence draws a new mask from the seeded generator.
    assert not torch.allclose(train_fused, fused(x, training=True))


def test_go_backwards_returns_outputs_in_processing_order():
    forward = LSTM(3, return_sequences=True)
    backward = LSTM(3, return_sequences=True, go_backwards=True)
    forward.build((2, 5, 4))
    backward.build((2, 5, 4))
    _same_weights(forward, backward)
    x = torch.tensor(_x(2, 5, 4))
    np.testing.assert_allclose(_np(backward(x)), _np(forward(x.flip(1))), rtol=1e-6, atol=1e-6)


def test_traces_without_graph_breaks_under_torch_compile():
    # Under torch.compile the step loop replaces the fused kernel; it must trace as one graph.
    layer = LSTM(3, return_sequences=True, return_state=True)
    x = torch.tensor(_x(2, 4, 3))
    mask = torch.tensor([[True, True, False, True], [True, True, True, True]])
    layer.build(tuple(x.shape))
    compiled = torch.compile(layer.call, backend="eager", fullgraph=True)
    for kwargs in ({}, {"mask": mask}):
        for a, b in zip(compiled(x, **kwargs), layer(x, **kwargs)):
            np.testing.assert_allclose(_np(a), _np(b), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- masks


def test_masked_steps_keep_the_state_and_repeat_the_previous_output():
    layer = GRU(3, return_sequences=True, return_state=True, use_cudnn=False)
    x = _x(1, 5, 2)
    mask = torch.tensor([[True, False, True, False, False]])
    outputs, state = layer(x, mask=mask)
    unmasked_outputs, unmasked_state = layer(x[:, [0, 2]])
    np.testing.assert_allclose(_np(outputs[0, [0, 1]]), _np(unmasked_outputs[0, [0, 0]]), atol=1e-6)
    np.testing.assert_allclose(_np(outputs[0, [2, 3, 4]]), _np(unmasked_outputs[0, [1, 1, 1]]), atol=1e-6)
    np.testing.assert_allclose(_np(state), _np(unmasked_state), atol=1e-6)


def test_leading_masked_steps_output_zeros_and_zero_output_for_mask_zeroes_all():
    x = _x(1, 4, 2)
    mask = torch.tensor([[False, True, True, False]])
    layer = LSTM(3, return_sequences=True)
    out = layer(x, mask=mask)
    np.testing.assert_array_equal(_np(out[0, 0]), np.zeros(3))
    np.testing.assert_allclose(_np(out[0, 3]), _np(out[0, 2]))
    layer.zero_output_for_mask = True  # as Bidirectional sets it after construction
    zeroed = layer(x, mask=mask)
    np.testing.assert_array_equal(_np(zeroed[0, [0, 3]]), np.zeros((2, 3)))
    np.testing.assert_allclose(_np(zeroed[0, 1:3]), _np(out[0, 1:3]))


def test_mask_is_read_from_keras_mask_and_propagated():
    layer = LSTM(3, return_sequences=True)
    x = torch.tensor(_x(2, 4, 2))
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    explicit = layer(x, mask=mask)
    x._keras_mask = mask
    implicit = layer(x)
    np.testing.assert_allclose(_np(implicit), _np(explicit))
    assert implicit._keras_mask is mask
    assert getattr(LSTM(3)(x), "_keras_mask", None) is None
    outputs = LSTM(3, return_sequences=True, return_state=True)(x)
    assert outputs[0]._keras_mask is mask and getattr(outputs[1], "_keras_mask", None) is None


def test_all_true_mask_equals_no_mask_and_integer_mask_is_accepted():
    layer = SimpleRNN(3, return_sequences=True)
    x = _x(2, 4, 2)
    np.testing.assert_allclose(_np(layer(x, mask=np.ones((2, 4), "int64"))), _np(layer(x)), atol=1e-6)


# ---------------------------------------------------------------- initial and carried states


def test_initial_state_changes_the_result_and_accepts_numpy():
    layer = LSTM(3, return_state=True)
    x = _x(2, 4, 2)
    zero_output, _, _ = layer(x)
    given = layer(x, initial_state=[np.zeros((2, 3), "float32"), np.zeros((2, 3), "float32")])
    np.testing.assert_allclose(_np(given[0]), _np(zero_output))
    other = layer(x, initial_state=[_x(2, 3, seed=1), _x(2, 3, seed=2)])
    assert not np.allclose(_np(other[0]), _np(zero_output))
    gru = GRU(3)
    np.testing.assert_allclose(_np(gru(x, initial_state=torch.zeros(2, 3))), _np(gru(x)))


def test_encoder_decoder_with_symbolic_initial_state():
    encoder_inputs = layerwise.layers.Input((5, 3))
    _, h, c = LSTM(4, return_state=True)(encoder_inputs)
    decoder_inputs = layerwise.layers.Input((6, 2))
    decoded = LSTM(4, return_sequences=True)(decoder_inputs, initial_state=[h, c])
    model = layerwise.Model([encoder_inputs, decoder_inputs], decoded)
    assert model.output_shape == (None, 6, 4)
    assert model([_x(2, 5, 3), _x(2, 6, 2)]).shape == (2, 6, 4)


def test_stateful_layer_carries_states_between_calls_and_resets():
    stateful = LSTM(3, stateful=True, return_sequences=True)
    plain = LSTM(3, return_sequences=True)
    stateful.build((2, 6, 2))
    plain.build((2, 6, 2))
    _same_weights(stateful, plain)
    x = _x(2, 6, 2)
    whole = plain(x)
    first, second = stateful(x[:, :3]), stateful(x[:, 3:])
    np.testing.assert_allclose(_np(torch.cat([first, second], 1)), _np(whole), rtol=1e-5, atol=1e-6)
    assert stateful.states[0].requires_grad is False
    assert len(stateful.weights) == 3  # states are not weights, as in Keras
    stateful.reset_state()
    np.testing.assert_array_equal(_np(stateful.states[1]), np.zeros((2, 3)))
    np.testing.assert_allclose(_np(stateful(x[:, :3])), _np(first), atol=1e-6)
    stateful.reset_states(states=[np.ones((2, 3)), np.ones((2, 3))])
    np.testing.assert_array_equal(_np(stateful.states[0]), np.ones((2, 3)))
    assert LSTM(3).states is None
    symbolic = LSTM(3, stateful=True)
    symbolic(layerwise.layers.Input((6, 2), batch_size=4))
    assert [tuple(s.shape) for s in symbolic.states] == [(4, 3), (4, 3)]


def test_stateful_gradients_do_not_reach_previous_batches():
    layer = SimpleRNN(3, stateful=True)
    x1 = torch.tensor(_x(2, 3, 2), requires_grad=True)
    layer(x1)
    layer(_x(2, 3, 2, seed=1)).sum().backward()
    assert x1.grad is None


# ---------------------------------------------------------------- gradients and training


@pytest.mark.parametrize("make", [
    lambda: SimpleRNN(4, return_sequences=True),
    lambda: LSTM(4),
    lambda: LSTM(4, recurrent_dropout=0.3, dropout=0.2),
    lambda: GRU(4, return_state=True),
    lambda: GRU(4, reset_after=False, go_backwards=True),
    lambda: RNN([LSTMCell(4), SimpleRNNCell(3)]),
    lambda: RNN(MinimalRNNCell(4)),
])
@pytest.mark.parametrize("masked", [False, True])
def test_gradients_reach_every_weight_and_the_inputs(make, masked):
    layer = make()
    x = torch.tensor(_x(3, 5, 2), requires_grad=True)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 1]], dtype=torch.bool)
    outputs = layer(x, training=True, mask=mask if masked else None)
    sum(o.sum() for o in _leaves(outputs)).backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0
    assert layer.trainable_weights
    for weight in layer.trainable_weights:
        assert weight.grad is not None and float(weight.grad.abs().sum()) > 0, weight.path


@pytest.mark.parametrize("make", [lambda: LSTM(4), lambda: GRU(4, reset_after=False), lambda: SimpleRNN(4)])
def test_frozen_layer_gets_no_weight_gradient(make):
    layer = make()
    layer.trainable = False
    x = torch.tensor(_x(2, 3, 2), requires_grad=True)
    layer(x).sum().backward()
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == 3
    assert all(w.grad is None for w in layer.weights)
    assert x.grad is not None
    frozen_at_init = LSTM(2, trainable=False)
    frozen_at_init.build((None, 3, 2))
    assert frozen_at_init.trainable_weights == [] and frozen_at_init.cell.trainable is False


def test_regularizers_and_constraints_reach_the_cell_weights():
    layer = LSTM(3, kernel_regularizer="l2", recurrent_regularizer="l1", bias_regularizer="l2",
                 recurrent_constraint="non_neg", activity_regularizer="l2")
    layer(_x(2, 4, 2))
    assert len(layer.losses) == 4
    assert layer.cell.recurrent_kernel.constraint is not None


def test_integer_inputs_are_cast_to_float():
    assert LSTM(2)(np.ones((2, 3, 4), "int64")).dtype == torch.float32


def test_lstm_learns_the_sign_of_a_sum_with_fit():
    layerwise.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(384, 8, 1)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("float32")[:, None]
    model = layerwise.Sequential([
        layerwise.layers.Input((8, 1)),
        LSTM(8),
        layerwise.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=layerwise.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_masked_gru_learns_with_fit():
    layerwise.utils.set_random_seed(2)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(256, 6, 2)).astype("float32")
    y = (x[:, 0, 0] > 0).astype("float32")[:, None]

    class Masked(layerwise.layers.Layer):
        def call(self, inputs):
            return inputs

        def compute_mask(self, inputs, mask=None):
            return torch.ones(inputs.shape[:2], dtype=torch.bool, device=inputs.device)

        def compute_output_shape(self, input_shape):
            return input_shape

    model = layerwise.Sequential([layerwise.layers.Input((6, 2)), Masked(), GRU(6),
                                  layerwise.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=layerwise.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.85


# ---------------------------------------------------------------- cells


def test_cells_compute_one_step_with_keras_state_conventions():
    x, h = torch.tensor(_x(2, 3)), torch.tensor(_x(2, 4, seed=1))
    lstm = LSTMCell(4)
    output, (new_h, new_c) = lstm(x, [h, torch.zeros(2, 4)])
    assert output is new_h and new_c.shape == (2, 4)
    gru = GRUCell(4)
    output, state = gru(x, h)
    assert state is output  # a bare state tensor in, a bare tensor out
    output, state = gru(x, [h])
    assert isinstance(state, list) and state[0] is output
    simple = SimpleRNNCell(4)
    assert simple(x, [h])[0].shape == (2, 4)
    assert [s.shape for s in lstm.get_initial_state(batch_size=5)] == [(5, 4), (5, 4)]
    assert (lstm.state_size, gru.state_size, simple.output_size) == ([4, 4], 4, 4)


def test_cell_dropout_mask_is_cached_until_reset():
    cell = SimpleRNNCell(4, dropout=0.5, recurrent_dropout=0.5, seed=1)
    x = torch.ones(3, 6)
    mask = cell.get_dropout_mask(x)
    assert cell.get_dropout_mask(x) is mask
    assert set(np.unique(_np(mask))) <= {0.0, 2.0}
    cell.reset_dropout_mask()
    assert cell.get_dropout_mask(x) is not mask
    lstm = LSTMCell(2, dropout=0.5, recurrent_dropout=0.5)
    assert len(lstm.get_dropout_mask(x)) == 4 and len(lstm.get_recurrent_dropout_mask(x)) == 4
    assert LSTMCell(2, dropout=0.5).get_dropout_mask(x).shape == (3, 6)


def test_stacked_cells_state_and_output_sizes():
    stacked = StackedRNNCells([LSTMCell(3), GRUCell(2)])
    assert stacked.state_size == [[3, 3], 2] and stacked.output_size == 2
    layer = RNN(stacked, return_state=True)
    output, lstm_states, _ = layer(_x(2, 4, 5))
    assert output.shape == (2, 2) and [s.shape for s in lstm_states] == [(2, 3), (2, 3)]
    assert layer.compute_output_shape((None, 4, 5)) == ((None, 2), [(None, 3), (None, 3)], (None, 2))


def test_user_cell_with_masks_and_a_bare_state_tensor():
    class BareStateCell(layerwise.layers.Layer):
        state_size = 2

        def call(self, inputs, states):
            new = states[0] + inputs[:, :2]
            return new, new  # a bare tensor, as Keras allows

    layer = RNN(BareStateCell(), return_state=True)
    x = torch.ones(1, 4, 3)
    output, state = layer(x, mask=torch.tensor([[True, False, True, True]]))
    np.testing.assert_array_equal(_np(output), [[3.0, 3.0]])
    np.testing.assert_array_equal(_np(state), [[3.0, 3.0]])


# ---------------------------------------------------------------- configs


@pytest.mark.parametrize("make", [
    lambda: SimpleRNN(4, activation="relu", dropout=0.1, seed=3, activity_regularizer="l2"),
    lambda: LSTM(4, return_sequences=True, go_backwards=True, stateful=True, unit_forget_bias=False,
                 kernel_constraint="max_norm", use_cudnn=False),
    lambda: GRU(4, reset_after=False, recurrent_dropout=0.2, return_state=True, unroll=True,
                recurrent_regularizer="l1"),
    lambda: RNN(LSTMCell(4, recurrent_activation="hard_sigmoid"), zero_output_for_mask=True),
    lambda: RNN([LSTMCell(4), GRUCell(3, reset_after=False), SimpleRNNCell(2)], return_sequences=True),
])
def test_config_round_trip(make):
    layer = make()
    layer.build((2, 5, 3))
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    clone.build((2, 5, 3))  # nested cells write their build_config once built, as in Keras
    assert json.loads(json.dumps(clone.get_config())) == config
    entry = serialization.serialize_keras_object(layer)
    restored = serialization.deserialize_keras_object(json.loads(json.dumps(entry)), "layers")
    assert type(restored) is type(layer)
    restored.build((2, 5, 3))
    restored.set_weights(layer.get_weights())
    x = _x(2, 5, 3)
    for a, b in zip(_leaves(layer(x)), _leaves(restored(x))):
        np.testing.assert_allclose(_np(a), _np(b), atol=1e-6)


def test_user_cell_round_trips_with_custom_objects():
    layer = RNN(MinimalRNNCell(3))
    config = json.loads(json.dumps(layer.get_config()))
    clone = RNN.from_config(config, custom_objects={"MinimalRNNCell": MinimalRNNCell})
    assert isinstance(clone.cell, MinimalRNNCell) and clone.cell.units == 3


def test_keras_2_config_keys_are_accepted():
    layer = LSTM.from_config({"units": 3, "implementation": 2, "time_major": False, "name": "old"})
    assert layer.units == 3 and layer.name == "old"


def test_deepcopy_keeps_weights_and_behaviour():
    layer = GRU(3)
    x = _x(2, 4, 2)
    expected = layer(x)
    np.testing.assert_allclose(_np(copy.deepcopy(layer)(x)), _np(expected))


# ---------------------------------------------------------------- errors

HINT = ("Recurrent layers expect (batch, timesteps, features); for one feature per step use "
        "x[..., None], or add an Embedding / Reshape.")


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_two_dimensional_input_names_layer_shape_and_fix(cls):
    layer = cls(3, name="seq")
    with pytest.raises(ValueError) as error:
        layer(np.ones((8, 5), "float32"))
    assert str(error.value) == (f"{cls.__name__} 'seq' expects inputs of rank 3, got rank 2 "
                                f"(shape (8, 5)). " + HINT)
    with pytest.raises(ValueError, match=r"expects inputs of rank 3, got rank 2 \(shape \(None, 5\)\)"):
        cls(3)(layerwise.Input((5,)))
    layer(np.ones((8, 4, 5), "float32"))
    with pytest.raises(ValueError) as error:
        layer(np.ones((8, 5), "float32"))
    assert str(error.value).endswith(HINT) and "(shape (8, 5))" in str(error.value)


def test_generic_rnn_two_dimensional_input_error_and_four_dimensional_lstm_error():
    with pytest.raises(ValueError) as error:
        RNN(LSTMCell(2), name="r")(np.ones((4, 3), "float32"))
    assert str(error.value) == "RNN 'r' expects inputs with at least 3 dimensions, got shape (4, 3). " + HINT
    with pytest.raises(ValueError, match=r"LSTM 'l' expects inputs of rank 3, got rank 4 \(shape \(2, 3, 4, 5\)\)\.$"):
        LSTM(2, name="l")(np.ones((2, 3, 4, 5), "float32"))


def test_feature_size_change_is_refused_with_the_layer_name():
    layer = GRU(2, name="g")
    layer(np.ones((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match=r"GRU 'g' expects inputs with last dimension 4, got 5"):
        layer(np.ones((2, 3, 5), "float32"))


def test_stateful_needs_a_fixed_batch_size():
    with pytest.raises(ValueError, match=r"LSTM 's': when using `stateful=True` in a RNN, the batch size "
                                         r"must be static.*sequence.shape=\(None, 3, 2\).*batch_size=32"):
        LSTM(2, stateful=True, name="s")(layerwise.Input((3, 2)))
    layer = LSTM(2, stateful=True, name="s2")
    layer(np.ones((4, 3, 2), "float32"))
    with pytest.raises(ValueError, match=r"(?s)LSTM 's2': if an RNN is stateful.*Expected batch size: 4\n"
                                         r"- Received batch size: 5"):
        layer(np.ones((5, 3, 2), "float32"))


def test_initial_state_errors():
    with pytest.raises(ValueError, match=r"LSTM 'l' expects 2 initial state tensor\(s\) of shapes "
                                         r"\[\(2, 3\), \(2, 3\)\], but initial_state holds 1. .*\[h, c\]"):
        LSTM(3, name="l")(np.ones((2, 4, 2), "float32"), initial_state=[np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"GRU 'g' expects each initial state to have shape \(2, 3\) "
                                         r"\(batch, units\), got \(2, 4\)"):
        GRU(3, name="g")(np.ones((2, 4, 2), "float32"), initial_state=np.zeros((2, 4)))


def test_mask_shape_error():
    with pytest.raises(ValueError, match=r"SimpleRNN 'r' expects a mask of shape \(batch, timesteps\) = "
                                         r"\(2, 4\), got \(2, 3\)"):
        SimpleRNN(2, name="r")(np.ones((2, 4, 1), "float32"), mask=np.ones((2, 3), bool))


def test_zero_timesteps_error():
    with pytest.raises(ValueError, match=r"LSTM 'z' received a sequence with 0 timesteps"):
        LSTM(2, name="z")(np.ones((2, 0, 3), "float32"))


@pytest.mark.parametrize("cls,name", [(SimpleRNN, "SimpleRNNCell"), (LSTM, "LSTMCell"), (GRU, "GRUCell")])
def test_invalid_units(cls, name):
    with pytest.raises(ValueError, match=rf"invalid value for argument `units` of {name}: expected a "
                                         rf"positive integer .*{name}\(32\). Received: units=0"):
        cls(0)
    with pytest.raises(ValueError, match="Received: units=2.5"):
        cls(2.5)


def test_use_cudnn_errors():
    with pytest.raises(ValueError, match=r"Invalid value received for argument `use_cudnn`.*use_cudnn='yes'"):
        LSTM(2, use_cudnn="yes")
    with pytest.raises(ValueError, match=r"LSTM 'a': use_cudnn=True was specified, but the fused kernel does "
                                         r"not support recurrent_dropout"):
        LSTM(2, use_cudnn=True, recurrent_dropout=0.1, name="a")(np.ones((1, 2, 2), "float32"))
    with pytest.raises(ValueError, match=r"GRU 'b': use_cudnn=True.*reset_after=True"):
        GRU(2, use_cudnn=True, reset_after=False, name="b")(np.ones((1, 2, 2), "float32"))
    layer = LSTM(2, use_cudnn=True, name="c")
    with pytest.raises(ValueError, match=r"LSTM 'c': use_cudnn=True was specified, but the fused kernel "
                                         r"does not support masks"):
        layer(np.ones((1, 2, 2), "float32"), mask=np.ones((1, 2), bool))


def test_bad_cells_and_arguments():
    with pytest.raises(ValueError, match="Argument `cell` should have a `call` method"):
        RNN(object())

    class NoState:
        def call(self, inputs, states):
            return inputs, states

    with pytest.raises(ValueError, match="should have a `state_size` attribute"):
        RNN(NoState())
    with pytest.raises(ValueError, match="All cells must have a `state_size` attribute"):
        StackedRNNCells([LSTMCell(2), NoState()])
    with pytest.raises(ValueError, match=r"LSTM 't': time_major=True is not supported"):
        LSTM(2, time_major=True, name="t")
    with pytest.raises(ValueError, match=r"argument `dropout` of LSTMCell.*Received: dropout='0.5'"):
        LSTM(2, dropout="0.5")
    with pytest.raises(TypeError, match="GRUCell seed must be an integer or None"):
        GRU(2, seed=1.5)


def test_docstring_examples_run():
    # The examples use the public names; give them layerwise.layers with this module's classes.
    layers = types.SimpleNamespace(**vars(layerwise.layers))
    for name in recurrent.__all__ + rnn_cells.__all__:
        setattr(layers, name, getattr(recurrent, name, None) or getattr(rnn_cells, name))
    namespace = types.SimpleNamespace(**{k: getattr(layerwise, k) for k in dir(layerwise)})
    namespace.layers = layers
    for module in (recurrent, rnn_cells):
        results = doctest.testmod(module, extraglobs={"layerwise": namespace, "np": np},
                                  optionflags=doctest.ELLIPSIS)
        assert results.attempted > 0 and results.failed == 0, module.__name__
