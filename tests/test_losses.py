"""Unit tests of layerwise.losses: hand-checked values, reductions, weights, masks, configs, target checks."""

import doctest
import itertools
import math
import re

import numpy as np
import pytest
import torch

import layerwise
from layerwise import losses, saving

Y_TRUE = [[0.0, 1.0], [0.0, 0.0]]
Y_PRED = [[1.0, 1.0], [1.0, 0.0]]


def t(values, requires_grad=False):
    return torch.tensor(values, dtype=torch.float32, requires_grad=requires_grad)


def close(actual, expected, tol=1e-5):
    assert isinstance(actual, torch.Tensor)
    np.testing.assert_allclose(actual.detach().numpy(), np.asarray(expected, dtype=np.float32), rtol=tol, atol=1e-6)


def exactly(message):
    return "^" + re.escape(message) + "$"


# ---------------------------------------------------------------------------------------------
# Hand-checked values
# ---------------------------------------------------------------------------------------------


def test_regression_losses_by_hand():
    close(losses.mean_squared_error(Y_TRUE, Y_PRED), [0.5, 0.5])
    close(losses.mean_absolute_error(Y_TRUE, Y_PRED), [0.5, 0.5])
    close(losses.mean_absolute_percentage_error([[100.0, 200.0]], [[90.0, 210.0]]), [7.5])
    close(losses.mean_squared_logarithmic_error([[0.0, 1.0]], [[1.0, 1.0]]), [math.log(2.0) ** 2 / 2])
    close(losses.log_cosh([[0.0, 1.0]], [[1.0, 1.0]]), [math.log(math.cosh(1.0)) / 2])
    close(losses.poisson([[0.0, 1.0]], [[1.0, 1.0]]), [1.0])
    close(losses.cosine_similarity([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]), [0.0, -1.0])
    close(losses.kl_divergence([[0.0, 1.0]], [[0.4, 0.6]]), [1e-7 * math.log(1e-7 / 0.4) + math.log(1 / 0.6)])


def test_mape_clips_a_zero_target_at_epsilon():
    close(losses.mean_absolute_percentage_error([[0.0]], [[1e-7]]), [100.0])


def test_huber_is_quadratic_then_linear():
    close(losses.huber([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]]), [0.18, 0.13])
    close(losses.huber([[0.0]], [[3.0]]), [3.0 - 0.5])
    close(losses.huber([[0.0]], [[3.0]], delta=2.0), [2.0 * 3.0 - 0.5 * 4.0])
    close(losses.huber([[0.0]], [[-0.5]], delta=2.0), [0.125])
    # a non-positive delta (which torch's fused kernel refuses) follows Keras's formula
    close(losses.huber([[0.0]], [[3.0]], delta=0.0), [0.0])
    close(losses.Huber(delta=0.5)([[0.0, 0.0]], [[0.2, 2.0]]), [(0.02 + (1.0 - 0.125)) / 2])


def test_hinge_losses_by_hand():
    y_true, y_pred = [[0.0, 1.0], [1.0, 0.0]], [[0.3, 0.6], [0.2, -1.0]]
    close(losses.hinge(y_true, y_pred), [0.85, 0.4])  # 0/1 labels mapped to -1/1
    close(losses.hinge([[-1.0, 1.0]], [[0.3, 0.6]]), [0.85])
    close(losses.squared_hinge(y_true, y_pred), [0.925, 0.32])
    close(losses.categorical_hinge(y_true, y_pred), [0.7, 0.8])
    # labels that are not all 0/1 are used as they are
    close(losses.hinge([[2.0, 0.0]], [[0.3, 0.6]]), [(0.4 + 1.0) / 2])


def test_crossentropies_by_hand():
    y_true, y_pred = [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
    close(losses.binary_crossentropy(y_true, y_pred), [-math.log(0.4), -(math.log(0.6) + math.log(0.4)) / 2])
    probs = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    close(losses.categorical_crossentropy([[0, 1, 0], [0, 0, 1]], probs), [-math.log(0.95), -math.log(0.1)])
    close(losses.sparse_categorical_crossentropy([1, 2], probs), [-math.log(0.95), -math.log(0.1)])
    close(losses.sparse_categorical_crossentropy([[1], [2]], probs), [-math.log(0.95), -math.log(0.1)])
    # probabilities are rescaled to sum to 1 and clipped at epsilon
    close(losses.categorical_crossentropy([[1.0, 0.0]], [[2.0, 2.0]]), [math.log(2.0)])
    close(losses.categorical_crossentropy([[0.0, 1.0]], [[1.0, 0.0]]), [-math.log(1e-7)], tol=1e-4)


def test_label_smoothing_by_hand():
    p = [0.2, 0.5, 0.3]
    expected = -(0.1 * math.log(0.2) + 0.8 * math.log(0.5) + 0.1 * math.log(0.3))
    close(losses.categorical_crossentropy([[0, 1, 0]], [p], label_smoothing=0.3), [expected])
    close(losses.CategoricalCrossentropy(label_smoothing=0.3)([[0, 1, 0]], [p]), expected)
    logits = torch.log(t([p]))
    close(losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.3)([[0, 1, 0]], logits), expected)
    # binary: targets squeezed towards 0.5 (1 -> 0.9, 0 -> 0.1 for 0.2)
    bce = -(0.9 * math.log(0.7) + 0.1 * math.log(0.3) + 0.1 * math.log(0.2) + 0.9 * math.log(0.8)) / 2
    close(losses.binary_crossentropy([[1, 0]], [[0.7, 0.2]], label_smoothing=0.2), [bce])
    close(losses.BinaryCrossentropy(label_smoothing=0.2)([[1, 0]], [[0.7, 0.2]]), bce)


