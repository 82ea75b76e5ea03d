"""StringLookup and IntegerLookup: index layout, OOV and masks, encodings, adapt, configs, bad input."""

import math

import numpy as np
import pytest
import torch

import layerwise
from layerwise.layers import IntegerLookup, StringLookup
from layerwise.layers.preprocessing import _hashing_functions
from layerwise.saving.serialization import deserialize_keras_object, serialize_keras_object

VOCAB = ["a", "b", "c", "d"]


def test_string_lookup_documented_examples():
    layer = StringLookup(vocabulary=VOCAB)
    out = layer(np.array([["a", "c", "d"], ["d", "z", "b"]]))
    assert out.dtype == torch.int64
    assert out.tolist() == [[1, 3, 4], [4, 0, 2]]
    assert layer.get_vocabulary() == ["[UNK]", "a", "b", "c", "d"]
    assert layer.vocabulary_size() == 5
    masked = StringLookup(vocabulary=VOCAB, mask_token="")
    assert masked(np.array([["a", ""], ["z", "d"]])).tolist() == [[2, 0], [1, 5]]
    assert masked.get_vocabulary() == ["", "[UNK]", "a", "b", "c", "d"]


def test_several_oov_indices_use_farmhash_or_siphash_buckets():
    words = np.array(["a", "x", "hello", "zz"])
    layer = StringLookup(vocabulary=VOCAB, num_oov_indices=3)
    expected = [3] + [_hashing_functions.fingerprint64(w.encode()) % 3 for w in ["x", "hello", "zz"]]
    assert layer(words).tolist() == expected
    salted = StringLookup(vocabulary=VOCAB, num_oov_indices=3, salt=7)
    expected = [3] + [_hashing_functions.siphash64(w.encode(), 7, 7) % 3 for w in ["x", "hello", "zz"]]
    assert salted(words).tolist() == expected


def test_invert_maps_indices_back():
    layer = StringLookup(vocabulary=VOCAB, invert=True)
    terms = layer(torch.tensor([[1, 3], [0, 9]]))
    assert isinstance(terms, np.ndarray) and terms.tolist() == [["a", "c"], ["[UNK]", "[UNK]"]]
    masked = StringLookup(vocabulary=VOCAB, invert=True, mask_token="[M]")
    assert masked(np.array([0, 1, 2])).tolist() == ["[M]", "[UNK]", "a"]
    numbers = IntegerLookup(vocabulary=[12, 36, 1138, 42], invert=True)
    assert numbers(np.array([[1, 3, 4], [4, 0, 2]])).tolist() == [[12, 1138, 42], [42, -1, 36]]


@pytest.mark.parametrize(("mode", "shape"), [("one_hot", (2, 3, 5)), ("multi_hot", (2, 5)), ("count", (2, 5)),
                                             ("tf_idf", (2, 5))])
def test_encoded_outputs(mode, shape):
    kwargs = {"idf_weights": [1.0, 2.0, 3.0, 4.0]} if mode == "tf_idf" else {}
    layer = StringLookup(vocabulary=VOCAB, output_mode=mode, **kwargs)
    out = layer(np.array([["a", "a", "z"], ["d", "b", "b"]]))
    assert out.dtype == torch.float32 and out.shape == shape
    if mode == "count":
        assert out.tolist() == [[1, 2, 0, 0, 0], [0, 0, 2, 0, 1]]
    if mode == "tf_idf":
        # given weights are padded in front with their mean for the OOV index
        assert out.tolist() == [[2.5, 2.0, 0, 0, 0], [0, 0, 4.0, 0, 4.0]]
    assert layer.compute_output_shape((None, 3)) == (None,) + shape[1:]
    padded = StringLookup(vocabulary=VOCAB, output_mode="multi_hot", max_tokens=10, pad_to_max_tokens=True)
    assert padded(np.array([["a"]])).shape == (1, 10)


