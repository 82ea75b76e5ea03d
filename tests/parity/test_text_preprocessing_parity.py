"""Text and categorical preprocessing against real Keras 3.

Two kinds of checks:

* **Live**, against Keras on its torch backend: ``pad_sequences``, the legacy
  ``Tokenizer`` (``keras.src.legacy.preprocessing.text``) and its helpers,
  ``Normalization``, ``Discretization`` and ``CategoryEncoding``.
* **Recorded**: Keras's ``TextVectorization``, ``StringLookup``,
  ``IntegerLookup`` and ``Hashing`` run TensorFlow ops even on the torch
  backend, so Keras cannot run them without TensorFlow installed. Every case in
  :func:`recorded_cases` was run once through Keras 3.15.1 (torch backend) with
  TensorFlow 2.21.0 and the results written to
  ``keras_text_preprocessing_recorded.json`` beside this file. To record again
  in an environment that has TensorFlow::

      KERAS_BACKEND=torch python tests/parity/test_text_preprocessing_parity.py --record

  The cases cover every output mode, standardization, split, n-grams,
  ``max_tokens``/``pad_to_max_tokens``, masks, several OOV indices (FarmHash and
  SipHash buckets), ``invert``, TF-IDF weights (learned and given) and configs.

One documented difference: in ``one_hot``/``multi_hot``/``count`` modes Keras's
lookup layers return int64 tensors eagerly while their symbolic output spec says
float32; layerwise returns float32 (what the spec says, and what ``Dense``
takes), with the same values.
"""

import functools
import json
import pathlib
import sys

import keras
import numpy as np
import pytest
import torch
from keras.src.legacy.preprocessing import text as keras_text

import layerwise
from layerwise.preprocessing import sequence as our_sequence
from layerwise.preprocessing import text as our_text

RECORDED = pathlib.Path(__file__).with_name("keras_text_preprocessing_recorded.json")


def _without_name(config):
    return {key: value for key, value in config.items() if key != "name"}


def _numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return keras.ops.convert_to_numpy(value)


# ====================================================================== pad_sequences

SEQUENCES = [[1], [2, 3], [4, 5, 6, 7, 8], [], [9, 10, 11]]


