"""The Playground's web server: one page, a WebSocket per tab, export and import.

``layerwise playground`` runs :func:`serve`: a Starlette app under uvicorn,
listening on 127.0.0.1 by default. Routes:

- ``GET /`` — the page (``static/index.html``); ``GET /static/<name>`` — its
  script and style sheet. Only the files found in the package's ``static``
  folder when the app starts are served, by exact name; nothing else on the
  disk is reachable.
- ``WS /ws`` — one Playground session per connection. The page sends
  ``{"type": "hello", "hash": "<URL fragment>"}`` first, then commands; the
  server sends state messages (JSON) and frames (binary), see
  :mod:`layerwise.playground.session`. Closing the tab closes the socket,
  which stops that session's training.
- ``GET /api/sessions/<id>/export.py`` — the network as a runnable script.
- ``GET /api/sessions/<id>/export.keras`` — the trained model as a ``.keras`` file.
- ``POST /api/sessions/<id>/import`` — a ``.keras`` file (the request body,
  at most 1 MiB) loaded into that session; refused files get the loader's
  message back.

Example:

>>> from layerwise.playground.server import create_app
>>> app = create_app()            # an ASGI app; serve() runs it with uvicorn
"""

import asyncio
import concurrent.futures
import contextlib
import ipaddress
import json
import os
import socket
import threading
import webbrowser

from layerwise.playground.session import MAX_IMPORT_BYTES, Session

STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8090
MAX_SESSIONS = 32
MAX_MESSAGE_BYTES = 16 * 1024
HELLO_TIMEOUT = 15.0
CALL_TIMEOUT = 60.0
_MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
                ".ico": "image/x-icon"}
# Everything the page loads comes from this server; the browser refuses anything else.
_SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
                                "base-uri 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def static_files(folder=STATIC_DIR):
    """``{name: (path, media type)}`` for the regular files directly inside ``folder``."""
    files = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        extension = os.path.splitext(name)[1].lower()
        if os.path.isfile(path) and not os.path.islink(path) and extension in _MEDIA_TYPES:
            files[name] = (path, _MEDIA_TYPES[extension])
    return files


class SessionRegistry:
    """The live sessions, by id, at most ``limit`` at a time."""

    def __init__(self, limit=MAX_SESSIONS):
        self.limit = limit
        self._sessions = {}
        self._lock = threading.Lock()

    def add(self, session):
        with self._lock:
            if len(self._sessions) >= self.limit:
                raise RuntimeError(
                    f"The Playground already runs {self.limit} pages; close a tab and reload this one."
                )
            self._sessions[session.id] = session

    def get(self, session_id):
        with self._lock:
            return self._sessions.get(session_id)

    def remove(self, session_id):
        with self._lock:
            return self._sessions.pop(session_id, None)

    def __len__(self):
        with self._lock:
            return len(self._sessions)

    def all(self):
        with self._lock:
            return list(self._sessions.values())


