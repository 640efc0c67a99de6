"""Every page renders in real Chromium with a clean console and works with JavaScript
switched off. axe-core checks every page state in tests/quality/test_axe.py."""

import pytest

from tests.browser.axe import assert_accessible, run_axe
from tests.conftest import TEST_SECRET
from tests.routes import page_paths
from webapp import create_app
from webapp.consent import policy

pytestmark = pytest.mark.browser

# Collected from the URL map of an app that never touches a database file.
PATHS = page_paths(create_app({"TESTING": True, "DATABASE_URL": "sqlite://"}))


@pytest.mark.parametrize("path", PATHS)
def test_page_works_without_javascript(no_js_page, path):
    response = no_js_page.goto(path)
    assert response.status == 200
    assert "js-enabled" not in (no_js_page.locator("body").get_attribute("class") or "")
    assert no_js_page.locator("main h1").is_visible()
    # Navigation is a plain list of links without the script.
    nav_links = no_js_page.locator(".govuk-service-navigation__list a")
    assert nav_links.count() == 2
    assert nav_links.first.is_visible()


def test_axe_finds_a_real_violation(page):
    """The harness can fail: an image without alt text is reported."""
    page.goto("/")
    page.evaluate("""() => {
        const img = document.createElement('img');
        img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
        document.querySelector('main').append(img);
    }""")
    assert "image-alt" in [violation["id"] for violation in run_axe(page)]


def test_csp_blocks_an_injected_inline_script(page):
    """The policy is live in the browser: an inline script added to the page does not run."""
    page.goto("/")
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.__injected = true';
        document.body.append(s);
    }""")
    assert page.evaluate("window.__injected === undefined")
    assert any("Content Security Policy" in problem for problem in page.problems)
    page.problems.clear()


def test_skip_link_moves_focus_to_main(page, base_url):
    # With a cookie choice made there is no banner, so the skip link is the first tab
    # stop (tests/browser/test_consent.py checks the order while the banner shows).
    page.context.add_cookies([{
        "name": "cookies_policy", "value": policy.dump(policy.reject_all(1), TEST_SECRET), "url": base_url,
    }])
    page.goto("/")
    page.keyboard.press("Tab")  # the quick exit's "Leave this site" link comes first
    page.keyboard.press("Tab")
    skip = page.locator("a.govuk-skip-link[href='#main-content']")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"


def test_mobile_navigation_menu_toggles(page):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/")
    toggle = page.locator(".govuk-service-navigation__toggle")
    assert toggle.is_visible()
    links = page.locator(".govuk-service-navigation__list")
    assert not links.is_visible()
    toggle.click()
    assert links.is_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert_accessible(page, state="(menu open, 360px)")


def test_page_loads_only_same_origin_compressed_assets(page, base_url):
    seen = []
    page.on("response", lambda response: seen.append(response))
    page.goto("/", wait_until="networkidle")
    assets = [response for response in seen if "/static/dist/" in response.url]
    assert {response.url.rsplit(".", 1)[1] for response in assets} >= {"css", "js"}
    for response in assets:
        assert response.url.startswith(base_url)
        assert response.headers.get("content-encoding") in {"br", "gzip"}, response.url


def test_an_aborted_asset_is_a_problem_unless_the_page_went_on(page):
    """The harness forgives the site's own asset abandoned because the page moved on to
    another document, and nothing else: the same abort with no navigation is reported."""
    from tests.browser.harness import unexplained_aborts

    page.route("**/static/dist/*.css", lambda route: route.abort("aborted"))
    page.goto("/")
    reported = unexplained_aborts(page)
    assert reported and all(p.startswith("request failed: ") and p.endswith(".css net::ERR_ABORTED") for p in reported)
    page.get_by_role("link", name="FOI responses").first.click()
    page.wait_for_load_state("load")
    page.unroute("**/static/dist/*.css")
    page.goto("/")  # a navigation after both aborts: both were abandoned with their pages
    assert unexplained_aborts(page) == []


def test_a_followed_link_is_still_loading_when_the_click_returns(no_js_page):
    """The live server holds back the rest of a page a link leads to (harness.HOLD_BACK),
    so a test that reads such a page without waiting for it fails on every machine."""
    no_js_page.goto("/")
    no_js_page.locator(".govuk-service-navigation__list a[href='/foi']").click()
    assert no_js_page.evaluate("document.readyState") == "loading"
    no_js_page.wait_for_load_state()
    assert no_js_page.locator("main h1").inner_text() == "FOI responses"
