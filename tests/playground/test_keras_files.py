"""Export to and import from ``.keras`` files: the page's network leaves and comes back.

These use layerwise's ``.keras`` support: ``model.save("x.keras")`` and
``layerwise.models.load_model(path, safe_mode=True)``. Without it they fail
with an ImportError or AttributeError naming what is missing.
"""

import io
import json
import os
import re
import warnings
import zipfile

import numpy as np
import pytest
import torch

import layerwise as keras
from layerwise.models import load_model  # the .keras loader these tests need
from layerwise.playground import network
from layerwise.playground.screenshots import wait_for
from layerwise.playground.session import Session

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from starlette.testclient import TestClient

from layerwise.playground import server as server_module


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def trained_session(fragment="dataset=circle&networkShape=4,2&seed=0.5&learningRate=0.1", epochs=20):
    session = Session(fragment)
    for _ in range(epochs):
        session.train_epoch()
    return session


def loader_message(tmp_path, payload, name):
    """What ``load_model`` itself says about ``payload`` saved as ``name``."""
    folder = tmp_path / "loader"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(payload)
    with pytest.raises(Exception) as refused:
        load_model(str(path), safe_mode=True)
    return str(refused.value).replace(str(folder) + os.sep, "")


def test_export_gives_a_keras_file_that_load_model_opens(tmp_path):
    session = trained_session()
    payload = session.export_keras()
    assert zipfile.is_zipfile(io.BytesIO(payload))
    path = tmp_path / "playground_model.keras"
    path.write_bytes(payload)
    restored = load_model(str(path), safe_mode=True)
    x = session.x_test.numpy()
    np.testing.assert_allclose(restored.predict(x, verbose=0), session.model.predict(x, verbose=0), atol=1e-6)
    assert network.describe(restored) == (2, [4, 2], "tanh", "classification", "none", 0)
    config = json.loads(zipfile.ZipFile(io.BytesIO(payload)).read("config.json"))
    assert config["class_name"] == "Sequential"


def test_import_loads_the_network_and_its_weights():
    source = trained_session("dataset=xor&networkShape=5,3&activation=relu&seed=0.2&regularization=L2"
                             "&regularizationRate=0.01", epochs=5)
    target = Session("dataset=xor&networkShape=&seed=0.2")
    summary = target.import_keras(source.export_keras(), "xor.keras")
    assert summary == "Imported xor.keras: 2 inputs, hidden layers 5-3, relu, classification; weights loaded."
    assert target.state["networkShape"] == [5, 3] and target.state["activation"] == "relu"
    assert target.state["regularization"] == "L2" and target.state["regularizationRate"] == pytest.approx(0.01)
    for a, b in zip(source.model.get_weights(), target.model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert target.epoch == 0 and target.loss_test == pytest.approx(source.loss_test, abs=1e-6)


def test_import_switches_to_regression_for_a_linear_output(tmp_path):
    model = network.build_model(2, [3], activation="tanh", problem="regression")
    path = tmp_path / "plane.keras"
    model.save(str(path))
    session = Session("dataset=circle&seed=0.3")
    session.import_keras(path.read_bytes(), "plane.keras")
    assert session.state["problem"] == "regression" and len(session.split.train_labels) == 600


def test_a_file_that_is_not_a_model_is_refused_with_the_loaders_message(tmp_path):
    session = Session("seed=0.1")
    for payload in (b"not a zip at all", b"PK\x03\x04 truncated"):
        expected = loader_message(tmp_path, payload, "bad.keras")
        with pytest.raises(ValueError) as refused:
            session.import_keras(payload, "bad.keras")
        assert str(refused.value) == expected
    assert session.state["networkShape"] == [4, 2]


def test_a_model_the_playground_cannot_draw_is_refused(tmp_path):
    wide = keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(3, activation="tanh"),
                             keras.layers.Dense(1, activation="tanh")])
    path = tmp_path / "wide.keras"
    wide.save(str(path))
    session = Session("seed=0.1")
    with pytest.raises(ValueError) as refused:
        session.import_keras(path.read_bytes(), "wide.keras")
    assert str(refused.value) == ("wide.keras takes 5 inputs; the Playground feeds it 2 (X1, X2) or the 2 "
                                  "features selected on the page.")
    softmax = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3, activation="softmax")])
    path = tmp_path / "softmax.keras"
    softmax.save(str(path))
    with pytest.raises(ValueError) as refused:
        session.import_keras(path.read_bytes(), "softmax.keras")
    assert str(refused.value) == "The output layer 'dense_2' has 3 units; the Playground's has 1."


