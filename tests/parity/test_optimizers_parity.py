"""Parity with real Keras 3 (torch backend): optimizer trajectories, state and configs.

Both libraries start from the same weights and receive the same 20 gradients
(different at every step); the weights must agree after every step, and the
optimizer state (``variables``, in Keras's order) at the end.

Tolerance: rtol=1e-5, atol=1e-6 (float32). Keras computes the Adam-family
bias corrections and the schedules in float32 tensors, layerwise in Python
float64 with float32-rounded betas; the differences stay within this
tolerance over 20 steps. For the final optimizer state the absolute
tolerance is scaled by the largest entry of each state tensor (Ftrl's linear
term is a running sum of terms ~20x larger than some of its entries, so its
float32 rounding noise is relative to that scale).
"""

import copy

import numpy as np
import pytest
import torch

keras = pytest.importorskip("keras")

# Keras's own float()/np.array() of its torch variables warns under numpy 2; not ours.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

import layerwise
from layerwise import (
    constraints,
    optimizers,
)

RTOL, ATOL = 1e-5, 1e-6
STEPS = 20
SHAPES = {"kernel": (5, 4), "bias": (4,), "conv_kernel": (3, 3, 2, 2)}


def initial_weights():
    rng = np.random.default_rng(42)
    return {name: rng.normal(size=shape).astype("float32") for name, shape in SHAPES.items()}


def gradients(step, scale=1.0):
    rng = np.random.default_rng(1000 + step)
    return [(rng.normal(size=shape) * scale).astype("float32") for shape in SHAPES.values()]


def keras_variables(weights, constraint=False):
    variables = [keras.Variable(w, name=name) for name, w in weights.items()]
    if constraint:
        variables[0].constraint = keras.constraints.NonNeg()
    return variables


def layerwise_variables(weights, constraint=False):
    variables = []
    for name, w in weights.items():
        v = layerwise.Variable(torch.tensor(w))
        v._set_keras_attributes(name, f"layer/{name}", True)
        variables.append(v)
    if constraint:
        variables[0].constraint = constraints.NonNeg()
    return variables


def keras_numpy(x):
    """A numpy copy of a Keras variable or tensor (torch backend)."""
    x = getattr(x, "value", x)
    return x.detach().cpu().numpy().copy() if isinstance(x, torch.Tensor) else np.array(x)


def keras_values(variables):
    return [keras_numpy(v) for v in variables]


def layerwise_values(variables):
    return [v.detach().numpy().copy() for v in variables]


def run_both(make_keras, make_layerwise, steps=STEPS, grad_scale=1.0, none_at=None, constraint=False,
             before=None):
    """Apply the same gradients with both optimizers; return both trajectories and optimizers."""
    weights = initial_weights()
    k_vars, l_vars = keras_variables(weights, constraint), layerwise_variables(weights, constraint)
    k_opt, l_opt = make_keras(), make_layerwise()
    if before is not None:
        before(k_opt, k_vars, l_opt, l_vars)
    k_traj, l_traj = [], []
    for step in range(steps):
        grads = gradients(step, grad_scale)
        k_grads = [torch.tensor(g) for g in grads]
        l_grads = [torch.tensor(g) for g in grads]
        if none_at is not None and step % 3 == 1:
            k_grads[none_at] = None
            l_grads[none_at] = None
        with pytest.warns(UserWarning) if none_at is not None and step % 3 == 1 else _no_warning():
            k_opt.apply(k_grads, k_vars)
        with pytest.warns(UserWarning, match="Gradients do not exist") if (
            none_at is not None and step % 3 == 1
        ) else _no_warning():
            l_opt.apply(l_grads, l_vars)
        k_traj.append(keras_values(k_vars))
        l_traj.append(layerwise_values(l_vars))
    return k_traj, l_traj, (k_opt, k_vars), (l_opt, l_vars)


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def assert_trajectories_match(k_traj, l_traj, rtol=RTOL, atol=ATOL):
    assert len(k_traj) == len(l_traj) == STEPS or len(k_traj) == len(l_traj)
    for step, (k_step, l_step) in enumerate(zip(k_traj, l_traj)):
        for name, k, l in zip(SHAPES, k_step, l_step):
            np.testing.assert_allclose(l, k, rtol=rtol, atol=atol,
                                       err_msg=f"weight {name!r} differs after step {step + 1}")


