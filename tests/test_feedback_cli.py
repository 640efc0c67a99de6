"""Staff commands: ``flask feedback export|stats|purge``."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from webapp.feedback import store
from webapp.feedback.cli import spreadsheet_safe

JUNE = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)


def add(app, when, rating=2, improvement="", page="/foi", js=True):
    with app.app_context():
        store.save(store.Submission(uuid.uuid4().hex, rating, improvement, page, "Firefox/133.0", js), now=when)


def export(runner, *args):
    result = runner.invoke(args=["feedback", "export", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_csv_export_parses_back_and_is_safe_in_a_spreadsheet(app, runner):
    add(app, JUNE, rating=1, improvement="=HYPERLINK(\"http://evil.example\",\"click\")")
    add(app, JUNE + timedelta(minutes=1), rating=5, improvement="+1 for the search, \"quotes\", commas\nand lines")
    add(app, JUNE + timedelta(minutes=2), rating=3, improvement="-2+3", page=None, js=False)
    add(app, JUNE + timedelta(minutes=3), rating=4, improvement="@SUM(A1)")
    rows = list(csv.DictReader(io.StringIO(export(runner))))
    assert [row["rating"] for row in rows] == ["1", "5", "3", "4"]
    assert rows[0] == {
        "id": rows[0]["id"], "submitted_at": "2026-06-15T09:30:00+00:00", "rating": "1",
        "rating_label": "Very satisfied", "improvement": "'=HYPERLINK(\"http://evil.example\",\"click\")",
        "page": "/foi", "browser": "Firefox", "javascript": "on",
    }
    assert rows[1]["improvement"] == "'+1 for the search, \"quotes\", commas\nand lines"
    assert rows[2]["improvement"] == "'-2+3" and rows[2]["page"] == "" and rows[2]["javascript"] == "off"
    assert rows[3]["improvement"] == "'@SUM(A1)"
    # No cell of the file starts a formula.
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())


@pytest.mark.parametrize("value,expected", [
    ("=1+1", "'=1+1"), ("+44", "'+44"), ("-x", "'-x"), ("@x", "'@x"), ("\tx", "'\tx"),
    ("fine = ok", "fine = ok"), ("", ""), (3, 3),
])
def test_spreadsheet_safe(value, expected):
    assert spreadsheet_safe(value) == expected


def test_export_period_is_whole_days_inclusive(app, runner):
    add(app, datetime(2026, 6, 1, 0, 0, tzinfo=UTC), improvement="first day")
    add(app, datetime(2026, 6, 30, 23, 59, tzinfo=UTC), improvement="last day")
    add(app, datetime(2026, 7, 1, 0, 0, tzinfo=UTC), improvement="after")
    add(app, datetime(2026, 5, 31, 23, 59, tzinfo=UTC), improvement="before")
    rows = list(csv.DictReader(io.StringIO(export(runner, "--since", "2026-06-01", "--until", "2026-06-30"))))
    assert [row["improvement"] for row in rows] == ["first day", "last day"]
    since_only = list(csv.DictReader(io.StringIO(export(runner, "--since", "2026-07-01"))))
    assert [row["improvement"] for row in since_only] == ["after"]


def test_json_export_keeps_text_as_typed(app, runner):
    add(app, JUNE, rating=2, improvement="=not a formula here, café")
    data = json.loads(export(runner, "--format", "json"))
    assert data == [{
        "id": data[0]["id"], "submitted_at": "2026-06-15T09:30:00+00:00", "rating": 2,
        "rating_label": "Satisfied", "improvement": "=not a formula here, café", "page": "/foi",
        "browser": "Firefox", "javascript": "on",
    }]
    assert json.loads(export(runner, "--format", "json", "--since", "2027-01-01")) == []


def test_export_refuses_bad_dates(runner):
    result = runner.invoke(args=["feedback", "export", "--since", "15/06/2026"])
    assert result.exit_code == 2 and "Invalid value for '--since'" in result.output
    result = runner.invoke(args=["feedback", "export", "--since", "2026-07-01", "--until", "2026-06-01"])
    assert result.exit_code == 2 and "--since must be on or before --until" in result.output


def test_stats_prints_counts_and_distribution(app, runner):
    for rating in (1, 1, 2, 5):
        add(app, JUNE, rating=rating, improvement="x" if rating == 5 else "")
    add(app, JUNE + timedelta(days=40), rating=3)
    result = runner.invoke(args=["feedback", "stats", "--since", "2026-06-01", "--until", "2026-06-30"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Feedback from 2026-06-01 to 2026-06-30: 4 responses"
    counts = {line[:36].strip(): line[36:].split() for line in lines[1:6]}
    assert counts == {
        "Very satisfied": ["2", "50.0%"], "Satisfied": ["1", "25.0%"],
        "Neither satisfied nor dissatisfied": ["0", "0.0%"], "Dissatisfied": ["0", "0.0%"],
        "Very dissatisfied": ["1", "25.0%"],
    }
    assert lines[6] == "Satisfied or very satisfied: 75.0%"
    assert lines[7].split() == ["With", "a", "suggestion:", "1", "With", "JavaScript", "on:", "4"]


def test_stats_with_no_feedback(runner):
    result = runner.invoke(args=["feedback", "stats"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "Feedback from the start to now: 0 responses"


def test_purge_uses_the_retention_setting(tmp_path):
    from tests.conftest import make_app

    app = make_app(tmp_path, FEEDBACK_RETENTION_DAYS=30)
    now = datetime.now(UTC)
    add(app, now - timedelta(days=31), improvement="old")
    add(app, now - timedelta(days=29), improvement="kept")
    result = app.test_cli_runner().invoke(args=["feedback", "purge"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Deleted 1 feedback response older than 30 days."
    with app.app_context():
        assert [entry.improvement for entry in store.entries()] == ["kept"]
    result = app.test_cli_runner().invoke(args=["feedback", "purge", "--days", "1"])
    assert result.output.strip() == "Deleted 1 feedback response older than 1 days."


def test_retention_defaults_to_a_year():
    from webapp import config

    assert config.load({})["FEEDBACK_RETENTION_DAYS"] == 365
    assert config.load({"FEEDBACK_RETENTION_DAYS": "90"})["FEEDBACK_RETENTION_DAYS"] == 90
    with pytest.raises(config.ConfigError):
        config.load({"FEEDBACK_RETENTION_DAYS": "0"})
