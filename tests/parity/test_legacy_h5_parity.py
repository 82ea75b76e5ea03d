"""Legacy ``.h5`` files move between layerwise and real Keras 3 (torch backend) in both directions.

A model Keras saves to ``x.h5`` loads in layerwise with equal predictions (and
its compile settings and optimizer state), a model layerwise saves to ``x.h5``
loads in ``keras.models.load_model`` with equal predictions, and the legacy
weights files (``save_weights('x.h5')``, which Keras 3 can read but no longer
write) load in both.
"""

import keras
import numpy as np
import pytest
import torch

import layerwise

TOLERANCE = 1e-5


def _build(lib, kind):
    """The same tiny model in either library (``lib`` is ``keras`` or ``layerwise``), and inputs for it."""
    L = lib.layers
    rng = np.random.default_rng(0)
    if kind == "dense_batchnorm":
        model = lib.Sequential([lib.Input((4,)), L.Dense(5, activation="relu"), L.BatchNormalization(),
                                L.Dropout(0.2), L.Dense(3, activation="softmax")])
        return model, rng.normal(size=(6, 4)).astype("float32")
    if kind == "no_dropout":  # for training side by side: dropout masks differ between libraries
        model = lib.Sequential([lib.Input((4,)), L.Dense(5, activation="relu"), L.BatchNormalization(),
                                L.Dense(3, activation="softmax")])
        return model, rng.normal(size=(6, 4)).astype("float32")
    if kind == "conv_pool":
        model = lib.Sequential([lib.Input((8, 8, 2)), L.Conv2D(3, 3, padding="same", activation="relu"),
                                L.MaxPooling2D(), L.Conv2D(2, 2), L.AveragePooling2D(2), L.Flatten(),
                                L.Dense(2)])
        return model, rng.normal(size=(3, 8, 8, 2)).astype("float32")
    if kind == "text":
        tokens = lib.Input((6,), dtype="int32", name="tokens")
        embedded = L.Embedding(20, 4)(tokens)
        sequence = L.Bidirectional(L.LSTM(3, return_sequences=True))(embedded)
        merged = L.Concatenate()([L.GRU(2)(sequence), L.GlobalAveragePooling1D()(embedded)])
        model = lib.Model(tokens, L.Dense(1, activation="sigmoid")(merged))
        return model, rng.integers(0, 20, (4, 6)).astype("int32")
    if kind == "multi_io_shared":
        a, b = lib.Input((3,), name="a"), lib.Input((3,), name="b")
        shared = L.Dense(4, activation="tanh", name="shared")
        total = L.Add()([shared(a), shared(b)])
        first = L.Dense(2, name="first")(L.Multiply()([total, shared(a)]))
        second = L.Dense(1, name="second")(total)
        model = lib.Model([a, b], [first, second])
        return model, [rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(5, 3)).astype("float32")]
    if kind == "nested":
        inner = lib.Sequential([lib.Input((3,)), L.Dense(4, activation="relu"), L.BatchNormalization()],
                               name="inner")
        inner_in = lib.Input((4,))
        head = lib.Model(inner_in, L.Dense(2)(inner_in), name="head")
        inputs = lib.Input((3,))
        model = lib.Model(inputs, head(inner(inputs)))
        return model, rng.normal(size=(5, 3)).astype("float32")
    if kind == "wrappers_normalization":
        model = lib.Sequential([lib.Input((5, 3)), L.TimeDistributed(L.Dense(4)), L.LayerNormalization(),
                                L.Conv1D(2, 2), L.GlobalMaxPooling1D(), L.Dense(1)])
        return model, rng.normal(size=(2, 5, 3)).astype("float32")
    if kind == "recurrent":
        model = lib.Sequential([lib.Input((5, 3)), L.SimpleRNN(4, return_sequences=True), L.LSTM(2),
                                L.Dense(1)])
        return model, rng.normal(size=(2, 5, 3)).astype("float32")
    raise AssertionError(kind)


KINDS = ["dense_batchnorm", "conv_pool", "text", "multi_io_shared", "nested", "recurrent",
         "wrappers_normalization"]


def _randomize(model, seed=1):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") if "moving_variance" in v.path
                       else rng.uniform(-0.5, 0.5, w.shape).astype("float32")
                       for v, w in zip(model.weights, model.get_weights())])


def _numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return keras.ops.convert_to_numpy(value)


def _outputs(model, x):
    out = model.predict(x, verbose=0)
    return [_numpy(o) for o in out] if isinstance(out, (list, tuple)) else [_numpy(out)]


