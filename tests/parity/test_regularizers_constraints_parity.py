"""Parity with real Keras 3 (torch backend): regularizer penalties, constraint outputs, configs."""

import numpy as np
import pytest
import torch

keras = pytest.importorskip("keras")

from keras.src.constraints import ALL_OBJECTS_DICT as KERAS_CONSTRAINTS  # noqa: E402
from keras.src.regularizers import ALL_OBJECTS_DICT as KERAS_REGULARIZERS  # noqa: E402

from layerwise import constraints, regularizers, saving  # noqa: E402

rng = np.random.default_rng(7)
WEIGHTS = [
    rng.normal(size=(6, 4)).astype("float32"),
    rng.normal(scale=3.0, size=(4, 9)).astype("float32"),
    (rng.normal(size=(3, 3, 5, 8)) * 0.2).astype("float32"),
]

REGULARIZER_CASES = [
    ("L1", {}),
    ("L1", {"l1": 0.3}),
    ("L2", {}),
    ("L2", {"l2": 1.5}),
    ("L1L2", {}),
    ("L1L2", {"l1": 0.1}),
    ("L1L2", {"l1": 0.01, "l2": 0.2}),
    ("OrthogonalRegularizer", {}),
    ("OrthogonalRegularizer", {"factor": 0.5, "mode": "columns"}),
]
CONSTRAINT_CASES = [
    ("MaxNorm", {}),
    ("MaxNorm", {"max_value": 0.5, "axis": 1}),
    ("MaxNorm", {"max_value": 1.0, "axis": [0, 1, 2]}),
    ("MinMaxNorm", {}),
    ("MinMaxNorm", {"min_value": 1.0, "max_value": 2.0, "rate": 0.5, "axis": -1}),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 0.8, "axis": [0, 1, 2]}),
    ("NonNeg", {}),
    ("UnitNorm", {}),
    ("UnitNorm", {"axis": 1}),
    ("UnitNorm", {"axis": [0, 1, 2]}),
]


def both(module, keras_module, name, kwargs):
    return getattr(module, name)(**kwargs), getattr(keras_module, name)(**kwargs)


def test_same_names_as_keras():
    # Keras registers L1L2 as "l1l2" only; layerwise also accepts "l1_l2", the public alias's name.
    assert set(saving.registry.builtin_objects("regularizers")) == set(KERAS_REGULARIZERS) | {"l1_l2"}
    assert set(saving.registry.builtin_objects("constraints")) == set(KERAS_CONSTRAINTS)
    for name in ("l1", "l2", "l1_l2", "orthogonal_regularizer"):
        assert getattr(regularizers, name).__name__ == getattr(keras.regularizers, name).__name__
    for name in ("max_norm", "min_max_norm", "non_neg", "unit_norm"):
        assert getattr(constraints, name).__name__ == getattr(keras.constraints, name).__name__


@pytest.mark.parametrize("name, kwargs", REGULARIZER_CASES, ids=str)
def test_penalties_equal_keras(name, kwargs):
    ours, theirs = both(regularizers, keras.regularizers, name, kwargs)
    for w in WEIGHTS:
        if name == "OrthogonalRegularizer" and w.ndim != 2:
            continue
        expected = keras.ops.convert_to_numpy(theirs(torch.from_numpy(w)))
        penalty = ours(torch.from_numpy(w))
        assert isinstance(penalty, torch.Tensor) and penalty.shape == ()
        np.testing.assert_allclose(penalty.numpy(), expected, rtol=1e-5)


def test_orthogonal_penalty_with_a_zero_row_equals_keras():
    w = WEIGHTS[0].copy()
    w[2] = 0.0
    for mode in ("rows", "columns"):
        ours, theirs = both(regularizers, keras.regularizers, "OrthogonalRegularizer", {"mode": mode})
        expected = keras.ops.convert_to_numpy(theirs(torch.from_numpy(w)))
        np.testing.assert_allclose(ours(torch.from_numpy(w)).numpy(), expected, rtol=1e-5)


def same_config(config, keras_config):
    """Equal keys in the same order and equal values, floats to float32 precision.

    Keras stores ``l1`` and ``factor`` as float32 tensors, so its config holds
    e.g. 0.30000001192092896 for 0.3; layerwise keeps the Python float given.
    """
    assert list(config) == list(keras_config)
    for key, value in config.items():
        if isinstance(value, float):
            assert value == pytest.approx(keras_config[key], rel=1e-7), key
        else:
            assert value == keras_config[key], key


@pytest.mark.parametrize("name, kwargs", REGULARIZER_CASES, ids=str)
def test_regularizer_configs_match_keras(name, kwargs):
    ours, theirs = both(regularizers, keras.regularizers, name, kwargs)
    same_config(ours.get_config(), theirs.get_config())
    serialized, keras_serialized = regularizers.serialize(ours), keras.regularizers.serialize(theirs)
    assert {**serialized, "config": None} == {**keras_serialized, "config": None}
    from_keras = regularizers.deserialize(keras_serialized)
    assert type(from_keras) is type(ours)
    same_config(from_keras.get_config(), theirs.get_config())
    into_keras = keras.regularizers.deserialize(serialized)
    assert type(into_keras).__name__ == name
    same_config(ours.get_config(), into_keras.get_config())


@pytest.mark.parametrize("name", ["l1", "l2", "l1l2", "orthogonal_regularizer"])
def test_regularizer_strings_mean_what_keras_means(name):
    ours = regularizers.get(name)
    theirs = keras.regularizers.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    w = torch.from_numpy(WEIGHTS[0])
    np.testing.assert_allclose(ours(w).numpy(), keras.ops.convert_to_numpy(theirs(w)), rtol=1e-5)


@pytest.mark.parametrize("name, kwargs", CONSTRAINT_CASES, ids=str)
def test_constraint_outputs_equal_keras(name, kwargs):
    ours, theirs = both(constraints, keras.constraints, name, kwargs)
    for w in WEIGHTS:
        if isinstance(kwargs.get("axis"), list) and w.ndim != 4:
            continue
        expected = keras.ops.convert_to_numpy(theirs(torch.from_numpy(w)))
        out = ours(torch.from_numpy(w))
        assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-7)


def test_constraints_on_zero_weights_equal_keras():
    w = torch.zeros(4, 3)
    for name in ("MaxNorm", "MinMaxNorm", "UnitNorm", "NonNeg"):
        ours, theirs = both(constraints, keras.constraints, name, {})
        np.testing.assert_array_equal(ours(w).numpy(), keras.ops.convert_to_numpy(theirs(w)))


@pytest.mark.parametrize("name, kwargs", CONSTRAINT_CASES, ids=str)
def test_constraint_configs_match_keras(name, kwargs):
    ours, theirs = both(constraints, keras.constraints, name, kwargs)
    assert ours.get_config() == theirs.get_config()
    assert list(ours.get_config()) == list(theirs.get_config())
    assert constraints.serialize(ours) == keras.constraints.serialize(theirs)
    from_keras = constraints.deserialize(keras.constraints.serialize(theirs))
    assert type(from_keras) is type(ours) and from_keras.get_config() == theirs.get_config()
    into_keras = keras.constraints.deserialize(constraints.serialize(ours))
    assert type(into_keras).__name__ == name and into_keras.get_config() == ours.get_config()


@pytest.mark.parametrize("name", ["max_norm", "min_max_norm", "non_neg", "unit_norm"])
def test_constraint_strings_mean_what_keras_means(name):
    ours, theirs = constraints.get(name), keras.constraints.get(name)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.get_config() == theirs.get_config()
