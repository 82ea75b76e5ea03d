"""``plot_history``: the loss and metric curves of ``fit``, drawn as the lessons draw them.

One axis per metric (the loss first), the training curve and the validation
curve on the same axis, epochs (counted from 1, as the progress bar counts
them) on the x axis, "Training loss" / "Validation loss" in the legend and
"Training and validation loss" as the title. matplotlib is an optional
dependency, imported only when a plot is drawn. ``LivePlot``
(``layerwise.callbacks``) draws the same figure while training runs.
"""

import io
import math
import numbers
import os
import sys

import numpy as np

# Logged values that are not metrics: left out unless asked for by name.
_NOT_METRICS = ("learning_rate", "lr")


def require_matplotlib(who):
    """The ``matplotlib`` module, or an ImportError saying that ``who`` needs it and how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            f"{who} needs matplotlib: pip install matplotlib (or pip install 'layerwise[plot]')."
        ) from None
    return matplotlib


def in_notebook():
    """True inside a Jupyter (IPython kernel) session, e.g. JupyterLab, Notebook, Colab, VS Code."""
    if "IPython" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _as_number(value):
    """A logged value as a float; None when it is not one number (e.g. per-class F1 scores)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.size == 1 and array.dtype.kind in "fiu":
        return float(array.reshape(()))
    return None


def history_values(history, who="plot_history"):
    """``({name: [float, ...]}, epochs)`` from a History, its ``.history`` dict or a DataFrame of it.

    ``epochs`` are the epoch numbers counted from 1 (``History.epoch`` + 1 when
    it lines up with the values, else ``1..n``). Series whose values are not
    single numbers are left out.
    """
    epoch_indices = None
    if hasattr(history, "history") and isinstance(history.history, dict):
        epoch_indices = list(getattr(history, "epoch", None) or [])
        raw = history.history
    elif isinstance(history, dict):
        raw = history
    elif hasattr(history, "columns") and hasattr(history, "to_dict"):  # pandas.DataFrame(history.history)
        raw = {str(column): list(history[column]) for column in history.columns}
    else:
        raise TypeError(
            f"{who} expects the History returned by fit() (or its .history dict); got "
            f"{type(history).__name__}."
        )
    values = {}
    for name, series in raw.items():
        if isinstance(series, (str, bytes)) or not hasattr(series, "__len__"):
            raise TypeError(
                f"{who}: the history entry {name!r} must be a list of per-epoch values; got "
                f"{type(series).__name__}."
            )
        numbers_ = [_as_number(v) for v in series]
        if numbers_ and all(v is not None for v in numbers_):
            values[str(name)] = numbers_
    longest = max((len(v) for v in values.values()), default=0)
    if longest == 0:
        raise ValueError(
            f"{who}: the history is empty. Pass the History that fit() returns, after at least one epoch "
            "(history = model.fit(...))."
        )
    if epoch_indices is not None and len(epoch_indices) == longest:
        epochs = [int(e) + 1 for e in epoch_indices]
    else:
        epochs = list(range(1, longest + 1))
    return values, epochs


def x_positions(length, epochs):
    """Epoch numbers for a series of ``length`` values in a run of ``epochs``.

    A series shorter than the run is the validation of ``fit(validation_freq=k)``,
    which runs after epochs ``k, 2k, ...``; ``k`` is taken as ``len(epochs) // length``.
    """
    if length == len(epochs):
        return list(epochs)
    if 0 < length < len(epochs):
        every = len(epochs) // length
        return [epochs[(i + 1) * every - 1] for i in range(length)]
    start = epochs[0] if epochs else 1
    return list(range(start, start + length))


def panels_for(names, metrics, who="plot_history"):
    """The axes to draw: ``[(base name, training key or None, validation key or None), ...]``.

    ``metrics`` None: the loss, then every other logged metric. A name adds its
    ``val_`` partner when the history has it; ``'val_x'`` lands on the axis of
    ``'x'``, so the lesson's ``['root_mean_squared_error',
    'val_root_mean_squared_error']`` draws one axis with both curves.
    """
    available = list(names)
    if metrics is None:
        bases = [n for n in available if not n.startswith("val_") and n not in _NOT_METRICS]
        bases += [n[4:] for n in available
                  if n.startswith("val_") and n[4:] not in bases and n[4:] not in _NOT_METRICS]
        bases.sort(key=lambda n: (n != "loss", available.index(n) if n in available else len(available)))
    else:
        requested = [metrics] if isinstance(metrics, str) else list(metrics)
        if not requested:
            raise ValueError(f"{who}: `metrics` is empty; name at least one, e.g. metrics=['loss'].")
        bases = []
        for name in requested:
            if not isinstance(name, str):
                raise TypeError(f"{who}: `metrics` must hold metric names (str); got {name!r}.")
            if name not in available:
                raise ValueError(
                    f"{who}: the history has no {name!r}; it has {sorted(available)}. Names are the keys "
                    "of history.history, e.g. 'loss', 'val_loss', 'accuracy'."
                )
            base = name[4:] if name.startswith("val_") and name[4:] in available else name
            if base.startswith("val_") and base[4:] not in available:
                base = base[4:]
            if base not in bases:
                bases.append(base)
    panels = []
    for base in bases:
        train = base if base in available else None
        val = f"val_{base}" if f"val_{base}" in available else None
        if train or val:
            panels.append((base, train, val))
    if not panels:
        raise ValueError(f"{who}: the history holds no per-epoch numbers to draw; it has {sorted(available)}.")
    return panels


