"""Metrics against real Keras 3 (torch backend): same batches in, same results and configs out.

Every metric is fed the same three random batches by both libraries
(``update_state`` three times), then ``result()`` is compared at float32
tolerance (AUC to 1e-5, with the same thresholds). Configs are compared as
dicts, names and ``get``/``deserialize`` lookups as sets, and the accuracy
that ``compile(metrics=["accuracy"])`` picks against what Keras's compile picks.
"""

import warnings

import keras
import numpy as np
import pytest
import torch
from keras.src.metrics import ALL_OBJECTS_DICT as KERAS_METRICS

import layerwise
import layerwise.losses
from layerwise import metrics
from layerwise.saving import registry

N = 24  # samples per batch
K = 5  # classes / labels / outputs


def _rng(seed):
    return np.random.default_rng(seed)


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# Each data kind returns (y_true, y_pred) for a seed; both float32 unless labels are integers.
def _binary(seed):
    r = _rng(seed)
    return r.integers(0, 2, size=(N, 1)).astype("float32"), r.uniform(size=(N, 1)).astype("float32")


def _binary_flat(seed):
    r = _rng(seed)
    return r.integers(0, 2, size=(N,)).astype("float32"), r.uniform(size=(N,)).astype("float32")


def _binary_coarse(seed):
    # Predictions on a grid of 0.1 (many ties with thresholds, exact 0 and 1).
    r = _rng(seed)
    return (
        r.integers(0, 2, size=(N,)).astype("float32"),
        (r.integers(0, 11, size=(N,)) / 10.0).astype("float32"),
    )


def _binary_logits(seed):
    r = _rng(seed)
    return r.integers(0, 2, size=(N, 1)).astype("float32"), r.normal(scale=2.0, size=(N, 1)).astype("float32")


def _multilabel(seed):
    r = _rng(seed)
    return r.integers(0, 2, size=(N, K)).astype("float32"), r.uniform(size=(N, K)).astype("float32")


def _categorical(seed):
    r = _rng(seed)
    labels = r.integers(0, K, size=(N,))
    return np.eye(K, dtype="float32")[labels], _softmax(r.normal(size=(N, K))).astype("float32")


def _categorical_logits(seed):
    r = _rng(seed)
    labels = r.integers(0, K, size=(N,))
    return np.eye(K, dtype="float32")[labels], r.normal(scale=2.0, size=(N, K)).astype("float32")


def _sparse(seed):
    r = _rng(seed)
    return r.integers(0, K, size=(N,)).astype("int32"), _softmax(r.normal(size=(N, K))).astype("float32")


def _sparse_column(seed):
    r = _rng(seed)
    return r.integers(0, K, size=(N, 1)).astype("int32"), _softmax(r.normal(size=(N, K))).astype("float32")


def _sparse_sorted_ids(seed):
    r = _rng(seed)
    ids = np.stack([r.permutation(10)[:4] for _ in range(N)]).astype("int32")
    return r.integers(0, 10, size=(N,)).astype("int32"), ids


def _sequence_categorical(seed):
    r = _rng(seed)
    labels = r.integers(0, K, size=(N, 3))
    return np.eye(K, dtype="float32")[labels], _softmax(r.normal(size=(N, 3, K))).astype("float32")


def _regression(seed):
    r = _rng(seed)
    return r.normal(size=(N, 3)).astype("float32"), r.normal(size=(N, 3)).astype("float32")


def _regression_column(seed):
    r = _rng(seed)
    y = r.normal(size=(N, 1)).astype("float32")
    return y, (y + r.normal(scale=0.5, size=(N, 1))).astype("float32")


def _positive(seed):
    r = _rng(seed)
    return r.uniform(0.1, 3.0, size=(N, 3)).astype("float32"), r.uniform(0.1, 3.0, size=(N, 3)).astype(
        "float32"
    )


