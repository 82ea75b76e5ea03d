"""The weather lesson's data: daily weather of European cities, 2000-2009 (F. Huber et al., Zenodo).

:func:`load_data` fetches the files the Carpentries "Introduction to deep
learning" lesson reads with ``pd.read_csv(<zenodo URL>)`` and returns the
same ``pandas.DataFrame``:

* ``"light"``: ``weather_prediction_dataset_light.csv`` (Zenodo record
  5071376), 3654 days x 91 columns (``DATE``, ``MONTH``, 89 features of 11
  cities). This file also ships inside the package, so without a network
  ``load_data()`` returns the shipped copy (with a warning).
* ``"full"``: ``weather_prediction_dataset.csv`` (record 4980359), all 18
  locations, including wind.
* ``"bbq_labels"``: ``weather_prediction_bbq_labels.csv`` (record 4980359),
  ``DATE`` and one ``<CITY>_BBQ_weather`` boolean column per city.

Downloads are cached under ``~/.layerwise/datasets/weather_prediction``.

Example:

>>> data = layerwise.datasets.weather_prediction.load_data()
>>> data.shape
(3654, 91)
>>> columns, values = layerwise.datasets.weather_prediction.load_shipped()
>>> columns[:3]
['DATE', 'MONTH', 'BASEL_cloud_cover']
"""

import csv
import os
import warnings

import numpy as np

from layerwise.utils.file_utils import DownloadError, get_file

SHIPPED_CSV = os.path.join(os.path.dirname(__file__), "data", "weather_prediction_dataset_light.csv")
CACHE_SUBDIR = os.path.join("datasets", "weather_prediction")
ROWS = 3654  # 2000-01-01 .. 2010-01-01
# The URLs the lesson reads. Only the light file has a checksum: it is the
# file shipped in the package (md5 below). Zenodo's checksums of the other
# two could not be confirmed offline, so those are checked by their shape.
VERSIONS = {
    "light": ("https://zenodo.org/record/5071376/files/weather_prediction_dataset_light.csv?download=1",
              "8530aef61dfc4d5f094512273338ae71"),
    "full": ("https://zenodo.org/record/4980359/files/weather_prediction_dataset.csv?download=1", None),
    "bbq_labels": ("https://zenodo.org/record/4980359/files/weather_prediction_bbq_labels.csv?download=1",
                   None),
}


def load_shipped():
    """``(column_names, values)`` of the shipped CSV: a list of 91 names and a float64 array."""
    with open(SHIPPED_CSV, newline="") as handle:
        reader = csv.reader(handle)
        columns = next(reader)
        values = np.array([[float(v) for v in row] for row in reader])
    return columns, values


def _check_layout(path, version):
    """Raise (and delete the cached file) unless ``path`` looks like the ``version`` CSV."""
    with open(path, newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        rows = sum(1 for _ in reader)
    if version == "bbq_labels":
        fine = header[:1] == ["DATE"] and len(header) > 1 and \
            all(c.endswith("_BBQ_weather") for c in header[1:])
        expected = "DATE and <CITY>_BBQ_weather columns"
    else:
        fine = header[:2] == ["DATE", "MONTH"] and len(header) > 2
        expected = "DATE, MONTH and the weather columns"
    if not fine or rows != ROWS:
        os.remove(path)
        raise ValueError(
            f"weather_prediction.load_data(version={version!r}): the downloaded file is not the weather data "
            f"set: expected {ROWS} rows with {expected}, got {rows} rows with the columns {header[:4]}... "
            f"It was deleted from the cache; try again."
        )


def _read_plain(path):
    """``(columns, values)``: the CSV as a float64 array (True/False as 1/0), without pandas."""
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        columns = next(reader)
        words = {"True": 1.0, "False": 0.0}
        values = np.array([[words[v] if v in words else float(v) for v in row] for row in reader])
    return columns, values


def load_data(version="light", as_frame=True):
    """The weather lesson's data as the lesson reads it: a ``pandas.DataFrame``.

    Args:
        version: ``"light"`` (the lesson's 91-column file), ``"full"`` (all
            18 locations, 165 columns) or ``"bbq_labels"`` (the BBQ-weather
            labels the classification episode predicts).
        as_frame: ``True`` returns a ``pandas.DataFrame`` (as
            ``pd.read_csv``); ``False`` returns ``(column_names, values)``,
            a list of names and a float64 array (booleans as 1.0/0.0), and
            needs no pandas.

    Returns:
        A DataFrame with one row per day (3654 rows), or
        ``(column_names, values)``.

    Raises:
        DownloadError: ``"full"`` or ``"bbq_labels"`` could not be fetched
            (the message says where to put a copy by hand). The light version
            falls back to the shipped copy instead, with a warning.

    Example:

    >>> data = layerwise.datasets.weather_prediction.load_data()
    >>> x = data.loc[:365 * 3].drop(columns=["DATE", "MONTH"])
    >>> y = data.loc[1:365 * 3 + 1]["BASEL_sunshine"]
    >>> labels = layerwise.datasets.weather_prediction.load_data("bbq_labels")
    >>> labels["BASEL_BBQ_weather"].sum()
    937
    """
    if version not in VERSIONS:
        raise ValueError(
            f"weather_prediction.load_data: version must be one of {', '.join(map(repr, VERSIONS))}, "
            f"got {version!r}."
        )
    if as_frame:
        try:
            import pandas
        except ImportError as error:
            raise ImportError(
                "weather_prediction.load_data(as_frame=True) returns a pandas DataFrame, but pandas is not "
                "installed. Install it (pip install pandas), or pass as_frame=False for (columns, values)."
            ) from error
    origin, md5 = VERSIONS[version]
    try:
        path = get_file(origin=origin, file_hash=md5, cache_subdir=CACHE_SUBDIR)
    except (DownloadError, ValueError) as error:
        if version != "light":
            raise
        reason = str(error).splitlines()[0]
        warnings.warn(
            f"weather_prediction.load_data: {reason} Using the copy of the light data set that ships with "
            f"layerwise ({SHIPPED_CSV}).",
            stacklevel=2,
        )
        path = SHIPPED_CSV
    else:
        if md5 is None:
            _check_layout(path, version)
    if as_frame:
        return pandas.read_csv(path)
    return _read_plain(path)
