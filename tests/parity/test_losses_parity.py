"""Parity with real Keras 3 (torch backend): every loss class and function, same inputs, same numbers.

Each case runs the class form under every reduction, with and without sample
weights and masks, and the function form, on random inputs of several shapes;
gradients with respect to ``y_pred`` are compared too. Configs, serialization
and name lookup are compared with Keras's own.
"""

import warnings
import zlib

import numpy as np
import pytest
import torch

keras = pytest.importorskip("keras")

from keras.src.losses import ALL_OBJECTS_DICT as KERAS_LOSSES
from keras.src.losses.losses import LossFunctionWrapper as KerasLossFunctionWrapper

from layerwise import losses, saving

RTOL, ATOL = 1e-5, 1e-6
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _class_axis(shape, kwargs):
    return kwargs.get("axis", -1) % len(shape)


def make_data(kind, shape, kwargs, rng):
    """(y_true, y_pred, per-sample loss shape) as numpy arrays for a loss of data ``kind``."""
    f32 = np.float32
    logits = kwargs.get("from_logits", False)
    if kind == "regression":
        return rng.normal(size=shape).astype(f32), rng.normal(size=shape).astype(f32), shape[:-1]
    if kind == "positive":
        return (rng.uniform(0.1, 3.0, size=shape).astype(f32), rng.uniform(0.1, 3.0, size=shape).astype(f32),
                shape[:-1])
    if kind == "with_zeros":  # MSLE / Poisson / MAPE also see exact zeros and negatives
        y_true = rng.uniform(-0.5, 3.0, size=shape).astype(f32)
        y_true[..., 0] = 0.0
        return y_true, rng.uniform(-0.5, 3.0, size=shape).astype(f32), shape[:-1]
    if kind == "distribution":
        y_true = _softmax(rng.normal(size=shape), -1).astype(f32)
        y_true[..., 0] = 0.0
        return y_true, _softmax(rng.normal(size=shape), -1).astype(f32), shape[:-1]
    if kind in ("binary", "binary_int", "soft_binary"):
        z = rng.normal(scale=3.0, size=shape).astype(f32)
        if kind == "soft_binary":
            y_true = rng.uniform(0, 1, size=shape).astype(f32)
        else:
            y_true = rng.integers(0, 2, size=shape)
            y_true = y_true if kind == "binary_int" else y_true.astype(f32)
        y_pred = z if logits else _sigmoid(z).astype(f32)
        axis = kwargs.get("axis", -1)
        per_sample = tuple(d for i, d in enumerate(shape) if i != axis % len(shape))
        return y_true, y_pred, per_sample
    if kind == "categorical":
        axis = _class_axis(shape, kwargs)
        classes = shape[axis]
        labels = rng.integers(0, classes, size=shape[:axis] + shape[axis + 1:])
        y_true = np.moveaxis(np.eye(classes, dtype=f32)[labels], -1, axis)
        z = rng.normal(scale=2.0, size=shape).astype(f32)
        y_pred = z if logits else _softmax(z, axis).astype(f32)
        return y_true, y_pred, shape[:axis] + shape[axis + 1:]
    if kind in ("sparse", "sparse_col", "sparse_float"):
        axis = _class_axis(shape, kwargs)
        classes = shape[axis]
        label_shape = shape[:axis] + shape[axis + 1:]
        labels = rng.integers(0, classes, size=label_shape)
        ignore = kwargs.get("ignore_class")
        if ignore is not None:
            labels.flat[:: 3] = ignore
        if kind == "sparse_col":
            labels = labels[..., None]
        if kind == "sparse_float":
            labels = labels.astype(f32)
        z = rng.normal(scale=2.0, size=shape).astype(f32)
        y_pred = z if logits else _softmax(z, axis).astype(f32)
        return labels, y_pred, label_shape
    if kind in ("hinge", "hinge01"):
        low = 0 if kind == "hinge01" else -1
        y_true = rng.choice([low, 1], size=shape).astype(f32)
        return y_true, rng.normal(size=shape).astype(f32), shape[:-1]
    if kind == "onehot_scores":
        y_true = np.eye(shape[-1], dtype=f32)[rng.integers(0, shape[-1], size=shape[:-1])]
        return y_true, rng.normal(size=shape).astype(f32), shape[:-1]
    if kind == "cosine":
        y_true = rng.normal(size=shape).astype(f32)
        y_true.reshape(-1, shape[-1])[0] = 0.0  # a zero vector gives 0
        axis = kwargs.get("axis", -1)
        per_sample = tuple(d for i, d in enumerate(shape) if i != axis % len(shape))
        return y_true, rng.normal(size=shape).astype(f32), per_sample
    if kind == "segmentation":
        return (rng.integers(0, 2, size=shape).astype(f32), rng.uniform(0, 1, size=shape).astype(f32), None)
    if kind == "circle":
        y_pred = rng.normal(size=shape).astype(f32)
        y_pred /= np.linalg.norm(y_pred, axis=-1, keepdims=True)
        return rng.integers(0, 3, size=shape[:1]), y_pred, shape[:1]
    if kind == "ctc":
        batch, _steps, classes = shape
        labels = rng.integers(1, classes, size=(batch, 3))
        labels[0, 2] = 0
        return labels, rng.normal(size=shape).astype(f32), shape[:1]
    if kind == "cgce":
        return (rng.integers(0, shape[-1], size=shape[:-1]), _softmax(rng.normal(size=shape), -1).astype(f32),
                shape[:-1])
    raise AssertionError(kind)


