"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax (behaviour; parity is in tests/parity/)."""

import json
import warnings

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax


def _np(tensor):
    return tensor.detach().cpu().numpy()


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


# Each maker builds one configured layer; the input shape it is exercised on follows it.
LAYERS = [
    (lambda **kw: ReLU(**kw), (4, 3, 5)),
    (lambda **kw: ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2, **kw), (4, 5)),
    (lambda **kw: LeakyReLU(negative_slope=0.2, **kw), (4, 5)),
    (lambda **kw: PReLU(**kw), (4, 5)),
    (lambda **kw: PReLU(shared_axes=[1, 2], alpha_initializer="ones", **kw), (4, 3, 2, 5)),
    (lambda **kw: ELU(alpha=0.7, **kw), (4, 3, 5)),
    (lambda **kw: Softmax(**kw), (4, 5)),
    (lambda **kw: Softmax(axis=[1, 2], **kw), (4, 3, 5)),
]
IDS = ["relu", "relu-general", "leaky", "prelu", "prelu-shared", "elu", "softmax", "softmax-axes"]


# ---------------------------------------------------------------- values


def test_relu_values_for_each_branch():
    x = np.array([-10.0, -5.0, 0.0, 0.5, 5.0, 6.0, 10.0], dtype="float32")
    np.testing.assert_allclose(_np(ReLU()(x)), [0, 0, 0, 0.5, 5, 6, 10])
    np.testing.assert_allclose(_np(ReLU(max_value=6)(x)), [0, 0, 0, 0.5, 5, 6, 6])
    np.testing.assert_allclose(_np(ReLU(max_value=5.0)(x)), [0, 0, 0, 0.5, 5, 5, 5])
    np.testing.assert_allclose(_np(ReLU(negative_slope=0.5)(x)), [-5, -2.5, 0, 0.5, 5, 6, 10])
    np.testing.assert_allclose(_np(ReLU(threshold=5.0)(x)), [0, 0, 0, 0, 0, 6, 10])
    np.testing.assert_allclose(_np(ReLU(max_value=8.0, negative_slope=0.5, threshold=1.0)(x)),
                               [-5.5, -3.0, -0.5, -0.25, 5, 6, 8])


def test_leaky_relu_default_slope_is_keras_3():
    np.testing.assert_allclose(_np(LeakyReLU()(np.array([-10.0, 4.0], dtype="float32"))), [-3.0, 4.0])


def test_prelu_learns_its_alpha_and_starts_as_relu():
    layer = PReLU()
    x = torch.tensor([[-2.0, 3.0, -1.0]], requires_grad=True)
    out = layer(x)
    np.testing.assert_allclose(_np(out), [[0.0, 3.0, 0.0]])
    out.sum().backward()
    np.testing.assert_allclose(_np(layer.alpha.grad), [-2.0, 0.0, -1.0])
    np.testing.assert_allclose(_np(x.grad), [[0.0, 1.0, 0.0]])


@pytest.mark.parametrize("shared_axes, alpha_shape", [
    (None, (3, 4, 5)), ([1, 2], (1, 1, 5)), ([1, 2, 3], (1, 1, 1)), (2, (3, 1, 5)), ((1, 3), (1, 4, 1)),
])
def test_prelu_alpha_shape_and_values_for_shared_axes(shared_axes, alpha_shape):
    layer = PReLU(shared_axes=shared_axes)
    x = _x(2, 3, 4, 5)
    layer.build(x.shape)
    assert tuple(layer.alpha.shape) == alpha_shape
    alpha = np.random.default_rng(1).uniform(0.1, 0.9, size=alpha_shape).astype("float32")
    layer.set_weights([alpha])
    np.testing.assert_allclose(_np(layer(x)), np.where(x > 0, x, alpha * x), rtol=1e-6)


def test_prelu_single_axis_becomes_a_list():
    assert PReLU(shared_axes=1).shared_axes == [1]
    assert PReLU(shared_axes=(1, 2)).get_config()["shared_axes"] == [1, 2]


def test_elu_values():
    x = np.array([-10.0, -1.0, 0.0, 2.0], dtype="float32")
    np.testing.assert_allclose(_np(ELU(alpha=0.5)(x)), [0.5 * np.expm1(-10.0), 0.5 * np.expm1(-1.0), 0, 2],
                               rtol=1e-6)


