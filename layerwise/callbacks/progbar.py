"""The progress bar ``fit``, ``evaluate`` and ``predict`` print (``verbose=1`` and ``2``).

Same lines as Keras 3::

    Epoch 1/10
    25/25 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 0.4521 - val_loss: 0.4013

In a terminal or Jupyter, ``verbose=1`` redraws one line in place (at most
every 0.05 s, so reading the metrics costs one device sync per redraw, not
per step). When the output is a file or a pipe, no per-step lines are
written at all: each epoch prints its final line only, without colour codes.
``verbose=2`` prints that final line per epoch everywhere.
"""

import math
import os
import sys
import time

from layerwise.callbacks.callback import Callback


def _dynamic_display():
    stdout = sys.stdout
    return (hasattr(stdout, "isatty") and stdout.isatty()) or "ipykernel" in sys.modules \
        or "PYCHARM_HOSTED" in os.environ


def _format_value(value):
    if isinstance(value, (int, float)):
        return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"
    return str(value)


def _format_step_time(seconds, unit):
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit}"
    return f" {seconds * 1e6:.0f}us/{unit}"


def _format_eta(seconds):
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


class Progbar:
    """A Keras-style progress bar.

    Args:
        target: total number of steps, or None if unknown.
        width: width of the bar in characters.
        verbose: 1 (a live bar) or 2 (one line when done).
        interval: least time in seconds between two redraws.
        unit_name: what a step is called (``step``).

    Example:

    >>> bar = layerwise.utils.Progbar(10)
    >>> for step in range(1, 11):
    ...     bar.update(step, [("loss", 0.5)])
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 unit_name="step"):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self._dynamic = _dynamic_display()
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._prev_width = 0
        self._seen = 0

    def due(self, current, finalize=False):
        """True if ``update(current)`` would draw now (so its values are worth computing)."""
        if self.verbose != 1 or finalize:
            return finalize or self.verbose == 1 and self._dynamic
        return self._dynamic and time.time() - self._last_update >= self.interval

    def _step_time(self, current, now):
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            return (now - self._time_after_first_step) / (current - 1)
        return (now - self._start) / current

    def update(self, current, values=None, finalize=None):
        """Draw the bar at step ``current`` with ``values``, a list of ``(name, value)``."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        now = time.time()
        if current == 1 and self._time_after_first_step is None:
            self._time_after_first_step = now
        step_time = self._step_time(current, now)
        self._seen = current
        values = values or []
        if self.verbose == 1:
            if not finalize and (not self._dynamic or now - self._last_update < self.interval):
                return
            self._draw_live(current, values, step_time, now, finalize)
        elif self.verbose == 2 and finalize and self.target:
            digits = int(math.log10(self.target)) + 1
            line = f"{current:{digits}d}/{self.target} - {now - self._start:.0f}s -"
            line += _format_step_time(step_time, self.unit_name)
            line += "".join(f" - {name}: {_format_value(value)}" for name, value in values)
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        self._last_update = now

    def _draw_live(self, current, values, step_time, now, finalize):
        color = self._dynamic

        def paint(text, code):
            return f"\x1b[{code}m{text}\x1b[0m" if color else text

        if self.target:
            digits = int(math.log10(self.target)) + 1
            done = int(self.width * current / self.target)
            bar = paint(f"{current:{digits}d}/{self.target}", "1") + " "
            if done:
                bar += paint("━" * done, "32")
            bar += paint("━" * (self.width - done), "37")
            plain_bar = len(f"{current:{digits}d}/{self.target}") + 1 + self.width
        else:
            bar = "%7d/Unknown" % current
            plain_bar = len(bar)
        if self.target and not finalize:
            elapsed = _format_eta(step_time * (self.target - current))
        else:
            elapsed = f"{now - self._start:.0f}s"
        info = " " + paint(elapsed, "1") + _format_step_time(step_time, self.unit_name)
        info += "".join(f" - {name}: {_format_value(value)}" for name, value in values)
        plain_info = 1 + len(elapsed) + len(_format_step_time(step_time, self.unit_name)) + \
            sum(len(f" - {name}: {_format_value(value)}") for name, value in values)
        width = plain_bar + plain_info
        if self._dynamic:
            message = "\b" * self._prev_width + "\r" + bar + info
            if self._prev_width > width:
                message += " " * (self._prev_width - width)
        else:
            message = bar + info
        if finalize:
            message += "\n"
        sys.stdout.write(message)
        sys.stdout.flush()
        self._prev_width = width


class ProgbarLogger(Callback):
    """Prints the progress bar and the epoch lines; ``fit`` adds it when ``verbose`` is not 0.

    Example:

    >>> model.fit(x, y, epochs=2, verbose=2)   # one line per epoch
    Epoch 1/2
    4/4 - 0s - 3ms/step - loss: 0.6931
    """

    def __init__(self):
        super().__init__()
        self._bar = None
        self._epochs = 1
        self._verbose = 1

    def set_params(self, params):
        super().set_params(params)
        self._verbose = params.get("verbose", 1)
        self._epochs = params.get("epochs", 1)

    def _new_bar(self, target):
        self._bar = Progbar(target=target, verbose=self._verbose, unit_name="step")
        self._seen = 0

    def on_train_begin(self, logs=None):
        self._training = True

    def on_train_end(self, logs=None):
        self._training = False

    def on_epoch_begin(self, epoch, logs=None):
        self._new_bar(self.params.get("steps"))
        if self._verbose and self._epochs > 1:
            sys.stdout.write(f"Epoch {epoch + 1}/{self._epochs}\n")
            sys.stdout.flush()

    def on_train_batch_end(self, batch, logs=None):
        self._batch_update(batch, logs)

    def on_test_begin(self, logs=None):
        if not getattr(self, "_training", False):
            self._new_bar(self.params.get("steps"))

    def on_predict_begin(self, logs=None):
        self._new_bar(self.params.get("steps"))

    def on_test_batch_end(self, batch, logs=None):
        if not getattr(self, "_training", False):
            self._batch_update(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._batch_update(batch, None)

    def _batch_update(self, batch, logs):
        self._seen = batch + 1
        if self._bar.due(self._seen):
            self._bar.update(self._seen, list((logs or {}).items()), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self._finish(logs)

    def on_test_end(self, logs=None):
        if not getattr(self, "_training", False):
            self._finish(logs)

    def on_predict_end(self, logs=None):
        self._finish(None)

    def _finish(self, logs):
        if self._bar.target is None:
            self._bar.target = self._seen
        self._bar.update(self._bar.target, list((logs or {}).items()), finalize=True)
