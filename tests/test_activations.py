"""layerwise.activations: formulas, input types, get / serialize / deserialize."""

import math

import numpy as np
import pytest
import torch

from layerwise import activations, saving

X = np.random.default_rng(0).normal(scale=3.0, size=(4, 6)).astype("float32")


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _sparsemax(x):
    out = np.zeros_like(x)
    for i, row in enumerate(x):
        z = np.sort(row)[::-1]
        k = np.arange(1, len(z) + 1)
        support = 1 + k * z > np.cumsum(z)
        k_max = k[support][-1]
        tau = (np.cumsum(z)[k_max - 1] - 1) / k_max
        out[i] = np.maximum(row - tau, 0)
    return out


_erf = np.vectorize(math.erf)

# Independent float64 numpy references of every activation with default arguments.
REFERENCE = {
    "relu": lambda x: np.maximum(x, 0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "relu6": lambda x: np.clip(x, 0, 6),
    "softmax": _softmax,
    "log_softmax": lambda x: np.log(_softmax(x)),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    "celu": lambda x: np.where(x >= 0, x, np.expm1(x)),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))),
    "glu": lambda x: x[:, :3] * _sigmoid(x[:, 3:]),
    "tanh": np.tanh,
    "tanh_shrink": lambda x: x - np.tanh(x),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "sigmoid": _sigmoid,
    "sparse_sigmoid": lambda x: np.clip(0.5 * (x + 1), 0, 1),
    "log_sigmoid": lambda x: -np.log1p(np.exp(-x)),
    "exponential": np.exp,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "linear": lambda x: x,
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "sparsemax": _sparsemax,
}
# Every name Keras 3 registers: the 30 functions plus the aliases swish and hard_swish.
ALL_NAMES = sorted([*REFERENCE, "threshold"])


def test_every_keras_name_is_registered():
    assert sorted(saving.registry.builtin_objects("activations")) == ALL_NAMES
    for name in ALL_NAMES:
        assert getattr(activations, name) is activations.get(name)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_formula_on_torch_tensor(name):
    fn = getattr(activations, name)
    out = fn(torch.from_numpy(X))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), REFERENCE[name](X.astype("float64")), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(set(REFERENCE) - {"linear"}))
def test_numpy_and_list_inputs_give_float32_numpy(name):
    fn = getattr(activations, name)
    expected = REFERENCE[name](X.astype("float64"))
    for value in (X.astype("float64"), X.tolist(), X.astype("int64")):
        out = fn(value)
        assert isinstance(out, np.ndarray) and out.dtype == np.float32
        reference = expected if not isinstance(value, np.ndarray) or value.dtype.kind == "f" else None
        if reference is not None:
            np.testing.assert_allclose(out, reference, rtol=1e-5, atol=1e-6)


def test_linear_returns_its_input_unchanged():
    values = [1.0, -2.0]
    assert activations.linear(values) is values
    tensor = torch.ones(2)
    assert activations.linear(tensor) is tensor


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
@pytest.mark.parametrize("name", ["relu", "sigmoid", "softmax", "gelu", "silu", "hard_sigmoid", "mish"])
def test_tensor_dtype_is_kept(name, dtype):
    assert getattr(activations, name)(torch.randn(3, 4, dtype=dtype)).dtype == dtype


