"""The disclosure log's pages: ``/foi`` (search and filter), ``/foi/<reference>``, the
attachments, and the open data (``/foi.atom``, ``/foi.json``, ``/foi.csv``,
``/foi/<reference>.json``). Thin: read the request, ask the domain, render."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for

from webapp.extensions import db
from webapp.foi import components, feeds, records
from webapp.foi.models import FoiAttachment
from webapp.foi.pages import every_record, feed_page, log_page, response_page, response_record
from webapp.foi.query import parameters
from webapp.page_cache import cacheable

bp = Blueprint("foi", __name__)
# The FOI templates' ``component(kind, params)``: a GOV.UK macro, its rendering reused.
bp.context_processor(lambda: {"component": components.component})

DOWNLOAD_INLINE = {"application/pdf", "text/plain", "text/csv"}
# An attachment runs nothing, loads nothing and is shown in no other site's frame.
ATTACHMENT_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
# Every parameter the log and its feeds read (from the filters table); the page cache
# redirects a request with any other away.
PARAMETERS = parameters()


@bp.get("/foi")
@cacheable(params=PARAMETERS)
def log():
    page = log_page(request.args)
    return render_template("foi/log.html", page=page, error_summary=page.error_summary)


@bp.get("/foi.atom")
@cacheable(params=PARAMETERS)
def log_atom():
    query, found = feed_page(request.args, newest=True) or abort(400)
    body = feeds.atom(found, query, current_app.config["SITE_URL"], current_app.config)
    return Response(body, mimetype="application/atom+xml")


@bp.get("/foi.json")
@cacheable(params=PARAMETERS)
def log_json():
    query, found = feed_page(request.args) or abort(400)
    body = feeds.log_json(found, query, current_app.config["SITE_URL"])
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")


@bp.get("/foi.csv")
def log_csv():
    chunks = every_record(request.args) or abort(400)
    response = Response(feeds.csv_lines(chunks, current_app.config["SITE_URL"]), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="foi-responses.csv"'
    return response


@bp.get("/foi/<reference>")
@cacheable
def response(reference: str):
    if reference.lower().endswith(".json"):
        return response_json(reference[:-5])
    page = response_page(reference) or abort(404)
    if page.reference != reference:
        return redirect(url_for("foi.response", reference=page.reference), 301)
    return render_template("foi/response.html", page=page)


def response_json(reference: str):
    record = response_record(reference) or abort(404)
    body = feeds.response_record(record, current_app.config["SITE_URL"], full=True)
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")


@bp.get("/foi/<reference>/<filename>")
def attachment(reference: str, filename: str):
    row = records.find(reference) or abort(404)
    stored = db.session.get(FoiAttachment, (row.id, filename)) or abort(404)
    response = Response(stored.data, mimetype=stored.media_type)
    disposition = "inline" if stored.media_type in DOWNLOAD_INLINE else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{stored.filename}"'
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Content-Security-Policy"] = ATTACHMENT_CSP
    return response
