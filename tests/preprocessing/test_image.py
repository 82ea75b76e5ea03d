"""The legacy keras.preprocessing.image API: ImageDataGenerator, its iterators, and the image file helpers."""

import os
import re
import sys

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.preprocessing.image import (
    DirectoryIterator,
    ImageDataGenerator,
    NumpyArrayIterator,
    apply_affine_transform,
    apply_brightness_shift,
    apply_channel_shift,
    array_to_img,
    img_to_array,
    load_img,
    random_rotation,
    random_shift,
    save_img,
    smart_resize,
)


def _images(n=10, h=9, w=13, c=3, seed=0):
    return np.round(np.random.default_rng(seed).uniform(0, 255, size=(n, h, w, c))).astype("float32")


def _write_folder(root, classes=("cats", "dogs"), per_class=5, size=(12, 10)):
    from PIL import Image

    rng = np.random.default_rng(1)
    for name in classes:
        os.makedirs(os.path.join(root, name))
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 256, size=size + (3,), dtype=np.uint8)).save(
                os.path.join(root, name, f"{i}.png"))


# ---------------------------------------------------------------- flow

def test_flow_batches_labels_weights_and_extra_inputs():
    x, y = _images(), np.arange(10)
    gen = ImageDataGenerator(rotation_range=10, horizontal_flip=True)
    it = gen.flow(x, y, batch_size=4, shuffle=False)
    assert isinstance(it, NumpyArrayIterator) and len(it) == 3
    bx, by = it[0]
    assert bx.shape == (4, 9, 13, 3) and bx.dtype == np.float32 and by.tolist() == [0, 1, 2, 3]
    assert it[2][0].shape == (2, 9, 13, 3)
    bx, by, bw = gen.flow(x, y, sample_weight=np.arange(10) / 10, batch_size=5, shuffle=False)[1]
    np.testing.assert_allclose(bw, np.arange(5, 10) / 10)
    inputs, _ = gen.flow((x, np.arange(10) * 2), y, batch_size=3, shuffle=False)[0]
    assert inputs[0].shape == (3, 9, 13, 3) and inputs[1].tolist() == [0, 2, 4]
    only_x = gen.flow(x, batch_size=4)[0]
    assert isinstance(only_x, np.ndarray) and only_x.shape == (4, 9, 13, 3)


def test_next_runs_forever_and_for_loops_run_one_reshuffled_epoch():
    x, y = _images(), np.arange(10)
    it = ImageDataGenerator().flow(x, y, batch_size=4, seed=1)
    streamed = [next(it)[1] for _ in range(7)]
    assert [len(b) for b in streamed] == [4, 4, 2, 4, 4, 2, 4]
    epoch_one = [b[1] for b in it]
    epoch_two = [b[1] for b in it]
    assert [len(b) for b in epoch_one] == [4, 4, 2]
    assert sorted(np.concatenate(epoch_one).tolist()) == list(range(10))
    assert np.concatenate(epoch_one).tolist() != np.concatenate(epoch_two).tolist()
    np.testing.assert_array_equal(it.next()[0].shape, (4, 9, 13, 3))


def test_seeded_flows_repeat():
    x, y = _images(), np.arange(10)
    config = {"rotation_range": 30, "zoom_range": 0.2, "horizontal_flip": True, "brightness_range": (0.5, 1.5)}
    a = ImageDataGenerator(**config).flow(x, y, batch_size=5, seed=9)
    b = ImageDataGenerator(**config).flow(x, y, batch_size=5, seed=9)
    for i in range(2):
        np.testing.assert_array_equal(a[i][0], b[i][0])


def test_validation_split_takes_the_first_fraction_for_validation():
    x, y = _images(), np.array([0, 1] * 5)
    gen = ImageDataGenerator(validation_split=0.2)
    val = gen.flow(x, y, batch_size=10, shuffle=False, subset="validation")[0]
    train = gen.flow(x, y, batch_size=10, shuffle=False, subset="training")[0]
    np.testing.assert_array_equal(val[0], x[:2])
    np.testing.assert_array_equal(train[0], x[2:])
    with pytest.raises(ValueError, match=re.escape(
            "Training and validation subsets have different number of classes after the split. If your numpy "
            "arrays are sorted by the label, you might want to shuffle them.")):
        gen.flow(x, np.sort(y), subset="training")
    assert len(gen.flow(x, np.sort(y), subset="training", ignore_class_split=True)) == 1


