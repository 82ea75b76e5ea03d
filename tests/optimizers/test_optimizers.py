"""Unit tests for layerwise.optimizers: behaviour, errors, state, configs."""

import copy
import math
import pickle
import warnings

import numpy as np
import pytest
import torch

import layerwise
from layerwise import constraints, optimizers, saving
from layerwise.optimizers import schedules

ALL_NAMES = ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl"]


def variable(values, name="kernel", path=None, constraint=None, dtype=torch.float32):
    v = layerwise.Variable(torch.tensor(values, dtype=dtype))
    v._set_keras_attributes(name, path or f"layer/{name}", True, constraint=constraint)
    return v


def values(v):
    return v.detach().numpy().copy()


# ---------------------------------------------------------------------- minimising


QUADRATIC_SETTINGS = {
    "SGD": {"learning_rate": 0.1},
    "RMSprop": {"learning_rate": 0.05},
    "Adam": {"learning_rate": 0.1},
    "AdamW": {"learning_rate": 0.1, "weight_decay": 0.001},
    "Adagrad": {"learning_rate": 0.5},
    "Adadelta": {"learning_rate": 1.0, "epsilon": 1e-3},
    "Adamax": {"learning_rate": 0.1},
    "Nadam": {"learning_rate": 0.1},
    "Ftrl": {"learning_rate": 0.5},
}


@pytest.mark.parametrize("name", ALL_NAMES)
def test_each_optimizer_minimises_a_quadratic(name):
    target = torch.tensor([[1.0, -2.0], [0.5, 3.0]])
    w = variable(np.zeros((2, 2), "float32"))
    b = variable(np.zeros(2, "float32"), name="bias")
    optimizer = getattr(optimizers, name)(**QUADRATIC_SETTINGS[name])

    def loss():
        return ((w - target) ** 2).sum() + ((b - 1.0) ** 2).sum()

    initial = loss().item()
    for _ in range(200):
        w.grad = b.grad = None
        value = loss()
        value.backward()
        optimizer.apply([w.grad, b.grad], [w, b])
    assert loss().item() < 0.05 * initial
    assert int(optimizer.iterations) == 200


@pytest.mark.parametrize("name", ALL_NAMES)
def test_trains_a_dense_layer_from_autograd_gradients(name):
    layerwise.utils.set_random_seed(1)
    layer = layerwise.layers.Dense(1)
    layer.build((None, 3))
    x = torch.randn(64, 3)
    y = x @ torch.tensor([[1.0], [-1.0], [2.0]]) + 0.5
    optimizer = getattr(optimizers, name)(**QUADRATIC_SETTINGS[name])
    weights = layer.trainable_weights

    def loss():
        return ((layer(x) - y) ** 2).mean()

    before = loss().item()
    for _ in range(100):
        for w in weights:
            w.grad = None
        value = loss()
        value.backward()
        optimizer.apply([w.grad for w in weights], weights)
    assert loss().item() < 0.5 * before


def test_sgd_formulas_by_hand():
    w = variable([1.0, 2.0])
    optimizer = optimizers.SGD(learning_rate=0.5, momentum=0.9)
    optimizer.apply([torch.tensor([1.0, 1.0])], [w])
    # velocity = -0.5; w = w + velocity
    np.testing.assert_allclose(values(w), [0.5, 1.5])
    optimizer.apply([torch.tensor([1.0, 1.0])], [w])
    # velocity = 0.9 * -0.5 - 0.5 = -0.95
    np.testing.assert_allclose(values(w), [-0.45, 0.55], rtol=1e-6)

    w = variable([1.0])
    nesterov = optimizers.SGD(learning_rate=0.5, momentum=0.9, nesterov=True)
    nesterov.apply([torch.tensor([1.0])], [w])
    # velocity = -0.5; w = w + 0.9 * velocity - 0.5 * g = 1 - 0.45 - 0.5
    np.testing.assert_allclose(values(w), [0.05], rtol=1e-6)


def test_adam_first_step_and_epsilon_placement():
    w = variable([1.0, 1.0])
    optimizer = optimizers.Adam(learning_rate=0.1, epsilon=0.1)
    optimizer.apply([torch.tensor([0.5, 0.0])], [w])
    # m = 0.05, v = 0.00025; alpha = 0.1 * sqrt(0.001) / 0.1; step = alpha * m / (sqrt(v) + eps)
    alpha = 0.1 * math.sqrt(1 - 0.999) / (1 - 0.9)
    expected = 1.0 - alpha * 0.05 / (math.sqrt(0.00025) + 0.1)
    np.testing.assert_allclose(values(w), [expected, 1.0], rtol=1e-5)


def test_rmsprop_epsilon_inside_the_square_root():
    w = variable([10.0])
    optimizer = optimizers.RMSprop(learning_rate=0.1, epsilon=0.5)
    optimizer.apply([torch.tensor([1.0])], [w])
    np.testing.assert_allclose(values(w), [10.0 - 0.1 / math.sqrt(0.1 + 0.5)], rtol=1e-6)


