"""The FOI publication site: ``create_app`` builds the Flask application.

Production: ``gunicorn 'webapp:create_app()'``.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

from flask import Flask

from webapp import (
    assets,
    config,
    consent,
    errors,
    feedback,
    foi,
    health,
    i18n,
    navigation,
    observability,
    pages,
    quick_exit,
    security,
    templating,
)
from webapp.extensions import compress, csrf, db, limiter, page_cache

# What the site offers, each registering its own pages, commands, links and cache hooks.
CAPABILITIES = (health, pages, consent, feedback, quick_exit, foi)
# The page layout links these on every page (home, the cookie banner and cookies page,
# the feedback link, the quick exit): a site built with fewer cannot render a page.
LAYOUT_NEEDS = (pages, consent, feedback, quick_exit)


def create_app(overrides: dict | None = None, capabilities: Iterable[ModuleType] = CAPABILITIES) -> Flask:
    """The site, from the environment's settings plus ``overrides``; ``capabilities``
    chooses what it offers (all of it unless a test says otherwise)."""
    app = Flask(__name__, static_folder=None)
    app.config.update(config.load())
    app.config.update(overrides or {})
    templating.init_app(app)

    # Each capability registers itself. The order matters three ways:
    # - the WSGI layers: each of page_cache, assets and security wraps what is there, so a
    #   request meets ProxyFix, then the security headers, then static files, then the
    #   page cache, then Flask;
    # - after_request hooks run in reverse: consent's (it may set cookies) before security's
    #   Cache-Control, both before the limiter's headers and, last, compression;
    # - the page cache and the navigation exist before the capabilities that add to them.
    observability.init_app(app)  # first, so everything after logs in the site's format
    i18n.init_app(app)
    db.init_app(app)
    csrf.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    page_cache.init_app(app)
    assets.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    navigation.init_app(app)
    for capability in capabilities:
        capability.init_app(app)
    return app
