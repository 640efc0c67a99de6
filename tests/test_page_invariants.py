"""What every HTML page must be (``tests/pages.py``): checked on every registered page
state through the test client, and each invariant seen to fail on a small bad page."""

from __future__ import annotations

import pytest
from werkzeug.wrappers import Response

from tests.conftest import make_app
from tests.pages import checked_page, page_problems
from tests.states import all_states, fetch_state, prepare_site
from webapp.security import content_security_policy, template_script_hash

STATES = all_states()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One app with the site's content in place (``tests.states.SITE_COMMANDS``)."""
    app = make_app(tmp_path_factory.mktemp("site"))
    prepare_site(app)
    return app


@pytest.mark.parametrize("state", STATES, ids=str)
def test_every_page_state_is_a_valid_page(site, state):
    """A new page (route or registered state) is checked here without anyone adding a test."""
    client = site.test_client()
    path, response = fetch_state(client, state)
    checked_page(response, f"state “{state.name}” ({path})", site.config, status=state.status)


# --- each invariant can fail -----------------------------------------------------------

CONFIG = {"SERVICE_NAME": "FOI log", "ORGANISATION_NAME": "Northshire Constabulary"}
TITLE = "Home – FOI log – Northshire Constabulary"
TEMPLATE_SCRIPT = "document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');"
ERROR_SUMMARY = '<div class="govuk-error-summary"><h2>There is a problem</h2></div>'
GOOD_HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": content_security_policy()}


def html_page(body: str = "<h1>Home</h1>", title: str = TITLE, lang: str = ' lang="en"', head: str = "") -> str:
    return (f"<!DOCTYPE html><html{lang}><head><title>{title}</title>{head}</head>"
            f"<body><main id=\"main-content\">{body}</main></body></html>")


def respond(html: str, status: int = 200, **headers) -> Response:
    merged = {**GOOD_HEADERS, **headers}
    return Response(html, status=status, headers={k: v for k, v in merged.items() if v is not None},
                        mimetype="text/html")


def test_a_good_page_has_no_problems():
    assert page_problems(respond(html_page()), CONFIG) == []
    with_errors = html_page(body=f"<h1>Home</h1>{ERROR_SUMMARY}", title=f"Error: {TITLE}")
    assert page_problems(respond(with_errors), CONFIG) == []
    assert page_problems(respond(html_page(body=f"<h1>Home</h1><script>{TEMPLATE_SCRIPT}</script>")), CONFIG) == []


def test_the_template_script_is_the_one_the_policy_allows():
    """The good page above uses the script the CSP allows, so the check below is of the real one."""
    from tests.pages import script_hash

    assert script_hash(TEMPLATE_SCRIPT) == template_script_hash()


BAD_PAGES = [
    ("no lang", respond(html_page(lang="")), "<html lang> is not set"),
    ("empty lang", respond(html_page(lang=' lang=""')), "<html lang> is not set"),
    ("no h1", respond(html_page(body="<h2>Home</h2>")), "expected exactly one <h1>, found 0"),
    ("two h1", respond(html_page(body="<h1>Home</h1><h1>Again</h1>")), "expected exactly one <h1>, found 2"),
    ("no title", respond(html_page().replace(f"<title>{TITLE}</title>", "")), "expected one <title>, found 0"),
    ("title without names", respond(html_page(title="Home")), "<title> 'Home' does not follow"),
    ("title, wrong organisation", respond(html_page(title="Home – FOI log – GOV.UK")), "does not follow"),
    ("title, wrong order", respond(html_page(title="FOI log – Home – Northshire Constabulary")), "does not follow"),
    ("title, empty page title", respond(html_page(title=" – FOI log – Northshire Constabulary")), "does not follow"),
    ("title, error suffix", respond(html_page(title="Home – FOI log – Northshire Constabulary Error:")), "does not follow"),
    ("error summary, title without Error:", respond(html_page(body=f"<h1>Home</h1>{ERROR_SUMMARY}")),
     "an error summary but no “Error: ” at the start of the <title>"),
    ("Error: title without an error summary", respond(html_page(title=f"Error: {TITLE}")),
     "“Error: ” in the <title> but no error summary on the page"),
    ("duplicate id", respond(html_page(body='<h1 id="a">Home</h1><p id="a">x</p>')), "id used more than once: ['a']"),
    ("form without method", respond(html_page(body='<h1>Home</h1><form action="/x"></form>')), "<form> without method"),
    ("form without action", respond(html_page(body='<h1>Home</h1><form method="post"></form>')), "<form> without action"),
    ("inline style", respond(html_page(body='<h1 style="color:red">Home</h1>')), "inline style attribute"),
    ("event handler", respond(html_page(body='<h1>Home</h1><a href="/" onclick="go()">x</a>')),
     "event handler attribute ['onclick']"),
    ("style element", respond(html_page(head="<style>h1{}</style>")), "<style> element"),
    ("other inline script", respond(html_page(body="<h1>Home</h1><script>alert(1)</script>")),
     "inline <script> other than govuk-frontend-jinja's template script"),
    ("template script, policy without its hash",
     respond(html_page(body=f"<h1>Home</h1><script>{TEMPLATE_SCRIPT}</script>"),
             **{"Content-Security-Policy": "default-src 'self'"}),
     "the template's inline <script> is not allowed by hash"),
    ("no Cache-Control", respond(html_page(), **{"Cache-Control": None}), "Cache-Control None lacks no-store"),
    ("cacheable", respond(html_page(), **{"Cache-Control": "public, max-age=300"}), "lacks no-store"),
    ("no CSP", respond(html_page(), **{"Content-Security-Policy": None}), "no Content-Security-Policy header"),
    ("unsafe-inline", respond(html_page(), **{"Content-Security-Policy": "script-src 'self' 'unsafe-inline'"}),
     "allows 'unsafe-inline'"),
    ("not HTML", Response("{}", mimetype="application/json", headers=GOOD_HEADERS), "not an HTML page"),
]


@pytest.mark.parametrize("response, expected", [case[1:] for case in BAD_PAGES], ids=[case[0] for case in BAD_PAGES])
def test_each_invariant_can_fail(response, expected):
    problems = page_problems(response, CONFIG)
    assert len(problems) == 1, problems
    assert expected in problems[0]


def test_a_failure_names_the_page_and_every_broken_invariant():
    response = respond(html_page(body='<h1 style="x">Home</h1><h1>Two</h1>'))
    with pytest.raises(AssertionError) as failure:
        checked_page(response, "GET /example", CONFIG)
    message = str(failure.value)
    assert message.startswith("GET /example breaks what every page must be:")
    assert "expected exactly one <h1>, found 2" in message
    assert "inline style attribute" in message


def test_a_wrong_status_names_the_page():
    with pytest.raises(AssertionError, match="GET /example: expected HTTP 200, got 404"):
        checked_page(respond(html_page(), status=404), "GET /example", CONFIG)


def test_the_fixture_checks_the_page_it_fetches(app, get_page):
    """``get_page`` runs the checker: a route that renders a bad page fails it."""

    @app.get("/_test/bad-page")
    def bad_page():
        return html_page(body="<p>no heading</p>")

    page = get_page("/")
    assert page.response.status_code == 200 and page.select_one("h1") is not None
    with pytest.raises(AssertionError, match=r"GET /_test/bad-page breaks .*\n  - expected exactly one <h1>"):
        get_page("/_test/bad-page")