def test_standardization_order_and_fit_statistics():
    x = _images(20)
    gen = ImageDataGenerator(rescale=0.5, featurewise_center=True, featurewise_std_normalization=True,
                             preprocessing_function=lambda image: image + 2.0)
    gen.fit(x)
    np.testing.assert_allclose(gen.mean.reshape(-1), (x * 0.5).mean(axis=(0, 1, 2)), rtol=1e-5)
    out = gen.flow(x, batch_size=20, shuffle=False)[0]
    expected = ((x + 2.0) * 0.5 - gen.mean) / (gen.std + 1e-6)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gen.standardize(x[0].copy()), expected[0], rtol=1e-4, atol=1e-4)
    sample = ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True).flow(x, batch_size=4)[0]
    np.testing.assert_allclose(sample.mean(axis=(1, 2, 3)), 0.0, atol=1e-4)
    np.testing.assert_allclose(sample.std(axis=(1, 2, 3)), 1.0, atol=1e-4)


def test_featurewise_without_fit_warns():
    with pytest.warns(UserWarning, match=re.escape(
            "This ImageDataGenerator specifies `featurewise_center`, but it hasn't been fit on any training data. "
            "Fit it first by calling `.fit(numpy_data)`.")):
        ImageDataGenerator(featurewise_center=True).flow(_images(), batch_size=2)[0]


def test_transforms_keep_ranges_and_shapes():
    x = _images(16)
    config = {"rotation_range": 40, "width_shift_range": 0.2, "height_shift_range": 3, "shear_range": 15,
              "zoom_range": [0.7, 1.3], "channel_shift_range": 20.0, "horizontal_flip": True, "vertical_flip": True,
              "brightness_range": (0.5, 1.2)}
    for fill_mode in ("nearest", "reflect", "wrap", "constant"):
        out = ImageDataGenerator(fill_mode=fill_mode, cval=0.0, **config).flow(x, batch_size=16, seed=0)[0]
        assert out.shape == x.shape and np.isfinite(out).all()
        assert out.min() >= 0 and out.max() <= 255 + 1e-3
        assert not np.allclose(out, x)
    flipped = ImageDataGenerator(horizontal_flip=True).apply_transform(x[0], {"flip_horizontal": True})
    np.testing.assert_array_equal(flipped, x[0][:, ::-1])
    same = ImageDataGenerator().random_transform(x[0], seed=1)
    np.testing.assert_array_equal(same, x[0])


def test_channels_first_generator():
    x = np.ascontiguousarray(_images(6).transpose(0, 3, 1, 2))
    gen = ImageDataGenerator(rotation_range=20, data_format="channels_first", brightness_range=(0.8, 1.2))
    assert gen.flow(x, batch_size=3)[0].shape == (3, 3, 9, 13)


def test_save_to_dir_writes_the_augmented_images(tmp_path):
    ImageDataGenerator(rotation_range=10).flow(_images(4), batch_size=4, save_to_dir=tmp_path, save_prefix="aug",
                                               save_format="png")[0]
    files = sorted(os.listdir(tmp_path))
    assert len(files) == 4 and all(f.startswith("aug_") and f.endswith(".png") for f in files)


def test_fit_trains_a_model_from_flow():
    keras.utils.set_random_seed(0)
    x = np.zeros((64, 8, 8, 1), dtype="float32")
    y = np.arange(64) % 2
    x[y == 1, :4] = 255.0  # bright top half for class 1
    gen = ImageDataGenerator(rescale=1 / 255, width_shift_range=0.1, horizontal_flip=True)
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(gen.flow(x, y, batch_size=16), epochs=5, verbose=0)
    assert len(history.history["loss"]) == 5
    model.fit(gen.flow(x, y, batch_size=16), steps_per_epoch=2, epochs=1, verbose=0)
    assert model.evaluate(gen.flow(x, y, batch_size=16, shuffle=False), verbose=0)[1] > 0.9


# ---------------------------------------------------------------- flow_from_directory

def test_flow_from_directory_class_modes(tmp_path, capsys):
    _write_folder(tmp_path)
    gen = ImageDataGenerator(rescale=1 / 255)
    it = gen.flow_from_directory(tmp_path, target_size=(6, 5), batch_size=4, shuffle=False)
    assert capsys.readouterr().out == "Found 10 images belonging to 2 classes.\n"
    assert isinstance(it, DirectoryIterator)
    assert it.class_indices == {"cats": 0, "dogs": 1} and it.samples == 10 and len(it) == 3
    assert it.filenames[0] == os.path.join("cats", "0.png") and it.classes.tolist() == [0] * 5 + [1] * 5
    bx, by = it[0]
    assert bx.shape == (4, 6, 5, 3) and bx.max() <= 1.0 and by.tolist() == [[1, 0]] * 4
    assert it[2][1].tolist() == [[0, 1]] * 2
    options = {"target_size": (6, 5), "batch_size": 10, "shuffle": False}
    assert gen.flow_from_directory(tmp_path, class_mode="binary", **options)[0][1].tolist() == [0.0] * 5 + [1.0] * 5
    assert gen.flow_from_directory(tmp_path, class_mode="sparse", **options)[0][1].dtype == np.float32
    images, targets = gen.flow_from_directory(tmp_path, class_mode="input", **options)[0]
    np.testing.assert_array_equal(images, targets)
    assert isinstance(gen.flow_from_directory(tmp_path, class_mode=None, **options)[0], np.ndarray)
    gray = gen.flow_from_directory(tmp_path, color_mode="grayscale", **options)[0][0]
    assert gray.shape == (10, 6, 5, 1)
    only_dogs = gen.flow_from_directory(tmp_path, classes=["dogs"], **options)
    assert only_dogs.samples == 5 and only_dogs.class_indices == {"dogs": 0}


