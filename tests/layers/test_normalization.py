"""BatchNormalization and LayerNormalization: shapes, weights, statistics, freezing, configs, errors."""

import re

import numpy as np
import pytest
import torch

import layerwise
from layerwise.layers.core import Dense
from layerwise.layers.normalization import BatchNormalization, LayerNormalization


def _data(*shape, seed=0, scale=2.0, shift=1.0):
    return (np.random.default_rng(seed).normal(size=shape) * scale + shift).astype("float32")


def _np(tensor):
    return tensor.detach().cpu().numpy()


def _sizes(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


def _bn_reference(x, axis, mean, var, gamma=None, beta=None, epsilon=1e-3):
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    out = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + epsilon)
    if gamma is not None:
        out = out * gamma.reshape(shape)
    if beta is not None:
        out = out + beta.reshape(shape)
    return out


def _ln_reference(x, axes, gamma=None, beta=None, epsilon=1e-3):
    axes = tuple(a % x.ndim for a in axes)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    out = (x - mean) / np.sqrt(var + epsilon)
    shape = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]
    if gamma is not None:
        out = out * gamma.reshape(shape)
    if beta is not None:
        out = out + beta.reshape(shape)
    return out


def _set_random_weights(layer, seed=1):
    """Random gamma/beta/moving_mean and a positive moving_variance (and renorm stats)."""
    rng = np.random.default_rng(seed)
    values = []
    for w in layer.weights:
        value = rng.normal(size=w.shape).astype("float32")
        if "var" in w.name or "stddev" in w.name:
            value = np.abs(value) + 0.5
        values.append(value)
    layer.set_weights(values)
    return values


# ====================================================================== BatchNormalization


class TestBatchNormalizationShapes:
    @pytest.mark.parametrize("shape, axis", [((4, 5), -1), ((2, 6, 5), -1), ((2, 3, 4, 5), -1),
                                             ((2, 5, 4, 3), 1), ((2, 4, 5, 3), 2), ((5, 4, 3), 0)])
    def test_eager_output_shape_and_weight_shapes(self, shape, axis):
        layer = BatchNormalization(axis=axis)
        out = layer(_data(*shape))
        assert isinstance(out, torch.Tensor) and tuple(out.shape) == shape
        assert out.dtype == torch.float32
        size = shape[axis]
        assert [w.shape for w in layer.weights] == [(size,)] * 4

    def test_symbolic_output_shape(self):
        inputs = layerwise.Input((28, 28, 3))
        outputs = BatchNormalization()(inputs)
        assert outputs.shape == (None, 28, 28, 3)
        outputs = BatchNormalization(axis=1)(layerwise.Input((3, 8, None)))
        assert outputs.shape == (None, 3, 8, None)

    def test_compute_output_shape(self):
        layer = BatchNormalization(axis=1)
        assert layer.compute_output_shape((None, 3, 32, 32)) == (None, 3, 32, 32)
        assert BatchNormalization().compute_output_shape((8, 10)) == (8, 10)

    def test_compute_output_shape_refuses_axis_out_of_range(self):
        layer = BatchNormalization(axis=3, name="bn")
        with pytest.raises(ValueError, match=r"BatchNormalization 'bn' got axis=3, which is out of "
                                             r"range for inputs of rank 2"):
            layer.compute_output_shape((None, 4))


