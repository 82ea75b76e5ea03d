"""TensorBoard: event files read back by TensorBoard's own reader, and served by the tensorboard program."""

import glob
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings

import numpy as np
import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import layerwise
from layerwise.callbacks.callback import LazyLogs
from layerwise.callbacks.tensorboard import TensorBoard, _weight_image

# 0 = keep every event (the reader samples by default).
_KEEP_ALL = {"scalars": 0, "histograms": 0, "images": 0, "tensors": 0, "compressedHistograms": 0}


def _read(directory):
    accumulator = EventAccumulator(str(directory), size_guidance=_KEEP_ALL)
    accumulator.Reload()
    return accumulator


def _scalars(accumulator, tag):
    events = accumulator.Scalars(tag)
    return [e.step for e in events], [e.value for e in events]


def _float32(values):
    return [float(np.float32(v)) for v in values]


def _data(n=20, features=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")[:features]).astype("float32")
    return x, y


def _model():
    model = layerwise.Sequential([
        layerwise.Input((3,)),
        layerwise.layers.Dense(4, activation="relu"),
        layerwise.layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """One fit with validation and histogram_freq=1, shared by the read-back tests."""
    layerwise.backend.clear_session()
    layerwise.utils.set_random_seed(1)
    log_dir = tmp_path_factory.mktemp("tb") / "logs"
    x, y = _data()
    model = _model()
    callback = TensorBoard(log_dir=log_dir, histogram_freq=1, write_images=True)
    # 15 training samples in batches of 8: 2 steps an epoch.
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0, callbacks=[callback])
    return log_dir, model, history


# ============================================================================ read back


def test_runs_are_laid_out_as_keras_does(fitted):
    log_dir, _, _ = fitted
    assert sorted(os.listdir(log_dir)) == ["train", "validation"]
    for run in ("train", "validation"):
        assert glob.glob(str(log_dir / run / "events.out.tfevents.*"))


def test_training_scalars_equal_the_history(fitted):
    log_dir, _, history = fitted
    train = _read(log_dir / "train")
    assert sorted(train.Tags()["scalars"]) == ["epoch_learning_rate", "epoch_loss", "epoch_mae"]
    for name in ("loss", "mae"):
        steps, values = _scalars(train, f"epoch_{name}")
        assert steps == [0, 1, 2]
        assert values == _float32(history.history[name])
    steps, values = _scalars(train, "epoch_learning_rate")
    assert steps == [0, 1, 2]
    assert values == _float32([0.001] * 3)


def test_validation_scalars_equal_the_history(fitted):
    log_dir, _, history = fitted
    validation = _read(log_dir / "validation")
    assert sorted(validation.Tags()["scalars"]) == [
        "epoch_loss", "epoch_mae", "evaluation_loss_vs_iterations", "evaluation_mae_vs_iterations",
    ]
    for name in ("loss", "mae"):
        steps, values = _scalars(validation, f"epoch_{name}")
        assert steps == [0, 1, 2]
        assert values == _float32(history.history[f"val_{name}"])
        # After each validation run, at the optimizer's iteration count (2 steps an epoch).
        steps, values = _scalars(validation, f"evaluation_{name}_vs_iterations")
        assert steps == [2, 4, 6]
        assert values == _float32(history.history[f"val_{name}"])


def test_weight_histograms_every_epoch_with_keras_tags(fitted):
    log_dir, model, _ = fitted
    train = _read(log_dir / "train")
    expected = [f"sequential/{layer.name}/{w}/histogram" for layer in model.layers for w in ("kernel", "bias")]
    assert sorted(train.Tags()["histograms"]) == sorted(expected)
    for layer in model.layers:
        for weight in layer.weights:
            events = train.Histograms(f"sequential/{weight.path}/histogram")
            assert [e.step for e in events] == [0, 1, 2]
            last = events[-1].histogram_value  # written after the last epoch: the final weights
            values = weight.detach().cpu().numpy()
            assert last.num == values.size
            assert last.min == pytest.approx(values.min())
            assert last.max == pytest.approx(values.max())
            assert last.sum == pytest.approx(values.sum(), abs=1e-5)


def test_weight_images_follow_keras_rules(fitted):
    log_dir, model, _ = fitted
    train = _read(log_dir / "train")
    # The (4, 1) kernel squeezes to a vector; the bias of size 1 to a scalar, which Keras skips.
    assert sorted(train.Tags()["images"]) == [
        "sequential/dense/bias/image", "sequential/dense/kernel/image", "sequential/dense_1/kernel/image",
    ]
    kernel = train.Images("sequential/dense/kernel/image")
    assert [e.step for e in kernel] == [0, 1, 2]
    assert (kernel[-1].height, kernel[-1].width) == (3, 4)  # (in, out) kernel, wider than tall: as is
    import io

    from matplotlib.image import imread

    pixels = imread(io.BytesIO(kernel[-1].encoded_image_string), format="png")
    assert pixels.shape[:2] == (3, 4)
    # Scaled from black (smallest weight) to white (largest).
    assert pixels[..., 0].min() == 0.0
    assert pixels[..., 0].max() == 1.0
    weights = model.layers[0].kernel.detach().cpu().numpy()
    assert np.argmax(pixels[..., 0]) == np.argmax(weights)
    bias = train.Images("sequential/dense/bias/image")[-1]
    assert (bias.height, bias.width) == (4, 1)


def test_graphs_are_written(fitted):
    log_dir, _, _ = fitted
    train = _read(log_dir / "train")
    # The Keras config, as Keras writes it for TensorBoard's conceptual graph.
    (event,) = train.Tensors("keras")
    assert event.step == 0
    config = json.loads(event.tensor_proto.string_val[0])
    assert config["class_name"] == "Sequential"
    assert [layer["config"]["name"] for layer in config["config"]["layers"]][1:] == ["dense", "dense_1"]
    # The op graph traced by torch.
    graph = train.Graph()
    assert len(graph.node) > 3
    assert any("dense" in node.name.lower() for node in graph.node)


def test_no_event_is_written_for_a_run_without_data(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path, write_graph=False)])
    assert os.listdir(tmp_path) == ["train"]  # no validation data: no validation run
    train = _read(tmp_path / "train")
    assert sorted(train.Tags()["scalars"]) == ["epoch_learning_rate", "epoch_loss", "epoch_mae"]
    assert train.Tags()["histograms"] == []
    assert train.Tags()["graph"] is False


