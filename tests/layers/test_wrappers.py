"""TimeDistributed and Bidirectional: shapes, masks, configs, gradients, errors."""

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.engine.input_layer import Input
from layerwise.engine.layer import Layer
from layerwise.layers.core import Dense, Identity
from layerwise.layers.embedding import Embedding
from layerwise.layers.recurrent import GRU, LSTM, SimpleRNN
from layerwise.layers.regularization import Dropout
from layerwise.layers.reshaping import Flatten
from layerwise.layers.wrappers import Bidirectional, TimeDistributed, Wrapper


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


class MaskProbe(Layer):
    """Records the mask and training flag it is called with."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.seen = {}

    def call(self, inputs, mask=None, training=None):
        self.seen = {"mask": mask, "training": training, "shape": tuple(inputs.shape)}
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


# ---------------------------------------------------------------- TimeDistributed


@pytest.mark.parametrize("shape", [(2, 5, 3), (3, 4, 2, 3)])
def test_time_distributed_dense_shapes_params_and_math(shape):
    layer = TimeDistributed(Dense(7, activation="tanh"))
    x = _x(*shape)
    out = layer(x)
    assert tuple(out.shape) == shape[:-1] + (7,)
    assert layer.count_params() == 3 * 7 + 7
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + shape[1:-1] + (7,)
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out.detach().numpy(), np.tanh(x @ kernel + bias), rtol=1e-5, atol=1e-6)
    for t in range(shape[1]):  # every time slice is the wrapped layer applied to that slice
        torch.testing.assert_close(out[:, t], layer.layer(x[:, t]))
    symbolic = TimeDistributed(Dense(7))(Input(shape[1:]))
    assert symbolic.shape == (None,) + shape[1:-1] + (7,)


def test_time_distributed_flatten_and_nested_model():
    layer = TimeDistributed(Flatten())
    assert tuple(layer(_x(2, 3, 4, 5)).shape) == (2, 3, 20)
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 3, 20)
    inner = keras.Sequential([Input((4,)), Dense(6, activation="relu"), Dense(2)])
    model = keras.Sequential([Input((None, 4)), TimeDistributed(inner)])
    assert model.output_shape == (None, None, 2)
    assert model.count_params() == 4 * 6 + 6 + 6 * 2 + 2
    x = _x(3, 5, 4)
    torch.testing.assert_close(model(x), inner(x.reshape(15, 4)).reshape(3, 5, 2))


def test_time_distributed_folds_time_into_batch_with_views():
    layer = TimeDistributed(Identity())
    x = torch.tensor(_x(2, 3, 4))
    out = layer(x)
    assert out.data_ptr() == x.data_ptr()  # no copy in or out
    probe = MaskProbe()
    TimeDistributed(probe)(x)
    assert probe.seen["shape"] == (6, 4)


def test_time_distributed_masks_pass_folded_and_come_out_unchanged():
    probe = MaskProbe()
    model = keras.Sequential([Input((None,), dtype="int32"), Embedding(9, 2, mask_zero=True),
                              TimeDistributed(probe)])
    ids = np.array([[3, 1, 0], [4, 0, 0]])
    out = model(ids)
    assert probe.seen["mask"].tolist() == (ids != 0).reshape(6).tolist()
    assert out._keras_mask.tolist() == (ids != 0).tolist()
    # a layer whose call takes no mask still runs; the mask still reaches the output
    out = TimeDistributed(Dense(3))(Embedding(9, 2, mask_zero=True)(ids))
    assert out._keras_mask.tolist() == (ids != 0).tolist()


def test_time_distributed_passes_training():
    probe = MaskProbe()
    layer = TimeDistributed(probe)
    layer(_x(2, 3, 4), training=True)
    assert probe.seen["training"] is True
    layer(_x(2, 3, 4))
    assert probe.seen["training"] is None  # undecided, as in Keras: the inner call's own default
    dropout = TimeDistributed(Dropout(0.5))
    x = np.ones((4, 5, 6), "float32")
    assert (dropout(x, training=True) == 0).any()
    torch.testing.assert_close(dropout(x), torch.tensor(x))


def test_time_distributed_config_round_trip():
    layer = TimeDistributed(Dense(4, activation="relu", name="inner"), name="td")
    x = _x(2, 3, 5)
    layer(x)
    config = layer.get_config()
    assert config["name"] == "td" and config["layer"]["class_name"] == "Dense"
    assert config["layer"]["config"]["name"] == "inner"
    clone = TimeDistributed.from_config(config)
    assert clone.get_config() == config
    clone(x)
    clone.set_weights(layer.get_weights())
    torch.testing.assert_close(clone(x), layer(x))
    model = keras.Sequential([Input((3, 5)), layer])
    restored = keras.Sequential.from_config(model.get_config())
    assert restored.output_shape == (None, 3, 4)


def test_time_distributed_gradients_and_frozen():
    layer = TimeDistributed(Dense(3))
    x = torch.tensor(_x(2, 4, 5), requires_grad=True)
    layer(x).pow(2).sum().backward()
    assert x.grad.abs().sum() > 0
    assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in layer.trainable_weights)
    assert [w.path for w in layer.weights] == ["dense/kernel", "dense/bias"]
    frozen = TimeDistributed(Dense(3), trainable=False)
    x = torch.tensor(_x(2, 4, 5), requires_grad=True)
    frozen(x).sum().backward()
    assert frozen.layer.kernel.grad is None and x.grad is not None
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 2


def test_time_distributed_errors():
    with pytest.raises(ValueError, match="TimeDistributed 'time_distributed' wraps a layer, but got "
                                         "'dense' \\(of type str\\). Pass a layer instance"):
        TimeDistributed("dense")
    with pytest.raises(ValueError, match=(
            "TimeDistributed 'time_distributed_1' expects an input of shape \\(batch, time, ...\\) with "
            "at least 3 dimensions, got shape \\(4, 3\\).*call Dense 'dense' directly")):
        TimeDistributed(Dense(2))(_x(4, 3))
    with pytest.raises(ValueError, match="at least 3 dimensions, got shape \\(None, 3\\)"):
        TimeDistributed(Dense(2))(Input((3,)))
    with pytest.raises(ValueError, match=(
            "TimeDistributed 'time_distributed_3' got a mask of shape \\(2, 4\\) for inputs of shape "
            "\\(2, 3, 5\\); the mask must start with the inputs' batch and time axes, i.e. have "
            "shape \\(2, 3, ...\\)")):
        TimeDistributed(Dense(2))(_x(2, 3, 5), mask=torch.ones(2, 4, dtype=torch.bool))


# ---------------------------------------------------------------- Wrapper


def test_wrapper_base_tracks_the_wrapped_layer():
    class Twice(Wrapper):
        def call(self, inputs):
            return self.layer(self.layer(inputs))

    layer = Twice(Dense(4))
    assert tuple(layer(_x(2, 4)).shape) == (2, 4)
    assert layer.count_params() == 20
    with pytest.raises(ValueError, match="Twice 'twice_1' wraps a layer, but got 3"):
        Twice(3)


# ---------------------------------------------------------------- Bidirectional, wrapper mechanics


class ToyRNN(Layer):
    """A minimal layer with Keras's recurrent-layer contract: h_t = tanh(x_t W + h_{t-1} U).

    It exercises Bidirectional's own logic (naming, reversal, merging, states,
    masks) independently of the library's recurrent layers.
    """

    def __init__(self, units, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.zero_output_for_mask = zero_output_for_mask
        self.supports_masking = True

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, initial_state=None, mask=None, training=None):
        h = initial_state[0] if initial_state is not None else inputs.new_zeros(inputs.shape[0], self.units)
        steps = range(inputs.shape[1] - 1, -1, -1) if self.go_backwards else range(inputs.shape[1])
        outputs, last = [], torch.zeros_like(h)
        for t in steps:
            new = torch.tanh(inputs[:, t] @ self.kernel + h @ self.recurrent_kernel)
            if mask is not None:
                keep = mask[:, t, None]
                h = torch.where(keep, new, h)
                last = torch.where(keep, new, torch.zeros_like(new) if self.zero_output_for_mask else last)
            else:
                h = last = new
            outputs.append(last)
        output = torch.stack(outputs, 1) if self.return_sequences else h
        return [output, h] if self.return_state else output

    def compute_output_shape(self, input_shape):
        output = (input_shape[0], input_shape[1], self.units) if self.return_sequences \
            else (input_shape[0], self.units)
        return [output, (input_shape[0], self.units)] if self.return_state else output

    def compute_mask(self, inputs, mask=None):
        output_mask = mask if self.return_sequences else None
        return [output_mask, None] if self.return_state else output_mask

    def get_config(self):
        return {**super().get_config(), "units": self.units, "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                "stateful": self.stateful, "zero_output_for_mask": self.zero_output_for_mask}


def _directions(bidirectional, x, **kwargs):
    """What the two wrapped layers return on their own, the backward one put back in time order."""
    forward = bidirectional.forward_layer(x, **kwargs)
    backward = bidirectional.backward_layer(x, **kwargs)
    if bidirectional.return_state:
        forward, backward = forward[0], backward[0]
    if bidirectional.return_sequences:
        backward = torch.flip(backward, (1,))
    return forward, backward


def test_bidirectional_creates_fresh_forward_and_backward_layers():
    original = ToyRNN(3, name="rnn")
    layer = Bidirectional(original)
    assert layer.forward_layer is not original and layer.backward_layer is not original
    assert layer.forward_layer.name == "forward_rnn" and layer.backward_layer.name == "backward_rnn"
    assert layer.forward_layer.go_backwards is False and layer.backward_layer.go_backwards is True
    assert layer.layer is layer.forward_layer
    layer(_x(2, 4, 5))
    assert [w.path for w in layer.weights] == [
        "forward_rnn/kernel", "forward_rnn/recurrent_kernel",
        "backward_rnn/kernel", "backward_rnn/recurrent_kernel"]
    assert not original.built and layer.count_params() == 2 * (5 * 3 + 3 * 3)
    # forward and backward weights are drawn independently
    assert not np.allclose(layer.get_weights()[0], layer.get_weights()[2])


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_merges_the_two_directions(merge_mode, return_sequences):
    layer = Bidirectional(ToyRNN(3, return_sequences=return_sequences), merge_mode=merge_mode)
    x = _x(2, 4, 5)
    out = layer(x)
    forward, backward = _directions(layer, x)
    expected = {"concat": lambda: torch.cat([forward, backward], -1), "sum": lambda: forward + backward,
                "mul": lambda: forward * backward, "ave": lambda: (forward + backward) / 2,
                None: lambda: [forward, backward]}[merge_mode]()
    if merge_mode is None:
        assert isinstance(out, tuple) and len(out) == 2
        for got, want in zip(out, expected):
            torch.testing.assert_close(got, want)
    else:
        torch.testing.assert_close(out, expected)
    time = (4,) if return_sequences else ()
    size = 6 if merge_mode == "concat" else 3
    shape = layer.compute_output_shape((None, 4, 5))
    if merge_mode is None:
        assert shape == ((None,) + time + (3,),) * 2
        assert tuple(t.shape for t in Bidirectional(ToyRNN(3, return_sequences=return_sequences),
                                                    merge_mode=None)(Input((4, 5)))) == shape
    else:
        assert shape == (None,) + time + (size,)
        assert tuple(out.shape) == (2,) + time + (size,)
        assert Bidirectional(ToyRNN(3, return_sequences=return_sequences),
                             merge_mode=merge_mode)(Input((4, 5))).shape == shape


def test_bidirectional_backward_sequence_is_put_back_in_time_order():
    layer = Bidirectional(ToyRNN(2, return_sequences=True), merge_mode=None)
    x = _x(1, 5, 3)
    forward, backward = layer(x)
    # the backward direction's output at step 0 has read the whole sequence: it is the last
    # state the backward layer reaches, and its output at the last step has read one step only
    alone = layer.backward_layer(x)
    torch.testing.assert_close(backward[:, 0], alone[:, -1])
    torch.testing.assert_close(backward[:, -1], alone[:, 0])
    torch.testing.assert_close(forward, layer.forward_layer(x))


@pytest.mark.parametrize("merge_mode", ["concat", None])
def test_bidirectional_return_state(merge_mode):
    layer = Bidirectional(ToyRNN(3, return_sequences=True, return_state=True), merge_mode=merge_mode)
    x = _x(2, 4, 5)
    out = layer(x)
    assert isinstance(out, tuple)
    forward_h = layer.forward_layer(x)[1]
    backward_h = layer.backward_layer(x)[1]
    torch.testing.assert_close(out[-2], forward_h)
    torch.testing.assert_close(out[-1], backward_h)
    assert len(out) == (3 if merge_mode == "concat" else 4)
    expected = ((None, 4, 6), (None, 3), (None, 3)) if merge_mode == "concat" else \
        ((None, 4, 3), (None, 4, 3), (None, 3), (None, 3))
    assert layer.compute_output_shape((None, 4, 5)) == expected
    symbolic = Bidirectional(ToyRNN(3, return_sequences=True, return_state=True),
                             merge_mode=merge_mode)(Input((4, 5)))
    assert tuple(t.shape for t in symbolic) == expected


def test_bidirectional_initial_state_is_split_half_and_half():
    layer = Bidirectional(ToyRNN(3, return_state=True))
    x = _x(2, 4, 5)
    layer(x)
    h_forward, h_backward = torch.tensor(_x(2, 3, seed=1)), torch.tensor(_x(2, 3, seed=2))
    out = layer(x, initial_state=[h_forward, h_backward])
    torch.testing.assert_close(out[1], layer.forward_layer(x, initial_state=[h_forward])[1])
    torch.testing.assert_close(out[2], layer.backward_layer(x, initial_state=[h_backward])[1])
    assert not torch.allclose(out[1], layer(x)[1])
    with pytest.raises(ValueError, match=(
            "Bidirectional 'bidirectional' got 3 initial states; it needs an even number: the forward "
            "layer's states followed by the backward layer's")):
        layer(x, initial_state=[h_forward, h_backward, h_forward])


def test_bidirectional_masks_reach_both_directions_and_the_output():
    layer = Bidirectional(ToyRNN(3, return_sequences=True), merge_mode=None)
    assert layer.forward_layer.zero_output_for_mask and layer.backward_layer.zero_output_for_mask
    x = torch.tensor(_x(2, 5, 4))
    mask = torch.tensor([[True, True, True, False, False], [True, True, False, False, False]])
    x._keras_mask = mask
    forward, backward = layer(x)
    expected_forward, expected_backward = _directions(layer, x, mask=mask)
    torch.testing.assert_close(forward, expected_forward)
    torch.testing.assert_close(backward, expected_backward)
    assert (forward[~mask] == 0).all() and (backward[~mask] == 0).all()
    assert forward._keras_mask is mask and backward._keras_mask is mask
    # padding does not change what the valid steps see
    trimmed = layer(x[:1, :3])
    torch.testing.assert_close(forward[:1, :3], trimmed[0])
    torch.testing.assert_close(backward[:1, :3], trimmed[1])
    # a last-output layer gives no mask downstream
    last = Bidirectional(ToyRNN(3))(x)
    assert getattr(last, "_keras_mask", None) is None
    assert not Bidirectional(ToyRNN(3, return_sequences=False)).forward_layer.zero_output_for_mask


def test_bidirectional_with_a_given_backward_layer():
    backward = ToyRNN(2, go_backwards=True, name="back")
    layer = Bidirectional(ToyRNN(3, name="fwd"), backward_layer=backward)
    assert layer.backward_layer is backward and layer.forward_layer.name == "forward_fwd"
    out = layer(_x(2, 4, 5))
    assert tuple(out.shape) == (2, 5)
    config = layer.get_config()
    assert config["backward_layer"]["config"]["name"] == "back"
    assert config["layer"]["config"]["name"] == "forward_fwd"


def test_bidirectional_config_round_trip():
    layer = Bidirectional(ToyRNN(3, return_sequences=True), merge_mode="sum", name="bi")
    x = _x(2, 4, 5)
    layer(x)
    config = layer.get_config()
    assert config["merge_mode"] == "sum" and config["name"] == "bi"
    assert config["layer"]["class_name"] == "ToyRNN" and config["layer"]["config"]["name"] == "forward_toy_rnn"
    assert config["backward_layer"]["config"]["go_backwards"] is True
    with keras.saving.CustomObjectScope({"ToyRNN": ToyRNN}):
        clone = Bidirectional.from_config(config)
    assert clone.get_config() == config
    clone(x)
    clone.set_weights(layer.get_weights())
    torch.testing.assert_close(clone(x), layer(x))


def test_bidirectional_weights_argument_gradients_and_frozen():
    source = Bidirectional(ToyRNN(2))
    x = _x(2, 3, 4)
    source(x)
    layer = Bidirectional(ToyRNN(2), weights=source.get_weights())
    torch.testing.assert_close(layer(x), source(x))
    inputs = torch.tensor(x, requires_grad=True)
    layer(inputs).pow(2).sum().backward()
    assert inputs.grad.abs().sum() > 0
    assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in layer.trainable_weights)
    frozen = Bidirectional(ToyRNN(2), trainable=False)
    inputs = torch.tensor(x, requires_grad=True)
    frozen(inputs).sum().backward()
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 4
    assert all(w.grad is None for w in frozen.weights) and inputs.grad is not None


def test_bidirectional_passes_training_to_both_directions():
    seen = []

    class Recording(ToyRNN):
        def call(self, inputs, initial_state=None, mask=None, training=None):
            seen.append(training)
            return super().call(inputs, initial_state, mask, training)

    layer = Bidirectional(Recording(2))
    layer(_x(2, 3, 4), training=True)
    layer(_x(2, 3, 4))
    assert seen == [True, True, None, None]


def test_bidirectional_errors():
    with pytest.raises(ValueError, match=(
            "Bidirectional 'bidirectional' needs an RNN layer \\(SimpleRNN, LSTM, GRU or RNN\\) as "
            "`layer`, got Dense 'dense'. Wrap a recurrent layer, e.g. Bidirectional\\(LSTM\\(64\\)\\); "
            "to apply a layer to every time step use TimeDistributed.")):
        Bidirectional(Dense(3))
    with pytest.raises(ValueError, match="needs an RNN layer .* as `layer`, got 'lstm' \\(of type str\\)"):
        Bidirectional("lstm")
    with pytest.raises(ValueError, match="as `backward_layer`, got Dense 'dense_1'"):
        Bidirectional(ToyRNN(2), backward_layer=Dense(2))
    with pytest.raises(ValueError, match=(
            "got merge_mode='max'; expected one of 'concat', 'sum', 'mul', 'ave' or None")):
        Bidirectional(ToyRNN(2), merge_mode="max")
    with pytest.raises(ValueError, match=(
            "the forward layer ToyRNN 'forward_a' and the backward layer ToyRNN 'b' both have "
            "go_backwards=False. Give backward_layer the opposite value")):
        Bidirectional(ToyRNN(2, name="a"), backward_layer=ToyRNN(2, name="b"))
    with pytest.raises(ValueError, match=(
            "the forward layer has return_sequences=False but backward_layer ToyRNN 'c' has "
            "return_sequences=True. Both directions need the same return_sequences")):
        Bidirectional(ToyRNN(2), backward_layer=ToyRNN(2, go_backwards=True, return_sequences=True,
                                                        name="c"))
    with pytest.raises(AttributeError, match="is not stateful, so it has no state to reset"):
        Bidirectional(ToyRNN(2)).reset_state()


def test_bidirectional_refuses_non_sequences_in_its_own_name():
    # The course's slides run LSTM(4) (no return_sequences) into Bidirectional(LSTM(64)).
    expected = (r"^Bidirectional 'bidirectional' expects inputs of rank 3, got rank 2 \(shape \(2, 4\)\)\. "
                r"Recurrent layers expect \(batch, timesteps, features\)")
    model = keras.Sequential([LSTM(4), Bidirectional(LSTM(64), name="bidirectional")])
    with pytest.raises(ValueError, match=expected):
        model(np.random.rand(2, 5, 3).astype("float32"))
    with pytest.raises(ValueError, match=expected):  # called on its own, unbuilt
        Bidirectional(LSTM(64), name="bidirectional")(np.random.rand(2, 4).astype("float32"))
    assert LSTM(4).check_sequences_shape((None, 5, 3)) == (None, 5, 3)
    with pytest.raises(ValueError, match=r"^Bidirectional 'b' expects inputs of rank 3, got rank 2"):
        LSTM(4).check_sequences_shape((None, 3), where="Bidirectional 'b'")


# ---------------------------------------------------------------- Bidirectional with the library's RNNs


@pytest.mark.parametrize("rnn,weights_per_direction", [(LSTM, 4 * 3 * (5 + 3 + 1)),
                                                      (GRU, 3 * 3 * (5 + 3 + 2)),
                                                      (SimpleRNN, 3 * (5 + 3 + 1))])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_recurrent_shapes_params_and_gradients(rnn, weights_per_direction, return_sequences):
    layer = Bidirectional(rnn(3, return_sequences=return_sequences))
    x = torch.tensor(_x(2, 4, 5), requires_grad=True)
    out = layer(x)
    time = (4,) if return_sequences else ()
    assert tuple(out.shape) == (2,) + time + (6,)
    assert layer.compute_output_shape((None, 4, 5)) == (None,) + time + (6,)
    assert Bidirectional(rnn(3, return_sequences=return_sequences))(Input((None, 5))).shape == \
        (None,) + ((None,) if return_sequences else ()) + (6,)
    assert layer.count_params() == 2 * weights_per_direction
    out.pow(2).sum().backward()
    assert x.grad.abs().sum() > 0
    assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in layer.trainable_weights)
    forward, backward = _directions(layer, x.detach())
    torch.testing.assert_close(out, torch.cat([forward, backward], -1))


def test_course_imdb_models_have_the_course_parameter_counts():
    def model(*middle):
        return keras.Sequential([Input((None,), dtype="int32"), Embedding(10000, 32), *middle,
                                 Dense(64, activation="relu"), Dense(1, activation="sigmoid")])

    assert model(LSTM(64)).count_params() == 349_057
    assert model(Bidirectional(LSTM(64))).count_params() == 377_985
    stacked = model(Bidirectional(LSTM(64, return_sequences=True)), Bidirectional(LSTM(64)))
    assert stacked.count_params() == 476_801
    assert stacked.layers[1].output.shape == (None, None, 128)
    # the same stack with a Bidirectional(LSTM(32)) second layer, as Keras counts it
    assert model(Bidirectional(LSTM(64, return_sequences=True)),
                 Bidirectional(LSTM(32))).count_params() == 415_105


def test_bidirectional_learns_from_zero_padded_sequences():
    rng = np.random.default_rng(0)
    ids = rng.integers(2, 8, size=(128, 6))
    lengths = rng.integers(1, 7, size=128)
    for row, length in enumerate(lengths):
        ids[row, length:] = 0  # padding
    labels = (ids == 2).any(axis=1).astype("float32")  # does token 2 occur?
    model = keras.Sequential([Input((None,), dtype="int32"), Embedding(8, 8, mask_zero=True),
                              Bidirectional(LSTM(8)), Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.03), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(ids, labels, epochs=10, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9


def test_bidirectional_stateful_keeps_and_resets_state():
    layer = Bidirectional(LSTM(2, stateful=True))
    assert layer.stateful
    x = _x(3, 4, 5)
    first = layer(x)
    assert len(layer.states) == 4
    assert not torch.allclose(layer(x), first)  # the second batch starts from the first one's states
    layer.reset_states()
    torch.testing.assert_close(layer(x), first)


def test_bidirectional_recurrent_config_round_trip_in_a_model():
    model = keras.Sequential([Input((4, 5)), Bidirectional(GRU(3, return_sequences=True), merge_mode="mul"),
                              Bidirectional(LSTM(2, dropout=0.1), name="top")])
    config = model.get_config()
    top = config["layers"][2]["config"]
    assert top["layer"]["class_name"] == "LSTM" and top["layer"]["config"]["name"] == "forward_lstm"
    assert top["backward_layer"]["config"]["name"] == "backward_lstm"
    assert top["backward_layer"]["config"]["go_backwards"] is True
    restored = keras.Sequential.from_config(config)
    restored.set_weights(model.get_weights())
    x = _x(2, 4, 5)
    torch.testing.assert_close(restored(x), model(x))
    assert restored.get_config() == config


def test_bidirectional_takes_the_keras2_input_shape_of_the_wrapped_layer():
    model = keras.Sequential([Bidirectional(LSTM(4, input_shape=(6, 3))), Dense(1)])
    assert model.input_shape == (None, 6, 3) and model.output_shape == (None, 1)
    model = keras.Sequential([Bidirectional(LSTM(4), input_shape=(6, 3)), Dense(1)])
    assert model.input_shape == (None, 6, 3)
