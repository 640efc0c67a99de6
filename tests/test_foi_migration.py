"""Migrations 0002 and 0005 to 0008 create the right search index (and what it keeps) for each database, and reverse cleanly."""

import pytest
from alembic import command
from sqlalchemy import inspect, text

from webapp.database import alembic_config, build_engine, upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    engine = build_engine(url)
    yield engine
    engine.dispose()


def test_upgrade_creates_the_index_for_the_dialect_and_downgrade_removes_it(engine):
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"foi_response", "foi_topic", "foi_exemption", "foi_attachment", "foi_state"} <= tables
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert "foi_fts" in tables and "foi_search_word" not in tables
            triggers = set(connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
            assert triggers == {"foi_response_ai", "foi_response_ad", "foi_response_au"}
        else:
            # The vector lives in the narrow table of published responses (0005), not in the wide rows.
            assert "foi_search" in tables and "foi_search_word" not in tables  # 0006's counts, dropped by 0007
            assert "search_vector" not in {c["name"] for c in inspect(engine).get_columns("foi_response")}
            columns = {c["name"]: str(c["type"]) for c in inspect(engine).get_columns("foi_search")}
            assert columns["search_vector"] == "TSVECTOR"
            index = connection.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_foi_search_vector'")).scalar_one()
            assert "USING gin (search_vector)" in index
        assert connection.execute(text("SELECT version FROM foi_state WHERE id = 1")).scalar_one() == 0
    command.downgrade(alembic_config(engine), "0001")
    remaining = set(inspect(engine).get_table_names())
    assert not {t for t in remaining if t.startswith("foi_")}


# --- 0005 on PostgreSQL: the narrow search table and the trigger that keeps it in step ----

@pytest.fixture
def pg_engine(postgres_url):
    engine = build_engine(postgres_url)
    yield engine
    engine.dispose()


def add_response(connection, reference, title, published=True, outcome="disclosed-in-full", day="2024-05-01"):
    return connection.execute(text(
        "INSERT INTO foi_response (is_published, published, outcome, regime, received, responded, reference, "
        "reference_key, fingerprint, imported_at, title, summary, source, search_body, document) VALUES "
        "(:published, :day, :outcome, 'FOIA', :day, :day, :reference, :reference, 'f', now(), :title, "
        "'A summary.', 'test.md', 'The request and the answers.', '{}') RETURNING id"),
        {"published": published, "day": day, "outcome": outcome, "reference": reference, "title": title},
    ).scalar_one()


def found(connection, word) -> list[int]:
    return sorted(connection.execute(text(
        "SELECT response_id FROM foi_search WHERE search_vector @@ plainto_tsquery('english', :word)"),
        {"word": word}).scalars())


def test_0005_moves_existing_published_responses_into_the_search_table_and_back(pg_engine):
    command.upgrade(alembic_config(pg_engine), "0004")
    with pg_engine.begin() as connection:
        shown = add_response(connection, "A-1", "Lighthouse keepers")
        hidden = add_response(connection, "A-2", "Lighthouse budgets", published=False)
    command.upgrade(alembic_config(pg_engine), "0005")
    with pg_engine.connect() as connection:
        rows = connection.execute(text("SELECT response_id, published, outcome FROM foi_search")).all()
        assert [(row.response_id, str(row.published), row.outcome) for row in rows] == \
            [(shown, "2024-05-01", "disclosed-in-full")]
        assert found(connection, "lighthouses") == [shown]  # stemmed, as before
        weights = connection.execute(text(
            "SELECT search_vector::text FROM foi_search WHERE response_id = :id"), {"id": shown}).scalar_one()
        assert "'lighthous':1A" in weights and "'summari':" in weights  # title weighted A
    command.downgrade(alembic_config(pg_engine), "0004")
    with pg_engine.connect() as connection:
        assert "foi_search" not in inspect(pg_engine).get_table_names()
        matched = connection.execute(text(
            "SELECT id FROM foi_response WHERE search_vector @@ plainto_tsquery('english', 'lighthouse') ORDER BY id"
        )).scalars().all()
        assert matched == [shown, hidden]
        assert connection.execute(text(
            "SELECT count(*) FROM pg_proc WHERE proname = 'foi_search_sync'")).scalar_one() == 0


def test_the_search_table_follows_every_change_to_a_response(pg_engine):
    upgrade(pg_engine)
    with pg_engine.begin() as connection:
        first = add_response(connection, "B-1", "Kennels for police dogs")
        draft = add_response(connection, "B-2", "Kennels in draft", published=False)
    with pg_engine.begin() as connection:
        assert found(connection, "kennel") == [first]
        # Published later: it appears; retitled: the old words go, the new are found.
        connection.execute(text("UPDATE foi_response SET is_published = TRUE WHERE id = :id"), {"id": draft})
        connection.execute(text("UPDATE foi_response SET title = 'Horses of the mounted section', "
                                "outcome = 'refused', published = '2025-01-02' WHERE id = :id"), {"id": first})
    with pg_engine.begin() as connection:
        assert found(connection, "kennel") == [draft]
        assert found(connection, "horse") == [first]
        row = connection.execute(text("SELECT published, outcome FROM foi_search WHERE response_id = :id"),
                                 {"id": first}).one()
        assert (str(row.published), row.outcome) == ("2025-01-02", "refused")
        # Withdrawn: gone from the search table; deleted: gone too.
        connection.execute(text("UPDATE foi_response SET is_published = FALSE WHERE id = :id"), {"id": first})
        connection.execute(text("DELETE FROM foi_response WHERE id = :id"), {"id": draft})
    with pg_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM foi_search")).scalar_one() == 0


# --- 0006 on PostgreSQL: the counts of common words, kept per content version ------------

def word_counts(connection) -> dict[str, int]:
    return dict(connection.execute(text("SELECT lexeme, responses FROM foi_search_word")).all())


def test_0006_counts_the_common_words_of_existing_responses_and_goes_back(pg_engine):
    command.upgrade(alembic_config(pg_engine), "0005")
    with pg_engine.begin() as connection:
        for n in range(120):
            add_response(connection, f"D-{n}", "Lighthouse keepers" if n < 110 else "Harbour walls")
        add_response(connection, "D-draft", "Lighthouse drafts", published=False)
    command.upgrade(alembic_config(pg_engine), "0006")
    with pg_engine.connect() as connection:
        counts = word_counts(connection)
        # In at least 100 published responses: kept, exactly; in fewer ("harbour"): not kept.
        assert counts["lighthous"] == 110 and counts["summari"] == 120
        assert "harbour" not in counts and "draft" not in counts
    command.downgrade(alembic_config(pg_engine), "0005")
    with pg_engine.connect() as connection:
        assert "foi_search_word" not in inspect(pg_engine).get_table_names()
        assert connection.execute(text(
            "SELECT count(*) FROM pg_proc WHERE proname LIKE 'foi_search_word%'")).scalar_one() == 0
        assert connection.execute(text(
            "SELECT count(*) FROM pg_trigger WHERE tgname IN ('foi_search_changed', 'foi_state_search_word')"
        )).scalar_one() == 0
        # The search table still follows the responses without them.
        connection.execute(text("UPDATE foi_response SET is_published = FALSE WHERE reference = 'D-0'"))
        assert len(found(connection, "lighthouse")) == 109


def test_0006_changes_nothing_on_sqlite(tmp_path):
    engine = build_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    config = alembic_config(engine)

    def schema():
        with engine.connect() as connection:
            return connection.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY name")).all()

    command.upgrade(config, "0005")
    before = schema()
    command.upgrade(config, "0006")
    assert schema() == before
    command.downgrade(config, "0005")
    assert schema() == before
    engine.dispose()


# --- 0007: the counts of common words dropped (the log counts from its sets) ----------

def search_word_objects(connection) -> int:
    return connection.execute(text(
        "SELECT (SELECT count(*) FROM pg_proc WHERE proname LIKE 'foi_search_word%') "
        "+ (SELECT count(*) FROM pg_trigger WHERE tgname IN ('foi_search_changed', 'foi_state_search_word')) "
        "+ (SELECT count(*) FROM pg_class WHERE relname = 'foi_search_word')")).scalar_one()


def test_0007_drops_the_word_counts_and_going_back_builds_them_again(pg_engine):
    config = alembic_config(pg_engine)
    command.upgrade(config, "0006")
    with pg_engine.begin() as connection:
        for n in range(110):
            add_response(connection, f"D-{n}", "Lighthouse keepers")
        connection.execute(text("UPDATE foi_state SET version = version + 1"))
        assert search_word_objects(connection) == 5
    command.upgrade(config, "0007")
    with pg_engine.connect() as connection:
        assert search_word_objects(connection) == 0
        assert len(found(connection, "lighthouse")) == 110  # the search table is untouched
    command.downgrade(config, "0006")
    with pg_engine.connect() as connection:
        assert search_word_objects(connection) == 5
        assert word_counts(connection)["lighthous"] == 110


@pytest.mark.parametrize(("before", "after"), [("0006", "0007"), ("0007", "0008")])
def test_postgresql_only_migrations_change_nothing_on_sqlite(tmp_path, before, after):
    engine = build_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    config = alembic_config(engine)
    command.upgrade(config, before)
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY name")).all()
    command.upgrade(config, after)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY name")).all() == schema
    engine.dispose()


# --- 0008: common words' matches kept per content version for every worker ------------

def word_set_objects(connection) -> dict:
    return {
        "table": connection.execute(text(
            "SELECT relpersistence FROM pg_class WHERE relname = 'foi_word_set'")).scalar(),  # 'u': unlogged
        "trigger": connection.execute(text(
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'foi_state_word_set'")).scalar_one(),
    }


def test_0008_keeps_one_versions_words_and_going_back_drops_them(pg_engine):
    config = alembic_config(pg_engine)
    command.upgrade(config, "0008")
    with pg_engine.begin() as connection:
        assert word_set_objects(connection) == {"table": "u", "trigger": 1}
        connection.execute(text("INSERT INTO foi_word_set (version, layout, query, positions) VALUES "
                                "(0, 'a', '''lighthous''', 'x'), (0, 'b', '''lighthous''', 'y'), (0, 'a', '', NULL)"))
    with pg_engine.begin() as connection:
        connection.execute(text("UPDATE foi_state SET version = version + 1"))
        assert connection.execute(text("SELECT count(*) FROM foi_word_set")).scalar_one() == 0
        connection.execute(text("INSERT INTO foi_word_set (version, layout, query) VALUES (1, 'a', '')"))
    with pg_engine.begin() as connection:
        connection.execute(text("UPDATE foi_state SET id = id"))  # the version unchanged: nothing forgotten
        assert connection.execute(text("SELECT count(*) FROM foi_word_set")).scalar_one() == 1
    command.downgrade(config, "0007")
    with pg_engine.connect() as connection:
        assert word_set_objects(connection) == {"table": None, "trigger": 0}
