"""The learning-rate range test: ``find_learning_rate(model, x, y)``.

Train for a few dozen mini-batches while the learning rate grows
exponentially from ``start`` to ``end``, record the loss after each batch,
stop when the loss blows up, and suggest a rate from the curve (Smith,
"Cyclical Learning Rates for Training Neural Networks", 2017; the "LR
finder" of fastai). The model comes back exactly as it was.
"""

import math
import numbers

import numpy as np
import torch

from layerwise import optimizers as optimizers_module
from layerwise.engine import nest

METHODS = ("valley", "steepest", "minimum")


def _check_positive(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"find_learning_rate: `{name}` must be a finite number > 0; got {name}={value!r}.")
    return float(value)


def _check_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"find_learning_rate: `{name}` must be an integer >= {minimum}; got {name}={value!r}.")
    return int(value)


def _check_method(method):
    if method not in METHODS:
        raise ValueError(
            f"find_learning_rate: `method` must be one of {', '.join(repr(m) for m in METHODS)}; "
            f"got method={method!r}."
        )
    return method


def _smooth(losses, beta):
    """Exponential moving average with bias correction (so the first values are not pulled to 0)."""
    smoothed, average = [], 0.0
    for i, loss in enumerate(losses):
        average = beta * average + (1.0 - beta) * loss
        smoothed.append(average / (1.0 - beta ** (i + 1)))
    return smoothed


def _valley_index(losses):
    """Halfway along the longest valley of ``losses``.

    The valley is the stretch covered by the longest strictly decreasing
    subsequence of the (smoothed) losses: where the loss keeps falling for
    the most steps. Its midpoint lies well after the flat start (where the
    rate is too small to matter) and well before the bottom (where the rate
    is already close to too large). This is fastai's ``valley`` rule.
    """
    n = len(losses)
    if n == 0:
        return None
    length = [1] * n
    end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and length[j] + 1 > length[i]:
                length[i] = length[j] + 1
        if length[i] > length[end]:
            end = i
    start = end - length[end] + 1
    return start + (end - start) // 2


def _steepest_index(learning_rates, losses):
    """Where the smoothed loss falls fastest against log(learning rate)."""
    if len(losses) < 3:
        return None
    slopes = np.gradient(np.asarray(losses, dtype=np.float64), np.log10(np.asarray(learning_rates)))
    return int(np.argmin(slopes))


