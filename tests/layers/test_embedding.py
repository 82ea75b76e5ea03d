"""Embedding: shapes, dtypes, masks, config, gradients, errors."""

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.engine.input_layer import Input
from layerwise.layers.core import Dense
from layerwise.layers.embedding import Embedding


def _ids(*shape, high=10, seed=0):
    return np.random.default_rng(seed).integers(0, high, size=shape)


@pytest.mark.parametrize("shape", [(4,), (3, 5), (2, 3, 4)])
def test_shapes_params_and_lookup(shape):
    layer = Embedding(10, 6)
    ids = _ids(*shape)
    out = layer(ids)
    assert tuple(out.shape) == shape + (6,)
    assert out.dtype == torch.float32
    assert layer.count_params() == 60
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + shape[1:] + (6,)
    table = layer.get_weights()[0]
    np.testing.assert_array_equal(out.detach().numpy(), table[ids])
    symbolic = Embedding(10, 6)(Input(shape[1:], dtype="int32"))
    assert symbolic.shape == (None,) + shape[1:] + (6,) and symbolic.dtype == "float32"


def test_weight_name_layout_and_default_initializer():
    layer = Embedding(1000, 8)
    layer.build((None, 5))
    assert [w.path for w in layer.weights] == ["embedding/embeddings"]
    assert layer.embeddings.shape == (1000, 8)
    values = layer.get_weights()[0]
    assert np.abs(values).max() <= 0.05 and values.std() > 0.02  # uniform in [-0.05, 0.05]


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8,
                                   torch.float32, torch.float64])
def test_any_integer_dtype_and_float_ids(dtype):
    layer = Embedding(10, 3)
    layer.build(None)
    ids = torch.tensor([[1, 2, 9], [0, 4, 7]]).to(dtype)
    expected = layer.get_weights()[0][ids.long().numpy()]
    np.testing.assert_array_equal(layer(ids).detach().numpy(), expected)


def test_mask_zero_outputs_a_mask_and_keeps_row_zero():
    layer = Embedding(5, 2, mask_zero=True)
    ids = np.array([[3, 1, 0, 0], [4, 0, 0, 0]])
    out = layer(ids)
    np.testing.assert_array_equal(out._keras_mask.numpy(), ids != 0)
    assert out._keras_mask.dtype == torch.bool
    assert layer.supports_masking
    # row 0 is still looked up (the mask, not the values, marks padding), as in Keras
    np.testing.assert_array_equal(out[1, 1].detach().numpy(), layer.get_weights()[0][0])
    assert layer.compute_mask(torch.tensor(ids)).tolist() == (ids != 0).tolist()


def test_without_mask_zero_there_is_no_mask():
    layer = Embedding(5, 2)
    out = layer(np.array([[3, 0]]))
    assert getattr(out, "_keras_mask", None) is None
    assert layer.compute_mask(torch.tensor([[3, 0]])) is None
    assert not layer.supports_masking


