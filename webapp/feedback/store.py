"""Where feedback lives: the ``feedback`` table and everything that reads or writes it.

What is stored is what staff need and no more: the rating, the improvement text with
e-mail addresses, UK phone numbers, payment card numbers, National Insurance numbers and
UK postcodes replaced (see :func:`redact`), the page the person came from, when,
the browser family (never the full user agent string) and whether JavaScript was on.
Each form carries a one-time submission id (unique in the table), so a double click,
a refresh or a back-and-resubmit stores one row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from webapp import sqlite_file
from webapp.database import Base
from webapp.extensions import db

RATINGS = {
    1: "Very satisfied",
    2: "Satisfied",
    3: "Neither satisfied nor dissatisfied",
    4: "Dissatisfied",
    5: "Very dissatisfied",
}
MAX_IMPROVEMENT = 1200
MAX_PAGE = 2048


class StoreError(RuntimeError):
    """The feedback could not be written: the person is asked to try again."""


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python, naive UTC in the column, the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        return value.replace(tzinfo=UTC) if value is not None else None


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="ck_feedback_rating"),
        UniqueConstraint("submission_id", name="uq_feedback_submission_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(36))
    rating: Mapped[int] = mapped_column(SmallInteger)
    improvement: Mapped[str] = mapped_column(Text, default="", server_default="")
    page: Mapped[str | None] = mapped_column(String(MAX_PAGE), nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # ix_feedback_submitted_at
    user_agent_family: Mapped[str] = mapped_column(String(32))
    js_enabled: Mapped[bool] = mapped_column(Boolean)


# --- what is kept of what people typed and what their browser said -------------------

EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# UK numbers: +44 / 0044 / 0, then 9 or 10 more digits with spaces, dashes or brackets
# between them: 07700 900123, (020) 7946 0018, +44 (0)161 496 0000, 0044-1632-960001.
# A number stands on its own: digits inside a longer word (an identifier such as
# "0123456789abcdef") are not a phone number.
UK_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s*44\s*(?:\(0\)\s*)?|\(?0)(?:[\s()-]*\d){9,10}(?!\w)"
)


# 13 to 19 digits, optionally in groups split by spaces or dashes: a payment card number
# when the Luhn check digit is right (so an ordinary long number survives).
CARD_CANDIDATE = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
# National Insurance number: two letters, three pairs of digits, A-D; spaces optional.
NI_NUMBER = re.compile(r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.IGNORECASE)
# A full UK postcode (outward and inward code; GIR 0AA too), any case, the space optional.
UK_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY])"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _card(match: re.Match) -> str:
    digits = re.sub(r"[ -]", "", match.group())
    return "[card number]" if luhn_valid(digits) else match.group()


def redact(text: str) -> str:
    """Replace what identifies a person or pays for something: e-mail addresses
    (``[email]``), payment card numbers that pass the Luhn check (``[card number]``),
    UK phone numbers (``[phone]``), National Insurance numbers (``[NI number]``) and
    UK postcodes (``[postcode]``). Cards go before phones: a card is the longer number."""
    text = EMAIL.sub("[email]", text)
    text = CARD_CANDIDATE.sub(_card, text)
    text = UK_PHONE.sub("[phone]", text)
    text = NI_NUMBER.sub("[NI number]", text)
    return UK_POSTCODE.sub("[postcode]", text)


# Order matters: Edge and Opera also say Chrome; Chrome also says Safari.
BROWSER_FAMILIES = [
    (re.compile(r"bot|crawl|spider|slurp|curl|wget|python|httpclient|java/", re.I), "Bot or script"),
    (re.compile(r"Edg(?:e|A|iOS)?/"), "Edge"),
    (re.compile(r"OPR/|Opera"), "Opera"),
    (re.compile(r"SamsungBrowser/"), "Samsung Internet"),
    (re.compile(r"Firefox/|FxiOS/"), "Firefox"),
    (re.compile(r"Chrome/|CriOS/|Chromium/"), "Chrome"),
    (re.compile(r"Version/[\d.]+.*Safari/"), "Safari"),
    (re.compile(r"MSIE |Trident/"), "Internet Explorer"),
]


def browser_family(user_agent: str | None) -> str:
    """The browser family only (one of a few names), never the full string."""
    if not user_agent:
        return "Unknown"
    for pattern, family in BROWSER_FAMILIES:
        if pattern.search(user_agent):
            return family
    return "Other"


# --- writing -------------------------------------------------------------------------

@dataclass(frozen=True)
class Submission:
    submission_id: str
    rating: int
    improvement: str
    page: str | None
    user_agent: str | None
    js_enabled: bool


# A Core INSERT into the table: one statement, without the ORM's unit of work or its
# bulk-insert path (a third of the CPU a save took). Built once: a statement made afresh
# would have its cache key worked out again on every save.
INSERT_FEEDBACK = insert(Feedback.__table__)


def save(submission: Submission, now: datetime | None = None) -> bool:
    """Store one submission. True when stored, False when this submission id was already
    stored (a repeat of the same form). Raises :class:`StoreError` when the database
    cannot be written.

    The row is written in a transaction of its own on a connection from the engine's
    pool, not through the request's ORM session: the same statement and commit, without
    an ORM session and its transaction bookkeeping built for one statement."""
    row = dict(
        submission_id=submission.submission_id,
        rating=submission.rating,
        improvement=redact(submission.improvement)[: MAX_IMPROVEMENT * 2],
        page=(submission.page or None) and submission.page[:MAX_PAGE],
        submitted_at=now or datetime.now(UTC),
        user_agent_family=browser_family(submission.user_agent),
        js_enabled=submission.js_enabled,
    )
    try:
        with db.engine.begin() as connection:  # commits at the end, rolls back on any error
            connection.execute(INSERT_FEEDBACK, row)
            # About to commit, but to the file the site is configured to use? An open SQLite
            # connection writes on into a deleted or replaced file, and nobody reads it again.
            trouble = sqlite_file.problem(connection)
            if trouble:
                raise StoreError(f"feedback was not stored: {trouble}")
    except IntegrityError as error:
        if _already_stored(submission.submission_id):
            return False
        raise StoreError("feedback was refused by the database") from error
    except SQLAlchemyError as error:
        raise StoreError("feedback could not be written") from error
    return True


def _already_stored(submission_id: str) -> bool:
    try:
        with db.engine.connect() as connection:
            return connection.scalar(
                select(func.count()).select_from(Feedback).where(Feedback.submission_id == submission_id)
            ) > 0
    except SQLAlchemyError:
        return False


# --- reading, for staff --------------------------------------------------------------

def _period(statement, since: datetime | None, until: datetime | None):
    if since is not None:
        statement = statement.where(Feedback.submitted_at >= since)
    if until is not None:
        statement = statement.where(Feedback.submitted_at < until)
    return statement


def entries(since: datetime | None = None, until: datetime | None = None) -> Iterator[Feedback]:
    """Feedback submitted in [since, until), oldest first, streamed."""
    statement = _period(select(Feedback), since, until).order_by(Feedback.submitted_at, Feedback.id)
    yield from db.session.scalars(statement.execution_options(yield_per=500))


@dataclass(frozen=True)
class Stats:
    total: int
    by_rating: dict[int, int]
    with_text: int
    js_enabled: int


def stats(since: datetime | None = None, until: datetime | None = None) -> Stats:
    counts = dict(db.session.execute(
        _period(select(Feedback.rating, func.count()), since, until).group_by(Feedback.rating)
    ).all())
    with_text = db.session.scalar(
        _period(select(func.count()).select_from(Feedback), since, until).where(Feedback.improvement != "")
    )
    js_enabled = db.session.scalar(
        _period(select(func.count()).select_from(Feedback), since, until).where(Feedback.js_enabled.is_(True))
    )
    by_rating = {rating: counts.get(rating, 0) for rating in RATINGS}
    return Stats(sum(by_rating.values()), by_rating, with_text or 0, js_enabled or 0)


def purge(retention_days: int, now: datetime | None = None) -> int:
    """Delete feedback older than ``retention_days``; returns how many rows went."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    result = db.session.execute(delete(Feedback).where(Feedback.submitted_at < cutoff))
    db.session.commit()
    return result.rowcount
