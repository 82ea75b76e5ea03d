"""Metrics API: lookup and configs, argument errors, no host synchronisation, devices, docstrings."""

import contextlib
import doctest
import importlib

import numpy as np
import pytest
import torch

import layerwise
import layerwise.losses
from layerwise import metrics
from layerwise.saving import registry

# One instance of every metric class, with the arguments it needs.
CONSTRUCTORS = {
    "Mean": {},
    "Sum": {},
    "Accuracy": {},
    "BinaryAccuracy": {"threshold": 0.3},
    "CategoricalAccuracy": {},
    "SparseCategoricalAccuracy": {},
    "TopKCategoricalAccuracy": {"k": 2},
    "SparseTopKCategoricalAccuracy": {"k": 2, "from_sorted_ids": True},
    "MeanSquaredError": {},
    "RootMeanSquaredError": {},
    "MeanAbsoluteError": {},
    "MeanAbsolutePercentageError": {},
    "MeanSquaredLogarithmicError": {},
    "CosineSimilarity": {},
    "LogCoshError": {},
    "R2Score": {"class_aggregation": None, "num_regressors": 1},
    "PearsonCorrelation": {"axis": 1},
    "ConcordanceCorrelation": {},
    "BinaryCrossentropy": {"from_logits": True, "label_smoothing": 0.1},
    "CategoricalCrossentropy": {"label_smoothing": 0.2, "axis": -1},
    "SparseCategoricalCrossentropy": {"ignore_class": 0},
    "KLDivergence": {},
    "Poisson": {},
    "Hinge": {},
    "SquaredHinge": {},
    "CategoricalHinge": {},
    "TruePositives": {"thresholds": [0.2, 0.6]},
    "TrueNegatives": {},
    "FalsePositives": {"thresholds": 0.4},
    "FalseNegatives": {},
    "Precision": {"top_k": 2, "class_id": 1},
    "Recall": {"thresholds": [0.1, 0.9]},
    "AUC": {
        "num_thresholds": 50,
        "curve": "PR",
        "summation_method": "majoring",
        "multi_label": True,
        "num_labels": 3,
        "label_weights": [1.0, 0.5, 2.0],
        "from_logits": True,
    },
    "SensitivityAtSpecificity": {"specificity": 0.6, "num_thresholds": 20, "class_id": 1},
    "SpecificityAtSensitivity": {"sensitivity": 0.6},
    "PrecisionAtRecall": {"recall": 0.3},
    "RecallAtPrecision": {"precision": 0.7, "num_thresholds": 10},
    "F1Score": {"average": "macro", "threshold": 0.4},
    "FBetaScore": {"average": "weighted", "beta": 2.0},
    "IoU": {"num_classes": 3, "target_class_ids": [0, 2], "ignore_class": 1},
    "BinaryIoU": {"target_class_ids": [1], "threshold": 0.2},
    "MeanIoU": {"num_classes": 3},
    "OneHotIoU": {"num_classes": 3, "target_class_ids": [1]},
    "OneHotMeanIoU": {"num_classes": 3},
}


def test_every_metric_class_is_covered():
    classes = {
        name
        for name, obj in registry.builtin_objects("metrics").items()
        if isinstance(obj, type) and name == obj.__name__
    }
    assert classes - {"Metric", "MeanMetricWrapper"} == set(CONSTRUCTORS)


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_config_round_trip(name):
    metric = getattr(metrics, name)(name="my_metric", **CONSTRUCTORS[name])
    config = metric.get_config()
    assert config["name"] == "my_metric"
    rebuilt = type(metric).from_config(config)
    assert rebuilt.get_config() == config
    # Through the Keras object config as well, by class name.
    serialized = metrics.serialize(metric)
    assert serialized["class_name"] == name and serialized["module"] == "keras.metrics"
    assert serialized["registered_name"] is None
    assert metrics.deserialize(serialized).get_config() == config
    assert metrics.get(serialized).get_config() == config


