"""Publishing: load validated documents into the database, idempotently and safely.

Upsert by reference. A document whose fingerprint is unchanged is left alone, so
importing the same files twice changes nothing (not even the content version).

Every response belongs to the folder it was imported from (its ``origin``: the
resolved absolute folder, never just its name). An import updates only the responses
it owns: a reference already published from another folder is refused with a message,
never taken over. Responses whose file has gone from the folder are listed and stay
published unless the import is asked to remove them (``remove_missing``); a file that
is still there but now invalid keeps its last good version. ``dry_run`` works out and
reports every change and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, delete, insert, select, update

from webapp.foi.content import load_file
from webapp.foi.documents import ResponseDocument
from webapp.foi.models import FoiAttachment, FoiExemption, FoiResponse, FoiState, FoiTopic
from webapp.foi.problems import Problem
from webapp.foi.vocabulary import slugify

CHUNK = 1000
SAMPLE_ORIGIN = "sample"

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    unpublished: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    failed_files: int = 0
    # (action, reference, source): "add", "update", "remove", and "missing" for a
    # response whose file has gone but which stays published (no remove_missing).
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.unpublished)

    @property
    def missing(self) -> list[tuple[str, str, str]]:
        return [change for change in self.changes if change[0] == "missing"]

    def summary(self) -> str:
        text = (
            f"{self.added} added, {self.changed} changed, {self.unchanged} unchanged, "
            f"{self.unpublished} unpublished, {self.failed_files} file(s) with problems"
        )
        if self.missing:
            text += f", {len(self.missing)} kept though their file has gone"
        if self.dry_run:
            text += " (dry run: nothing was written)"
        return text


def content_files(path: Path) -> tuple[list[Path], list[Problem]]:
    """Every ``*.md`` under ``path`` (not following symbolic links to folders; hidden
    files and folders skipped), and a warning for each linked folder left unread."""
    if not path.is_dir():
        return [path], []
    files, warnings = [], []
    for folder, dirnames, filenames in os.walk(path, followlinks=False):
        for name in list(dirnames):
            if name.startswith("."):
                dirnames.remove(name)
            elif os.path.islink(os.path.join(folder, name)):
                dirnames.remove(name)
                shown = os.path.relpath(os.path.join(folder, name), path.parent)
                warnings.append(Problem(shown, "folder", "is a symbolic link: its files are not read", warning=True))
        dirnames.sort()
        files.extend(Path(folder) / name for name in sorted(filenames)
                     if name.endswith(".md") and not name.startswith("."))
    return files, warnings


def import_path(engine: Engine, path: Path, remove_missing: bool = False, dry_run: bool = False) -> ImportReport:
    """Validate every ``*.md`` file under ``path`` (or the one file) and publish the good
    ones as responses of that folder (``path`` resolved)."""
    report = ImportReport(dry_run=dry_run)
    path = Path(path)
    whole_folder = path.is_dir()
    # The folder is resolved (a link to it is the same folder); a file's own name is not
    # (a link named like a response file is refused when it is read).
    root = Path(os.path.realpath(path if whole_folder else path.parent))
    files, warnings = content_files(root if whole_folder else root / path.name)
    report.warnings.extend(warnings)
    documents, seen_sources = [], set()
    for file in files:
        display = f"{root.name}/{file.relative_to(root).as_posix()}"
        seen_sources.add(display)
        try:
            loaded = load_file(file, display=display)
        except Exception as error:  # a defect in the checks: one file's problem, never the import's
            log.exception("checking %s failed", display)
            loaded = [Problem(display, "file", f"could not be checked ({type(error).__name__}): "
                              "please report this to the site's developers", line=1)]
        if isinstance(loaded, list):
            report.problems.extend(p for p in loaded if not p.warning)
            report.warnings.extend(p for p in loaded if p.warning)
            report.failed_files += 1
        else:
            loaded.origin = str(root)
            documents.append(loaded)
    if not whole_folder:
        _keep_owner_of_single_file(engine, documents, root)
    publish(engine, documents, report, keep_sources=seen_sources if whole_folder else None,
            scope=str(root) if whole_folder else None, remove_missing=remove_missing, dry_run=dry_run)
    return report


def _keep_owner_of_single_file(engine: Engine, documents: list[ResponseDocument], folder: Path) -> None:
    """A file imported on its own belongs to the folder that published it before, when
    that is a folder above it (``content/foi/2024/x.md`` imported from ``content/foi``)."""
    if not documents:
        return
    with engine.connect() as connection:
        for doc in documents:
            row = connection.execute(
                select(FoiResponse.origin, FoiResponse.source).where(FoiResponse.reference_key == doc.reference.upper())
            ).first()
            if row is None or not row.origin or row.origin == doc.origin:
                continue
            owner = Path(row.origin)
            if owner in folder.parents:
                source = f"{owner.name}/{(folder / Path(doc.source).name).relative_to(owner).as_posix()}"
                if source == row.source:
                    doc.origin, doc.source = row.origin, source


def publish(engine: Engine, documents: Iterable[ResponseDocument], report: ImportReport | None = None,
            keep_sources: set[str] | None = None, scope: str | None = None,
            remove_missing: bool = True, dry_run: bool = False) -> ImportReport:
    """Upsert ``documents``, each as a response of its ``origin``.

    With ``keep_sources``, the published responses (of the folder ``scope``, when
    given) that are neither in ``documents`` nor from a file in ``keep_sources`` have
    lost their file: unpublished with ``remove_missing``, otherwise reported as missing.
    """
    report = report or ImportReport(dry_run=dry_run)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite" and not dry_run:
            # A large import touches every index page many times: keep them in memory
            # for this transaction (128 MB at most), then give it back.
            connection.exec_driver_sql("PRAGMA cache_size = -131072")
        existing = {
            row.reference_key: row
            for row in connection.execute(select(
                FoiResponse.id, FoiResponse.reference, FoiResponse.reference_key, FoiResponse.fingerprint,
                FoiResponse.is_published, FoiResponse.source, FoiResponse.origin,
            ))
        }
        seen_keys: dict[str, str] = {}
        new_docs, changed, accepted = [], [], []
        for doc in documents:
            key = doc.reference.upper()
            line = doc.lines.get("reference")
            if key in seen_keys:
                report.problems.append(Problem(doc.source, "reference", f"{doc.reference} is already used by {seen_keys[key]}", line=line))
                report.failed_files += 1
                continue
            row = existing.get(key)
            if row is not None and row.is_published and (row.origin or "") != doc.origin and not (
                    row.origin is None and row.source == doc.source):
                report.problems.append(Problem(doc.source, "reference", (
                    f"{doc.reference} is already published from another folder ({row.origin or 'an earlier import'}, "
                    f"file {row.source}): use another reference, or unpublish it there first "
                    "(delete its file, then import that folder with --remove-missing)"), line=line))
                report.failed_files += 1
                continue
            seen_keys[key] = doc.source
            accepted.append(doc)
            if row is None:
                new_docs.append(doc)
                report.changes.append(("add", doc.reference, doc.source))
            elif row.fingerprint != doc.fingerprint or not row.is_published or row.origin != doc.origin:
                changed.append((row.id, doc))
                report.changes.append(("update" if row.is_published else "add", doc.reference, doc.source))
            else:
                report.unchanged += 1

        gone = []
        if keep_sources is not None:
            gone = [
                row for key, row in existing.items()
                if row.is_published and key not in seen_keys and row.source not in keep_sources
                and (scope is None or row.origin == scope)
            ]
            action = "remove" if remove_missing else "missing"
            report.changes.extend((action, row.reference, row.source) for row in gone)
            if not remove_missing:
                gone = []

        published = {key for key, row in existing.items() if row.is_published} - {row.reference_key for row in gone}
        published |= set(seen_keys)
        for doc in accepted:
            for item in doc.related:
                if "reference" in item and item["reference"].upper() not in published:
                    report.warnings.append(Problem(doc.source, "related", (
                        f"{item['reference']} is not a published response, so no link to it is shown: "
                        "check the reference"), line=doc.lines.get("related"), warning=True))

        report.added += len(new_docs)
        report.changed += len(changed)
        report.unpublished += len(gone)
        if dry_run:
            return report

        for start in range(0, len(new_docs), CHUNK):
            chunk = new_docs[start:start + CHUNK]
            ids = connection.execute(
                insert(FoiResponse).returning(FoiResponse.id, sort_by_parameter_order=True),
                [_row(doc, now) for doc in chunk],
            ).scalars().all()
            _insert_children(connection, list(zip(ids, chunk, strict=True)))

        for start in range(0, len(changed), CHUNK):
            chunk = changed[start:start + CHUNK]
            ids = [response_id for response_id, _ in chunk]
            for table in (FoiTopic, FoiExemption, FoiAttachment):
                connection.execute(delete(table).where(table.response_id.in_(ids)))
            for response_id, doc in chunk:
                connection.execute(update(FoiResponse).where(FoiResponse.id == response_id).values(**_row(doc, now)))
            _insert_children(connection, chunk)

        gone_ids = [row.id for row in gone]
        for start in range(0, len(gone_ids), CHUNK):
            connection.execute(
                update(FoiResponse).where(FoiResponse.id.in_(gone_ids[start:start + CHUNK])).values(is_published=False)
            )

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


def remove_samples(engine: Engine, dry_run: bool = False) -> list[tuple[str, str]]:
    """Delete every sample response (``sample: true`` or published by
    ``generate-sample --publish``): their (reference, source), newest first."""
    with engine.begin() as connection:
        rows = connection.execute(
            select(FoiResponse.id, FoiResponse.reference, FoiResponse.source, FoiResponse.is_published)
            .where(FoiResponse.is_sample.is_(True)).order_by(FoiResponse.published.desc(), FoiResponse.id)
        ).all()
        if dry_run or not rows:
            return [(row.reference, row.source) for row in rows]
        ids = [row.id for row in rows]
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            for table in (FoiTopic, FoiExemption, FoiAttachment):
                connection.execute(delete(table).where(table.response_id.in_(chunk)))
            # Unpublish first: the search index's triggers follow is_published.
            connection.execute(update(FoiResponse).where(FoiResponse.id.in_(chunk)).values(is_published=False))
            connection.execute(delete(FoiResponse).where(FoiResponse.id.in_(chunk)))
        connection.execute(update(FoiState).where(FoiState.id == 1).values(version=FoiState.version + 1))
    return [(row.reference, row.source) for row in rows]


def _row(doc: ResponseDocument, now: dt.datetime) -> dict:
    return {
        "reference": doc.reference, "reference_key": doc.reference.upper(), "title": doc.title,
        "summary": doc.summary, "published": doc.published, "updated": doc.updated,
        "change_note": doc.change_note, "received": doc.received, "responded": doc.responded,
        "regime": doc.regime, "outcome": doc.outcome,
        "document": doc.document_json,
        "search_body": doc.search_body, "source": doc.source, "fingerprint": doc.fingerprint,
        "origin": doc.origin, "is_sample": doc.is_sample,
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
