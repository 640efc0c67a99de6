"""One registry of page states, read by every quality gate in ``tests/quality/``.

Every parameterless page from the URL map (``tests/routes.py``) is a state on its own,
automatically. Pages that need a parameter, and pages in a particular state (an error,
the cookie banner, a form with errors, search results), are added to ``EXTRA_STATES``
with one line each:

    State("feedback form with errors", "/feedback", act=press("Send feedback")),

Every state is checked by the browser gates (tests/quality/) and, through the Flask
test client, by tests/test_page_invariants.py. A state whose route, link or button is missing fails with the reason (``MissingState``):
a renamed route must never quietly switch a gate off. Add a state when its page exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup
from flask import Flask
from werkzeug.exceptions import MethodNotAllowed, NotFound

from tests.routes import page_paths
from webapp import create_app


class MissingState(AssertionError):
    """A registered state cannot be reached: its route, link, button or command is gone.
    A failure, never a skip, so a renamed route cannot silently switch a gate off."""


@dataclass(frozen=True)
class State:
    """A page in one state.

    ``path`` is where the state starts, or a finder (``first_link``) that finds it, in the
    browser or through the test client. ``act`` is what a visitor does once the page has
    loaded (``press`` a button, ...); the state is the page as that leaves it, and its
    served HTML is the last document the browser received. An ``act`` is called with a
    Playwright page; one that can also be done without a browser has an ``in_client``
    method (see ``press``), which the fast page checks use. ``status`` is the HTTP status
    of the state's document.
    """

    name: str
    path: str | Callable[..., str]
    act: Callable | None = None
    status: int = 200

    def __str__(self) -> str:
        return self.name


def first_link(on: str, prefix: str) -> FirstLink:
    """A path found by opening ``on`` and taking the first link in ``<main>`` that starts
    with ``prefix`` (for example a FOI response from the disclosure log)."""
    return FirstLink(on, prefix)


@dataclass(frozen=True)
class FirstLink:
    on: str
    prefix: str

    def __str__(self) -> str:
        return f"the first link to {self.prefix}… on {self.on}"

    def pick(self, hrefs: list[str]) -> str:
        for href in hrefs:
            path = urlsplit(href).path
            if path.startswith(self.prefix) and path != self.prefix.rstrip("/") and not urlsplit(href).query:
                return path
        raise MissingState(f"{self} found nothing: no link in <main> starts with {self.prefix}")

    def __call__(self, page, app: Flask) -> str:
        """In the browser: open ``on`` in ``page``."""
        require_route(app, self.on)
        response = page.goto(self.on)
        if response is None or response.status != 200:
            raise MissingState(f"{self.on} answered {response and response.status}")
        return self.pick(page.locator("main a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))"))

    def in_client(self, client) -> str:
        """Through the Flask test client."""
        require_route(client.application, self.on)
        response = client.get(self.on)
        if response.status_code != 200:
            raise MissingState(f"{self.on} answered {response.status_code}")
        return self.pick([a["href"] for a in parsed(response).select("main a[href]")])


def press(text: str, shows: str | None = None) -> Press:
    """An action: press the button labelled ``text`` and wait for what it brings.

    A button that submits a form loads a page: waiting for ``load`` is enough. A button
    that JavaScript handles in place (a fetch) loads nothing, so the state names the
    element it ``shows`` (a CSS selector) and the action waits until it is visible,
    with or without JavaScript.
    """
    return Press(text, shows)


@dataclass(frozen=True)
class Press:
    text: str
    shows: str | None = None

    def __str__(self) -> str:
        return f"press “{self.text}”"

    def __call__(self, page) -> None:
        """In the browser, with or without JavaScript."""
        button = page.get_by_role("button", name=self.text)
        if button.count() == 0:
            raise MissingState(f"no “{self.text}” button on {page.url}")
        button.first.click()
        if self.shows:
            page.locator(self.shows).first.wait_for(state="visible")
        else:
            page.wait_for_load_state("load")

    def in_client(self, client, response, path: str):
        """Through the test client, as a browser without JavaScript does it: send the
        button's form with its fields and the button's own name and value, follow the
        redirect, and return the response that ends on."""
        page = parsed(response)
        button = next((b for b in page.select("button, input[type=submit]")
                       if " ".join((b.get_text() or b.get("value", "")).split()) == self.text), None)
        if button is None:
            raise MissingState(f"no “{self.text}” button on {path}")
        form = button.find_parent("form")
        if form is None:
            raise MissingState(f"the “{self.text}” button on {path} is not in a form")
        data = form_fields(form)
        if button.get("name"):
            data[button["name"]] = button.get("value", "")
        method = (button.get("formmethod") or form.get("method") or "get").upper()
        action = urljoin(path, button.get("formaction") or form.get("action") or path)
        sent = {"query_string": data} if method == "GET" else {"data": data}
        answer = client.open(action, method=method, follow_redirects=True,
                             headers={"Sec-Fetch-Site": "same-origin", "Referer": f"http://localhost{path}"}, **sent)
        if self.shows and parsed(answer).select_one(f"{self.shows}:not([hidden])") is None:
            raise MissingState(f"pressing “{self.text}” on {path} did not show {self.shows}")
        return answer


def form_fields(form) -> dict[str, str]:
    """What a browser sends for ``form`` before a button adds its own name and value."""
    data = {}
    for field in form.select("input[name], textarea[name], select[name]"):
        kind = field.get("type", "text").lower()
        if field.has_attr("disabled") or kind in ("submit", "button", "image", "reset", "file"):
            continue
        if kind in ("checkbox", "radio") and not field.has_attr("checked"):
            continue
        if field.name == "textarea":
            data[field["name"]] = field.get_text()
        elif field.name == "select":
            option = field.select_one("option[selected]") or field.select_one("option")
            data[field["name"]] = option.get("value", option.get_text()) if option else ""
        else:
            data[field["name"]] = field.get("value", "on" if kind in ("checkbox", "radio") else "")
    return data


def parsed(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


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
# show real content (a disclosure log with responses in it). A command that is missing
# fails the gates: pages checked without their content would prove little.
SITE_COMMANDS = [
    ["foi", "import"],
]

# The states Lighthouse audits (each audit takes seconds, so not every state): names of
# states above, or paths of parameterless pages.
LIGHTHOUSE_STATES = ["/", "/foi", "FOI response", "/cookies", "/feedback"]


def prepare_site(app: Flask) -> list[str]:
    """Run ``SITE_COMMANDS`` on ``app``; fail, naming it, on a command that is missing or
    does not succeed. Returns notes for the gates' summary (none today)."""
    runner = app.test_cli_runner()
    for command in SITE_COMMANDS:
        result = runner.invoke(args=command)
        if result.exit_code == 2 and "No such command" in result.output:
            raise MissingState(
                f"`flask {' '.join(command)}` (tests/states.py SITE_COMMANDS) is not a command of the app: "
                "was it renamed? Pages would be checked without their content."
            )
        assert result.exit_code == 0, f"flask {' '.join(command)} failed:\n{result.output}"
    return []


