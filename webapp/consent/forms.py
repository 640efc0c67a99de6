"""The cookies page's form: one Yes/No question per optional cookie category of the
consent registry (``policy.CATEGORIES``), and the way back to the page the visitor came
from.

It carries no CSRF token, like the banner's buttons: ``visitor.require_same_origin``
refuses a cross-site POST, and a token would need a session cookie on every page before
any choice was made.
"""

from __future__ import annotations

from collections.abc import Callable

from wtforms import HiddenField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from webapp.consent import policy
from webapp.forms import GovukForm, GovukRadiosField
from webapp.i18n import lazy_gettext
from webapp.security import local_path_or

YES, NO = "yes", "no"


def answered(message) -> Callable:
    """A validator: the answer must be yes or no, else ``message``."""
    def check(_form, field) -> None:
        if field.data not in (YES, NO):
            raise ValidationError(message)
    return check


def question(category: policy.Category) -> GovukRadiosField:
    cookies = category.name[0].lower() + category.name[1:]
    return GovukRadiosField(
        category.question,
        choices=[SelectChoice(YES, lazy_gettext("Yes")), SelectChoice(NO, lazy_gettext("No"))],
        validators=[answered(lazy_gettext("Select yes if you want to allow %(cookies)s", cookies=cookies))],
        validate_choice=False,  # answered() says it in our words
        params={
            "classes": "govuk-radios--inline",
            "fieldset": {"legend": {"classes": "govuk-fieldset__legend--s"}},
        },
    )


class CookieSettingsForm(GovukForm):
    """Has a field named after each optional category's id (``functional``, ...)."""

    class Meta:
        csrf = False

    return_to = HiddenField()

    @classmethod
    def showing(cls, consent: policy.Consent | None) -> CookieSettingsForm:
        """The form as the page first shows it: the saved choice, or No to everything."""
        return cls(formdata=None, data={
            category: YES if consent and consent.allows(category) else NO
            for category in policy.OPTIONAL_CATEGORIES
        })

    def choices(self) -> dict[str, bool]:
        """Each optional category: allowed or not (once the form is valid)."""
        return {category: self[category].data == YES for category in policy.OPTIONAL_CATEGORIES}

    @property
    def way_back(self) -> str | None:
        """The page to offer a way back to, only if it is a local path of this site."""
        return local_path_or(self.return_to.data, fallback=None)


for _category in policy.CATEGORIES:
    if _category.optional:
        setattr(CookieSettingsForm, _category.id, question(_category))
del _category
