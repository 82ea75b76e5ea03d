"""Layers, shaped like ``keras.layers``."""

from layerwise.engine.input_layer import Input, InputLayer
from layerwise.engine.layer import InputSpec, Layer
from layerwise.layers.core import Activation, Dense, Identity, Lambda
from layerwise.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from layerwise.layers.normalization import BatchNormalization, LayerNormalization
from layerwise.layers.regularization import Dropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D
from layerwise.layers.reshaping import Flatten, Permute, RepeatVector, Reshape
