"""``keras.mixed_precision``: float32 weights, 16-bit computations.

>>> import layerwise as keras
>>> keras.mixed_precision.set_global_policy("mixed_float16")   # on a GPU
>>> model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(64, activation="relu"),
...                           keras.layers.Dense(10),
...                           keras.layers.Activation("softmax", dtype="float32")])

Keras's advice holds: keep the last activation in float32. ``compile`` adds
loss scaling (``LossScaleOptimizer``) under ``mixed_float16``. On the CPU,
``mixed_bfloat16`` is the 16-bit policy torch accelerates.
See :mod:`layerwise.dtype_policies`.
"""

from layerwise.dtype_policies import DTypePolicy, dtype_policy, set_dtype_policy
from layerwise.optimizers.loss_scale_optimizer import LossScaleOptimizer

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy

__all__ = ["DTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy", "global_policy",
           "set_dtype_policy", "set_global_policy"]
