"""``compile``, ``fit``, ``evaluate``, ``predict``: the training loop.

Data flow (DESIGN.md): the data are validated, converted and put on the
device once (``engine/data.py``); each step runs the model, the loss,
``backward`` and one fused optimizer update; metrics accumulate on the
device. Host values are read only at epoch ends and when a callback (the
progress bar included) actually reads batch logs.
"""

import itertools
import warnings

import numpy as np
import torch

from layerwise import losses as losses_module
from layerwise import metrics as metrics_module
from layerwise import optimizers as optimizers_module
from layerwise.callbacks.callback import CallbackList, LazyLogs
from layerwise.callbacks.history import History
from layerwise.callbacks.progbar import ProgbarLogger
from layerwise.engine import host_memory, nest
from layerwise.engine.compile_utils import CompiledLoss, CompiledMetrics
from layerwise.engine.data import ArrayData, IterableData, is_iterable_source, make_data, to_tensors, unpack_batch


def _resolve_verbose(verbose):
    return 1 if verbose == "auto" else int(verbose)


def _batch_size_of(x):
    return next(leaf for leaf in nest.flatten(x) if leaf is not None).shape[0]


def _to_host(structure):
    return nest.map_structure(lambda t: t.detach().cpu().numpy(), structure)


class Trainer:
    """The training half of ``Model`` (mixed in): compile, fit, evaluate, predict."""

    def _init_trainer(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._compile_args = None
        self._compiled_loss = None
        self._compiled_metrics = None
        self._loss_tracker = None
        self._output_loss_trackers = []
        self._train_step_fn = None

    # ------------------------------------------------------------------ compile

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1, jit_compile=False,
                auto_scale_loss=True):
        """Configure the model for training.

        Args:
            optimizer: name (``'adam'``, ``'sgd'``, ...) or optimizer instance.
            loss: name, function or ``Loss`` instance; a list or a dict (by
                output name) for models with several outputs.
            loss_weights: a weight per output (list or dict) for the total loss.
            metrics: names, functions or ``Metric`` instances (list, or a dict
                by output name). ``'accuracy'``/``'acc'`` becomes binary,
                categorical or sparse categorical accuracy depending on the
                loss and the output shape, as in Keras.
            weighted_metrics: metrics that also receive ``sample_weight``.
            run_eagerly: accepted for compatibility (layerwise always runs eagerly
                unless ``jit_compile`` is set).
            steps_per_execution: batch-level callbacks run every this many steps.
            jit_compile: ``True`` compiles the training step with ``torch.compile``;
                the default runs it eagerly.

        Example:

        >>> model.compile(optimizer="adam", loss="mean_squared_error", metrics=["mae"])
        """
        self.optimizer = optimizers_module.get(optimizer)
        if self.dtype_policy.name == "mixed_float16" and \
                not isinstance(self.optimizer, optimizers_module.LossScaleOptimizer):
            # As Keras: float16 gradients underflow without loss scaling.
            self.optimizer = optimizers_module.LossScaleOptimizer(self.optimizer, name="loss_scale_optimizer")
        self.loss = loss
        if isinstance(steps_per_execution, bool) or int(steps_per_execution) < 1:
            raise ValueError(f"steps_per_execution must be a positive integer, got {steps_per_execution!r}.")
        self._compile_args = {
            "loss": loss, "loss_weights": loss_weights, "metrics": metrics,
            "weighted_metrics": weighted_metrics,
        }
        self.run_eagerly = run_eagerly
        self.jit_compile = bool(jit_compile) and jit_compile != "auto"
        self.steps_per_execution = int(steps_per_execution)
        self._compiled_loss = None
        self._compiled_metrics = None
        self._train_step_fn = None
        self._loss_tracker = metrics_module.Mean(name="loss")
        self.compiled = True

    def _require_compiled(self, method):
        if not self.compiled:
            raise RuntimeError(
                f"You must call compile() before {method}(), e.g. "
                "model.compile(optimizer='adam', loss='mse')."
            )

    # ------------------------------------------------------------------ set-up shared by the loops

    def _output_names(self):
        names = getattr(self, "output_names", None)
        if names:
            return list(names)
        return None

    def _prepare(self, sample_x, y_sample=None):
        """Build the model and the compiled loss/metrics from a few samples (once)."""
        if self._compiled_loss is not None:
            return
        with torch.no_grad():
            probe = self(sample_x, training=False)
        outputs = nest.flatten(probe)
        names = self._output_names() or (
            ["output"] if len(outputs) == 1 else [f"output_{i}" for i in range(len(outputs))]
        )
        output_shapes = [(None,) + tuple(o.shape[1:]) for o in outputs]
        self._output_shapes = output_shapes
        args = self._compile_args
        if args["loss"] is None:
            raise ValueError("compile() was called without a loss; fit() and evaluate() need one.")
        self._compiled_loss = CompiledLoss(args["loss"], args["loss_weights"], names)
        self._compiled_metrics = CompiledMetrics(args["metrics"], args["weighted_metrics"],
                                                 self._compiled_loss, output_shapes)
        self._output_loss_trackers = []
        if self._compiled_loss.multi_output:
            self._output_loss_trackers = [
                metrics_module.Mean(name=f"{names[i]}_loss") for i in self._compiled_loss.active
            ]

    def _check_targets(self, y):
        """Refuse targets that do not fit the loss or the output, before the first step."""
        if y is None:
            return
        compiled = self._compiled_loss
        trues = compiled._flat(y, "y") if compiled.multi_output else [y]
        for index in compiled.active:
            target = trues[index]
            if target is None:
                continue
            array = target.detach().cpu().numpy() if isinstance(target, torch.Tensor) else np.asarray(target)
            losses_module.check_targets(compiled.losses[index], array, self._output_shapes[index])

    def _regularization_sources(self):
        """The weights with regularizers and the layers that may add losses, found once."""
        layers = self._flatten_layers()
        regularized = [(v, v.regularizer) for layer in layers for v in layer._own_variables
                       if v.regularizer is not None]
        return layers, regularized

    def _metric_objects(self):
        trackers = [self._loss_tracker] + self._output_loss_trackers
        return trackers + (self._compiled_metrics.metrics if self._compiled_metrics else [])

    @property
    def metrics(self):
        """The metric objects: the loss tracker first, then the compiled metrics."""
        return self._metric_objects() if self._loss_tracker is not None else []

    @property
    def metrics_names(self):
        """Names of what ``evaluate`` returns, in order (``['loss', 'accuracy']``), as Keras 2 lists them."""
        return [metric.name for metric in self.metrics]

    def reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    def _logs(self, prefix=""):
        """The current metric values as Python floats (one device sync)."""
        values = {}
        for metric in self._metric_objects():
            result = metric.result()
            values[prefix + metric.name] = result
        names = sorted(values)
        host = torch.stack([torch.as_tensor(values[n], dtype=torch.float32).reshape(()) for n in names]).tolist() \
            if names else []
        return dict(zip(names, host))

    # ------------------------------------------------------------------ one step

    def _build_train_step(self):
        layers, regularized = self._regularization_sources()
        params = self.trainable_weights
        self.optimizer.build(params)
        compiled_loss, compiled_metrics = self._compiled_loss, self._compiled_metrics
        loss_tracker, output_trackers = self._loss_tracker, self._output_loss_trackers
        optimizer = self.optimizer
        model = self

        def forward(x, y, sample_weight):
            y_pred = model(x, training=True)
            loss, parts = compiled_loss(y, y_pred, sample_weight)
            extra = [loss for layer in layers for loss in layer._activity_losses]
            extra += [regularizer(variable) for variable, regularizer in regularized]
            return (loss + sum(extra) if extra else loss), parts, y_pred

        if self.jit_compile:
            # Forward and backward are compiled (AOTAutograd); the fused optimizer update stays eager.
            forward = torch.compile(forward)

        scales_loss = isinstance(optimizer, optimizers_module.LossScaleOptimizer) or \
            optimizer.loss_scale_factor is not None

        def step(x, y, sample_weight):
            total, parts, y_pred = forward(x, y, sample_weight)
            for param in params:
                param.grad = None
            (optimizer.scale_loss(total) if scales_loss else total).backward()
            optimizer.apply([param.grad for param in params], params)
            with torch.no_grad():
                batch_size = _batch_size_of(x)
                loss_tracker.add_batch_mean(total, batch_size)
                if parts:
                    for tracker, part in zip(output_trackers, parts):
                        tracker.add_batch_mean(part, batch_size)
                compiled_metrics.update(y, nest.map_structure(torch.Tensor.detach, y_pred), sample_weight)

        return step

    def train_step(self, data):
        """One training step on ``data = (x, y, sample_weight)``; override to customise training."""
        if self._train_step_fn is None:
            self._train_step_fn = self._build_train_step()
        self._train_step_fn(*data)

    def test_step(self, data):
        """One evaluation step on ``data = (x, y, sample_weight)``: updates the metrics."""
        x, y, sample_weight = data
        y_pred = self(x, training=False)
        loss, parts = self._compiled_loss(y, y_pred, sample_weight)
        total = loss + sum(self.losses) if self.losses else loss
        batch_size = _batch_size_of(x)
        self._loss_tracker.add_batch_mean(total, batch_size)
        if parts:
            for tracker, part in zip(self._output_loss_trackers, parts):
                tracker.add_batch_mean(part, batch_size)
        self._compiled_metrics.update(y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's outputs for one batch ``data = (x, None, None)``."""
        return self(data[0], training=False)

    # ------------------------------------------------------------------ fit

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, diagnose=False):
        """Train the model for a number of epochs; returns a ``History``.

        Args:
            x, y: inputs and targets: numpy arrays, pandas DataFrames/Series,
                torch tensors, lists or dicts of them (several inputs); or ``x``
                alone as a generator, ``DataLoader`` or iterable yielding
                ``(x, y)`` or ``(x, y, sample_weight)`` batches.
            batch_size: samples per step (default 32) for array data.
            epochs: the epoch to stop at (counted from 0, with ``initial_epoch``).
            verbose: 0 silent, 1 progress bar, 2 one line per epoch (``'auto'`` is 1).
            callbacks: list of ``Callback`` objects.
            validation_split: fraction of the array data held out for validation;
                the *last* samples, taken before shuffling, as Keras does.
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, w_val)`` or an
                iterable of batches; overrides ``validation_split``.
            shuffle: shuffle the samples before each epoch (``'batch'``: shuffle
                the order of batches only).
            class_weight: ``{class_index: weight}`` to weight the loss per class.
            sample_weight: per-sample weights for the loss (and weighted metrics).
            initial_epoch: epoch to start from (to resume training).
            steps_per_epoch: steps per epoch (required for endless generators).
            validation_steps: steps of validation data per validation run.
            validation_batch_size: batch size for validation (default ``batch_size``).
            validation_freq: validate every this many epochs.
            diagnose: layerwise's addition: ``True`` adds a ``callbacks.Diagnostics()``, which
                reports dead ReLUs, vanishing/exploding gradients, NaN, a diverging or stuck
                loss and overfitting in plain words (see its documentation).

        Example:

        >>> history = model.fit(x_train, y_train, batch_size=32, epochs=10,
        ...                     validation_split=0.2, callbacks=[EarlyStopping(patience=2)])
        >>> history.history["val_loss"][-1]
        """
        self._require_compiled("fit")
        if diagnose:
            # Imported here: the engine does not import concrete callbacks at module level.
            from layerwise.callbacks.diagnostics import Diagnostics

            callbacks = list(callbacks or [])
            if not any(isinstance(c, Diagnostics) for c in callbacks):
                callbacks.append(Diagnostics())
        verbose = _resolve_verbose(verbose)
        # class weights apply to the training data only, after any validation split (as in Keras)
        data = make_data(x, y, sample_weight, class_weight if is_iterable_source(x) else None)
        if isinstance(data, IterableData) and batch_size is not None:
            warnings.warn("batch_size is ignored when x yields batches itself.", stacklevel=2)
        batch_size = batch_size or 32
        # validation_data, when given, takes precedence over validation_split (as in Keras).
        if validation_data is None and validation_split:
            if isinstance(data, IterableData):
                raise ValueError(
                    "validation_split only works with array data (numpy, pandas, torch tensors); with a "
                    "generator or DataLoader, pass validation_data instead."
                )
            data, validation = data.split(validation_split)
        elif validation_data is not None:
            validation = self._validation_data(validation_data)
        else:
            validation = None
        if class_weight and isinstance(data, ArrayData):
            data.weight_classes(class_weight)
        self._prepare(self._first_inputs(data, batch_size))
        if isinstance(data, ArrayData):
            self._check_targets(data.y)
        steps = steps_per_epoch or data.steps(batch_size)
        history = History()
        callback_list = self._callback_list(callbacks, history, verbose,
                                            {"verbose": verbose, "epochs": epochs, "steps": steps})
        self.stop_training = False
        self.history = history
        if self._train_step_fn is None and type(self).train_step is Trainer.train_step:
            self._train_step_fn = self._build_train_step()
        run_step = self._train_step_fn if type(self).train_step is Trainer.train_step else self.train_step
        batch_end = callback_list.wants("on_train_batch_end")
        batch_begin = callback_list.wants("on_train_batch_begin")
        every = self.steps_per_execution

        callback_list.call("on_train_begin", {})
        initial_epoch, skip_steps = self._take_resume_point(initial_epoch)
        epoch_logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callback_list.call("on_epoch_begin", epoch, {})
            seen = 0
            batches = enumerate(self._epoch_batches(data, batch_size, shuffle, steps_per_epoch))
            if skip_steps:
                # Resuming mid-epoch: the batches trained before the interruption are drawn (in the
                # same order, from the restored random state) but not trained on again.
                seen = sum(1 for _ in itertools.islice(batches, skip_steps))
                skip_steps = 0
            for step, batch in batches:
                if batch_begin and step % every == 0:
                    callback_list.call("on_train_batch_begin", step, {})
                if run_step is self._train_step_fn:
                    run_step(*batch)
                else:
                    run_step(batch)
                seen += 1
                if batch_end and (step + 1) % every == 0:
                    callback_list.call("on_train_batch_end", step, LazyLogs(self._logs))
                if self.stop_training:
                    break
            if seen == 0:
                raise ValueError(
                    f"Epoch {epoch + 1} got no data: the generator is exhausted. Give steps_per_epoch "
                    "and make the generator loop forever, or pass a re-iterable such as a DataLoader."
                )
            epoch_logs = self._logs()
            if validation is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_loop(validation, validation_batch_size or batch_size,
                                               validation_steps, callback_list)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callback_list.call("on_epoch_end", epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.call("on_train_end", epoch_logs)
        return history

    def _take_resume_point(self, initial_epoch):
        """``(epoch, step)`` where ``fit`` starts: a callback's choice, else ``initial_epoch``.

        A callback may set ``model._initial_epoch`` (Keras's attribute) and
        ``model._initial_step`` (batches of that epoch already trained) in
        ``on_train_begin``: ``BackupAndRestore`` does, to resume a killed run.
        Both are cleared here, so they move the start of this ``fit`` only.
        """
        epoch, step = getattr(self, "_initial_epoch", None), getattr(self, "_initial_step", None)
        self._initial_epoch = self._initial_step = None
        return (initial_epoch if epoch is None else int(epoch)), int(step or 0)

    def _validation_data(self, validation_data):
        if isinstance(validation_data, (tuple, list)):
            if len(validation_data) not in (2, 3):
                raise ValueError(
                    "validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight_val); "
                    f"got a sequence of {len(validation_data)} items."
                )
            return ArrayData(*validation_data)
        return make_data(validation_data)

    def _first_inputs(self, data, batch_size):
        """The first batch's inputs (to build the model and read its output shapes).

        A whole batch rather than fewer samples, so that an input the model
        refuses is reported with the shape of the batches the user sends, as
        Keras reports it.
        """
        if isinstance(data, ArrayData):
            return nest.map_structure(lambda t: None if t is None else t[:batch_size], data.x)
        # Peek at an iterable without losing the batch.
        if data._one_shot:
            first = next(data._iterator)
            data._iterator = _chain_first(first, data._iterator)
        else:
            first = next(iter(data.source))
        return to_tensors(unpack_batch(first)[0], "x")

    def _epoch_batches(self, data, batch_size, shuffle, steps):
        host_memory.keep_freed_memory()  # once per process: reuse freed activations' memory
        if isinstance(data, IterableData):
            yield from data.batches(steps=steps)
            return
        if steps is None:
            yield from data.batches(batch_size, shuffle)
            return
        produced = 0
        while produced < steps:
            for batch in data.batches(batch_size, shuffle):
                yield batch
                produced += 1
                if produced >= steps:
                    return

    def _callback_list(self, callbacks, history, verbose, params):
        callbacks = list(callbacks or [])
        if history is not None:
            callbacks.append(history)
        if verbose and not any(isinstance(c, ProgbarLogger) for c in callbacks):
            callbacks.append(ProgbarLogger())
        return CallbackList(callbacks, self, params)

    # ------------------------------------------------------------------ evaluate

    def _evaluate_loop(self, data, batch_size, steps, callback_list):
        self.reset_metrics()
        callback_list.call("on_test_begin", {})
        batch_end = callback_list.wants("on_test_batch_end")
        batch_begin = callback_list.wants("on_test_batch_begin")
        with torch.no_grad():
            for step, batch in enumerate(self._epoch_batches(data, batch_size, False, steps)):
                if batch_begin:
                    callback_list.call("on_test_batch_begin", step, {})
                self.test_step(batch)
                if batch_end:
                    callback_list.call("on_test_batch_end", step, LazyLogs(self._logs))
        logs = self._logs()
        callback_list.call("on_test_end", logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """The loss and metrics on the given data.

        Returns the loss alone if there are no metrics, else the list
        ``[loss, metric, ...]`` in the order of ``metrics_names``, or a dict
        with ``return_dict=True``.

        Example:

        >>> loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
        """
        self._require_compiled("evaluate")
        verbose = _resolve_verbose(verbose)
        data = make_data(x, y, sample_weight)
        batch_size = batch_size or 32
        self._prepare(self._first_inputs(data, batch_size))
        if isinstance(data, ArrayData):
            self._check_targets(data.y)
        total_steps = steps or data.steps(batch_size)
        callback_list = self._callback_list(callbacks, None, verbose,
                                            {"verbose": verbose, "epochs": 1, "steps": total_steps})
        logs = self._evaluate_loop(data, batch_size, steps, callback_list)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    # ------------------------------------------------------------------ predict

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x`` as numpy arrays, computed in batches without gradients.

        Example:

        >>> model.predict(x_test[:5], verbose=0).shape
        (5, 1)
        """
        verbose = _resolve_verbose(verbose)
        data = make_data(x)
        batch_size = batch_size or 32
        if verbose == 0 and not callbacks and isinstance(data, ArrayData) and data.num_samples <= batch_size:
            with torch.inference_mode():
                return _to_host(self.predict_step((data.x, None, None)))
        total_steps = steps or data.steps(batch_size)
        callback_list = self._callback_list(callbacks, None, verbose,
                                            {"verbose": verbose, "epochs": 1, "steps": total_steps})
        callback_list.call("on_predict_begin", {})
        batch_end = callback_list.wants("on_predict_batch_end")
        outputs = []
        with torch.inference_mode():
            for step, batch in enumerate(self._epoch_batches(data, batch_size, False, steps)):
                callback_list.call("on_predict_batch_begin", step, {})
                batch_outputs = self.predict_step(batch)
                outputs.append(batch_outputs)
                if batch_end:
                    callback_list.call("on_predict_batch_end", step, {"outputs": batch_outputs})
        callback_list.call("on_predict_end", {})
        if not outputs:
            raise ValueError("predict() got no data.")
        first = outputs[0]
        flat = [torch.cat([nest.flatten(o)[i] for o in outputs]) for i in range(len(nest.flatten(first)))]
        return _to_host(nest.pack_like(first, flat))

    # ------------------------------------------------------------------ single batches

    def _single_batch_data(self, x, y, sample_weight, class_weight=None):
        host_memory.keep_freed_memory()  # custom loops of train_on_batch churn memory as fit does
        data = ArrayData(x, y, sample_weight, class_weight=class_weight)
        self._prepare(data.x)
        return (data.x, data.y, data.sample_weight)

    def _batch_result(self, return_dict):
        logs = self._logs()
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; returns the running loss (and metrics)."""
        self._require_compiled("train_on_batch")
        batch = self._single_batch_data(x, y, sample_weight, class_weight)
        self.reset_metrics()  # the result describes this batch alone, as in Keras
        self.train_step(batch)
        return self._batch_result(return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """The loss (and metrics) on one batch, without training."""
        self._require_compiled("test_on_batch")
        batch = self._single_batch_data(x, y, sample_weight)
        self.reset_metrics()
        with torch.no_grad():
            self.test_step(batch)
        return self._batch_result(return_dict)

    def predict_on_batch(self, x):
        """The model's outputs for one batch, as numpy arrays."""
        with torch.inference_mode():
            return _to_host(self(to_tensors(x, "x"), training=False))


def _chain_first(first, iterator):
    yield first
    yield from iterator

