"""Parity with Keras 3's own loaders on the same real-format files.

Keras's ``get_file`` accepts only a file name (no folder), and would check
the real data sets' checksums, so each Keras loader's ``get_file`` is
replaced by one returning the local test file; layerwise loads the same file
through ``path=`` (or its origin constants). Everything after the download
(unpickling, shuffling, splitting, ``num_words``/``skip_top``/``maxlen``/
``index_from`` handling, dtypes) is compared value for value.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from keras.src.datasets import boston_housing as k_boston
from keras.src.datasets import california_housing as k_california
from keras.src.datasets import cifar as k_cifar
from keras.src.datasets import cifar100 as k_cifar100
from keras.src.datasets import fashion_mnist as k_fashion
from keras.src.datasets import imdb as k_imdb
from keras.src.datasets import mnist as k_mnist
from keras.src.datasets import reuters as k_reuters

from layerwise.datasets import (
    boston_housing,
    california_housing,
    cifar,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)
from layerwise.utils import file_utils


def _load_helpers():
    name = "layerwise_tests_local_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("local_server.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


helpers = _load_helpers()


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERWISE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(file_utils, "RETRY_WAIT_SECONDS", 0.0)


def _keras_reads(monkeypatch, module, path):
    """Make ``module``'s ``get_file`` hand Keras the local file ``path`` (or a name -> path dict)."""
    def fake_get_file(fname=None, origin=None, **kwargs):
        return str(path[fname] if isinstance(path, dict) else path)

    monkeypatch.setattr(module, "get_file", fake_get_file)


