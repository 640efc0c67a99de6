"""``flask foi import [PATH]``, ``flask foi generate-sample`` and ``flask foi remove-sample``."""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from pathlib import Path

import click
import yaml
from flask import current_app
from flask.cli import AppGroup

from webapp.extensions import db
from webapp.foi.catalogue import CONTENT_VERSION
from webapp.foi.content import OUTCOMES, Problem, validate
from webapp.foi.publish import SAMPLE_ORIGIN, ImportReport, import_path, publish, remove_samples

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


# ---------------------------------------------------------------------------
# Fictional responses for benchmarks and demonstrations: plainly invented subjects
# at the invented Northmoor Constabulary. The same count and seed give the same files.

TOPICS = [
    "Vehicles and fleet", "Information technology", "Recruitment", "Training", "Estates and buildings",
    "Finance and procurement", "Dogs and horses", "Drones", "Custody", "Firearms licensing",
    "Road safety", "Wildlife crime", "Complaints", "Body-worn video", "Neighbourhood policing",
]
SUBJECTS = [
    ("hovercraft", "maintenance of the force's hovercraft"), ("unicycles", "unicycle patrol trials"),
    ("pigeons", "carrier pigeon messaging"), ("kites", "kite-mounted cameras"),
    ("lighthouses", "lighthouse lease agreements"), ("teapots", "canteen teapot purchases"),
    ("bagpipes", "ceremonial bagpipe band costs"), ("submarines", "the miniature submarine loan"),
    ("snowmobiles", "snowmobile training days"), ("balloons", "hot air balloon surveillance"),
    ("scarecrows", "scarecrow crime prevention scheme"), ("telescopes", "observatory telescope hire"),
    ("trampolines", "trampoline park safety visits"), ("penguins", "penguin enclosure break-ins"),
    ("gondolas", "gondola station patrols"), ("mammoths", "the woolly mammoth exhibit theft"),
]
PLACES = ["Northmoor", "Eastbrook", "Fenwick Vale", "Harbourtown", "Little Ashby", "Moorside", "Quarry End", "Westleigh"]
FICTIONAL_EXEMPTIONS = ["40(2)", "31(1)(a)", "43(2)", "24(1)", "38(1)(a)", "30(1)(a)"]
FICTIONAL_EXCEPTIONS = ["12(5)(a)", "12(5)(b)", "12(4)(b)", "13(1)"]


def sample_document(number: int, rng: random.Random):
    subject, phrase = SUBJECTS[rng.randrange(len(SUBJECTS))]
    place = PLACES[rng.randrange(len(PLACES))]
    outcome = list(OUTCOMES)[rng.randrange(len(OUTCOMES))]
    year = 2019 + number % 7
    received = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(330))
    responded = received + dt.timedelta(days=rng.randrange(5, 30))
    published = responded + dt.timedelta(days=rng.randrange(0, 10))
    count = rng.randrange(1, 6)
    questions = [
        f"Please provide the number of {subject} used by officers in {place} in {year - k}, and the total cost."
        for k in range(count)
    ]
    meta = {
        "reference": f"NMC-{year}-{number:06d}",
        "title": f"{phrase[0].upper()}{phrase[1:]} in {place} (request {number})",
        "summary": f"A fictional request about {phrase} in {place} for the years {year - count + 1} to {year}.",
        "published": published, "received": received, "responded": responded,
        "regime": "EIR" if number % 17 == 0 else "FOIA",
        "outcome": outcome,
        "topics": sorted(set(rng.sample(TOPICS, rng.randrange(1, 4)))),
        "questions": questions,
        "answers": [
            {"questions": [k + 1],
             "text": f"Northmoor Constabulary holds {rng.randrange(0, 400)} records of {subject} in {place} for {year - k}. "
                     f"The total cost recorded was {rng.randrange(100, 90000)} pounds, met from the {place} budget."}
            for k in range(count)
        ],
    }
    if outcome in ("disclosed-in-part", "refused", "neither-confirm-nor-deny"):
        pool = FICTIONAL_EXCEPTIONS if meta["regime"] == "EIR" else FICTIONAL_EXEMPTIONS
        meta["exemptions"] = sorted(rng.sample(pool, rng.randrange(1, 3)))
    body = "I have today decided to disclose the located information to you in full." if outcome == "disclosed-in-full" \
        else f"This is a fictional response about {phrase}, recorded as {OUTCOMES[outcome].lower()}."
    return meta, body


def generate(count: int, seed: int = 2024):
    rng = random.Random(seed)
    for number in range(1, count + 1):
        yield sample_document(number, rng)


def sample_documents(count: int, seed: int = 2024) -> tuple[list, list[Problem]]:
    """The samples as validated documents, marked as samples (``remove-sample`` deletes them)."""
    documents, problems = [], []
    for meta, body in generate(count, seed):
        loaded = validate(meta, body, source=f"generated/{meta['reference']}.md")
        if isinstance(loaded, list):
            problems.extend(loaded)
        else:
            loaded.origin, loaded.is_sample = SAMPLE_ORIGIN, True
            documents.append(loaded)
    return documents, problems


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
        output.mkdir(parents=True, exist_ok=True)
        for meta, body in generate(count, seed):
            front = yaml.safe_dump({**meta, "sample": True}, sort_keys=False, allow_unicode=True)
            (output / f"{meta['reference']}.md").write_text(f"---\n{front}---\n{body}\n", "utf-8")
        click.echo(f"wrote {count} sample files to {output} in {time.perf_counter() - started:.1f} s "
                   f"(nothing published: `flask foi import {output}` publishes them)")
        return
    documents, problems = sample_documents(count, seed)
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
