"""The one Jinja set-up (webapp/templating.py) and what the layout takes from it: strict
undefined names, ``{% do %}``, the filters and globals, ``htmlLang`` from the locale,
and the error summary and title prefix from ``error_summary``."""

from __future__ import annotations

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
