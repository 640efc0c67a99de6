"""Flask-Limiter on the feedback form: per client, configurable, in memory or in Redis,
answered by the GOV.UK 429 page."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import make_app, service_url, soup
from tests.feedback_support import open_form, rows, send
from webapp import config


def test_limit_is_answered_by_the_429_page(tmp_path):
    app = make_app(tmp_path, FEEDBACK_RATE_LIMIT="2 per minute", FEEDBACK_MIN_FILL_SECONDS=0)
    client = app.test_client()
    hidden = open_form(client)
    assert send(client, hidden, rating="1").status_code == 303
    assert send(client, {**open_form(client)}, rating="2").status_code == 303
    response = send(client, open_form(client), rating="3")
    assert response.status_code == 429
    page = soup(response)
    assert page.select_one("main h1").get_text(strip=True) == "Sorry, there have been too many attempts"
    assert "Wait a minute, then try again." in page.select_one("main").get_text(" ", strip=True)
    assert int(response.headers["Retry-After"]) > 0
    assert [row.rating for row in rows(app)] == [1, 2]
    # Reading the form is not limited; only sending it is.
    assert client.get("/feedback").status_code == 200


def test_limit_is_per_client(tmp_path):
    app = make_app(tmp_path, FEEDBACK_RATE_LIMIT="1 per minute", FEEDBACK_MIN_FILL_SECONDS=0)
    first = app.test_client()
    second = app.test_client()
    assert send(first, open_form(first), rating="1").status_code == 303
    assert send(first, open_form(first), rating="1").status_code == 429
    other = {"REMOTE_ADDR": "192.0.2.7"}
    hidden = open_form(second)
    response = second.post("/feedback", data={**hidden, "rating": "2"}, environ_base=other)
    assert response.status_code == 303


def test_limit_and_storage_are_settings():
    settings = config.load({})
    assert settings["FEEDBACK_RATE_LIMIT"] == "10 per minute;60 per hour"
    assert settings["RATELIMIT_STORAGE_URI"] == "memory://"
    settings = config.load({"FEEDBACK_RATE_LIMIT": "5/minute", "RATELIMIT_STORAGE_URI": "redis://r:6379/1"})
    assert settings["FEEDBACK_RATE_LIMIT"] == "5/minute"
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://r:6379/1"
    with pytest.raises(config.ConfigError, match="FEEDBACK_RATE_LIMIT"):
        config.load({"FEEDBACK_RATE_LIMIT": "lots"})


def test_redis_storage_is_shared_between_instances(tmp_path):
    """Two app instances (as two gunicorn workers or two servers) share one Redis count."""
    import redis

    url = service_url("TEST_REDIS_URL")
    prefix = f"foi-test-{uuid.uuid4().hex[:12]}"
    settings = dict(
        FEEDBACK_RATE_LIMIT="2 per minute", FEEDBACK_MIN_FILL_SECONDS=0,
        RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix,
    )
    one = make_app(tmp_path / "one", **settings)
    two = make_app(tmp_path / "two", **settings)
    connection = redis.Redis.from_url(url)
    try:
        client_one, client_two = one.test_client(), two.test_client()
        assert send(client_one, open_form(client_one), rating="1").status_code == 303
        assert send(client_two, open_form(client_two), rating="1").status_code == 303
        assert send(client_one, open_form(client_one), rating="1").status_code == 429
        assert send(client_two, open_form(client_two), rating="1").status_code == 429
        assert list(connection.scan_iter(f"*{prefix}*")), "the counters live in Redis"
    finally:
        for key in connection.scan_iter(f"*{prefix}*"):
            connection.delete(key)
        connection.close()


def test_feedback_is_accepted_when_the_limiter_storage_is_down(tmp_path):
    """A broken Redis must not lose feedback: the limiter lets the request through."""
    app = make_app(
        tmp_path, FEEDBACK_MIN_FILL_SECONDS=0, FEEDBACK_RATE_LIMIT="1 per minute",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0",  # nothing listens on port 9
    )
    client = app.test_client()
    assert send(client, open_form(client), rating="1").status_code == 303
    assert [row.rating for row in rows(app)] == [1]


def test_only_the_limited_view_counts(tmp_path, monkeypatch):
    """With limits set per view only, a request to any other page (the form's GET
    included) never reaches the limiter's checks; the POST is checked once."""
    from webapp.extensions import limiter

    app = make_app(tmp_path, FEEDBACK_RATE_LIMIT="5 per minute", FEEDBACK_MIN_FILL_SECONDS=0)
    client = app.test_client()
    checked = []
    resolve = limiter.limit_manager.resolve_limits
    monkeypatch.setattr(limiter.limit_manager, "resolve_limits",
                        lambda *args, **kwargs: checked.append(args[1]) or resolve(*args, **kwargs))
    hidden = open_form(client)
    assert client.get("/").status_code == 200
    assert checked == []
    assert send(client, hidden, rating="1").status_code == 303
    assert checked == ["feedback.submit"]


@pytest.mark.parametrize("setting", ["default_limits", "application_limits"])
def test_limits_covering_every_view_are_still_checked_before_each_request(setting):
    """Should a limit ever cover every view, the check before each request counts it."""
    from flask import Flask
    from flask_limiter.util import get_remote_address

    from webapp.extensions import AppLimiter

    app = Flask(__name__)
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    AppLimiter(key_func=get_remote_address, **{setting: ["1 per minute"]}).init_app(app)
    app.add_url_rule("/", "page", lambda: "a page")
    client = app.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/").status_code == 429
