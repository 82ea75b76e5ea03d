"""ModelCheckpoint: file names, when it saves, what it prints, what the files hold, and its errors."""

import os
import warnings

import numpy as np
import pytest

import layerwise
from layerwise.callbacks.model_checkpoint import ModelCheckpoint
from layerwise.saving import keras_weights
from layerwise.saving.registry import builtin_objects


def _model(metrics=None):
    model = layerwise.Sequential([layerwise.layers.Dense(3, activation="relu", input_shape=(4,)),
                                  layerwise.layers.Dense(1)])
    model.compile(optimizer=layerwise.optimizers.Adam(0.01), loss="mse", metrics=metrics)
    return model


def _data(n=20):
    rng = np.random.RandomState(0)
    return rng.rand(n, 4).astype("float32"), rng.rand(n, 1).astype("float32")


def _drive(callback, model, epoch_logs):
    """Run the epoch hooks as fit does; before each epoch's end every weight becomes the epoch's index."""
    callback.set_model(model)
    callback.set_params({"verbose": 0, "epochs": len(epoch_logs), "steps": 1})
    callback.on_train_begin({})
    for epoch, logs in enumerate(epoch_logs):
        callback.on_epoch_begin(epoch, {})
        model.set_weights([np.full(w.shape, float(epoch), "float32") for w in model.get_weights()])
        callback.on_epoch_end(epoch, dict(logs))
    callback.on_train_end({})


def _saved_epoch(path):
    model = _model()
    model.load_weights(path)
    return float(model.get_weights()[0].flat[0])


def _visible_and_hidden(directory):
    names = sorted(os.listdir(directory))
    return [n for n in names if not n.startswith(".")], [n for n in names if n.startswith(".")]


def test_saves_every_epoch_under_template_names_filled_from_the_logs(tmp_path):
    x, y = _data()
    model = _model(metrics=["mae"])
    template = str(tmp_path / "ckpt" / "model-{epoch:02d}-{loss:.4f}-{mae:.3f}.keras")
    history = model.fit(x, y, epochs=3, batch_size=5, verbose=0, callbacks=[ModelCheckpoint(template)])
    expected = [f"model-{e + 1:02d}-{history.history['loss'][e]:.4f}-{history.history['mae'][e]:.3f}.keras"
                for e in range(3)]
    visible, hidden = _visible_and_hidden(tmp_path / "ckpt")
    assert visible == expected and hidden == []  # the missing directory was created; no temporaries left
    restored = layerwise.models.load_model(str(tmp_path / "ckpt" / expected[-1]))
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(restored.optimizer.iterations) == 12  # the optimizer state came along


def test_save_best_only_saves_improvements_and_prints_keras_lines(tmp_path, capsys):
    path = str(tmp_path / "best.keras")
    callback = ModelCheckpoint(path, save_best_only=True, verbose=1)
    _drive(callback, _model(), [{"loss": 1.0, "val_loss": 0.5}, {"loss": 0.9, "val_loss": 0.6},
                                {"loss": 0.8, "val_loss": 0.25}, {"loss": 0.7, "val_loss": 0.25}])
    assert capsys.readouterr().out == (
        f"\nEpoch 1: val_loss improved from None to 0.50000, saving model to {path}\n"
        f"\nEpoch 1: finished saving model to {path}\n"
        "\nEpoch 2: val_loss did not improve from 0.50000\n"
        f"\nEpoch 3: val_loss improved from 0.50000 to 0.25000, saving model to {path}\n"
        f"\nEpoch 3: finished saving model to {path}\n"
        "\nEpoch 4: val_loss did not improve from 0.25000\n"
    )
    assert _saved_epoch(path) == 2.0  # the weights of the third epoch, the best one
    assert callback.best == 0.25


