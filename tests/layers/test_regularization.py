"""Regularization layers: Dropout, SpatialDropout1D, SpatialDropout2D, GaussianNoise."""

import copy
import json
import pickle

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.layers.core import Dense
from layerwise.layers.regularization import (
    Dropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D,
)
from layerwise.saving import serialization


def _np(tensor):
    return tensor.detach().cpu().numpy()


def _ones(*shape):
    return np.ones(shape, dtype="float32")


ALL_LAYERS = [
    lambda **kw: Dropout(0.4, **kw),
    lambda **kw: Dropout(0.4, noise_shape=(None, 1, None), **kw),
    lambda **kw: SpatialDropout1D(0.4, **kw),
    lambda **kw: SpatialDropout2D(0.4, **kw),
    lambda **kw: SpatialDropout2D(0.4, data_format="channels_first", **kw),
    lambda **kw: GaussianNoise(0.3, **kw),
]


def _input_for(layer):
    if isinstance(layer, SpatialDropout2D):
        return _ones(8, 6, 5, 4)
    return _ones(8, 6, 5)


# ---------------------------------------------------------------- inference


@pytest.mark.parametrize("make", ALL_LAYERS)
@pytest.mark.parametrize("seed", [None, 3])
def test_identity_at_inference(make, seed):
    layer = make(seed=seed)
    x = torch.tensor(np.random.default_rng(0).normal(size=_input_for(layer).shape).astype("float32"))
    assert layer(x) is x
    assert layer(x, training=False) is x
    assert layer.compute_output_shape((None,) + tuple(x.shape[1:])) == (None,) + tuple(x.shape[1:])


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_training_changes_values_and_keeps_shape(make):
    layer = make()
    x = _input_for(layer)
    out = layer(x, training=True)
    assert tuple(out.shape) == x.shape
    assert not np.allclose(_np(out), x)


def test_training_flag_follows_the_model_call():
    inputs = keras.Input(shape=(200,))
    model = keras.Model(inputs, Dropout(0.5)(Dense(200, kernel_initializer="ones")(inputs)))
    x = _ones(4, 200)
    assert (model(x) != 0).all()
    assert (model(x, training=True) == 0).any()


# ---------------------------------------------------------------- statistics


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("seed", [None, 7])
def test_dropout_fraction_and_inverted_scaling(rate, seed):
    out = _np(Dropout(rate, seed=seed)(_ones(400, 250), training=True))
    assert abs((out == 0).mean() - rate) < 0.01
    np.testing.assert_allclose(np.unique(out[out != 0]), [1 / (1 - rate)], rtol=1e-6)
    assert abs(out.mean() - 1.0) < 0.03  # the expected value is kept


def test_dropout_rate_zero_and_one():
    x = _ones(3, 4)
    np.testing.assert_array_equal(_np(Dropout(0.0)(x, training=True)), x)
    np.testing.assert_array_equal(_np(Dropout(1.0)(x, training=True)), np.zeros((3, 4)))
    np.testing.assert_array_equal(_np(Dropout(1.0, seed=1)(x, training=True)), np.zeros((3, 4)))


@pytest.mark.parametrize("seed", [None, 2])
def test_dropout_noise_shape_broadcasts_the_mask(seed):
    out = _np(Dropout(0.5, noise_shape=(None, 1, None), seed=seed)(_ones(64, 10, 32), training=True))
    # The same features are dropped at every timestep.
    assert (out == out[:, :1, :]).all()
    assert 0.4 < (out[:, 0, :] == 0).mean() < 0.6
    out = _np(Dropout(0.5, noise_shape=(64, 1, 1), seed=seed)(_ones(64, 10, 32), training=True))
    assert (out == out[:, :1, :1]).all()


def test_dropout_noise_shape_mismatch_is_explained():
    with pytest.raises(ValueError, match=r"noise_shape=\(None, 2\) does not broadcast to the input "
                                         r"shape \(4, 3\)"):
        Dropout(0.5, noise_shape=(None, 2))(_ones(4, 3), training=True)
    with pytest.raises(ValueError, match="one entry per input axis"):
        Dropout(0.5, noise_shape=(None, 1))(_ones(4, 3, 2), training=True)


