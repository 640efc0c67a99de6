"""PostgreSQL: the count of a word found in most responses comes from ``foi_search_word``
(migration 0006), and is exactly the count the index gives.

Counting such a word through the GIN index visits every row it names (about 10,000
pages at 100,000 responses); these tests check what makes it cheap instead, not a time:
the count is one row read by key, the kept counts are exact for every word, and any
change to the search table is never answered from counts worked out before it. Timing
is in ``bench/foi.py``.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import event, text

from webapp.database import build_engine, upgrade
from webapp.foi.filters import At
from webapp.foi.publish import publish
from webapp.foi.query import LogQuery
from webapp.foi.samples import sample_documents
from webapp.foi.search import backend_for

RESPONSES = 300
COMMON = 100  # as migration 0006 keeps

# Every word in at least COMMON published responses, and how many: worked out here from
# the vectors themselves, independently of ts_stat.
EXPECTED = f"""SELECT lexeme, count(*) AS responses FROM foi_search, unnest(tsvector_to_array(search_vector)) AS lexeme
    GROUP BY lexeme HAVING count(*) >= {COMMON}"""


@pytest.fixture
def pg_engine(postgres_url):
    engine = build_engine(postgres_url)
    upgrade(engine)
    documents, problems = sample_documents(RESPONSES)
    assert not problems
    publish(engine, documents)
    yield engine
    engine.dispose()


def kept(connection) -> dict[str, int]:
    return dict(connection.execute(text("SELECT lexeme, responses FROM foi_search_word")).all())


def expected(connection) -> dict[str, int]:
    return dict(connection.execute(text(EXPECTED)).all())


def counted(connection, word: str) -> int:
    """The count through the index, as a search with filters makes it."""
    return connection.execute(text(
        "SELECT count(*) FROM foi_search WHERE search_vector @@ plainto_tsquery('english', :word)"),
        {"word": word}).scalar_one()


def statements_during(engine, call) -> list[str]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def counts_of_rows(statements: list[str]) -> list[str]:
    """The statements that count the search table's rows."""
    return [s for s in statements if "count(*)" in s and "foi_search s" in s]


def test_every_common_word_is_kept_with_its_exact_count(pg_engine):
    with pg_engine.connect() as connection:
        counts = kept(connection)
        assert counts == expected(connection)
        # The words every sample shares are among them, counted as the index counts them.
        assert {"cost", "northmoor", "constabulari"} <= set(counts)
        for word in ("cost", "costs", "Northmoor", "constabulary"):
            lexeme = connection.execute(text("SELECT (tsvector_to_array(to_tsvector('english', :w)))[1]"),
                                        {"w": word}).scalar_one()
            assert counts[lexeme] == counted(connection, word) == RESPONSES


def test_a_common_word_is_counted_from_one_row_by_key_and_never_from_the_search_table(pg_engine):
    backend = backend_for(pg_engine)
    pages = []
    statements = statements_during(pg_engine, lambda: pages.append(backend.search(LogQuery(q="cost"))))
    assert pages[0].total == RESPONSES
    assert not counts_of_rows(statements)
    with pg_engine.begin() as connection:
        plan = connection.execute(text("EXPLAIN (FORMAT JSON) " + backend.WORD_COUNT), {"terms": "cost"}).scalar_one()
    plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    assert plan["Node Type"] in ("Index Scan", "Index Only Scan") and plan["Relation Name"] == "foi_search_word"
    assert "Plans" not in plan


@pytest.mark.parametrize("query", [
    LogQuery(q="cost", outcomes=("refused",)),  # filters: counted with them
    LogQuery(q="total cost"),  # two words
    LogQuery(q="fictional request"),
    LogQuery(q="hovercraft"),  # in fewer than COMMON responses: not kept
])
def test_other_searches_are_counted_through_the_index_as_before(pg_engine, query):
    backend = backend_for(pg_engine)
    pages = []
    statements = statements_during(pg_engine, lambda: pages.append(backend.search(query)))
    assert counts_of_rows(statements)
    clauses, params, expanding = backend.filters(query, At(row="s", key="response_id", narrow=True), published=False)
    with pg_engine.connect() as connection:
        where = " AND ".join(["s.search_vector @@ plainto_tsquery('english', :terms)", *clauses])
        exact = connection.execute(backend.statement(f"SELECT count(*) FROM foi_search s WHERE {where}", expanding),
                                   {**params, "terms": " ".join(query.terms)}).scalar_one()
    assert pages[0].total == exact


def test_a_change_outside_an_import_is_never_answered_from_old_counts(pg_engine):
    backend = backend_for(pg_engine)
    with pg_engine.begin() as connection:
        # Unpublished by hand: the content version does not move.
        connection.execute(text("UPDATE foi_response SET is_published = FALSE WHERE id = (SELECT min(id) FROM foi_response)"))
        assert kept(connection) == {}
    assert backend.search(LogQuery(q="cost")).total == RESPONSES - 1
    # The next import works them out again, this change included.
    more, _ = sample_documents(RESPONSES + 5)
    publish(pg_engine, more[RESPONSES:])
    with pg_engine.connect() as connection:
        counts = kept(connection)
        assert counts == expected(connection) and counts["cost"] == RESPONSES + 4
    assert backend.search(LogQuery(q="cost")).total == RESPONSES + 4


def test_an_import_that_unpublishes_is_counted_at_once(pg_engine):
    with pg_engine.begin() as connection:
        connection.execute(text("UPDATE foi_response SET is_published = FALSE WHERE id IN "
                                "(SELECT id FROM foi_response ORDER BY id LIMIT 10)"))
        connection.execute(text("UPDATE foi_state SET version = version + 1 WHERE id = 1"))
    with pg_engine.connect() as connection:
        counts = kept(connection)
        assert counts == expected(connection) and counts["cost"] == RESPONSES - 10
    assert backend_for(pg_engine).search(LogQuery(q="costs")).total == RESPONSES - 10


def test_a_change_made_while_an_import_runs_is_not_hidden_by_its_counts(pg_engine):
    """A hand-made change waits for the import that changed the search table first, then
    forgets the counts it worked out (which could not include the change)."""
    import threading

    importing = pg_engine.connect()
    transaction = importing.begin()
    importing.execute(text("UPDATE foi_response SET is_published = FALSE WHERE id = (SELECT min(id) FROM foi_response)"))
    done = threading.Event()

    def by_hand():
        with pg_engine.begin() as connection:
            connection.execute(text(
                "UPDATE foi_response SET is_published = FALSE WHERE id = (SELECT max(id) FROM foi_response)"))
        done.set()

    worker = threading.Thread(target=by_hand)
    worker.start()
    assert not done.wait(1.0)  # waiting for the import
    importing.execute(text("UPDATE foi_state SET version = version + 1 WHERE id = 1"))
    transaction.commit()
    importing.close()
    worker.join(30)
    assert done.is_set()
    with pg_engine.connect() as connection:
        assert kept(connection) in ({}, expected(connection))
    assert backend_for(pg_engine).search(LogQuery(q="cost")).total == RESPONSES - 2
