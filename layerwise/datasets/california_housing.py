"""California housing prices, as ``keras.datasets.california_housing``.

20,640 census block groups of the 1990 U.S. census, 8 features each
(median income, house age, average rooms and bedrooms, population, average
occupancy, latitude, longitude); the target is the median house value in
dollars.

Example:

>>> (x_train, y_train), (x_test, y_test) = layerwise.datasets.california_housing.load_data()
>>> x_train.shape, x_test.shape
((16512, 8), (4128, 8))
"""

from layerwise.datasets import _common

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"
SMALL_SIZE = 600


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Loads the California Housing dataset, shuffled and split as Keras does.

    Args:
        version: ``"large"`` (all 20,640 samples) or ``"small"`` (the first
            600, a stand-in for the deprecated Boston housing data).
        path: the cache file name (default ``"california_housing.npz"``); a
            path with a folder part loads that local ``.npz`` file (arrays
            ``x`` and ``y``) instead, without download or checksum.
        test_split: fraction of the samples kept for testing (0 <= test_split < 1).
        seed: seed of the shuffle done before the split.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: ``x_*`` of shape
        ``(n, 8)``, ``y_*`` of shape ``(n,)``, median house values in dollars.

    Example:

    >>> (x_train, y_train), _ = layerwise.datasets.california_housing.load_data(version="small")
    >>> x_train.shape
    (480, 8)
    """
    if version not in ("small", "large"):
        raise ValueError(
            f"california_housing.load_data: version must be 'small' or 'large', got {version!r}."
        )
    return _common.load_regression(path, test_split, seed, "california_housing.load_data",
                                   ORIGIN_FOLDER + "california_housing.npz", FILE_HASH, "California housing",
                                   limit=SMALL_SIZE if version == "small" else None)
