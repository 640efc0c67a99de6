"""Translation seams: every user-facing string is marked for Flask-Babel.

English is the only language for now; ``SUPPORTED_LOCALES`` is where a second one
(Welsh, ``cy``) would be added once its catalogue exists. Templates mark strings with
``{{ _("...") }}`` or ``{% trans %}``; Python with this module's ``gettext``,
``ngettext`` and ``lazy_gettext`` (Flask-Babel's, reading the request's catalogue once);
scripts take theirs from ``data-`` attributes the templates render.
``make translations`` extracts them into ``webapp/translations/messages.pot``
(docs/translation.md).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel import Locale
from babel.dates import format_date
from flask import Flask
from flask.globals import _cv_app
from flask_babel import Babel, _get_current_context, get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

SUPPORTED_LOCALES = ("en",)
DEFAULT_LOCALE = "en"


def select_locale() -> Locale:
    """The request's language. A ``Locale`` rather than its name: Flask-Babel parses a
    name again for every request (13 µs, a file system look-up included)."""
    return locale_named(DEFAULT_LOCALE)


@lru_cache(maxsize=len(SUPPORTED_LOCALES))
def locale_named(name: str) -> Locale:
    return Locale.parse(name)


def _babel_slot():
    """Flask-Babel 4.0's per-request slot (``g._flask_babel``, pinned), read from the
    app context's own variable: each look-up through the ``g`` proxy costs a
    microsecond or two, and a page asks dozens of times."""
    context = _cv_app.get(None)
    return None if context is None else getattr(context.g, "_flask_babel", None)


def current_locale() -> Locale | None:
    """``flask_babel.get_locale()``, read straight from Flask-Babel's slot once it has
    worked the locale out for this request (0.5 µs, against 6 µs through its three
    look-ups of ``g``). ``force_locale()`` sets and restores the same slot."""
    found = getattr(_babel_slot(), "babel_locale", None)
    return found if found is not None else get_locale()


def translations():
    """This request's catalogue, for the templates' ``_()`` and ``{% trans %}``.

    Flask-Babel finds it again on every call (three context look-ups and the locale's
    name): 13 µs of CPU a ``_()``, 0.9 ms for the privacy notice's 71 strings. Here it is
    kept in Flask-Babel's own per-request slot, ``babel_translations`` (4.0's context,
    pinned), which ``force_locale()`` and ``refresh()`` reset when the locale changes
    (tests/test_translation.py checks a forced locale still reaches the templates).
    """
    found = getattr(_babel_slot(), "babel_translations", None)
    if found is not None:
        return found
    context = _get_current_context()
    if context is None:
        return get_translations()
    found = context.babel_translations = get_translations()
    return found


def gettext(string: str, **variables) -> str:
    """``flask_babel.gettext``: ``string`` in this request's language, formatted with
    ``variables`` when there are any. It reads the catalogue :func:`translations` keeps
    for the request, where Flask-Babel's finds its domain, context and catalogue again
    on every call (a log page asks about twenty times)."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """``flask_babel.ngettext``: the singular or plural for ``num``, formatted, with
    ``num`` among the variables."""
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables) -> LazyString:
    """``flask_babel.lazy_gettext``: translated by :func:`gettext` each time it is
    used as text (for messages defined at import, before any request)."""
    return LazyString(gettext, string, **variables)


@pass_context
def template_gettext(context: Context, string: str, **variables) -> str:
    """The templates' ``_()`` and ``{% trans %}``: Jinja's "newstyle" gettext (the
    message is always a format string, so ``%%`` is a literal ``%``), reading this
    request's catalogue. A message with nothing to format is returned as it is, which is
    what formatting it gives; ``Markup % {}`` alone costs 3.7 µs, more than the rest of
    a ``_()``, now 2 µs."""
    text = translations().ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    if not variables and "%" not in text:
        return text
    return text % variables


def filled_in(message: Markup, **values) -> Markup:
    """A translated ``message`` (trusted as HTML, as :func:`template_gettext` trusts it)
    with ``values`` escaped and written in: what ``_(message, **values)`` gives a
    template, for a message translated once and filled in many times (a page's results)."""
    return Markup(str(message) % {name: escape(value) for name, value in values.items()})


def govuk_date(value: date | None) -> str:
    """Every page's dates, GOV.UK style: 29 November 2026 (nothing for no date), with
    the month named in the visitor's language."""
    return localised_date(value, str(current_locale())) if value else ""


@lru_cache(maxsize=4096)
def localised_date(value: date, locale: str) -> str:
    # Babel takes about 20 µs a date; a page of search results repeats few, and cached
    # they cost what the f-string did.
    return format_date(value, "d MMMM y", locale=locale)


def file_size(size: int) -> str:
    """A file's size as pages show it: 512 bytes, 2.0 KB, 1.5 MB."""
    if size < 1024:
        return gettext("%(size)d bytes", size=size)
    if size < 1024 * 1024:
        return gettext("%(size).1f KB", size=size / 1024)
    return gettext("%(size).1f MB", size=size / (1024 * 1024))


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    # One Babel per app, not one shared unbound object: Flask-Babel keeps the catalogues
    # it has loaded on the instance, keyed by locale alone, so two apps in one process
    # (the tests make many) would otherwise read each other's translations.
    Babel(app, locale_selector=select_locale)
    # Flask-Babel's own callables, each with the catalogue looked up once a request.
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: translations().ugettext(string),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
    # ``_`` is Jinja's alias that looks ``gettext`` up again on every call (1.4 µs);
    # bound directly, it does the same.
    app.jinja_env.globals["gettext"] = app.jinja_env.globals["_"] = template_gettext