@pytest.mark.parametrize(
    "identifier, cls",
    [
        ("accuracy", "Accuracy"),
        ("acc", "Accuracy"),
        ("mse", "MeanSquaredError"),
        ("MSE", "MeanSquaredError"),
        ("mae", "MeanAbsoluteError"),
        ("mape", "MeanAbsolutePercentageError"),
        ("msle", "MeanSquaredLogarithmicError"),
        ("bce", "BinaryCrossentropy"),
        ("binary_accuracy", "BinaryAccuracy"),
        ("categorical_accuracy", "CategoricalAccuracy"),
        ("sparse_categorical_accuracy", "SparseCategoricalAccuracy"),
        ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"),
        ("sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy"),
        ("auc", "AUC"),
        ("AUC", "AUC"),
        ("precision", "Precision"),
        ("recall", "Recall"),
        ("root_mean_squared_error", "RootMeanSquaredError"),
        ("r2_score", "R2Score"),
        ("f1_score", "F1Score"),
        ("categorical_crossentropy", "CategoricalCrossentropy"),
        ("log_cosh_error", "LogCoshError"),
        ("kl_divergence", "KLDivergence"),
    ],
)
def test_get_by_name(identifier, cls):
    metric = metrics.get(identifier)
    assert type(metric).__name__ == cls
    assert metrics.get(identifier) is not metric  # a new instance each time
    assert type(metrics.deserialize(identifier)).__name__ == cls


def test_get_other_identifiers():
    assert metrics.get(None) is None
    auc = metrics.AUC()
    assert metrics.get(auc) is auc
    assert isinstance(metrics.get(metrics.Recall), metrics.Recall)
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    assert metrics.get({"class_name": "Precision", "config": {"thresholds": 0.7}}).thresholds == [0.7]
    with pytest.raises(ValueError, match="Unknown metric 'no_such_metric'.*auc"):
        metrics.get("no_such_metric")
    with pytest.raises(ValueError, match="Could not interpret metric identifier 3"):
        metrics.get(3)


def test_function_serialization_is_keras_shaped():
    config = metrics.serialize(metrics.binary_accuracy)
    assert config == {
        "module": "builtins",
        "class_name": "function",
        "config": "binary_accuracy",
        "registered_name": "function",
    }
    assert metrics.deserialize(config) is metrics.binary_accuracy
    assert metrics.get(config) is metrics.binary_accuracy


def test_mean_metric_wrapper_config_round_trips_loss_and_metric_functions():
    wrapped = metrics.MeanMetricWrapper(layerwise.losses.huber, name="h", delta=0.5)
    config = wrapped.get_config()
    assert config["fn"]["config"] == "huber" and config["delta"] == 0.5
    rebuilt = metrics.MeanMetricWrapper.from_config(config)
    assert rebuilt._fn is layerwise.losses.huber and rebuilt._fn_kwargs == {"delta": 0.5}
    assert rebuilt._direction == "down"
    top_k = metrics.deserialize(
        metrics.serialize(metrics.MeanMetricWrapper(metrics.top_k_categorical_accuracy, k=1))
    )
    assert top_k._fn is metrics.top_k_categorical_accuracy and top_k._fn_kwargs == {"k": 1}
    with pytest.raises(ValueError, match="Unknown metric function 'nope'"):
        metrics.MeanMetricWrapper.from_config({"name": "x", "dtype": "float32", "fn": "nope"})


def test_user_registered_metric_and_function():
    @layerwise.saving.register_serializable(package="MetricsTest")
    class Doubled(metrics.Mean):
        def update_state(self, values, sample_weight=None):
            super().update_state(2 * torch.as_tensor(values, dtype=torch.float32), sample_weight)

    @layerwise.saving.register_serializable(package="MetricsTest")
    def absolute_error(y_true, y_pred):
        return torch.abs(torch.as_tensor(y_true) - torch.as_tensor(y_pred))

    config = metrics.serialize(Doubled(name="d"))
    assert config["registered_name"] == "MetricsTest>Doubled"
    rebuilt = metrics.deserialize(config)
    rebuilt.update_state([1.0, 2.0])
    assert rebuilt.result().item() == 3.0
    wrapper = metrics.MeanMetricWrapper(absolute_error, name="ae")
    assert wrapper.get_config()["fn"]["config"] == "MetricsTest>absolute_error"
    assert metrics.deserialize(metrics.serialize(wrapper))._fn is absolute_error