def test_export_and_import_endpoints(tmp_path):
    app = server_module.create_app()
    with TestClient(app) as client, client.websocket_connect("/ws") as first, \
            client.websocket_connect("/ws") as second:
        first.send_text(json.dumps({"type": "hello", "hash": "dataset=gauss&networkShape=3&seed=0.4"}))
        state_a = json.loads(first.receive_text())
        first.receive_bytes()
        second.send_text(json.dumps({"type": "hello", "hash": "dataset=gauss&networkShape=6,6&seed=0.4"}))
        state_b = json.loads(second.receive_text())
        second.receive_bytes()
        exported = client.get(f"/api/sessions/{state_a['session']}/export.keras")
        assert exported.status_code == 200
        assert exported.headers["content-disposition"] == 'attachment; filename="playground_model.keras"'
        response = client.post(f"/api/sessions/{state_b['session']}/import?filename=mine.keras",
                               content=exported.content)
        assert response.status_code == 200
        assert response.json() == {"message": "Imported mine.keras: 2 inputs, hidden layers 3, tanh, "
                                              "classification; weights loaded."}
        update = json.loads(second.receive_text())
        assert update["shape"] == [2, 3, 1] and update["notices"] == [response.json()["message"]]
        refused = client.post(f"/api/sessions/{state_b['session']}/import?filename=junk.keras",
                              content=b"junk")
        assert refused.status_code == 400
        assert refused.json() == {"error": "junk.keras was not loaded: "
                                           + loader_message(tmp_path, b"junk", "junk.keras")}


def test_export_and_import_in_the_page(page, server, tmp_path):
    page.goto(server.url + "#dataset=circle&networkShape=3&seed=0.14370")
    wait_for(page, "() => window.playgroundStats.framesDrawn > 0", 30)
    with page.expect_download() as download:
        page.click("#export-keras")
    saved = tmp_path / "from_page.keras"
    download.value.save_as(str(saved))
    assert network.describe(load_model(str(saved), safe_mode=True))[1] == [3]
    # Import a different network: the page redraws it.
    model = network.build_model(2, [6, 5, 4], activation="sigmoid", problem="classification")
    other = tmp_path / "deeper.keras"
    model.save(str(other))
    page.set_input_files("#import-file", str(other))
    wait_for(page, "() => location.hash.includes('networkShape=6,5,4')", 20)
    assert page.locator("#num-layers").inner_text() == "3"
    assert page.locator("#activations").input_value() == "sigmoid"
    page.wait_for_selector("#notices:not([hidden])", timeout=10000)
    assert ("Imported deeper.keras: 2 inputs, hidden layers 6-5-4, sigmoid, classification; weights loaded."
            in page.locator("#notice-list").inner_text())
    # A file that is not a model: the loader's message on the page, nothing changed.
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"this is not a model")
    expected = "junk.keras was not loaded: " + loader_message(tmp_path, junk.read_bytes(), "junk.keras")
    page.set_input_files("#import-file", str(junk))
    wait_for(page, "(text) => document.getElementById('notice-list').innerText.includes(text)", 20, expected)
    assert "networkShape=6,5,4" in page.url
    page.screenshot(path=str(tmp_path / "import-refused.png"))
    assert re.search(r"not loaded", page.locator("#notice-list").inner_text())
