"""Merging layers against real Keras 3: same inputs and masks in, same outputs, masks, shapes, configs."""

import json

import keras
import numpy as np
import pytest
import torch

import layerwise
from layerwise.layers import merging


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return keras.ops.convert_to_numpy(value)


def _pair(class_name, **kwargs):
    return getattr(merging, class_name)(**kwargs), getattr(keras.layers, class_name)(**kwargs)


ELEMENTWISE = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]

ELEMENTWISE_SHAPES = [
    [(4, 5), (4, 5)],
    [(2, 3, 4), (2, 3, 4), (2, 3, 4)],
    [(2, 1, 4), (2, 3, 4)],
    [(2, 3, 1), (2, 1, 4)],
    [(2, 4), (2, 3, 4)],        # lower rank: an axis is inserted after the batch axis
    [(2, 3, 4), (2, 4)],
    [(3, 5)],
]


def _cases(name_list, input_lists):
    """Every (layer, inputs) pair, less Subtract with other than 2 inputs."""
    return [(name, inputs) for name in name_list for inputs in input_lists
            if name != "Subtract" or len(inputs) == 2]


@pytest.mark.parametrize("name, shapes", _cases(ELEMENTWISE, ELEMENTWISE_SHAPES))
def test_elementwise_outputs_match_keras(name, shapes):
    ours, theirs = _pair(name)
    xs = [_x(*s, seed=i) for i, s in enumerate(shapes)]
    np.testing.assert_allclose(_numpy(ours(xs)), _numpy(theirs(xs)), rtol=1e-6, atol=1e-6)
    symbolic = [(None,) + s[1:] for s in shapes]
    assert ours.compute_output_shape(symbolic) == tuple(theirs.compute_output_shape(symbolic))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_functional_forms_match_keras(name):
    xs = [_x(3, 4, seed=1), _x(3, 4, seed=2)]
    ours = getattr(merging, name.lower())(xs)
    theirs = getattr(keras.layers, name.lower())(xs)
    np.testing.assert_allclose(_numpy(ours), _numpy(theirs), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shapes", [
    [(None, 5), (None, 5)], [(8, 5), (None, 5)], [(None, None, 3), (None, 4, 3)],
    [(None, 1, 5), (None, 4, 1)], [(None, 5), (None, 4, 5)],
])
def test_elementwise_output_shapes_match_keras(shapes):
    ours, theirs = _pair("Add")
    assert ours.compute_output_shape(shapes) == tuple(theirs.compute_output_shape(shapes))


MASKS = [
    np.array([[True, True, False, False], [True, False, True, False]]),
    np.array([[True, False, True, False], [False, False, True, True]]),
    np.array([[False, True, True, False], [False, False, False, True]]),
]


def _masked_inputs(count, masked, feature_sizes=None):
    tensors = []
    for i in range(count):
        tensor = torch.tensor(_x(2, 4, (feature_sizes or [3] * count)[i], seed=i + 10))
        if masked[i]:
            tensor._keras_mask = torch.tensor(MASKS[i])
        tensors.append(tensor)
    return tensors


@pytest.mark.parametrize("name, masked", _cases(ELEMENTWISE, [
    (True, True), (True, False), (False, True), (True, True, True), (True, False, True)]))
def test_masked_merges_match_keras(name, masked):
    inputs = _masked_inputs(len(masked), masked)
    ours, theirs = _pair(name)
    ours_out, theirs_out = ours(inputs), theirs(inputs)
    np.testing.assert_allclose(_numpy(ours_out), _numpy(theirs_out), rtol=1e-6, atol=1e-6)
    ours_mask = getattr(ours_out, "_keras_mask", None)
    theirs_mask = getattr(theirs_out, "_keras_mask", None)
    assert (ours_mask is None) == (theirs_mask is None)
    if theirs_mask is not None:
        np.testing.assert_array_equal(_numpy(ours_mask), _numpy(theirs_mask))


