"""Pooling layers against real Keras 3: outputs, input gradients, output shapes, configs, errors.

One known difference: Keras 3.15's torch backend computes AveragePooling with
padding='same' by padding with *copies of the edge values* whenever the padding
is uneven (one more cell after than before), so those copies are counted in
the edge averages; Keras on TensorFlow and JAX (and the Keras fix,
keras-team/keras#23233) leave padded cells out. layerwise leaves them out on
every axis. For those configurations the tests compare against an independent
torch formulation of Keras's documented result (zero padding, window sums
divided by the number of real cells), and against Keras itself on every output
whose window does not touch the padding.
"""

import json

import keras
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import layerwise
from layerwise.layers import pooling


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return keras.ops.convert_to_numpy(value)


def _pair(class_name, *args, **kwargs):
    return (getattr(pooling, class_name)(*args, **kwargs),
            getattr(keras.layers, class_name)(*args, **kwargs))


def _run(layer, x, upstream_seed=1, **kwargs):
    """Output and d(sum(output * r))/dx for a fixed random r, by torch autograd."""
    inputs = torch.tensor(x, requires_grad=True)
    output = layer(inputs, **kwargs)
    upstream = torch.tensor(_x(*output.shape, seed=upstream_seed))
    (output * upstream).sum().backward()
    return _numpy(output), _numpy(inputs.grad)


