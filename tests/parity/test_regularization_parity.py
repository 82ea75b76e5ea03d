"""Regularization layers against real Keras 3.

Random masks cannot be compared value for value, so training mode is
compared through its statistics (fraction dropped, scale of the kept values,
whole channels dropped, noise spread); inference mode and configs are
compared exactly.
"""

import json

import keras
import numpy as np
import pytest
import torch

import layerwise
from layerwise.layers import regularization


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return keras.ops.convert_to_numpy(value)


def _pair(class_name, *args, **kwargs):
    return (getattr(regularization, class_name)(*args, **kwargs),
            getattr(keras.layers, class_name)(*args, **kwargs))


CASES = [
    ("Dropout", (0.3,), {}, (6, 5)),
    ("Dropout", (0.5,), {"noise_shape": (None, 1, 4), "seed": 3}, (6, 5, 4)),
    ("SpatialDropout1D", (0.4,), {}, (6, 5, 4)),
    ("SpatialDropout2D", (0.4,), {}, (2, 5, 4, 3)),
    ("SpatialDropout2D", (0.4,), {"data_format": "channels_first", "seed": 1}, (2, 3, 5, 4)),
    ("GaussianNoise", (0.2,), {}, (6, 5)),
    ("GaussianNoise", (0.2,), {"seed": 5}, (6, 5, 4)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", CASES)
def test_inference_is_identity_like_keras(name, args, kwargs, shape):
    ours, theirs = _pair(name, *args, **kwargs)
    x = _x(*shape)
    np.testing.assert_array_equal(_numpy(ours(x)), _numpy(theirs(x)))
    np.testing.assert_array_equal(_numpy(ours(x, training=False)), _numpy(theirs(x, training=False)))
    np.testing.assert_array_equal(_numpy(ours(x)), x)
    symbolic = (None,) + shape[1:]
    assert ours.compute_output_shape(symbolic) == tuple(theirs.compute_output_shape(symbolic))


def _drop_stats(out):
    dropped = out == 0
    return dropped.mean(), np.unique(out[~dropped])


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.75])
@pytest.mark.parametrize("seed", [None, 17])
def test_dropout_training_statistics_match_keras(rate, seed):
    x = np.ones((300, 300), dtype="float32")
    ours, theirs = _pair("Dropout", rate, seed=seed)
    ours_fraction, ours_values = _drop_stats(_numpy(ours(x, training=True)))
    theirs_fraction, theirs_values = _drop_stats(_numpy(theirs(x, training=True)))
    assert abs(ours_fraction - rate) < 0.01 and abs(theirs_fraction - rate) < 0.01
    np.testing.assert_allclose(ours_values, theirs_values, rtol=1e-6)  # both: 1 / (1 - rate)


def test_dropout_noise_shape_statistics_match_keras():
    x = np.ones((200, 10, 50), dtype="float32")
    ours, theirs = _pair("Dropout", 0.5, noise_shape=(None, 1, None))
    for out in (_numpy(ours(x, training=True)), _numpy(theirs(x, training=True))):
        assert (out == out[:, :1, :]).all()  # the same mask at every step
        assert abs((out == 0).mean() - 0.5) < 0.02
        np.testing.assert_allclose(np.unique(out[out != 0]), [2.0])


@pytest.mark.parametrize("name, kwargs, shape, channel_axis", [
    ("SpatialDropout1D", {}, (64, 7, 32), 2),
    ("SpatialDropout2D", {}, (64, 5, 6, 32), 3),
    ("SpatialDropout2D", {"data_format": "channels_first"}, (64, 32, 5, 6), 1),
])
@pytest.mark.parametrize("seed", [None, 4])
def test_spatial_dropout_training_statistics_match_keras(name, kwargs, shape, channel_axis, seed):
    x = np.ones(shape, dtype="float32")
    ours, theirs = _pair(name, 0.3, seed=seed, **kwargs)
    results = []
    for out in (_numpy(ours(x, training=True)), _numpy(theirs(x, training=True))):
        # Each (sample, channel) is all dropped or all kept.
        per_channel = np.moveaxis(out, channel_axis, 1).reshape(shape[0], shape[channel_axis], -1)
        assert (per_channel == per_channel[:, :, :1]).all()
        results.append(((per_channel[:, :, 0] == 0).mean(), np.unique(out[out != 0])))
    (ours_fraction, ours_values), (theirs_fraction, theirs_values) = results
    assert abs(ours_fraction - 0.3) < 0.05 and abs(theirs_fraction - 0.3) < 0.05
    np.testing.assert_allclose(ours_values, theirs_values, rtol=1e-6)


