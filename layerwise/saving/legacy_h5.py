"""The legacy HDF5 formats: whole models in ``.h5`` (Keras 2 / tf.keras) and ``.h5`` weights files.

A legacy model file holds, at its root:

* attributes ``keras_version``, ``backend``, ``model_config`` (the
  architecture as JSON, see :mod:`~layerwise.saving.legacy_config`) and,
  for a compiled model, ``training_config`` (loss, metrics, loss weights
  and ``optimizer_config``);
* a group ``model_weights`` with attributes ``layer_names`` (every layer of
  the model, in order), ``backend`` and ``keras_version``, and one group per
  layer whose ``weight_names`` attribute lists its weights, stored as
  datasets named the way Keras 2 named them (``dense/kernel:0``,
  ``lstm/lstm_cell/recurrent_kernel:0``,
  ``bidirectional/forward_lstm/lstm_cell/bias:0``);
* with the optimizer, a group ``optimizer_weights`` (``weight_names`` and
  the optimizer's variables in Keras 3's order).

A legacy weights file (``model.save_weights('weights.h5')``) is just the
``model_weights`` group's contents at the root.

A layer's weights are stored in Keras's legacy order: its trainable weights,
then its non-trainable ones. Loading pairs the file's layers that hold
weights with the model's layers that have weights, in order, or by layer
name (``by_name=True``); ``skip_mismatch=True`` skips, with a warning, the
layers whose weight counts or shapes differ.

Everything read goes through :mod:`~layerwise.saving.safety` (no links out
of the file, sizes checked before reading) and classes come only from the
registry. Every value is read and checked before the first one is assigned,
so a refused file leaves a model untouched, and ``load_model`` returns a
model only once it is complete. Files are written under a temporary name
and renamed (:func:`~layerwise.saving.file_io.atomic_write`).

Example:

>>> save_model_to_hdf5(model, "model.h5")
>>> restored = load_model_from_hdf5("model.h5")
>>> save_weights_to_hdf5(model, "weights.h5")
>>> load_weights_from_hdf5(other_model, "weights.h5", by_name=True, skip_mismatch=True)
"""

import json
import os
import warnings

import h5py
import numpy as np

from layerwise import losses as losses_module
from layerwise import metrics as metrics_module
from layerwise import optimizers as optimizers_module
from layerwise.saving import registry, safety, serialization
from layerwise.saving.config_check import check_config
from layerwise.saving.file_io import atomic_write
from layerwise.saving.legacy_config import (
    LegacyConfigError,
    find_tensorflow_operation,
    legacy_optimizer_config,
    model_from_legacy_config,
    model_to_legacy_config,
    normalize_legacy_config,
    to_legacy_object,
)
from layerwise.saving.safety import UnsafeFileError, open_hdf5, read_dataset

# The Keras version whose legacy format layerwise writes (Keras 3 reads the attribute as
# information only; Keras 2 treats only "1" specially). With it, readers number the calls
# of a nested Sequential model from 0, as Keras 3 does.
KERAS_VERSION = "3.15.1"
BACKEND = "torch"
# HDF5 keeps attributes in an object header of at most 64 KiB; Keras splits longer
# name lists into numbered attributes (layer_names0, layer_names1, ...).
HDF5_OBJECT_HEADER_LIMIT = 64512


# ---------------------------------------------------------------------------------------- saving


