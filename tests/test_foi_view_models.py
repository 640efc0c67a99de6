"""The FOI pages' view models (``log_page``, ``response_page``), the filters table, and
the response page's contact address."""

from __future__ import annotations

import os
import sys

import pytest
from bs4 import BeautifulSoup
from flask import render_template, request
from jinja2 import Undefined
from sqlalchemy import event, text

from tests.conftest import make_app, soup
from tests.foi_fixtures import load_shipped, meta, write
from webapp.extensions import db
from webapp.foi import filters
from webapp.foi.catalogue import current_facets
from webapp.foi.filters import ColumnChoice
from webapp.foi.pages import feed_page, log_page, response_page
from webapp.foi.publish import import_path
from webapp.foi.query import parameters, parse, query_string
from webapp.foi.search import backend_for
from webapp.foi.vocabulary import REGIMES


@pytest.fixture
def foi_app(tmp_path):
    app = make_app(tmp_path, PAGE_CACHE_ENTRIES=0)
    load_shipped(app)
    return app


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def page_for(app, url: str):
    with app.test_request_context(url):
        return log_page(request.args)


class Statements:
    """The SQL statements run on ``engine`` while the block runs."""

    def __init__(self, engine):
        self.engine = engine
        self.seen: list[str] = []

    def record(self, _conn, _cursor, statement, *_args):
        self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self.record)
        return self.seen

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self.record)


# --- log_page ----------------------------------------------------------------------

def test_the_log_page_holds_its_components_ready(foi_app):
    page = page_for(foi_app, "/foi?outcome=refused&topic=nope-not-a-topic")
    assert page.error_summary == [{"text": "Select a topic from the list", "href": "#topic"}]
    assert page.results is None and page.hits == [] and page.pagination is None

    page = page_for(foi_app, "/foi?outcome=refused&sort=oldest")
    assert page.error_summary == []
    assert page.title == "Search results"
    assert [group["params"].get("name") or group["params"]["namePrefix"] for group in page.filter_groups] == [
        "outcome", "topic", "exemption", "published-from", "published-to"]
    outcome = page.filter_groups[0]["params"]
    assert [item["value"] for item in outcome["items"] if item["checked"]] == ["refused"]
    exemption = page.filter_groups[2]
    assert exemption["details"] == {"summaryText": "Exemption", "open": False}
    assert exemption["params"]["items"][0]["text"].startswith("Section ")
    assert [item["value"] for item in page.sort_items if item["selected"]] == ["oldest"]
    assert page.links["json"] == "/foi.json?outcome=refused&sort=oldest"
    assert page.links["csv"] == "/foi.csv?outcome=refused&sort=oldest"
    assert page.links["unfiltered"] == "/foi"
    with foi_app.app_context():
        refused = db.session.execute(text(
            "SELECT reference FROM foi_response WHERE outcome = 'refused' AND is_published ORDER BY published")).scalars().all()
    assert [hit["reference"] for hit in page.hits] == refused
    assert page.hits[0]["href"] == f"/foi/{refused[0]}"
    tag = BeautifulSoup(page.hits[0]["tag"], "html.parser").strong
    assert tag.get_text(strip=True) == "Refused" and "govuk-tag" in tag["class"]
    assert page.count_heading == f"{len(refused)} response{'s' if len(refused) != 1 else ''} found"


def test_the_log_page_keeps_date_errors_and_what_was_typed(foi_app):
    page = page_for(foi_app, "/foi?published-from-day=31&published-from-month=2&published-from-year=2024")
    assert page.error_summary == [{"text": "Published from must be a real date", "href": "#published-from-day"}]
    dates = page.filter_groups[3]["params"]
    assert [(item["name"], item["value"]) for item in dates["items"]] == [("day", "31"), ("month", "2"), ("year", "2024")]
    assert all("govuk-input--error" in item["classes"] for item in dates["items"])
    assert dates["errorMessage"] == {"text": "Published from must be a real date"}