def _distribution(seed):
    r = _rng(seed)
    return (
        _softmax(r.normal(size=(N, K))).astype("float32"),
        _softmax(r.normal(size=(N, K))).astype("float32"),
    )


def _signed(seed):
    r = _rng(seed)
    return (r.choice([-1.0, 1.0], size=(N, 3)).astype("float32"), r.normal(size=(N, 3)).astype("float32"))


def _segmentation(seed):
    r = _rng(seed)
    return r.integers(0, 4, size=(N, 6)).astype("int32"), r.integers(0, 4, size=(N, 6)).astype("int32")


def _segmentation_ignore(seed):
    r = _rng(seed)
    return r.integers(-1, 4, size=(N, 6)).astype("int32"), r.integers(0, 4, size=(N, 6)).astype("int32")


def _one_hot_segmentation(seed):
    r = _rng(seed)
    labels = r.integers(0, 4, size=(N,))
    return np.eye(4, dtype="float32")[labels], _softmax(r.normal(size=(N, 4))).astype("float32")


def _weights(seed, shape=(N,)):
    return _rng(seed + 100).uniform(0.0, 2.0, size=shape).astype("float32")


def _int_weights(seed, shape=(N,)):
    return _rng(seed + 100).integers(0, 3, size=shape).astype("int32")


