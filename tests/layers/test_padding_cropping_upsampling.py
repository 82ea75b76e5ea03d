"""ZeroPadding1D/2D/3D, Cropping1D/2D/3D and UpSampling1D/2D/3D."""

import json

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from layerwise.saving import serialization

PADDINGS = {1: ZeroPadding1D, 2: ZeroPadding2D, 3: ZeroPadding3D}
CROPPINGS = {1: Cropping1D, 2: Cropping2D, 3: Cropping3D}
UPSAMPLINGS = {1: UpSampling1D, 2: UpSampling2D, 3: UpSampling3D}


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


def _channels_first(x):
    return np.moveaxis(x, -1, 1)


def _layouts(x, data_format):
    """``x`` (channels_last) in ``data_format``, and a function that brings results back."""
    if data_format == "channels_last":
        return x, lambda y: y
    return _channels_first(x), lambda y: np.moveaxis(y, 1, -1)


def _gradient_flows(layer, x):
    x = torch.tensor(x, requires_grad=True)
    layer(x).pow(2).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    return x.grad


def _check_shapes(layer, x, expected):
    """Eager, symbolic and compute_output_shape (also with unknown sizes) agree on ``expected``."""
    assert tuple(layer(x).shape) == expected
    assert layer.compute_output_shape(x.shape) == expected
    assert layer(keras.Input(shape=x.shape[1:])).shape == (None,) + expected[1:]
    unknown = (None,) + tuple(None if axis in layer._spatial_axes else d
                              for axis, d in enumerate(x.shape) if axis > 0)
    result = layer.compute_output_shape(unknown)
    assert result == tuple(None if axis in layer._spatial_axes or axis == 0 else d
                           for axis, d in enumerate(expected))
    assert layer(keras.Input(batch_shape=unknown)).shape == result


# ---------------------------------------------------------------- ZeroPadding


@pytest.mark.parametrize("rank, padding, pairs", [
    (1, 2, ((2, 2),)),
    (1, (1, 3), ((1, 3),)),
    (2, 1, ((1, 1), (1, 1))),
    (2, (2, 0), ((2, 2), (0, 0))),
    (2, ((1, 2), (0, 3)), ((1, 2), (0, 3))),
    (3, 1, ((1, 1),) * 3),
    (3, (1, 0, 2), ((1, 1), (0, 0), (2, 2))),
    (3, ((0, 1), (2, 0), (1, 1)), ((0, 1), (2, 0), (1, 1))),
])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_zero_padding_values_and_shapes(rank, padding, pairs, data_format):
    x = _x(2, *(3, 4, 2)[:rank], 3)
    inputs, back = _layouts(x, data_format)
    layer = PADDINGS[rank](padding, data_format=data_format)
    expected = np.pad(x, ((0, 0),) + pairs + ((0, 0),))
    np.testing.assert_array_equal(back(_np(layer(inputs))), expected)
    _check_shapes(layer, inputs, tuple(_layouts(expected, data_format)[0].shape))
    assert layer.padding == (pairs[0] if rank == 1 else pairs)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_zero_padding_default_config_and_gradient(rank):
    layer = PADDINGS[rank]()
    assert tuple(layer(_x(1, *(2,) * rank, 1)).shape) == (1,) + (4,) * rank + (1,)
    clone = _round_trip(PADDINGS[rank](2, data_format="channels_first", name="pad"))
    assert clone.data_format == "channels_first" and clone.name == "pad"
    assert set(clone.get_config()) == {"name", "trainable", "dtype", "padding", "data_format"}
    grad = _gradient_flows(PADDINGS[rank](1), _x(2, *(3,) * rank, 2))
    assert grad.shape == (2,) + (3,) * rank + (2,)


def test_zero_padding_errors():
    with pytest.raises(ValueError, match=r"ZeroPadding2D 'zero_padding2d': `padding` cannot be "
                                         r"negative.*\(\(1, -1\), \(0, 0\)\).*Cropping"):
        ZeroPadding2D(((1, -1), (0, 0)))
    with pytest.raises(ValueError, match=r"ZeroPadding1D.*negative"):
        ZeroPadding1D(-1)
    with pytest.raises(ValueError, match=r"`padding` must be an integer, a tuple of 3 integers"):
        ZeroPadding3D((1, 2))
    with pytest.raises(ValueError, match=r"tuple of 2 integers \(before, after\)"):
        ZeroPadding1D((1, 2, 3))
    with pytest.raises(ValueError, match=r"ZeroPadding2D 'zero_padding2d_1' expects inputs of rank "
                                         r"4, got rank 3.*add a channel axis: x\[\.\.\., None\]"):
        ZeroPadding2D()(_x(2, 5, 5))


# ---------------------------------------------------------------- Cropping


def _with_layouts(cases):
    """Each case in both layouts, except 1-D layers without data_format (as in Keras)."""
    return [case + (data_format,) for case in cases
            for data_format in ("channels_last", "channels_first")
            if case[0] > 1 or data_format == "channels_last"]


