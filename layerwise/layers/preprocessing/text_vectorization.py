"""``TextVectorization``: raw strings to sequences of word ids (or bag-of-words vectors)."""

import numpy as np
import torch

from layerwise import backend
from layerwise.engine.symbolic import KerasTensor
from layerwise.layers.preprocessing._preprocessing_utils import (
    HostPreprocessingLayer,
    adapt_batches,
    string_array,
    to_device_tensor,
)
from layerwise.layers.preprocessing.index_lookup import _DROPPED, listify, refuse_sparse, validate_output_mode
from layerwise.layers.preprocessing.string_lookup import StringLookup
from layerwise.saving import registry, serialization
from layerwise.saving.registry import builtin

# TensorFlow's ``tf.strings.lower`` (what Keras calls, without an encoding) lowercases ASCII letters
# only, and Keras's punctuation pattern is exactly ASCII punctuation. Translation tables do both in C.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_STRIP = str.maketrans("", "", _PUNCTUATION)
_LOWER_AND_STRIP = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", _PUNCTUATION)
# ``tf.strings.split`` splits on ASCII whitespace only (not on non-breaking or other Unicode spaces).
_ASCII_WHITESPACE = str.maketrans("\t\n\x0b\x0c\r", "     ")

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")


def _check_string_option(value, allowed, argument):
    if value is None or callable(value) or value in allowed:
        return
    raise ValueError(
        f"Unknown value for `{argument}` argument of TextVectorization. Allowed values are: {allowed}, "
        f"None, or a callable. Received: {argument}={value!r}"
    )


def _serialize_function(function):
    """A callable ``standardize``/``split`` in a config, in the shape Keras writes it."""
    name = registry.get_registered_name(function)
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def _deserialize_function(value, argument):
    if value is None or callable(value) or isinstance(value, str) and value in _STANDARDIZE + _SPLIT:
        return value
    name = value.get("config") if isinstance(value, dict) else value
    function = registry.get_registered_object(name) if isinstance(name, str) else None
    if function is None:
        raise ValueError(
            f"TextVectorization config names the {argument} function {name!r}, which is not registered. "
            "Register it with @layerwise.saving.register_serializable() (or pass it in custom_objects) "
            "before loading."
        )
    return function


