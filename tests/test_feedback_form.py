"""The /feedback form: questions, validation, expired forms, spam, duplicates, failures."""

from __future__ import annotations

import re
import time

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import text

from tests.conftest import make_app
from tests.feedback_support import capture_log, open_form, rows, send, send_page
from webapp.extensions import db
from webapp.feedback import forms as feedback_forms
from webapp.feedback import views as feedback_views


@pytest.fixture
def app(tmp_path):
    # No minimum fill time unless a test is about it.
    return make_app(tmp_path, FEEDBACK_MIN_FILL_SECONDS=0)


# --- the form ------------------------------------------------------------------------

def test_form_asks_the_two_questions(get_page):
    page = get_page("/feedback")
    assert page.title.text.startswith("Give feedback on this site – ")
    legend = page.select_one("fieldset legend")
    assert legend.get_text(strip=True) == "Overall, how did you feel about this site?"
    radios = page.select("input[type=radio][name=rating]")
    assert [(r["value"], page.select_one(f"label[for={r['id']}]").get_text(strip=True)) for r in radios] == [
        ("1", "Very satisfied"), ("2", "Satisfied"), ("3", "Neither satisfied nor dissatisfied"),
        ("4", "Dissatisfied"), ("5", "Very dissatisfied"),
    ]
    assert page.select_one("label[for=improvement]").get_text(strip=True) == "How could we improve this site?"
    count = page.select_one(".govuk-character-count")
    assert count["data-module"] == "govuk-character-count" and count["data-maxlength"] == "1200"
    hint = page.select_one("#improvement-hint").get_text(" ", strip=True)
    assert "Do not include personal or financial information" in hint
    assert page.select_one("textarea")["aria-describedby"].split() == ["improvement-info", "improvement-hint"]
    assert page.select_one("main form")["action"] == "/feedback"


def test_every_visit_gets_fresh_tokens(client):
    """The blank form is rendered once and kept; its tokens are new on every visit."""
    first, second = open_form(client, "/feedback?from=/foi"), open_form(client, "/feedback?from=/foi")
    assert first["form_token"] != second["form_token"]
    assert first["csrf_token"] and second["csrf_token"]
    assert "placeholder" not in first["csrf_token"] + first["form_token"]
    assert open_form(client, "/feedback?from=/other")["from"] == "/other"


def test_a_kept_blank_form_is_only_reused_for_the_same_address(get_page):
    """The kept form is keyed like the page cache: an address with another query string
    gets its own page, so the cookie banner returns each visitor to where they were."""
    return_to = "form[action='/cookies/consent'] input[name=return_to]"
    assert get_page("/feedback?from=/foi&ref=banner").select_one(return_to)["value"] == "/feedback?from=/foi&ref=banner"
    assert get_page("/feedback?from=/foi").select_one(return_to)["value"] == "/feedback?from=/foi"


TOKEN_VALUES = re.compile(r'name="(csrf_token|form_token)" value="([^"]+)"')
TOKENS = re.compile(r'(name="(?:csrf_token|form_token)" value=")[^"]+(")')


def test_the_blank_form_is_kept_with_the_page_cache_off(tmp_path):
    """Keeping the blank form is not page caching (no two visitors get the same tokens),
    so it happens with the page cache off too: one render per address, the same page a
    full render gives, new tokens on every visit, and a form that can be sent."""
    app = make_app(tmp_path, PAGE_CACHE_ENTRIES=0, FEEDBACK_MIN_FILL_SECONDS=0)
    kept = app.extensions["feedback_blank_forms"]
    client = app.test_client()
    first, second = (client.get("/feedback?from=/foi").get_data(as_text=True) for _ in range(2))
    assert len(kept) == 1
    client.get("/feedback?from=/other")
    assert len(kept) == 2

    with app.test_request_context("/feedback?from=/foi"):
        blank = feedback_forms.FeedbackForm(formdata=None, data={"came_from": "/foi", "js": "off"})
        rendered = feedback_views.form_html(blank, csrf_value="csrf", form_token="form")
    assert TOKENS.sub(r"\1\2", first) == TOKENS.sub(r"\1\2", second) == TOKENS.sub(r"\1\2", rendered)

    tokens = [dict(TOKEN_VALUES.findall(page)) for page in (first, second)]
    assert tokens[0]["form_token"] != tokens[1]["form_token"]
    stranger = app.test_client().get("/feedback?from=/foi").get_data(as_text=True)
    assert dict(TOKEN_VALUES.findall(stranger))["csrf_token"] != tokens[1]["csrf_token"]
    sent = send(client, open_form(client, "/feedback?from=/foi"), rating="1", improvement="Kept form")
    assert sent.status_code == 303
    assert [row.improvement for row in rows(app)] == ["Kept form"]


