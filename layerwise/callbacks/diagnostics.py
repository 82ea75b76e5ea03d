"""``Diagnostics``: a callback that says, in plain words, what is going wrong in training.

The course names the ways training fails: a learning rate too high (the loss
diverges) or too low (it does not go down), dying ReLUs, vanishing and
exploding gradients, NaN weights, overfitting. Keras leaves users to spot
these in the curves; this callback looks once per epoch and says which one it
sees, in which layer, and what the course suggests doing about it.

Cost: no extra forward or backward pass. Per step, one cheap Python call (it
reads the loss of the very first batch, once). During the first
``sample_size`` training samples of each epoch, hooks on the ReLU layers note
(on the device) which units fired; at the end of the epoch it takes the
gradient norms the last training step left on the weights, and reads
everything from the device in one synchronisation.
``benchmarks/diagnostics_overhead.py`` measures the overhead on the weather
MLP (+5 to +7% of the fit time, on a CPU and on a GPU).
"""

import math

import torch

from layerwise import activations
from layerwise.callbacks.callback import Callback
from layerwise.callbacks.early_stopping import _check_int, _check_number, _host_float
from layerwise.engine import nest
from layerwise.saving.registry import builtin

# The kinds of warning, in the order report() lists them when they share an epoch.
KINDS = ("nan", "diverging", "exploding_gradients", "vanishing_gradients", "dead_relu",
         "not_decreasing", "overfitting")

_RELU_NAMES = ("relu", "relu6")

# Suggestions as the course gives them, one per kind of problem.
_SUGGESTIONS = {
    "nan": "lower the learning rate (try 10 times lower), or clip the gradients with "
           "optimizer=Adam(clipnorm=1.0); also check the inputs are scaled (standardised).",
    "diverging": "lower the learning rate (try 10 times lower; layerwise.tuning.find_learning_rate "
                 "suggests one).",
    "exploding_gradients": "lower the learning rate, add BatchNormalization layers, or clip the "
                           "gradients with optimizer=Adam(clipnorm=1.0).",
    "vanishing_gradients": "use ReLU activations with He initialisation "
                           "(kernel_initializer='he_normal') in the hidden layers, or add "
                           "BatchNormalization layers.",
    "dead_relu": "use He initialisation (kernel_initializer='he_normal') and zero biases, add "
                 "BatchNormalization before the activation, or lower the learning rate.",
    "not_decreasing": "if the model is not already trained, raise the learning rate (try 10 times "
                      "higher; layerwise.tuning.find_learning_rate suggests one).",
    "overfitting": "add Dropout, shrink the network, or stop early with "
                   "callbacks.EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True).",
}


class DiagnosticWarning:
    """One problem ``Diagnostics`` found: ``kind``, the ``epoch`` (from 0, as
    ``history.epoch`` counts), the ``layers`` concerned, the ``message`` and the
    course's ``suggestion``. ``str()`` gives the text that was printed."""

    __slots__ = ("epoch", "kind", "layers", "message", "suggestion")

    def __init__(self, kind, epoch, message, layers=()):
        self.kind = kind
        self.epoch = epoch
        self.layers = tuple(layers)
        self.message = message
        self.suggestion = _SUGGESTIONS[kind]

    def __str__(self):
        return f"Diagnostics, epoch {self.epoch + 1}: {self.message} Suggestion: {self.suggestion}"

    def __repr__(self):
        return f"<DiagnosticWarning kind={self.kind} epoch={self.epoch} layers={list(self.layers)}>"


def _is_relu_layer(layer):
    """True for a layer whose output is a ReLU's (Dense/Conv with relu, Activation('relu'), ReLU())."""
    if hasattr(layer, "cell") or hasattr(layer, "layer"):  # recurrent layers and wrappers
        return False
    if type(layer).__name__ == "ReLU":
        return not getattr(layer, "negative_slope", 0.0)
    activation = getattr(layer, "activation", None)
    if activation is None or not callable(activation):
        return False
    try:
        name = activations.serialize(activation)
    except (TypeError, ValueError, AttributeError):
        return False
    return isinstance(name, str) and name in _RELU_NAMES


def _unique_names(layers):
    names, seen = [], {}
    for layer in layers:
        name = layer.name
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


# Samples per forward pass when probing inputs given as sample_inputs (training batches are probed as they came).
_PROBE_CHUNK = 32


def _rows(structure):
    leaves = [leaf for leaf in nest.flatten(structure) if isinstance(leaf, torch.Tensor)]
    return int(leaves[0].shape[0]) if leaves and leaves[0].ndim else 0


def _take(structure, index):
    return nest.map_structure(lambda t: t[index] if isinstance(t, torch.Tensor) and t.ndim else t, structure)


def _quoted(names):
    return ", ".join(f"'{n}'" for n in names)


def _fmt(value):
    return f"{value:.3g}"


