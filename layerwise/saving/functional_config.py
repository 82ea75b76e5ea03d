"""The config of a Functional model: its layers and how they are connected, as Keras 3 writes it.

``Functional.get_config()`` lists every layer (its own config, plus its
``name`` and ``inbound_nodes``: the calls that connect it) and names the
model's inputs and outputs as ``[layer_name, node_index, tensor_index]``.
``functional_from_config`` rebuilds the graph by creating the layers and
calling them again on symbolic tensors in dependency order.

Both directions follow Keras 3 exactly, so a config written by either
library loads in the other:

* node indices count only the calls that belong to this model (a layer also
  used in another model has more nodes than this model knows of);
* in ``input_layers``/``output_layers`` a nested Functional model's node
  index is one higher than in ``inbound_nodes`` (Keras counts the model's
  own internal node there);
* Keras 2 configs (``inbound_nodes`` as lists of
  ``[layer_name, node_index, tensor_index, kwargs]``) load too.

Example:

>>> inputs = layerwise.Input(shape=(3,), name="x")
>>> model = layerwise.Model(inputs, layerwise.layers.Dense(2, name="out")(inputs))
>>> config = model.get_config()
>>> config["input_layers"], config["output_layers"]
(['x', 0, 0], ['out', 0, 0])
>>> clone = layerwise.Model.from_config(config)
"""

import numpy as np

from layerwise.engine import nest
from layerwise.engine.symbolic import KerasTensor
from layerwise.saving import serialization


def get_functional_config(model):
    """Keras 3's ``Functional.get_config()`` for the layerwise Functional ``model``."""
    from layerwise.engine.functional import Functional

    own_nodes = {id(node) for depth in model._nodes_by_depth for node in depth}

    def new_index(layer, node_index):
        """The index of ``layer``'s node among the nodes that belong to this model."""
        kept = [i for i, node in enumerate(layer._inbound_nodes) if id(node) in own_nodes]
        return kept.index(node_index)

    def tensor_config(tensor):
        layer, node_index, tensor_index = tensor._keras_history
        return {
            "class_name": "__keras_tensor__",
            "config": {
                "shape": list(tensor.shape),
                "dtype": tensor.dtype,
                "keras_history": [layer.name, new_index(layer, node_index), tensor_index],
            },
        }

    def serialize_argument(value):
        if isinstance(value, KerasTensor):
            return tensor_config(value)
        if isinstance(value, (list, tuple)):
            return [serialize_argument(item) for item in value]
        if isinstance(value, dict):
            return {key: serialize_argument(item) for key, item in value.items()}
        return serialization.serialize_keras_object(value)

    layer_configs = []
    for layer in model.layers:
        nodes = []
        for node in layer._inbound_nodes:
            if id(node) not in own_nodes or node.is_input:
                continue
            nodes.append({"args": serialize_argument(list(node.call_args)),
                          "kwargs": serialize_argument(dict(node.call_kwargs))})
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = nodes
        layer_configs.append(entry)

    def endpoint(tensor):
        layer, node_index, tensor_index = tensor._keras_history
        index = new_index(layer, node_index)
        if isinstance(layer, Functional):
            index += 1  # Keras counts a nested Functional model's own node here
        return [layer.name, index, tensor_index]

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layer_configs,
        "input_layers": _map_endpoints(endpoint, model._inputs_struct),
        "output_layers": _map_endpoints(endpoint, model._outputs_struct),
    }


def serialize_layer(layer):
    """A layer's entry in a model config: its Keras object config plus build and compile configs."""
    entry = serialization.serialize_keras_object(layer)
    build_config = layer.get_build_config()
    if build_config is not None:
        entry["build_config"] = build_config
    if hasattr(layer, "get_compile_config"):
        entry["compile_config"] = layer.get_compile_config()
    return entry


def _map_endpoints(fn, structure):
    if isinstance(structure, KerasTensor):
        return fn(structure)
    if isinstance(structure, dict):
        return {key: _map_endpoints(fn, value) for key, value in structure.items()}
    return [_map_endpoints(fn, value) for value in structure]


def is_functional_config(config):
    """True if ``config`` describes a graph (Keras's test before reviving a Functional model)."""
    keys = ("layers", "input_layers", "output_layers")
    return isinstance(config, dict) and all(key in config for key in keys)


