"""The log's components from stored renderings: the same HTML as the GOV.UK macros,
for any selection, with a bounded store."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from tests.conftest import make_app
from tests.foi_fixtures import SHIPPED_REFERENCE, copy_content, load_shipped, meta, write
from webapp import components as govuk
from webapp.extensions import db
from webapp.foi import components
from webapp.foi.publish import import_path


def group(ticked=(), values=("a&b", 'say "hi"', "<x>", "plain"), error=None) -> dict:
    return {
        "idPrefix": "topic", "name": "topic", "classes": "govuk-checkboxes--small",
        "fieldset": {"legend": {"text": "Topic", "classes": "govuk-fieldset__legend--s"}},
        "items": [{"value": value, "text": f"Label {value}", "checked": value in ticked} for value in values],
        "errorMessage": error,
    }


@pytest.fixture
def rendering(app):
    app.jinja_env.forget_fragments()
    with app.test_request_context("/foi"):
        yield


@pytest.mark.parametrize("ticked", [(), ("a&b",), ('say "hi"', "<x>"), ("a&b", 'say "hi"', "<x>", "plain")])
@pytest.mark.parametrize("error", [None, {"text": "Select a topic from the list"}])
def test_checkboxes_are_the_macros_html_whatever_is_ticked(rendering, ticked, error):
    params = group(ticked, error=error)
    html = components.component("checkboxes", params)
    assert str(html) == str(govuk.render("checkboxes", params))
    boxes = BeautifulSoup(html, "html.parser").select("input.govuk-checkboxes__input")
    values = [item["value"] for item in params["items"]]
    assert [box["value"] for box in boxes if box.has_attr("checked")] == [value for value in values if value in ticked]


def kept_checkbox_groups(app) -> list:
    return [key for key in app.jinja_env.fragments if key[:2] == ("component", "checkboxes")]


def test_one_rendering_serves_every_selection_of_a_group(app, rendering):
    for ticked in [(), ("a&b",), ("plain", "<x>")]:
        components.component("checkboxes", group(ticked))
    assert len(kept_checkbox_groups(app)) == 1


def test_a_date_input_is_the_design_system_s_and_is_kept(app, rendering):
    params = {"id": "published-from", "namePrefix": "published-from", "items": [{"name": "year", "value": "2004"}]}
    assert str(components.component("date-input", params)) == str(govuk.render("date-input", params))
    assert any(key[:2] == ("component", "date-input") for key in app.jinja_env.fragments)


def test_markup_text_and_lazy_text_of_the_same_characters_are_different_keys(app):
    """The macros escape text but not Markup, nor a lazy string (it renders as HTML)."""
    from flask_babel import lazy_gettext
    with app.test_request_context("/foi"):
        keys = {govuk.frozen({"text": value}) for value in ("Outcome", govuk.Markup("Outcome"), lazy_gettext("Outcome"))}
    assert len(keys) == 3


def test_a_lazy_string_is_keyed_by_its_message_not_its_translation(app):
    """The fragment store is per language, so the message names the text; translating
    it for every key was most of a kept component's cost."""
    from flask_babel import lazy_gettext
    with app.test_request_context("/foi"):
        assert govuk.frozen(lazy_gettext("Outcome")) == govuk.frozen(lazy_gettext("Outcome"))
        assert govuk.frozen(lazy_gettext("Outcome")) != govuk.frozen(lazy_gettext("Topic"))
        assert govuk.frozen(lazy_gettext("Page %(n)s", n=1)) != govuk.frozen(lazy_gettext("Page %(n)s", n=2))


LOG_STATES = [
    "/foi", "/foi?q=police", "/foi?page=2",
    "/foi?outcome=disclosed-in-full&outcome=refused&topic=drones&exemption=40(2)&exemption=31(1)(a)",
    "/foi?q=police&topic=drones&sort=newest&exemption=24(1)",
    "/foi?topic=drones&topic=bogus&sort=bogus&published-to-year=20x4",
    "/foi?published-from-day=31&published-from-month=2&published-from-year=2024",
    "/foi?q=%3Cb%3E%26amp%22&topic=%3Cx%3E",
    f"/foi/{SHIPPED_REFERENCE}",
    "/foi/NMC-2024-0601",  # four exemptions
    "/foi/NMC-2024-0342",  # updated, with a change note
]


def test_pages_are_the_bytes_the_macros_give(tmp_path, monkeypatch):
    app = make_app(tmp_path, PAGE_CACHE_ENTRIES=0)
    load_shipped(app)
    client = app.test_client()
    app.jinja_env.forget_fragments()
    reused = [client.get(path) for path in LOG_STATES for _ in range(2)]  # stored, then from the store
    monkeypatch.setattr(components, "component",
                        lambda kind, params: govuk.render(kind, params))
    app.jinja_env.forget_fragments()
    direct = [client.get(path) for path in LOG_STATES for _ in range(2)]
    assert [r.status_code for r in reused] == [200] * len(reused)
    for path, ours, theirs in zip([p for p in LOG_STATES for _ in range(2)], reused, direct, strict=True):
        assert ours.data == theirs.data, path


