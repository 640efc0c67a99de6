"""One registry of page states, read by every quality gate in ``tests/quality/``.

Every parameterless page from the URL map (``tests/routes.py``) is a state on its own,
automatically. Pages that need a parameter, and pages in a particular state (an error,
the cookie banner, a form with errors, search results), are added to ``EXTRA_STATES``
with one line each:

    State("form with errors", "/feedback", act=submit_empty_form),

A state whose route does not exist yet is skipped with the reason printed, so a gate
can name a page another branch is still building and check it as soon as it lands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.routes import page_paths
from webapp import create_app


@dataclass(frozen=True)
class State:
    """A page in one state.

    ``path`` is where the state starts, or a function ``(page, app)`` that finds it in
    the browser (returning None, or raising LookupError with the reason, when there is
    nothing to find yet). ``act`` runs Playwright actions
    after the page has loaded (click a button, submit a form, ...); the state is the page
    as they leave it, and its served HTML is the last document the browser received.
    ``status`` is the HTTP status of that document.
    """

    name: str
    path: str | Callable[..., str | None]
    act: Callable | None = None
    status: int = 200

    def __str__(self) -> str:
        return self.name


def first_link(on: str, prefix: str) -> Callable:
    """A path found by opening ``on`` and taking the first link that starts with ``prefix``
    (for example a FOI response from the disclosure log)."""

    def find(page, app: Flask) -> str | None:
        if not route_exists(app, on):
            raise LookupError(f"no route for {on} in the URL map")
        response = page.goto(on)
        if response is None or response.status != 200:
            raise LookupError(f"{on} answered {response and response.status}")
        for href in page.locator("main a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
            path = urlsplit(href).path
            if path.startswith(prefix) and path != prefix.rstrip("/") and not urlsplit(href).query:
                return path
        return None

    find.__doc__ = f"the first link to {prefix}… on {on}"
    return find


def press(text: str, shows: str | None = None) -> Callable:
    """An action: press the button labelled ``text`` and wait for what it brings.

    A button that submits a form loads a page: waiting for ``load`` is enough. A button
    that JavaScript handles in place (a fetch) loads nothing, so the state names the
    element it ``shows`` (a CSS selector) and the action waits until it is visible,
    with or without JavaScript.
    """

    def act(page) -> None:
        button = page.get_by_role("button", name=text)
        if button.count() == 0:
            pytest.skip(f"not yet present: no “{text}” button on {page.url}")
        button.first.click()
        if shows:
            page.locator(shows).first.wait_for(state="visible")
        else:
            page.wait_for_load_state("load")

    act.__doc__ = f"press “{text}”"
    return act


# States beyond the parameterless pages; one line each. Other capabilities add theirs here.
# (Every page without a consent cookie already shows the cookie banner.)
EXTRA_STATES = [
    State("404 page", "/no-such-page", status=404),
    State("FOI response", first_link(on="/foi", prefix="/foi/")),
    State("search results", "/foi?q=police"),
    State("search with no results", "/foi?q=zzqxjvbnm"),
    State(
        "cookie banner confirmation", "/",
        act=press("Accept additional cookies", shows="[data-cookie-banner-message=accepted]"),
    ),
    State("feedback form with errors", "/feedback", act=press("Send feedback")),
]

# Flask commands run once on the live app before any gate opens a state, so that pages
# show real content (a disclosure log with responses in it). A command that does not
# exist yet is reported and left out.
SITE_COMMANDS = [
    ["foi", "import"],
]

# The states Lighthouse audits (each audit takes seconds, so not every state): names of
# states above, or paths of parameterless pages.
LIGHTHOUSE_STATES = ["/", "/foi", "FOI response", "/cookies", "/feedback"]


def prepare_site(app: Flask) -> list[str]:
    """Run ``SITE_COMMANDS`` on ``app``; return a note for each command not yet present."""
    notes = []
    runner = app.test_cli_runner()
    for command in SITE_COMMANDS:
        result = runner.invoke(args=command)
        if result.exit_code == 2 and "No such command" in result.output:
            notes.append(f"not yet present: `flask {' '.join(command)}` (pages are checked without its content)")
            continue
        assert result.exit_code == 0, f"flask {' '.join(command)} failed:\n{result.output}"
    return notes


def site_app() -> Flask:
    """An app for reading the URL map at collection time; it never touches a database file."""
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})


def all_states(app: Flask | None = None) -> list[State]:
    app = app or site_app()
    return [State(path, path) for path in page_paths(app)] + EXTRA_STATES


def lighthouse_states(app: Flask | None = None) -> list[State]:
    by_name = {state.name: state for state in all_states(app)}
    return [by_name.get(name) or State(name, name) for name in LIGHTHOUSE_STATES]


def route_exists(app: Flask, path: str) -> bool:
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(urlsplit(path).path, method="GET")
    except MethodNotAllowed:
        return False
    except NotFound:
        return False
    except Exception:  # a redirect (trailing slash) still means the route exists
        return True
    return True


def resolve(state: State, app: Flask, page) -> str:
    """The path the state starts at, or skip (with the reason printed) when its page
    does not exist yet."""
    if callable(state.path):
        try:
            path = state.path(page, app)
        except LookupError as reason:
            pytest.skip(f"{state.name}: not yet present ({reason})")
        if path is None:
            pytest.skip(f"{state.name}: not yet present ({state.path.__doc__} found nothing)")
        return path
    if state.status == 200 and not route_exists(app, state.path):
        pytest.skip(f"{state.name}: not yet present (no route for {state.path} in the URL map)")
    return state.path


def open_state(page, state: State, app: Flask) -> str:
    """Bring ``page`` into ``state``; return the served HTML of the document it shows."""
    path = resolve(state, app, page)
    if state.status != 200:
        page.expected_statuses = {state.status}
    documents = []

    def on_response(response):
        if response.request.resource_type == "document" and response.frame == page.main_frame:
            documents.append(response)

    page.on("response", on_response)
    try:
        page.goto(path)
        if state.act:
            try:
                state.act(page)
            except pytest.skip.Exception as reason:
                pytest.skip(f"{state.name}: {reason}")
        page.wait_for_load_state("load")
    finally:
        page.remove_listener("response", on_response)
    document = documents[-1]
    assert document.status == state.status, f"{state.name}: {document.url} answered {document.status}"
    return document.text()
