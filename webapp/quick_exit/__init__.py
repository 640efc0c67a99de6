"""Quick exit: the ``/leave`` endpoint (link and beacon) and its settings.

The browser side is ``static/src/js/quick-exit.js`` and ``templates/partials/quick_exit*.html``.
"""

from __future__ import annotations

from flask import Flask

from webapp.quick_exit import settings


def init_app(app: Flask) -> None:
    """``/leave``, after checking the settings the app will use (overrides included)."""
    from webapp.quick_exit.views import bp

    settings.validate(app.config)
    app.register_blueprint(bp)
