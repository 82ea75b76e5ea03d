"""Fixtures of the Playground's browser tests: the server, headless Chromium, a page."""

import pytest


@pytest.fixture(scope="module")
def server():
    """``layerwise playground`` in a child process on a free port of 127.0.0.1."""
    from layerwise.playground.screenshots import ServerProcess

    with ServerProcess() as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's /usr/bin/chromium when present) through Playwright."""
    from playwright.sync_api import sync_playwright

    from layerwise.playground.screenshots import find_chromium, launch_chromium

    if find_chromium() is None:
        raise RuntimeError("The browser tests need Chromium: apt-get install -y chromium "
                           "(or python -m playwright install chromium).")
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A fresh browser tab; afterwards, checks that it loaded nothing from anywhere but the server."""
    context = browser.new_context(viewport={"width": 1140, "height": 900}, accept_downloads=True)
    opened = context.new_page()
    requests = []
    opened.on("request", lambda request: requests.append(request.url))
    yield opened
    context.close()
    foreign = [url for url in requests if not url.startswith((server.url, server.url.replace("http", "ws"),
                                                              "blob:", "data:"))]
    assert foreign == []