# ---------------------------------------------------------------- Concatenate


@pytest.mark.parametrize("axis, shapes", [
    (-1, [(2, 3, 4), (2, 3, 5)]),
    (1, [(2, 3, 4), (2, 1, 4), (2, 2, 4)]),
    (-2, [(2, 3, 4), (2, 2, 4)]),
    (2, [(2, 3, 4), (2, 3, 1)]),
    (1, [(2, 3), (2, 5)]),
])
def test_concatenate_matches_keras(axis, shapes):
    ours, theirs = _pair("Concatenate", axis=axis)
    xs = [_x(*s, seed=i) for i, s in enumerate(shapes)]
    np.testing.assert_array_equal(_numpy(ours(xs)), _numpy(theirs(xs)))
    np.testing.assert_array_equal(_numpy(merging.concatenate(xs, axis=axis)),
                                  _numpy(keras.layers.concatenate(xs, axis=axis)))
    for symbolic in ([(None,) + s[1:] for s in shapes],
                     [(None,) + s[1:-1] + (None,) for s in shapes]):
        assert ours.compute_output_shape(symbolic) == tuple(theirs.compute_output_shape(symbolic))


@pytest.mark.parametrize("axis", [-1, 1])
@pytest.mark.parametrize("masked", [(True, False), (False, True), (True, True), (True, False, True)])
def test_concatenate_masks_match_keras(axis, masked):
    sizes = [3, 2, 3] if axis == -1 else [3, 3, 3]
    inputs = _masked_inputs(len(masked), masked, sizes)
    ours, theirs = _pair("Concatenate", axis=axis)
    ours_out, theirs_out = ours(inputs), theirs(inputs)
    np.testing.assert_array_equal(_numpy(ours_out), _numpy(theirs_out))
    np.testing.assert_array_equal(_numpy(ours_out._keras_mask), _numpy(theirs_out._keras_mask))


# ---------------------------------------------------------------- Dot


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("shapes, axes", [
    ([(4, 5), (4, 5)], 1),
    ([(4, 5), (4, 5)], -1),
    ([(4, 3, 5), (4, 10, 3)], (1, 2)),
    ([(4, 3, 5), (4, 3, 6)], 1),
    ([(4, 3, 5), (4, 6, 5)], -1),
    ([(4, 5), (4, 5, 6)], (1, 1)),
    ([(4, 6, 5), (4, 5)], (2, 1)),
    ([(4, 2, 3, 5), (4, 5, 7)], (-1, 1)),
    ([(4, 5, 2), (4, 3, 5, 7)], (1, 2)),
    ([(4, 5, 2), (4, 3, 5, 7)], [1, -2]),
])
def test_dot_matches_keras(shapes, axes, normalize):
    ours, theirs = _pair("Dot", axes=axes, normalize=normalize)
    xs = [_x(*shapes[0], seed=1), _x(*shapes[1], seed=2)]
    np.testing.assert_allclose(_numpy(ours(xs)), _numpy(theirs(xs)), rtol=1e-5, atol=1e-5)
    symbolic = [(None,) + s[1:] for s in shapes]
    assert ours.compute_output_shape(symbolic) == tuple(theirs.compute_output_shape(symbolic))
    np.testing.assert_allclose(_numpy(merging.dot(xs, axes=axes, normalize=normalize)),
                               _numpy(keras.layers.dot(xs, axes=axes, normalize=normalize)),
                               rtol=1e-5, atol=1e-5)


def test_dot_drops_masks_like_keras():
    inputs = _masked_inputs(2, (True, True))
    assert getattr(merging.Dot(axes=2)(inputs), "_keras_mask", None) is None
    assert getattr(keras.layers.Dot(axes=2)(inputs), "_keras_mask", None) is None


# ---------------------------------------------------------------- errors where Keras errors


