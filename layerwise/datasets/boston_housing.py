"""Boston housing prices, as ``keras.datasets.boston_housing``.

506 census tracts of the Boston area in the 1970s, 13 attributes each; the
target is the median home value in k$. **Warning:** the data set has an
ethical problem (its "B" attribute assumes that racial self-segregation
affects house prices); prefer :mod:`layerwise.datasets.california_housing`
except to illustrate that problem.

Example:

>>> (x_train, y_train), (x_test, y_test) = layerwise.datasets.boston_housing.load_data()
>>> x_train.shape, x_test.shape
((404, 13), (102, 13))
"""

from layerwise.datasets import _common

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston Housing dataset, shuffled and split as Keras does.

    Args:
        path: the cache file name (default ``"boston_housing.npz"``); a path
            with a folder part loads that local ``.npz`` file (arrays ``x``
            and ``y``) instead, without download or checksum.
        test_split: fraction of the samples kept for testing (0 <= test_split < 1).
        seed: seed of the shuffle done before the split.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x_*`` of shape
        ``(n, 13)``, ``y_*`` of shape ``(n,)``, median home values in k$.

    Example:

    >>> (x_train, y_train), _ = layerwise.datasets.boston_housing.load_data(test_split=0.1)
    >>> x_train.shape
    (455, 13)
    """
    return _common.load_regression(path, test_split, seed, "boston_housing.load_data",
                                   ORIGIN_FOLDER + "boston_housing.npz", FILE_HASH, "Boston housing")
