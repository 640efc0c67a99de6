"""The disclosure log: responses, topics, exemptions, attachments, and the search index.

The search index depends on the database: SQLite gets an FTS5 table (porter stemming,
title/summary/body columns) kept in step with ``foi_response`` by triggers; PostgreSQL
gets a generated, weighted ``tsvector`` column with a GIN index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_INDEX = [
    """CREATE VIRTUAL TABLE foi_fts USING fts5(
        title, summary, search_body, content='foi_response', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    # External content: the triggers copy title/summary/search_body into the index.
    # Only published responses are indexed, so a text search needs no join to filter them.
    """CREATE TRIGGER foi_response_ai AFTER INSERT ON foi_response WHEN new.is_published BEGIN
        INSERT INTO foi_fts(rowid, title, summary, search_body) VALUES (new.id, new.title, new.summary, new.search_body);
    END""",
    """CREATE TRIGGER foi_response_ad AFTER DELETE ON foi_response WHEN old.is_published BEGIN
        INSERT INTO foi_fts(foi_fts, rowid, title, summary, search_body) VALUES ('delete', old.id, old.title, old.summary, old.search_body);
    END""",
    """CREATE TRIGGER foi_response_au AFTER UPDATE ON foi_response BEGIN
        INSERT INTO foi_fts(foi_fts, rowid, title, summary, search_body)
            SELECT 'delete', old.id, old.title, old.summary, old.search_body WHERE old.is_published;
        INSERT INTO foi_fts(rowid, title, summary, search_body)
            SELECT new.id, new.title, new.summary, new.search_body WHERE new.is_published;
    END""",
    # Title matches count most, then the summary, then the request and answers.
    "INSERT INTO foi_fts(foi_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0)')",
    # What a filter reads about a response, by id: a join from the search index reads this
    # small index instead of the wide rows (search.py names it with INDEXED BY).
    "CREATE INDEX ix_foi_response_filter ON foi_response (id, is_published, published, outcome)",
]

POSTGRES_INDEX = [
    """ALTER TABLE foi_response ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce(search_body, '')), 'C')
    ) STORED""",
    "CREATE INDEX ix_foi_response_search ON foi_response USING GIN (search_vector)",
]


def upgrade() -> None:
    # Small columns that filters and sorting read come first, large text last: SQLite
    # then reads a row's filter columns without following its overflow pages.
    op.create_table(
        "foi_response",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("is_published", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("published", sa.Date, nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("regime", sa.String(8), nullable=False),
        sa.Column("updated", sa.Date, nullable=True),
        sa.Column("received", sa.Date, nullable=False),
        sa.Column("responded", sa.Date, nullable=False),
        sa.Column("reference", sa.String(64), nullable=False, unique=True),
        sa.Column("reference_key", sa.String(64), nullable=False, unique=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("change_note", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("search_body", sa.Text, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_index("ix_foi_response_published", "foi_response", ["is_published", "published", "id"])
    op.create_index("ix_foi_response_outcome", "foi_response", ["outcome", "published"])
    op.create_table(
        "foi_topic",
        sa.Column("response_id", sa.Integer, sa.ForeignKey("foi_response.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("slug", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
    )
    op.create_index("ix_foi_topic_slug", "foi_topic", ["slug", "response_id"])
    op.create_table(
        "foi_exemption",
        sa.Column("response_id", sa.Integer, sa.ForeignKey("foi_response.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("section", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_index("ix_foi_exemption_section", "foi_exemption", ["section", "response_id"])
    op.create_table(
        "foi_attachment",
        sa.Column("response_id", sa.Integer, sa.ForeignKey("foi_response.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("filename", sa.String(100), primary_key=True),
        sa.Column("media_type", sa.String(120), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "foi_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    )
    op.execute("INSERT INTO foi_state (id, version) VALUES (1, 0)")

    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_INDEX, "postgresql": POSTGRES_INDEX}.get(dialect, []):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("foi_response_ai", "foi_response_ad", "foi_response_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS foi_fts")
    for table in ("foi_state", "foi_attachment", "foi_exemption", "foi_topic", "foi_response"):
        op.drop_table(table)
