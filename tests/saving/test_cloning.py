"""clone_model: same architecture, new layers, fresh weights."""

import re

import numpy as np
import pytest
from saving_helpers import data, tiny_model

import layerwise
from layerwise.models import clone_model


def weights_differ(a, b):
    left, right = a.get_weights(), b.get_weights()
    assert len(left) == len(right)
    return any(not np.array_equal(x, y) for x, y in zip(left, right))


def test_sequential_clone_has_new_layers_and_fresh_weights():
    model = tiny_model()
    clone = clone_model(model)
    assert type(clone) is layerwise.Sequential and clone.name == model.name
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert clone.input_shape == model.input_shape
    assert weights_differ(model, clone)
    clone.set_weights(model.get_weights())
    x, _ = data()
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_clone_of_a_compiled_model_is_compiled_with_a_new_optimizer():
    model = tiny_model(compiled=True)
    model.fit(*data(), epochs=1, verbose=0)
    clone = clone_model(model)
    assert clone.compiled and clone.optimizer is not model.optimizer
    assert clone.optimizer.get_config() == model.optimizer.get_config()
    assert int(clone.optimizer.iterations.numpy()) == 0
    clone.fit(*data(), epochs=1, verbose=0)


def functional():
    a = layerwise.Input((4,), name="a")
    b = layerwise.Input((4,), name="b")
    shared = layerwise.layers.Dense(3, name="shared")
    inner = layerwise.Sequential([layerwise.Input((3,)), layerwise.layers.Dense(3, name="inner_dense")],
                                 name="inner")
    merged = layerwise.layers.Add(name="add")([inner(shared(a)), shared(b)])
    return layerwise.Model([a, b], {"out": layerwise.layers.Dense(1, name="out")(merged)}, name="two_towers")


def test_functional_clone_keeps_shared_layers_shared():
    model = functional()
    clone = clone_model(model)
    assert type(clone) is layerwise.Functional and clone.name == "two_towers"
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert len(clone.get_layer("shared")._inbound_nodes) == 2
    assert clone.get_layer("inner") is not model.get_layer("inner")
    assert weights_differ(model, clone)
    clone.set_weights(model.get_weights())
    x = [data(3)[0], data(3, seed=1)[0]]
    np.testing.assert_array_equal(clone.predict(x, verbose=0)["out"], model.predict(x, verbose=0)["out"])


def test_clone_function_and_call_function():
    model = functional()

    def rename(layer):
        return layer.__class__.from_config({**layer.get_config(), "name": layer.name + "_copy"})

    renamed = clone_model(model, clone_function=rename)
    assert "shared_copy" in [layer.name for layer in renamed.layers]

    def add_dropout(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        if isinstance(layer, layerwise.layers.Dense):
            out = layerwise.layers.Dropout(0.5)(out)
        return out

    with_dropout = clone_model(model, clone_function=lambda layer: layer, call_function=add_dropout)
    assert with_dropout.get_layer("shared") is model.get_layer("shared")  # shared, not cloned
    assert sum(isinstance(layer, layerwise.layers.Dropout) for layer in with_dropout.layers) == 3


def test_recursive_clones_nested_models_with_clone_model():
    model = functional()
    seen = []

    def record(layer):
        seen.append(layer.name)
        return layer.__class__.from_config(layer.get_config())

    clone_model(model, clone_function=record, recursive=True)
    assert "inner" not in seen and "inner_dense" in seen
    seen.clear()
    clone_model(model, clone_function=record)
    assert "inner" in seen and "inner_dense" not in seen


def test_input_tensors():
    model = functional()
    a = layerwise.Input((4,), name="left")
    b = layerwise.Input((4,), name="right")
    clone = clone_model(model, input_tensors=[a, b])
    assert clone.input_names == ["left", "right"]
    seq = clone_model(tiny_model(), input_tensors=layerwise.Input((4,), name="features"))
    assert seq.layers[0].input.name == "features"
    with pytest.raises(ValueError, match=re.escape("`input_tensors` must have the same structure as model.input")):
        clone_model(model, input_tensors=[a])


def test_subclassed_model_clones_from_its_config():
    @layerwise.saving.register_serializable(package="CloneTests")
    class Tower(layerwise.Model):
        def __init__(self, units=2, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layerwise.layers.Dense(units)

        def call(self, x):
            return self.dense(x)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    model = Tower(units=3)
    model(np.zeros((2, 4), "float32"))
    clone = clone_model(model)
    assert type(clone) is Tower and clone.units == 3 and clone.built
    assert weights_differ(model, clone)
    with pytest.raises(ValueError, match="^" + re.escape(
            "Arguments `clone_function` and `input_tensors` are only supported for Sequential models or "
            "Functional models. Received model of type 'Tower', with clone_function=") ):
        clone_model(model, clone_function=lambda layer: layer)


def test_lambda_layers_clone():
    model = layerwise.Sequential([layerwise.Input((2,)), layerwise.layers.Lambda(lambda x: x + 1)])
    clone = clone_model(model)
    np.testing.assert_array_equal(clone.predict(np.zeros((1, 2)), verbose=0), [[1.0, 1.0]])


def test_call_function_with_sequential_is_refused():
    with pytest.raises(ValueError, match="^" + re.escape(
            "`call_function` argument is not supported with Sequential models.")):
        clone_model(tiny_model(), call_function=lambda layer, *a, **k: layer(*a, **k))
    with pytest.raises(ValueError, match=re.escape("Unexpected keyword argument(s): ('deep',)")):
        clone_model(tiny_model(), deep=True)
