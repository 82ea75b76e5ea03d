"""Models, shaped like ``keras.models``: the model classes, saving, loading and cloning."""

from layerwise.engine.functional import Functional
from layerwise.engine.model import Model
from layerwise.engine.sequential import Sequential
from layerwise.saving.api import load_model, save_model
from layerwise.saving.cloning import clone_model
from layerwise.saving.model_config import model_from_json

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
