"""Dtype policies and mixed precision: float32 weights, 16-bit computations, loss scaling."""

import keras
import numpy as np
import pytest
import torch

import layerwise
from layerwise import mixed_precision


@pytest.fixture(autouse=True)
def _reset_policy():
    yield
    mixed_precision.set_global_policy(None)


def _data(n=64):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 8)).astype("float32"), rng.integers(0, 3, n)


def _classifier(lib):
    return lib.Sequential([lib.Input((8,)), lib.layers.Dense(16, activation="relu"), lib.layers.Dense(3),
                           lib.layers.Activation("softmax", dtype="float32")])


@pytest.mark.parametrize("name, compute, variable", [
    ("float32", "float32", "float32"), ("bfloat16", "bfloat16", "bfloat16"),
    ("mixed_float16", "float16", "float32"), ("mixed_bfloat16", "bfloat16", "float32"),
])
def test_policy_dtypes_match_keras(name, compute, variable):
    ours, theirs = mixed_precision.Policy(name), keras.mixed_precision.DTypePolicy(name)
    assert (ours.compute_dtype, ours.variable_dtype) == (theirs.compute_dtype, theirs.variable_dtype) \
        == (compute, variable)
    assert repr(ours) == repr(theirs)


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="Unknown dtype policy 'foo': use a dtype name such as 'float32' or "
                                         "'bfloat16', or 'mixed_float16' / 'mixed_bfloat16'."):
        mixed_precision.Policy("foo")


def test_global_policy_reaches_new_layers_and_their_config_as_keras_writes_it():
    mixed_precision.set_global_policy("mixed_float16")
    assert mixed_precision.global_policy().name == "mixed_float16"
    layer = layerwise.layers.Dense(2)
    assert (layer.dtype, layer.compute_dtype, layer.variable_dtype) == ("float32", "float16", "float32")
    assert layer.get_config()["dtype"] == keras.layers.Dense(2, dtype="mixed_float16").get_config()["dtype"]
    restored = layerwise.layers.Dense.from_config(layer.get_config())
    mixed_precision.set_global_policy(None)
    assert restored.dtype_policy.name == "mixed_float16"
    assert layerwise.layers.Dense(2).dtype_policy.name == "float32"


def test_mixed_layers_keep_float32_weights_and_compute_in_16_bits():
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = _classifier(layerwise)
    x, _ = _data()
    dense = model.layers[0]
    assert dense.kernel.dtype == torch.float32
    assert dense(torch.from_numpy(x)).dtype == torch.bfloat16
    # The float32 softmax takes the model back to float32, as Keras recommends for the last layer.
    assert model(x).dtype == torch.float32


def test_mixed_bfloat16_training_learns():
    mixed_precision.set_global_policy("mixed_bfloat16")
    layerwise.utils.set_random_seed(0)
    model = _classifier(layerwise)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert type(model.optimizer).__name__ == "Adam"  # bfloat16 needs no loss scaling
    x, y = _data()
    losses = model.fit(x, y, epochs=20, verbose=0).history["loss"]
    assert losses[-1] < losses[0]


