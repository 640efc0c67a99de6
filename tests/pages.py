"""Fetch an HTML page through the test client, check what every page must be, parse it.

``get_page`` and ``post_page`` (fixtures in ``tests/conftest.py``) return a ``Page``: the
parsed HTML, with the response on ``page.response``. Before returning, they check the
cheap invariants of any HTML response (``page_problems``); a page that breaks one fails
the test that fetched it, with a message naming the page and the invariant:

- ``<html lang>`` is set, and there is exactly one ``h1``;
- the ``<title>`` is "[Error: ]<page title> – <SERVICE_NAME> – <ORGANISATION_NAME>", with
  "Error: " exactly when the page shows a GOV.UK error summary;
- every ``id`` is unique;
- every ``<form>`` has ``method`` and ``action``;
- no ``style`` attribute, no ``on*`` attribute, no ``<style>`` element, and no
  ``<script>`` without ``src`` but govuk-frontend-jinja's template script, whose hash
  the Content-Security-Policy allows;
- ``Cache-Control`` holds ``no-store``;
- a ``Content-Security-Policy`` header without ``'unsafe-inline'``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Callable

from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from werkzeug.wrappers import Response

from webapp.security import template_script_hash

TITLE_SEPARATOR = " – "


class Page(BeautifulSoup):
    """A page's HTML, parsed, with the ``response`` it came in."""

    def __init__(self, response: Response):
        super().__init__(response.get_data(as_text=True), "html.parser")
        self.response = response


def script_hash(source: str) -> str:
    """The CSP source that allows an inline script with this text."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def title_pattern(config) -> re.Pattern:
    service, organisation = re.escape(config["SERVICE_NAME"]), re.escape(config["ORGANISATION_NAME"])
    return re.compile(rf"(Error: )?\S.*{TITLE_SEPARATOR}{service}{TITLE_SEPARATOR}{organisation}", re.DOTALL)


def describe(element) -> str:
    return str(element)[:100]


def page_problems(response: Response, config, page: BeautifulSoup | None = None) -> list[str]:
    """Every invariant of an HTML page that ``response`` breaks (an empty list: none).
    ``config`` is the app's config, for the names in the title."""
    page = page if page is not None else BeautifulSoup(response.get_data(as_text=True), "html.parser")
    problems = []

    if response.mimetype != "text/html":
        return [f"not an HTML page: Content-Type is {response.headers.get('Content-Type')!r}"]

    html = page.find("html")
    if html is None or not (html.get("lang") or "").strip():
        problems.append("<html lang> is not set")

    headings = page.find_all("h1")
    if len(headings) != 1:
        problems.append(f"expected exactly one <h1>, found {len(headings)}: {[h.get_text(strip=True) for h in headings]}")

    titles = page.find_all("title")
    title = " ".join(titles[0].get_text().split()) if len(titles) == 1 else None
    if title is None:
        problems.append(f"expected one <title>, found {len(titles)}")
    elif not title_pattern(config).fullmatch(title):
        problems.append(
            f"<title> {title!r} does not follow “[Error: ]<page title>{TITLE_SEPARATOR}"
            f"{config['SERVICE_NAME']}{TITLE_SEPARATOR}{config['ORGANISATION_NAME']}”"
        )
    else:
        summary = page.select_one(".govuk-error-summary") is not None
        if summary != title.startswith("Error: "):
            problems.append(
                "an error summary but no “Error: ” at the start of the <title>" if summary
                else "“Error: ” in the <title> but no error summary on the page"
            )

    ids = Counter(element["id"] for element in page.find_all(id=True))
    repeated = sorted(value for value, count in ids.items() if count > 1)
    if repeated:
        problems.append(f"id used more than once: {repeated}")

    for form in page.find_all("form"):
        missing = [name for name in ("method", "action") if not form.has_attr(name)]
        if missing:
            problems.append(f"<form> without {' or '.join(missing)}: {describe(form)}")

    for element in page.find_all(style=True):
        problems.append(f"inline style attribute: {describe(element)}")
    for element in page.find_all(True):
        handlers = [name for name in element.attrs if name.lower().startswith("on")]
        if handlers:
            problems.append(f"event handler attribute {handlers}: {describe(element)}")
    for element in page.find_all("style"):
        problems.append(f"<style> element: {describe(element)}")

    csp = response.headers.get("Content-Security-Policy")
    allowed = template_script_hash()
    for script in page.find_all("script"):
        if script.has_attr("src"):
            continue
        source_hash = script_hash(script.string or "")
        if source_hash != allowed:
            problems.append(f"inline <script> other than govuk-frontend-jinja's template script: {describe(script)}")
        elif csp is not None and source_hash not in csp:
            problems.append("the template's inline <script> is not allowed by hash in the Content-Security-Policy")

    if "no-store" not in response.headers.get("Cache-Control", ""):
        problems.append(f"Cache-Control {response.headers.get('Cache-Control')!r} lacks no-store")
    if csp is None:
        problems.append("no Content-Security-Policy header")
    elif "'unsafe-inline'" in csp:
        problems.append("the Content-Security-Policy allows 'unsafe-inline'")

    return problems


def checked_page(response: Response, label: str, config, status: int | None = 200) -> Page:
    """``response`` parsed, after asserting its status and every page invariant;
    ``label`` names the page in a failure ("GET /foi")."""
    if status is not None:
        assert response.status_code == status, f"{label}: expected HTTP {status}, got {response.status_code}"
    page = Page(response)
    problems = page_problems(response, config, page)
    assert problems == [], f"{label} breaks what every page must be:\n" + "\n".join(f"  - {p}" for p in problems)
    return page


class PageRequests:
    """What the ``get_page`` and ``post_page`` fixtures call: a request through the test's
    ``client`` fixture (or the ``client`` passed), its answer checked and parsed."""

    def __init__(self, method: str, default_client: Callable[[], FlaskClient]):
        self.method = method
        self.default_client = default_client  # called only when needed: no app is built for nothing

    def __call__(self, path: str, status: int | None = 200, client: FlaskClient | None = None, **kwargs) -> Page:
        client = client or self.default_client()
        response = client.open(path, method=self.method, **kwargs)
        return checked_page(response, f"{self.method} {path}", client.application.config, status)