def test_focal_losses_reduce_to_plain_crossentropy():
    y_true, y_pred = [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
    close(losses.binary_focal_crossentropy(y_true, y_pred, gamma=0.0), losses.binary_crossentropy(y_true, y_pred))
    p_t = np.array([[0.4, 0.4], [0.6, 0.4]])
    bce = -np.log(p_t)
    close(losses.binary_focal_crossentropy(y_true, y_pred, gamma=2.0), np.mean((1 - p_t) ** 2 * bce, axis=-1))
    weights = np.array([[0.75, 0.25], [0.75, 0.75]])
    close(losses.binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=True, alpha=0.25, gamma=2.0),
          np.mean(weights * (1 - p_t) ** 2 * bce, axis=-1))
    probs = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    onehot = [[0, 1, 0], [0, 0, 1]]
    close(losses.categorical_focal_crossentropy(onehot, probs, alpha=1.0, gamma=0.0),
          losses.categorical_crossentropy(onehot, probs))
    close(losses.categorical_focal_crossentropy(onehot, probs), [0.25 * 0.05 ** 2 * -math.log(0.95),
                                                                 0.25 * 0.9 ** 2 * -math.log(0.1)])


def test_segmentation_and_other_losses_by_hand():
    close(losses.dice([[1.0, 1.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]), 1 - 2 * 1 / (2 + 2 + 1e-7))
    close(losses.dice([[1.0, 1.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]], axis=1), [1 - 2 / 3, 1.0])
    close(losses.tversky([[1.0, 1.0]], [[0.0, 1.0]], alpha=0.3, beta=0.7), 1 - 1 / (1 + 1 * 0.3 + 0 * 0.7))
    close(losses.categorical_generalized_cross_entropy([1, 2], [[0.1, 0.9, 0.0], [0.2, 0.6, 0.2]], q=0.5),
          [(1 - 0.9 ** 0.5) / 0.5, (1 - 0.2 ** 0.5) / 0.5])
    # uniform logits: every path of 4 steps has probability (1/3)**4; count those that read "1 2"
    def collapse(path):
        merged = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
        return [c for c in merged if c != 0]

    paths = sum(collapse(p) == [1, 2] for p in itertools.product(range(3), repeat=4))
    assert paths == 15
    close(losses.ctc([[1, 2]], torch.zeros(1, 4, 3)), [-math.log(paths / 81)])


def test_circle_masks_queries_without_loss():
    emb = torch.nn.functional.normalize(t([[1.0, 0.2], [0.9, 0.1], [0.1, 1.0], [0.3, 0.8]]))
    per_query = losses.circle([0, 0, 1, 1], emb)
    assert per_query.shape == (4,) and per_query._keras_mask.dtype == torch.bool
    assert bool(per_query._keras_mask.all())
    close(losses.Circle()([0, 0, 1, 1], emb), per_query.mean())
    with pytest.raises(ValueError, match="q must be in the interval"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.0)


# ---------------------------------------------------------------------------------------------
# Reductions, sample weights, masks
# ---------------------------------------------------------------------------------------------


def test_reductions():
    per_sample = [0.5, 0.5]
    close(losses.MeanSquaredError()(Y_TRUE, Y_PRED), 0.5)
    close(losses.MeanSquaredError(reduction="mean")(Y_TRUE, Y_PRED), 0.5)
    close(losses.MeanSquaredError(reduction="sum")(Y_TRUE, Y_PRED), 1.0)
    close(losses.MeanSquaredError(reduction="mean_with_sample_weight")(Y_TRUE, Y_PRED), 0.5)
    close(losses.MeanSquaredError(reduction="none")(Y_TRUE, Y_PRED), per_sample)
    close(losses.MeanSquaredError(reduction=None)(Y_TRUE, Y_PRED), per_sample)
    with pytest.raises(ValueError, match=re.escape("Invalid value for argument `reduction`. Expected one of "
                                                   "'sum_over_batch_size', 'sum', None, 'none', 'mean', "
                                                   "'mean_with_sample_weight'. Received: reduction='avg'")):
        losses.MeanSquaredError(reduction="avg")


def test_reduction_can_be_changed_after_construction():
    loss = losses.MeanSquaredError()
    assert loss._fast is not None
    loss.reduction = "sum"
    assert loss._fast is None
    close(loss(Y_TRUE, Y_PRED), 1.0)
    with pytest.raises(ValueError, match="Invalid value for argument `reduction`"):
        loss.reduction = "total"


def test_sample_weight():
    y_true, y_pred = [[0.0], [0.0], [0.0]], [[1.0], [2.0], [3.0]]  # per-sample losses 1, 4, 9
    weights = [1.0, 0.0, 2.0]
    close(losses.MeanSquaredError()(y_true, y_pred, sample_weight=weights), (1 + 18) / 3)
    close(losses.MeanSquaredError(reduction="sum")(y_true, y_pred, sample_weight=weights), 19.0)
    close(losses.MeanSquaredError(reduction="mean_with_sample_weight")(y_true, y_pred, sample_weight=weights),
          19.0 / 3.0)
    close(losses.MeanSquaredError(reduction="none")(y_true, y_pred, sample_weight=weights), [1.0, 0.0, 18.0])
    # a column of weights weights the same samples (and keeps its shape with reduction none, as in Keras)
    column = np.array(weights)[:, None]
    close(losses.MeanSquaredError()(y_true, y_pred, sample_weight=column), (1 + 18) / 3)
    assert losses.MeanSquaredError(reduction="none")(y_true, y_pred, sample_weight=column).shape == (3, 1)
    # a scalar weight scales everything
    close(losses.MeanSquaredError()(y_true, y_pred, sample_weight=2.0), 2 * 14 / 3)
    # per-timestep weights for sequence losses
    seq_true, seq_pred = torch.zeros(2, 3, 1), torch.arange(6.0).reshape(2, 3, 1)
    step_weights = t([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    close(losses.MeanSquaredError()(seq_true, seq_pred, sample_weight=step_weights), (0 + 25) / 6)
    # all-zero weights with mean_with_sample_weight give 0, not NaN
    close(losses.MeanSquaredError(reduction="mean_with_sample_weight")(y_true, y_pred, sample_weight=[0.0] * 3),
          0.0)


def test_sample_weight_is_not_modified():
    weights = t([[1.0, 2.0], [3.0, 4.0]])
    y_pred = torch.ones(2, 2, 3)
    y_pred._keras_mask = torch.tensor([[True, False], [True, True]])
    losses.MeanSquaredError()(torch.zeros(2, 2, 3), y_pred, sample_weight=weights)
    close(weights, [[1.0, 2.0], [3.0, 4.0]])


def test_input_mask_averages_over_kept_entries():
    y_true, y_pred = torch.zeros(2, 3, 1), torch.arange(6.0).reshape(2, 3, 1)  # losses 0 1 4 / 9 16 25
    y_pred._keras_mask = torch.tensor([[True, True, False], [False, True, True]])
    close(losses.MeanSquaredError()(y_true, y_pred), (0 + 1 + 16 + 25) / 4)
    close(losses.MeanSquaredError(reduction="sum")(y_true, y_pred), 42.0)
    close(losses.MeanSquaredError(reduction="mean_with_sample_weight")(y_true, y_pred), 42.0 / 4)
    close(losses.MeanSquaredError(reduction="none")(y_true, y_pred), [[0, 1, 0], [0, 16, 25]])
    weights = t([[2.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    close(losses.MeanSquaredError()(y_true, y_pred, sample_weight=weights), (0 + 1 + 16) / 4)
    # everything masked: 0, not NaN
    y_pred._keras_mask = torch.zeros(2, 3, dtype=torch.bool)
    close(losses.MeanSquaredError()(y_true, y_pred), 0.0)


def test_ignore_class():
    probs = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    per_sample = losses.sparse_categorical_crossentropy([1, -1], probs, ignore_class=-1)
    close(per_sample, [-math.log(0.95), 0.0])
    assert per_sample._keras_mask.tolist() == [True, False]
    expected = -math.log(0.95)
    close(losses.SparseCategoricalCrossentropy(ignore_class=-1)([1, -1], probs), expected)
    close(losses.SparseCategoricalCrossentropy(ignore_class=-1)(t([1.0, -1.0]), probs), expected)
    close(losses.SparseCategoricalCrossentropy(ignore_class=-1, reduction="sum")([1, -1], probs), expected)
    logits = torch.log(t(probs).clamp(min=1e-7))
    close(losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)([1, 2], logits), expected, tol=1e-4)
    # all labels ignored: 0, not NaN, on the fused path and on the weighted one
    close(losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)([0, 0], logits), 0.0)
    close(losses.SparseCategoricalCrossentropy(ignore_class=0)([0, 0], probs, sample_weight=[1.0, 1.0]), 0.0)


def test_ignore_class_gradients_are_finite_for_probabilities():
    probs = t([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]], requires_grad=True)
    losses.SparseCategoricalCrossentropy(ignore_class=-1)([1, -1], probs).backward()
    assert torch.isfinite(probs.grad).all() and probs.grad[1].abs().sum() == 0


def test_custom_loss_subclass():
    class Cubed(losses.Loss):
        def call(self, y_true, y_pred):
            return torch.mean(torch.abs(y_pred - y_true) ** 3, dim=-1)

    loss = Cubed()
    assert loss.name == "cubed" and Cubed().name == "cubed_1"
    close(loss([[0.0, 0.0]], [[1.0, 2.0]]), 4.5)
    close(Cubed(reduction="sum")([[0.0], [0.0]], [[1.0], [2.0]], sample_weight=[1.0, 0.5]), 1.0 + 4.0)
    assert loss.get_config() == {"name": "cubed", "reduction": "sum_over_batch_size"}
    with pytest.raises(NotImplementedError, match="must implement call"):
        losses.Loss()([0.0], [0.0])


def test_overriding_call_disables_the_fused_path():
    class Doubled(losses.MeanSquaredError):
        def call(self, y_true, y_pred):
            return 2 * super().call(y_true, y_pred)

    assert Doubled()._fast is None
    close(Doubled()(Y_TRUE, Y_PRED), 1.0)


def test_fused_path_matches_the_general_path():
    rng = np.random.default_rng(0)
    cases = [
        (losses.MeanSquaredError(), rng.normal(size=(6, 4)), rng.normal(size=(6, 4))),
        (losses.MeanAbsoluteError(), rng.normal(size=(6, 4)), rng.normal(size=(6, 4))),
        (losses.Huber(delta=0.7), rng.normal(size=(6, 4)), rng.normal(size=(6, 4))),
        (losses.BinaryCrossentropy(), rng.integers(0, 2, (6, 4)), rng.uniform(0.01, 0.99, (6, 4))),
        (losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), rng.integers(0, 2, (6, 4)),
         rng.normal(size=(6, 4))),
        (losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2), np.eye(4)[rng.integers(0, 4, 6)],
         rng.normal(size=(6, 4))),
        (losses.SparseCategoricalCrossentropy(), rng.integers(0, 4, 6), rng.uniform(0.1, 1, (6, 4))),
        (losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1), rng.integers(0, 4, (2, 3)),
         rng.normal(size=(2, 3, 4))),
    ]
    for loss, y_true, y_pred in cases:
        assert loss._fast is not None, loss
        fused = loss(y_true, y_pred)
        general = loss(y_true, y_pred, sample_weight=1.0)  # weights take the general path
        close(fused, general.item())


