"""Core layers against real Keras 3: same weights in, same outputs and configs out."""

import keras
import numpy as np
import pytest
import torch

import layerwise


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _numpy(value):
    return keras.ops.convert_to_numpy(value) if not isinstance(value, torch.Tensor) else value.detach().cpu().numpy()


def _compare(ours, theirs, x, training=False):
    theirs_out = theirs(x, training=training) if _takes_training(theirs) else theirs(x)
    theirs_out = _numpy(theirs_out)
    ours.build(x.shape) if not ours.built else None
    ours.set_weights(theirs.get_weights())
    ours_out = _numpy(ours(x, training=training))
    np.testing.assert_allclose(ours_out, theirs_out, rtol=1e-5, atol=1e-5)
    assert ours.count_params() == theirs.count_params()
    assert ours.compute_output_shape((None,) + x.shape[1:]) == tuple(
        theirs.compute_output_shape((None,) + x.shape[1:])
    )


def _takes_training(layer):
    import inspect

    return "training" in inspect.signature(layer.call).parameters


DENSE_CONFIGS = [
    {"units": 4},
    {"units": 3, "activation": "relu"},
    {"units": 5, "activation": "softmax", "use_bias": False},
    {"units": 2, "activation": "tanh", "kernel_initializer": "he_normal", "bias_initializer": "ones"},
    {"units": 6, "activation": "sigmoid", "kernel_regularizer": "l2", "bias_constraint": "non_neg"},
]


@pytest.mark.parametrize("config", DENSE_CONFIGS)
@pytest.mark.parametrize("shape", [(8, 3), (2, 4, 3)])
@pytest.mark.parametrize("training", [False, True])
def test_dense_matches_keras(config, shape, training):
    theirs = keras.layers.Dense(**config)
    theirs.build(shape)
    ours = layerwise.layers.Dense(**config)
    ours.build(shape)
    _compare(ours, theirs, _x(*shape), training)


@pytest.mark.parametrize("config", DENSE_CONFIGS)
def test_dense_config_keys_and_values_match_keras(config):
    theirs = keras.layers.Dense(**config, name="d").get_config()
    ours = layerwise.layers.Dense(**config, name="d").get_config()
    assert set(ours) == set(theirs)
    for key in ("units", "activation", "use_bias", "name", "trainable", "kernel_initializer",
                "bias_initializer", "kernel_regularizer", "bias_regularizer", "kernel_constraint",
                "bias_constraint", "dtype"):
        assert ours[key] == theirs[key], key


def test_dense_accepts_keras_config():
    theirs = keras.layers.Dense(3, activation="relu", kernel_regularizer=keras.regularizers.L2(0.3))
    ours = layerwise.layers.Dense.from_config(theirs.get_config())
    assert ours.get_config()["kernel_regularizer"] == theirs.get_config()["kernel_regularizer"]


def test_dense_regularization_loss_matches_keras():
    theirs = keras.layers.Dense(3, kernel_regularizer=keras.regularizers.L1L2(0.1, 0.2),
                                bias_regularizer=keras.regularizers.L2(0.5),
                                activity_regularizer=keras.regularizers.L1(0.05))
    ours = layerwise.layers.Dense(3, kernel_regularizer=layerwise.regularizers.L1L2(0.1, 0.2),
                                  bias_regularizer=layerwise.regularizers.L2(0.5),
                                  activity_regularizer=layerwise.regularizers.L1(0.05))
    x = _x(4, 2)
    theirs.build(x.shape)
    ours.build(x.shape)
    theirs.set_weights([_x(2, 3, seed=1), _x(3, seed=2)])
    ours.set_weights(theirs.get_weights())
    theirs(x)
    ours(x)
    expected = sorted(float(_numpy(v)) for v in theirs.losses)
    got = sorted(float(v.detach()) for v in ours.losses)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "softmax", "linear", "elu", "selu",
                                        "softplus", "softsign", "swish", "gelu", "relu6",
                                        "exponential", "hard_sigmoid", "mish", "log_softmax",
                                        "leaky_relu", "silu"])
def test_activation_layer_matches_keras(activation):
    theirs = keras.layers.Activation(activation)
    ours = layerwise.layers.Activation(activation)
    x = _x(3, 5)
    np.testing.assert_allclose(_numpy(ours(x)), _numpy(theirs(x)), rtol=1e-5, atol=1e-6)
    assert ours.get_config().keys() == theirs.get_config().keys()
    assert ours.get_config()["activation"] == theirs.get_config()["activation"]


def test_identity_matches_keras():
    x = _x(2, 3)
    np.testing.assert_array_equal(_numpy(layerwise.layers.Identity()(x)), _numpy(keras.layers.Identity()(x)))
    assert layerwise.layers.Identity().get_config().keys() == keras.layers.Identity().get_config().keys()


def test_lambda_matches_keras():
    x = _x(2, 3)
    theirs = keras.layers.Lambda(lambda t: t * 2 + 1, output_shape=(3,))
    ours = layerwise.layers.Lambda(lambda t: t * 2 + 1, output_shape=(3,))
    np.testing.assert_allclose(_numpy(ours(x)), _numpy(theirs(x)))
    theirs_config, ours_config = theirs.get_config(), ours.get_config()
    assert ours_config.keys() == theirs_config.keys()
    assert ours_config["function"].keys() == theirs_config["function"].keys()
    assert ours_config["function"]["config"].keys() == theirs_config["function"]["config"].keys()


def test_input_layer_config_matches_keras():
    theirs = keras.layers.InputLayer(shape=(3, 4), name="x").get_config()
    ours = layerwise.layers.InputLayer(shape=(3, 4), name="x").get_config()
    assert ours == theirs


@pytest.mark.parametrize("trainable", [True, False])
def test_frozen_weights_split_like_keras(trainable):
    def build(lib):
        model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3), lib.layers.Dense(2)])
        model.layers[0].trainable = trainable
        return model

    theirs, ours = build(keras), build(layerwise)
    assert len(ours.trainable_weights) == len(theirs.trainable_weights)
    assert len(ours.non_trainable_weights) == len(theirs.non_trainable_weights)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]


def test_dense_promotes_integer_inputs_as_keras():
    x = np.arange(6, dtype="int64").reshape(2, 3)
    theirs = keras.layers.Dense(2)
    expected = keras.ops.convert_to_numpy(theirs(x))
    ours = layerwise.layers.Dense(2)
    ours.build((None, 3))
    ours.set_weights(theirs.get_weights())
    got = ours(x)
    assert got.dtype == torch.float32
    np.testing.assert_allclose(got.detach().numpy(), expected, rtol=1e-6)
