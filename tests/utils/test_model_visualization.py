"""plot_model / model_to_dot: the DOT graph (nodes, edges, labels), the images Graphviz draws, the errors.

The image tests run Graphviz's ``dot`` (``apt-get install graphviz``), a test requirement.
"""

import os
import re
import struct
from xml.etree import ElementTree

import numpy as np
import pytest

import layerwise
from layerwise.utils import model_visualization
from layerwise.utils.model_visualization import DotGraph, model_to_dot, plot_model

L = layerwise.layers

def _png_size(path):
    with open(path, "rb") as handle:
        head = handle.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def _labels(dot):
    """Node id -> the text of its label, tags removed (e.g. 'dense (Dense)|Output shape: (None, 3)')."""
    result = {}
    for node_id, attributes in _all_nodes(dot):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", attributes["label"])
        result[node_id] = "|".join(re.sub(r"<[^>]+>", "", cell) for cell in cells)
    return result


def _all_nodes(dot):
    nodes = list(dot.nodes)
    for subgraph in dot.subgraphs:
        nodes.extend(_all_nodes(subgraph))
    return nodes


def _sequential():
    return layerwise.Sequential([
        layerwise.Input((8,), name="features"),
        L.Dense(4, activation="relu", name="hidden"),
        L.Dropout(0.5, name="drop"),
        L.Dense(1, activation="sigmoid", name="out"),
    ])


def _branching():
    image = layerwise.Input((6, 6, 1), name="image")
    meta = layerwise.Input((3,), name="meta")
    x = L.Conv2D(2, 3, activation="relu", name="conv")(image)
    x = L.Flatten(name="flat")(x)
    merged = L.Concatenate(name="merge")([x, meta])
    score = L.Dense(1, name="score")(merged)
    kind = L.Dense(3, activation="softmax", name="kind")(merged)
    return layerwise.Model([image, meta], [score, kind], name="branching")


def _nested():
    inner = layerwise.Sequential([layerwise.Input((4,)), L.Dense(3, name="inner_a"), L.Dense(2, name="inner_b")],
                                 name="block")
    encoder_in = layerwise.Input((2,), name="encoder_in")
    encoder = layerwise.Model(encoder_in, L.Dense(2, name="encoded")(encoder_in), name="encoder")
    x = layerwise.Input((4,), name="x")
    h = inner(x)
    h = encoder(h)
    return layerwise.Model(x, L.Dense(1, name="head")(h), name="outer")


# ---------------------------------------------------------------------- the DOT text


def test_sequential_graph_has_one_box_per_layer_and_a_chain_of_edges():
    dot = model_to_dot(_sequential())
    assert _labels(dot) == {"hidden": "hidden (Dense)", "drop": "drop (Dropout)", "out": "out (Dense)"}
    assert dot.get_edge_pairs() == [("hidden", "drop"), ("drop", "out")]
    text = dot.to_string()
    assert text.startswith('digraph "G" {\nrankdir=TB;\nconcentrate=true;\ndpi=200;\nsplines=ortho;\n'
                           "node [shape=record];\n")
    assert '"hidden" -> "drop" [penwidth=2];' in text
    assert text.endswith("}\n")


def test_box_labels_are_keras_tables():
    dot = model_to_dot(_sequential(), show_shapes=True, show_dtype=True, show_layer_activations=True,
                       show_trainable=True)
    node_id, attributes = dot.nodes[0]
    assert node_id == "hidden"
    assert attributes["label"] == (
        '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
        '<tr><td colspan="4" bgcolor="black"><font point-size="16" color="white"><b>hidden</b> (Dense)'
        "</font></td></tr>"
        '<tr><td bgcolor="white" colspan="4"><font point-size="14">Activation: <b>relu</b></font></td></tr>'
        '<tr><td bgcolor="white"><font point-size="14">Input shape: <b>(None, 8)</b></font></td>'
        '<td bgcolor="white"><font point-size="14">Output shape: <b>(None, 4)</b></font></td>'
        '<td bgcolor="white"><font point-size="14">Output dtype: <b>float32</b></font></td>'
        '<td bgcolor="forestgreen"><font point-size="14" color="white"><b>Trainable</b></font></td></tr>'
        "</table>>"
    )
    assert attributes["fontname"] == "Helvetica" and attributes["border"] == 0 and attributes["margin"] == 0
    assert _labels(dot)["drop"] == "drop (Dropout)|Input shape: (None, 4)|Output shape: (None, 4)|" \
                                   "Output dtype: float32"


