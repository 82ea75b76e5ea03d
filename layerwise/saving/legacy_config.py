"""Model configs as Keras 2 (tf.keras) wrote them into ``.h5`` files, in both directions.

A legacy ``.h5`` model file carries its architecture as JSON in the
``model_config`` attribute. Three writers produced the files people have:

* Keras 2 / tf.keras: ``{"class_name": "Sequential" | "Functional" | "Model",
  "config": ...}``; layer configs with Keras 2 arguments (``batch_input_shape``,
  ``time_major``, ``implementation``, ``input_length``, BatchNormalization's
  ``axis`` as a list, dtypes as strings or ``Policy`` dicts) and the graph
  as ``inbound_nodes`` lists of ``[layer_name, node_index, tensor_index,
  kwargs]``;
* Keras 3's legacy writer: the same outer shape, with Keras 3 layer configs
  and ``inbound_nodes`` as ``{"args": ..., "kwargs": ...}`` with
  ``__keras_tensor__`` references;
* layerwise (:func:`model_to_legacy_config`): the Keras 2 form, with Keras 3
  settings that Keras 2 does not know left out while they hold their default
  values, so that both Keras 3 and tf.keras 2 read the file.

:func:`model_from_legacy_config` reads all three. Classes are found only in
the registry (layerwise's own layers plus what the user registered or passed
in ``custom_objects``); a ``module`` named by the file is never imported, and
Lambda layers carrying Python bytecode are refused unless ``safe_mode=False``.

Example:

>>> config = model_to_legacy_config(model)        # JSON-ready dict
>>> clone = model_from_legacy_config(config)      # same architecture, fresh weights
"""

import copy
import inspect

from layerwise.engine import nest
from layerwise.engine.functional import Functional
from layerwise.engine.input_layer import InputLayer
from layerwise.engine.model import Model
from layerwise.engine.sequential import Sequential
from layerwise.engine.symbolic import KerasTensor
from layerwise.saving import registry
from layerwise.saving.serialization import serialize_keras_object


class LegacyConfigError(ValueError):
    """A legacy model config that cannot (or may not) be turned into a model; the message says why."""


# ---------------------------------------------------------------------------------------- writing

