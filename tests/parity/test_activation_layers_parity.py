"""Activation layers against real Keras 3: same inputs and weights in, same outputs, gradients and configs out."""

import warnings

import keras
import numpy as np
import pytest
import torch

import layerwise


def _x(*shape, seed=0, scale=3.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype("float32")


def _numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return keras.ops.convert_to_numpy(value)


def _run(layer, x, upstream, **kwargs):
    """Outputs of ``layer`` on ``x`` and the gradient of ``sum(outputs * upstream)`` w.r.t. ``x``."""
    inputs = torch.tensor(x, requires_grad=True)
    outputs = layer(inputs, **kwargs)
    (outputs * torch.tensor(upstream)).sum().backward()
    return _numpy(outputs), inputs.grad.numpy()


def _assert_same(ours, theirs, x, **kwargs):
    upstream = _x(*x.shape, seed=9, scale=1.0)
    their_out, their_grad = _run(theirs, x, upstream, **kwargs)
    our_out, our_grad = _run(ours, x, upstream, **kwargs)
    np.testing.assert_allclose(our_out, their_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(our_grad, their_grad, rtol=1e-5, atol=1e-6)
    spec = (None,) + x.shape[1:]
    assert ours.compute_output_shape(spec) == tuple(theirs.compute_output_shape(spec))
    assert ours.count_params() == theirs.count_params()


def _with_kinks(x, *points):
    """``x`` with its first entries set to the points where the function has a kink (0, threshold, cap)."""
    flat = x.reshape(-1).copy()
    for i, point in enumerate(points):
        flat[i] = point
    return flat.reshape(x.shape)


# ---------------------------------------------------------------- ReLU


RELU_CONFIGS = [
    {},
    {"max_value": 6},
    {"max_value": 6.0},
    {"max_value": 2.5},
    {"max_value": 0.0},
    {"negative_slope": 0.2},
    {"threshold": 0.5},
    {"max_value": 6.0, "negative_slope": 0.1},
    {"max_value": 2.0, "negative_slope": 0.1},
    {"negative_slope": 0.1, "threshold": 0.3},
    {"max_value": 1.5, "negative_slope": 0.3, "threshold": 0.4},
    {"max_value": 1.5, "threshold": 0.4},
]


@pytest.mark.parametrize("config", RELU_CONFIGS, ids=str)
def test_relu_matches_keras_incl_gradients_at_the_kinks(config):
    x = _x(4, 3, 5)
    points = [0.0, config.get("threshold", 0.0), -0.0]
    if config.get("max_value") is not None:
        points.append(float(config["max_value"]))
    x = _with_kinks(x, *points)
    _assert_same(layerwise.layers.ReLU(**config), keras.layers.ReLU(**config), x)


@pytest.mark.parametrize("config", RELU_CONFIGS, ids=str)
def test_relu_config_equals_keras(config):
    assert layerwise.layers.ReLU(**config, name="r").get_config() == keras.layers.ReLU(**config, name="r").get_config()


def test_relu_loads_keras_config():
    theirs = keras.layers.ReLU(max_value=3.0, negative_slope=0.2, threshold=0.1, name="r")
    ours = layerwise.layers.ReLU.from_config(theirs.get_config())
    assert ours.get_config() == theirs.get_config()


# ---------------------------------------------------------------- LeakyReLU


LEAKY_CONFIGS = [{}, {"negative_slope": 0.01}, {"negative_slope": 0.0}, {"negative_slope": 1.5}]


@pytest.mark.parametrize("config", LEAKY_CONFIGS, ids=str)
def test_leaky_relu_matches_keras(config):
    x = _with_kinks(_x(6, 7), 0.0)
    ours, theirs = layerwise.layers.LeakyReLU(**config), keras.layers.LeakyReLU(**config)
    _assert_same(ours, theirs, x)
    assert ours.get_config() | {"name": "x"} == theirs.get_config() | {"name": "x"}


def test_leaky_relu_legacy_alpha_behaves_as_in_keras():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        theirs = keras.layers.LeakyReLU(alpha=0.05, name="l")
        ours = layerwise.layers.LeakyReLU(alpha=0.05, name="l")
    categories = [w.category for w in caught]
    assert categories == [UserWarning, UserWarning]
    assert ours.get_config() == theirs.get_config()
    _assert_same(ours, theirs, _x(3, 4))


# ---------------------------------------------------------------- PReLU


PRELU_CASES = [
    ((6, 5), None),
    ((6, 5), [1]),
    ((2, 3, 4, 5), None),
    ((2, 3, 4, 5), [1, 2]),
    ((2, 3, 4, 5), [1, 2, 3]),
    ((2, 3, 4, 5), 2),
    ((2, 3, 4, 5), [2, 3]),
    ((2, 3, 4, 5), [1, 3]),
    ((4, 7, 3), [1]),
]


@pytest.mark.parametrize("shape, shared_axes", PRELU_CASES, ids=str)
def test_prelu_matches_keras_with_the_same_alpha(shape, shared_axes):
    theirs = keras.layers.PReLU(shared_axes=shared_axes)
    theirs.build(shape)
    ours = layerwise.layers.PReLU(shared_axes=shared_axes)
    ours.build(shape)
    assert [tuple(w.shape) for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights] == ["alpha"]
    alpha = np.random.default_rng(3).uniform(-0.5, 1.5, size=theirs.get_weights()[0].shape).astype("float32")
    theirs.set_weights([alpha])
    ours.set_weights([alpha])
    _assert_same(ours, theirs, _x(*shape))


@pytest.mark.parametrize("shape, shared_axes", PRELU_CASES[:5], ids=str)
def test_prelu_alpha_gradient_matches_keras(shape, shared_axes):
    alpha = None
    grads = []
    for module in (keras, layerwise):
        layer = module.layers.PReLU(shared_axes=shared_axes)
        layer.build(shape)
        if alpha is None:
            alpha = np.random.default_rng(4).uniform(0, 1, size=layer.get_weights()[0].shape).astype("float32")
        layer.set_weights([alpha])
        out = layer(torch.tensor(_x(*shape)))
        (out * torch.tensor(_x(*shape, seed=7))).sum().backward()
        grads.append(layer.trainable_weights[0].value.grad.numpy() if module is keras
                     else layer.alpha.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("config", [
    {},
    {"shared_axes": [1, 2]},
    {"shared_axes": 1},
    {"alpha_initializer": "he_normal", "alpha_regularizer": "l2", "alpha_constraint": "non_neg"},
    {"alpha_initializer": "ones", "alpha_constraint": "unit_norm", "shared_axes": (1,)},
], ids=str)
def test_prelu_config_equals_keras_and_loads_it(config):
    theirs = keras.layers.PReLU(**config, name="p").get_config()
    assert layerwise.layers.PReLU(**config, name="p").get_config() == theirs
    assert layerwise.layers.PReLU.from_config(theirs).get_config() == theirs


def test_prelu_regularization_loss_matches_keras():
    losses = []
    for module in (keras, layerwise):
        layer = module.layers.PReLU(alpha_regularizer=module.regularizers.L2(0.3))
        layer.build((None, 4))
        layer.set_weights([np.array([0.5, -1.0, 2.0, 0.0], dtype="float32")])
        layer(torch.tensor(_x(2, 4)))
        losses.append(float(_numpy(layer.losses[0])))
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-6)


# ---------------------------------------------------------------- ELU


@pytest.mark.parametrize("config", [{}, {"alpha": 0.5}, {"alpha": 2.0}, {"alpha": -1.0}], ids=str)
def test_elu_matches_keras(config):
    ours, theirs = layerwise.layers.ELU(**config, name="e"), keras.layers.ELU(**config, name="e")
    _assert_same(ours, theirs, _with_kinks(_x(5, 2, 6), 0.0))
    assert ours.get_config() == theirs.get_config()
    assert layerwise.layers.ELU.from_config(theirs.get_config()).alpha == theirs.alpha


# ---------------------------------------------------------------- Softmax


SOFTMAX_AXES = [-1, 1, -2, [1, 2], [2], (0, 2), [-1, -2]]


@pytest.mark.parametrize("axis", SOFTMAX_AXES, ids=str)
def test_softmax_matches_keras(axis):
    ours, theirs = layerwise.layers.Softmax(axis=axis, name="s"), keras.layers.Softmax(axis=axis, name="s")
    _assert_same(ours, theirs, _x(3, 4, 5))
    assert ours.get_config() == theirs.get_config()


def _masks():
    rng = np.random.default_rng(5)
    full = rng.random((3, 4, 5)) > 0.4
    full[0, 1] = False  # a slice masked everywhere
    return {
        "bool-full": full,
        "bool-broadcast": rng.random((3, 1, 5)) > 0.3,
        "bool-last-axes": rng.random((4, 5)) > 0.3,
        "float": rng.random((3, 4, 5)).astype("float32"),
        "int": (rng.random((3, 1, 5)) > 0.5).astype("int32"),
    }


@pytest.mark.parametrize("name", sorted(_masks()))
@pytest.mark.parametrize("axis", [-1, 1, [1, 2]], ids=str)
def test_softmax_with_a_mask_matches_keras(name, axis):
    mask = torch.tensor(_masks()[name])
    ours, theirs = layerwise.layers.Softmax(axis=axis), keras.layers.Softmax(axis=axis)
    x = _x(3, 4, 5)
    _assert_same(ours, theirs, x, mask=mask)
    out = _numpy(ours(torch.tensor(x), mask=mask))
    keep = np.broadcast_to(mask.numpy() > 0.5, x.shape)
    assert (out[~keep] == 0).all()


def test_softmax_mask_in_half_precision_matches_keras():
    x = _x(2, 6, scale=1.0).astype("float16")
    mask = torch.tensor(np.array([[1, 1, 0, 1, 0, 1], [0, 0, 0, 0, 1, 1]], dtype=bool))
    theirs = _numpy(keras.layers.Softmax(dtype="float16")(torch.tensor(x), mask=mask))
    ours = _numpy(layerwise.layers.Softmax(dtype="float16")(torch.tensor(x), mask=mask))
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours.astype("float32"), theirs.astype("float32"), rtol=1e-3, atol=1e-3)


# ---------------------------------------------------------------- files move both ways


def _model(module):
    layers = module.layers
    return module.Sequential([
        module.Input(shape=(4, 3)),
        layers.Dense(6),
        layers.PReLU(shared_axes=[1], alpha_initializer="he_normal"),
        layers.LeakyReLU(0.1),
        layers.ReLU(max_value=5.0, negative_slope=0.05, threshold=0.1),
        layers.ELU(alpha=0.7),
        layers.Softmax(axis=[1, 2]),
    ])


def test_keras_files_load_in_layerwise_and_back(tmp_path):
    x = _x(5, 4, 3)
    theirs = _model(keras)
    theirs.save(tmp_path / "keras.keras")
    ours = layerwise.models.load_model(tmp_path / "keras.keras")
    expected = _numpy(theirs.predict(x, verbose=0))
    np.testing.assert_allclose(ours.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    ours.save(tmp_path / "layerwise.keras")
    back = keras.saving.load_model(tmp_path / "layerwise.keras")
    np.testing.assert_allclose(_numpy(back.predict(x, verbose=0)), expected, rtol=1e-5, atol=1e-6)
    assert [layer.get_config() for layer in back.layers] == [layer.get_config() for layer in theirs.layers]
