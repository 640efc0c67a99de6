"""Several instances of the site on one database: what one issues, another accepts; the
rate limit through a Redis that goes away and comes back; /healthz's three answers; a
database that stops answering gets the technical-problem page with status 503."""

from __future__ import annotations

import shutil
import time

import pytest
from sqlalchemy.exc import OperationalError

from tests.conftest import TEST_SECRET, make_app, soup
from tests.feedback_support import CHROME_UA, capture_log, open_form, rows, send, send_page

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
TECHNICAL_PROBLEM = "Sorry, there was a technical problem. Please try again."


def two_instances(tmp_path, **settings):
    """Two apps (as two servers) on one database with the same settings."""
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    one = make_app(tmp_path, DATABASE_URL=database, **settings)
    two = make_app(tmp_path, DATABASE_URL=database, **settings)
    return one, two


def carry_cookies(source, target) -> None:
    """What a browser does when the load balancer sends its next request elsewhere."""
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def seen_text(page) -> str:
    return " ".join(page.select_one("main").get_text(" ", strip=True).split())


def test_a_feedback_form_from_one_instance_is_accepted_by_another(tmp_path):
    """Session cookie, CSRF token and one-time form token are all signed with the shared
    SECRET_KEY: nothing the second instance needs lives in the first one's memory."""
    one, two = two_instances(tmp_path, FEEDBACK_MIN_FILL_SECONDS=0)
    browser_on_one, browser_on_two = one.test_client(), two.test_client()
    hidden = open_form(browser_on_one, "/feedback?from=/foi")
    assert hidden["csrf_token"] and hidden["form_token"]
    carry_cookies(browser_on_one, browser_on_two)

    response = send(browser_on_two, hidden, rating="2", improvement="Sent through the other server")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/feedback/thank-you")
    assert [(row.rating, row.improvement) for row in rows(one)] == [(2, "Sent through the other server")]

    # The session written by the second instance is read by the first: the same answers
    # sent again from a fresh form (Back, then Send) are recognised and stored once.
    carry_cookies(browser_on_two, browser_on_one)
    again = open_form(browser_on_one, "/feedback?from=/foi")
    assert again["form_token"] != hidden["form_token"]
    carry_cookies(browser_on_one, browser_on_two)
    assert send(browser_on_two, again, rating="2", improvement="Sent through the other server").status_code == 303
    assert len(rows(two)) == 1


def test_an_instance_with_another_key_refuses_the_form_and_keeps_the_answers(tmp_path, post_page):
    """The control for the test above: without a shared SECRET_KEY the tokens are refused
    (the form comes back with the answers in it), so sharing the key is what makes it work."""
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    one = make_app(tmp_path, DATABASE_URL=database, FEEDBACK_MIN_FILL_SECONDS=0)
    other = make_app(tmp_path, DATABASE_URL=database, FEEDBACK_MIN_FILL_SECONDS=0,
                     SECRET_KEY="another-secret-key-" + "y" * 32)
    browser_on_one, browser_on_other = one.test_client(), other.test_client()
    hidden = open_form(browser_on_one)
    carry_cookies(browser_on_one, browser_on_other)
    page = send_page(post_page, browser_on_other, hidden, rating="4", improvement="Kept")
    response = page.response
    assert response.status_code == 200
    assert page.select_one("textarea[name=improvement]").get_text() == "Kept"
    assert page.select_one("input[name=rating][value='4']").has_attr("checked")
    assert rows(one) == []


def test_consent_saved_on_one_instance_is_honoured_by_another(tmp_path, get_page):
    one, two = two_instances(tmp_path)
    browser_on_one, browser_on_two = one.test_client(), two.test_client()
    saved = browser_on_one.post("/cookies", data={"functional": "no", "analytics": "yes"}, headers=SAME_ORIGIN)
    assert saved.status_code == 303
    carry_cookies(browser_on_one, browser_on_two)

    page = get_page("/cookies", client=browser_on_two)
    assert page.select_one("input[name=analytics][value=yes]").has_attr("checked")
    assert not page.select_one("input[name=analytics][value=no]").has_attr("checked")
    # The banner no longer asks on the other instance either.
    assert get_page("/", client=browser_on_two).select_one(".govuk-cookie-banner") is None


