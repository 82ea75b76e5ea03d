"""``model.summary()``: the table Keras 3 prints, drawn without extra dependencies.

Keras draws its summary with the ``rich`` library; layerwise draws the same
box table itself (same columns, widths, wrapping and totals) so the output
can be compared line by line with Keras's and no dependency is added.
"""

import re
import shutil

import numpy as np

from layerwise import backend

_BYTES_PER_ELEMENT = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8, "int8": 1,
                      "uint8": 1, "int16": 2, "int32": 4, "int64": 8, "bool": 1}


def _memory_size(weights):
    total = 0
    for weight in {id(w): w for w in weights}.values():
        total += int(np.prod(weight.shape)) * _BYTES_PER_ELEMENT[backend.standardize_dtype(weight.dtype)]
    return total


def readable_size(size):
    """``37.11 KB`` style sizes, 1024 per step, as Keras prints them."""
    for unit in ["B", "KB", "MB", "GB", "TB"]:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _count(weights):
    return int(sum(int(np.prod(w.shape)) for w in {id(w): w for w in weights}.values()))


def _format_shape(shape):
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _output_shape_text(layer):
    if layer._inbound_nodes:
        tensors = layer._inbound_nodes[-1].output_tensors
        shapes = [_format_shape(t.shape) for t in tensors]
        return shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"
    if layer._build_shape is None:
        return "?"
    try:
        shapes = layer.compute_output_shape(layer._build_shape)
    except NotImplementedError:
        return "?"
    if isinstance(shapes, tuple) and all(d is None or isinstance(d, int) for d in shapes):
        return _format_shape(shapes)
    return "[" + ", ".join(_format_shape(s) for s in _shape_leaves(shapes)) + "]"


def _shape_leaves(shapes):
    if isinstance(shapes, tuple) and all(d is None or isinstance(d, int) for d in shapes):
        return [shapes]
    return [leaf for item in shapes for leaf in _shape_leaves(item)]


def _is_sequential_like(model, layers):
    nodes_by_depth = getattr(model, "_nodes_by_depth", None)
    if nodes_by_depth is None:
        return True
    nodes = []
    for depth_nodes in nodes_by_depth:
        if len(depth_nodes) > 1 or len(depth_nodes[0].input_tensors) > 1:
            return False
        nodes += depth_nodes
    for layer in layers:
        if sum(1 for node in layer._inbound_nodes if node in nodes) > 1:
            return False
    return True


def _connections(layer, model):
    relevant = {id(n) for depth_nodes in model._nodes_by_depth for n in depth_nodes}
    links = []
    for node in layer._inbound_nodes:
        if id(node) not in relevant:
            continue
        for tensor in node.input_tensors:
            history = tensor._keras_history
            links.append(f"{history.layer.name}[{history.node_index}][{history.tensor_index}]")
    return ", ".join(links) or "-"


