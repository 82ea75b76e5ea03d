"""Optimizers, shaped like ``keras.optimizers``.

Every optimizer computes exactly what Keras 3 computes (on its torch backend),
with all weights updated at once by ``torch._foreach_*`` ops:

>>> import layerwise as keras
>>> import layerwise.optimizers
>>> model.compile(optimizer="adam", loss="mse")                 # a fresh Adam()
>>> model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), loss="mse")
>>> keras.optimizers.get("RMSprop").learning_rate.numpy()
array(0.001, dtype=float32)

Learning rate schedules live in :mod:`layerwise.optimizers.schedules`.
"""

from layerwise.optimizers import schedules
from layerwise.optimizers.adadelta import Adadelta
from layerwise.optimizers.adagrad import Adagrad
from layerwise.optimizers.adam import Adam, AdamW
from layerwise.optimizers.adamax import Adamax
from layerwise.optimizers.ftrl import Ftrl
from layerwise.optimizers.loss_scale_optimizer import LossScaleOptimizer
from layerwise.optimizers.nadam import Nadam
from layerwise.optimizers.optimizer import Optimizer
from layerwise.optimizers.rmsprop import RMSprop
from layerwise.optimizers.sgd import SGD
from layerwise.saving import registry
from layerwise.saving.serialization import deserialize_keras_object, serialize_keras_object

_CATEGORY = "optimizers"

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "LossScaleOptimizer",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]


def _builtin_name(name):
    """Built-in optimizer names are case-insensitive, as in Keras (``"Adam"``, ``"ADAM"``, ``"adam"``)."""
    if isinstance(name, str) and name.lower() in registry.builtin_objects(_CATEGORY):
        return name.lower()
    return name


def serialize(optimizer):
    """The Keras config dict of an optimizer.

    Example:

    >>> keras.optimizers.serialize(keras.optimizers.SGD(momentum=0.9))["config"]["momentum"]
    0.9
    """
    return serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    """Build the optimizer a Keras config dict describes (without state).

    Class names of built-in optimizers are case-insensitive, as in Keras.

    Example:

    >>> keras.optimizers.deserialize({"class_name": "Adam", "config": {"learning_rate": 0.01}})
    <Adam name=adam, learning_rate=0.009999999776482582, built=False>
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"Could not interpret optimizer config {config!r}: expected a dict with 'class_name' and "
            "'config' (as written by keras.optimizers.serialize)."
        )
    config = dict(config)
    if config.get("registered_name") is not None:
        config["registered_name"] = _builtin_name(config["registered_name"])
    config["class_name"] = _builtin_name(config["class_name"])
    inner = dict(config.get("config") or {})
    if isinstance(inner.get("learning_rate"), dict):
        inner["learning_rate"] = schedules.deserialize(inner["learning_rate"], custom_objects)
    config["config"] = inner
    optimizer = deserialize_keras_object(config, _CATEGORY, custom_objects, what="optimizer")
    if isinstance(optimizer, type):
        optimizer = optimizer()
    return optimizer


def get(identifier):
    """Resolve an optimizer given as a name, a config dict or an instance.

    A name (case-insensitive: ``"adam"``, ``"Adam"``, ``"sgd"``, ``"rmsprop"``,
    ``"adamw"``, ``"adagrad"``, ``"adadelta"``, ``"adamax"``, ``"nadam"``,
    ``"ftrl"``) gives a fresh optimizer with Keras's defaults; an
    ``Optimizer`` instance is returned as it is; ``None`` stays ``None``.

    Example:

    >>> keras.optimizers.get("adam").get_config()["learning_rate"]
    0.0010000000474974513
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        optimizer = deserialize({"class_name": identifier, "config": {}})
    elif isinstance(identifier, dict):
        optimizer = deserialize(identifier)
    elif isinstance(identifier, type) and issubclass(identifier, Optimizer):
        optimizer = identifier()
    else:
        optimizer = None
    if not isinstance(optimizer, Optimizer):
        raise ValueError(  # noqa: TRY004 (Keras raises ValueError here)
            f"Could not interpret optimizer identifier: {identifier!r}. Expected an optimizer name such "
            "as 'adam', a config dict, or a keras.optimizers.Optimizer instance."
        )
    return optimizer