def test_plot_model_defaults_leave_out_names_and_model_to_dot_defaults_show_them():
    import inspect

    plot_defaults = {k: v.default for k, v in inspect.signature(plot_model).parameters.items()
                     if v.default is not inspect.Parameter.empty}
    assert plot_defaults == {"to_file": "model.png", "show_shapes": False, "show_dtype": False,
                             "show_layer_names": False, "rankdir": "TB", "expand_nested": False, "dpi": 200,
                             "show_layer_activations": False, "show_trainable": False, "splines": "ortho"}
    dot_defaults = {k: v.default for k, v in inspect.signature(model_to_dot).parameters.items()
                    if v.default is not inspect.Parameter.empty}
    assert dot_defaults["show_layer_names"] is True and dot_defaults["subgraph"] is False
    assert _labels(model_to_dot(_sequential(), show_layer_names=False)) == {
        "hidden": "Dense", "drop": "Dropout", "out": "Dense"}


def test_functional_branches_and_multiple_inputs():
    dot = model_to_dot(_branching(), show_shapes=True)
    labels = _labels(dot)
    assert list(labels) == ["image", "conv", "flat", "meta", "merge", "score", "kind"]
    assert labels["image"] == "image (InputLayer)|Output shape: (None, 6, 6, 1)"
    assert labels["merge"] == "merge (Concatenate)|Input shape: [(None, 32), (None, 3)]|Output shape: (None, 35)"
    assert labels["kind"] == "kind (Dense)|Input shape: (None, 35)|Output shape: (None, 3)"
    assert sorted(dot.get_edge_pairs()) == sorted([
        ("image", "conv"), ("conv", "flat"), ("flat", "merge"), ("meta", "merge"),
        ("merge", "score"), ("merge", "kind"),
    ])


def test_shared_layer_gets_one_box_with_an_edge_from_each_call():
    a = layerwise.Input((3,), name="a")
    b = layerwise.Input((3,), name="b")
    shared = L.Dense(2, name="shared")
    model = layerwise.Model([a, b], L.Add(name="sum")([shared(a), shared(b)]))
    dot = model_to_dot(model)
    assert list(_labels(dot)) == ["a", "b", "shared", "sum"]
    assert sorted(dot.get_edge_pairs()) == [("a", "shared"), ("b", "shared"), ("shared", "sum")]


def test_nested_models_are_single_boxes_unless_expanded():
    model = _nested()
    dot = model_to_dot(model, show_shapes=True)
    labels = _labels(dot)
    assert labels["block"] == "block (Sequential)|Input shape: (None, 4)|Output shape: (None, 2)"
    assert labels["encoder"] == "encoder (Functional)|Input shape: (None, 2)|Output shape: (None, 2)"
    assert dot.get_edge_pairs() == [("x", "block"), ("block", "encoder"), ("encoder", "head")]
    assert dot.subgraphs == []


def test_expand_nested_draws_clusters_and_points_edges_at_inner_boxes():
    dot = model_to_dot(_nested(), expand_nested=True)
    assert [cluster.name for cluster in dot.subgraphs] == ["block", "encoder"]
    block, encoder = dot.subgraphs
    assert list(_labels(block)) == ["inner_a", "inner_b"]  # a Sequential's Input is not drawn
    assert list(_labels(encoder)) == ["encoder_in", "encoded"]
    assert block.get_edge_pairs() == [("inner_a", "inner_b")]
    assert encoder.get_edge_pairs() == [("encoder_in", "encoded")]
    # Edges into a Sequential reach its first layer; into a Functional, its Input; out of either, the
    # layer that makes the output.
    assert dot.get_edge_pairs(recursive=False) == [("x", "inner_a"), ("inner_b", "encoder_in"),
                                                   ("encoded", "head")]
    text = dot.to_string()
    assert 'subgraph "cluster_block" {\nstyle=dashed;\nlabel=block;\nlabeljust=l;\n' in text


