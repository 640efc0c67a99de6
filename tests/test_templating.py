"""The one Jinja set-up (webapp/templating.py) and what the layout takes from it: strict
undefined names, ``{% do %}``, the filters and globals, ``htmlLang`` from the locale,
the error summary and title prefix from ``error_summary``, and the parts drawn once and
kept (``{% cache %}``, form fields showing nothing anyone typed)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string
from flask_babel import force_locale
from jinja2 import UndefinedError

from webapp import templating

PAGE = """{% extends "layouts/base.html" %}
{% set page_title = "Your details" %}
{% block content %}<h1 class="govuk-heading-l">Your details</h1><input id="name" name="name">{% endblock %}"""


def render(source: str, **context) -> str:
    return render_template_string(source, **context)


@pytest.fixture
def request_context(app):
    with app.test_request_context("/"):
        yield


# --- undefined names raise ---------------------------------------------------------------

@pytest.mark.parametrize("source", [
    "{{ no_such_name }}",
    "{% if no_such_name %}shown{% endif %}",
    "{% for item in no_such_name %}{% endfor %}",
    "{{ no_such_name == 1 }}",
    "{{ today.no_such_attribute }}",
    "{{ no_such_name.attribute }}",
])
def test_an_undefined_name_or_attribute_raises(request_context, source):
    with pytest.raises(UndefinedError):
        render(source, today=date(2026, 11, 30))


def test_only_is_defined_is_safe_on_an_undefined_name(request_context):
    assert render("{{ 'yes' if no_such_name is defined else 'no' }}") == "no"


def test_a_page_using_an_undefined_name_is_an_error_not_a_blank(app, request_context):
    with pytest.raises(UndefinedError, match="page_titel"):
        render(PAGE.replace('{% block content %}', '{% block content %}{{ page_titel }}'))


def test_a_key_a_dict_does_not_hold_is_empty_as_the_govuk_macros_need(request_context):
    # govuk-frontend-jinja tests its optional parameters like this
    assert render("[{{ params.hint }}]{% if not params.hint %}none{% endif %}", params={}) == "[]none"
    assert render("{{ params.value == undefined }} {{ params.value in [undefined, null] }}", params={}) == "True True"


def test_do_statements_need_no_throwaway_variable(request_context):
    assert render("{% set rows = [] %}{% do rows.append(1) %}{% do rows.append(2) %}{{ rows }}") == "[1, 2]"


# --- filters, globals and htmlLang ----------------------------------------------------------

def test_the_filters_and_globals_are_registered_from_one_list(app):
    for name, function in templating.FILTERS.items():
        assert app.jinja_env.filters[name] is function
    assert app.jinja_env.globals["asset_url"] is templating.GLOBALS["asset_url"]


def test_filters_and_globals_work_in_a_template(request_context):
    assert render("{{ day | govuk_date }}|{{ 2048 | file_size }}", day=date(2026, 11, 3)) == "3 November 2026|2.0 KB"
    assert render("{{ asset_url('main.css') }}").startswith("/static/")


@pytest.mark.parametrize("locale, lang", [("en", "en"), ("cy", "cy"), ("en_GB", "en-GB")])
def test_html_lang_is_the_request_s_locale(request_context, locale, lang):
    with force_locale(locale):
        page = BeautifulSoup(render(PAGE), "html.parser")
    assert page.html["lang"] == lang


# --- the layout's error summary and title prefix ------------------------------------------------

def test_no_error_summary_means_no_summary_and_no_prefix(request_context):
    for context in ({}, {"error_summary": []}):
        page = BeautifulSoup(render(PAGE, **context), "html.parser")
        assert page.title.get_text().startswith("Your details – ")
        assert page.select(".govuk-error-summary") == []


def test_error_summary_gives_the_summary_before_the_h1_and_the_title_prefix(request_context):
    errors = [{"text": "Enter your name", "href": "#name"}, {"text": "Enter your <date>", "href": "#date"}]
    page = BeautifulSoup(render(PAGE, error_summary=errors), "html.parser")
    assert page.title.get_text().startswith("Error: Your details – ")
    summary = page.select_one("main#main-content .govuk-error-summary")
    assert summary["data-module"] == "govuk-error-summary"
    assert summary.select_one(".govuk-error-summary__title").get_text(strip=True) == "There is a problem"
    links = [(a.get_text(strip=True), a["href"]) for a in summary.select(".govuk-error-summary__list a")]
    assert links == [("Enter your name", "#name"), ("Enter your <date>", "#date")]
    assert summary.find_next("h1") is page.select_one("main h1")  # the summary comes first
    assert summary.select_one(".govuk-error-summary__body p") is None


def test_an_item_without_href_is_the_summary_s_description(request_context):
    errors = [{"text": "The form expired."}, {"text": "Enter your name", "href": "#name"}]
    page = BeautifulSoup(render(PAGE, error_summary=errors), "html.parser")
    body = page.select_one(".govuk-error-summary__body")
    assert body.select_one("p").get_text(strip=True) == "The form expired."
    assert [li.get_text(strip=True) for li in body.select("li")] == ["Enter your name"]
    assert page.title.get_text().startswith("Error: ")


# --- parts drawn once and kept ({% cache %}, env.keep_fragment) ---------------------------

COUNTED = '{% cache "counted", key %}<b>{{ drawn() }}</b>{% endcache %}'


def counter():
    calls = []

    def drawn():
        calls.append(1)
        return len(calls)
    return drawn, calls


def test_a_kept_part_is_drawn_once_per_key(request_context):
    drawn, calls = counter()
    first = render(COUNTED, key=1, drawn=drawn)
    again = render(COUNTED, key=1, drawn=drawn)
    other = render(COUNTED, key=2, drawn=drawn)
    assert (first, again, other) == ("<b>1</b>", "<b>1</b>", "<b>2</b>")
    assert len(calls) == 2


def test_the_mount_point_is_part_of_the_key(app):
    drawn, _ = counter()
    with app.test_request_context("/"):
        assert render(COUNTED, key=1, drawn=drawn) == "<b>1</b>"
    with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": "/mounted"}):
        assert render(COUNTED, key=1, drawn=drawn) == "<b>2</b>"


def test_kept_parts_are_bounded_the_oldest_going_first(app, request_context, monkeypatch):
    monkeypatch.setattr(templating, "MAX_FRAGMENTS", 3)
    drawn, calls = counter()
    for key in range(10):
        render(COUNTED, key=key, drawn=drawn)
    assert len(app.jinja_env.fragments) == 3
    assert [key[1] for key in app.jinja_env.fragments] == [7, 8, 9]
    assert render(COUNTED, key=9, drawn=drawn) == "<b>10</b>"
    assert render(COUNTED, key=0, drawn=drawn) == "<b>11</b>"  # gone, drawn again


def test_nothing_is_kept_while_templates_auto_reload(tmp_path):
    from tests.conftest import make_app

    app = make_app(tmp_path, TEMPLATES_AUTO_RELOAD=True)
    drawn, calls = counter()
    with app.test_request_context("/"):
        assert [render(COUNTED, key=1, drawn=drawn) for _ in range(2)] == ["<b>1</b>", "<b>2</b>"]
    assert app.jinja_env.fragments == {}


def test_each_page_keeps_its_own_feedback_link_and_current_item(get_page):
    """The layout's kept parts follow the page: the phase banner names each path, the
    navigation marks the page's item, whatever was drawn before."""
    for path, active in [("/foi", "/foi"), ("/", "/"), ("/privacy", None), ("/foi", "/foi"), ("/", "/")]:
        page = get_page(path)
        assert page.select_one(".govuk-phase-banner a")["href"] == "/feedback?from=" + path.replace("/", "%2F")
        marked = [a["href"] for a in page.select(".govuk-service-navigation__item--active a")]
        assert marked == ([active] if active else [])


