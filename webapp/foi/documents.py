"""A response as loaded from its content file: what is published, stored and fed.

:meth:`ResponseDocument.document` is the JSON the response page is drawn from;
:attr:`ResponseDocument.fingerprint` changes whenever anything stored for it would, so an
import that changes nothing writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property


@dataclass
class Attachment:
    title: str
    filename: str
    kind: str
    media_type: str
    size: int
    note: str
    data: bytes = field(repr=False)

    @cached_property
    def sha256(self) -> str:
        """Read by the fingerprint and again when the file is stored: hashed once."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class ResponseDocument:
    reference: str
    title: str
    summary: str
    published: dt.date
    received: dt.date
    responded: dt.date
    regime: str
    outcome: str
    topics: list[str]
    questions: list[str]
    decision_html: str
    answers: list[dict]
    exemptions: list[dict] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    related: list[dict] = field(default_factory=list)
    updated: dt.date | None = None
    change_note: str = ""
    source: str = ""
    decision_text: str = ""
    # Where this document came from: the resolved folder it was imported from ("" for
    # documents built in code), whether it is a fictional sample, and the line of each
    # field (for messages about it after validation, such as unknown related references).
    origin: str = ""
    is_sample: bool = False
    lines: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def search_body(self) -> str:
        """Plain text indexed for search besides title and summary."""
        parts = [*self.questions, self.decision_text]
        parts.extend(answer["text"] for answer in self.answers)
        parts.extend(f"{item['section']} {item['name']}" for item in self.exemptions)
        # The reference last (snippets start with the request), and as words too:
        # the engines split "NMC-2024-0518" differently.
        parts.append(f"{self.reference} {re.sub(r'[._-]+', ' ', self.reference)}")
        return "\n".join(parts)

    @cached_property
    def document_json(self) -> str:
        return json.dumps(self.document(), ensure_ascii=False, separators=(",", ":"))

    def document(self) -> dict:
        """What the response page shows beyond the indexed columns (stored as JSON)."""
        return {
            "questions": self.questions,
            "decision_html": self.decision_html,
            "answers": [{"questions": a["questions"], "html": a["html"]} for a in self.answers],
            "exemptions": self.exemptions,
            "topics": self.topics,
            "related": self.related,
            "attachments": [
                {"title": a.title, "filename": a.filename, "kind": a.kind, "size": a.size, "note": a.note}
                for a in self.attachments
            ],
        }

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever anything stored for this response would change."""
        payload = {
            "reference": self.reference, "title": self.title, "summary": self.summary,
            "published": self.published.isoformat(), "received": self.received.isoformat(),
            "responded": self.responded.isoformat(), "regime": self.regime, "outcome": self.outcome,
            "updated": self.updated.isoformat() if self.updated else None, "change_note": self.change_note,
            "files": [a.sha256 for a in self.attachments], "source": self.source,
            "sample": self.is_sample,
        }
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8"))
        digest.update(self.document_json.encode("utf-8"))
        return digest.hexdigest()
