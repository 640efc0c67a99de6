"""The schema is managed by Alembic on SQLite (default) and PostgreSQL; /healthz reports reachability."""

import pytest
from sqlalchemy import inspect, text

from tests.conftest import make_app
from webapp.database import normalise_url
from webapp.extensions import db


def head_revision() -> str:
    """The newest migration, whichever capability added it."""
    from alembic.script import ScriptDirectory

    from webapp.database import MIGRATIONS_DIR

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def current_revision(app):
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_flask_db_upgrade_creates_the_schema(tmp_path):
    from webapp import create_app

    database = tmp_path / "nested" / "site.sqlite3"
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{database}"})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert database.exists()
    assert current_revision(app) == head_revision()
    # Running it again changes nothing.
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    assert current_revision(app) == head_revision()


def test_sqlite_runs_in_wal_mode(app):
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": True, "redis": None}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_503_when_database_unreachable(tmp_path):
    from webapp import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "down", "database": False, "redis": None}


@pytest.mark.parametrize("given,expected", [
    ("postgres://u@h/d", "postgresql+psycopg://u@h/d"),
    ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
    ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_postgres_addresses_use_psycopg3(given, expected):
    assert normalise_url(given) == expected


def test_postgresql_migrations_and_healthz(tmp_path, postgres_url):
    app = make_app(tmp_path, DATABASE_URL=postgres_url)
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        assert db.engine.dialect.driver == "psycopg"
        assert "alembic_version" in inspect(db.engine).get_table_names()
    assert current_revision(app) == head_revision()
    assert app.test_client().get("/healthz").status_code == 200
