"""TextVectorization: behaviour, shapes, configs, saving hooks and the messages for bad input."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

import layerwise
from layerwise.layers import TextVectorization
from layerwise.saving import register_serializable
from layerwise.saving.serialization import deserialize_keras_object, serialize_keras_object

DOCS = ["The cat sat on the mat.", "The dog ate my homework!", "Cats and dogs: friends?"]


def adapted(**kwargs):
    layer = TextVectorization(**kwargs)
    layer.adapt(DOCS)
    return layer


def test_documented_example():
    layer = TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    out = layer([["foo qux bar"], ["qux baz"]])
    assert out.dtype == torch.int64
    assert out.tolist() == [[4, 1, 3, 0], [1, 2, 0, 0]]
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    given = TextVectorization(vocabulary=["earth", "wind", "and", "fire"], output_sequence_length=4)
    assert given.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    assert given.get_vocabulary(include_special_tokens=False) == ["earth", "wind", "and", "fire"]
    assert given.vocabulary_size() == 6


def test_vocabulary_order_counts_then_tokens_high_to_low():
    layer = adapted()
    # "the": 3; every other word once, in reverse alphabetical order.
    assert layer.get_vocabulary() == ["", "[UNK]", "the", "sat", "on", "my", "mat", "homework", "friends",
                                      "dogs", "dog", "cats", "cat", "ate", "and"]
    capped = adapted(max_tokens=5)
    assert capped.get_vocabulary() == ["", "[UNK]", "the", "sat", "on"]


def test_sequences_are_padded_to_the_longest_or_to_output_sequence_length():
    layer = adapted()
    assert layer(np.array(["the cat", "dogs and cats and the mat"])).shape == (2, 6)
    fixed = adapted(output_sequence_length=3)
    assert fixed(np.array(["the cat", "dogs and cats and the mat"])).tolist() == [[2, 12, 0], [9, 14, 11]]
    assert fixed(np.array(["", ""])).tolist() == [[0, 0, 0], [0, 0, 0]]
    assert adapted()(np.array(["", ""])).shape == (2, 0)


def test_inputs_lists_columns_series_scalars_and_bytes():
    layer = adapted(output_sequence_length=4)
    expected = layer(np.array(["the cat", "a dog"])).tolist()
    assert layer(["the cat", "a dog"]).tolist() == expected
    assert layer(np.array([["the cat"], ["a dog"]])).tolist() == expected
    assert layer(pd.Series(["the cat", "a dog"])).tolist() == expected
    assert layer(np.array([b"the cat", b"a dog"])).tolist() == expected
    assert layer("the cat").tolist() == expected[0]


def test_standardize_and_split_options_follow_keras():
    lower = adapted(standardize="lower")
    assert "mat." in lower.get_vocabulary()
    stripped = adapted(standardize="strip_punctuation")
    assert "The" in stripped.get_vocabulary() and "mat" in stripped.get_vocabulary()
    # Keras lowercases ASCII letters only, strips ASCII punctuation only and splits on ASCII whitespace only.
    layer = TextVectorization()
    layer.adapt(["ÀB «q» a\u00a0b c\td"])
    assert layer.get_vocabulary(include_special_tokens=False) == ["Àb", "«q»", "d", "c", "a\u00a0b"]
    characters = TextVectorization(split="character", output_sequence_length=5)
    characters.adapt(["abcab"])
    assert characters(["cab"]).tolist() == [[4, 3, 2, 0, 0]]  # vocabulary: b, a (tied, high to low), c
    whole = TextVectorization(split=None, standardize=None)
    whole.adapt(["Hello World", "x", "x"])
    assert whole(np.array(["Hello World", "y"])).tolist() == [3, 1]


def test_ngrams():
    layer = TextVectorization(ngrams=2, vocabulary=["the", "cat", "the cat"])
    assert layer(["the cat sat"]).tolist() == [[2, 3, 1, 4, 1]]
    chosen = TextVectorization(ngrams=(2,), vocabulary=["the cat"])
    assert chosen(["the cat sat"]).tolist() == [[2, 1]]


def test_callable_standardize_and_split():
    def shout(texts):
        return np.char.upper(texts)

    def on_dashes(texts):
        return [text.split("-") for text in texts]

    layer = TextVectorization(standardize=shout, split=on_dashes, vocabulary=["A", "B"])
    assert layer(["a-b-c"]).tolist() == [[2, 3, 1]]


@pytest.mark.parametrize("mode", ["multi_hot", "count", "tf_idf"])
def test_vector_modes(mode):
    layer = adapted(output_mode=mode)
    out = layer(np.array(["the the cat", "zebra"]))
    assert out.dtype == torch.float32
    assert out.shape == (2, layer.vocabulary_size())
    vocabulary = layer.get_vocabulary()
    the, cat = vocabulary.index("the"), vocabulary.index("cat")
    if mode == "multi_hot":
        assert out[0, the] == 1 and out[0, cat] == 1 and out[1, 0] == 1
    elif mode == "count":
        assert out[0, the] == 2 and out[1, 0] == 1
    else:
        # idf = log(1 + documents / (1 + documents containing the term)); OOV gets the mean idf.
        assert out[0, the].item() == pytest.approx(2 * math.log(1 + 3 / (1 + 2)), rel=1e-6)
        assert out[0, cat].item() == pytest.approx(math.log(1 + 3 / 2), rel=1e-6)
    padded = adapted(output_mode=mode, max_tokens=20, pad_to_max_tokens=True)
    assert padded(np.array(["the"])).shape == (1, 20)


def test_tf_idf_with_given_weights_and_set_vocabulary():
    layer = TextVectorization(output_mode="tf_idf", vocabulary=["a", "b"], idf_weights=[0.5, 0.25])
    assert layer(["a b b c"]).tolist() == [[0.375, 0.5, 0.5]]
    later = TextVectorization(output_mode="tf_idf")
    later.set_vocabulary(["a", "b"], idf_weights=[0.5, 0.25])
    assert later(["a b b c"]).tolist() == [[0.375, 0.5, 0.5]]


def test_adapt_from_batches_steps_and_series():
    def batches():
        yield np.array(["red green", "red"])
        yield np.array(["blue"])
        yield np.array(["never read"])

    layer = TextVectorization()
    layer.adapt(batches(), steps=2)
    assert layer.get_vocabulary() == ["", "[UNK]", "red", "green", "blue"]
    from_series = TextVectorization()
    from_series.adapt(pd.Series(["red green", "red"]))
    assert from_series.get_vocabulary() == ["", "[UNK]", "red", "green"]


def test_symbolic_shapes_and_sequential_model():
    layer = adapted(output_sequence_length=6)
    assert layer.compute_output_shape((None,)) == (None, 6)
    assert layer.compute_output_shape((None, 1)) == (None, 6)
    assert adapted(output_mode="count").compute_output_shape((None, 1)) == (None, 14)
    assert TextVectorization(split=None, vocabulary=["a"]).compute_output_shape((None, 1)) == (None, 1)
    model = layerwise.Sequential([layer, layerwise.layers.Embedding(layer.vocabulary_size(), 4)])
    assert model(np.array(["the cat", "a dog"])).shape == (2, 6, 4)
    assert model.layers[0].count_params() == 0
    assert layer.weights == []


def test_config_round_trip_with_a_given_vocabulary():
    layer = TextVectorization(max_tokens=10, ngrams=(1, 2), output_sequence_length=5,
                              vocabulary=["the", "cat", "the cat"], name="words")
    config = layer.get_config()
    assert config["vocabulary"] == ["the", "cat", "the cat"]
    assert config["vocabulary_size"] == 5
    assert config["ngrams"] == (1, 2)
    restored = TextVectorization.from_config(config)
    assert restored.get_vocabulary() == layer.get_vocabulary()
    assert restored(["the cat sat"]).tolist() == layer(["the cat sat"]).tolist()
    rebuilt = deserialize_keras_object(serialize_keras_object(layer), "layers")
    assert isinstance(rebuilt, TextVectorization) and rebuilt.name == "words"
    listed = dict(config, ngrams=[1, 2])  # as it comes back from JSON
    assert TextVectorization.from_config(listed)._ngrams == (1, 2)


def test_adapted_vocabulary_travels_as_an_asset_as_in_keras(tmp_path):
    layer = adapted(output_mode="tf_idf")
    config = layer.get_config()
    assert config["vocabulary"] is None and config["vocabulary_size"] == 14
    layer.save_assets(str(tmp_path))
    store = {}
    layer.save_own_variables(store)
    restored = TextVectorization.from_config(config)
    restored.load_own_variables(store)
    restored.load_assets(str(tmp_path))
    assert restored.get_vocabulary() == layer.get_vocabulary()
    torch.testing.assert_close(restored(DOCS), layer(DOCS))


def test_registered_callables_round_trip():
    @register_serializable(package="TextTests")
    def keep_case(texts):
        return texts

    layer = TextVectorization(standardize=keep_case, vocabulary=["A"])
    config = layer.get_config()
    assert config["standardize"] == {"module": "builtins", "class_name": "function",
                                     "config": "TextTests>keep_case", "registered_name": "function"}
    restored = TextVectorization.from_config(config)
    assert restored(["A a"]).tolist() == [[2, 1]]


def test_vocabulary_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("the\ncat\n", encoding="utf-8")
    layer = TextVectorization(vocabulary=str(path))
    assert layer.get_vocabulary() == ["", "[UNK]", "the", "cat"]
    assert layer.get_config()["vocabulary"] is None


# ---------------------------------------------------------------------- bad input


def test_texts_with_none_numbers_tensors_and_undecodable_bytes():
    layer = adapted()
    with pytest.raises(ValueError) as info:
        layer(np.array(["fine", None], dtype=object))
    assert str(info.value) == (
        "TextVectorization 'text_vectorization' input holds a missing value (None) at index (1,). Every sample "
        "must be a string: drop the missing rows or fill them first (e.g. df['text'].fillna(''))."
    )
    with pytest.raises(ValueError, match=r"holds a missing value \(nan\) at index \(0,\)"):
        layer(pd.Series([float("nan"), "x"]))
    with pytest.raises(TypeError) as info:
        layer(["fine", 3])
    assert str(info.value) == (
        "TextVectorization 'text_vectorization' input must hold only strings, but found 3 of type int at index "
        "(1,). Convert the values to str first."
    )
    with pytest.raises(TypeError) as info:
        layer(torch.tensor([1, 2]))
    assert str(info.value) == (
        "TextVectorization 'text_vectorization' input must be strings (a list or numpy array of str), but got a "
        "torch tensor of dtype int64 and shape (2,). Tensors cannot hold text: pass the raw strings."
    )
    with pytest.raises(TypeError, match=r"input must be strings, but got an array of dtype float64 with shape \(2,\)"):
        layer(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"holds bytes that are not valid utf-8 \(b'\\xff\\xfe'\.\.\.: invalid start byte\)"):
        layer(np.array([b"\xff\xfe"], dtype=object))


def test_adapt_on_empty_or_missing_data():
    with pytest.raises(ValueError) as info:
        TextVectorization(name="tv").adapt([])
    assert str(info.value) == (
        "TextVectorization 'tv'.adapt() got empty data (0 samples), so there is nothing to learn from. Check how "
        "the data were loaded or filtered."
    )
    with pytest.raises(ValueError) as info:
        TextVectorization(name="tv").adapt(["", "  ", "..."])
    assert str(info.value) == (
        "TextVectorization 'tv'.adapt() found no tokens in its 3 texts (they are all empty after standardization "
        "and splitting). Check that you passed the text column."
    )
    with pytest.raises(ValueError, match=r"^TextVectorization 'tv'.adapt\(\) got an iterable that yielded no batches"):
        TextVectorization(name="tv").adapt(iter([]))
    with pytest.raises(TypeError, match=r"^TextVectorization 'tv'.adapt\(\) expects a list or array of samples, got a "
                                        r"single str. Wrap it in a list: adapt\(\[text\]\)."):
        TextVectorization(name="tv").adapt("one text")
    with pytest.raises(ValueError, match=r"^TextVectorization 'tv'.adapt\(\) data holds a missing value \(None\)"):
        TextVectorization(name="tv").adapt(["a", None])


def test_adapt_after_a_given_vocabulary_and_calling_before_adapt():
    with pytest.raises(ValueError) as info:
        TextVectorization(vocabulary=["a"], name="tv").adapt(["a b"])
    assert str(info.value) == (
        "Cannot adapt layer 'tv' after setting a static vocabulary via `vocabulary` argument or `set_vocabulary()` "
        "method."
    )
    with pytest.raises(RuntimeError) as info:
        TextVectorization(output_mode="multi_hot")(["a"])
    assert str(info.value) == (
        "When using `output_mode=multi_hot` and `pad_to_max_tokens=False`, you must set the layer's vocabulary "
        "before calling it. Either pass a `vocabulary` argument to the layer, or call `adapt` with some sample data."
    )


def test_wide_inputs_are_refused():
    with pytest.raises(ValueError) as info:
        adapted()(np.array([["a b", "c"]]))
    assert str(info.value) == (
        "When using `TextVectorization` to tokenize strings, the input rank must be 1 or the last shape dimension "
        "must be 1. Received: inputs.shape=(1, 2) with rank=2. Pass one string per sample (e.g. a 1D array of texts)."
    )


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"sparse": True}, ValueError,
     ("TextVectorization got sparse=True, but layerwise returns dense torch tensors only (Keras also supports "
     "`sparse=True` only on its TensorFlow backend). Remove sparse=True: the dense output holds the same values.")),
    ({"ragged": True}, ValueError,
     ("TextVectorization got ragged=True, but layerwise returns dense torch tensors only (Keras also supports "
     "`ragged=True` only on its TensorFlow backend). Remove ragged=True: rows are padded with 0 (see "
     "output_sequence_length).")),
    ({"standardize": "upper"}, ValueError,
     ("Unknown value for `standardize` argument of TextVectorization. Allowed values are: "
     "('lower_and_strip_punctuation', 'lower', 'strip_punctuation'), None, or a callable. Received: "
     "standardize='upper'")),
    ({"split": "comma"}, ValueError,
     ("Unknown value for `split` argument of TextVectorization. Allowed values are: ('whitespace', 'character'), "
     "None, or a callable. Received: split='comma'")),
    ({"output_mode": "words"}, ValueError,
     ("Unknown value for `output_mode` argument of TextVectorization. Allowed values are: ('int', 'one_hot', "
     "'multi_hot', 'count', 'tf_idf'). Received: output_mode='words'")),
    ({"output_mode": "one_hot"}, ValueError,
     ("TextVectorization does not support output_mode='one_hot' (one vector per token). Use 'multi_hot', 'count' "
     "or 'tf_idf' for one vector per string, or 'int' followed by CategoryEncoding(output_mode='one_hot').")),
    ({"ngrams": [1, "2"]}, ValueError, ("`ngrams` must be None, an integer, or a tuple of integers. "
                                       "Received: ngrams=(1, '2')")),
    ({"output_sequence_length": 2.5}, ValueError,
     ("`output_sequence_length` must be either None or an integer when `output_mode` is 'int'. "
     "Received: output_sequence_length=2.5")),
    ({"output_mode": "count", "output_sequence_length": 3}, ValueError,
     "`output_sequence_length` must not be set if `output_mode` is not 'int'. Received output_sequence_length=3."),
    ({"output_mode": "tf_idf", "vocabulary": ["a"]}, ValueError,
     ("When specifying the `vocabulary` argument, in TF-IDF output mode, the `idf_weights` argument must also be "
     "provided.")),
    ({"max_tokens": 1}, ValueError,
     "If set, `max_tokens` must be greater than 1 (it counts the OOV and mask indices too). Received: max_tokens=1"),
    ({"vocabulary": ["a", "b", "a"]}, ValueError,
     ("The passed vocabulary has at least one repeated term. Please uniquify your dataset. The repeated terms "
     "are: ['a']")),
])
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error) as info:
        TextVectorization(**kwargs)
    assert str(info.value) == message


def test_unregistered_callable_and_file_paths_in_configs_are_refused():
    config = TextVectorization(vocabulary=["a"]).get_config()
    config["standardize"] = {"module": "builtins", "class_name": "function", "config": "nowhere>fn",
                             "registered_name": "function"}
    with pytest.raises(ValueError) as info:
        TextVectorization.from_config(config)
    assert str(info.value) == (
        "TextVectorization config names the standardize function 'nowhere>fn', which is not registered. Register "
        "it with @layerwise.saving.register_serializable() (or pass it in custom_objects) before loading."
    )
    config = TextVectorization(vocabulary=["a"]).get_config()
    config["vocabulary"] = "/etc/hostname"
    with pytest.raises(ValueError, match=r"^Requested the loading of a vocabulary file outside of the model archive"):
        TextVectorization.from_config(config)


def test_model_with_an_adapted_vectorizer_saves_and_loads(tmp_path):
    texts = np.array(["good movie", "bad movie", "great fun", "awful mess"] * 4, dtype=object)
    labels = np.array([1, 0, 1, 0] * 4)
    vectorizer = TextVectorization(output_sequence_length=4)
    vectorizer.adapt(texts)
    model = layerwise.Sequential([vectorizer, layerwise.layers.Embedding(vectorizer.vocabulary_size(), 4),
                                  layerwise.layers.Flatten(), layerwise.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(texts, labels, epochs=1, verbose=0)
    path = tmp_path / "classifier.keras"
    model.save(path)
    restored = layerwise.models.load_model(path)
    assert restored.layers[0].get_vocabulary() == vectorizer.get_vocabulary()
    np.testing.assert_allclose(restored.predict(texts[:4], verbose=0), model.predict(texts[:4], verbose=0))


def test_empty_batches():
    assert TextVectorization(vocabulary=["a"])([]).shape == (0, 0)
    assert TextVectorization(vocabulary=["a"], output_mode="count")(np.array([], dtype=str)).shape == (0, 2)
    assert TextVectorization(vocabulary=["a"], output_sequence_length=3)([]).shape == (0, 3)
