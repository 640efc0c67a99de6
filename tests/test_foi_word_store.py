"""PostgreSQL: a common word's matches are worked out once per content version, for
every worker, and the words the statistics call common are worked out before anyone asks.

Each "worker" here is this process with its kept sets forgotten (``sets.KEPT``), as a
second gunicorn worker or another instance starts with none. PostgreSQL runs when
TEST_DATABASE_URL is set (``.ci/run`` sets it); otherwise these cases skip and say why."""

import contextlib
import logging
import time

import pytest
from sqlalchemy import event, text

from tests.conftest import make_app
from tests.foi_fixtures import load_shipped
from tests.test_foi_search import database_answer
from webapp.extensions import db
from webapp.foi import sets as sets_module
from webapp.foi import word_store
from webapp.foi.publish import publish
from webapp.foi.query import LogQuery
from webapp.foi.search import backend_for
from webapp.foi.sets import LogSets

COMMON_FROM = 40  # STORE_FROM for these tests: about a tenth of their 310 responses


@pytest.fixture
def pg_app(tmp_path, postgres_url, monkeypatch):
    from webapp.foi.samples import sample_documents

    app = make_app(tmp_path, DATABASE_URL=postgres_url)
    load_shipped(app)
    documents, problems = sample_documents(300)
    assert not problems
    with app.app_context():
        publish(db.engine, documents)
    monkeypatch.setattr(word_store, "STORE_FROM", COMMON_FROM)
    return app


@pytest.fixture
def new_worker(monkeypatch):
    """Forget this process's kept sets: the next search builds them, as a new worker does."""
    def forget():
        monkeypatch.setattr(sets_module.KEPT, "values", {})
    forget()
    return forget


@contextlib.contextmanager
def index_lookups(engine):
    """The words looked up through the index while the block runs (their statements)."""
    seen = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if "array_agg(s.response_id)" in statement:
            seen.append(parameters)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def search(app, **criteria):
    with app.app_context():
        return backend_for(db.engine).search(LogQuery(**criteria))


def stored(app) -> dict[str, int]:
    """query -> how many positions, for every stored word (not the warming claims)."""
    from pyroaring import BitMap

    with app.app_context(), db.engine.connect() as connection:
        rows = connection.execute(text("SELECT query, positions FROM foi_word_set WHERE query <> ''")).all()
    return {row.query: len(BitMap.deserialize(bytes(row.positions))) for row in rows}


def counts(app, word: str) -> int:
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM foi_search WHERE search_vector @@ plainto_tsquery('english', :w)"), {"w": word}).scalar()


def common_and_rare(app) -> tuple[str, str]:
    """A word in at least COMMON_FROM responses and one in fewer (from the sample content)."""
    with app.app_context(), db.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM foi_search') "
            "WHERE word ~ '^[a-z]+$' AND length(word) > 4 ORDER BY ndoc DESC, word")).all()
    common = next(word for word, ndoc in rows if ndoc >= COMMON_FROM)
    rare = next(word for word, ndoc in rows if 2 <= ndoc < COMMON_FROM)
    return common, rare


def test_a_common_word_is_looked_up_once_for_every_worker(pg_app, new_worker):
    common, rare = common_and_rare(pg_app)
    assert counts(pg_app, common) >= COMMON_FROM
    criteria = {"q": f"{common} {rare}"}
    with pg_app.app_context():
        engine = db.engine
    with index_lookups(engine) as first:
        answer = search(pg_app, **criteria)
    assert len(first) == 2  # both words, through the index
    assert stored(pg_app) == {f"'{common}'": counts(pg_app, common)}  # the rare one is not kept for others
    new_worker()
    with index_lookups(engine) as second:
        again = search(pg_app, **criteria)
    assert len(second) == 1 and second[0]["term"] == rare  # the common word came from the store
    assert [hit.id for hit in again.hits] == [hit.id for hit in answer.hits] and again.total == answer.total
    assert again.total == len(database_answer(pg_app, LogQuery(**criteria)))


@pytest.mark.parametrize("criteria", [
    {"q": "{common}"},
    {"q": "{common} fictional", "sort": "oldest"},
    {"q": "{common}", "outcomes": ("refused", "disclosed-in-full")},
    {"q": "{common} {rare}", "topics": ("custody", "drones", "firearms-licensing")},
    {"q": "{common}s {common}ing"},  # other forms of the word: the same stored row
])
def test_every_page_from_stored_words_is_the_database_answer(pg_app, new_worker, criteria):
    common, rare = common_and_rare(pg_app)
    criteria = {name: value.format(common=common, rare=rare) if name == "q" else value
                for name, value in criteria.items()}
    search(pg_app, **criteria)  # worked out, and stored
    new_worker()
    expected = database_answer(pg_app, LogQuery(**criteria))
    for order in ("newest", "oldest"):
        first = search(pg_app, **{**criteria, "sort": order})
        new_worker()
        pages = [first] + [search(pg_app, **{**criteria, "sort": order, "page": n}) for n in range(2, first.pages + 1)]
        assert first.total == len(expected)
        found = [hit.id for page in pages for hit in page.hits]
        assert found == (expected if order == "newest" else expected[::-1])


