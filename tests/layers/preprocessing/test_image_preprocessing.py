"""Rescaling, Resizing, CenterCrop: shapes, dtypes, layouts, configs, models, gradients and bad input."""

import json
import re

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.layers.preprocessing.image_preprocessing import CenterCrop, Rescaling, Resizing
from layerwise.saving import serialization


def _images(*shape, seed=0):
    return torch.tensor(np.random.default_rng(seed).uniform(0, 255, size=shape).astype("float32"))


# ---------------------------------------------------------------- Rescaling

def test_rescaling_scales_and_offsets_and_outputs_float():
    x = np.array([[0, 51, 255]], dtype="uint8")
    out = Rescaling(1.0 / 255)(x)
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), [[0.0, 0.2, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(Rescaling(1 / 127.5, offset=-1)(x).numpy(), [[-1.0, -0.6, 1.0]], atol=1e-6)


def test_rescaling_per_channel_scale_and_config_round_trip_with_arrays():
    layer = Rescaling(np.array([1.0, 2.0, 3.0], dtype="float32"), offset=0.5)
    out = layer(np.ones((2, 4, 4, 3), dtype="float32"))
    np.testing.assert_allclose(out[0, 0, 0].numpy(), [1.5, 2.5, 3.5])
    config = json.loads(json.dumps(layer.get_config()))
    assert config["scale"] == {"class_name": "__numpy__", "config": {"value": [1.0, 2.0, 3.0], "dtype": "float32"}}
    clone = Rescaling.from_config(config)
    np.testing.assert_allclose(clone(np.ones((1, 2, 2, 3))).numpy(), layer(np.ones((1, 2, 2, 3))).numpy())


def test_rescaling_per_channel_scale_channels_first():
    keras.backend.set_image_data_format("channels_first")
    try:
        layer = Rescaling([1.0, 10.0])
        out = layer(np.ones((1, 2, 3, 3), dtype="float32"))
    finally:
        keras.backend.set_image_data_format("channels_last")
    np.testing.assert_allclose(out[0, :, 0, 0].numpy(), [1.0, 10.0])


def test_rescaling_gradient_flows_and_masking_is_supported():
    x = torch.ones(2, 3, requires_grad=True)
    Rescaling(3.0)(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3), 3.0))
    assert Rescaling(2.0).supports_masking


def test_rescaling_refuses_non_numbers():
    with pytest.raises(ValueError, match=re.escape(
            "Rescaling scale must be a number or an array of numbers, e.g. Rescaling(1.0 / 255); got '1/255'.")):
        Rescaling("1/255")


# ---------------------------------------------------------------- Resizing

@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
                                           "gaussian", "mitchellcubic"])
def test_resizing_every_interpolation_keeps_constant_images_constant(interpolation):
    x = torch.full((2, 9, 13, 3), 100.0)
    out = Resizing(5, 7, interpolation=interpolation)(x)
    assert out.shape == (2, 5, 7, 3)
    np.testing.assert_allclose(out.numpy(), 100.0, rtol=1e-5)


def test_resizing_area_averages_blocks():
    x = torch.arange(16.0).reshape(1, 4, 4, 1)
    out = Resizing(2, 2, interpolation="area")(x)[0, :, :, 0]
    np.testing.assert_allclose(out.numpy(), [[2.5, 4.5], [10.5, 12.5]])


def test_resizing_integer_images_stay_integer_and_are_rounded():
    x = np.array([[0, 255], [255, 0]], dtype="uint8")[None, :, :, None]
    out = Resizing(3, 3)(x)
    assert out.dtype == torch.uint8
    assert out.shape == (1, 3, 3, 1)
    assert int(out[0, 1, 1, 0]) == 128  # 127.5 rounded