@builtin("callbacks")
class Diagnostics(Callback):
    """Watch training and say in plain words what goes wrong, once per kind of problem.

    At the end of every epoch it measures, cheaply:

    * **dead ReLU units**: for each layer with a ReLU output (``Dense``/``Conv``
      with ``activation="relu"``, ``Activation("relu")``, ``ReLU()``), the
      fraction of units (last axis; channels for convolutions) that output
      zero for every one of the epoch's first ``sample_size`` training
      samples (counted by hooks as training runs them; or on
      ``sample_inputs``). A layer with at least ``dead_relu_threshold`` of its
      units dead is reported.
    * **gradient norms per layer** (L2 norm of all the layer's gradients, from
      the last training step of the epoch). *Vanishing*: a layer's gradients
      are more than ``1 / vanishing_ratio`` times smaller than the last
      layer's (compared as root mean square over the non-zero entries, so that
      layer size and sparse rows do not matter), or all zero. *Exploding*: a
      layer's are more than ``exploding_ratio`` times larger than the last
      layer's, or the total gradient norm grew more than ``exploding_ratio``
      times since the first epoch.
    * **NaN or infinite values** in the weights, the gradients or the loss,
      naming the layer that produced them first. Weights that are not finite
      before training are named at once. Otherwise, at the end of the epoch
      where they appear, a probe sample (the first ``sample_size`` training
      inputs, kept from the first epoch, or ``sample_inputs``) runs forward
      with hooks on every layer: first with the last weights that were all
      finite (a layer that turns finite inputs into NaN/inf then is the
      source), else with the current ones (the first layer whose output is
      not finite); if the forward pass is finite, the layer nearest the
      output with non-finite gradients (backpropagation starts there) is
      named. The last finite weights are a copy kept at each epoch end.
    * **a diverging loss** (learning rate too high): the epoch's loss is NaN
      or infinite, or it is above the loss of the untrained model (the first
      batch) and more than ``divergence_factor`` times the lowest loss so far.
    * **a loss that does not go down** (learning rate too low): after
      ``stall_epochs`` epochs the loss is still above ``1 - stall_min_decrease``
      times the first epoch's, and the first epoch's was not much below the
      first batch's either (at least half of it: a model that converged
      within its first epoch is not reported).
    * **overfitting onset**: the epoch where the validation loss starts rising
      while the training loss keeps falling: the epoch after the lowest
      ``val_loss``, reported once the last ``overfitting_patience`` validation
      losses have all been more than ``overfitting_min_rise`` (5%) above that
      lowest value (a sustained rise, not one noisy epoch) and the training
      loss is lower than it was then. ``overfitting_epoch`` holds it.

    Each kind of warning is printed once per ``fit`` (``print_fn``, default
    ``print``), after the progress bar's line for that epoch, with the course's
    suggestion (lower the learning rate; He initialisation or
    BatchNormalization; Dropout or a smaller network; early stopping). A
    healthy run prints nothing. Use ``fit(..., diagnose=True)`` as a shortcut
    for ``callbacks=[Diagnostics()]``.

    Results, besides the printed warnings:

    * ``history.diagnostics`` is this callback (``fit`` returns the history), so
      ``history.diagnostics.report()`` and ``history.diagnostics.plot()``
      work without keeping a reference to it. ``history.history`` itself keeps
      only Keras's keys, so course code such as ``pd.DataFrame(history.history)``
      is unchanged.
    * ``measurements``: a dict of per-epoch lists, shaped like
      ``history.history``: ``"grad_norm/<layer>"`` for each layer with trainable
      weights and ``"dead_relu_fraction/<layer>"`` for each ReLU layer (NaN
      where a value could not be measured, e.g. no gradients).
    * ``warnings``: the :class:`DiagnosticWarning` objects found, in order.
    * ``overfitting_epoch``: the epoch (from 0, like ``history.epoch``) where
      the validation loss started rising, or None.
    * ``report()``: all of it as text; ``plot()``: as a matplotlib figure.

    Args:
        sample_inputs: inputs to count dead units on (run forward once per
            epoch, in batches of 32, without gradients) and to trace NaN with
            (an array, or the structure the model takes). Default: the
            training inputs themselves (see above). Needed when the model was
            compiled with ``jit_compile=True``, where no hook may run inside
            the compiled step.
        sample_size: how many training samples per epoch the dead-unit counts
            cover, and how many the NaN probe keeps (default 256).
        dead_relu_threshold: fraction of dead units that makes a layer
            reported (default 0.5).
        vanishing_ratio: gradients this much smaller than the last layer's are
            vanishing (default 1e-3).
        exploding_ratio: gradients this much larger than the last layer's, or
            a total norm this much larger than at the first epoch, are
            exploding (default 1e3).
        divergence_factor: see "a diverging loss" above (default 4).
        stall_epochs: epochs after which a loss that has hardly moved is
            reported (default 5).
        stall_min_decrease: the relative decrease of the loss expected over
            ``stall_epochs`` epochs (default 0.1, i.e. 10%).
        overfitting_patience: how many epochs in a row the validation loss
            must stay well above its lowest value before overfitting is
            reported (default 3).
        overfitting_min_rise: how far above its lowest value (relative) the
            validation loss must be for overfitting to be reported (default
            0.05), so that noise in a flat validation curve is not reported.
        verbose: 1 (default) prints each warning once; 0 prints nothing (the
            warnings are still recorded).
        print_fn: called with each warning's text instead of ``print``.

    Example:

    >>> diagnostics = layerwise.callbacks.Diagnostics()
    >>> history = model.fit(x, y, epochs=20, validation_split=0.2, callbacks=[diagnostics])
    Diagnostics, epoch 9: overfitting. The validation loss has risen since epoch 6 ...
    >>> diagnostics.overfitting_epoch
    5
    >>> print(history.diagnostics.report())
    """

    def __init__(self, sample_inputs=None, sample_size=256, dead_relu_threshold=0.5, vanishing_ratio=1e-3,
                 exploding_ratio=1e3, divergence_factor=4.0, stall_epochs=5, stall_min_decrease=0.1,
                 overfitting_patience=3, overfitting_min_rise=0.05, verbose=1, print_fn=None):
        super().__init__()
        owner = "Diagnostics"
        self.sample_inputs = sample_inputs
        self.sample_size = _check_int(owner, "sample_size", sample_size, minimum=1)
        self.dead_relu_threshold = _check_number(owner, "dead_relu_threshold", dead_relu_threshold)
        if not 0.0 < self.dead_relu_threshold <= 1.0:
            raise ValueError(
                f"{owner}: `dead_relu_threshold` must be a fraction in (0, 1]; got "
                f"dead_relu_threshold={dead_relu_threshold!r}."
            )
        self.vanishing_ratio = _check_number(owner, "vanishing_ratio", vanishing_ratio)
        if not 0.0 < self.vanishing_ratio < 1.0:
            raise ValueError(
                f"{owner}: `vanishing_ratio` must be a number in (0, 1) such as 1e-3; got "
                f"vanishing_ratio={vanishing_ratio!r}."
            )
        self.exploding_ratio = _check_number(owner, "exploding_ratio", exploding_ratio)
        if self.exploding_ratio <= 1.0:
            raise ValueError(
                f"{owner}: `exploding_ratio` must be a number > 1 such as 1e3; got "
                f"exploding_ratio={exploding_ratio!r}."
            )
        self.divergence_factor = _check_number(owner, "divergence_factor", divergence_factor)
        if self.divergence_factor <= 1.0:
            raise ValueError(
                f"{owner}: `divergence_factor` must be a number > 1 such as 4; got "
                f"divergence_factor={divergence_factor!r}."
            )
        self.stall_epochs = _check_int(owner, "stall_epochs", stall_epochs, minimum=1)
        self.stall_min_decrease = _check_number(owner, "stall_min_decrease", stall_min_decrease)
        if not 0.0 < self.stall_min_decrease < 1.0:
            raise ValueError(
                f"{owner}: `stall_min_decrease` must be a fraction in (0, 1) such as 0.1; got "
                f"stall_min_decrease={stall_min_decrease!r}."
            )
        self.overfitting_patience = _check_int(owner, "overfitting_patience", overfitting_patience, minimum=1)
        self.overfitting_min_rise = _check_number(owner, "overfitting_min_rise", overfitting_min_rise, minimum=0)
        self.verbose = _check_int(owner, "verbose", verbose)
        if print_fn is not None and not callable(print_fn):
            raise ValueError(f"{owner}: `print_fn` must be a function taking a string; got print_fn={print_fn!r}.")
        self.print_fn = print_fn
        self._reset()

    # ------------------------------------------------------------------ state

    def _reset(self):
        # Hooks left by a fit that ended with an exception (no on_train_end) go first.
        for handle in getattr(self, "_watch_handles", []) + [getattr(self, "_capture_handle", None)]:
            if handle is not None:
                handle.remove()
        self.measurements = {}
        self.warnings = []
        self.epochs = []
        self.losses = []        # training loss per epoch
        self.val_losses = []    # validation loss per epoch (None where there was none)
        self.initial_loss = None
        self.overfitting_epoch = None
        self._shown = set()
        self._pending = []
        self._probe = None
        self._probe_parts = []
        self._probe_count = 0
        self._capture_handle = None
        self._first_total_norm = None
        self._notes = []
        self._grad_layers, self._grad_names, self._params = [], [], []
        self._relu_layers, self._relu_names = [], []
        self._owners, self._layer_sizes, self._uniform = [], [], True
        self._relu_units = []
        self._relu_position = {}
        self._watch = False         # count dead units on the training batches themselves
        self._watch_handles = []
        self._fired = []
        self._watched = 0
        self._state_variables = []
        self._finite_weights = None
        self._finite_epoch = None

    def on_train_begin(self, logs=None):
        self._reset()
        model = self.model
        history = getattr(model, "history", None)
        if history is not None:
            history.diagnostics = self
        # Decided once per fit: which layers have weights to watch and which end in a ReLU.
        layers = [layer for layer in model._flatten_layers(include_self=True)
                  if any(v.requires_grad for v in layer._own_variables)]
        self._grad_layers = layers
        self._grad_names = _unique_names(layers)
        self._params, self._owners = [], []
        for index, layer in enumerate(layers):
            for variable in layer._own_variables:
                if variable.requires_grad:
                    self._params.append(variable)
                    self._owners.append(index)
        self._layer_sizes = [0] * len(layers)
        for owner, variable in zip(self._owners, self._params):
            self._layer_sizes[owner] += variable.numel()
        # One dtype and device for all weights (the usual case): their norms stack without conversions.
        self._uniform = len({(p.dtype, p.device) for p in self._params}) <= 1
        self._relu_layers = [layer for layer in model._flatten_layers(include_self=False) if _is_relu_layer(layer)]
        self._relu_names = _unique_names(self._relu_layers)
        self._relu_position = {id(layer): i for i, layer in enumerate(self._relu_layers)}
        for name in self._grad_names:
            self.measurements[f"grad_norm/{name}"] = []
        for name in self._relu_names:
            self.measurements[f"dead_relu_fraction/{name}"] = []
        self._state_variables = [v for v in model.weights if v.is_floating_point()]
        self._check_initial_weights()
        if "nan" not in self._shown:
            self._keep_finite_weights(None)
            self._finite_epoch = None
        if self.sample_inputs is not None:
            from layerwise.engine.data import to_tensors

            probe = to_tensors(self.sample_inputs, "sample_inputs")
            rows = _rows(probe)
            self._probe = [_take(probe, slice(start, min(start + _PROBE_CHUNK, rows)))
                           for start in range(0, rows, _PROBE_CHUNK)]
        elif getattr(model, "jit_compile", False):
            # A hook would run inside the compiled graph; without a probe sample, say what is missing.
            self._notes.append("Dead ReLU units were not counted and NaN sources not traced: with "
                               "jit_compile=True, pass Diagnostics(sample_inputs=...) to name the inputs to probe.")
        else:
            self._capture_handle = model.register_forward_pre_hook(self._capture)
            self._watch = bool(self._relu_layers)

    def _check_initial_weights(self):
        """NaN or infinite weights before the first step (a bad file or set_weights): name them now."""
        layers = [layer for layer in self.model._flatten_layers(include_self=True) if layer._own_variables]
        variables = [v.detach() for layer in layers for v in layer._own_variables if v.is_floating_point()]
        if not variables:
            return
        device = variables[0].device
        finite = torch.stack([torch.isfinite(n).to(device) for n in torch._foreach_norm(variables)]).tolist()
        bad, position = [], 0
        for layer, name in zip(layers, _unique_names(layers)):
            count = sum(1 for v in layer._own_variables if v.is_floating_point())
            if not all(finite[position:position + count]):
                bad.append(name)
            position += count
        if bad:
            self._warn("nan", 0, f"NaN or infinite values in the weights of {_quoted(bad)} before training "
                                 f"started, so layer '{bad[0]}' spoils every output and gradient from the "
                                 "first step. Check the weights that were loaded or set.", bad[:1])
            self._flush()

    def _capture(self, module, args):
        """Keep the first ``sample_size`` training inputs (a hook on the model's first steps)."""
        if not args:
            return
        inputs = nest.map_structure(lambda t: t.detach() if isinstance(t, torch.Tensor) else t, args[0])
        rows = _rows(inputs)
        if not rows:
            return
        self._probe_parts.append(inputs)
        self._probe_count += rows
        if self._probe_count >= self.sample_size:
            self._finish_capture()

    def _finish_capture(self):
        if self._capture_handle is not None:
            self._capture_handle.remove()
            self._capture_handle = None
        # Kept as the training batches they were, so that probing runs the kernels (and threads) that
        # training runs: one large batch would wake up every thread of a many-core CPU each epoch.
        kept, total = [], 0
        for part in self._probe_parts:
            rows = _rows(part)
            if total + rows > self.sample_size:
                part, rows = _take(part, slice(0, self.sample_size - total)), self.sample_size - total
            kept.append(part)
            total += rows
            if total >= self.sample_size:
                break
        self._probe_parts = []
        if kept:
            self._probe = kept

    def on_train_batch_end(self, batch, logs=None):
        # The loss of the untrained model: the first batch's (its forward ran before any update).
        if self.initial_loss is None and logs is not None:
            value = _host_float(logs.get("loss"))
            self.initial_loss = value if value is not None else math.nan

    def on_epoch_begin(self, epoch, logs=None):
        self._flush()
        if self._watch:
            self._start_watching()

    def on_test_begin(self, logs=None):
        # Validation inputs are not training inputs: stop counting before they run.
        self._stop_watching()

    def on_train_end(self, logs=None):
        if self._capture_handle is not None:
            self._finish_capture()
        self._stop_watching()
        self._flush()

    # ------------------------------------------------------------------ dead units, counted in training

    def _start_watching(self):
        """Hook the ReLU layers for the epoch's first ``sample_size`` training samples (no extra forward)."""
        self._stop_watching()
        self._fired = [None] * len(self._relu_layers)
        self._watched = 0
        self._watch_handles = [layer.register_forward_hook(self._record_fired) for layer in self._relu_layers]
        self._watch_handles.append(self.model.register_forward_hook(self._count_watched))

    def _stop_watching(self):
        for handle in self._watch_handles:
            handle.remove()
        self._watch_handles = []

    def _count_watched(self, model, args, output):
        if args:
            self._watched += _rows(args[0])
        if self._watched >= self.sample_size:
            self._stop_watching()

    def _record_fired(self, layer, inputs, output):
        """Keep, per unit of ``layer``, the largest output seen (two device ops per batch, no sync): a
        unit whose largest output is not positive never fired."""
        if not isinstance(output, torch.Tensor) or output.ndim == 0:
            return
        channel = 1 if getattr(layer, "data_format", None) == "channels_first" and output.ndim > 2 \
            else output.ndim - 1
        largest = output.detach().amax(dim=tuple(d for d in range(output.ndim) if d != channel))
        i = self._relu_position[id(layer)]
        previous = self._fired[i]
        # torch.maximum keeps the running maximum over several batches (and over a layer used twice).
        self._fired[i] = largest if previous is None else torch.maximum(previous, largest)

    # ------------------------------------------------------------------ measuring

    def _gradient_stats(self):
        """The L2 norm of every weight, then of every gradient present, as one device tensor (one
        foreach call); and the indices of the weights that have a gradient."""
        params = self._params
        if not params:
            return None, []
        present = [i for i, p in enumerate(params) if p.grad is not None]
        norms = torch._foreach_norm([p.detach() for p in params] + [params[i].grad for i in present])
        if not self._uniform:
            device = params[0].device
            norms = [n.to(device, torch.float32) for n in norms]
        return torch.stack(norms), present

    def _per_layer(self, weight_norms, grad_norms, present):
        """Per layer with trainable weights: non-finite weights?, squared gradient norm, gradient missing?"""
        count = len(self._grad_layers)
        bad = [False] * count
        square = [0.0] * count
        missing = [False] * count
        for owner, norm in zip(self._owners, weight_norms):
            if not math.isfinite(norm):
                bad[owner] = True
        have = set(present)
        for i, owner in enumerate(self._owners):
            if i not in have:
                missing[owner] = True
        for i, norm in zip(present, grad_norms):
            square[self._owners[i]] += norm * norm
        return bad, square, missing

    def _nonzero_counts(self):
        """Non-zero gradient entries per layer (read only when a layer's gradients look extreme)."""
        params = self._params
        present = [i for i, p in enumerate(params) if p.grad is not None]
        counts = torch.stack([torch.count_nonzero(params[i].grad).to(params[0].device) for i in present]).tolist()
        per_layer = [0] * len(self._grad_layers)
        for i, value in zip(present, counts):
            per_layer[self._owners[i]] += value
        return per_layer

    def _probe_forward(self, layers, measure):
        """Run the probe sample forward (no gradients, inference mode) with ``measure`` hooked on ``layers``."""
        handles = [layer.register_forward_hook(measure) for layer in layers]
        try:
            with torch.no_grad():
                for batch in self._probe:
                    self.model(batch, training=False)
        finally:
            for handle in handles:
                handle.remove()

    def _dead_counts(self):
        """Units that fired, per ReLU layer, as a device tensor (``_relu_units`` has the number of units):
        counted during the epoch's first training steps, or on ``sample_inputs`` when given."""
        if not self._relu_layers:
            return None
        if not self._watch:
            if self._probe is None:
                return None
            self._fired = [None] * len(self._relu_layers)
            self._probe_forward(self._relu_layers, self._record_fired)
        fired = self._fired
        if not fired or any(a is None for a in fired):
            return None
        self._relu_units = [a.numel() for a in fired]
        return torch.stack([(a > 0).sum() for a in fired])

    def _first_non_finite_layer(self, weights=None):
        """The first layer (in execution order) whose output on the probe sample is NaN or infinite.

        With ``weights`` (a list matching ``model.weights``) the probe runs with those weights swapped
        in, and the model's own are put back afterwards.
        """
        if self._probe is None:
            return None
        found = []

        def check(layer, inputs, output):
            if found:
                return
            for leaf in nest.flatten(output):
                if isinstance(leaf, torch.Tensor) and leaf.is_floating_point() and not bool(torch.isfinite(leaf).all()):
                    found.append(layer)
                    return

        layers = list(self.model._flatten_layers(include_self=False))
        if weights is None:
            self._probe_forward(layers, check)
        else:
            variables = self._state_variables
            with torch.no_grad():
                current = [v.detach().clone() for v in variables]
                torch._foreach_copy_([v.detach() for v in variables], weights)
            try:
                self._probe_forward(layers, check)
            finally:
                with torch.no_grad():
                    torch._foreach_copy_([v.detach() for v in variables], current)
        return found[0].name if found else None

    # ------------------------------------------------------------------ the epoch's checks

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._capture_handle is not None:  # fewer than sample_size samples in the whole epoch
            self._finish_capture()
        self._stop_watching()
        norms, present = self._gradient_stats()
        fired = self._dead_counts()
        # One synchronisation with the device for everything measured this epoch.
        pieces = [t for t in (norms, fired) if t is not None]
        if len(pieces) == 2 and (pieces[1].device != pieces[0].device or pieces[1].dtype != pieces[0].dtype):
            pieces[1] = pieces[1].to(pieces[0].device, pieces[0].dtype)
        values = torch.cat(pieces).tolist() if pieces else []

        count = len(self._grad_layers)
        bad_weights, square, missing = [False] * count, None, None
        if norms is not None:
            weights = len(self._params)
            bad_weights, square, missing = self._per_layer(values[:weights], values[weights:weights + len(present)],
                                                           present)
            if not present:
                square = None
            values = values[weights + len(present):]
        dead_fractions = None
        if fired is not None:
            dead_fractions = [(units - active) / units if units else math.nan
                              for units, active in zip(self._relu_units, values)]

        grad_norms = [math.nan] * count
        if square is not None:
            grad_norms = [math.sqrt(s) if not m else math.nan for s, m in zip(square, missing)]
        for name, norm in zip(self._grad_names, grad_norms):
            self.measurements[f"grad_norm/{name}"].append(norm)
        for i, name in enumerate(self._relu_names):
            self.measurements[f"dead_relu_fraction/{name}"].append(
                dead_fractions[i] if dead_fractions is not None else math.nan)

        loss = _host_float(logs.get("loss"))
        val_loss = _host_float(logs.get("val_loss"))
        self.epochs.append(epoch)
        self.losses.append(loss if loss is not None else math.nan)
        self.val_losses.append(val_loss)

        self._check_non_finite(epoch, loss, bad_weights, square, missing)
        self._check_loss(epoch)
        if dead_fractions is not None:
            self._check_dead(epoch, dead_fractions)
        if square is not None:
            self._check_gradients(epoch, square, missing)
        self._check_overfitting(epoch)

    def _warn(self, kind, epoch, message, layers=()):
        if kind in self._shown:
            return
        self._shown.add(kind)
        warning = DiagnosticWarning(kind, epoch, message, layers)
        self.warnings.append(warning)
        if self.verbose:
            self._pending.append(str(warning))

    def _flush(self):
        pending, self._pending = self._pending, []
        for text in pending:
            if self.print_fn is not None:
                self.print_fn(text)
            else:
                print(text, flush=True)

    def _check_non_finite(self, epoch, loss, bad_weights, square, missing):
        bad_weight_layers = [n for n, b in zip(self._grad_names, bad_weights) if b]
        bad_grad_layers = []
        if square is not None:
            bad_grad_layers = [n for n, s, m in zip(self._grad_names, square, missing) if not m and not math.isfinite(s)]
        loss_bad = loss is not None and not math.isfinite(loss)
        if not (bad_weight_layers or bad_grad_layers or loss_bad):
            self._keep_finite_weights(epoch)
            return
        if "nan" in self._shown:
            return
        where = []
        if bad_weight_layers:
            where.append(f"the weights of {_quoted(bad_weight_layers)}")
        if bad_grad_layers:
            where.append(f"the gradients of {_quoted(bad_grad_layers)}")
        if loss_bad:
            where.append("the loss")
        when = "from before training" if self._finite_epoch is None \
            else f"from the end of epoch {self._finite_epoch + 1}"
        source = self._first_non_finite_layer(self._finite_weights)
        current = self._first_non_finite_layer()
        if source is not None:
            origin = (f"Layer '{source}' is where they come from: it outputs them from finite inputs even with "
                      f"the weights {when}, which were all finite.")
            layers = [source]
        elif current is not None and self._finite_weights is not None:
            origin = (f"With the weights {when} (all finite) every layer's output is finite, so the updates of "
                      f"epoch {epoch + 1} made them non-finite; now layer '{current}' is the first to output "
                      "them.")
            layers = [current]
        elif current is not None:
            origin = f"Layer '{current}' is the first to output them (on a sample of the training inputs)."
            layers = [current]
        elif bad_grad_layers:
            origin = (f"The forward pass is finite; backpropagation first produces them in layer "
                      f"'{bad_grad_layers[-1]}'.")
            layers = [bad_grad_layers[-1]]
        elif bad_weight_layers:
            origin = f"Layer '{bad_weight_layers[0]}' is the first layer with such weights."
            layers = [bad_weight_layers[0]]
        else:
            origin = "Every layer's output is finite on the sample, so the loss itself overflowed."
            layers = []
        self._warn("nan", epoch, f"NaN or infinite values in {' and '.join(where)}. {origin}", layers)

    def _keep_finite_weights(self, epoch):
        """Copy the (finite) weights, so that a later NaN can be traced with the last finite ones."""
        variables = self._state_variables
        if not variables:
            return
        with torch.no_grad():
            if self._finite_weights is None:
                self._finite_weights = [v.detach().clone() for v in variables]
            else:
                torch._foreach_copy_(self._finite_weights, [v.detach() for v in variables])
        self._finite_epoch = epoch

    def _check_loss(self, epoch):
        loss = self.losses[-1]
        initial = self.initial_loss if self.initial_loss is not None and math.isfinite(self.initial_loss) else None
        if not math.isfinite(loss):
            self._warn("diverging", epoch,
                       f"the training loss is {loss} at epoch {epoch + 1}: training diverged, which usually "
                       "means the learning rate is too high.")
            return
        earlier = [value for value in self.losses[:-1] if math.isfinite(value)]
        lowest = min(earlier + ([initial] if initial is not None else []), default=None)
        if lowest is not None and loss > self.divergence_factor * lowest and (initial is None or loss > initial):
            start = f" (it was {_fmt(initial)} before training)" if initial is not None else ""
            self._warn("diverging", epoch,
                       f"the training loss is diverging: {_fmt(loss)} at epoch {epoch + 1}, more than "
                       f"{_fmt(self.divergence_factor)} times its lowest value {_fmt(lowest)}{start}. The "
                       "learning rate is probably too high.")
            return
        if len(self.losses) >= self.stall_epochs:
            first = self.losses[0]
            best = min(earlier + [loss])
            # A model that converged within its first epoch has a first-epoch loss far below the first
            # batch's; a stuck one has about the same (the first batch is noisy, hence the wide margin).
            stuck_from_start = initial is None or first >= 0.5 * initial
            if first > 0 and math.isfinite(first) and stuck_from_start \
                    and best > (1.0 - self.stall_min_decrease) * first:
                decrease = 100.0 * (first - best) / first
                self._warn("not_decreasing", epoch,
                           f"the training loss has hardly gone down in {len(self.losses)} epochs: from "
                           f"{_fmt(first)} at the first epoch to at best {_fmt(best)} ({decrease:.1f}% "
                           "lower). The learning rate may be too low (or the inputs say little about "
                           "the targets).")

    def _check_gradients(self, epoch, square, missing):
        measured = [i for i in range(len(square)) if not missing[i] and math.isfinite(square[i])]
        if len(measured) < 1:
            return
        sizes = self._layer_sizes
        total = math.sqrt(sum(square[i] for i in measured))
        if self._first_total_norm is None:
            self._first_total_norm = total

        def flagged(rms):
            reference = rms[measured[-1]]
            if reference <= 0:
                return [], [], reference
            low = [i for i in measured[:-1] if rms[i] < self.vanishing_ratio * reference]
            high = [i for i in measured[:-1] if rms[i] > self.exploding_ratio * reference]
            return low, high, reference

        # Root mean square over all entries first (no device work); a layer that looks extreme is judged
        # again over its non-zero entries only, so that rows a batch does not touch (an Embedding's) or
        # units that are dead do not count as vanishing.
        rms = {i: math.sqrt(square[i] / sizes[i]) if sizes[i] else 0.0 for i in measured}
        vanishing, exploding, reference = flagged(rms)
        if vanishing or exploding:
            nonzero = self._nonzero_counts()
            rms = {i: math.sqrt(square[i] / nonzero[i]) if nonzero[i] else 0.0 for i in measured}
            vanishing, exploding, reference = flagged(rms)
        names = self._grad_names
        last = measured[-1]
        if reference > 0:
            if vanishing:
                detail = ", ".join(f"'{names[i]}' ({rms[i] / reference:.1e} of it)" for i in vanishing)
                cause = ""
                if "dead_relu" in self._shown and any(rms[i] == 0.0 for i in vanishing):
                    cause = " Dead ReLU units (reported above) pass no gradient back, which may be why."
                self._warn("vanishing_gradients", epoch,
                           f"vanishing gradients. The gradients reaching {detail} are over "
                           f"{_fmt(1 / self.vanishing_ratio)} times smaller than those of the last layer "
                           f"'{names[last]}', so these layers hardly learn.{cause}",
                           [names[i] for i in vanishing])
            if exploding:
                detail = ", ".join(f"'{names[i]}' ({rms[i] / reference:.1e} times)" for i in exploding)
                self._warn("exploding_gradients", epoch,
                           f"exploding gradients. The gradients of {detail} are over "
                           f"{_fmt(self.exploding_ratio)} times larger than those of the last layer "
                           f"'{names[last]}'.", [names[i] for i in exploding])
        elif any(rms[i] == 0.0 for i in measured):
            zero = [names[i] for i in measured if rms[i] == 0.0]
            self._warn("vanishing_gradients", epoch,
                       f"vanishing gradients. The gradients of {_quoted(zero)} are exactly zero, so these "
                       "layers do not learn at all.", zero)
        first = self._first_total_norm
        if first and first > 0 and total > self.exploding_ratio * first:
            self._warn("exploding_gradients", epoch,
                       f"exploding gradients. The total gradient norm grew from {_fmt(first)} at the first "
                       f"epoch to {_fmt(total)}.", [])

    def _check_dead(self, epoch, fractions):
        dead = [(name, f) for name, f in zip(self._relu_names, fractions)
                if math.isfinite(f) and f >= self.dead_relu_threshold]
        if not dead:
            return
        size = self._probe_size()
        detail = ", ".join(f"'{name}' {100 * f:.0f}%" for name, f in dead)
        self._warn("dead_relu", epoch,
                   f"dead ReLU units. These layers have units that output zero for every one of {size} "
                   f"training samples: {detail}. Dead units never learn again.",
                   [name for name, _ in dead])

    def _probe_size(self):
        """How many samples the probe holds."""
        return sum(_rows(batch) for batch in self._probe or [])

    def _check_overfitting(self, epoch):
        if self.overfitting_epoch is not None:
            return
        points = [(i, e, v) for i, (e, v) in enumerate(zip(self.epochs, self.val_losses))
                  if v is not None and math.isfinite(v)]
        if len(points) <= self.overfitting_patience:
            return
        best_position = min(range(len(points)), key=lambda k: points[k][2])
        since = len(points) - 1 - best_position
        if since < self.overfitting_patience:
            return
        best_index, best_epoch, best_val = points[best_position]
        now_index, _, now_val = points[-1]
        train_then, train_now = self.losses[best_index], self.losses[now_index]
        if not (math.isfinite(train_then) and math.isfinite(train_now) and train_now < train_then):
            return
        # A sustained rise, not one noisy epoch: each of the last `patience` values is well above the lowest.
        threshold = best_val + self.overfitting_min_rise * abs(best_val)
        if any(v <= threshold for _, _, v in points[-self.overfitting_patience:]):
            return
        onset = points[best_position + 1][1]
        self.overfitting_epoch = onset
        self._warn("overfitting", epoch,
                   f"overfitting. The validation loss has risen since epoch {onset + 1} (lowest "
                   f"{_fmt(best_val)} at epoch {best_epoch + 1}, now {_fmt(now_val)}) while the training "
                   f"loss kept falling ({_fmt(train_then)} to {_fmt(train_now)}).")

    # ------------------------------------------------------------------ report and plot

    def report(self):
        """Everything found, as text: the warnings, then the last measured values per layer.

        Example:

        >>> print(history.diagnostics.report())
        Diagnostics report (20 epochs)
        ...
        """
        lines = [f"Diagnostics report ({len(self.epochs)} epoch{'s' if len(self.epochs) != 1 else ''})"]
        if self.warnings:
            lines.append("Problems found:")
            lines.extend(f"- {warning}" for warning in self.warnings)
        else:
            lines.append("No problems found.")
        if self.overfitting_epoch is not None:
            lines.append(f"Overfitting starts at epoch {self.overfitting_epoch + 1}.")
        lines.extend(self._notes)
        rows = []
        for name in self._all_layer_names():
            norm = self._last(f"grad_norm/{name}")
            dead = self._last(f"dead_relu_fraction/{name}")
            rows.append((name, "-" if norm is None else f"{norm:.3g}",
                         "-" if dead is None else f"{100 * dead:.0f}%"))
        if rows:
            width = max(len("layer"), *(len(r[0]) for r in rows))
            lines.append("Last epoch, per layer:")
            lines.append(f"  {'layer':<{width}}  {'gradient norm':>13}  {'dead ReLU units':>15}")
            lines.extend(f"  {n:<{width}}  {g:>13}  {d:>15}" for n, g, d in rows)
        return "\n".join(lines)

    def _all_layer_names(self):
        names = []
        for key in self.measurements:
            name = key.split("/", 1)[1]
            if name not in names:
                names.append(name)
        return names

    def _last(self, key):
        values = self.measurements.get(key)
        if not values or not math.isfinite(values[-1]):
            return None
        return values[-1]

    def plot(self, to_file=None, dpi=100):
        """A figure of the diagnostics: losses (with the overfitting onset), gradient norm per layer per
        epoch, and the fraction of dead ReLU units per layer per epoch.

        Args:
            to_file: if given, the figure is also saved there (PNG, SVG, PDF: by extension).
            dpi: resolution of the saved file.

        Returns:
            The matplotlib ``Figure``.

        Example:

        >>> figure = history.diagnostics.plot(to_file="diagnostics.png")
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError(
                "Diagnostics.plot() needs matplotlib, which is not installed. Install it with "
                "`pip install matplotlib` (or `pip install 'layerwise[plot]'`)."
            ) from None
        epochs = [e + 1 for e in self.epochs]
        figure, (loss_axis, grad_axis, dead_axis) = plt.subplots(1, 3, figsize=(15, 4.2))
        figure.suptitle("Diagnostics report")

        loss_axis.set_title("Loss")
        loss_axis.plot(epochs, self.losses, marker=".", label="training loss")
        if any(v is not None for v in self.val_losses):
            loss_axis.plot(epochs, [math.nan if v is None else v for v in self.val_losses], marker=".",
                           label="validation loss")
        if self.overfitting_epoch is not None:
            loss_axis.axvline(self.overfitting_epoch + 1, color="tab:red", linestyle="--",
                              label=f"overfitting starts (epoch {self.overfitting_epoch + 1})")
        finite = [v for v in self.losses if math.isfinite(v) and v > 0]
        if finite and max(finite) / min(finite) > 1e3:
            loss_axis.set_yscale("log")
        loss_axis.set_xlabel("epoch")
        loss_axis.set_ylabel("loss")
        loss_axis.legend()

        grad_axis.set_title("Gradient norm per layer")
        for name in self._grad_names:
            grad_axis.plot(epochs, self.measurements[f"grad_norm/{name}"], marker=".", label=name)
        grad_axis.set_yscale("log")
        grad_axis.set_xlabel("epoch")
        grad_axis.set_ylabel("L2 norm of the gradients")
        if self._grad_names:
            grad_axis.legend(fontsize="small")

        dead_axis.set_title("Dead ReLU units")
        for name in self._relu_names:
            dead_axis.plot(epochs, self.measurements[f"dead_relu_fraction/{name}"], marker=".", label=name)
        dead_axis.axhline(self.dead_relu_threshold, color="gray", linestyle=":", label="reported above")
        dead_axis.set_ylim(-0.02, 1.02)
        dead_axis.set_xlabel("epoch")
        dead_axis.set_ylabel("fraction of units never active")
        if not self._relu_names:
            dead_axis.text(0.5, 0.5, "no ReLU layers", ha="center", va="center", transform=dead_axis.transAxes)
        dead_axis.legend(fontsize="small")

        figure.tight_layout()
        if to_file is not None:
            figure.savefig(to_file, dpi=dpi)
        return figure