def test_fused_and_foreach_adam_paths_agree():
    rng = np.random.default_rng(0)
    start = [rng.normal(size=s).astype("float32") for s in [(4, 3), (3,)]]
    a = [variable(w, name=f"w{i}") for i, w in enumerate(start)]
    b = [variable(w, name=f"w{i}") for i, w in enumerate(start)]
    fused = optimizers.Adam(learning_rate=0.05, amsgrad=True)
    plain = optimizers.Adam(learning_rate=0.05, amsgrad=True)
    plain._use_fused = False
    for step in range(15):
        grads = [torch.tensor(np.random.default_rng(step).normal(size=w.shape).astype("float32")) for w in start]
        fused.apply([g.clone() for g in grads], a)
        plain.apply([g.clone() for g in grads], b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(values(x), values(y), rtol=1e-5, atol=1e-6)
    for x, y in zip(fused.variables, plain.variables):
        np.testing.assert_allclose(x.detach().numpy(), y.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_adam_non_contiguous_gradients_take_the_general_path():
    w1, w2 = variable(np.ones((3, 2), "float32")), variable(np.ones((3, 2), "float32"))
    o1, o2 = optimizers.Adam(learning_rate=0.1), optimizers.Adam(learning_rate=0.1)
    grad = torch.arange(6.0).reshape(2, 3).t()  # transposed: not contiguous
    assert not grad.is_contiguous()
    o1.apply([grad], [w1])
    o2.apply([grad.contiguous()], [w2])
    np.testing.assert_array_equal(values(w1), values(w2))
    expanded = torch.ones(1, 2).expand(3, 2)
    o1.apply([expanded], [w1])
    o2.apply([expanded.contiguous()], [w2])
    np.testing.assert_allclose(values(w1), values(w2), rtol=1e-6)


# ---------------------------------------------------------------------- learning rate


def test_learning_rate_is_readable_and_settable_during_training():
    w = variable([1.0])
    optimizer = optimizers.SGD(learning_rate=0.1)
    assert float(optimizer.learning_rate) == pytest.approx(0.1)
    optimizer.apply([torch.tensor([1.0])], [w])
    np.testing.assert_allclose(values(w), [0.9], rtol=1e-6)

    optimizer.learning_rate = 0.0
    optimizer.apply([torch.tensor([1.0])], [w])
    np.testing.assert_allclose(values(w), [0.9], rtol=1e-6)

    optimizer.learning_rate.assign(0.5)  # Keras's variable API writes through
    assert optimizer.get_config()["learning_rate"] == 0.5
    optimizer.apply([torch.tensor([1.0])], [w])
    np.testing.assert_allclose(values(w), [0.4], rtol=1e-6)

    optimizer.lr = 0.25  # Keras 2's attribute name
    assert float(optimizer.lr) == 0.25
    optimizer.apply([torch.tensor([1.0])], [w])
    np.testing.assert_allclose(values(w), [0.15], rtol=1e-5)
    assert optimizer.learning_rate.numpy() == np.float32(0.25)
    assert round(optimizer.learning_rate, 3) == 0.25 and round(optimizer.iterations) == 4
    assert f"{optimizer.learning_rate:.2f}" == "0.25"


def test_learning_rate_is_float32_like_keras_and_in_variables():
    optimizer = optimizers.Adam(learning_rate=0.001)
    assert optimizer.get_config()["learning_rate"] == float(np.float32(0.001))
    paths = [v.path for v in optimizer.variables]
    assert paths == ["adam/iteration", "adam/learning_rate"]
    assert "value=0.0010000000474974513" in repr(optimizer.learning_rate)


def test_learning_rate_errors():
    optimizer = optimizers.SGD()
    with pytest.raises(ValueError, match=r"SGD: argument `learning_rate` must be a finite number >= 0.*"
                                         r"got learning_rate=-0\.1"):
        optimizer.learning_rate = -0.1
    with pytest.raises(ValueError, match="got learning_rate=-1"):
        optimizer.learning_rate.assign(-1.0)
    assert float(optimizer.learning_rate) == pytest.approx(0.01)  # unchanged
    with pytest.raises(ValueError, match="got learning_rate='fast'"):
        optimizers.Adam(learning_rate="fast")
    scheduled = optimizers.SGD(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match="learning rate is not settable"):
        scheduled.learning_rate = 0.1


def test_schedule_as_learning_rate_advances_with_iterations():
    schedule = schedules.PiecewiseConstantDecay(boundaries=[1, 3], values=[1.0, 0.1, 0.0])
    optimizer = optimizers.SGD(learning_rate=schedule)
    assert [v.path for v in optimizer.variables] == ["sgd/iteration"]  # no learning rate variable
    w = variable([0.0])
    seen = []
    for _ in range(6):
        seen.append(float(optimizer.learning_rate))
        before = values(w)[0]
        optimizer.apply([torch.tensor([-1.0])], [w])
        assert values(w)[0] - before == pytest.approx(seen[-1], rel=1e-6)
    # Evaluated at iterations 0, 1, 2, ...: step <= 1 -> 1.0, 1 < step <= 3 -> 0.1, then 0.0.
    assert seen == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.0, 0.0])


def test_callable_and_schedule_set_after_construction():
    w = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=0.1)
    optimizer.learning_rate = lambda: 2.0
    assert [v.path for v in optimizer.variables] == ["sgd/iteration"]
    optimizer.apply([torch.tensor([-1.0])], [w])
    np.testing.assert_allclose(values(w), [2.0])
    optimizer.learning_rate = schedules.InverseTimeDecay(1.0, decay_steps=1, decay_rate=1.0)
    optimizer.apply([torch.tensor([-1.0])], [w])  # at iteration 1: 1 / (1 + 1)
    np.testing.assert_allclose(values(w), [2.5])


def test_custom_schedule_returning_a_tensor():
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return torch.tensor(1.0) / (2 ** step)

    w = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=Halving())
    for _ in range(3):
        optimizer.apply([torch.tensor([-1.0])], [w])
    np.testing.assert_allclose(values(w), [1.75])


