"""Pooling layers: Max/AveragePooling1D/2D/3D and GlobalMax/GlobalAveragePooling1D/2D/3D."""

import copy
import itertools
import json
import pickle

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.layers import pooling
from layerwise.layers.core import Dense
from layerwise.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from layerwise.saving import serialization

POOLS = {
    ("max", 1): MaxPooling1D, ("max", 2): MaxPooling2D, ("max", 3): MaxPooling3D,
    ("average", 1): AveragePooling1D, ("average", 2): AveragePooling2D,
    ("average", 3): AveragePooling3D,
}
GLOBALS = {
    ("max", 1): GlobalMaxPooling1D, ("max", 2): GlobalMaxPooling2D, ("max", 3): GlobalMaxPooling3D,
    ("average", 1): GlobalAveragePooling1D, ("average", 2): GlobalAveragePooling2D,
    ("average", 3): GlobalAveragePooling3D,
}


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


def _reference_pool(x, pool_size, strides, padding, mode):
    """Keras/TensorFlow pooling on a channels_last numpy batch, window by window.

    'same' pads (total // 2) before and the rest after; padded cells are left out
    of both the max and the average.
    """
    spatial = x.shape[1:-1]
    sizes, starts = [], []
    for n, k, s in zip(spatial, pool_size, strides):
        if padding == "valid":
            sizes.append((n - k) // s + 1)
            starts.append(0)
        else:
            out = -(-n // s)
            sizes.append(out)
            starts.append(max(0, (out - 1) * s + k - n) // 2)
    y = np.zeros((x.shape[0], *sizes, x.shape[-1]), x.dtype)
    axes = tuple(range(1, len(spatial) + 1))
    for index in itertools.product(*[range(o) for o in sizes]):
        window = tuple(slice(max(0, i * s - b), min(n, i * s - b + k))
                       for i, s, b, n, k in zip(index, strides, starts, spatial, pool_size))
        values = x[(slice(None), *window, slice(None))]
        y[(slice(None), *index, slice(None))] = values.max(axis=axes) if mode == "max" \
            else values.mean(axis=axes)
    return y


def _to_channels_first(x):
    return np.moveaxis(x, -1, 1)


# ---------------------------------------------------------------- N-D pooling: values


POOL_CASES = [
    # rank, pool_size, strides, padding, spatial size
    (1, 2, None, "valid", (7,)),
    (1, 3, 1, "same", (6,)),
    (1, 2, 1, "same", (5,)),       # even window, stride 1: one padded cell after
    (1, 3, 2, "same", (4,)),       # stride 2: one padded cell after
    (1, 4, 3, "valid", (9,)),
    (2, (2, 2), None, "valid", (4, 6)),
    (2, (3, 3), (2, 2), "same", (5, 6)),
    (2, (2, 3), (1, 2), "same", (4, 5)),
    (2, (4, 2), (3, 1), "same", (7, 5)),
    (2, 3, 1, "valid", (5, 4)),
    (3, 2, None, "valid", (4, 4, 2)),
    (3, (2, 3, 1), (2, 1, 1), "same", (3, 4, 2)),
    (3, 3, 2, "same", (4, 5, 3)),
]


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("rank, pool_size, strides, padding, spatial", POOL_CASES)
def test_pooling_matches_window_by_window_reference(mode, rank, pool_size, strides, padding, spatial):
    x = _x(2, *spatial, 3)
    layer = POOLS[mode, rank](pool_size, strides, padding)
    expected = _reference_pool(x, layer.pool_size, layer.strides, padding, mode)
    np.testing.assert_allclose(_np(layer(x)), expected, rtol=1e-6, atol=1e-6)
    first = POOLS[mode, rank](pool_size, strides, padding, data_format="channels_first")
    np.testing.assert_allclose(_np(first(_to_channels_first(x))), _to_channels_first(expected),
                               rtol=1e-6, atol=1e-6)


def test_average_same_padding_leaves_padded_cells_out():
    # Windows [1, 2] [3, 4] [5, pad]: the last average is 5, not 2.5.
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0], "float32").reshape(1, 5, 1)
    np.testing.assert_allclose(_np(AveragePooling1D(2, padding="same")(x)).ravel(), [1.5, 3.5, 5.0])
    # Window [3, 4, pad] of a 3-window with stride 2: (3 + 4) / 2.
    x = np.array([1.0, 2.0, 3.0, 4.0], "float32").reshape(1, 4, 1)
    np.testing.assert_allclose(_np(AveragePooling1D(3, 2, padding="same")(x)).ravel(), [2.0, 3.5])
    # Stride 1, window 4: one padded cell before, two after.
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0], "float32").reshape(1, 5, 1)
    np.testing.assert_allclose(_np(AveragePooling1D(4, 1, padding="same")(x)).ravel(),
                               [2.0, 2.5, 3.5, 4.0, 4.5])


