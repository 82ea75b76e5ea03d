"""One browser tab's Playground: its settings, data, layerwise model and training loop.

A :class:`Session` owns everything one page works on. Its model is touched
by one thread only, the session's worker: the page's commands (play, pause,
step, a changed setting, "show this neuron") and the server's requests
(export, import) are queued and carried out between epochs, so nothing
races with training. The worker sends two kinds of message through the
``send`` callable it was given:

- ``state`` (JSON text): the settings, the URL fragment that reproduces
  them, the network's shape, the data points when they changed, and notices
  for the page to show;
- frames (binary): the epoch, the losses, every weight and bias, the big
  heatmap (100 x 100 values over [-6, 6]²) and a 10 x 10 thumbnail per
  neuron; see :meth:`Session.frame` for the layout.

Training follows the original page: one epoch per drawn frame. The worker
trains the next epoch while the page draws the current frame, and sends the
next frame once the page has acknowledged the last one, so a slow page slows
training down instead of piling up frames, and a fast one gets an update per
epoch. An epoch that takes long (batch size 1, 1000 points, a busy machine)
is trained in chunks of whole batches, the same updates in the same order,
with a frame in between whenever the page is ready and the last frame is
older than :data:`FRAME_INTERVAL`; commands (pause, a new setting) are
handled between chunks too.

A change follows the original's rules: a new data set, problem, noise or
training ratio regenerates the data with a new seed and resets the
network; batch size, activation, regularization, features and layer sizes
reset the network; the learning rate applies at once without a reset.

Example:

>>> messages = []
>>> session = Session("dataset=xor&networkShape=4", send=messages.append)
>>> session.handle({"type": "step"})
>>> session.epoch
1
"""

import concurrent.futures
import json
import os
import queue
import re
import secrets
import tempfile
import threading
import time

import numpy as np
import torch

from layerwise.playground import data, network
from layerwise.playground import export as export_module
from layerwise.playground import state as state_module

GRID = 100  # the big heatmap's resolution (the original's DENSITY)
THUMB = 10  # a neuron's thumbnail: the grid averaged over 10 x 10 blocks (reduceMatrix)
DOMAIN = 6.0  # the plane shown is [-6, 6]²
FRAME_VERSION = 1
HEADER_INTS = 8
MAX_IMPORT_BYTES = 1024 * 1024
FRAME_INTERVAL = 1 / 15  # longest wait for a frame while an epoch trains
MIN_FRAME_INTERVAL = 1 / 60  # at most one frame (and one epoch) per screen refresh, as the original
SEND_TIMEOUT = 2.0
CHUNK_SECONDS = 0.04  # an epoch longer than this is trained in chunks of about this length

# Settings and what changing them does, as in the original page.
_REGENERATE_AND_RESET = {"dataset", "regDataset", "problem", "noise", "percTrainData"}
_RESET = {"batchSize", "activation", "regularization", "regularizationRate", "networkShape", "initZero",
          *state_module.FEATURE_KEYS, *(key + state_module.HIDE_SUFFIX for key in state_module.FEATURE_KEYS)}
# Everything else (showTestData, discretize, the controls' _hide flags, ...) only changes the page.


def grid_points():
    """The ``(GRID * GRID, 2)`` points of the heatmap, row by row from the top (y = 6) down.

    Row ``j`` and column ``i`` hold ``x = -6 + 12 i / 99`` and
    ``y = 6 - 12 j / 99``, the original's ``xScale``/``yScale``.
    """
    steps = np.arange(GRID, dtype="float64")
    xs = -DOMAIN + 2 * DOMAIN * steps / (GRID - 1)
    ys = DOMAIN - 2 * DOMAIN * steps / (GRID - 1)
    grid_x, grid_y = np.meshgrid(xs, ys)
    return np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)


def dataset_thumbnails():
    """200 noise-free points of every data set, for the page's data set buttons."""
    rng = data.SeedRandom("thumbnails")
    thumbs = {}
    for name in list(data.CLASSIFICATION_DATASETS) + list(data.REGRESSION_DATASETS):
        points = data.generate(name, 200, 0, rng)
        thumbs[name] = [[round(x, 3), round(y, 3), round(float(label), 3)] for x, y, label in points]
    return thumbs


def _points_payload(points, labels):
    return [[round(float(x), 4), round(float(y), 4), round(float(label), 4)]
            for (x, y), label in zip(points, labels)]


