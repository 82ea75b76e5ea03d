"""Preprocessing layers, shaped like Keras's: text and categorical lookups, normalization, images."""

from layerwise.layers.preprocessing.category_encoding import CategoryEncoding
from layerwise.layers.preprocessing.discretization import Discretization
from layerwise.layers.preprocessing.hashing import Hashing
from layerwise.layers.preprocessing.integer_lookup import IntegerLookup
from layerwise.layers.preprocessing.normalization import Normalization
from layerwise.layers.preprocessing.string_lookup import StringLookup
from layerwise.layers.preprocessing.text_vectorization import TextVectorization
from layerwise.layers.preprocessing.image_augmentation import (
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from layerwise.layers.preprocessing.image_preprocessing import CenterCrop, Rescaling, Resizing
