"""Saving, loading and the registry of serializable classes."""

from layerwise.saving.registry import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_serializable,
)
from layerwise.saving.serialization import deserialize_keras_object, serialize_keras_object

register_keras_serializable = register_serializable

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
    "register_serializable",
    "serialize_keras_object",
]
