"""The database: one SQLAlchemy 2 engine per app, sessions per request, Alembic migrations.

SQLite (a file under ``instance/``) is the embedded default; ``DATABASE_URL`` points at
PostgreSQL (``postgresql+psycopg://...``) for several instances. Later capabilities add
their tables as models on :class:`Base` and migrations under ``webapp/migrations``.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import click
from flask import Flask, current_app, g
from flask.cli import AppGroup
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from webapp import sqlite_file

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class Base(DeclarativeBase):
    """Every model's base; its metadata is what Alembic compares against."""


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgres://`` / ``postgresql://`` addresses."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


@contextlib.contextmanager
def scratch_schema(url: str, prefix: str) -> Iterator[str]:
    """For tests and benchmarks on a shared PostgreSQL server: ``url`` with its
    search_path set to a fresh, empty schema, dropped afterwards with everything in it."""
    base = normalise_url(url)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers and one writer work at once; NORMAL is durable in WAL mode
    # against application crashes, and busy_timeout waits for a writer rather than failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def build_engine(url: str) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 5})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def current_engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["database"]["engine"]


class Database:
    """Holds the engine and session factory for one Flask app (``extensions.db``)."""

    def init_app(self, app: Flask) -> None:
        """The app's engine and sessions, the SQLite file watch and ``flask db``."""
        engine = build_engine(app.config["DATABASE_URL"])
        app.extensions["database"] = {
            "engine": engine,
            "sessionmaker": sessionmaker(bind=engine, expire_on_commit=False),
        }
        sqlite_file.watch(engine)
        app.teardown_appcontext(self._close_session)
        app.cli.add_command(db_cli)

    @property
    def engine(self) -> Engine:
        return current_engine()

    @property
    def session(self) -> Session:
        """The session for this app context, created on first use."""
        if "db_session" not in g:
            g.db_session = current_app.extensions["database"]["sessionmaker"]()
        return g.db_session

    @staticmethod
    def _close_session(_exc) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    def ping(self) -> bool:
        """True when a round trip to the database succeeds and, on SQLite, the file it
        reached is still the configured one and can be written (see ``sqlite_file``)."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                trouble = sqlite_file.problem(connection)
        except Exception:  # noqa: BLE001 - any failure means "not reachable"
            current_app.logger.exception("database ping failed")
            return False
        if trouble:
            current_app.logger.error("database unhealthy: %s", trouble)
        return trouble is None


def alembic_config(engine: Engine):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


# pg_advisory_lock key held while migrating ("foi-site-migrations" as a 63-bit integer):
# instances starting together take turns, and the later ones find nothing left to do.
MIGRATION_LOCK_KEY = 0x666F692D6D696772


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``. Safe to run from several machines at once:
    on PostgreSQL the whole upgrade holds a session-level advisory lock, so a second
    upgrade waits for the first and then finds the schema already at ``revision``."""
    from alembic import command

    config = alembic_config(engine)
    if engine.dialect.name != "postgresql":
        # SQLite: one file on one machine; its own write lock serialises writers.
        command.upgrade(config, revision)
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        finally:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()


db_cli = AppGroup("db", help="Database schema commands (Alembic migrations).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Bring the schema up to REVISION (default: the newest)."""
    upgrade(current_engine(), revision)
    click.echo(f"database at {revision}: {make_url(normalise_url(current_app.config['DATABASE_URL'])).render_as_string(hide_password=True)}")


@db_cli.command("current")
def current_command() -> None:
    """Print the schema revision the database is at."""
    from alembic import command

    command.current(alembic_config(current_engine()))