# ---------------------------------------------------------------------- clipping


def test_clipnorm_clips_each_gradient_to_the_norm():
    a, b = variable([0.0, 0.0]), variable([0.0], name="bias")
    optimizer = optimizers.SGD(learning_rate=1.0, clipnorm=1.0)
    grads = [torch.tensor([3.0, 4.0]), torch.tensor([0.5])]
    optimizer.apply(grads, [a, b])
    np.testing.assert_allclose(values(a), [-0.6, -0.8], rtol=1e-6)  # norm 5 -> 1
    np.testing.assert_allclose(values(b), [-0.5], rtol=1e-6)         # norm 0.5 <= 1: unchanged
    np.testing.assert_array_equal(grads[0].numpy(), [3.0, 4.0])      # the caller's gradients untouched


def test_global_clipnorm_clips_all_gradients_together():
    a, b = variable([0.0, 0.0]), variable([0.0], name="bias")
    optimizer = optimizers.SGD(learning_rate=1.0, global_clipnorm=2.5)
    optimizer.apply([torch.tensor([3.0, 0.0]), torch.tensor([4.0])], [a, b])  # global norm 5 -> 2.5
    np.testing.assert_allclose(values(a), [-1.5, 0.0], rtol=1e-6)
    np.testing.assert_allclose(values(b), [-2.0], rtol=1e-6)
    c = variable([0.0])
    small = optimizers.SGD(learning_rate=1.0, global_clipnorm=10.0)
    small.apply([torch.tensor([3.0])], [c])
    np.testing.assert_allclose(values(c), [-3.0], rtol=1e-6)


def test_clipvalue_clips_elementwise():
    a = variable([0.0, 0.0, 0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, clipvalue=0.5)
    optimizer.apply([torch.tensor([2.0, -3.0, 0.25])], [a])
    np.testing.assert_allclose(values(a), [-0.5, 0.5, -0.25])


def test_clipping_is_read_at_each_step():
    a = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=1.0)
    optimizer.apply([torch.tensor([4.0])], [a])
    optimizer.clipvalue = 1.0  # public attributes, as in Keras
    optimizer.apply([torch.tensor([4.0])], [a])
    np.testing.assert_allclose(values(a), [-5.0])


def test_only_one_clipping_argument():
    with pytest.raises(ValueError, match=r"only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set; "
                                         r"got clipnorm=1\.0, clipvalue=None, global_clipnorm=2\.0"):
        optimizers.Adam(clipnorm=1.0, global_clipnorm=2.0)
    with pytest.raises(ValueError, match="only one of"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match=r"argument `clipnorm` must be a finite number >= 0 \(or None\); "
                                         r"got clipnorm=-1"):
        optimizers.SGD(clipnorm=-1)


# ---------------------------------------------------------------------- weight decay and constraints


def test_weight_decay_is_decoupled_and_applied_before_the_update():
    w = variable([2.0, -4.0])
    optimizer = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    optimizer.apply([torch.tensor([1.0, 1.0])], [w])
    # w * (1 - 0.5 * 0.1) - 0.1 * g
    np.testing.assert_allclose(values(w), [2.0 * 0.95 - 0.1, -4.0 * 0.95 - 0.1], rtol=1e-6)


def test_exclude_from_weight_decay_by_name_and_by_variable():
    kernel = variable([1.0], name="kernel", path="dense/kernel")
    bias = variable([1.0], name="bias", path="dense/bias")
    gamma = variable([1.0], name="gamma", path="bn/gamma")
    optimizer = optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    optimizer.exclude_from_weight_decay(var_list=[gamma], var_names=["bias"])
    zero = [torch.zeros(1)] * 3
    optimizer.apply(zero, [kernel, bias, gamma])
    np.testing.assert_allclose(values(kernel), [0.95], rtol=1e-6)
    np.testing.assert_allclose(values(bias), [1.0])
    np.testing.assert_allclose(values(gamma), [1.0])
    # A later call replaces the exclusions (Keras's behaviour), even after building.
    optimizer.exclude_from_weight_decay(var_names=["gam"])
    optimizer.apply(zero, [kernel, bias, gamma])
    np.testing.assert_allclose(values(bias), [0.95], rtol=1e-6)
    np.testing.assert_allclose(values(gamma), [1.0])


def test_adamw_requires_weight_decay():
    assert optimizers.AdamW().weight_decay == 0.004
    with pytest.raises(ValueError, match=r"AdamW: argument `weight_decay` must be a number >= 0.*"
                                         r"got weight_decay=None"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match=r"got weight_decay=-0\.1"):
        optimizers.AdamW(weight_decay=-0.1)


def test_constraints_are_applied_after_the_step():
    w = variable([0.5, 2.0], constraint=constraints.NonNeg())
    free = variable([0.5, 2.0], name="free")
    optimizer = optimizers.SGD(learning_rate=1.0)
    optimizer.apply([torch.tensor([1.0, 1.0]), torch.tensor([1.0, 1.0])], [w, free])
    np.testing.assert_allclose(values(w), [0.0, 1.0])
    np.testing.assert_allclose(values(free), [-0.5, 1.0])

    layer = layerwise.layers.Dense(2, kernel_constraint=constraints.MaxNorm(1.0))
    layer.build((None, 3))
    weights = layer.trainable_weights
    optimizer = optimizers.SGD(learning_rate=10.0)
    optimizer.apply([torch.ones(3, 2), torch.ones(2)], weights)
    norms = torch.linalg.vector_norm(layer.kernel.detach(), dim=0)
    assert (norms <= 1.0 + 1e-6).all()