def test_max_same_padding_never_picks_padding():
    x = -np.arange(1.0, 6.0, dtype="float32").reshape(1, 5, 1)  # all negative: zeros would win
    np.testing.assert_allclose(_np(MaxPooling1D(2, padding="same")(x)).ravel(), [-1.0, -3.0, -5.0])
    np.testing.assert_allclose(_np(MaxPooling1D(4, 1, padding="same")(x)).ravel(),
                               [-1.0, -1.0, -2.0, -3.0, -4.0])


# ---------------------------------------------------------------- N-D pooling: shapes


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_pooling_shapes_eager_symbolic_and_unknown(mode, rank, data_format):
    spatial = (5, 6, 7)[:rank]
    shape = (2,) + spatial + (3,) if data_format == "channels_last" else (2, 3) + spatial
    for padding, out in (("valid", (2, 3, 3)), ("same", (3, 3, 4))):
        layer = POOLS[mode, rank](padding=padding, data_format=data_format)
        out = out[:rank]
        expected = (2,) + out + (3,) if data_format == "channels_last" else (2, 3) + out
        assert tuple(layer(_x(*shape)).shape) == expected
        assert layer.compute_output_shape(shape) == expected
        symbolic = layer(keras.Input(shape=shape[1:]))
        assert symbolic.shape == (None,) + expected[1:]
        unknown = tuple(None if i in (0, 1 if data_format == "channels_last" else 2) else d
                        for i, d in enumerate(shape))
        result = layer.compute_output_shape(unknown)
        assert result[0] is None and None in result[1:]
        assert layer(keras.Input(batch_shape=unknown)).shape == result
    assert POOLS[mode, rank]().pool_size == (2,) * rank
    assert POOLS[mode, rank]().strides == (2,) * rank


def test_pooling_strides_default_to_pool_size_and_accept_ints_and_lists():
    layer = MaxPooling2D([3, 2])
    assert layer.pool_size == (3, 2) and layer.strides == (3, 2)
    layer = AveragePooling3D(2, strides=(1, 2, 1), padding="SAME")
    assert layer.strides == (1, 2, 1) and layer.padding == "same"


def test_pooling_in_a_model_with_various_input_sizes():
    model = keras.Sequential([
        keras.Input(shape=(None, None, 1)),
        MaxPooling2D(3, strides=2, padding="same"),
        AveragePooling2D(2, padding="same"),
        GlobalAveragePooling2D(),
        Dense(2),
    ])
    assert model.output_shape == (None, 2)
    for size in (5, 8, 9):
        assert tuple(model(_x(2, size, size + 1, 1)).shape) == (2, 2)


def test_pooling_channels_last_output_is_a_view_of_a_channels_first_result():
    x = torch.tensor(_x(2, 4, 6, 3))
    out = MaxPooling2D()(x)
    assert out.is_contiguous()
    assert torch.equal(out, MaxPooling2D(data_format="channels_first")(x.permute(0, 3, 1, 2))
                       .permute(0, 2, 3, 1))


