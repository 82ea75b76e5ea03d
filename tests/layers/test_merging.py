"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot."""

import json

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.layers.core import Dense
from layerwise.layers.merging import (
    Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, average,
    concatenate, dot, maximum, minimum, multiply, subtract,
)
from layerwise.saving import serialization


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _np(tensor):
    return tensor.detach().cpu().numpy()


ELEMENTWISE = [
    (Add, add, lambda xs: sum(xs[1:], xs[0])),
    (Multiply, multiply, lambda xs: np.prod(np.stack(xs), axis=0)),
    (Average, average, lambda xs: np.mean(np.stack(xs), axis=0)),
    (Maximum, maximum, lambda xs: np.max(np.stack(xs), axis=0)),
    (Minimum, minimum, lambda xs: np.min(np.stack(xs), axis=0)),
]


# ---------------------------------------------------------------- values and shapes


@pytest.mark.parametrize("cls, function, reference", ELEMENTWISE)
@pytest.mark.parametrize("count", [1, 2, 3])
def test_elementwise_values(cls, function, reference, count):
    xs = [_x(4, 5, seed=i) for i in range(count)]
    expected = reference(xs)
    np.testing.assert_allclose(_np(cls()(xs)), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_np(function(xs)), expected, rtol=1e-6, atol=1e-6)


def test_subtract_values_and_functional_form():
    a, b = _x(3, 4, seed=1), _x(3, 4, seed=2)
    np.testing.assert_allclose(_np(Subtract()([a, b])), a - b, rtol=1e-6)
    np.testing.assert_allclose(_np(subtract([a, b])), a - b, rtol=1e-6)


@pytest.mark.parametrize("cls, function, reference", ELEMENTWISE)
def test_elementwise_symbolic_shapes_and_models(cls, function, reference):
    a, b = keras.Input(shape=(5,)), keras.Input(shape=(5,))
    out = function([a, b])
    assert out.shape == (None, 5)
    model = keras.Model([a, b], out)
    xs = [_x(3, 5, seed=1), _x(3, 5, seed=2)]
    np.testing.assert_allclose(_np(model(xs)), reference(xs), rtol=1e-6, atol=1e-6)
    assert model.count_params() == 0


def test_broadcasting_and_rank_expansion_like_keras():
    # (batch, 1, 5) with (batch, 4, 5): size-1 axes broadcast.
    a, b = _x(2, 1, 5), _x(2, 4, 5, seed=1)
    np.testing.assert_allclose(_np(Add()([a, b])), a + b, rtol=1e-6)
    # (batch, 5) with (batch, 4, 5): the lower-rank input gets an axis after the batch axis.
    c = _x(2, 5, seed=2)
    np.testing.assert_allclose(_np(Add()([c, b])), c[:, None, :] + b, rtol=1e-6)
    layer = Add()
    assert layer.compute_output_shape([(None, 5), (None, 4, 5)]) == (None, 4, 5)
    assert layer.compute_output_shape([(None, 1, 5), (None, 4, 1)]) == (None, 4, 5)
    assert layer.compute_output_shape([(8, 3), (None, 3)]) == (8, 3)
    assert layer.compute_output_shape([(None, None, 3), (None, 4, 3)]) == (None, None, 3)
    out = Add()([keras.Input(shape=(5,)), keras.Input(shape=(4, 5))])
    assert out.shape == (None, 4, 5)


def test_incompatible_shapes_name_the_inputs():
    with pytest.raises(ValueError, match=r"incompatible shapes.*Input 0 has shape \(None, 3\).*"
                                         r"input 1 has shape \(None, 4\)"):
        Add()([keras.Input(shape=(3,)), keras.Input(shape=(4,))])
    # The clash is with input 1, not with input 0: the message says so.
    with pytest.raises(ValueError, match=r"Input 1 has shape \(2, 1, 4\) and input 2 has shape "
                                         r"\(2, 3, 5\)"):
        Multiply()([_x(2, 3, 1), _x(2, 1, 4), _x(2, 3, 5)])


def test_incompatible_shapes_after_build_still_get_a_clear_error():
    layer = Add()
    layer([_x(2, 3), _x(2, 3)])
    with pytest.raises(ValueError, match=r"input 1 has shape \(2, 4\)"):
        layer([_x(2, 3), _x(2, 4)])


