"""layerwise.regularizers and layerwise.constraints: formulas, configs, lookup and errors."""

import numpy as np
import pytest
import torch

from layerwise import constraints, regularizers, saving

W = np.random.default_rng(1).normal(size=(5, 3)).astype("float32")
EPS = 1e-7


# ----------------------------------------------------------------- regularizers


def test_penalties():
    w = torch.from_numpy(W)
    l1, l2 = np.abs(W).sum(), np.square(W).sum()
    assert regularizers.L1(0.3)(w).item() == pytest.approx(0.3 * l1, rel=1e-6)
    assert regularizers.L2(0.2)(w).item() == pytest.approx(0.2 * l2, rel=1e-6)
    assert regularizers.L1L2(l1=0.3, l2=0.2)(w).item() == pytest.approx(0.3 * l1 + 0.2 * l2, rel=1e-6)
    assert regularizers.L1L2(l2=0.2)(w).item() == pytest.approx(0.2 * l2, rel=1e-6)
    assert regularizers.Regularizer()(w) == 0.0


def test_penalty_is_scalar_tensor_with_gradient():
    w = torch.from_numpy(W.copy()).double().requires_grad_()
    for reg in (regularizers.L1(), regularizers.L2(), regularizers.L1L2(0.1, 0.1), regularizers.OrthogonalRegularizer()):
        penalty = reg(w)
        assert isinstance(penalty, torch.Tensor) and penalty.shape == () and penalty.dtype == torch.float64
        (grad,) = torch.autograd.grad(penalty, w)
        assert torch.isfinite(grad).all()
    zero = regularizers.L1L2()(w)
    assert zero.shape == () and zero.item() == 0.0 and zero.dtype == torch.float64


def test_numpy_weights_are_accepted():
    assert regularizers.L2(1.0)(np.ones((2, 2))).item() == 4.0


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer(mode):
    vectors = W if mode == "rows" else W.T
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cos = unit @ unit.T
    n = len(vectors)
    expected = 0.5 * np.abs(cos - np.diag(np.diag(cos))).sum() / (n * (n - 1) / 2)
    assert regularizers.OrthogonalRegularizer(factor=2.0, mode=mode)(torch.from_numpy(W)).item() == pytest.approx(
        2.0 * expected, rel=1e-5
    )
    identity = regularizers.OrthogonalRegularizer(factor=1.0, mode=mode)(torch.eye(4))
    assert identity.item() == 0.0


def test_regularizer_defaults_and_names():
    assert regularizers.get("l1").get_config() == {"l1": 0.01}
    assert regularizers.get("l2").get_config() == {"l2": 0.01}
    assert regularizers.get("l1l2").get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.get("orthogonal_regularizer").get_config() == {"factor": 0.01, "mode": "rows"}
    assert isinstance(regularizers.get("L1L2"), regularizers.L1L2)
    assert regularizers.l1 is regularizers.L1 and regularizers.l2 is regularizers.L2
    assert regularizers.l1_l2 is regularizers.L1L2
    assert regularizers.orthogonal_regularizer is regularizers.OrthogonalRegularizer
    assert regularizers.L1(None).l1 == 0.01 and regularizers.L1L2(None, None).l2 == 0.0


REGULARIZERS = [
    regularizers.L1(0.5),
    regularizers.L2(0.25),
    regularizers.L1L2(l1=0.1, l2=0.2),
    regularizers.OrthogonalRegularizer(factor=0.3, mode="columns"),
]


@pytest.mark.parametrize("reg", REGULARIZERS, ids=lambda r: type(r).__name__)
def test_regularizer_round_trip(reg):
    config = regularizers.serialize(reg)
    assert config == {
        "module": "keras.regularizers",
        "class_name": type(reg).__name__,
        "config": reg.get_config(),
        "registered_name": None,
    }
    for restored in (regularizers.deserialize(config), regularizers.get(config), type(reg).from_config(reg.get_config())):
        assert type(restored) is type(reg) and restored.get_config() == reg.get_config()


def test_regularizer_get_other_identifiers():
    assert regularizers.get(None) is None
    reg = regularizers.L2()
    assert regularizers.get(reg) is reg
    assert isinstance(regularizers.get(regularizers.L1), regularizers.L1)

    def fn(w):
        return w.sum()

    assert regularizers.get(fn) is fn


def test_regularizer_errors():
    with pytest.raises(ValueError, match=r"L1: argument `l1` must be a non-negative finite number; got l1=-0\.1\."):
        regularizers.L1(-0.1)
    with pytest.raises(ValueError, match=r"L1L2: argument `l2` must be a non-negative finite number; got l2=inf\."):
        regularizers.L1L2(l2=float("inf"))
    with pytest.raises(ValueError, match=r"L2: argument `l2` must be a non-negative finite number; got l2='0\.1'\."):
        regularizers.L2("0.1")
    with pytest.raises(ValueError, match=r"argument `mode` must be 'rows' or 'columns'; got mode='cols'\."):
        regularizers.OrthogonalRegularizer(mode="cols")
    with pytest.raises(ValueError, match=r"expects a 2-D weight \(a Dense kernel\); got shape \(2, 2, 2\) of rank 3\."):
        regularizers.OrthogonalRegularizer()(torch.ones(2, 2, 2))
    with pytest.raises(ValueError, match=r"Unknown regularizer 'l3'\. Known regularizers: l1, l1_l2, l1l2, l2, "):
        regularizers.get("l3")
    with pytest.raises(ValueError, match=r"Could not interpret regularizer identifier 0\.1: expected None"):
        regularizers.get(0.1)
    with pytest.raises(NotImplementedError, match="Regularizer does not implement get_config"):
        regularizers.Regularizer().get_config()


