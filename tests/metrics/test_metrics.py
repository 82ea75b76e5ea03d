"""Metric base class, reduction metrics, accuracy and regression metrics: hand-checked values."""

import math

import numpy as np
import pytest
import torch

import layerwise
import layerwise.losses
from layerwise import metrics


def value(tensor):
    assert isinstance(tensor, torch.Tensor)
    return tensor.detach().cpu().numpy()


def close(tensor, expected, tol=1e-6):
    np.testing.assert_allclose(value(tensor), expected, rtol=tol, atol=tol)


# --------------------------------------------------------------------------
# Mean, Sum, MeanMetricWrapper.
# --------------------------------------------------------------------------


def test_mean_accumulates_over_batches_and_resets():
    m = metrics.Mean()
    m.update_state([1.0, 3.0])
    m.update_state([5.0, 7.0, 9.0])
    close(m.result(), 5.0)
    assert [v.name for v in m.variables] == ["total", "count"]
    close(m.total, 25.0)
    close(m.count, 5.0)
    m.reset_state()
    close(m.result(), 0.0)  # divide_no_nan: no data is 0, not nan
    assert all(float(v.sum()) == 0.0 for v in m.variables)
    m.update_state([2.0])
    close(m.result(), 2.0)


def test_mean_with_sample_weight_and_rank_2_values():
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    close(m.result(), 2.0)
    # Values of rank 2 are averaged per sample first; a weight per sample then weighs the rows.
    m = metrics.Mean()
    m.update_state([[1.0, 3.0], [5.0, 7.0]], sample_weight=[3.0, 1.0])
    close(m.result(), (2.0 * 3 + 6.0 * 1) / 4)
    # Weights of the values' shape weigh each entry; count is the per-sample mean weight.
    m = metrics.Mean()
    m.update_state([[1.0, 3.0], [5.0, 7.0]], sample_weight=[[1.0, 0.0], [1.0, 1.0]])
    close(m.result(), (1.0 + 5.0 + 7.0) / 2 / 1.5)
    # A scalar value counts as one sample.
    m = metrics.Mean()
    m.update_state(4.0)
    m.update_state(torch.tensor(2.0))
    close(m.result(), 3.0)


def test_sum_sums_weighted_values():
    m = metrics.Sum()
    m.update_state([1, 3, 5, 7])
    close(m.result(), 16.0)
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    close(m.result(), 20.0)
    m.update_state([[1.0, 2.0], [3.0, 4.0]])
    close(m.result(), 30.0)
    # The result is a copy: later updates do not change a value already returned.
    before = m.result()
    m.update_state([100.0])
    close(before, 30.0)


def test_mean_ignores_mask_without_weights_and_uses_it_with_weights():
    values = torch.tensor([[1.0, 3.0], [5.0, 7.0]])
    values._keras_mask = torch.tensor([[True, False], [True, True]])
    m = metrics.Mean()
    m.update_state(values)  # as in Keras: a mask on the values only acts through sample weights
    close(m.result(), 4.0)
    m = metrics.Mean()
    m.update_state(values, sample_weight=torch.ones(2, 2))
    close(m.result(), (1.0 + 5.0 + 7.0) / 2 / 1.5)


def _squared_error(y_true, y_pred):
    return (torch.as_tensor(y_true, dtype=torch.float32) - torch.as_tensor(y_pred, dtype=torch.float32)) ** 2


def test_mean_metric_wrapper_passes_kwargs_and_weights():
    def scaled_error(y_true, y_pred, scale=1.0):
        return scale * torch.abs(torch.as_tensor(y_true) - torch.as_tensor(y_pred))

    m = metrics.MeanMetricWrapper(scaled_error, name="scaled", scale=10.0)
    assert m.name == "scaled"
    m.update_state([0.0, 0.0, 0.0], [1.0, 2.0, 3.0], sample_weight=[1.0, 0.0, 1.0])
    close(m.result(), 20.0)
    default = metrics.MeanMetricWrapper(_squared_error)
    assert default.name.startswith("mean_metric_wrapper")


