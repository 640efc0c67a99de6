"""The feedback form in real Chromium, with JavaScript on and off: every state axe-clean."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.feedback_support import rows

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def quick_form(live_app, monkeypatch):
    # A test fills the form faster than a person; other tests' POSTs share the limiter.
    monkeypatch.setitem(live_app.config, "FEEDBACK_MIN_FILL_SECONDS", 0)
    monkeypatch.setitem(live_app.config, "FEEDBACK_RATE_LIMIT", "1000 per minute")


def stored(live_app, text):
    return [row for row in rows(live_app) if row.improvement == text]


def test_character_count_works_with_javascript(page):
    page.goto("/feedback?from=/")
    page.wait_for_load_state("networkidle")
    assert_accessible(page, state="(empty form)")
    status = page.locator(".govuk-character-count__status")
    assert status.inner_text() == "You have 1,200 characters remaining"
    page.fill("#improvement", "a" * 1195)
    page.wait_for_function("document.querySelector('.govuk-character-count__status').textContent.includes('5 characters')")
    assert status.inner_text() == "You have 5 characters remaining"
    page.fill("#improvement", "a" * 1203)
    page.wait_for_function("document.querySelector('.govuk-character-count__status').textContent.includes('too many')")
    assert status.inner_text() == "You have 3 characters too many"
    assert "govuk-error-message" in status.get_attribute("class")
    assert_accessible(page, state="(over the limit)")


def test_errors_then_success_with_javascript(page, live_app):
    text = f"With JS {uuid.uuid4().hex}"
    page.goto("/feedback?from=/")
    page.fill("#improvement", text)
    page.get_by_role("button", name="Send feedback").click()
    expect(page).to_have_title(re.compile(r"^Error: Give feedback on this site"))  # the form has come back
    page.wait_for_load_state("networkidle")

    summary = page.locator(".govuk-error-summary")
    assert summary.evaluate("element => element === document.activeElement"), "error summary is focused"
    assert page.locator("#improvement").input_value() == text
    assert_accessible(page, state="(with errors)")

    page.get_by_role("link", name="Select how you felt about this site").click()
    assert page.evaluate("document.activeElement.id") == "rating"

    page.get_by_label("Satisfied", exact=True).check()
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_url("**/feedback/thank-you?from=/")
    assert page.locator("h1.govuk-panel__title").inner_text() == "Thank you for your feedback"
    assert_accessible(page, state="(thank you)")

    [row] = stored(live_app, text)
    assert (row.rating, row.page, row.js_enabled, row.user_agent_family) == (2, "/", True, "Chrome")
    page.get_by_role("link", name="Go back to the page you were on").click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")


def test_form_works_without_javascript(no_js_page, live_app):
    page = no_js_page
    text = f"Without JS {uuid.uuid4().hex}"
    page.goto("/feedback?from=/")
    assert page.locator("#improvement-info").inner_text() == "You can enter up to 1200 characters"
    assert not page.locator("input[name=website]").is_visible()
    assert_accessible(page, state="(empty form, JavaScript off)")

    page.fill("#improvement", text)
    page.get_by_role("button", name="Send feedback").click()
    expect(page).to_have_title(re.compile(r"^Error: "))  # the form has come back
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary__list a").inner_text() == "Select how you felt about this site"
    assert page.locator("#improvement").input_value() == text
    assert_accessible(page, state="(with errors, JavaScript off)")

    page.get_by_label("Very dissatisfied").check()
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_url("**/feedback/thank-you?from=/")
    assert_accessible(page, state="(thank you, JavaScript off)")
    [row] = stored(live_app, text)
    assert (row.rating, row.js_enabled) == (5, False)


def test_double_click_stores_once(page, live_app):
    text = f"Double click {uuid.uuid4().hex}"
    page.goto("/feedback")
    page.get_by_label("Very satisfied").check()
    page.fill("#improvement", text)
    page.get_by_role("button", name="Send feedback").dblclick()
    page.wait_for_url("**/feedback/thank-you")
    # Back to the form and send it again: the same one-time id.
    page.go_back()
    page.wait_for_url("**/feedback")
    if page.locator("input[name=rating]:checked").count() == 0:
        page.get_by_label("Very satisfied").check()
    page.fill("#improvement", text)
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_url("**/feedback/thank-you")
    assert len(stored(live_app, text)) == 1