def test_nothing_is_kept_while_templates_reload(tmp_path):
    """In development an edited template shows at once, as the layout's fragments do."""
    app = make_app(tmp_path, TEMPLATES_AUTO_RELOAD=True)
    app.test_client().get("/feedback?from=/foi")
    assert len(app.extensions["feedback_blank_forms"]) == 0


def test_honeypot_is_hidden_from_people_and_assistive_technology(get_page):
    page = get_page("/feedback")
    field = page.select_one("input[name=website]")
    wrapper = field.find_parent("div", class_="app-honeypot")
    assert wrapper is not None and wrapper.has_attr("hidden")
    assert field["tabindex"] == "-1" and field["autocomplete"] == "off"


@pytest.mark.parametrize("given,kept", [
    ("/foi/01.FOI.23.031828", "/foi/01.FOI.23.031828"),
    ("/", "/"),
    ("https://evil.example/", None),
    ("//evil.example/", None),
    ("/\\evil.example", None),
    ("javascript:alert(1)", None),
])
def test_from_is_kept_only_when_it_is_a_local_path(client, app, given, kept, get_page):
    page = get_page("/feedback", query_string={"from": given})
    shown = page.select_one("#feedback-from")
    assert page.select_one("input[name=from]")["value"] == (kept or "")
    if kept:
        assert shown.get_text(" ", strip=True) == f"You were on: {kept}"
    else:
        assert shown is None
    hidden = open_form(client, "/feedback")
    hidden["from"] = given  # as if tampered with on the way back
    answer = send(client, hidden, rating="2")
    assert answer.status_code == 303
    assert rows(app)[-1].page == kept


def test_success_redirects_to_thank_you_with_a_link_back(client, app, get_page):
    hidden = open_form(client, "/feedback?from=/foi")
    response = send(client, hidden, rating="1", improvement="More search filters, please.")
    assert response.status_code == 303
    assert response.headers["Location"] == "/feedback/thank-you?from=/foi"
    page = get_page(response.headers["Location"])
    thanks = page.response
    assert page.select_one(".govuk-panel__title").get_text(strip=True) == "Thank you for your feedback"
    assert page.select_one("#return-link")["href"] == "/foi"
    assert "Set-Cookie" not in thanks.headers
    [row] = rows(app)
    assert (row.rating, row.improvement, row.page, row.user_agent_family, row.js_enabled) == (
        1, "More search filters, please.", "/foi", "Chrome", False,
    )
    assert row.submitted_at.tzinfo is not None


def test_thank_you_ignores_an_off_site_return_address(get_page):
    page = get_page("/feedback/thank-you?from=https://evil.example/")
    assert page.select_one("#return-link")["href"] == "/"


def test_javascript_flag_is_stored(client, app):
    hidden = open_form(client)
    assert hidden["js"] == "off"
    hidden["js"] = "on"  # what static/src/js/js-flag.mjs does
    send(client, hidden, rating="3")
    assert rows(app)[0].js_enabled is True


def test_full_user_agent_is_never_stored(client, app):
    send(client, open_form(client), rating="4")
    [row] = rows(app)
    assert row.user_agent_family == "Chrome"
    with app.app_context():
        stored = db.session.execute(text("SELECT * FROM feedback")).one()
    assert not any(isinstance(value, str) and "Mozilla" in value for value in stored)


# --- validation ----------------------------------------------------------------------

def error_summary_links(page):
    return [(a.get_text(strip=True), a["href"]) for a in page.select(".govuk-error-summary__list a")]


def test_rating_is_required_and_the_text_is_kept(client, app, post_page):
    page = send_page(post_page, client, open_form(client, "/feedback?from=/foi"), improvement="Keep this text")
    response = page.response
    assert response.status_code == 200
    assert page.title.text.startswith("Error: Give feedback on this site")
    assert error_summary_links(page) == [("Select how you felt about this site", "#rating")]
    assert page.select_one("#rating") is not None  # the link's target is the first radio
    assert page.select_one(".govuk-error-message").get_text(" ", strip=True) == (
        "Error: Select how you felt about this site"
    )
    assert page.select_one("textarea#improvement").get_text() == "Keep this text"
    assert page.select_one("input[name=from]")["value"] == "/foi"
    assert response.headers["Cache-Control"] == "no-store"
    assert rows(app) == []