def assert_state_matches(k_opt, l_opt, rtol=RTOL, atol=ATOL):
    k_state, l_state = k_opt.variables, l_opt.variables
    assert len(l_state) == len(k_state), ([v.path for v in l_state], [v.path for v in k_state])
    for k, l in zip(k_state, l_state):
        k_value = keras_numpy(k)
        l_value = l.detach().cpu().numpy()
        assert l_value.shape == k_value.shape, (l.path, k.path)
        # State such as Ftrl's linear term sums terms much larger than the result: float32
        # rounding is relative to that scale, so atol scales with the largest entry.
        scale = max(1.0, float(np.abs(k_value).max())) if k_value.size else 1.0
        np.testing.assert_allclose(l_value, k_value, rtol=rtol, atol=atol * scale,
                                   err_msg=f"{l.path} vs {k.path}")


def keras_schedule(name, kwargs):
    return getattr(keras.optimizers.schedules, name)(**kwargs)


def layerwise_schedule(name, kwargs):
    return getattr(optimizers.schedules, name)(**kwargs)


SCHEDULES = {
    "exponential": ("ExponentialDecay", {"initial_learning_rate": 0.05, "decay_steps": 4, "decay_rate": 0.7}),
    "piecewise": ("PiecewiseConstantDecay", {"boundaries": [3, 9], "values": [0.05, 0.02, 0.005]}),
    "cosine_warmup": ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 12, "alpha": 0.1,
                                      "warmup_target": 0.05, "warmup_steps": 5}),
    "polynomial": ("PolynomialDecay", {"initial_learning_rate": 0.05, "decay_steps": 15,
                                       "end_learning_rate": 0.001, "power": 2.0}),
}

CASES = [
    ("SGD", {}),
    ("SGD", {"learning_rate": 0.1}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.5, "weight_decay": 0.1}),
    ("SGD", {"learning_rate": 0.1, "clipnorm": 1.0}),
    ("SGD", {"learning_rate": 0.1, "clipvalue": 0.3}),
    ("SGD", {"learning_rate": 0.1, "global_clipnorm": 2.0}),
    ("SGD", {"learning_rate": "exponential", "momentum": 0.8}),
    ("SGD", {"learning_rate": "piecewise", "momentum": 0.8, "nesterov": True}),
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.01}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-4}),
    ("Adam", {"learning_rate": 0.01, "weight_decay": 0.05}),
    ("Adam", {"learning_rate": 0.01, "clipnorm": 0.5}),
    ("Adam", {"learning_rate": 0.01, "global_clipnorm": 1.0}),
    ("Adam", {"learning_rate": 0.01, "clipvalue": 0.2}),
    ("Adam", {"learning_rate": "cosine_warmup"}),
    ("Adam", {"learning_rate": 0.01, "loss_scale_factor": 128.0}),
    ("AdamW", {}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"learning_rate": "polynomial", "weight_decay": 0.2}),
    ("RMSprop", {}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.9}),
    ("RMSprop", {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5, "centered": True, "epsilon": 1e-4}),
    ("RMSprop", {"learning_rate": 0.01, "clipvalue": 0.5, "weight_decay": 0.05}),
    ("RMSprop", {"learning_rate": "exponential", "momentum": 0.5}),
    ("Adagrad", {}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5}),
    ("Adagrad", {"learning_rate": 0.05, "epsilon": 1e-3, "weight_decay": 0.1}),
    ("Adagrad", {"learning_rate": 0.1, "global_clipnorm": 1.0}),
    ("Adadelta", {}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.9}),
    ("Adadelta", {"learning_rate": 1.0, "epsilon": 1e-5, "clipnorm": 0.5}),
    ("Adamax", {}),
    ("Adamax", {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.95}),
    ("Adamax", {"learning_rate": 0.02, "global_clipnorm": 1.0, "weight_decay": 0.05}),
    ("Nadam", {}),
    ("Nadam", {"learning_rate": 0.01, "beta_2": 0.99}),
    ("Nadam", {"learning_rate": 0.01, "weight_decay": 0.05, "clipnorm": 1.0}),
    ("Nadam", {"learning_rate": "exponential"}),
    ("Ftrl", {}),
    ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02}),
    ("Ftrl", {"learning_rate": 0.1, "learning_rate_power": -0.3, "l2_shrinkage_regularization_strength": 0.01,
              "beta": 0.1, "initial_accumulator_value": 0.2}),
    ("Ftrl", {"learning_rate": 0.05, "learning_rate_power": 0.0}),
]


