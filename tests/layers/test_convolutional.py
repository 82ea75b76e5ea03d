"""Convolution layers: shapes, weights, padding semantics, gradients, freezing, configs, errors."""

import doctest
import json
import re
import types

import numpy as np
import pytest
import torch

import layerwise
from layerwise.layers import convolutional as conv
from layerwise.layers.core import Dense
from layerwise.layers.reshaping import Flatten
from layerwise.saving import registry


def _data(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _np(tensor):
    return tensor.detach().cpu().numpy()


# One representative configuration per layer: (class name, input shape, config, output shape,
# weight names and shapes).
LAYERS = [
    ("Conv1D", (2, 9, 4), {"filters": 3, "kernel_size": 3}, (2, 7, 3),
     [("kernel", (3, 4, 3)), ("bias", (3,))]),
    ("Conv2D", (2, 7, 8, 4), {"filters": 6, "kernel_size": (3, 2), "groups": 2}, (2, 5, 7, 6),
     [("kernel", (3, 2, 2, 6)), ("bias", (6,))]),
    ("Conv3D", (2, 5, 6, 4, 3), {"filters": 2, "kernel_size": 2, "strides": 2}, (2, 2, 3, 2, 2),
     [("kernel", (2, 2, 2, 3, 2)), ("bias", (2,))]),
    ("SeparableConv1D", (2, 9, 3), {"filters": 5, "kernel_size": 3, "depth_multiplier": 2}, (2, 7, 5),
     [("depthwise_kernel", (3, 3, 2)), ("pointwise_kernel", (1, 6, 5)), ("bias", (5,))]),
    ("SeparableConv2D", (2, 7, 8, 3), {"filters": 4, "kernel_size": 3, "padding": "same"}, (2, 7, 8, 4),
     [("depthwise_kernel", (3, 3, 3, 1)), ("pointwise_kernel", (1, 1, 3, 4)), ("bias", (4,))]),
    ("DepthwiseConv1D", (2, 9, 3), {"kernel_size": 4, "depth_multiplier": 2, "strides": 2}, (2, 3, 6),
     [("kernel", (4, 3, 2)), ("bias", (6,))]),
    ("DepthwiseConv2D", (2, 7, 8, 3), {"kernel_size": 3, "depth_multiplier": 3}, (2, 5, 6, 9),
     [("kernel", (3, 3, 3, 3)), ("bias", (9,))]),
    ("Conv1DTranspose", (2, 5, 3), {"filters": 4, "kernel_size": 3, "strides": 2}, (2, 11, 4),
     [("kernel", (3, 4, 3)), ("bias", (4,))]),
    ("Conv2DTranspose", (2, 4, 5, 3), {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
     (2, 8, 10, 2), [("kernel", (3, 3, 2, 3)), ("bias", (2,))]),
    ("Conv3DTranspose", (2, 2, 3, 2, 3), {"filters": 2, "kernel_size": 2, "strides": (1, 2, 2)},
     (2, 3, 6, 4, 2), [("kernel", (2, 2, 2, 2, 3)), ("bias", (2,))]),
]
IDS = [case[0] for case in LAYERS]


def _layer(cls_name, config, **extra):
    return getattr(conv, cls_name)(**config, **extra)


# ====================================================================== shapes and weights


@pytest.mark.parametrize("name,shape,config,out_shape,weights", LAYERS, ids=IDS)
def test_output_shapes_eager_symbolic_and_computed(name, shape, config, out_shape, weights):
    layer = _layer(name, config)
    y = layer(_data(*shape))
    assert tuple(y.shape) == out_shape
    assert layer.compute_output_shape(shape) == out_shape
    symbolic = _layer(name, config)(layerwise.Input(shape[1:]))
    assert tuple(symbolic.shape) == (None,) + out_shape[1:]


@pytest.mark.parametrize("name,shape,config,out_shape,weights", LAYERS, ids=IDS)
def test_weights_in_keras_layout_order_and_count(name, shape, config, out_shape, weights):
    layer = _layer(name, config)
    layer.build(shape)
    assert [(w.name, w.shape) for w in layer.weights] == weights
    assert layer.count_params() == sum(int(np.prod(s)) for _, s in weights)
    no_bias = _layer(name, config, use_bias=False)
    no_bias.build(shape)
    assert [w.name for w in no_bias.weights] == [n for n, _ in weights if n != "bias"]
    assert no_bias.bias is None


@pytest.mark.parametrize("name,shape,config,out_shape,weights", LAYERS, ids=IDS)
def test_config_round_trip(name, shape, config, out_shape, weights):
    layer = _layer(name, config, activation="relu", name="original")
    y = layer(_data(*shape))
    config_out = layer.get_config()
    clone = getattr(conv, name).from_config(config_out)
    assert clone.get_config() == config_out
    clone.build(shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(_np(clone(_data(*shape))), _np(y), rtol=1e-6, atol=1e-6)
    # Configs survive JSON (tuples come back as lists).
    from_json = getattr(conv, name).from_config(json.loads(json.dumps(config_out)))
    assert from_json.get_config() == config_out


@pytest.mark.parametrize("name,shape,config,out_shape,weights", LAYERS, ids=IDS)
def test_gradients_reach_every_weight_and_the_inputs(name, shape, config, out_shape, weights):
    layer = _layer(name, config)
    x = torch.tensor(_data(*shape), requires_grad=True)
    layer(x).square().sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0
    assert len(layer.trainable_weights) == len(weights)
    for w in layer.trainable_weights:
        assert w.grad is not None and float(w.grad.abs().sum()) > 0, w.name


@pytest.mark.parametrize("name,shape,config,out_shape,weights", LAYERS, ids=IDS)
def test_frozen_layer_gets_no_gradient(name, shape, config, out_shape, weights):
    layer = _layer(name, config)
    layer.build(shape)
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == len(weights)
    x = torch.tensor(_data(*shape), requires_grad=True)
    layer(x).square().sum().backward()
    assert x.grad is not None
    assert all(w.grad is None for w in layer.weights)


@pytest.mark.parametrize("name,shape,config,out_shape,weights", LAYERS, ids=IDS)
def test_channels_first_is_channels_last_transposed(name, shape, config, out_shape, weights):
    rank = len(shape) - 2
    last = _layer(name, config)
    first = _layer(name, config, data_format="channels_first")
    x = _data(*shape)
    y_last = last(x)
    to_first = (0, rank + 1) + tuple(range(1, rank + 1))
    first.build(x.transpose(to_first).shape)
    first.set_weights(last.get_weights())
    y_first = first(np.ascontiguousarray(x.transpose(to_first)))
    assert first.compute_output_shape(x.transpose(to_first).shape) == tuple(y_first.shape)
    np.testing.assert_allclose(_np(y_first), _np(y_last.permute(to_first)), rtol=1e-5, atol=1e-5)


def test_image_data_format_default_follows_backend():
    layerwise.backend.set_image_data_format("channels_first")
    try:
        layer = conv.Conv2D(2, 3)
        assert layer.data_format == "channels_first"
        assert layer(_data(1, 3, 6, 6)).shape == (1, 2, 4, 4)
    finally:
        layerwise.backend.set_image_data_format("channels_last")
    assert conv.Conv2D(2, 3).data_format == "channels_last"


# ====================================================================== what is computed


def _reference_conv2d(x, kernel, bias, strides, pads, dilation=(1, 1)):
    """A plain numpy channels_last convolution with explicit (top, bottom, left, right) zero padding."""
    x = np.pad(x, ((0, 0), (pads[0], pads[1]), (pads[2], pads[3]), (0, 0)))
    kh, kw, _, filters = kernel.shape
    sh, sw = strides
    dh, dw = dilation
    rows = (x.shape[1] - (kh - 1) * dh - 1) // sh + 1
    cols = (x.shape[2] - (kw - 1) * dw - 1) // sw + 1
    out = np.zeros((x.shape[0], rows, cols, filters), dtype="float64")
    for i in range(rows):
        for j in range(cols):
            window = x[:, i * sh:i * sh + (kh - 1) * dh + 1:dh, j * sw:j * sw + (kw - 1) * dw + 1:dw, :]
            out[:, i, j, :] = np.tensordot(window, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return out + bias


@pytest.mark.parametrize("size,kernel,strides,pads", [
    (6, 2, 1, (0, 1)),  # even kernel, stride 1: the extra row/column at the end
    (6, 3, 1, (1, 1)),
    (7, 3, 2, (1, 1)),
    (6, 3, 2, (0, 1)),  # odd total with a stride: extra at the end again
    (8, 4, 3, (1, 2)),
])
def test_same_padding_puts_the_extra_at_the_end(size, kernel, strides, pads):
    layer = conv.Conv2D(3, kernel, strides=strides, padding="same")
    x = _data(2, size, size, 2)
    y = layer(x)
    expected = _reference_conv2d(x, layer.kernel.numpy(), layer.bias.numpy(),
                                 (strides, strides), pads + pads)
    assert y.shape[1] == -(-size // strides)
    np.testing.assert_allclose(_np(y), expected, rtol=1e-5, atol=1e-5)


def test_same_padding_with_stride_is_planned_per_input_size():
    layer = conv.Conv2D(2, 3, strides=2, padding="same")
    for size in (5, 6, 7, 6):
        x = _data(1, size, size + 1, 2, seed=size)
        y = layer(x)
        total_h = max(0, (-(-size // 2) - 1) * 2 + 3 - size)
        total_w = max(0, (-(-(size + 1) // 2) - 1) * 2 + 3 - (size + 1))
        pads = (total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2)
        expected = _reference_conv2d(x, layer.kernel.numpy(), layer.bias.numpy(), (2, 2), pads)
        np.testing.assert_allclose(_np(y), expected, rtol=1e-5, atol=1e-5)


def test_valid_padding_with_dilation_and_groups_matches_reference():
    layer = conv.Conv2D(4, 2, dilation_rate=2, groups=2, bias_initializer="ones")
    x = _data(2, 6, 7, 4)
    y = _np(layer(x))
    kernel = layer.kernel.numpy()  # (2, 2, 2, 4): group g maps inputs 2g:2g+2 to outputs 2g:2g+2
    for g in range(2):
        expected = _reference_conv2d(x[..., 2 * g:2 * g + 2], kernel[..., 2 * g:2 * g + 2], 1.0,
                                     (1, 1), (0, 0, 0, 0), dilation=(2, 2))
        np.testing.assert_allclose(y[..., 2 * g:2 * g + 2], expected, rtol=1e-5, atol=1e-5)


def test_causal_conv1d_never_looks_ahead():
    layer = conv.Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = torch.tensor(_data(1, 10, 3), requires_grad=True)
    y = layer(x)
    assert y.shape == (1, 10, 2)
    y[0, 4].sum().backward()
    grad = x.grad[0].abs().sum(dim=1)
    assert float(grad[5:].sum()) == 0.0  # output[4] ignores input[5:]
    assert float(grad[[0, 2, 4]].min()) > 0  # and sees input[4], input[2], input[0] (dilation 2)
    assert float(grad[[1, 3]].sum()) == 0.0


def test_depthwise_output_channels_are_grouped_by_input_channel():
    layer = conv.DepthwiseConv2D(2, depth_multiplier=3, use_bias=False)
    x = _data(1, 4, 5, 2)
    y = _np(layer(x))
    kernel = layer.kernel.numpy()  # (2, 2, 2 inputs, 3 multipliers)
    for c in range(2):
        for m in range(3):
            expected = _reference_conv2d(x[..., c:c + 1], kernel[:, :, c:c + 1, m:m + 1], 0.0, (1, 1),
                                         (0, 0, 0, 0))
            np.testing.assert_allclose(y[..., c * 3 + m], expected[..., 0], rtol=1e-5, atol=1e-5)


def test_separable_is_depthwise_then_pointwise():
    separable = conv.SeparableConv2D(5, 3, depth_multiplier=2, padding="same", strides=2)
    x = _data(2, 7, 6, 3)
    y = separable(x)
    depthwise = conv.DepthwiseConv2D(3, depth_multiplier=2, padding="same", strides=2, use_bias=False)
    pointwise = conv.Conv2D(5, 1)
    depthwise.build(x.shape)
    depthwise.set_weights([separable.depthwise_kernel.numpy()])
    middle = depthwise(x)
    pointwise.build(tuple(middle.shape))
    pointwise.set_weights([separable.pointwise_kernel.numpy(), separable.bias.numpy()])
    np.testing.assert_allclose(_np(y), _np(pointwise(middle)), rtol=1e-5, atol=1e-5)


def test_transposed_convolution_is_the_gradient_of_a_convolution():
    """Conv2DTranspose with kernel K computes the input-gradient of Conv2D with kernel K ('valid')."""
    forward = conv.Conv2D(3, 3, strides=2, use_bias=False)
    x = torch.tensor(_data(1, 9, 9, 2), requires_grad=True)
    y = forward(x)
    upstream = torch.tensor(_data(*y.shape, seed=3))
    (grad,) = torch.autograd.grad((y * upstream).sum(), x)
    transposed = conv.Conv2DTranspose(2, 3, strides=2, use_bias=False)
    transposed.build(tuple(upstream.shape))
    transposed.set_weights([forward.kernel.numpy()])  # (3, 3, 2, 3) reads as (k, k, filters=2, in=3)
    np.testing.assert_allclose(_np(transposed(upstream)), _np(grad), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("padding,output_padding,expected", [
    ("valid", None, 11), ("same", None, 10), ("valid", 1, 12), ("same", 1, 10), ("same", 0, 9),
])
def test_transposed_output_lengths(padding, output_padding, expected):
    layer = conv.Conv1DTranspose(2, 3, strides=2, padding=padding, output_padding=output_padding)
    y = layer(_data(1, 5, 3))
    assert y.shape == (1, expected, 2)
    assert layer.compute_output_shape((1, 5, 3)) == (1, expected, 2)


def test_channels_last_output_is_a_view_in_channels_last_memory():
    """NHWC in, NHWC out, no layout copies: the result is contiguous in the Keras layout."""
    y = conv.Conv2D(4, 3, padding="same")(_data(2, 8, 8, 3))
    assert y.is_contiguous()
    y1 = conv.Conv1D(4, 3)(_data(2, 8, 3))
    assert y1.is_contiguous()


def test_integer_images_are_cast_to_the_layer_dtype():
    layer = conv.Conv2D(2, 3)
    images = np.random.default_rng(0).integers(0, 255, size=(2, 5, 5, 1)).astype("uint8")
    y = layer(images)
    assert y.dtype == torch.float32
    np.testing.assert_allclose(_np(y), _np(layer(images.astype("float32"))), rtol=1e-6)


def test_default_kernel_initializer_is_glorot_uniform_and_bias_zeros():
    layer = conv.Conv2D(8, 3)
    layer.build((None, 10, 10, 4))
    limit = np.sqrt(6.0 / (3 * 3 * 4 + 3 * 3 * 8))  # fans include the receptive field, as in Keras
    kernel = layer.kernel.numpy()
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.8 * limit
    assert not layer.bias.numpy().any()


def test_regularizers_constraints_and_activity_regularizer():
    layer = conv.Conv2D(2, 3, kernel_regularizer=layerwise.regularizers.L2(0.1),
                        bias_regularizer="l1", bias_initializer="ones", kernel_constraint="non_neg",
                        activity_regularizer=layerwise.regularizers.L1(0.5))
    x = _data(4, 5, 5, 1)
    y = layer(x)
    assert layer.kernel.constraint is not None and layer.bias.constraint is None
    kernel_penalty = 0.1 * float((layer.kernel.numpy() ** 2).sum())
    bias_penalty = 0.01 * 2.0
    activity = 0.5 * float(np.abs(_np(y)).sum()) / 4
    np.testing.assert_allclose(float(sum(layer.losses).detach()),
                               kernel_penalty + bias_penalty + activity, rtol=1e-5)
    separable = conv.SeparableConv1D(2, 3, depthwise_regularizer="l2", pointwise_regularizer="l2",
                                     depthwise_constraint="max_norm")
    separable.build((None, 6, 2))
    assert len(separable.losses) == 2
    assert separable.depthwise_kernel.constraint is not None


def test_aliases_and_registry():
    assert conv.Convolution1D is conv.Conv1D and conv.Convolution2D is conv.Conv2D
    assert conv.Convolution3D is conv.Conv3D
    assert conv.SeparableConvolution2D is conv.SeparableConv2D
    assert conv.Convolution2DTranspose is conv.Conv2DTranspose
    layers = registry.builtin_objects("layers")
    for name in ("Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D",
                 "DepthwiseConv2D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
                 "Convolution2D", "SeparableConvolution1D", "Convolution3DTranspose"):
        assert name in layers
    assert conv.Conv2DTranspose._keras_module == "keras.layers"


def test_default_names_follow_keras():
    assert conv.Conv2D(2, 3).name == "conv2d"
    assert conv.Conv2D(2, 3).name == "conv2d_1"
    assert conv.Conv2DTranspose(2, 3).name == "conv2d_transpose"
    assert conv.DepthwiseConv2D(3).name == "depthwise_conv2d"
    assert conv.SeparableConv1D(2, 3).name == "separable_conv1d"


def test_conv3d_transpose_takes_data_format_before_output_padding():
    layer = conv.Conv3DTranspose(2, 3, 2, "valid", "channels_first", 1)
    assert layer.data_format == "channels_first" and layer.output_padding == (1, 1, 1)
    layer2 = conv.Conv2DTranspose(2, 3, 2, "valid", 1, "channels_first")
    assert layer2.data_format == "channels_first" and layer2.output_padding == (1, 1)


def test_variable_length_sequences():
    model = layerwise.Sequential([layerwise.Input((None, 4)), conv.Conv1D(3, 3, padding="causal"),
                                  conv.Conv1D(2, 2, strides=2, padding="same")])
    assert model.output_shape == (None, None, 2)
    for steps in (5, 8):
        assert model.predict(_data(2, steps, 4), verbose=0).shape == (2, -(-steps // 2), 2)


def test_course_cifar_network_counts_and_trains():
    inputs = layerwise.Input((32, 32, 3))
    x = conv.Conv2D(50, (3, 3), activation="relu")(inputs)
    x = conv.Conv2D(50, (3, 3), activation="relu")(x)
    x = Flatten()(x)
    model = layerwise.Model(inputs, Dense(10)(x))
    assert [layer.count_params() for layer in model.layers] == [0, 1400, 22550, 0, 392010]
    assert model.count_params() == 415_960
    assert model.layers[2].output.shape == (None, 28, 28, 50)
    model.compile(optimizer="adam",
                  loss=layerwise.losses.SparseCategoricalCrossentropy(from_logits=True))
    x_train = np.random.default_rng(0).random((16, 32, 32, 3)).astype("float32")
    y_train = np.arange(16) % 10
    history = model.fit(x_train, y_train, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_legacy_input_shape_on_first_layer():
    model = layerwise.Sequential([conv.Conv2D(4, 3, input_shape=(8, 8, 1)), Flatten(), Dense(2)])
    assert model.output_shape == (None, 2)
    assert model.layers[0].count_params() == 3 * 3 * 1 * 4 + 4


def test_docstring_examples_run():
    namespace = types.SimpleNamespace(layers=conv)
    results = doctest.testmod(conv, extraglobs={"np": np, "layerwise": namespace}, verbose=False)
    assert results.attempted >= 30 and results.failed == 0


# ====================================================================== errors


@pytest.mark.parametrize("make,shape,fix", [
    (lambda: conv.Conv2D(3, 3), (5, 28, 28), "x[..., None] or Reshape((28, 28, 1))"),
    (lambda: conv.Conv2D(3, 3), (5, 32, 24), "x[..., None] or Reshape((32, 24, 1))"),
    (lambda: conv.Conv2D(3, 3, data_format="channels_first"), (5, 28, 28),
     "x[:, None] or Reshape((1, 28, 28))"),
    (lambda: conv.Conv1D(3, 3), (5, 100), "x[..., None] or Reshape((100, 1))"),
    (lambda: conv.DepthwiseConv2D(3), (5, 28, 28), "x[..., None] or Reshape((28, 28, 1))"),
    (lambda: conv.Conv2DTranspose(3, 3), (5, 28, 28), "x[..., None] or Reshape((28, 28, 1))"),
])
def test_missing_channel_axis_names_layer_shape_and_fix(make, shape, fix):
    layer = make()
    with pytest.raises(ValueError, match=re.escape(f"{type(layer).__name__} '{layer.name}' expects inputs of "
                                                   f"rank {len(shape) + 1}, got rank {len(shape)} "
                                                   f"(shape {shape})")) as info:
        layer(np.zeros(shape, "float32"))
    assert "add a channel axis: " + fix in str(info.value)


def test_missing_channel_axis_in_a_model_and_after_build():
    with pytest.raises(ValueError, match=re.escape(
            "Conv2D 'conv2d' expects inputs of rank 4, got rank 3 (shape (None, 28, 28)). Expected "
            "channels_last inputs (batch, rows, cols, channels). The channel axis is missing; add a "
            "channel axis: x[..., None] or Reshape((28, 28, 1)).")):
        layerwise.Sequential([layerwise.Input((28, 28)), conv.Conv2D(3, 3)])
    layer = conv.Conv2D(3, 3)
    layer(np.zeros((2, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match=re.escape("add a channel axis: x[..., None] or Reshape((8, 8, 1))")):
        layer(np.zeros((2, 8, 8), "float32"))


def test_single_image_without_batch_axis_gets_both_suggestions():
    with pytest.raises(ValueError, match=re.escape("add a batch axis instead: x[None, ...]")):
        conv.Conv2D(3, 3)(np.zeros((28, 28, 3), "float32"))


def test_wrong_rank_names_the_expected_layout():
    with pytest.raises(ValueError, match=re.escape(
            "Conv3D 'conv3d' expects inputs of rank 5, got rank 4 (shape (2, 8, 8, 1)). Expected "
            "channels_last inputs (batch, dim1, dim2, dim3, channels).")):
        conv.Conv3D(2, 3)(np.zeros((2, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match=re.escape(
            "Conv1D 'conv1d' expects inputs of rank 3, got rank 4 (shape (2, 8, 8, 1)). Expected "
            "channels_last inputs (batch, steps, channels).")):
        conv.Conv1D(2, 3)(np.zeros((2, 8, 8, 1), "float32"))


def test_kernel_larger_than_input():
    message = re.escape(
        "Conv2D 'conv2d' has kernel_size (5, 5), larger than its input: spatial size (3, 3) "
        "(input shape (2, 3, 3, 1)), so with padding='valid' the output would be empty. "
        "Use padding='same', a smaller kernel_size")
    with pytest.raises(ValueError, match=message):
        conv.Conv2D(2, 5)(np.zeros((2, 3, 3, 1), "float32"))
    with pytest.raises(ValueError, match=re.escape(
            "Conv1D 'conv1d' has kernel_size (3,) (with dilation_rate (3,): spans (7,)), larger than "
            "its input: spatial size (5,) (input shape (None, 5, 2))")):
        layerwise.Sequential([layerwise.Input((5, 2)), conv.Conv1D(2, 3, dilation_rate=3)])
    # A model built for any size, then fed too small an image.
    model = layerwise.Sequential([layerwise.Input((None, None, 1)), conv.Conv2D(2, 3),
                                  conv.Conv2D(2, 3, name="second")])
    with pytest.raises(ValueError, match=re.escape(
            "Conv2D 'second' has kernel_size (3, 3), larger than its input: spatial size (2, 2) "
            "(input shape (1, 2, 2, 2))")):
        model.predict(np.zeros((1, 4, 4, 1), "float32"), verbose=0)
    # 'same' padding never runs out of input.
    assert conv.Conv2D(2, 5, padding="same")(np.zeros((1, 3, 3, 1), "float32")).shape == (1, 3, 3, 2)


def test_groups_errors():
    with pytest.raises(ValueError, match=re.escape(
            "Conv2D 'conv2d' got filters=5 and groups=2: filters must be divisible by groups "
            "(each group computes filters // groups outputs). Use filters=4 or 6, or groups=1.")):
        conv.Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match=re.escape(
            "Conv2D 'conv2d_1' has groups=2, but its input has 3 channels (input shape (1, 6, 6, 3)); "
            "the input channels must be divisible by groups.")):
        conv.Conv2D(4, 3, groups=2)(np.zeros((1, 6, 6, 3), "float32"))
    with pytest.raises(ValueError, match="expects groups to be a positive integer, got 0"):
        conv.Conv1D(4, 3, groups=0)


@pytest.mark.parametrize("make,message", [
    (lambda: conv.Conv2D(2, 3, padding="full"),
     "Conv2D 'conv2d' expects padding to be one of 'valid', 'same', got padding='full'."),
    (lambda: conv.Conv2D(2, 3, padding="causal"),
     "Conv2D 'conv2d' expects padding to be one of 'valid', 'same', got padding='causal'."),
    (lambda: conv.Conv1D(2, 3, padding="reflect"),
     "Conv1D 'conv1d' expects padding to be one of 'valid', 'same', 'causal', got padding='reflect'."),
    (lambda: conv.Conv2D(2, 3, padding=(1, 1)),
     "put a ZeroPadding layer before this one"),
    (lambda: conv.Conv2DTranspose(2, 3, padding="causal"),
     "Conv2DTranspose 'conv2d_transpose' expects padding to be one of 'valid', 'same'"),
    (lambda: conv.Conv2D(2, 3, strides=0),
     ("Conv2D 'conv2d' expects strides to be an integer or a tuple of 2 positive integers, got "
      "strides=0.")),
    (lambda: conv.Conv2D(2, 3, strides=(1, -2)),
     "expects strides to be an integer or a tuple of 2 positive integers, got strides=(1, -2)."),
    (lambda: conv.Conv1D(2, 3, strides=(1, 1)),
     "expects strides to be an integer or a tuple of 1 positive integers, got strides=(1, 1)."),
    (lambda: conv.DepthwiseConv2D(3, strides=-1),
     "DepthwiseConv2D 'depthwise_conv2d' expects strides to be an integer or a tuple of 2 positive"),
    (lambda: conv.Conv3D(2, 0), "expects kernel_size to be an integer or a tuple of 3 positive integers"),
    (lambda: conv.Conv2D(2, "3"), "expects kernel_size to be an integer or a tuple of 2 positive"),
    (lambda: conv.Conv2D(2, 3, dilation_rate=0), "expects dilation_rate to be an integer or a tuple"),
    (lambda: conv.Conv2D(0, 3), "Conv2D 'conv2d' expects filters to be a positive integer, got 0."),
    (lambda: conv.Conv2D(2.5, 3), "expects filters to be a positive integer, got 2.5."),
    (lambda: conv.SeparableConv2D(-1, 3), "expects filters to be a positive integer, got -1."),
    (lambda: conv.DepthwiseConv1D(3, depth_multiplier=0),
     "expects depth_multiplier to be a positive integer, got 0."),
    (lambda: conv.Conv2D(2, 3, data_format="NHWC"),
     "Conv2D 'conv2d' expects data_format 'channels_last' (batch, ..., channels) or 'channels_first'"),
    (lambda: conv.Conv2D(2, 3, strides=2, dilation_rate=2),
     "does not support strides > 1 together with dilation_rate > 1"),
    (lambda: conv.Conv1DTranspose(2, 3, strides=2, dilation_rate=2),
     "does not support strides > 1 together with dilation_rate > 1"),
    (lambda: conv.Conv2DTranspose(2, 3, strides=2, output_padding=2),
     "output_padding must be smaller than strides on every axis (axis 0: 2 >= 2)"),
    (lambda: conv.Conv2DTranspose(2, 3, output_padding=-1),
     "expects output_padding to be an integer or a tuple of 2 non-negative integers"),
    (lambda: conv.Conv2D(2, 3, lora_rank=4), "do not support LoRA"),
])
def test_invalid_arguments(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def test_unknown_channel_dimension():
    with pytest.raises(ValueError, match=re.escape(
            "Conv2D 'conv2d' needs to know the number of input channels, but the input shape "
            "(None, 28, 28, None) leaves axis -1 unknown.")):
        conv.Conv2D(2, 3).build((None, 28, 28, None))


def test_channel_count_changed_after_build():
    layer = conv.Conv2D(2, 3)
    layer(np.zeros((1, 6, 6, 3), "float32"))
    with pytest.raises(ValueError, match=re.escape("Conv2D 'conv2d' expects inputs with last dimension 3, got 1")):
        layer(np.zeros((1, 6, 6, 1), "float32"))