class TestBatchNormalizationWeights:
    def test_weight_names_order_and_trainability(self):
        layer = BatchNormalization(name="bn")
        layer.build((None, 7))
        assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
        assert [w.path for w in layer.weights] == ["bn/gamma", "bn/beta", "bn/moving_mean",
                                                    "bn/moving_variance"]
        assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
        assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
        assert layer.count_params() == 28
        assert _sizes(layer.trainable_weights) == 14 and _sizes(layer.non_trainable_weights) == 14

    def test_default_initial_values(self):
        layer = BatchNormalization()
        layer.build((None, 3))
        gamma, beta, mean, var = layer.get_weights()
        np.testing.assert_array_equal(gamma, np.ones(3))
        np.testing.assert_array_equal(beta, np.zeros(3))
        np.testing.assert_array_equal(mean, np.zeros(3))
        np.testing.assert_array_equal(var, np.ones(3))

    @pytest.mark.parametrize("center, scale, names", [
        (False, True, ["gamma", "moving_mean", "moving_variance"]),
        (True, False, ["beta", "moving_mean", "moving_variance"]),
        (False, False, ["moving_mean", "moving_variance"]),
    ])
    def test_center_and_scale_off_drop_weights(self, center, scale, names):
        layer = BatchNormalization(center=center, scale=scale)
        x = _data(6, 4)
        out = layer(x, training=True)
        assert [w.name for w in layer.weights] == names
        assert _sizes(layer.trainable_weights) == 4 * (center + scale)
        assert _sizes(layer.non_trainable_weights) == 8
        assert (layer.gamma is None) == (not scale) and (layer.beta is None) == (not center)
        expected = _bn_reference(x, 1, x.mean(0), x.var(0))
        np.testing.assert_allclose(_np(out), expected, rtol=1e-5, atol=1e-5)

    def test_renorm_adds_non_trainable_statistics(self):
        layer = BatchNormalization(renorm=True,
                                   moving_variance_initializer=layerwise.initializers.Constant(4.0))
        layer.build((None, 3))
        assert [w.name for w in layer.weights] == [
            "gamma", "beta", "moving_mean", "moving_variance", "moving_stddev", "renorm_mean",
            "renorm_stddev"]
        assert _sizes(layer.trainable_weights) == 6 and _sizes(layer.non_trainable_weights) == 15
        # the stddev statistics start at the square root of the moving-variance initializer
        np.testing.assert_allclose(layer.moving_stddev.numpy(), np.full(3, 2.0))
        np.testing.assert_allclose(layer.renorm_stddev.numpy(), np.full(3, 2.0))

    def test_scratch_statistics_are_not_weights_or_saved(self):
        layer = BatchNormalization()
        layer(_data(4, 3), training=True)
        assert len(layer.weights) == 4
        assert sorted(layer.state_dict()) == ["beta", "gamma", "moving_mean", "moving_variance"]

    def test_regularizers_and_constraints_reach_the_weights(self):
        layer = BatchNormalization(gamma_regularizer="l2", beta_regularizer="l1",
                                   gamma_constraint="non_neg", beta_constraint="max_norm")
        layer.build((None, 3))
        assert len(layer.losses) == 2
        assert layer.gamma.constraint is not None and layer.beta.constraint is not None
        assert layer.moving_mean.regularizer is None


