"""Utilities shaped like ``keras.utils``."""

from layerwise.backend import set_random_seed

__all__ = ["set_random_seed"]
