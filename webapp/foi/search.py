"""Search and filter the disclosure log: one interface, two engines.

``backend_for(engine)`` returns :class:`SqliteSearch` (FTS5, bm25 ranking, porter
stemming) or :class:`PostgresSearch` (weighted ``tsvector`` with a GIN index,
``ts_rank_cd``, English stemming). Both answer :meth:`search` with the same
:class:`SearchPage`: the total, one page of :class:`Hit`, with the matching words in the
title, summary and a snippet of the request and answers marked up for highlighting.
Filters are the entries of ``filters.FILTERS`` (outcomes, topics and exemptions: any
of; a published date range); the conditions combine with AND. What a search matches is
counted and paged from the content version's sets (:mod:`webapp.foi.sets`), each word's
matches found by the engine; the engine ranks by relevance (SQLite's FTS5 with each
filter's own SQL condition; PostgreSQL the matches the sets found) and reads the page's
rows. ``backend_for(engine, records=True)`` also reads each hit's full :class:`Record`
(for the open data), in the same query as the hit.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape
from pyroaring import BitMap
from sqlalchemy import Engine, bindparam, text

from webapp.foi import records, word_store
from webapp.foi.catalogue import read_version
from webapp.foi.filters import At
from webapp.foi.query import LogQuery
from webapp.foi.records import Record, as_date
from webapp.foi.sets import LogSets, kept_sets, log_sets
from webapp.foi.snippet import SCAN_CHARS, snippet

PER_PAGE = 20
START, STOP = "\x02", "\x03"
# Ranking every match costs time in proportion to the matches; past this many, a search
# is shown newest first (the page says so) and more words or filters bring ranking back.
RELEVANCE_LIMIT = 5000


@dataclass
class Hit:
    id: int
    reference: str
    title: str
    title_html: Markup
    summary_html: Markup
    snippet_html: Markup | None
    published: dt.date
    updated: dt.date | None
    outcome: str
    regime: str
    record: Record | None = None  # with ``records=True``


@dataclass
class SearchPage:
    total: int
    hits: list[Hit]
    page: int
    per_page: int
    sort: str = "newest"  # the order actually used
    relevance_dropped: bool = False  # most relevant was asked for, but too much matched

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def past_the_end(self) -> bool:
        return self.page > self.pages


def highlighted(value: str | None) -> Markup:
    """Escape ``value``, then turn the engine's markers into ``<mark>`` elements."""
    if value is None:
        return Markup("")
    escaped = str(escape(value))
    opened = escaped.count(START)
    escaped = escaped.replace(START, '<mark class="app-highlight">').replace(STOP, "</mark>")
    if opened != value.count(STOP):  # never leave a <mark> open
        escaped = str(escape(value.replace(START, "").replace(STOP, "")))
    return Markup(escaped)


PER_ROW = At(per_row=True)


