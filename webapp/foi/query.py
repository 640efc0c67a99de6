"""The disclosure log's query: read from a GET form's parameters, checked, never trusted.

:func:`parse` turns ``request.args`` into a :class:`LogQuery` and a list of errors in
the GOV.UK error-summary shape. Whatever was typed is kept (``form``) so the page can
show it again, with control characters removed. Unknown parameters are ignored; a malformed
page number means page 1. The filters are the entries of :data:`filters.FILTERS`;
:func:`parameters` names every parameter the log reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from webapp.foi import filters
from webapp.foi.filters import Reader
from webapp.i18n import gettext, lazy_gettext
from webapp.text import clean_text

MAX_QUERY = 200
SORTS = {"newest": lazy_gettext("Newest first"), "oldest": lazy_gettext("Oldest first"),
         "relevance": lazy_gettext("Most relevant")}
TERM = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12


def default_sort(q: str) -> str:
    """Most relevant first when there are words to search for, otherwise newest first."""
    return "relevance" if TERM.search(q) else "newest"


@dataclass(frozen=True, init=False)
class LogQuery:
    """The words, the sort, the page, and the value of each filter chosen (by its
    LogQuery field, e.g. ``topics``), in the order of the filters; a filter not chosen
    reads as its empty value (``query.topics == ()``)."""

    q: str
    sort: str
    page: int
    chosen: tuple[tuple[str, object], ...]

    def __init__(self, q: str = "", sort: str = "newest", page: int = 1, **chosen):
        unknown = [name for name in chosen if filters.by_field(name) is None]
        if unknown:
            raise TypeError(f"LogQuery has no filter {', '.join(unknown)}")
        object.__setattr__(self, "q", q)
        object.__setattr__(self, "sort", sort)  # parse() starts from default_sort(q)
        object.__setattr__(self, "page", page)
        object.__setattr__(self, "chosen", tuple(
            (entry.field, chosen[entry.field]) for entry in filters.FILTERS if chosen.get(entry.field)))

    def __getattr__(self, name: str):
        entry = filters.by_field(name)
        if entry is None:
            raise AttributeError(name)
        return dict(self.chosen).get(name, entry.empty)

    def active(self) -> list[tuple[filters.Filter, object]]:
        """Each chosen filter's entry with its value, in the order of the filters."""
        return [(filters.by_field(name), value) for name, value in self.chosen]

    def but(self, **changes) -> LogQuery:
        """This query with ``changes`` (words, sort, page or filter fields)."""
        values = {"q": self.q, "sort": self.sort, "page": self.page, **dict(self.chosen), **changes}
        return LogQuery(**values)

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
        return bool(self.q or self.chosen)


class ParsedQuery(Reader):
    """A parse: the query (once every parameter is read), what was typed, the errors."""

    query: LogQuery


def parameters() -> tuple[str, ...]:
    """Every parameter the log and its feeds read; the page cache ignores the others."""
    return ("q", *(name for entry in filters.FILTERS for name in entry.parameters()), "sort", "page")


def parse(args, facets) -> ParsedQuery:
    """``args`` is a MultiDict; ``facets`` holds the choices each filter offers."""
    reader = ParsedQuery(args)
    q = " ".join(clean_text(args.get("q") or "").split())
    reader.form["q"] = q
    if len(q) > MAX_QUERY:
        reader.error("q", "q", gettext("Search terms must be %(count)d characters or fewer", count=MAX_QUERY))

    chosen = {entry.field: entry.parse(reader, facets) for entry in filters.FILTERS}
    for entry in filters.FILTERS:
        entry.check(chosen, reader)

    sort = clean_text(args.get("sort") or "") or default_sort(q)
    if sort not in SORTS:
        reader.error("sort", "sort", gettext("Select how to sort the responses from the list"))
        sort = default_sort(q)
    reader.form["sort"] = sort

    reader.query = LogQuery(q=q[:MAX_QUERY], sort=sort, page=read_page(args.get("page")), **chosen)
    return reader


PAGE_NUMBER = re.compile(r"[0-9]{1,6}")


def read_page(value: str | None) -> int:
    """A page number: 1 to 999,999 in ASCII digits; anything else means page 1."""
    text = (value or "").strip()
    return max(int(text), 1) if PAGE_NUMBER.fullmatch(text) else 1


def query_string(query: LogQuery, **changes) -> str:
    """The canonical query string for ``query`` (with ``changes`` of its words, sort or
    page): shareable, stable, its parameters in the order of the form (so a link and
    the form sent as it stands ask for the same address)."""
    values = {"q": query.q, "sort": query.sort, "page": query.page, **changes}
    pairs: list[tuple[str, object]] = [("q", values["q"])] if values["q"] else []
    for entry, value in query.active():
        pairs.extend(entry.pairs(value))
    if values["sort"] != default_sort(query.q):  # else the default for this search
        pairs.append(("sort", values["sort"]))
    if values["page"] != 1:
        pairs.append(("page", values["page"]))
    return urlencode(pairs)