@pytest.mark.parametrize("seed", [None, 5])
def test_spatial_dropout_1d_drops_whole_channels(seed):
    out = _np(SpatialDropout1D(0.5, seed=seed)(_ones(64, 12, 16), training=True))
    assert (out == out[:, :1, :]).all()  # a channel is dropped or kept at every step
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert 0.4 < (out[:, 0, :] == 0).mean() < 0.6


@pytest.mark.parametrize("seed", [None, 5])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_spatial_dropout_2d_drops_whole_feature_maps(seed, data_format):
    layer = SpatialDropout2D(0.25, data_format=data_format, seed=seed)
    if data_format == "channels_last":
        out = _np(layer(_ones(64, 5, 6, 16), training=True))
        assert (out == out[:, :1, :1, :]).all()
        dropped = out[:, 0, 0, :] == 0
    else:
        out = _np(layer(_ones(64, 16, 5, 6), training=True))
        assert (out == out[:, :, :1, :1]).all()
        dropped = out[:, :, 0, 0] == 0
    np.testing.assert_allclose(np.unique(out[out != 0]), [1 / 0.75], rtol=1e-6)
    assert 0.17 < dropped.mean() < 0.33


def test_spatial_dropout_output_layout_is_contiguous():
    out = SpatialDropout2D(0.5)(_ones(4, 5, 6, 3), training=True)
    assert out.is_contiguous()
    out = SpatialDropout1D(0.5)(_ones(4, 5, 3), training=True)
    assert out.is_contiguous()


def test_spatial_dropout_rank_errors():
    with pytest.raises(ValueError, match=r"rank 3, got rank 2.*\(batch, steps, channels\)"):
        SpatialDropout1D(0.5)(_ones(4, 3))
    with pytest.raises(ValueError, match=r"rank 4, got rank 3.*\(batch, rows, cols, channels\)"):
        SpatialDropout2D(0.5)(_ones(4, 3, 2))


@pytest.mark.parametrize("seed", [None, 11])
def test_gaussian_noise_statistics(seed):
    x = np.full((300, 300), 5.0, dtype="float32")
    noise = _np(GaussianNoise(0.2, seed=seed)(x, training=True)) - x
    assert abs(noise.mean()) < 0.005
    assert abs(noise.std() - 0.2) < 0.005
    np.testing.assert_array_equal(_np(GaussianNoise(0.0)(x, training=True)), x)


def test_gaussian_noise_computes_in_its_dtype_and_promotes_integers():
    out = GaussianNoise(0.1)(torch.ones(2, 3, dtype=torch.float64), training=True)
    assert out.dtype == torch.float32  # as Keras: a layer casts float inputs to its compute dtype
    out = GaussianNoise(0.1)(np.ones((2, 3), dtype="int64"), training=True)
    assert out.dtype == torch.float32


# ---------------------------------------------------------------- randomness


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_seeded_layers_repeat_their_sequence(make):
    first, second = make(seed=42), make(seed=42)
    x = _input_for(first)
    a1, a2 = first(x, training=True), first(x, training=True)
    b1, b2 = second(x, training=True), second(x, training=True)
    torch.testing.assert_close(a1, b1)
    torch.testing.assert_close(a2, b2)
    assert not torch.equal(a1, a2)  # the generator moves on between calls
    other = make(seed=43)(x, training=True)
    assert not torch.equal(a1, other)


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_seeded_layers_ignore_the_global_generator(make):
    layer_a, layer_b = make(seed=1), make(seed=1)
    x = _input_for(layer_a)
    keras.utils.set_random_seed(100)
    a = layer_a(x, training=True)
    keras.utils.set_random_seed(200)
    b = layer_b(x, training=True)
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_unseeded_layers_follow_set_random_seed(make):
    layer = make()
    x = _input_for(layer)
    keras.utils.set_random_seed(9)
    a = layer(x, training=True)
    keras.utils.set_random_seed(9)
    b = layer(x, training=True)
    torch.testing.assert_close(a, b)
    c = layer(x, training=True)
    assert not torch.equal(b, c)


