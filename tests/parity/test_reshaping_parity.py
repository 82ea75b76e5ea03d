"""Reshaping layers against real Keras 3: same outputs, output shapes, errors and configs."""

import json

import keras
import numpy as np
import pytest
import torch

import layerwise
from layerwise.layers import reshaping


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return keras.ops.convert_to_numpy(value)


def _pair(class_name, *args, **kwargs):
    return (getattr(reshaping, class_name)(*args, **kwargs),
            getattr(keras.layers, class_name)(*args, **kwargs))


def _same_shapes(ours, theirs, shape):
    assert ours.compute_output_shape(shape) == tuple(theirs.compute_output_shape(shape))


CASES = [
    ("Flatten", (), {}, (3, 4, 5)),
    ("Flatten", (), {}, (3, 4)),
    ("Flatten", (), {}, (3,)),
    ("Flatten", (), {}, (2, 3, 4, 5)),
    ("Flatten", (), {"data_format": "channels_first"}, (2, 3, 4, 5)),
    ("Flatten", (), {"data_format": "channels_first"}, (2, 3, 4)),
    ("Reshape", ((3, 4),), {}, (2, 12)),
    ("Reshape", ((-1,),), {}, (2, 3, 4)),
    ("Reshape", ((2, -1),), {}, (2, 3, 4)),
    ("Reshape", ((-1, 2, 3),), {}, (2, 12)),
    ("Reshape", ([6, 2],), {}, (2, 3, 4)),
    ("Permute", ((2, 1),), {}, (2, 3, 4)),
    ("Permute", ((3, 1, 2),), {}, (2, 3, 4, 5)),
    ("Permute", ((1, 3, 2),), {}, (2, 3, 4, 5)),
    ("RepeatVector", (4,), {}, (3, 5)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", CASES)
def test_outputs_and_shapes_match_keras(name, args, kwargs, shape):
    ours, theirs = _pair(name, *args, **kwargs)
    x = _x(*shape)
    np.testing.assert_array_equal(_numpy(ours(x)), _numpy(theirs(x)))
    _same_shapes(ours, theirs, (None,) + shape[1:])
    _same_shapes(ours, theirs, shape)


@pytest.mark.parametrize("name, args, shape", [
    ("Flatten", (), (None, None, 3)),
    ("Flatten", (), (None, 4, None)),
    ("Reshape", ((-1, 3),), (None, None, 3)),
    ("Reshape", ((2, 3),), (None, None)),
    ("Permute", ((2, 1),), (None, None, 3)),
    ("RepeatVector", (3,), (None, None)),
])
def test_output_shapes_with_unknown_sizes_match_keras(name, args, shape):
    _same_shapes(*_pair(name, *args), shape)


def test_symbolic_model_shapes_match_keras():
    def build(lib, layers):
        inputs = lib.Input(shape=(4, 6))
        x = layers.Permute((2, 1))(inputs)
        x = layers.Reshape((3, -1))(x)
        x = layers.Flatten()(x)
        x = layers.RepeatVector(2)(x)
        return lib.Model(inputs, x)

    theirs = build(keras, keras.layers)
    ours = build(layerwise, reshaping)
    assert tuple(ours.output_shape) == tuple(theirs.output_shape)
    x = _x(5, 4, 6)
    np.testing.assert_array_equal(_numpy(ours(x)), _numpy(theirs(x)))


def test_model_with_dense_matches_keras():
    def build(lib, layers, dense):
        inputs = lib.Input(shape=(8, 8, 3))
        x = layers.Flatten()(inputs)
        x = dense(16, activation="relu")(x)
        x = layers.Reshape((4, 4))(x)
        x = layers.Permute((2, 1))(x)
        x = layers.Flatten()(x)
        x = layers.RepeatVector(3)(x)
        return lib.Model(inputs, dense(2)(x))

    theirs = build(keras, keras.layers, keras.layers.Dense)
    ours = build(layerwise, reshaping, layerwise.layers.Dense)
    assert ours.count_params() == theirs.count_params()
    ours.set_weights(theirs.get_weights())
    x = _x(5, 8, 8, 3)
    np.testing.assert_allclose(_numpy(ours(x)), _numpy(theirs(x)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make, shape", [
    (lambda lib: lib.Reshape((5, 3)), (2, 12)),
    (lambda lib: lib.Reshape((5, -1)), (2, 12)),
    (lambda lib: lib.Permute((2, 1)), (2, 3)),
    (lambda lib: lib.RepeatVector(2), (2, 3, 4)),
])
def test_errors_where_keras_errors(make, shape):
    x = _x(*shape)
    with pytest.raises(ValueError):
        make(keras.layers)(x)
    with pytest.raises(ValueError):
        make(reshaping)(x)


@pytest.mark.parametrize("make", [
    lambda lib: lib.Reshape((-1, -1)),
    lambda lib: lib.Reshape((-3, 2)),
    lambda lib: lib.Permute((0, 1)),
    lambda lib: lib.Permute((1, 3)),
    lambda lib: lib.RepeatVector(0),
])
def test_argument_errors_where_keras_errors(make):
    with pytest.raises(ValueError):
        make(keras.layers)
    with pytest.raises(ValueError):
        make(reshaping)


@pytest.mark.parametrize("name, args, kwargs", [
    ("Flatten", (), {}), ("Flatten", (), {"data_format": "channels_first"}),
    ("Reshape", ((2, -1),), {}), ("Permute", ((3, 1, 2),), {}), ("RepeatVector", (5,), {}),
])
def test_configs_match_keras_both_ways(name, args, kwargs):
    ours, theirs = _pair(name, *args, name="shaper", **kwargs)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert ours_config == theirs_config
    from_keras = getattr(reshaping, name).from_config(json.loads(json.dumps(theirs_config)))
    assert from_keras.get_config() == ours_config
    from_ours = getattr(keras.layers, name).from_config(json.loads(json.dumps(ours_config)))
    assert from_ours.get_config() == theirs_config