@builtin("layers")
class TextVectorization(HostPreprocessingLayer):
    """A preprocessing layer which maps text features to integer sequences.

    Each string goes through these steps:

    1. standardize (by default: lowercase and strip ASCII punctuation);
    2. split into tokens (by default: on whitespace);
    3. optionally, combine the tokens into n-grams;
    4. look each token up in the vocabulary (learned with ``adapt()`` or given);
    5. output the ids (``'int'``) or one vector per string (``'multi_hot'``,
       ``'count'``, ``'tf_idf'``).

    In ``'int'`` mode id 0 is padding and id 1 the out-of-vocabulary token
    ``'[UNK]'``; sequences are padded with 0 (or cut) to
    ``output_sequence_length``, or to the longest string of the batch. The
    input is a list or numpy array of Python strings, shape ``(batch,)`` or
    ``(batch, 1)`` (or a pandas Series); the output is a torch tensor: int64
    ids, or float32 vectors in the other modes. It runs on the host, so it
    can be the first layer of a model trained with ``model.fit(texts, labels)``.

    Args:
        max_tokens: the largest size of the vocabulary, including the padding
            id (in ``'int'`` mode) and the OOV id. Only used by ``adapt()``
            (and by ``pad_to_max_tokens``). ``None``: no limit.
        standardize: ``'lower_and_strip_punctuation'`` (default), ``'lower'``,
            ``'strip_punctuation'``, ``None``, or a callable. As in Keras,
            lowercasing affects ASCII letters only and the punctuation
            stripped is ASCII punctuation. A callable receives a numpy array
            of ``str`` and returns an array of the same shape.
        split: ``'whitespace'`` (default: ASCII whitespace), ``'character'``,
            ``None`` (each string is one token), or a callable receiving a 1D
            numpy array of standardized strings and returning one list of
            tokens per string.
        ngrams: ``None``, an int ``n`` (all n-grams of 1 to ``n`` tokens) or a
            tuple of ints (those n-gram sizes); tokens are joined with spaces.
        output_mode: ``'int'`` (default), ``'multi_hot'``, ``'count'`` or
            ``'tf_idf'``.
        output_sequence_length: ``'int'`` mode only: pad or cut every output
            row to this length.
        pad_to_max_tokens: non-int modes: make the output ``max_tokens`` wide.
        vocabulary: a list or 1D array of strings, or the path of a text file
            with one per line.
        idf_weights: ``'tf_idf'`` mode with a given vocabulary: one weight per term.
        sparse, ragged: must be ``False``: layerwise returns dense tensors
            (Keras supports them only on its TensorFlow backend).
        encoding: the encoding of ``bytes`` inputs (default ``'utf-8'``).
        name: the layer's name.

    Example:

    >>> vectorize_layer = layerwise.layers.TextVectorization(max_tokens=5000, output_sequence_length=4)
    >>> vectorize_layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    >>> vectorize_layer(np.array([["foo qux bar"], ["qux baz"]]))
    tensor([[4, 1, 3, 0],
            [1, 2, 0, 0]])

    A text classifier trained from raw strings:

    >>> model = layerwise.Sequential([
    ...     vectorize_layer,
    ...     layerwise.layers.Embedding(vectorize_layer.vocabulary_size(), 16),
    ...     layerwise.layers.LSTM(16),
    ...     layerwise.layers.Dense(1, activation="sigmoid"),
    ... ])
    >>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    >>> model.fit(np.array(["a great film", "a dull film"]), np.array([1, 0]), epochs=1, verbose=0)
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation", split="whitespace",
                 ngrams=None, output_mode="int", output_sequence_length=None, pad_to_max_tokens=False,
                 vocabulary=None, idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        if sparse:
            refuse_sparse("TextVectorization")
        if ragged:
            raise ValueError(
                "TextVectorization got ragged=True, but layerwise returns dense torch tensors only (Keras also "
                "supports `ragged=True` only on its TensorFlow backend). Remove ragged=True: rows are padded "
                "with 0 (see output_sequence_length)."
            )
        _check_string_option(standardize, _STANDARDIZE, "standardize")
        _check_string_option(split, _SPLIT, "split")
        output_mode = validate_output_mode(output_mode, "TextVectorization")
        if output_mode == "one_hot":
            raise ValueError(
                "TextVectorization does not support output_mode='one_hot' (one vector per token). Use "
                "'multi_hot', 'count' or 'tf_idf' for one vector per string, or 'int' followed by "
                "CategoryEncoding(output_mode='one_hot')."
            )
        if isinstance(ngrams, list):
            ngrams = tuple(ngrams)
        if not (ngrams is None or isinstance(ngrams, int) and not isinstance(ngrams, bool)
                or isinstance(ngrams, tuple) and all(isinstance(item, int) for item in ngrams)):
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams}")
        if output_mode == "int" and not (output_sequence_length is None
                                         or isinstance(output_sequence_length, int)
                                         and not isinstance(output_sequence_length, bool)):
            raise ValueError(
                "`output_sequence_length` must be either None or an integer when `output_mode` is 'int'. "
                f"Received: output_sequence_length={output_sequence_length}"
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                f"Received output_sequence_length={output_sequence_length}."
            )
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = False
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._has_input_vocabulary = bool(has_input_vocabulary)
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            has_input_vocabulary=self._has_input_vocabulary, encoding=encoding,
            vocabulary_size=vocabulary_size,
        )

    # ------------------------------------------------------------------ vocabulary

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, in id order (with ``''`` and ``'[UNK]'`` first unless told otherwise).

        Args:
            include_special_tokens: ``False`` leaves out the padding and OOV tokens.
        """
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The size of the vocabulary, including the padding and OOV ids: ``Embedding``'s ``input_dim``."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and ``'tf_idf'`` weights) directly instead of with ``adapt``.

        Args:
            vocabulary: a list, tuple or 1D array of strings, or a file path.
            idf_weights: ``'tf_idf'`` mode only: one float per term.
        """
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # ------------------------------------------------------------------ text processing

    def _standardized(self, strings):
        """Standardize a numpy object array of ``str`` (same shape out)."""
        mode = self._standardize
        if mode is None:
            return strings
        if callable(mode):
            result = mode(strings.astype(str) if strings.size else strings.astype("U1"))
            result = np.asarray(result)
            if result.shape != strings.shape:
                raise ValueError(
                    f"TextVectorization '{self.name}': the standardize callable returned an array of shape "
                    f"{result.shape} for inputs of shape {strings.shape}; it must keep the shape."
                )
            return string_array(result, f"TextVectorization '{self.name}' standardize result", self._encoding)
        table = {"lower": _ASCII_LOWER, "strip_punctuation": _STRIP,
                 "lower_and_strip_punctuation": _LOWER_AND_STRIP}[mode]
        flat = [text.translate(table) for text in strings.reshape(-1).tolist()]
        result = np.empty(len(flat), dtype=object)
        result[:] = flat
        return result.reshape(strings.shape)

    def _split_texts(self, texts):
        """Lists of tokens for a 1D numpy array of standardized strings."""
        if self._split == "whitespace":
            return [[token for token in text.translate(_ASCII_WHITESPACE).split(" ") if token]
                    for text in texts.tolist()]
        if self._split == "character":
            return [list(text) for text in texts.tolist()]
        result = self._split(texts.astype(str) if texts.size else texts.astype("U1"))
        if len(result) != len(texts):
            raise ValueError(
                f"TextVectorization '{self.name}': the split callable returned {len(result)} token lists for "
                f"{len(texts)} strings; it must return one list of tokens per string."
            )
        return [string_array(list(tokens), f"TextVectorization '{self.name}' split result",
                             self._encoding).tolist() for tokens in result]

    def _with_ngrams(self, tokens):
        if self._ngrams is None:
            return tokens
        grams = []
        for width in self._ngrams:
            grams.extend(" ".join(tokens[i:i + width]) for i in range(len(tokens) - width + 1))
        return grams

    def _preprocess(self, inputs):
        """Standardize, split and n-gram ``inputs``.

        Returns ``("ragged", documents, leading_shape)`` when splitting (one
        token list per string, with the shape of the strings), or
        ``("dense", array)`` without splitting.
        """
        strings = self._standardized(string_array(inputs, f"TextVectorization '{self.name}' input", self._encoding))
        if self._split is None:
            if self._ngrams is not None:
                strings = self._dense_ngrams(strings)
            return "dense", strings, None
        if strings.ndim > 1:
            if strings.shape[-1] != 1:
                raise ValueError(
                    "When using `TextVectorization` to tokenize strings, the input rank must be 1 or the last "
                    f"shape dimension must be 1. Received: inputs.shape={strings.shape} with rank={strings.ndim}. "
                    "Pass one string per sample (e.g. a 1D array of texts)."
                )
            strings = strings[..., 0]
        leading = strings.shape
        documents = [self._with_ngrams(tokens) for tokens in self._split_texts(strings.reshape(-1))]
        return "ragged", documents, leading

    def _dense_ngrams(self, strings):
        # Without splitting, n-grams run along the last axis of the strings themselves (as tf.strings.ngrams).
        if strings.ndim == 0:
            strings = strings.reshape(1)
        rows = strings.reshape(-1, strings.shape[-1])
        grams = [self._with_ngrams(row.tolist()) for row in rows]
        width = len(grams[0]) if grams else 0
        result = np.empty((len(grams), width), dtype=object)
        for i, row in enumerate(grams):
            result[i, :] = row
        return result.reshape(strings.shape[:-1] + (width,))

    # ------------------------------------------------------------------ adapt

    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary from texts: every token, most frequent first.

        Ties are broken by the tokens' order, high to low; with ``max_tokens``
        the most frequent ``max_tokens`` minus the special ids are kept. In
        ``'tf_idf'`` mode each string is a document.

        Args:
            data: a list or numpy array of strings (or a pandas Series), or an
                iterable of batches of strings (a generator, a ``DataLoader``).
            batch_size: accepted for Keras compatibility; arrays are read at once.
            steps: with an iterable, read at most this many batches.
        """
        lookup = self._lookup_layer
        lookup.reset_state()
        batches, is_array = adapt_batches(data, steps, f"TextVectorization '{self.name}'")
        total_tokens, total_texts, total_batches = 0, 0, 0
        for batch in batches:
            total_batches += 1
            strings = string_array(batch, f"TextVectorization '{self.name}'.adapt() data", self._encoding)
            if is_array and strings.ndim == 1:
                strings = strings[:, None]  # an array: every string is a document
            total_texts += strings.size
            total_tokens += self._update(strings)
        if total_batches == 0:
            raise ValueError(
                f"TextVectorization '{self.name}'.adapt() got an iterable that yielded no batches, so there is "
                "nothing to learn from."
            )
        if total_texts == 0:
            raise ValueError(
                f"TextVectorization '{self.name}'.adapt() got no texts, so there is nothing to learn from."
            )
        if total_tokens == 0:
            raise ValueError(
                f"TextVectorization '{self.name}'.adapt() found no tokens in its {total_texts} texts (they are "
                "all empty after standardization and splitting). Check that you passed the text column."
            )
        lookup.finalize_state()

    def update_state(self, data):
        """Counts the tokens of one batch of strings (used by ``adapt``)."""
        self._update(string_array(data, f"TextVectorization '{self.name}'.update_state() data", self._encoding))

    def _update(self, strings):
        lookup = self._lookup_layer
        if lookup._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via `vocabulary` argument "
                "or `set_vocabulary()` method."
            )
        kind, documents, leading = self._preprocess(strings)
        if kind == "dense":
            lookup._update_keys(documents)
            return documents.size
        if leading == ():
            documents = documents[:1]  # a single string: one document
        lookup._count_documents(documents)
        return sum(len(document) for document in documents)

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    # ------------------------------------------------------------------ calling

    def _prepare_input(self, inputs):
        return string_array(inputs, f"TextVectorization '{self.name}' input", self._encoding)

    def call(self, inputs):
        lookup = self._lookup_layer
        lookup._ensure_known_vocab_size()
        kind, documents, leading = self._preprocess(inputs)
        if kind == "dense":
            ids = lookup._lookup_dense(documents)
            if self._output_mode != "int":
                return lookup._encode_ids(ids)
            length = self._output_sequence_length
            if length is not None:
                if ids.ndim == 0:
                    ids = ids.reshape(1)
                ids = ids[..., :length]
                padding = length - ids.shape[-1]
                if padding:
                    ids = np.concatenate([ids, np.zeros(ids.shape[:-1] + (padding,), dtype="int64")], axis=-1)
            return to_device_tensor(ids, "int64")

        lengths = [len(document) for document in documents]
        flat = np.empty(sum(lengths), dtype=object)
        flat[:] = [token for document in documents for token in document]
        ids = lookup._lookup_dense(flat)
        if self._output_mode == "int":
            width = self._output_sequence_length
            if width is None:
                width = max(lengths, default=0)
            padded = np.zeros((len(documents), width), dtype="int64")
            start = 0
            for row, length in enumerate(lengths):
                kept = min(length, width)
                padded[row, :kept] = ids[start:start + kept]
                start += length
            return to_device_tensor(padded.reshape(leading + (width,)), "int64")

        if len(leading) > 1:
            raise ValueError(
                f"TextVectorization '{self.name}' with output_mode='{self._output_mode}' takes strings of shape "
                f"(batch,) or (batch, 1); got shape {leading + (1,)}."
            )
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup._frozen_vocab_size
        rows = torch.repeat_interleave(torch.arange(len(documents)), torch.as_tensor(lengths, dtype=torch.long))
        columns = torch.as_tensor(ids, dtype=torch.long)
        keep = (columns != _DROPPED) & (columns < depth)
        counts = torch.zeros(len(documents), depth, dtype=torch.float32)
        counts.index_put_((rows[keep], columns[keep]), torch.ones(int(keep.sum()), dtype=torch.float32),
                          accumulate=True)
        counts = counts.to(backend.device())
        if self._output_mode == "multi_hot":
            counts = (counts > 0).to(torch.float32)
        elif self._output_mode == "tf_idf":
            counts = counts * lookup.idf_weights.to(counts.device)
        return counts.reshape(leading + (depth,)) if leading else counts.reshape(depth)

    # ------------------------------------------------------------------ shapes

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        lookup = self._lookup_layer
        if self._split is None:
            if self._output_mode == "int":
                if self._output_sequence_length is not None and input_shape:
                    return input_shape[:-1] + (self._output_sequence_length,)
                return input_shape
            return lookup.compute_output_shape(input_shape)
        if len(input_shape) > 1:
            input_shape = input_shape[:-1]
        if self._output_mode == "int":
            return input_shape + (self._output_sequence_length,)
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup._frozen_vocab_size
        return input_shape + (depth,)

    def compute_output_spec(self, inputs, *args, **kwargs):
        dtype = "int64" if self._output_mode == "int" else backend.floatx()
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    # ------------------------------------------------------------------ config and saving

    def get_config(self):
        lookup = self._lookup_layer
        config = {
            "max_tokens": lookup.max_tokens,
            "standardize": _serialize_function(self._standardize) if callable(self._standardize)
            else self._standardize,
            "split": _serialize_function(self._split) if callable(self._split) else self._split,
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": lookup.pad_to_max_tokens,
            "sparse": False,
            "ragged": self._ragged,
            "vocabulary": listify(lookup.input_vocabulary),
            "idf_weights": listify(lookup.input_idf_weights),
            "encoding": self._encoding,
            "vocabulary_size": self.vocabulary_size(),
        }
        if config["vocabulary"] is not None:
            config["vocabulary"] = [str(term) for term in config["vocabulary"]]
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["standardize"] = _deserialize_function(config.get("standardize"), "standardize")
        config["split"] = _deserialize_function(config.get("split"), "split")
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        if isinstance(config.get("vocabulary"), str) and serialization.in_safe_mode():
            raise ValueError(
                "Requested the loading of a vocabulary file outside of the model archive. This carries a "
                "potential risk of loading arbitrary and sensitive files and thus it is disallowed by "
                "default. If you trust the source of the artifact, call "
                "`layerwise.saving.enable_unsafe_deserialization()` first. "
                f"Vocabulary file: '{config['vocabulary']}'"
            )
        return cls(**config)

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)


__all__ = ["TextVectorization"]
