"""layerwise: the Keras API on PyTorch."""

__version__ = "0.1.0"

from layerwise import backend, saving, utils
from layerwise import activations, constraints, initializers, regularizers
