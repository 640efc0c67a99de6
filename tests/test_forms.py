"""The form idiom (webapp/forms.py): each field renders its GOV.UK component with its
label, hint, value and error message in place, and a form gives the error summary."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from bs4 import BeautifulSoup
from flask import render_template_string
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from webapp.forms import (
    GovukCharacterCountField,
    GovukForm,
    GovukInputField,
    GovukRadiosField,
    merged,
)


class ExampleForm(GovukForm):
    class Meta:
        csrf = False

    name = GovukInputField("Full name", description="As it appears on your passport",
                           validators=[Length(max=5, message="Name must be 5 characters or fewer")])
    colour = GovukRadiosField(
        "Which colour?",
        choices=[SelectChoice("red", "Red"), SelectChoice("blue", "Blue")],
        validators=[InputRequired("Select a colour")],
        params={"fieldset": {"legend": {"classes": "govuk-fieldset__legend--m"}}},
    )
    story = GovukCharacterCountField("Your story", validators=[Length(max=10, message="Story too long")],
                                     params={"rows": 3})


@contextmanager
def posted(app, **data):
    """The form filled from a POST of ``data`` and validated."""
    with app.test_request_context("/", method="POST", data=data):
        form = ExampleForm()
        form.validate()
        yield form


@pytest.fixture
def rejected(app):
    """Every field wrong: a name too long, no colour, a story too long."""
    with app.test_request_context("/", method="POST", data={"name": "Alexandra <b>", "story": "x" * 11}):
        form = ExampleForm()
        assert not form.validate()
        yield form


def html(markup) -> BeautifulSoup:
    return BeautifulSoup(str(markup), "html.parser")


def error_text(group) -> str:
    return group.select_one(".govuk-error-message").get_text(" ", strip=True)


def test_input_renders_the_govuk_input_with_error_and_value_kept(rejected):
    group = html(rejected.name()).select_one("div.govuk-form-group.govuk-form-group--error")
    field = group.select_one("input.govuk-input.govuk-input--error")
    assert (field["id"], field["name"], field["type"]) == ("name", "name", "text")
    assert field["value"] == "Alexandra <b>"  # kept, and escaped in the markup
    assert group.select_one("label.govuk-label[for=name]").get_text(strip=True) == "Full name"
    assert group.select_one("#name-hint.govuk-hint").get_text(strip=True) == "As it appears on your passport"
    assert error_text(group) == "Error: Name must be 5 characters or fewer"
    assert field["aria-describedby"].split() == ["name-hint", "name-error"]


def test_input_without_errors_or_value(app):
    with app.test_request_context("/"):
        group = html(ExampleForm(formdata=None).name()).select_one("div.govuk-form-group")
    assert "govuk-form-group--error" not in group["class"]
    assert group.select_one(".govuk-error-message") is None
    assert not group.select_one("input").has_attr("value")


def test_radios_render_a_fieldset_with_legend_and_error(rejected):
    group = html(rejected.colour()).select_one("div.govuk-form-group.govuk-form-group--error")
    legend = group.select_one("fieldset.govuk-fieldset legend.govuk-fieldset__legend.govuk-fieldset__legend--m")
    assert legend.get_text(strip=True) == "Which colour?"
    radios = group.select("input.govuk-radios__input[type=radio]")
    assert [(r["id"], r["name"], r["value"]) for r in radios] == [("colour", "colour", "red"), ("colour-2", "colour", "blue")]
    assert [label.get_text(strip=True) for label in group.select("label.govuk-radios__label")] == ["Red", "Blue"]
    assert error_text(group) == "Error: Select a colour"
    assert not any(r.has_attr("checked") for r in radios)


def test_radios_keep_the_chosen_value(app):
    with posted(app, colour="blue") as form:
        radios = html(form.colour()).select("input[type=radio]")
    assert [r.has_attr("checked") for r in radios] == [False, True]


def test_character_count_keeps_the_text_and_counts_to_the_length_limit(rejected):
    group = html(rejected.story()).select_one(".govuk-character-count")
    assert group["data-module"] == "govuk-character-count"
    assert group["data-maxlength"] == "10"  # from the field's Length validator
    textarea = group.select_one("textarea.govuk-textarea.govuk-textarea--error.govuk-js-character-count")
    assert (textarea["id"], textarea["name"], textarea["rows"]) == ("story", "story", "3")
    assert textarea.get_text() == "x" * 11
    assert group.select_one("label[for=story]").get_text(strip=True) == "Your story"
    assert error_text(group) == "Error: Story too long"
    assert group.select_one("#story-info").get_text(strip=True) == "You can enter up to 10 characters"


def test_parameters_where_the_field_is_rendered_merge_with_the_field_s_own(rejected):
    group = html(rejected.colour(classes="govuk-radios--inline", fieldset={"legend": {"isPageHeading": True}}))
    assert "govuk-radios--inline" in group.select_one(".govuk-radios")["class"]
    legend = group.select_one("legend")
    assert "govuk-fieldset__legend--m" in legend["class"]  # declared with the field, kept
    assert legend.select_one("h1.govuk-fieldset__heading").get_text(strip=True) == "Which colour?"


def test_a_field_renders_in_a_template_as_it_does_in_python(rejected):
    assert render_template_string("{{ form.story() }}", form=rejected) == rejected.story()


def test_error_summary_links_each_error_to_its_field_in_form_order(rejected):
    assert rejected.error_summary() == [
        {"text": "Name must be 5 characters or fewer", "href": "#name"},
        {"text": "Select a colour", "href": "#colour"},  # the first radio's id
        {"text": "Story too long", "href": "#story"},
    ]


def test_error_summary_is_empty_for_a_valid_form(app):
    with posted(app, name="Ann", colour="red", story="short") as form:
        assert form.error_summary() == []


def test_error_summary_leaves_out_the_csrf_token(app):
    class Protected(GovukForm):
        colour = GovukRadiosField("Which colour?", choices=[SelectChoice("red", "Red")],
                                  validators=[InputRequired("Select a colour")])

    app.config["WTF_CSRF_ENABLED"] = True
    with app.test_request_context("/", method="POST", data={"csrf_token": "forged"}):
        form = Protected()
        assert not form.validate()
        assert form.csrf_token.errors
        assert form.error_summary() == [{"text": "Select a colour", "href": "#colour"}]


def test_merged_keeps_nested_keys_and_lets_later_layers_win():
    assert merged({"a": {"b": 1, "c": 2}, "d": 1}, {"a": {"c": 3}, "d": 2}) == {"a": {"b": 1, "c": 3}, "d": 2}
