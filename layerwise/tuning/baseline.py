"""``evaluate_against_baseline``: the model's metrics beside a simple baseline's.

A model is only useful if it beats the obvious guess. The weather lesson
compares its network with "tomorrow's sunshine = today's" on the test set,
RMSE against RMSE; this does that comparison for any model, baseline and
metrics, and prints the two side by side.
"""

import math

import numpy as np
import torch

from layerwise import metrics as metrics_module

_CLASSIFICATION_WORDS = ("crossentropy", "hinge")


def _default_metrics(model, output_shape, y_shape):
    """RMSE and MAE for regression; the fitting accuracy for a classification loss."""
    loss = getattr(model, "loss", None)
    name = metrics_module._loss_name(loss) if loss is not None else None
    if name is not None and any(word in name.lower() for word in _CLASSIFICATION_WORDS):
        return [metrics_module.resolve_accuracy(loss, output_shape, y_shape)]
    return [metrics_module.RootMeanSquaredError(), metrics_module.MeanAbsoluteError()]


def _fresh(metric, output_shape, y_shape, loss):
    """A new metric object from a name, a class, an instance (its config) or a function."""
    if isinstance(metric, str) and metric in ("accuracy", "acc"):
        return metrics_module.resolve_accuracy(loss, output_shape, y_shape, name=metric)
    resolved = metrics_module.get(metric)
    if isinstance(resolved, metrics_module.Metric):
        if resolved is metric:  # the user's own instance: leave its state alone
            resolved = type(metric).from_config(metric.get_config())
        return resolved
    if callable(resolved):
        return metrics_module.MeanMetricWrapper(resolved, name=getattr(resolved, "__name__", "metric"))
    raise ValueError(
        f"evaluate_against_baseline: could not interpret metric {metric!r}; pass metric names "
        "('root_mean_squared_error', 'mae', 'accuracy'), Metric instances or metric functions."
    )


def _score(metric, y, predictions):
    metric.reset_state()
    metric.update_state(y, predictions)
    return float(torch.as_tensor(metric.result()).detach().cpu())


def evaluate_against_baseline(model, x, y, baseline_predictions, metrics=None, batch_size=None, verbose=1,
                              print_fn=None):
    """Compare the model with a baseline on ``(x, y)``: each metric for both, side by side.

    The model's predictions come from ``model.predict(x)``; the baseline's
    are given (for the weather lesson, today's sunshine as the prediction
    for tomorrow's). Both are scored with fresh metric objects on the same
    targets.

    Args:
        model: a layerwise model.
        x: inputs for the model (as ``predict`` takes them).
        y: the true targets.
        baseline_predictions: the baseline's predictions for the same samples
            (array, Series or tensor; ``(n,)`` or the model's output shape).
        metrics: metric names, classes, instances or functions. Default: for a
            model compiled with a cross-entropy or hinge loss, its accuracy
            (chosen as ``compile(metrics=['accuracy'])`` would); otherwise
            root mean squared error and mean absolute error, as the lesson reports.
        batch_size: batch size for ``predict`` (default 32).
        verbose: 1 (default) prints the table; 0 prints nothing.
        print_fn: called with the table's text instead of ``print``.

    Returns:
        ``{"model": {metric: value}, "baseline": {metric: value}}``
        (``pandas.DataFrame(result)`` puts the two side by side).

    Example:

    >>> sunshine_today = x_test["BASEL_sunshine"]
    >>> scores = model.evaluate_against_baseline(x_test, y_test, sunshine_today)
    metric                    model  baseline
    root_mean_squared_error   2.917     3.877
    mean_absolute_error       2.317     2.930
    The model does better than the baseline on 2 of 2 metrics.
    >>> scores["model"]["root_mean_squared_error"] < scores["baseline"]["root_mean_squared_error"]
    True
    """
    from layerwise.engine.data import num_samples, to_tensors

    predictions = model.predict(x, batch_size=batch_size, verbose=0)
    y_true = to_tensors(y, "y")
    baseline = to_tensors(baseline_predictions, "baseline_predictions")
    n_true = num_samples(y_true, "y")
    n_model = num_samples(predictions, "the model's predictions")
    n_baseline = num_samples(baseline, "baseline_predictions")
    if not (n_true == n_model == n_baseline):
        raise ValueError(
            f"evaluate_against_baseline: y has {n_true} samples, the model predicts {n_model} from x, and "
            f"baseline_predictions has {n_baseline}; all three must describe the same samples."
        )
    if not isinstance(predictions, np.ndarray):
        raise ValueError(  # noqa: TRY004 (bad arguments are ValueErrors throughout layerwise)
            "evaluate_against_baseline compares models with a single output; this model has several. "
            "Compare one output at a time with your own metric calls."
        )
    model_predictions = to_tensors(predictions, "predictions")
    output_shape = (None,) + tuple(predictions.shape[1:])
    y_shape = (None,) + tuple(y_true.shape[1:])
    if metrics is None:
        chosen = _default_metrics(model, output_shape, y_shape)
    else:
        if not isinstance(metrics, (list, tuple)):
            metrics = [metrics]
        if not metrics:
            raise ValueError("evaluate_against_baseline: `metrics` is empty; give at least one metric or None.")
        chosen = [_fresh(m, output_shape, y_shape, getattr(model, "loss", None)) for m in metrics]

    result = {"model": {}, "baseline": {}}
    for metric in chosen:
        result["model"][metric.name] = _score(metric, y_true, model_predictions)
        # A baseline given as (n,) against targets (n, 1) is lined up with them, as a model output would be.
        if baseline.ndim == y_true.ndim - 1 and y_true.shape[-1] == 1:
            aligned = baseline.unsqueeze(-1)
        else:
            aligned = baseline
        result["baseline"][metric.name] = _score(metric, y_true, aligned)
    if verbose:
        text = _table(result, chosen)
        if print_fn is not None:
            print_fn(text)
        else:
            print(text, flush=True)
    return result


def _table(result, metrics):
    names = list(result["model"])
    width = max(len("metric"), *(len(n) for n in names))
    lines = [f"{'metric':<{width}}  {'model':>10}  {'baseline':>10}"]
    better = 0
    judged = 0
    for metric, name in zip(metrics, names):
        model_value, baseline_value = result["model"][name], result["baseline"][name]
        lines.append(f"{name:<{width}}  {model_value:>#10.4g}  {baseline_value:>#10.4g}")
        direction = getattr(metric, "_direction", "down")
        if math.isfinite(model_value) and math.isfinite(baseline_value):
            judged += 1
            if (model_value > baseline_value) if direction == "up" else (model_value < baseline_value):
                better += 1
    if judged:
        lines.append(f"The model does better than the baseline on {better} of {judged} "
                     f"metric{'s' if judged != 1 else ''}.")
    return "\n".join(lines)
