"""Metrics, shaped like ``keras.metrics``.

A metric accumulates statistics batch after batch (``update_state``) and
reports a value (``result``); ``reset_state`` starts it over. State lives in
torch tensors on the data's device and is updated without host
synchronisation, so metrics cost little on the training hot path.

>>> import layerwise as keras
>>> m = keras.metrics.get("accuracy")
>>> m.update_state([1, 2, 3, 4], [0, 2, 3, 4])
>>> m.result()
tensor(0.7500)

Names accepted by :func:`get` and ``compile(metrics=[...])`` are the Keras
ones: class names (``"AUC"``), their snake-case forms (``"auc"``,
``"binary_accuracy"``, ``"root_mean_squared_error"``) and the short forms
``"mse"``, ``"mae"``, ``"mape"``, ``"msle"``, ``"bce"``, ``"acc"``.
"""

from layerwise.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from layerwise.metrics.confusion import (
    AUC,
    BinaryIoU,
    FalseNegatives,
    FalsePositives,
    IoU,
    MeanIoU,
    OneHotIoU,
    OneHotMeanIoU,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from layerwise.metrics.f_score import F1Score, FBetaScore
from layerwise.metrics.metric import Mean, MeanMetricWrapper, Metric, Sum
from layerwise.metrics.regression import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    ConcordanceCorrelation,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    PearsonCorrelation,
    Poisson,
    R2Score,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
    SquaredHinge,
    concordance_correlation,
    cosine_similarity,
    pearson_correlation,
)
from layerwise.saving import registry as _registry
from layerwise.saving.serialization import deserialize_keras_object as _deserialize_keras_object
from layerwise.saving.serialization import get_object as _get_object

_CATEGORY = "metrics"

# Loss functions that ``keras.metrics`` also exports; resolved from ``layerwise.losses`` on first use.
_LOSS_FUNCTIONS = (
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
)

_METRIC_FUNCTIONS = {
    fn.__name__: fn
    for fn in (
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy,
        cosine_similarity,
        pearson_correlation,
        concordance_correlation,
    )
}


