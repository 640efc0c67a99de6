"""The disclosure log: FOI responses published from files, searched, filtered and fed.

``init_app`` registers the pages, the ``flask foi`` commands, the navigation link, and
the content version (``app.extensions[CONTENT_VERSION]``, raised by every import), which keys the page
cache so an import reaches every worker.
"""

from __future__ import annotations

from flask import Flask

from webapp.extensions import db, page_cache
from webapp.i18n import lazy_gettext
from webapp.navigation import add_navigation


def init_app(app: Flask) -> None:
    from webapp.foi import cli, views
    from webapp.foi.catalogue import CONTENT_VERSION, ContentVersion

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.foi_cli)
    add_navigation(app, "foi.log", lazy_gettext("FOI responses"), section=True)
    with app.app_context():
        engine = db.engine
    version = ContentVersion(engine, ttl=app.config["FOI_VERSION_TTL"])
    app.extensions[CONTENT_VERSION] = version
    page_cache.key_by(app, version)