def test_the_log_page_builds_pagination_links(tmp_path):
    app = make_app(tmp_path)
    app.test_cli_runner().invoke(args=["foi", "generate-sample", "--count", "130", "--publish"])
    page = page_for(app, "/foi?q=fictional&page=4")
    assert page.title == "Search results for ‘fictional’ (page 4 of 7)"
    assert page.position == "Page 4 of 7, most relevant."
    items = page.pagination["items"]
    assert [item.get("number") for item in items] == [1, None, 3, 4, 5, None, 7]
    assert items[0]["href"] == "/foi?q=fictional"
    assert [item["number"] for item in items if item.get("current")] == [4]
    assert page.pagination["previous"]["href"] == "/foi?q=fictional&page=3"
    assert page.pagination["next"]["href"] == "/foi?q=fictional&page=5"


# --- response_page -------------------------------------------------------------------

def test_the_response_page_reads_its_document_and_related_links_in_two_queries(foi_app, tmp_path):
    extra = tmp_path / "related"
    write(extra, "r.md", meta(reference="REL-1", related=[
        {"reference": "nmc-2024-0117"}, {"reference": "NOT-PUBLISHED"}, {"reference": "NMC-2024-0342", "title": "Hovercraft"},
        {"title": "Elsewhere", "url": "https://example.org/x"}]))
    with foi_app.app_context():
        assert not import_path(db.engine, extra).problems
    with foi_app.test_request_context("/foi/REL-1"), Statements(db.engine) as seen:
        page = response_page("rel-1")
    assert len(seen) == 2  # the response, then every related reference at once
    assert page.reference == "REL-1" and page.document["questions"][0] == "How many lighthouses do you own?"
    assert [(link["text"], link["href"], link["reference"]) for link in page.related] == [
        ("Police dog numbers and kennel costs", "/foi/NMC-2024-0117", "NMC-2024-0117"),
        ("Hovercraft", "/foi/NMC-2024-0342", "NMC-2024-0342"),
        ("Elsewhere", "https://example.org/x", None),
    ]
    assert page.topics == [{"name": "Estates and buildings", "href": "/foi?topic=estates-and-buildings"}]
    facts = {row["key"]["text"]: row["value"] for row in page.facts}
    assert facts["Published"] == {"text": "1 March 2024"}
    with foi_app.test_request_context("/"):
        assert response_page("NO-SUCH-REF") is None
        assert response_page("x" * 300) is None


def test_the_feeds_read_each_record_with_the_search(foi_app):
    with foi_app.test_request_context("/foi.json"), Statements(db.engine) as seen:
        query, found = feed_page(request.args)
    assert found.total == 10 and all(hit.record is not None for hit in found.hits)
    assert found.hits[0].record.topics == found.hits[0].record.document["topics"]
    assert len([statement for statement in seen if "document" in statement]) == 1


def test_the_attachment_note_gives_the_configured_address(tmp_path):
    app = make_app(tmp_path, CONTACT_EMAIL="disclosure@force.example")
    load_shipped(app)
    page = soup(app.test_client().get("/foi/NMC-2024-0117"))
    link = page.select_one(".app-attachments + p a")
    assert link["href"] == "mailto:disclosure@force.example"
    assert link.get_text() == "disclosure@force.example"


# --- the filters table --------------------------------------------------------------

REGIME = ColumnChoice(
    name="regime", field="regimes", legend="Legislation", column="regime", choices=lambda facets: REGIMES,
    unknown="Select legislation from the list", too_many="Select %(count)d kinds of legislation or fewer",
)


