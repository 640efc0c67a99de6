"""Shared fixtures: ``app``, ``client`` and ``runner`` (flaskr style), checked and parsed
pages (``get_page``, ``post_page``), parsed HTML, and
the service addresses the PostgreSQL/Redis tests read from the environment."""

from __future__ import annotations

import os

import pytest
from bs4 import BeautifulSoup

from tests.pages import PageRequests
from webapp import create_app
from webapp.database import upgrade
from webapp.extensions import db

TEST_SECRET = "test-secret-key-0123456789abcdef0123456789abcdef"


def make_app(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}",
        # No background warming of common words: its tests call it themselves.
        "SEARCH_WARM_WORDS": 0,
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        upgrade(db.engine)
    return app


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def get_page(request):
    """``get_page(path, status=200, client=None, **kwargs)``: GET an HTML page, assert its
    status and what every page must be (``tests/pages.py``), return it parsed."""
    return PageRequests("GET", lambda: request.getfixturevalue("client"))


@pytest.fixture
def post_page(request):
    """``post_page(path, status=200, client=None, data=..., **kwargs)``: as ``get_page``,
    for the page a POST answers with."""
    return PageRequests("POST", lambda: request.getfixturevalue("client"))


def soup(response) -> BeautifulSoup:
    """The response body parsed as HTML (a page ``get_page`` already parsed as it is)."""
    if isinstance(response, BeautifulSoup):
        return response
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def service_url(variable: str) -> str:
    """The address in ``variable``, or skip with the reason printed (``-ra``)."""
    value = os.environ.get(variable, "").strip()
    if not value:
        pytest.skip(f"{variable} is not set: this test needs a real server (.ci/run sets it)")
    return value


@pytest.fixture
def postgres_url():
    """A PostgreSQL address (from TEST_DATABASE_URL) whose search_path is a fresh,
    empty schema, dropped afterwards, so tests never see each other's tables."""
    from webapp.database import scratch_schema

    with scratch_schema(service_url("TEST_DATABASE_URL"), "test") as url:
        yield url


# The live server and Chromium fixtures, shared by tests/browser/ and tests/quality/ so both
# use one server and one browser. Imported into this conftest (not loaded as a plugin) so
# they override pytest-playwright's own ``page`` and ``base_url``.
from tests.browser.harness import (  # noqa: E402,F401
    base_url,
    browser_type_launch_args,
    live_app,
    live_server,
    no_js_page,
    page,
)