class SearchBackend:
    """What both engines share: the count and the newest- or oldest-first pages come
    from the content version's sets (:mod:`webapp.foi.sets`), whose words the engine
    finds one at a time; the engine ranks by relevance (at most ``RELEVANCE_LIMIT``
    matches) and reads the page's rows, with the words marked. Subclasses supply the
    full-text parts."""

    name = "base"

    def __init__(self, engine: Engine, records: bool = False, warm_words: int = 0):
        self.engine = engine
        self.records = records
        self.warm_words = warm_words  # common words worked out after a version's sets are built

    @property
    def columns(self) -> str:
        """What every page row reads (with each record's own columns when asked for)."""
        return f"{self.COLUMNS}, {records.COLUMNS}" if self.records else self.COLUMNS

    def filters(self, query: LogQuery, at: At = At(), published: bool = True) -> tuple[list[str], dict, list]:
        """The WHERE clauses for the query's filters, in the order of the filters, each
        written by its entry for ``at``: a facet is a set of ids by default, or with
        ``at.per_row`` a question asked of one response at a time (a lookup by primary
        key). ``published`` adds the ``is_published`` check first; leave it out for a
        table holding published responses only."""
        clauses = [f"{at.row}.is_published = :published_flag"] if published else []
        params: dict = {"published_flag": True} if published else {}
        expanding: list[str] = []
        for entry, value in query.active():
            clause = entry.clause(value, at)
            clauses.append(clause.sql)
            params.update(clause.params)
            expanding.extend(clause.expanding)
        return clauses, params, expanding

    def statement(self, sql: str, expanding: list):
        statement = text(sql)
        if expanding:
            statement = statement.bindparams(*(bindparam(name, expanding=True) for name in expanding))
        return statement

    def search(self, query: LogQuery, per_page: int = PER_PAGE, page: int | None = None) -> SearchPage:
        page = query.page if page is None else page
        return self._with_sets(lambda connection, sets: self._page(connection, sets, query, per_page, page))

    def _page(self, connection, sets: LogSets, query: LogQuery, per_page: int, page: int) -> SearchPage:
        asked = query.effective_sort
        offset = (page - 1) * per_page
        found, query = self._matches(connection, sets, query)
        total = len(found)
        if offset >= total:
            ids = []
        elif query.effective_sort == "relevance":
            ids = self._ranked_ids(connection, query, sets, found, per_page, offset)
        else:
            ids = sets.page(found, offset, per_page, oldest=query.effective_sort == "oldest")
        rows = self._text_rows(connection, query, ids) if query.terms else self._rows(connection, ids)
        hits = [
            Hit(
                id=row.id, reference=row.reference, title=_strip(row.title_marked),
                title_html=highlighted(row.title_marked), summary_html=highlighted(row.summary_marked),
                snippet_html=_snippet_html(row, query),
                published=as_date(row.published), updated=as_date(row.updated), outcome=row.outcome,
                regime=row.regime, record=Record.from_row(row) if self.records else None,
            )
            for row in rows
        ]
        return SearchPage(total=total, hits=hits, page=page, per_page=per_page, sort=query.effective_sort,
                          relevance_dropped=asked == "relevance" and query.effective_sort != "relevance")

    def all_ids(self, query: LogQuery) -> list[int]:
        """Every matching id in the query's order (the CSV export)."""
        def ids(connection, sets: LogSets) -> list[int]:
            found, ranked = self._matches(connection, sets, query)
            if ranked.effective_sort == "relevance" and found:
                return self._ranked_ids(connection, ranked, sets, found, len(found), 0)
            return sets.in_order(found, oldest=ranked.effective_sort == "oldest")
        return self._with_sets(ids)

    def _with_sets(self, work: Callable):
        """``work(connection, sets)`` with the content version's sets. When this process
        has not built them yet, the connection goes back to the pool before they are
        built (or their build is waited for): the build needs one of its own."""
        with self.engine.connect() as connection:
            version = read_version(connection)
            sets = kept_sets(self.engine, version)
            if sets is not None:
                return work(connection, sets)
        sets = log_sets(self.engine, version, on_build=self._built)
        with self.engine.connect() as connection:
            return work(connection, sets)

    def _built(self, sets: LogSets) -> None:
        """Called once per version and process, when the version's sets are built."""

    def _matches(self, connection, sets: LogSets, query: LogQuery):
        """(The set the query matches, the query as it will be run.) Ranking costs time
        in proportion to what the words match, filters or not: past
        ``RELEVANCE_LIMIT``, newest first."""
        if not query.terms:
            return sets.matching(query), query
        words = sets.words(query.terms, lambda term: self._word_set(connection, sets, term))
        if query.effective_sort == "relevance" and len(words) > RELEVANCE_LIMIT:
            query = query.but(sort="newest")
        return sets.matching(query, words), query

    COLUMNS = "r.id, r.reference, r.published, r.updated, r.outcome, r.regime"

    def _rows(self, connection, ids):
        """The page's rows without words to mark, in the order of ``ids``."""
        if not ids:
            return []
        rows = connection.execute(self.statement(
            f"SELECT {self.columns}, r.title AS title_marked, r.summary AS summary_marked FROM foi_response r "
            f"WHERE r.id IN :ids", ["ids"]), {"ids": ids}).all()
        return _in_order(rows, ids)

    def _word_set(self, connection, sets: LogSets, term: str) -> BitMap | None:
        """The positions in ``sets`` of the responses the word matches (None: the
        engine ignores the word)."""
        ids = self._word_ids(connection, term)
        return None if ids is None else sets.positions(ids)

    def _word_ids(self, connection, term: str) -> list[int] | None:
        """The ids of the published responses the word matches (None: the engine
        ignores the word). A word can match every response: the engine gathers the ids
        into one value (SQLite's JSON array; PostgreSQL's array, in word_store), which
        ``json`` or the driver reads in C, three times faster than 100,000 rows."""
        raise NotImplementedError

    def _ranked_ids(self, connection, query: LogQuery, sets: LogSets, found: BitMap, limit: int,
                    offset: int) -> list[int]:
        """One page of the matches (``found``, at most ``RELEVANCE_LIMIT``), most relevant
        first."""
        raise NotImplementedError

    def _text_rows(self, connection, query: LogQuery, ids):
        """The page's rows with the words marked, in the order of ``ids``."""
        raise NotImplementedError


