"""Recurrent layers against real Keras 3: same weights in, same outputs, states and gradients out.

Every case builds the Keras layer and the layerwise layer with the same
arguments, gives both the same random weights (biases included), runs both
on the same input (with masks, initial states, ...) and compares every
output, the gradients with respect to the inputs and to every weight.
"""

import json

import keras
import numpy as np
import pytest
import torch

import layerwise
from layerwise.layers import recurrent, rnn_cells

TOL = {"rtol": 1e-5, "atol": 1e-5}
BATCH, STEPS, FEATURES = 3, 6, 4

MASKS = {
    "none": None,
    # right padding (the usual pad_sequences(padding="post") layout), one full row
    "end": [[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0]],
    # holes in the middle, left padding, and a fully masked row
    "middle": [[1, 0, 1, 1, 0, 1], [0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]],
}

LAYER_CASES = [
    ("SimpleRNN", {}),
    ("SimpleRNN", {"return_sequences": True, "return_state": True}),
    ("SimpleRNN", {"activation": "relu", "return_sequences": True}),
    ("SimpleRNN", {"activation": None, "go_backwards": True, "return_state": True}),
    ("SimpleRNN", {"go_backwards": True, "return_sequences": True, "use_bias": False}),
    ("SimpleRNN", {"dropout": 0.3, "recurrent_dropout": 0.2, "return_sequences": True}),
    ("LSTM", {}),
    ("LSTM", {"return_sequences": True}),
    ("LSTM", {"return_state": True}),
    ("LSTM", {"return_sequences": True, "return_state": True, "go_backwards": True}),
    ("LSTM", {"go_backwards": True}),
    ("LSTM", {"use_bias": False, "return_sequences": True, "return_state": True}),
    ("LSTM", {"activation": "relu", "recurrent_activation": "hard_sigmoid", "return_sequences": True}),
    ("LSTM", {"dropout": 0.3, "recurrent_dropout": 0.2, "return_sequences": True, "return_state": True}),
    ("LSTM", {"dropout": 0.3, "return_state": True}),
    ("LSTM", {"unit_forget_bias": False, "unroll": True, "return_sequences": True}),
    ("LSTM", {"use_cudnn": False, "return_sequences": True, "return_state": True}),
    ("LSTM", {"zero_output_for_mask": True, "return_sequences": True}),
    ("GRU", {}),
    ("GRU", {"return_sequences": True, "return_state": True}),
    ("GRU", {"go_backwards": True, "return_sequences": True}),
    ("GRU", {"use_bias": False, "return_state": True}),
    ("GRU", {"reset_after": False}),
    ("GRU", {"reset_after": False, "return_sequences": True, "return_state": True, "go_backwards": True}),
    ("GRU", {"reset_after": False, "use_bias": False, "return_sequences": True}),
    ("GRU", {"activation": "softsign", "recurrent_activation": "hard_sigmoid", "return_sequences": True}),
    ("GRU", {"dropout": 0.3, "recurrent_dropout": 0.2, "return_sequences": True}),
    ("GRU", {"reset_after": False, "recurrent_dropout": 0.2, "return_state": True}),
    ("GRU", {"use_cudnn": False, "return_sequences": True}),
]


@pytest.fixture(autouse=True)
def _fresh_keras_names():
    keras.backend.clear_session(free_memory=False)  # so Keras's generated names (stacked_rnn_cells, ...) match ours


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _leaves(structure):
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _leaves(item)]
    return [structure]


def _np(tensor):
    return keras.ops.convert_to_numpy(tensor) if not isinstance(tensor, torch.Tensor) \
        else tensor.detach().cpu().numpy()


def _random_weights(layer, seed=1):
    rng = np.random.default_rng(seed)
    return [(0.5 * rng.normal(size=w.shape)).astype("float32") for w in layer.get_weights()]


def _pair(class_name, config, units=5, shape=(BATCH, STEPS, FEATURES), name="rnn_layer"):
    theirs = getattr(keras.layers, class_name)(units, name=name, **config)
    ours = getattr(recurrent, class_name)(units, name=name, **config)
    theirs.build(shape)
    ours.build(shape)
    weights = _random_weights(theirs)
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return ours, theirs


def _call_both(ours, theirs, x, mask=None, initial_state=None, training=False):
    """Call both layers; return (our outputs, their outputs, our x, their x) as torch leaves."""
    x_ours = torch.tensor(x, requires_grad=True)
    x_theirs = torch.tensor(x, requires_grad=True)
    kwargs_ours, kwargs_theirs = {"training": training}, {"training": training}
    if mask is not None:
        kwargs_ours["mask"] = torch.tensor(np.asarray(mask, bool))
        kwargs_theirs["mask"] = torch.tensor(np.asarray(mask, bool))
    if initial_state is not None:
        kwargs_ours["initial_state"] = [torch.tensor(s) for s in initial_state]
        kwargs_theirs["initial_state"] = [torch.tensor(s) for s in initial_state]
    return (_leaves(ours(x_ours, **kwargs_ours)), _leaves(theirs(x_theirs, **kwargs_theirs)),
            x_ours, x_theirs)


