"""CategoryEncoding, Discretization and Normalization: shapes, weights, configs, gradients, bad input."""

import numpy as np
import pandas as pd
import pytest
import torch

import layerwise
from layerwise.layers import CategoryEncoding, Discretization, Normalization
from layerwise.saving.serialization import deserialize_keras_object, serialize_keras_object

# ---------------------------------------------------------------------- CategoryEncoding


def test_category_encoding_modes_and_shapes():
    one_hot = CategoryEncoding(num_tokens=4, output_mode="one_hot")
    assert one_hot([3, 2, 0, 1]).tolist() == np.eye(4)[[3, 2, 0, 1]].tolist()
    assert one_hot(np.array([[1], [2]])).shape == (2, 4)
    multi = CategoryEncoding(num_tokens=4)
    assert multi([[0, 1], [0, 0], [1, 2], [3, 1]]).tolist() == [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0],
                                                                 [0, 1, 0, 1]]
    count = CategoryEncoding(num_tokens=4, output_mode="count")
    assert count([[0, 1], [0, 0]]).tolist() == [[1, 1, 0, 0], [2, 0, 0, 0]]
    weighted = count([[0, 1], [0, 0]], count_weights=[[0.5, 2.0], [1.0, 1.5]])
    assert weighted.tolist() == [[0.5, 2.0, 0, 0], [2.5, 0, 0, 0]]
    assert CategoryEncoding(4, output_mode="binary").output_mode == "multi_hot"
    assert count.compute_output_shape((None, 2)) == (None, 4)
    assert one_hot.compute_output_shape((None,)) == (None, 4)
    assert count.count_params() == 0


def test_category_encoding_in_a_model_and_config():
    model = layerwise.Sequential([layerwise.Input(shape=(2,)), CategoryEncoding(5), layerwise.layers.Dense(1)])
    assert model.output_shape == (None, 1)
    assert model.predict(np.array([[0, 4], [1, 1]]), verbose=0).shape == (2, 1)
    layer = CategoryEncoding(num_tokens=3, output_mode="count", name="enc")
    restored = deserialize_keras_object(serialize_keras_object(layer), "layers")
    assert restored.get_config() == layer.get_config()
    assert layer.get_config()["num_tokens"] == 3


def test_category_encoding_bad_input():
    layer = CategoryEncoding(num_tokens=3, name="enc")
    with pytest.raises(ValueError) as info:
        layer([0, 3])
    assert str(info.value) == (
        "CategoryEncoding 'enc' got the value 3, but its inputs must lie in [0, 3) (num_tokens=3). Increase "
        "num_tokens, or map the values to indices first (e.g. with IntegerLookup)."
    )
    with pytest.raises(ValueError, match=r"^CategoryEncoding 'enc' got the value -1, but its inputs must lie"):
        layer([-1, 0])
    with pytest.raises(ValueError) as info:
        layer(np.array([0.5, 1.0]))
    assert str(info.value) == (
        "CategoryEncoding 'enc' expects integer category indices, got 0.5. Round or map the values to integers first."
    )
    with pytest.raises(ValueError) as info:
        layer([0], count_weights=[1.0])
    assert str(info.value) == (
        "`count_weights` is not used when `output_mode` is not `'count'`. Received `count_weights=[1.0]`."
    )


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, ("num_tokens must be set to use this layer. If the number of tokens is not known beforehand, use the "
         "IntegerLookup layer instead.")),
    ({"num_tokens": 0}, "`num_tokens` must be >= 1. Received: num_tokens=0."),
    ({"num_tokens": 3, "output_mode": "tf_idf"},
     "Unknown arg for output_mode: tf_idf. CategoryEncoding accepts 'one_hot', 'multi_hot' or 'count'."),
    ({"num_tokens": 3, "sparse": True},
     ("CategoryEncoding got sparse=True, but layerwise returns dense torch tensors only (Keras also supports "
     "`sparse=True` only on its TensorFlow backend). Remove sparse=True: the dense output holds the same values.")),
])
def test_category_encoding_bad_arguments(kwargs, message):
    with pytest.raises(ValueError) as info:
        CategoryEncoding(**kwargs)
    assert str(info.value) == message


# ---------------------------------------------------------------------- Discretization


