"""``StringLookup``: strings to integer indices (or one-hot, multi-hot, count, TF-IDF vectors)."""

import numpy as np

from layerwise.layers.preprocessing._preprocessing_utils import string_array
from layerwise.layers.preprocessing.index_lookup import IndexLookup
from layerwise.saving.registry import builtin


@builtin("layers")
class StringLookup(IndexLookup):
    """A preprocessing layer that maps strings to (possibly encoded) indices.

    The vocabulary is given (``vocabulary=``) or learned with ``adapt()``.
    In ``'int'`` mode the layout of indices is: the mask token (index 0, only
    when ``mask_token`` is set), then ``num_oov_indices`` out-of-vocabulary
    indices, then the vocabulary in order. Strings outside the vocabulary go
    to an OOV index (hashed with FarmHash, as Keras does, when there are
    several). Inputs are Python strings or numpy arrays of ``str`` (or
    ``bytes``, decoded with ``encoding``); the output is a torch tensor.

    Args:
        max_tokens: the largest size of the vocabulary, including the mask
            and OOV indices; only used by ``adapt()``. ``None``: no limit.
        num_oov_indices: number of out-of-vocabulary indices (default 1); 0
            makes an unknown string an error.
        mask_token: a string that stands for "no value" (e.g. ``""``): index 0
            in ``'int'`` mode, dropped in the other modes. Default ``None``.
        oov_token: the string ``invert=True`` returns for OOV indices
            (default ``'[UNK]'``).
        vocabulary: a list, tuple or 1D array of strings, or the path of a
            text file with one string per line.
        idf_weights: for ``output_mode='tf_idf'`` with a given vocabulary: the
            inverse document frequency of each term.
        invert: map indices back to strings (``'int'`` mode only); returns a
            numpy array of ``str``.
        output_mode: ``'int'`` (default), ``'one_hot'``, ``'multi_hot'``,
            ``'count'`` or ``'tf_idf'``. The last four return float32 vectors
            of size ``vocabulary_size()`` (or ``max_tokens`` with
            ``pad_to_max_tokens``); ``'multi_hot'``, ``'count'`` and
            ``'tf_idf'`` encode each sample (row) into one vector.
        pad_to_max_tokens: pad encoded outputs to ``max_tokens``.
        sparse: must be ``False``: layerwise returns dense tensors.
        encoding: the text encoding of ``bytes`` inputs (default ``'utf-8'``).
        salt: an int or a pair of ints: hash OOV strings with SipHash keyed
            by it instead of FarmHash (only matters with several OOV indices).
        name: the layer's name.

    Example:

    >>> layer = layerwise.layers.StringLookup(vocabulary=["a", "b", "c", "d"])
    >>> layer(np.array([["a", "c", "d"], ["d", "z", "b"]]))
    tensor([[1, 3, 4],
            [4, 0, 2]])
    >>> layer.get_vocabulary()
    ['[UNK]', 'a', 'b', 'c', 'd']
    """

    _key_kind = "string"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None, **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)  # strings are the only choice, as in Keras
        super().__init__(
            max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
            oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
            output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
            salt=salt, vocabulary_dtype="string", **kwargs,
        )

    def _keys(self, values, where):
        return string_array(values, where, getattr(self, "encoding", "utf-8"))

    def _prepare_input(self, inputs):
        if self.invert:
            return inputs
        return string_array(inputs, f"StringLookup '{self.name}' input", self.encoding)

    def _empty_input_dtype(self):
        return "int64" if self.invert else "U1"

    def adapt(self, data, steps=None):
        """Learns the vocabulary from string data (see ``IndexLookup.adapt``).

        Args:
            data: strings: a list, a numpy array (each element a term; each
                row a document for ``'tf_idf'``) or an iterable of batches.
            steps: with an iterable, read at most this many batches.
        """
        super().adapt(data, steps=steps)

    def _inverted_output(self, terms):
        return terms

    def compute_output_spec(self, inputs, *args, **kwargs):
        if self.invert:
            raise ValueError(
                f"StringLookup '{self.name}' with invert=True returns strings, which cannot flow between "
                "layers of a layerwise model. Apply it to the model's predictions instead, e.g. "
                "layer(np.argmax(model.predict(x), axis=-1))."
            )
        return super().compute_output_spec(inputs)

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]  # strings are the only choice, so Keras does not write it
        config["encoding"] = self.encoding
        if config["vocabulary"] is not None:
            config["vocabulary"] = [str(term) for term in np.asarray(config["vocabulary"], dtype=object).tolist()]
        return config


__all__ = ["StringLookup"]