def test_adapt_orders_by_count_then_term_high_to_low():
    layer = StringLookup()
    layer.adapt(np.array([["b", "a", "c"], ["a", "c", "d"], ["e", "e", "e"]]))
    assert layer.get_vocabulary() == ["[UNK]", "e", "c", "a", "d", "b"]
    capped = StringLookup(max_tokens=3)
    capped.adapt(["b", "a", "a", "c", "c", "d"])
    assert capped.get_vocabulary() == ["[UNK]", "c", "a"]
    numbers = IntegerLookup(mask_token=0)
    numbers.adapt(np.array([12, 36, 1138, 42, 36, 12, 12, -1, 0]))
    # the mask and OOV tokens (0, -1) are never learned as terms
    assert numbers.get_vocabulary() == [0, -1, 12, 36, 1138, 42]


def test_adapt_tf_idf_weights():
    layer = StringLookup(output_mode="tf_idf")
    layer.adapt(np.array([["b", "a", "c"], ["a", "c", "d"], ["e", "e", "e"]]))
    idf = {term: math.log(1 + 3 / (1 + docs)) for term, docs in {"e": 1, "c": 2, "a": 2, "d": 1, "b": 1}.items()}
    learned = [idf[t] for t in layer.get_vocabulary()[1:]]
    np.testing.assert_allclose(layer.idf_weights.cpu().numpy(), [np.mean(learned)] + learned, rtol=1e-6)


def test_integer_lookup_oov_methods_and_floats():
    layer = IntegerLookup(vocabulary=[12, 36, 1138, 42], num_oov_indices=2)
    assert layer(np.array([12, 1000, 1001, 7])).tolist() == [2, 0, 1, 1]  # floormod buckets
    farm = IntegerLookup(vocabulary=[12, 36], num_oov_indices=3, oov_method="farmhash")
    assert farm(np.array([-5])).tolist() == [_hashing_functions.fingerprint64(b"-5") % 3]
    assert IntegerLookup(vocabulary=[12, 36])(np.array([12.0, 36.7])).tolist() == [1, 2]
    assert IntegerLookup(vocabulary=[12, 36])(torch.tensor([[36]])).tolist() == [[2]]


def test_lookup_in_a_model_feeding_an_embedding():
    lookup = StringLookup(vocabulary=["red", "green", "blue"])
    model = layerwise.Sequential([lookup, layerwise.layers.Embedding(lookup.vocabulary_size(), 2)])
    assert model(np.array([["red", "teal"]])).shape == (1, 2, 2)
    assert model.layers[0].count_params() == 0


def test_configs_round_trip():
    layer = StringLookup(vocabulary=["x", "y"], mask_token="", num_oov_indices=2, output_mode="count", name="sl")
    config = layer.get_config()
    assert config == {
        "name": "sl", "trainable": True,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None},
        "invert": False, "max_tokens": None,
        "num_oov_indices": 2, "oov_token": "[UNK]", "mask_token": "", "output_mode": "count", "sparse": False,
        "pad_to_max_tokens": False, "idf_weights": None, "vocabulary": ["x", "y"], "vocabulary_size": 4,
        "oov_method": "floormod", "salt": None, "encoding": "utf-8",
    }
    restored = deserialize_keras_object(serialize_keras_object(layer), "layers")
    assert isinstance(restored, StringLookup)
    sample = np.array([["x", "q", ""]])
    assert restored(sample).tolist() == layer(sample).tolist()
    numbers = IntegerLookup(vocabulary=np.array([12, 36]), mask_token=0)
    config = numbers.get_config()
    assert config["vocabulary"] == [12, 36] and config["vocabulary_dtype"] == "int64"
    assert IntegerLookup.from_config(config)(np.array([36, 0, 5])).tolist() == [3, 0, 1]


def test_adapted_vocabulary_is_saved_as_an_asset(tmp_path):
    layer = IntegerLookup(output_mode="tf_idf")
    layer.adapt(np.array([[1, 2, 2], [3, 3, 3]]))
    layer.save_assets(str(tmp_path))
    assert (tmp_path / "vocabulary.txt").read_text() == "-1\n3\n2\n1"
    store = {}
    layer.save_own_variables(store)
    restored = IntegerLookup.from_config(layer.get_config())
    restored.load_own_variables(store)
    restored.load_assets(str(tmp_path))
    assert restored.get_vocabulary() == layer.get_vocabulary()
    torch.testing.assert_close(restored(np.array([[1, 3, 9]])), layer(np.array([[1, 3, 9]])))


