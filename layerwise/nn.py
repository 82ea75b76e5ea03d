"""``tf.nn``-style names for code written as ``activation=tf.nn.relu``.

Example:

>>> from layerwise import nn
>>> layerwise.layers.Dense(4, activation=nn.relu).activation is nn.relu
True
"""

from layerwise.activations import relu, sigmoid, softmax, tanh

__all__ = ["relu", "sigmoid", "softmax", "tanh"]
