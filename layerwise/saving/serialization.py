"""Keras 3 object configs: ``{"module", "class_name", "config", "registered_name"}``.

:func:`serialize_keras_object` writes the same dict Keras writes, so one
config file serves both libraries. :func:`deserialize_keras_object` turns
such a dict (or a bare name such as ``"relu"``) back into an object using
only the registry: the ``module`` field is never imported.
"""

import contextlib
import threading

from layerwise.saving import registry


def serialize_keras_object(obj):
    """The Keras config dict of ``obj`` (None, numbers, strings and lists pass through).

    Plain functions (activations, losses) serialize to their registered name,
    as Keras does: ``serialize_keras_object(activations.relu) == "relu"``.
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, type) or callable(obj) and not hasattr(obj, "get_config"):
        return registry.get_registered_name(obj)
    cls = type(obj)
    registered = registry.get_registered_name(cls)
    is_user_class = ">" in registered
    return {
        # Built-ins carry Keras's module name (set on the class itself by ``registry.builtin``); a
        # user's class, registered or not, its own module, as Keras writes it.
        "module": cls.__dict__.get("_keras_module", cls.__module__) if not is_user_class else cls.__module__,
        "class_name": cls.__name__,
        "config": obj.get_config(),
        "registered_name": registered if is_user_class else None,
    }


def deserialize_keras_object(config, category, custom_objects=None, what=None):
    """Build the object ``config`` describes, looking classes up in ``category``.

    ``config`` is a name (``"relu"``, ``"glorot_uniform"``), a Keras config
    dict, or a Keras 2 style ``{"class_name", "config"}`` dict. ``what`` names
    the argument for error messages (default: the category). Unknown names
    raise ``ValueError`` listing what is known; nothing is imported.
    """
    what = what or (category[:-1] if category.endswith("s") else category)
    if isinstance(config, str):
        obj = registry.get_registered_object(config, custom_objects, category)
        if obj is None:
            raise ValueError(_unknown_message(config, category, what))
        return obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(
            f"Could not interpret {what} {config!r}: expected a name or a config dict "
            "with 'class_name' and 'config'."
        )
    if config["class_name"] == "function":  # Keras's config for a plain function: its name
        return deserialize_keras_object(config["config"], category, custom_objects, what)
    name = config.get("registered_name") or config["class_name"]
    cls = registry.get_registered_object(name, custom_objects, category)
    if cls is None and name != config["class_name"]:
        cls = registry.get_registered_object(config["class_name"], custom_objects, category)
    if cls is None:
        raise ValueError(_unknown_message(name, category, what))
    inner = config.get("config", {})
    if not hasattr(cls, "from_config"):
        return cls  # a registered function: its config is just its name
    return cls.from_config(inner)


def get_object(identifier, category, what, example, custom_objects=None):
    """Resolve what a user passes for an initializer, regularizer, constraint, ...

    ``None`` stays ``None``; a name or a config dict is deserialized (a class
    found that way is instantiated with its defaults); a class is
    instantiated; any other callable is returned as it is.
    ``example`` is a valid name quoted in the error message.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        identifier = deserialize_keras_object(identifier, category, custom_objects, what=what)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret {what} identifier {identifier!r}: expected None, a name such as "
        f"{example!r}, a config dict, or a callable."
    )


def _unknown_message(name, category, what):
    known = sorted(n for n in registry.builtin_objects(category) if not n[0].isupper())
    if not known:
        known = sorted(registry.builtin_objects(category))
    return (
        f"Unknown {what} {name!r}. Known {category}: {', '.join(known)}. "
        "If it is your own, register it with @layerwise.saving.register_serializable() "
        "or pass it in custom_objects."
    )


_unsafe_deserialization = False
# The ``safe_mode`` of the loading call in progress (per thread); None outside any loader.
_safe_mode_state = threading.local()


@contextlib.contextmanager
def safe_mode_scope(safe_mode=True):
    """Within the block, :func:`in_safe_mode` answers ``safe_mode`` (the loaders' argument).

    ``enable_unsafe_deserialization()`` still wins, as in Keras.
    """
    previous = getattr(_safe_mode_state, "value", None)
    _safe_mode_state.value = bool(safe_mode)
    try:
        yield
    finally:
        _safe_mode_state.value = previous


def enable_unsafe_deserialization():
    """Allow configs to carry Python bytecode (``Lambda`` layers). Only for files you trust.

    Equivalent of ``keras.config.enable_unsafe_deserialization()``; the
    loaders' ``safe_mode=False`` does the same for one call.
    """
    global _unsafe_deserialization
    _unsafe_deserialization = True


def in_safe_mode():
    """True unless unsafe deserialization was enabled or the loader runs with ``safe_mode=False``.

    The default is True: code carried by a file (Lambda bytecode) is refused.
    """
    if _unsafe_deserialization:
        return False
    scoped = getattr(_safe_mode_state, "value", None)
    return True if scoped is None else scoped
