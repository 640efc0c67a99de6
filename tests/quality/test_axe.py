"""Gate: every page state (``tests/states.py``) has zero axe-core violations, WCAG 2.2 AA
and best practice, with JavaScript on and with it off.

axe-core cannot run in a page whose JavaScript is off (``axe.run`` never settles), so
the no-JavaScript rendering is checked as ``tests/browser/axe.py`` does it: that page's
DOM, scripts removed, copied into a JavaScript-enabled page at the same address.
"""

from __future__ import annotations

import pytest

from tests.browser.axe import assert_accessible, run_axe
from tests.states import all_states, open_state

pytestmark = pytest.mark.browser

STATES = all_states()

# Served in place of a page on the live site to show the gate can fail, with and
# without JavaScript: an image without a text alternative.
KNOWN_BAD_PATH = "/_axe/known-bad"
KNOWN_BAD = (
    '<!DOCTYPE html><html lang="en"><head><title>Known bad</title></head><body><main><h1>Known bad</h1>'
    '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>'
)


@pytest.mark.parametrize("state", STATES, ids=str)
def test_state_is_accessible_with_javascript(page, site, state):
    open_state(page, state, site)
    # The template's inline script ran (allowed by its CSP hash): components are live.
    assert "govuk-frontend-supported" in (page.locator("body").get_attribute("class") or "")
    assert_accessible(page, state=f"({state.name}, JavaScript on)")


@pytest.mark.parametrize("state", STATES, ids=str)
def test_state_is_accessible_without_javascript(no_js_page, site, state):
    open_state(no_js_page, state, site)
    assert "js-enabled" not in (no_js_page.locator("body").get_attribute("class") or "")
    assert_accessible(no_js_page, state=f"({state.name}, JavaScript off)")


@pytest.mark.parametrize("javascript", ["on", "off"])
def test_axe_gate_finds_a_real_violation(request, javascript):
    """The gate can fail, both ways it checks a page: an image without alt text is reported."""
    page = request.getfixturevalue("page" if javascript == "on" else "no_js_page")
    page.route(f"**{KNOWN_BAD_PATH}", lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=KNOWN_BAD,
    ))
    page.goto(KNOWN_BAD_PATH)
    assert "image-alt" in [violation["id"] for violation in run_axe(page)]
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page)
