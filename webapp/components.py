"""GOV.UK components rendered from Python, and kept once rendered.

:func:`render` calls a govuk-frontend-jinja macro by its component's name
(``"character-count"`` is ``govukCharacterCount``). :func:`kept` does the same through
the app's fragment store (``env.keep_fragment``, :mod:`webapp.templating`): the same
parameters give the same HTML, so it is rendered once per parameters, language and
mount point. Only parameters that hold nothing a visitor typed may be kept.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel.speaklater import LazyString
from markupsafe import Markup


def render(component: str, params: dict) -> Markup:
    """What the component's GOV.UK macro returns for ``params``."""
    template = current_app.jinja_env.get_template(f"govuk_frontend_jinja/components/{component}/macro.html")
    macro = "govuk" + "".join(word.capitalize() for word in component.split("-"))
    return Markup(getattr(template.module, macro)(params))


def kept(component: str, params: dict, key: object = None) -> Markup:
    """:func:`render`, kept in the app's fragment store by the parameters, or by
    ``key`` where the caller knows what the parameters follow from (cheaper than
    freezing them)."""
    return current_app.jinja_env.keep_fragment(
        ("component", component, frozen(params) if key is None else key), lambda: render(component, params))


def frozen(value: Any) -> Any:
    """``value`` (a component's parameters) as a key: dicts and lists as tuples, text
    with its type, since the macros escape ``str`` but not ``Markup`` or a lazy string.
    A lazy string is its message and arguments, not its translation: the fragment store
    is kept per language, and translating it for the key cost more than the lookup."""
    if isinstance(value, dict):
        return tuple((key, frozen(item)) for key, item in value.items())
    if isinstance(value, list | tuple):
        return tuple(frozen(item) for item in value)
    if isinstance(value, LazyString):
        return LazyString, value._func, frozen(value._args), frozen(value._kwargs)
    if isinstance(value, str):
        return type(value), value
    return value