def test_what_someone_typed_is_never_kept(app, client, post_page):
    """Fields showing typed text are drawn afresh: a kept part never holds it."""
    page = post_page("/cookies", data={"functional": "typed-<answer>"}, headers={"Origin": "http://localhost"})
    assert page.select_one(".govuk-error-summary")
    typed = "Something only I wrote about lighthouses"
    page = post_page("/feedback", data={"improvement": typed}, headers={"Origin": "http://localhost"})
    assert page.select_one("textarea[name=improvement]").get_text() == typed
    kept = " ".join(app.jinja_env.fragments.values())
    assert "typed-" not in kept
    assert typed not in kept


def test_a_field_on_a_listed_choice_is_kept_and_shows_that_choice(app, get_page):
    for _ in range(2):
        page = get_page("/cookies")
        assert [radio["value"] for radio in page.select("input[type=radio][checked]")] == ["no", "no"]
    assert any(key[0] == "component" and key[1] == "radios" for key in app.jinja_env.fragments)


# --- the templates' gettext: Jinja's newstyle semantics -----------------------------------

@pytest.mark.parametrize(("source", "expected"), [
    ('{{ _("Plain words") }}', "Plain words"),
    ('{{ _("100%% of them") }}', "100% of them"),  # always a format string: %% is a literal %
    ('{{ _("Hello %(name)s", name="<b>you</b>") }}', "Hello &lt;b&gt;you&lt;/b&gt;"),
    ('{% trans name="<i>" %}Hi {{ name }}, 5% off{% endtrans %}', "Hi &lt;i&gt;, 5% off"),
    ('{{ _("<b>kept</b>") }}', "<b>kept</b>"),  # a message is markup, as Jinja's own gettext makes it
])
def test_gettext_formats_as_jinja_newstyle_gettext_does(request_context, source, expected):
    assert render(source) == expected