def test_dtype():
    loss = losses.MeanSquaredError(dtype="float64")
    assert loss.dtype == "float64"
    assert loss(Y_TRUE, Y_PRED).dtype == torch.float64
    assert losses.MeanSquaredError(dtype="mixed_float16").dtype == "float16"
    assert losses.MeanSquaredError().dtype == "float32"
    # a float16 model output is computed in float32
    assert losses.MeanSquaredError()(Y_TRUE, t(Y_PRED).half()).dtype == torch.float32


# ---------------------------------------------------------------------------------------------
# Inputs, shapes, gradients
# ---------------------------------------------------------------------------------------------


def test_numpy_in_tensor_out():
    y_true, y_pred = np.array(Y_TRUE), np.array(Y_PRED)  # float64 arrays compute in float32
    for fn in (losses.mean_squared_error, losses.binary_crossentropy, losses.kl_divergence):
        out = fn(y_true, np.clip(y_pred, 0.1, 0.9))
        assert isinstance(out, torch.Tensor) and out.dtype == torch.float32 and out.shape == (2,)
    out = losses.MeanSquaredError()(y_true, y_pred)
    assert isinstance(out, torch.Tensor) and out.shape == () and out.dtype == torch.float32
    out = losses.SparseCategoricalCrossentropy()(np.array([0, 1]), np.array([[0.9, 0.1], [0.2, 0.8]]))
    close(out, -(math.log(0.9) + math.log(0.8)) / 2)


