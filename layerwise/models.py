"""Models, shaped like ``keras.models``."""

from layerwise.engine.functional import Functional
from layerwise.engine.model import Model
from layerwise.engine.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential"]
