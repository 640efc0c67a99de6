"""Rendered pages are kept and replayed, keyed by everything that changes them."""

from flask import template_rendered

from tests.conftest import make_app, soup


class RenderCounter:
    def __init__(self, app):
        self.count = 0
        template_rendered.connect(self._seen, app)

    def _seen(self, sender, template, context, **extra):
        self.count += 1


def test_second_request_is_served_from_cache(app, client):
    renders = RenderCounter(app)
    first = client.get("/")
    second = client.get("/")
    assert renders.count == 1
    assert first.data == second.data
    assert len(app.extensions["page_cache"]) == 1


def test_key_includes_query_encoding_and_scheme(app, client):
    renders = RenderCounter(app)
    client.get("/")
    client.get("/?a=1")
    client.get("/", headers={"Accept-Encoding": "gzip"})
    client.get("/", base_url="https://localhost")
    assert renders.count == 4
    https = client.get("/", base_url="https://localhost")
    assert "Strict-Transport-Security" in https.headers
    assert renders.count == 4


def test_vary_cookie_values_split_the_cache(app, client):
    cache = app.extensions["page_cache"]
    cache.vary_cookies.add("cookies_policy")
    renders = RenderCounter(app)
    client.get("/")
    client.set_cookie("cookies_policy", "a")
    client.get("/")
    client.set_cookie("cookies_policy", "b")
    client.get("/")
    client.get("/")
    assert renders.count == 3


def test_errors_and_uncacheable_views_are_not_stored(app, client):
    renders = RenderCounter(app)
    client.get("/missing")
    client.get("/missing")
    assert renders.count == 2
    client.get("/healthz")
    assert len(app.extensions["page_cache"]) == 0


def test_responses_setting_a_cookie_are_not_stored(app, client):
    from webapp.page_cache import cacheable

    @app.get("/_test/cookie")
    @cacheable
    def sets_cookie():
        response = app.make_response("hello")
        response.set_cookie("x", "1")
        return response

    client.get("/_test/cookie")
    assert len(app.extensions["page_cache"]) == 0


def test_version_change_renders_again(app, client):
    cache = app.extensions["page_cache"]
    version = {"v": 1}
    cache.version = lambda: version["v"]
    renders = RenderCounter(app)
    client.get("/")
    client.get("/")
    version["v"] = 2
    client.get("/")
    assert renders.count == 2


def test_bounded_and_can_be_turned_off(tmp_path):
    app = make_app(tmp_path, PAGE_CACHE_ENTRIES=2)
    client = app.test_client()
    for n in range(5):
        client.get(f"/?n={n}")
    assert len(app.extensions["page_cache"]) == 2

    off = make_app(tmp_path, PAGE_CACHE_ENTRIES=0)
    renders = RenderCounter(off)
    off.test_client().get("/")
    off.test_client().get("/")
    assert renders.count == 2


def test_head_and_post_are_not_cached(app, client):
    client.head("/")
    client.post("/")
    assert len(app.extensions["page_cache"]) == 0
    assert soup(client.get("/")).select_one("h1")
