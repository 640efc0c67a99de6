"""The browser harness: Debian's Chromium driven by Playwright against one live server.

Its fixtures are imported into ``tests/conftest.py``, so that
``tests/browser/`` and ``tests/quality/`` share one live server and one browser.

Every page a test opens is watched: console errors and warnings (CSP violations appear
there), uncaught exceptions, failed requests and requests off the site's origin are
collected on ``page.problems`` and fail the test at teardown unless the test clears them.
"""

from __future__ import annotations

import os
import threading
import time
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOAD_FAILED = "Failed to load resource: the server responded with a status of"


# How long the live server holds back the second half of a page that one of its own
# pages led to (a link followed, a form sent), in seconds. A click that navigates returns
# when the new document starts to arrive, before it has loaded: a test that then reads
# the page without waiting for it (a count, a list of texts) passes on a fast machine and
# fails on a slow one. Held back on every run, it fails every time. Pages opened by
# address (``goto``, which waits for the load) are not held back: Chromium says where a
# request comes from (``Sec-Fetch-Site``), ``none`` for an address.
HOLD_BACK = 0.5


def held_back(app, seconds: float = HOLD_BACK):
    """``app`` with the second half of each document that one of its pages led to sent
    ``seconds`` after the first."""
    def serve(environ, start_response):
        if environ.get("HTTP_SEC_FETCH_SITE") != "same-origin" or environ.get("HTTP_SEC_FETCH_DEST") != "document":
            return app(environ, start_response)
        body = app(environ, start_response)
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()

        def halves():
            yield data[:len(data) // 2]
            time.sleep(seconds)
            yield data[len(data) // 2:]
        return halves()
    return serve


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, held_back(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("live"))


@pytest.fixture(scope="session")
def live_server(live_app):
    with LiveServer(live_app) as server:
        yield server


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def watch(page, origin: str):
    """Collect everything on ``page`` that a clean page should never show."""
    page.problems = []
    page.aborted = []  # (url, main-frame navigations when it was requested)
    page.navigations = 0
    started = {}

    def on_navigated(frame):
        if frame == page.main_frame:
            page.navigations += 1

    def on_console(message):
        expected = getattr(page, "expected_statuses", set())
        if any(message.text.startswith(f"{LOAD_FAILED} {status} ") for status in expected):
            return  # the browser's own note of a status the test asked for
        if message.type in ("error", "warning"):
            page.problems.append(f"console {message.type}: {message.text}")

    def on_request(request):
        started[request] = page.navigations
        if not request.url.startswith(("data:", "blob:", "about:")) and not request.url.startswith(origin):
            page.problems.append(f"off-site request: {request.url}")

    def on_response(response):
        expected = getattr(page, "expected_statuses", set())
        if response.status >= 400 and response.status not in expected:
            page.problems.append(f"HTTP {response.status}: {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    page.on("request", on_request)
    page.on("response", on_response)
    def on_request_failed(request):
        # The site's own asset abandoned because the page went on to another document (a
        # form sent, a link followed, a quick exit) while it was still loading: Chromium
        # aborts the favicon or a stylesheet of the document it no longer shows. Judged at
        # the end (see unexplained_aborts), as the navigation's event may come after this one.
        if request.failure == "net::ERR_ABORTED" and request.url.startswith(origin.rstrip("/") + "/static/dist/"):
            page.aborted.append((request.url, started.get(request, page.navigations)))
            return
        page.problems.append(f"request failed: {request.url} {request.failure}")

    page.on("requestfailed", on_request_failed)
    page.on("framenavigated", on_navigated)
    return page


def unexplained_aborts(page) -> list[str]:
    """The site's own assets that were aborted with no navigation after they were asked
    for: nothing took their page away, so their failure is a problem. A test whose page
    leaves before the next document arrives (a quick exit held by the test) sets
    ``page.leaves_mid_load``: its abandoned assets are expected too."""
    if getattr(page, "leaves_mid_load", False):
        return []
    return [f"request failed: {url} net::ERR_ABORTED" for url, navigations in page.aborted
            if navigations == page.navigations]


@pytest.fixture
def page(context, base_url):
    page = watch(context.new_page(), base_url)
    yield page
    problems = page.problems + unexplained_aborts(page)
    assert problems == [], "\n".join(problems)


@pytest.fixture
def no_js_page(browser, base_url):
    context = browser.new_context(java_script_enabled=False, base_url=base_url)
    page = watch(context.new_page(), base_url)
    page.javascript_disabled = True
    yield page
    problems = page.problems + unexplained_aborts(page)
    context.close()
    assert problems == [], "\n".join(problems)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