@pytest.mark.parametrize("seed", [None, 8])
def test_gaussian_noise_training_statistics_match_keras(seed):
    x = np.full((300, 300), 3.0, dtype="float32")
    ours, theirs = _pair("GaussianNoise", 0.25, seed=seed)
    for out in (_numpy(ours(x, training=True)), _numpy(theirs(x, training=True))):
        noise = out - x
        assert abs(noise.mean()) < 0.005
        assert abs(noise.std() - 0.25) < 0.005


def test_dropout_in_a_model_matches_keras_at_inference():
    def build(lib, dense, dropout, spatial):
        inputs = lib.Input(shape=(6, 4))
        x = spatial(0.5)(inputs)
        x = dense(8, activation="relu")(x)
        x = dropout(0.5)(x)
        return lib.Model(inputs, dense(2)(x))

    theirs = build(keras, keras.layers.Dense, keras.layers.Dropout, keras.layers.SpatialDropout1D)
    ours = build(layerwise, layerwise.layers.Dense, regularization.Dropout,
                 regularization.SpatialDropout1D)
    ours.set_weights(theirs.get_weights())
    x = _x(5, 6, 4)
    np.testing.assert_allclose(_numpy(ours(x)), _numpy(theirs(x)), rtol=1e-5, atol=1e-5)
    # training=True really drops units in both.
    assert not np.allclose(_numpy(ours(x, training=True)), _numpy(ours(x)))
    assert not np.allclose(_numpy(theirs(x, training=True)), _numpy(theirs(x)))


@pytest.mark.parametrize("make, argument", [
    (lambda lib: lib.Dropout(1.5), "rate"),
    (lambda lib: lib.Dropout(-0.1), "rate"),
    (lambda lib: lib.Dropout(0.5, noise_shape="abc"), "noise_shape"),
    (lambda lib: lib.Dropout(0.5, noise_shape=(None, 0)), "noise_shape"),
    (lambda lib: lib.SpatialDropout1D(1.2), "rate"),
    (lambda lib: lib.GaussianNoise(2.0), "stddev"),
])
def test_argument_errors_where_keras_errors(make, argument):
    with pytest.raises(ValueError, match=argument):
        make(keras.layers)
    with pytest.raises(ValueError, match=argument):
        make(regularization)


@pytest.mark.parametrize("name, args, kwargs", [
    ("Dropout", (0.3,), {}),
    ("Dropout", (0.3,), {"noise_shape": (None, 1, 5), "seed": 12}),
    ("SpatialDropout1D", (0.2,), {"seed": 3}),
    ("SpatialDropout2D", (0.2,), {}),
    ("SpatialDropout2D", (0.2,), {"data_format": "channels_first", "seed": 9}),
    ("GaussianNoise", (0.1,), {"seed": 2}),
])
def test_configs_match_keras_both_ways(name, args, kwargs):
    ours, theirs = _pair(name, *args, name="noisy", **kwargs)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert ours_config == theirs_config
    from_keras = getattr(regularization, name).from_config(json.loads(json.dumps(theirs_config)))
    assert from_keras.get_config() == ours_config
    from_ours = getattr(keras.layers, name).from_config(json.loads(json.dumps(ours_config)))
    loaded = from_ours.get_config()
    if loaded.get("noise_shape") is not None:
        loaded["noise_shape"] = tuple(loaded["noise_shape"])
    assert loaded == theirs_config
