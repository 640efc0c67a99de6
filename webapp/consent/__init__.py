"""Cookie consent: the banner, the cookies page, the signed consent cookie, and the
registry of every cookie the site can set (``policy.REGISTRY``)."""

from __future__ import annotations

from flask import Flask

from webapp.consent import policy, visitor
from webapp.extensions import page_cache
from webapp.i18n import lazy_gettext
from webapp.navigation import add_footer_link

# Pages differ by these cookies, so the page cache keys by them.
VARY_COOKIES = (policy.CONSENT_COOKIE, policy.CONFIRMATION_COOKIE)


def init_app(app: Flask) -> None:
    """The banner on every page, the cookies page, and the page cache told what pages
    depend on: the consent cookies everywhere, and on the cookies page also the way back
    it shows. A page replayed from the cache deletes stray analytics cookies as a fresh
    one would."""
    from webapp.consent.views import bp

    app.register_blueprint(bp)
    app.context_processor(visitor.banner_context)
    app.after_request(visitor.after_request)
    add_footer_link(app, "consent.cookies_page", lazy_gettext("Cookies"), order=20)  # after the statement
    page_cache.vary_by_cookies(app, *VARY_COOKIES)
    page_cache.vary_path_by(app, visitor.COOKIES_PAGE, visitor.cookies_page_key)
    page_cache.on_hit(app, lambda environ: visitor.stray_cookie_headers(app, environ))
