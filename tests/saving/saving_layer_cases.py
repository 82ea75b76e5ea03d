"""One tiny model per layer type: shared by the saving tests and the Keras parity tests.

Each case is ``(name, input_shape, input_dtype, make_layers)``; ``make_layers(lib)``
returns the layers after the ``Input`` for ``lib`` (``layerwise`` or ``keras``),
so the same architecture can be built in both libraries.
"""

import numpy as np


def _rnn_cell_stack(lib):
    L = lib.layers
    return [L.RNN([L.LSTMCell(3), L.GRUCell(2)], return_sequences=False)]


CASES = [
    ("Dense", (4,), "float32", lambda lib: [lib.layers.Dense(3, activation="relu"), lib.layers.Dense(2)]),
    ("Activation", (4,), "float32", lambda lib: [lib.layers.Dense(3), lib.layers.Activation("tanh")]),
    ("Identity", (4,), "float32", lambda lib: [lib.layers.Identity(), lib.layers.Dense(2)]),
    ("Dropout", (4,), "float32", lambda lib: [lib.layers.Dense(3), lib.layers.Dropout(0.5), lib.layers.Dense(2)]),
    ("GaussianNoise", (4,), "float32", lambda lib: [lib.layers.GaussianNoise(0.1), lib.layers.Dense(2)]),
    ("SpatialDropout1D", (5, 3), "float32", lambda lib: [lib.layers.SpatialDropout1D(0.3), lib.layers.Flatten()]),
    ("SpatialDropout2D", (4, 4, 2), "float32", lambda lib: [lib.layers.SpatialDropout2D(0.3), lib.layers.Flatten()]),
    ("BatchNormalization", (4,), "float32", lambda lib: [lib.layers.Dense(3), lib.layers.BatchNormalization()]),
    ("LayerNormalization", (4,), "float32", lambda lib: [lib.layers.Dense(3), lib.layers.LayerNormalization()]),
    ("Flatten", (3, 2), "float32", lambda lib: [lib.layers.Flatten(), lib.layers.Dense(2)]),
    ("Reshape", (6,), "float32", lambda lib: [lib.layers.Reshape((3, 2)), lib.layers.Dense(2)]),
    ("Permute", (3, 2), "float32", lambda lib: [lib.layers.Permute((2, 1)), lib.layers.Dense(2)]),
    ("RepeatVector", (4,), "float32", lambda lib: [lib.layers.RepeatVector(3), lib.layers.Dense(2)]),
    ("Conv1D", (8, 2), "float32", lambda lib: [lib.layers.Conv1D(3, 3, padding="same"), lib.layers.Flatten()]),
    ("Conv2D", (6, 6, 2), "float32", lambda lib: [lib.layers.Conv2D(3, (3, 3), activation="relu"),
                                                  lib.layers.Flatten()]),
    ("Conv3D", (4, 4, 4, 1), "float32", lambda lib: [lib.layers.Conv3D(2, 2), lib.layers.Flatten()]),
    ("SeparableConv1D", (8, 2), "float32", lambda lib: [lib.layers.SeparableConv1D(3, 3), lib.layers.Flatten()]),
    ("SeparableConv2D", (6, 6, 2), "float32", lambda lib: [lib.layers.SeparableConv2D(3, 3), lib.layers.Flatten()]),
    ("DepthwiseConv1D", (8, 2), "float32", lambda lib: [lib.layers.DepthwiseConv1D(3), lib.layers.Flatten()]),
    ("DepthwiseConv2D", (6, 6, 2), "float32", lambda lib: [lib.layers.DepthwiseConv2D(3), lib.layers.Flatten()]),
    ("Conv1DTranspose", (5, 2), "float32", lambda lib: [lib.layers.Conv1DTranspose(3, 3), lib.layers.Flatten()]),
    ("Conv2DTranspose", (4, 4, 2), "float32", lambda lib: [lib.layers.Conv2DTranspose(2, 3, strides=2),
                                                           lib.layers.Flatten()]),
    ("Conv3DTranspose", (3, 3, 3, 1), "float32", lambda lib: [lib.layers.Conv3DTranspose(2, 2), lib.layers.Flatten()]),
    ("MaxPooling1D", (8, 2), "float32", lambda lib: [lib.layers.MaxPooling1D(2), lib.layers.Flatten()]),
    ("MaxPooling2D", (6, 6, 2), "float32", lambda lib: [lib.layers.Conv2D(2, 3), lib.layers.MaxPooling2D(),
                                                        lib.layers.Flatten()]),
    ("MaxPooling3D", (4, 4, 4, 1), "float32", lambda lib: [lib.layers.MaxPooling3D(2), lib.layers.Flatten()]),
    ("AveragePooling1D", (8, 2), "float32", lambda lib: [lib.layers.AveragePooling1D(2), lib.layers.Flatten()]),
    ("AveragePooling2D", (6, 6, 2), "float32", lambda lib: [lib.layers.AveragePooling2D(2), lib.layers.Flatten()]),
    ("AveragePooling3D", (4, 4, 4, 1), "float32", lambda lib: [lib.layers.AveragePooling3D(2), lib.layers.Flatten()]),
    ("GlobalMaxPooling1D", (8, 2), "float32", lambda lib: [lib.layers.GlobalMaxPooling1D()]),
    ("GlobalMaxPooling2D", (6, 6, 2), "float32", lambda lib: [lib.layers.GlobalMaxPooling2D()]),
    ("GlobalMaxPooling3D", (4, 4, 4, 1), "float32", lambda lib: [lib.layers.GlobalMaxPooling3D()]),
    ("GlobalAveragePooling1D", (8, 2), "float32", lambda lib: [lib.layers.GlobalAveragePooling1D()]),
    ("GlobalAveragePooling2D", (6, 6, 2), "float32", lambda lib: [lib.layers.GlobalAveragePooling2D()]),
    ("GlobalAveragePooling3D", (4, 4, 4, 1), "float32", lambda lib: [lib.layers.GlobalAveragePooling3D()]),
    ("ZeroPadding1D", (5, 2), "float32", lambda lib: [lib.layers.ZeroPadding1D(1), lib.layers.Flatten()]),
    ("ZeroPadding2D", (4, 4, 2), "float32", lambda lib: [lib.layers.ZeroPadding2D(((1, 0), (0, 2))),
                                                         lib.layers.Flatten()]),
    ("ZeroPadding3D", (3, 3, 3, 1), "float32", lambda lib: [lib.layers.ZeroPadding3D(1), lib.layers.Flatten()]),
    ("Cropping1D", (6, 2), "float32", lambda lib: [lib.layers.Cropping1D((1, 2)), lib.layers.Flatten()]),
    ("Cropping2D", (6, 6, 2), "float32", lambda lib: [lib.layers.Cropping2D(((1, 0), (2, 1))), lib.layers.Flatten()]),
    ("Cropping3D", (4, 4, 4, 1), "float32", lambda lib: [lib.layers.Cropping3D(1), lib.layers.Flatten()]),
    ("UpSampling1D", (4, 2), "float32", lambda lib: [lib.layers.UpSampling1D(2), lib.layers.Flatten()]),
    ("UpSampling2D", (3, 3, 2), "float32", lambda lib: [lib.layers.UpSampling2D(2), lib.layers.Flatten()]),
    ("UpSampling3D", (2, 2, 2, 1), "float32", lambda lib: [lib.layers.UpSampling3D(2), lib.layers.Flatten()]),
    ("SimpleRNN", (5, 3), "float32", lambda lib: [lib.layers.SimpleRNN(4)]),
    ("LSTM", (5, 3), "float32", lambda lib: [lib.layers.LSTM(4, return_sequences=True), lib.layers.LSTM(2)]),
    ("GRU", (5, 3), "float32", lambda lib: [lib.layers.GRU(4)]),
    ("RNN", (5, 3), "float32", lambda lib: [lib.layers.RNN(lib.layers.SimpleRNNCell(4))]),
    ("StackedRNNCells", (5, 3), "float32", _rnn_cell_stack),
    ("Bidirectional", (5, 3), "float32", lambda lib: [lib.layers.Bidirectional(lib.layers.LSTM(3)),
                                                      lib.layers.Dense(2)]),
    ("TimeDistributed", (5, 3), "float32", lambda lib: [lib.layers.TimeDistributed(lib.layers.Dense(2)),
                                                        lib.layers.Flatten()]),
    ("Embedding", (6,), "int32", lambda lib: [lib.layers.Embedding(10, 4), lib.layers.GlobalAveragePooling1D()]),
]

