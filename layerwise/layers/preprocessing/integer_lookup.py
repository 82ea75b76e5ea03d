"""``IntegerLookup``: arbitrary integers to contiguous indices (or encoded vectors)."""

import numpy as np
import torch

from layerwise.layers.preprocessing._preprocessing_utils import as_array, to_device_tensor
from layerwise.layers.preprocessing.index_lookup import IndexLookup
from layerwise.saving.registry import builtin


@builtin("layers")
class IntegerLookup(IndexLookup):
    """A preprocessing layer that maps integers to (possibly encoded) indices.

    Useful for categorical features coded as arbitrary integers (zip codes,
    product ids): the vocabulary is given or learned with ``adapt()``, and
    each value becomes its position in it. Layout of indices in ``'int'``
    mode: the mask token (index 0, only when ``mask_token`` is set), then the
    out-of-vocabulary indices, then the vocabulary.

    Args:
        max_tokens: the largest size of the vocabulary, including the mask
            and OOV indices (``adapt()`` only). ``None``: no limit.
        num_oov_indices: number of OOV indices (default 1). With several, an
            unknown value ``v`` goes to OOV index ``v % num_oov_indices``
            (``oov_method='floormod'``) or to its FarmHash bucket
            (``'farmhash'``). 0 makes an unknown value an error.
        mask_token: an integer that stands for "no value": index 0 in
            ``'int'`` mode, dropped in the other modes. Default ``None``.
        oov_token: what ``invert=True`` returns for OOV indices (default -1).
        vocabulary: a list, tuple, 1D array or tensor of integers, or the path
            of a text file with one integer per line.
        vocabulary_dtype: must be ``'int64'`` (as in Keras).
        idf_weights: for ``'tf_idf'`` with a given vocabulary.
        invert: map indices back to vocabulary values (``'int'`` mode only).
        output_mode: ``'int'`` (default), ``'one_hot'``, ``'multi_hot'``,
            ``'count'`` or ``'tf_idf'`` (float32 vectors).
        sparse: must be ``False``: layerwise returns dense tensors.
        pad_to_max_tokens: pad encoded outputs to ``max_tokens``.
        oov_method: ``'floormod'`` (default) or ``'farmhash'``.
        salt: with ``'farmhash'``: an int or a pair of ints keying SipHash.
        name: the layer's name.

    Example:

    >>> layer = layerwise.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
    >>> layer(np.array([[12, 1138, 42], [42, 1000, 36]]))
    tensor([[1, 3, 4],
            [4, 0, 2]])
    """

    _key_kind = "int"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1, vocabulary=None,
                 vocabulary_dtype="int64", idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, name=None, **kwargs):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                "If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. "
                f"Received: max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                "The value of `num_oov_indices` argument for `IntegerLookup` must >= 0. "
                f"Received: num_oov_indices={num_oov_indices}"
            )
        if vocabulary_dtype != "int64":
            raise ValueError(
                f"Only `vocabulary_dtype='int64'` is supported at this time. Received: "
                f"vocabulary_dtype={vocabulary_dtype}"
            )
        super().__init__(
            max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
            oov_token=oov_token, vocabulary=vocabulary, vocabulary_dtype=vocabulary_dtype,
            idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method, salt=salt, name=name, **kwargs,
        )

    def _keys(self, values, where):
        if isinstance(values, torch.Tensor):
            values = values.detach().cpu().numpy()
        array = as_array(values)
        if array.dtype.kind in "iub":
            return array.astype("int64")
        if array.dtype.kind == "f":
            if not np.all(np.isfinite(array)):
                raise ValueError(
                    f"{where} holds NaN or infinite values; IntegerLookup needs integers. Fill or drop them first."
                )
            return array.astype("int64")  # truncated toward zero, as TensorFlow casts
        if array.dtype.kind == "O" and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                           for v in array.reshape(-1).tolist()):
            return array.astype("int64")
        bad = next((v for v in array.reshape(-1).tolist() if not isinstance(v, (int, float))), None)
        raise TypeError(
            f"{where} must be integers, but got {bad!r} ({type(bad).__name__}) in an array of dtype "
            f"{array.dtype}. For strings use StringLookup."
        )

    def _empty_input_dtype(self):
        return "int64"

    def _key_from_config(self, token):
        return int(token)

    def adapt(self, data, steps=None):
        """Learns the vocabulary from integer data (see ``IndexLookup.adapt``).

        Args:
            data: integers: a list, a numpy array, a tensor, or an iterable of
                batches.
            steps: with an iterable, read at most this many batches.
        """
        super().adapt(data, steps=steps)

    def _inverted_output(self, terms):
        return to_device_tensor(terms, "int64")

    def get_config(self):
        config = super().get_config()
        if config["oov_token"] is not None:
            config["oov_token"] = int(config["oov_token"])
        if config["mask_token"] is not None:
            config["mask_token"] = int(config["mask_token"])
        if config["vocabulary"] is not None and not isinstance(config["vocabulary"], str):
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config


__all__ = ["IntegerLookup"]
