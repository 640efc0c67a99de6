"""The FOI publication site: ``create_app`` builds the Flask application.

Production: ``gunicorn 'webapp:create_app()'``.
"""

from __future__ import annotations

import re

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix
from whitenoise import WhiteNoise

from webapp import assets, config, errors, i18n, security, sqlite_file, templating
from webapp.extensions import compress, csrf, db, limiter
from webapp.page_cache import PageCache
from webapp.quick_exit import settings as quick_exit_settings

STATIC_CACHE_CONTROL = "public, max-age=31536000, immutable"
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.[a-z0-9]+$")


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.config.update(config.load())
    app.config.update(overrides or {})
    app.config.update(
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_MIMETYPES=[
            "text/html", "application/json", "application/atom+xml", "text/csv", "text/plain",
        ],
        COMPRESS_BR_LEVEL=5,
        COMPRESS_LEVEL=6,
    )
    templating.init_app(app)

    i18n.init_app(app)
    db.init_app(app)
    sqlite_file.init_app(app)
    csrf.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    assets.init_app(app)
    errors.init_app(app)
    quick_exit_settings.validate(app.config)
    app.before_request(security.reject_oversized_body)
    app.after_request(security.no_store_html)
    app.context_processor(layout_context)

    from webapp import consent, foi, health
    from webapp.feedback import cli as feedback_cli
    from webapp.feedback import views as feedback
    from webapp.pages import views as pages
    from webapp.quick_exit import views as quick_exit

    app.register_blueprint(health.bp)
    app.register_blueprint(pages.bp)
    consent.init_app(app)
    app.register_blueprint(feedback.bp)
    feedback_cli.init_app(app)
    app.register_blueprint(quick_exit.bp)
    foi.init_app(app)

    wrap_wsgi(app)
    consent.vary_page_cache(app)
    foi.watch_content_version(app)
    return app


def layout_context() -> dict:
    """What the one layout needs on every page: navigation state and the feedback link."""
    path = request.path
    return {
        "current_path": path,
        "navigation": [
            {"href": "/", "text": "Home", "current": path == "/"},
            {"href": "/foi", "text": "FOI responses", "active": path == "/foi" or path.startswith("/foi/")},
        ],
        "footer_links": [
            {"href": "/accessibility-statement", "text": "Accessibility statement"},
            {"href": "/cookies", "text": "Cookies"},
            {"href": "/privacy", "text": "Privacy"},
            {"href": "/staying-safe-online", "text": "Staying safe online"},
            {"href": current_app.config["CONTACT_URL"], "text": "Contact"},
        ],
    }


def wrap_wsgi(app: Flask) -> None:
    """Page cache, then static files, then security headers on everything, then the proxy fix."""
    cache_entries = 0 if app.config["DEBUG"] else app.config["PAGE_CACHE_ENTRIES"]
    page_cache = PageCache(app.wsgi_app, max_entries=cache_entries, max_bytes=app.config["PAGE_CACHE_BYTES"])
    app.extensions["page_cache"] = page_cache

    def is_hashed(_path, url):
        return bool(HASHED_NAME.search(url))

    def static_headers(headers, path, url):
        # Content-hashed names never change, so they can be cached for a year;
        # anything else (the manifest) is revalidated.
        headers["Cache-Control"] = STATIC_CACHE_CONTROL if is_hashed(path, url) else "no-cache"

    static = WhiteNoise(
        page_cache,
        root=str(assets.DIST_DIR),
        prefix=assets.STATIC_URL,
        immutable_file_test=is_hashed,
        add_headers_function=static_headers,
        autorefresh=app.config["DEBUG"],
    )
    wsgi = security.SecurityHeaders(static, csp=security.content_security_policy())
    if app.config["PROXY_FIX"]:
        hops = app.config["PROXY_FIX"]
        wsgi = ProxyFix(wsgi, x_for=hops, x_proto=hops, x_host=hops)
    app.wsgi_app = wsgi
