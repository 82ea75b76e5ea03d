"""Sequential, Functional and subclassed models: construction, calling, structure, errors."""

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise import layers


def _x(*shape):
    return np.random.default_rng(0).normal(size=shape).astype("float32")


# ---------------------------------------------------------------- Sequential


def test_sequential_ways_to_give_the_input_shape_agree():
    by_input_shape = keras.Sequential([layers.Dense(8, input_shape=(11,)), layers.Dense(1)])
    by_input_dim = keras.Sequential([layers.Dense(8, input_dim=11), layers.Dense(1)])
    by_input = keras.Sequential([keras.Input((11,)), layers.Dense(8), layers.Dense(1)])
    by_input_layer = keras.Sequential([layers.InputLayer(shape=(11,)), layers.Dense(8), layers.Dense(1)])
    for model in (by_input_shape, by_input_dim, by_input, by_input_layer):
        assert model.built
        assert model.count_params() == 11 * 8 + 8 + 9
        assert model.input_shape == (None, 11) and model.output_shape == (None, 1)
        assert len(model.layers) == 2  # the InputLayer is not listed, as in Keras


def test_sequential_add_and_pop():
    model = keras.Sequential()
    model.add(layers.Dense(8, input_dim=11))
    model.add(layers.Dense(4))
    model.add(layers.Dense(1))
    assert model.output_shape == (None, 1)
    popped = model.pop()
    assert popped.name == "dense_2"
    assert model.output_shape == (None, 4)
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert model(_x(3, 11)).shape == (3, 4)


def test_sequential_deferred_build_on_first_data():
    model = keras.Sequential([layers.Dense(3), layers.Dense(2)])
    assert not model.built
    out = model(_x(5, 7))
    assert out.shape == (5, 2) and model.built
    assert model.count_params() == 7 * 3 + 3 + 3 * 2 + 2


def test_sequential_build_method():
    model = keras.Sequential([layers.Dense(3)])
    model.build((None, 4))
    assert model.count_params() == 15
    assert model.input_shape == (None, 4)


def test_sequential_errors():
    model = keras.Sequential([layers.Dense(3, name="a")])
    with pytest.raises(ValueError, match="'a' is already used"):
        model.add(layers.Dense(3, name="a"))
    with pytest.raises(TypeError, match="Sequential.add\\(\\) expects a layer, got 3"):
        model.add(3)
    with pytest.raises(ValueError, match="an Input can only be the first thing added"):
        model.add(keras.Input((3,)))
    with pytest.raises(TypeError, match="There are no layers in model 'sequential_1' to pop"):
        keras.Sequential().pop()


def test_unbuilt_subclassed_model_summary_is_an_error():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(ValueError, match="Model 'net' has not yet been built"):
        Net().summary()


# ---------------------------------------------------------------- Functional


def test_functional_course_model_has_961_params():
    inputs = keras.Input(shape=(89,))
    x = layers.Dense(10, "relu")(inputs)
    x = layers.Dense(5, "relu")(x)
    model = keras.Model(inputs=inputs, outputs=layers.Dense(1)(x))
    assert isinstance(model, keras.Functional)
    assert model.count_params() == 961
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense", "Dense", "Dense"]
    assert model(_x(4, 89)).shape == (4, 1)


def test_functional_multiple_inputs_and_outputs_as_lists_and_dicts():
    a = keras.Input((3,), name="a")
    b = keras.Input((4,), name="b")
    merged = layers.Concatenate()([a, b])
    first = layers.Dense(2, name="first")(merged)
    second = layers.Dense(1, name="second")(merged)
    model = keras.Model(inputs=[a, b], outputs=[first, second])
    out_first, out_second = model([_x(5, 3), _x(5, 4)])
    assert out_first.shape == (5, 2) and out_second.shape == (5, 1)
    by_name = model({"a": _x(5, 3), "b": _x(5, 4)})
    torch.testing.assert_close(by_name[0], out_first)
    assert model.input_names == ["a", "b"] and model.output_names == ["first", "second"]

    dict_model = keras.Model(inputs={"a": a, "b": b}, outputs={"y1": first, "y2": second})
    out = dict_model({"b": _x(5, 4), "a": _x(5, 3)})
    assert set(out) == {"y1", "y2"}
    torch.testing.assert_close(out["y1"], out_first)


def test_functional_shared_layer_and_nested_model():
    shared = layers.Dense(4, name="shared")
    a, b = keras.Input((3,)), keras.Input((3,))
    merged = layers.Concatenate()([shared(a), shared(b)])
    inner = keras.Model(a, shared(a), name="inner")
    x = keras.Input((3,))
    outer = keras.Model(x, layers.Dense(1)(inner(x)), name="outer")
    siamese = keras.Model([a, b], merged)
    assert siamese.count_params() == 16  # one set of weights, used twice
    left, right = _x(2, 3), _x(2, 3)
    out = siamese([left, right])
    torch.testing.assert_close(out[:, :4], shared(left))
    torch.testing.assert_close(out[:, 4:], shared(right))
    assert outer.count_params() == 16 + 5
    assert outer.layers[1] is inner
    torch.testing.assert_close(outer(left), outer.layers[-1](inner(left)))


