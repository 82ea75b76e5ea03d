"""Functional models: a graph of layer calls from ``Input`` tensors to outputs.

At construction the graph recorded by symbolic calls (``symbolic.Node``) is
walked once from the outputs back to the inputs; the result is a flat list
of layer calls in execution order. Calling the model then just runs that
list, with no per-call graph work.
"""

import collections

import numpy as np
import torch

from layerwise import backend
from layerwise.engine import nest
from layerwise.engine.model import Model
from layerwise.engine.symbolic import KerasTensor
from layerwise.saving.registry import builtin


def _walk_graph(inputs, outputs):
    """Nodes in inputs-to-outputs order and the first DFS index of each layer."""
    finished, in_progress, ordered, layer_index = set(), set(), [], {}
    input_ids = {id(t) for t in inputs}

    def visit(tensor):
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in finished:
            return
        if not node.is_input and id(tensor) in input_ids:
            finished.add(id(node))
            return
        if id(node) in in_progress:
            raise ValueError(f"The graph has a cycle at layer '{layer.name}'.")
        layer_index.setdefault(layer, len(layer_index))
        in_progress.add(id(node))
        if id(tensor) not in input_ids:
            for parent_tensor in node.input_tensors:
                visit(parent_tensor)
        finished.add(id(node))
        in_progress.discard(id(node))
        ordered.append(node)

    for tensor in outputs:
        visit(tensor)
    return ordered, layer_index


def map_graph(inputs, outputs):
    """Depth of every node and layer, the layers in Keras's order, and a connectivity check.

    Depth counts layer calls between a node and the outputs (outputs are 0),
    as Keras counts it; layers are listed deepest first, ties broken by the
    order a depth-first walk from the outputs meets them.
    """
    ordered_nodes, layer_index = _walk_graph(inputs, outputs)
    in_graph = {id(n) for n in ordered_nodes}
    node_depth, layer_depth = {}, {}
    for node in reversed(ordered_nodes):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(node.layer, 0))
        layer_depth[node.layer] = depth
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for tensor in inputs:
        layer = tensor._keras_history.layer
        if layer not in layer_depth:  # an input no output depends on: keep it
            layer_depth[layer] = 0
            layer_index[layer] = -1
            node = layer._inbound_nodes[tensor._keras_history.node_index]
            ordered_nodes.insert(0, node)
            node_depth[id(node)] = 0

    nodes_by_depth = collections.defaultdict(list)
    for node in ordered_nodes:
        nodes_by_depth[node_depth[id(node)]].append(node)
    layers_by_depth = collections.defaultdict(list)
    for layer, depth in layer_depth.items():
        layers_by_depth[depth].append(layer)
    layers = []
    for depth in sorted(layers_by_depth, reverse=True):
        layers.extend(sorted(layers_by_depth[depth], key=lambda layer: layer_index[layer]))

    computable = {id(t) for t in inputs}
    reached = []
    execution_order = []
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            for tensor in node.input_tensors:
                if id(tensor) not in computable:
                    raise ValueError(
                        f"Graph disconnected: layer '{node.layer.name}' needs tensor "
                        f"{tensor.name or tensor._keras_history.layer.name} (shape {tensor.shape}), "
                        "which cannot be computed from the model's inputs. Layers reached without "
                        f"issue: {reached}. Pass every Input the outputs depend on in Model(inputs=...)."
                    )
            reached.append(node.layer.name)
            if not node.is_input:  # an Input's tensor counts only if it is one of the model's inputs
                computable.update(id(t) for t in node.output_tensors)
            execution_order.append(node)

    names = [layer.name for layer in layers]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(
                f'The name "{name}" is used {names.count(name)} times in the model. '
                "All layer names should be unique; rename one with name=..."
            )
    by_depth = [nodes_by_depth[d] for d in sorted(nodes_by_depth, reverse=True)]
    return execution_order, by_depth, layers