def _wrap(text, width):
    """Greedy word wrap; a word longer than ``width`` is cut with an ellipsis."""
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if len(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word if len(word) <= width else word[: width - 1] + "…"
    lines.append(line)
    return lines


def _shrink(widths, excess):
    """Take ``excess`` characters from the columns as evenly as possible, left first."""
    result, remaining, columns_left = [], excess, len(widths)
    for width in widths:
        cut = min(width, round(remaining / columns_left))
        result.append(width - cut)
        remaining -= cut
        columns_left -= 1
    return result


def _render_table(header, alignment, rows, positions, line_length):
    widths, current = [], 0
    for position in positions:
        width = int(position * line_length) - current
        if width < 4:
            raise ValueError(
                f"line_length={line_length} is too narrow to print the summary; use at least 40."
            )
        widths.append(width)
        current += width
    # Each cell is its width plus one space of padding on both sides; the borders take the rest.
    cells = [w + 2 for w in widths]
    available = line_length - (len(widths) + 1)
    if sum(cells) > available:
        cells = _shrink(cells, sum(cells) - available)
    inner = [c - 2 for c in cells]

    def rule(left, fill, middle, right):
        return left + middle.join(fill * c for c in cells) + right

    def row_lines(values, bar, bottom=False):
        wrapped = [_wrap(str(v), w) for v, w in zip(values, inner)]
        height = max(len(w) for w in wrapped)
        if bottom:  # header cells sit on the last line of a wrapped header, as rich draws them
            wrapped = [[""] * (height - len(w)) + w for w in wrapped]
        lines = []
        for i in range(height):
            parts = []
            for cell_lines, width, align in zip(wrapped, inner, alignment):
                text = cell_lines[i] if i < len(cell_lines) else ""
                aligned = {"right": text.rjust, "center": text.center}.get(align, text.ljust)(width)
                parts.append(" " + aligned + " ")
            lines.append(bar + bar.join(parts) + bar)
        return lines

    out = [rule("┏", "━", "┳", "┓")]
    out += row_lines(header, "┃", bottom=True)
    out.append(rule("┡", "━", "╇", "┩"))
    for index, row in enumerate(rows):
        if index:
            out.append(rule("├", "─", "┼", "┤"))
        out += row_lines(row, "│")
    out.append(rule("└", "─", "┴", "┘"))
    return out


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Print (or pass to ``print_fn``) the Keras summary table of ``model``."""
    layers = model.layers
    sequential_like = _is_sequential_like(model, layers)
    if sequential_like:
        default_length, default_positions = 88, [0.45, 0.80, 1.0]
        header, alignment = ["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"]
    else:
        default_length, default_positions = 108, [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        alignment = ["left", "left", "right", "left"]
    positions = positions or default_positions
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        alignment.append("center")
    default_length = min(default_length, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default_length

    def fields(layer, prefix=""):
        if not layer.built:
            params = "0 (unbuilt)"
        else:
            params = f"{layer.count_params():,}"
        row = [f"{prefix}{layer.name} ({type(layer).__name__})", _output_shape_text(layer), params]
        if not sequential_like:
            row.append(_connections(layer, model))
        if show_trainable:
            row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        return row

    def layer_rows(layer, level=0):
        rows = [fields(layer, "   " * level + "└ " if level else "")]
        if expand_nested and getattr(layer, "layers", None):
            for child in layer.layers:
                rows += layer_rows(child, level + 1)
        return rows

    start, stop = _layer_range_bounds(layers, layer_range)
    rows = [row for layer in layers[start:stop] for row in layer_rows(layer)]
    lines = [f'Model: "{model.name}"']
    lines += _render_table(header, alignment, rows, positions, line_length)

    trainable, non_trainable = model.trainable_weights, model.non_trainable_weights
    optimizer_variables = _optimizer_variables(model)
    total = _count(trainable) + _count(non_trainable) + _count(optimizer_variables)
    total_size = _memory_size(trainable) + _memory_size(non_trainable) + _memory_size(optimizer_variables)
    lines.append(f" Total params: {total:,} ({readable_size(total_size)})")
    lines.append(f" Trainable params: {_count(trainable):,} ({readable_size(_memory_size(trainable))})")
    lines.append(
        f" Non-trainable params: {_count(non_trainable):,} ({readable_size(_memory_size(non_trainable))})"
    )
    if optimizer_variables:
        lines.append(
            f" Optimizer params: {_count(optimizer_variables):,} "
            f"({readable_size(_memory_size(optimizer_variables))})"
        )
    text = "\n".join(lines) + "\n"
    if print_fn is None:
        print(text, end="")
    else:
        print_fn(text)


def _optimizer_variables(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(optimizer, "built", False):
        return []
    return list(optimizer.variables)


def _layer_range_bounds(layers, layer_range):
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2:
        raise ValueError(f"layer_range must be a list of two layer names, got {layer_range!r}.")
    first = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    last = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not first or not last:
        names = ", ".join(layer.name for layer in layers)
        raise ValueError(f"layer_range {layer_range!r} matches no layer; the layers are: {names}.")
    return first[0], last[-1] + 1