SHAPES_2D_3D = [(8, 5), (4, 3, 5)]
ELEMENTWISE_SHAPES = [(8, 5), (4, 3, 5), (8, 1), (8,)]

# (class name, function name, class kwargs, data kind, shapes)
CASES = [
    ("MeanSquaredError", "mean_squared_error", {}, "regression", ELEMENTWISE_SHAPES),
    ("MeanAbsoluteError", "mean_absolute_error", {}, "regression", ELEMENTWISE_SHAPES),
    ("MeanAbsolutePercentageError", "mean_absolute_percentage_error", {}, "positive", ELEMENTWISE_SHAPES),
    ("MeanAbsolutePercentageError", "mean_absolute_percentage_error", {}, "with_zeros", SHAPES_2D_3D),
    ("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", {}, "positive", ELEMENTWISE_SHAPES),
    ("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", {}, "with_zeros", SHAPES_2D_3D),
    ("Huber", "huber", {}, "regression", ELEMENTWISE_SHAPES),
    ("Huber", "huber", {"delta": 0.5}, "regression", SHAPES_2D_3D),
    ("Huber", "huber", {"delta": 2.5}, "regression", SHAPES_2D_3D),
    ("LogCosh", "log_cosh", {}, "regression", ELEMENTWISE_SHAPES),
    ("KLDivergence", "kl_divergence", {}, "distribution", SHAPES_2D_3D),
    ("Poisson", "poisson", {}, "positive", SHAPES_2D_3D),
    ("Poisson", "poisson", {}, "with_zeros", SHAPES_2D_3D),
    ("Hinge", "hinge", {}, "hinge", SHAPES_2D_3D),
    ("Hinge", "hinge", {}, "hinge01", SHAPES_2D_3D),
    ("SquaredHinge", "squared_hinge", {}, "hinge", SHAPES_2D_3D),
    ("SquaredHinge", "squared_hinge", {}, "hinge01", SHAPES_2D_3D),
    ("CategoricalHinge", "categorical_hinge", {}, "onehot_scores", SHAPES_2D_3D),
    ("CosineSimilarity", "cosine_similarity", {}, "cosine", SHAPES_2D_3D),
    ("CosineSimilarity", "cosine_similarity", {"axis": 1}, "cosine", [(4, 3, 5)]),
    ("CosineSimilarity", "cosine_similarity", {"axis": 0}, "cosine", [(8, 5)]),
    ("BinaryCrossentropy", "binary_crossentropy", {}, "binary", ELEMENTWISE_SHAPES),
    ("BinaryCrossentropy", "binary_crossentropy", {}, "binary_int", SHAPES_2D_3D),
    ("BinaryCrossentropy", "binary_crossentropy", {}, "soft_binary", SHAPES_2D_3D),
    ("BinaryCrossentropy", "binary_crossentropy", {"from_logits": True}, "binary", ELEMENTWISE_SHAPES),
    ("BinaryCrossentropy", "binary_crossentropy", {"label_smoothing": 0.2}, "binary", SHAPES_2D_3D),
    ("BinaryCrossentropy", "binary_crossentropy", {"from_logits": True, "label_smoothing": 0.1}, "binary",
     SHAPES_2D_3D),
    ("BinaryCrossentropy", "binary_crossentropy", {"axis": 1}, "binary", [(4, 3, 5)]),
    ("BinaryCrossentropy", "binary_crossentropy", {"axis": 0, "from_logits": True}, "binary", [(8, 5)]),
    ("BinaryFocalCrossentropy", "binary_focal_crossentropy", {}, "binary", ELEMENTWISE_SHAPES),
    ("BinaryFocalCrossentropy", "binary_focal_crossentropy", {"from_logits": True}, "binary", SHAPES_2D_3D),
    ("BinaryFocalCrossentropy", "binary_focal_crossentropy",
     {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.5}, "binary", SHAPES_2D_3D),
    ("BinaryFocalCrossentropy", "binary_focal_crossentropy",
     {"apply_class_balancing": True, "from_logits": True, "label_smoothing": 0.1, "gamma": 0.0}, "binary",
     SHAPES_2D_3D),
    ("BinaryFocalCrossentropy", "binary_focal_crossentropy", {"axis": 1, "gamma": 3.0}, "soft_binary",
     [(4, 3, 5)]),
    ("CategoricalCrossentropy", "categorical_crossentropy", {}, "categorical", SHAPES_2D_3D),
    ("CategoricalCrossentropy", "categorical_crossentropy", {"from_logits": True}, "categorical", SHAPES_2D_3D),
    ("CategoricalCrossentropy", "categorical_crossentropy", {"label_smoothing": 0.1}, "categorical",
     SHAPES_2D_3D),
    ("CategoricalCrossentropy", "categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.2},
     "categorical", SHAPES_2D_3D),
    ("CategoricalCrossentropy", "categorical_crossentropy", {"axis": 1}, "categorical", [(4, 5, 3)]),
    ("CategoricalCrossentropy", "categorical_crossentropy", {"axis": 1, "from_logits": True,
                                                             "label_smoothing": 0.3}, "categorical", [(4, 5, 3)]),
    ("CategoricalFocalCrossentropy", "categorical_focal_crossentropy", {}, "categorical", SHAPES_2D_3D),
    ("CategoricalFocalCrossentropy", "categorical_focal_crossentropy", {"from_logits": True}, "categorical",
     SHAPES_2D_3D),
    ("CategoricalFocalCrossentropy", "categorical_focal_crossentropy",
     {"alpha": 0.6, "gamma": 1.0, "label_smoothing": 0.1}, "categorical", SHAPES_2D_3D),
    ("CategoricalFocalCrossentropy", "categorical_focal_crossentropy", {"axis": 1, "from_logits": True},
     "categorical", [(4, 5, 3)]),
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", {}, "sparse", SHAPES_2D_3D),
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", {}, "sparse_col", SHAPES_2D_3D),
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", {}, "sparse_float", SHAPES_2D_3D),
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", {"from_logits": True}, "sparse",
     SHAPES_2D_3D),
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", {"from_logits": True}, "sparse_col",
     SHAPES_2D_3D),
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", {"ignore_class": -1}, "sparse",
     SHAPES_2D_3D),
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy",
     {"ignore_class": 0, "from_logits": True}, "sparse", SHAPES_2D_3D),
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy",
     {"ignore_class": 255, "from_logits": True}, "sparse_col", SHAPES_2D_3D),
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", {"axis": 1}, "sparse", [(4, 5, 3)]),
    ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy",
     {"axis": 1, "from_logits": True, "ignore_class": 2}, "sparse", [(4, 5, 3)]),
    ("Dice", "dice", {}, "segmentation", SHAPES_2D_3D),
    ("Dice", "dice", {"axis": (1,)}, "segmentation", SHAPES_2D_3D),
    ("Dice", "dice", {"axis": (1, 2)}, "segmentation", [(4, 3, 5)]),
    ("Tversky", "tversky", {}, "segmentation", SHAPES_2D_3D),
    ("Tversky", "tversky", {"alpha": 0.3, "beta": 0.7, "axis": (1,)}, "segmentation", SHAPES_2D_3D),
    ("Circle", "circle", {}, "circle", [(8, 4)]),
    ("Circle", "circle", {"gamma": 16.0, "margin": 0.25, "remove_diagonal": False}, "circle", [(8, 4)]),
    ("CTC", "ctc", {}, "ctc", [(4, 7, 5)]),
]
CASE_IDS = [f"{c[0]}-{c[3]}-{c[2]}" for c in CASES]
SHAPED_CASES = [(case, shape) for case in CASES for shape in case[4]]
SHAPED_IDS = [f"{c[0]}-{c[3]}-{c[2]}-{shape}" for c, shape in SHAPED_CASES]
# Classes whose Keras config has no entry for these constructor arguments; layerwise writes them
# only when they differ from the default, so that the loss survives a save/load round trip.
EXTRA_CONFIG_KEYS = {"Huber": ("delta", 1.0), "CosineSimilarity": ("axis", -1),
                     "SparseCategoricalCrossentropy": ("axis", -1)}