def test_discretization_documented_examples():
    layer = Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    out = layer(np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]]))
    assert out.dtype == torch.int32
    assert out.tolist() == [[0, 2, 3, 1], [1, 3, 2, 1]]
    learned = Discretization(num_bins=4, epsilon=0.01)
    learned.adapt(np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]]))
    np.testing.assert_allclose(learned.bin_boundaries, [0.0, 0.5, 1.3], rtol=1e-6)


def test_discretization_encodings_and_adapt_sources():
    layer = Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot")
    assert layer(np.array([-1.0, 0.5, 3.0])).tolist() == np.eye(3).tolist()
    counts = Discretization(bin_boundaries=[0.0, 1.0], output_mode="count")(np.array([[-1.0, 0.5, 0.7]]))
    assert counts.tolist() == [[1, 2, 0]]
    values = np.arange(100, dtype="float32")
    for source in (values, torch.as_tensor(values), [values[:50], values[50:]], values.tolist(),
                   (batch for batch in [values[:50], values[50:]])):
        layer = Discretization(num_bins=4)
        layer.adapt(source)
        np.testing.assert_allclose(layer.bin_boundaries, [24.0, 49.0, 74.0], atol=1.0)


def test_discretization_config_round_trip():
    layer = Discretization(num_bins=3, epsilon=0.1, name="bins")
    layer.adapt(np.arange(30.0))
    config = layer.get_config()
    assert config == {"bin_boundaries": layer.bin_boundaries, "num_bins": 3, "epsilon": 0.1, "output_mode": "int",
                      "sparse": False, "name": "bins", "dtype": "float32"}
    restored = deserialize_keras_object(serialize_keras_object(layer), "layers")
    assert restored.bin_boundaries == layer.bin_boundaries
    assert restored(np.array([5.0, 25.0])).tolist() == layer(np.array([5.0, 25.0])).tolist()


def test_discretization_bad_input():
    with pytest.raises(ValueError, match=r"^You need to set either `num_bins` or `bin_boundaries`.$"):
        Discretization()
    with pytest.raises(ValueError) as info:
        Discretization(num_bins=2, bin_boundaries=[1.0])
    assert str(info.value) == (
        "Both `num_bins` and `bin_boundaries` should not be set. Received: `num_bins=2` and `bin_boundaries=[1.0]`"
    )
    with pytest.raises(ValueError) as info:
        Discretization(bin_boundaries=[2.0, 1.0])
    assert str(info.value) == "Discretization `bin_boundaries` must be sorted in increasing order, got [2.0, 1.0]."
    with pytest.raises(ValueError) as info:
        Discretization(bin_boundaries=[1.0]).adapt(np.ones(3))
    assert str(info.value) == (
        "Cannot adapt a Discretization layer that has been initialized with `bin_boundaries`, use `num_bins` instead."
    )
    with pytest.raises(ValueError) as info:
        Discretization(num_bins=2, name="d").adapt(np.array([]))
    assert str(info.value) == (
        "Discretization 'd'.adapt() got empty data (0 samples), so there is nothing to learn from. Check how the "
        "data were loaded or filtered."
    )
    with pytest.raises(ValueError) as info:
        Discretization(num_bins=2, name="d").adapt(np.array([1.0, np.nan, np.inf]))
    assert str(info.value) == (
        "Discretization 'd'.adapt() data hold 2 NaN or infinite values; remove or fill them first."
    )
    with pytest.raises(ValueError, match=r"^You need to either pass the `bin_boundaries` argument at construction"):
        Discretization(num_bins=3)(np.ones(2))


# ---------------------------------------------------------------------- Normalization


def test_normalization_documented_example_and_weights():
    layer = Normalization(axis=-1)
    layer.adapt(np.array([[1.0, 10.0], [3.0, 30.0]]))
    assert layer(np.array([[2.0, 30.0]])).tolist() == [[0.0, 1.0]]
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert [w.trainable for w in layer.weights] == [False, False, False]
    assert layer.count_params() == 5
    assert layer.trainable_weights == []
    inverse = Normalization(axis=-1, invert=True)
    inverse.adapt(np.array([[1.0, 10.0], [3.0, 30.0]]))
    assert inverse(np.array([[0.0, 1.0]])).tolist() == [[2.0, 30.0]]