def test_a_new_import_reaches_the_filter_panel(tmp_path):
    """The filter groups are reused per content version: the next import's choices show."""
    app = make_app(tmp_path, PAGE_CACHE_ENTRIES=0)
    folder = copy_content(tmp_path)
    with app.app_context():
        import_path(db.engine, folder)
    app.extensions["foi.content_version"].expire()
    client = app.test_client()

    def topics() -> list[str]:
        page = BeautifulSoup(client.get("/foi?topic=drones").data, "html.parser")
        return [box["value"] for box in page.select("input[name=topic]")]

    before = topics()
    assert "drones" in before and "lighthouses" not in before
    write(folder, "TEST-0001.md", meta(topics=["Lighthouses"]))
    with app.app_context():
        import_path(db.engine, folder)
    app.extensions["foi.content_version"].expire()
    assert set(topics()) == {*before, "lighthouses"}


# --- typed values: written into a blank rendering, never kept ---------------------------

TYPED = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)


def search_box(value: str) -> dict:
    return {"label": {"text": "Search", "classes": "govuk-label--m"}, "id": "q", "name": "q", "type": "search",
            "value": value, "spellcheck": False, "autocomplete": "off", "classes": "app-search__input"}


def date_input(day: str, month: str, year: str, error=None) -> dict:
    return {"id": "published-from", "namePrefix": "published-from", "errorMessage": error,
            "fieldset": {"legend": {"text": "Published from", "classes": "govuk-fieldset__legend--s"}},
            "items": [{"name": name, "label": name.title(), "value": value, "inputmode": "numeric",
                       "classes": "govuk-input--width-2" + (" govuk-input--error" if error else "")}
                      for name, value in (("day", day), ("month", month), ("year", year))]}


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=TYPED)
def test_a_search_box_is_the_macros_html_whatever_was_typed(app, rendering, value):
    params = search_box(value)
    assert str(components.component("input", params)) == str(govuk.render("input", params))
    assert [key[2] for key in app.jinja_env.fragments if key[:2] == ("component", "input")] == [
        govuk.frozen(search_box(""))]


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=TYPED, month=TYPED, year=TYPED, error=st.sampled_from([None, {"text": "Enter a real date"}]))
def test_a_date_input_is_the_macros_html_whatever_was_typed(app, rendering, day, month, year, error):
    params = date_input(day, month, year, error)
    assert str(components.component("date-input", params)) == str(govuk.render("date-input", params))
    blank = {govuk.frozen(date_input("", "", "", shown)) for shown in (None, {"text": "Enter a real date"})}
    assert {key[2] for key in app.jinja_env.fragments if key[:2] == ("component", "date-input")} <= blank


def test_what_someone_typed_in_the_log_is_never_kept(tmp_path):
    app = make_app(tmp_path, PAGE_CACHE_ENTRIES=0)
    load_shipped(app)
    client = app.test_client()
    page = client.get("/foi?q=quillwort+marram&published-from-day=7x&published-from-month=11"
                      "&published-from-year=1987&published-to-year=2999").get_data(as_text=True)
    assert 'value="quillwort marram"' in page and 'value="7x"' in page and 'value="2999"' in page
    kept = " ".join(str(value) for value in app.jinja_env.fragments.values() if value)
    for typed in ("quillwort", 'value="7x"', 'value="1987"', 'value="2999"'):
        assert typed not in kept


def test_a_filter_group_is_kept_once_per_choice_whatever_else_is_chosen(tmp_path):
    """A search ticking a topic draws the topic group; the other groups come from the store."""
    app = make_app(tmp_path, PAGE_CACHE_ENTRIES=0)
    load_shipped(app)
    client = app.test_client()
    for address in ["/foi?topic=drones", "/foi?topic=drones&outcome=refused", "/foi?q=police&topic=drones",
                    "/foi?outcome=refused"]:
        assert client.get(address).status_code == 200
    groups = [key for key in app.jinja_env.fragments if key[0] == "filter group"]
    by_field: dict[str, list] = {}
    for key in groups:
        by_field.setdefault(key[2], []).append(key[3])
    assert sorted(by_field["topic"]) == sorted([govuk.frozen(["drones"]), govuk.frozen([])])
    assert sorted(by_field["outcome"]) == sorted([govuk.frozen(["refused"]), govuk.frozen([])])
    blank = govuk.frozen({"day": "", "month": "", "year": ""})
    assert by_field["published-from"] == [blank]  # kept whole only while nothing is typed in it


