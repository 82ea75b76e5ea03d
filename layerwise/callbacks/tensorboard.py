"""``TensorBoard``: event files for the ``tensorboard`` program, laid out as Keras 3 lays them out.

The files are written by a maintained writer (``torch.utils.tensorboard``'s
``SummaryWriter``, which sits on the ``tensorboard`` package's own event-file
writer), so anything that reads TensorBoard logs reads them. What goes where
follows Keras 3's callback:

* ``log_dir/train``: ``epoch_<name>`` for every logged training value (step =
  epoch, counted from 0), ``epoch_learning_rate``, ``batch_<name>`` when
  ``update_freq`` asks for batches (step = training batch counted from 1 over
  the whole ``fit``), ``<weight path>/histogram`` and ``<weight path>/image``,
  the model's config as the ``keras`` summary (TensorBoard's "conceptual
  graph") and the traced op graph;
* ``log_dir/validation``: ``epoch_<name>`` for the ``val_`` values (without
  the prefix), and ``evaluation_<name>_vs_iterations`` after each validation
  run or ``evaluate`` (step = optimizer iterations).

Nothing here reads a device value during a step unless ``update_freq`` asks
for batch values (then only on the batches that are written).
"""

import contextlib
import io
import json
import numbers
import os
import socket
import time
import warnings

import numpy as np
import torch

from layerwise.callbacks.callback import Callback
from layerwise.saving.registry import builtin

_INSTALL_HINT = "pip install tensorboard (or pip install 'layerwise[tensorboard]')"