class SqliteSearch(SearchBackend):
    """FTS5. Only published responses are in the index (the triggers see to it). A
    word's matches are its rowids; relevance is FTS5's bm25 ``rank``, with the filters
    checked row by row (there are at most ``RELEVANCE_LIMIT`` matches to rank)."""

    name = "sqlite-fts5"

    @staticmethod
    def match(terms: list[str]) -> str:
        # Each word quoted: FTS5 query syntax in what people type means nothing.
        return " ".join(f'"{term}"' for term in terms)

    def _word_ids(self, connection, term):
        found = connection.execute(text("SELECT json_group_array(rowid) FROM foi_fts WHERE foi_fts MATCH :match"),
                                   {"match": self.match([term])}).scalar()
        return json.loads(found)

    def _ranked_ids(self, connection, query, sets, found, limit, offset):
        # bm25 needs FTS5's own match: the matches' rowids given to it instead (rowid IN)
        # cost up to seconds. No is_published check: the index holds published responses only.
        clauses, params, expanding = self.filters(query, PER_ROW, published=False)
        params.update(match=self.match(query.terms), limit=limit, offset=offset)
        if clauses:
            sql = ("SELECT r.id FROM foi_fts CROSS JOIN foi_response r INDEXED BY ix_foi_response_filter "
                   f"ON r.id = foi_fts.rowid WHERE {' AND '.join(['foi_fts MATCH :match', *clauses])} "
                   "ORDER BY foi_fts.rank")
        else:
            sql = "SELECT rowid FROM foi_fts WHERE foi_fts MATCH :match ORDER BY rank"
        return list(connection.execute(self.statement(sql + " LIMIT :limit OFFSET :offset", expanding),
                                       params).scalars())

    def _text_rows(self, connection, query, ids):
        if not ids:
            return []
        rows = connection.execute(self.statement(
            f"SELECT {self.columns}, highlight(foi_fts, 0, char(2), char(3)) AS title_marked, "
            f"highlight(foi_fts, 1, char(2), char(3)) AS summary_marked, "
            # Not FTS5's snippet(): its time grows with the square of a word's occurrences.
            f"substr(r.search_body, 1, :scan) AS snippet_source "
            f"FROM foi_fts CROSS JOIN foi_response r ON r.id = foi_fts.rowid "
            f"WHERE foi_fts MATCH :match AND foi_fts.rowid IN :ids", ["ids"]),
            {"match": self.match(query.terms), "ids": ids, "scan": SCAN_CHARS}).all()
        return _in_order(rows, ids)