# ============================================================================ batch values


def test_batch_values_every_update_freq_batches(tmp_path):
    x, y = _data(n=32)
    model = _model()
    seen = {}

    def record(batch, logs):
        seen[len(seen) + 1] = logs["loss"]

    recorder = layerwise.callbacks.LambdaCallback(on_train_batch_end=record)
    callback = TensorBoard(tmp_path, update_freq=2, write_graph=False, write_steps_per_second=True)
    model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0, callbacks=[recorder, callback])
    train = _read(tmp_path / "train")
    steps, values = _scalars(train, "batch_loss")
    # The batch counter runs over the whole fit, from 1; every second batch is written.
    assert steps == [2, 4, 6, 8]
    assert values == _float32([seen[s] for s in steps])
    assert _scalars(train, "batch_mae")[0] == [2, 4, 6, 8]
    speed_steps, speeds = _scalars(train, "batch_steps_per_second")
    assert speed_steps == [2, 4, 6, 8] and all(s > 0 for s in speeds)
    epoch_steps, epoch_speeds = _scalars(train, "epoch_steps_per_second")
    assert epoch_steps == [0, 1] and all(s > 0 for s in epoch_speeds)


def test_update_freq_batch_is_every_batch(tmp_path):
    x, y = _data(n=24)
    model = _model()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0,
              callbacks=[TensorBoard(tmp_path, update_freq="batch", write_graph=False)])
    assert _scalars(_read(tmp_path / "train"), "batch_loss")[0] == [1, 2, 3]