def test_seeded_layer_survives_copy_and_pickle():
    layer = Dropout(0.5, seed=3)
    x = _ones(10, 10)
    layer(x, training=True)
    twin = copy.deepcopy(layer)
    torch.testing.assert_close(layer(x, training=True), twin(x, training=True))
    restored = pickle.loads(pickle.dumps(layer))
    torch.testing.assert_close(layer(x, training=True), restored(x, training=True))


# ---------------------------------------------------------------- gradients, masks, configs


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_gradient_flows_through_kept_units(make):
    layer = make(seed=0)
    x = torch.tensor(_input_for(layer), requires_grad=True)
    layer(x, training=True).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    if isinstance(layer, Dropout):
        # Dropped units get no gradient; kept ones get 1 / (1 - rate).
        grad = _np(x.grad)
        np.testing.assert_allclose(np.unique(grad[grad != 0]), [1 / 0.6], rtol=1e-6)


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_masks_pass_through(make):
    layer = make()
    x = torch.tensor(_input_for(layer))
    x._keras_mask = torch.ones(x.shape[:2], dtype=torch.bool)
    assert layer(x, training=True)._keras_mask is x._keras_mask
    assert layer.count_params() == 0


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_config_round_trip_and_registry(make):
    layer = make(seed=4)
    config = layer.get_config()
    clone = type(layer).from_config(json.loads(json.dumps(config)))
    assert clone.get_config() == config
    serialized = json.loads(json.dumps(serialization.serialize_keras_object(layer)))
    assert serialized["module"] == "keras.layers" and serialized["class_name"] == type(layer).__name__
    restored = serialization.deserialize_keras_object(serialized, "layers")
    assert type(restored) is type(layer) and restored.get_config() == config
    x = _input_for(layer)
    torch.testing.assert_close(layer(x, training=True), restored(x, training=True))


def test_spatial_dropout_config_has_exactly_keras_keys():
    assert set(SpatialDropout1D(0.2).get_config()) == {"rate", "seed", "name", "dtype"}
    assert set(SpatialDropout2D(0.2).get_config()) == {"rate", "seed", "name", "dtype", "data_format"}
    assert SpatialDropout2D(0.2).get_config()["data_format"] == "channels_last"
    assert SpatialDropout2D(0.2).get_config()["dtype"] == "float32"


def test_dropout_config_noise_shape_round_trips_as_tuple():
    layer = Dropout(0.2, noise_shape=[None, 1, 5], seed=1)
    assert layer.noise_shape == (None, 1, 5)
    clone = Dropout.from_config(json.loads(json.dumps(layer.get_config())))
    assert clone.noise_shape == (None, 1, 5) and clone.seed == 1 and clone.rate == 0.2


@pytest.mark.parametrize("rate", [-0.1, 1.5, "0.5", None])
def test_invalid_rate_is_refused(rate):
    with pytest.raises(ValueError, match="between 0 and 1"):
        Dropout(rate)
    with pytest.raises(ValueError, match="between 0 and 1"):
        SpatialDropout2D(rate)


@pytest.mark.parametrize("noise_shape, message", [
    ("abc", "tuple or list"), (5, "iterable"), ((None, 1.5), "integers or None"),
    ((None, 0), "positive"),
])
def test_invalid_noise_shape_is_refused(noise_shape, message):
    with pytest.raises(ValueError, match=message):
        Dropout(0.5, noise_shape=noise_shape)


def test_invalid_stddev_and_seed_are_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        GaussianNoise(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        GaussianNoise(-0.1)
    with pytest.raises(TypeError, match="seed"):
        Dropout(0.5, seed="abc")
    with pytest.raises(ValueError, match="data_format"):
        SpatialDropout2D(0.5, data_format="NHWC")
