"""``IndexLookup``: the vocabulary machinery behind ``StringLookup``, ``IntegerLookup``
and ``TextVectorization`` (not exported, as in Keras).

The vocabulary is a Python dictionary on the host; lookups, out-of-vocabulary
hashing and ``adapt()`` run there, and the result is a torch tensor on the
layerwise device. Index layout, ``adapt()`` ordering, the TF-IDF weights and
every validation follow Keras's ``IndexLookup``:

* ``int`` output: index 0 is the mask token (when ``mask_token`` is set),
  then ``num_oov_indices`` out-of-vocabulary indices, then the vocabulary;
* other output modes: the mask token has no index (masked inputs are
  dropped), OOV indices come first;
* ``adapt()`` ranks tokens by count, ties broken by the tokens' own order,
  high to low, and keeps ``max_tokens`` minus the special indices.
"""

import collections
import math
import os

import numpy as np
import torch

from layerwise import backend
from layerwise.engine.symbolic import KerasTensor
from layerwise.layers.preprocessing import _hashing_functions
from layerwise.layers.preprocessing._preprocessing_utils import (
    OUTPUT_MODES,
    HostPreprocessingLayer,
    adapt_batches,
    categorical_output_shape,
    encode_categorical,
    to_device_tensor,
)
from layerwise.saving import serialization

_DROPPED = -1  # an index outside [0, depth): the encoders skip it (masked inputs in non-int modes)


def validate_output_mode(output_mode, layer_name, allowed=OUTPUT_MODES):
    """Keras's old spellings (``'binary'``, ``'tf-idf'``) accepted; anything unknown refused."""
    if output_mode == "binary":
        output_mode = "multi_hot"
    if output_mode == "tf-idf":
        output_mode = "tf_idf"
    if output_mode not in allowed:
        raise ValueError(
            f"Unknown value for `output_mode` argument of {layer_name}. Allowed values are: {allowed}. "
            f"Received: output_mode={output_mode!r}"
        )
    return output_mode


def refuse_sparse(layer_name):
    raise ValueError(
        f"{layer_name} got sparse=True, but layerwise returns dense torch tensors only (Keras also "
        "supports `sparse=True` only on its TensorFlow backend). Remove sparse=True: the dense output "
        "holds the same values."
    )