def test_softmax_over_one_axis_and_several():
    x = _x(2, 3, 4)
    np.testing.assert_allclose(_np(Softmax()(x)).sum(-1), np.ones((2, 3)), rtol=1e-6)
    np.testing.assert_allclose(_np(Softmax(axis=1)(x)).sum(1), np.ones((2, 4)), rtol=1e-6)
    np.testing.assert_allclose(_np(Softmax(axis=[1])(x)), _np(Softmax(axis=1)(x)), rtol=1e-6)
    both = _np(Softmax(axis=[1, 2])(x))
    np.testing.assert_allclose(both.sum((1, 2)), np.ones(2), rtol=1e-6)
    expected = np.exp(x) / np.exp(x).sum((1, 2), keepdims=True)
    np.testing.assert_allclose(both, expected, rtol=1e-5)


def test_softmax_mask_gives_masked_positions_zero_probability():
    x = _x(2, 4)
    mask = np.array([[True, False, True, True], [False, False, False, False]])
    out = _np(Softmax()(x, mask=mask))
    assert out[0, 1] == 0.0
    np.testing.assert_allclose(out[0].sum(), 1.0, rtol=1e-6)
    kept = np.exp(x[0, [0, 2, 3]])
    np.testing.assert_allclose(out[0, [0, 2, 3]], kept / kept.sum(), rtol=1e-6)
    np.testing.assert_array_equal(out[1], np.zeros(4))  # a slice masked everywhere is zeros, not uniform


def test_softmax_numeric_mask_keeps_values_above_one_half_and_broadcasts():
    x = torch.tensor(_x(2, 3, 4))
    mask = torch.tensor([[[0.9, 0.2, 1.0, 0.6]]])  # (1, 1, 4): broadcast over batch and rows
    out = _np(Softmax()(x, mask=mask))
    assert (out[..., 1] == 0.0).all()
    np.testing.assert_allclose(out.sum(-1), np.ones((2, 3)), rtol=1e-6)


def test_softmax_uses_the_mask_of_its_inputs():
    x = torch.tensor(_x(1, 4))
    x._keras_mask = torch.tensor([[True, True, False, False]])  # as Embedding(mask_zero=True) leaves it
    out = _np(Softmax()(x))
    assert (out[0, 2:] == 0).all()
    np.testing.assert_allclose(out[0, :2].sum(), 1.0, rtol=1e-6)


def test_softmax_output_keeps_the_mask():
    x = torch.tensor(_x(1, 3))
    mask = torch.tensor([[True, False, True]])
    out = Softmax()(x, mask=mask)
    assert torch.equal(out._keras_mask, mask)


# ---------------------------------------------------------------- shapes, params, configs


@pytest.mark.parametrize("make, shape", LAYERS, ids=IDS)
def test_output_shape_matches_compute_output_shape(make, shape):
    layer = make()
    out = layer(_x(*shape))
    assert tuple(out.shape) == shape
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + shape[1:]


@pytest.mark.parametrize("make, shape, params", [
    (LAYERS[0][0], (4, 3, 5), 0), (LAYERS[2][0], (4, 5), 0), (LAYERS[3][0], (4, 5), 5),
    (LAYERS[4][0], (4, 3, 2, 5), 5), (lambda: PReLU(shared_axes=1), (4, 3, 2, 5), 10),
    (LAYERS[5][0], (4, 3, 5), 0), (LAYERS[6][0], (4, 5), 0),
])
def test_param_count(make, shape, params):
    layer = make()
    layer(_x(*shape))
    assert layer.count_params() == params


@pytest.mark.parametrize("make, shape", LAYERS, ids=IDS)
def test_config_round_trip_keeps_every_argument(make, shape):
    layer = make(name="act")
    config = layer.get_config()
    json.dumps(config)
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    x = _x(*shape)
    layer(x)
    clone(x)
    if layer.weights:
        clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(_np(clone(x)), _np(layer(x)), rtol=1e-6)


def test_configs_write_keras_keys():
    assert set(ReLU().get_config()) >= {"max_value", "negative_slope", "threshold"}
    assert set(LeakyReLU().get_config()) >= {"negative_slope"}
    assert set(PReLU().get_config()) >= {"alpha_initializer", "alpha_regularizer", "alpha_constraint",
                                         "shared_axes"}
    assert ELU(alpha=0.3).get_config()["alpha"] == 0.3
    assert Softmax(axis=[1, 2]).get_config()["axis"] == [1, 2]
    assert PReLU().get_config()["alpha_initializer"]["class_name"] == "Zeros"


def test_layers_load_by_name_from_a_config():
    for cls in (ReLU, LeakyReLU, PReLU, ELU, Softmax):
        config = {"module": "keras.layers", "class_name": cls.__name__, "config": cls().get_config(),
                  "registered_name": None}
        assert type(keras.saving.deserialize_keras_object(config, "layers")) is cls


def test_exported_from_layers_namespace():
    for name in ("ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"):
        assert getattr(keras.layers, name).__module__ == "layerwise.layers.activations"


