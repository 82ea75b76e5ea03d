"""Parity with real Keras 3 (torch backend): initializer names, configs, values and statistics."""

import numpy as np
import pytest
import torch

keras = pytest.importorskip("keras")

from keras.src.initializers import ALL_OBJECTS_DICT as KERAS_INITIALIZERS  # noqa: E402
from keras.src.initializers.random_initializers import compute_fans as keras_compute_fans  # noqa: E402

from layerwise import initializers, saving  # noqa: E402

# STFT (the kernel of Keras's STFTSpectrogram layer, built on scipy windows) is not provided.
NOT_PROVIDED = {"STFT", "stft", "STFTInitializer"}

# class name -> constructor arguments (defaults first, then non-defaults).
ARGUMENTS = {
    "Zeros": [{}],
    "Ones": [{}],
    "Constant": [{}, {"value": 3.5}],
    "Identity": [{}, {"gain": 2.0}],
    "RandomNormal": [{}, {"mean": 1.0, "stddev": 2.0, "seed": 11}],
    "RandomUniform": [{}, {"minval": -2.0, "maxval": 5.0, "seed": 11}],
    "TruncatedNormal": [{}, {"mean": 0.5, "stddev": 0.1, "seed": 11}],
    "VarianceScaling": [
        {},
        {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 11},
        {"scale": 0.5, "mode": "fan_avg", "distribution": "untruncated_normal", "seed": 11},
        {"distribution": "normal", "input_axes": [0], "output_axes": [1]},
    ],
    "GlorotUniform": [{}, {"seed": 11}],
    "GlorotNormal": [{}, {"seed": 11}],
    "HeUniform": [{}, {"seed": 11}],
    "HeNormal": [{}, {"seed": 11}],
    "LecunUniform": [{}, {"seed": 11}],
    "LecunNormal": [{}, {"seed": 11}],
    "Orthogonal": [{}, {"gain": 0.5, "seed": 11}],
}
CASES = [(name, kwargs) for name, variants in ARGUMENTS.items() for kwargs in variants]


def both(name, kwargs):
    return getattr(initializers, name)(**kwargs), getattr(keras.initializers, name)(**kwargs)


def test_same_names_as_keras():
    ours = set(saving.registry.builtin_objects("initializers"))
    assert ours == set(KERAS_INITIALIZERS) - NOT_PROVIDED
    for name in ours:
        assert saving.registry.builtin_objects("initializers")[name].__name__ == KERAS_INITIALIZERS[name].__name__


def test_constant_by_name_works_where_keras_fails():
    """keras.initializers.get("constant") raises KeyError 'value' in Keras 3.15; layerwise gives Constant(0.0)."""
    assert initializers.get("constant").get_config() == {"value": 0.0}


def keras_config(name, theirs):
    """Keras's config, plus the one key layerwise adds on purpose.

    Keras 3.15's Identity inherits the base get_config() and so writes ``{}``,
    dropping ``gain``: a model saved with Identity(gain=2) reloads with gain 1.
    layerwise writes ``{"gain": ...}``, which Keras's ``Identity(**config)`` loads.
    """
    config = theirs.get_config()
    return {**config, "gain": theirs.gain} if name == "Identity" else config


@pytest.mark.parametrize("name, kwargs", CASES, ids=str)
def test_same_config_as_keras(name, kwargs):
    ours, theirs = both(name, kwargs)
    assert ours.get_config() == keras_config(name, theirs)
    assert list(ours.get_config()) == list(keras_config(name, theirs))
    serialized = keras.initializers.serialize(theirs)
    assert initializers.serialize(ours) == {**serialized, "config": keras_config(name, theirs)}


@pytest.mark.parametrize("name, kwargs", CASES, ids=str)
def test_configs_cross_load(name, kwargs):
    ours, theirs = both(name, kwargs)
    from_keras = initializers.deserialize(keras.initializers.serialize(theirs))
    assert type(from_keras) is type(ours)
    assert from_keras.get_config() == (ours.get_config() if name != "Identity" else {"gain": 1.0})
    into_keras = keras.initializers.deserialize(initializers.serialize(ours))
    assert type(into_keras).__name__ == name and into_keras.get_config() == theirs.get_config()
    if name == "Identity":
        assert into_keras.gain == ours.gain


