"""plot_history: what is drawn (lines, labels, titles, legends, data), what is written, and its errors."""

import sys
import types

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

import layerwise
from layerwise.utils import plotting
from layerwise.utils.plotting import plot_history


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _lines(axis):
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in axis.get_lines()}


def _legend(axis):
    return [text.get_text() for text in axis.get_legend().get_texts()]


@pytest.fixture(scope="module")
def history():
    layerwise.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = layerwise.Sequential([layerwise.Input((4,)), layerwise.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=4, validation_split=0.25, verbose=0)


def test_one_axis_per_metric_with_training_and_validation(history, tmp_path):
    figure = plot_history(history, to_file=tmp_path / "history.png")
    assert isinstance(figure, Figure)
    loss, accuracy = figure.axes
    assert loss.get_title() == "Training and validation loss"
    assert accuracy.get_title() == "Training and validation accuracy"
    assert [loss.get_xlabel(), loss.get_ylabel()] == ["Epoch", "Loss"]
    assert [accuracy.get_xlabel(), accuracy.get_ylabel()] == ["Epoch", "Accuracy"]
    assert _legend(loss) == ["Training loss", "Validation loss"]
    epochs = [1, 2, 3, 4]
    assert _lines(loss) == {
        "Training loss": (epochs, history.history["loss"]),
        "Validation loss": (epochs, history.history["val_loss"]),
    }
    assert _lines(accuracy) == {
        "Training accuracy": (epochs, history.history["accuracy"]),
        "Validation accuracy": (epochs, history.history["val_accuracy"]),
    }


def test_the_png_is_written(history, tmp_path):
    path = tmp_path / "plots" / "history.png"  # the folder is created
    plot_history(history, to_file=str(path), figsize=(8, 3), dpi=50)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert imread(path).shape[:2] == (150, 400)  # figsize x dpi


def test_the_lessons_metric_list_draws_one_axis():
    values = {
        "loss": [9.0, 7.0, 6.0], "root_mean_squared_error": [3.0, 2.6, 2.4],
        "val_loss": [10.0, 8.0, 8.5], "val_root_mean_squared_error": [3.2, 2.8, 2.9],
    }
    figure = plot_history(values, ["root_mean_squared_error", "val_root_mean_squared_error"])
    (axis,) = figure.axes
    assert axis.get_title() == "Training and validation root mean squared error"
    assert axis.get_ylabel() == "Root mean squared error"
    assert _lines(axis) == {
        "Training root mean squared error": ([1, 2, 3], [3.0, 2.6, 2.4]),
        "Validation root mean squared error": ([1, 2, 3], [3.2, 2.8, 2.9]),
    }


def test_metric_selection():
    values = {"loss": [1.0, 0.5], "mae": [0.9, 0.4], "val_loss": [1.1, 0.7], "val_mae": [1.0, 0.6],
              "learning_rate": [0.01, 0.001]}
    # Default: the loss, then the metrics; the learning rate is not a metric.
    assert [a.get_title() for a in plot_history(values).axes] == [
        "Training and validation loss", "Training and validation MAE"]
    # A name brings its validation partner; a val_ name lands on its partner's axis.
    (axis,) = plot_history(values, "mae").axes
    assert _legend(axis) == ["Training MAE", "Validation MAE"]
    (axis,) = plot_history(values, ["val_loss"]).axes
    assert _legend(axis) == ["Training loss", "Validation loss"]
    (axis,) = plot_history(values, ["learning_rate"]).axes
    assert axis.get_title() == "Training learning rate"
    assert _legend(axis) == ["Training learning rate"]


def test_history_dict_and_dataframe_and_no_validation():
    import pandas as pd

    values = {"loss": [3.0, 2.0, 1.5], "accuracy": [0.5, 0.6, 0.7]}
    for history in (values, pd.DataFrame(values)):
        loss, accuracy = plot_history(history).axes
        assert loss.get_title() == "Training loss"
        assert _lines(loss) == {"Training loss": ([1, 2, 3], [3.0, 2.0, 1.5])}
        assert _lines(accuracy) == {"Training accuracy": ([1, 2, 3], [0.5, 0.6, 0.7])}
    (axis,) = plot_history({"val_loss": [2.0, 1.0]}).axes
    assert axis.get_title() == "Validation loss"


def test_epochs_follow_history_epoch_and_validation_freq():
    history = layerwise.callbacks.History()
    history.epoch = [5, 6, 7, 8]  # fit(initial_epoch=5)
    history.history = {"loss": [4.0, 3.0, 2.0, 1.0], "val_loss": [3.5, 1.5]}  # validation_freq=2
    (axis,) = plot_history(history).axes
    assert _lines(axis) == {
        "Training loss": ([6, 7, 8, 9], [4.0, 3.0, 2.0, 1.0]),
        "Validation loss": ([7, 9], [3.5, 1.5]),
    }


def test_layout_and_markers():
    many = {f"m{i}": [float(i)] * 60 for i in range(4)}
    figure = plot_history(many)
    assert [ax.get_subplotspec().get_geometry()[:2] for ax in figure.axes] == [(2, 2)] * 4
    assert figure.axes[0].get_lines()[0].get_marker() == "None"  # 60 epochs: no dots
    few = plot_history({"loss": [1.0, 2.0]})
    assert few.axes[0].get_lines()[0].get_marker() == "o"
    assert tuple(few.get_size_inches()) == (5.5, 4.0)


def test_pyplot_owns_the_figure_only_without_to_file(history, tmp_path):
    shown = plot_history(history)
    assert shown.number in plt.get_fignums()  # plt.show() opens it
    saved = plot_history(history, to_file=tmp_path / "h.png")
    assert saved not in [plt.figure(n) for n in plt.get_fignums()]  # writing files leaks no windows


def test_in_jupyter_a_returned_figure_is_drawn_once(history, monkeypatch):
    registered = {}

    class Formatter:
        def lookup_by_type(self, kind):
            raise KeyError(kind)

        def for_type(self, kind, function):
            registered[kind] = function

    shell = types.SimpleNamespace(kernel=object(),
                                  display_formatter=types.SimpleNamespace(formatters={"image/png": Formatter()}))
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", fake)
    figures_before = plt.get_fignums()
    figure = plot_history(history)
    # Not given to pyplot (whose inline backend would draw it a second time) ...
    assert plt.get_fignums() == figures_before
    # ... and Jupyter can draw the returned Figure as a PNG.
    assert registered[Figure](figure)[:8] == b"\x89PNG\r\n\x1a\n"


def test_errors(history):
    with pytest.raises(ValueError) as error:
        plot_history(history, ["acc"])
    assert str(error.value) == (
        "plot_history: the history has no 'acc'; it has ['accuracy', 'loss', 'val_accuracy', 'val_loss']. "
        "Names are the keys of history.history, e.g. 'loss', 'val_loss', 'accuracy'."
    )
    with pytest.raises(ValueError) as error:
        plot_history(history, [])
    assert str(error.value) == "plot_history: `metrics` is empty; name at least one, e.g. metrics=['loss']."
    with pytest.raises(ValueError) as error:
        plot_history({})
    assert str(error.value) == (
        "plot_history: the history is empty. Pass the History that fit() returns, after at least one "
        "epoch (history = model.fit(...))."
    )
    with pytest.raises(TypeError) as error:
        plot_history([1.0, 2.0])
    assert str(error.value) == "plot_history expects the History returned by fit() (or its .history dict); got list."
    with pytest.raises(TypeError) as error:
        plot_history({"loss": 0.5})
    assert str(error.value) == "plot_history: the history entry 'loss' must be a list of per-epoch values; got float."


def test_without_matplotlib(monkeypatch, history):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError) as error:
        plot_history(history)
    assert str(error.value) == "plot_history needs matplotlib: pip install matplotlib (or pip install 'layerwise[plot]')."


def test_exported_like_keras_utils():
    assert layerwise.utils.plot_history is plot_history
    assert plotting.x_positions(3, [1, 2, 3, 4, 5, 6]) == [2, 4, 6]
