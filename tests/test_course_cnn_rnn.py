"""Day three of the course: CNNs and RNNs build with Keras's summaries and learn real tasks."""

import os

import keras
import numpy as np
import pytest

import layerwise

MNIST = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mnist")


def _capture(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "".join(lines)


def _course_models(lib):
    L = lib.layers

    def cifar_small():
        inputs = lib.Input(shape=(32, 32, 3))
        x = L.Conv2D(50, (3, 3), activation="relu")(inputs)
        x = L.Conv2D(50, (3, 3), activation="relu")(x)
        x = L.Flatten()(x)
        return lib.Model(inputs=inputs, outputs=L.Dense(10)(x), name="cifar_model_small")

    def cifar_three_blocks():
        model = lib.Sequential([lib.Input((32, 32, 3))])
        for _ in range(3):
            model.add(L.Conv2D(64, (3, 3), activation="relu", padding="same"))
            model.add(L.MaxPooling2D((2, 2)))
        model.add(L.Flatten())
        model.add(L.Dense(64, activation="relu"))
        model.add(L.Dense(10))
        return model

    def imdb_lstm():
        return lib.Sequential([lib.Input((None,), dtype="int32"), L.Embedding(10000, 32), L.LSTM(64),
                               L.Dense(64, activation="relu"), L.Dense(1, activation="sigmoid")])

    def imdb_bidirectional():
        return lib.Sequential([lib.Input((None,), dtype="int32"), L.Embedding(10000, 32),
                               L.Bidirectional(L.LSTM(64)), L.Dense(64, activation="relu"),
                               L.Dense(1, activation="sigmoid")])

    def imdb_stacked_bidirectional():
        return lib.Sequential([lib.Input((None,), dtype="int32"), L.Embedding(10000, 32),
                               L.Bidirectional(L.LSTM(64, return_sequences=True)),
                               L.Bidirectional(L.LSTM(64)), L.Dense(64, activation="relu"),
                               L.Dense(1, activation="sigmoid")])

    def simple_rnn():
        step = 4
        return lib.Sequential([L.SimpleRNN(32, input_shape=(1, step), activation="relu"),
                               L.Dense(8, activation="relu"), L.Dense(1)])

    return {"cifar_small": cifar_small, "cifar_three_blocks": cifar_three_blocks, "imdb_lstm": imdb_lstm,
            "imdb_bidirectional": imdb_bidirectional, "imdb_stacked_bidirectional": imdb_stacked_bidirectional,
            "simple_rnn": simple_rnn}


EXPECTED_PARAMS = {"imdb_lstm": 349_057, "imdb_bidirectional": 377_985, "imdb_stacked_bidirectional": 476_801}


@pytest.mark.parametrize("name", list(_course_models(layerwise)))
def test_course_model_summary_equals_keras(name):
    import warnings

    keras.backend.clear_session()
    layerwise.backend.clear_session()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _course_models(keras)[name]()
    ours = _course_models(layerwise)[name]()
    assert _capture(ours) == _capture(theirs)
    assert ours.count_params() == theirs.count_params() == EXPECTED_PARAMS.get(name, theirs.count_params())


def _mnist():
    images = layerwise.datasets.mnist.load_idx(os.path.join(MNIST, "t10k-images-idx3-ubyte.gz"))
    labels = layerwise.datasets.mnist.load_idx(os.path.join(MNIST, "t10k-labels-idx1-ubyte.gz"))
    return (images[..., None] / 255.0).astype("float32"), labels


def test_small_cnn_learns_mnist_above_95_percent():
    x, y = _mnist()
    layerwise.utils.set_random_seed(0)
    L = layerwise.layers
    model = layerwise.Sequential([
        layerwise.Input((28, 28, 1)),
        L.Conv2D(16, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
        L.Conv2D(32, (3, 3), activation="relu"), L.MaxPooling2D((2, 2)),
        L.Flatten(), L.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:8000], y[:8000], epochs=3, batch_size=64, verbose=0)
    _, accuracy = model.evaluate(x[8000:], y[8000:], verbose=0)
    assert accuracy > 0.95


def test_images_without_a_channel_axis_get_the_fix():
    x, _ = _mnist()
    layer = layerwise.layers.Conv2D(4, 3, name="conv")
    with pytest.raises(ValueError, match=r"add a channel axis: x\[\.\.\., None\] or Reshape\(\(28, 28, 1\)\)"):
        layer(x[:2, ..., 0])


def test_lstm_learns_a_synthetic_sequence_task():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(512, 10, 1)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("float32")
    layerwise.utils.set_random_seed(0)
    model = layerwise.Sequential([layerwise.Input((10, 1)), layerwise.layers.LSTM(16),
                                  layerwise.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=layerwise.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0, validation_split=0.2)
    assert history.history["val_accuracy"][-1] > 0.9
