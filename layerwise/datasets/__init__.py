"""Data sets, shaped like ``keras.datasets``, plus the weather lesson's data.

Each module's ``load_data()`` returns the arrays Keras returns, downloaded
once from the origin Keras uses, verified with a checksum and cached under
``~/.layerwise/datasets`` (``$LAYERWISE_HOME/datasets``); see
:func:`layerwise.utils.get_file`.

Example:

>>> (x_train, y_train), (x_test, y_test) = layerwise.datasets.mnist.load_data()
"""

from layerwise.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
    weather_prediction,
)

__all__ = [
    "boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist", "imdb", "mnist",
    "reuters", "weather_prediction",
]
