"""image_dataset_from_directory, text_dataset_from_directory, timeseries_dataset_from_array, the Dataset
methods, fit/evaluate/predict on datasets, bad input, and a CNN trained from an image folder."""

import os
import re
import tarfile

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.utils import dataset_utils
from layerwise.utils.image_dataset_utils import ImageFolderDataset

CIFAR_JPG = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "cifar10_subset",
                         "cifar10_test_subset_1000_jpg.tar.gz")


def _write_images(root, classes=("cats", "dogs", "owls"), per_class=4, size=(8, 8), ext="png", seed=0):
    """Class folders of small images with known pixels; returns {path: array}."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    arrays = {}
    for name in classes:
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i in range(per_class):
            array = rng.integers(0, 256, size=size + (3,), dtype=np.uint8)
            path = os.path.join(root, name, f"img_{i:02d}.{ext}")
            Image.fromarray(array).save(path)
            arrays[path] = array
    return arrays


def _collect(dataset):
    xs, ys = [], []
    for x, y in dataset:
        xs.append(x.numpy())
        ys.append(y.numpy())
    return np.concatenate(xs), np.concatenate(ys)


# ---------------------------------------------------------------- image_dataset_from_directory

def test_image_dataset_reads_classes_labels_and_pixels(tmp_path, capsys):
    arrays = _write_images(tmp_path)
    ds = keras.utils.image_dataset_from_directory(tmp_path, image_size=(8, 8), batch_size=5, shuffle=False)
    assert capsys.readouterr().out == "Found 12 files belonging to 3 classes.\n"
    assert isinstance(ds, ImageFolderDataset)
    assert ds.class_names == ["cats", "dogs", "owls"]
    assert len(ds) == 3 and ds.cardinality() == 3
    assert ds.file_paths == sorted(arrays)
    x, y = _collect(ds)
    assert x.dtype == np.float32 and x.shape == (12, 8, 8, 3)
    assert y.dtype == np.int32 and y.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    np.testing.assert_array_equal(x, np.stack([arrays[p] for p in sorted(arrays)]).astype("float32"))
    first_x, _ = next(iter(ds))
    assert isinstance(first_x, torch.Tensor) and first_x.shape == (5, 8, 8, 3)


def test_label_modes(tmp_path):
    _write_images(tmp_path, classes=("a", "b"))
    _, y = _collect(keras.utils.image_dataset_from_directory(tmp_path, image_size=(8, 8), shuffle=False,
                                                             label_mode="categorical", verbose=False))
    assert y.dtype == np.float32 and y.shape == (8, 2) and y.tolist()[0] == [1.0, 0.0] and y.tolist()[-1] == [0, 1]
    _, y = _collect(keras.utils.image_dataset_from_directory(tmp_path, image_size=(8, 8), shuffle=False,
                                                             label_mode="binary", verbose=False))
    assert y.dtype == np.float32 and y.shape == (8, 1) and y[:, 0].tolist() == [0] * 4 + [1] * 4
    images_only = keras.utils.image_dataset_from_directory(tmp_path, image_size=(8, 8), label_mode=None,
                                                           verbose=False)
    batch = next(iter(images_only))
    assert isinstance(batch, torch.Tensor) and batch.shape == (8, 8, 8, 3)


def test_labels_list_none_and_class_names(tmp_path, capsys):
    arrays = _write_images(tmp_path, classes=("a", "b"), per_class=3)
    labels = [5, 7, 5, 7, 7, 5]
    ds = keras.utils.image_dataset_from_directory(tmp_path, labels=labels, image_size=(8, 8), shuffle=False)
    assert capsys.readouterr().out == "Found 6 files belonging to 2 classes.\n"
    assert ds.class_names == ["5", "7"]
    assert _collect(ds)[1].tolist() == labels
    unlabelled = keras.utils.image_dataset_from_directory(tmp_path, labels=None, image_size=(8, 8), shuffle=False)
    assert capsys.readouterr().out == "Found 6 files.\n"
    assert unlabelled.class_names is None
    np.testing.assert_array_equal(next(iter(unlabelled)).numpy(),
                                  np.stack([arrays[p] for p in sorted(arrays)]).astype("float32"))
    reordered = keras.utils.image_dataset_from_directory(tmp_path, class_names=["b", "a"], image_size=(8, 8),
                                                         shuffle=False, verbose=False)
    assert reordered.class_names == ["b", "a"] and _collect(reordered)[1].tolist() == [0, 0, 0, 1, 1, 1]
    only_b = keras.utils.image_dataset_from_directory(tmp_path, class_names=["b"], image_size=(8, 8),
                                                      verbose=False)
    assert len(only_b.file_paths) == 3


def test_color_modes_sizes_and_layouts(tmp_path):
    _write_images(tmp_path, classes=("a",), per_class=2, size=(10, 14))
    opts = {"shuffle": False, "verbose": False, "batch_size": 2}
    gray = next(iter(keras.utils.image_dataset_from_directory(tmp_path, color_mode="grayscale", image_size=(10, 14),
                                                              **opts)))[0]
    rgba = next(iter(keras.utils.image_dataset_from_directory(tmp_path, color_mode="rgba", image_size=(10, 14),
                                                              **opts)))[0]
    rgb = next(iter(keras.utils.image_dataset_from_directory(tmp_path, image_size=(5, 7), **opts)))[0]
    full = next(iter(keras.utils.image_dataset_from_directory(tmp_path, image_size=(10, 14), **opts)))[0]
    assert gray.shape == (2, 10, 14, 1) and rgba.shape == (2, 10, 14, 4)
    np.testing.assert_array_equal(rgba[..., 3].numpy(), 255.0)
    np.testing.assert_allclose(rgb.numpy(), keras.layers.Resizing(5, 7)(full).numpy(), atol=1e-3)
    first = next(iter(keras.utils.image_dataset_from_directory(tmp_path, image_size=(5, 7), data_format="channels_first",
                                                               **opts)))[0]
    np.testing.assert_allclose(first.numpy(), rgb.permute(0, 3, 1, 2).numpy(), atol=1e-3)
    for aspect in ("crop_to_aspect_ratio", "pad_to_aspect_ratio"):
        out = next(iter(keras.utils.image_dataset_from_directory(tmp_path, image_size=(6, 6), **{aspect: True},
                                                                 **opts)))[0]
        assert out.shape == (2, 6, 6, 3)
    cropped = next(iter(keras.utils.image_dataset_from_directory(tmp_path, image_size=(10, 10), interpolation="nearest",
                                                                 crop_to_aspect_ratio=True, **opts)))[0]
    np.testing.assert_array_equal(cropped.numpy(), full[:, :, 2:12].numpy())


def test_file_order_and_splits_are_keras_s(tmp_path):
    from keras.src.utils import dataset_utils as keras_dataset_utils

    _write_images(tmp_path, per_class=5)
    paths, labels, names = keras_dataset_utils.index_directory(str(tmp_path), "inferred", (".png",), seed=42,
                                                               verbose=False)
    train, val = keras.utils.image_dataset_from_directory(tmp_path, image_size=(8, 8), validation_split=0.2,
                                                          subset="both", seed=42, verbose=False)
    keras_train = keras_dataset_utils.get_training_or_validation_split(paths, labels, 0.2, "training")
    keras_val = keras_dataset_utils.get_training_or_validation_split(paths, labels, 0.2, "validation")
    assert train.file_paths == keras_train[0] and val.file_paths == keras_val[0]
    assert _collect(train)[1].tolist() == keras_train[1].tolist()
    assert _collect(val)[1].tolist() == keras_val[1].tolist()
    assert train.class_names == val.class_names == names


def test_validation_subsets_print_and_partition(tmp_path, capsys):
    _write_images(tmp_path, per_class=5)
    train = keras.utils.image_dataset_from_directory(tmp_path, image_size=(8, 8), validation_split=0.2,
                                                     subset="training", seed=1)
    val = keras.utils.image_dataset_from_directory(tmp_path, image_size=(8, 8), validation_split=0.2,
                                                   subset="validation", seed=1)
    out = capsys.readouterr().out
    assert "Using 12 files for training.\n" in out and "Using 3 files for validation.\n" in out
    assert not set(train.file_paths) & set(val.file_paths)
    assert len(set(train.file_paths) | set(val.file_paths)) == 15


def test_shuffling_repeats_with_a_seed_and_reshuffles_every_pass(tmp_path):
    _write_images(tmp_path, per_class=6)
    a = keras.utils.image_dataset_from_directory(tmp_path, image_size=(8, 8), batch_size=4, seed=3, verbose=False)
    b = keras.utils.image_dataset_from_directory(tmp_path, image_size=(8, 8), batch_size=4, seed=3, verbose=False)
    first_a, first_b = _collect(a), _collect(b)
    np.testing.assert_array_equal(first_a[0], first_b[0])
    second = _collect(a)
    assert not np.array_equal(second[0], first_a[0])
    assert sorted(second[1].tolist()) == sorted(first_a[1].tolist())
    np.testing.assert_array_equal(second[0], _collect(b)[0])  # the second pass repeats too


def test_worker_processes_and_main_process_give_the_same_batches(tmp_path):
    _write_images(tmp_path)
    ds = keras.utils.image_dataset_from_directory(tmp_path, image_size=(6, 6), batch_size=5, shuffle=False,
                                                  verbose=False)
    ds.num_workers = 2
    in_workers = _collect(ds)
    ds.num_workers = 0
    in_main = _collect(ds)
    np.testing.assert_array_equal(in_workers[0], in_main[0])
    np.testing.assert_array_equal(in_workers[1], in_main[1])


def test_unbatched_dataset_yields_single_images(tmp_path):
    _write_images(tmp_path, per_class=2)
    ds = keras.utils.image_dataset_from_directory(tmp_path, image_size=(8, 8), batch_size=None, verbose=False,
                                                  shuffle=False)
    items = list(ds)
    assert len(ds) == 6 and len(items) == 6
    assert items[0][0].shape == (8, 8, 3) and items[0][1].ndim == 0


def test_fit_evaluate_predict_accept_datasets_and_tf_style_chains(tmp_path):
    _write_images(tmp_path, classes=("a", "b"), per_class=6)
    train, val = keras.utils.image_dataset_from_directory(tmp_path, image_size=(8, 8), batch_size=4,
                                                          validation_split=0.25, subset="both", seed=0,
                                                          verbose=False)
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Rescaling(1 / 255), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    chained = train.map(lambda x, y: (x, y)).cache().shuffle(10, seed=1).prefetch(dataset_utils.AUTOTUNE)
    history = model.fit(chained, validation_data=val, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and "val_accuracy" in history.history
    assert len(model.evaluate(val, verbose=0)) == 2
    assert model.predict(val, verbose=0).shape == (3, 2)
    assert model.predict(val.map(lambda x, y: x), verbose=0).shape == (3, 2)
    model.fit(train.repeat(), steps_per_epoch=2, epochs=1, verbose=0)
    assert chained.class_names == ["a", "b"]


# ---------------------------------------------------------------- bad input

def test_non_image_files_are_skipped_with_a_warning(tmp_path):
    _write_images(tmp_path, classes=("a", "b"), per_class=2)
    (tmp_path / "a" / "notes.txt").write_text("not an image")
    (tmp_path / "a" / ".DS_Store").write_bytes(b"\0")
    message = (f"Skipped 1 file(s) in {str(tmp_path)!r} without an allowed extension "
               "('.bmp', '.gif', '.jpeg', '.jpg', '.png'): 'a/notes.txt'.")
    with pytest.warns(UserWarning, match=re.escape(message)):
        ds = keras.utils.image_dataset_from_directory(tmp_path, image_size=(8, 8), verbose=False)
    assert len(ds.file_paths) == 4


def test_a_class_folder_without_images_is_an_error(tmp_path):
    _write_images(tmp_path, classes=("a",), per_class=2)
    os.makedirs(tmp_path / "b")
    (tmp_path / "b" / "readme.md").write_text("empty")
    with pytest.raises(ValueError, match=re.escape(
            f"Class folder 'b' in {str(tmp_path)!r} has no images with an allowed extension ('.bmp', '.gif', "
            "'.jpeg', '.jpg', '.png'). Add images to it, remove the folder, or pass class_names=[...] listing "
            "only the classes to load.")):
        keras.utils.image_dataset_from_directory(tmp_path, image_size=(8, 8), verbose=False)


@pytest.mark.parametrize("num_workers", [0, 1])
@pytest.mark.parametrize("name, content, kind", [
    ("broken.jpg", b"\xff\xd8\xff\xe0 a JPEG header and then nothing", "OSError: Truncated File Read"),
    ("notes.png", b"plain text saved as .png", "UnidentifiedImageError: cannot identify image file"),
])
def test_a_corrupt_image_names_the_file(tmp_path, num_workers, name, content, kind):
    _write_images(tmp_path, classes=("a",), per_class=2)
    bad = tmp_path / "a" / name
    bad.write_bytes(content)
    ds = keras.utils.image_dataset_from_directory(tmp_path, image_size=(8, 8), shuffle=False, verbose=False)
    ds.num_workers = num_workers
    pattern = (re.escape(f"Could not read image file {str(bad)!r}: {kind}") + ".*"
               + re.escape(". The file is corrupt, truncated or not an image; remove or replace it."))
    with pytest.raises(ValueError, match=pattern):
        list(ds)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"image_size": (32,)}, ValueError,
     "image_dataset_from_directory: image_size must be a (height, width) pair of positive integers, e.g. "
     "(180, 180); got (32,)."),
    ({"image_size": "180x180"}, ValueError, "image_size must be a (height, width) pair of positive integers"),
    ({"image_size": (0, 10)}, ValueError, "got (0, 10)."),
    ({"label_mode": "sparse"}, ValueError,
     "label_mode must be 'int' (integer labels, for sparse_categorical_crossentropy), 'categorical' (one-hot, "
     "for categorical_crossentropy), 'binary' (0/1 floats, for binary_crossentropy) or None (no labels); got "
     "'sparse'."),
    ({"label_mode": "binary"}, ValueError,
     "label_mode='binary' needs exactly 2 classes, but found 3: ['a', 'b', 'c']. Use label_mode='int' or "
     "'categorical' for more classes."),
    ({"color_mode": "RGB"}, ValueError, "color_mode must be 'rgb' (3 channels), 'rgba' (4) or 'grayscale' (1); "
                                        "got 'RGB'."),
    ({"interpolation": "linear"}, ValueError, "interpolation must be one of ('bilinear', 'nearest', 'bicubic', "
                                              "'area', 'lanczos3', 'lanczos5', 'gaussian', 'mitchellcubic'); "
                                              "got 'linear'."),
    ({"validation_split": 0.2}, ValueError,
     "validation_split and subset go together: pass both (e.g. validation_split=0.2, subset='training') or "
     "neither."),
    ({"validation_split": 0.2, "subset": "training"}, ValueError,
     "With validation_split and shuffle=True you must pass a seed, so that the training and validation subsets "
     "are drawn from the same shuffled order and do not overlap; e.g. seed=123."),
    ({"validation_split": 1.5, "subset": "training", "seed": 1}, ValueError,
     "validation_split must be a float between 0 and 1, the fraction of the files held out for validation, e.g. "
     "0.2; got 1.5."),
    ({"subset": "test", "validation_split": 0.2, "seed": 1}, ValueError,
     "subset must be 'training', 'validation' or 'both' (used with validation_split); got 'test'."),
    ({"labels": [0, 1]}, ValueError,
     "labels has 2 entries but 6 images were found in"),
    ({"labels": "folders"}, ValueError, "labels must be 'inferred', None or a list of integer labels; got "
                                        "'folders'."),
    ({"class_names": ["a", "z"]}, ValueError,
     "do not match the subfolders of"),
    ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, ValueError,
     "Only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True (crop the long side away, or pad "
     "the short side)."),
    ({"batch_size": 0}, ValueError, "batch_size must be a positive integer or None; got 0."),
])
def test_bad_arguments(tmp_path, kwargs, error, message):
    _write_images(tmp_path, classes=("a", "b", "c"), per_class=2)
    with pytest.raises(error, match=re.escape(message)):
        keras.utils.image_dataset_from_directory(tmp_path, verbose=False, **kwargs)


def test_bad_directories(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError, match=re.escape(
            f"Directory {str(missing)!r} does not exist or is not a directory. Pass the folder that holds one "
            "subfolder of files per class.")):
        keras.utils.image_dataset_from_directory(missing)
    from PIL import Image

    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "loose.png")
    with pytest.raises(ValueError, match=re.escape(
            f"No class subfolders found in {str(tmp_path)!r}. With labels='inferred' every class needs its own "
            f"subfolder (e.g. {tmp_path}/cats/, {tmp_path}/dogs/). It holds 1 images directly; put each class's "
            "files in its own subfolder, or pass labels=None to load them without labels.")):
        keras.utils.image_dataset_from_directory(tmp_path)
    assert len(keras.utils.image_dataset_from_directory(tmp_path, labels=None, verbose=False).file_paths) == 1


# ---------------------------------------------------------------- a CNN from an image folder

@pytest.fixture
def one_torch_thread():
    """Decoding runs in worker processes; on a small shared CPU one compute thread keeps the test quick."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_cnn_trains_from_an_image_folder_with_augmentation(tmp_path, one_torch_thread):
    with tarfile.open(CIFAR_JPG) as archive:
        members = [m for m in archive.getmembers()
                   if m.isfile() and m.name.split("/")[1] in ("airplane", "frog")]
        archive.extractall(tmp_path, members=members, filter="data")
    train, val = keras.utils.image_dataset_from_directory(
        tmp_path / "test", image_size=(32, 32), batch_size=32, validation_split=0.25, subset="both", seed=7,
        verbose=False)
    assert train.class_names == ["airplane", "frog"] and len(train.file_paths) == 150
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((32, 32, 3)),
        keras.layers.RandomFlip("horizontal"),
        keras.layers.RandomRotation(0.05),
        keras.layers.RandomZoom(0.1),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Conv2D(16, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(train, validation_data=val, epochs=12, verbose=0)
    _, accuracy = model.evaluate(val, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    # 50 held-out images, chance is 0.5: 35 or more right by luck has probability 0.003.
    assert accuracy >= 0.7, f"validation accuracy {accuracy:.2f} is not clearly above chance (0.5)"


# ---------------------------------------------------------------- text_dataset_from_directory

def _write_texts(root):
    texts = {"neg": ["awful film", "dull and slow", "wasted evening"], "pos": ["great fun", "loved it", "superb"]}
    for label, items in texts.items():
        os.makedirs(root / label)
        for i, text in enumerate(items):
            (root / label / f"{i}.txt").write_text(text, encoding="utf-8")
    return texts


def test_text_dataset_reads_strings_and_labels(tmp_path, capsys):
    texts = _write_texts(tmp_path)
    (tmp_path / "pos" / "cover.jpg").write_bytes(b"\0")
    with pytest.warns(UserWarning, match=re.escape("'pos/cover.jpg'")):
        ds = keras.utils.text_dataset_from_directory(tmp_path, batch_size=4, shuffle=False)
    assert capsys.readouterr().out == "Found 6 files belonging to 2 classes.\n"
    assert ds.class_names == ["neg", "pos"] and len(ds) == 2
    batches = list(ds)
    strings = [s for x, _ in batches for s in x.tolist()]
    assert strings == texts["neg"] + texts["pos"]
    assert batches[0][0].dtype.kind == "U" and batches[0][1].dtype == torch.int32
    (tmp_path / "pos" / "cover.jpg").unlink()
    assert [int(v) for _, y in batches for v in y] == [0, 0, 0, 1, 1, 1]
    short = keras.utils.text_dataset_from_directory(tmp_path, batch_size=6, shuffle=False, max_length=4,
                                                    label_mode="binary", verbose=False)
    x, y = next(iter(short))
    assert x.tolist()[:2] == ["awfu", "dull"] and y.shape == (6, 1)
    train, val = keras.utils.text_dataset_from_directory(tmp_path, validation_split=0.5, subset="both", seed=2,
                                                         verbose=False)
    assert sorted(train.file_paths + val.file_paths) == sorted(ds.file_paths)


def test_text_dataset_bad_input(tmp_path):
    _write_texts(tmp_path)
    with pytest.raises(ValueError, match=re.escape(
            "max_length must be a positive integer (characters) or None; got 0.")):
        keras.utils.text_dataset_from_directory(tmp_path, max_length=0)
    os.makedirs(tmp_path / "empty")
    with pytest.raises(ValueError, match=re.escape(
            f"Class folder 'empty' in {str(tmp_path)!r} has no text files with an allowed extension ('.txt',).")):
        keras.utils.text_dataset_from_directory(tmp_path, verbose=False)


# ---------------------------------------------------------------- timeseries_dataset_from_array

def test_timeseries_windows_match_the_keras_docstring_examples():
    # Keras's example 1: sequence_length=10, sampling_rate=2, sequence_stride=3 over 100 steps.
    data = np.arange(100)
    ds = keras.utils.timeseries_dataset_from_array(data, None, sequence_length=10, sampling_rate=2,
                                                   sequence_stride=3, batch_size=128)
    windows = next(iter(ds)).numpy()
    assert windows[0].tolist() == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
    assert windows[1].tolist() == [3, 5, 7, 9, 11, 13, 15, 17, 19, 21]
    assert windows[2].tolist() == [6, 8, 10, 12, 14, 16, 18, 20, 22, 24]
    assert windows[-1].tolist() == [81, 83, 85, 87, 89, 91, 93, 95, 97, 99]  # Keras: "[81, 83, ..., 99]"
    assert len(windows) == 28  # starts 0, 3, ..., 81
    # Example 2: windows of 10 steps predicting the step after.
    ds = keras.utils.timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10, batch_size=16)
    x, y = next(iter(ds))
    assert x[0].tolist() == list(range(10)) and int(y[0]) == 10
    assert x[5].tolist() == list(range(5, 15)) and int(y[5]) == 15
    assert sum(len(b[0]) for b in ds) == 81 and len(ds) == 6


def test_timeseries_start_end_and_multivariate_targets():
    data = np.arange(40, dtype="float32").reshape(20, 2)
    targets = np.arange(20) * 10
    ds = keras.utils.timeseries_dataset_from_array(data, targets, sequence_length=3, start_index=4, end_index=15,
                                                   batch_size=4)
    x, y = (np.concatenate(parts) for parts in zip(*[(a.numpy(), b.numpy()) for a, b in ds]))
    assert x.shape == (9, 3, 2) and x.dtype == np.float32
    assert x[0].tolist() == [[8, 9], [10, 11], [12, 13]] and y[0] == 40
    assert x[-1].tolist() == [[24, 25], [26, 27], [28, 29]] and y[-1] == 120
    single = keras.utils.timeseries_dataset_from_array(data, targets, sequence_length=3, batch_size=None)
    first = next(iter(single))
    assert first[0].shape == (3, 2) and int(first[1]) == 0 and len(single) == 18


def test_timeseries_shuffle_keeps_the_windows_and_repeats_with_a_seed():
    data = np.arange(50)
    plain = np.concatenate([b.numpy() for b in keras.utils.timeseries_dataset_from_array(
        data, None, sequence_length=4, batch_size=7)])
    a = keras.utils.timeseries_dataset_from_array(data, None, sequence_length=4, batch_size=7, shuffle=True,
                                                  seed=3)
    b = keras.utils.timeseries_dataset_from_array(data, None, sequence_length=4, batch_size=7, shuffle=True,
                                                  seed=3)
    first = np.concatenate([w.numpy() for w in a])
    np.testing.assert_array_equal(first, np.concatenate([w.numpy() for w in b]))
    assert not np.array_equal(first, plain)
    assert sorted(map(tuple, first.tolist())) == sorted(map(tuple, plain.tolist()))
    # Keras's own first shuffle of the start positions
    starts = np.arange(47)
    np.random.RandomState(3).shuffle(starts)
    np.testing.assert_array_equal(first[:, 0], starts)


def test_timeseries_trains_a_model():
    t = np.linspace(0, 20, 400).astype("float32")
    series = np.sin(t)[:, None]
    ds = keras.utils.timeseries_dataset_from_array(series[:-5], series[5:, 0], sequence_length=5, batch_size=32)
    model = keras.Sequential([keras.Input((5, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    history = model.fit(ds, epochs=15, verbose=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]


@pytest.mark.parametrize("kwargs, message", [
    ({"start_index": -1}, "start_index must be 0 or greater; got start_index=-1."),
    ({"start_index": 30}, "start_index must be lower than the length of the data; got start_index=30 for data of "
                          "length 20."),
    ({"start_index": 5, "end_index": 5}, "end_index must be higher than start_index; got start_index=5 and "
                                         "end_index=5."),
    ({"end_index": 20}, "end_index must be lower than the length of the data; got end_index=20 for data of length "
                        "20. Leave it out (None) to use the data to the end."),
    ({"sampling_rate": 0}, "sampling_rate must be higher than 0; got sampling_rate=0."),
    ({"sequence_stride": 20}, "sequence_stride must be lower than the length of the data; got "
                              "sequence_stride=20 for data of length 20."),
    ({"sequence_length": 25}, "timeseries_dataset_from_array: no complete window fits. A window spans 25 steps "
                              "(sequence_length=25, sampling_rate=1) but steps 0 to 20 hold only 20. Use a "
                              "shorter sequence_length or more data."),
])
def test_timeseries_bad_arguments(kwargs, message):
    args = {"sequence_length": 3, **kwargs}
    with pytest.raises(ValueError, match=re.escape(message)):
        keras.utils.timeseries_dataset_from_array(np.arange(20), None, **args)


def test_timeseries_refuses_text_data():
    with pytest.raises(ValueError, match=re.escape(
            "timeseries_dataset_from_array: data must hold numbers (one row per time step); got an array of dtype "
            "<U1.")):
        keras.utils.timeseries_dataset_from_array(np.array(list("abcdef")), None, sequence_length=2)


# ---------------------------------------------------------------- Dataset methods

def _numbers(n=10, batch_size=3):
    return keras.utils.timeseries_dataset_from_array(np.arange(n), None, sequence_length=1, batch_size=batch_size)


def _values(ds):
    return [b.flatten().tolist() if hasattr(b, "flatten") else b for b in ds]


def test_take_skip_map_filter_and_cardinality():
    ds = _numbers()
    assert _values(ds) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert _values(ds.take(2)) == [[0, 1, 2], [3, 4, 5]] and len(ds.take(2)) == 2
    assert _values(ds.skip(3)) == [[9]] and len(ds.skip(3)) == 1
    assert _values(ds.map(lambda x: x * 10).take(1)) == [[0, 10, 20]]
    assert _values(ds.filter(lambda x: x.numel() == 3)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert ds.filter(lambda x: True).cardinality() == dataset_utils.UNKNOWN
    with pytest.raises(TypeError, match=re.escape("The length of this dataset is not known")):
        len(ds.filter(lambda x: True))


def test_batch_unbatch_repeat_shuffle_cache_prefetch():
    ds = _numbers()
    singles = ds.unbatch()
    assert [int(v) for v in singles] == list(range(10))
    assert _values(singles.batch(4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert singles.batch(4).cardinality() == dataset_utils.UNKNOWN
    assert len(ds.batch(2)) == 2 and len(ds.batch(3, drop_remainder=True)) == 1
    assert _values(singles.batch(4, drop_remainder=True)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert ds.repeat().cardinality() == dataset_utils.INFINITE
    assert len(_values(ds.repeat(3))) == 12 and len(ds.repeat(3)) == 12
    with pytest.raises(TypeError, match=re.escape("The dataset repeats forever, so it has no length")):
        len(ds.repeat())
    assert len(_values(ds.repeat().take(9))) == 9
    shuffled = singles.shuffle(4, seed=1)
    first, second = [int(v) for v in shuffled], [int(v) for v in shuffled]
    assert sorted(first) == list(range(10)) and first != list(range(10)) and first != second
    calls = []
    cached = ds.map(lambda x: calls.append(1) or x).cache()
    assert _values(cached) == _values(cached) and len(calls) == 4
    assert _values(ds.prefetch(2)) == _values(ds)
    assert [b.tolist() for b in ds.as_numpy_iterator()][0] == [[0], [1], [2]]
    assert isinstance(next(ds.as_numpy_iterator()), np.ndarray)


def test_prefetch_passes_errors_on_and_stops_early():
    def boom(x):
        if int(x.flatten()[0]) == 6:
            raise RuntimeError("bad batch")
        return x

    with pytest.raises(RuntimeError, match="bad batch"):
        list(_numbers().map(boom).prefetch(2))
    assert len(_values(_numbers(1000).prefetch(1).take(2))) == 2


def test_cache_to_a_file_is_refused():
    with pytest.raises(ValueError, match=re.escape(
            "Dataset.cache(filename) is not supported: layerwise caches in memory only. Call cache() without a "
            "filename.")):
        _numbers().cache("/tmp/cache")