class TestBatchNormalizationComputation:
    def test_inference_uses_moving_statistics(self):
        layer = BatchNormalization()
        x = _data(10, 4)
        layer.build(x.shape)
        gamma, beta, mean, var = _set_random_weights(layer)
        out = layer(x)  # layers infer by default
        np.testing.assert_allclose(_np(out), _bn_reference(x, 1, mean, var, gamma, beta),
                                   rtol=1e-5, atol=1e-5)
        out = layer(x, training=False)
        np.testing.assert_allclose(_np(out), _bn_reference(x, 1, mean, var, gamma, beta),
                                   rtol=1e-5, atol=1e-5)
        # inference leaves the moving statistics alone
        np.testing.assert_array_equal(layer.moving_mean.numpy(), mean)
        np.testing.assert_array_equal(layer.moving_variance.numpy(), var)

    @pytest.mark.parametrize("shape, axis", [((16, 5), -1), ((4, 6, 5), -1), ((4, 3, 5, 6), -1),
                                             ((4, 5, 3, 6), 1), ((4, 3, 5, 6), 2), ((5, 4, 3), 0)])
    def test_training_uses_batch_statistics_and_updates_moving_ones(self, shape, axis):
        layer = BatchNormalization(axis=axis, momentum=0.9, epsilon=1e-4)
        x = _data(*shape, seed=3)
        layer.build(x.shape)
        gamma, beta, moving_mean, moving_var = _set_random_weights(layer)
        reduce = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
        batch_mean, batch_var = x.mean(reduce), x.var(reduce)  # numpy: biased variance
        for _ in range(3):
            out = layer(x, training=True)
            np.testing.assert_allclose(
                _np(out), _bn_reference(x, axis, batch_mean, batch_var, gamma, beta, 1e-4),
                rtol=1e-4, atol=1e-4)
            moving_mean = moving_mean * 0.9 + batch_mean * 0.1
            moving_var = moving_var * 0.9 + batch_var * 0.1
        np.testing.assert_allclose(layer.moving_mean.numpy(), moving_mean, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(layer.moving_variance.numpy(), moving_var, rtol=1e-5, atol=1e-5)

    def test_channels_first_matches_channels_last(self):
        x = _data(4, 3, 5, 6)
        first = BatchNormalization(axis=1)
        last = BatchNormalization(axis=-1)
        first.build(x.shape)
        last.build(x.transpose(0, 2, 3, 1).shape)
        last.set_weights(_set_random_weights(first))
        for training in (False, True):
            a = _np(first(x, training=training))
            b = _np(last(x.transpose(0, 2, 3, 1), training=training)).transpose(0, 3, 1, 2)
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(first.moving_variance.numpy(), last.moving_variance.numpy(),
                                   rtol=1e-6)

    def test_single_value_per_feature_in_training(self):
        # a batch of one sample (the last, short batch of an epoch): variance 0, output = beta
        layer = BatchNormalization(momentum=0.5)
        x = _data(1, 4)
        layer.build(x.shape)
        gamma, beta, mean, var = _set_random_weights(layer)
        out = layer(x, training=True)
        np.testing.assert_allclose(_np(out), beta[None], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(layer.moving_mean.numpy(), mean * 0.5 + x[0] * 0.5, rtol=1e-6)
        np.testing.assert_allclose(layer.moving_variance.numpy(), var * 0.5, rtol=1e-6)

    def test_float64_and_float16_inputs_compute_in_float32(self):
        layer = BatchNormalization()
        x = _data(6, 3)
        reference = _np(layer(torch.tensor(x), training=True))
        for dtype in (torch.float64, torch.float16):
            out = layer(torch.tensor(x).to(dtype), training=False)
            assert out.dtype == torch.float32
        out = BatchNormalization()(torch.tensor(x, dtype=torch.float64), training=True)
        np.testing.assert_allclose(_np(out), reference, rtol=1e-5, atol=1e-5)

    def test_torch_train_mode_means_training(self):
        layer = BatchNormalization()
        x = _data(8, 3)
        layer.train()
        out = layer(x)
        np.testing.assert_allclose(_np(out).mean(0), np.zeros(3), atol=1e-5)
        assert not np.allclose(layer.moving_mean.numpy(), 0.0)

    def test_renorm_without_clipping_trains_like_batch_norm_at_first_step(self):
        # with fresh renorm statistics (mean 0, stddev 1) r = stddev, d = mean: the renorm output
        # is the plain output times r plus d, followed by gamma and beta
        x = _data(8, 3)
        layer = BatchNormalization(renorm=True, momentum=0.9, renorm_momentum=0.5)
        out = _np(layer(x, training=True))
        mean, var = x.mean(0), x.var(0)
        std = np.sqrt(var + 1e-3)
        np.testing.assert_allclose(out, (x - mean) / std * std + mean, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(layer.renorm_mean.numpy(), mean * 0.5, rtol=1e-5)
        np.testing.assert_allclose(layer.renorm_stddev.numpy(), 0.5 + std * 0.5, rtol=1e-5)
        new_std = 0.9 + std * 0.1
        np.testing.assert_allclose(layer.moving_stddev.numpy(), new_std, rtol=1e-5)
        np.testing.assert_allclose(layer.moving_variance.numpy(), new_std ** 2 - 1e-3, rtol=1e-5)


class TestBatchNormalizationMasks:
    def test_masked_positions_are_left_out_of_the_statistics(self):
        x = _data(4, 6, 3)
        mask = np.random.default_rng(2).random((4, 6)) > 0.4
        layer = BatchNormalization(momentum=0.0)
        out = layer(x, training=True, mask=torch.as_tensor(mask))
        kept = x[mask]  # (count, 3)
        np.testing.assert_allclose(layer.moving_mean.numpy(), kept.mean(0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(layer.moving_variance.numpy(), kept.var(0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(_np(out), _bn_reference(x, 2, kept.mean(0), kept.var(0)),
                                   rtol=1e-4, atol=1e-4)

    def test_mask_is_ignored_in_inference_and_passed_through(self):
        x = _data(2, 5, 3)
        mask = torch.tensor([[True] * 5, [True, True, False, False, False]])
        layer = BatchNormalization()
        out = layer(x, mask=mask)
        np.testing.assert_allclose(_np(out), _np(layer(x)))
        assert layer.supports_masking
        assert torch.equal(out._keras_mask, mask)

    def test_numpy_mask_is_accepted(self):
        x = _data(3, 4, 2)
        mask = np.ones((3, 4), dtype=bool)
        a = _np(BatchNormalization()(x, training=True, mask=mask))
        b = _np(BatchNormalization()(x, training=True))
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)

    def test_mask_of_wrong_rank_is_refused(self):
        layer = BatchNormalization(name="bn")
        with pytest.raises(ValueError, match=re.escape(
                "BatchNormalization 'bn' expects a mask with one dimension less than its inputs "
                "(the inputs' shape without the features axis), got mask shape (2, 5, 3) for "
                "inputs of shape (2, 5, 3).")):
            layer(_data(2, 5, 3), training=True, mask=torch.ones(2, 5, 3, dtype=torch.bool))

    def test_mask_that_does_not_broadcast_is_refused(self):
        layer = BatchNormalization(axis=1, name="bn")
        with pytest.raises(ValueError, match=r"BatchNormalization 'bn' got a mask of shape \(2, 4\) "
                                             r"that does not broadcast to its inputs of shape "
                                             r"\(2, 3, 4\)"):
            layer(_data(2, 3, 4), training=True, mask=torch.ones(2, 4, dtype=torch.bool))


class TestBatchNormalizationGradientsAndFreezing:
    @pytest.mark.parametrize("training", [True, False])
    @pytest.mark.parametrize("shape, axis", [((8, 3), -1), ((4, 3, 5, 2), 1), ((4, 3, 5, 2), -1)])
    def test_gradients_reach_gamma_beta_and_inputs(self, shape, axis, training):
        layer = BatchNormalization(axis=axis)
        x = torch.tensor(_data(*shape), requires_grad=True)
        layer.build(shape)
        _set_random_weights(layer)
        target = torch.tensor(_data(*shape, seed=9))
        loss = ((layer(x, training=training) - target) ** 2).sum()
        loss.backward()
        for weight in (layer.gamma, layer.beta, x):
            assert weight.grad is not None and torch.isfinite(weight.grad).all()
            assert weight.grad.abs().sum() > 0
        assert layer.moving_mean.grad is None and layer.moving_variance.grad is None

    def test_masked_and_renorm_paths_are_differentiable(self):
        for layer, kwargs in ((BatchNormalization(), {"mask": torch.rand(4, 5) > 0.3}),
                              (BatchNormalization(renorm=True), {})):
            x = torch.tensor(_data(4, 5, 3), requires_grad=True)
            out = layer(x, training=True, **kwargs)
            (out * torch.tensor(_data(4, 5, 3, seed=4))).pow(2).sum().backward()
            assert x.grad.abs().sum() > 0
            assert layer.gamma.grad.abs().sum() > 0 and layer.beta.grad.abs().sum() > 0

    def test_frozen_layer_runs_in_inference_mode(self):
        layer = BatchNormalization()
        x = _data(10, 4)
        layer.build(x.shape)
        gamma, beta, mean, var = _set_random_weights(layer)
        layer.trainable = False
        assert layer.trainable_weights == []
        assert _sizes(layer.non_trainable_weights) == 16
        xt = torch.tensor(x, requires_grad=True)
        out = layer(xt, training=True)
        np.testing.assert_allclose(_np(out), _bn_reference(x, 1, mean, var, gamma, beta),
                                   rtol=1e-5, atol=1e-5)
        np.testing.assert_array_equal(layer.moving_mean.numpy(), mean)
        np.testing.assert_array_equal(layer.moving_variance.numpy(), var)
        out.sum().backward()
        assert layer.gamma.grad is None and layer.beta.grad is None
        assert xt.grad is not None  # gradients still pass through to earlier layers

    def test_frozen_at_construction(self):
        layer = BatchNormalization(trainable=False)
        layer(_data(6, 2), training=True)
        np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(2))
        assert not layer.gamma.requires_grad and layer.get_config()["trainable"] is False

    def test_unfreezing_resumes_training_mode(self):
        layer = BatchNormalization()
        layer.trainable = False
        x = _data(8, 2)
        layer(x, training=True)
        layer.trainable = True
        layer(x, training=True)
        assert not np.allclose(layer.moving_mean.numpy(), 0.0)


class TestBatchNormalizationConfig:
    KEYS = {"name", "trainable", "dtype", "axis", "momentum", "epsilon", "center", "scale",
            "beta_initializer", "gamma_initializer", "moving_mean_initializer",
            "moving_variance_initializer", "beta_regularizer", "gamma_regularizer",
            "beta_constraint", "gamma_constraint", "synchronized", "renorm", "renorm_clipping",
            "renorm_momentum"}

    def test_config_keys_and_defaults(self):
        config = BatchNormalization(name="bn").get_config()
        assert set(config) == self.KEYS
        assert config["axis"] == -1 and config["momentum"] == 0.99 and config["epsilon"] == 0.001
        assert config["center"] is True and config["scale"] is True
        assert config["synchronized"] is False and config["renorm"] is False
        assert config["renorm_clipping"] is None and config["renorm_momentum"] == 0.99
        assert config["gamma_initializer"]["class_name"] == "Ones"
        assert config["moving_variance_initializer"]["class_name"] == "Ones"
        assert config["beta_regularizer"] is None

    def test_round_trip(self):
        layer = BatchNormalization(
            axis=1, momentum=0.9, epsilon=1e-5, center=False, gamma_initializer="he_normal",
            gamma_regularizer=layerwise.regularizers.L2(0.1), gamma_constraint="non_neg",
            renorm=True, renorm_clipping={"rmax": 3.0}, renorm_momentum=0.8, name="bn_custom")
        config = layer.get_config()
        clone = BatchNormalization.from_config(config)
        assert clone.get_config() == config
        assert clone.name == "bn_custom" and clone.axis == 1 and clone.renorm_clipping == {"rmax": 3.0}
        clone.build((None, 4, 5))
        assert [w.name for w in clone.weights] == ["gamma", "moving_mean", "moving_variance",
                                                   "moving_stddev", "renorm_mean", "renorm_stddev"]

    def test_round_trip_after_build_keeps_weight_layout(self):
        layer = BatchNormalization()
        layer(_data(3, 5))
        clone = BatchNormalization.from_config(layer.get_config())
        clone.build((None, 5))
        clone.set_weights(layer.get_weights())
        assert clone.get_config() == layer.get_config()

    def test_one_element_axis_list_from_tf_keras_2(self):
        layer = BatchNormalization(axis=[3])
        assert layer.get_config()["axis"] == 3
        assert layer(_data(2, 4, 4, 6)).shape == (2, 4, 4, 6)

    def test_renorm_clipping_defaults_to_empty_dict_with_renorm(self):
        assert BatchNormalization(renorm=True).get_config()["renorm_clipping"] == {}


class TestBatchNormalizationErrors:
    def test_axis_must_be_one_integer(self):
        with pytest.raises(TypeError, match=re.escape(
                "BatchNormalization 'bn' expects axis to be one integer (the features axis), got "
                "[1, 2]. Use axis=-1 for channels_last data or axis=1 for channels_first data")):
            BatchNormalization(axis=[1, 2], name="bn")
        with pytest.raises(TypeError, match="expects axis to be one integer .* got 'channels_last'"):
            BatchNormalization(axis="channels_last", name="bn")
        with pytest.raises(TypeError, match="expects axis to be one integer"):
            BatchNormalization(axis=True, name="bn")

    def test_axis_out_of_range_for_the_input_rank(self):
        layer = BatchNormalization(axis=2, name="bn")
        with pytest.raises(ValueError, match=re.escape(
                "BatchNormalization 'bn' got axis=2, which is out of range for inputs of rank 2 "
                "(shape (4, 3)): axis must be in [-2, 1]. Use axis=-1 for channels_last data or "
                "axis=1 for channels_first data.")):
            layer(_data(4, 3))
        with pytest.raises(ValueError, match=r"got axis=-5, which is out of range for inputs of "
                                             r"rank 4 \(shape \(None, 8, 8, 3\)\)"):
            BatchNormalization(axis=-5, name="bn2")(layerwise.Input((8, 8, 3)))

    def test_input_without_a_batch_axis(self):
        with pytest.raises(ValueError, match=re.escape(
                "BatchNormalization 'bn' expects inputs with a batch axis and at least one feature "
                "axis (rank >= 2), got shape (89,). A single sample needs a batch axis: reshape to "
                "(1, 89)")):
            BatchNormalization(name="bn")(_data(89))

    def test_rank_change_after_build_names_the_fix(self):
        layer = BatchNormalization(name="bn")
        layer(_data(4, 89))
        with pytest.raises(ValueError, match=re.escape(
                "BatchNormalization 'bn' expects inputs of rank 2, got rank 1 (shape (89,)). "
                "A single sample needs a batch axis: reshape to (1, 89)")):
            layer(_data(89))

    def test_unknown_size_on_the_normalized_axis(self):
        with pytest.raises(ValueError, match=re.escape(
                "BatchNormalization 'bn' normalizes axis -1 of its input, so that axis needs a "
                "known size, got input shape (None, 10, None). Give the model an Input with the "
                "full feature shape")):
            BatchNormalization(name="bn")(layerwise.Input((10, None)))

    def test_feature_size_change_after_build(self):
        layer = BatchNormalization(name="bn")
        layer(_data(4, 89))
        with pytest.raises(ValueError, match=r"BatchNormalization 'bn' expects inputs with last "
                                             r"dimension 89, got 88"):
            layer(_data(4, 88))
        layer = BatchNormalization(axis=1, name="bn_cf")
        layer(_data(2, 3, 4, 4))
        with pytest.raises(ValueError, match=r"BatchNormalization 'bn_cf' expects inputs with "
                                             r"dimension 3 on axis 1, got 4"):
            layer(_data(2, 4, 4, 4))

    @pytest.mark.parametrize("argument", ["momentum", "epsilon", "renorm_momentum"])
    def test_non_numeric_arguments(self, argument):
        kwargs = {argument: "small", "renorm": argument == "renorm_momentum"}
        with pytest.raises(TypeError, match=re.escape(
                f"BatchNormalization 'bn' expects {argument} to be a number, got 'small' (str).")):
            BatchNormalization(name="bn", **kwargs)

    def test_synchronized_is_refused(self):
        with pytest.raises(ValueError, match=re.escape(
                "BatchNormalization 'bn' got synchronized=True, which Keras supports only on its "
                "TensorFlow backend")):
            BatchNormalization(synchronized=True, name="bn")

    def test_renorm_clipping_is_checked(self):
        with pytest.raises(ValueError, match=re.escape(
                "BatchNormalization 'bn' got renorm_clipping={'rmax': 2.0, 'r_max': 3.0} with "
                "unknown keys ['r_max']; the supported keys are 'rmax', 'rmin' and 'dmax'.")):
            BatchNormalization(renorm=True, renorm_clipping={"rmax": 2.0, "r_max": 3.0}, name="bn")
        with pytest.raises(ValueError, match=re.escape(
                "BatchNormalization 'bn' got renorm_clipping with rmax=0.5 smaller than rmin=2.0")):
            BatchNormalization(renorm=True, renorm_clipping={"rmax": 0.5, "rmin": 2.0}, name="bn")
        with pytest.raises(ValueError, match=re.escape(
                "BatchNormalization 'bn' got renorm_clipping with dmax=-1; dmax must be "
                "non-negative.")):
            BatchNormalization(renorm=True, renorm_clipping={"dmax": -1}, name="bn")

    def test_unknown_keyword_argument(self):
        with pytest.raises(TypeError, match="Unrecognized keyword arguments passed to "
                                            "BatchNormalization: {'fused': True}"):
            BatchNormalization(fused=True)


class TestBatchNormalizationInModels:
    def test_course_model_parameter_counts(self):
        model = layerwise.Sequential([
            layerwise.Input((89,)), BatchNormalization(), Dense(100, activation="relu"),
            BatchNormalization(), Dense(1)])
        assert model.count_params() == 9857
        assert _sizes(model.trainable_weights) == 9479
        assert _sizes(model.non_trainable_weights) == 378

    def test_training_call_through_a_model_updates_every_layer(self):
        model = layerwise.Sequential([
            layerwise.Input((5,)), BatchNormalization(), Dense(4), BatchNormalization()])
        x = _data(16, 5)
        before = [w.numpy().copy() for w in model.non_trainable_weights]
        model(x, training=True)
        after = [w.numpy() for w in model.non_trainable_weights]
        # both statistics of the first layer, and the variance of the second (its input, a Dense
        # of batch-normalized data with zero bias, has batch mean 0, so its moving mean stays ~0)
        for index in (0, 1, 3):
            assert not np.allclose(before[index], after[index])
        np.testing.assert_allclose(after[3], 0.99 + 0.01 * _np(model.layers[1](
            _np(model.layers[0](x, training=True)))).var(0), rtol=1e-5)
        snapshot = model.non_trainable_weights[0].numpy()
        model(x)  # inference changes nothing
        np.testing.assert_array_equal(snapshot, model.non_trainable_weights[0].numpy())

    def test_frozen_model_keeps_moving_statistics(self):
        model = layerwise.Sequential([layerwise.Input((3,)), BatchNormalization()])
        model.trainable = False
        model(_data(8, 3), training=True)
        np.testing.assert_array_equal(model.layers[0].moving_mean.numpy(), np.zeros(3))


# ====================================================================== LayerNormalization


class TestLayerNormalizationShapes:
    @pytest.mark.parametrize("shape, axis, weight_shape", [
        ((4, 7), -1, (7,)), ((2, 5, 7), -1, (7,)), ((2, 3, 4, 5), [1, 2, 3], (3, 4, 5)),
        ((2, 3, 4, 5), [1, 3], (3, 5)), ((2, 3, 4, 5), [-1, 1], (5, 3)),
        ((2, 3, 4, 5), (-2, -1), (4, 5)), ((2, 3, 4, 5), [1, 2], (3, 4)), ((6, 3), 0, (6,)),
    ])
    def test_eager_output_and_weight_shapes(self, shape, axis, weight_shape):
        layer = LayerNormalization(axis=axis)
        out = layer(_data(*shape))
        assert tuple(out.shape) == shape and out.dtype == torch.float32
        assert [w.shape for w in layer.weights] == [weight_shape, weight_shape]

    def test_symbolic_output_shape(self):
        assert LayerNormalization()(layerwise.Input((None, 16))).shape == (None, None, 16)
        assert LayerNormalization(axis=[1, 2])(layerwise.Input((4, 5))).shape == (None, 4, 5)

    def test_compute_output_shape(self):
        assert LayerNormalization(axis=[1, 2]).compute_output_shape((None, 3, 4)) == (None, 3, 4)
        with pytest.raises(ValueError, match=r"LayerNormalization 'ln' got axis=3, but axis 3 is "
                                             r"out of range for inputs of rank 3"):
            LayerNormalization(axis=3, name="ln").compute_output_shape((None, 3, 4))

    def test_called_on_another_rank_with_negative_axes(self):
        layer = LayerNormalization()
        layer(_data(4, 6))
        x = _data(2, 3, 6)
        np.testing.assert_allclose(_np(layer(x)), _ln_reference(x, [-1]), rtol=1e-5, atol=1e-5)


class TestLayerNormalizationWeights:
    def test_weights_and_counts(self):
        layer = LayerNormalization(axis=[1, 2], name="ln")
        layer.build((None, 4, 5))
        assert [w.path for w in layer.weights] == ["ln/gamma", "ln/beta"]
        assert _sizes(layer.trainable_weights) == 40 and layer.non_trainable_weights == []
        np.testing.assert_array_equal(layer.gamma.numpy(), np.ones((4, 5)))
        np.testing.assert_array_equal(layer.beta.numpy(), np.zeros((4, 5)))

    @pytest.mark.parametrize("center, scale, names", [
        (False, True, ["gamma"]), (True, False, ["beta"]), (False, False, [])])
    def test_center_and_scale_off(self, center, scale, names):
        layer = LayerNormalization(center=center, scale=scale)
        x = _data(3, 6)
        out = layer(x)
        assert [w.name for w in layer.weights] == names
        np.testing.assert_allclose(_np(out), _ln_reference(x, [-1]), rtol=1e-5, atol=1e-5)

    def test_rms_scaling_warns_and_keeps_only_gamma(self):
        with pytest.warns(UserWarning, match="rms_scaling=True"):
            layer = LayerNormalization(rms_scaling=True, center=True, scale=False)
        x = _data(3, 6)
        out = layer(x)
        assert [w.name for w in layer.weights] == ["gamma"]
        # Keras's (deprecated) formula: x scaled by the inverse standard deviation, not centred
        expected = x / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
        np.testing.assert_allclose(_np(out), expected, rtol=1e-5, atol=1e-5)

    def test_regularizers_reach_losses(self):
        layer = LayerNormalization(gamma_regularizer="l2", beta_regularizer="l1")
        layer.build((None, 3))
        assert len(layer.losses) == 2


class TestLayerNormalizationComputation:
    @pytest.mark.parametrize("shape, axis", [
        ((4, 7), -1), ((2, 5, 7), -1), ((2, 3, 4, 5), [1, 2, 3]), ((2, 3, 4, 5), [1, 3]),
        ((2, 3, 4, 5), [1, 2]), ((2, 3, 4, 5), [-2, -1]), ((6, 3), 0), ((2, 3, 4), [0, 2]),
    ])
    def test_matches_the_formula(self, shape, axis):
        layer = LayerNormalization(axis=axis, epsilon=1e-5)
        x = _data(*shape, seed=5)
        layer.build(x.shape)
        rng = np.random.default_rng(6)
        gamma, beta = (rng.normal(size=w.shape).astype("float32") for w in layer.weights)
        layer.set_weights([gamma, beta])
        axes = [axis] if isinstance(axis, int) else list(axis)
        expected = _ln_reference(x, axes, gamma, beta, 1e-5)
        for training in (False, True):  # no difference between training and inference
            np.testing.assert_allclose(_np(layer(x, training=training)), expected,
                                       rtol=1e-4, atol=1e-4)

    def test_mixed_sign_axes_read_weights_in_keras_layout(self):
        # Keras sorts the raw axis values ([-1, 1]) for the weight shape, (5, 3), and reads the
        # weight row-major into the (3, 5) normalized block.
        x = _data(2, 3, 4, 5)
        layer = LayerNormalization(axis=[1, -1])
        layer.build(x.shape)
        gamma = np.arange(15, dtype="float32").reshape(5, 3)
        layer.set_weights([gamma, np.zeros((5, 3), "float32")])
        expected = _ln_reference(x, [1, 3], gamma.reshape(3, 5))
        np.testing.assert_allclose(_np(layer(x)), expected, rtol=1e-4, atol=1e-4)

    def test_gradients_reach_gamma_beta_and_inputs(self):
        for axis in (-1, [1, 3]):
            layer = LayerNormalization(axis=axis)
            x = torch.tensor(_data(2, 3, 4, 5), requires_grad=True)
            out = layer(x, training=True)
            ((out - torch.tensor(_data(2, 3, 4, 5, seed=8))) ** 2).sum().backward()
            for tensor in (layer.gamma, layer.beta, x):
                assert tensor.grad is not None and tensor.grad.abs().sum() > 0

    def test_frozen_layer_gets_no_gradient(self):
        layer = LayerNormalization()
        layer.trainable = False
        x = torch.tensor(_data(3, 4), requires_grad=True)
        (layer(x, training=True) ** 3).sum().backward()
        assert layer.gamma.grad is None and layer.beta.grad is None and x.grad is not None
        assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2

    def test_float64_input_computes_in_float32(self):
        out = LayerNormalization()(torch.tensor(_data(2, 3), dtype=torch.float64))
        assert out.dtype == torch.float32

    def test_mask_passes_through(self):
        mask = torch.tensor([[True, False, True]])
        out = LayerNormalization()(_data(1, 3, 4), mask=mask)
        assert torch.equal(out._keras_mask, mask)


class TestLayerNormalizationConfig:
    KEYS = {"name", "trainable", "dtype", "axis", "epsilon", "center", "scale", "rms_scaling",
            "beta_initializer", "gamma_initializer", "beta_regularizer", "gamma_regularizer",
            "beta_constraint", "gamma_constraint"}

    def test_config_keys_and_defaults(self):
        config = LayerNormalization().get_config()
        assert set(config) == self.KEYS
        assert config["axis"] == -1 and config["epsilon"] == 0.001
        assert config["rms_scaling"] is False and config["gamma_initializer"]["class_name"] == "Ones"

    def test_axis_becomes_a_sorted_list_once_built(self):
        layer = LayerNormalization()
        layer.build((None, 4))
        assert layer.get_config()["axis"] == [-1]
        layer = LayerNormalization(axis=(3, 1))
        assert layer.get_config()["axis"] == [3, 1]
        layer.build((None, 2, 3, 4))
        assert layer.get_config()["axis"] == [1, 3]

    def test_round_trip(self):
        layer = LayerNormalization(axis=[1, 2], epsilon=1e-6, center=False,
                                   gamma_initializer=layerwise.initializers.Constant(2.0),
                                   gamma_constraint="non_neg", name="ln_custom")
        layer(_data(2, 3, 4))
        config = layer.get_config()
        clone = LayerNormalization.from_config(config)
        assert clone.get_config() == config
        x = _data(2, 3, 4, seed=2)
        clone.build((None, 3, 4))
        clone.set_weights(layer.get_weights())
        np.testing.assert_allclose(_np(clone(x)), _np(layer(x)))
        np.testing.assert_allclose(layer.gamma.numpy(), np.full((3, 4), 2.0))

    def test_rms_scaling_round_trip(self):
        with pytest.warns(UserWarning):
            config = LayerNormalization(rms_scaling=True).get_config()
        assert config["rms_scaling"] is True
        with pytest.warns(UserWarning):
            assert LayerNormalization.from_config(config).rms_scaling is True


class TestLayerNormalizationErrors:
    @pytest.mark.parametrize("axis", ["last", 1.0, None])
    def test_axis_type(self, axis):
        with pytest.raises(TypeError, match=re.escape(
                f"LayerNormalization 'ln' expects axis to be an int or a list/tuple of ints, got "
                f"{axis!r} ({type(axis).__name__}). Use axis=-1 to normalize the features axis.")):
            LayerNormalization(axis=axis, name="ln")

    @pytest.mark.parametrize("axis", [[], [1, "2"], (1.5,)])
    def test_axis_list_contents(self, axis):
        with pytest.raises(TypeError, match=re.escape(
                f"LayerNormalization 'ln' expects axis to be an int or a non-empty list/tuple of "
                f"ints, got {axis!r}.")):
            LayerNormalization(axis=axis, name="ln")

    def test_axis_out_of_range(self):
        with pytest.raises(ValueError, match=re.escape(
                "LayerNormalization 'ln' got axis=[1, 4], but axis 4 is out of range for inputs of "
                "rank 3 (shape (2, 3, 4)): each axis must be in [-3, 2]. Use axis=-1 to normalize "
                "the features axis.")):
            LayerNormalization(axis=[1, 4], name="ln")(_data(2, 3, 4))

    def test_duplicate_axes(self):
        with pytest.raises(ValueError, match=re.escape(
                "LayerNormalization 'ln' got axis=[2, -1], which names the same dimension twice "
                "for inputs of rank 3; list each axis once.")):
            LayerNormalization(axis=[2, -1], name="ln")(_data(2, 3, 4))

    def test_unknown_size_on_a_normalized_axis(self):
        with pytest.raises(ValueError, match=re.escape(
                "LayerNormalization 'ln' normalizes axis [1, 2] of its input, so those axes need "
                "known sizes, got input shape (None, None, 8).")):
            LayerNormalization(axis=[1, 2], name="ln")(layerwise.Input((None, 8)))

    def test_size_change_after_build(self):
        layer = LayerNormalization(name="ln")
        layer(_data(2, 16))
        with pytest.raises(ValueError, match=r"LayerNormalization 'ln' expects inputs with last "
                                             r"dimension 16, got 15"):
            layer(_data(2, 15))

    def test_rank_too_small_after_build(self):
        layer = LayerNormalization(axis=[1, 2], name="ln")
        layer(_data(2, 3, 4))
        with pytest.raises(ValueError, match=r"LayerNormalization 'ln' expects inputs with at least "
                                             r"3 dimensions, got shape \(2, 3\)"):
            layer(_data(2, 3))

    def test_epsilon_must_be_a_number(self):
        with pytest.raises(TypeError, match=re.escape(
                "LayerNormalization 'ln' expects epsilon to be a number, got '1e-3' (str). "
                "Pass a float, e.g. epsilon=0.001.")):
            LayerNormalization(epsilon="1e-3", name="ln")
