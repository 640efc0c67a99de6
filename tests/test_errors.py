"""Every error a user can cause gets a GOV.UK page; unexpected ones are logged with a request id."""

import logging

import pytest
from flask import abort

from tests.conftest import make_app, soup


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)

    # Routes that raise, to reach each handler whichever real route reaches it.
    @app.get("/_test/abort/<int:code>")
    def abort_with(code):
        abort(code)

    @app.get("/_test/crash")
    def crash():
        raise RuntimeError("secret internal detail: password=hunter2")

    return app


def assert_error_page(response, status, title):
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = soup(response)
    assert page.select_one("main h1").get_text(strip=True) == title
    assert page.title.get_text().startswith(title + " – ")
    assert page.select_one(".govuk-phase-banner") is not None  # the full layout, not a bare page
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert "Traceback" not in response.get_data(as_text=True)


def test_404(get_page):
    page = get_page("/no/such/page", status=404)
    assert_error_page(page.response, 404, "Page not found")
    assert page.select_one("main a[href='/foi']").get_text() == "search the FOI responses"


def test_405_keeps_allow_header(post_page):
    response = post_page("/", status=405).response
    assert_error_page(response, 405, "Sorry, that action is not possible on this page")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}


def test_413_for_a_body_over_the_limit(tmp_path, post_page):
    client = make_app(tmp_path, MAX_CONTENT_LENGTH=2048).test_client()
    response = post_page("/", data={"text": "x" * 4096}, status=413, client=client).response
    assert_error_page(response, 413, "Sorry, what you sent is too large")


def test_400(get_page):
    response = get_page("/_test/abort/400", status=400).response
    assert_error_page(response, 400, "Sorry, there is a problem with your request")


def test_429_passes_retry_after(app, get_page):
    from werkzeug.exceptions import TooManyRequests

    @app.get("/_test/limited")
    def limited():
        raise TooManyRequests(retry_after=60)

    response = get_page("/_test/limited", status=429).response
    assert_error_page(response, 429, "Sorry, there have been too many attempts")
    assert response.headers["Retry-After"] == "60"


def test_500_has_its_wording_and_no_stack_trace(client, get_page, caplog):
    # ``client`` first, so the app is built before caplog starts listening.
    with caplog.at_level(logging.ERROR):
        page = get_page("/_test/crash", status=500)
    response = page.response
    assert_error_page(response, 500, "Sorry, there was a technical problem")
    assert page.select("main p")[0].get_text() == "Please try again."
    body = response.get_data(as_text=True)
    assert "hunter2" not in body and "RuntimeError" not in body
    reference = page.select_one("#error-reference").get_text()
    record = next(r for r in caplog.records if r.getMessage() == "unhandled RuntimeError")
    assert record.request_id == reference
    assert record.exc_info[0] is RuntimeError
    assert record.path == "/_test/crash"


def test_500_when_http_500_raised(get_page):
    assert_error_page(get_page("/_test/abort/500", status=500).response, 500, "Sorry, there was a technical problem")


def test_request_id_from_trusted_proxy_only(tmp_path, caplog, get_page):
    for proxy_fix, expect_supplied in ((0, False), (1, True)):
        app = make_app(tmp_path, PROXY_FIX=proxy_fix)

        @app.get("/_test/crash")
        def crash():
            raise RuntimeError("boom")

        page = get_page("/_test/crash", headers={"X-Request-ID": "abc12345-from-proxy"}, status=500,
                        client=app.test_client())
        reference = page.select_one("#error-reference").get_text()
        assert (reference == "abc12345-from-proxy") is expect_supplied


def test_error_page_survives_a_broken_template(app, get_page, monkeypatch):
    import webapp.errors

    def broken(*args, **kwargs):
        raise RuntimeError("template engine down")

    monkeypatch.setattr(webapp.errors, "render_template", broken)
    page = get_page("/no/such/page", status=404)
    assert page.response.status_code == 404
    assert page.select_one("h1").get_text() == "Page not found"
