"""Convolution layers against real Keras 3: same weights in, same outputs, gradients, shapes, configs.

Every case gives both libraries identical random weights with ``set_weights``
and compares the forward output, the gradients with respect to the inputs and
to every weight (torch autograd on both sides: Keras runs on its torch
backend), parameter counts, output shapes (eager, ``compute_output_shape`` and
symbolic) and configs. Tolerance is float32's rtol=atol=1e-5: the sums here
are short (at most a few hundred terms), and the two libraries call the same
torch kernels with the same operands up to layout.
"""

import warnings

import keras
import numpy as np
import pytest
import torch

import layerwise
from layerwise.layers import convolutional as conv
from layerwise.layers.core import Dense
from layerwise.layers.reshaping import Flatten

TOL = {"rtol": 1e-5, "atol": 1e-5}

CASES = [
    # Conv1D
    ("Conv1D", (2, 9, 4), {"filters": 3, "kernel_size": 3}),
    ("Conv1D", (2, 9, 4), {"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same"}),
    ("Conv1D", (2, 10, 4), {"filters": 3, "kernel_size": 3, "strides": 3, "padding": "same"}),
    ("Conv1D", (2, 9, 4), {"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2,
                           "groups": 2, "activation": "relu"}),
    ("Conv1D", (2, 9, 4), {"filters": 2, "kernel_size": 2, "padding": "causal", "strides": 2,
                           "use_bias": False}),
    ("Conv1D", (2, 4, 9), {"filters": 3, "kernel_size": 2, "padding": "same",
                           "data_format": "channels_first"}),
    ("Conv1D", (2, 4, 9), {"filters": 3, "kernel_size": 3, "padding": "causal", "strides": 2,
                           "data_format": "channels_first"}),
    # Conv2D
    ("Conv2D", (2, 7, 8, 3), {"filters": 4, "kernel_size": 3}),
    ("Conv2D", (2, 7, 8, 3), {"filters": 4, "kernel_size": (3, 2), "strides": (2, 3), "padding": "same"}),
    ("Conv2D", (2, 7, 8, 3), {"filters": 4, "kernel_size": 4, "padding": "same", "activation": "tanh"}),
    ("Conv2D", (2, 7, 8, 4), {"filters": 6, "kernel_size": 3, "dilation_rate": (2, 1), "groups": 2,
                              "padding": "same"}),
    ("Conv2D", (2, 7, 8, 4), {"filters": 4, "kernel_size": 2, "groups": 4, "strides": 2,
                              "use_bias": False}),
    ("Conv2D", (2, 4, 7, 8), {"filters": 5, "kernel_size": 4, "strides": 2, "padding": "same",
                              "data_format": "channels_first"}),
    ("Conv2D", (2, 3, 7, 8), {"filters": 2, "kernel_size": 3, "dilation_rate": 2,
                              "data_format": "channels_first"}),
    # Conv3D
    ("Conv3D", (2, 5, 6, 4, 3), {"filters": 4, "kernel_size": (2, 3, 2), "strides": (1, 2, 2),
                                 "padding": "same"}),
    ("Conv3D", (2, 5, 6, 4, 4), {"filters": 2, "kernel_size": 2, "groups": 2, "dilation_rate": (1, 2, 1)}),
    ("Conv3D", (2, 3, 5, 6, 4), {"filters": 2, "kernel_size": 3, "padding": "same",
                                 "data_format": "channels_first"}),
    # DepthwiseConv1D
    ("DepthwiseConv1D", (2, 9, 3), {"kernel_size": 3, "depth_multiplier": 3}),
    ("DepthwiseConv1D", (2, 9, 3), {"kernel_size": 4, "strides": 2, "padding": "same",
                                    "activation": "relu"}),
    ("DepthwiseConv1D", (2, 3, 9), {"kernel_size": 2, "dilation_rate": 3, "padding": "same",
                                    "depth_multiplier": 2, "data_format": "channels_first"}),
    # DepthwiseConv2D
    ("DepthwiseConv2D", (2, 7, 8, 3), {"kernel_size": 3, "depth_multiplier": 2, "padding": "same",
                                       "strides": 2}),
    ("DepthwiseConv2D", (2, 7, 8, 3), {"kernel_size": (2, 3), "dilation_rate": 2, "strides": 2,
                                       "padding": "same", "use_bias": False}),
    ("DepthwiseConv2D", (2, 3, 7, 8), {"kernel_size": 3, "depth_multiplier": 2,
                                       "data_format": "channels_first"}),
    # SeparableConv1D
    ("SeparableConv1D", (2, 9, 3), {"filters": 4, "kernel_size": 3}),
    ("SeparableConv1D", (2, 9, 3), {"filters": 5, "kernel_size": 4, "strides": 2, "padding": "same",
                                    "depth_multiplier": 2, "activation": "relu"}),
    ("SeparableConv1D", (2, 3, 9), {"filters": 5, "kernel_size": 3, "depth_multiplier": 2,
                                    "dilation_rate": 2, "data_format": "channels_first"}),
    # SeparableConv2D
    ("SeparableConv2D", (2, 7, 8, 3), {"filters": 5, "kernel_size": 3, "depth_multiplier": 2,
                                       "padding": "same", "strides": 2}),
    ("SeparableConv2D", (2, 7, 8, 3), {"filters": 2, "kernel_size": (2, 3), "dilation_rate": (2, 1),
                                       "use_bias": False}),
    ("SeparableConv2D", (2, 3, 7, 8), {"filters": 4, "kernel_size": 2, "padding": "same",
                                       "data_format": "channels_first"}),
    # Conv1DTranspose
    ("Conv1DTranspose", (2, 5, 3), {"filters": 4, "kernel_size": 3, "strides": 2}),
    ("Conv1DTranspose", (2, 5, 3), {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}),
    ("Conv1DTranspose", (2, 5, 3), {"filters": 4, "kernel_size": 4, "strides": 3, "padding": "same",
                                    "output_padding": 2}),
    ("Conv1DTranspose", (2, 5, 3), {"filters": 4, "kernel_size": 1, "strides": 3, "padding": "same"}),
    ("Conv1DTranspose", (2, 3, 5), {"filters": 2, "kernel_size": 3, "dilation_rate": 2,
                                    "data_format": "channels_first", "activation": "relu"}),
    # Conv2DTranspose
    ("Conv2DTranspose", (2, 4, 5, 3), {"filters": 4, "kernel_size": (3, 2), "strides": (2, 3),
                                       "padding": "same"}),
    ("Conv2DTranspose", (2, 4, 5, 3), {"filters": 4, "kernel_size": 3, "strides": 2,
                                       "output_padding": 1}),
    ("Conv2DTranspose", (2, 4, 5, 3), {"filters": 4, "kernel_size": 3, "dilation_rate": 2,
                                       "padding": "same", "use_bias": False}),
    ("Conv2DTranspose", (2, 4, 5, 3), {"filters": 2, "kernel_size": 2, "strides": 3}),
    ("Conv2DTranspose", (2, 3, 4, 5), {"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same",
                                       "data_format": "channels_first"}),
    # Conv3DTranspose
    ("Conv3DTranspose", (2, 3, 4, 2, 3), {"filters": 2, "kernel_size": (2, 3, 3), "strides": (2, 1, 2),
                                          "padding": "same"}),
    ("Conv3DTranspose", (2, 3, 4, 2, 3), {"filters": 2, "kernel_size": 3, "strides": 2,
                                          "output_padding": (1, 0, 1)}),
    ("Conv3DTranspose", (2, 3, 3, 4, 2), {"filters": 2, "kernel_size": 2, "padding": "same",
                                          "data_format": "channels_first"}),
]

IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


def _k(tensor):
    return keras.ops.convert_to_numpy(tensor)


def _assert_same_config(ours, theirs, where="config"):
    """Equal keys and values; floats to float32 precision (Keras keeps regularizer factors as float32)."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys(), where
        for key in theirs:
            _assert_same_config(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, float):
        assert ours == pytest.approx(theirs, rel=1e-7), where
    else:
        assert ours == theirs, where


def _pair(name, shape, config, seed=0):
    """The Keras layer and ours, built on ``shape``, with the same random weights."""
    theirs = getattr(keras.layers, name)(**config, name="under_test")
    ours = getattr(conv, name)(**config, name="under_test")
    theirs.build(shape)
    ours.build(shape)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=tuple(w.shape)).astype("float32") for w in theirs.weights]
    theirs.set_weights(values)
    ours.set_weights(values)
    return theirs, ours


@pytest.mark.parametrize("name,shape,config", CASES, ids=IDS)
def test_outputs_and_gradients_match_keras(name, shape, config):
    theirs, ours = _pair(name, shape, config)
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape).astype("float32")
    x_theirs = torch.tensor(x, requires_grad=True)
    x_ours = torch.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y_theirs = theirs(x_theirs)
    y_ours = ours(x_ours)
    assert tuple(y_ours.shape) == tuple(y_theirs.shape)
    np.testing.assert_allclose(y_ours.detach().numpy(), _k(y_theirs), **TOL)

    upstream = torch.tensor(rng.normal(size=tuple(y_theirs.shape)).astype("float32"))
    weights_theirs = [w.value for w in theirs.trainable_weights]
    grads_theirs = torch.autograd.grad((y_theirs * upstream).sum(), [x_theirs] + weights_theirs)
    grads_ours = torch.autograd.grad((y_ours * upstream).sum(), [x_ours] + list(ours.trainable_weights))
    assert len(grads_ours) == len(grads_theirs)
    for label, g_ours, g_theirs in zip(["inputs"] + [w.name for w in ours.trainable_weights],
                                       grads_ours, grads_theirs):
        np.testing.assert_allclose(g_ours.numpy(), _k(g_theirs), err_msg=label, **TOL)


@pytest.mark.parametrize("name,shape,config", CASES, ids=IDS)
def test_shapes_and_parameter_counts_match_keras(name, shape, config):
    theirs, ours = _pair(name, shape, config)
    assert ours.count_params() == theirs.count_params()
    assert ours.compute_output_shape(shape) == tuple(theirs.compute_output_shape(shape))
    # Symbolic: unknown batch size, and unknown spatial sizes where Keras allows them.
    symbolic = (None,) + shape[1:]
    k_out = getattr(keras.layers, name)(**config)(keras.Input(batch_shape=symbolic))
    l_out = getattr(conv, name)(**config)(layerwise.Input(batch_shape=symbolic))
    assert tuple(l_out.shape) == tuple(k_out.shape)
    channels_last = config.get("data_format", "channels_last") == "channels_last"
    unknown = (None,) + (None,) * (len(shape) - 2) + (shape[-1],) if channels_last else \
        (None, shape[1]) + (None,) * (len(shape) - 2)
    assert ours.compute_output_shape(unknown) == tuple(theirs.compute_output_shape(unknown))


@pytest.mark.parametrize("name,shape,config", CASES, ids=IDS)
def test_configs_match_keras(name, shape, config):
    theirs = getattr(keras.layers, name)(**config, name="under_test")
    ours = getattr(conv, name)(**config, name="under_test")
    theirs_config, ours_config = theirs.get_config(), ours.get_config()
    assert ours_config.keys() == theirs_config.keys()
    assert ours_config == theirs_config


@pytest.mark.parametrize("name,shape,config", CASES[::4], ids=IDS[::4])
def test_configs_cross_load(name, shape, config):
    """A config written by Keras builds our layer, and ours builds Keras's, with the same outputs."""
    theirs, ours = _pair(name, shape, config)
    from_keras = getattr(conv, name).from_config(theirs.get_config())
    from_ours = getattr(keras.layers, name).from_config(ours.get_config())
    from_keras.build(shape)
    from_ours.build(shape)
    from_keras.set_weights(ours.get_weights())
    from_ours.set_weights(ours.get_weights())
    x = np.random.default_rng(2).normal(size=shape).astype("float32")
    np.testing.assert_allclose(from_keras(x).detach().numpy(), ours(x).detach().numpy(), **TOL)
    np.testing.assert_allclose(_k(from_ours(x)), ours(x).detach().numpy(), **TOL)


