"""The same search cases against both engines: SQLite FTS5 and PostgreSQL tsvector.

PostgreSQL runs when TEST_DATABASE_URL is set (``.ci/run`` sets it); otherwise those
cases skip and say why."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_app
from tests.foi_fixtures import SHIPPED_REFERENCE, load_shipped, meta, write
from webapp.extensions import db
from webapp.foi.publish import import_path, publish
from webapp.foi.query import LogQuery
from webapp.foi.search import PostgresSearch, SqliteSearch, backend_for


@pytest.fixture(params=["sqlite", "postgresql"])
def search_app(request, tmp_path):
    overrides = {}
    if request.param == "postgresql":
        overrides["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    app = make_app(tmp_path, **overrides)
    load_shipped(app)
    extra = tmp_path / "extra"
    # Relevance: the word in a title beats the same word deep in an answer.
    write(extra, "title.md", meta(reference="REL-TITLE", title="Lighthouse keepers employed", published="2024-01-20",
                                  received="2024-01-01", responded="2024-01-15"))
    write(extra, "answer.md", meta(reference="REL-ANSWER", title="Coastal buildings",
                                   answers=[{"questions": [1], "text": "Among many coastal buildings there is one lighthouse."}],
                                   published="2025-06-01", received="2025-05-01", responded="2025-05-20"))
    with app.app_context():
        report = import_path(db.engine, extra)
        assert not report.problems
    app.backend_name = request.param
    return app


def search(app, **kwargs):
    with app.app_context():
        return backend_for(db.engine).search(LogQuery(**kwargs))


def references(app, **kwargs):
    return [hit.reference for hit in search(app, **kwargs).hits]


def test_the_backend_matches_the_database(search_app):
    with search_app.app_context():
        backend = backend_for(db.engine)
    assert isinstance(backend, PostgresSearch if search_app.backend_name == "postgresql" else SqliteSearch)


def test_browse_is_newest_first_with_a_count(search_app):
    page = search(search_app)
    assert page.total == 12
    assert [hit.reference for hit in page.hits][:3] == ["REL-ANSWER", "FOI-NMC-25-000981", "NMC-2024-0902"]
    assert references(search_app, sort="oldest")[0] == SHIPPED_REFERENCE


def test_a_word_finds_the_response_and_is_highlighted(search_app):
    page = search(search_app, q="Connect")
    assert [hit.reference for hit in page.hits] == [SHIPPED_REFERENCE]
    hit = page.hits[0]
    assert '<mark class="app-highlight">CONNECT</mark>' in hit.title_html
    assert "<mark" in hit.summary_html and "<mark" in hit.snippet_html


def test_stemming_finds_other_forms_of_a_word(search_app):
    assert references(search_app, q="borough") == [SHIPPED_REFERENCE]  # the text says "boroughs"
    assert references(search_app, q="trialling due diligence") == [SHIPPED_REFERENCE]


def test_every_word_must_match(search_app):
    assert references(search_app, q="hovercraft fuel") == ["NMC-2024-0342"]
    assert references(search_app, q="hovercraft unicorn") == []


def test_questions_and_answers_are_searched(search_app):
    assert references(search_app, q="farrier") == ["FOI-NMC-25-000981"]  # only in questions and answers
    assert references(search_app, q="Crown Prosecution Service") == [SHIPPED_REFERENCE]  # only in an answer


def test_most_relevant_puts_title_matches_first(search_app):
    assert references(search_app, q="lighthouse", sort="relevance") == ["REL-TITLE", "REL-ANSWER"]
    assert references(search_app, q="lighthouse") == ["REL-ANSWER", "REL-TITLE"]  # newest first
    assert references(search_app, q="lighthouse", sort="oldest") == ["REL-TITLE", "REL-ANSWER"]


def test_reference_numbers_are_searchable(search_app):
    assert references(search_app, q="NMC-2024-0518") == ["NMC-2024-0518"]


@pytest.mark.parametrize("q", ['"', 'connect" OR "x', "NEAR(a b)", "*", "a:b", "-", "connect AND", "'; DROP TABLE x;--", "ünïcödé"])
def test_query_syntax_in_what_people_type_is_harmless(search_app, q):
    search(search_app, q=q)  # no error, whatever the engine


def test_filter_by_outcome(search_app):
    assert references(search_app, outcomes=("refused",)) == ["NMC-2024-0518"]
    assert sorted(references(search_app, outcomes=("refused", "not-held"))) == ["NMC-2024-0455", "NMC-2024-0518"]


def test_filter_by_topic(search_app):
    assert references(search_app, topics=("dogs-and-horses",)) == ["FOI-NMC-25-000981", "NMC-2024-0117"]
    assert sorted(references(search_app, topics=("drones", "vehicles-and-fleet"))) == ["NMC-2024-0342", "NMC-2024-0902"]


def test_filter_by_exemption(search_app):
    assert references(search_app, exemptions=("40(2)",)) == ["FOI-NMC-25-000981", "NMC-2024-0117"]
    assert references(search_app, exemptions=("23(5)",)) == ["NMC-2024-0601"]


def test_filter_by_published_dates(search_app):
    assert references(search_app, published_from=dt.date(2024, 6, 1), published_to=dt.date(2024, 8, 31)) == [
        "NMC-2024-0601", "NMC-2024-0518", "NMC-2024-0455"]
    assert references(search_app, published_to=dt.date(2023, 12, 31)) == [SHIPPED_REFERENCE]
    assert references(search_app, published_from=dt.date(2024, 8, 2), published_to=dt.date(2024, 8, 2)) == ["NMC-2024-0601"]


def test_filters_combine(search_app):
    assert references(search_app, topics=("dogs-and-horses",), exemptions=("43(2)",)) == ["FOI-NMC-25-000981"]
    assert references(search_app, q="dogs", outcomes=("disclosed-in-part",), published_to=dt.date(2024, 12, 31)) == ["NMC-2024-0117"]
    assert references(search_app, q="fuel", outcomes=("refused",)) == []
    assert references(search_app, q="horses", topics=("dogs-and-horses",), exemptions=("40(2)",),
                      outcomes=("disclosed-in-part",), published_from=dt.date(2025, 1, 1), sort="relevance") == ["FOI-NMC-25-000981"]


def test_unpublished_responses_are_never_found(search_app, tmp_path):
    with search_app.app_context():
        report = publish(db.engine, [], keep_sources=set())
    assert report.unpublished == 12
    assert search(search_app).total == 0
    assert search(search_app, q="connect").total == 0


def test_pagination_edges(search_app):
    from webapp.foi.samples import sample_documents

    documents, problems = sample_documents(45)
    assert not problems
    with search_app.app_context():
        publish(db.engine, documents)
    first = search(search_app)
    assert (first.total, first.pages, len(first.hits)) == (57, 3, 20)
    last = search(search_app, page=3)
    assert len(last.hits) == 17 and not last.past_the_end
    beyond = search(search_app, page=4)
    assert beyond.hits == [] and beyond.past_the_end
    seen = [h.reference for p in (1, 2, 3) for h in search(search_app, page=p).hits]
    assert len(set(seen)) == 57  # no response on two pages, none missed
    text_pages = search(search_app, q="fictional", page=2)
    assert text_pages.total > 20 and len(text_pages.hits) == min(20, text_pages.total - 20)
    assert search(search_app, q="fictional", page=99).hits == []


def test_very_broad_searches_fall_back_to_newest_first(search_app, monkeypatch):
    from webapp.foi import search as search_module

    monkeypatch.setattr(search_module, "RELEVANCE_LIMIT", 1)
    page = search(search_app, q="lighthouse", sort="relevance")
    assert page.sort == "newest" and page.relevance_dropped
    assert [hit.reference for hit in page.hits] == ["REL-ANSWER", "REL-TITLE"]
    monkeypatch.setattr(search_module, "RELEVANCE_LIMIT", 5000)
    assert search(search_app, q="lighthouse", sort="relevance").sort == "relevance"


def test_relevance_is_affordable_by_the_matches_before_filters(search_app, monkeypatch):
    """Both engines decide on the words' matches before filters (as the page says), so
    the same filtered search is in the same order on either."""
    from webapp.foi import search as search_module

    monkeypatch.setattr(search_module, "RELEVANCE_LIMIT", 1)  # the words match 2, the filter leaves 1
    page = search(search_app, q="lighthouse", sort="relevance", published_to=dt.date(2024, 12, 31))
    assert (page.total, page.sort, page.relevance_dropped) == (1, "newest", True)
    assert [hit.reference for hit in page.hits] == ["REL-TITLE"]
    monkeypatch.setattr(search_module, "RELEVANCE_LIMIT", 2)
    page = search(search_app, q="lighthouse", sort="relevance", published_to=dt.date(2024, 12, 31))
    assert (page.total, page.sort, page.relevance_dropped) == (1, "relevance", False)


def database_answer(app, query: LogQuery, ranked: bool = False) -> list[int]:
    """What the database alone says ``query`` matches, newest first (``ranked``: most
    relevant first, by the engine's own rank of the whole query): its own full-text match
    of all the words at once and the filters' SQL, without the log's sets."""
    with app.app_context(), db.engine.connect() as connection:
        backend = backend_for(db.engine)
        clauses, params, expanding = backend.filters(query)
        order = "r.published DESC, r.id DESC"
        if query.terms and db.engine.dialect.name == "postgresql":
            clauses.append("r.id IN (SELECT s.response_id FROM foi_search s "
                           "WHERE s.search_vector @@ plainto_tsquery('english', :terms))")
            params["terms"] = " ".join(query.terms)
            if ranked:
                order = ("(SELECT ts_rank_cd(s.search_vector, plainto_tsquery('english', :terms)) "
                         f"FROM foi_search s WHERE s.response_id = r.id) DESC, {order}")
        elif query.terms:
            clauses.append("r.id IN (SELECT rowid FROM foi_fts WHERE foi_fts MATCH :match)")
            params["match"] = SqliteSearch.match(query.terms)
            if ranked:
                # FTS5 gives equally relevant matches in rowid order.
                order = "(SELECT rank FROM foi_fts WHERE foi_fts MATCH :match AND rowid = r.id), r.id"
        sql = f"SELECT r.id FROM foi_response r WHERE {' AND '.join(clauses)} ORDER BY {order}"
        return list(connection.execute(backend.statement(sql, expanding), params).scalars())


@pytest.mark.parametrize("criteria", [
    {},
    {"q": "fictional"},
    {"q": "the fictional"},  # a stop word to PostgreSQL, a word to SQLite
    {"q": "the"},
    {"q": "fictional request"},
    {"q": "no-such-word fictional"},
    {"outcomes": ("refused", "disclosed-in-full")},
    {"topics": ("drones",)},
    {"exemptions": ("40(2)",), "published_from": dt.date(2020, 1, 1)},
    {"q": "fictional", "topics": ("drones", "custody"), "published_from": dt.date(2020, 1, 1)},
    {"q": "fictional", "outcomes": ("refused", "not-held", "disclosed-in-full"), "topics": ("custody",),
     "published_to": dt.date(2024, 6, 30)},
    {"published_from": dt.date(2021, 3, 1), "published_to": dt.date(2023, 3, 1)},
])
def test_every_page_is_the_database_answer(search_app, criteria):
    """Over 300 published responses, the count and every page, newest and oldest first
    and most relevant first, are what the database alone answers for the whole query
    (the sets count and page them; the database matches each word on its own)."""
    from webapp.foi.samples import sample_documents

    documents, problems = sample_documents(300)
    assert not problems
    with search_app.app_context():
        publish(db.engine, documents)
    expected = database_answer(search_app, LogQuery(**criteria))
    for order in ("newest", "oldest"):
        first = search(search_app, sort=order, **criteria)
        pages = [first] + [search(search_app, sort=order, page=n, **criteria) for n in range(2, first.pages + 2)]
        assert first.total == len(expected)
        found = [hit.id for page in pages for hit in page.hits]
        assert found == (expected if order == "newest" else expected[::-1])
    if criteria == {"q": "fictional"}:
        assert len(expected) > 20  # more than one page
    if "q" in criteria:
        ranked = database_answer(search_app, LogQuery(**criteria), ranked=True)
        first = search(search_app, sort="relevance", **criteria)
        assert first.sort == "relevance"
        pages = [first] + [search(search_app, sort="relevance", page=n, **criteria) for n in range(2, first.pages + 2)]
        assert [hit.id for page in pages for hit in page.hits] == ranked


def test_the_whole_log_count_follows_imports(search_app, tmp_path):
    """The log's size is counted once per content version: an import changes it at once."""
    from webapp.foi.samples import sample_documents

    assert search(search_app).total == 12
    documents, _ = sample_documents(5)
    with search_app.app_context():
        publish(db.engine, documents)
    assert search(search_app).total == 17
    with search_app.app_context():
        publish(db.engine, [], keep_sources=set())
    assert search(search_app).total == 0


@pytest.mark.parametrize("kwargs", [
    {"q": "lighthouse", "sort": "relevance"},
    {"q": "lighthouse", "sort": "relevance", "published_from": dt.date(2020, 1, 1)},
    {"q": "lighthouse", "sort": "relevance", "published_to": dt.date(2024, 12, 31)},
    {"q": "lighthouse", "sort": "oldest"},
    {"q": "police", "outcomes": ("disclosed-in-full", "refused")},
])
def test_the_export_lists_what_the_pages_show(search_app, monkeypatch, tmp_path, kwargs):
    """The CSV export's ids are the pages' ids in the pages' order, on both engines,
    including when relevance is dropped for matching too much before filters."""
    from webapp.foi import search as search_module

    older = tmp_path / "older"  # a third match, before 2020: the words match 3, the filter leaves 2
    write(older, "old.md", meta(reference="REL-OLD", title="Old lighthouse", published="2019-03-01",
                                received="2019-01-01", responded="2019-02-01"))
    with search_app.app_context():
        assert not import_path(db.engine, older).problems
    for limit in (1, 2, 5000):
        monkeypatch.setattr(search_module, "RELEVANCE_LIMIT", limit)
        first = search(search_app, **kwargs)
        shown = [hit.id for n in range(1, first.pages + 1) for hit in search(search_app, page=n, **kwargs).hits]
        with search_app.app_context():
            assert backend_for(db.engine).all_ids(LogQuery(**kwargs)) == shown
        assert len(shown) == first.total


def test_one_facet_counts_agree_with_the_matches_and_follow_imports(search_app):
    """A browse by one topic or one exemption takes its count from the facets (per
    content version): it must equal the responses listed, after an import too."""

    from webapp.foi.catalogue import facets
    from webapp.foi.samples import sample_documents

    def check():
        with search_app.app_context():
            backend = backend_for(db.engine)
            available = facets(db.engine, "test-" + str(db.engine.url))  # what the log offers
            cases = [{"topics": (slug,)} for slug in available.topics]
            cases += [{"exemptions": (section,)} for section in available.exemptions]
            assert cases
            for kwargs in cases:
                page = backend.search(LogQuery(**kwargs))
                assert page.total == len(backend.all_ids(LogQuery(**kwargs))) > 0, kwargs
            return {tuple(k.items()): backend.search(LogQuery(**k)).total for k in cases}

    before = check()
    documents, _ = sample_documents(60)
    with search_app.app_context():
        publish(db.engine, documents)
    after = check()
    assert any(after[key] > count for key, count in before.items())


WORDS = ["fictional", "request", "the", "lighthouse", "police", "cost", "vehicles", "no-such-word", "information"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_search_counts_and_pages_as_the_database_answers(search_app, data):
    """Any words, filters, dates and page: the count and the page the sets give are the
    database's own answer for the whole query, on both engines."""
    from sqlalchemy import text

    from webapp.foi.catalogue import facets
    from webapp.foi.records import as_date
    from webapp.foi.samples import sample_documents
    from webapp.foi.vocabulary import OUTCOMES

    with search_app.app_context():
        if not getattr(search_app, "samples_published", False):
            documents, _ = sample_documents(300)
            publish(db.engine, documents)
            search_app.samples_published = True
        offered = facets(db.engine, ("test", id(search_app))).choices
        with db.engine.connect() as connection:  # a range's ends on the days responses were published, too
            days = sorted({as_date(day) for day in connection.execute(text("SELECT published FROM foi_response")).scalars()})
    # A few of the query's parts at a time, so that most searches match something.
    parts = data.draw(st.sets(st.sampled_from(["q", "outcomes", "topics", "exemptions", "from", "to"]), max_size=3))
    some = lambda values, size: data.draw(  # noqa: E731
        st.lists(st.sampled_from(sorted(values)), min_size=1, max_size=size, unique=True))
    day = st.one_of(st.sampled_from(days), st.dates(dt.date(2018, 1, 1), dt.date(2026, 1, 1)))
    criteria = {
        "q": " ".join(some(WORDS, 2)) if "q" in parts else "",
        "outcomes": tuple(some(OUTCOMES, 3)) if "outcomes" in parts else (),
        "topics": tuple(some(offered["topic"], 3)) if "topics" in parts else (),
        "exemptions": tuple(some(offered["exemption"], 3)) if "exemptions" in parts else (),
        "published_from": data.draw(day) if "from" in parts else None,
        "published_to": data.draw(day) if "to" in parts else None,
    }
    if criteria["published_from"] and criteria["published_to"]:  # the log refuses a range that ends before it starts
        criteria["published_from"], criteria["published_to"] = sorted((criteria["published_from"], criteria["published_to"]))
    order = data.draw(st.sampled_from(["newest", "oldest"]))
    expected = database_answer(search_app, LogQuery(**criteria))
    expected = expected if order == "newest" else expected[::-1]
    page = data.draw(st.integers(1, 1 + len(expected) // 20))
    found = search(search_app, sort=order, page=page, **criteria)
    assert found.total == len(expected)
    assert [hit.id for hit in found.hits] == expected[(page - 1) * 20:page * 20]


@pytest.mark.parametrize("ask", ["search", "all_ids"])
def test_a_first_search_needs_one_pooled_connection_not_two(search_app, monkeypatch, ask):
    """The version's sets are built through a connection of their own, and every search
    of the version waits for that build: a search holding a connection meanwhile would,
    in a burst of first searches after an import, leave the build none (seen under load:
    every connection held, the build timed out after 30 s). With a pool of one, a first
    search still answers."""
    from sqlalchemy import create_engine

    from webapp.foi import sets

    with search_app.app_context():
        url = db.engine.url
    engine = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=2)
    monkeypatch.setattr(sets.KEPT, "values", {})  # not built yet in this process
    try:
        backend = backend_for(engine)
        if ask == "search":
            assert backend.search(LogQuery(q="lighthouse")).total == 2
        else:
            assert len(backend.all_ids(LogQuery(q="lighthouse"))) == 2
        assert sets.KEPT.values  # built, and kept
    finally:
        engine.dispose()


def test_the_facets_of_a_version_are_read_once_however_many_ask_at_once(search_app, monkeypatch):
    """After an import every request asks for the new version's choices: one reads
    them, the others wait for it rather than each reading the same rows again."""
    import threading

    from sqlalchemy import event

    from webapp.foi import catalogue

    with search_app.app_context():
        engine = db.engine
    monkeypatch.setattr(catalogue.FACETS, "values", {})
    reads = []
    listener = lambda *args: reads.append(1) if "f JOIN foi_response r ON r.id = f.response_id" in args[2] else None  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        start = threading.Barrier(6)
        found = []

        def ask():
            start.wait()
            found.append(catalogue.facets(engine, "a new version"))

        threads = [threading.Thread(target=ask) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(found) == 6 and all(result is found[0] for result in found)
    linked = [entry for entry in catalogue.filters.FILTERS if isinstance(entry, catalogue.filters.LinkedChoice)]
    assert len(reads) == len(linked)  # one read of each filter's choices
