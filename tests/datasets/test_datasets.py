"""The data set loaders against a server on 127.0.0.1 serving small files in the real formats.

Each test points a loader's origin constants at the local server and its
checksum constants at the test file's checksum, with a fresh cache root
(``LAYERWISE_HOME``): download, verification, cache reuse with the server
stopped, offline errors, and the arrays, dtypes and shapes returned.
"""

import importlib.util
import json
import os
import pickle
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import layerwise
from layerwise.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
    weather_prediction,
)
from layerwise.utils import file_utils
from layerwise.utils.file_utils import DownloadError


def _load_helpers():
    name = "layerwise_tests_local_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("local_server.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


helpers = _load_helpers()
SHARED_MNIST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist"
SHARED_WEATHER = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "weather_prediction"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERWISE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(file_utils, "RETRY_WAIT_SECONDS", 0.0)
    monkeypatch.setattr(file_utils, "TIMEOUT_SECONDS", 5)
    return tmp_path / "home" / "datasets"


@pytest.fixture
def server(cache):
    srv = helpers.LocalServer().start()
    yield srv
    srv.stop()


def _mnist_arrays(rng):
    return {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, 6, dtype=np.uint8),
            "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, 3, dtype=np.uint8)}


def _host_mnist(server, monkeypatch, data):
    server.files["/tf/mnist.npz"] = data
    monkeypatch.setattr(mnist, "ORIGIN_FOLDER", server.url("/tf/"))
    monkeypatch.setattr(mnist, "FILE_HASH", helpers.sha256(data))


# --- MNIST ---------------------------------------------------------------------------------------