class PostgresSearch(SearchBackend):
    """A weighted ``tsvector`` with a GIN index, in ``foi_search``: a narrow table of the
    published responses only (id, published date, outcome, vector; a trigger keeps it in
    step, migration 0005). A word's matches are read from that table alone, through the
    index, and a common word's are kept for every worker (:mod:`webapp.foi.word_store`);
    relevance is ``ts_rank_cd`` of the matches the sets found, read by id; headlines are
    built for the page's rows only."""

    name = "postgresql-tsvector"
    HEADLINE = "HighlightAll=true, StartSel=\x02, StopSel=\x03"
    SNIPPET = "MaxWords=30, MinWords=12, MaxFragments=1, FragmentDelimiter=\" … \", StartSel=\x02, StopSel=\x03"
    RANKED = text("SELECT s.response_id FROM foi_search s WHERE s.response_id = ANY(:ids) "
                  "ORDER BY ts_rank_cd(s.search_vector, plainto_tsquery('english', :terms)) DESC, "
                  "s.published DESC, s.response_id DESC LIMIT :limit OFFSET :offset")

    def _word_set(self, connection, sets, term):
        # A stop word ("the") gives an empty query, which the whole search leaves out.
        return word_store.word_set(connection, sets, term)

    def _built(self, sets):
        if self.warm_words:
            word_store.start_warming(self.engine, sets, self.warm_words)

    def _ranked_ids(self, connection, query, sets, found, limit, offset):
        """The matches ranked by their ids: the sets have found them, so the words'
        index is not read again (for a common word with a rare one, most of the time),
        only each match's vector, by primary key."""
        return list(connection.execute(self.RANKED, {
            "ids": sets.in_order(found), "terms": " ".join(query.terms), "limit": limit, "offset": offset,
        }).scalars())

    def _text_rows(self, connection, query, ids):
        """The page's rows, headlines built for them only, in the order of ``ids``."""
        if not ids:
            return []
        rows = connection.execute(text(
            f"SELECT {self.columns}, "
            f"ts_headline('english', r.title, plainto_tsquery('english', :terms), :headline) AS title_marked, "
            f"ts_headline('english', r.summary, plainto_tsquery('english', :terms), :headline) AS summary_marked, "
            # ts_headline parses all it is given: give it a bounded part of the text.
            f"ts_headline('english', left(r.search_body, :scan), plainto_tsquery('english', :terms), :snippet) AS snippet "
            f"FROM foi_response r WHERE r.id = ANY(:ids)"),
            {"terms": " ".join(query.terms), "ids": ids, "headline": self.HEADLINE, "snippet": self.SNIPPET,
             "scan": SCAN_CHARS}).all()
        return _in_order(rows, ids)

    def _rows(self, connection, ids):
        if not ids:
            return []
        rows = connection.execute(text(
            f"SELECT {self.columns}, r.title AS title_marked, r.summary AS summary_marked "
            f"FROM foi_response r WHERE r.id = ANY(:ids)"), {"ids": ids}).all()
        return _in_order(rows, ids)


def backend_for(engine: Engine, records: bool = False, warm_words: int = 0) -> SearchBackend:
    """The engine's search; ``records=True`` reads each hit's full record too;
    ``warm_words``: how many of a new version's most common words to work out in the
    background (PostgreSQL; see :mod:`webapp.foi.word_store`)."""
    backend = PostgresSearch if engine.dialect.name == "postgresql" else SqliteSearch
    return backend(engine, records=records, warm_words=warm_words)


def _in_order(rows, ids):
    """``rows`` (fetched by ``id IN ...``, in no particular order) in the order of ``ids``."""
    position = {response_id: index for index, response_id in enumerate(ids)}
    return sorted(rows, key=lambda row: position[row.id])


def _snippet_html(row, query: LogQuery) -> Markup | None:
    """The engine's snippet (PostgreSQL's ts_headline), or one built from the bounded
    text SQLite returns (see snippet.py)."""
    values = row._mapping
    if "snippet_source" in values:
        marked = snippet(values["snippet_source"], query.terms, START, STOP)
    else:
        marked = values.get("snippet")
    return highlighted(marked) if marked else None


def _strip(value: str) -> str:
    return value.replace(START, "").replace(STOP, "")

