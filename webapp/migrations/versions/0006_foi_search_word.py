"""PostgreSQL: how many published responses contain each common word, per content version.

An exact count of a word found in nearly every response ("cost": 100,002 of 100,010)
reads every row of ``foi_search`` the GIN index names, only to see whether it is
visible: about 10,000 pages, 25–35 ms. ``foi_search_word`` holds the answer instead:
for each word (lexeme) in at least 100 published responses, how many contain it,
which is exactly what that count returns (a plain-words query of one lexeme matches
the responses whose vector holds it). A word in fewer responses is not listed: counting
it through the index reads at most that many rows.

The table is worked out when the content version changes (``foi_state.version``: every
import that changes anything, and every removal of samples, moves it, after its changes
and in the same transaction), so readers see the new responses and their word counts
together. Any change to ``foi_search`` empties it first: until the version moves, a
search counts through the index, so a count is never out of date, whatever changed the
responses. Working the table out reads every vector once (about a second per import
at 100,000 responses); keeping only common words keeps it small (about 550 words), so
emptying it costs little. SQLite: nothing changes (FTS5 counts a word from its own index).

Storing the vectors out of the rows (TOAST) instead only halves that count: it still
checks every row, and each ranked row then reads its vector from the TOAST table. (Nor
does ``toast_tuple_target`` alone move them: PostgreSQL toasts only rows over about 2 KB.)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COMMON = 100  # responses a word is in before its count is kept

REFRESH = f"""INSERT INTO foi_search_word (lexeme, responses)
        SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM foi_search') WHERE ndoc >= {COMMON}"""

UPGRADE = [
    """CREATE TABLE foi_search_word (
        lexeme text PRIMARY KEY,
        responses integer NOT NULL
    )""",
    f"""CREATE FUNCTION foi_search_word_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM foi_search_word;
        {REFRESH};
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER foi_state_search_word AFTER UPDATE OF version ON foi_state
        FOR EACH ROW EXECUTE FUNCTION foi_search_word_refresh()""",
    # The lock (which readers never wait for) makes a second writer wait until the first
    # commits, then forget what the first worked out: its counts cannot include the second's change.
    """CREATE FUNCTION foi_search_word_forget() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        LOCK TABLE foi_search_word IN SHARE ROW EXCLUSIVE MODE;
        DELETE FROM foi_search_word;
        RETURN NULL;
    END
    $$""",
    """CREATE TRIGGER foi_search_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON foi_search
        FOR EACH STATEMENT EXECUTE FUNCTION foi_search_word_forget()""",
    REFRESH,
]

DOWNGRADE = [
    "DROP TRIGGER foi_search_changed ON foi_search",
    "DROP FUNCTION foi_search_word_forget()",
    "DROP TRIGGER foi_state_search_word ON foi_state",
    "DROP FUNCTION foi_search_word_refresh()",
    "DROP TABLE foi_search_word",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in UPGRADE:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWNGRADE:
            op.execute(statement)
