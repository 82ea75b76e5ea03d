"""Unit tests for layerwise.optimizers.schedules."""

import math

import numpy as np
import pytest
import torch

from layerwise import saving
from layerwise.optimizers import schedules


def test_exponential_decay():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert schedule(0) == 0.1
    assert schedule(10) == pytest.approx(0.05)
    assert schedule(5) == pytest.approx(0.1 * 0.5 ** 0.5)
    stairs = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert [stairs(s) for s in (0, 9, 10, 19, 20)] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_inverse_time_decay():
    schedule = schedules.InverseTimeDecay(1.0, decay_steps=2, decay_rate=0.5)
    assert schedule(0) == 1.0
    assert schedule(4) == pytest.approx(1.0 / (1.0 + 0.5 * 2))
    stairs = schedules.InverseTimeDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)
    assert stairs(3) == pytest.approx(1.0 / 1.5)


def test_piecewise_constant_decay_boundaries_are_inclusive_on_the_left_interval():
    schedule = schedules.PiecewiseConstantDecay(boundaries=[100, 110], values=[1.0, 0.5, 0.1])
    assert [schedule(s) for s in (0, 100, 101, 110, 111, 10 ** 6)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]


def test_piecewise_constant_decay_length_error():
    with pytest.raises(ValueError, match=r"PiecewiseConstantDecay: `values` must have exactly one more entry than "
                                         r"`boundaries`; got boundaries=\[10, 20\] \(2 entries\) and "
                                         r"values=\[1\.0, 0\.5\] \(2 entries\)"):
        schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5])


def test_polynomial_decay():
    schedule = schedules.PolynomialDecay(0.1, decay_steps=100, end_learning_rate=0.01)
    assert schedule(0) == pytest.approx(0.1)
    assert schedule(50) == pytest.approx(0.055)
    assert schedule(100) == pytest.approx(0.01)
    assert schedule(1000) == pytest.approx(0.01)
    squared = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, power=2.0)
    assert squared(5) == pytest.approx(0.25)
    cycling = schedules.PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, cycle=True)
    # At step 15 the decay period is 20 steps: 1 - 15 / 20.
    assert cycling(15) == pytest.approx(0.25)
    assert cycling(0) == pytest.approx(1.0)
    assert schedules.PolynomialDecay(0.1, 30).end_learning_rate == 0.0001


def test_cosine_decay_without_and_with_warmup():
    schedule = schedules.CosineDecay(1.0, decay_steps=100, alpha=0.1)
    assert schedule(0) == pytest.approx(1.0)
    assert schedule(50) == pytest.approx(0.1 + 0.9 * 0.5)
    assert schedule(100) == pytest.approx(0.1)
    assert schedule(500) == pytest.approx(0.1)
    warm = schedules.CosineDecay(0.0, decay_steps=100, warmup_target=0.2, warmup_steps=10)
    assert warm(0) == 0.0
    assert warm(5) == pytest.approx(0.1)
    assert warm(10) == pytest.approx(0.2)
    assert warm(60) == pytest.approx(0.1)
    assert warm(110) == pytest.approx(0.0, abs=1e-12)


def test_cosine_decay_restarts():
    schedule = schedules.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5)
    assert schedule(0) == pytest.approx(1.0)
    assert schedule(5) == pytest.approx(0.5)
    assert schedule(10) == pytest.approx(0.5)     # restart: m_mul * initial
    assert schedule(20) == pytest.approx(0.25)    # half-way through the 20-step second period
    assert schedule(30) == pytest.approx(0.25)    # third period starts at 0.25
    constant_periods = schedules.CosineDecayRestarts(1.0, first_decay_steps=4, t_mul=1.0, alpha=0.2)
    assert constant_periods(2) == pytest.approx(0.2 + 0.8 * 0.5)
    assert constant_periods(4) == pytest.approx(1.0)


