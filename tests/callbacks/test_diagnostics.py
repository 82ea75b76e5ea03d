"""callbacks.Diagnostics and fit(diagnose=True): each failure the course names, built on purpose."""

import math

import matplotlib
import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.callbacks.diagnostics import Diagnostics, DiagnosticWarning

matplotlib.use("Agg")
import matplotlib.pyplot as plt

Dense = keras.layers.Dense


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def regression_data(samples=512, features=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, features)).astype("float32")
    y = x[:, :3].sum(axis=1, keepdims=True).astype("float32")
    return x, y


def mlp(hidden=(64, 64), activation="relu", inputs=20, outputs=1, output_activation=None, **dense_kwargs):
    layers = [keras.Input((inputs,))]
    layers += [Dense(units, activation=activation, **dense_kwargs) for units in hidden]
    layers.append(Dense(outputs, activation=output_activation))
    return keras.Sequential(layers)


def run(model, x, y, optimizer="adam", loss="mse", epochs=3, diagnostics=None, **fit_kwargs):
    printed = []
    diagnostics = diagnostics or Diagnostics(print_fn=printed.append)
    model.compile(optimizer=optimizer, loss=loss)
    history = model.fit(x, y, epochs=epochs, verbose=0, callbacks=[diagnostics], **fit_kwargs)
    return history, diagnostics, printed


def kinds(diagnostics):
    return [w.kind for w in diagnostics.warnings]


# ---------------------------------------------------------------------- purpose-built failures


def test_deep_sigmoid_network_is_reported_as_vanishing_once():
    x, y = regression_data(128)
    labels = (y > 0).astype("float32")
    model = mlp(hidden=(32,) * 10, activation="sigmoid", output_activation="sigmoid")
    _history, diagnostics, printed = run(model, x, labels, loss="binary_crossentropy", epochs=3)

    assert kinds(diagnostics) == ["vanishing_gradients"]
    warning = diagnostics.warnings[0]
    first, last = model.layers[0].name, model.layers[-1].name
    assert first in warning.layers and last not in warning.layers
    assert warning.epoch == 0
    # Shown once although every epoch has the problem.
    assert len(printed) == 1 and printed[0] == str(warning)
    assert printed[0].startswith("Diagnostics, epoch 1: vanishing gradients.")
    assert f"than those of the last layer '{last}'" in printed[0]
    assert "He initialisation (kernel_initializer='he_normal')" in printed[0]
    assert "BatchNormalization" in printed[0]
    # The measurements show why: the first layer's gradient is orders of magnitude below the last's.
    first_norms = diagnostics.measurements[f"grad_norm/{first}"]
    last_norms = diagnostics.measurements[f"grad_norm/{last}"]
    assert len(first_norms) == 3 and all(f < 1e-3 * l for f, l in zip(first_norms, last_norms))


def test_large_negative_bias_is_reported_with_the_dead_fraction():
    x, y = regression_data(512)
    model = mlp(hidden=(64, 64), bias_initializer=keras.initializers.Constant(-10.0))
    _history, diagnostics, printed = run(model, x, y, epochs=2)

    first, second = model.layers[0].name, model.layers[1].name
    assert diagnostics.measurements[f"dead_relu_fraction/{first}"] == [1.0, 1.0]
    assert diagnostics.measurements[f"dead_relu_fraction/{second}"] == [1.0, 1.0]
    dead = [w for w in diagnostics.warnings if w.kind == "dead_relu"]
    assert len(dead) == 1 and dead[0].layers == (first, second)
    assert (f"dead ReLU units. These layers have units that output zero for every one of 256 training "
            f"samples: '{first}' 100%, '{second}' 100%.") in dead[0].message
    assert "He initialisation" in dead[0].suggestion
    # No gradient gets through dead units: reported too, with the likely cause.
    vanishing = [w for w in diagnostics.warnings if w.kind == "vanishing_gradients"]
    assert vanishing and "Dead ReLU units (reported above) pass no gradient back" in vanishing[0].message
    assert printed[0] == str(dead[0])


def test_dead_fraction_is_exact_for_some_dead_units():
    x, y = regression_data(512)
    model = mlp(hidden=(64, 32))
    bias = np.zeros(64, dtype="float32")
    bias[:48] = -100.0  # 48 of 64 units can never fire on standardised inputs
    model.layers[0].bias.assign(bias)
    _history, diagnostics, printed = run(model, x, y, epochs=2)
    first = model.layers[0].name
    assert diagnostics.measurements[f"dead_relu_fraction/{first}"] == [0.75, 0.75]
    assert any(f"'{first}' 75%" in message for message in printed)