def test_epoch_values_are_written_whatever_the_batch_count(tmp_path):
    """3 batches an epoch with update_freq=2: every epoch still gets its values (Keras 3 drops the
    epoch values of an epoch whose last batch is not a multiple of update_freq)."""
    x, y = _data(n=24)
    model = _model()
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0,
                        callbacks=[TensorBoard(tmp_path, update_freq=2, histogram_freq=1, write_graph=False)])
    train = _read(tmp_path / "train")
    assert _scalars(train, "epoch_loss") == ([0, 1], _float32(history.history["loss"]))
    assert [e.step for e in train.Histograms("sequential/dense/kernel/histogram")] == [0, 1]
    assert _scalars(train, "batch_loss")[0] == [2, 4, 6]


def _exploding_logs():
    def read():
        raise AssertionError("the batch logs were read")

    return LazyLogs(read)


def test_epoch_updates_never_read_batch_logs():
    """With update_freq='epoch' a step never waits for the device: the lazy logs stay unread."""
    callback = TensorBoard("unused", update_freq="epoch")
    for batch in range(5):
        callback.on_train_batch_begin(batch, {})
        callback.on_train_batch_end(batch, _exploding_logs())


def test_batch_logs_are_read_only_on_written_batches(tmp_path):
    callback = TensorBoard(tmp_path, update_freq=3, write_graph=False)
    callback.set_model(_model())
    for batch in range(2):  # batches 1 and 2 are not written: their logs are never read
        callback.on_train_batch_begin(batch, {})
        callback.on_train_batch_end(batch, _exploding_logs())
    callback.on_train_batch_begin(2, {})
    callback.on_train_batch_end(2, LazyLogs(lambda: {"loss": 0.25}))
    callback.on_train_end({})
    assert _scalars(_read(tmp_path / "train"), "batch_loss") == ([3], [0.25])


# ============================================================================ evaluate, graphs, extras


def test_evaluate_writes_evaluation_values_at_the_iteration_count(tmp_path):
    x, y = _data(n=16)
    model = _model()
    callback = TensorBoard(tmp_path, write_graph=False)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[callback])
    result = model.evaluate(x, y, verbose=0, return_dict=True, callbacks=[callback])
    validation = _read(tmp_path / "validation")
    assert _scalars(validation, "evaluation_loss_vs_iterations") == ([4], _float32([result["loss"]]))
    assert _scalars(validation, "evaluation_mae_vs_iterations") == ([4], _float32([result["mae"]]))


def test_learning_rate_follows_a_schedule(tmp_path):
    x, y = _data(n=16)
    model = _model()
    model.compile(optimizer=layerwise.optimizers.SGD(0.1), loss="mse")
    scheduler = layerwise.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    model.fit(x, y, epochs=3, batch_size=8, verbose=0,
              callbacks=[scheduler, TensorBoard(tmp_path, write_graph=False)])
    assert _scalars(_read(tmp_path / "train"), "epoch_learning_rate") == ([0, 1, 2], _float32([0.1, 0.05, 0.1 / 3]))


def test_functional_and_subclassed_models_get_keras_weight_tags(tmp_path):
    inputs = layerwise.Input((3,))
    outputs = layerwise.layers.Dense(1, name="out")(layerwise.layers.Dense(2, name="hidden")(inputs))
    functional = layerwise.Model(inputs, outputs)
    functional.compile(optimizer="sgd", loss="mse")

    class Small(layerwise.Model):
        def __init__(self):
            super().__init__(name="small")
            self.dense = layerwise.layers.Dense(1, name="only")

        def call(self, x):
            return self.dense(x)

    subclassed = Small()
    subclassed.compile(optimizer="sgd", loss="mse")
    x, y = _data(n=8)
    for model, name in ((functional, "functional"), (subclassed, "subclassed")):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path / name, histogram_freq=1)])
    # As in Keras 3: a Functional model's layers are built outside the model's name scope.
    assert sorted(_read(tmp_path / "functional" / "train").Tags()["histograms"]) == [
        "hidden/bias/histogram", "hidden/kernel/histogram", "out/bias/histogram", "out/kernel/histogram",
    ]
    subclassed_run = _read(tmp_path / "subclassed" / "train")
    assert sorted(subclassed_run.Tags()["histograms"]) == ["small/only/bias/histogram", "small/only/kernel/histogram"]
    assert len(subclassed_run.Graph().node) > 0  # traced from the shape it was built with


