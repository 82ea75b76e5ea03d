"""BatchNormalization and LayerNormalization against real Keras 3: same weights in, same numbers out.

Each check gives both libraries identical weights with ``set_weights`` (moving
statistics included, never the defaults), then compares inference outputs,
training outputs, the moving statistics after several training calls,
gradients, configs and parameter counts.
"""

import warnings

import keras
import numpy as np
import pytest
import torch

import layerwise
from layerwise.layers.core import Dense
from layerwise.layers.normalization import BatchNormalization, LayerNormalization

TOL = dict(rtol=1e-5, atol=1e-5)


def _data(*shape, seed=0):
    return (np.random.default_rng(seed).normal(size=shape) * 2.0 + 0.5).astype("float32")


def _k(tensor):
    return keras.ops.convert_to_numpy(tensor)


def _l(tensor):
    return tensor.detach().cpu().numpy()


def _shared_weights(keras_layer, ours, seed=1):
    """Random weights (positive for variances and standard deviations) set on both layers."""
    assert [w.name for w in ours.weights] == [w.name for w in keras_layer.weights]
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in keras_layer.weights]
    rng = np.random.default_rng(seed)
    values = []
    for w in keras_layer.weights:
        value = rng.normal(size=tuple(w.shape)).astype("float32")
        if "variance" in w.name or "stddev" in w.name:
            value = np.abs(value) + 0.5
        values.append(value)
    keras_layer.set_weights(values)
    ours.set_weights(values)
    return values


def _assert_same_weights(keras_layer, ours):
    for k, ours_w in zip(keras_layer.weights, ours.weights):
        np.testing.assert_allclose(ours_w.numpy(), _k(k.value), err_msg=ours_w.name, **TOL)


def _pair(cls_keras, cls_ours, x, **kwargs):
    kwargs.setdefault("name", "under_test")  # the two libraries number default names separately
    keras_layer, ours = cls_keras(**kwargs), cls_ours(**kwargs)
    keras_layer.build(x.shape)
    ours.build(x.shape)
    return keras_layer, ours


# ====================================================================== BatchNormalization

BN_CASES = {
    "dense_axis_-1": ((32, 6), {}),
    "dense_momentum_0.9_eps_1e-5": ((32, 6), {"momentum": 0.9, "epsilon": 1e-5}),
    "sequence_axis_-1": ((4, 7, 5), {"momentum": 0.8}),
    "image_channels_last": ((4, 5, 6, 3), {"momentum": 0.7}),
    "image_channels_first_axis_1": ((4, 3, 5, 6), {"axis": 1, "momentum": 0.7}),
    "image_axis_2": ((4, 5, 3, 6), {"axis": 2, "momentum": 0.7}),
    "axis_0": ((5, 4, 3), {"axis": 0, "momentum": 0.5}),
    "center_off": ((16, 4), {"center": False, "momentum": 0.6}),
    "scale_off": ((16, 4), {"scale": False, "momentum": 0.6}),
    "center_and_scale_off": ((4, 3, 5, 6), {"axis": 1, "center": False, "scale": False}),
    "batch_of_one": ((1, 5), {"momentum": 0.5}),
    "renorm": ((16, 4), {"renorm": True, "momentum": 0.8, "renorm_momentum": 0.6}),
    "renorm_clipped": ((4, 5, 6, 3), {"renorm": True, "renorm_clipping": {
        "rmax": 1.1, "rmin": 0.9, "dmax": 0.2}, "momentum": 0.8, "renorm_momentum": 0.6}),
    "renorm_scale_off_axis_1": ((4, 3, 5), {"axis": 1, "renorm": True, "scale": False}),
}


@pytest.mark.parametrize("case", list(BN_CASES))
def test_batch_normalization_inference(case):
    shape, kwargs = BN_CASES[case]
    x = _data(*shape)
    keras_layer, ours = _pair(keras.layers.BatchNormalization, BatchNormalization, x, **kwargs)
    _shared_weights(keras_layer, ours)
    np.testing.assert_allclose(_l(ours(x)), _k(keras_layer(x)), **TOL)
    np.testing.assert_allclose(_l(ours(x, training=False)), _k(keras_layer(x, training=False)),
                               **TOL)
    _assert_same_weights(keras_layer, ours)