@pytest.mark.parametrize("make, shapes", [
    (lambda lib: lib.Add(), [(4, 3), (4, 4)]),
    (lambda lib: lib.Subtract(), [(4, 3), (4, 3), (4, 3)]),
    (lambda lib: lib.Concatenate(), [(4, 3, 2), (4, 5, 2)]),
    (lambda lib: lib.Concatenate(axis=1), [(4, 3, 2), (4, 3, 5)]),
    (lambda lib: lib.Dot(axes=1), [(4, 3), (4, 5)]),
    (lambda lib: lib.Dot(axes=1), [(4, 3), (4, 3), (4, 3)]),
])
def test_shape_errors_where_keras_errors(make, shapes):
    xs = [_x(*s, seed=i) for i, s in enumerate(shapes)]
    with pytest.raises(ValueError):
        make(keras.layers)(xs)
    with pytest.raises(ValueError):
        make(merging)(xs)


# ---------------------------------------------------------------- configs


CONFIG_CASES = [
    ("Add", {}), ("Subtract", {}), ("Multiply", {}), ("Average", {}), ("Maximum", {}),
    ("Minimum", {}), ("Concatenate", {"axis": 1}), ("Concatenate", {}),
    ("Dot", {"axes": 1}), ("Dot", {"axes": (1, 2), "normalize": True}),
]


@pytest.mark.parametrize("name, kwargs", CONFIG_CASES)
def test_configs_match_keras_both_ways(name, kwargs):
    ours, theirs = _pair(name, name="merge", **kwargs)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert ours_config == theirs_config
    # A config written by one library (through JSON, as in a file) loads in the other.
    from_keras = getattr(merging, name).from_config(json.loads(json.dumps(theirs_config)))
    assert from_keras.get_config() == ours_config
    from_ours = getattr(keras.layers, name).from_config(json.loads(json.dumps(ours_config)))
    for key, value in theirs_config.items():
        loaded = from_ours.get_config()[key]
        assert (list(loaded) if isinstance(loaded, tuple) else loaded) == \
            (list(value) if isinstance(value, tuple) else value), key


# ---------------------------------------------------------------- in a model, with weights


def test_functional_model_with_merges_matches_keras():
    def build(lib, layers):
        a = lib.Input(shape=(6,))
        b = lib.Input(shape=(4,))
        ha = layers.Dense(8, activation="tanh")(a)
        hb = layers.Dense(8, activation="tanh")(b)
        merged = layers.concatenate([ha, hb])
        summed = layers.add([layers.Dense(5)(merged), layers.Dense(5)(merged)])
        product = layers.multiply([summed, layers.Dense(5)(merged)])
        mixed = layers.average([product, layers.maximum([summed, product]),
                                layers.minimum([summed, product])])
        difference = layers.subtract([mixed, summed])
        similarity = layers.Dot(axes=1, normalize=True)([difference, summed])
        return lib.Model([a, b], [layers.concatenate([similarity, difference]),
                                  layers.dot([ha, hb], axes=-1)])

    ours_layers = type("ours", (), {
        "Dense": layerwise.layers.Dense, "Dot": merging.Dot, "concatenate": merging.concatenate,
        "add": merging.add, "multiply": merging.multiply, "average": merging.average,
        "maximum": merging.maximum, "minimum": merging.minimum, "subtract": merging.subtract,
        "dot": merging.dot,
    })
    theirs = build(keras, keras.layers)
    ours = build(layerwise, ours_layers)
    assert ours.count_params() == theirs.count_params()
    ours.set_weights(theirs.get_weights())
    xs = [_x(7, 6, seed=1), _x(7, 4, seed=2)]
    for ours_out, theirs_out in zip(ours(xs), theirs(xs)):
        np.testing.assert_allclose(_numpy(ours_out), _numpy(theirs_out), rtol=1e-5, atol=1e-5)
    assert [tuple(s) for s in ours.output_shape] == [tuple(s) for s in theirs.output_shape]
