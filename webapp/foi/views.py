"""The disclosure log's pages: ``/foi`` (search and filter), ``/foi/<reference>``, the
attachments, and the open data (``/foi.atom``, ``/foi.json``, ``/foi.csv``,
``/foi/<reference>.json``). Thin: read the request, ask the domain, render."""

from __future__ import annotations

import json
from dataclasses import replace

from flask import (
    Blueprint, Response, abort, current_app, redirect, render_template, request, url_for,
)
from sqlalchemy import select

from webapp.extensions import db
from webapp.foi import feeds
from webapp.foi.catalogue import facets
from webapp.foi.content import OUTCOME_COLOURS, OUTCOMES, REGIMES, slugify
from webapp.foi.models import FoiAttachment, FoiResponse
from webapp.foi.query import PARAMETERS, SORTS, ParsedQuery, parse, query_string
from webapp.foi.search import RELEVANCE_LIMIT, backend_for
from webapp.page_cache import cacheable

bp = Blueprint("foi", __name__)

DOWNLOAD_INLINE = {"application/pdf", "text/plain", "text/csv"}
# An attachment runs nothing, loads nothing and is shown in no other site's frame.
ATTACHMENT_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


@bp.app_context_processor
def outcome_labels() -> dict:
    return {
        "foi_outcomes": OUTCOMES, "foi_outcome_colours": OUTCOME_COLOURS, "foi_regimes": REGIMES,
        "foi_page_numbers": page_numbers, "foi_sort_label": sort_label, "foi_date_items": date_items,
        "relevance_limit": RELEVANCE_LIMIT,
    }


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


def sort_label(sort: str) -> str:
    return SORTS[sort].lower()


def date_items(parsed: ParsedQuery, name: str) -> list[dict]:
    values = parsed.form[name]
    error = " govuk-input--error" if parsed.field_error(name) else ""
    return [
        {"name": "day", "label": "Day", "value": values["day"], "classes": "govuk-input--width-2" + error, "inputmode": "numeric"},
        {"name": "month", "label": "Month", "value": values["month"], "classes": "govuk-input--width-2" + error, "inputmode": "numeric"},
        {"name": "year", "label": "Year", "value": values["year"], "classes": "govuk-input--width-4" + error, "inputmode": "numeric"},
    ]


def current_facets():
    return facets(db.engine, current_app.extensions["page_cache"].version())


def parsed_query() -> tuple[ParsedQuery, object]:
    available = current_facets()
    return parse(request.args, available.topics, available.exemptions), available


@bp.get("/foi")
@cacheable(params=PARAMETERS)
def log():
    parsed, available = parsed_query()
    results = None if parsed.errors else backend_for(db.engine).search(parsed.query)
    return render_template(
        "foi/log.html", parsed=parsed, query=parsed.query, results=results, facets=available,
        sorts=SORTS, query_string=query_string,
    )


def _feed_query():
    parsed, _ = parsed_query()
    if parsed.errors:
        abort(400)
    return parsed.query


@bp.get("/foi.atom")
@cacheable(params=PARAMETERS)
def log_atom():
    query = _feed_query()
    page = backend_for(db.engine).search(replace(query, sort="newest"), per_page=50, page=1)
    rows = _rows([hit.id for hit in page.hits])
    body = feeds.atom(rows, query, current_app.config["SITE_URL"], current_app.config)
    return Response(body, mimetype="application/atom+xml")


@bp.get("/foi.json")
@cacheable(params=PARAMETERS)
def log_json():
    query = _feed_query()
    page = backend_for(db.engine).search(query)
    rows = _rows([hit.id for hit in page.hits])
    body = feeds.log_json(rows, page, query, current_app.config["SITE_URL"])
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")


@bp.get("/foi.csv")
def log_csv():
    query = _feed_query()
    ids = backend_for(db.engine).all_ids(query)
    root = current_app.config["SITE_URL"]
    engine = db.engine

    def rows():
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            with engine.connect() as connection:
                found = {row.id: row for row in connection.execute(select(FoiResponse).where(FoiResponse.id.in_(chunk)))}
            yield [found[i] for i in chunk if i in found]

    response = Response(feeds.csv_lines(rows(), root), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="foi-responses.csv"'
    return response


def _rows(ids: list[int]) -> list[FoiResponse]:
    if not ids:
        return []
    found = {row.id: row for row in db.session.scalars(select(FoiResponse).where(FoiResponse.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def find(reference: str) -> FoiResponse | None:
    if len(reference) > 64:
        return None
    return db.session.scalars(
        select(FoiResponse).where(FoiResponse.reference_key == reference.upper(), FoiResponse.is_published.is_(True))
    ).first()


@bp.get("/foi/<reference>")
@cacheable
def response(reference: str):
    if reference.lower().endswith(".json"):
        return response_json(reference[:-5])
    row = find(reference) or abort(404)
    if row.reference != reference:
        return redirect(url_for("foi.response", reference=row.reference), 301)
    document = json.loads(row.document)
    topics = [(slugify(name), name) for name in document["topics"]]
    return render_template(
        "foi/response.html", response=row, document=document, topics=topics,
        related=_related(document["related"]),
    )


def response_json(reference: str):
    row = find(reference) or abort(404)
    root = current_app.config["SITE_URL"]
    return Response(json.dumps(feeds.response_record(row, root, full=True), ensure_ascii=False),
                    mimetype="application/json")


def _related(items: list[dict]) -> list[dict]:
    links = []
    for item in items:
        if "reference" in item:
            target = find(item["reference"])
            if target is None:
                continue  # not (or no longer) published: no dead link
            links.append({"href": url_for("foi.response", reference=target.reference),
                          "text": item["title"] or target.title, "reference": target.reference})
        else:
            links.append({"href": item["url"], "text": item["title"]})
    return links


@bp.get("/foi/<reference>/<filename>")
def attachment(reference: str, filename: str):
    row = find(reference) or abort(404)
    stored = db.session.get(FoiAttachment, (row.id, filename)) or abort(404)
    response = Response(stored.data, mimetype=stored.media_type)
    disposition = "inline" if stored.media_type in DOWNLOAD_INLINE else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{stored.filename}"'
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Content-Security-Policy"] = ATTACHMENT_CSP
    return response
