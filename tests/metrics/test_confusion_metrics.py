"""Confusion-matrix metrics (counts, Precision, Recall, AUC, at-value metrics, IoU) and F-scores."""

import numpy as np
import pytest
import torch

from layerwise import metrics


def value(tensor):
    assert isinstance(tensor, torch.Tensor)
    return tensor.detach().cpu().numpy()


def close(tensor, expected, tol=1e-6):
    np.testing.assert_allclose(value(tensor), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "name, y_true, y_pred, expected",
    [
        ("TruePositives", [0, 1, 1, 1], [1, 0, 1, 1], 2.0),
        ("FalsePositives", [0, 1, 0, 0], [0, 0, 1, 1], 2.0),
        ("TrueNegatives", [0, 1, 0, 0], [1, 1, 0, 0], 2.0),
        ("FalseNegatives", [0, 1, 1, 1], [0, 1, 0, 0], 2.0),
    ],
)
def test_counts(name, y_true, y_pred, expected):
    m = getattr(metrics, name)()
    m.update_state(y_true, y_pred)
    close(m.result(), expected)
    assert m.result().ndim == 0
    m.reset_state()
    m.update_state(y_true, y_pred, sample_weight=[0, 0, 1, 0])
    close(m.result(), 1.0)
    assert [v.name for v in m.variables] == ["accumulator"]


def test_counts_at_several_thresholds_accumulate():
    y_true = np.array([0, 1, 1, 0, 1], dtype="float32")
    y_pred = np.array([0.1, 0.4, 0.6, 0.7, 0.95], dtype="float32")
    thresholds = [0.3, 0.5, 0.9]
    m = metrics.TruePositives(thresholds=thresholds)
    m.update_state(y_true[:2], y_pred[:2])
    m.update_state(y_true[2:], y_pred[2:])
    expected = [((y_pred > t) & (y_true == 1)).sum() for t in thresholds]
    close(m.result(), expected)
    fp = metrics.FalsePositives(thresholds=thresholds)
    fp.update_state(y_true, y_pred)
    close(fp.result(), [((y_pred > t) & (y_true == 0)).sum() for t in thresholds])


def test_predictions_equal_to_a_threshold_are_negative():
    m = metrics.TruePositives(thresholds=[0.0, 0.5, 1.0])
    m.update_state([1, 1, 1], [0.0, 0.5, 1.0])
    close(m.result(), [2.0, 1.0, 0.0])


def test_evenly_spaced_thresholds_count_like_the_general_path():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, size=200).astype("float32")
    y_pred = rng.uniform(size=200).astype("float32")
    weights = rng.uniform(size=200).astype("float32")
    even = [i / 10 for i in range(11)]  # bucketed in one pass
    uneven = even[:-1] + [0.99]  # compared one by one
    for name in ("TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"):
        bucketed = getattr(metrics, name)(thresholds=even)
        compared = getattr(metrics, name)(thresholds=uneven)
        bucketed.update_state(y_true, y_pred, sample_weight=weights)
        compared.update_state(y_true, y_pred, sample_weight=weights)
        close(bucketed.result()[:-1], value(compared.result())[:-1], 1e-4)


def test_precision_and_recall():
    p, r = metrics.Precision(), metrics.Recall()
    for m in (p, r):
        m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    close(p.result(), 2 / 3)
    close(r.result(), 2 / 3)
    assert [v.name for v in p.variables] == ["true_positives", "false_positives"]
    assert [v.name for v in r.variables] == ["true_positives", "false_negatives"]
    p.reset_state()
    p.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    close(p.result(), 1.0)
    # No positive predictions: 0, not nan.
    empty = metrics.Precision()
    empty.update_state([1, 1], [0.1, 0.2])
    close(empty.result(), 0.0)


def test_precision_recall_with_several_thresholds_top_k_and_class_id():
    y_true = [[0, 1, 1], [1, 0, 0]]
    y_pred = [[0.2, 0.9, 0.4], [0.8, 0.7, 0.1]]
    m = metrics.Precision(thresholds=[0.3, 0.75])
    m.update_state(y_true, y_pred)
    close(m.result(), [3 / 4, 2 / 2])
    # top_k=1: only each row's highest prediction is positive.
    m = metrics.Precision(top_k=1)
    m.update_state(y_true, y_pred)
    close(m.result(), 1.0)
    m = metrics.Recall(top_k=1)
    m.update_state(y_true, y_pred)
    close(m.result(), 2 / 3)
    # class_id: only that column counts.
    m = metrics.Precision(class_id=1)
    m.update_state(y_true, y_pred)
    close(m.result(), 0.5)
    m = metrics.Recall(class_id=2, thresholds=0.3)
    m.update_state(y_true, y_pred)
    close(m.result(), 1.0)


