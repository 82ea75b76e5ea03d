"""Dense, Activation, Identity, Lambda and InputLayer."""

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise import layers


def _x(*shape):
    return np.random.default_rng(0).normal(size=shape).astype("float32")


def _round_trip(layer, x):
    """Rebuild ``layer`` from its config, copy its weights, and compare outputs."""
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    clone(x)
    clone.set_weights(layer.get_weights())
    torch.testing.assert_close(clone(x), layer(x))


def _grads_reach_every_weight(layer, x):
    x = torch.tensor(x, requires_grad=True)
    layer(x).pow(2).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    for weight in layer.trainable_weights:
        assert weight.grad is not None and weight.grad.abs().sum() > 0, weight.path


# ---------------------------------------------------------------- Dense


@pytest.mark.parametrize("shape", [(4, 3), (2, 5, 3)])
def test_dense_shapes_and_params(shape):
    layer = layers.Dense(7, activation="relu")
    out = layer(_x(*shape))
    assert tuple(out.shape) == shape[:-1] + (7,)
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + shape[1:-1] + (7,)
    assert layer.count_params() == 3 * 7 + 7
    symbolic = layers.Dense(7)(keras.Input(shape[1:]))
    assert symbolic.shape == (None,) + shape[1:-1] + (7,)


def test_dense_math_and_defaults():
    layer = layers.Dense(2, use_bias=False)
    layer.build((None, 3))
    assert len(layer.weights) == 1 and layer.bias is None
    kernel = _x(3, 2)
    layer.set_weights([kernel])
    x = _x(4, 3)
    np.testing.assert_allclose(layer(x).detach().numpy(), x @ kernel, rtol=1e-6)
    fresh = layers.Dense(5)
    fresh.build((None, 100))
    limit = np.sqrt(6 / (100 + 5))  # glorot_uniform kernel, zeros bias
    assert np.abs(fresh.get_weights()[0]).max() <= limit
    np.testing.assert_array_equal(fresh.get_weights()[1], 0)


def test_dense_config_round_trip_and_gradients():
    layer = layers.Dense(3, activation="tanh", kernel_initializer="he_normal",
                         kernel_regularizer="l2", bias_constraint="non_neg")
    layer(_x(2, 4))
    _round_trip(layer, _x(2, 4))
    _grads_reach_every_weight(layers.Dense(3, activation="tanh"), _x(2, 4))


def test_dense_frozen_gets_no_gradient():
    layer = layers.Dense(3, trainable=False)
    x = torch.tensor(_x(2, 4), requires_grad=True)
    layer(x).sum().backward()
    assert layer.kernel.grad is None and layer.bias.grad is None and x.grad is not None
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2


@pytest.mark.parametrize("units", [0, -3, 2.5, "10"])
def test_dense_bad_units(units):
    with pytest.raises(ValueError, match=f"Dense units must be a positive integer, got {units!r}"):
        layers.Dense(units)


def test_dense_unknown_activation_lists_known_names():
    with pytest.raises(ValueError, match="Unknown activation 'rellu'. Known activations: .*relu"):
        layers.Dense(3, activation="rellu")


def test_dense_unknown_initializer():
    with pytest.raises(ValueError, match="Unknown initializer 'glorot'"):
        layers.Dense(3, kernel_initializer="glorot")


def test_dense_legacy_weights_argument():
    kernel, bias = _x(3, 2), _x(2)
    layer = layers.Dense(2, weights=[kernel, bias])
    layer(_x(1, 3))
    np.testing.assert_array_equal(layer.get_weights()[0], kernel)


# ---------------------------------------------------------------- Activation / Identity


@pytest.mark.parametrize("activation", ["relu", "softmax", "sigmoid", keras.activations.tanh])
def test_activation_layer(activation):
    layer = layers.Activation(activation)
    x = _x(3, 4)
    fn = keras.activations.get(activation)
    torch.testing.assert_close(layer(x), fn(torch.as_tensor(x)))
    assert layer.compute_output_shape((None, 4)) == (None, 4)
    assert layer.count_params() == 0
    _round_trip(layer, x)


def test_identity_layer():
    x = _x(2, 3)
    layer = layers.Identity()
    torch.testing.assert_close(layer(x), torch.as_tensor(x))
    assert layers.Identity()(keras.Input((3, 2))).shape == (None, 3, 2)
    _round_trip(layer, x)


# ---------------------------------------------------------------- Lambda


def test_lambda_infers_output_shape_by_running():
    out = layers.Lambda(lambda t: t[:, :2] * 2)(keras.Input((5,)))
    assert out.shape == (None, 2)
    seq = layers.Lambda(lambda t: t.sum(dim=1))(keras.Input((None, 4)))
    assert seq.shape == (None, 4)


def test_lambda_output_shape_and_arguments():
    layer = layers.Lambda(lambda t, factor: t * factor, output_shape=(3,), arguments={"factor": 3.0})
    assert layer(keras.Input((3,))).shape == (None, 3)
    torch.testing.assert_close(layer(np.ones((1, 3))), torch.full((1, 3), 3.0))
    shaped = layers.Lambda(lambda t: t, output_shape=lambda s: s[:-1] + (9,))
    assert shaped.compute_output_shape((None, 2)) == (None, 9)


def test_lambda_config_keeps_bytecode_and_loading_it_needs_unsafe_mode():
    layer = layers.Lambda(lambda t: t + 1, name="plus_one")
    config = layer.get_config()
    assert config["function"]["class_name"] == "__lambda__"
    with pytest.raises(ValueError, match="Refused to load a Lambda layer whose function is Python bytecode"):
        layers.Lambda.from_config(config)


def test_lambda_with_a_registered_function_round_trips():
    layer = layers.Lambda(keras.activations.relu)
    assert layer.get_config()["function"] == "relu"
    _round_trip(layer, _x(2, 3))


def test_lambda_requires_callable():
    with pytest.raises(TypeError, match="Lambda expects a callable function, got 3"):
        layers.Lambda(3)


# ---------------------------------------------------------------- InputLayer


def test_input_layer_and_input():
    layer = layers.InputLayer(shape=(3,), name="features")
    assert layer.output.shape == (None, 3)
    assert layer.get_config() == {"batch_shape": (None, 3), "dtype": "float32", "sparse": False,
                                  "ragged": False, "name": "features", "optional": False}
    assert layers.InputLayer.from_config(layer.get_config()).batch_shape == (None, 3)
    assert keras.Input(batch_shape=(8, 2), dtype="int32").dtype == "int32"
    assert keras.Input(89).shape == (None, 89)  # Keras 2's int shape, still used by courses


def test_input_errors():
    with pytest.raises(ValueError, match=r"Input needs the shape of one sample, e.g. Input\(shape=\(89,\)\)"):
        keras.Input()
    with pytest.raises(ValueError, match="either shape or batch_shape, not both"):
        keras.Input(shape=(3,), batch_shape=(None, 3))
