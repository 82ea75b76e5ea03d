"""Parity with real Keras 3 (torch backend): learning rate schedule values and configs."""

import copy

import numpy as np
import pytest
import torch

keras = pytest.importorskip("keras")

from layerwise.optimizers import schedules

CASES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9}),
    ("ExponentialDecay", {"initial_learning_rate": 1.0, "decay_steps": 7, "decay_rate": 0.5, "staircase": True}),
    ("ExponentialDecay", {"initial_learning_rate": 0.01, "decay_steps": 1000, "decay_rate": 0.96}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 1.0, "decay_rate": 0.5}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.5, "decay_steps": 8, "decay_rate": 2.0, "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [10, 20], "values": [1.0, 0.5, 0.1]}),
    ("PiecewiseConstantDecay", {"boundaries": [5], "values": [0.3, 0.03]}),
    ("PiecewiseConstantDecay", {"boundaries": [3, 17, 40, 41], "values": [0.5, 0.4, 0.3, 0.2, 0.1]}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 30}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 30, "end_learning_rate": 0.01,
                         "power": 0.5}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 13, "end_learning_rate": 0.001,
                         "power": 2.0, "cycle": True}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 40}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 40, "alpha": 0.2}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 30, "warmup_target": 0.1, "warmup_steps": 10}),
    ("CosineDecay", {"initial_learning_rate": 0.01, "decay_steps": 25, "alpha": 0.1, "warmup_target": 0.2,
                     "warmup_steps": 7}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 10}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 6, "t_mul": 1.0, "m_mul": 0.8,
                             "alpha": 0.05}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.2, "first_decay_steps": 5, "t_mul": 1.5, "m_mul": 0.5}),
]
STEPS = list(range(101)) + [150, 999, 1000, 1001, 5000, 123456]


def case_id(case):
    name, kwargs = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


def keras_value(schedule, step):
    return float(schedule(step).detach().cpu().numpy())


@pytest.mark.parametrize("name, kwargs", CASES, ids=[case_id(c) for c in CASES])
def test_values_match_keras_for_python_int_steps(name, kwargs):
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    ours_values = [ours(step) for step in STEPS]
    assert all(type(v) is float for v in ours_values)
    np.testing.assert_allclose(ours_values, [keras_value(theirs, step) for step in STEPS], rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name, kwargs", CASES, ids=[case_id(c) for c in CASES])
def test_values_match_keras_for_tensor_steps(name, kwargs):
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    for step in STEPS:
        value = ours(torch.tensor(step))
        assert isinstance(value, torch.Tensor) and value.dtype == torch.float32 and value.ndim == 0
        np.testing.assert_allclose(value.item(), keras_value(theirs, torch.tensor(step)), rtol=1e-5, atol=1e-8,
                                   err_msg=f"step {step}")


@pytest.mark.parametrize("name, kwargs", CASES, ids=[case_id(c) for c in CASES])
def test_configs_match_and_load_in_the_other_library(name, kwargs):
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    ours_serialized = schedules.serialize(ours)
    theirs_serialized = keras.optimizers.schedules.serialize(theirs)
    assert ours_serialized == theirs_serialized
    from_ours = keras.optimizers.schedules.deserialize(copy.deepcopy(ours_serialized))
    from_theirs = schedules.deserialize(copy.deepcopy(theirs_serialized))
    assert type(from_ours).__name__ == type(from_theirs).__name__ == name
    assert from_theirs.get_config() == theirs.get_config()
    assert from_ours.get_config() == ours.get_config()


def test_same_schedule_names_as_keras():
    from keras.src.optimizers.schedules import learning_rate_schedule as keras_module

    keras_names = {
        n for n in dir(keras.optimizers.schedules)
        if isinstance(getattr(keras.optimizers.schedules, n), type)
        and issubclass(getattr(keras.optimizers.schedules, n), keras_module.LearningRateSchedule)
    }
    ours = {
        n for n in dir(schedules)
        if isinstance(getattr(schedules, n), type) and issubclass(getattr(schedules, n), schedules.LearningRateSchedule)
    }
    assert ours == keras_names
    for name in keras_names - {"LearningRateSchedule"}:
        import inspect

        ours_params = inspect.signature(getattr(schedules, name)).parameters
        keras_params = inspect.signature(getattr(keras.optimizers.schedules, name)).parameters
        assert list(ours_params) == list(keras_params), name
        assert [p.default for p in ours_params.values()] == [p.default for p in keras_params.values()], name
