"""Tools for choosing and checking a model's training set-up.

* :func:`find_learning_rate`: the learning-rate range test (also
  ``model.find_learning_rate``); returns the loss curve, a suggested rate and
  a plot.
* :func:`evaluate_against_baseline`: the model's metrics beside a simple
  baseline's (also ``model.evaluate_against_baseline``), as the weather lesson
  compares its network with "tomorrow = today".

Example:

>>> result = layerwise.tuning.find_learning_rate(model, x_train, y_train)
>>> model.optimizer.learning_rate = result.suggestion
"""

from layerwise.tuning.baseline import evaluate_against_baseline
from layerwise.tuning.lr_finder import LearningRateFinderResult, find_learning_rate

__all__ = ["LearningRateFinderResult", "evaluate_against_baseline", "find_learning_rate"]
