"""Open data: the log as Atom, JSON and CSV, and one response as JSON.

Atom is built with ElementTree (escaping is the library's job, not ours). The CSV
guards spreadsheet users: a cell that starts with ``= + - @`` is prefixed with ``'`` so
it is never run as a formula. Every feed is written from full records (``records.Record``:
the row and its document, parsed once), read with the search that found them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from xml.etree import ElementTree as ET

from webapp.foi.markdown import html_to_text
from webapp.foi.query import LogQuery, query_string
from webapp.foi.vocabulary import OUTCOMES, REGIMES
from webapp.security import spreadsheet_safe

ATOM = "http://www.w3.org/2005/Atom"
CSV_COLUMNS = ["reference", "title", "summary", "published", "updated", "received", "responded",
               "regime", "outcome", "topics", "exemptions", "url"]


def _timestamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def response_url(root: str, reference: str) -> str:
    return f"{root}/foi/{reference}"


def response_record(row, root: str, full: bool = False) -> dict:
    """``row`` is a ``Record``; ``full`` adds the request, the answers and the rest."""
    document = row.document
    record = {
        "reference": row.reference,
        "title": row.title,
        "summary": row.summary,
        "url": response_url(root, row.reference),
        "published": row.published.isoformat(),
        "updated": row.updated.isoformat() if row.updated else None,
        "change_note": row.change_note or None,
        "received": row.received.isoformat(),
        "responded": row.responded.isoformat(),
        "regime": row.regime,
        "outcome": {"id": row.outcome, "label": OUTCOMES[row.outcome]},
        "topics": document["topics"],
        "exemptions": document["exemptions"],
    }
    if full:
        record.update({
            "regime_name": REGIMES.get(row.regime, row.regime),
            "questions": [{"number": n, "text": q} for n, q in enumerate(document["questions"], start=1)],
            "decision": html_to_text(document["decision_html"]),
            "answers": [
                {"questions": answer["questions"], "html": answer["html"], "text": html_to_text(answer["html"])}
                for answer in document["answers"]
            ],
            "attachments": [
                {**item, "url": f"{response_url(root, row.reference)}/{item['filename']}"}
                for item in document["attachments"]
            ],
            "related": document["related"],
        })
    return record


def log_json(page, query: LogQuery, root: str) -> dict:
    """``page`` is a search page whose hits carry their records."""
    def link(number: int) -> str:
        qs = query_string(query, page=number)
        return f"{root}/foi.json" + (f"?{qs}" if qs else "")

    return {
        "total": page.total,
        "page": page.page,
        "pages": page.pages,
        "per_page": page.per_page,
        "links": {
            "self": link(page.page),
            "next": link(page.page + 1) if page.page < page.pages else None,
            "prev": link(page.page - 1) if 1 < page.page <= page.pages + 1 else None,
            "html": f"{root}/foi" + (f"?{query_string(query)}" if query_string(query) else ""),
        },
        "results": [response_record(hit.record, root) for hit in page.hits],
    }


def atom(page, query: LogQuery, root: str, config) -> bytes:
    """``page`` is a search page whose hits carry their records."""
    rows = [hit.record for hit in page.hits]
    ET.register_namespace("", ATOM)

    def sub(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    qs = query_string(query)
    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", f"{root}/foi.atom" + (f"?{qs}" if qs else ""))
    sub(feed, "title", f"{config['SERVICE_NAME']} – {config['ORGANISATION_NAME']}")
    sub(feed, "subtitle", "Responses to freedom of information requests, newest first")
    newest = max((row.updated or row.published for row in rows), default=dt.date(2000, 1, 1))
    sub(feed, "updated", _timestamp(newest))
    sub(feed, "link", rel="self", href=f"{root}/foi.atom" + (f"?{qs}" if qs else ""), type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=f"{root}/foi" + (f"?{qs}" if qs else ""), type="text/html")
    author = sub(feed, "author")
    sub(author, "name", config["ORGANISATION_NAME"])
    for row in rows:
        entry = sub(feed, "entry")
        url = response_url(root, row.reference)
        sub(entry, "id", url)
        sub(entry, "title", f"{row.title} ({row.reference})")
        sub(entry, "link", rel="alternate", href=url, type="text/html")
        sub(entry, "published", _timestamp(row.published))
        sub(entry, "updated", _timestamp(row.updated or row.published))
        sub(entry, "summary", f"{OUTCOMES[row.outcome]}. {row.summary}")
        sub(entry, "category", term=row.outcome, label=OUTCOMES[row.outcome])
        for topic in row.topics:
            sub(entry, "category", term=topic)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)


def csv_lines(chunks: Iterable[list], root: str):
    """The CSV, a chunk of records at a time (it can be the whole log)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + buffer.getvalue()
    for rows in chunks:
        buffer.seek(0)
        buffer.truncate()
        for row in rows:
            writer.writerow([spreadsheet_safe(value) for value in (
                row.reference, row.title, row.summary, row.published.isoformat(),
                row.updated.isoformat() if row.updated else "", row.received.isoformat(),
                row.responded.isoformat(), row.regime, OUTCOMES[row.outcome],
                "; ".join(row.topics),
                "; ".join(f"{e['section']} {e['name']}" for e in row.exemptions),
                response_url(root, row.reference),
            )])
        yield buffer.getvalue()