def test_custom_objects_in_deserialize():
    class Local(metrics.Sum):
        pass

    config = {
        "module": "x",
        "class_name": "Local",
        "config": {"name": "l", "dtype": "float32"},
        "registered_name": None,
    }
    assert isinstance(metrics.deserialize(config, custom_objects={"Local": Local}), Local)
    with pytest.raises(ValueError, match="Unknown metric 'Local'"):
        metrics.deserialize(config)


def test_loss_functions_are_re_exported():
    assert metrics.mean_squared_error is layerwise.losses.mean_squared_error
    assert metrics.binary_focal_crossentropy is layerwise.losses.binary_focal_crossentropy
    assert "huber" in dir(metrics)
    with pytest.raises(AttributeError, match="no attribute 'not_a_metric'"):
        metrics.not_a_metric  # noqa: B018


def test_direction_for_callbacks():
    assert metrics.AUC()._direction == "up"
    assert metrics.Accuracy()._direction == "up"
    assert metrics.MeanSquaredError()._direction == "down"
    assert metrics.RootMeanSquaredError()._direction == "down"
    assert metrics.MeanMetricWrapper(layerwise.losses.mean_squared_error)._direction == "down"
    assert not hasattr(metrics.MeanMetricWrapper(metrics.binary_accuracy), "_direction")


# --------------------------------------------------------------------------
# resolve_accuracy.
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loss, output_shape, y_true_shape, expected",
    [
        ("binary_crossentropy", (None, 1), None, "BinaryAccuracy"),
        ("categorical_crossentropy", (None, 10), None, "CategoricalAccuracy"),
        ("sparse_categorical_crossentropy", (None, 10), None, "SparseCategoricalAccuracy"),
        ("SparseCategoricalCrossentropy", (None, 10), None, "SparseCategoricalAccuracy"),
        ("binary_crossentropy", (None, 3), None, "CategoricalAccuracy"),  # as Keras: by shapes only
        ("mse", (None, 1), None, "BinaryAccuracy"),
        ("categorical_crossentropy", (None, 10), (None, 1), "SparseCategoricalAccuracy"),
        ("sparse_categorical_crossentropy", (None, 1), (None,), "BinaryAccuracy"),
        (None, (None, 4), (None, 4), "CategoricalAccuracy"),
    ],
)
def test_resolve_accuracy(loss, output_shape, y_true_shape, expected):
    for name in ("accuracy", "acc"):
        metric = metrics.resolve_accuracy(loss, output_shape, y_true_shape, name=name)
        assert type(metric).__name__ == expected
        assert metric.name == name