def test_set_vocabulary_with_special_tokens_and_files(tmp_path):
    layer = StringLookup(mask_token="")
    layer.set_vocabulary(["", "[UNK]", "a", "b"])
    assert layer.get_vocabulary() == ["", "[UNK]", "a", "b"]
    path = tmp_path / "terms.txt"
    path.write_text("red\ngreen\n", encoding="utf-8")
    from_file = StringLookup(vocabulary=str(path))
    assert from_file(np.array(["green", "red"])).tolist() == [2, 1]
    assert from_file.get_config()["vocabulary"] is None


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("layer", "kwargs", "message"), [
    (StringLookup, {"vocabulary": ["a", "a"]},
     ("The passed vocabulary has at least one repeated term. Please uniquify your dataset. The repeated terms are: "
     "['a']")),
    (StringLookup, {"vocabulary": ["a", ""], "mask_token": ""},
     ("Found reserved mask token at unexpected location in `vocabulary`. Note that passed `vocabulary` does not "
     "need to include the OOV and mask tokens. Either remove all mask and OOV tokens, or include them only at the "
     "start of the vocabulary in precisely this order: ['', '[UNK]']. Received: mask_token= at vocabulary index 1")),
    (StringLookup, {"vocabulary": ["a", "[UNK]"], "invert": True},
     ("Found reserved OOV token at unexpected location in `vocabulary`. Note that passed `vocabulary` does not need "
     "to include the OOV and mask tokens. Either remove all mask and OOV tokens, or include them only at the start "
     "of the vocabulary in precisely this order: ['[UNK]']. Received: oov_token=[UNK] at vocabulary index 1")),
    (StringLookup, {"vocabulary": []}, "Cannot set an empty vocabulary. Received: vocabulary=[]"),
    (StringLookup, {"vocabulary": ["a", "b", "c"], "max_tokens": 3},
     ("Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary size is 4; "
     "`max_tokens` is 3.")),
    (StringLookup, {"invert": True, "output_mode": "count"},
     "`output_mode` must be `'int'` when `invert` is true. Received: output_mode=count"),
    (StringLookup, {"idf_weights": [1.0]},
     ("`idf_weights` should only be set if `output_mode` is `'tf_idf'`. Received: idf_weights=[1.0] and "
     "output_mode=int")),
    (StringLookup, {"pad_to_max_tokens": True},
     ("If pad_to_max_tokens is True, must set `max_tokens` (the width of StringLookup's output). "
     "Received: max_tokens=None")),
    (StringLookup, {"sparse": True},
     ("StringLookup got sparse=True, but layerwise returns dense torch tensors only (Keras also supports "
     "`sparse=True` only on its TensorFlow backend). Remove sparse=True: the dense output holds the same values.")),
    (StringLookup, {"salt": "pepper"},
     ("The `salt` argument for `StringLookup` can only be a tuple of 2 integers, or a single integer. "
     "Received: salt=pepper.")),
    (StringLookup, {"output_mode": "words"},
     ("Unknown value for `output_mode` argument of StringLookup. Allowed values are: ('int', 'one_hot', 'multi_hot', "
     "'count', 'tf_idf'). Received: output_mode='words'")),
    (StringLookup, {"oov_method": "modulo"},
     ("Unknown value for `oov_method` argument of StringLookup. Allowed values are: ('floormod', 'farmhash'). "
     "Received: oov_method='modulo'")),
    (StringLookup, {"vocab": ["a"]}, "Unrecognized keyword argument(s) for StringLookup: {'vocab': ['a']}"),
    (IntegerLookup, {"max_tokens": 1},
     "If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. Received: max_tokens=1"),
    (IntegerLookup, {"num_oov_indices": -1},
     "The value of `num_oov_indices` argument for `IntegerLookup` must >= 0. Received: num_oov_indices=-1"),
    (IntegerLookup, {"vocabulary_dtype": "int32"},
     "Only `vocabulary_dtype='int64'` is supported at this time. Received: vocabulary_dtype=int32"),
    (IntegerLookup, {"salt": 3}, "`salt` can only be used when `oov_method='farmhash'`. Received: oov_method=floormod"),
    (IntegerLookup, {"vocabulary": [1], "output_mode": "tf_idf"},
     ("When specifying the `vocabulary` argument, in TF-IDF output mode, the `idf_weights` argument must also be "
     "provided.")),
])
def test_bad_arguments(layer, kwargs, message):
    with pytest.raises(ValueError) as info:
        layer(**kwargs)
    assert str(info.value) == message


