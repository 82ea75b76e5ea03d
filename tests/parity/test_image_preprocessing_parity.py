"""Image preprocessing against real Keras 3 (torch backend).

* Rescaling, Resizing (every interpolation Keras's torch backend has, with
  antialiasing, cropping and padding to the aspect ratio), CenterCrop:
  outputs, dtypes, output shapes and configs.
* The Random* layers: inference outputs, and training with factors that
  leave no randomness (a fixed angle, zoom, shift, brightness; contrast 1),
  so that both libraries must compute the same image.
* The batched affine resampler against ``keras.ops.image.affine_transform``
  and the Lanczos resizer against ``keras.ops.image.scale_and_translate``.
* The legacy ``ImageDataGenerator`` (Keras's ``keras.src.legacy`` copy):
  seeded flows give Keras's batches, image for image.
* ``load_img``, ``img_to_array``, ``array_to_img``, ``smart_resize``.
"""

import json
import os
import warnings

import keras
import numpy as np
import pytest
import torch

import layerwise
from layerwise.layers.preprocessing import image_ops
from layerwise.preprocessing import image as lw_image


def _numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return keras.ops.convert_to_numpy(value)


def _x(*shape, seed=0, dtype="float32"):
    values = np.random.default_rng(seed).uniform(0, 255, size=shape)
    return values.astype(dtype) if dtype == "float32" else np.round(values).astype(dtype)


def _pair(name, *args, **kwargs):
    return getattr(layerwise.layers, name)(*args, **kwargs), getattr(keras.layers, name)(*args, **kwargs)


def _same_config(ours, theirs):
    a, b = dict(ours.get_config()), dict(theirs.get_config())
    a.pop("dtype"), b.pop("dtype")
    a.pop("name"), b.pop("name")
    assert json.loads(json.dumps(a)) == json.loads(json.dumps(b))


# ---------------------------------------------------------------- deterministic layers

@pytest.mark.parametrize("args, kwargs", [((1 / 255,), {}), ((1 / 127.5,), {"offset": -1}), ((2.0,), {"offset": 3.0})])
@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_rescaling(args, kwargs, dtype):
    ours, theirs = _pair("Rescaling", *args, **kwargs)
    x = _x(2, 5, 6, 3, dtype=dtype)
    np.testing.assert_allclose(_numpy(ours(x)), _numpy(theirs(x)), rtol=1e-6)
    assert _numpy(ours(x)).dtype == _numpy(theirs(x)).dtype
    _same_config(ours, theirs)


def test_rescaling_per_channel_config_loads_in_keras():
    ours = layerwise.layers.Rescaling(np.array([0.5, 1.0, 2.0], dtype="float32"))
    theirs = keras.layers.Rescaling.from_config(json.loads(json.dumps(ours.get_config())))
    x = _x(2, 4, 4, 3)
    np.testing.assert_allclose(_numpy(ours(x)), _numpy(theirs(x)), rtol=1e-6)
    back = layerwise.layers.Rescaling.from_config(json.loads(json.dumps(
        keras.layers.Rescaling(np.array([0.5, 1.0, 2.0], dtype="float32")).get_config())))
    np.testing.assert_allclose(_numpy(back(x)), _numpy(theirs(x)), rtol=1e-6)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("antialias", [False, True])
@pytest.mark.parametrize("aspect", [{}, {"crop_to_aspect_ratio": True},
                                    {"pad_to_aspect_ratio": True, "fill_value": 9.0}])
@pytest.mark.parametrize("size", [(5, 4), (17, 11)])
def test_resizing(interpolation, antialias, aspect, size):
    ours, theirs = _pair("Resizing", *size, interpolation=interpolation, antialias=antialias, **aspect)
    x = _x(3, 9, 13, 2)
    np.testing.assert_allclose(_numpy(ours(x)), _numpy(theirs(x)), atol=2e-3)
    assert ours.compute_output_shape((None, 9, 13, 2)) == tuple(theirs.compute_output_shape((None, 9, 13, 2)))
    _same_config(ours, theirs)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
def test_resizing_integer_images_channels_first_and_unbatched(interpolation):
    ours, theirs = _pair("Resizing", 7, 5, interpolation=interpolation, data_format="channels_first")
    x = _x(2, 3, 10, 12, dtype="uint8")
    a, b = _numpy(ours(x)), _numpy(theirs(x))
    assert a.dtype == b.dtype == np.uint8
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1  # rounding of exact halves may differ
    ours, theirs = _pair("Resizing", 7, 5, interpolation=interpolation)
    single = _x(10, 12, 3)
    np.testing.assert_allclose(_numpy(ours(single)), _numpy(theirs(single)), atol=2e-3)