def test_dead_channels_of_a_convolution_are_counted_per_channel():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8, 8, 1)).astype("float32")
    y = rng.integers(0, 2, size=(64, 1)).astype("float32")
    conv = keras.layers.Conv2D(4, 3, activation="relu")
    model = keras.Sequential([keras.Input((8, 8, 1)), conv, keras.layers.Flatten(), Dense(1, activation="sigmoid")])
    conv.bias.assign(np.array([-100.0, -100.0, 0.0, 0.0], dtype="float32"))
    _history, diagnostics, _printed = run(model, x, y, loss="binary_crossentropy", epochs=1)
    assert diagnostics.measurements[f"dead_relu_fraction/{conv.name}"] == [0.5]
    assert kinds(diagnostics).count("dead_relu") == 1


def test_learning_rate_of_10_is_reported_as_diverging():
    x, y = regression_data(512)
    history, diagnostics, printed = run(mlp(), x, y, optimizer=keras.optimizers.Adam(learning_rate=10.0), epochs=2)
    diverging = [w for w in diagnostics.warnings if w.kind == "diverging"]
    assert len(diverging) == 1 and diverging[0].epoch == 0
    loss = history.history["loss"][0]
    assert math.isfinite(loss) and loss > 4 * diagnostics.initial_loss
    assert diverging[0].message.startswith("the training loss is diverging:")
    assert "The learning rate is probably too high." in diverging[0].message
    assert diverging[0].suggestion.startswith("lower the learning rate")
    assert printed[0] == str(diverging[0])


def test_sgd_learning_rate_of_10_gives_nan_and_names_the_first_layer():
    x, y = regression_data(512)
    model = mlp()
    history, diagnostics, _printed = run(model, x, y, optimizer=keras.optimizers.SGD(learning_rate=10.0), epochs=2)
    assert math.isnan(history.history["loss"][0])
    by_kind = {w.kind: w for w in diagnostics.warnings}
    assert by_kind["diverging"].message == ("the training loss is nan at epoch 1: training diverged, which "
                                            "usually means the learning rate is too high.")
    names = [layer.name for layer in model.layers]
    assert by_kind["nan"].layers == (names[0],)
    listed = ", ".join(f"'{n}'" for n in names)
    assert by_kind["nan"].message == (
        f"NaN or infinite values in the weights of {listed} and the gradients of {listed} and the loss. With "
        "the weights from before training (all finite) every layer's output is finite, so the updates of epoch "
        f"1 made them non-finite; now layer '{names[0]}' is the first to output them.")
    assert kinds(diagnostics).count("nan") == 1 and kinds(diagnostics).count("diverging") == 1


def test_nan_weights_in_a_middle_layer_name_that_layer():
    x, y = regression_data(256)
    model = mlp(hidden=(16, 16, 16))
    kernel = model.layers[1].kernel.numpy()
    kernel[0, 0] = np.nan
    model.layers[1].kernel.assign(kernel)
    _history, diagnostics, printed = run(model, x, y, epochs=1)
    nan = [w for w in diagnostics.warnings if w.kind == "nan"]
    name = model.layers[1].name
    assert len(nan) == 1 and nan[0].layers == (name,)
    assert nan[0].message == (f"NaN or infinite values in the weights of '{name}' before training started, so "
                              f"layer '{name}' spoils every output and gradient from the first step. Check "
                              "the weights that were loaded or set.")
    # Printed at once, before the first epoch ends.
    assert printed[0] == str(nan[0])


def test_non_finite_output_from_finite_weights_names_the_layer():
    class Exploding(keras.layers.Layer):
        def call(self, inputs):
            return inputs * 1e30 * 1e30  # overflows float32 to inf

    x, y = regression_data(256)
    exploding = Exploding()
    model = keras.Sequential([keras.Input((20,)), Dense(8, activation="relu"), exploding, Dense(1)])
    _history, diagnostics, _printed = run(model, x, y, epochs=1)
    nan = next(w for w in diagnostics.warnings if w.kind == "nan")
    assert nan.layers == (exploding.name,)
    assert nan.message.endswith(f"Layer '{exploding.name}' is where they come from: it outputs them from finite "
                                "inputs even with the weights from before training, which were all finite.")