@pytest.mark.parametrize("maxlen", [None, 0, 2, 4, 9])
@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize(("dtype", "value"), [("int32", 0.0), ("int64", -1), ("float32", -1.5), ("float64", 2.0)])
def test_pad_sequences_matches_keras(maxlen, padding, truncating, dtype, value):
    if maxlen == 0:
        pytest.raises(ValueError, keras.utils.pad_sequences, SEQUENCES, maxlen=0)  # Keras cannot; we give (n, 0)
        assert our_sequence.pad_sequences(SEQUENCES, maxlen=0).shape == (5, 0)
        return
    kwargs = {"maxlen": maxlen, "dtype": dtype, "padding": padding, "truncating": truncating, "value": value}
    theirs = keras.utils.pad_sequences(SEQUENCES, **kwargs)
    ours = our_sequence.pad_sequences(SEQUENCES, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_pad_sequences_matches_keras_on_arrays_vectors_and_strings():
    arrays = [np.arange(3), np.arange(5), np.arange(1)]
    np.testing.assert_array_equal(our_sequence.pad_sequences(arrays), keras.utils.pad_sequences(arrays))
    vectors = [np.ones((2, 3)), np.full((4, 3), 2.0)]
    np.testing.assert_array_equal(our_sequence.pad_sequences(vectors, dtype="float32", maxlen=3),
                                  keras.utils.pad_sequences(vectors, dtype="float32", maxlen=3))
    words = [["a", "b"], ["c"]]
    ours = our_sequence.pad_sequences(words, dtype=object, value="<pad>", padding="post")
    theirs = keras.utils.pad_sequences(words, dtype=object, value="<pad>", padding="post")
    assert ours.tolist() == theirs.tolist()
    whole_floats = [[1.0, 2.0], [3.0]]
    np.testing.assert_array_equal(our_sequence.pad_sequences(whole_floats), keras.utils.pad_sequences(whole_floats))
    assert layerwise.utils.pad_sequences is our_sequence.pad_sequences


# ====================================================================== Tokenizer

CORPUS = [
    "The cat sat on the mat.", "The dog ate my homework!", "Cats and dogs: friends? Maybe...",
    "It's a dog's life, isn't it?", "THE END", "tab\tseparated\nlines here", "", "the the the cat",
]
NEW_TEXTS = ["the cat and the hat", "unknown words only", "", "Dogs, cats & mats"]
TOKENIZER_SETTINGS = [
    {},
    {"num_words": 5},
    {"num_words": 5, "oov_token": "<OOV>"},
    {"oov_token": "[UNK]"},
    {"lower": False},
    {"char_level": True},
    {"char_level": True, "num_words": 8, "oov_token": "?"},
    {"filters": "", "split": " "},
    {"filters": ".!", "split": "a"},
]


def _fitted(module, settings):
    tokenizer = module.Tokenizer(**settings)
    tokenizer.fit_on_texts(CORPUS)
    return tokenizer


@pytest.mark.parametrize("settings", TOKENIZER_SETTINGS)
def test_tokenizer_vocabulary_sequences_and_texts_match_keras(settings):
    theirs, ours = _fitted(keras_text, settings), _fitted(our_text, settings)
    assert ours.word_index == theirs.word_index
    assert ours.index_word == theirs.index_word
    assert list(ours.word_counts.items()) == list(theirs.word_counts.items())
    assert dict(ours.word_docs) == dict(theirs.word_docs)
    assert dict(ours.index_docs) == dict(theirs.index_docs)
    assert ours.document_count == theirs.document_count
    sequences = theirs.texts_to_sequences(NEW_TEXTS + CORPUS)
    assert ours.texts_to_sequences(NEW_TEXTS + CORPUS) == sequences
    assert list(ours.texts_to_sequences_generator(NEW_TEXTS)) == list(theirs.texts_to_sequences_generator(NEW_TEXTS))
    ids = [[1, 2, 3, 50, 0], [4, 4, 7], []]
    assert ours.sequences_to_texts(sequences + ids) == theirs.sequences_to_texts(sequences + ids)
    assert ours.to_json() == theirs.to_json()
    assert ours.get_config() == theirs.get_config()


@pytest.mark.parametrize("settings", TOKENIZER_SETTINGS)
@pytest.mark.parametrize("mode", ["binary", "count", "tfidf", "freq"])
def test_tokenizer_matrices_match_keras(settings, mode):
    theirs, ours = _fitted(keras_text, settings), _fitted(our_text, settings)
    np.testing.assert_allclose(ours.texts_to_matrix(NEW_TEXTS + CORPUS, mode=mode),
                               theirs.texts_to_matrix(NEW_TEXTS + CORPUS, mode=mode))
    sequences = [[1, 2, 2, 3], [5, 6, 40], []]
    np.testing.assert_allclose(ours.sequences_to_matrix(sequences, mode=mode),
                               theirs.sequences_to_matrix(sequences, mode=mode))


def test_tokenizer_fit_on_sequences_and_pretokenized_texts_match_keras():
    theirs, ours = keras_text.Tokenizer(num_words=10), our_text.Tokenizer(num_words=10)
    for tokenizer in (theirs, ours):
        tokenizer.fit_on_sequences([[1, 2, 2], [3, 4], [1]])
        tokenizer.fit_on_texts([["Hello", "World"], ["hello"]])
    assert ours.word_index == theirs.word_index
    assert ours.document_count == theirs.document_count
    assert dict(ours.index_docs) == dict(theirs.index_docs)
    np.testing.assert_allclose(ours.sequences_to_matrix([[1, 2], [3]], mode="tfidf"),
                               theirs.sequences_to_matrix([[1, 2], [3]], mode="tfidf"))


def test_tokenizer_json_loads_across_libraries():
    theirs = _fitted(keras_text, {"num_words": 6, "oov_token": "<OOV>"})
    ours = _fitted(our_text, {"num_words": 6, "oov_token": "<OOV>"})
    from_keras = our_text.tokenizer_from_json(theirs.to_json())
    from_ours = keras_text.tokenizer_from_json(ours.to_json())
    assert from_keras.word_index == theirs.word_index
    assert from_keras.index_word == theirs.index_word
    assert from_keras.texts_to_sequences(NEW_TEXTS) == theirs.texts_to_sequences(NEW_TEXTS)
    assert from_ours.texts_to_sequences(NEW_TEXTS) == ours.texts_to_sequences(NEW_TEXTS)
    np.testing.assert_allclose(from_keras.texts_to_matrix(NEW_TEXTS, mode="tfidf"),
                               theirs.texts_to_matrix(NEW_TEXTS, mode="tfidf"))


@pytest.mark.parametrize("kwargs", [{}, {"lower": False}, {"filters": "", "split": "e"}, {"split": ","}])
def test_text_helpers_match_keras(kwargs):
    for text in CORPUS + NEW_TEXTS:
        assert our_text.text_to_word_sequence(text, **kwargs) == keras_text.text_to_word_sequence(text, **kwargs)
        assert our_text.one_hot(text, 37, **kwargs) == keras_text.one_hot(text, 37, **kwargs)
        assert our_text.hashing_trick(text, 50, hash_function="md5", **kwargs) == \
            keras_text.hashing_trick(text, 50, hash_function="md5", **kwargs)
        assert our_text.hashing_trick(text, 20, hash_function=len, **kwargs) == \
            keras_text.hashing_trick(text, 20, hash_function=len, **kwargs)


# ====================================================================== Normalization

@pytest.mark.parametrize(("shape", "axis"), [((20, 3), -1), ((20, 3), None), ((8, 4, 5), -1), ((8, 4, 5), (1, 2)),
                                             ((8, 4, 5), 1), ((30,), -1)])
@pytest.mark.parametrize("invert", [False, True])
def test_normalization_adapt_matches_keras(shape, axis, invert):
    data = np.random.default_rng(0).normal(3.0, 2.0, size=shape)
    theirs = keras.layers.Normalization(axis=axis, invert=invert)
    theirs.adapt(data)
    ours = layerwise.layers.Normalization(axis=axis, invert=invert)
    ours.adapt(data)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, keras_weight, rtol=1e-5, atol=1e-5)
        assert mine.dtype == keras_weight.dtype
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    np.testing.assert_allclose(_numpy(ours(x)), _numpy(theirs(x)), rtol=1e-5, atol=1e-5)
    assert _without_name(ours.get_config()) == _without_name(theirs.get_config())


