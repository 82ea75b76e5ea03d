"""The weather lesson's data: daily weather of 11 European cities, 2000-2009.

The light CSV ships inside the package, so the demo and the lesson run
offline.

Example:

>>> columns, values = layerwise.datasets.weather_prediction.load_shipped()
>>> values.shape
(3654, 91)
>>> columns[:3]
['DATE', 'MONTH', 'BASEL_cloud_cover']
"""

import csv
import os

import numpy as np

SHIPPED_CSV = os.path.join(os.path.dirname(__file__), "data", "weather_prediction_dataset_light.csv")


def load_shipped():
    """``(column_names, values)`` of the shipped CSV: a list of 91 names and a float64 array."""
    with open(SHIPPED_CSV, newline="") as handle:
        reader = csv.reader(handle)
        columns = next(reader)
        values = np.array([[float(v) for v in row] for row in reader])
    return columns, values