def _summary_writer_class():
    """torch's ``SummaryWriter``, or an ImportError that says what to install."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as error:
        raise ImportError(
            f"TensorBoard needs the tensorboard package, which is not installed: {_INSTALL_HINT}. "
            f"({error})"
        ) from None
    return SummaryWriter


def _check_frequency(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(
            f"TensorBoard: `{name}` must be an integer >= 0 (a number of epochs; 0 turns it off); "
            f"got {name}={value!r}."
        )
    return int(value)


def _check_update_freq(update_freq):
    if update_freq == "batch":
        return 1
    if update_freq == "epoch":
        return "epoch"
    if isinstance(update_freq, numbers.Integral) and not isinstance(update_freq, bool) and update_freq >= 1:
        return int(update_freq)
    raise ValueError(
        "TensorBoard: `update_freq` must be 'epoch', 'batch' or a positive integer (write the batch "
        f"values every that many batches); got update_freq={update_freq!r}."
    )


def _parse_profile_batch(profile_batch):
    """``(start, stop)`` batches to profile (1-based, inclusive); ``(0, 0)`` turns profiling off."""
    message = (
        "TensorBoard: `profile_batch` must be a non-negative integer (the batch to profile, counted "
        "from 1; 0 turns profiling off) or a pair of positive integers (start, stop) such as (10, 20); "
        f"got profile_batch={profile_batch!r}."
    )
    value = profile_batch
    if isinstance(value, str):  # Keras still accepts the legacy "start,stop" spelling
        try:
            value = [int(part) for part in value.split(",")]
        except ValueError:
            raise ValueError(message) from None
        value = value[0] if len(value) == 1 else tuple(value)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        start = stop = int(value)
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
        start, stop = int(value[0]), int(value[1])
    else:
        raise ValueError(message)
    if start < 0 or stop < start or (start == 0 and stop != 0):
        raise ValueError(message)
    return start, stop


def _check_embeddings_metadata(metadata):
    if metadata is None:
        return None
    if isinstance(metadata, dict):
        checked = {}
        for name, path in metadata.items():
            try:
                checked[str(name)] = os.fspath(path)
            except TypeError:
                raise ValueError(
                    "TensorBoard: `embeddings_metadata` maps Embedding layer names to metadata files; "
                    f"the value for {name!r} is {path!r}, not a path."
                ) from None
        return checked
    try:
        return os.fspath(metadata)
    except TypeError:
        raise ValueError(
            "TensorBoard: `embeddings_metadata` must be a path (one metadata file for every Embedding "
            "layer) or a dict {layer name: path}; got "
            f"embeddings_metadata={metadata!r}."
        ) from None


def _host_scalar(value):
    """A logged value as a Python float, or None when it is not one number (strings, vectors)."""
    if isinstance(value, (bool, str, bytes)) or value is None:
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, torch.Tensor):
        return float(value.detach().cpu().item()) if value.numel() == 1 else None
    if isinstance(value, (np.ndarray, np.generic)):
        return float(value) if np.size(value) == 1 and np.asarray(value).dtype.kind in "fiub" else None
    return None


def _weight_image(array):
    """A weight as a batch of ``(n, h, w, c)`` uint8 images, following Keras's rules, or None.

    Keras squeezes the weight, then: a vector (bias) becomes one ``1 x n``
    column; a matrix (Dense kernel) one image, transposed so that it is wider
    than tall; a 3-D kernel (Conv1D, channels_last) one image per output
    channel. A 4-D Conv2D kernel ``(kh, kw, in, out)`` with 1 or 3 input
    channels becomes one ``kh x kw`` image per filter (the classic picture of
    first-layer filters); other shapes are skipped, as Keras skips them.

    Values are rescaled so that the smallest weight is black and the largest
    white (TensorFlow's image summary clips floats to [0, 1] instead, which
    shows most weights as flat black or white).
    """
    w = np.squeeze(array)
    if w.ndim == 1:
        images = w.reshape(1, w.shape[0], 1, 1)
    elif w.ndim == 2:
        if w.shape[0] > w.shape[1]:
            w = w.T
        images = w.reshape(1, w.shape[0], w.shape[1], 1)
    elif w.ndim == 3:
        w = np.transpose(w, (2, 0, 1))
        images = w.reshape(w.shape[0], w.shape[1], w.shape[2], 1)
    elif w.ndim == 4 and w.shape[2] in (1, 3):
        images = np.transpose(w, (3, 0, 1, 2))
    else:
        return None
    images = images.astype(np.float64)
    low, high = float(images.min()), float(images.max())
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    if high > low:
        scaled = (images - low) / (high - low)
    else:
        scaled = np.full(images.shape, 0.5)
    return np.round(scaled * 255.0).astype(np.uint8)


def _read_metadata_file(path, log_dir):
    """Labels (and header) of a projector metadata file: one label per line, or a header then rows."""
    candidates = [path] if os.path.isabs(path) else [path, os.path.join(log_dir, path)]
    for candidate in candidates:
        if os.path.isfile(candidate):
            with open(candidate, encoding="utf-8") as f:
                lines = [line.rstrip("\r\n") for line in f]
            break
    else:
        raise FileNotFoundError(
            f"TensorBoard: the embeddings metadata file {path!r} does not exist (looked in the current "
            f"directory and in log_dir {log_dir!r})."
        )
    while lines and lines[-1] == "":
        lines.pop()
    if lines and "\t" in lines[0]:
        # Several columns: the first line is the header, as TensorBoard's projector expects.
        return [line.split("\t") for line in lines[1:]], lines[0].split("\t")
    return lines, None


@contextlib.contextmanager
def _quiet_profiler():
    """Hide torch.profiler's note about profiling cycles (this callback records one cycle per fit)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Profiler clears events at the end of each cycle")
        yield