# ---------------------------------------------------------------------- None gradients


def test_none_gradients_are_skipped_with_a_warning():
    a, b = variable([1.0], name="a", path="l/a"), variable([1.0], name="b", path="l/b")
    optimizer = optimizers.Adam(learning_rate=0.1, weight_decay=0.5)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['l/b'\]"):
        optimizer.apply([torch.tensor([1.0]), None], [a, b])
    np.testing.assert_allclose(values(b), [1.0])  # neither updated nor decayed
    assert values(a)[0] < 1.0
    m = optimizer.variables[2:]
    assert [v.path for v in m][:2] == ["adam/l_a_momentum", "adam/l_a_velocity"]
    np.testing.assert_array_equal(m[2].detach().numpy(), [0.0])  # b's momentum untouched
    assert int(optimizer.iterations) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.apply([torch.tensor([1.0]), torch.tensor([1.0])], [a, b])
    assert values(b)[0] < 1.0


def test_all_gradients_none_is_an_error():
    a = variable([1.0])
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        optimizers.SGD().apply([None], [a])


def test_numpy_gradients_are_accepted():
    a = variable([1.0, 2.0])
    optimizers.SGD(learning_rate=1.0).apply([np.array([1.0, 1.0])], [a])
    np.testing.assert_allclose(values(a), [0.0, 1.0])


# ---------------------------------------------------------------------- apply / build


def test_apply_without_variables_after_build_and_apply_gradients():
    a, b = variable([1.0]), variable([2.0], name="bias")
    optimizer = optimizers.SGD(learning_rate=1.0)
    with pytest.raises(ValueError, match="must already be built"):
        optimizer.apply([torch.ones(1)])
    optimizer.build([a, b])
    optimizer.apply([torch.ones(1), torch.ones(1)])
    np.testing.assert_allclose([values(a)[0], values(b)[0]], [0.0, 1.0])
    iterations = optimizer.apply_gradients(zip([torch.ones(1), torch.ones(1)], [a, b]))
    assert int(iterations) == 2
    with pytest.raises(ValueError, match="one gradient per variable"):
        optimizer.apply([torch.ones(1)])


def test_variables_may_be_any_iterable():
    a, b = variable([1.0]), variable([2.0], name="bias")
    optimizer = optimizers.SGD(learning_rate=1.0)
    optimizer.apply((g for g in [torch.ones(1), torch.ones(1)]), (v for v in [a, b]))
    optimizer.apply((torch.ones(1), torch.ones(1)), (a, b))
    np.testing.assert_allclose([values(a)[0], values(b)[0]], [-1.0, 0.0])


def test_apply_to_a_subset_of_the_built_variables():
    a, b = variable([1.0]), variable([2.0], name="bias")
    optimizer = optimizers.SGD(learning_rate=1.0, momentum=0.5)
    optimizer.build([a, b])
    optimizer.apply([torch.ones(1)], [b])
    np.testing.assert_allclose([values(a)[0], values(b)[0]], [1.0, 1.0])
    optimizer.apply([torch.ones(1), torch.ones(1)], [b, a])  # another order
    np.testing.assert_allclose([values(a)[0], values(b)[0]], [0.0, -0.5])
    with pytest.raises(ValueError, match="Unknown variable"):
        optimizer.apply([torch.ones(1)], [variable([0.0])])


def test_gradient_shape_dtype_and_count_errors():
    a = variable([[1.0, 2.0]], path="dense/kernel")
    optimizer = optimizers.Adam()
    with pytest.raises(ValueError, match=r"gradient for variable 'dense/kernel' has shape \(2,\), but the "
                                         r"variable has shape \(1, 2\)"):
        optimizer.apply([torch.ones(2)], [a])
    with pytest.raises(ValueError, match="torch.float64 tensor"):
        optimizers.Adam().apply([torch.ones(1, 2, dtype=torch.float64)], [variable([[1.0, 2.0]])])
    with pytest.raises(ValueError, match="got 2 gradients for 1 variables"):
        optimizers.SGD().apply([torch.ones(1, 2), torch.ones(1)], [variable([[1.0, 2.0]])])
    with pytest.raises(ValueError, match="appears twice"):
        optimizers.SGD().build([a, a])
    with pytest.raises(ValueError, match="floating-point torch tensors"):
        optimizers.SGD().build([torch.zeros(2, dtype=torch.int64)])


def test_state_is_created_like_the_reference_weight():
    w64 = variable(np.ones((2, 3)), dtype=torch.float64, path="dense/kernel")
    optimizer = optimizers.Adam(learning_rate=0.1)
    optimizer.apply([torch.ones(2, 3, dtype=torch.float64)], [w64])
    state = optimizer.variables[2:]
    assert [v.path for v in state] == ["adam/dense_kernel_momentum", "adam/dense_kernel_velocity"]
    assert all(v.dtype == torch.float64 and v.shape == (2, 3) and not v.requires_grad for v in state)
    np.testing.assert_allclose(values(w64), np.full((2, 3), 0.9), rtol=1e-6)


def test_plain_torch_parameters_work():
    module = torch.nn.Linear(3, 1)
    params = list(module.parameters())
    optimizer = optimizers.RMSprop(learning_rate=0.01, momentum=0.5)
    x, y = torch.randn(16, 3), torch.randn(16, 1)
    for _ in range(3):
        module.zero_grad()
        torch.nn.functional.mse_loss(module(x), y).backward()
        optimizer.apply([p.grad for p in params], params)
    assert int(optimizer.iterations) == 3
    assert [v.name for v in optimizer.variables[2:4]] == ["variable_velocity", "variable_velocity"]