def test_different_batch_sizes_are_refused():
    with pytest.raises(ValueError, match="different batch sizes"):
        Add()([keras.Input(batch_shape=(4, 3)), keras.Input(batch_shape=(5, 3))])


def test_merge_needs_a_list():
    with pytest.raises(ValueError, match="list of inputs"):
        Add()(_x(2, 3))
    layer = Add()
    layer([_x(2, 3), _x(2, 3)])
    with pytest.raises(ValueError, match="list of inputs"):
        layer(_x(2, 3))


def test_single_input_list_is_kept_as_a_list():
    x = _x(2, 3)
    np.testing.assert_array_equal(_np(Add()([x])), x)
    layer = Concatenate()
    assert layer([x]).shape == (2, 3)
    assert layer._expects_list_input is True
    assert layer.get_build_config() == {"input_shape": [(2, 3)]}


def test_subtract_needs_exactly_two_inputs():
    with pytest.raises(ValueError, match=r"exactly 2 inputs, got 3.*input 2 has shape \(None, 3\)"):
        Subtract()([keras.Input(shape=(3,))] * 3)
    with pytest.raises(ValueError, match="exactly 2 inputs, got 1"):
        Subtract()([_x(2, 3)])


def test_average_of_integers_is_float():
    out = Average()([np.array([[1, 2]]), np.array([[2, 2]])])
    assert out.dtype.is_floating_point
    np.testing.assert_allclose(_np(out), [[1.5, 2.0]])


# ---------------------------------------------------------------- Concatenate


@pytest.mark.parametrize("axis", [-1, 1, 2, -2])
def test_concatenate_values_and_shapes(axis):
    shapes = {-1: [(2, 3, 4), (2, 3, 5)], 2: [(2, 3, 4), (2, 3, 5)],
              1: [(2, 3, 4), (2, 1, 4)], -2: [(2, 3, 4), (2, 1, 4)]}[axis]
    xs = [_x(*s, seed=i) for i, s in enumerate(shapes)]
    expected = np.concatenate(xs, axis=axis)
    np.testing.assert_array_equal(_np(Concatenate(axis=axis)(xs)), expected)
    np.testing.assert_array_equal(_np(concatenate(xs, axis=axis)), expected)
    symbolic = concatenate([keras.Input(shape=s[1:]) for s in shapes], axis=axis)
    assert symbolic.shape == (None,) + expected.shape[1:]


def test_concatenate_output_shape_with_unknown_sizes():
    layer = Concatenate(axis=1)
    assert layer.compute_output_shape([(None, 3, 4), (None, None, 4)]) == (None, None, 4)
    assert layer.compute_output_shape([(None, 3, 4), (None, 2, 4), (None, 1, 4)]) == (None, 6, 4)


def test_concatenate_mismatch_names_inputs_and_axis():
    with pytest.raises(ValueError, match=r"Input 0 has shape \(None, 3, 4\) and input 1 has shape "
                                         r"\(None, 5, 2\): they differ on axis 1 \(3 != 5\)"):
        concatenate([keras.Input(shape=(3, 4)), keras.Input(shape=(5, 2))])
    with pytest.raises(ValueError, match="same rank"):
        concatenate([keras.Input(shape=(3, 4)), keras.Input(shape=(4,))])
    with pytest.raises(ValueError, match="axis=3 is out of range"):
        Concatenate(axis=3)([_x(2, 3, 4), _x(2, 3, 4)])
    layer = Concatenate()
    layer([_x(2, 3), _x(2, 3)])
    with pytest.raises(ValueError, match=r"input 1 has shape \(3, 3\)"):
        layer([_x(2, 3), _x(3, 3)])
    # Unknown (None) sizes are compatible with anything.
    assert concatenate([keras.Input(shape=(None, 4)), keras.Input(shape=(3, 2))]).shape == (None, None, 6)


# ---------------------------------------------------------------- Dot