def test_functional_disconnected_input_is_an_error():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    merged = layers.Concatenate()([a, b])
    out = layers.Dense(1, name="head")(merged)
    with pytest.raises(ValueError, match=r"Graph disconnected: layer 'concatenate' needs tensor b"):
        keras.Model(inputs=a, outputs=out)


def test_functional_duplicate_layer_names_are_an_error():
    inputs = keras.Input((3,))
    x = layers.Dense(2, name="same")(inputs)
    with pytest.raises(ValueError, match='The name "same" is used 2 times in the model'):
        keras.Model(inputs, layers.Dense(1, name="same")(x))


def test_functional_wrong_number_of_inputs_is_an_error():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    model = keras.Model([a, b], layers.Concatenate()([a, b]), name="pair")
    with pytest.raises(ValueError, match=r"Model 'pair' expects 2 input\(s\) \(a, b\), but it was called with 1"):
        model(_x(2, 3))
    with pytest.raises(ValueError, match=r"the dict given lacks \['b'\]"):
        model({"a": _x(2, 3)})


def test_model_from_non_symbolic_tensors_is_an_error():
    with pytest.raises(TypeError, match=r"Model\(inputs=...\) expects tensors from layerwise.Input\(\)"):
        keras.Model(inputs=np.ones((2, 3)), outputs=keras.Input((3,)))


def test_functional_input_casts_dtype_and_adds_trailing_axis():
    inputs = keras.Input((3, 1))
    model = keras.Model(inputs, layers.Dense(2)(inputs))
    out = model(np.ones((4, 3), dtype="float64"))
    assert out.shape == (4, 3, 2) and out.dtype == torch.float32


def test_layer_input_output_properties():
    inputs = keras.Input((3,))
    dense = layers.Dense(2)
    outputs = dense(inputs)
    assert dense.input is inputs and dense.output is outputs
    assert dense.input_shape == (None, 3) and dense.output_shape == (None, 2)
    with pytest.raises(AttributeError, match="Layer 'dense_1' has never been called on symbolic inputs"):
        layers.Dense(1).output


def test_get_layer():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="hidden"), layers.Dense(1)])
    assert model.get_layer("hidden") is model.layers[0]
    assert model.get_layer(index=1) is model.layers[1]
    with pytest.raises(ValueError, match="No such layer: nope. Existing layers are: hidden, dense"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="index 5 but model 'sequential' only has 2 layers"):
        model.get_layer(index=5)


# ---------------------------------------------------------------- subclassed


class TwoDense(keras.Model):
    def __init__(self):
        super(TwoDense, self).__init__()
        self.dense1 = layers.Dense(4, activation=keras.nn.relu)
        self.dense2 = layers.Dense(5, activation=keras.nn.softmax)

    def call(self, inputs):
        return self.dense2(self.dense1(inputs))


def test_subclassed_model_from_the_course():
    model = TwoDense()
    assert model.name == "two_dense"
    out = model(_x(3, 3))
    assert out.shape == (3, 5)
    torch.testing.assert_close(out.sum(dim=1), torch.ones(3))
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert model.count_params() == 3 * 4 + 4 + 4 * 5 + 5
    assert len(model.trainable_weights) == 4


def test_subclassed_model_build_creates_weights():
    model = TwoDense()
    model.build((None, 6))
    assert model.count_params() == 6 * 4 + 4 + 4 * 5 + 5


def test_subclassed_model_tracks_lists_of_layers():
    class Stack(keras.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [layers.Dense(3) for _ in range(3)]

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    model = Stack()
    model(_x(2, 3))
    assert len(model.layers) == 3 and len(model.weights) == 6


def test_subclassed_model_used_in_a_functional_graph():
    inputs = keras.Input((3,))
    outputs = TwoDense()(inputs)
    assert outputs.shape == (None, 5)
    model = keras.Model(inputs, outputs)
    assert model(_x(2, 3)).shape == (2, 5)


def test_model_positional_arguments_to_a_subclass_are_an_error():
    with pytest.raises(TypeError, match="A subclassed model takes keyword arguments"):
        keras.Model(3)


def test_gradients_reach_every_trainable_weight():
    inputs = keras.Input((4,))
    x = layers.Dense(8, activation="tanh")(inputs)
    model = keras.Model(inputs, layers.Dense(1)(x))
    model(_x(6, 4)).pow(2).mean().backward()
    assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in model.trainable_weights)
