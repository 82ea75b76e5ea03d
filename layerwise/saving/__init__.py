"""Saving, loading and the registry of serializable classes (``keras.saving``).

Models save to Keras 3's ``.keras`` zip (or, without an extension, the same
files in a directory), to legacy ``.h5``, and weights to ``.weights.h5``;
Keras reads layerwise's files and layerwise reads Keras's. Loading a file
never runs code from it: classes come only from the registry, and every
file is checked before it is trusted (see :mod:`layerwise.saving.safety`).

Example:

>>> model.save("weather.keras")
>>> model = layerwise.saving.load_model("weather.keras")
>>> @layerwise.saving.register_serializable(package="MyLayers")
... class Scale(layerwise.layers.Layer):
...     def call(self, x):
...         return 2 * x
"""

from layerwise.saving.api import load_model, load_weights, save_model, save_weights
from layerwise.saving.registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_serializable,
)
from layerwise.saving.safety import UnsafeFileError
from layerwise.saving.serialization import (
    deserialize_keras_object,
    enable_unsafe_deserialization,
    serialize_keras_object,
)

register_keras_serializable = register_serializable

__all__ = [
    "CustomObjectScope",
    "UnsafeFileError",
    "custom_object_scope",
    "deserialize_keras_object",
    "enable_unsafe_deserialization",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "register_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]
