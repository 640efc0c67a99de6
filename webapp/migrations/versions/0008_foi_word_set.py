"""PostgreSQL: common words' matches, kept per content version for every worker.

``foi_word_set`` holds, per content version and order of the published responses
(``layout``: a digest of the ids in date order, so positions are only shared between
sets that are the same), the positions of the responses matching a common word, as a
serialised roaring bitmap, keyed by the word as the index reads it (plainto_tsquery's
text). See ``webapp/foi/word_store.py``. The row with an empty query claims the
version's warming. Unlogged: it is a cache, which a crash empties, and which is not
copied to replicas.

Moving the content version (every import that changes anything) deletes the other
versions' rows, in the same transaction. SQLite: nothing changes (its workers find a
word's matches through FTS5 in their own process).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UPGRADE = [
    """CREATE UNLOGGED TABLE foi_word_set (
        version integer NOT NULL,
        layout text NOT NULL,
        query text NOT NULL,
        positions bytea,
        PRIMARY KEY (version, layout, query)
    )""",
    """CREATE FUNCTION foi_word_set_forget() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM foi_word_set WHERE version <> NEW.version;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER foi_state_word_set AFTER UPDATE OF version ON foi_state
        FOR EACH ROW EXECUTE FUNCTION foi_word_set_forget()""",
]

DOWNGRADE = [
    "DROP TRIGGER foi_state_word_set ON foi_state",
    "DROP FUNCTION foi_word_set_forget()",
    "DROP TABLE foi_word_set",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