def _assert_same_outputs(ours, theirs, x):
    for mine, other in zip(_outputs(ours, x), _outputs(theirs, x), strict=True):
        np.testing.assert_allclose(mine, other, rtol=TOLERANCE, atol=TOLERANCE)


@pytest.mark.parametrize("kind", KINDS)
def test_keras_h5_loads_in_layerwise(tmp_path, kind):
    theirs, x = _build(keras, kind)
    _randomize(theirs)
    theirs.save(tmp_path / "keras.h5")
    ours = layerwise.models.load_model(tmp_path / "keras.h5")
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    _assert_same_outputs(ours, theirs, x)


@pytest.mark.parametrize("kind", KINDS)
def test_layerwise_h5_loads_in_keras(tmp_path, kind):
    ours, x = _build(layerwise, kind)
    _randomize(ours)
    ours.save(tmp_path / "layerwise.h5")
    theirs = keras.models.load_model(tmp_path / "layerwise.h5")
    assert [layer.name for layer in theirs.layers] == [layer.name for layer in ours.layers]
    assert [type(layer).__name__ for layer in theirs.layers] == [type(layer).__name__ for layer in ours.layers]
    _assert_same_outputs(ours, theirs, x)


def _trained(lib, optimizer):
    model, x = _build(lib, "no_dropout")
    _randomize(model)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    y = np.eye(3, dtype="float32")[np.random.default_rng(2).integers(0, 3, len(x))]
    model.fit(x, y, epochs=2, batch_size=3, shuffle=False, verbose=0)
    return model, x, y


def test_compiled_keras_h5_restores_optimizer_state_in_layerwise(tmp_path):
    theirs, x, y = _trained(keras, keras.optimizers.Adam(learning_rate=0.02))
    theirs.save(tmp_path / "trained.h5")
    ours = layerwise.models.load_model(tmp_path / "trained.h5")
    assert ours.compiled and type(ours.optimizer).__name__ == "Adam"
    assert int(ours.optimizer.iterations) == 4
    assert float(ours.optimizer.learning_rate) == pytest.approx(0.02)
    for mine, other in zip(ours.optimizer.variables, theirs.optimizer.variables, strict=True):
        np.testing.assert_array_equal(mine.numpy(), _numpy(other))
    # One more epoch in each library continues the same training.
    ours.fit(x, y, epochs=1, batch_size=3, shuffle=False, verbose=0)
    theirs.fit(x, y, epochs=1, batch_size=3, shuffle=False, verbose=0)
    for mine, other in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(mine, other, rtol=1e-4, atol=1e-5)


def test_compiled_layerwise_h5_compiles_in_keras(tmp_path):
    ours, x, _ = _trained(layerwise, layerwise.optimizers.Adam(learning_rate=0.02))
    ours.save(tmp_path / "trained.h5")
    theirs = keras.models.load_model(tmp_path / "trained.h5")
    assert type(theirs.optimizer).__name__ == "Adam"
    # Keras 3's h5 loader builds the optimizer for a Sequential model's own (empty) variable list, so
    # of the saved state it restores the iteration count and the learning rate, from its own files too.
    assert int(_numpy(theirs.optimizer.iterations)) == 4
    assert float(_numpy(theirs.optimizer.learning_rate)) == pytest.approx(0.02)
    assert theirs.loss == keras.losses.categorical_crossentropy
    _assert_same_outputs(ours, theirs, x)


@pytest.mark.parametrize("kind", ["conv_pool", "text", "nested"])
def test_layerwise_legacy_weights_file_loads_in_keras(tmp_path, kind):
    ours, x = _build(layerwise, kind)
    _randomize(ours)
    ours.save_weights(tmp_path / "weights.h5")
    theirs, _ = _build(keras, kind)
    theirs.load_weights(tmp_path / "weights.h5")
    _assert_same_outputs(ours, theirs, x)


@pytest.mark.parametrize("by_name", [False, True])
def test_keras_h5_weights_load_into_a_layerwise_model(tmp_path, by_name):
    keras.backend.clear_session()  # default layer names in both libraries, for by_name
    theirs, x = _build(keras, "text")
    _randomize(theirs)
    theirs.save(tmp_path / "keras.h5")
    ours, _ = _build(layerwise, "text")
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    ours.load_weights(tmp_path / "keras.h5", by_name=by_name)
    _assert_same_outputs(ours, theirs, x)


def test_keras_only_writes_weights_in_its_new_layout():
    """Keras 3's save_weights refuses a plain '.h5' name; layerwise still writes the Keras 2 layout there."""
    model, _ = _build(keras, "dense_batchnorm")
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        model.save_weights("weights.h5")
