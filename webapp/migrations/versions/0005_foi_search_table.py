"""PostgreSQL: the search index moves to a narrow table of published responses.

``foi_search`` holds, for each published response only, what a text search reads: the
id, the published date and outcome (for filters and the date order) and the weighted
``tsvector``, with a GIN index. A trigger on ``foi_response`` keeps it in step (as
SQLite's triggers keep ``foi_fts``); deleting a response deletes its row (the foreign
key). Counting a search that matches most responses then visits this table's pages
(about 10,000 at 100,000 responses, the vectors stored in the rows) instead of every
page of the wide ``foi_response`` (about 21,000), and needs no ``is_published`` check. The generated column on
``foi_response`` it replaces is dropped. SQLite: nothing changes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

VECTOR = """setweight(to_tsvector('english'::regconfig, coalesce({row}title, '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce({row}summary, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce({row}search_body, '')), 'C')"""

UPGRADE = [
    """CREATE TABLE foi_search (
        response_id integer PRIMARY KEY REFERENCES foi_response (id) ON DELETE CASCADE,
        published date NOT NULL,
        outcome varchar(40) NOT NULL,
        search_vector tsvector NOT NULL
    )""",
    f"""CREATE FUNCTION foi_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.is_published THEN
            INSERT INTO foi_search (response_id, published, outcome, search_vector)
            VALUES (NEW.id, NEW.published, NEW.outcome, {VECTOR.format(row="NEW.")})
            ON CONFLICT (response_id) DO UPDATE SET published = EXCLUDED.published,
                outcome = EXCLUDED.outcome, search_vector = EXCLUDED.search_vector;
        ELSE
            DELETE FROM foi_search WHERE response_id = NEW.id;
        END IF;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER foi_response_search AFTER INSERT OR UPDATE OF is_published, published, outcome, title,
        summary, search_body ON foi_response FOR EACH ROW EXECUTE FUNCTION foi_search_sync()""",
    f"""INSERT INTO foi_search (response_id, published, outcome, search_vector)
        SELECT id, published, outcome, {VECTOR.format(row="")} FROM foi_response WHERE is_published""",
    "CREATE INDEX ix_foi_search_vector ON foi_search USING GIN (search_vector)",
    # The date order (newest or oldest first) of a text search, walked without a sort.
    "CREATE INDEX ix_foi_search_published ON foi_search (published, response_id)",
    # An outcome filter as a bitmap of its own, ANDed with the words' bitmap before any
    # row is read: only the rows matching both are visited.
    "CREATE INDEX ix_foi_search_outcome ON foi_search (outcome, published)",
    "ALTER TABLE foi_response DROP COLUMN search_vector",  # and its GIN index
]

DOWNGRADE = [
    f"ALTER TABLE foi_response ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({VECTOR.format(row='')}) STORED",
    "CREATE INDEX ix_foi_response_search ON foi_response USING GIN (search_vector)",
    "DROP TRIGGER foi_response_search ON foi_response",
    "DROP FUNCTION foi_search_sync()",
    "DROP TABLE foi_search",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