def test_without_save_best_only_every_epoch_is_announced_and_saved(tmp_path, capsys):
    path = str(tmp_path / "last.weights.h5")
    _drive(ModelCheckpoint(path, save_weights_only=True, verbose=1), _model(),
           [{"val_loss": 0.5}, {"val_loss": 0.9}])
    assert capsys.readouterr().out == (
        f"\nEpoch 1: saving model to {path}\n\nEpoch 1: finished saving model to {path}\n"
        f"\nEpoch 2: saving model to {path}\n\nEpoch 2: finished saving model to {path}\n"
    )
    assert _saved_epoch(path) == 1.0


@pytest.mark.parametrize("monitor, mode, values, saved_epochs", [
    ("val_acc", "auto", [0.5, 0.7, 0.6, 0.8], [1, 2, 4]),          # Keras 2's 'acc' rule: maximise
    ("val_fmeasure", "auto", [0.5, 0.4, 0.6], [1, 3]),             # ... and 'fmeasure'
    ("val_accuracy", "auto", [0.5, 0.7, 0.6], [1, 2]),
    ("val_mae", "auto", [0.5, 0.7, 0.4], [1, 3]),
    ("val_accuracy", "min", [0.5, 0.7, 0.4], [1, 3]),               # an explicit mode wins
    ("val_loss", "max", [0.5, 0.7, 0.4], [1, 2]),
])
def test_mode_decides_what_counts_as_better(tmp_path, monitor, mode, values, saved_epochs):
    callback = ModelCheckpoint(str(tmp_path / "m-{epoch}.weights.h5"), monitor=monitor, mode=mode,
                               save_best_only=True, save_weights_only=True)
    _drive(callback, _model(), [{monitor: v} for v in values])
    assert _visible_and_hidden(tmp_path)[0] == [f"m-{e}.weights.h5" for e in saved_epochs]


def test_auto_mode_refuses_a_name_it_cannot_place(tmp_path):
    callback = ModelCheckpoint(str(tmp_path / "m.keras"), monitor="val_widgets", save_best_only=True)
    with pytest.raises(ValueError) as error:
        _drive(callback, _model(), [{"val_widgets": 1.0}])
    assert str(error.value) == (
        "ModelCheckpoint callback received monitor=val_widgets, but Keras isn't able to automatically "
        "determine whether that metric should be maximized or minimized. Pass `mode='max'` in order to "
        "monitor based on the highest metric value, or pass `mode='min'` in order to use the lowest value."
    )


def test_initial_value_threshold_must_be_beaten_first(tmp_path, capsys):
    path = str(tmp_path / "best.keras")
    callback = ModelCheckpoint(path, monitor="val_loss", save_best_only=True, verbose=1,
                               initial_value_threshold=0.4)
    _drive(callback, _model(), [{"val_loss": 0.5}, {"val_loss": 0.3}])
    out = capsys.readouterr().out
    assert "\nEpoch 1: val_loss did not improve from 0.40000\n" in out
    assert f"\nEpoch 2: val_loss improved from 0.40000 to 0.30000, saving model to {path}\n" in out
    assert _saved_epoch(path) == 1.0


def test_missing_monitor_warns_as_keras_and_saves_anyway(tmp_path):
    path = tmp_path / "m.keras"
    with pytest.warns(UserWarning) as caught:
        _drive(ModelCheckpoint(str(path), save_best_only=True), _model(), [{"loss": 0.5}])
    assert [str(w.message) for w in caught] == ["Can save best model only with val_loss available."]
    assert path.is_file()  # Keras 3 saves when it cannot compare


def test_non_scalar_monitor_falls_back_to_saving(tmp_path):
    path = tmp_path / "m.keras"
    with pytest.warns(UserWarning, match="Can save best model only when `monitor` is a scalar value"):
        _drive(ModelCheckpoint(str(path), save_best_only=True), _model(), [{"val_loss": np.array([0.1, 0.2])}])
    assert path.is_file()