@pytest.mark.parametrize("shapes, axes, expected_shape", [
    ([(4, 5), (4, 5)], 1, (4, 1)),
    ([(4, 5), (4, 5)], -1, (4, 1)),
    ([(4, 3, 5), (4, 10, 3)], (1, 2), (4, 5, 10)),
    ([(4, 3, 5), (4, 3, 6)], 1, (4, 5, 6)),
    ([(4, 5), (4, 5, 6)], (1, 1), (4, 6)),
    ([(4, 6, 5), (4, 5)], (2, 1), (4, 6)),
    ([(4, 2, 3, 5), (4, 5, 7)], (-1, 1), (4, 2, 3, 7)),
    ([(4, 5, 2), (4, 3, 5, 7)], (1, 2), (4, 2, 3, 7)),
])
def test_dot_values_and_shapes(shapes, axes, expected_shape):
    x, y = _x(*shapes[0], seed=1), _x(*shapes[1], seed=2)
    out = Dot(axes=axes)([x, y])
    assert tuple(out.shape) == expected_shape
    a0, a1 = (axes, axes) if isinstance(axes, int) else axes
    reference = np.stack([np.tensordot(x[i], y[i], axes=(a0 % x.ndim - 1, a1 % y.ndim - 1))
                          for i in range(x.shape[0])])
    np.testing.assert_allclose(_np(out).reshape(reference.shape), reference, rtol=1e-5, atol=1e-5)
    assert Dot(axes=axes).compute_output_shape([(None,) + s[1:] for s in shapes]) == \
        (None,) + expected_shape[1:]
    np.testing.assert_allclose(_np(dot([x, y], axes=axes)), _np(out), rtol=1e-6)


def test_dot_normalize_gives_cosine_similarity():
    x, y = _x(6, 5, seed=1), _x(6, 5, seed=2)
    out = _np(Dot(axes=1, normalize=True)([x, y]))
    cosine = (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
    np.testing.assert_allclose(out[:, 0], cosine, rtol=1e-5)
    # A zero vector does not give NaN.
    zero = Dot(axes=1, normalize=True)([np.zeros((1, 3)), np.ones((1, 3))])
    assert torch.isfinite(zero).all()


def test_dot_argument_and_shape_errors():
    with pytest.raises(TypeError, match="axes"):
        Dot(axes="1")
    with pytest.raises(ValueError, match="two elements"):
        Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match="integers"):
        Dot(axes=(1, 1.5))
    with pytest.raises(ValueError, match=r"axis values 5 \(at axis 1 of input 0\) != 4"):
        Dot(axes=1)([keras.Input(shape=(5,)), keras.Input(shape=(4,))])
    with pytest.raises(ValueError, match="list of 2 inputs"):
        Dot(axes=1)([keras.Input(shape=(5,))] * 3)
    with pytest.raises(ValueError, match="batch axis"):
        Dot(axes=0)([_x(2, 3), _x(2, 3)])
    layer = Dot(axes=1)
    layer([_x(2, 3), _x(2, 3)])
    with pytest.raises(ValueError, match=r"input 1 has shape \(2, 4\)"):
        layer([_x(2, 3), _x(2, 4)])


def test_dot_config_round_trip_through_json():
    layer = Dot(axes=(1, 2), normalize=True, name="similarity")
    config = json.loads(json.dumps(layer.get_config()))
    clone = Dot.from_config(config)
    assert clone.axes == (1, 2) and clone.normalize is True
    assert clone.get_config() == layer.get_config()


# ---------------------------------------------------------------- masks


def _masked(x, mask):
    tensor = torch.as_tensor(x)
    tensor._keras_mask = torch.as_tensor(mask)
    return tensor


MASK_A = np.array([[True, True, False, False], [True, False, True, False]])
MASK_B = np.array([[True, False, True, False], [False, False, True, True]])


@pytest.mark.parametrize("cls", [Add, Subtract, Average, Multiply, Maximum, Minimum])
def test_output_mask_is_the_or_of_input_masks(cls):
    a = _masked(_x(2, 4, 3, seed=1), MASK_A)
    b = _masked(_x(2, 4, 3, seed=2), MASK_B)
    out = cls()([a, b])
    np.testing.assert_array_equal(_np(out._keras_mask), MASK_A | MASK_B)
    # One unmasked input: no output mask.
    out = cls()([a, torch.as_tensor(_x(2, 4, 3, seed=3))])
    assert getattr(out, "_keras_mask", None) is None