def test_leaky_relu_accepts_keras_2_alpha_with_a_warning():
    with pytest.warns(UserWarning) as record:
        layer = LeakyReLU(alpha=0.1)
    assert str(record[0].message) == (
        "LeakyReLU: the argument `alpha` is deprecated; use `negative_slope` instead (got alpha=0.1)."
    )
    assert layer.negative_slope == 0.1
    assert layer.get_config()["negative_slope"] == 0.1
    assert "alpha" not in layer.get_config()


def test_leaky_relu_without_alpha_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LeakyReLU(negative_slope=0.1)


def test_prelu_regularizer_and_constraint():
    layer = PReLU(alpha_initializer=keras.initializers.Constant(-0.5), alpha_regularizer=keras.regularizers.L2(0.1),
                  alpha_constraint="non_neg")
    layer(_x(2, 3))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0].detach()), 0.1 * 3 * 0.25, rtol=1e-6)
    assert layer.alpha.constraint is not None
    assert layer.get_config()["alpha_constraint"]["class_name"] == "NonNeg"


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("make, shape", LAYERS, ids=IDS)
def test_gradients_reach_the_inputs(make, shape):
    layer = make()
    x = torch.tensor(_x(*shape) * 3, requires_grad=True)
    weights = torch.tensor(_x(*shape, seed=5))
    (layer(x) * weights).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


# ---------------------------------------------------------------- models: fit, save, load


def _model(shared=False):
    return keras.Sequential([
        keras.Input(shape=(4, 3)),
        keras.layers.Dense(6),
        keras.layers.PReLU(shared_axes=[1] if shared else None),
        keras.layers.LeakyReLU(0.2),
        keras.layers.ReLU(max_value=6.0, negative_slope=0.05, threshold=0.1),
        keras.layers.ELU(alpha=0.8),
        keras.layers.Flatten(),
        keras.layers.Dense(3),
        keras.layers.Softmax(),
    ])


@pytest.mark.parametrize("shared", [False, True])
def test_sequential_model_fits_and_its_prelu_learns(shared):
    model = _model(shared)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    x = _x(32, 4, 3)
    y = np.random.default_rng(1).integers(0, 3, size=32)
    prelu = model.layers[1]
    before = prelu.get_weights()[0].copy()
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 3
    assert np.isfinite(history.history["loss"]).all()
    assert not np.allclose(prelu.get_weights()[0], before)
    assert model.predict(x, verbose=0).shape == (32, 3)


