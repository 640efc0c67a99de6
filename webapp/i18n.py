"""Translation seams: every user-facing string is marked for Flask-Babel.

English is the only language for now; ``SUPPORTED_LOCALES`` is where a second one
(Welsh, ``cy``) would be added once its catalogue exists. Templates mark strings with
``{{ _("...") }}`` or ``{% trans %}``; Python with ``gettext``/``lazy_gettext`` from
``flask_babel``; scripts take theirs from ``data-`` attributes the templates render.
``make translations`` extracts them into ``webapp/translations/messages.pot``
(docs/translation.md).
"""

from __future__ import annotations

from flask import Flask
from flask_babel import Babel

SUPPORTED_LOCALES = ("en",)
DEFAULT_LOCALE = "en"

babel = Babel()


def select_locale() -> str:
    return DEFAULT_LOCALE


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    babel.init_app(app, locale_selector=select_locale)
    # The extensions babel.cfg extracts with: Flask-Babel adds jinja2.ext.i18n, this
    # adds {% do %}, so a template that runs with it also extracts.
    app.jinja_env.add_extension("jinja2.ext.do")
