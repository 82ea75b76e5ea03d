"""``plot_model`` and ``model_to_dot``: the diagram of a model's layers, drawn as Keras 3 draws it.

The graph is written in Graphviz's DOT language by layerwise itself (no
``pydot`` needed), with Keras 3's boxes: a black title row with the layer's
name and class, then optional rows for the activation, the input and output
shapes, the output dtype and a green "Trainable" / red "Non-trainable" cell.
Arrows follow the data from the ``Input`` layers to the outputs; nested
models are one box, or a dashed cluster of their own layers with
``expand_nested=True``.

Rendering the DOT text to PNG, SVG, PDF, ... is Graphviz's job: ``plot_model``
runs its ``dot`` program, which must be installed (``apt-get install
graphviz``, ``brew install graphviz``, ``conda install graphviz``, or the
installer from graphviz.org). ``model_to_dot`` needs nothing.

Example:

>>> layerwise.utils.plot_model(model, "model.png", show_shapes=True, show_layer_names=True)
>>> print(layerwise.utils.model_to_dot(model).to_string())
digraph G {
...
"""

import html
import os
import shutil
import subprocess

from layerwise.engine import nest
from layerwise.saving.file_io import atomic_write
from layerwise.utils.plotting import in_notebook

# Seconds Graphviz may take to draw one diagram; a model's diagram takes well under one.
_DOT_TIMEOUT = 120

_GRAPHVIZ_MISSING = (
    "plot_model needs Graphviz's `dot` program to draw the diagram, and `dot` was not found on the "
    "PATH. Install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install "
    "graphviz` (macOS), `conda install graphviz`, or the Windows installer from graphviz.org "
    "(then add its bin folder to PATH). Check with `dot -V`. "
    "layerwise.utils.model_to_dot(model).to_string() gives the DOT text without Graphviz."
)


class DotGraph:
    """A Graphviz graph (or cluster) as DOT text: what ``model_to_dot`` returns.

    It offers the part of ``pydot.Dot``'s interface that code written for
    Keras uses: ``to_string()``, ``create(prog="dot", format="svg")`` (bytes),
    ``write(path, format="png")``, and ``create_<format>()`` /
    ``write_<format>(path)`` shortcuts.

    Example:

    >>> dot = layerwise.utils.model_to_dot(model, show_shapes=True)
    >>> svg_bytes = dot.create(prog="dot", format="svg")
    >>> dot.write("model.dot")  # the DOT text itself
    """

    def __init__(self, name="G", cluster=False):
        self.name = name
        self.cluster = cluster
        self.attributes = {}
        self.node_defaults = {}
        self.nodes = []        # (id, attributes)
        self.edges = []        # (source id, destination id, attributes)
        self.subgraphs = []    # DotGraph clusters
        self._statements = []  # order of nodes and subgraphs, as added

    # ------------------------------------------------------------------ building

    def set(self, name, value):
        self.attributes[name] = value

    def add_node(self, node_id, **attributes):
        self.nodes.append((node_id, attributes))
        self._statements.append(("node", len(self.nodes) - 1))

    def add_subgraph(self, subgraph):
        self.subgraphs.append(subgraph)
        self._statements.append(("subgraph", len(self.subgraphs) - 1))

    def add_edge(self, source, destination, **attributes):
        """Add an edge unless this graph already has one from ``source`` to ``destination``."""
        if any(s == source and d == destination for s, d, _ in self.edges):
            return
        self.edges.append((source, destination, attributes))

    def get_node_ids(self, recursive=True):
        """The ids of the graph's nodes (and, with ``recursive``, those of its clusters)."""
        ids = [node_id for node_id, _ in self.nodes]
        if recursive:
            for subgraph in self.subgraphs:
                ids.extend(subgraph.get_node_ids())
        return ids

    def get_edge_pairs(self, recursive=True):
        """``(source id, destination id)`` of every edge (and, with ``recursive``, the clusters')."""
        pairs = [(s, d) for s, d, _ in self.edges]
        if recursive:
            for subgraph in self.subgraphs:
                pairs.extend(subgraph.get_edge_pairs())
        return pairs

    # ------------------------------------------------------------------ output

    def to_string(self):
        """The graph in the DOT language."""
        lines = []
        if self.cluster:
            lines.append(f"subgraph {_quote('cluster_' + self.name)} {{")
        else:
            lines.append(f"digraph {_quote(self.name)} {{")
        for name, value in self.attributes.items():
            lines.append(f"{name}={_value(value)};")
        if self.node_defaults:
            lines.append(f"node [{_attribute_list(self.node_defaults)}];")
        for kind, index in self._statements:
            if kind == "node":
                node_id, attributes = self.nodes[index]
                lines.append(f"{_quote(node_id)} [{_attribute_list(attributes)}];")
            else:
                lines.append(self.subgraphs[index].to_string())
        for source, destination, attributes in self.edges:
            suffix = f" [{_attribute_list(attributes)}]" if attributes else ""
            lines.append(f"{_quote(source)} -> {_quote(destination)}{suffix};")
        lines.append("}")
        return "\n".join(lines) + ("" if self.cluster else "\n")

    __str__ = to_string

    def create(self, prog="dot", format="ps", encoding=None):
        """Run Graphviz on the graph and return the drawing as bytes (``format``: png, svg, pdf, ...)."""
        return _run_graphviz(self.to_string(), format, prog)

    def write(self, path, prog="dot", format="raw", encoding=None):
        """Write the graph to ``path``: the DOT text for ``format="raw"``, else Graphviz's drawing."""
        path = os.fspath(path)
        with atomic_write(path) as temporary:
            if format == "raw":
                with open(temporary, "w", encoding=encoding or "utf-8") as handle:
                    handle.write(self.to_string())
            else:
                _run_graphviz(self.to_string(), format, prog, output=temporary)
        return True

    def __getattr__(self, name):
        # pydot's shortcuts: create_png(), write_svg(path), ...
        if name.startswith("create_"):
            return lambda prog="dot", encoding=None: self.create(prog=prog, format=name[7:])
        if name.startswith("write_"):
            return lambda path, prog="dot", encoding=None: self.write(path, prog=prog, format=name[6:])
        raise AttributeError(f"'DotGraph' object has no attribute '{name}'")

    def _repr_svg_(self):
        # Jupyter shows the diagram when a DotGraph is the cell's value (needs Graphviz).
        if shutil.which("dot") is None:
            return None
        return self.create(format="svg").decode("utf-8")


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if text.startswith("<") and text.endswith(">"):
        return text  # an HTML-like label
    if text and (text.replace("_", "").isalnum() and not text[0].isdigit() or _is_number(text)):
        return text
    return _quote(text)


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def _attribute_list(attributes):
    return ", ".join(f"{name}={_value(value)}" for name, value in attributes.items())