def test_mixed_float16_compile_adds_loss_scaling_and_trains():
    mixed_precision.set_global_policy("mixed_float16")
    model = _classifier(layerwise)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert isinstance(model.optimizer, layerwise.optimizers.LossScaleOptimizer)
    x, y = _data()
    losses = model.fit(x, y, epochs=10, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    assert int(model.optimizer.iterations) == 20


def test_loss_scale_optimizer_skips_overflowing_steps_and_halves_the_scale():
    layer = layerwise.layers.Dense(1)
    layer.build((None, 2))
    before = [w.detach().clone() for w in layer.trainable_weights]
    optimizer = layerwise.optimizers.LossScaleOptimizer(layerwise.optimizers.SGD(0.1), initial_scale=8.0,
                                                        dynamic_growth_steps=2)
    grads = [torch.full((2, 1), float("inf")), torch.ones(1)]
    optimizer.apply(grads, layer.trainable_weights)
    assert float(optimizer.dynamic_scale) == 4.0 and int(optimizer.iterations) == 0
    assert all(torch.equal(a, b) for a, b in zip(before, layer.trainable_weights))
    for _ in range(2):  # gradients given already scaled by 4: the update uses them / 4
        optimizer.apply([torch.full((2, 1), 4.0), torch.full((1,), 4.0)], layer.trainable_weights)
    assert float(optimizer.dynamic_scale) == 8.0 and int(optimizer.iterations) == 2
    torch.testing.assert_close(layer.trainable_weights[1].detach(), before[1] - 0.2)


def test_loss_scale_optimizer_config_matches_keras():
    ours = layerwise.optimizers.LossScaleOptimizer(layerwise.optimizers.Adam())
    theirs = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam())
    our_config, their_config = ours.get_config(), theirs.get_config()
    assert {k: v for k, v in our_config.items() if k != "inner_optimizer"} == \
        {k: v for k, v in their_config.items() if k != "inner_optimizer"}
    assert our_config["inner_optimizer"]["class_name"] == "Adam"
    restored = layerwise.optimizers.LossScaleOptimizer.from_config(our_config)
    assert restored.get_config() == our_config


def test_loss_scale_optimizer_refuses_a_non_optimizer():
    with pytest.raises(ValueError, match=r"LossScaleOptimizer: argument `inner_optimizer` must be an optimizer "
                                         r"instance such as keras.optimizers.Adam\(\); got 'adam'."):
        layerwise.optimizers.LossScaleOptimizer("adam")


def test_loss_scale_factor_scales_the_loss_so_training_is_unchanged():
    x, y = _data()
    histories = []
    for factor in (None, 1024.0):
        layerwise.utils.set_random_seed(0)
        model = _classifier(layerwise)
        model.compile(optimizer=layerwise.optimizers.SGD(0.1, loss_scale_factor=factor),
                      loss="sparse_categorical_crossentropy")
        histories.append(model.fit(x, y, epochs=3, shuffle=False, verbose=0).history["loss"])
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-5)


def test_layers_cast_float_inputs_to_their_own_dtype_as_keras():
    model = layerwise.Sequential([layerwise.Input((4,)), layerwise.layers.Dense(3),
                                  layerwise.layers.Dense(1, dtype="float64")])
    assert model(np.ones((2, 4), "float32")).dtype == torch.float64
    mixed = layerwise.Sequential([layerwise.Input((4,)), layerwise.layers.Dense(3, dtype="mixed_bfloat16"),
                                  layerwise.layers.Dense(1)])
    assert mixed(np.ones((2, 4), "float32")).dtype == torch.float32
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(1, dtype="float64")])
    assert str(theirs(np.ones((2, 4), "float32")).dtype).endswith("float64")


def test_loss_scale_optimizer_reads_one_value_from_the_device_per_step():
    from torch.utils._python_dispatch import TorchDispatchMode

    class CountHostReads(TorchDispatchMode):
        reads = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if func is torch.ops.aten._local_scalar_dense.default:  # what .item(), bool(), int() call
                CountHostReads.reads += 1
            return func(*args, **(kwargs or {}))

    layer = layerwise.layers.Dense(2)
    layer.build((None, 3))
    optimizer = layerwise.optimizers.LossScaleOptimizer(layerwise.optimizers.Adam(), dynamic_growth_steps=2)
    with CountHostReads():
        for _ in range(3):
            optimizer.apply([torch.ones(3, 2), torch.ones(2)], layer.trainable_weights)
    assert CountHostReads.reads == 3
    # Grown once, after the second step; the third step counts towards the next growth.
    assert float(optimizer.dynamic_scale) == 2.0**16 and int(optimizer.step_counter) == 1