def listify(value):
    """numpy arrays and tensors in a config as plain lists (JSON-safe), as Keras writes them."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, tuple):
        value = list(value)
    return value


class IndexLookup(HostPreprocessingLayer):
    """Maps values from a vocabulary to integer indices (the base of the lookup layers).

    See :class:`StringLookup` and :class:`IntegerLookup` for the arguments.
    """

    _key_kind = "string"  # "string" or "int"

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", name=None, salt=None, **kwargs):
        cls = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"If set, `max_tokens` must be greater than 1 (it counts the OOV and mask indices too). "
                f"Received: max_tokens={max_tokens}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                f"If pad_to_max_tokens is True, must set `max_tokens` (the width of {cls}'s output). "
                f"Received: max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                f"`num_oov_indices` must be greater than or equal to 0. Received: num_oov_indices={num_oov_indices}"
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"Unknown value for `oov_method` argument of {cls}. Allowed values are: ('floormod', "
                f"'farmhash'). Received: oov_method={oov_method!r}"
            )
        if salt is not None:
            if self._key_kind == "int" and oov_method != "farmhash":
                raise ValueError(
                    f"`salt` can only be used when `oov_method='farmhash'`. Received: oov_method={oov_method}"
                )
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            else:
                raise ValueError(
                    f"The `salt` argument for `{cls}` can only be a tuple of 2 integers, or a single "
                    f"integer. Received: salt={salt}."
                )
        output_mode = validate_output_mode(output_mode, cls)
        if invert and output_mode != "int":
            raise ValueError(
                f"`output_mode` must be `'int'` when `invert` is true. Received: output_mode={output_mode}"
            )
        if sparse:
            refuse_sparse(cls)
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                "`idf_weights` should only be set if `output_mode` is `'tf_idf'`. "
                f"Received: idf_weights={idf_weights} and output_mode={output_mode}"
            )
        frozen_vocabulary_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword argument(s) for {cls}: {kwargs}")
        super().__init__(name=name)

        self.invert = bool(invert)
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen_vocabulary_size
        # The vocabulary given to the constructor goes into the config (as in Keras); one learned by
        # adapt() or read from a file is saved as an asset instead.
        self.input_vocabulary = None if isinstance(vocabulary, (str, os.PathLike)) else vocabulary
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = bool(has_input_vocabulary)
        self._tokens = []
        self._table = {}
        self._token_array = None
        self.idf_weights = None
        self.reset_state()

        if output_mode == "tf_idf":
            if self._has_input_vocabulary and idf_weights is None:
                raise ValueError(
                    "When specifying the `vocabulary` argument, in TF-IDF output mode, the `idf_weights` "
                    "argument must also be provided."
                )
            if idf_weights is not None:
                self.idf_weights = torch.as_tensor(np.asarray(idf_weights, dtype="float32"),
                                                   device=backend.device())
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ------------------------------------------------------------------ index layout

    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self):
        """The size of the vocabulary, including the mask and OOV indices."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, in index order.

        Args:
            include_special_tokens: with ``True`` (default) the list starts
                with the mask and OOV tokens, so that a term's position is its
                index; with ``False`` only the learned or given terms.
        """
        tokens = list(self._tokens)
        if not include_special_tokens:
            return tokens
        return [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices + tokens

    # ------------------------------------------------------------------ keys

    def _keys(self, values, where):
        """The user's values as a numpy array of keys (str objects or int64); override per layer."""
        raise NotImplementedError

    def _key_from_config(self, token):
        return token

    # ------------------------------------------------------------------ setting the vocabulary

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and, for ``'tf_idf'``, the IDF weights) directly, instead of ``adapt``.

        Args:
            vocabulary: a list, tuple, 1D numpy array or tensor of terms, or
                the path of a text file with one term per line. It may start
                with the mask and OOV tokens (in index order), or leave them out.
            idf_weights: for ``output_mode='tf_idf'`` only: one float per
                vocabulary term.
        """
        cls = type(self).__name__
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                "`idf_weights` should only be set if output_mode is `'tf_idf'`. "
                f"Received: output_mode={self.output_mode} and idf_weights={idf_weights}"
            )
        if isinstance(vocabulary, (str, os.PathLike)):
            self._set_vocabulary_from_file(os.fspath(vocabulary))
            return
        vocabulary = self._keys(vocabulary, f"{cls} '{self.name}' vocabulary").reshape(-1).tolist()
        if isinstance(idf_weights, torch.Tensor):
            idf_weights = idf_weights.detach().cpu().numpy()
        if idf_weights is not None:
            idf_weights = np.asarray(idf_weights, dtype="float64")
        if not vocabulary:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")

        token_start = self._token_start_index()
        special_tokens = [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices
        found_special_tokens = vocabulary[:token_start] == special_tokens
        tokens = vocabulary[token_start:] if found_special_tokens else vocabulary

        repeated = [token for token, count in collections.Counter(tokens).items() if count > 1]
        if repeated:
            raise ValueError(
                "The passed vocabulary has at least one repeated term. Please uniquify your dataset. "
                f"The repeated terms are: {repeated}"
            )
        if self.mask_token is not None and self.mask_token in tokens:
            position = len(vocabulary) - 1 - vocabulary[::-1].index(self.mask_token)
            raise ValueError(
                "Found reserved mask token at unexpected location in `vocabulary`. Note that passed "
                "`vocabulary` does not need to include the OOV and mask tokens. Either remove all mask and "
                "OOV tokens, or include them only at the start of the vocabulary in precisely this order: "
                f"{special_tokens}. Received: mask_token={self.mask_token} at vocabulary index {position}"
            )
        if self.oov_token is not None and self.invert and self.oov_token in tokens:
            position = len(vocabulary) - 1 - vocabulary[::-1].index(self.oov_token)
            raise ValueError(
                "Found reserved OOV token at unexpected location in `vocabulary`. Note that passed "
                "`vocabulary` does not need to include the OOV and mask tokens. Either remove all mask and "
                "OOV tokens, or include them only at the start of the vocabulary in precisely this order: "
                f"{special_tokens}. Received: oov_token={self.oov_token} at vocabulary index {position}"
            )
        new_size = token_start + len(tokens)
        if self.max_tokens is not None and new_size > self.max_tokens:
            raise ValueError(
                "Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary size "
                f"is {new_size}; `max_tokens` is {self.max_tokens}."
            )
        self._set_tokens(tokens)
        self._record_vocabulary_size()

        if self.output_mode == "tf_idf" and idf_weights is not None:
            if len(vocabulary) != len(idf_weights):
                raise ValueError(
                    "`idf_weights` must be the same length as vocabulary. "
                    f"len(idf_weights) is {len(idf_weights)}; len(vocabulary) is {len(vocabulary)}"
                )
            if idf_weights.ndim != 1:
                raise ValueError(f"TF-IDF data must be a 1-index array. Received: idf_weights of shape "
                                 f"{idf_weights.shape}")
            # Special indices have no real document frequency: they get the average weight.
            front = 0 if found_special_tokens else token_start
            front_value = 0.0 if found_special_tokens else float(np.average(idf_weights))
            back = 0
            if self.pad_to_max_tokens and self.max_tokens is not None:
                back = self.max_tokens - front - len(idf_weights)
            weights = np.pad(idf_weights, (front, back), "constant", constant_values=(front_value, 0.0))
            self.idf_weights = torch.as_tensor(weights.astype("float32"), device=backend.device())

    def _set_vocabulary_from_file(self, path):
        if self.output_mode == "tf_idf":
            raise ValueError("output_mode `'tf_idf'` does not support loading a vocabulary from file.")
        if not os.path.isfile(path):
            raise ValueError(f"Vocabulary file {path} does not exist.")
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().split("\n")
        while lines and lines[-1] == "":
            lines.pop()
        tokens = [self._key_from_config(line) for line in lines]
        if not tokens:
            raise ValueError(f"Cannot set an empty vocabulary. The vocabulary file {path} has no lines.")
        repeated = [token for token, count in collections.Counter(tokens).items() if count > 1]
        if repeated:
            raise ValueError(
                f"The vocabulary file {path} has at least one repeated term. The repeated terms are: {repeated}"
            )
        self._set_tokens(tokens)
        self._record_vocabulary_size()

    def _set_tokens(self, tokens):
        start = self._token_start_index()
        self._tokens = list(tokens)
        self._table = {token: start + i for i, token in enumerate(self._tokens)}
        if self._key_kind == "int":
            keys = np.asarray(self._tokens, dtype="int64")
            order = np.argsort(keys, kind="stable")
            self._sorted_keys = keys[order]
            self._sorted_ids = (order + start).astype("int64")
            self._token_array = keys
        else:
            self._token_array = np.array(self._tokens + [None], dtype=object)[:-1]

    def _record_vocabulary_size(self):
        new_size = self.vocabulary_size()
        if self.output_mode != "int" and not self.pad_to_max_tokens and self._frozen_vocab_size is not None \
                and new_size != self._frozen_vocab_size:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, the vocabulary "
                f"size cannot be changed after the layer is called. Old vocab size is "
                f"{self._frozen_vocab_size}, new vocab size is {new_size}"
            )
        self._frozen_vocab_size = new_size

    # ------------------------------------------------------------------ adapt

    def adapt(self, data, steps=None):
        """Learns the vocabulary from ``data``: every distinct term, most frequent first.

        Ties are broken by the terms' own order, high to low. With
        ``max_tokens``, only the most frequent terms are kept. In ``'tf_idf'``
        mode the document frequencies are learned too: each row of ``data``
        is a document.

        Args:
            data: a numpy array, a list, a tensor (one batch), or an iterable
                of batches (a generator, a ``DataLoader``).
            steps: with an iterable, read at most this many batches.
        """
        self.reset_state()
        batches, is_array = adapt_batches(data, steps, f"{type(self).__name__} '{self.name}'")
        seen = False
        for batch in batches:
            keys = self._keys(batch, f"{type(self).__name__} '{self.name}'.adapt() data")
            if is_array and keys.ndim == 1:
                keys = keys[:, None]  # an array: every element is a document
            self._update_keys(keys)
            seen = True
        if not seen:
            raise ValueError(
                f"{type(self).__name__} '{self.name}'.adapt() got an iterable that yielded no batches, so "
                "there is nothing to learn from."
            )
        self.finalize_state()

    def update_state(self, data):
        """Counts the terms of one batch (used by ``adapt``)."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via `vocabulary` "
                "argument or `set_vocabulary()` method."
            )
        self._update_keys(self._keys(data, f"{type(self).__name__} '{self.name}'.update_state() data"))

    def _update_keys(self, data):
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via `vocabulary` "
                "argument or `set_vocabulary()` method."
            )
        if data.ndim == 0:
            data = data[None]
        if data.ndim == 1:
            data = data[None, :]  # a 1-D batch is one document
        self._count_documents(list(data.reshape(len(data), -1)))

    def _count_documents(self, documents):
        """Add the terms of each document (a 1-D sequence of keys) to the counts."""
        counts = self._token_counts
        for document in documents:
            document = document.tolist() if isinstance(document, np.ndarray) else list(document)
            counts.update(document)
            if self.output_mode == "tf_idf":
                self._document_counts.update(set(document))
        if self.output_mode == "tf_idf":
            self._num_documents += len(documents)

    def finalize_state(self):
        """Builds the vocabulary from the counts gathered by ``update_state``."""
        if self._has_input_vocabulary or not self._token_counts:
            self._record_vocabulary_size()
            return
        counts = self._token_counts
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(special, None)
        # By count, then by the term itself, both high to low: deterministic, as in Keras.
        ranked = sorted(counts.items(), key=lambda item: (item[1], item[0]), reverse=True)
        token_start = self._token_start_index()
        if self.max_tokens:
            ranked = ranked[:self.max_tokens - token_start]
        tokens = [token for token, _ in ranked]
        self._set_tokens(tokens)

        if self.output_mode == "tf_idf":
            document_counts = np.array([self._document_counts[t] for t in tokens], dtype="float64")
            idf = np.log(1.0 + self._num_documents / (1.0 + document_counts)).astype("float32")
            mean = np.float32(idf.mean()) if idf.size else np.float32(math.nan)
            idf = np.concatenate([np.full(token_start, mean, dtype="float32"), idf])
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = np.pad(idf, (0, self.max_tokens - idf.size))
            self.idf_weights = torch.as_tensor(idf, device=backend.device())
        self.reset_state()
        self._record_vocabulary_size()

    def reset_state(self):
        """Forgets the counts gathered by ``update_state`` (not the vocabulary)."""
        if self._has_input_vocabulary:
            return
        self._token_counts = collections.Counter()
        self._document_counts = collections.Counter()
        self._num_documents = 0

    # ------------------------------------------------------------------ calling

    def _ensure_known_vocab_size(self):
        if self.output_mode == "int" or self.pad_to_max_tokens:
            return
        if self._frozen_vocab_size is None:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, you must set "
                "the layer's vocabulary before calling it. Either pass a `vocabulary` argument to the layer, "
                "or call `adapt` with some sample data."
            )

    def _lookup_ids(self, keys):
        """Vocabulary ids of a numpy array of keys; -1 where a key is not in the vocabulary."""
        if self._key_kind == "int":
            if not len(self._tokens):
                return np.full(keys.shape, -1, dtype="int64")
            position = np.searchsorted(self._sorted_keys, keys)
            position = np.minimum(position, len(self._sorted_keys) - 1)
            found = self._sorted_keys[position] == keys
            return np.where(found, self._sorted_ids[position], -1)
        table = self._table
        flat = [table.get(key, -1) for key in keys.reshape(-1).tolist()]
        return np.asarray(flat, dtype="int64").reshape(keys.shape)

    def _oov_buckets(self, keys):
        """The OOV index (counted from the first OOV index) of each out-of-vocabulary key."""
        if self._key_kind == "int" and self.oov_method != "farmhash":
            return np.mod(keys, self.num_oov_indices)
        texts = [str(key) if self._key_kind == "int" else key for key in keys.tolist()]
        if self.salt is not None:
            key0, key1 = (s & 0xFFFFFFFFFFFFFFFF for s in self.salt)
            hashes = [_hashing_functions.siphash64(t.encode("utf-8"), key0, key1) for t in texts]
        else:
            hashes = [_hashing_functions.fingerprint64(t.encode("utf-8")) for t in texts]
        return np.asarray([h % self.num_oov_indices for h in hashes], dtype="int64")

    def _lookup_dense(self, keys):
        """Indices (numpy int64) of a numpy array of keys: vocabulary, OOV and mask handled."""
        ids = self._lookup_ids(keys)
        missing = ids < 0
        masked = None
        if self.mask_token is not None:
            masked = np.asarray(keys == self.mask_token, dtype=bool).reshape(keys.shape)
            missing &= ~masked
        if missing.any():
            if self.num_oov_indices == 0:
                found = list(dict.fromkeys(keys[missing].tolist()))[:10]
                raise ValueError(
                    f"When `num_oov_indices=0` all inputs should be in vocabulary, found OOV values {found}, "
                    f"consider setting `num_oov_indices=1` ({type(self).__name__} '{self.name}')."
                )
            if self.num_oov_indices == 1:
                ids[missing] = self._oov_start_index()
            else:
                ids[missing] = self._oov_buckets(keys[missing]) + self._oov_start_index()
        if masked is not None and masked.any():
            ids[masked] = 0 if self.output_mode == "int" else _DROPPED
        return ids

    def _encode_ids(self, ids):
        """The layer's output for numpy ``ids`` (the result of :meth:`_lookup_dense`)."""
        indices = to_device_tensor(ids, "int64")
        if self.output_mode == "int":
            return indices
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if self.output_mode == "tf_idf":
            if self.idf_weights is None:
                raise ValueError("When `output_mode` is `'tf_idf'`, `idf_weights` must be provided.")
            counts = encode_categorical(indices, "count", depth, "float32")
            return counts * self.idf_weights.to(counts.device)
        return encode_categorical(indices, self.output_mode, depth, "float32")

    def _invert_ids(self, ids):
        """Terms (numpy array) for numpy integer ``ids``: unknown ids give ``oov_token``."""
        start = self._token_start_index()
        dtype = "int64" if self._key_kind == "int" else object
        terms = np.empty(ids.shape, dtype=dtype)
        terms[...] = self.oov_token
        valid = (ids >= start) & (ids < start + len(self._tokens))
        if valid.any():
            terms[valid] = self._token_array[ids[valid] - start]
        if self.mask_token is not None:
            terms[ids == 0] = self.mask_token
        return terms

    def call(self, inputs):
        self._ensure_known_vocab_size()
        where = f"{type(self).__name__} '{self.name}' input"
        if self.invert:
            ids = inputs.detach().cpu().numpy() if isinstance(inputs, torch.Tensor) else np.asarray(inputs)
            if ids.dtype.kind not in "iub":
                if ids.dtype.kind == "f" and np.all(ids == np.round(ids)):
                    ids = ids.astype("int64")
                else:
                    raise TypeError(
                        f"{where} must be integer indices when invert=True, got dtype {ids.dtype}."
                    )
            return self._inverted_output(self._invert_ids(ids.astype("int64")))
        return self._encode_ids(self._lookup_dense(self._keys(inputs, where)))

    def _inverted_output(self, terms):
        return terms

    # ------------------------------------------------------------------ shapes

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        return categorical_output_shape(input_shape, self.output_mode, depth)

    def compute_output_spec(self, inputs, *args, **kwargs):
        dtype = "int64" if self.output_mode == "int" else backend.floatx()
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    # ------------------------------------------------------------------ config and saving

    def get_config(self):
        config = {
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": listify(self.input_idf_weights),
            "vocabulary": listify(self.input_vocabulary),
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method,
            "salt": self.salt,
        }
        return {**super().get_config(), **config}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        vocabulary = config.get("vocabulary")
        if isinstance(vocabulary, str) and serialization.in_safe_mode():
            # A config is data: it must not make the loader read a file it names.
            raise ValueError(
                "Requested the loading of a vocabulary file outside of the model archive. This carries a "
                "potential risk of loading arbitrary and sensitive files and thus it is disallowed by "
                "default. If you trust the source of the artifact, call "
                "`layerwise.saving.enable_unsafe_deserialization()` first. "
                f"Vocabulary file: '{vocabulary}'"
            )
        return cls(**config)

    def save_own_variables(self, store):
        """Writes the IDF weights (``'tf_idf'`` mode) into ``store``, as Keras does."""
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = self.idf_weights.detach().cpu().numpy()

    def load_own_variables(self, store):
        """Reads the IDF weights written by :meth:`save_own_variables`."""
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self.idf_weights = torch.as_tensor(np.asarray(store["idf_weights"], dtype="float32"),
                                               device=backend.device())

    def save_assets(self, dir_path):
        """Writes an adapted vocabulary to ``dir_path/vocabulary.txt`` (one term per line), as Keras."""
        if self.input_vocabulary is not None:
            return  # the vocabulary is in the config
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as handle:
            handle.write("\n".join(str(term) for term in self.get_vocabulary(include_special_tokens=True)))

    def load_assets(self, dir_path):
        """Reads the vocabulary written by :meth:`save_assets`."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = [self._key_from_config(line) for line in lines]
        idf = self.idf_weights.detach().cpu().numpy() if self.output_mode == "tf_idf" else None
        self.set_vocabulary(values, idf_weights=idf)