def factories(name, kwargs):
    def make(module, schedule_factory):
        def build():
            args = dict(kwargs)
            if isinstance(args.get("learning_rate"), str):
                args["learning_rate"] = schedule_factory(*SCHEDULES[args["learning_rate"]])
            return getattr(module, name)(**args)
        return build

    return make(keras.optimizers, keras_schedule), make(optimizers, layerwise_schedule)


def case_id(case):
    name, kwargs = case
    return name + "-" + ("-".join(f"{k}={v}" for k, v in kwargs.items()) or "defaults")


@pytest.mark.parametrize("name, kwargs", CASES, ids=[case_id(c) for c in CASES])
def test_trajectory_matches_keras(name, kwargs):
    make_keras, make_layerwise = factories(name, kwargs)
    k_traj, l_traj, (k_opt, _), (l_opt, _) = run_both(make_keras, make_layerwise)
    assert_trajectories_match(k_traj, l_traj)
    assert_state_matches(k_opt, l_opt)
    # The weights really moved (a trajectory that stays put would match trivially).
    assert not np.allclose(l_traj[-1][0], initial_weights()["kernel"])


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad", "Nadam"])
def test_none_gradients_are_skipped_like_keras(name):
    kwargs = {"learning_rate": 0.05}
    if name == "SGD":
        kwargs["momentum"] = 0.9
    make_keras, make_layerwise = factories(name, kwargs)
    k_traj, l_traj, (k_opt, _), (l_opt, _) = run_both(make_keras, make_layerwise, none_at=1)
    assert_trajectories_match(k_traj, l_traj)
    assert_state_matches(k_opt, l_opt)


@pytest.mark.parametrize("name", ["SGD", "Adam", "Ftrl"])
def test_constraints_applied_after_the_step_like_keras(name):
    make_keras, make_layerwise = factories(name, {"learning_rate": 0.1})
    k_traj, l_traj, _, _ = run_both(make_keras, make_layerwise, constraint=True)
    assert_trajectories_match(k_traj, l_traj)
    assert all((step[0] >= 0).all() for step in l_traj)


@pytest.mark.parametrize("name, kwargs", [
    ("Adam", {"learning_rate": 0.01, "weight_decay": 0.1}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "weight_decay": 0.2}),
    ("AdamW", {"learning_rate": 0.01, "weight_decay": 0.3}),
])
def test_exclude_from_weight_decay_like_keras(name, kwargs):
    def before(k_opt, k_vars, l_opt, l_vars):
        k_opt.exclude_from_weight_decay(var_list=[k_vars[2]], var_names=["bias"])
        l_opt.exclude_from_weight_decay(var_list=[l_vars[2]], var_names=["bias"])

    make_keras, make_layerwise = factories(name, kwargs)
    k_traj, l_traj, _, _ = run_both(make_keras, make_layerwise, before=before)
    assert_trajectories_match(k_traj, l_traj)


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"learning_rate": 0.1, "use_ema": True}),
    ("Adam", {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.9}),
    ("Adam", {"learning_rate": 0.05, "use_ema": True, "ema_momentum": 0.8, "ema_overwrite_frequency": 4}),
    ("RMSprop", {"learning_rate": 0.01, "use_ema": True, "ema_overwrite_frequency": 7}),
])
def test_ema_like_keras(name, kwargs):
    make_keras, make_layerwise = factories(name, kwargs)
    k_traj, l_traj, (k_opt, k_vars), (l_opt, l_vars) = run_both(make_keras, make_layerwise)
    assert_trajectories_match(k_traj, l_traj)
    assert_state_matches(k_opt, l_opt)
    k_opt.finalize_variable_values(k_vars)
    l_opt.finalize_variable_values(l_vars)
    for k, l in zip(keras_values(k_vars), layerwise_values(l_vars)):
        np.testing.assert_allclose(l, k, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "gradient_accumulation_steps": 3}),
    ("Adam", {"learning_rate": 0.05, "gradient_accumulation_steps": 2, "clipnorm": 1.0}),
    ("Nadam", {"learning_rate": 0.05, "gradient_accumulation_steps": 4, "use_ema": True}),
    ("AdamW", {"learning_rate": "exponential", "gradient_accumulation_steps": 3, "weight_decay": 0.1}),
])
def test_gradient_accumulation_like_keras(name, kwargs):
    make_keras, make_layerwise = factories(name, kwargs)
    k_traj, l_traj, (k_opt, _), (l_opt, _) = run_both(make_keras, make_layerwise)
    assert_trajectories_match(k_traj, l_traj)
    assert_state_matches(k_opt, l_opt)
    assert int(l_opt.iterations) == int(keras_numpy(k_opt.iterations))


