"""One tab's Playground session: commands, the original's reset rules, frames and the worker."""

import json
import queue
import time

import numpy as np
import pytest
import torch

from layerwise.playground import data, state
from layerwise.playground import session as session_module
from layerwise.playground.session import GRID, THUMB, Session


@pytest.fixture(autouse=True)
def one_thread():
    # Tiny networks: one thread per operation, as the server runs them.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def decode(frame, shape):
    """The frame's fields, decoded as the page decodes them."""
    header = np.frombuffer(frame, dtype="<i4", count=8)
    floats = np.frombuffer(frame, dtype="<f4", offset=32)
    new_losses, weight_count = int(header[5]), int(header[6])
    offset = 2
    losses = floats[offset:offset + 2 * new_losses].reshape(-1, 2)
    offset += 2 * new_losses
    weights = floats[offset:offset + weight_count]
    offset += weight_count
    heatmap = floats[offset:offset + GRID * GRID].reshape(GRID, GRID)
    offset += GRID * GRID
    neurons = sum(shape[1:])
    thumbs = floats[offset:].reshape(neurons, THUMB, THUMB)
    return {"version": int(header[0]), "net": int(header[1]), "seq": int(header[2]), "epoch": int(header[3]),
            "playing": bool(header[4]), "losses": losses, "weights": weights, "heatmap": heatmap,
            "thumbs": thumbs, "selected": int(header[7]), "loss_train": float(floats[0]),
            "loss_test": float(floats[1])}


class Recorder:
    def __init__(self):
        self.messages = []

    def __call__(self, message):
        self.messages.append(message)

    def states(self):
        return [json.loads(m) for m in self.messages if isinstance(m, str)]

    def frames(self):
        return [m for m in self.messages if isinstance(m, bytes)]


def make(fragment="dataset=circle&networkShape=4,2&seed=0.14370"):
    recorder = Recorder()
    return Session(fragment, send=recorder), recorder


def test_hello_sends_state_points_thumbnails_and_a_frame():
    session, sent = make()
    session.handle({"type": "hello"})
    (message,), (frame,) = sent.states(), sent.frames()
    assert message["type"] == "state" and message["shape"] == [2, 4, 2, 1]
    assert message["hash"] == state.serialize(session.state)
    assert len(message["points"]["train"]) == 250 and len(message["points"]["test"]) == 250
    assert set(message["thumbnails"]) == {"circle", "xor", "gauss", "spiral", "reg-plane", "reg-gauss"}
    assert message["features"] == ["x", "y"] and message["epoch"] == 0
    decoded = decode(frame, session.shape)
    assert decoded["version"] == 1 and decoded["epoch"] == 0 and decoded["selected"] == -1
    assert decoded["losses"].shape == (1, 2)  # the initial losses
    assert decoded["weights"].size == 2 * 4 + 4 + 4 * 2 + 2 + 2 * 1 + 1
    assert decoded["thumbs"].shape == (7, THUMB, THUMB)


def test_the_frame_holds_the_models_values():
    session, sent = make()
    session.handle({"type": "hello"})
    decoded = decode(sent.frames()[-1], session.shape)
    flat = np.concatenate([w.reshape(-1) for w in session.model.get_weights()])
    np.testing.assert_array_equal(decoded["weights"], flat)
    grid = session_module.grid_points()
    # The heatmap's top-left corner is (-6, 6), its bottom-right (6, -6).
    assert tuple(grid[0]) == (-6.0, 6.0) and tuple(grid[-1]) == (6.0, -6.0)
    inputs = data.features(grid[[0, GRID - 1, GRID * GRID - 1]], ["x", "y"])
    expected = session.model.predict(inputs, verbose=0)[:, 0]
    np.testing.assert_allclose(decoded["heatmap"][[0, 0, -1], [0, -1, -1]], expected, atol=1e-6)
    # A thumbnail is the grid averaged over 10 x 10 blocks.
    output_thumb = decoded["thumbs"][-1]
    np.testing.assert_allclose(output_thumb[0, 0], decoded["heatmap"][:10, :10].mean(), atol=1e-5)