def test_flow_from_directory_subsets_split_each_class(tmp_path):
    _write_folder(tmp_path)
    gen = ImageDataGenerator(validation_split=0.4)
    val = gen.flow_from_directory(tmp_path, target_size=(4, 4), subset="validation")
    train = gen.flow_from_directory(tmp_path, target_size=(4, 4), subset="training")
    assert val.filenames == [os.path.join(c, f"{i}.png") for c in ("cats", "dogs") for i in (0, 1)]
    assert train.samples == 6 and not set(train.filenames) & set(val.filenames)


def test_flow_from_directory_bad_input(tmp_path):
    _write_folder(tmp_path, per_class=2)
    bad = tmp_path / "cats" / "9.jpg"
    bad.write_bytes(b"not an image at all")
    it = ImageDataGenerator().flow_from_directory(tmp_path, target_size=(4, 4), batch_size=8, shuffle=False)
    assert it.samples == 5
    with pytest.raises(ValueError, match=re.escape(f"Could not read image file {str(bad)!r}: ")):
        it[0]
    with pytest.raises(FileNotFoundError, match=re.escape(
            f"flow_from_directory: directory {str(tmp_path / 'missing')!r} does not exist or is not a directory.")):
        ImageDataGenerator().flow_from_directory(tmp_path / "missing")
    with pytest.raises(ValueError, match=re.escape(
            "Invalid class_mode: 'multiclass'; expected one of: ('categorical', 'binary', 'sparse', 'input', "
            "None).")):
        ImageDataGenerator().flow_from_directory(tmp_path, class_mode="multiclass")
    with pytest.raises(ValueError, match=re.escape(
            "DirectoryIterator: interpolation must be one of nearest, bilinear, bicubic, hamming, box, lanczos; "
            "got 'area'.")):
        ImageDataGenerator().flow_from_directory(tmp_path, interpolation="area")
    with pytest.raises(ValueError, match=re.escape(
            "DirectoryIterator: target_size must be a (height, width) pair of positive integers, e.g. (180, 180); "
            "got (0, 4).")):
        ImageDataGenerator().flow_from_directory(tmp_path, target_size=(0, 4))


def test_flow_from_dataframe(tmp_path):
    pd = pytest.importorskip("pandas")
    _write_folder(tmp_path, per_class=3)
    frame = pd.DataFrame({"filename": [f"{c}/{i}.png" for c in ("cats", "dogs") for i in range(3)] + ["gone.png"],
                          "class": ["cat"] * 3 + ["dog"] * 3 + ["dog"]})
    with pytest.warns(UserWarning, match=re.escape(
            'Found 1 invalid image filename(s) in x_col="filename". These filename(s) will be ignored.')):
        it = ImageDataGenerator().flow_from_dataframe(frame, tmp_path, target_size=(4, 4), batch_size=6,
                                                      shuffle=False)
    bx, by = it[0]
    assert bx.shape == (6, 4, 4, 3) and by.tolist() == [[1, 0]] * 3 + [[0, 1]] * 3


# ---------------------------------------------------------------- bad generator arguments

