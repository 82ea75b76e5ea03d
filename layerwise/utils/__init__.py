"""Utilities shaped like ``keras.utils``."""

from layerwise.backend import set_random_seed
from layerwise.callbacks.progbar import Progbar
from layerwise.utils.file_utils import get_file
from layerwise.utils.numerical import normalize, to_categorical
from layerwise.utils.plotting import plot_history
from layerwise.preprocessing.sequence import pad_sequences

__all__ = ["Progbar", "get_file", "normalize", "pad_sequences", "plot_history", "set_random_seed", "to_categorical"]