# --- kept parts give the same bytes as parts drawn afresh ---------------------------------

# Per-request values: the feedback form's CSRF and one-time tokens.
TOKENS = re.compile(r'(name="(?:csrf_token|form_token)" value=")[^"]*')
PAGES_DRAWN = ["/", "/privacy", "/cookies", "/cookies?return_to=/privacy", "/feedback", "/feedback?from=/privacy",
               "/no-such-page", "/", "/cookies", "/feedback"]


def pages_seen(app, consent: str | None) -> list[str]:
    client = app.test_client()
    headers = {"Origin": "http://localhost"}
    seen = [TOKENS.sub(r"\1", client.get("/").get_data(as_text=True))]  # the banner asks
    if consent:
        client.post("/cookies/consent", data={"cookies": consent, "return_to": "/"}, headers=headers)
    for path in PAGES_DRAWN:
        seen.append(TOKENS.sub(r"\1", client.get(path).get_data(as_text=True)))
    seen.append(TOKENS.sub(r"\1", client.post("/cookies", data={"functional": "maybe"}, headers=headers).get_data(as_text=True)))
    seen.append(TOKENS.sub(r"\1", client.post("/feedback", data={"rating": "9", "improvement": "More <b>"},
                                              headers=headers).get_data(as_text=True)))
    return seen


@pytest.mark.parametrize("consent", [None, "accept", "reject"])
def test_kept_parts_draw_the_same_bytes_as_drawing_afresh(tmp_path, consent):
    from tests.conftest import make_app

    keeping = make_app(tmp_path / "keeping")
    afresh = make_app(tmp_path / "afresh", TEMPLATES_AUTO_RELOAD=True)  # keeps nothing
    assert keeping.jinja_env.auto_reload is False and afresh.jinja_env.auto_reload is True
    kept_pages, fresh_pages = pages_seen(keeping, consent), pages_seen(afresh, consent)
    assert keeping.jinja_env.fragments and not afresh.jinja_env.fragments
    for path, kept, fresh in zip(["/", *PAGES_DRAWN, "POST /cookies", "POST /feedback"], kept_pages, fresh_pages, strict=True):
        assert kept == fresh, path


def test_outside_a_request_nothing_is_kept(app):
    drawn, _ = counter()
    template = app.jinja_env.from_string(COUNTED)
    with app.app_context():  # the site's context processors need a request: Jinja alone
        assert [template.render(key=1, drawn=drawn) for _ in range(2)] == ["<b>1</b>", "<b>2</b>"]
    assert app.jinja_env.fragments == {}