def test_resizing_crop_and_pad_to_aspect_ratio():
    x = torch.zeros(1, 4, 8, 1)
    x[:, :, 2:6] = 1.0  # a bright centre square
    cropped = Resizing(4, 4, crop_to_aspect_ratio=True, interpolation="nearest")(x)
    np.testing.assert_array_equal(cropped.numpy(), np.ones((1, 4, 4, 1)))
    padded = Resizing(8, 8, pad_to_aspect_ratio=True, fill_value=-1.0, interpolation="nearest")(x)
    assert padded.shape == (1, 8, 8, 1)
    np.testing.assert_array_equal(padded[0, :2, :, 0].numpy(), -1.0)
    np.testing.assert_array_equal(padded[0, 2:6, :, 0].numpy(), x[0, :, :, 0].numpy())


def test_resizing_channels_first_and_single_images():
    x = _images(2, 3, 10, 12)
    out = Resizing(5, 6, data_format="channels_first")(x)
    assert out.shape == (2, 3, 5, 6)
    reference = Resizing(5, 6)(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
    np.testing.assert_allclose(out.numpy(), reference.numpy(), rtol=1e-6)
    assert Resizing(5, 6)(x[0].permute(1, 2, 0)).shape == (5, 6, 3)


def test_resizing_antialias_smooths_downsampling():
    x = torch.zeros(1, 16, 16, 1)
    x[:, ::4] = 255.0  # one bright row in four
    plain = Resizing(4, 4)(x)
    smooth = Resizing(4, 4, antialias=True)(x)
    # Point sampling between rows 1 and 2, 5 and 6, ... misses every bright row; the filter sees them.
    np.testing.assert_allclose(plain.numpy(), 0.0)
    np.testing.assert_allclose(float(smooth.mean()), 255 / 4, rtol=0.05)


def test_resizing_in_a_model_declares_and_returns_the_new_shape():
    model = keras.Sequential([keras.Input(shape=(None, None, 3)), Resizing(24, 20), keras.layers.Flatten()])
    assert model.output_shape == (None, 24 * 20 * 3)
    assert model.predict(np.zeros((2, 50, 40, 3)), verbose=0).shape == (2, 24 * 20 * 3)


def test_resizing_gradient_flows():
    x = _images(1, 6, 6, 2).requires_grad_(True)
    Resizing(3, 3)(x).sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_resizing_config_round_trip_through_registry():
    layer = Resizing(10, 12, interpolation="bicubic", crop_to_aspect_ratio=True, antialias=True,
                     data_format="channels_first", name="resize")
    config = layer.get_config()
    assert config["dtype"]["config"]["name"] == "float32"
    assert {k: v for k, v in config.items() if k != "dtype"} == {
                      "name": "resize", "trainable": True,
                      "data_format": "channels_first", "height": 10, "width": 12, "interpolation": "bicubic",
                      "crop_to_aspect_ratio": True, "pad_to_aspect_ratio": False, "fill_mode": "constant",
                      "fill_value": 0.0, "antialias": True}
    restored = serialization.deserialize_keras_object(
        json.loads(json.dumps(serialization.serialize_keras_object(layer))), "layers")
    assert isinstance(restored, Resizing)
    assert json.dumps(restored.get_config(), sort_keys=True) == json.dumps(config, sort_keys=True)


@pytest.mark.parametrize("kwargs, message", [
    ({"height": 0, "width": 4},
     "Resizing height must be a positive integer (pixels), e.g. Resizing(180, 180); got height=0."),
    ({"height": 4, "width": 2.5},
     "Resizing width must be a positive integer (pixels), e.g. Resizing(180, 180); got width=2.5."),
    ({"height": 4, "width": 4, "interpolation": "linear"},
     "Resizing interpolation must be one of ('bilinear', 'nearest', 'bicubic', 'area', 'lanczos3', 'lanczos5', "
     "'gaussian', 'mitchellcubic'); got 'linear'."),
    ({"height": 4, "width": 4, "fill_mode": "reflect"},
     "Resizing fill_mode must be 'constant' (pad with fill_value); got 'reflect'."),
    ({"height": 4, "width": 4, "crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True},
     "Resizing: only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True (crop the long side away, "
     "or pad the short side)."),
    ({"height": 4, "width": 4, "data_format": "NHWC"},
     "Resizing: data_format must be 'channels_last' (images shaped (height, width, channels)) or "
     "'channels_first' ((channels, height, width)); got 'NHWC'."),
])
def test_resizing_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Resizing(**kwargs)


def test_image_layers_refuse_inputs_without_a_channel_axis():
    layer = Resizing(4, 4, name="resize")
    with pytest.raises(ValueError, match=re.escape(
            "Resizing 'resize' expects images of rank 3 (height, width, channels) or rank 4 (a batch of them), "
            "got shape (5, 28, 28, 1, 1). For grayscale arrays of shape (n, height, width), add a channel axis "
            "first: x[..., None].")):
        layer(np.zeros((5, 28, 28, 1, 1)))
    with pytest.raises(ValueError, match=re.escape("got shape (None, 28)")):
        keras.Sequential([keras.Input((28,)), Resizing(4, 4)])


# ---------------------------------------------------------------- CenterCrop

def test_center_crop_takes_the_centre_and_casts_to_float():
    x = np.arange(36, dtype="uint8").reshape(1, 6, 6, 1)
    out = CenterCrop(2, 4)(x)
    assert out.dtype == torch.float32
    np.testing.assert_array_equal(out[0, :, :, 0].numpy(), x[0, 2:4, 1:5, 0])


def test_center_crop_odd_difference_starts_towards_the_top_left():
    x = np.arange(25, dtype="float32").reshape(1, 5, 5, 1)
    np.testing.assert_array_equal(CenterCrop(2, 2)(x)[0, :, :, 0].numpy(), x[0, 1:3, 1:3, 0])


def test_center_crop_resizes_images_smaller_than_the_target():
    out = CenterCrop(10, 4)(torch.full((2, 6, 6, 3), 7.0))
    assert out.shape == (2, 10, 4, 3)
    np.testing.assert_allclose(out.numpy(), 7.0)


def test_center_crop_channels_first_single_image_and_config():
    x = _images(3, 8, 8)
    layer = CenterCrop(4, 6, data_format="channels_first")
    np.testing.assert_array_equal(layer(x).numpy(), x[:, 2:6, 1:7].numpy())
    assert layer.compute_output_shape((None, 3, 8, 8)) == (None, 3, 4, 6)
    config = layer.get_config()
    assert {k: config[k] for k in ("height", "width", "data_format")} == \
        {"height": 4, "width": 6, "data_format": "channels_first"}
    clone = CenterCrop.from_config(json.loads(json.dumps(config)))
    assert json.dumps(clone.get_config(), sort_keys=True) == json.dumps(config, sort_keys=True)


def test_deterministic_layers_act_at_inference_too():
    model = keras.Sequential([keras.Input((8, 8, 3)), CenterCrop(4, 4), Rescaling(0.5)])
    x = _images(2, 8, 8, 3)
    np.testing.assert_allclose(model.predict(x, verbose=0), x[:, 2:6, 2:6].numpy() * 0.5, rtol=1e-6)


def test_dict_inputs_resize_masks_with_nearest_and_keep_labels():
    images = _images(2, 8, 8, 3)
    masks = torch.randint(0, 3, (2, 8, 8, 1)).float()
    labels = torch.tensor([0, 1])
    out = Resizing(4, 4, interpolation="bilinear")({"images": images, "segmentation_masks": masks,
                                                    "labels": labels})
    assert out["images"].shape == (2, 4, 4, 3) and out["segmentation_masks"].shape == (2, 4, 4, 1)
    assert set(np.unique(out["segmentation_masks"].numpy())) <= {0.0, 1.0, 2.0}
    assert out["labels"] is labels
    with pytest.raises(ValueError, match=re.escape(
            "Resizing 'resizing_1': bounding boxes are not supported by layerwise's image layers.")):
        Resizing(4, 4)({"images": images, "bounding_boxes": {"boxes": torch.zeros(2, 1, 4)}})