def test_multi_input_model_graph_is_traced(tmp_path):
    a, b = layerwise.Input((3,)), layerwise.Input((2,))
    outputs = layerwise.layers.Dense(1)(layerwise.layers.Concatenate()([a, b]))
    model = layerwise.Model([a, b], outputs)
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tracing chatter must not leak out
        model.fit([rng.normal(size=(8, 3)), rng.normal(size=(8, 2))], rng.normal(size=(8, 1)), epochs=1,
                  verbose=0, callbacks=[TensorBoard(tmp_path)])
    assert any("concatenate" in node.name.lower() for node in _read(tmp_path / "train").Graph().node)


def test_a_graph_that_cannot_be_traced_costs_one_warning(tmp_path, monkeypatch):
    from torch.utils.tensorboard import SummaryWriter

    def fail(self, model, inputs=None, *args, **kwargs):
        raise RuntimeError("tracer says no\nsecond line")

    monkeypatch.setattr(SummaryWriter, "add_graph", fail)
    x, y = _data(n=8)
    model = _model()
    with pytest.warns(UserWarning) as caught:
        history = model.fit(x, y, epochs=2, verbose=0, callbacks=[TensorBoard(tmp_path)])
    messages = [str(w.message) for w in caught if "TensorBoard" in str(w.message)]
    assert messages == [
        ("TensorBoard: the op graph of model 'sequential' could not be traced (RuntimeError: tracer says no); "
         "it is not written. Metrics, histograms and the Keras graph are unaffected.")
    ]
    assert _scalars(_read(tmp_path / "train"), "epoch_loss")[1] == _float32(history.history["loss"])


def test_embeddings_for_the_projector(tmp_path):
    metadata = tmp_path / "words.tsv"
    metadata.write_text("".join(f"word{i}\n" for i in range(10)))
    inputs = layerwise.Input((4,), dtype="int32")
    embedded = layerwise.layers.Embedding(10, 3, name="words")(inputs)
    model = layerwise.Model(inputs, layerwise.layers.Dense(1)(layerwise.layers.Flatten()(embedded)))
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    callback = TensorBoard(tmp_path / "logs", embeddings_freq=2, embeddings_metadata={"words": str(metadata)})
    model.fit(rng.integers(0, 10, size=(8, 4)), rng.normal(size=(8, 1)), epochs=3, verbose=0, callbacks=[callback])
    train = tmp_path / "logs" / "train"
    config = (train / "projector_config.pbtxt").read_text()
    assert config.count("embeddings {") == 2  # epochs 0 and 2
    assert 'tensor_name: "words:00002"' in config
    rows = (train / "00002" / "words" / "tensors.tsv").read_text().splitlines()
    final = model.get_layer("words").embeddings.detach().cpu().numpy()
    np.testing.assert_allclose(np.array([row.split("\t") for row in rows], dtype="float32"), final, rtol=1e-5)
    labels = (train / "00002" / "words" / "metadata.tsv").read_text().splitlines()
    assert labels == [f"word{i}" for i in range(10)]


def _embedding_model():
    inputs = layerwise.Input((2,), dtype="int32")
    embedded = layerwise.layers.Embedding(5, 2, name="emb")(inputs)
    model = layerwise.Model(inputs, layerwise.layers.Dense(1)(layerwise.layers.Flatten()(embedded)))
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_embeddings_metadata_errors(tmp_path):
    model = _embedding_model()
    x, y = np.zeros((4, 2), dtype="int64"), np.zeros((4, 1))
    short = tmp_path / "short.tsv"
    short.write_text("a\nb\n")
    with pytest.raises(ValueError) as error:
        model.fit(x, y, verbose=0, callbacks=[TensorBoard(tmp_path, embeddings_freq=1, embeddings_metadata=str(short))])
    assert str(error.value) == (
        f"TensorBoard: the metadata file {str(short)!r} for Embedding 'emb' has 2 labels; the layer has "
        "input_dim=5 rows and needs one label per row (one per line, or a header line then one "
        "tab-separated row per line)."
    )
    with pytest.raises(ValueError) as error:
        model.fit(x, y, verbose=0, callbacks=[TensorBoard(tmp_path, embeddings_freq=1,
                                                          embeddings_metadata={"emb": str(short), "other": "x"})])
    assert str(error.value) == (
        "TensorBoard: `embeddings_metadata` names ['other'], which are not Embedding layers of the model; "
        "its Embedding layers are ['emb']."
    )
    with pytest.raises(FileNotFoundError) as error:
        model.fit(x, y, verbose=0, callbacks=[TensorBoard(tmp_path, embeddings_freq=1,
                                                          embeddings_metadata="missing.tsv")])
    assert str(error.value) == (
        "TensorBoard: the embeddings metadata file 'missing.tsv' does not exist (looked in the current "
        f"directory and in log_dir {str(tmp_path)!r})."
    )


