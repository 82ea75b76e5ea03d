"""The legacy Tokenizer and text helpers: behaviour, JSON round trip, and the messages for bad input."""

import json
import warnings

import numpy as np
import pytest

from layerwise.preprocessing.text import (
    Tokenizer,
    hashing_trick,
    one_hot,
    text_to_word_sequence,
    tokenizer_from_json,
)

TEXTS = ["The cat sat on the mat.", "The dog sat down!", "A cat and a dog."]


def test_vocabulary_is_ranked_by_frequency_with_first_seen_ties():
    tokenizer = Tokenizer()
    tokenizer.fit_on_texts(TEXTS)
    # the: 3, sat/cat/dog/a: 2 (in first-seen order), then the words seen once.
    assert list(tokenizer.word_index) == ["the", "cat", "sat", "dog", "a", "on", "mat", "down", "and"]
    assert tokenizer.word_index["the"] == 1
    assert tokenizer.index_word[2] == "cat"
    assert tokenizer.word_counts["the"] == 3
    assert tokenizer.word_docs["cat"] == 2
    assert tokenizer.index_docs[1] == 2
    assert tokenizer.document_count == 3


def test_num_words_and_oov_token():
    tokenizer = Tokenizer(num_words=4, oov_token="<OOV>")
    tokenizer.fit_on_texts(TEXTS)
    assert tokenizer.word_index["<OOV>"] == 1
    # ids >= num_words (and unknown words) become the OOV id
    assert tokenizer.texts_to_sequences(["the cat ate the mat"]) == [[2, 3, 1, 2, 1]]
    assert tokenizer.sequences_to_texts([[2, 3, 1, 9, 99]]) == ["the cat <OOV> <OOV> <OOV>"]
    without_oov = Tokenizer(num_words=4)
    without_oov.fit_on_texts(TEXTS)
    assert without_oov.texts_to_sequences(["the cat ate the mat"]) == [[1, 2, 1]]


def test_char_level_and_pretokenized_texts():
    tokenizer = Tokenizer(char_level=True)
    tokenizer.fit_on_texts(["abca", "Bb"])
    assert tokenizer.word_index == {"b": 1, "a": 2, "c": 3}
    tokens = Tokenizer()
    tokens.fit_on_texts([["Hello", "world"], ["hello"]])
    assert tokens.word_index == {"hello": 1, "world": 2}


def test_matrices():
    tokenizer = Tokenizer(num_words=6)
    tokenizer.fit_on_texts(TEXTS)
    sequences = [[1, 1, 2], [5, 7]]
    np.testing.assert_array_equal(tokenizer.sequences_to_matrix(sequences, mode="binary"),
                                  [[0, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 1]])
    np.testing.assert_array_equal(tokenizer.sequences_to_matrix(sequences, mode="count"),
                                  [[0, 2, 1, 0, 0, 0], [0, 0, 0, 0, 0, 1]])
    np.testing.assert_allclose(tokenizer.sequences_to_matrix(sequences, mode="freq"),
                               [[0, 2 / 3, 1 / 3, 0, 0, 0], [0, 0, 0, 0, 0, 0.5]])
    tfidf = tokenizer.sequences_to_matrix(sequences, mode="tfidf")
    # "the" (id 1) occurs twice here and is in 2 of the 3 documents.
    assert tfidf[0, 1] == pytest.approx((1 + np.log(2)) * np.log(1 + 3 / (1 + 2)))
    assert tokenizer.texts_to_matrix(TEXTS).shape == (3, 6)


def test_json_round_trip_keeps_everything():
    tokenizer = Tokenizer(num_words=5, oov_token="?", lower=False, split=",", filters="!")
    tokenizer.fit_on_texts(["a,b,B!", "b,c"])
    text = tokenizer.to_json(indent=1)
    assert json.loads(text)["class_name"] == "Tokenizer"
    restored = tokenizer_from_json(text)
    assert restored.get_config() == tokenizer.get_config()
    assert restored.texts_to_sequences(["a,B,c,z"]) == tokenizer.texts_to_sequences(["a,B,c,z"])
    np.testing.assert_array_equal(restored.texts_to_matrix(["a,b"], mode="tfidf"),
                                  tokenizer.texts_to_matrix(["a,b"], mode="tfidf"))
    assert isinstance(next(iter(restored.index_word)), int)