def test_mean_metric_wrapper_applies_the_predictions_mask():
    y_pred = torch.tensor([[1.0, 1.0], [5.0, 5.0], [2.0, 2.0]])
    y_pred._keras_mask = torch.tensor([True, False, True])
    m = metrics.MeanSquaredError()
    m.update_state(torch.zeros(3, 2), y_pred)
    close(m.result(), (1.0 + 4.0) / 2)
    # Mask and weights multiply.
    m = metrics.MeanSquaredError()
    m.update_state(torch.zeros(3, 2), y_pred, sample_weight=[3.0, 1.0, 1.0])
    close(m.result(), (3.0 * 1.0 + 4.0) / 4.0)


# --------------------------------------------------------------------------
# The base class.
# --------------------------------------------------------------------------


class BinaryTruePositives(metrics.Metric):
    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="true_positives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        hits = torch.logical_and(torch.as_tensor(y_true).bool(), torch.as_tensor(y_pred).bool())
        self.true_positives.add_(hits.to(self.true_positives.dtype).sum())

    def result(self):
        return self.true_positives.clone()


def test_subclass_with_add_variable_and_call():
    m = BinaryTruePositives()
    assert m(torch.tensor([0, 1, 1, 1]), torch.tensor([1, 0, 1, 1])).item() == 2.0
    assert m([1], [1]).item() == 3.0  # __call__ accumulates: update, then result
    variable = m.variables[0]
    assert variable.path == "binary_true_positives/true_positives"
    assert variable.numpy() == 3.0
    assert not variable.requires_grad
    m.reset_state()
    assert m.result().item() == 0.0
    assert repr(m) == "<BinaryTruePositives name=binary_true_positives>"
    assert m.get_config() == {"name": "binary_true_positives", "dtype": "float32"}


def test_add_variable_initializers_and_dtypes():
    m = metrics.Metric(name="m")
    ones = m.add_variable((2,), "ones", name="a")
    counts = m.add_variable((3,), initializer="zeros", dtype="int32", name="b")
    constant = m.add_weight((2,), initializer=layerwise.initializers.Constant(2.5), name="c")
    assert ones.numpy().tolist() == [1.0, 1.0]
    assert counts.dtype == torch.int32
    assert constant.numpy().tolist() == [2.5, 2.5]
    assert [v.name for v in m.variables] == ["a", "b", "c"]
    m.reset_state()  # as Keras: reset sets every variable to zero, not to its initial value
    assert ones.numpy().tolist() == [0.0, 0.0]


def test_base_class_requires_update_state_and_result():
    m = metrics.Metric()
    with pytest.raises(NotImplementedError, match="update_state"):
        m.update_state([1], [1])
    with pytest.raises(NotImplementedError, match="result"):
        m.result()


def test_forgetting_super_init_is_reported():
    class Broken(metrics.Metric):
        def __init__(self):
            pass

    with pytest.raises(RuntimeError, match=r"super\(\)\.__init__\(\)"):
        Broken().add_variable((), "zeros", name="x")


def test_nested_metrics_share_variables_and_reset():
    class MeanAndSum(metrics.Metric):
        def __init__(self):
            super().__init__(name="both")
            self.mean = metrics.Mean(name="inner_mean")
            self.sum = metrics.Sum(name="inner_sum")

        def update_state(self, values):
            self.mean.update_state(values)
            self.sum.update_state(values)

        def result(self):
            return self.mean.result() + self.sum.result()

    m = MeanAndSum()
    m.update_state([1.0, 3.0])
    close(m.result(), 6.0)
    assert [v.path for v in m.variables] == ["inner_mean/total", "inner_mean/count", "inner_sum/total"]
    m.reset_state()
    close(m.result(), 0.0)


