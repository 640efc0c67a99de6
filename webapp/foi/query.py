"""The disclosure log's query: read from a GET form's parameters, checked, never trusted.

:func:`parse` turns ``request.args`` into a :class:`LogQuery` and a list of errors in
the GOV.UK error-summary shape. Whatever was typed is kept (``form``) so the page can
show it again, with control characters removed. Unknown parameters are ignored; a malformed
page number means page 1. :data:`PARAMETERS` names every parameter the log reads.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from webapp.foi.vocabulary import OUTCOMES
from webapp.text import clean_text

MAX_QUERY = 200
MAX_VALUES = 50
SORTS = {"newest": "Newest first", "oldest": "Oldest first", "relevance": "Most relevant"}
TERM = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12


def default_sort(q: str) -> str:
    """Most relevant first when there are words to search for, otherwise newest first."""
    return "relevance" if TERM.search(q) else "newest"


@dataclass(frozen=True)
class LogQuery:
    q: str = ""
    topics: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    exemptions: tuple[str, ...] = ()
    published_from: dt.date | None = None
    published_to: dt.date | None = None
    sort: str = "newest"  # parse() starts from default_sort(q)
    page: int = 1

    @property
    def terms(self) -> list[str]:
        """The words searched for: letters and digits only, so no query syntax gets through."""
        return [term[:40] for term in TERM.findall(self.q.lower())][:MAX_TERMS]

    @property
    def effective_sort(self) -> str:
        if self.sort == "relevance" and not self.terms:
            return "newest"
        return self.sort

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.topics or self.outcomes or self.exemptions or self.published_from or self.published_to)


@dataclass
class ParsedQuery:
    query: LogQuery
    errors: list[dict] = field(default_factory=list)
    form: dict = field(default_factory=dict)

    def field_error(self, name: str) -> dict | None:
        for error in self.errors:
            if error["field"] == name:
                return {"text": error["text"]}
        return None


DATE_FIELDS = {"published-from": "Published from", "published-to": "Published to"}
# Every parameter the log and its feeds read; the page cache ignores the others.
PARAMETERS = ("q", "topic", "outcome", "exemption", "sort", "page",
              *(f"{name}-{part}" for name in DATE_FIELDS for part in ("day", "month", "year")))


def parse(args, topics: dict[str, str], exemptions: dict[str, str]) -> ParsedQuery:
    """``args`` is a MultiDict; ``topics``/``exemptions`` map the known values to their names."""
    form: dict = {}
    errors: list[dict] = []

    def error(name: str, href: str, text: str) -> None:
        errors.append({"field": name, "href": f"#{href}", "text": text})

    q = " ".join(clean_text(args.get("q") or "").split())
    form["q"] = q
    if len(q) > MAX_QUERY:
        error("q", "q", f"Search terms must be {MAX_QUERY} characters or fewer")

    def choices(name: str, known, label: str, anchor: str) -> tuple[str, ...]:
        values = [clean_text(v) for v in args.getlist(name)[:MAX_VALUES * 4] if v][:MAX_VALUES + 1]
        form[name] = values
        if len(values) > MAX_VALUES:
            error(name, anchor, f"Select {MAX_VALUES} {label}s or fewer")
            return ()
        unknown = [v for v in values if v not in known]
        if unknown:
            article = "an" if label[0] in "aeiou" else "a"
            error(name, anchor, f"Select {article} {label} from the list")
        return tuple(dict.fromkeys(v for v in values if v in known))

    chosen_topics = choices("topic", topics, "topic", "topic")
    chosen_outcomes = choices("outcome", OUTCOMES, "outcome", "outcome")
    chosen_exemptions = choices("exemption", exemptions, "exemption", "exemption")

    dates = {}
    for name, label in DATE_FIELDS.items():
        dates[name] = _date(args, name, label, form, error)
    start, end = dates["published-from"], dates["published-to"]
    if start and end and end < start:
        error("published-to", "published-to-day", "Published to must be the same as or after published from")

    sort = clean_text(args.get("sort") or "") or default_sort(q)
    if sort not in SORTS:
        error("sort", "sort", "Select how to sort the responses from the list")
        sort = default_sort(q)
    form["sort"] = sort

    page = read_page(args.get("page"))

    query = LogQuery(
        q=q[:MAX_QUERY], topics=chosen_topics, outcomes=chosen_outcomes, exemptions=chosen_exemptions,
        published_from=start, published_to=end, sort=sort, page=page,
    )
    return ParsedQuery(query=query, errors=errors, form=form)


DATE_PART = {"day": re.compile(r"[0-9]{1,2}"), "month": re.compile(r"[0-9]{1,2}"), "year": re.compile(r"[0-9]{4}")}
EARLIEST_YEAR = 1900


def read_date(day: str, month: str, year: str, label: str) -> tuple[dt.date | None, str | None, str | None]:
    """The one rule for a date typed as day, month and year: ``(date, None, None)`` or
    ``(None, part to link to, message)``. Only ASCII digits count (``²`` and ``٣`` are
    digits to ``str.isdigit`` but not to a person filling in a date), and every number is
    bounded before it is used, so no value can overflow."""
    parts = {"day": day, "month": month, "year": year}
    missing = [part for part in ("day", "month", "year") if not parts[part]]
    if missing:
        return None, missing[0], f"{label} must include a {' and '.join(missing)}"
    if not all(value.isascii() and value.isdigit() for value in parts.values()):
        return None, "day", f"{label} must be a real date"
    if not DATE_PART["year"].fullmatch(year):
        return None, "year", "Year must include 4 numbers"
    if not (DATE_PART["day"].fullmatch(day) and DATE_PART["month"].fullmatch(month)):
        return None, "day", f"{label} must be a real date"
    try:
        value = dt.date(int(year), int(month), int(day))
    except ValueError:
        return None, "day", f"{label} must be a real date"
    if value.year < EARLIEST_YEAR:
        return None, "year", f"{label} must be after {EARLIEST_YEAR}"
    return value, None, None


def _date(args, name: str, label: str, form: dict, error) -> dt.date | None:
    parts = {part: clean_text(args.get(f"{name}-{part}") or "").strip()[:10] for part in ("day", "month", "year")}
    form[name] = parts
    if not any(parts.values()):
        return None
    value, part, message = read_date(parts["day"], parts["month"], parts["year"], label)
    if message:
        error(name, f"{name}-{part}", message)
    return value


PAGE_NUMBER = re.compile(r"[0-9]{1,6}")


def read_page(value: str | None) -> int:
    """A page number: 1 to 999,999 in ASCII digits; anything else means page 1."""
    text = (value or "").strip()
    return max(int(text), 1) if PAGE_NUMBER.fullmatch(text) else 1


def query_string(query: LogQuery, **changes) -> str:
    """The canonical query string for ``query`` (with ``changes``): shareable, stable."""
    values = {
        "q": query.q, "topic": list(query.topics), "outcome": list(query.outcomes),
        "exemption": list(query.exemptions), "sort": query.sort, "page": query.page,
    }
    for name, value in (("published-from", query.published_from), ("published-to", query.published_to)):
        if value:
            values.update({f"{name}-day": value.day, f"{name}-month": value.month, f"{name}-year": value.year})
    values.update(changes)
    if values.get("sort") == default_sort(query.q):
        values.pop("sort")  # the default for this search
    if values.get("page") == 1:
        values.pop("page")
    pairs = []
    for key, value in values.items():
        if isinstance(value, list):
            pairs.extend((key, item) for item in value)
        elif value not in (None, ""):
            pairs.append((key, value))
    return urlencode(pairs)
