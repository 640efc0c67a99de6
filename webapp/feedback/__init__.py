"""Beta feedback: the form (views.py, forms.py), its storage (store.py) and the staff
commands (cli.py: ``flask feedback export|stats|purge``)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from webapp.feedback.cli import feedback_cli
    from webapp.feedback.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(feedback_cli)
