"""fit / evaluate / predict against real Keras 3: identical weights and data give the same History."""

import keras
import numpy as np
import pytest

import layerwise


def _data(seed=0, n=120, classes=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    labels = rng.integers(0, classes, size=n)
    y_regression = (x[:, :2].sum(axis=1, keepdims=True) + 0.1 * rng.normal(size=(n, 1))).astype("float32")
    return x, labels, y_regression


def _pair(build):
    theirs, ours = build(keras), build(layerwise)
    ours.set_weights(theirs.get_weights())
    return theirs, ours


def _assert_same_history(theirs, ours, rtol=2e-5, atol=1e-6):
    assert sorted(ours.history) == sorted(theirs.history)
    for key in theirs.history:
        np.testing.assert_allclose(ours.history[key], theirs.history[key], rtol=rtol, atol=atol, err_msg=key)


def _classifier(lib):
    return lib.Sequential([lib.Input((6,)), lib.layers.Dense(8, activation="relu"),
                           lib.layers.Dense(3, activation="softmax")])


def _regressor(lib):
    return lib.Sequential([lib.Input((6,)), lib.layers.Dense(8, activation="tanh"),
                           lib.layers.BatchNormalization(), lib.layers.Dense(1)])


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_classifier_history_with_validation_split(optimizer):
    x, labels, _ = _data()
    theirs, ours = _pair(_classifier)
    for model in (theirs, ours):
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    kwargs = dict(epochs=4, batch_size=16, validation_split=0.25, shuffle=False, verbose=0)
    _assert_same_history(theirs.fit(x, labels, **kwargs), ours.fit(x, labels, **kwargs))


def test_class_weight_and_sample_weight_histories():
    x, labels, _ = _data(1)
    weights = np.linspace(0.5, 2.0, len(x)).astype("float32")
    for fit_kwargs in ({"class_weight": {0: 1.0, 1: 3.0, 2: 0.5}}, {"sample_weight": weights}):
        theirs, ours = _pair(_classifier)
        for model in (theirs, ours):
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"], weighted_metrics=["accuracy"])
        kwargs = dict(epochs=3, batch_size=32, validation_split=0.2, shuffle=False, verbose=0, **fit_kwargs)
        theirs_history = theirs.fit(x, labels, **kwargs)
        ours_history = ours.fit(x, labels, **kwargs)
        assert set(ours_history.history) == set(theirs_history.history)
        _assert_same_history(theirs_history, ours_history)


def test_regression_with_batchnorm_validation_data_evaluate_and_predict():
    x, _, y = _data(2)
    theirs, ours = _pair(_regressor)
    for model in (theirs, ours):
        model.compile(optimizer="adam", loss="mse", metrics=[model_lib(model).metrics.RootMeanSquaredError(), "mae"])
    kwargs = dict(epochs=3, batch_size=10, validation_data=(x[:30], y[:30]), shuffle=False, verbose=0)
    _assert_same_history(theirs.fit(x[30:], y[30:], **kwargs), ours.fit(x[30:], y[30:], **kwargs))
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=2e-5)
    assert ours.evaluate(x, y, verbose=0, return_dict=True).keys() == \
        theirs.evaluate(x, y, verbose=0, return_dict=True).keys()
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_one_hot_targets_with_accuracy_and_regularizers():
    x, labels, _ = _data(3)
    y = keras.utils.to_categorical(labels, 3)

    def build(lib):
        return lib.Sequential([lib.Input((6,)),
                               lib.layers.Dense(8, activation="relu", kernel_regularizer=lib.regularizers.L2(0.01)),
                               lib.layers.Dense(3, activation="softmax")])

    theirs, ours = _pair(build)
    for model in (theirs, ours):
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    kwargs = dict(epochs=3, batch_size=20, shuffle=False, verbose=0)
    _assert_same_history(theirs.fit(x, y, **kwargs), ours.fit(x, y, **kwargs))


def test_train_and_test_on_batch_match_keras():
    x, _, y = _data(4, n=32)
    theirs, ours = _pair(_regressor)
    for model in (theirs, ours):
        model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    for _ in range(3):
        np.testing.assert_allclose(ours.train_on_batch(x, y), theirs.train_on_batch(x, y), rtol=2e-5)
    np.testing.assert_allclose(ours.test_on_batch(x, y), theirs.test_on_batch(x, y), rtol=2e-5)


def model_lib(model):
    return layerwise if isinstance(model, layerwise.Model) else keras
