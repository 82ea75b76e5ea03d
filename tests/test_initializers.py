"""layerwise.initializers: values, statistics, seeds, configs and errors."""

import math

import numpy as np
import pytest
import torch

import layerwise
from layerwise import backend, initializers, saving

LARGE = (500, 400)  # 200,000 draws: sample moments within about 1% of the truth.

CLASSES = {
    "Zeros": {},
    "Ones": {},
    "Constant": {"value": 2.5},
    "Identity": {"gain": 3.0},
    "RandomNormal": {"mean": 1.0, "stddev": 0.5, "seed": 7},
    "RandomUniform": {"minval": -1.0, "maxval": 3.0, "seed": 7},
    "TruncatedNormal": {"mean": -1.0, "stddev": 2.0, "seed": 7},
    "VarianceScaling": {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 7},
    "GlorotUniform": {"seed": 7},
    "GlorotNormal": {"seed": 7},
    "HeUniform": {"seed": 7},
    "HeNormal": {"seed": 7},
    "LecunUniform": {"seed": 7},
    "LecunNormal": {"seed": 7},
    "Orthogonal": {"gain": 2.0, "seed": 7},
}
RANDOM = [name for name in CLASSES if "seed" in CLASSES[name]]
SNAKE_NAMES = {
    "zeros": "Zeros",
    "zero": "Zeros",
    "ones": "Ones",
    "one": "Ones",
    "constant": "Constant",
    "identity": "Identity",
    "IdentityInitializer": "Identity",
    "random_normal": "RandomNormal",
    "normal": "RandomNormal",
    "random_uniform": "RandomUniform",
    "uniform": "RandomUniform",
    "truncated_normal": "TruncatedNormal",
    "variance_scaling": "VarianceScaling",
    "glorot_uniform": "GlorotUniform",
    "glorot_normal": "GlorotNormal",
    "he_uniform": "HeUniform",
    "he_normal": "HeNormal",
    "lecun_uniform": "LecunUniform",
    "lecun_normal": "LecunNormal",
    "orthogonal": "Orthogonal",
    "OrthogonalInitializer": "Orthogonal",
}

# Keras resolves these strings but does not export them as module attributes.
STRING_ONLY = {"zero", "one", "normal", "uniform"}


def make(name):
    return getattr(initializers, name)(**CLASSES[name])


@pytest.mark.parametrize("name", CLASSES)
def test_default_dtype_and_device(name):
    values = make(name)((6, 4))
    assert isinstance(values, torch.Tensor)
    assert values.shape == (6, 4) and values.dtype == torch.float32
    assert values.device == backend.device()


@pytest.mark.parametrize("name", RANDOM)
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64", torch.float64])
def test_random_dtypes(name, dtype):
    assert make(name)((6, 4), dtype=dtype).dtype == backend.torch_dtype(dtype)


def test_constant_values():
    assert torch.equal(initializers.Zeros()((2, 3), dtype="int32"), torch.zeros(2, 3, dtype=torch.int32))
    assert torch.equal(initializers.Ones()((4,), dtype="bool"), torch.ones(4, dtype=torch.bool))
    assert torch.equal(initializers.Constant(2.5)((2, 2)), torch.full((2, 2), 2.5))
    assert torch.equal(initializers.Constant(2.5)((2,), dtype="int32"), torch.tensor([2, 2], dtype=torch.int32))
    assert initializers.Constant(np.float32(1.5)).get_config() == {"value": 1.5}
    assert initializers.Constant(torch.tensor(3)).value == 3


def test_identity():
    expected = np.array([[2.0, 0, 0], [0, 2.0, 0]], dtype="float32")
    np.testing.assert_array_equal(initializers.Identity(gain=2.0)((2, 3)).numpy(), expected)
    np.testing.assert_array_equal(initializers.IdentityInitializer()((3, 2)).numpy(), np.eye(3, 2))
    with pytest.raises(ValueError, match=r"Identity initializer works on 2-D shapes only; got shape=\(2, 2, 2\) of rank 3\."):
        initializers.Identity()((2, 2, 2))


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 4, 8), (3, 3, 8, 4)])
def test_orthogonal(shape):
    values = initializers.Orthogonal(gain=2.0, seed=1)(shape).reshape(-1, shape[-1]).double()
    rows, cols = values.shape
    gram = values.T @ values if rows >= cols else values @ values.T
    np.testing.assert_allclose(gram.numpy(), 4.0 * np.eye(min(rows, cols)), atol=1e-5)


def test_orthogonal_rank_error():
    with pytest.raises(ValueError, match=r"Orthogonal initializer needs a shape of rank 2 or more; got shape=\(5,\) of rank 1\."):
        initializers.Orthogonal()((5,))


