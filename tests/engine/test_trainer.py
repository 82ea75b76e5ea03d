"""compile / fit / evaluate / predict: the course workflows and the errors for bad input."""

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise import layers


def _regression_data(n=200, features=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x @ rng.normal(size=(features, 1)) + 0.1 * rng.normal(size=(n, 1))).astype("float32")
    return x, y


def _classification_data(n=300, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=3.0, size=(classes, features))
    labels = rng.integers(0, classes, size=n)
    x = (centers[labels] + rng.normal(size=(n, features))).astype("float32")
    return x, labels


def _mlp(inputs, outputs, activation=None):
    return keras.Sequential([layers.Dense(16, activation="relu", input_shape=(inputs,)),
                             layers.Dense(outputs, activation=activation)])


# ---------------------------------------------------------------- course workflows


def test_regression_mlp_with_mse_and_adam_learns():
    x, y = _regression_data()
    model = _mlp(8, 1)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mean_squared_error", metrics=["mae"])
    history = model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]
    assert len(history.history["loss"]) == 30 and history.epoch == list(range(30))
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    loss, mae = model.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(history.history["loss"][-1], rel=0.5)
    assert model.metrics_names == ["loss", "mae"]
    assert model.predict(x[:5], verbose=0).shape == (5, 1)


def test_softmax_classifier_with_categorical_crossentropy_and_to_categorical():
    x, labels = _classification_data()
    y = keras.utils.to_categorical(labels, 3)
    model = _mlp(4, 3, activation="softmax")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, verbose=0, validation_split=0.2)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.history["val_accuracy"][-1] > 0.9
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(results) == {"loss", "accuracy"}
    probabilities = model.predict(x, verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_sparse_labels_and_acc_alias():
    x, labels = _classification_data()
    model = _mlp(4, 3, activation="softmax")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["acc"])
    history = model.fit(x, labels, epochs=10, verbose=0)
    assert "acc" in history.history and history.history["acc"][-1] > 0.8


def test_sgd_with_legacy_lr_over_a_list_of_learning_rates():
    x, y = _regression_data()
    final = {}
    for lr in [1e-4, 1e-2]:
        keras.utils.set_random_seed(0)
        model = _mlp(8, 1)
        with pytest.warns(Warning):
            optimizer = keras.optimizers.SGD(lr=lr)
        model.compile(optimizer=optimizer, loss="mse")
        final[lr] = model.fit(x, y, epochs=5, verbose=0).history["loss"][-1]
        assert model.optimizer.learning_rate == pytest.approx(lr)
    assert final[1e-2] < final[1e-4]


def test_early_stopping_with_validation_split():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(100, 5)).astype("float32")
    y = rng.normal(size=(100, 1)).astype("float32")  # noise: validation loss cannot keep improving
    model = _mlp(5, 1)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=100, validation_split=0.3, verbose=0,
                        callbacks=[keras.callbacks.EarlyStopping(patience=2)])
    assert len(history.epoch) < 100


def test_custom_callback_stops_training_at_accuracy_threshold():
    class StopAtAccuracy(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs["accuracy"] > 0.9:
                self.model.stop_training = True

    x, labels = _classification_data()
    model = _mlp(4, 3, activation="softmax")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, labels, epochs=200, verbose=0, callbacks=[StopAtAccuracy()])
    assert len(history.epoch) < 200 and history.history["accuracy"][-1] > 0.9


def test_validation_split_takes_the_last_samples_before_shuffling():
    x = np.arange(10, dtype="float32").reshape(10, 1)
    y = np.zeros((10, 1), dtype="float32")
    seen = []

    class Record(keras.callbacks.Callback):
        def on_test_batch_begin(self, batch, logs=None):
            seen.append(batch)

    model = keras.Sequential([layers.Dense(1, input_shape=(1,), use_bias=False)])
    model.compile(optimizer="sgd", loss="mse")
    model.layers[0].set_weights([np.ones((1, 1))])
    history = model.fit(x, y, epochs=1, batch_size=10, validation_split=0.2, verbose=0, shuffle=True,
                        callbacks=[Record()])
    # validation samples are 8 and 9: val_loss = mean(8^2, 9^2) with the weights after one step
    w = float(model.layers[0].kernel.detach())
    assert history.history["val_loss"][0] == pytest.approx((64 + 81) / 2 * w * w, rel=1e-5)
    assert seen == [0]


