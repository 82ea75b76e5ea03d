"""Random image layers: identity at inference, what training does (shapes, ranges, statistics), seeds,
the training flag inside and outside models, configs, gradients and bad input."""

import json
import re

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.layers.preprocessing.image_augmentation import (
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from layerwise.saving import serialization


def _images(*shape, seed=0):
    return torch.tensor(np.random.default_rng(seed).uniform(0, 255, size=shape).astype("float32"))


LAYERS = [
    lambda **kw: RandomFlip(**kw),
    lambda **kw: RandomFlip("vertical", **kw),
    lambda **kw: RandomRotation(0.2, **kw),
    lambda **kw: RandomZoom(0.3, **kw),
    lambda **kw: RandomZoom((-0.3, 0.1), (0.2, 0.4), fill_mode="constant", **kw),
    lambda **kw: RandomTranslation(0.2, 0.3, fill_mode="wrap", **kw),
    lambda **kw: RandomContrast(0.5, **kw),
    lambda **kw: RandomBrightness(0.3, **kw),
]


@pytest.mark.parametrize("make", LAYERS)
def test_inference_returns_the_images_unchanged(make):
    layer = make()
    x = _images(4, 9, 11, 3)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x.numpy())
    model = keras.Sequential([keras.Input((9, 11, 3)), layer])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x.numpy())
    ints = layer(x.to(torch.uint8), training=False)
    expected = torch.uint8 if isinstance(layer, (RandomBrightness, RandomContrast)) else torch.float32
    assert ints.dtype == expected


@pytest.mark.parametrize("make", LAYERS)
def test_training_changes_images_keeps_shape_and_seeds_repeat(make):
    x = _images(6, 9, 11, 3)
    a, b = make(seed=7), make(seed=7)
    out_a, out_b = a(x, training=True), b(x, training=True)
    assert out_a.shape == x.shape and out_a.dtype == torch.float32
    np.testing.assert_array_equal(out_a.numpy(), out_b.numpy())  # same seed, same draws
    assert not np.array_equal(out_a.numpy(), x.numpy())
    second = a(x, training=True)
    assert not np.array_equal(second.numpy(), out_a.numpy())  # the generator moves on


def test_global_seed_makes_unseeded_layers_repeat():
    x = _images(6, 8, 8, 3)
    keras.utils.set_random_seed(3)
    first = RandomRotation(0.3)(x, training=True)
    keras.utils.set_random_seed(3)
    np.testing.assert_array_equal(RandomRotation(0.3)(x, training=True).numpy(), first.numpy())


@pytest.mark.parametrize("make", LAYERS)
def test_called_alone_the_layer_augments_as_in_keras(make):
    layer = make(seed=1)
    x = _images(6, 9, 11, 3)
    assert not np.array_equal(layer(x).numpy(), x.numpy())