def test_normalization_adapt_on_a_tensor_matches_keras():
    # Keras adapts on a list of batches only through tf.data: that case is among the recorded ones.
    data = np.random.default_rng(2).uniform(-5, 5, size=(64, 3)).astype("float32")
    feed = torch.as_tensor(data)
    theirs = keras.layers.Normalization()
    theirs.adapt(feed)
    ours = layerwise.layers.Normalization()
    ours.adapt(feed)
    for mine, keras_weight in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, keras_weight, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("mean", "variance", "axis", "shape"), [
    (2.0, 4.0, -1, (5, 3)),
    ([1.0, 2.0, 3.0], [1.0, 4.0, 9.0], -1, (5, 3)),
    ([[1.0, 2.0, 3.0]] * 4, [[1.0, 4.0, 0.0]] * 4, (1, 2), (2, 4, 3)),
])
@pytest.mark.parametrize("invert", [False, True])
def test_normalization_with_given_statistics_matches_keras(mean, variance, axis, shape, invert):
    theirs = keras.layers.Normalization(mean=mean, variance=variance, axis=axis, invert=invert)
    ours = layerwise.layers.Normalization(mean=mean, variance=variance, axis=axis, invert=invert)
    x = np.random.default_rng(3).normal(size=shape).astype("float32")
    np.testing.assert_allclose(_numpy(ours(x)), _numpy(theirs(x)), rtol=1e-5, atol=1e-5)
    assert _without_name(ours.get_config()) == _without_name(theirs.get_config())
    assert ours.weights == [] and theirs.weights == []