def test_default_names_are_unique_per_session():
    assert metrics.AUC().name == "auc"
    assert metrics.AUC().name == "auc_1"
    assert metrics.Precision().name == "precision"
    assert metrics.Mean().name == "mean"
    assert metrics.Mean().name == "mean"  # classes with a default name string keep it, as in Keras
    layerwise.backend.clear_session()
    assert metrics.AUC().name == "auc"


def test_dtypes():
    m = metrics.Mean(dtype="float64")
    m.update_state(np.array([1.0, 2.0]))
    assert m.result().dtype == torch.float64
    assert m.dtype == "float64"
    half = metrics.Accuracy(dtype="mixed_float16")
    assert half.dtype == "float16" and half.variables[0].dtype == torch.float16
    assert metrics.Mean(dtype=torch.float64).dtype == "float64"
    assert metrics.Mean(dtype={"class_name": "DTypePolicy", "config": {"name": "float64"}}).dtype == "float64"


def test_update_state_builds_no_autograd_graph():
    y_pred = torch.rand(8, 3, requires_grad=True)
    y_true = torch.rand(8, 3)
    for m in (
        metrics.MeanSquaredError(),
        metrics.AUC(),
        metrics.Precision(),
        metrics.R2Score(),
        metrics.F1Score(),
        metrics.RootMeanSquaredError(),
        metrics.CategoricalAccuracy(),
    ):
        m.update_state((y_true > 0.5).float(), y_pred * 1.0)
        assert all(v.grad_fn is None and not v.requires_grad for v in m.variables), type(m).__name__
        assert not m.result().requires_grad


# --------------------------------------------------------------------------
# Accuracy metrics.
# --------------------------------------------------------------------------


def test_accuracy():
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    close(m.result(), 0.75)
    m.reset_state()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    close(m.result(), 0.5)
    assert m.name == "accuracy"


def test_binary_accuracy_threshold_and_accumulation():
    m = metrics.BinaryAccuracy()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    close(m.result(), 0.75)
    m.update_state([1, 0], [0.2, 0.1])
    close(m.result(), 4 / 6)
    m = metrics.BinaryAccuracy(threshold=0.7)
    m.update_state([1, 1, 0], [0.6, 0.8, 0.65])
    close(m.result(), 2 / 3)
    m = metrics.BinaryAccuracy(threshold=0.0)  # for logits
    m.update_state([1, 0, 1], [2.0, -1.0, -0.5])
    close(m.result(), 2 / 3)
    close(metrics.binary_accuracy([1, 0], [0.7, 0.4]), [1.0, 1.0])


def test_categorical_accuracy():
    m = metrics.CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    close(m.result(), 0.5)
    m.reset_state()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    close(m.result(), 0.3)
    # Sequences: one value per time step.
    result = metrics.categorical_accuracy(np.eye(3)[[[0, 1], [2, 2]]], np.eye(3)[[[0, 2], [2, 1]]])
    close(result, [[1.0, 0.0], [1.0, 0.0]])


def test_sparse_categorical_accuracy_with_flat_and_column_labels():
    y_pred = [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]
    for labels in ([[2], [1]], [2, 1], np.array([2, 1], dtype="int64")):
        m = metrics.SparseCategoricalAccuracy()
        m.update_state(labels, y_pred)
        close(m.result(), 0.5)
    close(metrics.sparse_categorical_accuracy([[2], [1]], y_pred), [0.0, 1.0])
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([[2], [1]], y_pred, sample_weight=[0.7, 0.3])
    close(m.result(), 0.3)