# Merging layers take several inputs: built as Functional models.
MERGE_CASES = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"]

# Covered elsewhere: cells inside RNN/StackedRNNCells above; Lambda needs safe_mode=False (own test);
# Wrapper is an abstract base; InputLayer starts every model.
NOT_STANDALONE = {"LSTMCell", "GRUCell", "SimpleRNNCell", "Lambda", "Wrapper", "InputLayer"}


def build_sequential(lib, case):
    _, shape, dtype, make_layers = case
    return lib.Sequential([lib.Input(shape, dtype=dtype)] + make_layers(lib))


def build_merge(lib, name):
    L = lib.layers
    a = lib.Input((4,), name="a")
    b = lib.Input((4,), name="b")
    xa = L.Dense(3, name="da")(a)
    xb = L.Dense(3, name="db")(b)
    layer = L.Dot(axes=1) if name == "Dot" else getattr(L, name)()
    return lib.Model([a, b], L.Dense(2, name="head")(layer([xa, xb])))


def sample(shape, dtype, batch=3, seed=0):
    rng = np.random.default_rng(seed)
    if dtype.startswith("int"):
        return rng.integers(0, 10, size=(batch,) + tuple(shape)).astype(dtype)
    return rng.normal(size=(batch,) + tuple(shape)).astype(dtype)
