"""The legacy ``keras.preprocessing`` namespace that course notebooks still import from.

>>> from layerwise.preprocessing.image import ImageDataGenerator
>>> from layerwise.preprocessing.sequence import pad_sequences
>>> from layerwise.preprocessing.text import Tokenizer
"""

from layerwise.preprocessing import image, sequence, text
from layerwise.utils.image_dataset_utils import image_dataset_from_directory
from layerwise.utils.text_dataset_utils import text_dataset_from_directory
from layerwise.utils.timeseries_dataset_utils import timeseries_dataset_from_array