@pytest.mark.parametrize("rank, cropping, pairs, data_format", _with_layouts([
    (1, 1, ((1, 1),)),
    (1, (0, 2), ((0, 2),)),
    (2, 1, ((1, 1), (1, 1))),
    (2, (2, 0), ((2, 2), (0, 0))),
    (2, ((1, 0), (0, 2)), ((1, 0), (0, 2))),
    (3, (1, 0, 2), ((1, 1), (0, 0), (2, 2))),
    (3, ((0, 1), (2, 0), (1, 2)), ((0, 1), (2, 0), (1, 2))),
]))
def test_cropping_values_and_shapes(rank, cropping, pairs, data_format):
    x = _x(2, *(5, 6, 7)[:rank], 3)
    inputs, back = _layouts(x, data_format)
    kwargs = {} if rank == 1 else {"data_format": data_format}
    layer = CROPPINGS[rank](cropping, **kwargs)
    window = tuple(slice(b, n - a) for (b, a), n in zip(pairs, x.shape[1:-1]))
    expected = x[(slice(None),) + window + (slice(None),)]
    out = layer(torch.tensor(inputs))
    np.testing.assert_array_equal(back(_np(out)), expected)
    _check_shapes(layer, inputs, tuple(_layouts(expected, data_format)[0].shape))
    assert layer.cropping == (pairs[0] if rank == 1 else pairs)


def test_cropping_returns_a_view():
    x = torch.tensor(_x(2, 6, 6, 3))
    out = Cropping2D(((1, 2), (0, 1)))(x)
    assert out._base is x or out.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_cropping_defaults_config_and_gradient(rank):
    defaults = {1: (1, 1), 2: ((0, 0), (0, 0)), 3: ((1, 1), (1, 1), (1, 1))}
    assert CROPPINGS[rank]().cropping == defaults[rank]
    kwargs = {} if rank == 1 else {"data_format": "channels_first"}
    clone = _round_trip(CROPPINGS[rank](1, name="crop", **kwargs))
    assert clone.name == "crop"
    keys = {"name", "trainable", "dtype", "cropping"} | ({"data_format"} if rank > 1 else set())
    assert set(clone.get_config()) == keys
    grad = _gradient_flows(CROPPINGS[rank](1), _x(2, *(4,) * rank, 2))
    inner = (slice(None),) + (slice(1, 3),) * rank + (slice(None),)
    assert (grad[inner] != 0).all() and grad.abs().sum() == grad[inner].abs().sum()


def test_cropping_errors():
    with pytest.raises(ValueError, match=r"Cropping2D 'cropping2d': `cropping` cannot be negative"):
        Cropping2D(-1)
    with pytest.raises(ValueError, match=r"Cropping1D.*cannot be negative.*\(2, -1\)"):
        Cropping1D((2, -1))
    with pytest.raises(ValueError, match=r"`cropping` must be an integer, a tuple of 2 integers"):
        Cropping2D((1, 2, 3))
    layer = Cropping2D(((1, 1), (2, 3)), name="crop")
    pattern = (r"Cropping2D 'crop' cannot crop \(2, 3\) from spatial axis 2 \(cols\) of inputs of "
               r"shape \(2, 6, 5, 1\): that axis has 5 cells and the cropping removes 5, leaving "
               r"nothing.*crop less")
    with pytest.raises(ValueError, match=pattern):
        layer(_x(2, 6, 5, 1))
    with pytest.raises(ValueError, match=r"Cropping1D 'crop1'.*spatial axis 1 \(steps\).*"
                                         r"\(None, 4, 3\).*4 cells"):
        Cropping1D(2, name="crop1")(keras.Input(shape=(4, 3)))
    with pytest.raises(ValueError, match=r"Cropping3D.*axis 3 \(dim2\)"):
        Cropping3D(((0, 0), (2, 2), (0, 0)), data_format="channels_first").compute_output_shape(
            (None, 1, 5, 4, 5))
    with pytest.raises(ValueError, match=r"Cropping1D takes no `data_format`.*Permute\(\(2, 1\)\)"):
        Cropping1D(1, data_format="channels_first")


# ---------------------------------------------------------------- UpSampling


def _repeat(x, factors):
    for axis, factor in enumerate(factors, start=1):
        x = np.repeat(x, factor, axis=axis)
    return x


@pytest.mark.parametrize("rank, size, factors, data_format", _with_layouts([
    (1, 2, (2,)), (1, 3, (3,)),
    (2, 2, (2, 2)), (2, (1, 3), (1, 3)), (2, [3, 2], (3, 2)),
    (3, 2, (2, 2, 2)), (3, (1, 2, 3), (1, 2, 3)),
]))
def test_upsampling_nearest_repeats_cells(rank, size, factors, data_format):
    x = _x(2, *(3, 2, 2)[:rank], 3)
    inputs, back = _layouts(x, data_format)
    kwargs = {} if rank == 1 else {"data_format": data_format}
    layer = UPSAMPLINGS[rank](size, **kwargs)
    expected = _repeat(x, factors)
    np.testing.assert_array_equal(back(_np(layer(inputs))), expected)
    _check_shapes(layer, inputs, tuple(_layouts(expected, data_format)[0].shape))


