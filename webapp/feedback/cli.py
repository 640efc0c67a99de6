"""Staff commands: ``flask feedback export``, ``flask feedback stats``, ``flask feedback purge``.

Dates are whole days in UTC: ``--since 2026-01-01 --until 2026-01-31`` covers both
days in full. The CSV is safe to open in a spreadsheet: a cell that starts with
``= + - @`` (or a tab or carriage return) is prefixed with ``'`` so it is never run
as a formula.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.feedback import store
from webapp.security import spreadsheet_safe
from webapp.text import clean_text

feedback_cli = AppGroup("feedback", help="Beta feedback: export it, count it, delete old feedback.")

DAY = click.DateTime(formats=["%Y-%m-%d"])
COLUMNS = ["id", "submitted_at", "rating", "rating_label", "improvement", "page", "browser", "javascript"]


def period(since: datetime | None, until: datetime | None) -> tuple[datetime | None, datetime | None]:
    """[start of since, end of until) in UTC."""
    start = since.replace(tzinfo=UTC) if since else None
    end = until.replace(tzinfo=UTC) + timedelta(days=1) if until else None
    if start and end and start >= end:
        raise click.BadParameter("--since must be on or before --until", param_hint="--since")
    return start, end


def as_record(entry: store.Feedback) -> dict:
    return {
        "id": entry.id,
        "submitted_at": entry.submitted_at.isoformat(timespec="seconds"),
        "rating": entry.rating,
        "rating_label": store.RATINGS[entry.rating],
        # Rows stored before control characters were removed at input lose them here.
        "improvement": clean_text(entry.improvement, multiline=True),
        "page": clean_text(entry.page or ""),
        "browser": entry.user_agent_family,
        "javascript": "on" if entry.js_enabled else "off",
    }


class Stdout:
    """A file-like object over ``click.echo``, so exports stream row by row."""

    @staticmethod
    def write(text: str) -> None:
        click.echo(text, nl=False)


def period_options(command):
    command = click.option("--until", type=DAY, help="last day to include (YYYY-MM-DD, UTC)")(command)
    return click.option("--since", type=DAY, help="first day to include (YYYY-MM-DD, UTC)")(command)


@feedback_cli.command("export")
@period_options
@click.option("--format", "output_format", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
def export_command(since, until, output_format):
    """Write the feedback to stdout as CSV (spreadsheet-safe) or JSON, oldest first."""
    start, end = period(since, until)
    out = Stdout()
    records = (as_record(entry) for entry in store.entries(start, end))
    if output_format == "json":
        out.write("[")
        for index, record in enumerate(records):
            out.write(("," if index else "") + "\n  " + json.dumps(record, ensure_ascii=False))
        out.write("\n]\n")
        return
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for record in records:
        writer.writerow({name: spreadsheet_safe(value) for name, value in record.items()})


@feedback_cli.command("stats")
@period_options
def stats_command(since, until):
    """Print how many people gave feedback and how satisfied they were."""
    start, end = period(since, until)
    result = store.stats(start, end)
    label = f"{since:%Y-%m-%d}" if since else "the start"
    label += f" to {until:%Y-%m-%d}" if until else " to now"
    click.echo(f"Feedback from {label}: {result.total} response{'s' if result.total != 1 else ''}")
    for rating, label_text in store.RATINGS.items():
        count = result.by_rating[rating]
        share = 100 * count / result.total if result.total else 0
        click.echo(f"  {label_text:<34} {count:>7}  {share:5.1f}%")
    if result.total:
        satisfied = result.by_rating[1] + result.by_rating[2]
        click.echo(f"Satisfied or very satisfied: {100 * satisfied / result.total:.1f}%")
        click.echo(f"With a suggestion: {result.with_text}   With JavaScript on: {result.js_enabled}")


@feedback_cli.command("purge")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="keep this many days of feedback (default: FEEDBACK_RETENTION_DAYS)")
def purge_command(days):
    """Delete feedback older than the retention period (FEEDBACK_RETENTION_DAYS)."""
    days = days or current_app.config["FEEDBACK_RETENTION_DAYS"]
    deleted = store.purge(days)
    click.echo(f"Deleted {deleted} feedback response{'s' if deleted != 1 else ''} older than {days} days.")