def test_unknown_terms_without_oov_indices():
    layer = StringLookup(vocabulary=VOCAB, num_oov_indices=0, name="strict")
    with pytest.raises(ValueError) as info:
        layer(np.array(["a", "x", "y", "x"]))
    assert str(info.value) == (
        "When `num_oov_indices=0` all inputs should be in vocabulary, found OOV values ['x', 'y'], consider setting "
        "`num_oov_indices=1` (StringLookup 'strict')."
    )


def test_bad_inputs():
    layer = StringLookup(vocabulary=VOCAB, name="sl")
    with pytest.raises(ValueError) as info:
        layer(np.array(["a", None], dtype=object))
    assert str(info.value) == (
        "StringLookup 'sl' input holds a missing value (None) at index (1,). Every sample must be a string: drop "
        "the missing rows or fill them first (e.g. df['text'].fillna(''))."
    )
    with pytest.raises(TypeError, match=r"^StringLookup 'sl' input must be strings, but got an array of dtype int64"):
        layer(np.array([1, 2]))
    with pytest.raises(TypeError) as info:
        IntegerLookup(vocabulary=[1], name="il")(np.array(["1"]))
    assert str(info.value) == (
        "IntegerLookup 'il' input must be integers, but got '1' (str) in an array of dtype <U1. For strings use "
        "StringLookup."
    )
    with pytest.raises(ValueError, match=r"^IntegerLookup 'il' input holds NaN or infinite values"):
        IntegerLookup(vocabulary=[1], name="il")(np.array([1.0, np.nan]))
    with pytest.raises(TypeError, match=r"^StringLookup 'inv' input must be integer indices when invert=True"):
        StringLookup(vocabulary=VOCAB, invert=True, name="inv")(np.array([0.5]))


def test_adapt_errors():
    with pytest.raises(ValueError) as info:
        StringLookup(name="sl").adapt([])
    assert str(info.value) == (
        "StringLookup 'sl'.adapt() got empty data (0 samples), so there is nothing to learn from. Check how the "
        "data were loaded or filtered."
    )
    with pytest.raises(ValueError, match=r"^StringLookup 'sl'.adapt\(\) data holds a missing value \(None\) at index"):
        StringLookup(name="sl").adapt(["a", None])
    with pytest.raises(ValueError) as info:
        StringLookup(vocabulary=["a"], name="sl").adapt(["a"])
    assert str(info.value) == (
        "Cannot adapt layer 'sl' after setting a static vocabulary via `vocabulary` argument or `set_vocabulary()` "
        "method."
    )
    layer = StringLookup(output_mode="multi_hot")
    layer.adapt(["a", "b"])
    with pytest.raises(RuntimeError) as info:
        layer.adapt(["a", "b", "c"])
    assert str(info.value) == (
        "When using `output_mode=multi_hot` and `pad_to_max_tokens=False`, the vocabulary size cannot be changed "
        "after the layer is called. Old vocab size is 3, new vocab size is 4"
    )


def test_invert_string_lookup_cannot_sit_inside_a_model():
    layer = StringLookup(vocabulary=VOCAB, invert=True, name="back")
    with pytest.raises(ValueError, match=r"^StringLookup 'back' with invert=True returns strings"):
        layer(layerwise.Input(shape=(3,)))


def test_vocabulary_file_paths_in_configs_are_refused():
    config = StringLookup(vocabulary=["a"]).get_config()
    config["vocabulary"] = "/etc/passwd"
    with pytest.raises(ValueError) as info:
        StringLookup.from_config(config)
    assert str(info.value) == (
        "Requested the loading of a vocabulary file outside of the model archive. This carries a potential risk of "
        "loading arbitrary and sensitive files and thus it is disallowed by default. If you trust the source of the "
        "artifact, call `layerwise.saving.enable_unsafe_deserialization()` first. Vocabulary file: '/etc/passwd'"
    )