def test_keras_file_round_trip(tmp_path):
    model = _model(shared=True)
    model.layers[1].set_weights([np.full((1, 6), 0.25, dtype="float32")])
    x = _x(5, 4, 3)
    expected = model.predict(x, verbose=0)
    path = tmp_path / "activations.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    assert [layer.get_config() for layer in loaded.layers[1:]] == [layer.get_config() for layer in model.layers[1:]]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)
    np.testing.assert_allclose(loaded.layers[1].get_weights()[0], np.full((1, 6), 0.25))


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("kwargs, message", [
    ({"max_value": -1.0}, "ReLU 'relu': max_value must be None or a number >= 0, got -1.0. It caps the output, "
                          "e.g. ReLU(max_value=6.0); use None for no cap."),
    ({"max_value": "6"}, "ReLU 'relu': max_value must be None or a number >= 0, got '6'. It caps the output, "
                         "e.g. ReLU(max_value=6.0); use None for no cap."),
    ({"negative_slope": -0.1}, "ReLU 'relu': negative_slope must be a number >= 0, got -0.1. It is the slope below "
                               "the threshold, e.g. ReLU(negative_slope=0.1); 0.0 gives the plain ReLU."),
    ({"negative_slope": None}, "ReLU 'relu': negative_slope must be a number >= 0, got None. It is the slope below "
                               "the threshold, e.g. ReLU(negative_slope=0.1); 0.0 gives the plain ReLU."),
    ({"threshold": -2}, "ReLU 'relu': threshold must be a number >= 0, got -2. Inputs at or below it are damped, "
                        "e.g. ReLU(threshold=0.5); 0.0 gives the plain ReLU."),
])
def test_relu_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError) as info:
        ReLU(name="relu", **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("kwargs, shown", [({"negative_slope": -0.3}, "-0.3"), ({"negative_slope": None}, "None"),
                                           ({"alpha": -1.0}, "-1.0")])
def test_leaky_relu_refuses_bad_slopes(kwargs, shown):
    with pytest.raises(ValueError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        LeakyReLU(name="leaky", **kwargs)
    assert str(info.value) == (
        f"LeakyReLU 'leaky': negative_slope must be a number >= 0, got {shown}. It is the slope for negative "
        "inputs, e.g. LeakyReLU(negative_slope=0.3)."
    )


@pytest.mark.parametrize("alpha", [None, "1.0"])
def test_elu_refuses_a_non_number_alpha(alpha):
    with pytest.raises(ValueError) as info:
        ELU(alpha=alpha, name="elu")
    assert str(info.value) == (
        f"ELU 'elu': alpha must be a number, got {alpha!r}. It scales the negative part, e.g. ELU(alpha=1.0)."
    )


def test_elu_accepts_a_negative_alpha_as_keras_does():
    np.testing.assert_allclose(_np(ELU(alpha=-1.0)(np.array([-1.0], dtype="float32"))), [-np.expm1(-1.0)],
                               rtol=1e-6)


@pytest.mark.parametrize("shared_axes", [0, -1, [1, -2], "1", [1.0]])
def test_prelu_refuses_axes_that_are_not_counted_from_one(shared_axes):
    with pytest.raises(ValueError) as info:
        PReLU(shared_axes=shared_axes, name="prelu")
    assert str(info.value) == (
        f"PReLU 'prelu': shared_axes must be axes counted from 1 (axis 0 is the batch), got "
        f"shared_axes={shared_axes!r}. For inputs (batch, height, width, channels) use shared_axes=[1, 2] "
        "to learn one alpha per channel."
    )


def test_prelu_refuses_an_axis_beyond_the_inputs():
    layer = PReLU(shared_axes=[1, 3], name="prelu")
    with pytest.raises(ValueError) as info:
        layer(_x(2, 3, 4))
    assert str(info.value) == (
        "PReLU 'prelu': shared_axes=[1, 3] names axis 3, but its inputs have shape (2, 3, 4) (axes 1 to 2 "
        "besides the batch axis 0). Pick shared_axes among those axes."
    )


def test_prelu_needs_known_sizes_where_alpha_is_not_shared():
    layer = PReLU(name="prelu")
    with pytest.raises(ValueError) as info:
        layer.build((None, None, 8))
    assert str(info.value) == (
        "PReLU 'prelu' needs known sizes on the axes where alpha is not shared, got input shape "
        "(None, None, 8) (axis 1 is unknown). Share alpha along that axis, e.g. PReLU(shared_axes=[1])."
    )


def test_prelu_refuses_inputs_of_another_size_after_build():
    layer = PReLU(shared_axes=[1], name="prelu")
    layer(_x(2, 3, 4))
    layer(_x(2, 7, 4))  # the shared axis may change
    with pytest.raises(ValueError) as info:
        layer(_x(2, 3, 5))
    assert str(info.value) == "PReLU 'prelu' expects inputs with last dimension 4, got 5 (input shape (2, 3, 5))."


@pytest.mark.parametrize("axis", [None, "last", [], [1, 1.5], True])
def test_softmax_refuses_an_axis_that_is_not_an_integer(axis):
    with pytest.raises(ValueError) as info:
        Softmax(axis=axis, name="softmax")
    assert str(info.value) == (
        f"Softmax 'softmax': axis must be an integer or a non-empty list of integers, got axis={axis!r}. "
        "Use axis=-1 to normalise over the last axis."
    )


@pytest.mark.parametrize("axis", [2, -3, [1, 2]])
def test_softmax_refuses_an_axis_beyond_the_inputs(axis):
    with pytest.raises(ValueError) as info:
        Softmax(axis=axis, name="softmax")(_x(2, 3))
    assert str(info.value) == (
        f"Softmax 'softmax' got axis={axis!r}, but its inputs have rank 2 (shape (2, 3)): each axis must be "
        "between -2 and 1. Use axis=-1 for the last axis."
    )


def test_softmax_refuses_a_mask_with_more_dimensions():
    with pytest.raises(ValueError) as info:
        Softmax(name="softmax")(_x(2, 3), mask=np.ones((1, 2, 3), dtype=bool))
    assert str(info.value) == (
        "Softmax 'softmax' got a mask of shape (1, 2, 3) with more dimensions than its inputs of shape (2, 3). "
        "The mask must be broadcastable to the inputs, e.g. of the inputs' shape or with size 1 on the axes "
        "it does not vary along."
    )


def test_softmax_refuses_a_mask_that_does_not_broadcast():
    with pytest.raises(ValueError) as info:
        Softmax(name="softmax")(_x(2, 3, 4), mask=np.ones((2, 3), dtype=bool))
    assert str(info.value) == (
        "Softmax 'softmax' got a mask of shape (2, 3) for inputs of shape (2, 3, 4): counted from the last "
        "axis, each mask dimension must be 1 or the inputs' size. Reshape the mask (e.g. add size-1 axes with "
        "mask[:, None]) so that it broadcasts to the inputs."
    )