def _same_padding(sizes, pool_size, strides):
    """Keras's (before, after) padding per axis for padding='same'."""
    pads = []
    for n, k, s in zip(sizes, pool_size, strides):
        total = max(0, (-(-n // s) - 1) * s + k - n)
        pads.append((total // 2, total - total // 2))
    return pads


def _documented_average(x, pool_size, strides, data_format):
    """Keras's documented 'same' average pooling, written independently: sums / real-cell counts."""
    rank = len(pool_size)
    inputs = torch.tensor(x, requires_grad=True)
    t = inputs if data_format == "channels_first" else inputs.movedim(-1, 1)
    pads = _same_padding(t.shape[2:], pool_size, strides)
    flat = tuple(v for pair in reversed(pads) for v in pair)
    pool = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[rank - 1]
    padded = F.pad(t, flat)
    ones = F.pad(torch.ones_like(t[:1, :1]), flat)
    if rank == 1:  # avg_pool1d has no divisor_override: scale the mean back to a sum
        sums = pool(padded, pool_size, strides) * pool_size[0]
        counts = pool(ones, pool_size, strides) * pool_size[0]
    else:
        sums = pool(padded, pool_size, strides, divisor_override=1)
        counts = pool(ones, pool_size, strides, divisor_override=1)
    output = sums / counts
    if data_format == "channels_last":
        output = output.movedim(1, -1)
    upstream = torch.tensor(_x(*output.shape, seed=1))
    (output * upstream).sum().backward()
    return _numpy(output), _numpy(inputs.grad), pads


def _interior(output_shape, sizes, pool_size, strides, pads, data_format):
    """Boolean mask of the outputs whose window lies inside the input (touches no padding)."""
    axes_masks = []
    for out, n, k, s, (before, _) in zip(
            output_shape[1:-1] if data_format == "channels_last" else output_shape[2:],
            sizes, pool_size, strides, pads):
        starts = np.arange(out) * s - before
        axes_masks.append((starts >= 0) & (starts + k <= n))
    mask = axes_masks[0]
    for other in axes_masks[1:]:
        mask = np.multiply.outer(mask, other)
    mask = mask[None, ..., None] if data_format == "channels_last" else mask[None, None]
    return np.broadcast_to(mask, output_shape)


POOL_CASES = [
    # rank, pool_size, strides, padding, data_format, spatial size
    (1, 2, None, "valid", "channels_last", (7,)),
    (1, 3, 1, "same", "channels_last", (6,)),
    (1, 2, 1, "same", "channels_first", (5,)),
    (1, 3, 2, "same", "channels_last", (4,)),
    (1, 4, 3, "valid", "channels_first", (9,)),
    (1, 1, 2, "same", "channels_last", (5,)),
    (2, (2, 2), None, "valid", "channels_last", (4, 6)),
    (2, (2, 2), None, "valid", "channels_first", (5, 7)),
    (2, (3, 3), (2, 2), "same", "channels_last", (5, 6)),
    (2, (3, 3), 1, "same", "channels_last", (5, 5)),
    (2, (2, 3), (1, 2), "same", "channels_first", (4, 5)),
    (2, (4, 2), (3, 1), "same", "channels_last", (7, 5)),
    (2, 3, 1, "valid", "channels_first", (5, 4)),
    (2, 2, None, "same", "channels_first", (5, 4)),
    (3, 2, None, "valid", "channels_last", (4, 4, 2)),
    (3, (2, 3, 1), (2, 1, 1), "same", "channels_first", (3, 4, 2)),
    (3, 3, 2, "same", "channels_last", (4, 5, 3)),
    (3, 3, 1, "same", "channels_last", (3, 3, 3)),
]
CLASSES = {"max": ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D"),
           "average": ("AveragePooling1D", "AveragePooling2D", "AveragePooling3D")}


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("rank, pool_size, strides, padding, data_format, spatial", POOL_CASES)
def test_pooling_outputs_and_gradients_match_keras(mode, rank, pool_size, strides, padding,
                                                    data_format, spatial):
    ours, theirs = _pair(CLASSES[mode][rank - 1], pool_size, strides, padding, data_format)
    shape = (2,) + spatial + (3,) if data_format == "channels_last" else (2, 3) + spatial
    x = _x(*shape)
    our_out, our_grad = _run(ours, x)
    their_out, their_grad = _run(theirs, x)
    assert our_out.shape == their_out.shape
    assert ours.compute_output_shape(shape) == tuple(theirs.compute_output_shape(shape))
    pads = _same_padding(spatial, ours.pool_size, ours.strides) if padding == "same" else None
    uneven = pads is not None and any(before != after for before, after in pads)
    if mode == "average" and uneven:
        # Keras 3.15's torch backend counts edge copies here (see the module docstring).
        expected_out, expected_grad, _ = _documented_average(x, ours.pool_size, ours.strides,
                                                             data_format)
        np.testing.assert_allclose(our_out, expected_out, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(our_grad, expected_grad, rtol=1e-5, atol=1e-6)
        inside = _interior(our_out.shape, spatial, ours.pool_size, ours.strides, pads, data_format)
        np.testing.assert_allclose(our_out[inside], their_out[inside], rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(our_out, their_out, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(our_grad, their_grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", CLASSES["max"] + CLASSES["average"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_pooling_output_shapes_with_unknown_sizes_match_keras(name, padding, data_format):
    rank = int(name[-2])
    ours, theirs = _pair(name, 3, 2, padding, data_format)
    for spatial in [(None,) * rank, (7, None, 4)[:rank], (3, 8, None)[:rank]]:
        shape = (None,) + spatial + (5,) if data_format == "channels_last" else (None, 5) + spatial
        assert ours.compute_output_shape(shape) == tuple(theirs.compute_output_shape(shape))
        symbolic = ours(layerwise.Input(batch_shape=shape))
        assert symbolic.shape == tuple(theirs(keras.Input(batch_shape=shape)).shape)


GLOBAL_NAMES = ["GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
                "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D"]


@pytest.mark.parametrize("name", GLOBAL_NAMES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_matches_keras(name, data_format, keepdims):
    rank = int(name[-2])
    ours, theirs = _pair(name, data_format=data_format, keepdims=keepdims)
    x = _x(2, *(4, 3, 2)[:rank], 5)
    our_out, our_grad = _run(ours, x)
    their_out, their_grad = _run(theirs, x)
    assert our_out.shape == their_out.shape
    np.testing.assert_allclose(our_out, their_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-5, atol=1e-6)
    for shape in (x.shape, (None,) + x.shape[1:], (None,) + (None,) * rank + (5,)):
        assert ours.compute_output_shape(shape) == tuple(theirs.compute_output_shape(shape))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_average_pooling_1d_mask_matches_keras(data_format, keepdims):
    ours, theirs = _pair("GlobalAveragePooling1D", data_format=data_format, keepdims=keepdims)
    x = _x(3, 5, 4) if data_format == "channels_last" else _x(3, 4, 5)
    mask = torch.tensor([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 1]], dtype=torch.bool)
    our_out, our_grad = _run(ours, x, mask=mask)
    their_out, their_grad = _run(theirs, x, mask=mask)
    np.testing.assert_allclose(our_out, their_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-5, atol=1e-6)
    assert ours.supports_masking == theirs.supports_masking
    assert ours.compute_mask(x, mask) is None and theirs.compute_mask(x, mask) is None


def test_masked_model_matches_keras():
    ids = np.array([[3, 5, 0, 0], [1, 2, 7, 0]])
    mask = torch.tensor(ids != 0)
    x = _x(2, 4, 3)
    ours = pooling.GlobalAveragePooling1D()
    theirs = keras.layers.GlobalAveragePooling1D()
    tensor = torch.tensor(x)
    tensor._keras_mask = mask  # as Embedding(mask_zero=True) leaves it
    np.testing.assert_allclose(_numpy(ours(tensor)), _numpy(theirs(torch.tensor(x), mask=mask)),
                               rtol=1e-6)


def test_cnn_model_matches_keras():
    def build(lib, layers, dense):
        inputs = lib.Input(shape=(9, 9, 2))
        x = dense(4, activation="relu")(inputs)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        x = layers.AveragePooling2D(2)(x)
        x = layers.MaxPool2D(1, padding="same")(x)
        x = layers.GlobalAvgPool2D()(x)
        return lib.Model(inputs, dense(3)(x))

    theirs = build(keras, keras.layers, keras.layers.Dense)
    ours = build(layerwise, pooling, layerwise.layers.Dense)
    assert tuple(ours.output_shape) == tuple(theirs.output_shape)
    assert ours.count_params() == theirs.count_params()
    ours.set_weights(theirs.get_weights())
    x = _x(4, 9, 9, 2)
    np.testing.assert_allclose(_numpy(ours(x)), _numpy(theirs(x)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, args, kwargs", [
    ("MaxPooling1D", (), {}),
    ("MaxPooling2D", ((3, 2), (1, 2), "same", "channels_first"), {}),
    ("MaxPooling3D", (2,), {"padding": "same"}),
    ("AveragePooling1D", (4, 1), {"padding": "same"}),
    ("AveragePooling2D", (2,), {"data_format": "channels_first"}),
    ("AveragePooling3D", ((1, 2, 3),), {}),
    ("GlobalMaxPooling1D", (), {}),
    ("GlobalMaxPooling2D", (), {"keepdims": True}),
    ("GlobalMaxPooling3D", ("channels_first",), {}),
    ("GlobalAveragePooling1D", (), {"keepdims": True}),
    ("GlobalAveragePooling2D", (), {"data_format": "channels_first"}),
    ("GlobalAveragePooling3D", (), {}),
])
def test_configs_match_keras_both_ways(name, args, kwargs):
    ours, theirs = _pair(name, *args, name="pool", **kwargs)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert set(ours_config) == set(theirs_config)
    assert ours_config == theirs_config
    from_keras = getattr(pooling, name).from_config(json.loads(json.dumps(theirs_config)))
    assert from_keras.get_config() == ours_config
    from_ours = getattr(keras.layers, name).from_config(json.loads(json.dumps(ours_config)))
    assert from_ours.get_config() == theirs_config


def test_aliases_match_keras():
    for alias in ("MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
                  "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D",
                  "GlobalAvgPool2D", "GlobalAvgPool3D"):
        assert getattr(pooling, alias).__name__ == getattr(keras.layers, alias).__name__


@pytest.mark.parametrize("make, shape", [
    (lambda lib: lib.MaxPooling2D(4), (2, 3, 8, 1)),
    (lambda lib: lib.AveragePooling1D(5, data_format="channels_first"), (2, 3, 4)),
    (lambda lib: lib.MaxPooling3D((1, 1, 3)), (1, 2, 2, 2, 1)),
])
def test_window_too_large_errors_where_keras_errors(make, shape):
    with pytest.raises(ValueError, match="would be zero or negative"):
        make(keras.layers)(keras.Input(batch_shape=shape))
    with pytest.raises(ValueError, match="padding='same'"):
        make(pooling)(layerwise.Input(batch_shape=shape))
    with pytest.raises((ValueError, RuntimeError)):  # Keras's torch backend: torch's RuntimeError
        make(keras.layers)(_x(*shape))
    with pytest.raises(ValueError, match="padding='same'"):
        make(pooling)(_x(*shape))


@pytest.mark.parametrize("make, shape", [
    (lambda lib: lib.MaxPooling2D(), (2, 28, 28)),
    (lambda lib: lib.GlobalAveragePooling1D(), (2, 28)),
    (lambda lib: lib.AveragePooling3D(2), (2, 4, 4, 4)),
])
def test_rank_errors_where_keras_errors(make, shape):
    with pytest.raises(ValueError):
        make(keras.layers)(_x(*shape))
    with pytest.raises(ValueError, match="add a channel axis"):
        make(pooling)(_x(*shape))
