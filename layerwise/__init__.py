"""layerwise: the Keras API on PyTorch.

``import layerwise as keras`` and Keras code runs unchanged:

>>> import layerwise as keras
>>> model = keras.Sequential([keras.layers.Dense(10, activation="relu", input_shape=(4,)),
...                           keras.layers.Dense(1)])
>>> model.count_params()
61
"""

__version__ = "0.1.0"

from layerwise import backend, saving, utils
from layerwise import activations, constraints, initializers, regularizers
from layerwise import layers, models, nn
from layerwise import callbacks, datasets, losses, metrics, optimizers
from layerwise import dtype_policies, mixed_precision, preprocessing, tuning
from layerwise.engine.input_layer import Input, InputLayer
from layerwise.engine.layer import Layer, Variable
from layerwise.engine.symbolic import KerasTensor
from layerwise.models import Functional, Model, Sequential

__all__ = [
    "Functional", "Input", "InputLayer", "KerasTensor", "Layer", "Model", "Sequential", "Variable",
    "activations", "backend", "callbacks", "constraints", "datasets", "dtype_policies", "initializers",
    "layers", "losses", "metrics", "mixed_precision", "models", "nn", "optimizers", "preprocessing",
    "regularizers", "saving", "tuning", "utils",
]
