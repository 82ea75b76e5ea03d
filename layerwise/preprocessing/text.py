"""The legacy text utilities of ``keras.preprocessing.text`` that course code still uses.

:class:`Tokenizer` turns texts into lists of word ids (or into bag-of-words
matrices); :func:`text_to_word_sequence`, :func:`one_hot` and
:func:`hashing_trick` are the small helpers around it. They behave exactly
as Keras's (``keras.src.legacy.preprocessing.text``), including the order of
the vocabulary and the JSON written by :meth:`Tokenizer.to_json`, so a
tokenizer saved by either library loads in the other.

>>> from layerwise.preprocessing.text import Tokenizer
>>> tokenizer = Tokenizer(num_words=100, oov_token="<OOV>")
>>> tokenizer.fit_on_texts(["The cat sat.", "The dog sat down!"])
>>> tokenizer.word_index
{'<OOV>': 1, 'the': 2, 'sat': 3, 'cat': 4, 'dog': 5, 'down': 6}
>>> tokenizer.texts_to_sequences(["the bird sat"])
[[2, 1, 3]]

One difference, on bad input only: a text that is ``None`` or ``bytes``, or
a single string passed where a list of texts is expected, raises a
``TypeError`` that says what to do, where Keras fails deep inside (or, for a
single string, silently treats every character as a document).
"""

import collections
import hashlib
import json
import warnings

