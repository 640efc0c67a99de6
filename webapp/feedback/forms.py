"""The feedback form: fields, validation rules and the one-time form token.

Each question renders its own GOV.UK component (``webapp.forms``); this module owns
every rule. Besides the questions the form carries:

- ``csrf_token``: flask-wtf's token, checked by the form itself so that an expired one
  re-renders the form with the person's answers (see views.py);
- ``form_token``: a signed, timestamped one-time submission id. The id makes a repeated
  submission of the same form store one row; the timestamp gives the minimum fill time;
- ``website``: a honeypot, hidden from people and assistive technology;
- ``js``: ``off`` unless the page's script set it to ``on``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from wtforms import HiddenField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from webapp.feedback.store import MAX_IMPROVEMENT, RATINGS
from webapp.forms import GovukCharacterCountField, GovukForm, GovukInputField, GovukRadiosField
from webapp.i18n import lazy_gettext
from webapp.security import local_path_or
from webapp.text import clean_text

RATING_REQUIRED = lazy_gettext("Select how you felt about this site")
# The ratings as the form shows them, in the visitor's language. The stored rating is the
# number; store.RATINGS keeps the English words staff reports and exports use.
RATING_LABELS = {
    1: lazy_gettext("Very satisfied"),
    2: lazy_gettext("Satisfied"),
    3: lazy_gettext("Neither satisfied nor dissatisfied"),
    4: lazy_gettext("Dissatisfied"),
    5: lazy_gettext("Very dissatisfied"),
}
IMPROVEMENT_TOO_LONG = lazy_gettext("Your feedback must be %(count)s characters or fewer", count=f"{MAX_IMPROVEMENT:,}")
TOKEN_SALT = "feedback-form-token"


def normalise_newlines(value: str | None) -> str:
    """Browsers send CRLF; the character count (and people) count a line break as one.
    Control characters go (newlines and tabs stay), so the stored row, the page shown
    again and both export formats hold the same text."""
    return clean_text(value or "", multiline=True).strip()


def one_of_the_ratings(_form, field) -> None:
    if field.data not in {str(rating) for rating in RATINGS}:
        raise ValidationError(RATING_REQUIRED)


class FeedbackForm(GovukForm):
    rating = GovukRadiosField(
        lazy_gettext("Overall, how did you feel about this site?"),
        choices=[SelectChoice(str(value), label) for value, label in RATING_LABELS.items()],
        validators=[InputRequired(RATING_REQUIRED), one_of_the_ratings],
        validate_choice=False,  # one_of_the_ratings says it in our words
        params={"fieldset": {"legend": {"classes": "govuk-fieldset__legend--m"}}},
    )
    improvement = GovukCharacterCountField(
        lazy_gettext("How could we improve this site?"),
        description=lazy_gettext(
            "Optional. Do not include personal or financial information, like your name, "
            "address, phone number or bank details."
        ),
        filters=[normalise_newlines],
        validators=[Length(max=MAX_IMPROVEMENT, message=IMPROVEMENT_TOO_LONG)],
        params={"rows": 6, "label": {"classes": "govuk-label--m", "isPageHeading": False}},
    )
    came_from = HiddenField(name="from")
    form_token = HiddenField()
    js = HiddenField(default="off")
    # A honeypot: hidden from people and assistive technology, filled in only by bots.
    website = GovukInputField(
        lazy_gettext("Leave this field empty"),
        params={"autocomplete": "off", "attributes": {"tabindex": "-1"}},
    )

    @property
    def page(self) -> str | None:
        """The page they came from, only if it is a local path of this site."""
        return local_path_or((self.came_from.data or "").strip(), fallback=None)

    @property
    def is_honeypot_filled(self) -> bool:
        return bool((self.website.data or "").strip())

    @property
    def csrf_failed(self) -> bool:
        return bool(getattr(self, "csrf_token", None) is not None and self.csrf_token.errors)


# --- the one-time form token ---------------------------------------------------------

@dataclass(frozen=True)
class FormToken:
    submission_id: str
    issued_at: float


def _serializer() -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key and accepts any: old keys keep working
    # through a SECRET_KEY rotation.
    keys = [*(current_app.config.get("SECRET_KEY_FALLBACKS") or []), current_app.config["SECRET_KEY"]]
    return URLSafeTimedSerializer(keys, salt=TOKEN_SALT)


def issue_token() -> str:
    """A new form token: a fresh submission id, signed with the time it was issued."""
    return _serializer().dumps(uuid.uuid4().hex)


def read_token(value: str | None) -> FormToken | None:
    """The token's submission id and issue time, or None when missing or tampered with."""
    if not value:
        return None
    try:
        submission_id, issued = _serializer().loads(value, return_timestamp=True)
    except BadSignature:
        return None
    if not isinstance(submission_id, str) or len(submission_id) != 32:
        return None
    return FormToken(submission_id, issued.timestamp())


# --- the same answers again, from a form fetched afresh (Back, then Send) -------------

REPEAT_WINDOW_SECONDS = 30 * 60
SESSION_KEY = "feedback_sent"


def _digest(submission) -> str:
    answers = "\x1f".join([str(submission.rating), submission.improvement, submission.page or ""])
    return hashlib.sha256(answers.encode("utf-8")).hexdigest()[:32]


def remember_sent(session, submission) -> None:
    """Keep a digest (never the text) of what this session last sent."""
    session[SESSION_KEY] = {"digest": _digest(submission), "at": int(time.time())}


def is_recent_repeat(session, submission) -> bool:
    """True when this session sent exactly these answers in the last half hour: a
    person who went Back (the browser fetched a new form, with a new one-time id) and
    sent it again. The one-time id covers everything else."""
    sent = session.get(SESSION_KEY)
    if not isinstance(sent, dict):
        return False
    recent = time.time() - sent.get("at", 0) < REPEAT_WINDOW_SECONDS
    return recent and hmac.compare_digest(str(sent.get("digest", "")), _digest(submission))


def filled_too_fast(token: FormToken, now: float | None = None) -> bool:
    minimum = current_app.config["FEEDBACK_MIN_FILL_SECONDS"]
    return ((now if now is not None else time.time()) - token.issued_at) < minimum