def test_learning_rate_changed_between_steps_like_keras():
    weights = initial_weights()
    k_vars, l_vars = keras_variables(weights), layerwise_variables(weights)
    k_opt = keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    l_opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    for step in range(STEPS):
        if step == 5:
            k_opt.learning_rate = 0.01
            l_opt.learning_rate = 0.01
        if step == 12:
            k_opt.learning_rate.assign(0.2)
            l_opt.learning_rate.assign(0.2)
        grads = gradients(step)
        k_opt.apply([torch.tensor(g) for g in grads], k_vars)
        l_opt.apply([torch.tensor(g) for g in grads], l_vars)
        for k, l in zip(keras_values(k_vars), layerwise_values(l_vars)):
            np.testing.assert_allclose(l, k, rtol=RTOL, atol=ATOL)
    assert float(l_opt.learning_rate) == float(keras_numpy(k_opt.learning_rate))


def test_layerwise_dense_weights_follow_keras_dense():
    """A layerwise Dense layer trained with layerwise Adam tracks a Keras Dense trained with Keras Adam."""
    k_layer = keras.layers.Dense(3)
    k_layer.build((None, 4))
    l_layer = layerwise.layers.Dense(3)
    l_layer.build((None, 4))
    l_layer.set_weights([np.array(w) for w in k_layer.get_weights()])
    k_opt, l_opt = keras.optimizers.Adam(learning_rate=0.01), optimizers.Adam(learning_rate=0.01)
    rng = np.random.default_rng(3)
    for _ in range(STEPS):
        x = rng.normal(size=(8, 4)).astype("float32")
        y = rng.normal(size=(8, 3)).astype("float32")
        k_w = [v.value for v in k_layer.trainable_weights]
        k_loss = torch.mean((k_layer(torch.tensor(x)) - torch.tensor(y)) ** 2)
        k_grads = torch.autograd.grad(k_loss, k_w)
        k_opt.apply(list(k_grads), k_layer.trainable_weights)
        l_weights = l_layer.trainable_weights
        for w in l_weights:
            w.grad = None
        l_loss = torch.mean((l_layer(torch.tensor(x)) - torch.tensor(y)) ** 2)
        l_loss.backward()
        l_opt.apply([w.grad for w in l_weights], l_weights)
        for k, l in zip(k_layer.get_weights(), l_layer.get_weights()):
            np.testing.assert_allclose(l, k, rtol=RTOL, atol=ATOL)
    assert [v.path for v in l_opt.variables[2:]] == [
        f"adam/{p}" for p in ("dense_kernel_momentum", "dense_kernel_velocity",
                              "dense_bias_momentum", "dense_bias_velocity")
    ] or len(l_opt.variables) == len(k_opt.variables)


# ---------------------------------------------------------------------- configs

CONFIG_CASES = [
    ("SGD", {}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True, "clipnorm": 1.0}),
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True, "weight_decay": 0.01, "global_clipnorm": 2.0,
              "use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 10}),
    ("Adam", {"learning_rate": "exponential", "loss_scale_factor": 64.0, "gradient_accumulation_steps": 2}),
    ("AdamW", {}),
    ("AdamW", {"weight_decay": 0.1, "beta_1": 0.85, "clipvalue": 0.5}),
    ("RMSprop", {}),
    ("RMSprop", {"rho": 0.8, "momentum": 0.5, "centered": True, "epsilon": 1e-5}),
    ("Adagrad", {}),
    ("Adagrad", {"initial_accumulator_value": 0.3, "epsilon": 1e-4}),
    ("Adadelta", {}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.9}),
    ("Adamax", {}),
    ("Adamax", {"beta_1": 0.8, "beta_2": 0.95, "learning_rate": "piecewise"}),
    ("Nadam", {}),
    ("Nadam", {"beta_2": 0.99, "epsilon": 1e-6}),
    ("Ftrl", {}),
    ("Ftrl", {"learning_rate_power": -0.3, "l1_regularization_strength": 0.1, "beta": 0.2}),
]


@pytest.mark.parametrize("name, kwargs", CONFIG_CASES, ids=[case_id(c) for c in CONFIG_CASES])
def test_get_config_matches_keras(name, kwargs):
    kwargs = dict(kwargs, name="opt")
    make_keras, make_layerwise = factories(name, kwargs)
    k_config, l_config = make_keras().get_config(), make_layerwise().get_config()
    assert list(l_config) == list(k_config)
    assert l_config == k_config


