"""Symbolic tensors and nodes: how the Functional API records a graph.

Calling a layer on a :class:`KerasTensor` (what ``Input`` returns) runs no
computation: it builds the layer for the input shape, works out the output
shape, and records a :class:`Node` linking input tensors to output tensors.
``Model(inputs, outputs)`` later walks these nodes.
"""

import collections

from layerwise import backend
from layerwise.engine import nest

KerasHistory = collections.namedtuple("KerasHistory", ["layer", "node_index", "tensor_index"])


class KerasTensor:
    """A placeholder for a tensor in a model being defined: a shape and a dtype, no values.

    ``shape`` holds ``None`` where the size is not known yet (the batch axis).

    Example:

    >>> x = layerwise.Input(shape=(89,))
    >>> x.shape
    (None, 89)
    """

    def __init__(self, shape, dtype=None, name=None, sparse=False):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = backend.standardize_dtype(dtype)
        self.name = name
        self.sparse = sparse
        self._keras_history = None

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return (
            f"<KerasTensor shape={self.shape}, dtype={self.dtype}, "
            f"sparse={self.sparse}, name={self.name}>"
        )

    def __bool__(self):
        raise TypeError(
            "A KerasTensor is symbolic: it has no value to test. You are probably "
            "using an `if` on a layer output while defining a Functional model; "
            "move that logic into a layer's call()."
        )


def is_symbolic(structure):
    """True if any leaf of ``structure`` is a :class:`KerasTensor`."""
    return any(isinstance(leaf, KerasTensor) for leaf in nest.flatten(structure))


class Node:
    """One call of a layer on symbolic inputs: the edge set of the Functional graph."""

    def __init__(self, layer, call_args=(), call_kwargs=None, outputs=None):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs or {}
        self.outputs = outputs
        self.input_tensors = [
            leaf for leaf in nest.flatten((call_args, self.call_kwargs)) if isinstance(leaf, KerasTensor)
        ]
        self.output_tensors = nest.flatten(outputs)
        self.parent_nodes = []
        for tensor in self.input_tensors:
            history = tensor._keras_history
            if history is None:
                raise ValueError(
                    f"Layer '{layer.name}' was called on a KerasTensor that does not come from "
                    "layerwise.Input() or another layer. Start every Functional model with Input(shape=...)."
                )
            parent = history.layer._inbound_nodes[history.node_index]
            self.parent_nodes.append(parent)
            history.layer._outbound_nodes.append(self)
        node_index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        for index, tensor in enumerate(self.output_tensors):
            tensor._keras_history = KerasHistory(layer, node_index, index)

    @property
    def is_input(self):
        return not self.input_tensors
