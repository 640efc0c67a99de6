"""What the log offers to filter on, and the content version that keys the page cache.

:class:`ContentVersion` is given to the page cache: each worker process asks the
database for ``foi_state.version`` at most once per ``ttl`` seconds (one indexed row),
so an import in any process reaches every worker within about a second.
:func:`facets` lists the topics and exemptions in use and counts the published
responses, worked out once per version.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import Engine, text

from webapp.foi.content import OUTCOMES

CONTENT_VERSION = "foi.content_version"  # app.extensions[...]: the app's ContentVersion


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
                return connection.execute(text("SELECT version FROM foi_state WHERE id = 1")).scalar()
        except Exception:  # noqa: BLE001 - no table yet (before `flask db upgrade`): no version
            return None

    def expire(self) -> None:
        """Forget the remembered value (this process just imported)."""
        self._checked = float("-inf")


@dataclass
class Facets:
    topics: dict[str, str] = field(default_factory=dict)  # slug -> name
    topic_counts: dict[str, int] = field(default_factory=dict)
    exemptions: dict[str, str] = field(default_factory=dict)  # section -> name
    exemption_counts: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=lambda: dict(OUTCOMES))
    published: int = 0  # how many responses are published


_cache: dict = {}
_cache_lock = threading.Lock()


def facets(engine: Engine, version: object) -> Facets:
    # By address, not id(engine): a new engine may reuse a dropped one's id (in tests).
    key = (str(engine.url), version)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    result = Facets()
    with engine.connect() as connection:
        result.published = connection.execute(
            text("SELECT count(*) FROM foi_response WHERE is_published = :yes"), {"yes": True}).scalar_one()
        for slug, name, count in connection.execute(text(
            "SELECT t.slug, min(t.name), count(*) FROM foi_topic t JOIN foi_response r ON r.id = t.response_id "
            "WHERE r.is_published = :yes GROUP BY t.slug ORDER BY min(t.name)"), {"yes": True}):
            result.topics[slug] = name
            result.topic_counts[slug] = count
        rows = connection.execute(text(
            "SELECT e.section, min(e.name), count(*) FROM foi_exemption e JOIN foi_response r ON r.id = e.response_id "
            "WHERE r.is_published = :yes GROUP BY e.section"), {"yes": True}).all()
        for section, name, count in sorted(rows, key=lambda row: _section_key(row[0])):
            result.exemptions[section] = name
            result.exemption_counts[section] = count
    with _cache_lock:
        if len(_cache) > 8:
            _cache.clear()
        _cache[key] = result
    return result


def _section_key(section: str) -> tuple:
    return tuple(int(n) if n.isdigit() else n for n in re.findall(r"\d+|[A-Za-z]+", section))
