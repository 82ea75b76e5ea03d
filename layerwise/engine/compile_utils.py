"""What ``compile(loss=..., metrics=...)`` turns into: one loss and metric set per output.

Losses and metrics may be given once (every output), as a list (one per
output, in order) or as a dict keyed by output name, as Keras accepts them.
Everything here is resolved once, when the model first sees its outputs;
the training step then calls plain Python lists.
"""

from layerwise import losses as losses_module
from layerwise import metrics as metrics_module
from layerwise.engine import nest


def _per_output(spec, output_names, what):
    """Spread ``spec`` over the outputs: a list with one entry per output."""
    count = len(output_names)
    if isinstance(spec, dict):
        unknown = [key for key in spec if key not in output_names]
        if unknown:
            raise ValueError(
                f"compile({what}=...) names outputs {unknown}, but the model's outputs are "
                f"{output_names}."
            )
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and count == 1 and len(spec) == 1 and what in ("loss", "loss_weights"):
        return list(spec)  # loss=["mse"], loss_weights=[0.5] for the only output, as Keras accepts
    if isinstance(spec, (list, tuple)) and count > 1:
        if what == "metrics" and not any(isinstance(item, (list, tuple, dict)) for item in spec):
            return [spec] * count  # metrics=['accuracy'] applies to every output
        if len(spec) != count:
            raise ValueError(
                f"compile({what}=...) got a list of {len(spec)} entries, but the model has {count} "
                f"outputs ({', '.join(output_names)}). Give one entry per output, or a dict by output name."
            )
        return list(spec)
    return [spec] * count


def _as_loss(identifier):
    loss = losses_module.get(identifier)
    if loss is None:
        return None
    if isinstance(loss, losses_module.Loss):
        return loss
    return losses_module.LossFunctionWrapper(loss, name=getattr(loss, "__name__", "loss"))


class CompiledLoss:
    """The model's loss: a weighted sum of one loss per output."""

    def __init__(self, loss, loss_weights, output_names):
        self.spec = loss
        self.output_names = list(output_names)
        self.losses = [_as_loss(item) for item in _per_output(loss, self.output_names, "loss")]
        weights = loss_weights if loss_weights is not None else 1.0
        if isinstance(weights, (int, float)):
            weights = [float(weights)] * len(self.output_names)
        else:
            weights = [1.0 if w is None else float(w)
                       for w in _per_output(weights, self.output_names, "loss_weights")]
        self.weights = weights
        self.active = [i for i, loss in enumerate(self.losses) if loss is not None]
        if not self.active:
            raise ValueError("compile() needs a loss, e.g. loss='mse' or loss='categorical_crossentropy'.")

    @property
    def multi_output(self):
        return len(self.output_names) > 1

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Total loss and, for several outputs, the list of per-output losses."""
        if not self.multi_output:
            total = self.losses[0](y_true, y_pred, sample_weight)
            return total * self.weights[0] if self.weights[0] != 1.0 else total, None
        trues = self._flat(y_true, "y")
        preds = nest.flatten(y_pred)
        weights = self._flat(sample_weight, "sample_weight") if sample_weight is not None else None
        parts = []
        total = 0.0
        for i in self.active:
            part = self.losses[i](trues[i], preds[i], None if weights is None else weights[i])
            parts.append(part)
            total = total + self.weights[i] * part
        return total, parts

    def _flat(self, structure, what):
        if isinstance(structure, dict):
            return [structure.get(name) for name in self.output_names]
        if isinstance(structure, (list, tuple)):
            if len(structure) != len(self.output_names):
                raise ValueError(
                    f"The model has {len(self.output_names)} outputs ({', '.join(self.output_names)}) "
                    f"but {what} has {len(structure)} entries."
                )
            return list(structure)
        return [structure] * len(self.output_names)


class CompiledMetrics:
    """The metrics of each output, updated together after every step."""

    def __init__(self, metrics, weighted_metrics, compiled_loss, output_shapes):
        names = compiled_loss.output_names
        self.output_names = names
        self.entries = []  # (output index, metric, weighted)
        for spec, weighted in ((metrics, False), (weighted_metrics, True)):
            if not spec:
                continue
            for index, output_spec in enumerate(_per_output(spec, names, "metrics")):
                for item in _as_list(output_spec):
                    metric = self._resolve(item, compiled_loss.losses[index], output_shapes[index])
                    self.entries.append((index, metric, weighted))
        self._name_uniquely()
        self.metrics = [metric for _, metric, _ in self.entries]

    def _name_uniquely(self):
        """Log names as Keras makes them: output prefix, ``weighted_`` for a clash, then ``_1``, ``_2``."""
        used = {}
        multi = len(self.output_names) > 1

        def prefixed(index, name):
            return f"{self.output_names[index]}_{name}" if multi else name

        for index, metric, weighted in self.entries:
            name = prefixed(index, metric.name)
            if name in used and weighted:
                name = prefixed(index, f"weighted_{metric.name}")
            if name in used:
                used[name] += 1
                name = f"{name}_{used[name] - 1}"
            used.setdefault(name, 1)
            metric.name = name

    @staticmethod
    def _resolve(item, loss, output_shape):
        if isinstance(item, str) and item in ("accuracy", "acc"):
            metric = metrics_module.resolve_accuracy(loss, output_shape)
            metric.name = item
            return metric
        metric = metrics_module.get(item)
        if isinstance(metric, metrics_module.Metric):
            if isinstance(item, str):
                metric.name = item
            return metric
        return metrics_module.MeanMetricWrapper(metric, name=getattr(metric, "__name__", str(item)))

    def update(self, y_true, y_pred, sample_weight):
        if len(self.output_names) == 1:
            for _, metric, weighted in self.entries:
                metric.update_state(y_true, y_pred, sample_weight if weighted else None)
            return
        trues = _flat_like(y_true, self.output_names)
        preds = nest.flatten(y_pred)
        weights = _flat_like(sample_weight, self.output_names)
        for index, metric, weighted in self.entries:
            metric.update_state(trues[index], preds[index], weights[index] if weighted else None)


def _as_list(spec):
    if spec is None:
        return []
    return list(spec) if isinstance(spec, (list, tuple)) else [spec]


def _flat_like(structure, output_names):
    if isinstance(structure, dict):
        return [structure.get(name) for name in output_names]
    if isinstance(structure, (list, tuple)):
        return list(structure)
    return [structure] * len(output_names)
