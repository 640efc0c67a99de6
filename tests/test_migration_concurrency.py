"""Two instances starting at once may both run ``flask db upgrade`` on a fresh PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")


def _upgrade(url: str) -> subprocess.Popen:
    env = {**os.environ, "FLASK_APP": "webapp:create_app", "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    return subprocess.Popen([FLASK, "db", "upgrade"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _waiting_backends(connection, own_pid: int) -> int:
    """Backends of this database waiting for a lock (other than the holder)."""
    return connection.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> %s AND wait_event_type = 'Lock'", (own_pid,),
    ).fetchone()[0]


def test_two_concurrent_upgrades_of_a_fresh_database_both_succeed(postgres_url):
    """Both upgrades are made to start their first schema change at the same moment: a
    third connection holds an uncommitted ``alembic_version`` table, so each upgrade waits
    (on it, or on the other upgrade), then the table is rolled back and both go at once.
    Without a lock around the upgrade, one of the two fails on a duplicate table."""
    libpq_url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(libpq_url) as blocker:
        blocker.execute("CREATE TABLE alembic_version (version_num varchar(32) NOT NULL)")
        own_pid = blocker.info.backend_pid
        first, second = _upgrade(postgres_url), _upgrade(postgres_url)
        with psycopg.connect(libpq_url, autocommit=True) as watcher:
            deadline = time.monotonic() + 60
            while _waiting_backends(watcher, own_pid) < 2:
                assert first.poll() is None and second.poll() is None, (
                    "an upgrade finished before both were waiting:\n"
                    + (first.stdout.read() if first.poll() is not None else "")
                    + (second.stdout.read() if second.poll() is not None else "")
                )
                assert time.monotonic() < deadline, "the two upgrades never both reached the schema"
                time.sleep(0.05)
        blocker.rollback()  # the database is fresh again; both upgrades go on at once

    outputs = [process.communicate(timeout=120)[0] for process in (first, second)]
    codes = [first.returncode, second.returncode]
    assert codes == [0, 0], "\n".join(outputs)

    with psycopg.connect(libpq_url) as connection:
        versions = [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
        tables = {row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
    assert len(versions) == 1, versions
    assert {"feedback", "foi_response", "foi_state"} <= tables