@pytest.mark.parametrize("case", list(BN_CASES))
def test_batch_normalization_training_and_moving_statistics(case):
    shape, kwargs = BN_CASES[case]
    keras_layer, ours = _pair(keras.layers.BatchNormalization, BatchNormalization,
                              _data(*shape), **kwargs)
    _shared_weights(keras_layer, ours)
    for step in range(4):  # different batches, so the moving statistics really move
        x = _data(*shape, seed=10 + step)
        np.testing.assert_allclose(_l(ours(x, training=True)), _k(keras_layer(x, training=True)),
                                   rtol=1e-4, atol=1e-4)
        _assert_same_weights(keras_layer, ours)
    x = _data(*shape, seed=99)
    np.testing.assert_allclose(_l(ours(x)), _k(keras_layer(x)), **TOL)


@pytest.mark.parametrize("case", ["dense_axis_-1", "image_channels_first_axis_1", "renorm"])
def test_batch_normalization_frozen_layer(case):
    shape, kwargs = BN_CASES[case]
    x = _data(*shape)
    keras_layer, ours = _pair(keras.layers.BatchNormalization, BatchNormalization, x, **kwargs)
    _shared_weights(keras_layer, ours)
    keras_layer.trainable = False
    ours.trainable = False
    for _ in range(2):
        np.testing.assert_allclose(_l(ours(x, training=True)), _k(keras_layer(x, training=True)),
                                   **TOL)
    _assert_same_weights(keras_layer, ours)
    assert len(ours.trainable_weights) == len(keras_layer.trainable_weights) == 0
    assert len(ours.non_trainable_weights) == len(keras_layer.non_trainable_weights)


@pytest.mark.parametrize("axis", [-1, 1])
def test_batch_normalization_masked_training(axis):
    # Keras broadcasts the mask along a new last axis: (batch, steps) masks for (batch, steps,
    # features) inputs, and with axis=1 a (batch, channels) mask for (batch, channels, steps).
    shape = (4, 6, 3) if axis == -1 else (4, 3, 6)
    keras_layer, ours = _pair(keras.layers.BatchNormalization, BatchNormalization, _data(*shape),
                              axis=axis, momentum=0.7)
    _shared_weights(keras_layer, ours)
    for step in range(3):
        x = _data(*shape, seed=20 + step)
        mask = np.random.default_rng(step).random(shape[:2]) > 0.35
        expected = keras_layer(x, training=True, mask=mask)
        got = ours(x, training=True, mask=torch.as_tensor(mask))
        np.testing.assert_allclose(_l(got), _k(expected), rtol=1e-4, atol=1e-4)
        _assert_same_weights(keras_layer, ours)
    # inference ignores the mask in both
    np.testing.assert_allclose(_l(ours(x, mask=torch.as_tensor(mask))),
                               _k(keras_layer(x, mask=mask)), **TOL)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("case", ["dense_axis_-1", "image_channels_last",
                                  "image_channels_first_axis_1", "renorm_clipped"])
def test_batch_normalization_gradients(case, training):
    shape, kwargs = BN_CASES[case]
    x = _data(*shape)
    keras_layer, ours = _pair(keras.layers.BatchNormalization, BatchNormalization, x, **kwargs)
    _shared_weights(keras_layer, ours)
    target = torch.tensor(_data(*shape, seed=5))
    grads = []
    for layer, weights in ((keras_layer, [w.value for w in keras_layer.trainable_weights]),
                           (ours, list(ours.trainable_weights))):
        xt = torch.tensor(x, requires_grad=True)
        loss = ((layer(xt, training=training) - target) ** 2).mean()
        loss.backward()
        grads.append([_l(xt.grad)] + [_l(w.grad) for w in weights])
        for w in weights:
            w.grad = None
    assert len(grads[0]) == len(grads[1]) >= 2
    for k, ours_grad in zip(*grads):
        np.testing.assert_allclose(ours_grad, k, rtol=1e-4, atol=1e-5)


