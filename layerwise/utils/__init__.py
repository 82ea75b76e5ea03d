"""Utilities shaped like ``keras.utils``."""

from layerwise.backend import set_random_seed
from layerwise.callbacks.progbar import Progbar
from layerwise.preprocessing.image import array_to_img, img_to_array, load_img, save_img
from layerwise.preprocessing.sequence import pad_sequences
from layerwise.utils.dataset_utils import Dataset
from layerwise.utils.file_utils import get_file
from layerwise.utils.image_dataset_utils import image_dataset_from_directory
from layerwise.utils.model_visualization import model_to_dot, plot_model
from layerwise.utils.numerical import normalize, to_categorical
from layerwise.utils.plotting import plot_history
from layerwise.utils.text_dataset_utils import text_dataset_from_directory
from layerwise.utils.timeseries_dataset_utils import timeseries_dataset_from_array

__all__ = [
    "Dataset", "Progbar", "array_to_img", "get_file", "image_dataset_from_directory", "img_to_array",
    "load_img", "model_to_dot", "normalize", "pad_sequences", "plot_history", "plot_model", "save_img",
    "set_random_seed", "text_dataset_from_directory", "timeseries_dataset_from_array", "to_categorical",
]
