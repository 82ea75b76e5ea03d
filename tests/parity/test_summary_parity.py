"""The course's model definitions print the same summary as Keras 3, character for character."""

import keras
import numpy as np
import pytest

import layerwise


def _capture(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "".join(lines)


def _course_models(lib):
    """Each entry builds one model from the course material with library ``lib``."""
    L = lib.layers

    def weather_sequential():
        return lib.Sequential([L.Dense(100, activation="relu", input_shape=(89,)),
                               L.Dense(100, activation="relu"), L.Dense(1)])

    def wine_input_dim():
        model = lib.Sequential()
        model.add(L.Dense(8, input_dim=11))
        model.add(L.Dense(4))
        model.add(L.Dense(1))
        return model

    def weather_functional():
        inputs = lib.Input(shape=(89,), name="input")
        x = L.Dense(10, "relu")(inputs)
        x = L.Dense(5, "relu")(x)
        return lib.Model(inputs=inputs, outputs=L.Dense(1)(x), name="model_small")

    def cifar_dense():
        # the course's Keras 2 spelling, an int shape, which layerwise still accepts
        inputs = lib.Input(shape=3072 if lib is layerwise else (3072,))
        return lib.models.Model(inputs=inputs, outputs=L.Dense(100)(inputs))

    def weather_batchnorm():
        inputs = lib.Input(shape=(89,))
        x = L.BatchNormalization()(inputs)
        x = L.Dense(100, "relu")(x)
        x = L.BatchNormalization()(x)
        x = L.Dense(50, "relu")(x)
        return lib.Model(inputs=inputs, outputs=L.Dense(1)(x), name="model_batchnorm")

    def two_inputs():
        a, b = lib.Input((3,), name="a"), lib.Input((4,), name="b")
        merged = L.Concatenate()([a, b])
        shared = L.Dense(2, name="shared")
        return lib.Model([a, b], [shared(merged), L.Dense(1)(merged)])

    def unbuilt_sequential():
        model = lib.Sequential([L.Dense(3), L.Dense(1)])
        return model

    def deferred_sequential():
        model = lib.Sequential([L.Dense(3), L.Dense(1)])
        model(np.ones((2, 7), dtype="float32"))
        return model

    return {
        "weather_sequential": weather_sequential,
        "wine_input_dim": wine_input_dim,
        "weather_functional": weather_functional,
        "cifar_dense": cifar_dense,
        "weather_batchnorm": weather_batchnorm,
        "two_inputs": two_inputs,
        "unbuilt_sequential": unbuilt_sequential,
        "deferred_sequential": deferred_sequential,
    }


@pytest.mark.parametrize("name", list(_course_models(layerwise)))
def test_summary_text_equals_keras(name):
    keras.backend.clear_session()
    layerwise.backend.clear_session()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _course_models(keras)[name]()
    ours = _course_models(layerwise)[name]()
    assert _capture(ours) == _capture(theirs)
    if theirs.built:
        assert ours.count_params() == theirs.count_params()


# Wider tables than the 80-column console are cut off by Keras's console; layerwise does not cut them.
@pytest.mark.parametrize("line_length", [50, 60, 72, 80])
def test_summary_line_length_and_show_trainable_equal_keras(line_length):
    def build(lib):
        a, b = lib.Input((3,)), lib.Input((3,))
        x = lib.layers.Concatenate()([a, b])
        frozen = lib.layers.Dense(4, name="frozen_dense_with_a_long_name")
        frozen.trainable = False
        return lib.Model([a, b], lib.layers.Dense(2)(frozen(x)), name="functional_long")

    keras.backend.clear_session()
    layerwise.backend.clear_session()
    theirs, ours = build(keras), build(layerwise)
    for kwargs in ({}, {"show_trainable": True}):
        expected, got = [], []
        theirs.summary(line_length=line_length, print_fn=expected.append, **kwargs)
        ours.summary(line_length=line_length, print_fn=got.append, **kwargs)
        assert got == expected


def test_subclassed_model_summary_equals_keras():
    def build(lib):
        class MyModel(lib.Model):
            def __init__(self):
                super().__init__()
                self.dense1 = lib.layers.Dense(4, activation="relu")
                self.dense2 = lib.layers.Dense(5, activation="softmax")

            def call(self, inputs):
                return self.dense2(self.dense1(inputs))

        model = MyModel()
        model(np.ones((2, 3), dtype="float32"))
        return model

    keras.backend.clear_session()
    layerwise.backend.clear_session()
    theirs, ours = build(keras), build(layerwise)
    assert _capture(ours) == _capture(theirs)
    assert ours.count_params() == theirs.count_params() == 4 * 3 + 4 + 5 * 4 + 5