def test_trainable_colours_follow_the_layer_and_skip_layers_without_weights():
    model = _sequential()
    model.get_layer("out").trainable = False
    labels = _labels(model_to_dot(model, show_trainable=True))
    assert labels == {"hidden": "hidden (Dense)|Trainable", "drop": "drop (Dropout)",
                      "out": "out (Dense)|Non-trainable"}
    text = model_to_dot(model, show_trainable=True).to_string()
    assert text.count('bgcolor="firebrick"') == 1 and text.count('bgcolor="forestgreen"') == 1


def test_activation_row_only_for_layers_with_an_activation():
    labels = _labels(model_to_dot(_sequential(), show_layer_activations=True, show_layer_names=False))
    assert labels == {"hidden": "Dense|Activation: relu", "drop": "Dropout", "out": "Dense|Activation: sigmoid"}
    model = layerwise.Sequential([layerwise.Input((2,)), L.Dense(2, name="plain")])
    assert _labels(model_to_dot(model, show_layer_activations=True))["plain"] == \
        "plain (Dense)|Activation: linear"


def test_graph_settings_and_subclassed_model():
    class Tiny(layerwise.Model):
        def __init__(self):
            super().__init__(name="tiny")
            self.dense = L.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Tiny()
    model(np.zeros((2, 3), "float32"))
    dot = model_to_dot(model, rankdir="LR", dpi=96, splines="curved")
    assert dot.attributes == {"rankdir": "LR", "concentrate": True, "dpi": 96, "splines": "curved"}
    assert _labels(dot) == {"tiny": "tiny (Tiny)"}
    assert dot.edges == []


def test_layer_names_are_escaped_and_ids_quoted():
    model = layerwise.Sequential([layerwise.Input((2,)), L.Dense(2, name='a<b>&"c"')])
    text = model_to_dot(model).to_string()
    assert '"a<b>&\\"c\\"" [label=<' in text
    assert "<b>a&lt;b&gt;&amp;&quot;c&quot;</b> (Dense)" in text


def test_subgraph_argument_returns_a_cluster():
    dot = model_to_dot(_sequential(), subgraph=True)
    assert dot.cluster and dot.to_string().startswith('subgraph "cluster_sequential" {\nstyle=dashed;\n')


# ---------------------------------------------------------------------- errors


def test_unbuilt_model_is_refused():
    model = layerwise.Sequential([L.Dense(2)])
    message = ("This model has not yet been built. Build the model first by calling `build()` or by "
               "calling the model on a batch of data.")
    with pytest.raises(ValueError, match=re.escape(message)):
        model_to_dot(model)
    with pytest.raises(ValueError, match=re.escape(message)):
        plot_model(model)


def test_removed_and_unknown_arguments():
    with pytest.raises(ValueError, match=re.escape("Argument `layer_range` is no longer supported.")):
        model_to_dot(_sequential(), layer_range=["a", "b"])
    with pytest.raises(ValueError, match=re.escape("Unrecognized keyword arguments: {'colour': 'red'}")):
        model_to_dot(_sequential(), colour="red")


def test_missing_graphviz_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(model_visualization, "in_notebook", lambda: False)
    message = (
        "plot_model needs Graphviz's `dot` program to draw the diagram, and `dot` was not found on the "
        "PATH. Install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install "
        "graphviz` (macOS), `conda install graphviz`, or the Windows installer from graphviz.org "
        "(then add its bin folder to PATH). Check with `dot -V`. "
        "layerwise.utils.model_to_dot(model).to_string() gives the DOT text without Graphviz."
    )
    with pytest.raises(ImportError, match=re.escape(message)):
        plot_model(_sequential(), to_file=str(tmp_path / "m.png"))
    with pytest.raises(ImportError, match=re.escape(message)):
        model_to_dot(_sequential()).create(format="png")
    assert not os.listdir(tmp_path)
    # The DOT text needs no Graphviz.
    assert model_to_dot(_sequential()).to_string().startswith("digraph")