# ---------------------------------------------------------------- N-D pooling: gradients, config


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pooling_gradients_reach_the_inputs(mode, padding):
    x = torch.tensor(_x(2, 5, 4, 3), requires_grad=True)
    POOLS[mode, 2](3, 2, padding)(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    if mode == "average":
        # Each input cell gets 1/count from every window that holds it.
        layer = AveragePooling1D(3, 2, padding="same")
        x = torch.ones(1, 4, 1, requires_grad=True)
        layer(x).sum().backward()
        np.testing.assert_allclose(_np(x.grad).ravel(), [1 / 3, 1 / 3, 1 / 3 + 1 / 2, 1 / 2])


@pytest.mark.parametrize("mode, rank", list(POOLS))
def test_pooling_config_round_trip(mode, rank):
    layer = POOLS[mode, rank](3, 1, "same", "channels_first", name="pool")
    clone = _round_trip(layer)
    assert clone.pool_size == (3,) * rank and clone.strides == (1,) * rank
    assert clone.padding == "same" and clone.data_format == "channels_first"
    assert clone.name == "pool"
    assert set(layer.get_config()) == {"name", "trainable", "dtype", "pool_size", "padding",
                                       "strides", "data_format"}
    assert layer.weights == [] and layer.count_params() == 0


def test_keras_aliases_are_the_same_classes_and_load_from_configs():
    aliases = {
        "MaxPool1D": MaxPooling1D, "MaxPool2D": MaxPooling2D, "MaxPool3D": MaxPooling3D,
        "AvgPool1D": AveragePooling1D, "AvgPool2D": AveragePooling2D, "AvgPool3D": AveragePooling3D,
        "GlobalMaxPool1D": GlobalMaxPooling1D, "GlobalMaxPool2D": GlobalMaxPooling2D,
        "GlobalMaxPool3D": GlobalMaxPooling3D, "GlobalAvgPool1D": GlobalAveragePooling1D,
        "GlobalAvgPool2D": GlobalAveragePooling2D, "GlobalAvgPool3D": GlobalAveragePooling3D,
    }
    for alias, cls in aliases.items():
        assert getattr(pooling, alias) is cls
        serialized = {"module": "keras.layers", "class_name": alias,
                      "config": cls().get_config(), "registered_name": None}
        assert type(serialization.deserialize_keras_object(serialized, "layers")) is cls


def test_pooling_layers_pickle_and_deepcopy():
    layer = AveragePooling2D(3, 2, padding="same")
    x = _x(1, 5, 5, 2)
    expected = _np(layer(x))
    for clone in (pickle.loads(pickle.dumps(layer)), copy.deepcopy(layer)):
        np.testing.assert_array_equal(_np(clone(x)), expected)


# ---------------------------------------------------------------- N-D pooling: errors


def test_window_larger_than_input_with_valid_padding():
    layer = MaxPooling2D(pool_size=(4, 4), name="pool_a")
    pattern = (r"MaxPooling2D 'pool_a' cannot pool with pool_size=\(4, 4\) over inputs of shape "
               r"\(2, 3, 8, 1\).*size 3 on spatial axis 0 \(rows\).*smaller than the pool size 4"
               r".*padding='same'")
    with pytest.raises(ValueError, match=pattern):
        layer(_x(2, 3, 8, 1))
    with pytest.raises(ValueError, match=r"AveragePooling1D 'pool_b'.*pool_size=\(5,\).*"
                                         r"\(None, 3, 2\).*padding='same'"):
        AveragePooling1D(5, name="pool_b")(keras.Input(shape=(3, 2)))
    with pytest.raises(ValueError, match=r"spatial axis 2 \(dim3\)"):
        MaxPooling3D(2, data_format="channels_first").compute_output_shape((None, 4, 3, 3, 1))
    # The same window fits with padding='same'.
    assert tuple(MaxPooling2D(4, padding="same")(_x(2, 3, 8, 1)).shape) == (2, 1, 2, 1)


def test_image_batch_without_channel_axis_gets_a_hint():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'max_pooling2d' expects inputs of rank 4, "
                                         r"got rank 3 \(shape \(2, 28, 28\)\).*add a channel axis: "
                                         r"x\[\.\.\., None\] or Reshape\(\(28, 28, 1\)\)"):
        MaxPooling2D()(_x(2, 28, 28))
    with pytest.raises(ValueError, match=r"\(batch, channels, rows, cols\).*x\[:, None\] or "
                                         r"Reshape\(\(1, 28, 28\)\)"):
        AveragePooling2D(data_format="channels_first")(_x(2, 28, 28))
    with pytest.raises(ValueError, match=r"GlobalAveragePooling2D.*rank 4.*add a channel axis: "
                                         r"x\[\.\.\., None\] or Reshape\(\(28, 28, 1\)\)"):
        GlobalAveragePooling2D()(keras.Input(shape=(28, 28)))
    # Unknown sizes: Reshape cannot be spelled out, the indexing fix still can.
    with pytest.raises(ValueError, match=r"add a channel axis: x\[\.\.\., None\]\. \(If this"):
        MaxPooling2D()(keras.Input(shape=(None, None)))
    with pytest.raises(ValueError, match=r"MaxPooling1D.*rank 3.*\(batch, steps, channels\).*"
                                         r"2 spatial axes use the 2D layer"):
        MaxPooling1D()(_x(2, 5, 3, 2))


def test_pooling_argument_errors():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'max_pooling2d': `pool_size` must be a "
                                         r"positive integer or a tuple of 2"):
        MaxPooling2D(0)
    with pytest.raises(ValueError, match=r"`pool_size`.*\(2, 2, 2\)"):
        MaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match=r"`strides`.*strides=-1"):
        AveragePooling1D(2, strides=-1)
    with pytest.raises(ValueError, match=r"`padding` must be 'valid' or 'same'.*'causal'"):
        MaxPooling1D(padding="causal")
    with pytest.raises(ValueError, match="data_format"):
        MaxPooling2D(data_format="NHWC")