def test_integer_targets_are_cast():
    close(losses.MeanSquaredError()(np.array([[1, 2]]), [[0.0, 0.0]]), 2.5)
    close(losses.BinaryCrossentropy()(torch.tensor([[1, 0]]), [[0.5, 0.5]]), math.log(2.0))
    close(losses.mean_squared_error(np.array([1, 2]), np.array([0, 0])), 2.5)  # integer predictions too
    labels = torch.tensor([1, 0])
    probs = t([[0.2, 0.8], [0.6, 0.4]])
    close(losses.SparseCategoricalCrossentropy()(labels, probs), losses.SparseCategoricalCrossentropy()(
        labels.float(), probs))


def test_target_column_and_vector_are_aligned_with_the_output():
    # (batch,) targets for a (batch, 1) output are expanded, as Keras's loss classes do
    close(losses.BinaryCrossentropy()([1.0, 0.0], [[0.8], [0.3]]), -(math.log(0.8) + math.log(0.7)) / 2)
    close(losses.MeanSquaredError()([1.0, 2.0], [[0.0], [0.0]]), 2.5)
    # but the function form needs equal shapes for binary crossentropy, as Keras's does
    with pytest.raises(ValueError, match=re.escape("Arguments `target` and `output` must have the same shape. "
                                                   "Received: target.shape=(2,), output.shape=(2, 1)")):
        losses.binary_crossentropy([1.0, 0.0], [[0.8], [0.3]])


def test_shape_errors_and_axis_checks():
    with pytest.raises(ValueError, match=re.escape("target.shape=(2, 2), output.shape=(2, 3)")):
        losses.categorical_crossentropy([[0, 1], [1, 0]], [[0.2, 0.3, 0.5], [0.2, 0.3, 0.5]])
    with pytest.raises(ValueError, match=re.escape("must have the same shape up until the last dimension")):
        losses.sparse_categorical_crossentropy([[0, 1]], [[0.2, 0.3, 0.5]])
    with pytest.raises(ValueError, match=re.escape("`axis` must be of type `int`. Received: axis=True")):
        losses.categorical_crossentropy([[0, 1]], [[0.5, 0.5]], axis=True)
    with pytest.raises(ValueError, match=re.escape("Received: y_true.shape=(4,)")):
        losses.ctc([1, 2, 0, 0], torch.zeros(1, 4, 3))
    with pytest.warns(SyntaxWarning, match="Consider using 'binary_crossentropy'"):
        losses.categorical_crossentropy([[1.0]], [[0.4]])


def test_empty_batch():
    out = losses.MeanSquaredError()(np.zeros((0, 3)), np.zeros((0, 3)))
    assert out.shape == (0,)


