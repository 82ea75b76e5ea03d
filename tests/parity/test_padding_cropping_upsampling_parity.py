"""ZeroPadding, Cropping and UpSampling layers against real Keras 3: outputs, input gradients,
output shapes (with unknown sizes), configs and errors."""

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


def _run(layer, x):
    """Output and d(sum(output * r))/dx for a fixed random r, by torch autograd."""
    inputs = torch.tensor(x, requires_grad=True)
    output = layer(inputs)
    upstream = torch.tensor(_x(*output.shape, seed=1))
    (output * upstream).sum().backward()
    return _numpy(output), _numpy(inputs.grad)


CASES = [
    ("ZeroPadding1D", (), {}, (2, 3, 4)),
    ("ZeroPadding1D", ((1, 3),), {}, (2, 3, 4)),
    ("ZeroPadding1D", (2,), {"data_format": "channels_first"}, (2, 3, 4)),
    ("ZeroPadding2D", (), {}, (2, 3, 4, 2)),
    ("ZeroPadding2D", ((2, 0),), {"data_format": "channels_first"}, (2, 2, 3, 4)),
    ("ZeroPadding2D", (((1, 2), (0, 3)),), {}, (2, 3, 4, 2)),
    ("ZeroPadding3D", (), {}, (1, 2, 3, 2, 2)),
    ("ZeroPadding3D", ((1, 0, 2),), {"data_format": "channels_first"}, (1, 2, 3, 2, 2)),
    ("ZeroPadding3D", (((0, 1), (2, 0), (1, 1)),), {}, (1, 2, 3, 2, 2)),
    ("Cropping1D", (), {}, (2, 5, 3)),
    ("Cropping1D", ((0, 2),), {}, (2, 5, 3)),
    ("Cropping1D", (2,), {}, (2, 6, 3)),
    ("Cropping2D", (), {}, (2, 4, 5, 2)),
    ("Cropping2D", (1,), {"data_format": "channels_first"}, (2, 2, 4, 5)),
    ("Cropping2D", ((2, 0),), {}, (2, 5, 4, 2)),
    ("Cropping2D", (((1, 0), (0, 2)),), {"data_format": "channels_first"}, (2, 2, 4, 5)),
    ("Cropping3D", (), {}, (1, 4, 5, 3, 2)),
    ("Cropping3D", ((1, 0, 2),), {"data_format": "channels_first"}, (1, 2, 4, 3, 5)),
    ("Cropping3D", (((0, 1), (2, 0), (1, 2)),), {}, (1, 4, 5, 6, 2)),
    ("UpSampling1D", (), {}, (2, 3, 4)),
    ("UpSampling1D", (3,), {}, (2, 3, 4)),
    ("UpSampling2D", (), {}, (2, 3, 4, 2)),
    ("UpSampling2D", ((1, 3),), {"data_format": "channels_first"}, (2, 2, 3, 4)),
    ("UpSampling2D", ((2, 3),), {"interpolation": "bilinear"}, (2, 3, 4, 2)),
    ("UpSampling2D", ((3, 2),), {"interpolation": "bilinear", "data_format": "channels_first"},
     (2, 2, 3, 4)),
    ("UpSampling2D", (4,), {"interpolation": "bilinear"}, (1, 5, 2, 3)),
    ("UpSampling2D", (2,), {"interpolation": "bicubic"}, (2, 3, 4, 2)),
    ("UpSampling2D", ((3, 1),), {"interpolation": "bicubic", "data_format": "channels_first"},
     (1, 2, 4, 3)),
    ("UpSampling3D", (), {}, (1, 2, 3, 2, 2)),
    ("UpSampling3D", ((1, 2, 3),), {"data_format": "channels_first"}, (1, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", CASES)
def test_outputs_gradients_and_shapes_match_keras(name, args, kwargs, shape):
    ours, theirs = _pair(name, *args, **kwargs)
    x = _x(*shape)
    our_out, our_grad = _run(ours, x)
    their_out, their_grad = _run(theirs, x)
    assert our_out.shape == their_out.shape
    np.testing.assert_allclose(our_out, their_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-5, atol=1e-5)
    for query in (shape, (None,) + shape[1:]):
        assert ours.compute_output_shape(query) == tuple(theirs.compute_output_shape(query))


@pytest.mark.parametrize("name, args, kwargs, shape", CASES)
def test_output_shapes_with_unknown_sizes_match_keras(name, args, kwargs, shape):
    ours, theirs = _pair(name, *args, **kwargs)
    channels_first = kwargs.get("data_format") == "channels_first"
    for unknown_axis in range(1, len(shape) - 1):
        axis = unknown_axis + 1 if channels_first else unknown_axis
        query = tuple(None if i in (0, axis) else d for i, d in enumerate(shape))
        assert ours.compute_output_shape(query) == tuple(theirs.compute_output_shape(query))
        symbolic = ours(layerwise.Input(batch_shape=query))
        assert symbolic.shape == tuple(theirs(keras.Input(batch_shape=query)).shape)


def test_unet_style_model_matches_keras():
    def build(lib, layers, dense):
        inputs = lib.Input(shape=(6, 6, 2))
        x = dense(3)(inputs)
        skip = layers.Cropping2D(((1, 1), (1, 1)))(x)
        x = layers.ZeroPadding2D(((0, 1), (1, 0)))(skip)
        x = layers.UpSampling2D(2, interpolation="bilinear")(x)
        x = layers.Cropping2D(((3, 3), (3, 3)))(x)
        x = layers.UpSampling2D((1, 1))(x)
        x = dense(2)(x)
        return lib.Model(inputs, [x, layers.UpSampling3D(1)(layers.ZeroPadding3D(0)(
            layers.Reshape((2, 2, 4, 3))(skip)))])

    theirs = build(keras, keras.layers, keras.layers.Dense)
    ours = build(layerwise, reshaping, layerwise.layers.Dense)
    assert [tuple(s) for s in ours.output_shape] == [tuple(s) for s in theirs.output_shape]
    ours.set_weights(theirs.get_weights())
    x = _x(3, 6, 6, 2)
    for a, b in zip(ours(x), theirs(x)):
        np.testing.assert_allclose(_numpy(a), _numpy(b), rtol=1e-5, atol=1e-6)


def test_sequence_model_matches_keras():
    def build(lib, layers, dense):
        inputs = lib.Input(shape=(5, 3))
        x = layers.ZeroPadding1D((2, 1))(inputs)
        x = layers.UpSampling1D(2)(x)
        x = layers.Cropping1D((3, 1))(x)
        return lib.Model(inputs, dense(2)(x))

    theirs = build(keras, keras.layers, keras.layers.Dense)
    ours = build(layerwise, reshaping, layerwise.layers.Dense)
    assert tuple(ours.output_shape) == tuple(theirs.output_shape)
    ours.set_weights(theirs.get_weights())
    x = _x(2, 5, 3)
    np.testing.assert_allclose(_numpy(ours(x)), _numpy(theirs(x)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, args, kwargs", [
    ("ZeroPadding1D", (), {}), ("ZeroPadding1D", ((1, 2),), {"data_format": "channels_first"}),
    ("ZeroPadding2D", (), {}), ("ZeroPadding2D", ((1, 2),), {}),
    ("ZeroPadding2D", (((1, 2), (3, 4)),), {"data_format": "channels_first"}),
    ("ZeroPadding3D", (), {}), ("ZeroPadding3D", (2,), {}),
    ("Cropping1D", (), {}), ("Cropping1D", (3,), {}),
    ("Cropping2D", (), {}), ("Cropping2D", ((1, 2),), {"data_format": "channels_first"}),
    ("Cropping3D", (), {}), ("Cropping3D", (((0, 1), (2, 3), (4, 5)),), {}),
    ("UpSampling1D", (), {}), ("UpSampling1D", (4,), {}),
    ("UpSampling2D", (), {}), ("UpSampling2D", ((2, 3),), {"interpolation": "bilinear"}),
    ("UpSampling2D", (3,), {"data_format": "channels_first", "interpolation": "BICUBIC"}),
    ("UpSampling3D", (), {}), ("UpSampling3D", ((1, 2, 3),), {"data_format": "channels_first"}),
])
def test_configs_match_keras_both_ways(name, args, kwargs):
    ours, theirs = _pair(name, *args, name="shaper", **kwargs)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert set(ours_config) == set(theirs_config)
    assert ours_config == theirs_config
    from_keras = getattr(reshaping, name).from_config(json.loads(json.dumps(theirs_config)))
    assert from_keras.get_config() == ours_config
    from_ours = getattr(keras.layers, name).from_config(json.loads(json.dumps(ours_config)))
    assert from_ours.get_config() == theirs_config


@pytest.mark.parametrize("make, shape", [
    (lambda lib: lib.Cropping1D(2), (2, 4, 3)),
    (lambda lib: lib.Cropping2D(((1, 1), (2, 3))), (2, 6, 5, 1)),
    (lambda lib: lib.Cropping2D(3, data_format="channels_first"), (2, 1, 6, 7)),
    (lambda lib: lib.Cropping3D(((0, 0), (2, 2), (0, 0))), (1, 5, 4, 5, 1)),
    (lambda lib: lib.ZeroPadding2D(), (2, 5, 5)),
    (lambda lib: lib.UpSampling1D(), (2, 4)),
    (lambda lib: lib.UpSampling3D(), (2, 4, 4, 4)),
])
def test_input_errors_where_keras_errors(make, shape):
    with pytest.raises(ValueError):
        make(keras.layers)(_x(*shape))
    with pytest.raises(ValueError):
        make(reshaping)(_x(*shape))
    with pytest.raises(ValueError):
        make(keras.layers)(keras.Input(batch_shape=(None,) + shape[1:]))
    with pytest.raises(ValueError):
        make(reshaping)(layerwise.Input(batch_shape=(None,) + shape[1:]))


@pytest.mark.parametrize("make, error", [
    (lambda lib: lib.Cropping1D((1, -1)), ValueError),
    (lambda lib: lib.Cropping2D(-1), ValueError),
    (lambda lib: lib.Cropping2D((1, 2, 3)), ValueError),
    (lambda lib: lib.Cropping3D(((1, -1), (0, 0), (0, 0))), ValueError),
    (lambda lib: lib.ZeroPadding1D((-1, 1)), ValueError),
    (lambda lib: lib.ZeroPadding2D(((1, -1), (0, 0))), ValueError),
    (lambda lib: lib.ZeroPadding3D((1, 2)), ValueError),
    (lambda lib: lib.UpSampling1D(0), ValueError),
    (lambda lib: lib.UpSampling1D(2.0), TypeError),
    (lambda lib: lib.UpSampling2D((2, 0)), ValueError),
    (lambda lib: lib.UpSampling3D((2, 2)), ValueError),
    (lambda lib: lib.Cropping1D(1, data_format="channels_first"), ValueError),
    (lambda lib: lib.UpSampling1D(2, data_format="channels_last"), ValueError),
])
def test_argument_errors_where_keras_errors(make, error):
    with pytest.raises(error):
        make(keras.layers)
    with pytest.raises(error):
        make(reshaping)


def test_lanczos_is_refused_like_keras_torch_backend():
    with pytest.raises(ValueError, match="Lanczos"):
        keras.layers.UpSampling2D(interpolation="lanczos3")(_x(1, 2, 2, 1))
    with pytest.raises(ValueError, match="lanczos3"):
        reshaping.UpSampling2D(interpolation="lanczos3")