def test_compute_fans():
    assert initializers.compute_fans(()) == (1, 1)
    assert initializers.compute_fans((7,)) == (7, 7)
    assert initializers.compute_fans((3, 5)) == (3, 5)
    assert initializers.compute_fans((3, 16, 32)) == (48, 96)
    assert initializers.compute_fans((3, 3, 16, 32)) == (144, 288)
    assert initializers.compute_fans((2, 3, 4, 5), input_axes=[0, 1], output_axes=[2, 3]) == (6, 20)


def _moments(values):
    values = values.double()
    return values.mean().item(), values.std().item(), values.min().item(), values.max().item()


def test_random_normal_statistics():
    mean, std, _, _ = _moments(initializers.RandomNormal(mean=1.0, stddev=0.5)(LARGE))
    assert mean == pytest.approx(1.0, abs=0.01) and std == pytest.approx(0.5, rel=0.01)


def test_random_uniform_statistics():
    mean, std, low, high = _moments(initializers.RandomUniform(minval=-1.0, maxval=3.0)(LARGE))
    assert -1.0 <= low < -0.99 and 2.99 < high < 3.0
    assert mean == pytest.approx(1.0, abs=0.02) and std == pytest.approx(4 / math.sqrt(12), rel=0.01)


def test_truncated_normal_statistics():
    mean, std, low, high = _moments(initializers.TruncatedNormal(mean=-1.0, stddev=2.0)(LARGE))
    assert -5.0 <= low < -4.99 and 2.99 < high <= 3.0
    assert mean == pytest.approx(-1.0, abs=0.02)
    assert std == pytest.approx(2.0 * initializers._TRUNCATED_STDDEV, rel=0.01)


# (class, shape) -> the standard deviation Keras's formulas give, with the
# uniform limit sqrt(3) * std and truncated normals drawn with std / 0.8796.
VARIANCE_CASES = [
    ("GlorotUniform", (500, 300), math.sqrt(2.0 / 800)),
    ("GlorotNormal", (500, 300), math.sqrt(2.0 / 800)),
    ("HeUniform", (500, 300), math.sqrt(2.0 / 500)),
    ("HeNormal", (500, 300), math.sqrt(2.0 / 500)),
    ("LecunUniform", (500, 300), math.sqrt(1.0 / 500)),
    ("LecunNormal", (500, 300), math.sqrt(1.0 / 500)),
    ("GlorotUniform", (3, 3, 64, 128), math.sqrt(2.0 / (9 * 192))),
    ("HeNormal", (3, 3, 64, 128), math.sqrt(2.0 / (9 * 64))),
]


@pytest.mark.parametrize("name, shape, expected_std", VARIANCE_CASES)
def test_variance_scaling_presets(name, shape, expected_std):
    init = getattr(initializers, name)()
    _, std, low, high = _moments(init(shape))
    assert std == pytest.approx(expected_std, rel=0.02)
    if "Uniform" in name:
        limit = math.sqrt(3.0) * expected_std
        assert -limit <= low and high <= limit and high > 0.99 * limit
    else:
        bound = 2 * expected_std / initializers._TRUNCATED_STDDEV
        assert -bound <= low and high <= bound and high > 0.99 * bound


@pytest.mark.parametrize("mode, n", [("fan_in", 400), ("fan_out", 200), ("fan_avg", 300)])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform", "normal", "UNIFORM"])
def test_variance_scaling_modes(mode, n, distribution):
    init = initializers.VarianceScaling(scale=3.0, mode=mode, distribution=distribution)
    _, std, _, _ = _moments(init((400, 200)))
    assert std == pytest.approx(math.sqrt(3.0 / n), rel=0.02)


def test_variance_scaling_axes():
    init = initializers.VarianceScaling(scale=1.0, mode="fan_in", input_axes=[0, 1], output_axes=[2])
    _, std, _, _ = _moments(init((40, 50, 100)))
    assert std == pytest.approx(math.sqrt(1 / 2000), rel=0.02)


@pytest.mark.parametrize("name", RANDOM)
def test_integer_seed_repeats_and_leaves_global_state_alone(name):
    state = torch.get_rng_state()
    first = make(name)((30, 20))
    assert torch.equal(first, make(name)((30, 20)))
    init = make(name)
    assert torch.equal(init((30, 20)), init((30, 20)))
    assert torch.equal(torch.get_rng_state(), state)
    other = getattr(initializers, name)(**{**CLASSES[name], "seed": 8})((30, 20))
    assert not torch.equal(first, other)


@pytest.mark.parametrize("name", RANDOM)
def test_unseeded_draws_follow_the_global_seed(name):
    init = getattr(initializers, name)(**{**CLASSES[name], "seed": None})
    layerwise.utils.set_random_seed(3)
    first, second = init((30, 20)), init((30, 20))
    assert not torch.equal(first, second)
    layerwise.utils.set_random_seed(3)
    assert torch.equal(init((30, 20)), first)


