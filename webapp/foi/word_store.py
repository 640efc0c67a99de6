"""PostgreSQL: a common word's matches, worked out once per content version for every
worker and every instance.

A search finds each word's matches through the GIN index, then keeps them in its
worker's sets (:mod:`webapp.foi.sets`). For a word in nearly every response that first
look-up is the slowest step of any search: at 100,000 responses the index names
100,000 rows, each visited for its id (about 25 ms of the server's time), and the
worker maps the ids to positions (about 10 ms more). Every worker of every instance
did it again for every common word after every import, so the first searches after an
import were the slowest the log served.

``foi_word_set`` (migration 0008) keeps, per content version, the positions of each
word that matched at least :data:`STORE_FROM` responses, as a serialised roaring
bitmap (a few bytes to 16 KB). A worker whose sets are the same reads that one
indexed row instead, and loads it in microseconds. The key holds the content version
and :attr:`LogSets.layout` (a digest of the version's order), so positions are only
shared between sets that are the same; moving the version (every import) deletes the
older versions' rows. The table is unlogged: it is a cache, which a crash empties.

**Warming.** Right after a process builds a version's sets, the first process to claim
the version works out, in the background, the words the planner's statistics
(``pg_stats.most_common_elems``, kept by ANALYZE and autovacuum) estimate to be in at
least :data:`STORE_FROM` responses, most common first, at most ``SEARCH_WARM_WORDS``:
the searches that follow find them stored. A word the statistics do not list is
worked out by the first search that asks, as before, and stored for the others.
"""

from __future__ import annotations

import logging
import threading

from pyroaring import BitMap
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from webapp.foi.sets import LogSets

log = logging.getLogger(__name__)

# Matches from which a word's positions are kept for everyone: a word in fewer is found
# through the index in a millisecond or two. (So what is kept is the log's own
# vocabulary, never a rare word someone typed.)
STORE_FROM = 1000
# The query of the row claiming a version's warming: no word's query is empty (a word
# the index ignores has an empty query, and is never looked up).
CLAIM = ""

# The word as the index reads it (plainto_tsquery's text: its stemmed lexemes), whether
# the index ignores it (a stop word: no nodes), and its stored positions, in one row.
LOOKUP = text(
    "SELECT q::text AS query, numnode(q) AS nodes, w.positions FROM plainto_tsquery('english', :term) AS q "
    "LEFT JOIN foi_word_set w ON w.version = :version AND w.layout = :layout AND w.query = q::text")
# The matches, with the content version the same statement saw: positions are stored
# only for the version they were worked out for.
FETCH = ("SELECT (SELECT version FROM foi_state WHERE id = 1) AS version, array_agg(s.response_id) AS ids "
         "FROM foi_search s WHERE s.search_vector @@ {query}")
FETCH_TERM = text(FETCH.format(query="plainto_tsquery('english', :term)"))  # what was typed
FETCH_QUERY = text(FETCH.format(query="CAST(:query AS tsquery)"))  # a lexeme, for warming
STORE = text("INSERT INTO foi_word_set (version, layout, query, positions) "
             "VALUES (:version, :layout, :query, :positions) ON CONFLICT DO NOTHING")
STORED = text("SELECT EXISTS (SELECT 1 FROM foi_word_set "
              "WHERE version = :version AND layout = :layout AND query = :query)")
CLAIM_SQL = text(
    "INSERT INTO foi_word_set (version, layout, query) SELECT :version, :layout, :query "
    "WHERE (SELECT version FROM foi_state WHERE id = 1) = :version ON CONFLICT DO NOTHING RETURNING true")
# The planner's most common lexemes of the search vectors, as tsquery text (a plain
# lexeme: no quoting to get wrong), most common first. The frequencies array ends with
# three summary values, paired with no lexeme.
COMMON = text(
    "SELECT '''' || c.lexeme || '''' FROM pg_stats s, "
    "unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS c(lexeme, share) "
    "WHERE s.schemaname = (SELECT n.nspname FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace "
    "WHERE r.oid = 'foi_search'::regclass) AND s.tablename = 'foi_search' AND s.attname = 'search_vector' "
    "AND c.share >= :share AND c.lexeme ~ '^[[:alnum:]]+$' ORDER BY c.share DESC LIMIT :limit")


def _by_index(connection) -> None:
    """For this transaction, find matches through the GIN index. When a word is in
    nearly every response the planner prefers reading the whole table, checking each
    row's vector against the words: several times slower than the index's exact
    bitmap, which needs no recheck of the vectors at all."""
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")


def _key(sets: LogSets, query: str) -> dict:
    return {"version": sets.version, "layout": sets.layout, "query": query}


def word_set(connection, sets: LogSets, term: str) -> BitMap | None:
    """The positions in ``sets`` of the responses matching ``term`` (None: the index
    ignores the word): stored ones if any process has worked them out for these sets,
    else from the index (and stored, for a common word)."""
    row = connection.execute(LOOKUP, {"term": term, "version": sets.version, "layout": sets.layout}).one()
    if not row.nodes:
        return None
    if row.positions is not None:
        return BitMap.deserialize(bytes(row.positions))
    return _work_out(connection, sets, FETCH_TERM, {"term": term}, row.query)[0]


def _work_out(connection, sets: LogSets, fetch, params: dict, query: str) -> tuple[BitMap, bool]:
    """(The positions of the matches, whether they are these sets' version's), from the
    index; stored when the word is common and the version is the sets'."""
    _by_index(connection)
    row = connection.execute(fetch, params).one()
    ids = row.ids or []
    found = sets.positions(ids)
    current = row.version == sets.version
    if current and len(ids) >= STORE_FROM:
        _store(connection, sets, query, found)
    return found, current


def _store(connection, sets: LogSets, query: str, found: BitMap) -> None:
    """Keep ``found`` for every process with these sets. A search is never failed for
    it: if the row cannot be written, the search goes on without storing."""
    kept = BitMap(found)
    kept.run_optimize()
    try:
        connection.execute(STORE, {**_key(sets, query), "positions": kept.serialize()})
        connection.commit()
    except DBAPIError:
        log.warning("could not store a word's matches", exc_info=True)
        connection.rollback()


def warm(engine: Engine, sets: LogSets, limit: int) -> int:
    """Work out and store the positions of up to ``limit`` of the version's most common
    words, if this process is the first to claim the version: the number worked out.
    Stops when the content version moves on (the new version's sets warm their own)."""
    if limit <= 0 or len(sets) < STORE_FROM:
        return 0
    with engine.connect() as connection:
        if not connection.execute(CLAIM_SQL, _key(sets, CLAIM)).scalar():
            return 0
        connection.commit()
        queries = connection.execute(COMMON, {"share": STORE_FROM / len(sets), "limit": limit}).scalars().all()
    worked_out = 0
    for query in queries:
        with engine.connect() as connection:
            if connection.execute(STORED, _key(sets, query)).scalar():
                continue  # a search asked first
            _, current = _work_out(connection, sets, FETCH_QUERY, {"query": query}, query)
        if not current:
            break
        worked_out += 1
    return worked_out


def start_warming(engine: Engine, sets: LogSets, limit: int) -> None:
    """:func:`warm` in the background (a greenlet under gevent's workers)."""
    def run() -> None:
        try:
            warm(engine, sets, limit)
        except Exception:  # noqa: BLE001 - a cache left cold is no reason to stop a worker
            log.warning("warming the common words' matches stopped", exc_info=True)

    threading.Thread(target=run, name="foi-word-warming", daemon=True).start()