def functional_from_config(cls, config, custom_objects=None):
    """Rebuild a Functional model (an instance of ``cls``) from ``get_config()``'s dict.

    Layers are created first; then each layer's recorded calls are replayed on
    symbolic tensors, deferring a call until the tensors it reads exist (a layer
    shared at several depths). Names in the config must refer to layers of the
    config; anything else is refused with a ``ValueError``.
    """
    config = dict(config)
    layer_entries = config.pop("layers")
    input_spec = config.pop("input_layers")
    output_spec = config.pop("output_layers")
    name = config.pop("name", None)
    trainable = config.pop("trainable", True)
    if not isinstance(layer_entries, list):
        raise _invalid(f"it needs a list under 'layers', got {type(layer_entries).__name__}.")

    created = {}
    pending = {}
    order = []
    for entry in layer_entries:
        if not isinstance(entry, dict) or "class_name" not in entry:
            raise _invalid(f"each entry of 'layers' must be a layer config, got {entry!r:.200}.")
        layer_name = entry.get("name") or (entry.get("config") or {}).get("name")
        if not isinstance(layer_name, str):
            raise _invalid(f"a {entry.get('class_name')!r} entry of 'layers' has no name.")
        if layer_name in created:
            raise _invalid(f"it lists two layers named '{layer_name}'.")
        layer = _deserialize_layer(entry, custom_objects)
        created[layer_name] = layer
        order.append(layer_name)
        nodes = entry.get("inbound_nodes") or []
        if not isinstance(nodes, list):
            raise _invalid(f"'inbound_nodes' of layer '{layer_name}' must be a list.")
        pending[layer_name] = list(nodes)

    legacy_offsets = _legacy_model_offsets(created, pending)
    # The nodes created for each layer while rebuilding, in order.
    rebuilt = {layer_name: [] for layer_name in created}

    def tensor_at(layer_name, node_index, tensor_index, offset=0):
        if layer_name not in created:
            raise _invalid(f"it refers to layer '{layer_name}', which it does not list.")
        layer = created[layer_name]
        node_index = int(node_index) - offset
        if _is_input_layer(layer):
            outputs = layer._inbound_nodes[0].output_tensors
        else:
            if node_index < 0:
                raise _invalid(f"a negative node index for layer '{layer_name}'.")
            if node_index >= len(rebuilt[layer_name]):
                raise _NotYet()
            outputs = rebuilt[layer_name][node_index]
        if not 0 <= int(tensor_index) < len(outputs):
            raise _invalid(f"it asks for output {tensor_index} of layer '{layer_name}', which has "
                           f"{len(outputs)} output(s).")
        return outputs[int(tensor_index)]

    def revive(value):
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                history = (value.get("config") or {}).get("keras_history")
                if not (isinstance(history, list) and len(history) == 3):
                    raise _invalid(f"a tensor has no valid keras_history: {value!r:.200}.")
                return tensor_at(*history)
            if "class_name" in value:
                return decode_data(value)
            return {key: revive(item) for key, item in value.items()}
        if isinstance(value, list):
            return [revive(item) for item in value]
        return value

    def call_arguments(layer_name, node_data):
        if isinstance(node_data, list):  # Keras 2: [[layer_name, node_index, tensor_index, kwargs], ...]
            tensors, kwargs = [], {}
            for item in node_data:
                if not isinstance(item, list) or len(item) not in (3, 4):
                    raise _invalid(f"cannot read an inbound node of layer '{layer_name}': {item!r:.200}.")
                offset = legacy_offsets.get(item[0], 0)
                tensors.append(tensor_at(item[0], item[1], item[2], offset))
                if len(item) == 4 and item[3]:
                    kwargs = revive(item[3])
            return [tensors[0] if len(tensors) == 1 else tensors], kwargs
        if not isinstance(node_data, dict):
            raise _invalid(f"cannot read an inbound node of layer '{layer_name}': {node_data!r:.200}.")
        args = revive(node_data.get("args", []))
        kwargs = revive(node_data.get("kwargs", {}))
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise _invalid(f"an inbound node of layer '{layer_name}' needs a list of args and a dict of "
                           "kwargs.")
        return args, kwargs

    while any(pending.values()):
        progressed = False
        for layer_name in order:
            queue = pending[layer_name]
            while queue:
                try:
                    args, kwargs = call_arguments(layer_name, queue[0])
                except _NotYet:
                    break
                outputs = created[layer_name](*args, **kwargs)
                rebuilt[layer_name].append(nest.flatten(outputs))
                queue.pop(0)
                progressed = True
        if not progressed:
            stuck = sorted(name for name, queue in pending.items() if queue)
            raise _invalid("the graph has a loop or refers to calls that do not exist. Layers whose "
                           f"calls could not be rebuilt: {stuck}.")

    def endpoint(spec):
        if isinstance(spec, list) and len(spec) in (3, 4) and isinstance(spec[0], str):
            layer = created.get(spec[0])
            offset = legacy_offsets.get(spec[0], 1 if _is_functional(layer) else 0)
            return tensor_at(spec[0], spec[1], spec[2], offset)
        if isinstance(spec, dict):
            return {key: endpoint(value) for key, value in spec.items()}
        if isinstance(spec, list):
            return [endpoint(value) for value in spec]
        raise _invalid(f"cannot read the model's inputs/outputs: {spec!r:.200}.")

    try:
        inputs = endpoint(input_spec)
        outputs = endpoint(output_spec)
    except _NotYet:
        raise _invalid("its inputs or outputs name a layer call that does not exist.") from None
    from layerwise.engine.functional import Functional

    target = cls if _functional_like(cls) else Functional
    return target(inputs=inputs, outputs=outputs, name=name, trainable=trainable, **config)