# Keras 3 settings Keras 2 does not accept, left out of the file while they hold these values.
_KERAS3_ONLY_ANYWHERE = {
    "quantization_config": None, "lora_rank": None, "lora_alpha": None,
    "input_axes": None, "output_axes": None,  # Keras 3.x initializers
}
_RNN_CLASSES = {"RNN", "SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell",
                "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}
_KERAS3_ONLY = {
    "InputLayer": {"optional": False},
    "BatchNormalization": {"synchronized": False},
    "LayerNormalization": {"rms_scaling": False},
    **{name: {"seed": None, "zero_output_for_mask": False, "use_cudnn": "auto"} for name in _RNN_CLASSES},
}
# Keras 2's optimizers (the ones tf.keras builds from an h5 file) take none of these.
_OPTIMIZER_KERAS3_ONLY = {"weight_decay": None, "use_ema": False, "ema_momentum": 0.99,
                          "ema_overwrite_frequency": None, "loss_scale_factor": None,
                          "gradient_accumulation_steps": None}
_OBJECT_KEYS = {"module", "class_name", "config", "registered_name", "build_config", "compile_config",
                "shared_object_id"}


def model_to_legacy_config(model):
    """The ``model_config`` of a legacy ``.h5`` file for ``model``: Keras 2's JSON-ready form.

    Works for Sequential and Functional models (nested ones included);
    subclassed models have no such config (raises ``NotImplementedError``).

    Example:

    >>> model = layerwise.Sequential([layerwise.Input((4,)), layerwise.layers.Dense(2)])
    >>> model_to_legacy_config(model)["config"]["layers"][1]["config"]["units"]
    2
    """
    if isinstance(model, Sequential):
        return {"class_name": _class_name(model), "config": _sequential_config(model)}
    if isinstance(model, Functional):
        return {"class_name": _class_name(model), "config": _functional_config(model)}
    raise NotImplementedError(
        f"Model '{model.name}' is a subclassed model ({type(model).__name__}): the legacy HDF5 format "
        "stores only Sequential and Functional models, whose architecture is a config. Save it with "
        "model.save('name.keras') (after registering the class with "
        "@layerwise.saving.register_serializable()) or save its weights with "
        "model.save_weights('name.weights.h5')."
    )


def to_legacy_object(value, key=None):
    """Rewrite a Keras 3 config value for a legacy file that Keras 2 and Keras 3 both read.

    Nested objects keep the form tf.keras 2.13+ and Keras 3 write (``module``,
    ``class_name``, ``config``, ``registered_name``; older Keras 2 ignores the
    extra keys, Keras 3 needs ``module`` to find a nested layer); their
    configs lose the settings Keras 2 would refuse while they hold their
    defaults, and dtype policies become their names.
    """
    if key == "dtype":
        return _legacy_dtype(value)
    if _is_object_config(value):
        inner = value["config"]
        if isinstance(inner, dict):
            inner = _prune(value["class_name"], {k: to_legacy_object(v, k) for k, v in inner.items()})
        else:
            inner = to_legacy_object(inner)
        return {"module": value.get("module"), "class_name": value["class_name"], "config": inner,
                "registered_name": value.get("registered_name")}
    if isinstance(value, dict):
        return {k: to_legacy_object(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_legacy_object(v) for v in value]
    return value


def legacy_optimizer_config(optimizer):
    """``{"class_name", "config"}`` of an optimizer, without Keras 3 settings at their defaults."""
    entry = to_legacy_object(serialize_keras_object(optimizer))
    entry = {"class_name": entry.get("registered_name") or entry["class_name"], "config": entry["config"]}
    for key, default in _OPTIMIZER_KERAS3_ONLY.items():
        if key in entry["config"] and entry["config"][key] == default:
            del entry["config"][key]
    return entry


def _class_name(obj):
    return registry.get_registered_name(type(obj))


def _is_object_config(value):
    return (isinstance(value, dict) and "class_name" in value and "config" in value
            and set(value) <= _OBJECT_KEYS)


def _legacy_dtype(value):
    """A dtype policy as its name (``"float32"``, ``"mixed_float16"``): Keras 2 and Keras 3 both read
    that, while each refuses the other's policy dict."""
    if isinstance(value, dict):
        return (value.get("config") or {}).get("name", value)
    return value


def _prune(class_name, config):
    """Drop the Keras 3 settings Keras 2 would refuse, when they hold their default values."""
    drops = {**_KERAS3_ONLY_ANYWHERE, **_KERAS3_ONLY.get(class_name, {})}
    config = {k: v for k, v in config.items() if not (k in drops and v == drops[k])}
    if class_name == "InputLayer" and "batch_shape" in config:
        config = {"batch_input_shape" if k == "batch_shape" else k: v for k, v in config.items()}
    if class_name == "BatchNormalization" and not config.get("renorm", False) \
            and config.get("renorm_clipping") is None and config.get("renorm_momentum", 0.99) == 0.99:
        for key in ("renorm", "renorm_clipping", "renorm_momentum"):
            config.pop(key, None)
    if class_name == "Bidirectional":
        config = _prune_bidirectional(config)
    if class_name == "Lambda":
        config = _legacy_lambda(config)
    return config


def _prune_bidirectional(config):
    """Keras 2 names the wrapped layer without the ``forward_`` prefix and writes
    ``backward_layer`` only when the user gave one; an automatic copy is left out."""
    forward = config.get("layer")
    backward = config.get("backward_layer")
    if isinstance(forward, dict) and isinstance(forward.get("config"), dict):
        name = forward["config"].get("name", "")
        if name.startswith("forward_"):
            forward = {**forward, "config": {**forward["config"], "name": name[len("forward_"):]}}
            config = {**config, "layer": forward}
        if isinstance(backward, dict) and isinstance(backward.get("config"), dict):
            mirrored = dict(backward["config"])
            mirrored["go_backwards"] = not mirrored.get("go_backwards", False)
            mirrored["name"] = mirrored.get("name", "")[len("backward_"):] \
                if mirrored.get("name", "").startswith("backward_") else None
            if backward["class_name"] == forward["class_name"] and mirrored == forward["config"]:
                config = {k: v for k, v in config.items() if k != "backward_layer"}
    return config


def _legacy_lambda(config):
    """Keras 2 keeps a lambda's bytecode as ``[code, defaults, closure]`` with ``function_type``."""
    config = dict(config)
    for key, kind_key, module_key in (("function", "function_type", "module"),
                                      ("output_shape", "output_shape_type", "output_shape_module")):
        value = config.get(key)
        if isinstance(value, dict) and value.get("class_name") == "__lambda__":
            inner = value["config"]
            config[key] = [inner["code"], inner.get("defaults"), inner.get("closure")]
            config[kind_key] = "lambda"
            config[module_key] = None
        elif isinstance(value, str):
            config[kind_key] = "function"
            config[module_key] = None
        elif key == "output_shape" and value is not None:
            config[kind_key] = "raw"
            config[module_key] = None
    return config


def _layer_entry(layer):
    """A layer's ``{"class_name", "config"}`` entry; nested models get their Keras 2 configs."""
    if isinstance(layer, (Sequential, Functional)):
        return model_to_legacy_config(layer)
    entry = to_legacy_object(serialize_keras_object(layer))
    # A model's own layers are listed as Keras 2 did: the (registered) class name and the config.
    return {"class_name": entry.get("registered_name") or entry["class_name"], "config": entry["config"]}


def _sequential_config(model):
    layers = []
    input_layer = getattr(model, "_input_layer", None)
    if input_layer is not None:
        layers.append(_layer_entry(input_layer))
    layers.extend(_layer_entry(layer) for layer in model.layers)
    config = {"name": model.name, "trainable": model.trainable, "layers": layers}
    if input_layer is not None:
        config["build_input_shape"] = list(input_layer.batch_shape)
    return config


def _functional_config(model):
    own_nodes = {id(node) for depth in model._nodes_by_depth for node in depth}

    def node_index(layer, node):
        # Only this model's calls of `layer` are written, renumbered; a Functional model counts
        # its own definition as node 0 (Keras's convention, which Keras 3 also reads).
        kept = [n for n in layer._inbound_nodes if id(n) in own_nodes]
        index = next(i for i, n in enumerate(kept) if n is node)
        return index + (1 if isinstance(layer, Functional) else 0)

    def reference(tensor):
        layer, index, tensor_index = tensor._keras_history
        return [layer.name, node_index(layer, layer._inbound_nodes[index]), tensor_index]

    def serialize_node(node):
        args, kwargs = list(node.call_args), dict(node.call_kwargs)
        if len(args) > 1:  # Keras 2 keeps only the first argument positional; the rest go by name
            names = [p for p in inspect.signature(node.layer.call).parameters][1:]
            kwargs.update(zip(names, args[1:]))
        kwargs = nest.map_structure(lambda v: reference(v) if isinstance(v, KerasTensor) else v, kwargs)

        def entry(value):
            if isinstance(value, KerasTensor):
                return reference(value) + [kwargs]
            return ["_CONSTANT_VALUE", -1, value, kwargs]

        first = args[0]
        if isinstance(first, dict):
            return {key: entry(value) for key, value in first.items()}
        return [entry(value) for value in nest.flatten(first)]

    layers = []
    for layer in model.layers:
        entry = _layer_entry(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            serialize_node(node) for node in layer._inbound_nodes
            if id(node) in own_nodes and not node.is_input
        ]
        layers.append(entry)

    def structure(tensors):
        if isinstance(tensors, KerasTensor):
            return [reference(tensors)]  # Keras 2 lists even a single input or output
        if isinstance(tensors, dict):
            return {key: reference(value) for key, value in tensors.items()}
        return [reference(t) for t in tensors]

    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": structure(model._inputs_struct),
            "output_layers": structure(model._outputs_struct)}


# ---------------------------------------------------------------------------------------- reading

_TFOP_CLASSES = {"TFOpLambda", "SlicingOpLambda", "TFClassMethodDispatcher"}


def model_from_legacy_config(config, custom_objects=None, keras_version=None):
    """Build the model a legacy ``model_config`` describes (unbuilt weights keep their initial values).

    Args:
        config: the decoded ``model_config`` JSON: ``{"class_name", "config"}``.
        custom_objects: ``{name: class_or_function}`` the config may name.
        keras_version: the file's ``keras_version`` attribute. Keras 1 and 2
            numbered the calls of a nested Sequential model from 1, Keras 3
            from 0; it tells which.

    Raises :class:`LegacyConfigError` naming the layer and what is wrong. The
    caller normalizes the config (:func:`normalize_legacy_config`) and checks
    every class it names against the registry first (``config_check``), and
    builds inside ``serialization.safe_mode_scope(safe_mode)``.
    """
    keras2 = str(keras_version or "").startswith(("1", "2"))
    reader = _Reader(custom_objects or {}, keras2)
    with registry.CustomObjectScope(custom_objects or {}):
        model = reader.layer(config, top_level=True)
    if not isinstance(model, Model):
        raise LegacyConfigError(
            f"The model config describes a {type(model).__name__}, not a model (Sequential or Functional)."
        )
    return model


def normalize_legacy_config(config):
    """Rewrite the Keras 2 spellings that name objects, over the whole document, before any check.

    Dtype policies (``{"class_name": "Policy", "config": {"name": "mixed_float16"}}``)
    become their names, and a Keras 2 Lambda's ``[code, defaults, closure]``
    becomes Keras 3's ``{"class_name": "__lambda__", ...}``, so that the
    registry check (``config_check.check_config``) sees every class and every
    piece of bytecode the same way whichever Keras wrote the file.
    """

    def visit(value, key=None):
        if key == "dtype" and isinstance(value, dict) and value.get("class_name") in _POLICY_CLASSES:
            return _policy_name(value)
        if isinstance(value, dict):
            value = {k: visit(v, k) for k, v in value.items()}
            if value.get("class_name") == "Lambda" and isinstance(value.get("config"), dict):
                value["config"] = _lambda_from_keras2(value["config"])
            return value
        if isinstance(value, list):
            return [visit(v) for v in value]
        return value

    return visit(config)


_POLICY_CLASSES = {"Policy", "PolicyV1", "DTypePolicy", "FloatDTypePolicy"}


def find_tensorflow_operation(config):
    """The first layer (at any depth) that is a TensorFlow operation recorded by tf.keras, as a
    ``LegacyConfigError`` to raise, or None. Checked before the registry check, so that such a file
    gets an explanation rather than "unknown class"."""
    stack = [config]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if value.get("class_name") in _TFOP_CLASSES:
                return _tensorflow_operation_error(value)
            stack.extend(reversed(list(value.values())))
        elif isinstance(value, list):
            stack.extend(reversed(value))
    return None


def _tensorflow_operation_error(entry):
    config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
    name = entry.get("name") or config.get("name") or "?"
    return LegacyConfigError(
        f"Layer '{name}' is a TensorFlow operation ({config.get('function', entry['class_name'])}) that "
        f"tf.keras recorded as a {entry['class_name']} layer; layerwise does not run TensorFlow code. "
        "Rebuild that part of the model with layerwise layers and load the weights with "
        "model.load_weights(path, by_name=True)."
    )


class _NotYet(Exception):
    """A node's input comes from a layer call not reconstructed yet (shared layers)."""


class _Reader:
    def __init__(self, custom_objects, keras2):
        self.custom_objects = custom_objects
        self.keras2 = keras2

    # -------------------------------------------------------------------- one layer

    def layer(self, entry, top_level=False):
        if not isinstance(entry, dict) or "class_name" not in entry:
            raise LegacyConfigError(
                f"Expected a layer config (a dict with 'class_name' and 'config'), got {_short(entry)}."
            )
        class_name = entry["class_name"]
        config = entry.get("config")
        if config is None:
            config = {}
        name = entry.get("name") or (config.get("name") if isinstance(config, dict) else None) or "?"
        if not isinstance(class_name, str):
            raise LegacyConfigError(
                f"Layer '{name}': 'class_name' must be a string, got {_short(class_name)}."
            )
        if class_name in _TFOP_CLASSES:
            raise _tensorflow_operation_error(entry)
        cls = self._resolve(entry, name)
        if isinstance(cls, type) and issubclass(cls, Sequential):
            return self.sequential(config, cls, name)
        if isinstance(cls, type) and (issubclass(cls, Functional) or cls is Model):
            return self.functional(config, Functional if cls is Model else cls, name)
        if top_level:
            raise LegacyConfigError(
                f"The file's model is a {class_name}, but a legacy model config must describe a "
                "Sequential or Functional model."
            )
        if not isinstance(config, dict):
            raise LegacyConfigError(
                f"Layer '{name}' ({class_name}): its config must be a dict, got {_short(config)}."
            )
        try:
            config = convert_layer_config(class_name, config, self)
            builtins = registry.builtin_objects("layers")
            if issubclass(cls, (builtins["Wrapper"], builtins["Bidirectional"])):
                layer = cls(**config)  # its inner layers are already built
            else:
                layer = cls.from_config(config)
            build_config = entry.get("build_config")
            if build_config and not layer.built:
                layer.build_from_config(build_config)
        except LegacyConfigError:
            raise
        except Exception as error:  # a hostile or broken config can fail anywhere inside a constructor
            raise LegacyConfigError(
                f"Layer '{name}' ({class_name}) cannot be built from its config: {error}"
            ) from error
        return layer

    def _resolve(self, entry, name):
        class_name = entry["class_name"]
        registered = entry.get("registered_name")
        candidates = [c for c in (registered, class_name) if isinstance(c, str)]
        for candidate in candidates:
            found = registry.get_registered_object(candidate, self.custom_objects, "layers")
            if found is not None:
                if not isinstance(found, type) or not hasattr(found, "from_config"):
                    raise LegacyConfigError(
                        f"Layer '{name}': '{candidate}' names {found!r}, which is not a layer class."
                    )
                return found
        module = entry.get("module")
        where = f"class '{class_name}'" + (f" (module '{module}')" if module else "")
        raise LegacyConfigError(
            f"Layer '{name}' names {where}, which is neither a layerwise layer nor a class registered in "
            "this process. Loading never imports code named by a file; if it is your own class, register "
            "it with @layerwise.saving.register_serializable() or pass it in custom_objects."
        )

    # -------------------------------------------------------------------- Sequential

    def sequential(self, config, cls, name):
        if isinstance(config, list):  # Keras 2.0-2.2 wrote the layer list as the whole config
            config = {"layers": config}
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise LegacyConfigError(f"Sequential model '{name}': its config has no list of 'layers'.")
        try:
            model = cls(name=config.get("name"), trainable=config.get("trainable", True))
            for layer_entry in config["layers"]:
                model.add(self.layer(layer_entry), rebuild=False)
            model._rebuild()
            if not model.built and config.get("build_input_shape"):
                model.build(tuple(config["build_input_shape"]))
        except LegacyConfigError:
            raise
        except Exception as error:
            raise LegacyConfigError(f"Sequential model '{name}' cannot be built: {error}") from error
        return model

    # -------------------------------------------------------------------- Functional

    def functional(self, config, cls, name):
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise LegacyConfigError(f"Functional model '{name}': its config has no list of 'layers'.")
        for key in ("input_layers", "output_layers"):
            if key not in config:
                raise LegacyConfigError(f"Functional model '{name}': its config has no '{key}'.")
        created, calls, pending, order = {}, {}, {}, []
        for layer_entry in config["layers"]:
            layer = self.layer(layer_entry)
            layer_name = layer_entry.get("name") or layer.name
            if layer_name in created:
                raise LegacyConfigError(f"Functional model '{name}' lists two layers named '{layer_name}'.")
            created[layer_name] = layer
            order.append(layer_name)
            calls[layer_name] = [[layer.output]] if isinstance(layer, InputLayer) else []
            nodes = layer_entry.get("inbound_nodes") or []
            if not isinstance(nodes, list):
                raise LegacyConfigError(f"Layer '{layer_name}': 'inbound_nodes' must be a list.")
            pending[layer_name] = [] if isinstance(layer, InputLayer) else list(nodes)

        def tensor(reference):
            if not (isinstance(reference, (list, tuple)) and len(reference) >= 3
                    and isinstance(reference[0], str)):
                raise LegacyConfigError(f"Model '{name}': {_short(reference)} is not a tensor reference.")
            source, node_index, tensor_index = reference[0], reference[1], reference[2]
            if source not in created:
                raise LegacyConfigError(f"Model '{name}': a node refers to layer '{source}', which the "
                                        "config does not define.")
            layer = created[source]
            # A nested Functional model counts its own definition as node 0; Keras 1 and 2 did
            # the same for a nested Sequential model (in Keras 2 a Sequential was a Functional).
            counts_own_node = isinstance(layer, Functional) or (self.keras2 and isinstance(layer, Sequential))
            index = int(node_index) - (1 if counts_own_node else 0)
            if index < 0:
                raise LegacyConfigError(
                    f"Model '{name}': call {node_index} of layer '{source}' does not exist."
                )
            if index >= len(calls[source]):
                raise _NotYet
            outputs = calls[source][index]
            if not 0 <= int(tensor_index) < len(outputs):
                raise LegacyConfigError(
                    f"Model '{name}': layer '{source}' has {len(outputs)} output(s); a node asks for "
                    f"output {tensor_index}."
                )
            return outputs[int(tensor_index)]

        progress = True
        while progress and any(pending.values()):
            progress = False
            for layer_name in order:
                layer = created[layer_name]
                while pending[layer_name]:
                    try:
                        args, kwargs = self._decode_node(pending[layer_name][0], tensor, created, layer_name)
                    except _NotYet:
                        break
                    try:
                        outputs = layer(*args, **kwargs)
                    except Exception as error:
                        raise LegacyConfigError(
                            f"Layer '{layer_name}' ({type(layer).__name__}) cannot be called on its inputs "
                            f"in model '{name}': {error}"
                        ) from error
                    calls[layer_name].append(nest.flatten(outputs))
                    pending[layer_name].pop(0)
                    progress = True
        stuck = [n for n in order if pending[n]]
        if stuck:
            raise LegacyConfigError(
                f"Functional model '{name}': the inputs of layer(s) {', '.join(stuck)} never become "
                "available; the graph in the config has a loop or refers to calls that do not exist."
            )
        try:
            inputs = self._structure(config["input_layers"], tensor, name)
            outputs = self._structure(config["output_layers"], tensor, name)
        except _NotYet:
            raise LegacyConfigError(f"Functional model '{name}': an input or output refers to a layer "
                                    "call that does not exist.") from None
        try:
            return cls(inputs=inputs, outputs=outputs, name=config.get("name"),
                       trainable=config.get("trainable", True))
        except Exception as error:
            raise LegacyConfigError(f"Functional model '{name}' cannot be built: {error}") from error

    @staticmethod
    def _is_reference(value):
        return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
                and all(isinstance(v, int) for v in value[1:]))

    def _structure(self, value, tensor, name):
        """``input_layers``/``output_layers``: a reference, a list of them, or a dict of them."""
        if self._is_reference(value):
            return tensor(value)
        if isinstance(value, dict):
            return {key: self._structure(item, tensor, name) for key, item in value.items()}
        if isinstance(value, list):
            items = [self._structure(item, tensor, name) for item in value]
            # Keras 2 lists even a single input; such a model takes and returns one tensor.
            return items[0] if len(items) == 1 else items
        raise LegacyConfigError(f"Model '{name}': {_short(value)} is not an input/output reference.")

    def _decode_node(self, node, tensor, created, layer_name):
        """``(args, kwargs)`` of one recorded call, in Keras 3's or Keras 2's form."""
        if isinstance(node, dict) and ("args" in node or "kwargs" in node):
            args = self._keras3_value(node.get("args") or [], tensor)
            kwargs = self._keras3_value(node.get("kwargs") or {}, tensor)
            if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
                raise LegacyConfigError(f"Layer '{layer_name}': a node's 'args' must be a list and "
                                        "'kwargs' a dict.")
            return list(args), _clean_call_kwargs(kwargs)
        if isinstance(node, dict):  # Keras 2 with a dict as the first argument
            kwargs = {}
            first = {}
            for key, item in node.items():
                value, kwargs = self._keras2_entry(item, tensor, created, layer_name)
                first[key] = value
            return [first], _clean_call_kwargs(kwargs)
        if not isinstance(node, list) or not node:
            raise LegacyConfigError(f"Layer '{layer_name}': {_short(node)} is not a node of inbound_nodes.")
        values, kwargs = [], {}
        for item in node:
            value, kwargs = self._keras2_entry(item, tensor, created, layer_name)
            values.append(value)
        return [values[0] if len(values) == 1 else values], _clean_call_kwargs(kwargs)

    def _keras2_entry(self, item, tensor, created, layer_name):
        if not isinstance(item, list) or len(item) not in (3, 4):
            raise LegacyConfigError(
                f"Layer '{layer_name}': inbound node entry {_short(item)} is not "
                "[layer_name, node_index, tensor_index, kwargs]."
            )
        kwargs = item[3] if len(item) == 4 else {}
        if not isinstance(kwargs, dict):
            raise LegacyConfigError(f"Layer '{layer_name}': call arguments {_short(kwargs)} are not a dict.")
        kwargs = {key: self._keras2_kwarg(value, tensor, created) for key, value in kwargs.items()}
        if item[0] == "_CONSTANT_VALUE":
            return item[2], kwargs
        return tensor(item), kwargs

    def _keras2_kwarg(self, value, tensor, created):
        # Keras 2 writes a tensor passed by keyword (mask=..., initial_state=...) as [layer, node, tensor].
        if self._is_reference(value) and value[0] in created:
            return tensor(value)
        if isinstance(value, list):
            return [self._keras2_kwarg(v, tensor, created) for v in value]
        return value

    def _keras3_value(self, value, tensor):
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                history = (value.get("config") or {}).get("keras_history")
                return tensor(history)
            if value.get("class_name") == "__tuple__":
                items = (value.get("config") or {}).get("value", [])
                return tuple(self._keras3_value(v, tensor) for v in items)
            return {k: self._keras3_value(v, tensor) for k, v in value.items()}
        if isinstance(value, list):
            return [self._keras3_value(v, tensor) for v in value]
        return value


