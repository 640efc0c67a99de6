"""Feedback is never lost silently and never stored as typed when it should not be:

- the thank-you page only after the row is in the configured database file: a deleted,
  replaced or unwritable file gets the technical-problem page (503), the answers kept, and
  ``/healthz`` answers 503;
- e-mail, phone, UK postcode, National Insurance and payment card numbers are redacted
  before storage, and look-alikes are not;
- control characters go at input, so the row, the page and both exports agree;
- nothing in the address can confuse the kept blank form.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_app, soup
from tests.feedback_support import open_form, rows, send, send_page
from webapp.feedback.store import luhn_valid, redact

TECHNICAL = "Sorry, there was a technical problem. Please try again."


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path, FEEDBACK_MIN_FILL_SECONDS=0, FEEDBACK_RATE_LIMIT="10000 per minute")


@pytest.fixture
def client(app):
    return app.test_client()


def database_file(app) -> str:
    return app.config["DATABASE_URL"].removeprefix("sqlite:///")


def assert_kept_with_the_technical_problem(response, improvement):
    assert response.status_code == 503
    page = soup(response)
    assert page.select_one(".govuk-error-summary__body").get_text(" ", strip=True) == TECHNICAL
    assert page.select_one("textarea#improvement").get_text() == improvement
    assert page.select_one("input[name=rating][value='2']").has_attr("checked")


# --- durability ------------------------------------------------------------------------

def remove_file(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def replace_file(path):
    """Another database put where the site's was (a restore, a deploy gone wrong)."""
    copy = path + ".copy"
    with sqlite3.connect(path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    remove_file(path)
    os.rename(copy, path)


@contextmanager
def read_only(path):
    """The database file cannot be written, even by root (which ignores permission bits):
    mode 0444 for others, and the immutable attribute when running as root (CI does)."""
    files = [path + suffix for suffix in ("", "-wal", "-shm") if os.path.exists(path + suffix)]
    for name in files:
        os.chmod(name, 0o444)
    immutable = os.geteuid() == 0
    if immutable:
        made = subprocess.run(["chattr", "+i", path], capture_output=True, text=True)
        if made.returncode != 0:
            pytest.skip(f"root ignores permission bits and chattr +i failed here: {made.stderr.strip()}")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", path], check=True)
        for name in files:
            os.chmod(name, 0o644)


@pytest.mark.parametrize("damage", [remove_file, replace_file])
def test_a_vanished_or_replaced_database_file_is_never_thanked_for(app, client, damage):
    hidden = open_form(client, "/feedback?from=/foi")  # the connection is open now
    assert client.get("/healthz").status_code == 200
    path = database_file(app)
    damage(path)
    response = send(client, hidden, rating="2", improvement="Keep my words")
    assert_kept_with_the_technical_problem(response, "Keep my words")
    if damage is remove_file:
        health = client.get("/healthz")
        assert health.status_code == 503 and json.loads(health.data)["database"] is False
        assert not os.path.exists(path)  # nothing quietly made a new, empty file
    else:
        # The replacement is a real database: the next submission goes into it.
        hidden = open_form(client)
        assert send(client, hidden, rating="2", improvement="Again").status_code == 303
        with sqlite3.connect(path) as connection:
            stored = connection.execute("SELECT improvement FROM feedback").fetchall()
        assert stored == [("Again",)]


def test_an_unwritable_database_file_is_a_technical_problem(app, client):
    hidden = open_form(client)
    with read_only(database_file(app)):
        response = send(client, hidden, rating="2", improvement="Keep")
        assert_kept_with_the_technical_problem(response, "Keep")
        assert client.get("/healthz").status_code == 503
    assert rows(app) == []


def test_a_database_that_refuses_writes_keeps_the_answers(app, client):
    """The behaviour kept from before (a read-only database): SQLite refuses the write."""
    from sqlalchemy import event

    from webapp.extensions import db

    hidden = open_form(client)
    with app.app_context():
        engine = db.engine
        event.listen(engine, "connect", lambda connection, _record: connection.execute("PRAGMA query_only = 1"))
        engine.dispose()  # every new connection refuses writes
    response = send(client, hidden, rating="2", improvement="Keep")
    assert_kept_with_the_technical_problem(response, "Keep")
    assert rows(app) == []


def test_the_healthz_check_sees_a_deleted_file_with_an_open_connection(app, client):
    assert client.get("/healthz").status_code == 200
    remove_file(database_file(app))
    assert client.get("/healthz").status_code == 503


# --- redaction -------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("write to me@example.org", "write to [email]"),
    ("ring 07700 900123 today", "ring [phone] today"),
    ("I live at SW1A 1AA.", "I live at [postcode]."),
    ("postcode sw1a1aa", "postcode [postcode]"),
    ("M1 1AA and EC1A 1BB and W1A 0AX and B33 8TH and CR2 6XH and DN55 1PT", "[postcode] and [postcode] and "
     "[postcode] and [postcode] and [postcode] and [postcode]"),
    ("NI QQ 12 34 56 C", "NI [NI number]"),
    ("ni qq123456c", "ni [NI number]"),
    ("AB 12 34 56 D thanks", "[NI number] thanks"),
    ("card 4111 1111 1111 1111", "card [card number]"),
    ("card 4111-1111-1111-1111!", "card [card number]!"),
    ("5555555555554444", "[card number]"),
    ("amex 3782 822463 10005", "amex [card number]"),
])
def test_redaction_removes_each_kind(typed, stored):
    assert redact(typed) == stored