def test_normalization_sources_and_axis_none():
    data = np.random.default_rng(0).normal(5, 3, size=(200, 3))
    for source in (data, torch.as_tensor(data), pd.DataFrame(data), data.tolist(),
                   [data[:100], data[100:]], (batch for batch in [data[:100], data[100:]])):
        layer = Normalization()
        layer.adapt(source)
        np.testing.assert_allclose(layer.get_weights()[0], data.mean(axis=0), rtol=1e-4)
        np.testing.assert_allclose(layer.get_weights()[1], data.var(axis=0), rtol=1e-4)
    scalar = Normalization(axis=None)
    scalar.adapt(data)
    assert scalar.get_weights()[0].shape == ()
    np.testing.assert_allclose(scalar.get_weights()[0], data.mean(), rtol=1e-5)


def test_normalization_in_a_trained_model_keeps_its_statistics_and_passes_gradients():
    x = np.random.default_rng(1).normal(100, 20, size=(64, 3)).astype("float32")
    y = x @ np.array([[0.1], [0.2], [-0.3]], dtype="float32")
    normalizer = Normalization()
    normalizer.adapt(x)
    before = normalizer.get_weights()
    model = layerwise.Sequential([normalizer, layerwise.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, verbose=0)
    for old, new in zip(before, normalizer.get_weights()):
        np.testing.assert_array_equal(old, new)
    inputs = torch.tensor(x[:4], requires_grad=True, device=layerwise.backend.device())
    normalizer(inputs).sum().backward()
    torch.testing.assert_close(inputs.grad.cpu(), torch.as_tensor(1 / np.sqrt(before[1])).expand(4, 3).float())


def test_normalization_given_statistics_and_config_round_trip():
    layer = Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0], name="norm")
    assert layer(np.array([[3.0, 5.0]])).tolist() == [[1.0, 1.0]]
    assert layer.weights == []
    config = layer.get_config()
    assert config["mean"] == [1.0, 2.0] and config["axis"] == (-1,)
    restored = deserialize_keras_object(serialize_keras_object(layer), "layers")
    assert restored(np.array([[3.0, 5.0]])).tolist() == [[1.0, 1.0]]
    adapted = Normalization(axis=(1, 2))
    adapted.adapt(np.random.default_rng(2).normal(size=(10, 2, 3)))
    clone = Normalization.from_config(dict(adapted.get_config(), axis=[1, 2]))
    clone.build_from_config(adapted.get_build_config())
    clone.set_weights(adapted.get_weights())
    sample = np.ones((1, 2, 3), dtype="float32")
    torch.testing.assert_close(clone(sample), adapted(sample))


def test_normalization_bad_input():
    with pytest.raises(ValueError) as info:
        Normalization(name="n").adapt(np.zeros((0, 3)))
    assert str(info.value) == "Normalization 'n'.adapt() received empty data (shape (0, 3)); there is nothing to learn."
    with pytest.raises(ValueError) as info:
        Normalization(name="n").adapt(np.array([[1.0, np.nan], [2.0, 3.0]]))
    assert str(info.value) == (
        "Normalization 'n'.adapt() data contain 1 NaN or infinite values; the mean and variance would be NaN. Remove "
        "or fill them first (e.g. dropna() or fillna())."
    )
    with pytest.raises(TypeError) as info:
        Normalization(name="n").adapt(np.array([["a", "b"]]))
    assert str(info.value) == (
        "Normalization 'n'.adapt() needs numbers, got data of dtype <U1. Encode text or categories first "
        "(StringLookup, IntegerLookup) and normalize only numeric features."
    )
    with pytest.raises(ValueError, match=r"^adapt\(\) received an empty iterable \(no batches\)"):
        Normalization().adapt(iter([]))
    with pytest.raises(ValueError) as info:
        Normalization(mean=1.0)
    assert str(info.value) == (
        "When setting values directly, both `mean` and `variance` must be set. Received: mean=1.0 and variance=None"
    )
    with pytest.raises(ValueError, match=r"^The rank of `mean` must be less than or equal to the number of axes"):
        Normalization(mean=[[1.0]], variance=[[1.0]])
    layer = Normalization()
    layer.adapt(np.ones((4, 3)))
    with pytest.raises(ValueError) as info:
        layer.adapt(np.ones((4, 2)))
    assert str(info.value) == (
        "The layer was built with input_shape=(4, 3), but adapt() is being called with data with an incompatible "
        "shape, data.shape=(4, 2)"
    )
    with pytest.raises(ValueError, match=r"^Normalization 'fixed' was given `mean` and `variance`; it has nothing"):
        Normalization(mean=1.0, variance=1.0, name="fixed").adapt(np.ones((2, 2)))