@pytest.fixture
def private_redis():
    from bench.services import PrivateRedis

    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed: `make test` installs Debian's redis-server")
    with PrivateRedis() as redis_server:
        yield redis_server


def test_rate_limit_falls_back_to_each_instance_when_redis_is_down_and_recovers(tmp_path, private_redis):
    """Redis stopped: feedback keeps being stored, the limit still holds (counted in this
    instance's memory), /healthz says degraded and a warning is logged. Redis back:
    the counters are in Redis again."""
    import redis

    app = make_app(
        tmp_path, FEEDBACK_MIN_FILL_SECONDS=0, FEEDBACK_RATE_LIMIT="2 per minute",
        RATELIMIT_STORAGE_URI=private_redis.url, RATELIMIT_KEY_PREFIX="fallback-test", LOG_LEVEL="INFO",
    )
    limiter_log = capture_log(app)
    import logging
    logging.getLogger("flask-limiter").addHandler(limiter_log)
    client = app.test_client()
    counters = redis.Redis.from_url(private_redis.url)
    try:
        assert client.get("/healthz").json == {"status": "ok", "database": True, "redis": True}
        assert send(client, open_form(client), rating="1").status_code == 303
        assert list(counters.scan_iter("*fallback-test*")), "counted in Redis while it is up"

        private_redis.stop()
        health = client.get("/healthz")
        assert (health.status_code, health.json) == (200, {"status": "degraded", "database": True, "redis": False})
        assert send(client, open_form(client), rating="2").status_code == 303
        assert send(client, open_form(client), rating="3").status_code == 303
        refused = send(client, open_form(client), rating="4")
        assert refused.status_code == 429, "the limit still holds, per instance, while Redis is down"
        assert [row.rating for row in rows(app)] == [1, 2, 3]
        warnings = [r.getMessage() for r in limiter_log.records if r.levelname == "WARNING"]
        assert any("falling back to in-memory storage" in message for message in warnings), warnings

        private_redis.start()
        assert client.get("/healthz").json["status"] == "ok"
        assert not list(counters.scan_iter("*fallback-test*")), "a fresh Redis holds no counters"
        # Flask-Limiter looks at a failed storage again after 1, 2, 4 ... 32 s; until then
        # the in-memory count (at the limit) refuses. Then it counts in Redis again.
        deadline = time.monotonic() + 40
        while (response := send(client, open_form(client), rating="5")).status_code == 429:
            assert time.monotonic() < deadline, "the limiter never went back to Redis"
            time.sleep(0.5)
        assert response.status_code == 303
        assert list(counters.scan_iter("*fallback-test*")), "counted in Redis again"
        assert [row.rating for row in rows(app)] == [1, 2, 3, 5]
        assert any(message == "Rate limit storage recovered" for message in limiter_log.messages())
    finally:
        logging.getLogger("flask-limiter").removeHandler(limiter_log)
        counters.close()


def test_a_database_that_stops_answering_gets_the_503_page(tmp_path, monkeypatch):
    """A restarting database is not a fault in the request: 503, the technical-problem wording, a
    Retry-After, and the load balancer's health check says down."""
    app = make_app(tmp_path, PAGE_CACHE_ENTRIES=0)
    client = app.test_client()
    assert client.get("/foi").status_code == 200

    from webapp.foi.search import SearchBackend

    def unreachable(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    # The search is the one database read every log page makes (the filter panel is kept
    # per content version).
    monkeypatch.setattr(SearchBackend, "search", unreachable)
    response = client.get("/foi", headers={"User-Agent": CHROME_UA})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = soup(response)
    heading = page.select_one("main h1").get_text(strip=True)
    first_paragraph = page.select_one("main h1 + p").get_text(strip=True)
    assert f"{heading}. {first_paragraph}" == TECHNICAL_PROBLEM
    assert page.select_one("#error-reference").get_text(strip=True)

    # A fault in the code is still a 500.
    monkeypatch.setattr(SearchBackend, "search", lambda *_a, **_k: 1 / 0)
    assert client.get("/foi").status_code == 500


def test_healthz_is_down_when_the_database_is_and_redis_is_not_checked_without_it(tmp_path):
    from webapp import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET,
                      "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "down", "database": False, "redis": None}