import numpy as np

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(input_text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """Converts a text to a sequence of words (or tokens).

    Every character of ``filters`` is replaced by ``split``, the text is split
    on ``split`` and empty pieces are dropped.

    Args:
        input_text: the text (a ``str``).
        filters: characters to remove (default: all punctuation, tabs and
            line breaks, but not ``'``).
        lower: whether to lowercase the text first.
        split: the word separator.

    Returns:
        A list of words.

    Example:

    >>> text_to_word_sequence("The quick, brown fox!")
    ['the', 'quick', 'brown', 'fox']
    """
    _check_text(input_text, "input_text")
    if lower:
        input_text = input_text.lower()
    # One translation table replaces every filter character at once.
    table = str.maketrans({character: split for character in filters})
    return [word for word in input_text.translate(table).split(split) if word]


def one_hot(input_text, n, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """One-hot encodes a text into a list of word indexes in ``[1, n)``.

    This is :func:`hashing_trick` with Python's ``hash``: two different words
    may get the same index, and Python salts ``hash`` of strings per process
    (unless ``PYTHONHASHSEED`` is set), so indexes differ between runs, exactly
    as in Keras.

    Args:
        input_text: the text (a ``str``).
        n: size of the index space; indexes lie in ``[1, n - 1]``.
        filters, lower, split: as in :func:`text_to_word_sequence`.
        analyzer: optional callable turning the text into a list of words
            (replaces ``filters``/``lower``/``split``).

    Example:

    >>> ids = one_hot("the cat sat on the mat", 50)
    >>> len(ids), ids[0] == ids[4], all(1 <= i < 50 for i in ids)
    (6, True, True)
    """
    return hashing_trick(input_text, n, hash_function=hash, filters=filters, lower=lower,
                         split=split, analyzer=analyzer)


def hashing_trick(text, n, hash_function=None, filters=DEFAULT_FILTERS, lower=True, split=" ",
                  analyzer=None):
    """Converts a text to a list of word indexes in a fixed-size hashing space.

    Each word maps to ``hash_function(word) % (n - 1) + 1``; index 0 is never
    used (it is left for padding).

    Args:
        text: the text (a ``str``).
        n: size of the hashing space.
        hash_function: default Python's ``hash`` (salted per process); ``'md5'``
            gives indexes that are stable across runs; or any callable taking a
            string and returning an int.
        filters, lower, split: as in :func:`text_to_word_sequence`.
        analyzer: optional callable turning the text into a list of words.

    Example:

    >>> hashing_trick("the cat sat", 100, hash_function="md5")
    [51, 3, 10]
    """
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        def hash_function(word):
            return int(hashlib.md5(word.encode()).hexdigest(), 16)

    if analyzer is None:
        words = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    else:
        words = analyzer(text)
    return [hash_function(word) % (n - 1) + 1 for word in words]


class Tokenizer:
    """Text tokenization utility: turns texts into sequences of word ids or into vectors.

    ``fit_on_texts`` builds the vocabulary: words are ranked by how often they
    occur (ties keep first-seen order) and numbered from 1 (0 is left for
    padding); with ``oov_token`` that token is number 1. ``texts_to_sequences``
    then maps each text to its word ids, keeping only ids below ``num_words``.

    Args:
        num_words: keep only the ``num_words - 1`` most frequent words when
            converting texts (``word_index`` still holds every word). ``None``
            keeps all.
        filters: characters removed from the texts (default: all punctuation,
            tabs and line breaks, but not ``'``).
        lower: whether to lowercase the texts.
        split: the word separator.
        char_level: if ``True``, every character is a token.
        oov_token: if given, it takes index 1 and replaces out-of-vocabulary
            words in ``texts_to_sequences`` (they are dropped otherwise).
        analyzer: optional callable that turns a text into a list of tokens
            (replaces ``filters``/``lower``/``split``; not saved by ``to_json``).
        document_count: number of documents seen so far (set by
            ``tokenizer_from_json``).

    Attributes:
        word_index: ``{word: index}``. index_word: ``{index: word}``.
        word_counts: ``{word: count}`` in first-seen order.
        word_docs: ``{word: number of documents containing it}``.
        index_docs: ``{index: number of documents containing it}``.
        document_count: number of documents fitted.

    Example:

    >>> tokenizer = Tokenizer(num_words=10000)
    >>> tokenizer.fit_on_texts(["I love my dog", "I love my cat"])
    >>> tokenizer.texts_to_sequences(["I love my cat"])
    [[1, 2, 3, 5]]
    >>> tokenizer.texts_to_matrix(["I love my cat"], mode="binary")[:, :6]
    array([[0., 1., 1., 1., 0., 1.]])
    """

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ",
                 char_level=False, oov_token=None, analyzer=None, document_count=0, **kwargs):
        if "nb_words" in kwargs:  # Keras 1 spelling
            warnings.warn("The `nb_words` argument in `Tokenizer` has been renamed `num_words`.",
                          stacklevel=2)
            num_words = kwargs.pop("nb_words")
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments: {kwargs!s}")
        if num_words is not None and (isinstance(num_words, bool) or not isinstance(num_words, (int, np.integer))
                                      or num_words < 0):
            raise ValueError(
                f"Tokenizer `num_words` must be None or a non-negative integer (keep the num_words - 1 "
                f"most frequent words), got {num_words!r}."
            )
        self.word_counts = collections.OrderedDict()
        self.word_docs = collections.defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs = collections.defaultdict(int)
        self.word_index = {}
        self.index_word = {}
        self.analyzer = analyzer

    def _tokens(self, text):
        """The tokens of one text (a list of tokens is taken as already tokenized)."""
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [token.lower() for token in text] if isinstance(text, list) else text.lower()
            return text
        if self.analyzer is None:
            return text_to_word_sequence(text, filters=self.filters, lower=self.lower, split=self.split)
        return self.analyzer(text)

    def fit_on_texts(self, texts):
        """Updates the vocabulary from a list of texts.

        Args:
            texts: a list (or array, or any iterable) of strings; an item may
                also be a list of strings (an already tokenized text).
        """
        for position, text in enumerate(_check_texts(texts, "fit_on_texts")):
            _check_text(text, f"texts[{position}]", allow_list=True)
            self.document_count += 1
            tokens = self._tokens(text)
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] += 1

        # Most frequent first; the sort is stable, so ties keep first-seen order.
        ranked = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocabulary = [] if self.oov_token is None else [self.oov_token]
        vocabulary.extend(word for word, _ in ranked)
        # Index 0 is reserved for padding: words are numbered from 1.
        self.word_index = dict(zip(vocabulary, range(1, len(vocabulary) + 1)))
        self.index_word = {index: word for word, index in self.word_index.items()}
        for word, count in list(self.word_docs.items()):
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences):
        """Updates the document counts from sequences of ids (needed for ``'tfidf'`` matrices
        when the tokenizer was not fitted on texts).

        Args:
            sequences: a list of sequences of integer ids.
        """
        self.document_count += len(sequences)
        for sequence in sequences:
            for index in set(sequence):
                self.index_docs[index] += 1

    def texts_to_sequences(self, texts):
        """Transforms each text into a list of word ids.

        Only words known to the tokenizer (and, with ``num_words``, among the
        ``num_words - 1`` most frequent) are kept; others become ``oov_token``'s
        id if it is set and are dropped otherwise.

        Args:
            texts: a list of strings (or of lists of tokens).

        Returns:
            A list of lists of ints.
        """
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """Like :meth:`texts_to_sequences`, one list at a time (a generator)."""
        num_words = self.num_words
        oov_index = self.word_index.get(self.oov_token)
        for position, text in enumerate(_check_texts(texts, "texts_to_sequences")):
            _check_text(text, f"texts[{position}]", allow_list=True)
            ids = []
            for token in self._tokens(text):
                index = self.word_index.get(token)
                if index is not None:
                    if num_words and index >= num_words:
                        if oov_index is not None:
                            ids.append(oov_index)
                    else:
                        ids.append(index)
                elif self.oov_token is not None:
                    ids.append(oov_index)
            yield ids

    def sequences_to_texts(self, sequences):
        """Transforms each sequence of ids back into a text (words joined by spaces).

        Ids unknown to the tokenizer (or beyond ``num_words``) become
        ``oov_token`` if it is set and are dropped otherwise.

        Args:
            sequences: a list of sequences of integer ids.

        Returns:
            A list of strings.
        """
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        """Like :meth:`sequences_to_texts`, one string at a time (a generator)."""
        num_words = self.num_words
        oov_index = self.word_index.get(self.oov_token)
        for sequence in sequences:
            words = []
            for index in sequence:
                word = self.index_word.get(index)
                if word is not None:
                    if num_words and index >= num_words:
                        if oov_index is not None:
                            words.append(self.index_word[oov_index])
                    else:
                        words.append(word)
                elif self.oov_token is not None:
                    words.append(self.index_word[oov_index])
            yield " ".join(words)

    def texts_to_matrix(self, texts, mode="binary"):
        """Converts a list of texts into a ``(len(texts), num_words)`` matrix.

        Args:
            texts: a list of strings.
            mode: ``'binary'`` (1 where a word occurs), ``'count'``, ``'tfidf'``
                or ``'freq'`` (count divided by the text's length).

        Returns:
            A float64 numpy array.
        """
        _check_mode(mode)
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """Converts a list of sequences of ids into a ``(len(sequences), num_words)`` matrix.

        Column ``j`` describes word id ``j`` (column 0, the padding id, stays
        0); ids ``>= num_words`` are ignored. Without ``num_words`` the width
        is ``len(word_index) + 1``.

        Args:
            sequences: a list of sequences of integer ids.
            mode: ``'binary'``, ``'count'``, ``'tfidf'`` or ``'freq'``. ``'tfidf'``
                uses ``(1 + log(count)) * log(1 + document_count / (1 + docs))``.

        Returns:
            A float64 numpy array.
        """
        _check_mode(mode)
        if not self.num_words:
            if self.word_index:
                num_words = len(self.word_index) + 1
            else:
                raise ValueError(
                    "Specify a dimension (`num_words` argument), or fit on some text data first."
                )
        else:
            num_words = self.num_words
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on some data before using tfidf mode.")

        matrix = np.zeros((len(sequences), num_words))
        for row, sequence in enumerate(sequences):
            if not len(sequence):
                continue
            counts = collections.defaultdict(int)
            for index in sequence:
                if index >= num_words:
                    continue
                counts[index] += 1
            for index, count in list(counts.items()):
                if mode == "count":
                    matrix[row][index] = count
                elif mode == "freq":
                    matrix[row][index] = count / len(sequence)
                elif mode == "binary":
                    matrix[row][index] = 1
                else:  # tfidf, weighting scheme 2 of the tf-idf article (as Keras)
                    tf = 1 + np.log(count)
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(index, 0)))
                    matrix[row][index] = tf * idf
        return matrix

    def get_config(self):
        """The tokenizer's settings and vocabulary as a dict (the maps as JSON strings, as Keras)."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        """A JSON string of the tokenizer; load it with :func:`tokenizer_from_json`.

        Args:
            **kwargs: passed to ``json.dumps`` (e.g. ``indent=2``).
        """
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string):
    """A :class:`Tokenizer` from the JSON string written by ``Tokenizer.to_json``.

    Only data is read (numbers, strings and the vocabulary maps); nothing in
    the string is executed.

    Example:

    >>> restored = tokenizer_from_json(tokenizer.to_json())
    >>> restored.word_index == tokenizer.word_index
    True
    """
    try:
        tokenizer_config = json.loads(json_string)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"tokenizer_from_json expects the JSON string written by Tokenizer.to_json(); it could not "
            f"be parsed ({error})."
        ) from None
    config = tokenizer_config.get("config") if isinstance(tokenizer_config, dict) else None
    if not isinstance(config, dict) or "word_index" not in config:
        raise ValueError(
            "tokenizer_from_json expects the JSON string written by Tokenizer.to_json(), an object "
            "with a 'config' holding 'word_index', 'word_counts', ...; this string has none."
        )
    config = dict(config)
    word_counts = json.loads(config.pop("word_counts"))
    word_docs = json.loads(config.pop("word_docs"))
    # json turns integer keys into strings; turn them back.
    index_docs = {int(k): v for k, v in json.loads(config.pop("index_docs")).items()}
    index_word = {int(k): v for k, v in json.loads(config.pop("index_word")).items()}
    word_index = json.loads(config.pop("word_index"))

    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = word_counts
    tokenizer.word_docs = word_docs
    tokenizer.index_docs = index_docs
    tokenizer.word_index = word_index
    tokenizer.index_word = index_word
    return tokenizer


_MODES = ("binary", "count", "tfidf", "freq")


def _check_mode(mode):
    if mode not in _MODES:
        raise ValueError(
            f"Unknown vectorization mode: {mode!r}. Expected one of 'binary', 'count', 'tfidf', 'freq'."
        )


def _check_texts(texts, method):
    """Refuse a single string where a list of texts is expected (Keras would iterate its characters)."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(
            f"Tokenizer.{method} expects a list of texts, got a single {type(texts).__name__} "
            f"({_preview(texts)}). Wrap it in a list: [text]."
        )
    if texts is None:
        raise TypeError(f"Tokenizer.{method} expects a list of texts, got None.")
    return texts


def _check_text(text, where, allow_list=False):
    if isinstance(text, str) or allow_list and isinstance(text, list):
        return
    if text is None or isinstance(text, float) and np.isnan(text):
        raise TypeError(
            f"{where} is {text!r}, not a string. Drop or fill the missing texts first "
            "(e.g. df['text'].fillna('') or [t for t in texts if t is not None])."
        )
    if isinstance(text, (bytes, np.bytes_)):
        raise TypeError(
            f"{where} is bytes ({_preview(text)}), not a string. Decode the texts first, "
            "e.g. text.decode('utf-8')."
        )
    raise TypeError(
        f"{where} is a {type(text).__name__} ({_preview(text)}), not a string. Texts must be str"
        + (" (or lists of str tokens)." if allow_list else ".")
    )


def _preview(value, limit=40):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


__all__ = ["Tokenizer", "hashing_trick", "one_hot", "text_to_word_sequence", "tokenizer_from_json"]