@pytest.mark.parametrize("name, kwargs", CONFIG_CASES, ids=[case_id(c) for c in CONFIG_CASES])
def test_configs_load_in_the_other_library(name, kwargs):
    kwargs = dict(kwargs, name="opt")
    make_keras, make_layerwise = factories(name, kwargs)
    k_serialized = keras.optimizers.serialize(make_keras())
    l_serialized = optimizers.serialize(make_layerwise())
    # Keras reads layerwise's config, and layerwise reads the one Keras (torch backend) writes.
    from_layerwise = keras.optimizers.deserialize(copy.deepcopy(l_serialized))
    from_keras = optimizers.deserialize(copy.deepcopy(k_serialized))
    assert type(from_layerwise).__name__ == name
    assert type(from_keras).__name__ == name
    assert from_layerwise.get_config() == k_serialized["config"]
    assert from_keras.get_config() == l_serialized["config"]
    assert l_serialized["class_name"] == k_serialized["class_name"]


def test_same_names_and_defaults_as_keras():
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl"):
        k_opt, l_opt = getattr(keras.optimizers, name)(), getattr(optimizers, name)()
        k_config, l_config = k_opt.get_config(), l_opt.get_config()
        k_config.pop("name"), l_config.pop("name")
        assert l_config == k_config, name
        assert keras.optimizers.get(name.lower()).get_config().keys() == optimizers.get(name.lower()).get_config().keys()


def test_state_variables_in_keras_order_for_saving():
    weights = initial_weights()
    for name, kwargs in [("Adam", {"amsgrad": True, "use_ema": True, "gradient_accumulation_steps": 2}),
                         ("RMSprop", {"momentum": 0.5, "centered": True}),
                         ("Nadam", {}), ("Ftrl", {}), ("SGD", {"momentum": 0.9})]:
        k_opt = getattr(keras.optimizers, name)(name="opt", **kwargs)
        l_opt = getattr(optimizers, name)(name="opt", **kwargs)
        k_opt.build(keras_variables(weights))
        l_opt.build(layerwise_variables(weights))
        k_paths = [v.path for v in k_opt.variables]
        l_paths = [v.path for v in l_opt.variables]
        assert len(l_paths) == len(k_paths), name
        # Same names except for the weight part (Keras variables made outside a layer have no layer
        # in their path) and Nadam's unnamed Keras scalar.
        for k, l, kv, lv in zip(k_paths, l_paths, k_opt.variables, l_opt.variables):
            assert tuple(lv.shape) == tuple(kv.shape), (name, k, l)
            assert l.replace("layer_", "") == k or k.startswith("variable"), (name, k, l)


ADAM_CASES = [c for c in CASES if c[0] in ("Adam", "AdamW")]


@pytest.mark.parametrize("name, kwargs", ADAM_CASES, ids=[case_id(c) for c in ADAM_CASES])
def test_adam_foreach_path_matches_keras(name, kwargs):
    """The same cases with torch's fused Adam kernel turned off (the path used when it does not apply)."""
    make_keras, make_fused = factories(name, kwargs)

    def make_layerwise():
        optimizer = make_fused()
        optimizer._use_fused = False
        return optimizer

    k_traj, l_traj, (k_opt, _), (l_opt, _) = run_both(make_keras, make_layerwise)
    assert_trajectories_match(k_traj, l_traj)
    assert_state_matches(k_opt, l_opt)
    assert l_opt._groups[None].extra == {}  # the fused kernel was never set up


def test_adam_uses_the_fused_kernel_where_it_applies():
    make_keras, make_layerwise = factories("Adam", {"learning_rate": 0.01})
    _, _, _, (l_opt, _) = run_both(make_keras, make_layerwise, steps=2)
    assert l_opt._groups[None].extra["fused"] is not None


def test_constructor_signatures_and_defaults_match_keras():
    import inspect

    from keras.src.optimizers.base_optimizer import BaseOptimizer

    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl", "Optimizer"):
        ours = inspect.signature(getattr(optimizers, name)).parameters
        # keras.optimizers.Optimizer's own signature is (*args, **kwargs) (a backend __new__); its base has the real one.
        keras_class = BaseOptimizer if name == "Optimizer" else getattr(keras.optimizers, name)
        theirs = {k: v for k, v in inspect.signature(keras_class.__init__).parameters.items() if k != "self"}
        assert list(ours) == list(theirs), name
        assert [p.default for p in ours.values()] == [p.default for p in theirs.values()], name
