"""A model's config document: what ``config.json`` and ``to_json()`` hold, and how it is read back.

The document is Keras 3's: the model's object config (``module``,
``class_name``, ``config``, ``registered_name``) plus ``build_config`` (the
input shape the model was built for) and ``compile_config`` (the arguments
of ``compile``). Reading one back (:func:`model_from_config`) is the only
way a file's config turns into objects, and it goes in this order:

1. :func:`~layerwise.saving.config_check.check_config` refuses unknown
   classes and functions (and, in safe mode, code) before anything is built;
2. the classes are found in the registry and built from their configs;
3. the model is built for its recorded input shape and compiled.

Example:

>>> text = model.to_json()
>>> same_architecture = model_from_json(text)   # new weights
"""

import inspect
import json
import warnings

import numpy as np
import torch

from layerwise.saving import registry, safety, serialization
from layerwise.saving.config_check import check_config
from layerwise.saving.functional_config import decode_data, functional_from_config, is_functional_config
from layerwise.saving.safety import UnsafeFileError

# ---------------------------------------------------------------------- writing


def serialize_model(model):
    """The model's Keras 3 object config, with ``build_config`` and ``compile_config`` added."""
    config = serialization.serialize_keras_object(model)
    build_config = model.get_build_config()
    if build_config is not None:
        config["build_config"] = build_config
    config["compile_config"] = model.get_compile_config()
    return config


def to_json_value(value):
    """``json.dumps``'s ``default``: numbers, arrays and config-bearing objects as Keras writes them."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    if isinstance(value, bytes):
        return {"class_name": "__bytes__", "config": {"value": value.decode("utf-8")}}
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if hasattr(value, "get_config") or callable(value):
        return serialization.serialize_keras_object(value)
    raise TypeError(
        f"Cannot write a {type(value).__name__} ({value!r:.100}) into a model config; configs hold "
        "numbers, strings, lists, dicts and objects with get_config()."
    )


def config_to_json(config, **kwargs):
    """``json.dumps`` for configs (numpy values and objects converted as Keras does)."""
    return json.dumps(config, default=to_json_value, **kwargs)


def model_to_json(model, **kwargs):
    """``model.to_json()``: the model's config document as a JSON string."""
    return config_to_json(serialize_model(model), **kwargs)


# ---------------------------------------------------------------------- compile config


def get_compile_config(model):
    """The ``compile`` arguments of ``model`` as a config; ``{}`` when it is not compiled."""
    if not getattr(model, "compiled", False):
        return {}
    from layerwise import losses, metrics, optimizers

    args = model._compile_args or {}
    optimizer = model.optimizer
    inner = getattr(optimizer, "inner_optimizer", None)
    if inner is not None and model.dtype_policy.name == "mixed_float16":
        optimizer = inner  # compile() adds the LossScaleOptimizer again on loading, as in Keras
    return {
        "optimizer": optimizers.serialize(optimizer) if optimizer is not None else None,
        "loss": _serialize_compile_value(args.get("loss"), losses.serialize),
        "loss_weights": args.get("loss_weights"),
        "metrics": _serialize_compile_value(args.get("metrics"), metrics.serialize),
        "weighted_metrics": _serialize_compile_value(args.get("weighted_metrics"), metrics.serialize),
        "run_eagerly": bool(getattr(model, "run_eagerly", False)),
        "steps_per_execution": int(getattr(model, "steps_per_execution", 1)),
        "jit_compile": bool(getattr(model, "jit_compile", False)),
    }


def _serialize_compile_value(value, serialize):
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize_compile_value(item, serialize) for item in value]
    if isinstance(value, dict):
        return {key: _serialize_compile_value(item, serialize) for key, item in value.items()}
    return serialize(value)


def compile_from_config(model, config):
    """Compile ``model`` as ``config`` (from :func:`get_compile_config`) says, and build its optimizer."""
    from layerwise import losses, metrics, optimizers
    from layerwise.engine.trainer import Trainer

    if not config:
        return
    if type(model).compile is not Trainer.compile:
        warnings.warn(
            "`compile()` was not called as part of model loading because the model's `compile()` "
            "method is custom. All subclassed Models that have `compile()` overridden should also "
            "override `get_compile_config()` and `compile_from_config(config)`. Alternatively, you "
            "can call `compile()` manually after loading.",
            stacklevel=2,
        )
        return
    config = decode_data(dict(config))
    optimizer = config.get("optimizer")
    kwargs = {
        "optimizer": optimizers.get(optimizer) if optimizer is not None else "rmsprop",
        "loss": _deserialize_compile_value(config.get("loss"), losses.deserialize),
        "metrics": _deserialize_compile_value(config.get("metrics"), metrics.deserialize),
        "weighted_metrics": _deserialize_compile_value(config.get("weighted_metrics"), metrics.deserialize),
    }
    accepted = inspect.signature(model.compile).parameters
    for key in ("loss_weights", "run_eagerly", "steps_per_execution", "jit_compile"):
        if key in config and key in accepted:
            kwargs[key] = config[key]
    model.compile(**kwargs)
    if model.built and model.optimizer is not None:
        # As Keras: the optimizer's state exists right away, so a file's state can be loaded into it.
        model.optimizer.build(model.trainable_weights)


def _deserialize_compile_value(value, deserialize):
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, list):
        return [_deserialize_compile_value(item, deserialize) for item in value]
    if isinstance(value, dict):
        if "class_name" in value:
            return deserialize(value)
        return {key: _deserialize_compile_value(item, deserialize) for key, item in value.items()}
    return value


# ---------------------------------------------------------------------- build config