def seed(*parts):
    """A stable seed per case (``hash`` of strings changes from run to run)."""
    return zlib.crc32(repr(parts).encode())


def tensor(array, requires_grad=False):
    t = torch.tensor(np.asarray(array))
    if requires_grad:
        t.requires_grad_(True)
    return t


def with_mask(y_pred, mask):
    y_pred = tensor(y_pred)
    if mask is not None:
        y_pred._keras_mask = torch.tensor(mask)
    return y_pred


def numpy(x):
    return x.detach().cpu().numpy()


def assert_close(ours, theirs):
    assert isinstance(ours, torch.Tensor)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(numpy(ours), numpy(theirs), rtol=RTOL, atol=ATOL)


def weights_for(per_sample, rng):
    """Sample-weight variants that broadcast against the per-sample losses, as Keras accepts them."""
    variants = [None, np.float32(2.5)]
    if per_sample:
        variants.append(rng.uniform(0, 2, size=per_sample).astype("float32"))
        if len(per_sample) == 1:
            variants.append(rng.uniform(0, 2, size=per_sample + (1,)).astype("float32"))
    return variants


def masks_for(per_sample, rng):
    if not per_sample:
        return [None]
    mask = rng.uniform(size=per_sample) > 0.35
    mask.flat[0] = True
    return [None, mask, np.zeros(per_sample, dtype=bool)]


