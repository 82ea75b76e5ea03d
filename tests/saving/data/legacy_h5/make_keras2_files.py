"""Write the Keras 2 files the legacy-HDF5 tests read (run by hand; not part of the test suite).

The files were written by tf.keras 2 itself (the ``tf_keras`` package, Keras
2.21, on TensorFlow 2.21), so the tests read real Keras 2 output rather than
our idea of it. To regenerate:

    pip install tensorflow-cpu==2.21.0 && pip install --no-deps tf-keras==2.21.0
    python tests/saving/data/legacy_h5/make_keras2_files.py

Each model gets random weights, one epoch of training (so the optimizer has
state and BatchNormalization moving statistics differ from their start), and
its predictions on fixed inputs are stored in ``expected.npz``.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tf_keras as keras

HERE = os.path.dirname(os.path.abspath(__file__))
L = keras.layers


def mlp():
    model = keras.Sequential([
        L.Dense(5, activation="relu", input_shape=(4,)),
        L.BatchNormalization(),
        L.Dropout(0.25),
        L.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 16)]
    return model, x, y


def cnn():
    model = keras.Sequential([
        L.Conv2D(3, 3, activation="relu", padding="same", input_shape=(8, 8, 2)),
        L.MaxPooling2D(),
        L.Conv2D(2, 2),
        L.AveragePooling2D(2),
        L.Flatten(),
        L.Dense(2),
    ])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9), loss="mse", metrics=["mae"])
    rng = np.random.default_rng(2)
    return model, rng.normal(size=(8, 8, 8, 2)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")


def text():
    tokens = keras.Input((6,), name="tokens")
    embedded = L.Embedding(20, 4, input_length=6)(tokens)
    sequence = L.Bidirectional(L.LSTM(3, return_sequences=True))(embedded)
    summary = L.GRU(2)(sequence)
    bag = L.Flatten()(embedded)
    merged = L.Concatenate()([summary, L.Dense(2, activation="tanh")(bag)])
    output = L.Dense(1, activation="sigmoid")(merged)
    model = keras.Model(tokens, output)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(3)
    return model, rng.integers(0, 20, (8, 6)).astype("int32"), rng.integers(0, 2, (8, 1)).astype("float32")


def nested():
    inner = keras.Sequential([L.Dense(4, activation="relu", input_shape=(3,)), L.BatchNormalization()],
                             name="inner")
    inputs = keras.Input((3,))
    outputs = L.Dense(2)(L.Add()([inner(inputs), L.Dense(4)(inputs)]))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(4)
    return model, rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")


def main():
    keras.utils.set_random_seed(0)
    expected = {}
    for name, make in [("mlp", mlp), ("cnn", cnn), ("text", text), ("nested", nested)]:
        model, x, y = make()
        rng = np.random.default_rng(0)
        # Random weights; moving variances stay positive.
        model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") if "moving_variance" in v.name
                           else rng.uniform(-0.5, 0.5, w.shape).astype("float32")
                           for v, w in zip(model.weights, model.get_weights())])
        model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
        model.save(os.path.join(HERE, f"keras2_{name}.h5"))
        expected[f"{name}_x"] = x
        expected[f"{name}_y"] = model.predict(x, verbose=0)
        if name == "mlp":
            model.save_weights(os.path.join(HERE, "keras2_mlp_weights.h5"))
    np.savez(os.path.join(HERE, "expected.npz"), **expected)


if __name__ == "__main__":
    main()
