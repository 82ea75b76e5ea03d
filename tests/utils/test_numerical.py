"""to_categorical and normalize, with parity against Keras."""

import keras
import numpy as np
import pytest
import torch

import layerwise


@pytest.mark.parametrize("labels,num_classes", [([0, 2, 1], None), ([[1], [0]], 3), (np.arange(6).reshape(2, 3), 6)])
def test_to_categorical_matches_keras(labels, num_classes):
    ours = layerwise.utils.to_categorical(labels, num_classes)
    theirs = keras.utils.to_categorical(np.asarray(labels), num_classes)
    np.testing.assert_array_equal(ours, theirs)
    assert ours.dtype == theirs.dtype == np.float64


def test_to_categorical_keeps_torch_tensors_in_float32():
    out = layerwise.utils.to_categorical(torch.tensor([1, 0]), 2)
    theirs = keras.utils.to_categorical(torch.tensor([1, 0]), 2)
    assert isinstance(out, torch.Tensor) and out.tolist() == theirs.tolist() == [[0.0, 1.0], [1.0, 0.0]]
    # Keras's torch backend returns its integer one_hot here (int64); a float tensor is what a loss takes.
    assert out.dtype == torch.float32


def test_to_categorical_takes_tf_keras_2s_dtype_and_pandas_series():
    import pandas as pd

    out = layerwise.utils.to_categorical(pd.Series([1, 0, 1]), dtype="float32")
    assert out.dtype == np.float32 and out.tolist() == [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]]


def test_to_categorical_errors():
    with pytest.raises(ValueError, match="num_classes=2, but the labels go up to 4; num_classes must be at least 5"):
        layerwise.utils.to_categorical([0, 4], 2)
    with pytest.raises(ValueError, match="expects labels >= 0; the smallest label is -1"):
        layerwise.utils.to_categorical([0, -1])
    with pytest.raises(ValueError, match="non-integer values"):
        layerwise.utils.to_categorical([0.5, 1.0])
    with pytest.raises(ValueError, match="expects integer class labels, got an array of dtype <U1"):
        layerwise.utils.to_categorical(["a"])


@pytest.mark.parametrize("order", [1, 2])
def test_normalize_matches_keras_on_the_last_axis(order):
    x = np.random.default_rng(0).normal(size=(4, 5))
    x[1] = 0.0
    np.testing.assert_allclose(layerwise.utils.normalize(x, order=order),
                               keras.utils.normalize(x, order=order), rtol=1e-6)


def test_normalize_other_axis_and_torch():
    x = np.array([[3.0, 0.0], [4.0, 2.0]])
    # Keras 3 divides by the norms of axis -1 whatever axis is given; layerwise uses the axis asked for.
    np.testing.assert_allclose(layerwise.utils.normalize(x, axis=0), [[0.6, 0.0], [0.8, 1.0]])
    out = layerwise.utils.normalize(torch.tensor([[3.0, 4.0], [0.0, 0.0]]))
    assert torch.allclose(out, torch.tensor([[0.6, 0.8], [0.0, 0.0]]))
