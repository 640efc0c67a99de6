"""The disclosure log and a response in real Chromium: axe-clean in every state, working
without JavaScript, and a script written in Markdown never runs."""

import pytest

from tests.browser.axe import assert_accessible
from tests.foi_fixtures import SHIPPED_REFERENCE, load_shipped, meta, write
from webapp.extensions import db
from webapp.foi.publish import import_path

pytestmark = pytest.mark.browser

HOSTILE = "TEST-HOSTILE"


@pytest.fixture(scope="module", autouse=True)
def content(live_app, tmp_path_factory):
    load_shipped(live_app)
    folder = tmp_path_factory.mktemp("hostile") / "hostile"
    write(folder, "hostile.md", meta(
        reference=HOSTILE, title="Fictional response with hostile Markdown",
        answers=[{"questions": [1, 2], "text": (
            "<script>window.__pwned = 'script'</script>\n\n"
            "<img src=x onerror=\"window.__pwned = 'img'\">\n\n"
            "[Click me](javascript:window.__pwned='link')\n\n"
            "<a href=\"javascript:window.__pwned='raw'\">Raw link</a>"
        )}],
    ), body="<svg onload=\"window.__pwned = 'svg'\"></svg> Decision.")
    with live_app.app_context():
        report = import_path(db.engine, folder)
    assert not report.problems
    live_app.extensions["foi.content_version"].expire()
    live_app.extensions["page_cache"].clear()


def test_log_with_results_is_accessible(page):
    page.goto("/foi")
    assert page.locator("#result-count").inner_text().endswith("responses")
    page.fill("#q", "connect")
    page.click("button:has-text('Search')")
    page.wait_for_url("**/foi?q=connect**")
    assert page.locator(".app-result h3 mark").first.inner_text() == "CONNECT"
    assert_accessible(page, state="(search results with highlights)")


def test_filters_work_without_javascript(no_js_page):
    no_js_page.goto("/foi")
    no_js_page.check("input[name=outcome][value=refused]")
    no_js_page.click("button:has-text('Apply filters')")
    no_js_page.wait_for_url("**/foi?*outcome=refused*")  # and for the page to load
    assert no_js_page.locator(".app-result h3 a").all_inner_texts() == [
        "Locations of number plate cameras on the Moorside bypass"]
    assert_accessible(no_js_page, state="(filtered, JavaScript off)")


def test_empty_state_is_accessible(page):
    page.goto("/foi?q=zeppelin&outcome=refused")
    assert page.locator("#result-count").inner_text() == "0 responses found"
    assert_accessible(page, state="(no results)")


def test_validation_message_is_accessible_and_focused(page):
    page.goto("/foi?published-from-day=31&published-from-month=2&published-from-year=2024&outcome=maybe")
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert summary.evaluate("el => el === document.activeElement")  # ErrorSummary JS moves focus
    assert page.title().startswith("Error: ")
    assert_accessible(page, state="(validation messages)")
    page.click(".govuk-error-summary__list a:has-text('Published from must be a real date')")
    assert page.evaluate("document.activeElement.id") == "published-from-day"
    assert page.locator("#published-from-day").input_value() == "31"  # nothing typed is lost


def test_validation_message_without_javascript(no_js_page):
    no_js_page.goto("/foi?q=" + "x" * 201)
    assert no_js_page.locator(".govuk-error-summary").is_visible()
    assert_accessible(no_js_page, state="(validation message, JavaScript off)")


def test_pagination_past_the_end_is_a_sensible_page(page):
    page.goto("/foi?page=50")
    assert page.locator("#results h2").first.inner_text() == "There is no page 50"
    assert_accessible(page, state="(page past the end)")


def test_response_is_accessible(page):
    page.goto(f"/foi/{SHIPPED_REFERENCE}")
    assert page.locator("main h1").inner_text() == "The decision to buy and use the CONNECT IT system"
    assert_accessible(page, state="(shipped response)")
    page.goto("/foi/FOI-NMC-25-000981")
    assert page.locator("ol.app-questions li").count() == 12
    assert_accessible(page, state="(long request, exemptions)")
    page.set_viewport_size({"width": 320, "height": 700})
    page.goto("/foi/NMC-2024-0117")
    assert_accessible(page, state="(table and attachment, 320px)")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_response_prints_cleanly(page):
    page.goto(f"/foi/{SHIPPED_REFERENCE}")
    page.emulate_media(media="print")
    assert not page.locator(".govuk-breadcrumbs").is_visible()
    assert not page.locator(".govuk-service-navigation").is_visible()
    assert not page.locator(".govuk-footer").is_visible()
    assert page.locator("main h1").is_visible() and page.locator("ol.app-questions").is_visible()
    after = page.locator(".app-answer__text a").first.evaluate("el => getComputedStyle(el, '::after').content")
    assert "london.gov.uk" in after  # printed links show where they go
    assert len(page.pdf()) > 1000


def test_unknown_reference_offers_the_search(page):
    page.expected_statuses = {404}
    response = page.goto("/foi/NO-SUCH-REFERENCE")
    assert response.status == 404
    page.click("main a:has-text('search the FOI responses')")
    page.wait_for_url("**/foi")
    assert page.locator("main h1").inner_text() == "FOI responses"


def test_script_in_markdown_never_executes(page):
    page.goto(f"/foi/{HOSTILE}")
    page.wait_for_load_state("networkidle")
    answer = page.locator(".app-answer__text")
    assert "<script>" in answer.inner_text()  # shown as text, not run
    page.get_by_text("Click me").click()
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator("main script, main img, main svg[onload]").count() == 0
    assert page.url.endswith(f"/foi/{HOSTILE}")
    # Nothing was even blocked by the CSP: the page fixture fails on any violation.


def test_a_log_with_nothing_published_is_accessible(browser, tmp_path):
    """A fresh site, before any import: its own server, watched like every page."""
    from tests.browser.conftest import LiveServer, watch
    from tests.conftest import make_app

    with LiveServer(make_app(tmp_path)) as server:
        context = browser.new_context(base_url=server.url)
        empty = watch(context.new_page(), server.url)
        empty.goto("/foi")
        assert empty.locator("#result-count").inner_text() == "0 responses"
        assert empty.locator("#results p.govuk-body").first.inner_text() == "No responses have been published yet. Please come back later."
        assert_accessible(empty, state="(nothing published)")
        problems = empty.problems
        context.close()
    assert problems == []