def build_model_from_config(model, config):
    """Build ``model`` for the input shape in ``config`` (``{"input_shape": ...}``), creating its weights."""
    if not config or model.built:
        return
    shape = config.get("input_shape")
    if shape is None:
        if config.get("shapes_dict"):
            warnings.warn(
                f"Model '{model.name}' was built from keyword inputs ({sorted(config['shapes_dict'])}); "
                "layerwise cannot rebuild it from its config. Implement build_from_config(config).",
                stacklevel=2,
            )
        return
    try:
        model.build(as_shape(shape))
    except Exception as error:
        raise ValueError(
            f"Model '{model.name}' could not be built for its recorded input shape {shape!r}: {error}. "
            "A subclassed model is rebuilt by running it once on zeros of that shape; if that does not "
            "work for your model, implement build(input_shape) (creating every weight) or "
            "build_from_config(config)."
        ) from error


def as_shape(value):
    """JSON lists back into shape tuples: ``[None, 4]`` -> ``(None, 4)``; lists/dicts of shapes kept."""
    if isinstance(value, (list, tuple)) and all(d is None or isinstance(d, int) for d in value):
        return tuple(value)
    if isinstance(value, dict):
        return {key: as_shape(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_shape(item) for item in value]
    return value


# ---------------------------------------------------------------------- reading


def model_from_class_config(cls, config, custom_objects=None):
    """``Model.from_config``: a Functional graph when ``config`` describes one, else ``cls(**config)``."""
    from layerwise.engine.functional import Functional
    from layerwise.engine.model import Model

    if is_functional_config(config):
        init = inspect.signature(cls.__init__).parameters
        takes_anything = any(p.kind == p.VAR_POSITIONAL for p in init.values()) and \
            any(p.kind == p.VAR_KEYWORD for p in init.values())
        if cls in (Model, Functional) or issubclass(cls, Functional) or takes_anything:
            return functional_from_config(cls, config, custom_objects)
    try:
        return cls(**config)
    except TypeError as error:
        raise TypeError(
            f"Unable to revive model from config. When overriding the `get_config()` method, make "
            f"sure that the returned config contains all items used as arguments in the constructor "
            f"to {cls.__name__}, which is the default behavior. You can override this default behavior "
            f"by defining a `from_config(cls, config)` class method to specify how to create an "
            f"instance of {cls.__name__} from its config. Error encountered: {error}"
        ) from error


def parse_json(text, source):
    """Parse a config's JSON text, refusing what is not a JSON object (or is nested absurdly deep)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise UnsafeFileError(f"Refused {source}: its config is not UTF-8 text.") from None
    try:
        config = json.loads(text)
    except RecursionError:
        raise UnsafeFileError(
            f"Refused {source}: its JSON is nested too deeply to be a model config."
        ) from None
    except ValueError as error:
        raise UnsafeFileError(f"Refused {source}: its config is not valid JSON ({error}).") from None
    if not isinstance(config, dict):
        raise UnsafeFileError(
            f"Refused {source}: its config is a JSON {type(config).__name__}, not an object describing a "
            "model."
        )
    return config


def model_from_config(config, custom_objects=None, compile=True, safe_mode=True, source="the config"):
    """Build the model a config document describes: checked, then built, then compiled.

    Args:
        config: the parsed document (a dict with ``class_name`` and ``config``).
        custom_objects: ``{name: class_or_function}`` allowed besides the registry.
        compile: compile the model from its ``compile_config`` (if any).
        safe_mode: refuse code carried by the config (Lambda bytecode).
        source: how messages name the document, e.g. ``"'model.keras'"``.

    Raises:
        UnsafeFileError: the config names something unknown, or code in safe mode.
        ValueError: the config is known but cannot be built into a model.
    """
    from layerwise.engine.model import Model

    check_config(config, source=source, custom_objects=custom_objects, safe_mode=safe_mode)
    if "class_name" not in config or not isinstance(config.get("config"), dict):
        raise UnsafeFileError(
            f"Refused {source}: its config has no 'class_name' and 'config' describing a model."
        )
    config = decode_data(config)
    with registry.CustomObjectScope(custom_objects), serialization.safe_mode_scope(safe_mode), \
            safety.untrusted_sizes():
        name = config.get("registered_name") or config["class_name"]
        cls = registry.get_registered_object(name, custom_objects, "models")
        if cls is None and name != config["class_name"]:
            cls = registry.get_registered_object(config["class_name"], custom_objects, "models")
        if not (isinstance(cls, type) and issubclass(cls, Model)):
            raise UnsafeFileError(
                f"Refused {source}: it describes a {config['class_name']!r}, not a model "
                "(Sequential, Functional or a registered Model subclass)."
            )
        try:
            model = cls.from_config(config["config"])
            build_config = config.get("build_config")
            if build_config and not model.built:
                model.build_from_config(build_config)
            compile_config = config.get("compile_config")
            if compile and compile_config:
                model.compile_from_config(compile_config)
        except UnsafeFileError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
            raise ValueError(
                f"Could not rebuild the model from {source}: {type(error).__name__}: {error}"
            ) from error
    return model


def model_from_json(json_string, custom_objects=None):
    """A model (new weights) from ``model.to_json()``'s string, compiled if the JSON says so.

    Same checks as loading a file: only registered classes, no code
    (``Lambda`` bytecode is refused; call
    ``layerwise.saving.enable_unsafe_deserialization()`` for JSON you trust).

    Args:
        json_string: the JSON text.
        custom_objects: ``{name: class_or_function}`` of your own objects the JSON names.

    Example:

    >>> model = model_from_json(old_model.to_json())
    >>> model.set_weights(old_model.get_weights())
    """
    config = parse_json(json_string, "the JSON string")
    return model_from_config(config, custom_objects=custom_objects, compile=True, safe_mode=True,
                             source="the JSON string")