def test_batch_normalization_config_matches_keras():
    kwargs = dict(axis=1, momentum=0.9, epsilon=1e-5, center=False,
                  gamma_initializer="he_normal", moving_variance_initializer="zeros",
                  gamma_regularizer="l2", beta_constraint="non_neg", renorm=True,
                  renorm_clipping={"rmax": 2.0}, renorm_momentum=0.5, name="bn")
    keras_config = keras.layers.BatchNormalization(**kwargs).get_config()
    ours_config = BatchNormalization(**kwargs).get_config()
    assert list(ours_config) == list(keras_config)
    assert ours_config == keras_config
    assert BatchNormalization(name="bn2").get_config() == \
        keras.layers.BatchNormalization(name="bn2").get_config()


def test_batch_normalization_configs_load_both_ways():
    keras_layer = keras.layers.BatchNormalization(axis=1, momentum=0.8, scale=False,
                                                  renorm=True, name="from_keras")
    ours = BatchNormalization.from_config(keras_layer.get_config())
    assert ours.get_config() == keras_layer.get_config()
    ours = BatchNormalization(epsilon=1e-4, center=False, name="from_layerwise")
    back = keras.layers.BatchNormalization.from_config(ours.get_config())
    assert back.get_config() == ours.get_config()


# ====================================================================== LayerNormalization

LN_CASES = {
    "dense_axis_-1": ((8, 6), {}),
    "sequence_axis_-1": ((4, 7, 5), {"epsilon": 1e-6}),
    "axes_1_2_3": ((2, 3, 4, 5), {"axis": [1, 2, 3]}),
    "axes_-2_-1": ((2, 3, 4, 5), {"axis": [-2, -1]}),
    "axes_1_3": ((2, 3, 4, 5), {"axis": [1, 3]}),
    "axes_-1_1": ((2, 3, 4, 5), {"axis": [-1, 1]}),
    "axes_-1_2": ((2, 3, 4, 5), {"axis": (-1, 2)}),
    "center_off": ((4, 7, 5), {"center": False}),
    "scale_off": ((4, 7, 5), {"scale": False}),
    "center_and_scale_off": ((2, 3, 4, 5), {"axis": [1, 3], "center": False, "scale": False}),
    "rms_scaling": ((4, 7, 5), {"rms_scaling": True}),
    "rms_scaling_axes_1_2": ((4, 7, 5), {"rms_scaling": True, "axis": [1, 2]}),
}