def test_step_trains_one_epoch_and_the_losses_fall():
    session, sent = make("dataset=circle&networkShape=4,2&seed=0.14370&learningRate=0.1")
    first = session.loss_test
    session.handle({"type": "step"})
    assert session.epoch == 1 and len(session.loss_history) == 2
    for _ in range(80):
        session.train_epoch()
    assert session.epoch == 81
    assert session.loss_test < first / 4
    frame = decode(sent.frames()[-1], session.shape)
    assert frame["epoch"] == 1


def test_chunks_make_the_same_updates_as_whole_epochs():
    whole, _ = make("dataset=xor&networkShape=3&seed=0.5&batchSize=7")
    chunked, _ = make("dataset=xor&networkShape=3&seed=0.5&batchSize=7")
    whole.train_epoch()
    chunked._step_seconds = 1.0
    chunks = 0
    while not chunked.train_chunk(0.0):  # no time at all: one batch per chunk
        chunks += 1
    assert chunks == 250 // 7  # 36 batches: 35 chunks before the last
    for a, b in zip(whole.model.get_weights(), chunked.model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert chunked.epoch == whole.epoch == 1


def test_learning_rate_changes_without_a_reset():
    session, sent = make()
    session.handle({"type": "step"})
    version = session.net_version
    session.handle({"type": "set", "key": "learningRate", "value": 0.3})
    assert session.net_version == version and session.epoch == 1
    assert float(session.model.optimizer.learning_rate) == pytest.approx(0.3)
    assert "learningRate=0.3" in sent.states()[-1]["hash"]


@pytest.mark.parametrize("key, value", [
    ("activation", "relu"), ("batchSize", 20), ("networkShape", [8, 8]), ("regularization", "L2"),
    ("regularizationRate", 0.01), ("xSquared", True), ("y_hide", True),
])
def test_network_settings_reset_the_network(key, value):
    session, sent = make()
    session.handle({"type": "step"})
    seed, points = session.state["seed"], session.split.train_points.copy()
    version = session.net_version
    session.handle({"type": "set", "key": key, "value": value})
    assert session.net_version == version + 1 and session.epoch == 0 and not session.playing
    assert session.state["seed"] == seed and np.array_equal(session.split.train_points, points)
    message = sent.states()[-1]
    assert message["state"][key] == value and "points" not in message


@pytest.mark.parametrize("key, value", [
    ("dataset", "spiral"), ("noise", 20), ("percTrainData", 70), ("problem", "regression"),
])
def test_data_settings_regenerate_with_a_new_seed_and_reset(key, value):
    session, sent = make()
    seed, version = session.state["seed"], session.net_version
    session.handle({"type": "set", "key": key, "value": value})
    assert session.state["seed"] != seed and session.net_version == version + 1
    message = sent.states()[-1]
    assert "points" in message and message["state"]["seed"] == session.state["seed"]
    # The new seed is the old stream's next number (the original's Math.random().toFixed(5)).
    assert len(session.state["seed"]) == 7
    expected = data.make_dataset(state.current_dataset(session.state), noise=session.state["noise"],
                                 percent_train=session.state["percTrainData"], seed=session.state["seed"])
    assert np.array_equal(session.split.train_points, expected.train_points)


def test_regenerate_keeps_the_network():
    session, sent = make()
    session.handle({"type": "step"})
    weights = [w.copy() for w in session.model.get_weights()]
    seed = session.state["seed"]
    session.handle({"type": "regenerate"})
    assert session.state["seed"] != seed and session.epoch == 1
    for a, b in zip(weights, session.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert "points" in sent.states()[-1]


def test_a_page_setting_changes_only_the_state():
    session, sent = make()
    version = session.net_version
    session.handle({"type": "set", "key": "discretize", "value": True})
    session.handle({"type": "set", "key": "playButton_hide", "value": True})
    assert session.net_version == version
    assert sent.states()[-1]["hash"].endswith("discretize=true&percTrainData=50&x=true&y=true&xTimesY=false"
                                              "&xSquared=false&ySquared=false&cosX=false&sinX=false&cosY=false"
                                              "&sinY=false&collectStats=false&problem=classification"
                                              "&initZero=false&hideText=false&playButton_hide=true")


@pytest.mark.parametrize("command, notice", [
    ({"type": "set", "key": "learningRate", "value": 50},
     "learningRate=50 is out of range (0.00001 to 10); the setting was not changed."),
    ({"type": "set", "key": "networkShape", "value": [4, 9]},
     "networkShape=4,9: each layer needs 1 to 8 neurons; the setting was not changed."),
    ({"type": "set", "key": "shape", "value": 1}, "Unknown setting 'shape'; the setting was not changed."),
    ({"type": "set", "key": "seed", "value": "0.1"},
     "The seed changes with Regenerate or a new link; the setting was not changed."),
    ({"type": "set", "key": "x", "value": False}, None),
    ({"type": "set", "key": "x_hide", "value": True}, None),
    ({"type": "fly"}, "Unknown command 'fly' ignored."),
])
def test_bad_commands_become_notices(command, notice):
    session, sent = make("networkShape=2&x=true&y=false")
    before = dict(session.state)
    session.handle(command)
    message = sent.states()[-1]
    if notice is None:  # switching off the last feature
        notice = "The network needs at least one input feature."
    assert message["notices"] == [notice]
    assert session.state == before


def test_select_shows_a_hidden_neuron():
    session, sent = make()
    session.handle({"type": "select", "node": 2})
    frame = decode(sent.frames()[-1], session.shape)
    assert frame["selected"] == 2
    with torch.no_grad():
        outputs = session.model.layers[0](session.x_grid[:3]).numpy()
    np.testing.assert_allclose(frame["heatmap"].reshape(-1)[:3], outputs[:, 2], atol=1e-6)
    session.handle({"type": "select", "node": 99})  # out of range: ignored
    assert session.selected == 2
    session.handle({"type": "select", "node": None})
    assert decode(sent.frames()[-1], session.shape)["selected"] == -1


def test_url_notices_are_sent_once():
    session, sent = make("learningRate=20&wat=1")
    session.handle({"type": "hello"})
    session.handle({"type": "play"})
    first, second = sent.states()
    assert first["notices"] == ["learningRate=20 is out of range (0.00001 to 10); using 0.03.",
                                "Unknown setting 'wat' ignored."]
    assert second["notices"] == []


def test_the_exported_script_describes_the_session():
    session, _ = make("dataset=xor&networkShape=5&activation=relu&seed=0.33333&learningRate=0.1"
                      "&regularization=L2&regularizationRate=0.003&batchSize=7&xTimesY=true")
    for _ in range(3):
        session.train_epoch()
    source = session.export_script()
    compile(source, "playground_model.py", "exec")
    assert 'DATASET = "xor"' in source and 'SEED = "0.33333"' in source
    assert 'FEATURES = ["x", "y", "xTimesY"]' in source and "BATCH_SIZE = 7" in source
    assert "EPOCHS = 3" in source and "LEARNING_RATE = 0.1" in source
    assert "keras.layers.Dense(5, activation=\"relu\"" in source
    assert "keras.layers.Dense(1, activation=\"tanh\"" in source
    assert "penalty = keras.regularizers.L2(0.0015)" in source
    assert 'loss="mean_squared_error", loss_weights=0.5' in source


# ------------------------------------------------------------------ the worker thread


def test_the_worker_trains_while_playing_and_stops_when_closed():
    frames = queue.Queue()
    states = []

    def send(message):
        (frames.put if isinstance(message, bytes) else states.append)(message)

    session = Session("dataset=circle&networkShape=4,2&seed=0.5", send=send).start()
    try:
        first = decode(frames.get(timeout=10), session.shape)
        assert first["epoch"] == 0
        session.submit({"type": "ack", "seq": first["seq"]})
        session.submit({"type": "play"})
        seen = first
        deadline = time.monotonic() + 30
        while seen["epoch"] < 5 and time.monotonic() < deadline:
            seen = decode(frames.get(timeout=10), session.shape)
            session.submit({"type": "ack", "seq": seen["seq"]})
        assert seen["epoch"] >= 5 and seen["playing"]
        # Without acknowledgements the worker trains one epoch ahead at most, then waits.
        time.sleep(0.5)
        while not frames.empty():
            frames.get_nowait()
        epoch = session.epoch
        time.sleep(0.5)
        assert session.epoch <= epoch + 1
        # Work asked of the worker (an export) runs between epochs.
        assert "Sequential" in session.call(lambda s: s.export_script()).result(timeout=10)
    finally:
        session.close()
    assert not session.alive
    with pytest.raises(RuntimeError, match="The Playground session has ended."):
        session.call(lambda s: None).result(timeout=1)