def test_weights_only_file_holds_weights_and_optimizer_state(tmp_path):
    x, y = _data()
    model = _model()
    path = str(tmp_path / "w.weights.h5")
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[ModelCheckpoint(path, save_weights_only=True)])
    fresh = _model()
    fresh.fit(x[:2], y[:2], epochs=1, verbose=0)  # builds the optimizer's state
    fresh.load_weights(path)
    for ours, theirs in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    assert int(fresh.optimizer.iterations) == 4
    with pytest.raises(ValueError, match="holds only weights"):
        layerwise.models.load_model(path)


def test_legacy_h5_names_of_keras_2_course_code_are_accepted(tmp_path):
    x, y = _data()
    model = _model()
    model_path, weights_path = str(tmp_path / "model.h5"), str(tmp_path / "weights.best.hdf5")
    model.fit(x, y, epochs=1, verbose=0, callbacks=[
        ModelCheckpoint(model_path, monitor="loss"),
        ModelCheckpoint(weights_path, monitor="loss", save_weights_only=True, save_best_only=True),
    ])
    restored = layerwise.models.load_model(model_path)
    np.testing.assert_array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    fresh = _model()
    fresh.load_weights(weights_path)
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_integer_save_freq_counts_batches_across_epochs(tmp_path):
    x, y = _data(20)  # 4 batches of 5 per epoch
    template = str(tmp_path / "e{epoch}-b{batch}.weights.h5")
    model = _model()
    model.fit(x, y, epochs=3, batch_size=5, verbose=0,
              callbacks=[ModelCheckpoint(template, save_weights_only=True, save_freq=3)])
    # saves after batches 3, 6, 9, 12 of the 12 run: epoch 1 batch 3, epoch 2 batches 2, epoch 3 batches 1, 4
    assert _visible_and_hidden(tmp_path) == (
        ["e1-b3.weights.h5", "e2-b2.weights.h5", "e3-b1.weights.h5", "e3-b4.weights.h5"], [])


def test_integer_save_freq_with_steps_per_execution(tmp_path):
    x, y = _data(24)  # 6 batches of 4; batch hooks see batches 1, 3, 5 (0-based)
    model = _model()
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=2)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[
        ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.keras"), save_freq=3)])
    assert _visible_and_hidden(tmp_path)[0] == ["e1-b4.keras", "e2-b2.keras", "e2-b6.keras"]


def test_batch_logs_fill_the_template(tmp_path):
    x, y = _data(20)
    model = _model()
    history = model.fit(x, y, epochs=1, batch_size=10, verbose=0, callbacks=[
        ModelCheckpoint(str(tmp_path / "b{batch}-{loss:.6f}.weights.h5"), save_weights_only=True, save_freq=2)])
    # after the epoch's last batch the running loss is the epoch's loss
    assert _visible_and_hidden(tmp_path)[0] == [f"b2-{history.history['loss'][0]:.6f}.weights.h5"]


def test_a_failed_save_leaves_the_previous_checkpoint_whole(tmp_path, monkeypatch):
    x, y = _data()
    model = _model()
    path = tmp_path / "w.weights.h5"
    model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(path), save_weights_only=True)])
    before = path.read_bytes()
    original = keras_weights.write_weights

    def write_half_then_fail(model, h5, *args, **kwargs):
        original(model, h5, *args, **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(keras_weights, "write_weights", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(path), save_weights_only=True)])
    assert path.read_bytes() == before
    assert _visible_and_hidden(tmp_path) == (["w.weights.h5"], [])


def test_unknown_template_field_error(tmp_path):
    callback = ModelCheckpoint(str(tmp_path / "m-{val_loss:.2f}.keras"))
    with pytest.raises(KeyError) as error:
        _drive(callback, _model(), [{"loss": 0.1}])
    assert error.value.args[0] == (
        f'Failed to format this callback filepath: "{tmp_path}/m-{{val_loss:.2f}}.keras". Reason: \'val_loss\''
    )


