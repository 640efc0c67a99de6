"""Rendered pages are kept and replayed, keyed by everything that changes them."""

from flask import request, template_rendered

from tests.conftest import make_app, soup
from webapp.extensions import page_cache


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
    client.get("/foi?q=a")
    client.get("/", headers={"Accept-Encoding": "gzip"})
    client.get("/", base_url="https://localhost")
    assert renders.count == 4
    # Another spelling of the same choice of encoding is the same entry.
    client.get("/", headers={"Accept-Encoding": "deflate, gzip;q=0.9"})
    assert renders.count == 4
    https = client.get("/", base_url="https://localhost")
    assert "Strict-Transport-Security" in https.headers
    assert renders.count == 4


def test_vary_cookie_values_split_the_cache(app, client):
    page_cache.vary_by_cookies(app, "flavour")
    renders = RenderCounter(app)
    client.get("/")
    client.set_cookie("flavour", "a")
    client.get("/")
    client.set_cookie("flavour", "b")
    client.get("/")
    client.get("/")
    assert renders.count == 3
    client.set_cookie("unrelated", "c")  # a cookie nobody registered does not split it
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


def test_a_key_part_changing_renders_again(app, client):
    version = {"v": 1}
    page_cache.key_by(app, lambda: version["v"])
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
        client.get(f"/foi?q={n}")
    assert len(app.extensions["page_cache"]) == 2

    off = make_app(tmp_path, PAGE_CACHE_ENTRIES=0)
    renders = RenderCounter(off)
    off.test_client().get("/")
    off.test_client().get("/")
    assert renders.count == 2


def test_head_and_post_are_not_cached(app, client, get_page):
    client.head("/")
    client.post("/")
    assert len(app.extensions["page_cache"]) == 0
    assert get_page("/").select_one("h1")


def test_bounded_in_bytes(tmp_path):
    """Pages are kept until their bytes reach PAGE_CACHE_BYTES; then the oldest go."""
    limit = 400_000
    app = make_app(tmp_path, PAGE_CACHE_BYTES=limit)
    client = app.test_client()
    cache = app.extensions["page_cache"]
    for n in range(60):
        assert client.get(f"/foi?q=word{n}").status_code == 200
        assert cache.bytes <= limit
    assert 0 < len(cache) < 60
    assert cache.bytes > limit // 2  # the bound is what stops it, not a count


def test_one_entry_larger_than_a_sixteenth_is_not_kept():
    from webapp.page_cache import BoundedStore

    store = BoundedStore(max_entries=100, max_bytes=16_000)
    assert store.put("small", ("200 OK", [], b"x" * 100))
    assert not store.put("huge", ("200 OK", [], b"x" * 2_000))
    assert store.get("huge") is None and store.get("small") is not None


def test_parameters_a_page_does_not_read_redirect_to_its_address(app, client):
    renders = RenderCounter(app)
    cache = app.extensions["page_cache"]
    for n in range(50):
        response = client.get(f"/?junk={n}")
        assert response.status_code == 308
        assert response.headers["Location"] == "/"
    response = client.get("/foi?q=lighthouse&junk=1&page=2&utm_source=x")
    assert response.status_code == 308
    assert response.headers["Location"] == "/foi?q=lighthouse&page=2"
    assert len(cache) == 0 and renders.count == 0
    assert client.get("/", follow_redirects=True).status_code == 200
    assert len(cache) == 1


def test_the_redirect_stays_on_this_site_whatever_the_path(client):
    for path in ("//evil.example/?junk=1", "/%2F%2Fevil.example?junk=1", "///evil.example?x=1"):
        response = client.get(path)
        location = response.headers.get("Location", "")
        assert not location.startswith("//") and "://" not in location, (path, location)


def test_a_cache_hit_deletes_analytics_cookies_sent_without_consent(app, client):
    client.get("/")  # stored
    client.set_cookie("_ga", "GA1.1.123.456")
    renders = RenderCounter(app)
    hit = client.get("/")
    assert renders.count == 0  # a hit
    deleted = [c for c in hit.headers.getlist("Set-Cookie") if c.startswith("_ga=")]
    assert deleted and all("Expires=Thu, 01 Jan 1970" in c or "Max-Age=0" in c for c in deleted)
    assert len(app.extensions["page_cache"]) == 1  # served from the cache, not rendered


def test_the_foi_content_version_is_part_of_every_key(app, client):
    """FOI registers its content version with key_by: an import renders every page afresh."""
    version = app.extensions["foi.content_version"]
    renders = RenderCounter(app)
    client.get("/")
    version.read = lambda: "after an import"
    version.expire()
    client.get("/")
    assert renders.count == 2


def test_vary_path_by_splits_one_path_only(app, client):
    way = {"value": "a"}
    page_cache.vary_path_by(app, "/privacy", lambda environ: way["value"])
    renders = RenderCounter(app)
    client.get("/privacy")
    client.get("/")
    way["value"] = "b"
    client.get("/privacy")  # a new entry for the new value
    client.get("/")  # the home page does not depend on it: a hit
    assert renders.count == 3


def test_on_hit_adds_headers_to_replayed_pages_only(app, client):
    page_cache.on_hit(app, lambda environ: [("X-Replayed", environ["PATH_INFO"])])
    miss = client.get("/")
    hit = client.get("/")
    assert "X-Replayed" not in miss.headers
    assert hit.headers["X-Replayed"] == "/"


def test_clear_forgets_every_page(app, client):
    renders = RenderCounter(app)
    client.get("/")
    page_cache.clear(app)
    assert len(app.extensions["page_cache"]) == 0
    client.get("/")
    assert renders.count == 2


def test_two_apps_in_one_process_keep_separate_caches_and_hooks(tmp_path):
    first = make_app(tmp_path / "first")
    second = make_app(tmp_path / "second", ORGANISATION_NAME="Northshire Constabulary")
    page_cache.on_hit(first, lambda environ: [("X-First", "1")])
    first.test_client().get("/")
    assert len(first.extensions["page_cache"]) == 1
    assert len(second.extensions["page_cache"]) == 0
    for _ in range(2):
        replayed = second.test_client().get("/")
    assert "X-First" not in replayed.headers
    assert soup(replayed).select_one(".govuk-generic-header__homepage-link").get_text(strip=True) == (
        "Northshire Constabulary")
    assert first.test_client().get("/").headers["X-First"] == "1"


def test_the_key_of_the_current_app_is_none_when_the_cache_is_off(tmp_path):
    on = make_app(tmp_path / "on")
    off = make_app(tmp_path / "off", PAGE_CACHE_ENTRIES=0)
    with on.test_request_context("/"):
        assert page_cache.key(request.environ) is not None
    with off.test_request_context("/"):
        assert page_cache.key(request.environ) is None