def _ln_pair(x, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rms_scaling's deprecation warning, in both
        return _pair(keras.layers.LayerNormalization, LayerNormalization, x, **kwargs)


@pytest.mark.parametrize("case", list(LN_CASES))
def test_layer_normalization_outputs(case):
    shape, kwargs = LN_CASES[case]
    x = _data(*shape)
    keras_layer, ours = _ln_pair(x, **kwargs)
    if ours.weights:
        _shared_weights(keras_layer, ours)
    assert [w.name for w in ours.weights] == [w.name for w in keras_layer.weights]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for training in (False, True):
            np.testing.assert_allclose(_l(ours(x, training=training)),
                                       _k(keras_layer(x, training=training)), rtol=1e-4, atol=1e-4)
    assert ours.get_config() == keras_layer.get_config()  # the axis is now a sorted list in both


@pytest.mark.parametrize("case", ["sequence_axis_-1", "axes_1_3", "rms_scaling"])
def test_layer_normalization_gradients(case):
    shape, kwargs = LN_CASES[case]
    x = _data(*shape)
    keras_layer, ours = _ln_pair(x, **kwargs)
    _shared_weights(keras_layer, ours)
    target = torch.tensor(_data(*shape, seed=5))
    grads = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for layer, weights in ((keras_layer, [w.value for w in keras_layer.trainable_weights]),
                               (ours, list(ours.trainable_weights))):
            xt = torch.tensor(x, requires_grad=True)
            ((layer(xt) - target) ** 2).mean().backward()
            grads.append([_l(xt.grad)] + [_l(w.grad) for w in weights])
    for k, ours_grad in zip(*grads):
        np.testing.assert_allclose(ours_grad, k, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("shape, axis, keras_axis, perm", [
    ((2, 3, 4, 5), [1, 2], [2, 3], (0, 3, 1, 2)),
    ((4, 3, 5), 1, 2, (0, 2, 1)),
    ((4, 3, 5), [0, 1], [1, 2], (2, 0, 1)),
])
def test_layer_normalization_inner_axes(shape, axis, keras_axis, perm):
    # Keras on its torch backend hands contiguous axes to F.layer_norm, which only normalizes
    # trailing axes, so LayerNormalization(axis=1) of a 3-D input fails there. layerwise
    # computes it; the oracle is Keras on the same data with those axes moved last (the
    # weights keep their shape).
    x = _data(*shape)
    ours = LayerNormalization(axis=axis)
    keras_layer = keras.layers.LayerNormalization(axis=keras_axis)
    moved = np.ascontiguousarray(x.transpose(perm))
    ours.build(x.shape)
    keras_layer.build(moved.shape)
    _shared_weights(keras_layer, ours)
    expected = _k(keras_layer(moved)).transpose(np.argsort(perm))
    np.testing.assert_allclose(_l(ours(x)), expected, rtol=1e-4, atol=1e-4)
    with pytest.raises(RuntimeError):  # the Keras limitation this test works around
        keras.layers.LayerNormalization(axis=axis)(x)


def test_layer_normalization_config_matches_keras():
    kwargs = dict(axis=(3, 1), epsilon=1e-6, scale=False, beta_initializer="ones",
                  beta_regularizer="l2", gamma_constraint="non_neg", name="ln")
    keras_layer = keras.layers.LayerNormalization(**kwargs)
    ours = LayerNormalization(**kwargs)
    assert list(ours.get_config()) == list(keras_layer.get_config())
    assert ours.get_config() == keras_layer.get_config()
    back = keras.layers.LayerNormalization.from_config(LayerNormalization(name="x").get_config())
    assert back.get_config() == LayerNormalization(name="x").get_config()
    assert LayerNormalization.from_config(keras_layer.get_config()).get_config() == \
        keras_layer.get_config()


# ====================================================================== models


def _course_model(lib, L):
    return lib.Sequential([lib.Input((89,)), L.BatchNormalization(),
                           L.Dense(100, activation="relu"), L.BatchNormalization(), L.Dense(1)])


def _count(weights):
    return sum(int(np.prod(tuple(w.shape))) for w in weights)


def test_course_batchnorm_model_parameter_counts():
    class Ours:
        BatchNormalization = BatchNormalization
        Dense = Dense

    keras_model = _course_model(keras, keras.layers)
    ours = _course_model(layerwise, Ours)
    assert ours.count_params() == keras_model.count_params() == 9857
    assert _count(ours.trainable_weights) == _count(keras_model.trainable_weights) == 9479
    assert _count(ours.non_trainable_weights) == _count(keras_model.non_trainable_weights) == 378
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in keras_model.weights]


def test_course_batchnorm_model_outputs_and_statistics():
    class Ours:
        BatchNormalization = BatchNormalization
        Dense = Dense

    keras_model = _course_model(keras, keras.layers)
    ours = _course_model(layerwise, Ours)
    rng = np.random.default_rng(3)
    weights = [rng.normal(size=tuple(w.shape)).astype("float32") * 0.2 for w in keras_model.weights]
    weights = [np.abs(w) + 0.5 if w_k.name == "moving_variance" else w
               for w, w_k in zip(weights, keras_model.weights)]
    keras_model.set_weights(weights)
    ours.set_weights(weights)
    for step in range(3):
        x = _data(32, 89, seed=step)
        np.testing.assert_allclose(_l(ours(x, training=True)),
                                   _k(keras_model(x, training=True)), rtol=1e-4, atol=1e-4)
    for k, o in zip(keras_model.weights, ours.weights):
        np.testing.assert_allclose(o.numpy(), _k(k.value), **TOL)
    x = _data(16, 89, seed=50)
    np.testing.assert_allclose(_l(ours(x)), _k(keras_model(x)), rtol=1e-4, atol=1e-4)