def _bilinear_reference(x, factors):
    """Half-pixel-centre bilinear upsampling of a channels_last batch, without antialiasing."""
    out = x
    for axis, factor in ((1, factors[0]), (2, factors[1])):
        n = out.shape[axis]
        centres = (np.arange(n * factor) + 0.5) / factor - 0.5
        centres = np.clip(centres, 0, n - 1)
        low = np.floor(centres).astype(int)
        high = np.minimum(low + 1, n - 1)
        weight = (centres - low).reshape([-1 if a == axis else 1 for a in range(out.ndim)])
        out = np.take(out, low, axis=axis) * (1 - weight) + np.take(out, high, axis=axis) * weight
    return out


@pytest.mark.parametrize("size", [2, (3, 2)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_upsampling_2d_bilinear(size, data_format):
    x = _x(2, 3, 4, 2)
    inputs, back = _layouts(x, data_format)
    layer = UpSampling2D(size, data_format=data_format, interpolation="Bilinear")
    assert layer.interpolation == "bilinear"
    factors = (size, size) if isinstance(size, int) else size
    np.testing.assert_allclose(back(_np(layer(inputs))), _bilinear_reference(x, factors),
                               rtol=1e-5, atol=1e-6)
    # A constant image stays constant; bicubic keeps the shape.
    np.testing.assert_allclose(_np(layer(np.full(inputs.shape, 2.0, "float32"))), 2.0)
    bicubic = UpSampling2D(size, data_format=data_format, interpolation="bicubic")
    assert tuple(bicubic(inputs).shape) == tuple(layer(inputs).shape)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_upsampling_defaults_config_and_gradient(rank):
    defaults = {1: 2, 2: (2, 2), 3: (2, 2, 2)}
    assert UPSAMPLINGS[rank]().size == defaults[rank]
    kwargs = {} if rank == 1 else {"data_format": "channels_first"}
    if rank == 2:
        kwargs["interpolation"] = "bilinear"
    clone = _round_trip(UPSAMPLINGS[rank](3, name="up", **kwargs))
    assert clone.name == "up" and clone.size == (3 if rank == 1 else (3,) * rank)
    keys = {"name", "trainable", "dtype", "size"} | ({"data_format"} if rank > 1 else set()) \
        | ({"interpolation"} if rank == 2 else set())
    assert set(clone.get_config()) == keys
    # Each input cell is copied prod(size) times, so d(sum)/dx is prod(size).
    x = torch.tensor(_x(2, *(2,) * rank, 3), requires_grad=True)
    UPSAMPLINGS[rank](2)(x).sum().backward()
    np.testing.assert_allclose(_np(x.grad), np.full(x.shape, 2.0 ** rank))
    _gradient_flows(UpSampling2D(2, interpolation="bilinear"), _x(1, 3, 3, 2))


def test_upsampling_errors():
    with pytest.raises(TypeError, match=r"UpSampling1D: `size` must be an integer.*float 2\.0"):
        UpSampling1D(2.0)
    with pytest.raises(ValueError, match=r"UpSampling1D 'up_sampling1d': `size` must be a positive"):
        UpSampling1D(0)
    with pytest.raises(ValueError, match=r"UpSampling1D takes no `data_format`"):
        UpSampling1D(2, data_format="channels_last")
    with pytest.raises(ValueError, match=r"`size` must be a positive integer or a tuple of 2.*"
                                         r"\(2, 0\)"):
        UpSampling2D((2, 0))
    with pytest.raises(ValueError, match=r"tuple of 3 positive integers"):
        UpSampling3D((2, 2))
    with pytest.raises(ValueError, match=r"interpolation='lanczos3' is not supported.*'bilinear'"):
        UpSampling2D(interpolation="lanczos3")
    with pytest.raises(ValueError, match=r"`interpolation` must be one of.*'area'"):
        UpSampling2D(interpolation="area")
    with pytest.raises(ValueError, match=r"UpSampling2D.*rank 4, got rank 3.*x\[\.\.\., None\]"):
        UpSampling2D()(_x(2, 4, 4))
    with pytest.raises(ValueError, match=r"UpSampling1D.*rank 3.*\(batch, steps, features\)"):
        UpSampling1D()(_x(2, 4))


def test_unet_style_model_shapes():
    inputs = keras.Input(shape=(8, 8, 3))
    x = ZeroPadding2D(1)(inputs)
    x = Cropping2D(1)(x)
    skip = x
    x = UpSampling2D(2)(x)
    x = Cropping2D(((4, 4), (4, 4)))(x)
    model = keras.Model(inputs, keras.layers.Concatenate()([x, skip]))
    assert model.output_shape == (None, 8, 8, 6)
    assert tuple(model(_x(2, 8, 8, 3)).shape) == (2, 8, 8, 6)


def test_masks_are_dropped():
    x = torch.tensor(_x(2, 4, 3))
    x._keras_mask = torch.ones(2, 4, dtype=torch.bool)
    for layer in (ZeroPadding1D(), Cropping1D(), UpSampling1D()):
        assert getattr(layer(x), "_keras_mask", None) is None
