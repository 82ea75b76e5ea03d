"""The registry: the only way a name in a config becomes a Python object.

Loading never imports a module named by a file (DESIGN.md, contract 5).
Every class or function a config may name is either one of layerwise's own,
registered here at import time under a *category* ("layers", "initializers",
"activations", ...), or one the user registered in their own process with
:func:`register_serializable` or passed as ``custom_objects``.
"""

import threading

# category -> {public name -> object}; filled by ``builtin`` at import time.
_BUILTINS = {}
# "Package>Name" -> object, filled by ``register_serializable``.
_USER_OBJECTS = {}
_USER_NAMES = {}
_scope = threading.local()


def builtin(category, *aliases, keras_module=None):
    """Class/function decorator: make a layerwise object loadable under ``category``.

    The object is found by its ``__name__`` and by each alias (Keras accepts
    ``'glorot_uniform'`` as well as ``'GlorotUniform'``). ``keras_module`` is
    the module Keras writes in configs for it (default ``'keras.<category>'``),
    so files name the same module whichever library wrote them.
    """

    def register(obj):
        table = _BUILTINS.setdefault(category, {})
        for name in (obj.__name__, *aliases):
            table[name] = obj
        obj._keras_module = keras_module or f"keras.{category}"
        return obj

    return register


def builtin_objects(category):
    """A copy of the ``{name: object}`` table of layerwise's own objects in ``category``."""
    return dict(_BUILTINS.get(category, {}))


def builtin_categories():
    """The categories layerwise's own objects are registered under (``'layers'``, ``'losses'``, ...)."""
    return sorted(_BUILTINS)


# A model is a layer: a config that asks for a layer may name Sequential or Functional.
_FALLBACK_CATEGORIES = {"layers": ("models",)}


def register_serializable(package="Custom", name=None):
    """Register a user class or function so that configs and files can name it.

    Equivalent to ``keras.saving.register_keras_serializable``: the object is
    stored under ``"package>name"`` (name defaults to the class or function
    name) and saved configs carry that as ``registered_name``.

    Example:

    >>> @layerwise.saving.register_serializable(package="MyLayers")
    ... class Scale(layerwise.layers.Layer):
    ...     def call(self, x):
    ...         return 2 * x
    >>> layerwise.saving.get_registered_name(Scale)
    'MyLayers>Scale'
    """
    if "|" in package or ">" in package:
        raise ValueError(f"package {package!r} must not contain '>' or '|'.")

    def decorator(obj):
        registered_name = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise TypeError(
                f"Cannot register {obj.__name__}: a serializable class needs a get_config() method."
            )
        _USER_OBJECTS[registered_name] = obj
        _USER_NAMES[obj] = registered_name
        return obj

    return decorator


def get_registered_name(obj):
    """The name a config uses for ``obj``: ``"package>Name"`` if user-registered, else its name."""
    if obj in _USER_NAMES:
        return _USER_NAMES[obj]
    return getattr(obj, "__name__", type(obj).__name__)


def get_custom_objects():
    """The live dict of user-registered objects (``"package>Name"`` -> object).

    Adding an entry by hand registers it, as with Keras.
    """
    return _USER_OBJECTS


def _scoped_objects():
    return getattr(_scope, "stack", [])


def get_registered_object(name, custom_objects=None, category=None):
    """Find the object a config names, or ``None``.

    Looked up, in order: ``custom_objects``, objects of enclosing
    :class:`CustomObjectScope` blocks, user-registered objects, then
    layerwise's own objects in ``category``.
    """
    for table in (custom_objects or {}), *reversed(_scoped_objects()), _USER_OBJECTS:
        if name in table:
            return table[name]
    if category is not None:
        for searched in (category, *_FALLBACK_CATEGORIES.get(category, ())):
            obj = _BUILTINS.get(searched, {}).get(name)
            if obj is not None:
                return obj
    return None


class CustomObjectScope:
    """Within a ``with`` block, configs may name the given objects.

    Example:

    >>> with layerwise.saving.CustomObjectScope({"Scale": Scale}):
    ...     model = layerwise.models.model_from_json(text)
    """

    def __init__(self, custom_objects):
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        if not hasattr(_scope, "stack"):
            _scope.stack = []
        _scope.stack.append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _scope.stack.pop()


custom_object_scope = CustomObjectScope