ALL_CLASSES = [
    (losses.MeanSquaredError(), "regression"), (losses.MeanAbsoluteError(), "regression"),
    (losses.MeanAbsolutePercentageError(), "positive"), (losses.MeanSquaredLogarithmicError(), "positive"),
    (losses.Huber(), "regression"), (losses.LogCosh(), "regression"), (losses.KLDivergence(), "probs"),
    (losses.Poisson(), "positive"), (losses.Hinge(), "binary"), (losses.SquaredHinge(), "binary"),
    (losses.CategoricalHinge(), "onehot"), (losses.CosineSimilarity(), "regression"),
    (losses.BinaryCrossentropy(), "binary"), (losses.BinaryCrossentropy(from_logits=True), "binary_logits"),
    (losses.BinaryFocalCrossentropy(), "binary"), (losses.BinaryFocalCrossentropy(from_logits=True), "binary_logits"),
    (losses.CategoricalCrossentropy(), "onehot"), (losses.CategoricalCrossentropy(from_logits=True), "onehot_logits"),
    (losses.CategoricalFocalCrossentropy(), "onehot"),
    (losses.SparseCategoricalCrossentropy(), "sparse"),
    (losses.SparseCategoricalCrossentropy(from_logits=True), "sparse_logits"),
    (losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0), "sparse_logits"),
    (losses.Dice(), "binary"), (losses.Tversky(), "binary"), (losses.Circle(), "circle"), (losses.CTC(), "ctc"),
    (losses.CategoricalGeneralizedCrossEntropy(), "sparse"),
]


def _inputs(kind, generator):
    if kind == "ctc":
        return torch.tensor([[1, 2, 0], [2, 2, 1], [1, 0, 0], [2, 1, 2]]), torch.randn(4, 6, 3, generator=generator)
    if kind == "circle":
        return torch.tensor([0, 1, 0, 1]), torch.nn.functional.normalize(torch.randn(4, 3, generator=generator))
    if kind.startswith("sparse"):
        scores = torch.randn(4, 3, generator=generator)
        return torch.tensor([0, 2, 1, 2]), scores if kind.endswith("logits") else scores.softmax(-1)
    if kind.startswith("onehot"):
        scores = torch.randn(4, 3, generator=generator)
        return torch.eye(3)[[0, 2, 1, 2]], scores if kind.endswith("logits") else scores.softmax(-1)
    if kind.startswith("binary"):
        scores = torch.randn(4, 3, generator=generator)
        return torch.tensor([[0.0, 1.0, 1.0]] * 4), scores if kind.endswith("logits") else scores.sigmoid()
    if kind == "probs":
        return torch.rand(4, 3, generator=generator).softmax(-1), torch.rand(4, 3, generator=generator).softmax(-1)
    if kind == "positive":
        return torch.rand(4, 3, generator=generator) + 0.5, torch.rand(4, 3, generator=generator) + 0.5
    return torch.randn(4, 3, generator=generator), torch.randn(4, 3, generator=generator)


@pytest.mark.parametrize("loss, kind", ALL_CLASSES, ids=[f"{type(c).__name__}-{k}" for c, k in ALL_CLASSES])
def test_gradients_flow_to_y_pred(loss, kind):
    y_true, y_pred = _inputs(kind, torch.Generator().manual_seed(1))
    y_pred.requires_grad_(True)
    value = loss(y_true, y_pred)
    assert value.shape == () and torch.isfinite(value)
    value.backward()
    assert y_pred.grad is not None and torch.isfinite(y_pred.grad).all() and y_pred.grad.abs().sum() > 0


class _NoHostSync:
    """Make every tensor-to-host conversion raise, to prove a loss call never synchronises."""

    NAMES = ("item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__", "cpu")

    def __init__(self, monkeypatch):
        for name in self.NAMES:
            monkeypatch.setattr(torch.Tensor, name, self._refuse(name))

    @staticmethod
    def _refuse(name):
        def refuse(*args, **kwargs):
            raise AssertionError(f"host synchronisation: Tensor.{name}() called inside a loss")

        return refuse


@pytest.mark.parametrize("loss, kind", ALL_CLASSES, ids=[f"{type(c).__name__}-{k}" for c, k in ALL_CLASSES])
def test_no_host_synchronisation(loss, kind, monkeypatch):
    y_true, y_pred = _inputs(kind, torch.Generator().manual_seed(2))
    y_pred.requires_grad_(True)
    masked = y_pred.detach().clone().requires_grad_(True)
    masked._keras_mask = torch.tensor([True, False, True, True])
    weights = torch.tensor([1.0, 0.5, 0.0, 2.0])
    _NoHostSync(monkeypatch)
    loss(y_true, y_pred).backward()
    loss(y_true, masked, sample_weight=weights).backward()
    loss.__class__.from_config(loss.get_config())(y_true, y_pred)


# ---------------------------------------------------------------------------------------------
# Names, configs, serialization
# ---------------------------------------------------------------------------------------------


