"""Functional text models start from Input(dtype="string"), as Keras's text tutorials write them."""

import numpy as np

import layerwise as keras

TEXTS = np.array(["a good film", "a bad film", "great acting", "awful plot", "good and great", "bad and awful"])
LABELS = np.array([1, 0, 1, 0, 1, 0], dtype="float32")


def _model():
    keras.utils.set_random_seed(0)
    vectorize = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=4)
    vectorize.adapt(TEXTS)
    inputs = keras.Input(shape=(1,), dtype="string")
    x = keras.layers.Embedding(20, 8)(vectorize(inputs))
    x = keras.layers.GlobalAveragePooling1D()(x)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_string_input_keeps_its_dtype_and_config():
    assert keras.Input(shape=(1,), dtype="string").dtype == "string"
    model = _model()
    assert model.layers[0].dtype == "string"
    assert model.get_config()["layers"][0]["config"]["dtype"] == "string"


def test_functional_text_model_trains_and_predicts_from_arrays_and_lists():
    model = _model()
    history = model.fit(TEXTS, LABELS, epochs=30, verbose=0)
    assert history.history["accuracy"][-1] == 1.0
    assert model.predict(TEXTS[:, None], verbose=0).shape == (6, 1)
    assert model.predict(["a great film"], verbose=0).shape == (1, 1)


def test_functional_text_model_round_trips_through_a_keras_file(tmp_path):
    model = _model()
    model.fit(TEXTS, LABELS, epochs=3, verbose=0)
    model.save(tmp_path / "text.keras")
    restored = keras.models.load_model(tmp_path / "text.keras")
    np.testing.assert_array_equal(restored.predict(TEXTS, verbose=0), model.predict(TEXTS, verbose=0))