def test_same_names_as_keras():
    ours = set(saving.registry.builtin_objects("losses"))
    # Keras 3.15 leaves CategoricalGeneralizedCrossEntropy out of its lookup table (only
    # deserializable from a full config); layerwise registers it by both names, and keeps the
    # Keras 2 spellings "logcosh" and "kullback_leibler_divergence".
    extras = {"CategoricalGeneralizedCrossEntropy", "categorical_generalized_cross_entropy", "logcosh",
              "kullback_leibler_divergence"}
    assert ours == set(KERAS_LOSSES) | extras
    for name, obj in KERAS_LOSSES.items():
        assert getattr(losses, obj.__name__).__name__ == obj.__name__, name


@pytest.mark.parametrize("case, shape", SHAPED_CASES, ids=SHAPED_IDS)
def test_class_equals_keras(case, shape):
    class_name, _, kwargs, kind, _ = case
    rng = np.random.default_rng(seed(class_name, kind, shape, kwargs))
    y_true, y_pred, per_sample = make_data(kind, shape, kwargs, rng)
    weights = weights_for(per_sample, rng) if per_sample is not None else [None, np.float32(2.5)]
    masks = masks_for(per_sample, rng) if per_sample is not None else [None]
    if class_name == "Circle":
        weights = [None]  # Keras's own circle mask has shape (batch,), weights would need the same
    compared = 0
    for reduction in REDUCTIONS:
        ours_loss = getattr(losses, class_name)(reduction=reduction, **kwargs)
        keras_loss = getattr(keras.losses, class_name)(reduction=reduction, **kwargs)
        for weight in weights:
            for mask in masks:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        expected = keras_loss(tensor(y_true), with_mask(y_pred, mask),
                                              sample_weight=None if weight is None else tensor(weight))
                    except RuntimeError:
                        # Keras multiplies the weight by the mask in place, which fails for a scalar
                        # weight with a mask (input mask or ignore_class); layerwise broadcasts it, as Keras does
                            # when given the broadcast weight.
                        assert np.ndim(weight) == 0 and (mask is not None or kwargs.get("ignore_class") is not None)
                        full = np.broadcast_to(weight, per_sample).copy()
                        expected = keras_loss(tensor(y_true), with_mask(y_pred, mask), sample_weight=tensor(full))
                    got = ours_loss(tensor(y_true), with_mask(y_pred, mask),
                                    sample_weight=None if weight is None else tensor(weight))
                assert_close(got, expected)
                compared += 1
        # numpy inputs give the same numbers
        np.testing.assert_allclose(numpy(ours_loss(y_true, y_pred)), numpy(keras_loss(tensor(y_true), tensor(y_pred))),
                                   rtol=RTOL, atol=ATOL)
    assert compared == len(REDUCTIONS) * len(weights) * len(masks)