def test_text_helpers():
    assert text_to_word_sequence("Hello, World!  It's me") == ["hello", "world", "it's", "me"]
    assert text_to_word_sequence("a-b", filters="", split="-") == ["a", "b"]
    assert hashing_trick("the cat sat", 100, hash_function="md5") == [51, 3, 10]
    assert hashing_trick("the cat", 10, hash_function=len) == [4, 4]
    ids = one_hot("the cat sat on the mat", 50)
    assert len(ids) == 6 and ids[0] == ids[4] and all(1 <= i < 50 for i in ids)
    assert hashing_trick("A B", 10, hash_function="md5", analyzer=lambda text: text.split()) == \
        hashing_trick("A B", 10, hash_function="md5", lower=False)


def test_legacy_nb_words_and_unknown_arguments():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert Tokenizer(nb_words=7).num_words == 7
    assert "renamed `num_words`" in str(caught[0].message)
    with pytest.raises(TypeError, match=r"Unrecognized keyword arguments: \{'vocab_size': 3\}"):
        Tokenizer(vocab_size=3)


# ---------------------------------------------------------------------- bad input


def test_texts_with_none():
    with pytest.raises(TypeError) as info:
        Tokenizer().fit_on_texts(["fine", None])
    assert str(info.value) == (
        "texts[1] is None, not a string. Drop or fill the missing texts first "
        "(e.g. df['text'].fillna('') or [t for t in texts if t is not None])."
    )
    with pytest.raises(TypeError, match=r"^texts\[0\] is nan, not a string"):
        Tokenizer().fit_on_texts(np.array([float("nan")], dtype=object))


def test_texts_as_bytes():
    tokenizer = Tokenizer()
    tokenizer.fit_on_texts(["fine"])
    with pytest.raises(TypeError) as info:
        tokenizer.texts_to_sequences(["ok", b"raw bytes"])
    assert str(info.value) == (
        "texts[1] is bytes (b'raw bytes'), not a string. Decode the texts first, e.g. text.decode('utf-8')."
    )
    with pytest.raises(TypeError, match=r"^texts\[0\] is bytes"):
        Tokenizer().fit_on_texts(np.array([b"abc"]))


def test_a_single_string_instead_of_a_list():
    with pytest.raises(TypeError) as info:
        Tokenizer().fit_on_texts("just one text")
    assert str(info.value) == (
        "Tokenizer.fit_on_texts expects a list of texts, got a single str ('just one text'). "
        "Wrap it in a list: [text]."
    )
    with pytest.raises(TypeError, match="^Tokenizer.texts_to_sequences expects a list of texts, got None"):
        Tokenizer().texts_to_sequences(None)


def test_numbers_instead_of_texts():
    with pytest.raises(TypeError) as info:
        Tokenizer().fit_on_texts(["a", 42])
    assert str(info.value) == "texts[1] is a int (42), not a string. Texts must be str (or lists of str tokens)."
    with pytest.raises(TypeError, match="^input_text is a float"):
        text_to_word_sequence(1.5)


def test_bad_modes_and_unfitted_tokenizer():
    tokenizer = Tokenizer()
    with pytest.raises(ValueError) as info:
        tokenizer.texts_to_matrix(["a"], mode="onehot")
    assert str(info.value) == (
        "Unknown vectorization mode: 'onehot'. Expected one of 'binary', 'count', 'tfidf', 'freq'."
    )
    with pytest.raises(ValueError, match=r"^Specify a dimension \(`num_words` argument\), or fit on some text"):
        tokenizer.sequences_to_matrix([[1]])
    with pytest.raises(ValueError, match="^Fit the Tokenizer on some data before using tfidf mode."):
        Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="tfidf")
    with pytest.raises(ValueError, match=r"^Tokenizer `num_words` must be None or a non-negative integer"):
        Tokenizer(num_words=-1)


def test_tokenizer_from_bad_json():
    with pytest.raises(ValueError, match=r"^tokenizer_from_json expects the JSON string written by Tokenizer"):
        tokenizer_from_json("{not json")
    with pytest.raises(ValueError) as info:
        tokenizer_from_json('{"class_name": "Tokenizer"}')
    assert str(info.value) == (
        "tokenizer_from_json expects the JSON string written by Tokenizer.to_json(), an object with a 'config' "
        "holding 'word_index', 'word_counts', ...; this string has none."
    )
