"""The Playground's web server: the page, its files only, WebSocket sessions, export and import limits."""

import http.client
import json
import threading
import time
import urllib.request
import warnings

import numpy as np
import pytest
import torch

with warnings.catch_warnings():
    # Starlette 1.x suggests another HTTP client for its TestClient; httpx still works.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from layerwise.playground import server as server_module
from layerwise.playground.screenshots import ServerProcess
from layerwise.playground.session import MAX_IMPORT_BYTES


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def client():
    app = server_module.create_app()
    with TestClient(app) as test_client:
        yield test_client
    assert len(app.state.sessions) == 0


def open_session(ws, fragment="dataset=circle&networkShape=4,2&seed=0.5"):
    ws.send_text(json.dumps({"type": "hello", "hash": fragment}))
    state = json.loads(ws.receive_text())
    frame = ws.receive_bytes()
    return state, frame


def header(frame):
    values = np.frombuffer(frame, dtype="<i4", count=8)
    return {"net": int(values[1]), "seq": int(values[2]), "epoch": int(values[3])}


def playground_threads():
    return [t for t in threading.enumerate() if t.name.startswith("playground-")]


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# ------------------------------------------------------------------ the page and its files


def test_the_page_and_its_files_are_served_with_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/static/playground.js" defer></script>' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    script = client.get("/static/playground.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert client.get("/static/playground.css").headers["content-type"].startswith("text/css")
    # No file of the page is fetched from anywhere else.
    for name in ("index.html", "playground.js", "playground.css"):
        text = client.get("/static/" + name).text
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text


