"""Shared builders for the FOI tests: a valid response file, and apps loaded with content."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import yaml

from webapp.config import PROJECT_ROOT
from webapp.extensions import db
from webapp.foi.publish import import_path

CONTENT = PROJECT_ROOT / "content" / "foi"
SHIPPED_REFERENCE = "01.FOI.23.031828"


def meta(**changes) -> dict:
    """Front matter for a valid, fictional response; ``changes`` override (None removes)."""
    values = {
        "reference": "TEST-0001",
        "title": "Fictional test response about lighthouses",
        "summary": "A fictional response used by the tests.",
        "published": "2024-03-01",
        "received": "2024-01-10",
        "responded": "2024-02-01",
        "regime": "FOIA",
        "outcome": "disclosed in full",
        "topics": ["Estates and buildings"],
        "questions": ["How many lighthouses do you own?", "What do they cost?"],
        "answers": [{"questions": [1, 2], "text": "We own two lighthouses. They cost 10 pounds."}],
    }
    for key, value in changes.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return values


def write(folder: Path, name: str, front: dict, body: str = "I have today decided to disclose the located information to you in full.") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n" + body + "\n", "utf-8")
    return path


def copy_content(tmp_path: Path) -> Path:
    target = tmp_path / "content" / "foi"
    shutil.copytree(CONTENT, target)
    return target


def load_shipped(app) -> None:
    with app.app_context():
        report = import_path(db.engine, CONTENT)
    assert report.problems == [], [str(p) for p in report.problems]
    app.extensions["foi.content_version"].expire()


def without_hanging(call, seconds: float = 60):
    """``call()``'s result; a hang (reading a named pipe waits for a writer forever)
    fails the test instead of stopping the suite. Not a speed check: see bench/."""
    outcome: list = []

    def target():
        try:
            outcome.append((True, call()))
        except BaseException as error:  # re-raised in the test's own thread
            outcome.append((False, error))

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, f"still running after {seconds} s: it is waiting on something"
    ok, value = outcome[0]
    if not ok:
        raise value
    return value