def test_profile_batch_writes_a_torch_profiler_trace(tmp_path):
    x, y = _data(n=32)
    model = _model()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0,
              callbacks=[TensorBoard(tmp_path, profile_batch=(2, 3), write_graph=False)])
    (trace,) = glob.glob(str(tmp_path / "train" / "*.pt.trace.json"))
    with open(trace) as f:
        events = json.load(f)["traceEvents"]
    names = {event.get("name") for event in events}
    assert {"train_batch_1", "train_batch_2"} <= names  # global batches 2 and 3
    assert "train_batch_0" not in names and "train_batch_3" not in names


def test_values_that_are_not_one_number_are_skipped_with_one_warning(tmp_path):
    callback = TensorBoard(tmp_path, write_graph=False)
    callback.set_model(_model())
    callback.on_train_begin({})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for epoch in range(2):
            callback.on_epoch_end(epoch, {"loss": 0.5, "f1_score": np.array([0.1, 0.2])})
    callback.on_train_end({})
    assert [str(w.message) for w in caught] == [
        ("TensorBoard: the logged value 'f1_score' is not a single number (ndarray); it is not written to "
         "TensorBoard.")
    ]
    assert sorted(_read(tmp_path / "train").Tags()["scalars"]) == ["epoch_learning_rate", "epoch_loss"]


# ============================================================================ weight images


def test_weight_image_shapes():
    assert _weight_image(np.arange(5.0)).shape == (1, 5, 1, 1)  # bias: one column
    assert _weight_image(np.zeros((2, 6))).shape == (1, 2, 6, 1)
    assert _weight_image(np.zeros((6, 2))).shape == (1, 2, 6, 1)  # taller than wide: transposed
    assert _weight_image(np.zeros((3, 4, 5))).shape == (5, 3, 4, 1)  # Conv1D: one image per filter
    assert _weight_image(np.zeros((3, 3, 3, 8))).shape == (8, 3, 3, 3)  # RGB first-layer filters
    assert _weight_image(np.zeros((3, 3, 1, 4))).shape == (4, 3, 3, 1)
    assert _weight_image(np.zeros((3, 3, 8, 8))) is None
    assert _weight_image(np.zeros((1,))) is None  # a scalar, as Keras skips it
    image = _weight_image(np.array([[-1.0, 0.0, 3.0]]))
    assert image.dtype == np.uint8 and image.reshape(-1).tolist() == [0, 64, 255]
    assert _weight_image(np.full((2, 2), 7.0)).reshape(-1).tolist() == [128] * 4


# ============================================================================ arguments


def test_defaults_are_keras_defaults():
    callback = TensorBoard()
    assert (callback.log_dir, callback.histogram_freq, callback.write_graph, callback.write_images,
            callback.write_steps_per_second, callback.update_freq, callback.profile_batch,
            callback.embeddings_freq, callback.embeddings_metadata) == (
        "logs", 0, True, False, False, "epoch", 0, 0, None)
    assert TensorBoard(update_freq="batch").update_freq == 1
    assert (TensorBoard(profile_batch="2,4")._start_batch, TensorBoard(profile_batch="2,4")._stop_batch) == (2, 4)
    assert layerwise.callbacks.TensorBoard is TensorBoard