@pytest.mark.parametrize("typed", [
    "I waited 10 minutes at 3pm on 12/03/2024",
    "reference NMC-2024-0117 and 01.FOI.23.031828",
    "order 1234 5678 9012 3456",  # 16 digits, fails the Luhn check
    "4111 1111 1111 1112",  # a card number with a wrong check digit
    "it cost £1,234,567.89 in 2023-24",
    "room B12, section 40(2), form A1",
    "SW1A on its own",
    "version 1.2.3 and 1.2.3.4",
    "AB 12 34 56 E",  # the NI letter at the end is A to D
    "a string of 30 digits 123456789012345678901234567890",
])
def test_redaction_leaves_look_alikes_alone(typed):
    assert redact(typed) == typed


@given(st.text(alphabet="0123456789", min_size=13, max_size=19))
@settings(max_examples=200, derandomize=True)
def test_only_luhn_valid_numbers_are_card_numbers(digits):
    assert (redact(digits) == "[card number]") == luhn_valid(digits)


def test_redaction_happens_before_storage(app, client):
    hidden = open_form(client)
    assert send(client, hidden, rating="2", improvement="SW1A 1AA, QQ 12 34 56 C, 4111 1111 1111 1111").status_code == 303
    assert rows(app)[0].improvement == "[postcode], [NI number], [card number]"


# --- control characters ----------------------------------------------------------------

TYPED = "Line one\x07\r\nline\ttwo \x1b[31mred\x1b[0m\x00\x7f\x9b end\u202e"
CLEAN = "Line one\nline\ttwo [31mred[0m end"


def test_control_characters_go_at_input_and_every_path_agrees(app, client, runner):
    hidden = open_form(client)
    assert send(client, hidden, rating="2", improvement=TYPED).status_code == 303
    assert rows(app)[0].improvement == CLEAN
    exported = json.loads(runner.invoke(args=["feedback", "export", "--format", "json"]).output)
    assert exported[0]["improvement"] == CLEAN
    csv_out = runner.invoke(args=["feedback", "export"]).output
    assert "\x1b" not in csv_out and "\x07" not in csv_out and "line\ttwo" in csv_out


def test_the_page_shown_again_has_the_same_clean_text(client, post_page):
    hidden = open_form(client)
    page = send_page(post_page, client, hidden, improvement=TYPED)  # no rating: shown again
    assert page.select_one("textarea#improvement").get_text() == CLEAN


def test_export_cleans_rows_stored_before_the_rule(app, runner):
    with sqlite3.connect(database_file(app)) as connection:
        connection.execute(
            "INSERT INTO feedback (submission_id, rating, improvement, page, submitted_at, user_agent_family, js_enabled) "
            "VALUES ('x' , 2, ?, '/foi', '2026-01-01 00:00:00', 'Chrome', 0)", (TYPED,))
    exported = json.loads(runner.invoke(args=["feedback", "export", "--format", "json"]).output)
    assert exported[0]["improvement"] == CLEAN


# --- the kept blank form ----------------------------------------------------------------

@pytest.mark.parametrize("from_", [
    "/foi?x=feedback-csrf-placeholder-3f9c2a",
    "/foi?x=feedback-token-placeholder-8d41e7",
    "/foi?x=marker-0123456789abcdef0123456789abcdef",
    "/foi#marker-",
])
def test_nothing_in_the_address_confuses_the_kept_form(client, app, from_, get_page):
    from urllib.parse import quote

    for round_ in range(2):  # rendered, then from the kept pieces
        form = get_page("/feedback?from=" + quote(from_, safe="")).select_one("main form")
        hidden = {field["name"]: field.get("value", "") for field in form.select("input[type=hidden]")}
        assert "placeholder" not in hidden["csrf_token"] + hidden["form_token"]
        assert "marker" not in hidden["csrf_token"] + hidden["form_token"]
        assert send(client, hidden, rating="1", improvement=f"round {round_}").status_code == 303
    assert len(rows(app)) == 2


@given(from_=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40))
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_from_value_gives_a_form_that_can_be_sent(client, from_):
    from urllib.parse import quote

    hidden = open_form(client, "/feedback?from=" + quote("/" + from_, safe=""))
    response = send(client, hidden, rating="1", improvement=from_)
    assert response.status_code == 303, soup(response).select_one(".govuk-error-summary")
