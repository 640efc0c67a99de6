"""Cookie consent in real Chromium, with JavaScript on and off: nothing is set or
fetched off-site before a choice; accept, reject and hide; the cookies page; analytics
loaded only with consent and removed on withdrawal; the failure message; focus; axe in
every state."""

from __future__ import annotations

import pytest

from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer, origin_of, watch
from tests.conftest import make_app

pytestmark = pytest.mark.browser

FAILURE = "Sorry, there was a technical problem. Please try again."
SAVED = ("Your cookie preferences have been saved. You can update your cookie settings at any time "
         "on the cookies page.")
ANALYTICS_ORIGIN = "https://analytics.example.test"
# Stands in for matomo.js: records that our module configured it first, then sets the
# cookies Matomo would (readable by scripts, as Matomo's are).
FAKE_MATOMO = """
window.__paqSeen = JSON.stringify(window._paq);
document.cookie = "_pk_id.1.abcd=visitor; path=/; max-age=3600";
document.cookie = "_pk_ses.1.abcd=1; path=/; max-age=1800";
"""


def banner(page):
    return page.locator("form.app-cookie-banner")


def message(page, name):
    return page.locator(f"[data-cookie-banner-message={name}]")


def cookie_names(page) -> set[str]:
    return {cookie["name"] for cookie in page.context.cookies()}


@pytest.fixture(params=["js", "no-js"])
def any_page(request):
    """The same test with JavaScript on and with it off."""
    return request.getfixturevalue("page" if request.param == "js" else "no_js_page")


def test_first_visit_sets_no_cookie_and_stays_on_the_site(any_page):
    requests = []
    any_page.on("request", lambda request: requests.append(request.url))
    any_page.goto("/", wait_until="networkidle")
    assert banner(any_page).is_visible()
    assert message(any_page, "question").is_visible()
    assert not message(any_page, "accepted").is_visible()
    assert any_page.context.cookies() == []
    origin = origin_of(any_page.url)
    assert requests and all(origin_of(url) == origin for url in requests)


def test_banner_comes_before_the_skip_link_in_tab_order(page):
    page.goto("/")
    seen = []
    for _ in range(5):
        page.keyboard.press("Tab")
        seen.append(" ".join(page.evaluate("document.activeElement.textContent").split()))
    # The quick exit's "Leave this site" link is first of all, then the banner.
    assert seen == ["Emergency Leave this site", "Accept additional cookies", "Reject additional cookies", "View cookies", "Skip to main content"]


@pytest.mark.parametrize("choice, state", [("Accept", "accepted"), ("Reject", "rejected")])
def test_choice_with_javascript_needs_no_reload_and_focuses_the_confirmation(page, choice, state):
    page.goto("/foi?q=connect")
    page.evaluate("window.__notReloaded = true")
    page.get_by_role("button", name=f"{choice} additional cookies").click()
    confirmation = message(page, state)
    confirmation.wait_for(state="visible")
    assert page.evaluate("window.__notReloaded") is True
    assert not message(page, "question").is_visible()
    assert confirmation.get_attribute("role") == "alert"
    assert confirmation.evaluate("el => el === document.activeElement")
    assert confirmation.locator(".govuk-cookie-banner__content").inner_text() == (
        f"You’ve {state} additional cookies. You can change your cookie settings at any time."
    )
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert set(cookies) == {"cookies_policy"}
    assert cookies["cookies_policy"]["httpOnly"] and cookies["cookies_policy"]["sameSite"] == "Lax"
    assert_accessible(page, state=f"(banner: {state}, JavaScript)")

    confirmation.get_by_role("button", name="Hide cookie message").click()
    assert not banner(page).is_visible()
    assert page.evaluate("window.__notReloaded") is True
    assert_accessible(page, state="(banner hidden)")
    page.reload()
    assert banner(page).count() == 0


@pytest.mark.parametrize("choice, state", [("Accept", "accepted"), ("Reject", "rejected")])
def test_choice_without_javascript_posts_and_returns_to_the_page(no_js_page, choice, state):
    no_js_page.goto("/foi?q=connect")
    no_js_page.get_by_role("button", name=f"{choice} additional cookies").click()
    no_js_page.wait_for_load_state()
    assert no_js_page.url.endswith("/foi?q=connect")
    assert message(no_js_page, state).is_visible()
    assert not message(no_js_page, "question").is_visible()
    assert cookie_names(no_js_page) == {"cookies_policy"}  # the confirmation cookie was consumed
    assert_accessible(no_js_page, state=f"(banner: {state}, JavaScript off)")

    message(no_js_page, state).get_by_role("button", name="Hide cookie message").click()
    no_js_page.wait_for_load_state()
    assert no_js_page.url.endswith("/foi?q=connect")
    assert banner(no_js_page).count() == 0