@pytest.mark.parametrize("kwargs, message", [
    ({"log_dir": 3}, "TensorBoard: `log_dir` must be a path (str or os.PathLike); got log_dir=3."),
    ({"histogram_freq": -1},
     ("TensorBoard: `histogram_freq` must be an integer >= 0 (a number of epochs; 0 turns it off); "
      "got histogram_freq=-1.")),
    ({"embeddings_freq": 0.5},
     ("TensorBoard: `embeddings_freq` must be an integer >= 0 (a number of epochs; 0 turns it off); "
      "got embeddings_freq=0.5.")),
    ({"update_freq": "often"},
     ("TensorBoard: `update_freq` must be 'epoch', 'batch' or a positive integer (write the batch values "
      "every that many batches); got update_freq='often'.")),
    ({"update_freq": 0},
     ("TensorBoard: `update_freq` must be 'epoch', 'batch' or a positive integer (write the batch values "
      "every that many batches); got update_freq=0.")),
    ({"profile_batch": (5, 2)},
     ("TensorBoard: `profile_batch` must be a non-negative integer (the batch to profile, counted from 1; "
      "0 turns profiling off) or a pair of positive integers (start, stop) such as (10, 20); "
      "got profile_batch=(5, 2).")),
    ({"profile_batch": "a,b"},
     ("TensorBoard: `profile_batch` must be a non-negative integer (the batch to profile, counted from 1; "
      "0 turns profiling off) or a pair of positive integers (start, stop) such as (10, 20); "
      "got profile_batch='a,b'.")),
    ({"embeddings_metadata": 5},
     ("TensorBoard: `embeddings_metadata` must be a path (one metadata file for every Embedding layer) or "
      "a dict {layer name: path}; got embeddings_metadata=5.")),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError) as error:
        TensorBoard(**kwargs)
    assert str(error.value) == message


def test_missing_tensorboard_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(ImportError) as error:
        TensorBoard()
    assert str(error.value).startswith(
        "TensorBoard needs the tensorboard package, which is not installed: pip install tensorboard "
        "(or pip install 'layerwise[tensorboard]')."
    )


# ============================================================================ the tensorboard program


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get_json(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read().decode("utf-8"))


def test_tensorboard_program_serves_the_scalars(fitted):
    log_dir, _, history = fitted
    program = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    command = [program] if os.path.exists(program) else [sys.executable, "-m", "tensorboard.main"]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        command + ["--logdir", str(log_dir), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        tags = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"tensorboard exited with {process.returncode}: {process.stderr.read().decode()[-2000:]}")
            try:
                tags = _get_json(f"{base}/data/plugin/scalars/tags")
                if "epoch_loss" in tags.get("train", {}) and "epoch_loss" in tags.get("validation", {}):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
                pass
            time.sleep(0.5)
        else:
            pytest.fail(f"tensorboard did not serve the runs within 120 s; last tags: {tags}")
        assert {"epoch_loss", "epoch_mae", "epoch_learning_rate"} <= set(tags["train"])
        for run, key in (("train", "loss"), ("validation", "val_loss")):
            points = _get_json(f"{base}/data/plugin/scalars/scalars?run={run}&tag=epoch_loss")
            assert [step for _, step, _ in points] == [0, 1, 2]
            assert [value for _, _, value in points] == _float32(history.history[key])
        histograms = _get_json(f"{base}/data/plugin/histograms/tags")
        assert "sequential/dense/kernel/histogram" in histograms["train"]
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        process.stderr.close()


def test_torch_module_api_is_untouched_by_graph_tracing(tmp_path):
    """Tracing the graph runs the model in inference mode; training flags and RNG state stay as they were."""
    x, y = _data(n=8)
    model = _model()
    model.fit(x, y, epochs=1, verbose=0)  # build and warm up
    state = torch.random.get_rng_state()
    flags = [m.training for m in model.modules()]
    callback = TensorBoard(tmp_path)
    callback.set_model(model)
    callback.on_train_begin({})
    callback.on_train_end({})
    assert torch.equal(torch.random.get_rng_state(), state)
    assert [m.training for m in model.modules()] == flags