def test_inputs_from_pandas_torch_lists_dicts_and_loaders():
    import pandas as pd

    x, y = _regression_data(64, 3)
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    model = _mlp(3, 1)
    model.compile(optimizer="adam", loss="mse")
    model.fit(frame, pd.Series(y[:, 0]), epochs=1, verbose=0)
    model.fit(torch.from_numpy(x), torch.from_numpy(y), epochs=1, verbose=0)
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    history = model.fit(torch.utils.data.DataLoader(dataset, batch_size=16), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2

    def generator():
        while True:
            for start in range(0, 64, 16):
                yield x[start:start + 16], y[start:start + 16]

    history = model.fit(generator(), steps_per_epoch=4, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3

    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    two = keras.Model([a, b], layers.Dense(1)(layers.Concatenate()([a, b])))
    two.compile(optimizer="adam", loss="mse")
    two.fit([x, x[:, :2]], y, epochs=1, verbose=0)
    two.fit({"a": x, "b": x[:, :2]}, y, epochs=1, verbose=0)


def test_multi_output_losses_weights_and_metrics():
    inputs = keras.Input((4,))
    hidden = layers.Dense(8, activation="relu")(inputs)
    first = layers.Dense(1, name="price")(hidden)
    second = layers.Dense(3, activation="softmax", name="kind")(hidden)
    model = keras.Model(inputs, [first, second])
    model.compile(optimizer="adam", loss={"price": "mse", "kind": "sparse_categorical_crossentropy"},
                  loss_weights={"price": 0.5, "kind": 1.0}, metrics={"kind": ["accuracy"]})
    x, labels = _classification_data(features=4)
    history = model.fit(x, {"price": x[:, :1], "kind": labels}, epochs=2, verbose=0)
    assert sorted(history.history) == ["kind_accuracy", "kind_loss", "loss", "price_loss"]
    total = history.history["loss"][-1]
    weighted = 0.5 * history.history["price_loss"][-1] + history.history["kind_loss"][-1]
    assert total == pytest.approx(weighted, rel=0.2)


def test_regularization_losses_join_the_training_loss():
    x, y = _regression_data(32, 3)
    model = keras.Sequential([layers.Dense(1, input_shape=(3,), kernel_regularizer=keras.regularizers.L2(10.0),
                                           kernel_initializer="ones", use_bias=False)])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    loss = model.evaluate(x, y, verbose=0)
    mse = float(np.mean((x.sum(axis=1, keepdims=True) - y) ** 2))
    assert loss == pytest.approx(mse + 10.0 * 3, rel=1e-5)


def test_constraints_are_applied_after_each_step():
    x, y = _regression_data(64, 3)
    model = keras.Sequential([layers.Dense(1, input_shape=(3,), kernel_constraint=keras.constraints.NonNeg())])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    model.fit(x, -np.abs(y) * 10, epochs=3, verbose=0)
    assert (model.layers[0].get_weights()[0] >= 0).all()


def test_train_test_predict_on_batch():
    x, y = _regression_data(16, 3)
    model = _mlp(3, 1)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    loss, mae = model.train_on_batch(x, y)
    assert loss > 0 and mae > 0
    assert set(model.test_on_batch(x, y, return_dict=True)) == {"loss", "mae"}
    assert model.predict_on_batch(x).shape == (16, 1)
    assert isinstance(model.predict_on_batch(x), np.ndarray)


def test_learning_rate_is_settable_during_training():
    x, y = _regression_data(32, 3)
    model = _mlp(3, 1)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    model.optimizer.learning_rate = 0.0
    before = model.get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_jit_compile_trains_the_same_model():
    x, y = _regression_data(64, 3)
    model = _mlp(3, 1)
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_jit_compile_survives_a_graph_break_in_a_user_layer_that_takes_training():
    class ReadsTheHost(keras.layers.Layer):
        def call(self, x, training=None):
            if training and float(x.abs().mean()) >= 0:  # a host read: torch.compile breaks the graph here
                return x * 1.0
            return x

    x, y = _regression_data(64, 3)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8), ReadsTheHost(), keras.layers.Dense(1)])
    model(x[:2])  # an eager call first, as a summary or a quick check does
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    eager = keras.models.clone_model(model)
    eager.set_weights(model.get_weights())
    eager.compile(optimizer="adam", loss="mse")
    compiled_loss = model.fit(x, y, epochs=2, verbose=0, shuffle=False).history["loss"]
    eager_loss = eager.fit(x, y, epochs=2, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(compiled_loss, eager_loss, rtol=1e-5)
    np.testing.assert_allclose(model.predict(x, verbose=0), eager.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_sample_and_class_weights_change_the_loss():
    x, labels = _classification_data(n=60)
    model = _mlp(4, 3, activation="softmax")
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    plain = model.evaluate(x, labels, verbose=0)
    weights = np.where(labels == 0, 2.0, 1.0)
    weighted = model.evaluate(x, labels, sample_weight=weights, verbose=0)
    assert weighted != pytest.approx(plain)
    by_class = model.fit(x, labels, class_weight={0: 2.0, 1: 1.0, 2: 1.0}, epochs=1, verbose=0,
                         shuffle=False, batch_size=60).history["loss"][0]
    by_sample = model.fit(x, labels, sample_weight=weights, epochs=1, verbose=0,
                          shuffle=False, batch_size=60).history["loss"][0]
    assert by_class == pytest.approx(by_sample, rel=1e-6)


# ---------------------------------------------------------------- progress bar


def test_progress_bar_lines(capsys):
    x, y = _regression_data(64, 3)
    model = _mlp(3, 1)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, verbose=2, validation_split=0.25)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2" and out[2] == "Epoch 2/2"
    assert out[1].startswith("2/2 - ") and "s/step - loss: " in out[1] and " - val_loss: " in out[1]
    model.fit(x, y, epochs=1, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    # not a terminal: no per-step redraws, one final line, no colour codes
    assert len(lines) == 1 and lines[0].startswith("2/2 ━━━━━━━━━━━━━━━━━━━━ ") and "\x1b" not in lines[0]
    model.evaluate(x, y, verbose=1)
    assert capsys.readouterr().out.startswith("2/2 ━")
    model.fit(x, y, epochs=1, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


def test_batch_logs_are_not_read_unless_a_callback_asks(monkeypatch):
    x, y = _regression_data(64, 3)
    model = _mlp(3, 1)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    calls = []
    original = type(model)._logs
    monkeypatch.setattr(type(model), "_logs", lambda self, prefix="": calls.append(1) or original(self, prefix))
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert len(calls) == 2  # once per epoch, not once per step


# ---------------------------------------------------------------- bad input


def _compiled(loss="mse", outputs=1, activation=None):
    model = _mlp(3, outputs, activation)
    model.compile(optimizer="adam", loss=loss)
    return model


def test_nan_and_inf_are_refused_with_where():
    x, y = _regression_data(20, 3)
    x[4, 1] = np.nan
    x[7, 2] = np.inf
    with pytest.raises(ValueError, match=r"x contains 1 NaN and 1 infinite values in 2 rows and 2 columns "
                                         r"\(first at row 4, column 1\)"):
        _compiled().fit(x, y, verbose=0)
    x, y = _regression_data(20, 3)
    y[3] = np.nan
    with pytest.raises(ValueError, match=r"y contains 1 NaN values in 1 rows and 1 columns \(first at row 3, column 0\)"):
        _compiled().fit(x, y, verbose=0)


def test_x_and_y_lengths_must_match():
    x, y = _regression_data(20, 3)
    with pytest.raises(ValueError, match="x has 20 samples but y has 19; they must have the same number of rows"):
        _compiled().fit(x, y[:19], verbose=0)


def test_empty_data_is_refused():
    with pytest.raises(ValueError, match="The data set is empty: x has 0 samples"):
        _compiled().fit(np.zeros((0, 3)), np.zeros((0, 1)), verbose=0)


@pytest.mark.parametrize("split", [0, 1, 1.5, -0.1, "0.2"])
def test_validation_split_outside_zero_one(split):
    x, y = _regression_data(20, 3)
    if split == 0:
        _compiled().fit(x, y, validation_split=split, verbose=0)  # 0 means no validation, as in Keras
        return
    with pytest.raises(ValueError, match="validation_split must be a float between 0 and 1"):
        _compiled().fit(x, y, validation_split=split, verbose=0)


def test_dataframe_with_non_numeric_columns_names_them():
    import pandas as pd

    frame = pd.DataFrame({"temp": [1.0, 2.0], "city": ["Basel", "Bern"], "day": [1, 2]})
    with pytest.raises(ValueError, match=r"x is a DataFrame with non-numeric columns: 'city' \((object|str)\)\. Encode them"):
        _compiled().fit(frame, np.zeros(2), verbose=0)


def test_sparse_labels_out_of_range_and_one_hot_mixups():
    x, labels = _classification_data(n=30, features=3)
    sparse = _compiled("sparse_categorical_crossentropy", 3, "softmax")
    bad = labels.copy()
    bad[0] = 5
    with pytest.raises(ValueError, match="outside"):
        sparse.fit(x, bad, verbose=0)
    with pytest.raises(ValueError, match="looks one-hot encoded"):
        sparse.fit(x, keras.utils.to_categorical(labels, 3), verbose=0)
    categorical = _compiled("categorical_crossentropy", 3, "softmax")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        categorical.fit(x, labels, verbose=0)


def test_loss_that_does_not_fit_the_output_shape():
    x, y = _regression_data(20, 3)
    with pytest.raises(ValueError, match=r"\(20, 3\)"):
        _compiled("mse", 1).fit(x, np.zeros((20, 3), dtype="float32"), verbose=0)


def test_fit_before_compile_and_compile_without_loss():
    x, y = _regression_data(20, 3)
    with pytest.raises(RuntimeError, match=r"You must call compile\(\) before fit\(\)"):
        _mlp(3, 1).fit(x, y)
    model = _mlp(3, 1)
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="compile\\(\\) was called without a loss"):
        model.fit(x, y, verbose=0)


def test_validation_split_with_a_generator_is_refused():
    def generator():
        while True:
            yield np.zeros((4, 3), "float32"), np.zeros((4, 1), "float32")

    with pytest.raises(ValueError, match="validation_split only works with array data"):
        _compiled().fit(generator(), steps_per_epoch=2, validation_split=0.2, verbose=0)


def test_exhausted_generator_is_explained():
    def short():
        for _ in range(2):
            yield np.zeros((4, 3), "float32"), np.zeros((4, 1), "float32")

    with pytest.raises(ValueError, match="The data generator ran out after 2 batches, but steps_per_epoch asks for 5"):
        _compiled().fit(short(), steps_per_epoch=5, epochs=1, verbose=0)


def test_single_output_accepts_one_element_loss_and_loss_weights_lists():
    x = np.ones((8, 2), "float32")
    y = np.zeros((8, 1), "float32")
    results = []
    for loss, weights in (("mse", 0.5), (["mse"], [0.5])):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss=loss, loss_weights=weights)
        results.append(model.evaluate(x, y, verbose=0))
    assert results[0] == results[1]


def test_fit_on_data_with_other_columns_names_the_first_batchs_shape():
    model = keras.Sequential([keras.layers.Dense(8, input_dim=67, name="hidden"), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match=r"^Dense 'hidden' expects inputs with last dimension 67, got 68 "
                                         r"\(input shape \(32, 68\)\) — does your data have the same columns as "
                                         r"the data the model was built for\?$"):
        model.fit(np.zeros((100, 68), "float32"), np.zeros((100, 2), "float32"), verbose=0)
    with pytest.raises(ValueError, match=r"got 68 \(input shape \(10, 68\)\)"):
        model.evaluate(np.zeros((100, 68), "float32"), np.zeros((100, 2), "float32"), batch_size=10, verbose=0)


def test_python_lists_of_numbers_are_arrays_as_tf_keras_2_took_them():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    rows = [[1.0, 2.0], [3.0, 4.0]]
    np.testing.assert_allclose(model.predict(rows, verbose=0), model.predict(np.array(rows, "float32"), verbose=0))
    assert len(model.fit(rows, [1.0, 2.0], sample_weight=[1.0, 0.5], verbose=0).history["loss"]) == 1
    assert np.isfinite(model.train_on_batch([[1, 2], [3, 4]], [[1], [2]]))
    assert model.evaluate(rows, [[1.0], [2.0]], verbose=0) == pytest.approx(
        model.evaluate(np.array(rows), np.array([[1.0], [2.0]]), verbose=0))
    with pytest.raises(ValueError, match=r"^x got a Python list of rows with different lengths \[1, 2\]; every "
                                         r"sample needs the same number of values\. Pad the rows "
                                         r"\(keras\.utils\.pad_sequences\) or pass a numpy array\.$"):
        model.fit([[1.0, 2.0], [3.0]], [1.0, 2.0], verbose=0)