# Keras writes this module for Functional models; its own loader imports it by that name.
@builtin("models", keras_module="keras.src.models.functional")
class Functional(Model):
    """A model defined by connecting layers: ``Model(inputs, outputs)``.

    Inputs and outputs may be one tensor, a list, or a dict. Layers may be
    shared (called more than once) and whole models may be used as layers.

    Example:

    >>> a = layerwise.Input(shape=(3,), name="a")
    >>> b = layerwise.Input(shape=(3,), name="b")
    >>> merged = layerwise.layers.Concatenate()([a, b])
    >>> model = layerwise.Model(inputs=[a, b], outputs=layerwise.layers.Dense(1)(merged))
    >>> model([np.ones((2, 3)), np.ones((2, 3))]).shape
    torch.Size([2, 1])
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name or backend.unique_name("functional"), trainable=trainable, **kwargs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._input_tensors = nest.flatten(inputs)
        self._output_tensors = nest.flatten(outputs)
        for tensor in self._input_tensors:
            _check_keras_tensor(tensor, "inputs")
        for tensor in self._output_tensors:
            _check_keras_tensor(tensor, "outputs")
        execution_order, self._nodes_by_depth, layers = map_graph(self._input_tensors, self._output_tensors)
        self._layer_list = torch.nn.ModuleList(layers)
        # The execution plan: layer calls with the ids of the tensors they read and write.
        self._plan = [
            (node.layer, node.call_args, node.call_kwargs, [id(t) for t in node.output_tensors])
            for node in execution_order
            if not node.is_input
        ]
        self._input_layers = [t._keras_history.layer for t in self._input_tensors]
        self.built = True
        self._build_shape = nest.map_structure(lambda t: t.shape, inputs)

    @property
    def layers(self):
        return list(self._layer_list)

    @property
    def inputs(self):
        return list(self._input_tensors)

    @property
    def outputs(self):
        return list(self._output_tensors)

    @property
    def input(self):
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_shape(self):
        return nest.map_structure(lambda t: t.shape, self._inputs_struct)

    @property
    def output_shape(self):
        return nest.map_structure(lambda t: t.shape, self._outputs_struct)

    @property
    def input_names(self):
        return [layer.name for layer in self._input_layers]

    @property
    def output_names(self):
        return [t._keras_history.layer.name for t in self._output_tensors]

    def _flatten_inputs(self, inputs):
        if isinstance(inputs, dict):
            if isinstance(self._inputs_struct, dict):
                keys = list(self._inputs_struct)
            else:
                keys = self.input_names
            missing = [k for k in keys if k not in inputs]
            if missing:
                raise ValueError(
                    f"Model '{self.name}' expects inputs named {keys}; the dict given lacks {missing}."
                )
            return [inputs[k] for k in keys]
        flat = nest.flatten(inputs)
        if len(flat) != len(self._input_tensors):
            raise ValueError(
                f"Model '{self.name}' expects {len(self._input_tensors)} input(s) "
                f"({', '.join(self.input_names)}), but it was called with {len(flat)}."
            )
        return flat

    def call(self, inputs, training=None, mask=None):
        values = {}
        for symbolic, value in zip(self._input_tensors, self._flatten_inputs(inputs)):
            values[id(symbolic)] = _conform(value, symbolic)

        def fetch(leaf):
            return values[id(leaf)] if isinstance(leaf, KerasTensor) else leaf

        for layer, call_args, call_kwargs, output_ids in self._plan:
            args = nest.map_structure(fetch, call_args)
            kwargs = nest.map_structure(fetch, call_kwargs)
            outputs = layer(*args, **kwargs)
            if len(output_ids) == 1:
                values[output_ids[0]] = outputs
            else:
                for output_id, value in zip(output_ids, nest.flatten(outputs)):
                    values[output_id] = value
        return nest.map_structure(lambda t: values[id(t)], self._outputs_struct)

    def compute_output_spec(self, *args, **kwargs):
        inputs = args[0]
        batch = nest.flatten(inputs)[0].shape[0] if nest.flatten(inputs) else None
        return nest.map_structure(
            lambda t: KerasTensor((batch,) + tuple(t.shape[1:]), dtype=t.dtype), self._outputs_struct
        )

    def _maybe_build(self, input_shapes):
        self.built = True

    def get_config(self):
        """The layers, their connections and the inputs/outputs, in Keras 3's format."""
        from layerwise.saving.functional_config import get_functional_config

        return get_functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild the graph from :meth:`get_config`'s dict (new layers, new weights)."""
        from layerwise.saving.functional_config import functional_from_config

        return functional_from_config(cls, config, custom_objects)

    def get_build_config(self):
        # As Keras: a Functional model is built by its graph, not by an input shape.
        return {"input_shape": None}


def _check_keras_tensor(tensor, argument):
    if not isinstance(tensor, KerasTensor):
        raise TypeError(
            f"Model({argument}=...) expects tensors from layerwise.Input() and layer calls, got "
            f"{type(tensor).__name__}. Build the model from symbolic tensors: "
            "inputs = Input(shape=...); outputs = Dense(...)(inputs); Model(inputs, outputs)."
        )


def _conform(value, symbolic):
    """Match a concrete input to its ``Input``: dtype, and a missing/extra trailing axis of 1."""
    if symbolic.dtype == "string":  # texts stay a numpy array; a string layer turns them into ids
        value = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) else value
        if value.ndim == len(symbolic.shape) - 1 and symbolic.shape[-1] == 1:
            value = value[..., None]
        return value
    if not isinstance(value, torch.Tensor):
        value = backend.convert_to_tensor(value, dtype=symbolic.dtype)
    expected_rank = len(symbolic.shape)
    if value.ndim == expected_rank - 1 and symbolic.shape[-1] == 1:
        value = value.unsqueeze(-1)
    elif value.ndim == expected_rank + 1 and value.shape[-1] == 1:
        value = value.squeeze(-1)
    if value.dtype != backend.torch_dtype(symbolic.dtype):
        mask = getattr(value, "_keras_mask", None)
        value = value.to(backend.torch_dtype(symbolic.dtype))
        if mask is not None:
            value._keras_mask = mask
    return value


__all__ = ["Functional", "map_graph"]
