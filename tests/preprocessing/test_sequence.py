"""pad_sequences: Keras's documented examples, edge cases and the exact messages for bad input."""

import numpy as np
import pytest

import layerwise
from layerwise.preprocessing.sequence import pad_sequences


def test_documented_examples():
    sequences = [[1], [2, 3], [4, 5, 6]]
    np.testing.assert_array_equal(pad_sequences(sequences), [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequences, value=-1), [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequences, padding="post"), [[1, 0, 0], [2, 3, 0], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequences, maxlen=2), [[0, 1], [2, 3], [5, 6]])
    assert pad_sequences(sequences).dtype == np.int32


def test_truncating_post_keeps_the_start():
    np.testing.assert_array_equal(pad_sequences([[1, 2, 3, 4]], maxlen=2, truncating="post"), [[1, 2]])
    np.testing.assert_array_equal(pad_sequences([[1, 2, 3, 4]], maxlen=2, truncating="pre"), [[3, 4]])


def test_dtype_value_and_empty_sequences():
    padded = pad_sequences([[1.5, 2.5], []], dtype="float32", value=-0.5)
    assert padded.dtype == np.float32
    np.testing.assert_array_equal(padded, [[1.5, 2.5], [-0.5, -0.5]])
    assert pad_sequences([], maxlen=4).shape == (0, 4)
    assert pad_sequences([[], []]).shape == (2, 0)


def test_numpy_arrays_tuples_and_vectors():
    np.testing.assert_array_equal(pad_sequences(np.array([[1, 2], [3, 4]])), [[1, 2], [3, 4]])
    np.testing.assert_array_equal(pad_sequences([(1, 2), np.array([3])]), [[1, 2], [0, 3]])
    vectors = pad_sequences([np.ones((1, 2)), np.ones((3, 2))], dtype="float32")
    assert vectors.shape == (2, 3, 2)
    np.testing.assert_array_equal(vectors[0], [[0, 0], [0, 0], [1, 1]])


def test_whole_number_floats_and_strings_with_object_dtype():
    np.testing.assert_array_equal(pad_sequences([[1.0, 2.0]], maxlen=3), [[0, 1, 2]])
    words = pad_sequences([["a", "b"], ["c"]], dtype=object, value="", padding="post")
    assert words.tolist() == [["a", "b"], ["c", ""]]


def test_exported_from_utils_and_the_legacy_namespace():
    from layerwise.preprocessing import sequence

    assert layerwise.utils.pad_sequences is pad_sequences
    assert sequence.pad_sequences is pad_sequences


# ---------------------------------------------------------------------- bad input


def _message(call):
    with pytest.raises(ValueError) as info:
        call()
    return str(info.value)


def test_non_integer_floats_are_refused_instead_of_truncated():
    assert _message(lambda: pad_sequences([[1, 2], [1.5, 2]])) == (
        "pad_sequences with dtype='int32' got the value 1.5 in the sequence at position 1, which is not a whole "
        "number; casting would silently change it. Pass dtype='float32' to keep such values, or convert the "
        "sequences to integer ids."
    )
    assert _message(lambda: pad_sequences([[float("nan")]], dtype="int64")).startswith(
        "pad_sequences with dtype='int64' got the value nan in the sequence at position 0"
    )


def test_none_and_strings_inside_sequences():
    fix = ("Map every token to an integer id first (e.g. with Tokenizer.texts_to_sequences), drop missing values, "
           "or pass dtype=object to pad other values.")
    assert _message(lambda: pad_sequences([[1, 2], [3, None]])) == (
        f"pad_sequences expects sequences of numbers, but the sequence at position 1 holds None. {fix}"
    )
    assert _message(lambda: pad_sequences([["the", "cat"]])) == (
        f"pad_sequences expects sequences of numbers, but the sequence at position 0 holds 'the' (str). {fix}"
    )
    assert _message(lambda: pad_sequences([[1, "x"]])) == (
        f"pad_sequences expects sequences of numbers, but the sequence at position 0 holds '1' (str). {fix}"
    )


def test_ragged_nested_lists():
    assert _message(lambda: pad_sequences([[1, 2], [[1, 2], [3]]])) == (
        "The sequence at position 1 is ragged: its items have different shapes ([[1, 2], [3]]). pad_sequences "
        "pads lists of integers (or of equally shaped arrays); pad the inner lists first, or flatten them."
    )
    assert _message(lambda: pad_sequences([[[1, 2], [3]]])).startswith("The sequence at position 0 is ragged")


def test_items_of_different_shapes_keep_keras_message():
    assert _message(lambda: pad_sequences([[[1, 2]], [[1, 2, 3]]])) == (
        "Shape of sample (3,) of sequence at position 1 is different from expected shape (2,)"
    )


def test_texts_instead_of_sequences():
    assert _message(lambda: pad_sequences("the cat")) == (
        "pad_sequences expects a list of sequences of integers, got a single str 'the cat'. Tokenize texts "
        "first, e.g. with Tokenizer.texts_to_sequences."
    )
    assert _message(lambda: pad_sequences(["the cat", "a dog"])) == (
        "pad_sequences expects sequences of integers, but the sequence at position 0 is the str 'the cat'. "
        "Tokenize the texts first, e.g. with Tokenizer.texts_to_sequences, or pass dtype=object to pad lists "
        "of strings."
    )


def test_non_iterable_items_and_inputs():
    assert _message(lambda: pad_sequences([[1], 2])) == (
        "`sequences` must be a list of iterables. Found non-iterable: 2 (at position 1). Each sequence must be a "
        "list or array, e.g. [[1, 2], [3]]."
    )
    assert _message(lambda: pad_sequences(x for x in [[1]])) == (
        "`sequences` must be iterable. pad_sequences needs a list (or array) of sequences, got generator; a "
        "generator can be turned into one with list(...)."
    )


def test_bad_options():
    assert _message(lambda: pad_sequences([[1]], padding="middle")) == (
        'Padding type "middle" not understood: `padding` must be "pre" or "post".'
    )
    assert _message(lambda: pad_sequences([[1]], truncating="end")) == (
        'Truncating type "end" not understood: `truncating` must be "pre" or "post".'
    )
    assert _message(lambda: pad_sequences([[1]], maxlen=-2)) == (
        "`maxlen` must be None or a non-negative integer (the length of every padded row), got -2."
    )
    assert _message(lambda: pad_sequences([[1]], maxlen=2.5)).startswith("`maxlen` must be None")
    assert _message(lambda: pad_sequences([])) == (
        "pad_sequences got an empty list of sequences and no `maxlen`, so the length of the rows is unknown. "
        "Pass at least one sequence, or give maxlen."
    )
    assert _message(lambda: pad_sequences([["a"]], value="pad")) == (
        "`dtype` int32 is not compatible with `value`'s type: <class 'str'>\n"
        "You should set `dtype=object` for variable length strings."
    )