def test_a_rating_outside_the_choices_is_refused(client, app, post_page):
    page = send_page(post_page, client, open_form(client), rating="9")
    assert error_summary_links(page) == [("Select how you felt about this site", "#rating")]
    assert rows(app) == []


def test_improvement_over_1200_characters_is_refused_and_kept(client, app, post_page):
    too_long = "a" * 1201
    page = send_page(post_page, client, open_form(client), rating="2", improvement=too_long)
    assert error_summary_links(page) == [("Your feedback must be 1,200 characters or fewer", "#improvement")]
    assert page.select_one("textarea#improvement").get_text() == too_long
    # The chosen rating is kept too.
    assert page.select_one("input[name=rating][value='2']").has_attr("checked")
    assert rows(app) == []


def test_line_breaks_count_as_one_character_like_the_character_count(client, app):
    text_1200 = ("a" * 99 + "\r\n") * 12  # 1,200 characters once CRLF becomes LF
    response = send(client, open_form(client), rating="2", improvement=text_1200)
    assert response.status_code == 303
    assert len(rows(app)[0].improvement) == 1199  # the trailing line break is trimmed


def test_every_error_is_summarised_in_field_order(client, post_page):
    page = send_page(post_page, client, open_form(client), improvement="b" * 1300)
    assert [href for _, href in error_summary_links(page)] == ["#rating", "#improvement"]


# --- an expired or missing CSRF token ------------------------------------------------

def test_missing_session_re_renders_with_the_answers(app, post_page):
    hidden = open_form(app.test_client(), "/feedback?from=/foi")
    stranger = app.test_client()  # no session cookie: the token cannot be checked
    page = send_page(post_page, stranger, hidden, rating="5", improvement="The search is slow")
    response = page.response
    assert response.status_code == 200
    assert page.title.text.startswith("Error: ")
    assert "the form expired" in page.select_one(".govuk-error-summary__body").get_text(" ", strip=True)
    assert page.select_one("textarea#improvement").get_text() == "The search is slow"
    assert page.select_one("input[name=rating][value='5']").has_attr("checked")
    assert page.select_one("input[name=from]")["value"] == "/foi"
    assert rows(app) == []
    # Sending the re-rendered form works: it carries a fresh token and set a session.
    again = {field["name"]: field.get("value", "") for field in page.select("main form input[type=hidden]")}
    assert send(stranger, again, rating="5", improvement="The search is slow").status_code == 303
    assert [row.improvement for row in rows(app)] == ["The search is slow"]


def test_expired_token_re_renders_with_the_answers(client, app, monkeypatch, post_page):
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 2 * 3600)
    hidden = open_form(client)  # a form opened two hours ago
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    page = send_page(post_page, client, hidden, rating="2", improvement="Typed slowly")
    response = page.response
    assert response.status_code == 200
    assert "the form expired" in page.select_one(".govuk-error-summary__body").get_text(" ", strip=True)
    assert page.select_one("textarea#improvement").get_text() == "Typed slowly"
    assert rows(app) == []


def test_missing_form_token_re_renders_with_the_answers(client, app, post_page):
    hidden = open_form(client)
    del hidden["form_token"]
    page = send_page(post_page, client, hidden, rating="1", improvement="No token")
    assert page.select_one(".govuk-error-summary") is not None
    assert page.select_one("textarea#improvement").get_text() == "No token"
    assert page.select_one("input[name=form_token]")["value"] != ""
    assert rows(app) == []


# --- duplicates ----------------------------------------------------------------------

def test_the_same_form_sent_twice_is_stored_once(client, app):
    hidden = open_form(client)
    first = send(client, hidden, rating="2", improvement="Once")
    second = send(client, hidden, rating="2", improvement="Once")  # double click, refresh or back
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert [row.improvement for row in rows(app)] == ["Once"]


def test_back_then_resend_from_a_fresh_form_is_stored_once(client, app):
    """Back may fetch the form again (a new one-time id): the same answers from the same
    session within half an hour are still one submission; new answers are new feedback."""
    send(client, open_form(client, "/feedback?from=/foi"), rating="2", improvement="Same words")
    again = send(client, open_form(client, "/feedback?from=/foi"), rating="2", improvement="Same words")
    assert again.status_code == 303
    assert [row.improvement for row in rows(app)] == ["Same words"]
    stored_session = app.session_interface.get_signing_serializer(app).loads(client.get_cookie("session").value)
    assert set(stored_session["feedback_sent"]) == {"digest", "at"}  # a digest, never the text
    assert "Same words" not in repr(stored_session)
    send(client, open_form(client, "/feedback?from=/foi"), rating="2", improvement="Something else")
    assert [row.improvement for row in rows(app)] == ["Same words", "Something else"]