def _assert_same(ours, theirs, x, **kwargs):
    out_ours, out_theirs, x_ours, x_theirs = _call_both(ours, theirs, x, **kwargs)
    assert len(out_ours) == len(out_theirs)
    for a, b in zip(out_ours, out_theirs):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(_np(a), _np(b), **TOL)
    # Gradients: a fixed random weighting of every output, w.r.t. inputs and weights.
    rng = np.random.default_rng(7)
    coefficients = [torch.tensor(rng.normal(size=tuple(o.shape)).astype("float32")) for o in out_ours]
    sum((o * c).sum() for o, c in zip(out_ours, coefficients)).backward()
    sum((o * c).sum() for o, c in zip(out_theirs, coefficients)).backward()
    np.testing.assert_allclose(_np(x_ours.grad), _np(x_theirs.grad), **TOL)
    for w_ours, w_theirs in zip(ours.trainable_weights, theirs.trainable_weights):
        np.testing.assert_allclose(_np(w_ours.grad), _np(w_theirs.value.grad), rtol=1e-4, atol=1e-5)
    return out_ours


def _case_id(case):
    class_name, config = case
    return class_name + "-" + ("-".join(f"{k}={v}" for k, v in config.items()) or "default")


@pytest.mark.parametrize("case", LAYER_CASES, ids=_case_id)
@pytest.mark.parametrize("mask", list(MASKS), ids=list(MASKS))
def test_outputs_states_and_gradients_match_keras(case, mask):
    class_name, config = case
    ours, theirs = _pair(class_name, config)
    _assert_same(ours, theirs, _x(BATCH, STEPS, FEATURES), mask=MASKS[mask])


@pytest.mark.parametrize("class_name,config", [
    ("SimpleRNN", {"return_state": True}),
    ("LSTM", {"return_state": True, "return_sequences": True}),
    ("LSTM", {"return_state": True, "go_backwards": True, "use_cudnn": False}),
    ("GRU", {"return_state": True, "return_sequences": True}),
    ("GRU", {"return_state": True, "reset_after": False, "go_backwards": True}),
])
@pytest.mark.parametrize("mask", list(MASKS), ids=list(MASKS))
def test_initial_state_matches_keras(class_name, config, mask):
    ours, theirs = _pair(class_name, config)
    count = 2 if class_name == "LSTM" else 1
    states = [_x(BATCH, 5, seed=10 + i) for i in range(count)]
    _assert_same(ours, theirs, _x(BATCH, STEPS, FEATURES), mask=MASKS[mask], initial_state=states)


def test_mask_from_keras_mask_attribute_matches_keras_mask_argument():
    ours, theirs = _pair("LSTM", {"return_sequences": True})
    x = _x(BATCH, STEPS, FEATURES)
    mask = torch.tensor(np.asarray(MASKS["middle"], bool))
    tensor = torch.tensor(x)
    tensor._keras_mask = mask
    np.testing.assert_allclose(_np(ours(tensor)), _np(theirs(torch.tensor(x), mask=mask)), **TOL)


@pytest.mark.parametrize("class_name,config", [
    ("SimpleRNN", {}),
    ("LSTM", {"return_sequences": True, "return_state": True}),
    ("LSTM", {"use_cudnn": False}),
    ("GRU", {"return_state": True}),
    ("GRU", {"reset_after": False, "return_sequences": True}),
])
def test_stateful_over_two_calls_and_reset_match_keras(class_name, config):
    ours, theirs = _pair(class_name, {"stateful": True, **config})
    for seed in (0, 1):
        x = _x(BATCH, STEPS, FEATURES, seed=seed)
        for a, b in zip(_leaves(ours(x)), _leaves(theirs(x))):
            np.testing.assert_allclose(_np(a), _np(b), **TOL)
    ours.reset_state()
    theirs.reset_state()
    x = _x(BATCH, STEPS, FEATURES, seed=2)
    for a, b in zip(_leaves(ours(x)), _leaves(theirs(x))):
        np.testing.assert_allclose(_np(a), _np(b), **TOL)


# ---------------------------------------------------------------- the generic RNN with cells