class _ScaleGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inputs, scale):
        ctx.scale = scale
        return inputs.view_as(inputs)

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.scale, None


class GradientAmplifier(keras.layers.Layer):
    """Identity forward; multiplies the gradient flowing back through it by ``scale``."""

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, inputs):
        return _ScaleGradient.apply(inputs, self.scale)


def test_gradients_far_larger_than_the_last_layers_are_reported_as_exploding():
    x, y = regression_data(256)
    model = keras.Sequential([keras.Input((20,)), Dense(16, activation="relu"), GradientAmplifier(1e5),
                              Dense(16, activation="relu"), Dense(1)])
    _history, diagnostics, _printed = run(model, x, y, epochs=2)
    exploding = [w for w in diagnostics.warnings if w.kind == "exploding_gradients"]
    assert len(exploding) == 1 and exploding[0].layers == (model.layers[0].name,)
    assert exploding[0].message.startswith(f"exploding gradients. The gradients of '{model.layers[0].name}' (")
    assert "clipnorm=1.0" in exploding[0].suggestion and "BatchNormalization" in exploding[0].suggestion


def test_a_growing_total_gradient_norm_is_reported_as_exploding():
    x, y = regression_data(256)
    scale = {"value": 1.0}

    def growing_loss(y_true, y_pred):
        return keras.losses.mean_squared_error(y_true, y_pred) * scale["value"]

    def grow(epoch, logs):
        scale["value"] = 100.0 ** epoch

    model = mlp()
    printed = []
    diagnostics = Diagnostics(print_fn=printed.append)
    model.compile(optimizer="adam", loss=growing_loss)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[keras.callbacks.LambdaCallback(on_epoch_begin=grow),
                                                      diagnostics])
    exploding = [w for w in diagnostics.warnings if w.kind == "exploding_gradients"]
    assert len(exploding) == 1 and exploding[0].epoch == 2
    assert exploding[0].message.startswith("exploding gradients. The total gradient norm grew from ")


def test_sparse_embedding_gradients_are_not_taken_for_vanishing_ones():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 20000, size=(256, 10))
    y = rng.normal(size=(256, 1)).astype("float32")
    model = keras.Sequential([keras.Input((10,), dtype="int64"), keras.layers.Embedding(20000, 8),
                              keras.layers.Flatten(), Dense(16, activation="relu"), Dense(1)])
    diagnostics = Diagnostics(vanishing_ratio=0.05, verbose=0)
    rechecked = []
    count_nonzero = diagnostics._nonzero_counts
    diagnostics._nonzero_counts = lambda: rechecked.append(True) or count_nonzero()
    _history, diagnostics, _printed = run(model, ids, y, epochs=1, diagnostics=diagnostics)
    # Over all 160,000 entries the embedding's gradient looks tiny (most rows are not in the batch) ...
    embedding, last = diagnostics._grad_names[0], diagnostics._grad_names[-1]
    full_rms = diagnostics.measurements[f"grad_norm/{embedding}"][0] / math.sqrt(20000 * 8)
    last_rms = diagnostics.measurements[f"grad_norm/{last}"][0] / math.sqrt(17)
    assert full_rms < 0.05 * last_rms
    # ... so it is judged again over the rows the batch used, and is not reported.
    assert rechecked == [True]
    assert diagnostics.warnings == []


def test_tiny_learning_rate_is_reported_as_a_loss_that_does_not_go_down():
    x, y = regression_data(256)
    history, diagnostics, _printed = run(mlp(), x, y, optimizer=keras.optimizers.Adam(learning_rate=1e-6),
                                        epochs=6)
    stuck = [w for w in diagnostics.warnings if w.kind == "not_decreasing"]
    assert len(stuck) == 1 and stuck[0].epoch == 4  # after stall_epochs=5 epochs
    losses = history.history["loss"]
    assert min(losses[:5]) > 0.9 * losses[0]
    assert stuck[0].message.startswith("the training loss has hardly gone down in 5 epochs:")
    assert "raise the learning rate" in stuck[0].suggestion


