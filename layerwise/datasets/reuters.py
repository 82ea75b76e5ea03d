"""Reuters newswires labelled over 46 topics, as ``keras.datasets.reuters``.

11,228 newswires, each a list of word ids where id ``i`` is the i-th most
frequent word. Downloads Keras's ``reuters.npz`` (once; cached and verified
with Keras's sha256); its ragged sequences are read with a restricted
unpickler that rebuilds arrays and lists and refuses anything else.

Example:

>>> (x_train, y_train), (x_test, y_test) = layerwise.datasets.reuters.load_data(num_words=10000)
>>> len(x_train), len(x_test)
(8982, 2246)
>>> layerwise.datasets.reuters.get_label_names()[3]
'earn'
"""

import numpy as np

from layerwise.datasets import _common

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"

LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee",
    "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx",
    "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock",
    "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
    "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(
    path="reuters.npz",
    num_words=None,
    skip_top=0,
    maxlen=None,
    test_split=0.2,
    seed=113,
    start_char=1,
    oov_char=2,
    index_from=3,
    **kwargs,
):
    """Loads the Reuters newswire classification dataset: word-id sequences and topic labels 0-45.

    Args:
        path: the cache file name (default ``"reuters.npz"``, relative to
            ``~/.layerwise/datasets``); a path with a folder part loads that
            local ``.npz`` file instead, without download or checksum.
        num_words: keep only the ``num_words`` most frequent words; rarer
            ones become ``oov_char``. ``None`` keeps all.
        skip_top: also replace the ``skip_top`` most frequent words by
            ``oov_char``.
        maxlen: drop the newswires with ``maxlen`` or more ids (counting
            ``start_char``); ``None`` keeps all.
        test_split: fraction of the (shuffled) newswires kept for testing.
        seed: seed of the shuffle done before the split.
        start_char: id put at the start of every sequence (``None``: none).
        oov_char: the id of words cut by ``num_words`` or ``skip_top``
            (``None``: such words are removed).
        index_from: offset added to every word id.
        **kwargs: ``nb_words`` (Keras 2's name for ``num_words``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x_*`` are 1-D object
        arrays of Python lists of ints, ``y_*`` integer arrays of topic ids
        (names in :func:`get_label_names`).

    Example:

    >>> (x_train, y_train), (x_test, y_test) = layerwise.datasets.reuters.load_data(test_split=0.1)
    >>> len(x_test)
    1123
    """
    num_words = _common.check_kwargs(kwargs, "reuters.load_data", num_words)
    _common.check_test_split(test_split)
    file = _common.fetch(path, "reuters.load_data", ORIGIN_FOLDER + "reuters.npz", FILE_HASH)
    arrays = _common.load_npz(file, ("x", "y"), "Reuters")
    xs, labels = _common.shuffled(np.random.RandomState(seed), arrays["x"], arrays["y"])
    xs = _common.encode_sequences(xs, start_char, index_from)
    if maxlen:
        xs, labels = _common.drop_long(maxlen, xs, labels)
        if not xs:
            raise ValueError(
                f"reuters.load_data: after dropping the newswires with maxlen={maxlen} or more ids, none is "
                "left. Increase maxlen."
            )
    xs = _common.limit_vocabulary(xs, num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    return (_common.object_array(xs[:cut]), np.array(labels[:cut])), \
        (_common.object_array(xs[cut:]), np.array(labels[cut:]))


def get_word_index(path="reuters_word_index.json"):
    """The dict mapping each word to its id in the Reuters data (before ``index_from`` is added).

    Ids start at 1 (``"the"``); in the sequences ``load_data`` returns they
    are shifted by ``index_from`` (3), since 0, 1 and 2 mean padding, start
    and out-of-vocabulary.

    Args:
        path: the cache file name (default ``"reuters_word_index.json"``); a
            path with a folder part reads that local file instead.

    Example:

    >>> layerwise.datasets.reuters.get_word_index()["the"]
    1
    """
    file = _common.fetch(path, "reuters.get_word_index", ORIGIN_FOLDER + "reuters_word_index.json",
                         WORD_INDEX_HASH)
    return _common.load_word_index(file)


def get_label_names():
    """The 46 topic names, in label order (``get_label_names()[3] == "earn"``).

    Example:

    >>> layerwise.datasets.reuters.get_label_names()[:3]
    ('cocoa', 'grain', 'veg-oil')
    """
    return LABEL_NAMES
