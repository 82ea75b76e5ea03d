"""IMDB movie reviews labelled by sentiment, as ``keras.datasets.imdb``.

25,000 training and 25,000 test reviews, each a list of word ids where id
``i`` is the i-th most frequent word. Downloads Keras's ``imdb.npz`` (once;
cached and verified with Keras's sha256). Its ragged sequences are numpy
object arrays, which only pickle can store; they are read with a restricted
unpickler that rebuilds arrays and lists and refuses anything else.

Example:

>>> (x_train, y_train), (x_test, y_test) = layerwise.datasets.imdb.load_data(num_words=10000)
>>> len(x_train), x_train[0][:3], y_train[:3]
(25000, [1, 14, 22], array([1, 0, 0]))
"""

import numpy as np

from layerwise.datasets import _common

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"


def load_data(
    path="imdb.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
    **kwargs,
):
    """Loads the IMDB dataset: reviews as lists of word ids, labels 1 (positive) or 0 (negative).

    Word ids are ranks by frequency in the training set (``3`` encodes the
    third most frequent word); ``0`` is never a word (it is the padding id).

    Args:
        path: the cache file name (default ``"imdb.npz"``, relative to
            ``~/.layerwise/datasets``); a path with a folder part loads that
            local ``.npz`` file instead, without download or checksum.
        num_words: keep only the ``num_words`` most frequent words; rarer
            ones become ``oov_char``. ``None`` keeps all.
        skip_top: also replace the ``skip_top`` most frequent words by
            ``oov_char``.
        maxlen: drop the reviews (training and test) with ``maxlen`` or more
            ids (counting ``start_char``); ``None`` keeps all. As in Keras,
            long reviews are dropped, not cut.
        seed: seed of the shuffle applied to each split.
        start_char: id put at the start of every review (``None``: none).
        oov_char: the id of words cut by ``num_words`` or ``skip_top``
            (``None``: such words are removed).
        index_from: offset added to every word id.
        **kwargs: ``nb_words`` (Keras 2's name for ``num_words``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x_*`` are 1-D object
        arrays of Python lists of ints, ``y_*`` integer arrays of 0/1.

    Example:

    >>> (x_train, y_train), _ = layerwise.datasets.imdb.load_data(num_words=5000, maxlen=200)
    >>> max(max(review) for review in x_train) < 5000
    True
    """
    num_words = _common.check_kwargs(kwargs, "imdb.load_data", num_words)
    file = _common.fetch(path, "imdb.load_data", ORIGIN_FOLDER + "imdb.npz", FILE_HASH)
    arrays = _common.load_npz(file, ("x_train", "y_train", "x_test", "y_test"), "IMDB")
    # One generator for both splits, as Keras: the test order follows the training shuffle.
    rng = np.random.RandomState(seed)
    x_train, labels_train = _common.shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, labels_test = _common.shuffled(rng, arrays["x_test"], arrays["y_test"])

    x_train = _common.encode_sequences(x_train, start_char, index_from)
    x_test = _common.encode_sequences(x_test, start_char, index_from)
    if maxlen:
        x_train, labels_train = _common.drop_long(maxlen, x_train, labels_train)
        x_test, labels_test = _common.drop_long(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(
                f"imdb.load_data: after dropping the reviews with maxlen={maxlen} or more ids, no "
                f"{'training' if not x_train else 'test'} review is left. Increase maxlen."
            )
    xs = _common.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    cut = len(x_train)
    return (_common.object_array(xs[:cut]), labels[:cut]), (_common.object_array(xs[cut:]), labels[cut:])


def get_word_index(path="imdb_word_index.json"):
    """The dict mapping each word to its id in the IMDB data (before ``index_from`` is added).

    Args:
        path: the cache file name (default ``"imdb_word_index.json"``); a
            path with a folder part reads that local file instead.

    Example:

    >>> word_index = layerwise.datasets.imdb.get_word_index()
    >>> words = {i + 3: word for word, i in word_index.items()}   # index_from=3
    >>> words.update({1: "[START]", 2: "[OOV]"})
    >>> (x_train, _), _ = layerwise.datasets.imdb.load_data()
    >>> " ".join(words[i] for i in x_train[0][:4])
    '[START] this film was'
    """
    file = _common.fetch(path, "imdb.get_word_index", ORIGIN_FOLDER + "imdb_word_index.json", WORD_INDEX_HASH)
    return _common.load_word_index(file)