def __getattr__(name):
    """``layerwise.metrics.mean_squared_error`` and the other loss functions Keras re-exports here."""
    if name in _LOSS_FUNCTIONS:
        from layerwise import losses

        return getattr(losses, name)
    raise AttributeError(f"module 'layerwise.metrics' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LOSS_FUNCTIONS))


def _lookup_function(name, custom_objects=None):
    """The function a config names: user objects first, then metric and loss functions."""
    found = _registry.get_registered_object(name, custom_objects)
    if found is not None:
        return found
    if name in _METRIC_FUNCTIONS:
        return _METRIC_FUNCTIONS[name]
    if name in _LOSS_FUNCTIONS:
        return __getattr__(name)
    from layerwise.metrics.accuracy import accuracy

    if name == "accuracy":
        return accuracy
    raise ValueError(
        f"Unknown metric function {name!r}. Known functions: "
        f"{', '.join(sorted(set(_METRIC_FUNCTIONS) | set(_LOSS_FUNCTIONS)))}. If it is your own, register "
        "it with @layerwise.saving.register_serializable() or pass it in custom_objects."
    )


def serialize(metric):
    """The Keras config of a metric instance, or of a metric function.

    Args:
        metric: A :class:`Metric` or a metric function.

    Returns:
        The dict Keras writes (``module``, ``class_name``, ``config``, ``registered_name``).

    Example:

    >>> keras.metrics.serialize(keras.metrics.AUC(name="auc"))["config"]["num_thresholds"]
    200
    >>> keras.metrics.serialize(keras.metrics.binary_accuracy)["config"]
    'binary_accuracy'
    """
    from layerwise.metrics.metric import _serialize

    return _serialize(metric)


def deserialize(config, custom_objects=None):
    """Build the metric a name or a Keras config describes (a name gives a new instance).

    Args:
        config: A name (``"auc"``, ``"mse"``) or a Keras config dict.
        custom_objects: Optional ``{name: class or function}`` of user objects.

    Returns:
        A :class:`Metric` instance, or a function for a function config.

    Example:

    >>> keras.metrics.deserialize({"class_name": "AUC", "config": {"num_thresholds": 50}}).num_thresholds
    50
    """
    if isinstance(config, dict) and config.get("class_name") == "function":
        from layerwise.metrics.metric import _deserialize_function

        return _deserialize_function(config, custom_objects)
    obj = _deserialize_keras_object(config, _CATEGORY, custom_objects, what="metric")
    return obj() if isinstance(obj, type) else obj


def get(identifier):
    """Resolve a metric given as None, a name, a config dict, a class, an instance or a function.

    Names and classes give new instances; instances and functions are returned as they are.

    Args:
        identifier: What to resolve.

    Returns:
        A :class:`Metric`, a metric function, or None.

    Example:

    >>> keras.metrics.get("mse")
    <MeanSquaredError name=mean_squared_error>
    >>> keras.metrics.get({"class_name": "Precision", "config": {"thresholds": 0.7}}).thresholds
    [0.7]
    """
    if isinstance(identifier, dict) and identifier.get("class_name") == "function":
        return deserialize(identifier)
    return _get_object(identifier, _CATEGORY, "metric", "accuracy")


# --------------------------------------------------------------------------
# "accuracy" in compile(): which accuracy Keras picks.
# --------------------------------------------------------------------------

_SPARSE_LOSSES = {"sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"}


def _loss_name(loss):
    """The function or class name behind a loss given as a name, a function or a Loss object."""
    if loss is None:
        return None
    if isinstance(loss, str):
        return loss
    for attribute in ("fn", "_fn"):  # a LossFunctionWrapper: the wrapped function decides
        inner = getattr(loss, attribute, None)
        if callable(inner) and getattr(inner, "__name__", None):
            return inner.__name__
    if isinstance(loss, type):
        return loss.__name__
    if getattr(loss, "__name__", None):
        return loss.__name__
    return type(loss).__name__


def resolve_accuracy(loss, output_shape, y_true_shape=None, name="accuracy"):
    """The accuracy metric ``compile(metrics=["accuracy"])`` uses, chosen as Keras 3 chooses it.

    Keras looks at the shapes of the labels and of the model's output:
    an output whose last axis is 1 gets :class:`BinaryAccuracy`; labels of
    lower rank than the output, or with a last axis of 1 when the output's
    is larger, get :class:`SparseCategoricalAccuracy`; anything else gets
    :class:`CategoricalAccuracy`. When ``y_true_shape`` is not known, the
    labels are taken to have the output's shape, except for a sparse
    categorical cross-entropy loss, whose labels are integers of shape
    ``(batch,)``. (So, as in Keras, a binary cross-entropy on ``k > 1``
    outputs gets CategoricalAccuracy.)

    Args:
        loss: The compiled loss: a name, a function, or a Loss object.
        output_shape: Shape of the model's output, e.g. ``(None, 10)``.
        y_true_shape: Shape of the labels, when known.
        name: The metric's name: ``"accuracy"`` or ``"acc"``, as the user wrote it.

    Returns:
        A new BinaryAccuracy, CategoricalAccuracy or SparseCategoricalAccuracy named ``name``.

    Example:

    >>> keras.metrics.resolve_accuracy("sparse_categorical_crossentropy", (None, 10))
    <SparseCategoricalAccuracy name=accuracy>
    >>> keras.metrics.resolve_accuracy("binary_crossentropy", (None, 1), name="acc")
    <BinaryAccuracy name=acc>
    """
    output_shape = tuple(output_shape)
    if y_true_shape is None:
        if _loss_name(loss) in _SPARSE_LOSSES:
            y_true_shape = output_shape[:-1]
        else:
            y_true_shape = output_shape
    y_true_shape = tuple(y_true_shape)
    pred_last = output_shape[-1] if output_shape else None
    true_last = y_true_shape[-1] if y_true_shape else None
    is_binary = pred_last == 1
    is_sparse = len(y_true_shape) < len(output_shape) or (
        true_last == 1 and pred_last is not None and pred_last > 1
    )
    if is_binary:
        return BinaryAccuracy(name=name)
    if is_sparse:
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


# Includes the loss functions re-exported from layerwise.losses (_LOSS_FUNCTIONS).
__all__ = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "BinaryIoU",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "ConcordanceCorrelation",
    "CosineSimilarity",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "IoU",
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanIoU",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "OneHotIoU",
    "OneHotMeanIoU",
    "PearsonCorrelation",
    "Poisson",
    "Precision",
    "PrecisionAtRecall",
    "R2Score",
    "Recall",
    "RecallAtPrecision",
    "RootMeanSquaredError",
    "SensitivityAtSpecificity",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SpecificityAtSensitivity",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "concordance_correlation",
    "cosine_similarity",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "pearson_correlation",
    "poisson",
    "resolve_accuracy",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]
