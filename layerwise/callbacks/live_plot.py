"""``LivePlot``: the training curves, redrawn while ``fit`` runs.

In Jupyter the figure in the cell's output is replaced in place every
``every`` epochs; elsewhere a PNG file is rewritten, so that an image viewer
or an editor preview shows the run as it goes. Either way one figure is kept
and redrawn with matplotlib's Agg renderer (no GUI, no pyplot), and the file
is written to a temporary name and renamed, so a viewer never reads half a
PNG. The work happens at epoch ends only; steps are untouched.
"""

import numbers
import os
import tempfile
import warnings

from layerwise.callbacks.callback import Callback
from layerwise.saving.registry import builtin


@builtin("callbacks")
class LivePlot(Callback):
    """Draw the loss and metric curves during training, every ``every`` epochs.

    The figure is the one ``layerwise.utils.plot_history`` draws: one axis
    per metric with the training and validation curves. In Jupyter it
    appears in the cell's output and is updated in place; outside Jupyter
    (a script, a terminal) the PNG ``to_file`` is rewritten instead. A last
    update is drawn when training ends, so the final epoch is always shown.

    Args:
        metrics: the metrics to draw, as for ``plot_history`` (default: the
            loss, then every other metric).
        every: redraw every this many epochs (default 1). Drawing a PNG takes
            a few tens of milliseconds; raise ``every`` for very short epochs.
        to_file: the PNG to (re)write, default ``"training.png"``; ``None``
            writes no file (then only Jupyter shows the figure). The file is
            written in Jupyter too, so the picture can be kept.
        figsize: ``(width, height)`` in inches; default 5.5 x 4 per axis.
        dpi: resolution of the PNG.

    Example:

    >>> model.fit(x, y, epochs=100, validation_split=0.2, verbose=0,
    ...           callbacks=[layerwise.callbacks.LivePlot(every=5, to_file="run.png")])
    """

    def __init__(self, metrics=None, every=1, to_file="training.png", figsize=None, dpi=100):
        super().__init__()
        from layerwise.utils import plotting

        plotting.require_matplotlib("LivePlot")
        if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1:
            raise ValueError(f"LivePlot: `every` must be an integer >= 1 (epochs); got every={every!r}.")
        if to_file is not None:
            try:
                to_file = os.fspath(to_file)
            except TypeError:
                raise ValueError(
                    f"LivePlot: `to_file` must be a path (str or os.PathLike) or None; got to_file={to_file!r}."
                ) from None
        if metrics is not None and not isinstance(metrics, str):
            metrics = list(metrics)
        self.metrics = metrics
        self.every = int(every)
        self.to_file = to_file
        self.figsize = figsize
        self.dpi = dpi
        self.figure = None
        self.values = {}
        self.epochs = {}
        self._plotting = plotting
        self._notebook = False
        self._display = None
        self._epochs_seen = 0
        self._drawn_at = None
        self._panels = None
        self._lines = {}

    def on_train_begin(self, logs=None):
        self.values = {}
        self.epochs = {}
        self._epochs_seen = 0
        self._drawn_at = None
        self._display = None
        self._notebook = self._plotting.in_notebook()
        if not self._notebook and self.to_file is None:
            warnings.warn(
                "LivePlot: outside Jupyter with to_file=None there is nowhere to draw; give to_file a "
                "PNG path to follow training in a file.",
                stacklevel=2,
            )

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            number = self._plotting._as_number(value)
            if number is None:
                continue
            self.values.setdefault(name, []).append(number)
            self.epochs.setdefault(name, []).append(epoch + 1)
        self._epochs_seen += 1
        if self._epochs_seen == 1:
            # A `val_` name may appear later (validation_freq > 1); any other name should be here now.
            self._warn_missing(lambda name: not name.startswith("val_"))
        if self._epochs_seen % self.every == 0:
            self._redraw()

    def on_train_end(self, logs=None):
        if self._epochs_seen and self._drawn_at != self._epochs_seen:
            self._redraw()
        if self._epochs_seen:
            self._warn_missing(lambda name: name.startswith("val_"))

    def _requested(self):
        if self.metrics is None:
            return []
        return [self.metrics] if isinstance(self.metrics, str) else list(self.metrics)

    def _warn_missing(self, which):
        missing = [name for name in self._requested() if name not in self.values and which(name)]
        if missing:
            warnings.warn(
                f"LivePlot: the logs have no {', '.join(map(repr, missing))}, so it is not drawn; they have "
                f"{sorted(self.values)}.",
                stacklevel=3,
            )

    def _redraw(self):
        if not self.values or (not self._notebook and self.to_file is None):
            return
        plotting = self._plotting
        metrics = None
        if self.metrics is not None:
            # Names not logged (yet) are left out: validation may start after a few epochs.
            metrics = [name for name in self._requested() if name in self.values]
            if not metrics:
                return
        panels = plotting.panels_for(self.values, metrics, who="LivePlot")
        series = {key: (self.epochs[key], self.values[key]) for key in self.values}
        if self.figure is not None and panels == self._panels:
            # Same axes as last time: move the curves and rescale; titles, legends and the
            # layout stay, which makes a redraw cheap.
            plotting.update_history(self.figure, self._lines, series)
        else:
            if self.figure is None or len(panels) != len(self._panels or ()):
                self.figure = plotting.new_figure(len(panels), self.figsize)
            self._lines = plotting.draw_history(self.figure, panels, series)
            self._panels = panels
        png = plotting.figure_png(self.figure, dpi=self.dpi)
        if self.to_file is not None:
            self._write(png)
        if self._notebook:
            self._show(png)
        self._drawn_at = self._epochs_seen

    def _write(self, png):
        path = self.to_file
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".liveplot-", suffix=".png", dir=directory)
        try:
            with os.fdopen(handle, "wb") as f:
                f.write(png)
            os.replace(temporary, path)  # atomic: a viewer sees the old picture or the new one
        except BaseException:
            if os.path.exists(temporary):
                os.remove(temporary)
            raise

    def _show(self, png):
        from IPython.display import Image, display

        image = Image(data=png, format="png")
        if self._display is None:
            self._display = display(image, display_id=True)
        else:
            self._display.update(image)
