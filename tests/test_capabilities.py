"""Each capability registers itself with one ``init_app``: its routes, commands, links
and page-cache hooks. The layout's navigation and footer come from what they registered."""

from __future__ import annotations

from flask_babel import lazy_gettext
from werkzeug.middleware.proxy_fix import ProxyFix
from whitenoise import WhiteNoise

from tests.conftest import TEST_SECRET, make_app, soup
from webapp import CAPABILITIES, LAYOUT_NEEDS, consent, create_app, feedback, foi, health, pages, quick_exit
from webapp.navigation import add_footer_link, add_navigation
from webapp.page_cache import CachedPages
from webapp.security import SecurityHeaders


def build(tmp_path, capabilities, **overrides):
    config = {"TESTING": True, "SECRET_KEY": TEST_SECRET, "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}"}
    return create_app({**config, **overrides}, capabilities=capabilities)


def endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()}


def blueprints_of(app) -> set[str]:
    return {endpoint.split(".")[0] for endpoint in endpoints(app)}


def test_the_site_is_its_capabilities(app):
    assert blueprints_of(app) == {"health", "pages", "consent", "feedback", "quick_exit", "foi"}
    assert (health, pages, consent, feedback, quick_exit, foi) == CAPABILITIES
    assert set(app.cli.list_commands(None)) == {"db", "feedback", "foi"}


def test_an_app_with_some_capabilities_has_only_their_routes_and_commands(tmp_path):
    app = build(tmp_path, (health, pages))
    assert blueprints_of(app) == {"health", "pages"}
    assert "/healthz" in {rule.rule for rule in app.url_map.iter_rules()}
    client = app.test_client()
    assert client.get("/foi").status_code == 404
    assert client.get("/leave").status_code == 404
    assert set(app.cli.list_commands(None)) == {"db"}  # the database's, not feedback's or foi's


def test_each_capability_adds_its_own_commands(tmp_path):
    assert set(build(tmp_path, (feedback,)).cli.list_commands(None)) == {"db", "feedback"}
    assert set(build(tmp_path, (foi,)).cli.list_commands(None)) == {"db", "foi"}


def test_page_cache_hooks_come_with_the_capability(tmp_path):
    without = build(tmp_path, (pages,)).extensions["page_cache"]
    assert without.vary_cookies == set() and without.key_parts == [] and without.hit_headers == []
    with_both = build(tmp_path, (pages, consent, foi)).extensions["page_cache"]
    assert with_both.vary_cookies == set(consent.VARY_COOKIES)
    assert "/cookies" in with_both.vary_by_path and len(with_both.hit_headers) == 1
    assert len(with_both.key_parts) == 1  # the FOI content version


def test_navigation_and_footer_are_built_from_what_capabilities_registered(tmp_path):
    # The layout itself links the cookies page, the feedback form and the quick exit, so
    # every page needs those capabilities; this site leaves out FOI and health.
    app = build(tmp_path, LAYOUT_NEEDS, CONTACT_URL="https://example.org/contact-us")
    page = soup(app.test_client().get("/"))
    navigation = [(a.get_text(strip=True), a["href"]) for a in page.select(".govuk-service-navigation__item a")]
    footer = [(a.get_text(strip=True), a["href"]) for a in page.select("footer .govuk-footer__link")]
    assert navigation == [("Home", "/")]
    assert footer == [
        ("Accessibility statement", "/accessibility-statement"),
        ("Cookies", "/cookies"),
        ("Privacy", "/privacy"),
        ("Staying safe online", "/staying-safe-online"),
        ("Contact", "https://example.org/contact-us"),
    ]


def test_a_registered_link_is_built_by_url_for_in_its_place(tmp_path):
    app = make_app(tmp_path, PAGE_CACHE_ENTRIES=0)
    client = app.test_client()
    client.get("/privacy")  # the links as they were are worked out and kept...
    add_navigation(app, "pages.privacy", lazy_gettext("Privacy notice"), order=-1)
    add_footer_link(app, "feedback.form", lazy_gettext("Feedback"), order=25)  # after cookies
    page = soup(client.get("/privacy"))  # ...and worked out again once links are added
    items = page.select(".govuk-service-navigation__item a")
    assert [(a.get_text(strip=True), a["href"]) for a in items][0] == ("Privacy notice", "/privacy")
    assert items[0]["aria-current"] == "page"
    assert not items[1].has_attr("aria-current")  # Home is not this page
    footer = [a.get_text(strip=True) for a in page.select("footer .govuk-footer__link")]
    assert footer[1:4] == ["Cookies", "Feedback", "Privacy"]
    assert page.select_one("footer a[href='/feedback']")


def test_a_section_link_is_active_on_every_page_under_it(tmp_path):
    client = make_app(tmp_path).test_client()
    for path in ("/foi", "/foi/no-such-response"):
        items = soup(client.get(path)).select(".govuk-service-navigation__item a")
        assert [a.get("aria-current") for a in items] == [None, "true"], path


def test_wsgi_layers_in_order(tmp_path):
    """ProxyFix outermost, then the security headers, static files, the page cache, Flask."""
    app = build(tmp_path, CAPABILITIES, PROXY_FIX=1)
    layers = []
    wsgi = app.wsgi_app
    while not hasattr(wsgi, "__self__"):  # down to Flask's own bound wsgi_app
        layers.append(type(wsgi))
        wsgi = getattr(wsgi, "app", None) or wsgi.application
    assert layers == [ProxyFix, SecurityHeaders, WhiteNoise, CachedPages]
    assert wsgi.__self__ is app

