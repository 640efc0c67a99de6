"""The disclosure log's filters: one entry each in :data:`FILTERS`.

An entry says everything about its filter: its parameter name and the :class:`LogQuery`
field it fills, its label, how its choices are found (from the :class:`Facets`), how it
parses what was sent, how it is written back into a query string, the SQL that applies
it (on SQLite and on PostgreSQL) and the GOV.UK component it is drawn with. Parsing,
query strings, the search's SQL, the facets and the page all walk this table, in its
order, so adding a filter is adding one entry.

The SQL of an entry is told where it runs by :class:`At`: the alias of the table read and
its response id column, and whether a facet is checked one row at a time (by key, for
each match SQLite ranks).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from webapp.foi.vocabulary import OUTCOME_LABELS
from webapp.i18n import gettext, lazy_gettext
from webapp.text import clean_text

MAX_VALUES = 50
EARLIEST_YEAR = 1900
# The columns PostgreSQL's narrow search table holds besides the response id.
NARROW_COLUMNS = ("published", "outcome")


@dataclass(frozen=True)
class At:
    """Where a filter's SQL runs (see the module's notes)."""

    row: str = "r"
    key: str = "id"
    per_row: bool = False


@dataclass(frozen=True)
class Clause:
    """One condition of a WHERE, its bound values, and which of them are lists."""

    sql: str
    params: dict
    expanding: tuple[str, ...] = ()


class Reader:
    """What one parse collects: the values as typed (``form``) and the errors, each in the
    GOV.UK error-summary shape plus the ``field`` it belongs to."""

    def __init__(self, args):
        self.args = args
        self.form: dict = {}
        self.errors: list[dict] = []

    def error(self, name: str, anchor: str, text: str) -> None:
        self.errors.append({"field": name, "href": f"#{anchor}", "text": text})

    def field_error(self, name: str) -> dict | None:
        for error in self.errors:
            if error["field"] == name:
                return {"text": error["text"]}
        return None


class Filter:
    """The parts every entry has; the kinds below fill them in."""

    name: str  # the query parameter, and the id of the form field
    field: str  # the LogQuery field
    empty: object = ()

    def parameters(self) -> tuple[str, ...]:
        return (self.name,)

    def holds_typed(self, shown: object) -> bool:
        """Whether the form field's value ``shown`` holds something the visitor typed
        (not only what was chosen from a list): such a group is never kept."""
        return False

    def parse(self, reader: Reader, facets) -> object:
        raise NotImplementedError

    def check(self, chosen: dict, reader: Reader) -> None:
        """A rule across filters, once every filter is parsed (``chosen``: field → value)."""

    def pairs(self, value) -> list[tuple[str, object]]:
        raise NotImplementedError

    def clause(self, value, at: At) -> Clause:
        raise NotImplementedError

    def members(self, value, sets) -> object:
        """The responses the filter allows, as a set of :class:`webapp.foi.sets.LogSets`."""
        raise NotImplementedError

    def group(self, parsed, facets) -> dict | None:
        """The form field as a ready GOV.UK component (None: nothing to offer), from a
        parse (its ``form`` and ``field_error``)."""
        raise NotImplementedError


@dataclass(frozen=True)
class ChoiceFilter(Filter):
    """Checkboxes: any of the ticked values."""

    name: str
    field: str
    legend: object
    choices: Callable  # Facets → {value: label}
    unknown: object  # the message for a value not in the list
    too_many: object  # the message for more than MAX_VALUES values
    item_text: Callable[[str, str], str] = lambda value, label: label
    details: object = None  # a summary text: the group is folded into a details component

    def parse(self, reader: Reader, facets) -> tuple[str, ...]:
        known = self.choices(facets)
        values = [clean_text(v) for v in reader.args.getlist(self.name)[:MAX_VALUES * 4] if v][:MAX_VALUES + 1]
        reader.form[self.name] = values
        if len(values) > MAX_VALUES:
            reader.error(self.name, self.name, str(self.too_many) % {"count": MAX_VALUES})
            return ()
        if any(v not in known for v in values):
            reader.error(self.name, self.name, str(self.unknown))
        return tuple(dict.fromkeys(v for v in values if v in known))

    def pairs(self, value) -> list[tuple[str, object]]:
        return [(self.name, item) for item in value]

    def members(self, value, sets) -> object:
        return sets.any_of(self.name, value)

    def values_sql(self) -> str:
        """(response id, value) of every response with a value, published or not (for
        the log's sets, which leave out what is not published)."""
        raise NotImplementedError

    def group(self, parsed, facets) -> dict | None:
        options = self.choices(facets)
        if not options:
            return None
        ticked = parsed.form[self.name]
        error = parsed.field_error(self.name)
        checkboxes = {
            "idPrefix": self.name, "name": self.name, "classes": "govuk-checkboxes--small",
            "fieldset": {"legend": {"text": str(self.legend), "classes": "govuk-fieldset__legend--s"}},
            "items": [{"value": value, "text": self.item_text(value, label), "checked": value in ticked}
                      for value, label in options.items()],
            "errorMessage": error,
        }
        group = {"kind": "checkboxes", "params": checkboxes, "details": None}
        if self.details is not None:
            summary = str(self.details)
            if ticked:
                summary = gettext("%(summary)s (%(count)d selected)", summary=summary, count=len(ticked))
            group["details"] = {"summaryText": summary, "open": bool(ticked or error)}
        return group


@dataclass(frozen=True)
class ColumnChoice(ChoiceFilter):
    """Values of a column of the response. The log's sets read one of ``NARROW_COLUMNS``
    with the dates, from an index on SQLite and from the search table on PostgreSQL;
    any other column with :meth:`values_sql`."""

    column: str = ""

    def clause(self, value, at: At) -> Clause:
        return Clause(f"{at.row}.{self.column} IN :{self.field}", {self.field: list(value)}, (self.field,))

    def values_sql(self) -> str:
        return f"SELECT id, {self.column} FROM foi_response"


@dataclass(frozen=True)
class LinkedChoice(ChoiceFilter):
    """Values in a table of their own linking responses to them (``response_id``,
    ``column``, ``label_column``), indexed by value: the facets list the values in use."""

    table: str = ""
    column: str = ""
    label_column: str = "name"
    sort_key: Callable | None = None  # the facets' order of values (default: by label)

    def clause(self, value, at: At) -> Clause:
        if at.per_row:
            sql = (f"EXISTS (SELECT 1 FROM {self.table} f WHERE f.response_id = {at.row}.{at.key} "
                   f"AND f.{self.column} IN :{self.field})")
        else:
            sql = f"{at.row}.{at.key} IN (SELECT f.response_id FROM {self.table} f WHERE f.{self.column} IN :{self.field})"
        return Clause(sql, {self.field: list(value)}, (self.field,))

    def values_sql(self) -> str:
        return f"SELECT response_id, {self.column} FROM {self.table}"

    def facet_sql(self) -> str:
        """Each value in use by a published response: value, label."""
        return (f"SELECT f.{self.column}, min(f.{self.label_column}) FROM {self.table} f "
                f"JOIN foi_response r ON r.id = f.response_id WHERE r.is_published = :yes "
                f"GROUP BY f.{self.column} ORDER BY min(f.{self.label_column})")


DATE_PART = {"day": re.compile(r"[0-9]{1,2}"), "month": re.compile(r"[0-9]{1,2}"), "year": re.compile(r"[0-9]{4}")}
DATE_PARTS = ("day", "month", "year")


def read_date(day: str, month: str, year: str, label: str) -> tuple[dt.date | None, str | None, str | None]:
    """The one rule for a date typed as day, month and year: ``(date, None, None)`` or
    ``(None, part to link to, message)``. Only ASCII digits count (``²`` and ``٣`` are
    digits to ``str.isdigit`` but not to a person filling in a date), and every number is
    bounded before it is used, so no value can overflow."""
    parts = {"day": day, "month": month, "year": year}
    missing = [part for part in DATE_PARTS if not parts[part]]
    if missing:
        return None, missing[0], gettext("%(label)s must include a %(parts)s", label=label, parts=" and ".join(missing))
    real = gettext("%(label)s must be a real date", label=label)
    if not all(value.isascii() and value.isdigit() for value in parts.values()):
        return None, "day", real
    if not DATE_PART["year"].fullmatch(year):
        return None, "year", gettext("Year must include 4 numbers")
    if not (DATE_PART["day"].fullmatch(day) and DATE_PART["month"].fullmatch(month)):
        return None, "day", real
    try:
        value = dt.date(int(year), int(month), int(day))
    except ValueError:
        return None, "day", real
    if value.year < EARLIEST_YEAR:
        return None, "year", gettext("%(label)s must be after %(year)d", label=label, year=EARLIEST_YEAR)
    return value, None, None


@dataclass(frozen=True)
class DateFilter(Filter):
    """A date typed as day, month and year, compared with a date column."""

    name: str
    field: str
    legend: object
    hint: object
    column: str
    operator: str  # ">=" or "<="
    not_before: str | None = None  # the field this date may not come before
    order_message: object = None
    empty: object = None

    def parameters(self) -> tuple[str, ...]:
        return tuple(f"{self.name}-{part}" for part in DATE_PARTS)

    def holds_typed(self, shown: dict[str, str]) -> bool:
        return any(shown.values())

    def parse(self, reader: Reader, facets) -> dt.date | None:
        parts = {part: clean_text(reader.args.get(f"{self.name}-{part}") or "").strip()[:10] for part in DATE_PARTS}
        reader.form[self.name] = parts
        if not any(parts.values()):
            return None
        value, part, message = read_date(parts["day"], parts["month"], parts["year"], str(self.legend))
        if message:
            reader.error(self.name, f"{self.name}-{part}", message)
        return value

    def check(self, chosen: dict, reader: Reader) -> None:
        start, end = chosen.get(self.not_before), chosen.get(self.field)
        if start and end and end < start:
            reader.error(self.name, f"{self.name}-day", str(self.order_message))

    def pairs(self, value) -> list[tuple[str, object]]:
        parts = (value.day, value.month, value.year)
        return [(f"{self.name}-{part}", number) for part, number in zip(DATE_PARTS, parts, strict=True)]

    def clause(self, value, at: At) -> Clause:
        return Clause(f"{at.row}.{self.column} {self.operator} :{self.field}", {self.field: value})

    def members(self, value, sets) -> object:
        return sets.published(self.operator, value)

    def group(self, parsed, facets) -> dict:
        values = parsed.form[self.name]
        error = parsed.field_error(self.name)
        flagged = " govuk-input--error" if error else ""
        labels = {"day": gettext("Day"), "month": gettext("Month"), "year": gettext("Year")}
        widths = {"day": "govuk-input--width-2", "month": "govuk-input--width-2", "year": "govuk-input--width-4"}
        return {"kind": "date-input", "details": None, "params": {
            "id": self.name, "namePrefix": self.name,
            "fieldset": {"legend": {"text": str(self.legend), "classes": "govuk-fieldset__legend--s"}},
            "hint": {"text": str(self.hint)},
            "items": [{"name": part, "label": labels[part], "value": values[part], "classes": widths[part] + flagged,
                       "inputmode": "numeric"} for part in DATE_PARTS],
            "errorMessage": error,
        }}


def section_key(section: str) -> tuple:
    """Sections in their numeric order: 21, 31(1)(a), 40(2), 43(2)."""
    return tuple(int(n) if n.isdigit() else n for n in re.findall(r"\d+|[A-Za-z]+", section))


FILTERS: tuple[Filter, ...] = (
    ColumnChoice(
        name="outcome", field="outcomes", legend=lazy_gettext("Outcome"), column="outcome",
        choices=lambda facets: OUTCOME_LABELS,
        unknown=lazy_gettext("Select an outcome from the list"),
        too_many=lazy_gettext("Select %(count)d outcomes or fewer"),
    ),
    LinkedChoice(
        name="topic", field="topics", legend=lazy_gettext("Topic"), table="foi_topic", column="slug",
        choices=lambda facets: facets.choices["topic"],
        unknown=lazy_gettext("Select a topic from the list"),
        too_many=lazy_gettext("Select %(count)d topics or fewer"),
    ),
    LinkedChoice(
        name="exemption", field="exemptions", legend=lazy_gettext("Exemptions applied"), table="foi_exemption",
        column="section", sort_key=section_key, details=lazy_gettext("Exemption"),
        choices=lambda facets: facets.choices["exemption"],
        item_text=lambda value, label: gettext("Section %(section)s: %(name)s", section=value, name=label),
        unknown=lazy_gettext("Select an exemption from the list"),
        too_many=lazy_gettext("Select %(count)d exemptions or fewer"),
    ),
    DateFilter(
        name="published-from", field="published_from", legend=lazy_gettext("Published from"),
        hint=lazy_gettext("For example, 1 4 2024"), column="published", operator=">=",
    ),
    DateFilter(
        name="published-to", field="published_to", legend=lazy_gettext("Published to"),
        hint=lazy_gettext("For example, 31 3 2025"), column="published", operator="<=",
        not_before="published_from",
        order_message=lazy_gettext("Published to must be the same as or after published from"),
    ),
)


def by_field(name: str) -> Filter | None:
    return next((entry for entry in FILTERS if entry.field == name), None)