@pytest.fixture(params=["sqlite", "postgresql"])
def regime_app(request, tmp_path, monkeypatch):
    overrides = {"PAGE_CACHE_ENTRIES": 0}
    if request.param == "postgresql":
        overrides["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    app = make_app(tmp_path, **overrides)
    load_shipped(app)
    write(tmp_path / "fleet", "f.md", meta(reference="FLEET-FOIA", topics=["Vehicles and fleet"]))
    with app.app_context():
        assert not import_path(db.engine, tmp_path / "fleet").problems
    monkeypatch.setattr(filters, "FILTERS", (*filters.FILTERS, REGIME))
    return app


def test_a_filter_is_one_entry_in_the_table(regime_app):
    assert "regime" in parameters()
    with regime_app.test_request_context("/foi?regime=EIR&regime=nope"):
        assert parse(request.args, current_facets()).errors == [
            {"field": "regime", "href": "#regime", "text": "Select legislation from the list"}]
    with regime_app.test_request_context("/foi?regime=EIR"):
        parsed = parse(request.args, current_facets())
        query = parsed.query
        assert parsed.errors == [] and query.regimes == ("EIR",)
        assert query_string(query, page=2) == "regime=EIR&page=2"

        eir = set(db.session.execute(text(
            "SELECT id FROM foi_response WHERE regime = 'EIR' AND is_published = :yes"), {"yes": True}).scalars())
        backend = backend_for(db.engine)
        assert eir and {hit.id for hit in backend.search(query).hits} == eir
        assert set(backend.all_ids(query)) == eir
        words = query.but(q="hovercraft")  # with words: the narrow search table on PostgreSQL
        assert {hit.reference for hit in backend.search(words).hits} == {"NMC-2024-0342"}
        fleet = set(db.session.execute(text(
            "SELECT t.response_id FROM foi_topic t WHERE t.slug = 'vehicles-and-fleet'")).scalars())
        assert fleet - eir  # the topic alone would list more
        with_topic = query.but(topics=("vehicles-and-fleet",))  # a topic leads SQLite's browse
        assert {hit.id for hit in backend.search(with_topic).hits} == fleet & eir

        page = log_page(request.args)
        html = soup_of(render_template("foi/log.html", page=page, error_summary=page.error_summary))
    group = html.select_one("input[name=regime]").find_parent("fieldset")
    assert group.select_one("legend").get_text(strip=True) == "Legislation"
    assert [(box["value"], box.has_attr("checked")) for box in group.select("input[type=checkbox]")] == [
        ("FOIA", False), ("EIR", True)]


# --- the templates use nothing undefined ------------------------------------------------

class StrictInFoiTemplates(Undefined):
    """StrictUndefined for what the FOI templates themselves do with an undefined value
    (print it, test it, loop over it); the GOV.UK macros they call still rely on an
    unset parameter being empty, so a use inside a macro is let through."""

    __slots__ = ()

    def _check(self) -> None:
        frame = sys._getframe(2)
        while frame is not None:
            source = frame.f_code.co_filename
            if source.endswith(".html"):
                if f"{os.sep}templates{os.sep}foi{os.sep}" in source:
                    self._fail_with_undefined_error()
                return
            frame = frame.f_back

    def __str__(self) -> str:
        self._check()
        return super().__str__()

    def __bool__(self) -> bool:
        self._check()
        return super().__bool__()

    def __iter__(self):
        self._check()
        return super().__iter__()

    def __len__(self) -> int:
        self._check()
        return super().__len__()


@pytest.mark.parametrize("url", [
    "/foi", "/foi?q=cost", "/foi?q=zzzzqqq", "/foi?page=9", "/foi?exemption=40(2)", "/foi?outcome=refused&page=1",
    "/foi?topic=nope&published-from-day=40&published-from-month=1&published-from-year=2024",
    "/foi/01.FOI.23.031828", "/foi/NMC-2024-0117", "/foi/NMC-2024-0342", "/foi/FOI-NMC-25-000981",
])
def test_the_templates_use_nothing_undefined(foi_app, url):
    foi_app.jinja_env.undefined = StrictInFoiTemplates
    response = foi_app.test_client().get(url)
    assert response.status_code == 200
    assert soup(response).select_one("main h1") is not None


def test_the_undefined_check_can_fail(foi_app, monkeypatch):
    from webapp.foi import pages

    foi_app.jinja_env.undefined = StrictInFoiTemplates
    related = pages._related
    # Links without their "reference": the template tests it, so the check must fail.
    monkeypatch.setattr(pages, "_related", lambda items: [
        {key: value for key, value in link.items() if key != "reference"} for link in related(items)])
    assert foi_app.test_client().get("/foi/NMC-2024-0342").status_code == 500  # the error page