class KerasMinimalCell(keras.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        output = keras.ops.tanh(keras.ops.matmul(inputs, self.kernel)
                                + keras.ops.matmul(states[0], self.recurrent_kernel))
        return output, [output]


class OurMinimalCell(layerwise.layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        output = torch.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
        return output, [output]


CELL_CASES = {
    "lstm_cell": lambda lib: lib.LSTMCell(5, name="c0"),
    "gru_cell_reset_before": lambda lib: lib.GRUCell(5, reset_after=False, name="c0"),
    "simple_cell": lambda lib: lib.SimpleRNNCell(5, name="c0"),
    "stacked": lambda lib: [lib.LSTMCell(4, name="c0"), lib.GRUCell(3, name="c1"),
                            lib.SimpleRNNCell(2, name="c2")],
    "user_cell": lambda lib: KerasMinimalCell(5, name="c0") if lib is keras.layers else OurMinimalCell(5, name="c0"),
    "stacked_user_cells": lambda lib: [
        KerasMinimalCell(4, name="c0") if lib is keras.layers else OurMinimalCell(4, name="c0"),
        lib.LSTMCell(3, name="c1"),
    ],
}


@pytest.mark.parametrize("cells", list(CELL_CASES))
@pytest.mark.parametrize("mask", ["none", "middle"])
@pytest.mark.parametrize("flags", [
    {},
    {"return_sequences": True, "return_state": True},
    {"return_sequences": True, "go_backwards": True},
])
def test_rnn_with_cells_matches_keras(cells, mask, flags):
    theirs = keras.layers.RNN(CELL_CASES[cells](keras.layers), name="rnn_layer", **flags)
    ours = recurrent.RNN(CELL_CASES[cells](rnn_cells), name="rnn_layer", **flags)
    shape = (BATCH, STEPS, FEATURES)
    theirs.build(shape)
    ours.build(shape)
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    weights = _random_weights(theirs)
    theirs.set_weights(weights)
    ours.set_weights(weights)
    _assert_same(ours, theirs, _x(*shape), mask=MASKS[mask])


# ---------------------------------------------------------------- weights, configs, shapes


@pytest.mark.parametrize("class_name,config", [
    ("SimpleRNN", {}), ("LSTM", {}), ("GRU", {}), ("GRU", {"reset_after": False}),
    ("LSTM", {"use_bias": False}),
])
def test_weight_names_paths_shapes_order_and_count_match_keras(class_name, config):
    ours, theirs = _pair(class_name, config, units=7, shape=(2, 3, 11))
    assert [(w.name, w.path, tuple(w.shape)) for w in ours.weights] == \
        [(w.name, w.path, tuple(w.shape)) for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()
    assert [w.path for w in ours.trainable_weights] == [w.path for w in theirs.trainable_weights]


CONFIG_CASES = [
    ("SimpleRNN", {}),
    ("SimpleRNN", {"activation": "relu", "use_bias": False, "dropout": 0.25, "return_sequences": True}),
    ("LSTM", {}),
    ("LSTM", {"recurrent_activation": "hard_sigmoid", "unit_forget_bias": False, "go_backwards": True,
              "kernel_regularizer": "l2", "recurrent_constraint": "max_norm", "seed": 3, "stateful": True}),
    ("GRU", {}),
    ("GRU", {"reset_after": False, "bias_initializer": "ones", "recurrent_dropout": 0.1,
             "return_state": True,
             "activity_regularizer": {"class_name": "L1", "config": {"l1": 0.5}}}),
]


@pytest.mark.parametrize("class_name,config", CONFIG_CASES)
def test_config_matches_keras_both_ways(class_name, config):
    theirs = getattr(keras.layers, class_name)(5, name="layer", **config)
    ours = getattr(recurrent, class_name)(5, name="layer", **config)
    theirs_config = theirs.get_config()
    ours_config = ours.get_config()
    if class_name == "SimpleRNN":
        # Keras's SimpleRNN drops activity_regularizer and seed; layerwise keeps them.
        ours_config.pop("seed", None)
        theirs_config["activity_regularizer"] = ours_config["activity_regularizer"]
    assert ours_config == theirs_config
    # Keras's config loads in layerwise, and layerwise's config loads in Keras.
    assert getattr(recurrent, class_name).from_config(theirs.get_config()).get_config() == ours.get_config()
    reloaded = getattr(keras.layers, class_name).from_config(json.loads(json.dumps(ours_config)))
    assert reloaded.get_config() == theirs_config


def test_rnn_with_stacked_cells_config_matches_keras_both_ways():
    shape = (2, 4, 5)
    theirs = keras.layers.RNN([keras.layers.LSTMCell(3, name="c1"), keras.layers.GRUCell(2, name="c2")],
                              name="r", return_state=True)
    ours = recurrent.RNN([rnn_cells.LSTMCell(3, name="c1"), rnn_cells.GRUCell(2, name="c2")],
                         name="r", return_state=True)
    theirs(np.zeros(shape, "float32"))
    ours(np.zeros(shape, "float32"))
    config = json.loads(json.dumps(ours.get_config()))
    assert config == json.loads(json.dumps(theirs.get_config()))
    rebuilt = recurrent.RNN.from_config(json.loads(json.dumps(theirs.get_config())))
    assert isinstance(rebuilt.cell, rnn_cells.StackedRNNCells)
    assert [type(c).__name__ for c in rebuilt.cell.cells] == ["LSTMCell", "GRUCell"]
    assert keras.layers.RNN.from_config(config).cell.cells[1].units == 2


@pytest.mark.parametrize("case", LAYER_CASES[:6] + LAYER_CASES[6:10] + LAYER_CASES[18:21], ids=_case_id)
@pytest.mark.parametrize("input_shape", [(None, 6, 4), (None, None, 4), (8, 6, 4)])
def test_output_shapes_match_keras(case, input_shape):
    class_name, config = case
    theirs = getattr(keras.layers, class_name)(5, **config)
    ours = getattr(recurrent, class_name)(5, **config)
    expected = theirs.compute_output_shape(input_shape)
    assert ours.compute_output_shape(input_shape) == expected
    symbolic = ours(layerwise.Input(batch_shape=input_shape))
    keras_symbolic = theirs(keras.Input(batch_shape=input_shape))
    assert [tuple(t.shape) for t in _leaves(symbolic)] == [tuple(t.shape) for t in _leaves(keras_symbolic)]


# ---------------------------------------------------------------- course checks


def test_course_simple_rnn_model_params_and_output_shape_match_keras():
    step = 4

    def build(lib):
        return lib.Sequential([
            lib.layers.Input((1, step)) if lib is keras else layerwise.layers.Input((1, step)),
            (keras.layers.SimpleRNN if lib is keras else recurrent.SimpleRNN)(32, activation="relu"),
            lib.layers.Dense(8, activation="relu"),
            lib.layers.Dense(1),
        ])

    theirs, ours = build(keras), build(layerwise)
    assert ours.count_params() == theirs.count_params() == 32 * (step + 32 + 1) + 33 * 8 + 9
    assert ours.output_shape == theirs.output_shape == (None, 1)
    assert ours.layers[0].output_shape == (None, 32)
    x = _x(5, 1, step)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(_np(ours(x)), _np(theirs(x)), **TOL)


def test_course_legacy_input_shape_simple_rnn_matches_keras():
    theirs = keras.Sequential([keras.layers.SimpleRNN(32, input_shape=(1, 4))])
    ours = layerwise.Sequential([recurrent.SimpleRNN(32, input_shape=(1, 4))])
    assert ours.count_params() == theirs.count_params() == 1184
    assert ours.output_shape == theirs.output_shape == (None, 32)


def test_course_lstm_64_on_32_features_has_24832_params():
    theirs = keras.Sequential([keras.Input((None, 32)), keras.layers.LSTM(64)])
    ours = layerwise.Sequential([layerwise.layers.Input((None, 32)), recurrent.LSTM(64)])
    assert ours.count_params() == theirs.count_params() == 24832


def test_stacked_lstm_model_matches_keras_end_to_end():
    def build(lib, rnn):
        return lib.Sequential([
            (keras.Input if lib is keras else layerwise.layers.Input)((7, 3)),
            rnn.LSTM(6, return_sequences=True),
            rnn.GRU(4, reset_after=False, return_sequences=True, go_backwards=True),
            rnn.SimpleRNN(3),
            lib.layers.Dense(1),
        ])

    theirs, ours = build(keras, keras.layers), build(layerwise, recurrent)
    weights = [(0.4 * np.random.default_rng(i).normal(size=w.shape)).astype("float32")
               for i, w in enumerate(theirs.get_weights())]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    x = _x(4, 7, 3)
    np.testing.assert_allclose(_np(ours.predict(x, verbose=0)), _np(theirs.predict(x, verbose=0)), **TOL)


def test_summary_of_a_recurrent_model_matches_keras(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")

    def build(lib, rnn):
        return lib.Sequential([
            (keras.Input if lib is keras else layerwise.layers.Input)((10, 8)),
            rnn.LSTM(16, return_sequences=True),
            rnn.GRU(8, reset_after=False),
            lib.layers.Dense(1),
        ], name="recurrent_model")

    texts = []
    for lib, rnn in ((keras, keras.layers), (layerwise, recurrent)):
        build(lib, rnn).summary(print_fn=lambda text, **kwargs: texts.append(text))
    assert len(texts) == 2 and texts[0] == texts[1]
