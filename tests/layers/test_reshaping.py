"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector."""

import json

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.layers.core import Dense
from layerwise.layers.reshaping import Flatten, Permute, RepeatVector, Reshape
from layerwise.saving import serialization


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _np(tensor):
    return tensor.detach().cpu().numpy()


def _round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(json.loads(json.dumps(config)))
    assert clone.get_config() == config
    serialized = json.loads(json.dumps(serialization.serialize_keras_object(layer)))
    assert serialized["module"] == "keras.layers" and serialized["class_name"] == type(layer).__name__
    restored = serialization.deserialize_keras_object(serialized, "layers")
    assert type(restored) is type(layer) and restored.get_config() == config
    return clone


def _gradient_flows(layer, x):
    x = torch.tensor(x, requires_grad=True)
    layer(x).pow(2).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


# ---------------------------------------------------------------- Flatten


@pytest.mark.parametrize("shape", [(4,), (4, 3), (4, 3, 2), (4, 3, 2, 5)])
def test_flatten_shapes_and_values(shape):
    x = _x(*shape)
    out = Flatten()(x)
    expected = x.reshape(shape[0], -1)
    np.testing.assert_array_equal(_np(out), expected)
    assert Flatten().compute_output_shape((None,) + shape[1:]) == (None, expected.shape[1])
    if len(shape) > 1:
        assert Flatten()(keras.Input(shape=shape[1:])).shape == (None, expected.shape[1])


def test_flatten_is_a_view_when_possible():
    x = torch.tensor(_x(4, 3, 2))
    assert Flatten()(x).data_ptr() == x.data_ptr()


def test_flatten_channels_first_flattens_in_channels_last_order():
    x = _x(2, 3, 4, 5)  # (batch, channels, rows, cols)
    out = Flatten(data_format="channels_first")(x)
    np.testing.assert_array_equal(_np(out), x.transpose(0, 2, 3, 1).reshape(2, -1))
    assert Flatten(data_format="channels_first").compute_output_shape((None, 3, 4, 5)) == (None, 60)


def test_flatten_unknown_sizes_and_data_format_default():
    assert Flatten().compute_output_shape((None, None, 3)) == (None, None)
    assert Flatten().data_format == "channels_last"
    keras.backend.set_image_data_format("channels_first")
    try:
        assert Flatten().data_format == "channels_first"
    finally:
        keras.backend.set_image_data_format("channels_last")
    with pytest.raises(ValueError, match="data_format"):
        Flatten(data_format="nhwc")


def test_flatten_config_gradient_and_params():
    layer = Flatten(data_format="channels_first", name="flat")
    clone = _round_trip(layer)
    assert clone.data_format == "channels_first" and clone.name == "flat"
    _gradient_flows(Flatten(), _x(2, 3, 4))
    layer = Flatten()
    layer(_x(2, 3))
    assert layer.count_params() == 0 and layer.weights == []


def test_flatten_in_a_sequential_model():
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), Flatten(), Dense(10)])
    assert model.output_shape == (None, 10)
    assert model.count_params() == 784 * 10 + 10
    assert tuple(model(_x(3, 28, 28, 1)).shape) == (3, 10)


# ---------------------------------------------------------------- Reshape


@pytest.mark.parametrize("target, expected", [
    ((3, 4), (3, 4)), ((-1,), (12,)), ((2, -1), (2, 6)), ((-1, 2, 2), (3, 2, 2)), ((12,), (12,)),
])
def test_reshape_shapes_and_values(target, expected):
    x = _x(5, 12)
    out = Reshape(target)(x)
    np.testing.assert_array_equal(_np(out), x.reshape((5,) + expected))
    assert Reshape(target).compute_output_shape((None, 12)) == (None,) + expected
    assert Reshape(target)(keras.Input(shape=(12,))).shape == (None,) + expected


def test_reshape_unknown_sizes_and_empty_batch():
    assert Reshape((-1, 3)).compute_output_shape((None, None, 3)) == (None, None, 3)
    assert Reshape((2, 3)).compute_output_shape((None, None)) == (None, 2, 3)
    assert tuple(Reshape((-1, 3))(np.zeros((0, 6), "float32")).shape) == (0, 2, 3)


