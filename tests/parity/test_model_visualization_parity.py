"""plot_model / model_to_dot draw the same graph as Keras 3: the same boxes, labels, edges and clusters.

Keras's ``model_to_dot`` returns a ``pydot`` graph (``pydot`` is a test
requirement for this comparison only); node ids differ (Keras uses Python
object ids), so graphs are compared by their labels.
"""

import struct
import warnings

import keras
import numpy as np
import pytest

import layerwise


def _models(lib):
    L = lib.layers

    def course_mlp():
        return lib.Sequential([lib.Input((89,)), L.Dense(100, activation="relu"), L.BatchNormalization(),
                               L.Dropout(0.2), L.Dense(1)])

    def cnn():
        return lib.Sequential([lib.Input((28, 28, 1)), L.Conv2D(8, 3, activation="relu"), L.MaxPooling2D(),
                               L.Flatten(), L.Dense(10, activation="softmax")])

    def text():
        return lib.Sequential([lib.Input((20,), dtype="int32"), L.Embedding(100, 8), L.LSTM(4),
                               L.Dense(1, activation="sigmoid")])

    def branching():
        image = lib.Input((8, 8, 1), name="image")
        meta = lib.Input((3,), name="meta")
        x = L.Flatten()(L.Conv2D(2, 3, activation="relu")(image))
        merged = L.Concatenate()([x, meta])
        shared = L.Dense(4, name="shared")
        return lib.Model([image, meta], [L.Dense(1)(shared(merged)), L.Dense(2, activation="softmax")(merged)])

    def frozen():
        inputs = lib.Input((5,))
        first = L.Dense(3)
        first.trainable = False
        return lib.Model(inputs, L.Dense(1)(first(inputs)))

    def nested():
        block = lib.Sequential([lib.Input((4,)), L.Dense(3), L.Dense(2)], name="block")
        enc_in = lib.Input((2,))
        encoder = lib.Model(enc_in, L.Dense(2, activation="tanh")(enc_in), name="encoder")
        x = lib.Input((4,))
        return lib.Model(x, L.Dense(1)(encoder(block(x))), name="outer")

    return {"course_mlp": course_mlp, "cnn": cnn, "text": text, "branching": branching, "frozen": frozen,
            "nested": nested}


def _build(name):
    keras.backend.clear_session()
    layerwise.backend.clear_session()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _models(keras)[name]()
    return theirs, _models(layerwise)[name]()


def _keras_structure(dot):
    """(node labels in order, edges as label pairs, clusters) of a pydot graph."""
    labels = {}

    def walk(graph):
        nodes = []
        for node in graph.get_nodes():
            if node.get_name() in ("node", "graph", "edge"):
                continue
            labels[node.get_name()] = node.get("label")
            nodes.append(node.get("label"))
        clusters = [(sub.get("label"), walk(sub)) for sub in graph.get_subgraphs()]
        return nodes, clusters

    tree = walk(dot)
    edges = []

    def collect(graph):
        edges.extend((labels[edge.get_source()], labels[edge.get_destination()]) for edge in graph.get_edges())
        for sub in graph.get_subgraphs():
            collect(sub)

    collect(dot)
    return tree, sorted(edges)


def _our_structure(dot):
    labels = {}

    def walk(graph):
        nodes = []
        for node_id, attributes in graph.nodes:
            labels[node_id] = attributes["label"]
            nodes.append(attributes["label"])
        return nodes, [(sub.attributes["label"], walk(sub)) for sub in graph.subgraphs]

    tree = walk(dot)
    edges = [(labels[source], labels[destination]) for source, destination in dot.get_edge_pairs()]
    return tree, sorted(edges)


FLAGS = [
    {},
    {"show_shapes": True},
    {"show_shapes": True, "show_dtype": True, "show_layer_activations": True, "show_trainable": True},
    {"show_layer_names": False, "show_trainable": True},
]


@pytest.mark.parametrize("name", list(_models(layerwise)))
def test_model_to_dot_equals_keras(name):
    theirs, ours = _build(name)
    for flags in FLAGS:
        for expand_nested in (False, True):
            expected = _keras_structure(keras.utils.model_to_dot(theirs, expand_nested=expand_nested, **flags))
            got = _our_structure(layerwise.utils.model_to_dot(ours, expand_nested=expand_nested, **flags))
            assert got == expected, (flags, expand_nested)


def test_graph_attributes_equal_keras():
    theirs, ours = _build("cnn")
    expected = keras.utils.model_to_dot(theirs, rankdir="LR", dpi=96, splines="polyline").to_string()
    got = layerwise.utils.model_to_dot(ours, rankdir="LR", dpi=96, splines="polyline").to_string()
    for line in ("rankdir=LR;", "concentrate=true;", "dpi=96;", "splines=polyline;", "node [shape=record];"):
        assert line in expected and line in got


def _png_size(path):
    with open(path, "rb") as handle:
        head = handle.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("name", ["branching", "nested"])
def test_plot_model_png_has_keras_size(name, tmp_path):
    theirs, ours = _build(name)
    kwargs = {"show_shapes": True, "show_layer_names": True, "show_trainable": True, "expand_nested": True,
              "dpi": 96}
    keras.utils.plot_model(theirs, to_file=str(tmp_path / "keras.png"), **kwargs)
    layerwise.utils.plot_model(ours, to_file=str(tmp_path / "layerwise.png"), **kwargs)
    # Same DOT graph, same Graphviz: the same drawing, to the pixel.
    assert _png_size(tmp_path / "layerwise.png") == _png_size(tmp_path / "keras.png")
    from matplotlib.image import imread

    np.testing.assert_array_equal(imread(tmp_path / "layerwise.png"), imread(tmp_path / "keras.png"))