# (class name, kwargs, data kind, sample weights: None / "float" / "int" / "2d" / "int2d")
CASES = [
    ("Mean", {}, "values", None),
    ("Mean", {}, "values", "float"),
    ("Mean", {}, "values", "2d"),
    ("Sum", {}, "values", None),
    ("Sum", {}, "values", "float"),
    ("Accuracy", {}, "sparse_equal", None),
    ("Accuracy", {}, "sparse_equal", "float"),
    ("BinaryAccuracy", {}, _binary, None),
    ("BinaryAccuracy", {}, _binary_flat, "float"),
    ("BinaryAccuracy", {"threshold": 0.7}, _multilabel, "float"),
    ("BinaryAccuracy", {"threshold": 0.0}, _binary_logits, None),
    ("CategoricalAccuracy", {}, _categorical, None),
    ("CategoricalAccuracy", {}, _categorical, "float"),
    ("CategoricalAccuracy", {}, _sequence_categorical, None),
    ("SparseCategoricalAccuracy", {}, _sparse, None),
    ("SparseCategoricalAccuracy", {}, _sparse_column, "float"),
    ("TopKCategoricalAccuracy", {}, _categorical, None),
    ("TopKCategoricalAccuracy", {"k": 2}, _categorical, "float"),
    ("TopKCategoricalAccuracy", {"k": 1}, _sequence_categorical, None),
    ("SparseTopKCategoricalAccuracy", {}, _sparse, None),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, _sparse_column, "float"),
    ("SparseTopKCategoricalAccuracy", {"k": 3, "from_sorted_ids": True}, _sparse_sorted_ids, None),
    ("MeanSquaredError", {}, _regression, None),
    ("MeanSquaredError", {}, _regression, "float"),
    ("RootMeanSquaredError", {}, _regression, None),
    ("RootMeanSquaredError", {}, _regression, "float"),
    ("MeanAbsoluteError", {}, _regression, "float"),
    ("MeanAbsolutePercentageError", {}, _positive, None),
    ("MeanAbsolutePercentageError", {}, _positive, "float"),
    ("MeanSquaredLogarithmicError", {}, _positive, "float"),
    ("CosineSimilarity", {}, _regression, None),
    ("CosineSimilarity", {"axis": 1}, _regression, "float"),
    ("LogCoshError", {}, _regression, "float"),
    ("R2Score", {}, _regression, None),
    ("R2Score", {}, _regression, "float"),
    ("R2Score", {"class_aggregation": None}, _regression, None),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}, _regression, "float"),
    ("R2Score", {"num_regressors": 2}, _regression_column, None),
    ("PearsonCorrelation", {}, _regression, None),
    ("PearsonCorrelation", {}, _regression, "float"),
    ("ConcordanceCorrelation", {}, _regression, None),
    ("ConcordanceCorrelation", {}, _regression, "float"),
    ("BinaryCrossentropy", {}, _binary, None),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, _binary_logits, "float"),
    ("CategoricalCrossentropy", {}, _categorical, None),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}, _categorical_logits, "float"),
    ("SparseCategoricalCrossentropy", {}, _sparse, None),
    ("SparseCategoricalCrossentropy", {}, _sparse_column, "float"),
    ("SparseCategoricalCrossentropy", {"ignore_class": 2}, _sparse, None),
    ("SparseCategoricalCrossentropy", {"ignore_class": 1, "from_logits": True}, _sparse, "float"),
    ("KLDivergence", {}, _distribution, None),
    ("KLDivergence", {}, _distribution, "float"),
    ("Poisson", {}, _positive, "float"),
    ("Hinge", {}, _signed, None),
    ("Hinge", {}, _multilabel, "float"),
    ("SquaredHinge", {}, _signed, "float"),
    ("CategoricalHinge", {}, _categorical, "float"),
    ("TruePositives", {}, _binary, None),
    ("TruePositives", {"thresholds": [0.2, 0.5, 0.8]}, _binary_flat, "float"),
    ("TrueNegatives", {"thresholds": 0.3}, _multilabel, "float"),
    ("FalsePositives", {}, _binary_coarse, "float"),
    ("FalsePositives", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, _binary_coarse, None),
    ("FalseNegatives", {"thresholds": [0.0, 0.25, 0.5, 0.75, 1.0]}, _binary_coarse, "float"),
    ("Precision", {}, _binary, None),
    ("Precision", {}, _binary_flat, "float"),
    ("Precision", {"thresholds": [0.1, 0.4, 0.75]}, _multilabel, "float"),
    (
        "Precision",
        {"thresholds": [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]},
        _binary_coarse,
        None,
    ),
    ("Precision", {"top_k": 2}, _multilabel, None),
    ("Precision", {"top_k": 1, "class_id": 3}, _multilabel, "float"),
    ("Precision", {"class_id": 2}, _multilabel, None),
    ("Precision", {"class_id": 1, "thresholds": [0.3, 0.6]}, _categorical, "float"),
    ("Recall", {}, _binary, "float"),
    ("Recall", {"thresholds": [0.25, 0.5, 0.75, 0.9]}, _multilabel, None),
    ("Recall", {"top_k": 3}, _multilabel, "float"),
    ("Recall", {"class_id": 0}, _multilabel, "float"),
    ("Recall", {"top_k": 2, "class_id": 4}, _categorical, None),
    ("AUC", {}, _binary, None),
    ("AUC", {}, _binary_flat, "float"),
    ("AUC", {"curve": "PR"}, _binary, None),
    ("AUC", {"curve": "PR"}, _binary_flat, "float"),
    ("AUC", {"curve": "PRGAIN"}, _binary, "float"),
    ("AUC", {"num_thresholds": 7}, _binary_coarse, "float"),
    ("AUC", {"num_thresholds": 11, "curve": "PR"}, _binary_coarse, None),
    ("AUC", {"summation_method": "minoring"}, _binary, "float"),
    ("AUC", {"summation_method": "majoring", "curve": "PR"}, _binary, None),
    ("AUC", {"thresholds": [0.1, 0.35, 0.5, 0.8]}, _binary, "float"),
    ("AUC", {"thresholds": [0.1, 0.35, 0.5, 0.8], "curve": "PR"}, _binary_coarse, None),
    ("AUC", {"thresholds": [0.25, 0.5, 0.75]}, _binary_coarse, "float"),
    ("AUC", {"multi_label": True}, _multilabel, None),
    ("AUC", {"multi_label": True, "num_labels": K, "curve": "PR"}, _multilabel, "float"),
    ("AUC", {"multi_label": True, "label_weights": [0.1, 0.5, 1.0, 2.0, 0.0]}, _multilabel, "float"),
    ("AUC", {"multi_label": True, "thresholds": [0.2, 0.4, 0.9]}, _multilabel, "2d"),
    ("AUC", {"multi_label": False, "label_weights": [0.1, 0.5, 1.0, 2.0, 0.0]}, _multilabel, "float"),
    ("AUC", {"from_logits": True}, _binary_logits, "float"),
    ("AUC", {"from_logits": True, "curve": "PR", "num_thresholds": 50}, _binary_logits, None),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, _binary, None),
    ("SensitivityAtSpecificity", {"specificity": 0.8, "num_thresholds": 1}, _binary_flat, "float"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.7, "num_thresholds": 50}, _binary, "float"),
    ("SpecificityAtSensitivity", {"sensitivity": 0.4, "class_id": 2}, _multilabel, None),
    ("PrecisionAtRecall", {"recall": 0.6}, _binary_flat, "float"),
    ("PrecisionAtRecall", {"recall": 0.3, "num_thresholds": 21}, _binary_coarse, None),
    ("RecallAtPrecision", {"precision": 0.6}, _binary, "float"),
    ("RecallAtPrecision", {"precision": 0.5, "class_id": 1, "num_thresholds": 10}, _multilabel, None),
    ("F1Score", {}, _multilabel, None),
    ("F1Score", {"average": "micro", "threshold": 0.5}, _multilabel, "float"),
    ("F1Score", {"average": "macro"}, _categorical, "float"),
    ("F1Score", {"average": "weighted", "threshold": 0.3}, _multilabel, None),
    ("FBetaScore", {"beta": 2.0}, _categorical, None),
    ("FBetaScore", {"beta": 0.5, "average": "weighted", "threshold": 0.6}, _multilabel, "float"),
    ("FBetaScore", {"beta": 1.5, "average": "micro"}, _categorical, None),
    ("IoU", {"num_classes": 4, "target_class_ids": [0, 2]}, _segmentation, None),
    ("IoU", {"num_classes": 4, "target_class_ids": [1], "ignore_class": -1}, _segmentation_ignore, "int2d"),
    ("MeanIoU", {"num_classes": 4}, _segmentation, "int2d"),
    ("MeanIoU", {"num_classes": 4, "dtype": "float32"}, _segmentation, "2d"),
    ("BinaryIoU", {}, _binary_flat, None),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3, "dtype": "float32"}, _binary_flat, "float"),
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [0, 3]}, _one_hot_segmentation, None),
    ("OneHotMeanIoU", {"num_classes": 4}, _one_hot_segmentation, "int"),
]