def test_view_cookies_link_opens_the_cookies_page_without_a_banner(any_page):
    any_page.goto("/")
    any_page.get_by_role("link", name="View cookies").click()
    any_page.wait_for_load_state()
    assert any_page.url.endswith("/cookies")
    assert banner(any_page).count() == 0
    assert any_page.locator("main h1").inner_text() == "Cookies"


def test_failed_post_shows_the_error_and_assumes_nothing(page):
    page.goto("/")
    page.route("**/cookies/consent", lambda route: route.abort())
    page.get_by_role("button", name="Accept additional cookies").click()
    error = page.locator("[data-cookie-banner-error]")
    error.locator("p").wait_for()
    assert error.get_attribute("role") == "alert"
    assert error.inner_text() == FAILURE
    assert message(page, "question").is_visible()
    assert not message(page, "accepted").is_visible()
    assert page.context.cookies() == []
    # The aborted request is what this test caused; anything else is still a failure.
    page.problems = [p for p in page.problems if "/cookies/consent" not in p and "ERR_FAILED" not in p]
    assert_accessible(page, state="(banner: technical problem)")

    # Trying again once the site answers works, and the error goes.
    page.unroute("**/cookies/consent")
    page.get_by_role("button", name="Reject additional cookies").click()
    message(page, "rejected").wait_for(state="visible")
    assert error.inner_text() == ""


def test_server_error_on_post_shows_the_error(page):
    page.expected_statuses = {500}
    page.goto("/")
    page.route("**/cookies/consent", lambda route: route.fulfill(status=500, body="nope"))
    page.get_by_role("button", name="Reject additional cookies").click()
    page.locator("[data-cookie-banner-error] p").wait_for()
    assert page.locator("[data-cookie-banner-error]").inner_text() == FAILURE
    assert not message(page, "rejected").is_visible()


def test_change_settings_on_the_cookies_page(any_page):
    any_page.goto("/foi?q=here")
    any_page.get_by_role("link", name="View cookies").click()
    any_page.wait_for_load_state()
    assert any_page.get_by_role("group", name="Do you want to allow cookies that measure your website use?") \
        .get_by_label("No").is_checked()
    assert_accessible(any_page, state="(cookies page, no choice)")

    any_page.get_by_role("group", name="Do you want to allow cookies that measure your website use?") \
        .get_by_label("Yes").check()
    any_page.get_by_role("button", name="Save cookie settings").click()
    any_page.wait_for_load_state()
    notification = any_page.locator(".govuk-notification-banner--success")
    assert notification.locator(".govuk-notification-banner__heading").inner_text() == SAVED
    if not getattr(any_page, "javascript_disabled", False):
        # GOV.UK Frontend's notification banner script moves focus to a success banner.
        assert notification.evaluate("el => el === document.activeElement")
    assert any_page.get_by_role("group", name="Do you want to allow cookies that measure your website use?") \
        .get_by_label("Yes").is_checked()
    assert any_page.get_by_role("group", name="Do you want to allow cookies that remember your settings?") \
        .get_by_label("No").is_checked()
    assert_accessible(any_page, state="(cookies page, saved)")

    notification.get_by_role("link", name="Go back to the page you were looking at").click()
    any_page.wait_for_load_state()
    assert any_page.url.endswith("/foi?q=here")
    assert banner(any_page).count() == 0
    assert cookie_names(any_page) == {"cookies_policy"}


# Analytics: a fake provider origin, answered by page.route, never the network. -------


@pytest.fixture(scope="module")
def analytics_server(tmp_path_factory):
    app = make_app(
        tmp_path_factory.mktemp("analytics"),
        ANALYTICS_PROVIDER="matomo", ANALYTICS_SCRIPT_URL=f"{ANALYTICS_ORIGIN}/", ANALYTICS_SITE_ID="1",
    )
    with LiveServer(app) as server:
        yield server


def analytics_page_in(browser, server, javascript: bool):
    context = browser.new_context(base_url=server.url, java_script_enabled=javascript)
    page = watch(context.new_page(), server.url)
    page.javascript_disabled = not javascript
    page.analytics_requests = []

    def fulfil(route):
        page.analytics_requests.append(route.request.url)
        if route.request.url.endswith("/matomo.js"):
            route.fulfill(status=200, content_type="text/javascript", body=FAKE_MATOMO)
        else:
            route.fulfill(status=204)

    context.route(f"{ANALYTICS_ORIGIN}/**", fulfil)
    return page


@pytest.fixture(params=["js", "no-js"])
def analytics_page(request, browser, analytics_server):
    page = analytics_page_in(browser, analytics_server, javascript=request.param == "js")
    yield page
    # Requests to the fake provider are expected here (and answered by the route above).
    problems = [p for p in page.problems if not p.startswith(f"off-site request: {ANALYTICS_ORIGIN}/")]
    page.context.close()
    assert problems == [], "\n".join(problems)