def _clean_call_kwargs(kwargs):
    """Keras records ``training=False`` and ``mask=None`` on plain calls; replaying them would pin
    dropout off during training. An explicit ``training=True`` (Monte Carlo dropout) is kept."""
    return {k: v for k, v in kwargs.items()
            if not (k == "training" and v in (False, None)) and not (k == "mask" and v is None)}


# ---------------------------------------------------------------------------------------- Keras 2 configs

_NORMALIZATION_AXIS_CLASSES = {"BatchNormalization", "LayerNormalization", "GroupNormalization",
                               "UnitNormalization"}


def convert_layer_config(class_name, config, reader=None):
    """A layer config from Keras 2 (or Keras 3) rewritten into what layerwise's constructors take.

    Keras 2 arguments that Keras 3 dropped are removed when they change
    nothing (``implementation``, ``time_major=False``, BatchNormalization's
    ``fused``) and refused with a message when they would (``time_major=True``).
    ``reader`` builds nested layers (Bidirectional, TimeDistributed).
    """
    config = copy.deepcopy(config)
    name = config.get("name", "?")
    if isinstance(config.get("dtype"), dict):
        config["dtype"] = _policy_name(config["dtype"])
    if class_name in _RNN_CLASSES:
        config.pop("implementation", None)
        if config.pop("time_major", False):
            raise LegacyConfigError(
                f"Layer '{name}' ({class_name}) was saved with time_major=True (inputs shaped "
                "(time, batch, features)), which Keras 3 and layerwise do not support. Rebuild it with "
                "batch-major inputs and load the weights with by_name=True."
            )
        if class_name in ("GRU", "GRUCell") and "reset_after" not in config:
            # Keras before 2.2 had no reset_after: its GRU was reset_after=False.
            config["reset_after"] = False
    if class_name in _NORMALIZATION_AXIS_CLASSES and isinstance(config.get("axis"), list) \
            and len(config["axis"]) == 1:
        config["axis"] = int(config["axis"][0])
    if class_name == "BatchNormalization":
        config.pop("fused", None)
        for key in ("virtual_batch_size", "adjustment"):
            if config.pop(key, None) is not None:
                raise LegacyConfigError(
                    f"Layer '{name}' (BatchNormalization) uses Keras 2's {key}, which Keras 3 and "
                    "layerwise do not support."
                )
    if "cell" in config and isinstance(config["cell"], dict):
        config["cell"] = _convert_nested_entry(config["cell"])
    if "cells" in config and isinstance(config["cells"], list):
        config["cells"] = [_convert_nested_entry(c) if isinstance(c, dict) else c for c in config["cells"]]
    if reader is not None:
        for key in ("layer", "backward_layer"):
            if isinstance(config.get(key), dict) and "class_name" in config[key]:
                config[key] = reader.layer(config[key])
    return config