def _batch(kind, weights, seed):
    if kind == "values":
        values = _rng(seed).normal(size=(N, 3)).astype("float32")
        y_true, y_pred = None, values
    elif kind == "sparse_equal":
        r = _rng(seed)
        y_true = r.integers(0, 3, size=(N, 1)).astype("float32")
        y_pred = r.integers(0, 3, size=(N, 1)).astype("float32")
    else:
        y_true, y_pred = kind(seed)
    if weights is None:
        sample_weight = None
    elif weights == "float":
        sample_weight = _weights(seed)
    elif weights == "int":
        sample_weight = _int_weights(seed)
    elif weights == "int2d":
        sample_weight = _int_weights(seed, y_pred.shape)
    else:  # "2d": one weight per sample and column
        sample_weight = _weights(seed, y_pred.shape)
    return y_true, y_pred, sample_weight


def _update(metric, y_true, y_pred, sample_weight):
    if y_true is None:
        metric.update_state(y_pred, sample_weight=sample_weight)
    else:
        metric.update_state(y_true, y_pred, sample_weight=sample_weight)


def _numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return keras.ops.convert_to_numpy(value)


def _plain(value):
    """Config values as plain Python (Keras keeps label_weights as a tensor)."""
    if isinstance(value, torch.Tensor) or hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        return [float(v) for v in _numpy(value).reshape(-1)]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _config(metric):
    return {key: _plain(value) for key, value in metric.get_config().items()}