@builtin("callbacks")
class TensorBoard(Callback):
    """Write TensorBoard logs: metric curves, weight histograms and images, the model graph.

    Start TensorBoard on the logs with ``tensorboard --logdir logs`` (the
    ``tensorboard`` package: ``pip install tensorboard``) and open the address
    it prints. Each ``fit`` writes a run ``train`` and a run ``validation``
    under ``log_dir``, with the same tags as Keras 3: ``epoch_loss``,
    ``epoch_accuracy``, ..., ``epoch_learning_rate``, and
    ``evaluation_loss_vs_iterations`` after each validation. Give each
    experiment its own ``log_dir`` (for example
    ``"logs/fit/" + datetime.now().strftime("%Y%m%d-%H%M%S")``) to compare
    runs side by side.

    Args:
        log_dir: the directory to write the logs to (created if needed).
        histogram_freq: every how many epochs to write a histogram of every
            weight (tag ``<layer>/<weight>/histogram``, e.g.
            ``sequential/dense/kernel/histogram``); 0 (default) writes none.
        write_graph: write the model's graph: its Keras config (TensorBoard's
            "conceptual graph", for Sequential and Functional models, as Keras
            writes it) and the op graph traced by ``torch.jit.trace`` on zeros
            of the model's input shape. A model that cannot be traced is
            skipped with one warning.
        write_images: with ``histogram_freq``, also write every weight as an
            image (tag ``<layer>/<weight>/image``), scaled from black (smallest
            value) to white (largest).
        write_steps_per_second: also write the training speed:
            ``epoch_steps_per_second``, and ``batch_steps_per_second`` when
            batch values are written.
        update_freq: ``'epoch'`` (default) writes the values once per epoch;
            ``'batch'`` or an integer ``n`` also writes ``batch_loss``,
            ``batch_<metric>`` every ``n`` training batches (these values are
            running means over the epoch so far, as the progress bar shows
            them). Reading them makes those steps wait for the device, so
            large ``n`` are cheaper.
        profile_batch: profile a batch (an integer, counted from 1 over the
            whole ``fit``) or a range of batches (a pair ``(start, stop)``)
            with ``torch.profiler``; the trace is written to
            ``log_dir/train/<host>_<pid>.<time>.pt.trace.json``, which
            TensorBoard's PyTorch Profiler plugin (``torch-tb-profiler``),
            Perfetto or ``chrome://tracing`` open. 0 (default) turns
            profiling off. (Keras 3 on its torch backend refuses any value
            but 0.)
        embeddings_freq: every how many epochs to write the weights of every
            ``Embedding`` layer for TensorBoard's Projector (as
            ``log_dir/train/<epoch, 5 digits>/<layer name>/tensors.tsv``, listed
            in ``log_dir/train/projector_config.pbtxt``); 0 (default) writes
            none. (Keras 3 saves a ``.weights.h5`` file there, which the
            Projector cannot read.)
        embeddings_metadata: labels for the Projector: a path to a metadata
            file (one label per line, or a header line and tab-separated
            rows) for every Embedding layer, or a dict ``{layer name: path}``.
            The file needs one label per row of the embedding matrix
            (``input_dim`` rows). Relative paths are looked up in the current
            directory, then in ``log_dir``.

    Example:

    >>> tensorboard = layerwise.callbacks.TensorBoard(log_dir="logs", histogram_freq=1)
    >>> model.fit(x_train, y_train, epochs=5, validation_split=0.2, callbacks=[tensorboard])
    >>> # then, in a shell: tensorboard --logdir logs
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        try:
            self.log_dir = os.fspath(log_dir)
        except TypeError:
            raise ValueError(
                f"TensorBoard: `log_dir` must be a path (str or os.PathLike); got log_dir={log_dir!r}."
            ) from None
        self.histogram_freq = _check_frequency("histogram_freq", histogram_freq)
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = _check_update_freq(update_freq)
        self.profile_batch = profile_batch
        self._start_batch, self._stop_batch = _parse_profile_batch(profile_batch)
        self.embeddings_freq = _check_frequency("embeddings_freq", embeddings_freq)
        self.embeddings_metadata = _check_embeddings_metadata(embeddings_metadata)
        # Fail now, not after the first epoch, when the writer is missing.
        self._writer_class = _summary_writer_class()

        # Decided once: the batch hooks return at once unless they have work to do.
        self._batch_logging = self.update_freq != "epoch"
        self._should_profile = self._start_batch > 0
        self._batch_hooks = self._batch_logging or self._should_profile

        self._writers = {}
        self._in_fit = False
        self._global_train_batch = 0
        self._batch_start_time = 0.0
        self._epoch_start_time = 0.0
        self._epoch_start_iterations = 0
        self._profiler = None
        self._profiled_batch = None
        self._skipped_values = set()
        self._embedding_metadata_by_layer = {}

    # ------------------------------------------------------------------ writers

    @property
    def _train_dir(self):
        return os.path.join(self.log_dir, "train")

    @property
    def _val_dir(self):
        return os.path.join(self.log_dir, "validation")

    def _writer(self, run):
        """The writer of ``run`` ('train' or 'validation'), created on first use (no empty runs)."""
        writer = self._writers.get(run)
        if writer is None:
            directory = self._train_dir if run == "train" else self._val_dir
            writer = self._writer_class(log_dir=directory)
            self._writers[run] = writer
        return writer

    def _flush_writers(self):
        for writer in self._writers.values():
            writer.flush()

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def set_model(self, model):
        # A new fit/evaluate starts new event files, as Keras's callback does.
        self._close_writers()
        super().set_model(model)

    # ------------------------------------------------------------------ names

    def _weight_tag(self, weight, layer):
        """``weight.path`` as Keras 3 names it in a summary tag.

        Keras creates the weights of a Sequential or subclassed model inside the
        model's name scope (``sequential/dense/kernel``); a Functional model's
        layers are built outside it (``dense/kernel``).
        """
        path = getattr(weight, "path", None) or f"{layer.name}/{getattr(weight, 'name', 'weight')}"
        model = self.model
        if type(model).__name__ != "Functional":
            prefix = f"{model.name}/"
            if not path.startswith(prefix):
                path = prefix + path
        return path.replace(":", "_")

    def _optimizer_values(self):
        """``{'learning_rate': lr}`` (or one entry per inner optimizer), read without a device sync."""
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if optimizer is None:
            return {}

        def rate(opt):
            current = getattr(opt, "_current_learning_rate", None)
            return float(current()) if current is not None else float(opt.learning_rate)

        inner = getattr(optimizer, "optimizers", None)
        if inner:
            return {f"learning_rate_{opt.name}": rate(opt) for opt in inner}
        if not hasattr(optimizer, "learning_rate"):
            return {}
        return {"learning_rate": rate(optimizer)}

    def _iterations(self):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:
            return None
        count = getattr(optimizer, "_step_count", None)
        if count is not None:
            return int(count())
        iterations = getattr(optimizer, "iterations", None)
        return None if iterations is None else int(iterations)

    def _write_scalars(self, run, tag, values, step):
        """Write each value of ``values`` as a scalar; ``tag`` formats the name (``'epoch_{}'``)."""
        writer = self._writer(run)
        for name, value in values.items():
            number = _host_scalar(value)
            if number is None:
                if name not in self._skipped_values:
                    self._skipped_values.add(name)
                    warnings.warn(
                        f"TensorBoard: the logged value {name!r} is not a single number "
                        f"({type(value).__name__}); it is not written to TensorBoard.",
                        stacklevel=3,
                    )
                continue
            writer.add_scalar(tag.format(name), number, global_step=step)

    # ------------------------------------------------------------------ training

    def on_train_begin(self, logs=None):
        self._in_fit = True
        self._global_train_batch = 0
        self._should_profile = self._start_batch > 0
        self._skipped_values = set()
        if self.embeddings_freq:
            self._prepare_embeddings()
        if self.write_graph:
            self._write_graphs()

    def on_train_end(self, logs=None):
        if self._profiler is not None:
            self._stop_profiler()
        self._in_fit = False
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        if self.write_steps_per_second:
            self._epoch_start_time = time.perf_counter()
            self._epoch_start_iterations = self._iterations() or 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train_values = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val_values = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        # The optimizer's current rate wins over a `learning_rate` some callback put in the logs.
        train_values.update(self._optimizer_values())
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._epoch_start_time
            steps = (self._iterations() or 0) - self._epoch_start_iterations
            train_values["steps_per_second"] = steps / elapsed if elapsed > 0 else 0.0
        if train_values:
            self._write_scalars("train", "epoch_{}", train_values, epoch)
        if val_values:
            self._write_scalars("validation", "epoch_{}", val_values, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._log_embeddings(epoch)
        # Flushing once an epoch lets a running TensorBoard show the epoch at once.
        self._flush_writers()

    def on_train_batch_begin(self, batch, logs=None):
        if not self._batch_hooks:
            return
        self._global_train_batch += 1
        if self._should_profile and self._global_train_batch == self._start_batch:
            self._start_profiler()
        if self._profiler is not None:
            self._profiled_batch = torch.profiler.record_function(f"train_batch_{batch}")
            self._profiled_batch.__enter__()
        if self.write_steps_per_second:
            self._batch_start_time = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if not self._batch_hooks:
            return
        step = self._global_train_batch
        if self._batch_logging and step % self.update_freq == 0 and logs is not None:
            values = dict(logs.items())  # reads the running metrics: one device sync
            if self.write_steps_per_second:
                elapsed = time.perf_counter() - self._batch_start_time
                values["steps_per_second"] = 1.0 / elapsed if elapsed > 0 else 0.0
            self._write_scalars("train", "batch_{}", values, step)
        if self._profiler is not None:
            if self._profiled_batch is not None:
                self._profiled_batch.__exit__(None, None, None)
                self._profiled_batch = None
            if step >= self._stop_batch:
                self._stop_profiler()

    # ------------------------------------------------------------------ evaluation

    def on_test_end(self, logs=None):
        iterations = self._iterations()
        if logs and iterations is not None:
            self._write_scalars("validation", "evaluation_{}_vs_iterations", dict(logs), iterations)
            if self._in_fit:
                self._flush_writers()
            else:
                # A standalone evaluate(): no on_train_end will close the file.
                self._close_writers()

    # ------------------------------------------------------------------ weights

    def _log_weights(self, epoch):
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                if weight.numel() == 0:
                    continue
                tag = self._weight_tag(weight, layer)
                values = weight.detach()
                if not values.dtype.is_floating_point:
                    values = values.double()
                values = values.cpu().numpy()
                writer.add_histogram(f"{tag}/histogram", values, global_step=epoch)
                if self.write_images:
                    images = _weight_image(values)
                    if images is not None:
                        writer.add_images(f"{tag}/image", images, global_step=epoch, dataformats="NHWC")

    # ------------------------------------------------------------------ graph

    def _write_graphs(self):
        model = self.model
        writer = self._writer("train")
        if type(model).__name__ in ("Sequential", "Functional"):
            self._write_keras_config(writer, model)
        example = self._example_inputs(model)
        if example is None:
            warnings.warn(
                "TensorBoard: the model's input shape is not known, so its op graph is not written "
                "(the metric curves are). Build the model first, e.g. give it an Input.",
                stacklevel=3,
            )
            return
        # Tracing runs the model once in inference mode on zeros. torch sets every submodule's
        # training flag to the model's afterwards, so the flags are put back one by one; the user's
        # RNG streams are kept, and the tracer's chatter (it prints, and warns about every Python
        # constant) is silenced.
        flags = [(module, module.training) for module in model.modules()]
        try:
            with torch.random.fork_rng(devices=[]), warnings.catch_warnings(), \
                    contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
                warnings.simplefilter("ignore")
                writer.add_graph(model, example)
        except Exception as error:  # noqa: BLE001 - any tracing failure only costs the graph
            warnings.warn(
                f"TensorBoard: the op graph of model '{model.name}' could not be traced "
                f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}); "
                "it is not written. Metrics, histograms and the Keras graph are unaffected.",
                stacklevel=3,
            )
        finally:
            for module, training in flags:
                module.training = training

    @staticmethod
    def _write_keras_config(writer, model):
        """The model's Keras config as the ``keras`` summary that TensorBoard's graph view draws."""
        from tensorboard.compat.proto import summary_pb2, tensor_pb2, tensor_shape_pb2, types_pb2

        from layerwise.saving.serialization import serialize_keras_object

        try:
            config = json.dumps(serialize_keras_object(model))
        except Exception as error:  # noqa: BLE001 - as Keras: a model that fails to serialize is skipped
            warnings.warn(f"TensorBoard: the model's config could not be serialized ({error}); "
                          "its conceptual graph is not written.", stacklevel=4)
            return
        metadata = summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="graph_keras_model", content=b"1")
        )
        tensor = tensor_pb2.TensorProto(
            dtype=types_pb2.DT_STRING, tensor_shape=tensor_shape_pb2.TensorShapeProto(),
            string_val=[config.encode("utf-8")],
        )
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="keras", metadata=metadata, tensor=tensor)])
        writer._get_file_writer().add_summary(summary, global_step=0)

    @staticmethod
    def _example_inputs(model):
        """Zeros shaped like the model's inputs (unknown sizes -> 1), or None if they are unknown."""
        shapes = getattr(model, "_build_shape", None)
        if shapes is None:
            return None
        dtypes = None
        with contextlib.suppress(Exception):
            dtypes = [t.dtype for t in model.inputs]
        parameters = list(model.parameters())
        device = parameters[0].device if parameters else torch.device("cpu")

        def is_shape(value):
            return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)

        flat = []

        def zeros(shape):
            index = len(flat)
            dtype = torch.float32
            if dtypes is not None and index < len(dtypes) and dtypes[index] is not None:
                dtype = getattr(torch, str(dtypes[index]).replace("torch.", ""), torch.float32)
            tensor = torch.zeros([1 if d is None else d for d in shape], dtype=dtype, device=device)
            flat.append(tensor)
            return tensor

        if is_shape(shapes):
            return zeros(shapes)
        if isinstance(shapes, dict):
            return ({key: zeros(shape) for key, shape in shapes.items()},)
        if isinstance(shapes, (list, tuple)) and all(is_shape(s) for s in shapes):
            return ([zeros(shape) for shape in shapes],)
        return None

    # ------------------------------------------------------------------ embeddings

    def _embedding_layers(self):
        from layerwise.layers.embedding import Embedding

        found = []

        def visit(layers):
            for layer in layers:
                if isinstance(layer, Embedding):
                    found.append(layer)
                elif hasattr(layer, "layers"):
                    visit(layer.layers)

        visit(self.model.layers)
        return found

    def _prepare_embeddings(self):
        layers = self._embedding_layers()
        metadata = self.embeddings_metadata
        if isinstance(metadata, dict):
            unknown = sorted(set(metadata) - {layer.name for layer in layers})
            if unknown:
                raise ValueError(
                    f"TensorBoard: `embeddings_metadata` names {unknown}, which are not Embedding layers "
                    f"of the model; its Embedding layers are {[layer.name for layer in layers]}."
                )
        self._embedding_metadata_by_layer = {}
        for layer in layers:
            path = metadata.get(layer.name) if isinstance(metadata, dict) else metadata
            if path is None:
                continue
            labels, header = _read_metadata_file(path, self.log_dir)
            if len(labels) != layer.input_dim:
                raise ValueError(
                    f"TensorBoard: the metadata file {path!r} for Embedding '{layer.name}' has "
                    f"{len(labels)} labels; the layer has input_dim={layer.input_dim} rows and needs one "
                    "label per row (one per line, or a header line then one tab-separated row per line)."
                )
            self._embedding_metadata_by_layer[layer.name] = (labels, header)

    def _log_embeddings(self, epoch):
        writer = self._writer("train")
        for layer in self._embedding_layers():
            labels, header = self._embedding_metadata_by_layer.get(layer.name, (None, None))
            matrix = layer.embeddings.detach().float().cpu().numpy()
            with contextlib.redirect_stdout(io.StringIO()):  # the writer prints when a step repeats
                writer.add_embedding(matrix, metadata=labels, metadata_header=header, tag=layer.name,
                                     global_step=epoch)

    # ------------------------------------------------------------------ profiler

    def _start_profiler(self):
        import torch.profiler

        activities = [torch.profiler.ProfilerActivity.CPU]
        if torch.cuda.is_available():
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        os.makedirs(self._train_dir, exist_ok=True)
        handler = torch.profiler.tensorboard_trace_handler(
            self._train_dir, worker_name=f"{socket.gethostname()}_{os.getpid()}")
        try:
            profiler = torch.profiler.profile(activities=activities, on_trace_ready=handler, record_shapes=True)
            with _quiet_profiler():
                profiler.start()
        except Exception as error:  # noqa: BLE001 - profiling must never stop training
            warnings.warn(f"TensorBoard: the profiler could not start ({error}); no trace is written.",
                          stacklevel=3)
            self._should_profile = False
            return
        self._profiler = profiler

    def _stop_profiler(self):
        profiler, self._profiler = self._profiler, None
        if self._profiled_batch is not None:
            self._profiled_batch.__exit__(None, None, None)
            self._profiled_batch = None
        try:
            with _quiet_profiler():
                profiler.stop()  # calls the trace handler, which writes the trace file
        except Exception as error:  # noqa: BLE001
            warnings.warn(f"TensorBoard: the profiler trace could not be written ({error}).", stacklevel=3)
        self._should_profile = False
