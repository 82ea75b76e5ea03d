"""TimeDistributed and Bidirectional against real Keras 3: same weights in, same outputs out."""

import keras
import numpy as np
import pytest
import torch

import layerwise
from layerwise.layers import recurrent, rnn_cells
from layerwise.layers.core import Dense
from layerwise.layers.embedding import Embedding
from layerwise.layers.wrappers import Bidirectional, TimeDistributed


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return keras.ops.convert_to_numpy(value)


def _close(ours, theirs, tol=1e-5):
    np.testing.assert_allclose(_numpy(ours), _numpy(theirs), rtol=tol, atol=tol)


def _capture(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "".join(lines)


# ---------------------------------------------------------------- TimeDistributed


def _inner(lib, kind):
    L = lib.layers
    return {
        "dense": lambda: L.Dense(4, activation="relu"),
        "dense_no_bias": lambda: L.Dense(3, use_bias=False, activation="tanh"),
        "flatten": lambda: L.Flatten(),
        "dropout": lambda: L.Dropout(0.3),
        "model": lambda: lib.Sequential([lib.Input((6,)), L.Dense(5, activation="relu"), L.Dense(2)]),
        "lstm": lambda: _rnn(lib, "lstm", 4),
    }[kind]()


@pytest.mark.parametrize("kind,shape", [("dense", (3, 5, 6)), ("dense", (2, 4, 3, 6)),
                                        ("dense_no_bias", (3, 5, 6)), ("flatten", (2, 3, 4, 5)),
                                        ("dropout", (3, 5, 6)), ("model", (3, 5, 6)),
                                        ("lstm", (2, 3, 4, 6))])
def test_time_distributed_matches_keras(kind, shape):
    theirs = keras.layers.TimeDistributed(_inner(keras, kind))
    ours = TimeDistributed(_inner(layerwise, kind))
    x = _x(*shape)
    theirs_out = theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    _close(ours(x), theirs_out)
    assert ours.count_params() == theirs.count_params()
    symbolic = (None,) + shape[1:]
    assert ours.compute_output_shape(symbolic) == tuple(theirs.compute_output_shape(symbolic))


def test_time_distributed_in_a_model_matches_keras_with_masks():
    def build(lib, emb):
        L = lib.layers
        wrapper = L.TimeDistributed if lib is keras else TimeDistributed
        return lib.Sequential([lib.Input((None,), dtype="int32"), emb(20, 6, mask_zero=True, name="emb"),
                               wrapper(L.Dense(4, activation="relu"), name="td")], name="td_model")

    theirs = build(keras, keras.layers.Embedding)
    ours = build(layerwise, Embedding)
    ours.set_weights(theirs.get_weights())
    ids = np.array([[3, 5, 1, 0, 0], [7, 0, 0, 0, 0]])
    theirs_out = theirs(ids)
    ours_out = ours(ids)
    _close(ours_out, theirs_out)
    np.testing.assert_array_equal(_numpy(ours_out._keras_mask), _numpy(theirs_out._keras_mask))
    assert _capture(ours) == _capture(theirs)


def test_time_distributed_config_matches_keras_both_ways():
    theirs = keras.layers.TimeDistributed(keras.layers.Dense(3, name="d"), name="td")
    ours = TimeDistributed(layerwise.layers.Dense(3, name="d"), name="td")
    assert ours.get_config() == theirs.get_config()
    assert TimeDistributed.from_config(theirs.get_config()).get_config() == theirs.get_config()
    assert keras.layers.TimeDistributed.from_config(ours.get_config()).get_config() == theirs.get_config()


# ---------------------------------------------------------------- Bidirectional


def _rnn(lib, kind, units=4, **kwargs):
    module = keras.layers if lib is keras else recurrent
    return {"lstm": module.LSTM, "gru": module.GRU, "simple_rnn": module.SimpleRNN}[kind](units, **kwargs)


def _bidirectional(lib):
    return keras.layers.Bidirectional if lib is keras else Bidirectional


def _padded_ids(seed=0):
    ids = np.random.default_rng(seed).integers(1, 30, size=(4, 7))
    for row, length in enumerate((7, 5, 2, 1)):
        ids[row, length:] = 0  # zero padding at the end, as pad_sequences(padding="post") gives
    return ids


def _outputs_match(ours, theirs):
    if isinstance(theirs, (list, tuple)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for got, want in zip(ours, theirs):
            _close(got, want)
    else:
        _close(ours, theirs)


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_matches_keras(kind, merge_mode, return_sequences):
    theirs = keras.layers.Bidirectional(_rnn(keras, kind, return_sequences=return_sequences),
                                        merge_mode=merge_mode)
    ours = Bidirectional(_rnn(layerwise, kind, return_sequences=return_sequences), merge_mode=merge_mode)
    x = _x(3, 6, 5)
    theirs_out = theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    _outputs_match(ours(x), theirs_out)
    assert ours.count_params() == theirs.count_params()
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    shape = ours.compute_output_shape((None, 6, 5))
    theirs_shape = theirs.compute_output_shape((None, 6, 5))
    if merge_mode is None:
        assert shape == tuple(tuple(s) for s in theirs_shape)
    else:
        assert shape == tuple(theirs_shape)


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
@pytest.mark.parametrize("merge_mode", ["concat", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_return_state_matches_keras(kind, merge_mode, return_sequences):
    def make(lib):
        return _bidirectional(lib)(_rnn(lib, kind, return_sequences=return_sequences, return_state=True),
                                   merge_mode=merge_mode)

    theirs, ours = make(keras), make(layerwise)
    x = _x(3, 6, 5)
    theirs_out = theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    _outputs_match(ours(x), theirs_out)
    theirs_shape = theirs.compute_output_shape((None, 6, 5))
    assert ours.compute_output_shape((None, 6, 5)) == tuple(tuple(s) for s in theirs_shape)
    symbolic = make(layerwise)(layerwise.Input((6, 5)))
    assert isinstance(symbolic, tuple)
    assert [t.shape for t in symbolic] == [tuple(t.shape) for t in make(keras)(keras.Input((6, 5)))]
    # initial states: the first half for the forward layer, the second for the backward one
    states = [_numpy(s) for s in theirs_out[-(len(theirs_out) - (2 if merge_mode is None else 1)):]]
    states = [s[::-1].copy() for s in states]
    _outputs_match(ours(x, initial_state=states), theirs(x, initial_state=states))


@pytest.mark.parametrize("kind", ["lstm", "gru", "simple_rnn"])
@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_with_masks_matches_keras(kind, merge_mode, return_sequences):
    def make(lib, emb):
        return lib.Sequential([
            lib.Input((None,), dtype="int32"), emb(30, 5, mask_zero=True, name="emb"),
            _bidirectional(lib)(_rnn(lib, kind, return_sequences=return_sequences),
                                merge_mode=merge_mode, name="bi"),
        ], name="masked")

    theirs, ours = make(keras, keras.layers.Embedding), make(layerwise, Embedding)
    ours.set_weights(theirs.get_weights())
    ids = _padded_ids()
    theirs_out = theirs(ids)
    ours_out = ours(ids)
    _outputs_match(ours_out, theirs_out)
    if return_sequences:
        for got, want in zip(ours_out if merge_mode is None else [ours_out],
                             theirs_out if merge_mode is None else [theirs_out]):
            np.testing.assert_array_equal(_numpy(got._keras_mask), _numpy(want._keras_mask))
            assert (_numpy(got)[ids == 0] == 0).all()


def test_bidirectional_with_a_given_backward_layer_matches_keras():
    def make(lib):
        return _bidirectional(lib)(
            _rnn(lib, "lstm", 4, return_sequences=True),
            backward_layer=_rnn(lib, "gru", 3, return_sequences=True, go_backwards=True, name="back"),
            name="bi")

    theirs, ours = make(keras), make(layerwise)
    x = _x(2, 5, 3)
    theirs_out = theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    _close(ours(x), theirs_out)
    assert tuple(ours(x).shape) == (2, 5, 7)
    # forward LSTM (kernel, recurrent_kernel, bias), then the backward GRU's, as in Keras
    assert [w.shape for w in ours.weights] == [(3, 16), (4, 16), (16,), (3, 9), (3, 9), (2, 9)]


def test_bidirectional_around_a_generic_rnn_of_stacked_cells_matches_keras():
    def make(lib):
        cells = keras.layers if lib is keras else rnn_cells
        rnn = keras.layers.RNN if lib is keras else recurrent.RNN
        return _bidirectional(lib)(rnn([cells.LSTMCell(3), cells.GRUCell(2)], return_sequences=True),
                                   merge_mode="sum")

    theirs, ours = make(keras), make(layerwise)
    x = _x(2, 4, 5)
    theirs_out = theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    _close(ours(x), theirs_out)
    assert tuple(ours(x).shape) == (2, 4, 2)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_bidirectional_config_matches_keras_both_ways(kind):
    def make(lib):
        return _bidirectional(lib)(_rnn(lib, kind, 4, return_sequences=True, name="rnn"),
                                   merge_mode="ave", name="bi")

    theirs, ours = make(keras).get_config(), make(layerwise).get_config()
    assert ours == theirs
    assert Bidirectional.from_config(theirs).get_config() == theirs
    assert keras.layers.Bidirectional.from_config(ours).get_config() == theirs


# ---------------------------------------------------------------- the course's IMDB models


def _imdb_models(lib, emb, mask_zero=False):
    bidirectional = _bidirectional(lib)
    dense = keras.layers.Dense if lib is keras else Dense

    def lstm(units, **kwargs):
        return _rnn(lib, "lstm", units, **kwargs)

    def head():
        return [dense(64, activation="relu", name="hidden"), dense(1, activation="sigmoid", name="out")]

    def start():
        return [lib.Input((None,), dtype="int32"), emb(10000, 32, mask_zero=mask_zero, name="emb")]

    return {
        "lstm": lambda: lib.Sequential(start() + [lstm(64, name="lstm")] + head(), name="imdb"),
        "bidirectional": lambda: lib.Sequential(
            start() + [bidirectional(lstm(64, name="lstm"), name="bi")] + head(), name="imdb"),
        "stacked_64_32": lambda: lib.Sequential(
            start() + [bidirectional(lstm(64, return_sequences=True, name="lstm"), name="bi"),
                       bidirectional(lstm(32, name="lstm_1"), name="bi_2")] + head(), name="imdb"),
        "stacked_64_64": lambda: lib.Sequential(
            start() + [bidirectional(lstm(64, return_sequences=True, name="lstm"), name="bi"),
                       bidirectional(lstm(64, name="lstm_1"), name="bi_2")] + head(), name="imdb"),
    }


# 476,801 is the course's count for the stacked model whose second layer is Bidirectional(LSTM(64));
# with Bidirectional(LSTM(32)) Keras counts 415,105.
@pytest.mark.parametrize("name,params", [("lstm", 349_057), ("bidirectional", 377_985),
                                         ("stacked_64_32", 415_105), ("stacked_64_64", 476_801)])
@pytest.mark.parametrize("mask_zero", [False, True])
def test_course_imdb_models_match_keras(name, params, mask_zero):
    theirs = _imdb_models(keras, keras.layers.Embedding, mask_zero)[name]()
    ours = _imdb_models(layerwise, Embedding, mask_zero)[name]()
    assert ours.count_params() == theirs.count_params() == params
    ours.set_weights(theirs.get_weights())
    ids = np.random.default_rng(1).integers(1, 10000, size=(4, 12))
    ids[1, 8:] = 0
    ids[2, 3:] = 0
    ids[3, :5] = 0  # pre-padding, as pad_sequences gives by default
    _close(ours.predict(ids, verbose=0), theirs.predict(ids, verbose=0))
    assert _capture(ours) == _capture(theirs)