# --------------------------------------------------------------------------
# Argument errors.
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, message",
    [
        (
            lambda: metrics.AUC(curve="XYZ"),
            r"AUC: argument `curve` must be one of 'ROC', 'PR', 'PRGAIN'; got curve='XYZ'",
        ),
        (
            lambda: metrics.AUC(summation_method="trapezoid"),
            (
                r"argument `summation_method` must be one of 'interpolation', 'majoring', 'minoring'; "
                r"got summation_method='trapezoid'"
            ),
        ),
        (
            lambda: metrics.AUC(num_thresholds=1),
            r"argument `num_thresholds` must be an integer > 1; got num_thresholds=1",
        ),
        (
            lambda: metrics.AUC(thresholds=[0.5, 1.2]),
            r"AUC: argument `thresholds` .* in \[0, 1\]; got thresholds=\[0.5, 1.2\]",
        ),
        (lambda: metrics.AUC(num_labels=3), r"`num_labels` is needed only when `multi_label` is True"),
        (
            lambda: metrics.AUC(label_weights=[1.0, -1.0]),
            r"argument `label_weights` must be a list of finite non-negative",
        ),
        (
            lambda: metrics.Precision(thresholds=[-0.1]),
            r"Precision: argument `thresholds` .*got thresholds=\[-0.1\] \(invalid values: \[-0.1\]\)",
        ),
        (lambda: metrics.Recall(thresholds=1.5), r"Recall: argument `thresholds` .*got thresholds=1.5"),
        (lambda: metrics.TruePositives(thresholds=[0.2, "x"]), r"TruePositives: argument `thresholds`"),
        (
            lambda: metrics.Precision(top_k=0),
            r"Precision: argument `top_k` must be None or an integer >= 1; got top_k=0",
        ),
        (
            lambda: metrics.Recall(class_id=-1),
            r"Recall: argument `class_id` must be None or an integer >= 0; got class_id=-1",
        ),
        (lambda: metrics.TopKCategoricalAccuracy(k=0), r"argument `k` must be an integer >= 1; got k=0"),
        (
            lambda: metrics.SparseTopKCategoricalAccuracy(k=2.5),
            r"argument `k` must be an integer >= 1; got k=2.5",
        ),
        (
            lambda: metrics.BinaryAccuracy(threshold="high"),
            r"argument `threshold` must be a number; got threshold='high'",
        ),
        (
            lambda: metrics.F1Score(average="mean"),
            (
                r"F1Score: argument `average` must be one of None, 'micro', 'macro', 'weighted'; "
                r"got average='mean'"
            ),
        ),
        (
            lambda: metrics.FBetaScore(beta=2),
            r"FBetaScore: argument `beta` must be a Python float .*got beta=2 of type int",
        ),
        (lambda: metrics.FBetaScore(beta=-1.0), r"argument `beta` must be > 0; got beta=-1.0"),
        (
            lambda: metrics.F1Score(threshold=1.5),
            r"argument `threshold` must satisfy 0 < threshold <= 1; got threshold=1.5",
        ),
        (lambda: metrics.F1Score(threshold=1), r"argument `threshold` must be None or a Python float"),
        (
            lambda: metrics.R2Score(class_aggregation="median"),
            r"R2Score: argument `class_aggregation` must be one of",
        ),
        (
            lambda: metrics.R2Score(num_regressors=-1),
            r"argument `num_regressors` must be an integer >= 0; got num_regressors=-1",
        ),
        (
            lambda: metrics.SensitivityAtSpecificity(1.5),
            r"argument `specificity` must be a number in \[0, 1\]; got specificity=1.5",
        ),
        (
            lambda: metrics.SpecificityAtSensitivity(-0.5),
            r"argument `sensitivity` must be a number in \[0, 1\]",
        ),
        (lambda: metrics.PrecisionAtRecall(2), r"argument `recall` must be a number in \[0, 1\]"),
        (
            lambda: metrics.RecallAtPrecision(0.5, num_thresholds=0),
            r"argument `num_thresholds` must be an integer > 0",
        ),
        (
            lambda: metrics.IoU(num_classes=2, target_class_ids=[0, 2]),
            (
                r"IoU: argument `target_class_ids` must hold class ids in \[0, 2\); "
                r"got target_class_ids=\[0, 2\]"
            ),
        ),
        (
            lambda: metrics.MeanIoU(num_classes=0),
            r"MeanIoU: argument `num_classes` must be an integer >= 1; got num_classes=0",
        ),
    ],
)
def test_bad_arguments_are_refused(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_bad_input_shapes_are_refused():
    with pytest.raises(ValueError, match="`y_pred` must have rank 2 when `multi_label=True`; got rank 1"):
        metrics.AUC(multi_label=True).update_state([0, 1], [0.2, 0.8])
    with pytest.raises(ValueError, match=r"F1Score expects 2D inputs .*got y_pred.shape=\(3,\)"):
        metrics.F1Score().update_state([0, 1, 1], [0.2, 0.8, 0.1])
    with pytest.raises(ValueError, match="R2Score expects 2D inputs"):
        metrics.R2Score().update_state(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="When class_id is provided, y_pred must be a 2D array"):
        metrics.Precision(class_id=1).update_state([0, 1], [0.2, 0.8])


# --------------------------------------------------------------------------
# No host synchronisation, and devices.
# --------------------------------------------------------------------------

_SYNCING = ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__", "__index__", "__array__")


@contextlib.contextmanager
def forbid_host_sync():
    """Make every tensor-to-host conversion raise while the block runs."""

    def forbidden(name):
        def method(*args, **kwargs):
            raise AssertionError(f"host synchronisation: torch.Tensor.{name} was called")

        return method

    with pytest.MonkeyPatch.context() as patch:
        for name in _SYNCING:
            patch.setattr(torch.Tensor, name, forbidden(name))
        yield


def _data(name, device="cpu"):
    """(y_true, y_pred, sample_weight) tensors suited to the metric ``name``."""
    g = torch.Generator().manual_seed(0)
    probabilities = torch.rand(8, 3, generator=g)
    if name in ("Mean", "Sum"):
        return None, torch.randn(8, 3, generator=g), torch.rand(8, generator=g)
    if name in ("SparseCategoricalAccuracy", "SparseCategoricalCrossentropy"):
        labels = torch.randint(0, 3, (8,), generator=g)
    elif name == "SparseTopKCategoricalAccuracy":
        return (
            torch.randint(0, 3, (8,), generator=g),
            torch.stack([torch.randperm(3, generator=g) for _ in range(8)]),
            torch.rand(8, generator=g),
        )
    elif name == "BinaryIoU":
        return (
            torch.randint(0, 2, (8,), generator=g),
            torch.rand(8, generator=g),
            torch.randint(0, 3, (8,), generator=g).to(torch.int32),
        )
    elif name in ("IoU", "MeanIoU"):
        return (
            torch.randint(0, 3, (8,), generator=g),
            torch.randint(0, 3, (8,), generator=g),
            torch.randint(0, 3, (8,), generator=g).to(torch.int32),
        )
    elif name in (
        "CategoricalAccuracy",
        "TopKCategoricalAccuracy",
        "CategoricalCrossentropy",
        "CategoricalHinge",
        "OneHotIoU",
        "OneHotMeanIoU",
    ):
        labels = torch.nn.functional.one_hot(torch.randint(0, 3, (8,), generator=g), 3).float()
    elif name in (
        "MeanSquaredError",
        "RootMeanSquaredError",
        "MeanAbsoluteError",
        "LogCoshError",
        "CosineSimilarity",
        "R2Score",
        "PearsonCorrelation",
        "ConcordanceCorrelation",
    ):
        labels = torch.randn(8, 3, generator=g)
        probabilities = torch.randn(8, 3, generator=g)
    else:
        labels = torch.randint(0, 2, (8, 3), generator=g).float()
    weights = torch.rand(8, generator=g)
    if name in ("OneHotIoU", "OneHotMeanIoU"):
        weights = torch.randint(0, 3, (8,), generator=g).to(torch.int32)
    return labels, probabilities, weights


def _to(device, *tensors):
    return [None if t is None else t.to(device) for t in tensors]


def _update(metric, y_true, y_pred, sample_weight):
    if y_true is None:
        metric.update_state(y_pred, sample_weight=sample_weight)
    else:
        metric.update_state(y_true, y_pred, sample_weight=sample_weight)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_update_state_and_result_do_not_synchronise_with_the_host(name, weighted):
    kwargs = dict(CONSTRUCTORS[name])
    kwargs.pop("from_logits", None)
    metric = getattr(metrics, name)(**kwargs)
    y_true, y_pred, sample_weight = _data(name)
    if not weighted:
        sample_weight = None
    with forbid_host_sync():
        for _ in range(3):
            _update(metric, y_true, y_pred, sample_weight)
        result = metric.result()
        metric.reset_state()
        _update(metric, y_true, y_pred, sample_weight)
    assert isinstance(result, torch.Tensor)


def test_the_sync_detector_detects():
    with pytest.raises(AssertionError, match="host synchronisation"), forbid_host_sync():
        float(torch.ones(()))


def test_masked_update_does_not_synchronise():
    y_pred = torch.rand(4, 3)
    y_pred._keras_mask = torch.tensor([True, False, True, True])
    metric = metrics.MeanSquaredError()
    with forbid_host_sync():
        metric.update_state(torch.rand(4, 3), y_pred, sample_weight=torch.rand(4))


_DEVICES = ["cpu", "meta"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", _DEVICES)
@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_state_follows_the_data_to_its_device(name, device):
    kwargs = dict(CONSTRUCTORS[name])
    metric = getattr(metrics, name)(**kwargs)
    assert metric.device == layerwise.backend.device()
    y_true, y_pred, sample_weight = _to(device, *_data(name))
    _update(metric, y_true, y_pred, sample_weight)
    _update(metric, y_true, y_pred, sample_weight)
    assert metric.device == torch.device(device)
    assert metric.variables and all(v.device == torch.device(device) for v in metric.variables)
    assert metric.result().device == torch.device(device)
    # Attributes and the variables list still name the same state.
    for variable in metric.variables:
        held = [v for v in vars(metric).values() if v is variable]
        assert held or name in ("IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU")
    metric.reset_state()
    assert all(v.device == torch.device(device) for v in metric.variables)


def test_data_that_is_not_a_tensor_goes_to_the_state_device():
    metric = metrics.MeanSquaredError()
    metric.update_state(torch.zeros(2, 2, device="meta"), torch.ones(2, 2, device="meta"))
    metric.update_state([[0.0, 1.0]], [[1.0, 1.0]])  # lists join the state on its device
    assert metric.device == torch.device("meta")
    accuracy = metrics.BinaryAccuracy()
    accuracy.update_state(torch.zeros(2, device="meta"), torch.ones(2, device="meta"))
    accuracy.update_state([1, 0], torch.tensor([0.9, 0.1], device="meta"))
    assert accuracy.device == torch.device("meta")


def test_state_is_created_on_the_backend_device():
    original = layerwise.backend.device()
    layerwise.backend.set_device("meta")
    try:
        metric = metrics.Precision()
        assert all(v.device == torch.device("meta") for v in metric.variables)
        metric.update_state([0, 1], [0.3, 0.8])  # lists are put on the backend device
        assert metric.result().device == torch.device("meta")
    finally:
        layerwise.backend.set_device(str(original))


# --------------------------------------------------------------------------
# Docstrings: every public name has one, with Args and an example that runs.
# --------------------------------------------------------------------------

MODULES = [
    "layerwise.metrics",
    "layerwise.metrics.metric",
    "layerwise.metrics.accuracy",
    "layerwise.metrics.confusion",
    "layerwise.metrics.f_score",
    "layerwise.metrics.regression",
]


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    globs = {"keras": layerwise, "layerwise": layerwise, "torch": torch, "np": np}
    result = doctest.testmod(
        module, extraglobs=globs, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0
    assert result.failed == 0


def test_public_names_are_documented():
    for name in metrics.__all__:
        obj = getattr(metrics, name)
        if getattr(obj, "__module__", "").startswith("layerwise.losses"):
            continue  # the loss functions are documented in layerwise.losses
        doc = obj.__doc__ or ""
        assert "Example:" in doc, name
        if name not in ("Metric",) and (isinstance(obj, type) or callable(obj)):
            assert "Args:" in doc, name


def test_add_batch_mean_equals_the_weighted_update():
    fast, general = layerwise.metrics.Mean(), layerwise.metrics.Mean()
    for value, batch_size in ((2.0, 32), (5.0, 16), (0.5, 7)):
        fast.add_batch_mean(torch.tensor(value), batch_size)
        general.update_state(torch.tensor(value), sample_weight=batch_size)
    assert float(fast.result()) == pytest.approx(float(general.result()))
    assert float(fast.count) == float(general.count) == 55
