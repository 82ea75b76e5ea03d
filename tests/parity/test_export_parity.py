"""ONNX files exported by layerwise compute what Keras 3's own ONNX export of the same model computes.

The same architecture is built in both libraries, Keras's weights are copied
into layerwise's model, each library exports ONNX, and ONNX Runtime runs both
files on the same batch.
"""

import warnings

import keras
import numpy as np
import onnxruntime
import pytest

import layerwise


def _models(lib):
    L = lib.layers

    def mlp():
        return lib.Sequential([lib.Input((6,)), L.Dense(8, activation="relu"), L.BatchNormalization(),
                               L.Dropout(0.3), L.Dense(2, activation="softmax")])

    def cnn():
        return lib.Sequential([lib.Input((8, 8, 2)), L.Conv2D(3, 3, padding="same", activation="relu"),
                               L.MaxPooling2D(), L.Conv2D(2, 2), L.GlobalAveragePooling2D(), L.Dense(1)])

    def recurrent():
        return lib.Sequential([lib.Input((5,), dtype="int32"), L.Embedding(12, 4), L.LSTM(3, return_sequences=True),
                               L.Bidirectional(L.GRU(2)), L.Dense(1, activation="sigmoid")])

    def two_inputs():
        a, b = lib.Input((3,), name="a"), lib.Input((2,), name="b")
        merged = L.Concatenate()([L.Dense(4, activation="tanh")(a), b])
        return lib.Model([a, b], L.Dense(2)(merged))

    return {"mlp": mlp, "cnn": cnn, "recurrent": recurrent, "two_inputs": two_inputs}


def _inputs(name, rng):
    if name == "mlp":
        return [rng.normal(size=(7, 6)).astype("float32")]
    if name == "cnn":
        return [rng.normal(size=(7, 8, 8, 2)).astype("float32")]
    if name == "recurrent":
        return [rng.integers(0, 12, (7, 5)).astype("int32")]
    return [rng.normal(size=(7, 3)).astype("float32"), rng.normal(size=(7, 2)).astype("float32")]


def _run(path, arrays):
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {spec.name: array for spec, array in zip(session.get_inputs(), arrays)})[0]


@pytest.mark.parametrize("name", list(_models(layerwise)))
def test_onnx_outputs_equal_keras_onnx_outputs(name, tmp_path):
    rng = np.random.default_rng(3)
    keras.backend.clear_session()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _models(keras)[name]()
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in theirs.get_weights()]
    for index, variable in enumerate(theirs.weights):
        if "moving_variance" in variable.path:
            weights[index] = np.abs(weights[index]) + 0.5
    theirs.set_weights(weights)
    ours = _models(layerwise)[name]()
    ours.set_weights(weights)

    arrays = _inputs(name, rng)
    feed = arrays if len(arrays) > 1 else arrays[0]
    expected = theirs.predict(feed, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.export(str(tmp_path / "keras.onnx"), format="onnx", verbose=False)
    ours.export(str(tmp_path / "layerwise.onnx"), format="onnx", verbose=False)

    keras_onnx = _run(str(tmp_path / "keras.onnx"), arrays)
    layerwise_onnx = _run(str(tmp_path / "layerwise.onnx"), arrays)
    np.testing.assert_allclose(keras_onnx, np.asarray(expected), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layerwise_onnx, keras_onnx, rtol=1e-5, atol=1e-6)
    # One file serves any batch size in both.
    np.testing.assert_allclose(_run(str(tmp_path / "layerwise.onnx"), [a[:1] for a in arrays]),
                               keras_onnx[:1], rtol=1e-5, atol=1e-6)
