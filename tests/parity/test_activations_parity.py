"""Parity with real Keras 3 (torch backend): every activation, same inputs, same outputs."""

import numpy as np
import pytest
import torch

keras = pytest.importorskip("keras")

from keras.src.activations import ALL_OBJECTS_DICT as KERAS_ACTIVATIONS  # noqa: E402

from layerwise import activations, saving  # noqa: E402

rng = np.random.default_rng(42)
INPUTS = [
    rng.normal(scale=3.0, size=(8, 10)).astype("float32"),
    rng.uniform(-8, 8, size=(2, 3, 4, 6)).astype("float32"),
    np.array([[-10.0, -6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 10.0, 25.0]], dtype="float32"),
]

# name -> extra keyword-argument combinations to try beside the defaults.
VARIANTS = {
    "relu": [
        {"negative_slope": 0.1},
        {"max_value": 6.0},
        {"max_value": 2.5},
        {"threshold": 1.0},
        {"threshold": -1.0},
        {"negative_slope": 0.2, "max_value": 4.0},
        {"negative_slope": 0.3, "threshold": 0.5},
        {"negative_slope": 0.5, "max_value": 8.0, "threshold": 5.0},
        {"max_value": 3.0, "threshold": -2.0},
    ],
    "leaky_relu": [{"negative_slope": 0.01}, {"negative_slope": 0.5}],
    "elu": [{"alpha": 0.3}, {"alpha": 2.0}],
    "celu": [{"alpha": 0.5}, {"alpha": 3.0}],
    "gelu": [{"approximate": True}],
    "softmax": [{"axis": 0}, {"axis": 1}, {"axis": (0, 1)}, {"axis": None}],
    "log_softmax": [{"axis": 0}, {"axis": 1}, {"axis": (0, 1)}],
    "glu": [{"axis": 0}],
    "squareplus": [{"b": 1}, {"b": 0.25}],
    "soft_shrink": [{"threshold": 1.5}],
    "hard_shrink": [{"threshold": 2.0}],
    "sparsemax": [{"axis": 0}],
    "threshold": [{"threshold": 0.5, "default_value": -2.0}, {"threshold": -1.0, "default_value": 0.0}],
}
# Keras 3.15's sparsemax takes its threshold from the sum of the cumulative sums
# over the support instead of the last one, so its rows do not sum to 1 when
# more than one logit is in the support (keras-team/keras#23425, fixed upstream
# by #23469). layerwise implements the published algorithm; the two agree when
# the support has one element, which test_sparsemax_agrees_on_one_hot_inputs checks.
KERAS_BUGS = {"sparsemax"}
CASES = [
    (name, kwargs)
    for name in sorted(set(KERAS_ACTIVATIONS) - KERAS_BUGS)
    for kwargs in ([] if name == "threshold" else [{}]) + VARIANTS.get(name, [])
]


def test_same_names_as_keras():
    assert sorted(saving.registry.builtin_objects("activations")) == sorted(KERAS_ACTIVATIONS)


def _fits(name, kwargs, x):
    """glu halves an axis, so it must be even; axis variants need 2-D input with more than one row."""
    axis = kwargs.get("axis", -1)
    if name == "glu" and x.shape[axis] % 2:
        return False
    return "axis" not in kwargs or (x.ndim == 2 and min(x.shape) > 1)


@pytest.mark.parametrize("name, kwargs", CASES, ids=lambda v: str(v))
def test_same_outputs_as_keras(name, kwargs):
    for x in INPUTS:
        if not _fits(name, kwargs, x):
            continue
        expected = keras.ops.convert_to_numpy(KERAS_ACTIVATIONS[name](torch.from_numpy(x), **kwargs))
        ours = getattr(activations, name)(torch.from_numpy(x), **kwargs)
        assert isinstance(ours, torch.Tensor)
        np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-5, atol=1e-6, err_msg=f"{name}{kwargs}")


@pytest.mark.parametrize("name", sorted(set(KERAS_ACTIVATIONS) - KERAS_BUGS - {"threshold", "linear"}))
def test_numpy_input_same_values_as_keras(name):
    x = INPUTS[0]
    expected = keras.ops.convert_to_numpy(KERAS_ACTIVATIONS[name](x))
    ours = getattr(activations, name)(x)
    assert isinstance(ours, np.ndarray) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-6)


def test_sparsemax_agrees_on_one_hot_inputs():
    x = np.linspace(1, 12, 12, dtype="float32").reshape(2, 6) * np.array([[1.0], [-1.0]], dtype="float32")
    for axis in (-1, 0):
        expected = keras.ops.convert_to_numpy(keras.activations.sparsemax(torch.from_numpy(x), axis=axis))
        np.testing.assert_allclose(activations.sparsemax(torch.from_numpy(x), axis=axis).numpy(), expected)


def test_keras_sparsemax_bug_is_still_there():
    """When this fails, Keras has the fix: drop sparsemax from KERAS_BUGS."""
    x = torch.tensor([[0.0, 0.5, 1.0]])
    np.testing.assert_allclose(activations.sparsemax(x).numpy(), [[0.0, 0.25, 0.75]])
    assert keras.ops.convert_to_numpy(keras.activations.sparsemax(x)).sum() < 0.5


@pytest.mark.parametrize("name", sorted(KERAS_ACTIVATIONS))
def test_serialize_like_keras(name):
    assert activations.serialize(activations.get(name)) == keras.activations.serialize(keras.activations.get(name))


def test_layer_configs_from_keras_resolve():
    for name in ("relu", "swish", "hard_swish", "softmax", "gelu"):
        keras_config = keras.layers.Dense(2, activation=name).get_config()["activation"]
        assert activations.get(keras_config) is activations.get(name)
    function_config = keras.saving.serialize_keras_object(keras.activations.relu)
    assert activations.get(function_config) is activations.relu