class LearningRateFinderResult:
    """What :func:`find_learning_rate` measured.

    Attributes:
        learning_rates: the rate of each step (numpy array, growing exponentially).
        losses: the training loss of each step's batch (numpy array).
        smoothed_losses: ``losses`` smoothed by an exponential moving average
            (with bias correction); the suggestion and the plot use these.
        suggestion: the suggested learning rate (a float), by ``method``; None
            when the test ran too few steps to suggest one.
        method: how the suggestion was chosen: ``"valley"`` (default; halfway
            along the longest stretch over which the smoothed loss keeps
            falling, fastai's rule, robust to the noise of the first steps),
            ``"steepest"`` (where the smoothed loss falls fastest against the
            log of the rate) or ``"minimum"`` (a tenth of the rate at the lowest
            smoothed loss, the older rule of thumb).
        diverged: True if the test stopped early because the loss blew up.

    Example:

    >>> result = layerwise.tuning.find_learning_rate(model, x_train, y_train, verbose=0)
    >>> result.suggestion
    0.0012589...
    >>> result.suggest("steepest")
    0.0006309...
    >>> figure = result.plot(to_file="lr_finder.png")
    """

    def __init__(self, learning_rates, losses, smoothing, method, diverged):
        self.learning_rates = np.asarray(learning_rates, dtype=np.float64)
        self.losses = np.asarray(losses, dtype=np.float64)
        self.smoothed_losses = np.asarray(_smooth(list(self.losses), smoothing), dtype=np.float64)
        self.method = _check_method(method)
        self.diverged = bool(diverged)
        self.suggestion_index = self._index(method)
        self.suggestion = None if self.suggestion_index is None else self._rate_at(method, self.suggestion_index)

    def _usable(self):
        """How many leading points to judge: all finite ones, without the final blow-up."""
        finite = np.isfinite(self.smoothed_losses)
        count = int(np.argmin(finite)) if not finite.all() else len(finite)
        if self.diverged and count > 1:
            count -= 1  # the step that crossed the divergence threshold
        return count

    def _index(self, method):
        count = self._usable()
        losses = list(self.smoothed_losses[:count])
        if method == "valley":
            return _valley_index(losses)
        if method == "steepest":
            return _steepest_index(self.learning_rates[:count], losses)
        return int(np.argmin(losses)) if losses else None

    def _rate_at(self, method, index):
        rate = float(self.learning_rates[index])
        return rate / 10.0 if method == "minimum" else rate

    def suggest(self, method="valley"):
        """The learning rate ``method`` suggests (``"valley"``, ``"steepest"`` or ``"minimum"``)."""
        index = self._index(_check_method(method))
        return None if index is None else self._rate_at(method, index)

    def plot(self, to_file=None, dpi=100):
        """The loss against the learning rate (log axis), with the suggested rate marked.

        Args:
            to_file: if given, the figure is also saved there (PNG, SVG, PDF: by extension).
            dpi: resolution of the saved file.

        Returns:
            The matplotlib ``Figure``.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError(
                "LearningRateFinderResult.plot() needs matplotlib, which is not installed. Install it "
                "with `pip install matplotlib` (or `pip install 'layerwise[plot]'`)."
            ) from None
        figure, axis = plt.subplots(figsize=(7, 4.5))
        axis.plot(self.learning_rates, self.losses, color="tab:blue", alpha=0.3, linewidth=1, label="loss")
        axis.plot(self.learning_rates, self.smoothed_losses, color="tab:blue", label="smoothed loss")
        if self.suggestion is not None:
            index = self.suggestion_index
            axis.plot([self.suggestion], [self.smoothed_losses[index]], "o", color="tab:red", markersize=8,
                      label=f"suggested: {self.suggestion:.2e} ({self.method})")
            axis.axvline(self.suggestion, color="tab:red", linestyle="--", linewidth=1)
        axis.set_xscale("log")
        finite = self.smoothed_losses[np.isfinite(self.smoothed_losses)]
        if finite.size:
            # Keep the blow-up at the end from squashing the interesting part of the curve.
            low, high = float(finite.min()), float(finite[: max(1, self._usable())].max())
            margin = 0.1 * (high - low) if high > low else 0.1 * abs(high) or 1.0
            axis.set_ylim(low - margin, high + 2 * margin)
        axis.set_xlabel("learning rate (log scale)")
        axis.set_ylabel("loss")
        axis.set_title("Learning-rate range test")
        axis.legend()
        figure.tight_layout()
        if to_file is not None:
            figure.savefig(to_file, dpi=dpi)
        return figure

    def __repr__(self):
        suggestion = "None" if self.suggestion is None else f"{self.suggestion:.3g}"
        return (f"<LearningRateFinderResult steps={len(self.learning_rates)} suggestion={suggestion} "
                f"method={self.method} diverged={self.diverged}>")


def _clone_optimizer(optimizer, learning_rate):
    """A fresh optimizer with the same settings (no state) and a float learning rate."""
    try:
        config = dict(optimizer.get_config())
        config["learning_rate"] = learning_rate
        clone = type(optimizer).from_config(config)
    except (TypeError, ValueError, NotImplementedError, KeyError) as error:
        raise ValueError(
            f"find_learning_rate could not make a fresh copy of the optimizer {optimizer!r} from its "
            f"config ({error}). Pass optimizer='adam' (or an optimizer name or instance whose "
            "get_config()/from_config() round-trip)."
        ) from error
    # Weight-decay exclusions are not part of the config; they refer to the same weights.
    for attribute in ("_exclude_from_weight_decay", "_exclude_from_weight_decay_pattern"):
        if hasattr(optimizer, attribute):
            setattr(clone, attribute, getattr(optimizer, attribute))
    return clone


class _Snapshot:
    """The model's weights, buffers and gradients, and the random-number state, to put back later."""

    def __init__(self, model):
        self.model = model
        self.state = {k: v.detach().clone() for k, v in model.state_dict(keep_vars=True).items()}
        self.grads = [(p, None if p.grad is None else p.grad.detach().clone()) for p in model.parameters()]
        self.cpu_rng = torch.random.get_rng_state()
        self.cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() \
            else None

    def restore(self):
        with torch.no_grad():
            current = self.model.state_dict(keep_vars=True)
            for key, value in self.state.items():
                current[key].copy_(value)
        for param, grad in self.grads:
            param.grad = grad
        torch.random.set_rng_state(self.cpu_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(self.cuda_rng)


def find_learning_rate(model, x, y=None, start=1e-7, end=10.0, steps=100, batch_size=32, sample_weight=None,
                       optimizer=None, loss=None, method="valley", smoothing=0.98, divergence_factor=4.0,
                       shuffle=True, verbose=1):
    """The learning-rate range test: the loss against an exponentially growing learning rate.

    Trains ``model`` on mini-batches of ``x, y`` for up to ``steps`` steps
    while the learning rate grows exponentially from ``start`` to ``end``
    (``start * (end / start) ** (i / (steps - 1))`` at step ``i``), records each
    batch's loss, and stops early once the smoothed loss exceeds
    ``divergence_factor`` times its lowest value (or is NaN). Then it
    suggests a rate from the smoothed curve (see ``method``).

    The model is left exactly as it was: every weight (including
    non-trainable ones such as BatchNormalization statistics), the gradients
    left on the weights, and torch's random-number state are restored
    afterwards, and the model's compiled optimizer is never touched: the test
    trains with a fresh copy of it (same class and settings, no state), so
    its iteration count and moments stay as they were. Training after the
    test therefore goes exactly as it would have without it.

    Cost: one loss value is read from the device per step (to decide when to
    stop); this is a short, one-off measurement, not a training run.

    Args:
        model: a layerwise model. Compiled, unless ``optimizer`` and ``loss`` are given.
        x, y: training inputs and targets, as ``fit`` takes them (arrays,
            DataFrames, tensors, or ``x`` alone as a generator/``DataLoader``
            of ``(x, y)`` batches). The data are cycled through as often as
            ``steps`` needs.
        start: the first learning rate (default 1e-7).
        end: the last learning rate (default 10).
        steps: the number of mini-batches (default 100).
        batch_size: samples per mini-batch for array data (default 32).
        sample_weight: per-sample weights for the loss.
        optimizer: the optimizer to test (a name or instance; a fresh copy is
            used). Default: the model's compiled optimizer.
        loss: the loss to use. Default: the model's compiled loss.
        method: how to choose ``suggestion``: ``"valley"`` (default),
            ``"steepest"`` or ``"minimum"``; see :class:`LearningRateFinderResult`.
        smoothing: the moving-average factor for the smoothed loss (default 0.98).
        divergence_factor: stop once the smoothed loss is this many times its
            lowest value (default 4).
        shuffle: shuffle array data before each pass (default True).
        verbose: 1 prints the suggestion; 0 prints nothing.

    Returns:
        A :class:`LearningRateFinderResult` with ``learning_rates``, ``losses``,
        ``suggestion`` and ``plot()``.

    Example:

    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    >>> result = layerwise.tuning.find_learning_rate(model, x_train, y_train)
    Learning-rate range test: 87 steps from 1e-07 to 0.621; suggested learning rate 0.00126 (valley).
    >>> model.optimizer.learning_rate = result.suggestion
    >>> result.plot(to_file="lr_finder.png")
    """
    from layerwise.engine.compile_utils import CompiledLoss
    from layerwise.engine.data import ArrayData, make_data

    start = _check_positive("start", start)
    end = _check_positive("end", end)
    if end <= start:
        raise ValueError(f"find_learning_rate: `end` must be larger than `start`; got start={start!r}, end={end!r}.")
    steps = _check_count("steps", steps, 2)
    batch_size = _check_count("batch_size", batch_size, 1)
    method = _check_method(method)
    if isinstance(smoothing, bool) or not isinstance(smoothing, numbers.Real) or not 0 <= smoothing < 1:
        raise ValueError(f"find_learning_rate: `smoothing` must be a number in [0, 1); got smoothing={smoothing!r}.")
    divergence_factor = _check_positive("divergence_factor", divergence_factor)
    if divergence_factor <= 1:
        raise ValueError(
            f"find_learning_rate: `divergence_factor` must be a number > 1; got divergence_factor={divergence_factor!r}."
        )

    compiled = getattr(model, "compiled", False)
    if optimizer is None and not compiled:
        raise ValueError(
            "find_learning_rate needs the optimizer to test: compile the model first "
            "(model.compile(optimizer='adam', loss=...)) or pass optimizer= and loss=."
        )
    if loss is None and not compiled:
        raise ValueError(
            "find_learning_rate needs a loss: compile the model first (model.compile(optimizer='adam', "
            "loss=...)) or pass loss=."
        )
    data = make_data(x, y, sample_weight)
    first_inputs = model._first_inputs(data, batch_size)
    if compiled:
        model._prepare(first_inputs)  # builds the model and its compiled loss once, as fit would
        if isinstance(data, ArrayData):
            model._check_targets(data.y)
    elif not model.built:
        with torch.no_grad():
            model(first_inputs, training=False)
    if loss is None:
        compiled_loss = model._compiled_loss
    else:
        with torch.no_grad():
            probe = model(first_inputs, training=False)
        outputs = nest.flatten(probe)
        names = model._output_names() or (["output"] if len(outputs) == 1 else
                                          [f"output_{i}" for i in range(len(outputs))])
        compiled_loss = CompiledLoss(loss, None, names)
    base = optimizers_module.get(optimizer) if optimizer is not None else model.optimizer
    sweep_optimizer = _clone_optimizer(base, start)
    params = model.trainable_weights
    if not params:
        raise ValueError(f"find_learning_rate: model '{model.name}' has no trainable weights to train.")
    layers, regularized = model._regularization_sources()

    factor = (end / start) ** (1.0 / (steps - 1))
    rates, losses = [], []
    diverged = False
    snapshot = _Snapshot(model)
    try:
        sweep_optimizer.build(params)
        average, best = 0.0, math.inf
        for step, (xb, yb, wb) in enumerate(_batches(data, batch_size, shuffle, steps)):
            rate = start * factor ** step
            sweep_optimizer.learning_rate = rate
            y_pred = model(xb, training=True)
            value, _ = compiled_loss(yb, y_pred, wb)
            extra = [item for layer in layers for item in layer._activity_losses]
            extra += [regularizer(variable) for variable, regularizer in regularized]
            total = value + sum(extra) if extra else value
            for param in params:
                param.grad = None
            total.backward()
            sweep_optimizer.apply([param.grad for param in params], params)
            current = float(total.detach())
            rates.append(rate)
            losses.append(current)
            if not math.isfinite(current):
                diverged = True
                break
            average = smoothing * average + (1.0 - smoothing) * current
            smoothed = average / (1.0 - smoothing ** (step + 1))
            best = min(best, smoothed)
            if step > 0 and smoothed > divergence_factor * best:
                diverged = True
                break
    finally:
        snapshot.restore()
    result = LearningRateFinderResult(rates, losses, smoothing, method, diverged)
    if verbose:
        tail = "stopped when the loss diverged" if diverged else "ran all steps"
        if result.suggestion is None:
            print(f"Learning-rate range test: {len(rates)} steps ({tail}); too few to suggest a learning rate. "
                  "Use more steps or a smaller `start`.", flush=True)
        else:
            print(f"Learning-rate range test: {len(rates)} steps from {start:.3g} to {rates[-1]:.3g} ({tail}); "
                  f"suggested learning rate {result.suggestion:.3g} ({method}).", flush=True)
    return result


def _batches(data, batch_size, shuffle, steps):
    """``steps`` batches at most, cycling through re-iterable data; a one-shot generator may end sooner."""
    from layerwise.engine.data import ArrayData

    produced = 0
    while produced < steps:
        if isinstance(data, ArrayData):
            batches = data.batches(batch_size, shuffle)
        else:
            batches = data.batches(steps=steps - produced)
        empty = True
        for batch in batches:
            empty = False
            yield batch
            produced += 1
            if produced >= steps:
                return
        if empty or (not isinstance(data, ArrayData) and data._one_shot):
            return