def _run_graphviz(dot_text, format, prog="dot", output=None):
    program = shutil.which(prog)
    if program is None:
        raise ImportError(_GRAPHVIZ_MISSING if prog == "dot" else _GRAPHVIZ_MISSING.replace("`dot`", f"`{prog}`"))
    command = [program, f"-T{format}"]
    if output is not None:
        command += ["-o", output]
    try:
        result = subprocess.run(command, input=dot_text.encode("utf-8"), capture_output=True,
                                timeout=_DOT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"Graphviz's {prog} did not finish drawing the model within {_DOT_TIMEOUT} s.") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        if "not recognized" in message:
            raise ValueError(
                f"Graphviz cannot write the format {format!r} (taken from the file's extension). "
                f"Use .png, .svg, .pdf or .jpg. Graphviz said: {message}"
            )
        raise RuntimeError(f"Graphviz's {prog} failed (exit status {result.returncode}): {message}")
    return result.stdout


# ---------------------------------------------------------------------- layer boxes


def _activation_name(layer):
    activation = layer.activation
    if hasattr(activation, "name"):
        return activation.name
    if hasattr(activation, "__name__"):
        return activation.__name__
    return str(activation)


def _format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, dict):
        text = ", ".join(f"{key}: {value}" for key, value in shape.items())
    else:
        text = f"{shape}"
    return text.replace("{", "").replace("}", "")


def _graph_attribute(layer, attribute, what):
    """``what`` (shape or dtype) of the layer's symbolic input or output; None when it has none."""
    try:
        tensors = getattr(layer, attribute)
        return nest.map_structure(lambda tensor: getattr(tensor, what), tensors)
    except (AttributeError, ValueError):
        return None