def test_two_forms_are_two_submissions(client, app):
    send(client, open_form(client), rating="2")
    send(client, open_form(client), rating="3")
    assert [row.rating for row in rows(app)] == [2, 3]


# --- spam ----------------------------------------------------------------------------

def test_honeypot_submission_is_logged_not_stored(client, app):
    log = capture_log(app)
    response = send(client, open_form(client), rating="1", website="http://spam.example")
    assert response.status_code == 303  # nothing tells the bot it was caught
    assert rows(app) == []
    assert "feedback spam rejected: honeypot filled" in log.messages()


def test_submission_faster_than_the_minimum_fill_time_is_not_stored(tmp_path, post_page):
    app = make_app(tmp_path, FEEDBACK_MIN_FILL_SECONDS=60)
    log = capture_log(app)
    client = app.test_client()
    page = send_page(post_page, client, open_form(client), rating="1", improvement="Too quick")
    assert rows(app) == []
    assert "feedback spam rejected: sent faster than the minimum fill time" in log.messages()
    assert page.select_one(".govuk-error-summary__body").get_text(" ", strip=True).startswith(
        "Your feedback has not been sent yet"
    )
    assert page.select_one("textarea#improvement").get_text() == "Too quick"


def test_submission_after_the_minimum_fill_time_is_stored(tmp_path, monkeypatch):
    app = make_app(tmp_path, FEEDBACK_MIN_FILL_SECONDS=5)
    client = app.test_client()
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 6)
    hidden = open_form(client)  # opened six seconds ago
    monkeypatch.undo()
    assert send(client, hidden, rating="1").status_code == 303
    assert len(rows(app)) == 1


def test_oversized_body_gets_the_413_page(client, app, post_page):
    hidden = open_form(client)
    page = send_page(post_page, client, hidden, status=413,
                     rating="1", improvement="x" * (app.config["MAX_CONTENT_LENGTH"] + 1))
    response = page.response
    assert response.status_code == 413
    assert page.select_one("main h1").get_text(strip=True) == "Sorry, what you sent is too large"
    assert rows(app) == []


# --- the database cannot be written --------------------------------------------------

def test_database_failure_keeps_the_answers_and_is_logged(client, app, post_page):
    hidden = open_form(client, "/feedback?from=/foi")
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("DROP TABLE feedback"))  # the write will fail
    log = capture_log(app)
    page = send_page(post_page, client, hidden, status=503, rating="4", improvement="Please keep this")
    response = page.response
    assert response.status_code == 503
    assert page.title.text.startswith("Error: ")
    assert page.select_one(".govuk-error-summary__body").get_text(" ", strip=True) == (
        "Sorry, there was a technical problem. Please try again."
    )
    assert page.select_one("textarea#improvement").get_text() == "Please keep this"
    assert page.select_one("input[name=rating][value='4']").has_attr("checked")
    assert page.select_one("input[name=from]")["value"] == "/foi"
    failures = [r for r in log.records if r.getMessage().startswith("feedback could not be stored")]
    assert failures and failures[0].exc_info is not None


# --- cookies -------------------------------------------------------------------------

def test_session_cookie_only_on_the_feedback_form(get_page):
    assert "Set-Cookie" not in get_page("/").response.headers
    response = get_page("/feedback").response
    cookie = response.headers["Set-Cookie"]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert cookie.startswith("session=")
    assert {"httponly", "path"} <= attributes and "SameSite=Lax" in cookie
    assert "secure" not in attributes  # development: plain http
    assert response.headers["Cache-Control"] == "no-store"


def test_session_cookie_is_secure_in_production(tmp_path, monkeypatch):
    from webapp import create_app

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "p" * 40)
    monkeypatch.setenv("SITE_URL", "https://localhost")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite3'}")
    app = create_app()
    cookie = app.test_client().get("/feedback", base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in [part.strip() for part in cookie.split(";")]


def test_the_form_shows_the_ratings_staff_reports_use(app):
    """The form's labels (translatable) say in English what the stored ratings mean."""
    from webapp.feedback.forms import RATING_LABELS
    from webapp.feedback.store import RATINGS

    with app.test_request_context("/"):
        assert {value: str(label) for value, label in RATING_LABELS.items()} == RATINGS