def test_mnist_downloads_verifies_caches_and_works_offline(server, cache, monkeypatch):
    arrays = _mnist_arrays(np.random.default_rng(0))
    _host_mnist(server, monkeypatch, helpers.npz_bytes(**arrays))
    (x_train, y_train), (x_test, y_test) = layerwise.datasets.mnist.load_data()
    for got, key in [(x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"), (y_test, "y_test")]:
        np.testing.assert_array_equal(got, arrays[key])
        assert got.dtype == np.uint8 and got.shape == arrays[key].shape
    assert x_train.flags.writeable
    assert (cache / "mnist.npz").read_bytes() == server.files["/tf/mnist.npz"]

    server.stop()
    (again, _), _ = mnist.load_data()
    np.testing.assert_array_equal(again, arrays["x_train"])
    assert len(server.gets("/tf/mnist.npz")) == 1


def test_mnist_with_a_wrong_checksum_is_refused_and_deleted(server, cache, monkeypatch):
    data = helpers.npz_bytes(**_mnist_arrays(np.random.default_rng(0)))
    _host_mnist(server, monkeypatch, data)
    monkeypatch.setattr(mnist, "FILE_HASH", helpers.sha256(b"the real file"))
    with pytest.raises(ValueError) as error:
        mnist.load_data()
    assert str(error.value) == (
        f"The file downloaded from {server.url('/tf/mnist.npz')} has sha256 checksum {helpers.sha256(data)}, "
        f"but {helpers.sha256(b'the real file')} was expected, so it was deleted. The download was corrupted "
        "or the file on the server changed: try again, and if it fails again check the URL and file_hash."
    )
    assert os.listdir(cache) == []


def test_mnist_offline_says_where_to_put_the_file(server, cache, monkeypatch):
    _host_mnist(server, monkeypatch, b"unused")
    server.stop()
    with pytest.raises(DownloadError) as error:
        mnist.load_data()
    message = str(error.value)
    assert message.startswith(f"Could not download {server.url('/tf/mnist.npz')}: ")
    assert message.endswith(
        " (3 attempts).\nWithout a network connection, download the file on another machine and copy it to\n"
        f"  {cache / 'mnist.npz'}\nget_file then uses it without downloading, after checking that its sha256 "
        f"checksum is {helpers.sha256(b'unused')}."
    )


def test_the_real_mnist_checksum_and_origin_are_keras_s():
    assert mnist.ORIGIN_FOLDER + "mnist.npz" == \
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    assert mnist.FILE_HASH == "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def test_mnist_reads_a_local_npz_without_network(tmp_path, cache):
    arrays = _mnist_arrays(np.random.default_rng(1))
    (tmp_path / "mine.npz").write_bytes(helpers.npz_bytes(**arrays))
    (x_train, _), (_, y_test) = mnist.load_data(path=str(tmp_path / "mine.npz"))
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    with pytest.raises(FileNotFoundError) as error:
        mnist.load_data(path=str(tmp_path / "nowhere.npz"))
    assert str(error.value) == (
        f"mnist.load_data(path='{tmp_path / 'nowhere.npz'}'): no such file. A path with a folder names a "
        "local file to load; a bare file name (the default) names the copy in the download cache."
    )


def test_mnist_npz_errors_name_the_problem(tmp_path, cache):
    (tmp_path / "partial.npz").write_bytes(helpers.npz_bytes(x_train=np.zeros((1, 28, 28), np.uint8)))
    with pytest.raises(ValueError) as error:
        mnist.load_data(path=str(tmp_path / "partial.npz"))
    assert str(error.value) == (
        f"{tmp_path / 'partial.npz'} is not a MNIST file: it lacks the arrays y_train, x_test, y_test "
        "(it holds: x_train)."
    )
    data = helpers.npz_bytes(**_mnist_arrays(np.random.default_rng(0)))
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.npz is not a valid \.npz file \(.*\); it is truncated or "
                                         r"corrupt\. Delete it and download it again\.$"):
        mnist.load_data(path=str(tmp_path / "cut.npz"))


def test_the_shared_mnist_idx_files_load_like_a_users_local_copy(tmp_path, cache):
    images = mnist.load_idx(SHARED_MNIST / "t10k-images-idx3-ubyte.gz")
    labels = mnist.load_idx(SHARED_MNIST / "t10k-labels-idx1-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8 and images.max() == 255
    assert labels.shape == (10000,) and labels.dtype == np.uint8 and labels[:3].tolist() == [7, 2, 1]
    assert sorted(set(labels.tolist())) == list(range(10))
    assert mnist.load_idx(SHARED_MNIST / "train-labels-idx1-ubyte.gz")[:3].tolist() == [5, 0, 4]

    # The shared folder lacks the training images: the folder loader says which file is missing.
    with pytest.raises(FileNotFoundError) as error:
        mnist.load_data(path=str(SHARED_MNIST))
    assert str(error.value) == (
        f"mnist.load_data(path='{SHARED_MNIST}'): the folder lacks train-images-idx3-ubyte[.gz]. A folder "
        "must hold all four idx files (train-images, train-labels, t10k-images, t10k-labels); load single "
        "files with load_idx()."
    )
    # A complete folder (the test files standing in for the training ones) loads through load_data.
    folder = tmp_path / "mnist"
    folder.mkdir()
    for split in ("train", "t10k"):
        os.symlink(SHARED_MNIST / "t10k-images-idx3-ubyte.gz", folder / f"{split}-images-idx3-ubyte.gz")
        os.symlink(SHARED_MNIST / "t10k-labels-idx1-ubyte.gz", folder / f"{split}-labels-idx1-ubyte.gz")
    (x_train, y_train), (x_test, y_test) = mnist.load_data(path=str(folder))
    for got, want in [(x_train, images), (y_train, labels), (x_test, images), (y_test, labels)]:
        np.testing.assert_array_equal(got, want)
    # ... and so does an .npz made from them, the form Keras ships.
    np.savez(tmp_path / "mnist_local.npz", x_train=images, y_train=labels, x_test=images, y_test=labels)
    (x_train, y_train), _ = mnist.load_data(path=str(tmp_path / "mnist_local.npz"))
    np.testing.assert_array_equal(x_train, images)
    np.testing.assert_array_equal(y_train, labels)
    assert os.path.exists(cache) is False  # nothing was downloaded or cached


def test_mnist_folder_with_mismatched_counts(tmp_path):
    for name, array in [("train-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8)),
                        ("train-labels-idx1-ubyte", np.zeros(3, np.uint8)),
                        ("t10k-images-idx3-ubyte", np.zeros((1, 28, 28), np.uint8)),
                        ("t10k-labels-idx1-ubyte", np.zeros(1, np.uint8))]:
        (tmp_path / name).write_bytes(helpers.idx_bytes(array, gzipped=False))
    with pytest.raises(ValueError) as error:
        mnist.load_data(path=str(tmp_path))
    assert str(error.value) == (
        f"mnist.load_data(path='{tmp_path}'): the train images hold 2 samples but the train labels hold 3."
    )


# --- Fashion-MNIST -------------------------------------------------------------------------------


def test_fashion_mnist_reads_the_four_idx_files(server, cache, monkeypatch):
    rng = np.random.default_rng(2)
    arrays = {"x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 5).astype(np.uint8),
              "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 2).astype(np.uint8)}
    files = []
    for key, fname, _ in fashion_mnist.FILES:
        data = helpers.idx_bytes(arrays[key])
        server.files["/fashion/" + fname] = data
        files.append((key, fname, helpers.md5(data)))
    monkeypatch.setattr(fashion_mnist, "FILES", tuple(files))
    monkeypatch.setattr(fashion_mnist, "ORIGIN_FOLDER", server.url("/fashion/"))
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    for got, key in [(x_train, "x_train"), (y_train, "y_train"), (x_test, "x_test"), (y_test, "y_test")]:
        np.testing.assert_array_equal(got, arrays[key])
        assert got.dtype == np.uint8
    assert sorted(os.listdir(cache / "fashion-mnist")) == sorted(f for _, f, _ in files)
    server.stop()
    assert fashion_mnist.load_data()[0][0].shape == (5, 28, 28)


def test_fashion_mnist_with_unpaired_files_says_so(server, cache, monkeypatch):
    files = []
    for key, fname, _ in fashion_mnist.FILES:
        count = 1 if key == "y_test" else 2
        array = np.zeros((count, 28, 28) if key.startswith("x") else count, np.uint8)
        server.files["/fashion/" + fname] = helpers.idx_bytes(array)
        files.append((key, fname, helpers.md5(server.files["/fashion/" + fname])))
    monkeypatch.setattr(fashion_mnist, "FILES", tuple(files))
    monkeypatch.setattr(fashion_mnist, "ORIGIN_FOLDER", server.url("/fashion/"))
    with pytest.raises(ValueError) as error:
        fashion_mnist.load_data()
    assert str(error.value) == (
        f"fashion_mnist.load_data (files in {cache / 'fashion-mnist'}): the test images hold 2 samples but the "
        "test labels hold 1."
    )


# --- CIFAR ----------------------------------------------------------------------------------------


def _host_cifar10(server, monkeypatch, data):
    server.files["/kriz/cifar-10-python.tar.gz"] = data
    monkeypatch.setattr(cifar10, "ORIGIN", server.url("/kriz/cifar-10-python.tar.gz"))
    monkeypatch.setattr(cifar10, "FILE_HASH", helpers.sha256(data))


def test_cifar10_reads_the_python_pickle_tarball(server, cache, monkeypatch):
    data, batches = helpers.cifar10_tarball(np.random.default_rng(3), per_batch=2, test=3)
    _host_cifar10(server, monkeypatch, data)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (3, 32, 32, 3)
    assert y_train.shape == (10, 1) and y_test.shape == (3, 1)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype("uint8")}
    raw = np.concatenate([batches[f"data_batch_{i}"][b"data"] for i in range(1, 6)])
    np.testing.assert_array_equal(x_train, raw.reshape(10, 3, 32, 32).transpose(0, 2, 3, 1))
    labels = [label for i in range(1, 6) for label in batches[f"data_batch_{i}"][b"labels"]]
    assert y_train[:, 0].tolist() == labels
    blue = batches["test_batch"][b"data"][1, 2048:].reshape(32, 32)  # the third plane of the second image
    np.testing.assert_array_equal(x_test[1, :, :, 2], blue)
    # Keras's layout inside the cache: the archive beside the extracted folder.
    assert sorted(os.listdir(cache)) == ["cifar-10-batches-py-target", "cifar-10-batches-py-target_archive"]

    server.stop()
    (again, _), _ = cifar10.load_data()
    np.testing.assert_array_equal(again, x_train)


def test_cifar10_follows_channels_first(server, cache, monkeypatch):
    data, batches = helpers.cifar10_tarball(np.random.default_rng(4))
    _host_cifar10(server, monkeypatch, data)
    layerwise.backend.set_image_data_format("channels_first")
    try:
        (x_train, _), (x_test, _) = cifar10.load_data()
    finally:
        layerwise.backend.set_image_data_format("channels_last")
    assert x_train.shape == (10, 3, 32, 32) and x_test.shape == (3, 3, 32, 32)
    np.testing.assert_array_equal(x_test[0].reshape(-1), batches["test_batch"][b"data"][0])


class _Gadget:
    """A pickle that, if loaded by plain pickle, would delete a folder."""

    def __init__(self, folder):
        self.folder = folder

    def __reduce__(self):
        return shutil.rmtree, (self.folder,)


def test_a_cifar_pickle_that_would_run_code_is_refused(server, cache, monkeypatch, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    rng = np.random.default_rng(5)
    members = {f"cifar-10-batches-py/data_batch_{i}": helpers.python2_pickle(helpers.cifar_batch(rng, 1))
               for i in range(1, 6)}
    members["cifar-10-batches-py/test_batch"] = helpers.python2_pickle({b"data": _Gadget(str(victim))})
    _host_cifar10(server, monkeypatch, helpers.tar_gz(members))
    with pytest.raises(pickle.UnpicklingError) as error:
        cifar10.load_data()
    batch = cache / "cifar-10-batches-py-target" / "cifar-10-batches-py" / "test_batch"
    assert str(error.value) == (
        f"Refusing to load 'shutil.rmtree' from {batch}: a data set file may hold only numbers, strings, "
        "lists, dicts and numpy arrays, so this one is corrupt or was tampered with. Delete it and download "
        "it again."
    )
    assert victim.is_dir()


def test_a_cifar_batch_with_the_wrong_layout_is_refused(server, cache, monkeypatch):
    members = {f"cifar-10-batches-py/data_batch_{i}": helpers.python2_pickle(
        {b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}) for i in range(1, 6)}
    _host_cifar10(server, monkeypatch, helpers.tar_gz(members))
    batch = cache / "cifar-10-batches-py-target" / "cifar-10-batches-py" / "data_batch_1"
    with pytest.raises(ValueError) as error:
        cifar10.load_data()
    assert str(error.value) == (
        f"{batch} is not a CIFAR batch: 'data' should be an array of shape (n, 3072) with n labels, got "
        "(2, 100) and 2 labels."
    )


def test_cifar100_fine_and_coarse_labels(server, cache, monkeypatch):
    data, batches = helpers.cifar100_tarball(np.random.default_rng(7), train=6, test=4)
    server.files["/kriz/cifar-100-python.tar.gz"] = data
    monkeypatch.setattr(cifar100, "ORIGIN", server.url("/kriz/cifar-100-python.tar.gz"))
    monkeypatch.setattr(cifar100, "FILE_HASH", helpers.sha256(data))
    (x_train, y_train), (x_test, y_test) = cifar100.load_data()
    assert x_train.shape == (6, 32, 32, 3) and x_train.dtype == np.uint8 and x_test.shape == (4, 32, 32, 3)
    assert y_train.shape == (6, 1) and y_train.dtype == np.int64
    assert y_train[:, 0].tolist() == batches["train"][b"fine_labels"]
    (_, y_train), (_, y_test) = cifar100.load_data(label_mode="coarse")
    assert y_test[:, 0].tolist() == batches["test"][b"coarse_labels"]
    assert len(server.gets("/kriz/cifar-100-python.tar.gz")) == 1
    with pytest.raises(ValueError) as error:
        cifar100.load_data(label_mode="medium")
    assert str(error.value) == 'cifar100.load_data: label_mode must be "fine" or "coarse", got \'medium\'.'


# --- IMDB and Reuters -----------------------------------------------------------------------------


def _host_imdb(server, monkeypatch, rng, n_train=40, n_test=30):
    arrays = {"x_train": helpers.word_sequences(rng, n_train), "y_train": rng.integers(0, 2, n_train),
              "x_test": helpers.word_sequences(rng, n_test), "y_test": rng.integers(0, 2, n_test)}
    data = helpers.npz_bytes(**arrays)
    server.files["/tf/imdb.npz"] = data
    word_index = json.dumps({f"word{i}": i for i in range(1, 31)}).encode()
    server.files["/tf/imdb_word_index.json"] = word_index
    monkeypatch.setattr(imdb, "ORIGIN_FOLDER", server.url("/tf/"))
    monkeypatch.setattr(imdb, "FILE_HASH", helpers.sha256(data))
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", helpers.md5(word_index))
    return arrays


def test_imdb_returns_shifted_sequences_and_labels(server, cache, monkeypatch):
    arrays = _host_imdb(server, monkeypatch, np.random.default_rng(8))
    (x_train, y_train), (x_test, y_test) = imdb.load_data()
    assert x_train.dtype == object and x_train.shape == (40,) and x_test.shape == (30,)
    assert y_train.dtype == np.int64 and y_train.shape == (40,) and y_test.shape == (30,)
    assert all(isinstance(x, list) and x[0] == 1 for x in x_train)
    # Shuffled, but the same reviews: each raw review shifted by index_from=3 behind start_char=1.
    raw = sorted(tuple(x) for x in arrays["x_train"])
    # Without num_words, Keras treats the largest id as out-of-vocabulary (2): undo that for the comparison.
    top = max(max(x) for x in arrays["x_train"].tolist() + arrays["x_test"].tolist())
    assert sorted(tuple(w - 3 if w != 2 else top for w in x[1:]) for x in x_train) == raw
    assert (2 in {w for x in x_train for w in x}) == (top in {w for x in arrays["x_train"] for w in x})
    assert sorted(y_train.tolist()) == sorted(arrays["y_train"].tolist())

    word_index = imdb.get_word_index()
    assert word_index["word5"] == 5 and len(word_index) == 30
    server.stop()
    assert imdb.load_data(num_words=10)[0][0].shape == (40,)  # the cache serves every argument combination


def test_imdb_vocabulary_and_length_limits(server, cache, monkeypatch):
    _host_imdb(server, monkeypatch, np.random.default_rng(9))
    (x_train, _), (x_test, _) = imdb.load_data(num_words=12, skip_top=5, oov_char=2)
    ids = [w for x in list(x_train) + list(x_test) for w in x[1:]]
    assert max(ids) < 12 and all(w == 2 or 5 <= w for w in ids)
    (x_train, _), (x_test, _) = imdb.load_data(num_words=12, oov_char=None, start_char=None)
    assert all(3 <= w < 12 for x in list(x_train) + list(x_test) for w in x)
    (x_train, y_train), (x_test, y_test) = imdb.load_data(maxlen=6)
    assert all(len(x) < 6 for x in list(x_train) + list(x_test))
    assert (len(x_train), len(x_test)) == (len(y_train), len(y_test))
    (x_train, _), _ = imdb.load_data(start_char=None, index_from=0, num_words=1000)
    assert min(min(x) for x in x_train) >= 1

    with pytest.raises(ValueError) as error:
        imdb.load_data(maxlen=1)
    assert str(error.value) == ("imdb.load_data: after dropping the reviews with maxlen=1 or more ids, no "
                                "training review is left. Increase maxlen.")
    deprecated = "imdb.load_data: the 'nb_words' argument is deprecated; use 'num_words'."
    with pytest.warns(UserWarning, match=deprecated):
        (x_train, _), _ = imdb.load_data(nb_words=8)
    assert max(max(x) for x in x_train) < 8
    with pytest.raises(TypeError) as error:
        imdb.load_data(numwords=8)
    assert str(error.value) == "imdb.load_data() got unexpected keyword arguments: numwords."


def test_imdb_refuses_an_npz_that_would_run_code(tmp_path):
    payload = pickle.dumps(np.array([_Gadget(str(tmp_path / "keep"))], dtype=object), protocol=3)
    header = {"descr": "|O", "fortran_order": False, "shape": (1,)}
    buffer = __import__("io").BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    import zipfile

    with zipfile.ZipFile(tmp_path / "evil.npz", "w") as archive:
        for key in ("x_train", "y_train", "x_test", "y_test"):
            archive.writestr(f"{key}.npy", buffer.getvalue() + payload)
    (tmp_path / "keep").mkdir()
    with pytest.raises(pickle.UnpicklingError, match=r"^Refusing to load 'shutil.rmtree' from "):
        imdb.load_data(path=str(tmp_path / "evil.npz"))
    assert (tmp_path / "keep").is_dir()


def _host_reuters(server, monkeypatch, rng, n=50):
    arrays = {"x": helpers.word_sequences(rng, n), "y": rng.integers(0, 46, n)}
    data = helpers.npz_bytes(**arrays)
    server.files["/tf/reuters.npz"] = data
    word_index = json.dumps({"the": 1, "of": 2}).encode()
    server.files["/tf/reuters_word_index.json"] = word_index
    monkeypatch.setattr(reuters, "ORIGIN_FOLDER", server.url("/tf/"))
    monkeypatch.setattr(reuters, "FILE_HASH", helpers.sha256(data))
    monkeypatch.setattr(reuters, "WORD_INDEX_HASH", helpers.md5(word_index))
    return arrays


def test_reuters_split_labels_and_word_index(server, cache, monkeypatch):
    arrays = _host_reuters(server, monkeypatch, np.random.default_rng(10))
    (x_train, y_train), (x_test, y_test) = reuters.load_data()
    assert (len(x_train), len(x_test)) == (40, 10) and x_train.dtype == object
    assert y_train.dtype == np.int64 and sorted(np.concatenate([y_train, y_test]).tolist()) == \
        sorted(arrays["y"].tolist())
    (x_train, _), (x_test, _) = reuters.load_data(test_split=0.3)
    assert (len(x_train), len(x_test)) == (35, 15)
    assert reuters.get_word_index() == {"the": 1, "of": 2}
    assert len(reuters.get_label_names()) == 46 and reuters.get_label_names()[3] == "earn"
    with pytest.raises(ValueError) as error:
        reuters.load_data(test_split=1.0)
    assert str(error.value) == ("Invalid test_split argument: 1.0. It must be between 0 and 1 (1 excluded), "
                                "for example 0.2 to keep a fifth of the samples for testing.")


def test_a_word_index_that_is_not_json_is_refused(tmp_path):
    (tmp_path / "index.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"index\.json is not a word index: it is not valid JSON \(.*\)\. "
                                         r"Delete it and download it again\.$"):
        imdb.get_word_index(path=str(tmp_path / "index.json"))
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(ValueError) as error:
        reuters.get_word_index(path=str(tmp_path / "list.json"))
    assert str(error.value) == \
        f"{tmp_path / 'list.json'} is not a word index: it holds a JSON list, not an object."


# --- Housing --------------------------------------------------------------------------------------


def test_boston_housing_shuffles_and_splits(server, cache, monkeypatch):
    rng = np.random.default_rng(11)
    x, y = rng.normal(size=(50, 13)), rng.normal(size=50)
    data = helpers.npz_bytes(x=x, y=y)
    server.files["/tf/boston_housing.npz"] = data
    monkeypatch.setattr(boston_housing, "ORIGIN_FOLDER", server.url("/tf/"))
    monkeypatch.setattr(boston_housing, "FILE_HASH", helpers.sha256(data))
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    assert x_train.shape == (40, 13) and x_test.shape == (10, 13) and y_train.shape == (40,)
    assert x_train.dtype == np.float64
    order = np.concatenate([y_train, y_test])
    np.testing.assert_array_equal(np.sort(order), np.sort(y))
    np.testing.assert_array_equal(np.concatenate([x_train, x_test]), x[[list(y).index(v) for v in order]])
    (x_train, _), (x_test, _) = boston_housing.load_data(test_split=0.1, seed=1)
    assert (len(x_train), len(x_test)) == (45, 5)
    with pytest.raises(ValueError, match=r"^Invalid test_split argument: -0\.1\. "):
        boston_housing.load_data(test_split=-0.1)


def test_california_housing_versions(server, cache, monkeypatch):
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(700, 8)).astype("float32"), rng.normal(size=700).astype("float32")
    data = helpers.npz_bytes(x=x, y=y)
    server.files["/tf/california_housing.npz"] = data
    monkeypatch.setattr(california_housing, "ORIGIN_FOLDER", server.url("/tf/"))
    monkeypatch.setattr(california_housing, "FILE_HASH", helpers.sha256(data))
    (x_train, y_train), (x_test, _) = california_housing.load_data()
    assert (x_train.shape, x_test.shape, x_train.dtype) == ((560, 8), (140, 8), np.float32)
    (x_train, y_train), (x_test, y_test) = california_housing.load_data(version="small")
    assert (len(x_train), len(x_test)) == (480, 120)
    assert set(np.concatenate([y_train, y_test]).tolist()) == set(y[:600].tolist())
    with pytest.raises(ValueError) as error:
        california_housing.load_data(version="medium")
    assert str(error.value) == \
        "california_housing.load_data: version must be 'small' or 'large', got 'medium'."


# --- Weather --------------------------------------------------------------------------------------


def _host_weather(server, monkeypatch):
    files = {"light": weather_prediction.SHIPPED_CSV,
             "full": SHARED_WEATHER / "weather_prediction_dataset.csv",
             "bbq_labels": SHARED_WEATHER / "weather_prediction_bbq_labels.csv"}
    versions = {}
    for version, path in files.items():
        name = os.path.basename(path)
        server.files[f"/record/files/{name}"] = Path(path).read_bytes()
        md5 = weather_prediction.VERSIONS[version][1]
        versions[version] = (server.url(f"/record/files/{name}?download=1"), md5)
    monkeypatch.setattr(weather_prediction, "VERSIONS", versions)


def test_weather_versions_as_the_lesson_reads_them(server, cache, monkeypatch):
    _host_weather(server, monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback to the shipped copy here
        data = weather_prediction.load_data()
    pd.testing.assert_frame_equal(data, pd.read_csv(weather_prediction.SHIPPED_CSV))
    assert data.shape == (3654, 91) and list(data.columns[:3]) == ["DATE", "MONTH", "BASEL_cloud_cover"]
    labels = weather_prediction.load_data("bbq_labels")
    assert labels.shape == (3654, 18) and labels["BASEL_BBQ_weather"].sum() == 937
    full = weather_prediction.load_data("full")
    assert full.shape == (3654, 165) and set(data.columns) <= set(full.columns)
    assert sorted(os.listdir(cache / "weather_prediction")) == [
        "weather_prediction_bbq_labels.csv", "weather_prediction_dataset.csv",
        "weather_prediction_dataset_light.csv"]
    columns, values = weather_prediction.load_data("bbq_labels", as_frame=False)
    assert columns[:2] == ["DATE", "BASEL_BBQ_weather"] and values.shape == (3654, 18)
    assert values[:, 1].sum() == 937
    server.stop()
    assert weather_prediction.load_data("full").shape == (3654, 165)


def test_weather_light_falls_back_to_the_shipped_copy_offline(server, cache, monkeypatch):
    _host_weather(server, monkeypatch)
    server.stop()
    with pytest.warns(UserWarning) as caught:
        data = weather_prediction.load_data()
    assert data.shape == (3654, 91)
    message = str(caught[0].message)
    assert message.startswith("weather_prediction.load_data: Could not download ")
    assert message.endswith(f"Using the copy of the light data set that ships with layerwise "
                            f"({weather_prediction.SHIPPED_CSV}).")
    with pytest.raises(DownloadError, match=r"^Could not download .*/weather_prediction_bbq_labels\.csv\?"):
        weather_prediction.load_data("bbq_labels")


def test_weather_refuses_a_file_that_is_not_the_data_set(server, cache, monkeypatch):
    _host_weather(server, monkeypatch)
    url = weather_prediction.VERSIONS["light"][0]
    monkeypatch.setitem(weather_prediction.VERSIONS, "bbq_labels", (url, None))
    with pytest.raises(ValueError) as error:
        weather_prediction.load_data("bbq_labels")
    assert str(error.value) == (
        "weather_prediction.load_data(version='bbq_labels'): the downloaded file is not the weather data "
        "set: expected 3654 rows with DATE and <CITY>_BBQ_weather columns, got 3654 rows with the columns "
        "['DATE', 'MONTH', 'BASEL_cloud_cover', 'BASEL_humidity']... It was deleted from the cache; try "
        "again."
    )
    assert not (cache / "weather_prediction" / "weather_prediction_dataset_light.csv").exists()
    with pytest.raises(ValueError) as error:
        weather_prediction.load_data("tiny")
    assert str(error.value) == ("weather_prediction.load_data: version must be one of 'light', 'full', "
                                "'bbq_labels', got 'tiny'.")


def test_weather_without_pandas_says_how_to_proceed(server, cache, monkeypatch):
    _host_weather(server, monkeypatch)
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now fails
    with pytest.raises(ImportError) as error:
        weather_prediction.load_data()
    assert str(error.value) == (
        "weather_prediction.load_data(as_frame=True) returns a pandas DataFrame, but pandas is not installed. "
        "Install it (pip install pandas), or pass as_frame=False for (columns, values)."
    )
    columns, values = weather_prediction.load_data(as_frame=False)
    assert len(columns) == 91 and values.shape == (3654, 91)
    np.testing.assert_array_equal(values, weather_prediction.load_shipped()[1])


def test_the_weather_origins_are_the_lesson_s():
    assert weather_prediction.VERSIONS["light"][0] == \
        "https://zenodo.org/record/5071376/files/weather_prediction_dataset_light.csv?download=1"
    assert weather_prediction.VERSIONS["bbq_labels"][0] == \
        "https://zenodo.org/record/4980359/files/weather_prediction_bbq_labels.csv?download=1"
    assert weather_prediction.VERSIONS["full"][0] == \
        "https://zenodo.org/record/4980359/files/weather_prediction_dataset.csv?download=1"


def test_every_keras_dataset_module_is_there():
    for name in ("mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing",
                 "california_housing"):
        assert callable(getattr(layerwise.datasets, name).load_data)