def test_normalization_weights_move_between_libraries():
    data = np.random.default_rng(4).normal(size=(40, 3))
    theirs = keras.layers.Normalization()
    theirs.adapt(data)
    ours = layerwise.layers.Normalization()
    ours.build((None, 3))
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(5).normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(_numpy(ours(x)), _numpy(theirs(x)), rtol=1e-6)


# ====================================================================== Discretization

@pytest.mark.parametrize("output_mode", ["int", "one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("shape", [(6,), (3, 4), (5, 1)])
def test_discretization_with_boundaries_matches_keras(output_mode, shape):
    boundaries = [-1.0, 0.0, 0.5, 2.0]
    x = np.random.default_rng(6).normal(0, 2, size=shape).astype("float32")
    x.reshape(-1)[:2] = [0.0, 2.0]  # values on the boundaries
    theirs = keras.layers.Discretization(bin_boundaries=boundaries, output_mode=output_mode)
    ours = layerwise.layers.Discretization(bin_boundaries=boundaries, output_mode=output_mode)
    expected, got = theirs(x), ours(x)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(_numpy(got), _numpy(expected))
    assert ours.compute_output_shape((None,) + shape[1:]) == tuple(theirs.compute_output_shape((None,) + shape[1:]))
    assert _without_name(ours.get_config()) == _without_name(theirs.get_config())


def test_discretization_config_round_trips_through_keras():
    data = np.random.default_rng(7).exponential(2.0, size=(500, 2))
    ours = layerwise.layers.Discretization(num_bins=4, epsilon=0.01)
    ours.adapt(data)
    assert layerwise.layers.Discretization.from_config(ours.get_config()).bin_boundaries == ours.bin_boundaries
    assert keras.layers.Discretization.from_config(ours.get_config()).bin_boundaries == ours.bin_boundaries


# ====================================================================== CategoryEncoding

@pytest.mark.parametrize("output_mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("inputs", [[3, 2, 0, 1], [[0, 1], [0, 0], [1, 2], [3, 1]], [[1], [3], [0]],
                                    [[[0, 1], [2, 3]], [[3, 3], [1, 0]]], 2])
def test_category_encoding_matches_keras(output_mode, inputs):
    array = np.array(inputs)
    theirs = keras.layers.CategoryEncoding(num_tokens=4, output_mode=output_mode)
    ours = layerwise.layers.CategoryEncoding(num_tokens=4, output_mode=output_mode)
    expected, got = theirs(array), ours(array)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(_numpy(got), _numpy(expected))
    assert _without_name(ours.get_config()) == _without_name(theirs.get_config())


def test_category_encoding_count_weights_and_dtype_match_keras():
    inputs = np.array([[0, 1, 1], [2, 2, 3]])
    weights = np.array([[0.5, 1.0, 2.0], [0.25, 0.25, 4.0]])
    theirs = keras.layers.CategoryEncoding(num_tokens=5, output_mode="count")
    ours = layerwise.layers.CategoryEncoding(num_tokens=5, output_mode="count")
    np.testing.assert_allclose(_numpy(ours(inputs, count_weights=weights)),
                               _numpy(theirs(inputs, count_weights=weights)))
    theirs = keras.layers.CategoryEncoding(num_tokens=5, output_mode="multi_hot", dtype="int32")
    ours = layerwise.layers.CategoryEncoding(num_tokens=5, output_mode="multi_hot", dtype="int32")
    assert ours(inputs).dtype == theirs(inputs).dtype == torch.int32


# ====================================================================== recorded: layers that need TensorFlow in Keras

DOCS = [
    "The cat sat on the mat.", "The dog ate my homework!", "Cats and dogs: friends?", "It's a dog's life... isn't it?",
    "Ünïcode ÀB text, with   spaces\tand\ttabs", "", "MIXED case Words words WORDS",
    "a-b_c «q» ‘x’ ¿y? 1.5 numbers 42",
]
QUERY = np.array(["the cat ate the unknown", "mat", "", "DOGS and cats!!", "Ünïcode words 42", "zzz yyy xxx the"],
                 dtype=object)
TOKENS = np.array([["b", "a", "c"], ["a", "c", "d"], ["e", "e", "e"], ["f", "b", "a"]], dtype=object)
LOOKUP_QUERY = np.array([["a", "c", "zz"], ["e", "", "b"], ["q", "r", "s"], ["[UNK]", "d", "f"]], dtype=object)
INTS = np.array([[12, 36, 1138], [42, 36, 12], [12, 12, -1], [0, 7, 7]])
INT_QUERY = np.array([[12, 1000, 1001, 36, 7, -1], [0, 42, 5, 1138, 99, 12]])
HASH_STRINGS = np.array([["A"], ["B"], ["C"], ["D"], ["E"], [""], ["hello world"], ["ünï"], ["x" * 70], ["y" * 200]],
                        dtype=object)
HASH_INTS = np.array([[1, 2, -3, 100, 0], [2**40, -2**40, 7, 8, 9]])
HASH_FLOATS = np.array([1.7, -2.5, 3.0, 0.0, -0.9])


def recorded_cases():
    """``{name: function(layers_module) -> dict of results}``; run on ``keras.layers`` to record."""
    cases = {}

    def adapted_text_vectorization(layers, **kwargs):
        layer = layers.TextVectorization(**kwargs)
        layer.adapt(np.array(DOCS, dtype=object))
        return layer

    variants = [
        ("plain", {}), ("max6", {"max_tokens": 6}), ("ngram2", {"ngrams": 2}), ("ngram13", {"ngrams": (1, 3)}),
        ("char", {"split": "character"}), ("lower", {"standardize": "lower"}),
        ("strip", {"standardize": "strip_punctuation"}), ("nostd", {"standardize": None}),
        ("nosplit", {"split": None}), ("pad", {"max_tokens": 9, "pad_to_max_tokens": True}),
    ]
    for mode in ["int", "multi_hot", "count", "tf_idf"]:
        for variant, extra in variants:
            if variant == "pad" and mode == "int":
                continue
            kwargs = dict(output_mode=mode, **extra)

            def vectorize(layers, kwargs=kwargs):
                layer = adapted_text_vectorization(layers, **kwargs)
                splits = kwargs.get("split", "whitespace") is not None
                return {"vocab": [str(t) for t in layer.get_vocabulary()], "size": layer.vocabulary_size(),
                        "out": layer(QUERY), "col": layer(QUERY[:, None]) if splits else None}
            cases[f"tv_{mode}_{variant}"] = vectorize
            if mode == "int":
                def padded(layers, kwargs=kwargs):
                    layer = adapted_text_vectorization(layers, output_sequence_length=5, **kwargs)
                    return {"out": layer(QUERY), "col": layer(QUERY[:, None])}
                cases[f"tv_osl_{variant}"] = padded

    # Keras's Discretization.adapt and Normalization.adapt on batches need tf.data: recorded too.
    for num_bins, epsilon in [(4, 0.01), (3, 0.1), (10, 0.001), (2, 0.5)]:
        for batched in (False, True):
            def discretized(layers, num_bins=num_bins, epsilon=epsilon, batched=batched):
                data = np.random.default_rng(7).exponential(2.0, size=(500, 2))
                layer = layers.Discretization(num_bins=num_bins, epsilon=epsilon)
                layer.adapt([data[i:i + 64] for i in range(0, 500, 64)] if batched else data)
                return {"boundaries": [float(b) for b in layer.bin_boundaries], "out": layer(data[:20])}
            cases[f"discretization_{num_bins}_{epsilon}_{'batches' if batched else 'array'}"] = discretized

    def normalization_batches(layers):
        data = np.random.default_rng(2).uniform(-5, 5, size=(64, 3)).astype("float32")
        layer = layers.Normalization()
        layer.adapt([data[i:i + 10] for i in range(0, 64, 10)])
        return {"weights": [np.asarray(w).tolist() for w in layer.get_weights()]}
    cases["normalization_adapt_batches"] = normalization_batches

    def tv_vocab_given(layers):
        layer = layers.TextVectorization(vocabulary=["earth", "wind", "and", "fire"], output_sequence_length=4)
        return {"vocab": layer.get_vocabulary(), "out": layer(np.array(["earth and fire", "water wind"]))}

    def tv_tfidf_given(layers):
        layer = layers.TextVectorization(vocabulary=["a", "b", "c"], idf_weights=[0.5, 0.25, 2.0],
                                         output_mode="tf_idf")
        return {"out": layer(np.array(["a b b c", "d d", ""]))}

    def tv_tfidf_given_pad(layers):
        layer = layers.TextVectorization(vocabulary=["a", "b", "c"], idf_weights=[0.5, 0.25, 2.0],
                                         output_mode="tf_idf", max_tokens=7, pad_to_max_tokens=True)
        return {"out": layer(np.array(["a b b c", "d d", ""]))}

    def tv_scalar(layers):
        return {"out": layers.TextVectorization(vocabulary=["a", "b"])("a b c a")}

    def tv_config(layers):
        config = adapted_text_vectorization(layers, max_tokens=20, ngrams=2, output_sequence_length=7).get_config()
        config.pop("name")
        return {"config": config}

    cases.update(tv_vocab_given=tv_vocab_given, tv_tfidf_given=tv_tfidf_given,
                 tv_tfidf_given_pad=tv_tfidf_given_pad, tv_scalar=tv_scalar, tv_config=tv_config)

    lookup_variants = [
        ("plain", {}), ("mask", {"mask_token": ""}), ("oov3", {"num_oov_indices": 3}),
        ("oov3salt", {"num_oov_indices": 3, "salt": 77}), ("max4", {"max_tokens": 4}),
        ("pad", {"max_tokens": 10, "pad_to_max_tokens": True}), ("oovtok", {"oov_token": "<?>"}),
    ]
    for mode in ["int", "one_hot", "multi_hot", "count", "tf_idf"]:
        for variant, extra in lookup_variants:
            kwargs = dict(output_mode=mode, **extra)

            def string_lookup(layers, kwargs=kwargs):
                layer = layers.StringLookup(**kwargs)
                layer.adapt(TOKENS)
                result = {"vocab": [str(t) for t in layer.get_vocabulary()], "size": layer.vocabulary_size(),
                          "out2d": layer(LOOKUP_QUERY), "out1d": layer(LOOKUP_QUERY[:, 0])}
                if kwargs["output_mode"] == "tf_idf":
                    result["idf"] = np.asarray(layer.idf_weights)
                return result
            cases[f"sl_{mode}_{variant}"] = string_lookup

    def sl_vocab_special(layers):
        layer = layers.StringLookup(vocabulary=["", "[UNK]", "a", "b"], mask_token="")
        return {"vocab": layer.get_vocabulary(), "out": layer(np.array(["a", "", "b", "x"])),
                "nospecial": layer.get_vocabulary(include_special_tokens=False)}

    def sl_invert(layers):
        out = layers.StringLookup(vocabulary=["a", "b", "c"], invert=True)(torch.tensor([1, 2, 0, 7, 3]))
        return {"out": [str(t) for t in list(out)]}

    def sl_invert_mask(layers):
        layer = layers.StringLookup(vocabulary=["a", "b", "c"], invert=True, mask_token="[M]")
        return {"out": [str(t) for t in list(layer(torch.tensor([1, 2, 0, 7, 3])))]}

    def sl_tfidf_vocab(layers):
        layer = layers.StringLookup(vocabulary=["a", "b", "c"], idf_weights=[0.5, 0.25, 2.0], output_mode="tf_idf")
        return {"out": layer(LOOKUP_QUERY), "idf": np.asarray(layer.idf_weights)}

    def sl_config(layers):
        layer = layers.StringLookup(vocabulary=["x", "y"], mask_token="", num_oov_indices=2, output_mode="count")
        config = layer.get_config()
        config.pop("name")
        return {"config": config}

    cases.update(sl_vocab_special=sl_vocab_special, sl_invert=sl_invert, sl_invert_mask=sl_invert_mask,
                 sl_tfidf_vocab=sl_tfidf_vocab, sl_config=sl_config)

    integer_variants = [
        ("plain", {}), ("mask", {"mask_token": 0}), ("oov3", {"num_oov_indices": 3}),
        ("oov3farm", {"num_oov_indices": 3, "oov_method": "farmhash"}),
        ("oov3salt", {"num_oov_indices": 3, "oov_method": "farmhash", "salt": [5, 9]}), ("max4", {"max_tokens": 4}),
    ]
    for mode in ["int", "one_hot", "multi_hot", "count", "tf_idf"]:
        for variant, extra in integer_variants:
            kwargs = dict(output_mode=mode, **extra)

            def integer_lookup(layers, kwargs=kwargs):
                layer = layers.IntegerLookup(**kwargs)
                layer.adapt(INTS)
                result = {"vocab": [int(t) for t in layer.get_vocabulary()], "out2d": layer(INT_QUERY),
                          "out1d": layer(INT_QUERY[0])}
                if kwargs["output_mode"] == "tf_idf":
                    result["idf"] = np.asarray(layer.idf_weights)
                return result
            cases[f"il_{mode}_{variant}"] = integer_lookup

    def il_vocab(layers):
        layer = layers.IntegerLookup(vocabulary=[12, 36, 1138, 42], mask_token=0)
        return {"out": layer(INT_QUERY), "vocab": [int(t) for t in layer.get_vocabulary()]}

    def il_invert(layers):
        return {"out": layers.IntegerLookup(vocabulary=[12, 36, 1138, 42], invert=True)(np.array([[1, 3, 4], [4, 0, 9]]))}

    def il_invert_mask(layers):
        layer = layers.IntegerLookup(vocabulary=[12, 36, 1138, 42], invert=True, mask_token=0)
        return {"out": layer(np.array([[1, 3, 0], [4, 0, 9]]))}

    def il_config(layers):
        config = layers.IntegerLookup(vocabulary=np.array([12, 36]), mask_token=0, output_mode="multi_hot").get_config()
        config.pop("name")
        return {"config": config}

    cases.update(il_vocab=il_vocab, il_invert=il_invert, il_invert_mask=il_invert_mask, il_config=il_config)

    for variant, extra in [("plain", {}), ("mask_s", {"mask_value": ""}), ("salt", {"salt": 133}),
                           ("salt2", {"salt": [1, 2]})]:
        for bins in [1, 3, 1024]:
            def hashing(layers, extra=extra, bins=bins):
                layer = layers.Hashing(num_bins=bins, **extra)
                numeric = "mask_value" not in extra
                return {"s": layer(HASH_STRINGS), "i": layer(HASH_INTS) if numeric else None,
                        "f": layer(HASH_FLOATS) if numeric else None}
            cases[f"h_{variant}_{bins}"] = hashing

    def h_mask_int(layers):
        return {"out": layers.Hashing(num_bins=5, mask_value=0)(np.array([[0, 1], [2, 0]]))}

    cases["h_mask_int"] = h_mask_int
    for mode in ["one_hot", "multi_hot", "count"]:
        def hashing_encoded(layers, mode=mode):
            layer = layers.Hashing(num_bins=4, output_mode=mode)
            return {"2d": layer(np.array([["a", "b"], ["c", "c"]], dtype=object)),
                    "col": layer(np.array([["a"], ["b"]], dtype=object)),
                    "1d": layer(np.array(["a", "b", "c"], dtype=object))}
        cases[f"h_mode_{mode}"] = hashing_encoded

    def h_config(layers):
        config = layers.Hashing(4, salt=3, mask_value="x").get_config()
        config.pop("name")
        return {"config": config}

    def h_config_count(layers):
        config = layers.Hashing(4, output_mode="count").get_config()
        config.pop("name")
        return {"config": config}

    cases.update(h_config=h_config, h_config_count=h_config_count)
    return cases


def _to_json(value):
    """Results as JSON: tensors and arrays become ``{"dtype": ..., "value": nested lists}``."""
    if isinstance(value, torch.Tensor):
        return {"dtype": str(value.dtype).replace("torch.", ""), "value": value.detach().cpu().numpy().tolist()}
    if isinstance(value, np.ndarray):
        return {"dtype": "array", "value": value.tolist()}
    if hasattr(value, "numpy") and not isinstance(value, (list, tuple, dict)):
        return {"dtype": "array", "value": np.asarray(value.numpy()).tolist()}
    if isinstance(value, dict):
        return {key: _to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(item) for item in value]
    return value


def _assert_matches(expected, got, path, integer_encoding):
    if isinstance(expected, dict) and set(expected) == {"dtype", "value"}:
        assert isinstance(got, dict) and set(got) == {"dtype", "value"}, f"{path}: got {got!r}"
        want = np.asarray(expected["value"], dtype=float if expected["value"] and _numeric(expected["value"])
                          else object)
        have = np.asarray(got["value"], dtype=want.dtype)
        assert want.shape == have.shape, f"{path}: shape {have.shape}, Keras {want.shape}"
        if want.dtype == object:
            assert have.tolist() == want.tolist(), f"{path}: {have.tolist()} != {want.tolist()}"
        else:
            np.testing.assert_allclose(have, want, rtol=1e-5, atol=1e-6, err_msg=path)
        if expected["dtype"] != "array":
            if integer_encoding and expected["dtype"] == "int64":
                assert got["dtype"] == "float32", f"{path}: encoded output dtype {got['dtype']}"
            else:
                assert got["dtype"] == expected["dtype"], f"{path}: dtype {got['dtype']}, Keras {expected['dtype']}"
        return
    if isinstance(expected, dict):
        assert isinstance(got, dict) and set(got) == set(expected), f"{path}: keys {sorted(got)} != {sorted(expected)}"
        for key in expected:
            _assert_matches(expected[key], got[key], f"{path}.{key}", integer_encoding)
        return
    if isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), f"{path}: {got!r} != {expected!r}"
        for index, (want, have) in enumerate(zip(expected, got)):
            _assert_matches(want, have, f"{path}[{index}]", integer_encoding)
        return
    assert got == expected, f"{path}: {got!r} != {expected!r}"