def _tolerance(name):
    return (1e-5, 1e-5) if name == "AUC" else (1e-5, 2e-5)


@pytest.mark.parametrize(
    "name, kwargs, kind, weights", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_result_and_config_match_keras(name, kwargs, kind, weights):
    ours = getattr(metrics, name)(name="m", **kwargs)
    theirs = getattr(keras.metrics, name)(name="m", **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # IoU's float-weights-with-int-dtype warning, R2's fallbacks
        for step in range(3):
            batch = _batch(kind, weights, seed=step)
            _update(ours, *batch)
            _update(theirs, *batch)
            if step == 0:  # result after one batch as well
                np.testing.assert_allclose(
                    _numpy(ours.result()), _numpy(theirs.result()), rtol=1e-5, atol=2e-5
                )
        ours_result = ours.result()
        theirs_result = theirs.result()
    assert isinstance(ours_result, torch.Tensor)
    rtol, atol = _tolerance(name)
    np.testing.assert_allclose(_numpy(ours_result), _numpy(theirs_result), rtol=rtol, atol=atol)
    # The state matches too: same variables, in the same order, with the same values.
    assert [v.name for v in ours.variables] == [v.name for v in theirs.variables]
    for mine, keras_variable in zip(ours.variables, theirs.variables):
        np.testing.assert_allclose(_numpy(mine), _numpy(keras_variable), rtol=1e-5, atol=1e-4)
        assert mine.path == keras_variable.path
    assert _config(ours) == _config(theirs)
    # reset_state, then one batch again: equal again.
    ours.reset_state()
    theirs.reset_state()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = _batch(kind, weights, seed=7)
        np.testing.assert_allclose(
            _numpy(ours(*[b for b in batch[:2] if b is not None], sample_weight=batch[2])),
            _numpy(theirs(*[b for b in batch[:2] if b is not None], sample_weight=batch[2])),
            rtol=rtol,
            atol=atol,
        )


@pytest.mark.parametrize(
    "name, kwargs, kind, weights", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_keras_config_builds_the_same_metric(name, kwargs, kind, weights):
    theirs = getattr(keras.metrics, name)(name="m", **kwargs)
    ours = metrics.deserialize(keras.metrics.serialize(theirs))
    assert type(ours).__name__ == name
    assert _config(ours) == _config(theirs)
    # And the other way round: Keras builds the same metric from our config.
    back = keras.metrics.deserialize(metrics.serialize(ours))
    assert _config(back) == _config(theirs)


DEFAULT_CONFIG_CLASSES = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
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
    "KLDivergence",
    "LogCoshError",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "PearsonCorrelation",
    "Poisson",
    "Precision",
    "R2Score",
    "Recall",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
]


@pytest.mark.parametrize("name", DEFAULT_CONFIG_CLASSES)
def test_default_configs_match_keras(name):
    ours = getattr(metrics, name)()
    theirs = getattr(keras.metrics, name)()
    ours_config, theirs_config = _config(ours), _config(theirs)
    # Metrics named after a counter (auc, auc_1, ...) depend on how many were made before.
    assert ours_config.pop("name").split("_")[0] == theirs_config.pop("name").split("_")[0]
    assert ours_config == theirs_config


def test_same_names_as_keras():
    ours = registry.builtin_objects("metrics")
    # Every name Keras's get()/deserialize() know resolves to the same class here.
    for key, cls in KERAS_METRICS.items():
        assert key in ours, key
        assert ours[key].__name__ == cls.__name__, key
    # layerwise adds one short name: "acc" (Keras accepts it in compile() only).
    assert set(ours) - set(KERAS_METRICS) == {"acc"}
    public = {n for n in dir(keras.metrics) if not n.startswith("_")}
    assert public <= set(dir(metrics))


@pytest.mark.parametrize("identifier", sorted(KERAS_METRICS))
def test_get_by_name_matches_keras(identifier):
    try:
        theirs = keras.metrics.get(identifier)
    except TypeError:  # a class with required arguments (IoU, SensitivityAtSpecificity, ...)
        with pytest.raises(TypeError):
            metrics.get(identifier)
        return
    ours = metrics.get(identifier)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.name.split("_")[0] == theirs.name.split("_")[0]


@pytest.mark.parametrize(
    "fn_name",
    [
        "binary_accuracy",
        "categorical_accuracy",
        "sparse_categorical_accuracy",
        "top_k_categorical_accuracy",
        "sparse_top_k_categorical_accuracy",
        "pearson_correlation",
        "concordance_correlation",
        "mean_squared_error",
        "hinge",
        "kl_divergence",
        "log_cosh",
    ],
)
def test_metric_functions_match_keras(fn_name):
    if fn_name.startswith("sparse"):
        y_true, y_pred = _sparse(3)
    elif "categorical" in fn_name:
        y_true, y_pred = _categorical(3)
    elif fn_name == "binary_accuracy":
        y_true, y_pred = _binary(3)
    elif fn_name == "kl_divergence":
        y_true, y_pred = _distribution(3)
    else:
        y_true, y_pred = _regression(3)
    ours = getattr(metrics, fn_name)(y_true, y_pred)
    theirs = getattr(keras.metrics, fn_name)(y_true, y_pred)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(_numpy(ours), _numpy(theirs), rtol=1e-5, atol=1e-5)


def test_wrapped_function_config_matches_keras():
    ours = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="w", threshold=0.3)
    theirs = keras.metrics.MeanMetricWrapper(keras.metrics.binary_accuracy, name="w", threshold=0.3)
    assert ours.get_config() == theirs.get_config()
    assert metrics.serialize(ours) == keras.metrics.serialize(theirs)
    assert metrics.serialize(metrics.binary_accuracy) == keras.metrics.serialize(
        keras.metrics.binary_accuracy
    )
    rebuilt = metrics.deserialize(keras.metrics.serialize(theirs))
    assert rebuilt._fn is metrics.binary_accuracy and rebuilt._fn_kwargs == {"threshold": 0.3}


MASKS = {
    # a sequence mask (batch, time) on predictions (batch, time, features)
    "sequence": (np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 0, 0]], dtype=bool), (4, 3, 2)),
    # a per-sample mask on predictions (batch, features)
    "samples": (np.array([1, 0, 1, 1], dtype=bool), (4, 3)),
}