@pytest.mark.parametrize(
    "name, kwargs, shape",
    [
        ("Zeros", {}, (3, 4)),
        ("Ones", {}, (2, 3, 4)),
        ("Constant", {"value": -1.25}, (5,)),
        ("Identity", {}, (4, 4)),
        ("Identity", {"gain": 3.0}, (3, 5)),
        ("Identity", {"gain": 0.5}, (5, 3)),
    ],
    ids=str,
)
def test_deterministic_values_equal_keras(name, kwargs, shape):
    ours, theirs = both(name, kwargs)
    np.testing.assert_array_equal(ours(shape).numpy(), keras.ops.convert_to_numpy(theirs(shape)))


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 4, 8)])
def test_orthogonal_equals_keras_for_the_same_seed(shape):
    ours, theirs = both("Orthogonal", {"gain": 1.5, "seed": 5})
    values = ours(shape)
    np.testing.assert_allclose(values.numpy(), keras.ops.convert_to_numpy(theirs(shape)), rtol=1e-5, atol=1e-6)
    matrix = values.reshape(-1, shape[-1]).double()
    gram = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else matrix @ matrix.T
    np.testing.assert_allclose(gram.numpy(), 2.25 * np.eye(min(matrix.shape)), atol=1e-5)


# Uniform and untruncated-normal draws use the same generator calls as Keras's
# torch backend, so an integer seed gives Keras's exact values.
SAME_DRAWS = [
    ("RandomNormal", {"mean": 1.0, "stddev": 2.0, "seed": 11}),
    ("RandomUniform", {"minval": -2.0, "maxval": 5.0, "seed": 11}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 3}),
    ("VarianceScaling", {"scale": 0.5, "mode": "fan_avg", "distribution": "untruncated_normal", "seed": 3}),
    ("GlorotUniform", {"seed": 42}),
    ("HeUniform", {"seed": 42}),
    ("LecunUniform", {"seed": 42}),
]


@pytest.mark.parametrize("name, kwargs", SAME_DRAWS, ids=str)
@pytest.mark.parametrize("shape", [(64, 32), (3, 3, 8, 16)])
def test_seeded_draws_equal_keras(name, kwargs, shape):
    ours, theirs = both(name, kwargs)
    np.testing.assert_allclose(ours(shape).numpy(), keras.ops.convert_to_numpy(theirs(shape)), rtol=1e-6, atol=1e-7)


# Truncated normals are drawn differently (layerwise truncates exactly; Keras's
# torch backend keeps the first of four draws inside the bounds), so their
# statistics are compared instead.
TRUNCATED = [
    ("TruncatedNormal", {"mean": 0.5, "stddev": 0.1}),
    ("VarianceScaling", {"scale": 3.0, "mode": "fan_in"}),
    ("GlorotNormal", {}),
    ("HeNormal", {}),
    ("LecunNormal", {}),
]


@pytest.mark.parametrize("name, kwargs", TRUNCATED, ids=str)
@pytest.mark.parametrize("shape", [(600, 300), (3, 3, 64, 96)])
def test_truncated_statistics_match_keras(name, kwargs, shape):
    ours, theirs = both(name, kwargs)
    mine = ours(shape).double()
    reference = torch.as_tensor(keras.ops.convert_to_numpy(theirs(shape))).double()
    assert mine.mean().item() == pytest.approx(reference.mean().item(), abs=0.02 * reference.std().item())
    assert mine.std().item() == pytest.approx(reference.std().item(), rel=0.02)
    center = kwargs.get("mean", 0.0)
    spread = (reference - center).abs().quantile(0.9999).item()
    assert (mine - center).abs().max().item() <= 1.001 * (reference - center).abs().max().item()
    assert (mine - center).abs().max().item() > 0.98 * spread


@pytest.mark.parametrize("name, kwargs", [case for case in SAME_DRAWS[2:] if "untruncated" not in str(case)], ids=str)
def test_uniform_limits_match_keras(name, kwargs):
    ours, theirs = both(name, {**kwargs, "seed": None})
    shape = (3, 3, 64, 32)
    limit = keras.ops.convert_to_numpy(theirs(shape))
    mine = ours(shape).numpy()
    assert np.abs(mine).max() <= np.abs(limit).max() * 1.001
    assert np.abs(mine).max() >= np.abs(limit).max() * 0.99


@pytest.mark.parametrize(
    "shape", [(), (7,), (3, 5), (5, 3), (4, 16, 32), (3, 3, 16, 32), (2, 3, 3, 16, 32), (1, 1)]
)
def test_compute_fans_equals_keras(shape):
    assert initializers.compute_fans(shape) == keras_compute_fans(shape)
    if len(shape) >= 2:
        axes = ([0], list(range(1, len(shape))))
        assert initializers.compute_fans(shape, *axes) == keras_compute_fans(shape, *axes)