def save_model_to_hdf5(model, filepath, overwrite=True, include_optimizer=True):
    """Save a Sequential or Functional model to a legacy ``.h5`` file that Keras 2 and 3 can load.

    Args:
        model: the Sequential or Functional model to save (an unbuilt Sequential model
            saves its architecture only).
        filepath: where to write; the file appears complete or not at all.
        overwrite: if False and the file exists, ask on the terminal first (as Keras does;
            ``FileExistsError`` where nobody can answer).
        include_optimizer: also save the training configuration and the optimizer's state.

    Example:

    >>> save_model_to_hdf5(model, "model.h5")
    """
    filepath = os.fspath(filepath)
    if not overwrite and os.path.lexists(filepath):
        from layerwise.saving.api import ask_to_proceed_with_overwrite

        if not ask_to_proceed_with_overwrite(filepath):
            return
    model_config = model_to_legacy_config(model)
    attributes = {"keras_version": KERAS_VERSION, "backend": BACKEND,
                  "model_config": _dump_json(model_config)}
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None and getattr(model, "compiled", False):
        attributes["training_config"] = _dump_json(_training_config(model))
    with atomic_write(filepath) as temporary, h5py.File(temporary, "w") as h5:
        for key, value in attributes.items():
            h5.attrs[key] = value.encode("utf8")
        _write_weights(h5.create_group("model_weights"), model)
        if include_optimizer and optimizer is not None and getattr(model, "compiled", False):
            _write_optimizer_weights(h5, optimizer)


def save_weights_to_hdf5(model, filepath):
    """Save the model's weights in Keras's legacy HDF5 weights layout (``save_weights('x.h5')``).

    Works for any built model, subclassed ones included.

    Example:

    >>> save_weights_to_hdf5(model, "weights.h5")
    """
    _check_built(model, "save")
    with atomic_write(os.fspath(filepath)) as temporary, h5py.File(temporary, "w") as h5:
        _write_weights(h5, model)


def _check_built(model, action):
    if not model.built:
        raise ValueError(
            f"Model '{model.name}' has not been built yet, so its weights do not exist and there is nothing "
            f"to {action}. Build it first: give it an Input, call it on a batch of data, or call "
            "model.build(input_shape)."
        )


def _dump_json(value):
    return json.dumps(value, default=_json_default)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"Cannot write {value!r} ({type(value).__name__}) into a model config: not JSON data.")


def _legacy_weights(layer):
    """A layer's weights in Keras's legacy file order: trainable ones, then non-trainable ones."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _top_level_weights(model):
    """Weights the model itself created (``add_weight`` on a subclassed model), legacy order."""
    own = [v for v in model._own_variables if v.requires_grad and model.trainable]
    return own + [v for v in model._own_variables if not any(v is o for o in own)]


def _weight_names(layer):
    """Keras 2's dataset names for a layer's weights: the path of layer names down to the
    layer that owns each weight, the weight's name and ``:0`` (``bidirectional/forward_lstm/
    lstm_cell/kernel:0``)."""
    owners = {}

    def visit(current, prefix):
        path = prefix + [current.name]
        for variable in current._own_variables:
            owners.setdefault(id(variable), path)
        for child in current._sublayers():
            visit(child, path)

    visit(layer, [])
    names, used = [], set()
    for variable in _legacy_weights(layer):
        base = "/".join(owners.get(id(variable), [layer.name]) + [variable.name or "variable"])
        name, suffix = f"{base}:0", 0
        while name in used:  # two weights with one name would be one dataset
            suffix += 1
            name = f"{base}_{suffix}:0"
        used.add(name)
        names.append(name)
    return names


def _write_weights(group, model):
    layers = model.layers
    _write_name_list(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = BACKEND.encode("utf8")
    group.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
    # Sorted by name, as Keras writes them, so that group names grow strictly.
    for layer in sorted(layers, key=lambda layer: layer.name):
        _write_weight_group(group.create_group(layer.name), _legacy_weights(layer), _weight_names(layer))
    top_level = _top_level_weights(model)
    if top_level:  # Keras 3's group for a model's own weights; Keras 2 never had any
        names = [f"{model.name}/{v.name or 'variable'}_{i}:0" for i, v in enumerate(top_level)]
        _write_weight_group(group.create_group("top_level_model_weights"), top_level, names)


def _write_weight_group(group, variables, names):
    _write_name_list(group, "weight_names", names)
    for name, variable in zip(names, variables):
        value = variable.numpy()
        dataset = group.create_dataset(name, value.shape, dtype=value.dtype)
        dataset[()] = value


def _write_optimizer_weights(h5, optimizer):
    variables = optimizer.variables
    if not variables:
        return
    group = h5.create_group("optimizer_weights")
    names = [str(getattr(v, "path", None) or f"{optimizer.name}/variable_{i}")
             for i, v in enumerate(variables)]
    _write_weight_group(group, variables, names)


def _write_name_list(group, name, items):
    """Store a list of names as Keras does, split over ``name0``, ``name1``, ... when too long."""
    encoded = [item.encode("utf8") for item in items]
    too_long = [item for item in encoded if len(item) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise ValueError(
            f"Cannot save the names {too_long[:3]}: each must be shorter than "
            f"{HDF5_OBJECT_HEADER_LIMIT} bytes."
        )
    data = np.asarray(encoded)
    chunks = 1
    parts = np.array_split(data, chunks)
    while any(part.nbytes > HDF5_OBJECT_HEADER_LIMIT for part in parts):
        chunks += 1
        parts = np.array_split(data, chunks)
    if chunks > 1:
        for index, part in enumerate(parts):
            group.attrs[f"{name}{index}"] = part
    else:
        group.attrs[name] = data


def _canonical_loss_name(name):
    """``"mse"`` -> ``"mean_squared_error"``: Keras 3's h5 loader cannot read loss aliases back."""
    try:
        loss = losses_module.get(name)
    except ValueError:
        return name
    return loss.__name__ if callable(loss) and not isinstance(loss, losses_module.Loss) \
        and hasattr(loss, "__name__") else name