@pytest.mark.parametrize("case, shape", SHAPED_CASES, ids=SHAPED_IDS)
def test_function_equals_keras(case, shape):
    _, fn_name, kwargs, kind, _ = case
    rng = np.random.default_rng(seed(fn_name, kind, shape, kwargs))
    y_true, y_pred, _ = make_data(kind, shape, kwargs, rng)
    ours = getattr(losses, fn_name)(tensor(y_true), tensor(y_pred), **kwargs)
    theirs = getattr(keras.losses, fn_name)(tensor(y_true), tensor(y_pred), **kwargs)
    assert_close(ours, theirs)
    if kind not in ("ctc", "circle"):
        np.testing.assert_allclose(numpy(getattr(losses, fn_name)(y_true, y_pred, **kwargs)), numpy(theirs),
                                   rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case, shape", SHAPED_CASES, ids=SHAPED_IDS)
def test_gradients_equal_keras(case, shape):
    class_name, _, kwargs, kind, _ = case
    rng = np.random.default_rng(seed("grad", class_name, kind, shape, kwargs))
    y_true, y_pred, per_sample = make_data(kind, shape, kwargs, rng)
    weight = rng.uniform(0, 2, size=per_sample).astype("float32") if per_sample else None
    for sample_weight in (None, weight):
        grads = []
        for module in (losses, keras.losses):
            pred = tensor(y_pred, requires_grad=True)
            sw = None if sample_weight is None else tensor(sample_weight)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                getattr(module, class_name)(**kwargs)(tensor(y_true), pred, sample_weight=sw).backward()
            grads.append(pred.grad)
        assert torch.isfinite(grads[0]).all()
        np.testing.assert_allclose(numpy(grads[0]), numpy(grads[1]), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_config_equals_keras(case):
    class_name, _, kwargs, _, _ = case
    ours = getattr(losses, class_name)(**kwargs)
    theirs = getattr(keras.losses, class_name)(**kwargs)
    expected = theirs.get_config()
    extra = EXTRA_CONFIG_KEYS.get(class_name)
    if extra is not None and kwargs.get(extra[0], extra[1]) != extra[1]:
        expected[extra[0]] = kwargs[extra[0]]
    assert ours.get_config() == expected
    # Keras builds the same loss from layerwise's config, and layerwise from Keras's.
    from_ours = type(theirs).from_config(ours.get_config())
    assert from_ours.get_config() == theirs.get_config()
    assert losses.deserialize(keras.losses.serialize(theirs)).get_config() == theirs.get_config()
    assert losses.serialize(ours)["class_name"] == class_name


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_default_configs_and_serialization_equal_keras(reduction):
    for class_name in sorted(n for n, o in KERAS_LOSSES.items() if isinstance(o, type)):
        if class_name in ("Loss", "LossFunctionWrapper"):
            continue
        ours = getattr(losses, class_name)(reduction=reduction, name="a_loss")
        theirs = getattr(keras.losses, class_name)(reduction=reduction, name="a_loss")
        assert losses.serialize(ours) == keras.losses.serialize(theirs), class_name
        assert losses.deserialize(keras.losses.serialize(theirs)).get_config() == theirs.get_config()


def test_category_generalized_cross_entropy_equals_keras():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, size=(6,))
    probs = _softmax(rng.normal(size=(6, 4)), -1).astype("float32")
    for q in (0.2, 0.5, 0.9):
        for reduction in REDUCTIONS:
            ours = losses.CategoricalGeneralizedCrossEntropy(q=q, reduction=reduction)
            theirs = keras.losses.CategoricalGeneralizedCrossEntropy(q=q, reduction=reduction)
            assert_close(ours(tensor(labels), tensor(probs)), theirs(tensor(labels), tensor(probs)))
            assert ours.get_config() == theirs.get_config()
        assert_close(losses.categorical_generalized_cross_entropy(labels, tensor(probs), q),
                     keras.losses.categorical_generalized_cross_entropy(tensor(labels), tensor(probs), q))


def test_function_serialization_equals_keras():
    for name, obj in KERAS_LOSSES.items():
        if isinstance(obj, type):
            continue
        ours = getattr(losses, obj.__name__)
        assert losses.serialize(ours) == keras.losses.serialize(obj), name
        assert losses.deserialize(keras.losses.serialize(obj)) is ours


def test_loss_function_wrapper_config_equals_keras():
    ours = losses.LossFunctionWrapper(losses.huber, delta=2.0, name="w")
    theirs = KerasLossFunctionWrapper(keras.losses.huber, delta=2.0, name="w")
    assert ours.get_config() == theirs.get_config()
    assert losses.serialize(ours) == keras.saving.serialize_keras_object(theirs)
    rebuilt = losses.deserialize(keras.saving.serialize_keras_object(theirs))
    assert isinstance(rebuilt, losses.LossFunctionWrapper) and rebuilt.fn is losses.huber
    y_true, y_pred = np.zeros((4, 3), "float32"), np.linspace(-4, 4, 12, dtype="float32").reshape(4, 3)
    assert_close(rebuilt(y_true, y_pred), theirs(tensor(y_true), tensor(y_pred)))
    # the base class and the wrapper name Keras's modules
    assert losses.serialize(losses.Loss(name="x")) == keras.losses.serialize(keras.losses.Loss(name="x"))


def test_get_resolves_names_as_keras_does():
    for name, obj in KERAS_LOSSES.items():
        if name in ("Loss", "LossFunctionWrapper"):
            continue
        ours, theirs = losses.get(name), keras.losses.get(name)
        if isinstance(obj, type):
            assert type(ours).__name__ == type(theirs).__name__ == name
            assert ours.get_config() == theirs.get_config()
        else:
            assert ours is getattr(losses, theirs.__name__)
    config = {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}
    assert losses.get(config).get_config() == keras.losses.get(config).get_config()
    assert losses.get(None) is keras.losses.get(None) is None


def test_loss_names_are_unique_like_keras():
    keras.utils.clear_session()
    assert [losses.Loss().name for _ in range(3)] == [keras.losses.Loss().name for _ in range(3)]


def test_mask_and_weights_without_in_place_changes():
    # Keras multiplies a float32 sample_weight tensor in place when a mask is present; layerwise
    # gives the same loss and leaves the caller's tensor alone.
    rng = np.random.default_rng(11)
    y_true, y_pred = rng.normal(size=(4, 3, 2)).astype("float32"), rng.normal(size=(4, 3, 2)).astype("float32")
    mask = np.array([[1, 0, 1], [1, 1, 0], [0, 0, 1], [1, 1, 1]], dtype=bool)
    weight = rng.uniform(0.5, 2, size=(4, 3)).astype("float32")
    ours_weight, keras_weight = tensor(weight), tensor(weight)
    got = losses.MeanSquaredError()(tensor(y_true), with_mask(y_pred, mask), sample_weight=ours_weight)
    expected = keras.losses.MeanSquaredError()(tensor(y_true), with_mask(y_pred, mask), sample_weight=keras_weight)
    assert_close(got, expected)
    np.testing.assert_array_equal(ours_weight.numpy(), weight)


def test_input_mask_combines_with_ignore_class_like_keras():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 4, size=(3, 6))
    labels[:, ::4] = -1
    logits = rng.normal(size=(3, 6, 4)).astype("float32")
    mask = rng.uniform(size=(3, 6)) > 0.3
    for reduction in REDUCTIONS:
        kwargs = {"from_logits": True, "ignore_class": -1, "reduction": reduction}
        got = losses.SparseCategoricalCrossentropy(**kwargs)(labels, with_mask(logits, mask))
        expected = keras.losses.SparseCategoricalCrossentropy(**kwargs)(tensor(labels), with_mask(logits, mask))
        assert_close(got, expected)


def test_empty_batch_equals_keras():
    for reduction in REDUCTIONS:
        got = losses.MeanSquaredError(reduction=reduction)(np.zeros((0, 3), "float32"), np.zeros((0, 3), "float32"))
        expected = keras.losses.MeanSquaredError(reduction=reduction)(tensor(np.zeros((0, 3), "float32")),
                                                                      tensor(np.zeros((0, 3), "float32")))
        assert tuple(got.shape) == tuple(expected.shape)