def test_maximum_and_minimum_ignore_masked_entries():
    a_values, b_values = _x(2, 4, 3, seed=1), _x(2, 4, 3, seed=2)
    a, b = _masked(a_values, MASK_A), _masked(b_values, MASK_B)
    for cls, op in ((Maximum, np.maximum), (Minimum, np.minimum)):
        out = _np(cls()([a, b]))
        both = MASK_A & MASK_B
        np.testing.assert_allclose(out[both], op(a_values, b_values)[both])
        only_a = MASK_A & ~MASK_B
        np.testing.assert_allclose(out[only_a], a_values[only_a])
        only_b = MASK_B & ~MASK_A
        np.testing.assert_allclose(out[only_b], b_values[only_b])


def test_multiply_treats_masked_entries_as_one_and_zeroes_fully_masked_steps():
    a_values, b_values = _x(2, 4, 3, seed=1), _x(2, 4, 3, seed=2)
    out = _np(Multiply()([_masked(a_values, MASK_A), _masked(b_values, MASK_B)]))
    expected = np.where(MASK_A[..., None], a_values, 1) * np.where(MASK_B[..., None], b_values, 1)
    expected = np.where((MASK_A | MASK_B)[..., None], expected, 0)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_concatenate_masks():
    a = _masked(_x(2, 4, 3, seed=1), MASK_A)
    b = torch.as_tensor(_x(2, 4, 2, seed=2))
    out = Concatenate()([a, b])
    np.testing.assert_array_equal(_np(out._keras_mask), np.ones((2, 4), bool))  # b is unmasked
    out = Concatenate(axis=1)([a, _masked(_x(2, 4, 3, seed=3), MASK_B)])
    np.testing.assert_array_equal(_np(out._keras_mask), np.concatenate([MASK_A, MASK_B], axis=1))
    assert Concatenate()([_x(2, 3), _x(2, 3)]).__dict__.get("_keras_mask") is None


def test_dot_drops_masks():
    a = _masked(_x(2, 4, 3, seed=1), MASK_A)
    out = Dot(axes=2)([a, _masked(_x(2, 4, 3, seed=2), MASK_B)])
    assert getattr(out, "_keras_mask", None) is None


# ---------------------------------------------------------------- gradients and configs


@pytest.mark.parametrize("layer", [Add(), Subtract(), Multiply(), Average(), Maximum(), Minimum(),
                                   Concatenate(), Dot(axes=1), Dot(axes=1, normalize=True)])
def test_gradients_reach_every_input(layer):
    a = torch.tensor(_x(3, 4, seed=1), requires_grad=True)
    b = torch.tensor(_x(3, 4, seed=2), requires_grad=True)
    layer([a, b]).pow(2).sum().backward()
    assert a.grad is not None and a.grad.abs().sum() > 0
    assert b.grad is not None and b.grad.abs().sum() > 0


@pytest.mark.parametrize("layer", [Add(), Subtract(), Multiply(), Average(), Maximum(), Minimum(),
                                   Concatenate(axis=1), Dot(axes=(1, 2), normalize=True)])
def test_config_round_trip_and_registry(layer):
    config = layer.get_config()
    clone = type(layer).from_config(json.loads(json.dumps(config)))
    assert clone.get_config() == config
    serialized = serialization.serialize_keras_object(layer)
    assert serialized["module"] == "keras.layers"
    assert serialized["class_name"] == type(layer).__name__
    restored = serialization.deserialize_keras_object(json.loads(json.dumps(serialized)), "layers")
    assert type(restored) is type(layer) and restored.get_config() == config


def test_merge_in_a_trainable_functional_model():
    inputs_a, inputs_b = keras.Input(shape=(6,)), keras.Input(shape=(4,))
    x = concatenate([Dense(8)(inputs_a), Dense(8)(inputs_b)])
    y = add([Dense(5)(x), Dense(5)(x)])
    model = keras.Model([inputs_a, inputs_b], Dot(axes=1)([y, y]))
    assert model.output_shape == (None, 1)
    assert model.count_params() == (6 * 8 + 8) + (4 * 8 + 8) + 2 * (16 * 5 + 5)
    out = model([_x(3, 6), _x(3, 4)])
    out.sum().backward()
    assert all(w.grad is not None for w in model.trainable_weights)