def test_auc_hand_checked():
    m = metrics.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    # thresholds [-eps, 0.5, 1 + eps]: tp [2, 1, 0], fp [2, 0, 0], fn [0, 1, 2], tn [0, 2, 2]
    close(m.true_positives, [2, 1, 0])
    close(m.false_positives, [2, 0, 0])
    close(m.false_negatives, [0, 1, 2])
    close(m.true_negatives, [0, 2, 2])
    close(m.result(), 0.75)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    close(m.result(), 1.0)
    assert m.thresholds[0] < 0 and m.thresholds[-1] > 1 and len(m.thresholds) == 3


def test_auc_of_a_perfect_and_a_reversed_ranking():
    y_true = [0, 0, 0, 1, 1, 1]
    ranked = [0.1, 0.2, 0.3, 0.7, 0.8, 0.9]
    for curve in ("ROC", "PR"):
        perfect = metrics.AUC(curve=curve)
        perfect.update_state(y_true, ranked)
        close(perfect.result(), 1.0, 1e-5)
    reversed_ = metrics.AUC()
    reversed_.update_state(y_true, ranked[::-1])
    close(reversed_.result(), 0.0, 1e-5)


def test_auc_close_to_the_exact_roc_auc_with_many_thresholds():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, size=2000)
    y_pred = np.clip(rng.normal(0.5 + 0.2 * (y_true - 0.5), 0.2), 0, 1).astype("float32")
    m = metrics.AUC(num_thresholds=1000)
    for start in range(0, 2000, 500):
        m.update_state(y_true[start : start + 500], y_pred[start : start + 500])
    positives, negatives = y_pred[y_true == 1], y_pred[y_true == 0]
    exact = (positives[:, None] > negatives[None, :]).mean() + 0.5 * (
        positives[:, None] == negatives[None, :]
    ).mean()
    close(m.result(), exact, 2e-3)


def test_auc_summation_methods_bound_the_interpolation():
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 2, size=300)
    y_pred = rng.uniform(size=300).astype("float32")
    results = {}
    for method in ("minoring", "interpolation", "majoring"):
        m = metrics.AUC(num_thresholds=20, summation_method=method)
        m.update_state(y_true, y_pred)
        results[method] = float(m.result())
    assert results["minoring"] <= results["interpolation"] <= results["majoring"]


def test_auc_multi_label_averages_the_label_aucs():
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 2, size=(100, 3))
    y_pred = rng.uniform(size=(100, 3)).astype("float32")
    per_label = []
    for column in range(3):
        single = metrics.AUC()
        single.update_state(y_true[:, column], y_pred[:, column])
        per_label.append(float(single.result()))
    m = metrics.AUC(multi_label=True)
    assert m.variables == []  # built at the first update (num_labels unknown)
    m.reset_state()  # resetting an unbuilt AUC is fine
    m.update_state(y_true, y_pred)
    assert tuple(m.true_positives.shape) == (200, 3)
    close(m.result(), np.mean(per_label), 1e-5)
    weighted = metrics.AUC(multi_label=True, num_labels=3, label_weights=[1.0, 0.0, 3.0])
    weighted.update_state(y_true, y_pred)
    close(weighted.result(), (per_label[0] + 3 * per_label[2]) / 4, 1e-5)


def test_auc_from_logits_applies_a_sigmoid():
    logits = np.array([-2.0, 0.5, -0.3, 3.0], dtype="float32")
    m = metrics.AUC(from_logits=True, num_thresholds=3)
    m.update_state([0, 0, 1, 1], logits)
    probabilities = metrics.AUC(num_thresholds=3)
    probabilities.update_state([0, 0, 1, 1], 1 / (1 + np.exp(-logits)))
    close(m.result(), value(probabilities.result()))


def test_auc_with_explicit_thresholds():
    m = metrics.AUC(thresholds=[0.8, 0.2, 0.5])
    assert m.num_thresholds == 5
    assert m.thresholds[1:-1] == [0.2, 0.5, 0.8]
    assert m.get_config()["thresholds"] == [0.2, 0.5, 0.8]
    m.update_state([0, 1, 1, 0], [0.1, 0.6, 0.9, 0.3])
    close(m.result(), 1.0)