@pytest.mark.parametrize("mask_kind", sorted(MASKS))
@pytest.mark.parametrize("with_weights", [False, True])
@pytest.mark.parametrize(
    "name", ["MeanSquaredError", "MeanAbsoluteError", "Accuracy", "CosineSimilarity", "BinaryAccuracy"]
)
def test_masked_predictions_match_keras(name, mask_kind, with_weights):
    mask, shape = MASKS[mask_kind]
    r = _rng(5)
    if name in ("Accuracy", "BinaryAccuracy"):
        y_true = r.integers(0, 2, size=shape).astype("float32")
        y_pred = r.integers(0, 2, size=shape).astype("float32")
    else:
        y_true = r.normal(size=shape).astype("float32")
        y_pred = r.normal(size=shape).astype("float32")
    # Weights take the mask's shape (per sample, or per time step), as Keras requires.
    sample_weight = _rng(8).uniform(0.5, 2.0, size=mask.shape).astype("float32") if with_weights else None
    results = []
    for lib in (metrics, keras.metrics):
        metric = getattr(lib, name)()
        pred = torch.tensor(y_pred)
        pred._keras_mask = torch.tensor(mask)
        metric.update_state(torch.tensor(y_true), pred, sample_weight=sample_weight)
        metric.update_state(torch.tensor(y_true), torch.tensor(y_pred))
        results.append(_numpy(metric.result()))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["Mean", "Sum"])