def analytics_cookies(page) -> set[str]:
    return {name for name in cookie_names(page) if name.startswith("_pk_")}


def test_analytics_loads_only_after_consent_and_withdrawal_removes_it(analytics_page):
    page = analytics_page
    javascript = not page.javascript_disabled
    page.goto("/", wait_until="networkidle")
    assert page.analytics_requests == []
    assert page.locator(f"script[src^='{ANALYTICS_ORIGIN}']").count() == 0

    page.get_by_role("button", name="Accept additional cookies").click()
    if javascript:
        message(page, "accepted").wait_for(state="visible")
        assert page.analytics_requests == []  # loaded from the next page on, not this one
    else:
        page.wait_for_load_state("networkidle")
        assert message(page, "accepted").is_visible()
    page.goto("/cookies", wait_until="networkidle")
    assert page.locator(f"script[src='{ANALYTICS_ORIGIN}/matomo.js']").count() == 1
    if javascript:
        assert page.analytics_requests == [f"{ANALYTICS_ORIGIN}/matomo.js"]
        queue = page.evaluate("JSON.parse(window.__paqSeen)")
        assert ["setSiteId", "1"] in queue and ["setTrackerUrl", f"{ANALYTICS_ORIGIN}/matomo.php"] in queue
        assert analytics_cookies(page) == {"_pk_id.1.abcd", "_pk_ses.1.abcd"}
    else:
        # No script runs without JavaScript; put Matomo's cookies there as it would have.
        page.context.add_cookies([
            {"name": name, "value": "1", "url": page.url} for name in ("_pk_id.1.abcd", "_pk_ses.1.abcd")
        ])
    assert_accessible(page, state="(cookies page, analytics on)")

    group = page.get_by_role("group", name="Do you want to allow cookies that measure your website use?")
    group.get_by_label("No").check()
    page.get_by_role("button", name="Save cookie settings").click()
    page.wait_for_load_state("networkidle")
    assert analytics_cookies(page) == set()
    requests_before = len(page.analytics_requests)
    page.goto("/", wait_until="networkidle")
    assert page.locator(f"script[src^='{ANALYTICS_ORIGIN}']").count() == 0
    assert len(page.analytics_requests) == requests_before


def test_banner_script_clears_analytics_cookies_it_can_see(browser, analytics_server):
    """Belt and braces: when the server's expired Set-Cookie headers are missing (here the
    answer is faked), rejecting in the banner still clears scripts' analytics cookies."""
    page = analytics_page_in(browser, analytics_server, javascript=True)
    try:
        page.goto("/")
        page.evaluate("document.cookie = '_pk_id.1.abcd=visitor; path=/'")
        page.route("**/cookies/consent", lambda route: route.fulfill(
            status=200, content_type="application/json", body='{"cookies": "rejected"}'))
        page.get_by_role("button", name="Reject additional cookies").click()
        message(page, "rejected").wait_for(state="visible")
        assert page.evaluate("document.cookie") == ""
        assert page.problems == []
    finally:
        page.context.close()


def test_cookies_page_shows_the_analytics_cookies_in_a_table(page, browser, analytics_server):
    analytics = analytics_page_in(browser, analytics_server, javascript=True)
    try:
        analytics.goto("/cookies")
        table = analytics.get_by_role("table", name="Cookies that measure website use we use")
        names = table.locator("tbody th").all_inner_texts()
        assert names[:2] == ["_pk_id.<site>.<hash>", "_pk_ses.<site>.<hash>"]
        assert_accessible(analytics, state="(cookies page with analytics table)")
        assert analytics.problems == []
    finally:
        analytics.context.close()


def test_cookies_page_error_state_is_accessible(page):
    """An answer missing (only possible by tampering, as No is pre-selected) gets the
    GOV.UK error summary and message, and the other answer is kept."""
    page.goto("/cookies")
    page.locator("main form").evaluate(
        "form => form.querySelectorAll('input[name=functional]').forEach(input => input.remove())"
    )
    page.get_by_role("group", name="Do you want to allow cookies that measure your website use?") \
        .get_by_label("Yes").check()
    page.get_by_role("button", name="Save cookie settings").click()
    page.wait_for_load_state()
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_role("link").inner_text() == \
        "Select yes if you want to allow cookies that remember your settings"
    assert page.title().startswith("Error: Cookies")
    summary.evaluate("el => el === document.activeElement") or page.wait_for_function(
        "document.activeElement.classList.contains('govuk-error-summary')")
    assert page.get_by_role("group", name="Do you want to allow cookies that measure your website use?") \
        .get_by_label("Yes").is_checked()
    assert_accessible(page, state="(cookies page, error)")