def test_a_date_group_with_something_typed_is_never_kept_whole(tmp_path):
    app = make_app(tmp_path, PAGE_CACHE_ENTRIES=0)
    load_shipped(app)
    client = app.test_client()
    for address in ["/foi?published-from-year=2024", "/foi?published-to-day=7x", "/foi?published-from-month=2&q=x"]:
        assert client.get(address).status_code == 200
    kept = [key[3] for key in app.jinja_env.fragments if key[0] == "filter group" and key[2].startswith("published-")]
    assert set(kept) <= {govuk.frozen({"day": "", "month": "", "year": ""})}


# --- pagination: links and numbers written into a rendering of the pages' shape --------

def pages(current: int, last: int, href) -> dict:
    from webapp.foi.pages import page_numbers

    items = [{"number": n, "href": href(n), "current": n == current} if n else {"ellipsis": True}
             for n in page_numbers(current, last)]
    return {"previous": {"href": href(current - 1)} if current > 1 else None,
            "next": {"href": href(current + 1)} if current < last else None,
            "items": items, "landmarkLabel": "Search results pages"}


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), typed=TYPED | st.sampled_from(["app-slot-3-", "app-slot-0-&", '"><b>', "app-slot-1-app-slot-2-"]))
def test_pagination_is_the_macros_html_whatever_the_links_hold(app, rendering, data, typed):
    last = data.draw(st.integers(1, 5000))
    current = data.draw(st.integers(1, last))
    params = pages(current, last, lambda n: f"/foi?q={typed}&page={n}")
    assert str(components.component("pagination", params)) == str(govuk.render("pagination", params))


def test_one_rendering_serves_every_search_with_the_same_shape_of_pages(app, rendering):
    for word in ("lighthouse", "quillwort", "harbour master"):
        for last in (7, 120, 4999):
            components.component("pagination", pages(3, last, lambda n, word=word: f"/foi?q={word}&page={n}"))
    kept = [value for key, value in app.jinja_env.fragments.items() if key[:2] == ("component", "pagination")]
    assert len(kept) == 1  # page 3 of many: 1 … 2 3 4 … last, previous and next
    assert not any(word in str(kept[0]) for word in ("lighthouse", "quillwort", "harbour", "4999", "120"))
    for current, last in [(1, 2), (2, 2), (1, 9), (5, 9), (9, 9), (2, 9), (8, 9)]:
        components.component("pagination", pages(current, last, lambda n: f"/foi?page={n}"))
    shapes = [key for key in app.jinja_env.fragments if key[:2] == ("component", "pagination")]
    assert len(shapes) == 8


# --- summary lists: keys and values written into a rendering of the list's rows -----------

CELL_TEXT = TYPED | st.sampled_from(["app-slot-0-", "app-slot-1-&", " padded ", "two\nlines", "", "<b>bold</b>"])


def cells(kind: str):
    if kind == "text":
        return CELL_TEXT.map(lambda text: {"text": text}) | CELL_TEXT.map(lambda text: {"text": Markup(text)})
    return CELL_TEXT.map(lambda html: {"html": Markup(html)}) | CELL_TEXT.map(lambda html: {"html": html})


ROWS = st.lists(st.fixed_dictionaries({"key": cells("text"), "value": st.sampled_from(["text", "html"]).flatmap(cells)}),
                max_size=6)


@settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS, classes=st.sampled_from([None, "app-response__facts"]))
def test_a_summary_list_is_the_macros_html_whatever_its_rows_hold(app, rendering, rows, classes):
    params = {"rows": rows, **({"classes": classes} if classes else {})}
    assert str(components.component("summary-list", params)) == str(govuk.render("summary-list", params))


def test_a_lazy_string_in_a_summary_list_is_written_as_the_macro_writes_it(app, rendering):
    """The macro prints a lazy string without escaping it (it has ``__html__``)."""
    from flask_babel import lazy_gettext
    params = {"rows": [{"key": {"text": lazy_gettext("Outcome")}, "value": {"text": lazy_gettext("A <b> & c")}}]}
    assert str(components.component("summary-list", params)) == str(govuk.render("summary-list", params))


def test_one_rendering_serves_every_response_s_facts(tmp_path):
    """Responses whose facts have the same rows share one rendering; their words are not in it."""
    app = make_app(tmp_path, PAGE_CACHE_ENTRIES=0)
    load_shipped(app)
    client = app.test_client()
    app.jinja_env.forget_fragments()
    for reference in (SHIPPED_REFERENCE, "NMC-2024-0117", "NMC-2024-0455", "NMC-2024-0733"):
        assert client.get(f"/foi/{reference}").status_code == 200
    kept = [value for key, value in app.jinja_env.fragments.items() if key[:2] == ("component", "summary-list")]
    facts = [html for html in kept if "app-response__facts" in html]
    assert len(facts) == 1
    assert not any(reference in str(html) for html in kept
                   for reference in (SHIPPED_REFERENCE, "NMC-2024-0117", "NMC-2024-0455", "NMC-2024-0733"))