class Session:
    """The Playground of one page: settings, data, model, and the worker thread that trains it.

    Args:
        fragment: the page's URL fragment (``"dataset=xor&..."``); unknown keys and
            out-of-range values fall back to defaults and become notices.
        send: called with every outgoing message (``str`` for JSON, ``bytes`` for
            frames), from the worker thread; it must not block for long.
        session_id: the session's id (default: a random token).

    The methods that touch the model (:meth:`handle`, :meth:`train_epoch`,
    :meth:`frame`, the export and import helpers) run on the worker once
    :meth:`start` was called; other threads use :meth:`submit` and
    :meth:`call`.
    """

    def __init__(self, fragment="", send=None, session_id=None):
        self.id = session_id or secrets.token_urlsafe(16)
        self._send = send or (lambda message: None)
        self.state, self.notices = state_module.parse_hash(fragment)
        self.playing = False
        self.epoch = 0
        self.net_version = 0
        self.data_version = 0
        self.selected = None  # index of the neuron shown in the big heatmap (None: the output)
        self.loss_history = []  # (train, test) after every epoch, the initial losses first
        self._losses_sent = 0
        self._seq = 0
        self._acked = 0
        self._trained_ahead = False
        self._position = 0  # the next training point of the current epoch
        self._step_seconds = None  # measured time of one batch
        self._last_frame = 0.0
        self._commands = queue.Queue()
        self._closed = threading.Event()
        self._thread = None
        self._grid = grid_points()
        self.rng = data.SeedRandom(self.state["seed"])
        self._generate_data(first_time=True)
        self._reset()

    # ------------------------------------------------------------------ data and network

    def _generate_data(self, first_time=False):
        """The original's ``generateData``: a new seed (except the first time), then points."""
        if not first_time:
            self.state["seed"] = self.rng.new_seed()
        self.rng = data.SeedRandom(self.state["seed"])
        self.split = data.make_dataset(
            state_module.current_dataset(self.state), noise=self.state["noise"],
            percent_train=self.state["percTrainData"], seed=self.state["seed"], rng=self.rng,
        )
        self.data_version += 1
        self._position = 0
        self._prepare_inputs()

    def _prepare_inputs(self):
        self.features = state_module.active_feature_keys(self.state)
        split = self.split
        self.x_train = torch.from_numpy(data.features(split.train_points, self.features))
        self.y_train = torch.from_numpy(split.train_labels.astype("float32")).reshape(-1, 1)
        self.x_test = torch.from_numpy(data.features(split.test_points, self.features))
        self.y_test = torch.from_numpy(split.test_labels.astype("float32")).reshape(-1, 1)
        self.x_grid = torch.from_numpy(data.features(self._grid, self.features))

    def _reset(self):
        """The original's ``reset``: pause, epoch 0, a new network drawn from the seeded stream."""
        self.playing = False
        self.epoch = 0
        self._position = 0
        self._prepare_inputs()
        settings = self.state
        self.model = network.build_model(
            len(self.features), settings["networkShape"], activation=settings["activation"],
            problem=settings["problem"], learning_rate=settings["learningRate"],
            regularization=settings["regularization"], regularization_rate=settings["regularizationRate"],
            init_zero=settings["initZero"], rng=self.rng,
        )
        self.net_version += 1
        self.selected = None
        self.loss_history = []
        self._losses_sent = 0
        self._record_losses()

    def _record_losses(self):
        self.loss_history.append((network.playground_loss(self.model, self.x_train, self.y_train[:, 0]),
                                  network.playground_loss(self.model, self.x_test, self.y_test[:, 0])))

    @property
    def loss_train(self):
        return self.loss_history[-1][0]

    @property
    def loss_test(self):
        return self.loss_history[-1][1]

    @property
    def shape(self):
        """Neurons per layer, inputs first: ``[features, *hidden, 1]``."""
        return [len(self.features)] + list(self.state["networkShape"]) + [1]

    # ------------------------------------------------------------------ training

    def train_epoch(self):
        """Train to the end of the current epoch (a whole epoch unless one was begun); then the losses."""
        while not self.train_chunk(None):
            pass

    def train_chunk(self, seconds=CHUNK_SECONDS):
        """Train about ``seconds`` worth of whole batches (``None``: to the end of the epoch).

        Calls ``fit`` on the next slice of the training points, which are
        visited in the page's fixed order; slices start and end on batch
        boundaries, so the updates are those of one ``fit`` over the epoch.
        Returns ``True`` when the epoch is complete (the epoch counter and the
        losses then move on).
        """
        batch = self.state["batchSize"]
        count = len(self.x_train)
        remaining_steps = -(-(count - self._position) // batch)
        steps = remaining_steps
        if seconds is not None and self._step_seconds is not None:
            steps = max(1, min(remaining_steps, int(seconds / self._step_seconds)))
        end = min(count, self._position + steps * batch)
        began = time.perf_counter()
        self.model.fit(self.x_train[self._position:end], self.y_train[self._position:end], batch_size=batch,
                       epochs=1, shuffle=False, verbose=0)
        took = (time.perf_counter() - began) / steps
        self._step_seconds = took if self._step_seconds is None else 0.7 * self._step_seconds + 0.3 * took
        self._position = end
        if end < count:
            return False
        self._position = 0
        self.epoch += 1
        self._record_losses()
        return True

    # ------------------------------------------------------------------ messages

    def state_message(self, include_points=False, include_thumbnails=False):
        """The ``state`` message (a dict); notices are handed out once."""
        message = {
            "type": "state", "session": self.id, "netVersion": self.net_version,
            "dataVersion": self.data_version, "state": self.state, "hash": state_module.serialize(self.state),
            "notices": self.notices, "features": self.features,
            "visibleFeatures": state_module.visible_feature_keys(self.state), "shape": self.shape,
            "playing": self.playing, "epoch": self.epoch,
        }
        self.notices = []
        if include_points:
            message["points"] = {
                "train": _points_payload(self.split.train_points, self.split.train_labels),
                "test": _points_payload(self.split.test_points, self.split.test_labels),
            }
        if include_thumbnails:
            message["thumbnails"] = dataset_thumbnails()
        return message

    def frame(self):
        """The binary frame for the current model, as ``bytes`` (little-endian).

        Layout: 8 int32 ``[version, net_version, seq, epoch, playing, new_losses,
        weight_count, selected]`` (``selected`` is -1 for the output neuron),
        then float32 values: the current training and test loss; ``new_losses``
        pairs (training, test) of losses not sent before, one per epoch;
        ``weight_count`` weights (each layer's kernel, row-major ``(in, out)``,
        then its biases); the big heatmap, ``GRID * GRID`` values row by row from
        the top; and ``THUMB * THUMB`` values per neuron (hidden layers in order,
        then the output).
        """
        outputs = network.layer_outputs(self.model, self.x_grid)
        nodes = torch.cat(outputs, dim=1)  # (GRID * GRID, neurons)
        count = nodes.shape[1]
        column = count - 1 if self.selected is None else self.selected
        heatmap = nodes[:, column]
        blocks = GRID // THUMB
        thumbs = nodes.t().reshape(count, THUMB, blocks, THUMB, blocks).mean(dim=(2, 4))
        weights = []
        for layer in self.model.layers:
            weights.append(layer.kernel.detach().reshape(-1))
            weights.append(layer.bias.detach().reshape(-1))
        weights = torch.cat(weights)
        new_losses = self.loss_history[self._losses_sent:]
        self._losses_sent = len(self.loss_history)
        self._seq += 1
        header = np.array([FRAME_VERSION, self.net_version, self._seq, self.epoch, int(self.playing),
                           len(new_losses), weights.numel(), -1 if self.selected is None else self.selected],
                          dtype="<i4")
        floats = np.concatenate([
            np.array([self.loss_train, self.loss_test], dtype="<f4"),
            np.asarray(new_losses, dtype="<f4").reshape(-1),
            weights.numpy().astype("<f4"),
            heatmap.numpy().astype("<f4"),
            thumbs.reshape(-1).numpy().astype("<f4"),
        ])
        return header.tobytes() + floats.tobytes()

    def _send_state(self, **kwargs):
        self._send(json.dumps(self.state_message(**kwargs), allow_nan=False))

    def _send_frame(self):
        pending = self._send(self.frame())
        self._trained_ahead = False
        self._last_frame = time.monotonic()
        if isinstance(pending, concurrent.futures.Future):
            # Let the server's event loop put the frame on the wire before training on; waiting
            # here releases the interpreter lock to it instead of competing with it.
            try:
                pending.result(SEND_TIMEOUT)
            except (ConnectionError, concurrent.futures.TimeoutError):
                pass  # a closed or stuck socket: the server is about to close this session

    # ------------------------------------------------------------------ commands

    def handle(self, command):
        """Carry out one command from the page (a dict with ``type``) and send what changed."""
        kind = command.get("type")
        if kind == "hello":
            self._send_state(include_points=True, include_thumbnails=True)
            self._send_frame()
        elif kind == "play":
            if not self.playing:
                self.playing = True
                self._send_state()
        elif kind == "pause":
            if self.playing:
                self.playing = False
                self._send_state()
                self._send_frame()  # the page shows the model exactly as it stopped
        elif kind == "step":
            self.playing = False
            self.train_epoch()
            self._send_state()
            self._send_frame()
        elif kind == "reset":
            self._reset()
            self._send_state()
            self._send_frame()
        elif kind == "regenerate":
            # The original keeps the network and its training: only the points change.
            self._generate_data()
            self.loss_history[-1] = self._current_losses()
            self._send_state(include_points=True)
            self._send_frame()
        elif kind == "set":
            self._set(str(command.get("key", "")), command.get("value"))
        elif kind == "select":
            node = command.get("node")
            count = sum(self.shape[1:])
            if node is None or (isinstance(node, int) and not isinstance(node, bool) and 0 <= node < count):
                self.selected = node
                self._send_frame()
        elif kind == "ack":
            seq = command.get("seq")
            if isinstance(seq, int) and not isinstance(seq, bool):
                self._acked = max(self._acked, min(seq, self._seq))
        else:
            self.notices.append(f"Unknown command {str(kind)[:40]!r} ignored.")
            self._send_state()

    def _current_losses(self):
        return (network.playground_loss(self.model, self.x_train, self.y_train[:, 0]),
                network.playground_loss(self.model, self.x_test, self.y_test[:, 0]))

    def _set(self, key, value):
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            text = ",".join(str(v) for v in value)
        elif isinstance(value, (int, float)):
            text = state_module.format_number(value)
        else:
            text = "" if value is None else str(value)
        try:
            if key == "seed":
                raise state_module.SettingError("The seed changes with Regenerate or a new link")
            parsed = state_module.parse_value(key, text)
        except state_module.SettingError as error:
            self.notices.append(f"{error}; the setting was not changed.")
            self._send_state()
            return
        had, old = key in self.state, self.state.get(key)
        self.state[key] = parsed
        if not state_module.active_feature_keys(self.state):
            if had:
                self.state[key] = old
            else:
                del self.state[key]
            self.notices.append("The network needs at least one input feature.")
            self._send_state()
            return
        if parsed == old:
            self._send_state()
            return
        if key == "learningRate":
            self.model.optimizer.learning_rate = float(parsed)
            self._send_state()
        elif key in _REGENERATE_AND_RESET:
            self._generate_data()
            self._reset()
            self._send_state(include_points=True)
            self._send_frame()
        elif key in _RESET:
            self._reset()
            self._send_state()
            self._send_frame()
        else:
            self._send_state()

    # ------------------------------------------------------------------ export and import

    def export_script(self):
        """The page's network as a runnable layerwise script (``str``)."""
        return export_module.script(self.state, epochs=self.epoch or None)

    def export_keras(self):
        """The trained model as the bytes of a ``.keras`` file (``model.save``)."""
        with tempfile.TemporaryDirectory(prefix="layerwise-playground-") as folder:
            path = os.path.join(folder, "playground_model.keras")
            self.model.save(path)
            with open(path, "rb") as handle:
                return handle.read()

    def import_keras(self, payload, filename="model.keras"):
        """Load a ``.keras`` file's bytes into the page; returns a sentence saying what was loaded.

        The file is read by ``layerwise.models.load_model(path, safe_mode=True)``;
        whatever the loader refuses is raised with the loader's message.
        Then the model must have the Playground's form
        (:func:`layerwise.playground.network.describe`) and 2 inputs (X1, X2)
        or as many as the page's selected features.
        """
        from layerwise.models import load_model

        if len(payload) > MAX_IMPORT_BYTES:
            raise ValueError(
                f"{filename} is {len(payload)} bytes; the Playground imports .keras files of at most "
                f"{MAX_IMPORT_BYTES} bytes."
            )
        safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.basename(filename))[:80] or "model.keras"
        with tempfile.TemporaryDirectory(prefix="layerwise-playground-") as folder:
            path = os.path.join(folder, safe_name)
            with open(path, "wb") as handle:
                handle.write(payload)
            try:
                loaded = load_model(path, safe_mode=True)
            except Exception as error:
                # The loader's own message, without the server's temporary folder in it.
                message = str(error).replace(folder + os.sep, "")
                raise ValueError(message) from error
        feature_count, hidden, activation, problem, regularization, rate = network.describe(loaded)
        current = state_module.active_feature_keys(self.state)
        if feature_count == len(current):
            features = current
        elif feature_count == 2 and all(not self.state.get(k + state_module.HIDE_SUFFIX) for k in ("x", "y")):
            features = ["x", "y"]
        else:
            raise ValueError(
                f"{filename} takes {feature_count} inputs; the Playground feeds it 2 (X1, X2) or the "
                f"{len(current)} features selected on the page."
            )
        if not 0 <= rate <= 10:
            raise ValueError(f"{filename} uses a {regularization} rate of {rate}; the Playground offers 0 to 10.")
        problem_changed = problem != self.state["problem"]
        for key in state_module.FEATURE_KEYS:
            self.state[key] = key in features
        self.state.update(networkShape=list(hidden), activation=activation, problem=problem,
                          regularization=regularization, regularizationRate=rate)
        if problem_changed:
            self._generate_data()
        self._reset()
        self.model.set_weights(loaded.get_weights())
        self.loss_history = [self._current_losses()]
        self._losses_sent = 0
        summary = (f"Imported {filename}: {feature_count} inputs, hidden layers "
                   f"{'-'.join(str(n) for n in hidden) or 'none'}, {activation}, {problem}; weights loaded.")
        self.notices.append(summary)
        self._send_state(include_points=problem_changed)
        self._send_frame()
        return summary

    # ------------------------------------------------------------------ the worker

    def start(self):
        """Start the worker thread; it sends the first state and frame at once."""
        self._thread = threading.Thread(target=self._run, name=f"playground-{self.id[:8]}", daemon=True)
        self._commands.put({"type": "hello"})
        self._thread.start()
        return self

    def submit(self, command):
        """Queue a command from the page (thread-safe)."""
        if not self._closed.is_set():
            self._commands.put(command)

    def call(self, function):
        """Run ``function(session)`` on the worker; returns a ``concurrent.futures.Future``."""
        future = concurrent.futures.Future()
        if self._closed.is_set():
            future.set_exception(RuntimeError("The Playground session has ended."))
        else:
            self._commands.put({"type": "_call", "function": function, "future": future})
        return future

    def close(self, timeout=5.0):
        """Stop training and the worker (a closed tab); waits up to ``timeout`` seconds."""
        self._closed.set()
        self._commands.put({"type": "_close"})
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _frame_due(self, interval):
        """The page has taken the last frame, and it is at least ``interval`` seconds old."""
        return self._acked >= self._seq and time.monotonic() - self._last_frame >= interval

    @property
    def alive(self):
        return self._thread is not None and self._thread.is_alive()

    def _process(self, command):
        kind = command.get("type")
        if kind == "_close":
            return
        if kind == "_call":
            future = command["future"]
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(command["function"](self))
                except BaseException as error:  # noqa: BLE001 - handed to the waiting request, which reports it
                    future.set_exception(error)
            return
        try:
            self.handle(command)
        except Exception as error:  # noqa: BLE001 - a bad command must not kill the tab's session
            self.notices.append(f"{type(error).__name__}: {error}")
            self._send_state()

    def _run(self):
        while not self._closed.is_set():
            can_train = self.playing and not self._trained_ahead
            if can_train:
                timeout = 0
            elif self._trained_ahead and self._acked >= self._seq:
                timeout = max(0.0, self._last_frame + MIN_FRAME_INTERVAL - time.monotonic())
            else:
                timeout = 0.5
            try:
                command = self._commands.get(timeout=timeout) if timeout > 0 else self._commands.get_nowait()
            except queue.Empty:
                command = None
            while command is not None and not self._closed.is_set():
                self._process(command)
                try:
                    command = self._commands.get_nowait()
                except queue.Empty:
                    command = None
            if self._closed.is_set():
                break
            if self._trained_ahead and self._frame_due(MIN_FRAME_INTERVAL):
                self._send_frame()
            if self.playing and not self._trained_ahead:
                epoch_done = self.train_chunk()
                if epoch_done:
                    if self._frame_due(MIN_FRAME_INTERVAL):
                        self._send_frame()
                    else:
                        self._trained_ahead = True  # one epoch per frame: wait for the page
                elif self._frame_due(FRAME_INTERVAL):
                    self._send_frame()  # a long epoch: show where it has got to
        # Fail whatever is still queued, so no request waits for a session that has gone.
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                break
            if command.get("type") == "_call":
                command["future"].set_exception(RuntimeError("The Playground session has ended."))


def wait_until(predicate, timeout, interval=0.01):
    """Poll ``predicate`` until it is true or ``timeout`` seconds passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
