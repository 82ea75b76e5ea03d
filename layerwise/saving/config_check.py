"""Refuse a model config before anything in it is built.

A config read from a file or a JSON string is untrusted. Before a single
object is created, :func:`check_config` walks the whole document and
refuses it (with :class:`~layerwise.saving.safety.UnsafeFileError`) if any
object it names cannot be found in the registry: layerwise's own classes
and functions, classes the user registered in this process, and
``custom_objects``. The ``module`` a config names is reported, never
imported. With ``safe_mode`` on (the default), anything that carries Python
code — a ``Lambda`` layer's bytecode — is refused as well.

Checking first means a hostile file never gets as far as creating a layer,
and the error says where in the config the refused object sits.

Example:

>>> check_config({"module": "os", "class_name": "system", "config": {}}, source="'evil.keras'")
Traceback (most recent call last):
...
UnsafeFileError: Refused 'evil.keras': its config names class 'system' from module 'os' (at the top level) ...
"""

from layerwise.saving import registry
from layerwise.saving.safety import UnsafeFileError

# Plain data Keras writes in configs: decoded by the loader itself, never looked up.
DATA_CLASS_NAMES = frozenset(
    {"__keras_tensor__", "__numpy__", "__tensor__", "__bytes__", "__ellipsis__", "__slice__", "__tuple__"}
)
# Keras objects layerwise reads as data (their config is just a name).
KNOWN_DATA_OBJECTS = frozenset({"DTypePolicy", "FloatDTypePolicy"})
# Markers of code carried by a config.
CODE_CLASS_NAMES = frozenset({"__lambda__"})

# Deeper nesting than this is not a model config; refusing it also keeps the walk off
# Python's recursion limit.
MAX_DEPTH = 200


def check_config(config, source="the config", custom_objects=None, safe_mode=True):
    """Refuse ``config`` if it names an unknown class or function, or carries code in safe mode.

    Args:
        config: the parsed config (dicts, lists, strings, numbers).
        source: how messages name what is being loaded, e.g. ``"'model.keras'"``.
        custom_objects: ``{name: object}`` the caller allows in addition to the registry.
        safe_mode: refuse ``Lambda`` bytecode and any other code-bearing object.

    Raises:
        UnsafeFileError: with the location of the first refused object.
    """
    _walk(config, "the top level", source, custom_objects or {}, safe_mode, 0, None)


def _walk(node, where, source, custom_objects, safe_mode, depth, owner):
    if depth > MAX_DEPTH:
        raise UnsafeFileError(
            f"Refused {source}: its config is nested more than {MAX_DEPTH} levels deep (at {where}); "
            "a model config is not."
        )
    if isinstance(node, dict):
        if "class_name" in node:
            _check_object(node, where, source, custom_objects, safe_mode, owner)
            inner = node.get("config")
            if isinstance(inner, dict) and isinstance(inner.get("name"), str):
                owner = f"{node['class_name']} '{inner['name']}'"
        for key, value in node.items():
            if not isinstance(key, str):
                raise UnsafeFileError(f"Refused {source}: a config key at {where} is not a string.")
            _walk(value, _join(where, key), source, custom_objects, safe_mode, depth + 1, owner)
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            _walk(value, f"{_location(where)}[{index}]", source, custom_objects, safe_mode, depth + 1,
                  owner)
    elif not (node is None or isinstance(node, (str, bool, int, float))):
        raise UnsafeFileError(
            f"Refused {source}: its config holds a {type(node).__name__} at {where}; "
            "configs hold only JSON values."
        )


def _check_object(node, where, source, custom_objects, safe_mode, owner):
    class_name = node["class_name"]
    if not isinstance(class_name, str):
        raise UnsafeFileError(f"Refused {source}: the 'class_name' at {where} is not a string.")
    if class_name in CODE_CLASS_NAMES:
        if safe_mode:
            raise UnsafeFileError(
                f"Refused {source}: {'layer ' + owner if owner else 'it'} carries a Python function as "
                "bytecode "
                f"(at {where}); loading it would run code from the file. If you trust the file, load "
                "it with safe_mode=False."
            )
        return
    if class_name in DATA_CLASS_NAMES or class_name in KNOWN_DATA_OBJECTS:
        return
    if class_name == "__typespec__":
        raise UnsafeFileError(
            f"Refused {source}: it holds a TensorFlow type spec (at {where}), which layerwise cannot read."
        )
    if class_name == "function":
        name = node.get("config")
        if not isinstance(name, str) or not _is_known(name, None, custom_objects):
            raise UnsafeFileError(
                f"Refused {source}: its config names function {name!r} from module "
                f"{node.get('module')!r} (at {where}), which is not a layerwise function nor one "
                f"registered in this process. {_ADVICE}"
            )
        return
    registered = node.get("registered_name")
    if registered is not None and not isinstance(registered, str):
        raise UnsafeFileError(f"Refused {source}: the 'registered_name' at {where} is not a string.")
    if not _is_known(class_name, registered, custom_objects):
        shown = registered if registered and registered != class_name else class_name
        raise UnsafeFileError(
            f"Refused {source}: its config names class {shown!r} from module {node.get('module')!r} "
            f"(at {where}), which is not a layerwise class nor one registered in this process. "
            f"{_ADVICE}"
        )


_ADVICE = (
    "Loading never imports modules or calls functions named by a file. If it is your own, "
    "register it with @layerwise.saving.register_serializable() or pass it in custom_objects."
)


def _is_known(class_name, registered_name, custom_objects):
    for name in (registered_name, class_name):
        if not name:
            continue
        if registry.get_registered_object(name, custom_objects) is not None:
            return True
        for category in registry.builtin_categories():
            if name in registry.builtin_objects(category):
                return True
    return False


def _join(where, key):
    return key if where == "the top level" else f"{where}.{key}"


def _location(where):
    return "" if where == "the top level" else where