def _convert_nested_entry(entry):
    if "class_name" not in entry or not isinstance(entry.get("config"), dict):
        return entry
    return {**entry, "config": convert_layer_config(entry["class_name"], entry["config"])}


def _policy_name(policy):
    name = (policy.get("config") or {}).get("name")
    if not isinstance(name, str):
        raise LegacyConfigError(f"The dtype policy {_short(policy)} has no name.")
    return name


def _lambda_from_keras2(config):
    """Keras 2 keeps a Lambda's function as ``[code, defaults, closure]`` plus ``function_type``
    and ``module``; layerwise (as Keras 3) takes ``{"class_name": "__lambda__", ...}``. The module
    is never imported: a named function must be registered or passed in custom_objects."""
    config = dict(config)
    for key, kind_key, module_key in (("function", "function_type", "module"),
                                      ("output_shape", "output_shape_type", "output_shape_module")):
        kind = config.pop(kind_key, None)
        config.pop(module_key, None)
        value = config.get(key)
        if isinstance(value, (list, tuple)) and (kind == "lambda" or key == "function"):
            code, defaults, closure = (list(value) + [None, None])[:3]
            config[key] = {"class_name": "__lambda__",
                           "config": {"code": code, "defaults": defaults, "closure": closure}}
        elif isinstance(value, str) and kind == "lambda":
            config[key] = {"class_name": "__lambda__",
                           "config": {"code": value, "defaults": None, "closure": None}}
    return config


def _short(value, limit=120):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


__all__ = [
    "LegacyConfigError",
    "convert_layer_config",
    "find_tensorflow_operation",
    "legacy_optimizer_config",
    "model_from_legacy_config",
    "model_to_legacy_config",
    "normalize_legacy_config",
    "to_legacy_object",
]