def _numeric(values):
    first = values
    while isinstance(first, list) and first:
        first = first[0]
    return isinstance(first, (int, float)) and not isinstance(first, bool)


_CASES = recorded_cases()


@functools.lru_cache(maxsize=1)
def _records():
    return json.loads(RECORDED.read_text(encoding="utf-8"))


def test_every_case_was_recorded():
    assert sorted(_records()["cases"]) == sorted(_CASES)
    assert _records()["recorded_with"]["keras"] == "3.15.1"


@pytest.mark.parametrize("name", sorted(_CASES))
def test_matches_values_recorded_from_keras(name):
    got = json.loads(json.dumps(_to_json(_CASES[name](layerwise.layers))))
    integer_encoding = any(f"_{mode}_" in name for mode in ("one_hot", "multi_hot", "count"))
    _assert_matches(_records()["cases"][name], got, name, integer_encoding)


def _record():
    import tensorflow as tf

    assert keras.backend.backend() == "torch", "record with KERAS_BACKEND=torch"
    results = {name: _to_json(case(keras.layers)) for name, case in recorded_cases().items()}
    payload = {"recorded_with": {"keras": keras.__version__, "tensorflow": tf.__version__, "backend": "torch"},
               "cases": results}
    RECORDED.write_text(json.dumps(payload, ensure_ascii=False, indent=None, separators=(",", ":")) + "\n",
                        encoding="utf-8")
    print(f"recorded {len(results)} cases to {RECORDED}")


if __name__ == "__main__" and "--record" in sys.argv:
    _record()
