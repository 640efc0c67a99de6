"""Publishing: load validated documents into the database, idempotently.

Upsert by reference. A document whose fingerprint is unchanged is left alone, so
importing the same files twice changes nothing (not even the content version). When a
whole folder is imported, responses whose source file has gone are unpublished; a file
that is still there but now invalid keeps its last good version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from sqlalchemy import Engine, delete, insert, select, update

from webapp.foi.content import Problem, ResponseDocument, load_file, slugify
from webapp.foi.models import FoiAttachment, FoiExemption, FoiResponse, FoiState, FoiTopic

CHUNK = 1000


@dataclass
class ImportReport:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    unpublished: int = 0
    problems: list[Problem] = field(default_factory=list)
    failed_files: int = 0

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.unpublished)

    def summary(self) -> str:
        return (
            f"{self.added} added, {self.changed} changed, {self.unchanged} unchanged, "
            f"{self.unpublished} unpublished, {self.failed_files} file(s) with problems"
        )


def content_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*.md") if p.is_file() and not p.name.startswith("."))


def import_path(engine: Engine, path: Path) -> ImportReport:
    """Validate every ``*.md`` file under ``path`` (or the one file) and publish the good ones."""
    report = ImportReport()
    root = path if path.is_dir() else path.parent
    documents, seen_sources = [], set()
    for file in content_files(path):
        display = str(file.relative_to(root.parent)) if root.parent in file.parents else str(file)
        seen_sources.add(display)
        loaded = load_file(file, display=display)
        if isinstance(loaded, list):
            report.problems.extend(loaded)
            report.failed_files += 1
        else:
            documents.append(loaded)
    # Only responses that came from this folder can have lost their file.
    scope = f"{root.name}/" if path.is_dir() else None
    publish(engine, documents, report, keep_sources=seen_sources if path.is_dir() else None, scope=scope)
    return report


def publish(engine: Engine, documents: Iterable[ResponseDocument], report: ImportReport | None = None,
            keep_sources: set[str] | None = None, scope: str | None = None) -> ImportReport:
    """Upsert ``documents``. With ``keep_sources``, unpublish the responses (whose source
    starts with ``scope``, when given) that are neither in ``documents`` nor in it."""
    report = report or ImportReport()
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            # A large import touches every index page many times: keep them in memory
            # for this transaction (128 MB at most), then give it back.
            connection.exec_driver_sql("PRAGMA cache_size = -131072")
        existing = {
            row.reference_key: row
            for row in connection.execute(select(
                FoiResponse.id, FoiResponse.reference_key, FoiResponse.fingerprint,
                FoiResponse.is_published, FoiResponse.source,
            ))
        }
        seen_keys: dict[str, str] = {}
        new_docs, changed = [], []
        for doc in documents:
            key = doc.reference.upper()
            if key in seen_keys:
                report.problems.append(Problem(doc.source, "reference", f"{doc.reference} is already used by {seen_keys[key]}"))
                report.failed_files += 1
                continue
            seen_keys[key] = doc.source
            row = existing.get(key)
            if row is None:
                new_docs.append(doc)
            elif row.fingerprint != doc.fingerprint or not row.is_published:
                changed.append((row.id, doc))
            else:
                report.unchanged += 1

        for start in range(0, len(new_docs), CHUNK):
            chunk = new_docs[start:start + CHUNK]
            ids = connection.execute(
                insert(FoiResponse).returning(FoiResponse.id, sort_by_parameter_order=True),
                [_row(doc, now) for doc in chunk],
            ).scalars().all()
            _insert_children(connection, list(zip(ids, chunk)))
        report.added += len(new_docs)

        for start in range(0, len(changed), CHUNK):
            chunk = changed[start:start + CHUNK]
            ids = [response_id for response_id, _ in chunk]
            for table in (FoiTopic, FoiExemption, FoiAttachment):
                connection.execute(delete(table).where(table.response_id.in_(ids)))
            for response_id, doc in chunk:
                connection.execute(update(FoiResponse).where(FoiResponse.id == response_id).values(**_row(doc, now)))
            _insert_children(connection, chunk)
        report.changed += len(changed)

        if keep_sources is not None:
            gone = [
                row.id for key, row in existing.items()
                if row.is_published and key not in seen_keys and row.source not in keep_sources
                and (scope is None or row.source.startswith(scope))
            ]
            for start in range(0, len(gone), CHUNK):
                connection.execute(
                    update(FoiResponse).where(FoiResponse.id.in_(gone[start:start + CHUNK])).values(is_published=False)
                )
            report.unpublished += len(gone)

        if report.touched:
            connection.execute(update(FoiState).where(FoiState.id == 1).values(version=FoiState.version + 1))
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA cache_size = -2000")
    if engine.dialect.name == "sqlite" and report.added + report.changed > CHUNK:
        # A big import leaves a big write-ahead log that every worker's first read would
        # have to index: fold it into the database now.
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return report


def _row(doc: ResponseDocument, now: dt.datetime) -> dict:
    return {
        "reference": doc.reference, "reference_key": doc.reference.upper(), "title": doc.title,
        "summary": doc.summary, "published": doc.published, "updated": doc.updated,
        "change_note": doc.change_note, "received": doc.received, "responded": doc.responded,
        "regime": doc.regime, "outcome": doc.outcome,
        "document": doc.document_json,
        "search_body": doc.search_body, "source": doc.source, "fingerprint": doc.fingerprint,
        "is_published": True, "imported_at": now,
    }


def _insert_children(connection, pairs: list[tuple[int, ResponseDocument]]) -> None:
    topics, exemptions, attachments = [], [], []
    for response_id, doc in pairs:
        topics.extend({"response_id": response_id, "slug": slugify(t), "name": t} for t in doc.topics)
        exemptions.extend({"response_id": response_id, **e} for e in doc.exemptions)
        attachments.extend(
            {"response_id": response_id, "filename": a.filename, "media_type": a.media_type,
             "size": a.size, "sha256": a.sha256, "data": a.data}
            for a in doc.attachments
        )
    for table, rows in ((FoiTopic, topics), (FoiExemption, exemptions), (FoiAttachment, attachments)):
        if rows:
            connection.execute(insert(table), rows)