def _is_loopback(host):
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def create_app(static_dir=STATIC_DIR, max_sessions=MAX_SESSIONS, allowed_hosts=None):
    """The Playground's Starlette application.

    Args:
        static_dir: folder with ``index.html`` and the files it loads.
        max_sessions: most pages trained at once.
        allowed_hosts: host names the ``Host`` header may carry (``None``: any).
            :func:`serve` on a loopback address allows only loopback names, so
            that another web site cannot reach the server through DNS rebinding.
    """
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocketDisconnect

    files = static_files(static_dir)
    if "index.html" not in files:
        raise FileNotFoundError(f"The Playground's page is missing: no index.html in {static_dir}.")
    registry = SessionRegistry(max_sessions)

    def host_allowed(headers):
        if allowed_hosts is None:
            return True
        host = headers.get("host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name.strip("[]") in allowed_hosts

    def origin_allowed(headers):
        # Browsers send Origin with a WebSocket handshake; a page from another site must not drive ours.
        origin = headers.get("origin")
        if origin is None:
            return True
        return origin.split("://", 1)[-1] == headers.get("host", "")

    def error(status, message):
        return JSONResponse({"error": message}, status_code=status, headers=_SECURITY_HEADERS)

    def serve_file(name):
        path, media_type = files[name]
        with open(path, "rb") as handle:
            return Response(handle.read(), media_type=media_type, headers=_SECURITY_HEADERS)

    async def index(request):
        if not host_allowed(request.headers):
            return error(400, "Unknown host.")
        return serve_file("index.html")

    async def static(request):
        if not host_allowed(request.headers):
            return error(400, "Unknown host.")
        name = request.path_params["name"]
        if name not in files:
            return error(404, "Not found.")
        return serve_file(name)

    def session_for(request):
        if not host_allowed(request.headers):
            return None, error(400, "Unknown host.")
        session = registry.get(request.path_params["session_id"])
        if session is None:
            return None, error(404, "No such Playground session; reload the page.")
        return session, None

    async def on_worker(session, function):
        return await asyncio.wait_for(asyncio.wrap_future(session.call(function)), CALL_TIMEOUT)

    async def export_script(request):
        session, failure = session_for(request)
        if failure:
            return failure
        text = await on_worker(session, lambda s: s.export_script())
        return Response(text, media_type="text/x-python; charset=utf-8", headers={
            **_SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="playground_model.py"'})

    async def export_keras(request):
        session, failure = session_for(request)
        if failure:
            return failure
        try:
            payload = await on_worker(session, lambda s: s.export_keras())
        except (AttributeError, ImportError) as problem:
            return error(501, f"Saving .keras files is not available in this layerwise: {problem}")
        except Exception as problem:  # noqa: BLE001 - the saver's own message is the useful one
            return error(500, f"The model could not be saved: {type(problem).__name__}: {problem}")
        return Response(payload, media_type="application/octet-stream", headers={
            **_SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="playground_model.keras"'})

    async def import_keras(request):
        session, failure = session_for(request)
        if failure:
            return failure
        filename = os.path.basename(request.query_params.get("filename", "model.keras"))[:100] or "model.keras"
        declared = request.headers.get("content-length")
        too_big = (f"{filename} is too large: the Playground imports small .keras models "
                   f"(at most {MAX_IMPORT_BYTES // 1024} KiB).")
        if declared is not None and declared.isdigit() and int(declared) > MAX_IMPORT_BYTES:
            return error(413, too_big)
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_IMPORT_BYTES:
                return error(413, too_big)
        if not body:
            return error(400, "The upload was empty; choose a .keras file.")
        try:
            summary = await on_worker(session, lambda s: s.import_keras(bytes(body), filename))
        except (ImportError, AttributeError) as problem:
            return error(501, f"Loading .keras files is not available in this layerwise: {problem}")
        except Exception as problem:  # noqa: BLE001 - refused: the loader's (or the shape check's) message
            return error(400, f"{filename} was not loaded: {problem}")
        return JSONResponse({"message": summary}, headers=_SECURITY_HEADERS)

    async def websocket_endpoint(websocket):
        if not host_allowed(websocket.headers) or not origin_allowed(websocket.headers):
            await websocket.close(code=1008)
            return
        await websocket.accept()
        loop = asyncio.get_running_loop()
        outbox = asyncio.Queue()

        def send(message):
            # Called from the session's worker; the future completes once the message is sent.
            done = concurrent.futures.Future()
            loop.call_soon_threadsafe(outbox.put_nowait, (message, done))
            return done

        try:
            hello = json.loads(await asyncio.wait_for(websocket.receive_text(), HELLO_TIMEOUT))
            fragment = str(hello.get("hash", ""))[:4096] if isinstance(hello, dict) else ""
        except (asyncio.TimeoutError, ValueError, KeyError, WebSocketDisconnect):
            await _close_quietly(websocket, 1008)
            return
        try:
            session = await run_in_threadpool(Session, fragment, send)
            registry.add(session)
        except RuntimeError as problem:
            await websocket.send_text(json.dumps({"type": "error", "message": str(problem)}))
            await _close_quietly(websocket, 1013)
            return
        session.start()

        async def pump():
            while True:
                message, done = await outbox.get()
                try:
                    if isinstance(message, bytes):
                        await websocket.send_bytes(message)
                    else:
                        await websocket.send_text(message)
                except BaseException as problem:
                    done.set_exception(ConnectionError(f"the page's connection closed: {problem!r}"))
                    raise
                done.set_result(None)

        sender = asyncio.create_task(pump())
        try:
            while True:
                text = await websocket.receive_text()
                if len(text) > MAX_MESSAGE_BYTES:
                    continue
                try:
                    command = json.loads(text)
                except ValueError:
                    continue
                if isinstance(command, dict) and not str(command.get("type", "")).startswith("_"):
                    session.submit(command)
        except (WebSocketDisconnect, RuntimeError, KeyError):
            pass
        finally:
            sender.cancel()
            registry.remove(session.id)
            while not outbox.empty():  # nobody will send these: release the worker waiting on them
                _, done = outbox.get_nowait()
                if not done.done():
                    done.set_exception(ConnectionError("the page's connection closed"))
            await run_in_threadpool(session.close)

    routes = [
        Route("/", index),
        Route("/static/{name}", static),
        Route("/api/sessions/{session_id}/export.py", export_script),
        Route("/api/sessions/{session_id}/export.keras", export_keras),
        Route("/api/sessions/{session_id}/import", import_keras, methods=["POST"]),
        WebSocketRoute("/ws", websocket_endpoint),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        for session in registry.all():  # the server stops: stop every session's training
            registry.remove(session.id)
            await run_in_threadpool(session.close)

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sessions = registry
    return app


async def _close_quietly(websocket, code):
    try:
        await websocket.close(code=code)
    except RuntimeError:
        pass


def free_port(host=DEFAULT_HOST):
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def serve(host=DEFAULT_HOST, port=DEFAULT_PORT, open_browser=False, log_level="warning", ready=None):
    """Run the Playground until interrupted (Ctrl+C).

    Args:
        host: address to listen on (default 127.0.0.1: this computer only).
        port: TCP port; 0 picks a free one.
        open_browser: open the page in the default web browser once it is up.
        log_level: uvicorn's log level.
        ready: called with the page's URL once the server listens.
    """
    import torch
    import uvicorn

    # The networks are tiny: one thread per operation is fastest, and many
    # sessions training at once would otherwise oversubscribe the cores.
    torch.set_num_threads(1)
    if port == 0:
        port = free_port(host)
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{port}/"
    allowed = {"localhost", "127.0.0.1", "::1", host} if _is_loopback(host) else None
    app = create_app(allowed_hosts=allowed)
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, ws_max_size=MAX_MESSAGE_BYTES,
                            ws_ping_interval=20, ws_ping_timeout=20, lifespan="on")
    server = uvicorn.Server(config)

    original_startup = server.startup

    async def startup(sockets=None):
        await original_startup(sockets=sockets)
        print(f"layerwise Playground: {url}  (Ctrl+C to stop)", flush=True)
        if ready is not None:
            ready(url)
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()

    server.startup = startup
    server.run()
    return 0


def main(argv=None):
    """``python -m layerwise.playground.server [--host H] [--port N] [--open]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="layerwise playground",
                                     description="The TensorFlow-Playground lesson, trained by layerwise.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    return serve(host=args.host, port=args.port, open_browser=args.open)


def add_arguments(parser):
    """The command line options of ``layerwise playground``."""
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on (default {DEFAULT_HOST}: this computer only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--open", action="store_true", help="open the page in the web browser")


if __name__ == "__main__":
    raise SystemExit(main())
