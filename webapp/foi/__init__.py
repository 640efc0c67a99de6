"""The disclosure log: FOI responses published from files, searched, filtered and fed.

``init_app`` registers the pages and the ``flask foi`` commands; ``watch_content_version``
keys the page cache by the content version so an import reaches every worker.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp.foi import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.foi_cli)


def watch_content_version(app: Flask) -> None:
    from webapp.extensions import db
    from webapp.foi.catalogue import CONTENT_VERSION, ContentVersion

    with app.app_context():
        engine = db.engine
    version = app.extensions[CONTENT_VERSION] = ContentVersion(engine, ttl=app.config["FOI_VERSION_TTL"])
    app.extensions["page_cache"].version = version
