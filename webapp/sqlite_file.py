"""Is the SQLite file a connection writes to still the configured database file?

An open SQLite connection keeps working after its file is deleted or replaced: writes
succeed, into a file nobody will ever read again. So each connection records the
identity (device and inode) of the file it opened, and :func:`problem` compares it with
the file now at the configured path. The feedback store checks after every commit before
it thanks anyone, and ``/healthz`` checks too. PostgreSQL (and in-memory SQLite) have no
such file: nothing to check.
"""

from __future__ import annotations

import os

from sqlalchemy import Engine, event

IDENTITY = "sqlite_file_identity"


def database_path(engine: Engine) -> str | None:
    """The SQLite file the engine opens, or None (PostgreSQL, in-memory SQLite)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database)


def _identity(path: str) -> tuple[int, int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_dev, status.st_ino


def watch(engine: Engine) -> None:
    """Record, for every new connection, the identity of the file it opened."""
    path = database_path(engine)
    if path is None:
        return

    @event.listens_for(engine, "connect")
    def remember(_dbapi_connection, record) -> None:
        record.info[IDENTITY] = _identity(path)


def problem(connection) -> str | None:
    """What is wrong with the file behind ``connection`` (a SQLAlchemy Connection), or
    None. A connection to a replaced file is invalidated, so the pool opens the new one."""
    path = database_path(connection.engine)
    if path is None:
        return None
    now = _identity(path)
    if now is None:
        return f"the database file {path} is missing"
    opened = connection.info.get(IDENTITY)
    if opened is not None and opened != now:
        connection.invalidate()
        return f"the database file {path} was replaced while the site was using it"
    if not os.access(path, os.W_OK):
        return f"the database file {path} cannot be written"
    return None