# Abbreviations that read better in capitals ("Training MAE", not "Training mae").
_ABBREVIATIONS = {"mae", "mse", "rmse", "mape", "msle", "auc", "iou", "kld", "r2"}


def _label(name):
    """A logged name as words: ``'root_mean_squared_error'`` -> ``'root mean squared error'``."""
    return " ".join(word.upper() if word in _ABBREVIATIONS else word for word in name.split("_"))


def grid_shape(count):
    """Rows and columns for ``count`` axes: side by side, at most three to a row."""
    columns = min(count, 3) if count != 4 else 2
    return math.ceil(count / columns), columns


def draw_history(figure, panels, series):
    """Draw ``panels`` on ``figure`` (cleared first); ``series[key] = (x, y)``.

    Returns ``{key: Line2D}`` so that :func:`update_history` can move the
    curves later without drawing the axes again.
    """
    figure.clear()
    rows, columns = grid_shape(len(panels))
    lines = {}
    for index, (base, train, val) in enumerate(panels):
        axis = figure.add_subplot(rows, columns, index + 1)
        label = _label(base)
        for key, kind, color in ((train, "Training", "C0"), (val, "Validation", "C1")):
            if key is None:
                continue
            x, y = series[key]
            (lines[key],) = axis.plot(x, y, color=color, marker=_marker(len(x)), markersize=3, linewidth=1.5,
                                      label=f"{kind} {label}")
        if train and val:
            axis.set_title(f"Training and validation {label}")
        else:
            axis.set_title(f"{'Training' if train else 'Validation'} {label}")
        axis.set_xlabel("Epoch")
        axis.set_ylabel(label[:1].upper() + label[1:])
        axis.xaxis.get_major_locator().set_params(integer=True)
        axis.grid(True, alpha=0.3)
        axis.legend()
    figure.tight_layout()
    # tight_layout leaves a placeholder layout engine behind, which makes every savefig draw the
    # figure twice; the margins it computed are kept without it.
    figure.set_layout_engine(None)
    return lines


def update_history(figure, lines, series):
    """Move the curves drawn by :func:`draw_history` to new ``series``; the axes rescale to fit."""
    for key, line in lines.items():
        x, y = series[key]
        line.set_data(x, y)
        line.set_marker(_marker(len(x)))
    for axis in figure.axes:
        axis.relim()
        axis.autoscale_view()


def _marker(count):
    # Dots mark the epochs while there are few of them; with many they only blur the line.
    return "o" if count <= 50 else "None"


def new_figure(panel_count, figsize=None, managed=False):
    """A figure sized for ``panel_count`` axes; ``managed`` figures belong to pyplot (``plt.show()``)."""
    rows, columns = grid_shape(panel_count)
    size = figsize or (5.5 * columns, 4.0 * rows)
    if managed:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=size)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=size)
    FigureCanvasAgg(figure)  # draws without pyplot, a GUI or the global backend
    return figure


def figure_png(figure, dpi=100):
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _show_figures_in_notebook():
    """Make sure Jupyter draws a returned Figure as an image (pyplot's inline backend may not be loaded)."""
    from IPython import get_ipython
    from matplotlib.figure import Figure

    formatter = get_ipython().display_formatter.formatters.get("image/png")
    if formatter is None:
        return
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        formatter.for_type(Figure, lambda figure: figure_png(figure))


def plot_history(history, metrics=None, to_file=None, figsize=None, dpi=100):
    """Plot the training and validation curves of ``fit``: one axis per metric.

    Each axis holds the training curve ("Training loss") and, when the
    history has it, the validation curve ("Validation loss") of one metric,
    over the epochs (x axis, counted from 1). Comparing them shows
    overfitting: the validation curve turns up while the training curve
    keeps going down.

    Args:
        history: the ``History`` that ``fit`` returns, its ``.history`` dict,
            or ``pandas.DataFrame(history.history)``.
        metrics: which metrics to draw: a name or a list of names, e.g.
            ``'loss'``, ``['loss', 'accuracy']`` or the lesson's
            ``['root_mean_squared_error', 'val_root_mean_squared_error']``
            (a ``val_`` name goes on the axis of its training partner, and
            naming a metric also draws its ``val_`` partner). Default: the
            loss, then every other metric (not the learning rate).
        to_file: also save the figure to this path (PNG, or the format of
            the extension: ``.svg``, ``.pdf``, ...).
        figsize: ``(width, height)`` in inches; default 5.5 x 4 per axis.
        dpi: resolution of the saved file.

    Returns:
        The matplotlib ``Figure``. In a script without ``to_file`` it belongs
        to pyplot, so ``plt.show()`` opens it; with ``to_file`` (outside
        Jupyter) it does not, so making many plots leaks no windows. In
        Jupyter, a cell ending in ``plot_history(...)`` shows it once.

    Example:

    >>> history = model.fit(x, y, epochs=20, validation_split=0.2, verbose=0)
    >>> figure = layerwise.utils.plot_history(history, to_file="history.png")
    >>> [axis.get_title() for axis in figure.axes]
    ['Training and validation loss']
    """
    require_matplotlib("plot_history")
    values, epochs = history_values(history)
    panels = panels_for(values, metrics)
    notebook = in_notebook()
    figure = new_figure(len(panels), figsize, managed=not notebook and to_file is None)
    series = {key: (x_positions(len(values[key]), epochs), values[key]) for key in values}
    draw_history(figure, panels, series)
    if to_file is not None:
        path = os.fspath(to_file)
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        figure.savefig(path, dpi=dpi)
    if notebook:
        _show_figures_in_notebook()
    return figure