def make_layer_label(layer, show_layer_names, show_layer_activations, show_dtype, show_shapes,
                     show_trainable):
    """The HTML-like label of one layer's box, cell for cell as Keras 3 draws it."""
    class_name = type(layer).__name__
    # Keras spans the title over as many columns as the flags could give, used or not.
    colspan = max(1, int(show_dtype) + int(show_trainable) + (2 if show_shapes else 0))
    table = '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
    if show_layer_names:
        title = f"<b>{html.escape(layer.name)}</b> ({class_name})"
    else:
        title = f"<b>{class_name}</b>"
    table += (f'<tr><td colspan="{colspan}" bgcolor="black">'
              f'<font point-size="16" color="white">{title}</font></td></tr>')
    if show_layer_activations and getattr(layer, "activation", None) is not None:
        table += (f'<tr><td bgcolor="white" colspan="{colspan}"><font point-size="14">'
                  f"Activation: <b>{html.escape(_activation_name(layer))}</b></font></td></tr>")

    cells = []
    if show_shapes:
        if class_name != "InputLayer":
            input_shape = _format_shape(_graph_attribute(layer, "input", "shape"))
            cells.append('<td bgcolor="white"><font point-size="14">'
                         f"Input shape: <b>{html.escape(input_shape)}</b></font></td>")
        output_shape = _format_shape(_graph_attribute(layer, "output", "shape"))
        cells.append('<td bgcolor="white"><font point-size="14">'
                     f"Output shape: <b>{html.escape(output_shape)}</b></font></td>")
    if show_dtype:
        dtype = _graph_attribute(layer, "output", "dtype")
        cells.append('<td bgcolor="white"><font point-size="14">'
                     f"Output dtype: <b>{html.escape(str(dtype or '?'))}</b></font></td>")
    if show_trainable and layer.weights:
        if layer.trainable:
            cells.append('<td bgcolor="forestgreen"><font point-size="14" color="white">'
                         "<b>Trainable</b></font></td>")
        else:
            cells.append('<td bgcolor="firebrick"><font point-size="14" color="white">'
                         "<b>Non-trainable</b></font></td>")
    if cells:
        table += f"<tr>{''.join(cells)}</tr>"
    return table + "</table>>"


# ---------------------------------------------------------------------- the graph


class _NodeIds:
    """A stable DOT id per layer object: its name, made unique if two layers share one."""

    def __init__(self):
        self._ids = {}
        self._used = set()

    def __call__(self, layer):
        key = id(layer)
        if key not in self._ids:
            candidate, suffix = layer.name, 1
            while candidate in self._used:
                candidate = f"{layer.name}_{suffix}"
                suffix += 1
            self._used.add(candidate)
            self._ids[key] = candidate
        return self._ids[key]


def _kinds():
    from layerwise.engine.functional import Functional
    from layerwise.engine.sequential import Sequential

    return Functional, Sequential


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False,
                 show_trainable=False, splines="ortho", **kwargs):
    """Convert a model to a Graphviz graph (DOT text); Graphviz is not needed for this step.

    Args:
        model: a layerwise model (Sequential, Functional or subclassed; a
            subclassed model is one box).
        show_shapes: show each layer's input and output shapes.
        show_dtype: show each layer's output dtype.
        show_layer_names: show each layer's name beside its class.
        rankdir: ``"TB"`` draws top to bottom, ``"LR"`` left to right.
        expand_nested: draw the layers of nested models inside dashed clusters.
        dpi: image resolution in dots per inch.
        subgraph: return a cluster (used for nested models) instead of a graph.
        show_layer_activations: show the activation of layers that have one.
        show_trainable: mark each layer with weights as trainable or not.
        splines: how edges are drawn: ``"ortho"`` (right angles), ``"curved"``,
            ``"polyline"``, ``"spline"`` or ``"line"``.

    Returns:
        a :class:`DotGraph` (``.to_string()`` is the DOT text).

    Example:

    >>> dot = layerwise.utils.model_to_dot(model, show_shapes=True)
    >>> "Output shape" in dot.to_string()
    True
    """
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or by "
            "calling the model on a batch of data."
        )
    flags = {
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_dtype": show_dtype,
        "show_shapes": show_shapes,
        "show_trainable": show_trainable,
    }
    return _model_graph(model, flags, rankdir, expand_nested, dpi, subgraph, splines, _NodeIds())