def test_masked_values_match_keras(name):
    values = _rng(6).normal(size=(4, 3)).astype("float32")
    mask = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 0, 0]], dtype=bool)
    results = []
    for lib in (metrics, keras.metrics):
        metric = getattr(lib, name)()
        tensor = torch.tensor(values)
        tensor._keras_mask = torch.tensor(mask)
        metric.update_state(tensor, sample_weight=np.ones((4, 3), dtype="float32"))
        metric.update_state(tensor)  # without weights the mask is not used (as in Keras)
        results.append(_numpy(metric.result()))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------
# compile(metrics=["accuracy"]): which accuracy.
# --------------------------------------------------------------------------

ACCURACY_CASES = [
    # loss, output shape, labels shape
    ("binary_crossentropy", (None, 1), (None, 1)),
    ("binary_crossentropy", (None, K), (None, K)),  # multi-label: Keras picks CategoricalAccuracy
    ("categorical_crossentropy", (None, K), (None, K)),
    ("sparse_categorical_crossentropy", (None, K), (None,)),
    ("sparse_categorical_crossentropy", (None, K), (None, 1)),
    ("mse", (None, 1), (None, 1)),
    ("mse", (None, K), (None, K)),
]


def _keras_compiled_accuracy(loss, output_shape, true_shape, identifier):
    """The accuracy metric a real Keras model compiled with ``metrics=[identifier]`` ends up with."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(output_shape[-1])])
    model.compile(loss=loss, metrics=[identifier])
    x = np.zeros((4, 3), dtype="float32")
    if len(true_shape) < len(output_shape) or true_shape[-1] == 1 and output_shape[-1] > 1:
        y = np.zeros((4,) + tuple(true_shape[1:]), dtype="int32")
    else:
        y = np.zeros((4,) + tuple(true_shape[1:]), dtype="float32")
    model.evaluate(x, y, verbose=0)
    return next(iter(model.metrics[1].metrics))


@pytest.mark.parametrize("identifier", ["accuracy", "acc"])
@pytest.mark.parametrize("loss, output_shape, true_shape", ACCURACY_CASES)
def test_resolve_accuracy_picks_what_keras_compile_picks(loss, output_shape, true_shape, identifier):
    theirs = _keras_compiled_accuracy(loss, output_shape, true_shape, identifier)
    # With the labels' shape known (as Keras knows it) ...
    ours = metrics.resolve_accuracy(loss, output_shape, y_true_shape=true_shape, name=identifier)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.name == theirs.name == identifier
    # ... and from the loss alone, when the labels have the shape that loss expects.
    expected_true_shape = output_shape[:-1] if loss.startswith("sparse") else output_shape
    if tuple(true_shape) == tuple(expected_true_shape):
        guessed = metrics.resolve_accuracy(loss, output_shape, name=identifier)
        assert type(guessed).__name__ == type(theirs).__name__


def test_resolve_accuracy_from_loss_objects():
    sparse = layerwise.losses.SparseCategoricalCrossentropy()
    assert type(metrics.resolve_accuracy(sparse, (None, 4))).__name__ == "SparseCategoricalAccuracy"
    wrapped = layerwise.losses.LossFunctionWrapper(layerwise.losses.sparse_categorical_crossentropy)
    assert type(metrics.resolve_accuracy(wrapped, (None, 4))).__name__ == "SparseCategoricalAccuracy"
    assert (
        type(metrics.resolve_accuracy(layerwise.losses.categorical_crossentropy, (None, 4))).__name__
        == "CategoricalAccuracy"
    )
    assert (
        type(metrics.resolve_accuracy(layerwise.losses.BinaryCrossentropy(), (None, 1))).__name__
        == "BinaryAccuracy"
    )
