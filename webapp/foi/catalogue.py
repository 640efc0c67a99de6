"""What the log offers to filter on, and the content version that keys the page cache.

:class:`ContentVersion` is read with :func:`content_version` and given to the page
cache: each worker process asks the database for ``foi_state.version`` at most once per
``ttl`` seconds (one indexed row), so an import in any process reaches every worker
within about a second.
:func:`facets` lists the values in use of each filter with a table of its own (topics,
exemptions), worked out once per version. (What a search matches is counted from the
version's sets: :mod:`webapp.foi.sets`.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import Engine, text

from webapp.extensions import db
from webapp.foi import filters

# Where the FOI package's init_app keeps the app's ContentVersion (app.extensions[...]).
CONTENT_VERSION = "foi.content_version"


VERSION_SQL = text("SELECT version FROM foi_state WHERE id = 1")


def read_version(connection) -> object:
    """``foi_state.version`` as ``connection`` (a SQLAlchemy Connection) sees it now."""
    return connection.execute(VERSION_SQL).scalar()


class ContentVersion:
    def __init__(self, engine: Engine, ttl: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.engine = engine
        self.ttl = ttl
        self.clock = clock
        self._value: object = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def __call__(self) -> object:
        now = self.clock()
        if now - self._checked < self.ttl:
            return self._value
        with self._lock:
            if now - self._checked >= self.ttl:
                self._value = self.read()
                self._checked = now
        return self._value

    def read(self) -> object:
        try:
            with self.engine.connect() as connection:
                return read_version(connection)
        except Exception:  # noqa: BLE001 - no table yet (before `flask db upgrade`): no version
            return None

    def expire(self) -> None:
        """Forget the remembered value (this process just imported)."""
        self._checked = float("-inf")


@dataclass
class Facets:
    """What the filters offer: for each filter with a table of its own (``LinkedChoice``),
    the values in use by published responses (value → label)."""

    choices: dict[str, dict[str, str]] = field(default_factory=dict)  # filter name -> value -> label

    @property
    def topics(self) -> dict[str, str]:
        return self.choices.get("topic", {})

    @property
    def exemptions(self) -> dict[str, str]:
        return self.choices.get("exemption", {})


class PerVersion:
    """Values worked out once per (database, content version) in this process, at most
    ``limit`` kept (all dropped once there are more). One build at a time: after an
    import, the first requests wait for it rather than each repeating it. Ask holding no
    pooled connection: a build takes one of its own, and requests holding every
    connection while they wait would leave it none."""

    def __init__(self, limit: int):
        self.limit = limit
        self.values: dict = {}
        self._lock = threading.Lock()

    def kept(self, engine: Engine, version: object):
        """The version's value if this process has worked it out (None: not yet)."""
        return self.values.get((str(engine.url), version))

    def get(self, engine: Engine, version: object, build: Callable[[], tuple[object, object]]):
        """The version's value; ``build()`` gives (the version it was read at, the value),
        and the value is kept under that version."""
        found = self.kept(engine, version)
        if found is not None:
            return found
        with self._lock:
            found = self.kept(engine, version)
            if found is None:
                built, found = build()
                if len(self.values) >= self.limit:
                    self.values.clear()
                # By address, not id(engine): a new engine may reuse a dropped one's id (in tests).
                self.values[(str(engine.url), built)] = found
        return found


FACETS = PerVersion(limit=9)


def content_version() -> object:
    """The version of the published content (it changes with every import)."""
    return current_app.extensions[CONTENT_VERSION]()


def current_facets() -> Facets:
    return facets(db.engine, content_version())


def facets(engine: Engine, version: object) -> Facets:
    """The choices on offer for content ``version``, read once per process and version
    (see :class:`PerVersion`)."""
    def build() -> tuple[object, Facets]:
        result = Facets()
        with engine.connect() as connection:
            for entry in filters.FILTERS:
                if not isinstance(entry, filters.LinkedChoice):
                    continue
                rows = connection.execute(text(entry.facet_sql()), {"yes": True}).all()
                if entry.sort_key:
                    rows = sorted(rows, key=lambda row: entry.sort_key(row[0]))
                result.choices[entry.name] = dict(rows)
        return version, result
    return FACETS.get(engine, version, build)
