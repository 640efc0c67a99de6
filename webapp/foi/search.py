"""Search and filter the disclosure log: one interface, two engines.

``backend_for(engine)`` returns :class:`SqliteSearch` (FTS5, bm25 ranking, porter
stemming) or :class:`PostgresSearch` (weighted ``tsvector`` with a GIN index,
``ts_rank_cd``, English stemming). Both answer :meth:`search` with the same
:class:`SearchPage`: the total, one page of :class:`Hit`, with the matching words in the
title, summary and a snippet of the request and answers marked up for highlighting.
Filters are the entries of ``filters.FILTERS`` (outcomes, topics and exemptions: any
of; a published date range), each writing its own condition; the conditions combine with
AND. ``backend_for(engine, records=True)`` also reads each hit's full :class:`Record`
(for the open data), in the same query as the hit.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import Engine, bindparam, text

from webapp.foi import records
from webapp.foi.catalogue import facets
from webapp.foi.filters import At
from webapp.foi.query import LogQuery
from webapp.foi.records import Record, as_date
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
# PostgreSQL's narrow table of published responses (``foi_search``).
NARROW = At(row="s", key="response_id", narrow=True)


class SearchBackend:
    """Shared SQL for the filters; subclasses supply the full-text parts."""

    name = "base"

    def __init__(self, engine: Engine, records: bool = False):
        self.engine = engine
        self.records = records

    @property
    def columns(self) -> str:
        """What every page row reads (with each record's own columns when asked for)."""
        return f"{self.COLUMNS}, {records.COLUMNS}" if self.records else self.COLUMNS

    def filters(self, query: LogQuery, at: At = At(), published: bool = True) -> tuple[list[str], dict, list]:
        """The WHERE clauses for the query's filters, in the order of the filters, each
        written by its entry for ``at``: a facet is a set of ids by default, or with
        ``at.per_row`` a question asked of one response at a time (a lookup by primary
        key, for a walk of the date index). ``published`` adds the ``is_published``
        check first; leave it out for a table holding published responses only."""
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

    def order(self, query: LogQuery) -> str:
        if query.effective_sort == "oldest":
            return "r.published ASC, r.id ASC"
        return "r.published DESC, r.id DESC"

    def search(self, query: LogQuery, per_page: int = PER_PAGE, page: int | None = None) -> SearchPage:
        page = query.page if page is None else page
        asked = query.effective_sort
        with self.engine.connect() as connection:
            if query.terms:
                total, rows, query = self._text_search(connection, query, per_page, (page - 1) * per_page)
            else:
                total, rows = self._browse(connection, query, per_page, (page - 1) * per_page)
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

    @staticmethod
    def affordable(query: LogQuery, total: int) -> LogQuery:
        if query.effective_sort == "relevance" and total > RELEVANCE_LIMIT:
            return query.but(sort="newest")
        return query

    def all_ids(self, query: LogQuery) -> list[int]:
        """Every matching id in the query's order (the CSV export)."""
        with self.engine.connect() as connection:
            return self._ids(connection, query)

    COLUMNS = "r.id, r.reference, r.published, r.updated, r.outcome, r.regime"

    def _browse(self, connection, query, limit, offset):
        clauses, params, expanding = self.filters(query)
        where = " AND ".join(clauses)
        total = connection.execute(
            self.statement(f"SELECT count(*) FROM foi_response r WHERE {where}", expanding), params
        ).scalar_one()
        rows = connection.execute(self.statement(
            f"SELECT {self.columns}, r.title AS title_marked, r.summary AS summary_marked "
            f"FROM foi_response r WHERE {where} ORDER BY {self.order(query)} LIMIT :limit OFFSET :offset",
            expanding), {**params, "limit": limit, "offset": offset}).all()
        return total, rows

    def _facets(self, connection):
        version = connection.execute(text("SELECT version FROM foi_state WHERE id = 1")).scalar()
        return facets(self.engine, version)

    def _published(self, connection) -> int:
        """How many responses are published: counted once per content version, with the
        facets (a count reads the whole date index: 3 ms on SQLite, 13 ms on PostgreSQL at 100,000 responses)."""
        return self._facets(connection).published

    def _one_facet_total(self, connection, query: LogQuery) -> int | None:
        """The count of a browse by one value of one filter and nothing else, when the
        facets count it per content version (a topic or an exemption: published responses
        only), so the page need not (PostgreSQL's count joined every published response:
        about 17 ms)."""
        if query.q or len(query.chosen) != 1:
            return None
        [(entry, value)] = query.active()
        return entry.known_count(self._facets(connection), value)

    WALK_ROWS = 5000  # rows a newest/oldest walk of the date index may read for a page

    def _walk_is_cheaper(self, connection, total: int, limit: int, offset: int) -> bool:
        """Walking the date index (checking each response) reads about
        ``(offset + limit) × published / total`` rows; leading with the matches reads and
        sorts them all. Walk while that estimate stays small."""
        return total > 0 and (offset + limit) * self._published(connection) / total <= self.WALK_ROWS

    def _text_count(self, connection, query) -> int:
        raise NotImplementedError

    def _text_search(self, connection, query, limit, offset):
        """(total, rows of the page, the query as run)."""
        raise NotImplementedError

    def _ids(self, connection, query):
        raise NotImplementedError


class SqliteSearch(SearchBackend):
    """FTS5. Only published responses are in the index (the triggers see to it), so a
    text search without other filters never reads ``foi_response`` for its count. With
    filters, the index drives the join (CROSS JOIN fixes the order) through a small
    covering index; when most responses match, newest-first walks the date index and asks
    the search index about each row instead."""

    name = "sqlite-fts5"
    SOURCE = "FROM foi_fts CROSS JOIN foi_response r INDEXED BY ix_foi_response_filter ON r.id = foi_fts.rowid"
    DENSE = 0.1  # share of all responses matched above which the date index leads

    @staticmethod
    def match(query: LogQuery) -> str:
        # Each word quoted: FTS5 query syntax in what people type means nothing.
        return " ".join(f'"{term}"' for term in query.terms)

    def _text_parts(self, query: LogQuery):
        # No is_published check: the index holds published responses only.
        clauses, params, expanding = self.filters(query, PER_ROW, published=False)
        params["match"] = self.match(query)
        return clauses, params, expanding

    def _text_count(self, connection, query) -> int:
        clauses, params, expanding = self._text_parts(query)
        if not clauses:
            return self._matched(connection, params["match"])
        sql = f"SELECT count(*) {self.SOURCE} WHERE {' AND '.join(['foi_fts MATCH :match', *clauses])}"
        return connection.execute(self.statement(sql, expanding), params).scalar_one()

    @staticmethod
    def _matched(connection, match: str) -> int:
        """How many published responses the words match, whatever the other filters."""
        return connection.execute(text("SELECT count(*) FROM foi_fts WHERE foi_fts MATCH :match"),
                                  {"match": match}).scalar_one()

    def _id_sql(self, connection, query: LogQuery, clauses: list[str], total: int | None, columns: str = "r.id") -> str:
        if query.effective_sort == "relevance" and not clauses:
            return "SELECT rowid FROM foi_fts WHERE foi_fts MATCH :match ORDER BY rank"
        if query.effective_sort != "relevance" and total is not None and not clauses \
                and total > self.DENSE * self._published(connection):
            return (f"SELECT {columns} FROM foi_response r WHERE r.is_published = 1 AND EXISTS (SELECT 1 FROM foi_fts "
                    f"WHERE foi_fts MATCH :match AND foi_fts.rowid = r.id) ORDER BY {self.order(query)}")
        order = "foi_fts.rank" if query.effective_sort == "relevance" else self.order(query)
        return f"SELECT {columns} {self.SOURCE} WHERE {' AND '.join(['foi_fts MATCH :match', *clauses])} ORDER BY {order}"


    def _text_search(self, connection, query, limit, offset):
        clauses, params, expanding = self._text_parts(query)
        # Ranking costs in proportion to what the index matches, filters or not.
        matched = self._matched(connection, params["match"])
        query = self.affordable(query, matched)
        if not clauses:
            total = matched
            ids = self._page_ids(connection, query, clauses, params, expanding, total, limit, offset) if offset < total else []
        else:
            # One pass: the page and the count together.
            found = connection.execute(self.statement(
                self._id_sql(connection, query, clauses, None, columns="r.id, count(*) OVER () AS total")
                + " LIMIT :limit OFFSET :offset", expanding), {**params, "limit": limit, "offset": offset}).all()
            ids = [row.id for row in found]
            total = found[0].total if found else self._text_count(connection, query)
        return total, self._text_rows(connection, params["match"], ids), query

    def _page_ids(self, connection, query, clauses, params, expanding, total, limit, offset):
        return list(connection.execute(
            self.statement(self._id_sql(connection, query, clauses, total) + " LIMIT :limit OFFSET :offset", expanding),
            {**params, "limit": limit, "offset": offset}).scalars())

    def _text_rows(self, connection, match, ids):
        """The page's rows with the matching words marked, in the order of ``ids``."""
        if not ids:
            return []
        rows = connection.execute(self.statement(
            f"SELECT {self.columns}, highlight(foi_fts, 0, char(2), char(3)) AS title_marked, "
            f"highlight(foi_fts, 1, char(2), char(3)) AS summary_marked, "
            # Not FTS5's snippet(): its time grows with the square of a word's occurrences.
            f"substr(r.search_body, 1, :scan) AS snippet_source "
            f"FROM foi_fts CROSS JOIN foi_response r ON r.id = foi_fts.rowid "
            f"WHERE foi_fts MATCH :match AND foi_fts.rowid IN :ids", ["ids"]),
            {"match": match, "ids": ids, "scan": SCAN_CHARS}).all()
        return _in_order(rows, ids)

    def _browse(self, connection, query, limit, offset):
        if not query.is_filtered:  # the whole log: its size is known per content version
            total = self._published(connection)
            ids = list(connection.execute(text(
                f"SELECT r.id FROM foi_response r WHERE r.is_published = 1 ORDER BY {self.order(query)} "
                "LIMIT :limit OFFSET :offset"), {"limit": limit, "offset": offset}).scalars()) if offset < total else []
            return total, self._rows(connection, ids)
        leader = next(((entry, value) for entry, value in query.active() if entry.lead(value)), None)
        if leader is None:
            return super()._browse(connection, query, limit, offset)
        # Lead with the first filter's own index: the responses with that topic (or exemption).
        entry, value = leader
        lead = entry.lead(value)
        every, params, expanding = self.filters(query, PER_ROW)
        rest = self.filters(query.but(**{entry.field: entry.empty}), PER_ROW)[0]
        source = f"FROM ({lead}) m CROSS JOIN foi_response r INDEXED BY ix_foi_response_filter ON r.id = m.id"
        where = " AND ".join(rest)
        total = connection.execute(self.statement(f"SELECT count(*) {source} WHERE {where}", expanding), params).scalar_one()
        if offset >= total:
            return total, []
        if self._walk_is_cheaper(connection, total, limit, offset):
            # Many match: walk the date index and check each response's facets by key.
            sql = f"SELECT r.id FROM foi_response r WHERE {' AND '.join(every)} ORDER BY {self.order(query)}"
        else:
            sql = f"SELECT r.id {source} WHERE {where} ORDER BY {self.order(query)}"
        ids = list(connection.execute(self.statement(sql + " LIMIT :limit OFFSET :offset", expanding),
                                      {**params, "limit": limit, "offset": offset}).scalars())
        return total, self._rows(connection, ids)

    def _rows(self, connection, ids):
        if not ids:
            return []
        rows = connection.execute(self.statement(
            f"SELECT {self.columns}, r.title AS title_marked, r.summary AS summary_marked FROM foi_response r "
            f"WHERE r.id IN :ids", ["ids"]), {"ids": ids}).all()
        return _in_order(rows, ids)

    def _ids(self, connection, query):
        if query.terms:
            clauses, params, expanding = self._text_parts(query)
            query = self.affordable(query, self._matched(connection, params["match"]))
            sql = self._id_sql(connection, query, clauses, None)
        else:
            clauses, params, expanding = self.filters(query)
            sql = f"SELECT r.id FROM foi_response r WHERE {' AND '.join(clauses)} ORDER BY {self.order(query)}"
        return list(connection.execute(self.statement(sql, expanding), params).scalars())


class PostgresSearch(SearchBackend):
    """A weighted ``tsvector`` with a GIN index, in ``foi_search``: a narrow table of the
    published responses only (id, published date, outcome, vector; a trigger keeps it in
    step, migration 0005). A text search reads that table alone until it has the page's
    ids, so counting the matches visits its pages (about 10,000 at 100,000 responses),
    not the wide ``foi_response`` rows (about 21,000), and no ``is_published`` check is
    needed. The count is exact: the same total as
    SQLite for the same query."""

    name = "postgresql-tsvector"
    HEADLINE = "HighlightAll=true, StartSel=\x02, StopSel=\x03"
    SNIPPET = "MaxWords=30, MinWords=12, MaxFragments=1, FragmentDelimiter=\" … \", StartSel=\x02, StopSel=\x03"
    MATCH = "s.search_vector @@ plainto_tsquery('english', :terms)"

    def _order(self, query: LogQuery, row: str = "s", rank: str | None = None) -> str:
        """ORDER BY for rows of ``foi_search`` under the alias ``row``; ``rank`` names an
        already computed relevance (else it is computed from the row's vector)."""
        if query.effective_sort == "relevance":
            rank = rank or f"ts_rank_cd({row}.search_vector, plainto_tsquery('english', :terms))"
            return f"{rank} DESC, {row}.published DESC, {row}.response_id DESC"
        if query.effective_sort == "oldest":
            return f"{row}.published ASC, {row}.response_id ASC"
        return f"{row}.published DESC, {row}.response_id DESC"

    def _text_where(self, query, per_row: bool = False):
        # per_row: a walk of the date index checks each row, facets by primary key.
        clauses, params, expanding = self.filters(query, At(row="s", key="response_id", per_row=per_row, narrow=True),
                                                  published=False)
        params["terms"] = " ".join(query.terms)
        return " AND ".join([self.MATCH, *clauses]), params, expanding

    @staticmethod
    def _by_index(connection) -> None:
        """For this transaction, find matches through the GIN index. When a word is in
        nearly every response the planner prefers reading the whole table, checking each
        row's vector against the words: several times slower than the index's exact
        bitmap, which needs no recheck of the vectors at all."""
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")

    # A word in nearly every response: its count, kept per content version (migration 0006).
    WORD_COUNT = ("SELECT w.responses FROM foi_search_word w WHERE numnode(plainto_tsquery('english', :terms)) = 1 "
                  "AND w.lexeme = ANY(tsvector_to_array(to_tsvector('english', :terms)))")

    def _text_count(self, connection, query) -> int:
        where, params, expanding = self._text_where(query)
        if where == self.MATCH and (known := connection.execute(text(self.WORD_COUNT), params).scalar()) is not None:
            return known
        self._by_index(connection)
        return connection.execute(
            self.statement(f"SELECT count(*) FROM foi_search s WHERE {where}", expanding), params
        ).scalar_one()

    def _text_search(self, connection, query, limit, offset):
        """As on SQLite: without filters, count the matches, then page them (walking the
        date index when many match); with filters, the page and the total in one pass.
        Relevance is affordable by what the words match before filters, on both engines."""
        if not query.chosen:
            total = self._text_count(connection, query)
            query = self.affordable(query, total)
            return total, self._text_rows(connection, query, self._page_ids(
                connection, query, total, limit, offset) if offset < total else []), query
        if query.effective_sort == "relevance":
            query = self.affordable(query, self._text_count(connection, LogQuery(q=query.q)))
        self._by_index(connection)
        found = connection.execute(*self._sorted(query, limit, offset, with_total=True)).all()
        total = found[0].total if found else self._text_count(connection, query)
        return total, self._text_rows(connection, query, [row.response_id for row in found]), query

    def _sorted(self, query, limit, offset, with_total=False):
        """Every match from the indexes' bitmaps (words, outcome), then sorted: left alone,
        the planner may walk the date index instead, reading thousands of vectors."""
        where, params, expanding = self._text_where(query)
        order = self._order(query, row="m", rank="m.rank")
        columns = "s.response_id, s.published"
        if query.effective_sort == "relevance":
            columns += ", ts_rank_cd(s.search_vector, plainto_tsquery('english', :terms)) AS rank"
        total = ", count(*) OVER () AS total" if with_total else ""
        sql = (f"WITH m AS MATERIALIZED (SELECT {columns} FROM foi_search s WHERE {where}) "
               f"SELECT m.response_id{total} FROM m ORDER BY {order} LIMIT :limit OFFSET :offset")
        return self.statement(sql, expanding), {**params, "limit": limit, "offset": offset}

    def _page_ids(self, connection, query, total, limit, offset):
        if query.effective_sort != "relevance" and self._walk_is_cheaper(connection, total, limit, offset):
            # Many match: walk the date index, checking each row until the page is full.
            where, params, expanding = self._text_where(query, per_row=True)
            statement = self.statement(f"SELECT s.response_id FROM foi_search s WHERE {where} "
                                       f"ORDER BY {self._order(query)} LIMIT :limit OFFSET :offset", expanding)
            return list(connection.execute(statement, {**params, "limit": limit, "offset": offset}).scalars())
        return list(connection.execute(*self._sorted(query, limit, offset)).scalars())

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

    def _browse(self, connection, query, limit, offset):
        """No words: the published count comes with the facets when nothing else filters;
        the page's ids come from the date index alone (an index-only scan, even far from
        the first page; facets are checked row by row as the index is walked), and only
        then are the page's rows read."""
        clauses, params, expanding = self.filters(query)
        if not query.chosen:
            total = self._published(connection)
        elif (one := self._one_facet_total(connection, query)) is not None:
            total = one
        else:
            total = connection.execute(self.statement(
                f"SELECT count(*) FROM foi_response r WHERE {' AND '.join(clauses)}", expanding), params).scalar_one()
        clauses, params, expanding = self.filters(query, PER_ROW)
        ids = list(connection.execute(self.statement(
            f"SELECT r.id FROM foi_response r WHERE {' AND '.join(clauses)} ORDER BY {self.order(query)} "
            f"LIMIT :limit OFFSET :offset", expanding), {**params, "limit": limit, "offset": offset}).scalars())
        rows = connection.execute(text(
            f"SELECT {self.columns}, r.title AS title_marked, r.summary AS summary_marked "
            f"FROM foi_response r WHERE r.id = ANY(:ids)"), {"ids": ids}).all()
        return total, _in_order(rows, ids)

    def _ids(self, connection, query):
        if not query.terms:
            clauses, params, expanding = self.filters(query)
            sql = f"SELECT r.id FROM foi_response r WHERE {' AND '.join(clauses)} ORDER BY {self.order(query)}"
            return list(connection.execute(self.statement(sql, expanding), params).scalars())
        query = self.affordable(query, self._text_count(connection, LogQuery(q=query.q)))  # as SQLite
        clauses, params, expanding = self.filters(query, NARROW, published=False)
        params["terms"] = " ".join(query.terms)
        sql = (f"SELECT s.response_id FROM foi_search s WHERE {' AND '.join([self.MATCH, *clauses])} "
               f"ORDER BY {self._order(query)}")
        return list(connection.execute(self.statement(sql, expanding), params).scalars())


def backend_for(engine: Engine, records: bool = False) -> SearchBackend:
    """The engine's search; ``records=True`` reads each hit's full record too."""
    backend = PostgresSearch if engine.dialect.name == "postgresql" else SqliteSearch
    return backend(engine, records=records)


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

