"""The disclosure log's pages as ready view models: one call per page.

:func:`log_page` reads the log's parameters, searches, and returns a :class:`LogPage`
holding everything ``foi/log.html`` draws (the filter groups, dates, sort and pagination
as GOV.UK component parameters with their links built, the results, the error summary).
:func:`response_page` returns a :class:`ResponsePage` for ``foi/response.html`` (its
stored document parsed once, its related responses found in one query), or None.
:func:`feed_page` and :func:`every_record` give the open data full records, read with
the search itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import current_app, url_for
from markupsafe import Markup

from webapp.components import frozen, kept, render
from webapp.extensions import db
from webapp.foi import components, filters, records
from webapp.foi import search as search_module
from webapp.foi.catalogue import Facets, content_version, current_facets, facets
from webapp.foi.query import SORTS, LogQuery, ParsedQuery, parse, query_string
from webapp.foi.records import Record
from webapp.foi.search import SearchBackend, SearchPage, backend_for
from webapp.foi.vocabulary import OUTCOME_COLOURS, OUTCOME_LABELS, REGIME_NAMES, slugify
from webapp.i18n import filled_in, gettext, govuk_date, ngettext

FEED_SIZE = 50


@dataclass
class LogPage:
    title: str
    parsed: ParsedQuery
    results: SearchPage | None
    filter_groups: list[dict]
    sort_items: list[dict]
    hits: list[dict] = field(default_factory=list)
    count_heading: str = ""
    position: str = ""  # "Page 2 of 9, newest first."
    pagination: dict | None = None
    links: dict = field(default_factory=dict)
    relevance_limit: int = 0
    error_summary: list[dict] = field(default_factory=list)

    @property
    def query(self) -> LogQuery:
        return self.parsed.query

    @property
    def form(self) -> dict:
        return self.parsed.form

    def field_error(self, name: str) -> dict | None:
        return self.parsed.field_error(name)


@dataclass
class ResponsePage:
    record: Record
    title: str
    regime: str  # the legislation's name
    outcome_tag: Markup
    facts: list[dict]
    topics: list[dict]  # {"name", "href"}
    exemption_rows: list[dict]
    attachments: list[dict]
    related: list[dict]
    links: dict

    @property
    def reference(self) -> str:
        return self.record.reference

    @property
    def document(self) -> dict:
        return self.record.document


def log_url(endpoint: str, query: LogQuery, **changes) -> str:
    qs = query_string(query, **changes)
    return url_for(endpoint) + (f"?{qs}" if qs else "")


def search_backend(records: bool = False) -> SearchBackend:
    """The log's search on the app's database, as configured."""
    return backend_for(db.engine, records=records, warm_words=current_app.config["SEARCH_WARM_WORDS"])


def parsed_query(args) -> ParsedQuery:
    return parse(args, current_facets())


def log_page(args) -> LogPage:
    """The log for ``args`` (the request's parameters)."""
    version = content_version()
    available = facets(db.engine, version)
    parsed = parse(args, available)
    query = parsed.query
    results = None if parsed.errors else search_backend().search(query)
    page = LogPage(
        title=_log_title(query, results), parsed=parsed, results=results,
        filter_groups=filter_groups(parsed, available, version),
        sort_items=[{"value": value, "text": str(label), "selected": value == parsed.form["sort"]}
                    for value, label in SORTS.items()],
        relevance_limit=search_module.RELEVANCE_LIMIT,
        error_summary=[{"text": error["text"], "href": error["href"]} for error in parsed.errors],
        links={
            "unfiltered": url_for("foi.log"),
            "atom": log_url("foi.log_atom", query), "json": log_url("foi.log_json", query),
            "csv": log_url("foi.log_csv", query, page=1),
        },
    )
    if results is None:
        return page
    page.links.update(first=log_url("foi.log", query, page=1), last=log_url("foi.log", query, page=results.pages))
    total = f"{results.total:,}"
    if query.is_filtered:
        page.count_heading = ngettext("%(total)s response found", "%(total)s responses found", results.total, total=total)
    else:
        page.count_heading = ngettext("%(total)s response", "%(total)s responses", results.total, total=total)
    page.position = gettext("Page %(page)d of %(pages)d, %(sort)s.", page=results.page, pages=results.pages,
                            sort=str(SORTS[results.sort]).lower())
    # Each hit's lines, from messages translated once a page (a _() per line in the
    # template's loop was a third of drawing twenty results).
    reference_line, published_line = Markup(gettext("Reference %(reference)s")), Markup(gettext("Published %(date)s"))
    page.hits = [{
        "href": url_for("foi.response", reference=hit.reference), "reference": hit.reference,
        "title_html": hit.title_html, "summary_html": hit.summary_html, "snippet_html": hit.snippet_html,
        "published": hit.published, "tag": outcome_tag(hit.outcome),
        "reference_line": filled_in(reference_line, reference=hit.reference),
        "published_line": filled_in(published_line, date=govuk_date(hit.published)),
    } for hit in results.hits]
    if results.pages > 1 and not results.past_the_end:
        page.pagination = _pagination(query, results)
    return page


def filter_groups(parsed: ParsedQuery, available: Facets, version: object) -> tuple[dict, ...]:
    """The filter panel's groups, each with its component's ``html``. A group depends
    only on its own field: what was chosen in it, its error, and the choices of content
    ``version`` (``available``). So a group of choices is worked out once per (content
    version, locale, field, what was chosen and its error), then reused (a shared,
    read-only value in the app's bounded fragment store): a search that ticks a topic
    draws the topic group again, not the outcomes. A group holding something typed
    (a date) is never kept whole; its component is kept blank (components.py), and the
    group is kept whole while nothing is typed in it, as on most pages."""
    groups = []
    for entry in filters.FILTERS:
        if entry.holds_typed(parsed.form[entry.name]):
            group = _filter_group(entry, parsed, available)
        else:
            key = ("filter group", version, entry.name, frozen(parsed.form[entry.name]),
                   frozen(parsed.field_error(entry.name)))
            group = current_app.jinja_env.keep_fragment(key, lambda entry=entry: _filter_group(entry, parsed, available))
        if group:
            groups.append(group)
    return tuple(groups)


def _filter_group(entry: filters.Filter, parsed: ParsedQuery, available: Facets) -> dict | None:
    """The group with its ``html``: its component, folded into a details component when
    the group has ``details``. Rendered here, not kept again on its own: the group is
    what is kept."""
    group = entry.group(parsed, available)
    if not group:
        return None
    html = components.component(group["kind"], group["params"])
    if group["details"]:
        html = render("details", {**group["details"], "html": html})
    return {**group, "html": html}


def _log_title(query: LogQuery, results: SearchPage | None) -> str:
    if results is not None and query.is_filtered:
        title = gettext("Search results for ‘%(q)s’", q=query.q) if query.q else gettext("Search results")
    else:
        title = gettext("FOI responses")
    if results is not None and results.pages > 1:
        return gettext("%(title)s (page %(page)d of %(pages)d)", title=title, page=results.page, pages=results.pages)
    return title


def page_numbers(current: int, last: int) -> list[int | None]:
    """GOV.UK pagination: first, last, and the current page with its neighbours; None is '…'."""
    wanted = {1, last, current - 1, current, current + 1}
    numbers, previous = [], 0
    for number in sorted(n for n in wanted if 1 <= n <= last):
        if number - previous > 1:
            numbers.append(None)
        numbers.append(number)
        previous = number
    return numbers


def _pagination(query: LogQuery, results: SearchPage) -> dict:
    items = [
        {"number": number, "href": log_url("foi.log", query, page=number), "current": number == results.page}
        if number else {"ellipsis": True}
        for number in page_numbers(results.page, results.pages)
    ]
    return {
        "previous": {"href": log_url("foi.log", query, page=results.page - 1)} if results.page > 1 else None,
        "next": {"href": log_url("foi.log", query, page=results.page + 1)} if results.page < results.pages else None,
        "items": items,
        "landmarkLabel": gettext("Search results pages"),
    }


def outcome_tag(outcome: str) -> Markup:
    """The outcome's tag, kept by the outcome (its parameters follow from it alone)."""
    return kept("tag", {"text": OUTCOME_LABELS[outcome], "classes": OUTCOME_COLOURS[outcome]}, key=("outcome", outcome))


# --- the open data -------------------------------------------------------------------

def feed_page(args, newest: bool = False) -> tuple[LogQuery, SearchPage] | None:
    """The query and one page of hits with their full records (None: bad parameters).
    ``newest``: the Atom feed's first page of the newest responses."""
    parsed = parsed_query(args)
    if parsed.errors:
        return None
    query = parsed.query
    backend = search_backend(records=True)
    if newest:
        return query, backend.search(query.but(sort="newest"), per_page=FEED_SIZE, page=1)
    return query, backend.search(query)


def every_record(args) -> Iterator[list[Record]] | None:
    """Every record the query matches, in its order, a chunk at a time (None: bad parameters)."""
    parsed = parsed_query(args)
    if parsed.errors:
        return None
    return records.chunks(db.engine, search_backend().all_ids(parsed.query))


# --- one response --------------------------------------------------------------------

def response_record(reference: str) -> Record | None:
    """The published response at ``reference`` (any case), or None."""
    row = records.find(reference)
    return None if row is None else Record.from_row(row)


def response_page(reference: str) -> ResponsePage | None:
    """The page of the published response at ``reference`` (any case), or None."""
    record = response_record(reference)
    if record is None:
        return None
    document = record.document
    regime = REGIME_NAMES[record.regime]
    facts = [
        _fact(gettext("Reference"), {"text": record.reference}),
        _fact(gettext("Request received"), {"text": govuk_date(record.received)}),
        _fact(gettext("Responded"), {"text": govuk_date(record.responded)}),
        _fact(gettext("Published"), {"text": govuk_date(record.published)}),
    ]
    if record.updated:
        facts.append(_fact(gettext("Updated"), {"html": Markup("{}<br>{}").format(
            govuk_date(record.updated), record.change_note)}))
    topics = [{"name": name, "href": url_for("foi.log", topic=slugify(name))} for name in document["topics"]]
    facts += [
        _fact(gettext("Legislation"), {"text": regime}),
        _fact(gettext("Outcome"), {"text": OUTCOME_LABELS[record.outcome]}),
        _fact(gettext("Topics"), {"html": Markup(", ").join(
            Markup('<a class="govuk-link" href="{}">{}</a>').format(topic["href"], topic["name"]) for topic in topics)}),
    ]
    section = gettext("Regulation") if record.regime == "EIR" else gettext("Section")
    return ResponsePage(
        record=record, title=f"{record.title} ({record.reference})", regime=regime, outcome_tag=outcome_tag(record.outcome),
        facts=facts, topics=topics,
        exemption_rows=[{"key": {"text": f"{section} {item['section']}"}, "value": {"text": item["name"]}}
                        for item in document["exemptions"]],
        attachments=[{"note": None, **item, "href": url_for("foi.attachment", reference=record.reference, filename=item["filename"])}
                     for item in document["attachments"]],
        related=_related(document["related"]),
        links={"json": url_for("foi.response", reference=f"{record.reference}.json"), "log": url_for("foi.log"),
               "home": url_for("pages.home"), "contact": current_app.config["CONTACT_EMAIL"]},
    )


def _fact(key: str, value: dict) -> dict:
    """A row of the summary list."""
    return {"key": {"text": key}, "value": value}


def _related(items: list[dict]) -> list[dict]:
    """Links to the related responses still published (one query) and to other pages."""
    found = records.published_titles([item["reference"] for item in items if "reference" in item])
    links = []
    for item in items:
        if "reference" not in item:
            links.append({"href": item["url"], "text": item["title"], "reference": None})
            continue
        target = found.get(item["reference"].upper())
        if target is None:
            continue  # not (or no longer) published: no dead link
        reference, title = target
        links.append({"href": url_for("foi.response", reference=reference), "text": item["title"] or title,
                      "reference": reference})
    return links