ALL = [
    schedules.ExponentialDecay(0.1, 10, 0.9),
    schedules.InverseTimeDecay(0.1, 10, 0.9, staircase=True),
    schedules.PiecewiseConstantDecay([5, 10], [0.3, 0.2, 0.1]),
    schedules.PolynomialDecay(0.1, 30, cycle=True),
    schedules.CosineDecay(0.1, 40, alpha=0.1, warmup_target=0.3, warmup_steps=5),
    schedules.CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.9, alpha=0.01),
]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_python_steps_give_python_floats_and_tensor_steps_give_tensors(schedule):
    for step in (0, 3, 7, 12, 44, 1000):
        value = schedule(step)
        assert type(value) is float
        tensor_value = schedule(torch.tensor(step))
        assert isinstance(tensor_value, torch.Tensor) and tensor_value.dtype == torch.float32
        assert tensor_value.item() == pytest.approx(value, rel=1e-5, abs=1e-9)
        assert schedule(np.int64(step)) == pytest.approx(value)


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_serialize_deserialize_round_trip(schedule):
    config = schedules.serialize(schedule)
    assert config["module"] == "keras.optimizers.schedules"
    assert config["class_name"] == type(schedule).__name__
    assert config["registered_name"] is None
    restored = schedules.deserialize(config)
    assert type(restored) is type(schedule)
    assert restored.get_config() == schedule.get_config()
    assert [restored(s) for s in range(20)] == [schedule(s) for s in range(20)]
    assert type(schedule).from_config(schedule.get_config()).get_config() == schedule.get_config()


def test_deserialize_errors():
    with pytest.raises(ValueError, match="Unknown learning rate schedule 'Nope'"):
        schedules.deserialize({"class_name": "Nope", "config": {}})
    with pytest.raises(ValueError, match="a config dict with 'class_name'"):
        schedules.deserialize("ExponentialDecay")


@pytest.mark.parametrize("factory, message", [
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.5),
     r"ExponentialDecay: argument `decay_steps` must be a number > 0; got decay_steps=0"),
    (lambda: schedules.ExponentialDecay(0.1, 10, -0.5), r"`decay_rate` must be a number >= 0; got decay_rate=-0\.5"),
    (lambda: schedules.PolynomialDecay(0.1, -5), r"PolynomialDecay: argument `decay_steps` must be a number > 0"),
    (lambda: schedules.InverseTimeDecay("a", 10, 0.5),
     r"`initial_learning_rate` must be a finite number; got initial_learning_rate='a'"),
    (lambda: schedules.CosineDecay(0.1, 0), r"CosineDecay: argument `decay_steps` must be a number > 0"),
    (lambda: schedules.CosineDecay(0.1, 10, warmup_steps=-1), r"`warmup_steps` must be a number >= 0"),
    (lambda: schedules.CosineDecayRestarts(0.1, 0), r"`first_decay_steps` must be a number > 0"),
    (lambda: schedules.CosineDecayRestarts(0.1, 10, t_mul=0), r"`t_mul` must be a number > 0"),
    (lambda: schedules.PiecewiseConstantDecay([1], [0.1, "x"]), r"`values\[1\]` must be a finite number"),
])
def test_bad_arguments(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()


def test_bad_step_type():
    with pytest.raises(TypeError, match="takes the step count"):
        schedules.ExponentialDecay(0.1, 10, 0.5)("ten")


def test_base_class_and_custom_subclass():
    with pytest.raises(NotImplementedError, match="must override `__call__"):
        schedules.LearningRateSchedule()(0)

    class Halving(schedules.LearningRateSchedule):
        def __init__(self, initial):
            self.initial = initial

        def __call__(self, step):
            return self.initial / 2 ** step

    with pytest.raises(NotImplementedError, match="must override `get_config"):
        Halving(1.0).get_config()
    assert repr(Halving(1.0)) == "Halving()"
    saving.register_serializable(package="Tests")(type("Named", (Halving,), {
        "get_config": lambda self: {"initial": self.initial}}))
    named = saving.get_custom_objects()["Tests>Named"]
    config = schedules.serialize(named(0.5))
    assert config["registered_name"] == "Tests>Named"
    assert schedules.deserialize(config)(1) == 0.25


def test_edge_values_behave_like_float32_maths():
    # 0 ** negative power and log of a non-positive number give inf / nan instead of raising.
    polynomial = schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.0, power=-1.0)
    assert polynomial(10) == math.inf
    shrinking = schedules.CosineDecayRestarts(1.0, 10, t_mul=0.5)
    assert math.isnan(shrinking(1000))


def test_repr_shows_the_config():
    assert repr(schedules.ExponentialDecay(0.1, 10, 0.5)) == (
        "ExponentialDecay(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5, staircase=False, "
        "name='ExponentialDecay')"
    )


def test_every_public_schedule_is_documented():
    for name in ("LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay", "PiecewiseConstantDecay",
                 "PolynomialDecay", "CosineDecay", "CosineDecayRestarts"):
        doc = getattr(schedules, name).__doc__
        assert "Example:" in doc, name
        if name != "LearningRateSchedule":
            assert "Args:" in doc, name