def test_top_k_accuracies():
    y_pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    m = metrics.TopKCategoricalAccuracy(k=1)
    m.update_state([[0, 0, 1], [0, 1, 0]], y_pred)
    close(m.result(), 0.5)
    m = metrics.TopKCategoricalAccuracy(k=2)
    m.update_state([[0, 0, 1], [0, 1, 0]], y_pred)
    close(m.result(), 1.0)
    m = metrics.SparseTopKCategoricalAccuracy(k=1)
    m.update_state([2, 1], y_pred, sample_weight=[0.7, 0.3])
    close(m.result(), 0.3)
    m = metrics.SparseTopKCategoricalAccuracy(k=2)
    m.update_state([[2], [2]], y_pred)
    close(m.result(), 0.5)
    m = metrics.SparseTopKCategoricalAccuracy(k=1, from_sorted_ids=True)
    m.update_state([2, 1], [[1, 0, 3], [1, 2, 3]])
    close(m.result(), 0.5)
    # Ties with the k-th score count as "in the top k" (as Keras's in_top_k).
    close(metrics.sparse_top_k_categorical_accuracy([0], [[0.5, 0.5, 0.1]], k=1), [1.0])
    # Default k is 5.
    assert metrics.TopKCategoricalAccuracy().k == 5 and metrics.SparseTopKCategoricalAccuracy().k == 5


# --------------------------------------------------------------------------
# Regression metrics.
# --------------------------------------------------------------------------

Y_TRUE = [[0.0, 1.0], [0.0, 0.0]]
Y_PRED = [[1.0, 1.0], [0.0, 0.0]]


@pytest.mark.parametrize(
    "name, expected, weighted",
    [
        ("MeanSquaredError", 0.25, 0.5),
        ("MeanAbsoluteError", 0.25, 0.5),
        ("RootMeanSquaredError", 0.5, math.sqrt(0.5)),
        ("MeanSquaredLogarithmicError", np.log(2.0) ** 2 / 4, np.log(2.0) ** 2 / 2),
        ("LogCoshError", np.log(np.cosh(1.0)) / 4, np.log(np.cosh(1.0)) / 2),
    ],
)
def test_regression_metrics(name, expected, weighted):
    m = getattr(metrics, name)()
    m.update_state(Y_TRUE, Y_PRED)
    close(m.result(), expected, 1e-5)
    m.reset_state()
    m.update_state(Y_TRUE, Y_PRED, sample_weight=[1, 0])
    close(m.result(), weighted, 1e-5)


def test_mean_absolute_percentage_error():
    m = metrics.MeanAbsolutePercentageError()
    m.update_state([[1.0, 2.0], [4.0, 4.0]], [[1.0, 1.0], [3.0, 2.0]])
    close(m.result(), 100 * (0.25 + (0.25 + 0.5) / 2) / 2, 1e-5)


def test_root_mean_squared_error_accumulates_before_the_root():
    m = metrics.RootMeanSquaredError()
    m.update_state([0.0, 0.0], [1.0, 3.0])
    m.update_state([0.0], [2.0])
    close(m.result(), math.sqrt((1 + 9 + 4) / 3), 1e-6)


def test_cosine_similarity():
    m = metrics.CosineSimilarity(axis=1)
    m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    close(m.result(), 0.5, 1e-6)
    m.reset_state()
    m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]], sample_weight=[0.3, 0.7])
    close(m.result(), 0.7, 1e-6)
    # A zero vector has similarity 0, not nan.
    close(metrics.cosine_similarity([[0.0, 0.0]], [[1.0, 0.0]]), [0.0])


def test_r2_score():
    m = metrics.R2Score()
    m.update_state([[1], [4], [3]], [[2], [4], [4]])
    close(m.result(), 1 - 2 / (26 - 64 / 3), 1e-6)
    # Two updates equal one update with both batches.
    y_true = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 3.0]])
    y_pred = np.array([[1.5, 2.0], [2.0, 1.5], [2.5, 4.0], [4.0, 3.5]])
    whole = metrics.R2Score(class_aggregation=None)
    whole.update_state(y_true, y_pred)
    parts = metrics.R2Score(class_aggregation=None)
    parts.update_state(y_true[:2], y_pred[:2])
    parts.update_state(y_true[2:], y_pred[2:])
    close(parts.result(), value(whole.result()), 1e-6)
    expected = 1 - ((y_true - y_pred) ** 2).sum(0) / ((y_true - y_true.mean(0)) ** 2).sum(0)
    close(whole.result(), expected, 1e-6)