def test_fit_augments_and_predict_does_not():
    seen = []

    class Record(keras.layers.Layer):
        def call(self, inputs):
            seen.append(inputs.detach().clone())
            return inputs

    x = _images(8, 6, 6, 1)
    model = keras.Sequential([keras.Input((6, 6, 1)), RandomFlip(seed=0), Record(), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((8, 1)), batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert not torch.equal(seen[-1], x)
    model.predict(x, verbose=0)
    assert torch.equal(seen[-1], x)


def test_flip_statistics_and_independent_axes():
    x = torch.arange(4.0).reshape(1, 2, 2, 1).repeat(4000, 1, 1, 1)
    out = RandomFlip(seed=0)(x, training=True).reshape(4000, 4)
    patterns = {tuple(row.tolist()) for row in out}
    # identity, left-right, top-bottom and both: each drawn about a quarter of the time
    assert patterns == {(0, 1, 2, 3), (1, 0, 3, 2), (2, 3, 0, 1), (3, 2, 1, 0)}
    for pattern in patterns:
        share = float((out == torch.tensor(pattern, dtype=out.dtype)).all(dim=1).float().mean())
        assert abs(share - 0.25) < 0.03
    horizontal = RandomFlip("horizontal", seed=0)(x, training=True).reshape(4000, 4)
    assert {tuple(row.tolist()) for row in horizontal} == {(0, 1, 2, 3), (1, 0, 3, 2)}


def test_flip_channels_first_flips_the_last_axes():
    x = torch.arange(6.0).reshape(1, 1, 2, 3).repeat(200, 1, 1, 1)
    out = RandomFlip("horizontal", data_format="channels_first", seed=2)(x, training=True)
    flipped = (out[:, 0, 0, 0] == 2).float().mean()
    assert 0.3 < float(flipped) < 0.7
    assert set(out[:, 0, 0].flatten().tolist()) <= {0.0, 1.0, 2.0}


def _rotation_angle(out, size=21):
    """Angle (degrees, counter-clockwise) of the centroid of a bright blob that started right of the centre."""
    image = out[:, :, 0]
    ys, xs = np.mgrid[0:size, 0:size]
    total = image.sum()
    c = (size - 1) / 2
    y, x = (ys * image).sum() / total, (xs * image).sum() / total
    return np.degrees(np.arctan2(-(y - c), x - c))


def test_rotation_angles_stay_within_the_factor():
    size = 21
    x = torch.zeros(300, size, size, 1)
    x[:, 9:12, 16:19] = 1.0  # a blob 7 pixels right of the centre
    out = RandomRotation((-0.1, 0.05), fill_mode="constant", seed=4)(x, training=True)
    angles = np.array([_rotation_angle(o.numpy(), size) for o in out])
    assert angles.min() >= -36 - 1 and angles.max() <= 18 + 1
    assert angles.min() < -30 and angles.max() > 12  # the whole range is used
    fixed = RandomRotation((0.25, 0.25), fill_mode="constant")(x[:1], training=True)
    assert round(_rotation_angle(fixed[0].numpy(), size)) == 90  # counter-clockwise


def test_zoom_factor_sign_zooms_out_and_in():
    x = torch.zeros(1, 21, 21, 1)
    x[:, 5:16, 5:16] = 1.0
    zoom_out = RandomZoom((0.5, 0.5), fill_mode="constant", interpolation="nearest")(x, training=True)
    zoom_in = RandomZoom((-0.5, -0.5), fill_mode="constant", interpolation="nearest")(x, training=True)
    assert float(zoom_out.sum()) < float(x.sum()) < float(zoom_in.sum())


def test_translation_moves_by_the_drawn_fraction():
    x = torch.zeros(1, 10, 10, 1)
    x[:, 2, 3] = 1.0
    out = RandomTranslation((0.3, 0.3), (-0.2, -0.2), fill_mode="constant", interpolation="nearest")(x, training=True)
    assert float(out[0, 5, 1, 0]) == 1.0  # down 3 rows, left 2 columns


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
def test_fill_modes_fill_the_uncovered_area(fill_mode):
    x = _images(1, 8, 8, 1)
    layer = RandomTranslation((0.5, 0.5), 0.0, fill_mode=fill_mode, fill_value=-5.0, interpolation="nearest")
    out = layer(x, training=True)[0, :, :, 0].numpy()
    image = x[0, :, :, 0].numpy()
    np.testing.assert_allclose(out[4:], image[:4], rtol=1e-6)
    expected_top = {"constant": np.full((4, 8), -5.0), "nearest": np.repeat(image[:1], 4, axis=0),
                    "reflect": image[3::-1], "wrap": image[4:]}[fill_mode]
    np.testing.assert_allclose(out[:4], expected_top, rtol=1e-6)


def test_contrast_per_channel_means_are_kept_and_range_is_clipped():
    x = _images(50, 6, 6, 3)
    out = RandomContrast((0.0, 0.9), seed=1)(x, training=True)
    assert float(out.min()) >= 0 and float(out.max()) <= 255
    # contrast only grows (factor in [1, 1.9]): spread grows, channel means stay where clipping does not bite
    assert float(out.std(dim=(1, 2)).mean()) > float(x.std(dim=(1, 2)).mean())
    unit = RandomContrast(0.5, value_range=(0, 1), seed=1)(x / 255, training=True)
    assert float(unit.min()) >= 0 and float(unit.max()) <= 1


def test_contrast_single_factor_reads_as_keras_3():
    layer = RandomContrast(0.2)
    assert layer.factor == (0, 0.2)
    x = _images(400, 4, 4, 1, seed=3)
    out = layer(x, training=True)
    factors = ((out - out.mean(dim=(1, 2), keepdim=True)).std(dim=(1, 2))
               / (x - x.mean(dim=(1, 2), keepdim=True)).std(dim=(1, 2)))
    assert float(factors.min()) > 0.99 - 0.3  # clipping can only lower the spread a little


def test_brightness_deltas_are_per_image_and_clipped():
    x = torch.full((300, 4, 4, 3), 100.0)
    out = RandomBrightness((-0.2, 0.4), seed=2)(x, training=True)
    deltas = (out - x)[:, 0, 0, 0]
    assert torch.all((out - x) == deltas.view(-1, 1, 1, 1))  # one delta per image
    assert float(deltas.min()) >= -0.2 * 255 - 1e-3 and float(deltas.max()) <= 0.4 * 255 + 1e-3
    white = RandomBrightness((1.0, 1.0))(x, training=True)
    np.testing.assert_array_equal(white.numpy(), 255.0)
    unit = RandomBrightness((0.5, 0.5), value_range=(0, 1))(x / 255, training=True)
    np.testing.assert_allclose(unit.numpy(), min(100 / 255 + 0.5, 1.0))


def test_brightness_keeps_integer_dtype_truncating_the_delta():
    x = torch.full((1, 2, 2, 1), 10, dtype=torch.uint8)
    out = RandomBrightness((0.1, 0.1))(x, training=True)  # delta 25.5 -> 25
    assert out.dtype == torch.uint8 and int(out[0, 0, 0, 0]) == 35
    dark = RandomBrightness((-0.5, -0.5))(x, training=True)
    assert int(dark[0, 0, 0, 0]) == 0


def test_random_crop_training_crops_one_window_per_batch():
    x = torch.arange(10.0).view(1, 1, 10, 1).repeat(64, 10, 1, 1) + torch.arange(64.0).view(64, 1, 1, 1) * 100
    layer = RandomCrop(4, 3, seed=5)
    lefts = set()
    for _ in range(20):
        out = layer(x, training=True)
        assert out.shape == (64, 4, 3, 1)
        offsets = (out[:, 0, 0, 0] - torch.arange(64.0) * 100)
        assert torch.all(offsets == offsets[0])  # the whole batch at one place
        lefts.add(int(offsets[0]))
    assert lefts <= set(range(8)) and len(lefts) > 3


def test_random_crop_inference_and_small_images_resize_the_central_window():
    x = _images(2, 10, 20, 3)
    layer = RandomCrop(5, 5)
    expected = keras.layers.Resizing(5, 5, crop_to_aspect_ratio=True)(x)
    np.testing.assert_allclose(layer(x, training=False).numpy(), expected.numpy(), rtol=1e-6)
    small = layer(x[:, :4, :4], training=True)
    assert small.shape == (2, 5, 5, 3)
    model = keras.Sequential([keras.Input((10, 20, 3)), layer, keras.layers.Flatten()])
    assert model.output_shape == (None, 75)
    assert model.predict(x, verbose=0).shape == (2, 75)


def test_random_crop_picks_and_stores_a_seed():
    layer = RandomCrop(4, 4)
    assert isinstance(layer.seed, int) and layer.get_config()["seed"] == layer.seed
    x = _images(1, 12, 12, 1)
    clone = RandomCrop.from_config(layer.get_config())
    np.testing.assert_array_equal(clone(x, training=True).numpy(), layer(x, training=True).numpy())


@pytest.mark.parametrize("make", LAYERS + [lambda **kw: RandomCrop(5, 6, **kw)])
def test_gradient_flows_through_training_augmentation(make):
    x = _images(3, 9, 11, 2).requires_grad_(True)
    make(seed=3)(x, training=True).sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_single_images_and_channels_first():
    x = _images(9, 11, 3)
    for layer in (RandomRotation(0.2, seed=1), RandomZoom(0.2, seed=1), RandomTranslation(0.2, 0.2, seed=1),
                  RandomContrast(0.3, seed=1), RandomBrightness(0.3, seed=1), RandomFlip(seed=1),
                  RandomCrop(5, 6, seed=1)):
        out = layer(x, training=True)
        assert out.ndim == 3 and out.shape[-1] == 3
    cf = RandomRotation(0.25, data_format="channels_first", fill_mode="constant", seed=0)
    y = cf(x.permute(2, 0, 1)[None], training=True)
    cl = RandomRotation(0.25, fill_mode="constant", seed=0)(x[None], training=True)
    np.testing.assert_allclose(y.permute(0, 2, 3, 1).numpy(), cl.numpy(), atol=1e-4)


def test_segmentation_masks_move_with_images_and_colour_layers_leave_them():
    images = _images(4, 8, 8, 3)
    masks = (torch.arange(64.0).view(1, 8, 8, 1) % 3).repeat(4, 1, 1, 1)
    out = RandomRotation(0.3, seed=2)({"images": images, "segmentation_masks": masks}, training=True)
    assert set(np.unique(out["segmentation_masks"].numpy())) <= {0.0, 1.0, 2.0}  # nearest: no blends
    assert not torch.equal(out["segmentation_masks"], masks)
    colour = RandomContrast(0.5, seed=2)({"images": images, "segmentation_masks": masks}, training=True)
    assert torch.equal(colour["segmentation_masks"], masks)


@pytest.mark.parametrize("make", LAYERS + [lambda **kw: RandomCrop(4, 4, **kw)])
def test_config_round_trip(make):
    layer = make(seed=11)
    config = json.loads(json.dumps(layer.get_config()))
    restored = serialization.deserialize_keras_object(
        json.loads(json.dumps(serialization.serialize_keras_object(layer))), "layers")
    assert type(restored) is type(layer)
    assert json.dumps(restored.get_config(), sort_keys=True) == json.dumps(config, sort_keys=True)
    x = _images(2, 9, 11, 3)
    np.testing.assert_array_equal(restored(x, training=True).numpy(), make(seed=11)(x, training=True).numpy())


def test_augmentation_layers_compute_output_shapes_in_functional_models():
    inputs = keras.Input((32, 32, 3))
    x = RandomFlip("horizontal")(inputs)
    x = RandomRotation(0.1)(x)
    x = RandomZoom(0.1)(x)
    x = RandomCrop(24, 24)(x)
    x = keras.layers.Rescaling(1 / 255)(x)
    model = keras.Model(inputs, x)
    assert model.output_shape == (None, 24, 24, 3)
    assert model.predict(_images(2, 32, 32, 3), verbose=0).shape == (2, 24, 24, 3)


@pytest.mark.parametrize("make, message", [
    (lambda: RandomFlip("diagonal"),
     "RandomFlip mode must be one of ('horizontal', 'vertical', 'horizontal_and_vertical'); got 'diagonal'."),
    (lambda: RandomRotation(1.5),
     "RandomRotation factor must be a number or a pair of numbers in the range [-1, 1], e.g. RandomRotation(0.2) "
     "or RandomRotation((-0.1, 0.3)); got factor=1.5."),
    (lambda: RandomRotation((0.1, 0.2, 0.3)),
     "RandomRotation factor must be a number or a pair of numbers in the range [-1, 1]"),
    (lambda: RandomRotation(0.1, fill_mode="mirror"),
     "RandomRotation fill_mode must be one of ('reflect', 'wrap', 'constant', 'nearest'); got 'mirror'."),
    (lambda: RandomRotation(0.1, interpolation="bicubic"),
     "RandomRotation interpolation must be one of ('nearest', 'bilinear'); got 'bicubic'."),
    (lambda: RandomZoom(-1.0),
     "RandomZoom height_factor must be a number or a pair of numbers in the range (-1, 1], e.g. RandomZoom(0.2) "
     "or RandomZoom((-0.3, 0.2)); got height_factor=-1.0."),
    (lambda: RandomZoom(0.2, width_factor=(0.1, 2)),
     "RandomZoom width_factor must be a number or a pair of numbers in the range (-1, 1]"),
    (lambda: RandomTranslation(0.1, "0.2"),
     "RandomTranslation width_factor must be a number or a pair of numbers in the range [-1, 1], e.g. "
     "RandomTranslation(0.2) or RandomTranslation((-0.3, 0.2)); got width_factor='0.2'."),
    (lambda: RandomContrast(-0.2),
     "RandomContrast factor must be a number or a pair of numbers in the range [0, 1], e.g. RandomContrast(0.2) "
     "or RandomContrast((-0.1, 0.3)); got factor=-0.2."),
    (lambda: RandomContrast(0.2, value_range=255),
     "RandomContrast value_range must be a pair of numbers (low, high), the range of the input pixel values, "
     "e.g. (0, 255) or (0, 1); got value_range=255."),
    (lambda: RandomBrightness(0.2, value_range=(0, 1, 2)),
     "RandomBrightness value_range must be a pair of numbers (low, high)"),
    (lambda: RandomCrop(0, 4), "RandomCrop height must be a positive integer (pixels), e.g. RandomCrop(180, 180); "
                               "got height=0."),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()


def test_bad_seed():
    with pytest.raises(TypeError, match=re.escape("RandomFlip seed must be an integer or None, got 1.5.")):
        RandomFlip(seed=1.5)