# ------------------------------------------------------------------ constraints


def _norms(w, axis):
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


def test_max_norm():
    w = W * 2
    norms = _norms(w, 0)
    expected = w * np.clip(norms, 0, 2.0) / (EPS + norms)
    np.testing.assert_allclose(constraints.MaxNorm()(torch.from_numpy(w)).numpy(), expected, rtol=1e-6)
    small = W / 10
    np.testing.assert_allclose(constraints.MaxNorm(max_value=3)(torch.from_numpy(small)).numpy(), small, rtol=1e-5)


def test_min_max_norm():
    norms = _norms(W, 1)
    desired = 0.5 * np.clip(norms, 1.5, 2.0) + 0.5 * norms
    expected = W * desired / (EPS + norms)
    out = constraints.MinMaxNorm(min_value=1.5, max_value=2.0, rate=0.5, axis=1)(torch.from_numpy(W))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_unit_norm_and_non_neg():
    out = constraints.UnitNorm()(torch.from_numpy(W)).numpy()
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), 1.0, rtol=1e-6)
    np.testing.assert_allclose(out, W / (EPS + _norms(W, 0)), rtol=1e-6)
    np.testing.assert_array_equal(constraints.NonNeg()(torch.from_numpy(W)).numpy(), np.maximum(W, 0))
    w = torch.from_numpy(W)
    assert constraints.Constraint()(w) is w


def test_constraint_axis_list_for_conv_kernels():
    kernel = np.random.default_rng(2).normal(size=(3, 3, 4, 8)).astype("float32")
    out = constraints.UnitNorm(axis=[0, 1, 2])(torch.from_numpy(kernel)).numpy()
    np.testing.assert_allclose(np.sqrt(np.square(out).sum(axis=(0, 1, 2))), 1.0, rtol=1e-5)
    out = constraints.MaxNorm(1.0, axis=[0, 1, 2])(torch.from_numpy(kernel)).numpy()
    assert np.sqrt(np.square(out).sum(axis=(0, 1, 2))).max() <= 1.0 + 1e-6


def test_constraint_accepts_numpy():
    out = constraints.NonNeg()(np.array([-1.0, 1.0]))
    assert isinstance(out, torch.Tensor) and out.tolist() == [0.0, 1.0]


CONSTRAINTS = [
    constraints.MaxNorm(max_value=3, axis=1),
    constraints.MinMaxNorm(min_value=0.5, max_value=2.0, rate=0.7, axis=[0, 1]),
    constraints.NonNeg(),
    constraints.UnitNorm(axis=-1),
]


@pytest.mark.parametrize("constraint", CONSTRAINTS, ids=lambda c: type(c).__name__)
def test_constraint_round_trip(constraint):
    config = constraints.serialize(constraint)
    assert config == {
        "module": "keras.constraints",
        "class_name": type(constraint).__name__,
        "config": constraint.get_config(),
        "registered_name": None,
    }
    for restored in (constraints.deserialize(config), constraints.get(config)):
        assert type(restored) is type(constraint) and restored.get_config() == constraint.get_config()


@pytest.mark.parametrize(
    "name, cls", [("max_norm", "MaxNorm"), ("min_max_norm", "MinMaxNorm"), ("non_neg", "NonNeg"), ("unit_norm", "UnitNorm")]
)
def test_constraint_names(name, cls):
    assert type(constraints.get(name)) is getattr(constraints, cls)
    assert type(constraints.get(cls)) is getattr(constraints, cls)
    assert getattr(constraints, name) is getattr(constraints, cls)


def test_constraint_defaults_and_identifiers():
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}
    assert constraints.UnitNorm().get_config() == {"axis": 0}
    assert constraints.NonNeg().get_config() == {}
    assert constraints.get(None) is None
    assert isinstance(constraints.get(constraints.NonNeg), constraints.NonNeg)

    @saving.register_serializable(package="ConstraintTest")
    class Clip(constraints.Constraint):
        def __call__(self, w):
            return torch.clamp(w, -1, 1)

    config = constraints.serialize(Clip())
    assert config["registered_name"] == "ConstraintTest>Clip"
    assert isinstance(constraints.get(config), Clip)


def test_constraint_errors():
    with pytest.raises(ValueError, match=r"Unknown constraint 'nonneg'\. Known constraints: constraint, max_norm, min_max_norm, non_neg, unit_norm\."):
        constraints.get("nonneg")
    with pytest.raises(ValueError, match=r"Could not interpret constraint identifier 2: expected None"):
        constraints.get(2)
