"""The disclosure log's tables. Rows are written only by the importer (``publish.py``).

``foi_response`` holds one published response: the columns the log filters and sorts on,
the plain text that search indexes (``search_body``), and the rendered, sanitised page
parts as JSON (``document``). Topics and exemptions have their own tables so the log can
filter on them; attachments keep their bytes in the database so every instance of the
site serves the same files. ``foi_state.version`` counts imports that changed anything:
it keys the page cache.

The search index itself is created per dialect by migration 0002: an FTS5 table kept in
step by triggers on SQLite, a generated ``tsvector`` column with a GIN index on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from webapp.database import Base


class FoiResponse(Base):
    __tablename__ = "foi_response"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    # Upper-cased reference: addresses are matched without regard to case.
    reference_key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    published: Mapped[dt.date] = mapped_column(Date)
    updated: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    change_note: Mapped[str] = mapped_column(Text, default="")
    received: Mapped[dt.date] = mapped_column(Date)
    responded: Mapped[dt.date] = mapped_column(Date)
    regime: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(40))
    document: Mapped[str] = mapped_column(Text)
    search_body: Mapped[str] = mapped_column(Text)
    # The file it came from, as shown in messages ("foi/NMC-2024-0117.md"), and the
    # resolved absolute folder it was imported from: the response belongs to that folder,
    # and only an import of that folder may update or unpublish it. NULL for rows
    # published before ownership was recorded (the first import of their file adopts them).
    source: Mapped[str] = mapped_column(String(1000))
    origin: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    # A fictional sample (``flask foi generate-sample``): ``flask foi remove-sample`` deletes these.
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    fingerprint: Mapped[str] = mapped_column(String(64))
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_foi_response_published", "is_published", "published", "id"),
        Index("ix_foi_response_outcome", "outcome", "published"),
    )


class FoiTopic(Base):
    __tablename__ = "foi_topic"

    response_id: Mapped[int] = mapped_column(ForeignKey("foi_response.id", ondelete="CASCADE"), primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))

    __table_args__ = (Index("ix_foi_topic_slug", "slug", "response_id"),)


class FoiExemption(Base):
    __tablename__ = "foi_exemption"

    response_id: Mapped[int] = mapped_column(ForeignKey("foi_response.id", ondelete="CASCADE"), primary_key=True)
    section: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_foi_exemption_section", "section", "response_id"),)


class FoiAttachment(Base):
    __tablename__ = "foi_attachment"

    response_id: Mapped[int] = mapped_column(ForeignKey("foi_response.id", ondelete="CASCADE"), primary_key=True)
    filename: Mapped[str] = mapped_column(String(100), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class FoiState(Base):
    __tablename__ = "foi_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
