"""Embedding against real Keras 3: same weights in, same vectors, masks and configs out."""

import keras
import numpy as np
import pytest
import torch

import layerwise
from layerwise.layers.embedding import Embedding


def _numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return keras.ops.convert_to_numpy(value)


def _ids(*shape, high=50, seed=0):
    ids = np.random.default_rng(seed).integers(0, high, size=shape)
    ids[..., -2:] = 0  # zero padding at the end of every sequence
    return ids


@pytest.mark.parametrize("shape", [(4, 7), (2, 3, 5), (6,)])
@pytest.mark.parametrize("dtype", ["int32", "int64", "float32"])
@pytest.mark.parametrize("mask_zero", [False, True])
def test_outputs_and_masks_match_keras(shape, dtype, mask_zero):
    theirs = keras.layers.Embedding(50, 8, mask_zero=mask_zero)
    theirs.build(shape)
    ours = Embedding(50, 8, mask_zero=mask_zero)
    ours.build(shape)
    ours.set_weights(theirs.get_weights())
    ids = _ids(*shape).astype(dtype)
    theirs_out = theirs(ids)
    ours_out = ours(ids)
    np.testing.assert_allclose(_numpy(ours_out), _numpy(theirs_out), rtol=0, atol=0)
    assert ours_out.dtype == torch.float32
    theirs_mask = theirs.compute_mask(keras.ops.convert_to_tensor(ids))
    ours_mask = getattr(ours_out, "_keras_mask", None)
    if mask_zero:
        np.testing.assert_array_equal(_numpy(ours_mask), _numpy(theirs_mask))
    else:
        assert ours_mask is None and theirs_mask is None
    assert ours.count_params() == theirs.count_params()
    symbolic_shape = (None,) + shape[1:]
    assert ours.compute_output_shape(symbolic_shape) == tuple(theirs.compute_output_shape(symbolic_shape))


CONFIGS = [
    {},
    {"mask_zero": True},
    {"embeddings_initializer": "glorot_uniform", "embeddings_regularizer": "l2"},
    {"embeddings_constraint": "max_norm", "activity_regularizer": "l1_exact"},
]


def _resolve(config, lib):
    # Keras stores the default l1 factor 0.01 as float32; use a factor exact in float32.
    return {k: lib.regularizers.L1(0.5) if v == "l1_exact" else v for k, v in config.items()}


@pytest.mark.parametrize("config", CONFIGS)
def test_config_matches_keras_both_ways(config):
    theirs = keras.layers.Embedding(30, 5, name="emb", **_resolve(config, keras))
    ours = Embedding(30, 5, name="emb", **_resolve(config, layerwise))
    assert ours.get_config() == theirs.get_config()
    from_theirs = Embedding.from_config(theirs.get_config())
    assert from_theirs.get_config() == theirs.get_config()
    to_theirs = keras.layers.Embedding.from_config(ours.get_config())
    assert to_theirs.get_config() == theirs.get_config()


def test_regularization_losses_match_keras():
    theirs = keras.layers.Embedding(12, 3, embeddings_regularizer=keras.regularizers.L1L2(0.1, 0.2),
                                    activity_regularizer=keras.regularizers.L2(0.05))
    theirs.build((2, 4))
    ours = Embedding(12, 3, embeddings_regularizer=layerwise.regularizers.L1L2(0.1, 0.2),
                     activity_regularizer=layerwise.regularizers.L2(0.05))
    ours.build((2, 4))
    ours.set_weights(theirs.get_weights())
    ids = _ids(2, 4, high=12)
    theirs(ids)
    ours(ids)
    theirs_total = sum(float(_numpy(loss)) for loss in theirs.losses)
    ours_total = sum(float(_numpy(loss)) for loss in ours.losses)
    np.testing.assert_allclose(ours_total, theirs_total, rtol=1e-5)


def test_model_with_embedding_predicts_like_keras():
    def build(lib, emb):
        return lib.Sequential([lib.Input((6,), dtype="int32"), emb(20, 4), lib.layers.Flatten(),
                               lib.layers.Dense(3, activation="softmax")])

    theirs = build(keras, keras.layers.Embedding)
    ours = build(layerwise, Embedding)
    ours.set_weights(theirs.get_weights())
    ids = _ids(5, 6, high=20)
    np.testing.assert_allclose(ours.predict(ids, verbose=0), theirs.predict(ids, verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert ours.count_params() == theirs.count_params() == 20 * 4 + 24 * 3 + 3