def test_iterations_variable_and_state_order():
    a = variable([1.0], path="dense/kernel")
    optimizer = optimizers.RMSprop(momentum=0.5, centered=True)
    held = optimizer.iterations
    for _ in range(3):
        optimizer.apply([torch.ones(1)], [a])
    assert int(held) == 3 and held.numpy() == 3 and held.dtype == torch.int32
    assert [v.path for v in optimizer.variables] == [
        "rm_sprop/iteration", "rm_sprop/learning_rate", "rm_sprop/dense_kernel_velocity",
        "rm_sprop/dense_kernel_momentum", "rm_sprop/dense_kernel_average_gradient",
    ]
    optimizer.iterations.assign(10)  # write-through, as Keras's variable
    optimizer.apply([torch.ones(1)], [a])
    assert int(optimizer.iterations) == 11


@pytest.mark.parametrize("name", ALL_NAMES)
def test_set_weights_and_save_load_restore_the_state(name):
    rng = np.random.default_rng(0)
    start = [rng.normal(size=s).astype("float32") for s in [(3, 2), (2,)]]
    grads = [[torch.tensor(rng.normal(size=s).astype("float32")) for s in [(3, 2), (2,)]] for _ in range(8)]
    a = [variable(w, name=f"w{i}") for i, w in enumerate(start)]
    first = getattr(optimizers, name)(learning_rate=0.05)
    for g in grads[:4]:
        first.apply(g, a)
    store = {}
    first.save_own_variables(store)
    assert sorted(store, key=int) == [str(i) for i in range(len(first.variables))]

    b = [variable(values(w), name=f"w{i}") for i, w in enumerate(a)]
    second = getattr(optimizers, name)(learning_rate=0.05)
    second.build(b)
    second.load_own_variables(store)
    third = getattr(optimizers, name)(learning_rate=0.05)
    c = [variable(values(w), name=f"w{i}") for i, w in enumerate(a)]
    third.build(c)
    third.set_weights([v.detach().numpy() for v in first.variables])
    for g in grads[4:]:
        first.apply(g, a)
        second.apply(g, b)
        third.apply(g, c)
    for x, y, z in zip(a, b, c):
        np.testing.assert_array_equal(values(x), values(y))
        np.testing.assert_array_equal(values(x), values(z))
    assert int(second.iterations) == 8


def test_load_with_a_different_number_of_variables_warns_and_skips():
    optimizer = optimizers.Adam()
    optimizer.build([variable([1.0])])
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer 'adam'"):
        optimizer.load_own_variables({"0": np.array(3)})
    assert int(optimizer.iterations) == 0
    with pytest.raises(ValueError, match="not yet been built"):
        optimizers.Adam().set_weights([])


def test_deepcopy_and_pickle_keep_the_state():
    a = variable([1.0, 2.0])
    optimizer = optimizers.Adam(learning_rate=0.1)
    optimizer.apply([torch.ones(2)], [a])
    for clone in (copy.deepcopy(optimizer), pickle.loads(pickle.dumps(optimizer))):
        assert int(clone.iterations) == 1
        clone.learning_rate.assign(0.5)
        assert clone.get_config()["learning_rate"] == 0.5
        assert optimizer.get_config()["learning_rate"] == pytest.approx(0.1)


def test_custom_optimizer_with_update_step():
    class SignSGD(optimizers.Optimizer):
        def __init__(self, learning_rate=0.1, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)

        def build(self, variables):
            if self.built:
                return
            super().build(variables)
            self.counts = self.add_optimizer_variables(variables, "count")

        def update_step(self, gradient, variable, learning_rate):
            self.assign_add(self.counts[self._get_variable_index(variable)], torch.ones_like(gradient))
            self.assign_sub(variable, learning_rate * torch.sign(gradient))

    a = variable([1.0, 1.0], path="l/w")
    optimizer = SignSGD(weight_decay=0.5)
    optimizer.apply([torch.tensor([3.0, -0.1])], [a])
    np.testing.assert_allclose(values(a), [0.95 - 0.1, 0.95 + 0.1], rtol=1e-6)
    assert [v.path for v in optimizer.variables] == ["sign_sgd/iteration", "sign_sgd/learning_rate", "sign_sgd/l_w_count"]
    np.testing.assert_array_equal(optimizer.counts[0].detach().numpy(), [1.0, 1.0])
    with pytest.raises(NotImplementedError, match="must implement update_step"):
        optimizers.Optimizer(learning_rate=0.1).apply([torch.ones(2)], [variable([1.0, 2.0])])


# ---------------------------------------------------------------------- EMA, accumulation, loss scale


def test_ema_maintains_averages_and_finalize_swaps_them_in():
    w = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    expected_average = None
    for step in range(4):
        optimizer.apply([torch.tensor([-1.0])], [w])
        current = values(w)[0]
        expected_average = current if step == 0 else 0.5 * expected_average + 0.5 * current
    average = optimizer.variables[2]
    assert average.path == "sgd/layer_kernel_average"
    np.testing.assert_allclose(average.detach().numpy(), [expected_average])
    np.testing.assert_allclose(values(w), [4.0])
    optimizer.finalize_variable_values([w])
    np.testing.assert_allclose(values(w), [expected_average])
    with pytest.raises(ValueError, match="does not match"):
        optimizer.finalize_variable_values([w, w])