def test_get_returns_functions_for_function_names_and_instances_for_class_names():
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    for alias, fn in [("mse", losses.mean_squared_error), ("MSE", losses.mean_squared_error),
                      ("mae", losses.mean_absolute_error), ("mape", losses.mean_absolute_percentage_error),
                      ("msle", losses.mean_squared_logarithmic_error), ("huber", losses.huber),
                      ("log_cosh", losses.log_cosh), ("logcosh", losses.log_cosh), ("kld", losses.kl_divergence),
                      ("kl_divergence", losses.kl_divergence), ("bce", losses.binary_crossentropy),
                      ("binary_crossentropy", losses.binary_crossentropy),
                      ("sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy)]:
        assert losses.get(alias) is fn, alias
    instance = losses.get("CategoricalCrossentropy")
    assert type(instance) is losses.CategoricalCrossentropy and instance.from_logits is False
    assert type(losses.get(losses.Huber)) is losses.Huber
    assert losses.get(losses.poisson) is losses.poisson
    existing = losses.Huber(delta=3.0)
    assert losses.get(existing) is existing
    assert losses.get(None) is None
    assert losses.get({"class_name": "Huber", "config": {"delta": 2.0}}).delta == 2.0
    assert losses.mse is losses.mean_squared_error and losses.logcosh is losses.log_cosh


def test_get_errors():
    with pytest.raises(ValueError, match=r"^Unknown loss 'mean_sqared_error'\. Known losses: .*mean_squared_error"):
        losses.get("mean_sqared_error")
    with pytest.raises(ValueError, match=exactly(
            "Could not interpret loss identifier 3: expected None, a name such as 'mean_squared_error', "
            "a config dict, a Loss instance or a loss function.")):
        losses.get(3)


LOSS_CLASSES = [
    losses.MeanSquaredError, losses.MeanAbsoluteError, losses.MeanAbsolutePercentageError,
    losses.MeanSquaredLogarithmicError, losses.CosineSimilarity, losses.Huber, losses.LogCosh, losses.Hinge,
    losses.SquaredHinge, losses.CategoricalHinge, losses.KLDivergence, losses.Poisson, losses.BinaryCrossentropy,
    losses.BinaryFocalCrossentropy, losses.CategoricalCrossentropy, losses.CategoricalFocalCrossentropy,
    losses.SparseCategoricalCrossentropy, losses.CTC, losses.Dice, losses.Tversky, losses.Circle,
    losses.CategoricalGeneralizedCrossEntropy,
]


@pytest.mark.parametrize("cls", LOSS_CLASSES, ids=lambda c: c.__name__)
def test_config_round_trip(cls):
    loss = cls(reduction="sum", name="custom_name")
    config = loss.get_config()
    assert config["name"] == "custom_name" and config["reduction"] == "sum"
    rebuilt = cls.from_config(config)
    assert type(rebuilt) is cls and rebuilt.get_config() == config
    serialized = losses.serialize(loss)
    assert serialized == {"module": "keras.losses", "class_name": cls.__name__, "config": config,
                          "registered_name": None}
    assert losses.deserialize(serialized).get_config() == config
    assert losses.get(serialized).get_config() == config
    assert saving.registry.get_registered_object(cls.__name__, category="losses") is cls
    assert cls.__doc__ and "Args:" in cls.__doc__ and "Example:" in cls.__doc__


def test_non_default_options_survive_a_round_trip():
    for loss in (losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, axis=1),
                 losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.4, gamma=1.0),
                 losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2),
                 losses.CategoricalFocalCrossentropy(alpha=0.3, gamma=0.5),
                 losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, axis=1),
                 losses.Huber(delta=2.5), losses.CosineSimilarity(axis=1), losses.Dice(axis=(1, 2)),
                 losses.Tversky(alpha=0.2, beta=0.8), losses.Circle(gamma=10.0, margin=0.3, remove_diagonal=False),
                 losses.CategoricalGeneralizedCrossEntropy(q=0.3)):
        rebuilt = losses.deserialize(losses.serialize(loss))
        assert rebuilt.get_config() == loss.get_config()
        assert rebuilt._fn_kwargs == loss._fn_kwargs
    # Keras leaves delta out of Huber's config; layerwise writes it only when it is not the default
    assert losses.Huber().get_config() == {"name": "huber_loss", "reduction": "sum_over_batch_size"}
    assert losses.Huber(delta=2.5).get_config()["delta"] == 2.5
    assert losses.SparseCategoricalCrossentropy().get_config() == {
        "name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": False,
        "ignore_class": None}


def test_function_serialization_round_trip():
    config = losses.serialize(losses.mean_squared_error)
    assert config == {"module": "builtins", "class_name": "function", "config": "mean_squared_error",
                      "registered_name": "function"}
    assert losses.deserialize(config) is losses.mean_squared_error
    assert losses.deserialize("mse") is losses.mean_squared_error
    assert type(losses.deserialize("MeanSquaredError")) is losses.MeanSquaredError
    assert losses.serialize(None) is None


def test_wrapper_and_user_registered_losses():
    wrapper = losses.LossFunctionWrapper(losses.huber, delta=2.0, name="w")
    config = wrapper.get_config()
    assert config == {"name": "w", "reduction": "sum_over_batch_size",
                      "fn": losses.serialize(losses.huber), "delta": 2.0}
    rebuilt = losses.deserialize(losses.serialize(wrapper))
    assert type(rebuilt) is losses.LossFunctionWrapper and rebuilt.fn is losses.huber
    close(rebuilt([[0.0]], [[3.0]]), 2.0 * 3.0 - 0.5 * 4.0)
    assert losses.serialize(wrapper)["registered_name"] == "LossFunctionWrapper"

    @saving.register_serializable(package="Tests")
    def doubled_mse(y_true, y_pred):
        return 2 * losses.mean_squared_error(y_true, y_pred)

    config = losses.serialize(doubled_mse)
    assert config["config"] == "Tests>doubled_mse"
    assert losses.deserialize(config) is doubled_mse
    assert losses.get("Tests>doubled_mse") is doubled_mse
    wrapped = losses.deserialize(losses.serialize(losses.LossFunctionWrapper(doubled_mse)))
    close(wrapped(Y_TRUE, Y_PRED), 1.0)


