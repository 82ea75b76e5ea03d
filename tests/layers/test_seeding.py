"""One place for the seed argument and the per-device generators of seeded layers (layers/seeding.py)."""

import pytest
import torch

import layerwise
from layerwise.layers import seeding


@pytest.mark.parametrize("seed", [1.5, "7", True])
def test_check_seed_refuses_what_is_not_an_integer(seed):
    with pytest.raises(TypeError, match=rf"^Dropout seed must be an integer or None, got {seed!r}\.$"):
        seeding.check_seed(seed, "Dropout")


def test_check_seed_returns_a_python_int_or_none():
    import numpy as np

    assert seeding.check_seed(np.int64(3), "Dropout") == 3 and type(seeding.check_seed(np.int64(3), "x")) is int
    assert seeding.check_seed(None, "Dropout") is None


def test_one_generator_per_device_kept_on_the_layer():
    dropout = layerwise.layers.Dropout(0.5, seed=1)
    cpu = torch.device("cpu")
    generator = seeding.layer_generator(dropout, cpu)
    assert generator.initial_seed() == 1 and seeding.layer_generator(dropout, cpu) is generator
    assert dropout._generators == {"cpu": generator}  # where BackupAndRestore finds it
    assert seeding.layer_generator(dropout, torch.device("meta")) is None
    assert seeding.layer_generator(layerwise.layers.Dropout(0.5), cpu) is None  # no seed: torch's global one


def test_the_same_seed_draws_the_same_masks_in_every_seeded_layer_kind():
    x = torch.ones(4, 6, 6, 3)
    for make in (lambda: layerwise.layers.Dropout(0.5, seed=3), lambda: layerwise.layers.RandomFlip(seed=3),
                 lambda: layerwise.layers.GaussianNoise(0.1, seed=3)):
        torch.testing.assert_close(make()(x, training=True), make()(x, training=True))
