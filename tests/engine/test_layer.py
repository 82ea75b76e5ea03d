"""The Layer base class: building, weights, freezing, training flag, masks, losses, errors."""

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise import layers


class Scale(layers.Layer):
    """A custom layer as a course user writes one."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

    def call(self, inputs):
        return inputs * self.w


class TrainingEcho(layers.Layer):
    def call(self, inputs, training=None):
        return inputs + (1.0 if training else 0.0)


def test_builds_on_first_call_from_input_shape():
    layer = layers.Dense(3)
    assert not layer.built and layer.weights == []
    out = layer(np.ones((2, 5)))
    assert layer.built
    assert out.shape == (2, 3)
    assert [w.shape for w in layer.weights] == [(5, 3), (3,)]
    assert [w.path for w in layer.weights] == ["dense/kernel", "dense/bias"]


def test_numpy_and_torch_inputs_give_torch_outputs():
    layer = layers.Dense(2)
    x = np.random.default_rng(0).normal(size=(4, 3))  # float64 becomes float32, as in Keras
    out_numpy = layer(x)
    out_torch = layer(torch.as_tensor(x, dtype=torch.float32))
    assert isinstance(out_numpy, torch.Tensor) and out_numpy.dtype == torch.float32
    torch.testing.assert_close(out_numpy, out_torch)


def test_unique_default_names():
    names = [layers.Dense(1).name for _ in range(3)]
    assert names == ["dense", "dense_1", "dense_2"]
    assert Scale().name == "scale"
    assert TrainingEcho().name == "training_echo"


def test_invalid_name_is_refused():
    with pytest.raises(ValueError, match="Layer name 'a/b' is not valid"):
        layers.Dense(1, name="a/b")


def test_unknown_keyword_argument_is_refused():
    with pytest.raises(TypeError, match=r"Unrecognized keyword arguments passed to Dense: \{'unit': 3\}"):
        layers.Dense(1, unit=3)


def test_add_weight_order_trainable_and_non_trainable():
    layer = Scale()
    layer(np.ones((1, 4)))
    assert [w.name for w in layer.weights] == ["w", "count"]
    assert [w.name for w in layer.trainable_weights] == ["w"]
    assert [w.name for w in layer.non_trainable_weights] == ["count"]
    assert layer.count_params() == 5
    # assigning the weight to another attribute does not register it twice
    assert [name for name, _ in layer.named_parameters()] == ["w", "count"]


def test_add_weight_with_unknown_dimension_is_refused():
    layer = layers.Layer(name="custom")
    with pytest.raises(ValueError, match=r"Layer 'custom' tried to create weight 'k' with shape \(None, 3\)"):
        layer.add_weight(shape=(None, 3), name="k")


def test_variable_keras_methods():
    layer = layers.Dense(3)
    layer.build((None, 2))
    layer.kernel.assign(np.ones((2, 3)))
    assert layer.kernel.numpy().sum() == 6.0
    assert layer.kernel.shape == (2, 3)
    assert layer.kernel.trainable


def test_get_and_set_weights_round_trip_and_errors():
    layer = layers.Dense(3, name="d")
    layer.build((None, 2))
    kernel, bias = np.arange(6, dtype="float32").reshape(2, 3), np.ones(3, dtype="float32")
    layer.set_weights([kernel, bias])
    np.testing.assert_array_equal(layer.get_weights()[0], kernel)
    with pytest.raises(ValueError, match=r"Layer 'd' expects 2 weights \(kernel \(2, 3\), bias \(3,\)\), "
                                         r"but set_weights received 1"):
        layer.set_weights([kernel])
    with pytest.raises(ValueError, match=r"Layer 'd' weight 'kernel' has shape \(2, 3\), but set_weights "
                                         r"received an array of shape \(3, 2\)"):
        layer.set_weights([kernel.T, bias])
    # a failed set_weights changes nothing
    np.testing.assert_array_equal(layer.get_weights()[0], kernel)


def test_count_params_before_build_is_an_error():
    with pytest.raises(ValueError, match="count_params on layer 'dense', but the layer isn't built"):
        layers.Dense(2).count_params()


def test_trainable_flag_freezes_recursively():
    model = keras.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(1)])
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4
    assert all(not layer.trainable for layer in model.layers)
    assert all(not p.requires_grad for p in model.parameters())
    model.trainable = True
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 2
    out = model(np.ones((2, 3))).sum()
    out.backward()
    assert model.layers[0].kernel.grad is None and model.layers[1].kernel.grad is not None


def test_training_flag_reaches_nested_layers():
    inner = TrainingEcho()
    model = keras.Sequential([keras.Input((2,)), inner])
    x = np.zeros((1, 2))
    assert model(x).sum().item() == 0.0  # inference by default, as in Keras
    assert model(x, training=True).sum().item() == 2.0
    assert inner(x, training=True).sum().item() == 2.0
    # torch's train() switch is honoured when no training argument is given
    model.train()
    inner.train()
    assert model(x).sum().item() == 2.0


def test_dropout_acts_only_in_training():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((1000,)), layers.Dropout(0.5)])
    x = np.ones((2, 1000))
    np.testing.assert_array_equal(model(x).numpy(), x)
    dropped = model(x, training=True).numpy()
    assert 0.4 < (dropped == 0).mean() < 0.6


def test_regularizer_penalties_are_in_losses():
    layer = layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.1), bias_regularizer="l1",
                         activity_regularizer=keras.regularizers.L1(0.5))
    layer.build((None, 3))
    layer.set_weights([np.ones((3, 2)), np.ones(2)])
    out = layer(np.ones((4, 3)))
    losses = [float(v.detach()) for v in layer.losses]
    # activity loss is divided by the batch size, as in Keras
    assert losses == pytest.approx([0.5 * float(out.detach().abs().sum()) / 4, 0.1 * 6, 0.01 * 2])
    model = keras.Sequential([keras.Input((3,)), layer])
    assert len(model.losses) == 3


def test_constraint_is_attached_to_the_weight():
    layer = layers.Dense(2, kernel_constraint=keras.constraints.NonNeg())
    layer.build((None, 2))
    assert isinstance(layer.kernel.constraint, keras.constraints.NonNeg)
    assert layer.bias.constraint is None


def test_input_rank_and_last_dimension_errors():
    model = keras.Sequential([keras.Input((89,)), layers.Dense(10, name="dense_2")])
    with pytest.raises(ValueError, match=r"Dense 'dense_2' expects inputs with last dimension 89, got 88 "
                                         r"\(input shape \(5, 88\)\) — does your data have the same columns"):
        model(np.ones((5, 88)))
    with pytest.raises(ValueError, match=r"Dense 'dense_2' expects inputs with at least 2 dimensions, got "
                                         r"shape \(89,\). A single sample needs a batch axis: reshape to \(1, 89\)"):
        model.layers[0](np.ones(89))


def test_masks_pass_through_layers_that_support_them():
    x = torch.ones(2, 3, 4)
    x._keras_mask = torch.tensor([[True, True, False], [True, False, False]])
    out = layers.Dense(5)(x)
    assert torch.equal(out._keras_mask, x._keras_mask)
    out = layers.Activation("relu")(out)
    assert torch.equal(out._keras_mask, x._keras_mask)


def test_layer_is_a_torch_module():
    layer = layers.Dense(2)
    layer(np.ones((1, 3)))
    assert isinstance(layer, torch.nn.Module)
    assert sorted(dict(layer.named_parameters())) == ["bias", "kernel"]
    compiled_out = torch.compile(layer, backend="eager")(torch.ones(1, 3))
    assert compiled_out.shape == (1, 2)


def test_custom_layer_config_round_trip():
    layer = Scale(name="scale", trainable=False)
    config = layer.get_config()
    assert config == {"name": "scale", "trainable": False, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}}
    assert Scale.from_config(config).get_config() == config


def test_set_random_seed_repeats_initialisation():
    keras.utils.set_random_seed(7)
    first = layers.Dense(4)
    first.build((None, 3))
    keras.utils.set_random_seed(7)
    second = layers.Dense(4)
    second.build((None, 3))
    np.testing.assert_array_equal(first.get_weights()[0], second.get_weights()[0])


def test_deepcopy_keeps_variables_and_names():
    import copy

    layer = layers.Dense(2)
    layer.build((None, 3))
    clone = copy.deepcopy(layer)
    assert clone.kernel.path == "dense/kernel"
    assert clone.kernel is not layer.kernel
    np.testing.assert_array_equal(clone.get_weights()[0], layer.get_weights()[0])


def test_get_weights_returns_copies_that_training_does_not_change():
    layer = layers.Dense(2)
    layer.build((None, 3))
    saved = layer.get_weights()
    with torch.no_grad():
        layer.kernel.add_(1.0)
    assert not np.array_equal(saved[0], layer.get_weights()[0])


def test_input_spec_set_in_init_refuses_bad_input_before_building():
    class NeedsRank3(keras.Layer):
        def __init__(self):
            super().__init__()
            self.input_spec = keras.layers.InputSpec(ndim=3)

        def build(self, input_shape):
            raise AssertionError("build must not run on refused input")

        def call(self, x):
            return x

    layer = NeedsRank3()
    with pytest.raises(ValueError, match=r"expects inputs of rank 3, got rank 2 \(shape \(2, 4\)\)"):
        layer(np.zeros((2, 4), "float32"))
    assert not layer.built


def test_mask_given_as_numpy_reaches_call_as_a_bool_tensor():
    seen = {}

    class TakesMask(keras.Layer):
        def call(self, x, mask=None):
            seen["mask"] = mask
            return x

    TakesMask()(np.zeros((2, 3, 1), "float32"), mask=np.array([[1, 1, 0], [1, 0, 0]]))
    assert seen["mask"].dtype == torch.bool
    assert seen["mask"].tolist() == [[True, True, False], [True, False, False]]


def test_last_dimension_error_speaks_of_columns_only_for_tables():
    dense = keras.layers.Dense(2)
    dense(np.zeros((1, 4), "float32"))
    with pytest.raises(ValueError, match=r"^Dense '.*' expects inputs with last dimension 4, got 3 "
                                         r"\(input shape \(1, 3\)\) — does your data have the same columns"):
        dense(np.zeros((1, 3), "float32"))
    conv = keras.layers.Conv2D(2, 3)
    conv(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError) as error:
        conv(np.zeros((1, 5, 5, 1), "float32"))
    assert "columns" not in str(error.value)
    assert str(error.value) == ("Conv2D 'conv2d' expects inputs with last dimension 3, got 1 (input shape "
                                "(1, 5, 5, 1)). Expected channels_last inputs (batch, rows, cols, channels).")
    dense_3d = keras.layers.Dense(2, name="dense_3d")
    dense_3d(np.zeros((1, 3, 4), "float32"))
    with pytest.raises(ValueError, match=r"^Dense 'dense_3d' expects inputs with last dimension 4, got 5 "
                                         r"\(input shape \(1, 3, 5\)\)\.$"):
        dense_3d(np.zeros((1, 3, 5), "float32"))


def test_undecided_training_leaves_each_layer_its_own_call_default():
    seen = {}

    class AugmentsByDefault(keras.Layer):
        def call(self, x, training=True):
            seen["augment"] = training
            return x

    class InfersByDefault(keras.Layer):
        def call(self, x, training=False):
            seen["infer"] = training
            return x

    model = keras.Sequential([AugmentsByDefault(), InfersByDefault()])
    model(np.zeros((1, 2), "float32"))
    assert seen == {"augment": True, "infer": False}  # as Keras: RandomFlip augments, Dropout does not
    model(np.zeros((1, 2), "float32"), training=False)
    assert seen == {"augment": False, "infer": False}
    model.train()  # torch's switch still means training
    model(np.zeros((1, 2), "float32"))
    assert seen == {"augment": True, "infer": True}


def test_functional_call_substitutes_weights_including_aliased_ones():
    class Scaled(keras.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

        def call(self, x):
            return x * self.w

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), Scaled()])
    x = torch.ones(1, 3)
    zeros = {name: torch.zeros_like(p) for name, p in model.named_parameters()}
    assert torch.count_nonzero(torch.func.functional_call(model, zeros, (x,))) == 0
    assert model.layers[1].w is model.layers[1].scale  # the alias still reads the registered weight


def test_a_python_list_of_numbers_is_one_input_not_a_list_of_inputs():
    assert layers.Dense(1)([[1.0, 2.0], [3.0, 4.0]]).shape == (2, 1)
    assert layers.Embedding(10, 3)([[1, 2], [3, 4]]).shape == (2, 2, 3)
    assert layers.Concatenate()([np.ones((2, 1)), np.ones((2, 2))]).shape == (2, 3)  # arrays: a list of inputs
    with pytest.raises(ValueError, match=r"^Dense 'ragged' got a Python list of rows with different lengths "
                                         r"\[1, 2\]; every sample needs the same number of values\."):
        layers.Dense(1, name="ragged")([[1.0, 2.0], [3.0]])
    assert keras.backend.is_number_list([[1, 2.5], (3, True)])
    assert not keras.backend.is_number_list([np.zeros(2), np.ones(2)]) and not keras.backend.is_number_list([])


def test_variable_takes_keras_arguments():
    w = keras.Variable(initializer="ones", shape=(2, 2), name="w")
    assert (w.name, w.path, w.shape, w.trainable, w.dtype) == ("w", "w", (2, 2), True, torch.float32)
    w.assign_sub(np.full((2, 2), 0.25))
    w.assign_add(torch.full((2, 2), 0.5))
    np.testing.assert_array_equal(w.numpy(), np.full((2, 2), 1.25, "float32"))
    assert keras.Variable(np.array([1, 2]), trainable=False).dtype == torch.int64  # arrays keep their dtype
    assert keras.Variable(np.zeros(2)).dtype == torch.float64
    assert keras.Variable(3.0).dtype == torch.float32  # Python floats become floatx
    assert keras.Variable([1.0, 2.0], dtype="float16").dtype == torch.float16
    frozen = keras.Variable(keras.initializers.Constant(2.0), shape=(3,), trainable=False, aggregation="sum")
    assert not frozen.trainable and frozen.aggregation == "sum" and frozen.numpy().tolist() == [2.0, 2.0, 2.0]
    unnamed = [keras.Variable(np.zeros(1)).name for _ in range(2)]
    assert unnamed[0].startswith("variable") and unnamed[0] != unnamed[1]


def test_layer_weights_support_assign_add_and_sub():
    dense = layers.Dense(3)
    dense.build((None, 1))
    dense.bias.assign_sub(np.ones(3, "float32"))
    dense.bias.assign_add(np.full(3, 0.5, "float32"))
    np.testing.assert_array_equal(dense.bias.numpy(), np.full(3, -0.5, "float32"))
    assert dense.bias.path == "dense/bias" or dense.bias.path.endswith("/bias")


@pytest.mark.parametrize("kwargs, message", [
    ({"initializer": "ones"}, r"^Variable: an initializer \('ones'\) needs a shape: pass shape=, e\.g\. "
                              r"keras\.Variable\(initializer='ones', shape=\(3,\)\)\.$"),
    ({}, r"^Variable needs an initial value or an initializer: keras\.Variable\(np\.zeros\(3\)\) or "
         r"keras\.Variable\(initializer='zeros', shape=\(3,\)\)\.$"),
    ({"initializer": np.zeros(3), "shape": (2,)},
     r"^Variable: the initial value has shape \(3,\) but shape=\(2,\) was given\.$"),
    ({"initializer": np.zeros(3), "aggregation": "max"},
     r"^Variable: invalid aggregation 'max'; expected one of \('none', 'mean', 'sum', 'only_first_replica'\)\.$"),
    ({"initializer": np.zeros(3), "synchronization": "often"},
     r"^Variable: invalid synchronization 'often'; expected one of \('none', 'on_write', 'on_read', 'auto'\)\.$"),
    ({"initializer": np.array([1, 2])}, r"^Variable: a int64 variable cannot be trainable \(only floating-point "
                                        r"variables get gradients\); pass trainable=False or a float dtype\.$"),
])
def test_variable_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras.Variable(**kwargs)