def test_reshape_incompatible_sizes_raise_keras_error():
    with pytest.raises(ValueError, match=r"total size of the tensor must be unchanged.*"
                                         r"input_shape=\(None, 12\), target_shape=\(5, 3\)"):
        Reshape((5, 3))(keras.Input(shape=(12,)))
    with pytest.raises(ValueError, match=r"reshape samples of shape \(12,\).*target_shape=\(5, -1\)"):
        Reshape((5, -1))(_x(2, 12))
    layer = Reshape((3, 4))
    layer(_x(2, 12))
    with pytest.raises(ValueError, match=r"samples of shape \(2, 5\) \(10 values per sample\)"):
        layer(_x(2, 2, 5))


def test_reshape_argument_errors():
    with pytest.raises(ValueError, match="at most one unknown dimension"):
        Reshape((-1, -1))
    with pytest.raises(ValueError, match="non-negative integer"):
        Reshape((-2, 3))
    with pytest.raises(TypeError, match="tuple of integers"):
        Reshape(12)
    with pytest.raises(TypeError, match="integers only"):
        Reshape((2.5, 3))


def test_reshape_config_gradient_and_list_target():
    layer = Reshape([2, -1])
    assert layer.target_shape == (2, -1)
    clone = _round_trip(layer)
    assert clone.target_shape == (2, -1)
    _gradient_flows(Reshape((2, 6)), _x(3, 12))


# ---------------------------------------------------------------- Permute


@pytest.mark.parametrize("dims", [(1,), (2, 1), (1, 2), (3, 1, 2), (2, 3, 1)])
def test_permute_shapes_and_values(dims):
    shape = (2, 3, 4, 5)[: len(dims) + 1]
    x = _x(*shape)
    out = Permute(dims)(x)
    np.testing.assert_array_equal(_np(out), x.transpose((0,) + dims))
    assert Permute(dims).compute_output_shape((None,) + shape[1:]) == \
        (None,) + tuple(shape[d] for d in dims)
    assert Permute(dims)(keras.Input(shape=shape[1:])).shape == (None,) + tuple(shape[d] for d in dims)


def test_permute_errors():
    with pytest.raises(ValueError, match="consecutive and start from 1"):
        Permute((0, 1))
    with pytest.raises(ValueError, match="consecutive"):
        Permute((1, 3))
    with pytest.raises(TypeError, match="tuple of integers"):
        Permute(2)
    with pytest.raises(ValueError, match=r"rank 3, got rank 2 \(shape \(2, 3\)\)"):
        Permute((2, 1))(_x(2, 3))


def test_permute_config_and_gradient():
    clone = _round_trip(Permute([2, 1]))
    assert clone.dims == (2, 1)
    _gradient_flows(Permute((2, 1)), _x(2, 3, 4))


# ---------------------------------------------------------------- RepeatVector


def test_repeat_vector_shapes_and_values():
    x = _x(4, 3)
    out = RepeatVector(5)(x)
    np.testing.assert_array_equal(_np(out), np.repeat(x[:, None, :], 5, axis=1))
    assert RepeatVector(5).compute_output_shape((None, 3)) == (None, 5, 3)
    assert RepeatVector(5)(keras.Input(shape=(3,))).shape == (None, 5, 3)


def test_repeat_vector_errors():
    with pytest.raises(TypeError, match="integer"):
        RepeatVector(2.0)
    with pytest.raises(ValueError, match="positive integer"):
        RepeatVector(0)
    with pytest.raises(ValueError, match=r"rank 2, got rank 3 \(shape \(2, 3, 4\)\).*Flatten"):
        RepeatVector(2)(_x(2, 3, 4))


def test_repeat_vector_config_and_gradient():
    clone = _round_trip(RepeatVector(3, name="repeat"))
    assert clone.n == 3
    x = torch.tensor(_x(2, 4), requires_grad=True)
    RepeatVector(3)(x).sum().backward()
    np.testing.assert_array_equal(_np(x.grad), np.full((2, 4), 3.0))


def test_reshaping_layers_drop_masks_like_keras():
    x = torch.tensor(_x(2, 3, 4))
    x._keras_mask = torch.ones(2, 3, dtype=torch.bool)
    for layer in (Flatten(), Reshape((12,)), Permute((2, 1))):
        assert getattr(layer(x), "_keras_mask", None) is None