def test_ema_overwrite_frequency():
    w = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    optimizer.apply([torch.tensor([-1.0])], [w])   # w=1, average=1
    optimizer.apply([torch.tensor([-1.0])], [w])   # w=2, average=1.5, then w <- 1.5
    np.testing.assert_allclose(values(w), [1.5])


def test_finalize_without_ema_does_nothing():
    w = variable([3.0])
    optimizers.Adam().finalize_variable_values([w])
    np.testing.assert_allclose(values(w), [3.0])


def test_gradient_accumulation_updates_every_n_steps_with_the_mean():
    w = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=3)
    for g in (1.0, 2.0):
        optimizer.apply([torch.tensor([g])], [w])
        np.testing.assert_allclose(values(w), [0.0])
    optimizer.apply([torch.tensor([6.0])], [w])
    np.testing.assert_allclose(values(w), [-3.0])  # mean of 1, 2, 6
    assert int(optimizer.iterations) == 1
    assert optimizer._iteration_count == 3
    optimizer.apply([torch.tensor([3.0])], [w])
    np.testing.assert_allclose(values(w), [-3.0])
    with pytest.raises(ValueError, match=r"`gradient_accumulation_steps` must be an integer >= 2 or None; "
                                         r"got gradient_accumulation_steps=1"):
        optimizers.SGD(gradient_accumulation_steps=1)


def test_loss_scale_factor():
    w = variable([0.0])
    optimizer = optimizers.SGD(learning_rate=1.0, loss_scale_factor=4.0)
    assert optimizer.scale_loss(torch.tensor(2.0)).item() == 8.0
    grad = torch.tensor([8.0])
    optimizer.apply([grad], [w])
    np.testing.assert_allclose(values(w), [-2.0])
    assert grad.item() == 8.0
    assert optimizers.SGD().scale_loss(3.0) == 3.0


# ---------------------------------------------------------------------- sync-free hot path


@pytest.mark.parametrize("name", ALL_NAMES)
def test_a_step_never_reads_a_tensor_back_to_the_host(name, monkeypatch):
    schedule = schedules.CosineDecay(0.1, decay_steps=10, warmup_target=0.2, warmup_steps=2)
    extra = {} if name in ("AdamW",) else {"weight_decay": 0.01}
    optimizer = getattr(optimizers, name)(learning_rate=schedule, global_clipnorm=1.0, use_ema=True,
                                          ema_overwrite_frequency=3, **extra)
    layer = layerwise.layers.Dense(2, kernel_constraint="non_neg")
    layer.build((None, 3))
    weights = layer.trainable_weights
    grads = [torch.ones(3, 2), torch.ones(2)]
    optimizer.apply(grads, weights)  # builds

    def forbidden(*args, **kwargs):
        raise AssertionError("host synchronisation in the optimizer step")

    for method in ("item", "__float__", "__int__", "__bool__", "tolist", "numpy", "__index__"):
        monkeypatch.setattr(torch.Tensor, method, forbidden)
    with pytest.raises(AssertionError, match="host synchronisation"):
        float(torch.ones(()))  # the trap works
    for _ in range(5):
        optimizer.apply(grads, weights)
    monkeypatch.undo()
    assert int(optimizer.iterations) == 6


# ---------------------------------------------------------------------- arguments