def test_missing_graphviz_in_a_notebook_prints_instead_of_raising(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(model_visualization, "in_notebook", lambda: True)
    assert plot_model(_sequential(), to_file=str(tmp_path / "m.png")) is None
    assert "plot_model needs Graphviz's `dot` program" in capsys.readouterr().out
    assert not os.listdir(tmp_path)


# ---------------------------------------------------------------------- images


def test_png_is_a_valid_image_whose_size_follows_dpi(tmp_path):
    model = _branching()
    big = tmp_path / "model.png"
    assert plot_model(model, to_file=big, show_shapes=True, show_layer_names=True) is None
    width, height = _png_size(big)
    small = tmp_path / "small.png"
    plot_model(model, to_file=str(small), show_shapes=True, show_layer_names=True, dpi=100)
    small_width, small_height = _png_size(small)
    # Graphviz scales the drawing by dpi / 72 (within rounding).
    assert abs(width / small_width - 2.0) < 0.02 and abs(height / small_height - 2.0) < 0.02
    assert 1000 < width < 4000 and 1000 < height < 4000
    assert sorted(os.listdir(tmp_path)) == ["model.png", "small.png"]  # no temporary files left


def test_wider_than_tall_with_rankdir_lr(tmp_path):
    model = _sequential()
    plot_model(model, to_file=str(tmp_path / "tb.png"), dpi=72)
    plot_model(model, to_file=str(tmp_path / "lr.png"), rankdir="LR", dpi=72)
    tb_width, tb_height = _png_size(tmp_path / "tb.png")
    lr_width, lr_height = _png_size(tmp_path / "lr.png")
    assert tb_height > tb_width and lr_width > lr_height


def test_svg_and_pdf_by_extension(tmp_path):
    svg = tmp_path / "model.svg"
    plot_model(_nested(), to_file=str(svg), expand_nested=True, show_layer_names=True)
    root = ElementTree.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = svg.read_text()
    for name in ("inner_a", "inner_b", "encoder_in", "encoded", "head", "block"):
        assert name in text
    pdf = tmp_path / "model.pdf"
    plot_model(_sequential(), to_file=str(pdf))
    assert pdf.read_bytes()[:5] == b"%PDF-"
    bare = tmp_path / "model"  # no extension: PNG, as in Keras
    plot_model(_sequential(), to_file=str(bare))
    _png_size(bare)


def test_unknown_image_format_is_refused_and_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match=re.escape(
            "Graphviz cannot write the format 'xyz' (taken from the file's extension). Use .png, .svg, "
            ".pdf or .jpg. Graphviz said: Format: \"xyz\" not recognized.")):
        plot_model(_sequential(), to_file=str(tmp_path / "model.xyz"))
    assert not os.listdir(tmp_path)


def test_dot_graph_offers_pydots_create_and_write(tmp_path):
    dot = model_to_dot(_sequential())
    assert dot.create(prog="dot", format="svg").lstrip().startswith(b"<?xml")
    assert dot.create_png()[:8] == b"\x89PNG\r\n\x1a\n"
    dot.write(str(tmp_path / "graph.dot"))
    assert (tmp_path / "graph.dot").read_text() == dot.to_string()
    dot.write_png(str(tmp_path / "graph.png"))
    _png_size(tmp_path / "graph.png")
    assert dot._repr_svg_().lstrip().startswith("<?xml")
    with pytest.raises(AttributeError, match="'DotGraph' object has no attribute 'colour'"):
        dot.colour  # noqa: B018


def test_dot_graph_edges_are_added_once():
    dot = DotGraph()
    dot.add_node("a", label="a")
    dot.add_node("b", label="b")
    dot.add_edge("a", "b", penwidth=2)
    dot.add_edge("a", "b", penwidth=2)
    assert dot.get_edge_pairs() == [("a", "b")]
    assert dot.to_string() == ('digraph "G" {\n"a" [label=a];\n"b" [label=b];\n"a" -> "b" [penwidth=2];\n}\n')


def test_exported_from_layerwise_utils():
    assert layerwise.utils.plot_model is plot_model
    assert layerwise.utils.model_to_dot is model_to_dot