def test_regularizers_and_constraints_in_config_match_keras():
    config = {
        "filters": 4, "kernel_size": 3, "kernel_regularizer": "l2", "bias_regularizer": "l1",
        "activity_regularizer": "l1", "kernel_constraint": "max_norm",
        "bias_constraint": "non_neg", "kernel_initializer": "he_normal", "bias_initializer": "ones",
    }
    theirs = keras.layers.Conv2D(**config, name="c").get_config()
    ours = conv.Conv2D(**config, name="c").get_config()
    _assert_same_config(ours, theirs)
    separable = {
        "filters": 4, "kernel_size": 3, "depthwise_regularizer": "l2", "pointwise_regularizer": "l1",
        "depthwise_constraint": "unit_norm", "pointwise_initializer": "lecun_normal",
    }
    _assert_same_config(conv.SeparableConv2D(**separable, name="s").get_config(),
                        keras.layers.SeparableConv2D(**separable, name="s").get_config())


def test_regularization_losses_match_keras():
    shape = (2, 6, 6, 3)
    config = {"filters": 4, "kernel_size": 3, "kernel_regularizer": keras.regularizers.L2(0.01),
              "bias_regularizer": keras.regularizers.L1(0.02)}
    theirs = keras.layers.Conv2D(**config)
    ours = conv.Conv2D(4, 3, kernel_regularizer=layerwise.regularizers.L2(0.01),
                       bias_regularizer=layerwise.regularizers.L1(0.02))
    theirs.build(shape)
    ours.build(shape)
    rng = np.random.default_rng(0)
    values = [rng.normal(size=tuple(w.shape)).astype("float32") for w in theirs.weights]
    theirs.set_weights(values)
    ours.set_weights(values)
    np.testing.assert_allclose(float(sum(ours.losses).detach()), float(_k(sum(theirs.losses))), rtol=1e-5)


def _cifar_small(lib, flatten, conv2d, dense):
    inputs = lib.Input((32, 32, 3))
    x = conv2d(50, (3, 3), activation="relu")(inputs)
    x = conv2d(50, (3, 3), activation="relu")(x)
    x = flatten()(x)
    return lib.Model(inputs, dense(10)(x))


def test_course_cifar_network_matches_keras():
    """Input((32,32,3)) -> Conv2D(50,3x3,relu) x2 -> Flatten -> Dense(10): same counts, shapes, outputs."""
    theirs = _cifar_small(keras, keras.layers.Flatten, keras.layers.Conv2D, keras.layers.Dense)
    ours = _cifar_small(layerwise, Flatten, conv.Conv2D, Dense)
    assert ours.count_params() == theirs.count_params() == 415_960
    assert [layer.count_params() for layer in ours.layers] == [layer.count_params() for layer in theirs.layers]
    assert [tuple(layer.output.shape) for layer in ours.layers] == \
        [tuple(layer.output.shape) for layer in theirs.layers]
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).random((2, 32, 32, 3)).astype("float32")
    # 39,200-term sums in the Dense layer: a slightly looser absolute tolerance.
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-4)