def test_adjusted_r2_and_its_fallbacks():
    y_true = np.array([[1.0], [2.0], [3.0], [4.0], [6.0]])
    y_pred = np.array([[1.2], [1.9], [3.3], [3.7], [5.5]])
    plain = metrics.R2Score()
    plain.update_state(y_true, y_pred)
    r2 = float(plain.result())
    adjusted = metrics.R2Score(num_regressors=2)
    adjusted.update_state(y_true, y_pred)
    close(adjusted.result(), 1 - (1 - r2) * (5 - 1) / (5 - 2 - 1), 1e-5)
    too_many = metrics.R2Score(num_regressors=4)
    too_many.update_state(y_true, y_pred)
    with pytest.warns(UserWarning, match="Division by zero"):
        close(too_many.result(), r2, 1e-6)
    way_too_many = metrics.R2Score(num_regressors=9)
    way_too_many.update_state(y_true, y_pred)
    with pytest.warns(UserWarning, match="More independent predictors"):
        close(way_too_many.result(), r2, 1e-6)


def test_correlation_metrics():
    y_true = np.array([[1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 0.0, 1.0]])
    y_pred = np.array([[2.0, 4.0, 7.0, 8.0], [1.0, 1.0, 1.0, 2.0]])
    expected = [np.corrcoef(t, p)[0, 1] for t, p in zip(y_true, y_pred)]
    close(metrics.pearson_correlation(y_true, y_pred), expected, 1e-5)
    m = metrics.PearsonCorrelation()
    m.update_state(y_true, y_pred)
    close(m.result(), np.mean(expected), 1e-5)
    m = metrics.ConcordanceCorrelation()
    m.update_state([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])
    close(m.result(), 1.0, 1e-5)


@pytest.mark.parametrize(
    "name, y_true, y_pred, expected",
    [
        ("BinaryCrossentropy", [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 0.81492424),
        ("CategoricalCrossentropy", [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], 1.1769392),
        ("SparseCategoricalCrossentropy", [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], 1.1769392),
        ("KLDivergence", [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 0.45814306),
        ("Poisson", [[0, 1], [0, 0]], [[1, 1], [0, 0]], 0.49999997),
        ("Hinge", [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 1.3),
        ("SquaredHinge", [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 1.86),
        ("CategoricalHinge", [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 1.4),
    ],
)
def test_losses_as_metrics(name, y_true, y_pred, expected):
    m = getattr(metrics, name)()
    m.update_state(y_true, y_pred)
    close(m.result(), expected, 1e-5)
    assert m._direction == "down"
    # Weighted: the second sample alone.
    m.reset_state()
    m.update_state(y_true, y_pred, sample_weight=[0, 1])
    per_sample = m._fn(
        torch.tensor(y_true, dtype=torch.float32), torch.tensor(y_pred, dtype=torch.float32), **m._fn_kwargs
    )
    close(m.result(), value(per_sample)[1], 1e-5)


def test_loss_metrics_pass_their_arguments_to_the_loss():
    logits = [[2.0], [-1.0]]
    m = metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)
    m.update_state([[1.0], [0.0]], logits)
    y = np.array([1.0, 0.0]) * 0.9 + 0.05
    p = 1 / (1 + np.exp(-np.array([2.0, -1.0])))
    close(m.result(), np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))), 1e-5)
    m = metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    m.update_state([0, 1], [[5.0, 0.0], [0.0, 0.0]])
    close(m.result(), np.log(2.0) / 2, 1e-5)  # the ignored sample contributes 0 (as in Keras)