# ---------------------------------------------------------------- global pooling


@pytest.mark.parametrize("mode, rank", list(GLOBALS))
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_values_and_shapes(mode, rank, data_format, keepdims):
    spatial = (4, 3, 2)[:rank]
    x = _x(2, *spatial, 5)
    if data_format == "channels_first":
        x = _to_channels_first(x)
    axes = tuple(range(1, rank + 1)) if data_format == "channels_last" else \
        tuple(range(2, rank + 2))
    reduce = np.max if mode == "max" else np.mean
    layer = GLOBALS[mode, rank](data_format=data_format, keepdims=keepdims)
    out = layer(x)
    np.testing.assert_allclose(_np(out), reduce(x, axis=axes, keepdims=keepdims), rtol=1e-6)
    assert layer.compute_output_shape(x.shape) == tuple(out.shape)
    symbolic = layer(keras.Input(shape=x.shape[1:]))
    assert symbolic.shape == (None,) + tuple(out.shape[1:])
    unknown = tuple(None if axis in axes or axis == 0 else d for axis, d in enumerate(x.shape))
    assert layer.compute_output_shape(unknown) == (None,) + tuple(out.shape[1:])


@pytest.mark.parametrize("mode, rank", list(GLOBALS))
def test_global_pooling_config_gradient(mode, rank):
    layer = GLOBALS[mode, rank](data_format="channels_first", keepdims=True, name="g")
    clone = _round_trip(layer)
    assert clone.keepdims is True and clone.data_format == "channels_first"
    assert set(layer.get_config()) == {"name", "trainable", "dtype", "data_format", "keepdims"}
    x = torch.tensor(_x(2, *(3,) * rank, 4), requires_grad=True)
    GLOBALS[mode, rank]()(x).sum().backward()
    if mode == "average":
        np.testing.assert_allclose(_np(x.grad), np.full(x.shape, 1 / 3 ** rank), rtol=1e-6)
    else:
        assert _np(x.grad).sum() == pytest.approx(2 * 4)  # one winner per sample and channel


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_average_pooling_1d_mask(data_format, keepdims):
    x = _x(2, 4, 3)
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    expected = np.stack([x[0, :2].mean(0), x[1].mean(0)])
    if keepdims:
        expected = expected[:, None, :] if data_format == "channels_last" else expected[:, :, None]
    inputs = x if data_format == "channels_last" else _to_channels_first(x)
    layer = GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims)
    out = layer(inputs, mask=torch.tensor(mask))
    np.testing.assert_allclose(_np(out), expected, rtol=1e-6)
    assert getattr(out, "_keras_mask", None) is None
    # A mask carried by the tensor (as from Embedding(mask_zero=True)) is used too.
    tensor = torch.tensor(inputs, requires_grad=True)
    tensor._keras_mask = torch.tensor(mask)
    out = layer(tensor)
    np.testing.assert_allclose(_np(out), expected, rtol=1e-6)
    out.sum().backward()
    grad = _np(tensor.grad) if data_format == "channels_last" else np.moveaxis(_np(tensor.grad), 1, -1)
    np.testing.assert_allclose(grad[0], np.array([0.5, 0.5, 0, 0])[:, None].repeat(3, 1))
    np.testing.assert_allclose(grad[1], np.full((4, 3), 0.25))
    assert layer.supports_masking


def test_global_average_pooling_1d_mask_given_as_numpy():
    out = GlobalAveragePooling1D()(np.array([[[1.0, 6.0], [4.0, 2.0], [4.0, 4.0]]], "float32"),
                                   mask=np.array([[True, True, False]]))
    np.testing.assert_allclose(_np(out), [[2.5, 4.0]])


def test_global_average_pooling_1d_all_masked_gives_nan_like_keras():
    out = GlobalAveragePooling1D()(_x(1, 3, 2), mask=torch.zeros(1, 3, dtype=torch.bool))
    assert torch.isnan(out).all()


def test_other_pooling_layers_drop_masks():
    x = torch.tensor(_x(2, 4, 3))
    x._keras_mask = torch.tensor([[True, True, False, False]] * 2)
    for layer in (GlobalMaxPooling1D(), MaxPooling1D(), AveragePooling1D()):
        assert getattr(layer(x), "_keras_mask", None) is None
    np.testing.assert_allclose(_np(GlobalMaxPooling1D()(x)), _np(x).max(axis=1))
