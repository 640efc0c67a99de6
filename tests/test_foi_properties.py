"""Property-based tests (Hypothesis): generated content files, hostile bytes, dates and
YAML structures. The parser returns a document or its own problems, never raises; the
importer never raises; a rejected file never changes the published log.

Example counts are kept modest (the "foi" settings profile) so the suite stays fast;
``HYPOTHESIS_PROFILE=foi-thorough`` runs many more."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import make_app
from tests.foi_fixtures import meta, without_hanging
from webapp.extensions import db
from webapp.foi.content import load_file, parse
from webapp.foi.documents import ResponseDocument
from webapp.foi.models import FoiAttachment, FoiResponse
from webapp.foi.problems import Problem
from webapp.foi.publish import import_path

settings.register_profile("foi", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("foi-thorough", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "foi"))

FIELDS = ["reference", "title", "summary", "published", "updated", "change_note", "received", "responded",
          "regime", "outcome", "exemptions", "topics", "questions", "answers", "attachments", "related", "sample"]

dates = st.one_of(
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(str),
    st.tuples(st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99)).map(lambda t: "%04d-%02d-%02d" % t),
    st.tuples(st.integers(1990, 2100), st.integers(1, 13), st.integers(1, 32), st.integers(0, 30), st.integers(0, 70))
    .map(lambda t: "%04d-%02d-%02d %02d:%02d:00" % t),
    st.text(max_size=12),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40), dates)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10) | st.sampled_from(FIELDS), inner, max_size=4)),
    max_leaves=12)
# Fragments that have broken parsers before: YAML syntax, anchors, tags, Markdown,
# comments, characters XML forbids, BOMs, line endings.
fragments = st.sampled_from([
    "---", "\n", "\r\n", "\r", "\ufeff", "&a ", "*a", "<<: *a", "!!python/object:os.system", "!!binary x", "? ",
    ": ", "- ", "[", "]", "{", "}", "|", ">", "'", '"', "\\u0000", "\\uFFFF", "\x00", "\x1b", "\uffff", "\ud800",
    "<!--", "-->", "![alt](x.png)", "> > > > >", "  - ", "# ", "2024-02-30", "25:61", "9" * 50, "\t", "…", "𝒳",
    "reference: ", "published: ", "attachments:\n  - file: ../../etc/passwd\n    type: TXT\n    title: t\n",
])
hostile_text = st.lists(st.one_of(fragments, st.text(max_size=20)), max_size=40).map("".join)


def front_matter(data) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:
        return repr(data)


raw_values = st.one_of(dates, fragments, st.text(max_size=20).map(lambda t: t.replace("\n", " ")),
                       st.sampled_from(["[1, 2]", "{a: 1}", "null", "true", "0x1F", "1e999", ".nan", "~", "'quoted'"]))
# Hand-written front matter, one "field: value" line each, values unquoted as an author
# types them (so YAML itself reads 2024-02-30 or 25:61 as a date or a number).
raw_front = st.lists(st.tuples(st.sampled_from(FIELDS), raw_values), min_size=1, max_size=12).map(
    lambda pairs: "".join(f"{name}: {value}\n" for name, value in pairs))
valid_lines = "".join(f"{k}: {v}\n" for k, v in {
    "reference": "T-1", "title": "T", "summary": "S", "published": "2024-03-01", "received": "2024-01-10",
    "responded": "2024-02-01", "regime": "FOIA", "outcome": "not held", "topics": "[Drones]",
    "questions": "[Q?]"}.items())

documents = st.one_of(
    # A valid file with a few fields written again by hand, as an author would.
    st.tuples(raw_front, hostile_text).map(lambda t: "---\n" + valid_lines + t[0] + "---\n" + t[1]),
    # Structured: a valid response with fields replaced by anything.
    st.tuples(st.dictionaries(st.sampled_from(FIELDS), values, max_size=5), hostile_text)
    .map(lambda t: "---\n" + front_matter({**meta(), **t[0]}) + "---\n" + t[1]),
    # Unstructured: hostile text in and around the front matter.
    st.tuples(hostile_text, hostile_text).map(lambda t: "---\n" + t[0] + "\n---\n" + t[1]),
    hostile_text,
)


def assert_result(result) -> None:
    assert isinstance(result, ResponseDocument) or (
        isinstance(result, list) and result and all(isinstance(p, Problem) for p in result)), result
    if isinstance(result, list):
        for problem in result:
            text = str(problem)
            assert len(problem.message) <= 300 and "Traceback" not in text
            line = getattr(problem, "line", None)
            assert line is None or line >= 1


@PROFILE
@given(documents)
def test_the_parser_returns_a_document_or_its_own_problems(text):
    assert_result(parse(text, source="x.md"))


@PROFILE
@given(st.binary(max_size=400) | documents.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_loading_any_bytes_returns_a_document_or_its_own_problems(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("bytes") / "x.md"
    path.write_bytes(raw)
    assert_result(load_file(path, display="x.md"))


def published_log(app) -> list[tuple]:
    with app.app_context():
        responses = db.session.execute(select(
            FoiResponse.reference, FoiResponse.is_published, FoiResponse.fingerprint, FoiResponse.document,
            FoiResponse.title, FoiResponse.source).order_by(FoiResponse.reference)).all()
        files = db.session.execute(select(FoiAttachment.response_id, FoiAttachment.filename, FoiAttachment.sha256)
                                   .order_by(FoiAttachment.response_id, FoiAttachment.filename)).all()
    return [tuple(r) for r in responses] + [tuple(f) for f in files]


@PROFILE
@given(documents)
def test_a_rejected_file_never_changes_the_published_log(tmp_path_factory, text):
    base = tmp_path_factory.mktemp("import")
    app = make_app(base)
    folder = base / "foi"
    folder.mkdir()
    good = meta()
    (folder / "a.md").write_text("---\n" + yaml.safe_dump(good, sort_keys=False) + "---\nDecision.\n", "utf-8")
    with app.app_context():
        first = import_path(db.engine, folder)
    assert not first.problems
    before = published_log(app)
    # The generated text replaces the published file: if it is refused, nothing changes.
    (folder / "a.md").write_bytes(text.encode("utf-8", "surrogatepass"))
    with app.app_context():
        report = import_path(db.engine, folder, remove_missing=True)
    if report.problems:
        assert published_log(app) == before
    with app.app_context():
        db.engine.dispose()


@PROFILE
@given(st.dictionaries(st.sampled_from(["a.md", "b.md", "attachments/x.txt", "sub/c.md", "sub"]),
                       st.sampled_from(["symlink", "fifo", "dir", "hardlink", "file"]), max_size=4))
def test_the_importer_never_raises_or_publishes_a_file_from_outside(tmp_path_factory, kinds):
    base = tmp_path_factory.mktemp("tree")
    app = make_app(base)
    folder = base / "foi"
    (folder / "attachments").mkdir(parents=True)
    (base / "outside").mkdir()
    (base / "outside.txt").write_text("secret")
    (base / "outside" / "c.md").write_text("---\n" + yaml.safe_dump(meta(reference="OUTSIDE-1")) + "---\nD.\n")
    if kinds.get("sub", "dir") == "symlink":
        os.symlink(base / "outside", folder / "sub")
    else:
        (folder / "sub").mkdir()
    for name, kind in sorted(kinds.items()):
        target = folder / name
        if target.exists() or target.is_symlink():
            continue
        if kind == "symlink":
            os.symlink(base / "outside.txt", target)
        elif kind == "fifo":
            os.mkfifo(target)
        elif kind == "dir":
            target.mkdir()
        elif kind == "hardlink":
            os.link(base / "outside.txt", target)
        else:
            target.write_text("---\n" + yaml.safe_dump(meta(reference=Path(name).stem.upper() + "-1",
                              attachments=[{"title": "x", "file": "attachments/x.txt", "type": "TXT"}])) + "---\nD.\n")
    with app.app_context():
        engine = db.engine
        report = without_hanging(lambda: import_path(engine, folder), seconds=20)
        assert all(isinstance(p, Problem) for p in report.problems)
        for row in db.session.scalars(select(FoiAttachment)):
            assert row.data != b"secret"
        assert "OUTSIDE-1" not in set(db.session.scalars(select(FoiResponse.reference)))
        db.engine.dispose()
