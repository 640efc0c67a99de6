"""The site's form idiom: each field renders its own GOV.UK component, and a form gives
the layout's error summary with one call.

A field is a WTForms field that renders the matching govuk-frontend-jinja macro with
its label (or legend), hint (the field's ``description``), value and error message in
place, so a template writes ``{{ form.rating() }}``. The component's other parameters
come from ``params=`` where the field is declared, and from keyword arguments where it
is rendered; nested dicts merge (``fieldset={"legend": {"classes": ...}}`` keeps the
legend's text). :meth:`GovukForm.error_summary` turns the form's errors into the
``error_summary`` the page layout shows, each message linking to its field. WTForms' own
messages come in the request's language from a catalogue read once per process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from babel import support
from babel.core import Locale
from flask import current_app
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import RadioField, StringField, TextAreaField
from wtforms.i18n import messages_path
from wtforms.validators import Length

from webapp import components
from webapp.i18n import current_locale


def merged(*layers: dict) -> dict:
    """Later layers win; a dict in two layers merges key by key."""
    result: dict = {}
    for layer in layers:
        for key, value in layer.items():
            if isinstance(value, dict) and isinstance(result.get(key), dict):
                value = merged(result[key], value)
            result[key] = value
    return result


class GovukField:
    """Mixed into a WTForms field (before it): rendering the field renders ``component``.

    WTForms renders a field by calling ``field.widget(field, **render_kw)``; here that
    is this method, and the keyword arguments are the component's parameters."""

    component: str

    def __init__(self, *args, params: dict | None = None, **kwargs):
        self.params = params or {}
        super().__init__(*args, **kwargs)

    def widget(self, _field, **params: Any) -> Markup:
        params = merged(self.govuk_params(), self.params, params)
        if self.shows_typed_text():
            return components.render(self.component, params)
        # Drawn from the same parameters, a field draws the same HTML: keep it, never
        # with what someone typed.
        return components.kept(self.component, params)

    def shows_typed_text(self) -> bool:
        """Whether the field shows back what someone typed."""
        return bool(self._value())

    def govuk_params(self) -> dict:
        """What the field itself knows: name, id, hint, value and its first error."""
        params: dict = {"id": self.id, "name": self.name}
        if self.description:
            params["hint"] = {"text": self.description}
        if self.errors:
            params["errorMessage"] = {"text": self.errors[0]}
        return params


class GovukInputField(GovukField, StringField):
    component = "input"

    def govuk_params(self) -> dict:
        params = merged(super().govuk_params(), {"label": {"text": self.label.text}})
        if self._value():  # an empty value is no value attribute
            params["value"] = self._value()
        return params


class GovukCharacterCountField(GovukField, TextAreaField):
    """A textarea that counts down to the ``max`` of its ``Length`` validator."""

    component = "character-count"

    def govuk_params(self) -> dict:
        params = merged(super().govuk_params(), {"label": {"text": self.label.text}, "value": self._value()})
        limits = [validator.max for validator in self.validators if isinstance(validator, Length)]
        if limits and limits[0] >= 0:
            params["maxlength"] = limits[0]
        return params


class GovukRadiosField(GovukField, RadioField):
    """One radio per choice, in a fieldset whose legend is the label. The first radio's
    id is the field's id, so the error summary links to it."""

    component = "radios"

    def govuk_params(self) -> dict:
        params = super().govuk_params()
        params["idPrefix"] = params.pop("id")
        return merged(params, {
            "fieldset": {"legend": {"text": self.label.text}},
            "items": [{"value": choice.value, "text": choice.label} for choice in self.iter_choices()],
            "value": self.data,
        })

    def shows_typed_text(self) -> bool:
        return self.data is not None and self.data not in {str(value) for value, *_ in self.choices}


@lru_cache(maxsize=8)  # a few languages at most
def wtforms_catalogue(locale: Locale | None) -> support.NullTranslations:
    """WTForms' messages ("Not a valid choice") in ``locale``. flask-wtf reads and parses
    the same file again for every request that builds a form; the catalogue never changes
    while the app runs."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class WTFormsTranslations:
    """What WTForms asks for its messages, in the request's language."""

    def gettext(self, string: str) -> str:
        return wtforms_catalogue(current_locale()).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return wtforms_catalogue(current_locale()).ungettext(singular, plural, n)


WTFORMS_TRANSLATIONS = WTFormsTranslations()


class GovukForm(FlaskForm):
    """A flask-wtf form whose errors the page layout shows as the GOV.UK error summary."""

    class Meta:
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return WTFORMS_TRANSLATIONS

    def error_summary(self) -> list[dict]:
        """Each field's first error, linking to the field, in the order of the form.
        The CSRF token is not a field a person can fix: a view says what to do instead."""
        return [
            {"text": field.errors[0], "href": f"#{field.id}"}
            for field in self
            if field.errors and field.name != "csrf_token"
        ]