def _assert_same(ours, theirs):
    """Same nested tuples of arrays: values, dtypes, shapes; object arrays compared element by element."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_same(a, b)
        return
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    if theirs.dtype == object:
        assert [list(x) for x in ours] == [list(x) for x in theirs]
    else:
        np.testing.assert_array_equal(ours, theirs)


def test_mnist_matches_keras(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    path = tmp_path / "mnist.npz"
    path.write_bytes(helpers.npz_bytes(
        x_train=rng.integers(0, 256, (7, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, 7, dtype=np.uint8),
        x_test=rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, 3, dtype=np.uint8),
    ))
    _keras_reads(monkeypatch, k_mnist, path)
    _assert_same(mnist.load_data(path=str(path)), k_mnist.load_data())


def test_fashion_mnist_matches_keras(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    arrays = {"x_train": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, 4, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, 2, dtype=np.uint8)}
    server = helpers.LocalServer().start()
    try:
        files, paths = [], {}
        for key, fname, _ in fashion_mnist.FILES:
            data = helpers.idx_bytes(arrays[key])
            server.files["/f/" + fname] = data
            (tmp_path / fname).write_bytes(data)
            paths[fname] = tmp_path / fname
            files.append((key, fname, helpers.md5(data)))
        monkeypatch.setattr(fashion_mnist, "FILES", tuple(files))
        monkeypatch.setattr(fashion_mnist, "ORIGIN_FOLDER", server.url("/f/"))
        ours = fashion_mnist.load_data()
    finally:
        server.stop()
    _keras_reads(monkeypatch, k_fashion, paths)
    _assert_same(ours, k_fashion.load_data())


@pytest.mark.parametrize("writer", ["python2", "protocol4"])
def test_cifar_batches_match_keras(tmp_path, writer):
    import pickle

    rng = np.random.default_rng(2)
    batch = helpers.cifar_batch(rng, 5)
    data = helpers.python2_pickle(batch) if writer == "python2" else pickle.dumps(batch, protocol=4)
    (tmp_path / "data_batch_1").write_bytes(data)
    ours, theirs = cifar.load_batch(tmp_path / "data_batch_1"), k_cifar.load_batch(tmp_path / "data_batch_1")
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert ours[0].dtype == theirs[0].dtype and ours[1] == theirs[1]


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_matches_keras(tmp_path, monkeypatch, label_mode):
    data, _ = helpers.cifar100_tarball(np.random.default_rng(3), train=5, test=3)
    server = helpers.LocalServer().start()
    try:
        server.files["/c100.tar.gz"] = data
        monkeypatch.setattr(cifar100, "ORIGIN", server.url("/c100.tar.gz"))
        monkeypatch.setattr(cifar100, "FILE_HASH", helpers.sha256(data))
        ours = cifar100.load_data(label_mode=label_mode)
    finally:
        server.stop()
    folder = tmp_path / "home" / "datasets" / cifar100.DIRNAME
    _keras_reads(monkeypatch, k_cifar100, folder)
    _assert_same(ours, k_cifar100.load_data(label_mode=label_mode))


SEQUENCE_CASES = [
    {},
    {"num_words": 10},
    {"num_words": 15, "skip_top": 4},
    {"maxlen": 7},
    {"maxlen": 9, "num_words": 12, "oov_char": None},
    {"start_char": None, "index_from": 0},
    {"start_char": None, "index_from": 2, "num_words": 20},
    {"start_char": 5, "oov_char": 9, "index_from": 10, "skip_top": 3, "num_words": 30},
    {"seed": 7},
]


@pytest.mark.parametrize("kwargs", SEQUENCE_CASES)
def test_imdb_matches_keras(tmp_path, monkeypatch, kwargs):
    rng = np.random.default_rng(4)
    path = tmp_path / "imdb.npz"
    path.write_bytes(helpers.npz_bytes(x_train=helpers.word_sequences(rng, 40),
                                       y_train=rng.integers(0, 2, 40),
                                       x_test=helpers.word_sequences(rng, 25), y_test=rng.integers(0, 2, 25)))
    _keras_reads(monkeypatch, k_imdb, path)
    _assert_same(imdb.load_data(path=str(path), **kwargs), k_imdb.load_data(**kwargs))


@pytest.mark.parametrize("kwargs", SEQUENCE_CASES + [{"test_split": 0.35}, {"test_split": 0.0}])
def test_reuters_matches_keras(tmp_path, monkeypatch, kwargs):
    rng = np.random.default_rng(5)
    path = tmp_path / "reuters.npz"
    path.write_bytes(helpers.npz_bytes(x=helpers.word_sequences(rng, 47), y=rng.integers(0, 46, 47)))
    _keras_reads(monkeypatch, k_reuters, path)
    _assert_same(reuters.load_data(path=str(path), **kwargs), k_reuters.load_data(**kwargs))


def test_word_indexes_and_label_names_match_keras(tmp_path, monkeypatch):
    path = tmp_path / "index.json"
    path.write_text('{"the": 1, "and": 2, "film": 19}')
    _keras_reads(monkeypatch, k_imdb, path)
    _keras_reads(monkeypatch, k_reuters, path)
    assert imdb.get_word_index(path=str(path)) == k_imdb.get_word_index()
    assert reuters.get_word_index(path=str(path)) == k_reuters.get_word_index()
    assert reuters.get_label_names() == k_reuters.get_label_names()


@pytest.mark.parametrize("kwargs", [{}, {"test_split": 0.3, "seed": 4}, {"test_split": 0.0}])
def test_boston_housing_matches_keras(tmp_path, monkeypatch, kwargs):
    rng = np.random.default_rng(6)
    path = tmp_path / "boston.npz"
    path.write_bytes(helpers.npz_bytes(x=rng.normal(size=(31, 13)), y=rng.normal(size=31)))
    _keras_reads(monkeypatch, k_boston, path)
    _assert_same(boston_housing.load_data(path=str(path), **kwargs), k_boston.load_data(**kwargs))


@pytest.mark.parametrize("kwargs", [{}, {"version": "small"},
                                    {"version": "small", "test_split": 0.25, "seed": 1}])
def test_california_housing_matches_keras(tmp_path, monkeypatch, kwargs):
    rng = np.random.default_rng(7)
    path = tmp_path / "california.npz"
    path.write_bytes(helpers.npz_bytes(x=rng.normal(size=(650, 8)).astype("float32"),
                                       y=rng.normal(size=650).astype("float32")))
    _keras_reads(monkeypatch, k_california, path)
    _assert_same(california_housing.load_data(path=str(path), **kwargs), k_california.load_data(**kwargs))