@pytest.mark.parametrize(
    "name, argument, expected, weights, weighted",
    [
        ("SensitivityAtSpecificity", 0.5, 0.5, [1, 1, 2, 2, 1], 0.333333),
        ("SpecificityAtSensitivity", 0.5, 0.66666667, [1, 1, 2, 2, 2], 0.5),
        ("PrecisionAtRecall", 0.5, 0.5, [2, 2, 2, 1, 1], 0.33333333),
    ],
)
def test_value_constrained_metrics(name, argument, expected, weights, weighted):
    m = getattr(metrics, name)(argument)
    m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    close(m.result(), expected, 1e-5)
    m.reset_state()
    m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8], sample_weight=weights)
    close(m.result(), weighted, 1e-5)


def test_recall_at_precision():
    m = metrics.RecallAtPrecision(0.8)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    close(m.result(), 0.5)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    close(m.result(), 1.0)
    unreachable = metrics.RecallAtPrecision(1.0, num_thresholds=1)
    unreachable.update_state([0, 1], [0.9, 0.1])
    close(unreachable.result(), 0.0)


def test_iou_metrics():
    m = metrics.IoU(num_classes=2, target_class_ids=[0])
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    close(m.result(), 1 / 3, 1e-6)
    assert m.variables[0].dtype == torch.int32
    m = metrics.MeanIoU(num_classes=2)
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[1, 2, 3, 1])
    # cm = [[1, 2], [3, 1]]: IoU = tp / (row + column - tp) = [1 / 6, 1 / 6]
    close(m.result(), 1 / 6, 1e-6)
    m = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    close(m.result(), 1 / 3, 1e-6)
    # Class ids outside [0, num_classes) and the ignored class are left out.
    m = metrics.MeanIoU(num_classes=2, ignore_class=-1)
    m.update_state([0, 1, -1, 5], [0, 1, 1, 1])
    close(m.result(), 1.0, 1e-6)
    one_hot = metrics.OneHotMeanIoU(num_classes=3)
    one_hot.update_state(np.eye(3)[[0, 1, 2]], np.eye(3)[[0, 1, 1]])
    close(one_hot.result(), (1 + 0.5 + 0) / 3, 1e-6)


def test_iou_warns_about_float_weights_with_an_integer_matrix():
    m = metrics.IoU(num_classes=2, target_class_ids=[0, 1])
    with pytest.warns(UserWarning, match="float"):
        m.update_state([0, 1], [0, 1], sample_weight=np.array([0.5, 1.0]))


def test_f_scores():
    y_true = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32)
    y_pred = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32)
    m = metrics.F1Score(threshold=0.5)
    m.update_state(y_true, y_pred)
    close(m.result(), [0.5, 0.8, 0.6666667], 1e-5)
    m = metrics.FBetaScore(beta=2.0, threshold=0.5)
    m.update_state(y_true, y_pred)
    close(m.result(), [0.3846154, 0.90909094, 0.8333334], 1e-5)
    micro = metrics.F1Score(average="micro", threshold=0.5)
    micro.update_state(y_true, y_pred)
    tp, fp, fn = 4, 2, 2
    close(micro.result(), 2 * tp / (2 * tp + fp + fn), 1e-5)
    macro = metrics.F1Score(average="macro", threshold=0.5)
    macro.update_state(y_true, y_pred)
    close(macro.result(), np.mean([0.5, 0.8, 0.6666667]), 1e-5)
    weighted = metrics.F1Score(average="weighted", threshold=0.5)
    weighted.update_state(y_true, y_pred)
    close(weighted.result(), np.average([0.5, 0.8, 0.6666667], weights=[3, 2, 1]), 1e-5)


def test_f1_default_threshold_takes_the_row_maximum_and_accumulates():
    y_true = np.array([[0, 1], [1, 0], [1, 0]])
    y_pred = np.array([[0.4, 0.6], [0.7, 0.3], [0.0, 0.0]])  # an all-zero row predicts nothing
    m = metrics.F1Score()
    m.update_state(y_true[:2], y_pred[:2])
    m.update_state(y_true[2:], y_pred[2:])
    close(m.true_positives, [1, 1])
    close(m.false_negatives, [1, 0])
    close(m.false_positives, [0, 0])
    m.reset_state()
    close(m.true_positives, [0, 0])
    m.update_state(y_true, y_pred, sample_weight=[1.0, 2.0, 0.0])
    close(m.true_positives, [2, 1])
    assert metrics.F1Score().result().tolist() == 0.0  # nothing seen yet