@pytest.mark.parametrize("method", ["lanczos3", "lanczos5", "bilinear", "bicubic"])
@pytest.mark.parametrize("antialias", [False, True])
def test_separable_kernels_match_scale_and_translate(method, antialias):
    x = _x(2, 9, 13, 3)
    for size in [(5, 4), (17, 11)]:
        kernel = image_ops.SEPARABLE_KERNELS[{"bilinear": "linear", "bicubic": "cubic"}.get(method, method)]
        ours = image_ops._separable_resize(torch.tensor(x).permute(0, 3, 1, 2), size, kernel, antialias)
        theirs = keras.ops.image.scale_and_translate(
            x, (2,) + size + (3,), np.array([size[0] / 9, size[1] / 13], "float32"), np.zeros(2, "float32"),
            (1, 2), method, antialias=antialias)
        np.testing.assert_allclose(_numpy(ours.permute(0, 2, 3, 1)), _numpy(theirs), atol=2e-3)


@pytest.mark.parametrize("size", [(4, 6), (5, 5), (9, 13), (12, 20), (3, 16)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_center_crop(size, data_format):
    ours, theirs = _pair("CenterCrop", *size, data_format=data_format)
    x = _x(2, 9, 13, 3) if data_format == "channels_last" else _x(2, 3, 9, 13)
    np.testing.assert_allclose(_numpy(ours(x)), _numpy(theirs(x)), atol=2e-3)
    shape = (None,) + x.shape[1:]
    assert ours.compute_output_shape(shape) == tuple(theirs.compute_output_shape(shape))
    _same_config(ours, theirs)


# ---------------------------------------------------------------- random layers

RANDOM = [
    ("RandomFlip", (), {}),
    ("RandomFlip", ("vertical",), {"seed": 3}),
    ("RandomRotation", (0.2,), {}),
    ("RandomRotation", ((-0.1, 0.3),), {"fill_mode": "constant", "fill_value": 2.0, "interpolation": "nearest"}),
    ("RandomZoom", (0.2,), {}),
    ("RandomZoom", ((-0.3, 0.2), (0.1, 0.4)), {"fill_mode": "wrap"}),
    ("RandomTranslation", (0.2, (-0.1, 0.3)), {"fill_mode": "nearest", "seed": 4}),
    ("RandomContrast", (0.3,), {}),
    ("RandomContrast", ((0.2, 0.5),), {"value_range": (0, 1)}),
    ("RandomBrightness", (0.2,), {}),
    ("RandomBrightness", ((-0.3, 0.1),), {"value_range": (0, 1), "seed": 2}),
]


@pytest.mark.parametrize("name, args, kwargs", RANDOM)
def test_random_layers_at_inference_and_configs(name, args, kwargs):
    ours, theirs = _pair(name, *args, **kwargs)
    x = _x(3, 9, 13, 3)
    np.testing.assert_array_equal(_numpy(ours(x, training=False)), _numpy(theirs(x, training=False)))
    ints = _x(3, 9, 13, 3, dtype="uint8")
    assert _numpy(ours(ints, training=False)).dtype == _numpy(theirs(ints, training=False)).dtype
    assert ours.compute_output_shape((None, 9, 13, 3)) == tuple(theirs.compute_output_shape((None, 9, 13, 3)))
    _same_config(ours, theirs)
    mirrored = getattr(layerwise.layers, name).from_config(json.loads(json.dumps(theirs.get_config())))
    _same_config(mirrored, theirs)


FIXED = [
    ("RandomRotation", ((0.25, 0.25),), {"fill_mode": "constant", "fill_value": 3.0}),
    ("RandomRotation", ((-0.1, -0.1),), {}),
    ("RandomRotation", ((0.07, 0.07),), {"fill_mode": "wrap"}),
    ("RandomRotation", ((0.3, 0.3),), {"fill_mode": "nearest", "interpolation": "nearest"}),
    ("RandomZoom", ((0.3, 0.3),), {}),
    ("RandomZoom", ((-0.4, -0.4), (0.2, 0.2)), {"fill_mode": "constant", "fill_value": -1.0}),
    ("RandomZoom", ((0.5, 0.5), (-0.2, -0.2)), {"fill_mode": "wrap", "interpolation": "nearest"}),
    ("RandomTranslation", ((0.2, 0.2), (-0.3, -0.3)), {}),
    ("RandomTranslation", ((-0.25, -0.25), (0.1, 0.1)), {"fill_mode": "wrap"}),
    ("RandomTranslation", ((0.15, 0.15), (0.4, 0.4)), {"fill_mode": "constant", "interpolation": "nearest"}),
    ("RandomBrightness", ((0.2, 0.2),), {}),
    ("RandomBrightness", ((-0.5, -0.5),), {"value_range": (0, 1)}),
    ("RandomContrast", (0.0,), {}),
    ("RandomContrast", (0.0,), {"value_range": (10, 200)}),
]


@pytest.mark.parametrize("name, args, kwargs", FIXED)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_random_layers_with_fixed_factors_compute_keras_images(name, args, kwargs, data_format):
    ours, theirs = _pair(name, *args, data_format=data_format, **kwargs)
    x = _x(3, 9, 13, 2) if data_format == "channels_last" else _x(3, 2, 9, 13)
    if "value_range" in kwargs and kwargs["value_range"] == (0, 1):
        x = x / 255
    np.testing.assert_allclose(_numpy(ours(x, training=True)), _numpy(theirs(x, training=True)), atol=2e-3)
    single = x[0]
    np.testing.assert_allclose(_numpy(ours(single, training=True)), _numpy(theirs(single, training=True)),
                               atol=2e-3)


def test_random_crop_when_no_random_window_fits():
    # Same size: nothing to do; smaller and of the target's aspect ratio: resized. (For other small
    # shapes Keras 3.15 stretches the whole image, against its own docstring; layerwise resizes the
    # largest window with the target aspect ratio, as documented and as at inference.)
    for shape in [(2, 6, 6, 3), (2, 3, 3, 3)]:
        ours, theirs = _pair("RandomCrop", 6, 6, seed=1)
        x = _x(*shape)
        np.testing.assert_allclose(_numpy(ours(x, training=True)), _numpy(theirs(x, training=True)), atol=2e-3)
    ours, theirs = _pair("RandomCrop", 4, 5, seed=1, data_format="channels_first")
    assert ours.compute_output_shape((None, 3, 9, 9)) == tuple(theirs.compute_output_shape((None, 3, 9, 9)))
    _same_config(ours, theirs)


def test_random_crop_training_windows_are_windows_of_the_input():
    ours, theirs = _pair("RandomCrop", 4, 5, seed=1)
    x = _x(2, 9, 11, 3)
    for layer in (ours, theirs):
        out = _numpy(layer(x, training=True))
        found = [(i, j) for i in range(6) for j in range(7) if np.array_equal(out, x[:, i:i + 4, j:j + 5])]
        assert len(found) == 1


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "reflect", "wrap"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_affine_transform_matches_keras_ops(fill_mode, interpolation, data_format):
    rng = np.random.default_rng(1)
    transform = (rng.normal(size=(3, 8)) * 0.3).astype("float32")
    transform[:, [0, 4]] += 1
    transform[:, [2, 5]] *= 10
    transform[:, 6:] = 0
    x = _x(3, 9, 13, 2) if data_format == "channels_last" else _x(3, 2, 9, 13)
    ours = image_ops.affine_transform(torch.tensor(x), torch.tensor(transform), interpolation, fill_mode, 3.5,
                                      data_format)
    theirs = keras.ops.image.affine_transform(x, transform.copy(), interpolation, fill_mode, 3.5, data_format)
    np.testing.assert_allclose(_numpy(ours), _numpy(theirs), atol=2e-3)


def test_a_model_config_with_image_layers_loads_in_keras_and_back():
    model = layerwise.Sequential([
        layerwise.Input((32, 32, 3)), layerwise.layers.Resizing(24, 24), layerwise.layers.RandomFlip("horizontal"),
        layerwise.layers.RandomRotation(0.1), layerwise.layers.RandomZoom(0.1), layerwise.layers.RandomContrast(0.2),
        layerwise.layers.Rescaling(1 / 255), layerwise.layers.CenterCrop(16, 16),
    ])
    theirs = keras.Sequential.from_config(json.loads(json.dumps(model.get_config())))
    x = _x(2, 32, 32, 3)
    np.testing.assert_allclose(_numpy(model.predict(x, verbose=0)), _numpy(theirs.predict(x, verbose=0)),
                               atol=1e-4)
    back = layerwise.Sequential.from_config(json.loads(json.dumps(theirs.get_config())))
    np.testing.assert_allclose(back.predict(x, verbose=0), _numpy(theirs.predict(x, verbose=0)), atol=1e-4)


def test_keras_files_with_image_layers_load_both_ways(tmp_path):
    layers = layerwise.layers
    model = layerwise.Sequential([
        layerwise.Input((16, 16, 3)), layers.RandomFlip("horizontal"), layers.RandomTranslation(0.1, 0.1),
        layers.Resizing(12, 12, interpolation="bicubic"), layers.Rescaling(np.array([1.0, 2.0, 3.0], "float32")),
        layers.CenterCrop(8, 8), layers.RandomBrightness(0.1), layers.Flatten(), layers.Dense(2),
    ])
    model.save(tmp_path / "ours.keras")
    theirs = keras.saving.load_model(tmp_path / "ours.keras")
    x = _x(2, 16, 16, 3)
    np.testing.assert_allclose(_numpy(theirs.predict(x, verbose=0)), model.predict(x, verbose=0), atol=1e-4)
    theirs.save(tmp_path / "theirs.keras")
    back = layerwise.saving.load_model(tmp_path / "theirs.keras")
    assert [type(layer).__name__ for layer in back.layers] == [type(layer).__name__ for layer in model.layers]
    np.testing.assert_allclose(back.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-4)


# ---------------------------------------------------------------- legacy ImageDataGenerator

from keras.src.legacy.preprocessing.image import ImageDataGenerator as KerasImageDataGenerator

GENERATORS = [
    {"rotation_range": 30},
    {"width_shift_range": 0.2, "height_shift_range": 0.1},
    {"width_shift_range": [2, 4], "height_shift_range": 2, "fill_mode": "wrap"},
    {"shear_range": 20, "fill_mode": "reflect"},
    {"zoom_range": [0.5, 1.2], "fill_mode": "constant", "cval": 7.0},
    {"rotation_range": 30, "zoom_range": 0.2, "interpolation_order": 0},
    {"horizontal_flip": True, "vertical_flip": True, "channel_shift_range": 30.0},
    {"rescale": 1 / 255, "samplewise_center": True, "samplewise_std_normalization": True},
    {"rotation_range": 20, "width_shift_range": 0.1, "height_shift_range": 0.1, "shear_range": 10,
     "zoom_range": 0.2, "horizontal_flip": True, "rescale": 1 / 255},
]


@pytest.mark.parametrize("config", GENERATORS)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_image_data_generator_flow_gives_keras_batches(config, data_format):
    x = _x(10, 9, 13, 3, dtype="uint8").astype("float32")
    if data_format == "channels_first":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    y = np.arange(10)
    ours = layerwise.preprocessing.image.ImageDataGenerator(data_format=data_format, **config).flow(
        x, y, batch_size=4, seed=5)
    theirs = KerasImageDataGenerator(data_format=data_format, **config).flow(x, y, batch_size=4, seed=5)
    assert len(ours) == len(theirs)
    indexed = [(ours[i], theirs[i]) for i in range(len(ours))]
    streamed = [(next(ours), next(theirs)) for _ in range(5)]
    for (xa, ya), (xb, yb) in indexed + streamed:
        np.testing.assert_array_equal(ya, yb)
        np.testing.assert_allclose(xa, xb, atol=2e-3)


def test_image_data_generator_brightness_is_keras_without_8_bit_rounding():
    x = _x(8, 9, 13, 3, dtype="uint8").astype("float32")
    config = {"brightness_range": (0.3, 1.5)}
    ours = layerwise.preprocessing.image.ImageDataGenerator(**config).flow(x, batch_size=8, seed=2)[0]
    theirs = KerasImageDataGenerator(**config).flow(x, batch_size=8, seed=2)[0]
    assert np.abs(ours - theirs).max() < 1.0  # Keras truncates to uint8 on the way through PIL


@pytest.mark.parametrize("config", [{"featurewise_center": True, "featurewise_std_normalization": True},
                                    {"zca_whitening": True}])
def test_image_data_generator_fit_statistics(config):
    x = _x(12, 6, 7, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "zca_whitening overrides featurewise_center", from both
        ours, theirs = layerwise.preprocessing.image.ImageDataGenerator(**config), KerasImageDataGenerator(**config)
    ours.fit(x)
    theirs.fit(x)
    np.testing.assert_allclose(ours.flow(x, shuffle=False, batch_size=12)[0],
                               theirs.flow(x, shuffle=False, batch_size=12)[0], rtol=1e-4, atol=1e-4)
    augmenting = {"rotation_range": 20, "featurewise_center": True}
    ours, theirs = (layerwise.preprocessing.image.ImageDataGenerator(**augmenting),
                    KerasImageDataGenerator(**augmenting))
    ours.fit(x, augment=True, rounds=2, seed=1)
    theirs.fit(x, augment=True, rounds=2, seed=1)
    np.testing.assert_allclose(ours.mean, theirs.mean, rtol=1e-5)


@pytest.mark.parametrize("params", [
    {"theta": 17.0}, {"tx": 2.5, "ty": -1.5}, {"shear": 12.0, "zx": 0.8, "zy": 1.3},
    {"flip_horizontal": True, "channel_shift_intensity": 20.0},
])
def test_apply_transform_and_helpers(params):
    x = _x(9, 13, 3)
    ours = layerwise.preprocessing.image.ImageDataGenerator(fill_mode="reflect")
    theirs = KerasImageDataGenerator(fill_mode="reflect")
    np.testing.assert_allclose(ours.apply_transform(x, params), theirs.apply_transform(x, params), atol=2e-3)


def _write_pngs(root, classes=("cats", "dogs"), per_class=6, sizes=((12, 10), (9, 15))):
    from PIL import Image

    rng = np.random.default_rng(0)
    arrays = {}
    for c, name in enumerate(classes):
        os.makedirs(os.path.join(root, name))
        for i in range(per_class):
            h, w = sizes[i % len(sizes)]
            array = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
            path = os.path.join(root, name, f"{i:02d}.png")
            Image.fromarray(array).save(path)
            arrays[path] = array
    return arrays


@pytest.mark.parametrize("kwargs", [
    {},
    {"target_size": (8, 9), "interpolation": "bilinear", "class_mode": "sparse", "color_mode": "grayscale"},
    {"target_size": (6, 6), "keep_aspect_ratio": True, "class_mode": "binary"},
])
def test_flow_from_directory_gives_keras_batches(tmp_path, kwargs):
    _write_pngs(tmp_path)
    config = {"rotation_range": 15, "horizontal_flip": True, "rescale": 1 / 255, "validation_split": 0.35}
    for subset in ("training", "validation"):
        ours = layerwise.preprocessing.image.ImageDataGenerator(**config).flow_from_directory(
            tmp_path, batch_size=3, seed=4, subset=subset, **kwargs)
        theirs = KerasImageDataGenerator(**config).flow_from_directory(
            str(tmp_path), batch_size=3, seed=4, subset=subset, **kwargs)
        assert ours.filenames == theirs.filenames and ours.class_indices == theirs.class_indices
        np.testing.assert_array_equal(ours.classes, theirs.classes)
        for i in range(len(ours)):
            (xa, ya), (xb, yb) = ours[i], theirs[i]
            np.testing.assert_allclose(xa, xb, atol=1e-4)
            np.testing.assert_array_equal(ya, yb)


def test_image_file_helpers_match_keras(tmp_path):
    arrays = _write_pngs(tmp_path, per_class=2)
    path = sorted(arrays)[1]
    for kwargs in [{}, {"color_mode": "grayscale"}, {"color_mode": "rgba"},
                   {"target_size": (7, 5), "interpolation": "bicubic"},
                   {"target_size": (6, 6), "keep_aspect_ratio": True, "interpolation": "bilinear"}]:
        ours = layerwise.utils.img_to_array(layerwise.utils.load_img(path, **kwargs))
        theirs = keras.utils.img_to_array(keras.utils.load_img(path, **kwargs))
        np.testing.assert_array_equal(ours, theirs)
        for data_format in ("channels_last", "channels_first"):
            np.testing.assert_array_equal(
                layerwise.utils.img_to_array(layerwise.utils.load_img(path, **kwargs), data_format=data_format),
                keras.utils.img_to_array(keras.utils.load_img(path, **kwargs), data_format=data_format))
    x = _x(5, 6, 3)
    for scale in (True, False):
        np.testing.assert_array_equal(np.asarray(layerwise.utils.array_to_img(x, scale=scale)),
                                      np.asarray(keras.utils.array_to_img(x, scale=scale)))
    batch = _x(2, 30, 50, 3)
    np.testing.assert_allclose(lw_image.smart_resize(batch, (20, 20)),
                               keras.preprocessing.image.smart_resize(batch, (20, 20)), atol=2e-3)
