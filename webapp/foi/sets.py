"""The published responses as sets: how the log counts its matches and finds a page.

Counting what a search matches, and finding the twenty responses of a page in date
order, are set operations: the words' matches AND each filter's. Done in SQL they cost
time in proportion to the rows matched (a common word with a topic read and checked
100,000 rows, 100 ms at that size). So each worker keeps, per content version, the
published responses in date order, newest first, each known by its position in that
order, and for every value of every choice filter (an outcome, a topic, an exemption)
the set of positions that have it, as a compressed bitmap (pyroaring); a published date
range is a run of positions. A word's matches come from the database's own full-text
index (stemming and all), one word at a time, and are kept for the version, a bounded
number of words (on PostgreSQL a common word's are also kept for every worker and
instance: :mod:`webapp.foi.word_store`). A count is then the size of an intersection
and a page is a slice of it: microseconds, whatever the query.

Built on a version's first search: one read of each published response's id and date
and of each filter's values (about 0.2 s at 100,000 responses), in each worker.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from operator import itemgetter

from pyroaring import BitMap
from sqlalchemy import Engine

from webapp.foi import filters
from webapp.foi.catalogue import PerVersion, read_version

MISSING = -1


def day(value) -> dt.date:
    """A published date as the driver gives it: a date (PostgreSQL) or ISO text (SQLite)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def positions_array() -> array:
    """Positions as pyroaring reads a buffer: unsigned 32-bit."""
    return array("I")


class LogSets:
    """One content version's published responses, in date order (see the module)."""

    WORDS_KEPT = 512  # a word matching every response takes about 16 KB

    def __init__(self, ordered: Iterable[tuple], values: dict[str, Iterable[tuple[int, str]]],
                 columns: dict[str, int] | None = None, version: object = None):
        """``ordered``: (id, published date, ...) of every published response, newest
        first (ties: highest id first); ``columns``: for a choice filter whose value is in
        those rows, the value's index in them; ``values``: for each other choice filter,
        (id, value) pairs (ids of responses not published are ignored). Each is read
        once, in that order, so they may be a database cursor's rows: at 100,000
        responses, holding them all at once cost a worker 85 MB at its peak.
        ``version``: the content version they were read at (positions are that
        version's: a set of positions worked out by another process for the same
        version is this one's too)."""
        self.version = version
        columns = columns or {}
        self.ids, self._days = array("q"), array("l")
        in_rows: dict[str, defaultdict[str, array]] = {name: defaultdict(positions_array) for name in columns}
        for index, row in enumerate(ordered):
            self.ids.append(row[0])
            # Days before the epoch, so the newest-first order is ascending (for bisect).
            self._days.append(-day(row[1]).toordinal())
            for name, column in columns.items():
                in_rows[name][row[column]].append(index)
        self._position = position = array("l", [MISSING]) * (max(self.ids, default=0) + 1)
        for index, response_id in enumerate(self.ids):
            position[response_id] = index
        self.everything = self.run(0, len(self.ids))
        size = len(position)
        self.members: dict[str, dict[str, BitMap]] = {
            name: {value: BitMap(indexes) for value, indexes in grouped.items()} for name, grouped in in_rows.items()}
        for name, pairs in values.items():
            grouped: defaultdict[str, array] = defaultdict(positions_array)
            for response_id, value in pairs:
                if 0 <= response_id < size and (index := position[response_id]) != MISSING:
                    grouped[value].append(index)
            self.members[name] = {value: BitMap(indexes) for value, indexes in grouped.items()}
        self._words: OrderedDict[str, BitMap | None] = OrderedDict()
        self._words_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def layout(self) -> str:
        """Which order the positions are of: sets with the same layout share positions
        (worked out when first asked: only PostgreSQL's word store asks)."""
        return hashlib.blake2b(self.ids.tobytes(), digest_size=16).hexdigest()

    def position(self, response_id: int) -> int:
        """Where the response comes in the newest-first order (MISSING: not published)."""
        return self._position[response_id] if 0 <= response_id < len(self._position) else MISSING

    def positions(self, response_ids: Iterable[int]) -> BitMap:
        """The set of the positions of ``response_ids`` (those not published left out).
        Looked up in C (``itemgetter``), 2.4 times faster than a loop for a word in every
        response; ids the version does not hold (published since) take the loop."""
        position, size = self._position, len(self._position)
        response_ids = list(response_ids)
        if not response_ids:
            return BitMap()
        if len(response_ids) > 1 and min(response_ids) >= 0 and max(response_ids) < size:
            found = itemgetter(*response_ids)(position)
            if MISSING not in found:
                return BitMap(found)
        return BitMap([found for i in response_ids if 0 <= i < size and (found := position[i]) != MISSING])

    @staticmethod
    def run(start: int, stop: int) -> BitMap:
        found = BitMap()
        if stop > start:
            found.add_range(start, stop)
        return found

    def any_of(self, name: str, values: Iterable[str]) -> BitMap:
        """The responses with any of ``values`` of the choice filter ``name``."""
        chosen = self.members.get(name, {})
        return BitMap.union(BitMap(), *(chosen[value] for value in values if value in chosen))

    def published(self, operator: str, day: dt.date) -> BitMap:
        """The responses published on or after (``>=``) or on or before (``<=``) ``day``."""
        key = -day.toordinal()
        if operator == ">=":
            return self.run(0, bisect_right(self._days, key))
        return self.run(bisect_left(self._days, key), len(self.ids))

    def word(self, term: str, find: Callable[[str], BitMap | None]) -> BitMap | None:
        """The responses the word matches, kept; ``find`` works out their positions
        (usually ``positions()`` of the ids the database's index gives), or gives None
        for a word the database ignores (a stop word)."""
        with self._words_lock:
            if term in self._words:
                self._words.move_to_end(term)
                return self._words[term]
        found = find(term)
        with self._words_lock:
            self._words[term] = found
            while len(self._words) > self.WORDS_KEPT:
                self._words.popitem(last=False)
        return found

    def words(self, terms: list[str], find: Callable[[str], BitMap | None]) -> BitMap:
        """The responses matching every word (words the database ignores left out; if
        it ignores them all, nothing matches, as the database's own search)."""
        found = [matches for matches in (self.word(term, find) for term in dict.fromkeys(terms))
                 if matches is not None]
        if not found:
            return BitMap()
        return BitMap.intersection(*found) if len(found) > 1 else found[0]

    def matching(self, query, words: BitMap | None = None) -> BitMap:
        """The responses the query's filters allow, within ``words`` when given."""
        found = self.everything if words is None else words
        for entry, value in query.active():
            found = found & entry.members(value, self)
        return found

    def page(self, found: BitMap, offset: int, limit: int, oldest: bool = False) -> list[int]:
        """The ids of one page of ``found``, newest first (or oldest first)."""
        size = len(found)
        if oldest:
            positions = [found[size - 1 - index] for index in range(offset, min(offset + limit, size))]
        else:
            positions = list(found[offset:offset + limit]) if offset < size else []
        return [self.ids[position] for position in positions]

    def in_order(self, found: BitMap, oldest: bool = False) -> list[int]:
        """Every id of ``found``, newest first (or oldest first)."""
        ids = [self.ids[position] for position in found]
        return ids[::-1] if oldest else ids


