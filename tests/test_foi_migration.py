"""Migration 0002 creates the right search index for each database, and reverses cleanly."""

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
            assert "foi_fts" in tables
            triggers = set(connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
            assert triggers == {"foi_response_ai", "foi_response_ad", "foi_response_au"}
        else:
            columns = {c["name"]: str(c["type"]) for c in inspect(engine).get_columns("foi_response")}
            assert columns["search_vector"] == "TSVECTOR"
            index = connection.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_foi_response_search'")).scalar_one()
            assert "USING gin (search_vector)" in index
        assert connection.execute(text("SELECT version FROM foi_state WHERE id = 1")).scalar_one() == 0
    command.downgrade(alembic_config(engine), "0001")
    remaining = set(inspect(engine).get_table_names())
    assert not {t for t in remaining if t.startswith("foi_")}
