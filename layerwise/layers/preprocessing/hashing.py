"""``Hashing``: categorical values to a fixed number of bins, without a vocabulary."""

import numpy as np
import torch

from layerwise import backend
from layerwise.engine.symbolic import KerasTensor
from layerwise.layers.preprocessing import _hashing_functions
from layerwise.layers.preprocessing._preprocessing_utils import (
    HostPreprocessingLayer,
    as_array,
    categorical_output_shape,
    encode_categorical,
    string_array,
    to_device_tensor,
)
from layerwise.layers.preprocessing.index_lookup import refuse_sparse
from layerwise.saving.registry import builtin

_MASK64 = 0xFFFFFFFFFFFFFFFF


@builtin("layers")
class Hashing(HostPreprocessingLayer):
    """A preprocessing layer which hashes and bins categorical features.

    Each value is turned into a string (integers in decimal, floats first
    truncated to integers, booleans as ``'true'``/``'false'``), hashed, and
    put in bin ``hash % num_bins``. The hash is FarmHash ``Fingerprint64`` of
    the UTF-8 bytes, or SipHash-2-4 keyed with ``salt`` when a salt is given:
    the functions TensorFlow uses for Keras's ``Hashing``, reimplemented in
    Python, so every value lands in the same bin as in Keras.

    Args:
        num_bins: number of hash bins. With ``mask_value`` set, bin 0 is
            reserved for it and the other values use bins ``1..num_bins-1``.
        mask_value: a value that goes to bin 0 (e.g. ``""`` or ``0``).
        salt: an int or a pair of ints: use the keyed (SipHash) hash, so that
            bins cannot be predicted without the salt.
        output_mode: ``'int'`` (default: bin indices), ``'one_hot'``,
            ``'multi_hot'`` or ``'count'`` (vectors of size ``num_bins``).
        sparse: must be ``False``: layerwise returns dense tensors.
        dtype: output dtype: ``'int64'`` (default) or ``'int32'`` in ``'int'``
            mode; float32 by default in the other modes.
        name: the layer's name.

    Example:

    >>> layer = layerwise.layers.Hashing(num_bins=3)
    >>> layer(np.array([["A"], ["B"], ["C"], ["D"], ["E"]]))
    tensor([[1],
            [0],
            [1],
            [1],
            [2]])
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else backend.floatx()
        super().__init__(**kwargs)
        if num_bins is None or isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer)) \
                or num_bins <= 0:
            raise ValueError(
                f"The `num_bins` for `Hashing` cannot be `None` or non-positive values. Received: "
                f"num_bins={num_bins}."
            )
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(
                f"When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or 'int64'. "
                f"Received: dtype={kwargs['dtype']}"
            )
        accepted = ("int", "one_hot", "multi_hot", "count")
        if output_mode not in accepted:
            raise ValueError(
                f"Invalid value for argument `output_mode`. Expected one of {accepted}. "
                f"Received: output_mode={output_mode}"
            )
        if sparse:
            refuse_sparse("Hashing")
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = False
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = [int(s) for s in salt]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                self.salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `Hashing` can only be a tuple of size 2 integers, or a single "
                    f"integer. Received: salt={salt}."
                )

    def _as_strings(self, values):
        """The strings TensorFlow hashes for ``values`` (a numpy array)."""
        kind = values.dtype.kind
        if kind == "b":
            return np.where(values, "true", "false").astype(object)
        if kind == "f":
            if not np.all(np.isfinite(values)):
                raise ValueError(
                    f"Hashing '{self.name}' got NaN or infinite values; fill or drop them before hashing."
                )
            values = values.astype("int64")  # truncated toward zero, as TensorFlow casts
            kind = "i"
        if kind in "iu":
            strings = np.empty(values.shape, dtype=object)
            strings.reshape(-1)[:] = [str(v) for v in values.reshape(-1).tolist()]
            return strings
        return string_array(values, f"Hashing '{self.name}' input")

    def _bins(self, values):
        """Bin indices (numpy int64) of a numpy array of values."""
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = np.asarray(values == self.mask_value, dtype=bool).reshape(values.shape)
        strings = self._as_strings(values)
        if self.strong_hash:
            key0, key1 = (s & _MASK64 for s in self.salt)
            hashes = [_hashing_functions.siphash64(s.encode("utf-8"), key0, key1) % bins
                      for s in strings.reshape(-1).tolist()]
        else:
            hashes = [_hashing_functions.fingerprint64(s.encode("utf-8")) % bins
                      for s in strings.reshape(-1).tolist()]
        result = np.asarray(hashes, dtype="int64").reshape(values.shape)
        if mask is not None:
            result = np.where(mask, 0, result + 1)
        return result

    def call(self, inputs):
        values = inputs.detach().cpu().numpy() if isinstance(inputs, torch.Tensor) else as_array(inputs)
        indices = to_device_tensor(self._bins(values), "int64")
        if self.output_mode == "int":
            return indices.to(backend.torch_dtype(self.dtype))
        return encode_categorical(indices, self.output_mode, self.num_bins, self.dtype)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        return categorical_output_shape(input_shape, self.output_mode, self.num_bins)

    def compute_output_spec(self, inputs, *args, **kwargs):
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "salt": self.salt,
            "mask_value": self.mask_value,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }


__all__ = ["Hashing"]