@pytest.mark.parametrize("name, kwargs, message", [
    ("SGD", {"momentum": 1.5}, r"SGD: argument `momentum` must be a number in \[0, 1\]; got momentum=1\.5"),
    ("SGD", {"momentum": -0.1}, r"got momentum=-0\.1"),
    ("RMSprop", {"momentum": 2}, r"RMSprop: argument `momentum` must be a number in \[0, 1\]; got momentum=2"),
    ("RMSprop", {"rho": 1.1}, r"RMSprop: argument `rho` must be a number in \[0, 1\]; got rho=1\.1"),
    ("Adam", {"beta_1": 1.0}, r"Adam: argument `beta_1` must be a number in \[0, 1\); got beta_1=1\.0"),
    ("Adam", {"beta_2": -0.5}, r"Adam: argument `beta_2` must be a number in \[0, 1\); got beta_2=-0\.5"),
    ("AdamW", {"beta_1": 1.2}, r"AdamW: argument `beta_1` must be a number in \[0, 1\); got beta_1=1\.2"),
    ("Nadam", {"beta_2": 1.0}, r"Nadam: argument `beta_2` must be a number in \[0, 1\); got beta_2=1\.0"),
    ("Adamax", {"beta_1": 7}, r"Adamax: argument `beta_1` must be a number in \[0, 1\); got beta_1=7"),
    ("Adam", {"epsilon": -1e-7}, r"Adam: argument `epsilon` must be a finite number >= 0; got epsilon=-1e-07"),
    ("Adagrad", {"initial_accumulator_value": -1.0}, r"got initial_accumulator_value=-1\.0"),
    ("Adadelta", {"rho": "high"}, r"Adadelta: argument `rho` must be a number in \[0, 1\]; got rho='high'"),
    ("Ftrl", {"learning_rate_power": 0.5}, r"`learning_rate_power` must be a finite number <= 0; got learning_rate_power=0\.5"),
    ("Ftrl", {"l1_regularization_strength": -1.0}, r"got l1_regularization_strength=-1\.0"),
    ("SGD", {"learning_rate": -0.01}, (r"SGD: argument `learning_rate` must be a finite number >= 0, a "
                                       r"keras\.optimizers\.schedules\.LearningRateSchedule, or a callable "
                                       r"returning the learning rate; got learning_rate=-0\.01")),
    ("Adam", {"learning_rate": float("nan")}, r"got learning_rate=nan"),
    ("Adam", {"ema_momentum": 1.5}, r"Adam: argument `ema_momentum` must be a number in \[0, 1\]; got ema_momentum=1\.5"),
    ("Adam", {"ema_overwrite_frequency": 0}, r"`ema_overwrite_frequency` must be an integer >= 1 or None; got ema_overwrite_frequency=0"),
    ("Adam", {"loss_scale_factor": 0}, r"`loss_scale_factor` must be a finite number > 0 \(or None\); got loss_scale_factor=0"),
    ("Adam", {"weight_decay": "lots"}, r"got weight_decay='lots'"),
    ("Adam", {"momentum": 0.9}, r"Adam: argument\(s\) not recognized: \{'momentum': 0\.9\}"),
    ("SGD", {"name": 3}, r"SGD: argument `name` must be a string or None; got name=3"),
])
def test_bad_arguments_raise_value_error_naming_them(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        getattr(optimizers, name)(**kwargs)


def test_numbers_of_any_type_are_accepted():
    optimizer = optimizers.SGD(learning_rate=1, momentum=np.float32(0.5))
    assert optimizer.momentum == 0.5
    assert type(optimizers.SGD(momentum=1).get_config()["momentum"]) is float  # Keras refuses an int
    assert optimizer.get_config()["learning_rate"] == 1.0
    assert optimizers.Adam(learning_rate=torch.tensor(0.5)).get_config()["learning_rate"] == 0.5


def test_legacy_lr_argument_warns_and_works():
    with pytest.warns(DeprecationWarning, match=r"the `lr` argument is deprecated; use `learning_rate`"):
        optimizer = optimizers.SGD(lr=0.5)
    assert optimizer.get_config()["learning_rate"] == 0.5
    with pytest.warns(DeprecationWarning, match="AdamW"):
        adamw = optimizers.AdamW(lr=0.25, weight_decay=0.0)
    assert float(adamw.learning_rate) == 0.25
    w = variable([1.0])
    optimizer.apply([torch.ones(1)], [w])
    np.testing.assert_allclose(values(w), [0.5])


@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adamax", "Nadam", "RMSprop", "Adagrad", "Adadelta"])
def test_keras2s_epsilon_none_means_the_backend_epsilon(name):
    # The course's optimizer appendix: Adam(lr=0.001, ..., epsilon=None, decay=0.0, amsgrad=False).
    with pytest.warns(DeprecationWarning, match=rf"^{name}: `epsilon=None` is Keras 2's way of asking for the "
                                                r"default; pass a number instead \(Keras 3 requires one\)\. "
                                                r"Using epsilon=1e-07 \(keras\.backend\.epsilon\(\)\)\.$"):
        optimizer = getattr(optimizers, name)(learning_rate=0.01, epsilon=None)
    assert optimizer.get_config()["epsilon"] == 1e-7
    w = variable([1.0, 2.0])
    optimizer.apply([torch.ones(2)], [w])  # the update runs with the number, not None
    assert np.all(np.isfinite(values(w))) and not np.allclose(values(w), [1.0, 2.0])


def test_legacy_decay_argument_warns_and_is_ignored_like_keras3():
    with pytest.warns(UserWarning, match=r"argument `decay` is no longer supported.*InverseTimeDecay"):
        optimizer = optimizers.SGD(learning_rate=0.1, decay=1e-6, momentum=0.9, nesterov=True)
    assert "decay" not in optimizer.get_config()


def test_legacy_lr_warning_points_at_the_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optimizers.Nadam(lr=0.1)
    assert caught[0].filename == __file__


# ---------------------------------------------------------------------- configs and lookup


@pytest.mark.parametrize("name", ALL_NAMES)
def test_get_config_from_config_round_trip(name):
    optimizer = getattr(optimizers, name)(learning_rate=0.05, clipnorm=2.0, use_ema=True, name="mine")
    config = optimizer.get_config()
    clone = type(optimizer).from_config(config)
    assert clone.get_config() == config
    assert clone.name == "mine"
    assert type(optimizers.deserialize(optimizers.serialize(optimizer))) is type(optimizer)


def test_config_round_trip_with_a_schedule():
    schedule = schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=10)
    optimizer = optimizers.Adam(learning_rate=schedule, amsgrad=True)
    config = optimizer.get_config()
    assert config["learning_rate"] == {
        "module": "keras.optimizers.schedules", "class_name": "CosineDecay",
        "config": schedule.get_config(), "registered_name": None,
    }
    clone = optimizers.Adam.from_config(config)
    assert isinstance(clone._lr_schedule, schedules.CosineDecay)
    assert clone.get_config() == config
    assert isinstance(config["learning_rate"], dict)  # from_config did not modify the caller's dict


def test_config_with_a_registered_custom_schedule():
    class Constant(schedules.LearningRateSchedule):
        def __init__(self, value):
            self.value = value

        def __call__(self, step):
            return self.value

        def get_config(self):
            return {"value": self.value}

    serialized = optimizers.serialize(optimizers.SGD(learning_rate=Constant(0.3)))
    assert serialized["config"]["learning_rate"]["class_name"] == "Constant"
    with pytest.raises(ValueError, match="Unknown learning rate schedule 'Constant'"):
        optimizers.deserialize(serialized)
    restored = optimizers.deserialize(serialized, custom_objects={"Constant": Constant})
    assert restored._lr_schedule.value == 0.3
    with saving.CustomObjectScope({"Constant": Constant}):
        assert optimizers.get(serialized)._lr_schedule.value == 0.3