# A few versions' sets, built on first use in this process (see PerVersion).
KEPT = PerVersion(limit=4)


def kept_sets(engine: Engine, version: object) -> LogSets | None:
    """The version's sets if this process has built them (None: not yet)."""
    return KEPT.kept(engine, version)


def log_sets(engine: Engine, version: object, on_build: Callable[[LogSets], None] | None = None) -> LogSets:
    """The version's sets, built on first use in this process, the first search after
    an import waiting for the build (call it holding no pooled connection). They are
    kept under the version the data was read at: an import since the caller read its
    version gives newer sets, kept for the newer version. ``on_build(sets)`` is called
    by the build, once per version and process (not by the searches that waited)."""
    def built() -> tuple[object, LogSets]:
        read_at, found = build(engine)
        if on_build is not None:
            on_build(found)
        return read_at, found
    return KEPT.get(engine, version, built)


# The published responses newest first, with the columns of the column-valued filters
# that the narrow tables hold (filters.NARROW_COLUMNS): read from an index that holds
# them (SQLite) or from the narrow search table (PostgreSQL), never from the wide rows.
ORDERED = {
    "sqlite": "SELECT id, published{columns} FROM foi_response INDEXED BY ix_foi_response_filter "
              "WHERE is_published = 1 ORDER BY published DESC, id DESC",
    "postgresql": "SELECT response_id, published{columns} FROM foi_search ORDER BY published DESC, response_id DESC",
}


def build(engine: Engine) -> tuple[object, LogSets]:
    """(The content version, its sets), read in one transaction that sees one version,
    row by row from the database driver's own cursor (about 400,000 small rows at
    100,000 responses)."""
    choices = [entry for entry in filters.FILTERS if isinstance(entry, filters.ChoiceFilter)]
    narrow = [entry for entry in choices
              if isinstance(entry, filters.ColumnChoice) and entry.column in filters.NARROW_COLUMNS]
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        version = read_version(connection)  # the driver's cursor below is in the same transaction
        cursor = connection.connection.cursor()
        try:
            ordered = rows(cursor, ORDERED[engine.dialect.name].format(
                columns="".join(f", {entry.column}" for entry in narrow)))
            values = {entry.name: rows(cursor, entry.values_sql()) for entry in choices if entry not in narrow}
            found = LogSets(ordered, values, columns={entry.name: index for index, entry in enumerate(narrow, start=2)},
                            version=version)
        finally:
            cursor.close()
    return version, found


def rows(cursor, sql: str) -> Iterator[tuple]:
    """The rows of ``sql``, run when the first is asked for (the cursor is shared: each
    query's rows are read to the end before the next query runs)."""
    cursor.execute(sql)
    # Not ``yield from``: closing the generator would close the shared cursor with it.
    for row in cursor:  # noqa: UP028
        yield row