def test_every_public_object_is_registered_and_documented():
    for name, obj in saving.registry.builtin_objects("losses").items():
        assert obj.__doc__ and "Example:" in obj.__doc__, name
        if obj is not losses.Loss and obj is not losses.LossFunctionWrapper or name == "LossFunctionWrapper":
            assert "Args:" in obj.__doc__, name
    for fn in (losses.get, losses.serialize, losses.deserialize, losses.check_targets):
        assert "Args:" in fn.__doc__ and "Example:" in fn.__doc__


def test_docstring_examples_run():
    result = doctest.testmod(losses, extraglobs={"keras": layerwise, "torch": torch, "np": np},
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 60 and result.failed == 0


# ---------------------------------------------------------------------------------------------
# check_targets: validation before training
# ---------------------------------------------------------------------------------------------

ONE_HOT = np.eye(10)[np.arange(100) % 10]
LABELS = np.arange(100) % 10


def test_check_targets_accepts_fitting_targets():
    ok = [
        ("sparse_categorical_crossentropy", LABELS, (None, 10)),
        ("sparse_categorical_crossentropy", LABELS[:, None], (None, 10)),
        (losses.SparseCategoricalCrossentropy(ignore_class=-1), LABELS - 1, (None, 10)),
        (losses.SparseCategoricalCrossentropy(), np.zeros((4, 7), int), (None, 7, 5)),
        (losses.SparseCategoricalCrossentropy(), np.zeros((4, 7, 1), int), (None, 7, 5)),
        (losses.SparseCategoricalCrossentropy(axis=1), np.zeros((4, 7)), (None, 5, 7)),
        ("categorical_crossentropy", ONE_HOT, (None, 10)),
        (losses.CategoricalCrossentropy(label_smoothing=0.1), ONE_HOT * 0.9, (None, 10)),
        ("binary_crossentropy", np.array([0, 1, 1, 0]), (None, 1)),
        ("binary_crossentropy", np.array([[0, 1], [1, 1]]), (None, 2)),
        ("binary_crossentropy", np.array([True, False]), (None, 1)),
        ("mse", np.zeros(100), (None, 1)),
        ("mse", np.zeros((100, 1)), (None,)),
        ("mse", np.zeros((100, 2, 3)), (None, None, 3)),
        (losses.mean_absolute_error, np.zeros((5, 3)), (None, 3)),
        (losses.Huber(), torch.zeros(5, 1), (None, 1)),
        ("hinge", np.array([-1, 1]), (None, 1)),
        (lambda y_true, y_pred: y_pred, np.zeros((5, 2)), (None, 1)),  # custom losses are not checked
        (losses.Loss(), np.zeros((5, 2)), (None, 1)),
    ]
    for loss, y, output_shape in ok:
        assert losses.check_targets(loss, y, output_shape) is None


def test_sparse_loss_given_one_hot_targets():
    message = ("sparse_categorical_crossentropy expects integer class labels of shape (100,) or (100, 1), but the "
               "targets have shape (100, 10), which looks one-hot encoded: use categorical_crossentropy, or pass "
               "y.argmax(axis=1)")
    for loss in ("sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy,
                 losses.SparseCategoricalCrossentropy(), losses.get("SparseCategoricalCrossentropy")):
        with pytest.raises(ValueError, match=exactly(message)):
            losses.check_targets(loss, ONE_HOT, (None, 10))
    with pytest.raises(ValueError, match=exactly(message)):
        losses.SparseCategoricalCrossentropy().check_targets(ONE_HOT, (None, 10))
    with pytest.raises(ValueError, match=exactly(
            "sparse_categorical_crossentropy expects integer class labels of shape (4, 7) or (4, 7, 1), but the "
            "targets have shape (4, 7, 5), which looks one-hot encoded: use categorical_crossentropy, or pass "
            "y.argmax(axis=2)")):
        losses.check_targets("sparse_categorical_crossentropy", np.zeros((4, 7, 5)), (None, 7, 5))


def test_categorical_loss_given_integer_labels():
    for y in (LABELS, LABELS[:, None]):
        with pytest.raises(ValueError, match=exactly(
                "categorical_crossentropy expects one-hot encoded targets of shape (100, 10), but the targets have "
                f"shape {y.shape}, which looks like integer class labels: use sparse_categorical_crossentropy or "
                "keras.utils.to_categorical(y, 10)")):
            losses.check_targets(losses.CategoricalCrossentropy(), y, (None, 10))
    with pytest.raises(ValueError, match=exactly(
            "categorical_focal_crossentropy expects one-hot encoded targets of shape (100, 10), but the targets "
            "have shape (100,), which looks like integer class labels: use sparse_categorical_crossentropy or "
            "keras.utils.to_categorical(y, 10)")):
        losses.check_targets("categorical_focal_crossentropy", LABELS, (None, 10))


def test_sparse_labels_out_of_range():
    with pytest.raises(ValueError, match=exactly(
            "sparse_categorical_crossentropy expects class labels from 0 to 9 (the model output has 10 classes), "
            "but the targets range from 1 to 10: 10 of 100 labels are outside [0, 10). If the labels count from "
            "1, pass y - 1; otherwise give the output layer 11 units.")):
        losses.check_targets("sparse_categorical_crossentropy", LABELS + 1, (None, 10))
    with pytest.raises(ValueError, match=exactly(
            "sparse_categorical_crossentropy expects class labels from 0 to 9 (the model output has 10 classes), "
            "but the targets range from 0 to 11: 16 of 100 labels are outside [0, 10). Give the output layer 12 "
            "units, or re-encode the labels as 0 to 9.")):
        losses.check_targets("sparse_categorical_crossentropy", np.arange(100) % 12, (None, 10))
    with pytest.raises(ValueError, match=exactly(
            "sparse_categorical_crossentropy expects class labels from 0 to 9 (the model output has 10 classes), "
            "but the targets range from -1 to 8: 10 of 100 labels are outside [0, 10). Negative labels are not "
            "classes: to skip padding labels, pass ignore_class=-1.")):
        losses.check_targets(losses.SparseCategoricalCrossentropy(), LABELS - 1, (None, 10))


def test_sparse_labels_out_of_range_respect_ignore_class():
    with pytest.raises(ValueError, match=exactly(
            "sparse_categorical_crossentropy expects class labels from 0 to 9 (the model output has 10 classes), "
            "but the targets range from 0 to 10 (labels equal to ignore_class=-1 are skipped): 8 of 91 labels "
            "are outside [0, 10). Give the output layer 11 units, or re-encode the labels as 0 to 9.")):
        losses.check_targets(losses.SparseCategoricalCrossentropy(ignore_class=-1), np.arange(100) % 12 - 1,
                             (None, 10))
    # a wrapper of the function (what compile builds from a string) carries the option too
    wrapper = losses.LossFunctionWrapper(losses.sparse_categorical_crossentropy, ignore_class=10)
    assert losses.check_targets(wrapper, np.arange(100) % 11, (None, 10)) is None


def test_sparse_labels_must_be_whole_numbers_of_the_right_shape():
    with pytest.raises(ValueError, match=exactly(
            "sparse_categorical_crossentropy expects integer class labels, but 5 of the 5 targets are not whole "
            "numbers (for example 0.5). For probabilities or one-hot rows use categorical_crossentropy.")):
        losses.check_targets("sparse_categorical_crossentropy", np.full(5, 0.5), (None, 10))
    with pytest.raises(ValueError, match=exactly(
            "sparse_categorical_crossentropy expects integer class labels of shape (5,) or (5, 1) for the model "
            "output shape (None, 10), but the targets have shape (5, 3).")):
        losses.check_targets("sparse_categorical_crossentropy", np.zeros((5, 3)), (None, 10))


def test_binary_crossentropy_targets_outside_0_1():
    with pytest.raises(ValueError, match=exactly(
            "binary_crossentropy expects targets between 0 and 1, but the targets range from 0 to 3 (2 of 4 "
            "values are outside [0, 1]). For integer class labels 0 to 3 use sparse_categorical_crossentropy with "
            "4 output units and a softmax.")):
        losses.check_targets("binary_crossentropy", np.array([0, 1, 2, 3]), (None, 1))
    with pytest.raises(ValueError, match=exactly(
            "binary_crossentropy expects targets between 0 and 1, but the targets range from -1 to 1 (2 of 4 "
            "values are outside [0, 1]). For -1/1 labels pass (y + 1) / 2, or use the hinge loss.")):
        losses.check_targets(losses.BinaryCrossentropy(from_logits=True), np.array([-1, 1, 1, -1]), (None, 1))
    with pytest.raises(ValueError, match=exactly(
            "binary_focal_crossentropy expects targets between 0 and 1, but the targets range from 0.5 to 1.5 "
            "(1 of 2 values are outside [0, 1]).")):
        losses.check_targets(losses.BinaryFocalCrossentropy(), np.array([0.5, 1.5]), (None, 1))


def test_target_shape_that_does_not_fit_the_output():
    with pytest.raises(ValueError, match=exactly(
            "mean_squared_error expects targets of shape (100, 1) to match the model output shape (None, 1), but "
            "the targets have shape (100, 3). Give the output layer 3 units, or pass only the one target column "
            "the model predicts.")):
        losses.check_targets("mse", np.zeros((100, 3)), (None, 1))
    with pytest.raises(ValueError, match=exactly(
            "mean_squared_error expects targets of shape (100, 2, 4) to match the model output shape (None, 2, "
            "4), but the targets have shape (100, 2, 3). Give the output layer 3 units, or pass only the 4 target "
            "columns the model predicts.")):
        losses.check_targets(losses.MeanSquaredError(), np.zeros((100, 2, 3)), (None, 2, 4))
    with pytest.raises(ValueError, match=exactly(
            "categorical_crossentropy expects targets of shape (4, 4) to match the model output shape (None, 4), "
            "but the targets have shape (4,).")):
        losses.check_targets("categorical_crossentropy", np.full((4,), 0.5), (None, 4))
    with pytest.raises(ValueError, match=exactly(
            "binary_crossentropy expects targets of shape (6, 1) to match the model output shape (None, 1), but "
            "the targets have shape (6, 2). Give the output layer 2 units, or pass only the one target column the "
            "model predicts.")):
        losses.check_targets("binary_crossentropy", np.zeros((6, 2)), (None, 1))


def test_non_numeric_and_non_finite_targets():
    with pytest.raises(ValueError, match=exactly(
            "mean_squared_error: 1 of the 2 target values are NaN or infinite. Fill or drop them before "
            "training.")):
        losses.check_targets("mse", np.array([1.0, np.nan]), (None, 1))
    with pytest.raises(ValueError, match=exactly(
            "sparse_categorical_crossentropy expects numeric targets, but the targets have dtype <U3. Convert "
            "them to numbers first (for class names, to integer labels 0, 1, 2, ...).")):
        losses.check_targets("sparse_categorical_crossentropy", np.array(["cat", "dog"]), (None, 2))
