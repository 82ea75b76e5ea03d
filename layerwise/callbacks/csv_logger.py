"""``CSVLogger``: one row of epoch results per epoch, streamed to a CSV file."""

import collections.abc
import csv
import os
import warnings

import numpy as np

from layerwise.callbacks.callback import Callback
from layerwise.saving.registry import builtin


def _cell(value):
    """How a logged value is written: strings and numbers as they are, 1-d sequences as ``"[a, b]"``."""
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value
    if hasattr(value, "detach"):  # a torch tensor left in the logs by a custom loop
        value = value.detach().cpu()
        return value.item() if value.ndim == 0 else value.tolist()
    if isinstance(value, collections.abc.Iterable):
        return f'"[{", ".join(map(str, value))}]"'
    return value


@builtin("callbacks")
class CSVLogger(Callback):
    """Write the epoch results of ``fit`` to a CSV file, one row per epoch.

    The first row is the header: ``epoch``, then the logged names in sorted
    order (``accuracy, loss, val_accuracy, val_loss``). As in Keras, when the
    first epoch has no ``val_`` values (no validation data, or
    ``validation_freq`` > 1), ``val_`` columns are added for every name and
    filled with ``NA`` where there is no value, so that the columns do not
    change when validation runs. The file is flushed after every row and
    closed at the end of training.

    Args:
        filename: path of the CSV file (str or ``os.PathLike``), e.g. ``"run/log.csv"``.
        separator: the one character between fields (default ``","``).
        append: True continues an existing file (no second header when the
            file already has one; useful when resuming training); False
            (default) overwrites it.

    Example:

    >>> csv_logger = layerwise.callbacks.CSVLogger("training.log")
    >>> model.fit(x_train, y_train, epochs=5, callbacks=[csv_logger])
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        try:
            self.filename = os.fspath(filename)
        except TypeError:
            raise ValueError(
                f"CSVLogger: `filename` must be a path (str or os.PathLike); got filename={filename!r}."
            ) from None
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(
                f"CSVLogger: `separator` must be a single character such as ',' or ';' or '\\t'; "
                f"got separator={separator!r}."
            )
        self.sep = separator
        self.append = bool(append)
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None
        self._existing_header = None

    def on_train_begin(self, logs=None):
        self._existing_header = None
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, newline="") as f:
                    first = f.readline()
                self.append_header = not bool(len(first))
                if first.strip():
                    self._existing_header = next(csv.reader([first], delimiter=self.sep))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")  # noqa: SIM115 (open for the whole fit)
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend([f"val_{key}" for key in self.keys])
        if self.writer is None:
            separator = self.sep

            class Dialect(csv.excel):
                delimiter = separator

            fieldnames = ["epoch"] + self.keys
            self.writer = csv.DictWriter(self.csv_file, fieldnames=fieldnames, dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
            elif self._existing_header is not None and self._existing_header != fieldnames:
                warnings.warn(
                    f"CSVLogger: appending to {self.filename!r}, whose columns are "
                    f"{self._existing_header}, rows with the columns {fieldnames}; the file's header "
                    "does not describe the new rows.",
                    stacklevel=2,
                )
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
