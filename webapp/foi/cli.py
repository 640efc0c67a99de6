"""``flask foi import [PATH]``, ``flask foi generate-sample`` and ``flask foi remove-sample``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.extensions import db
from webapp.foi import samples
from webapp.foi.catalogue import CONTENT_VERSION
from webapp.foi.publish import ImportReport, import_path, publish, remove_samples

foi_cli = AppGroup("foi", help="Publish FOI responses from content files.")

ACTIONS = {
    "add": ("added", "would add"),
    "update": ("updated", "would update"),
    "remove": ("unpublished", "would unpublish"),
    "missing": ("file gone, still published", "file gone, would stay published"),
}


def _expire_version() -> None:
    version = current_app.extensions[CONTENT_VERSION]
    if hasattr(version, "expire"):
        version.expire()


@foi_cli.command("import")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--remove-missing", is_flag=True,
              help="unpublish this folder's responses whose file has been deleted (they are listed either way)")
@click.option("--dry-run", is_flag=True, help="show every addition, update and removal; change nothing")
def import_command(path: Path | None, remove_missing: bool, dry_run: bool) -> None:
    """Validate and publish every response file under PATH (default: FOI_CONTENT_DIR).

    Files with problems are listed one problem a line (file:line: field: what is wrong)
    and change nothing; the rest load. Responses belong to the folder they came from:
    an import never changes another folder's. Responses whose file has been deleted
    are listed, and unpublished only with --remove-missing. Exits 1 when a file has
    problems.
    """
    path = path or Path(current_app.config["FOI_CONTENT_DIR"])
    if remove_missing and not path.is_dir():
        raise click.UsageError("--remove-missing needs a folder: it unpublishes the responses whose file has gone from it")
    started = time.perf_counter()
    report = import_path(db.engine, path, remove_missing=remove_missing, dry_run=dry_run)
    if not dry_run:
        _expire_version()
    for problem in report.problems + report.warnings:
        click.echo(str(problem), err=True)
    for action, reference, source in report.changes:
        if dry_run or action in ("remove", "missing"):
            click.echo(f"  {ACTIONS[action][dry_run]}: {reference} ({source})")
    if report.missing and not remove_missing:
        click.echo(f"{len(report.missing)} response(s) above have no file in {path} any more and stay published: "
                   "import again with --remove-missing to unpublish them")
    click.echo(f"{path}: {report.summary()} in {time.perf_counter() - started:.1f} s")
    if report.problems:
        sys.exit(1)


@foi_cli.command("generate-sample")
@click.option("--count", type=click.IntRange(1, 1_000_000), default=1000, show_default=True)
@click.option("--seed", type=int, default=2024, show_default=True, help="the same seed gives the same responses")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path),
              help="the folder to write the content files to (default: instance/sample-foi)")
@click.option("--publish", "publish_now", is_flag=True,
              help="publish the samples straight into the live disclosure log instead of writing files")
def generate_sample_command(count: int, seed: int, output: Path | None, publish_now: bool) -> None:
    """Make COUNT fictional responses (Northmoor Constabulary), deterministically.

    Writes content files (marked "sample: true") unless --publish is given. Either
    way, `flask foi remove-sample` deletes every published sample.
    """
    started = time.perf_counter()
    if publish_now and output is not None:
        raise click.UsageError("give --output (write files) or --publish (publish now), not both")
    if not publish_now:
        output = output or Path(current_app.instance_path) / "sample-foi"
        samples.write_files(output, count, seed)
        click.echo(f"wrote {count} sample files to {output} in {time.perf_counter() - started:.1f} s "
                   f"(nothing published: `flask foi import {output}` publishes them)")
        return
    documents, problems = samples.sample_documents(count, seed)
    for problem in problems:
        click.echo(str(problem), err=True)
    report = publish(db.engine, documents, ImportReport())
    for problem in report.problems:
        click.echo(str(problem), err=True)
    _expire_version()
    click.echo(f"generated {count}: {report.summary()} in {time.perf_counter() - started:.1f} s "
               "(`flask foi remove-sample` deletes them)")
    if problems or report.problems:
        sys.exit(1)


@foi_cli.command("remove-sample")
@click.option("--dry-run", is_flag=True, help="list the sample responses; delete nothing")
def remove_sample_command(dry_run: bool) -> None:
    """Delete every fictional sample response from the disclosure log (those published by
    generate-sample --publish, or imported from its files)."""
    removed = remove_samples(db.engine, dry_run=dry_run)
    if not dry_run:
        _expire_version()
    verb = "would delete" if dry_run else "deleted"
    for reference, source in removed[:20]:
        click.echo(f"  {verb}: {reference} ({source})")
    if len(removed) > 20:
        click.echo(f"  ... and {len(removed) - 20} more")
    click.echo(f"{verb} {len(removed)} sample response(s)")
