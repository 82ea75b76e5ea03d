"""LivePlot: a PNG rewritten every N epochs outside Jupyter, a display updated in place inside it."""

import os
import sys
import types

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.image import imread

import layerwise
from layerwise.callbacks.live_plot import LivePlot


class CountingLivePlot(LivePlot):
    """Records the epochs (seen so far) at which the figure was drawn."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.drawn = []

    def _redraw(self):
        before = self._drawn_at
        super()._redraw()
        if self._drawn_at != before:
            self.drawn.append(self._epochs_seen)


def _fit(callback, epochs=5, validation_freq=1):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
    model = layerwise.Sequential([layerwise.Input((3,)), layerwise.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model.fit(x, y, epochs=epochs, validation_split=0.25, validation_freq=validation_freq, verbose=0,
                     callbacks=[callback])


def _lines(axis):
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in axis.get_lines()}


def test_png_is_rewritten_every_n_epochs_and_at_the_end(tmp_path):
    path = tmp_path / "run" / "training.png"
    callback = CountingLivePlot(every=2, to_file=path)
    history = _fit(callback, epochs=5)
    assert callback.drawn == [2, 4, 5]  # every 2 epochs, and the last epoch at the end
    assert imread(path).shape[:2] == (400, 1100)  # two axes of 5.5 x 4 inches at 100 dpi
    assert os.listdir(path.parent) == ["training.png"]  # written under a temporary name, then renamed
    loss, accuracy = callback.figure.axes
    assert loss.get_title() == "Training and validation loss"
    assert accuracy.get_title() == "Training and validation accuracy"
    epochs = [1, 2, 3, 4, 5]
    assert _lines(loss) == {"Training loss": (epochs, history.history["loss"]),
                            "Validation loss": (epochs, history.history["val_loss"])}
    assert _lines(accuracy)["Training accuracy"] == (epochs, history.history["accuracy"])
    assert plt.get_fignums() == []  # its own Agg figure: no pyplot window


def test_the_picture_follows_training(tmp_path):
    """The file written mid-training shows the epochs so far; the axes rescale as values come in."""
    path = tmp_path / "training.png"
    snapshots = []

    class Snapshot(LivePlot):
        def _redraw(self):
            super()._redraw()
            snapshots.append((path.read_bytes(), self.figure.axes[0].get_xlim()))

    _fit(Snapshot(every=1, to_file=path), epochs=3)
    assert len(snapshots) == 3
    assert len({png for png, _ in snapshots}) == 3  # each epoch a new picture
    assert snapshots[0][1][1] < snapshots[2][1][1]  # the epoch axis grew


def test_every_epoch_draws_once_per_epoch(tmp_path):
    callback = CountingLivePlot(to_file=tmp_path / "t.png")
    _fit(callback, epochs=3)
    assert callback.drawn == [1, 2, 3]  # nothing extra at the end


def test_chosen_metrics_and_validation_freq(tmp_path):
    callback = CountingLivePlot(metrics=["loss"], to_file=tmp_path / "loss.png")
    history = _fit(callback, epochs=4, validation_freq=2)
    (axis,) = callback.figure.axes
    assert _lines(axis) == {"Training loss": ([1, 2, 3, 4], history.history["loss"]),
                            "Validation loss": ([2, 4], history.history["val_loss"])}


class _Handle:
    def __init__(self, log):
        self.log = log

    def update(self, image):
        self.log.append(("update", image))


def _fake_jupyter(monkeypatch):
    """An IPython kernel as far as LivePlot can tell: get_ipython().kernel and IPython.display."""
    log = []
    shell = types.SimpleNamespace(kernel=object())
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell
    display = types.ModuleType("IPython.display")

    class Image:
        def __init__(self, data, format):
            self.data, self.format = data, format

    def show(image, display_id=False):
        log.append(("display", image, display_id))
        return _Handle(log)

    display.Image = Image
    display.display = show
    ipython.display = display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    return log


def test_in_jupyter_the_output_is_updated_in_place(tmp_path, monkeypatch):
    log = _fake_jupyter(monkeypatch)
    callback = CountingLivePlot(every=2, to_file=None)
    _fit(callback, epochs=4)
    assert callback.drawn == [2, 4]
    assert [entry[0] for entry in log] == ["display", "update"]  # one output, redrawn in place
    assert log[0][2] is True  # shown with a display id, so it can be updated
    for entry in log:
        assert entry[1].format == "png" and entry[1].data[:8] == b"\x89PNG\r\n\x1a\n"


def test_in_jupyter_the_file_is_written_too_when_asked(tmp_path, monkeypatch):
    _fake_jupyter(monkeypatch)
    _fit(LivePlot(to_file=tmp_path / "kept.png"), epochs=2)
    assert (tmp_path / "kept.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_nowhere_to_draw_warns(tmp_path):
    callback = CountingLivePlot(to_file=None)
    with pytest.warns(UserWarning) as caught:
        _fit(callback, epochs=2)
    assert [str(w.message) for w in caught] == [
        ("LivePlot: outside Jupyter with to_file=None there is nowhere to draw; give to_file a PNG path to "
         "follow training in a file.")
    ]
    assert callback.figure is None


def test_defaults_and_export():
    callback = LivePlot()
    assert (callback.metrics, callback.every, callback.to_file, callback.figsize, callback.dpi) == (
        None, 1, "training.png", None, 100)
    assert layerwise.callbacks.LivePlot is LivePlot


@pytest.mark.parametrize("kwargs, message", [
    ({"every": 0}, "LivePlot: `every` must be an integer >= 1 (epochs); got every=0."),
    ({"every": 1.5}, "LivePlot: `every` must be an integer >= 1 (epochs); got every=1.5."),
    ({"to_file": 3}, "LivePlot: `to_file` must be a path (str or os.PathLike) or None; got to_file=3."),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError) as error:
        LivePlot(**kwargs)
    assert str(error.value) == message


def test_unknown_metric_is_reported_once_and_skipped(tmp_path):
    callback = CountingLivePlot(metrics=["acc", "loss"], to_file=tmp_path / "x.png")
    with pytest.warns(UserWarning) as caught:
        _fit(callback, epochs=3)
    assert [str(w.message) for w in caught] == [
        ("LivePlot: the logs have no 'acc', so it is not drawn; they have "
         "['accuracy', 'loss', 'val_accuracy', 'val_loss'].")
    ]
    assert [axis.get_title() for axis in callback.figure.axes] == ["Training and validation loss"]


def test_a_validation_metric_is_drawn_once_validation_has_run(tmp_path):
    callback = CountingLivePlot(metrics=["val_loss"], to_file=tmp_path / "v.png")
    history = _fit(callback, epochs=4, validation_freq=3)
    assert callback.drawn == [3, 4]  # no val_loss before epoch 3: nothing to draw
    (axis,) = callback.figure.axes
    assert _lines(axis)["Validation loss"] == ([3], history.history["val_loss"])


def test_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError) as error:
        LivePlot()
    assert str(error.value) == "LivePlot needs matplotlib: pip install matplotlib (or pip install 'layerwise[plot]')."
