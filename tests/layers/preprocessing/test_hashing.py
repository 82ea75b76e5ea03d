"""Hashing: the FarmHash/SipHash bins Keras (TensorFlow) gives, masks, output modes, configs, bad input."""

import numpy as np
import pytest
import torch

from layerwise.layers import Hashing
from layerwise.layers.preprocessing._hashing_functions import fingerprint64, siphash64
from layerwise.saving.serialization import deserialize_keras_object, serialize_keras_object

LETTERS = np.array([["A"], ["B"], ["C"], ["D"], ["E"]])


def test_hash_functions_match_published_values():
    # FarmHash Fingerprint64 of the empty string is its constant k2.
    assert fingerprint64(b"") == 0x9AE16A3B2F90404F
    # tf.strings.to_hash_bucket_fast / _strong documentation examples.
    assert [fingerprint64(s) % 3 for s in (b"Hello", b"TensorFlow", b"2.x")] == [0, 2, 2]
    assert [siphash64(s, 1, 2) % 3 for s in (b"Hello", b"TF")] == [2, 0]
    # SipHash-2-4 reference vector (key 00..0f, empty message) from the SipHash paper's test set.
    key0 = int.from_bytes(bytes(range(8)), "little")
    key1 = int.from_bytes(bytes(range(8, 16)), "little")
    assert siphash64(b"", key0, key1) == 0x726FDB47DD0E0E31
    assert siphash64(bytes(range(15)), key0, key1) == 0xA129CA6149BE45E5


def test_documented_examples():
    assert Hashing(num_bins=3)(LETTERS).tolist() == [[1], [0], [1], [1], [2]]
    assert Hashing(num_bins=3, salt=133)(LETTERS).tolist() == [[0], [0], [2], [1], [0]]
    masked = Hashing(num_bins=3, mask_value="")(np.array([["A"], ["B"], [""], ["C"], ["D"]]))
    assert masked.tolist() == [[1], [1], [0], [2], [2]]


def test_numbers_are_hashed_as_their_decimal_strings():
    layer = Hashing(num_bins=1000)
    expected = [fingerprint64(str(v).encode()) % 1000 for v in (12, -3, 7)]
    assert layer(np.array([12, -3, 7])).tolist() == expected
    assert layer(torch.tensor([12, -3, 7])).tolist() == expected
    # floats are truncated toward zero first, as TensorFlow casts them
    assert layer(np.array([12.9, -3.5, 7.0])).tolist() == expected
    assert layer(np.array([True])).tolist() == [fingerprint64(b"true") % 1000]


def test_output_modes_dtypes_and_shapes():
    assert Hashing(4)(np.array(["a"])).dtype == torch.int64
    assert Hashing(4, dtype="int32")(np.array(["a"])).dtype == torch.int32
    one_hot = Hashing(4, output_mode="one_hot")
    assert one_hot(np.array([["a"], ["b"]])).shape == (2, 4)
    assert one_hot(np.array(["a", "b", "c"])).shape == (3, 4)
    multi = Hashing(4, output_mode="multi_hot")(np.array([["a", "b"], ["c", "c"]]))
    assert multi.dtype == torch.float32 and multi.shape == (2, 4)
    counts = Hashing(4, output_mode="count")(np.array([["c", "c"]]))
    assert counts.sum().item() == 2 and counts.max().item() == 2
    assert Hashing(4, output_mode="count").compute_output_shape((None, 3)) == (None, 4)
    assert Hashing(4).compute_output_shape((None, 3)) == (None, 3)


def test_config_round_trip():
    layer = Hashing(7, salt=[1, 2], mask_value="", output_mode="int", name="bins")
    config = layer.get_config()
    assert config["salt"] == [1, 2] and config["mask_value"] == "" and config["num_bins"] == 7
    assert config["dtype"]["config"]["name"] == "int64"
    restored = deserialize_keras_object(serialize_keras_object(layer), "layers")
    sample = np.array(["x", "", "y"])
    assert restored(sample).tolist() == layer(sample).tolist()
    assert Hashing(3, salt=5).get_config()["salt"] == [5, 5]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"num_bins": 0}, "The `num_bins` for `Hashing` cannot be `None` or non-positive values. Received: num_bins=0."),
    ({"num_bins": None}, ("The `num_bins` for `Hashing` cannot be `None` or non-positive values. Received: "
                         "num_bins=None.")),
    ({"num_bins": 3, "output_mode": "tf_idf"},
     ("Invalid value for argument `output_mode`. Expected one of ('int', 'one_hot', 'multi_hot', 'count'). "
     "Received: output_mode=tf_idf")),
    ({"num_bins": 3, "dtype": "float32"},
     "When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or 'int64'. Received: dtype=float32"),
    ({"num_bins": 3, "salt": "pepper"},
     ("The `salt` argument for `Hashing` can only be a tuple of size 2 integers, or a single integer. "
     "Received: salt=pepper.")),
    ({"num_bins": 3, "output_mode": "count", "sparse": True},
     ("Hashing got sparse=True, but layerwise returns dense torch tensors only (Keras also supports `sparse=True` "
     "only on its TensorFlow backend). Remove sparse=True: the dense output holds the same values.")),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError) as info:
        Hashing(**kwargs)
    assert str(info.value) == message


def test_bad_inputs():
    layer = Hashing(3, name="h")
    with pytest.raises(ValueError) as info:
        layer(np.array(["a", None], dtype=object))
    assert str(info.value) == (
        "Hashing 'h' input holds a missing value (None) at index (1,). Every sample must be a string: drop the "
        "missing rows or fill them first (e.g. df['text'].fillna(''))."
    )
    with pytest.raises(ValueError, match=r"^Hashing 'h' got NaN or infinite values"):
        layer(np.array([1.0, np.nan]))
