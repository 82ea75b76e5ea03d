"""Data sets, shaped like ``keras.datasets``, plus the weather lesson's data that ships with layerwise."""

from layerwise.datasets import mnist, weather_prediction
