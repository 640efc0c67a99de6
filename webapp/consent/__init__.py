"""Cookie consent: the banner, the cookies page, the signed consent cookie, and the
registry of every cookie the site can set (``policy.REGISTRY``)."""

from __future__ import annotations

from flask import Flask

from webapp.consent import policy, visitor

# Pages differ by these cookies, so the page cache keys by them.
VARY_COOKIES = (policy.CONSENT_COOKIE, policy.CONFIRMATION_COOKIE)


def init_app(app: Flask) -> None:
    from webapp.consent.views import bp

    app.register_blueprint(bp)
    app.context_processor(visitor.banner_context)
    app.after_request(visitor.after_request)


def vary_page_cache(app: Flask) -> None:
    """Called once the page cache exists: key cached pages by the consent cookies, and
    the cookies page also by the way back it shows; delete stray analytics cookies on a
    cache hit as on a miss."""
    page_cache = app.extensions["page_cache"]
    page_cache.vary_cookies.update(VARY_COOKIES)
    page_cache.vary_by_path[visitor.COOKIES_PAGE] = visitor.cookies_page_key
    page_cache.hit_headers.append(lambda environ: visitor.stray_cookie_headers(app, environ))