@pytest.mark.parametrize("path", [
    "/static/..%2Fserver.py", "/static/%2e%2e%2fserver.py", "/static/..%5Cserver.py", "/static/__init__.py",
    "/static/", "/static/%2e%2e", "/static/.%2e/session.py", "/static/playground.js%00.html",
    "/static//etc/passwd", "/static/%2Fetc%2Fpasswd", "/server.py", "/../layerwise/playground/server.py",
])
def test_nothing_outside_the_static_folder_is_served(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "def create_app" not in response.text and "root:" not in response.text


def test_only_regular_files_directly_in_the_static_folder_are_listed(tmp_path):
    (tmp_path / "index.html").write_text("<p>hi</p>")
    (tmp_path / "notes.txt").write_text("not a page file")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.js").write_text("1")
    (tmp_path / "link.js").symlink_to(tmp_path / "sub" / "x.js")
    assert sorted(server_module.static_files(str(tmp_path))) == ["index.html"]


def test_a_foreign_host_name_is_refused_when_hosts_are_restricted():
    app = server_module.create_app(allowed_hosts={"127.0.0.1", "localhost"})
    with TestClient(app, base_url="http://evil.example") as foreign:
        response = foreign.get("/")
        assert response.status_code == 400 and response.json() == {"error": "Unknown host."}
    with TestClient(app, base_url="http://127.0.0.1:8090") as local:
        assert local.get("/").status_code == 200


# ------------------------------------------------------------------ sessions over the WebSocket


def test_a_session_trains_streams_frames_and_ends_with_its_socket(client):
    with client.websocket_connect("/ws") as ws:
        state, frame = open_session(ws)
        assert state["type"] == "state" and state["shape"] == [2, 4, 2, 1]
        assert len(client.app.state.sessions) == 1
        ws.send_text(json.dumps({"type": "ack", "seq": header(frame)["seq"]}))
        ws.send_text(json.dumps({"type": "play"}))
        epoch, deadline = 0, time.monotonic() + 30
        while epoch < 3 and time.monotonic() < deadline:
            message = ws.receive()
            if message.get("bytes") is not None:
                info = header(message["bytes"])
                epoch = info["epoch"]
                ws.send_text(json.dumps({"type": "ack", "seq": info["seq"]}))
        assert epoch >= 3
    # The tab is gone: its session and its worker stop.
    assert wait_until(lambda: len(client.app.state.sessions) == 0)
    assert wait_until(lambda: not playground_threads())


def test_tabs_have_their_own_sessions(client):
    with client.websocket_connect("/ws") as first, client.websocket_connect("/ws") as second:
        state_a, _ = open_session(first, "dataset=xor&seed=0.1")
        state_b, _ = open_session(second, "dataset=spiral&seed=0.2")
        assert state_a["session"] != state_b["session"]
        first.send_text(json.dumps({"type": "set", "key": "networkShape", "value": [3]}))
        changed = json.loads(first.receive_text())
        assert changed["shape"] == [2, 3, 1]
        second.send_text(json.dumps({"type": "pause"}))
        second.send_text(json.dumps({"type": "set", "key": "discretize", "value": True}))
        unchanged = json.loads(second.receive_text())
        assert unchanged["shape"] == [2, 4, 2, 1] and unchanged["state"]["dataset"] == "spiral"
        assert len(client.app.state.sessions) == 2


def test_bad_url_settings_come_back_as_notices(client):
    with client.websocket_connect("/ws") as ws:
        state, _ = open_session(ws, "learningRate=100&networkShape=4,20&bogus=1&dataset=xor")
        assert state["notices"] == [
            "learningRate=100 is out of range (0.00001 to 10); using 0.03.",
            "networkShape=4,20: each layer needs 1 to 8 neurons; using 4,2.",
            "Unknown setting 'bogus' ignored.",
        ]
        assert state["state"]["dataset"] == "xor" and "bogus" not in state["hash"]


def test_a_page_from_another_site_cannot_open_a_session(client):
    with pytest.raises(WebSocketDisconnect), \
            client.websocket_connect("/ws", headers={"origin": "http://evil.example"}) as ws:
        ws.receive_text()
    assert len(client.app.state.sessions) == 0


def test_the_number_of_sessions_is_limited():
    app = server_module.create_app(max_sessions=1)
    with TestClient(app) as limited, limited.websocket_connect("/ws") as first:
        open_session(first)
        with limited.websocket_connect("/ws") as second:
            second.send_text(json.dumps({"type": "hello", "hash": ""}))
            assert json.loads(second.receive_text()) == {
                "type": "error",
                "message": "The Playground already runs 1 pages; close a tab and reload this one.",
            }


# ------------------------------------------------------------------ export and import endpoints


def test_export_script_endpoint(client):
    with client.websocket_connect("/ws") as ws:
        state, _ = open_session(ws, "dataset=gauss&networkShape=3&seed=0.42")
        response = client.get(f"/api/sessions/{state['session']}/export.py")
        assert response.status_code == 200
        assert response.headers["content-disposition"] == 'attachment; filename="playground_model.py"'
        assert 'DATASET = "gauss"' in response.text and "keras.Sequential(" in response.text


def test_unknown_sessions_are_refused(client):
    for path in ("/api/sessions/nope/export.py", "/api/sessions/nope/export.keras"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {"error": "No such Playground session; reload the page."}
    response = client.post("/api/sessions/nope/import", content=b"x")
    assert response.status_code == 404


def test_import_refuses_large_and_empty_uploads(client):
    with client.websocket_connect("/ws") as ws:
        state, _ = open_session(ws)
        url = f"/api/sessions/{state['session']}/import?filename=big.keras"
        response = client.post(url, content=b"0" * (MAX_IMPORT_BYTES + 1))
        assert response.status_code == 413
        assert response.json() == {
            "error": "big.keras is too large: the Playground imports small .keras models (at most 1024 KiB)."}
        response = client.post(f"/api/sessions/{state['session']}/import?filename=empty.keras", content=b"")
        assert response.status_code == 400
        assert response.json() == {"error": "The upload was empty; choose a .keras file."}


# ------------------------------------------------------------------ the real server


def test_the_command_line_server_serves_the_page_and_nothing_else():
    with ServerProcess() as server:
        with urllib.request.urlopen(server.url, timeout=10) as response:
            assert response.status == 200 and b"playground.js" in response.read()
        for raw_path in ("/static/../server.py", "/static/../../cli.py", "/static/%2e%2e/session.py",
                         "/../playground/server.py"):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            connection.putrequest("GET", raw_path, skip_host=True)
            connection.putheader("Host", f"127.0.0.1:{server.port}")
            connection.endheaders()
            response = connection.getresponse()
            body = response.read()
            connection.close()
            assert response.status in (400, 404), raw_path
            assert b"def " not in body and b"import " not in body, raw_path
        # A request naming another host (DNS rebinding) is refused on a loopback server.
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/", headers={"Host": "attacker.example"})
        assert connection.getresponse().status == 400
        connection.close()
        from websockets.sync.client import connect

        with connect(server.url.replace("http://", "ws://") + "ws", open_timeout=10) as ws:
            ws.send(json.dumps({"type": "hello", "hash": "dataset=xor&networkShape=2&seed=0.5"}))
            state = json.loads(ws.recv(timeout=20))
            frame = ws.recv(timeout=20)
            assert state["shape"] == [2, 2, 1] and isinstance(frame, bytes) and header(frame)["epoch"] == 0
