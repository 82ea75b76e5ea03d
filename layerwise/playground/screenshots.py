"""Screenshots of the Playground page while it trains.

Starts ``layerwise playground`` on a free port of 127.0.0.1, opens the page
in headless Chromium (through Playwright), sets up a lesson, presses play and
saves PNGs as the network learns: the decision boundary, the neurons'
thumbnails, the weights and the loss curve.

Usage::

    python -m layerwise.playground.screenshots --out screenshots/
    python -m layerwise.playground.screenshots --out shots --chromium /usr/bin/chromium

It needs Playwright (``pip install playwright``) and a Chromium: Debian's
``chromium`` package (``/usr/bin/chromium``, used when present) or
Playwright's own (``python -m playwright install chromium``).

The helpers :class:`ServerProcess` and :func:`launch_chromium` are also what
the end-to-end tests use.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1140, "height": 900}


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """``layerwise playground`` in a child process on a free port of 127.0.0.1.

    Use it as a context manager; ``url`` is the page's address. The server is
    stopped (terminated, then killed if it lingers) on exit.

    Example:

    >>> with ServerProcess() as server:
    ...     print(server.url)
    http://127.0.0.1:40123/
    """

    def __init__(self, start_timeout=60.0, env=None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.start_timeout = start_timeout
        self.env = env
        self.process = None
        self.log = None

    def __enter__(self):
        environment = dict(os.environ if self.env is None else self.env)
        environment.setdefault("PYTHONUNBUFFERED", "1")
        self.log = open(os.devnull, "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "layerwise.cli", "playground", "--host", "127.0.0.1",
             "--port", str(self.port)],
            stdout=self.log, stderr=subprocess.PIPE, env=environment,
        )
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode(errors="replace")
                raise RuntimeError(f"layerwise playground exited with {self.process.returncode}: {error}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise TimeoutError(f"layerwise playground did not answer at {self.url} "
                                   f"within {self.start_timeout} s.")
            time.sleep(0.2)

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process is not None and self.process.stderr is not None:
            self.process.stderr.close()
        if self.log is not None:
            self.log.close()
        return False


def find_chromium(explicit=None):
    """The Chromium to run: ``explicit``, else Debian's ``/usr/bin/chromium``, else ``None`` (Playwright's)."""
    if explicit:
        return explicit
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser") or ""):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def launch_chromium(playwright, executable=None):
    """Headless Chromium with the flags that keep it quiet and offline-friendly."""
    options = {"headless": True, "args": CHROMIUM_ARGS}
    executable = find_chromium(executable)
    if executable:
        options["executable_path"] = executable
    return playwright.chromium.launch(**options)


def wait_for(page, expression, timeout_s, argument=None):
    """Wait until the JavaScript ``expression`` (a function body's return value) is truthy."""
    page.wait_for_function(expression, arg=argument, timeout=timeout_s * 1000, polling=100)


def stats(page):
    """The page's ``window.playgroundStats`` (frames drawn, epoch, losses)."""
    return page.evaluate("() => Object.assign({}, window.playgroundStats)")


LESSONS = (
    # (file stem, URL fragment, epochs to reach for each shot)
    ("circle", ("dataset=circle&networkShape=4,2&activation=tanh&learningRate=0.03&seed=0.14370"
                "&showTestData=true"), (0, 40, 300)),
    ("spiral", ("dataset=spiral&networkShape=8,8,6&activation=tanh&learningRate=0.03&seed=0.14370"
                "&x=true&y=true&xSquared=true&ySquared=true&xTimesY=true&sinX=true&sinY=true"), (400,)),
    ("xor-relu", "dataset=xor&networkShape=8,4&activation=relu&learningRate=0.03&seed=0.5&noise=10", (150,)),
    ("regression", ("problem=regression&regDataset=reg-gauss&networkShape=8,6&activation=tanh"
                    "&learningRate=0.03&seed=0.5&batchSize=10"), (150,)),
)


def take(out_dir, chromium=None, lessons=LESSONS, timeout_s=180):
    """Run the lessons and write PNGs into ``out_dir``; returns the paths written."""
    from playwright.sync_api import sync_playwright

    os.makedirs(out_dir, exist_ok=True)
    written = []
    with ServerProcess() as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium)
        try:
            for stem, fragment, epochs in lessons:
                page = browser.new_page(viewport=VIEWPORT)
                page.goto(server.url + "#" + fragment)
                wait_for(page, "() => window.playgroundStats.framesDrawn > 0", 30)
                for target in epochs:
                    if target > 0:
                        if not stats(page)["epoch"] or not page.evaluate(
                                "() => document.getElementById('play-pause-button').classList.contains('playing')"):
                            page.click("#play-pause-button")
                        wait_for(page, "(n) => window.playgroundStats.epoch >= n", timeout_s, target)
                        page.click("#play-pause-button")
                        wait_for(page, "() => !document.getElementById('play-pause-button')"
                                       ".classList.contains('playing') && window.playgroundStats.framePlaying === 0",
                                 10)
                    page.wait_for_timeout(300)
                    path = os.path.join(out_dir, f"playground-{stem}-epoch{target:04d}.png")
                    page.screenshot(path=path, full_page=False)
                    written.append(path)
                page.close()
        finally:
            browser.close()
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m layerwise.playground.screenshots",
                                     description="Screenshots of the layerwise Playground while it trains.")
    parser.add_argument("--out", required=True, help="folder for the PNG files")
    parser.add_argument("--chromium", default=None,
                        help="Chromium executable (default: /usr/bin/chromium if present, else Playwright's)")
    args = parser.parse_args(argv)
    for path in take(args.out, chromium=args.chromium):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