def test_config_keys():
    seeded = {"seed": 7, "input_axes": None, "output_axes": None}
    assert make("GlorotUniform").get_config() == seeded
    assert initializers.VarianceScaling().get_config() == {
        "seed": None,
        "scale": 1.0,
        "mode": "fan_in",
        "distribution": "truncated_normal",
        "input_axes": None,
        "output_axes": None,
    }
    assert make("RandomNormal").get_config() == {"seed": 7, "mean": 1.0, "stddev": 0.5}
    assert make("RandomUniform").get_config() == {"seed": 7, "minval": -1.0, "maxval": 3.0}
    assert make("Orthogonal").get_config() == {"seed": 7, "gain": 2.0}
    assert make("Identity").get_config() == {"gain": 3.0}
    assert make("Constant").get_config() == {"value": 2.5}
    assert make("Zeros").get_config() == {}


@pytest.mark.parametrize("name", CLASSES)
def test_config_and_serialize_round_trip(name):
    init = make(name)
    clone = type(init).from_config(init.get_config())
    assert clone.get_config() == init.get_config()
    assert torch.equal(clone((5, 5)), init((5, 5)))
    assert init.clone().get_config() == init.get_config()
    config = initializers.serialize(init)
    assert config == {
        "module": "keras.initializers",
        "class_name": name,
        "config": init.get_config(),
        "registered_name": None,
    }
    restored = initializers.deserialize(config)
    assert type(restored) is type(init) and restored.get_config() == init.get_config()
    assert initializers.get(config).get_config() == init.get_config()


@pytest.mark.parametrize("alias, class_name", SNAKE_NAMES.items())
def test_get_by_name(alias, class_name):
    init = initializers.get(alias)
    assert type(init) is getattr(initializers, class_name)
    assert type(initializers.get(class_name)) is type(init)
    if alias not in STRING_ONLY:
        assert getattr(initializers, alias) is type(init)


def test_get_other_identifiers():
    assert initializers.get(None) is None
    assert isinstance(initializers.get(initializers.HeNormal), initializers.HeNormal)
    init = initializers.Ones()
    assert initializers.get(init) is init

    def fn(shape, dtype=None):
        return torch.zeros(shape)

    assert initializers.get(fn) is fn
    assert initializers.get({"class_name": "RandomNormal", "config": {"stddev": 2.0}}).stddev == 2.0
    values = np.arange(6, dtype="float64").reshape(2, 3)
    from_values = initializers.get(values)
    out = from_values((2, 3))
    assert out.dtype == torch.float32 and np.array_equal(out.numpy(), values)
    with pytest.raises(ValueError, match=r"holds values of shape \(2, 3\); it cannot fill a weight of shape \(3, 2\)"):
        from_values((3, 2))


def test_get_errors():
    with pytest.raises(ValueError, match=r"Unknown initializer 'glorot_unifrom'\. Known initializers: constant, glorot_normal, glorot_uniform, "):
        initializers.get("glorot_unifrom")
    with pytest.raises(ValueError, match=r"Could not interpret initializer identifier 3: expected None, a name such as 'glorot_uniform'"):
        initializers.get(3)


def test_user_initializer_round_trip():
    @saving.register_serializable(package="InitTest")
    class Halves(initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return torch.full(shape, 0.5)

    config = initializers.serialize(Halves())
    assert config["registered_name"] == "InitTest>Halves"
    assert isinstance(initializers.deserialize(config), Halves)


def test_base_initializer_must_be_subclassed():
    with pytest.raises(NotImplementedError, match="Initializer must implement __call__"):
        initializers.Initializer()((2,))


def test_argument_errors():
    with pytest.raises(ValueError, match=r"VarianceScaling: argument `scale` must be a positive number; got scale=-1\.0\."):
        initializers.VarianceScaling(scale=-1.0)
    with pytest.raises(
        ValueError,
        match=r"VarianceScaling: argument `mode` must be one of 'fan_in', 'fan_out', 'fan_avg'; got mode='fan'\.",
    ):
        initializers.VarianceScaling(mode="fan")
    with pytest.raises(
        ValueError,
        match=r"argument `distribution` must be one of 'truncated_normal', 'untruncated_normal', 'uniform'; "
        r"got distribution='gaussian'\.",
    ):
        initializers.VarianceScaling(distribution="gaussian")
    with pytest.raises(ValueError, match=r"HeNormal: argument `seed` must be an integer or None; got seed='1'\."):
        initializers.HeNormal(seed="1")
    with pytest.raises(ValueError, match=r"RandomNormal draws random floats, so `dtype` must be a float type .*got dtype='int32'\."):
        initializers.RandomNormal()((2,), dtype="int32")
    with pytest.raises(ValueError, match=r"Constant: `value` must be a scalar number; got value=\[1, 2\]\."):
        initializers.Constant([1, 2])