def overfitting_run(epochs=15, **diagnostics_kwargs):
    """24 noisy samples and a 2x256 network: the validation loss turns up after a few epochs."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 20)).astype("float32")
    y = (x[:, :1] + rng.normal(size=(300, 1))).astype("float32")
    model = mlp(hidden=(256, 256))
    printed = []
    diagnostics = Diagnostics(print_fn=printed.append, **diagnostics_kwargs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="mse")
    history = model.fit(x[:24], y[:24], epochs=epochs, verbose=0, validation_data=(x[100:], y[100:]),
                        callbacks=[diagnostics])
    return history, diagnostics, printed


def test_overfitting_onset_is_the_epoch_history_says():
    history, diagnostics, printed = overfitting_run()
    val_loss, loss = history.history["val_loss"], history.history["loss"]
    warning = [w for w in diagnostics.warnings if w.kind == "overfitting"]
    assert len(warning) == 1
    detected = warning[0].epoch
    # The onset is the first epoch after the lowest validation loss seen when it was reported ...
    best = int(np.argmin(val_loss[: detected + 1]))
    assert diagnostics.overfitting_epoch == best + 1
    # ... it has stayed above that lowest value since, the last 3 epochs more than 5% above, while the
    # training loss fell; and the epoch before it, those conditions did not all hold yet.
    assert detected - best >= 3
    assert all(v > val_loss[best] for v in val_loss[best + 1: detected + 1])
    assert all(v > 1.05 * val_loss[best] for v in val_loss[detected - 2: detected + 1])
    assert loss[detected] < loss[best]
    previous = val_loss[:detected]
    earlier_best = int(np.argmin(previous))
    assert not (len(previous) - 1 - earlier_best >= 3
                and all(v > 1.05 * previous[earlier_best] for v in previous[-3:])
                and loss[detected - 1] < loss[earlier_best])
    assert f"The validation loss has risen since epoch {best + 2} (lowest" in warning[0].message
    assert "EarlyStopping(monitor='val_loss'" in warning[0].suggestion and "Dropout" in warning[0].suggestion
    assert sum("overfitting" in message for message in printed) == 1


def test_healthy_run_reports_nothing():
    x, y = regression_data(512)
    _history, diagnostics, printed = run(mlp(), x, y, epochs=8, validation_split=0.2)
    assert printed == []
    assert diagnostics.warnings == []
    assert diagnostics.overfitting_epoch is None
    assert "No problems found." in diagnostics.report()
    for key, values in diagnostics.measurements.items():
        assert len(values) == 8 and all(math.isfinite(v) for v in values), key


# ---------------------------------------------------------------------- where results go


def test_history_keeps_keras_keys_and_points_at_the_diagnostics():
    x, y = regression_data(256)
    model = mlp()
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0, diagnose=True)
    assert sorted(history.history) == ["loss", "val_loss"]
    assert isinstance(history.diagnostics, Diagnostics)
    names = [layer.name for layer in model.layers]
    assert list(history.diagnostics.measurements) == [f"grad_norm/{n}" for n in names] + [
        f"dead_relu_fraction/{n}" for n in names[:2]]
    assert history.diagnostics.epochs == history.epoch == [0, 1]


def test_diagnose_true_does_not_add_a_second_diagnostics():
    x, y = regression_data(128)
    model = mlp()
    model.compile(optimizer="adam", loss="mse")
    mine = Diagnostics(verbose=0)
    history = model.fit(x, y, epochs=1, verbose=0, callbacks=[mine], diagnose=True)
    assert history.diagnostics is mine


def test_diagnose_true_prints_after_the_epoch_line(capsys):
    x, y = regression_data(256)
    model = mlp(bias_initializer=keras.initializers.Constant(-10.0))
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, verbose=2, diagnose=True)
    out = capsys.readouterr().out.splitlines()
    first_warning = next(i for i, line in enumerate(out) if line.startswith("Diagnostics, epoch 1:"))
    # Printed after epoch 1's progress line, not in the middle of it.
    assert out[first_warning - 1].startswith("8/8 - ")
    assert sum(line.startswith("Diagnostics, epoch 1: dead ReLU units.") for line in out) == 1


def test_verbose_0_prints_nothing_but_records(capsys):
    x, y = regression_data(256)
    model = mlp(bias_initializer=keras.initializers.Constant(-10.0))
    _history, diagnostics, _printed = run(model, x, y, epochs=1, diagnostics=Diagnostics(verbose=0))
    assert capsys.readouterr().out == ""
    assert "dead_relu" in kinds(diagnostics)
    assert isinstance(diagnostics.warnings[0], DiagnosticWarning)


def test_hooks_are_removed_and_sample_inputs_are_used():
    x, y = regression_data(512)
    model = mlp()
    _history, diagnostics, _printed = run(model, x, y, epochs=1)
    assert len(model._forward_pre_hooks) == 0 and len(model._forward_hooks) == 0
    assert all(len(layer._forward_hooks) == 0 for layer in model.layers)
    assert diagnostics._probe_size() == 256
    assert [batch.shape for batch in diagnostics._probe] == [(32, 20)] * 8  # probed as training batches
    # Explicit probe inputs: all negative inputs and non-negative weights/bias keep every unit dead.
    probe = -np.abs(x[:50])
    model = mlp(hidden=(8,), kernel_initializer="ones")
    _history, diagnostics, _printed = run(model, x, y, epochs=1,
                                          diagnostics=Diagnostics(sample_inputs=probe, verbose=0))
    assert [batch.shape[0] for batch in diagnostics._probe] == [32, 18]
    assert diagnostics.measurements[f"dead_relu_fraction/{model.layers[0].name}"] == [1.0]


def test_jit_compiled_models_need_sample_inputs_for_dead_units():
    x, _y = regression_data(64)
    model = mlp()
    model.compile(optimizer="adam", loss="mse")
    model(x[:2])
    model.jit_compile = True  # as compile(jit_compile=True) sets it; no hook may go into a compiled graph
    diagnostics = Diagnostics()
    diagnostics.set_model(model)
    diagnostics.on_train_begin()
    assert diagnostics._capture_handle is None
    assert ("Dead ReLU units were not counted and NaN sources not traced: with jit_compile=True, pass "
            "Diagnostics(sample_inputs=...) "
            "to name the inputs to probe.") in diagnostics.report()


def test_report_lists_warnings_and_the_last_values_per_layer():
    x, y = regression_data(256)
    model = mlp(hidden=(64, 64), bias_initializer=keras.initializers.Constant(-10.0))
    _history, diagnostics, _printed = run(model, x, y, epochs=2)
    text = diagnostics.report()
    lines = text.splitlines()
    assert lines[0] == "Diagnostics report (2 epochs)"
    assert lines[1] == "Problems found:"
    assert f"- {diagnostics.warnings[0]}" in lines
    assert "Last epoch, per layer:" in lines
    first = model.layers[0].name
    row = next(line for line in lines if line.strip().startswith(first + " "))
    assert row.split()[-2:] == ["0", "100%"]
    last = model.layers[-1].name
    last_row = next(line for line in lines if line.strip().startswith(last + " "))
    assert last_row.split()[-1] == "-"


def test_plot_draws_losses_gradients_and_dead_units(tmp_path):
    history, diagnostics, _printed = overfitting_run(epochs=10)
    path = tmp_path / "diagnostics.png"
    figure = diagnostics.plot(to_file=str(path))
    assert path.stat().st_size > 0
    assert figure._suptitle.get_text() == "Diagnostics report"
    loss_axis, grad_axis, dead_axis = figure.axes
    assert [a.get_title() for a in figure.axes] == ["Loss", "Gradient norm per layer", "Dead ReLU units"]
    lines = {line.get_label(): line for line in loss_axis.get_lines()}
    assert list(lines["training loss"].get_ydata()) == history.history["loss"]
    assert list(lines["validation loss"].get_ydata()) == history.history["val_loss"]
    onset = diagnostics.overfitting_epoch
    marker = lines[f"overfitting starts (epoch {onset + 1})"]
    assert list(marker.get_xdata()) == [onset + 1, onset + 1]
    assert grad_axis.get_yscale() == "log"
    grad_lines = {line.get_label(): line for line in grad_axis.get_lines()}
    for layer in diagnostics.model.layers:
        assert list(grad_lines[layer.name].get_ydata()) == diagnostics.measurements[f"grad_norm/{layer.name}"]
        assert list(grad_lines[layer.name].get_xdata()) == list(range(1, 11))
    dead_lines = {line.get_label(): line for line in dead_axis.get_lines()}
    for layer in diagnostics.model.layers[:2]:
        assert list(dead_lines[layer.name].get_ydata()) == \
            diagnostics.measurements[f"dead_relu_fraction/{layer.name}"]
    assert dead_axis.get_ylabel() == "fraction of units never active"


def test_plot_without_matplotlib_says_how_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError) as error:
        Diagnostics().plot()
    assert str(error.value) == ("Diagnostics.plot() needs matplotlib, which is not installed. Install it with "
                                "`pip install matplotlib` (or `pip install 'layerwise[plot]'`).")


# ---------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("kwargs, message", [
    ({"sample_size": 0}, "Diagnostics: `sample_size` must be an integer >= 1; got sample_size=0."),
    ({"dead_relu_threshold": 1.5},
     "Diagnostics: `dead_relu_threshold` must be a fraction in (0, 1]; got dead_relu_threshold=1.5."),
    ({"vanishing_ratio": 2},
     "Diagnostics: `vanishing_ratio` must be a number in (0, 1) such as 1e-3; got vanishing_ratio=2."),
    ({"exploding_ratio": 0.5},
     "Diagnostics: `exploding_ratio` must be a number > 1 such as 1e3; got exploding_ratio=0.5."),
    ({"divergence_factor": "big"},
     "Diagnostics: `divergence_factor` must be a finite number; got divergence_factor='big'."),
    ({"stall_epochs": 0}, "Diagnostics: `stall_epochs` must be an integer >= 1; got stall_epochs=0."),
    ({"stall_min_decrease": 1.0},
     "Diagnostics: `stall_min_decrease` must be a fraction in (0, 1) such as 0.1; got stall_min_decrease=1.0."),
    ({"overfitting_patience": 0},
     "Diagnostics: `overfitting_patience` must be an integer >= 1; got overfitting_patience=0."),
    ({"overfitting_min_rise": -1},
     "Diagnostics: `overfitting_min_rise` must be a finite number >= 0; got overfitting_min_rise=-1."),
    ({"verbose": -1}, "Diagnostics: `verbose` must be an integer >= 0; got verbose=-1."),
    ({"print_fn": 3}, "Diagnostics: `print_fn` must be a function taking a string; got print_fn=3."),
])
def test_bad_arguments_are_refused_with_the_argument_named(kwargs, message):
    with pytest.raises(ValueError) as error:
        Diagnostics(**kwargs)
    assert str(error.value) == message


def test_nan_appearing_later_is_traced_with_the_last_finite_weights():
    x, y = regression_data(256)
    model = mlp(hidden=(16, 16))

    def poison(epoch, logs):
        if epoch == 2:
            kernel = model.layers[1].kernel.numpy()
            kernel[:] = np.inf
            model.layers[1].kernel.assign(kernel)

    printed = []
    diagnostics = Diagnostics(print_fn=printed.append)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=4, verbose=0,
              callbacks=[diagnostics, keras.callbacks.LambdaCallback(on_epoch_begin=poison)])
    nan = [w for w in diagnostics.warnings if w.kind == "nan"]
    assert len(nan) == 1 and nan[0].epoch == 2
    assert ("With the weights from the end of epoch 2 (all finite) every layer's output is finite, so the "
            "updates of epoch 3 made them non-finite; now layer ") in nan[0].message
    # The model's weights are left as training made them (the probe swaps the old ones in and out).
    assert not np.isfinite(model.layers[1].kernel.numpy()).all()


def test_dead_units_are_counted_on_the_first_training_samples_only():
    rng = np.random.default_rng(0)
    x = -np.abs(rng.normal(size=(512, 20))).astype("float32")  # with kernel ones and zero bias: never fire
    y = rng.normal(size=(512, 1)).astype("float32")
    x_val = np.abs(x[:64])  # would make every unit fire
    model = mlp(hidden=(8,), kernel_initializer="ones")
    relu_layer = model.layers[0]
    hooked = {}

    def look(batch, logs):
        hooked[batch] = len(relu_layer._forward_hooks)

    diagnostics = Diagnostics(verbose=0)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-9), loss="mse")
    model.fit(x, y, epochs=2, verbose=0, shuffle=False, validation_data=(x_val, y[:64]),
              callbacks=[diagnostics, keras.callbacks.LambdaCallback(on_train_batch_end=look)])
    # Hooked for the first 256 samples (8 batches of 32), then not any more.
    assert [hooked[b] for b in range(16)] == [1] * 7 + [0] * 9
    # Validation inputs (which would fire) are not counted.
    assert diagnostics.measurements[f"dead_relu_fraction/{relu_layer.name}"] == [1.0, 1.0]