@pytest.mark.parametrize("name", sorted(set(REFERENCE) - {"linear"}))
def test_gradient_flows(name):
    x = torch.from_numpy(X.copy()).requires_grad_()
    getattr(activations, name)(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_relu_keras_examples():
    x = [-10.0, -5.0, 0.0, 5.0, 10.0]
    np.testing.assert_allclose(activations.relu(x), [0, 0, 0, 5, 10])
    np.testing.assert_allclose(activations.relu(x, negative_slope=0.5), [-5, -2.5, 0, 5, 10])
    np.testing.assert_allclose(activations.relu(x, max_value=5.0), [0, 0, 0, 5, 5])
    np.testing.assert_allclose(activations.relu(x, threshold=5.0), [0, 0, 0, 0, 10])
    np.testing.assert_allclose(
        activations.relu(x, negative_slope=0.5, max_value=8.0, threshold=5.0), [-7.5, -5, -2.5, 0, 8]
    )
    np.testing.assert_allclose(activations.relu(x, max_value=6), [0, 0, 0, 5, 6])
    np.testing.assert_allclose(activations.relu(x, threshold=-6.0), [0, -5, 0, 5, 10])


def test_argument_variants():
    x = torch.from_numpy(X)
    np.testing.assert_allclose(activations.leaky_relu(x, negative_slope=0.1).numpy(), np.where(X > 0, X, 0.1 * X))
    np.testing.assert_allclose(
        activations.elu(x, alpha=0.5).numpy(), np.where(X > 0, X, 0.5 * np.expm1(X)), rtol=1e-6, atol=1e-6
    )
    approx = 0.5 * X * (1 + np.tanh(math.sqrt(2 / math.pi) * (X + 0.044715 * X**3)))
    np.testing.assert_allclose(activations.gelu(x, approximate=True).numpy(), approx, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        activations.threshold(x, threshold=0.5, default_value=-1.0).numpy(), np.where(X > 0.5, X, -1.0)
    )
    np.testing.assert_allclose(activations.squareplus(x, b=1).numpy(), (X + np.sqrt(X * X + 1)) / 2, rtol=1e-6)
    np.testing.assert_allclose(activations.glu(x, axis=0).numpy(), X[:2] * _sigmoid(X[2:]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis", [0, 1, -2, (0, 1), (1,), None])
def test_softmax_and_log_softmax_axes(axis):
    x = torch.from_numpy(X)
    np_axis = axis if axis is not None else (0, 1)
    expected = _softmax(X.astype("float64"), axis=np_axis)
    np.testing.assert_allclose(activations.softmax(x, axis=axis).numpy(), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(activations.log_softmax(x, axis=axis).numpy(), np.log(expected), rtol=1e-5, atol=1e-5)


def test_sparsemax_rows_are_distributions_with_zeros():
    out = activations.sparsemax(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-6)
    assert (out == 0).any()
    np.testing.assert_allclose(activations.sparsemax(torch.from_numpy(X.T), axis=0).numpy(), out.T, rtol=1e-6)


def test_bad_argument_with_tensor_is_reraised():
    with pytest.raises(TypeError):
        activations.softmax(torch.ones(3), axis="last")
    with pytest.raises(TypeError):
        activations.elu(torch.ones(3), alpha="big")


def test_get():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu

    def custom(x):
        return x

    assert activations.get(custom) is custom
    keras_config = {"module": "builtins", "class_name": "function", "config": "tanh", "registered_name": "function"}
    assert activations.get(keras_config) is activations.tanh


def test_get_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match=r"Unknown activation 'rleu'\. Known activations: celu, elu, exponential, "):
        activations.get("rleu")
    with pytest.raises(ValueError, match=r"relu, relu6, selu, sigmoid, silu, .*swish, tanh"):
        activations.deserialize("rleu")


def test_get_rejects_non_callables():
    with pytest.raises(ValueError, match=r"Could not interpret activation function identifier 5: expected None, "):
        activations.get(5)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_serialize_round_trip(name):
    fn = activations.get(name)
    serialized = activations.serialize(fn)
    assert serialized == {"swish": "silu", "hard_swish": "hard_silu"}.get(name, name)
    assert activations.deserialize(serialized) is fn


def test_serialize_user_function_like_keras():
    @saving.register_serializable(package="ActTest")
    def doubled(x):
        return 2 * x

    config = activations.serialize(doubled)
    assert config == {
        "module": "builtins",
        "class_name": "function",
        "config": "ActTest>doubled",
        "registered_name": "function",
    }
    assert activations.deserialize(config) is doubled
    assert activations.get("ActTest>doubled") is doubled


def test_deserialize_with_custom_objects():
    def mine(x):
        return x

    assert activations.deserialize("mine", custom_objects={"mine": mine}) is mine