@pytest.mark.parametrize("kwargs, message", [
    ({"zoom_range": "0.2"}, "zoom_range should be a float or a tuple or list of two floats. Received: '0.2'"),
    ({"brightness_range": 0.5}, "brightness_range should be tuple or list of two floats. Received: 0.5"),
    ({"validation_split": 1.2}, "validation_split must be strictly between 0 and 1, e.g. 0.2; received: 1.2."),
    ({"data_format": "NHWC"}, 'data_format should be "channels_last" (channel after row and column) or '
                              '"channels_first" (channel before row and column). Received: \'NHWC\''),
    ({"fill_mode": "mirror"}, "fill_mode must be one of ('constant', 'nearest', 'reflect', 'wrap'); got 'mirror'."),
    ({"interpolation_order": 2}, "interpolation_order must be 0 (nearest), 1 (bilinear) or 3 (bicubic); got 2."),
])
def test_bad_generator_arguments(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        ImageDataGenerator(**kwargs)


def test_bad_flow_inputs():
    gen = ImageDataGenerator()
    with pytest.raises(ValueError, match=re.escape(
            "Input data in NumpyArrayIterator should have rank 4 (images, height, width, channels). You passed an "
            "array with shape (10, 28, 28). For grayscale images of shape (n, 28, 28), add a channel axis: "
            "x[..., None].")):
        gen.flow(np.zeros((10, 28, 28)))
    with pytest.raises(ValueError, match=re.escape(
            "flow: x (images) and y (labels) should have the same length. Found: x.shape = (10, 9, 13, 3), "
            "y.shape = (9,).")):
        gen.flow(_images(), np.arange(9))
    with pytest.raises(ValueError, match=re.escape("flow: subset must be 'training' or 'validation'; got 'test'.")):
        gen.flow(_images(), subset="test")
    with pytest.raises(ValueError, match=re.escape("batch_size must be a positive integer; got 0.")):
        gen.flow(_images(), batch_size=0)
    with pytest.raises(ValueError, match=re.escape("Asked to retrieve element 5, but the Sequence has length 3.")):
        gen.flow(_images(), batch_size=4)[5]


# ---------------------------------------------------------------- single-image helpers

def test_single_image_helpers():
    x = _images(1)[0]
    rotated = apply_affine_transform(x, theta=90, row_axis=0, col_axis=1, channel_axis=2)
    assert rotated.shape == x.shape
    square = _images(1, 5, 5, 1)[0]
    np.testing.assert_allclose(apply_affine_transform(square, theta=90, row_axis=0, col_axis=1, channel_axis=2),
                               np.rot90(square, 1), atol=1e-3)
    shifted = apply_affine_transform(square, tx=1, ty=0, row_axis=0, col_axis=1, channel_axis=2,
                                     fill_mode="constant", cval=-1)
    # Keras's convention: for (row, col) images, tx moves along the columns.
    np.testing.assert_allclose(shifted[:, :-1], square[:, 1:], atol=1e-4)
    np.testing.assert_array_equal(shifted[:, -1], -1)
    np.random.seed(0)
    assert random_rotation(x, 20, row_axis=0, col_axis=1, channel_axis=2).shape == x.shape
    assert random_shift(x, 0.1, 0.1, row_axis=0, col_axis=1, channel_axis=2).shape == x.shape
    np.testing.assert_array_equal(apply_channel_shift(np.array([[[0.0, 10.0]]]), 5.0), [[[5.0, 10.0]]])
    np.testing.assert_allclose(apply_brightness_shift(np.full((2, 2, 3), 100.0), 1.5, scale=False), 150.0)
    with pytest.raises(ValueError, match=re.escape("'row_axis', 'col_axis', and 'channel_axis' must be distinct.")):
        apply_affine_transform(x, theta=10, row_axis=0, col_axis=0, channel_axis=2)


def test_image_file_round_trip(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, size=(6, 7, 3)).astype("float32")
    path = tmp_path / "image.png"
    save_img(path, x, scale=False)
    img = load_img(path)
    assert img.size == (7, 6) and img.mode == "RGB"
    np.testing.assert_array_equal(img_to_array(img), x)
    assert img_to_array(img, data_format="channels_first").shape == (3, 6, 7)
    assert img_to_array(load_img(str(path), color_mode="grayscale")).shape == (6, 7, 1)
    assert img_to_array(load_img(path, target_size=(3, 4))).shape == (3, 4, 3)
    assert img_to_array(load_img(path, target_size=(4, 4), keep_aspect_ratio=True)).shape == (4, 4, 3)
    stretched = img_to_array(array_to_img(x / 255.0))
    assert stretched.min() == 0 and stretched.max() == 255
    with pytest.raises(ValueError, match=re.escape(
            "array_to_img expects a single image of rank 3 (height, width, channels); got shape (2, 6, 7, 3).")):
        array_to_img(np.zeros((2, 6, 7, 3)))
    with pytest.raises(ValueError, match=re.escape(
            'load_img: color_mode must be "grayscale", "rgb" or "rgba"; got \'cmyk\'.')):
        load_img(path, color_mode="cmyk")
    assert smart_resize(np.zeros((30, 50, 3)), (20, 20)).shape == (20, 20, 3)
    assert isinstance(smart_resize(torch.zeros(2, 30, 50, 3), (10, 10)), torch.Tensor)


def test_missing_pillow_gives_an_install_hint(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=re.escape(
            "This function reads or writes image files with Pillow, which is not installed. Install it with "
            "`pip install pillow` (or `pip install layerwise[image]`).")):
        load_img(tmp_path / "x.png")
    with pytest.raises(ImportError, match=re.escape(
            "Reading image files needs Pillow, which is not installed. Install it with `pip install pillow` (or "
            "`pip install layerwise[image]`).")):
        keras.utils.image_dataset_from_directory(tmp_path)