def test_keras2_config_keys_are_tolerated():
    config = {"name": "Adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999,
              "epsilon": 1e-07, "amsgrad": False, "jit_compile": True, "is_legacy_optimizer": False}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # decay=0.0 loses nothing: no warning
        optimizer = optimizers.deserialize({"class_name": "Adam", "config": config})
    assert isinstance(optimizer, optimizers.Adam)
    assert optimizer.name == "Adam"
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        optimizers.deserialize({"class_name": "Adam", "config": dict(config, decay=1e-4)})


@pytest.mark.parametrize("identifier, cls", [
    ("adam", "Adam"), ("Adam", "Adam"), ("ADAM", "Adam"), ("sgd", "SGD"), ("SGD", "SGD"),
    ("rmsprop", "RMSprop"), ("RMSProp", "RMSprop"), ("adamw", "AdamW"), ("AdamW", "AdamW"),
    ("adagrad", "Adagrad"), ("adadelta", "Adadelta"), ("adamax", "Adamax"), ("nadam", "Nadam"),
    ("ftrl", "Ftrl"),
])
def test_get_by_name_is_case_insensitive_and_gives_fresh_defaults(identifier, cls):
    first, second = optimizers.get(identifier), optimizers.get(identifier)
    assert type(first).__name__ == cls
    assert first is not second
    assert first.get_config() | {"name": None} == getattr(optimizers, cls)().get_config() | {"name": None}


def test_get_other_identifiers():
    optimizer = optimizers.SGD()
    assert optimizers.get(optimizer) is optimizer
    assert optimizers.get(None) is None
    assert isinstance(optimizers.get(optimizers.Adamax), optimizers.Adamax)
    from_dict = optimizers.get({"class_name": "SGD", "config": {"momentum": 0.5}})
    assert from_dict.momentum == 0.5
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adamm'\. Known optimizers: adadelta, adagrad, adam, "
                                         r"adamax, adamw, ftrl, nadam, rmsprop, sgd"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match=r"Could not interpret optimizer identifier: 3\. Expected an optimizer name"):
        optimizers.get(3)
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1))
    with pytest.raises(ValueError, match="expected a dict with 'class_name'"):
        optimizers.deserialize("adam")


def test_serialize_shape():
    serialized = optimizers.serialize(optimizers.RMSprop(name="r"))
    assert serialized == {
        "module": "keras.optimizers", "class_name": "RMSprop",
        "config": optimizers.RMSprop(name="r").get_config(), "registered_name": None,
    }


def test_user_registered_optimizer_round_trips():
    @saving.register_serializable(package="Tests")
    class Halved(optimizers.SGD):
        def _update_group(self, group, grads, learning_rate):
            super()._update_group(group, grads, learning_rate / 2)

    serialized = optimizers.serialize(Halved(learning_rate=1.0))
    assert serialized["registered_name"] == "Tests>Halved"
    restored = optimizers.deserialize(serialized)
    assert type(restored) is Halved
    w = variable([0.0])
    restored.apply([torch.ones(1)], [w])
    np.testing.assert_allclose(values(w), [-0.5])


def test_names_are_unique_and_snake_case():
    assert [optimizers.Adam().name for _ in range(2)] == ["adam", "adam_1"]
    assert optimizers.RMSprop().name == "rm_sprop"
    assert optimizers.AdamW().name == "adam_w"
    assert "name=adam" in repr(optimizers.get("adam")) or "name=adam_2" in repr(optimizers.get("adam"))


def test_every_public_class_is_documented_with_args_and_example():
    for name in ALL_NAMES + ["Optimizer"]:
        doc = getattr(optimizers, name).__doc__
        assert "Args:" in doc and "Example:" in doc and "{base_args}" not in doc, name
    for name in ALL_NAMES:
        doc = getattr(optimizers, name).__doc__
        assert "torch.optim" in doc, name  # each states how it differs from torch.optim


@pytest.mark.parametrize("name", ["Adam", "SGD"])
def test_apply_inside_torch_compile_runs_eagerly_and_matches(name):
    """A compiled training step may call ``apply``: the update runs between graphs, with no recompiles."""
    from torch._dynamo.utils import counters

    torch._dynamo.reset()

    def make():
        layerwise.utils.set_random_seed(0)
        layer = layerwise.layers.Dense(3)
        layer.build((None, 2))
        return layer, getattr(optimizers, name)(learning_rate=0.05)

    x, y = torch.randn(8, 2), torch.randn(8, 3)

    def run(layer, optimizer, compiled):
        params = layer.trainable_weights
        optimizer.build(params)

        def step():
            loss = ((layer(x) - y) ** 2).mean()
            for p in params:
                p.grad = None
            loss.backward()
            optimizer.apply([p.grad for p in params], params)

        step = torch.compile(step, backend="eager") if compiled else step
        for _ in range(3):
            step()
        graphs = counters["stats"]["unique_graphs"]
        for _ in range(3):
            step()
        if compiled:  # later steps reuse the graphs: the step count is not baked into them
            assert counters["stats"]["unique_graphs"] == graphs > 0
        return [values(p) for p in params]

    compiled = run(*make(), compiled=True)
    eager = run(*make(), compiled=False)
    for a, b in zip(compiled, eager):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