def test_moving_the_version_forgets_the_older_versions_words(pg_app, new_worker):
    from webapp.foi.samples import sample_documents

    common, _ = common_and_rare(pg_app)
    search(pg_app, q=common)
    assert stored(pg_app)
    documents, _ = sample_documents(310)  # ten more responses: a new version
    with pg_app.app_context():
        publish(db.engine, documents)
    assert stored(pg_app) == {}  # deleted with the version's move, in the import's transaction
    new_worker()
    assert search(pg_app, q=common).total == counts(pg_app, common) == len(database_answer(pg_app, LogQuery(q=common)))
    assert stored(pg_app) == {f"'{common}'": counts(pg_app, common)}


def test_positions_are_shared_only_between_the_same_sets(pg_app):
    """Two sets of one version whose orders differ (the rows changed without the version
    moving) never read each other's positions."""
    common, _ = common_and_rare(pg_app)
    with pg_app.app_context(), db.engine.connect() as connection:
        version, built = sets_module.build(db.engine)
        ordered = [(built.ids[index], "2024-01-01") for index in range(len(built) - 1, -1, -1)]  # reversed
        other = LogSets(ordered, {}, version=version)
        assert other.layout != built.layout
        mine = word_store.word_set(connection, built, common)
        theirs = word_store.word_set(connection, other, common)
        assert [built.ids[p] for p in mine] == [other.ids[p] for p in theirs][::-1]
        assert connection.execute(text("SELECT count(DISTINCT layout) FROM foi_word_set")).scalar() == 2


def test_matches_read_after_the_version_moved_are_not_stored(pg_app):
    from webapp.foi.samples import sample_documents

    common, _ = common_and_rare(pg_app)
    with pg_app.app_context():
        _, old = sets_module.build(db.engine)
        publish(db.engine, sample_documents(305)[0])  # the version moves on
        with db.engine.connect() as connection:
            found = word_store.word_set(connection, old, common)
    now = set(database_answer(pg_app, LogQuery(q=common)))
    assert {old.ids[position] for position in found} == now & set(old.ids)  # what the old sets hold
    assert stored(pg_app) == {}  # worked out at the new version for the old one's sets: not kept


def test_a_store_that_cannot_be_written_does_not_fail_the_search(pg_app, monkeypatch, caplog):
    common, _ = common_and_rare(pg_app)
    monkeypatch.setattr(word_store, "STORE", text("INSERT INTO foi_no_such_table VALUES (:version)"))
    with caplog.at_level(logging.WARNING, logger="webapp.foi.word_store"):
        found = search(pg_app, q=f"{common} fictional", sort="relevance")
    assert found.total == len(database_answer(pg_app, LogQuery(q=f"{common} fictional")))
    assert "could not store" in caplog.text


def analyse(app) -> None:
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE foi_search")


def test_warming_works_out_the_common_words_once_before_anyone_asks(pg_app, new_worker):
    analyse(pg_app)
    with pg_app.app_context():
        engine = db.engine
        _, built = sets_module.build(engine)
        assert word_store.warm(engine, built, limit=0) == 0  # turned off
        worked_out = word_store.warm(engine, built, limit=500)
        assert word_store.warm(engine, built, limit=500) == 0  # another process: the version is claimed
    kept = stored(pg_app)
    assert worked_out == len(kept) > 0
    assert all(size >= COMMON_FROM for size in kept.values())
    common, _ = common_and_rare(pg_app)
    assert f"'{common}'" in kept
    with index_lookups(engine) as lookups:
        found = search(pg_app, q=f"{common}s", sort="oldest")  # as people type it
    assert lookups == []
    assert [hit.id for hit in found.hits] == database_answer(pg_app, LogQuery(q=common))[::-1][:20]


def test_warming_takes_at_most_the_limit_most_common_first(pg_app):
    analyse(pg_app)
    with pg_app.app_context():
        _, built = sets_module.build(db.engine)
        assert word_store.warm(db.engine, built, limit=3) == 3
    kept = stored(pg_app)
    assert len(kept) == 3
    with pg_app.app_context(), db.engine.connect() as connection:
        third = connection.execute(text(
            "SELECT ndoc FROM ts_stat('SELECT search_vector FROM foi_search') WHERE word ~ '^[[:alnum:]]+$' "
            "ORDER BY ndoc DESC OFFSET 2 LIMIT 1")).scalar()
    assert min(kept.values()) >= third  # the three most common (the statistics read every row here)


def test_a_new_version_warms_in_the_background_when_configured(tmp_path, postgres_url, monkeypatch):
    """Wired through the app: the first search of a version starts the warming."""
    from webapp.foi.samples import sample_documents

    app = make_app(tmp_path, DATABASE_URL=postgres_url, SEARCH_WARM_WORDS=5)
    monkeypatch.setattr(word_store, "STORE_FROM", COMMON_FROM)
    monkeypatch.setattr(sets_module.KEPT, "values", {})
    with app.app_context():
        publish(db.engine, sample_documents(300)[0])
    analyse(app)
    assert app.test_client().get("/foi?q=police").status_code == 200
    deadline = time.monotonic() + 30
    while len(stored(app)) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(stored(app)) == 5