def test_mask_reaches_the_next_layer():
    seen = {}

    class Probe(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True

        def call(self, inputs, mask=None):
            seen["mask"] = mask
            return inputs

    model = keras.Sequential([Input((None,), dtype="int32"), Embedding(9, 2, mask_zero=True), Probe()])
    model(np.array([[5, 2, 0]]))
    assert seen["mask"].tolist() == [[True, True, False]]


def test_config_round_trip():
    layer = Embedding(20, 4, embeddings_initializer="he_normal", embeddings_regularizer="l2",
                      embeddings_constraint="unit_norm", mask_zero=True, activity_regularizer="l1",
                      name="words")
    ids = _ids(2, 3, high=20)
    layer(ids)
    config = layer.get_config()
    assert config["input_dim"] == 20 and config["output_dim"] == 4 and config["mask_zero"] is True
    assert config["quantization_config"] is None
    clone = Embedding.from_config(config)
    assert clone.get_config() == config
    clone(ids)
    clone.set_weights(layer.get_weights())
    torch.testing.assert_close(clone(ids), layer(ids))
    assert clone.mask_zero and clone.embeddings_constraint is not None


def test_gradients_reach_the_rows_that_were_used():
    layer = Embedding(6, 3)
    layer(np.array([[1, 4]])).pow(2).sum().backward()
    grad = layer.embeddings.grad
    used = grad.abs().sum(dim=1) > 0
    assert used.tolist() == [False, True, False, False, True, False]


def test_frozen_layer_gets_no_gradient():
    layer = Embedding(6, 3, trainable=False)
    downstream = Dense(1)
    downstream(layer(np.array([[1, 4]]))).sum().backward()
    assert layer.embeddings.grad is None and downstream.kernel.grad is not None
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 1


def test_regularizer_joins_losses():
    layer = Embedding(4, 2, embeddings_regularizer=keras.regularizers.L2(0.5))
    layer.build(None)
    expected = 0.5 * (layer.get_weights()[0] ** 2).sum()
    np.testing.assert_allclose(float(sum(layer.losses).detach()), expected, rtol=1e-5)


def test_weights_argument_builds_and_sets():
    table = np.arange(12, dtype="float32").reshape(4, 3)
    for weights in (table, [table]):
        layer = Embedding(4, 3, weights=weights)
        assert layer.built
        np.testing.assert_array_equal(layer(np.array([[2]])).detach().numpy()[0, 0], table[2])
    with pytest.raises(ValueError, match="weight 'embeddings' has shape \\(4, 3\\)"):
        Embedding(4, 3, weights=np.zeros((5, 3)))


def test_legacy_input_length_declares_the_input_shape():
    model = keras.Sequential([Embedding(100, 8, input_length=12), Dense(1)])
    assert model.input_shape == (None, 12) and model.output_shape == (None, 12, 1)
    assert model.count_params() == 100 * 8 + 9
    out = model.predict(_ids(3, 12, high=100), verbose=0)
    assert out.shape == (3, 12, 1)
    # not a first layer: accepted and ignored
    later = keras.Sequential([Input((5,)), Dense(3), Embedding(10, 2, input_length=99)])
    assert later.output_shape == (None, 3, 2)
    assert "input_length" not in Embedding(3, 2, input_length=4).get_config()


def test_fit_learns_a_lookup():
    model = keras.Sequential([Input((1,), dtype="int32"), Embedding(4, 1), keras.layers.Flatten()])
    model.compile(optimizer=keras.optimizers.Adam(0.2), loss="mse")
    x = np.array([[0], [1], [2], [3]] * 8)
    y = x.astype("float32") * 2.0
    model.fit(x, y, epochs=100, batch_size=32, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0][:, 0], [0, 2, 4, 6], atol=0.2)


@pytest.mark.parametrize("argument,value", [("input_dim", 0), ("input_dim", 2.0), ("output_dim", -1),
                                            ("output_dim", "8"), ("input_dim", True)])
def test_bad_sizes(argument, value):
    kwargs = {"input_dim": 10, "output_dim": 4, argument: value}
    with pytest.raises(ValueError, match=f"Embedding 'embedding': `{argument}` must be a positive "
                                         f"integer, got {value!r}"):
        Embedding(**kwargs)


def test_lora_and_quantization_are_refused():
    with pytest.raises(ValueError, match="Embedding 'embedding' got lora_rank=4, but layerwise does not "
                                         "support LoRA"):
        Embedding(10, 4, lora_rank=4)
    with pytest.raises(ValueError, match="does not support quantized embeddings"):
        Embedding(10, 4, quantization_config={"mode": "int8"})


@pytest.mark.parametrize("bad,low,high", [(10, 1, 10), (-1, -1, 3)])
def test_ids_out_of_range_raise_a_clear_error(bad, low, high):
    layer = Embedding(10, 4, name="words")
    ids = np.array([[1, 3, bad]]) if bad > 0 else np.array([[bad, 3, 2]])
    with pytest.raises(ValueError, match=(
            f"Embedding 'words' got id {bad}, but its ids must lie in \\[0, 10\\) \\(input_dim=10; "
            f"the batch holds ids from {low} to {high}\\). Increase input_dim")):
        layer(ids)


def test_unknown_keyword_is_refused():
    with pytest.raises(TypeError, match="Unrecognized keyword arguments passed to Embedding"):
        Embedding(10, 4, input_lenght=5)