def site_app() -> Flask:
    """An app for reading the URL map at collection time; it never touches a database file."""
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})


def all_states(app: Flask | None = None) -> list[State]:
    app = app or site_app()
    return [State(path, path) for path in page_paths(app)] + EXTRA_STATES


def lighthouse_states(app: Flask | None = None) -> list[State]:
    by_name = {state.name: state for state in all_states(app)}
    missing = [name for name in LIGHTHOUSE_STATES if name not in by_name]
    if missing:
        raise MissingState(f"LIGHTHOUSE_STATES names no registered state: {missing}")
    return [by_name[name] for name in LIGHTHOUSE_STATES]


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


def require_route(app: Flask, path: str) -> None:
    if not route_exists(app, path):
        raise MissingState(
            f"no GET route for {path} in the URL map: was it renamed or removed? "
            "Update its state in tests/states.py (and tests/public_routes.txt)."
        )


def named(state: State, problem: MissingState) -> MissingState:
    return MissingState(f"state “{state.name}”: {problem}")


def resolve(state: State, app: Flask, page=None, client=None) -> str:
    """The path the state starts at (a finder runs in ``page``, or through ``client`` when
    one is given); ``MissingState``, naming the state, when its route or link is gone."""
    try:
        if callable(state.path):
            return state.path.in_client(client) if client is not None else state.path(page, app)
        if state.status == 200:
            require_route(app, state.path)
        return state.path
    except MissingState as problem:
        raise named(state, problem) from None


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
            except MissingState as problem:
                raise named(state, problem) from None
        page.wait_for_load_state("load")
    finally:
        page.remove_listener("response", on_response)
    document = documents[-1]
    assert document.status == state.status, f"{state.name}: {document.url} answered {document.status}"
    return document.text()


def fetch_state(client, state: State):
    """The state through the Flask test client, as a browser without JavaScript reaches
    it: ``(path, response)`` for the document it ends on. An ``act`` without an
    ``in_client`` method (browser-only) leaves the state at the page it starts on."""
    app = client.application
    path = resolve(state, app, client=client)
    response = client.get(path)
    in_client = getattr(state.act, "in_client", None)
    if in_client is not None:
        try:
            response = in_client(client, response, path)
        except MissingState as problem:
            raise named(state, problem) from None
    return path, response