def _training_config(model):
    """Keras's ``training_config``: how the model was compiled, in Keras 2's form."""
    args = model._compile_args or {}

    def serialize(value, is_loss=False):
        if isinstance(value, str) and is_loss:
            return _canonical_loss_name(value)
        if value is None or isinstance(value, (str, bool, int, float)):
            return value
        if isinstance(value, dict):
            return {key: serialize(item, is_loss) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [serialize(item, is_loss) for item in value]
        return to_legacy_object(serialization.serialize_keras_object(value))

    return {
        "loss": serialize(args.get("loss"), is_loss=True),
        "metrics": serialize(args.get("metrics")),
        "weighted_metrics": serialize(args.get("weighted_metrics")),
        "loss_weights": serialize(args.get("loss_weights")),
        "optimizer_config": legacy_optimizer_config(model.optimizer),
    }


# ---------------------------------------------------------------------------------------- loading


def load_model_from_hdf5(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model from a legacy ``.h5`` file written by Keras 2, Keras 3 or layerwise.

    Args:
        filepath: path of the ``.h5`` file.
        custom_objects: ``{name: class_or_function}`` for your own layers, losses, metrics.
        compile: restore the training configuration and optimizer state (when the file has them).
        safe_mode: refuse Lambda layers that carry Python bytecode (loading them runs code).

    Returns:
        The model, with its weights (and, when compiled, its optimizer state).

    Raises:
        UnsafeFileError: the file was refused; the message says what and why.
        FileNotFoundError: there is no file at ``filepath``.

    Example:

    >>> model = load_model_from_hdf5("model.h5")
    """
    path = os.fspath(filepath)
    source = f"'{path}'"
    with open_hdf5(path) as h5:
        try:
            with registry.CustomObjectScope(custom_objects or {}), serialization.safe_mode_scope(safe_mode), \
                    safety.untrusted_sizes():
                model = _load_model(h5, source, custom_objects or {}, compile)
        except UnsafeFileError:
            raise
        except (ValueError, TypeError, KeyError, LegacyConfigError) as error:
            raise UnsafeFileError(f"Refused {source}: {error}") from error
        except (OSError, RuntimeError) as error:
            raise UnsafeFileError(f"{source} is corrupt or truncated: {error}") from error
    return model


def _load_model(h5, source, custom_objects, compile):
    config = _read_json_attribute(h5, "model_config", source)
    if config is None:
        if "layer_names" in h5.attrs or "layer_names0" in h5.attrs:
            raise ValueError(
                "it holds only weights (it was written by save_weights), no model. Build the model in "
                "code and call model.load_weights(path)."
            )
        raise ValueError(
            "it holds no model config (no 'model_config' attribute); it is not a Keras model file."
        )
    if not isinstance(config, dict):
        raise TypeError(f"its model config is a JSON {type(config).__name__}, not an object.")
    config = normalize_legacy_config(config)
    tensorflow_operation = find_tensorflow_operation(config)
    if tensorflow_operation is not None:
        raise tensorflow_operation
    check_config(config, source=source, custom_objects=custom_objects, safe_mode=serialization.in_safe_mode())
    model = model_from_legacy_config(config, custom_objects, _read_text_attribute(h5, "keras_version"))
    if "model_weights" not in h5 or not isinstance(h5["model_weights"], h5py.Group):
        raise ValueError("it has no 'model_weights' group, so the model's weights are missing.")
    _assign(_plan_by_order(h5["model_weights"], model, _Plan(source, skip_mismatch=False, for_model=True)))
    if compile:
        training_config = _read_json_attribute(h5, "training_config", source)
        if training_config is not None:
            _compile_from_training_config(model, training_config, source, custom_objects)
            if "optimizer_weights" in h5:
                _restore_optimizer(model.optimizer, model, h5["optimizer_weights"], source)
    return model


def load_weights_from_hdf5(model, filepath, by_name=False, skip_mismatch=False):
    """Load weights from a legacy ``.h5`` weights or model file into ``model``.

    Args:
        model: a built model.
        filepath: a file written by ``save_weights('x.h5')`` or ``save('x.h5')``
            (Keras 2, Keras 3 or layerwise).
        by_name: pair the file's layers with the model's by layer name instead of
            by order; layers found in only one of them are left alone.
        skip_mismatch: skip (with a warning) layers whose weight count or shapes
            differ, instead of raising.

    Raises:
        ValueError: the file's weights do not fit the model (the message says how).
        UnsafeFileError: the file was refused as unsafe or corrupt.

    Example:

    >>> load_weights_from_hdf5(model, "weights.h5", by_name=True, skip_mismatch=True)
    """
    path = os.fspath(filepath)
    source = f"'{path}'"
    _check_built(model, "load the weights into")
    with open_hdf5(path) as h5:
        try:
            group = _weights_group(h5, source)
            plan = _Plan(source, skip_mismatch, for_model=False)
            _assign(_plan_by_name(group, model, plan) if by_name else _plan_by_order(group, model, plan))
        except (OSError, RuntimeError, KeyError) as error:
            raise UnsafeFileError(f"{source} is corrupt or truncated: {error}") from error


def _weights_group(h5, source):
    if "layer_names" in h5.attrs or "layer_names0" in h5.attrs:
        return h5
    if "model_weights" in h5 and isinstance(h5["model_weights"], h5py.Group):
        return h5["model_weights"]
    if "layers" in h5 or "vars" in h5:
        raise ValueError(
            f"{source} holds weights in Keras 3's layout (the one save_weights writes to a "
            "'.weights.h5' file), not the legacy one. Rename it to end in '.weights.h5' and load it again."
        )
    raise ValueError(f"{source} holds no Keras weights: it has no 'layer_names' attribute and no "
                     "'model_weights' group.")


# ---------------------------------------------------------------------------------------- reading helpers


def _read_text_attribute(h5, name):
    if name not in h5.attrs:
        return None
    value = h5.attrs[name]
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf8")
    if isinstance(value, str):
        return value
    raise ValueError(f"its '{name}' attribute is a {type(value).__name__}, not text.")


def _read_json_attribute(h5, name, source):
    text = _read_text_attribute(h5, name)
    if text is None:
        return None
    try:
        return json.loads(text, object_hook=_decode_json_object)
    except RecursionError:
        raise UnsafeFileError(
            f"Refused {source}: its '{name}' JSON is nested too deeply to be a config."
        ) from None
    except ValueError as error:
        raise UnsafeFileError(
            f"Refused {source}: its '{name}' attribute is not valid JSON: {error}"
        ) from None


def _decode_json_object(value):
    # Keras's JSON encoder spells tuples and TensorShapes as objects; they are plain data.
    if value.get("class_name") == "__tuple__" and "items" in value:
        return tuple(value["items"])
    if value.get("class_name") == "TensorShape" and "items" in value:
        return value["items"]
    return value


def _read_name_list(group, name):
    """A list of names stored by Keras (possibly split over ``name0``, ``name1``, ...)."""
    if name in group.attrs:
        chunks = [group.attrs[name]]
    else:
        chunks, index = [], 0
        while f"{name}{index}" in group.attrs:
            chunks.append(group.attrs[f"{name}{index}"])
            index += 1
    names = []
    for chunk in chunks:
        values = np.atleast_1d(chunk)
        if values.dtype.kind == "f" and values.size == 0:
            continue  # Keras writes an empty list as an empty float array
        if values.dtype.kind not in "SUO":
            raise UnsafeFileError(f"Refused attribute '{name}' of '{group.name}': it holds {values.dtype}, "
                                  "not names.")
        for value in values:
            if isinstance(value, (bytes, np.bytes_)):
                value = bytes(value).decode("utf8")
            if not isinstance(value, str):
                raise UnsafeFileError(
                    f"Refused attribute '{name}' of '{group.name}': {value!r} is not a name."
                )
            names.append(value)
    return names


class _SavedLayer:
    """One layer group of a weights file: its name and its datasets (not read yet)."""

    def __init__(self, group, name, source):
        if name not in group or not isinstance(group[name], h5py.Group):
            raise UnsafeFileError(f"Refused {source}: 'layer_names' lists '{name}', but the file has no "
                                  "group of that name.")
        self.name = name
        self.group = group[name]
        self.weight_names = _read_name_list(self.group, "weight_names")
        self.datasets = []
        for weight_name in self.weight_names:
            dataset = self.group.get(weight_name)
            if not isinstance(dataset, h5py.Dataset):
                raise UnsafeFileError(f"Refused {source}: layer '{name}' lists weight '{weight_name}', "
                                      "which is not a dataset in the file.")
            self.datasets.append(dataset)

    @property
    def shapes(self):
        return [tuple(int(d) for d in dataset.shape) if dataset.shape is not None else None
                for dataset in self.datasets]


def _describe(variables):
    return ", ".join(f"{v.name} {tuple(v.shape)}" for v in variables) or "none"


def _mismatch(layer, saved, variables):
    """Why ``saved`` cannot go into ``layer``: None if it fits."""
    if len(saved.datasets) != len(variables):
        return (f"layer '{layer.name}' ({type(layer).__name__}) has {len(variables)} weight(s) "
                f"({_describe(variables)}), but the file holds {len(saved.datasets)} for layer "
                f"'{saved.name}' ({', '.join(saved.weight_names) or 'none'})")
    for variable, name, shape in zip(variables, saved.weight_names, saved.shapes):
        if shape != tuple(variable.shape):
            return (f"layer '{layer.name}' ({type(layer).__name__}) weight '{variable.name}' has shape "
                    f"{tuple(variable.shape)}, but the file holds shape {shape} for it ('{name}' of layer "
                    f"'{saved.name}')")
    return None


class _Plan:
    """Which dataset goes into which variable; built completely before anything is read."""

    def __init__(self, source, skip_mismatch, for_model):
        self.source = source
        self.skip_mismatch = skip_mismatch
        self.for_model = for_model  # load_model: the file must fit the model its own config describes
        self.assignments = []

    def pair(self, layer, saved, variables):
        problem = _mismatch(layer, saved, variables)
        if problem is None:
            for variable, dataset in zip(variables, saved.datasets):
                where = f"weight '{dataset.name}' of layer '{layer.name}' in {self.source}"
                self.assignments.append((variable, dataset, where))
        elif self.for_model:
            raise ValueError(f"{problem}; "
                             "the file's weights do not match the model its own config describes.")
        elif self.skip_mismatch:
            warnings.warn(f"Skipping loading weights from {self.source}: {problem}.", stacklevel=5)
        else:
            raise ValueError(f"Cannot load weights from {self.source}: {problem}. Pass skip_mismatch=True "
                             "to skip layers that differ.")


def _plan_by_order(group, model, plan):
    """Pair the file's layers that hold weights with the model's layers that have weights, in order."""
    saved = [_SavedLayer(group, name, plan.source) for name in _read_name_list(group, "layer_names")]
    saved = [entry for entry in saved if entry.weight_names]
    layers = [layer for layer in model.layers if _legacy_weights(layer)]
    if len(saved) != len(layers):
        message = (
            f"{plan.source} holds weights for {len(saved)} layer(s) "
            f"({', '.join(s.name for s in saved) or 'none'}), but model '{model.name}' has {len(layers)} "
            f"layer(s) with weights ({', '.join(layer.name for layer in layers) or 'none'})"
        )
        if plan.for_model:
            raise ValueError(f"{message}; "
                             "the file's weights do not match the model its own config describes.")
        raise ValueError(f"{message}. Build the same architecture, or load by layer name with by_name=True "
                         "(and skip_mismatch=True to skip layers that differ).")
    for layer, entry in zip(layers, saved):
        plan.pair(layer, entry, _legacy_weights(layer))
    _plan_top_level(group, model, plan)
    return plan.assignments


def _plan_by_name(group, model, plan):
    """Pair each layer of the file with the model's layer of the same name; the rest is left alone."""
    by_name = {}
    for layer in model.layers:
        by_name.setdefault(layer.name, []).append(layer)
    for name in _read_name_list(group, "layer_names"):
        entry = _SavedLayer(group, name, plan.source)
        for layer in by_name.get(name, []):
            plan.pair(layer, entry, _legacy_weights(layer))
    _plan_top_level(group, model, plan)
    return plan.assignments


def _plan_top_level(group, model, plan):
    if "top_level_model_weights" not in group:
        return
    entry = _SavedLayer(group, "top_level_model_weights", plan.source)
    if entry.weight_names or _top_level_weights(model):
        plan.pair(model, entry, _top_level_weights(model))


def _assign(assignments):
    """Read every value (checking sizes before reading), then assign them all: all or nothing."""
    values = [(variable, read_dataset(dataset, tuple(variable.shape), where))
              for variable, dataset, where in assignments]
    for variable, value in values:
        variable.assign(value)


# ---------------------------------------------------------------------------------------- compiling


def _compile_from_training_config(model, training_config, source, custom_objects):
    if not isinstance(training_config, dict):
        raise TypeError("its training config is not a JSON object.")
    training_config = normalize_legacy_config(training_config)
    optimizer_config = training_config.get("optimizer_config")
    if not isinstance(optimizer_config, dict) or not isinstance(optimizer_config.get("class_name"), str):
        raise TypeError("its training config has no optimizer_config.")
    optimizer_config = _builtin_optimizer_name(optimizer_config, custom_objects)
    training_config = {**training_config, "optimizer_config": optimizer_config}
    training_config = _normalize_losses(training_config)
    check_config(training_config, source=source, custom_objects=custom_objects,
                 safe_mode=serialization.in_safe_mode())
    try:
        optimizer = optimizers_module.deserialize(optimizer_config, custom_objects)
        loss = _nested(training_config.get("loss"), _loss)
        metrics = _metrics(training_config.get("metrics"), model)
        weighted_metrics = _metrics(training_config.get("weighted_metrics"), model)
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics, weighted_metrics=weighted_metrics,
                      loss_weights=training_config.get("loss_weights"))
    except Exception as error:
        raise ValueError(
            f"its training configuration cannot be restored: {error} Load it with compile=False to get "
            "the model without its training configuration."
        ) from error


def _builtin_optimizer_name(config, custom_objects):
    """tf.keras 2.11+ registered its optimizers as ``Custom>Adam``: that is Keras's own Adam."""
    name = config["class_name"]
    if name.startswith("Custom>") and registry.get_registered_object(name, custom_objects) is None:
        plain = name[len("Custom>"):]
        if plain.lower() in registry.builtin_objects("optimizers"):
            return {**config, "class_name": plain}
    return config


def _normalize_losses(training_config):
    """Keras 2's losses had ``reduction='auto'``, which is Keras 3's 'sum_over_batch_size'."""

    def visit(value):
        if isinstance(value, dict):
            value = {k: visit(v) for k, v in value.items()}
            config = value.get("config")
            if "class_name" in value and isinstance(config, dict) and config.get("reduction") == "auto":
                value["config"] = {**config, "reduction": "sum_over_batch_size"}
            return value
        if isinstance(value, list):
            return [visit(v) for v in value]
        return value

    return visit(training_config)


def _nested(value, resolve):
    if value is None:
        return None
    if isinstance(value, str) or (isinstance(value, dict) and "class_name" in value):
        return resolve(value)
    if isinstance(value, dict):
        return {key: _nested(item, resolve) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nested(item, resolve) for item in value]
    raise ValueError(f"{value!r} is not a loss or metric.")


def _loss(value):
    losses_module.get(value)  # refuses an unknown name now, not at the first fit()
    return value if isinstance(value, str) else losses_module.get(value)


_SPECIAL_METRICS = {"accuracy", "acc", "crossentropy", "ce"}


def _metric(value):
    if isinstance(value, str):
        if value not in _SPECIAL_METRICS:
            metrics_module.get(value)
        return value
    if value.get("class_name") == "MeanMetricWrapper":  # Keras 2 wrapped string metrics
        config = value.get("config") or {}
        for candidate in (config.get("name"), config.get("fn")):
            if isinstance(candidate, str) and _is_metric_name(candidate):
                return candidate
    return metrics_module.get(value)


def _is_metric_name(name):
    if name in _SPECIAL_METRICS:
        return True
    try:
        metrics_module.get(name)
    except ValueError:
        return False
    return True


def _metrics(value, model):
    if value is None:
        return None
    outputs = len(getattr(model, "outputs", None) or [None])
    if outputs == 1 and isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
        value = value[0]  # Keras 2 wrote one list per output
    return _nested(value, _metric)


def _restore_optimizer(optimizer, model, group, source):
    """Set the optimizer's state from ``optimizer_weights``; if it does not fit, start fresh (warned).

    Accepted layouts: Keras 3's and layerwise's (iteration, learning rate, then
    the per-weight state) and tf.keras 2.11+'s (the same without the learning
    rate), each either before the optimizer's first step (no per-weight state
    yet) or after it.
    """
    saved = _SavedLayer(group.parent, group.name.split("/")[-1], source)
    shapes = saved.shapes

    def layouts():
        for build in (False, True):
            if build:
                if optimizer.built:
                    return
                optimizer.build(model.trainable_weights)
            variables = optimizer.variables
            yield variables
            if len(variables) > 1 and _is_learning_rate(variables[1]):
                yield [variables[0]] + variables[2:]

    for variables in layouts():
        if [tuple(v.shape) for v in variables] == shapes:
            _assign([(variable, dataset, f"optimizer variable '{dataset.name}' in {source}")
                     for variable, dataset in zip(variables, saved.datasets)])
            return
    warnings.warn(
        f"The optimizer state in {source} ({len(shapes)} variables) does not fit the optimizer "
        f"{type(optimizer).__name__} ({len(optimizer.variables)} variables); the optimizer starts fresh.",
        stacklevel=4,
    )


def _is_learning_rate(variable):
    return getattr(variable, "name", None) == "learning_rate"


__all__ = [
    "load_model_from_hdf5",
    "load_weights_from_hdf5",
    "save_model_to_hdf5",
    "save_weights_to_hdf5",
]