def _model_graph(model, flags, rankdir, expand_nested, dpi, subgraph, splines, node_ids):
    Functional, Sequential = _kinds()
    if subgraph:
        dot = DotGraph(model.name, cluster=True)
        dot.set("style", "dashed")
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = DotGraph()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.node_defaults["shape"] = "record"

    def add_layer_node(layer):
        dot.add_node(node_ids(layer), label=make_layer_label(layer, **flags),
                     fontname="Helvetica", border=0, margin=0)

    if not isinstance(model, (Functional, Sequential)):
        add_layer_node(model)  # a subclassed model has no graph to draw: one box
        return dot

    layers = model.layers
    for layer in layers:
        if expand_nested and isinstance(layer, (Functional, Sequential)):
            dot.add_subgraph(_model_graph(layer, flags, rankdir, expand_nested, dpi, True, splines,
                                          node_ids))
        else:
            add_layer_node(layer)

    def connect(source, destination, input_index=0, output_index=0):
        if expand_nested:
            source, destination = _resolve_nested(source, destination, input_index, output_index)
        dot.add_edge(node_ids(source), node_ids(destination), penwidth=2)

    if isinstance(model, Sequential):
        # A Sequential model's Input is not one of its layers: the first box has no arrow in.
        for source, destination in zip(layers, layers[1:]):
            connect(source, destination)
        return dot

    own_nodes = {id(node) for depth in model._nodes_by_depth for node in depth}
    for layer in layers:
        for node in layer._inbound_nodes:
            if id(node) not in own_nodes:
                continue  # a call of a shared layer in another model
            for input_index, tensor in enumerate(node.input_tensors):
                source, _, output_index = tensor._keras_history
                connect(source, layer, input_index, output_index)
    return dot


def _resolve_nested(source, destination, input_index, output_index):
    """Point an edge at the boxes inside expanded nested models, as Keras does.

    An edge leaving a nested model leaves the layer that makes that output;
    one entering a Functional model enters its matching ``Input`` box, and
    one entering a Sequential model enters its first layer.
    """
    Functional, Sequential = _kinds()
    while isinstance(source, (Functional, Sequential)):
        history = source.outputs[output_index]._keras_history
        source, output_index = history.layer, history.tensor_index
    while isinstance(destination, (Functional, Sequential)):
        if isinstance(destination, Functional):
            destination = destination.inputs[input_index]._keras_history.layer
        else:
            destination = destination.layers[0]
    return source, destination


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=False,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False,
               show_trainable=False, splines="ortho", **kwargs):
    """Draw a model's layers and connections to an image file (PNG, SVG, PDF, ...).

    Needs Graphviz's ``dot`` program (``apt-get install graphviz``, ``brew
    install graphviz``, ``conda install graphviz``); ``pydot`` is not needed.
    The format comes from ``to_file``'s extension (PNG without one).

    Args:
        model: a layerwise model.
        to_file: the image file to write, e.g. ``"model.png"`` or ``"model.svg"``.
        show_shapes: show each layer's input and output shapes.
        show_dtype: show each layer's output dtype.
        show_layer_names: show each layer's name beside its class.
        rankdir: ``"TB"`` draws top to bottom, ``"LR"`` left to right.
        expand_nested: draw the layers of nested models inside dashed clusters.
        dpi: image resolution in dots per inch.
        show_layer_activations: show the activation of layers that have one.
        show_trainable: mark each layer with weights as trainable or not.
        splines: how edges are drawn: ``"ortho"`` (right angles), ``"curved"``,
            ``"polyline"``, ``"spline"`` or ``"line"``.

    Returns:
        In Jupyter (IPython installed): an ``IPython.display.Image`` (or
        ``SVG``) of the file, shown in the notebook; otherwise ``None``.

    Example:

    >>> layerwise.utils.plot_model(model, to_file="model.png", show_shapes=True,
    ...                            show_layer_names=True, rankdir="TB", dpi=96)
    """
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or by "
            "calling the model on a batch of data."
        )
    if shutil.which("dot") is None:
        if in_notebook():
            # As Keras does: a notebook without Graphviz gets the message, not a crashed cell.
            print(_GRAPHVIZ_MISSING)
            return None
        raise ImportError(_GRAPHVIZ_MISSING)
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")

    dot = model_to_dot(
        model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
        rankdir=rankdir, expand_nested=expand_nested, dpi=dpi,
        show_layer_activations=show_layer_activations, show_trainable=show_trainable, splines=splines,
    )
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    dot.write(to_file, format=extension)
    return _notebook_image(to_file, extension)


def _notebook_image(path, extension):
    try:
        from IPython import display
    except ImportError:
        return None
    if extension == "svg":
        return display.SVG(filename=path)
    if extension in ("png", "jpg", "jpeg", "gif"):
        return display.Image(filename=path)
    return None


__all__ = ["DotGraph", "model_to_dot", "plot_model"]