def _invalid(detail):
    return ValueError(f"Invalid Functional model configuration: {detail}")


class _NotYet(Exception):
    """A call reads a tensor whose producing call has not been replayed yet."""


def _deserialize_layer(entry, custom_objects):
    layer = serialization.deserialize_keras_object(entry, "layers", custom_objects, what="layer")
    from layerwise.engine.layer import Layer

    if not isinstance(layer, Layer):
        raise _invalid(f"its entry {entry.get('class_name')!r} is not a layer (got {type(layer).__name__}).")
    # No build_from_config here: replaying the layer's calls builds it for the real input shapes.
    return layer


def _is_input_layer(layer):
    from layerwise.engine.input_layer import InputLayer

    return isinstance(layer, InputLayer)


def _is_functional(layer):
    from layerwise.engine.functional import Functional

    return isinstance(layer, Functional)


def _functional_like(cls):
    from layerwise.engine.functional import Functional

    return isinstance(cls, type) and issubclass(cls, Functional)


def _legacy_model_offsets(created, pending):
    """Keras 2 counted a nested model's own internal node: its calls are numbered from 1.

    For each nested model referenced by Keras 2 style (list) nodes, the offset
    is 1 if the highest index referenced equals its number of calls.
    """
    from layerwise.engine.model import Model

    referenced = {}
    for nodes in pending.values():
        for node in nodes:
            if isinstance(node, list):
                for item in node:
                    if isinstance(item, list) and len(item) >= 3 and isinstance(item[0], str):
                        referenced.setdefault(item[0], []).append(item[1])
    offsets = {}
    for layer_name, indices in referenced.items():
        layer = created.get(layer_name)
        if isinstance(layer, Model) and all(isinstance(i, int) for i in indices) and \
                max(indices) >= 1 and max(indices) == len(pending.get(layer_name, [])):
            offsets[layer_name] = 1
    return offsets


def decode_data(value):
    """Turn Keras's plain-data objects (``__numpy__``, ``__bytes__``, ...) into Python values.

    Walks lists and dicts (class configs included, so a layer argument saved
    as ``__numpy__`` becomes an array); everything else is left as it is —
    class configs are built by the registry later, never here.
    """
    if isinstance(value, list):
        return [decode_data(item) for item in value]
    if not isinstance(value, dict):
        return value
    class_name = value.get("class_name")
    inner = value.get("config")
    if class_name in ("__numpy__", "__tensor__"):
        dtype = np.dtype(inner["dtype"])
        if dtype.kind not in "biufc":
            raise ValueError(f"A {class_name} value in the config has dtype {dtype}; only numbers are read.")
        return np.array(inner["value"], dtype=dtype)
    if class_name == "__bytes__":
        return str(inner["value"]).encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(decode_data(inner.get("start")), decode_data(inner.get("stop")),
                     decode_data(inner.get("step")))
    if class_name == "__tuple__":
        return tuple(decode_data(item) for item in inner.get("value", []))
    return {key: decode_data(item) for key, item in value.items()}