def test_positional_template_field_error(tmp_path):
    callback = ModelCheckpoint(str(tmp_path / "m-{}.keras"))
    with pytest.raises(ValueError) as error:
        _drive(callback, _model(), [{"loss": 0.1}])
    assert str(error.value) == (
        f'Failed to format this callback filepath: "{tmp_path}/m-{{}}.keras". Reason: Replacement index 0 out '
        "of range for positional args tuple. Use named fields such as {epoch:02d} or {val_loss:.2f}, and double "
        "braces ({{ }}) for literal ones."
    )


def test_directory_filepath_error(tmp_path):
    (tmp_path / "taken.keras").mkdir()
    with pytest.raises(OSError) as error:
        _drive(ModelCheckpoint(str(tmp_path / "taken.keras")), _model(), [{"val_loss": 0.1}])
    assert str(error.value) == (
        "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an existing "
        f"directory: {tmp_path}/taken.keras"
    )


def test_filepath_extension_errors():
    with pytest.raises(ValueError) as error:
        ModelCheckpoint("checkpoint")
    assert str(error.value) == (
        "The filepath provided must end in `.keras` (Keras model format). Received: filepath=checkpoint "
        "(layerwise also takes `.h5` or `.hdf5`, the legacy HDF5 model file; to save only the weights, pass "
        "save_weights_only=True and a name ending in `.weights.h5`)."
    )
    with pytest.raises(ValueError) as error:
        ModelCheckpoint("ckpt.keras", save_weights_only=True)
    assert str(error.value) == (
        "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided must end in "
        "`.weights.h5` (Keras weights format). Received: filepath=ckpt.keras (layerwise also takes a legacy "
        "`.h5` or `.hdf5` name, for Keras 2's weights layout)."
    )


@pytest.mark.parametrize("save_freq", ["batch", 0, -5, True, 2.5, None])
def test_save_freq_errors(save_freq):
    with pytest.raises(ValueError) as error:
        ModelCheckpoint("m.keras", save_freq=save_freq)
    assert str(error.value) == (
        f"Unrecognized save_freq: {save_freq}. Expected save_freq are 'epoch' or integer values (ModelCheckpoint "
        "takes 'epoch', to save at the end of every epoch, or a positive number of batches, e.g. save_freq=100; "
        f"got save_freq={save_freq!r})."
    )


def test_other_argument_errors():
    with pytest.raises(ValueError) as error:
        ModelCheckpoint("m.keras", mode="best")
    assert str(error.value) == "ModelCheckpoint: `mode` must be one of 'auto', 'min', 'max'; got mode='best'."
    with pytest.raises(ValueError) as error:
        ModelCheckpoint("m.keras", initial_value_threshold="low")
    assert str(error.value) == (
        "ModelCheckpoint: `initial_value_threshold` must be a finite number or None; got "
        "initial_value_threshold='low'."
    )
    with pytest.raises(ValueError) as error:
        ModelCheckpoint(42)
    assert str(error.value) == (
        "ModelCheckpoint: `filepath` must be a path (str or os.PathLike), e.g. 'best.keras'; got filepath=42."
    )
    with pytest.raises(ValueError) as error:
        ModelCheckpoint("m.keras", verbose=-1)
    assert str(error.value) == "ModelCheckpoint: `verbose` must be 0 (silent) or 1 (a line per save); got verbose=-1."


def test_arguments_and_defaults_are_keras(tmp_path):
    callback = ModelCheckpoint(tmp_path / "m.keras")  # a pathlib.Path works
    assert (callback.filepath, callback.monitor, callback.verbose, callback.save_best_only,
            callback.save_weights_only, callback.mode, callback.save_freq, callback.best) == (
        str(tmp_path / "m.keras"), "val_loss", 0, False, False, "auto", "epoch", None)
    assert builtin_objects("callbacks")["ModelCheckpoint"] is ModelCheckpoint
    assert layerwise.callbacks.ModelCheckpoint is ModelCheckpoint
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ModelCheckpoint("m.keras", verbose=True, save_freq=np.int64(10))  # Keras accepts these
